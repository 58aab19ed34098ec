"""Numbers the lessons report and the tests check.

Introduced in lesson 12.1.1 (GAN Architecture); the GAN metrics of lesson 12.1.7 (FID and
friends) live in :mod:`modules.evaluation.feature_metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from modules.data.synthetic import is_clean_line, nearest_line_pattern

__all__ = [
    "sample_stats",
    "first_epoch_within",
    "clean_line_share",
    "line_patterns_covered",
    "class_shares",
    "nearest_neighbours",
    "pixel_spread",
    "checkerboard_strength",
    "ModeCoverage",
    "mode_coverage",
    "modes_captured",
]


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
    """Share of images that are clean single lines (see :func:`modules.data.synthetic.is_clean_line`)."""
    return is_clean_line(images, tolerance).float().mean().item()


def line_patterns_covered(images: torch.Tensor, tolerance: float = 0.5) -> int:
    """How many of the ``2 * size`` line patterns appear at least once, cleanly."""
    idx, err = nearest_line_pattern(images)
    return len(set(idx[err < tolerance].tolist()))


def class_shares(predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The share of predictions in each class (sums to 1): how evenly a generator
    covers the classes, as judged by a classifier."""
    return torch.bincount(predictions.flatten(), minlength=num_classes).double() / predictions.numel()


def nearest_neighbours(queries: torch.Tensor, bank: torch.Tensor, k: int = 1, exclude_self: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """``(distances, indices)`` of the ``k`` nearest rows of ``bank`` for every query
    (Euclidean distance between flattened images), both of shape ``(N, k)``.

    ``exclude_self`` skips an exact match at distance 0 (use it when the queries are
    themselves rows of the bank, to get the typical distance between training images).

    The search uses ``torch.cdist``'s fast matrix-product form, whose distances carry
    rounding errors of about 1e-6 (an image's distance to itself is not exactly 0);
    the distances returned are recomputed exactly for the neighbours found, so a copy
    is at 0.  ``exclude_self`` therefore treats anything closer than 1e-4 as the
    query itself (two different 8-bit images differ by at least 2/255).
    """
    q = queries.flatten(1).double()
    b = bank.flatten(1).double()
    dist = torch.cdist(q, b)
    if exclude_self:
        dist = dist.masked_fill(dist < 1e-4, float("inf"))
    indices = dist.topk(k, dim=1, largest=False).indices
    values = (q.unsqueeze(1) - b[indices]).norm(dim=2)  # exact, for the k found
    return values.float(), indices


def pixel_spread(images: torch.Tensor) -> float:
    """The mean Euclidean distance between two different images of ``images`` (all
    pixel values): how much a set of images varies.  Lesson 12.1.3 compares the spread
    of the samples of one class with that of real images of the class; a generator
    that writes every 7 alike scores far below the real 7s.  Pixel distance also
    grows with blur and noise, so read it next to the samples."""
    x = images.flatten(1).double()
    n = len(x)
    if n < 2:
        raise ValueError(f"a spread needs at least 2 images, got {n}")
    return (torch.cdist(x, x).sum() / (n * (n - 1))).item()


def checkerboard_strength(images: torch.Tensor) -> float:
    """How much of the images' variation repeats with a period of two pixels.

    Every pixel belongs to one of four *phases* (even/odd row, even/odd column).  A
    checkerboard artefact makes the phases differ systematically, so the average image
    of each phase (over all 2x2 cells) stops being flat.  The score is the variance of
    those four phase means divided by the total pixel variance, averaged over images:
    0 when the phases agree (natural images come close), up to 1 for a pure
    period-2 grid.
    """
    x = images.double().flatten(0, 1)  # (N*C, H, W)
    h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    x = x[:, :h, :w]
    phases = x.reshape(len(x), h // 2, 2, w // 2, 2).mean(dim=(1, 3))  # (N*C, 2, 2)
    total = x.flatten(1).var(dim=1, unbiased=False)
    return (phases.flatten(1).var(dim=1, unbiased=False) / total.clamp_min(1e-12)).mean().item()


@dataclass(frozen=True)
class ModeCoverage:
    """How well 2-D samples cover a mixture's modes (see :func:`mode_coverage`)."""

    modes_covered: int
    num_modes: int
    high_quality: float  # share of samples within ``threshold`` std of their nearest centre
    counts: tuple[int, ...]  # high-quality samples per mode
    num_samples: int

    @property
    def modes_captured(self) -> int:
        """Modes with at least one high-quality sample: the papers' rule (see
        :func:`modes_captured`), next to this course's stricter ``modes_covered``."""
        return sum(1 for c in self.counts if c > 0)

    def __str__(self) -> str:
        return f"{self.modes_covered}/{self.num_modes} modes, {100 * self.high_quality:.1f}% high quality"


def mode_coverage(samples: torch.Tensor, centres: torch.Tensor, std: float, threshold: float = 3.0, min_count: int = 20) -> ModeCoverage:
    """The mode-collapse metrics for samples of a 2-D mixture.

    A sample is *high quality* when it lies within ``threshold`` standard deviations
    (Euclidean distance ``threshold * std``) of its nearest mode centre, as in the
    mode-collapse papers (Srivastava et al., 2017, score 2,500 samples this way).  A
    mode is *covered* when at least ``min_count`` high-quality samples are nearest to
    it.  The default of 20 is this course's own, stricter rule: the papers count a mode
    once a single high-quality sample is nearest to it (VEEGAN, Srivastava et al.,
    2017; PacGAN's code counts the modes with a non-zero count, Lin et al., 2018),
    which is ``min_count=1``, :func:`modes_captured` or
    :attr:`ModeCoverage.modes_captured`.  Non-finite samples count as low quality.
    """
    if samples.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples must have shape (n, {centres.shape[1]}), got {tuple(samples.shape)}")
    x = samples.detach().double()
    finite = torch.isfinite(x).all(dim=1)
    dist = torch.cdist(torch.where(finite[:, None], x, torch.zeros_like(x)), centres.double())
    nearest_dist, nearest = dist.min(dim=1)
    good = finite & (nearest_dist <= threshold * std)
    counts = torch.bincount(nearest[good], minlength=len(centres))
    return ModeCoverage(
        modes_covered=int((counts >= min_count).sum()),
        num_modes=len(centres),
        high_quality=good.double().mean().item() if len(x) else 0.0,
        counts=tuple(int(c) for c in counts),
        num_samples=len(x),
    )


def modes_captured(samples: torch.Tensor, centres: torch.Tensor, std: float, threshold: float = 3.0) -> int:
    """Modes captured by the papers' rule: a mode counts once it is the nearest mode
    of at least one high-quality sample (VEEGAN, Srivastava et al., 2017; PacGAN's
    code counts modes with a non-zero count of high-quality samples, Lin et al.,
    2018).  The same as ``mode_coverage(..., min_count=1).modes_covered``; this
    course's :func:`mode_coverage` asks for 20 by default."""
    return mode_coverage(samples, centres, std, threshold=threshold, min_count=1).modes_covered
