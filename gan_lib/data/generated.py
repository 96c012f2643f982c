"""Image data sets generated on the spot, with every factor of variation known.

* :func:`shapes`: coloured circles, squares and triangles on black, drawn with
  antialiasing at any resolution; the class, colour, size and position of every image
  are returned, so a generator's samples can be checked attribute by attribute.
* :func:`shapes_with_factors`: the same shapes with *continuous, independent* factors
  (shape, hue, size, position of the centroid, background grey level), optionally with
  a :class:`FactorBox` of factor space left empty (StyleGAN's W-versus-Z experiment);
  :mod:`gan_lib.data.attributes` reads the factors back from the pixels.
* :func:`stacked_digits`: three digits stacked in the red, green and blue channels, so
  ``10**3 = 1000`` modes. This is the Stacked-MNIST protocol of Metz et al. (2017,
  "Unrolled GANs", Sec. 3.3), VEEGAN (Srivastava et al., 2017, Sec. 5.2) and PacGAN
  (Lin et al., 2018, Sec. 5) transposed to scikit-learn's bundled digits: a generator
  that drops modes visibly covers fewer of the 1,000 channel-label triples.

All are deterministic functions of their ``seed``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lib.data.bundled import digits_images
from gan_lib.errors import check_int_at_least

SHAPE_NAMES = ("circle", "square", "triangle")
SUPERSAMPLING = 4  # shapes are drawn at 4x the resolution, then average-pooled


def check_shape_arguments(
    n: int, resolution: int, size_range: tuple[float, float]
) -> tuple[float, float]:
    """Check the arguments every shapes set shares; return ``size_range``'s ends."""
    check_int_at_least("n", n, 1)
    check_int_at_least("resolution", resolution, 8)
    low, high = size_range
    if not 0 < low <= high < 0.5:
        raise ValueError(
            f"size_range must satisfy 0 < low <= high < 0.5; got {size_range}"
        )
    return low, high


def shapes(
    n: int = 2000,
    resolution: int = 32,
    seed: int = 0,
    size_range: tuple[float, float] = (0.15, 0.3),
) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    """``n`` RGB images of one shape each, in [-1, 1], with labels and attributes.

    Each image holds one filled shape on a black background. Drawn independently per
    image: the class (uniform over :data:`SHAPE_NAMES`), the colour (each RGB channel
    uniform in [0.25, 1]), the size ``s`` (half the side of the square, the radius of
    the circle, half the base and the height over two of the triangle, as a fraction of
    the image side, uniform in ``size_range``), and the centre ``(x, y)`` (uniform over
    the positions that keep the shape inside the image; ``y`` grows downwards).

    Returns:
        images ``(n, 3, R, R)`` float32 in [-1, 1]; labels ``(n,)`` int64 (0 circle,
        1 square, 2 triangle); attributes ``{"shape": (n,), "colour": (n, 3),
        "size": (n,), "x": (n,), "y": (n,)}`` with colours in [0, 1] and lengths as
        fractions of the image side.
    """
    low, high = check_shape_arguments(n, resolution, size_range)
    gen = torch.Generator().manual_seed(seed)
    label = torch.randint(len(SHAPE_NAMES), (n,), generator=gen)
    colour = 0.25 + 0.75 * torch.rand(n, 3, generator=gen)
    size = low + (high - low) * torch.rand(n, generator=gen)
    x = size + (1 - 2 * size) * torch.rand(n, generator=gen)
    y = size + (1 - 2 * size) * torch.rand(n, generator=gen)

    coverage = shape_coverage(label, size, x, y, resolution)  # (n, 1, R, R)
    images = (coverage * colour[:, :, None, None]) * 2 - 1  # (n, 3, R, R)
    attributes = {"shape": label, "colour": colour, "size": size, "x": x, "y": y}
    return images, label, attributes


