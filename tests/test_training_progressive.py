"""The progressive schedule on the training package: stages and alpha by step, real
images pooled and faded like G's output, Adam reset where a phase begins, the drift
term, and exact resume across a stage boundary."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gan_lib import models
from gan_lib.training import TrainConfig, train
from gan_lib.training.objectives import Adversarial, Progressive, build

SMALL = dict(channels=1, resolution=16, fmap_base=64, fmap_max=16)


def networks():
    torch.manual_seed(0)
    G = models.get("progan_generator", z_dim=8, **SMALL)
    D = models.get("progan_discriminator", **SMALL)
    return G, D


def objective() -> Progressive:
    inner = Adversarial(loss="wasserstein", gp_weight=10.0, drift=0.001,
                        penalty_through_batch_layers=True)  # D has minibatch stddev
    return Progressive(inner, fade_steps=2, stable_steps=3)


def data() -> torch.Tensor:
    return torch.rand(64, 1, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1


def config(**overrides) -> TrainConfig:
    fields = dict(steps=12, batch_size=8, device="cpu", progress=False, seed=0,
                  lr_g=1e-3, lr_d=1e-3, betas_g=(0.0, 0.99), betas_d=(0.0, 0.99),
                  log_every=1)
    return TrainConfig(**{**fields, **overrides})


def test_the_schedule_by_step():
    game = objective()
    game.stages = 3
    got = [game.schedule(step) for step in range(12)]
    assert got == [
        (0, 1.0, False), (0, 1.0, False), (0, 1.0, False),  # 4 x 4: stable 3
        (1, 0.0, True), (1, 0.5, True),  # 8 x 8 fades in over 2
        (1, 1.0, False), (1, 1.0, False), (1, 1.0, False),  # then stable 3
        (2, 0.0, True), (2, 0.5, True),  # 16 x 16
        (2, 1.0, False), (2, 1.0, False),  # and stays there
    ]


def test_a_hard_switch_starts_each_stage_at_full_weight_when_a_fade_would_start():
    fade = objective()  # fade 2, stable 3: stages of 3, 5, 5 steps
    hard = Progressive(fade.inner, fade_steps=0, stable_steps=5, first_stage_steps=3)
    fade.stages = hard.stages = 3
    got = [hard.schedule(step) for step in range(14)]
    assert got == [(0, 1.0, False)] * 3 + [(1, 1.0, False)] * 5 + [(2, 1.0, False)] * 6
    for step in range(14):  # the same stage at every step: only alpha differs
        assert hard.schedule(step)[0] == fade.schedule(step)[0]
    with pytest.raises(ValueError, match=r"fade_steps must be an int >= 0.*got -1"):
        Progressive(fade.inner, fade_steps=-1, stable_steps=3)


def test_a_hard_switch_resets_adam_at_the_stage_change(tmp_path):
    path = tmp_path / "hard.pt"
    game = Progressive(objective().inner, fade_steps=0, stable_steps=4,
                       first_stage_steps=3)  # stages start at steps 3 and 7
    result = train(*networks(), data(), config(steps=9, checkpoint_path=str(path)),
                   objective=game)
    assert (result.G.stage, result.G.fading, result.G.alpha.item()) == (2, False, 1.0)
    state = torch.load(path, weights_only=True)
    for opt in ("opt_G", "opt_D"):  # reset at step 7: 2 steps since
        steps = {int(s["step"]) for s in state[opt]["state"].values()}
        assert steps == {2}, (opt, steps)


def test_reals_are_pooled_to_the_stage_and_faded_like_g():
    game = objective()
    x = data()[:4]
    game.alpha, game.resolution = 1.0, 8
    assert torch.equal(game.fade(x), F.avg_pool2d(x, 2))
    game.alpha = 0.0
    coarse = F.interpolate(F.avg_pool2d(F.avg_pool2d(x, 2), 2), scale_factor=2,
                           mode="nearest")
    assert torch.equal(game.fade(x), coarse)
    game.alpha = 0.25
    torch.testing.assert_close(game.fade(x), coarse + 0.25 * (F.avg_pool2d(x, 2) - coarse))


def test_a_progressive_run_grows_both_networks_and_records_the_drift(tmp_path):
    G, D = networks()
    path = tmp_path / "run.pt"
    result = train(G, D, data(), config(checkpoint_path=str(path)), objective=objective())
    assert (result.G.stage, result.D.stage, result.G_ema.stage) == (2, 2, 2)
    assert result.G_ema(torch.randn(2, 8)).shape == (2, 1, 16, 16)
    history = result.history
    assert {"D/adversarial", "D/gp", "D/drift"} <= set(history)
    assert all(v >= 0 for v in history["D/drift"])
    # Adam was reset when the last fade ended (after step 10): 2 steps since
    state = torch.load(path, weights_only=True)
    for opt in ("opt_G", "opt_D"):
        steps = {int(s["step"]) for s in state[opt]["state"].values()}
        assert steps == {2}, (opt, steps)


def test_a_progressive_run_resumes_exactly_across_a_stage_boundary(tmp_path):
    straight = train(*networks(), data(), config(), objective=objective())
    path = str(tmp_path / "run.pt")
    train(*networks(), data(), config(steps=4, checkpoint_path=path), objective=objective())
    torch.randn(5)  # unrelated draws in between
    resumed = train(*networks(), data(), config(checkpoint_path=path), objective=objective())
    for a, b in [(straight.G, resumed.G), (straight.D, resumed.D)]:
        for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
            same = torch.equal(p, q) if isinstance(p, torch.Tensor) else p == q
            assert same, name  # weights, alpha, and the stage (extra state)
    assert straight.history["loss_D"] == resumed.history["loss_D"]


def test_a_preset_spec_builds_the_same_game_and_mismatches_are_refused():
    game = build({"name": "progressive", "fade_steps": 2, "stable_steps": 3,
                  "inner": {"name": "adversarial", "loss": "wasserstein",
                            "gp_weight": 10.0, "drift": 0.001,
                            "penalty_through_batch_layers": True}})
    assert isinstance(game, Progressive) and game.inner.drift == 0.001
    G, _ = networks()
    torch.manual_seed(0)
    D = models.get("progan_discriminator", channels=1, resolution=32, fmap_base=64,
                   fmap_max=16)
    with pytest.raises(ValueError, match="G grows through 3 stages and D through 4"):
        train(G, D, data(), config(), objective=objective())
    with pytest.raises(AttributeError, match="grow_to"):
        train(models.get("dcgan_generator", z_dim=8, channels=1, resolution=16),
              models.get("dcgan_discriminator", channels=1, resolution=16), data(),
              config(), objective=objective())
