"""Tests for modules.data.synthetic: targets, noise samplers and the 8x8 line patterns."""

from __future__ import annotations

import math

import pytest
import torch

from modules.data.synthetic import GaussianTarget, LinePatterns, is_clean_line, line_pattern_bank, nearest_line_pattern, normal_noise, uniform_noise


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------
# GaussianTarget
# ---------------------------------------------------------------------------
def test_gaussian_target_default_parameters():
    target = GaussianTarget()
    assert (target.mean, target.std) == (4.0, 1.25)


@pytest.mark.parametrize("n", [1, 7, 256])
def test_gaussian_target_sample_shape(n):
    x = GaussianTarget()(n, generator=gen())
    assert x.shape == (n, 1)
    assert x.dtype == torch.float32


@pytest.mark.parametrize("mean, std", [(4.0, 1.25), (-2.0, 0.5), (0.0, 3.0)])
def test_gaussian_target_statistics(mean, std):
    x = GaussianTarget(mean, std)(100_000, generator=gen(1)).double()
    assert abs(x.mean().item() - mean) < 0.02 * max(1.0, std)
    assert abs(x.std().item() - std) < 0.02 * max(1.0, std)


@pytest.mark.parametrize("mean, std", [(4.0, 1.25), (-2.0, 0.5)])
def test_gaussian_density_integrates_to_one_and_peaks_at_mean(mean, std):
    target = GaussianTarget(mean, std)
    grid = torch.linspace(mean - 10 * std, mean + 10 * std, 20_001, dtype=torch.float64)
    density = target.density(grid)
    assert torch.trapezoid(density, grid).item() == pytest.approx(1.0, abs=1e-6)
    assert grid[density.argmax()].item() == pytest.approx(mean, abs=1e-3 * std)
    assert density.max().item() == pytest.approx(1 / (std * math.sqrt(2 * math.pi)), rel=1e-6)
    # symmetric around the mean
    d = torch.tensor([0.3, 1.7], dtype=torch.float64) * std
    assert torch.allclose(target.density(mean + d), target.density(mean - d))


@pytest.mark.parametrize("std", [0.0, -1.0, float("nan")])
def test_gaussian_target_rejects_nonpositive_std(std):
    with pytest.raises(ValueError, match="std"):
        GaussianTarget(0.0, std)


# ---------------------------------------------------------------------------
# Noise samplers
# ---------------------------------------------------------------------------
def test_uniform_noise_shape_and_range():
    z = uniform_noise(5000, 3, generator=gen())
    assert z.shape == (5000, 3)
    assert z.min().item() >= 0.0 and z.max().item() < 1.0
    assert z.mean().item() == pytest.approx(0.5, abs=0.02)
    # uses the whole interval, not a corner of it
    assert z.min().item() < 0.01 and z.max().item() > 0.99


def test_normal_noise_shape_and_moments():
    z = normal_noise(20_000, 2, generator=gen())
    assert z.shape == (20_000, 2)
    assert z.mean(0).abs().max().item() < 0.03
    assert (z.std(0) - 1).abs().max().item() < 0.03
    assert z.min().item() < -3 and z.max().item() > 3  # unbounded, unlike uniform


@pytest.mark.parametrize(
    "sampler",
    [
        GaussianTarget(4.0, 1.25),
        lambda n, generator=None: uniform_noise(n, 4, generator=generator),
        lambda n, generator=None: normal_noise(n, 4, generator=generator),
        LinePatterns(8),
    ],
    ids=["gaussian", "uniform", "normal", "lines"],
)
def test_samplers_reproducible_from_generator_seed(sampler):
    a = sampler(64, generator=gen(123))
    b = sampler(64, generator=gen(123))
    c = sampler(64, generator=gen(124))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_samplers_do_not_use_global_rng_when_given_a_generator():
    torch.manual_seed(0)
    a = normal_noise(10, 2, generator=gen(5))
    torch.manual_seed(999)
    b = normal_noise(10, 2, generator=gen(5))
    assert torch.equal(a, b)


# ---------------------------------------------------------------------------
# Line patterns
# ---------------------------------------------------------------------------
def test_line_pattern_bank_structure():
    bank = line_pattern_bank(8)
    assert bank.shape == (16, 1, 8, 8)
    assert set(bank.unique().tolist()) == {-1.0, 1.0}
    on = bank == 1.0
    assert on.sum(dim=(1, 2, 3)).tolist() == [8] * 16
    assert len({tuple(img.flatten().tolist()) for img in bank}) == 16
    for i in range(8):
        assert on[i, 0, i, :].all() and on[i, 0].sum() == 8  # horizontal line in row i
        assert on[8 + i, 0, :, i].all() and on[8 + i, 0].sum() == 8  # vertical line in column i


