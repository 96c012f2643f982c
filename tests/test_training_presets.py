"""The papers' presets: each builds its networks for any image data set, and a few steps
of its recipe train them (losses finite, both players moved)."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib import losses, models
from gan_lib.data import images
from gan_lib.errors import UnknownNameError
from gan_lib.training import PRESETS, TrainConfig, objectives, preset, preset_names
from gan_lib.training import train


def test_the_issue_s_presets_exist_and_name_real_things():
    assert {"dcgan", "wgan_gp", "lsgan", "hinge_sn"} <= set(preset_names())
    for name in preset_names():
        spec = preset(name)
        assert set(spec) - {"objective", "conditional"} == {"about", "G", "D", "train"}
        assert spec["G"]["name"] in models.names()
        assert spec["D"]["name"] in models.names()
        game = spec.get("objective", spec["train"])
        while "inner" in game:
            game = game["inner"]
        assert game.get("loss", "non_saturating") in losses.names()
        TrainConfig(**spec["train"])  # valid fields and values
        if "objective" in spec:
            objectives.build(spec["objective"])


def test_preset_returns_a_copy_and_unknown_names_list_the_known():
    preset("dcgan")["train"]["lr_g"] = 1.0
    assert PRESETS["dcgan"]["train"]["lr_g"] == 2e-4
    with pytest.raises(UnknownNameError, match="known: biggan, dcgan, hinge_sn"):
        preset("dcgam")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_preset_trains_a_few_steps_on_digits(name):
    spec = preset(name)
    data = images.load("digits", 16)
    torch.manual_seed(0)
    small = {"fmap_base": 64, "fmap_max": 16} if "fmap_base" in spec["G"] else {}
    style = dict(z_dim=16, w_dim=16, mapping_layers=2) if "w_dim" in spec["G"] else {}
    shape = dict(channels=1, resolution=16)
    x = data.images
    if spec.get("conditional"):  # BigGAN: attention at 16 px needs 32 px images
        shape.update(num_classes=10, resolution=32)
        x = (images.load("digits", 32).images, data.labels)
        small = {"width": 16}
    G = models.get(**{**spec["G"], **small, **style}, **shape)
    D = models.get(**{**spec["D"], **small}, **shape)
    G0 = [p.detach().clone() for p in G.parameters()]
    fields = {**spec["train"], "steps": 2, "batch_size": 8, "device": "cpu",
              "progress": False}
    game = None
    if spec.get("objective", {}).get("name") == "progressive":  # a short schedule:
        spec["objective"].update(fade_steps=1, stable_steps=1)  # every stage in 5 steps
        fields["steps"] = 5
    if "objective" in spec:
        game = objectives.build(spec["objective"])
    history = train(G, D, x, TrainConfig(**fields), objective=game).history
    assert all(math.isfinite(v) for v in history["loss_D"] + history["loss_G"])
    assert any(not torch.equal(a, b) for a, b in zip(G0, G.parameters()))
    if "D/gp" in history or spec["train"].get("gp_weight"):
        assert all(v > 0 for v in history["D/gp"])
