"""Tests for the game loop (modules.game.loop), its config (modules.game.config), its
records and callbacks (modules.game.history, the progress bar included) and where it
runs (modules.game.runtime: seeds, threads, devices, divergence)."""

from __future__ import annotations

import functools
import math
import time

import pytest
import torch
from torch import nn

from modules.data.synthetic import GaussianTarget, normal_noise
from modules.game.config import TrainConfig
from modules.game.history import Callback, EvalEvery, History, ProgressBar
from modules.game.loop import GANTrainer
from modules.game.losses import MinimaxLoss
from modules.game.objective import Objective
from modules.game.runtime import TrainingDiverged, resolve_device, seed_everything, torch_threads
from modules.evaluation.metrics import sample_stats
from modules.networks.mlp import BatchStatsDiscriminator, MLPDiscriminator, MLPGenerator

NOISE_1D = functools.partial(normal_noise, dim=1)


pytestmark = pytest.mark.usefixtures("one_thread")


def make_trainer(
    seed: int = 0, discriminator: nn.Module | None = None, callbacks=(), objective=None, init_seed: int | None = None, **cfg
) -> GANTrainer:
    """A tiny 1-D GAN.  Weights are initialised via seed_everything(init_seed, default
    ``seed``); the trainer's own data/noise stream uses TrainConfig(seed=seed)."""
    cfg.setdefault("num_epochs", 5)
    cfg.setdefault("batch_size", 32)
    seed_everything(seed if init_seed is None else init_seed)
    g = MLPGenerator(1, (1,), hidden=(8,))
    d = discriminator if discriminator is not None else MLPDiscriminator((1,), hidden=(8,))
    return GANTrainer(g, d, GaussianTarget(), NOISE_1D, TrainConfig(seed=seed, **cfg), objective=objective, callbacks=callbacks)


