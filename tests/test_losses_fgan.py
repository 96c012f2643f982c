"""The f-GAN losses of ``gan_lib.losses`` (Nowozin et al., 2016).

References are written on Python floats from the formulas of Nowozin et al.'s Table 2
(with this book's normalisation: ``f(1) = 0``, Jensen-Shannon halved), independently
of ``gan_lib.divergences``. ``REFERENCES_F_GAN`` and ``AT_ZERO_LOGITS_F_GAN`` have the
shape of ``tests/test_losses.py``'s tables, so that its registry-wide checks can
include them.
"""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib import divergences, losses, training
from gan_lib.errors import UnknownNameError

REAL = [2.0, -1.0, 0.5, 0.0]
FAKE = [-1.5, 0.3, 3.0, -0.7]
LOG2, LOG4 = math.log(2), math.log(4)


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def softplus(v: float) -> float:
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


# (activation g_f(v), conjugate f*(t)) per divergence, on floats
TABLE = {
    "kl": (lambda v: v, lambda t: math.exp(t - 1)),
    "reverse_kl": (lambda v: -math.exp(-v), lambda t: -1 - math.log(-t)),
    "jensen_shannon": (
        lambda v: 0.5 * (LOG2 - math.log1p(math.exp(-v))),
        lambda t: -0.5 * math.log(2 - math.exp(2 * t)),
    ),
    "gan": (
        lambda v: -math.log1p(math.exp(-v)),
        lambda t: -math.log(1 - math.exp(t)) - LOG4,
    ),
    "pearson": (lambda v: v, lambda t: t + t * t / 4 if t >= -2 else -1.0),
    "squared_hellinger": (lambda v: 1 - math.exp(-v), lambda t: t / (1 - t)),
    "total_variation": (lambda v: 0.5 * math.tanh(v), lambda t: max(t, -0.5)),
}


def reference_pair(name: str):
    activation, conjugate = TABLE[name]

    def d_loss(r: list[float], f: list[float]) -> float:  # -(E_P[T] - E_Q[f*(T)])
        return -mean([activation(v) for v in r]) + mean(
            [conjugate(activation(v)) for v in f]
        )

    def g_loss(r: list[float], f: list[float]) -> float:  # -E_Q[f*(T)]
        return -mean([conjugate(activation(v)) for v in f])

    return d_loss, g_loss


REFERENCES_F_GAN = {f"f_gan:{name}": reference_pair(name) for name in TABLE}
# (d_loss, g_loss) at v = 0 everywhere, by hand: T = g_f(0), d = f*(T) - T, g = -f*(T)
AT_ZERO_LOGITS_F_GAN = {
    "f_gan:kl": (math.exp(-1), -math.exp(-1)),  # T = 0, f*(0) = 1/e
    "f_gan:reverse_kl": (0.0, 1.0),  # T = -1, f*(-1) = -1
    "f_gan:jensen_shannon": (0.0, 0.0),  # T = 0, f*(0) = 0
    "f_gan:gan": (0.0, LOG2),  # T = -log 2, f*(T) = log 2 - log 4
    "f_gan:pearson": (0.0, 0.0),
    "f_gan:squared_hellinger": (0.0, 0.0),
    "f_gan:total_variation": (0.0, 0.0),
}
F_GAN_NAMES = sorted(REFERENCES_F_GAN)


def logits(values: list[float], dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype)


def test_one_f_gan_pair_per_divergence_is_registered():
    assert [n for n in losses.names() if n.startswith("f_gan:")] == F_GAN_NAMES
    assert F_GAN_NAMES == sorted(f"f_gan:{n}" for n in divergences.names())


@pytest.mark.parametrize("name", F_GAN_NAMES)
def test_f_gan_losses_match_the_float_references(name):
    d_loss, g_loss = losses.get(name)
    ref_d, ref_g = REFERENCES_F_GAN[name]
    real, fake = logits(REAL), logits(FAKE)
    assert d_loss(real, fake).item() == pytest.approx(ref_d(REAL, FAKE), rel=1e-12)
    assert g_loss(real, fake).item() == pytest.approx(ref_g(REAL, FAKE), rel=1e-12)
    column = d_loss(real[:, None].float(), fake[:, None].float())  # (N, 1), float32
    assert column.dtype == torch.float32
    assert column.item() == pytest.approx(ref_d(REAL, FAKE), rel=1e-5)


