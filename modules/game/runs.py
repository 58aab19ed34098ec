"""Runs made once, cached, and made side by side in worker processes.

Every trained model and run a lesson shows comes through :func:`cached_runs`, the one
path of the model cache: a run is named by its recipe (a frozen dataclass of
settings) and kept in a file of the cache
(:func:`~modules.storage.checkpoints.cache_path`); a run that is missing is made and
written there, so the next script that asks for it, or the next build, loads it.

A lesson often compares runs that differ in one setting (a loss, a trick, a loss
weight).  Each run is small and uses one CPU thread, so on a machine with two cores two
runs train in the time of one.  :func:`run_in_workers` hands a list of calls to worker
processes; each call makes its run and writes it to a file (usually its file in the
model cache), where the caller picks it up.

A worker is a fresh ``python -m modules.game.runs`` process rather than a
``multiprocessing`` child, so the calling script is never re-imported: lesson scripts
have no ``if __name__ == "__main__"`` guard, and need none.  A called function must
therefore live at the top level of an importable module (``modules.experiments.toy2d``,
say) and take arguments that JSON can carry; a recipe travels as :func:`plain` data.

This module knows nothing of what a run is: the experiments train GANs through it
(:func:`modules.experiments.workers.trained`), and the evaluation its digit classifier
(:func:`modules.evaluation.classifier.pretrained_classifier`).

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
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import torch

from modules.storage.checkpoints import cache_path
from modules.game.runtime import TrainingDiverged

__all__ = ["run_in_workers", "cached_runs", "plain", "from_plain", "DIVERGED_EXIT"]

R = TypeVar("R")

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
    progress: bool | None = None,
) -> None:
    """Run ``function(*args)`` for every ``(function, args)`` in ``calls``, spread over
    ``workers`` processes with one PyTorch thread each; return when all are done.

    With ``costs`` (one rough number per call) the dearest calls start first, each
    on the least-loaded worker, so the workers finish together.  The functions'
    return values are dropped: they write their results to files.  A call that
    raises :class:`~modules.game.runtime.TrainingDiverged` makes this raise it with the
    same message; any other failure raises :class:`RuntimeError` with the worker's
    last line of error output.

    ``progress`` (default: when standard error is a terminal) draws a bar of the
    calls done so far: each worker notes every finished call in a file of its own,
    which this process reads while it waits.
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
    root = str(Path(__file__).resolve().parents[2])  # the folder that holds modules/
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
            done = {**env, PROGRESS_FILE: str(Path(tmp) / f"job{k}.done")}
            procs.append((subprocess.Popen([sys.executable, "-m", "modules.game.runs", str(job)], env=done, stdout=err, stderr=err), err))
        _watch([proc for proc, _ in procs], Path(tmp), len(calls), workers, sys.stderr.isatty() if progress is None else progress)
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


#: the environment variable naming the file where a worker notes each call it finished
PROGRESS_FILE = "GAN_COURSE_WORKER_DONE"


def _watch(procs: Sequence[subprocess.Popen], folder: Path, total: int, workers: int, progress: bool) -> None:
    """Wait for the workers; with ``progress``, a bar of the calls they have finished
    (counted from their ``job<k>.done`` files in ``folder``)."""
    if not progress:
        for proc in procs:
            proc.wait()
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=f"{total} runs in {workers} worker processes", unit="run", file=sys.stderr) as bar:
        while True:
            running = any(proc.poll() is None for proc in procs)
            finished = sum(len(p.read_text().splitlines()) for p in folder.glob("job*.done"))
            bar.update(finished - bar.n)
            if not running:
                return
            time.sleep(0.5)


