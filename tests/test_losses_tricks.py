"""Tests for the GAN losses and terms of lesson 12.1.4 (modules.game.losses,
modules.game.terms, modules.game.objective) and the training tricks of lesson 12.1.5
(modules.game.tricks), alone and where each acts in GANTrainer."""

from __future__ import annotations

import contextlib
import copy
import functools
import math

import pytest
import torch
from torch import nn

from modules.data.synthetic import normal_noise, toy_target
from modules.game.config import TrainConfig
from modules.game.games import Duel
from modules.game.history import Callback
from modules.game.loop import GANTrainer
from modules.game.losses import HingeLoss, LeastSquaresLoss, MinimaxLoss, NonSaturatingLoss, WassersteinLoss
from modules.game.objective import OBJECTIVES, Clock, Objective, named_objective
from modules.game.runtime import seed_everything
from modules.game.terms import GradientPenalty, WeightClipping, input_gradient_norms, interpolates
from modules.game.tricks import (
    ARCHITECTURE_TRICKS,
    TRICKS,
    TTUR,
    FeatureMatching,
    GradientClipping,
    InstanceNoise,
    LabelSmoothing,
    NoisyLabels,
    SpectralNorm,
    UnrolledDiscriminator,
    apply_spectral_norm,
    make_tricks,
    spectral_norms,
)
from modules.networks.mlp import MLPDiscriminator, MLPGenerator, PackedDiscriminator

pytestmark = pytest.mark.usefixtures("one_thread")

NOISE_2D = functools.partial(normal_noise, dim=2)
REAL = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
FAKE = torch.tensor([[-1.0], [1.0]], dtype=torch.float64)


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def make_trainer(objective=None, tricks=(), seed: int = 0, hidden=(16, 16), d=None, real=None, **cfg) -> GANTrainer:
    """A tiny 2-D GAN on the ring of 8 (or on the ``real`` sampler given)."""
    cfg.setdefault("num_epochs", 10)
    cfg.setdefault("batch_size", 32)
    cfg.setdefault("cpu_threads", 1)
    seed_everything(seed)
    g = MLPGenerator(2, (2,), hidden=hidden)
    d = d if d is not None else MLPDiscriminator((2,), hidden=hidden)
    real = real if real is not None else toy_target("ring")
    return GANTrainer(g, d, real, NOISE_2D, TrainConfig(seed=seed, **cfg), objective=objective, tricks=tricks)


def with_loss(loss) -> Objective:
    """The objective of ``loss`` alone."""
    return Objective(loss)