def shape_coverage(
    label: Tensor, size: Tensor, x: Tensor, y: Tensor, resolution: int
) -> Tensor:
    """The fraction of each pixel a shape covers: ``(n, 1, R, R)`` in [0, 1].

    Shape ``label`` (0 circle, 1 square, 2 triangle) of half-extent ``size`` (the
    radius, half the side, or half the base and half the height of an isosceles
    triangle pointing up) centred on ``(x, y)`` (the centre of its bounding box, ``y``
    downwards), all as fractions of the image side. Each pixel is sampled at
    ``SUPERSAMPLING**2`` points, so edges are antialiased.
    """
    fine = resolution * SUPERSAMPLING
    grid = (torch.arange(fine, dtype=torch.float32) + 0.5) / fine  # pixel centres
    v, u = torch.meshgrid(grid, grid, indexing="ij")  # (fine, fine): rows v, columns u
    chunks = []
    for start in range(0, len(label), 256):  # bounded memory: 256 x (4R)^2 masks
        sl = slice(start, start + 256)
        du = u - x[sl, None, None]  # (b, fine, fine)
        dv = v - y[sl, None, None]
        s = size[sl, None, None]
        circle = du**2 + dv**2 <= s**2
        square = (du.abs() <= s) & (dv.abs() <= s)
        # apex at (x, y - s), base from (x - s, y + s) to (x + s, y + s)
        triangle = (dv <= s) & (2 * du.abs() <= dv + s)
        lab = label[sl, None, None]
        mask = torch.where(lab == 0, circle, torch.where(lab == 1, square, triangle))
        chunks.append(F.avg_pool2d(mask[:, None].float(), SUPERSAMPLING))  # (b,1,R,R)
    return torch.cat(chunks)


# --- shapes with known, continuous factors --------------------------------------------

FACTOR_NAMES = ("shape", "hue", "size", "x", "y", "background")
# a shape's area is AREA_PER_HALF_EXTENT * half_extent**2 (circle pi, square 4, tri 2)
AREA_PER_HALF_EXTENT = (math.pi, 4.0, 2.0)
# the farthest any point of a shape lies from its centroid, in units of its size: the
# apex of the triangle, 4/3 of its half-height s = size / sqrt(2) above the centroid
REACH_PER_SIZE = 4 / (3 * math.sqrt(2))
MAX_RESAMPLING_ROUNDS = 100

ForbiddenRegion = Callable[[dict[str, Tensor]], Tensor]  # factors -> (n,) bool


@dataclass(frozen=True)
class FactorBox:
    """An axis-aligned box of factor space, usable as the ``forbidden`` region of
    :func:`shapes_with_factors`: a sample lies in it when every bounded factor lies in
    its half-open interval ``[low, high)``; a factor left ``None`` is unbounded."""

    hue: tuple[float, float] | None = None
    size: tuple[float, float] | None = None
    x: tuple[float, float] | None = None
    y: tuple[float, float] | None = None
    background: tuple[float, float] | None = None

    def __call__(self, factors: dict[str, Tensor]) -> Tensor:
        """``factors`` (name -> ``(n,)``) -> ``(n,)`` bool: inside the box."""
        inside = torch.ones_like(factors["size"], dtype=torch.bool)
        for bound in fields(self):
            interval = getattr(self, bound.name)
            if interval is not None:
                low, high = interval
                value = factors[bound.name]
                inside &= (value >= low) & (value < high)
        return inside


# Karras et al. (2019, Fig. 6) in (size, x): no shape larger than the median size
# (of the default size range) has its centroid in the left half: a quarter of the box
LARGE_SHAPES_ON_THE_LEFT = FactorBox(size=(0.21, 1.0), x=(0.0, 0.5))


def hue_to_rgb(hue: Tensor) -> Tensor:
    """Fully saturated, full-value colours: ``(n,)`` hues in [0, 1) -> ``(n, 3)`` RGB in
    [0, 1] (HSV with S = V = 1: red 0, green 1/3, blue 2/3, back to red at 1)."""
    offsets = torch.tensor([0.0, 4.0, 2.0])  # R, G, B on the hue hexagon
    sector = torch.remainder(6 * hue[:, None] + offsets, 6)  # (n, 3) in [0, 6)
    return ((sector - 3).abs() - 1).clamp(0, 1)


