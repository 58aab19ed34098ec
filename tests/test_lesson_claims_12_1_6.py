"""Lesson 12.1.6 (mode collapse) says only what its script, and the scripts it quotes, do.

* Every number the lesson reports from a run is a verbatim quote of what a docs-preset
  run prints.  :data:`PROSE_CLAIMS` lists each quote with the run that prints it; the
  slow test runs each script once (shared through ``script_run``) and checks that the
  quote is both in the lesson and in the script's output.
* The fast tests need no training: every quote is still in the lesson, every
  expected-output block is one of the checked quotes, the published numbers the lesson
  shows are the ones in the script's ``PUBLISHED`` table, the presets the captions name
  are the script's presets, every figure the lesson shows is one the script draws,
  every download and example link points at a gallery script, and every flag the
  lesson mentions exists.
"""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, script_path
from lesson_checks import (
    block,
    check_downloads_and_example_links,
    check_expected_outputs_are_quotes,
    check_figure_is_drawn,
    check_flags_exist,
    check_quote_is_in_lesson,
    check_quote_is_printed,
    claim_id,
    constants,
    expected_output_blocks,
    normalised,
    one_line,
    scripts_named,
    section,
    shown_figures,
)

LESSON = ROOT / "docs" / "12_1_6_mode_collapse.rst"
DOCS = ("--preset", "docs")


TABLE = block(
    "                                       ring of 8            grid of 25",
    "                                modes       HQ %      modes       HQ %",
    "published: GAN                    1.0       99.3        3.3        0.5",
    "published: Unrolled GAN           7.6       35.6       23.6       16.0",
    "published: VEEGAN                 8.0       52.9       24.6       40.0",
    "ours: vanilla                       0        0.0         17       45.8",
    "ours: minibatch_std                 8       93.0         25       91.4",
    "ours: pack                          0        2.6          -          -",
    "ours: unrolled                      8       93.6          -          -",
)
TARGET = "fixes meeting the target (8/8 ring, >=24/25 grid, >=90% high quality on both): minibatch_std"

PROSE_CLAIMS = [
    # (script, its arguments, text quoted verbatim in the lesson and printed by the run)
    # -- Quick Start: the comparison table
    ("mode_collapse", DOCS, TABLE),
    # -- Concept 6 and Exercise 2: the target
    ("mode_collapse", DOCS, TARGET),
    # -- Exercise 1: the budget and the plain GAN's row
    ("mode_collapse", DOCS, "preset=docs ring: 2000 steps, batch 128, lr 0.002; grid: 6000 steps, batch 128, lr 0.0015"),
    ("mode_collapse", DOCS, "ours: vanilla                       0        0.0         17       45.8"),
    # -- Exercises 2 and 5: the fixes' rows
    ("mode_collapse", DOCS, "ours: minibatch_std                 8       93.0         25       91.4"),
    ("mode_collapse", DOCS, "ours: unrolled                      8       93.6          -          -"),
    ("mode_collapse", DOCS, "ours: pack                          0        2.6          -          -"),
    # -- Concept 3: the health monitor on the same plain GAN (lesson 12.1.5's script)
    ("training_monitor", DOCS, "last check: D(x) = 0.53, D(G(z)) = 0.48, G's spread = 0.11 x the data's"),
    (
        "training_monitor",
        DOCS,
        "step   375: G collapsing: its samples cover a small part of the data's spread (seen at 32 of 40 checks)",
    ),
    # -- Exercise 5: lesson 12.1.5's ablation, and its monitor on the minibatch std
    ("stabilization", DOCS, "label_smoothing      0/8           0.1%  g_collapsing"),
    ("stabilization", DOCS, "baseline             0/8           0.0%  g_collapsing"),
    ("training_monitor", DOCS, "healthy: no warning sign"),
]

