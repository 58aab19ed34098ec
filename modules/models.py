"""Generator and discriminator families.

Lesson 12.1.1 needs fully connected (MLP) networks only.  They are written as one
family: :class:`MLPGenerator` maps a latent vector to a tensor of any shape,
:class:`MLPDiscriminator` maps a tensor of any shape to one logit, and
:class:`BatchStatsDiscriminator` is the same discriminator looking at summary
statistics of a group of samples instead of at single samples.  Later lessons add
variants (convolutional, conditional, ...) next to these rather than copies.

Discriminators return *logits* (any real number); ``torch.sigmoid(logit)`` is the
probability that the input is real.  Keeping the sigmoid out of the network lets the
losses use the numerically stable ``binary_cross_entropy_with_logits``.

The convolutional family of lesson 12.1.2 (:class:`DCGANGenerator`,
:class:`DCGANDiscriminator`, :func:`dcgan_init`) covers any power-of-two image size
from 8 up with one definition, and becomes the conditional GAN of lesson 12.1.3 by
passing ``num_classes``.  :class:`DigitClassifier` is the small judge that tells
which digit a generated image shows.

Introduced in lesson 12.1.1 (GAN Architecture).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = [
    "ACTIVATIONS",
    "mlp",
    "MLPGenerator",
    "MLPDiscriminator",
    "batch_moments",
    "batch_spread",
    "BatchStatsDiscriminator",
    "PackedDiscriminator",
    "check_image_size",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "dcgan_init",
    "DigitClassifier",
    "layer_shapes",
]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def _activation(name: str) -> nn.Module:
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}") from None


def mlp(
    in_dim: int,
    hidden: Sequence[int],
    out_dim: int,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
) -> nn.Sequential:
    """Linear layers of widths ``in_dim -> *hidden -> out_dim`` with ``activation``
    between them (preceded by BatchNorm if ``batch_norm``, followed by dropout if
    ``dropout`` > 0); nothing after the last layer."""
    dims = [in_dim, *hidden, out_dim]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(dims) - 2:
            if batch_norm:
                layers.append(nn.BatchNorm1d(b))
            layers.append(_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """G: latent vector ``z`` of shape ``(n, latent_dim)`` -> sample of ``out_shape``.

    ``out_activation`` squashes the output into the data's range ("tanh" for images in
    [-1, 1]); ``None`` leaves it unbounded (numbers from a Gaussian).  ``batch_norm``
    normalises every hidden layer over the batch, one of the DCGAN guidelines.
    """

    def __init__(
        self,
        latent_dim: int,
        out_shape: Sequence[int],
        hidden: Sequence[int] = (64, 64),
        activation: str = "relu",
        out_activation: str | None = None,
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.out_shape = tuple(out_shape)
        self.net = mlp(latent_dim, hidden, math.prod(self.out_shape), activation, batch_norm=batch_norm)
        self.out = _activation(out_activation) if out_activation else nn.Identity()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.out(self.net(z))  # (n, prod(out_shape))
        return x.view(len(z), *self.out_shape)  # (n, *out_shape)


def batch_spread(x: torch.Tensor) -> torch.Tensor:
    """The minibatch standard deviation (Karras et al., 2018): the standard deviation
    of every feature (or pixel) across the batch, averaged into one number (a 0-d
    tensor).  It is small when the samples of a batch look alike, so a discriminator
    that sees it can tell a collapsed generator's batches from real ones."""
    return x.std(dim=0, unbiased=False).mean()


class MLPDiscriminator(nn.Module):
    """D: sample of ``in_shape`` -> one logit per sample, shape ``(n, 1)``.

    With ``minibatch_std=True`` every sample is shown together with one extra number:
    the average per-feature standard deviation of the batch it came in (Karras et al.,
    2018).  A generator that has collapsed onto a few outputs produces batches with
    almost no spread, which D then spots at once; without it, D judges each sample on
    its own and cannot see that all fakes look alike.
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        hidden: Sequence[int] = (64, 64),
        activation: str = "leaky_relu",
        minibatch_std: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.in_shape = tuple(in_shape)
        self.minibatch_std = minibatch_std
        self.net = mlp(math.prod(self.in_shape) + int(minibatch_std), hidden, 1, activation, dropout)

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(len(x), -1)  # (n, prod(in_shape))
        if self.minibatch_std:
            spread = batch_spread(h)  # one number for the batch
            h = torch.cat([h, spread.expand(len(h), 1)], dim=1)  # (n, prod(in_shape) + 1)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self._inputs(x))  # (n, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations, ``(n, hidden[-1])``: what feature
        matching (lesson 12.1.5) asks G to match on average."""
        return self.net[:-1](self._inputs(x))


