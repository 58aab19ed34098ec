# FROZEN COPY of the trainer before issue 16, kept only for tests/test_game_equivalence.py; deleted with it.
"""The one GAN trainer every lesson uses.

One *epoch* of :class:`GANTrainer` is one round of the game: ``d_steps`` updates of
the discriminator, each on a fresh real batch and a fresh fake batch, followed by
``g_steps`` updates of the generator.  (For the toy data of lesson 12.1.1 there is no
fixed dataset to pass over, so "epoch" means "round"; lessons with datasets feed the
trainer batches from a loader through the same interface.)

Variants are deltas, not copies: a different objective is a :mod:`modules.losses`
object, a training trick (label smoothing, instance noise, a gradient penalty, ...) is
a :class:`~modules.tricks.Trick` whose hooks the loop calls at fixed points, a
different architecture is a different module, and anything that watches training
(printing, checkpoints, the health monitor) is a :class:`Callback`.

The trainer keeps no global state: random numbers for data and noise come from its own
:class:`torch.Generator`, so several trainers (or several processes) never interfere.
Under ``torchrun`` (after :func:`modules.game.distributed.setup`) the same trainer trains
with DistributedDataParallel: see :mod:`modules.game.distributed`.

Introduced in lesson 12.1.1 (GAN Architecture).
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from modules.game import distributed
from modules.storage.checkpoints import CheckpointError, load_checkpoint, load_state, save_checkpoint
from legacy.losses import GANLoss, NonSaturatingLoss
from legacy.tricks import Trick

__all__ = [
    "TrainConfig",
    "History",
    "Callback",
    "EvalEvery",
    "GANTrainer",
    "CycleGANTrainer",
    "TrainingDiverged",
    "seed_everything",
    "resolve_device",
    "torch_threads",
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


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` PyTorch CPU threads (``None``: leave the setting alone)
    and restore the previous number afterwards, also on errors."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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
    ``keep_weights`` also keeps a CPU copy of the generator's weights (the moving
    average's, when there is one) at those same epochs, so a run can be evaluated
    afterwards at every stage of its training (lesson 12.1.7 does).

    ``ema_decay`` > 0 keeps an exponential moving average of the generator's weights
    (and BatchNorm statistics), updated after every generator step:
    ``ema = decay * ema + (1 - decay) * weights``, with the decay ramped up from 0.1
    over the first updates so the random initial weights are soon forgotten.  The
    average smooths out the last steps' back-and-forth and often gives cleaner
    samples than the raw weights.
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
    keep_weights: bool = False
    progress: bool = False
    progress_unit: str = "epoch"
    cpu_threads: int | None = 1
    ema_decay: float = 0.0

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
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1) (got {self.ema_decay})")
        if self.optimizer not in ("adam", "sgd", "rmsprop"):
            raise ValueError(f"optimizer must be 'adam', 'sgd' or 'rmsprop' (got {self.optimizer!r})")

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
    ``(epoch, G(fixed_noise))`` pairs on the CPU; ``weights`` holds ``(epoch, G's
    state_dict)`` pairs at the same epochs when the config asks to keep them.
    """

    epoch: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    snapshots: list[tuple[int, torch.Tensor]] = field(default_factory=list)
    weights: list[tuple[int, dict[str, torch.Tensor]]] = field(default_factory=list)

    def append(self, epoch: int, record: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            getattr(self, key).append(record[key])

    def as_dict(self) -> dict[str, list]:
        data = asdict(self)
        data.pop("snapshots")
        data.pop("weights")
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
            if self.describe is not None and distributed.is_main_process():
                print(self.describe(epoch, record, result), flush=True)


class GANTrainer:
    """Alternating updates of a discriminator and a generator.

    Parameters
    ----------
    generator, discriminator:
        ``generator(z)`` maps noise to samples; ``discriminator(x)`` maps samples to
        logits (any shape; the loss averages them).
    real_sampler:
        ``real_sampler(n, generator=rng)`` returns a batch of ``n`` real samples, or
        ``(samples, labels)`` when ``num_classes`` > 0, or ``(targets, inputs)`` pairs
        when ``paired``.
    noise_sampler:
        ``noise_sampler(n, generator=rng)`` returns ``n`` latent vectors.
    config:
        a :class:`TrainConfig`.
    loss:
        a :class:`~modules.losses.GANLoss`; non-saturating by default.
    callbacks:
        :class:`Callback` objects called at the start, after every epoch and at the end.
    tricks:
        :class:`~modules.tricks.Trick` objects whose hooks change the two updates
        (lesson 12.1.5).  The loss's own hooks run first, then the tricks' in order.
    num_classes:
        0 for an unconditional GAN.  Above 0 the GAN is *conditional* (lesson 12.1.3):
        G and D are called as ``G(z, labels)`` and ``D(x, labels)``; in D's step the
        fakes get the real batch's labels, in G's step labels are drawn uniformly.
    paired:
        ``True`` for image-to-image translation with paired data (pix2pix, lesson
        12.1.8): the condition is an *input image* instead of a label.  G is called
        as ``G(z, inputs)`` and D as ``D(x, inputs)``, so D judges (output, input)
        pairs; in both steps the inputs come from a real batch, and in G's step its
        targets are kept in :attr:`g_targets` for hooks that compare G's output with
        them (the L1 term of :class:`~modules.tricks.L1Reconstruction`).
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
        num_classes: int = 0,
        tricks: Sequence[Trick] = (),
        paired: bool = False,
    ) -> None:
        self.config = config
        self.num_classes = int(num_classes)
        self.paired = bool(paired)
        if self.paired and self.num_classes:
            raise ValueError("a GAN is conditioned on labels (num_classes) or on paired input images (paired), not both")
        self.g_targets: torch.Tensor | None = None  # paired: the targets of G's last batch
        self.device = distributed.local_device(resolve_device(config.device))
        self.generator = generator.to(self.device)
        self.discriminator = discriminator.to(self.device)
        self.real_sampler = distributed.shard_sampler(real_sampler)  # this rank's shard under torchrun
        self.noise_sampler = noise_sampler
        self.loss = loss if loss is not None else NonSaturatingLoss()
        self.callbacks = list(callbacks)
        self.tricks = list(tricks)
        for trick in self.tricks:
            if trick.needs_labels and not self.loss.uses_labels:
                raise ValueError(f"{trick.name} changes D's labels, but the {self.loss.name} loss has none; use it with non_saturating, minimax or lsgan")
        self.hooks: list[Trick] = [self.loss, *self.tricks]
        self._relabel = any(trick.needs_labels for trick in self.tricks)
        for hook in self.hooks:  # before the optimisers: a hook may change D or the learning rates
            hook.setup(self)
        config = self.config
        self.opt_d = self._optimizer(self.discriminator, config.d_lr)
        self.opt_g = self._optimizer(self.generator, config.g_lr)
        self.rng = torch.Generator().manual_seed(distributed.rank_seed(config.seed))  # config.seed on rank 0
        # Fixed noise for snapshots comes from its own stream: taking snapshots never
        # changes the random numbers training sees.
        snap_rng = torch.Generator().manual_seed(config.seed + 1)
        self.fixed_noise = noise_sampler(config.num_snapshot_samples, generator=snap_rng).to(self.device)
        # Conditional snapshots cycle through the classes: 0, 1, ..., 9, 0, 1, ...;
        # paired ones translate a fixed batch of inputs (whose targets are kept too)
        self.fixed_labels = (
            torch.arange(config.num_snapshot_samples, device=self.device) % self.num_classes if self.num_classes else None
        )
        self.fixed_targets = None
        if self.paired:
            targets, inputs = real_sampler(config.num_snapshot_samples, generator=snap_rng)
            self.fixed_targets, self.fixed_labels = targets.cpu(), inputs.to(self.device)
        self.ema_generator = copy.deepcopy(self.generator) if config.ema_decay > 0 else None
        self.ema_updates = 0
        if self.ema_generator is not None:
            self.ema_generator.requires_grad_(False)
        self.history = History()
        self.epoch = 0  # epochs completed so far (fit() can be called again to go on)
        self.last_epoch = config.num_epochs

    def _optimizer(self, model: nn.Module, lr: float) -> torch.optim.Optimizer:
        if self.config.optimizer == "sgd":
            return torch.optim.SGD(model.parameters(), lr=lr, foreach=True)
        if self.config.optimizer == "rmsprop":  # the original WGAN's choice
            return torch.optim.RMSprop(model.parameters(), lr=lr, foreach=True)
        return torch.optim.Adam(model.parameters(), lr=lr, betas=self.config.betas, foreach=True)

    def _set_lr_scale(self, scale: float) -> None:
        for opt, base in ((self.opt_d, self.config.d_lr), (self.opt_g, self.config.g_lr)):
            for group in opt.param_groups:
                group["lr"] = base * scale

    # -- data ---------------------------------------------------------------
    def real_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(samples, labels)``; ``labels`` is ``None`` for an unconditional GAN."""
        batch = self.real_sampler(self.config.batch_size, generator=self.rng)
        if self.num_classes or self.paired:
            samples, labels = batch
            return samples.to(self.device), labels.to(self.device)
        return batch.to(self.device), None

    def random_labels(self, n: int | None = None) -> torch.Tensor:
        """Uniformly drawn class labels for fakes (conditional GANs)."""
        return torch.randint(self.num_classes, (n or self.config.batch_size,), generator=self.rng).to(self.device)

    def noise(self, n: int | None = None) -> torch.Tensor:
        return self.noise_sampler(n or self.config.batch_size, generator=self.rng).to(self.device)

    # -- the two updates ----------------------------------------------------
    def d_input(self, x: torch.Tensor) -> torch.Tensor:
        """What D actually sees of a batch: ``x`` after every hook's ``d_input``
        (instance noise, for example); unchanged without tricks."""
        for hook in self.hooks:
            x = hook.d_input(x, self)
        return x

    def d_step(self) -> dict[str, float]:
        """One discriminator update: real batch labelled real, fake batch labelled fake.

        The fake batch is ``.detach()``-ed: D's loss must not send gradients into G.
        A conditional GAN's fakes carry the real batch's labels.  Tricks may change
        what D sees (``d_input``), its targets (``d_targets``), add a penalty
        (``d_penalty``), touch the gradients (``before_update``) or the weights
        afterwards (``after_d_update``).
        """
        real, labels = self.real_batch()
        cond = () if labels is None else (labels,)
        fake = self.generator(self.noise(), *cond).detach()
        real_logits = self.discriminator(self.d_input(real), *cond)
        fake_logits = self.discriminator(self.d_input(fake), *cond)
        real_target, fake_target = 1.0, 0.0
        if self._relabel:
            real_target, fake_target = torch.ones_like(real_logits), torch.zeros_like(fake_logits)
            for hook in self.hooks:
                real_target, fake_target = hook.d_targets(real_target, fake_target, self)
        loss = self.loss.d_loss(real_logits, fake_logits, real_target, fake_target)
        for hook in self.hooks:
            penalty = hook.d_penalty(real, fake, cond, self)
            if penalty is not None:
                loss = loss + penalty
        self._check_finite(loss, "D")
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        for hook in self.hooks:
            hook.before_update(self.discriminator, self)
        self.opt_d.step()
        for hook in self.hooks:
            hook.after_d_update(self)
        return {
            "d_loss": loss.item(),
            "d_real": self.loss.probability(real_logits).mean().item(),
            "d_fake": self.loss.probability(fake_logits).mean().item(),
        }

    def g_step(self) -> dict[str, float]:
        """One generator update: make D call fresh fakes real.

        Gradients flow through D into G, but only G's optimizer steps; D's stale
        gradients are cleared at the start of its next update.  A trick may replace
        G's loss (``replace_g_loss``, feature matching) or prepare D for this step and put
        it back afterwards (``before_g_step`` / ``after_g_step``, unrolling).
        """
        for hook in self.hooks:
            hook.before_g_step(self)
        try:
            if self.paired:  # translate the inputs of a fresh real pair
                self.g_targets, inputs = self.real_batch()
                cond = (inputs,)
            else:
                cond = (self.random_labels(),) if self.num_classes else ()
            fake = self.generator(self.noise(), *cond)
            loss = None
            for hook in self.hooks:
                loss = hook.replace_g_loss(fake, cond, self)
                if loss is not None:
                    break
            if loss is None:
                loss = self.loss.g_loss(self.discriminator(self.d_input(fake), *cond))
            for hook in self.hooks:
                penalty = hook.g_penalty(fake, cond, self)
                if penalty is not None:
                    loss = loss + penalty
            self._check_finite(loss, "G")
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            for hook in self.hooks:
                hook.before_update(self.generator, self)
            self.opt_g.step()
        finally:
            for hook in reversed(self.hooks):
                hook.after_g_step(self)
        self._update_ema()
        return {"g_loss": loss.item()}

    @torch.no_grad()
    def _update_ema(self) -> None:
        if self.ema_generator is None:
            return
        # Warm-up (as in TensorFlow's ExponentialMovingAverage): early on the average
        # would be dominated by the random initial weights, so the decay starts small.
        self.ema_updates += 1
        weight = 1.0 - min(self.config.ema_decay, (1 + self.ema_updates) / (10 + self.ema_updates))
        ema_params = list(self.ema_generator.parameters())
        torch._foreach_lerp_(ema_params, [p.detach() for p in self.generator.parameters()], weight)
        for ema_buf, buf in zip(self.ema_generator.buffers(), self.generator.buffers()):
            if ema_buf.is_floating_point():
                ema_buf.lerp_(buf, weight)
            else:
                ema_buf.copy_(buf)

    def _check_finite(self, loss: torch.Tensor, who: str) -> None:
        finite = bool(torch.isfinite(loss).item())
        if distributed.all_true(finite):  # under torchrun: one rank's NaN stops every rank
            return
        value = loss.item() if not finite else "NaN or infinite on another rank"
        if distributed.enabled() and not finite:
            value = f"{value} on rank {distributed.rank()}"
        raise TrainingDiverged(
            f"training diverged: {who} loss became {value} at epoch {self.epoch}; try a lower learning rate or a different seed"
        )

    # -- the loop -----------------------------------------------------------
    def fit(self, num_epochs: int | None = None) -> History:
        """Run ``num_epochs`` more rounds (default ``config.num_epochs``); returns the
        :class:`History`.  A trainer restored with :meth:`load_checkpoint` goes on where
        the saved one stopped: ``fit(n - trainer.epoch)`` finishes an ``n``-round run."""
        threads = distributed.cpu_threads(self.config.cpu_threads) if self.device.type == "cpu" else None
        with torch_threads(threads), self._replicated():
            return self._fit(self.config.num_epochs if num_epochs is None else int(num_epochs))

    @contextlib.contextmanager
    def _replicated(self) -> Iterator[None]:
        """Under ``torchrun``: G and D wrapped in DistributedDataParallel while the
        block runs (plain again afterwards, also on errors), and at its end every rank
        holds rank 0's buffers.  A plain run: nothing changes."""
        if not distributed.enabled():
            yield
            return
        plain = self.generator, self.discriminator
        self.generator = distributed.replicate(self.generator, self.device)
        self.discriminator = distributed.replicate(self.discriminator, self.device)
        try:
            yield
            distributed.sync_buffers(*plain, self.ema_generator)
            distributed.save_rank_weights({"generator": plain[0], "discriminator": plain[1], "ema_generator": self.ema_generator})
        finally:
            self.generator, self.discriminator = plain

    def _fit(self, num_epochs: int) -> History:
        cfg = self.config
        self.generator.train()
        self.discriminator.train()
        for cb in self.callbacks:
            cb.on_train_start(self)
        bar = _progress_bar(num_epochs, enabled=cfg.progress and distributed.is_main_process(), unit=cfg.progress_unit)
        start = self.epoch
        if cfg.snapshot_every and not self.history.snapshots:
            self._snapshot(start)  # before training
        self.last_epoch = start + num_epochs
        for self.epoch in range(start + 1, self.last_epoch + 1):
            if cfg.lr_decay == "linear":  # over the planned run of config.num_epochs rounds
                self._set_lr_scale(max(0.0, 1.0 - (self.epoch - 1) / cfg.num_epochs))
            d_records = [self.d_step() for _ in range(cfg.d_steps)]
            g_records = [self.g_step() for _ in range(cfg.g_steps)]
            record = {key: sum(r[key] for r in d_records) / len(d_records) for key in d_records[0]}
            record["g_loss"] = sum(r["g_loss"] for r in g_records) / len(g_records)
            record = distributed.mean_record(record)  # under torchrun: the mean over all ranks
            self.history.append(self.epoch, record)
            if cfg.snapshot_every and (self.epoch % cfg.snapshot_every == 0 or self.epoch == self.last_epoch):
                self._snapshot(self.epoch)
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

    def _snapshot(self, epoch: int) -> None:
        self.history.snapshots.append((epoch, self.sample_fixed()))
        if self.config.keep_weights:
            model = self.ema_generator if self.ema_generator is not None else self.generator
            self.history.weights.append((epoch, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}))

    def generator_at(self, epoch: int) -> nn.Module:
        """A copy of the generator as it was at ``epoch`` (one of the epochs in
        ``history.weights``; the moving average's weights when the run kept one), in
        eval mode on the trainer's device."""
        states = dict(self.history.weights)
        if epoch not in states:
            raise ValueError(f"no weights kept at epoch {epoch}; kept: {sorted(states) or 'none (TrainConfig(keep_weights=True) keeps them)'}")
        model = copy.deepcopy(self.generator)
        model.load_state_dict(states[epoch])
        return model.eval()

    # -- sampling -----------------------------------------------------------
    def sample(
        self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None, ema: bool = False
    ) -> torch.Tensor:
        """``n`` fresh samples from G (on the CPU), without touching training's RNG.
        A conditional GAN needs ``labels`` (``n`` class indices)."""
        return self.generate(self.noise_sampler(n, generator=generator), labels, ema=ema)

    def sample_fixed(self, ema: bool = False) -> torch.Tensor:
        """G's output on the fixed snapshot noise (and, if conditional, fixed labels)."""
        return self.generate(self.fixed_noise, self.fixed_labels, ema=ema)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None, ema: bool = False) -> torch.Tensor:
        """G(z) (or G(z, labels)) in eval mode, returned on the CPU; G's train/eval
        mode is restored.  ``ema=True`` uses the moving-average generator."""
        model = distributed.unwrap(self.generator)  # never a collective: rank 0 may sample alone
        if ema:
            if self.ema_generator is None:
                raise ValueError("no moving-average generator: train with TrainConfig(ema_decay=...) > 0")
            model = self.ema_generator
        was_training = model.training
        model.eval()
        cond = () if labels is None else (labels.to(self.device),)
        out = model(z.to(self.device), *cond).cpu()
        model.train(was_training)
        return out

    # -- checkpoints --------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to go on exactly where training stopped: both networks,
        both optimisers, the moving average, the round counter, the random-number
        state, the history and the config (for reference)."""
        cpu = lambda state: {k: v.detach().cpu() if torch.is_tensor(v) else v for k, v in state.items()}  # noqa: E731
        history = self.history.as_dict()
        history["snapshots"] = [[epoch, images] for epoch, images in self.history.snapshots]
        history["weights"] = [[epoch, state] for epoch, state in self.history.weights]
        config = asdict(self.config)
        config["betas"] = list(config["betas"])
        return {
            "generator": cpu(self.generator.state_dict()),
            "discriminator": cpu(self.discriminator.state_dict()),
            "ema_generator": None if self.ema_generator is None else cpu(self.ema_generator.state_dict()),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "epoch": self.epoch,
            "ema_updates": self.ema_updates,
            "rng": self.rng.get_state(),
            "history": history,
            "config": config,
        }

    def save_checkpoint(self, path: str | os.PathLike, **extra: Any) -> None:
        """Write :meth:`state_dict` (plus ``extra`` entries) atomically to ``path``.

        Under ``torchrun`` every rank must call it: the file also keeps each rank's
        random-number state (``rng_ranks``), rank 0 writes it, and the others wait
        until it is there."""
        state = {**self.state_dict(), **extra}
        if distributed.enabled():
            state["rng_ranks"] = distributed.gather_objects(self.rng.get_state())
        if distributed.is_main_process():
            save_checkpoint(state, path, kind="gan")
        distributed.barrier()

    def load_checkpoint(self, path: str | os.PathLike) -> dict[str, Any]:
        """Restore a checkpoint written by :meth:`save_checkpoint`; returns its
        contents.  Raises :class:`~modules.storage.checkpoints.CheckpointError` (one line)
        for a missing, corrupt or foreign file, or one of another architecture."""
        data = load_checkpoint(path, kind="gan")
        backup = copy.deepcopy(self.state_dict())
        try:
            self._restore(data, path)
        except BaseException:  # leave the trainer as it was, not half-loaded
            self._restore(backup, path)
            raise
        return data

    def _restore(self, data: dict[str, Any], path: str | os.PathLike) -> None:
        load_state(self.generator, data.get("generator"), "generator", path)
        load_state(self.discriminator, data.get("discriminator"), "discriminator", path)
        if self.ema_generator is not None:
            load_state(self.ema_generator, data.get("ema_generator") or data.get("generator"), "generator", path)
        try:
            self.opt_g.load_state_dict(data["opt_g"])
            self.opt_d.load_state_dict(data["opt_d"])
            self.rng.set_state(data["rng"])
            self.epoch = int(data["epoch"])
            self.ema_updates = int(data.get("ema_updates", 0))
            saved = data["history"]
            self.history = History(**{k: list(saved[k]) for k in ("epoch", "d_loss", "g_loss", "d_real", "d_fake")})
            self.history.snapshots = [(int(e), images) for e, images in saved.get("snapshots", [])]
            self.history.weights = [(int(e), dict(state)) for e, state in saved.get("weights", [])]
            if distributed.enabled():
                self._restore_rank_rng(data)
        except (KeyError, TypeError, ValueError, RuntimeError) as err:
            raise CheckpointError(f"{path} is incomplete or from another version ({type(err).__name__}: {err})") from None

    def _restore_rank_rng(self, data: dict[str, Any]) -> None:
        """Under ``torchrun``: this rank's own random-number state, when the checkpoint
        was written by as many ranks; else rank 0 goes on with the saved state and the
        other ranks with fresh streams (reproducible, but not the uninterrupted run)."""
        states = data.get("rng_ranks")
        if states is not None and len(states) == distributed.world_size():
            self.rng.set_state(states[distributed.rank()])
        elif distributed.rank() > 0:
            self.rng.manual_seed(distributed.rank_seed(self.config.seed + self.epoch))


def _progress_bar(total: int, enabled: bool, unit: str = "epoch"):
    """A tqdm bar on stderr when enabled (a terminal run), else ``None`` (docs build);
    it shows the rate and the time remaining."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, file=sys.stderr, unit=unit, dynamic_ncols=True)