def params(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


class NaNDiscriminator(nn.Module):
    """Returns NaN logits (but has a parameter, so an optimizer can be built)."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x).sum(1, keepdim=True) * float("nan")


class Recorder(Callback):
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def on_train_start(self, trainer):
        self.calls.append(("start", trainer.epoch))

    def on_epoch_end(self, trainer, epoch, record):
        self.calls.append(("epoch", epoch, dict(record)))

    def on_train_end(self, trainer):
        self.calls.append(("end", trainer.epoch))


# ---------------------------------------------------------------------------
# (a)-(c) the two updates
# ---------------------------------------------------------------------------
def test_d_step_updates_d_only():
    t = make_trainer()
    g0, d0 = params(t.generator), params(t.discriminator)
    record = t.d_step()
    assert same(params(t.generator), g0)
    assert not same(params(t.discriminator), d0)
    assert set(record) == {"d_loss", "d_real", "d_fake"}
    assert 0 <= record["d_real"] <= 1 and 0 <= record["d_fake"] <= 1
    assert math.isfinite(record["d_loss"])


def test_g_step_updates_g_only():
    t = make_trainer()
    g0, d0 = params(t.generator), params(t.discriminator)
    record = t.g_step()
    assert not same(params(t.generator), g0)
    assert same(params(t.discriminator), d0)
    assert set(record) == {"g_loss"}


def test_d_step_detaches_fake_batch():
    t = make_trainer()
    t.d_step()
    for p in t.generator.parameters():
        assert p.grad is None or torch.count_nonzero(p.grad) == 0
    # D did get gradients, so the check above is not vacuous
    assert any(p.grad is not None and torch.count_nonzero(p.grad) > 0 for p in t.discriminator.parameters())


def test_g_step_sends_gradients_through_d_into_g():
    t = make_trainer()
    t.g_step()
    assert all(p.grad is not None for p in t.generator.parameters())
    assert any(torch.count_nonzero(p.grad) > 0 for p in t.generator.parameters())


# ---------------------------------------------------------------------------
# (d) reproducibility
# ---------------------------------------------------------------------------
def test_same_seed_same_run():
    a, b = make_trainer(seed=0, num_epochs=20), make_trainer(seed=0, num_epochs=20)
    ha, hb = a.fit(), b.fit()
    assert ha.as_dict() == hb.as_dict()
    assert same(params(a.generator), params(b.generator))
    assert same(params(a.discriminator), params(b.discriminator))


def test_different_seed_different_run():
    a, b = make_trainer(seed=0, num_epochs=20), make_trainer(seed=1, num_epochs=20)
    ha, hb = a.fit(), b.fit()
    assert ha.d_loss != hb.d_loss
    assert not same(params(a.generator), params(b.generator))


def test_trainer_seed_alone_changes_data_stream():
    # same initial weights, different TrainConfig.seed -> different batches -> different run
    a = make_trainer(seed=0, num_epochs=5)
    c = make_trainer(seed=7, init_seed=0, num_epochs=5)
    assert same(params(a.generator), params(c.generator))  # same init
    assert a.fit().d_loss != c.fit().d_loss


def test_training_is_independent_of_global_rng_after_construction():
    a = make_trainer(seed=0, num_epochs=8)
    b = make_trainer(seed=0, num_epochs=8)
    torch.manual_seed(12345)  # disturbing the global generator must not matter
    torch.rand(100)
    assert a.fit().as_dict() == b.fit().as_dict()


def test_sample_does_not_touch_training_rng_and_fit_continues():
    a = make_trainer(seed=0, num_epochs=3)
    b = make_trainer(seed=0, num_epochs=3)
    a.fit()
    s = a.sample(50, generator=torch.Generator().manual_seed(1))
    a.sample(50)
    a.sample_fixed()
    assert s.shape == (50, 1)
    assert a.generator.training  # generate() restored train mode
    a.fit()
    b.fit()
    b.fit()
    assert a.history.epoch == [1, 2, 3, 4, 5, 6]
    assert a.history.as_dict() == b.history.as_dict()
    assert a.epoch == 6


# ---------------------------------------------------------------------------
# (e) NaN stop
# ---------------------------------------------------------------------------
def test_nan_discriminator_raises_training_diverged():
    t = make_trainer(discriminator=NaNDiscriminator(), num_epochs=3)
    with pytest.raises(TrainingDiverged) as info:
        t.fit()
    message = str(info.value)
    assert "nan" in message.lower()
    assert "epoch 1" in message
    assert "D loss" in message
    assert isinstance(info.value, RuntimeError)
    assert t.history.epoch == []  # nothing recorded for the failed epoch


def test_nan_generator_loss_raises_with_its_epoch():
    class NaNAfterTwoCalls(nn.Module):
        """NaN on its 6th call: 2 calls per d_step (real, fake) + 1 per g_step, so epoch 2's G step."""

        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            out = self.lin(x)
            return out * float("nan") if self.calls == 6 else out

    t = make_trainer(discriminator=NaNAfterTwoCalls(), num_epochs=4)
    with pytest.raises(TrainingDiverged, match=r"G loss became nan at epoch 2"):
        t.fit()
    assert t.history.epoch == [1]


# ---------------------------------------------------------------------------
# (f) History
# ---------------------------------------------------------------------------
def test_history_has_one_entry_per_epoch():
    t = make_trainer(num_epochs=6)
    h = t.fit()
    assert isinstance(h, History) and h is t.history
    assert h.epoch == [1, 2, 3, 4, 5, 6]
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        values = getattr(h, key)
        assert len(values) == 6
        assert all(isinstance(v, float) and math.isfinite(v) for v in values)
    assert all(0 <= v <= 1 for v in h.d_real + h.d_fake)
    assert all(v > 0 for v in h.d_loss + h.g_loss)  # BCE losses are positive
    assert set(h.as_dict()) == {"epoch", "d_loss", "g_loss", "d_real", "d_fake"}
    assert h.snapshots == []


def test_minimax_loss_plugs_in():
    t = make_trainer(num_epochs=3, objective=Objective(MinimaxLoss()))
    assert isinstance(t.objective.loss, MinimaxLoss)
    h = t.fit()
    assert all(v < 0 for v in h.g_loss)  # minimax G loss is log(1 - D(G(z))) < 0


# ---------------------------------------------------------------------------
# (g) snapshots
# ---------------------------------------------------------------------------
def test_snapshots_before_training_at_every_nth_epoch_and_the_last():
    t = make_trainer(num_epochs=5, snapshot_every=2, num_snapshot_samples=10)
    h = t.fit()
    assert [epoch for epoch, _ in h.snapshots] == [0, 2, 4, 5]  # 0: before training
    for _, x in h.snapshots:
        assert x.shape == (10, 1)
        assert x.device.type == "cpu"
        assert not x.requires_grad
    assert torch.equal(h.snapshots[-1][1], t.sample_fixed())  # same fixed noise
    assert not torch.equal(h.snapshots[0][1], h.snapshots[-1][1])  # G moved


def test_snapshots_do_not_change_training():
    plain = make_trainer(num_epochs=5, snapshot_every=0).fit()
    snapped = make_trainer(num_epochs=5, snapshot_every=2).fit()
    assert plain.as_dict() == snapped.as_dict()
    assert plain.snapshots == []
    # the fixed noise has its own stream: its size does not shift training's random numbers
    fewer = make_trainer(num_epochs=5, snapshot_every=1, num_snapshot_samples=3).fit()
    assert plain.as_dict() == fewer.as_dict()


# ---------------------------------------------------------------------------
# (h) step counts
# ---------------------------------------------------------------------------
def test_d_steps_and_g_steps_per_epoch(monkeypatch):
    order: list[str] = []
    per_epoch: list[tuple[int, int]] = []

    class Count(Callback):
        def on_epoch_end(self, trainer, epoch, record):
            per_epoch.append((order.count("d"), order.count("g")))

    t = make_trainer(num_epochs=4, d_steps=3, g_steps=2, callbacks=[Count()])
    for opt, tag in ((t.opt_d, "d"), (t.opt_g, "g")):
        original = opt.step

        def counted(*args, _original=original, _tag=tag, **kwargs):
            order.append(_tag)
            return _original(*args, **kwargs)

        monkeypatch.setattr(opt, "step", counted)
    t.fit()
    assert per_epoch == [(3, 2), (6, 4), (9, 6), (12, 8)]
    assert order == ["d", "d", "d", "g", "g"] * 4  # D's steps come first in each round


def test_epoch_record_averages_the_steps(monkeypatch):
    t = make_trainer(num_epochs=1, d_steps=2, g_steps=3)
    assert (t.d_phase.repeats, t.g_phase.repeats) == (2, 3)
    d_records = iter([{"d_loss": 1.0, "d_real": 0.2, "d_fake": 0.4}, {"d_loss": 3.0, "d_real": 0.6, "d_fake": 0.8}])
    g_records = iter([{"g_loss": 1.0}, {"g_loss": 2.0}, {"g_loss": 6.0}])
    monkeypatch.setattr(t.d_phase, "step", lambda: next(d_records))
    monkeypatch.setattr(t.g_phase, "step", lambda: next(g_records))
    h = t.fit()
    assert h.d_loss == [pytest.approx(2.0)]
    assert h.d_real == [pytest.approx(0.4)]
    assert h.d_fake == [pytest.approx(0.6)]
    assert h.g_loss == [pytest.approx(3.0)]


# ---------------------------------------------------------------------------
# (i) learning-rate decay
# ---------------------------------------------------------------------------
class LrRecorder(Callback):
    def __init__(self) -> None:
        self.d: list[float] = []
        self.g: list[float] = []

    def on_epoch_end(self, trainer, epoch, record):
        self.d.append(trainer.opt_d.param_groups[0]["lr"])
        self.g.append(trainer.opt_g.param_groups[0]["lr"])


def test_linear_lr_decay():
    rec = LrRecorder()
    n = 5
    make_trainer(num_epochs=n, lr=1e-2, lr_decay="linear", callbacks=[rec]).fit()
    expected = [1e-2 * (1 - (e - 1) / n) for e in range(1, n + 1)]
    assert rec.d == pytest.approx(expected, rel=1e-12)
    assert rec.g == pytest.approx(expected, rel=1e-12)
    assert rec.d[-1] > 0  # the last epoch still learns


def test_linear_lr_decay_uses_each_players_base_rate():
    rec = LrRecorder()
    n = 4
    make_trainer(num_epochs=n, lr=1.0, lr_d=1e-2, lr_g=4e-3, lr_decay="linear", callbacks=[rec]).fit()
    assert rec.d == pytest.approx([1e-2 * (1 - (e - 1) / n) for e in range(1, n + 1)], rel=1e-12)
    assert rec.g == pytest.approx([4e-3 * (1 - (e - 1) / n) for e in range(1, n + 1)], rel=1e-12)


def test_no_lr_decay_keeps_rate_constant():
    rec = LrRecorder()
    make_trainer(num_epochs=4, lr=3e-3, callbacks=[rec]).fit()
    assert rec.d == [3e-3] * 4 and rec.g == [3e-3] * 4


def test_sgd_optimizer_option():
    t = make_trainer(optimizer="sgd", lr=0.05)
    assert isinstance(t.opt_d, torch.optim.SGD) and isinstance(t.opt_g, torch.optim.SGD)
    t = make_trainer(optimizer="rmsprop", lr=0.05)
    assert isinstance(t.opt_d, torch.optim.RMSprop) and isinstance(t.opt_g, torch.optim.RMSprop)
    assert isinstance(make_trainer().opt_d, torch.optim.Adam)
    assert make_trainer(betas=(0.1, 0.9)).opt_g.param_groups[0]["betas"] == (0.1, 0.9)


@pytest.mark.parametrize(
    "rates, expected",
    [
        ({"lr": 1e-3}, (1e-3, 1e-3)),
        ({"lr": 1e-3, "lr_d": 4e-3}, (4e-3, 1e-3)),
        ({"lr": 1e-3, "lr_g": 5e-4}, (1e-3, 5e-4)),
        ({"lr": 1.0, "lr_d": 2e-3, "lr_g": 3e-3}, (2e-3, 3e-3)),
    ],
)
def test_each_players_rate_is_its_own_or_the_shared_one(rates, expected):
    """lr_d / lr_g default to lr; the trainer resolves them once, into its optimisers."""
    t = make_trainer(**rates)
    assert t.rates == expected
    assert (t.opt_d.param_groups[0]["lr"], t.opt_g.param_groups[0]["lr"]) == expected


# ---------------------------------------------------------------------------
# (j) TrainConfig validation
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_epochs": 0},
        {"batch_size": 0},
        {"lr": -1},
        {"lr": 0.0},
        {"lr": float("nan")},
        {"lr": float("inf")},
        {"lr_d": -1e-3},
        {"lr_g": float("nan")},
        {"d_steps": 0},
        {"g_steps": -2},
        {"num_snapshot_samples": 0},
        {"snapshot_every": -1},
        {"optimizer": "lbfgs"},
        {"lr_decay": "cosine"},
    ],
    ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()),
)
def test_train_config_rejects_bad_values(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        TrainConfig(**kwargs)


def test_train_config_accepts_good_values():
    cfg = TrainConfig(num_epochs=1, lr=1e-3, lr_d=2e-3, optimizer="sgd", lr_decay="linear", snapshot_every=0)
    assert cfg.lr_d == 2e-3 and cfg.lr_g is None


# ---------------------------------------------------------------------------
# (k) resolve_device
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["cpu", "CPU", " cpu "])
def test_resolve_device_cpu(name):
    assert resolve_device(name) == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="machine has CUDA")
