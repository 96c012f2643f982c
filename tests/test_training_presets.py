"""The papers' presets: each builds its networks for any image data set, and a few steps
of its recipe train them (losses finite, both players moved)."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib import losses, models
from gan_lib.data import images
from gan_lib.errors import UnknownNameError
from gan_lib.training import PRESETS, TrainConfig, preset, preset_names, train


def test_the_issue_s_presets_exist_and_name_real_things():
    assert {"dcgan", "wgan_gp", "lsgan", "hinge_sn"} <= set(preset_names())
    for name in preset_names():
        spec = preset(name)
        assert set(spec) == {"about", "G", "D", "train"}
        assert spec["G"]["name"] in models.names()
        assert spec["D"]["name"] in models.names()
        assert spec["train"]["loss"] in losses.names()
        TrainConfig(**spec["train"])  # valid fields and values


def test_preset_returns_a_copy_and_unknown_names_list_the_known():
    preset("dcgan")["train"]["lr_g"] = 1.0
    assert PRESETS["dcgan"]["train"]["lr_g"] == 2e-4
    with pytest.raises(UnknownNameError, match="known: dcgan, hinge_sn"):
        preset("dcgam")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_preset_trains_a_few_steps_on_digits(name):
    spec = preset(name)
    data = images.load("digits", 16)
    torch.manual_seed(0)
    G = models.get(**spec["G"], channels=1, resolution=16)
    D = models.get(**spec["D"], channels=1, resolution=16)
    G0 = [p.detach().clone() for p in G.parameters()]
    fields = {**spec["train"], "steps": 2, "batch_size": 8, "device": "cpu",
              "progress": False}
    history = train(G, D, data.images, TrainConfig(**fields)).history
    assert all(math.isfinite(v) for v in history["loss_D"] + history["loss_G"])
    assert any(not torch.equal(a, b) for a, b in zip(G0, G.parameters()))
    if spec["train"].get("gp_weight"):
        assert all(v > 0 for v in history["D/gp"])
