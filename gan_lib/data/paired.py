r"""Paired image sets with a known ground truth, for paired translation (pix2pix).

* :func:`grey_to_colour_shapes`: a grey shape -> the same shape in one of three
  colours of **equal luma**. The grey input is the luma of the colour target, so it
  is the same image whatever the colour: it carries no information about it, and the
  law of the target given the input is exactly three-modal (each colour with
  probability 1/3). The colour index is returned as the ground truth.
* :func:`edges_to_digits`: a digit's edge map (a thresholded Sobel magnitude) -> the
  digit, with its label, so a translation can be scored by a digit classifier (our
  offline stand-in for the FCN score of Isola et al., 2017, Section 4.1).

**Luma.** :data:`LUMA_WEIGHTS` are the Rec. 601 weights,
:math:`Y = 0.299 R + 0.587 G + 0.114 B` (ITU-R Recommendation BT.601, the equation
of the luminance signal :math:`E'_Y`; also the weights of Pillow's ``convert("L")``).

**The palette.** :data:`EQUAL_LUMA_COLOURS` is a Latin square around a middle value
:math:`m = 2/5`: each channel takes one high, one middle and one low value over the
three colours,

.. math::

    c_1 = (r_1, m, 0), \quad c_2 = (0, g_2, m), \quad c_3 = (m, g_3, 1),

with :math:`r_1, g_2, g_3` solved so that every colour has the luma :math:`Y = 21/50`
(an orange, a teal and a light blue). Two consequences the chapter uses: the
channel-wise **median** of the three colours is the grey :math:`(m, m, m)` (the L1
regression of the target on the input is grey), and their **mean** is a dull colour
of low saturation (the L2 regression). The exact rational values are
:data:`PALETTE_FRACTIONS`; tests/test_data_paired.py checks the equal luma exactly.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lib.data.bundled import digits_images
from gan_lib.data.generated import SHAPE_NAMES, check_shape_arguments, shape_coverage

# ITU-R Rec. BT.601, luminance signal: E'_Y = 0.299 E'_R + 0.587 E'_G + 0.114 E'_B
LUMA_FRACTIONS = (Fraction(299, 1000), Fraction(587, 1000), Fraction(114, 1000))
LUMA_WEIGHTS = tuple(float(w) for w in LUMA_FRACTIONS)

MIDDLE = Fraction(2, 5)  # m: every channel's median over the palette
LUMA = Fraction(21, 50)  # Y: the luma all three colours share


def _palette() -> tuple[tuple[Fraction, Fraction, Fraction], ...]:
    """Solve the Latin square of the module docstring for luma :data:`LUMA`."""
    wr, wg, wb = LUMA_FRACTIONS
    m, y = MIDDLE, LUMA
    orange = ((y - wg * m) / wr, m, Fraction(0))  # r_1 from wr r_1 + wg m = Y
    teal = (Fraction(0), (y - wb * m) / wg, m)  # g_2 from wg g_2 + wb m = Y
    blue = (m, (y - wr * m - wb) / wg, Fraction(1))  # g_3 from wr m + wg g_3 + wb = Y
    return orange, teal, blue


PALETTE_FRACTIONS = _palette()
COLOUR_NAMES = ("orange", "teal", "blue")
EQUAL_LUMA_COLOURS = torch.tensor(
    [[float(c) for c in colour] for colour in PALETTE_FRACTIONS]
)  # (3, 3) RGB in [0, 1], one row per colour


def luma(rgb: Tensor) -> Tensor:
    """Rec. 601 luma of RGB images in [0, 1]: ``(N, 3, H, W) -> (N, 1, H, W)``."""
    if rgb.dim() != 4 or rgb.shape[1] != 3:
        raise ValueError(f"rgb must have shape (N, 3, H, W); got {tuple(rgb.shape)}")
    weights = torch.tensor(LUMA_WEIGHTS, dtype=rgb.dtype, device=rgb.device)
    return (rgb * weights[:, None, None]).sum(dim=1, keepdim=True)


class ColourShapes(NamedTuple):
    """A paired grey -> colour set (images in [-1, 1]).

    grey: ``(n, 1, R, R)``, the source; colour: ``(n, 3, R, R)``, the target;
    colour_index: ``(n,)`` int64 into :data:`EQUAL_LUMA_COLOURS`, the ground truth;
    coverage: ``(n, 1, R, R)`` in [0, 1], the fraction of each pixel the shape
    covers; shape: ``(n,)`` int64 into :data:`~gan_lib.data.generated.SHAPE_NAMES`.
    """

    grey: Tensor
    colour: Tensor
    colour_index: Tensor
    coverage: Tensor
    shape: Tensor


def grey_to_colour_shapes(
    n: int = 2000,
    resolution: int = 32,
    seed: int = 0,
    size_range: tuple[float, float] = (0.15, 0.3),
    background: float = 0.5,
) -> ColourShapes:
    """``n`` pairs (grey shape, the same shape in one of three equal-luma colours).

    Drawn independently per pair with a ``torch.Generator`` seeded by ``seed``: the
    shape (uniform over circle, square, triangle), its size and centre (as in
    :func:`gan_lib.data.generated.shapes`), and the colour index, uniform over the
    three colours and **independent of everything else**. The target is
    ``coverage * colour`` on black, the source ``coverage * Y`` (the target's luma,
    :data:`LUMA`); both are mapped from [0, 1] to [-1, 1].
    """
    low, high = check_shape_arguments(n, resolution, size_range)
    gen = torch.Generator().manual_seed(seed)
    shape = torch.randint(len(SHAPE_NAMES), (n,), generator=gen)
    size = low + (high - low) * torch.rand(n, generator=gen)
    x = size + (1 - 2 * size) * torch.rand(n, generator=gen)
    y = size + (1 - 2 * size) * torch.rand(n, generator=gen)
    colour_index = torch.randint(len(COLOUR_NAMES), (n,), generator=gen)
    coverage = shape_coverage(shape, size, x, y, resolution)  # (n, 1, R, R)
    colour = EQUAL_LUMA_COLOURS[colour_index][:, :, None, None]  # (n, 3, 1, 1)
    target = background + coverage * (colour - background)  # (n, 3, R, R) in [0, 1]
    source = background + coverage * (float(LUMA) - background)  # (n, 1, R, R)
    target, source = target * 2 - 1, source * 2 - 1  # to [-1, 1]
    return ColourShapes(source, target, colour_index, coverage, shape)


# --- edges -> digits ----------------------------------------------------------------

SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8
# on [0, 1] images, in intensity per pixel: at 32 x 32 it outlines every stroke of the
# (4x upsampled, soft-edged) digits without filling them (0.05 fills 56 % of the
# pixels, 0.1 marks 36 %, 0.2 only 3 %)
EDGE_THRESHOLD = 0.1


def sobel_edges(images: Tensor, threshold: float = EDGE_THRESHOLD) -> Tensor:
    r"""Binary edge maps: ``(N, 1, H, W)`` in [-1, 1] -> ``(N, 1, H, W)`` in {-1, 1}.

    On the image in [0, 1], the Sobel derivatives
    :math:`g_x = S * u,\ g_y = S^\top * u` with :math:`S` = :data:`SOBEL_X` (scaled by
    1/8, so a unit step per pixel gives 1/2 at its edge; replicate padding), and an
    edge wherever :math:`\sqrt{g_x^2 + g_y^2} > ` ``threshold`` (1, else -1).
    """
    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(
            f"images must have shape (N, 1, H, W); got {tuple(images.shape)}"
        )
    u = (images + 1) / 2  # [0, 1]
    kernels = torch.stack([SOBEL_X, SOBEL_X.T])[:, None].to(u)  # (2, 1, 3, 3)
    grad = F.conv2d(F.pad(u, (1, 1, 1, 1), mode="replicate"), kernels)  # (N, 2, H, W)
    magnitude = grad.pow(2).sum(dim=1, keepdim=True).sqrt()  # (N, 1, H, W)
    return torch.where(magnitude > threshold, 1.0, -1.0)


class EdgeDigits(NamedTuple):
    """A paired edges -> digits set: edges ``(N, 1, R, R)`` in {-1, 1}, digits
    ``(N, 1, R, R)`` in [-1, 1], labels ``(N,)`` int64."""

    edges: Tensor
    digits: Tensor
    labels: Tensor


def edges_to_digits(
    resolution: int = 32, threshold: float = EDGE_THRESHOLD
) -> EdgeDigits:
    """scikit-learn's 1,797 digits (bilinear upsampling, as
    :func:`gan_lib.data.bundled.digits_images`) with their Sobel edge maps."""
    digits, labels = digits_images(resolution)
    return EdgeDigits(sobel_edges(digits, threshold), digits, labels)
