"""Lessons 12.1.2 (DCGAN) and 12.1.3 (conditional GANs) say only what their scripts do.

What every lesson is checked for (no pasted output, results the scripts record, known
decimals, figures, links, flags, included code, references, format) is in
``test_lesson_claims.py``.  Here, what only these lessons claim: the settings their
prose states are the code's, the presets their captions name are the scripts', and
the corrections of issue 15 stay made.
"""

from __future__ import annotations

import re

from course import ROOT
from lesson_checks import comparisons, constants, one_line, read

DCGAN = ROOT / "docs" / "12_1_2_dcgan.rst"
CGAN = ROOT / "docs" / "12_1_3_conditional_gans.rst"


def test_settings_the_lessons_state_are_the_code():
    """Adam's beta1 0.5, the moving-average decays 0.999 (full) and 0.99 (docs), the
    phase "D wins outright" (D(x) above 0.9, D(G(z)) below 0.1), weights drawn from
    N(0, 0.02^2) and LeakyReLU's slope 0.2 in D."""
    import torch
    from torch import nn

    from modules.networks.dcgan import DCGANDiscriminator, dcgan_init

    train = constants("dcgan_train")
    assert train["BETA1"] == 0.5 and train["EMA_DECAY"] == 0.999 and train["DOCS_PRESET"]["ema_decay"] == 0.99
    assert {("d_real", ">", 0.9), ("d_fake", "<", 0.1)} <= comparisons("dcgan_train")  # the phase "D wins outright"
    torch.manual_seed(0)
    conv = nn.Conv2d(64, 64, 4)
    conv.apply(dcgan_init)
    assert abs(conv.weight.mean().item()) < 2e-3 and abs(conv.weight.std().item() - 0.02) < 2e-3
    slopes = [m.negative_slope for m in DCGANDiscriminator(image_size=32, width=16).modules() if isinstance(m, nn.LeakyReLU)]
    assert slopes and set(slopes) == {0.2}


# --------------------------------------------------------------------------------------
# Corrections of issue 15
# --------------------------------------------------------------------------------------
def test_initialisation_is_sourced():
    """The BatchNorm initialisation cites the code it follows; no unsourced 'mistake found
    in published DCGAN code' remains."""
    text = one_line(read(DCGAN))
    assert "mistake found in published" not in text
    assert "[PyTorchDCGAN]_" in read(DCGAN)
    assert re.search(r"\.\. \[PyTorchDCGAN\] .*github\.com/pytorch/examples/\S*dcgan/main\.py", read(DCGAN))
    import torch
    from torch import nn

    from modules.networks.dcgan import dcgan_init

    torch.manual_seed(0)
    norm = nn.BatchNorm2d(4096)
    norm.apply(dcgan_init)
    scales = norm.weight.detach()
    assert abs(scales.mean().item() - 1.0) < 2e-3 and abs(scales.std().item() - 0.02) < 2e-3, "BatchNorm scales are not drawn from N(1, 0.02^2)"
    assert not norm.bias.detach().any()


def test_width_answer_parameter_counts_grow_with_the_square_of_the_width():
    """Exercise 2's answer: D's count grows about fourfold per doubling of the width,
    G's between two- and fourfold (its first layer grows only in proportion)."""
    from modules.networks.dcgan import DCGANDiscriminator, DCGANGenerator

    def count(model):
        return sum(p.numel() for p in model.parameters())

    for cls, low in ((DCGANGenerator, 2.0), (DCGANDiscriminator, 3.5)):
        n8, n16, n32 = (count(cls(image_size=32, width=w)) for w in (8, 16, 32))
        assert low <= n16 / n8 <= 4.2 and low <= n32 / n16 <= 4.2, (cls.__name__, n8, n16, n32)
    assert "about fourfold per doubling" in one_line(read(DCGAN))


def test_lessons_state_the_docs_presets_they_show():
    """The captions name the docs presets the scripts really have."""
    mnist = {"dataset": "mnist-5k", "image_size": 32, "width": 32, "batch_size": 64, "lr": 2e-3, "ema_decay": 0.99}
    assert constants("dcgan_train")["DOCS_PRESET"] == {**mnist, "steps": 1000}
    assert constants("dcgan_upsampling")["DOCS_PRESET"] == {"steps": 125}
    assert constants("conditional_gan")["DOCS_PRESET"] == {**mnist, "steps": 1000}
    dcgan, cgan = one_line(read(DCGAN)), one_line(read(CGAN))
    assert "docs preset: mnist-5k digits, 32x32, 1,000 steps" in dcgan
    assert "moving-average decay 0.99" in dcgan
    assert "transposed generator 1,000 steps, resize generator 125 steps" in dcgan
    assert "docs preset: mnist-5k digits, 32x32, 1,000 steps" in cgan
    for text in (dcgan, cgan):
        assert "width=32" in text and "lr 2e-3" in text
