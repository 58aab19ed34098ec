"""The one game loop: rounds of a discriminator phase and a generator phase.

A *phase* is one player's optimiser and its number of updates a round (``d_steps``,
the ``n_critic`` of WGAN; ``g_steps``).  Its step asks the game for the duels of a
fresh batch, the objective for the loss, and updates the player.  Everything else is
a small part the loop calls: the moving average of G (:class:`EMA`), the snapshots,
the checkpoints, the callbacks.  For the plain game with the plain objective the
two steps are those of
the dozen lines lesson 12.1.1 shows (:mod:`modules.game.plain`).
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from modules.game import distributed
from modules.game.games import Draws, Game, Unconditional
from modules.game.objective import Clock, Objective
from modules.game import plain
from modules.game.state import Checkpoints
from modules.game.history import History, ProgressBar
from modules.game.sampling import Sampling
from modules.game.tricks import build_discriminator, by_role
from modules.game.runtime import TrainingDiverged, global_rng_state, resolve_device, torch_threads

__all__ = ["EMA", "Phase", "GANTrainer", "build_optimizers", "check_finite", "update"]


class EMA:
    """An exponential moving average of G's weights and BatchNorm statistics,
    ``ema = decay * ema + (1 - decay) * weights`` after every G update, the decay ramped
    up from 0.1 so that the random initial weights are soon forgotten."""

    def __init__(self, generator: nn.Module, decay: float) -> None:
        self.decay = decay
        self.model = copy.deepcopy(generator).requires_grad_(False)
        self.updates = 0

    @torch.no_grad()
    def update(self, generator: nn.Module) -> None:
        self.updates += 1
        weight = 1.0 - min(self.decay, (1 + self.updates) / (10 + self.updates))
        torch._foreach_lerp_(list(self.model.parameters()), [p.detach() for p in generator.parameters()], weight)
        for ema_buf, buf in zip(self.model.buffers(), generator.buffers()):
            if ema_buf.is_floating_point():
                ema_buf.lerp_(buf, weight)
            else:
                ema_buf.copy_(buf)


@dataclass
class Phase:
    """One player's move: ``repeats`` updates a round, each ``step()``."""

    name: str
    module: nn.Module
    optimizer: torch.optim.Optimizer
    repeats: int
    step: Callable[[], dict[str, float]] = field(repr=False, default=lambda: {})


def check_finite(loss: torch.Tensor, who: str, epoch: int) -> None:
    finite = bool(torch.isfinite(loss).item())
    if distributed.all_true(finite):  # under torchrun: one rank's NaN stops every rank
        return
    value = loss.item() if not finite else "NaN or infinite on another rank"
    if distributed.enabled() and not finite:
        value = f"{value} on rank {distributed.rank()}"
    raise TrainingDiverged(f"training diverged: {who} loss became {value} at epoch {epoch}; try a lower learning rate or a different seed")


def update(optimizer: torch.optim.Optimizer, loss: torch.Tensor, model: nn.Module, clips: Sequence[Any] = ()) -> None:
    """:func:`modules.game.plain.update`, with gradient clipping between the backward
    pass and the step when a trick asks for it."""
    if not clips:
        return plain.update(optimizer, loss)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    for part in clips:
        part.clip(model)
    optimizer.step()


