"""The shared trainer under ``torchrun``: DistributedDataParallel on two CPU processes
(gloo), the distributed sampler, and the helpers of :mod:`modules.game.distributed` in a
plain run (where they must change nothing).

The slow tests launch ``python -m torch.distributed.run --nproc_per_node=2`` (the
venv's own torchrun): the lesson script ``dcgan_train.py`` end to end (twice with the
same seed, and stopped halfway and resumed), and a small helper script that trains the
trainer's variants (losses, tricks, a conditional DCGAN) and checks that the two
processes end with bit-for-bit identical networks, and that two processes on half
batches train the same networks as one process on whole ones.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from course import ROOT, script_path
from modules.game import distributed
from modules.data.synthetic import normal_noise, ring_of_gaussians
from modules.data.images import ImageDataset, load_image_dataset
from modules.networks.mlp import MLPDiscriminator, MLPGenerator
from modules.game.config import TrainConfig
from modules.game.loop import GANTrainer
from modules.game.runtime import seed_everything

TORCHRUN = (sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2")


def torchrun(script: Path, *args: str, cwd: Path, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", **env}
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)  # a test run inside another launch must not join it
    return subprocess.run([*TORCHRUN, str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def assert_identical(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"tensors differ: {different}"


# --------------------------------------------------------------------------------------
# A plain run: every helper answers as for one process, the trainer is unchanged
# --------------------------------------------------------------------------------------
def test_helpers_in_a_plain_run(monkeypatch):
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert not distributed.launched() and not distributed.setup("cpu")
    assert not distributed.enabled()
    assert (distributed.rank(), distributed.world_size(), distributed.is_main_process()) == (0, 1, True)
    assert distributed.rank_seed(7) == 7
    assert distributed.cpu_threads(3) == 3 and distributed.cpu_threads(None) is None
    assert distributed.local_device(torch.device("cuda")) == torch.device("cuda")
    record = {"d_loss": 0.5, "g_loss": 1.5}
    assert distributed.mean_record(record) is record
    assert distributed.all_true(True) and not distributed.all_true(False)
    assert distributed.gather_objects("x") == ["x"]
    distributed.barrier()
    monkeypatch.setenv(distributed.RANK_WEIGHTS_ENV, "/nonexistent")
    assert distributed.save_rank_weights({"generator": torch.nn.Linear(1, 1)}) is None
    model = torch.nn.Linear(2, 2)
    assert distributed.replicate(model, torch.device("cpu")) is model and distributed.unwrap(model) is model


def test_leave_flushes_and_exits_with_its_code_skipping_teardown():
    code = (
        "import atexit, sys\n"
        "from modules.game import distributed\n"
        "atexit.register(lambda: print('teardown ran'))\n"
        "print('partial line', end='')\n"
        "print('to stderr', end='', file=sys.stderr)\n"
        "distributed.leave(3)\n"
        "print('after leave')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        env.pop(name, None)
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 3
    assert run.stdout == "partial line" and run.stderr == "to stderr"  # flushed, and nothing ran after


def test_plain_trainer_keeps_its_seed_sampler_and_networks():
    """Outside torchrun the trainer draws from config.seed and from the sampler it was
    given, and holds the plain networks: the numbers the lessons quote do not move."""
    dataset = load_image_dataset("digits", 8)
    sampler = dataset.sample
    seed_everything(0)
    generator, discriminator = MLPGenerator(4, (1, 8, 8), hidden=(16,)), MLPDiscriminator((1, 8, 8), hidden=(16,))
    trainer = GANTrainer(generator, discriminator, sampler, functools.partial(normal_noise, dim=4), TrainConfig(num_epochs=2, batch_size=4, seed=5))
    assert trainer.real_sampler == sampler and trainer.rng.initial_seed() == 5
    trainer.fit()
    assert trainer.generator is generator and trainer.discriminator is discriminator


def test_shards_are_disjoint_and_cover_the_dataset():
    for n in (1, 10, 1797):
        for world in (1, 2, 3, 4):
            shards = [distributed.shard_indices(n, r, world) for r in range(world)]
            assert sorted(torch.cat(shards).tolist()) == list(range(n))
            assert max(map(len, shards)) - min(map(len, shards)) <= 1


def test_shard_sampler_draws_only_from_its_shard():
    n, world = 30, 3
    images = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 8, 8).contiguous()
    dataset = ImageDataset("numbered", images, torch.arange(n) % 10, 8, [str(i) for i in range(10)])
    seen = []
    for rank in range(world):
        sampler = distributed.shard_sampler(dataset.sample_with_labels, rank, world)
        batch, labels = sampler(200, generator=torch.Generator().manual_seed(rank))
        index = batch[:, 0, 0, 0].long()
        assert set(index.tolist()) == set(range(rank, n, world))  # all of its shard, nothing else
        assert torch.equal(labels, index % 10)  # labels travel with their images
        seen.append(set(index.tolist()))
    assert set().union(*seen) == set(range(n))
    assert distributed.shard_sampler(dataset.sample, 0, 1) == dataset.sample  # one process: unchanged
    target = ring_of_gaussians()
    assert distributed.shard_sampler(target, 1, 2) is target  # generated data: each rank's own stream
    seeds = {distributed.rank_seed(0, r) for r in range(8)}
    assert len(seeds) == 8 and 0 in seeds and 1 not in seeds  # rank 1 never reuses the snapshot stream


# --------------------------------------------------------------------------------------
# The lesson script under torchrun
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digit_folder(tmp_path_factory) -> Path:
    """200 real digits as PNG files: ``--data-dir`` skips the digit classifier the
    script would otherwise train (the part of the script torchrun does not change)."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("digits")
    images = load_image_dataset("digits", 8).images[:200]
    for i, image in enumerate(((images[:, 0] + 1) * 127.5).round().to(torch.uint8)):
        Image.fromarray(image.numpy()).save(folder / f"{i:03d}.png")
    return folder


