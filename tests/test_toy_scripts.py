"""Quality gates and bad input for the 2-D scripts of lessons 12.1.4 to 12.1.6.

The toy runs share trained models with each other through the session's model cache.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from course import run_script, run_script_here

DOCS = ("--preset", "docs")
@pytest.mark.slow
def test_gan_losses_runs_every_loss(tmp_path):
    """A short run of every loss: one table row each, the saturation numbers where the
    lesson reads them, and the records the lesson shows (the docs run's claims are
    quality gates on the build's records, ``tests/lesson_gates/lesson_12_1_4.py``)."""
    from modules.game.objective import OBJECTIVES as LOSSES
    from lesson_gates import load_values

    run = run_script("gan_losses", *DOCS, "--steps", "20", env={"GAN_COURSE_RESULTS": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    for name in LOSSES:
        assert re.search(rf"^{name}\s+\d/8\s+[\d.]+%  \w+", run.stdout, re.M), f"no row for {name}"
    # the saturation figure's numbers: the minimax gradient vanishes where D rejects fakes
    low, high = (float(v) for v in re.search(r"^ +minimax: \|gradient\| ([\d.]+) at D\(G\(z\)\) = 0\.01, ([\d.]+) at 0\.99$", run.stdout, re.M).groups())
    assert low < 0.05 and high > 0.95
    records = load_values(tmp_path, "gan_losses")
    assert abs(records["non_saturating_gradient_at_001"] - 0.99) < 0.01 and records["num_modes"] == 8
    for name in LOSSES:
        assert 0 <= records[f"{name}_modes"] <= 8 and 0 <= records[f"{name}_high_quality"] <= 100
        assert len(records[f"{name}_snapshots"]["nearest_mode"]) == len(records[f"{name}_snapshots"]["step"]) > 1


def test_saved_samples_can_be_rescored(tmp_path):
    """``--save-samples`` writes the 2,500 evaluated samples; re-scoring them with
    :func:`~modules.evaluation.metrics.mode_coverage` gives the printed numbers."""
    from modules.data.synthetic import toy_target
    from modules.evaluation.metrics import mode_coverage

    out = tmp_path / "samples.npy"
    run = run_script("gan_losses", *DOCS, "--losses", "lsgan", "--steps", "150", "--save-samples", str(out))
    assert run.returncode == 0, run.stderr
    samples = np.load(out)
    assert samples.shape == (2500, 2) and samples.dtype == np.float32
    ring = toy_target("ring")
    c = mode_coverage(torch.from_numpy(samples), ring.centre_tensor(), ring.std)
    assert re.search(rf"^lsgan\s+{c.modes_covered}/8\s+{100 * c.high_quality:.1f}%", run.stdout, re.M), run.stdout


def test_mode_collapse_saves_the_best_grid_fix(tmp_path):
    """``--save-samples`` writes the best grid fix's 2,500 samples; re-scoring them
    gives a printed grid row, modes by the papers' rule, by the course's and HQ %.
    (Whether a fix meets the lesson's target is a gate on the build's records,
    tests/lesson_gates/lesson_12_1_6.py.)"""
    from modules.data.synthetic import toy_target
    from modules.evaluation.metrics import mode_coverage

    out = tmp_path / "grid.npy"
    args = ("--ring-steps", "40", "--grid-steps", "40", "--fixes", "minibatch_std", "--grid-fixes", "minibatch_std,pack")
    run = run_script("mode_collapse", *DOCS, *args, "--save-samples", str(out))
    assert run.returncode == 0, run.stderr
    samples = np.load(out)
    assert samples.shape == (2500, 2)
    assert "ours: pack" in run.stdout and "ours: minibatch_std" in run.stdout
    grid = toy_target("grid")
    c = mode_coverage(torch.from_numpy(samples), grid.centre_tensor(), grid.std)
    cells = rf"\s+{c.modes_captured}\s+{c.modes_covered}\s+{100 * c.high_quality:.1f}\s*$"
    assert re.search(rf"^ours: (minibatch_std|pack)\s+\d+\s+\d+\s+[\d.]+{cells}", run.stdout, re.M), run.stdout


@pytest.mark.parametrize(
    "script, args, words",
    [
        ("gan_losses", ("--losses", "wasserstein"), ["--losses", "wasserstein", "wgan_gp"]),
        ("gan_losses", ("--n-critic", "0"), ["--n-critic", ">= 1"]),
        ("gan_losses", ("--penalty-weight", "-1"), ["--penalty-weight", ">= 0"]),
        ("gan_losses", ("--target", "moon"), ["--target", "ring"]),
        ("gan_losses", ("--save-samples", "/no/such/folder/x.npy"), ["--save-samples", "does not exist"]),
        ("gan_losses", ("--save-samples", "samples.txt"), ["--save-samples", ".npy"]),
        ("stabilization", ("--tricks", "dropout"), ["--tricks", "dropout", "spectral_norm"]),
        ("stabilization", ("--save-samples", "/no/such/folder/x.npy"), ["does not exist"]),
        ("stabilization", ("--tricks", "pack", "--batch-size", "6"), ["batch size 6", "pack size 4"]),
        ("mode_collapse", ("--grid-fixes", "pack", "--grid-batch-size", "6"), ["batch size 6", "pack size 4"]),
        ("training_monitor", ("--g-slowdown", "0"), ["--g-slowdown", "positive"]),
        ("mode_collapse", ("--grid-fixes", "magic"), ["--grid-fixes", "magic"]),
        ("mode_collapse", ("--save-samples", "/no/such/folder/x.npy"), ["does not exist"]),
        ("mode_collapse", ("--grid-steps", "0"), ["--grid-steps"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(script, args, words):
    run = run_script_here(script, *DOCS, *args)
    assert run.returncode == 2, (run.returncode, run.stderr[-500:])
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_bad_input_in_a_fresh_interpreter():
    """One of the cases above as a student meets it: in a Python process of its own."""
    run = run_script("gan_losses", *DOCS, "--n-critic", "0")
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "--n-critic" in run.stderr and "Traceback" not in run.stderr


def test_trick_that_needs_labels_with_a_score_loss_is_refused():
    """Label smoothing with a hinge loss has nothing to smooth: the trainer refuses the
    combination with one clear sentence instead of training something meaningless."""
    from modules.experiments.toy2d import ToyRecipe, build_toy_gan

    with pytest.raises(ValueError, match="label_smoothing changes D's targets, but the hinge loss has none") as err:
        build_toy_gan(ToyRecipe(loss="hinge", tricks=("label_smoothing",), steps=2))
    assert "\n" not in str(err.value)
