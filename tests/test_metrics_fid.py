"""FID: closed forms, an independent sqrtm computation, streaming statistics, the
pytorch-fid and torch-fidelity references, and bad inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg
import torch

from gan_lib.metrics import (
    GaussianStatistics,
    fid_from_features,
    fid_from_statistics,
    frechet_distance,
)
from gan_lib.metrics.fid import trace_sqrt_product


def random_covariance(d: int, rng: np.random.Generator, n: int | None = None):
    """A well-conditioned covariance of ``n`` (default 4d) Gaussian samples."""
    x = rng.standard_normal((n or 4 * d, d)) @ rng.standard_normal((d, d))
    return np.cov(x, rowvar=False)


def relu_features(n: int, d: int, shift: float, seed: int) -> np.ndarray:
    """Non-negative correlated features, like Inception's pool3."""
    w = np.random.default_rng(123).standard_normal((d, d)) / np.sqrt(d)
    z = np.random.default_rng(seed).standard_normal((n, d))
    return np.maximum(z @ w + shift, 0.0)


def test_identical_statistics_give_exactly_zero():
    rng = np.random.default_rng(0)
    mu, sigma = rng.standard_normal(50), random_covariance(50, rng)
    assert frechet_distance(mu, sigma, mu, sigma) == 0.0
    assert frechet_distance(mu, sigma, mu.copy(), sigma.copy()) == 0.0
    value = frechet_distance(torch.from_numpy(mu), torch.from_numpy(sigma), mu, sigma)
    assert value == 0.0 and type(value) is float
    assert frechet_distance([0.0], [[2.0]], [1.0], [[2.0]]) == pytest.approx(1.0)
    features = relu_features(300, 20, 0.0, seed=1)
    assert fid_from_features(features, features.copy()) == 0.0


def test_diagonal_gaussians_match_the_closed_form():
    rng = np.random.default_rng(1)
    d = 40
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    var1, var2 = rng.uniform(0.1, 3, d), rng.uniform(0.1, 3, d)
    # sum (mu1 - mu2)^2 + sum (s1 + s2 - 2 sqrt(s1 s2)), s = variances
    expected = ((mu1 - mu2) ** 2).sum() + (var1 + var2 - 2 * np.sqrt(var1 * var2)).sum()
    value = frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2))
    assert value == pytest.approx(expected, rel=1e-12)


def test_equal_covariances_leave_the_squared_mean_difference():
    rng = np.random.default_rng(2)
    sigma = random_covariance(30, rng)
    mu1, mu2 = rng.standard_normal(30), rng.standard_normal(30)
    value = frechet_distance(mu1, sigma, mu2, sigma)
    assert value == pytest.approx(((mu1 - mu2) ** 2).sum(), rel=1e-9)


@pytest.mark.parametrize("d", [2, 5, 12])
def test_non_commuting_covariances_match_scipy_sqrtm(d):
    rng = np.random.default_rng(d)
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    sigma1, sigma2 = random_covariance(d, rng), random_covariance(d, rng)
    assert not np.allclose(sigma1 @ sigma2, sigma2 @ sigma1)  # they do not commute
    root = scipy.linalg.sqrtm(sigma1 @ sigma2)
    expected = (
        ((mu1 - mu2) ** 2).sum()
        + np.trace(sigma1)
        + np.trace(sigma2)
        - 2 * np.trace(root).real
    )
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, 1e-10)
    # the distance is symmetric in its two Gaussians
    assert frechet_distance(mu2, sigma2, mu1, sigma1) == pytest.approx(expected, 1e-10)


