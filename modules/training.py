"""The one GAN trainer every lesson uses.

One *epoch* of :class:`GANTrainer` is one round of the game: ``d_steps`` updates of
the discriminator, each on a fresh real batch and a fresh fake batch, followed by
``g_steps`` updates of the generator.  (For the toy data of lesson 12.1.1 there is no
fixed dataset to pass over, so "epoch" means "round"; lessons with datasets feed the
trainer batches from a loader through the same interface.)

Variants are deltas, not copies: a different objective is a :mod:`modules.losses`
object, a different architecture is a different module, and anything that watches or
steers training (printing, checkpoints, health checks) is a :class:`Callback`.

The trainer keeps no global state: random numbers for data and noise come from its own
:class:`torch.Generator`, so several trainers (or several processes) never interfere.

Introduced in lesson 12.1.1 (GAN Architecture).
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from .losses import GANLoss, NonSaturatingLoss

__all__ = [
    "TrainConfig",
    "History",
    "Callback",
    "EvalEvery",
    "GANTrainer",
    "TrainingDiverged",
    "seed_everything",
    "resolve_device",
]

Sampler = Callable[..., torch.Tensor]  # sampler(n, generator=torch.Generator) -> tensor


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; training stops instead of drawing garbage."""


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators (used for weight init)."""
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % 2**32)
    except ImportError:  # pragma: no cover - numpy ships with the course's dependencies
        pass


def resolve_device(name: str) -> torch.device:
    """Turn ``auto``/``cpu``/``cuda``/``cuda:N``/``mps`` into a usable device.

    ``auto`` picks CUDA, then Apple's MPS, then the CPU.  Asking for an accelerator
    this machine does not have raises :class:`ValueError` with a one-line reason.
    """
    name = str(name).strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        prefix, colon, index = name.partition(":")
        if colon and not index.isdigit():
            raise ValueError(f"invalid CUDA device {name!r}; use cuda or cuda:N")
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} requested but CUDA is not available on this machine; use --device cpu or auto")
        if index and int(index) >= torch.cuda.device_count():
            raise ValueError(f"device {name!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
        return torch.device(name)
    if name == "mps":
        if getattr(torch.backends, "mps", None) is None or not torch.backends.mps.is_available():
            raise ValueError("device 'mps' requested but Apple's MPS backend is not available on this machine; use --device cpu or auto")
        return torch.device("mps")
    raise ValueError(f"unknown device {name!r}; choose auto, cpu, cuda, cuda:N or mps")


@dataclass
class TrainConfig:
    """Hyperparameters of one training run, handed to the trainer (never read from globals).

    ``lr_d``/``lr_g`` default to ``lr``.  ``lr_decay="linear"`` lowers both learning
    rates linearly to zero over the run, which damps the back-and-forth of the two
    players near the end so the final generator sits at the equilibrium rather than
    somewhere on an orbit around it.

    ``cpu_threads`` is the number of PyTorch threads while :meth:`GANTrainer.fit` trains
    on the CPU (restored afterwards).  With one thread a seed gives the same run on any
    machine: different thread counts add floating-point numbers in different orders,
    and a GAN's game amplifies those tiny differences into visibly different results.
    One thread is also the fastest choice for the small networks of the docs presets.
    ``None`` keeps PyTorch's default.  ``snapshot_every`` > 0 stores G's output on a
    fixed batch of noise before training, every that many epochs and at the end, so
    figures can show the *same* latent vectors improving over training.
    """

    num_epochs: int = 1000
    batch_size: int = 64
    lr: float = 2e-4
    lr_d: float | None = None
    lr_g: float | None = None
    betas: tuple[float, float] = (0.5, 0.999)
    optimizer: str = "adam"
    lr_decay: str = "none"
    d_steps: int = 1
    g_steps: int = 1
    seed: int = 0
    device: str = "cpu"
    snapshot_every: int = 0
    num_snapshot_samples: int = 64
    progress: bool = False
    cpu_threads: int | None = 1

    def __post_init__(self) -> None:
        for name in ("num_epochs", "batch_size", "d_steps", "g_steps", "num_snapshot_samples"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1 (got {getattr(self, name)})")
        for name in ("lr", "lr_d", "lr_g"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number (got {value})")
        if self.cpu_threads is not None and self.cpu_threads < 1:
            raise ValueError(f"cpu_threads must be >= 1 or None (got {self.cpu_threads})")
        if self.snapshot_every < 0:
            raise ValueError(f"snapshot_every must be >= 0 (got {self.snapshot_every})")
        if self.lr_decay not in ("none", "linear"):
            raise ValueError(f"lr_decay must be 'none' or 'linear' (got {self.lr_decay!r})")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd' (got {self.optimizer!r})")

    @property
    def d_lr(self) -> float:
        """The discriminator's learning rate: ``lr_d``, or ``lr`` when unset."""
        return self.lr_d or self.lr

    @property
    def g_lr(self) -> float:
        """The generator's learning rate: ``lr_g``, or ``lr`` when unset."""
        return self.lr_g or self.lr