def clone_params(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def tensors_equal(a, b) -> bool:
    """Deep exact comparison of nested dicts/lists of tensors and plain values."""
    if torch.is_tensor(a) or torch.is_tensor(b):
        return torch.is_tensor(a) and torch.is_tensor(b) and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(tensors_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(tensors_equal(x, y) for x, y in zip(a, b))
    return a == b


def total_grad_norm(model: nn.Module) -> float:
    grads = [p.grad.detach().flatten() for p in model.parameters() if p.grad is not None]
    return torch.cat(grads).norm().item()


# ---------------------------------------------------------------------------
# Losses on known inputs
# ---------------------------------------------------------------------------
def test_bce_d_loss_closed_form():
    # real logits 0, 2; fake logits -1, 1
    expected = -(math.log(sig(0)) + math.log(sig(2))) / 2 - (math.log(1 - sig(-1)) + math.log(1 - sig(1))) / 2
    for loss in (NonSaturatingLoss(), MinimaxLoss()):
        assert loss.d_loss(REAL, FAKE).item() == pytest.approx(expected, rel=1e-12)


def test_non_saturating_and_minimax_g_loss_closed_form():
    ns = -(math.log(sig(-1)) + math.log(sig(1))) / 2
    mm = (math.log(1 - sig(-1)) + math.log(1 - sig(1))) / 2
    assert NonSaturatingLoss().g_loss(FAKE).item() == pytest.approx(ns, rel=1e-12)
    assert MinimaxLoss().g_loss(FAKE).item() == pytest.approx(mm, rel=1e-12)


def test_bce_smoothed_real_target_closed_form():
    t = 0.9
    real = -sum(t * math.log(sig(r)) + (1 - t) * math.log(1 - sig(r)) for r in (0.0, 2.0)) / 2
    fake = -sum(math.log(1 - sig(f)) for f in (-1.0, 1.0)) / 2
    assert NonSaturatingLoss().d_loss(REAL, FAKE, real_target=0.9).item() == pytest.approx(real + fake, rel=1e-12)
    # a tensor target (what the trainer's label tricks pass) means the same
    tensor_target = torch.full_like(REAL, 0.9)
    assert NonSaturatingLoss().d_loss(REAL, FAKE, tensor_target, torch.zeros_like(FAKE)).item() == pytest.approx(real + fake, rel=1e-12)


def test_lsgan_closed_form():
    loss = LeastSquaresLoss()
    # D: 0.5*mean((r-1)^2) + 0.5*mean(f^2) = 0.5*(1+1)/2 + 0.5*(1+1)/2 = 1.0
    d = 0.5 * ((0 - 1) ** 2 + (2 - 1) ** 2) / 2 + 0.5 * ((-1) ** 2 + 1**2) / 2
    assert loss.d_loss(REAL, FAKE).item() == pytest.approx(d, rel=1e-12)
    assert d == pytest.approx(1.0)
    # G: 0.5*mean((f-1)^2) = 0.5*(4+0)/2 = 1.0
    assert loss.g_loss(FAKE).item() == pytest.approx(0.5 * ((-1 - 1) ** 2 + 0) / 2, rel=1e-12)
    # smoothed real target 0.9
    d_smooth = 0.5 * ((0 - 0.9) ** 2 + (2 - 0.9) ** 2) / 2 + 0.5 * (1 + 1) / 2
    assert loss.d_loss(REAL, FAKE, real_target=0.9).item() == pytest.approx(d_smooth, rel=1e-12)
    # the raw output is the "probability"
    assert torch.equal(loss.probability(REAL), REAL)


def test_hinge_closed_form():
    loss = HingeLoss()
    # relu(1-0)=1, relu(1-2)=0 -> 0.5 ; relu(1-1)=0, relu(1+1)=2 -> 1.0
    d = (max(0, 1 - 0) + max(0, 1 - 2)) / 2 + (max(0, 1 - 1) + max(0, 1 + 1)) / 2
    assert loss.d_loss(REAL, FAKE).item() == pytest.approx(d, rel=1e-12)
    assert d == pytest.approx(1.5)
    assert loss.g_loss(FAKE).item() == pytest.approx(-(-1 + 1) / 2, abs=1e-12)
    assert loss.g_loss(torch.tensor([[3.0], [1.0]])).item() == pytest.approx(-2.0)
    # past the margin D gets no gradient
    r = torch.tensor([[5.0]], requires_grad=True)
    f = torch.tensor([[-5.0]], requires_grad=True)
    loss.d_loss(r, f).backward()
    assert r.grad.item() == 0 and f.grad.item() == 0


def test_wasserstein_closed_form():
    # the WGAN and WGAN-GP objectives share this loss; they differ in what is composed with it
    for objective in (named_objective("wgan"), named_objective("wgan_gp")):
        loss = objective.loss
        assert type(loss) is WassersteinLoss
        # mean f - mean r = 0 - 1 = -1
        assert loss.score_loss(REAL, FAKE).item() == pytest.approx(-1.0)
        assert loss.d_loss(REAL, FAKE).item() == pytest.approx(FAKE.mean().item() - REAL.mean().item())
        assert loss.g_loss(torch.tensor([[3.0], [1.0]])).item() == pytest.approx(-2.0)
        assert torch.equal(loss.probability(REAL), REAL)
        assert loss.outputs_probability is False and loss.uses_targets is False


@pytest.mark.parametrize("loss", [HingeLoss(), WassersteinLoss()], ids=lambda l: l.name)
def test_score_losses_reject_targets(loss):
    with pytest.raises(ValueError, match="no targets"):
        loss.d_loss(REAL, FAKE, real_target=0.9)
    with pytest.raises(ValueError, match="no targets"):
        loss.d_loss(REAL, FAKE, fake_target=0.1)
    with pytest.raises(ValueError):
        loss.d_loss(REAL, FAKE, torch.ones_like(REAL), torch.zeros_like(FAKE))
    # the defaults, as numbers, are fine
    loss.d_loss(REAL, FAKE, 1.0, 0.0)


def test_label_losses_flags():
    for loss in (NonSaturatingLoss(), MinimaxLoss(), LeastSquaresLoss()):
        assert loss.uses_targets
        assert loss.outputs_probability
    assert HingeLoss().uses_targets is False


# ---------------------------------------------------------------------------
# WGAN-GP: interpolates, gradient norms, the penalty
# ---------------------------------------------------------------------------
def test_interpolates_one_coefficient_per_sample():
    n = 64
    real, fake = torch.ones(n, 1, 4, 4), torch.zeros(n, 1, 4, 4)
    x = interpolates(real, fake, generator=torch.Generator().manual_seed(0))
    assert x.shape == real.shape
    flat = x.flatten(1)
    # every sample's pixels are one number: eps
    assert torch.equal(flat, flat[:, :1].expand_as(flat))
    eps = flat[:, 0]
    assert ((eps >= 0) & (eps <= 1)).all()
    assert len(torch.unique(eps)) > n // 2  # differs across samples
    assert eps.std() > 0.1


def test_interpolates_lie_on_segments():
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(32, 3, 5, generator=g), torch.randn(32, 3, 5, generator=g)
    x = interpolates(real, fake, generator=torch.Generator().manual_seed(2))
    d = (real - fake).flatten(1)
    # x - fake = eps * (real - fake) with one eps per sample in [0, 1]
    eps = ((x - fake).flatten(1) * d).sum(1) / (d * d).sum(1)
    assert ((eps >= -1e-6) & (eps <= 1 + 1e-6)).all()
    assert torch.allclose(x, fake + eps.view(-1, 1, 1) * (real - fake), atol=1e-5)
    # seeded: the same generator state gives the same points
    assert torch.equal(x, interpolates(real, fake, generator=torch.Generator().manual_seed(2)))


def test_input_gradient_norms_of_known_critics():
    lin = nn.Linear(3, 1, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, 0.0, 4.0]]))
    x = torch.randn(10, 3)
    assert torch.allclose(input_gradient_norms(lin, x), torch.full((10,), 5.0))

    class Square(nn.Module):
        def forward(self, x):
            return (x**2).sum(dim=1, keepdim=True)

    # grad of |x|^2 is 2x
    assert torch.allclose(input_gradient_norms(Square(), x), 2 * x.norm(dim=1), atol=1e-5)


