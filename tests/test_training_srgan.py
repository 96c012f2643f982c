"""The SRGAN game: content + 1e-3 adversarial on (lr, hr) pairs, its relativistic
(ESRGAN) option, the feature content loss, exact resume, and the first stage."""

from __future__ import annotations

import contextlib

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_lib import losses, models
from gan_lib.training import TrainConfig, train
from gan_lib.training.objectives import SRGAN, Context, build
from gan_lib.losses import patch_logits as flatten_logits
from gan_lib.training.objectives.srgan import fit_content


def networks(seed: int = 0):
    torch.manual_seed(seed)
    G = models.get("srresnet_generator", in_channels=1, upscale_factor=2,
                   num_blocks=1, channels=4)
    D = models.get("srgan_discriminator", in_channels=1, image_size=16, channels=4,
                   hidden=8)
    return G, D


def pairs(n: int = 24):
    g = torch.Generator().manual_seed(1)
    hr = torch.rand(n, 1, 16, 16, generator=g) * 2 - 1
    return F.avg_pool2d(hr, 2), hr


def config(**kwargs) -> TrainConfig:
    base = dict(steps=6, batch_size=8, device="cpu", progress=False, log_every=1,
                lr_g=1e-3, lr_d=1e-3)
    return TrainConfig(**{**base, **kwargs})


def bound(game: SRGAN, G: nn.Module, D: nn.Module, data) -> SRGAN:
    """``game`` bound to a hand-made context (no training loop)."""
    opt = torch.optim.SGD(list(G.parameters()) + list(D.parameters()), lr=0.0)
    game.bind(Context(G=G, D=D, opt_G=opt, opt_D=opt, data=data,
                      first=tuple(t[:1] for t in data), device=torch.device("cpu"),
                      batch_size=8, shard=slice(None),
                      autocast=contextlib.nullcontext))
    return game


@pytest.mark.parametrize("relativistic", [False, True])
def test_generator_loss_is_content_plus_weighted_adversarial(relativistic):
    G, D = networks()
    G.eval(), D.eval()
    lr, hr = pairs(8)
    game = bound(SRGAN(relativistic=relativistic), G, D, (lr, hr))
    terms = game.generator_loss(lambda: (lr, hr), 0)
    sr = G(lr)
    assert terms["content"].item() == pytest.approx(F.mse_loss(sr, hr).item())
    real, fake = D(hr), D(sr)
    if relativistic:  # ESRGAN: fake vs the mean real logit, and the reverse
        expected = losses.generator_loss_relativistic_average(real, fake)
    else:
        expected = F.softplus(-fake).mean()  # non-saturating: -log sigmoid(D(G(lr)))
    assert terms["adversarial"].item() == pytest.approx(1e-3 * expected.item(),
                                                        rel=1e-5)
    d_terms = game.discriminator_loss(lambda: (lr, hr), 0)
    d_fn = (losses.discriminator_loss_relativistic_average if relativistic
            else losses.discriminator_loss_bce)
    assert d_terms["adversarial"].item() == pytest.approx(d_fn(real, fake).item(),
                                                          rel=1e-5)


def test_feature_content_loss_compares_frozen_features():
    G, D = networks()
    G.eval()
    phi = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU())
    lr, hr = pairs(8)
    game = bound(SRGAN(adversarial_weight=0.0, content="features", features=phi),
                 G, D, (lr, hr))
    assert not any(p.requires_grad for p in phi.parameters())
    terms = game.generator_loss(lambda: (lr, hr), 0)
    assert set(terms) == {"content"}  # weight 0: no adversarial term
    expected = F.mse_loss(phi(G(lr)), phi(hr))
    assert terms["content"].item() == pytest.approx(expected.item())
    assert terms["content"].item() != pytest.approx(F.mse_loss(G(lr), hr).item())


@pytest.mark.parametrize("relativistic", [False, True])
def test_a_srgan_run_resumes_exactly(tmp_path, relativistic):
    path = str(tmp_path / "run.pt")
    game = lambda: SRGAN(relativistic=relativistic)  # noqa: E731
    straight = train(*networks(), pairs(), config(), objective=game())
    assert {"G/content", "G/adversarial", "D/adversarial"} <= set(straight.history)
    train(*networks(), pairs(), config(steps=3, checkpoint_path=path),
          objective=game())
    torch.randn(5)  # unrelated draws in between
    resumed = train(*networks(), pairs(), config(checkpoint_path=path),
                    objective=game())
    for a, b in [(straight.G, resumed.G), (straight.D, resumed.D)]:
        for (name, p), q in zip(a.state_dict().items(), b.state_dict().values(),
                                strict=True):
            assert torch.equal(p, q), name
    assert resumed.history["G/content"] == straight.history["G/content"]


def test_training_lowers_the_content_loss():
    history = train(*networks(), pairs(), config(steps=30),
                    objective=SRGAN()).history
    assert sum(history["G/content"][-5:]) < sum(history["G/content"][:5])


def test_bad_data_and_arguments_are_refused():
    G, D = networks()
    lr, hr = pairs()
    with pytest.raises(ValueError, match="paired data \\(lr, hr\\)"):
        train(G, D, hr, config(), objective=SRGAN())
    with pytest.raises(ValueError, match="HR images must be 2x the LR ones; got LR "
                                         "\\(8, 8\\) and HR \\(32, 32\\)"):
        train(G, D, (lr, F.interpolate(hr, scale_factor=2)), config(),
              objective=SRGAN())
    with pytest.raises(ValueError, match="one C"):
        train(G, D, (lr.expand(-1, 3, -1, -1), hr), config(), objective=SRGAN())
    with pytest.raises(ValueError, match="needs a features network"):
        SRGAN(content="features")
    with pytest.raises(ValueError, match="content must be 'pixel' or 'features'"):
        SRGAN(content="vgg")
    with pytest.raises(ValueError, match="adversarial_weight must be >= 0"):
        SRGAN(adversarial_weight=-1.0)


def test_patch_logit_maps_are_scored_per_patch():
    assert flatten_logits(torch.zeros(4)).shape == (4,)
    assert flatten_logits(torch.zeros(4, 1)).shape == (4,)
    assert flatten_logits(torch.zeros(4, 1, 3, 3)).shape == (36,)
    with pytest.raises(ValueError, match=r"got \(4, 2, 3, 3\)"):
        flatten_logits(torch.zeros(4, 2, 3, 3))


def test_the_first_stage_descends_the_content_loss_reproducibly():
    lr, hr = pairs()
    G1, _ = networks()
    G2, _ = networks()
    h1 = fit_content(G1, (lr, hr), 20, batch_size=8, lr=1e-3, seed=3)
    h2 = fit_content(G2, (lr, hr), 20, batch_size=8, lr=1e-3, seed=3)
    assert h1 == h2 and len(h1) == 20
    assert sum(h1[-5:]) < sum(h1[:5])
    assert isinstance(build({"name": "srgan", "relativistic": True}), SRGAN)
