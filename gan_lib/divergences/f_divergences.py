r"""The seven f-divergences of the book, each with what f-GAN needs.

:math:`D_f(P \| Q) = \int q\, f(p / q)` (Nowozin et al., 2016): the generator
:math:`f`, its Fenchel conjugate :math:`f^*`, the output activation :math:`g_f` that
keeps a critic inside :math:`\mathrm{dom} f^*`, and the optimal critic
:math:`T^* = f'(p / q)`; look one up with :func:`get`. See the package docstring
for the conventions.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
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