def test_zero_penalty_weight_skips_the_penalty():
    """--penalty-weight 0 means no penalty term at all (and no double backward)."""
    rng = torch.Generator().manual_seed(0)
    penalty = GradientPenalty(weight=0.0)
    assert penalty([Duel(nn.Linear(2, 1), torch.randn(4, 2), torch.randn(4, 2))], rng) is None
    assert math.isnan(penalty.last)  # nothing was computed


@pytest.mark.parametrize("weight", [10.0, 2.5])
def test_gradient_penalty_of_linear_critic_is_exact(weight):
    critic = nn.Linear(2, 1, bias=False)
    w = torch.tensor([[1.5, -2.0]])  # |w| = 2.5
    with torch.no_grad():
        critic.weight.copy_(w)
    term = GradientPenalty(weight=weight)
    assert term.phase == "d"  # a term of D's loss
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    penalty = term([Duel(critic, real, fake)], torch.Generator().manual_seed(0))
    assert penalty.item() == pytest.approx(weight * (2.5 - 1) ** 2, rel=1e-6)
    assert term.last == pytest.approx((2.5 - 1) ** 2, rel=1e-6)
    if weight:
        # the penalty is differentiable in D's weights: d/dw weight*(|w|-1)^2 = 2*weight*(|w|-1)*w/|w|
        penalty.backward()
        assert torch.allclose(critic.weight.grad, 2 * weight * (2.5 - 1) * w / 2.5, atol=1e-5)


class RecordingScoreLoss(WassersteinLoss):
    """The Wasserstein loss, keeping the value of its own part of D's loss."""

    def __init__(self):
        self.values = []

    def d_loss(self, real_out, fake_out, real_target=1.0, fake_target=0.0):
        value = super().d_loss(real_out, fake_out, real_target, fake_target)
        self.values.append(value.item())
        return value


def test_wgan_gp_d_step_adds_penalty():
    loss = RecordingScoreLoss()
    t = make_trainer(objective=named_objective("wgan_gp", penalty_weight=10.0).with_parts(loss=loss))
    (penalty,) = t.objective.terms
    assert isinstance(penalty, GradientPenalty) and penalty.weight == 10.0
    assert math.isnan(penalty.last)
    record = t.d_step()
    assert math.isfinite(penalty.last) and penalty.last > 0
    assert t.objective.last_terms == {"gradient_penalty": penalty.last}
    # D's loss is the Wasserstein loss plus 10 times the penalty
    assert record["d_loss"] == pytest.approx(loss.values[-1] + 10.0 * penalty.last, rel=1e-5, abs=1e-6)


