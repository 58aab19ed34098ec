"""Tests for the 2-D experiments of lessons 12.1.4 to 12.1.6: the Gaussian mixtures
(modules.data.synthetic), mode coverage (modules.evaluation.metrics), the health monitor
(modules.evaluation.monitor), recipes and runs (modules.experiments.toy2d), the new command-line checks
(modules.cli) and the 2-D figures (modules.figures.plotting)."""

from __future__ import annotations

import functools
from dataclasses import asdict, replace
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from modules import cli  # noqa: E402
from modules.experiments import toy2d  # noqa: E402
from modules.storage.checkpoints import cache_path  # noqa: E402
from modules.data.synthetic import GaussianMixture2D, grid_of_gaussians, normal_noise, ring_of_gaussians, toy_target  # noqa: E402
from modules.game.games import Unconditional  # noqa: E402
from modules.game.losses import HingeLoss, NonSaturatingLoss, WassersteinLoss  # noqa: E402
from modules.game.objective import Objective  # noqa: E402
from modules.game.terms import GradientPenalty  # noqa: E402
from modules.evaluation.metrics import ModeCoverage, mode_coverage  # noqa: E402
from modules.networks.mlp import MLPDiscriminator, MLPGenerator, PackedDiscriminator  # noqa: E402
from modules.evaluation.monitor import SIGNS, HealthMonitor, HealthReport  # noqa: E402
from modules.figures.plotting import plot_2d_panels, plot_2d_progress, plot_coverage_bars, plot_gradient_norms, plot_monitor, scatter_2d  # noqa: E402
from modules.experiments.toy2d import ToyRecipe, ToyRun, build_toy_gan, toy_run, toy_runs, train_toy_gan  # noqa: E402
from modules.game.config import TrainConfig  # noqa: E402
from modules.game.history import History  # noqa: E402
from modules.game.loop import GANTrainer  # noqa: E402
from modules.game.runtime import seed_everything, torch_threads  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")

RING = ring_of_gaussians()
GRID = grid_of_gaussians()
NOISE_2D = functools.partial(normal_noise, dim=2)
TINY = dict(steps=30, batch_size=32, g_hidden=(16, 16), d_hidden=(16, 16))


# ---------------------------------------------------------------------------
# The mixtures
# ---------------------------------------------------------------------------
def test_ring_centres():
    c = RING.centre_tensor().double()
    assert RING.num_modes == 8 and RING.std == 0.02 and RING.name == "ring"
    assert torch.allclose(c.norm(dim=1), torch.full((8,), 2.0, dtype=torch.float64), atol=1e-6)
    angles = torch.rad2deg(torch.atan2(c[:, 1], c[:, 0])) % 360
    assert torch.allclose(angles, torch.arange(8, dtype=torch.float64) * 45, atol=1e-4)


