r"""A toy electromagnetic calorimeter: particle-level showers simulated in numpy.

Chapter 16 trains a GAN to stand in for a Monte Carlo simulator, as CaloGAN (Paganini
et al., 2018) does for a real detector. The simulator here is small enough to read and
to run on a laptop, yet it has what makes the task real: a particle-level cascade whose
cost grows with the incoming energy, longitudinal and lateral structure, sampling
fluctuations, leakage, and limits that are known exactly.

**The cascade** (Heitler's model, Heitler 1954; Matthews 2005). Depth is measured in
*splitting lengths* :math:`d = X_0 \ln 2` (:math:`X_0`: the radiation length), one per
layer. A particle of energy :math:`E` entering layer :math:`n`

* stops there and deposits all of :math:`E` if :math:`E \le E_c` (the critical
  energy, below which ionization wins over radiation);
* otherwise splits, with probability ``split_probability``, into two particles of
  energies :math:`uE` and :math:`(1 - u)E` that enter layer :math:`n + 1`, where
  :math:`u = 1/2` (``sharing="half"``, Heitler's rule) or :math:`u \sim U(0, 1)`
  (``sharing="uniform"``); if it does not split it enters layer :math:`n + 1` as is.

Each daughter is kicked sideways by a Gaussian of standard deviation
``scattering * E_c / E_daughter`` per axis (multiple scattering: soft particles
spread most), in units of the cell size; a particle that leaves the grid sideways or
the last layer at the back leaks out, and its energy is counted in ``leaked``. The
visible energy of a deposit :math:`e` is :math:`e\,G`, :math:`G \sim
\mathrm{Gamma}(k, 1/k)` (mean 1, variance :math:`1/k`: a sampling calorimeter's
fluctuations), or exactly :math:`e` when ``sampling_shape`` is ``None``.

**Exact limits** (each tested in ``tests/test_data_calorimeter.py``):

* with no sampling noise, energy is conserved: deposits + leakage = :math:`E_0`;
* deterministic Heitler (``sharing="half"``, ``split_probability=1``, no leakage):
  every particle stops in layer :math:`n^\star = \lceil \log_2(E_0/E_c) \rceil`, the
  shower maximum :math:`\ln(E_0/E_c)/\ln 2` when :math:`E_0/E_c` is a power of two,
  with :math:`2^{n^\star}` particles;
* with Gamma noise on top, the relative resolution is exactly
  :math:`\sigma_E/E = 1/\sqrt{k\,2^{n^\star}}`: the stochastic term
  :math:`\propto 1/\sqrt{E_0}`;
* with uniform sharing the expected number of particles that stop is exactly
  :math:`2E_0/E_c` for :math:`E_0 > E_c` (from :math:`E N(E) = 2\int_0^E N`), so the
  simulator's cost grows linearly with the energy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple, get_args

import numpy as np

from gan_lib.errors import check_positive_int

Sharing = Literal["half", "uniform"]


@dataclass(frozen=True)
class Calorimeter:
    """The detector and the physics of the toy shower (see the module docstring).

    Args:
        layers: depth of the calorimeter, in splitting lengths (one layer each).
        cells: the lateral grid is ``cells x cells`` cells of unit size, centred on
            the incoming particle.
        critical_energy: :math:`E_c`; energies are in the same (arbitrary) unit.
        split_probability: the chance that a particle above :math:`E_c` splits in a
            layer (1: Heitler's deterministic cascade).
        sharing: how a split shares the energy (``"half"`` or ``"uniform"``).
        scattering: the lateral kick of a daughter of energy :math:`E` has standard
            deviation ``scattering * critical_energy / E`` cells per axis.
        sampling_shape: :math:`k` of the Gamma sampling fluctuation of every deposit;
            ``None``: deposits are seen exactly.
    """

    layers: int = 12
    cells: int = 12
    critical_energy: float = 1.0
    split_probability: float = 1.0
    sharing: Sharing = "half"
    scattering: float = 0.0
    sampling_shape: float | None = None

    def __post_init__(self) -> None:
        check_positive_int("layers", self.layers)
        check_positive_int("cells", self.cells)
        if not self.critical_energy > 0:
            raise ValueError(
                f"critical_energy must be positive; got {self.critical_energy!r}"
            )
        if not 0 < self.split_probability <= 1:
            raise ValueError(
                f"split_probability must be in (0, 1]; got {self.split_probability!r}"
            )
        if self.sharing not in get_args(Sharing):
            raise ValueError(
                f"sharing must be one of {get_args(Sharing)}; got {self.sharing!r}"
            )
        if not self.scattering >= 0:
            raise ValueError(f"scattering must be >= 0; got {self.scattering!r}")
        if self.sampling_shape is not None and not self.sampling_shape > 0:
            raise ValueError(
                f"sampling_shape must be positive or None; got {self.sampling_shape!r}"
            )


class Showers(NamedTuple):
    """What :func:`simulate` returns for ``N`` incoming particles."""

    images: np.ndarray  # (N, layers, cells, cells) float64: visible energy per cell
    leaked: np.ndarray  # (N,) float64: energy that left the grid (before sampling)
    particles: np.ndarray  # (N,) int64: particles that stopped inside the detector


def heitler_shower_maximum(energy: float, critical_energy: float = 1.0) -> float:
    r"""Heitler's depth of the shower maximum, :math:`\ln(E_0/E_c)/\ln 2` splitting
    lengths (the number of halvings that bring :math:`E_0` down to :math:`E_c`)."""
    if not energy > 0 or not critical_energy > 0:
        raise ValueError(
            "energy and critical_energy must be positive; got "
            f"{energy!r} and {critical_energy!r}"
        )
    return math.log(energy / critical_energy) / math.log(2)


def simulate(
    energies: np.ndarray, calorimeter: Calorimeter, rng: np.random.Generator
) -> Showers:
    """Simulate one shower per incoming energy, all showers at once.

    Every particle of every shower is tracked, layer by layer, in flat arrays (its
    shower, energy and lateral position): the work, like a real simulator's, grows
    with the number of particles, about :math:`E_0 / E_c` per shower.

    Args:
        energies: ``(N,)`` incoming energies :math:`E_0 > 0`.
        calorimeter: the detector and its physics.
        rng: numpy's random generator (the splits, kicks and sampling draws).
    """
    energies = np.asarray(energies, dtype=np.float64)
    if energies.ndim != 1 or energies.size == 0 or not np.all(energies > 0):
        raise ValueError(
            "energies must be a non-empty 1-D array of positive numbers; got shape "
            f"{energies.shape} with minimum {energies.min() if energies.size else None}"
        )
    cal = calorimeter
    n, L, R = energies.size, cal.layers, cal.cells
    deposits = np.zeros(n * L * R * R)  # flat (shower, layer, y, x)
    leaked = np.zeros(n)
    particles = np.zeros(n, dtype=np.int64)

    shower = np.arange(n)  # one entry per live particle
    energy = energies.copy()
    x = np.zeros(n)  # lateral position in cells, 0 = the grid's centre
    y = np.zeros(n)
    for layer in range(L):
        stops = energy <= cal.critical_energy
        column = np.floor(x[stops] + R / 2).astype(np.int64)
        row = np.floor(y[stops] + R / 2).astype(np.int64)
        inside = (column >= 0) & (column < R) & (row >= 0) & (row < R)
        stopped, deposit = shower[stops], energy[stops]
        seen = deposit
        if cal.sampling_shape is not None:  # mean 1, variance 1/k per deposit
            k = cal.sampling_shape
            seen = deposit * rng.gamma(k, 1 / k, size=deposit.size)
        flat = ((stopped * L + layer) * R + row) * R + column
        deposits += np.bincount(flat[inside], weights=seen[inside],
                                minlength=deposits.size)
        np.add.at(leaked, stopped[~inside], deposit[~inside])
        np.add.at(particles, stopped[inside], 1)

        shower, energy, x, y = shower[~stops], energy[~stops], x[~stops], y[~stops]
        splits = rng.random(energy.size) < cal.split_probability
        shower, energy, x, y = _split(shower, energy, x, y, splits, cal, rng)
    np.add.at(leaked, shower, energy)  # through the back of the last layer

    return Showers(deposits.reshape(n, L, R, R), leaked, particles)


def _split(
    shower: np.ndarray,
    energy: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    splits: np.ndarray,
    cal: Calorimeter,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The live particles entering the next layer: the ones that did not split, and
    two kicked daughters of each one that did."""
    if cal.sharing == "half":
        u = np.full(int(splits.sum()), 0.5)
    else:
        u = rng.random(int(splits.sum()))
    parent = energy[splits]
    daughters = np.concatenate([u * parent, (1 - u) * parent])  # (2S,)
    origin_x = np.tile(x[splits], 2)
    origin_y = np.tile(y[splits], 2)
    if cal.scattering > 0:
        spread = cal.scattering * cal.critical_energy / daughters  # (2S,)
        origin_x = origin_x + spread * rng.standard_normal(daughters.size)
        origin_y = origin_y + spread * rng.standard_normal(daughters.size)
    keep = ~splits
    return (
        np.concatenate([shower[keep], np.tile(shower[splits], 2)]),
        np.concatenate([energy[keep], daughters]),
        np.concatenate([x[keep], origin_x]),
        np.concatenate([y[keep], origin_y]),
    )
