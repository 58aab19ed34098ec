"""Every lesson says only what its scripts do: the checks all lessons share.

Each test runs once per lesson of ``lesson_specs.LESSONS`` (its id is the lesson's
name), fed by that lesson's specification.  No number from a run is pasted into a
lesson: the build pulls the scripts' printed lines (``.. build-output::``) and recorded
values (``:result:``) into the pages (``test_build_quotes.py`` checks them in the
built site), and the sentences that interpret them rest on the quality gates of
``tests/lesson_gates/``.  These tests need no training: every result a lesson shows is
one its script records, every output block shows a script of the lesson (and selects
lines it writes), every decimal left in the prose is a known setting, the Quick Start
shows the first script, every figure is drawn by its script with a caption naming the
docs preset, every download and example link points at a gallery script, every flag
mentioned exists, every ``literalinclude`` finds its code, the references are
accounted for and the page has the course's format.  What only one lesson claims is
checked in its ``test_lesson_claims_<lesson>.py``.
"""

from __future__ import annotations

import re

import pytest

from lesson_checks import (
    FLAG,
    check_course_format,
    check_decimals_are_checked,
    check_downloads_and_example_links,
    check_figure_is_drawn,
    check_flags_exist,
    check_literalincludes,
    check_references,
    expected_output_blocks,
    has_flag,
    help_texts,
    one_line,
    prints,
    read,
    records,
    scripts_named,
    section,
    shown_figures,
)
from lesson_specs import LESSONS

ROLE = re.compile(r":result:`(\w+)\.(\w+)`")
BUILD_OUTPUT = re.compile(r"^(\s*)\.\. build-output:: (\S+)\n((?:\1   :[\w-]+:.*\n)*)", re.M)
MARKERS = ("start-at", "start-after", "end-at", "end-before")
COMMAND = re.compile(r"python (\w+)\.py((?: --?[\w-]+(?: [\w.,]+)?)*)")
DODGES = (
    "run it and see", "run them and see", "see what your machine shows", "run it and read", "read your own",
    "for you to find out",
)


def each(lessons=LESSONS):
    return pytest.mark.parametrize("lesson", lessons, ids=str)


def build_outputs(text: str) -> list[tuple[str, dict[str, str]]]:
    """``(script, options)`` of every ``build-output`` directive, in order."""
    return [
        (script, dict(re.findall(r":([\w-]+):\s*(.*)", options)))
        for _, script, options in BUILD_OUTPUT.findall(text)
    ]


# --------------------------------------------------------------------------------------
# Numbers come from the build
# --------------------------------------------------------------------------------------
@each()
def test_no_pasted_output(lesson):
    text = read(lesson.path)
    assert ":class: expected-output" not in text and not expected_output_blocks(text)


@each()
def test_build_outputs_show_the_lessons_scripts(lesson):
    blocks = build_outputs(read(lesson.path))
    assert len(blocks) >= lesson.min_outputs, f"{lesson} shows {len(blocks)} build outputs"
    for script, _ in blocks:
        assert script in lesson.scripts + lesson.borrowed_outputs, f"{lesson} shows the output of {script}.py"


@each([lesson for lesson in LESSONS if lesson.markers_printed])
def test_build_outputs_select_lines_the_scripts_write(lesson):
    """Each line a build-output starts or ends at is one its script writes (a string or
    an f-string of it, its fields filled in), so the build cannot fail on a vanished
    line."""
    for script, options in build_outputs(read(lesson.path)):
        for key in MARKERS:
            if key in options:
                assert prints(script, options[key]), f"{script}.py writes nothing like {options[key]!r}"
        if "grep" in options and re.fullmatch(r"\^[\w ]+", options["grep"]):  # a plain line start
            assert prints(script, options["grep"][1:]), f"{script}.py writes no line starting {options['grep']!r}"


@each()
def test_no_decimal_but_known_settings(lesson):
    check_decimals_are_checked(lesson.path, [], lesson.decimals)


