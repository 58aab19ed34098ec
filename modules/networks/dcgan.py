"""The convolutional generator and discriminator of lesson 12.1.2 (DCGAN).

:class:`DCGANGenerator`, :class:`DCGANDiscriminator` and :func:`dcgan_init` cover
any power-of-two image size from 8 up with one definition, and become the
conditional GAN of lesson 12.1.3 by passing ``num_classes``.  Discriminators return
logits, as in :mod:`modules.networks.mlp`.

Introduced in lesson 12.1.2 (DCGAN).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from modules.networks.mlp import batch_spread

__all__ = [
    "check_image_size",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "dcgan_init",
    "layer_shapes",
]

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
