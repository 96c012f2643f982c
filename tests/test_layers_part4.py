"""Building blocks of Part IV (ProGAN, StyleGAN 1/2, BigGAN): closed forms, the
properties the chapters claim, gradients, and one-graph compilation."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_lib.layers import (
    AdaIN,
    EqualizedConv2d,
    EqualizedLinear,
    ModulatedConv2d,
    NoiseInjection,
    PixelNorm,
    SelfAttention,
    adain,
    modulated_conv2d,
    modulated_weight,
    pixel_norm,
)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


# --- equalized learning rate -------------------------------------------------------


@pytest.mark.parametrize("gain", [math.sqrt(2), 1.0])
@pytest.mark.parametrize("lr_multiplier", [1.0, 0.01])
def test_equalized_linear_is_the_scaled_affine_map(gain, lr_multiplier):
    layer = EqualizedLinear(24, 5, gain=gain, lr_multiplier=lr_multiplier)
    with torch.no_grad():
        layer.bias.normal_()
    scale = gain / math.sqrt(24) * lr_multiplier
    assert layer.weight_scale == pytest.approx(scale, rel=1e-12)
    torch.testing.assert_close(layer.effective_weight(), layer.weight * scale)
    torch.testing.assert_close(layer.effective_bias(), layer.bias * lr_multiplier)
    x = torch.randn(7, 24)
    expected = x @ (layer.weight * scale).T + layer.bias * lr_multiplier
    torch.testing.assert_close(layer(x), expected)


@pytest.mark.parametrize("lr_multiplier", [1.0, 0.01])
def test_equalized_conv_is_the_scaled_convolution(lr_multiplier):
    layer = EqualizedConv2d(3, 4, 3, padding=1, lr_multiplier=lr_multiplier)
    with torch.no_grad():
        layer.bias.normal_()
    scale = math.sqrt(2) / math.sqrt(3 * 3**2) * lr_multiplier
    assert layer.weight_scale == pytest.approx(scale, rel=1e-12)
    torch.testing.assert_close(layer.effective_weight(), layer.weight * scale)
    x = torch.randn(2, 3, 6, 6)
    expected = F.conv2d(x, layer.weight * scale, layer.bias * lr_multiplier, padding=1)
    torch.testing.assert_close(layer(x), expected)
    assert layer(x).shape == (2, 4, 6, 6)


@pytest.mark.parametrize("lr_multiplier", [1.0, 0.01])
def test_equalized_init_stores_unit_normal_over_multiplier(lr_multiplier):
    layer = EqualizedLinear(256, 256, lr_multiplier=lr_multiplier, bias_init=0.5)
    std = layer.weight.std().item() * lr_multiplier  # 65536 draws: +-0.3% (1 sigma)
    assert std == pytest.approx(1.0, abs=0.02)
    # the effective bias starts at bias_init, whatever the multiplier
    torch.testing.assert_close(layer.effective_bias(), torch.full((256,), 0.5))


@pytest.mark.parametrize("gain", [math.sqrt(2), 1.0])
def test_equalized_output_std_is_gain_times_input_std(gain):
    linear = EqualizedLinear(512, 512, gain=gain)
    y = linear(torch.randn(256, 512))  # 131072 outputs
    assert y.std().item() == pytest.approx(gain, rel=0.03)
    conv = EqualizedConv2d(32, 32, 3, gain=gain)  # no padding: every output sees 288
    y = conv(torch.randn(16, 32, 18, 18))  # 131072 outputs
    assert y.std().item() == pytest.approx(gain, rel=0.03)


def _relative_change_after_one_adam_step(layer: nn.Module, fan_in: int) -> float:
    """||w_1 - w_0|| / ||w_0|| of the effective weight after Adam's first step."""
    effective = getattr(layer, "effective_weight", lambda: layer.weight)
    before = effective().detach().clone()
    optimizer = torch.optim.Adam(layer.parameters(), lr=1e-3)
    x, target = torch.randn(64, fan_in), torch.randn(64, 32)
    (layer(x) * target).sum().backward()
    optimizer.step()
    return ((effective().detach() - before).norm() / before.norm()).item()


