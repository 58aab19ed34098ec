"""Numbers the lessons report and the tests check.

Introduced in lesson 12.1.1 (GAN Architecture); lesson 12.1.7 adds FID and friends.
"""

from __future__ import annotations

import torch

from .data import is_clean_line, nearest_line_pattern

__all__ = ["sample_stats", "first_epoch_within", "clean_line_share", "line_patterns_covered"]


def sample_stats(x: torch.Tensor) -> tuple[float, float]:
    """Mean and (unbiased) standard deviation of a batch of numbers."""
    x = x.detach().double().flatten()
    return x.mean().item(), x.std().item()


def first_epoch_within(
    results: list[tuple[int, tuple[float, float]]], mean: float, std: float, tolerance: float = 0.1
) -> int | None:
    """The first measured epoch from which (mean, std) stays within ``tolerance`` of
    the target until the end of training, or ``None`` if the last one is outside."""
    first = None
    for epoch, (m, s) in results:
        if abs(m - mean) < tolerance and abs(s - std) < tolerance:
            first = epoch if first is None else first
        else:
            first = None
    return first


def clean_line_share(images: torch.Tensor, tolerance: float = 0.5) -> float:
    """Share of images that are clean single lines (see :func:`modules.data.is_clean_line`)."""
    return is_clean_line(images, tolerance).float().mean().item()


def line_patterns_covered(images: torch.Tensor, tolerance: float = 0.5) -> int:
    """How many of the ``2 * size`` line patterns appear at least once, cleanly."""
    idx, err = nearest_line_pattern(images)
    return len(set(idx[err < tolerance].tolist()))
