"""Lesson 12.1.5 (Stabilizing Training) says only what its scripts do.

* Every number the lesson reports from a run is a verbatim quote of what the docs preset
  prints.  :data:`PROSE_CLAIMS` lists each quote with the run that prints it; the slow
  test runs each script once (shared through ``script_run``) and checks that the quote
  is both in the lesson and in the script's output.
* The fast tests need no training: every quote is still in the lesson, every
  expected-output block is one of the checked quotes, the settings the prose states
  (the presets' steps and learning rates, the monitor's thresholds, warm-up and
  schedule, the ring, the scoring, the numbers derived from printed ones) are the code's, every figure the lesson shows is one its script draws with a caption
  naming the docs preset, every download and example link points at a gallery script,
  every literalinclude still finds its code, every trick the docs preset tries appears
  in the lesson's table, and every flag the lesson mentions exists.
* The ablation's docs preset leaves the three mode-collapse fixes to ``mode_collapse.py``
  (lesson 12.1.6), which adds them to the same baseline; the lesson quotes their rows
  from that script's output.
"""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, script_path
from lesson_checks import (
    block,
    check_defined_nowhere_else,
    check_downloads_and_example_links,
    check_expected_outputs_are_quotes,
    check_figure_is_drawn,
    check_flags_exist,
    check_literalincludes,
    check_quote_is_in_lesson,
    check_quote_is_printed,
    claim_id,
    defined_references,
    constants,
    normalised,
    one_line,
    section,
    shown_figures,
)

LESSON = ROOT / "docs" / "12_1_5_stabilizing_training.rst"
DOCS = ("--preset", "docs")

TABLE = (
    "run                 modes  high quality  monitor",
    "baseline             0/8           0.0%  g_collapsing",
    "label_smoothing      0/8           0.1%  g_collapsing",
    "noisy_labels         1/8           1.1%  g_collapsing",
    "instance_noise       0/8           0.0%  g_collapsing",
    "spectral_norm        0/8           0.0%  g_collapsing",
    "ttur                 5/8          18.8%  healthy",
    "feature_matching     5/8          13.4%  healthy",
    "gradient_clipping    0/8           0.0%  g_collapsing, d_failing",
)

# lesson 12.1.6's rows for the three fixes the docs ablation leaves out (Concept 5)
FIX_ROWS = (
    "ours: minibatch_std                 8       93.0         25       91.4",
    "ours: unrolled                      8       93.6          -          -",
    "ours: pack                          0        2.6          -          -",
)

HEALTHY_REPORT = (
    "healthy (minibatch std): 8/8 modes, 92.9% high quality",
    "  last check: D(x) = 0.51, D(G(z)) = 0.49, G's spread = 0.99 x the data's",
    "  healthy: no warning sign",
)
BASELINE_REPORT = (
    "fragile baseline: 0/8 modes, 0.0% high quality",
    "  last check: D(x) = 0.53, D(G(z)) = 0.48, G's spread = 0.11 x the data's",
    "  step   375: G collapsing: its samples cover a small part of the data's spread (seen at 32 of 40 checks)",
)
MINIMAX_REPORT = (
    "minimax, G 100x slower: 0/8 modes, 0.0% high quality",
    "  last check: D(x) = 1.00, D(G(z)) = 0.00, G's spread = 0.05 x the data's",
    "  step   375: D too confident: it tells real from fake almost perfectly, G's gradients fade (seen at 36 of 40 checks)",
    "  step   375: G collapsing: its samples cover a small part of the data's spread (seen at 36 of 40 checks)",
)


