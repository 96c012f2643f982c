"""The f-divergences of ``gan_lib.divergences`` against convex analysis, closed forms.

Every number is checked against something computed another way: a conjugate against a
brute-force supremum over a grid, a derivative against finite differences, the book's
table (``FDivergence.formulas``, SymPy strings) against the torch code, and the
quadratures against closed forms for Gaussians and uniform densities.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
import torch
from scipy.special import ndtr
from scipy.stats import norm

from gan_lib import divergences
from gan_lib.errors import UnknownNameError

NAMES = [
    "kl",
    "reverse_kl",
    "jensen_shannon",
    "gan",
    "pearson",
    "squared_hellinger",
    "total_variation",
]
U_GRID = torch.cat([torch.linspace(0.01, 3, 300), torch.logspace(0.5, 3, 100)]).double()
V_GRID = torch.linspace(-6, 6, 241, dtype=torch.float64)
SUPPORT = (-15.0, 15.0)


def gaussian(mean: float, std: float):
    def pdf(x: np.ndarray) -> np.ndarray:
        return norm.pdf(x, mean, std)

    return pdf


def uniform(lo: float, hi: float):
    def pdf(x: np.ndarray) -> np.ndarray:
        return np.where((x >= lo) & (x <= hi), 1.0 / (hi - lo), 0.0)

    return pdf


def t_grid(div: divergences.FDivergence) -> torch.Tensor:
    """Points well inside dom f*."""
    top = min(div.domain.upper, 4.0)
    top = top if div.domain.upper_included else top - 0.05
    return torch.linspace(-6, top, 200, dtype=torch.float64)


# --- the registry ---------------------------------------------------------------------


def test_names_are_the_seven_of_the_book():
    assert divergences.names() == sorted(NAMES)
    for name in NAMES:
        div = divergences.get(name)
        assert isinstance(div, divergences.FDivergence) and div.name == name
        assert divergences.get(div) is div


@pytest.mark.parametrize("exception", [UnknownNameError, KeyError, ValueError])
def test_unknown_name_lists_the_known_ones(exception):
    with pytest.raises(exception) as info:
        divergences.get("wasserstein")
    assert "'wasserstein'" in str(info.value)
    assert all(name in str(info.value) for name in NAMES)
    with pytest.raises(UnknownNameError):
        divergences.get(None)  # type: ignore[arg-type]


# --- f: convex, f(1) = 0, its derivative and its slope at infinity --------------------


@pytest.mark.parametrize("name", NAMES)
def test_f_vanishes_at_one_and_is_convex(name):
    div = divergences.get(name)
    assert div.f(1.0).item() == pytest.approx(0.0, abs=1e-15)
    u = torch.linspace(0.0, 20.0, 4001, dtype=torch.float64)
    values = div.f(u)
    second_difference = values[2:] - 2 * values[1:-1] + values[:-2]
    finite = torch.isfinite(second_difference)
    assert (second_difference[finite] >= -1e-12).all()


@pytest.mark.parametrize("name", NAMES)
def test_optimal_critic_is_the_derivative_of_f(name):
    div = divergences.get(name)
    u = U_GRID[(U_GRID - 1).abs() > 0.02]  # TV's f has a kink at 1
    h = 1e-6 * u
    numeric = (div.f(u + h) - div.f(u - h)) / (2 * h)
    torch.testing.assert_close(div.optimal_critic(u), numeric, rtol=1e-5, atol=1e-6)
    if name == "total_variation":  # a subgradient at the kink
        assert div.optimal_critic(1.0).item() == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_slope_at_infinity_is_the_limit_of_f_over_u(name):
    div = divergences.get(name)
    u = torch.tensor([1e8, 1e12], dtype=torch.float64)
    ratio = div.f(u) / u
    if math.isinf(div.slope_at_infinity):
        assert ratio[1] > ratio[0] > 15  # u log u / u or u: unbounded
    else:
        assert ratio[1].item() == pytest.approx(div.slope_at_infinity, abs=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_domain_of_the_conjugate_ends_at_the_slope_at_infinity(name):
    div = divergences.get(name)
    assert div.domain.upper == div.slope_at_infinity
    assert div.domain.upper_included == (name == "total_variation")


def test_f_refuses_negative_ratios():
    with pytest.raises(ValueError, match="u = p/q >= 0"):
        divergences.get("kl").f(torch.tensor([0.5, -0.1]))
    with pytest.raises(TypeError, match="floating-point"):
        divergences.get("kl").f(torch.tensor([1, 2]))


# --- the conjugate: a brute-force supremum, Fenchel-Young, its domain -----------------


@pytest.mark.parametrize("name", NAMES)
def test_conjugate_is_the_supremum_over_nonnegative_u(name):
    div = divergences.get(name)
    u = torch.cat([torch.zeros(1), torch.logspace(-6, 4, 40_001)]).double()  # (U,)
    t = t_grid(div)  # (T,)
    brute = (t[:, None] * u[None, :] - div.f(u)[None, :]).amax(dim=1)  # (T,)
    exact = div.conjugate(t)
    # the grid sup is a lower bound, tight up to the grid's resolution
    assert (brute <= exact + 1e-9).all()
    torch.testing.assert_close(brute, exact, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_conjugate_is_infinite_outside_its_domain(name):
    div = divergences.get(name)
    if math.isinf(div.domain.upper):
        assert torch.isfinite(div.conjugate(torch.tensor([50.0]))).all()
        return
    outside = div.domain.upper + torch.tensor([1e-3, 0.5, 10.0], dtype=torch.float64)
    assert torch.isinf(div.conjugate(outside)).all()
    # and the grid supremum there really grows without bound
    u = torch.logspace(0, 8, 1000, dtype=torch.float64)
    assert torch.max(outside[0] * u - div.f(u)) > 50


@pytest.mark.parametrize("name", NAMES)
def test_fenchel_young_inequality_and_its_equality_case(name):
    div = divergences.get(name)
    u = U_GRID[:, None]  # (U, 1)
    t = t_grid(div)[None, :]  # (1, T)
    gap = div.f(u) + div.conjugate(t) - u * t  # (U, T)
    assert (gap >= -1e-10).all()
    t_star = div.optimal_critic(U_GRID)  # equality at t = f'(u)
    equality = div.f(U_GRID) + div.conjugate(t_star) - U_GRID * t_star
    torch.testing.assert_close(equality, torch.zeros_like(equality), atol=1e-9, rtol=0)


@pytest.mark.parametrize("name", NAMES)
def test_conjugate_gradient_is_finite_inside_the_domain(name):
    div = divergences.get(name)
    t = torch.cat([t_grid(div), div.domain.upper + torch.ones(1).double()])
    t.requires_grad_(True)
    value = div.conjugate(t)
    (grad,) = torch.autograd.grad(value[torch.isfinite(value)].sum(), t)
    assert torch.isfinite(grad).all()
    # f* is non-decreasing (its derivative is the maximizing u >= 0)
    assert (grad[:-1] >= 0).all()


# --- activations ----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_activation_maps_every_output_into_the_domain(name):
    div = divergences.get(name)
    v = torch.cat([V_GRID, torch.tensor([-30.0, 30.0], dtype=torch.float64)])
    assert div.domain.contains(div.activation(v)).all()
    assert torch.isfinite(div.conjugate(div.activation(V_GRID))).all()


@pytest.mark.parametrize("name", NAMES)
def test_conjugate_of_activation_is_the_composition_and_stays_finite(name):
    div = divergences.get(name)
    composed = div.conjugate(div.activation(V_GRID))
    torch.testing.assert_close(div.conjugate_of_activation(V_GRID), composed)
    v = torch.tensor([-80.0, -40.0, 40.0, 80.0])  # float32: where naive forms overflow
    if name in ("jensen_shannon", "gan", "total_variation", "pearson", "reverse_kl"):
        value = div.conjugate_of_activation(v.requires_grad_(True))
        (grad,) = torch.autograd.grad(value.sum(), v)
        assert torch.isfinite(value).all() and torch.isfinite(grad).all()


def test_gan_activation_is_log_sigmoid_and_its_optimal_critic_is_log_d_star():
    gan = divergences.get("gan")
    torch.testing.assert_close(
        gan.activation(V_GRID), torch.nn.functional.logsigmoid(V_GRID)
    )
    p, q = torch.tensor([0.3, 2.0]).double(), torch.tensor([0.6, 0.5]).double()
    torch.testing.assert_close(gan.optimal_critic(p / q), torch.log(p / (p + q)))


# --- the book's table: the SymPy formulas agree with the code -------------------------


def lambdified(expression: str, symbol: sympy.Symbol):
    return sympy.lambdify(symbol, sympy.sympify(expression), modules="numpy")


@pytest.mark.parametrize("name", NAMES)
def test_formulas_of_the_table_match_the_methods(name):
    div = divergences.get(name)
    u, t, v = sympy.symbols("u t v", real=True)
    formulas = div.formulas
    u_np, t_np, v_np = U_GRID.numpy(), t_grid(div).numpy(), V_GRID.numpy()
    np.testing.assert_allclose(lambdified(formulas.f, u)(u_np), div.f(U_GRID), 1e-12)
    np.testing.assert_allclose(
        lambdified(formulas.optimal_critic, u)(u_np), div.optimal_critic(U_GRID), 1e-12
    )
    np.testing.assert_allclose(
        np.broadcast_to(lambdified(formulas.conjugate, t)(t_np), t_np.shape),
        div.conjugate(t_grid(div)),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        np.broadcast_to(lambdified(formulas.activation, v)(v_np), v_np.shape),
        div.activation(V_GRID),
        rtol=1e-12,
        atol=1e-15,
    )


# --- exact divergences by quadrature: closed forms ------------------------------------


def kl_gaussians(m1, s1, m2, s2):
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def hellinger_gaussians(m1, s1, m2, s2):  # int (sqrt p - sqrt q)^2 = 2 (1 - BC)
    bc = math.sqrt(2 * s1 * s2 / (s1**2 + s2**2)) * math.exp(
        -((m1 - m2) ** 2) / (4 * (s1**2 + s2**2))
    )
    return 2 * (1 - bc)


def pearson_gaussians(m1, s1, m2, s2):  # int p^2 / q - 1, finite for 2 s2^2 > s1^2
    a = 2 * s2**2 - s1**2
    return s2**2 / (s1 * math.sqrt(a)) * math.exp((m1 - m2) ** 2 / a) - 1


PAIRS = [(0.0, 1.0, 1.0, 1.2), (0.5, 0.7, -1.0, 1.5), (2.0, 1.0, 2.0, 1.0)]


@pytest.mark.parametrize("m1, s1, m2, s2", PAIRS)
def test_quadrature_matches_closed_forms_for_gaussians(m1, s1, m2, s2):
    p, q = gaussian(m1, s1), gaussian(m2, s2)
    kwargs = dict(support=SUPPORT, points=[m1, m2])
    kl = divergences.f_divergence("kl", p, q, **kwargs)
    assert kl == pytest.approx(kl_gaussians(m1, s1, m2, s2), abs=1e-9)
    reverse = divergences.f_divergence("reverse_kl", p, q, **kwargs)
    assert reverse == pytest.approx(kl_gaussians(m2, s2, m1, s1), abs=1e-9)
    hellinger = divergences.f_divergence("squared_hellinger", p, q, **kwargs)
    assert hellinger == pytest.approx(hellinger_gaussians(m1, s1, m2, s2), abs=1e-9)
    pearson = divergences.f_divergence("pearson", p, q, **kwargs)
    assert pearson == pytest.approx(pearson_gaussians(m1, s1, m2, s2), abs=1e-8)
    js = divergences.f_divergence("jensen_shannon", p, q, **kwargs)
    gan = divergences.f_divergence("gan", p, q, **kwargs)
    assert gan == pytest.approx(2 * js, abs=1e-10)
    assert 0 <= js <= math.log(2)


def test_total_variation_of_equal_variance_gaussians():
    m, s = 1.3, 0.8
    tv = divergences.f_divergence(
        "total_variation",
        gaussian(0, s),
        gaussian(m, s),
        support=SUPPORT,
        points=[m / 2],
    )
    assert tv == pytest.approx(2 * ndtr(m / (2 * s)) - 1, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_divergence_of_a_distribution_from_itself_is_zero(name):
    p = gaussian(0.3, 0.9)
    assert divergences.f_divergence(name, p, p, support=SUPPORT) == pytest.approx(
        0.0, abs=1e-12
    )


# P = U[0, 2], Q = U[1, 3]: half of each outside the other's support, p = q on [1, 2],
# so D_f = f(0) Q(p = 0) + f'(inf) P(q = 0) = (f(0) + f'(inf)) / 2.
DISJOINT_HALVES = {
    "kl": math.inf,
    "reverse_kl": math.inf,
    "jensen_shannon": 0.5 * math.log(2),
    "gan": math.log(2),
    "pearson": math.inf,
    "squared_hellinger": 1.0,
    "total_variation": 0.5,
}


@pytest.mark.parametrize("name", NAMES)
def test_mass_outside_the_other_support_costs_f0_or_the_slope_at_infinity(name):
    div = divergences.get(name)
    value = divergences.f_divergence(
        name, uniform(0, 2), uniform(1, 3), support=(-1, 4), points=[0, 1, 2, 3]
    )
    expected = 0.5 * (div.f(0.0).item() + div.slope_at_infinity)
    assert expected == DISJOINT_HALVES[name]
    assert value == pytest.approx(expected, abs=1e-9)


# The same prices reached as a limit, with no zero density anywhere: N(0, 1) against
# N(delta, 1) tends to disjoint supports, so D_f -> f(0) + f'(inf) (the ceiling).
CEILINGS = {
    "kl": math.inf,
    "reverse_kl": math.inf,
    "jensen_shannon": math.log(2),
    "gan": math.log(4),
    "pearson": math.inf,
    "squared_hellinger": 2.0,
    "total_variation": 1.0,
}


@pytest.mark.parametrize("name", NAMES)
def test_gaussians_pulled_apart_approach_the_ceiling(name):
    div = divergences.get(name)
    assert div.f(0.0).item() + div.slope_at_infinity == pytest.approx(CEILINGS[name])
    values = []
    for delta in (1.0, 4.0, 16.0):
        support = (-12.0, delta + 12.0)  # both densities > 0 (no underflow) on it
        x = np.linspace(*support, 10_001)
        assert (gaussian(0, 1)(x) > 0).all() and (gaussian(delta, 1)(x) > 0).all()
        values.append(divergences.f_divergence(
            name, gaussian(0, 1), gaussian(delta, 1), support=support,
            points=[0.0, delta / 2, delta]))
    assert values[0] < values[1] <= values[2]
    if math.isinf(CEILINGS[name]):
        assert values[2] > 100
    else:
        assert values[0] < CEILINGS[name] - 0.05
        assert values[2] == pytest.approx(CEILINGS[name], abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_strictly_convex_at_one_through_the_optimal_critic_at_one(name):
    """f(u) > c (u - 1) for u != 1 with c = optimal_critic(1) (f'(1); 0 for TV)."""
    div = divergences.get(name)
    u = torch.cat([torch.linspace(0, 0.999, 500), torch.linspace(1.001, 100, 500)])
    c = div.optimal_critic(1.0).item()
    assert (div.f(u.double()) - c * (u.double() - 1)).min() > 0
    if name == "total_variation":
        assert c == 0.0
        for end in (-0.5, 0.5):  # subgradients too, but each lies along a branch
            assert (div.f(u.double()) - end * (u.double() - 1)).min() == 0


@pytest.mark.parametrize("eps", [1e-1, 1e-3, 1e-6])
def test_clipped_gan_critic_approaches_2jsd_without_absolute_continuity(eps):
    """P = U[0, 2], Q = U[1, 3]: T* = log D* leaves dom f* where q = 0; the critic
    log clip(D*, eps, 1 - eps) reaches log 2 + log(1 - eps) -> 2 JSD = log 2."""
    p, q = uniform(0, 2), uniform(1, 3)

    def clipped(x: np.ndarray) -> np.ndarray:
        d_star = np.divide(p(x), p(x) + q(x), out=np.full_like(x, 0.5),
                           where=p(x) + q(x) > 0)
        return np.log(np.clip(d_star, eps, 1 - eps))

    bound = divergences.variational_bound("gan", p, q, clipped, support=(-1, 4),
                                          points=[0, 1, 2, 3])
    assert bound == pytest.approx(math.log(2) + math.log1p(-eps), abs=1e-9)
    assert math.isinf(divergences.get("gan").conjugate(0.0).item())


def test_kl_is_infinite_where_q_underflows_to_zero():
    narrow, wide = gaussian(0, 0.1), gaussian(0, 3)  # narrow underflows at |x| > ~3.9
    kl = divergences.f_divergence("kl", wide, narrow, support=(-30, 30))
    assert kl == math.inf
    assert divergences.f_divergence("reverse_kl", wide, narrow, support=(-30, 30)) < 5


# --- the variational bound ------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.filterwarnings("ignore:the panel quadrature")
def test_variational_bound_is_tight_at_the_optimal_critic(name):
    div = divergences.get(name)
    p, q = gaussian(0.0, 1.0), gaussian(1.0, 1.2)
    kwargs = dict(support=SUPPORT, points=[0.0, 1.0])

    def optimal(x: np.ndarray) -> np.ndarray:
        return div.optimal_critic(p(x) / q(x)).numpy()

    def perturbed(x: np.ndarray) -> np.ndarray:  # stays inside dom f*
        return np.minimum(optimal(x) + 0.05 * np.sin(3 * x), optimal(x)) - 0.02

    exact = divergences.f_divergence(name, p, q, **kwargs)
    assert divergences.variational_bound(name, p, q, optimal, **kwargs) == (
        pytest.approx(exact, abs=1e-8)
    )
    assert divergences.variational_bound(name, p, q, perturbed, **kwargs) < exact - 1e-4


def test_variational_bound_of_a_critic_outside_the_domain_is_minus_infinity():
    def positive(x: np.ndarray) -> np.ndarray:
        return np.full_like(x, 0.5)  # reverse KL needs T < 0

    p, q = gaussian(0, 1), gaussian(0.5, 1)
    bound = divergences.variational_bound("reverse_kl", p, q, positive, support=SUPPORT)
    assert bound == -math.inf


# --- bad inputs -----------------------------------------------------------------------


def test_f_divergence_refuses_bad_inputs():
    p, q = gaussian(0, 1), gaussian(1, 1)
    with pytest.raises(UnknownNameError, match="known: gan"):
        divergences.f_divergence("chi2", p, q, support=SUPPORT)
    with pytest.raises(ValueError, match="lo < hi"):
        divergences.f_divergence("kl", p, q, support=(3.0, -3.0))
    with pytest.raises(ValueError, match="finite interval"):
        divergences.f_divergence("kl", p, q, support=(-math.inf, 3.0))
    with pytest.raises(ValueError, match="pair"):
        divergences.f_divergence("kl", p, q, support=5.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-negative"):
        divergences.f_divergence("kl", p, lambda x: q(x) - 0.01, support=SUPPORT)
    with pytest.raises(ValueError, match="vectorized"):
        divergences.f_divergence("kl", p, lambda x: q(x)[:-1], support=SUPPORT)
    with pytest.raises(ValueError, match="integrates to"):
        divergences.f_divergence("kl", p, q, support=(-1.0, 1.0))
    with pytest.raises(TypeError, match="callable"):
        divergences.f_divergence("kl", p, 3.0, support=SUPPORT)  # type: ignore


# --- Wasserstein-1 (the function of Chapter 4, unchanged) -----------------------------


def test_wasserstein_1d_of_a_shift_is_the_shift():
    x = torch.randn(
        500, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    assert divergences.wasserstein_1d(x, x + 0.7) == pytest.approx(0.7, abs=1e-12)
