"""Training on several processes: ``torchrun`` and DistributedDataParallel.

One process per GPU (or a few CPU processes) each run the *same* script; each holds a
full copy of G and D, trains on its own batches, and after every backward pass the
gradients are averaged across the processes, so every copy takes the same optimiser
step and the copies stay identical.  The effective batch is ``batch_size x
world_size``.  Launch a script with ``torchrun`` (see the Setup page)::

    torchrun --nproc_per_node=4 dcgan_train.py --device cuda

A script opts in with one call, :func:`setup`, right after parsing its flags; without
``torchrun`` it does nothing and every helper here answers as for one process, so a
plain ``python script.py`` runs exactly as before.  :class:`~modules.game.GANTrainer`
does the rest when a process group exists:

* G and D are wrapped in :class:`~torch.nn.parallel.DistributedDataParallel` while
  :meth:`~modules.game.GANTrainer.fit` runs (its constructor copies rank 0's initial
  weights to every process; backward passes average the gradients: gloo on CPUs, NCCL
  on GPUs).  Outside ``fit`` the trainer holds the plain networks, so sampling, the
  moving average and checkpoints never see the wrapper, and a checkpoint written under
  ``torchrun`` loads in a plain run;
* each process draws its batches from its own *shard* of a dataset (every
  ``world_size``-th image, starting at its rank: :func:`shard_sampler`), with its own
  random stream (:func:`rank_seed`), so the processes never train on the same images
  in one step and the run is the same every time for a given seed and number of
  processes (rank 0 keeps the plain seed);
* on CPUs each process trains on ``OMP_NUM_THREADS`` threads (``torchrun`` sets 1)
  instead of the config's ``cpu_threads``: the processes already share the cores
  (:func:`cpu_threads`); on GPUs process ``LOCAL_RANK`` uses GPU ``LOCAL_RANK``;
* a NaN or infinite loss on any process stops all of them (:func:`all_true`), the
  per-step records are averaged over the processes, and at the end of ``fit`` the
  BatchNorm running statistics of rank 0 are copied to every process, so all of them
  end with bit-for-bit identical networks;
* only rank 0 prints (:func:`setup` sends the other ranks' standard output to
  ``os.devnull``), draws progress bars and writes checkpoints.

Why shards *and* streams: the course's datasets are sampled uniformly with
replacement (no epochs to split), so a per-rank stream alone would already give
independent batches; the shards add that no image is in two ranks' batches of the
same step, as PyTorch's ``DistributedSampler`` does for epoch-based loaders, and that
a rank touches only its part of the data.  Samplers that *generate* data (the toy
distributions, procedural images) have no dataset to shard: there every process
simply draws from its own seeded stream.

What works under DistributedDataParallel, checked by ``tests/test_distributed.py``:
D called several times before one backward pass (real, fake, and the gradient
penalty's interpolates, whose ``create_graph`` double backward averages correctly),
G's forward pass in D's step (its output is detached, so no gradient of G is
expected), the unrolled discriminator (it saves and restores D's plain state), feature
matching (``D.features`` bypasses the wrapper, but only G's gradients matter there and
those are averaged), spectral normalisation, instance noise, label tricks, conditional
GANs.  What does not: the cycle game (:class:`~modules.game.games.Cycle`), whose duels call the
halves of its paired networks directly (``g.ab``) and would therefore never average a
gradient; it refuses with one line instead of training the ranks apart.

Environment variable ``GAN_COURSE_RANK_WEIGHTS=DIR`` (for tests and debugging): at the
end of every distributed ``fit`` each process writes its networks to
``DIR/rank<R>.pt``, so a test can check that the processes agree.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = [
    "launched",
    "setup",
    "shutdown",
    "leave",
    "enabled",
    "rank",
    "world_size",
    "local_rank",
    "is_main_process",
    "barrier",
    "local_device",
    "cpu_threads",
    "rank_seed",
    "shard_indices",
    "shard_sampler",
    "replicate",
    "unwrap",
    "all_true",
    "mean_record",
    "sync_buffers",
    "gather_objects",
    "save_rank_weights",
]

RANK_WEIGHTS_ENV = "GAN_COURSE_RANK_WEIGHTS"
# Rank r > 0 draws from seed + r * this (mod 2**63): a large odd constant, so the ranks'
# streams never coincide with the seed + 1, seed + 2, ... streams scripts use elsewhere.
_RANK_STRIDE = 0x9E3779B97F4A7C15


def _dist():
    import torch.distributed as dist

    return dist


def launched() -> bool:
    """Whether this process was started by ``torchrun`` (it sets ``RANK``,
    ``LOCAL_RANK`` and ``WORLD_SIZE``)."""
    return all(name in os.environ for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE"))


def _initialized() -> bool:
    dist = _dist()
    return dist.is_available() and dist.is_initialized()


def setup(device: str | torch.device = "cpu", quiet: bool = True) -> bool:
    """Join the other processes of a ``torchrun`` launch; a no-op otherwise.

    Creates the process group (NCCL when ``device`` is a CUDA device, gloo otherwise;
    the address of rank 0 comes from ``torchrun``'s environment), selects GPU
    ``LOCAL_RANK`` on a CUDA run, and with ``quiet`` sends the standard output of every
    rank but 0 to ``os.devnull`` (errors still reach standard error).  The group is
    shut down when the process exits.  Returns whether this is a distributed run.
    """
    if not launched():
        return False
    dist = _dist()
    if not dist.is_available():
        raise RuntimeError("this PyTorch build has no torch.distributed; run the script as one process (python script.py)")
    if not dist.is_initialized():
        kind = torch.device(str(device)).type if str(device) != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"torchrun trains on CPUs (gloo) or CUDA GPUs (NCCL), not on {kind!r}; use --device cpu or cuda")
        if kind == "cuda":
            torch.cuda.set_device(local_rank())
        dist.init_process_group(backend="nccl" if kind == "cuda" else "gloo")
        atexit.register(shutdown)
    if quiet and dist.get_rank() != 0:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    return True


def shutdown() -> None:
    """Leave the process group (safe to call twice, or without one)."""
    if _initialized():
        _dist().destroy_process_group()


def leave(code: int = 0) -> None:
    """End this process now with exit status ``code``: flush its output, leave the
    process group, and exit without the interpreter's and C++ runtime's teardown.

    For a rank whose work is done while rank 0 carries on (drawing, evaluating).  A
    gloo process that only returns from ``main`` tears its worker threads down during
    interpreter finalization, which now and then aborts the process with "terminate
    called without an active exception" (SIGABRT, so ``torchrun`` reports the whole
    run failed).  Nothing of Python's own runs after this call.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    shutdown()
    os._exit(code)