class PackedDiscriminator(nn.Module):
    """PacGAN (Lin et al., 2018): D judges *packs* of ``pack`` samples at once.

    A batch of ``n`` samples is cut into ``n // pack`` groups whose samples are laid
    side by side (``(n, d)`` -> ``(n // pack, pack * d)``) and handed to ``inner``,
    which must accept ``pack`` times the features of one sample.  Real packs hold
    only real samples, fake packs only fakes.  A collapsed generator makes packs of
    near-identical samples, which look nothing like real packs, so D punishes the
    lack of variety directly.  ``n`` must be a multiple of ``pack``.
    """

    def __init__(self, inner: nn.Module, pack: int) -> None:
        super().__init__()
        if int(pack) < 1:
            raise ValueError(f"pack must be >= 1 (got {pack})")
        self.inner = inner
        self.pack = int(pack)

    def _packed(self, x: torch.Tensor) -> torch.Tensor:
        if len(x) % self.pack:
            raise ValueError(f"a batch of {len(x)} samples cannot be cut into packs of {self.pack}")
        return x.reshape(len(x) // self.pack, -1)  # (n // pack, pack * prod(sample shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(self._packed(x))  # (n // pack, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner.features(self._packed(x))


def batch_moments(x: torch.Tensor, group_size: int) -> torch.Tensor:
    """Summary statistics of groups of 1-D samples.

    ``x`` of shape ``(n, 1)`` is cut into ``n // group_size`` groups; each group is
    described by its mean, standard deviation, skewness and excess kurtosis.
    Returns ``(n // group_size, 4)``.  ``n`` must be a multiple of ``group_size``.
    """
    if x.numel() % group_size:
        raise ValueError(f"{x.numel()} samples cannot be cut into groups of {group_size}")
    g = x.reshape(-1, group_size)  # (groups, group_size)
    mean = g.mean(dim=1, keepdim=True)
    centred = g - mean
    std = centred.pow(2).mean(dim=1, keepdim=True).add(1e-8).sqrt()
    z = centred / std
    skew = z.pow(3).mean(dim=1, keepdim=True)
    kurt = z.pow(4).mean(dim=1, keepdim=True) - 3.0
    return torch.cat([mean, std, skew, kurt], dim=1)  # (groups, 4)


class BatchStatsDiscriminator(nn.Module):
    """A discriminator that judges *groups* of numbers through their statistics.

    A single number such as 3.7 cannot be real or fake on its own: it is likely under
    N(4, 1.25) and under many other distributions.  A group of ``group_size`` numbers
    can: its mean, spread, skewness and kurtosis say a lot about where it came from.
    This discriminator computes those four moments for every group and passes them to
    an :class:`MLPDiscriminator`, so a batch of ``n`` samples yields ``n //
    group_size`` logits.  The trainer does not need to know: it hands over batches and
    averages whatever logits come back.
    """

    def __init__(self, group_size: int = 100, hidden: Sequence[int] = (32, 32), activation: str = "leaky_relu") -> None:
        super().__init__()
        self.group_size = group_size
        self.judge = MLPDiscriminator(in_shape=(4,), hidden=hidden, activation=activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.judge(batch_moments(x, self.group_size))  # (n // group_size, 1)


# ---------------------------------------------------------------------------------
# Convolutional GANs (lesson 12.1.2) and their conditional form (lesson 12.1.3)
# ---------------------------------------------------------------------------------
UPSAMPLING = ("transposed", "resize")


def check_image_size(image_size: int) -> int:
    """The number of 2x steps between 4x4 and ``image_size``; a :class:`ValueError`
    with a one-line reason when the DCGAN layout cannot produce that size."""
    if not isinstance(image_size, int) or image_size < 8 or image_size > 1024 or image_size & (image_size - 1):
        raise ValueError(
            f"image size {image_size} is not supported: the DCGAN layout doubles a 4x4 map, "
            "so the size must be a power of two from 8 to 1024 (for example 32 or 64)"
        )
    return int(math.log2(image_size)) - 2


def _up(in_ch: int, out_ch: int, mode: str) -> nn.Module:
    """Double the height and width: a stride-2 transposed convolution (DCGAN), or
    nearest-neighbour resize followed by a 3x3 convolution (no checkerboard)."""
    if mode == "transposed":
        return nn.ConvTranspose2d(in_ch, out_ch, kernel_size=4, stride=2, padding=1, bias=False)
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1, bias=False))


