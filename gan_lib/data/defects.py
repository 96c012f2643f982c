"""Synthetic local defects with pixel-level ground truth, for anomaly detection
(Chapter 16): normal images are generated shapes; an anomalous one is the same image
with a small defect painted in, and the defect's mask says which pixels are wrong.

Two kinds of defect, each drawn at a uniform random place inside the image:

* ``"blob"``: a filled disc of radius ``radius`` (a fraction of the side) in a colour
  drawn uniformly from the RGB cube: a stain or a missing piece;
* ``"scratch"``: a straight segment of half-length ``length`` and half-width
  ``width`` at a uniform angle, in a uniform colour: a crack.

Painting is an alpha blend with the defect's antialiased coverage, so pixels outside
the footprint are left bit for bit unchanged, and the mask is the set of pixels the
defect covers by at least half.
"""

from __future__ import annotations

import math
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lib.data.generated import SUPERSAMPLING
from gan_lib.data.images import check_images

DefectKind = Literal["blob", "scratch"]


def defect_coverage(
    kind: DefectKind, n: int, resolution: int, generator: torch.Generator,
    radius: float = 0.08, length: float = 0.2, width: float = 0.03,
) -> Tensor:
    """``(n, 1, R, R)`` antialiased coverage in [0, 1] of ``n`` random defects."""
    if kind not in get_args(DefectKind):
        raise ValueError(f"kind must be one of {get_args(DefectKind)}; got {kind!r}")
    for name, value in (("radius", radius), ("length", length), ("width", width)):
        if not 0 < value < 0.5:
            raise ValueError(f"{name} must be in (0, 0.5); got {value!r}")
    reach = radius if kind == "blob" else length
    cx = reach + (1 - 2 * reach) * torch.rand(n, generator=generator)
    cy = reach + (1 - 2 * reach) * torch.rand(n, generator=generator)
    angle = math.pi * torch.rand(n, generator=generator)
    fine = resolution * SUPERSAMPLING
    grid = (torch.arange(fine, dtype=torch.float32) + 0.5) / fine
    v, u = torch.meshgrid(grid, grid, indexing="ij")  # rows v, columns u
    du = u - cx[:, None, None]  # (n, fine, fine)
    dv = v - cy[:, None, None]
    if kind == "blob":
        inside = du**2 + dv**2 <= radius**2
    else:
        along = du * angle.cos()[:, None, None] + dv * angle.sin()[:, None, None]
        across = -du * angle.sin()[:, None, None] + dv * angle.cos()[:, None, None]
        inside = (along.abs() <= length) & (across.abs() <= width)
    return F.avg_pool2d(inside[:, None].float(), SUPERSAMPLING)


def add_defects(
    images: Tensor, kind: DefectKind, generator: torch.Generator, **shape: float
) -> tuple[Tensor, Tensor]:
    """Paint one random defect of ``kind`` into every image.

    Args:
        images: ``(N, C, R, R)`` in [-1, 1].
        kind: ``"blob"`` or ``"scratch"``; ``shape``: ``radius``, ``length``,
            ``width`` of :func:`defect_coverage`.

    Returns:
        The defective images (a new tensor) and the masks ``(N, 1, R, R)`` bool.
    """
    check_images(images)
    n, channels, height, width = images.shape
    if height != width:
        raise ValueError(f"images must be square; got {height} x {width}")
    alpha = defect_coverage(kind, n, height, generator, **shape)  # (N, 1, R, R)
    colour = torch.rand(n, channels, 1, 1, generator=generator) * 2 - 1
    painted = torch.where(alpha > 0, images * (1 - alpha) + colour * alpha, images)
    return painted, alpha >= 0.5