def enabled() -> bool:
    """Whether training is distributed: a process group of more than one process."""
    return _initialized() and _dist().get_world_size() > 1


def rank() -> int:
    """This process's rank, 0 to ``world_size() - 1`` (0 without a process group)."""
    return _dist().get_rank() if _initialized() else 0


def world_size() -> int:
    """The number of processes (1 without a process group)."""
    return _dist().get_world_size() if _initialized() else 1


def local_rank() -> int:
    """This process's index on its machine (``torchrun``'s ``LOCAL_RANK``; 0 without)."""
    return int(os.environ.get("LOCAL_RANK", 0))


def is_main_process() -> bool:
    """True on rank 0 (and in a plain run): the process that prints and writes files."""
    return rank() == 0


def barrier() -> None:
    """Wait until every process gets here (a no-op in a plain run)."""
    if enabled():
        _dist().barrier()


def local_device(device: torch.device) -> torch.device:
    """The device this process trains on: ``cuda`` (without an index) becomes GPU
    ``LOCAL_RANK`` in a distributed run; anything else is returned unchanged."""
    if enabled() and device.type == "cuda" and device.index is None:
        return torch.device("cuda", local_rank())
    return device


def cpu_threads(default: int | None) -> int | None:
    """PyTorch threads per process for CPU training: ``default`` (the config's
    ``cpu_threads``) in a plain run; under ``torchrun`` its ``OMP_NUM_THREADS`` (1 unless
    you set it), because the processes already share the cores and more threads than
    cores slow every process down many times over."""
    if not enabled():
        return default
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS") or 1))
    except ValueError:
        return 1


def rank_seed(seed: int, rank_: int | None = None) -> int:
    """The seed of rank ``rank_``'s random stream (noise, batches): ``seed`` itself on
    rank 0 and in a plain run, a different, fixed seed on every other rank."""
    rank_ = rank() if rank_ is None else int(rank_)
    return int(seed) if rank_ == 0 else (int(seed) + rank_ * _RANK_STRIDE) % 2**63


def shard_indices(n: int, rank_: int | None = None, world: int | None = None) -> torch.Tensor:
    """The dataset indices rank ``rank_`` of ``world`` draws from: ``rank_,
    rank_ + world, rank_ + 2 * world, ...``.  The shards are disjoint, cover all ``n``
    indices and differ in size by at most one."""
    rank_ = rank() if rank_ is None else int(rank_)
    world = world_size() if world is None else int(world)
    return torch.arange(n)[rank_::world]