PROSE_CLAIMS = [
    # (script, its arguments, text quoted verbatim in the lesson and printed by the run)
    # -- Quick Start: the ablation table, in full and row by row (rows are quoted in prose)
    ("stabilization", DOCS, block(*TABLE)),
    *[("stabilization", DOCS, row) for row in TABLE[1:]],
    ("stabilization", DOCS, "best: ttur (5/8 modes, 18.8% high quality)"),
    ("stabilization", DOCS, "preset=docs target=ring steps=2000 batch_size=128 lr=0.002"),
    # -- Concept 5: the three mode-collapse fixes on the same baseline, from lesson 12.1.6
    *[("mode_collapse", DOCS, row) for row in FIX_ROWS],
    # -- Concept 7: the monitor's three reports, in full
    ("training_monitor", DOCS, block(*HEALTHY_REPORT)),
    ("training_monitor", DOCS, block(*BASELINE_REPORT)),
    ("training_monitor", DOCS, block(*MINIMAX_REPORT)),
    # -- Concept 7 and Exercises 2 and 4: pieces of the reports quoted in prose
    ("training_monitor", DOCS, "D(x) = 0.51, D(G(z)) = 0.49"),
    ("training_monitor", DOCS, "G's spread = 0.99 x the data's"),
    ("training_monitor", DOCS, "D(x) = 0.53, D(G(z)) = 0.48"),
    ("training_monitor", DOCS, "G's spread = 0.11 x the data's"),
    ("training_monitor", DOCS, "32 of 40 checks"),
    ("training_monitor", DOCS, "D(x) = 1.00, D(G(z)) = 0.00"),
    ("training_monitor", DOCS, "36 of 40 checks"),
    ("training_monitor", DOCS, "G's spread = 0.05 x the data's"),
    ("training_monitor", DOCS, "seen at 32 of 40 checks"),
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


def test_expected_output_blocks_are_checked_claims():
    """Every expected-output block of the lesson is, in full, one of the checked quotes."""
    # the Quick Start table and the monitor's three reports
    check_expected_outputs_are_quotes(LESSON, [quoted for _, _, quoted in PROSE_CLAIMS], exactly=4)


def test_quick_start_shows_the_first_script():
    quick = section(lesson_text(), "Quick Start", "Core Concepts")
    first = re.search(r"literalinclude:: /gallery/12_1_5_stabilizing_training/(\w+)\.py", quick)
    assert first and first.group(1) == "stabilization"
    assert "``python stabilization.py --preset docs``" in quick
    assert normalised(block(*TABLE)) in normalised(quick)


def test_the_table_lists_every_trick_the_script_tries():
    """The ablation table of the lesson has one row per trick the docs preset tries, in
    the order of the script's TRICKS constant, which (the full preset) holds all ten
    tricks of modules.tricks; the three the docs preset leaves out are the fixes whose
    rows the lesson quotes from mode_collapse.py."""
    from modules.tricks import TRICKS as KNOWN

    source = script_path("stabilization").read_text(encoding="utf-8")
    full = re.search(r'^TRICKS = "([^"]+)"$', source, re.M).group(1).split(",")
    assert set(full) == set(KNOWN) and len(full) == 10
    docs = constants("stabilization")["DOCS_PRESET"]["tricks"]
    assert [row.split()[0] for row in TABLE[2:]] == docs == [name for name in full if name in docs]
    left_out = [name for name in full if name not in docs]
    assert sorted(left_out) == ["minibatch_std", "pack", "unrolled"]
    assert sorted(row.split()[1] for row in FIX_ROWS) == sorted(left_out)
    assert set(left_out) <= set(constants("mode_collapse")["DOCS_PRESET"]["fixes"])


def test_stated_settings_are_the_codes():
    """The settings the prose states: the presets' steps and learning rates (the
    ablation's docs preset 2,000 steps at 2e-3, the monitor's 3,000 at 1e-3, both full
    presets 6,000 at 1e-3), the baseline recipe, the ring, the scoring, the tricks'
    parameters and the monitor's thresholds, warm-up and schedule."""
    import inspect

    from modules.data import ring_of_gaussians, grid_of_gaussians
    from modules.metrics import mode_coverage
    from modules.monitor import HealthMonitor
    from modules.toy2d import EVAL_SAMPLES, ToyRecipe
    from modules.tricks import GradientClipping, LabelSmoothing, NoisyLabels, TTUR, UnrolledDiscriminator

    stabilization = script_path("stabilization").read_text(encoding="utf-8")
    assert (
        'DOCS_PRESET = {"steps": 2000, "lr": 2e-3, "tricks": ["label_smoothing", "noisy_labels", "instance_noise", '
        '"spectral_norm", "ttur", "feature_matching", "gradient_clipping"]}'
    ) in stabilization
    monitor_source = script_path("training_monitor").read_text(encoding="utf-8")
    assert 'DOCS_PRESET = {"steps": 3000}' in monitor_source
    assert "G_SLOWDOWN = 100.0" in monitor_source
    for script in ("stabilization", "training_monitor"):
        values = constants(script)
        assert (values["STEPS"], values["LR"], values["BATCH_SIZE"], values["SEED"]) == (6000, 1e-3, 128, 0)
    docs_lr = constants("stabilization")["DOCS_PRESET"]["lr"]
    assert docs_lr == 2 * ToyRecipe().lr
    recipe = ToyRecipe()
    assert (recipe.loss, recipe.lr, recipe.batch_size, recipe.lr_decay, recipe.pack, recipe.unroll_steps) == (
        "non_saturating", 1e-3, 128, "linear", 4, 3
    )
    assert recipe.batch_size // recipe.pack == 32
    ring = ring_of_gaussians()
    assert ring.num_modes == 8 and ring.std == 0.02 and abs(ring.centres[0][0] - 2.0) < 1e-12
    grid = grid_of_gaussians()
    assert grid.num_modes == 25 and grid.std == 0.05
    assert EVAL_SAMPLES == 2500
    params = inspect.signature(mode_coverage).parameters
    assert params["threshold"].default == 3.0 and params["min_count"].default == 20
    assert LabelSmoothing().real_target == 0.9 and NoisyLabels().flip == 0.05
    assert (TTUR().lr_d, TTUR().lr_g) == (4e-4, 1e-4)
    assert GradientClipping().max_norm == 1.0 and UnrolledDiscriminator().steps == 3
    monitor = HealthMonitor()
    assert (monitor.confident, monitor.margin, monitor.collapse_ratio, monitor.warmup) == (0.9, 0.1, 0.3, 0.1)
    # 40 checks per run, a check every steps // 40 steps, judged after the warm-up
    toy2d = (ROOT / "modules" / "toy2d.py").read_text(encoding="utf-8")
    assert "monitor = HealthMonitor(every=max(1, recipe.steps // 40), window=max(1, recipe.steps // 40))" in toy2d
    for steps, every, warmup, first_judged in ((2000, 50, 200, 250), (3000, 75, 300, 375), (4000, 100, 400, 500)):
        assert steps // 40 == every and int(monitor.warmup * steps) == warmup
        assert min(s for s in range(every, steps + 1, every) if s > warmup) == first_judged
    # TTUR's own rates against the docs baseline's 2e-3: "D's five times and G's twenty times below"
    assert (round(docs_lr / TTUR().lr_d), round(docs_lr / TTUR().lr_g)) == (5, 20)
    text = one_line(lesson_text())
    for stated in (
        "the full preset trains each run for 6,000 generator steps",
        "2,000 generator steps at twice the learning rate, 2e-3 for both players, still decaying linearly to zero",
        "3,000 generator steps at the baseline recipe's own learning rate, 1e-3",
        "the ablation's docs preset trains 2,000 steps at 2e-3",
        "checked every 50 steps and judged from step 250 on",
        "2,000 steps at 2e-3 in the ablation",
        "full ablation of ``stabilization.py`` (6,000 steps at 1e-3)",
        "2e-3 for both players in the docs preset, 1e-3 in the full one",
        "d's is five times and g's twenty times below",
        "a check every 75 steps and a warm-up of 300 steps",
        "step 375 is the first judged check",
        "checks are every 100 steps and the warm-up covers the first 400",
        "at which any sign can be first seen is 500",
        "d(x) above 0.9 while d(g(z)) is below 0.1",
        "d(g(z)) above d(x) + 0.1",
        "below 0.3 times the data's",
        "first 10% of the planned run",
        "4e-4 for d and 1e-4 for g",
        "radius 2, standard deviation 0.02",
        "25 modes on a 5x5 square, each with standard deviation 0.05",
        "at least 20 of the 2,500 scored samples",
        "(32 packs of four)",
    ):
        assert stated in text, f"the lesson no longer states {stated!r}"


def test_mode_collapse_adds_its_fixes_to_this_baseline():
    """Concept 5: ``mode_collapse.py``'s docs-preset ring run is this ablation's docs
    baseline ("the ring, 2,000 steps, batches of 128, learning rate 2e-3 decaying
    linearly to zero, seed 0"), and each fix is added to it alone, as here."""
    mine, theirs = constants("stabilization"), constants("mode_collapse")
    docs, their_docs = mine["DOCS_PRESET"], theirs["DOCS_PRESET"]
    assert (their_docs["ring_steps"], their_docs["ring_lr"]) == (docs["steps"], docs["lr"]) == (2000, 2e-3)
    assert theirs["RING_BATCH_SIZE"] == mine["BATCH_SIZE"] == 128 and theirs["SEED"] == mine["SEED"] == 0
    assert "ring_batch_size" not in their_docs and "batch_size" not in docs
    source = script_path("mode_collapse").read_text(encoding="utf-8")
    assert 'ring = ToyRecipe(target="ring", steps=args.ring_steps, batch_size=args.ring_batch_size, lr=args.ring_lr, seed=args.seed)' in source
    assert "replace(base, tricks=(fix,))" in source
    assert "replace(baseline, tricks=(name,))" in script_path("stabilization").read_text(encoding="utf-8")
    assert "the ring, 2,000 steps, batches of 128, learning rate 2e-3 decaying linearly to zero, seed 0" in one_line(lesson_text())


def test_numbers_derived_from_printed_ones():
    """Numbers the prose works out from the table rather than quoting them."""
    text = one_line(lesson_text())
    rows = {row.split()[0]: row.split() for row in TABLE[1:]}
    # noisy labels: 1.1% of 2,500 samples is fewer than 30, more than 20
    share = float(rows["noisy_labels"][2].rstrip("%"))
    assert 20 < (share + 0.05) / 100 * 2500 < 30
    assert "fewer than 30 of 2,500, just above the 20 a covered mode needs" in text
    # TTUR and feature matching: fewer than one in five near a mode, three modes missed
    for name in ("ttur", "feature_matching"):
        assert float(rows[name][2].rstrip("%")) < 20 and rows[name][1] == "5/8"
    assert "fewer than one in five is close to one, and three of the eight modes" in text
    assert "fewer than one sample in five is close to a mode" in text
    # the table's first line lists the seven tricks; the run trains eight GANs
    assert len(TABLE) - 1 == 8 and "trains eight small gans (the baseline and one per trick; eleven in the full preset)" in text


def test_every_figure_shown_is_drawn_by_its_script():
    refs = shown_figures(lesson_text())
    assert {(script, label) for _, script, label in refs} == {
        ("stabilization", "ablation"),
        ("stabilization", "ablation_samples"),
        ("training_monitor", "monitor"),
    }
    for folder, script, label in refs:
        caption = check_figure_is_drawn(LESSON, folder, script, label, own_folder="12_1_5_stabilizing_training")
        assert f"python {script}.py --preset docs" in caption
        assert ":alt:" in caption


def test_downloads_and_example_links_point_at_gallery_scripts():
    check_downloads_and_example_links(LESSON, own=["stabilization", "training_monitor"])


def test_every_literalinclude_still_finds_its_code():
    """Each included file exists, each ``:pyobject:`` is defined in it, and each
    ``:start-at:`` / ``:end-at:`` string occurs in it (so the shown code cannot silently
    vanish when the source changes)."""
    check_literalincludes(LESSON, at_least=15)


def test_every_flag_the_lesson_mentions_exists():
    check_flags_exist(
        LESSON,
        ("stabilization", "training_monitor"),
        must_mention=("--tricks", "--steps", "--g-slowdown", "--target", "--preset"),
    )


def test_trick_flag_values_in_the_lesson_are_known_tricks():
    """Every ``--tricks a,b`` and every ``tricks=(...)`` the lesson suggests names tricks
    that exist."""
    from modules.tricks import TRICKS as KNOWN

    text = lesson_text()
    named = [n for group in re.findall(r"--tricks ([\w,]+)", text) for n in group.split(",")]
    named += re.findall(r'"(\w+)"', " ".join(re.findall(r"tricks=\(([^)]*)\)", text)))
    assert named
    for name in named:
        assert name in KNOWN, f"the lesson suggests an unknown trick {name!r}"


def test_new_citations_are_defined_once_and_only_here():
    """The reference labels this lesson defines are not defined by any other page."""
    mine = defined_references(lesson_text())
    assert {"Miyato2018SN", "Heusel2017", "Sonderby2017", "Pascanu2013", "Lin2018"} <= mine
    check_defined_nowhere_else(LESSON, mine)
