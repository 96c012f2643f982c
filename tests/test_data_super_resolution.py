"""Low/high-resolution pairs: the degradation, the bundled images, and the split
(train on the left half of every image, test on the right half)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import skimage
import torch
import torch.nn.functional as F

from gan_lib.data.super_resolution import (
    MIN_PATCH_STD,
    SKIMAGE_IMAGES,
    downsample,
    patch_pairs,
    shape_pairs,
    skimage_image,
    split_columns,
    upsample_bicubic,
)


def test_downsample_keeps_constants_and_low_passes_fine_stripes():
    flat = torch.full((1, 1, 32, 32), 0.3)
    assert torch.allclose(downsample(flat, 4), torch.full((1, 1, 8, 8), 0.3))
    n = torch.arange(32, dtype=torch.float32)
    # 10/32 cycles per pixel: above the LR Nyquist frequency of 1/8
    stripes = torch.cos(2 * math.pi * 10 / 32 * n).expand(1, 1, 32, 32).contiguous()
    antialiased = downsample(stripes, 4)
    aliased = F.interpolate(stripes, size=(8, 8), mode="bicubic", align_corners=False)
    assert antialiased.abs().max() < 0.1  # the stretched kernel filters them out
    assert aliased.abs().max() > 0.8  # plain sampling folds them into a slow wave


def test_downsample_and_upsample_shapes_ranges_and_errors():
    x = torch.rand(2, 3, 16, 24) * 2 - 1
    lr = downsample(x, 4)
    assert lr.shape == (2, 3, 4, 6) and lr.abs().max() <= 1
    up = upsample_bicubic(lr, 4)
    assert up.shape == x.shape and up.abs().max() <= 1
    with pytest.raises(ValueError, match="multiples of factor=4; got 16 x 22"):
        downsample(x[..., :22], 4)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\); got .* \(3, 16, 24\)"):
        downsample(x[0], 4)
    with pytest.raises(ValueError, match="factor must be an int >= 2"):
        upsample_bicubic(lr, 1)


def test_every_bundled_image_is_a_file_inside_the_wheel_and_loads():
    folder = Path(skimage.__file__).parent / "data"
    shipped = {p.stem for p in folder.iterdir()}
    for name in SKIMAGE_IMAGES:
        image = skimage_image(name)
        assert image.dim() == 3 and image.shape[0] == 1 and image.shape[1] >= 300
        assert -1 <= image.min() < image.max() <= 1
    assert {"brick", "grass", "gravel", "camera", "coins", "moon", "astronaut",
            "coffee", "chelsea"} <= shipped
    with pytest.raises(KeyError, match="unknown bundled scikit-image image 'lena'"):
        skimage_image("lena")


def _locate(image: torch.Tensor, patch: torch.Tensor) -> tuple[int, int]:
    """Where ``patch (1, p, p)`` sits in ``image (1, H, W)``: the position of the
    least sum of squared differences (all patches at once would be too big)."""
    img, pat = image[None], patch[None]
    ssd = (F.conv2d(img**2, torch.ones_like(pat)) - 2 * F.conv2d(img, pat))[0, 0]
    flat = int(ssd.argmin())
    return flat // ssd.shape[1], flat % ssd.shape[1]


@pytest.mark.parametrize("split", ["train", "test"])
def test_patches_come_from_their_half_of_the_image(split):
    pairs = patch_pairs(split, per_image=3, names=("camera", "brick"), seed=3)
    assert pairs.hr.shape == (6, 1, 32, 32) and pairs.lr.shape == (6, 1, 8, 8)
    assert pairs.source.tolist() == [0] * 3 + [1] * 3
    torch.testing.assert_close(pairs.lr, downsample(pairs.hr, 4))
    for k, name in enumerate(("camera", "brick")):
        image = skimage_image(name)
        start, stop = split_columns(image.shape[-1], split)
        for patch in pairs.hr[pairs.source == k]:
            top, left = _locate(image, patch)
            assert torch.equal(image[:, top : top + 32, left : left + 32], patch)
            assert start <= left and left + 32 <= stop
    assert (pairs.hr.flatten(1).std(dim=1) >= MIN_PATCH_STD).all()


def test_the_split_is_disjoint_and_the_draws_are_seeded():
    assert split_columns(512, "train") == (0, 256)
    assert split_columns(451, "test") == (225, 451)
    with pytest.raises(ValueError, match="'train' or 'test'; got 'val'"):
        split_columns(512, "val")
    a = patch_pairs("train", per_image=4, names=("grass",), seed=0)
    b = patch_pairs("train", per_image=4, names=("grass",), seed=0)
    c = patch_pairs("test", per_image=4, names=("grass",), seed=0)
    assert torch.equal(a.hr, b.hr) and not torch.equal(a.hr, c.hr)
    with pytest.raises(ValueError, match="patch must be a multiple of factor=4"):
        patch_pairs("train", patch=30)


def test_flat_patches_are_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="patches with std >= min_std=5.0"):
        patch_pairs("train", per_image=2, names=("moon",), min_std=5.0)


def test_shape_pairs_hold_the_truth_and_its_downsampling():
    pairs = shape_pairs(20, 32, 4, seed=1)
    assert pairs.hr.shape == (20, 3, 32, 32) and pairs.lr.shape == (20, 3, 8, 8)
    torch.testing.assert_close(pairs.lr, downsample(pairs.hr, 4))
    assert set(pairs.source.tolist()) <= {0, 1, 2}
