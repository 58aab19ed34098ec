"""Fully connected (MLP) generator and discriminator families.

Lesson 12.1.1 needs fully connected networks only.  They are written as one family:
:class:`MLPGenerator` maps a latent vector to a tensor of any shape,
:class:`MLPDiscriminator` maps a tensor of any shape to one logit, and
:class:`BatchStatsDiscriminator` (with :class:`PackedDiscriminator`, lesson 12.1.6)
is the same discriminator looking at a group of samples instead of single samples.

Discriminators return *logits* (any real number); ``torch.sigmoid(logit)`` is the
probability that the input is real.  Keeping the sigmoid out of the network lets the
losses use the numerically stable ``binary_cross_entropy_with_logits``.

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
