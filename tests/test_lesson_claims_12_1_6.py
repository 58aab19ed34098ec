"""Lesson 12.1.6 (mode collapse) says only what its script, and the code it explains, do.

What every lesson is checked for (no pasted output, results the script records, known
decimals, figures, links, flags, included code, references, format) is in
``test_lesson_claims.py``; the sentences that interpret the build's numbers rest on the
quality gates of ``tests/lesson_gates/lesson_12_1_6.py``.  Here, what only this lesson
claims: the decimals it states are settings, a paper's numbers (the script's
``PUBLISHED`` table) or arithmetic checked here, the two mode rules are attributed as
coded (the papers' one-sample rule and the course's own rule of 20), the rings are
cited with their papers' settings, the presets the captions name are the script's
presets, the ring run is lesson 12.1.5's baseline and the fixes named exist.
"""

from __future__ import annotations

import inspect
import math
import re

import pytest
import torch

from course import ROOT
from lesson_checks import assignments, calls_with, constants, names_used, one_line, script_recipes, string_constants

LESSON = ROOT / "docs" / "12_1_6_mode_collapse.rst"


def lesson_text() -> str:
    return LESSON.read_text(encoding="utf-8")


def published_table() -> dict[str, tuple[tuple[float, float], tuple[float, float]]]:
    """The script's ``PUBLISHED`` dict, read from its source (no training)."""
    values = constants("mode_collapse")
    assert "PUBLISHED" in values, "mode_collapse.py defines no PUBLISHED table"
    return values["PUBLISHED"]


# --------------------------------------------------------------------------------------
# Numbers: settings, the papers' and arithmetic
# --------------------------------------------------------------------------------------
def test_the_decimals_that_are_no_settings_are_checked_here():
    """Besides settings (``lesson_specs``), the prose states the Rayleigh shares of
    Concept 3, checked here, and the published GAN's numbers, the script's
    ``PUBLISHED`` table; the decimals the shared check accepts for them are these."""
    from lesson_specs import BY_STEM

    for r, share in ((3, "98.9"), (2, "86.5"), (1, "39.3")):
        assert f"{100 * (1 - math.exp(-r * r / 2)):.1f}" == share
    published = {f"{v:.1f}" for ring, grid in published_table().values() for v in (*ring, *grid)}
    assert {"99.3", "3.3", "0.5"} <= published
    assert {"98.9", "86.5", "39.3", "99.3", "3.3", "0.5"} <= set(BY_STEM[LESSON.stem].decimals)
    text = one_line(lesson_text())
    for said in ("sits on one ring mode with 99.3% hq", "the published gan captures 3.3 modes with 0.5% hq",
                 "grid_vanilla_verdict` 3.3 modes with 0.5% hq"):
        assert said in text, said


def test_the_lesson_shows_the_scripts_output():
    """Six output blocks at least are mode_collapse.py's (the shared check lets one be
    stabilization.py's)."""
    assert lesson_text().count(".. build-output:: mode_collapse") >= 6


def test_published_numbers_the_prose_restates_are_the_scripts():
    published = published_table()
    assert set(published) == {"GAN", "Unrolled GAN", "VEEGAN"}
    assert published["GAN"] == ((1.0, 99.3), (3.3, 0.5))


# --------------------------------------------------------------------------------------
# The corrections: who uses which rule, and which ring
# --------------------------------------------------------------------------------------
def test_the_papers_rule_and_the_courses_rule_are_both_coded():
    from modules.data.synthetic import toy_target
    from modules.evaluation.metrics import ModeCoverage, mode_coverage, modes_captured

    grid = toy_target("grid")
    centres = grid.centre_tensor()
    # 30 samples on mode 0, 5 on mode 1, 1 on mode 2, 10 far from every mode
    samples = torch.cat([centres[0].repeat(30, 1), centres[1].repeat(5, 1), centres[2].repeat(1, 1), torch.full((10, 2), 1.0)])
    c = mode_coverage(samples, centres, grid.std)
    assert c.modes_covered == 1  # the course's rule: at least 20 high-quality samples
    assert c.modes_captured == 3  # the papers' rule: at least one
    assert modes_captured(samples, centres, grid.std) == 3 == mode_coverage(samples, centres, grid.std, min_count=1).modes_covered
    assert c.high_quality == pytest.approx(36 / 46)
    assert ModeCoverage(0, 25, 0.0, (0,) * 25, 0).modes_captured == 0
    defaults = inspect.signature(mode_coverage).parameters
    assert defaults["threshold"].default == 3.0 and defaults["min_count"].default == 20
    assert "course's own" in mode_coverage.__doc__ and "VEEGAN" in modes_captured.__doc__ and "PacGAN" in modes_captured.__doc__