def test_adam_moves_every_equalized_layer_at_the_same_relative_speed():
    """Chapter 9: with equalized lr, the first Adam step changes the effective weight
    by the same relative amount whatever the fan-in; a plain layer's relative change
    grows like sqrt(fan-in) (here sqrt(1024 / 16) = 8)."""
    equalized = [
        _relative_change_after_one_adam_step(EqualizedLinear(n, 32), n)
        for n in (16, 1024)
    ]
    plain = [
        _relative_change_after_one_adam_step(nn.Linear(n, 32), n) for n in (16, 1024)
    ]
    assert equalized[1] / equalized[0] == pytest.approx(1.0, abs=0.1)
    assert plain[1] / plain[0] == pytest.approx(8.0, rel=0.1)


@pytest.mark.parametrize("lr_multiplier", [1.0, 0.01])
def test_adam_step_on_the_effective_weight_is_lr_times_weight_scale(lr_multiplier):
    # Adam's first step moves every stored entry by lr * g / (|g| + eps) ~ lr, so the
    # effective weight moves by lr * weight_scale per entry. In float64: stored
    # entries ~ 1 / lr_multiplier = 100 would round a 1e-3 step by ~1% in float32
    layer = EqualizedLinear(128, 32, lr_multiplier=lr_multiplier).double()
    before = layer.effective_weight().detach().clone()
    optimizer = torch.optim.Adam(layer.parameters(), lr=1e-3)
    x, target = torch.randn(64, 128).double(), torch.randn(64, 32).double()
    (layer(x) * target).sum().backward()
    optimizer.step()
    step = (layer.effective_weight().detach() - before).abs()
    grad = layer.weight.grad.abs()
    expected = 1e-3 * layer.weight_scale * grad / (grad + 1e-8)  # Adam's eps = 1e-8
    torch.testing.assert_close(step, expected, rtol=1e-6, atol=0)
    assert expected.min() > 0.99 * 1e-3 * layer.weight_scale  # eps barely matters


def test_equalized_layers_refuse_wrong_inputs():
    with pytest.raises(ValueError, match=r"\(B, 8\)"):
        EqualizedLinear(8, 2)(torch.randn(3, 9))
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        EqualizedConv2d(3, 2, 3)(torch.randn(3, 4, 5, 5))
    with pytest.raises(ValueError, match="lr_multiplier"):
        EqualizedLinear(8, 2, lr_multiplier=0.0)


# --- pixel norm -------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 16), (4, 16, 5, 6)])
def test_pixel_norm_gives_unit_mean_square_at_every_pixel(shape):
    x = torch.randn(shape) * 3.0 + 1.0
    mean_square = pixel_norm(x).square().mean(dim=1)
    ones = torch.ones_like(mean_square)
    torch.testing.assert_close(mean_square, ones, rtol=0, atol=1e-5)
    torch.testing.assert_close(PixelNorm()(x), pixel_norm(x), rtol=0, atol=0)


@pytest.mark.parametrize("c", [0.1, 7.0, 1e3])
def test_pixel_norm_is_scale_invariant(c):
    # exact but for eps: a pixel of mean square m moves by a relative eps / (2 c^2 m),
    # below 1e-5 while c^2 m > 1e-3 (true here at every pixel)
    x = torch.randn(3, 8, 4, 4)
    torch.testing.assert_close(pixel_norm(c * x), pixel_norm(x), rtol=1e-5, atol=1e-6)


def test_pixel_norm_epsilon_sits_inside_the_square_root():
    # a pixel of mean square eps comes out with mean square eps / (eps + eps) = 1/2
    x = torch.full((1, 4, 1, 1), 1e-4, dtype=torch.float64)
    assert pixel_norm(x).square().mean().item() == pytest.approx(0.5, rel=1e-9)


