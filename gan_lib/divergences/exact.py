r"""Exact f-divergences between two 1-D densities, and the exact value of the
variational lower bound for a given critic, both by quadrature."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
from scipy import integrate

from gan_lib.divergences.f_divergences import Density, FDivergence, get

# --- exact values between two 1-D densities, by quadrature ----------------------------


def _at_point(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[float], float]:
    """A vectorized function of ``x (N,)`` as the scalar function ``quad`` calls."""

    def scalar(x: float) -> float:
        return float(fn(np.array([x]))[0])

    return scalar


def _evaluate(
    name: str, fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray
) -> np.ndarray:
    """``fn(x)`` as float64, refusing a function that is not vectorized."""
    values = np.asarray(fn(x), dtype=np.float64)
    if values.shape != x.shape:
        raise ValueError(
            f"{name} must be vectorized: called on x of shape {x.shape} it must "
            f"return an array of that shape; got shape {values.shape}"
        )
    return values


def _check_density(name: str, density: Density, lo: float, hi: float) -> None:
    """Fail early, and clearly, on a density that is not a vectorized, non-negative,
    normalized function of ``x`` on ``(lo, hi)``."""
    if not callable(density):
        raise TypeError(f"{name} must be a callable x -> density; got {type(density)}")
    values = _evaluate(name, density, np.linspace(lo, hi, 257))
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError(
            f"{name} must return finite, non-negative densities on the support; got "
            f"values in [{np.nanmin(values):.4g}, {np.nanmax(values):.4g}]"
        )
    mass, _ = integrate.quad(_at_point(density), lo, hi, limit=200)
    if abs(mass - 1) > 1e-3:
        raise ValueError(
            f"{name} integrates to {mass:.6f} over the support ({lo}, {hi}), not 1: "
            "pass a normalized density and a support holding all of its mass (e.g. "
            "GaussianMixture1D.support())"
        )


def _check_support(
    support: tuple[float, float], points: Sequence[float] | None
) -> tuple[float, float, list[float]]:
    try:
        lo, hi = (float(s) for s in support)
    except (TypeError, ValueError):
        raise ValueError(f"support must be a pair (lo, hi); got {support!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise ValueError(
            f"support must be a finite interval (lo, hi) with lo < hi; got ({lo}, {hi})"
        )
    inner = sorted(float(x) for x in (points or ()) if lo < float(x) < hi)
    return lo, hi, inner


def _integrate(
    integrand: Callable[[np.ndarray], np.ndarray],
    lo: float,
    hi: float,
    points: list[float],
) -> float:
    """``quad`` piece by piece between the breakpoints, after a dense look at the
    integrand: an infinite value there makes the integral infinite."""
    grid = np.unique(np.concatenate([np.linspace(lo, hi, 4097), points]))
    values = integrand(grid)
    if np.isnan(values).any():
        raise ValueError("the integrand is NaN somewhere on the support")
    if np.isinf(values).any():
        return float(values[np.isinf(values)][0])  # +inf or -inf
    edges = [lo, *points, hi]
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            value, _ = integrate.quad(
                _at_point(integrand), a, b, limit=500, epsabs=1e-11, epsrel=1e-10
            )
        total += value
    return total


def _integrate_panels(
    integrand: Callable[[np.ndarray], np.ndarray],
    lo: float,
    hi: float,
    points: list[float],
    tol: float = 1e-9,
) -> float:
    """Composite 8-point Gauss-Legendre on ``(lo, hi)`` split at ``points``, in one
    vectorized call per pass; the panels double until two passes agree within ``tol``
    (absolute, or relative to the value)."""
    nodes, weights = np.polynomial.legendre.leggauss(8)  # on [-1, 1]
    edges = np.array([lo, *points, hi])
    previous = math.nan
    for panels in (2**k for k in range(11, 17)):
        # panels per piece in proportion to its length, at least 8
        shares = np.diff(edges) / (hi - lo)
        counts = np.maximum(8, np.round(panels * shares)).astype(int)
        cuts = np.concatenate(
            [np.linspace(a, b, n + 1)[:-1] for a, b, n in zip(edges, edges[1:], counts)]
            + [edges[-1:]]
        )  # (P + 1,) panel boundaries
        half = np.diff(cuts)[:, None] / 2  # (P, 1)
        x = (cuts[:-1, None] + half + half * nodes[None, :]).ravel()  # (P * 8,)
        values = integrand(x).reshape(half.shape[0], nodes.size)  # (P, 8)
        if np.isnan(values).any():
            raise ValueError("the integrand is NaN somewhere on the support")
        if np.isinf(values).any():
            return float(values[np.isinf(values)][0])  # +inf or -inf
        value = float(np.sum(half * values * weights[None, :]))
        change = abs(value - previous)
        if change <= tol * max(1.0, abs(value)):
            return value
        previous = value
    warnings.warn(
        f"the panel quadrature changed by {change:.2g} at its finest "
        "pass; pass the integrand's kinks and jumps as points",
        RuntimeWarning,
        stacklevel=3,
    )
    return value


def f_divergence(
    name: str | FDivergence,
    p: Density,
    q: Density,
    support: tuple[float, float],
    points: Sequence[float] | None = None,
) -> float:
    r"""The exact :math:`D_f(P \| Q) = \int q\, f(p/q)\,dx` of two 1-D densities.

    Computed by adaptive quadrature (``scipy.integrate.quad``, float64) on ``support``
    split at ``points`` (put the modes and any jumps of ``p`` or ``q`` there). The
    integrand follows the three regions of the book's decomposition theorem:

    * :math:`p, q > 0`: :math:`q f(p/q)`;
    * :math:`q > 0 = p` (Q puts mass where P has none): :math:`q f(0)`;
    * :math:`p > 0 = q` (P has mass that Q misses): :math:`p f'(\infty)`, with
      :math:`f'(\infty)` = ``FDivergence.slope_at_infinity``.

    So KL is ``inf`` when P has mass where q is 0, and reverse KL when Q has mass where
    p is 0. Here "0" is 0 in float64 (or a ratio p/q that overflows): a Gaussian's
    density underflows about 38 standard deviations from its mean, so keep
    ``support`` to where the densities are representable
    (``GaussianMixture1D.support()`` is) or far tails count as disjoint support.

    Args:
        name: a name from :func:`names`, or an :class:`FDivergence`.
        p, q: vectorized densities, ``x: (N,) float64 -> (N,)``, non-negative and
            integrating to 1 (within 1e-3) over ``support``.
        support: a finite interval ``(lo, hi)`` holding all the mass of both.
        points: breakpoints inside ``support`` for the quadrature.

    Returns:
        The divergence in nats (a float, possibly ``math.inf``).
    """
    div = get(name)
    lo, hi, inner = _check_support(support, points)
    _check_density("p", p, lo, hi)
    _check_density("q", q, lo, hi)
    f_at_zero = float(div.f(0.0))

    def integrand(x: np.ndarray) -> np.ndarray:  # (N,) -> (N,)
        px, qx = _evaluate("p", p, x), _evaluate("q", q, x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = px / qx
            both = (px > 0) & (qx > 0) & np.isfinite(ratio)
            f_ratio = div.f(np.where(both, ratio, 1.0)).numpy()
            out = np.where(both, qx * f_ratio, 0.0)
            out = np.where((px == 0) & (qx > 0), qx * f_at_zero, out)
            only_p = (px > 0) & ~both  # q is 0, or so small that p/q overflows
            return np.where(only_p, px * div.slope_at_infinity, out)

    return _integrate(integrand, lo, hi, inner)


def variational_bound(
    name: str | FDivergence,
    p: Density,
    q: Density,
    critic: Callable[[np.ndarray], np.ndarray],
    support: tuple[float, float],
    points: Sequence[float] | None = None,
) -> float:
    r"""The exact value of :math:`\mathbb E_P[T] - \mathbb E_Q[f^*(T)]` for one critic.

    The variational lower bound of Nowozin et al. (2016), Eq. 4, evaluated for the
    function ``critic``: ``x (N,) float64 -> T(x) (N,)``, already activated. For
    every critic the result is at most ``f_divergence(name, p, q, ...)``, with
    equality for :math:`T = f'(p/q)`. It is ``-inf`` when the critic leaves dom f*
    where :math:`q > 0`; a critic that is NaN, or infinite where :math:`p > 0`, raises
    ``ValueError``.

    Because a critic is often a network, evaluated fastest on many points at once, the
    integral is a composite Gauss-Legendre rule (8 nodes per panel, one vectorized
    call per pass), the panels doubled until two passes agree to 1e-9 (a
    ``RuntimeWarning`` says so when 2**16 panels do not reach it).
    """
    div = get(name)
    lo, hi, inner = _check_support(support, points)
    _check_density("p", p, lo, hi)
    _check_density("q", q, lo, hi)
    if not callable(critic):
        raise TypeError(f"critic must be a callable x -> T(x); got {type(critic)}")

    def integrand(x: np.ndarray) -> np.ndarray:  # (N,) -> (N,)
        px, qx = _evaluate("p", p, x), _evaluate("q", q, x)
        tx = _evaluate("critic", critic, x)
        if np.isnan(tx).any() or np.isinf(tx[px > 0]).any():
            raise ValueError("the critic must be finite wherever p > 0")
        with np.errstate(invalid="ignore"):
            gain = np.where(px > 0, px * tx, 0.0)
            cost = np.where(qx > 0, qx * div.conjugate(tx).numpy(), 0.0)
        return gain - cost

    return _integrate_panels(integrand, lo, hi, inner)