# Numbers the prose states from a run without quoting a whole line: (text in the lesson,
# the printed substring it restates).  Each must be a substring of a quoted line.
PROSE_NUMBERS = [
    ("at 0 modes and 0.0% HQ", "0        0.0"),
    ("0 modes and 0.0% HQ on the ring", "0        0.0"),
    ("covers 17 of the 25 modes with 45.8% HQ", "17       45.8"),
    ("reads 17 modes with 45.8% HQ", "17       45.8"),
    ("covers 17 of the 25 with 45.8% HQ", "17       45.8"),
    ("more than the 17 grid modes of the docs run", "17       45.8"),
    ("covers 8/8 and 25/25 with 93.0% and 91.4% HQ", "8       93.0         25       91.4"),
]


def lesson_text() -> str:
    return LESSON.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------
# The slow check: the quotes are what the scripts print
# --------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("script,args,quoted", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_lesson_quotes_what_the_script_prints(script_run, script, args, quoted):
    check_quote_is_printed(script_run, LESSON, script, args, quoted)


# --------------------------------------------------------------------------------------
# Fast checks of the lesson side
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("script,args,quoted", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_claims_are_quoted_in_the_lesson(script, args, quoted):
    check_quote_is_in_lesson(LESSON, script, quoted)


@pytest.mark.parametrize("said,printed", PROSE_NUMBERS)
def test_numbers_in_the_prose_restate_quoted_lines(said, printed):
    text = " ".join(lesson_text().split())
    assert said in text, f"{LESSON.name} no longer says {said!r}"
    quoted_lines = [q for s, _, q in PROSE_CLAIMS if s == "mode_collapse"]
    assert any(printed in q for q in quoted_lines), f"{printed!r} is not part of a checked quote"
    for number in re.findall(r"\d+\.\d", said):
        assert number in printed
    for number in re.findall(r"\b(\d+) (?:of the 25|modes|grid modes)\b", said):
        assert number in printed.split()


def test_numbers_derived_from_printed_ones():
    """Numbers the prose works out from the table rather than quoting them: the plain
    GAN's grid row leaves 25 - 17 = 8 modes uncovered, less than half of its samples
    are high quality, and the minibatch std's HQ shares are both above 90%."""
    vanilla = TABLE.split("ours: vanilla")[1].split()[:4]
    assert 25 - int(vanilla[2]) == 8 and float(vanilla[3]) < 50
    text = one_line(lesson_text())
    assert "less than half of the samples count (the row reads 17 modes with 45.8% hq), and 8 of the 25 modes" in text
    fix = TABLE.split("ours: minibatch_std")[1].split()[:4]
    assert float(fix[1]) > 90 and float(fix[3]) > 90
    assert "covers everything on both targets with more than 90% of its samples on a mode" in text


def test_expected_output_blocks_are_checked_claims():
    """Every expected-output block of the lesson is, in full, one of the checked quotes."""
    check_expected_outputs_are_quotes(LESSON, [quoted for _, _, quoted in PROSE_CLAIMS], at_least=2)


def test_quick_start_output_has_no_blank_line():
    """The site test compares the Quick Start's expected output up to its first blank line."""
    quick = section(lesson_text(), "Quick Start", "Core Concepts")
    found = expected_output_blocks(quick)
    assert found and normalised(found[0]) == normalised(TABLE)
    assert "literalinclude:: /gallery/12_1_6_mode_collapse/mode_collapse.py" in quick


def published_table() -> dict[str, tuple[tuple[float, float], tuple[float, float]]]:
    """The script's ``PUBLISHED`` dict, read from its source (no training)."""
    values = constants("mode_collapse")
    assert "PUBLISHED" in values, "mode_collapse.py defines no PUBLISHED table"
    return values["PUBLISHED"]


def test_published_numbers_in_the_lesson_are_the_scripts():
    """The published rows the lesson shows are exactly the script's PUBLISHED table,
    formatted as the script prints them, and no other published row appears."""
    published = published_table()
    assert set(published) == {"GAN", "Unrolled GAN", "VEEGAN"}
    text = lesson_text()
    for name, (ring, grid) in published.items():
        row = f"{'published: ' + name:<28}{ring[0]:>9.1f}{ring[1]:>11.1f}{grid[0]:>11.1f}{grid[1]:>11.1f}"
        assert row in text, f"the lesson does not show the script's row {row!r}"
    rows = re.findall(r"^\s*published: (.+?)\s{2,}[\d.]+", text, re.M)
    assert sorted(rows) == sorted(published), rows


# Published numbers the prose restates: (text in the lesson, method, target, column)
PUBLISHED_IN_PROSE = [
    ("sits on one ring mode with 99.3% HQ", "GAN", 0, 1),
    ("covers 3.3 modes with 0.5% HQ", "GAN", 1, 0),
    ("covers 3.3 modes with 0.5% HQ", "GAN", 1, 1),
    ("the published GAN's 3.3 modes with 0.5% HQ", "GAN", 1, 0),
    ("the published GAN's 3.3 modes with 0.5% HQ", "GAN", 1, 1),
]


@pytest.mark.parametrize("said,method,target,column", PUBLISHED_IN_PROSE)
def test_published_numbers_in_the_prose_are_the_scripts(said, method, target, column):
    assert said in " ".join(lesson_text().split())
    value = published_table()[method][target][column]
    assert f"{value:.1f}" in said


def test_lesson_states_the_docs_preset_it_shows():
    """The captions and the prose name the presets the script really has."""
    source = script_path("mode_collapse").read_text(encoding="utf-8")
    assert (
        'DOCS_PRESET = {"ring_steps": 2000, "ring_lr": 2e-3, "grid_steps": 6000, "grid_batch_size": 128, "grid_lr": 1.5e-3, '
        '"fixes": ["minibatch_std", "pack", "unrolled"], "grid_fixes": ["minibatch_std"]}'
    ) in source
    assert "RING_BATCH_SIZE = 128" in source and "GRID_BATCH_SIZE = 256" in source
    assert "RING_STEPS = 6000" in source and "GRID_STEPS = 16000" in source
    assert "RING_LR = 1e-3" in source and "GRID_LR = 1e-3" in source
    assert 'grid = ToyRecipe(target="grid", steps=args.grid_steps, batch_size=args.grid_batch_size, lr=args.grid_lr, seed=args.seed)' in source
    docs = constants("mode_collapse")["DOCS_PRESET"]
    assert docs["grid_steps"] == 3 * docs["ring_steps"]  # "three times as many steps"
    text = one_line(lesson_text())
    assert "docs preset: ring of 8, 2,000 generator steps, batches of 128, learning rate 2e-3" in text
    assert "docs preset: grid of 25, 6,000 generator steps, batches of 128, learning rate 1.5e-3" in text
    assert "trains the ring for 6,000 steps and the grid for 16,000 (batches of 256), both at learning rate 1e-3" in text
    assert "6,000 steps on the ring, 16,000 on the grid with batches of 256) at learning rate 1e-3 on both targets" in text
    assert "the grid gets three times as many steps" in text


def test_lesson_states_the_targets_and_rules_of_the_code():
    """Radius, spacing and widths of the two targets and the coverage rules, as coded."""
    from modules.data import toy_target
    from modules.metrics import mode_coverage
    from modules.toy2d import EVAL_SAMPLES
    import inspect

    ring, grid = toy_target("ring"), toy_target("grid")
    assert ring.num_modes == 8 and ring.std == 0.02
    assert max(abs(x) for c in ring.centres for x in c) == pytest.approx(2.0)
    assert grid.num_modes == 25 and grid.std == 0.05
    assert sorted({x for x, _ in grid.centres}) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    defaults = inspect.signature(mode_coverage).parameters
    assert defaults["threshold"].default == 3.0 and defaults["min_count"].default == 20
    assert EVAL_SAMPLES == 2500
    text = one_line(lesson_text())
    for said in (
        "circle of radius 2, each with standard deviation 0.02",
        "centres at -4, -2, 0, 2 and 4 along each axis, each with standard deviation 0.05",
        "within 3 standard deviations of the nearest mode centre: within 0.06 of a ring centre, within 0.15 of a grid centre",
        "at least 20 high-quality samples are nearest to it",
        "the 2,500 samples of g that the course scores per run",
    ):
        assert said in text, said


def test_the_ring_run_is_lesson_12_1_5s_baseline():
    """Exercise 5 quotes stabilization.py about "the plain GAN of this lesson's ring run
    (the same recipe: 2,000 steps at learning rate 2e-3)": in the docs presets the two
    are the same recipe, and in the full presets too.  Concept 3 and Exercise 5 quote
    training_monitor.py about "the same recipe, but for 3,000 steps at learning rate
    1e-3": its baseline recipe is the same, only its docs preset's budget differs."""
    mode_collapse = script_path("mode_collapse").read_text(encoding="utf-8")
    assert 'ring = ToyRecipe(target="ring", steps=args.ring_steps, batch_size=args.ring_batch_size, lr=args.ring_lr, seed=args.seed)' in mode_collapse
    assert "replace(base, tricks=(fix,))" in mode_collapse
    mine = constants("mode_collapse")
    for name in ("training_monitor", "stabilization"):
        source = script_path(name).read_text(encoding="utf-8")
        assert "baseline = ToyRecipe(target=args.target, steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed)" in source
        theirs = constants(name)
        assert theirs["TARGET"] == "ring" and theirs["BATCH_SIZE"] == mine["RING_BATCH_SIZE"] == 128
        assert theirs["SEED"] == mine["SEED"] == 0
        # full presets: the same runs
        assert (theirs["STEPS"], theirs["LR"]) == (mine["RING_STEPS"], mine["RING_LR"]) == (6000, 1e-3)
    docs = mine["DOCS_PRESET"]
    stabilization = constants("stabilization")["DOCS_PRESET"]
    assert (stabilization["steps"], stabilization["lr"]) == (docs["ring_steps"], docs["ring_lr"]) == (2000, 2e-3)
    assert "replace(baseline, tricks=(name,))" in script_path("stabilization").read_text(encoding="utf-8")
    assert constants("training_monitor")["DOCS_PRESET"] == {"steps": 3000}
    assert 'replace(baseline, tricks=("minibatch_std",))' in script_path("training_monitor").read_text(encoding="utf-8")
    text = one_line(lesson_text())
    assert "the plain gan of this lesson's ring run (the same recipe: 2,000 steps at learning rate 2e-3)" in text
    assert "the same recipe as this lesson's ring run, but for 3,000 steps at learning rate 1e-3" in text
    assert "the same trick on the same recipe, trained for 3,000 steps at learning rate 1e-3" in text


def test_unrolled_is_described_as_first_order():
    from modules.tricks import UnrolledDiscriminator

    assert "first-order" in UnrolledDiscriminator.__doc__
    assert UnrolledDiscriminator().steps == 3
    text = one_line(lesson_text()).replace("*", "")
    assert "cheap, first-order variant, not the paper's full one" in text
    assert "the second part of the gradient above is dropped" in text


def test_every_figure_shown_is_drawn_by_the_script():
    refs = shown_figures(lesson_text())
    labels = sorted(label for _, _, label in refs)
    assert labels == ["fixes_grid", "fixes_ring", "vanilla_grid", "vanilla_ring"]
    for folder, script, label in refs:
        # fixes_ring and fixes_grid are drawn as label=f"fixes_{name}" in a loop over both
        check_figure_is_drawn(LESSON, folder, script, label, own_folder=LESSON.stem, loop_over=("ring", "grid"))


def test_downloads_and_example_links_point_at_gallery_scripts():
    check_downloads_and_example_links(LESSON, own=["mode_collapse"])


def test_every_flag_the_lesson_mentions_exists():
    assert scripts_named(lesson_text()) == ["mode_collapse"]
    check_flags_exist(LESSON, must_mention=("--save-samples", "--grid-fixes", "--ring-lr", "--grid-lr"))


def test_fix_names_in_the_lesson_are_known_fixes():
    """Every fix name the lesson passes to --fixes / --grid-fixes exists."""
    from modules.tricks import TRICKS

    known = {*TRICKS, "wgan_gp"}
    for names in re.findall(r"--(?:grid-)?fixes (\S+)", lesson_text()):
        for name in names.split(","):
            assert name in known, name
