"""Chapter 12's toy set-up (gan_lib.benchmarks.lab_checks.ch12): the data, the toy
BigGAN's shapes and conditioning, and the definitions the lab asserts with."""

import math

import numpy as np
import pytest
import torch

from gan_lib.benchmarks.lab_checks import ch12


def test_toy_data_lies_on_its_arcs():
    x, y = ch12.sample_toy(4000, torch.Generator().manual_seed(0))
    assert x.shape == (4000, 2) and y.shape == (4000,) and y.dtype == torch.int64
    radius = x.norm(dim=1)
    assert abs(radius.mean().item() - ch12.RADIUS) < 0.01
    assert abs(radius.std().item() - ch12.RADIAL_STD) < 0.005
    # each point's angle is within HALF_WIDTH of its class's centre angle
    centre = 2 * math.pi * y / ch12.NUM_CLASSES
    angle = torch.atan2(x[:, 1], x[:, 0])
    offset = torch.remainder(angle - centre + math.pi, 2 * math.pi) - math.pi
    assert offset.abs().max() <= ch12.HALF_WIDTH + 1e-5
    # uniform on the arc: the mean |offset| is HALF_WIDTH / 2
    assert abs(offset.abs().mean().item() - ch12.HALF_WIDTH / 2) < 0.01
    assert torch.bincount(y, minlength=4).min() > 900


def test_class_centers_are_distinct_and_given_labels_are_kept():
    centers = ch12.class_centers()
    assert centers.shape == (ch12.NUM_CLASSES, 2)
    assert torch.pdist(centers).min() > 2.0  # no duplicated end point
    y = torch.full((50,), 3)
    _, y_out = ch12.sample_toy(50, y=y)
    assert torch.equal(y_out, y)


def test_toy_generator_shapes_conditioning_and_chunks():
    torch.manual_seed(0)
    G = ch12.ToyBigGANGenerator().eval()
    z = torch.randn(8, ch12.Z_DIM)
    y = torch.arange(8) % ch12.NUM_CLASSES
    with torch.no_grad():
        out = G(z, y)
        other_class = G(z, (y + 1) % ch12.NUM_CLASSES)
    assert out.shape == (8, 2)
    assert not torch.allclose(out, other_class)  # the label matters
    # the shared embedding is free of spectral norm; every linear layer carries it
    assert not hasattr(G.shared, "parametrizations")
    assert all(hasattr(layer, "parametrizations") for layer in G.modules()
               if isinstance(layer, torch.nn.Linear))
    with pytest.raises(ValueError):
        G(z, torch.full((8,), ch12.NUM_CLASSES))


def test_projection_discriminator_form():
    torch.manual_seed(0)
    D = ch12.ToyProjectionDiscriminator().eval()
    x = torch.randn(5, 2)
    y = torch.tensor([0, 1, 2, 3, 0])
    with torch.no_grad():
        h = D.phi(x)
        by_hand = D.linear(h).squeeze(1) + (D.embed(y) * h).sum(1)
        assert torch.allclose(D(x, y), by_hand)


def _curve(precision):
    return {"threshold": np.array(ch12.THRESHOLDS),
            "precision": np.array(precision, dtype=float),
            "recall": np.linspace(0.3, 0.95, 6),
            "accuracy": np.ones(6)}


def test_amenable_definition():
    # thresholds (0.25, 0.5, 1, 1.5, 2, inf)
    assert ch12.amenable(_curve([0.9, 0.9, 0.85, 0.8, 0.75, 0.7]))
    # a gain at t = 0.5 below AMENABLE_GAIN is not enough
    assert not ch12.amenable(_curve([0.9, 0.71, 0.71, 0.7, 0.7, 0.7]))
    # a drop of more than AMENABLE_SLACK along the way is not allowed
    assert not ch12.amenable(_curve([0.9, 0.9, 0.7, 0.8, 0.75, 0.7]))
    # what happens below t = 0.5 does not count
    assert ch12.amenable(_curve([0.1, 0.9, 0.85, 0.8, 0.75, 0.7]))


def test_toy_quantities():
    curve = _curve([0.9, 0.9, 0.85, 0.8, 0.75, 0.7])
    values = ch12.toy_quantities(curve, _curve([0.7] * 6))
    assert values["precision_gain"] == pytest.approx(0.2)
    assert values["recall_loss"] == pytest.approx(0.95 - 0.43)
    assert values["recall_full"] == pytest.approx(0.95)
    assert values["amenable_ortho"] == 1.0 and values["amenable_plain"] == 0.0


def test_truncated_samples_and_the_broken_sampler():
    torch.manual_seed(0)
    G = ch12.ToyBigGANGenerator().eval()
    y = torch.zeros(2000, dtype=torch.int64)
    spread = {}
    for ignore in (False, True):
        generator = torch.Generator().manual_seed(0)
        small = ch12.sample_truncated(G, y, 0.25, generator, ignore_threshold=ignore)
        full = ch12.sample_truncated(G, y, math.inf, generator)
        spread[ignore] = small.std(0).sum() / full.std(0).sum()
    assert spread[False] < 0.5  # truncation shrinks the samples' spread
    assert 0.9 < spread[True] < 1.1  # the broken sampler does not
