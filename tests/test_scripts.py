"""Lesson 12.1.1's scripts, run as a student runs them, and what its page says about them.

* What every lesson is checked for (the page quotes its own build, figures drawn by its
  scripts, downloads, flags, included code, references, format) runs for 12.1.1 in
  ``test_lesson_claims.py``; here, the settings and presets the prose states.  The
  sentences that interpret the runs rest on the gates of
  ``tests/lesson_gates/lesson_12_1_1.py``.
* Corrections (issue 15): forgetting ``.detach()`` crashes exactly when G's step reuses
  D's fakes; vanishing gradients come from the saturating loss, not from G's layers;
  the note on Dev Nag's code describes one version of it.
* Bad input ends with one clear line and exit status 2, a diverging run with one line
  and exit status 1; never a traceback.
"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from course import ROOT, run_script, run_script_here, script_help
from lesson_checks import calls_with, constants, one_line, read, section

LESSON = ROOT / "docs" / "12_1_1_gan_architecture.rst"
SCRIPTS = ("gan_architecture", "gan_patterns")
ARCH = constants("gan_architecture")
PAT = constants("gan_patterns")

# The checks every lesson shares (no pasted output, decimals, recorded results, figures,
# downloads, flags, included code, references, format) run for 12.1.1 too, in
# test_lesson_claims.py, from its entry in lesson_specs.py.


def test_the_settings_the_prose_states_are_the_scripts():
    assert ARCH["DATA_MEAN"] == 4.0 and ARCH["DATA_STDDEV"] == 1.25
    assert calls_with("gan_architecture", "first_epoch_within", tolerance="0.1")  # "within 0.1 of the target"
    from lesson_gates.lesson_12_1_1 import GATES

    assert any("within 0.3" in gate.claim and gate.args for gate in GATES)


def test_lesson_states_the_presets_it_shows():
    """The prose says which preset produced its figures and numbers, and says it right."""
    text = one_line(read(LESSON))
    docs = ARCH["DOCS_PRESET"]
    assert f"docs preset: {docs['epochs']} epochs, seed {ARCH['SEED']}" in text
    assert f"({docs['group_size']} in the docs preset, {ARCH['GROUP_SIZE']:,} in the full one)" in text
    assert f"full preset: {ARCH['EPOCHS']:,} epochs, groups of {ARCH['GROUP_SIZE']:,}" in text
    assert f"the {docs['epochs']}-epoch run shown on this page" in text
    assert docs["batch_size"] // docs["group_size"] == ARCH["BATCH_SIZE"] // ARCH["GROUP_SIZE"] == 4
    assert "batches of four groups" in text and "fresh batches of four groups" in text
    assert f"``d_steps = {ARCH['D_STEPS']}``" in text and f"``g_steps = {ARCH['G_STEPS']}``" in text
    assert ARCH["LEARNING_RATE"] == 5e-3 and "``learning_rate = 5e-3``" in text

    epochs, batch = PAT["DOCS_PRESET"].get("epochs", PAT["EPOCHS"]), PAT["DOCS_PRESET"]["batch_size"]
    assert f"docs preset ({epochs:,} epochs, batches of {batch}, seed {PAT['SEED']})" in text
    assert f"full preset: {PAT['EPOCHS']:,} epochs, batches of {PAT['BATCH_SIZE']}" in text
    assert f"on batches of {batch} images ({PAT['BATCH_SIZE']} in the full preset)" in text
    assert PAT["D_LEARNING_RATE"] * 2 == PAT["LEARNING_RATE"] and "d's learning rate half of g's" in text
    assert (PAT["D_STEPS"], PAT["G_STEPS"]) == (1, 2) and "two g steps per d step" in text


# --------------------------------------------------------------------------------------
# Corrections
# --------------------------------------------------------------------------------------
def tiny_gan(seed: int = 0) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)
    g = nn.Sequential(nn.Linear(1, 4), nn.Tanh(), nn.Linear(4, 1))
    d = nn.Sequential(nn.Linear(1, 4), nn.Tanh(), nn.Linear(4, 1))
    return g, d


BCE = nn.BCEWithLogitsLoss()


def d_loss(d: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return BCE(d(real), torch.ones(len(real), 1)) + BCE(d(fake), torch.zeros(len(fake), 1))


def g_loss(d: nn.Module, fake: torch.Tensor) -> torch.Tensor:
    return BCE(d(fake), torch.ones(len(fake), 1))


def test_forgetting_detach_crashes_when_g_reuses_the_fakes():
    """One fake batch for both updates: without ``.detach()`` D's backward frees G's
    graph and G's backward fails; with it, both updates run."""
    g, d = tiny_gan()
    z, real = torch.randn(8, 1), 4 + torch.randn(8, 1)
    fake = g(z)
    d_loss(d, real, fake).backward()  # no .detach(): this backward runs through G too
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        g_loss(d, fake).backward()

    g, d = tiny_gan()
    fake = g(z)
    d_loss(d, real, fake.detach()).backward()
    g_loss(d, fake).backward()  # fine
    assert all(p.grad is not None for p in g.parameters())


