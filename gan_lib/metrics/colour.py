r"""Colourfulness of translated images, measured on pixels we know to be foreground.

Chapter 13 asks whether a translation network paints a grey shape in a colour at
all, and in which. Three numbers answer it, each computed on the pixels of a mask
(the shape's interior, known from the data's ground truth), images in [-1, 1]:

* :func:`mean_saturation`: the mean HSV saturation :math:`S = (\max_c u_c -
  \min_c u_c) / \max_c u_c` of the masked pixels (:math:`S = 0` for a grey or black
  pixel, 1 for a colour with a zero channel), :math:`u = (x + 1) / 2 \in [0, 1]`.
  Scaling a colour (an antialiased edge) leaves :math:`S` unchanged.
* :func:`colour_entropy`: the Shannon entropy, in bits, of the histogram of the
  masked pixels over ``bins`` equal hue sectors plus one bin for the pixels whose
  saturation is below ``min_saturation`` ("grey", whose hue is noise). An all-grey
  output has entropy 0; three colours in equal amounts :math:`\log_2 3 \approx 1.585`.
* :func:`palette_assignment`: per image, the nearest colour of a palette (Euclidean,
  RGB in [0, 1]) to the mean colour of its masked pixels, and the distance to it:
  which of the known colours an image was painted in, and how far from it.

Statistics are accumulated in float64.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from gan_lib.data.attributes import rgb_to_hue


def _check(images: Tensor, mask: Tensor) -> None:
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(
            f"images must be RGB of shape (N, 3, H, W); got {tuple(images.shape)}"
        )
    expected = (images.shape[0], 1, *images.shape[2:])
    if tuple(mask.shape) != expected or mask.dtype != torch.bool:
        raise ValueError(
            f"mask must be bool of shape {expected}; got {mask.dtype} "
            f"{tuple(mask.shape)}"
        )
    if not mask.any():
        raise ValueError("mask selects no pixel; a colour statistic needs at least one")


def _masked_pixels(images: Tensor, mask: Tensor) -> Tensor:
    """The masked pixels as ``(P, 3)`` float64 RGB in [0, 1]."""
    u = (images.double() + 1) / 2  # (N, 3, H, W) in [0, 1]
    return u.permute(0, 2, 3, 1)[mask[:, 0]]  # (P, 3)


def saturation(rgb: Tensor) -> Tensor:
    """HSV saturation of ``(..., 3)`` RGB in [0, 1]: ``(...)``, 0 where max is 0."""
    high = rgb.max(dim=-1).values
    low = rgb.min(dim=-1).values
    return torch.where(high > 0, (high - low) / high.clamp_min(1e-12), 0.0)


def mean_saturation(images: Tensor, mask: Tensor) -> float:
    """Mean HSV saturation of the masked pixels of ``images (N, 3, H, W)`` in
    [-1, 1]; ``mask (N, 1, H, W)`` bool."""
    _check(images, mask)
    return saturation(_masked_pixels(images, mask)).mean().item()


def colour_histogram(
    images: Tensor, mask: Tensor, bins: int = 6, min_saturation: float = 0.25
) -> Tensor:
    """Fractions of the masked pixels in each of ``bins`` hue sectors (sector ``k``:
    hue in ``[k / bins, (k + 1) / bins)``, red at 0), then the grey bin (saturation
    below ``min_saturation``): ``(bins + 1,)`` float64 summing to 1."""
    _check(images, mask)
    if bins < 1:
        raise ValueError(f"bins must be a positive int; got {bins!r}")
    rgb = _masked_pixels(images, mask)  # (P, 3)
    grey = saturation(rgb) < min_saturation  # (P,)
    hue = rgb_to_hue(rgb[~grey])  # defined: saturation > 0
    sector = (hue * bins).floor().long().clamp(0, bins - 1)
    counts = torch.bincount(sector, minlength=bins).double()
    counts = torch.cat([counts, grey.sum().double()[None]])  # (bins + 1,)
    return counts / counts.sum()


def entropy_bits(p: Tensor) -> float:
    """Shannon entropy :math:`-\\sum_k p_k \\log_2 p_k` of a histogram (0 log 0 = 0)."""
    p = p[p > 0].double()
    return (p * torch.log2(1 / p)).sum().item()  # >= 0, no -0.0 for one bin


def palette_entropy(index: Tensor, k: int) -> float:
    """Entropy in bits of the frequencies of ``index (N,)`` over ``k`` palette
    colours: ``log2(k)`` when every colour is used equally, 0 for one colour."""
    return entropy_bits(torch.bincount(index, minlength=k).double() / index.numel())


def colour_entropy(
    images: Tensor, mask: Tensor, bins: int = 6, min_saturation: float = 0.25
) -> float:
    """Entropy in bits of :func:`colour_histogram`; at most ``log2(bins + 1)``."""
    return entropy_bits(colour_histogram(images, mask, bins, min_saturation))


class PaletteAssignment(NamedTuple):
    """index: ``(N,)`` int64, the nearest palette colour of each image's mean masked
    colour; distance: ``(N,)`` float64, how far (RGB in [0, 1]); mean_colour:
    ``(N, 3)`` float64."""

    index: Tensor
    distance: Tensor
    mean_colour: Tensor


def palette_assignment(
    images: Tensor, mask: Tensor, palette: Tensor
) -> PaletteAssignment:
    """Which colour of ``palette (K, 3)`` (RGB in [0, 1]) each image was painted in:
    the nearest to the mean colour of its masked pixels. Every image needs at least
    one masked pixel."""
    _check(images, mask)
    if palette.dim() != 2 or palette.shape[1] != 3:
        raise ValueError(f"palette must have shape (K, 3); got {tuple(palette.shape)}")
    counts = mask.sum(dim=(1, 2, 3))  # (N,)
    if (counts == 0).any():
        empty = int((counts == 0).nonzero()[0])
        raise ValueError(f"mask selects no pixel of image {empty}")
    u = (images.double() + 1) / 2
    sums = (u * mask).sum(dim=(2, 3))  # (N, 3)
    mean_colour = sums / counts[:, None].double()
    distances = torch.cdist(mean_colour, palette.double())  # (N, K)
    distance, index = distances.min(dim=1)
    return PaletteAssignment(index, distance, mean_colour)


MAX_ENTROPY_THREE = math.log2(3)  # three colours in equal amounts