def test_grid_centres():
    assert GRID.num_modes == 25 and GRID.std == 0.05 and GRID.name == "grid"
    coords = [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert sorted(GRID.centres) == sorted((x, y) for x in coords for y in coords)


def test_toy_target():
    assert toy_target("ring") == RING
    assert toy_target("grid") == GRID
    with pytest.raises(ValueError, match="ring"):
        toy_target("spiral")


def test_mixture_sampling():
    x = RING(4000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (4000, 2)
    # every sample is near a centre, at about std from it
    d = torch.cdist(x, RING.centre_tensor()).min(dim=1).values
    assert d.max() < 6 * RING.std
    nearest = torch.cdist(x, RING.centre_tensor()).argmin(dim=1)
    shares = torch.bincount(nearest, minlength=8).double() / 4000
    assert torch.allclose(shares, torch.full((8,), 1 / 8, dtype=torch.float64), atol=0.03)
    assert torch.equal(x, RING(4000, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(ValueError):
        GaussianMixture2D("bad", ((0.0, 0.0),), 0.0)
    with pytest.raises(ValueError):
        GaussianMixture2D("bad", (), 1.0)


# ---------------------------------------------------------------------------
# Mode coverage
# ---------------------------------------------------------------------------
def coverage(samples, target=RING, **kw) -> ModeCoverage:
    return mode_coverage(samples, target.centre_tensor(), target.std, **kw)


def test_coverage_of_exact_centres():
    x = RING.centre_tensor().repeat(20, 1)  # 160 samples, 20 on each centre
    cov = coverage(x)
    assert cov.modes_covered == 8 and cov.num_modes == 8
    assert cov.high_quality == 1.0
    assert cov.counts == (20,) * 8
    assert cov.num_samples == 160
    assert str(cov) == "8/8 modes, 100.0% high quality"


def test_coverage_of_collapsed_generator():
    x = RING.centre_tensor()[3].repeat(2500, 1)
    cov = coverage(x)
    assert cov.modes_covered == 1
    assert cov.high_quality == 1.0
    assert cov.counts[3] == 2500 and sum(cov.counts) == 2500


def test_coverage_far_from_modes():
    cov = coverage(torch.zeros(500, 2))  # the ring's centre: 2 away from every mode
    assert cov.modes_covered == 0 and cov.high_quality == 0.0 and sum(cov.counts) == 0


def test_min_count_boundary():
    c = RING.centre_tensor()
    assert coverage(c[0].repeat(19, 1)).modes_covered == 0
    assert coverage(c[0].repeat(20, 1)).modes_covered == 1
    assert coverage(c[0].repeat(5, 1), min_count=5).modes_covered == 1


def test_quality_threshold_boundary():
    c = RING.centre_tensor()[0]
    r = 3 * RING.std
    direction = torch.tensor([0.6, 0.8])
    inside = (c + 0.99 * r * direction).repeat(20, 1)
    outside = (c + 1.01 * r * direction).repeat(20, 1)
    assert coverage(inside).high_quality == 1.0 and coverage(inside).modes_covered == 1
    assert coverage(outside).high_quality == 0.0 and coverage(outside).modes_covered == 0
    # a wider threshold accepts the outside points
    assert coverage(outside, threshold=3.1).high_quality == 1.0


def test_nan_samples_are_low_quality():
    c = RING.centre_tensor()[0]
    x = torch.cat([c.repeat(30, 1), torch.full((10, 2), float("nan")), torch.tensor([[float("inf"), 0.0]] * 10)])
    cov = coverage(x)
    assert cov.high_quality == pytest.approx(30 / 50)
    assert cov.counts[0] == 30 and sum(cov.counts) == 30
    assert cov.modes_covered == 1
    # on the grid a mode sits at the origin: a NaN sample must not be counted there
    cov = coverage(torch.full((30, 2), float("nan")), GRID)
    assert cov.high_quality == 0.0 and sum(cov.counts) == 0 and cov.modes_covered == 0


def test_real_data_is_fully_covered():
    for target in (RING, GRID):
        cov = coverage(target(2500, generator=torch.Generator().manual_seed(0)), target)
        assert cov.modes_covered == target.num_modes
        assert cov.high_quality > 0.95


def test_coverage_rejects_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        coverage(torch.zeros(10, 3))
    with pytest.raises(ValueError):
        coverage(torch.zeros(10))


# ---------------------------------------------------------------------------
# Health monitor, driven by a fake trainer
# ---------------------------------------------------------------------------
class FakeTrainer:
    """Just what HealthMonitor reads from a trainer."""

    def __init__(self, d_real, d_fake, generator_output, probabilities=True):
        self.d_real, self.d_fake = d_real, d_fake  # functions of the epoch
        self.generator_output = generator_output  # noise -> samples
        self.real_sampler = RING
        self.noise_sampler = NOISE_2D
        self.game = Unconditional()
        self.objective = Objective(NonSaturatingLoss() if probabilities else WassersteinLoss())
        self.history = History()
        self.last_epoch = 0

    def generate(self, z, labels=None):
        return self.generator_output(z)


def real_like(z):
    """Ring-like samples (same spread as the data): a healthy generator."""
    return RING(len(z), generator=torch.Generator().manual_seed(7))


def constant(z):
    return torch.zeros(len(z), 2)


def drive(monitor: HealthMonitor, trainer: FakeTrainer, epochs: int) -> HealthReport:
    trainer.last_epoch = epochs
    trainer.config = SimpleNamespace(num_epochs=epochs)
    monitor.on_train_start(trainer)
    for epoch in range(1, epochs + 1):
        record = {"d_loss": 1.0, "g_loss": 1.0, "d_real": trainer.d_real(epoch), "d_fake": trainer.d_fake(epoch)}
        trainer.history.append(epoch, record)
        monitor.on_epoch_end(trainer, epoch, record)
    return monitor.report


def test_monitor_d_too_strong_first_step():
    t = FakeTrainer(lambda e: 0.5 if e <= 10 else 0.99, lambda e: 0.5 if e <= 10 else 0.01, real_like)
    r = drive(HealthMonitor(every=5, window=5), t, 20)
    assert r.steps == [5, 10, 15, 20]
    assert r.first_seen == {"d_too_strong": 15}
    assert r.times_seen == {"d_too_strong": 2}
    assert r.d_real == pytest.approx([0.5, 0.5, 0.99, 0.99])
    assert r.d_fake == pytest.approx([0.5, 0.5, 0.01, 0.01])
    assert not r.healthy
    assert r.probabilities is True
    assert r.thresholds == {"confident": 0.9, "margin": 0.1, "collapse_ratio": 0.3}


def test_monitor_warm_up_is_drawn_but_not_judged():
    """Every GAN starts with a collapsed G (all noise near one point): the first
    ``warmup`` share of the run is recorded but raises no sign."""
    t = FakeTrainer(lambda e: 0.5, lambda e: 0.5, constant)
    r = drive(HealthMonitor(every=10, window=10, warmup=0.3), t, 100)
    assert r.steps[:3] == [10, 20, 30] and r.warmup_steps == 30
    assert r.first_seen == {"g_collapsing": 40}
    assert r.times_seen == {"g_collapsing": 7}
    r0 = drive(HealthMonitor(every=10, window=10, warmup=0.0), FakeTrainer(lambda e: 0.5, lambda e: 0.5, constant), 100)
    assert r0.first_seen == {"g_collapsing": 10}


def test_monitor_averages_over_window():
    # 0.99 only from epoch 13: the window 11..15 averages to (2*0.5 + 3*0.99)/5 = 0.794 < 0.9
    t = FakeTrainer(lambda e: 0.5 if e <= 12 else 0.99, lambda e: 0.5 if e <= 12 else 0.01, real_like)
    r = drive(HealthMonitor(every=5, window=5), t, 20)
    assert r.d_real[2] == pytest.approx((2 * 0.5 + 3 * 0.99) / 5)
    assert r.first_seen == {"d_too_strong": 20}


def test_monitor_d_failing():
    t = FakeTrainer(lambda e: 0.4, lambda e: 0.4 if e <= 4 else 0.6, real_like)
    r = drive(HealthMonitor(every=2, window=2), t, 10)
    assert r.first_seen == {"d_failing": 6}
    # 0.55 is not more than margin 0.1 above 0.5
    t2 = FakeTrainer(lambda e: 0.5, lambda e: 0.55, real_like)
    assert drive(HealthMonitor(every=2, window=2), t2, 10).healthy


def test_monitor_g_collapsing():
    t = FakeTrainer(lambda e: 0.5, lambda e: 0.5, constant)
    r = drive(HealthMonitor(every=3, window=3), t, 9)
    assert r.first_seen == {"g_collapsing": 3}
    assert r.times_seen == {"g_collapsing": 3}
    assert all(s == 0.0 for s in r.spread)


def test_monitor_healthy_run():
    t = FakeTrainer(lambda e: 0.5, lambda e: 0.5, real_like)
    r = drive(HealthMonitor(every=5, window=5), t, 20)
    assert r.healthy
    assert r.first_seen == {} and r.times_seen == {}
    assert all(s == pytest.approx(1.0, abs=0.15) for s in r.spread)
    assert r.lines() == ["healthy: no warning sign"]


def test_monitor_checks_last_epoch():
    t = FakeTrainer(lambda e: 0.5, lambda e: 0.5, real_like)
    r = drive(HealthMonitor(every=5, window=5), t, 12)
    assert r.steps == [5, 10, 12]


def test_monitor_wasserstein_only_spread():
    # critic scores out of [0, 1]: neither D sign may fire ...
    t = FakeTrainer(lambda e: 0.99, lambda e: 0.01, real_like, probabilities=False)
    r = drive(HealthMonitor(every=5, window=5), t, 10)
    assert r.healthy and r.probabilities is False
    t = FakeTrainer(lambda e: -5.0, lambda e: 3.0, real_like, probabilities=False)
    assert drive(HealthMonitor(every=5, window=5), t, 10).healthy
    # ... but the spread still does
    t = FakeTrainer(lambda e: 0.99, lambda e: 0.01, constant, probabilities=False)
    assert drive(HealthMonitor(every=5, window=5), t, 10).first_seen == {"g_collapsing": 5}


def test_monitor_several_signs_and_lines():
    t = FakeTrainer(lambda e: 0.99, lambda e: 0.01 if e <= 5 else 0.99, constant)
    t.d_real = lambda e: 0.99 if e <= 5 else 0.2
    r = drive(HealthMonitor(every=5, window=5), t, 10)
    assert r.first_seen == {"d_too_strong": 5, "g_collapsing": 5, "d_failing": 10}
    lines = r.lines()
    assert len(lines) == 3
    assert "d_failing" not in lines[0]
    assert lines[-1].startswith("step    10: " + SIGNS["d_failing"])
    assert "(seen at 1 of 2 checks)" in lines[-1]
    assert any(SIGNS["g_collapsing"] in line and "(seen at 2 of 2 checks)" in line for line in lines)


def test_health_report_round_trip():
    t = FakeTrainer(lambda e: 0.99, lambda e: 0.01, constant)
    r = drive(HealthMonitor(every=2, window=2), t, 6)
    data = r.as_dict()
    assert set(data) == {"steps", "d_real", "d_fake", "spread", "first_seen", "times_seen", "probabilities", "thresholds", "warmup_steps"}
    back = HealthReport.from_dict(data)
    assert back == r
    # the dict is a copy: changing it leaves the report alone
    data["steps"].append(99)
    data["first_seen"]["d_failing"] = 1
    assert r.steps == [2, 4, 6] and "d_failing" not in r.first_seen


def test_monitor_validates_arguments():
    with pytest.raises(ValueError):
        HealthMonitor(every=0)
    with pytest.raises(ValueError):
        HealthMonitor(window=0)


def test_monitor_on_real_trainer_does_not_change_the_run():
    def trainer(callbacks=()):
        seed_everything(0)
        g, d = MLPGenerator(2, (2,), hidden=(8,)), MLPDiscriminator((2,), hidden=(8,))
        return GANTrainer(g, d, RING, NOISE_2D, TrainConfig(num_epochs=8, batch_size=32), callbacks=callbacks)

    monitor = HealthMonitor(every=4, window=4, num_samples=64)
    watched = trainer([monitor])
    h1 = watched.fit()
    h2 = trainer().fit()
    assert h1.d_loss == h2.d_loss and h1.g_loss == h2.g_loss
    r = monitor.report
    assert r.steps == [4, 8]
    assert r.d_real == pytest.approx([sum(h1.d_real[:4]) / 4, sum(h1.d_real[4:]) / 4])
    assert all(0 <= v <= 1 for v in r.d_real + r.d_fake)
    assert all(s > 0 for s in r.spread)
    # a Wasserstein critic's report says its numbers are no probabilities
    seed_everything(0)
    m2 = HealthMonitor(every=4, window=4, num_samples=64)
    GANTrainer(
        MLPGenerator(2, (2,), hidden=(8,)), MLPDiscriminator((2,), hidden=(8,)), RING, NOISE_2D,
        TrainConfig(num_epochs=4, batch_size=32), objective=Objective(WassersteinLoss()), callbacks=[m2],
    ).fit()
    assert m2.report.probabilities is False


# ---------------------------------------------------------------------------
# Recipes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        dict(target="spiral"),
        dict(loss="vanilla"),
        dict(tricks=("dropout",)),
        dict(tricks=("pack",), batch_size=30, pack=4),
        dict(penalty_weight=-1.0),
        dict(steps=0),
        dict(batch_size=0),
        dict(pack=0),
        dict(n_critic=0),
    ],
)
def test_recipe_validation(bad):
    with pytest.raises(ValueError):
        ToyRecipe(**bad)


def test_recipe_accepts_pack_size_without_pack_trick():
    ToyRecipe(batch_size=30, pack=4)  # no packing: the pack size is unused
    ToyRecipe(tricks=("pack",), batch_size=32, pack=4)


def test_recipe_label():
    assert ToyRecipe().label == "vanilla"
    assert ToyRecipe(loss="wgan_gp").label == "wgan_gp"
    assert ToyRecipe(tricks=("pack",)).label == "pack"
    assert ToyRecipe(loss="hinge", tricks=("spectral_norm", "ttur")).label == "hinge + spectral_norm + ttur"
    assert ToyRecipe(target="grid").target_mixture() == GRID


def test_build_toy_gan_architecture_tricks():
    t = build_toy_gan(ToyRecipe(tricks=("pack",), pack=4, **TINY))
    assert isinstance(t.discriminator, PackedDiscriminator)
    assert t.discriminator.pack == 4
    assert t.discriminator.inner.net[0].in_features == 8
    assert t.tricks == []
    t = build_toy_gan(ToyRecipe(tricks=("minibatch_std",), **TINY))
    assert isinstance(t.discriminator, MLPDiscriminator) and t.discriminator.minibatch_std
    assert t.discriminator.net[0].in_features == 3
    plain = build_toy_gan(ToyRecipe(**TINY)).discriminator
    assert isinstance(plain, MLPDiscriminator) and not plain.minibatch_std


def test_build_toy_gan_settings():
    recipe = ToyRecipe(loss="wgan", weight_clip=0.05, tricks=("unrolled", "label_smoothing"), unroll_steps=2, n_critic=3, **TINY)
    with pytest.raises(ValueError):  # label smoothing needs labels, wgan has none
        build_toy_gan(recipe)
    t = build_toy_gan(replace(recipe, tricks=("unrolled",)))
    # wgan: the Wasserstein loss, its weight clipping a constraint on D (no term)
    assert isinstance(t.objective.loss, WassersteinLoss) and t.objective.terms == ()
    assert [c.clip for c in t.objective.constraints] == [0.05]
    t.d_step()
    clip = torch.tensor(0.05)  # in float32, like the weights
    assert max(p.abs().max() for p in t.discriminator.parameters()) == clip  # clipped, and some weights hit the bound
    assert [type(trick).__name__ for trick in t.tricks] == ["UnrolledDiscriminator"] and t.tricks[0].steps == 2
    assert t.config.d_steps == 3 and t.config.num_epochs == 30 and t.config.batch_size == 32
    assert t.config.cpu_threads == 1 and t.config.lr_decay == "linear"
    # wgan_gp: the same loss, the gradient penalty a term of D's phase (no clipping)
    gp = build_toy_gan(ToyRecipe(loss="wgan_gp", penalty_weight=3.0, **TINY)).objective
    assert isinstance(gp.loss, WassersteinLoss) and gp.constraints == ()
    assert [(type(term), term.weight, term.phase) for term in gp.terms] == [(GradientPenalty, 3.0, "d")]
    assert type(build_toy_gan(ToyRecipe(loss="hinge", **TINY)).objective.loss) is HingeLoss
    # weights are seeded by the recipe
    a, b = build_toy_gan(ToyRecipe(**TINY)), build_toy_gan(ToyRecipe(**TINY))
    assert all(torch.equal(p, q) for p, q in zip(a.generator.parameters(), b.generator.parameters()))
    c = build_toy_gan(ToyRecipe(seed=1, **TINY))
    assert not all(torch.equal(p, q) for p, q in zip(a.generator.parameters(), c.generator.parameters()))


# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------
def assert_runs_equal(a: ToyRun, b: ToyRun) -> None:
    assert a.recipe == b.recipe
    assert a.coverage == b.coverage
    assert torch.equal(a.samples, b.samples)
    assert a.history.as_dict() == b.history.as_dict()
    assert len(a.snapshots) == len(b.snapshots)
    for (s1, x1), (s2, x2) in zip(a.snapshots, b.snapshots):
        assert s1 == s2 and torch.equal(x1, x2)
    assert a.health == b.health
    assert a.extras.keys() == b.extras.keys()
    for key in a.extras:
        assert torch.equal(a.extras[key], b.extras[key])


@pytest.fixture(scope="module")
def tiny_wgan_run() -> ToyRun:
    with torch_threads(1):
        return train_toy_gan(ToyRecipe(loss="wgan_gp", tricks=("pack",), steps=20, batch_size=32, g_hidden=(8,), d_hidden=(8,)))


def test_train_toy_gan_result(tiny_wgan_run):
    run = tiny_wgan_run
    assert run.samples.shape == (2500, 2)
    assert run.coverage.num_samples == 2500 and run.coverage.num_modes == 8
    assert run.coverage == mode_coverage(run.samples, RING.centre_tensor(), RING.std)
    assert len(run.history.d_loss) == 20 and run.history.snapshots == []
    assert run.snapshots[0][0] == 0 and run.snapshots[-1][0] == 20
    assert all(x.shape == (500, 2) for _, x in run.snapshots)
    assert run.health.steps[-1] == 20 and run.health.probabilities is False
    assert run.extras["grad_norms"].shape == (2500 // 4,)  # the packed critic scores packs of 4
    assert run.seconds > 0


def test_wgan_with_pack_of_8_finishes():
    recipe = ToyRecipe(loss="wgan_gp", tricks=("pack",), pack=8, steps=2, batch_size=32, g_hidden=(8,), d_hidden=(8,))
    run = train_toy_gan(recipe)  # 2,500 samples do not split into packs of 8: whole packs only
    assert run.extras["grad_norms"].shape == (2496 // 8,)  # one norm per pack the critic scores


def test_toy_run_dict_round_trip(tiny_wgan_run):
    data = tiny_wgan_run.to_dict()
    assert isinstance(data["recipe"]["tricks"], list) and isinstance(data["recipe"]["betas"], list)
    assert isinstance(data["coverage"]["counts"], list)
    back = ToyRun.from_dict(data)
    assert isinstance(back.recipe.tricks, tuple) and isinstance(back.recipe.g_hidden, tuple)
    assert isinstance(back.coverage.counts, tuple)
    assert_runs_equal(back, tiny_wgan_run)
    assert back.seconds == tiny_wgan_run.seconds


def test_toy_run_uses_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path))
    recipe = ToyRecipe(steps=5, batch_size=32, g_hidden=(8,), d_hidden=(8,))
    first = toy_run(recipe)
    assert cache_path("toy", asdict(recipe)).is_file()

    def no_training(*args, **kwargs):
        raise AssertionError("should have been loaded from the cache")

    monkeypatch.setattr(toy2d, "train_toy_gan", no_training)
    assert_runs_equal(toy_run(recipe), first)
    with pytest.raises(AssertionError, match="cache"):
        toy_run(recipe, use_cache=False)


@pytest.mark.slow  # two worker processes each import torch: ~10 s on a busy 2-core box
def test_toy_runs_workers_match_serial_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path / "cache"))
    recipes = [ToyRecipe(**TINY), ToyRecipe(loss="hinge", tricks=("minibatch_std",), seed=3, **TINY)]
    parallel = toy_runs(recipes, workers=2, use_cache=True)  # two `python -m modules.game.runs` workers
    for recipe in recipes:
        assert cache_path("toy", asdict(recipe)).is_file()
    serial = toy_runs(recipes, workers=1, use_cache=False)
    assert [r.recipe for r in parallel] == recipes
    for p, s in zip(parallel, serial):
        assert torch.equal(p.samples, s.samples)
        assert p.coverage == s.coverage
        assert p.history.d_loss == s.history.d_loss
    assert not torch.equal(parallel[0].samples, parallel[1].samples)

    def no_training(*args, **kwargs):
        raise AssertionError("should have been loaded from the cache")

    monkeypatch.setattr(toy2d, "train_toy_gan", no_training)
    monkeypatch.setattr("modules.game.runs.run_in_workers", no_training)
    cached = toy_runs(recipes, workers=2, use_cache=True)
    for c, p in zip(cached, parallel):
        assert_runs_equal(c, p)


