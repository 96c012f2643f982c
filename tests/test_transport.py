"""gan_lib.divergences.transport against closed forms, SciPy's 1-D distance and LP
duality."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import wasserstein_distance

from gan_lib.divergences import transport, wasserstein_1d


def clouds(seed: int, n: int = 12, m: int = 9, d: int = 2):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = rng.normal(size=(m, d)) + 1.5
    a = rng.dirichlet(np.ones(n))
    b = rng.dirichlet(np.ones(m))
    return x, y, a, b


def test_cost_matrix_is_euclidean_distance():
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    y = np.array([[0.0, 0.0], [0.0, 1.0], [6.0, 8.0]])
    expected = np.array([[0.0, 1.0, 10.0], [5.0, np.sqrt(9 + 9), 5.0]])
    np.testing.assert_allclose(transport.cost_matrix(x, y), expected)
    # 1-D input (N,) is read as (N, 1); tensors are accepted
    got = transport.cost_matrix(torch.tensor([0.0, 2.0]), np.array([1.0]))
    np.testing.assert_allclose(got, [[1.0], [1.0]])


def test_two_point_masses_cost_their_distance():
    plan = transport.primal_transport(transport.cost_matrix([[0.0, 0.0]], [[3.0, 4.0]]))
    assert plan.cost == pytest.approx(5.0, abs=1e-12)
    np.testing.assert_allclose(plan.coupling, [[1.0]])


def test_hand_solved_example():
    # P = 1/2 d_0 + 1/2 d_1, Q = d_3 on the line: every unit of mass travels to 3.
    plan = transport.primal_transport(transport.cost_matrix([0.0, 1.0], [3.0]))
    assert plan.cost == pytest.approx(0.5 * 3 + 0.5 * 2, abs=1e-12)
    # a translation by t moves every point by |t|: W1 = |t| for any weights
    x, _, a, _ = clouds(0)
    shift = np.array([0.3, -0.4])
    plan = transport.primal_transport(transport.cost_matrix(x, x + shift), a, a)
    assert plan.cost == pytest.approx(0.5, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coupling_is_feasible(seed: int):
    x, y, a, b = clouds(seed)
    plan = transport.primal_transport(transport.cost_matrix(x, y), a, b)
    assert plan.coupling.shape == (len(a), len(b))
    assert plan.coupling.min() >= 0
    np.testing.assert_allclose(plan.coupling.sum(1), a, atol=1e-9)
    np.testing.assert_allclose(plan.coupling.sum(0), b, atol=1e-9)
    cost = transport.cost_matrix(x, y)
    assert (plan.coupling * cost).sum() == pytest.approx(plan.cost, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_strong_duality_and_dual_feasibility(seed: int):
    x, y, a, b = clouds(seed)
    cost = transport.cost_matrix(x, y)
    plan = transport.primal_transport(cost, a, b)
    dual = transport.dual_transport(cost, a, b)
    assert dual.value == pytest.approx(plan.cost, abs=1e-8)
    assert (dual.f[:, None] - dual.g[None, :] <= cost + 1e-9).all()
    # complementary slackness: mass moves only where the constraint is tight
    slack = cost - (dual.f[:, None] - dual.g[None, :])
    assert (plan.coupling * slack).sum() == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_c_transform_is_a_1_lipschitz_optimal_critic(seed: int):
    x, y, a, b = clouds(seed)
    cost = transport.cost_matrix(x, y)
    dual = transport.dual_transport(cost, a, b)
    phi_x = transport.c_transform(x, y, dual.g)
    phi_y = transport.c_transform(y, y, dual.g)
    assert (phi_x >= dual.f - 1e-9).all() and (phi_y <= dual.g + 1e-9).all()
    assert a @ phi_x - b @ phi_y == pytest.approx(dual.value, abs=1e-8)
    points = np.concatenate([x, y])
    values = np.concatenate([phi_x, phi_y])
    ratio = np.abs(values[:, None] - values[None, :]) / (
        transport.cost_matrix(points, points) + np.eye(len(points))
    )
    assert ratio.max() <= 1 + 1e-9


@pytest.mark.parametrize("seed", [0, 1])
def test_one_dimensional_clouds_match_scipy_and_sorted_samples(seed: int):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=15), 2 * rng.normal(size=11) + 0.5
    a, b = rng.dirichlet(np.ones(15)), rng.dirichlet(np.ones(11))
    plan = transport.primal_transport(transport.cost_matrix(x, y), a, b)
    assert plan.cost == pytest.approx(wasserstein_distance(x, y, a, b), abs=1e-9)
    uniform = transport.primal_transport(transport.cost_matrix(x, y)).cost
    assert uniform == pytest.approx(wasserstein_1d(x, y), abs=1e-9)


def test_assignment_matches_the_linear_program():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(30, 2)), rng.normal(size=(30, 2)) + [1.0, 0.0]
    lp = transport.primal_transport(transport.cost_matrix(x, y)).cost
    assert transport.wasserstein_assignment(x, y) == pytest.approx(lp, abs=1e-9)
    x1, y1 = rng.normal(size=40), rng.normal(size=40)
    got = transport.wasserstein_assignment(torch.tensor(x1), torch.tensor(y1))
    assert got == pytest.approx(wasserstein_1d(x1, y1), abs=1e-12)


def test_bad_inputs_say_what_was_expected():
    with pytest.raises(ValueError, match="same space"):
        transport.cost_matrix(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="sum to 1"):
        transport.primal_transport(np.ones((2, 2)), a=np.array([0.5, 0.6]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        transport.dual_transport(np.ones((2, 2)), b=np.array([1.0]))
    with pytest.raises(ValueError, match="NaN"):
        transport.cost_matrix(np.array([[np.nan]]), np.array([[0.0]]))
    with pytest.raises(ValueError, match="equally many"):
        transport.wasserstein_assignment(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="one value per y"):
        transport.c_transform(np.zeros((1, 2)), np.zeros((3, 2)), np.zeros(2))
