"""The pix2pix networks: PatchGAN's receptive field and locality, the U-Net's shapes,
skips, dropout and errors, and one compiled graph of each."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_lib import models
from gan_lib.layers.unet import UNetDown, UNetUp
from gan_lib.models.pix2pix import (
    PatchGAN,
    UNetGenerator,
    patch_layers,
    receptive_field,
    unet_depth,
)


def _gradient_support(D: nn.Module, side: int, channels: int) -> tuple[int, int]:
    """Height and width of the input region on which the centre logit depends."""
    x = torch.randn(1, channels, side, side, requires_grad=True)
    logits = D(x)
    h, w = logits.shape[2] // 2, logits.shape[3] // 2
    (grad,) = torch.autograd.grad(logits[0, 0, h, w], x)
    rows = grad.abs().sum(dim=(0, 1, 3)).nonzero()
    cols = grad.abs().sum(dim=(0, 1, 2)).nonzero()
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


# --- PatchGAN ----------------------------------------------------------------------


@pytest.mark.parametrize("num_layers,expected", [(1, 16), (2, 34), (3, 70), (5, 286)])
def test_receptive_field_matches_the_paper(num_layers, expected):
    # Isola et al. (2017), Section 4.4 / Table 2: 16, 70 and 286; 34 for 2 layers
    assert receptive_field(num_layers) == expected
    D = PatchGAN(3, num_layers=num_layers, base_channels=2)
    assert D.receptive_field == expected


def test_receptive_field_recursion_by_hand():
    # r -> 2 r + 2 per stride-2 layer after 1 -> 4 -> 7 for the stride-1 pair
    r = 7
    for n in range(1, 7):
        r = 2 * r + 2
        assert receptive_field(n) == r
    assert patch_layers(2) == [(4, 2), (4, 2), (4, 1), (4, 1)]


@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("norm", ["none", "batch"])
def test_gradient_support_is_the_receptive_field(num_layers, norm):
    # (instance norm mixes every position of a map through its statistics, by design)
    torch.manual_seed(0)
    D = PatchGAN(2, num_layers=num_layers, base_channels=4, norm=norm)
    D.eval()  # BatchNorm in training mode mixes positions through its statistics
    r = receptive_field(num_layers)
    side = 2 * r + 2**num_layers * 4
    assert _gradient_support(D, side, 2) == (r, r)


def test_a_pixel_outside_the_receptive_field_leaves_the_logit_bitwise_unchanged():
    torch.manual_seed(1)
    D = PatchGAN(3, num_layers=3, base_channels=4, norm="none")
    x = torch.randn(1, 3, 96, 96)
    logits = D(x)  # (1, 1, 10, 10)
    # find the columns logit (0, 0) reads (its window, clipped by the zero padding)
    # from the gradient, then poke the first column past it, and the last one in it
    x_req = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_req)[0, 0, 0, 0], x_req)
    cols = grad.abs().sum(dim=(0, 1, 2)).nonzero()
    last = int(cols.max())
    y = x.clone()
    y[0, :, 0, last + 1] += 100.0
    assert torch.equal(D(y)[0, 0, 0, 0], logits[0, 0, 0, 0])
    y = x.clone()
    y[0, :, 0, last] += 100.0
    assert not torch.equal(D(y)[0, 0, 0, 0], logits[0, 0, 0, 0])


@pytest.mark.parametrize("side", [16, 32, 64, 256])
def test_patchgan_output_side(side):
    D = PatchGAN(6, num_layers=2, base_channels=2)
    out = D(torch.randn(2, 6, side, side))
    assert out.shape == (2, 1, side // 4 - 2, side // 4 - 2)
    assert D.output_size(side) == side // 4 - 2


def test_patchgan_matches_the_official_70x70_size():
    # official NLayerDiscriminator(6, 64, n_layers=3): 2.769 M parameters, 30 x 30
    D = PatchGAN(6)
    assert sum(p.numel() for p in D.parameters()) == 2_768_705
    assert D(torch.randn(1, 6, 256, 256)).shape == (1, 1, 30, 30)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in D.modules()) == 3


def test_patchgan_norms():
    inst = PatchGAN(3, num_layers=2, base_channels=4, norm="instance")
    assert sum(isinstance(m, nn.InstanceNorm2d) for m in inst.modules()) == 2
    none = PatchGAN(3, num_layers=2, base_channels=4, norm="none")
    norms = (nn.BatchNorm2d, nn.InstanceNorm2d)
    assert not any(isinstance(m, norms) for m in none.modules())
    convs = [m for m in none.modules() if isinstance(m, nn.Conv2d)]
    assert all(c.bias is not None for c in convs)


def test_patchgan_bad_inputs():
    with pytest.raises(ValueError, match=r"norm must be .*; got 'group'"):
        PatchGAN(3, norm="group")
    with pytest.raises(ValueError, match="num_layers must be a positive int; got 0"):
        PatchGAN(3, num_layers=0)
    D = PatchGAN(4, num_layers=3, base_channels=2)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 4, H, W\); got"):
        D(torch.randn(2, 3, 32, 32))
    with pytest.raises(ValueError, match=r"at least 24; got \(16, 16\)"):
        D(torch.randn(2, 4, 16, 16))


# --- U-Net ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [4, 8, 16, 32, 64])
def test_unet_output_shape_equals_input_shape(size):
    G = UNetGenerator(1, 3, size, base_channels=4, max_channels=16)
    assert G.depth == unet_depth(size) == size.bit_length() - 1
    out = G(torch.randn(2, 1, size, size))
    assert out.shape == (2, 3, size, size)
    assert out.abs().max() <= 1.0


def test_unet_256_is_the_papers_network():
    G = UNetGenerator(3, 3, 256)
    assert G.depth == 8
    enc = [stage.conv.out_channels for stage in G.encoder]
    assert enc == [64, 128, 256, 512, 512, 512, 512, 512]
    dec = [stage.conv.out_channels for stage in G.decoder]
    assert dec == [512, 512, 512, 512, 256, 128, 64]
    dropouts = [isinstance(stage.dropout, nn.Dropout) for stage in G.decoder]
    assert dropouts == [True] * 3 + [False] * 4
    # no BatchNorm at the first stage (appendix 6.1.1) nor at the 1 x 1 bottleneck
    has_bn = [isinstance(stage.norm, nn.BatchNorm2d) for stage in G.encoder]
    assert has_bn == [False] + [True] * 6 + [False]
    # the official unet_256 has 54.414 M parameters; ours adds the biases of the
    # two BatchNorm-free encoder convolutions (64 + 512)
    assert sum(p.numel() for p in G.parameters()) == 54_413_955 + 64 + 512


def test_unet_blocks_shapes():
    down = UNetDown(3, 8)
    assert down(torch.randn(2, 3, 16, 16)).shape == (2, 8, 8, 8)
    up = UNetUp(8, 4, dropout=0.5)
    assert up(torch.randn(2, 8, 8, 8), torch.randn(2, 5, 16, 16)).shape == (
        2, 9, 16, 16,
    )
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\); got 1.0"):
        UNetUp(8, 4, dropout=1.0)


def test_unet_skips_carry_fine_detail():
    # with the bottleneck zeroed, the output still depends on the input through the
    # skips: a U-Net is not a plain encoder-decoder
    torch.manual_seed(2)
    G = UNetGenerator(1, 1, 16, base_channels=4, max_channels=8).eval()
    with torch.no_grad():
        G.encoder[-1].conv.weight.zero_()
        G.encoder[-1].conv.bias.zero_()
        x = torch.randn(1, 1, 16, 16)
        y = x.clone()
        y[0, 0, 3, 3] += 1.0
        assert not torch.equal(G(x), G(y))


def test_unet_dropout_is_its_only_noise():
    torch.manual_seed(3)
    G = UNetGenerator(1, 3, 16, base_channels=4, max_channels=8)
    x = torch.randn(4, 1, 16, 16)
    G.eval()
    assert torch.equal(G(x), G(x))  # deterministic at evaluation
    G.train()
    assert not torch.equal(G(x), G(x))  # dropout draws a different mask per call
    quiet = UNetGenerator(1, 3, 16, base_channels=4, max_channels=8, dropout=0.0)
    quiet.load_state_dict(G.state_dict())
    quiet.train()
    assert torch.equal(quiet(x), quiet(x))


@pytest.mark.parametrize("size", [0, 2, 3, 12, 24, 100, 16.0, True])
def test_unet_refuses_sizes_it_cannot_halve_to_one(size):
    with pytest.raises(ValueError, match=r"image_size must be a power of two >= 4"):
        UNetGenerator(1, 3, size)


def test_unet_refuses_an_input_of_another_size():
    G = UNetGenerator(1, 3, 16, base_channels=4)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 16, 16\); got "
                       r"\(2, 1, 32, 32\)"):
        G(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"got \(2, 3, 16, 16\)"):
        G(torch.randn(2, 3, 16, 16))


def test_registered_names_build_the_classes():
    G = models.get("unet_generator", in_channels=1, out_channels=3, image_size=8,
                   base_channels=2)
    D = models.get("patchgan_discriminator", in_channels=4, num_layers=1)
    assert isinstance(G, UNetGenerator) and isinstance(D, PatchGAN)


def test_compiled_graphs_match_eager():
    torch.manual_seed(4)
    G = UNetGenerator(1, 3, 16, base_channels=4, max_channels=8).eval()
    D = PatchGAN(4, num_layers=2, base_channels=4, norm="instance")
    x = torch.randn(2, 1, 16, 16)
    xy = torch.randn(2, 4, 16, 16)
    cg = torch.compile(G, backend="aot_eager", fullgraph=True)
    cd = torch.compile(D, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(cg(x), G(x))
    torch.testing.assert_close(cd(xy), D(xy))
    torch._dynamo.reset()
