"""Kinds of game: what the discriminator sees and what the generator is given.

A game draws the batches of one step and hands back *duels*: a discriminator with the
real and the generated samples it judges and the condition both are judged under.
The objective (:mod:`modules.game.objective`) turns duels into losses; the loop
(:mod:`modules.game.loop`) updates the players.  A game never changes the steps.

* :class:`Unconditional`: D judges x against G(z); G is given z.
* :class:`Conditional`: D judges (x, y) against (G(z, y), y), with y the labels of
  the real batch; G is given z and labels drawn uniformly.
* :class:`Paired`: D judges (target, input) against (G(z, input), input); G is given
  z and the input of a fresh real pair.
* :class:`Cycle`: each domain's discriminator judges its images against translations
  into it (drawn from an :class:`ImageHistory`); G is given images of both domains,
  and its phase hands the round trips to the cycle and identity terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from modules.game import distributed

__all__ = ["Duel", "Draws", "Game", "Unconditional", "Conditional", "Paired", "Cycle", "Pair", "ImageHistory"]


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


class ImageHistory:
    """A buffer of up to ``capacity`` earlier generated images (Shrivastava et al.,
    2017; used by CycleGAN with ``capacity=50``).

    :meth:`query` takes a batch of fresh fakes and returns a batch of the same
    shape for the discriminator.  While the buffer fills up, every fake is stored
    and returned unchanged.  Once it is full, each fake is, with probability 1/2,
    returned as is, and otherwise stored in place of a random earlier one, which is
    returned instead.  D thus keeps seeing what G produced some steps ago and cannot
    just chase G's latest trick, which damps the back-and-forth of the two players.

    The choices come from a private :class:`torch.Generator` seeded with ``seed``,
    so a run is reproducible; :meth:`state_dict` / :meth:`load_state_dict` keep the
    stored images and the generator's state in checkpoints.  ``capacity=0`` turns
    the buffer off.  Returned tensors are detached: the history feeds D's update only.
    """

    def __init__(self, capacity: int = 50, seed: int = 0) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
            raise ValueError(f"capacity must be an integer >= 0 (got {capacity})")
        self.capacity = capacity
        self.generator = torch.Generator().manual_seed(int(seed))
        self.images: list[torch.Tensor] = []

    def __len__(self) -> int:
        return len(self.images)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """A batch like ``images`` (same shape), mixing them with stored older ones."""
        images = images.detach()
        if self.capacity == 0:
            return images
        if self.images and images.shape[1:] != self.images[0].shape:
            raise ValueError(f"the history holds images of shape {tuple(self.images[0].shape)}, got a batch of {tuple(images.shape[1:])}")
        out = []
        for image in images:
            if len(self.images) < self.capacity:  # still filling: keep and pass on
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand((), generator=self.generator).item() < 0.5:  # swap with an old one
                slot = int(torch.randint(self.capacity, (), generator=self.generator))
                old, self.images[slot] = self.images[slot], image.clone()
                out.append(old.to(image.device))
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict[str, Any]:
        """Capacity, stored images (one CPU tensor) and the random state."""
        stored = torch.stack([im.cpu() for im in self.images]) if self.images else torch.empty(0)
        return {"capacity": self.capacity, "images": stored, "rng_state": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (the capacities must agree)."""
        if int(state["capacity"]) != self.capacity:
            raise ValueError(f"the saved history has capacity {state['capacity']}, this one {self.capacity}")
        stored = state["images"]
        if len(stored) > self.capacity:
            raise ValueError(f"the saved history holds {len(stored)} images, more than its capacity {self.capacity}")
        self.generator.set_state(state["rng_state"])
        self.images = [im.clone() for im in stored] if stored.numel() else []