class DCGANGenerator(nn.Module):
    """DCGAN generator (Radford et al., 2016) for ``image_size`` = 8, 16, 32, 64, ...

    The guidelines, one per line of code: no pooling and no fully connected hidden
    layers; a transposed convolution projects the noise to a 4x4 map, then each
    stride-2 transposed convolution doubles the size and halves the channels;
    BatchNorm and ReLU after every layer except the last, whose ``tanh`` matches
    data in ``[-1, 1]``.  Shapes for ``image_size=32``, ``width=64``, batch ``N``::

        z                (N, 100)          viewed as (N, 100, 1, 1)
        project          (N, 256, 4, 4)    ConvT k4 s1 p0, BN, ReLU
        up 1             (N, 128, 8, 8)    ConvT k4 s2 p1, BN, ReLU
        up 2             (N,  64, 16, 16)  ConvT k4 s2 p1, BN, ReLU
        to image         (N,   1, 32, 32)  ConvT k4 s2 p1, tanh

    ``upsample="resize"`` swaps each stride-2 transposed convolution for
    nearest-neighbour upsampling and a 3x3 convolution.  ``num_classes > 0`` makes it
    conditional: ``forward(z, labels)`` joins a learned label embedding to the noise.
    """

    def __init__(
        self,
        latent_dim: int = 100,
        image_size: int = 64,
        channels: int = 1,
        width: int = 64,
        upsample: str = "transposed",
        num_classes: int = 0,
        embed_dim: int = 16,
    ) -> None:
        super().__init__()
        if upsample not in UPSAMPLING:
            raise ValueError(f"upsample must be one of {UPSAMPLING} (got {upsample!r})")
        steps = check_image_size(image_size)
        self.latent_dim, self.image_size, self.channels, self.num_classes = latent_dim, image_size, channels, num_classes
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        in_dim = latent_dim + (embed_dim if num_classes else 0)
        ch = width * 2 ** (steps - 1)  # channels of the 4x4 map; halved at every doubling
        layers: list[nn.Module] = [
            # (N, in_dim, 1, 1) -> (N, ch, 4, 4)
            nn.ConvTranspose2d(in_dim, ch, kernel_size=4, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(inplace=True),
        ]
        for _ in range(steps - 1):
            # (N, ch, s, s) -> (N, ch // 2, 2s, 2s)
            layers += [_up(ch, ch // 2, upsample), nn.BatchNorm2d(ch // 2), nn.ReLU(inplace=True)]
            ch //= 2
        # (N, width, size/2, size/2) -> (N, channels, size, size): no BatchNorm on the output
        layers += [_up(ch, channels, upsample), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("this generator is conditional: call it as G(z, labels)")
            z = torch.cat([z, self.embed(labels)], dim=1)
        return self.net(z.view(z.shape[0], -1, 1, 1))


DISCRIMINATOR_NORMS = ("batch", "layer", "none")


def _norm_layer(norm: str, channels: int) -> list[nn.Module]:
    """The normalisation after a discriminator convolution: BatchNorm (over the
    batch), GroupNorm with one group (over each image on its own), or nothing."""
    if norm == "batch":
        return [nn.BatchNorm2d(channels)]
    if norm == "layer":
        return [nn.GroupNorm(1, channels)]
    return []


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: the generator in reverse.

    Stride-2 convolutions halve the size and double the channels down to 4x4
    (no pooling), LeakyReLU(0.2) everywhere, a normalisation layer (NORM) everywhere
    except on the input layer, and a final 4x4 convolution gives one logit per image.
    Shapes for ``image_size=32``, ``width=64``::

        x                (N,   1, 32, 32)
        down 1           (N,  64, 16, 16)  Conv k4 s2 p1, LeakyReLU (no NORM on the input layer)
        down 2           (N, 128, 8, 8)    Conv k4 s2 p1, NORM, LeakyReLU
        down 3           (N, 256, 4, 4)    Conv k4 s2 p1, NORM, LeakyReLU
        logit            (N,)              Conv k4 s1 p0, flattened

    ``norm`` picks NORM: ``"batch"`` (the DCGAN default, BatchNorm2d: statistics of
    the whole batch), ``"layer"`` (GroupNorm with one group: each image is normalised
    over its own channels and pixels, so no image's output depends on the others) or
    ``"none"`` (the layer is left out).  The WGAN-GP critic of lesson 12.1.4 uses
    ``"layer"``: its gradient penalty is computed per image, and BatchNorm would
    couple the images of a batch.

    ``num_classes > 0`` makes it conditional: ``forward(x, labels)`` appends a learned
    ``image_size`` x ``image_size`` map per label as an extra input channel.
    ``minibatch_std=True`` appends one more channel, constant over the image: the
    batch's :func:`batch_spread`, so D can see when a generator's batch has too
    little variety (the style-based generator of lesson 12.1.9 needs it).
    """

    def __init__(
        self, image_size: int = 64, channels: int = 1, width: int = 64, num_classes: int = 0, norm: str = "batch", minibatch_std: bool = False
    ) -> None:
        super().__init__()
        if norm not in DISCRIMINATOR_NORMS:
            raise ValueError(f"norm must be one of {', '.join(DISCRIMINATOR_NORMS)} (got {norm!r})")
        steps = check_image_size(image_size)
        self.image_size, self.channels, self.num_classes, self.norm = image_size, channels, num_classes, norm
        self.minibatch_std = minibatch_std
        self.embed = nn.Embedding(num_classes, image_size * image_size) if num_classes else None
        ch = width
        layers: list[nn.Module] = [
            # (N, channels [+1], size, size) -> (N, width, size/2, size/2)
            nn.Conv2d(channels + (1 if num_classes else 0) + int(minibatch_std), ch, kernel_size=4, stride=2, padding=1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        for _ in range(steps - 1):
            # (N, ch, s, s) -> (N, 2 ch, s/2, s/2)
            layers += [nn.Conv2d(ch, ch * 2, kernel_size=4, stride=2, padding=1, bias=False), *_norm_layer(norm, ch * 2), nn.LeakyReLU(0.2, inplace=True)]
            ch *= 2
        # (N, ch, 4, 4) -> (N, 1, 1, 1)
        layers.append(nn.Conv2d(ch, 1, kernel_size=4, stride=1, padding=0, bias=False))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("this discriminator is conditional: call it as D(x, labels)")
            label_map = self.embed(labels).view(x.shape[0], 1, self.image_size, self.image_size)
            x = torch.cat([x, label_map], dim=1)
        if self.minibatch_std:
            x = torch.cat([x, batch_spread(x[:, : self.channels]).expand(x.shape[0], 1, *x.shape[2:])], dim=1)
        return self.net(x).flatten()


def dcgan_init(module: nn.Module) -> None:
    """DCGAN weight initialisation; use as ``model.apply(dcgan_init)``.

    Convolution (and linear) weights ~ N(0, 0.02), as in the DCGAN paper; BatchNorm
    scales ~ N(1, 0.02) and biases 0, as in PyTorch's DCGAN example.  Small, centred weights keep early activations in the range where
    BatchNorm, ReLU and tanh behave; the BatchNorm scales start near the identity.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DigitClassifier(nn.Module):
    """A small CNN that says which class an image shows: the judge of the lessons'
    quality gates (is this sample a 7?) and, through :meth:`features`, the feature
    extractor of the evaluation lesson.

    Two 3x3 convolution blocks with max-pooling, global average pooling to 4x4, one
    hidden layer of ``feature_dim`` units (the features), one linear layer of logits.
    ``input_size`` is the image size it was trained on.
    """

    def __init__(self, channels: int = 1, num_classes: int = 10, width: int = 16, feature_dim: int = 64, input_size: int = 32) -> None:
        super().__init__()
        self.input_size = input_size  # images of another size are resized first (see modules.recipes.classify)
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(2 * width * 16, feature_dim),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate layer: one ``feature_dim`` vector per image."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def layer_shapes(model: nn.Module, *inputs: torch.Tensor) -> list[tuple[str, str, tuple[int, ...]]]:
    """``(name, layer type, output shape)`` for every leaf layer of ``model`` on
    ``inputs``: the per-layer shape table the DCGAN lesson prints."""
    rows: list[tuple[str, str, tuple[int, ...]]] = []
    hooks = []
    for name, layer in model.named_modules():
        if not list(layer.children()):
            hooks.append(layer.register_forward_hook(lambda mod, args, out, name=name: rows.append((name, type(mod).__name__, tuple(out.shape)))))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return rows
