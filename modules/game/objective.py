"""The two players' objectives, composed from named parts.

An :class:`Objective` is an adversarial loss (:mod:`modules.game.losses`) plus the
pieces composed with it:

* ``terms``: penalties and extra terms (:mod:`modules.game.terms`), each for D's or
  G's phase;
* ``constraints``: what is done to D after each of its updates (weight clipping);
* ``see``: what D sees of every batch (instance noise);
* ``relabel``: D's targets (label smoothing, noisy labels);
* ``g_objective``: a replacement for G's adversarial term (feature matching).

The last three come from the tricks of :mod:`modules.game.tricks`.
:func:`named_objective` builds the objectives the lessons name (``wgan`` is the
Wasserstein loss with weight clipping, ``wgan_gp`` the same loss with a gradient
penalty).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from modules.game.games import Draws, Duel, Game, GView
from modules.game.losses import AdversarialLoss, HingeLoss, LeastSquaresLoss, MinimaxLoss, NonSaturatingLoss, WassersteinLoss
from modules.game.terms import GradientPenalty, Term, WeightClipping

__all__ = ["Clock", "Objective", "OBJECTIVES", "named_objective", "objective_from_settings"]


@dataclass(frozen=True)
class Clock:
    """Where the run is: what annealed parts (instance noise) may read."""

    epoch: int
    num_epochs: int


@dataclass(frozen=True)
class Objective:
    """An adversarial loss and the parts composed with it (see the module docstring)."""

    loss: AdversarialLoss = field(default_factory=NonSaturatingLoss)
    terms: tuple[Term, ...] = ()
    constraints: tuple[WeightClipping, ...] = ()
    see: tuple[Any, ...] = ()
    relabel: tuple[Any, ...] = ()
    g_objective: Any = None

    def __post_init__(self) -> None:
        if self.relabel and not self.loss.uses_targets:
            names = ", ".join(part.name for part in self.relabel)
            raise ValueError(f"{names} changes D's targets, but the {self.loss.name} loss has none; use non_saturating, minimax or lsgan")

    def check(self, game: Game) -> None:
        """Refuse, with one line, a term this game cannot feed."""
        for term in self.terms:
            if term.needs is not None and term.needs not in game.provides:
                raise ValueError(f"the {term.name} term needs the game's {term.needs!r}, which the {game.name} game does not provide")

    def with_parts(self, **parts: Any) -> Objective:
        return replace(self, **parts)

    def with_tricks(self, tricks: Any) -> Objective:
        """This objective with the tricks that act on it (``see``, ``relabel``,
        ``g_objective``: :mod:`modules.game.tricks`) joined in; other tricks are ignored."""
        role = lambda name: tuple(t for t in tricks if t.acts_on == name)  # noqa: E731
        return replace(self, see=self.see + role("see"), relabel=self.relabel + role("relabel"), g_objective=next(iter(role("g_objective")), self.g_objective))

    def _seen(self, x: torch.Tensor, rng: torch.Generator, clock: Clock) -> torch.Tensor:
        for part in self.see:
            x = part.see(x, rng, clock)
        return x

    def discriminator_loss(self, duels: list[Duel], rng: torch.Generator, clock: Clock) -> tuple[torch.Tensor, dict[str, float]]:
        """D's loss over the game's duels (averaged over them) plus D's terms, and D's
        mean beliefs ``d_real``/``d_fake``."""
        outputs = [
            (duel.discriminator(self._seen(duel.real, rng, clock), *duel.cond), duel.discriminator(self._seen(duel.fake, rng, clock), *duel.cond))
            for duel in duels
        ]
        losses = []
        for real_out, fake_out in outputs:
            real_target, fake_target = 1.0, 0.0
            if self.relabel:
                real_target, fake_target = torch.ones_like(real_out), torch.zeros_like(fake_out)
                for part in self.relabel:
                    real_target, fake_target = part.relabel(real_target, fake_target, rng)
            losses.append(self.loss.d_loss(real_out, fake_out, real_target, fake_target))
        loss = sum(losses) / len(losses)
        for term in self.terms:
            if term.phase == "d" and (value := term(duels, rng)) is not None:
                loss = loss + value
        belief = lambda i: sum(self.loss.probability(out[i]).mean().item() for out in outputs) / len(outputs)  # noqa: E731
        return loss, {"d_real": belief(0), "d_fake": belief(1)}

    def generator_loss(self, view: GView, draws: Draws, rng: torch.Generator, clock: Clock) -> torch.Tensor:
        """G's adversarial loss (summed over the duels), or the replacement, plus G's terms."""
        if self.g_objective is not None:
            loss = self.g_objective.g_loss(view.duels, draws, lambda x: self._seen(x, rng, clock))
        else:
            loss = sum(self.loss.g_loss(d.discriminator(self._seen(d.fake, rng, clock), *d.cond)) for d in view.duels)
        for term in self.terms:
            if term.phase == "g" and (value := term(view.duels, view.extras)) is not None:
                loss = loss + value
        return loss

    def constrain(self, discriminator: torch.nn.Module) -> None:
        for constraint in self.constraints:
            constraint(discriminator)

    def __repr__(self) -> str:
        """The loss and its parts as a sum, e.g. ``WassersteinLoss() + GradientPenalty(weight=10.0)``."""
        parts = [self.loss, *self.terms, *self.constraints, *self.see, *self.relabel]
        if self.g_objective is not None:
            parts.append(self.g_objective)
        return " + ".join(map(repr, parts))

    @property
    def last_terms(self) -> dict[str, float]:
        return {term.name: term.last for term in self.terms}


def _wgan(clip: float = 0.01) -> Objective:
    return Objective(WassersteinLoss(), constraints=(WeightClipping(clip),))


def _wgan_gp(penalty_weight: float = 10.0) -> Objective:
    return Objective(WassersteinLoss(), terms=(GradientPenalty(penalty_weight),))


#: name -> builder of the objective the lessons call by that name
OBJECTIVES = {
    "non_saturating": lambda: Objective(NonSaturatingLoss()),
    "minimax": lambda: Objective(MinimaxLoss()),
    "lsgan": lambda: Objective(LeastSquaresLoss()),
    "hinge": lambda: Objective(HingeLoss()),
    "wgan": _wgan,
    "wgan_gp": _wgan_gp,
}


def _builder(name: str):
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose from {', '.join(OBJECTIVES)}") from None


def named_objective(name: str, **params: Any) -> Objective:
    """The objective a ``--loss`` flag names, e.g. ``named_objective("wgan_gp", penalty_weight=0.1)``."""
    return _builder(name)(**params)


def objective_from_settings(name: str, **settings: Any) -> Objective:
    """The objective ``name`` names, given every loss setting a recipe holds: each
    builder takes the settings it declares (``wgan_gp`` its ``penalty_weight``,
    ``wgan`` its ``clip``) and the others are not its business."""
    build = _builder(name)
    takes = inspect.signature(build).parameters
    return build(**{key: value for key, value in settings.items() if key in takes})
