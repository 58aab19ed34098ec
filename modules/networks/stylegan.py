"""A small style-based generator: the ideas of StyleGAN, small enough for a CPU.

StyleGAN (Karras et al., 2019) changes *how the noise enters* the generator:

1. a **mapping network** turns ``z`` into an intermediate latent ``w``, which does
   not have to follow a fixed Gaussian and can untangle the factors of variation;
2. the image is grown from a **learned constant** 4x4 map, not from ``z``;
3. every convolution is followed by **AdaIN**: the feature maps are normalised per
   image and channel, then scaled and shifted by a *style* computed from ``w``.  The
   style of a layer controls what that layer draws: coarse layers (4x4, 8x8) the
   pose and shape, fine layers the stroke and texture;
4. **per-pixel noise**, scaled by a learned per-channel strength, supplies the
   stochastic details (where exactly a stroke frays), so ``w`` need not encode them.

Because every layer reads its own copy of ``w``, the copies can differ:
**style mixing** takes the coarse styles from one latent and the fine ones from
another, and **truncation** pulls ``w`` towards the average ``w`` to trade variety
for typical-looking samples.  This module is written from those ideas, not ported
from the official code: no progressive growing, an equalised learning rate in the
mapping network only, no blur filters or weight demodulation (StyleGAN2), one
toRGB layer at the end.

Its recipe and trainer are in :mod:`modules.experiments.stylegan`.

Introduced in lesson 12.1.9 (Style-Based Generators).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "pixel_norm",
    "EqualizedLinear",
    "MappingNetwork",
    "StyledConv",
    "StyleGenerator",
]

NoiseMaps = Sequence[torch.Tensor]
FIXED_NOISE_SEED = 0  # the noise used by eval-mode forward, generate() and mix()


def pixel_norm(z: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Scale every vector to unit root-mean-square length: ``z / sqrt(mean(z**2) + eps)``."""
    return z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + eps)


class EqualizedLinear(nn.Module):
    """A linear layer with an *equalised learning rate* (Karras et al., 2018).

    The stored weights are N(0, 1 / lr_multiplier) and multiplied at every call by
    ``lr_multiplier * gain / sqrt(in_features)``, so the layer starts like a
    He-initialised one.  Adam changes every stored weight by about the same amount
    per step, so the weights actually used move ``lr_multiplier`` times as fast as
    an ordinary layer's would: ``lr_multiplier=0.01`` is StyleGAN's 100 times
    slower mapping network.
    """

    def __init__(self, in_features: int, out_features: int, lr_multiplier: float = 1.0, gain: float = math.sqrt(2 / (1 + 0.2**2))) -> None:
        super().__init__()
        if not lr_multiplier > 0:
            raise ValueError(f"lr_multiplier must be > 0 (got {lr_multiplier})")
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.weight_scale = lr_multiplier * gain / math.sqrt(in_features)
        self.lr_multiplier = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.weight_scale, self.bias * self.lr_multiplier)