@pytest.mark.slow
def test_dcgan_train_under_torchrun(tmp_path, digit_folder):
    script = script_path("dcgan_train")
    steps = 12
    args = ("--preset", "docs", "--data-dir", str(digit_folder), "--image-size", "16", "--batch-size", "16", "--steps", str(steps))

    def launch(name: str, *more: str) -> tuple[subprocess.CompletedProcess, Path]:
        out = tmp_path / name
        env = {"GAN_COURSE_CACHE": str(tmp_path / "cache"), distributed.RANK_WEIGHTS_ENV: str(out)}
        run = torchrun(script, *args, "--checkpoint", str(out / "gan.pt"), *more, cwd=script.parent, env=env)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
        return run, out

    run, out = launch("first")
    # it trained, and only rank 0 printed: every progress line exactly once
    assert re.findall(r"^step\s+(\d+):", run.stdout, re.M) == [str(s) for s in range(2, steps + 1, 2)], run.stdout
    assert run.stdout.count("preset=docs") == 1 and run.stdout.count("saved checkpoint") == 1
    ranks = [torch.load(out / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert set(ranks[0]) == {"generator", "discriminator", "ema_generator"}
    for name in ranks[0]:  # both ranks end with bit-for-bit identical networks
        assert_identical(ranks[0][name], ranks[1][name])
    # rank 0 wrote a checkpoint a plain run can load: no DDP prefixes, both ranks' RNGs
    ckpt = torch.load(out / "gan.pt", weights_only=True)
    assert_identical(ckpt["generator"], ranks[0]["generator"])
    assert ckpt["epoch"] == steps and len(ckpt["history"]["g_loss"]) == steps
    assert all(map(torch.isfinite, map(torch.tensor, ckpt["history"]["g_loss"])))
    assert len(ckpt["rng_ranks"]) == 2 and not torch.equal(*ckpt["rng_ranks"])
    assert len(list((tmp_path / "cache").glob("gan-*.pt"))) == 1  # rank 0 alone wrote the cache
    # the same seed and world size: the same networks
    _, again = launch("second")
    second = torch.load(again / "rank1.pt", weights_only=True)
    for name in ranks[0]:
        assert_identical(ranks[0][name], second[name])
    # stopped halfway and resumed under torchrun: the same networks as the straight run
    _, half = launch("half", "--steps", str(steps // 2))
    resumed, rest = launch("resumed", "--resume", str(half / "gan.pt"))
    assert resumed.stdout.count(f"at step {steps // 2}") == 1
    resumed_state = torch.load(rest / "rank1.pt", weights_only=True)
    for name in ranks[0]:
        assert_identical(ranks[0][name], resumed_state[name])


# --------------------------------------------------------------------------------------
# The trainer's variants under torchrun
# --------------------------------------------------------------------------------------
HELPER = r'''
"""Trains the GANTrainer's variants under torchrun; writes out/<case>.rank<R>.pt."""
import functools
import os
import sys

import torch

from modules.game import distributed
from modules.data.synthetic import normal_noise, ring_of_gaussians
from modules.data.images import ImageDataset
from modules.game.config import TrainConfig
from modules.game.games import Conditional, Cycle
from modules.game.loop import GANTrainer
from modules.game.objective import named_objective
from modules.game.runtime import TrainingDiverged, seed_everything
from modules.game.tricks import make_tricks
from modules.networks.dcgan import DCGANDiscriminator, DCGANGenerator
from modules.networks.mlp import MLPDiscriminator, MLPGenerator

WORLD, BATCH, SNAPSHOTS = 2, 8, 5


class Scripted:
    """Batches fixed in advance: batch k of rank r is block (k, r); ``rank=None`` (one
    process standing in for all ranks) gets the blocks of every rank, concatenated.
    Other requests (the fixed snapshot noise) come from the generator passed in."""

    def __init__(self, seed, rank):
        self.blocks = torch.randn(200, WORLD, BATCH, 2, generator=torch.Generator().manual_seed(seed))
        self.rank, self.calls = rank, 0

    def __call__(self, n, generator=None):
        if n == SNAPSHOTS:
            return torch.randn(n, 2, generator=generator)
        block = self.blocks[self.calls]
        self.calls += 1
        return block.reshape(-1, 2) if self.rank is None else block[self.rank]


EQUIVALENT = {  # case -> (loss, tricks, extra config): no BatchNorm, losses are batch means
    "non_saturating_ema": ("non_saturating", [], {"ema_decay": 0.9, "lr_decay": "linear"}),
    "hinge_clipped_2d": ("hinge", ["gradient_clipping"], {"d_steps": 2}),
}


def equivalent_trainer(case, rank):
    """The trainer of ``case``; ``rank=None``: one process with batches WORLD times larger."""
    loss, tricks, extra = EQUIVALENT[case]
    seed_everything(0)
    config = TrainConfig(num_epochs=8, batch_size=BATCH * (WORLD if rank is None else 1), lr=1e-3, num_snapshot_samples=SNAPSHOTS, **extra)
    return GANTrainer(
        MLPGenerator(2, (2,), hidden=(16, 16)), MLPDiscriminator((2,), hidden=(16, 16)),
        Scripted(1, rank), Scripted(2, rank), config, objective=named_objective(loss), tricks=make_tricks(tricks),
    )


def variant_trainer(case):
    seed_everything(0)
    noise = functools.partial(normal_noise, dim=4)
    config = TrainConfig(num_epochs=6, batch_size=8, lr=1e-3, snapshot_every=3, ema_decay=0.5)
    if case == "conditional_dcgan":  # BatchNorm buffers, labels, a sharded dataset
        images = torch.rand(40, 1, 8, 8, generator=torch.Generator().manual_seed(3)) * 2 - 1
        data = ImageDataset("toy", images, torch.arange(40) % 4, 8, list("abcd"))
        return GANTrainer(DCGANGenerator(4, 8, 1, 8, num_classes=4), DCGANDiscriminator(8, 1, 8, num_classes=4), data.sample_with_labels, noise, config, game=Conditional(4))
    loss, tricks = {
        "wgan_gp": ("wgan_gp", []),
        "unrolled": ("non_saturating", ["unrolled"]),
        "feature_matching": ("non_saturating", ["feature_matching"]),
        "spectral_norm_noise": ("lsgan", ["spectral_norm", "instance_noise", "label_smoothing", "noisy_labels"]),
    }[case]
    generator = MLPGenerator(4, (2,), hidden=(16, 16), batch_norm=True)
    return GANTrainer(generator, MLPDiscriminator((2,), hidden=(16, 16)), ring_of_gaussians(), noise, config, objective=named_objective(loss), tricks=make_tricks(tricks))


def save(trainer, path):
    nets = {"generator": trainer.generator, "discriminator": trainer.discriminator, "ema_generator": trainer.ema_generator}
    torch.save({k: v.state_dict() for k, v in nets.items() if v is not None}, path)


class NaNOnRank1:
    """Real data that turns into NaN on rank 1 alone, at its fourth batch."""

    def __init__(self):
        self.calls = 0

    def __call__(self, n, generator=None):
        self.calls += 1
        x = torch.randn(n, 2, generator=generator)
        return x * float("nan") if distributed.rank() == 1 and self.calls >= 4 else x


if __name__ == "__main__":
    out = sys.argv[1]
    distributed.setup("cpu")
    rank = distributed.rank()
    for case in EQUIVALENT:
        trainer = equivalent_trainer(case, rank)
        trainer.fit()
        save(trainer, f"{out}/{case}.rank{rank}.pt")
    for case in ("wgan_gp", "unrolled", "feature_matching", "spectral_norm_noise", "conditional_dcgan"):
        trainer = variant_trainer(case)
        trainer.fit()
        save(trainer, f"{out}/{case}.rank{rank}.pt")
    trainer = GANTrainer(MLPGenerator(4, (2,)), MLPDiscriminator((2,)), NaNOnRank1(), functools.partial(normal_noise, dim=4), TrainConfig(num_epochs=20, batch_size=8))
    try:
        trainer.fit()
    except TrainingDiverged as err:
        print(f"rank {rank} stopped: {err}", file=sys.stderr, flush=True)
    try:
        Cycle()
    except RuntimeError as err:
        print(f"rank {rank} refused: {err}", file=sys.stderr, flush=True)
    print(f"rank {rank} done", flush=True)
'''


@pytest.fixture(scope="module")
def variants(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess, dict]:
    folder = tmp_path_factory.mktemp("variants")
    helper = folder / "variants.py"
    helper.write_text(HELPER)
    run = torchrun(helper, str(folder), cwd=folder, env={})
    namespace: dict = {"__name__": "variants"}
    exec(compile(HELPER, str(helper), "exec"), namespace)
    return folder, run, namespace


@pytest.mark.slow
def test_variants_keep_the_ranks_identical(variants):
    folder, run, _ = variants
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert run.stdout.count("done") == 1  # rank 1's standard output is silent
    for case in ("non_saturating_ema", "hinge_clipped_2d", "wgan_gp", "unrolled", "feature_matching", "spectral_norm_noise", "conditional_dcgan"):
        r0, r1 = (torch.load(folder / f"{case}.rank{r}.pt", weights_only=True) for r in (0, 1))
        for name in r0:
            assert_identical(r0[name], r1[name])


@pytest.mark.slow
def test_two_processes_train_like_one_with_twice_the_batch(variants):
    """DDP averages the two half-batch gradients: the same steps as one whole batch."""
    folder, run, namespace = variants
    assert run.returncode == 0, run.stderr[-3000:]
    for case in namespace["EQUIVALENT"]:
        trainer = namespace["equivalent_trainer"](case, None)
        with torch.no_grad():
            before = [p.clone() for p in trainer.generator.parameters()]
        trainer.fit()
        ranks = torch.load(folder / f"{case}.rank0.pt", weights_only=True)
        for name in ranks:
            one = getattr(trainer, name).state_dict()
            for key, value in ranks[name].items():
                torch.testing.assert_close(value, one[key], rtol=1e-4, atol=1e-6, msg=f"{case}: {name}.{key}")
        assert any(not torch.equal(a, b) for a, b in zip(before, trainer.generator.parameters()))  # it trained


@pytest.mark.slow
def test_a_nan_on_one_rank_stops_every_rank_and_the_cycle_game_refuses(variants):
    _, run, _ = variants
    stopped = re.findall(r"rank (\d) stopped: training diverged: D loss became (.*?) at epoch (\d+)", run.stderr)
    assert sorted(r for r, _, _ in stopped) == ["0", "1"], run.stderr[-3000:]
    assert {epoch for _, _, epoch in stopped} == {"4"}  # together, at the same step
    assert "on rank 1" in dict((r, v) for r, v, _ in stopped)["1"] and "another rank" in dict((r, v) for r, v, _ in stopped)["0"]
    refused = re.findall(r"rank \d refused: (.*?one process)", run.stderr)
    assert len(refused) == 2 and "torchrun" in refused[0]
