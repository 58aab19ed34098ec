"""Where a run happens: seeds, CPU threads, the device, and the divergence error."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import torch

__all__ = ["TrainingDiverged", "seed_everything", "torch_threads", "resolve_device", "global_rng_state", "set_global_rng_state"]


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; training stops instead of drawing garbage."""


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators (used for weight init)."""
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % 2**32)
    except ImportError:  # pragma: no cover - numpy ships with the course's dependencies
        pass


def global_rng_state(device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """The state of PyTorch's global generators that a run on ``device`` draws from
    where a network takes no generator of its own (dropout): the CPU's, and the
    GPU's on a CUDA device.  A checkpoint keeps it, so a resumed run draws what an
    uninterrupted one would (:func:`set_global_rng_state`)."""
    device = torch.device(device)
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_global_rng_state(state: dict[str, torch.Tensor], device: torch.device | str = "cpu") -> None:
    """Put PyTorch's global generators back where :func:`global_rng_state` found them."""
    device = torch.device(device)
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and state.get("cuda") is not None:
        torch.cuda.set_rng_state(state["cuda"], device)


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` PyTorch CPU threads (``None``: leave the setting alone)
    and restore the previous number afterwards, also on errors."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def resolve_device(name: str) -> torch.device:
    """Turn ``auto``/``cpu``/``cuda``/``cuda:N``/``mps`` into a usable device.

    ``auto`` picks CUDA, then Apple's MPS, then the CPU.  Asking for an accelerator
    this machine does not have raises :class:`ValueError` with a one-line reason.
    """
    name = str(name).strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        prefix, colon, index = name.partition(":")
        if colon and not index.isdigit():
            raise ValueError(f"invalid CUDA device {name!r}; use cuda or cuda:N")
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} requested but CUDA is not available on this machine; use --device cpu or auto")
        if index and int(index) >= torch.cuda.device_count():
            raise ValueError(f"device {name!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
        return torch.device(name)
    if name == "mps":
        if getattr(torch.backends, "mps", None) is None or not torch.backends.mps.is_available():
            raise ValueError("device 'mps' requested but Apple's MPS backend is not available on this machine; use --device cpu or auto")
        return torch.device("mps")
    raise ValueError(f"unknown device {name!r}; choose auto, cpu, cuda, cuda:N or mps")