# ---------------------------------------------------------------------------
# named_objective and parameter checks
# ---------------------------------------------------------------------------
def test_named_objective_names_and_params():
    losses = {"non_saturating": NonSaturatingLoss, "minimax": MinimaxLoss, "lsgan": LeastSquaresLoss, "hinge": HingeLoss,
              "wgan": WassersteinLoss, "wgan_gp": WassersteinLoss}  # fmt: skip
    assert set(OBJECTIVES) == set(losses)
    for name, cls in losses.items():
        assert type(named_objective(name).loss) is cls
    for name in ("non_saturating", "minimax", "lsgan", "hinge"):
        assert named_objective(name).loss.name == name
        assert (named_objective(name).terms, named_objective(name).constraints) == ((), ())
    # WGAN: the loss with weight clipping (0.01 by default), no penalty
    (clip,) = named_objective("wgan", clip=0.05).constraints
    assert isinstance(clip, WeightClipping) and clip.clip == 0.05
    assert named_objective("wgan").constraints[0].clip == 0.01 and named_objective("wgan").terms == ()
    # WGAN-GP: the loss with a gradient penalty (weight 10 by default), no weight clipping
    (penalty,) = named_objective("wgan_gp", penalty_weight=5).terms
    assert isinstance(penalty, GradientPenalty) and penalty.weight == 5
    assert named_objective("wgan_gp").terms[0].weight == 10.0
    assert named_objective("wgan_gp").constraints == ()
    # the Wasserstein loss alone clips nothing
    assert Objective(WassersteinLoss()).constraints == ()


def test_named_objective_unknown_name_lists_choices():
    with pytest.raises(ValueError) as err:
        named_objective("vanilla")
    message = str(err.value)
    assert "vanilla" in message
    for name in OBJECTIVES:
        assert name in message


@pytest.mark.parametrize("clip", [-1, 0, float("nan"), float("inf")])
def test_wgan_rejects_bad_clip(clip):
    with pytest.raises(ValueError, match="clip"):
        WeightClipping(clip=clip)
    with pytest.raises(ValueError, match="clip"):
        named_objective("wgan", clip=clip)


@pytest.mark.parametrize("weight", [-1, float("nan"), float("inf")])
def test_wgan_gp_rejects_bad_penalty(weight):
    with pytest.raises(ValueError, match="weight"):
        GradientPenalty(weight=weight)
    with pytest.raises(ValueError, match="weight"):
        named_objective("wgan_gp", penalty_weight=weight)


# ---------------------------------------------------------------------------
# Weight clipping and the optimiser
# ---------------------------------------------------------------------------
def test_weight_clipping_after_d_step():
    t = make_trainer(objective=named_objective("wgan", clip=0.01))
    assert max(p.abs().max().item() for p in t.discriminator.parameters()) > 0.01  # not clipped at init
    g_before = clone_params(t.generator)
    t.d_step()
    for p in t.discriminator.parameters():
        assert p.min().item() >= -0.01 and p.max().item() <= 0.01
    # the clip is not applied to G
    assert all(torch.equal(a, b) for a, b in zip(g_before, t.generator.parameters()))


def test_no_clipping_without_clip():
    t = make_trainer(objective=with_loss(WassersteinLoss()))
    t.d_step()
    assert max(p.abs().max().item() for p in t.discriminator.parameters()) > 0.01


def test_rmsprop_optimizer():
    t = make_trainer(optimizer="rmsprop", lr=5e-5)
    assert isinstance(t.opt_d, torch.optim.RMSprop) and isinstance(t.opt_g, torch.optim.RMSprop)
    assert t.opt_d.param_groups[0]["lr"] == 5e-5
    t.fit(2)
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="adagrad")


# ---------------------------------------------------------------------------
# Label tricks
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["wgan", "wgan_gp", "hinge"])
@pytest.mark.parametrize("trick", [LabelSmoothing, NoisyLabels])
def test_label_tricks_need_label_losses(loss, trick):
    with pytest.raises(ValueError, match=trick.name) as err:
        make_trainer(objective=named_objective(loss), tricks=[trick()])
    assert "has none" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("loss", ["non_saturating", "minimax", "lsgan"])
def test_label_tricks_accepted_with_label_losses(loss):
    t = make_trainer(objective=named_objective(loss), tricks=[LabelSmoothing(), NoisyLabels()])
    assert [type(part) for part in t.objective.relabel] == [LabelSmoothing, NoisyLabels]


