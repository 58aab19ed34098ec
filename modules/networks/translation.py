"""Networks for image-to-image translation: pix2pix and CycleGAN.

A translation GAN does not start from noise.  Its generator receives an *image* (an
edge map, a digit in one style) and returns another image of the same size (the
photo, the digit in the other style).  Three pieces cover both methods:

* :class:`UNetGenerator`: an encoder-decoder whose decoder also sees the encoder's
  feature maps through *skip connections*.  Input and output share their layout
  (edges, outlines, positions), and the skips carry it across directly instead of
  squeezing it through the bottleneck.
* :class:`PatchDiscriminator`: the PatchGAN.  Instead of one verdict per image it
  returns a map of logits, each judging one patch (70x70 pixels in the paper).
  pix2pix shows it (input, output) pairs; CycleGAN shows it single images.

:func:`init_weights` is the N(0, 0.02) initialisation both papers use.

Introduced in lesson 12.1.8 (Image-to-Image Translation).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from modules.networks.dcgan import dcgan_init

__all__ = [
    "UNetGenerator",
    "PATCH_NORMS",
    "PatchDiscriminator",
    "receptive_field",
    "init_weights",
]


# ---------------------------------------------------------------------------------
# Generator: the U-Net
# ---------------------------------------------------------------------------------
def _unet_depth(image_size: Any, depth: Any) -> int:
    """The number of down-sampling steps; a :class:`ValueError` with a one-line
    reason when the U-Net cannot handle ``image_size`` or ``depth``."""
    if not isinstance(image_size, int) or isinstance(image_size, bool) or image_size < 4 or image_size & (image_size - 1):
        raise ValueError(f"U-Net needs a power-of-two image size of at least 4 (4, 8, 16, 32, ...), got {image_size}")
    most = int(math.log2(image_size))
    if depth is None:
        return most
    if not isinstance(depth, int) or isinstance(depth, bool) or not 2 <= depth <= most:
        raise ValueError(f"U-Net depth must be an integer from 2 to {most} for {image_size}x{image_size} images, got {depth}")
    return depth


class UNetGenerator(nn.Module):
    """pix2pix's U-Net generator (Isola et al., 2017): image in, image of the same size out.

    The **encoder** halves the size ``depth`` times with 4x4 stride-2 convolutions
    (BatchNorm, LeakyReLU 0.2); channels double at every level up to ``8 * width``.
    By default it goes all the way down to a 1x1 bottleneck (``depth = log2(image_size)``);
    a smaller ``depth`` stops at a larger one.  The **decoder** mirrors it with 4x4
    stride-2 transposed convolutions (BatchNorm, ReLU).  Each decoder layer but the
    first receives the previous decoder output *concatenated* with the encoder map of
    the same size: the skip connection.  Shapes for ``in_channels=1``, ``out_channels=1``,
    ``image_size=32``, ``width=32`` (depth 5), batch ``N``::

        x                  (N,   1, 32, 32)
        down 1 -> e1       (N,  32, 16, 16)  Conv k4 s2, LeakyReLU (no BatchNorm on the input layer)
        down 2 -> e2       (N,  64,  8,  8)  Conv k4 s2, BN, LeakyReLU
        down 3 -> e3       (N, 128,  4,  4)  Conv k4 s2, BN, LeakyReLU
        down 4 -> e4       (N, 256,  2,  2)  Conv k4 s2, BN, LeakyReLU
        down 5 -> e5       (N, 256,  1,  1)  Conv k4 s2, LeakyReLU (bottleneck: no BatchNorm)
        up 1 (e5)          (N, 256,  2,  2)  ConvT k4 s2, BN, Dropout, ReLU
        up 2 ([., e4])     (N, 128,  4,  4)  ConvT k4 s2, BN, Dropout, ReLU   input 512 channels
        up 3 ([., e3])     (N,  64,  8,  8)  ConvT k4 s2, BN, Dropout, ReLU   input 256 channels
        up 4 ([., e2])     (N,  32, 16, 16)  ConvT k4 s2, BN, ReLU            input 128 channels
        up 5 ([., e1])     (N,   1, 32, 32)  ConvT k4 s2, tanh                input  64 channels

    The bottleneck has no BatchNorm: with the default depth it is a 1x1 map, and
    pix2pix trains with batches of one image, where BatchNorm over a single number
    per channel is undefined.  Dropout on the innermost (up to three) decoder layers
    is pix2pix's only source of randomness: the paper found that noise ``z`` fed to
    the generator was simply ignored.  (The paper keeps dropout on at test time; here
    ``model.eval()`` switches it off, as PyTorch does for every dropout layer.)

    ``forward(z, x)`` ignores ``z`` so that the course's trainer, which calls
    ``generator(noise, *condition)``, can drive it with an empty noise tensor of
    shape ``(N, 0)``; ``forward(x)`` works too.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        image_size: int,
        width: int = 32,
        depth: int | None = None,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        depth = _unet_depth(image_size, depth)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1) (got {dropout})")
        self.in_channels, self.out_channels, self.image_size, self.depth = in_channels, out_channels, image_size, depth
        chs = [min(width * 2**i, 8 * width) for i in range(depth)]  # channels of e1, e2, ...
        self.down = nn.ModuleList()
        for i in range(depth):
            outer, inner = i == 0, i == depth - 1
            # (N, C, s, s) -> (N, chs[i], s/2, s/2)
            layers: list[nn.Module] = [nn.Conv2d(in_channels if outer else chs[i - 1], chs[i], kernel_size=4, stride=2, padding=1, bias=outer or inner)]
            if not (outer or inner):
                layers.append(nn.BatchNorm2d(chs[i]))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            self.down.append(nn.Sequential(*layers))
        self.up = nn.ModuleList()
        for j in range(depth):  # j = 0 is the innermost decoder layer
            level = depth - 1 - j  # the encoder level this layer's input mirrors
            c_in = chs[level] * (1 if j == 0 else 2)  # after j = 0 the input is [decoder, skip]
            if j == depth - 1:
                # (N, 2 * width, s/2, s/2) -> (N, out_channels, s, s): no BatchNorm on the output
                self.up.append(nn.Sequential(nn.ConvTranspose2d(c_in, out_channels, kernel_size=4, stride=2, padding=1), nn.Tanh()))
                continue
            c_out = chs[level - 1]
            layers = [nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out)]
            if j < 3 and dropout > 0:
                layers.append(nn.Dropout(dropout))
            layers.append(nn.ReLU(inplace=True))
            self.up.append(nn.Sequential(*layers))

    def forward(self, z_or_x: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:  # called as G(x)
            x = z_or_x
        if x.dim() != 4 or x.shape[1] != self.in_channels or tuple(x.shape[-2:]) != (self.image_size, self.image_size):
            raise ValueError(
                f"this U-Net translates images of shape (N, {self.in_channels}, {self.image_size}, {self.image_size}), "
                f"got {tuple(x.shape)}"
            )
        skips = []
        h = x
        for down in self.down:
            h = down(h)
            skips.append(h)  # e1, e2, ..., bottleneck
        h = skips.pop()
        for j, up in enumerate(self.up):
            if j > 0:
                h = torch.cat([h, skips.pop()], dim=1)  # the skip connection
            h = up(h)
        return h  # (N, out_channels, image_size, image_size) in [-1, 1]


# ---------------------------------------------------------------------------------
# Discriminator: the PatchGAN
# ---------------------------------------------------------------------------------
PATCH_NORMS = ("batch", "instance", "none")


def _patch_layers(n_layers: int) -> list[tuple[int, int]]:
    """``(kernel, stride)`` of every convolution of a PatchGAN with ``n_layers``
    stride-2 layers: those, one stride-1 layer, and the stride-1 logit layer."""
    return [(4, 2)] * n_layers + [(4, 1), (4, 1)]


def receptive_field(n_layers: int) -> int:
    """The side, in input pixels, of the patch that one output logit of a
    :class:`PatchDiscriminator` with ``n_layers`` sees: 16, 34, 70, 142 for 1 to 4.

    Walk through the convolutions from the input: a layer of kernel ``k`` widens the
    field by ``k - 1`` steps of the current *jump* (the input distance between two
    neighbouring positions of its input), and a stride-``s`` layer multiplies the
    jump by ``s``.
    """
    if not isinstance(n_layers, int) or n_layers < 1:
        raise ValueError(f"n_layers must be an integer >= 1 (got {n_layers})")
    field, jump = 1, 1
    for kernel, stride in _patch_layers(n_layers):
        field += (kernel - 1) * jump
        jump *= stride
    return field


def _patch_norm(norm: str, channels: int) -> list[nn.Module]:
    if norm == "batch":
        return [nn.BatchNorm2d(channels)]
    if norm == "instance":
        return [nn.InstanceNorm2d(channels)]
    return []


class PatchDiscriminator(nn.Module):
    """The PatchGAN discriminator of pix2pix (and CycleGAN): one logit per patch.

    ``n_layers`` 4x4 stride-2 convolutions (channels ``width``, ``2 width``, ...,
    capped at ``8 width``), one 4x4 stride-1 convolution, and a 4x4 stride-1
    convolution down to one channel; LeakyReLU(0.2) after all but the last, and a
    normalisation after all but the first and the last.  With ``width=64`` and
    ``n_layers=3`` this is the paper's C64-C128-C256-C512, whose every output logit
    sees a 70x70 patch (:func:`receptive_field`).  The loss averages the map, so D
    asks "is each patch realistic?": a question about texture and local detail,
    while the L1 term (pix2pix) or the cycle term (CycleGAN) takes care of the
    layout.  Shapes for 32x32 inputs, ``n_layers=3``, ``width=64``::

        x              (N,   C, 32, 32)
        down 1         (N,  64, 16, 16)  Conv k4 s2, LeakyReLU
        down 2         (N, 128,  8,  8)  Conv k4 s2, NORM, LeakyReLU
        down 3         (N, 256,  4,  4)  Conv k4 s2, NORM, LeakyReLU
        stride 1       (N, 512,  3,  3)  Conv k4 s1, NORM, LeakyReLU
        logits         (N,   1,  2,  2)  Conv k4 s1

    ``in_channels`` is the number of channels the first layer sees.  pix2pix's D is
    *conditional*: ``D(x, condition)`` judges the pair, stacking the input image in
    front of the (real or generated) output, ``torch.cat([condition, x], dim=1)``,
    so ``in_channels`` is then the two images' channels together.  A D that only saw
    outputs could be fooled by a realistic image that does not match its input.
    CycleGAN has no pairs and calls ``D(x)``.  ``norm`` is ``"batch"`` (pix2pix),
    ``"instance"`` (CycleGAN: each image normalised on its own) or ``"none"``.
    """

    def __init__(self, in_channels: int, width: int = 64, n_layers: int = 3, norm: str = "batch") -> None:
        super().__init__()
        if norm not in PATCH_NORMS:
            raise ValueError(f"norm must be one of {', '.join(PATCH_NORMS)} (got {norm!r})")
        self.patch_size = receptive_field(n_layers)  # also checks n_layers
        self.in_channels, self.n_layers, self.norm = in_channels, n_layers, norm
        bias = norm != "batch"  # BatchNorm's shift makes a bias redundant
        ch = width
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ch, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        for n in range(1, n_layers):
            out = width * min(2**n, 8)
            layers += [nn.Conv2d(ch, out, kernel_size=4, stride=2, padding=1, bias=bias), *_patch_norm(norm, out), nn.LeakyReLU(0.2, inplace=True)]
            ch = out
        out = width * min(2**n_layers, 8)
        layers += [nn.Conv2d(ch, out, kernel_size=4, stride=1, padding=1, bias=bias), *_patch_norm(norm, out), nn.LeakyReLU(0.2, inplace=True)]
        layers.append(nn.Conv2d(out, 1, kernel_size=4, stride=1, padding=1))
        self.net = nn.Sequential(*layers)

    def output_size(self, image_size: int) -> int:
        """Side of the logit map for ``image_size`` x ``image_size`` inputs (0 or less:
        the image is too small for this many layers)."""
        size = image_size
        for _ in range(self.n_layers):
            size //= 2  # k4 s2 p1
        return size - 2  # two k4 s1 p1 layers each lose one pixel

    def forward(self, x: torch.Tensor, *cond: torch.Tensor) -> torch.Tensor:
        if cond:
            x = torch.cat([cond[0], x], dim=1)  # judge the (input, output) pair
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            hint = "; a pix2pix D is called as D(output, input), which stacks the two" if not cond else ""
            raise ValueError(f"this PatchGAN expects (N, {self.in_channels}, H, W) inputs, got {tuple(x.shape)}{hint}")
        small = min(x.shape[-2:])
        if self.output_size(small) < 1:
            raise ValueError(f"a PatchGAN with n_layers={self.n_layers} needs images of at least {3 * 2**self.n_layers} pixels a side, got {small}")
        return self.net(x)  # (N, 1, h', w') patch logits


def init_weights(module: nn.Module) -> None:
    """pix2pix / CycleGAN initialisation; use as ``model.apply(init_weights)``.

    Exactly :func:`~modules.networks.dcgan.dcgan_init` (convolution weights ~ N(0, 0.02),
    BatchNorm scales ~ N(1, 0.02)), extended to normalisation layers with a learned
    scale that DCGAN did not use (InstanceNorm with ``affine=True``, GroupNorm).
    """
    dcgan_init(module)
    if isinstance(module, (nn.InstanceNorm2d, nn.GroupNorm)) and module.affine:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
