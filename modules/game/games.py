"""Kinds of game: what the discriminator sees and what the generator is given.

A game draws the batches of one step and hands back *duels*: a discriminator with the
real and the generated samples it judges and the condition both are judged under.
The objective (:mod:`modules.game.objective`) turns duels into losses; the loop
(:mod:`modules.game.loop`) updates the players.  A game never changes the steps.

================  =========================================  ==========================================
game              D judges                                   G is given
================  =========================================  ==========================================
``Unconditional``  x against G(z)                            z
``Conditional``    (x, y) against (G(z, y), y), y of x        z and a label drawn uniformly
``Paired``         (target, input) against (G(z, input), input)  z and the input of a real pair
``Cycle``          each domain: its images against             images of both domains; the terms
                   translations into it (from a history)       add the round trips
================  =========================================  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from .. import distributed

__all__ = ["Duel", "Draws", "Game", "Unconditional", "Conditional", "Paired", "Cycle", "Pair"]


@dataclass
class Duel:
    """One discriminator judging ``real`` against ``fake`` under condition ``cond``
    (``real`` is ``None`` in G's phase: G only needs D's verdict on its fakes)."""

    discriminator: nn.Module
    real: torch.Tensor | None
    fake: torch.Tensor
    cond: tuple = ()


@dataclass
class Draws:
    """The random draws a game may make, all from the trainer's own generator: a real
    batch, latent vectors, uniform labels.  The game sees nothing else of the trainer."""

    real: Callable[[], Any]
    noise: Callable[[], torch.Tensor]
    labels: Callable[[], torch.Tensor]


@dataclass
class GView:
    """What G's phase produced: the duels to fool and what the terms compare with
    (``targets`` of paired data, the round trips of the cycle game)."""

    duels: list[Duel]
    extras: dict[str, Any] = field(default_factory=dict)


class Game:
    """Interface.  ``provides`` names the extras G's phase hands to the objective's
    terms; a term that needs another is refused when the trainer is built."""

    name = "game"
    provides: frozenset[str] = frozenset()
    conditional = False  # the real sampler returns (samples, condition)

    def d_duels(self, generator: nn.Module, discriminator: nn.Module, draws: Draws) -> list[Duel]:  # pragma: no cover
        raise NotImplementedError

    def g_view(self, generator: nn.Module, discriminator: nn.Module, draws: Draws) -> GView:  # pragma: no cover
        raise NotImplementedError

    def snapshot_condition(self, sampler: Callable, n: int, rng: torch.Generator) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """``(condition, targets)`` of the fixed snapshot batch (both ``None``: none)."""
        return None, None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Unconditional(Game):
    """The plain game: D tells data from G(z)."""

    name = "unconditional"

    def d_duels(self, generator, discriminator, draws):  # noqa: D102
        real = draws.real()
        fake = generator(draws.noise()).detach()
        return [Duel(discriminator, real, fake)]

    def g_view(self, generator, discriminator, draws):  # noqa: D102
        return GView([Duel(discriminator, None, generator(draws.noise()))])


class Conditional(Game):
    """Lesson 12.1.3: G and D both see a class label; D's fakes carry the real batch's
    labels, G's labels are drawn uniformly."""

    name = "conditional"
    conditional = True

    def __init__(self, num_classes: int) -> None:
        if int(num_classes) < 2:
            raise ValueError(f"a conditional game needs at least 2 classes (got {num_classes})")
        self.num_classes = int(num_classes)

    def d_duels(self, generator, discriminator, draws):  # noqa: D102
        real, labels = draws.real()
        fake = generator(draws.noise(), labels).detach()
        return [Duel(discriminator, real, fake, (labels,))]

    def g_view(self, generator, discriminator, draws):  # noqa: D102
        labels = draws.labels()
        return GView([Duel(discriminator, None, generator(draws.noise(), labels), (labels,))])

    def snapshot_condition(self, sampler, n, rng):  # noqa: D102
        return torch.arange(n) % self.num_classes, None  # 0, 1, ..., 9, 0, 1, ...

    def __repr__(self) -> str:
        return f"Conditional(num_classes={self.num_classes})"