def shard_sampler(sampler: Callable[..., Any], rank_: int | None = None, world: int | None = None) -> Callable[..., Any]:
    """The distributed sampler: ``dataset.sample`` (or ``sample_with_labels``) of an
    :class:`~modules.data.images.ImageDataset` becomes the same method of this rank's
    shard (:func:`shard_indices`); every draw is still uniform with replacement, from
    the rank's own random stream.  Any other sampler (one that generates its data) and
    any sampler in a plain run is returned unchanged."""
    from modules.data.images import ImageDataset

    rank_ = rank() if rank_ is None else int(rank_)
    world = world_size() if world is None else int(world)
    dataset = getattr(sampler, "__self__", None)
    if world <= 1 or not isinstance(dataset, ImageDataset):
        return sampler
    if len(dataset) < world:
        raise ValueError(f"dataset {dataset.name!r} has {len(dataset)} images, fewer than the {world} processes")
    idx = shard_indices(len(dataset), rank_, world)
    labels = None if dataset.labels is None else dataset.labels[idx]
    shard = dataclasses.replace(dataset, images=dataset.images[idx], labels=labels)
    return getattr(shard, sampler.__name__)


class _Replica(nn.parallel.DistributedDataParallel):
    """DistributedDataParallel that still looks like the network it wraps: other
    attributes (``features``, ``latent_dim``, submodules) come from the network, and
    ``state_dict``/``load_state_dict`` are the network's (no ``module.`` prefix)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == "module":
                raise
            return getattr(self.module, name)

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        return self.module.load_state_dict(state_dict, strict=strict, assign=assign)


@contextlib.contextmanager
def replicated(trainer: Any) -> Iterator[None]:
    """Under ``torchrun``: the trainer's two players wrapped in DistributedDataParallel
    while the block runs (its ``fit``), every rank holding rank 0's buffers at its end;
    without a process group, nothing."""
    if not enabled():
        yield
        return
    plain_models = trainer.generator, trainer.discriminator
    trainer.generator = trainer.g_phase.module = replicate(trainer.generator, trainer.device)
    trainer.discriminator = trainer.d_phase.module = replicate(trainer.discriminator, trainer.device)
    try:
        yield
        sync_buffers(*plain_models, trainer.ema_generator)
        save_rank_weights({"generator": plain_models[0], "discriminator": plain_models[1], "ema_generator": trainer.ema_generator})
    finally:
        trainer.generator, trainer.discriminator = trainer.g_phase.module, trainer.d_phase.module = plain_models


def replicate(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` wrapped in DistributedDataParallel (rank 0's weights and buffers are
    copied to every process now; gradients are averaged in every backward pass), or
    ``model`` itself in a plain run."""
    if not enabled():
        return model
    return _Replica(model, device_ids=[device.index] if device.type == "cuda" else None)


def unwrap(model: nn.Module) -> nn.Module:
    """The plain network inside a :func:`replicate` wrapper (or ``model`` itself)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def _comm_device() -> torch.device:
    """Where small tensors for collectives live: the current GPU under NCCL, else the CPU."""
    return torch.device("cuda", torch.cuda.current_device()) if _dist().get_backend() == "nccl" else torch.device("cpu")


def all_true(flag: bool) -> bool:
    """``flag`` on every process (a plain run: ``flag``); each process must call it at
    the same point.  Used so one rank's NaN loss stops all ranks together."""
    if not enabled():
        return flag
    dist = _dist()
    value = torch.tensor([1 if flag else 0], device=_comm_device())
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value.item())


def mean_record(record: dict[str, float]) -> dict[str, float]:
    """The per-step numbers (losses, D's beliefs) averaged over the processes, so
    every rank's history and printed lines describe the whole run; in a plain run
    ``record`` itself."""
    if not enabled():
        return record
    keys = sorted(record)
    values = torch.tensor([record[k] for k in keys], dtype=torch.float64, device=_comm_device())
    _dist().all_reduce(values)
    return dict(zip(keys, (values / world_size()).tolist()))


@torch.no_grad()
def sync_buffers(*models: nn.Module | None) -> None:
    """Copy rank 0's buffers (BatchNorm running statistics) of each model to every
    process.  DistributedDataParallel averages gradients, not buffers: each rank's
    last forward pass updated its statistics with its own batch."""
    if not enabled():
        return
    for model in models:
        if model is not None:
            for buffer in unwrap(model).buffers():
                _dist().broadcast(buffer, src=0)


def gather_objects(obj: Any) -> list[Any]:
    """Every process's ``obj``, in rank order (a plain run: ``[obj]``)."""
    if not enabled():
        return [obj]
    out: list[Any] = [None] * world_size()
    _dist().all_gather_object(out, obj)
    return out


def save_rank_weights(models: Mapping[str, nn.Module | None]) -> Path | None:
    """With ``$GAN_COURSE_RANK_WEIGHTS`` set in a distributed run, write this rank's
    networks (``{name: state_dict}`` on the CPU) to ``$GAN_COURSE_RANK_WEIGHTS/rank<R>.pt``
    and return the path; otherwise do nothing.  For tests and debugging."""
    folder = os.environ.get(RANK_WEIGHTS_ENV)
    if not folder or not enabled():
        return None
    path = Path(folder) / f"rank{rank()}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    states = {
        name: {k: v.detach().cpu().clone() for k, v in unwrap(model).state_dict().items()}
        for name, model in models.items()
        if model is not None
    }
    torch.save(states, path)
    return path
