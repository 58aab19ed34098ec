"""What a trained (or training) GAN gives back: samples, on the CPU, in eval mode.

:class:`Sampling` is the part of :class:`~modules.game.loop.GANTrainer` that draws
from its generator without touching training: fresh samples, the output on the fixed
snapshot noise, the moving-average generator, and G as it was at a kept epoch.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from modules.game import distributed

__all__ = ["Sampling"]


class Sampling:
    """Sampling from a trainer's G; the trainer provides ``generator``, ``ema`` (an
    :class:`~modules.game.loop.EMA` or ``None``), ``device``, ``game``,
    ``noise_sampler`` and ``history``."""

    def fix_snapshot_inputs(self, real_sampler: Any, n: int, seed: int) -> None:
        """Draw, from their own stream (so that snapshots never change training's
        draws), the ``n`` noise vectors and conditions every snapshot feeds G."""
        rng = torch.Generator().manual_seed(seed)
        self.fixed_noise = self.noise_sampler(n, generator=rng).to(self.device)
        cond, self.fixed_targets = self.game.snapshot_condition(real_sampler, n, rng)
        self.fixed_labels = None if cond is None else cond.to(self.device)

    @property
    def ema_generator(self) -> nn.Module | None:
        return None if self.ema is None else self.ema.model

    def generator_at(self, epoch: int) -> nn.Module:
        """A copy of G as it was at ``epoch`` (one of ``history.weights``), in eval mode."""
        states = dict(self.history.weights)
        if epoch not in states:
            raise ValueError(f"no weights kept at epoch {epoch}; kept: {sorted(states) or 'none (TrainConfig(keep_weights=True) keeps them)'}")
        model = copy.deepcopy(distributed.unwrap(self.generator))
        model.load_state_dict(states[epoch])
        return model.eval()

    def sample(self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None, ema: bool = False) -> torch.Tensor:
        """``n`` fresh samples (on the CPU), without touching training's draws."""
        return self.generate(self.noise_sampler(n, generator=generator), labels, ema=ema)

    def sample_fixed(self, ema: bool = False) -> torch.Tensor:
        """G's output on the fixed snapshot noise (and condition)."""
        return self.generate(self.fixed_noise, self.fixed_labels, ema=ema)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None, ema: bool = False) -> torch.Tensor:
        """G(z) (or G(z, condition)) in eval mode, on the CPU; G's mode is restored."""
        model = distributed.unwrap(self.generator)  # never a collective: rank 0 may sample alone
        if ema:
            if self.ema is None:
                raise ValueError("no moving-average generator: train with TrainConfig(ema_decay=...) > 0")
            model = self.ema.model
        was_training = model.training
        model.eval()
        cond = () if labels is None else (labels.to(self.device),)
        out = model(z.to(self.device), *cond).cpu()
        model.train(was_training)
        return out
