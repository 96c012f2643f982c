"""Sliced Wasserstein distance: the point-set building block against exact 1-D W1 and
a closed form for a shift; ProGAN's Laplacian pyramid against a scipy transcription of
the official code; the image metric's zeros, symmetry, invariances and scales."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.ndimage
import torch

from gan_lib.divergences import wasserstein_1d
from gan_lib.metrics import SlicedWassersteinDistances, sliced_wasserstein, swd
from gan_lib.metrics.swd import (
    laplacian_pyramid,
    pyramid_down,
    pyramid_up,
    resolutions,
)

# --- the point-set SWD ---------------------------------------------------------------


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def gaussian_points(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=seeded(seed), dtype=torch.float64)


def test_a_set_is_at_distance_zero_from_itself():
    a = gaussian_points(200, 5, 0)
    assert sliced_wasserstein(a, a.clone(), 256, seeded()) == 0.0


def test_symmetric_for_the_same_directions():
    a, b = gaussian_points(150, 4, 1), gaussian_points(150, 4, 2) + 0.3
    assert sliced_wasserstein(a, b, 300, seeded(7)) == pytest.approx(
        sliced_wasserstein(b, a, 300, seeded(7)), rel=1e-14
    )


def test_in_one_dimension_it_is_the_exact_w1():
    # A unit direction of R^1 is +-1, and W1 does not care about the sign.
    a = gaussian_points(300, 1, 3)
    b = 2 * gaussian_points(300, 1, 4) + 1
    assert sliced_wasserstein(a, b, 5, seeded()) == pytest.approx(
        wasserstein_1d(a, b), rel=1e-12
    )


def test_a_shift_gives_the_mean_absolute_projection_of_the_shift():
    # Each projection of a translate is the translate of the projection, so
    # SW(a, a + v) = mean_k |theta_k . v| exactly, growing linearly in |v|. In R^3,
    # theta_1 is uniform on [-1, 1] (Archimedes), so E|theta . v| = |v| / 2 with a
    # standard deviation |v| / sqrt(12) per direction.
    a = gaussian_points(400, 3, 5)
    v = torch.tensor([1.0, 2.0, 2.0], dtype=torch.float64)  # |v| = 3
    projections = 1024
    one = sliced_wasserstein(a, a + v, projections, seeded(1))
    two = sliced_wasserstein(a, a + 2 * v, projections, seeded(1))
    assert two == pytest.approx(2 * one, rel=1e-12)
    standard_error = 3 / math.sqrt(12 * projections)
    assert abs(one - 1.5) < 5 * standard_error


@pytest.mark.parametrize(
    "a, b, message",
    [
        (torch.zeros(5), torch.zeros(5), "2 dimensions"),
        (torch.zeros(5, 2), torch.zeros(6, 2), "same shape"),
        (torch.zeros(5, 2), torch.zeros(5, 3), "same shape"),
        (torch.zeros(0, 2), torch.zeros(0, 2), "at least 1"),
    ],
)
def test_point_sets_of_the_wrong_shape_are_refused(a, b, message):
    with pytest.raises(ValueError, match=message):
        sliced_wasserstein(a, b, 10)


def test_projections_must_be_positive():
    with pytest.raises(ValueError, match="projections"):
        sliced_wasserstein(torch.zeros(3, 2), torch.zeros(3, 2), 0)


# --- the Laplacian pyramid -----------------------------------------------------------

# The official code's pyramid (tkarras/progressive_growing_of_gans,
# metrics/sliced_wasserstein.py), transcribed with scipy in float64.
GAUSSIAN_5X5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0


def official_down(x: np.ndarray) -> np.ndarray:
    kernel = GAUSSIAN_5X5[None, None]
    return scipy.ndimage.convolve(x, kernel, mode="mirror")[:, :, ::2, ::2]


def official_up(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    zeros = np.zeros((n, c, 2 * h, 2 * w))
    zeros[:, :, ::2, ::2] = x
    return scipy.ndimage.convolve(zeros, GAUSSIAN_5X5[None, None] * 4.0, mode="mirror")


def official_pyramid(x: np.ndarray, levels: int) -> list[np.ndarray]:
    pyramid = [x]
    for _ in range(1, levels):
        pyramid.append(official_down(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - official_up(pyramid[-1])
    return pyramid


def test_the_pyramid_is_the_official_one():
    x = np.random.default_rng(0).random((2, 3, 64, 64))
    ours = laplacian_pyramid(torch.from_numpy(x), 3)
    reference = official_pyramid(x, 3)
    assert [level.shape[-1] for level in ours] == [64, 32, 16]
    for level, expected in zip(ours, reference):
        np.testing.assert_allclose(level.numpy(), expected, rtol=0, atol=1e-13)


def test_the_pyramid_reconstructs_the_images():
    x = torch.rand(2, 1, 32, 32, generator=seeded(), dtype=torch.float64)
    band, low = laplacian_pyramid(x, 2)
    assert torch.allclose(band + pyramid_up(low), x, rtol=0, atol=1e-14)


def test_resolutions_go_down_to_16_px():
    assert resolutions(128) == (128, 64, 32, 16)
    assert resolutions(16) == (16,)


# --- SWD between image sets ----------------------------------------------------------


def noise_images(seed: int, n: int = 32, size: int = 32) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=seeded(seed), dtype=torch.float64)


def test_identical_sets_give_zero_at_every_level():
    x = noise_images(0)
    result = swd(x, x.clone(), generator=seeded())
    assert isinstance(result, SlicedWassersteinDistances)
    assert result.resolutions == (32, 16)
    assert result.distances == (0.0, 0.0) and result.average == 0.0


def test_symmetric_and_averaged_over_levels():
    x, y = noise_images(1), noise_images(2) ** 2
    forward = swd(x, y, generator=seeded(3))
    backward = swd(y, x, generator=seeded(3))
    assert forward.distances == pytest.approx(backward.distances, rel=1e-12)
    assert forward.average == pytest.approx(sum(forward.distances) / 2, rel=1e-15)
    assert min(forward.distances) > 0


def test_blind_to_a_per_channel_affine_change():
    # Each set's descriptors are normalized per channel (ProGAN's
    # finalize_descriptors), and the pyramid is linear: contrast and colour shifts
    # of a whole set vanish.
    x = noise_images(4)
    scale = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64).view(1, 3, 1, 1)
    shift = torch.tensor([0.0, 1.0, -3.0], dtype=torch.float64).view(1, 3, 1, 1)
    result = swd(x, scale * x + shift, generator=seeded())
    assert max(result.distances) < 1e-10


def test_a_blur_shows_at_the_finest_level_not_the_coarsest():
    # Blurring removes the fine detail the finest band-pass level sees, and touches
    # the 16 px low-pass level less. Over seeds 0-5 the finest/coarsest ratio is
    # 1.82-1.90 and the blurred finest distance 3.0-3.2 times the one between two
    # independent noise sets (their sampling noise).
    x = noise_images(5)
    blurred = pyramid_up(pyramid_down(x))  # a low-pass copy at full size
    result = swd(x, blurred, generator=seeded())
    independent = swd(x, noise_images(6), generator=seeded())
    finest, coarsest = result.distances
    assert finest > 1.5 * coarsest
    assert finest > 2.2 * independent.distances[0]


@pytest.mark.parametrize(
    "shape, message",
    [
        ((4, 3, 32, 16), "square"),
        ((4, 3, 24, 24), "power of 2"),
        ((4, 3, 8, 8), "at least 16"),
        ((1, 3, 16, 16), "at least 2 images"),
        ((4, 32, 32), "4 dimensions"),
    ],
)
def test_wrong_image_shapes_are_refused(shape, message):
    images = torch.rand(shape, generator=seeded())
    with pytest.raises(ValueError, match=message):
        swd(images, images)


def test_sets_of_different_sizes_are_refused():
    with pytest.raises(ValueError, match="same shape"):
        swd(noise_images(0, n=4), noise_images(1, n=5))


def test_constant_images_are_refused():
    images = torch.ones(4, 3, 16, 16)
    with pytest.raises(ValueError, match="constant"):
        swd(images, images)
