"""The BigGAN game: the class-conditional hinge loss plus beta times the orthogonal
penalty of G's weights, the shared class embedding excluded."""

from __future__ import annotations

import copy

import pytest
import torch

from gan_lib import models
from gan_lib.regularizers import orthogonal_penalty
from gan_lib.training import TrainConfig, train
from gan_lib.training.objectives import BigGAN, build


def test_the_first_orthogonal_term_is_beta_r_of_the_initial_generator():
    torch.manual_seed(0)
    G = models.get("biggan_generator", z_dim=21, num_classes=3, shared_dim=8,
                   channels=1, resolution=16, width=8, attention_resolution=8)
    D = models.get("biggan_discriminator", num_classes=3, channels=1, resolution=16,
                   width=8, attention_resolution=8)
    with torch.no_grad():  # rows not orthogonal (the init is): excluding them matters
        G.shared.weight.normal_()
    G0 = copy.deepcopy(G)
    x = torch.rand(32, 1, 16, 16) * 2 - 1
    y = torch.arange(32) % 3
    config = TrainConfig(steps=2, batch_size=8, device="cpu", progress=False,
                         log_every=1)
    history = train(G, D, (x, y), config, objective=BigGAN(ortho_weight=1e-4)).history
    expected = 1e-4 * orthogonal_penalty(G0, exclude=G0.shared.parameters()).item()
    assert history["G/orthogonal"][0] == pytest.approx(expected, rel=1e-5)
    with_shared = 1e-4 * orthogonal_penalty(G0).item()
    assert with_shared != pytest.approx(expected, rel=1e-3)  # the exclusion matters
    assert {"D/adversarial", "G/adversarial"} <= set(history)
    assert build({"name": "biggan"}).loss == "hinge"
