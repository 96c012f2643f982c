"""PacGAN's mode coverage: modes captured, high-quality fraction, reverse KL."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_lib.data import grid, ring
from gan_lib.metrics import ModeCoverage, mode_coverage

SQUARE = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])  # K = 4


def test_perfect_ring_samples_cover_every_mode():
    mixture = ring()
    n = 8000
    samples = mixture.sample(n, generator=torch.Generator().manual_seed(0))
    result = mode_coverage(samples, mixture.centers, mixture.std)
    assert isinstance(result, ModeCoverage)
    assert (result.modes, result.n_modes, result.n_samples) == (8, 8, n)
    # |eps| / sigma is chi with 2 degrees of freedom: P(|eps| <= 3 sigma) = 1 - e^-4.5
    p = 1 - math.exp(-4.5)
    assert result.high_quality == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n))
    # the plug-in KL of a uniform multinomial is about (K - 1) / (2 n_good) ~ 5e-4
    assert 0 <= result.reverse_kl < 5e-3
    assert sum(result.counts) == round(result.high_quality * n)


def test_perfect_grid_samples_cover_every_mode():
    mixture = grid()
    samples = mixture.sample(10_000, generator=torch.Generator().manual_seed(1))
    result = mode_coverage(samples, mixture.centers, mixture.std)
    assert result.modes == 25 and result.reverse_kl < 0.01
    assert result.high_quality > 0.98


def test_collapsed_samples_capture_one_mode_with_kl_log_k():
    mixture = ring()
    samples = mixture.centers[3].repeat(500, 1)  # every sample on mode 3
    result = mode_coverage(samples, mixture.centers, mixture.std)
    assert result.modes == 1 and result.high_quality == 1.0
    assert result.counts == (0, 0, 0, 500, 0, 0, 0, 0)
    assert result.reverse_kl == pytest.approx(math.log(8), abs=1e-15)


def test_far_samples_are_not_high_quality_and_kl_is_infinite():
    mixture = ring()
    samples = 10 * mixture.centers.repeat(10, 1)  # radius 10: 900 sigma away
    result = mode_coverage(samples, mixture.centers, mixture.std)
    assert result.modes == 0 and result.high_quality == 0.0
    assert result.reverse_kl == math.inf
    assert result.counts == (0,) * 8


def test_hand_built_histogram_gives_hand_computed_kl():
    counts = [5, 3, 2, 0]
    good = np.concatenate(
        [np.repeat(SQUARE[[k]], c, axis=0) for k, c in enumerate(counts)]
    )
    g = np.random.default_rng(0)
    good = good + g.uniform(-1.0, 1.0, good.shape)  # within sqrt(2) < 3 std = 3
    bad = np.array([[5.0, 5.0], [5.0, 5.0], [-6.0, 0.0], [20.0, 20.0]])  # > 3 away
    result = mode_coverage(np.concatenate([good, bad]), SQUARE, std=1.0)
    assert result.counts == (5, 3, 2, 0)
    assert result.modes == 3 and result.n_samples == 14
    assert result.high_quality == pytest.approx(10 / 14)
    expected = (
        0.5 * math.log(4 * 0.5) + 0.3 * math.log(4 * 0.3) + 0.2 * math.log(4 * 0.2)
    )  # 0 log 0 = 0 for the empty mode
    assert result.reverse_kl == pytest.approx(expected, rel=1e-12)


def test_threshold_is_inclusive_and_scales_with_std():
    centers = np.array([[0.0, 0.0], [100.0, 0.0]])
    samples = np.array([[3.0, 0.0], [0.0, -3.0000001], [98.0, 0.0]])
    result = mode_coverage(samples, centers, std=1.0)
    assert result.counts == (1, 1)  # exactly 3 std counts, just beyond does not
    assert mode_coverage(samples, centers, std=2.0).counts == (2, 1)
    assert mode_coverage(samples, centers, std=1.0, threshold=1.0).counts == (0, 0)


def test_accepts_numpy_and_torch_in_any_float_dtype():
    mixture = ring()
    samples = mixture.sample(300, generator=torch.Generator().manual_seed(2))
    reference = mode_coverage(samples, mixture.centers, mixture.std)
    for x, c in [
        (samples.numpy(), mixture.centers.numpy()),
        (samples.double(), mixture.centers),
        (samples.numpy().astype(np.float64), mixture.centers.double()),
        (samples.requires_grad_(True), mixture.centers),
    ]:
        assert mode_coverage(x, c, mixture.std) == reference


def test_str_reports_the_three_numbers():
    text = str(mode_coverage(ring().centers, ring().centers, 0.01))
    assert "modes 8/8" in text and "100.0%" in text and "reverse KL 0.000" in text


@pytest.mark.parametrize(
    "samples,centers,std,match",
    [
        (np.zeros((5, 3)), SQUARE, 1.0, "dimension 3 but centers have 2"),
        (np.full((5, 2), np.nan), SQUARE, 1.0, "samples contains NaN"),
        (np.zeros((5, 2)), np.full((4, 2), np.inf), 1.0, "centers contains NaN"),
        (np.zeros(5), SQUARE, 1.0, r"samples must have shape \(N, dim\)"),
        (np.zeros((5, 2, 1)), SQUARE, 1.0, r"samples must have shape \(N, dim\)"),
        (np.zeros((5, 2)), SQUARE[0], 1.0, r"centers must have shape \(N, dim\)"),
        (np.zeros((5, 2)), SQUARE, 0.0, "std must be positive"),
        (np.zeros((5, 2)), SQUARE, -1.0, "std must be positive"),
        (np.zeros((5, 2)), SQUARE, float("nan"), "std must be positive"),
        (np.zeros((0, 2)), SQUARE, 1.0, "at least one sample; got 0"),
        (np.zeros((5, 2)), np.zeros((0, 2)), 1.0, "at least one centre; got 0"),
    ],
)
def test_bad_inputs_raise_clear_errors(samples, centers, std, match):
    with pytest.raises(ValueError, match=match):
        mode_coverage(samples, centers, std)