class _Pair(nn.Module):
    """Two networks trained by one optimiser: CycleGAN's two generators (``ab`` and
    ``ba``) or its two discriminators (``a`` judges domain A, ``b`` domain B).
    Called like one generator, it translates A to B: ``pair(z, images_a)``."""

    def __init__(self, first: nn.Module, second: nn.Module, names: tuple[str, str]) -> None:
        super().__init__()
        self.names = names
        self.add_module(names[0], first)
        self.add_module(names[1], second)

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return getattr(self, self.names[0])(x)


def _no_noise(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    return torch.empty(n, 0)


class CycleGANTrainer(GANTrainer):
    """Unpaired image-to-image translation (CycleGAN, Zhu et al., 2017) in the same
    loop: the two updates of :class:`GANTrainer`, each for two networks at once.

    ``sampler(n, generator=rng)`` returns ``(images_a, images_b)``: independent
    batches of the two domains (no pairs), as
    :meth:`modules.data.translation.UnpairedDomains.sample_pair` draws them.  ``g_ab`` translates A to B, ``g_ba``
    back; ``d_a`` and ``d_b`` judge each domain.  G's loss adds to the two
    adversarial terms (least squares by default, as in the paper)

    * the **cycle** term, ``cycle_weight`` (10) times the L1 error of the round trips
      A -> B -> A and B -> A -> B: a translation must keep enough of its input to be
      undone, which rules out mapping every A to the same convincing B;
    * the **identity** term, ``identity_weight`` (0.5) times ``cycle_weight`` times
      the L1 change that a generator makes to an image already in its output domain
      (``g_ab(b)`` should be ``b``), which keeps colours and content where nothing
      needs translating.

    D's step shows each discriminator real images of its domain and generated ones
    drawn from a history of the last ``history`` (50) translations (Shrivastava et
    al., 2017), so D does not forget what G produced a few steps ago; D's loss is
    halved, as in the paper.  Everything else (optimisers, learning-rate decay,
    snapshots of A -> B translations of a fixed batch, checkpoints, the NaN check)
    is :class:`GANTrainer`'s.  :attr:`last_terms` holds the three unweighted terms of
    G's last step.  Introduced in lesson 12.1.8.
    """

    def __init__(
        self,
        g_ab: nn.Module,
        g_ba: nn.Module,
        d_a: nn.Module,
        d_b: nn.Module,
        sampler: Sampler,
        config: TrainConfig,
        loss: GANLoss | None = None,
        cycle_weight: float = 10.0,
        identity_weight: float = 0.5,
        history: int = 50,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        from legacy.losses import LeastSquaresLoss
        from modules.game.games import ImageHistory  # moved there; the same class

        if distributed.enabled():  # its steps call the networks' halves (g.ab, d.a), which bypass DistributedDataParallel
            raise RuntimeError("CycleGANTrainer does not support torchrun (DistributedDataParallel) yet; run the script as one process")
        for name, value in (("cycle_weight", cycle_weight), ("identity_weight", identity_weight)):
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0 (got {value})")
        self.cycle_weight, self.identity_weight = float(cycle_weight), float(identity_weight)
        super().__init__(
            _Pair(g_ab, g_ba, ("ab", "ba")),
            _Pair(d_a, d_b, ("a", "b")),
            sampler,
            _no_noise,
            config,
            loss=loss if loss is not None else LeastSquaresLoss(),
            callbacks=callbacks,
            paired=True,  # batches come as two tensors
        )
        # snapshots translate a fixed batch of A images to B
        self.fixed_targets, self.fixed_labels = self.fixed_labels.cpu(), self.fixed_targets.to(self.device)
        self.history_a = ImageHistory(history, seed=config.seed + 2)
        self.history_b = ImageHistory(history, seed=config.seed + 3)
        self.last_terms: dict[str, float] = {}

    def d_step(self) -> dict[str, float]:
        """Each discriminator: real images of its domain against translations into it
        (fresh ones, swapped at random for older ones from the history)."""
        real_a, real_b = self.real_batch()
        g, d = self.generator, self.discriminator
        with torch.no_grad():
            fake_b, fake_a = self.history_b.query(g.ab(real_a)), self.history_a.query(g.ba(real_b))
        outputs = {"a": (d.a(real_a), d.a(fake_a)), "b": (d.b(real_b), d.b(fake_b))}
        loss = sum(self.loss.d_loss(real, fake, 1.0, 0.0) for real, fake in outputs.values()) / 2
        self._check_finite(loss, "D")
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        prob = lambda i: sum(self.loss.probability(out[i]).mean().item() for out in outputs.values()) / 2  # noqa: E731
        return {"d_loss": loss.item(), "d_real": prob(0), "d_fake": prob(1)}

    def g_step(self) -> dict[str, float]:
        """Both generators: fool the other domain's discriminator, survive the round
        trip, and leave images of their own output domain alone."""
        real_a, real_b = self.real_batch()
        g, d = self.generator, self.discriminator
        fake_b, fake_a = g.ab(real_a), g.ba(real_b)
        adversarial = self.loss.g_loss(d.b(fake_b)) + self.loss.g_loss(d.a(fake_a))
        cycle = (g.ba(fake_b) - real_a).abs().mean() + (g.ab(fake_a) - real_b).abs().mean()
        loss = adversarial + self.cycle_weight * cycle
        identity = torch.zeros(())
        if self.identity_weight > 0:
            identity = (g.ab(real_b) - real_b).abs().mean() + (g.ba(real_a) - real_a).abs().mean()
            loss = loss + self.cycle_weight * self.identity_weight * identity
        self._check_finite(loss, "G")
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        self._update_ema()
        self.last_terms = {"adversarial": adversarial.item(), "cycle": cycle.item(), "identity": identity.item()}
        return {"g_loss": loss.item()}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "image_history": [self.history_a.state_dict(), self.history_b.state_dict()]}

    def _restore(self, data: dict[str, Any], path: str | os.PathLike) -> None:
        super()._restore(data, path)
        try:
            self.history_a.load_state_dict(data["image_history"][0])
            self.history_b.load_state_dict(data["image_history"][1])
        except (KeyError, IndexError, TypeError, ValueError, RuntimeError) as err:
            raise CheckpointError(f"{path} has no usable image history ({type(err).__name__}: {err})") from None