def test_resolve_device_auto_is_cpu_without_cuda():
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        pytest.skip("machine has MPS")
    assert resolve_device("auto") == torch.device("cpu")


def test_resolve_device_auto_falls_back_to_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")


@pytest.mark.parametrize("name", ["banana", "gpu", "cuda0", ""])
def test_resolve_device_unknown(name):
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="machine has CUDA")
@pytest.mark.parametrize("name", ["cuda", "cuda:0"])
def test_resolve_device_cuda_unavailable(name):
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device(name)


def test_resolve_device_cuda_unavailable_mocked(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="CUDA"):
        resolve_device("cuda")


@pytest.mark.parametrize("name", ["cuda:x", "cuda:-1", "cuda:0:1"])
def test_resolve_device_bad_cuda_index(name):
    with pytest.raises(ValueError, match="invalid CUDA device"):
        resolve_device(name)


def test_resolve_device_cuda_index_out_of_range(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match="only 1 CUDA device"):
        resolve_device("cuda:3")
    assert resolve_device("cuda:0") == torch.device("cuda:0")


def test_resolve_device_empty_cuda_index_with_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError):
        resolve_device("cuda:")


@pytest.mark.skipif(torch.cuda.is_available(), reason="machine has CUDA")
def test_trainer_with_unavailable_device_raises():
    with pytest.raises(ValueError, match="CUDA"):
        make_trainer(device="cuda")


