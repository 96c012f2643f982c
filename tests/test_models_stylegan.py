"""StyleGAN and StyleGAN2 in detail: noise, truncation, style mixing, the w average,
demodulation, shapes (the registry-wide checks are in tests/test_models.py)."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib import models
from gan_lib.layers import ModulatedConv2d, modulated_weight
from gan_lib.models.stylegan import W_AVG_BETA, MappingNetwork, mix_styles

GENERATORS = ["stylegan_generator", "stylegan2_generator"]
SMALL = dict(z_dim=8, w_dim=8, channels=3, fmap_base=64, fmap_max=16, mapping_layers=2)
BATCH = 4


def build(name: str, resolution: int = 16):
    torch.manual_seed(0)
    return models.get(name, resolution=resolution, **SMALL)


def fixed_noise(G, seed: int) -> list[torch.Tensor]:
    """One (B, 1, r, r) image per noise layer, in the synthesis order."""
    g = torch.Generator().manual_seed(seed)
    assert len(G.layers) == G.num_noise  # one noise input per convolution
    noise, r = [], 4
    for layer in G.layers:
        r = r * 2 if layer.up else r
        noise.append(torch.randn(BATCH, 1, r, r, generator=g))
    return noise


def broadcast(w: torch.Tensor, num_ws: int) -> torch.Tensor:
    return w[:, None].expand(-1, num_ws, -1)


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("resolution", [8, 16, 32])
def test_shapes_and_number_of_styles(name, resolution):
    G = build(name, resolution)
    assert G.num_ws == 2 * int(math.log2(resolution)) - 2
    z = torch.randn(BATCH, 8)
    assert G(z).shape == (BATCH, 3, resolution, resolution)
    ws = torch.randn(BATCH, G.num_ws, 8)
    assert G.synthesis(ws).shape == (BATCH, 3, resolution, resolution)
    with pytest.raises(ValueError, match=r"ws must have shape"):
        G.synthesis(ws[:, 1:])


@pytest.mark.parametrize("resolution", [8, 16, 32])
def test_discriminator_shapes(resolution):
    torch.manual_seed(0)
    D = models.get("stylegan2_discriminator", resolution=resolution, fmap_base=64,
                   fmap_max=16)
    assert D(torch.randn(BATCH, 3, resolution, resolution)).shape == (BATCH,)
    assert len(D.blocks) == int(math.log2(resolution)) - 2
    with pytest.raises(ValueError, match=r"x must have shape \(B, 3, 8, 8\)"):
        models.get("stylegan2_discriminator", resolution=8)(torch.randn(2, 3, 4, 4))


@pytest.mark.parametrize("name", GENERATORS)
def test_zero_noise_strength_makes_output_independent_of_noise_bitwise(name):
    G = build(name).eval()
    ws = broadcast(G.mapping(torch.randn(BATCH, 8)), G.num_ws)
    a, b = fixed_noise(G, 1), fixed_noise(G, 2)
    assert torch.equal(G.synthesis(ws, a), G.synthesis(ws, b))
    assert torch.equal(G.synthesis(ws, a), G.synthesis(ws))  # fresh noise too
    with torch.no_grad():  # once the strengths are on, the noise matters
        for layer in G.layers:
            layer.noise.strength.fill_(1.0)
    assert not torch.allclose(G.synthesis(ws, a), G.synthesis(ws, b))


@pytest.mark.parametrize("name", GENERATORS)
def test_forward_equals_synthesis_of_broadcast_mapping(name):
    G = build(name).eval()
    z = torch.randn(BATCH, 8)
    noise = fixed_noise(G, 3)
    expected = G.synthesis(broadcast(G.mapping(z), G.num_ws), noise)
    assert torch.equal(G(z, noise=noise), expected)


def test_truncation_scales_the_distance_to_w_avg():
    mapping = MappingNetwork(z_dim=8, w_dim=8, num_layers=2)
    with torch.no_grad():
        mapping.w_avg.normal_()
    w = torch.randn(BATCH, 8)
    for psi in (0.0, 0.5, 0.7, 1.0, 1.5):
        dist = (mapping.truncate(w, psi) - mapping.w_avg).norm(dim=1)
        expected = psi * (w - mapping.w_avg).norm(dim=1)
        torch.testing.assert_close(dist, expected, rtol=1e-5, atol=1e-6)
    ws = broadcast(w, 6)
    cut = mapping.truncate(ws, 0.0, cutoff=2)
    w_avg = mapping.w_avg.expand(BATCH, 2, -1)
    assert torch.equal(cut[:, :2], w_avg)
    assert torch.equal(cut[:, 2:], ws[:, 2:])


@pytest.mark.parametrize("name", GENERATORS)
def test_psi_zero_gives_the_same_image_for_every_z(name):
    G = build(name).eval()
    G.mapping.train()
    G.mapping(torch.randn(64, 8))  # a nonzero w_avg
    G.mapping.eval()
    noise = [n[:1] for n in fixed_noise(G, 4)]  # the same noise for every sample
    x = G(torch.randn(BATCH, 8), psi=0.0, noise=noise)
    torch.testing.assert_close(x, x[:1].expand_as(x), rtol=0, atol=1e-6)
    y = G(torch.randn(BATCH, 8), psi=0.5, noise=noise)
    assert not torch.allclose(y, y[:1].expand_as(y))


def test_mix_styles_gives_early_layers_w1_and_late_layers_w2():
    w1, w2 = broadcast(torch.randn(BATCH, 8), 6), broadcast(torch.randn(BATCH, 8), 6)
    for k in range(1, 6):
        mixed = mix_styles(w1, w2, k)
        assert torch.equal(mixed[:, :k], w1[:, :k])
        assert torch.equal(mixed[:, k:], w2[:, k:])
        assert torch.equal(mix_styles(w1, w2, torch.tensor(k)), mixed)


@pytest.mark.parametrize("name", GENERATORS)
def test_style_mixing_in_forward_matches_explicitly_built_ws(name):
    G = build(name).eval()
    z = torch.randn(BATCH, 8)
    noise = fixed_noise(G, 5)
    torch.manual_seed(7)
    out = G(z, mixing_prob=1.0, noise=noise)
    torch.manual_seed(7)  # style_mixing draws z2 first
    z2 = torch.randn(BATCH, 8)
    w1, w2 = G.mapping(z), G.mapping(z2)
    matches = []
    for k in range(1, G.num_ws):  # the crossover lies in [1, num_ws)
        ws = torch.cat([broadcast(w1, k), broadcast(w2, G.num_ws - k)], dim=1)
        if torch.allclose(G.synthesis(ws, noise), out, rtol=0, atol=1e-6):
            matches.append(k)
    assert len(matches) == 1, matches
    # mixing_prob 0: no mixing at all
    assert torch.equal(G(z, mixing_prob=0.0, noise=noise), G(z, noise=noise))


def test_w_avg_follows_the_ema_with_beta_0995_in_training_only():
    assert W_AVG_BETA == 0.995
    torch.manual_seed(0)
    mapping = MappingNetwork(z_dim=8, w_dim=8, num_layers=2)
    z1, z2 = torch.randn(BATCH, 8), torch.randn(BATCH, 8)
    with torch.no_grad():
        m1 = mapping(z1, update_w_avg=False).mean(dim=0)
        m2 = mapping(z2, update_w_avg=False).mean(dim=0)
    assert torch.equal(mapping.w_avg, torch.zeros(8))
    mapping.train()
    mapping(z1)
    torch.testing.assert_close(mapping.w_avg, (1 - 0.995) * m1)
    mapping(z2)
    torch.testing.assert_close(mapping.w_avg, 0.995 * (1 - 0.995) * m1 + 0.005 * m2)
    before = mapping.w_avg.clone()
    mapping.eval()
    mapping(z1)
    assert torch.equal(mapping.w_avg, before)
    mapping(z1, update_w_avg=True)
    torch.testing.assert_close(mapping.w_avg, 0.995 * before + 0.005 * m1)


def test_mapping_layers_use_lr_multiplier_001():
    mapping = MappingNetwork()
    linears = [m for m in mapping.net if hasattr(m, "lr_multiplier")]
    assert len(linears) == 8
    assert all(m.lr_multiplier == 0.01 for m in linears)


def test_stylegan2_convolutions_demodulate_and_torgb_does_not():
    G = build("stylegan2_generator")
    w = torch.randn(BATCH, 8)
    convs = [m for m in G.modules() if isinstance(m, ModulatedConv2d)]
    assert len(convs) == len(G.layers) + len(G.to_rgb)
    for layer in G.layers:
        conv = layer.conv
        assert conv.demodulate and conv.kernel_size == 3
        weights = modulated_weight(conv.weight * conv.weight_scale, conv.affine(w))
        norms = weights.square().sum(dim=(2, 3, 4)).sqrt()  # (B, O): each filter
        torch.testing.assert_close(norms, torch.ones_like(norms))
    for to_rgb in G.to_rgb:
        conv = to_rgb.conv
        assert not conv.demodulate and conv.kernel_size == 1
        weights = modulated_weight(conv.weight * conv.weight_scale, conv.affine(w),
                                   demodulate=False)
        norms = weights.square().sum(dim=(2, 3, 4)).sqrt()
        assert not torch.allclose(norms, torch.ones_like(norms), atol=1e-2)


@pytest.mark.parametrize("name", GENERATORS)
def test_gradients_reach_every_parameter_with_mixing_and_truncation(name):
    G = build(name).train()
    G(torch.randn(BATCH, 8))  # a nonzero w_avg
    out = G(torch.randn(BATCH, 8), psi=0.7, mixing_prob=1.0)
    (out * torch.randn_like(out)).sum().backward()
    for param_name, p in G.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, param_name
        assert torch.isfinite(p.grad).all(), param_name


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="resolution must be a power of two"):
        models.get("stylegan_generator", resolution=24)
    with pytest.raises(ValueError, match="w_dim must be a positive int"):
        models.get("stylegan2_generator", w_dim=0)
    with pytest.raises(ValueError, match=r"z must have shape \(B, 8\)"):
        build("stylegan_generator")(torch.randn(BATCH, 7))


def test_mapping_lr_multiplier_reaches_every_mapping_layer_and_keeps_the_function():
    """The generator's ``mapping_lr_multiplier`` changes how fast the mapping network
    learns, not what it computes at initialization (the same effective weights in
    distribution: N(0, 1) / lambda stored, lambda c applied)."""
    torch.manual_seed(0)
    G = models.get("stylegan_generator", mapping_lr_multiplier=0.1, **SMALL)
    linears = [m for m in G.mapping.net if hasattr(m, "lr_multiplier")]
    assert len(linears) == 2 and all(m.lr_multiplier == 0.1 for m in linears)
    default = models.get("stylegan_generator", **SMALL)
    assert all(m.lr_multiplier == 0.01 for m in default.mapping.net
               if hasattr(m, "lr_multiplier"))
    for layer in linears:  # effective weights ~ N(0, gain^2 / fan_in)
        effective = layer.effective_weight()
        assert effective.std().item() == pytest.approx(
            math.sqrt(2) / math.sqrt(layer.in_features), rel=0.5)
