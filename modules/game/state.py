"""Checkpoints of a :class:`~modules.game.loop.GANTrainer`: everything needed to go on
exactly where training stopped, written atomically and read with ``weights_only=True``
(:mod:`modules.storage.checkpoints`)."""

from __future__ import annotations

import copy
import hashlib
import os
import re
from dataclasses import asdict, dataclass
from typing import Any

import torch

from modules.game import distributed
from modules.game.history import History
from modules.game.runs import cached_runs
from modules.game.runtime import global_rng_state
from modules.storage.checkpoints import CheckpointError, absolute, load_checkpoint, load_state, save_checkpoint

__all__ = ["Checkpoints", "trainer_state", "save", "load", "restore_cached", "fit_or_load", "trainer_digest"]

HISTORY_KEYS = ("epoch", "d_loss", "g_loss", "d_real", "d_fake")


class Checkpoints:
    """The checkpoint methods of :class:`~modules.game.loop.GANTrainer`."""

    def state_dict(self) -> dict[str, Any]:
        return trainer_state(self)

    def save_checkpoint(self, path: str | os.PathLike, **extra: Any) -> None:
        """Write the trainer atomically to ``path`` (:func:`save`)."""
        save(self, path, **extra)

    def load_checkpoint(self, path: str | os.PathLike, callbacks: bool = False) -> dict[str, Any]:
        """Restore a checkpoint (:func:`load`); one-line errors."""
        return load(self, path, callbacks)


def _cpu(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v.detach().cpu() if torch.is_tensor(v) else v for k, v in state.items()}


def trainer_state(trainer) -> dict[str, Any]:
    """Both players, both optimisers, the moving average, the round counter, the
    random-number state (the trainer's generator, and PyTorch's global generators
    as its training left them: dropout draws from those), the history, the game's
    own state and the config."""
    history = trainer.history.as_dict()
    history["snapshots"] = [[epoch, images] for epoch, images in trainer.history.snapshots]
    history["weights"] = [[epoch, state] for epoch, state in trainer.history.weights]
    config = asdict(trainer.config)
    config["betas"] = list(config["betas"])
    state = {
        "generator": _cpu(distributed.unwrap(trainer.generator).state_dict()),
        "discriminator": _cpu(distributed.unwrap(trainer.discriminator).state_dict()),
        "ema_generator": None if trainer.ema is None else _cpu(trainer.ema.model.state_dict()),
        "opt_g": trainer.opt_g.state_dict(),
        "opt_d": trainer.opt_d.state_dict(),
        "epoch": trainer.epoch,
        "ema_updates": 0 if trainer.ema is None else trainer.ema.updates,
        "rng": trainer.rng.get_state(),
        "global_rng": trainer.global_rng if getattr(trainer, "global_rng", None) is not None else global_rng_state(trainer.device),
        "history": history,
        "config": config,
        "callbacks": [cb.state_dict() if callable(getattr(cb, "state_dict", None)) else None for cb in trainer.callbacks],
    }
    if hasattr(trainer.game, "state_dict"):
        state["game"] = trainer.game.state_dict()
    return state


def save(trainer, path: str | os.PathLike, **extra: Any) -> None:
    """Write the trainer's state (plus ``extra``) to ``path``.  Under ``torchrun`` every
    rank calls it: rank 0 writes, with each rank's random-number state."""
    state = {**trainer_state(trainer), **extra}
    if distributed.enabled():
        state["rng_ranks"] = distributed.gather_objects(trainer.rng.get_state())
    if distributed.is_main_process():
        save_checkpoint(state, path, kind="gan")
    distributed.barrier()