class RecordingLoss(NonSaturatingLoss):
    def __init__(self):
        self.targets = []

    def d_loss(self, real_logits, fake_logits, real_target=1.0, fake_target=0.0):
        self.targets.append((real_target, fake_target))
        return super().d_loss(real_logits, fake_logits, real_target, fake_target)


def test_label_smoothing_targets():
    loss = RecordingLoss()
    t = make_trainer(objective=with_loss(loss), tricks=[LabelSmoothing()])
    t.d_step()
    (real_t, fake_t), = loss.targets
    assert torch.is_tensor(real_t) and real_t.shape == (32, 1)
    assert torch.allclose(real_t, torch.full((32, 1), 0.9))
    assert torch.equal(fake_t, torch.zeros(32, 1))
    # without the trick the targets are the plain numbers 1 and 0
    loss2 = RecordingLoss()
    make_trainer(objective=with_loss(loss2)).d_step()
    assert loss2.targets == [(1.0, 0.0)]


def test_label_smoothing_rejects_bad_target():
    for bad in (0.5, 0.2, 1.1):
        with pytest.raises(ValueError):
            LabelSmoothing(bad)
    real_t, fake_t = LabelSmoothing(0.8).relabel(torch.ones(3), torch.zeros(3), None)
    assert real_t.tolist() == pytest.approx([0.8] * 3) and fake_t.tolist() == [0.0] * 3


@pytest.mark.parametrize("flip", [0.05, 0.3])
def test_noisy_labels_flip_share(flip):
    n = 20000
    real_t, fake_t = NoisyLabels(flip).relabel(torch.ones(n, 1), torch.zeros(n, 1), torch.Generator().manual_seed(123))
    assert set(real_t.unique().tolist()) <= {0.0, 1.0} and set(fake_t.unique().tolist()) <= {0.0, 1.0}
    sd = math.sqrt(flip * (1 - flip) / n)
    assert (real_t == 0).float().mean().item() == pytest.approx(flip, abs=5 * sd)
    assert (fake_t == 1).float().mean().item() == pytest.approx(flip, abs=5 * sd)
    # the two flips are independent draws, not the same mask
    assert not torch.equal(real_t == 0, fake_t == 1)


def test_noisy_labels_in_trainer():
    loss = RecordingLoss()
    t = make_trainer(objective=with_loss(loss), tricks=[NoisyLabels(0.25)], batch_size=256)
    for _ in range(4):
        t.d_step()
    flipped_real = torch.cat([(r == 0).float().flatten() for r, _ in loss.targets]).mean().item()
    flipped_fake = torch.cat([(f == 1).float().flatten() for _, f in loss.targets]).mean().item()
    assert flipped_real == pytest.approx(0.25, abs=0.05)
    assert flipped_fake == pytest.approx(0.25, abs=0.05)


def test_noisy_labels_rejects_bad_flip():
    for bad in (-0.1, 0.5, 0.9):
        with pytest.raises(ValueError):
            NoisyLabels(bad)


# ---------------------------------------------------------------------------
# Instance noise
# ---------------------------------------------------------------------------
def test_instance_noise_anneals_linearly():
    trick = InstanceNoise(std=0.2)
    seen: list[float] = []

    class Record(Callback):
        def on_epoch_end(self, trainer, epoch, record):
            seen.append(trick.current_std(trainer.clock))

    n = 20
    t = make_trainer(tricks=[trick], num_epochs=n)
    t.callbacks.append(Record())
    t.fit()
    assert len(seen) == n
    assert seen[0] == pytest.approx(0.2)
    assert seen[-1] <= 0.2 * 0.06  # ~0 at the end
    steps = [a - b for a, b in zip(seen, seen[1:])]
    assert all(s == pytest.approx(0.2 / n) for s in steps)  # linear
    assert all(s >= 0 for s in seen)


class RecordingD(MLPDiscriminator):
    """An MLP discriminator keeping every batch it is shown."""

    def __init__(self):
        super().__init__((2,), hidden=(8,))
        self.inputs = []

    def forward(self, x, *cond):
        self.inputs.append(x.detach().clone())
        return super().forward(x, *cond)


def zeros(n, generator=None):
    return torch.zeros(n, 2)


