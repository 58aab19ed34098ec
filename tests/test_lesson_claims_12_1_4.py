"""Lesson 12.1.4 (GAN losses and Wasserstein GANs) says only what its scripts do.

* Every number the lesson reports from a run is a verbatim quote of what the docs
  preset prints.  :data:`PROSE_CLAIMS` lists each quote with the run that prints it; the
  slow test runs each script once (shared through ``script_run``) and checks that the
  quote is both in the lesson and in the script's output.
* The fast tests need no training: every quote is still in the lesson, every
  expected-output block is one of the checked quotes, the presets and paper settings
  the lesson states are the scripts' and the recipes', every figure the lesson shows
  is one its script draws (with a caption naming the docs preset), every download and
  example link points at a gallery script, every flag the lesson mentions exists,
  every ``literalinclude`` finds what it includes, and the references this lesson
  defines are defined nowhere else.
"""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from lesson_checks import (
    FLAG,
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
    constants,
    defined_references,
    has_flag,
    one_line,
    scripts_named,
    section,
    shown_figures,
)

LESSON = ROOT / "docs" / "12_1_4_gan_losses.rst"
DOCS = ("--preset", "docs")
OWN_REFERENCES = ("Arjovsky2017b", "Gulrajani2017", "Mao2017", "Lim2017", "Villani2009")


GRADIENTS = (
    "        minimax: |gradient| 0.01 at D(G(z)) = 0.01, 0.99 at 0.99",
    " non_saturating: |gradient| 0.99 at D(G(z)) = 0.01, 0.01 at 0.99",
)
TABLE = (
    "loss             modes  high quality  monitor",
    "minimax           5/8          17.2%  healthy",
    "non_saturating    0/8           0.0%  g_collapsing",
    "lsgan             7/8          55.0%  g_collapsing",
    "hinge             0/8           0.0%  g_collapsing",
    "wgan              0/8           1.0%  healthy",
    "wgan_gp           0/8           0.2%  healthy",
)
SETUP = (
    "preset=docs device=cpu data=digits: 1797 images, 16x16",
    "critic: Conv2d -> LeakyReLU -> Conv2d -> GroupNorm -> LeakyReLU -> Conv2d",
    "loss=WassersteinGPLoss(penalty_weight=10.0) n_critic=5 Adam lr=0.0005 betas=(0.0, 0.9)",
)
STEPS = (
    "step    80: Wasserstein estimate  6.652  penalty term 0.714  G loss  -4.299",
    "step   160: Wasserstein estimate  3.448  penalty term 0.320  G loss  -7.205",
    "step   240: Wasserstein estimate  1.346  penalty term 0.104  G loss  -7.411",
    "step   320: Wasserstein estimate  1.063  penalty term 0.097  G loss  -7.957",
    "step   400: Wasserstein estimate  1.003  penalty term 0.098  G loss -10.007",
)
SUMMARY = (
    "wasserstein estimate (mean over 50 steps): steps 1-50 6.76 -> steps 351-400 0.99 (highest single step: 7.87 at step 38)",
    "feature distance to real images: step 0 1154.3 -> step 400 25.4 (256 real images: 7.0)",
    "gradient norm at interpolates: untrained critic mean 0.87 (std 0.32) -> trained critic mean 1.04 (std 0.08)",
    "recognised (classifier confidence > 0.9): untrained generator 0.0% -> trained generator 46.8% of 1000 samples (real images: 89.5%)",
)

