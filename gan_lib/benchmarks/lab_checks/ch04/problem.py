"""Chapter 4's problem for the critic sections: ``P1`` (two modes at -2 and 2) against
``Q1 = N(0.5, 1)``, lifted into the plane by a ``U[0, 1]`` second coordinate (the same
for both), which changes neither ``W1`` nor the optimal critic; its exact ``W1``, the
CDFs, and a critic's input gradients."""

from __future__ import annotations

import numpy as np
import torch
from scipy import integrate
from scipy.stats import norm
from torch import nn

from gan_lib import data


P1 = data.GaussianMixture1D(means=(-2.0, 2.0), stds=(0.5, 0.5))
Q1 = data.GaussianMixture1D(means=(0.5,), stds=(1.0,))
CONSTRAINTS = ("gp", "sn", "clip")  # the three critics of the trained-critics section
SWEEP = "sweep: ../lab_checks, check ch04.{}"


def cdf(mixture: data.GaussianMixture1D, t: np.ndarray) -> np.ndarray:
    """The exact distribution function of a 1-D Gaussian mixture."""
    return sum(w * norm.cdf(t, m, s)
               for m, s, w in zip(mixture.means, mixture.stds, mixture.weights))


def w1_exact() -> float:
    """W1(P1, Q1) = int |F_P - F_Q| by adaptive quadrature (Lemma lem-w1-1d)."""
    value, _ = integrate.quad(lambda t: abs(cdf(P1, t) - cdf(Q1, t)), -12, 12,
                              points=[-2, 0, 0.5, 2], limit=400, epsabs=1e-12)
    return value


W1 = w1_exact()


def lift(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """(N, 1) -> (N, 2): append a U[0, 1] coordinate (the same law for P and Q)."""
    return torch.cat([x, torch.rand(x.shape[0], 1, generator=generator)], dim=1)


def input_gradients(T: nn.Module, points: torch.Tensor) -> np.ndarray:
    """The gradient of T at each point, (N, d), as NumPy."""
    device = next(T.parameters()).device
    points = points.detach().to(device).clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(T(points).sum(), points)
    return grad.detach().cpu().numpy()