def test_singular_covariance_uses_the_symmetric_square_root():
    """Fewer samples than dimensions: Cholesky fails and eigh takes over."""
    rng = np.random.default_rng(3)
    d = 30
    a = rng.standard_normal((d, 10))  # sigma1 = a a^T has rank 10
    sigma1, sigma2 = a @ a.T, random_covariance(d, rng)
    info = torch.linalg.cholesky_ex(torch.from_numpy(sigma1)).info.item()
    assert info != 0  # the fallback path is the one tested
    # independently: eig(sigma1 sigma2) = eig(a^T sigma2 a) = svd(L2^T a)^2
    chol2 = np.linalg.cholesky(sigma2)
    expected_trace = np.linalg.svd(chol2.T @ a, compute_uv=False).sum()
    value = trace_sqrt_product(torch.from_numpy(sigma1), torch.from_numpy(sigma2))
    assert float(value) == pytest.approx(expected_trace, rel=1e-8)
    mu = np.zeros(d)
    expected = np.trace(sigma1) + np.trace(sigma2) - 2 * expected_trace
    assert frechet_distance(mu, sigma1, mu, sigma2) == pytest.approx(expected, 1e-8)


def test_float32_tensors_and_numpy_give_the_same_value():
    rng = np.random.default_rng(4)
    mu1, mu2 = rng.standard_normal(8), rng.standard_normal(8)
    s1, s2 = random_covariance(8, rng), random_covariance(8, rng)
    s1, s2 = s1.astype(np.float32), s2.astype(np.float32)  # exactly symmetric
    value = frechet_distance(mu1, s1, mu2, s2)
    tensors = [torch.from_numpy(np.asarray(a)) for a in (mu1, s1, mu2, s2)]
    assert frechet_distance(*tensors) == pytest.approx(value, rel=1e-12)


def test_streaming_statistics_equal_numpy_in_one_pass():
    rng = np.random.default_rng(5)
    # a large offset: the naive E[xx^T] - mu mu^T would lose most digits
    x = 1e4 + rng.standard_normal((1003, 17)) @ rng.standard_normal((17, 17))
    stats = GaussianStatistics()
    for start in range(0, len(x), 100):  # batches of 100 and a last one of 3
        stats.update(x[start : start + 100])
    assert stats.count == 1003 and stats.dim == 17
    np.testing.assert_allclose(stats.mean, x.mean(0), rtol=1e-14)
    np.testing.assert_allclose(stats.covariance, np.cov(x, rowvar=False), rtol=1e-9)
    assert np.array_equal(stats.covariance, stats.covariance.T)
    in_one_go = GaussianStatistics.from_features(torch.from_numpy(x), batch_size=64)
    np.testing.assert_allclose(in_one_go.covariance, stats.covariance, rtol=1e-10)


def test_fid_from_features_is_frechet_distance_of_mean_and_cov():
    real, fake = relu_features(500, 24, 0.0, 6), relu_features(400, 24, 0.3, 7)
    expected = frechet_distance(
        real.mean(0),
        np.cov(real, rowvar=False),
        fake.mean(0),
        np.cov(fake, rowvar=False),
    )
    assert fid_from_features(real, fake) == pytest.approx(expected, rel=1e-10)
    assert fid_from_features(real, fake) > 0.5
    streamed = fid_from_statistics(
        GaussianStatistics.from_batches(np.array_split(real, 7)),
        GaussianStatistics.from_batches(np.array_split(fake, 3)),
    )
    assert streamed == pytest.approx(expected, rel=1e-10)


def test_fid_grows_with_the_shift():
    real = relu_features(600, 16, 0.0, 8)
    fids = [fid_from_features(real, relu_features(600, 16, s, 9)) for s in (0, 0.5, 1)]
    assert fids[0] < fids[1] < fids[2]


@pytest.mark.filterwarnings("ignore:The `disp` argument:DeprecationWarning")
def test_agrees_with_pytorch_fid():
    """The 2048-d comparison: python -m gan_lib.benchmarks.fid_speed."""
    from pytorch_fid import fid_score  # in requirements.txt: a missing one fails
    real, fake = relu_features(800, 96, 0.0, 10), relu_features(700, 96, 0.1, 11)
    mu1, s1 = real.mean(0), np.cov(real, rowvar=False)
    mu2, s2 = fake.mean(0), np.cov(fake, rowvar=False)
    reference = fid_score.calculate_frechet_distance(mu1, s1, mu2, s2)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(reference, rel=1e-6)
    assert fid_from_features(real, fake) == pytest.approx(reference, rel=1e-6)


