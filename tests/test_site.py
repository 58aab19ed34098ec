"""The whole site, built the way the README says (``make html``), from a clean gallery.

One build per test session (about a minute): every lesson script is executed, warnings
are errors.  The tests then look at what a reader gets.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

LESSON_RST = ROOT / "docs" / "12_1_1_gan_architecture.rst"
NAMED_FIGURE = re.compile(r"^\s*\.\.\s+figure::\s+/(\S+/images/named/(\S+\.png))\s*$", re.M)
GALLERY_OUT = ROOT / "auto_examples" / "12_1_1_gan_architecture"


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def make(target: str, builddir: Path) -> subprocess.CompletedProcess:
    # VPY: build with the interpreter running the tests (the environment make test made)
    return subprocess.run(
        ["make", "--no-print-directory", target, f"BUILDDIR={builddir}", f"VPY={sys.executable}", "BOOTSTRAP="],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """Build the site once; returns (html dir, git status before, git status after, seconds)."""
    builddir = tmp_path_factory.mktemp("build")
    before = git_status()
    start = time.perf_counter()
    proc = make("html", builddir)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, f"make html failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    print(f"\nclean site build: {seconds:.1f} s")
    return builddir / "html", before, git_status(), proc


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


def test_every_lesson_script_was_executed(site):
    for script in ("gan_architecture", "gan_patterns"):
        rst = (GALLERY_OUT / f"{script}.rst").read_text(encoding="utf-8")
        assert "sphx-glr-script-out" in rst, f"{script}.py shows no executed output"
        assert "preset=docs" in rst, f"{script}.py did not run with the docs preset"


def test_lesson_figures_exist_and_are_shown(site):
    html, *_ = site
    refs = NAMED_FIGURE.findall(LESSON_RST.read_text(encoding="utf-8"))
    names = {name for _, name in refs}
    assert {
        "gan_architecture-architecture.png",
        "gan_architecture-training_results.png",
        "gan_patterns-real_vs_generated.png",
    } <= names
    page = parse(html / "docs" / "12_1_1_gan_architecture.html")
    shown = {Path(src).name for src in page.imgs}
    for path, name in refs:
        produced = ROOT / path
        assert produced.is_file() and produced.stat().st_size > 5000, f"{path} missing or tiny"
        assert name in shown, f"{name} is not shown on the lesson page"
        copied = html / "_images" / name
        assert copied.is_file() and copied.read_bytes() == produced.read_bytes()


def test_named_figures_are_the_numbered_ones(site):
    """Each named figure is a byte copy of one of the figures on the script's example page."""
    for named in (GALLERY_OUT / "images" / "named").glob("*.png"):
        script = named.stem.split("-")[0]
        numbered = sorted((GALLERY_OUT / "images").glob(f"sphx_glr_{script}_[0-9][0-9][0-9].png"))
        assert any(n.read_bytes() == named.read_bytes() for n in numbered), named.name


def test_lesson_links_scripts_and_example_pages(site):
    html, *_ = site
    page_path = html / "docs" / "12_1_1_gan_architecture.html"
    page = parse(page_path)
    for script in ("gan_architecture", "gan_patterns"):
        downloads = [h for h in page.hrefs if "_downloads/" in h and h.endswith(f"/{script}.py")]
        assert downloads, f"no download link for {script}.py"
        target = (page_path.parent / downloads[0]).resolve()
        assert target.is_file() and target.read_text() == next(ROOT.glob(f"gallery/*/{script}.py")).read_text()
        examples = [h for h in page.hrefs if h.split("#")[0].endswith(f"auto_examples/12_1_1_gan_architecture/{script}.html")]
        assert examples, f"no link to the example page of {script}.py"
        example = (page_path.parent / examples[0].split("#")[0]).resolve()
        assert example.is_file()
        example_links = parse(example).hrefs
        assert any(h.endswith(f"{script}.ipynb") for h in example_links), "example page offers no notebook"
        assert any(h.endswith(f"{script}.py") for h in example_links)


def test_quick_start_output_is_what_the_build_printed(site):
    """The Quick Start's expected output is the output of the executed script."""
    lesson = LESSON_RST.read_text(encoding="utf-8")
    block = lesson.split("**Expected output**", 1)[1].split("\n\n", 3)
    expected = [line.strip() for line in block[2].splitlines() if line.strip()]
    executed = (GALLERY_OUT / "gan_architecture.rst").read_text(encoding="utf-8")
    for line in expected:
        assert line in executed, f"quick start claims {line!r}, the build printed otherwise"


def test_lesson_page_has_the_seed_format(site):
    html, *_ = site
    text = (html / "docs" / "12_1_1_gan_architecture.html").read_text(encoding="utf-8")
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
    page_path = html / "docs" / "12_1_1_gan_architecture.html"
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
    for path, name in NAMED_FIGURE.findall(LESSON_RST.read_text(encoding="utf-8")):
        assert (ROOT / path).is_file(), f"no placeholder for {name}"
        assert (tmp_path / "html-noplot" / "_images" / name).is_file()
    assert not list((GALLERY_OUT / "images").glob("sphx_glr_*_001.png"))  # nothing executed
