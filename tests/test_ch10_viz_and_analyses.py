"""Chapter 10's figures (gan_lib.viz.stylegan) and the analysis helpers of its lab
checks (gan_lib.benchmarks.lab_checks.ch10) on cases with known answers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from gan_lib import models, viz  # noqa: E402
from gan_lib.benchmarks.lab_checks import ch10  # noqa: E402
from gan_lib.data.generated import shapes_with_factors  # noqa: E402

SMALL = dict(z_dim=8, w_dim=8, channels=3, resolution=16, fmap_base=64, fmap_max=16,
             mapping_layers=2)


def test_style_mixing_figure_has_a_cell_per_pair_and_checks_shapes():
    a, b = torch.rand(2, 3, 8, 8) * 2 - 1, torch.rand(3, 3, 8, 8) * 2 - 1
    fig = viz.plot_style_mixing(a, b, torch.zeros(2, 3, 3, 8, 8))
    assert len(fig.axes) == (2 + 1) * (3 + 1)
    with pytest.raises(ValueError, match=r"mixed must have shape \(2, 3, C, H, W\)"):
        viz.plot_style_mixing(a, b, torch.zeros(3, 2, 3, 8, 8))


def test_stochastic_variation_and_truncation_figures_check_their_inputs():
    fig = viz.plot_stochastic_variation(torch.zeros(4, 3, 8, 8), torch.ones(8, 8))
    assert len(fig.axes) == 4 + 1 + 1  # the draws, the map, its colour bar
    with pytest.raises(ValueError, match=r"std_map must have shape \(8, 8\)"):
        viz.plot_stochastic_variation(torch.zeros(4, 3, 8, 8), torch.ones(4, 4))
    fig = viz.plot_truncation_tradeoff([1.0, 0.5], [0.9, 1.0], [0.5, 0.2])
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="one value per psi"):
        viz.plot_truncation_tradeoff([1.0, 0.5], [0.9], [0.5, 0.2])


def test_linear_r2_is_one_for_affine_targets_and_low_for_noise():
    g = torch.Generator().manual_seed(0)
    features = torch.randn(400, 5, generator=g, dtype=torch.float64)
    target = features @ torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0], dtype=torch.float64) + 7
    assert ch10.linear_r2(features, target) == pytest.approx(1.0, abs=1e-10)
    noise = torch.randn(400, generator=g, dtype=torch.float64)
    assert ch10.linear_r2(features, noise) < 0.1


def test_factor_features_place_real_images_by_their_factors():
    images, factors = shapes_with_factors(200, 32, seed=3)
    features = ch10.factor_features(images)
    assert features.shape == (200, 6) and torch.isfinite(features).all()
    angle = torch.atan2(features[:, 1], features[:, 0]) / (2 * math.pi) % 1.0
    error = torch.remainder(angle - factors["hue"].double() + 0.5, 1.0) - 0.5
    assert error.abs().max() < 1e-4  # the hue is read back exactly
    flat = ch10.factor_features(torch.zeros(2, 3, 32, 32))  # no foreground: far away
    assert (flat[:, :2] == 10.0).all()


def test_mixing_scores_of_a_generator_without_styles_beyond_layer_0():
    """A generator whose layers after the first ignore w: every crossover k >= 1 hands
    the mixed image A's factors entirely (R² 1 against A)."""
    torch.manual_seed(0)
    G = models.get("stylegan_generator", **SMALL).eval()
    with torch.no_grad():
        for layer in G.layers[1:]:
            layer.adain.style.weight.zero_()  # the style no longer reads w
    scores = ch10.mixing_scores(G, seed=0, n=64)
    for k in range(1, G.num_ws):
        assert scores[f"k={k}"]["background_A"] == pytest.approx(1.0, abs=1e-9)


def test_break_generator_zeroes_or_negates_every_gradient():
    torch.manual_seed(0)
    G = models.get("stylegan_generator", **SMALL)
    z = torch.randn(2, 8)

    def output(generator: torch.nn.Module) -> torch.Tensor:
        ws = ch10.broadcast(generator.mapping(z), generator.num_ws)
        noise = ch10.noise_like(generator, 2, torch.Generator().manual_seed(1))
        return generator.synthesis(ws, noise).sum()

    grads = torch.autograd.grad(output(G), list(G.parameters()))
    flipped = models.get("stylegan_generator", **SMALL)
    flipped.load_state_dict(G.state_dict())
    ch10.break_generator(flipped, "sign_flipped")
    flipped_grads = torch.autograd.grad(output(flipped), list(flipped.parameters()))
    for g_plain, g_flip in zip(grads, flipped_grads, strict=True):
        torch.testing.assert_close(g_flip, -g_plain)
    with pytest.raises(Exception, match="sign_flipped"):
        ch10.break_generator(flipped, "upside_down")
