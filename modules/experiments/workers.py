"""Several independent training runs at once, one worker process per CPU core.

A lesson often compares runs that differ in one setting (a loss, a trick, a loss
weight).  Each run is small and uses one CPU thread, so on a machine with two cores two
runs train in the time of one.  :func:`run_in_workers` hands a list of calls to worker
processes; each call trains and writes its result to a file (usually the model
cache), where the caller picks it up.

Each worker is a fresh ``python -m modules.experiments.workers`` process rather than a
``multiprocessing`` child, so the calling script is never re-imported: lesson scripts
have no ``if __name__ == "__main__"`` guard, and need none.  A called function must
therefore live at the top level of an importable module (``modules.experiments.toy2d``, say) and
take arguments that JSON can carry.

Introduced in lesson 12.1.4 (GAN Losses and Wasserstein GANs), where the 2-D
comparisons first train side by side; lesson 12.1.8 trains its image-translation
variants the same way.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from modules.storage.checkpoints import CheckpointError, cache_path
from modules.game.loop import GANTrainer
from modules.game.runtime import TrainingDiverged

__all__ = ["run_in_workers", "trained", "DIVERGED_EXIT"]

#: A worker's exit status when its run diverged (the message is its last stderr line).
DIVERGED_EXIT = 3


def _name_of(function: Callable[..., Any]) -> str:
    name = f"{function.__module__}:{function.__qualname__}"
    if "<" in function.__qualname__ or "." in function.__qualname__ or function.__module__ == "__main__":
        raise ValueError(f"{name} cannot run in a worker: use a top-level function or class of an importable module")
    return name


def run_in_workers(
    calls: Sequence[tuple[Callable[..., Any], Sequence[Any]]],
    workers: int,
    costs: Sequence[float] | None = None,
) -> None:
    """Run ``function(*args)`` for every ``(function, args)`` in ``calls``, spread over
    ``workers`` processes with one PyTorch thread each; return when all are done.

    With ``costs`` (one rough number per call) the dearest calls start first, each
    on the least-loaded worker, so the workers finish together.  The functions'
    return values are dropped: they write their results to files.  A call that
    raises :class:`~modules.game.TrainingDiverged` makes this raise it with the
    same message; any other failure raises :class:`RuntimeError` with the worker's
    last line of error output.
    """
    calls = list(calls)
    if not calls:
        return
    workers = max(1, min(int(workers), len(calls)))
    costs = list(costs) if costs is not None else [1.0] * len(calls)
    groups: list[list[int]] = [[] for _ in range(workers)]
    load = [0.0] * workers
    for i in sorted(range(len(calls)), key=lambda i: -costs[i]):
        k = load.index(min(load))
        groups[k].append(i)
        load[k] += costs[i]
    root = str(Path(__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        "OMP_NUM_THREADS": "1",  # one thread per worker: the workers share the cores
        "MKL_NUM_THREADS": "1",
    }
    with tempfile.TemporaryDirectory(prefix="gan-workers-") as tmp:
        procs = []
        for k, group in enumerate(groups):
            job = Path(tmp) / f"job{k}.json"
            job.write_text(json.dumps([[_name_of(calls[i][0]), list(calls[i][1])] for i in group]))
            err = open(Path(tmp) / f"job{k}.err", "w+")
            procs.append((subprocess.Popen([sys.executable, "-m", "modules.experiments.workers", str(job)], env=env, stdout=err, stderr=err), err))
        failures = []
        for proc, err in procs:
            code = proc.wait()
            err.seek(0)
            lines = [line for line in err.read().splitlines() if line.strip()]
            err.close()
            if code != 0:
                failures.append((code, lines[-1] if lines else f"exit status {code}"))
        if failures:
            code, message = failures[0]
            if code == DIVERGED_EXIT:
                raise TrainingDiverged(message)
            raise RuntimeError(f"a training worker failed: {message}")


def trained(
    kind: str,
    recipes: Sequence[Any],
    build: Callable[..., GANTrainer],
    workers: int | None = None,
    device: str = "cpu",
    **build_args: Any,
) -> list[GANTrainer]:
    """The trained trainers of ``recipes`` (frozen dataclasses), in order.

    ``build(recipe, device=device, **build_args)`` makes an untrained trainer; each
    run is loaded from the model cache (file name from ``kind`` and the recipe's
    settings) when it is there, else trained and cached.  On the CPU, two or more
    missing runs train at once in up to ``workers`` processes (default: one per
    core); elsewhere, or with ``workers=1``, one after the other in this process
    (with ``build_args``' callbacks and progress bar, which workers do not show).
    """
    recipes = list(recipes)
    # Dropout draws from PyTorch's global generator, which each build seeds: remember
    # its state after each build, so a run trained here draws what a worker (which
    # builds one trainer and trains it) draws.
    trainers, rng_states = [], []
    for recipe in recipes:
        trainers.append(build(recipe, device=device, **build_args))
        rng_states.append(torch.get_rng_state())
    paths = [cache_path(kind, asdict(recipe)) for recipe in recipes]
    missing = []
    for i, (trainer, path) in enumerate(zip(trainers, paths)):
        try:
            trainer.load_checkpoint(path)
        except CheckpointError:
            missing.append(i)
    workers = os.cpu_count() or 1 if workers is None else int(workers)
    if len(missing) > 1 and workers > 1 and str(device) == "cpu":
        calls = [(train_and_save, (_name_of(build), _name_of(type(recipes[i])), asdict(recipes[i]), str(paths[i]))) for i in missing]
        run_in_workers(calls, workers, [recipes[i].steps * recipes[i].batch_size for i in missing])
        for i in missing:
            trainers[i].load_checkpoint(paths[i])
    else:
        for i in missing:
            torch.set_rng_state(rng_states[i])
            trainers[i].fit()
            trainers[i].save_checkpoint(paths[i], recipe=asdict(recipes[i]))
    return trainers


def _resolve(name: str) -> Any:
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def train_and_save(build: str, recipe_type: str, settings: dict[str, Any], path: str) -> None:
    """What a worker of :func:`trained` runs: build the recipe's trainer on the CPU,
    train it and save it to ``path`` (its file in the model cache)."""
    recipe = _resolve(recipe_type)(**settings)
    trainer = _resolve(build)(recipe, device="cpu")
    trainer.fit()
    trainer.save_checkpoint(path, recipe=settings)


def _worker(job_file: str) -> int:
    """Entry point of a worker process: make the calls listed in ``job_file``."""
    torch.set_num_threads(1)
    try:
        for name, args in json.loads(Path(job_file).read_text()):
            _resolve(name)(*args)
    except TrainingDiverged as err:
        print(err, file=sys.stderr)
        return DIVERGED_EXIT
    return 0


if __name__ == "__main__":  # a worker started by run_in_workers()
    raise SystemExit(_worker(sys.argv[1]))
