"""The whole site, built the way the README says (``make html``), from a clean gallery.

One build per test session: every lesson script is executed, warnings are errors.  The
build shares the session's model cache with the script runs of the other tests (the
cache is keyed by the recipe and the source of ``modules/``, so a cached model is the
one the build would have trained); ``make html`` on its own starts from an empty one.
The tests then look at what a reader gets.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT, make

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
    html, _, _, proc = site
    assert (html / "index.html").is_file()
    assert "-W" in proc.stdout  # the Makefile really passes -W
    assert "build succeeded" in proc.stdout


def test_build_leaves_git_status_unchanged(site):
    _, before, after, _ = site
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
    html, *_ = site
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
    html, *_ = site
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


@by_lesson
def test_lesson_links_scripts_and_example_pages(site, lesson):
    html, *_ = site
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
def test_quick_start_output_is_what_the_build_printed(site, lesson):
    """The Quick Start's expected output is the output of the executed script (the
    first script the Quick Start includes code from)."""
    text = lesson.read_text(encoding="utf-8")
    quick = text.split("Quick Start", 1)[1].split("Core Concepts", 1)[0]
    script = re.search(r"literalinclude:: /gallery/[^/]+/(\w+)\.py", quick)
    assert script and "**Expected output**" in quick, "the Quick Start shows code and what it prints"
    block = quick.split("**Expected output**", 1)[1].split("\n\n", 3)
    expected = [line.strip() for line in block[2].splitlines() if line.strip()]
    assert expected
    executed = (gallery_out(lesson) / f"{script.group(1)}.rst").read_text(encoding="utf-8")
    for line in expected:
        assert line in executed, f"quick start claims {line!r}, the build printed otherwise"


@by_lesson
def test_lesson_page_has_the_seed_format(site, lesson):
    html, *_ = site
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
    html, *_ = site
    page_path = html_page(html, LESSONS[0])
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', page_path.read_text(encoding="utf-8"))
    assert scripts and all("://" not in s for s in scripts), scripts
    assert all((page_path.parent / s).resolve().is_file() for s in scripts)


def test_noplot_build_works_without_executing(site, tmp_path):
    """``make html-noplot`` runs no script, yet builds with -W: every figure a lesson
    refers to gets a placeholder.  Runs last: it replaces the executed gallery."""
    import shutil

    shutil.rmtree(ROOT / "auto_examples")
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