def test_pixel_norm_epsilon_keeps_a_zero_pixel_finite():
    out = pixel_norm(torch.zeros(2, 4, 3, 3))
    assert torch.equal(out, torch.zeros(2, 4, 3, 3))  # 0 / sqrt(0 + eps), not NaN


# --- AdaIN ------------------------------------------------------------------------


def _map_stats(y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-(sample, channel) mean and biased std over the pixels."""
    mean = y.mean(dim=(2, 3))
    return mean, (y - mean[:, :, None, None]).square().mean(dim=(2, 3)).sqrt()


def test_adain_output_has_the_style_mean_and_std():
    x = torch.randn(3, 5, 8, 8) * 4.0 - 2.0
    scale = torch.randn(3, 5) * 2.0  # negative scales too: the std is |scale|
    bias = torch.randn(3, 5)
    mean, std = _map_stats(adain(x, scale, bias))
    torch.testing.assert_close(mean, bias, rtol=0, atol=1e-4)
    torch.testing.assert_close(std, scale.abs(), rtol=0, atol=1e-4)


def test_adain_with_unit_style_is_instance_norm_with_biased_variance():
    x = torch.randn(2, 4, 6, 6) * 3.0 + 5.0
    ones, zeros = torch.ones(2, 4), torch.zeros(2, 4)
    expected = F.instance_norm(x, eps=1e-8)  # biased variance, eps inside the sqrt
    torch.testing.assert_close(adain(x, ones, zeros), expected, rtol=1e-5, atol=1e-5)


def test_adain_epsilon_sits_inside_the_square_root():
    # a map of variance eps comes out with std sqrt(eps / (eps + eps)) = 1/sqrt(2)
    x = torch.tensor([1e-4, -1e-4], dtype=torch.float64).reshape(1, 1, 1, 2)
    ones = torch.ones(1, 1, dtype=torch.float64)
    out = adain(x, ones, torch.zeros_like(ones))
    assert out.abs().max().item() == pytest.approx(2**-0.5, rel=1e-9)


def test_adain_is_invariant_to_an_affine_change_of_each_input_map():
    x = torch.randn(2, 4, 6, 6)
    a = torch.rand(2, 4, 1, 1) * 5.0 + 0.1  # a positive gain per (sample, channel)
    b = torch.randn(2, 4, 1, 1) * 10.0
    scale, bias = torch.randn(2, 4), torch.randn(2, 4)
    torch.testing.assert_close(
        adain(a * x + b, scale, bias), adain(x, scale, bias), rtol=1e-4, atol=1e-4
    )


def test_adain_replaces_the_statistics_instead_of_adding_to_them():
    x = torch.randn(2, 4, 6, 6)
    shifted = 3.0 * x + 2.0  # another layer's style, already in the map
    scale, bias = torch.randn(2, 4), torch.randn(2, 4)
    torch.testing.assert_close(
        adain(shifted, scale, bias), adain(x, scale, bias), rtol=1e-4, atol=1e-4
    )
    # a plain scale-and-shift (no normalization) keeps the old statistics: it adds
    film = scale[:, :, None, None] * shifted + bias[:, :, None, None]
    assert not torch.allclose(_map_stats(film)[0], bias, atol=1e-2)


def test_adain_layer_starts_at_instance_norm_and_uses_its_style_affine():
    layer = AdaIN(channels=4, w_dim=10)
    torch.testing.assert_close(
        layer.style.effective_bias(), torch.cat([torch.ones(4), torch.zeros(4)])
    )
    assert layer.style.weight_scale == pytest.approx(1.0 / math.sqrt(10))  # gain 1
    x = torch.randn(3, 4, 5, 5)
    torch.testing.assert_close(
        layer(x, torch.zeros(3, 10)), F.instance_norm(x, eps=1e-8), rtol=1e-5, atol=1e-5
    )
    w = torch.randn(3, 10)
    style = layer.style(w)
    torch.testing.assert_close(layer(x, w), adain(x, style[:, :4], style[:, 4:]))


def test_adain_refuses_mismatched_styles():
    with pytest.raises(ValueError, match="scale"):
        adain(torch.randn(2, 4, 3, 3), torch.ones(2, 5), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="w of shape"):
        AdaIN(4, 10)(torch.randn(2, 4, 3, 3), torch.randn(2, 9))


# --- noise injection --------------------------------------------------------------


@pytest.mark.parametrize("per_channel", [True, False])
def test_noise_with_zero_strength_is_the_identity(per_channel):
    layer = NoiseInjection(6, per_channel=per_channel)
    assert layer.strength.shape == ((6,) if per_channel else ())
    assert torch.count_nonzero(layer.strength) == 0
    x = torch.randn(3, 6, 5, 5)
    assert torch.equal(layer(x, torch.randn(3, 1, 5, 5) * 1e6), x)
    assert torch.equal(layer(x), x)


@pytest.mark.parametrize("per_channel", [True, False])
def test_noise_adds_strength_times_noise_and_its_gradient_reaches_the_strength(
    per_channel,
):
    layer = NoiseInjection(6, per_channel=per_channel)
    with torch.no_grad():
        layer.strength.copy_(torch.randn(layer.strength.shape))
    x, noise = torch.randn(3, 6, 5, 5), torch.randn(3, 1, 5, 5)
    out = layer(x, noise)
    torch.testing.assert_close(out, x + noise * layer.strength.reshape(1, -1, 1, 1))
    out.sum().backward()
    # d/ds_c sum(x + s_c n) = sum over samples and pixels of n (times C when shared)
    expected = noise.sum().expand(6) if per_channel else 6 * noise.sum()
    torch.testing.assert_close(layer.strength.grad, expected)


def test_noise_is_drawn_from_the_global_generator_per_sample():
    layer = NoiseInjection(2)
    with torch.no_grad():
        layer.strength.fill_(1.0)
    x = torch.zeros(4, 2, 3, 3)
    torch.manual_seed(123)
    out = layer(x)
    torch.manual_seed(123)
    torch.testing.assert_close(out, torch.randn(4, 1, 3, 3).expand(4, 2, 3, 3))
    assert not torch.equal(out[0], out[1])  # a fresh image for every sample


def test_noise_refuses_a_wrong_shape():
    with pytest.raises(ValueError, match="noise must have shape"):
        NoiseInjection(2)(torch.zeros(4, 2, 3, 3), torch.zeros(4, 2, 3, 3))


# --- modulated convolution --------------------------------------------------------


def _modulated_inputs(batch=3, in_channels=4, out_channels=5, k=3, size=6):
    x = torch.randn(batch, in_channels, size, size)
    weight = torch.randn(out_channels, in_channels, k, k)
    weight = weight / math.sqrt(in_channels * k * k)  # equalized lr, gain 1
    styles = torch.randn(batch, in_channels) + 1.0
    return x, weight, styles


def test_demodulated_filters_have_unit_norm_per_sample():
    _, weight, styles = _modulated_inputs()
    w = modulated_weight(weight, styles)  # (B, O, I, k, k)
    norms = w.flatten(2).norm(dim=2)  # (B, O)
    torch.testing.assert_close(norms, torch.ones(3, 5), rtol=0, atol=1e-5)
    # without demodulation the norms follow the styles
    modulated_only = modulated_weight(weight, styles, demodulate=False)
    assert not torch.allclose(modulated_only.flatten(2).norm(dim=2), norms, atol=0.1)


@pytest.mark.parametrize("fused", [True, False])
def test_demodulated_output_ignores_a_positive_rescaling_of_the_styles(fused):
    x, weight, styles = _modulated_inputs()
    out = modulated_conv2d(x, weight, styles, fused=fused)
    rescaled = modulated_conv2d(x, weight, 7.5 * styles, fused=fused)
    torch.testing.assert_close(rescaled, out, rtol=1e-5, atol=1e-5)
    # without demodulation the output scales with the styles
    plain = modulated_conv2d(x, weight, styles, demodulate=False, fused=fused)
    rescaled = modulated_conv2d(x, weight, 7.5 * styles, demodulate=False, fused=fused)
    torch.testing.assert_close(rescaled, 7.5 * plain)


@pytest.mark.parametrize("demodulate", [True, False])
def test_fused_and_non_fused_modulated_conv_agree(demodulate):
    x, weight, styles = _modulated_inputs()
    fused = modulated_conv2d(x, weight, styles, demodulate, fused=True)
    separate = modulated_conv2d(x, weight, styles, demodulate, fused=False)
    torch.testing.assert_close(fused, separate, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("demodulate", [True, False])
def test_modulated_conv_convolves_each_sample_with_its_own_weight(demodulate):
    x, weight, styles = _modulated_inputs()
    out = modulated_conv2d(x, weight, styles, demodulate)
    for b in range(3):  # the definition, one sample at a time, in float64
        w = weight.double() * styles[b].double()[None, :, None, None]  # scale inputs
        if demodulate:
            w = w / (w.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8).sqrt()
        expected = F.conv2d(x[b : b + 1].double(), w, padding=1)
        torch.testing.assert_close(
            out[b : b + 1].double(), expected, rtol=1e-5, atol=1e-5
        )


def test_modulated_conv_shapes_and_padding():
    x, weight, styles = _modulated_inputs()
    assert modulated_conv2d(x, weight, styles).shape == (3, 5, 6, 6)
    assert modulated_conv2d(x, weight, styles, padding=0).shape == (3, 5, 4, 4)
    separate = modulated_conv2d(x, weight, styles, fused=False, padding=0)
    assert separate.shape == (3, 5, 4, 4)
    with pytest.raises(ValueError, match="styles must have shape"):
        modulated_conv2d(x, weight, styles[:, :3])
    with pytest.raises(ValueError, match="x must have shape"):
        modulated_conv2d(x[:, :3], weight, styles)


@pytest.mark.parametrize("fused", [True, False])
def test_modulated_conv_layer_forward_and_gradients(fused):
    layer = ModulatedConv2d(4, 6, 3, w_dim=8, fused=fused)
    # the style starts at s = 1 + ..., as the official affine's bias_init = 1
    torch.testing.assert_close(layer.affine.effective_bias(), torch.ones(4))
    assert layer.affine.weight_scale == pytest.approx(1.0 / math.sqrt(8))  # gain 1
    assert layer.weight_scale == pytest.approx(1.0 / math.sqrt(4 * 9))
    x = torch.randn(2, 4, 5, 5, requires_grad=True)
    w = torch.randn(2, 8)
    out = layer(x, w)
    assert out.shape == (2, 6, 5, 5)
    expected = modulated_conv2d(x, layer.weight * layer.weight_scale, layer.affine(w))
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    (out * torch.randn_like(out)).sum().backward()
    affine = layer.affine
    for grad in (layer.weight.grad, affine.weight.grad, affine.bias.grad, x.grad):
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0


# --- self-attention ---------------------------------------------------------------


def test_self_attention_starts_as_the_identity():
    layer = SelfAttention(16)
    assert layer.gamma.item() == 0.0
    x = torch.randn(2, 16, 6, 4)
    assert torch.equal(layer(x), x)
    assert layer.theta.weight.shape == (2, 16, 1, 1)  # C / 8
    assert layer.g.weight.shape == (8, 16, 1, 1)  # C / 2
    assert layer.o.weight.shape == (16, 8, 1, 1)


def test_self_attention_mixes_distant_pixels_and_its_gradient_reaches_gamma():
    layer = SelfAttention(16)
    with torch.no_grad():
        layer.gamma.fill_(1.0)
    x = torch.randn(2, 16, 6, 4, requires_grad=True)
    out = layer(x)
    assert out.shape == x.shape
    # one output pixel depends on a far-away input pixel (a 1x1 conv never would)
    out[0, :, 0, 0].sum().backward()
    assert x.grad[0, :, 5, 3].abs().sum() > 0
    assert x.grad[1].abs().sum() == 0  # samples stay separate
    layer.zero_grad()
    with torch.no_grad():
        layer.gamma.zero_()
    layer(x).square().sum().backward()
    assert layer.gamma.grad is not None and layer.gamma.grad.abs() > 0


def test_self_attention_on_a_constant_image_averages_constant_values():
    # every query sees equal logits, so its weights are uniform over the N/4 pooled
    # keys and sum to 1: the output is x + gamma * o(g(x)) at every pixel
    layer = SelfAttention(16, spectral_norm=False)
    with torch.no_grad():
        layer.gamma.fill_(0.7)
    pixel = torch.randn(2, 16)
    x = pixel[:, :, None, None].expand(2, 16, 4, 6)
    value = pixel @ layer.g.weight.flatten(1).T  # (B, C/2)
    expected = pixel + 0.7 * value @ layer.o.weight.flatten(1).T  # (B, C)
    out = layer(x)
    torch.testing.assert_close(out, expected[:, :, None, None].expand_as(out))


def test_self_attention_spectral_norm_and_bad_shapes():
    layer = SelfAttention(16)
    for _ in range(30):  # power iteration converges in training mode
        layer(torch.randn(1, 16, 4, 4))
    sigma = torch.linalg.matrix_norm(layer.o.weight.detach().flatten(1), ord=2)
    assert sigma.item() == pytest.approx(1.0, abs=1e-3)
    assert not hasattr(SelfAttention(16, spectral_norm=False).o, "parametrizations")
    with pytest.raises(ValueError, match="divisible by 8"):
        SelfAttention(12)
    with pytest.raises(ValueError, match="even H and W"):
        layer(torch.randn(1, 16, 5, 4))


# --- one graph under torch.compile -----------------------------------------------


def _attention_with_gain() -> nn.Module:
    layer = SelfAttention(16).eval()  # eval: no power-iteration update per call
    with torch.no_grad():
        layer.gamma.fill_(0.5)
    return layer


def _noise_with_strength() -> nn.Module:
    layer = NoiseInjection(4)
    with torch.no_grad():
        layer.strength.normal_()
    return layer


COMPILE_CASES = {
    "equalized_linear": (lambda: EqualizedLinear(8, 4), lambda: (torch.randn(2, 8),)),
    "equalized_conv": (
        lambda: EqualizedConv2d(4, 4, 3, padding=1),
        lambda: (torch.randn(2, 4, 6, 6),),
    ),
    "pixel_norm": (PixelNorm, lambda: (torch.randn(2, 4, 6, 6),)),
    "adain": (
        lambda: AdaIN(4, 8),
        lambda: (torch.randn(2, 4, 6, 6), torch.randn(2, 8)),
    ),
    "noise": (
        _noise_with_strength,
        lambda: (torch.randn(2, 4, 6, 6), torch.randn(2, 1, 6, 6)),
    ),
    "modulated_fused": (
        lambda: ModulatedConv2d(4, 4, 3, w_dim=8),
        lambda: (torch.randn(2, 4, 6, 6), torch.randn(2, 8)),
    ),
    "modulated_separate": (
        lambda: ModulatedConv2d(4, 4, 3, w_dim=8, fused=False),
        lambda: (torch.randn(2, 4, 6, 6), torch.randn(2, 8)),
    ),
    "self_attention": (_attention_with_gain, lambda: (torch.randn(2, 16, 6, 6),)),
}


@pytest.mark.parametrize("name", sorted(COMPILE_CASES))
def test_layer_compiles_to_one_graph_with_the_same_output(name):
    build, make_inputs = COMPILE_CASES[name]
    layer, inputs = build(), make_inputs()
    compiled = torch.compile(layer, backend="aot_eager", fullgraph=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(*inputs), layer(*inputs))
