"""The VAE's bound (gan_lib/models/vae.py) against closed forms: the KL term, and the
ELBO of a linear-Gaussian model, whose marginal likelihood and exact posterior are
known, so the bound must equal log p(x) there in expectation."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib.models.vae import (
    VAE,
    bits_per_dim,
    gaussian_elbo,
    gaussian_kl_to_standard,
    gaussian_log_likelihood,
)


def test_kl_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mean = torch.tensor([[0.5, -1.0, 0.0]], dtype=torch.float64)
    log_var = torch.tensor([[0.3, -0.7, 1.2]], dtype=torch.float64)
    z = mean + (0.5 * log_var).exp() * torch.randn(200_000, 3, generator=g,
                                                   dtype=torch.float64)
    log_q = (-0.5 * (z - mean).square() / log_var.exp() - 0.5 * log_var
             - 0.5 * math.log(2 * math.pi)).sum(1)
    log_p = (-0.5 * z.square() - 0.5 * math.log(2 * math.pi)).sum(1)
    diff = log_q - log_p
    assert abs(diff.mean() - gaussian_kl_to_standard(mean, log_var)[0]) < 5 * diff.std(
    ) / math.sqrt(diff.numel())
    assert gaussian_kl_to_standard(torch.zeros(1, 4), torch.zeros(1, 4)).item() == 0


def test_gaussian_log_likelihood_matches_torch_distributions():
    x, mean = torch.randn(3, 2, 4), torch.randn(3, 2, 4)
    log_scale = torch.tensor(-0.4)
    expected = torch.distributions.Normal(mean, log_scale.exp()).log_prob(x).sum((1, 2))
    torch.testing.assert_close(gaussian_log_likelihood(x, mean, log_scale), expected)


def test_elbo_equals_log_evidence_with_the_exact_posterior():
    """x = W z + b + sigma e: log p(x) = log N(x; b, W W^T + sigma^2 I), and the
    posterior is N(S W^T (x - b) / sigma^2, S) with S = (I + W^T W / sigma^2)^-1."""
    g = torch.Generator().manual_seed(1)
    d, k, sigma = 5, 2, 0.4
    W = torch.randn(d, k, generator=g, dtype=torch.float64)
    b = torch.randn(d, generator=g, dtype=torch.float64)
    x = torch.randn(3, d, generator=g, dtype=torch.float64)
    # a diagonal Gaussian cannot hold S's correlations: make W's columns orthogonal so
    # that S is diagonal and the posterior lies inside the family
    Q, _ = torch.linalg.qr(W)
    W = Q * torch.tensor([1.5, 0.7], dtype=torch.float64)
    cov = W @ W.T + sigma**2 * torch.eye(d, dtype=torch.float64)
    log_px = torch.distributions.MultivariateNormal(b, cov).log_prob(x)
    S = torch.linalg.inv(torch.eye(k, dtype=torch.float64) + W.T @ W / sigma**2)
    assert torch.allclose(S, torch.diag(torch.diagonal(S)))
    post_mean = (x - b) @ W @ S / sigma**2  # S is symmetric
    log_var = torch.log(torch.diagonal(S)).expand(3, k)
    terms = gaussian_elbo(x, post_mean, log_var, lambda z: z @ W.T + b,
                          torch.tensor(math.log(sigma), dtype=torch.float64),
                          samples=20_000, generator=g)
    # the integrand log p(x, z) - log q(z) is constant (= log p(x)) under the exact
    # posterior; the analytic-KL estimator still has Monte Carlo noise, of order
    # ||W||^2 S / sigma^2 / sqrt(samples)
    torch.testing.assert_close(terms["elbo"], log_px, rtol=0, atol=0.05)
    # a worse posterior gives a strictly lower bound
    worse = gaussian_elbo(x, post_mean + 0.5, log_var, lambda z: z @ W.T + b,
                          torch.tensor(math.log(sigma), dtype=torch.float64),
                          samples=20_000, generator=g)
    assert torch.all(worse["elbo"] < log_px - 0.5)


def test_vae_shapes_gradients_and_errors():
    vae = VAE(channels=1, image_size=8, z_dim=3, width=4)
    x = torch.randn(5, 1, 8, 8)
    mean, log_var = vae.encode(x)
    assert mean.shape == log_var.shape == (5, 3)
    assert vae.decode(mean).shape == x.shape and vae.sample(2).shape == (2, 1, 8, 8)
    loss = vae(x)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in vae.parameters())
    with pytest.raises(ValueError, match=r"x must be \(B, 1, 8, 8\)"):
        vae.encode(torch.randn(2, 1, 16, 16))
    with pytest.raises(ValueError, match=r"z must be \(B, 3\)"):
        vae.decode(torch.randn(2, 4))
    with pytest.raises(ValueError, match="divisible by 4"):
        VAE(image_size=10)


def test_bits_per_dim():
    nll = torch.tensor([100 * math.log(2)])
    assert bits_per_dim(nll, 100).item() == pytest.approx(1.0)
    # a uniform density on [-1, 1]^D has nll = D log 2; on 256 bins of width 2/256 the
    # discrete law is uniform over 256 values: 8 bits per dimension
    D = 10
    assert bits_per_dim(torch.tensor([D * math.log(2)]), D, bin_width=2 / 256).item(
    ) == pytest.approx(8.0)
    with pytest.raises(ValueError, match="bin_width must be positive"):
        bits_per_dim(nll, 100, bin_width=0.0)
