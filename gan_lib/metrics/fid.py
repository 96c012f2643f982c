r"""Fréchet Inception Distance (FID): the Fréchet distance between two Gaussians.

Heusel et al. (2017), "GANs Trained by a Two Time-Scale Update Rule Converge to a
Local Nash Equilibrium", fit a Gaussian to the features of real and of generated
samples and report the Fréchet (2-Wasserstein) distance between the two:

.. math:: d^2 = \lVert \mu_1 - \mu_2 \rVert^2
   + \operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2
   - 2 \operatorname{tr}\bigl(\Sigma_1 \Sigma_2\bigr)^{1/2}.

**Which reference it matches.** The value of pytorch-fid's
``calculate_frechet_distance`` (the TTUR reference code ported to PyTorch) on the same
statistics: means and ``np.cov(features, rowvar=False)`` covariances (``ddof = 1``),
in float64. It differs in how the trace of the square root is computed. The
references take ``scipy.linalg.sqrtm`` of the non-symmetric product
:math:`\Sigma_1\Sigma_2`, a complex Schur decomposition whose imaginary round-off
they then discard. Here the trace comes from the eigenvalues of a *symmetric* matrix
with the same eigenvalues (:func:`trace_sqrt_product`), which is exact in exact
arithmetic, real by construction, and an order of magnitude faster
(``python -m gan_lib.benchmarks.fid_speed``).

Statistics of many samples are accumulated batch by batch in float64
(:class:`GaussianStatistics`), so 50,000 x 2048 features never sit in memory at once.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import torch
from torch import Tensor

from gan_lib.metrics.checks import ArrayLike, as_features, as_float64_tensor

SYMMETRY_RTOL = 1e-5  # |S - S^T| <= rtol * max|S|: float32 covariances pass


def _check_gaussian(
    which: str, mu: ArrayLike, sigma: ArrayLike
) -> tuple[Tensor, Tensor]:
    """``mu`` (d,) and a symmetric ``sigma`` (d, d) as float64 tensors."""
    mu_t = as_float64_tensor(f"mu{which}", mu, ndim=1)
    sigma_t = as_float64_tensor(f"sigma{which}", sigma, ndim=2)
    d = mu_t.shape[0]
    if d == 0:
        raise ValueError(f"mu{which} must have at least one dimension; got shape (0,)")
    if tuple(sigma_t.shape) != (d, d):
        raise ValueError(
            f"sigma{which} must have shape ({d}, {d}) to match mu{which} of shape "
            f"({d},); got {tuple(sigma_t.shape)}"
        )
    sigma_t = sigma_t.to(mu_t.device)
    asymmetry = (sigma_t - sigma_t.mT).abs().max().item()
    scale = sigma_t.abs().max().item()
    if asymmetry > SYMMETRY_RTOL * scale:
        raise ValueError(
            f"sigma{which} must be a symmetric covariance matrix; got "
            f"max |S - S^T| = {asymmetry:.3g} for max |S| = {scale:.3g}"
        )
    if sigma_t.diagonal().min().item() < -SYMMETRY_RTOL * scale:
        raise ValueError(
            f"sigma{which} must be positive semi-definite; got a negative diagonal "
            f"entry {sigma_t.diagonal().min().item():.3g}"
        )
    return mu_t, (sigma_t + sigma_t.mT) / 2  # exactly symmetric from here on


def trace_sqrt_product(sigma1: Tensor, sigma2: Tensor) -> Tensor:
    r""":math:`\operatorname{tr}(\Sigma_1\Sigma_2)^{1/2}` for symmetric PSD matrices.

    :math:`AB` and :math:`BA` have the same eigenvalues. With the Cholesky factor
    :math:`\Sigma_1 = LL^\top`, :math:`\Sigma_1\Sigma_2 = L\,(L^\top\Sigma_2)` has the
    eigenvalues of :math:`L^\top \Sigma_2 L`, a symmetric PSD matrix: they are real
    and non-negative, and the trace of the square root is the sum of their square
    roots. When :math:`\Sigma_1` is singular (no more samples than dimensions, a
    constant feature) Cholesky fails and the symmetric square root
    :math:`\Sigma_1^{1/2}` from ``eigh`` plays the part of :math:`L`.
    Eigenvalues within round-off of 0 (negative ones included) are set to 0 before
    the square root.

    Args:
        sigma1, sigma2: symmetric PSD float64 matrices, ``(d, d)``.

    Returns:
        A float64 scalar tensor.
    """
    factor, info = torch.linalg.cholesky_ex(sigma1)  # sigma1 = factor @ factor.T
    if info.item() != 0:  # not positive definite: use the symmetric square root
        eigenvalues, eigenvectors = torch.linalg.eigh(sigma1)
        root = _round_off_to_zero(eigenvalues).sqrt()
        factor = (eigenvectors * root) @ eigenvectors.mT  # sigma1^(1/2), symmetric
    similar = factor.mT @ sigma2 @ factor  # (d, d), same eigenvalues as sigma1 sigma2
    similar = (similar + similar.mT) / 2  # remove round-off asymmetry
    eigenvalues = _round_off_to_zero(torch.linalg.eigvalsh(similar))
    return eigenvalues.sqrt().sum()


def _round_off_to_zero(eigenvalues: Tensor) -> Tensor:
    """Eigenvalues of a PSD matrix, with those within round-off of 0 set to 0.

    A zero eigenvalue comes out of ``eigh`` as about ``+-d eps lambda_max``; its
    square root, ``sqrt(d eps lambda_max)``, would add up over many of them (for a
    singular covariance) to a visible error. Below that tolerance, 0 is the answer.
    """
    d = eigenvalues.shape[0]
    tolerance = d * torch.finfo(eigenvalues.dtype).eps * eigenvalues.abs().max()
    return torch.where(eigenvalues > tolerance, eigenvalues, 0.0)


def frechet_distance(
    mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike
) -> float:
    r"""The Fréchet distance :math:`d^2` between :math:`\mathcal N(\mu_1, \Sigma_1)` and
    :math:`\mathcal N(\mu_2, \Sigma_2)` (module docstring), in float64.

    Args:
        mu1, mu2: means, ``(d,)``; NumPy arrays or torch tensors.
        sigma1, sigma2: symmetric PSD covariances, ``(d, d)``.

    Returns:
        A Python float >= 0; exactly 0.0 for identical statistics.
    """
    mu1_t, sigma1_t = _check_gaussian("1", mu1, sigma1)
    mu2_t, sigma2_t = _check_gaussian("2", mu2, sigma2)
    if mu1_t.shape != mu2_t.shape:
        raise ValueError(
            "the two Gaussians must have the same dimension; got "
            f"mu1 {tuple(mu1_t.shape)} and mu2 {tuple(mu2_t.shape)}"
        )
    mu2_t, sigma2_t = mu2_t.to(mu1_t.device), sigma2_t.to(mu1_t.device)
    if torch.equal(mu1_t, mu2_t) and torch.equal(sigma1_t, sigma2_t):
        return 0.0  # the formula would give 0 up to round-off: make it exact
    mean_term = (mu1_t - mu2_t).square().sum()  # |mu1 - mu2|^2
    trace_term = sigma1_t.trace() + sigma2_t.trace()
    value = mean_term + trace_term - 2 * trace_sqrt_product(sigma1_t, sigma2_t)
    return max(float(value), 0.0)  # a distance: clamp round-off below 0


class GaussianStatistics:
    r"""Running mean and covariance of features, accumulated batch by batch.

    Keeps :math:`n`, :math:`\sum_i (x_i - c)` and :math:`\sum_i (x_i - c)(x_i - c)^\top`
    in float64, where the shift :math:`c` is the mean of the first batch: shifting
    by a value close to the mean avoids the cancellation of the naive
    :math:`E[xx^\top] - \mu\mu^\top`. The covariance is the unbiased one of
    ``np.cov(features, rowvar=False)`` (divisor :math:`n - 1`). Batches stay on
    their device (a GPU accumulates on the GPU).

    >>> stats = GaussianStatistics()
    >>> for batch in batches:  # doctest: +SKIP
    ...     stats.update(extractor.features(batch))
    """

    def __init__(self) -> None:
        self.count = 0
        self._shift: Tensor | None = None  # (d,)
        self._sum: Tensor | None = None  # (d,)  sum of (x - shift)
        self._outer: Tensor | None = None  # (d, d) sum of (x - shift)(x - shift)^T

    @property
    def dim(self) -> int | None:
        """The feature dimension, or None before the first batch."""
        return None if self._shift is None else int(self._shift.shape[0])

    def update(self, features: ArrayLike) -> GaussianStatistics:
        """Add a batch of features, ``(B, d)``; returns ``self``."""
        x = as_features("features", features)  # (B, d) float64
        if self._shift is None:
            self._shift = x.mean(0)
            self._sum = torch.zeros_like(self._shift)
            self._outer = x.new_zeros(x.shape[1], x.shape[1])
        elif x.shape[1] != self.dim:
            raise ValueError(
                f"features must have dimension {self.dim} like the earlier batches; "
                f"got shape {tuple(x.shape)}"
            )
        centred = x.to(self._shift.device) - self._shift  # (B, d)
        self._sum += centred.sum(0)
        self._outer += centred.mT @ centred
        self.count += x.shape[0]
        return self

    def _require(self, minimum: int, what: str) -> None:
        if self.count < minimum:
            raise ValueError(
                f"the {what} needs at least {minimum} samples; got {self.count}"
            )

    @property
    def mean(self) -> np.ndarray:
        """The sample mean, ``(d,)`` float64."""
        self._require(1, "mean")
        return (self._shift + self._sum / self.count).cpu().numpy()

    @property
    def covariance(self) -> np.ndarray:
        """The unbiased sample covariance, ``(d, d)`` float64 (``np.cov``, ddof 1)."""
        self._require(2, "covariance")
        n, s = self.count, self._sum
        cov = (self._outer - torch.outer(s, s) / n) / (n - 1)  # shift cancels exactly
        return ((cov + cov.mT) / 2).cpu().numpy()

    @classmethod
    def from_features(
        cls, features: ArrayLike, batch_size: int = 10_000
    ) -> GaussianStatistics:
        """Statistics of a whole ``(N, d)`` matrix, ``batch_size`` rows at a time."""
        x = as_features("features", features)
        stats = cls()
        for start in range(0, x.shape[0], batch_size):
            stats.update(x[start : start + batch_size])
        return stats

    @classmethod
    def from_batches(cls, batches: Iterable[ArrayLike]) -> GaussianStatistics:
        """Statistics of an iterable of ``(B, d)`` feature batches."""
        stats = cls()
        for batch in batches:
            stats.update(batch)
        return stats


def fid_from_statistics(real: GaussianStatistics, fake: GaussianStatistics) -> float:
    r"""FID between the Gaussians fitted to two feature sets' statistics.

    A sample covariance of :math:`N` points has rank at most :math:`N - 1` (the
    points minus their mean span at most :math:`N - 1` directions), so with
    :math:`N \le d` samples in dimension :math:`d` it is singular; FID is still
    defined but strongly biased upwards, so a ``UserWarning`` says so. FID needs
    :math:`N > d` (in practice :math:`N \gg d`).
    """
    for name, stats in (("real", real), ("fake", fake)):
        stats._require(2, f"{name} covariance")
        if stats.count <= stats.dim:
            warnings.warn(
                f"FID with {stats.count} {name} samples of dimension {stats.dim}: "
                "no more samples than dimensions (N <= d) make the covariance "
                "singular (rank <= N - 1) and the estimate strongly biased; use "
                "N > d and compare only equal sample counts",
                UserWarning,
                stacklevel=3,
            )
    if real.dim != fake.dim:
        raise ValueError(
            "real and fake features must have the same dimension; got "
            f"{real.dim} and {fake.dim}"
        )
    return frechet_distance(real.mean, real.covariance, fake.mean, fake.covariance)


def fid_from_features(real_features: ArrayLike, fake_features: ArrayLike) -> float:
    """FID between two feature sets, ``(N, d)`` and ``(M, d)``; N, M >= 2."""
    real = as_features("real_features", real_features, min_samples=2)
    fake = as_features("fake_features", fake_features, min_samples=2)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            "real and fake features must have the same dimension; got "
            f"real {tuple(real.shape)} and fake {tuple(fake.shape)}"
        )
    return fid_from_statistics(
        GaussianStatistics.from_features(real), GaussianStatistics.from_features(fake)
    )