def _draw_factors(
    n: int,
    gen: torch.Generator,
    size_range: tuple[float, float],
    background_range: tuple[float, float],
) -> dict[str, Tensor]:
    """``n`` independent draws of every factor; see :func:`shapes_with_factors`."""
    size_low, size_high = size_range
    margin = REACH_PER_SIZE * size_high  # the largest shape still fits at the border
    back_low, back_high = background_range
    return {
        "shape": torch.randint(len(SHAPE_NAMES), (n,), generator=gen),
        "hue": torch.rand(n, generator=gen),
        "size": size_low + (size_high - size_low) * torch.rand(n, generator=gen),
        "x": margin + (1 - 2 * margin) * torch.rand(n, generator=gen),
        "y": margin + (1 - 2 * margin) * torch.rand(n, generator=gen),
        "background": back_low + (back_high - back_low) * torch.rand(n, generator=gen),
    }


def _redraw_inside(
    factors: dict[str, Tensor],
    forbidden: ForbiddenRegion,
    gen: torch.Generator,
    size_range: tuple[float, float],
    background_range: tuple[float, float],
) -> None:
    """Draw again, in place, every sample of ``factors`` that lies in ``forbidden``,
    until none does (rejection sampling from the factor box minus the region)."""
    n = len(factors["size"])
    for _ in range(MAX_RESAMPLING_ROUNDS):
        inside = forbidden(factors)
        if inside.shape != (n,) or inside.dtype != torch.bool:
            raise ValueError(
                f"forbidden must return an ({n},) bool tensor; got {inside.dtype} "
                f"of shape {tuple(inside.shape)}"
            )
        if not inside.any():
            return
        redrawn = _draw_factors(int(inside.sum()), gen, size_range, background_range)
        for name, value in redrawn.items():
            factors[name][inside] = value
    raise ValueError(
        f"after {MAX_RESAMPLING_ROUNDS} rounds of resampling some samples still lie "
        "in the forbidden region: it covers (nearly) all of factor space"
    )


def shapes_with_factors(
    n: int = 2000,
    resolution: int = 32,
    seed: int = 0,
    forbidden: ForbiddenRegion | None = None,
    size_range: tuple[float, float] = (0.12, 0.3),
    background_range: tuple[float, float] = (0.0, 1.0),
) -> tuple[Tensor, dict[str, Tensor]]:
    """``n`` RGB images of one shape each, drawn from known, independent factors.

    The factors of each image, drawn independently and uniformly:

    * ``shape``: 0 circle, 1 square, 2 triangle (:data:`SHAPE_NAMES`);
    * ``hue`` in [0, 1): the shape is the fully saturated colour of that hue
      (:func:`hue_to_rgb`), so it differs from any grey by at least 0.5 in some channel;
    * ``size`` in ``size_range``: the square root of the shape's area, as a fraction of
      the image side (so a circle and a square of one size cover the same pixels);
    * ``x``, ``y``: the shape's centroid (``y`` grows downwards), each in
      ``[m, 1 - m]`` with ``m = REACH_PER_SIZE * size_range[1]``, which keeps the
      largest shape inside the image. Position does not depend on size or shape, so
      without ``forbidden`` the continuous factors fill a box;
    * ``background`` in ``background_range``: the grey level of the background.

    Pixels are ``background + coverage * (colour - background)`` with the antialiased
    coverage of :func:`shape_coverage`, then scaled to [-1, 1].

    ``forbidden`` is a region of factor space (a :class:`FactorBox`, such as
    :data:`LARGE_SHAPES_ON_THE_LEFT`, or any function of the factor dict returning an
    ``(n,)`` bool tensor) that no sample falls in: samples drawn inside it are drawn
    again. This is the experiment of Karras et al. (2019, Sec. 4 and Fig. 6): the
    training distribution's factors then fill a box with a hole, not a box, so a
    generator fed a Gaussian ``z`` must warp ``Z`` around the hole, whereas a learned
    intermediate ``W`` is free to stay flat (linear in the factors).

    Returns:
        images ``(n, 3, R, R)`` float32 in [-1, 1]; factors, :data:`FACTOR_NAMES` ->
        ``(n,)`` tensors (``shape`` int64, the others float32).
    """
    check_int_at_least("n", n, 1)
    check_int_at_least("resolution", resolution, 8)
    size_low, size_high = size_range
    if not 0 < size_low <= size_high < 1 / (2 * REACH_PER_SIZE):
        raise ValueError(
            "size_range must satisfy 0 < low <= high < "
            f"{1 / (2 * REACH_PER_SIZE):.3f} (the largest shape fits); got {size_range}"
        )
    back_low, back_high = background_range
    if not 0 <= back_low <= back_high <= 1:
        raise ValueError(
            f"background_range must satisfy 0 <= low <= high <= 1; got "
            f"{background_range}"
        )
    gen = torch.Generator().manual_seed(seed)
    factors = _draw_factors(n, gen, size_range, background_range)
    if forbidden is not None:
        _redraw_inside(factors, forbidden, gen, size_range, background_range)

    shape = factors["shape"]
    area_factor = torch.tensor(AREA_PER_HALF_EXTENT)[shape]  # (n,)
    half_extent = factors["size"] / area_factor.sqrt()  # area = size**2
    # the triangle's centroid lies a third of its half-height below its box's centre
    box_y = factors["y"] - torch.where(shape == 2, half_extent / 3, 0.0)
    coverage = shape_coverage(shape, half_extent, factors["x"], box_y, resolution)
    colour = hue_to_rgb(factors["hue"])[:, :, None, None]  # (n, 3, 1, 1)
    grey = factors["background"][:, None, None, None]  # (n, 1, 1, 1)
    images = grey + coverage * (colour - grey)  # (n, 3, R, R) in [0, 1]
    return images * 2 - 1, factors


