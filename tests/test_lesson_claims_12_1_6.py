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
    "ours: vanilla                       0        0.0         25       76.8",
    "ours: minibatch_std                 8       92.9         25       94.7",
    "ours: pack                          1        4.0          -          -",
    "ours: unrolled                      8       91.7          -          -",
)
TARGET = "fixes meeting the target (8/8 ring, >=24/25 grid, >=90% high quality on both): minibatch_std"

PROSE_CLAIMS = [
    # (script, its arguments, text quoted verbatim in the lesson and printed by the run)
    # -- Quick Start: the comparison table
    ("mode_collapse", DOCS, TABLE),
    # -- Concept 6 and Exercise 2: the target
    ("mode_collapse", DOCS, TARGET),
    # -- Exercise 1: the budget and the plain GAN's row
    ("mode_collapse", DOCS, "preset=docs ring: 3000 steps, batch 128; grid: 8000 steps, batch 256"),
    ("mode_collapse", DOCS, "ours: vanilla                       0        0.0         25       76.8"),
    # -- Exercise 2: the fixes' rows
    ("mode_collapse", DOCS, "ours: minibatch_std                 8       92.9         25       94.7"),
    ("mode_collapse", DOCS, "ours: unrolled                      8       91.7          -          -"),
    ("mode_collapse", DOCS, "ours: pack                          1        4.0          -          -"),
    # -- Concept 3: the health monitor on the same plain GAN (lesson 12.1.5's script)
    ("training_monitor", DOCS, "last check: D(x) = 0.53, D(G(z)) = 0.48, G's spread = 0.11 x the data's"),
    (
        "training_monitor",
        DOCS,
        "step   375: G collapsing: its samples cover a small part of the data's spread (seen at 32 of 40 checks)",
    ),
    # -- Exercise 5: lesson 12.1.5's ablation
    ("stabilization", DOCS, "label_smoothing      0/8           0.0%  g_collapsing"),
    ("stabilization", DOCS, "minibatch_std        8/8          92.9%  healthy"),
    ("stabilization", DOCS, "baseline             0/8           0.0%  g_collapsing"),
]

# Numbers the prose states from a run without quoting a whole line: (text in the lesson,
# the printed substring it restates).  Each must be a substring of a quoted line.
PROSE_NUMBERS = [
    ("at 0 modes and 0.0% HQ", "0        0.0"),
    ("0 modes and 0.0% HQ on the ring", "0        0.0"),
    ("reads 25 modes with 76.8% HQ", "25       76.8"),
    ("covers 8/8 and 25/25 with 92.9% and 94.7% HQ", "8       92.9         25       94.7"),
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
]


@pytest.mark.parametrize("said,method,target,column", PUBLISHED_IN_PROSE)
def test_published_numbers_in_the_prose_are_the_scripts(said, method, target, column):
    assert said in " ".join(lesson_text().split())
    value = published_table()[method][target][column]
    assert f"{value:.1f}" in said


def test_lesson_states_the_docs_preset_it_shows():
    """The captions and the prose name the docs preset the script really has."""
    source = script_path("mode_collapse").read_text(encoding="utf-8")
    assert (
        'DOCS_PRESET = {"ring_steps": 3000, "grid_steps": 8000, "fixes": ["minibatch_std", "pack", "unrolled"], "grid_fixes": ["minibatch_std"]}'
        in source
    )
    assert "RING_BATCH_SIZE = 128" in source and "GRID_BATCH_SIZE = 256" in source
    assert "RING_STEPS = 6000" in source and "GRID_STEPS = 16000" in source
    text = one_line(lesson_text())
    assert "docs preset: ring of 8, 3,000 generator steps, batches of 128" in text
    assert "docs preset: grid of 25, 8,000 generator steps, batches of 256" in text
    assert "trains the ring for 6,000 steps and the grid for 16,000" in text


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


def test_the_ring_run_is_the_one_lesson_12_1_5_watches():
    """Concept 3 quotes training_monitor.py and Exercise 5 stabilization.py about "the
    same plain GAN": their docs-preset baseline recipe is this lesson's ring run."""
    mode_collapse = script_path("mode_collapse").read_text(encoding="utf-8")
    assert 'ring = ToyRecipe(target="ring", steps=args.ring_steps, batch_size=args.ring_batch_size, lr=args.lr, seed=args.seed)' in mode_collapse
    assert "LR = 1e-3" in mode_collapse and "SEED = 0" in mode_collapse
    for name in ("training_monitor", "stabilization"):
        source = script_path(name).read_text(encoding="utf-8")
        assert "baseline = ToyRecipe(target=args.target, steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed)" in source
        assert 'TARGET = "ring"' in source and "BATCH_SIZE = 128" in source and "LR = 1e-3" in source and "SEED = 0" in source
        assert 'DOCS_PRESET = {"steps": 3000}' in source


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
    check_flags_exist(LESSON, must_mention=("--save-samples", "--grid-fixes"))


def test_fix_names_in_the_lesson_are_known_fixes():
    """Every fix name the lesson passes to --fixes / --grid-fixes exists."""
    from modules.tricks import TRICKS

    known = {*TRICKS, "wgan_gp"}
    for names in re.findall(r"--(?:grid-)?fixes (\S+)", lesson_text()):
        for name in names.split(","):
            assert name in known, name
