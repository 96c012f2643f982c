"""DCGAN specifics: architecture per resolution, the paper's initialization, the
resize-convolution and spectral-norm options, features, bad inputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_lib import models
from gan_lib.models.dcgan import DownBlock, UpBlock, dcgan_init_, up_conv
from gan_lib.regularizers import power_iteration


@pytest.mark.parametrize("resolution,stages", [(16, 2), (32, 3), (64, 4)])
@pytest.mark.parametrize("upsample", ["transposed", "resize"])
def test_generator_shapes_and_range(resolution, stages, upsample):
    torch.manual_seed(0)
    G = models.get(
        "dcgan_generator",
        z_dim=8,
        channels=3,
        resolution=resolution,
        width=4,
        upsample=upsample,
    )
    x = G(torch.randn(3, 8))
    assert x.shape == (3, 3, resolution, resolution)
    assert x.abs().max() <= 1  # tanh output
    # 4 x 4 after the projection, with width * 2^(stages - 1) maps
    h = G.project(torch.randn(3, 8)[:, :, None, None])
    assert h.shape == (3, 4 * 2 ** (stages - 1), 4, 4)
    assert len(G.blocks) == stages - 1
    convs = (nn.ConvTranspose2d,) if upsample == "transposed" else (nn.Conv2d,)
    n_up = sum(isinstance(m, convs) for m in G.modules())
    assert n_up == stages + (upsample == "transposed")  # + the projection


def test_resize_generator_uses_nearest_upsampling_and_3x3_convs():
    G = models.get(
        "dcgan_generator", z_dim=4, resolution=16, width=4, upsample="resize"
    )
    ups = [m for m in G.modules() if isinstance(m, nn.Upsample)]
    assert len(ups) == 2 and all(m.mode == "nearest" for m in ups)
    convs = [m for m in G.modules() if isinstance(m, nn.Conv2d)]
    assert all(m.kernel_size == (3, 3) and m.stride == (1, 1) for m in convs)


def test_no_checkerboard_from_a_resize_block_with_constant_weights():
    # a constant input and constant kernel: the transposed conv (k=3, s=2) gives
    # uneven interior values, the resize-convolution gives a constant interior
    x = torch.ones(1, 1, 6, 6)
    transposed = nn.ConvTranspose2d(1, 1, 3, 2, 1, output_padding=1, bias=False)
    resize = up_conv(1, 1, "resize", bias=False)
    nn.init.constant_(transposed.weight, 1.0)
    nn.init.constant_(resize[1].weight, 1.0)
    with torch.no_grad():
        inner_t = transposed(x)[0, 0, 2:-2, 2:-2]
        inner_r = resize(x)[0, 0, 2:-2, 2:-2]
    assert inner_t.unique().numel() == 3  # 1, 2, 4 taps
    assert inner_r.unique().tolist() == [9.0]


def test_discriminator_features_shape_and_logits():
    torch.manual_seed(0)
    for resolution, stages in [(16, 2), (32, 3), (64, 4)]:
        D = models.get(
            "dcgan_discriminator", channels=1, resolution=resolution, width=4
        )
        x = torch.randn(6, 1, resolution, resolution)
        features = D.features(x)
        assert features.shape == (6, 16 * 4 * 2 ** (stages - 1)) == (6, D.feature_dim)
        logits = D(x)
        assert logits.shape == (6,)
        assert torch.allclose(logits, D.head(features).squeeze(1))


def test_batchnorm_placement_and_activations():
    G = models.get("dcgan_generator", z_dim=4, resolution=32, width=4)
    D = models.get("dcgan_discriminator", resolution=32, width=4)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in G.modules()) == 3  # not output
    assert isinstance(G.to_image[-1], nn.Tanh)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in D.modules()) == 2  # not input
    assert isinstance(D.blocks[0].norm, nn.Identity)
    slopes = {m.negative_slope for m in D.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}
    assert not any(isinstance(m, nn.LeakyReLU) for m in G.modules())
    # BatchNorm cancels a bias, so only the unnormalized convolutions have one
    for block in [m for net in (G, D) for m in net.modules()]:
        if isinstance(block, (UpBlock, DownBlock)):
            has_bn = isinstance(block.norm, nn.BatchNorm2d)
            assert (block.conv.bias is None) == has_bn


def test_initialization_statistics_follow_the_paper():
    torch.manual_seed(0)
    G = models.get("dcgan_generator", z_dim=100, resolution=64, width=64)
    D = models.get("dcgan_discriminator", resolution=64, width=64)
    weights = [
        m.weight.detach().flatten()
        for net in (G, D)
        for m in net.modules()
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))
    ]
    w = torch.cat(weights)
    assert w.numel() > 1_000_000
    assert abs(w.mean().item()) < 1e-3
    assert w.std().item() == pytest.approx(0.02, rel=0.01)
    gammas = torch.cat(
        [
            m.weight.detach()
            for net in (G, D)
            for m in net.modules()
            if isinstance(m, nn.BatchNorm2d)
        ]
    )
    assert gammas.mean().item() == pytest.approx(1.0, abs=0.005)
    assert gammas.std().item() == pytest.approx(0.02, rel=0.2)
    biases = [
        m.bias
        for net in (G, D)
        for m in net.modules()
        if isinstance(m, (nn.BatchNorm2d, nn.Linear)) and m.bias is not None
    ]
    assert all(torch.all(b == 0) for b in biases)


def test_dcgan_init_is_gaussian_not_pytorchs_uniform_default():
    # PyTorch's default draws U(-b, b), b = 1/sqrt(fan_in) = 1/32 here, whose std
    # (0.018) is close to 0.02; a Gaussian has tails far beyond b
    torch.manual_seed(0)
    layer = nn.Conv2d(64, 64, 4)
    bound = 1 / (64 * 16) ** 0.5
    assert layer.weight.abs().max().item() <= bound
    dcgan_init_(layer)
    w = layer.weight.detach()
    assert w.std().item() == pytest.approx(0.02, rel=0.03)
    assert w.abs().max().item() > 2 * bound  # about 4 sigma = 0.08 for 65,536 draws
    kurtosis = ((w - w.mean()) ** 4).mean() / w.var() ** 2
    assert kurtosis.item() == pytest.approx(3.0, abs=0.1)  # Gaussian: 3; uniform: 1.8
    assert torch.all(layer.bias == 0)


def test_spectral_norm_discriminator_has_no_batchnorm_and_unit_sigmas():
    torch.manual_seed(0)
    D = models.get("dcgan_discriminator", resolution=16, width=8, spectral_norm=True)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    D.train()
    for _ in range(40):  # one power-iteration step per forward pass
        D(torch.randn(4, 1, 16, 16))
    layers = [m for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 3
    for layer in layers:
        assert hasattr(layer, "parametrizations")
        # the normalized weight (flattened to (out, in*k*k)) has sigma 1
        sigma = power_iteration(layer.weight, steps=300)
        assert sigma.item() == pytest.approx(1.0, abs=2e-3)
    # every conv has its bias back, since no BatchNorm follows it
    assert all(m.bias is not None for m in layers)


def test_generator_in_eval_mode_accepts_a_batch_of_one():
    G = models.get("dcgan_generator", z_dim=5, resolution=16, width=4).eval()
    x = G(torch.randn(1, 5))  # a batch of one works in eval mode
    assert x.shape == (1, 1, 16, 16)


@pytest.mark.parametrize(
    "name,kwargs,match",
    [
        ("dcgan_generator", {"resolution": 28}, r"resolution must be one of \(16, 32"),
        ("dcgan_generator", {"channels": 2}, "channels must be 1 .* or 3"),
        ("dcgan_generator", {"width": 0}, "width must be a positive int"),
        ("dcgan_generator", {"z_dim": 2.0}, "z_dim must be a positive int"),
        ("dcgan_generator", {"upsample": "bilinear"}, "upsample must be 'transposed'"),
        ("dcgan_discriminator", {"resolution": 128}, "resolution must be one of"),
        ("dcgan_discriminator", {"channels": 4}, "channels must be 1"),
    ],
)
def test_bad_constructor_arguments_raise(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.get(name, **kwargs)


def test_bad_inputs_raise_with_expected_and_actual_shape():
    G = models.get("dcgan_generator", z_dim=7, resolution=16, width=4)
    with pytest.raises(
        ValueError, match=r"z must have shape \(B, 7\); got \(2, 7, 1, 1\)"
    ):
        G(torch.randn(2, 7, 1, 1))
    D = models.get("dcgan_discriminator", channels=3, resolution=32, width=4)
    with pytest.raises(ValueError, match=r"\(B, 3, 32, 32\); got \(2, 1, 32, 32\)"):
        D(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"got \(3, 32, 32\)"):
        D.features(torch.randn(3, 32, 32))


def test_dcgan_init_skips_batch_norm_without_affine_parameters():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8, affine=False))
    dcgan_init_(module)  # no gamma or beta to draw: nothing to do, no error
    assert module[1].weight is None
    assert abs(module[0].weight.std().item() - 0.02) < 0.005