# ---------------------------------------------------------------------------
# (l)-(m) callbacks
# ---------------------------------------------------------------------------
def test_eval_every_evaluates_on_schedule_and_prints(capsys):
    def evaluate(trainer):
        return (trainer.epoch, len(trainer.history.epoch))

    def describe(epoch, record, result):
        return f"epoch {epoch}: result={result} d_loss={record['d_loss']:.3f}"

    ev = EvalEvery(every=3, evaluate=evaluate, describe=describe)
    t = make_trainer(num_epochs=7, callbacks=[ev])
    h = t.fit()
    assert ev.results == [(3, (3, 3)), (6, (6, 6)), (7, (7, 7))]
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"epoch {e}: result={(e, e)} d_loss={h.d_loss[e - 1]:.3f}" for e in (3, 6, 7)]


def test_eval_every_without_describe_prints_nothing(capsys):
    ev = EvalEvery(every=2, evaluate=lambda trainer: trainer.epoch)
    make_trainer(num_epochs=4, callbacks=[ev]).fit()
    assert ev.results == [(2, 2), (4, 4)]
    assert capsys.readouterr().out == ""


def test_eval_every_zero_means_every_epoch():
    ev = EvalEvery(every=0, evaluate=lambda trainer: None)
    make_trainer(num_epochs=3, callbacks=[ev]).fit()
    assert [e for e, _ in ev.results] == [1, 2, 3]


