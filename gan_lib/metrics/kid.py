r"""Kernel Inception Distance (KID): an unbiased MMD² between feature sets.

Bińkowski et al. (2018), "Demystifying MMD GANs", Section 4: the squared maximum mean
discrepancy between the real and generated feature distributions under the cubic
polynomial kernel

.. math:: k(x, y) = \Bigl(\tfrac{1}{d}\, x^\top y + 1\Bigr)^3,

estimated without bias from :math:`m` real samples :math:`x_i` and :math:`m` generated
samples :math:`y_j` (Gretton et al., 2012, Lemma 6):

.. math:: \widehat{\mathrm{MMD}}^2_u
   = \frac{1}{m(m-1)} \sum_{i \ne j} k(x_i, x_j)
   + \frac{1}{m(m-1)} \sum_{i \ne j} k(y_i, y_j)
   - \frac{2}{m^2} \sum_{i, j} k(x_i, y_j).

Unlike FID, its expectation does not depend on the number of samples, and it is not
biased upwards: for two samples of one distribution its mean is 0 and single values
are *negative* about half of the time. Negative values are legitimate and reported as
they are, never clamped.

**Which reference it matches.** torch-fidelity's ``kid_features_to_metric``: the
estimate is averaged over ``subsets`` random subsets of ``subset_size`` samples drawn
without replacement from each set, and the spread is the standard deviation over
subsets (``np.std``, ddof 0). The subsets are drawn by
``np.random.RandomState(seed).choice`` in the same order, so the same ``seed``
(default 2020, torch-fidelity's) gives the same subsets and the same value. The
defaults, 100 subsets of 1000, are torch-fidelity's; the paper's own code
(``polynomial_mmd_averages`` in Bińkowski et al.'s repository) averages the same
estimator over 50 subsets of 1000 by default, drawn without a fixed seed.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import Tensor

from gan_lib.errors import check_positive_int
from gan_lib.metrics.checks import ArrayLike, as_feature_pair


def polynomial_kernel(x: Tensor, y: Tensor) -> Tensor:
    """The KID kernel ``(x.y / d + 1)^3``: ``(m, d), (n, d) -> (m, n)``."""
    d = x.shape[1]
    return (x @ y.mT / d + 1) ** 3


def mmd2_unbiased(x: Tensor, y: Tensor) -> Tensor:
    r"""The unbiased estimate :math:`\widehat{\mathrm{MMD}}^2_u` (module docstring).

    Args:
        x: real features, ``(m, d)``, m >= 2.
        y: generated features, ``(n, d)``, n >= 2.

    Returns:
        A float64 scalar tensor; it can be negative.
    """
    m, n = x.shape[0], y.shape[0]
    k_xx = polynomial_kernel(x, x)  # (m, m)
    k_yy = polynomial_kernel(y, y)  # (n, n)
    k_xy = polynomial_kernel(x, y)  # (m, n)
    off_diagonal_xx = k_xx.sum() - k_xx.diagonal().sum()  # sum over i != j
    off_diagonal_yy = k_yy.sum() - k_yy.diagonal().sum()
    return (
        off_diagonal_xx / (m * (m - 1))
        + off_diagonal_yy / (n * (n - 1))
        - 2 * k_xy.sum() / (m * n)
    )


def kid(
    real_features: ArrayLike,
    fake_features: ArrayLike,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 2020,
) -> tuple[float, float]:
    """KID: the mean and standard deviation of MMD² over random subsets.

    Args:
        real_features: ``(N, d)`` features of real samples.
        fake_features: ``(M, d)`` features of generated samples.
        subsets: how many random subsets to average over (100: torch-fidelity's
            default; the paper's code uses 50).
        subset_size: samples per subset drawn from each set (1000 in both);
            capped at ``min(N, M)`` with a ``UserWarning`` when larger.
        seed: seeds the subset draws (``np.random.RandomState``), so a result is
            reproducible; 2020 is torch-fidelity's default.

    Returns:
        ``(mean, std)`` over subsets, in the units of MMD² (papers often print
        ``1000 * KID``). The mean can be negative.
    """
    real, fake = as_feature_pair(real_features, fake_features, min_samples=2)
    check_positive_int("subsets", subsets)
    check_positive_int("subset_size", subset_size)
    if subset_size < 2:
        raise ValueError(f"subset_size must be at least 2; got {subset_size}")
    n_real, n_fake = real.shape[0], fake.shape[0]
    if subset_size > min(n_real, n_fake):
        warnings.warn(
            f"KID subset_size {subset_size} is larger than the sample counts "
            f"({n_real} real, {n_fake} fake); using subset_size={min(n_real, n_fake)}",
            UserWarning,
            stacklevel=2,
        )
        subset_size = min(n_real, n_fake)
    rng = np.random.RandomState(seed)
    estimates = torch.empty(subsets, dtype=torch.float64)
    for s in range(subsets):
        real_index = rng.choice(n_real, subset_size, replace=False)  # (m,)
        fake_index = rng.choice(n_fake, subset_size, replace=False)  # (m,)
        estimates[s] = mmd2_unbiased(
            real[torch.from_numpy(real_index).to(real.device)],
            fake[torch.from_numpy(fake_index).to(fake.device)],
        )
    return float(estimates.mean()), float(estimates.std(correction=0))
