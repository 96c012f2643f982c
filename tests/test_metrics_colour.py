"""The colour metrics of Chapter 13 against values computed by hand."""

from __future__ import annotations

import colorsys
import math

import pytest
import torch

from gan_lib.data.paired import EQUAL_LUMA_COLOURS
from gan_lib.metrics.colour import (
    colour_entropy,
    colour_histogram,
    entropy_bits,
    mean_saturation,
    palette_assignment,
    palette_entropy,
    saturation,
)


def image_of(colours: list[tuple[float, float, float]]) -> torch.Tensor:
    """A (1, 3, 1, P) image whose pixels are the given [0, 1] colours, in [-1, 1]."""
    rgb = torch.tensor(colours, dtype=torch.float32).T[None, :, None, :]
    return rgb * 2 - 1


def all_mask(images: torch.Tensor) -> torch.Tensor:
    return torch.ones(images.shape[0], 1, *images.shape[2:], dtype=torch.bool)


def test_saturation_by_hand_and_against_colorsys():
    colours = [(1.0, 0.5, 0.0), (0.5, 0.25, 0.25), (0.3, 0.3, 0.3), (0.0, 0.0, 0.0)]
    assert saturation(torch.tensor(colours)).tolist() == [1.0, 0.5, 0.0, 0.0]
    g = torch.Generator().manual_seed(0)
    rgb = torch.rand(50, 3, generator=g, dtype=torch.float64)
    expected = [colorsys.rgb_to_hsv(*c)[1] for c in rgb.tolist()]
    assert saturation(rgb).tolist() == pytest.approx(expected, abs=1e-12)
    x = image_of(colours)
    assert mean_saturation(x, all_mask(x)) == pytest.approx(1.5 / 4, abs=1e-6)


def test_mask_selects_the_pixels():
    x = image_of([(1.0, 0.0, 0.0), (0.4, 0.4, 0.4)])
    mask = torch.tensor([True, False]).reshape(1, 1, 1, 2)
    assert mean_saturation(x, mask) == pytest.approx(1.0)
    assert mean_saturation(x, ~mask) == pytest.approx(0.0)


def test_colour_histogram_and_entropy_by_hand():
    # two red, one green, one grey pixel: bins of 6 sectors + grey
    x = image_of([(1, 0, 0), (0.9, 0.1, 0.1), (0, 1, 0), (0.5, 0.5, 0.45)])
    hist = colour_histogram(x, all_mask(x), bins=6, min_saturation=0.25)
    assert hist.tolist() == [0.5, 0.0, 0.25, 0.0, 0.0, 0.0, 0.25]  # red, green, grey
    expected = -(0.5 * math.log2(0.5) + 2 * 0.25 * math.log2(0.25))
    assert colour_entropy(x, all_mask(x)) == pytest.approx(expected) == 1.5
    grey = image_of([(0.4, 0.4, 0.4)] * 5)
    assert colour_entropy(grey, all_mask(grey)) == 0.0
    assert entropy_bits(torch.tensor([1 / 3] * 3)) == pytest.approx(math.log2(3))


def test_the_equal_luma_palette_in_equal_amounts_has_log2_3_bits():
    x = image_of([tuple(c) for c in EQUAL_LUMA_COLOURS.tolist()] * 4)
    assert colour_entropy(x, all_mask(x)) == pytest.approx(math.log2(3))
    assert mean_saturation(x, all_mask(x)) == pytest.approx(
        (1 + 1 + 1 - 932 / 2935) / 3, abs=1e-6)


def test_palette_assignment_by_hand():
    palette = EQUAL_LUMA_COLOURS
    # image 0: teal exactly; image 1: orange slightly off; image 2: grey 0.4
    pixels = torch.stack([palette[1], palette[0] + 0.05, torch.full((3,), 0.4)])
    images = (pixels[:, :, None, None] * 2 - 1).expand(-1, -1, 4, 4)
    mask = torch.ones(3, 1, 4, 4, dtype=torch.bool)
    result = palette_assignment(images, mask, palette)
    assert result.index[:2].tolist() == [1, 0]
    assert result.distance[0].item() == pytest.approx(0.0, abs=1e-7)
    assert result.distance[1].item() == pytest.approx(0.05 * math.sqrt(3), abs=1e-6)
    grey_distances = torch.linalg.norm(palette.double() - 0.4, dim=1)
    assert result.distance[2].item() == pytest.approx(grey_distances.min().item(),
                                                      abs=1e-6)
    assert palette_entropy(torch.tensor([0, 1, 2, 0, 1, 2]), 3) == pytest.approx(
        math.log2(3))
    assert palette_entropy(torch.tensor([1, 1, 1]), 3) == 0.0


def test_bad_inputs():
    x = image_of([(1, 0, 0)])
    with pytest.raises(ValueError, match=r"images must be RGB of shape \(N, 3, H, W\)"):
        mean_saturation(x[:, :1], all_mask(x))
    with pytest.raises(ValueError, match=r"mask must be bool of shape \(1, 1, 1, 1\)"):
        mean_saturation(x, torch.ones(1, 1, 1, 1))
    with pytest.raises(ValueError, match="mask selects no pixel"):
        mean_saturation(x, torch.zeros(1, 1, 1, 1, dtype=torch.bool))
    images = torch.zeros(2, 3, 2, 2)
    mask = torch.zeros(2, 1, 2, 2, dtype=torch.bool)
    mask[0] = True
    with pytest.raises(ValueError, match="mask selects no pixel of image 1"):
        palette_assignment(images, mask, EQUAL_LUMA_COLOURS)
