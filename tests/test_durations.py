"""Each lesson's stated Duration is a realistic time to read it and do its exercises.

The estimate: reading at 150 words a minute (technical prose with formulas, code and
figures to look at) plus 10 minutes an exercise (run the docs preset, read its output
and figures, change a setting, run it again).  The stated range must contain the
estimate, give or take 10%, and the landing page's card must state the same range.
"""

from __future__ import annotations

import re

import pytest

from course import ROOT

LESSONS = sorted((ROOT / "docs").glob("12_1_*.rst"))
WORDS_PER_MINUTE = 150
MINUTES_PER_EXERCISE = 10
DURATION = re.compile(r"^:Duration: (\d+(?:\.\d+)?)-(\d+(?:\.\d+)?) (minutes|hours)$", re.M)


def prose_words(text: str) -> int:
    """Words a reader reads: every line but directive lines and their options."""
    words = 0
    for line in text.split("\nReferences\n==========")[0].splitlines():
        stripped = line.strip()
        if stripped.startswith(".. ") or re.match(r"^:[\w-]+:", stripped):
            continue
        words += len(stripped.split())
    return words


def exercises(text: str) -> int:
    return len(re.findall(r"^Exercise \d+:", text, re.M))


def estimate(text: str) -> float:
    """Minutes to read the lesson and do its exercises."""
    return prose_words(text) / WORDS_PER_MINUTE + MINUTES_PER_EXERCISE * exercises(text)


def stated(text: str) -> tuple[float, float, str]:
    match = DURATION.search(text)
    assert match, "no ':Duration: <low>-<high> minutes|hours' line"
    scale = 60 if match.group(3) == "hours" else 1
    return float(match.group(1)) * scale, float(match.group(2)) * scale, match.group(0).split(": ", 1)[1]


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_duration_is_realistic(lesson):
    text = lesson.read_text(encoding="utf-8")
    low, high, said = stated(text)
    minutes = estimate(text)
    assert exercises(text) >= 3
    assert low * 0.9 <= minutes <= high * 1.1, (
        f"{lesson.name} says {said}; {prose_words(text)} words and {exercises(text)} exercises take about {minutes:.0f} minutes"
    )


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_landing_page_card_states_the_lesson_s_duration(lesson):
    said = stated(lesson.read_text(encoding="utf-8"))[2]
    number = ".".join(lesson.stem.split("_")[:3])  # 12_1_2_dcgan -> 12.1.2
    cards = (ROOT / "index.rst").read_text(encoding="utf-8").split(".. grid-item-card:: ")[1:]
    card = [c for c in cards if c.startswith(f"{number} ")]
    assert len(card) == 1, f"no single landing-page card for {number}"
    assert f"*{said} ·" in card[0], f"the card of {number} does not say {said}"


def test_estimate_counts_words_and_exercises():
    text = "Title\n=====\n\n" + "word " * 300 + "\n\nExercise 1: A\n--\n\nExercise 2: B\n--\n.. figure:: x.png\n   :width: 10\n"
    assert exercises(text) == 2
    assert prose_words(text) == 300 + 1 + 1 + 3 + 3 + 2  # 'Title', '=====', two headings, two underlines
    assert estimate(text) == pytest.approx(prose_words(text) / 150 + 20)
