"""Data the lessons train on, made by code (no downloads).

Every sampler takes the number of samples and a :class:`torch.Generator`, so a run is
reproducible from its seed and two samplers never share hidden random state.

Introduced in lesson 12.1.1 (GAN Architecture).
"""

from __future__ import annotations

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
