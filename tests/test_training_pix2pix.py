"""The pix2pix game: its first losses by hand, the ablations, exact resume, and the
checks of the data and the networks against the game."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from gan_lib import models
from gan_lib.data.paired import grey_to_colour_shapes
from gan_lib.training import TrainConfig, train
from gan_lib.training.objectives import OBJECTIVES, Pix2Pix, build


def networks(dropout: float = 0.5, in_channels: int = 4):
    torch.manual_seed(0)
    G = models.get("unet_generator", in_channels=1, out_channels=3, image_size=16,
                   base_channels=4, max_channels=8, dropout=dropout)
    D = models.get("patchgan_discriminator", in_channels=in_channels, num_layers=1,
                   base_channels=4)
    return G, D


def data(n: int = 16):
    pairs = grey_to_colour_shapes(n, resolution=16, seed=0)
    return pairs.grey, pairs.colour


def config(**overrides) -> TrainConfig:
    kwargs = dict(steps=6, batch_size=8, device="cpu", progress=False, log_every=1)
    return TrainConfig(**{**kwargs, **overrides})


def test_the_first_losses_by_hand():
    # one batch = the whole set (in shuffled order: the losses are means, so the
    # order only changes the rounding); no dropout, so G's first output is known
    G, D = networks(dropout=0.0)
    G0, D0 = copy.deepcopy(G), copy.deepcopy(D)
    source, target = data(8)
    h = train(G, D, (source, target), config(steps=1),
              objective=Pix2Pix(l1_weight=100.0)).history
    with torch.no_grad():
        fake = G0(source)
        real_logits = D0(torch.cat([source, target], 1)).flatten()
        fake_logits = D0(torch.cat([source, fake], 1)).flatten()
    d_loss = 0.5 * (F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean())
    assert h["D/adversarial"][0] == pytest.approx(d_loss.item(), rel=1e-5)
    # the G step comes after one D step: D has moved, G has not
    with torch.no_grad():
        fake = G0(source)
    assert h["G/l1"][0] == pytest.approx(100 * (fake - target).abs().mean().item(),
                                         rel=1e-5)
    assert h["G/adversarial"][0] > 0


def test_the_ablations_name_their_terms():
    G, D = networks()
    l1_only = train(G, D, data(), config(steps=2),
                    objective=Pix2Pix(gan_weight=0.0)).history
    assert "G/l1" in l1_only and "G/adversarial" not in l1_only
    assert "D/adversarial" in l1_only  # D still trains, G ignores it
    G, D = networks()
    gan_only = train(G, D, data(), config(steps=2),
                     objective=Pix2Pix(l1_weight=0.0)).history
    assert "G/adversarial" in gan_only and "G/l1" not in gan_only


def test_the_l1_only_generator_does_not_read_D():
    # with gan_weight = 0, G's trajectory is the same whatever D is
    runs = []
    for d_seed in (1, 2):
        G, D = networks()
        torch.manual_seed(d_seed)
        D = models.get("patchgan_discriminator", in_channels=4, num_layers=1,
                       base_channels=4)
        runs.append(train(G, D, data(), config(steps=3),
                          objective=Pix2Pix(gan_weight=0.0)).G)
    for p, q in zip(runs[0].parameters(), runs[1].parameters(), strict=True):
        assert torch.equal(p, q)


def test_an_unconditional_discriminator_sees_the_image_alone():
    G, D = networks(in_channels=3)
    h = train(G, D, data(), config(steps=2), objective=Pix2Pix(conditional=False))
    assert len(h.history["G/adversarial"]) == 2
    G, D = networks(in_channels=4)
    with pytest.raises(ValueError, match=r"D must take 3 input channels \(target\); "
                       r"got a D with in_channels=4"):
        train(G, D, data(), config(), objective=Pix2Pix(conditional=False))


def test_pix2pix_resumes_exactly(tmp_path):
    path = str(tmp_path / "run.pt")
    straight = train(*networks(), data(), config(), objective=Pix2Pix())
    train(*networks(), data(), config(steps=3, checkpoint_path=path),
          objective=Pix2Pix())
    torch.randn(5)  # unrelated draws in between
    resumed = train(*networks(), data(), config(checkpoint_path=path),
                    objective=Pix2Pix())
    for a, b in [(straight.G, resumed.G), (straight.D, resumed.D)]:
        for p, q in zip(a.parameters(), b.parameters(), strict=True):
            assert torch.equal(p, q)
        for p, q in zip(a.buffers(), b.buffers(), strict=True):
            assert torch.equal(p, q)
    assert resumed.history["G/l1"] == straight.history["G/l1"]
    # and the dropout masks matter: without the RNG state the run would differ
    other = train(*networks(), data(), config(seed=1), objective=Pix2Pix())
    assert not torch.equal(next(other.G.parameters()), next(straight.G.parameters()))


def test_registered_and_built_from_a_spec():
    assert OBJECTIVES["pix2pix"] is Pix2Pix
    game = build({"name": "pix2pix"})
    assert (game.l1_weight, game.gan_weight, game.loss) == (100.0, 1.0,
                                                            "non_saturating")
    assert build({"name": "pix2pix", "l1_weight": 10.0}).l1_weight == 10.0


def test_bad_arguments_and_data():
    with pytest.raises(ValueError, match="not both 0"):
        Pix2Pix(l1_weight=0.0, gan_weight=0.0)
    with pytest.raises(ValueError, match="must be >= 0"):
        Pix2Pix(l1_weight=-1.0)
    with pytest.raises(ValueError, match="unknown GAN loss .l2."):
        Pix2Pix(loss="l2")
    source, target = data()
    with pytest.raises(ValueError, match=r"pix2pix trains on pairs: .*got a single "
                       r"tensor of shape \(1, 3, 16, 16\)"):
        train(*networks(), target, config(), objective=Pix2Pix())
    with pytest.raises(ValueError, match=r"same size; got \(1, 1, 8, 8\) and "
                       r"\(1, 3, 16, 16\)"):
        train(*networks(), (source[:, :, :8, :8], target), config(),
              objective=Pix2Pix())
    G, D = networks(in_channels=3)
    with pytest.raises(ValueError, match=r"D must take 4 input channels \(source \+ "
                       r"target\); got a D with in_channels=3"):
        train(G, D, (source, target), config(), objective=Pix2Pix())