# ---------------------------------------------------------------------------
# Command-line checks
# ---------------------------------------------------------------------------
def test_npy_path(tmp_path):
    assert cli.npy_path(str(tmp_path / "x.npy")) is None
    assert "does not exist" in cli.npy_path(str(tmp_path / "missing" / "x.npy"))
    assert ".npy" in cli.npy_path(str(tmp_path / "x.txt"))
    assert ".npy" in cli.npy_path(str(tmp_path / "x"))
    folder = tmp_path / "dir.npy"
    folder.mkdir()
    assert "folder" in cli.npy_path(str(folder))


def test_npy_path_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.npy_path("samples.npy") is None


def test_save_samples(tmp_path, capsys):
    x = torch.randn(40, 2)
    path = tmp_path / "s.npy"
    cli.save_samples(str(path), x)
    loaded = np.load(path)
    assert loaded.shape == (40, 2)
    assert np.array_equal(loaded, x.numpy())
    assert "saved 40 samples" in capsys.readouterr().out
    cli.save_samples(None, x)  # no path: nothing happens
    cli.save_samples("", x)
    assert capsys.readouterr().out == ""


def test_save_samples_unwritable(tmp_path, capsys):
    with pytest.raises(SystemExit) as err:
        cli.save_samples(str(tmp_path / "missing" / "s.npy"), torch.zeros(3, 2))
    assert err.value.code == 2
    stderr = capsys.readouterr().err
    assert "--save-samples" in stderr and len(stderr.strip().splitlines()) == 1