@dataclass
class History:
    """Per-epoch record of a run: the curves a lesson plots and a test checks.

    ``d_real``/``d_fake`` are D's mean belief (probability) that real / generated
    samples are real, measured during D's steps.  ``snapshots`` holds
    ``(epoch, G(fixed_noise))`` pairs on the CPU.
    """

    epoch: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    snapshots: list[tuple[int, torch.Tensor]] = field(default_factory=list)

    def append(self, epoch: int, record: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            getattr(self, key).append(record[key])

    def as_dict(self) -> dict[str, list]:
        data = asdict(self)
        data.pop("snapshots")
        return data


class Callback:
    """Hooks into the training loop; override what you need."""

    def on_train_start(self, trainer: GANTrainer) -> None:
        pass

    def on_epoch_end(self, trainer: GANTrainer, epoch: int, record: dict[str, float]) -> None:
        pass

    def on_train_end(self, trainer: GANTrainer) -> None:
        pass


class EvalEvery(Callback):
    """Measure the run every ``every`` epochs (and after the last one).

    ``evaluate(trainer)`` returns anything (for example the mean and std of fresh
    samples); each ``(epoch, result)`` pair is kept in :attr:`results`.  When
    ``describe(epoch, record, result)`` is given, its string is printed: that is how
    the scripts print their progress lines.
    """

    def __init__(
        self,
        every: int,
        evaluate: Callable[[GANTrainer], Any],
        describe: Callable[[int, dict[str, float], Any], str] | None = None,
    ) -> None:
        self.every = max(1, int(every))
        self.evaluate = evaluate
        self.describe = describe
        self.results: list[tuple[int, Any]] = []

    def on_epoch_end(self, trainer: GANTrainer, epoch: int, record: dict[str, float]) -> None:
        if epoch % self.every == 0 or epoch == trainer.last_epoch:
            result = self.evaluate(trainer)
            self.results.append((epoch, result))
            if self.describe is not None:
                print(self.describe(epoch, record, result), flush=True)


class GANTrainer:
    """Alternating updates of a discriminator and a generator.

    Parameters
    ----------
    generator, discriminator:
        ``generator(z)`` maps noise to samples; ``discriminator(x)`` maps samples to
        logits (any shape; the loss averages them).
    real_sampler:
        ``real_sampler(n, generator=rng)`` returns a batch of ``n`` real samples.
    noise_sampler:
        ``noise_sampler(n, generator=rng)`` returns ``n`` latent vectors.
    config:
        a :class:`TrainConfig`.
    loss:
        a :class:`~modules.losses.GANLoss`; non-saturating by default.
    callbacks:
        :class:`Callback` objects called at the start, after every epoch and at the end.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        real_sampler: Sampler,
        noise_sampler: Sampler,
        config: TrainConfig,
        loss: GANLoss | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        self.config = config
        self.device = resolve_device(config.device)
        self.generator = generator.to(self.device)
        self.discriminator = discriminator.to(self.device)
        self.real_sampler = real_sampler
        self.noise_sampler = noise_sampler
        self.loss = loss if loss is not None else NonSaturatingLoss()
        self.callbacks = list(callbacks)
        self.opt_d = self._optimizer(self.discriminator, config.d_lr)
        self.opt_g = self._optimizer(self.generator, config.g_lr)
        self.rng = torch.Generator().manual_seed(config.seed)
        # Fixed noise for snapshots comes from its own stream: taking snapshots never
        # changes the random numbers training sees.
        snap_rng = torch.Generator().manual_seed(config.seed + 1)
        self.fixed_noise = noise_sampler(config.num_snapshot_samples, generator=snap_rng).to(self.device)
        self.history = History()
        self.epoch = 0  # epochs completed so far (fit() can be called again to go on)
        self.last_epoch = config.num_epochs

    def _optimizer(self, model: nn.Module, lr: float) -> torch.optim.Optimizer:
        if self.config.optimizer == "sgd":
            return torch.optim.SGD(model.parameters(), lr=lr, foreach=True)
        return torch.optim.Adam(model.parameters(), lr=lr, betas=self.config.betas, foreach=True)

    def _set_lr_scale(self, scale: float) -> None:
        for opt, base in ((self.opt_d, self.config.d_lr), (self.opt_g, self.config.g_lr)):
            for group in opt.param_groups:
                group["lr"] = base * scale

    # -- data ---------------------------------------------------------------
    def real_batch(self) -> torch.Tensor:
        return self.real_sampler(self.config.batch_size, generator=self.rng).to(self.device)

    def noise(self, n: int | None = None) -> torch.Tensor:
        return self.noise_sampler(n or self.config.batch_size, generator=self.rng).to(self.device)

    # -- the two updates ----------------------------------------------------
    def d_step(self) -> dict[str, float]:
        """One discriminator update: real batch labelled real, fake batch labelled fake.

        The fake batch is ``.detach()``-ed: D's loss must not send gradients into G.
        """
        real = self.real_batch()
        fake = self.generator(self.noise()).detach()
        real_logits = self.discriminator(real)
        fake_logits = self.discriminator(fake)
        loss = self.loss.d_loss(real_logits, fake_logits)
        self._check_finite(loss, "D")
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return {
            "d_loss": loss.item(),
            "d_real": self.loss.probability(real_logits).mean().item(),
            "d_fake": self.loss.probability(fake_logits).mean().item(),
        }

    def g_step(self) -> dict[str, float]:
        """One generator update: make D call fresh fakes real.

        Gradients flow through D into G, but only G's optimizer steps; D's stale
        gradients are cleared at the start of its next update.
        """
        fake = self.generator(self.noise())
        loss = self.loss.g_loss(self.discriminator(fake))
        self._check_finite(loss, "G")
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return {"g_loss": loss.item()}

    def _check_finite(self, loss: torch.Tensor, who: str) -> None:
        if not torch.isfinite(loss).item():
            raise TrainingDiverged(
                f"training diverged: {who} loss became {loss.item()} at epoch {self.epoch}; "
                "try a lower learning rate or a different seed"
            )

    # -- the loop -----------------------------------------------------------
    def fit(self) -> History:
        """Run ``config.num_epochs`` rounds; returns the :class:`History`."""
        threads = torch.get_num_threads()
        if self.config.cpu_threads is not None and self.device.type == "cpu":
            torch.set_num_threads(self.config.cpu_threads)
        try:
            return self._fit()
        finally:
            torch.set_num_threads(threads)

    def _fit(self) -> History:
        cfg = self.config
        self.generator.train()
        self.discriminator.train()
        for cb in self.callbacks:
            cb.on_train_start(self)
        bar = _progress_bar(cfg.num_epochs, enabled=cfg.progress)
        start = self.epoch
        if cfg.snapshot_every and not self.history.snapshots:
            self.history.snapshots.append((start, self.sample_fixed()))  # before training
        self.last_epoch = start + cfg.num_epochs
        for self.epoch in range(start + 1, self.last_epoch + 1):
            if cfg.lr_decay == "linear":
                self._set_lr_scale(1.0 - (self.epoch - start - 1) / cfg.num_epochs)
            d_records = [self.d_step() for _ in range(cfg.d_steps)]
            g_records = [self.g_step() for _ in range(cfg.g_steps)]
            record = {key: sum(r[key] for r in d_records) / len(d_records) for key in d_records[0]}
            record["g_loss"] = sum(r["g_loss"] for r in g_records) / len(g_records)
            self.history.append(self.epoch, record)
            if cfg.snapshot_every and (self.epoch % cfg.snapshot_every == 0 or self.epoch == self.last_epoch):
                self.history.snapshots.append((self.epoch, self.sample_fixed()))
            for cb in self.callbacks:
                cb.on_epoch_end(self, self.epoch, record)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(d_loss=f"{record['d_loss']:.3f}", g_loss=f"{record['g_loss']:.3f}", refresh=False)
        if bar is not None:
            bar.close()
        for cb in self.callbacks:
            cb.on_train_end(self)
        return self.history

    # -- sampling -----------------------------------------------------------
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` fresh samples from G (on the CPU), without touching training's RNG."""
        return self.generate(self.noise_sampler(n, generator=generator))

    def sample_fixed(self) -> torch.Tensor:
        """G's output on the fixed snapshot noise (on the CPU)."""
        return self.generate(self.fixed_noise)

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """G(z) in eval mode, returned on the CPU; G's train/eval mode is restored."""
        was_training = self.generator.training
        self.generator.eval()
        out = self.generator(z.to(self.device)).cpu()
        self.generator.train(was_training)
        return out


def _progress_bar(total: int, enabled: bool):
    """A tqdm bar on stderr when enabled (a terminal run), else ``None`` (docs build)."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, file=sys.stderr, unit="epoch", dynamic_ncols=True)
