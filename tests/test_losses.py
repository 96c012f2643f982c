"""Analytic values and gradients of every loss in ``gan_lib.losses``.

The expected values are computed independently of the library: with ``math.log`` and
``math.exp`` on Python floats, straight from the formulas of the papers.
"""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib import losses
from gan_lib.errors import UnknownNameError

REAL = [2.0, -1.0, 0.5, 0.0]
FAKE = [-1.5, 0.3, 3.0, -0.7]


# --- independent references on Python floats ------------------------------------------


def sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def log_sigmoid(t: float) -> float:
    """log sigmoid(t) on floats, stable for large |t| (for the |T| = 100 checks)."""
    return -math.log1p(math.exp(-t)) if t >= 0 else t - math.log1p(math.exp(t))


def ref_bce_d(r: list[float], f: list[float]) -> float:
    return -mean([math.log(sigmoid(t)) for t in r]) - mean(
        [math.log(1 - sigmoid(t)) for t in f]
    )


def ref_minimax_g(r: list[float], f: list[float]) -> float:
    return mean([math.log(1 - sigmoid(t)) for t in f])


def ref_non_saturating_g(r: list[float], f: list[float]) -> float:
    return -mean([math.log(sigmoid(t)) for t in f])


def ref_bce_smoothed_d(r: list[float], f: list[float], alpha: float = 0.9) -> float:
    """One-sided label smoothing (Salimans et al., 2016): real target alpha, fake 0."""
    real = [
        alpha * math.log(sigmoid(t)) + (1 - alpha) * math.log(1 - sigmoid(t)) for t in r
    ]
    return -mean(real) - mean([math.log(1 - sigmoid(t)) for t in f])


def ref_least_squares_d(r: list[float], f: list[float]) -> float:
    a, b = 0.0, 1.0  # Mao et al.: fake target a, real target b
    return 0.5 * mean([(t - b) ** 2 for t in r]) + 0.5 * mean([(t - a) ** 2 for t in f])


def ref_least_squares_g(r: list[float], f: list[float]) -> float:
    c = 1.0
    return 0.5 * mean([(t - c) ** 2 for t in f])


def ref_hinge_d(r: list[float], f: list[float]) -> float:
    return mean([max(0.0, 1 - t) for t in r]) + mean([max(0.0, 1 + t) for t in f])


def ref_critic_g(r: list[float], f: list[float]) -> float:
    return -mean(f)


def ref_wasserstein_d(r: list[float], f: list[float]) -> float:
    return mean(f) - mean(r)


def ref_relativistic_d(r: list[float], f: list[float]) -> float:
    return -mean([math.log(sigmoid(tr - tf)) for tr, tf in zip(r, f, strict=True)])


def ref_relativistic_g(r: list[float], f: list[float]) -> float:
    return -mean([math.log(sigmoid(tf - tr)) for tr, tf in zip(r, f, strict=True)])


def ref_relativistic_average_d(r: list[float], f: list[float]) -> float:
    r_bar, f_bar = mean(r), mean(f)
    return -mean([math.log(sigmoid(t - f_bar)) for t in r]) - mean(
        [math.log(1 - sigmoid(t - r_bar)) for t in f]
    )


def ref_relativistic_average_g(r: list[float], f: list[float]) -> float:
    r_bar, f_bar = mean(r), mean(f)
    return -mean([math.log(sigmoid(t - r_bar)) for t in f]) - mean(
        [math.log(1 - sigmoid(t - f_bar)) for t in r]
    )


# f-GAN (Nowozin et al., 2016, Table 2): output activation g_f and conjugate f*, with
# gan_lib's conventions: JS is halved (D_f = JSD) and the GAN divergence keeps log 4.
F_GAN = {
    "kl": (lambda v: v, lambda t: math.exp(t - 1)),
    "reverse_kl": (lambda v: -math.exp(-v), lambda t: -1 - math.log(-t)),
    "jensen_shannon": (
        lambda v: 0.5 * (math.log(2) - math.log(1 + math.exp(-v))),
        lambda t: -0.5 * math.log(2 - math.exp(2 * t)),
    ),
    "gan": (
        lambda v: -math.log(1 + math.exp(-v)),
        lambda t: -math.log(1 - math.exp(t)) - math.log(4),
    ),
    "pearson": (lambda v: v, lambda t: t + t * t / 4 if t >= -2 else -1.0),
    "squared_hellinger": (lambda v: 1 - math.exp(-v), lambda t: t / (1 - t)),
    "total_variation": (lambda v: 0.5 * math.tanh(v), lambda t: max(t, -0.5)),
}


