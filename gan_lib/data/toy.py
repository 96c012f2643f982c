"""Toy distributions whose every property is known exactly.

* :class:`GaussianMixture1D`: a 1-D mixture with an exact density, for the
  derivations (optimal discriminator, divergences by quadrature).
* :class:`GaussianMixture2D` and its builders :func:`ring`, :func:`grid`,
  :func:`spiral`: 2-D mixtures of isotropic Gaussians with known mode centres and
  standard deviation, for mode-coverage experiments. :func:`ring` and :func:`grid`
  default to the set-ups of PacGAN (Lin et al., 2018, Section 5.1): 8 modes on the unit
  circle with sigma = 0.01, and 25 modes at {-4, -2, 0, 2, 4}^2 with sigma = 0.05.

Samples are drawn from torch's random number generator (the global one, or the
``generator`` passed), so that a training run that checkpoints its RNG state resumes
with the same data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from gan_lib.errors import check_int_at_least, check_positive_int


def _check_positive(name: str, value: float) -> None:
    """A length of zero (or NaN) would put every mode on the same point."""
    if not value > 0:
        raise ValueError(f"{name} must be positive; got {value!r}")


@dataclass(frozen=True)
class GaussianMixture1D:
    r"""The density :math:`p(x) = \sum_k \pi_k \, \mathcal N(x; \mu_k, \sigma_k^2)`.

    Args:
        means: the :math:`\mu_k`.
        stds: the :math:`\sigma_k > 0`, one per component.
        weights: the :math:`\pi_k \ge 0`, summing to 1 (default: uniform).
    """

    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        means, stds = tuple(map(float, self.means)), tuple(map(float, self.stds))
        k = len(means)
        if self.weights is not None:
            weights = tuple(map(float, self.weights))
        else:
            weights = (1.0 / k,) * k if k else ()  # k == 0 is refused just below
        if k == 0 or len(stds) != k or len(weights) != k:
            raise ValueError(
                "means, stds and weights need one entry per component; got "
                f"{len(means)} means, {len(stds)} stds, {len(weights)} weights"
            )
        if min(stds) <= 0:
            raise ValueError(f"stds must be positive; got {stds}")
        if min(weights) < 0 or abs(sum(weights) - 1) > 1e-9:
            raise ValueError(
                f"weights must be non-negative and sum to 1; got {weights}"
            )
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "stds", stds)
        object.__setattr__(self, "weights", weights)

    def pdf(self, x: np.ndarray | float) -> np.ndarray:
        """The exact density at ``x`` (any shape; vectorized, float64)."""
        x = np.asarray(x, dtype=np.float64)[..., None]  # (..., 1) against (K,)
        mu, sd, w = (np.asarray(a) for a in (self.means, self.stds, self.weights))
        comp = np.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
        return (w * comp).sum(-1)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` samples, shape ``(n, 1)``, float32."""
        check_positive_int("the number of samples", n)
        w = torch.tensor(self.weights, dtype=torch.float64)
        k = torch.multinomial(w, n, replacement=True, generator=generator)  # (n,)
        eps = torch.randn(n, generator=generator, dtype=torch.float64)
        mu = torch.tensor(self.means, dtype=torch.float64)[k]
        sd = torch.tensor(self.stds, dtype=torch.float64)[k]
        return (mu + sd * eps).float().unsqueeze(1)

    def support(self, width: float = 8.0) -> tuple[float, float]:
        """An interval holding all but negligible mass: ``width`` stds past each
        mode."""
        lo = min(m - width * s for m, s in zip(self.means, self.stds, strict=True))
        hi = max(m + width * s for m, s in zip(self.means, self.stds, strict=True))
        return lo, hi


@dataclass(frozen=True)
class GaussianMixture2D:
    """An equal-weight mixture of isotropic 2-D Gaussians.

    Args:
        centers: the mode centres, ``(K, 2)``.
        std: the common standard deviation of every mode.
    """

    centers: Tensor
    std: float

    def __post_init__(self) -> None:
        c = torch.as_tensor(self.centers, dtype=torch.float32)
        if c.dim() != 2 or c.shape[1] != 2 or c.shape[0] < 1:
            raise ValueError(f"centers must have shape (K, 2); got {tuple(c.shape)}")
        if not self.std > 0:
            raise ValueError(f"std must be positive; got {self.std}")
        object.__setattr__(self, "centers", c)
        object.__setattr__(self, "std", float(self.std))

    @property
    def n_modes(self) -> int:
        return self.centers.shape[0]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` samples ``(n, 2)``, float32: a uniform mode plus N(0, std^2 I)."""
        return self.sample_with_modes(n, generator)[0]

    def sample_with_modes(
        self, n: int, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Samples ``(n, 2)`` and the index of the mode each came from, ``(n,)``."""
        check_positive_int("the number of samples", n)
        k = torch.randint(self.n_modes, (n,), generator=generator)
        eps = torch.randn(n, 2, generator=generator)
        return self.centers[k] + self.std * eps, k


def ring(n_modes: int = 8, radius: float = 1.0, std: float = 0.01) -> GaussianMixture2D:
    """``n_modes`` Gaussians evenly spaced on a circle: centre k at angle 2 pi k / n.

    The angles are ``2 pi k / n`` for ``k = 0..n-1`` (not ``linspace(0, 2 pi, n)``,
    whose endpoint would duplicate the first mode).
    """
    check_positive_int("n_modes", n_modes)
    _check_positive("radius", radius)
    angles = 2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
    centers = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    return GaussianMixture2D(centers.float(), std)


def grid(
    n_per_side: int = 5, spacing: float = 2.0, std: float = 0.05
) -> GaussianMixture2D:
    """``n_per_side ** 2`` Gaussians on a square grid centred at the origin.

    The defaults give PacGAN's grid: centres at {-4, -2, 0, 2, 4}^2, std 0.05.
    """
    check_positive_int("n_per_side", n_per_side)
    _check_positive("spacing", spacing)
    coords = (
        torch.arange(n_per_side, dtype=torch.float64) - (n_per_side - 1) / 2
    ) * spacing
    xx, yy = torch.meshgrid(coords, coords, indexing="xy")
    centers = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)
    return GaussianMixture2D(centers.float(), std)


def spiral(
    n_modes: int = 20, turns: float = 1.5, radius: float = 2.0, std: float = 0.05
) -> GaussianMixture2D:
    """``n_modes`` Gaussians spaced evenly in arc length along an Archimedean spiral
    ``r = radius * t``, ``theta = 2 pi turns t``, ``t in [0.15, 1]``.

    A harder target than the ring: the modes lie at different distances from the
    origin and close to their neighbours.
    """
    check_int_at_least("n_modes", n_modes, 2)
    _check_positive("radius", radius)
    _check_positive("turns", turns)
    t = np.linspace(0.15, 1.0, 4096)
    theta = 2 * np.pi * turns * t
    path = np.stack([radius * t * np.cos(theta), radius * t * np.sin(theta)], axis=1)
    arc = np.concatenate(
        [[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))]
    )
    targets = np.linspace(0.0, arc[-1], n_modes)
    centers = np.stack(
        [np.interp(targets, arc, path[:, 0]), np.interp(targets, arc, path[:, 1])],
        axis=1,
    )
    return GaussianMixture2D(torch.from_numpy(centers).float(), std)
