"""GAN objectives as small objects the trainer calls.

A loss turns discriminator logits into two numbers to minimise: one for D (given its
logits on a real batch and on a fake batch) and one for G (given D's logits on a fake
batch).  Swapping the objective of a script is one argument to the trainer; later
lessons add least-squares, hinge and Wasserstein losses next to these.

Introduced in lesson 12.1.1 (GAN Architecture).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["GANLoss", "NonSaturatingLoss", "MinimaxLoss", "LOSSES", "get_loss"]


class GANLoss:
    """Interface: ``d_loss(real_logits, fake_logits)`` and ``g_loss(fake_logits)``."""

    name = "base"

    def d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        r"""D's binary cross-entropy: label real as 1 and fake as 0.

        Minimising it maximises :math:`\log D(x) + \log(1 - D(G(z)))`, D's side of the
        minimax game.  The two terms are summed, as in the lesson's training loop.
        """
        real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
        fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        return real + fake

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def probability(self, logits: torch.Tensor) -> torch.Tensor:
        """D's belief that its input is real, for the history (D(x), D(G(z)))."""
        return torch.sigmoid(logits)


class NonSaturatingLoss(GANLoss):
    r"""The loss used in practice: G maximises :math:`\log D(G(z))`.

    Written as binary cross-entropy of fake samples against the *real* label.  Its
    gradient is large when D confidently rejects the fakes, which is exactly early in
    training, when G needs it most.
    """

    name = "non_saturating"

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


class MinimaxLoss(GANLoss):
    r"""The original minimax objective: G minimises :math:`\log(1 - D(G(z)))`.

    Returned as the negative of D's fake term, so G's loss is ``-BCE(fake, 0)``.  It
    *saturates*: when D rejects the fakes with confidence the gradient vanishes.
    """

    name = "minimax"

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


LOSSES: dict[str, type[GANLoss]] = {cls.name: cls for cls in (NonSaturatingLoss, MinimaxLoss)}


def get_loss(name: str) -> GANLoss:
    """Build a loss by name (what a ``--loss`` flag passes)."""
    try:
        return LOSSES[name]()
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose from {', '.join(sorted(LOSSES))}") from None