def test_instance_noise_is_what_d_sees():
    """D sees the real batch (here all zeros) plus noise of the trick's current std."""

    def real_seen(trainer, epoch):
        trainer.epoch = epoch
        trainer.discriminator.inputs.clear()
        trainer.d_step()
        return trainer.discriminator.inputs[0]  # D judges the real batch first

    t = make_trainer(tricks=[InstanceNoise(std=0.5)], d=RecordingD(), real=zeros, batch_size=2000, num_epochs=10)
    assert [type(part) for part in t.objective.see] == [InstanceNoise]
    assert real_seen(t, 1).std().item() == pytest.approx(0.5, rel=0.05)
    assert real_seen(t, 6).std().item() == pytest.approx(0.25, rel=0.05)  # halfway: std * (1 - 5/10)
    # no annealing: constant
    t2 = make_trainer(tricks=[InstanceNoise(std=0.3, anneal=False)], d=RecordingD(), real=zeros, batch_size=2000, num_epochs=10)
    assert real_seen(t2, 10).std().item() == pytest.approx(0.3, rel=0.05)
    # std 0, or no trick: D sees the real batch untouched
    for tricks in ([InstanceNoise(std=0.0)], []):
        t3 = make_trainer(tricks=tricks, d=RecordingD(), real=zeros, batch_size=64)
        assert torch.equal(real_seen(t3, 1), torch.zeros(64, 2))


def test_instance_noise_see():
    x = torch.zeros(4000, 2)
    trick = InstanceNoise(std=0.5)
    rng = torch.Generator().manual_seed(0)
    y = trick.see(x, rng, Clock(epoch=1, num_epochs=10))
    assert not torch.equal(x, y)
    assert y.std().item() == pytest.approx(0.5, rel=0.05)
    assert trick.see(x, rng, Clock(epoch=6, num_epochs=10)).std().item() == pytest.approx(0.25, rel=0.05)
    assert InstanceNoise(std=0.3, anneal=False).see(x, rng, Clock(10, 10)).std().item() == pytest.approx(0.3, rel=0.05)
    assert InstanceNoise(std=0.0).see(x, rng, Clock(1, 10)) is x  # std 0: the input passes through untouched
    with pytest.raises(ValueError):
        InstanceNoise(std=-1)


# ---------------------------------------------------------------------------
# Spectral normalisation
# ---------------------------------------------------------------------------
def test_spectral_norm_keeps_layers_near_one():
    t = make_trainer(tricks=[SpectralNorm()], num_epochs=200, lr=1e-3)
    d = t.discriminator
    linears = [m for m in d.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 3
    assert all(hasattr(m, "parametrizations") for m in linears)
    # the optimiser trains the wrapped (original) weights
    opt_params = {id(p) for g in t.opt_d.param_groups for p in g["params"]}
    assert {id(p) for p in d.parameters()} == opt_params
    t.fit()
    norms = spectral_norms(d)
    assert len(norms) == 3
    for s in norms:
        assert abs(s - 1.0) <= 0.05, norms
    assert d.training  # spectral_norms leaves the mode as it was


def test_without_spectral_norm_layers_are_not_normalised():
    t = make_trainer(num_epochs=50, lr=1e-3)
    t.fit()
    d = t.discriminator
    assert spectral_norms(d) == []  # nothing wrapped
    raw = [torch.linalg.matrix_norm(m.weight.detach().double(), ord=2).item() for m in d.modules() if isinstance(m, nn.Linear)]
    assert any(abs(s - 1.0) > 0.05 for s in raw), raw


def test_apply_spectral_norm_is_idempotent_and_covers_convs():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 1))
    out = apply_spectral_norm(model)
    assert out is model
    apply_spectral_norm(model)  # a second call does not wrap twice
    assert len(model[0].parametrizations["weight"]) == 1
    model(torch.randn(8, 1, 6, 6))
    assert len(spectral_norms(model)) == 2


# ---------------------------------------------------------------------------
# TTUR, feature matching, gradient clipping, unrolling
# ---------------------------------------------------------------------------
def test_ttur_learning_rates():
    t = make_trainer(tricks=[TTUR()])
    assert t.opt_d.param_groups[0]["lr"] == pytest.approx(4e-4)
    assert t.opt_g.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert t.rates == pytest.approx((4e-4, 1e-4))
    # the linear decay lowers TTUR's rates, not the config's: after epoch 2 of 4, 3/4 of them
    decaying = make_trainer(tricks=[TTUR()], lr=1e-3, lr_decay="linear", num_epochs=4)
    decaying.fit(2)
    assert decaying.opt_d.param_groups[0]["lr"] == pytest.approx(0.75 * 4e-4)
    assert decaying.opt_g.param_groups[0]["lr"] == pytest.approx(0.75 * 1e-4)
    t2 = make_trainer(tricks=[TTUR(lr_d=1e-3, lr_g=2e-4)])
    assert t2.opt_d.param_groups[0]["lr"] == pytest.approx(1e-3)
    assert t2.opt_g.param_groups[0]["lr"] == pytest.approx(2e-4)
    with pytest.raises(ValueError):
        TTUR(lr_d=0)