def ref_f_gan(divergence: str) -> tuple:
    activation, conjugate = F_GAN[divergence]

    def d_loss(r: list[float], f: list[float]) -> float:  # -(E_p[T] - E_q[f*(T)])
        return mean([conjugate(activation(v)) for v in f]) - mean(
            [activation(v) for v in r]
        )

    def g_loss(r: list[float], f: list[float]) -> float:  # saddle: -E_q[f*(T)]
        return -mean([conjugate(activation(v)) for v in f])

    return d_loss, g_loss


REFERENCES = {
    "minimax": (ref_bce_d, ref_minimax_g),
    "non_saturating": (ref_bce_d, ref_non_saturating_g),
    "non_saturating_label_smoothing": (ref_bce_smoothed_d, ref_non_saturating_g),
    "least_squares": (ref_least_squares_d, ref_least_squares_g),
    "hinge": (ref_hinge_d, ref_critic_g),
    "wasserstein": (ref_wasserstein_d, ref_critic_g),
    "relativistic": (ref_relativistic_d, ref_relativistic_g),
    "relativistic_average": (ref_relativistic_average_d, ref_relativistic_average_g),
    **{f"f_gan:{name}": ref_f_gan(name) for name in F_GAN},
}

# (d_loss, g_loss) at T = 0 everywhere, worked out by hand: sigmoid(0) = 1/2.
AT_ZERO_LOGITS = {
    "minimax": (2 * math.log(2), -math.log(2)),
    "non_saturating": (2 * math.log(2), math.log(2)),
    "non_saturating_label_smoothing": (2 * math.log(2), math.log(2)),
    "least_squares": (0.5, 0.5),
    "hinge": (2.0, 0.0),
    "wasserstein": (0.0, 0.0),
    "relativistic": (math.log(2), math.log(2)),
    "relativistic_average": (2 * math.log(2), 2 * math.log(2)),
    # f-GAN at v = 0: T = g_f(0) and f*(T) by hand
    "f_gan:kl": (math.exp(-1), -math.exp(-1)),  # T = 0, f*(0) = 1/e
    "f_gan:reverse_kl": (0.0, 1.0),  # T = -1, f*(-1) = -1
    "f_gan:jensen_shannon": (0.0, 0.0),  # T = 0, f*(0) = -log(1)/2
    "f_gan:gan": (0.0, math.log(2)),  # T = -log 2, f*(T) = log 2 - log 4
    "f_gan:pearson": (0.0, 0.0),
    "f_gan:squared_hellinger": (0.0, 0.0),
    "f_gan:total_variation": (0.0, 0.0),
}

# f*(g_f(v)) or g_f(v) grows like e^|v| for these: at |v| = 100 the true loss is
# ~1e43, finite in float64 but beyond float32 (no stable form can represent it).
EXPONENTIAL_CONJUGATE = {"f_gan:kl", "f_gan:reverse_kl", "f_gan:squared_hellinger"}


def logits(values: list[float], dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype)


def test_every_registered_loss_has_a_reference():
    assert set(losses.names()) == set(REFERENCES) == set(AT_ZERO_LOGITS)


@pytest.mark.parametrize("name", losses.names())
def test_loss_values_match_hand_computed_reference(name):
    d_loss, g_loss = losses.get(name)
    ref_d, ref_g = REFERENCES[name]
    real, fake = logits(REAL), logits(FAKE)
    assert d_loss(real, fake).item() == pytest.approx(ref_d(REAL, FAKE), rel=1e-12)
    assert g_loss(real, fake).item() == pytest.approx(ref_g(REAL, FAKE), rel=1e-12)


