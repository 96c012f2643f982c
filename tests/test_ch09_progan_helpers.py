"""Chapter 9's helpers: equalized layers made plain, Adam's first step per layer, the
jump of the critic's estimate at a stage switch, and broken growing generators."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib import models
from gan_lib.benchmarks.lab_checks import ch09
from gan_lib.layers import EqualizedLinear
from gan_lib.viz.progan import equalized_layers, first_adam_step, without_equalized_lr


def small_generator() -> torch.nn.Module:
    torch.manual_seed(0)
    return models.get("progan_generator", z_dim=8, channels=3, resolution=8,
                      fmap_base=32, fmap_max=16).double()


def test_without_equalized_lr_keeps_the_function_and_stores_the_effective_weight():
    G = small_generator()
    plain = without_equalized_lr(G)
    z = torch.randn(4, 8, dtype=torch.float64)
    torch.testing.assert_close(plain(z), G(z), rtol=1e-12, atol=1e-12)
    for (name, eq), layer in zip(equalized_layers(G).items(),
                                 equalized_layers(plain).values()):
        assert layer.weight_scale == 1.0 and eq.weight_scale != 1.0, name
        torch.testing.assert_close(layer.weight, eq.effective_weight())


def test_first_adam_step_moves_an_equalized_layer_by_c_eta_per_entry():
    torch.manual_seed(1)
    net = torch.nn.Sequential(EqualizedLinear(40, 10)).double()
    x, y = torch.randn(32, 40, dtype=torch.float64), torch.randn(32, 10,
                                                                 dtype=torch.float64)
    w_hat = net[0].weight.detach().clone()

    def loss(m):
        return (m(x) - y).square().mean()

    step = first_adam_step(net, loss, lr=1e-3, eps=0.0)["0"]
    assert step["scale"] == pytest.approx(math.sqrt(2) / math.sqrt(40))
    assert step["raw_step_rms"] == pytest.approx(1e-3, rel=1e-12)
    predicted = 1e-3 * math.sqrt(w_hat.numel()) / w_hat.norm().item()
    assert step["relative_change"] == pytest.approx(predicted, rel=1e-9)
    plain = without_equalized_lr(torch.nn.Sequential(EqualizedLinear(40, 10)).double())
    with pytest.raises(ValueError, match="no equalized layers"):
        first_adam_step(torch.nn.Linear(3, 3), lambda m: m.weight.sum())
    assert plain[0].weight_scale == 1.0


def test_switch_jumps_measure_the_largest_deviation_after_each_switch():
    setting = ch09.GrowSetting(first_stage_steps=20, fade_steps=10, stable_steps=20)
    w = torch.zeros(setting.steps)
    w[20:25] = 3.0  # the critic's estimate jumps by 3 at the first switch
    w[50] = -1.5  # and by 1.5 (downwards) at the second
    history = {"D/adversarial": (-w).tolist()}
    assert setting.switches == (20, 50)
    assert ch09.switch_jumps(history, setting) == [3.0, 1.5]


def test_broken_growing_generators_still_grow():
    G = small_generator().float()
    for wrapper in (ch09.FrozenGrowing, ch09.SignFlippedGrowing):
        wrapped = wrapper(G)
        assert wrapped.stages == G.stages
        wrapped.grow_to(0)
        assert wrapped(torch.randn(2, 8)).shape == (2, 3, 4, 4)
    with pytest.raises(ValueError, match="variant must be"):
        ch09.train_growing(0, variant="upside_down")
