"""The built site in a real browser: Debian's Chromium, driven by Playwright.

The session's site build (``site`` in conftest.py) is served on the loopback interface
under a URL prefix (``/course/gan/``, as a project page on a Git host would be), and
headless Chromium visits every lesson page and every example page: images load, the
console stays free of errors, every request succeeds, the math is typeset, the
dropdown answers open, the code has copy buttons, the downloads return the files, and
the previous/next links walk through the lessons in order.  Every internal link of the
site resolves, anchors included, and the offline search finds the lessons.  A
screenshot of each lesson page is saved under ``_build/screenshots/`` (CI keeps them).

Playwright comes from pip but never downloads a browser: it runs the Chromium of the
system's packages (``apt-get install chromium``; ``.ci/run`` installs it).  Without
that browser these tests fail and say so.
"""

from __future__ import annotations

import functools
import json
import os
import re
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from course import ROOT

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("GAN_COURSE_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "_build" / "screenshots"
LESSONS = sorted(p.stem for p in (ROOT / "docs").glob("12_1_*.rst"))
EXAMPLES = sorted(f"{p.parent.name}/{p.stem}" for p in (ROOT / "gallery").glob("12_1_*/*.py"))
# waits for every image (lazy ones included) to finish, then lists those that did not load
BROKEN_IMAGES_JS = """async () => {
    const images = [...document.images];
    images.forEach(img => { img.loading = "eager"; });
    await Promise.all(images.map(img => img.complete ? null :
        new Promise(done => { img.addEventListener("load", done); img.addEventListener("error", done); })));
    return images.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src);
}"""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: the browser tests need Debian's package "
            "(apt-get install chromium; .ci/run installs it) or GAN_COURSE_CHROMIUM=<path>",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Visit:
    """A page opened in the browser, with everything that went wrong while it loaded."""

    def __init__(self, browser, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.problems: list[str] = []
        self.page.on("console", lambda msg: msg.type == "error" and self.problems.append(f"console: {msg.text}"))
        self.page.on("pageerror", lambda err: self.problems.append(f"script error: {err}"))
        self.page.on("requestfailed", lambda req: self.problems.append(f"request failed: {req.url} ({req.failure})"))
        self.page.on("response", lambda res: res.status >= 400 and self.problems.append(f"HTTP {res.status}: {res.url}"))
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url
        self.broken_images = self.page.evaluate(BROKEN_IMAGES_JS)

    def hrefs(self) -> list[str]:
        return self.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def visit(browser):
    opened: list[Visit] = []

    def open_page(url: str) -> Visit:
        opened.append(Visit(browser, url))
        return opened[-1]

    yield open_page
    for v in opened:
        v.close()


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


class Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def ids_of(url: str) -> frozenset[str]:
    status, body = fetch(url)
    parser = Ids()
    parser.feed(body.decode("utf-8", "replace"))
    return frozenset(parser.ids)


def check_internal_links(hrefs: list[str], base: str) -> list[str]:
    """The same-site links among ``hrefs`` that do not resolve (missing page or anchor)."""
    broken = []
    for href in sorted(set(hrefs)):
        if not href.startswith(base):
            continue
        target, fragment = urldefrag(href)
        status, _ = fetch(target)
        if status != 200:
            broken.append(f"{href}: HTTP {status}")
        elif fragment and target.endswith(".html") and urllib.parse.unquote(fragment) not in ids_of(target):
            broken.append(f"{href}: no element with id {fragment!r}")
    return broken


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_page_in_the_browser(served, visit, lesson):
    url = urljoin(served, f"docs/{lesson}.html")
    v = visit(url)
    page = v.page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{lesson}.png"), full_page=True)

    assert page.locator("h1").first.inner_text().startswith("12.1.")
    images = page.locator("article img").count()
    assert images >= 2, "the lesson shows its figures"
    assert not v.broken_images, f"images that did not load: {v.broken_images}"

    # math: MathJax (shipped with the site) has typeset the formulas
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("() => MathJax.startup.promise")
    assert page.locator("mjx-container").count() > 0, "no formula was typeset"

    # the exercise answers are closed dropdowns that open on a click
    dropdowns = page.locator("details.sd-dropdown")
    assert dropdowns.count() >= 3
    first = dropdowns.first
    assert first.evaluate("d => d.open") is False
    first.locator("summary").click()
    assert first.evaluate("d => d.open") is True
    assert first.locator(".sd-summary-content").first.is_visible()

    assert page.locator("button.copybtn").count() > 0, "code blocks have no copy button"

    # the script downloads return the scripts themselves
    downloads = [h for h in v.hrefs() if "/_downloads/" in h and h.endswith(".py")]
    assert downloads, "no script to download"
    for href in downloads:
        status, body = fetch(href)
        name = href.rsplit("/", 1)[1]
        assert status == 200 and body == next(ROOT.glob(f"gallery/*/{name}")).read_bytes(), href

    assert not check_internal_links(v.hrefs(), served)
    assert not v.problems, "\n".join(v.problems)


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_page_offers_the_script_and_a_notebook(served, visit, example):
    v = visit(urljoin(served, f"auto_examples/{example}.html"))
    assert not v.broken_images, f"images that did not load: {v.broken_images}"
    assert v.page.locator("img.sphx-glr-single-img, img.sphx-glr-multi-img").count() >= 1
    name = example.split("/")[1]
    hrefs = v.hrefs()
    notebook = [h for h in hrefs if h.endswith(f"/{name}.ipynb")]
    script = [h for h in hrefs if h.endswith(f"/{name}.py") and "/_downloads/" in h]
    assert notebook and script
    status, body = fetch(notebook[0])
    assert status == 200 and json.loads(body)["nbformat"] == 4
    status, body = fetch(script[0])
    assert status == 200 and body == (ROOT / "gallery" / f"{example}.py").read_bytes()
    assert not check_internal_links(hrefs, served)
    assert not v.problems, "\n".join(v.problems)


def test_next_and_previous_walk_through_the_lessons(served, visit):
    v = visit(urljoin(served, f"docs/{LESSONS[0]}.html"))
    page = v.page
    for following in LESSONS[1:]:
        page.locator("a.right-next").first.click()
        page.wait_for_load_state("load")
        assert urlparse(page.url).path.endswith(f"docs/{following}.html"), page.url
    for earlier in reversed(LESSONS[:-1]):
        page.locator("a.left-prev").first.click()
        page.wait_for_load_state("load")
        assert urlparse(page.url).path.endswith(f"docs/{earlier}.html"), page.url
    assert not v.problems, "\n".join(v.problems)


def test_landing_page_cards_lead_to_every_lesson(served, visit):
    v = visit(served)
    page = v.page
    cards = page.locator(".sd-card")
    assert cards.count() >= len(LESSONS)
    thumbnails = page.locator(".sd-card img.sd-card-img-top")
    assert thumbnails.count() == len(LESSONS), "one thumbnail per lesson card"
    assert not v.broken_images, v.broken_images
    targets = {urlparse(h).path.rsplit("/", 1)[-1] for h in v.hrefs()}
    assert {f"{lesson}.html" for lesson in LESSONS} <= targets
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "index.png"), full_page=True)
    assert not check_internal_links(v.hrefs(), served)
    assert not v.problems, "\n".join(v.problems)


def test_search_works_offline(served, visit):
    v = visit(urljoin(served, "search.html?q=discriminator"))
    results = v.page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=30_000)
    found = v.page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.href)")
    assert any(re.search(r"docs/12_1_\d_\w+\.html", href) for href in found), found[:5]
    assert not v.problems, "\n".join(v.problems)


def test_every_page_of_the_site_links_only_to_pages_that_exist(site, served):
    """No broken internal link anywhere (API reference, setup, build report, examples)."""
    from test_site import Resources

    hrefs = []
    for page in site.html.rglob("*.html"):
        relative = page.relative_to(site.html).as_posix()
        parser = Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        hrefs += [urljoin(urljoin(served, relative), url) for tag, attr, url in parser.urls if tag == "a"]
    assert len(hrefs) > 500
    broken = check_internal_links(hrefs, served)
    assert not broken, "\n".join(broken[:20])