def test_line_pattern_bank_other_size():
    bank = line_pattern_bank(5)
    assert bank.shape == (10, 1, 5, 5)
    assert (bank == 1.0).sum(dim=(1, 2, 3)).tolist() == [5] * 10


def test_line_patterns_samples_shape_values_and_uniformity():
    n = 16_000
    x = LinePatterns(8)(n, generator=gen(0))
    assert x.shape == (n, 1, 8, 8)
    assert set(x.unique().tolist()) == {-1.0, 1.0}
    idx, err = nearest_line_pattern(x)
    assert (err == 0).all()  # every sample is exactly one of the bank's patterns
    counts = torch.bincount(idx, minlength=16)
    assert len(counts) == 16
    # expected 1000 each; binomial std ~31, so +-150 is ~5 sigma
    assert (counts - n / 16).abs().max().item() < 150


def test_nearest_line_pattern_index_and_error():
    bank = line_pattern_bank(8)
    images = torch.stack([bank[3], bank[13]])
    images[1, 0, 0, 0] = 0.2  # an "off" pixel of column 5 greyed: error 1.2
    idx, err = nearest_line_pattern(images)
    assert idx.tolist() == [3, 13]
    assert err[0].item() == 0.0
    assert err[1].item() == pytest.approx(1.2)
    # (n, s, s) input works as well
    idx2, _ = nearest_line_pattern(images[:, 0])
    assert idx2.tolist() == [3, 13]


# ---------------------------------------------------------------------------
# is_clean_line on hand-made examples
# ---------------------------------------------------------------------------
def blank() -> torch.Tensor:
    return torch.full((1, 8, 8), -1.0)


def row(r: int) -> torch.Tensor:
    img = blank()
    img[0, r, :] = 1.0
    return img


def column(c: int) -> torch.Tensor:
    img = blank()
    img[0, :, c] = 1.0
    return img


def clean(img: torch.Tensor, **kw) -> bool:
    out = is_clean_line(img.unsqueeze(0), **kw)
    assert out.shape == (1,) and out.dtype == torch.bool
    return bool(out.item())


def test_clean_perfect_row_and_column():
    assert clean(row(0))
    assert clean(row(7))
    assert clean(column(0))
    assert clean(column(4))


def test_clean_row_with_slight_noise():
    noise = (torch.rand(1, 8, 8, generator=gen(7)) * 2 - 1) * 0.29
    noisy = (row(2) + noise).clamp(-1, 1)
    assert (noisy - row(2)).abs().max().item() > 0.1  # noise really is there
    assert clean(noisy)


def test_not_clean_extra_pixel():
    img = row(2)
    img[0, 5, 3] = 1.0
    assert not clean(img)


def test_not_clean_cross():
    img = torch.maximum(row(3), column(3))
    assert not clean(img)


def test_not_clean_blank():
    assert not clean(blank())


def test_not_clean_row_with_missing_pixel():
    img = row(4)
    img[0, 4, 6] = -1.0
    assert not clean(img)


def test_not_clean_grey_image():
    assert not clean(torch.zeros(1, 8, 8))


def test_clean_tolerance_boundary_is_strict():
    on_at_tol = row(1)
    on_at_tol[0, 1, 0] = 0.5  # error exactly 0.5 = tolerance
    assert not clean(on_at_tol)
    off_at_tol = row(1)
    off_at_tol[0, 6, 6] = -0.5  # error exactly 0.5 on an "off" pixel
    assert not clean(off_at_tol)
    just_inside = row(1)
    just_inside[0, 1, 0] = 0.5 + 1e-3
    assert clean(just_inside)


def test_clean_custom_tolerance():
    img = row(0)
    img[0, 0, 0] = 0.7  # error 0.3
    assert clean(img)  # default tolerance 0.5
    assert not clean(img, tolerance=0.25)


def test_is_clean_line_batch():
    batch = torch.stack([row(0), blank(), column(7), torch.zeros(1, 8, 8)])
    assert is_clean_line(batch).tolist() == [True, False, True, False]
