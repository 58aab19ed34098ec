"""Tests for GANTrainer's variants: the moving-average generator (EMA), the conditional
game (modules.game.games.Conditional), resuming with fit() and linear lr decay across
fit calls."""

from __future__ import annotations

import functools
import math

import pytest
import torch
from torch import nn

from modules.data.synthetic import GaussianTarget, normal_noise
from modules.data.images import ImageDataset, load_image_dataset
from modules.networks.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init
from modules.networks.mlp import MLPDiscriminator, MLPGenerator
from modules.game.config import TrainConfig
from modules.game.games import Conditional, Unconditional
from modules.game.history import Callback
from modules.game.loop import EMA, GANTrainer
from modules.game.runtime import seed_everything

NOISE_1D = functools.partial(normal_noise, dim=1)
LATENT = 4
CLASSES = 3


pytestmark = pytest.mark.usefixtures("one_thread")


def make_trainer(seed: int = 0, generator: nn.Module | None = None, callbacks=(), **cfg) -> GANTrainer:
    """A tiny 1-D GAN (weights from seed_everything(seed))."""
    cfg.setdefault("num_epochs", 5)
    cfg.setdefault("batch_size", 16)
    seed_everything(seed)
    g = generator if generator is not None else MLPGenerator(1, (1,), hidden=(8,))
    d = MLPDiscriminator((1,), hidden=(8,))
    return GANTrainer(g, d, GaussianTarget(), NOISE_1D, TrainConfig(seed=seed, **cfg), callbacks=callbacks)


