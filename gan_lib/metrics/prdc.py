r"""Precision, recall, density and coverage: fidelity and diversity, separately.

FID mixes two failures into one number: samples that look wrong (low *fidelity*) and
samples that miss parts of the data (low *diversity*). These metrics estimate each
set's manifold by k-nearest-neighbour balls in feature space and ask how the other set
falls into it. With :math:`\mathrm{NN}_k(x)` the distance from :math:`x` to its k-th
nearest neighbour in its own set (itself excluded) and
:math:`B(x, r) = \{u : \lVert u - x \rVert \le r\}`:

* **precision** (Kynkäänniemi et al., 2019, "Improved Precision and Recall Metric for
  Assessing Generative Models"): the fraction of generated :math:`y_j` inside
  :math:`\bigcup_i B(x_i, \mathrm{NN}_k(x_i))`, the real manifold; **recall**: the
  fraction of real :math:`x_i` inside the generated manifold
  :math:`\bigcup_j B(y_j, \mathrm{NN}_k(y_j))`. The paper uses k = 3.
* **density** (Naeem et al., 2020, "Reliable Fidelity and Diversity Metrics for
  Generative Models"): :math:`\frac{1}{kM} \sum_j \sum_i
  1[y_j \in B(x_i, \mathrm{NN}_k(x_i))]`, which counts how many real balls hold each
  sample (about 1 when the two distributions agree, unbounded above, robust to real
  outliers); **coverage**: the fraction of real :math:`x_i` whose ball holds at least
  one generated sample, :math:`\frac1N \sum_i 1[\exists j: y_j \in B(x_i,
  \mathrm{NN}_k(x_i))]`. The paper uses k = 5.

**Which reference it matches.** Precision and recall equal torch-fidelity's
``prc_features_to_metric``, whose ``<=`` test follows the paper's code. Density and
coverage follow Naeem et al.'s ``prdc`` package except that the balls are closed
(``<=``) here, as for precision, where ``prdc`` uses ``<``; the two differ only for
samples exactly on a ball's boundary (duplicates).

Distances are float64 and computed in ``block_size x block_size`` blocks, so memory
stays bounded for 50,000 samples per set; the result does not depend on the block size.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gan_lib.errors import check_positive_int
from gan_lib.metrics.checks import ArrayLike, as_feature_pair

BLOCK_SIZE = 2048  # rows and columns of one block of distances (32 MiB in float64)


def squared_distances(a: Tensor, b: Tensor) -> Tensor:
    """Squared Euclidean distances ``(p, d), (q, d) -> (p, q)``, clamped at 0.

    Uses ``|a|^2 - 2 a.b + |b|^2`` (one matrix product); the callers centre the
    features first to keep the cancellation small.
    """
    d2 = a.square().sum(1)[:, None] - 2 * a @ b.mT + b.square().sum(1)[None, :]
    return d2.clamp(min=0)


def _block_starts(n: int, block_size: int) -> range:
    return range(0, n, block_size)


def knn_radii_squared(x: Tensor, k: int, block_size: int = BLOCK_SIZE) -> Tensor:
    """Squared distance from each row of ``x`` to its k-th nearest other row.

    Args:
        x: ``(N, d)`` float64, with N > k.
        k: which neighbour (1 = nearest); the point itself is never its own neighbour.

    Returns:
        ``(N,)`` float64.
    """
    n = x.shape[0]
    radii = torch.empty(n, dtype=x.dtype, device=x.device)
    for i in _block_starts(n, block_size):
        rows = x[i : i + block_size]  # (b, d)
        nearest = rows.new_full((rows.shape[0], k), float("inf"))  # k smallest so far
        for j in _block_starts(n, block_size):
            d2 = squared_distances(rows, x[j : j + block_size])  # (b, b')
            low, high = max(i, j), min(i + d2.shape[0], j + d2.shape[1])
            if low < high:  # the block holds some points' distances to themselves
                same = torch.arange(low, high, device=x.device)
                d2[same - i, same - j] = float("inf")  # a point is not its neighbour
            candidates = torch.cat([nearest, d2], dim=1)  # (b, k + b')
            nearest = candidates.topk(k, dim=1, largest=False).values
        radii[i : i + block_size] = nearest.max(dim=1).values  # the k-th smallest
    return radii


def _prepare(
    real_features: ArrayLike, fake_features: ArrayLike, k: int, block_size: int
) -> tuple[Tensor, Tensor]:
    check_positive_int("k", k)
    check_positive_int("block_size", block_size)
    real, fake = as_feature_pair(real_features, fake_features, min_samples=1)
    for name, x in (("real_features", real), ("fake_features", fake)):
        if x.shape[0] <= k:
            raise ValueError(
                f"{name} needs more than k = {k} samples for k-nearest-neighbour "
                f"radii; got {x.shape[0]}"
            )
    centre = real.mean(0)  # distances are translation invariant; centring helps
    return real - centre, fake - centre


def precision_recall(
    real_features: ArrayLike,
    fake_features: ArrayLike,
    k: int = 3,
    block_size: int = BLOCK_SIZE,
) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019).

    Args:
        real_features: ``(N, d)``, N > k.
        fake_features: ``(M, d)``, M > k.
        k: the neighbour that sets each ball's radius (3 in the paper).
        block_size: rows and columns of one block of distances.

    Returns:
        ``(precision, recall)``, each in ``[0, 1]``.
    """
    real, fake = _prepare(real_features, fake_features, k, block_size)
    radii_real = knn_radii_squared(real, k, block_size)  # (N,)
    radii_fake = knn_radii_squared(fake, k, block_size)  # (M,)
    fake_in_real_manifold = torch.zeros(
        fake.shape[0], dtype=torch.bool, device=fake.device
    )
    real_in_fake_manifold = torch.zeros(
        real.shape[0], dtype=torch.bool, device=real.device
    )
    for i in _block_starts(real.shape[0], block_size):
        for j in _block_starts(fake.shape[0], block_size):
            d2 = squared_distances(real[i : i + block_size], fake[j : j + block_size])
            in_real_ball = d2 <= radii_real[i : i + block_size, None]  # (b, b')
            in_fake_ball = d2 <= radii_fake[None, j : j + block_size]
            fake_in_real_manifold[j : j + block_size] |= in_real_ball.any(dim=0)
            real_in_fake_manifold[i : i + block_size] |= in_fake_ball.any(dim=1)
    precision = fake_in_real_manifold.double().mean()
    recall = real_in_fake_manifold.double().mean()
    return float(precision), float(recall)