def plain(recipe: Any) -> dict[str, Any]:
    """A recipe's settings as JSON- and ``weights_only``-safe data (tuples as lists):
    what a worker is sent, and what a saved run keeps of its recipe."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(recipe).items()}


def from_plain(recipe_type: type, settings: dict[str, Any]) -> Any:
    """The recipe :func:`plain` made ``settings`` from (lists back to tuples)."""
    return recipe_type(**{k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()})


def cached_runs(
    kind: str,
    recipes: Sequence[Any],
    run: Callable[[Any], R],
    save: Callable[[R, Any, Path], None],
    load: Callable[[Any, Path], R | None],
    workers: int | None = None,
    device: str = "cpu",
    cost: Callable[[Any], float] | None = None,
    use_cache: bool = True,
    worker: tuple[Callable[..., R], Sequence[Any]] | None = None,
) -> list[R]:
    """The results of ``recipes`` (frozen dataclasses), in order: the one path by
    which every lesson's trained models and runs are made and cached.

    A recipe's file in the model cache is named by ``kind`` and its settings
    (:func:`~modules.storage.checkpoints.cache_path`, which also hashes the package's
    code).  ``load(recipe, path)`` returns what the file holds, or ``None`` when it is
    missing or unusable; the missing runs are made by ``run(recipe)`` and written by
    ``save(result, recipe, path)``.  On the CPU, two or more missing runs are made
    at once in up to ``workers`` processes (default: one per core; ``cost`` orders
    them, dearest first), each making its runs with ``function(*args, recipe)``
    for ``worker = (function, args)`` (default: ``run``) and writing them with
    ``save``: these must be top-level functions of an importable module and ``args``
    JSON data or such functions (a worker gets their names).  Elsewhere, or with
    ``workers=1``, the runs are made one after the other here.  ``use_cache=False``
    neither reads nor keeps files (workers then write to a temporary folder).
    """
    recipes = list(recipes)
    results: dict[int, R] = {}
    with tempfile.TemporaryDirectory(prefix="gan-runs-") as scratch:
        paths = [cache_path(kind, asdict(r)) if use_cache else Path(scratch) / f"run{i}.pt" for i, r in enumerate(recipes)]
        for i, (recipe, path) in enumerate(zip(recipes, paths)):
            found = load(recipe, path) if use_cache else None
            if found is not None:
                results[i] = found
        missing = [i for i in range(len(recipes)) if i not in results]
        workers = os.cpu_count() or 1 if workers is None else int(workers)
        if len(missing) > 1 and workers > 1 and str(device) == "cpu":
            function, args = worker if worker is not None else (run, ())
            job = [_name_of(function), [_name_of(a) if callable(a) else a for a in args], _name_of(save)]
            calls = [(run_and_save, (*job, _name_of(type(recipes[i])), plain(recipes[i]), str(paths[i]))) for i in missing]
            run_in_workers(calls, workers, [cost(recipes[i]) if cost else 1.0 for i in missing])
            for i in missing:
                results[i] = load(recipes[i], paths[i])
                if results[i] is None:
                    raise RuntimeError(f"a training worker wrote no usable file for {recipes[i]} at {paths[i]}")
        else:
            for i in missing:
                results[i] = run(recipes[i])
                if use_cache:
                    save(results[i], recipes[i], paths[i])
    return [results[i] for i in range(len(recipes))]


def run_and_save(function: str, args: list[Any], save: str, recipe_type: str, settings: dict[str, Any], path: str) -> None:
    """What a worker of :func:`cached_runs` does for one recipe: make it, write it."""
    recipe = from_plain(_resolve(recipe_type), settings)
    _resolve(save)(_resolve(function)(*args, recipe), recipe, Path(path))


def _resolve(name: str) -> Any:
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _worker(job_file: str) -> int:
    """Entry point of a worker process: make the calls listed in ``job_file``."""
    torch.set_num_threads(1)
    done = os.environ.get(PROGRESS_FILE)
    try:
        for name, args in json.loads(Path(job_file).read_text()):
            _resolve(name)(*args)
            if done:  # one line per finished call: the parent's progress bar counts them
                with open(done, "a") as note:
                    note.write(f"{name}\n")
    except TrainingDiverged as err:
        print(err, file=sys.stderr)
        return DIVERGED_EXIT
    return 0


if __name__ == "__main__":  # a worker started by run_in_workers()
    raise SystemExit(_worker(sys.argv[1]))