def params(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def same(a, b) -> bool:
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


# ---------------------------------------------------------------------------
# EMA
# ---------------------------------------------------------------------------
def test_no_ema_by_default():
    t = make_trainer()
    assert t.config.ema_decay == 0.0
    assert t.ema is None and t.ema_generator is None
    t.fit(2)
    assert t.ema is None
    with pytest.raises(ValueError, match="ema_decay"):
        t.generate(torch.zeros(3, 1), ema=True)
    with pytest.raises(ValueError):
        t.sample(3, ema=True)
    with pytest.raises(ValueError):
        t.sample_fixed(ema=True)
    assert t.state_dict()["ema_generator"] is None


@pytest.mark.parametrize("decay", [1.0, -0.1, 1.5])
def test_train_config_rejects_bad_ema_decay(decay):
    with pytest.raises(ValueError, match="ema_decay"):
        TrainConfig(ema_decay=decay)


def test_train_config_accepts_ema_decay_in_range():
    assert TrainConfig(ema_decay=0.0).ema_decay == 0.0
    assert TrainConfig(ema_decay=0.999).ema_decay == 0.999


def test_ema_starts_as_a_copy_and_never_gets_gradients():
    t = make_trainer(ema_decay=0.9)
    assert t.ema_generator is not None and t.ema_generator is not t.generator
    assert same(params(t.ema_generator), params(t.generator))
    assert all(not p.requires_grad for p in t.ema_generator.parameters())
    assert all(p.requires_grad for p in t.generator.parameters())
    assert isinstance(t.ema, EMA) and t.ema.model is t.ema_generator and t.ema.updates == 0
    t.fit(5)
    assert all(not p.requires_grad and p.grad is None for p in t.ema_generator.parameters())
    assert t.ema.updates == 5  # one update per generator step
    # the moving average has its own storage: training G does not write into it
    assert all(e.data_ptr() != p.data_ptr() for e, p in zip(t.ema_generator.parameters(), t.generator.parameters()))


def test_ema_updates_once_per_g_step():
    t = make_trainer(ema_decay=0.9, g_steps=3, d_steps=2)
    t.fit(2)
    assert t.ema.updates == 6


def expected_lerp(ema: list[torch.Tensor], new: list[torch.Tensor], weight: float) -> list[torch.Tensor]:
    return [torch.lerp(e, n, weight) for e, n in zip(ema, new)]


@pytest.mark.parametrize(
    "decay, weights",
    [
        (0.999, [1 - 2 / 11, 1 - 3 / 12, 1 - 4 / 13]),  # warm-up: min(decay, (1 + k) / (10 + k))
        (0.1, [0.9, 0.9, 0.9]),  # a small decay is used as is
        (0.2, [1 - 2 / 11, 0.8, 0.8]),  # 2/11 < 0.2 < 3/12
    ],
)
def test_ema_warm_up_formula(decay, weights):
    t = make_trainer(ema_decay=decay)
    ema = params(t.ema_generator)
    for k, weight in enumerate(weights, start=1):
        t.g_step()
        assert t.ema.updates == k
        ema = expected_lerp(ema, params(t.generator), weight)
        for got, want in zip(params(t.ema_generator), ema):
            torch.testing.assert_close(got, want, rtol=0, atol=1e-7)


def test_first_ema_update_is_exactly_the_lerp():
    t = make_trainer(ema_decay=0.999)
    before = params(t.ema_generator)
    t.g_step()
    weight = 1 - min(0.999, 2 / 11)
    assert same(params(t.ema_generator), expected_lerp(before, params(t.generator), weight))


def test_ema_averages_batchnorm_statistics():
    g = MLPGenerator(1, (1,), hidden=(8,), batch_norm=True)
    t = make_trainer(generator=g, ema_decay=0.999)
    ema_bufs = dict(t.ema_generator.named_buffers())
    before = {k: v.clone() for k, v in ema_bufs.items()}
    assert any("running_mean" in k for k in before)
    t.g_step()
    weight = 1 - 2 / 11
    for name, buf in t.generator.named_buffers():
        if buf.is_floating_point():
            torch.testing.assert_close(ema_bufs[name], torch.lerp(before[name], buf, weight), rtol=0, atol=1e-7)
            assert not torch.equal(ema_bufs[name], buf)  # averaged, not copied
        else:  # num_batches_tracked is copied
            assert torch.equal(ema_bufs[name], buf)


class TrajectoryRange(Callback):
    """Per-coordinate min and max of G's weights over the run (initial weights included)."""

    def __init__(self, model: nn.Module) -> None:
        self.low = params(model)
        self.high = params(model)

    def on_epoch_end(self, trainer, epoch, record):
        for lo, hi, p in zip(self.low, self.high, trainer.generator.parameters()):
            torch.minimum(lo, p.detach(), out=lo)
            torch.maximum(hi, p.detach(), out=hi)


def test_ema_after_training_differs_from_raw_weights_but_stays_close():
    seed_everything(0)
    g = MLPGenerator(1, (1,), hidden=(8,))
    rng = TrajectoryRange(g)
    t = make_trainer(generator=g, ema_decay=0.9, lr=1e-2, callbacks=[rng])
    init = params(t.generator)
    t.fit(30)
    raw, ema = params(t.generator), params(t.ema_generator)
    assert not same(raw, ema)
    # a weighted average of the weights G went through: inside their range, coordinate by coordinate
    for e, lo, hi in zip(ema, rng.low, rng.high):
        assert torch.all(e >= lo - 1e-6) and torch.all(e <= hi + 1e-6)
    # and much nearer the final weights than where training started
    dist = lambda a, b: math.sqrt(sum(float((x - y).pow(2).sum()) for x, y in zip(a, b)))  # noqa: E731
    assert dist(ema, raw) < 0.5 * dist(init, raw)
    # the EMA generator is what generate(ema=True) uses, and it gives different samples
    z = torch.randn(10, 1, generator=torch.Generator().manual_seed(3))
    out_ema, out_raw = t.generate(z, ema=True), t.generate(z)
    assert not torch.equal(out_ema, out_raw)
    assert torch.allclose(out_ema, out_raw, atol=0.5)
    with torch.no_grad():
        assert torch.equal(out_ema, t.ema_generator(z))
    assert t.sample_fixed(ema=True).shape == (t.config.num_snapshot_samples, 1)


def test_generate_with_ema_restores_modes():
    g = MLPGenerator(1, (1,), hidden=(8,), batch_norm=True)
    t = make_trainer(generator=g, ema_decay=0.5)
    t.fit(2)
    t.ema_generator.train()
    t.generate(torch.zeros(4, 1), ema=True)
    assert t.ema_generator.training and t.generator.training


def test_ema_does_not_change_the_training_run():
    a = make_trainer(0, ema_decay=0.99)
    b = make_trainer(0)
    a.fit(6)
    b.fit(6)
    assert same(params(a.generator), params(b.generator))
    assert a.history.as_dict() == b.history.as_dict()


# ---------------------------------------------------------------------------
# conditional training
# ---------------------------------------------------------------------------
class LabelledSampler:
    """Real data with labels; remembers the labels of every batch it handed out."""

    def __init__(self, dim: int = 2, num_classes: int = CLASSES) -> None:
        self.dim, self.num_classes = dim, num_classes
        self.labels: list[torch.Tensor] = []

    def __call__(self, n: int, generator: torch.Generator | None = None):
        labels = torch.randint(self.num_classes, (n,), generator=generator)
        x = torch.randn(n, self.dim, generator=generator) + labels[:, None].float()
        self.labels.append(labels.clone())
        return x, labels


class Unlabelled:
    def __call__(self, n: int, generator: torch.Generator | None = None):
        return torch.randn(n, 2, generator=generator)


class RecordingG(nn.Module):
    """G(z[, labels]) that records the extra arguments of every call."""

    def __init__(self, latent: int = LATENT, dim: int = 2, num_classes: int = CLASSES) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, 2)
        self.lin = nn.Linear(latent + 2, dim)
        self.calls: list[tuple] = []

    def forward(self, z, *args):
        self.calls.append(tuple(a.clone() for a in args))
        cond = self.embed(args[0]) if args else torch.zeros(len(z), 2)
        return self.lin(torch.cat([z, cond], dim=1))


