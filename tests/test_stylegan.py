"""Tests for modules.networks.stylegan on untrained generators: the structural properties
the style-based generator lesson relies on (truncation, style mixing, noise, the
running average of w, mixing regularisation), shapes, gradients, determinism."""

from __future__ import annotations

import copy

import pytest
import torch

from modules.networks.dcgan import dcgan_init
from modules.networks.stylegan import EqualizedLinear, MappingNetwork, StyledConv, StyleGenerator, pixel_norm

Z = 16


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


pytestmark = pytest.mark.usefixtures("one_thread")  # small networks: one CPU thread, as the trainer runs them


def small(size: int = 16, channels: int = 1, **kwargs) -> StyleGenerator:
    kwargs.setdefault("width", 16)
    return StyleGenerator(z_dim=Z, w_dim=Z, image_size=size, channels=channels, mapping_layers=2, **kwargs)


def warm_w_avg(g: StyleGenerator, batches: int = 3) -> None:
    """Give w_avg a realistic value (a few training-mode forwards), then eval mode."""
    g.train()
    with torch.no_grad():
        for _ in range(batches):
            g(torch.randn(64, Z))
    g.eval()


def set_noise_strength(g: StyleGenerator, value: float) -> None:
    with torch.no_grad():
        for layer in g.layers:
            layer.noise_strength.fill_(value)


# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------
def test_pixel_norm_gives_unit_rms():
    z = torch.randn(5, 7) * 3
    assert torch.allclose(pixel_norm(z).pow(2).mean(dim=1), torch.ones(5), atol=1e-5)


def test_equalized_linear_scales_weights_and_learning_rate():
    torch.manual_seed(1)
    layer = EqualizedLinear(400, 300, lr_multiplier=0.1, gain=1.0)
    effective = layer.weight * layer.weight_scale
    assert abs(effective.std().item() - 1 / 20) < 0.002  # starts like N(0, 1 / fan_in)
    assert abs(layer.weight.std().item() - 10) < 0.2  # stored 1 / lr_multiplier times larger
    x = torch.randn(8, 400)
    assert torch.allclose(layer(x), x @ effective.T + layer.bias * 0.1)
    # the stored weights' gradient is the ordinary one times weight_scale; Adam moves each
    # stored weight by about lr, so the weights in use move by about lr * weight_scale
    plain = torch.nn.Linear(400, 300)
    with torch.no_grad():
        plain.weight.copy_(effective)
        plain.bias.zero_()
    layer(x).sum().backward()
    plain(x).sum().backward()
    assert torch.allclose(layer.weight.grad, plain.weight.grad * layer.weight_scale, rtol=1e-4, atol=1e-7)
    assert torch.allclose(layer.bias.grad, plain.bias.grad * 0.1)
    before = layer.weight.clone()
    layer.apply(dcgan_init)  # not an nn.Linear: the DCGAN initialisation leaves it alone
    assert torch.equal(layer.weight, before)
    with pytest.raises(ValueError, match="lr_multiplier"):
        EqualizedLinear(2, 2, lr_multiplier=0)


def test_mapping_network_keeps_the_scale_of_z():
    f = MappingNetwork(z_dim=32, w_dim=24, layers=4)
    w = f(torch.randn(256, 32))
    assert w.shape == (256, 24)
    assert 0.3 < w.pow(2).mean().sqrt() < 3  # He initialisation: w neither vanishes nor explodes
    z = torch.randn(3, 32)
    assert torch.equal(f(z.view(3, 32, 1, 1)), f(z))  # (N, z_dim, 1, 1) latents work too
    assert torch.allclose(f(5 * z), f(z), atol=1e-5)  # pixel norm: only the direction of z counts


def test_styled_conv_shapes_noise_and_style():
    layer = StyledConv(4, 6, w_dim=8, upsample=True)
    x, w = torch.randn(2, 4, 5, 5), torch.randn(2, 8)
    assert layer(x, w).shape == (2, 6, 10, 10)
    assert torch.equal(layer.noise_strength, torch.zeros(6))  # noise starts switched off
    noise = torch.randn(1, 1, 10, 10)
    assert torch.equal(layer(x, w, noise), layer(x, w, torch.randn(2, 1, 10, 10)))
    with torch.no_grad():
        layer.noise_strength.fill_(0.5)
    assert not torch.equal(layer(x, w, noise), layer(x, w, torch.randn(1, 1, 10, 10)))
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(layer(x, w, generator=g1), layer(x, w, generator=g2))  # fresh noise, seeded
    assert not torch.allclose(layer(x, w, noise), layer(x, torch.randn(2, 8), noise))  # the style matters
    # AdaIN: with scale 1 and bias 0 each (image, channel) is normalised
    with torch.no_grad():
        layer.style.weight.zero_()
    out = layer(x, w, noise)
    assert torch.allclose(out.mean(dim=(2, 3)), torch.zeros(2, 6), atol=1e-4)
    assert torch.allclose(out.std(dim=(2, 3), unbiased=False), torch.ones(2, 6), atol=1e-2)
    with pytest.raises(ValueError, match="noise for a 10x10 layer"):
        layer(x, w, torch.randn(2, 1, 5, 5))


