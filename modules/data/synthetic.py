"""Data the lessons train on, made by code (no downloads).

Every sampler takes the number of samples and a :class:`torch.Generator`, so a run is
reproducible from its seed and two samplers never share hidden random state.

Introduced in lesson 12.1.1 (GAN Architecture).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = [
    "GaussianTarget",
    "uniform_noise",
    "normal_noise",
    "interpolate",
    "LinePatterns",
    "line_pattern_bank",
    "nearest_line_pattern",
    "is_clean_line",
    "GaussianMixture2D",
    "ring_of_gaussians",
    "grid_of_gaussians",
    "TOY_TARGETS",
    "toy_target",
]


# ---------------------------------------------------------------------------
# 1-D numbers (lesson 12.1.1, gan_architecture.py)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GaussianTarget:
    """The "real data" of the first lesson: numbers drawn from N(mean, std**2).

    Calling it returns a ``(n, 1)`` float tensor, one number per row.
    """

    mean: float = 4.0
    std: float = 1.25

    def __post_init__(self) -> None:
        if not self.std > 0:
            raise ValueError(f"std must be > 0 (got {self.std})")

    def __call__(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.mean + self.std * torch.randn(n, 1, generator=generator)

    def density(self, x: torch.Tensor) -> torch.Tensor:
        """The target's probability density at ``x`` (for plotting the curve)."""
        z = (x - self.mean) / self.std
        return torch.exp(-0.5 * z**2) / (self.std * (2 * torch.pi) ** 0.5)


def uniform_noise(n: int, dim: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Latent noise z ~ U(0, 1)^dim, shape ``(n, dim)``."""
    return torch.rand(n, dim, generator=generator)


def normal_noise(n: int, dim: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Latent noise z ~ N(0, I), shape ``(n, dim)``."""
    return torch.randn(n, dim, generator=generator)


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, mode: str = "slerp") -> torch.Tensor:
    """``steps`` latent vectors from ``z0`` to ``z1`` (both ends included), shape
    ``(steps, dim)``.

    ``"linear"`` walks the straight line.  Its midpoint is shorter than either end:
    for z ~ N(0, I) in ``dim`` dimensions almost all vectors have length close to
    sqrt(dim), and the midpoint of two of them only about sqrt(dim / 2), a region the
    generator never saw in training.  ``"slerp"`` (spherical) walks the great circle
    and keeps the length typical (Shoemake, 1985; White, 2016).
    """
    if mode not in ("linear", "slerp"):
        raise ValueError(f"mode must be 'linear' or 'slerp' (got {mode!r})")
    t = torch.linspace(0.0, 1.0, steps, dtype=z0.dtype).unsqueeze(1)
    if mode == "linear":
        return (1 - t) * z0 + t * z1
    cos = torch.dot(z0 / z0.norm(), z1 / z1.norm()).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    if omega.abs() < 1e-6:  # (almost) the same direction: slerp is lerp
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


# ---------------------------------------------------------------------------
# 8x8 line patterns (lesson 12.1.1, gan_patterns.py)
# ---------------------------------------------------------------------------
# Pixels live in [-1, 1]: -1 is background ("off"), +1 is ink ("on"), the range a
# Tanh output layer produces.
OFF, ON = -1.0, 1.0


def line_pattern_bank(size: int = 8) -> torch.Tensor:
    """All clean single-line images of a ``size`` x ``size`` grid.

    Returns ``(2 * size, 1, size, size)``: first the ``size`` horizontal lines (row
    0 to size-1), then the ``size`` vertical lines (column 0 to size-1).
    """
    bank = torch.full((2 * size, 1, size, size), OFF)
    for i in range(size):
        bank[i, 0, i, :] = ON  # horizontal line in row i
        bank[size + i, 0, :, i] = ON  # vertical line in column i
    return bank