class GANTrainer(Sampling, Checkpoints):
    """Rounds of the game between ``generator`` and ``discriminator``.

    ``real_sampler(n, generator=rng)`` draws a real batch (a pair of tensors for the
    conditional, paired and cycle games), ``noise_sampler(n, generator=rng)`` latent
    vectors; every draw comes from the trainer's own :class:`torch.Generator`.
    ``objective`` (default: the non-saturating loss alone) says what each player
    minimises, ``game`` (default :class:`~modules.game.games.Unconditional`) what D
    sees and G is given, ``tricks`` (:mod:`modules.game.tricks`) act where they belong,
    ``callbacks`` watch the rounds.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        real_sampler: Callable[..., Any],
        noise_sampler: Callable[..., torch.Tensor],
        config: Any,
        objective: Objective | None = None,
        game: Game | None = None,
        tricks: Sequence[Any] = (),
        callbacks: Sequence[Any] = (),
        optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer] | None = None,
    ) -> None:
        self.config = cfg = config
        self.game = game if game is not None else Unconditional()
        role = by_role(tricks)  # each trick acts in one place, below
        self.objective = (objective if objective is not None else Objective()).with_tricks(tricks)
        self.objective.check(self.game)
        self.tricks = list(tricks)
        self._clips, self._around_g = role["update"], role["g_phase"]
        self._plain = isinstance(self.game, Unconditional) and self.objective == Objective(self.objective.loss)
        self.device = distributed.local_device(resolve_device(cfg.device))
        self.generator = generator.to(self.device)
        self.discriminator = build_discriminator(discriminator.to(self.device), tricks)
        if optimizers is None:
            optimizers = build_optimizers(self.discriminator, self.generator, cfg.lr, lr_d=cfg.lr_d, lr_g=cfg.lr_g, betas=cfg.betas, kind=cfg.optimizer, tricks=tricks)
        elif role["rates"]:
            raise ValueError(f"{role['rates'][0]!r} acts where the optimisers are built: give it to build_optimizers(), not to a trainer given its optimisers")
        self.opt_d, self.opt_g = optimizers
        self.rates = tuple(opt.param_groups[0]["lr"] for opt in optimizers)  # where lr decay starts from
        self.real_sampler = distributed.shard_sampler(real_sampler)
        self.noise_sampler = noise_sampler
        self.rng = torch.Generator().manual_seed(distributed.rank_seed(cfg.seed))  # cfg.seed on rank 0
        self.fix_snapshot_inputs(real_sampler, cfg.num_snapshot_samples, cfg.seed + 1)
        self.ema = EMA(self.generator, cfg.ema_decay) if cfg.ema_decay > 0 else None
        self.draws = Draws(real=self.real_batch, noise=self.noise, labels=self.random_labels)
        self.d_phase = Phase("D", self.discriminator, self.opt_d, cfg.d_steps, self.d_step)
        self.g_phase = Phase("G", self.generator, self.opt_g, cfg.g_steps, self.g_step)
        self.callbacks = list(callbacks)
        self.history = History()
        self.epoch = 0  # rounds completed so far (fit() can be called again to go on)
        self.global_rng = None  # PyTorch's global generators as the last fit() left them (None: as they are now)
        self.last_epoch = cfg.num_epochs

    # -- draws ----------------------------------------------------------------
    def real_batch(self) -> Any:
        batch = self.real_sampler(self.config.batch_size, generator=self.rng)
        if self.game.conditional:
            return batch[0].to(self.device), batch[1].to(self.device)
        return batch.to(self.device)

    def noise(self, n: int | None = None) -> torch.Tensor:
        return self.noise_sampler(n or self.config.batch_size, generator=self.rng).to(self.device)

    def random_labels(self, n: int | None = None) -> torch.Tensor:
        return torch.randint(self.game.num_classes, (n or self.config.batch_size,), generator=self.rng).to(self.device)

    @property
    def clock(self) -> Clock:
        return Clock(self.epoch, self.config.num_epochs)

    # -- the two phases ---------------------------------------------------------
    def d_step(self) -> dict[str, float]:
        """One update of D on a fresh real batch and a fresh fake one."""
        if self._plain:
            loss, real_out, fake_out = plain.d_loss(self.generator, self.discriminator, self.objective.loss, self.real_batch(), self.noise())
            belief = lambda out: self.objective.loss.probability(out).mean().item()  # noqa: E731
            beliefs = {"d_real": belief(real_out), "d_fake": belief(fake_out)}
        else:
            duels = self.game.d_duels(self.generator, self.discriminator, self.draws)
            loss, beliefs = self.objective.discriminator_loss(duels, self.rng, self.clock)
        check_finite(loss, "D", self.epoch)
        update(self.opt_d, loss, self.discriminator, self._clips)
        self.objective.constrain(self.discriminator)
        return {"d_loss": loss.item(), **beliefs}

    def g_step(self) -> dict[str, float]:
        """One update of G on fresh fakes (against the unrolled D, when asked)."""
        with contextlib.ExitStack() as stack:
            for part in self._around_g:
                stack.enter_context(part.around(self.d_phase))
            if self._plain:
                loss = plain.g_loss(self.generator, self.discriminator, self.objective.loss, self.noise())
            else:
                view = self.game.g_view(self.generator, self.discriminator, self.draws)
                loss = self.objective.generator_loss(view, self.draws, self.rng, self.clock)
            check_finite(loss, "G", self.epoch)
            update(self.opt_g, loss, self.generator, self._clips)
        if self.ema is not None:
            self.ema.update(self.generator)
        return {"g_loss": loss.item()}

    # -- the rounds ---------------------------------------------------------------
    def fit(self, num_epochs: int | None = None):
        """Run ``num_epochs`` more rounds (default ``config.num_epochs``); returns the
        history.  A trainer restored from a checkpoint goes on where it stopped."""
        threads = distributed.cpu_threads(self.config.cpu_threads) if self.device.type == "cpu" else None
        with torch_threads(threads), distributed.replicated(self):
            return self._rounds(self.config.num_epochs if num_epochs is None else int(num_epochs))

    def _rounds(self, num_epochs: int):
        cfg = self.config
        self.generator.train()
        self.discriminator.train()
        start = self.epoch
        self.last_epoch = start + num_epochs
        self.global_rng = None  # while it trains, a checkpoint takes the process's generators as they are
        bar = [ProgressBar(cfg.progress_unit)] if cfg.progress and distributed.is_main_process() else []
        callbacks = self.callbacks + bar
        for cb in callbacks:
            cb.on_train_start(self)
        if cfg.snapshot_every and not self.history.snapshots:
            self._snapshot(start)  # before training
        for self.epoch in range(start + 1, self.last_epoch + 1):
            if cfg.lr_decay == "linear":  # to zero over the planned run of cfg.num_epochs rounds
                self._scale_rates(max(0.0, 1.0 - (self.epoch - 1) / cfg.num_epochs))
            records = {phase.name: [phase.step() for _ in range(phase.repeats)] for phase in (self.d_phase, self.g_phase)}
            record = {key: sum(r[key] for r in records["D"]) / len(records["D"]) for key in records["D"][0]}
            record["g_loss"] = sum(r["g_loss"] for r in records["G"]) / len(records["G"])
            record = distributed.mean_record(record)  # under torchrun: the mean over all ranks
            self.history.append(self.epoch, record)
            if cfg.snapshot_every and (self.epoch % cfg.snapshot_every == 0 or self.epoch == self.last_epoch):
                self._snapshot(self.epoch)
            for cb in callbacks:
                cb.on_epoch_end(self, self.epoch, record)
        self.global_rng = global_rng_state(self.device)  # where training left them (dropout draws from them)
        for cb in callbacks:
            cb.on_train_end(self)
        return self.history

    def _scale_rates(self, scale: float) -> None:
        for opt, base in ((self.opt_d, self.rates[0]), (self.opt_g, self.rates[1])):
            for group in opt.param_groups:
                group["lr"] = base * scale

    def _snapshot(self, epoch: int) -> None:
        self.history.snapshots.append((epoch, self.sample_fixed()))
        if self.config.keep_weights:
            model = self.ema_generator if self.ema is not None else self.generator
            self.history.weights.append((epoch, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}))


def build_optimizers(
    discriminator: nn.Module,
    generator: nn.Module,
    lr: float,
    *,
    lr_d: float | None = None,
    lr_g: float | None = None,
    betas: tuple[float, float] = (0.5, 0.999),
    kind: str = "adam",
    tricks: Sequence[Any] = (),
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """``(D's optimiser, G's optimiser)``: ``kind`` (``"adam"``, ``"sgd"`` or
    ``"rmsprop"``) at learning rate ``lr`` (``lr_d``/``lr_g`` for one player), Adam
    with ``betas``.  A trick that sets the rates (:class:`~modules.game.tricks.TTUR`)
    acts here, where the optimisers are built.  A recipe's ``build_*`` function calls
    this with the recipe's settings and hands the pair to :class:`GANTrainer`."""
    rates = (lr_d or lr, lr_g or lr)
    for trick in tricks:
        if trick.acts_on == "rates":
            rates = trick.rates(*rates)
    for rate in rates:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"a learning rate must be a positive number (got {rate})")

    def build(model: nn.Module, rate: float) -> torch.optim.Optimizer:
        if kind == "sgd":
            return torch.optim.SGD(model.parameters(), lr=rate, foreach=True)
        if kind == "rmsprop":  # the original WGAN's choice
            return torch.optim.RMSprop(model.parameters(), lr=rate, foreach=True)
        if kind == "adam":
            return torch.optim.Adam(model.parameters(), lr=rate, betas=betas, foreach=True)
        raise ValueError(f"optimizer must be 'adam', 'sgd' or 'rmsprop' (got {kind!r})")

    return build(discriminator, rates[0]), build(generator, rates[1])
