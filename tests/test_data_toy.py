"""The toy distributions: exact centres, standard deviations, densities and samples."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from gan_lib.data import GaussianMixture1D, GaussianMixture2D, grid, ring, spiral


def pairwise_distances(points: torch.Tensor) -> torch.Tensor:
    """Distances between distinct pairs, float64, shape (K * (K - 1) / 2,)."""
    p = points.double()
    i, j = torch.triu_indices(len(p), len(p), offset=1)
    return (p[i] - p[j]).norm(dim=1)


def sorted_rows(points: list[list[float]]) -> list[tuple[float, ...]]:
    return sorted(tuple(row) for row in points)


# --- ring --------------------------------------------------------------------------


def test_ring_has_eight_centres_on_unit_circle_at_multiples_of_45_degrees():
    mixture = ring()
    assert mixture.n_modes == 8 and mixture.std == 0.01
    expected = [
        [math.cos(2 * math.pi * k / 8), math.sin(2 * math.pi * k / 8)] for k in range(8)
    ]
    assert torch.allclose(mixture.centers, torch.tensor(expected), atol=1e-7)
    assert torch.allclose(mixture.centers.norm(dim=1), torch.ones(8), atol=1e-7)


def test_ring_has_no_duplicated_mode():
    # linspace(0, 2 pi, 8) would put modes 0 and 7 on top of each other
    distances = pairwise_distances(ring().centers)
    assert distances.min().item() > 0
    chord = 2 * math.sin(math.pi / 8)  # neighbours 45 degrees apart on the unit circle
    assert distances.min().item() == pytest.approx(chord, rel=1e-6)


@pytest.mark.parametrize(
    "n_modes,radius,std", [(5, 3.0, 0.2), (12, 0.5, 0.001), (1, 2.0, 1.0)]
)
def test_ring_honours_its_arguments(n_modes, radius, std):
    mixture = ring(n_modes=n_modes, radius=radius, std=std)
    assert mixture.n_modes == n_modes and mixture.std == std
    angles = [2 * math.pi * k / n_modes for k in range(n_modes)]
    expected = [[radius * math.cos(a), radius * math.sin(a)] for a in angles]
    assert torch.allclose(mixture.centers, torch.tensor(expected), atol=1e-6)
    if n_modes > 1:
        chord = 2 * radius * math.sin(math.pi / n_modes)
        min_distance = pairwise_distances(mixture.centers).min().item()
        assert min_distance == pytest.approx(chord, rel=1e-5)


# --- grid --------------------------------------------------------------------------


def test_grid_has_25_centres_exactly_at_pacgan_positions():
    mixture = grid()
    assert mixture.n_modes == 25 and mixture.std == 0.05
    expected = [
        [x, y] for x, y in itertools.product([-4.0, -2.0, 0.0, 2.0, 4.0], repeat=2)
    ]
    assert sorted_rows(mixture.centers.tolist()) == sorted_rows(expected)  # exact
    assert pairwise_distances(mixture.centers).min().item() == 2.0


def test_grid_honours_its_arguments():
    mixture = grid(n_per_side=3, spacing=1.5, std=0.1)
    assert mixture.n_modes == 9 and mixture.std == 0.1
    expected = [[x, y] for x, y in itertools.product([-1.5, 0.0, 1.5], repeat=2)]
    assert sorted_rows(mixture.centers.tolist()) == sorted_rows(expected)
    four = grid(n_per_side=4, spacing=1.0)
    coords = sorted(set(four.centers[:, 0].tolist()))
    assert coords == [-1.5, -0.5, 0.5, 1.5]  # centred at the origin


# --- spiral ------------------------------------------------------------------------


def test_spiral_centres_lie_on_the_archimedean_spiral():
    radius, turns = 2.0, 1.5
    mixture = spiral(n_modes=20, turns=turns, radius=radius, std=0.05)
    assert mixture.n_modes == 20 and mixture.std == 0.05
    c = mixture.centers.double()
    r = c.norm(dim=1)
    t = r / radius  # r = radius * t
    assert t.min().item() == pytest.approx(0.15, abs=1e-6)
    assert t.max().item() == pytest.approx(1.0, abs=1e-6)
    # theta = 2 pi turns t, up to whole turns
    theta = torch.atan2(c[:, 1], c[:, 0])
    wrapped = torch.remainder(theta - 2 * math.pi * turns * t + math.pi, 2 * math.pi)
    assert torch.allclose(
        wrapped - math.pi, torch.zeros(20, dtype=torch.float64), atol=1e-3
    )
    # the endpoints: t = 0.15 and t = 1
    start_angle = 2 * math.pi * turns * 0.15
    start = [0.3 * math.cos(start_angle), 0.3 * math.sin(start_angle)]
    assert c[0].tolist() == pytest.approx(start, abs=1e-5)
    assert c[-1].tolist() == pytest.approx([-2.0, 0.0], abs=1e-5)  # angle 3 pi


def test_spiral_centres_are_distinct_and_evenly_spaced_along_the_curve():
    mixture = spiral()
    assert pairwise_distances(mixture.centers).min().item() > 6 * mixture.std
    steps = (mixture.centers[1:] - mixture.centers[:-1]).double().norm(dim=1)
    # chords of equal arcs on a gently curved path: equal to within a few percent
    assert (steps.max() / steps.min()).item() < 1.1


# --- samples -----------------------------------------------------------------------


@pytest.mark.parametrize("make", [ring, grid, spiral], ids=["ring", "grid", "spiral"])
def test_samples_come_from_their_mode_with_the_right_spread(make):
    mixture = make()
    n = 20_000
    x, k = mixture.sample_with_modes(n, generator=torch.Generator().manual_seed(0))
    assert x.shape == (n, 2) and x.dtype == torch.float32 and k.shape == (n,)
    offsets = (x - mixture.centers[k]).double()
    # each sample within 5 sigma of its own centre (P(|eps| > 5 sigma) = e^-12.5)
    assert offsets.norm(dim=1).max().item() < 5 * mixture.std
    # and its nearest centre is its own mode
    nearest = torch.cdist(x.double(), mixture.centers.double()).argmin(dim=1)
    assert torch.equal(nearest, k)
    # empirical std per coordinate, and no mean offset
    assert offsets.std(dim=0).tolist() == pytest.approx([mixture.std] * 2, rel=0.02)
    assert offsets.mean(dim=0).abs().max().item() < 5 * mixture.std / math.sqrt(n)


@pytest.mark.parametrize("make", [ring, grid], ids=["ring", "grid"])
def test_mode_frequencies_are_uniform_by_chi_square(make):
    mixture = make()
    n = 40_000
    x = mixture.sample(n, generator=torch.Generator().manual_seed(1))
    nearest = torch.cdist(x.double(), mixture.centers.double()).argmin(dim=1)
    counts = np.bincount(nearest.numpy(), minlength=mixture.n_modes)
    expected = n / mixture.n_modes
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < stats.chi2.ppf(0.999, df=mixture.n_modes - 1)
    assert counts.min() > 0.9 * expected


def test_samples_follow_the_global_torch_rng_or_the_generator():
    mixture = ring()
    torch.manual_seed(7)
    a = mixture.sample(10)
    torch.manual_seed(7)
    b = mixture.sample(10)
    assert torch.equal(a, b)
    c = mixture.sample(10, generator=torch.Generator().manual_seed(7))
    d = mixture.sample(10, generator=torch.Generator().manual_seed(7))
    assert torch.equal(c, d) and not torch.equal(c, mixture.sample(10))


# --- the 1-D mixture with an exact density -----------------------------------------


MIXTURE_1D = GaussianMixture1D(
    means=(-2.0, 1.0, 4.0), stds=(0.5, 1.0, 0.3), weights=(0.2, 0.5, 0.3)
)


def scipy_mixture_pdf(x: np.ndarray) -> np.ndarray:
    m = MIXTURE_1D
    return sum(
        w * stats.norm.pdf(x, mu, sd)
        for mu, sd, w in zip(m.means, m.stds, m.weights, strict=True)
    )


def scipy_mixture_cdf(x: np.ndarray) -> np.ndarray:
    m = MIXTURE_1D
    return sum(
        w * stats.norm.cdf(x, mu, sd)
        for mu, sd, w in zip(m.means, m.stds, m.weights, strict=True)
    )


def test_gaussian_mixture_1d_pdf_integrates_to_one():
    mass, error = integrate.quad(
        MIXTURE_1D.pdf, -np.inf, np.inf, points=None, limit=200
    )
    # quad on an infinite interval may step over narrow peaks: integrate on support
    lo, hi = MIXTURE_1D.support()
    mass, error = integrate.quad(
        MIXTURE_1D.pdf, lo, hi, points=MIXTURE_1D.means, limit=200
    )
    assert mass == pytest.approx(1.0, abs=1e-9)
    left, _ = integrate.quad(MIXTURE_1D.pdf, -np.inf, lo)
    right, _ = integrate.quad(MIXTURE_1D.pdf, hi, np.inf)
    assert left + right < 1e-12  # the support holds all but a negligible mass


def test_gaussian_mixture_1d_pdf_matches_scipy_norm_mixture():
    x = np.linspace(-6, 8, 1001)
    assert np.allclose(MIXTURE_1D.pdf(x), scipy_mixture_pdf(x), rtol=1e-12, atol=0)
    assert MIXTURE_1D.pdf(x).shape == x.shape
    assert MIXTURE_1D.pdf(np.zeros((3, 4))).shape == (3, 4)
    assert float(MIXTURE_1D.pdf(1.0)) == pytest.approx(float(scipy_mixture_pdf(1.0)))


def test_gaussian_mixture_1d_default_weights_are_uniform():
    mixture = GaussianMixture1D(means=(0.0, 3.0), stds=(1.0, 2.0))
    assert mixture.weights == (0.5, 0.5)
    x = np.array([-1.0, 0.5, 3.0])
    expected = 0.5 * stats.norm.pdf(x, 0, 1) + 0.5 * stats.norm.pdf(x, 3, 2)
    assert np.allclose(mixture.pdf(x), expected, rtol=1e-12)


def test_gaussian_mixture_1d_samples_match_mean_variance_and_cdf():
    m = MIXTURE_1D
    n = 100_000
    x = m.sample(n, generator=torch.Generator().manual_seed(0))
    assert x.shape == (n, 1) and x.dtype == torch.float32
    x = x.double().squeeze(1).numpy()
    mean = sum(w * mu for mu, w in zip(m.means, m.weights, strict=True))
    second = sum(
        w * (sd**2 + mu**2)
        for mu, sd, w in zip(m.means, m.stds, m.weights, strict=True)
    )
    var = second - mean**2
    assert x.mean() == pytest.approx(mean, abs=5 * math.sqrt(var / n))
    assert x.var() == pytest.approx(var, rel=0.02)
    assert stats.kstest(x, scipy_mixture_cdf).pvalue > 1e-3


# --- bad arguments -----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(means=(0.0, 1.0), stds=(1.0,)), "one entry per component"),
        (dict(means=(), stds=()), "one entry per component"),
        (dict(means=(0.0,), stds=(0.0,)), "stds must be positive"),
        (dict(means=(0.0,), stds=(-1.0,)), "stds must be positive"),
        (dict(means=(0.0, 1.0), stds=(1.0, 1.0), weights=(0.5, 0.6)), "sum to 1"),
        (dict(means=(0.0, 1.0), stds=(1.0, 1.0), weights=(1.5, -0.5)), "non-negative"),
    ],
)
def test_gaussian_mixture_1d_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture1D(**kwargs)


@pytest.mark.parametrize(
    "build,match",
    [
        (lambda: ring(n_modes=0), "n_modes must be a positive int"),
        (lambda: ring(n_modes=2.5), "n_modes must be a positive int"),
        (lambda: ring(std=0.0), "std must be positive"),
        (lambda: ring(std=-0.1), "std must be positive"),
        (lambda: ring(radius=0.0), "radius must be positive"),
        (lambda: ring(radius=-1.0), "radius must be positive"),
        (lambda: grid(n_per_side=0), "n_per_side must be a positive int"),
        (lambda: grid(std=float("nan")), "std must be positive"),
        (lambda: grid(spacing=0.0), "spacing must be positive"),
        (lambda: spiral(n_modes=1), "n_modes must be an int >= 2"),
        (lambda: spiral(radius=0.0), "radius must be positive"),
        (lambda: spiral(turns=0.0), "turns must be positive"),
        (lambda: GaussianMixture2D(torch.zeros(3, 3), 0.1), r"\(K, 2\); got \(3, 3\)"),
        (lambda: GaussianMixture2D(torch.zeros(0, 2), 0.1), r"\(K, 2\); got \(0, 2\)"),
    ],
)
def test_2d_mixtures_refuse_bad_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()


@pytest.mark.parametrize("n", [0, -3, 2.5, "10"])
def test_sample_refuses_bad_counts(n):
    with pytest.raises(ValueError, match="positive int"):
        ring().sample(n)
    with pytest.raises(ValueError, match="positive int"):
        MIXTURE_1D.sample(n)