def test_a_recipe_builds_its_optimisers_from_its_own_settings_with_ttur_acting_there():
    """build_toy_gan hands the trainer optimisers built from the recipe's fields; TTUR
    sets their rates there, and a trainer given optimisers refuses a TTUR of its own."""
    from modules.experiments.toy2d import ToyRecipe, build_toy_gan
    from modules.game.loop import build_optimizers

    small = dict(steps=4, batch_size=8, g_hidden=(8,), d_hidden=(8,))
    plain = build_toy_gan(ToyRecipe(lr=3e-3, betas=(0.1, 0.9), **small))
    assert [(o.param_groups[0]["lr"], o.param_groups[0]["betas"]) for o in (plain.opt_d, plain.opt_g)] == [(3e-3, (0.1, 0.9))] * 2
    assert isinstance(build_toy_gan(ToyRecipe(optimizer="rmsprop", **small)).opt_d, torch.optim.RMSprop)
    ttur = build_toy_gan(ToyRecipe(tricks=("ttur",), **small))
    assert (ttur.opt_d.param_groups[0]["lr"], ttur.opt_g.param_groups[0]["lr"]) == pytest.approx((4e-4, 1e-4))
    g, d = MLPGenerator(2, (2,), hidden=(8,)), MLPDiscriminator((2,), hidden=(8,))
    with pytest.raises(ValueError, match="acts where the optimisers are built"):
        GANTrainer(g, d, toy_target("ring"), NOISE_2D, TrainConfig(), tricks=[TTUR()], optimizers=build_optimizers(d, g, 1e-3))
    with pytest.raises(ValueError, match="optimizer must be"):
        build_optimizers(d, g, 1e-3, kind="lbfgs")


class NoGLoss(NonSaturatingLoss):
    def g_loss(self, fake_logits):
        raise AssertionError("feature matching must replace G's loss")


def test_feature_matching_loss():
    t = make_trainer(objective=with_loss(NoGLoss()), tricks=[FeatureMatching()])
    g_state = torch.Generator()
    g_state.set_state(t.rng.get_state())
    with torch.no_grad():
        z = NOISE_2D(32, generator=g_state)  # g_step draws noise first ...
        fake = t.generator(z)
        real = toy_target("ring")(32, generator=g_state)  # ... then the real batch
        expected = (t.discriminator.features(fake).mean(0) - t.discriminator.features(real).mean(0)).pow(2).sum().item()
    g_before = clone_params(t.generator)
    result = t.g_step()["g_loss"]
    assert result == pytest.approx(expected, rel=1e-5)
    assert not all(torch.equal(a, b) for a, b in zip(g_before, t.generator.parameters()))


def test_feature_matching_needs_features_and_says_so_when_the_trainer_is_built():
    seed_everything(0)
    plain_d = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    with pytest.raises(ValueError, match="features") as err:
        make_trainer(tricks=[FeatureMatching()], d=plain_d)  # refused before any step
    assert "\n" not in str(err.value) and "Sequential" in str(err.value)


def test_gradient_clipping_clips():
    seed_everything(0)
    d = MLPDiscriminator((2,), hidden=(16, 16))
    d.zero_grad()
    (1000 * d(torch.randn(64, 2) * 10).pow(2).mean()).backward()
    assert total_grad_norm(d) > 0.1
    GradientClipping(max_norm=0.1).clip(d)
    assert total_grad_norm(d) <= 0.1 + 1e-6
    with pytest.raises(ValueError):
        GradientClipping(max_norm=0)


class GradNormRecorder:
    """A part acting where gradient clipping acts (between backward and step), after it."""

    name, acts_on = "grad_norm_recorder", "update"

    def __init__(self):
        self.norms = []

    def clip(self, model):
        self.norms.append(total_grad_norm(model))


def test_gradient_clipping_in_both_steps():
    rec = GradNormRecorder()
    t = make_trainer(tricks=[GradientClipping(max_norm=1e-3), rec], lr=1e-3)
    t.fit(3)
    assert len(rec.norms) == 6  # one D and one G update per epoch
    assert all(n <= 1e-3 + 1e-6 for n in rec.norms)
    # without clipping the same updates have larger gradients
    rec2 = GradNormRecorder()
    make_trainer(tricks=[rec2], lr=1e-3).fit(3)
    assert max(rec2.norms) > 1e-3