# ---------------------------------------------------------------------------
# shapes, validation, size
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [16, 32])
def test_output_shape_and_range(size, channels):
    g = small(size, channels)
    assert g.num_ws == 2 * (size.bit_length() - 2)
    assert g.layer_resolutions() == [r for r in (4, 8, 16, 32) if r <= size for _ in range(2)]
    for mode in (True, False):
        g.train(mode)
        out = g(torch.randn(3, Z))
        assert out.shape == (3, channels, size, size)
        assert out.abs().max() <= 1 and out.std() > 0


@pytest.mark.parametrize("size", [30, 4, 2, 48])
def test_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match=f"power-of-two image size of at least 8.*got {size}"):
        StyleGenerator(image_size=size)


def test_default_generator_is_small():
    g = StyleGenerator()  # the docs size: z, w 64, 32x32, grey, width 64
    n = sum(p.numel() for p in g.parameters())
    assert n < 1_000_000, n
    assert g.num_ws == 8 and g.layer_resolutions() == [4, 4, 8, 8, 16, 16, 32, 32]


def test_backward_reaches_the_first_mapping_layer():
    g = small()
    g.train()
    g(torch.randn(8, Z)).square().mean().backward()
    first = g.mapping_network.net[0]
    assert first.weight.grad is not None and first.weight.grad.abs().sum() > 0
    assert g.const.grad.abs().sum() > 0
    # the noise strengths start at 0 but still receive gradients, so they can grow
    assert all(layer.noise_strength.grad.abs().sum() > 0 for layer in g.layers)


def test_determinism_under_manual_seed():
    outs = []
    for _ in range(2):
        torch.manual_seed(7)
        g = small()
        g.train()
        z = torch.randn(4, Z)
        outs.append(torch.stack([g(z) for _ in range(3)]))  # mixing and noise draws included
    assert torch.equal(outs[0], outs[1])


# ---------------------------------------------------------------------------
# truncation
# ---------------------------------------------------------------------------
def test_truncation_to_zero_gives_one_image():
    g = small()
    warm_w_avg(g)
    set_noise_strength(g, 0.05)  # noise on, but held fixed
    noise = g.make_noise(1, torch.Generator().manual_seed(1))
    z = torch.randn(6, Z)
    at_zero = g.generate(z, psi=0.0, noise=noise)
    assert torch.allclose(at_zero, at_zero[:1].expand_as(at_zero), atol=1e-6)
    at_one = g.generate(z, psi=1.0, noise=noise)
    assert (at_one - at_one[:1]).abs().amax(dim=(1, 2, 3))[1:].min() > 1e-2


def test_truncation_shrinks_the_spread_monotonically():
    g = small(32)
    warm_w_avg(g)
    z = torch.randn(64, Z)
    spreads = [g.generate(z, psi).std(dim=0).mean().item() for psi in (1.0, 0.7, 0.4, 0.0)]
    assert all(a > b for a, b in zip(spreads, spreads[1:])), spreads
    assert spreads[-1] < 1e-6 < spreads[0]


def test_truncate_formula_and_validation():
    g = small()
    with torch.no_grad():
        g.w_avg.normal_()
    w = torch.randn(3, Z)
    assert torch.allclose(g.truncate(w, 0.5), g.w_avg + 0.5 * (w - g.w_avg))
    assert torch.equal(g.truncate(w, 1.0), w)
    assert g.truncate(torch.randn(3, g.num_ws, Z), 1.5).shape == (3, g.num_ws, Z)  # extrapolation is allowed
    for psi in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite"):
            g.truncate(w, psi)


# ---------------------------------------------------------------------------
# style mixing
# ---------------------------------------------------------------------------
def test_mixing_identical_sources_changes_nothing():
    g = small()
    set_noise_strength(g, 0.05)
    z = torch.randn(4, Z)
    noise = g.make_noise(4, torch.Generator().manual_seed(2))
    plain = g.generate(z, noise=noise)
    for crossover in range(g.num_ws + 1):
        assert torch.equal(g.mix(z, z.clone(), crossover, noise=noise), plain)


