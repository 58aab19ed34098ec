"""Tests for modules.evaluation.metrics: sample statistics, convergence epoch, line-pattern scores."""

from __future__ import annotations

import math

import pytest
import torch

from modules.data.synthetic import LinePatterns, line_pattern_bank
from modules.evaluation.metrics import clean_line_share, first_epoch_within, line_patterns_covered, sample_stats


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------
# sample_stats
# ---------------------------------------------------------------------------
def test_sample_stats_known_values():
    mean, std = sample_stats(torch.tensor([[1.0], [2.0], [3.0], [4.0]]))
    assert isinstance(mean, float) and isinstance(std, float)
    assert mean == pytest.approx(2.5)
    assert std == pytest.approx(math.sqrt(5 / 3))  # unbiased (n - 1), not sqrt(5/4)


def test_sample_stats_flattens_and_detaches():
    x = torch.tensor([[0.0, 2.0], [4.0, 6.0]], requires_grad=True)
    mean, std = sample_stats(x)
    assert mean == pytest.approx(3.0)
    assert std == pytest.approx(math.sqrt(20 / 3))


def test_sample_stats_large_sample():
    x = 4.0 + 1.25 * torch.randn(50_000, 1, generator=gen())
    mean, std = sample_stats(x)
    assert mean == pytest.approx(4.0, abs=0.03)
    assert std == pytest.approx(1.25, abs=0.03)


# ---------------------------------------------------------------------------
# first_epoch_within
# ---------------------------------------------------------------------------
def test_first_epoch_within_reaches_then_leaves_is_none():
    results = [(10, (0.0, 0.1)), (20, (4.0, 1.25)), (30, (4.02, 1.2)), (40, (2.0, 1.2))]
    assert first_epoch_within(results, mean=4.0, std=1.25) is None


def test_first_epoch_within_reaches_and_stays():
    results = [(10, (0.0, 0.1)), (20, (3.97, 1.3)), (30, (3.0, 1.0)), (40, (4.05, 1.2)), (50, (3.95, 1.3)), (60, (4.0, 1.25))]
    # epoch 20 was inside but left again; the final stretch starts at 40
    assert first_epoch_within(results, mean=4.0, std=1.25) == 40


def test_first_epoch_within_all_inside_and_empty():
    results = [(5, (4.0, 1.25)), (10, (4.01, 1.24))]
    assert first_epoch_within(results, mean=4.0, std=1.25) == 5
    assert first_epoch_within([], mean=4.0, std=1.25) is None


def test_first_epoch_within_needs_both_mean_and_std():
    good_mean_bad_std = [(1, (4.0, 2.0))]
    bad_mean_good_std = [(1, (5.0, 1.25))]
    assert first_epoch_within(good_mean_bad_std, 4.0, 1.25) is None
    assert first_epoch_within(bad_mean_good_std, 4.0, 1.25) is None


def test_first_epoch_within_tolerance_is_strict_and_adjustable():
    results = [(1, (4.5, 1.25)), (2, (4.25, 1.25))]
    assert first_epoch_within(results, 4.0, 1.25, tolerance=0.5) == 2  # |4.5 - 4| = 0.5 is outside
    assert first_epoch_within(results, 4.0, 1.25, tolerance=0.75) == 1
    assert first_epoch_within(results, 4.0, 1.25) is None  # default 0.1


# ---------------------------------------------------------------------------
# clean_line_share / line_patterns_covered
# ---------------------------------------------------------------------------
def test_real_patterns_are_all_clean_and_cover_everything():
    x = LinePatterns(8)(2000, generator=gen(0))
    assert clean_line_share(x) == 1.0
    assert line_patterns_covered(x) == 16


def test_half_noise_images():
    patterns = LinePatterns(8)(1000, generator=gen(1))
    noise = torch.rand(1000, 1, 8, 8, generator=gen(2)) * 2 - 1
    images = torch.cat([patterns, noise])
    share = clean_line_share(images)
    assert isinstance(share, float)
    assert share == pytest.approx(0.5, abs=0.01)
    assert line_patterns_covered(images) == 16
    assert clean_line_share(noise) == 0.0
    assert line_patterns_covered(noise) == 0


def test_all_same_row_covers_one_pattern():
    images = line_pattern_bank(8)[[2] * 50]
    assert clean_line_share(images) == 1.0
    assert line_patterns_covered(images) == 1


def test_rows_and_columns_counted_separately():
    bank = line_pattern_bank(8)
    images = bank[[0, 0, 8, 15, 15, 15]]
    assert line_patterns_covered(images) == 3


def test_scores_respect_tolerance():
    images = line_pattern_bank(8)[[0, 9]].clone()
    images[:, 0, 4, 4] += 0.3  # an "off" pixel lifted by 0.3 (error 0.3) in both
    assert clean_line_share(images) == 1.0
    assert line_patterns_covered(images) == 2
    assert clean_line_share(images, tolerance=0.2) == 0.0
    assert line_patterns_covered(images, tolerance=0.2) == 0
