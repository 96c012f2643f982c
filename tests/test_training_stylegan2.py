"""The StyleGAN2 game on the training package: lazy R1 on D and lazy path length on G
as their own Adam steps with Karras et al.'s correction, style mixing, the path-length
mean in the checkpoint, exact resume."""

from __future__ import annotations

import pytest
import torch

from gan_lib import models
from gan_lib.training import TrainConfig, train
from gan_lib.training.objectives import StyleGAN2, build, lazy_adam

SMALL = dict(channels=1, resolution=8, fmap_base=32, fmap_max=8)


def networks():
    torch.manual_seed(0)
    G = models.get("stylegan2_generator", z_dim=8, w_dim=8, mapping_layers=2, **SMALL)
    D = models.get("stylegan2_discriminator", **SMALL)
    return G, D


def data() -> torch.Tensor:
    return torch.rand(64, 1, 8, 8, generator=torch.Generator().manual_seed(1)) * 2 - 1


def config(**overrides) -> TrainConfig:
    fields = dict(steps=9, batch_size=8, device="cpu", progress=False, seed=0,
                  lr_g=2e-3, lr_d=2e-3, betas_g=(0.0, 0.99), betas_d=(0.0, 0.99),
                  log_every=1)
    return TrainConfig(**{**fields, **overrides})


def game() -> StyleGAN2:
    return StyleGAN2(r1_gamma=1.0, r1_interval=4, pl_interval=2)


def test_the_lazy_correction_keeps_adam_s_horizon_per_minibatch():
    for k in (4, 16):
        lr, (b1, b2) = lazy_adam(2e-3, (0.0, 0.99), k)
        assert b2 ** (k + 1) == pytest.approx(0.99**k)  # (beta^c)^(k+1) = beta^k
        assert lr * (k + 1) == pytest.approx(2e-3 * k)  # the same total step size


def test_a_stylegan2_run_takes_both_lazy_steps_and_resumes_exactly(tmp_path):
    path = str(tmp_path / "run.pt")
    straight = train(*networks(), data(), config(), objective=game())
    h = straight.history
    assert [v > 0 for v in h["D/r1"]] == [s % 4 == 0 for s in range(9)]
    assert [v != 0 for v in h["G/path_length"]] == [s % 2 == 0 for s in range(9)]
    train(*networks(), data(), config(steps=5, checkpoint_path=path), objective=game())
    state = torch.load(path, weights_only=True)
    assert state["objective"]["pl_mean"] > 0  # the running mean travels
    assert state["opt_G"]["param_groups"][0]["lr"] == pytest.approx(2e-3 * 2 / 3)
    assert state["opt_D"]["param_groups"][0]["lr"] == pytest.approx(2e-3 * 4 / 5)
    torch.randn(3)  # unrelated draws in between
    resumed = train(*networks(), data(), config(checkpoint_path=path), objective=game())
    for a, b in [(straight.G, resumed.G), (straight.D, resumed.D)]:
        for p, q in zip(a.parameters(), b.parameters(), strict=True):
            assert torch.equal(p, q)
    assert resumed.history["G/path_length"] == h["G/path_length"]


def test_the_preset_spec_and_wrong_generators():
    spec = {"name": "stylegan2", "r1_gamma": 10.0}
    assert build(spec).g_reg_interval == 4 and build(spec).d_reg_interval == 16
    G = models.get("dcgan_generator", z_dim=8, channels=1, resolution=16, width=4)
    D = models.get("dcgan_discriminator", channels=1, resolution=16, width=4)
    x = torch.rand(16, 1, 16, 16) * 2 - 1
    with pytest.raises(AttributeError, match="style-based G"):
        train(G, D, x, config(), objective=game())
