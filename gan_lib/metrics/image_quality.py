r"""Image quality against a known truth: PSNR, SSIM, and a spectral distance
(Chapter 15's distortion and perception axes). Every statistic is float64.

* :func:`psnr`: peak signal-to-noise ratio per image,
  :math:`10 \log_{10}(R^2 / \mathrm{MSE})` with the data range :math:`R` (2 for
  images in [-1, 1]); matches ``skimage.metrics.peak_signal_noise_ratio``.
* :func:`ssim`: structural similarity (Wang et al., 2004) per image, matching
  ``skimage.metrics.structural_similarity`` with the same settings: a 7 x 7 uniform
  window and the sample covariance by default, or the paper's 11-tap Gaussian
  (:math:`\sigma = 1.5`) with ``gaussian_weights=True``; :math:`K_1 = 0.01`,
  :math:`K_2 = 0.03`; the local map averaged over the pixels whose window lies
  inside the image, and over channels.
* :func:`radial_power_spectrum` and :func:`spectral_distance`: the set-averaged power
  spectrum, radially binned, and the root-mean-square gap between two sets' log
  spectra, in decibels. PSNR and SSIM compare each output with its own truth (the
  *distortion* axis); the spectral distance compares the *sets*, so it asks whether
  outputs look like samples of the data (the *perception* axis of Blau and
  Michaeli, 2018), here through one statistic that blur changes most: the energy at
  high spatial frequencies.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

K1, K2 = 0.01, 0.03  # Wang et al. (2004), Sec. III-B; skimage's defaults
UNIFORM_WINDOW = 7  # skimage's default win_size without Gaussian weights
GAUSSIAN_SIGMA, GAUSSIAN_TRUNCATE = 1.5, 3.5  # skimage: an 11-tap filter (Wang et al.)


def _check_pair(x: Tensor, y: Tensor, name: str) -> tuple[Tensor, Tensor]:
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise TypeError(f"{name} takes two tensors; got {type(x).__name__}, "
                        f"{type(y).__name__}")
    if x.dim() != 4 or x.shape != y.shape:
        raise ValueError(
            f"{name} expects two image batches (N, C, H, W) of one shape; got "
            f"{tuple(x.shape)} and {tuple(y.shape)}"
        )
    return x.double(), y.double()


def psnr(x: Tensor, y: Tensor, data_range: float = 2.0) -> Tensor:
    r"""PSNR of each image of ``x`` against its truth in ``y``, in dB: ``(N,)``
    float64. :math:`10\log_{10}(R^2 / \frac{1}{CHW}\sum (x - y)^2)`; ``inf`` where
    the images are equal."""
    x, y = _check_pair(x, y, "psnr")
    mse = (x - y).square().mean(dim=(1, 2, 3))  # (N,)
    return 10 * torch.log10(data_range**2 / mse)


def _gaussian_window(sigma: float, truncate: float) -> Tensor:
    """scipy.ndimage's 1-D Gaussian: radius ``int(truncate sigma + 0.5)``, summing
    to 1, float64."""
    radius = int(truncate * sigma + 0.5)
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    w = torch.exp(-0.5 * (t / sigma) ** 2)
    return w / w.sum()  # (2 radius + 1,)


def _local_mean(x: Tensor, window: Tensor) -> Tensor:
    """The weighted mean over each window wholly inside the image ("valid"), by a
    separable filter: ``(N, C, H, W) -> (N, C, H - k + 1, W - k + 1)``."""
    n, c, height, width = x.shape
    k = window.numel()
    flat = x.reshape(n * c, 1, height, width)
    flat = F.conv2d(flat, window.view(1, 1, k, 1))  # along H
    flat = F.conv2d(flat, window.view(1, 1, 1, k))  # along W
    return flat.reshape(n, c, height - k + 1, width - k + 1)


def ssim(
    x: Tensor,
    y: Tensor,
    data_range: float = 2.0,
    gaussian_weights: bool = False,
    use_sample_covariance: bool = True,
) -> Tensor:
    r"""SSIM of each image of ``x`` against ``y``: ``(N,)`` float64.

    .. math::
        \mathrm{SSIM} = \frac{(2\mu_x\mu_y + C_1)(2\sigma_{xy} + C_2)}
        {(\mu_x^2 + \mu_y^2 + C_1)(\sigma_x^2 + \sigma_y^2 + C_2)},
        \quad C_i = (K_i R)^2,

    with local statistics over a 7 x 7 uniform window (or the 11-tap Gaussian of
    :math:`\sigma = 1.5`), the variances rescaled by :math:`k^2 / (k^2 - 1)` when
    ``use_sample_covariance``; averaged over valid positions and channels, as
    ``skimage.metrics.structural_similarity(x, y, data_range=R, channel_axis=0,
    gaussian_weights=..., use_sample_covariance=...)`` on one image.
    """
    x, y = _check_pair(x, y, "ssim")
    if gaussian_weights:
        window = _gaussian_window(GAUSSIAN_SIGMA, GAUSSIAN_TRUNCATE)
    else:
        window = torch.full((UNIFORM_WINDOW,), 1.0 / UNIFORM_WINDOW,
                            dtype=torch.float64)
    k = window.numel()
    if min(x.shape[-2:]) < k:
        raise ValueError(
            f"ssim needs images of at least {k} x {k} pixels (its window); got "
            f"{tuple(x.shape[-2:])}"
        )
    cov_norm = k * k / (k * k - 1) if use_sample_covariance else 1.0
    mu_x, mu_y = _local_mean(x, window), _local_mean(y, window)
    var_x = cov_norm * (_local_mean(x * x, window) - mu_x * mu_x)
    var_y = cov_norm * (_local_mean(y * y, window) - mu_y * mu_y)
    cov_xy = cov_norm * (_local_mean(x * y, window) - mu_x * mu_y)
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    s = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / (
        (mu_x.square() + mu_y.square() + c1) * (var_x + var_y + c2)
    )  # (N, C, H - k + 1, W - k + 1)
    return s.mean(dim=(1, 2, 3))


def radial_power_spectrum(x: Tensor) -> Tensor:
    r"""The power spectrum of a set of square images, averaged over images and
    channels and binned by radial frequency: ``(N, C, S, S) -> (S // 2,)`` float64.

    Each image is multiplied by a 2-D Hann window (so the jump at the patch's border
    does not leak power to every frequency), Fourier transformed, and
    :math:`|\hat x(k)|^2` is averaged over the frequencies whose radius
    :math:`\lVert k \rVert` rounds to :math:`r = 1, \dots, S/2` (the mean, ``r = 0``,
    is dropped)."""
    if x.dim() != 4 or x.shape[-1] != x.shape[-2] or x.shape[-1] < 4:
        raise ValueError(
            f"radial_power_spectrum expects square images (N, C, S, S), S >= 4; got "
            f"{tuple(x.shape)}"
        )
    side = x.shape[-1]
    hann = torch.hann_window(side, periodic=False, dtype=torch.float64)
    windowed = x.double() * (hann[:, None] * hann[None, :])  # (N, C, S, S)
    power = torch.fft.fft2(windowed).abs().square().mean(dim=(0, 1))  # (S, S)
    k = torch.fft.fftfreq(side, d=1.0 / side, dtype=torch.float64)  # integer freqs
    radius = torch.sqrt(k[:, None] ** 2 + k[None, :] ** 2).round().long()  # (S, S)
    bins = torch.arange(1, side // 2 + 1)
    return torch.stack([power[radius == r].mean() for r in bins])  # (S // 2,)


def spectral_distance(x: Tensor, y: Tensor) -> float:
    r"""The RMS gap, in dB, between the radial power spectra of two sets of images:

    .. math:: \sqrt{\tfrac{1}{S/2}\textstyle\sum_r
        \big(10\log_{10} P_x(r) - 10\log_{10} P_y(r)\big)^2}.

    0 when the sets have the same spectrum; a blurred set falls short at large
    :math:`r`. The sets may differ in size but not in image shape."""
    if x.dim() != 4 or y.dim() != 4 or x.shape[1:] != y.shape[1:]:
        raise ValueError(
            "spectral_distance expects two sets (N, C, S, S) of one image shape; got "
            f"{tuple(x.shape)} and {tuple(y.shape)}"
        )
    gap = 10 * (torch.log10(radial_power_spectrum(x))
                - torch.log10(radial_power_spectrum(y)))
    return math.sqrt(gap.square().mean().item())