class RecordingD(nn.Module):
    """D(x[, labels]) that records its inputs and extra arguments."""

    def __init__(self, dim: int = 2, num_classes: int = CLASSES) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, 2)
        self.lin = nn.Linear(dim + 2, 1)
        self.calls: list[tuple[torch.Tensor, tuple]] = []

    def forward(self, x, *args):
        self.calls.append((x.detach().clone(), tuple(a.clone() for a in args)))
        cond = self.embed(args[0]) if args else torch.zeros(len(x), 2)
        return self.lin(torch.cat([x, cond], dim=1))


def make_recording(num_classes: int = CLASSES, **cfg):
    cfg.setdefault("num_epochs", 3)
    cfg.setdefault("batch_size", 12)
    cfg.setdefault("num_snapshot_samples", 7)
    seed_everything(0)
    g, d = RecordingG(), RecordingD()
    real = LabelledSampler() if num_classes else Unlabelled()
    noise = functools.partial(normal_noise, dim=LATENT)
    game = Conditional(num_classes) if num_classes else None  # None: the unconditional game
    t = GANTrainer(g, d, real, noise, TrainConfig(**cfg), game=game)
    return t, g, d, real


def test_conditional_d_step_gives_real_labels_to_real_and_fake():
    t, g, d, real = make_recording()
    t.d_step()
    assert len(real.labels) == 1
    labels = real.labels[0]
    assert len(g.calls) == 1 and len(d.calls) == 2
    assert torch.equal(g.calls[0][0], labels)  # fakes are made for the real batch's labels
    (x_real, (l_real,)), (x_fake, (l_fake,)) = d.calls
    assert torch.equal(l_real, labels) and torch.equal(l_fake, labels)
    assert x_real.shape == x_fake.shape == (12, 2)


def test_conditional_g_step_draws_labels_for_g_and_d():
    t, g, d, real = make_recording(batch_size=60)
    t.g_step()
    assert real.labels == []  # no real data in G's step
    assert len(g.calls) == 1 and len(d.calls) == 1
    (g_labels,) = g.calls[0]
    (d_labels,) = d.calls[0][1]
    assert torch.equal(g_labels, d_labels)  # D judges the fakes with the labels they were made for
    assert g_labels.dtype == torch.long and g_labels.shape == (60,)
    assert set(g_labels.tolist()) == {0, 1, 2}  # uniform over the classes