class DSnapshot:
    """Records D's weights in G's phase, inside the parts entered before it."""

    name, acts_on = "d_snapshot", "g_phase"

    def __init__(self):
        self.seen = None

    @contextlib.contextmanager
    def around(self, d_phase):
        self.seen = clone_params(d_phase.module)
        yield


def test_unrolled_restores_d_and_optimizer():
    snap = DSnapshot()
    unrolled = UnrolledDiscriminator(steps=3)
    t = make_trainer(tricks=[unrolled, snap])
    t.d_step()  # so that Adam has state
    d_state = copy.deepcopy(t.discriminator.state_dict())
    opt_state = copy.deepcopy(t.opt_d.state_dict())
    g_before = clone_params(t.generator)
    t.g_step()
    # D really moved during the unrolled steps (G stepped against the future D) ...
    assert not all(torch.equal(a, d_state[k]) for a, k in zip(snap.seen, d_state))
    # ... and is back exactly where it was, with its optimiser
    assert tensors_equal(t.discriminator.state_dict(), d_state)
    assert tensors_equal(t.opt_d.state_dict(), opt_state)
    # G was updated
    assert not all(torch.equal(a, b) for a, b in zip(g_before, t.generator.parameters()))


def test_unrolled_rejects_zero_steps():
    with pytest.raises(ValueError):
        UnrolledDiscriminator(steps=0)


# ---------------------------------------------------------------------------
# make_tricks / TRICKS
# ---------------------------------------------------------------------------
def test_make_tricks():
    tricks = make_tricks(["label_smoothing", "instance_noise", "unrolled"], instance_noise={"std": 0.2}, unrolled={"steps": 2})
    assert [type(t) for t in tricks] == [LabelSmoothing, InstanceNoise, UnrolledDiscriminator]
    assert tricks[1].std == 0.2 and tricks[2].steps == 2
    assert make_tricks(["minibatch_std", "pack"]) == []
    assert set(ARCHITECTURE_TRICKS) == {name for name, (_, cls) in TRICKS.items() if cls is None}
    for name, (description, cls) in TRICKS.items():
        assert description
        if cls is not None:
            assert cls.name == name
            assert type(make_tricks([name])[0]) is cls


def test_make_tricks_unknown_name():
    with pytest.raises(ValueError) as err:
        make_tricks(["label_smoothing", "dropout_everything"])
    assert "dropout_everything" in str(err.value)
    for name in TRICKS:
        assert name in str(err.value)


@pytest.mark.parametrize("name", [n for n, (_, cls) in TRICKS.items() if cls is not None])
def test_every_trick_trains(name):
    t = make_trainer(objective=named_objective("non_saturating"), tricks=make_tricks([name], unrolled={"steps": 1}), num_epochs=3, hidden=(8,))
    history = t.fit()
    assert len(history.d_loss) == 3
    assert all(math.isfinite(v) for v in history.d_loss + history.g_loss)


# ---------------------------------------------------------------------------
# Discriminator variants: features, packing
# ---------------------------------------------------------------------------
def test_mlp_discriminator_features():
    d = MLPDiscriminator((2,), hidden=(16, 8))
    x = torch.randn(5, 2)
    assert d.features(x).shape == (5, 8)
    # the last layer applied to the features is the output
    assert torch.allclose(d.net[-1](d.features(x)), d(x))
    d_std = MLPDiscriminator((2,), hidden=(16, 8), minibatch_std=True)
    assert d_std.features(x).shape == (5, 8)
    assert d_std(x).shape == (5, 1)


def test_packed_discriminator_shapes():
    inner = MLPDiscriminator((8,), hidden=(16, 12))
    d = PackedDiscriminator(inner, 4)
    x = torch.randn(32, 2)
    assert d(x).shape == (8, 1)
    assert d.features(x).shape == (8, 12)
    # pack k holds samples 4k .. 4k+3 side by side
    assert torch.allclose(d(x)[1], inner(x[4:8].reshape(1, 8))[0])
    with pytest.raises(ValueError, match="packs of 4"):
        d(torch.randn(30, 2))
    with pytest.raises(ValueError):
        PackedDiscriminator(inner, 0)


def test_packed_discriminator_trains():
    d = PackedDiscriminator(MLPDiscriminator((8,), hidden=(8,)), 4)
    t = make_trainer(d=d, hidden=(8,), num_epochs=2)
    history = t.fit()
    assert all(math.isfinite(v) for v in history.d_loss + history.g_loss)
