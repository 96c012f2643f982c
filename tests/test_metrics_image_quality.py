"""PSNR and SSIM against scikit-image, and the spectral distance against closed
forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from gan_lib.metrics.image_quality import (
    psnr,
    radial_power_spectrum,
    spectral_distance,
    ssim,
)


def pair(channels=3, height=20, width=24, n=3, noise=0.2, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, channels, height, width, generator=g) * 2 - 1
    y = (x + noise * torch.randn(x.shape, generator=g)).clamp(-1, 1)
    return x, y


def test_psnr_matches_skimage_and_its_formula():
    x, y = pair()
    ours = psnr(y, x)
    assert ours.dtype == torch.float64 and ours.shape == (3,)
    for i in range(3):
        ref = peak_signal_noise_ratio(x[i].double().numpy(), y[i].double().numpy(),
                                      data_range=2)
        assert ours[i].item() == pytest.approx(ref, rel=1e-12)
    mse = ((x[0].double() - y[0].double()) ** 2).mean().item()
    assert ours[0].item() == pytest.approx(10 * math.log10(4 / mse), rel=1e-12)
    assert psnr(x, x).isinf().all()
    assert psnr(x, y, data_range=1.0)[0] == pytest.approx(ours[0] - 20 * math.log10(2))


@pytest.mark.parametrize("gaussian,sample", [(False, True), (True, False),
                                             (True, True), (False, False)])
@pytest.mark.parametrize("channels", [1, 3])
def test_ssim_matches_skimage_with_the_same_settings(gaussian, sample, channels):
    x, y = pair(channels)
    ours = ssim(x, y, gaussian_weights=gaussian, use_sample_covariance=sample)
    for i in range(3):
        ref = structural_similarity(
            x[i].double().numpy(), y[i].double().numpy(), data_range=2,
            channel_axis=0, gaussian_weights=gaussian, use_sample_covariance=sample)
        assert ours[i].item() == pytest.approx(ref, abs=1e-12)


def test_ssim_is_one_on_equal_images_and_falls_with_noise():
    x, _ = pair()
    assert torch.allclose(ssim(x, x), torch.ones(3, dtype=torch.float64))
    scores = [ssim(*pair(noise=s))[0].item() for s in (0.05, 0.2, 0.5)]
    assert scores[0] > scores[1] > scores[2]


def test_metrics_refuse_bad_inputs():
    x, y = pair()
    with pytest.raises(ValueError, match=r"one shape; got \(3, 3, 20, 24\) and "
                                         r"\(3, 3, 20, 20\)"):
        psnr(x, y[..., :20])
    with pytest.raises(ValueError, match="at least 7 x 7"):
        ssim(x[..., :6, :6], y[..., :6, :6])
    with pytest.raises(ValueError, match="at least 11 x 11"):
        ssim(x[..., :10, :10], y[..., :10, :10], gaussian_weights=True)
    with pytest.raises(ValueError, match="square images"):
        radial_power_spectrum(x)
    with pytest.raises(ValueError, match="one image shape"):
        spectral_distance(x[..., :20], y[:, :1, :, :20])


def test_white_noise_has_the_flat_spectrum_of_its_window():
    # E|FFT(w * e)(k)|^2 = sigma^2 sum_n w_n^2 at every frequency, for white noise e
    g = torch.Generator().manual_seed(0)
    noise = 0.3 * torch.randn(4000, 1, 16, 16, generator=g, dtype=torch.float64)
    spectrum = radial_power_spectrum(noise)
    hann = torch.hann_window(16, periodic=False, dtype=torch.float64)
    expected = 0.09 * (hann[:, None] * hann[None, :]).square().sum().item()
    assert spectrum.shape == (8,)
    assert torch.allclose(spectrum, torch.full_like(spectrum, expected), rtol=0.03)


def test_a_cosine_puts_its_power_in_its_own_radial_bin():
    n = torch.arange(32, dtype=torch.float64)
    for r in (3, 9):
        wave = torch.cos(2 * math.pi * r * n / 32)[None, None, None, :].expand(
            1, 1, 32, 32)
        spectrum = radial_power_spectrum(wave)
        assert spectrum.argmax().item() == r - 1  # bins are r = 1 .. 16


def test_spectral_distance_is_zero_for_one_set_and_grows_with_blur():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 1, 32, 32, generator=g)
    assert spectral_distance(x, x) == 0.0
    assert spectral_distance(x, x * 2) == pytest.approx(10 * math.log10(4), rel=1e-9)
    blurred = [F.avg_pool2d(x, k, stride=1, padding=k // 2, count_include_pad=False)
               for k in (3, 5)]
    d3, d5 = (spectral_distance(b, x) for b in blurred)
    assert 0 < d3 < d5
    assert isinstance(d3, float) and np.isfinite(d5)