def test_the_lesson_attributes_the_rules_correctly():
    text = one_line(lesson_text())
    for said in (
        "a mode is **captured** when it is the nearest mode of at least one high-quality sample",
        "veegan counts a mode once a high-quality sample is nearest to it [srivastava2017]_",
        "pacgan's code counts the modes with a non-zero count of high-quality samples [lin2018]_",
        "a mode is **covered** when at least 20 high-quality samples are nearest to it",
        "this rule is the course's own, not the papers'",
        "the published rows use the papers' rule, so compare them with the \"modes\" column",
    ):
        assert said in text, said
    assert "the 20-sample rule make numbers comparable across papers" not in text
    # the script prints both counts: "modes" by the papers' rule, "20+" by the course's
    assert {"modes_captured", "modes_covered"} <= names_used("mode_collapse") and "20+" in string_constants("mode_collapse")


def test_the_rings_are_cited_with_their_papers_settings():
    from modules.data.synthetic import grid_of_gaussians, ring_of_gaussians, toy_target

    ring, grid = toy_target("ring"), toy_target("grid")
    assert ring.num_modes == 8 and ring.std == 0.02
    assert max(abs(x) for c in ring.centres for x in c) == pytest.approx(2.0)
    assert grid.num_modes == 25 and grid.std == 0.05
    assert sorted({x for x, _ in grid.centres}) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    doc = " ".join(ring_of_gaussians.__doc__.split())
    assert "radius 2 and std 0.02, are the ring of the unrolled-GAN paper (Metz et al., 2017)" in doc
    assert "(Srivastava et al., 2017) and PacGAN (Lin et al., 2018) used radius 1 and std 0.01" in doc
    assert "PacGAN" in grid_of_gaussians.__doc__
    text = one_line(lesson_text())
    for said in (
        "circle of radius 2, each with standard deviation 0.02. that is the ring of the unrolled-gan paper [metz2017]_",
        "veegan [srivastava2017]_ and pacgan [lin2018]_ used a smaller ring, radius 1 with standard deviation 0.01",
        "centres at -4, -2, 0, 2 and 4 along each axis, each with standard deviation 0.05, as in veegan and pacgan",
        "on their smaller ring (radius 1, standard deviation 0.01; concept 1)",
    ):
        assert said in text, said


def test_lesson_states_the_rules_of_the_code():
    from modules.experiments.toy2d import EVAL_SAMPLES

    assert EVAL_SAMPLES == 2500
    text = one_line(lesson_text())
    for said in (
        "within 3 standard deviations of the nearest mode centre: within 0.06 of a ring centre, within 0.15 of a grid centre",
        "the 2,500 samples of g that the course scores per run",
        "raises ``g_collapsing`` when g's spread falls below 0.3 times the data's",
    ):
        assert said in text, said
    from modules.evaluation.monitor import HealthMonitor

    assert HealthMonitor().collapse_ratio == 0.3


# --------------------------------------------------------------------------------------
# Presets, recipes, figures, links and flags
# --------------------------------------------------------------------------------------
def test_lesson_states_the_docs_preset_it_shows():
    """The captions and the prose name the presets the script really has."""
    values = constants("mode_collapse")
    docs = values["DOCS_PRESET"]
    assert docs == {
        "ring_steps": 2000, "ring_lr": 2e-3, "grid_steps": 6000, "grid_batch_size": 128, "grid_lr": 1.5e-3,
        "fixes": ["minibatch_std", "pack", "unrolled"], "grid_fixes": ["minibatch_std"],
    }
    assert (values["RING_BATCH_SIZE"], values["GRID_BATCH_SIZE"]) == (128, 256)
    assert (values["RING_STEPS"], values["GRID_STEPS"]) == (6000, 16000)
    assert (values["RING_LR"], values["GRID_LR"]) == (1e-3, 1e-3)
    from modules.experiments.toy2d import ToyRecipe

    grid = script_recipes("mode_collapse", ToyRecipe, prefix="grid")
    assert grid["docs"] == ToyRecipe(target="grid", steps=6000, batch_size=128, lr=1.5e-3, seed=0)
    assert grid["full"] == ToyRecipe(target="grid", steps=16000, batch_size=256, lr=1e-3, seed=0)
    assert docs["grid_steps"] == 3 * docs["ring_steps"]  # "three times as many steps"
    text = one_line(lesson_text())
    assert "docs preset: ring of 8, 2,000 generator steps, batches of 128, learning rate 2e-3" in text
    assert "docs preset: grid of 25, 6,000 generator steps, batches of 128, learning rate 1.5e-3" in text
    assert "trains the ring for 6,000 steps and the grid for 16,000 (batches of 256), both at learning rate 1e-3" in text
    assert "6,000 steps on the ring, 16,000 on the grid with batches of 256) at learning rate 1e-3 on both targets" in text
    assert "the grid gets three times as many steps" in text


