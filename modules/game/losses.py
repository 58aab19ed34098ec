"""Adversarial losses: how D's outputs on real and fake batches become two numbers.

A loss here is *only* a loss.  Everything else a famous objective adds is a separate
piece composed with it in an :class:`~modules.game.objective.Objective`: WGAN's
weight clipping is a constraint on D's phase, WGAN-GP's gradient penalty a term added
to D's loss, pix2pix's L1 and CycleGAN's cycle and identity terms are added to G's.

==================  ===================================================  ============================
loss                D (or critic) minimises                              G minimises
==================  ===================================================  ============================
``minimax``         BCE(D(x), 1) + BCE(D(G(z)), 0)                       log(1 - D(G(z))) (saturates)
``non_saturating``  same                                                 -log D(G(z))
``lsgan``           ((D(x) - 1)^2 + D(G(z))^2) / 2                       (D(G(z)) - 1)^2 / 2
``hinge``           relu(1 - D(x)) + relu(1 + D(G(z)))                   -D(G(z))
``wasserstein``     D(G(z)) - D(x)                                       -D(G(z))
==================  ===================================================  ============================

(Every term is averaged over the batch; D(.) is the raw output, squashed by a sigmoid
where the table says BCE or log.)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "AdversarialLoss",
    "NonSaturatingLoss",
    "MinimaxLoss",
    "LeastSquaresLoss",
    "HingeLoss",
    "WassersteinLoss",
]

Target = torch.Tensor | float


def _target(value: Target, like: torch.Tensor) -> torch.Tensor:
    if torch.is_tensor(value):
        return value.to(like).expand_as(like)
    return torch.full_like(like, float(value))


class AdversarialLoss:
    """``d_loss(real_out, fake_out, real_target, fake_target)`` and ``g_loss(fake_out)``.

    ``uses_targets``: D is trained towards targets (real 1, fake 0), so label
    smoothing and noisy labels mean something.  ``outputs_probability``:
    :meth:`probability` is a probability (the health monitor's thresholds need one)
    rather than a raw critic score."""

    name = "base"
    uses_targets = True
    outputs_probability = True

    def d_loss(self, real_out: torch.Tensor, fake_out: torch.Tensor, real_target: Target = 1.0, fake_target: Target = 0.0) -> torch.Tensor:
        """D's binary cross-entropy: real labelled ``real_target`` (1), fake ``fake_target`` (0)."""
        real = F.binary_cross_entropy_with_logits(real_out, _target(real_target, real_out))
        fake = F.binary_cross_entropy_with_logits(fake_out, _target(fake_target, fake_out))
        return real + fake

    def g_loss(self, fake_out: torch.Tensor) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def probability(self, out: torch.Tensor) -> torch.Tensor:
        """D's belief that its input is real (the history's ``d_real``/``d_fake``)."""
        return torch.sigmoid(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NonSaturatingLoss(AdversarialLoss):
    r"""G maximises :math:`\log D(G(z))`: BCE of the fakes against the *real* label."""

    name = "non_saturating"

    def g_loss(self, fake_out):  # noqa: D102
        return F.binary_cross_entropy_with_logits(fake_out, torch.ones_like(fake_out))


class MinimaxLoss(AdversarialLoss):
    r"""The original game: G minimises :math:`\log(1 - D(G(z)))`, which saturates."""

    name = "minimax"

    def g_loss(self, fake_out):  # noqa: D102
        return -F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out))


class LeastSquaresLoss(AdversarialLoss):
    """LSGAN (Mao et al., 2017): D regresses real to 1 and fake to 0, G its fakes to 1."""

    name = "lsgan"

    def d_loss(self, real_out, fake_out, real_target=1.0, fake_target=0.0):  # noqa: D102
        real = F.mse_loss(real_out, _target(real_target, real_out))
        fake = F.mse_loss(fake_out, _target(fake_target, fake_out))
        return 0.5 * (real + fake)

    def g_loss(self, fake_out):  # noqa: D102
        return 0.5 * F.mse_loss(fake_out, torch.ones_like(fake_out))

    def probability(self, out):  # noqa: D102
        return out


class _ScoreLoss(AdversarialLoss):
    """Losses on raw scores: no targets to smooth or flip."""

    uses_targets = False

    def d_loss(self, real_out, fake_out, real_target=1.0, fake_target=0.0):  # noqa: D102
        if torch.is_tensor(real_target) or torch.is_tensor(fake_target) or (real_target, fake_target) != (1.0, 0.0):
            raise ValueError(f"the {self.name} loss has no targets: label smoothing and noisy labels do not apply")
        return self.score_loss(real_out, fake_out)

    def score_loss(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def g_loss(self, fake_out):  # noqa: D102
        return -fake_out.mean()


class HingeLoss(_ScoreLoss):
    """Hinge loss (Lim & Ye, 2017; SN-GAN, BigGAN): D stops pushing beyond the margin."""

    name = "hinge"

    def score_loss(self, real_out, fake_out):  # noqa: D102
        return F.relu(1.0 - real_out).mean() + F.relu(1.0 + fake_out).mean()


class WassersteinLoss(_ScoreLoss):
    r"""WGAN's critic loss (Arjovsky et al., 2017): :math:`E[D(G(z))] - E[D(x)]`.

    It estimates the Wasserstein-1 distance only while the critic is 1-Lipschitz; the
    loss does not enforce that.  Compose it with
    :class:`~modules.game.terms.WeightClipping` (WGAN) or
    :class:`~modules.game.terms.GradientPenalty` (WGAN-GP)."""

    name = "wasserstein"
    outputs_probability = False

    def score_loss(self, real_out, fake_out):  # noqa: D102
        return fake_out.mean() - real_out.mean()

    def probability(self, out):  # noqa: D102
        return out