def test_mix_crossover_ends_give_either_source():
    g = small()
    warm_w_avg(g)
    zc, zf = torch.randn(4, Z), torch.randn(4, Z)
    assert torch.equal(g.mix(zc, zf, g.num_ws), g.generate(zc))
    assert torch.equal(g.mix(zc, zf, 0), g.generate(zf))
    middle = g.mix(zc, zf, g.num_ws // 2)
    assert not torch.allclose(middle, g.generate(zc)) and not torch.allclose(middle, g.generate(zf))
    for bad in (-1, g.num_ws + 1, 1.5):
        with pytest.raises(ValueError, match="crossover"):
            g.mix(zc, zf, bad)
    # one coarse latent against four fine ones: a row of the mixing grid
    row = g.mix(zc[:1], zf, 3)
    assert row.shape == (4, 1, 16, 16)
    assert torch.allclose(row[2], g.mix(zc[:1], zf[2:3], 3)[0], atol=1e-4)
    with pytest.raises(ValueError, match="as many latents"):
        g.mix(zc[:2], zf, 3)


def test_generate_matches_eval_forward_and_leaves_state_alone():
    g = small()
    warm_w_avg(g)
    before = copy.deepcopy(g.state_dict())
    z = torch.randn(5, Z)
    assert torch.equal(g.generate(z), g(z))
    g.train()
    g.generate(z)
    g.mix(z, z, 1)
    assert all(torch.equal(before[k], v) for k, v in g.state_dict().items())


# ---------------------------------------------------------------------------
# noise
# ---------------------------------------------------------------------------
def test_same_w_different_noise_changes_details_only():
    g = small(32)
    z, other_z = torch.randn(8, Z), torch.randn(8, Z)
    n1, n2 = (g.make_noise(8, torch.Generator().manual_seed(s)) for s in (1, 2))
    assert torch.equal(g.generate(z, noise=n1), g.generate(z, noise=n2))  # strength 0 at the start
    set_noise_strength(g, 0.01)  # a small learned strength, as training finds
    a, b, c = g.generate(z, noise=n1), g.generate(z, noise=n2), g.generate(other_z, noise=n1)
    noise_change = ((a - b).norm() / a.norm()).item()
    latent_change = ((a - c).norm() / a.norm()).item()
    assert 0 < noise_change < 0.3 * latent_change, (noise_change, latent_change)


def test_noise_maps_and_fixed_noise():
    g = small(16)
    maps = g.make_noise(3)
    assert [tuple(m.shape) for m in maps] == [(3, 1, r, r) for r in g.layer_resolutions()]
    assert all(torch.equal(a, b) for a, b in zip(g.fixed_noise(), g.fixed_noise()))
    with pytest.raises(ValueError, match="one map per layer"):
        g.synthesis(torch.randn(2, g.num_ws, Z), maps[:-1])
    with pytest.raises(ValueError, match="ws must have shape"):
        g.synthesis(torch.randn(2, Z))


# ---------------------------------------------------------------------------
# training-mode behaviour: w_avg and mixing regularisation
# ---------------------------------------------------------------------------
def test_w_avg_moves_in_training_mode_only():
    g = small()
    assert torch.equal(g.w_avg, torch.zeros(Z))
    g.eval()
    g(torch.randn(8, Z))
    assert torch.equal(g.w_avg, torch.zeros(Z))
    g.train()
    z = torch.randn(8, Z)
    g(z)
    first = g.w_avg.clone()
    assert torch.allclose(first, g.mapping(z).mean(dim=0))  # the first update copies the batch mean
    z2 = torch.randn(8, Z)
    g(z2)
    assert torch.allclose(g.w_avg, 0.995 * first + 0.005 * g.mapping(z2).mean(dim=0), atol=1e-6)
    g.eval()
    frozen = g.w_avg.clone()
    g(torch.randn(8, Z))
    assert torch.equal(g.w_avg, frozen)


def record_ws(g: StyleGenerator, monkeypatch) -> list[torch.Tensor]:
    seen: list[torch.Tensor] = []
    original = g.synthesis

    def spy(ws, noise=None, generator=None):
        seen.append(ws.detach().clone())
        return original(ws, noise, generator)

    monkeypatch.setattr(g, "synthesis", spy)
    return seen


def test_mixing_regularisation_mixes_in_training_mode(monkeypatch):
    g = small(32, mixing_prob=1.0)
    seen = record_ws(g, monkeypatch)
    g.train()
    z = torch.randn(4, Z)
    crossovers = set()
    for _ in range(20):
        g(z)
        ws = seen[-1]
        w = g.mapping(z)
        same = [torch.allclose(ws[:, i], w) for i in range(g.num_ws)]
        k = same.index(False)  # styles 0..k-1 from z, the rest from another latent
        assert 1 <= k <= g.num_ws - 1 and not any(same[k:])
        assert all(torch.equal(ws[:, i], ws[:, k]) for i in range(k, g.num_ws))
        crossovers.add(k)
    assert len(crossovers) > 2  # the crossover point is drawn anew


def test_mixing_never_happens_in_eval_mode_or_with_probability_zero(monkeypatch):
    for prob, training in ((1.0, False), (0.0, True)):
        g = small(mixing_prob=prob)
        seen = record_ws(g, monkeypatch)
        g.train(training)
        for _ in range(5):
            g(torch.randn(3, Z))
        assert all(torch.equal(ws, ws[:, :1].expand_as(ws)) for ws in seen)


def test_mixing_probability_is_respected(monkeypatch):
    g = small(mixing_prob=0.5)
    seen = record_ws(g, monkeypatch)
    g.train()
    with torch.no_grad():
        for _ in range(60):
            g(torch.randn(2, Z))
    mixed = sum(not torch.equal(ws, ws[:, :1].expand_as(ws)) for ws in seen)
    assert 15 < mixed < 45


def test_random_state_travels_with_the_state_dict():
    g = small()
    g.train()
    z = torch.randn(3, Z)
    g(z)
    clone = small(seed=123)
    clone.load_state_dict(copy.deepcopy(g.state_dict()))
    clone.train()
    assert torch.equal(g(z), clone(z))  # same mixing draws and the same noise
