"""Tests for the convolutional part of modules.networks.dcgan: DCGAN generator and
discriminator (plain and conditional), the DCGAN initialisation, the digit
classifier and the per-layer shape table."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from modules.networks.dcgan import DCGANDiscriminator, DCGANGenerator, check_image_size, dcgan_init, layer_shapes
from modules.networks.classifier import DigitClassifier

SIZES = [8, 16, 32, 64]
UPSAMPLE = ["transposed", "resize"]
CONVS = (nn.Conv2d, nn.ConvTranspose2d)
POOLING = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.LPPool2d)
ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.ELU, nn.GELU, nn.SiLU, nn.PReLU)
LATENT = 16


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def leaves(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if not list(m.children())]


def small_generator(size: int, upsample: str = "transposed", channels: int = 1, num_classes: int = 0) -> DCGANGenerator:
    return DCGANGenerator(latent_dim=LATENT, image_size=size, channels=channels, width=8, upsample=upsample, num_classes=num_classes)


def small_discriminator(size: int, channels: int = 1, num_classes: int = 0) -> DCGANDiscriminator:
    return DCGANDiscriminator(image_size=size, channels=channels, width=8, num_classes=num_classes)


# ---------------------------------------------------------------------------
# check_image_size
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [8, 16, 32, 64, 128, 256, 512, 1024])
def test_check_image_size_accepts_powers_of_two(size):
    assert check_image_size(size) == int(math.log2(size)) - 2  # doublings after the 4x4 map


@pytest.mark.parametrize("size", [0, 7, 12, 48, 2048, 32.0, -8, 4, 2, 1, 1000, "32", None])
def test_check_image_size_rejects_others(size):
    with pytest.raises(ValueError, match="power of two") as excinfo:
        check_image_size(size)
    assert "\n" not in str(excinfo.value)


@pytest.mark.parametrize("size", [12, 48])
def test_models_reject_bad_sizes(size):
    with pytest.raises(ValueError, match="power of two"):
        DCGANGenerator(image_size=size)
    with pytest.raises(ValueError, match="power of two"):
        DCGANDiscriminator(image_size=size)


def test_generator_rejects_unknown_upsampling():
    with pytest.raises(ValueError, match="upsample"):
        DCGANGenerator(image_size=32, upsample="bicubic")


# ---------------------------------------------------------------------------
# shapes and ranges
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("upsample", UPSAMPLE)
@pytest.mark.parametrize("size", SIZES)
def test_generator_output_shape_and_range(size, upsample, channels):
    g = small_generator(size, upsample, channels)
    out = g(torch.randn(3, LATENT))
    assert out.shape == (3, channels, size, size)
    assert out.abs().max() <= 1  # tanh
    assert out.std() > 0
    # a latent given as (N, latent, 1, 1) works too
    g.eval()
    z = torch.randn(2, LATENT)
    assert torch.allclose(g(z), g(z.view(2, LATENT, 1, 1)))


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", SIZES)
def test_discriminator_gives_one_logit_per_image(size, channels):
    d = small_discriminator(size, channels)
    logits = d(torch.rand(5, channels, size, size) * 2 - 1)
    assert logits.shape == (5,)
    assert torch.isfinite(logits).all()
    d.eval()
    assert d(torch.zeros(1, channels, size, size)).shape == (1,)


@pytest.mark.parametrize("upsample", UPSAMPLE)
@pytest.mark.parametrize("size", [8, 32])
def test_generator_feeds_discriminator_and_gradients_flow(size, upsample):
    g, d = small_generator(size, upsample), small_discriminator(size)
    logits = d(g(torch.randn(4, LATENT)))
    assert logits.shape == (4,)
    logits.mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in g.parameters())


def test_default_generator_matches_documented_layout():
    g = DCGANGenerator()  # latent 100, 64x64, grey, width 64
    assert (g.latent_dim, g.image_size, g.channels, g.num_classes) == (100, 64, 1, 0)
    first = g.net[0]
    assert isinstance(first, nn.ConvTranspose2d) and (first.in_channels, first.out_channels) == (100, 512)
    rows = layer_shapes(DCGANGenerator(image_size=32), torch.randn(2, 100))
    conv_shapes = [shape for _, kind, shape in rows if kind == "ConvTranspose2d"]
    assert conv_shapes == [(2, 256, 4, 4), (2, 128, 8, 8), (2, 64, 16, 16), (2, 1, 32, 32)]  # docstring table
    rows = layer_shapes(DCGANDiscriminator(image_size=32), torch.randn(2, 1, 32, 32))
    conv_shapes = [shape for _, kind, shape in rows if kind == "Conv2d"]
    assert conv_shapes == [(2, 64, 16, 16), (2, 128, 8, 8), (2, 256, 4, 4), (2, 1, 1, 1)]


# ---------------------------------------------------------------------------
# conditional variants
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("upsample", UPSAMPLE)
@pytest.mark.parametrize("size", [8, 32])
def test_conditional_models_take_labels(size, upsample):
    g = small_generator(size, upsample, num_classes=10)
    d = small_discriminator(size, num_classes=10)
    labels = torch.tensor([0, 3, 9, 3])
    images = g(torch.randn(4, LATENT), labels)
    assert images.shape == (4, 1, size, size)
    assert images.abs().max() <= 1
    assert d(images, labels).shape == (4,)
    assert isinstance(g.embed, nn.Embedding) and g.embed.num_embeddings == 10
    assert d.net[0].in_channels == 2  # image + label map


@pytest.mark.parametrize("size", [8, 32])
def test_conditional_models_without_labels_raise(size):
    g = small_generator(size, num_classes=10)
    d = small_discriminator(size, num_classes=10)
    with pytest.raises(ValueError, match="conditional"):
        g(torch.randn(2, LATENT))
    with pytest.raises(ValueError, match="conditional"):
        d(torch.zeros(2, 1, size, size))


@pytest.mark.parametrize("upsample", UPSAMPLE)
def test_same_noise_different_labels_give_different_images(upsample):
    g = small_generator(16, upsample, num_classes=10).eval()
    z = torch.randn(1, LATENT).expand(10, LATENT)
    with torch.no_grad():
        images = g(z, torch.arange(10))
        again = g(z, torch.arange(10))
    assert torch.equal(images, again)  # deterministic in eval mode
    flat = images.flatten(1)
    distances = torch.cdist(flat, flat)
    off_diagonal = distances[~torch.eye(10, dtype=torch.bool)]
    assert off_diagonal.min() > 1e-3  # all ten label images differ
    # and the same label with the same noise gives the same image
    assert torch.allclose(g(z[:2], torch.tensor([4, 4]))[0], images[4], atol=1e-6)


def test_conditional_discriminator_depends_on_the_label():
    d = small_discriminator(16, num_classes=10).eval()
    x = torch.rand(1, 1, 16, 16).expand(10, 1, 16, 16)
    with torch.no_grad():
        logits = d(x, torch.arange(10))
    assert logits.shape == (10,)
    assert len(set(logits.tolist())) == 10


# ---------------------------------------------------------------------------
# the DCGAN guidelines, checked on the structure
# ---------------------------------------------------------------------------
def assert_no_pooling_or_linear(model: nn.Module) -> None:
    for m in model.modules():
        assert not isinstance(m, POOLING), f"pooling layer {m}"
        assert not isinstance(m, nn.Linear), f"fully connected layer {m}"


@pytest.mark.parametrize("num_classes", [0, 10])
@pytest.mark.parametrize("upsample", UPSAMPLE)
@pytest.mark.parametrize("size", SIZES)
def test_generator_follows_dcgan_guidelines(size, upsample, num_classes):
    g = small_generator(size, upsample, channels=3, num_classes=num_classes)
    steps = int(math.log2(size)) - 2
    assert_no_pooling_or_linear(g)
    layers = leaves(g.net)
    conv_at = [i for i, m in enumerate(layers) if isinstance(m, CONVS)]
    assert len(conv_at) == steps + 1  # projection + one per doubling
    # BatchNorm (of the right width) then ReLU after every convolution but the last
    for i in conv_at[:-1]:
        assert isinstance(layers[i + 1], nn.BatchNorm2d), f"no BatchNorm after {layers[i]}"
        assert layers[i + 1].num_features == layers[i].out_channels
        assert type(layers[i + 2]) is nn.ReLU
    # the last convolution goes straight to tanh, which ends the network
    last = conv_at[-1]
    assert layers[last].out_channels == 3
    assert isinstance(layers[last + 1], nn.Tanh) and last + 1 == len(layers) - 1
    batch_norms = [m for m in layers if isinstance(m, nn.BatchNorm2d)]
    assert len(batch_norms) == steps  # none on the output
    activations = [m for m in layers if isinstance(m, ACTIVATIONS)]
    assert all(type(m) in (nn.ReLU, nn.Tanh) for m in activations)
    assert sum(isinstance(m, nn.Tanh) for m in activations) == 1
    # channels halve at every doubling
    widths = [layers[i].out_channels for i in conv_at[:-1]]
    assert widths == [8 * 2 ** (steps - 1 - k) for k in range(steps)]
    # the projection: a 4x4 transposed convolution of the 1x1 noise
    project = layers[conv_at[0]]
    assert isinstance(project, nn.ConvTranspose2d)
    assert project.stride == (1, 1) and project.kernel_size == (4, 4) and project.padding == (0, 0)
    assert project.in_channels == LATENT + (16 if num_classes else 0)
    ups = [layers[i] for i in conv_at[1:]]
    if upsample == "transposed":
        assert all(isinstance(m, nn.ConvTranspose2d) and m.stride == (2, 2) for m in ups)
        assert not any(isinstance(m, nn.Upsample) for m in layers)
    else:
        assert not any(isinstance(m, nn.ConvTranspose2d) and m.stride == (2, 2) for m in layers)
        upsamplers = [i for i, m in enumerate(layers) if isinstance(m, nn.Upsample)]
        assert len(upsamplers) == steps
        for i in upsamplers:
            assert layers[i].scale_factor == 2
            conv = layers[i + 1]
            assert type(conv) is nn.Conv2d and conv.stride == (1, 1) and conv.kernel_size == (3, 3)
        assert [i + 1 for i in upsamplers] == conv_at[1:]
    # only the embedding may sit outside the convolutional stack
    extra = [m for m in leaves(g) if not any(m is n for n in layers)]
    assert all(isinstance(m, nn.Embedding) for m in extra)
    assert len(extra) == (1 if num_classes else 0)


@pytest.mark.parametrize("num_classes", [0, 10])
@pytest.mark.parametrize("size", SIZES)
def test_discriminator_follows_dcgan_guidelines(size, num_classes):
    d = small_discriminator(size, channels=3, num_classes=num_classes)
    steps = int(math.log2(size)) - 2
    assert_no_pooling_or_linear(d)
    layers = leaves(d.net)
    conv_at = [i for i, m in enumerate(layers) if isinstance(m, CONVS)]
    convs = [layers[i] for i in conv_at]
    assert all(type(m) is nn.Conv2d for m in convs)
    # strided convolutions halve the size down to 4x4, then one 4x4 convolution gives the logit
    assert [m.stride for m in convs[:-1]] == [(2, 2)] * steps
    assert convs[-1].stride == (1, 1) and convs[-1].kernel_size == (4, 4) and convs[-1].out_channels == 1
    assert conv_at[-1] == len(layers) - 1  # a logit: nothing after the last convolution
    assert convs[0].in_channels == 3 + (1 if num_classes else 0)
    # no BatchNorm on the input layer, BatchNorm + LeakyReLU after the others
    assert isinstance(layers[conv_at[0] + 1], nn.LeakyReLU)
    for i in conv_at[1:-1]:
        assert isinstance(layers[i + 1], nn.BatchNorm2d) and layers[i + 1].num_features == layers[i].out_channels
        assert isinstance(layers[i + 2], nn.LeakyReLU)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in layers) == steps - 1
    # channels double at every halving
    assert [m.out_channels for m in convs[:-1]] == [8 * 2**k for k in range(steps)]
    # LeakyReLU(0.2) and nothing else
    activations = [m for m in leaves(d) if isinstance(m, ACTIVATIONS)]
    assert len(activations) == steps
    assert all(type(m) is nn.LeakyReLU and m.negative_slope == pytest.approx(0.2) for m in activations)
    extra = [m for m in leaves(d) if not any(m is n for n in layers)]
    assert all(isinstance(m, nn.Embedding) for m in extra)
    assert len(extra) == (1 if num_classes else 0)


@pytest.mark.parametrize("upsample", UPSAMPLE)
def test_shape_table_doubles_in_g_and_halves_in_d(upsample):
    size = 64
    g_rows = layer_shapes(small_generator(size, upsample), torch.randn(2, LATENT))
    sides = [shape[-1] for _, kind, shape in g_rows if kind in ("ConvTranspose2d", "Conv2d")]
    assert sides == [4, 8, 16, 32, 64]
    d_rows = layer_shapes(small_discriminator(size), torch.randn(2, 1, size, size))
    sides = [shape[-1] for _, kind, shape in d_rows if kind == "Conv2d"]
    assert sides == [32, 16, 8, 4, 1]


# ---------------------------------------------------------------------------
# dcgan_init
# ---------------------------------------------------------------------------
def init_problems(*models: nn.Module) -> list[str]:
    """What differs from the DCGAN initialisation: conv weights ~ N(0, 0.02), BatchNorm
    scales ~ N(1, 0.02), BatchNorm shifts 0.  Empty when every check passes."""
    problems = []
    convs = [m for model in models for m in model.modules() if isinstance(m, CONVS)]
    norms = [m for model in models for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    w = torch.cat([m.weight.detach().flatten() for m in convs])
    if abs(w.mean()) > 1e-3:
        problems.append(f"conv weight mean {w.mean():.5f}")
    if abs(w.std() - 0.02) > 1e-3:
        problems.append(f"conv weight std {w.std():.5f}")
    for m in convs:  # every layer, with a tolerance for its own number of weights
        std, n = m.weight.std().item(), m.weight.numel()
        if abs(std - 0.02) > 6 * 0.02 / math.sqrt(2 * n):
            problems.append(f"{m}: weight std {std:.5f}")
    scale = torch.cat([m.weight.detach() for m in norms])
    shift = torch.cat([m.bias.detach() for m in norms])
    tol = 6 * 0.02 / math.sqrt(len(scale))
    if abs(scale.mean() - 1) > tol:
        problems.append(f"BatchNorm scale mean {scale.mean():.5f}")
    if abs(scale.std() - 0.02) > tol:
        problems.append(f"BatchNorm scale std {scale.std():.5f}")
    if not torch.equal(shift, torch.zeros_like(shift)):
        problems.append("BatchNorm shift not zero")
    return problems


@pytest.fixture
def big_pair() -> tuple[DCGANGenerator, DCGANDiscriminator]:
    torch.manual_seed(1)
    return DCGANGenerator(image_size=64, width=64), DCGANDiscriminator(image_size=64, width=64)


def test_fresh_models_do_not_pass_the_dcgan_init_checks(big_pair):
    g, d = big_pair
    assert init_problems(g, d)  # default PyTorch init fails, so the checks can fail
    assert init_problems(g) and init_problems(d)


def test_dcgan_init_gives_the_paper_distributions(big_pair):
    g, d = big_pair
    g.apply(dcgan_init)
    d.apply(dcgan_init)
    assert init_problems(g, d) == []
    assert init_problems(g) == [] and init_problems(d) == []
    # enough numbers for the tolerances to mean something
    assert sum(m.weight.numel() for m in g.modules() if isinstance(m, CONVS)) > 1_000_000
    assert sum(m.num_features for m in g.modules() if isinstance(m, nn.BatchNorm2d)) == 512 + 256 + 128 + 64


def test_dcgan_init_handles_linear_and_biases():
    net = DigitClassifier(width=32, feature_dim=256)
    net.apply(dcgan_init)
    linear = net.body[-2]
    assert isinstance(linear, nn.Linear)
    assert abs(linear.weight.std().item() - 0.02) < 1e-3 and abs(linear.weight.mean().item()) < 1e-3
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            assert torch.equal(m.bias, torch.zeros_like(m.bias))


def test_dcgan_init_ignores_other_layers():
    emb = nn.Embedding(10, 16)
    before = emb.weight.detach().clone()
    dcgan_init(emb)
    dcgan_init(nn.ReLU())
    assert torch.equal(emb.weight, before)


# ---------------------------------------------------------------------------
# DigitClassifier
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [8, 16, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_digit_classifier_shapes(size, channels):
    net = DigitClassifier(channels=channels)
    x = torch.randn(6, channels, size, size)
    logits = net(x)
    assert logits.shape == (6, 10)
    feats = net.features(x)
    assert feats.shape == (6, 64)
    assert (feats >= 0).all()  # after a ReLU
    assert torch.allclose(net.head(feats), logits)


def test_digit_classifier_options():
    net = DigitClassifier(num_classes=4, feature_dim=32, width=4)
    x = torch.randn(8, 1, 8, 8)
    assert net(x).shape == (8, 4) and net.features(x).shape == (8, 32)
    assert net.head.in_features == 32 and net.body[0].out_channels == 4


# ---------------------------------------------------------------------------
# layer_shapes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("upsample", UPSAMPLE)
@pytest.mark.parametrize("size", [8, 32])
def test_layer_shapes_lists_every_leaf_layer(size, upsample):
    g = small_generator(size, upsample)
    rows = layer_shapes(g, torch.randn(3, LATENT))
    leaf_names = [name for name, m in g.named_modules() if not list(m.children())]
    assert [name for name, _, _ in rows] == leaf_names
    assert [kind for _, kind, _ in rows] == [type(m).__name__ for m in leaves(g)]
    assert all(isinstance(shape, tuple) and shape[0] == 3 for _, _, shape in rows)
    assert rows[0][1] == "ConvTranspose2d" and rows[0][2][-2:] == (4, 4)
    assert rows[-1][1] == "Tanh" and rows[-1][2] == (3, 1, size, size)
    if upsample == "resize":
        assert any(kind == "Upsample" for _, kind, _ in rows)


def test_layer_shapes_of_conditional_models_and_classifier():
    g = small_generator(16, num_classes=10)
    labels = torch.tensor([1, 2])
    rows = layer_shapes(g, torch.randn(2, LATENT), labels)
    assert rows[0] == ("embed", "Embedding", (2, 16))
    assert rows[-1][2] == (2, 1, 16, 16)
    d = small_discriminator(16, num_classes=10)
    rows = layer_shapes(d, torch.randn(2, 1, 16, 16), labels)
    assert rows[0] == ("embed", "Embedding", (2, 256))
    assert rows[-1][1:] == ("Conv2d", (2, 1, 1, 1))
    rows = layer_shapes(DigitClassifier(), torch.randn(5, 1, 32, 32))
    assert rows[-1] == ("head", "Linear", (5, 10))
    assert ("body.7", "Flatten", (5, 512)) in rows


@pytest.mark.parametrize("training", [True, False])
def test_layer_shapes_restores_mode_and_leaves_no_hooks(training):
    g = small_generator(16)
    g.train(training)
    running = [m.running_mean.clone() for m in g.modules() if isinstance(m, nn.BatchNorm2d)]
    layer_shapes(g, torch.randn(4, LATENT))
    assert g.training is training
    assert all(m.training is training for m in g.modules())
    assert all(not m._forward_hooks for m in g.modules())
    # it ran in eval mode: the BatchNorm running statistics are untouched
    after = [m.running_mean for m in g.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(torch.equal(a, b) for a, b in zip(running, after))
    # and it did not track gradients
    assert all(p.grad is None for p in g.parameters())


def test_layer_shapes_cleans_up_when_the_model_fails():
    g = small_generator(16, num_classes=10).train()
    with pytest.raises(ValueError, match="conditional"):
        layer_shapes(g, torch.randn(2, LATENT))  # labels missing
    assert g.training
    assert all(m.training for m in g.modules())
    assert all(not m._forward_hooks for m in g.modules())


def test_minibatch_std_channel_lets_d_see_a_batch_without_variety():
    from modules.networks.mlp import batch_spread

    torch.manual_seed(0)
    d = DCGANDiscriminator(16, channels=1, width=8, minibatch_std=True, norm="none")
    assert d.net[0].in_channels == 2
    varied = torch.rand(8, 1, 16, 16) * 2 - 1
    same = varied[:1].expand(8, -1, -1, -1)
    assert batch_spread(same) == 0 and batch_spread(varied) > 0.3
    # the first image's logit depends on the rest of its batch only through that channel
    assert not torch.allclose(d(varied)[0], d(torch.cat([varied[:1], same[1:]]))[0])
    plain = DCGANDiscriminator(16, channels=1, width=8, norm="none")
    assert torch.allclose(plain(varied)[0], plain(torch.cat([varied[:1], same[1:]]))[0])
    conditional = DCGANDiscriminator(16, channels=1, width=8, num_classes=10, minibatch_std=True)
    assert conditional.net[0].in_channels == 3
    assert conditional(varied, torch.arange(8)).shape == (8,)
