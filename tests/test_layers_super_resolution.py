"""Sub-pixel convolution with ICNR (Shi et al., 2016; Aitken et al., 2017) and
ESRGAN's residual-in-residual dense block (Wang et al., 2018)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_lib.layers import RRDB, ResidualDenseBlock, SubPixelUpsample, icnr_


@pytest.mark.parametrize("s", [2, 3])
def test_pixel_shuffle_is_the_permutation_of_the_formula(s):
    u = torch.arange(2 * 5 * s * s * 3 * 4, dtype=torch.float64).reshape(2, 5 * s * s,
                                                                         3, 4)
    y = nn.PixelShuffle(s)(u)  # (2, 5, 3 s, 4 s)
    for c, h, w, i, j in [(0, 0, 0, 0, 0), (4, 2, 3, s - 1, 0), (2, 1, 2, 1, s - 1)]:
        assert y[1, c, h * s + i, w * s + j] == u[1, c * s * s + i * s + j, h, w]
    # a permutation: every entry once, nothing added
    assert torch.equal(y.flatten().sort().values, u.flatten().sort().values)


@pytest.mark.parametrize("s", [2, 3])
def test_icnr_repeats_each_kernel_for_its_s2_phases(s):
    weight = torch.empty(4 * s * s, 3, 3, 3)
    assert icnr_(weight, s) is weight
    groups = weight.view(4, s * s, 3, 3, 3)
    assert torch.equal(groups, groups[:, :1].expand_as(groups))
    assert not torch.equal(groups[0, 0], groups[1, 0])  # distinct kernels per channel


@pytest.mark.parametrize("s", [2, 3])
def test_icnr_sub_pixel_output_is_constant_on_each_block(s):
    torch.manual_seed(0)
    block = SubPixelUpsample(6, s)
    x = torch.randn(2, 6, 5, 7)
    y = block(x)  # (2, 6, 5 s, 7 s)
    assert y.shape == (2, 6, 5 * s, 7 * s)
    corners = y[:, :, ::s, ::s]  # (2, 6, 5, 7)
    nearest = F.interpolate(corners, scale_factor=s, mode="nearest")
    assert torch.equal(y, nearest)
    # = nearest-neighbour upsampling of one conv with the C distinct kernels
    kernels = block.conv.weight[:: s * s]  # (6, 6, 3, 3)
    low = block.activation(F.conv2d(x, kernels, padding=1))
    torch.testing.assert_close(y, F.interpolate(low, scale_factor=s), rtol=0,
                               atol=1e-6)


def test_without_icnr_the_blocks_are_not_constant():
    torch.manual_seed(0)
    y = SubPixelUpsample(6, 2, icnr=False)(torch.randn(2, 6, 5, 5))
    assert not torch.allclose(y, F.interpolate(y[:, :, ::2, ::2], scale_factor=2))


def test_sub_pixel_trains_away_from_icnr_and_checks_inputs():
    block = SubPixelUpsample(4, 2)
    x = torch.randn(3, 4, 6, 6, requires_grad=True)
    (block(x) * torch.randn(3, 4, 12, 12)).sum().backward()
    assert all(p.grad.abs().sum() > 0 for p in block.parameters())
    with pytest.raises(ValueError, match=r"expects \(B, 4, h, w\); got \(3, 5, 6, 6\)"):
        block(torch.randn(3, 5, 6, 6))
    with pytest.raises(ValueError, match="divisible by upscale_factor\\*\\*2 = 4"):
        icnr_(torch.empty(6, 3, 3, 3), 2)
    with pytest.raises(ValueError, match="upscale_factor must be an int >= 2"):
        SubPixelUpsample(4, 1)


def test_residual_dense_block_densely_connects_and_scales_its_residual():
    torch.manual_seed(0)
    block = ResidualDenseBlock(8, 4)
    widths = [conv.in_channels for conv in block.convs]
    assert widths == [8, 12, 16, 20, 24]  # input + k growths
    assert [conv.out_channels for conv in block.convs] == [4, 4, 4, 4, 8]
    x = torch.randn(2, 8, 5, 5)
    with torch.no_grad():
        block.convs[4].weight.zero_()
        block.convs[4].bias.fill_(1.0)
    torch.testing.assert_close(block(x), x + 0.2)  # x + 0.2 * conv5(...) = x + 0.2


def test_rrdb_is_x_plus_a_fifth_of_three_dense_blocks():
    torch.manual_seed(0)
    block = RRDB(8, 4)
    x = torch.randn(2, 8, 6, 6)
    inner = block.blocks[2](block.blocks[1](block.blocks[0](x)))
    torch.testing.assert_close(block(x), x + 0.2 * inner)
    x.requires_grad_(True)
    (block(x) * torch.randn_like(x)).sum().backward()
    assert all(p.grad.abs().sum() > 0 for p in block.parameters())
    with pytest.raises(ValueError, match=r"expects \(B, 8, H, W\)"):
        block(torch.randn(2, 3, 6, 6))


def test_rrdb_init_is_scaled_kaiming():
    torch.manual_seed(0)
    conv = ResidualDenseBlock(64, 32).convs[1]  # fan_in = 96 * 9
    expected = 0.1 * (2 / (96 * 9)) ** 0.5  # BasicSR: kaiming_normal_ x 0.1
    assert conv.weight.std().item() == pytest.approx(expected, rel=0.05)
    assert torch.count_nonzero(conv.bias) == 0