def test_callbacks_start_and_end_once():
    rec = Recorder()
    make_trainer(num_epochs=4, callbacks=[rec]).fit()
    kinds = [c[0] for c in rec.calls]
    assert kinds == ["start", "epoch", "epoch", "epoch", "epoch", "end"]
    assert rec.calls[0] == ("start", 0)
    assert [c[1] for c in rec.calls[1:-1]] == [1, 2, 3, 4]
    assert rec.calls[-1] == ("end", 4)
    assert set(rec.calls[1][2]) == {"d_loss", "g_loss", "d_real", "d_fake"}


def test_callbacks_called_in_order_given():
    seen: list[str] = []

    class Named(Callback):
        def __init__(self, name):
            self.name = name

        def on_epoch_end(self, trainer, epoch, record):
            seen.append(self.name)

    make_trainer(num_epochs=2, callbacks=[Named("a"), Named("b")]).fit()
    assert seen == ["a", "b", "a", "b"]


# ---------------------------------------------------------------------------
# (m2) the progress bar
# ---------------------------------------------------------------------------
def test_progress_shows_a_bar_on_stderr(capsys):
    rec = Recorder()
    t = make_trainer(num_epochs=4, progress=True, callbacks=[rec])
    h = t.fit()
    captured = capsys.readouterr()
    assert captured.out == ""  # the bar never writes to stdout
    assert "4/4" in captured.err and "epoch" in captured.err
    assert f"d_loss={h.d_loss[-1]:.3f}" in captured.err and f"g_loss={h.g_loss[-1]:.3f}" in captured.err
    assert t.callbacks == [rec]  # the bar is the loop's own, not added to the trainer's callbacks
    # the bar counts the rounds of one fit call, in the config's unit
    t.fit(2)
    assert "2/2" in capsys.readouterr().err
    make_trainer(num_epochs=3, progress=True, progress_unit="step").fit()
    err = capsys.readouterr().err
    assert "3/3" in err and "step" in err


