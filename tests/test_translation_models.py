"""Tests for modules.networks.translation: the U-Net generator, the PatchGAN
discriminator and its receptive field, CycleGAN's image history and the
initialisation."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from modules.networks.dcgan import dcgan_init
from modules.game.games import ImageHistory
from modules.networks.translation import PatchDiscriminator, UNetGenerator, init_weights, receptive_field


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


pytestmark = pytest.mark.usefixtures("one_thread")  # small networks: one CPU thread, as the trainer runs them


def unet(size: int, in_ch: int = 1, out_ch: int = 1, **kwargs) -> UNetGenerator:
    return UNetGenerator(in_ch, out_ch, size, width=kwargs.pop("width", 8), **kwargs)


# ---------------------------------------------------------------------------
# U-Net
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [16, 32, 64])
def test_unet_output_shape_and_range(size):
    g = unet(size, in_ch=1, out_ch=3)
    x = torch.rand(2, 1, size, size) * 2 - 1
    out = g(torch.empty(2, 0), x)  # the trainer's call: (noise, input)
    assert out.shape == (2, 3, size, size)
    assert out.abs().max() <= 1 and out.std() > 0
    assert g.depth == size.bit_length() - 1  # down to a 1x1 bottleneck
    g.eval()
    assert torch.equal(g(x), g(torch.empty(2, 0), x))  # G(x) works too, noise ignored


def test_unet_smaller_depth_stops_at_larger_bottleneck():
    g = unet(32, depth=3)
    shapes = []
    hooks = [down.register_forward_hook(lambda m, a, out: shapes.append(tuple(out.shape[-2:]))) for down in g.down]
    assert g(torch.randn(2, 1, 32, 32)).shape == (2, 1, 32, 32)
    for hook in hooks:
        hook.remove()
    assert shapes == [(16, 16), (8, 8), (4, 4)]


def test_unet_channels_double_and_cap_at_eight_widths():
    g = UNetGenerator(1, 1, 64, width=4)  # depth 6
    convs = [down[0] for down in g.down]
    assert [c.out_channels for c in convs] == [4, 8, 16, 32, 32, 32]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.down[0])  # no BN on the input layer
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.down[-1])  # nor on the 1x1 bottleneck
    dropouts = [j for j, up in enumerate(g.up) if any(isinstance(m, nn.Dropout) for m in up)]
    assert dropouts == [0, 1, 2]  # the innermost three decoder layers
    assert isinstance(g.up[-1][-1], nn.Tanh)


def test_unet_skip_connections_carry_the_input_past_the_bottleneck():
    g = unet(32).eval()
    # each decoder layer after the first sees [decoder output, encoder map]: twice the channels
    for j, up in enumerate(g.up[1:], start=1):
        encoder = g.down[g.depth - 1 - j][0]
        assert up[0].in_channels == 2 * encoder.out_channels
    # cut the bottleneck: the output must still depend on the input, through the skips
    hook = g.down[-1].register_forward_hook(lambda m, a, out: torch.zeros_like(out))
    try:
        x1, x2 = torch.randn(1, 1, 32, 32), torch.randn(1, 1, 32, 32)
        y1, y2 = g(x1), g(x2)
        assert not torch.allclose(y1, y2)
        x = x1.clone().requires_grad_(True)
        g(x).sum().backward()
        assert x.grad.abs().sum() > 0
    finally:
        hook.remove()


@pytest.mark.parametrize("size", [30, 2, 0, 48, 32.0])
def test_unet_rejects_bad_sizes_in_one_sentence(size):
    with pytest.raises(ValueError, match=f"U-Net needs a power-of-two image size of at least 4.*got {size}") as info:
        UNetGenerator(1, 1, size)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("depth", [1, 6, 0])
def test_unet_rejects_bad_depth(depth):
    with pytest.raises(ValueError, match="depth must be an integer from 2 to 5 for 32x32 images"):
        UNetGenerator(1, 1, 32, depth=depth)


def test_unet_rejects_input_of_the_wrong_size():
    g = unet(32)
    with pytest.raises(ValueError, match=r"images of shape \(N, 1, 32, 32\), got \(2, 1, 16, 16\)"):
        g(torch.randn(2, 1, 16, 16))
    with pytest.raises(ValueError, match="got"):
        g(torch.randn(2, 3, 32, 32))


def test_unet_trains_with_a_batch_of_one():
    g = unet(32)  # pix2pix uses batch size 1: the 1x1 bottleneck must not be BatchNorm'ed
    g(torch.randn(1, 1, 32, 32)).mean().backward()
    assert all(p.grad is not None for p in g.parameters())


# ---------------------------------------------------------------------------
# PatchGAN
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("n_layers, expected", [(1, 16), (2, 34), (3, 70), (4, 142)])
def test_receptive_field_values(n_layers, expected):
    assert receptive_field(n_layers) == expected
    assert PatchDiscriminator(1, width=4, n_layers=n_layers).patch_size == expected


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_receptive_field_matches_the_network(n_layers):
    """The input pixels that one central logit depends on form a square of the computed side."""
    d = PatchDiscriminator(1, width=4, n_layers=n_layers, norm="none")
    size = 96
    x = torch.randn(1, 1, size, size, requires_grad=True)
    out = d(x)
    c = out.shape[-1] // 2
    out[0, 0, c, c].backward()
    rows = x.grad[0, 0].abs().sum(dim=1).nonzero().flatten()
    cols = x.grad[0, 0].abs().sum(dim=0).nonzero().flatten()
    assert 0 < rows[0] and rows[-1] < size - 1  # not clipped by the border
    assert rows[-1] - rows[0] + 1 == receptive_field(n_layers)
    assert cols[-1] - cols[0] + 1 == receptive_field(n_layers)


@pytest.mark.parametrize("n_layers, side", [(2, 6), (3, 2)])
def test_patch_discriminator_output_shape(n_layers, side):
    d = PatchDiscriminator(1, width=8, n_layers=n_layers)
    out = d(torch.randn(4, 1, 32, 32))
    assert out.shape == (4, 1, side, side)
    assert d.output_size(32) == side


def test_patch_discriminator_judges_pairs_when_given_the_condition():
    d = PatchDiscriminator(in_channels=1 + 3, width=8)  # pix2pix: input (1 channel) + output (3)
    assert d.net[0].in_channels == 4
    x, cond = torch.randn(2, 3, 32, 32), torch.randn(2, 1, 32, 32)
    assert d(x, cond).shape == (2, 1, 2, 2)
    d.eval()
    assert not torch.allclose(d(x, cond), d(x, torch.randn(2, 1, 32, 32)))  # the condition matters
    with pytest.raises(ValueError, match=r"expects \(N, 4, H, W\).*D\(output, input\)"):
        d(x)  # forgot the condition


def test_patch_discriminator_norms_and_errors():
    assert any(isinstance(m, nn.InstanceNorm2d) for m in PatchDiscriminator(3, width=4, norm="instance").modules())
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) for m in PatchDiscriminator(3, width=4, norm="none").modules())
    with pytest.raises(ValueError, match="norm must be one of"):
        PatchDiscriminator(3, norm="group")
    with pytest.raises(ValueError, match="n_layers"):
        PatchDiscriminator(3, n_layers=0)
    with pytest.raises(ValueError, match="at least 24 pixels"):
        PatchDiscriminator(1, width=4, n_layers=3)(torch.randn(2, 1, 16, 16))


def test_unet_and_patchgan_train_together():
    g, d = unet(32), PatchDiscriminator(2, width=8)
    x = torch.randn(3, 1, 32, 32)
    d(g(x), x).mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in g.parameters())


# ---------------------------------------------------------------------------
# Image history
# ---------------------------------------------------------------------------
def batches(count: int, n: int = 4) -> list[torch.Tensor]:
    # image k of the stream is filled with the number k, so every image is recognisable
    return [torch.arange(i * n, (i + 1) * n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2).clone() for i in range(count)]


def ids(images: torch.Tensor) -> list[int]:
    return [int(v) for v in images[:, 0, 0, 0]]


def test_history_fills_then_mixes():
    history = ImageHistory(capacity=8, seed=0)
    stream = batches(20)
    for b in stream[:2]:  # the first 8 images fill the buffer and come back unchanged
        assert torch.equal(history.query(b), b)
    assert len(history) == 8
    old = new = 0
    for i, b in enumerate(stream[2:], start=2):
        out = history.query(b)
        assert out.shape == b.shape
        for k, got in enumerate(ids(out)):
            expected = i * 4 + k
            assert got <= expected  # either the new image or an older one
            old, new = old + (got < expected), new + (got == expected)
    assert old > 10 and new > 10  # about half and half (72 images)
    assert len(history) == 8


def test_history_is_deterministic_and_detached():
    a, b, c = ImageHistory(4, seed=1), ImageHistory(4, seed=1), ImageHistory(4, seed=2)
    outs = {name: [] for name in "abc"}
    for batch in batches(10):
        x = batch.requires_grad_(True) * 1.0
        for name, h in zip("abc", (a, b, c)):
            out = h.query(x)
            assert not out.requires_grad
            outs[name].append(ids(out))
    assert outs["a"] == outs["b"]
    assert outs["a"] != outs["c"]


def test_history_state_dict_round_trip():
    h = ImageHistory(6, seed=3)
    stream = batches(12, n=3)
    for b in stream[:5]:
        h.query(b)
    state = copy.deepcopy(h.state_dict())
    assert state["images"].shape == (6, 1, 2, 2)
    expected = [ids(h.query(b)) for b in stream[5:]]
    restored = ImageHistory(6, seed=99)
    restored.load_state_dict(state)
    assert [ids(restored.query(b)) for b in stream[5:]] == expected
    empty = ImageHistory(6)
    fresh = ImageHistory(6)
    fresh.load_state_dict(empty.state_dict())
    assert len(fresh) == 0
    with pytest.raises(ValueError, match="capacity"):
        ImageHistory(5).load_state_dict(state)


def test_history_of_capacity_zero_passes_through_and_bad_capacity_is_refused():
    b = batches(1)[0]
    assert torch.equal(ImageHistory(0).query(b), b)
    with pytest.raises(ValueError, match="capacity"):
        ImageHistory(-1)
    h = ImageHistory(4)
    h.query(torch.zeros(2, 1, 2, 2))
    with pytest.raises(ValueError, match="shape"):
        h.query(torch.zeros(2, 3, 2, 2))


# ---------------------------------------------------------------------------
# Initialisation
# ---------------------------------------------------------------------------
def test_init_weights_matches_dcgan_init_and_covers_instance_norm():
    g1, g2 = unet(32), unet(32)
    torch.manual_seed(5)
    g1.apply(init_weights)
    torch.manual_seed(5)
    g2.apply(dcgan_init)
    assert all(torch.equal(p, q) for p, q in zip(g1.parameters(), g2.parameters()))
    conv = g1.down[1][0].weight
    assert abs(conv.std().item() - 0.02) < 0.003 and abs(conv.mean().item()) < 0.003
    norm = nn.InstanceNorm2d(8, affine=True)
    nn.init.zeros_(norm.weight)
    init_weights(norm)
    assert abs(norm.weight.mean().item() - 1.0) < 0.05 and torch.equal(norm.bias, torch.zeros(8))
