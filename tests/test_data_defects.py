"""Synthetic defects (gan_lib/data/defects.py): pixel-level ground truth that holds."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib.data.defects import add_defects, defect_coverage
from gan_lib.data.generated import shapes


@pytest.mark.parametrize("kind", ["blob", "scratch"])
def test_pixels_outside_the_footprint_are_unchanged_bitwise(kind: str):
    images, _, _ = shapes(40, resolution=32, seed=0)
    g = torch.Generator().manual_seed(1)
    painted, mask = add_defects(images, kind, g)
    g = torch.Generator().manual_seed(1)
    alpha = defect_coverage(kind, 40, 32, g)
    outside = (alpha == 0).expand_as(images)
    assert torch.equal(painted[outside], images[outside])
    assert mask.dtype == torch.bool and mask.shape == (40, 1, 32, 32)
    assert painted.min() >= -1 and painted.max() <= 1
    # inside the mask the pixels take (mostly) the defect's colour: they do change
    changed = (painted - images).abs().amax(dim=1, keepdim=True) > 0
    assert (changed & mask).sum() > 0.9 * mask.sum()


def test_blob_area_matches_its_radius():
    alpha = defect_coverage("blob", 200, 64, torch.Generator().manual_seed(2),
                            radius=0.1)
    area = alpha.sum(dim=(1, 2, 3)) / 64**2
    torch.testing.assert_close(area, torch.full_like(area, math.pi * 0.01), rtol=0.03,
                               atol=0)


def test_scratch_area_matches_its_rectangle():
    alpha = defect_coverage("scratch", 200, 64, torch.Generator().manual_seed(3),
                            length=0.2, width=0.03)
    area = alpha.sum(dim=(1, 2, 3)) / 64**2
    torch.testing.assert_close(area, torch.full_like(area, 4 * 0.2 * 0.03), rtol=0.08,
                               atol=0)


def test_defects_stay_inside_the_image():
    alpha = defect_coverage("blob", 500, 32, torch.Generator().manual_seed(4),
                            radius=0.1)
    area = alpha.sum(dim=(1, 2, 3)) / 32**2
    assert area.min() > 0.9 * math.pi * 0.01  # never clipped by the border


def test_bad_inputs_are_refused():
    images, _, _ = shapes(2, resolution=16, seed=0)
    g = torch.Generator()
    with pytest.raises(ValueError, match="kind must be one of"):
        add_defects(images, "hole", g)
    with pytest.raises(ValueError, match=r"radius must be in \(0, 0.5\)"):
        add_defects(images, "blob", g, radius=0.6)
    with pytest.raises(ValueError, match="must be square"):
        add_defects(images[..., :8], "blob", g)
    with pytest.raises(ValueError, match=r"scaled to \[-1, 1\]"):
        add_defects(images * 3, "blob", g)