def load(trainer, path: str | os.PathLike, callbacks: bool = False, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Restore a checkpoint written by :func:`save`; returns its contents.  A missing,
    corrupt, foreign or mismatching file raises :class:`CheckpointError` (one line)
    and leaves the trainer as it was.  With ``callbacks``, the trainer's callbacks
    take back what they kept (the model cache's runs, which then :meth:`replay
    <modules.game.history.Callback.replay>` it); a file without their state is refused.
    ``data``: the file's contents, when the caller has read them already
    (:func:`~modules.storage.checkpoints.load_checkpoint`).

    The state of PyTorch's global generators that the file keeps goes to
    ``trainer.global_rng``, not into this process's generators: a run that goes on
    from the file puts it there (:func:`~modules.game.runtime.set_global_rng_state`)."""
    path = absolute(path)
    data = load_checkpoint(path, kind="gan") if data is None else data
    backup = copy.deepcopy(trainer_state(trainer))
    global_rng = getattr(trainer, "global_rng", None)
    try:
        _restore(trainer, data, path, callbacks)
    except BaseException:
        _restore(trainer, backup, path, callbacks)
        trainer.global_rng = global_rng
        raise
    return data


def _restore(trainer, data: dict[str, Any], path: str | os.PathLike, callbacks: bool = False) -> None:
    load_state(trainer.generator, data.get("generator"), "generator", path)
    load_state(trainer.discriminator, data.get("discriminator"), "discriminator", path)
    if trainer.ema is not None:
        load_state(trainer.ema.model, data.get("ema_generator") or data.get("generator"), "generator", path)
    try:
        trainer.opt_g.load_state_dict(data["opt_g"])
        trainer.opt_d.load_state_dict(data["opt_d"])
        trainer.rng.set_state(data["rng"])
        trainer.global_rng = _global_rng(data.get("global_rng"))
        trainer.epoch = int(data["epoch"])
        if trainer.ema is not None:
            trainer.ema.updates = int(data.get("ema_updates", 0))
        saved = data["history"]
        trainer.history = History(**{k: list(saved[k]) for k in HISTORY_KEYS})
        trainer.history.snapshots = [(int(e), images) for e, images in saved.get("snapshots", [])]
        trainer.history.weights = [(int(e), dict(state)) for e, state in saved.get("weights", [])]
        if hasattr(trainer.game, "load_state_dict"):
            trainer.game.load_state_dict(data["game"])
        if callbacks:
            saved = data.get("callbacks") or []
            for i, cb in enumerate(trainer.callbacks):
                if callable(getattr(cb, "state_dict", None)) and cb.state_dict() is not None:
                    cb.load_state_dict(saved[i] if i < len(saved) else None)
        if distributed.enabled():
            states = data.get("rng_ranks")
            if states is not None and len(states) == distributed.world_size():
                trainer.rng.set_state(states[distributed.rank()])
            elif distributed.rank() > 0:
                trainer.rng.manual_seed(distributed.rank_seed(trainer.config.seed + trainer.epoch))
    except (KeyError, IndexError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{path} is incomplete or from another version ({type(err).__name__}: {err})") from None


def _global_rng(state: Any) -> dict[str, torch.Tensor] | None:
    """The global generators' state a checkpoint keeps (``None`` in older files)."""
    if state is None:
        return None
    if not isinstance(state, dict) or not torch.is_tensor(state.get("cpu")):
        raise ValueError("the state of the global random-number generators is damaged")
    return dict(state)


def restore_cached(trainer, path: str | os.PathLike):
    """``trainer`` restored from its model-cache file with its callbacks, which then say
    again what they said while it trained (:meth:`~modules.game.history.Callback.replay`);
    ``None`` (the trainer unchanged) when the file cannot be used."""
    try:
        trainer.load_checkpoint(path, callbacks=True)
    except CheckpointError:
        return None
    for callback in trainer.callbacks:
        if callable(replay := getattr(callback, "replay", None)):
            replay(trainer)
    return trainer


# --------------------------------------------------------------------------------------
# A trainer a script built itself, trained once and then loaded from the model cache
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BuiltTrainer:
    """The model cache's name for a trainer that a script built itself rather than
    from a recipe: the script's name and :func:`trainer_digest`."""

    script: str
    digest: str


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # in the repr of a function or an object


def trainer_digest(trainer) -> str:
    """A hash of everything that decides how ``trainer`` trains: both players'
    architectures and *initial weights* (so the seed and whatever the script drew
    before building them count), the config, the real and the noise sampler, the
    objective, the game, the tricks and the optimisers' settings.  The samplers count
    by their ``repr``: a frozen dataclass (:class:`~modules.data.synthetic.GaussianTarget`)
    or a ``functools.partial`` of a function names what it draws.  The progress bar's
    settings do not count: they change what a terminal shows, not the run."""
    digest = hashlib.sha256()

    def text(value: Any) -> None:
        digest.update(_ADDRESS.sub("", repr(value)).encode())

    for net in (distributed.unwrap(trainer.generator), distributed.unwrap(trainer.discriminator)):
        text(net)
        for name, tensor in net.state_dict().items():
            text(name)
            digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    settings = {k: v for k, v in asdict(trainer.config).items() if k not in ("progress", "progress_unit")}  # display only
    for part in (settings, trainer.real_sampler, trainer.noise_sampler, trainer.objective,
                 trainer.game, trainer.tricks, trainer.opt_d.defaults, trainer.opt_g.defaults):
        text(part)
    return digest.hexdigest()[:20]


def fit_or_load(trainer, script: str) -> History:
    """``trainer.fit()`` for a trainer that ``script`` built itself, through the model
    cache (:func:`~modules.game.runs.cached_runs`): when the same training
    (:func:`trainer_digest`, and the package's code) was done before, the trainer
    is loaded from its file instead, and its callbacks say again what they said
    while it trained.  Returns the history."""

    def run(_: BuiltTrainer):
        trainer.fit()
        return trainer

    def load_cached(_: BuiltTrainer, path):
        return restore_cached(trainer, path) if path.is_file() else None

    def save_run(_, key: BuiltTrainer, path) -> None:
        save(trainer, path, recipe=asdict(key))

    cached_runs("trainer", [BuiltTrainer(script, trainer_digest(trainer))], run, save_run, load_cached, workers=1)
    return trainer.history
