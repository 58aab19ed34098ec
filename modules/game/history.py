"""What a run leaves behind (:class:`History`) and what watches it (callbacks)."""

from __future__ import annotations

import ast
import hashlib
import inspect
import sys
import textwrap
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from modules.game import distributed

#: what a callback is handed: the :class:`~modules.game.loop.GANTrainer` (not imported
#: here, since the loop imports this module)
Trainer = Any

__all__ = ["History", "Callback", "EvalEvery", "ProgressBar"]


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

    def record(self, epoch: int) -> dict[str, float]:
        """The losses and beliefs recorded at ``epoch``."""
        i = self.epoch.index(epoch)
        return {key: getattr(self, key)[i] for key in ("d_loss", "g_loss", "d_real", "d_fake")}

    def as_dict(self) -> dict[str, list]:
        data = asdict(self)
        data.pop("snapshots")
        data.pop("weights")
        return data


class Callback:
    """Hooks into the training loop; override what you need."""

    def on_train_start(self, trainer: Trainer) -> None:
        pass

    def on_epoch_end(self, trainer: Trainer, epoch: int, record: dict[str, float]) -> None:
        pass

    def on_train_end(self, trainer: Trainer) -> None:
        pass

    def state_dict(self) -> Any:
        """What a checkpoint keeps of this callback (``None``: nothing); data that
        ``torch.load(..., weights_only=True)`` reads back."""
        return None

    def load_state_dict(self, state: Any) -> None:
        """Take back what :meth:`state_dict` gave; raise ``ValueError`` when ``state``
        is not this callback's (then the run is trained anew)."""

    def replay(self, trainer: Trainer) -> None:
        """Say again what this callback said while ``trainer`` trained: a run loaded
        from the model cache prints the lines its training printed."""


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
        evaluate: Callable[[Trainer], Any],
        describe: Callable[[int, dict[str, float], Any], str] | None = None,
    ) -> None:
        self.every = max(1, int(every))
        self.evaluate = evaluate
        self.describe = describe
        self.results: list[tuple[int, Any]] = []

    def on_epoch_end(self, trainer: Trainer, epoch: int, record: dict[str, float]) -> None:
        if epoch % self.every == 0 or epoch == trainer.last_epoch:
            result = self.evaluate(trainer)
            self.results.append((epoch, result))
            if self.describe is not None and distributed.is_main_process():
                print(self.describe(epoch, record, result), flush=True)

    def state_dict(self) -> dict[str, Any]:
        return {"every": self.every, "evaluate": code_fingerprint(self.evaluate), "results": [[epoch, result] for epoch, result in self.results]}

    def load_state_dict(self, state: Any) -> None:
        """Take back the results of an EvalEvery with the same interval and the same
        ``evaluate`` code (a changed measurement is measured anew)."""
        if not isinstance(state, dict) or (state.get("every"), state.get("evaluate")) != (self.every, code_fingerprint(self.evaluate)):
            raise ValueError(f"no results of this EvalEvery({self.every}) in this checkpoint")
        self.results = [(int(epoch), result) for epoch, result in state["results"]]

    def replay(self, trainer: Trainer) -> None:
        if self.describe is not None and distributed.is_main_process():
            for epoch, result in self.results:
                print(self.describe(epoch, trainer.history.record(epoch), result), flush=True)


def code_fingerprint(function: Callable[..., Any]) -> str:
    """A hash of what ``function`` computes: the syntax tree of its source, so neither
    a comment, nor where it stands in its file, nor the cell of a notebook it was
    defined in changes it.  (Not its bytecode: CPython compiles ``torch.Generator()``
    one way when ``import torch`` is in the same module and another way when it is
    not, so a script and the notebook made from it would differ.)  Without a source
    (a function built by ``exec``), its bytecode, constants and names."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        return hashlib.sha256(ast.dump(tree).encode()).hexdigest()[:16]
    except (OSError, TypeError, SyntaxError, IndentationError):
        pass

    def parts(code: Any) -> Any:
        consts = tuple(parts(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts)
        return code.co_code, consts, code.co_names, code.co_varnames

    code = getattr(function, "__code__", None)
    return hashlib.sha256(repr(parts(code) if code is not None else repr(function)).encode()).hexdigest()[:16]


class ProgressBar(Callback):
    """A tqdm bar on standard error over the rounds of one ``fit``, with the rate, the
    time remaining and the last losses.  The trainer adds it when ``config.progress``
    is set (a full-preset run in a terminal), on rank 0 only."""

    def __init__(self, unit: str = "epoch") -> None:
        self.unit = unit
        self.bar = None

    def on_train_start(self, trainer: Trainer) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=trainer.last_epoch - trainer.epoch, file=sys.stderr, unit=self.unit, dynamic_ncols=True)

    def on_epoch_end(self, trainer: Trainer, epoch: int, record: dict[str, float]) -> None:
        self.bar.update(1)
        self.bar.set_postfix(d_loss=f"{record['d_loss']:.3f}", g_loss=f"{record['g_loss']:.3f}", refresh=False)

    def on_train_end(self, trainer: Trainer) -> None:
        self.bar.close()