PROSE_CLAIMS = [
    # (script, its arguments, text quoted verbatim in the lesson and printed by the run)
    # -- Quick Start and Exercise 1: the saturation calculation
    ("gan_losses", DOCS, block(*GRADIENTS)),
    ("gan_losses", DOCS, "minimax: |gradient| 0.01 at D(G(z)) = 0.01, 0.99 at 0.99"),
    ("gan_losses", DOCS, "non_saturating: |gradient| 0.99 at D(G(z)) = 0.01, 0.01 at 0.99"),
    ("gan_losses", DOCS, "|gradient| 0.01 at D(G(z)) = 0.01"),
    # -- Exercise 2: six losses on the ring
    ("gan_losses", DOCS, block(*TABLE)),
    *[("gan_losses", DOCS, row) for row in TABLE[1:]],
    # -- Exercise 3: WGAN-GP on digits
    ("wgan_gp", DOCS, block(*SETUP)),
    ("wgan_gp", DOCS, block(*STEPS)),
    ("wgan_gp", DOCS, block(*SUMMARY)),
    ("wgan_gp", DOCS, "highest single step: 7.87 at step 38"),
    ("wgan_gp", DOCS, "steps 1-50 6.76 -> steps 351-400 0.99"),
    ("wgan_gp", DOCS, "step 0 1154.3 -> step 400 25.4 (256 real images: 7.0)"),
    ("wgan_gp", DOCS, "G loss -10.007"),
    ("wgan_gp", DOCS, "untrained critic mean 0.87 (std 0.32) -> trained critic mean 1.04 (std 0.08)"),
    ("wgan_gp", DOCS, "penalty term 0.714"),
    ("wgan_gp", DOCS, "penalty term 0.098"),
    ("wgan_gp", DOCS, "untrained generator 0.0% -> trained generator 46.8% of 1000 samples (real images: 89.5%)"),
    ("wgan_gp", DOCS, "n_critic=5"),
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
    check_expected_outputs_are_quotes(LESSON, [quoted for _, _, quoted in PROSE_CLAIMS], at_least=2)


def test_quick_start_shows_the_first_script_and_its_gradient_lines():
    quick = section(lesson_text(), "Quick Start", "Core Concepts")
    first = re.search(r"literalinclude:: /gallery/12_1_4_gan_losses/(\w+)\.py", quick)
    assert first and first.group(1) == "gan_losses"
    assert "python gan_losses.py --preset docs" in quick
    assert block(*GRADIENTS) in quick


def test_lesson_states_the_docs_presets_the_scripts_have():
    losses, wgan = constants("gan_losses"), constants("wgan_gp")
    text = one_line(lesson_text())
    # gan_losses.py: ring of 8, 2,000 generator steps (docs), 6,000 (full), 5 critic steps
    assert losses["DOCS_PRESET"] == {"steps": 2000}
    assert losses["STEPS"] == 6000 and losses["TARGET"] == "ring" and losses["N_CRITIC"] == 5
    assert losses["LR"] == 1e-3 and losses["PENALTY_WEIGHT"] == 10.0 and losses["WEIGHT_CLIP"] == 0.01
    assert losses["LOSSES"] == "minimax,non_saturating,lsgan,hinge,wgan,wgan_gp"
    assert "docs preset: ring of 8, 2,000 generator steps" in text
    assert "full preset: 6,000 generator steps" in text
    # wgan_gp.py: digits at 16x16, 400 generator steps, lr 5e-4 (docs); MNIST 64x64 (full)
    docs = wgan["DOCS_PRESET"]
    assert docs["dataset"] == "digits" and docs["image_size"] == 16 and docs["steps"] == 400 and docs["lr"] == 5e-4
    assert wgan["N_CRITIC"] == 5 and wgan["PENALTY_WEIGHT"] == 10.0 and wgan["CRITIC_NORM"] == "layer"
    assert (wgan["LEARNING_RATE"], wgan["BETA1"], wgan["BETA2"]) == (1e-4, 0.0, 0.9)
    assert wgan["DATASET"] == "mnist" and wgan["IMAGE_SIZE"] == 64
    assert "docs preset: scikit-learn digits, 16x16, 400 generator steps" in text
    assert "400 generator steps (2,000 critic steps)" in text
    assert "full preset: mnist at 64x64" in text


def test_lesson_states_the_settings_the_code_uses():
    """The paper settings the lesson names are the ones the experiments use."""
    from modules.data import grid_of_gaussians, ring_of_gaussians
    from modules.losses import WassersteinGPLoss, WassersteinLoss
    from modules.monitor import HealthMonitor
    from modules.recipes import WGAN_GP, WGAN_GP_PRESETS
    from modules.toy2d import PAPER_SETTINGS, ToyRecipe

    assert PAPER_SETTINGS["wgan"] == {"optimizer": "rmsprop", "lr": 5e-5, "n_critic": 5}
    assert PAPER_SETTINGS["wgan_gp"] == {"lr": 1e-4, "betas": (0.0, 0.9), "n_critic": 5}
    assert ToyRecipe().lr_decay == "linear" and ToyRecipe().lr == 1e-3  # "the rates decay to zero"
    assert ToyRecipe().g_hidden == (128, 128, 128) and ToyRecipe().d_hidden == (128, 128)
    ring, grid = ring_of_gaussians(), grid_of_gaussians()
    assert ring.std == 0.02 and len(ring.centres) == 8 and grid.std == 0.05 and len(grid.centres) == 25
    assert WassersteinLoss().clip == 0.01 and WassersteinGPLoss().penalty_weight == 10.0
    monitor = HealthMonitor()
    assert monitor.collapse_ratio == 0.3 and monitor.warmup == 0.1
    assert WGAN_GP["n_critic"] == 5 and (WGAN_GP["beta1"], WGAN_GP["beta2"]) == (0.0, 0.9) and WGAN_GP["critic_norm"] == "layer"
    assert WGAN_GP_PRESETS["docs"].lr == 5 * WGAN_GP["lr"]  # "five times the paper's learning rate"
    text = one_line(lesson_text())
    for phrase in ("rmsprop with learning rate :math:`5 \\times 10^{-5}`", "``5e-5``", "``1e-4``", "``1e-3``", "five times the paper's learning rate"):
        assert phrase.lower() in text, phrase


def test_every_figure_shown_is_drawn_by_its_script():
    refs = shown_figures(lesson_text())
    shown = {(script, label) for _, script, label in refs}
    assert shown >= {
        ("gan_losses", "saturation"),
        ("gan_losses", "samples_by_loss"),
        ("gan_losses", "coverage_by_loss"),
        ("wgan_gp", "wasserstein_estimate"),
        ("wgan_gp", "gradient_norms"),
        ("wgan_gp", "samples"),
    }
    for folder, script, label in refs:
        check_figure_is_drawn(LESSON, folder, script, label, own_folder=LESSON.stem)


def test_downloads_and_example_links_point_at_gallery_scripts():
    check_downloads_and_example_links(LESSON, own=["gan_losses", "wgan_gp"])


def test_every_flag_the_lesson_mentions_exists():
    text = lesson_text()
    assert scripts_named(text) == ["gan_losses", "wgan_gp"]
    helps = check_flags_exist(LESSON)
    # each command line shown runs the script it names with flags that script has
    for script, flags in re.findall(r"python (\w+)\.py((?: --?[\w-]+(?: [\w.,]+)?)*)", text):
        for flag in FLAG.findall(flags):
            assert has_flag(helps[script], flag), f"{script}.py has no {flag}"


def test_literalincludes_find_what_they_include():
    check_literalincludes(LESSON, at_least=10)


def test_shown_code_is_the_code_that_runs():
    """The lines the lesson's prose relies on are in the included code."""
    losses = (ROOT / "modules" / "losses.py").read_text(encoding="utf-8")
    assert "eps = torch.rand((len(real),) + (1,) * (real.ndim - 1), generator=generator)" in losses  # one epsilon per sample
    assert "input_gradient_norms(trainer.discriminator, x_hat, cond, create_graph=True)" in losses
    assert "p.clamp_(-self.clip, self.clip)" in losses
    training = (ROOT / "modules" / "training.py").read_text(encoding="utf-8")
    assert "hook.d_penalty(real, fake, cond, self)" in training and "hook.after_d_update(self)" in training
    assert 'torch.optim.RMSprop(model.parameters(), lr=lr, foreach=True)' in training


def test_references_defined_here_are_defined_nowhere_else():
    text = lesson_text()
    for label in OWN_REFERENCES:
        assert f".. [{label}]" in text, f"the lesson does not define {label}"
        assert f"[{label}]_" in text, f"the lesson defines {label} but never cites it"
    check_defined_nowhere_else(LESSON, OWN_REFERENCES)
    assert defined_references(text) == set(OWN_REFERENCES)
