r"""Denoising diffusion (DDPM, Ho et al., 2020) with DDIM sampling (Song et al., 2021),
small, for Chapter 17's side-by-side comparison with GANs and VAEs.

**Forward process.** :math:`q(x_t \mid x_{t-1}) = \mathcal N(\sqrt{1 - \beta_t}\,
x_{t-1}, \beta_t I)`, hence :math:`q(x_t \mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\,
x_0, (1 - \bar\alpha_t) I)` with :math:`\bar\alpha_t = \prod_{s \le t} (1 - \beta_s)`
(Ho et al., Eq. 4), and the posterior :math:`q(x_{t-1} \mid x_t, x_0) = \mathcal N(
\tilde\mu_t, \tilde\beta_t I)`,

.. math::
    \tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1 - \bar\alpha_t} x_0
    + \frac{\sqrt{\alpha_t}\,(1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t} x_t, \qquad
    \tilde\beta_t = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t}\,\beta_t

(Eqs. 6-7). **Training** regresses the noise: :math:`L_{simple} = \mathbb E\,\lVert
\epsilon - \epsilon_\theta(\sqrt{\bar\alpha_t} x_0 + \sqrt{1 - \bar\alpha_t}\,
\epsilon, t) \rVert^2`, :math:`t` uniform (Eq. 14). **Sampling**: ancestral steps with
:math:`\sigma_t^2 = \beta_t` (Algorithm 2), or DDIM's deterministic steps
(:math:`\eta = 0`, Song et al., Eq. 12) on a subsequence of the :math:`T` steps.
**Likelihood**: the variational bound :math:`L_T + \sum_{t > 1} L_{t-1} + L_0` (Eq. 5)
in nats, with Ho et al.'s discretized Gaussian decoder for :math:`L_0` (Eq. 13).

Constants: :math:`T = 1000`, :math:`\beta_t` linear from :math:`10^{-4}` to
:math:`0.02` (Ho et al., Sec. 4; ``diffusion_utils_2.py`` ``get_beta_schedule
('linear')``). Times are 0-based in the code: index ``i`` is the paper's
:math:`t = i + 1`. Schedules are computed in float64.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib.errors import check_int_at_least, check_positive_int

TIMESTEPS = 1000  # Ho et al. (2020), Sec. 4: T = 1000
BETA_START, BETA_END = 1e-4, 0.02  # Sec. 4: linear from beta_1 = 1e-4 to beta_T = 0.02


def linear_betas(
    timesteps: int = TIMESTEPS, start: float = BETA_START, end: float = BETA_END
) -> Tensor:
    """``(T,)`` float64 betas, linear from ``start`` to ``end`` (Ho et al.'s schedule;
    for a short chain the endpoints are kept, as ``get_beta_schedule`` does)."""
    check_positive_int("timesteps", timesteps)
    if not 0 < start <= end < 1:
        raise ValueError(f"need 0 < start <= end < 1; got start={start}, end={end}")
    return torch.linspace(start, end, timesteps, dtype=torch.float64)


def _gaussian_kl(mean_q: Tensor, var_q: Tensor, mean_p: Tensor, var_p: Tensor) -> Tensor:
    r""":math:`\mathrm{KL}(\mathcal N(m_q, v_q) \,\|\, \mathcal N(m_p, v_p))`, elementwise."""
    return 0.5 * (torch.log(var_p / var_q) + (var_q + (mean_q - mean_p) ** 2) / var_p
                  - 1)


def _standard_normal_cdf(x: Tensor) -> Tensor:
    return 0.5 * (1 + torch.erf(x / math.sqrt(2)))


class GaussianDiffusion(nn.Module):
    r"""The DDPM chain around a noise predictor :math:`\epsilon_\theta(x_t, i)`.

    Args:
        denoiser: ``denoiser(x_t: (B, ...), i: (B,) int64) -> (B, ...)``, the predicted
            noise (e.g. :class:`Denoiser`).
        betas: ``(T,)`` the schedule (default :func:`linear_betas`).
    """

    def __init__(self, denoiser: nn.Module, betas: Tensor | None = None) -> None:
        super().__init__()
        self.denoiser = denoiser
        betas = linear_betas() if betas is None else betas.to(torch.float64)
        if betas.dim() != 1 or not bool(((betas > 0) & (betas < 1)).all()):
            raise ValueError(
                f"betas must be a 1-D tensor in (0, 1); got shape {tuple(betas.shape)}"
            )
        alphas_bar = torch.cumprod(1 - betas, dim=0)
        alphas_bar_prev = torch.cat([torch.ones(1, dtype=torch.float64), alphas_bar[:-1]])
        self.timesteps = betas.numel()
        self.register_buffer("betas", betas)
        self.register_buffer("alphas_bar", alphas_bar)
        self.register_buffer("alphas_bar_prev", alphas_bar_prev)
        # posterior q(x_{t-1} | x_t, x_0): Ho et al., Eq. 7
        self.register_buffer(
            "posterior_variance", betas * (1 - alphas_bar_prev) / (1 - alphas_bar)
        )
        self.register_buffer(
            "posterior_coef_x0", alphas_bar_prev.sqrt() * betas / (1 - alphas_bar)
        )
        self.register_buffer(
            "posterior_coef_xt", (1 - betas).sqrt() * (1 - alphas_bar_prev)
            / (1 - alphas_bar)
        )

    # ---- the forward process --------------------------------------------------------
    def _at(self, table: Tensor, i: Tensor, like: Tensor) -> Tensor:
        """``table[i]`` shaped to broadcast over ``like``'s trailing dims, in its dtype."""
        return table[i].to(like.dtype).reshape(-1, *([1] * (like.dim() - 1)))

    def _check_times(self, i: Tensor, batch: int) -> None:
        if i.shape != (batch,) or i.dtype != torch.int64:
            raise ValueError(
                f"time indices must be ({batch},) int64; got {tuple(i.shape)} {i.dtype}"
            )
        if batch and (int(i.min()) < 0 or int(i.max()) >= self.timesteps):
            raise ValueError(
                f"time indices must lie in [0, {self.timesteps - 1}]; got "
                f"[{int(i.min())}, {int(i.max())}]"
            )

    def q_sample(self, x0: Tensor, i: Tensor, noise: Tensor) -> Tensor:
        r""":math:`x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,\epsilon`
        (Eq. 4), for 0-based times ``i: (B,)``."""
        self._check_times(i, x0.shape[0])
        a = self._at(self.alphas_bar, i, x0)
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    def posterior(self, x0: Tensor, xt: Tensor, i: Tensor) -> tuple[Tensor, Tensor]:
        r"""Mean and variance of :math:`q(x_{t-1} \mid x_t, x_0)` (Eqs. 6-7)."""
        mean = (self._at(self.posterior_coef_x0, i, x0) * x0
                + self._at(self.posterior_coef_xt, i, x0) * xt)
        return mean, self._at(self.posterior_variance, i, x0).expand_as(x0)

    def predict_x0(self, xt: Tensor, i: Tensor, eps: Tensor) -> Tensor:
        r""":math:`\hat x_0 = (x_t - \sqrt{1 - \bar\alpha_t}\,\epsilon) /
        \sqrt{\bar\alpha_t}`."""
        a = self._at(self.alphas_bar, i, xt)
        return (xt - (1 - a).sqrt() * eps) / a.sqrt()

    # ---- training ---------------------------------------------------------------
    def loss(self, x0: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """:math:`L_{simple}` (Eq. 14) on a batch: one uniform time and one noise
        draw per example; the mean squared error per element."""
        i = torch.randint(self.timesteps, (x0.shape[0],), generator=generator,
                          device=x0.device)
        noise = torch.randn(x0.shape, generator=generator, device=x0.device,
                            dtype=x0.dtype)
        return F.mse_loss(self.denoiser(self.q_sample(x0, i, noise), i), noise)

    # ---- sampling ---------------------------------------------------------------
    @torch.no_grad()
    def sample(
        self, shape: tuple[int, ...], generator: torch.Generator | None = None,
        device: torch.device | str = "cpu",
    ) -> Tensor:
        r"""Ancestral sampling (Algorithm 2) with :math:`\sigma_t^2 = \beta_t`:
        :math:`T` network evaluations per sample."""
        x = torch.randn(shape, generator=generator, device=device)
        for t in reversed(range(self.timesteps)):
            i = torch.full((shape[0],), t, dtype=torch.int64, device=device)
            eps = self.denoiser(x, i)
            beta = self._at(self.betas, i, x)
            a = self._at(self.alphas_bar, i, x)
            mean = (x - beta / (1 - a).sqrt() * eps) / (1 - beta).sqrt()  # Eq. 11
            if t > 0:
                noise = torch.randn(shape, generator=generator, device=device)
                x = mean + beta.sqrt() * noise
            else:
                x = mean
        return x

    @torch.no_grad()
    def sample_ddim(
        self, shape: tuple[int, ...], steps: int = 50,
        generator: torch.Generator | None = None, device: torch.device | str = "cpu",
        x_T: Tensor | None = None,
    ) -> Tensor:
        r"""DDIM with :math:`\eta = 0` (Song et al., 2021, Eq. 12) on ``steps`` evenly
        spaced times: deterministic given :math:`x_T`; ``steps`` network evaluations.

        .. math:: x_{\tau'} = \sqrt{\bar\alpha_{\tau'}}\,\hat x_0 +
           \sqrt{1 - \bar\alpha_{\tau'}}\,\epsilon_\theta(x_\tau, \tau)
        """
        check_int_at_least("steps", steps, 1)
        if steps > self.timesteps:
            raise ValueError(f"steps must be <= T = {self.timesteps}; got {steps}")
        times = torch.linspace(self.timesteps - 1, 0, steps).round().long().tolist()
        x = torch.randn(shape, generator=generator, device=device) if x_T is None else x_T
        for k, t in enumerate(times):
            i = torch.full((shape[0],), t, dtype=torch.int64, device=device)
            eps = self.denoiser(x, i)
            x0 = self.predict_x0(x, i, eps)
            if k + 1 == len(times):
                return x0
            a_next = self._at(self.alphas_bar, torch.full_like(i, times[k + 1]), x)
            x = a_next.sqrt() * x0 + (1 - a_next).sqrt() * eps
        return x

    # ---- likelihood -------------------------------------------------------------
    @torch.no_grad()
    def bound(
        self, x0: Tensor, bin_width: float, generator: torch.Generator | None = None
    ) -> dict[str, Tensor]:
        r"""The variational bound on :math:`-\log p(x_0)` in nats per example (Ho et
        al., Eq. 5): ``prior`` :math:`L_T`, ``diffusion`` :math:`\sum_{t>1} L_{t-1}`
        (every term, one :math:`x_t` draw each) and ``decoder`` :math:`L_0`, the
        discretized Gaussian of Eq. 13 for data on a grid of spacing ``bin_width``
        (2/255 for 8-bit images in [-1, 1]; the two edge bins extend to infinity).
        ``total`` is their sum. The model's reverse variance is
        :math:`\sigma_t^2 = \beta_t`."""
        batch = x0.shape[0]
        dims = tuple(range(1, x0.dim()))
        x0_64 = x0.to(torch.float64)
        last = torch.full((batch,), self.timesteps - 1, dtype=torch.int64,
                          device=x0.device)
        a_T = self._at(self.alphas_bar, last, x0_64)
        prior = _gaussian_kl(a_T.sqrt() * x0_64, (1 - a_T).expand_as(x0_64),
                             torch.zeros_like(x0_64), torch.ones_like(x0_64)).sum(dims)
        diffusion = torch.zeros(batch, dtype=torch.float64, device=x0.device)
        decoder = torch.zeros_like(diffusion)
        for t in range(self.timesteps):
            i = torch.full((batch,), t, dtype=torch.int64, device=x0.device)
            noise = torch.randn(x0.shape, generator=generator, device=x0.device)
            xt = self.q_sample(x0, i, noise)
            eps = self.denoiser(xt, i).to(torch.float64)
            beta = self._at(self.betas, i, x0_64)
            a = self._at(self.alphas_bar, i, x0_64)
            mean = (xt.to(torch.float64) - beta / (1 - a).sqrt() * eps) / (1 - beta).sqrt()
            if t == 0:
                decoder = -_discretized_gaussian_log_likelihood(
                    x0_64, mean, beta.sqrt().expand_as(mean), bin_width).sum(dims)
            else:
                q_mean, q_var = self.posterior(x0_64, xt.to(torch.float64), i)
                diffusion += _gaussian_kl(q_mean, q_var, mean, beta.expand_as(mean)
                                          ).sum(dims)
        return {"prior": prior, "diffusion": diffusion, "decoder": decoder,
                "total": prior + diffusion + decoder}


def _discretized_gaussian_log_likelihood(
    x: Tensor, mean: Tensor, std: Tensor, bin_width: float
) -> Tensor:
    """log of the N(mean, std^2) mass of the bin of width ``bin_width`` around each
    ``x`` (Ho et al., Eq. 13); the lowest and highest bins of [-1, 1] are open."""
    upper = _standard_normal_cdf((x + bin_width / 2 - mean) / std)
    lower = _standard_normal_cdf((x - bin_width / 2 - mean) / std)
    mass = torch.where(x <= -1 + 1e-9, upper,
                       torch.where(x >= 1 - 1e-9, 1 - lower, upper - lower))
    return torch.log(mass.clamp_min(1e-300))


class Denoiser(nn.Module):
    r"""A small convolutional noise predictor :math:`\epsilon_\theta(x_t, t)` for
    square images: two stride-2 levels with a skip each (a U-Net in miniature), the
    time as a sinusoidal embedding (Vaswani et al., 2017) added to every level
    (Ho et al., Appendix B).

    ``forward(x: (B, C, S, S), i: (B,) int64) -> (B, C, S, S)``; ``S`` divisible by 4.
    """

    def __init__(self, channels: int = 1, width: int = 32, timesteps: int = TIMESTEPS
                 ) -> None:
        super().__init__()
        check_positive_int("channels", channels)
        check_positive_int("width", width)
        self.channels, self.width, self.timesteps = channels, width, timesteps
        w = width
        self.time = nn.Sequential(nn.Linear(w, 4 * w), nn.SiLU(), nn.Linear(4 * w, 4 * w))
        self.to_level = nn.ModuleList([nn.Linear(4 * w, c) for c in (w, 2 * w, 2 * w)])
        self.inp = nn.Conv2d(channels, w, 3, padding=1)
        self.down1 = nn.Conv2d(w, 2 * w, 3, stride=2, padding=1)  # S -> S/2
        self.down2 = nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1)  # S/2 -> S/4
        self.mid = nn.Conv2d(2 * w, 2 * w, 3, padding=1)
        self.up2 = nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1)  # -> S/2
        self.up1 = nn.ConvTranspose2d(4 * w, w, 4, stride=2, padding=1)  # -> S
        self.out = nn.Conv2d(2 * w, channels, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # start by predicting zero noise
        nn.init.zeros_(self.out.bias)

    def embed_time(self, i: Tensor) -> Tensor:
        """``(B,) -> (B, width)`` sinusoidal features of the time index."""
        half = self.width // 2
        freq = torch.exp(-math.log(10_000) * torch.arange(half, device=i.device) / half)
        angle = i.float()[:, None] * freq[None]  # (B, half)
        emb = torch.cat([angle.sin(), angle.cos()], dim=1)
        return F.pad(emb, (0, self.width - 2 * half))  # an odd width gets a zero column

    def forward(self, x: Tensor, i: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels or x.shape[-1] % 4 \
                or x.shape[-2] % 4:
            raise ValueError(
                f"x must be (B, {self.channels}, S, S) with S divisible by 4; got "
                f"{tuple(x.shape)}"
            )
        t = self.time(self.embed_time(i))  # (B, 4w)
        level = [proj(t)[:, :, None, None] for proj in self.to_level]
        h0 = F.silu(self.inp(x) + level[0])  # (B, w, S, S)
        h1 = F.silu(self.down1(h0) + level[1])  # (B, 2w, S/2, S/2)
        h2 = F.silu(self.down2(h1) + level[2])  # (B, 2w, S/4, S/4)
        m = F.silu(self.mid(h2))
        u2 = F.silu(self.up2(torch.cat([m, h2], dim=1)))  # (B, 2w, S/2, S/2)
        u1 = F.silu(self.up1(torch.cat([u2, h1], dim=1)))  # (B, w, S, S)
        return self.out(torch.cat([u1, h0], dim=1))
