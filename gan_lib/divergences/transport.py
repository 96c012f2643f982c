r"""Optimal transport between discrete distributions, solved exactly.

The Wasserstein-1 distance between :math:`P = \sum_i a_i \delta_{x_i}` and
:math:`Q = \sum_j b_j \delta_{y_j}` is a linear program (Kantorovich, 1942) over
*couplings*, the non-negative matrices :math:`\pi` whose rows sum to :math:`a` and whose
columns sum to :math:`b`:

.. math:: W_1(P, Q) = \min_{\pi \ge 0,\; \pi 1 = a,\; \pi^\top 1 = b}
          \sum_{ij} \pi_{ij}\, c(x_i, y_j).

Its linear-programming dual runs over pairs of *potentials* :math:`f \in \mathbb R^n`,
:math:`g \in \mathbb R^m`:

.. math:: \max_{f_i - g_j \le c(x_i, y_j)} \; \sum_i a_i f_i - \sum_j b_j g_j,

and when :math:`c` is a metric the *c-transform*
:math:`\varphi(z) = \min_j \{ g_j + c(z, y_j) \}` turns any feasible pair into one
1-Lipschitz function with at least the same value: the Kantorovich-Rubinstein duality
(Villani, 2009, Chapters 5 and 6). The book proves it for discrete measures
in Chapter 4, and the lab checks it with the functions of this module:

* :func:`cost_matrix`: the ground cost :math:`c(x_i, y_j) = \lVert x_i - y_j \rVert_2`;
* :func:`primal_transport`: the optimal coupling (``scipy.optimize.linprog``, HiGHS);
* :func:`dual_transport`: the optimal potentials, solved as their own LP;
* :func:`c_transform`: the 1-Lipschitz potential built from ``g``;
* :func:`wasserstein_assignment`: :math:`W_1` between two clouds of equally many,
  equally weighted points, as an assignment problem (Birkhoff's theorem), fast enough
  for a few thousand points.

Everything is computed in float64 on the CPU with NumPy and SciPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import sparse
from scipy.optimize import linear_sum_assignment, linprog
from scipy.spatial.distance import cdist

ArrayLike = np.ndarray | torch.Tensor

# HiGHS stops at feasibility tolerances of 1e-7 by default; the lab compares the primal
# and dual optima to 1e-8, so both solves are asked for 1e-10.
_HIGHS_OPTIONS = {
    "primal_feasibility_tolerance": 1e-10,
    "dual_feasibility_tolerance": 1e-10,
}


@dataclass(frozen=True)
class TransportPlan:
    """The solution of the primal problem: the optimal cost and coupling ``(n, m)``."""

    cost: float
    coupling: np.ndarray


@dataclass(frozen=True)
class TransportDual:
    r"""The solution of the dual problem: its value :math:`\sum_i a_i f_i -
    \sum_j b_j g_j` and the potentials ``f`` ``(n,)`` (on the x's) and ``g`` ``(m,)``
    (on the y's), with :math:`f_i - g_j \le c(x_i, y_j)`."""

    value: float
    f: np.ndarray
    g: np.ndarray


def _as_points(name: str, a: ArrayLike) -> np.ndarray:
    """Points as a float64 array ``(N, d)``; 1-D input ``(N,)`` becomes ``(N, 1)``."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(
            f"{name} must be points of shape (N, d) or (N,); got {a.shape}"
        )
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def _as_weights(name: str, w: ArrayLike | None, n: int) -> np.ndarray:
    """Probability weights ``(n,)``: uniform when ``w`` is None."""
    if w is None:
        return np.full(n, 1.0 / n)
    if isinstance(w, torch.Tensor):
        w = w.detach().cpu().numpy()
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(
            f"{name} must have shape ({n},), one weight per point; got {w.shape}"
        )
    if not np.isfinite(w).all() or w.min() < 0 or abs(w.sum() - 1) > 1e-9:
        raise ValueError(
            f"{name} must be non-negative and sum to 1; "
            f"got min {w.min()} and sum {w.sum()}"
        )
    return w


def _check_cost(cost: ArrayLike) -> np.ndarray:
    if isinstance(cost, torch.Tensor):
        cost = cost.detach().cpu().numpy()
    cost = np.asarray(cost, dtype=np.float64)
    if cost.ndim != 2 or 0 in cost.shape:
        raise ValueError(f"cost must be a matrix (n, m); got shape {cost.shape}")
    if not np.isfinite(cost).all():
        raise ValueError("cost contains NaN or infinite values")
    return cost


def cost_matrix(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""The Euclidean ground cost :math:`C_{ij} = \lVert x_i - y_j \rVert_2`.

    ``x``: ``(n, d)`` or ``(n,)``; ``y``: ``(m, d)`` or ``(m,)``. Returns ``(n, m)``.
    """
    x, y = _as_points("x", x), _as_points("y", y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must live in the same space; got dimensions {x.shape[1]} and "
            f"{y.shape[1]}"
        )
    return cdist(x, y)  # (n, m)


def primal_transport(
    cost: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None
) -> TransportPlan:
    r"""Kantorovich's problem: the cheapest coupling of ``a`` and ``b``.

    .. math:: \min_{\pi \in \mathbb R^{n \times m}} \sum_{ij} C_{ij} \pi_{ij}
              \quad \text{s.t.} \quad \sum_j \pi_{ij} = a_i,\;
              \sum_i \pi_{ij} = b_j,\; \pi_{ij} \ge 0.

    Args:
        cost: the ground cost ``(n, m)``, e.g. :func:`cost_matrix`.
        a: weights of the rows ``(n,)``, summing to 1 (default uniform).
        b: weights of the columns ``(m,)``, summing to 1 (default uniform).
    """
    cost = _check_cost(cost)
    n, m = cost.shape
    a, b = _as_weights("a", a, n), _as_weights("b", b, m)
    # pi is flattened row-major: variable i * m + j is pi_ij
    rows = sparse.kron(sparse.eye(n), np.ones((1, m)))  # (n, n*m): sum over j
    cols = sparse.kron(np.ones((1, n)), sparse.eye(m))  # (m, n*m): sum over i
    a_eq = sparse.vstack([rows, cols]).tocsr()
    b_eq = np.concatenate([a, b])
    res = linprog(
        cost.ravel(),
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=(0, None),
        method="highs",
        options=_HIGHS_OPTIONS,
    )
    if res.status != 0:
        raise RuntimeError(f"the transport LP was not solved: {res.message}")
    coupling = np.maximum(res.x.reshape(n, m), 0.0)  # (n, m); clears -0 round-off
    return TransportPlan(cost=float(res.fun), coupling=coupling)


def dual_transport(
    cost: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None
) -> TransportDual:
    r"""The dual of :func:`primal_transport`, solved as its own linear program.

    .. math:: \max_{f \in \mathbb R^n,\, g \in \mathbb R^m}
              \sum_i a_i f_i - \sum_j b_j g_j
              \quad \text{s.t.} \quad f_i - g_j \le C_{ij}.

    The value is unchanged by ``f, g -> f + t, g + t``; the solver returns one of the
    optimal pairs. Arguments as in :func:`primal_transport`.
    """
    cost = _check_cost(cost)
    n, m = cost.shape
    a, b = _as_weights("a", a, n), _as_weights("b", b, m)
    # variables (f_1..f_n, g_1..g_m); constraint row i * m + j reads f_i - g_j <= C_ij
    pick_f = sparse.kron(sparse.eye(n), np.ones((m, 1)))  # (n*m, n): selects f_i
    pick_g = sparse.kron(np.ones((n, 1)), sparse.eye(m))  # (n*m, m): selects g_j
    a_ub = sparse.hstack([pick_f, -pick_g]).tocsr()
    objective = -np.concatenate([a, -b])  # linprog minimizes
    res = linprog(
        objective,
        A_ub=a_ub,
        b_ub=cost.ravel(),
        bounds=(None, None),
        method="highs",
        options=_HIGHS_OPTIONS,
    )
    if res.status != 0:
        raise RuntimeError(f"the dual transport LP was not solved: {res.message}")
    f, g = res.x[:n], res.x[n:]
    return TransportDual(value=float(-res.fun), f=f, g=g)


def c_transform(z: ArrayLike, y: ArrayLike, g: ArrayLike) -> np.ndarray:
    r"""The c-transform of the potential ``g`` for the Euclidean cost, at points ``z``.

    .. math:: \varphi(z) = \min_j \{ g_j + \lVert z - y_j \rVert_2 \}

    A minimum of 1-Lipschitz functions, so :math:`\varphi` is 1-Lipschitz;
    :math:`\varphi(y_j) \le g_j`, and :math:`\varphi(x_i) \ge f_i` for every ``f``
    with :math:`f_i - g_j \le \lVert x_i - y_j \rVert`. ``z``: ``(k, d)``,
    ``y``: ``(m, d)``, ``g``: ``(m,)``. Returns ``(k,)``.
    """
    y = _as_points("y", y)
    if isinstance(g, torch.Tensor):
        g = g.detach().cpu().numpy()
    g = np.asarray(g, dtype=np.float64)
    if g.shape != (y.shape[0],):
        raise ValueError(
            f"g must have shape ({y.shape[0]},), one value per y; got {g.shape}"
        )
    return (g[None, :] + cost_matrix(z, y)).min(axis=1)  # (k,)


def wasserstein_assignment(x: ArrayLike, y: ArrayLike) -> float:
    r""":math:`W_1` between two clouds of equally many, equally weighted points.

    With :math:`a = b = 1/n` the optimal coupling can be taken to be a permutation
    matrix divided by :math:`n` (the vertices of the Birkhoff polytope), so
    :math:`W_1 = \min_\sigma \frac1n \sum_i \lVert x_i - y_{\sigma(i)} \rVert`, solved
    exactly by ``scipy.optimize.linear_sum_assignment``. ``x``, ``y``: ``(n, d)``.
    """
    x, y = _as_points("x", x), _as_points("y", y)
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            "wasserstein_assignment needs equally many points in x and y; got "
            f"{x.shape[0]} and {y.shape[0]} (use primal_transport for unequal sizes)"
        )
    cost = cost_matrix(x, y)
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())
