"""CycleGAN's ResNet generator and its residual block (Zhu et al., 2017, appendix
7.2): shapes, the paper's layout, reflection padding, bad sizes, one compiled graph."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_lib import models
from gan_lib.layers import ResidualBlock
from gan_lib.models.cyclegan import ResNetGenerator


def test_the_residual_block_adds_its_input_back():
    torch.manual_seed(0)
    block = ResidualBlock(4)
    x = torch.randn(2, 4, 8, 8)
    y = block(x)
    assert y.shape == x.shape
    with torch.no_grad():  # zero the second convolution: the block is the identity
        conv = [m for m in block.modules() if isinstance(m, nn.Conv2d)][-1]
        conv.weight.zero_()
        conv.bias.zero_()
    torch.testing.assert_close(block(x), x)
    assert not torch.allclose(y, x)


def test_the_block_pads_by_reflection_with_instance_norm_by_default():
    block = ResidualBlock(3)
    kinds = [type(m) for m in block.block]
    assert kinds == [nn.ReflectionPad2d, nn.Conv2d, nn.InstanceNorm2d, nn.ReLU,
                     nn.ReflectionPad2d, nn.Conv2d, nn.InstanceNorm2d]
    # reflection: a constant image stays constant through the padding, so a
    # convolution of it is constant too, border included (zeros would darken it)
    pad = block.block[0]
    x = torch.ones(1, 3, 5, 5)
    assert torch.equal(pad(x), torch.ones(1, 3, 7, 7))
    zeros = ResidualBlock(3, padding_mode="zeros").block[0]
    assert zeros(x)[0, 0, 0, 0] == 0
    dropped = ResidualBlock(3, dropout=0.5, norm="batch")
    assert any(isinstance(m, nn.Dropout) for m in dropped.block)
    assert any(isinstance(m, nn.BatchNorm2d) for m in dropped.block)
    with pytest.raises(ValueError, match="padding_mode must be"):
        ResidualBlock(3, padding_mode="circular")
    with pytest.raises(ValueError, match="norm must be"):
        ResidualBlock(3, norm="layer")
    with pytest.raises(ValueError, match=r"x must have shape \(B, 3, H, W\)"):
        block(torch.zeros(1, 4, 5, 5))


def test_the_generator_has_the_papers_layout():
    G = models.get("resnet_generator", in_channels=3, out_channels=3)
    convs = [m for m in G.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    # c7s1-64, d128, d256, 9 x R256 (two convolutions each), u128, u64, c7s1-3
    widths = [m.out_channels for m in convs]
    assert widths == [64, 128, 256] + [256] * 18 + [128, 64, 3]
    assert [m.kernel_size for m in (convs[0], convs[-1])] == [(7, 7), (7, 7)]
    assert sum(isinstance(m, ResidualBlock) for m in G.modules()) == 9
    assert isinstance(G.net[-1], nn.Tanh)
    six = ResNetGenerator(3, 3, num_blocks=6)  # the 128-pixel network
    assert sum(isinstance(m, ResidualBlock) for m in six.modules()) == 6
    # the official ResnetGenerator(3, 3, 64, n_blocks=9) has 11,378,179 parameters
    assert sum(p.numel() for p in G.parameters()) == 11_378_179


def test_the_generator_maps_an_image_to_one_of_the_same_size_in_tanh_range():
    torch.manual_seed(0)
    G = ResNetGenerator(1, 3, base_channels=4, num_blocks=2)
    x = torch.randn(2, 1, 24, 32)
    y = G(x)
    assert y.shape == (2, 3, 24, 32)
    assert y.abs().max() < 1
    y.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters())


def test_a_size_the_generator_cannot_take_is_refused():
    G = ResNetGenerator(1, 1, base_channels=4, num_blocks=1)
    with pytest.raises(ValueError, match=r"divisible by 4 and at least 8; got 18 x 16"):
        G(torch.zeros(1, 1, 18, 16))
    with pytest.raises(ValueError, match=r"divisible by 4 and at least 8; got 4 x 4"):
        G(torch.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, H, W\)"):
        G(torch.zeros(1, 3, 16, 16))
    three = ResNetGenerator(1, 1, base_channels=4, num_blocks=1, num_downsampling=3)
    assert three(torch.zeros(1, 1, 16, 16)).shape == (1, 1, 16, 16)
    with pytest.raises(ValueError, match="divisible by 8"):
        three(torch.zeros(1, 1, 12, 12))
    flat = ResNetGenerator(1, 1, base_channels=4, num_blocks=1, num_downsampling=0)
    assert flat(torch.zeros(1, 1, 5, 7)).shape == (1, 1, 5, 7)
    with pytest.raises(ValueError, match="at least 4; got 3 x 3"):  # the 7 x 7 stem
        flat(torch.zeros(1, 1, 3, 3))


def test_the_generator_compiles_to_one_graph():
    torch.manual_seed(0)
    G = ResNetGenerator(1, 1, base_channels=4, num_blocks=1).eval()
    x = torch.randn(2, 1, 16, 16)
    compiled = torch.compile(G, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(compiled(x), G(x))