class MappingNetwork(nn.Module):
    """f: ``z`` -> ``w``: pixel norm, then ``layers`` fully connected layers of width
    ``w_dim``, each followed by LeakyReLU(0.2).

    StyleGAN uses 8 layers of 512 units and trains them 100 times more slowly than
    the rest (``lr_multiplier=0.01``), so that ``w`` drifts gently instead of chasing
    every move of the discriminator.  StyleGAN's runs are long (millions of images,
    a learning rate near 2e-3); in the course's runs of a few thousand steps 0.01
    would leave the mapping where it started, hence the default of 0.1.  The
    layers are :class:`EqualizedLinear`, which makes the multiplier work with any
    optimiser and starts ``w`` at about the scale of ``z``.  (They are not
    ``nn.Linear``, so ``dcgan_init`` leaves them alone.)
    """

    def __init__(self, z_dim: int = 64, w_dim: int = 64, layers: int = 4, lr_multiplier: float = 0.1) -> None:
        super().__init__()
        if layers < 1:
            raise ValueError(f"the mapping network needs at least one layer (got {layers})")
        self.z_dim, self.w_dim = z_dim, w_dim
        blocks: list[nn.Module] = []
        for i in range(layers):
            blocks += [EqualizedLinear(z_dim if i == 0 else w_dim, w_dim, lr_multiplier), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(pixel_norm(z.flatten(1)))  # (N, w_dim)


class StyledConv(nn.Module):
    """One synthesis layer: [2x upsample] -> 3x3 conv -> + noise -> LeakyReLU -> AdaIN.

    * ``upsample=True`` first doubles the size (bilinear interpolation).
    * Noise: one N(0, 1) map per image, shared by all channels, added with a learned
      per-channel strength that starts at 0 (the network decides how much
      randomness each channel wants).  ``forward(x, w, noise)`` uses the given map
      (shape ``(N or 1, 1, H, W)``, ``H, W`` the output size); ``noise=None`` draws a
      fresh one, from ``generator`` when one is given.
    * AdaIN (adaptive instance normalisation): every channel of every image is
      normalised to mean 0 and standard deviation 1 over its pixels, wiping out the
      previous style, then multiplied by a scale and shifted by a bias, both read
      off ``w`` by a learned affine map (the "A" boxes of the paper's figure).  The
      scale starts around 1 and the bias around 0.
    """

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, upsample: bool = False) -> None:
        super().__init__()
        self.upsample = upsample
        self.out_channels = out_channels
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.noise_strength = nn.Parameter(torch.zeros(out_channels))
        self.act = nn.LeakyReLU(0.2)
        self.norm = nn.InstanceNorm2d(out_channels, affine=False)
        self.style = nn.Linear(w_dim, 2 * out_channels)  # -> (scale, bias) per channel
        with torch.no_grad():
            self.style.bias[:out_channels].fill_(1.0)
            self.style.bias[out_channels:].zero_()

    def forward(
        self,
        x: torch.Tensor,
        w: torch.Tensor,
        noise: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = self.conv(x)  # (N, out, H, W)
        n, _, h, w_ = x.shape
        if noise is None:
            device = generator.device if generator is not None else x.device
            noise = torch.randn(n, 1, h, w_, generator=generator, device=device, dtype=x.dtype).to(x.device)
        elif noise.dim() != 4 or noise.shape[1] != 1 or tuple(noise.shape[-2:]) != (h, w_) or noise.shape[0] not in (1, n):
            raise ValueError(f"noise for a {h}x{w_} layer must have shape ({n} or 1, 1, {h}, {w_}), got {tuple(noise.shape)}")
        x = x + self.noise_strength.view(1, -1, 1, 1) * noise
        x = self.norm(self.act(x))  # every (image, channel) now has mean 0, std 1
        scale, bias = self.style(w).chunk(2, dim=1)  # (N, out) each
        return x * scale[:, :, None, None] + bias[:, :, None, None]


def _check_size(image_size: object) -> int:
    if not isinstance(image_size, int) or isinstance(image_size, bool) or image_size < 8 or image_size & (image_size - 1):
        raise ValueError(f"StyleGenerator needs a power-of-two image size of at least 8 (8, 16, 32, 64, ...), got {image_size}")
    return int(math.log2(image_size)) - 1  # resolutions 4, 8, ..., image_size


class StyleGenerator(nn.Module):
    """StyleGAN-lite: mapping network + styled synthesis network from a learned constant.

    Synthesis for ``image_size=32``, ``width=64`` (channels halve at every doubling
    after 8x8 to keep the large maps cheap), batch ``N``; each row but the first and
    the last is two :class:`StyledConv` layers with a style input each, so
    ``num_ws = 8``::

        constant          (1, 64,  4,  4)  learned, repeated for the batch
        style 0, 1        (N, 64,  4,  4)  conv, conv
        style 2, 3        (N, 64,  8,  8)  upsample + conv, conv
        style 4, 5        (N, 32, 16, 16)  upsample + conv, conv
        style 6, 7        (N, 16, 32, 32)  upsample + conv, conv
        toRGB             (N,  C, 32, 32)  1x1 conv, tanh

    ``forward(z)`` is what the course's trainer calls.  In training mode it

    * applies **style-mixing regularisation**: with probability ``mixing_prob`` the
      batch gets a second latent ``z2``; styles ``0 .. k-1`` come from ``w = f(z)``
      and styles ``k ..`` from ``w2 = f(z2)``, with ``k`` uniform in ``1 .. num_ws-1``.
      Neighbouring layers can then not rely on sharing one ``w``, which keeps the
      styles of different layers separate (and makes :meth:`mix` meaningful);
    * updates ``w_avg``, the running average of ``w`` that truncation pulls towards:
      ``w_avg = beta * w_avg + (1 - beta) * mean of the batch's w``, ``beta = 0.995``
      (the first update copies the batch mean, so a short run is not biased to 0);
    * draws fresh per-pixel noise.

    The random numbers of training mode (``z2``, ``k``, the noise) come from the
    module's own generator, seeded at construction (``seed``, or a number drawn from
    PyTorch's global generator when ``None``, so ``torch.manual_seed`` makes the
    whole model reproducible).  Its state is the buffer ``rng_state``, so it moves
    with ``state_dict()`` into checkpoints and a resumed run draws what an
    uninterrupted one would have.  In eval mode, and in :meth:`generate` and
    :meth:`mix`, nothing is mixed, ``w_avg`` is left alone and a fixed noise map per
    layer is used (:meth:`fixed_noise`): the same ``z`` always gives the same image.

    The network initialises itself; do not apply ``dcgan_init`` to it.

    Train it against a discriminator that sees *batch statistics* (StyleGAN's D
    appends the minibatch standard deviation as an extra feature).  Against a plain
    DCGAN discriminator this generator soon learns to ignore its styles and draws
    nearly the same digit for every ``z``; with the extra feature D notices the
    missing variety at once.
    """

    def __init__(
        self,
        z_dim: int = 64,
        w_dim: int = 64,
        image_size: int = 32,
        channels: int = 1,
        width: int = 64,
        mapping_layers: int = 4,
        mixing_prob: float = 0.9,
        mapping_lr_multiplier: float = 0.1,
        w_avg_beta: float = 0.995,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        levels = _check_size(image_size)
        if not 0.0 <= mixing_prob <= 1.0:
            raise ValueError(f"mixing_prob must be in [0, 1] (got {mixing_prob})")
        if not 0.0 <= w_avg_beta < 1.0:
            raise ValueError(f"w_avg_beta must be in [0, 1) (got {w_avg_beta})")
        self.z_dim, self.w_dim, self.image_size, self.channels = z_dim, w_dim, image_size, channels
        self.latent_dim = z_dim  # the name the rest of the course uses
        self.mixing_prob, self.w_avg_beta = float(mixing_prob), float(w_avg_beta)
        self.mapping_network = MappingNetwork(z_dim, w_dim, mapping_layers, mapping_lr_multiplier)
        self.const = nn.Parameter(torch.randn(1, width, 4, 4))
        self.layers = nn.ModuleList()
        self._resolutions: list[int] = []
        ch = width
        for level in range(levels):
            res = 4 * 2**level
            out = self.channels_at(res, width)
            self.layers.append(StyledConv(ch, out, w_dim, upsample=level > 0))
            self.layers.append(StyledConv(out, out, w_dim))
            self._resolutions += [res, res]
            ch = out
        self.to_rgb = nn.Conv2d(ch, channels, kernel_size=1)
        self.register_buffer("w_avg", torch.zeros(w_dim))
        self.register_buffer("w_avg_updates", torch.zeros((), dtype=torch.long))
        if seed is None:
            seed = int(torch.randint(2**62, ()))
        self.register_buffer("rng_state", torch.Generator().manual_seed(int(seed)).get_state())

    @staticmethod
    def channels_at(resolution: int, width: int) -> int:
        """Feature channels at a resolution: ``width`` up to 8x8, then halved at
        every doubling (at least 8)."""
        return max(8, min(width, width * 8 // resolution))

    @property
    def num_ws(self) -> int:
        """The number of style inputs: one per :class:`StyledConv`."""
        return len(self.layers)

    def layer_resolutions(self) -> list[int]:
        """The resolution each style input controls: ``[4, 4, 8, 8, ..., size, size]``."""
        return list(self._resolutions)

    # -- the two halves -------------------------------------------------------
    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """``w = f(z)``: ``(N, z_dim)`` -> ``(N, w_dim)``."""
        return self.mapping_network(z)

    def synthesis(self, ws: torch.Tensor, noise: NoiseMaps | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """Images from styles ``ws`` of shape ``(N, num_ws, w_dim)`` (style ``i`` feeds layer ``i``).

        ``noise`` is one map per layer (:meth:`make_noise`, :meth:`fixed_noise`); ``None``
        draws fresh noise (from ``generator`` when given).
        """
        if ws.dim() != 3 or ws.shape[1] != self.num_ws or ws.shape[2] != self.w_dim:
            raise ValueError(f"ws must have shape (N, {self.num_ws}, {self.w_dim}), got {tuple(ws.shape)}")
        if noise is not None and len(noise) != self.num_ws:
            raise ValueError(f"noise must hold one map per layer ({self.num_ws}), got {len(noise)}")
        x = self.const.expand(ws.shape[0], -1, -1, -1)
        for i, layer in enumerate(self.layers):
            x = layer(x, ws[:, i], None if noise is None else noise[i], generator)
        return torch.tanh(self.to_rgb(x))  # (N, channels, size, size) in [-1, 1]

    # -- noise ----------------------------------------------------------------
    def make_noise(self, batch: int = 1, generator: torch.Generator | None = None, device: torch.device | str | None = None) -> list[torch.Tensor]:
        """One N(0, 1) map per layer, shape ``(batch, 1, res, res)``; pass it to
        :meth:`synthesis`, :meth:`generate` or :meth:`mix` to hold the noise fixed
        (a batch of 1 is shared by all images)."""
        device = torch.device(device) if device is not None else self.const.device
        return [torch.randn(batch, 1, r, r, generator=generator).to(device) for r in self._resolutions]

    def fixed_noise(self) -> list[torch.Tensor]:
        """The noise of eval mode, :meth:`generate` and :meth:`mix`: the same maps
        (seed 0) for every image and every call."""
        return self.make_noise(1, torch.Generator().manual_seed(FIXED_NOISE_SEED))

    # -- training-mode forward -------------------------------------------------
    def _rng(self) -> torch.Generator:
        rng = torch.Generator()
        rng.set_state(self.rng_state.cpu())
        return rng

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        w = self.mapping(z)  # (N, w_dim)
        ws = w.unsqueeze(1).repeat(1, self.num_ws, 1)  # (N, num_ws, w_dim)
        if not self.training:
            return self.synthesis(ws, self.fixed_noise())
        with torch.no_grad():
            beta = self.w_avg_beta if int(self.w_avg_updates) > 0 else 0.0
            self.w_avg.copy_(w.detach().mean(dim=0).lerp(self.w_avg, beta))
            self.w_avg_updates += 1
        rng = self._rng()
        if self.mixing_prob > 0 and torch.rand((), generator=rng).item() < self.mixing_prob:
            k = int(torch.randint(1, self.num_ws, (), generator=rng))
            z2 = torch.randn(z.shape, generator=rng, dtype=z.dtype).to(z.device)
            ws = torch.cat([ws[:, :k], self.mapping(z2).unsqueeze(1).expand(-1, self.num_ws - k, -1)], dim=1)
        noise = self.make_noise(len(z), rng, z.device)
        self.rng_state.copy_(rng.get_state())
        return self.synthesis(ws, noise)

    # -- the lesson's tools ----------------------------------------------------
    def truncate(self, w: torch.Tensor, psi: float) -> torch.Tensor:
        """The truncation trick: ``w_avg + psi * (w - w_avg)``.

        ``psi = 1`` leaves ``w`` alone, ``psi = 0`` gives every latent the average
        ``w`` (one image), ``psi`` in between moves each ``w`` towards the average:
        less variety, more typical samples.  ``psi > 1`` (or < 0) *extrapolates* away
        from the average, which is allowed but gives unusual and often broken images.
        Works on ``(N, w_dim)`` and ``(N, num_ws, w_dim)``.
        """
        psi = float(psi)
        if not math.isfinite(psi):
            raise ValueError(f"psi must be a finite number (got {psi})")
        return torch.lerp(self.w_avg.expand_as(w), w, psi)  # exact at psi = 0 and psi = 1

    def _noise_or_fixed(self, noise: NoiseMaps | None) -> NoiseMaps:
        return self.fixed_noise() if noise is None else noise

    @torch.no_grad()
    def generate(self, z: torch.Tensor, psi: float = 1.0, noise: NoiseMaps | None = None) -> torch.Tensor:
        """Images for ``z`` with truncation ``psi``, for figures: no gradients, no
        mixing, ``w_avg`` untouched; ``noise=None`` uses :meth:`fixed_noise`."""
        w = self.truncate(self.mapping(z), psi)
        return self.synthesis(w.unsqueeze(1).repeat(1, self.num_ws, 1), self._noise_or_fixed(noise))

    @torch.no_grad()
    def mix(self, z_coarse: torch.Tensor, z_fine: torch.Tensor, crossover: int, psi: float = 1.0, noise: NoiseMaps | None = None) -> torch.Tensor:
        """Style mixing: styles ``0 .. crossover-1`` from ``z_coarse``, the rest from
        ``z_fine`` (``crossover`` in ``0 .. num_ws``; see :meth:`layer_resolutions`
        for the resolution each style controls).  A small crossover takes only the
        coarse layout from ``z_coarse``; a large one takes everything but the finest
        details.  A batch of one latent on either side is paired with every latent
        on the other (one row of a mixing grid).  Same conventions as :meth:`generate`."""
        if not isinstance(crossover, int) or isinstance(crossover, bool) or not 0 <= crossover <= self.num_ws:
            raise ValueError(f"crossover must be an integer from 0 to {self.num_ws} (got {crossover})")
        if len(z_coarse) != len(z_fine) and 1 not in (len(z_coarse), len(z_fine)):
            raise ValueError(f"z_coarse and z_fine must hold as many latents, or one of them a single one (got {len(z_coarse)} and {len(z_fine)})")
        n = max(len(z_coarse), len(z_fine))
        w_coarse = self.truncate(self.mapping(z_coarse), psi).unsqueeze(1).expand(n, crossover, -1)
        w_fine = self.truncate(self.mapping(z_fine), psi).unsqueeze(1).expand(n, self.num_ws - crossover, -1)
        ws = torch.cat([w_coarse, w_fine], dim=1)
        return self.synthesis(ws, self._noise_or_fixed(noise))
