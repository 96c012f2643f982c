r"""Low- and high-resolution pairs for super-resolution, with the high-resolution
truth kept, so every output is scored against it (Chapter 15).

* :func:`downsample`: the degradation, bicubic with antialiasing, by an integer
  factor; :func:`upsample_bicubic`: the baseline every model must beat.
* :func:`shape_pairs`: the generated shapes of :mod:`gan_lib.data.generated` (sharp
  edges on a flat background) and their downsampled copies.
* :func:`patch_pairs`: grey patches of the photographs and textures that ship
  *inside* scikit-image's wheel (:data:`SKIMAGE_IMAGES`; no download), with the
  split built in: training patches come from the **left half** of every image,
  test patches from the **right half**, so no test pixel was ever seen in training.

The degradation. SRGAN makes its low-resolution inputs by bicubic downsampling with
factor 4 (Ledig et al., 2017, Sec. 3.2); ESRGAN uses MATLAB's ``imresize``, also
bicubic and antialiased. Plain bicubic *sampling* at a quarter of the rate would
alias (the cubic kernel spans 4 input pixels, not 16); with ``antialias=True``
PyTorch stretches the kernel by the factor, so it low-passes before it decimates,
as ``imresize`` does. Values are clamped to [-1, 1] (the cubic kernel overshoots at
edges).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lib.data.generated import shapes
from gan_lib.errors import UnknownNameError, check_int_at_least

Split = Literal["train", "test"]
TEXTURES = ("brick", "grass", "gravel")  # grey 512 x 512, skimage/data/*.png
PHOTOGRAPHS = ("camera", "coins", "moon", "astronaut", "coffee", "chelsea")
SKIMAGE_IMAGES = TEXTURES + PHOTOGRAPHS  # every one a file inside the wheel
MIN_PATCH_STD = 0.04  # in [-1, 1] units: 2% of the range (see patch_pairs)
PATCH_DRAWS = 20  # positions drawn per patch kept, at most


class SRPairs(NamedTuple):
    """Paired images: ``lr (N, C, h, w)`` and ``hr (N, C, h s, w s)`` in [-1, 1],
    and ``source (N,)`` int64 (the shape class, or the index into the image
    names). ``(pairs.lr, pairs.hr)`` is the training loop's paired data."""

    lr: Tensor
    hr: Tensor
    source: Tensor


def _check_factor(x: Tensor, factor: int) -> None:
    check_int_at_least("factor", factor, 2)
    if x.dim() != 4 or not x.is_floating_point():
        raise ValueError(
            f"images must be a float tensor (N, C, H, W); got {x.dtype} of shape "
            f"{tuple(x.shape)}"
        )