@pytest.mark.parametrize("name", losses.names())
def test_loss_values_in_float32_and_column_shape(name):
    d_loss, g_loss = losses.get(name)
    ref_d, ref_g = REFERENCES[name]
    real = logits(REAL, torch.float32).unsqueeze(1)  # (N, 1)
    fake = logits(FAKE, torch.float32).unsqueeze(1)
    value_d, value_g = d_loss(real, fake), g_loss(real, fake)
    assert value_d.shape == value_g.shape == ()
    assert value_d.dtype == torch.float32
    assert value_d.item() == pytest.approx(ref_d(REAL, FAKE), rel=1e-6, abs=1e-6)
    assert value_g.item() == pytest.approx(ref_g(REAL, FAKE), rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("name", losses.names())
def test_loss_values_at_zero_logits(name):
    d_loss, g_loss = losses.get(name)
    zeros = torch.zeros(5, dtype=torch.float64)
    expected_d, expected_g = AT_ZERO_LOGITS[name]
    assert d_loss(zeros, zeros).item() == pytest.approx(expected_d, abs=1e-15)
    assert g_loss(zeros, zeros).item() == pytest.approx(expected_g, abs=1e-15)


def test_minimax_generator_loss_is_mean_log_one_minus_sigmoid():
    fake = [-3.0, 0.0, 2.5]
    expected = mean([math.log(1 - sigmoid(t)) for t in fake])
    value = losses.generator_loss_minimax(logits(REAL[:3]), logits(fake)).item()
    assert value == pytest.approx(expected, rel=1e-12)
    assert value < 0  # G minimizes the value function itself: log(1 - D) < 0


def test_non_saturating_generator_loss_is_minus_mean_log_sigmoid():
    fake = [-3.0, 0.0, 2.5]
    expected = -mean([math.log(sigmoid(t)) for t in fake])
    value = losses.generator_loss_non_saturating(logits(REAL[:3]), logits(fake))
    assert value.item() == pytest.approx(expected, rel=1e-12)


def test_least_squares_uses_targets_zero_one_one_and_half_factors():
    # D at its targets (real 1, fake 0) and G at its target (fake 1): zero loss.
    d_loss, g_loss = losses.get("least_squares")
    ones, zeros = torch.ones(3), torch.zeros(3)
    assert d_loss(ones, zeros).item() == 0.0
    assert g_loss(ones, ones).item() == 0.0
    # one unit away from each target costs 1/2 per term
    assert d_loss(zeros, ones).item() == pytest.approx(0.5 + 0.5)
    assert g_loss(ones, zeros).item() == pytest.approx(0.5)
    assert g_loss(ones, torch.full((3,), 3.0)).item() == pytest.approx(0.5 * 4)


def test_hinge_is_zero_beyond_the_margins_and_linear_inside():
    d_loss, g_loss = losses.get("hinge")
    assert d_loss(torch.tensor([1.0, 5.0]), torch.tensor([-1.0, -4.0])).item() == 0.0
    # real at 0.5 costs 0.5, fake at 0 costs 1: means 0.5 and 1
    value = d_loss(torch.tensor([0.5, 0.5]), torch.tensor([0.0, 0.0])).item()
    assert value == pytest.approx(1.5)
    # the generator side is the critic loss -E[T(G(z))], unbounded below
    assert g_loss(torch.zeros(2), torch.tensor([7.0, 9.0])).item() == -8.0


def test_wasserstein_is_difference_of_means_with_unequal_batches():
    d_loss, g_loss = losses.get("wasserstein")
    real, fake = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([-1.0, 0.0])
    assert d_loss(real, fake).item() == pytest.approx(-0.5 - 2.0)
    assert g_loss(real, fake).item() == pytest.approx(0.5)


def test_relativistic_pairs_samples_by_index():
    # RSGAN compares real i with fake i, not every pair: swapping the order of the
    # fakes changes the loss, and the value is the paired one.
    d_loss, _ = losses.get("relativistic")
    real, fake = [3.0, -3.0], [-3.0, 3.0]
    paired = ref_relativistic_d(real, fake)
    swapped = ref_relativistic_d(real, fake[::-1])
    assert d_loss(logits(real), logits(fake)).item() == pytest.approx(paired, rel=1e-12)
    value_swapped = d_loss(logits(real), logits(fake[::-1])).item()
    assert value_swapped == pytest.approx(swapped, rel=1e-12)
    assert abs(paired - swapped) > 1.0


def test_relativistic_accepts_mixed_row_and_column_logits():
    # (N,) against (N, 1) must not broadcast to an (N, N) matrix of differences
    d_loss, g_loss = losses.get("relativistic")
    real_row, fake_column = logits(REAL), logits(FAKE).unsqueeze(1)
    expected_d, expected_g = (
        ref_relativistic_d(REAL, FAKE),
        ref_relativistic_g(REAL, FAKE),
    )
    assert d_loss(real_row, fake_column).item() == pytest.approx(expected_d, rel=1e-12)
    assert g_loss(real_row, fake_column).item() == pytest.approx(expected_g, rel=1e-12)
    assert d_loss(fake_column, real_row).item() == pytest.approx(
        ref_relativistic_d(FAKE, REAL), rel=1e-12
    )


def test_relativistic_average_compares_with_the_other_sets_mean():
    d_loss, g_loss = losses.get("relativistic_average")
    # unequal batch sizes are fine: only the means of the other set enter
    real, fake = [1.0, 2.0, 3.0], [0.0, -2.0]
    assert d_loss(logits(real), logits(fake)).item() == pytest.approx(
        ref_relativistic_average_d(real, fake), rel=1e-12
    )
    assert g_loss(logits(real), logits(fake)).item() == pytest.approx(
        ref_relativistic_average_g(real, fake), rel=1e-12
    )


# --- gradients: why the non-saturating loss exists ----------------------------------


@pytest.mark.parametrize("t", [-20.0, -8.0, -2.0, 0.0, 3.0])
def test_saturating_and_non_saturating_gradients_match_closed_forms(t):
    n = 4
    fake = torch.full((n,), t, dtype=torch.float64, requires_grad=True)
    real = torch.zeros(n, dtype=torch.float64)
    (grad_sat,) = torch.autograd.grad(losses.generator_loss_minimax(real, fake), fake)
    fake = fake.detach().requires_grad_(True)
    loss_ns = losses.generator_loss_non_saturating(real, fake)
    (grad_ns,) = torch.autograd.grad(loss_ns, fake)
    expected_sat = -sigmoid(t) / n  # d/dT mean log(1 - sigmoid(T))
    expected_ns = -(1 - sigmoid(t)) / n  # d/dT -mean log sigmoid(T)
    assert torch.allclose(grad_sat, torch.full_like(grad_sat, expected_sat), rtol=1e-12)
    assert torch.allclose(grad_ns, torch.full_like(grad_ns, expected_ns), rtol=1e-12)


def test_saturating_gradient_vanishes_where_discriminator_is_confident():
    n, t = 8, -20.0  # D(G(z)) = sigmoid(-20) ~ 2e-9: fakes confidently rejected
    fake = torch.full((n,), t, requires_grad=True)
    grad_sat = torch.autograd.grad(
        losses.generator_loss_minimax(torch.zeros(n), fake), fake
    )[0]
    fake = fake.detach().requires_grad_(True)
    grad_ns = torch.autograd.grad(
        losses.generator_loss_non_saturating(torch.zeros(n), fake), fake
    )[0]
    assert grad_sat.abs().max().item() < 1e-8 / n
    assert grad_ns.tolist() == pytest.approx([-1.0 / n] * n, rel=1e-6)
    assert (grad_ns.abs() / grad_sat.abs()).min().item() > 1e8


@pytest.mark.parametrize("name", losses.names())
def test_loss_gradients_match_finite_differences_of_reference(name):
    d_loss, g_loss = losses.get(name)
    for loss, ref in zip((d_loss, g_loss), REFERENCES[name], strict=True):
        real = logits(REAL).requires_grad_(True)
        fake = logits(FAKE).requires_grad_(True)
        grad_real, grad_fake = torch.autograd.grad(
            loss(real, fake), (real, fake), allow_unused=True, materialize_grads=True
        )
        h = 1e-6
        for i in range(len(REAL)):
            for values, grad, which in ((REAL, grad_real, 0), (FAKE, grad_fake, 1)):
                up, down = list(values), list(values)
                up[i] += h
                down[i] -= h
                args_up = (up, FAKE) if which == 0 else (REAL, up)
                args_down = (down, FAKE) if which == 0 else (REAL, down)
                numeric = (ref(*args_up) - ref(*args_down)) / (2 * h)
                assert grad[i].item() == pytest.approx(numeric, abs=1e-7)


# --- numerical stability --------------------------------------------------------------


def values_and_grads_at(name: str, magnitude: float, dtype: torch.dtype):
    """Both losses and their gradients at real/fake logits of +-magnitude."""
    d_loss, g_loss = losses.get(name)
    for sign_real, sign_fake in ((1, -1), (-1, 1), (1, 1), (-1, -1)):
        real = torch.full((3,), sign_real * magnitude, dtype=dtype, requires_grad=True)
        fake = torch.full((3,), sign_fake * magnitude, dtype=dtype, requires_grad=True)
        for loss in (d_loss, g_loss):
            value = loss(real, fake)
            grads = torch.autograd.grad(
                value, (real, fake), allow_unused=True, materialize_grads=True
            )
            yield (sign_real, sign_fake), value, grads


@pytest.mark.parametrize("name", losses.names())
@pytest.mark.parametrize("magnitude", [100.0, 1000.0])
def test_losses_are_finite_at_extreme_logits(name, magnitude):
    exponential = name in EXPONENTIAL_CONJUGATE
    for signs, value, grads in values_and_grads_at(name, magnitude, torch.float32):
        assert not torch.isnan(value), (name, signs)  # never NaN
        assert not any(torch.isnan(g).any() for g in grads), (name, signs)
        if not exponential:
            assert torch.isfinite(value), (name, signs)
            assert all(torch.isfinite(g).all() for g in grads), (name, signs)


@pytest.mark.parametrize("name", sorted(EXPONENTIAL_CONJUGATE))
def test_exponential_f_gan_losses_are_finite_at_100_in_float64(name):
    for signs, value, grads in values_and_grads_at(name, 100.0, torch.float64):
        assert torch.isfinite(value), (name, signs)
        assert all(torch.isfinite(g).all() for g in grads), (name, signs)


def test_log_sigmoid_identities_hold_at_plus_minus_100():
    t = 100.0
    wrong = torch.full((2,), t)  # fakes that D accepts: T = +100
    right = torch.full((2,), -t)  # fakes that D rejects: T = -100
    zeros = torch.zeros(2)
    ns = losses.generator_loss_non_saturating
    # -log sigmoid(-100) = 100 + log1p(e^-100)
    assert ns(zeros, right).item() == pytest.approx(-log_sigmoid(-t), rel=1e-7)
    assert ns(zeros, wrong).item() == pytest.approx(-log_sigmoid(t), abs=1e-30)
    # log(1 - sigmoid(100)) = log sigmoid(-100) = -100 - log1p(e^-100)
    assert losses.generator_loss_minimax(zeros, wrong).item() == pytest.approx(
        log_sigmoid(-t), rel=1e-7
    )
    # D rejecting real samples at T = -100 pays 100 per term
    value = losses.discriminator_loss_bce(right, right).item()
    assert value == pytest.approx(-log_sigmoid(-t) - log_sigmoid(t), rel=1e-7)


# --- relations between losses -------------------------------------------------------


def test_f_gan_with_gan_divergence_is_the_original_game_plus_log_4():
    real, fake = logits(REAL), logits(FAKE)
    d_loss, g_loss = losses.get("f_gan:gan")
    log4 = math.log(4)
    # the critic maximizes V(D, G) + log 4, i.e. minimizes the BCE loss - log 4
    bce = losses.discriminator_loss_bce(real, fake).item()
    assert d_loss(real, fake).item() == pytest.approx(bce - log4, rel=1e-12)
    minimax = losses.generator_loss_minimax(real, fake).item()
    assert g_loss(real, fake).item() == pytest.approx(minimax + log4, rel=1e-12)
    _, g_alternative = losses.f_gan("gan", generator="alternative")
    non_saturating = losses.generator_loss_non_saturating(real, fake).item()
    assert g_alternative(real, fake).item() == pytest.approx(non_saturating, rel=1e-12)


def test_f_gan_refuses_unknown_generator_and_divergence():
    with pytest.raises(ValueError, match="'saddle' or 'alternative'"):
        losses.f_gan("kl", generator="minimax")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="reverse_kl"):
        losses.f_gan("kullback")


