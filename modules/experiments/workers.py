"""GAN trainers trained once, cached, and trained side by side on a CPU.

:func:`trained` gives the trained :class:`~modules.game.loop.GANTrainer` of every
recipe of a list, through :func:`~modules.game.runs.cached_runs`: the trainers in the
model cache are loaded, the missing ones trained, several at once in worker processes
on a CPU.  :func:`workers_option` is the ``--workers`` flag of the scripts that do so.

Introduced in lesson 12.1.4 (GAN Losses and Wasserstein GANs), where the 2-D
comparisons first train side by side; lesson 12.1.8 trains its image-translation
variants the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from modules.cli import Option, at_least
from modules.game.loop import GANTrainer
from modules.game.runs import _resolve, cached_runs
from modules.game.state import restore_cached

__all__ = ["trained", "workers_option"]


def workers_option(default: int) -> Option:
    """``--workers N``: how many runs train at once on a CPU (``0``: one per core)."""
    return Option("workers", default, int, "training processes at once on a CPU (0: one per core)", at_least(0))


def trained(
    kind: str,
    recipes: Sequence[Any],
    build: Callable[..., GANTrainer],
    workers: int | None = None,
    device: str = "cpu",
    **build_args: Any,
) -> list[GANTrainer]:
    """The trained trainers of ``recipes``, through :func:`~modules.game.runs.cached_runs`.

    ``build(recipe, device=device, **build_args)`` makes an untrained trainer; a run
    made here trains it (with ``build_args``' callbacks and progress bar), a run
    made in a worker trains ``build(recipe, device="cpu")`` and is loaded into one.
    A run loaded from the cache gives its callbacks back what they kept while it
    trained, and they say again what they said then
    (:meth:`~modules.game.history.Callback.replay`).
    """
    if build_args.get("callbacks") and len(recipes) > 1:
        raise ValueError("callbacks watch one run: give them to trained() with one recipe")

    def run(recipe: Any) -> GANTrainer:
        trainer = build(recipe, device=device, **build_args)
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
