"""The toy calorimeter against its exact limits, and the shower observables against
hand-computed values (gan_lib/data/calorimeter.py, gan_lib/metrics/shower.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gan_lib.data.calorimeter import Calorimeter, heitler_shower_maximum, simulate
from gan_lib.metrics import shower


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_energy_is_conserved_without_sampling_noise():
    cal = Calorimeter(layers=10, cells=6, sharing="uniform", split_probability=0.7,
                      scattering=0.8)
    energies = rng(1).uniform(2, 300, size=50)
    s = simulate(energies, cal, rng(2))
    np.testing.assert_allclose(s.images.sum(axis=(1, 2, 3)) + s.leaked, energies,
                               rtol=1e-12)
    assert s.leaked.max() > 0  # this detector is short and narrow: some energy leaks


@pytest.mark.parametrize("m", [0, 1, 4, 7])
def test_deterministic_heitler_shower_stops_at_its_maximum(m: int):
    energy = 2.0**m  # E0 / E_c = 2^m
    s = simulate(np.array([energy, energy]), Calorimeter(layers=10), rng())
    per_layer = s.images.sum(axis=(2, 3))
    assert np.all(per_layer[:, m] == energy) and per_layer.sum() == 2 * energy
    assert np.all(s.particles == 2**m)
    assert shower.depth(s.images)[0] == heitler_shower_maximum(energy) == pytest.approx(m)


def test_heitler_maximum_rounds_up_between_powers_of_two():
    s = simulate(np.array([100.0]), Calorimeter(layers=10), rng())
    layer = int(np.argmax(s.images.sum(axis=(2, 3))[0]))
    assert layer == math.ceil(math.log2(100)) == 7


def test_a_shower_deeper_than_the_detector_leaks_out_of_the_back():
    s = simulate(np.array([2.0**6]), Calorimeter(layers=5), rng())
    assert s.images.sum() == 0 and s.leaked[0] == 64 and s.particles[0] == 0


def test_sampling_resolution_is_one_over_sqrt_k_times_particles():
    """Deterministic Heitler with Gamma(k, 1/k) sampling: sigma/E = 1/sqrt(k 2^m)."""
    m, k, n = 6, 4.0, 4000
    s = simulate(np.full(n, 2.0**m), Calorimeter(layers=8, sampling_shape=k), rng(3))
    (response, resolution), = shower.response_and_resolution(
        s.images, np.full(n, 2.0**m)).values()
    expected = 1 / math.sqrt(k * 2**m)  # 1/16
    # the sample std of n Gaussian-like totals has relative standard error 1/sqrt(2n)
    assert abs(resolution / expected - 1) < 5 / math.sqrt(2 * n)
    assert abs(response - 1) < 5 * expected / math.sqrt(n)


def test_uniform_sharing_stops_two_particles_per_critical_energy():
    """E N(E) = 2 int_0^E N(s) ds, N = 1 below E_c  =>  E[N] = 2 E0 / E_c."""
    energy, n = 40.0, 3000
    cal = Calorimeter(layers=200, cells=4, sharing="uniform", split_probability=0.6)
    s = simulate(np.full(n, energy), cal, rng(4))
    assert s.leaked.sum() == 0
    mean, se = s.particles.mean(), s.particles.std(ddof=1) / math.sqrt(n)
    assert abs(mean - 2 * energy) < 5 * se, (mean, se)


@pytest.mark.parametrize("p", [1.0, 0.5])
def test_uniform_sharing_depth_grows_as_two_ln_e_plus_one_over_p(p: float):
    """A tagged unit of energy keeps a fraction with density 2v at each split, so
    -ln v ~ Exp(2): the splits before it stops are 1 + Poisson(2 ln(E0/E_c)), each
    after a Geometric(p) number of layers: E[depth] = (2 ln(E0/E_c) + 1) / p."""
    energy, n = 200.0, 3000
    cal = Calorimeter(layers=300, cells=4, sharing="uniform", split_probability=p)
    s = simulate(np.full(n, energy), cal, rng(5))
    assert s.leaked.sum() == 0
    d = shower.depth(s.images)
    expected = (2 * math.log(energy) + 1) / p
    assert abs(d.mean() - expected) < 5 * d.std(ddof=1) / math.sqrt(n), (d.mean(),
                                                                          expected)


def test_scattering_spreads_soft_showers_more():
    base = dict(layers=10, cells=25, scattering=0.3)
    s = simulate(np.full(200, 64.0), Calorimeter(**base), rng(6))
    narrow = simulate(np.full(200, 64.0), Calorimeter(**{**base, "scattering": 0.05}),
                      rng(6))
    assert shower.lateral_width(s.images).mean() > 2 * shower.lateral_width(
        narrow.images).mean()


def test_simulation_is_reproducible_from_the_generator():
    cal = Calorimeter(sharing="uniform", split_probability=0.8, scattering=0.5,
                      sampling_shape=5.0)
    a = simulate(np.array([10.0, 90.0]), cal, rng(7))
    b = simulate(np.array([10.0, 90.0]), cal, rng(7))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_observables_by_hand():
    images = np.zeros((2, 3, 4, 4))
    images[0, 0, 1, 1] = 1.0  # layer 0, (row 1, column 1)
    images[0, 2, 1, 3] = 3.0  # layer 2, (row 1, column 3)
    obs = shower.observables(images)
    assert obs["total"][0] == 4 and obs["total"][1] == 0 and obs["empty"] == 1
    np.testing.assert_allclose(obs["fractions"][0], [0.25, 0, 0.75])
    assert obs["depth"][0] == pytest.approx(1.5)
    # columns 1 (w 1/4) and 3 (w 3/4): var 3/4; rows both 1: var 0 -> sqrt(3/8)
    assert obs["width"][0] == pytest.approx(math.sqrt(3 / 8))
    assert obs["sparsity"][0] == pytest.approx(2 / 48)
    assert np.isnan(obs["depth"][1]) and np.isnan(obs["width"][1])
    assert np.all(np.isnan(obs["fractions"][1]))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(layers=0), "layers must be a positive int"),
        (dict(critical_energy=0.0), "critical_energy must be positive"),
        (dict(split_probability=0.0), r"split_probability must be in \(0, 1\]"),
        (dict(sharing="thirds"), "sharing must be one of"),
        (dict(scattering=-1.0), "scattering must be >= 0"),
        (dict(sampling_shape=0.0), "sampling_shape must be positive or None"),
    ],
)
def test_bad_calorimeters_are_refused(kwargs: dict, match: str):
    with pytest.raises(ValueError, match=match):
        Calorimeter(**kwargs)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="positive numbers"):
        simulate(np.array([1.0, -2.0]), Calorimeter(), rng())
    with pytest.raises(ValueError, match=r"\(N, layers, cells, cells\)"):
        shower.total_energy(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="non-negative"):
        shower.depth(-np.ones((1, 2, 3, 3)))
    with pytest.raises(ValueError, match=">= 2 showers per energy"):
        shower.response_and_resolution(np.ones((2, 1, 2, 2)), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="must be positive"):
        heitler_shower_maximum(0.0)
