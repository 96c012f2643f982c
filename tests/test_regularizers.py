"""Penalties, clipping and spectral normalization against closed forms.

A linear critic ``T(x) = w . x + b`` has gradient ``w`` everywhere, so its WGAN-GP
penalty is ``(|w| - 1)^2`` and its R1 penalty ``|w|^2`` exactly, whatever the samples.
A quadratic critic ``T(x) = |x|^2 / 2`` has gradient ``x``.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from gan_lib import regularizers
from gan_lib.regularizers import (
    clip_weights_,
    gradient_penalty,
    power_iteration,
    r1_penalty,
    r2_penalty,
    spectral_norm,
)


def linear_critic(w: list[float], b: float = 0.3) -> nn.Linear:
    critic = nn.Linear(len(w), 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([w]))
        critic.bias.fill_(b)
    return critic


class ImageLinearCritic(nn.Module):
    """T(x) = sum_{c,h,w} W[c,h,w] x[n,c,h,w] + b: gradient W at every image."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight.clone())
        self.bias = nn.Parameter(torch.tensor(-0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.weight).sum(dim=(1, 2, 3)) + self.bias  # (N,)


def quadratic_critic(x: torch.Tensor) -> torch.Tensor:
    """T(x) = |x|^2 / 2 per sample, so grad T(x) = x."""
    return 0.5 * x.flatten(1).pow(2).sum(1)  # (N,)


def batches(n: int = 6, dim: int = 3, seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, dim, generator=g), torch.randn(n, dim, generator=g) + 2.0


# --- gradient penalty and R1 on a linear critic ------------------------------------


@pytest.mark.parametrize(
    "w", [[3.0, 4.0], [0.6, 0.8], [0.1, -0.2], [1.5, -2.0, 0.5]], ids=str
)
def test_gradient_penalty_of_linear_critic_is_norm_minus_one_squared(w):
    real, fake = batches(dim=len(w))
    value = gradient_penalty(linear_critic(w), real, fake)
    norm = math.sqrt(sum(c * c for c in w))
    assert value.item() == pytest.approx((norm - 1) ** 2, rel=1e-6, abs=1e-12)


def test_gradient_penalty_is_exactly_16_for_w_3_4():
    real, fake = batches(dim=2)
    assert gradient_penalty(linear_critic([3.0, 4.0]), real, fake).item() == 16.0


@pytest.mark.parametrize("w", [[3.0, 4.0], [0.1, -0.2], [1.5, -2.0, 0.5]], ids=str)
def test_r1_of_linear_critic_is_norm_squared(w):
    real, _ = batches(dim=len(w))
    expected = sum(c * c for c in w)
    assert r1_penalty(linear_critic(w), real).item() == pytest.approx(
        expected, rel=1e-6
    )
    assert r2_penalty(linear_critic(w), real).item() == pytest.approx(
        expected, rel=1e-6
    )


def test_penalties_of_image_critic_take_the_norm_over_all_non_batch_dims():
    g = torch.Generator().manual_seed(1)
    weight = torch.randn(3, 4, 5, generator=g) * 0.1  # (C, H, W)
    critic = ImageLinearCritic(weight)
    real = torch.randn(4, 3, 4, 5, generator=g)
    fake = torch.randn(4, 3, 4, 5, generator=g)
    norm = math.sqrt(sum(v * v for v in weight.double().flatten().tolist()))
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(
        (norm - 1) ** 2, rel=1e-5
    )
    assert r1_penalty(critic, real).item() == pytest.approx(norm**2, rel=1e-5)


def test_r1_and_r2_of_quadratic_critic_are_mean_squared_norm():
    real, fake = batches(n=5, dim=4)
    expected_r1 = sum(sum(v * v for v in row) for row in real.tolist()) / 5
    expected_r2 = sum(sum(v * v for v in row) for row in fake.tolist()) / 5
    assert r1_penalty(quadratic_critic, real).item() == pytest.approx(
        expected_r1, rel=1e-6
    )
    assert r2_penalty(quadratic_critic, fake).item() == pytest.approx(
        expected_r2, rel=1e-6
    )


def test_r1_of_quadratic_critic_on_images():
    g = torch.Generator().manual_seed(2)
    real = torch.randn(3, 2, 4, 4, generator=g)
    expected = sum(v * v for v in real.flatten().tolist()) / 3
    assert r1_penalty(quadratic_critic, real).item() == pytest.approx(
        expected, rel=1e-6
    )


def test_gradient_penalty_interpolates_with_one_uniform_eps_per_sample():
    # with T = |x|^2 / 2 the gradient at x_hat is x_hat itself, so the penalty
    # reveals the interpolation: x_hat = eps * real + (1 - eps) * fake
    real, fake = batches(n=7, dim=3)
    value = gradient_penalty(
        quadratic_critic, real, fake, generator=torch.Generator().manual_seed(5)
    )
    eps = torch.rand(7, 1, generator=torch.Generator().manual_seed(5))
    assert ((eps > 0) & (eps < 1)).all()
    x_hat = (eps * real + (1 - eps) * fake).double()
    expected = ((x_hat.norm(dim=1) - 1) ** 2).mean().item()
    assert value.item() == pytest.approx(expected, rel=1e-5)


# --- precision and differentiability ------------------------------------------------


def test_penalties_are_float32_inside_a_bf16_autocast_region():
    w = [0.3, 0.7, -1.1]  # not exactly representable in bf16
    real, fake = batches(dim=3)
    norm = math.sqrt(sum(c * c for c in w))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        gp = gradient_penalty(linear_critic(w), real, fake)
        r1 = r1_penalty(linear_critic(w), real)
    assert gp.dtype == r1.dtype == torch.float32
    # bf16 keeps ~3 digits; fp32 keeps ~7
    assert gp.item() == pytest.approx((norm - 1) ** 2, rel=1e-6)
    assert r1.item() == pytest.approx(norm**2, rel=1e-6)


def test_penalties_accept_float64_samples_and_return_float32():
    real, fake = (x.double() for x in batches(dim=2))
    value = gradient_penalty(linear_critic([3.0, 4.0]), real, fake)
    assert value.dtype == torch.float32 and value.item() == 16.0


def test_gradient_penalty_gradient_wrt_critic_weight_matches_closed_form():
    w = torch.tensor([0.3, -1.2, 2.0])
    critic = linear_critic(w.tolist())
    real, fake = batches(dim=3)
    gradient_penalty(critic, real, fake).backward()
    norm = w.norm()
    expected = 2 * (norm - 1) * w / norm  # d/dw (|w| - 1)^2
    assert torch.allclose(critic.weight.grad[0], expected, rtol=1e-5)
    assert critic.bias.grad is None or critic.bias.grad.abs().item() == 0.0


def test_r1_gradient_wrt_critic_weight_is_two_w():
    w = torch.tensor([0.3, -1.2, 2.0])
    critic = linear_critic(w.tolist())
    real, _ = batches(dim=3)
    r1_penalty(critic, real).backward()
    assert torch.allclose(critic.weight.grad[0], 2 * w, rtol=1e-6)


def test_penalty_does_not_backpropagate_into_the_samples():
    real, fake = (x.requires_grad_(True) for x in batches(dim=2))
    gradient_penalty(linear_critic([1.0, 2.0]), real, fake).backward()
    r1_penalty(quadratic_critic, real).backward()
    assert real.grad is None and fake.grad is None


# --- bad inputs ------------------------------------------------------------------


def test_gradient_penalty_refuses_mismatched_shapes():
    critic = linear_critic([1.0, 2.0])
    with pytest.raises(ValueError, match=r"same shape.*\(4, 2\).*\(5, 2\)"):
        gradient_penalty(critic, torch.zeros(4, 2), torch.zeros(5, 2))


@pytest.mark.parametrize("penalty", [r1_penalty, r2_penalty])
def test_penalties_refuse_unbatched_and_integer_samples(penalty):
    critic = linear_critic([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(N, \.\.\.\).*got shape \(2,\)"):
        penalty(critic, torch.zeros(2))
    with pytest.raises(TypeError, match="floating-point.*torch.int64"):
        penalty(critic, torch.zeros(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"got shape \(2,\)"):
        gradient_penalty(critic, torch.zeros(2), torch.zeros(2))


# --- weight clipping -------------------------------------------------------------


def test_clip_weights_clamps_every_parameter_in_place():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    before = [p.detach().clone() for p in module.parameters()]
    c = 0.05
    clip_weights_(module, c)
    c32 = torch.tensor(c).item()  # the float32 wall
    for p, old in zip(module.parameters(), before, strict=True):
        assert p.abs().max().item() <= c32
        inside = old.abs() <= c
        assert torch.equal(p[inside], old[inside])  # untouched inside the box
        assert torch.equal(p[~inside], c * old[~inside].sign())  # moved to the wall
    assert sum(int((old.abs() > c).sum()) for old in before) > 0  # it did clip


@pytest.mark.parametrize("c", [0.0, -0.01])
def test_clip_weights_refuses_non_positive_clip_value(c):
    with pytest.raises(ValueError, match="clip_value must be positive"):
        clip_weights_(nn.Linear(2, 1), c)


# --- spectral normalization ------------------------------------------------------


def largest_singular_value(weight: torch.Tensor) -> float:
    return torch.linalg.matrix_norm(weight.detach().flatten(1).double(), ord=2).item()


def test_spectral_norm_makes_each_linear_layer_one_lipschitz():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(4, 32),
        nn.LeakyReLU(0.2),
        nn.Linear(32, 32),
        nn.LeakyReLU(0.2),
        nn.Linear(32, 1),
    )
    with torch.no_grad():
        for layer in net[::2]:
            layer.weight.mul_(5.0)  # far from 1-Lipschitz before
    assert all(largest_singular_value(layer.weight) > 2 for layer in net[::2])
    assert spectral_norm(net) is net
    net.train()
    x = torch.randn(16, 4)
    for _ in range(30):  # one power-iteration step per forward pass
        net(x)
    for layer in net[::2]:
        assert parametrize.is_parametrized(layer, "weight")
        assert largest_singular_value(layer.weight) == pytest.approx(1.0, abs=1e-3)
    # a composition of 1-Lipschitz maps: |grad_x T| <= 1 for every input
    x = torch.randn(64, 4, requires_grad=True)
    (grad,) = torch.autograd.grad(net(x).sum(), x)
    assert grad.norm(dim=1).max().item() <= 1.0 + 1e-3


def test_spectral_norm_handles_convolutions_and_returns_wrapped_layer():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 8, 3)
    with torch.no_grad():
        conv.weight.mul_(10.0)
    wrapped = spectral_norm(conv, n_power_iterations=5)
    assert wrapped is conv and parametrize.is_parametrized(conv, "weight")
    conv.train()
    for _ in range(20):
        conv(torch.randn(2, 3, 6, 6))
    assert largest_singular_value(conv.weight) == pytest.approx(1.0, abs=1e-3)


# --- power iteration ---------------------------------------------------------------


def matrix_with_singular_values(
    values: list[float], rows: int, cols: int
) -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    u, _ = torch.linalg.qr(torch.randn(rows, rows, generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(cols, cols, generator=g, dtype=torch.float64))
    s = torch.zeros(rows, cols, dtype=torch.float64)
    s[range(len(values)), range(len(values))] = torch.tensor(
        values, dtype=torch.float64
    )
    return u @ s @ v.T


def test_power_iteration_recovers_a_known_largest_singular_value():
    w = matrix_with_singular_values([5.0, 2.0, 1.0, 0.5], rows=4, cols=6)
    value = power_iteration(w, steps=100, generator=torch.Generator().manual_seed(0))
    assert value.dtype == torch.float64
    assert value.item() == pytest.approx(5.0, rel=1e-10)


@pytest.mark.parametrize("shape", [(20, 30), (30, 20), (8, 3, 3, 3)], ids=str)
def test_power_iteration_matches_matrix_norm_ord_2(shape):
    g = torch.Generator().manual_seed(4)
    weight = torch.randn(shape, generator=g)
    value = power_iteration(weight, steps=2000, generator=g)
    assert value.dtype == weight.dtype
    expected = torch.linalg.matrix_norm(weight.flatten(1).double(), ord=2).item()
    assert value.item() == pytest.approx(expected, rel=1e-5)


def test_power_iteration_refuses_vectors():
    with pytest.raises(ValueError, match=r"at least 2 dims; got \(5,\)"):
        power_iteration(torch.ones(5))


def test_module_exposes_the_documented_names():
    for name in (
        "gradient_penalty",
        "r1_penalty",
        "r2_penalty",
        "clip_weights_",
        "spectral_norm",
        "power_iteration",
    ):
        assert callable(getattr(regularizers, name))