@pytest.mark.parametrize("name", F_GAN_NAMES)
def test_f_gan_losses_at_zero_logits(name):
    d_loss, g_loss = losses.get(name)
    zeros = torch.zeros(5, dtype=torch.float64)
    expected_d, expected_g = AT_ZERO_LOGITS_F_GAN[name]
    assert d_loss(zeros, zeros).item() == pytest.approx(expected_d, abs=1e-12)
    assert g_loss(zeros, zeros).item() == pytest.approx(expected_g, abs=1e-12)


def test_f_gan_with_the_gan_divergence_is_the_original_gan_plus_log_4():
    """E_P[log D] + E_Q[log(1 - D)] + log 4 = E_P[T] - E_Q[f*(T)] with T = log D."""
    gen = torch.Generator().manual_seed(0)
    real = 4 * torch.randn(64, generator=gen, dtype=torch.float64)
    fake = 4 * torch.randn(64, generator=gen, dtype=torch.float64)
    f_gan_d, f_gan_g = losses.get("f_gan:gan")
    bce_d, minimax_g = losses.get("minimax")
    torch.testing.assert_close(f_gan_d(real, fake), bce_d(real, fake) - LOG4)
    torch.testing.assert_close(f_gan_g(real, fake), minimax_g(real, fake) + LOG4)
    alternative = losses.f_gan("gan", generator="alternative")
    non_saturating = losses.get("non_saturating")
    torch.testing.assert_close(
        alternative.g_loss(real, fake), non_saturating.g_loss(real, fake)
    )
    torch.testing.assert_close(alternative.d_loss(real, fake), f_gan_d(real, fake))


@pytest.mark.parametrize("name", divergences.names())
def test_alternative_generator_loss_is_minus_the_mean_critic_value(name):
    div = divergences.get(name)
    fake = logits(FAKE)
    g_loss = losses.f_gan(name, generator="alternative").g_loss
    assert g_loss(logits(REAL), fake).item() == pytest.approx(
        -div.activation(fake).mean().item(), rel=1e-12
    )


@pytest.mark.parametrize("name", F_GAN_NAMES)
def test_f_gan_gradients_push_fake_critic_values_the_right_way(name):
    """The critic lowers f*(T) on fakes and raises T on reals; the generator raises
    f*(T) on fakes. Since f* and g_f are non-decreasing, each gradient has one sign."""
    d_loss, g_loss = losses.get(name)
    real = logits(REAL).requires_grad_(True)
    fake = logits(FAKE).requires_grad_(True)
    d_real, d_fake = torch.autograd.grad(d_loss(real, fake), (real, fake))
    (g_fake,) = torch.autograd.grad(g_loss(real, fake), fake)
    assert (d_real <= 0).all() and (d_fake >= 0).all() and (g_fake <= 0).all()


@pytest.mark.parametrize("name", F_GAN_NAMES)
def test_f_gan_gradients_match_finite_differences(name):
    d_loss, _ = losses.get(name)
    real, fake = logits(REAL).requires_grad_(True), logits(FAKE).requires_grad_(True)
    torch.autograd.gradcheck(d_loss, (real, fake))


def test_unknown_f_gan_name_raises_the_registry_error():
    with pytest.raises(UnknownNameError, match="f_gan:kl"):
        losses.get("f_gan:chi2")
    with pytest.raises(UnknownNameError, match="known: gan"):
        losses.f_gan("chi2")
    with pytest.raises(ValueError, match="saddle"):
        losses.f_gan("kl", generator="non_saturating")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", F_GAN_NAMES)
def test_f_gan_generator_does_not_read_real_logits(name):
    assert not losses.generator_uses_real(name)
    _, g_loss = losses.get(name)
    fake = logits(FAKE)
    assert g_loss(logits(REAL), fake) == g_loss(logits(REAL) + 1.7, fake)


def test_f_gan_losses_check_their_inputs():
    d_loss, _ = losses.get("f_gan:kl")
    with pytest.raises(ValueError, match="shape"):
        d_loss(torch.zeros(4, 2), torch.zeros(4))
    with pytest.raises(TypeError, match="floating-point"):
        d_loss(torch.zeros(4, dtype=torch.long), torch.zeros(4))


def test_the_training_loop_runs_an_f_gan():
    from gan_lib import models

    G = models.get("mlp_generator", z_dim=1, out_dim=1, hidden=8, n_layers=1)
    D = models.get("mlp_discriminator", in_dim=1, hidden=8, n_layers=1)

    def sample(n: int) -> torch.Tensor:
        return torch.randn(n, 1) + 2.0

    config = training.TrainConfig(
        steps=3, batch_size=16, loss="f_gan:reverse_kl", log_every=1, progress=False
    )
    result = training.train(G, D, sample, config)
    assert len(result.history["loss_D"]) == 3
    assert all(math.isfinite(v) for v in result.history["loss_D"])
