"""The factors of a shape image read back from its pixels alone.

:func:`gan_lib.data.generated.shapes_with_factors` draws images from known factors;
:func:`measure_attributes` estimates the continuous ones from any image of that kind, a
real one or a generator's, with nothing but the pixels. The rule, in [0, 1] units:

1. **background** ``b``: the median of all the image's values (every channel). A shape
   covers at most ``size**2 < 28 %`` of the image (9 % by default), so the median is a
   background pixel.
2. **deviation** of a pixel: ``d = max_c |x_c - b|``, the channel that differs most. A
   pixel the shape covers a fraction ``c`` of is ``b + c (colour - b)``, so ``d`` is
   ``c`` times the shape's contrast (at least 0.5 for a saturated colour on grey).
3. **foreground**: the pixels with ``d >= max(d) / 2`` (and ``d > 0``), the "half
   maximum" rule: an edge pixel counts when the shape covers at least half of it, so
   the edge pixels counted and missed balance and the count estimates the area.
4. **size** ``= sqrt(foreground pixels) / R`` (the square root of the area, as a
   fraction of the side); **x**, **y**: the mean centre of the foreground pixels
   (the centroid; ``y`` downwards); **hue**: the hue of the mean foreground colour.
   Hue is unchanged by mixing a colour with grey, so antialiased edges do not bias it.

An image without foreground (flat) measures size 0 and NaN position and hue; a grey
foreground measures NaN hue.

:func:`measurement_r_squared` calibrates the rule on a fresh real set: the R² of each
measured attribute against the true factor. Real images reach it, so it is the floor of
measurement noise for judging generated images: compare a generator's R² (on factors
it was asked for) with it, not with 1.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gan_lib.data.generated import shapes_with_factors
from gan_lib.data.images import check_images

MEASURED_NAMES = ("hue", "size", "x", "y", "background")
CIRCULAR = ("hue",)  # factors on a circle: residuals go the shorter way round


def rgb_to_hue(rgb: Tensor) -> Tensor:
    """The HSV hue of ``(n, 3)`` RGB colours: ``(n,)`` in [0, 1) (red 0, green 1/3,
    blue 2/3); NaN for greys, which have none. Inverse of
    :func:`gan_lib.data.generated.hue_to_rgb` on saturated colours."""
    red, green, blue = rgb.unbind(dim=-1)
    high, channel = rgb.max(dim=-1)
    chroma = high - rgb.min(dim=-1).values
    # position on the hue hexagon, in sixths of the circle, by the largest channel
    from_red = (green - blue) / chroma  # between magenta (-1) and yellow (1)
    from_green = (blue - red) / chroma + 2  # between yellow (1) and cyan (3)
    from_blue = (red - green) / chroma + 4  # between cyan (3) and magenta (5)
    sector = torch.where(
        channel == 0, from_red, torch.where(channel == 1, from_green, from_blue)
    )
    hue = torch.remainder(sector / 6, 1.0)
    return torch.where(chroma > 0, hue, torch.nan)


def measure_attributes(images: Tensor) -> dict[str, Tensor]:
    """Estimate hue, size, position and background of ``(N, 3, R, R)`` shape images in
    [-1, 1] by the rule in the module docstring.

    Returns:
        :data:`MEASURED_NAMES` -> ``(N,)`` float32, in the units of the factors of
        :func:`~gan_lib.data.generated.shapes_with_factors` (fractions of the image
        side, hue and grey level in [0, 1]).
    """
    check_images(images)
    if images.shape[1] != 3:
        raise ValueError(f"expected RGB images (N, 3, R, R); got {tuple(images.shape)}")
    n, _, height, width = images.shape
    pixels = (images.float() + 1) / 2  # (N, 3, H, W) in [0, 1]
    background = pixels.flatten(1).median(dim=1).values  # (N,)
    deviation = (pixels - background[:, None, None, None]).abs().amax(dim=1)  # (N,H,W)
    peak = deviation.flatten(1).amax(dim=1)[:, None, None]  # (N, 1, 1)
    foreground = ((deviation >= peak / 2) & (deviation > 0)).float()  # (N, H, W)
    count = foreground.sum(dim=(1, 2))  # (N,)
    rows = (torch.arange(height, dtype=torch.float32) + 0.5) / height  # pixel centres
    columns = (torch.arange(width, dtype=torch.float32) + 0.5) / width
    x = (foreground * columns).sum(dim=(1, 2)) / count  # NaN when count == 0
    y = (foreground * rows[:, None]).sum(dim=(1, 2)) / count
    mean_colour = (pixels * foreground[:, None]).sum(dim=(2, 3)) / count[:, None]
    return {
        "hue": rgb_to_hue(mean_colour),
        "size": (count / (height * width)).sqrt(),
        "x": x,
        "y": y,
        "background": background,
    }


def r_squared(measured: Tensor, true: Tensor, circular: bool = False) -> float:
    """The coefficient of determination of ``measured`` as a prediction of ``true``:

    .. math:: R^2 = 1 - \\frac{\\sum_i (m_i - t_i)^2}{\\sum_i (t_i - \\bar t)^2},

    with no fitted rescaling (``sklearn.metrics.r2_score(true, measured)``), so a
    measurement off by a constant or a factor loses R². 1 is exact; a measurement
    unrelated to ``true`` but distributed like it scores about -1 (its errors have
    twice the variance). With ``circular`` (values on [0, 1) with 0 = 1, as hue) a
    residual goes the shorter way round the circle, in [-1/2, 1/2); a measurement
    unrelated to a uniform hue then scores about 0.
    """
    if measured.shape != true.shape or true.ndim != 1:
        raise ValueError(
            f"expected two (n,) tensors; got {tuple(measured.shape)} and "
            f"{tuple(true.shape)}"
        )
    measured, true = measured.double(), true.double()
    residual = measured - true
    if circular:
        residual = torch.remainder(residual + 0.5, 1.0) - 0.5
    spread = ((true - true.mean()) ** 2).sum()
    return float(1 - (residual**2).sum() / spread)


def measurement_r_squared(
    resolution: int = 32, n: int = 2000, seed: int = 2019
) -> dict[str, float]:
    """R² of each measured attribute against the true factor on ``n`` fresh real
    images of :func:`~gan_lib.data.generated.shapes_with_factors` (seed ``seed``):
    :data:`MEASURED_NAMES` -> R², the floor of measurement noise (module docstring)."""
    images, factors = shapes_with_factors(n, resolution, seed)
    measured = measure_attributes(images)
    return {
        name: r_squared(measured[name], factors[name], circular=name in CIRCULAR)
        for name in MEASURED_NAMES
    }
