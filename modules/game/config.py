"""The settings of one training run."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["TrainConfig"]


@dataclass
class TrainConfig:
    """Hyperparameters of one training run, handed to the trainer (never read from globals).

    ``lr``, ``lr_d``/``lr_g`` (default ``lr``), ``betas`` and ``optimizer`` make the
    optimisers of a trainer that is not given its own (a recipe's ``build_*`` function
    gives them, from the recipe, through :func:`~modules.game.loop.build_optimizers`,
    where :class:`~modules.game.tricks.TTUR` acts).  ``lr_decay="linear"`` lowers both learning
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
