"""A TensorBoard log of a run, for students who watch training there (``--tensorboard DIR``).

:class:`TensorBoardLogger` is a callback of the training loop: after every step it
logs the two losses and D's beliefs, ``D(x)`` and ``D(G(z))``; every ``every`` steps
(and after the last) the generator's images on the fixed snapshot noise, the same
grid the lessons' progress figures show.  A run loaded from the model cache writes
the same log from what it kept (every step's numbers and its snapshots), so the
dashboard never depends on whether the run was trained now.

TensorBoard is optional (``pip install 'gan-course[tensorboard]'``): the course runs
without it, and :func:`missing` says in one line how to install it.

Introduced in lesson 12.1.2 (DCGAN); every script that trains one image GAN offers it.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import torch

from modules.data.images import to_unit_range
from modules.game.history import Callback

__all__ = ["TensorBoardLogger", "missing", "open_writer", "SCALARS"]

#: what the log calls the numbers of each step's record
SCALARS = {"d_loss": "loss/D", "g_loss": "loss/G", "d_real": "D/D(x) real", "d_fake": "D/D(G(z)) fake"}
INSTALL = "pip install 'gan-course[tensorboard]' (or pip install tensorboard)"


def missing() -> str | None:
    """Why a TensorBoard log cannot be written here (one line), or ``None``."""
    if importlib.util.find_spec("tensorboard") is None:
        return f"needs the tensorboard package: {INSTALL}"
    return None


def open_writer(log_dir: str | os.PathLike) -> Any:
    """A ``torch.utils.tensorboard.SummaryWriter`` writing to ``log_dir``."""
    if problem := missing():
        raise RuntimeError(f"--tensorboard {problem}")
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(log_dir))


def _grid(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] tiled into one ``(C, H, W)`` picture in [0, 1]."""
    from torchvision.utils import make_grid

    return make_grid(to_unit_range(images.detach().float().cpu()), nrow=8, padding=1, pad_value=0.5)


class TensorBoardLogger(Callback):
    """Log a run to TensorBoard; see the module docstring.  ``writer`` replaces the
    ``SummaryWriter`` (the tests pass a recorder); by default one is opened on the
    first thing logged, in ``log_dir``."""

    def __init__(self, log_dir: str | os.PathLike, every: int = 100, writer: Any = None) -> None:
        self.log_dir = Path(os.path.expanduser(log_dir)).resolve()
        self.every = max(1, int(every))
        self._writer = writer
        self.announced = False

    @property
    def writer(self) -> Any:
        if self._writer is None:
            self._writer = open_writer(self.log_dir)
        if not self.announced:
            print(f"TensorBoard log: {self.log_dir} (tensorboard --logdir {self.log_dir})", flush=True)
            self.announced = True
        return self._writer

    def _scalars(self, step: int, record: dict[str, float]) -> None:
        for key, tag in SCALARS.items():
            if key in record:
                self.writer.add_scalar(tag, float(record[key]), step)

    def on_epoch_end(self, trainer, epoch: int, record: dict[str, float]) -> None:
        self._scalars(epoch, record)
        if epoch % self.every == 0 or epoch == trainer.last_epoch:
            ema = getattr(trainer, "ema", None) is not None
            self.writer.add_image("fixed noise" + (" (moving average of G)" if ema else ""), _grid(trainer.sample_fixed(ema=ema)), epoch)

    def on_train_end(self, trainer) -> None:
        self.writer.flush()

    def replay(self, trainer) -> None:
        """A run from the model cache: log every step's numbers and the snapshots it kept."""
        history = trainer.history
        for i, step in enumerate(history.epoch):
            self._scalars(step, {key: getattr(history, key)[i] for key in SCALARS if len(getattr(history, key)) > i})
        for step, images in history.snapshots:
            self.writer.add_image("fixed noise (snapshots)", _grid(images), step)
        self.writer.flush()
