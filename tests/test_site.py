"""The whole site, built the way the README says (``make html``), from a clean gallery.

One build per test session: every lesson script is executed, warnings are errors.  The
build shares the session's model cache with the script runs of the other tests (the
cache is keyed by the recipe and the source of ``modules/``, so a cached model is the
one the build would have trained); ``make html`` on its own starts from an empty one.
The tests then look at what a reader gets.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from course import LESSON_SCRIPTS, ROOT, blocked_requests, git_status, make, no_network_env, printed_lines, text_of
from modules.storage.results import load_script_results

pytestmark = pytest.mark.slow

LESSONS = sorted((ROOT / "docs").glob("12_1_*.rst"))  # one gallery folder per lesson, same name
NAMED_FIGURE = re.compile(r"^\s*\.\.\s+figure::\s+/(\S+/images/named/(\S+\.png))\s*$", re.M)
ANIMATION = re.compile(r"^\s*:file:\s+(\S+/images/named/(\S+\.html))\s*$", re.M)
by_lesson = pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])


def gallery_out(lesson: Path) -> Path:
    return ROOT / "auto_examples" / lesson.stem


def scripts_of(lesson: Path) -> list[str]:
    return sorted(p.stem for p in (ROOT / "gallery" / lesson.stem).glob("*.py"))


def html_page(html: Path, lesson: Path) -> Path:
    return html / "docs" / f"{lesson.stem}.html"

class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and attrs.get("src"):
            self.imgs.append(attrs["src"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def parse(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def test_build_succeeds_with_warnings_as_errors(site):
    html, proc = site.html, site.proc
    assert (html / "index.html").is_file()
    assert "-W" in proc.stdout  # the Makefile really passes -W
    assert "build succeeded" in proc.stdout


def test_build_leaves_git_status_unchanged(site):
    before, after = site.git_before, site.git_after
    assert after == before, f"the build changed the working tree:\n{after}"


def test_lessons_and_galleries_match():
    assert len(LESSONS) >= 3
    for lesson in LESSONS:
        assert scripts_of(lesson), f"{lesson.name} has no gallery folder gallery/{lesson.stem}/ with scripts"


@by_lesson
def test_every_lesson_script_was_executed(site, lesson):
    for script in scripts_of(lesson):
        rst = (gallery_out(lesson) / f"{script}.rst").read_text(encoding="utf-8")
        assert "sphx-glr-script-out" in rst, f"{script}.py shows no executed output"
        assert "preset=docs" in rst or "the docs preset of" in rst, f"{script}.py did not run with the docs preset"


@by_lesson
def test_lesson_figures_exist_and_are_shown(site, lesson):
    html = site.html
    refs = NAMED_FIGURE.findall(lesson.read_text(encoding="utf-8"))
    assert len(refs) >= 2, "a lesson shows the figures its scripts draw"
    page = parse(html_page(html, lesson))
    shown = {Path(src).name for src in page.imgs}
    for path, name in refs:
        produced = ROOT / path
        assert produced.is_file() and produced.stat().st_size > 5000, f"{path} missing or tiny"
        assert name in shown, f"{name} is not shown on the lesson page"
        copied = html / "_images" / name
        assert copied.is_file() and copied.read_bytes() == produced.read_bytes()


def test_animation_is_embedded_in_the_lesson(site):
    """The DCGAN lesson plays the latent walk from JavaScript frames (no video file)."""
    html = site.html
    lesson = ROOT / "docs" / "12_1_2_dcgan.rst"
    refs = ANIMATION.findall(lesson.read_text(encoding="utf-8"))
    assert refs, "the DCGAN lesson embeds no animation"
    page = html_page(html, lesson).read_text(encoding="utf-8")
    for path, _ in refs:
        produced = (lesson.parent / path).resolve()
        assert produced.is_file() and "Animation" in produced.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64") >= 10, "the page holds no animation frames"


@by_lesson
def test_named_figures_are_the_numbered_ones(site, lesson):
    """Each named figure is a byte copy of one of the figures on the script's example page."""
    out = gallery_out(lesson)
    named_files = list((out / "images" / "named").glob("*.png"))
    assert named_files
    for named in named_files:
        script = named.stem.split("-")[0]
        numbered = sorted((out / "images").glob(f"sphx_glr_{script}_[0-9][0-9][0-9].png"))
        assert any(n.read_bytes() == named.read_bytes() for n in numbered), named.name