def test_conditional_labels_come_from_the_trainers_rng():
    a, ga, _, _ = make_recording()
    b, gb, _, _ = make_recording()
    torch.manual_seed(999)  # the global generator plays no part
    a.fit(2)
    b.fit(2)
    for ca, cb in zip(ga.calls, gb.calls):
        assert all(torch.equal(x, y) for x, y in zip(ca, cb))


def test_unconditional_trainer_passes_no_labels():
    t, g, d, _ = make_recording(num_classes=0, snapshot_every=1)
    assert isinstance(t.game, Unconditional) and not t.game.conditional
    assert t.fixed_labels is None
    t.fit(2)
    t.sample(3)
    assert g.calls and d.calls
    assert all(args == () for args in g.calls)
    assert all(args == () for _, args in d.calls)


def test_conditional_sample_and_sample_fixed():
    t, g, _, _ = make_recording(num_snapshot_samples=7)
    assert torch.equal(t.fixed_labels, torch.tensor([0, 1, 2, 0, 1, 2, 0]))
    out = t.sample_fixed()
    assert out.shape == (7, 2)
    assert torch.equal(g.calls[-1][0], t.fixed_labels)
    labels = torch.tensor([2, 2, 0, 1])
    out = t.sample(4, labels=labels, generator=torch.Generator().manual_seed(0))
    assert out.shape == (4, 2)
    assert torch.equal(g.calls[-1][0], labels)
    # same noise, different labels -> different samples
    other = t.sample(4, labels=torch.tensor([0, 0, 1, 2]), generator=torch.Generator().manual_seed(0))
    assert not torch.equal(out, other)


@pytest.mark.parametrize("num_classes", [1, 0, -3])
def test_conditional_game_needs_two_classes(num_classes):
    with pytest.raises(ValueError, match="at least 2 classes"):
        Conditional(num_classes)


def test_conditional_snapshots_use_the_fixed_labels():
    t, g, _, _ = make_recording(snapshot_every=2, num_snapshot_samples=6)
    t.fit(3)
    assert [e for e, _ in t.history.snapshots] == [0, 2, 3]
    fixed_calls = [c for c in g.calls if len(c[0]) == 6]
    assert len(fixed_calls) == 3
    assert all(torch.equal(c[0], torch.tensor([0, 1, 2, 0, 1, 2])) for c in fixed_calls)


@pytest.fixture(scope="module")
def digits_012() -> ImageDataset:
    """8x8 digits of classes 0, 1 and 2 only."""
    full = load_image_dataset("digits", 8)
    keep = full.labels < CLASSES
    return ImageDataset("digits012", full.images[keep], full.labels[keep], 8, full.class_names[:CLASSES])


def make_conditional_dcgan(dataset: ImageDataset, **cfg) -> GANTrainer:
    cfg.setdefault("num_epochs", 4)
    cfg.setdefault("batch_size", 12)
    cfg.setdefault("num_snapshot_samples", 6)
    seed_everything(0)
    g = DCGANGenerator(LATENT, 8, 1, 4, num_classes=CLASSES)
    d = DCGANDiscriminator(8, 1, 4, num_classes=CLASSES)
    g.apply(dcgan_init)
    d.apply(dcgan_init)
    noise = functools.partial(normal_noise, dim=LATENT)
    return GANTrainer(g, d, dataset.sample_with_labels, noise, TrainConfig(**cfg), game=Conditional(CLASSES))