class Paired(Game):
    """pix2pix (lesson 12.1.8): the condition is an input image; D judges (output,
    input) pairs; G translates the input of a fresh real pair, whose target the L1
    term compares with."""

    name = "paired"
    conditional = True
    provides = frozenset({"targets"})

    def d_duels(self, generator, discriminator, draws):  # noqa: D102
        targets, inputs = draws.real()
        fake = generator(draws.noise(), inputs).detach()
        return [Duel(discriminator, targets, fake, (inputs,))]

    def g_view(self, generator, discriminator, draws):  # noqa: D102
        targets, inputs = draws.real()
        return GView([Duel(discriminator, None, generator(draws.noise(), inputs), (inputs,))], {"targets": targets})

    def snapshot_condition(self, sampler, n, rng):  # noqa: D102
        targets, inputs = sampler(n, generator=rng)
        return inputs, targets.cpu()


class Pair(nn.Module):
    """Two networks trained by one optimiser: CycleGAN's generators (``ab``, ``ba``)
    or discriminators (``a`` judges domain A, ``b`` domain B).  Called like one
    generator it translates A to B: ``pair(z, images_a)``."""

    def __init__(self, first: nn.Module, second: nn.Module, names: tuple[str, str]) -> None:
        super().__init__()
        self.names = names
        self.add_module(names[0], first)
        self.add_module(names[1], second)

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return getattr(self, self.names[0])(x)


class Cycle(Game):
    """Unpaired translation (CycleGAN, Zhu et al., 2017): G is a :class:`Pair` ``ab``/``ba``,
    D a :class:`Pair` ``a``/``b``; the sampler returns independent batches of the two
    domains.  Each discriminator judges its domain's images against translations into
    it, drawn from a history of the last ``history`` (50) translations (Shrivastava et
    al., 2017).  G's phase provides the round trips and identity mappings that the
    cycle and identity terms of :mod:`modules.game.terms` compare."""

    name = "cycle"
    conditional = True
    provides = frozenset({"cycle"})

    def __init__(self, history: int = 50, seed: int = 0) -> None:
        from ..translation_models import ImageHistory

        if distributed.enabled():  # its duels call the pairs' halves (g.ab, d.a), which bypass DistributedDataParallel
            raise RuntimeError("the cycle game does not support torchrun (DistributedDataParallel) yet; run the script as one process")
        self.history_a = ImageHistory(history, seed=seed + 2)
        self.history_b = ImageHistory(history, seed=seed + 3)

    def d_duels(self, generator, discriminator, draws):  # noqa: D102
        real_a, real_b = draws.real()
        with torch.no_grad():
            fake_b, fake_a = self.history_b.query(generator.ab(real_a)), self.history_a.query(generator.ba(real_b))
        return [Duel(discriminator.a, real_a, fake_a), Duel(discriminator.b, real_b, fake_b)]

    def g_view(self, generator, discriminator, draws):  # noqa: D102
        real_a, real_b = draws.real()
        fake_b, fake_a = generator.ab(real_a), generator.ba(real_b)
        duels = [Duel(discriminator.b, None, fake_b), Duel(discriminator.a, None, fake_a)]
        return GView(duels, {"cycle": (generator, real_a, real_b, fake_a, fake_b)})

    def snapshot_condition(self, sampler, n, rng):  # noqa: D102
        images_a, images_b = sampler(n, generator=rng)
        return images_a, images_b.cpu()

    def state_dict(self) -> dict[str, Any]:
        return {"image_history": [self.history_a.state_dict(), self.history_b.state_dict()]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history_a.load_state_dict(state["image_history"][0])
        self.history_b.load_state_dict(state["image_history"][1])

    def __repr__(self) -> str:
        return f"Cycle(history={self.history_a.capacity})"
