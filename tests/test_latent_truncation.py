"""The truncation trick: per-coordinate rejection stays inside [-t, t] and has the
truncated normal's variance (closed form and scipy); whole-vector rejection's
acceptance (2 Phi(t) - 1)^d against Monte Carlo."""

from __future__ import annotations

import math

import pytest
import scipy.stats
import torch

from gan_lib import latent


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("threshold", [0.1, 0.5, 2.0])
def test_every_coordinate_lies_inside_the_threshold(threshold):
    z = latent.truncated_normal((500, 120), threshold, generator=seeded())
    assert z.shape == (500, 120) and z.dtype == torch.float32
    assert z.abs().max() <= threshold
    assert z.abs().max() > 0.9 * threshold  # not collapsed, nor scaled down


@pytest.mark.parametrize("threshold", [0.5, 1.0, 2.0])
def test_empirical_variance_matches_the_closed_form(threshold):
    # n = 400,000 coordinates; the sample variance's standard error is
    # sqrt((m4 - var^2) / n) with the truncated normal's fourth moment m4 (scipy):
    # 0.14%, 0.15% and 0.18% of the variance for t = 0.5, 1, 2. Five standard
    # errors are allowed. Clamping instead of resampling would put mass at +-t and
    # fail (variance 0.185 instead of 0.081 at t = 0.5).
    n = 400_000
    z = latent.truncated_normal((n,), threshold, generator=seeded(1)).double()
    variance = latent.truncated_normal_variance(threshold)
    fourth_moment = scipy.stats.truncnorm(-threshold, threshold).moment(4)
    standard_error = math.sqrt((fourth_moment - variance**2) / n)
    assert abs(z.var().item() - variance) < 5 * standard_error
    assert abs(z.mean().item()) < 5 * math.sqrt(variance / n)


@pytest.mark.parametrize("threshold", [0.01, 0.5, 1.0, 2.0, 4.0])
def test_variance_formula_matches_scipy(threshold):
    expected = scipy.stats.truncnorm(-threshold, threshold).var()
    assert latent.truncated_normal_variance(threshold) == pytest.approx(
        expected, rel=1e-9
    )


def test_variance_limits():
    assert latent.truncated_normal_variance(1e-3) == pytest.approx(1e-6 / 3, rel=1e-4)
    assert latent.truncated_normal_variance(10.0) == pytest.approx(1.0, abs=1e-18)


@pytest.mark.parametrize("threshold, dim", [(1.0, 1), (1.0, 3), (1.5, 5)])
def test_cube_probability_matches_monte_carlo(threshold, dim):
    # 200,000 vectors: the standard error of the fraction is sqrt(p (1 - p) / n),
    # about 1.1e-3 here; five of them are allowed.
    n = 200_000
    z = torch.randn(n, dim, generator=seeded(2), dtype=torch.float64)
    inside = (z.abs() <= threshold).all(dim=1).double().mean().item()
    p = latent.cube_probability(threshold, dim)
    assert p == pytest.approx((2 * scipy.stats.norm.cdf(threshold) - 1) ** dim)
    assert abs(inside - p) < 5 * math.sqrt(p * (1 - p) / n)


def test_whole_vector_rejection_is_hopeless_for_biggan():
    # BigGAN's 128 px generator takes d = 120; at t = 0.5 a whole vector lands in
    # the cube once in about 1e50 draws.
    p = latent.cube_probability(0.5, 120)
    assert 1e-51 < p < 1e-49
    assert p == pytest.approx(math.erf(0.5 / math.sqrt(2)) ** 120, rel=1e-12)


def test_a_seed_reproduces_the_codes():
    first = latent.truncated_normal((4, 8), 0.7, generator=seeded(5))
    second = latent.truncated_normal((4, 8), 0.7, generator=seeded(5))
    assert torch.equal(first, second)


@pytest.mark.parametrize("threshold", [0.0, -1.0, math.inf, math.nan])
def test_bad_thresholds_are_refused(threshold):
    with pytest.raises(ValueError, match="threshold"):
        latent.truncated_normal((3,), threshold)
    with pytest.raises(ValueError, match="threshold"):
        latent.truncated_normal_variance(threshold)


def test_cube_probability_needs_a_positive_dimension():
    with pytest.raises(ValueError, match="dim"):
        latent.cube_probability(1.0, 0)