@dataclass(frozen=True)
class LinePatterns:
    """Real data for the pattern GAN: one full horizontal or vertical line per image.

    Each of the ``2 * size`` patterns is equally likely.  Calling it returns
    ``(n, 1, size, size)`` with pixels in {-1, +1}.
    """

    size: int = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "_bank", line_pattern_bank(self.size))  # built once

    def __call__(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        idx = torch.randint(len(self._bank), (n,), generator=generator)
        return self._bank[idx]


def nearest_line_pattern(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each image, the index of the closest clean line and its largest pixel error.

    ``images`` is ``(n, 1, s, s)`` (or ``(n, s, s)``) with pixels in [-1, 1].  The
    distance to a pattern is the largest absolute pixel difference, so one bad pixel is
    enough to make an image far from every pattern.
    """
    size = images.shape[-1]
    flat = images.reshape(len(images), 1, size * size)
    bank = line_pattern_bank(size).reshape(1, 2 * size, size * size).to(images)
    max_err = (flat - bank).abs().amax(dim=-1)  # (n, 2*size)
    err, idx = max_err.min(dim=1)
    return idx, err


def is_clean_line(images: torch.Tensor, tolerance: float = 0.5) -> torch.Tensor:
    """Whether each image is a *clean* single horizontal or vertical line.

    Definition used by the course (and its tests): an image is clean when some single
    line pattern matches it with every pixel within ``tolerance`` of the pattern's
    value.  With pixels in [-1, 1] and the default tolerance of 0.5, every "on" pixel
    must be above 0.5 and every "off" pixel below -0.5: no missing segment, no extra
    stroke, no grey smudge.  Returns a boolean tensor of shape ``(n,)``.
    """
    _, err = nearest_line_pattern(images)
    return err < tolerance


# ---------------------------------------------------------------------------
# 2-D mixtures of Gaussians (lessons 12.1.4 to 12.1.6)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GaussianMixture2D:
    """Equally likely, equally wide Gaussian blobs in the plane: the standard test of
    whether a GAN covers every mode of its data.

    ``centres`` is a tuple of ``(x, y)`` pairs and ``std`` the standard deviation of
    every blob along each axis.  Calling it returns ``(n, 2)`` samples.
    """

    name: str
    centres: tuple[tuple[float, float], ...]
    std: float

    def __post_init__(self) -> None:
        if not self.std > 0:
            raise ValueError(f"std must be > 0 (got {self.std})")
        if not self.centres:
            raise ValueError("a mixture needs at least one centre")

    @property
    def num_modes(self) -> int:
        return len(self.centres)

    def centre_tensor(self) -> torch.Tensor:
        """The mode centres as a ``(num_modes, 2)`` tensor."""
        return torch.tensor(self.centres, dtype=torch.float32)

    def __call__(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        idx = torch.randint(self.num_modes, (n,), generator=generator)
        return self.centre_tensor()[idx] + self.std * torch.randn(n, 2, generator=generator)


def ring_of_gaussians(num_modes: int = 8, radius: float = 2.0, std: float = 0.02) -> GaussianMixture2D:
    """``num_modes`` blobs evenly spaced on a circle (the "ring of 8" of the
    mode-collapse literature).  The defaults, radius 2 and std 0.02, are the ring of
    the unrolled-GAN paper (Metz et al., 2017); VEEGAN (Srivastava et al., 2017) and
    PacGAN (Lin et al., 2018) used radius 1 and std 0.01, the same ratio of gap to
    width."""
    angles = [2 * math.pi * k / num_modes for k in range(num_modes)]
    centres = tuple((radius * math.cos(a), radius * math.sin(a)) for a in angles)
    return GaussianMixture2D("ring", centres, std)


def grid_of_gaussians(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture2D:
    """``side`` x ``side`` blobs on a square grid centred at the origin (the "grid of
    25" of VEEGAN, Srivastava et al., 2017, and PacGAN, Lin et al., 2018: centres at
    -4, -2, 0, 2, 4 on each axis, std 0.05)."""
    offset = spacing * (side - 1) / 2
    coords = [spacing * i - offset for i in range(side)]
    centres = tuple((x, y) for x in coords for y in coords)
    return GaussianMixture2D("grid", centres, std)


TOY_TARGETS = {"ring": ring_of_gaussians, "grid": grid_of_gaussians}


def toy_target(name: str) -> GaussianMixture2D:
    """The named 2-D target (``ring`` or ``grid``) with its standard settings."""
    try:
        return TOY_TARGETS[name]()
    except KeyError:
        raise ValueError(f"unknown target {name!r}; choose from {', '.join(TOY_TARGETS)}") from None