def density_coverage(
    real_features: ArrayLike,
    fake_features: ArrayLike,
    k: int = 5,
    block_size: int = BLOCK_SIZE,
) -> tuple[float, float]:
    """Density and coverage (Naeem et al., 2020), from the real balls only.

    Args:
        real_features: ``(N, d)``, N > k.
        fake_features: ``(M, d)``, M > k.
        k: the neighbour that sets each real ball's radius (5 in the paper).
        block_size: rows and columns of one block of distances.

    Returns:
        ``(density, coverage)``: density >= 0 (about 1 for matching distributions),
        coverage in ``[0, 1]``.
    """
    real, fake = _prepare(real_features, fake_features, k, block_size)
    radii_real = knn_radii_squared(real, k, block_size)  # (N,)
    balls_holding = torch.zeros(fake.shape[0], dtype=torch.float64, device=fake.device)
    nearest_fake = torch.full_like(radii_real, float("inf"))  # (N,)
    for i in _block_starts(real.shape[0], block_size):
        for j in _block_starts(fake.shape[0], block_size):
            d2 = squared_distances(real[i : i + block_size], fake[j : j + block_size])
            in_real_ball = d2 <= radii_real[i : i + block_size, None]  # (b, b')
            balls_holding[j : j + block_size] += in_real_ball.sum(dim=0)
            nearest_fake[i : i + block_size] = torch.minimum(
                nearest_fake[i : i + block_size], d2.min(dim=1).values
            )
    density = balls_holding.sum() / (k * fake.shape[0])
    coverage = (nearest_fake <= radii_real).double().mean()
    return float(density), float(coverage)
