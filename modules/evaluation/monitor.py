"""A training health monitor: a trainer callback that reads D(x) and D(G(z)) and G's
spread, and flags the warning signs of a GAN going wrong, with the step where each
first appeared.

=================  ====================================================================
sign               condition (on averages over the last ``window`` steps)
=================  ====================================================================
``d_too_strong``   D(x) > ``confident`` and D(G(z)) < 1 - ``confident``: D separates
                   real from fake almost perfectly, so G's gradients fade
``d_failing``      D(G(z)) > D(x) + ``margin``: D rates fakes as *more* real than real
                   data; G has overpowered it (or D stopped learning)
``g_collapsing``   G's samples on fixed noise spread less than ``collapse_ratio`` times
                   as widely as real data: G is covering a small part of the data
=================  ====================================================================

The two D signs need a loss whose D outputs are probabilities (non-saturating,
minimax, hinge through a sigmoid, least squares); with a Wasserstein critic only the
spread is checked.  A healthy run sits near D(x) = D(G(z)) = 0.5 late in training and
keeps G's spread close to the data's.

Everything the monitor keeps is plain numbers, so it travels between processes and
into the model cache; :func:`modules.figures.plotting.plot_monitor` draws it.

Introduced in lesson 12.1.5 (Stabilizing Training).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from modules.game.history import Callback

if TYPE_CHECKING:  # pragma: no cover
    from modules.game.loop import GANTrainer

__all__ = ["SIGNS", "HealthReport", "HealthMonitor"]

SIGNS = {
    "d_too_strong": "D too confident: it tells real from fake almost perfectly, G's gradients fade",
    "d_failing": "D failing: it rates fakes as more real than real data",
    "g_collapsing": "G collapsing: its samples cover a small part of the data's spread",
}


@dataclass
class HealthReport:
    """What a :class:`HealthMonitor` saw: the curves and the warnings."""

    steps: list[int] = field(default_factory=list)  # where the averages were checked
    d_real: list[float] = field(default_factory=list)  # average D(x) over the window
    d_fake: list[float] = field(default_factory=list)  # average D(G(z)) over the window
    spread: list[float] = field(default_factory=list)  # G's spread / the data's spread
    first_seen: dict[str, int] = field(default_factory=dict)  # sign -> first step
    times_seen: dict[str, int] = field(default_factory=dict)  # sign -> number of checks
    probabilities: bool = True  # whether d_real / d_fake are probabilities
    warmup_steps: int = 0  # checks up to this step are recorded but not judged
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return not self.first_seen

    def lines(self) -> list[str]:
        """One line per sign that fired, in order of appearance (or "healthy")."""
        if self.healthy:
            return ["healthy: no warning sign"]
        out = []
        for sign, step in sorted(self.first_seen.items(), key=lambda item: item[1]):
            out.append(f"step {step:>5}: {SIGNS[sign]} (seen at {self.times_seen[sign]} of {len(self.steps)} checks)")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v) for k, v in vars(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HealthReport:
        return cls(**data)


class HealthMonitor(Callback):
    """Watch a run and flag the warning signs listed in the module docstring.

    Every ``every`` steps the monitor averages D(x) and D(G(z)) over the last
    ``window`` steps and measures G's spread: the mean per-coordinate standard
    deviation of G's output on a fixed batch of ``num_samples`` noise vectors, divided
    by the same number for a batch of real data (drawn once, from the monitor's own
    random stream, so watching never changes the run).  A sign counts as *seen* at a
    check when its condition holds; :attr:`report` keeps the first step of each.
    Checks during the first ``warmup`` share of the planned run are drawn but not
    judged: every GAN starts "collapsed" (an untrained G maps all noise to almost the
    same point) and with a D that wins easily.
    """

    def __init__(
        self,
        every: int = 50,
        window: int = 50,
        confident: float = 0.9,
        margin: float = 0.1,
        collapse_ratio: float = 0.3,
        warmup: float = 0.1,
        num_samples: int = 512,
        seed: int = 12345,
    ) -> None:
        if every < 1 or window < 1:
            raise ValueError("every and window must be >= 1")
        self.every = every
        self.window = window
        self.confident = confident
        self.margin = margin
        self.collapse_ratio = collapse_ratio
        self.warmup = warmup
        self.num_samples = num_samples
        self.seed = seed
        self.report = HealthReport()
        self._real_spread = float("nan")
        self._noise: torch.Tensor | None = None
        self._labels: torch.Tensor | None = None

    @staticmethod
    def spread(x: torch.Tensor) -> float:
        """Mean per-coordinate standard deviation of a batch."""
        return x.detach().flatten(1).double().std(dim=0).mean().item()

    def on_train_start(self, trainer: GANTrainer) -> None:
        rng = torch.Generator().manual_seed(self.seed)
        batch = trainer.real_sampler(self.num_samples, generator=rng)
        real = batch[0] if isinstance(batch, (tuple, list)) else batch
        self._real_spread = self.spread(real)
        self._noise = trainer.noise_sampler(self.num_samples, generator=rng)
        if getattr(trainer.game, "num_classes", 0):
            self._labels = torch.arange(self.num_samples) % trainer.game.num_classes
        self.report.probabilities = bool(trainer.objective.loss.outputs_probability)
        self.report.thresholds = {"confident": self.confident, "margin": self.margin, "collapse_ratio": self.collapse_ratio}
        self.report.warmup_steps = int(self.warmup * trainer.config.num_epochs)

    def on_epoch_end(self, trainer: GANTrainer, epoch: int, record: dict[str, float]) -> None:
        if epoch % self.every and epoch != trainer.last_epoch:
            return
        h = trainer.history
        d_real = sum(h.d_real[-self.window :]) / len(h.d_real[-self.window :])
        d_fake = sum(h.d_fake[-self.window :]) / len(h.d_fake[-self.window :])
        spread = self.spread(trainer.generate(self._noise, self._labels)) / max(self._real_spread, 1e-12)
        r = self.report
        r.steps.append(epoch)
        r.d_real.append(d_real)
        r.d_fake.append(d_fake)
        r.spread.append(spread)
        seen = []
        if epoch <= r.warmup_steps:
            return
        if r.probabilities:
            if d_real > self.confident and d_fake < 1 - self.confident:
                seen.append("d_too_strong")
            if d_fake > d_real + self.margin:
                seen.append("d_failing")
        if spread < self.collapse_ratio:
            seen.append("g_collapsing")
        for sign in seen:
            r.first_seen.setdefault(sign, epoch)
            r.times_seen[sign] = r.times_seen.get(sign, 0) + 1