def test_no_progress_no_bar(capsys):
    make_trainer(num_epochs=4).fit()
    assert capsys.readouterr() == ("", "")


def test_progress_bar_callback_counts_rounds_and_closes(capsys):
    bar = ProgressBar(unit="round")
    t = make_trainer(num_epochs=3, callbacks=[bar])
    t.fit()
    assert bar.bar.n == 3 and bar.bar.total == 3
    assert f"g_loss={t.history.g_loss[-1]:.3f}" in bar.bar.postfix  # the last round's losses
    err = capsys.readouterr().err
    assert "3/3" in err and "round" in err


# ---------------------------------------------------------------------------
# (m3) runtime: seeds and threads
# ---------------------------------------------------------------------------
def test_seed_everything_seeds_every_global_generator():
    import random

    import numpy as np

    def draws():
        return random.random(), float(np.random.rand()), torch.rand(3)

    seed_everything(3)
    a = draws()
    seed_everything(3)
    b = draws()
    seed_everything(4)
    c = draws()
    assert a[:2] == b[:2] and torch.equal(a[2], b[2])
    assert a[0] != c[0] and a[1] != c[1] and not torch.equal(a[2], c[2])


def test_torch_threads_sets_and_restores_the_thread_count():
    before = torch.get_num_threads()
    other = 2 if before != 2 else 3
    with torch_threads(other):
        assert torch.get_num_threads() == other
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="boom"):
        with torch_threads(other):
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before  # restored on errors too
    with torch_threads(None):
        assert torch.get_num_threads() == before  # None leaves the setting alone


def test_fit_trains_on_the_configs_threads_and_restores_them():
    seen: list[int] = []

    class Threads(Callback):
        def on_epoch_end(self, trainer, epoch, record):
            seen.append(torch.get_num_threads())

    with torch_threads(2):
        make_trainer(num_epochs=2, cpu_threads=1, callbacks=[Threads()]).fit()
        assert seen == [1, 1]
        assert torch.get_num_threads() == 2
        make_trainer(num_epochs=1, cpu_threads=None, callbacks=[Threads()]).fit()
        assert seen[-1] == 2  # None: PyTorch's setting is left alone


# ---------------------------------------------------------------------------
# (n) it actually learns
# ---------------------------------------------------------------------------
def test_1d_gan_learns_target_mean():
    # Measured (torch 2.14, CPU, one thread): over seeds 0-4, 150 epochs take ~1.35 s of
    # CPU time and end with generated mean 1.94-2.09 and std 0.49-0.63 (start: mean
    # -0.18..0.31, std < 0.13).  Tolerance 0.3 on the mean leaves a wide margin.
    seed_everything(0)
    g = MLPGenerator(1, (1,), hidden=(16, 16), activation="tanh")
    d = BatchStatsDiscriminator(group_size=100, hidden=(16, 16))
    cfg = TrainConfig(num_epochs=150, batch_size=400, lr=5e-3, lr_decay="linear", d_steps=5, g_steps=5, seed=0)
    t = GANTrainer(g, d, GaussianTarget(2.0, 0.5), NOISE_1D, cfg)
    before_mean, _ = sample_stats(t.sample(4000, generator=torch.Generator().manual_seed(123)))
    assert abs(before_mean) < 0.5
    start = time.process_time()
    t.fit()
    elapsed = time.process_time() - start
    mean, std = sample_stats(t.sample(4000, generator=torch.Generator().manual_seed(123)))
    assert abs(mean - 2.0) < 0.3
    assert 0.2 < std < 0.9
    assert elapsed < 8.0, f"training took {elapsed:.1f} s of CPU time"
