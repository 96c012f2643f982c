"""Captioned shapes (gan_lib/data/captions.py): captions true of their images."""

from __future__ import annotations

import pytest
import torch

from gan_lib.data import captions
from gan_lib.errors import UnknownNameError


def test_caption_and_tokens_agree():
    images, tokens, labels = captions.captioned_shapes(50, resolution=16, seed=0)
    assert images.shape == (50, 3, 16, 16) and tokens.shape == (50, 8)
    assert images.min() >= -1 and images.max() <= 1
    texts = [captions.caption(labels, i) for i in range(50)]
    assert torch.equal(captions.tokenize(texts), tokens)
    assert captions.caption({k: torch.tensor([0]) for k in captions.ATTRIBUTES}, 0) == (
        "a small red circle at the top left"
    )


def test_images_show_what_the_captions_say():
    images, _, labels = captions.captioned_shapes(300, resolution=32, seed=1)
    unit = (images + 1) / 2
    coverage = unit.amax(dim=1)  # (N, R, R): the shape is brighter than black
    R = 32
    grid = (torch.arange(R) + 0.5) / R
    mass = coverage.sum(dim=(1, 2))
    cx = (coverage.sum(dim=1) * grid).sum(1) / mass
    cy = (coverage.sum(dim=2) * grid).sum(1) / mass
    assert torch.equal((cx > 0.5).long(), labels["horizontal"])
    assert torch.equal((cy > 0.5).long(), labels["vertical"])
    # colour: the mean colour of the brightest pixels is nearest the named colour
    rgb = torch.tensor(list(captions.COLOURS.values()))
    inside = coverage > 0.85  # every colour has a channel >= 0.9
    mean = (unit * inside[:, None]).sum((2, 3)) / inside.sum((1, 2))[:, None]
    assert torch.equal(torch.cdist(mean, rgb).argmin(1), labels["colour"])
    # size: within each shape, the area separates small from large
    for shape in range(3):
        of_shape = labels["shape"] == shape
        small = mass[of_shape & (labels["size"] == 0)]
        large = mass[of_shape & (labels["size"] == 1)]
        assert small.max() < large.min()


def test_held_out_combinations_never_appear_and_only_selects_them():
    held = [("circle", "red"), ("square", "blue")]
    _, _, labels = captions.captioned_shapes(2000, seed=2, exclude=held)
    pairs = set(zip(labels["shape"].tolist(), labels["colour"].tolist()))
    assert (0, 0) not in pairs and (1, 2) not in pairs
    assert len(pairs) == 3 * 6 - 2
    _, _, test = captions.captioned_shapes(200, seed=3, only=held)
    assert set(zip(test["shape"].tolist(), test["colour"].tolist())) == {(0, 0), (1, 2)}


def test_mismatched_captions_differ_in_at_least_one_attribute():
    _, _, labels = captions.captioned_shapes(5000, seed=4)
    wrong = captions.mismatched_labels(labels, torch.Generator().manual_seed(5))
    differs = torch.zeros(5000, dtype=torch.bool)
    for name in captions.ATTRIBUTES:
        differs |= wrong[name] != labels[name]
        assert set(wrong[name].tolist()) == set(range(len(captions.ATTRIBUTES[name])))
    assert bool(differs.all())


def test_bad_inputs_are_refused():
    with pytest.raises(UnknownNameError, match="unknown word 'purple'"):
        captions.tokenize(["a small purple circle at the top left"])
    with pytest.raises(ValueError, match="a caption has 8 words"):
        captions.tokenize(["a red circle"])
    with pytest.raises(UnknownNameError, match="unknown colour 'purple'"):
        captions.captioned_shapes(3, exclude=[("circle", "purple")])
    everything = [(s, c) for s in captions.SHAPE_NAMES for c in captions.COLOURS]
    with pytest.raises(ValueError, match="no \\(shape, colour\\) combination"):
        captions.captioned_shapes(3, exclude=everything)