def test_forgetting_detach_with_fresh_fakes_costs_compute_and_changes_g_unless_cleared():
    """Fresh fakes for each update: nothing crashes, but D's step leaves gradients in G,
    which end up in G's step unless G's gradients are cleared right before it."""
    z_d, z_g, real = torch.randn(8, 1), torch.randn(8, 1), 4 + torch.randn(8, 1)

    def g_grads(detach: bool, clear_before_g: bool) -> list[torch.Tensor]:
        g, d = tiny_gan()
        fake = g(z_d)
        d_loss(d, real, fake.detach() if detach else fake).backward()
        if detach:
            assert all(p.grad is None for p in g.parameters()), "a detached D step reaches G"
        else:
            assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in g.parameters())
        if clear_before_g:
            g.zero_grad()
        g_loss(d, g(z_g)).backward()
        return [p.grad.clone() for p in g.parameters()]

    right = g_grads(detach=True, clear_before_g=False)
    for got, want in zip(g_grads(detach=False, clear_before_g=True), right):
        assert torch.allclose(got, want)  # cleared in time: harmless, only wasted work
    assert any(not torch.allclose(got, want) for got, want in zip(g_grads(detach=False, clear_before_g=False), right))


def test_the_trainers_d_step_sends_no_gradient_into_g():
    from modules.data.synthetic import GaussianTarget, normal_noise
    from modules.networks.mlp import MLPDiscriminator, MLPGenerator
    from modules.game.config import TrainConfig
    from modules.game.loop import GANTrainer
    from modules.game.runtime import seed_everything

    seed_everything(0)
    g, d = MLPGenerator(1, (1,), hidden=(8,)), MLPDiscriminator((1,), hidden=(8,))
    trainer = GANTrainer(g, d, GaussianTarget(), lambda n, generator=None: normal_noise(n, dim=1, generator=generator),
                         TrainConfig(num_epochs=1, batch_size=16))
    trainer.d_step()
    assert all(p.grad is None for p in g.parameters())
    assert any(p.grad is not None for p in d.parameters())


def test_the_lesson_says_when_forgetting_detach_crashes():
    text = one_line(read(LESSON))
    assert "crashes nothing" not in text
    concept = one_line(section(read(LESSON), "Two details deserve a second look", "Concept 3"))
    assert "reuses d's fake batch" in concept and "trying to backward through the graph a second time" in concept
    assert "nothing crashes" in concept and "useless backward pass through g" in concept
    pitfall = one_line(section(read(LESSON), "**Forgetting** ``.detach()``", "**Using the saturating"))
    assert "crashes" in pitfall and "reuses the same fakes" in pitfall


def test_gradients_vanish_because_of_the_saturating_loss_not_gs_layers():
    """D rejects the fakes with confidence (logits around -10): through a
    generator with no tanh at all, the minimax loss gives G almost no gradient and the
    non-saturating loss a full one."""
    from modules.game.losses import MinimaxLoss, NonSaturatingLoss

    def grad_norm(loss) -> float:
        g = nn.Linear(1, 1)  # a linear generator: nothing in it saturates
        with torch.no_grad():
            g.weight.fill_(1.0), g.bias.fill_(0.0)
        z = torch.randn(64, 1, generator=torch.Generator().manual_seed(0))
        logits = g(z) - 10.0  # D(x) = sigmoid(x - 10): confidently "fake" around 0
        loss.g_loss(logits).backward()
        return torch.cat([p.grad.flatten() for p in g.parameters()]).norm().item()

    saturating, non_saturating = grad_norm(MinimaxLoss()), grad_norm(NonSaturatingLoss())
    assert saturating < 1e-2 * non_saturating
    assert non_saturating > 0.5

    paragraph = one_line(section(read(LESSON), "**An overpowering discriminator**", "**Mode collapse**"))
    assert "tanh" not in paragraph and "whatever g's own layers are" in paragraph
    assert "saturating" in paragraph and ":math:`-d(g(z))`" in paragraph


# Dev Nag's gan_pytorch.py (github.com/devnag/pytorch-generative-adversarial-networks):
# the version since commit dc8685c (2018) and the first one (a01e362 .. c8a5430, 2017).
DEV_NAG_NOW = {"epochs": 5000, "d_steps": 20, "g_steps": 20, "group": 500, "optimizer": "SGD", "momentum": 0.9}
DEV_NAG_2017 = {"epochs": 30000, "d_steps": 1, "g_steps": 1, "group": 100, "optimizer": "Adam"}


def test_the_dev_nag_note_describes_one_version_of_that_code():
    note = one_line(section(read(LESSON), ".. note:: Source Attribution", "Summary\n"))
    now, old = DEV_NAG_NOW, DEV_NAG_2017
    assert (
        f"{now['epochs']:,} epochs of {now['d_steps']} + {now['g_steps']} steps of sgd with momentum "
        f"{now['momentum']}, each step on one group of {now['group']} numbers"
    ) in note
    assert f"used adam, {old['epochs']:,} epochs of {old['d_steps']} + {old['g_steps']} steps and groups of {old['group']}" in note
    assert "2.2 times" not in note  # the comparison of group sizes mixed the two versions
    ours = ARCH["DOCS_PRESET"]["epochs"] * (ARCH["D_STEPS"] + ARCH["G_STEPS"])
    theirs = now["epochs"] * (now["d_steps"] + now["g_steps"])
    assert f"reaches the target in {ARCH['DOCS_PRESET']['epochs']} epochs" in note
    assert f"{ours:,} updates instead of {theirs:,}, {theirs // ours} times fewer" in note
    assert f"batches of four groups of {ARCH['DOCS_PRESET']['group_size']}" in note
    assert f"{ARCH['D_STEPS']} + {ARCH['G_STEPS']} steps" in note


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
    run = run_script_here(script, "--preset", "docs", *bad)
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
    run = script_help(script)
    assert run.returncode == 0
    for flag in ("--preset", "--lr", "--d-steps", "--g-steps", "--epochs", "--seed", "--device"):
        assert flag in run.stdout