def test_conditional_dcgan_trains_with_finite_losses(digits_012):
    t = make_conditional_dcgan(digits_012, ema_decay=0.9, snapshot_every=2)
    h = t.fit(4)
    assert h.epoch == [1, 2, 3, 4]
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert all(math.isfinite(v) for v in getattr(h, key))
    assert t.sample_fixed().shape == (6, 1, 8, 8)
    assert t.sample_fixed(ema=True).shape == (6, 1, 8, 8)
    out = t.sample(5, labels=torch.tensor([0, 1, 2, 1, 0]))
    assert out.shape == (5, 1, 8, 8) and out.abs().max() <= 1
    with pytest.raises(ValueError, match="labels"):
        t.sample(5)  # a conditional generator needs labels


def test_conditional_dcgan_resumes_exactly(tmp_path, digits_012):
    path = tmp_path / "cgan.pt"
    a = make_conditional_dcgan(digits_012, ema_decay=0.9)
    a.fit(2)
    a.save_checkpoint(path)
    b = make_conditional_dcgan(digits_012, ema_decay=0.9)
    b.load_checkpoint(path)
    b.fit(2)
    c = make_conditional_dcgan(digits_012, ema_decay=0.9)
    c.fit(4)
    for mb, mc in ((b.generator, c.generator), (b.discriminator, c.discriminator), (b.ema_generator, c.ema_generator)):
        sb, sc = mb.state_dict(), mc.state_dict()
        assert all(torch.equal(sb[k], sc[k]) for k in sc)
    assert b.history.as_dict() == c.history.as_dict()


# ---------------------------------------------------------------------------
# fit(n) goes on; linear lr decay across fit calls
# ---------------------------------------------------------------------------
def test_fit_runs_exactly_that_many_more_rounds():
    t = make_trainer(num_epochs=5)
    t.fit(3)
    assert t.epoch == 3 and t.history.epoch == [1, 2, 3]
    t.fit(2)
    assert t.epoch == 5 and t.history.epoch == [1, 2, 3, 4, 5]
    t.fit()  # default: config.num_epochs more
    assert t.epoch == 10 and t.history.epoch == list(range(1, 11))
    t.fit(0)
    assert t.epoch == 10 and len(t.history.d_loss) == 10


def test_fit_in_pieces_equals_one_fit():
    a = make_trainer(num_epochs=7)
    b = make_trainer(num_epochs=7)
    a.fit(2)
    a.fit(1)
    a.fit(4)
    b.fit()
    assert a.history.as_dict() == b.history.as_dict()
    assert same(params(a.generator), params(b.generator))


class LrRecorder(Callback):
    def __init__(self) -> None:
        self.epochs: list[int] = []
        self.d: list[float] = []
        self.g: list[float] = []
        self.last_epochs: list[int] = []

    def on_epoch_end(self, trainer, epoch, record):
        self.epochs.append(epoch)
        self.d.append(trainer.opt_d.param_groups[0]["lr"])
        self.g.append(trainer.opt_g.param_groups[0]["lr"])
        self.last_epochs.append(trainer.last_epoch)


def test_linear_lr_decay_across_two_fit_calls():
    rec = LrRecorder()
    n = 10
    t = make_trainer(num_epochs=n, lr=1.0, lr_d=1e-2, lr_g=4e-3, lr_decay="linear", callbacks=[rec])
    t.fit(4)
    t.fit(6)
    assert rec.epochs == list(range(1, n + 1))
    assert rec.d == pytest.approx([1e-2 * (1 - (e - 1) / n) for e in rec.epochs], rel=1e-12)
    assert rec.g == pytest.approx([4e-3 * (1 - (e - 1) / n) for e in rec.epochs], rel=1e-12)
    assert rec.last_epochs == [4] * 4 + [10] * 6  # EvalEvery's "last epoch" is the end of each fit call


def test_linear_lr_decay_past_the_planned_run_stops_at_zero():
    rec = LrRecorder()
    t = make_trainer(num_epochs=4, lr=1e-2, lr_decay="linear", callbacks=[rec])
    t.fit()
    t.fit(2)
    assert rec.d == pytest.approx([1e-2, 7.5e-3, 5e-3, 2.5e-3, 0.0, 0.0], abs=1e-15)
    assert all(lr >= 0 for lr in rec.d + rec.g)
