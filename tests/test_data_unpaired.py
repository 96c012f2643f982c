"""Unpaired domains with a known bijection: the ring pair and the digits maps."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib.data import unpaired


def test_the_source_draws_the_domains_independently_and_resumably():
    a = torch.arange(100.0)[:, None]
    b = 1000 + torch.arange(100.0)[:, None]
    source = unpaired.UnpairedSource(a, b)
    torch.manual_seed(0)
    x, y = source(4000)
    assert x.shape == (4000, 1) and y.shape == (4000, 1)
    i, j = x.flatten(), y.flatten() - 1000
    # independence: the index pairs are not tied (a paired loader gives i == j)
    assert (i == j).float().mean() < 0.05
    corr = torch.corrcoef(torch.stack([i, j]))[0, 1]
    assert abs(corr) < 0.1
    torch.manual_seed(0)
    x2, y2 = source(4000)
    assert torch.equal(x, x2) and torch.equal(y, y2)  # the global RNG decides


def test_unpaired_sets_of_different_channels_or_sizes_are_refused():
    with pytest.raises(ValueError, match=r"channel counts differ: a is \(1, 8, 8\), "
                                         r"b is \(3, 8, 8\)"):
        unpaired.UnpairedSource(torch.zeros(4, 1, 8, 8), torch.zeros(4, 3, 8, 8))
    with pytest.raises(ValueError, match="sample shapes differ"):
        unpaired.UnpairedSource(torch.zeros(4, 1, 8, 8), torch.zeros(4, 1, 16, 16))
    with pytest.raises(ValueError, match="domain b must be a tensor"):
        unpaired.UnpairedSource(torch.zeros(4, 2), torch.zeros(0, 2))


def test_the_ring_map_sends_each_mode_of_a_onto_the_same_mode_of_b():
    centers_a = unpaired.ring_centers(0.0)
    centers_b = unpaired.ring_centers(unpaired.RING_ROTATION)
    torch.testing.assert_close(unpaired.ring_translation(centers_a), centers_b)
    torch.testing.assert_close(unpaired.ring_inverse_translation(centers_b),
                               centers_a, atol=1e-6, rtol=0)
    # eight distinct angles 45 degrees apart (no duplicated endpoint)
    angles = torch.atan2(centers_a[:, 1], centers_a[:, 0])
    gaps = torch.remainder(angles.roll(-1) - angles, 2 * math.pi)
    torch.testing.assert_close(gaps, torch.full((8,), math.pi / 4))
    a, k = unpaired.ring_a().sample_with_modes(5000, torch.Generator().manual_seed(0))
    mode, on = unpaired.ring_modes(unpaired.ring_translation(a), "B")
    assert torch.equal(mode, k)
    assert on.float().mean() > 0.98  # 3 std of a 2-D Gaussian hold 98.9 %
    mode_a, _ = unpaired.ring_modes(a, "A")
    assert torch.equal(mode_a, k)
    # a point of A itself is off every mode of B (15 degrees = 0.52 > 3 std away)
    _, on_b = unpaired.ring_modes(centers_a, "B")
    assert not on_b.any()
    with pytest.raises(ValueError, match="domain must be 'A' or 'B'"):
        unpaired.ring_modes(a, "C")
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        unpaired.ring_translation(torch.zeros(3, 3))


def test_the_ring_source_draws_both_rings():
    torch.manual_seed(0)
    a, b = unpaired.ring_source()(3000)
    assert unpaired.ring_modes(a, "A")[1].float().mean() > 0.98
    assert unpaired.ring_modes(b, "B")[1].float().mean() > 0.98
    counts = torch.bincount(unpaired.ring_modes(b, "B")[0], minlength=8)
    assert counts.min() > 300  # uniform over the 8 modes (375 expected)


@pytest.mark.parametrize("mapping", ["invert", "rotate90"])
def test_digits_domains_are_disjoint_and_related_by_their_map(mapping):
    d = unpaired.digits_domains(mapping, resolution=16)
    n = 1797
    assert d.test_a.shape[0] == round(0.2 * n)
    assert d.a.shape == d.b.shape == ((n - 359) // 2, 1, 16, 16)
    torch.testing.assert_close(d.T_inverse(d.T(d.a)), d.a)
    # no image of B is the translation of an image of A or of the test set
    back = d.T_inverse(d.b).flatten(1)
    for part in (d.a, d.test_a):
        distance = torch.cdist(part.flatten(1), back)
        assert distance.min() > 1e-3
    if mapping == "invert":
        torch.testing.assert_close(d.T(d.a), -d.a)
    else:  # the top row becomes the left column (counter-clockwise)
        torch.testing.assert_close(d.T(d.a)[..., :, 0], d.a[..., 0, :].flip(-1))
    assert set(d.labels_a.tolist()) == set(range(10))
    with pytest.raises(ValueError, match="mapping must be one of"):
        unpaired.digits_domains("mirror")
