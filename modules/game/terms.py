"""Terms composed with an adversarial loss, each a small named piece.

===========================  =====  ====================================================
piece                        phase  adds
===========================  =====  ====================================================
:class:`GradientPenalty`     D      ``w * (|grad D(x_hat)| - 1)^2`` (WGAN-GP)
:class:`WeightClipping`      D      after each update, D's weights clipped (WGAN)
:class:`L1`                  G      ``w * |G(z, input) - target|`` (pix2pix)
:class:`CycleConsistency`    G      ``w * (|ba(ab(a)) - a| + |ab(ba(b)) - b|)`` (CycleGAN)
:class:`Identity`            G      ``w * (|ab(b) - b| + |ba(a) - a|)`` (CycleGAN)
===========================  =====  ====================================================

A term reads only what the game's duels (and, in G's phase, its extras) hold; a term
that needs an extra the game does not provide (L1 without paired targets) is refused
with one line when the trainer is built.  Each keeps its last unweighted value in
``last``, for the scripts that print it.
"""

from __future__ import annotations

import math

import torch

from modules.game.games import Duel

__all__ = [
    "Term",
    "GradientPenalty",
    "WeightClipping",
    "L1",
    "CycleConsistency",
    "Identity",
    "interpolates",
    "input_gradient_norms",
]


def _weight(name: str, value: float) -> float:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"the {name} weight must be a number >= 0 (got {value})")
    return float(value)


class Term:
    """Interface: ``phase`` is ``"d"`` or ``"g"``; ``needs`` names the game extra it
    reads; ``__call__`` returns the weighted term or ``None`` (nothing to add)."""

    name = "term"
    phase = "g"
    needs: str | None = None

    def __init__(self, weight: float) -> None:
        self.weight = _weight(self.name, weight)
        self.last = float("nan")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight})"


def interpolates(real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Random points on the straight lines between paired real and fake samples,
    :math:`\hat x = \epsilon x + (1 - \epsilon) \tilde x`, one :math:`\epsilon \sim
    U[0, 1]` per sample (not per pixel: that would land off the lines WGAN-GP's
    argument is about)."""
    eps = torch.rand((len(real),) + (1,) * (real.ndim - 1), generator=generator).to(real)
    return eps * real + (1 - eps) * fake


def input_gradient_norms(discriminator: torch.nn.Module, x: torch.Tensor, cond: tuple = (), create_graph: bool = False) -> torch.Tensor:
    """``|grad_x D(x)|``, one norm per output of D (per pack for a packed critic): how
    steep D is where it is evaluated."""
    x = x.detach().requires_grad_(True)
    out = discriminator(x, *cond)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=create_graph)
    return grad.reshape(out.numel(), -1).norm(dim=1)


class GradientPenalty(Term):
    r"""WGAN-GP's penalty (Gulrajani et al., 2017): ``weight`` times
    :math:`E[(\lVert\nabla_{\hat x} D(\hat x)\rVert - 1)^2]` at :func:`interpolates`
    of each duel's real and fake batch, averaged over the duels.  The paper's weight
    is 10 (0.1 in its toy experiments)."""

    name = "gradient_penalty"
    phase = "d"

    def __init__(self, weight: float = 10.0) -> None:
        super().__init__(weight)

    def __call__(self, duels: list[Duel], rng: torch.Generator) -> torch.Tensor | None:
        if self.weight == 0:  # skip the costly double backward
            return None
        penalties = []
        for duel in duels:
            x_hat = interpolates(duel.real.detach(), duel.fake.detach(), generator=rng)
            norms = input_gradient_norms(duel.discriminator, x_hat, duel.cond, create_graph=True)
            penalties.append(((norms - 1.0) ** 2).mean())
        penalty = sum(penalties) / len(penalties)
        self.last = penalty.item()
        return self.weight * penalty


class WeightClipping:
    """The original WGAN's constraint (Arjovsky et al., 2017): after every update of D,
    each weight is clipped to ``[-clip, clip]`` (0.01 in the paper)."""

    name = "weight_clipping"

    def __init__(self, clip: float = 0.01) -> None:
        if not (math.isfinite(clip) and clip > 0):
            raise ValueError(f"weight clip must be a positive number (got {clip})")
        self.clip = float(clip)

    @torch.no_grad()
    def __call__(self, discriminator: torch.nn.Module) -> None:
        for p in discriminator.parameters():
            p.clamp_(-self.clip, self.clip)

    def __repr__(self) -> str:
        return f"WeightClipping(clip={self.clip})"


class L1(Term):
    """pix2pix's second term (Isola et al., 2017): ``weight`` (100 in the paper) times
    the mean absolute difference between G's output and the target paired with its
    input.  The adversarial term makes outputs look real; this one makes them match
    *this* input's target.  Needs the paired game."""

    name = "l1"
    needs = "targets"

    def __init__(self, weight: float = 100.0) -> None:
        super().__init__(weight)

    def __call__(self, duels: list[Duel], extras: dict) -> torch.Tensor | None:
        l1 = (duels[0].fake - extras["targets"]).abs().mean()
        self.last = l1.item()
        return self.weight * l1 if self.weight > 0 else None


class CycleConsistency(Term):
    """CycleGAN's cycle term: ``weight`` (10) times the L1 error of the round trips
    A -> B -> A and B -> A -> B, so a translation keeps enough of its input to be undone.
    Needs the cycle game."""

    name = "cycle"
    needs = "cycle"

    def __init__(self, weight: float = 10.0) -> None:
        super().__init__(weight)

    def __call__(self, duels: list[Duel], extras: dict) -> torch.Tensor | None:
        g, real_a, real_b, fake_a, fake_b = extras["cycle"]
        cycle = (g.ba(fake_b) - real_a).abs().mean() + (g.ab(fake_a) - real_b).abs().mean()
        self.last = cycle.item()
        return self.weight * cycle


class Identity(Term):
    """CycleGAN's identity term: ``weight`` times the L1 change a generator makes to
    an image already in its output domain (``ab(b)`` should be ``b``).  The paper
    weights it 0.5 times the cycle weight.  Needs the cycle game."""

    name = "identity"
    needs = "cycle"

    def __init__(self, weight: float = 5.0) -> None:
        super().__init__(weight)
        self.last = 0.0

    def __call__(self, duels: list[Duel], extras: dict) -> torch.Tensor | None:
        if self.weight == 0:
            return None
        g, real_a, real_b, _, _ = extras["cycle"]
        identity = (g.ab(real_b) - real_b).abs().mean() + (g.ba(real_a) - real_a).abs().mean()
        self.last = identity.item()
        return self.weight * identity
