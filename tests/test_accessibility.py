"""axe-core's serious and critical rules on every lesson, example and landing page.

Each page of the session's site build, served under a URL prefix (``served`` in
conftest.py), is opened in Debian's Chromium by the fixtures of ``test_browser.py``
(Playwright never downloads a browser), and axe-core runs in it once the page has
loaded and MathJax has typeset the formulas.  Any violation axe rates "serious" or
"critical" fails the test, with the page, the rule and the elements it found.  The
rules: all of axe-core's but the WCAG AAA ones, its experimental rules included
(``label-content-name-mismatch`` is one).  axe-core comes bundled with the pip package
``axe-playwright-python`` (its ``axe.min.js``): nothing is downloaded while the tests
run.  The fixes for what axe found live in ``docs/_ext/accessibility.py``.

``test_the_check_reports_a_violation`` proves that the check itself can fail: on a
small page with an image without alternative text, an empty button and a button
whose label is not the text it shows, served on the loopback interface, it reports
all three, and nothing once they are repaired.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from test_browser import EXAMPLES, LESSONS, browser, visit  # noqa: F401 (fixtures; ``served`` is conftest.py's)

pytestmark = pytest.mark.slow

BLOCKING = ("serious", "critical")  # axe-core's impacts that fail a page
PAGES = ["index.html", *(f"docs/{lesson}.html" for lesson in LESSONS), *(f"auto_examples/{example}.html" for example in EXAMPLES)]
# MathJax rewrites the formulas after the page's load event: check what a reader gets
MATHJAX_DONE_JS = """async () => {
    if (![...document.scripts].some(s => /mathjax/i.test(s.src))) return;
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise))
        await new Promise(done => setTimeout(done, 50));
    await MathJax.startup.promise;
}"""
# every rule but the WCAG AAA ones (runOnly by rule id also runs the experimental ones)
AXE_RUN_JS = """() => axe.run(document, {
    runOnly: {type: "rule", values: axe.getRules().filter(r => !r.tags.includes("wcag2aaa")).map(r => r.ruleId)},
    resultTypes: ["violations"],
})"""


def blocking_violations(page) -> list[str]:
    """Run axe-core in ``page``; one readable line per serious or critical violation,
    with the CSS selectors of the elements it found (empty when the page passes)."""
    from axe_playwright_python.base import AXE_SCRIPT  # axe.min.js, as the package ships it

    page.evaluate(MATHJAX_DONE_JS)
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate(AXE_RUN_JS)
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        shown = ", ".join(targets[:8]) + (f", ... ({len(targets)} in all)" if len(targets) > 8 else "")
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -- {shown}  [{violation['helpUrl']}]")
    return found


@pytest.mark.parametrize("path", PAGES)
def test_page_passes_axe_serious_and_critical_rules(served, visit, path):
    found = blocking_violations(visit(urljoin(served, path)).page)
    if found:
        pytest.fail(f"{path}: {len(found)} serious or critical axe-core violations:\n  " + "\n  ".join(found), pytrace=False)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """``directory`` at http://127.0.0.1:<port>/ (loopback only) while the block runs."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


SMALL_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>A paragraph.</p>{body}</main></body></html>
"""


def test_the_check_reports_a_violation(browser, tmp_path):  # noqa: F811 (the fixture)
    """The check fails a page with serious or critical violations and passes a clean one."""
    (tmp_path / "bad.html").write_text(
        SMALL_PAGE.format(
            title="Bad",
            body='<img id="no-alt" src="x.png"><button id="empty" type="button"></button>'
            '<button id="mismatch" type="button" aria-label="Go">Search the course</button>',
        ),
        encoding="utf-8",
    )
    (tmp_path / "good.html").write_text(
        SMALL_PAGE.format(
            title="Good",
            body='<img src="x.png" alt="A grey square"><button type="button">Go</button>'
            '<button type="button" aria-label="Search the course now">Search the course</button>',
        ),
        encoding="utf-8",
    )
    with serve(tmp_path) as url:
        page = browser.new_page()
        try:
            page.goto(urljoin(url, "bad.html"))
            found = blocking_violations(page)
            page.goto(urljoin(url, "good.html"))
            clean = blocking_violations(page)
        finally:
            page.close()
    assert any(line.startswith("image-alt (critical)") and "#no-alt" in line for line in found), found
    assert any(line.startswith("button-name (critical)") and "#empty" in line for line in found), found
    # an experimental rule: the test runs those too
    assert any(line.startswith("label-content-name-mismatch (serious)") and "#mismatch" in line for line in found), found
    assert clean == []
