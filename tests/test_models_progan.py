"""ProGAN's growing networks: growing changes nothing at alpha = 0 (G upsamples, D
pools), outputs are affine in alpha, the stage travels with checkpoints and the EMA."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gan_lib import models
from gan_lib.models.progan import feature_maps, stage_count
from gan_lib.training.ema import ema_copy, update_ema

SMALL = dict(channels=3, resolution=32, fmap_base=128, fmap_max=32)


def networks():
    torch.manual_seed(0)
    G = models.get("progan_generator", z_dim=16, **SMALL)
    D = models.get("progan_discriminator", **SMALL)
    return G, D


def test_stage_count_and_feature_maps_follow_the_paper():
    assert [stage_count(r) for r in (8, 32, 1024)] == [2, 4, 9]
    assert [feature_maps(8192, 512, k) for k in (0, 4, 5, 8)] == [512, 512, 256, 32]
    with pytest.raises(ValueError, match="power of two >= 8"):
        stage_count(24)


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_right_after_growing_g_upsamples_and_d_pools_the_old_networks(stage):
    G, D = networks()
    z, x = torch.randn(8, 16), torch.rand(8, 3, 32, 32) * 2 - 1
    x = F.avg_pool2d(x, 32 // (4 * 2**stage))  # an image at the new resolution
    G.grow_to(stage - 1)
    D.grow_to(stage - 1)
    old_image, old_logit = G(z), D(F.avg_pool2d(x, 2))
    G.grow_to(stage, alpha=0.0)
    D.grow_to(stage, alpha=0.0)
    assert torch.equal(G(z), F.interpolate(old_image, scale_factor=2, mode="nearest"))
    assert torch.equal(D(x), old_logit)


def test_g_is_affine_in_alpha_and_d_fades_between_its_two_paths():
    G, D = networks()
    z, x = torch.randn(8, 16), torch.rand(8, 3, 16, 16) * 2 - 1
    images = {}
    for alpha in (0.0, 0.3, 1.0):
        G.grow_to(2, alpha)
        images[alpha] = G(z)
    assert not G.fading  # alpha = 1 ends the fade: the old path is not run
    a, b, c = images[0.0], images[0.3], images[1.0]
    torch.testing.assert_close(b, a + 0.3 * (c - a), rtol=1e-5, atol=1e-5)
    # D fades features, then runs nonlinear blocks: its ends are the two paths
    D.grow_to(2, 0.999999)
    near_new = D(x)
    D.grow_to(2, 1.0)
    torch.testing.assert_close(near_new, D(x), rtol=1e-4, atol=1e-5)
    D.grow_to(1)
    old = D(F.avg_pool2d(x, 2))
    D.grow_to(2, 0.0)
    assert torch.equal(D(x), old)


def test_every_layer_of_a_stage_trains_while_it_fades_in():
    G, D = networks()
    G.grow_to(2, 0.5)
    D.grow_to(2, 0.5)
    (G(torch.randn(8, 16)).square().mean() + D(torch.randn(8, 3, 16, 16)).mean()).backward()
    for net, names in ((G, ("to_rgb.1.", "to_rgb.2.", "blocks.1.")),
                       (D, ("from_rgb.1.", "from_rgb.2.", "blocks.1."))):
        for name, p in net.named_parameters():
            if name.startswith(names):
                assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_the_stage_goes_with_the_state_dict_and_the_ema_copies_it():
    G, D = networks()
    G.grow_to(2, 0.25)
    fresh, _ = networks()  # fully grown
    fresh.load_state_dict(G.state_dict())
    assert (fresh.stage, fresh.fading, fresh.alpha.item()) == (2, True, 0.25)
    G_ema = ema_copy(G)
    G.grow_to(3, 0.5)
    update_ema(G_ema, G, decay=0.9)
    assert (G_ema.stage, G_ema.fading, G_ema.alpha.item()) == (3, True, 0.5)  # copied
    z = torch.randn(4, 16)
    assert G_ema(z).shape == (4, 3, 32, 32)


def test_bad_stages_and_resolutions_are_refused():
    G, D = networks()
    with pytest.raises(ValueError, match=r"stage must be an int in \[0, 4\)"):
        G.grow_to(4)
    with pytest.raises(ValueError, match="alpha must lie in"):
        G.grow_to(1, 1.5)
    D.grow_to(1)
    with pytest.raises(ValueError, match=r"\(B, 3, 8, 8\) at stage 1"):
        D(torch.randn(2, 3, 16, 16))