def stacked_digits(
    n: int = 10_000, resolution: int = 16, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """``n`` images whose red, green and blue channels are three random digits.

    Each channel is an independent uniformly chosen image of scikit-learn's digits
    (upsampled bilinearly to ``resolution``), so the class of an image is the triple
    ``(d_R, d_G, d_B)``, encoded as ``100 d_R + 10 d_G + d_B``: 1,000 classes, each
    expected ``n / 1000`` times.

    Returns:
        images ``(n, 3, R, R)`` float32 in [-1, 1]; labels ``(n,)`` int64 in [0, 1000).
    """
    check_int_at_least("n", n, 1)
    digits, digit_labels = digits_images(resolution)  # (1797, 1, R, R), (1797,)
    gen = torch.Generator().manual_seed(seed)
    index = torch.randint(len(digits), (n, 3), generator=gen)  # one digit per channel
    images = digits[index].squeeze(2)  # (n, 3, R, R)
    return images, encode_stacked_digits(digit_labels[index])


def encode_stacked_digits(digits: Tensor) -> Tensor:
    """The class of stacked digits ``(d_R, d_G, d_B)``: ``(n, 3) -> (n,)`` as
    ``100 d_R + 10 d_G + d_B`` (works on NumPy arrays too)."""
    if digits.ndim != 2 or digits.shape[1] != 3:
        raise ValueError(f"expected (n, 3) digits; got shape {tuple(digits.shape)}")
    return 100 * digits[:, 0] + 10 * digits[:, 1] + digits[:, 2]


def stacked_digit_triples(labels: Tensor) -> Tensor:
    """Inverse of the label code of :func:`stacked_digits`: ``(n,) -> (n, 3)`` digits."""
    if labels.dtype != torch.int64 or labels.dim() != 1:
        raise ValueError(
            f"labels must be a 1-D int64 tensor; got {labels.dtype} {tuple(labels.shape)}"
        )
    if labels.numel() and (labels.min() < 0 or labels.max() >= 1000):
        raise ValueError("stacked-digit labels must lie in [0, 1000)")
    return torch.stack([labels // 100, labels // 10 % 10, labels % 10], dim=1)


def expected_modes_in_sample(n: int, modes: int = 1000) -> float:
    """Modes a sample of ``n`` uniform draws over ``modes`` classes hits on average:
    ``K (1 - (1 - 1/K)^n)``, the ceiling a perfect generator reaches with ``n`` samples."""
    return modes * (1 - math.pow(1 - 1 / modes, n))
