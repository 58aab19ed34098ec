"""Checkpoint files and the model cache.

A checkpoint is a plain dictionary of tensors, numbers, strings and lists, written
with :func:`torch.save` and read back with ``torch.load(..., weights_only=True)``:
loading a file never runs code from it.  Writes are atomic (a temporary file in the
same folder, flushed, then renamed over the target), so an interrupted save leaves the
previous file or nothing, never half a file.

Every course checkpoint carries ``format`` = :data:`FORMAT` and a ``kind`` (``"gan"``,
``"classifier"``).  :func:`load_checkpoint` turns every way a file can be wrong
(missing, truncated, not a checkpoint, another program's checkpoint, another kind)
into a :class:`CheckpointError` with a one-line message; the scripts print it and
exit with status 2.  Every message names the file by its full path (:func:`absolute`),
wherever the script was started from.

The cache lets one script use a model that another script trains without depending
on the order they run in: :func:`cache_path` names a file after a hash of everything
that determines the model (the recipe's settings and the source code of
:mod:`modules`), so a changed recipe or changed code never reuses a stale model.

Introduced in lesson 12.1.2 (DCGAN).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import torch

__all__ = ["FORMAT", "CheckpointError", "absolute", "save_checkpoint", "load_checkpoint", "load_state", "cache_dir", "cache_path", "source_fingerprint"]

FORMAT = "gan-course-checkpoint-v1"


class CheckpointError(ValueError):
    """A checkpoint cannot be used; the message is one line that says why."""


def absolute(path: str | os.PathLike) -> Path:
    """``path`` as a full path (``~`` expanded, relative to the current folder), the
    way every message about a checkpoint or the model cache names a file."""
    return Path(os.path.abspath(Path(path).expanduser()))


def save_checkpoint(payload: dict[str, Any], path: str | os.PathLike, kind: str) -> Path:
    """Write ``payload`` (plus ``format`` and ``kind``) to ``path`` atomically; returns
    the full path written."""
    path = absolute(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": FORMAT, "kind": kind, **payload}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike, kind: str) -> dict[str, Any]:
    """Read a course checkpoint of the given ``kind`` safely (``weights_only=True``),
    tensors on the CPU; raise :class:`CheckpointError` for any unusable file."""
    path = absolute(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:  # a real PyTorch file that asks to run code
        if "weights only" in str(err).lower():
            raise CheckpointError(f"{path} holds Python objects other than tensors and plain data; refusing to load it (weights_only=True)") from None
        raise CheckpointError(f"{path} is not a readable checkpoint (truncated or not a PyTorch file)") from None
    except Exception as err:  # noqa: BLE001 - a damaged file fails in many ways (EOFError, BadZipFile, KeyError, ...)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{path} is not a readable checkpoint (truncated or not a PyTorch file: {first[:120]})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a checkpoint written by this course (no '{FORMAT}' marker)")
    if data.get("kind") != kind:
        raise CheckpointError(f"{path} holds a {data.get('kind')!r} checkpoint, but a {kind!r} checkpoint is needed")
    return data


def load_state(module: torch.nn.Module, state: Any, what: str, path: str | os.PathLike) -> None:
    """``module.load_state_dict(state)`` with a one-line :class:`CheckpointError` when
    the checkpoint was saved for another architecture."""
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} has no usable {what} weights")
    try:
        module.load_state_dict(state)
    except RuntimeError as err:
        detail = " ".join(str(err).split())
        raise CheckpointError(f"{path} was saved for a different {what} architecture ({detail[:160]})") from None


def cache_dir() -> Path:
    """Where trained models are cached: ``$GAN_COURSE_CACHE`` or ``~/.cache/gan-course/models``."""
    env = os.environ.get("GAN_COURSE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "gan-course" / "models"


def source_fingerprint() -> str:
    """A hash of the package's own source code and the PyTorch version: any change to
    either invalidates every cached model."""
    digest = hashlib.sha256(torch.__version__.encode())
    package = Path(__file__).parents[1]  # modules/, every subpackage included
    for file in sorted(package.rglob("*.py")):
        digest.update(file.relative_to(package).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def cache_path(name: str, spec: dict[str, Any]) -> Path:
    """The cache file for the model ``name`` trained with settings ``spec`` (a full path)."""
    key = json.dumps(spec, sort_keys=True, default=str) + source_fingerprint()
    return absolute(cache_dir()) / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"