class Images(HTMLParser):
    """Every ``<img>`` of a page: its source, and its width as the page gives it (an
    attribute or an inline style)."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and attrs.get("src"):
            style = re.search(r"width:\s*([0-9.]+(?:px|%))", attrs.get("style") or "")
            self.images.append((attrs["src"], attrs.get("width") or (style.group(1) if style else "")))


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@by_lesson
def test_figures_are_drawn_for_high_density_screens(site, lesson):
    """Every figure a script drew is at 200 dpi and shown at half its pixels (or at a
    share of the column), on the lesson page and on the example pages; none is drawn
    narrower than 4.5 inches."""
    html = site.html
    out = gallery_out(lesson)
    for named in (out / "images" / "named").glob("*.png"):
        width, height = png_size(named)
        assert width >= 900, f"{named.name} is {width} px wide: drawn at {width / 200:.1f} in, too small to read"
    pages = [html_page(html, lesson)] + [html / "auto_examples" / lesson.stem / f"{s}.html" for s in scripts_of(lesson)]
    checked = 0
    for page in pages:
        parser = Images()
        parser.feed(page.read_text(encoding="utf-8"))
        for src, shown in parser.images:
            if "/_images/" not in "/" + src or "thumb" in src or not src.endswith(".png"):
                continue
            file = (page.parent / src).resolve()
            pixels = png_size(file)[0]
            assert shown, f"{page.name}: {src} has no width, so it is shown at its full pixel size"
            if shown.endswith("px"):
                assert float(shown[:-2]) == pixels // 2, f"{page.name}: {src} is {pixels} px shown at {shown}"
            checked += 1
    assert checked >= 2 * len(scripts_of(lesson))


@by_lesson
def test_each_script_picks_a_readable_thumbnail(site, lesson):
    """Each script names the figure of its gallery thumbnail; it is not a wide strip."""
    out = gallery_out(lesson)
    for script in scripts_of(lesson):
        text = (ROOT / "gallery" / lesson.stem / f"{script}.py").read_text(encoding="utf-8")
        match = re.search(r"^# sphinx_gallery_thumbnail_number = (\d+)$", text, re.M)
        assert match, f"{script}.py picks no thumbnail (# sphinx_gallery_thumbnail_number = N)"
        figure = out / "images" / f"sphx_glr_{script}_{int(match.group(1)):03d}.png"
        width, height = png_size(figure)
        assert width <= 3 * height, f"{script}'s thumbnail figure is {width}x{height}: a strip is unreadable as a thumbnail"
        assert (out / "images" / "thumb" / f"sphx_glr_{script}_thumb.png").is_file()


@by_lesson
def test_lesson_links_scripts_and_example_pages(site, lesson):
    html = site.html
    page_path = html_page(html, lesson)
    page = parse(page_path)
    for script in scripts_of(lesson):
        downloads = [h for h in page.hrefs if "_downloads/" in h and h.endswith(f"/{script}.py")]
        assert downloads, f"no download link for {script}.py"
        target = (page_path.parent / downloads[0]).resolve()
        assert target.is_file() and target.read_text() == next(ROOT.glob(f"gallery/*/{script}.py")).read_text()
        examples = [h for h in page.hrefs if h.split("#")[0].endswith(f"auto_examples/{lesson.stem}/{script}.html")]
        assert examples, f"no link to the example page of {script}.py"
        example = (page_path.parent / examples[0].split("#")[0]).resolve()
        assert example.is_file()
        example_links = parse(example).hrefs
        assert any(h.endswith(f"{script}.ipynb") for h in example_links), "example page offers no notebook"
        assert any(h.endswith(f"{script}.py") for h in example_links)


@by_lesson
def test_quick_start_shows_what_its_code_printed_in_this_build(site, lesson):
    """The Quick Start shows code from a script and, below it, that script's output in
    this build (a ``build-output`` block; ``test_build_quotes.py`` checks its lines)."""
    text = lesson.read_text(encoding="utf-8")
    quick = text.split("Quick Start", 1)[1].split("Core Concepts", 1)[0]
    script = re.search(r"literalinclude:: /gallery/[^/]+/(\w+)\.py", quick)
    assert script, "the Quick Start shows code from a script"
    shown = re.findall(r"\.\. build-output:: (\w+)", quick.split(script.group(0), 1)[1])
    assert script.group(1) in shown, "below the code, the Quick Start shows what that script printed"
    assert (gallery_out(lesson) / f"{script.group(1)}.rst").is_file()


@by_lesson
def test_lesson_page_has_the_seed_format(site, lesson):
    html = site.html
    text = html_page(html, lesson).read_text(encoding="utf-8")
    for heading in (
        "Overview", "Learning Objectives", "Quick Start", "Core Concepts", "Hands-On Exercises",
        "Summary", "Key Takeaways", "Common Pitfalls", "References",
    ):
        assert heading in text, heading
    assert text.count("sd-dropdown") >= 3  # the answers are in dropdowns
    assert "Duration" in text and "Level" in text


def test_math_is_rendered_by_a_local_mathjax(site):
    """The formulas of a lesson render without a network: MathJax ships with the site."""
    html = site.html
    page_path = html_page(html, LESSONS[0])
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', page_path.read_text(encoding="utf-8"))
    assert scripts and all("://" not in s for s in scripts), scripts
    assert all((page_path.parent / s).resolve().is_file() for s in scripts)


def test_landing_page_cards_show_each_lesson_s_own_figure(site):
    """One card per lesson, in order, with a thumbnail the lesson itself shows."""
    text = (ROOT / "index.rst").read_text(encoding="utf-8")
    cards = re.findall(r"grid-item-card:: (12\.1\.\d+) .*?:link: (\S+).*?:img-top: (\S+)", text, re.S)
    assert [c[0] for c in cards] == [f"12.1.{i}" for i in range(1, len(LESSONS) + 1)]
    page = parse(site.html / "index.html")
    for (number, label, image), lesson in zip(cards, LESSONS):
        lesson_text = lesson.read_text(encoding="utf-8")
        assert f".. _{label}:" in lesson_text, f"card {number} does not lead to {lesson.name}"
        assert f".. figure:: /{image}" in lesson_text, f"the thumbnail of {number} is not a figure of its lesson"
        name = Path(image).name
        assert name in {Path(src).name for src in page.imgs}
        assert (site.html / "_images" / name).read_bytes() == (ROOT / image).read_bytes()


def test_build_makes_no_network_request(site):
    """The build ran with networking switched off for every Python process (see
    tests/netguard/sitecustomize.py) and never tried to reach another machine."""
    blocked = blocked_requests(site.netlog)
    assert not blocked, "the build tried to use the network:\n" + "\n".join(blocked[:5])


def test_network_guard_blocks_requests(tmp_path):
    """The guard the build runs under really blocks (else the test above proves nothing)."""
    log = tmp_path / "net.log"
    code = (
        "import urllib.request\n"
        "try:\n    urllib.request.urlopen('https://pypi.org/simple/', timeout=5)\n"
        "except OSError as e:\n    print('refused', e)\n"
    )
    env = {**os.environ, **no_network_env(log)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60).stdout
    assert "refused" in out and "network disabled" in out
    assert any("pypi.org" in line for line in blocked_requests(log))


class Resources(HTMLParser):
    """Every URL a page links to or loads, by (tag, attribute)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.urls.append((tag, name, value))


