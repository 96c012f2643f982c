"""scikit-learn's bundled digits: the book's offline image data set.

``sklearn.datasets.load_digits`` ships with scikit-learn, so it needs no download: 1,797
handwritten digits of 8 x 8 pixels with values 0..16, about 180 per class (the UCI
"optical recognition of handwritten digits" test set). The book upsamples them to 16,
32 or 64 pixels so that the same convolutional networks run on them as on MNIST.
"""

from __future__ import annotations

from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lib.errors import check_int_at_least

DIGITS_NATIVE_RESOLUTION = 8
UpsampleMode = Literal["nearest", "bilinear"]  # of torch.nn.functional.interpolate


def digits_images(
    resolution: int, mode: UpsampleMode = "bilinear"
) -> tuple[Tensor, Tensor]:
    """scikit-learn's digits as ``(1797, 1, R, R)`` float32 in [-1, 1], and labels.

    ``mode`` is the upsampling of :func:`torch.nn.functional.interpolate`
    (``"nearest"`` or ``"bilinear"``); values 0..16 map linearly to [-1, 1].
    """
    from sklearn.datasets import load_digits  # bundled with scikit-learn: offline

    check_int_at_least("resolution", resolution, DIGITS_NATIVE_RESOLUTION)
    if mode not in get_args(UpsampleMode):
        raise ValueError(f"mode must be 'nearest' or 'bilinear'; got {mode!r}")
    digits = load_digits()
    x = torch.from_numpy(digits.images).float()[:, None] / 16 * 2 - 1  # (N, 1, 8, 8)
    if resolution != DIGITS_NATIVE_RESOLUTION:
        align = False if mode == "bilinear" else None
        x = F.interpolate(
            x, size=(resolution, resolution), mode=mode, align_corners=align
        )
    return x.clamp(-1, 1), torch.from_numpy(digits.target).long()
