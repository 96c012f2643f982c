"""KID: a direct O(n^2) MMD^2, unbiasedness, reproducible subsets, torch-fidelity."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_lib.metrics import kid
from gan_lib.metrics.kid import mmd2_unbiased


def direct_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """MMD^2_u written pair by pair: k(a, b) = (a.b / d + 1)^3."""
    d = x.shape[1]

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return (float(a @ b) / d + 1.0) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n))
    return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n)


def gaussian(n: int, d: int, shift: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d)) + shift


def test_mmd2_matches_the_direct_double_sum():
    x, y = gaussian(25, 6, 0.0, 0), gaussian(30, 6, 0.5, 1)
    value = mmd2_unbiased(torch.from_numpy(x), torch.from_numpy(y))
    assert float(value) == pytest.approx(direct_mmd2(x, y), rel=1e-12)


def test_kid_with_one_full_subset_is_the_direct_mmd2():
    x, y = gaussian(30, 5, 0.0, 2), gaussian(30, 5, 0.3, 3)
    mean, std = kid(x, y, subsets=1, subset_size=30)  # a permutation of each set
    assert mean == pytest.approx(direct_mmd2(x, y), rel=1e-12)
    assert std == 0.0


def test_kid_averages_mmd2_over_the_seeded_subsets():
    x, y = gaussian(60, 4, 0.0, 4), gaussian(50, 4, 0.2, 5)
    rng = np.random.RandomState(7)  # the documented subset draws
    values = []
    for _ in range(5):
        xs = x[rng.choice(60, 20, replace=False)]
        ys = y[rng.choice(50, 20, replace=False)]
        values.append(direct_mmd2(xs, ys))
    mean, std = kid(x, y, subsets=5, subset_size=20, seed=7)
    assert mean == pytest.approx(np.mean(values), rel=1e-10)
    assert std == pytest.approx(np.std(values), rel=1e-8)


def test_kid_is_unbiased_and_can_be_negative():
    """Two samples of one distribution: MMD^2_u averages 0 and is often negative,
    whereas the biased V-statistic (diagonal included) is always positive."""
    estimates, biased = [], []
    for seed in range(200):
        x = torch.from_numpy(gaussian(40, 4, 0.0, 2 * seed))
        y = torch.from_numpy(gaussian(40, 4, 0.0, 2 * seed + 1))
        estimates.append(float(mmd2_unbiased(x, y)))
        k_xx = (x @ x.T / 4 + 1) ** 3
        k_yy = (y @ y.T / 4 + 1) ** 3
        k_xy = (x @ y.T / 4 + 1) ** 3
        biased.append(float(k_xx.mean() + k_yy.mean() - 2 * k_xy.mean()))
    estimates = np.array(estimates)
    standard_error = estimates.std() / np.sqrt(len(estimates))
    assert abs(estimates.mean()) < 4 * standard_error
    assert 0.2 < (estimates < 0).mean() < 0.8  # negative values are legitimate
    assert np.mean(biased) > 10 * standard_error  # the biased one is not centred
    values = [
        kid(
            gaussian(60, 4, 0, s), gaussian(60, 4, 0, s + 99), subsets=1, subset_size=60
        )
        for s in range(10)
    ]
    assert min(mean for mean, _ in values) < 0  # reported as is, never clamped


def test_kid_grows_with_the_shift_and_is_reproducible():
    x = gaussian(300, 8, 0.0, 13)
    values = [kid(x, gaussian(300, 8, s, 14), 10, 100)[0] for s in (0.0, 0.3, 1.0)]
    assert values[0] < values[1] < values[2]
    assert kid(x, x + 0.3, 10, 100) == kid(x, x + 0.3, 10, 100)
    assert kid(x, x + 0.3, 10, 100, seed=1) != kid(x, x + 0.3, 10, 100, seed=2)


def test_agrees_with_torch_fidelity():
    from torch_fidelity import metric_kid  # in requirements.txt: a missing one fails
    x, y = gaussian(200, 16, 0.0, 15), gaussian(150, 16, 0.2, 16)
    reference = metric_kid.kid_features_to_metric(
        torch.from_numpy(x),
        torch.from_numpy(y),
        kid_subsets=10,
        kid_subset_size=100,
        rng_seed=2020,
        verbose=False,
    )
    mean, std = kid(x, y, subsets=10, subset_size=100)  # seed 2020 by default
    assert mean == pytest.approx(reference["kernel_inception_distance_mean"], 1e-9)
    assert std == pytest.approx(reference["kernel_inception_distance_std"], 1e-7)


def test_subset_size_is_capped_at_the_sample_count_with_a_warning():
    x, y = gaussian(40, 3, 0, 17), gaussian(30, 3, 0.5, 18)
    with pytest.warns(UserWarning, match="using subset_size=30"):
        capped = kid(x, y, subsets=3, subset_size=1000)
    assert capped == kid(x, y, subsets=3, subset_size=30)


def test_bad_inputs_raise_clear_errors():
    x = gaussian(20, 3, 0, 19)
    with pytest.raises(ValueError, match="at least 2 samples; got 1"):
        kid(x, x[:1])
    with pytest.raises(ValueError, match="same dimension"):
        kid(x, x[:, :2])
    bad = x.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="real_features contains NaN or infinite"):
        kid(bad, x)
    with pytest.raises(ValueError, match="subsets must be a positive int; got 0"):
        kid(x, x, subsets=0)
    with pytest.raises(ValueError, match="subset_size must be at least 2"):
        kid(x, x, subset_size=1)
