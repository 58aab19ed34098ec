"""The plain game, as lesson 12.1.1 shows it: D's step and G's step.

The loop of :mod:`modules.game.loop` runs exactly these functions for the
unconditional game with an adversarial loss and nothing composed with it.
"""

from __future__ import annotations

import torch

__all__ = ["d_loss", "g_loss", "update"]


def d_loss(generator, discriminator, loss, real: torch.Tensor, z: torch.Tensor):
    """D's loss on a real batch and a fake one; the fakes are detached, so D's loss
    sends no gradient into G.  Also returns D's outputs (for its mean beliefs)."""
    fake = generator(z).detach()
    real_out, fake_out = discriminator(real), discriminator(fake)
    return loss.d_loss(real_out, fake_out), real_out, fake_out


def g_loss(generator, discriminator, loss, z: torch.Tensor) -> torch.Tensor:
    """G's loss: how far D is from calling fresh fakes real.  Gradients flow through D
    into G; only G's optimiser steps."""
    return loss.g_loss(discriminator(generator(z)))


def update(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One player's move: clear the old gradients, back-propagate, step."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