def test_one_of():
    check = cli.one_of(["a", "b"])
    assert check("a") is None
    assert check(["a", "b"]) is None
    assert check(("b",)) is None
    assert check([]) is None
    message = check("c")
    assert message is not None and "'c'" in message and "a, b" in message
    message = check(["a", "c", "d"])
    assert "'c'" in message and "'d'" in message and "'a'" not in message


def test_non_negative():
    assert cli.non_negative(0) is None
    assert cli.non_negative(2.5) is None
    for bad in (-1, -1e-9, float("nan"), float("inf")):
        assert cli.non_negative(bad) is not None


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------
@pytest.fixture
def close_figures():
    yield
    plt.close("all")


def report(first_seen=None, probabilities=True) -> HealthReport:
    return HealthReport(
        steps=[10, 20, 30], d_real=[0.6, 0.8, 0.95], d_fake=[0.4, 0.2, 0.05], spread=[1.0, 0.5, 0.2],
        first_seen=first_seen or {}, times_seen={k: 1 for k in (first_seen or {})}, probabilities=probabilities,
        thresholds={"confident": 0.9, "margin": 0.1, "collapse_ratio": 0.3},
    )


def test_scatter_2d(close_figures):
    fig, ax = plt.subplots()
    x = RING(300, generator=torch.Generator().manual_seed(0))
    scatter_2d(ax, x, RING, title="ring")
    assert ax.get_title() == "ring"
    assert len(ax.collections) == 1 and ax.collections[0].get_offsets().shape == (300, 2)
    assert len(ax.patches) == 8  # one circle per mode
    assert ax.get_xlim()[1] > 2 and ax.get_ylim()[0] < -2
    fig2, ax2 = plt.subplots()
    scatter_2d(ax2, x, RING, max_points=50)
    assert ax2.collections[0].get_offsets().shape == (50, 2)