def downsample(x_hr: Tensor, factor: int) -> Tensor:
    """``(N, C, H, W) -> (N, C, H/factor, W/factor)``: antialiased bicubic
    (:func:`torch.nn.functional.interpolate`, ``antialias=True``), clamped to
    [-1, 1]. ``H`` and ``W`` must be multiples of ``factor``."""
    _check_factor(x_hr, factor)
    height, width = x_hr.shape[-2:]
    if height % factor or width % factor:
        raise ValueError(
            f"image sides must be multiples of factor={factor}; got {height} x {width}"
        )
    x_lr = F.interpolate(
        x_hr, size=(height // factor, width // factor), mode="bicubic",
        align_corners=False, antialias=True,
    )
    return x_lr.clamp(-1, 1)


def upsample_bicubic(x_lr: Tensor, factor: int) -> Tensor:
    """The baseline: bicubic upsampling by ``factor`` (no antialiasing is needed to
    upsample), clamped to [-1, 1]. ``(N, C, h, w) -> (N, C, h factor, w factor)``."""
    _check_factor(x_lr, factor)
    up = F.interpolate(x_lr, scale_factor=factor, mode="bicubic", align_corners=False)
    return up.clamp(-1, 1)


def shape_pairs(
    n: int = 2000, resolution: int = 32, factor: int = 4, seed: int = 0
) -> SRPairs:
    """``n`` generated RGB shapes at ``resolution`` (the truth) and their
    :func:`downsample` by ``factor``; ``source`` is the shape class."""
    hr, labels, _ = shapes(n, resolution, seed=seed)
    return SRPairs(downsample(hr, factor), hr, labels)


def skimage_image(name: str) -> Tensor:
    """One image of :data:`SKIMAGE_IMAGES` as grey ``(1, H, W)`` float32 in [-1, 1].

    Colour photographs become grey with scikit-image's ``rgb2gray`` (luminance,
    Rec. 709 weights 0.2125, 0.7154, 0.0721)."""
    import skimage.color
    import skimage.data  # files inside the wheel: offline

    if name not in SKIMAGE_IMAGES:
        raise UnknownNameError("bundled scikit-image image", name, SKIMAGE_IMAGES)
    pixels = getattr(skimage.data, name)()
    grey = skimage.color.rgb2gray(pixels) if pixels.ndim == 3 else pixels / 255.0
    return torch.from_numpy(np.asarray(grey, dtype=np.float32))[None] * 2 - 1


def split_columns(width: int, split: Split) -> tuple[int, int]:
    """The columns ``[start, stop)`` of ``split``: the left half for ``"train"``,
    the right half for ``"test"`` (``width // 2`` is the boundary)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    half = width // 2
    return (0, half) if split == "train" else (half, width)


def patch_pairs(
    split: Split,
    per_image: int = 64,
    patch: int = 32,
    factor: int = 4,
    seed: int = 0,
    names: tuple[str, ...] = SKIMAGE_IMAGES,
    min_std: float = MIN_PATCH_STD,
) -> SRPairs:
    """Grey patch pairs from the bundled images, ``per_image`` from each.

    Each patch ``(1, patch, patch)`` lies wholly inside the ``split``'s half of its
    image (:func:`split_columns`), at a position drawn uniformly by a generator
    seeded with ``seed`` (and the split, so train and test draws differ); the LR
    patch is its :func:`downsample`. ``source`` indexes ``names``.

    Patches whose pixel standard deviation is below ``min_std`` are skipped (the
    next drawn position is used): on a flat patch (saturated sky, the black around
    the moon) bicubic upsampling is exact to rounding, its PSNR near-infinite, and a
    per-patch PSNR difference there says nothing about super-resolution.
    """
    check_int_at_least("per_image", per_image, 1)
    check_int_at_least("patch", patch, 2)
    if patch % factor:
        raise ValueError(f"patch must be a multiple of factor={factor}; got {patch}")
    generator = torch.Generator().manual_seed(2 * seed + (split == "test"))
    crops, sources = [], []
    for index, name in enumerate(names):
        image = skimage_image(name)  # (1, H, W)
        height, width = image.shape[-2:]
        start, stop = split_columns(width, split)
        if stop - start < patch or height < patch:
            raise ValueError(f"{name}'s {split} half is smaller than patch={patch}")
        kept = 0
        for _ in range(PATCH_DRAWS * per_image):
            t = int(torch.randint(height - patch + 1, (), generator=generator))
            l = start + int(torch.randint(stop - start - patch + 1, (),
                                          generator=generator))
            crop = image[:, t : t + patch, l : l + patch]  # (1, patch, patch)
            if crop.std() >= min_std:
                crops.append(crop)
                kept += 1
                if kept == per_image:
                    break
        if kept < per_image:
            raise ValueError(
                f"{name}'s {split} half gave {kept} of {per_image} patches with "
                f"std >= min_std={min_std} in {PATCH_DRAWS * per_image} draws"
            )
        sources += [index] * per_image
    hr = torch.stack(crops)  # (N, 1, patch, patch)
    return SRPairs(downsample(hr, factor), hr, torch.tensor(sources))
