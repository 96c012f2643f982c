"""SRGAN's generator (SRResNet, with ESRGAN's RRDB trunk as an option) and
discriminator, and ESRGAN's network interpolation."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gan_lib import models
from gan_lib.models.srgan import SRGANDiscriminator, SRResNet, interpolate_networks


@pytest.mark.parametrize("block", ["residual", "rrdb"])
@pytest.mark.parametrize("factor", [2, 4, 8])
def test_generator_upsamples_by_its_factor(block, factor):
    G = SRResNet(1, factor, num_blocks=1, channels=4, block=block)
    assert G(torch.randn(2, 1, 5, 3)).shape == (2, 1, 5 * factor, 3 * factor)


def test_srgan_trunk_has_batch_norm_and_esrgan_trunk_has_none():
    def norms(G):
        return sum(isinstance(m, torch.nn.BatchNorm2d) for m in G.modules())

    assert norms(SRResNet(3, 4, num_blocks=2, channels=4)) == 2 * 2 + 1
    assert norms(SRResNet(3, 4, num_blocks=2, channels=4, block="rrdb")) == 0


@pytest.mark.parametrize("block", ["residual", "rrdb"])
def test_bicubic_residual_adds_the_bicubic_upsampling(block):
    G = SRResNet(3, 4, num_blocks=1, channels=4, block=block).eval()
    last = G.tail if block == "residual" else G.tail[-1]
    with torch.no_grad():
        last.weight.zero_()  # the network's branch now outputs 0
    x = torch.randn(2, 3, 6, 6)
    bicubic = F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.equal(G(x), bicubic)
    plain = SRResNet(3, 4, num_blocks=1, channels=4, block=block,
                     bicubic_residual=False).eval()
    plain.load_state_dict(G.state_dict())
    assert torch.count_nonzero(plain(x)) == 0


def test_sub_pixel_upsampling_starts_free_of_checkerboard():
    torch.manual_seed(0)
    G = SRResNet(3, 4, num_blocks=1, channels=4).eval()
    h = torch.randn(2, 4, 5, 5)
    up = G.upsample[0](h)  # (2, 4, 10, 10): constant 2 x 2 blocks (ICNR)
    assert torch.equal(up, F.interpolate(up[:, :, ::2, ::2], scale_factor=2))


def test_generator_and_discriminator_check_their_inputs():
    G = SRResNet(3, 4, num_blocks=1, channels=4)
    with pytest.raises(ValueError,
                       match=r"expects images \(B, 3, H, W\); got \(2, 1, "):
        G(torch.randn(2, 1, 8, 8))
    with pytest.raises(ValueError, match="power of 2 .* got 3"):
        SRResNet(3, 3)
    with pytest.raises(ValueError, match="block must be 'residual' or 'rrdb'"):
        SRResNet(3, 4, block="dense")
    D = SRGANDiscriminator(3, 32, channels=4, hidden=8)
    with pytest.raises(ValueError, match=r"expects images \(B, 3, 32, 32\); got "
                                         r"\(2, 3, 16, 16\)"):
        D(torch.randn(2, 3, 16, 16))
    with pytest.raises(ValueError, match="multiple of 16 .* got 40"):
        SRGANDiscriminator(3, 40)


def test_discriminator_follows_figure_4():
    D = SRGANDiscriminator(3, 96)  # the paper's sizes
    convs = [m for m in D.features if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [c.stride[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert D.classifier[1].in_features == 512 * 6 * 6
    assert D.classifier[1].out_features == 1024
    assert D(torch.randn(2, 3, 96, 96)).shape == (2,)


def test_network_interpolation_is_exact_at_the_ends_and_linear_between():
    torch.manual_seed(0)
    G_psnr = models.get("srresnet_generator", in_channels=1, num_blocks=1, channels=4)
    G_gan = models.get("srresnet_generator", in_channels=1, num_blocks=1, channels=4)
    G_psnr.train()(torch.randn(4, 1, 4, 4))  # move the BN running statistics
    start, end = G_psnr.state_dict(), G_gan.state_dict()
    at_zero = interpolate_networks(G_psnr, G_gan, 0.0).state_dict()
    at_one = interpolate_networks(G_psnr, G_gan, 1).state_dict()
    half = interpolate_networks(G_psnr, G_gan, 0.5).state_dict()
    for name in start:
        assert torch.equal(at_zero[name], start[name])
        if start[name].is_floating_point():
            assert torch.equal(at_one[name], end[name])
            torch.testing.assert_close(half[name], (start[name] + end[name]) / 2)
        else:  # BN's step counter: the PSNR model's
            assert torch.equal(at_one[name], start[name])
    assert interpolate_networks(G_psnr, G_gan, 0.0) is not G_psnr
    with pytest.raises(ValueError,
                       match=r"alpha must be a number in \[0, 1\]; got 1.5"):
        interpolate_networks(G_psnr, G_gan, 1.5)
    other = models.get("srresnet_generator", in_channels=1, num_blocks=2, channels=4)
    with pytest.raises(ValueError, match="one architecture"):
        interpolate_networks(G_psnr, other, 0.5)


@pytest.mark.parametrize("name,kwargs,x", [
    ("srresnet_generator", dict(in_channels=1, num_blocks=1, channels=4),
     torch.randn(2, 1, 6, 6)),
    ("srresnet_generator", dict(in_channels=1, num_blocks=1, channels=4, block="rrdb"),
     torch.randn(2, 1, 6, 6)),
    ("srgan_discriminator", dict(in_channels=1, image_size=16, channels=4, hidden=8),
     torch.randn(2, 1, 16, 16)),
])
def test_models_compile_to_one_graph(name, kwargs, x):
    torch.manual_seed(0)
    model = models.get(name, **kwargs).eval()
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(compiled(x), model(x))
