r"""A small variational autoencoder (Kingma & Welling, 2014) for Chapter 17's
side-by-side comparison: a likelihood model with a latent space, next to the GAN
(a latent space, no likelihood) and diffusion (a likelihood bound, no low-dimensional
latent).

The model: :math:`p(z) = \mathcal N(0, I)`, a Gaussian decoder :math:`p_\theta(x
\mid z) = \mathcal N(\mu_\theta(z), \sigma^2 I)` with one learned scale
:math:`\sigma` (as in Rybkin et al., 2021, "sigma-VAE", which learns it instead of
fixing it), and the encoder :math:`q_\phi(z \mid x) = \mathcal N(m_\phi(x),
\mathrm{diag}\, e^{v_\phi(x)})`. The evidence lower bound, per example, in nats,

.. math::
    \log p_\theta(x) \ge \mathrm{ELBO}(x) = \mathbb E_{q_\phi(z \mid x)}
    [\log p_\theta(x \mid z)] - \mathrm{KL}(q_\phi(z \mid x) \,\|\, p(z)),
    \qquad \mathrm{KL} = \tfrac12 \sum_j (m_j^2 + e^{v_j} - 1 - v_j),

the expectation estimated with reparameterized draws :math:`z = m + e^{v/2}
\odot \epsilon` (Kingma & Welling, Eqs. 7 and 10).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from gan_lib.errors import check_positive_int


def gaussian_kl_to_standard(mean: Tensor, log_var: Tensor) -> Tensor:
    r""":math:`\mathrm{KL}(\mathcal N(m, \mathrm{diag}\,e^{v}) \,\|\, \mathcal N(0,
    I))` per row: ``(B, d), (B, d) -> (B,)``."""
    return 0.5 * (mean.square() + log_var.exp() - 1 - log_var).sum(dim=1)


def gaussian_log_likelihood(x: Tensor, mean: Tensor, log_scale: Tensor) -> Tensor:
    r""":math:`\log \mathcal N(x; \mu, \sigma^2 I)` per example, summed over every
    dimension but the first, with :math:`\sigma = e^{\texttt{log\_scale}}`."""
    dims = tuple(range(1, x.dim()))
    z = (x - mean) * torch.exp(-log_scale)
    return (-0.5 * z.square() - log_scale - 0.5 * math.log(2 * math.pi)).sum(dims)


def gaussian_elbo(
    x: Tensor,
    mean: Tensor,
    log_var: Tensor,
    decode: Callable[[Tensor], Tensor],
    log_scale: Tensor,
    samples: int = 1,
    generator: torch.Generator | None = None,
) -> dict[str, Tensor]:
    """The ELBO of ``x: (B, ...)`` given the encoder's ``mean, log_var: (B, d)``, the
    decoder's mean function and log scale: ``reconstruction`` (the expected
    :math:`\\log p(x \\mid z)`, averaged over ``samples`` draws), ``kl`` and
    ``elbo`` = reconstruction - kl, each ``(B,)`` in nats."""
    check_positive_int("samples", samples)
    reconstruction = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    for _ in range(samples):
        eps = torch.randn(mean.shape, generator=generator, device=mean.device,
                          dtype=mean.dtype)
        z = mean + (0.5 * log_var).exp() * eps  # the reparameterization trick
        reconstruction = reconstruction + gaussian_log_likelihood(x, decode(z), log_scale)
    reconstruction = reconstruction / samples
    kl = gaussian_kl_to_standard(mean, log_var)
    return {"reconstruction": reconstruction, "kl": kl, "elbo": reconstruction - kl}


class VAE(nn.Module):
    """A convolutional VAE for square images of side ``image_size`` (divisible by 4).

    ``encode(x: (B, C, S, S)) -> (mean, log_var)``, each ``(B, z_dim)``;
    ``decode(z: (B, z_dim)) -> (B, C, S, S)`` (the decoder's mean);
    ``elbo(x)`` -> the terms of :func:`gaussian_elbo`; ``sample(n)`` -> decoder means
    of :math:`z \\sim \\mathcal N(0, I)` (the usual way to show a VAE's samples; adding
    the decoder's pixel noise would only add white noise).
    """

    def __init__(
        self, channels: int = 1, image_size: int = 16, z_dim: int = 16, width: int = 32
    ) -> None:
        super().__init__()
        for name, value in (("channels", channels), ("image_size", image_size),
                            ("z_dim", z_dim), ("width", width)):
            check_positive_int(name, value)
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4; got {image_size}")
        self.channels, self.image_size, self.z_dim = channels, image_size, z_dim
        w, s = width, image_size // 4
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, w, 4, stride=2, padding=1), nn.SiLU(),  # S/2
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1), nn.SiLU(),  # S/4
            nn.Flatten(), nn.Linear(2 * w * s * s, 2 * z_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(z_dim, 2 * w * s * s), nn.SiLU(),
            nn.Unflatten(1, (2 * w, s, s)),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1), nn.SiLU(),  # S/2
            nn.ConvTranspose2d(w, channels, 4, stride=2, padding=1),  # S
        )
        self.log_scale = nn.Parameter(torch.zeros(()))  # log sigma of p(x | z)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        expected = (self.channels, self.image_size, self.image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"x must be (B, {', '.join(map(str, expected))}); got "
                             f"{tuple(x.shape)}")
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        return mean, log_var

    def decode(self, z: Tensor) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z must be (B, {self.z_dim}); got {tuple(z.shape)}")
        return self.decoder(z)

    def elbo(
        self, x: Tensor, samples: int = 1, generator: torch.Generator | None = None
    ) -> dict[str, Tensor]:
        mean, log_var = self.encode(x)
        return gaussian_elbo(x, mean, log_var, self.decode, self.log_scale, samples,
                             generator)

    def forward(self, x: Tensor) -> Tensor:
        """The loss to descend: the negative ELBO, averaged over the batch (nats)."""
        return -self.elbo(x)["elbo"].mean()

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        device = self.log_scale.device
        z = torch.randn(n, self.z_dim, generator=generator, device=device)
        return self.decode(z)


def bits_per_dim(nll_nats: Tensor, dims: int, bin_width: float | None = None) -> Tensor:
    r"""Negative log-likelihood per example in nats -> bits per dimension.

    For a discrete likelihood (``bin_width=None``): :math:`\mathrm{nll} / (D \ln 2)`.
    For a density on data dequantized with uniform noise over bins of width
    :math:`\Delta` (Theis et al., 2016, Sec. 3.1), the discrete negative
    log-likelihood is at most :math:`\mathrm{nll} - D \ln \Delta`, which this returns
    in bits per dimension.
    """
    check_positive_int("dims", dims)
    if bin_width is not None:
        if not bin_width > 0:
            raise ValueError(f"bin_width must be positive; got {bin_width!r}")
        nll_nats = nll_nats - dims * math.log(bin_width)
    return nll_nats / (dims * math.log(2))


__all__ = [
    "VAE",
    "bits_per_dim",
    "gaussian_elbo",
    "gaussian_kl_to_standard",
    "gaussian_log_likelihood",
]
