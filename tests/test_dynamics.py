"""The Dirac GAN (gan_lib.dynamics) against the closed forms of Chapter 2.

``DiracGAN`` computes everything by autograd through ``gan_lib.losses``; the expected
values here are written from the formulas of the theory page, with
``f(t) = -log(1 + e^{-t})`` (so ``f'(t) = sigmoid(-t)``, ``f'(0) = 1/2``) for the
standard GAN and ``f(t) = t`` (``f'(0) = 1``) for the WGAN.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gan_lib.dynamics import DiracGAN, distance_to_equilibrium, spectral_radius

F_PRIME_AT_0 = {"minimax": 0.5, "non_saturating": 0.5, "wasserstein": 1.0}
POINTS = [(0.7, -1.3), (-2.0, 0.4), (1.5, 2.5), (0.0, 0.9)]


def f(t: float, loss: str) -> float:
    return t if loss == "wasserstein" else -math.log1p(math.exp(-t))


def f_prime(t: float, loss: str) -> float:
    return 1.0 if loss == "wasserstein" else 1.0 / (1.0 + math.exp(t))  # sigmoid(-t)


# --- the game and its vector field -------------------------------------------------


@pytest.mark.parametrize("loss", ["minimax", "wasserstein"])
@pytest.mark.parametrize("theta, psi", POINTS)
def test_value_function_is_f_of_psi_theta_plus_f_of_zero(loss, theta, psi):
    expected = f(psi * theta, loss) + f(0.0, loss)
    assert DiracGAN(loss).value(theta, psi) == pytest.approx(expected, abs=1e-14)


@pytest.mark.parametrize("loss", ["minimax", "wasserstein"])
@pytest.mark.parametrize("gamma", [0.0, 0.7])
@pytest.mark.parametrize("theta, psi", POINTS)
def test_vector_field_matches_closed_form(loss, gamma, theta, psi):
    fp = f_prime(psi * theta, loss)
    expected = [-fp * psi, fp * theta - gamma * psi]
    field = DiracGAN(loss, r1_gamma=gamma).vector_field(theta, psi)
    assert field == pytest.approx(expected, abs=1e-14)


@pytest.mark.parametrize("theta, psi", POINTS)
def test_non_saturating_field_differs_only_in_the_generator_weight(theta, psi):
    # G descends softplus(psi theta): velocity -sigmoid(psi theta) psi
    sigmoid_psi_theta = 1 / (1 + math.exp(-psi * theta))
    expected = [-sigmoid_psi_theta * psi, f_prime(psi * theta, "minimax") * theta]
    field = DiracGAN("non_saturating").vector_field(theta, psi)
    assert field == pytest.approx(expected, abs=1e-14)


@pytest.mark.parametrize("loss", ["minimax", "wasserstein"])
@pytest.mark.parametrize("theta, psi", POINTS)
def test_zero_sum_field_is_orthogonal_to_the_radius(loss, theta, psi):
    # d/dt (theta^2 + psi^2) = 2 x . v = 0: the gradient flow moves on circles
    field = DiracGAN(loss).vector_field(theta, psi)
    assert theta * field[0] + psi * field[1] == pytest.approx(0.0, abs=1e-14)


@pytest.mark.parametrize("loss", ["minimax", "non_saturating", "wasserstein"])
def test_jacobian_at_equilibrium_and_eigenvalues_plus_minus_i_f_prime(loss):
    a = F_PRIME_AT_0[loss]
    jac = DiracGAN(loss).jacobian()
    assert jac == pytest.approx(np.array([[0.0, -a], [a, 0.0]]), abs=1e-14)
    eig = np.sort_complex(np.linalg.eigvals(jac))
    assert eig == pytest.approx(np.array([-1j * a, 1j * a]), abs=1e-14)


@pytest.mark.parametrize("loss", ["minimax", "wasserstein"])
@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.0, 5.0])
def test_r1_eigenvalues_are_minus_half_gamma_plus_minus_root(loss, gamma):
    a = F_PRIME_AT_0[loss]
    root = np.sqrt(complex(gamma**2 / 4 - a**2))
    expected = np.sort_complex(np.array([-gamma / 2 - root, -gamma / 2 + root]))
    eig = np.sort_complex(np.linalg.eigvals(DiracGAN(loss, r1_gamma=gamma).jacobian()))
    assert eig == pytest.approx(expected, abs=1e-7)  # a double root when gamma = 2a
    assert (eig.real < 0).all()


def test_jacobian_away_from_equilibrium_matches_finite_differences():
    game, x0, h = DiracGAN("minimax", r1_gamma=0.4), np.array([0.8, -0.6]), 1e-6
    numeric = np.empty((2, 2))
    for j in range(2):
        e = np.eye(2)[j] * h
        up, down = game.vector_field(*(x0 + e)), game.vector_field(*(x0 - e))
        numeric[:, j] = (up - down) / (2 * h)
    assert game.jacobian(*x0) == pytest.approx(numeric, abs=1e-8)


# --- simultaneous gradient descent -------------------------------------------------


@pytest.mark.parametrize("loss", ["minimax", "wasserstein"])
@pytest.mark.parametrize("lr", [0.05, 0.3])
def test_simultaneous_norm_grows_by_exactly_sqrt_one_plus_h2_fprime2(loss, lr):
    path = DiracGAN(loss).trajectory((1.0, 0.5), 60, "simultaneous", lr_g=lr)
    r = distance_to_equilibrium(path)
    fp = np.array([f_prime(t * p, loss) for t, p in path[:-1]])
    assert r[1:] / r[:-1] == pytest.approx(np.sqrt(1 + lr**2 * fp**2), rel=1e-13)
    assert (np.diff(r) > 0).all()


def test_simultaneous_growth_near_equilibrium_is_first_order_factor():
    # f'(psi theta) = f'(0) + f''(0) psi theta + ..., so the factor is
    # sqrt(1 + h^2 f'(0)^2) + O(r^2): the error shrinks 100-fold when r shrinks 10-fold
    lr, a = 0.2, 0.5
    errors = []
    for radius in (1e-2, 1e-3):
        path = DiracGAN("minimax").trajectory((radius, radius), 1, lr_g=lr)
        r = distance_to_equilibrium(path)
        errors.append(abs(r[1] / r[0] - math.sqrt(1 + lr**2 * a**2)))
        assert errors[-1] < lr**2 * radius**2  # |f''(0)| = 1/4, |psi theta| <= r^2/2
    assert errors[0] / errors[1] == pytest.approx(100, rel=0.01)


@pytest.mark.parametrize("lr_g, lr_d", [(0.1, 0.1), (0.05, 0.4)])
def test_simultaneous_update_jacobian_and_spectral_radius(lr_g, lr_d):
    a = 0.5
    jac = DiracGAN("minimax").update_jacobian("simultaneous", lr_g=lr_g, lr_d=lr_d)
    assert jac == pytest.approx(np.array([[1, -lr_g * a], [lr_d * a, 1]]), abs=1e-14)
    expected = math.sqrt(1 + lr_g * lr_d * a**2)
    assert spectral_radius(jac) == pytest.approx(expected, rel=1e-13)
    assert np.linalg.det(jac) > 1  # no choice of two learning rates contracts


# --- alternating gradient descent --------------------------------------------------


@pytest.mark.parametrize("d_steps", [1, 3])
@pytest.mark.parametrize("lr_g, lr_d", [(0.1, 0.1), (0.2, 0.05), (1.5, 1.5)])
def test_alternating_update_jacobian_has_unit_determinant(d_steps, lr_g, lr_d):
    a = 0.5
    jac = DiracGAN("minimax").update_jacobian(
        "alternating", lr_g=lr_g, lr_d=lr_d, d_steps=d_steps
    )
    c = d_steps * lr_g * lr_d * a**2
    expected = np.array([[1 - c, -lr_g * a], [d_steps * lr_d * a, 1]])
    assert jac == pytest.approx(expected, abs=1e-14)
    assert np.linalg.det(jac) == pytest.approx(1.0, abs=1e-14)
    radius = spectral_radius(jac)
    if c < 4:
        assert radius == pytest.approx(1.0, abs=1e-12)  # on the unit circle
    else:
        assert radius > 1 + 1e-3


def test_alternating_with_large_steps_leaves_the_unit_circle():
    # k h_g h_d f'(0)^2 = 5 * 1 * 1 * 1 = 5 > 4: a real eigenvalue below -1
    jac = DiracGAN("wasserstein").update_jacobian("alternating", 1.0, 1.0, d_steps=5)
    assert spectral_radius(jac) == pytest.approx((3 + math.sqrt(5)) / 2, rel=1e-12)


@pytest.mark.parametrize("d_steps, lr_g, lr_d", [(1, 0.3, 0.3), (3, 0.2, 0.1)])
def test_alternating_wgan_conserves_the_quadratic_form(d_steps, lr_g, lr_d):
    path = DiracGAN("wasserstein").trajectory(
        (1.0, 0.5), 1000, "alternating", lr_g=lr_g, lr_d=lr_d, d_steps=d_steps
    )
    theta, psi = path[:, 0], path[:, 1]
    q = theta**2 / lr_g + psi**2 / (d_steps * lr_d) + theta * psi
    assert q == pytest.approx(np.full_like(q, q[0]), rel=1e-11)


def test_alternating_wgan_radius_stays_within_the_ellipse_bound():
    h = 0.3
    # (1 - h/2) r^2 <= Q <= (1 + h/2) r^2; starting on the diagonal, Q = (1 + h/2) r0^2
    # and the orbit reaches the anti-diagonal, where r^2 = Q / (1 - h/2)
    path = DiracGAN("wasserstein").trajectory((1.0, 1.0), 2000, "alternating", lr_g=h)
    r = distance_to_equilibrium(path)
    bound = math.sqrt((1 + h / 2) / (1 - h / 2))
    assert r.max() / r[0] <= bound * (1 + 1e-12)
    assert r.min() / r[0] >= 1 / bound * (1 - 1e-12)
    assert r.max() / r[0] > 0.99 * bound  # the bound is attained on the ellipse


def test_alternating_standard_gan_neither_converges_nor_diverges():
    path = DiracGAN("minimax").trajectory((1.0, 1.0), 5000, "alternating", lr_g=0.1)
    r = distance_to_equilibrium(path)
    assert 0.95 < r.min() / r[0] and r.max() / r[0] < 1.05


# --- R1 -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["simultaneous", "alternating"])
def test_r1_converges_to_the_equilibrium(method):
    game = DiracGAN("minimax", r1_gamma=0.3)
    path = game.trajectory((1.0, 1.0), 1500, method, lr_g=0.1)
    assert distance_to_equilibrium(path)[-1] < 1e-6


@pytest.mark.parametrize("gamma, lr", [(0.3, 0.1), (0.5, 1.5)])
def test_r1_simultaneous_rate_is_sqrt_one_minus_h_gamma_plus_h2_a2(gamma, lr):
    a = 0.5
    jac = DiracGAN("minimax", r1_gamma=gamma).update_jacobian("simultaneous", lr)
    rate = math.sqrt(1 - lr * gamma + lr**2 * a**2)
    assert spectral_radius(jac) == pytest.approx(rate, rel=1e-12)
    # convergence iff h < gamma / a^2 (complex eigenvalues, gamma < 2a)
    assert (spectral_radius(jac) < 1) == (lr < gamma / a**2)


def test_r1_leaves_the_equilibrium_in_place():
    field = DiracGAN("minimax", r1_gamma=3.0).vector_field(0.0, 0.0)
    assert field == pytest.approx([0.0, 0.0], abs=0)


# --- bad inputs ---------------------------------------------------------------------


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="supports the losses"):
        DiracGAN("hinge")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="r1_gamma"):
        DiracGAN("minimax", r1_gamma=-1.0)
    game = DiracGAN()
    with pytest.raises(ValueError, match="d_steps must be 1"):
        game.trajectory((1.0, 1.0), 10, "simultaneous", d_steps=2)
    with pytest.raises(ValueError, match="method must be"):
        game.trajectory((1.0, 1.0), 10, "unrolled")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lr_g must be a positive"):
        game.trajectory((1.0, 1.0), 10, lr_g=0.0)
    with pytest.raises(ValueError, match=r"shape \(2,\); got"):
        game.trajectory((1.0, 1.0, 1.0), 10)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="steps must be"):
        game.trajectory((1.0, 1.0), -1)
    with pytest.raises(ValueError, match="square matrix"):
        spectral_radius(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        distance_to_equilibrium(np.ones((4, 3)))


def test_trajectory_shape_and_start():
    path = DiracGAN().trajectory((0.3, -0.2), 7, "alternating", lr_g=0.1, d_steps=2)
    assert path.shape == (8, 2) and path.dtype == np.float64
    assert path[0].tolist() == [0.3, -0.2]


# --- methods built for games: extragradient, optimistic, consensus ------------------
# omega = f'(0) sqrt(h_G h_D) throughout (the theory page's notation).

STEP_PAIRS = [(0.1, 0.1), (0.3, 0.9), (0.5, 1.0), (0.6, 1.8), (2.0, 2.5)]


def _same_eigenvalues(found, expected, tol):
    gaps = np.abs(np.subtract.outer(np.asarray(found), np.asarray(expected)))
    return gaps.min(axis=0).max() < tol and gaps.min(axis=1).max() < tol


def _rho_optimistic(omega: float) -> float:
    if omega <= 0.5:
        return math.sqrt((1 + math.sqrt(1 - 4 * omega**2)) / 2)
    return math.sqrt(0.25 + (omega + math.sqrt(4 * omega**2 - 1) / 2) ** 2)


@pytest.mark.parametrize("loss", ["minimax", "wasserstein"])
@pytest.mark.parametrize("lr_g, lr_d", STEP_PAIRS)
def test_extragradient_update_jacobian_and_eigenvalues(loss, lr_g, lr_d):
    a = F_PRIME_AT_0[loss]
    omega = a * math.sqrt(lr_g * lr_d)
    E = DiracGAN(loss).update_jacobian("extragradient", lr_g=lr_g, lr_d=lr_d)
    expected = [[1 - omega**2, -lr_g * a], [lr_d * a, 1 - omega**2]]
    assert E == pytest.approx(np.array(expected), abs=1e-13)
    roots = 1 - omega**2 + np.array([1j, -1j]) * omega
    assert _same_eigenvalues(np.linalg.eigvals(E), roots, 1e-12)
    rho = spectral_radius(E)
    assert rho == pytest.approx(math.sqrt(1 - omega**2 + omega**4), abs=1e-12)
    assert (rho < 1) == (omega < 1)


def test_extragradient_step_is_a_look_ahead_step():
    game, h_g, h_d = DiracGAN("minimax"), 0.3, 0.7
    x = np.array([0.8, -0.4])
    half = x + np.array([h_g, h_d]) * game.vector_field(*x)
    expected = x + np.array([h_g, h_d]) * game.vector_field(*half)
    path = game.trajectory(tuple(x), 1, "extragradient", lr_g=h_g, lr_d=h_d)
    assert path[1] == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("lr", [0.1, 0.4, 0.9])
def test_extragradient_wgan_shrinks_by_rho_at_every_step(lr):
    path = DiracGAN("wasserstein").trajectory((1.0, -0.5), 300, "extragradient",
                                              lr_g=lr)
    r = distance_to_equilibrium(path)
    rho = math.sqrt(1 - lr**2 + lr**4)
    assert np.abs(r[1:] / r[:-1] - rho).max() < 1e-12


def test_extragradient_standard_gan_converges_at_the_rate_of_the_theorem():
    lr = 0.5
    r = distance_to_equilibrium(
        DiracGAN("minimax").trajectory((1.0, 1.0), 1200, "extragradient", lr_g=lr))
    omega = 0.5 * lr
    late = r[701:1001] / r[700:1000]
    assert r[-1] < 1e-12
    assert np.abs(late - math.sqrt(1 - omega**2 + omega**4)).max() < 1e-9


def test_extragradient_diverges_beyond_omega_one():
    path = DiracGAN("wasserstein").trajectory((0.1, 0.0), 50, "extragradient", lr_g=1.2)
    r = distance_to_equilibrium(path)
    assert r[-1] > 10 * r[0]


@pytest.mark.parametrize("loss", ["minimax", "wasserstein"])
@pytest.mark.parametrize("lr_g, lr_d", STEP_PAIRS)
def test_optimistic_companion_matrix_and_eigenvalues(loss, lr_g, lr_d):
    a = F_PRIME_AT_0[loss]
    omega = a * math.sqrt(lr_g * lr_d)
    C = DiracGAN(loss).update_jacobian("optimistic", lr_g=lr_g, lr_d=lr_d)
    B = np.array([[0.0, -lr_g * a], [lr_d * a, 0.0]])
    expected = np.block([[np.eye(2) + 2 * B, -B], [np.eye(2), np.zeros((2, 2))]])
    assert C.shape == (4, 4)
    assert C == pytest.approx(expected, abs=1e-13)
    roots = np.concatenate(
        [np.roots([1, -(1 + 2 * lam), lam]) for lam in (1j * omega, -1j * omega)]
    )
    assert _same_eigenvalues(np.linalg.eigvals(C), roots, 1e-9)
    rho = spectral_radius(C)
    assert rho == pytest.approx(_rho_optimistic(omega), abs=1e-9)
    assert (rho < 1) == (omega < 1 / math.sqrt(3))


def test_optimistic_threshold_is_one_over_root_three():
    game = DiracGAN("wasserstein")  # omega = h
    below = game.update_jacobian("optimistic", lr_g=0.99 / math.sqrt(3))
    above = game.update_jacobian("optimistic", lr_g=1.01 / math.sqrt(3))
    assert spectral_radius(below) < 1 < spectral_radius(above)


def test_optimistic_first_step_is_simultaneous_then_uses_the_previous_gradient():
    game, h = DiracGAN("minimax"), 0.3
    path = game.trajectory((0.8, -0.4), 2, "optimistic", lr_g=h)
    simultaneous = game.trajectory((0.8, -0.4), 1, "simultaneous", lr_g=h)
    assert path[1] == pytest.approx(simultaneous[1], abs=1e-15)
    expected = (path[1] + 2 * h * game.vector_field(*path[1])
                - h * game.vector_field(*path[0]))
    assert path[2] == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("lr", [0.1, 0.3, 0.45])
def test_optimistic_wgan_shrinks_by_rho_once_the_fast_mode_is_gone(lr):
    path = DiracGAN("wasserstein").trajectory((1.0, -0.5), 600, "optimistic", lr_g=lr)
    r = distance_to_equilibrium(path)
    late = r[401:601] / r[400:600]
    assert np.abs(late - _rho_optimistic(lr)).max() < 1e-9


def test_optimistic_standard_gan_converges_for_small_steps():
    r = distance_to_equilibrium(
        DiracGAN("minimax").trajectory((1.0, 1.0), 1000, "optimistic", lr_g=0.5))
    assert r[-1] < 1e-10 * r[0]


@pytest.mark.parametrize("loss", ["minimax", "wasserstein"])
@pytest.mark.parametrize("gamma_c", [0.5, 2.0])
def test_consensus_jacobian_is_shifted_by_gamma_a_squared(loss, gamma_c):
    a = F_PRIME_AT_0[loss]
    J = DiracGAN(loss, consensus_gamma=gamma_c).jacobian()
    assert J == pytest.approx(np.array([[-gamma_c * a**2, -a], [a, -gamma_c * a**2]]),
                              abs=1e-13)


@pytest.mark.parametrize("loss", ["minimax", "wasserstein"])
@pytest.mark.parametrize("theta, psi", POINTS)
def test_consensus_field_is_v_minus_gamma_grad_half_v_squared(loss, theta, psi):
    gamma_c, eps = 0.7, 1e-6
    plain = DiracGAN(loss)

    def half_sq(t: float, p: float) -> float:
        return 0.5 * float(np.sum(plain.vector_field(t, p) ** 2))

    grad = [
        (half_sq(theta + eps, psi) - half_sq(theta - eps, psi)) / (2 * eps),
        (half_sq(theta, psi + eps) - half_sq(theta, psi - eps)) / (2 * eps),
    ]
    expected = plain.vector_field(theta, psi) - gamma_c * np.array(grad)
    field = DiracGAN(loss, consensus_gamma=gamma_c).vector_field(theta, psi)
    assert field == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize("loss", ["minimax", "wasserstein"])
@pytest.mark.parametrize("gamma_c", [0.5, 1.0, 3.0])
def test_consensus_rate_and_step_size_condition(loss, gamma_c):
    a = F_PRIME_AT_0[loss]
    game = DiracGAN(loss, consensus_gamma=gamma_c)
    h_max = 2 * gamma_c / (1 + gamma_c**2 * a**2)
    for lr in (0.3 * h_max, 0.99 * h_max, 1.01 * h_max):
        rho = spectral_radius(game.update_jacobian(lr_g=lr))
        expected = math.sqrt((1 - lr * gamma_c * a**2) ** 2 + lr**2 * a**2)
        assert rho == pytest.approx(expected, abs=1e-12)
        assert (rho < 1) == (lr < h_max)


def test_consensus_wgan_shrinks_by_rho_and_standard_gan_converges():
    h, gamma_c = 0.3, 0.5
    r = distance_to_equilibrium(
        DiracGAN("wasserstein", consensus_gamma=gamma_c).trajectory((1.0, 0.5), 100,
                                                                   lr_g=h))
    rho = math.sqrt((1 - h * gamma_c) ** 2 + h**2)
    assert np.abs(r[1:] / r[:-1] - rho).max() < 1e-12
    r_std = distance_to_equilibrium(
        DiracGAN("minimax", consensus_gamma=1.0).trajectory((1.0, 1.0), 500, lr_g=0.1))
    assert r_std[-1] < 1e-3 * r_std[0]


def test_game_methods_reject_bad_arguments():
    with pytest.raises(ValueError, match="consensus_gamma"):
        DiracGAN("minimax", consensus_gamma=-0.1)
    game = DiracGAN()
    for method in ("extragradient", "optimistic"):
        with pytest.raises(ValueError, match="d_steps must be 1"):
            game.trajectory((1.0, 1.0), 5, method, d_steps=2)
    with pytest.raises(ValueError, match=r"shape \(4,\); got"):
        game.update_jacobian("optimistic", at=(0.0, 0.0))