def test_the_ring_run_is_lesson_12_1_5s_baseline():
    """Exercise 5 quotes stabilization.py about "the plain GAN of this lesson's ring run
    (the same recipe: 2,000 steps at learning rate 2e-3)": in the docs presets the two
    are the same recipe, and in the full presets too.  Concept 3 and Exercise 5 say
    that training_monitor.py watches the same recipe "for 3,000 steps at learning rate
    1e-3": its baseline recipe is the same, only its docs preset's budget differs."""
    from modules.experiments.toy2d import ToyRecipe

    ring = script_recipes("mode_collapse", ToyRecipe, prefix="ring")
    assert calls_with("mode_collapse", "replace", "base", tricks="(fix,)")
    mine = constants("mode_collapse")
    for name in ("training_monitor", "stabilization"):
        assert assignments(name)["baseline"] == ["args.recipe"], f"{name}.py's baseline is not the recipe its flags describe"
        assert script_recipes(name, ToyRecipe)["full"] == ring["full"]
        theirs = constants(name)
        assert theirs["TARGET"] == "ring" and theirs["BATCH_SIZE"] == mine["RING_BATCH_SIZE"] == 128
        assert theirs["SEED"] == mine["SEED"] == 0
        # full presets: the same runs
        assert (theirs["STEPS"], theirs["LR"]) == (mine["RING_STEPS"], mine["RING_LR"]) == (6000, 1e-3)
    docs = mine["DOCS_PRESET"]
    stabilization = constants("stabilization")["DOCS_PRESET"]
    assert (stabilization["steps"], stabilization["lr"]) == (docs["ring_steps"], docs["ring_lr"]) == (2000, 2e-3)
    assert "label_smoothing" in stabilization["tricks"]  # Exercise 5 shows its row
    assert calls_with("stabilization", "replace", "baseline", tricks="(name,)")
    assert constants("training_monitor")["DOCS_PRESET"] == {"steps": 3000}
    text = one_line(lesson_text())
    assert "the plain gan of this lesson's ring run (the same recipe: 2,000 steps at learning rate 2e-3)" in text
    assert "calls it the \"fragile baseline\" and trains it for 3,000 steps at learning rate 1e-3 in its docs preset" in text
    assert "the same trick on the same recipe, trained for 3,000 steps at learning rate 1e-3" in text


def test_unrolled_is_described_as_first_order():
    from modules.game.tricks import UnrolledDiscriminator

    assert "first-order" in UnrolledDiscriminator.__doc__
    assert UnrolledDiscriminator().steps == 3
    text = one_line(lesson_text()).replace("*", "")
    assert "cheap, first-order variant, not the paper's full one" in text
    assert "the second part of the gradient above is dropped" in text


def test_fix_names_in_the_lesson_are_known_fixes():
    """Every fix name the lesson passes to --fixes / --grid-fixes exists."""
    from modules.game.tricks import TRICKS

    known = {*TRICKS, "wgan_gp"}
    for names in re.findall(r"--(?:grid-)?fixes (\S+)", lesson_text()):
        for name in names.split(","):
            assert name in known, name


def test_variant_gates_use_flags_the_lesson_explains():
    """The exercise answers backed by variant runs use the script's own flags."""
    from lesson_gates.lesson_12_1_6 import GATES

    variants = {gate.args for gate in GATES if gate.args}
    assert ("--fixes", "label_smoothing") in variants
    assert ("--fixes", "pack", "--ring-steps", "6000", "--ring-lr", "1e-3") in variants
    assert (constants("mode_collapse")["RING_STEPS"], constants("mode_collapse")["RING_LR"]) == (6000, 1e-3)