# --- the lookup -----------------------------------------------------------------------


def test_loss_pair_unpacks_as_discriminator_then_generator():
    pair = losses.get("non_saturating")
    d_loss, g_loss = pair
    assert isinstance(pair, losses.LossPair) and len(pair) == 2
    assert d_loss is pair.d_loss is losses.discriminator_loss_bce
    assert g_loss is pair.g_loss is losses.generator_loss_non_saturating
    hinge_d, hinge_g = losses.get("hinge")
    assert (hinge_d, hinge_g) == (
        losses.discriminator_loss_hinge,
        losses.generator_loss_critic,
    )


@pytest.mark.parametrize("exception", [KeyError, ValueError, UnknownNameError])
def test_unknown_loss_name_lists_known_names(exception):
    with pytest.raises(exception) as info:
        losses.get("vanilla")
    message = str(info.value)
    assert "'vanilla'" in message
    for name in losses.names():
        assert name in message
    assert not message.startswith('"')  # not KeyError's quoted repr


def test_non_string_loss_name_is_refused():
    with pytest.raises(ValueError, match="known: "):
        losses.get(None)  # type: ignore[arg-type]


def test_names_lists_the_registry_sorted():
    assert losses.names() == sorted(REFERENCES)


@pytest.mark.parametrize("name", losses.names())
def test_generator_uses_real_matches_what_the_generator_loss_reads(name):
    _, g_loss = losses.get(name)
    fake = logits(FAKE)
    value_a = g_loss(logits(REAL), fake).item()
    value_b = g_loss(logits([r + 1.7 for r in REAL]), fake).item()
    reads_real = value_a != value_b
    assert losses.generator_uses_real(name) is reads_real
    assert reads_real is name.startswith("relativistic")


