"""Partial convolution (gan_lib/layers/partial_conv.py): its exact identities."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gan_lib.layers.partial_conv import PartialConv2d


def layer(padding: int = 0, bias: bool = True, in_channels: int = 3) -> PartialConv2d:
    torch.manual_seed(0)
    return PartialConv2d(in_channels, 4, 3, padding=padding, bias=bias).double()


def test_all_ones_mask_without_padding_is_the_ordinary_convolution():
    conv = layer()
    x = torch.randn(2, 3, 9, 9, dtype=torch.float64)
    out, new_mask = conv(x, torch.ones(2, 1, 9, 9, dtype=torch.float64))
    torch.testing.assert_close(out, F.conv2d(x, conv.weight, conv.bias), rtol=0,
                               atol=1e-14)
    assert torch.all(new_mask == 1)


def test_with_padding_only_the_border_is_reweighted():
    conv = layer(padding=1)
    x = torch.randn(1, 3, 8, 8, dtype=torch.float64)
    out, _ = conv(x, torch.ones(1, 1, 8, 8, dtype=torch.float64))
    plain = F.conv2d(x, conv.weight, conv.bias, padding=1)
    torch.testing.assert_close(out[..., 1:-1, 1:-1], plain[..., 1:-1, 1:-1], rtol=0,
                               atol=1e-14)
    bias = conv.bias.view(1, -1)
    # a corner sees 4 of 9 entries: (plain - b) * 9/4 + b
    torch.testing.assert_close(out[..., 0, 0], (plain[..., 0, 0] - bias) * 9 / 4 + bias)
    torch.testing.assert_close(out[..., 0, 3], (plain[..., 0, 3] - bias) * 9 / 6 + bias)


def test_output_ignores_the_values_inside_the_hole():
    conv = layer(padding=1)
    mask = torch.ones(1, 1, 8, 8, dtype=torch.float64)
    mask[..., 2:6, 3:7] = 0
    x = torch.randn(1, 3, 8, 8, dtype=torch.float64)
    y = x.clone()
    y[..., 2:6, 3:7] = 1e6 * torch.randn(1, 3, 4, 4, dtype=torch.float64)
    a, ma = conv(x, mask)
    b, mb = conv(y, mask)
    assert torch.equal(a, b) and torch.equal(ma, mb)


def test_window_with_no_valid_pixel_outputs_zero_and_stays_a_hole():
    conv = layer(padding=1)
    mask = torch.ones(1, 1, 8, 8, dtype=torch.float64)
    mask[..., 1:7, 1:7] = 0  # a 6 x 6 hole: its 4 x 4 centre sees no valid pixel
    out, new_mask = conv(torch.randn(1, 3, 8, 8, dtype=torch.float64), mask)
    expected = torch.ones(1, 1, 8, 8, dtype=torch.float64)
    expected[..., 2:6, 2:6] = 0
    assert torch.equal(new_mask, expected)
    assert torch.all(out[..., 2:6, 2:6] == 0)


def test_a_hole_shrinks_by_one_pixel_per_side_per_3x3_layer():
    conv = layer(padding=1)
    mask = torch.ones(1, 1, 16, 16, dtype=torch.float64)
    mask[..., 3:13, 3:13] = 0  # 10 x 10
    x = torch.randn(1, 3, 16, 16, dtype=torch.float64)
    sizes = []
    for _ in range(6):
        _, mask = conv(x, mask)
        sizes.append(int((mask[0, 0] == 0).sum().sqrt()))
    assert sizes == [8, 6, 4, 2, 0, 0]


def test_per_channel_mask_counts_every_channel():
    conv = layer()
    x = torch.randn(1, 3, 5, 5, dtype=torch.float64)
    mask = torch.ones(1, 3, 5, 5, dtype=torch.float64)
    mask[:, 0] = 0  # channel 0 missing everywhere: 18 of 27 entries valid
    out, _ = conv(x, mask)
    plain = F.conv2d(x * mask, conv.weight, None)
    torch.testing.assert_close(out, plain * 27 / 18 + conv.bias.view(1, -1, 1, 1))


def test_gradient_flows_to_weights_but_not_through_the_mask():
    conv = layer(padding=1)
    mask = torch.ones(1, 1, 6, 6, dtype=torch.float64, requires_grad=True)
    out, new_mask = conv(torch.randn(1, 3, 6, 6, dtype=torch.float64), mask)
    out.sum().backward()
    assert conv.weight.grad.abs().sum() > 0 and not new_mask.requires_grad


def test_bad_inputs_are_refused():
    conv = layer()
    x = torch.randn(1, 3, 5, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match="mask must be binary"):
        conv(x, torch.full((1, 1, 5, 5), 0.5, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"mask must be \(B, 1 or 3, H, W\)"):
        conv(x, torch.ones(1, 2, 5, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"x must be \(B, 3, H, W\)"):
        conv(torch.randn(1, 2, 5, 5), torch.ones(1, 1, 5, 5))
    with pytest.raises(ValueError, match="groups=1, dilation=1 and zero padding"):
        PartialConv2d(3, 3, 3, dilation=2)
