"""Tests for modules.networks.dcgan: MLP generator/discriminator, batch moments, batch-stats D."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from modules.networks.mlp import ACTIVATIONS, BatchStatsDiscriminator, MLPDiscriminator, MLPGenerator, batch_moments, mlp


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------
# mlp()
# ---------------------------------------------------------------------------
def test_mlp_layer_widths_and_no_activation_after_last():
    net = mlp(3, (5, 6), 2, activation="tanh")
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(3, 5), (5, 6), (6, 2)]
    assert sum(isinstance(m, nn.Tanh) for m in net) == 2
    assert isinstance(net[-1], nn.Linear)
    assert not any(isinstance(m, nn.Dropout) for m in net)


def test_mlp_with_dropout_inserts_dropout_layers():
    net = mlp(3, (5, 6), 2, dropout=0.25)
    drops = [m for m in net if isinstance(m, nn.Dropout)]
    assert len(drops) == 2  # after each hidden activation, none after the output
    assert all(d.p == 0.25 for d in drops)
    assert isinstance(net[-1], nn.Linear)
    types = [type(m) for m in net]
    assert types == [nn.Linear, nn.ReLU, nn.Dropout, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]


def test_discriminator_dropout_passed_through():
    d = MLPDiscriminator((1,), hidden=(8, 8), dropout=0.3)
    assert sum(isinstance(m, nn.Dropout) for m in d.modules()) == 2
    assert sum(isinstance(m, nn.Dropout) for m in MLPDiscriminator((1,), hidden=(8, 8)).modules()) == 0


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_named_activation_builds(name):
    net = mlp(2, (4,), 1, activation=name)
    assert net(torch.zeros(3, 2)).shape == (3, 1)


def test_unknown_activation_raises():
    with pytest.raises(ValueError, match="swish"):
        mlp(2, (4,), 1, activation="swish")
    with pytest.raises(ValueError, match="unknown activation"):
        MLPGenerator(2, (1,), activation="banana")
    with pytest.raises(ValueError, match="unknown activation"):
        MLPGenerator(2, (1,), out_activation="softmax")
    with pytest.raises(ValueError, match="unknown activation"):
        MLPDiscriminator((1,), activation="gelu")


# ---------------------------------------------------------------------------
# MLPGenerator
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("out_shape", [(1,), (1, 8, 8)])
def test_generator_output_shape(out_shape):
    g = MLPGenerator(4, out_shape, hidden=(16,))
    out = g(torch.randn(5, 4, generator=gen()))
    assert out.shape == (5, *out_shape)
    assert g.out_shape == tuple(out_shape)
    assert g.latent_dim == 4


def test_generator_tanh_output_bounded_and_identity_not():
    z = 100 * torch.randn(64, 4, generator=gen())
    torch.manual_seed(0)
    bounded = MLPGenerator(4, (1, 8, 8), hidden=(16,), out_activation="tanh")
    torch.manual_seed(0)
    unbounded = MLPGenerator(4, (1, 8, 8), hidden=(16,))
    y = bounded(z)
    assert y.min().item() >= -1.0 and y.max().item() <= 1.0
    raw = unbounded(z)
    assert raw.abs().max().item() > 1.0  # same weights without tanh leave the range
    assert torch.allclose(y, torch.tanh(raw))


# ---------------------------------------------------------------------------
# MLPDiscriminator
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("in_shape", [(1,), (1, 8, 8)])
def test_discriminator_returns_one_logit_per_sample(in_shape):
    d = MLPDiscriminator(in_shape, hidden=(16,))
    out = d(torch.randn(7, *in_shape, generator=gen()))
    assert out.shape == (7, 1)


def test_minibatch_std_adds_one_input_feature():
    plain = MLPDiscriminator((1, 8, 8), hidden=(16,))
    mbs = MLPDiscriminator((1, 8, 8), hidden=(16,), minibatch_std=True)
    assert plain.net[0].in_features == 64
    assert mbs.net[0].in_features == 65
    assert mbs(torch.randn(6, 1, 8, 8, generator=gen())).shape == (6, 1)


def test_minibatch_std_feature_is_mean_per_feature_std():
    d = MLPDiscriminator((3,), hidden=(4,), minibatch_std=True)
    seen = {}
    d.net[0].register_forward_pre_hook(lambda mod, args: seen.setdefault("h", args[0].detach().clone()))
    x = torch.randn(10, 3, generator=gen(2))
    d(x)
    expected = x.std(dim=0, unbiased=False).mean()
    h = seen["h"]
    assert h.shape == (10, 4)
    assert torch.equal(h[:, :3], x)
    assert torch.allclose(h[:, 3], expected.expand(10))


def test_minibatch_std_logit_depends_on_batch_companions():
    torch.manual_seed(0)
    d = MLPDiscriminator((2,), hidden=(16,), minibatch_std=True)
    sample = torch.tensor([[0.5, -0.3]])
    calm = torch.zeros(7, 2)  # companions with no spread
    wild = 5 * torch.randn(7, 2, generator=gen(3))  # companions with a lot
    a = d(torch.cat([sample, calm]))[0]
    b = d(torch.cat([sample, wild]))[0]
    assert (a - b).abs().item() > 1e-3


def test_without_minibatch_std_logit_ignores_companions():
    torch.manual_seed(0)
    d = MLPDiscriminator((2,), hidden=(16,), minibatch_std=False)
    sample = torch.tensor([[0.5, -0.3]])
    a = d(torch.cat([sample, torch.zeros(7, 2)]))[0]
    b = d(torch.cat([sample, 5 * torch.randn(7, 2, generator=gen(3))]))[0]
    alone = d(sample)[0]
    assert torch.allclose(a, b, atol=1e-6)
    assert torch.allclose(a, alone, atol=1e-6)


# ---------------------------------------------------------------------------
# batch_moments
# ---------------------------------------------------------------------------
def test_batch_moments_known_values():
    # group 1: symmetric two-point set -> mean 0, std 1, skew 0, excess kurtosis 1 - 3 = -2
    # group 2: Bernoulli(1/4) scaled by 3 -> mean 0.75, std 3*sqrt(3/16),
    #          skew (1-2p)/sqrt(p(1-p)) = 2/sqrt(3), excess kurtosis (1-6p(1-p))/(p(1-p)) = -2/3
    x = torch.tensor([-1.0, 1.0, -1.0, 1.0, 0.0, 0.0, 0.0, 3.0], dtype=torch.float64).reshape(8, 1)
    m = batch_moments(x, group_size=4)
    assert m.shape == (2, 4)
    expected = torch.tensor(
        [
            [0.0, 1.0, 0.0, -2.0],
            [0.75, 3 * math.sqrt(3 / 16), 2 / math.sqrt(3), -2 / 3],
        ],
        dtype=torch.float64,
    )
    assert torch.allclose(m, expected, atol=1e-6)


def test_batch_moments_are_shift_and_scale_aware():
    x = torch.randn(200, 1, generator=gen(4), dtype=torch.float64)
    a = batch_moments(x, 100)
    b = batch_moments(3 * x + 2, 100)
    assert torch.allclose(b[:, 0], 3 * a[:, 0] + 2)  # mean shifts and scales
    assert torch.allclose(b[:, 1], 3 * a[:, 1])  # std scales
    assert torch.allclose(b[:, 2:], a[:, 2:], atol=1e-8)  # skew/kurtosis invariant
    c = batch_moments(-x, 100)
    assert torch.allclose(c[:, 2], -a[:, 2])  # mirroring flips the skew


def test_batch_moments_of_large_normal_sample():
    x = torch.randn(100_000, 1, generator=gen(5), dtype=torch.float64)
    m = batch_moments(x, 100_000)[0]
    assert m[0].abs().item() < 0.02
    assert abs(m[1].item() - 1) < 0.02
    assert m[2].abs().item() < 0.05
    assert m[3].abs().item() < 0.1


def test_batch_moments_constant_group_is_finite():
    m = batch_moments(torch.full((10, 1), 2.0), 5)
    assert torch.isfinite(m).all()
    assert torch.allclose(m[:, 0], torch.tensor(2.0))
    assert (m[:, 1] < 1e-3).all()


@pytest.mark.parametrize("n, group", [(600, 100), (50, 50), (12, 3)])
def test_batch_moments_shape(n, group):
    assert batch_moments(torch.randn(n, 1, generator=gen()), group).shape == (n // group, 4)


@pytest.mark.parametrize("n, group", [(150, 100), (7, 2)])
def test_batch_moments_rejects_incomplete_groups(n, group):
    with pytest.raises(ValueError, match="groups"):
        batch_moments(torch.randn(n, 1, generator=gen()), group)


# ---------------------------------------------------------------------------
# BatchStatsDiscriminator
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 3])
def test_batch_stats_discriminator_one_logit_per_group(k):
    d = BatchStatsDiscriminator(group_size=50, hidden=(8,))
    assert d(torch.randn(k * 50, 1, generator=gen())).shape == (k, 1)


def test_batch_stats_discriminator_groups_are_independent_and_order_free():
    d = BatchStatsDiscriminator(group_size=50, hidden=(8,))
    x = torch.randn(100, 1, generator=gen(6))
    out = d(x)
    # shuffling inside a group does not change its verdict
    perm = torch.cat([torch.randperm(50, generator=gen(7)), 50 + torch.randperm(50, generator=gen(8))])
    assert torch.allclose(d(x[perm]), out, atol=1e-5)
    # changing the second group leaves the first group's logit alone
    y = x.clone()
    y[50:] = 10 + 3 * y[50:]
    out_y = d(y)
    assert torch.allclose(out_y[0], out[0], atol=1e-6)
    assert (out_y[1] - out[1]).abs().item() > 1e-4


def test_batch_stats_discriminator_rejects_wrong_batch_size():
    d = BatchStatsDiscriminator(group_size=50)
    with pytest.raises(ValueError):
        d(torch.randn(70, 1))
