"""A page shows the numbers of the build that drew its figures, never pasted ones.

* No lesson pastes a script's output: every "expected output" block is a
  ``.. build-output::`` directive, and every number from a run is a ``:result:`` role.
* In the built site, every output block's lines are lines its script printed in that
  same build (read from the example page sphinx-gallery wrote), in order, and every
  ``:result:`` shows the text the script recorded in that build.
"""

from __future__ import annotations

import re

import pytest

from modules.storage.results import load_script_results

from course import ROOT, printed_lines, text_of

LESSONS = sorted((ROOT / "docs").glob("12_1_*.rst"))
OUTPUT_BLOCK = re.compile(r'<div class="expected-output output--(\w+)[^"]*"><div class="highlight"><pre>(.*?)</pre>', re.S)
RESULT = re.compile(r'<span class="course-result result--(\w+?)--(\w+)">(.*?)</span>', re.S)


# what Sphinx's smart quotes make of plain ASCII in running text
TYPOGRAPHY = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "---", "\u2013": "--", "\u2026": "..."}


def plain(text: str) -> str:
    """``text`` with smart quotes and dashes turned back into ASCII."""
    for typographic, ascii_ in TYPOGRAPHY.items():
        text = text.replace(typographic, ascii_)
    return text


def is_subsequence(shown: list[str], lines: list[str]) -> bool:
    """Whether ``shown`` are some of ``lines``, in order.  Leading spaces are not
    compared: the example page's literal blocks drop the indentation common to one
    cell's output, the lesson's block shows the lines as printed."""
    it = iter(line.strip() for line in lines)
    return all(any(line.strip() == other for other in it) for line in shown)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_paste_no_output(lesson):
    text = lesson.read_text(encoding="utf-8")
    assert ":class: expected-output" not in text, f"{lesson.name} pastes output; use .. build-output::"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_output_blocks_are_what_the_build_printed(site, lesson):
    page = (site.html / "docs" / f"{lesson.stem}.html").read_text(encoding="utf-8")
    source = lesson.read_text(encoding="utf-8")
    blocks = OUTPUT_BLOCK.findall(page)
    assert len(blocks) == source.count(".. build-output::"), "every build-output directive is on the page"
    for script, body in blocks:
        shown = text_of(body).rstrip("\n").splitlines()
        assert shown and "shown when the site is built" not in body, f"{script}: a placeholder in a full build"
        assert is_subsequence(shown, printed_lines(site.html, script)), f"{lesson.name} shows lines {script}.py did not print:\n{shown}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_results_are_what_the_build_recorded(site, lesson):
    page = (site.html / "docs" / f"{lesson.stem}.html").read_text(encoding="utf-8")
    source = lesson.read_text(encoding="utf-8")
    shown = RESULT.findall(page)
    assert len(shown) == len(re.findall(r":result:`", source)), "every :result: role is on the page"
    for script, name, text in shown:
        records = load_script_results(script, site.results)
        assert records is not None, f"{script}.py recorded nothing"
        assert name in records, f"{script}.py recorded no {name}"
        assert plain(text_of(text)) == plain(records[name]["text"]), f"{lesson.name}: {script}.{name} shows {text!r}"


def test_comparison_helpers():
    assert is_subsequence(["  b", "d"], ["a", "b", "c", "d"])
    assert not is_subsequence(["d", "b"], ["a", "b", "c", "d"])
    assert not is_subsequence(["b 0.51"], ["b 0.52"])
    assert plain("GAN\u2019s \u2013 x") == "GAN's -- x"


def test_output_selection_picks_lines_and_refuses_missing_ones():
    """The directive's line selection: markers, grep, and an error where nothing matches."""
    import sys

    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    import course_build

    lines = ["a", "step 1: x", "step 2: y", "final: z"]
    assert course_build.select_lines(lines, {"start-at": "step 1", "end-at": "step 2"}) == ["step 1: x", "step 2: y"]
    assert course_build.select_lines(lines, {"grep": r"^step"}) == ["step 1: x", "step 2: y"]
    assert course_build.select_lines(lines, {"start-after": "a", "end-before": "final"}) == ["step 1: x", "step 2: y"]
    with pytest.raises(ValueError):
        course_build.select_lines(lines, {"start-at": "nowhere"})
    with pytest.raises(ValueError):
        course_build.select_lines(lines, {"grep": "nothing"})
