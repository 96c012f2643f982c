r"""The exact Wasserstein-1 distance between two 1-D samples."""

from __future__ import annotations

import numpy as np
import torch

# --- the Wasserstein-1 distance between 1-D samples ----------------------------------


def _as_samples(name: str, a: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1 or a.size == 0:
        raise ValueError(
            f"{name} must be 1-D samples of shape (N,) or (N, 1); got {a.shape}"
        )
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def wasserstein_1d(x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor) -> float:
    r"""The exact Wasserstein-1 distance between two 1-D empirical distributions.

    In one dimension the optimal coupling is monotone, so
    :math:`W_1(P, Q) = \int_0^1 |F_P^{-1}(u) - F_Q^{-1}(u)|\,du
    = \int_{\mathbb R} |F_P(t) - F_Q(t)|\,dt`, computed here from the two empirical
    CDFs (any sample sizes; for equal sizes it is the mean of
    ``|sort(x) - sort(y)|``). ``x``: ``(N,)`` or ``(N, 1)``; ``y``: ``(M,)`` or
    ``(M, 1)``.
    """
    x, y = np.sort(_as_samples("x", x)), np.sort(_as_samples("y", y))
    grid = np.concatenate([x, y])
    grid.sort(kind="mergesort")
    cdf_x = np.searchsorted(x, grid[:-1], side="right") / x.size
    cdf_y = np.searchsorted(y, grid[:-1], side="right") / y.size
    return float(np.sum(np.abs(cdf_x - cdf_y) * np.diff(grid)))