@each()
def test_results_shown_are_recorded_by_the_scripts(lesson):
    """Each ``:result:`` names a value its script records (the build fails on a missing
    one; this finds it without a build)."""
    roles = ROLE.findall(read(lesson.path))
    assert len(roles) >= lesson.min_results, f"{lesson} shows {len(roles)} results"
    for script, name in roles:
        assert script in lesson.scripts, f"{lesson} quotes {script}, a script of another lesson"
        assert records(script, name), f"{script}.py records no {name!r}"


@each()
def test_results_are_shown_outside_inline_literals(lesson):
    for literal in re.findall(r"``[^`]*``", read(lesson.path)):
        assert ":result:" not in literal, literal


@each()
def test_quick_start_shows_the_first_script(lesson):
    quick = section(read(lesson.path), "Quick Start", "Core Concepts")
    first = re.search(rf"literalinclude:: /gallery/{lesson.stem}/(\w+)\.py", quick)
    assert first and first.group(1) == lesson.quick_start
    assert f".. build-output:: {lesson.quick_start}" in quick
    if lesson.quick_start_command:
        assert f"python {lesson.quick_start}.py --preset docs" in quick


# --------------------------------------------------------------------------------------
# Figures, links, flags, included code
# --------------------------------------------------------------------------------------
@each()
def test_every_figure_shown_is_drawn_by_its_script(lesson):
    refs = shown_figures(read(lesson.path), animations=True)
    assert {(script, label) for _, script, label in refs} == lesson.figures
    assert len(refs) == len(lesson.figures), "a figure is shown twice"
    for folder, script, label in refs:
        caption = check_figure_is_drawn(
            lesson.path, folder, script, label, own_folder=lesson.stem, caption=label not in lesson.captionless
        )
        if caption is None:
            continue
        assert ":alt:" in caption, f"{script}-{label} has no alt text"
        if lesson.caption_command:
            assert f"python {script}.py --preset docs" in caption, f"the caption of {label} names no command"


@each()
def test_downloads_and_example_links_point_at_gallery_scripts(lesson):
    scripts = check_downloads_and_example_links(lesson.path)
    assert set(scripts) <= set(lesson.scripts), f"{lesson} quotes none of {sorted(set(scripts) - set(lesson.scripts))}"


@each()
def test_every_flag_the_lesson_mentions_exists(lesson):
    """Every flag the lesson mentions is one of its scripts', and every command line it
    shows runs the script it names with flags that script has."""
    text = read(lesson.path)
    if lesson.named_scripts is not None:
        assert scripts_named(text) == sorted(lesson.named_scripts)
    helps = check_flags_exist(lesson.path, lesson.flag_scripts, must_mention=lesson.must_mention)
    commands = COMMAND.findall(text)
    helps |= help_texts({script for script, _ in commands} - set(helps))
    for script, flags in commands:
        for flag in FLAG.findall(flags):
            assert has_flag(helps[script], flag), f"{script}.py has no {flag}"


@each()
def test_literalincludes_find_what_they_include(lesson):
    includes = check_literalincludes(lesson.path, at_least=lesson.min_includes)
    targets = {target for target, _ in includes}
    assert lesson.include_targets <= targets, sorted(lesson.include_targets - targets)
    objects = {re.search(r":pyobject:\s*(\S+)", options)[1] for _, options in includes if ":pyobject:" in options}
    assert lesson.include_objects <= objects, sorted(lesson.include_objects - objects)


# --------------------------------------------------------------------------------------
# References, format, answers
# --------------------------------------------------------------------------------------
@each()
def test_references_are_accounted_for(lesson):
    """The lesson defines its own references (and no other page does), cites each, and
    cites nothing else but references other pages define."""
    check_references(lesson.path, lesson.references, lesson.cited_from_elsewhere)


@each()
def test_course_format(lesson):
    text = read(lesson.path)
    duration = lesson.duration or re.search(r"^:Duration: (.*)$", text, re.M).group(1)
    check_course_format(lesson.path, lesson.label, duration, lesson.level, lesson.dropdowns)


@each([lesson for lesson in LESSONS if lesson.answers_answer])
def test_answers_answer(lesson):
    """An answer gives the answer (from the build's numbers, or in words backed by a gate
    or a test); it does not send the student off to find out."""
    text = one_line(read(lesson.path))
    for dodge in DODGES:
        assert dodge not in text, dodge
