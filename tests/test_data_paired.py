"""The paired sets of Chapter 13: equal luma exactly, the three-modal ground truth,
the Latin square's median and mean, and the edge maps of the digits."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch

from gan_lib.data.generated import shapes
from gan_lib.data.paired import (
    EQUAL_LUMA_COLOURS,
    LUMA,
    LUMA_FRACTIONS,
    LUMA_WEIGHTS,
    MIDDLE,
    PALETTE_FRACTIONS,
    edges_to_digits,
    grey_to_colour_shapes,
    luma,
    sobel_edges,
)


def test_the_palette_has_equal_luma_exactly():
    assert LUMA_FRACTIONS == (Fraction(299, 1000), Fraction(587, 1000),
                              Fraction(114, 1000))  # Rec. 601
    assert LUMA_WEIGHTS == (0.299, 0.587, 0.114)
    lumas = {sum(w * c for w, c in zip(LUMA_FRACTIONS, colour))
             for colour in PALETTE_FRACTIONS}
    assert lumas == {LUMA} == {Fraction(21, 50)}
    # and the float palette to double rounding
    y = EQUAL_LUMA_COLOURS.double() @ torch.tensor(LUMA_WEIGHTS, dtype=torch.float64)
    torch.testing.assert_close(y, torch.full((3,), 0.42, dtype=torch.float64),
                               atol=1e-7, rtol=0)


def test_the_palette_is_a_latin_square_whose_median_is_grey():
    for channel in range(3):
        values = sorted(colour[channel] for colour in PALETTE_FRACTIONS)
        assert values[1] == MIDDLE  # the middle value of every channel is m
        assert values[0] < values[1] < values[2]  # distinct: a unique median
        assert all(0 <= v <= 1 for v in values)
    # three distinct hues (not greys): every colour has a channel at 0 or max 1
    sat = [(max(c) - min(c)) / max(c) for c in PALETTE_FRACTIONS]
    assert [float(s) for s in sat] == pytest.approx([1.0, 1.0, 1 - 932 / 2935])


def test_the_grey_input_is_the_targets_luma_and_ignores_the_colour():
    data = grey_to_colour_shapes(64, resolution=16, seed=3)
    assert data.grey.shape == (64, 1, 16, 16) and data.colour.shape == (64, 3, 16, 16)
    assert data.colour.min() >= -1 and data.colour.max() <= 1
    torch.testing.assert_close(luma((data.colour + 1) / 2) * 2 - 1, data.grey,
                               atol=1e-6, rtol=0)
    # repaint every shape in each colour: the grey input stays bitwise the same
    coverage = data.coverage
    for k in range(3):
        colour = EQUAL_LUMA_COLOURS[k][None, :, None, None]
        repainted = (0.5 + coverage * (colour - 0.5)) * 2 - 1
        torch.testing.assert_close(luma((repainted + 1) / 2) * 2 - 1, data.grey,
                                   atol=1e-6, rtol=0)
    inside = coverage[:, 0] == 1
    for i in range(64):
        pixels = data.colour[i].permute(1, 2, 0)[inside[i]]  # (P, 3)
        expected = EQUAL_LUMA_COLOURS[data.colour_index[i]] * 2 - 1
        torch.testing.assert_close(pixels, expected.expand_as(pixels))


def test_colour_is_uniform_and_independent_of_the_shape():
    data = grey_to_colour_shapes(6000, resolution=8, seed=0)
    counts = torch.bincount(data.colour_index * 3 + data.shape, minlength=9).double()
    expected = torch.full((9,), 6000 / 9, dtype=torch.float64)
    chi2 = ((counts - expected) ** 2 / expected).sum().item()
    assert chi2 < 26.1  # chi-square, 8 degrees of freedom, p = 0.001


def test_seeded_and_the_geometry_matches_the_shapes_set():
    a = grey_to_colour_shapes(10, resolution=16, seed=5)
    b = grey_to_colour_shapes(10, resolution=16, seed=5)
    c = grey_to_colour_shapes(10, resolution=16, seed=6)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a.grey, c.grey)
    # the same draws as gan_lib.data.generated.shapes for shape, size and position
    images, labels, _ = shapes(10, resolution=16, seed=5)
    assert torch.equal(labels, a.shape)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n must be an int >= 1; got 0"):
        grey_to_colour_shapes(0)
    with pytest.raises(ValueError, match="size_range must satisfy"):
        grey_to_colour_shapes(4, size_range=(0.3, 0.6))
    with pytest.raises(ValueError, match=r"rgb must have shape \(N, 3, H, W\); got"):
        luma(torch.zeros(2, 1, 4, 4))
    with pytest.raises(ValueError, match=r"images must have shape \(N, 1, H, W\)"):
        sobel_edges(torch.zeros(2, 3, 4, 4))


def test_sobel_edges_of_a_step_by_hand():
    # a vertical step from 0 to 1 (in [0, 1]): the Sobel x-derivative (scaled 1/8) is
    # 1/2 on the two columns beside the step and 0 elsewhere
    u = torch.zeros(1, 1, 6, 6)
    u[..., 3:] = 1.0
    edges = sobel_edges(u * 2 - 1, threshold=0.4)
    expected = torch.full((1, 1, 6, 6), -1.0)
    expected[..., 2:4] = 1.0
    assert torch.equal(edges, expected)
    assert torch.equal(sobel_edges(u * 2 - 1, threshold=0.5), torch.full_like(u, -1))


def test_edges_to_digits():
    data = edges_to_digits(resolution=16)
    assert data.edges.shape == data.digits.shape == (1797, 1, 16, 16)
    assert set(data.edges.unique().tolist()) == {-1.0, 1.0}
    assert data.labels.shape == (1797,) and set(data.labels.tolist()) == set(range(10))
    fraction = (data.edges > 0).float().mean().item()
    assert 0.05 < fraction < 0.6  # outlines, neither empty nor filled