def test_plot_2d_progress(close_figures):
    snaps = [(s, RING(100, generator=torch.Generator().manual_seed(s))) for s in range(0, 80, 10)]
    fig = plot_2d_progress({"vanilla": snaps, "pack": snaps[:3]}, RING, label="fig-2d-progress", max_cols=6)
    assert isinstance(fig, Figure) and fig.get_label() == "fig-2d-progress"
    assert len(fig.axes) == 12
    assert fig.axes[0].get_title() == "step 0" and fig.axes[5].get_title() == "step 70"
    assert fig.axes[0].get_ylabel() == "vanilla" and fig.axes[6].get_ylabel() == "pack"


def test_plot_2d_panels(close_figures):
    panels = {f"run{i}": GRID(100, generator=torch.Generator().manual_seed(i)) for i in range(5)}
    fig = plot_2d_panels(panels, GRID, label="fig-panels", cols=4, notes={"run0": "25/25 modes"})
    assert isinstance(fig, Figure) and fig.get_label() == "fig-panels"
    assert len(fig.axes) == 8
    assert fig.axes[0].get_title() == "run0\n25/25 modes"
    assert fig.axes[1].get_title() == "run1"
    assert sum(ax.axison for ax in fig.axes) == 5


def test_plot_coverage_bars(close_figures):
    fig = plot_coverage_bars(["a", "b", "c"], [8, 3, 1], 8, [0.9, 0.5, 0.1], label="fig-bars", title="t", flags=[False, True, False])
    assert isinstance(fig, Figure) and fig.get_label() == "fig-bars"
    ax1, ax2 = fig.axes[:2]
    assert [p.get_width() for p in ax1.patches] == [8, 3, 1]
    assert [p.get_width() for p in ax2.patches] == pytest.approx([90, 50, 10])
    assert [p.get_hatch() or "" for p in ax1.patches] == ["", "//", ""]
    assert [t.get_text() for t in ax1.get_yticklabels()] == ["a", "b *", "c"]


def test_plot_monitor(close_figures):
    reports = {"healthy": report(), "sick": report({"d_too_strong": 30, "g_collapsing": 30}), "wgan": report(probabilities=False)}
    fig = plot_monitor(reports, label="fig-monitor")
    assert isinstance(fig, Figure) and fig.get_label() == "fig-monitor"
    assert len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes[:3]] == ["healthy", "sick", "wgan"]
    # D(x) and D(G(z)) are drawn with the report's numbers
    assert list(fig.axes[1].lines[0].get_ydata()) == [0.6, 0.8, 0.95]
    assert fig.axes[0].get_ylim() == pytest.approx((-0.02, 1.02))  # probabilities


def test_plot_gradient_norms(close_figures):
    norms = {"wgan": torch.rand(200) * 3, "wgan_gp": 1 + 0.1 * torch.randn(200)}
    fig = plot_gradient_norms(norms, label="fig-grad-norms", title="norms")
    assert isinstance(fig, Figure) and fig.get_label() == "fig-grad-norms"
    ax = fig.axes[0]
    assert ax.get_title() == "norms"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("wgan (mean") and labels[1].startswith("wgan_gp (mean")
