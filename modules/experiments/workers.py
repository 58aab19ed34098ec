"""GAN trainers trained once, cached, and trained side by side on a CPU.

:func:`trained` gives the trained :class:`~modules.game.loop.GANTrainer` of every
recipe of a list, through :func:`~modules.game.runs.cached_runs`: the trainers in the
model cache are loaded, the missing ones trained, several at once in worker processes
on a CPU.  :func:`workers_option` is the ``--workers`` flag of the scripts that do so.

Checkpoints and resuming.  :func:`checkpoint_options` are the flags of the scripts
whose full preset trains for long: ``--checkpoint PATH`` writes each trained run to a
file, ``--checkpoint-every N`` also every N steps while it trains (an interrupted run
can go on from there), and ``--resume PATH`` goes on from such a file up to ``--steps``
in total, with exactly the weights, losses and random draws of an uninterrupted run.
A script with several runs writes one file per run, named by :func:`run_path`
(``ckpt.pt`` -> ``ckpt-l1_gan.pt`` for the run called "L1 + GAN").  :func:`trained`
(and :func:`~modules.experiments.dcgan.pretrained_gan`, which uses it) takes the three
as ``checkpoint=``, ``checkpoint_every=`` and ``resume=``; without them nothing changes.

Introduced in lesson 12.1.4 (GAN Losses and Wasserstein GANs), where the 2-D
comparisons first train side by side; lesson 12.1.8 trains its image-translation
variants the same way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from modules.cli import Option, at_least
from modules.game import distributed
from modules.game.history import Callback
from modules.game.loop import GANTrainer
from modules.game.runs import _resolve, cached_runs, plain
from modules.game.runtime import set_global_rng_state
from modules.game.state import load as restore_checkpoint, restore_cached
from modules.storage.checkpoints import CheckpointError, absolute, cache_path, load_checkpoint

__all__ = ["trained", "workers_option", "checkpoint_options", "run_path", "read_resume", "resume_run", "fit_run", "save_run"]


def workers_option(default: int) -> Option:
    """``--workers N``: how many runs train at once on a CPU (``0``: one per core)."""
    return Option("workers", default, int, "training processes at once on a CPU (0: one per core)", at_least(0))


def checkpoint_options(several: bool = False) -> list[Option]:
    """``--checkpoint PATH``, ``--checkpoint-every N`` and ``--resume PATH``, for
    :func:`trained`'s ``checkpoint``, ``checkpoint_every`` and ``resume``.
    ``several``: the script trains several runs, one file each (:func:`run_path`)."""
    if several:
        save = "also save each trained run, to a file of its own: this path with the run's name before the suffix (ckpt.pt -> ckpt-<run>.pt)"
        resume = "go on from the checkpoints --checkpoint PATH wrote, up to --steps in total"
    else:
        save, resume = "also save the trained run to this file", "go on from this checkpoint up to --steps in total"
    return [
        Option("checkpoint", None, str, save),
        Option("checkpoint_every", 0, int, "with --checkpoint: also save every N steps while training, so an interrupted run can --resume (0: at the end only)", at_least(0)),
        Option("resume", None, str, resume),
    ]


def run_path(path: str | os.PathLike, name: str | None = None) -> Path:
    """The checkpoint file of the run called ``name``, as a full path: ``path`` with the
    name (lower case, every stretch of other characters than letters and digits
    turned into ``_``) put before the suffix, so ``ckpt.pt`` holds the run "L1 + GAN"
    in ``ckpt-l1_gan.pt``.  ``name=None`` (a script with one run): ``path`` itself."""
    path = absolute(path)
    if name is None:
        return path
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "run"
    return path.with_name(f"{path.stem}-{slug}{path.suffix}")


def save_run(trainer: GANTrainer, recipe: Any, kind: str, path: str | os.PathLike, when: str = "") -> Path:
    """Write ``trainer``, a run of ``recipe`` (of the kind ``kind`` names in the model
    cache), to ``path`` atomically, with the recipe inside, and say so with the full
    path (rank 0 alone under ``torchrun``, where every rank calls it)."""
    path = absolute(path)
    trainer.save_checkpoint(path, recipe=asdict(recipe), run=kind)
    if distributed.is_main_process():
        print(f"saved checkpoint: {path}{when}", flush=True)
    return path


def read_resume(path: str | os.PathLike, recipe: Any, kind: str) -> dict[str, Any]:
    """The contents of the checkpoint at ``path``, checked to be a run of ``recipe``
    but for its number of steps, at or before ``recipe.steps``: anything else raises
    :class:`~modules.storage.checkpoints.CheckpointError` with one line."""
    path = absolute(path)
    data = load_checkpoint(path, kind="gan")
    if data.get("run", kind) != kind:
        raise CheckpointError(f"{path} holds a {data['run']} run, not a {kind} run")
    saved, current = _settings(data), plain(recipe)
    if saved is None:
        raise CheckpointError(f"{path} does not say which recipe it was trained with")
    differ = [k for k in sorted(set(saved) | set(current)) if k != "steps" and saved.get(k, "(none)") != current.get(k, "(none)")]
    if differ:
        shown = "; ".join(f"{k} {saved.get(k, '(none)')!r} there, {current.get(k, '(none)')!r} here" for k in differ[:3])
        more = f" and {len(differ) - 3} more" if len(differ) > 3 else ""
        raise CheckpointError(f"{path} holds a different run ({shown}{more}); a resumed run may change --steps only")
    epoch = data.get("epoch")
    if not isinstance(epoch, int):
        raise CheckpointError(f"{path} does not say how many steps it trained")
    if epoch > recipe.steps:
        raise CheckpointError(f"{path} has trained {epoch} steps, more than --steps {recipe.steps}: ask for {epoch} steps or more")
    return data


def _settings(data: dict[str, Any]) -> dict[str, Any] | None:
    """The recipe a checkpoint keeps, as :func:`~modules.game.runs.plain` data."""
    saved = data.get("recipe")
    return {k: list(v) if isinstance(v, tuple) else v for k, v in saved.items()} if isinstance(saved, dict) else None


def resume_run(trainer: GANTrainer, recipe: Any, kind: str, path: str | os.PathLike, data: dict[str, Any] | None = None) -> bool:
    """Put ``trainer``, just built from ``recipe``, where the checkpoint at ``path``
    stopped (``data``: its contents from :func:`read_resume`): the networks, the
    optimisers, every random-number generator the run draws from (the process's
    global ones included), the history, and what its callbacks measured so far
    where they measure the same way (a callback that measures every ``steps / 20``
    steps measures elsewhere after another ``--steps``: it keeps only what it
    measures from here on).  Returns whether the file is a checkpoint of this very
    run, steps included (``--checkpoint-every``): only then is the finished run
    what an uninterrupted run gives in every respect, snapshots included."""
    path = absolute(path)
    data = read_resume(path, recipe, kind) if data is None else data
    restore_checkpoint(trainer, path, data=data)
    saved = data.get("callbacks") or []
    left_out = False
    for i, callback in enumerate(trainer.callbacks):
        if callable(getattr(callback, "state_dict", None)) and callback.state_dict() is not None:
            try:
                callback.load_state_dict(saved[i] if i < len(saved) else None)
            except (ValueError, TypeError, KeyError, IndexError):
                left_out = True
    if trainer.global_rng is not None:
        set_global_rng_state(trainer.global_rng, trainer.device)
    if distributed.is_main_process():
        print(f"resumed from {path} at step {trainer.epoch}", flush=True)
        if left_out:
            print(f"note: {path} keeps measurements taken at other steps (another --steps); those of its first {trainer.epoch} steps are left out", flush=True)
    return _settings(data) == plain(recipe)


class SaveEvery(Callback):
    """Write the run to ``path`` every ``every`` steps while it trains, but not at its
    last step (:func:`fit_run`'s caller writes the finished run)."""

    def __init__(self, every: int, recipe: Any, kind: str, path: Path) -> None:
        self.every, self.recipe, self.kind, self.path = int(every), recipe, kind, path

    def on_epoch_end(self, trainer: GANTrainer, epoch: int, record: dict[str, float]) -> None:
        if epoch % self.every == 0 and epoch < trainer.last_epoch:
            save_run(trainer, self.recipe, self.kind, self.path, f" (step {epoch})")


def fit_run(trainer: GANTrainer, recipe: Any, kind: str, checkpoint: str | os.PathLike | None = None, every: int = 0) -> GANTrainer:
    """Train ``trainer``, a run of ``recipe``, on to ``recipe.steps`` in total; with
    ``every``, write it to ``checkpoint`` every ``every`` steps meanwhile
    (:func:`save_run`).  Returns the trainer."""
    saver = [SaveEvery(every, recipe, kind, absolute(checkpoint))] if every and checkpoint is not None else []
    trainer.callbacks.extend(saver)
    try:
        if trainer.epoch < recipe.steps:
            trainer.fit(recipe.steps - trainer.epoch)
    finally:
        for callback in saver:
            trainer.callbacks.remove(callback)
    return trainer


def trained(
    kind: str,
    recipes: Sequence[Any],
    build: Callable[..., GANTrainer],
    workers: int | None = None,
    device: str = "cpu",
    *,
    names: Sequence[str] | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 0,
    resume: str | os.PathLike | None = None,
    **build_args: Any,
) -> list[GANTrainer]:
    """The trained trainers of ``recipes``, through :func:`~modules.game.runs.cached_runs`.

    ``build(recipe, device=device, **build_args)`` makes an untrained trainer; a run
    made here trains it (with ``build_args``' callbacks and progress bar), a run
    made in a worker trains ``build(recipe, device="cpu")`` and is loaded into one.
    A run loaded from the cache gives its callbacks back what they kept while it
    trained, and they say again what they said then
    (:meth:`~modules.game.history.Callback.replay`).

    ``checkpoint`` (a path) also writes every run to a file at the end
    (:func:`save_run`); ``checkpoint_every`` also every that many steps while it
    trains, here; ``resume`` (a path) goes on from such a file, here, up to
    ``recipe.steps``, without reading the cache.  ``names`` name the runs; each has
    its own file, :func:`run_path` of the path and its name (without names, one
    recipe, the path itself).  A resumed run goes into the cache only when its file
    is a checkpoint of the same recipe, steps included (:func:`resume_run`).  Under
    ``torchrun`` every process trains every run (the cache is not read; rank 0
    writes it and the files).
    """
    recipes = list(recipes)
    if build_args.get("callbacks") and len(recipes) > 1:
        raise ValueError("callbacks watch one run: give them to trained() with one recipe")
    if names is not None and len(names) != len(recipes):
        raise ValueError(f"trained() got {len(names)} names for {len(recipes)} recipes")
    if names is None and len(recipes) > 1 and (checkpoint or resume):
        raise ValueError("several runs need names=, one each, for their checkpoint files")
    if checkpoint_every and checkpoint is None:
        raise CheckpointError("--checkpoint-every needs --checkpoint PATH, the file to write")

    def files(path: str | os.PathLike | None) -> list[Path | None]:
        if path is None:
            return [None] * len(recipes)
        return [run_path(path, name) for name in names] if names is not None else [run_path(path)]

    if resume is not None or checkpoint_every or distributed.enabled():
        resumes = files(resume)
        found = [None if file is None else read_resume(file, recipe, kind) for file, recipe in zip(resumes, recipes)]  # every file checked before any run trains
        trainers = [
            _train_here(kind, recipe, build, device, build_args, file, data, checkpoint_file, checkpoint_every)
            for recipe, file, data, checkpoint_file in zip(recipes, resumes, found, files(checkpoint))
        ]
    else:
        trainers = _trained(kind, recipes, build, workers, device, build_args)
    if checkpoint is not None:
        for trainer, recipe, file in zip(trainers, recipes, files(checkpoint)):
            save_run(trainer, recipe, kind, file)
    return trainers


def _train_here(kind, recipe, build, device, build_args, resume, data, checkpoint, every) -> GANTrainer:
    """One run of :func:`trained` made in this process: resumed from ``resume`` (and
    cached when that is a checkpoint of this very run), or through the model cache
    (trained when missing), or under ``torchrun`` trained on every process."""
    if resume is None and not distributed.enabled():
        (trainer,) = _trained(kind, [recipe], build, 1, device, build_args, lambda t, r: fit_run(t, r, kind, checkpoint, every))
        return trainer
    trainer = build(recipe, device=device, **build_args)
    same = resume_run(trainer, recipe, kind, resume, data) if resume is not None else True
    fit_run(trainer, recipe, kind, checkpoint, every)
    if same:
        save_trainer(trainer, recipe, cache_path(kind, asdict(recipe)))  # under torchrun, rank 0 writes it
    return trainer


def _trained(
    kind: str,
    recipes: list[Any],
    build: Callable[..., GANTrainer],
    workers: int | None,
    device: str,
    build_args: dict[str, Any],
    fit: Callable[[GANTrainer, Any], Any] | None = None,
) -> list[GANTrainer]:
    """The runs of :func:`trained` through the model cache: loaded, or trained (here by
    ``fit(trainer, recipe)`` when given, else by ``trainer.fit()``)."""

    def run(recipe: Any) -> GANTrainer:
        trainer = build(recipe, device=device, **build_args)
        if fit is not None:
            fit(trainer, recipe)
        else:
            trainer.fit()
        return trainer

    def load(recipe: Any, path: Path) -> GANTrainer | None:
        if not path.is_file():  # nothing cached: build it once, in run (a build can make its data)
            return None
        return restore_cached(build(recipe, device=device, **build_args), path)

    return cached_runs(
        kind, recipes, run, save_trainer, load, workers=workers, device=device,
        cost=lambda r: r.steps * r.batch_size, worker=(fit_new, (build,)),
    )


def fit_new(build: str, recipe: Any) -> GANTrainer:
    """What a worker of :func:`trained` makes: the recipe's trainer, built on the CPU
    by the function named ``build`` and trained."""
    trainer = _resolve(build)(recipe, device="cpu")
    trainer.fit()
    return trainer


def save_trainer(trainer: GANTrainer, recipe: Any, path: Path) -> None:
    """Write a trained trainer to its cache file, the recipe inside."""
    trainer.save_checkpoint(path, recipe=asdict(recipe))
