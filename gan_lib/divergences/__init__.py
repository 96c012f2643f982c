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
* :mod:`~gan_lib.divergences.transport`: discrete optimal transport, primal and dual,
  by linear programming (:math:`W_1` between two clouds of points in any dimension).

Conventions. ``u = p / q`` is a density ratio (``u >= 0``), ``t`` a point where
:math:`f^*` is evaluated, ``v`` the raw, unbounded output of a network (what ``D(x)``
returns) and ``T = g_f(v)`` the critic's value. Every :math:`f` here is convex on
:math:`[0, \infty)` with :math:`f(1) = 0`, and its conjugate is taken over that
domain: :math:`f^*(t) = \sup_{u \ge 0} \{ut - f(u)\}`, which is ``+inf`` outside
:math:`\mathrm{dom} f^*`.
"""

from gan_lib.divergences.exact import f_divergence, variational_bound
from gan_lib.divergences.f_divergences import (
    ConjugateDomain,
    Density,
    FDivergence,
    Formulas,
    GANDivergence,
    JensenShannon,
    KullbackLeibler,
    PearsonChiSquared,
    ReverseKullbackLeibler,
    SquaredHellinger,
    TotalVariation,
    get,
    names,
)
from gan_lib.divergences.wasserstein import wasserstein_1d

__all__ = [
    "ConjugateDomain",
    "Density",
    "FDivergence",
    "Formulas",
    "GANDivergence",
    "JensenShannon",
    "KullbackLeibler",
    "PearsonChiSquared",
    "ReverseKullbackLeibler",
    "SquaredHellinger",
    "TotalVariation",
    "f_divergence",
    "get",
    "names",
    "variational_bound",
    "wasserstein_1d",
]
