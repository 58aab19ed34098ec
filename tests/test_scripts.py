"""The lesson scripts, run through their own entry point as a student runs them.

* quality gates: the docs preset reaches what lesson 12.1.1 promises;
* the numbers quoted in the lesson are the numbers the scripts print;
* bad input ends with one clear line and exit status 2, a diverging run with one line
  and exit status 1; never a traceback.
"""

from __future__ import annotations

import re

import pytest
import torch

from conftest import ROOT, run_script, script_path

LESSON = ROOT / "docs" / "12_1_1_gan_architecture.rst"
FINAL = re.compile(r"^final: mean=(-?\d+\.\d+) std=(\d+\.\d+) ")
CLEAN = re.compile(r"^clean lines: (\d+\.\d)% of 1000 generated samples; patterns covered: (\d+) of 16$")

# --------------------------------------------------------------------------------------
# Quality gates (docs preset)
# --------------------------------------------------------------------------------------
TARGETS = [(4.0, 1.25), (0.0, 1.25), (4.0, 3.0)]


def architecture_args(mean: float, std: float) -> tuple[str, ...]:
    """The arguments for a target; the default target runs exactly as the site build does."""
    args = ("--preset", "docs")
    if mean != 4.0:
        args += ("--data-mean", f"{mean:g}")
    if std != 1.25:
        args += ("--data-stddev", f"{std:g}")
    return args


@pytest.mark.slow
@pytest.mark.parametrize("mean,std", TARGETS)
def test_gan_architecture_matches_target(script_run, mean, std):
    run = script_run("gan_architecture", *architecture_args(mean, std))
    assert run.returncode == 0, run.stderr
    match = FINAL.match(run.last_line())
    assert match, f"last line should report mean= and std=, got {run.last_line()!r}"
    got_mean, got_std = map(float, match.groups())
    assert abs(got_mean - mean) < 0.1, run.last_line()
    assert abs(got_std - std) < 0.1, run.last_line()


@pytest.mark.slow
def test_gan_patterns_draws_clean_lines(script_run):
    run = script_run("gan_patterns", "--preset", "docs")
    assert run.returncode == 0, run.stderr
    match = CLEAN.match(run.last_line())
    assert match, f"unexpected last line {run.last_line()!r}"
    assert float(match.group(1)) >= 90.0, run.last_line()


# --------------------------------------------------------------------------------------
# Numbers in the prose come from the executed scripts
# --------------------------------------------------------------------------------------
DOCS = ("--preset", "docs")
PROSE_CLAIMS = [
    # (script, its arguments, text quoted verbatim in the lesson and printed by the run)
    ("gan_architecture", DOCS, "Generated 100 numbers\n   Mean: 0.32, Std: 0.13"),
    ("gan_architecture", DOCS, "generated mean  4.083"),
    ("gan_architecture", DOCS, "from epoch 300 on"),
    ("gan_architecture", DOCS, "final: mean=3.991 std=1.279"),
    ("gan_architecture", DOCS, "D loss 1.385  G loss 0.693  D(x) 0.50  D(G(z)) 0.50"),
    ("gan_architecture", architecture_args(0.0, 1.25), "final: mean=-0.039 std=1.299"),
    ("gan_architecture", architecture_args(4.0, 3.0), "final: mean=4.085 std=2.999"),
    ("gan_patterns", DOCS, "clean lines: 96.5% of 1000 generated samples; patterns covered: 8 of 16"),
]


@pytest.mark.slow
@pytest.mark.parametrize("script,args,quoted", PROSE_CLAIMS, ids=[c[2].splitlines()[0][:40] for c in PROSE_CLAIMS])
def test_lesson_quotes_what_the_script_prints(script_run, script, args, quoted):
    lesson = LESSON.read_text(encoding="utf-8")
    assert quoted in lesson, f"the lesson no longer quotes {quoted!r}; update PROSE_CLAIMS"
    run = script_run(script, *args)
    assert run.returncode == 0, run.stderr
    printed = "\n".join(line.strip() for line in run.stdout.splitlines())
    expected = "\n".join(line.strip() for line in quoted.splitlines())
    assert expected in printed, f"{script} {' '.join(args)} no longer prints {quoted!r}"


def test_lesson_states_the_docs_preset_it_quotes():
    """The prose says which preset produced its figures and numbers."""
    lesson = LESSON.read_text(encoding="utf-8")
    arch = script_path("gan_architecture").read_text(encoding="utf-8")
    pat = script_path("gan_patterns").read_text(encoding="utf-8")
    assert 'DOCS_PRESET = {"epochs": 400, "batch_size": 2000, "group_size": 500}' in arch
    assert "docs preset: 400 epochs" in lesson and "(500 in the docs preset" in lesson
    assert "EPOCHS = 3000" in pat and 'DOCS_PRESET = {"batch_size": 256}' in pat
    assert "docs preset (3,000 epochs,\n   batches of 256" in lesson


# --------------------------------------------------------------------------------------
# Bad input: one line, exit status 2
# --------------------------------------------------------------------------------------
BAD_INPUT = [
    ("--lr", "-1"),
    ("--epochs", "0"),
    ("--device", "banana"),
    ("--d-steps", "0"),
    ("--g-steps", "zero"),
    ("--preset", "huge"),
    ("--no-such-flag",),
]


def assert_one_line_error(run, status=2):
    assert run.returncode == status, (run.returncode, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{run.stderr}"
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("script", ["gan_architecture", "gan_patterns"])
@pytest.mark.parametrize("bad", BAD_INPUT, ids=[" ".join(b) for b in BAD_INPUT])
def test_bad_input_exits_2_with_one_line(script, bad):
    run = run_script(script, "--preset", "docs", *bad)
    assert_one_line_error(run)
    assert run.stderr.startswith(f"{script}.py: error: ")
    assert run.stdout == ""  # rejected before anything ran


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("script", ["gan_architecture", "gan_patterns"])
def test_cuda_without_cuda_exits_2(script):
    run = run_script(script, "--device", "cuda")
    assert_one_line_error(run)
    assert "CUDA is not available" in run.stderr


def test_batch_not_a_multiple_of_group_exits_2():
    run = run_script("gan_architecture", "--preset", "docs", "--batch-size", "1000", "--group-size", "300")
    assert_one_line_error(run)
    assert "multiple of --group-size" in run.stderr


@pytest.mark.parametrize("script", ["gan_architecture", "gan_patterns"])
def test_diverging_run_stops_with_one_line(script):
    """A learning rate of 1e30 blows the weights up within the first epoch: the script
    stops with a message and status 1 instead of plotting NaNs."""
    run = run_script(script, "--preset", "docs", "--lr", "1e30", "--epochs", "20")
    assert_one_line_error(run, status=1)
    assert "training diverged" in run.stderr and "nan" in run.stderr


@pytest.mark.parametrize("script", ["gan_architecture", "gan_patterns"])
def test_help_lists_the_exercise_flags(script):
    run = run_script(script, "--help")
    assert run.returncode == 0
    for flag in ("--preset", "--lr", "--d-steps", "--g-steps", "--epochs", "--seed", "--device"):
        assert flag in run.stdout
