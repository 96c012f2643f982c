"""Image data sets generated on the spot, with every factor of variation known.

* :func:`shapes`: coloured circles, squares and triangles on black, drawn with
  antialiasing at any resolution; the class, colour, size and position of every image
  are returned, so a generator's samples can be checked attribute by attribute.
* :func:`stacked_digits`: three digits stacked in the red, green and blue channels, so
  ``10**3 = 1000`` modes. This is the Stacked-MNIST protocol of Metz et al. (2017,
  "Unrolled GANs", Sec. 3.3), VEEGAN (Srivastava et al., 2017, Sec. 5.2) and PacGAN
  (Lin et al., 2018, Sec. 5) transposed to scikit-learn's bundled digits: a generator
  that drops modes visibly covers fewer of the 1,000 channel-label triples.

Both are deterministic functions of their ``seed``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lib.data.bundled import digits_images
from gan_lib.errors import check_int_at_least

SHAPE_NAMES = ("circle", "square", "triangle")
SUPERSAMPLING = 4  # shapes are drawn at 4x the resolution, then average-pooled


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
    check_int_at_least("n", n, 1)
    check_int_at_least("resolution", resolution, 8)
    low, high = size_range
    if not 0 < low <= high < 0.5:
        raise ValueError(
            f"size_range must satisfy 0 < low <= high < 0.5; got {size_range}"
        )
    gen = torch.Generator().manual_seed(seed)
    label = torch.randint(len(SHAPE_NAMES), (n,), generator=gen)
    colour = 0.25 + 0.75 * torch.rand(n, 3, generator=gen)
    size = low + (high - low) * torch.rand(n, generator=gen)
    x = size + (1 - 2 * size) * torch.rand(n, generator=gen)
    y = size + (1 - 2 * size) * torch.rand(n, generator=gen)

    fine = resolution * SUPERSAMPLING
    grid = (torch.arange(fine, dtype=torch.float32) + 0.5) / fine  # pixel centres
    v, u = torch.meshgrid(grid, grid, indexing="ij")  # (fine, fine): rows v, columns u
    chunks = []
    for start in range(0, n, 256):  # bounded memory: 256 x (4R)^2 masks at a time
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
        coverage = F.avg_pool2d(mask[:, None].float(), SUPERSAMPLING)  # (b, 1, R, R)
        chunks.append(coverage * colour[sl, :, None, None])  # (b, 3, R, R) in [0, 1]
    images = torch.cat(chunks) * 2 - 1
    attributes = {"shape": label, "colour": colour, "size": size, "x": x, "y": y}
    return images, label, attributes


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