def test_site_uses_relative_links_and_loads_nothing_from_elsewhere(site):
    """The site works from any URL prefix (no root-absolute links) and offline (no
    script, style sheet or image from another host)."""
    pages = sorted(site.html.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        parser = Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        for tag, attr, url in parser.urls:
            where = f"{page.relative_to(site.html)}: <{tag} {attr}={url!r}>"
            assert not url.startswith("/"), f"root-absolute or protocol-relative: {where}"
            assert not url.startswith("file:"), where
            if tag != "a" and url.startswith(("http://", "https://")):
                raise AssertionError(f"loaded from another host: {where}")


class TableRows(HTMLParser):
    """The text of each cell of each table row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_build_report_lists_every_script_and_the_total_time(site):
    page = (site.html / "docs" / "build_report.html").read_text(encoding="utf-8")
    scripts = sorted(p.stem for p in (ROOT / "gallery").glob("*/*.py"))
    table = TableRows()
    table.feed(page)
    rows = [r for r in table.rows[1:] if len(r) == 3]
    assert sorted(r[0] for r in rows) == [f"{s}.py" for s in scripts], rows
    seconds = [float(r[2]) for r in rows]
    assert all(s > 0 for s in seconds) and seconds == sorted(seconds, reverse=True)
    summary = re.search(r"executed (\d+) scripts in ([\d.]+) s", page)
    assert summary and int(summary.group(1)) == len(scripts)
    assert abs(float(summary.group(2)) - sum(seconds)) <= 0.05 * len(scripts) + 0.01  # rows are rounded
    total = re.search(r'class="course-build-total">(\d+) s \(', page)
    assert total, "the total build time was not filled in"
    assert sum(seconds) * 0.9 <= int(total.group(1)) <= site.seconds + 1
    # the scripts that ran in a second process while lesson 12.1.1 ran, with their seconds
    import conf

    text = " ".join(text_of(page).split())
    for name in conf.course_background_scripts:
        script = Path(name).name
        said = re.search(rf"{re.escape(script)} (trained its model|found its model in the cache) in a second process in ([\d.]+)\s+s", text)
        waited = re.search(r"the gallery waited ([\d.]+) s for the second process", text)
        if f"{script} needed no second process in this build" in text:  # a rebuild, its models cached
            assert not said
            continue
        assert said and waited, f"the Build report does not say how long {script} ran in the background"
        assert 0 < float(said.group(2)) <= int(total.group(1)) and float(waited.group(1)) <= float(said.group(2))


def decoded_figures(html: Path) -> dict[str, "np.ndarray"]:
    """Every PNG of a built site, decoded to pixels: the images pages show (``_images``)
    and the frames of the animations embedded in the pages."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    def pixels(data: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))

    figures = {f"_images/{p.name}": pixels(p.read_bytes()) for p in sorted((html / "_images").glob("*.png"))}
    for page in sorted(html.rglob("*.html")):
        # matplotlib's player writes each frame's base64 as lines ending in a backslash
        frames = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=\\\n]+)", page.read_text(encoding="utf-8"))
        for i, frame in enumerate(frames):
            figures[f"{page.relative_to(html)}#frame{i}"] = pixels(base64.b64decode(re.sub(r"[\\\n]", "", frame)))
    return figures


