"""gan_lib.data: shapes with known continuous factors, and the factors read back from
the pixels (generated.shapes_with_factors, attributes)."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib.data import attributes, generated
from gan_lib.data.attributes import measure_attributes, r_squared
from gan_lib.data.generated import (
    LARGE_SHAPES_ON_THE_LEFT,
    REACH_PER_SIZE,
    FactorBox,
    shapes_with_factors,
)


def test_factors_lie_in_their_ranges_and_every_shape_fits():
    images, factors = shapes_with_factors(600, 16, seed=0)
    assert images.shape == (600, 3, 16, 16) and images.dtype == torch.float32
    assert images.min() >= -1 and images.max() <= 1
    assert set(factors) == set(generated.FACTOR_NAMES)
    assert set(factors["shape"].tolist()) == {0, 1, 2}
    assert factors["hue"].min() >= 0 and factors["hue"].max() < 1
    assert factors["size"].min() >= 0.12 and factors["size"].max() < 0.3
    margin = REACH_PER_SIZE * 0.3
    for axis in ("x", "y"):
        assert factors[axis].min() >= margin and factors[axis].max() <= 1 - margin
    assert factors["background"].min() >= 0 and factors["background"].max() <= 1
    # no shape reaches a corner: the corner pixels are the background's grey
    corners = (images[..., [0, 0, -1, -1], [0, -1, 0, -1]] + 1) / 2  # (n, 3, 4)
    grey = factors["background"][:, None, None]
    assert torch.allclose(corners, grey.expand_as(corners), atol=1e-6)
    # without a forbidden region position is independent of size: the factors fill a box
    assert abs(torch.corrcoef(torch.stack([factors["x"], factors["size"]]))[0, 1]) < 0.1


def test_size_is_the_square_root_of_the_area():
    """A shape clipped by the border would lose area: this also checks the margin."""
    images, factors = shapes_with_factors(300, 32, seed=1)
    # the shape's colour differs from the grey in its most different channel by
    # `contrast`; coverage of each pixel = that channel's deviation / contrast
    pixels = (images + 1) / 2
    colour = generated.hue_to_rgb(factors["hue"])
    grey = factors["background"][:, None]
    channel = (colour - grey).abs().argmax(dim=1)
    contrast = (colour - grey).abs().amax(dim=1)
    deviation = (pixels[torch.arange(300), channel] - grey[:, :, None]).abs()
    area = deviation.sum(dim=(1, 2)) / contrast / 32**2
    # each edge is drawn to within one supersample (1/4 pixel) of where it should be
    sampling_error = 1 / (generated.SUPERSAMPLING * 32)
    assert torch.allclose(area.sqrt(), factors["size"], rtol=0, atol=sampling_error)


def test_factors_are_seeded():
    a, fa = shapes_with_factors(40, 16, seed=5)
    b, fb = shapes_with_factors(40, 16, seed=5)
    c, _ = shapes_with_factors(40, 16, seed=6)
    assert torch.equal(a, b) and all(torch.equal(fa[k], fb[k]) for k in fa)
    assert not torch.equal(a, c)


def test_hue_round_trip():
    hue = torch.linspace(0, 1, 97)[:-1]
    back = attributes.rgb_to_hue(generated.hue_to_rgb(hue))
    assert torch.allclose(back, hue, atol=1e-6)
    primaries = torch.eye(3)  # red, green, blue
    assert attributes.rgb_to_hue(primaries).tolist() == pytest.approx([0, 1 / 3, 2 / 3])
    assert attributes.rgb_to_hue(torch.full((1, 3), 0.4)).isnan().all()  # grey


def test_forbidden_region_is_empty_and_the_rest_keeps_its_shape():
    _, free = shapes_with_factors(2000, 8, seed=2)
    inside = LARGE_SHAPES_ON_THE_LEFT(free)
    assert abs(inside.float().mean() - 0.25) < 0.04  # a quarter of the box
    _, held = shapes_with_factors(2000, 8, seed=2, forbidden=LARGE_SHAPES_ON_THE_LEFT)
    assert not LARGE_SHAPES_ON_THE_LEFT(held).any()
    # rejection sampling: the left half keeps only its small shapes, 1/4 of the
    # remaining 3/4 of the box, so 1/3 of the samples lie on the left
    left = (held["x"] < 0.5).float().mean()
    assert abs(left - 1 / 3) < 0.04
    assert held["size"][held["x"] < 0.5].max() < 0.21


def thin_hues(factors: dict[str, torch.Tensor]) -> torch.Tensor:
    """A forbidden region as a plain function: no reddish shapes."""
    return factors["hue"] < 0.1


def hue_itself(factors: dict[str, torch.Tensor]) -> torch.Tensor:
    """Not a region: returns floats."""
    return factors["hue"]


def test_forbidden_may_be_any_function_of_the_factors():
    _, factors = shapes_with_factors(500, 8, seed=3, forbidden=thin_hues)
    assert factors["hue"].min() >= 0.1
    everything = FactorBox(size=(0.0, 1.0))
    with pytest.raises(ValueError, match="covers \\(nearly\\) all of factor space"):
        shapes_with_factors(10, 8, forbidden=everything)
    with pytest.raises(ValueError, match="forbidden must return an \\(10,\\) bool"):
        shapes_with_factors(10, 8, forbidden=hue_itself)
    with pytest.raises(ValueError, match="size_range"):
        shapes_with_factors(10, 8, size_range=(0.1, 0.6))


def test_measurement_of_a_drawn_square_is_exact():
    # a pure red 8 x 8 square on grey 0.5, pixels 4..11 by 20..27 of a 32 image
    pixels = torch.full((1, 3, 32, 32), 0.5)
    pixels[0, :, 4:12, 20:28] = torch.tensor([1.0, 0.0, 0.0])[:, None, None]
    measured = measure_attributes(pixels * 2 - 1)
    assert measured["size"].item() == pytest.approx(8 / 32)
    assert measured["x"].item() == pytest.approx(24 / 32)
    assert measured["y"].item() == pytest.approx(8 / 32)
    assert measured["hue"].item() == pytest.approx(0.0)
    assert measured["background"].item() == pytest.approx(0.5)
    flat = measure_attributes(torch.zeros(1, 3, 16, 16))
    assert flat["size"].item() == 0 and flat["x"].isnan().all()


def test_r_squared_values():
    true = torch.tensor([0.1, 0.2, 0.3, 0.4])
    assert r_squared(true, true) == 1
    assert r_squared(torch.full((4,), 0.25), true) == pytest.approx(0)
    assert r_squared(true + 0.05, true) == pytest.approx(1 - 4 * 0.05**2 / 0.05)
    # on the circle 0.99 is 0.02 away from 0.01, not 0.98
    hue, near = torch.tensor([0.01, 0.5]), torch.tensor([0.99, 0.5])
    spread = 2 * 0.245**2  # sum of squares about the mean hue 0.255
    assert r_squared(near, hue, circular=True) == pytest.approx(1 - 0.02**2 / spread)


# floors of measurement_r_squared at 32 px (n = 1,000 and 2,000, 15 seeds): size
# 0.978 - 0.981 (the half-maximum count errs by about 0.2 px of side), x 0.999,
# y 0.998; hue and background are exact (1.0 up to round-off)
R2_FLOORS_32PX = {
    "size": 0.97, "x": 0.995, "y": 0.995, "hue": 0.999, "background": 0.999
}  # fmt: skip


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_measured_attributes_reach_their_floors_on_real_images(seed):
    scores = attributes.measurement_r_squared(32, n=1000, seed=seed)
    assert set(scores) == set(R2_FLOORS_32PX)
    for name, floor in R2_FLOORS_32PX.items():
        assert scores[name] >= floor, (name, scores[name])


def test_a_broken_measurement_loses_its_r_squared():
    images, factors = shapes_with_factors(1000, 32, seed=4)
    shuffled = images[torch.randperm(1000, generator=torch.Generator().manual_seed(0))]
    measured = measure_attributes(shuffled)
    for name in ("size", "x", "y", "background"):
        # unrelated but alike: the errors have twice the variance, R2 about -1
        assert -1.3 < r_squared(measured[name], factors[name]) < -0.7, name
    hue = r_squared(measured["hue"], factors["hue"], circular=True)
    assert abs(hue) < 0.15  # on the circle an unrelated guess scores about 0


def test_hue_survives_antialiasing_and_any_background():
    images, factors = shapes_with_factors(200, 16, seed=8, size_range=(0.12, 0.13))
    measured = measure_attributes(images)
    gap = torch.remainder(measured["hue"] - factors["hue"] + 0.5, 1) - 0.5
    assert gap.abs().max() < 1e-4
    score = r_squared(measured["hue"], factors["hue"], circular=True)
    assert math.isclose(score, 1, abs_tol=1e-6)
