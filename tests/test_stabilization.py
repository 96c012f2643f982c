"""The anti-collapse tools of Chapter 8: the minibatch stddev and minibatch
discrimination layers, packing, and the MLP discriminator's arguments that switch them
on."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_lib import models
from gan_lib.layers import MinibatchDiscrimination, MinibatchStdDev, minibatch_stddev
from gan_lib.stabilization import PacDiscriminator, pack, unpack

# --- minibatch standard deviation (Karras et al., 2018) -----------------------------


def test_minibatch_stddev_adds_one_channel_with_the_batch_std_computed_by_hand():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 2, 3, 3, generator=g, dtype=torch.float64)
    out = minibatch_stddev(x, group_size=None)  # one group: the whole batch
    assert out.shape == (6, 3, 3, 3)
    assert torch.equal(out[:, :2], x)  # the input passes through unchanged
    # by hand: population std over the 6 samples of each of the 18 entries, averaged
    total = 0.0
    for c in range(2):
        for i in range(3):
            for j in range(3):
                values = [x[b, c, i, j].item() for b in range(6)]
                mean = sum(values) / 6
                variance = sum((v - mean) ** 2 for v in values) / 6
                total += math.sqrt(variance + 1e-8)
    expected = total / 18
    assert torch.allclose(out[:, 2], torch.full((6, 3, 3), expected, dtype=x.dtype))


def test_minibatch_stddev_on_vectors_and_groups_are_strided():
    x = torch.tensor([[0.0], [10.0], [2.0], [10.0]])  # B = 4, F = 1, groups of 2
    out = minibatch_stddev(x, group_size=2)
    assert out.shape == (4, 2)
    # two groups, sample i in group i mod 2: {0, 2} (std 1) and {10, 10} (std ~0)
    assert torch.allclose(out[:, 1], torch.tensor([1.0, 1e-4, 1.0, 1e-4]), atol=1e-6)


def test_minibatch_stddev_sees_a_collapsed_batch():
    x = torch.randn(8, 5)
    collapsed = x[:1].expand(8, 5)
    assert minibatch_stddev(collapsed, None)[0, -1] < 1e-3
    assert minibatch_stddev(x, None)[0, -1] > 0.3
    # the gradient is finite even for identical samples (epsilon in the sqrt)
    z = collapsed.clone().requires_grad_(True)
    minibatch_stddev(z, None)[:, -1].sum().backward()
    assert torch.isfinite(z.grad).all()


def test_minibatch_stddev_layer_and_bad_inputs():
    layer = MinibatchStdDev(group_size=4)
    assert layer(torch.randn(8, 3, 4, 4)).shape == (8, 4, 4, 4)
    assert layer(torch.randn(2, 7)).shape == (2, 8)  # group = min(4, B)
    with pytest.raises(ValueError, match="multiple of group_size"):
        layer(torch.randn(6, 3))
    with pytest.raises(ValueError, match=r"\(B, F\) or images \(B, C, H, W\)"):
        layer(torch.randn(4, 3, 5))
    with pytest.raises(ValueError, match="at least 2 samples"):
        minibatch_stddev(torch.randn(1, 3), None)
    with pytest.raises(ValueError, match="group_size must be"):
        MinibatchStdDev(group_size=1)


# --- minibatch discrimination (Salimans et al., 2016) -------------------------------


def test_minibatch_discrimination_shapes_and_formula():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(in_features=5, num_kernels=3, kernel_dim=2)
    f = torch.randn(4, 5)
    out = layer(f)
    assert out.shape == (4, 5 + 3)
    assert torch.equal(out[:, :5], f)
    M = (f @ layer.T).reshape(4, 3, 2)  # by the paper's definitions, with loops
    for i in range(4):
        for b in range(3):
            o = sum(math.exp(-(M[i, b] - M[j, b]).abs().sum().item()) for j in range(4))
            assert out[i, 5 + b].item() == pytest.approx(o, rel=1e-5)


def test_identical_samples_give_maximal_similarity():
    torch.manual_seed(1)
    layer = MinibatchDiscrimination(in_features=4, num_kernels=6, kernel_dim=3)
    n = 7
    same = layer(torch.randn(1, 4).expand(n, 4))[:, 4:]  # (n, B)
    assert torch.allclose(same, torch.full((n, 6), float(n)))  # the maximum, n
    spread = layer(10 * torch.randn(n, 4))[:, 4:]
    assert (spread < n - 0.5).all() and (spread >= 1 - 1e-6).all()  # self term = 1


def test_minibatch_discrimination_gradients_and_bad_inputs():
    layer = MinibatchDiscrimination(in_features=4)
    f = torch.randn(6, 4, requires_grad=True)
    layer(f)[:, 4:].sum().backward()
    assert layer.T.grad is not None and layer.T.grad.abs().sum() > 0
    assert torch.isfinite(f.grad).all()
    with pytest.raises(ValueError, match=r"shape \(n, 4\); got \(6, 5\)"):
        layer(torch.randn(6, 5))
    with pytest.raises(ValueError, match="num_kernels must be a positive int"):
        MinibatchDiscrimination(4, num_kernels=0)


# --- packing (PacGAN, Lin et al., 2018) ----------------------------------------------


def test_pack_shapes_and_order():
    x = torch.arange(12.0).reshape(6, 2)
    packed = pack(x, 3)
    assert packed.shape == (2, 6)
    assert packed[0].tolist() == [0, 1, 2, 3, 4, 5]  # samples 0, 1, 2 side by side
    assert torch.equal(unpack(packed, 3), x)
    images = torch.randn(8, 3, 4, 4)
    packed = pack(images, 2)
    assert packed.shape == (4, 6, 4, 4)
    assert torch.equal(packed[1, 3:], images[3])  # pack 1, slot 1 = sample 3
    assert pack(images, 1) is images or torch.equal(pack(images, 1), images)


def test_pack_refuses_a_batch_not_divisible_by_m():
    with pytest.raises(ValueError, match="multiple of 4; got a batch of 6"):
        pack(torch.randn(6, 2), 4)
    with pytest.raises(ValueError, match="positive int"):
        pack(torch.randn(6, 2), 0)
    with pytest.raises(ValueError, match="expects a batch"):
        pack(torch.randn(6), 2)


def test_pac_discriminator_wraps_a_wider_discriminator():
    inner = models.get("mlp_discriminator", in_dim=2 * 3, hidden=8, n_layers=1)
    D = PacDiscriminator(inner, m=3)
    x = torch.randn(9, 2)
    assert D(x).shape == (3,)
    assert torch.equal(D(x), inner(x.reshape(3, 6)))
    assert torch.equal(D.features(x), inner.features(x.reshape(3, 6)))  # (3, 8)
    bare = PacDiscriminator(torch.nn.Linear(4, 1), m=2)
    with pytest.raises(AttributeError, match="Linear has no features"):
        bare.features(torch.randn(4, 2))
    with pytest.raises(TypeError, match="must be an nn.Module"):
        PacDiscriminator("D", 2)


# --- the MLP discriminator's anti-collapse arguments ---------------------------------


def test_mlp_discriminator_with_every_flag():
    torch.manual_seed(0)
    D = models.get(
        "mlp_discriminator",
        in_dim=3,
        hidden=16,
        n_layers=2,
        pack=2,
        minibatch_stddev=True,
        minibatch_discrimination=True,
        num_kernels=5,
    )
    x = torch.randn(8, 3)
    assert D(x).shape == (4,)  # one logit per pack
    assert D.features(x).shape == (4, 16)
    linears = [layer for layer in D.net if isinstance(layer, torch.nn.Linear)]
    assert linears[0].in_features == 6  # the first layer reads 2 samples
    assert linears[-2].in_features == 16 + 1 + 5  # last hidden: + stddev + 5 kernels
    D(x).sum().backward()
    for name, p in D.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    # the minibatch features couple the samples of a batch
    y = x.clone()
    y[4:] += 3.0
    assert not torch.allclose(D(x)[0], D(y)[0])
    with pytest.raises(ValueError, match="multiple of 2"):
        D(torch.randn(5, 3))


def test_mlp_discriminator_flattens_images_and_defaults_to_the_plain_mlp():
    D = models.get("mlp_discriminator", in_dim=12, hidden=8, n_layers=1)
    images = torch.randn(4, 3, 2, 2)
    assert torch.equal(D(images), D(images.flatten(1)))
    batch_layers = (MinibatchStdDev, MinibatchDiscrimination)
    assert not any(isinstance(layer, batch_layers) for layer in D.modules())
    assert sum(p.numel() for p in D.parameters()) == (12 * 8 + 8) + (8 + 1)
    with pytest.raises(ValueError, match=r"C H W = 12; got \(4, 13\)"):
        D(torch.randn(4, 13))
    with pytest.raises(ValueError, match="pack must be a positive int"):
        models.get("mlp_discriminator", pack=0)
    with pytest.raises(ValueError, match="need n_layers >= 1; got n_layers=0"):
        models.get("mlp_discriminator", n_layers=0, minibatch_stddev=True)


def test_packed_total_variation_closed_forms():
    from gan_lib.stabilization import packed_total_variation

    eps = 0.1
    p = np.array([eps, 1 - eps])
    collapsed = np.array([0.0, 1.0])  # p conditioned on the second point
    for m in range(1, 6):
        tv = packed_total_variation(p, collapsed, m)
        assert tv == pytest.approx(1 - (1 - eps) ** m, abs=1e-12)
    # m = 2 by hand for p = (1/2, 1/2), q = (0.6, 0.4): cells 0.25 vs .36, .24, .24, .16
    tv2 = packed_total_variation([0.5, 0.5], [0.6, 0.4], 2)
    assert tv2 == pytest.approx(0.5 * (0.11 + 0.01 + 0.01 + 0.09))
    assert packed_total_variation([0.5, 0.5], [0.5, 0.5], 3) == 0.0
    with pytest.raises(ValueError, match="sum to 1"):
        packed_total_variation([0.5, 0.6], [0.5, 0.5], 2)
    with pytest.raises(ValueError, match="same support"):
        packed_total_variation([0.5, 0.5], [1.0], 2)
    with pytest.raises(ValueError, match="too many to enumerate"):
        packed_total_variation(np.ones(100) / 100, np.ones(100) / 100, 4)


def test_packed_total_variation_is_symmetric_and_invented_mass_attains_the_bound():
    from gan_lib.stabilization import packed_total_variation

    # data on 3 points, a fourth point off the data: (1 - eps) P + eps delta_4
    eps = 0.2
    p = np.array([0.5, 0.3, 0.2, 0.0])
    invented = np.append((1 - eps) * p[:3], eps)
    for m in range(1, 5):
        tv = packed_total_variation(p, invented, m)
        assert tv == pytest.approx(1 - (1 - eps) ** m, abs=1e-12)
        assert tv == pytest.approx(packed_total_variation(invented, p, m), abs=1e-15)
    # m = 2 by hand for a deficit that is not a dropped point, and an excess on the
    # data: p = (1/2, 1/2), q = (0.6, 0.4) has TV 0.11 < 1 - 0.9^2 = 0.19
    assert packed_total_variation([0.5, 0.5], [0.6, 0.4], 2) < 1 - 0.9**2 - 0.05


def test_feature_matching_minibatch_estimate_is_biased_by_the_mean_variance():
    from gan_lib.stabilization import feature_matching

    # equal means (0), identity features, batches of B = 16 and B' = 8 from N(0, I_3):
    # E loss = tr Cov / B + tr Cov / B' = 3/16 + 3/8
    gen = torch.Generator().manual_seed(0)
    losses = torch.stack([
        feature_matching.feature_matching_loss(torch.randn(16, 3, generator=gen),
                                               torch.randn(8, 3, generator=gen))
        for _ in range(4000)])
    se = losses.std().item() / math.sqrt(len(losses))
    assert abs(losses.mean().item() - (3 / 16 + 3 / 8)) < 4 * se
