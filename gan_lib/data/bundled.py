"""Images shipped inside installed wheels: the book's offline image data sets.

* :func:`digits_images`: scikit-learn's handwritten digits.
* :func:`lfw_faces`: scikit-image's 100 small faces of Labeled Faces in the Wild.
* :func:`textures`: scikit-image's brick, grass and gravel photographs.

``sklearn.datasets.load_digits`` ships with scikit-learn, so it needs no download: 1,797
handwritten digits of 8 x 8 pixels with values 0..16, about 180 per class (the UCI
"optical recognition of handwritten digits" test set). The book upsamples them to 16,
32 or 64 pixels so that the same convolutional networks run on them as on MNIST.

``skimage.data`` fetches most of its images with ``pooch`` on first use; the ones read
here are among the few files inside the scikit-image wheel, so they need no network.
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


LFW_FACES = 100  # lfw_subset holds 100 faces, then 100 non-face background crops
TEXTURE_NAMES = ("brick", "grass", "gravel")


def lfw_faces() -> Tensor:
    """The 100 faces of scikit-image's ``lfw_subset``: ``(100, 1, 25, 25)`` float32 in
    [-1, 1], grey.

    Faces drawn at random from Labeled Faces in the Wild (Huang et al., 2007) and
    cropped to 25 x 25 pixels by scikit-image (Huang et al., 2012); the 100 non-face
    crops that follow them in ``lfw_subset`` are left out.
    """
    from skimage.data import lfw_subset  # a .npy file inside the wheel: offline

    faces = torch.from_numpy(lfw_subset()[:LFW_FACES]).float()  # (100, 25, 25), [0, 1]
    return (faces * 2 - 1)[:, None]  # (100, 1, 25, 25)


def textures() -> dict[str, Tensor]:
    """scikit-image's bundled grey textures, :data:`TEXTURE_NAMES` -> ``(1, 512, 512)``
    float32 in [-1, 1] (for figures of stochastic detail: crop or resize them)."""
    import skimage.data  # the .png files inside the wheel: offline

    pixels = {name: getattr(skimage.data, name)() for name in TEXTURE_NAMES}  # uint8
    return {
        name: torch.from_numpy(grey).float()[None] / 127.5 - 1  # 0..255 -> [-1, 1]
        for name, grey in pixels.items()
    }