def test_two_builds_draw_identical_figures(site, tmp_path):
    """A second clean build (every script executed again, reusing the models the first
    one cached) draws every figure with the same pixels: sampling, metrics and plots are
    seeded.  (That training itself repeats is what the quality-gate tests check: they
    retrain the docs runs and find the numbers the lessons quote, which came from
    earlier builds.)  Runs after the other tests that read the gallery, before the
    no-plot build that removes it."""
    import numpy as np

    first = decoded_figures(site.html)
    proc = make("html", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    second = decoded_figures(tmp_path / "html")
    assert len(first) > 100 and sorted(first) == sorted(second)
    differ = [name for name in first if first[name].shape != second[name].shape or not np.array_equal(first[name], second[name])]
    assert not differ, f"{len(differ)} of {len(first)} figures differ between two builds: {differ[:10]}"
    # ...and every script printed and recorded the same: what a page quotes does not
    # depend on whether the build trained a model or loaded it from the cache
    scripts = [path.stem for path in LESSON_SCRIPTS]
    printed_differ = [s for s in scripts if printed_lines(site.html, s) != printed_lines(tmp_path / "html", s)]
    assert not printed_differ, f"printed differently when loaded from the cache: {printed_differ}"
    records_differ = [s for s in scripts if load_script_results(s, site.results) != load_script_results(s, tmp_path / "results")]
    assert not records_differ, f"recorded differently when loaded from the cache: {records_differ}"
    assert git_status() == site.git_before


def test_noplot_build_works_without_executing(site, tmp_path):
    """``make html-noplot`` runs no script, yet builds with -W: every figure a lesson
    refers to gets a placeholder.  It runs right after the session's executed build,
    whose example pages (which report running times) it must not mistake for its own.
    Runs last: it replaces the executed gallery."""
    proc = make("html-noplot", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "no examples were executed" in proc.stdout
    for lesson in LESSONS:
        text = lesson.read_text(encoding="utf-8")
        for path, name in NAMED_FIGURE.findall(text):
            assert (ROOT / path).is_file(), f"no placeholder for {name}"
            assert (tmp_path / "html-noplot" / "_images" / name).is_file()
        for path, _ in ANIMATION.findall(text):
            assert (lesson.parent / path).resolve().is_file(), f"no placeholder for {path}"
        assert not list((gallery_out(lesson) / "images").glob("sphx_glr_*_001.png"))  # nothing executed