def test_agrees_with_torch_fidelity():
    from torch_fidelity import metric_fid  # in requirements.txt: a missing one fails
    real, fake = relu_features(600, 64, 0.0, 12), relu_features(500, 64, 0.2, 13)
    stats = [
        metric_fid.fid_features_to_statistics(torch.from_numpy(f)) for f in (real, fake)
    ]
    reference = metric_fid.fid_statistics_to_metric(*stats, verbose=False)
    value = reference["frechet_inception_distance"]
    assert fid_from_features(real, fake) == pytest.approx(value, rel=1e-6)


def test_fewer_samples_than_dimensions_warn_and_fewer_than_two_raise():
    real, fake = relu_features(20, 32, 0.0, 14), relu_features(20, 32, 0.1, 15)
    with pytest.warns(UserWarning, match=r"no more samples than dimensions \(N <= d\)"):
        value = fid_from_features(real, fake)
    assert np.isfinite(value) and value >= 0
    with pytest.raises(ValueError, match="at least 2 samples; got 1"):
        fid_from_features(real[:1], fake)
    with pytest.raises(ValueError, match="at least 2 samples; got 1"):
        GaussianStatistics().update(real[:1]).covariance  # noqa: B018
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # N > d: no warning
        fid_from_features(relu_features(40, 32, 0.0, 16), relu_features(40, 32, 0, 17))


def test_as_many_samples_as_dimensions_give_a_singular_covariance_and_warn():
    d = 32
    real, fake = relu_features(d, d, 0.0, 18), relu_features(d + 1, d, 0.1, 19)
    stats = GaussianStatistics.from_features(real)
    # N = d points minus their mean span at most d - 1 directions: rank d - 1
    assert np.linalg.matrix_rank(stats.covariance) == d - 1
    assert np.linalg.eigvalsh(stats.covariance)[0] < 1e-10 * np.trace(stats.covariance)
    with pytest.warns(UserWarning, match=r"32 real samples of dimension 32"):
        value = fid_from_features(real, fake)
    assert np.isfinite(value) and value >= 0
    assert np.linalg.matrix_rank(
        GaussianStatistics.from_features(fake).covariance) == d  # N = d + 1: full rank
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # N = d + 1 on both sides: no warning
        fid_from_features(relu_features(d + 1, d, 0.0, 20), fake)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.zeros(3), np.eye(3), np.zeros(4), np.eye(4)), "same dimension"),
        ((np.zeros((3, 1)), np.eye(3), np.zeros(3), np.eye(3)), "mu1 must have 1 dim"),
        ((np.zeros(3), np.eye(4), np.zeros(3), np.eye(3)), r"sigma1 must have shape"),
        ((np.zeros(3), np.eye(3), np.zeros(3), np.ones((3, 2))), "sigma2 must have"),
        ((np.full(3, np.nan), np.eye(3), np.zeros(3), np.eye(3)), "NaN"),
        ((np.zeros(3), np.eye(3), np.zeros(3), np.triu(np.ones((3, 3)))), "symmetric"),
        ((np.zeros(2), -np.eye(2), np.zeros(2), np.eye(2)), "semi-definite"),
        ((["a", "b"], np.eye(2), np.zeros(2), np.eye(2)), "numpy array or a torch"),
    ],
)
def test_bad_gaussians_raise_clear_errors(args, message):
    with pytest.raises((ValueError, TypeError), match=message):
        frechet_distance(*args)


def test_bad_features_raise_clear_errors():
    good = relu_features(50, 8, 0.0, 18)
    with pytest.raises(ValueError, match=r"same dimension; got real \(50, 8\)"):
        fid_from_features(good, good[:, :7])
    bad = good.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="fake_features contains NaN"):
        fid_from_features(good, bad)
    with pytest.raises(ValueError, match="must have 2 dimensions"):
        fid_from_features(good[0], good)
    stats = GaussianStatistics().update(good)
    with pytest.raises(ValueError, match="dimension 8 like the earlier batches"):
        stats.update(good[:, :4])
