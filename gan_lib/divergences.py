r"""Divergences and distances between distributions, computed exactly.

This module grows with Part I of the book; it holds the quantities a discriminator is
trained to estimate, computed without one, so that the labs can set a trained critic
against the truth:

* the :math:`f`-divergences :math:`D_f(P \| Q) = \int q\, f(p / q)` of Nowozin et al.
  (2016), each with what f-GAN needs: the generator :math:`f`, its Fenchel conjugate
  :math:`f^*`, the output activation :math:`g_f` that keeps a critic inside
  :math:`\mathrm{dom} f^*`, and the optimal critic :math:`T^* = f'(p / q)`
  (``get(name)``, ``names()``);
* :func:`f_divergence` and :func:`variational_bound`: the exact divergence between two
  1-D densities, and the exact value of the variational lower bound for a given
  critic, both by quadrature;
* :func:`wasserstein_1d`: the exact :math:`W_1` between two 1-D samples.

Conventions. ``u = p / q`` is a density ratio (``u >= 0``), ``t`` a point where
:math:`f^*` is evaluated, ``v`` the raw, unbounded output of a network (what ``D(x)``
returns) and ``T = g_f(v)`` the critic's value. Every :math:`f` here is convex on
:math:`[0, \infty)` with :math:`f(1) = 0`, and its conjugate is taken over that
domain: :math:`f^*(t) = \sup_{u \ge 0} \{ut - f(u)\}`, which is ``+inf`` outside
:math:`\mathrm{dom} f^*`.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from scipy import integrate
from torch import Tensor

from gan_lib.errors import UnknownNameError

Density = Callable[[np.ndarray], np.ndarray]  # vectorized: x (N,) -> density (N,)
LOG2 = math.log(2.0)
LOG4 = math.log(4.0)


@dataclass(frozen=True)
class ConjugateDomain:
    r"""Where :math:`f^*` is finite: :math:`(-\infty, \text{upper})`, or
    :math:`(-\infty, \text{upper}]` when ``upper_included``.

    For a convex :math:`f` on :math:`[0, \infty)` the domain is always unbounded below
    and its upper end is the slope at infinity :math:`f'(\infty) = \lim_{u \to \infty}
    f(u) / u` (book, Chapter 3, exercises).
    """

    upper: float
    upper_included: bool = False

    def contains(self, t: Tensor) -> Tensor:
        """Elementwise: is ``t`` in the domain? (a bool tensor shaped like ``t``)."""
        return t <= self.upper if self.upper_included else t < self.upper

    def __str__(self) -> str:
        if self.upper == math.inf:
            return "(-inf, inf)"
        return f"(-inf, {self.upper:.6g}{']' if self.upper_included else ')'}"


@dataclass(frozen=True)
class Formulas:
    """The four functions of a divergence as SymPy expressions, for the book's table.

    ``f`` and ``optimal_critic`` are functions of the ratio ``u``, ``conjugate`` of
    ``t`` (valid on the domain of f*), ``activation`` of the network output ``v``.
    The theory page renders its table from these strings, and
    ``tests/test_divergences.py`` checks each one against the methods below, so the
    table and the code cannot disagree.
    """

    f: str
    conjugate: str
    activation: str
    optimal_critic: str


def _as_tensor(name: str, x: Tensor | np.ndarray | float) -> Tensor:
    """A floating tensor: tensors keep their dtype, anything else becomes float64."""
    if isinstance(x, Tensor):
        if not x.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor; got {x.dtype}")
        return x
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def _as_ratio(u: Tensor | np.ndarray | float) -> Tensor:
    u = _as_tensor("the ratio u = p/q", u)
    if torch.isnan(u).any() or (u < 0).any():
        raise ValueError(
            "f and f' take density ratios u = p/q >= 0; got a negative or NaN value "
            f"(min {u.min().item():.4g})"
        )
    return u


class FDivergence(ABC):
    r"""An :math:`f`-divergence :math:`D_f(P \| Q) = \int q(x) f(p(x)/q(x))\,dx`.

    A subclass states five things: :math:`f` (``_f``), :math:`f^*` on its domain
    (``_conjugate``), the output activation :math:`g_f` (``_activation``),
    :math:`f'` (``_f_prime``), and the slope at infinity :math:`f'(\infty)`, which is
    both the upper end of :math:`\mathrm{dom} f^*` and the cost per unit of
    :math:`P`-mass where :math:`q = 0`. The public methods below check their input
    and handle the domain; they take and return tensors of any shape.
    """

    name: ClassVar[str]  # the registry name, e.g. "kl"
    title: ClassVar[str]  # the divergence's name in words
    slope_at_infinity: ClassVar[float]  # f'(inf) = lim f(u)/u
    domain: ClassVar[ConjugateDomain]  # dom f* = (-inf, f'(inf)) or (-inf, f'(inf)]
    formulas: ClassVar[Formulas]

    # --- what a divergence states ----------------------------------------------------
    @abstractmethod
    def _f(self, u: Tensor) -> Tensor: ...

    @abstractmethod
    def _conjugate(self, t: Tensor) -> Tensor:  # only called with t in dom f*
        ...

    @abstractmethod
    def _activation(self, v: Tensor) -> Tensor: ...

    @abstractmethod
    def _f_prime(self, u: Tensor) -> Tensor: ...

    def _conjugate_of_activation(self, v: Tensor) -> Tensor:
        return self._conjugate(self._activation(v))  # overridden where unstable

    # --- the public interface --------------------------------------------------------
    def f(self, u: Tensor | np.ndarray | float) -> Tensor:
        """The generator function :math:`f(u)`, for ratios ``u >= 0`` (any shape)."""
        return self._f(_as_ratio(u))

    def conjugate(self, t: Tensor | np.ndarray | float) -> Tensor:
        r"""The Fenchel conjugate :math:`f^*(t) = \sup_{u \ge 0}\{ut - f(u)\}`.

        ``+inf`` outside :attr:`domain`; gradients stay finite inside it.
        """
        t = _as_tensor("t", t)
        inside = self.domain.contains(t)
        safe = torch.where(inside, t, torch.zeros_like(t) - 1.0)  # -1 is in every dom
        return torch.where(inside, self._conjugate(safe), math.inf)

    def activation(self, v: Tensor | np.ndarray | float) -> Tensor:
        r"""The output activation :math:`g_f`: maps any real ``v`` into dom f*."""
        return self._activation(_as_tensor("v", v))

    def conjugate_of_activation(self, v: Tensor | np.ndarray | float) -> Tensor:
        r""":math:`f^*(g_f(v))`, written in a form that stays finite for every real
        ``v`` (e.g. ``softplus(v) - log 4`` for the GAN divergence)."""
        return self._conjugate_of_activation(_as_tensor("v", v))

    def optimal_critic(self, ratio: Tensor | np.ndarray | float) -> Tensor:
        r"""The critic that makes the variational bound tight: :math:`T^* = f'(p/q)`
        (Nowozin et al., 2016, Eq. 5), for density ratios ``ratio >= 0``."""
        return self._f_prime(_as_ratio(ratio))

    def __repr__(self) -> str:
        return f"<f-divergence {self.name!r}: {self.title}>"


# --- the seven divergences of the book (Nowozin et al., 2016, Tables 1 and 2) ---------


class KullbackLeibler(FDivergence):
    r"""Kullback-Leibler, :math:`\mathrm{KL}(P \| Q) = \int p \log(p/q)`.

    :math:`f(u) = u \log u`, :math:`f^*(t) = e^{t-1}` on :math:`\mathbb R`,
    :math:`g_f(v) = v`, :math:`T^* = 1 + \log(p/q)`.
    """

    name, title = "kl", "Kullback-Leibler"
    slope_at_infinity = math.inf
    domain = ConjugateDomain(math.inf)
    formulas = Formulas("u*log(u)", "exp(t - 1)", "v", "1 + log(u)")

    def _f(self, u: Tensor) -> Tensor:
        return torch.xlogy(u, u)  # u log u, with 0 log 0 = 0

    def _conjugate(self, t: Tensor) -> Tensor:
        return torch.exp(t - 1)

    def _activation(self, v: Tensor) -> Tensor:
        return v

    def _f_prime(self, u: Tensor) -> Tensor:
        return 1 + torch.log(u)


class ReverseKullbackLeibler(FDivergence):
    r"""Reverse KL, :math:`\mathrm{KL}(Q \| P) = \int q \log(q/p)`.

    :math:`f(u) = -\log u`, :math:`f^*(t) = -1 - \log(-t)` for :math:`t < 0`,
    :math:`g_f(v) = -e^{-v}`, :math:`T^* = -q/p`.
    """

    name, title = "reverse_kl", "reverse Kullback-Leibler"
    slope_at_infinity = 0.0
    domain = ConjugateDomain(0.0)
    formulas = Formulas("-log(u)", "-1 - log(-t)", "-exp(-v)", "-1/u")

    def _f(self, u: Tensor) -> Tensor:
        return -torch.log(u)

    def _conjugate(self, t: Tensor) -> Tensor:
        return -1 - torch.log(-t)

    def _activation(self, v: Tensor) -> Tensor:
        return -torch.exp(-v)

    def _conjugate_of_activation(self, v: Tensor) -> Tensor:
        return v - 1  # -1 - log(exp(-v))

    def _f_prime(self, u: Tensor) -> Tensor:
        return -1 / u


class JensenShannon(FDivergence):
    r"""Jensen-Shannon, :math:`\mathrm{JSD}(P \| Q) = \tfrac12 \mathrm{KL}(P \| M) +
    \tfrac12 \mathrm{KL}(Q \| M)`, :math:`M = \tfrac12(P + Q)`, in :math:`[0, \log 2]`.

    :math:`f(u) = \tfrac12[u \log u - (u + 1)\log\tfrac{u + 1}{2}]`,
    :math:`f^*(t) = -\tfrac12 \log(2 - e^{2t})` for :math:`t < \tfrac12 \log 2`,
    :math:`g_f(v) = \tfrac12[\log 2 - \log(1 + e^{-v})]`,
    :math:`T^* = \tfrac12 \log\frac{2p}{p + q}`. Nowozin et al.'s Table 1 lists
    :math:`f` without the :math:`\tfrac12` (which gives :math:`2\,\mathrm{JSD}`)
    and Table 2 the matching conjugate :math:`-\log(2 - e^t)`; halving :math:`f`
    maps :math:`f^*(t)` to :math:`\tfrac12 f^*(2t)`, and here :math:`D_f` is the JSD
    of the notation page.
    """

    name, title = "jensen_shannon", "Jensen-Shannon"
    slope_at_infinity = LOG2 / 2
    domain = ConjugateDomain(LOG2 / 2)
    formulas = Formulas(
        "(u*log(u) - (u + 1)*log((u + 1)/2))/2",
        "-(1/2)*log(2 - exp(2*t))",
        "(log(2) - log(1 + exp(-v)))/2",
        "log(2*u/(u + 1))/2",
    )

    def _f(self, u: Tensor) -> Tensor:
        return 0.5 * (torch.xlogy(u, u) - torch.xlogy(u + 1, (u + 1) / 2))

    def _conjugate(self, t: Tensor) -> Tensor:
        return -0.5 * torch.log(2 - torch.exp(2 * t))

    def _activation(self, v: Tensor) -> Tensor:
        return 0.5 * (LOG2 - F.softplus(-v))

    def _conjugate_of_activation(self, v: Tensor) -> Tensor:
        return 0.5 * (F.softplus(v) - LOG2)  # 2 - exp(2 g(v)) = 2 sigmoid(-v)

    def _f_prime(self, u: Tensor) -> Tensor:
        return 0.5 * (LOG2 + torch.log(u) - torch.log1p(u))


class GANDivergence(FDivergence):
    r"""The divergence of the original GAN, :math:`2\,\mathrm{JSD}(P \| Q)`.

    :math:`f(u) = u \log u - (u + 1) \log(u + 1) + \log 4`,
    :math:`f^*(t) = -\log(1 - e^t) - \log 4` for :math:`t < 0`,
    :math:`g_f(v) = -\log(1 + e^{-v}) = \log \sigma(v)`,
    :math:`T^* = \log\frac{p}{p + q} = \log D^*`. Nowozin et al. (Table 1) drop the
    constant :math:`\log 4`; with it :math:`f(1) = 0`, :math:`D_f = 2\,\mathrm{JSD}`,
    and the f-GAN objective is Goodfellow et al.'s value function plus :math:`\log 4`.
    """

    name, title = "gan", "GAN (2 x Jensen-Shannon)"
    slope_at_infinity = 0.0
    domain = ConjugateDomain(0.0)
    formulas = Formulas(
        "u*log(u) - (u + 1)*log(u + 1) + log(4)",
        "-log(1 - exp(t)) - log(4)",
        "-log(1 + exp(-v))",
        "log(u/(u + 1))",
    )

    def _f(self, u: Tensor) -> Tensor:
        return torch.xlogy(u, u) - torch.xlogy(u + 1, u + 1) + LOG4

    def _conjugate(self, t: Tensor) -> Tensor:
        return -torch.log(-torch.expm1(t)) - LOG4

    def _activation(self, v: Tensor) -> Tensor:
        return -F.softplus(-v)  # = log sigmoid(v)

    def _conjugate_of_activation(self, v: Tensor) -> Tensor:
        return F.softplus(v) - LOG4  # -log(1 - sigmoid(v)) - log 4

    def _f_prime(self, u: Tensor) -> Tensor:
        return torch.log(u) - torch.log1p(u)


class PearsonChiSquared(FDivergence):
    r"""Pearson :math:`\chi^2`, :math:`\int (p - q)^2 / q`.

    :math:`f(u) = (u - 1)^2`, :math:`f^*(t) = t + t^2/4` for :math:`t \ge -2` and
    :math:`-1` below (the conjugate over :math:`u \ge 0`; Nowozin et al.'s Table 2
    gives :math:`t + t^2/4` everywhere, the conjugate of :math:`(u-1)^2` over
    :math:`\mathbb R`, which is larger for :math:`t < -2`, so its bound is looser
    there), :math:`g_f(v) = v`, :math:`T^* = 2(p/q - 1)`.
    """

    name, title = "pearson", "Pearson chi-squared"
    slope_at_infinity = math.inf
    domain = ConjugateDomain(math.inf)
    formulas = Formulas(
        "(u - 1)**2", "Piecewise((t + t**2/4, t >= -2), (-1, True))", "v", "2*(u - 1)"
    )

    def _f(self, u: Tensor) -> Tensor:
        return (u - 1) ** 2

    def _conjugate(self, t: Tensor) -> Tensor:
        return torch.where(t >= -2, t + t**2 / 4, -torch.ones_like(t))  # u* = 1 + t/2

    def _activation(self, v: Tensor) -> Tensor:
        return v

    def _f_prime(self, u: Tensor) -> Tensor:
        return 2 * (u - 1)


class SquaredHellinger(FDivergence):
    r"""Squared Hellinger, :math:`\int (\sqrt p - \sqrt q)^2`, in :math:`[0, 2]`.

    :math:`f(u) = (\sqrt u - 1)^2`, :math:`f^*(t) = t / (1 - t)` for :math:`t < 1`,
    :math:`g_f(v) = 1 - e^{-v}`, :math:`T^* = 1 - \sqrt{q/p}`.
    """

    name, title = "squared_hellinger", "squared Hellinger"
    slope_at_infinity = 1.0
    domain = ConjugateDomain(1.0)
    formulas = Formulas(
        "(sqrt(u) - 1)**2", "t/(1 - t)", "1 - exp(-v)", "(sqrt(u) - 1)/sqrt(u)"
    )

    def _f(self, u: Tensor) -> Tensor:
        return (torch.sqrt(u) - 1) ** 2

    def _conjugate(self, t: Tensor) -> Tensor:
        return t / (1 - t)

    def _activation(self, v: Tensor) -> Tensor:
        return -torch.expm1(-v)  # 1 - exp(-v)

    def _conjugate_of_activation(self, v: Tensor) -> Tensor:
        return torch.expm1(v)  # (1 - e^-v) / e^-v

    def _f_prime(self, u: Tensor) -> Tensor:
        return 1 - torch.rsqrt(u)


class TotalVariation(FDivergence):
    r"""Total variation, :math:`\tfrac12 \int |p - q|`, in :math:`[0, 1]`.

    :math:`f(u) = \tfrac12 |u - 1|`, :math:`f^*(t) = \max(t, -\tfrac12)` for
    :math:`t \le \tfrac12` (Nowozin et al.: :math:`t` on :math:`[-\tfrac12,
    \tfrac12]`, the same on the range of :math:`g_f`), :math:`g_f(v) = \tfrac12
    \tanh v`, :math:`T^* = \tfrac12 \operatorname{sign}(p - q)` (a subgradient: any
    value in :math:`[-\tfrac12, \tfrac12]` where :math:`p = q`; here 0).
    """

    name, title = "total_variation", "total variation"
    slope_at_infinity = 0.5
    domain = ConjugateDomain(0.5, upper_included=True)
    formulas = Formulas("Abs(u - 1)/2", "Max(t, -1/2)", "tanh(v)/2", "sign(u - 1)/2")

    def _f(self, u: Tensor) -> Tensor:
        return 0.5 * torch.abs(u - 1)

    def _conjugate(self, t: Tensor) -> Tensor:
        return torch.clamp(t, min=-0.5)

    def _activation(self, v: Tensor) -> Tensor:
        return 0.5 * torch.tanh(v)

    def _f_prime(self, u: Tensor) -> Tensor:
        return 0.5 * torch.sign(u - 1)


_REGISTRY: dict[str, FDivergence] = {
    d.name: d
    for d in (
        KullbackLeibler(),
        ReverseKullbackLeibler(),
        JensenShannon(),
        GANDivergence(),
        PearsonChiSquared(),
        SquaredHellinger(),
        TotalVariation(),
    )
}


def names() -> list[str]:
    """The names :func:`get` accepts."""
    return sorted(_REGISTRY)


def get(name: str | FDivergence) -> FDivergence:
    """The :class:`FDivergence` called ``name`` (an instance is returned as it is).

    Unknown names raise :class:`~gan_lib.errors.UnknownNameError` listing the known
    ones.
    """
    if isinstance(name, FDivergence):
        return name
    if not isinstance(name, str) or name not in _REGISTRY:
        raise UnknownNameError("f-divergence", name, names())
    return _REGISTRY[name]


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


# --- the Wasserstein-1 distance between 1-D samples ----------------------------------


def _as_samples(name: str, a: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name} must be 1-D samples of shape (N,) or (N, 1); got {a.shape}")
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
