"""DDPM / DDIM (gan_lib/models/diffusion.py) against closed forms: the forward chain's
marginals, the posterior by Gaussian conditioning, exact samplers under an oracle
noise predictor, and the variational bound's pieces."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor, nn

from gan_lib.models.diffusion import (
    BETA_END,
    BETA_START,
    TIMESTEPS,
    Denoiser,
    GaussianDiffusion,
    _discretized_gaussian_log_likelihood,
    _gaussian_kl,
    linear_betas,
)


class PointMassOracle(nn.Module):
    """The exact noise predictor for data that is the constant ``c``."""

    def __init__(self, diffusion_tables: Tensor, c: float) -> None:
        super().__init__()
        self.alphas_bar, self.c = diffusion_tables, c

    def forward(self, x: Tensor, i: Tensor) -> Tensor:
        a = self.alphas_bar[i].to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))
        return (x - a.sqrt() * self.c) / (1 - a).sqrt()


class GaussianOracle(nn.Module):
    """E[eps | x_t] for data N(0, s^2): sqrt(1 - a) x / (a s^2 + 1 - a)."""

    def __init__(self, alphas_bar: Tensor, s2: float) -> None:
        super().__init__()
        self.alphas_bar, self.s2 = alphas_bar, s2

    def forward(self, x: Tensor, i: Tensor) -> Tensor:
        a = self.alphas_bar[i].reshape(-1, *([1] * (x.dim() - 1)))
        return ((1 - a).sqrt() * x.double() / (a * self.s2 + 1 - a)).to(x.dtype)


def chain(denoiser_factory, betas: Tensor | None = None) -> GaussianDiffusion:
    diffusion = GaussianDiffusion(nn.Identity(), betas)
    diffusion.denoiser = denoiser_factory(diffusion.alphas_bar)
    return diffusion


def test_schedule_is_ho_et_al_linear():
    b = linear_betas()
    assert b.dtype == torch.float64 and b.numel() == TIMESTEPS == 1000
    assert b[0] == BETA_START == 1e-4 and b[-1] == BETA_END == 0.02
    d = GaussianDiffusion(nn.Identity())
    # alpha_bar_T ~ 4e-5: x_T is (almost) pure noise
    assert 3e-5 < float(d.alphas_bar[-1]) < 5e-5


def test_marginal_equals_the_chain_of_one_step_kernels():
    """Composing q(x_t | x_{t-1}) from x_0: mean coefficient and variance by the
    recursion equal sqrt(alpha_bar_t) and 1 - alpha_bar_t."""
    d = GaussianDiffusion(nn.Identity())
    coef, var = torch.tensor(1.0, dtype=torch.float64), torch.tensor(0.0,
                                                                     dtype=torch.float64)
    for t, beta in enumerate(d.betas):
        coef, var = (1 - beta).sqrt() * coef, (1 - beta) * var + beta
        assert abs(coef - d.alphas_bar[t].sqrt()) < 1e-12
        assert abs(var - (1 - d.alphas_bar[t])) < 1e-12


@pytest.mark.parametrize("t", [1, 2, 10, 500, 999])
def test_posterior_equals_gaussian_conditioning(t: int):
    d = GaussianDiffusion(nn.Identity())
    x0, xt = torch.tensor([[0.7]], dtype=torch.float64), torch.tensor([[-0.3]],
                                                                      dtype=torch.float64)
    i = torch.tensor([t])
    a_prev, beta = d.alphas_bar[t - 1], d.betas[t]
    m_prev, v_prev = a_prev.sqrt() * x0, 1 - a_prev  # x_{t-1} | x_0
    m_t, v_t = (1 - beta).sqrt() * m_prev, (1 - beta) * v_prev + beta
    cov = (1 - beta).sqrt() * v_prev  # Cov(x_{t-1}, x_t | x_0)
    mean, var = d.posterior(x0, xt, i)
    torch.testing.assert_close(mean, m_prev + cov / v_t * (xt - m_t), rtol=1e-12,
                               atol=1e-14)
    torch.testing.assert_close(var, (v_prev - cov**2 / v_t).expand_as(var), rtol=1e-10,
                               atol=1e-18)


def test_both_samplers_return_the_point_mass_under_its_oracle():
    d = chain(lambda ab: PointMassOracle(ab, 0.37))
    g = torch.Generator().manual_seed(0)
    ancestral = d.sample((64, 1, 2, 2), generator=g)
    torch.testing.assert_close(ancestral, torch.full_like(ancestral, 0.37), rtol=0,
                               atol=1e-4)
    for steps in (1, 10, 1000):
        ddim = d.sample_ddim((64, 1, 2, 2), steps=steps, generator=g)
        torch.testing.assert_close(ddim, torch.full_like(ddim, 0.37), rtol=0, atol=1e-4)


def test_samplers_reproduce_a_gaussian_under_its_oracle():
    s2, n = 0.25, 20_000
    d = chain(lambda ab: GaussianOracle(ab, s2))
    g = torch.Generator().manual_seed(1)
    for x in (d.sample((n, 1), generator=g), d.sample_ddim((n, 1), steps=1000,
                                                           generator=g)):
        var = x.double().var()
        # the sample variance of n Gaussians has standard error s2 sqrt(2 / n)
        assert abs(var - s2) < 5 * s2 * math.sqrt(2 / n), float(var)
        assert abs(x.double().mean()) < 5 * math.sqrt(s2 / n)


def test_ddim_is_deterministic_given_x_T():
    d = chain(lambda ab: GaussianOracle(ab, 0.5))
    x_T = torch.randn(8, 1, generator=torch.Generator().manual_seed(2))
    a = d.sample_ddim((8, 1), steps=20, x_T=x_T)
    b = d.sample_ddim((8, 1), steps=20, x_T=x_T.clone())
    assert torch.equal(a, b)


def test_gaussian_kl_matches_monte_carlo():
    g = torch.Generator().manual_seed(3)
    mq, vq, mp, vp = (torch.tensor(v, dtype=torch.float64) for v in (0.3, 0.5, -0.2, 1.7))
    x = mq + vq.sqrt() * torch.randn(400_000, generator=g, dtype=torch.float64)
    log_q = -0.5 * ((x - mq) ** 2 / vq + torch.log(2 * math.pi * vq))
    log_p = -0.5 * ((x - mp) ** 2 / vp + torch.log(2 * math.pi * vp))
    mc = (log_q - log_p).mean()
    assert abs(mc - _gaussian_kl(mq, vq, mp, vp)) < 5 * (log_q - log_p).std() / 632


def test_discretized_decoder_puts_total_mass_one_on_the_grid():
    levels = 256
    grid = torch.linspace(-1, 1, levels, dtype=torch.float64)
    for mean, std in [(0.1, 0.02), (-0.99, 0.3), (0.5, 3.0)]:
        log_mass = _discretized_gaussian_log_likelihood(
            grid, torch.full_like(grid, mean), torch.full_like(grid, std), 2 / (levels - 1))
        assert abs(log_mass.exp().sum() - 1) < 1e-9


def test_bound_is_above_the_data_entropy_and_not_far_above_it():
    """For data on a 256-level grid drawn from N(0, s^2) (clipped), the bound of the
    oracle model (a real model: its likelihood is at most the data's) is >= the
    data's discrete entropy, and with the exact posterior mean it is tight to within
    0.1 nat per dimension."""
    s2, levels, n = 0.1, 256, 4000
    width = 2 / (levels - 1)
    g = torch.Generator().manual_seed(4)
    x = (s2**0.5 * torch.randn(n, 1, generator=g)).clamp(-1, 1)
    x = torch.round((x + 1) / width) * width - 1  # on the grid
    d = chain(lambda ab: GaussianOracle(ab, s2), betas=linear_betas())
    terms = d.bound(x, bin_width=width, generator=g)
    total = terms["total"].mean()
    # entropy of the discretized Gaussian ~ differential entropy - log(width)
    entropy = 0.5 * math.log(2 * math.pi * math.e * s2) - math.log(width)
    assert total > entropy - 0.02  # Monte Carlo slack on a mean over 4000 points
    assert total < entropy + 0.1, (float(total), entropy)
    assert float(terms["prior"].mean()) < 1e-3  # x_T is nearly N(0, I)


def test_denoiser_shapes_time_dependence_and_errors():
    net = Denoiser(channels=2, width=8)
    x = torch.randn(3, 2, 8, 8)
    i = torch.tensor([0, 500, 999])
    nn.init.normal_(net.out.weight)  # the zero init would hide everything below
    out = net(x, i)
    assert out.shape == x.shape
    other = net(x, torch.tensor([1, 501, 998]))
    assert not torch.allclose(out, other)  # the time reaches the output
    out.square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
    with pytest.raises(ValueError, match=r"\(B, 2, S, S\) with S divisible by 4"):
        net(torch.randn(1, 2, 6, 6), torch.tensor([0]))


def test_fresh_denoiser_predicts_zero_noise_and_loss_is_one():
    d = GaussianDiffusion(Denoiser(channels=1, width=8))
    x0 = torch.rand(64, 1, 8, 8, generator=torch.Generator().manual_seed(5)) * 2 - 1
    with torch.no_grad():
        loss = d.loss(x0, generator=torch.Generator().manual_seed(6))
    assert abs(loss.item() - 1) < 0.05  # E eps^2 = 1 when the prediction is 0


def test_bad_inputs_are_refused():
    d = GaussianDiffusion(nn.Identity(), betas=linear_betas(10))
    with pytest.raises(ValueError, match=r"time indices must lie in \[0, 9\]"):
        d.q_sample(torch.zeros(2, 1), torch.tensor([0, 10]), torch.zeros(2, 1))
    with pytest.raises(ValueError, match=r"\(2,\) int64"):
        d.q_sample(torch.zeros(2, 1), torch.tensor([0.0, 1.0]), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="steps must be <= T = 10"):
        d.sample_ddim((1, 1), steps=11)
    with pytest.raises(ValueError, match=r"betas must be a 1-D tensor in \(0, 1\)"):
        GaussianDiffusion(nn.Identity(), betas=torch.tensor([0.1, 1.0]))
    with pytest.raises(ValueError, match="0 < start <= end < 1"):
        linear_betas(10, 0.5, 0.1)