def test_generator_uses_real_refuses_unknown_names():
    with pytest.raises(KeyError, match="non_saturating"):
        losses.generator_uses_real("nonsaturating")


# --- bad inputs -----------------------------------------------------------------------


@pytest.mark.parametrize("name", losses.names())
@pytest.mark.parametrize("shape", [(), (4, 2), (4, 1, 1), (2, 2, 1), (0,)], ids=str)
def test_bad_logit_shapes_raise_value_error(name, shape):
    d_loss, g_loss = losses.get(name)
    bad, good = torch.zeros(shape), torch.zeros(4)
    for loss in (d_loss, g_loss):
        with pytest.raises(ValueError, match=r"\(N,\) or \(N, 1\)"):
            loss(bad, good)
        with pytest.raises(ValueError, match=r"fake_logits.*got"):
            loss(good, bad)


@pytest.mark.parametrize("name", losses.names())
def test_non_float_logits_raise_type_error(name):
    d_loss, g_loss = losses.get(name)
    good = torch.zeros(3)
    for loss in (d_loss, g_loss):
        with pytest.raises(TypeError, match="floating-point.*torch.int64"):
            loss(torch.zeros(3, dtype=torch.long), good)
        with pytest.raises(TypeError, match="must be a torch.Tensor; got list"):
            loss(good, [0.0, 0.0, 0.0])  # type: ignore[arg-type]


