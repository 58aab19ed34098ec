"""Named results: the numbers a lesson quotes, recorded by its script as it runs.

A number that comes from a run is never pasted into a lesson's prose: PyTorch rounds
differently on other processors and GPUs, so a pasted number is wrong on the next
machine.  Instead the script records it under a name::

    from modules.storage.results import record

    record("final_mean", mean, ".3f")       # value 3.9912..., shown as "3.991"
    record("classes_covered", covered)      # an int, shown as "10"

and the lesson pulls it in while the site is built (``:result:`gan_architecture.final_mean```,
see ``docs/_ext/course_build.py``), so a page always shows the numbers of the build
that drew its figures.  The quality gates of the tests read the same records.

Recording is switched on by the environment variable ``GAN_COURSE_RESULTS=DIR``: the
site build sets it, and so do the tests and the robustness study.  Each script then
writes ``DIR/<script>.json``: ``{name: {"value": ..., "text": ...}}``, rewritten
atomically after every record (a crashed run leaves what it had recorded so far), and
started afresh by the first record of a run.  Without the variable (a student's run)
:func:`record` only formats the value.  Under ``torchrun`` only rank 0 records.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["RESULTS_ENV", "record", "results_path", "load_results", "load_script_results"]

#: The environment variable that names the folder records are written to.
RESULTS_ENV = "GAN_COURSE_RESULTS"

_started: set[str] = set()  # scripts whose file this process has already started afresh
_records: dict[str, dict[str, dict[str, Any]]] = {}


def _script_name() -> str:
    """The running script's name without ``.py`` (sphinx-gallery sets ``sys.argv[0]`` to
    the script's path too)."""
    return Path(sys.argv[0] or "script").stem or "script"


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it: tensors and numpy scalars become numbers, tuples
    lists, dict keys strings."""
    if hasattr(value, "tolist"):  # torch tensors, numpy arrays and scalars
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot record a {type(value).__name__}; record numbers, strings, lists or dicts")


def results_path(script: str, folder: str | os.PathLike | None = None) -> Path | None:
    """Where ``script``'s records go (``None`` when recording is off)."""
    folder = folder if folder is not None else os.environ.get(RESULTS_ENV)
    return Path(folder) / f"{script}.json" if folder else None


def _is_rank0() -> bool:
    torch = sys.modules.get("torch")
    if torch is None or not torch.distributed.is_available() or not torch.distributed.is_initialized():
        return True
    return torch.distributed.get_rank() == 0


def record(name: str, value: Any, fmt: str | None = None, *, script: str | None = None) -> str:
    """Record ``value`` under ``name`` for the running script and return the text a
    lesson shows for it: ``format(value, fmt)``, or ``str(value)`` without ``fmt``.

    ``name`` is a Python identifier (it appears in roles as ``script.name``); recording
    the same name twice in one run is an error, so a lesson cannot silently show the
    first of two different numbers."""
    if not name.isidentifier():
        raise ValueError(f"result names are identifiers, not {name!r}")
    text = format(value, fmt) if fmt else str(value)
    path = results_path(script or _script_name())
    if path is None or not _is_rank0():
        return text
    key = path.stem
    if str(path) not in _started:
        _started.add(str(path))
        _records[str(path)] = {}
    records = _records[str(path)]
    if name in records:
        raise ValueError(f"{key}: the result {name!r} is recorded twice in one run")
    records[name] = {"value": _plain(value), "text": text}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(records, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return text


def load_script_results(script: str, folder: str | os.PathLike) -> dict[str, dict[str, Any]] | None:
    """What ``script`` recorded in ``folder``: ``{name: {"value", "text"}}``, or ``None``
    when it recorded nothing there (it did not run, or recording was off)."""
    path = results_path(script, folder)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def load_results(folder: str | os.PathLike) -> dict[str, dict[str, dict[str, Any]]]:
    """Every script's records in ``folder``: ``{script: {name: {"value", "text"}}}``."""
    return {path.stem: load_script_results(path.stem, folder) for path in sorted(Path(folder).glob("*.json"))}