def test_relativistic_needs_equal_batch_sizes():
    d_loss, g_loss = losses.get("relativistic")
    for loss in (d_loss, g_loss):
        with pytest.raises(ValueError, match="3 real and 2 fake"):
            loss(torch.zeros(3), torch.zeros(2))


# --- one-sided label smoothing (Salimans et al., 2016) --------------------------------


def test_label_smoothing_with_target_one_is_plain_bce():
    real, fake = logits(REAL), logits(FAKE)
    smoothed = losses.discriminator_loss_bce_smoothed(real, fake, real_target=1.0)
    assert smoothed.item() == pytest.approx(
        losses.discriminator_loss_bce(real, fake).item(), rel=1e-12
    )
    value = losses.discriminator_loss_bce_smoothed(real, fake, real_target=0.7)
    assert value.item() == pytest.approx(ref_bce_smoothed_d(REAL, FAKE, 0.7), rel=1e-12)


def test_label_smoothing_optimal_logit_is_log_alpha_over_one_minus_alpha():
    # one real sample and no mass from fakes at that point: D* = alpha, so the
    # optimal logit is log(alpha / (1 - alpha)) and the gradient vanishes there
    alpha = 0.9
    t_star = math.log(alpha / (1 - alpha))
    real = torch.tensor([t_star], dtype=torch.float64, requires_grad=True)
    fake = torch.tensor([-50.0], dtype=torch.float64)
    loss = losses.discriminator_loss_bce_smoothed(real, fake, real_target=alpha)
    (grad,) = torch.autograd.grad(loss, real)
    assert abs(grad.item()) < 1e-12


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_label_smoothing_refuses_targets_outside_zero_one(bad):
    with pytest.raises(ValueError, match=r"real_target must lie in \(0, 1\]"):
        losses.discriminator_loss_bce_smoothed(torch.zeros(2), torch.zeros(2), bad)
