"""The augmentation package (DiffAugment, ADA's pipeline and controller) and the
training hook that puts it in front of D (``objectives.Augmented``): exact values of
each operation, p = 0 is the identity bitwise, gradients through every operation, the
controller's update rule and its direction, exact resume, bad inputs."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib import models
from gan_lib.augmentation import (
    GROUPS,
    OPERATIONS,
    AdaController,
    AdaptiveAugment,
    DiffAugment,
    diff_augment,
    parse_operations,
)
from gan_lib.augmentation import diffaugment as da
from gan_lib.errors import UnknownNameError
from gan_lib.training import train
from gan_lib.training.objectives import Adversarial, Augmented, StyleGAN2, build


def images(batch: int = 6, channels: int = 3, size: int = 16, seed: int = 0):
    return torch.randn(batch, channels, size, size,
                       generator=torch.Generator().manual_seed(seed))


# --- DiffAugment ---------------------------------------------------------------------

def test_diffaugment_policy_names_and_errors():
    assert DiffAugment("color, cutout").names == ["color", "cutout"]
    with pytest.raises(UnknownNameError, match="known: color, cutout, translation"):
        DiffAugment("color,rotate")
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        diff_augment(torch.randn(3, 8, 8), "color")
    x = images()
    assert diff_augment(x, "") is x  # the empty policy: no augmentation


def test_diffaugment_colour_ops_are_the_closed_forms():
    x = images()
    for op, check in (
        (da.brightness, lambda y: (y - x).flatten(1).std(1).max() < 1e-6),
        # saturation keeps each pixel's channel mean; contrast keeps the image mean
        (da.saturation, lambda y: torch.allclose(y.mean(1), x.mean(1), atol=1e-6)),
        (da.contrast, lambda y: torch.allclose(y.mean((1, 2, 3)), x.mean((1, 2, 3)),
                                               atol=1e-6)),
    ):
        torch.manual_seed(1)
        y = op(x)
        assert y.shape == x.shape and check(y), op.__name__
    torch.manual_seed(1)
    shift = (da.brightness(x) - x)[:, 0, 0, 0]
    assert ((shift >= -0.5) & (shift <= 0.5)).all()  # u - 1/2, u ~ U(0, 1)
    torch.manual_seed(2)
    factor = (da.contrast(x) - x.mean((1, 2, 3), keepdim=True)) / (
        x - x.mean((1, 2, 3), keepdim=True))
    f = factor.flatten(1).median(1).values
    assert ((f >= 0.5 - 1e-5) & (f <= 1.5 + 1e-5)).all()


def test_translation_moves_pixels_and_fills_zeros():
    x = torch.arange(16.0).reshape(1, 1, 4, 4).expand(64, 1, 4, 4).clone() + 1
    torch.manual_seed(0)
    y = da.translation(torch.arange(1.0, 65).reshape(1, 1, 8, 8).expand(200, 1, 8, 8))
    # size 8: shifts in {-1, 0, 1}; every output is the input shifted, zeros elsewhere
    source = torch.arange(1.0, 65).reshape(8, 8)
    seen = set()
    for img in y[:, 0]:
        matched = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                   if torch.equal(img, _shift_zero(source, dy, dx))]
        assert len(matched) == 1
        seen.add(matched[0])
    assert len(seen) == 9  # all nine shifts occur
    assert torch.equal(da.translation(x), x)  # size 4: s = 4 // 8 = 0, no shift


def _shift_zero(a: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    out = torch.zeros_like(a)
    h, w = a.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        a[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def test_cutout_zeroes_one_square_of_half_the_side():
    torch.manual_seed(0)
    y = da.cutout(torch.ones(300, 1, 8, 8))
    zeros = (y == 0)[:, 0]
    for hole in zeros:
        rows, cols = hole.any(1).nonzero().flatten(), hole.any(0).nonzero().flatten()
        assert hole.sum() == len(rows) * len(cols)  # a rectangle
        assert 1 <= len(rows) <= 4 and 1 <= len(cols) <= 4  # side 4, clipped at borders
    assert (zeros.flatten(1).sum(1) == 16).float().mean() > 0.2  # whole: (5/9)^2


# --- ADA's pipeline ------------------------------------------------------------------

def test_operation_names():
    assert parse_operations("color,xflip") == ("xflip", *GROUPS["color"])
    assert set(parse_operations("blit,color,cutout")) == set(OPERATIONS)
    with pytest.raises(UnknownNameError, match="known: blit, brightness"):
        AdaptiveAugment("blit,hue")
    with pytest.raises(ValueError, match="p must be"):
        AdaptiveAugment(p=-0.1)
    with pytest.raises(ValueError, match="square"):
        AdaptiveAugment("rotate90", p=1)(torch.randn(2, 1, 8, 6))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        AdaptiveAugment()(torch.randn(8, 8))


@pytest.mark.parametrize("channels", [1, 3])
def test_p_zero_is_the_identity_bitwise(channels: int):
    x = images(channels=channels)
    pipe = AdaptiveAugment("blit,color,cutout", p=0.0)
    assert torch.equal(pipe(x), x)


def test_each_operation_at_p_one():
    x = images(batch=400, channels=3, size=8)
    luma = x.mean(1, keepdim=True)
    torch.manual_seed(0)
    out = AdaptiveAugment("xflip", p=1)(x)
    flipped = (out == x.flip(3)).flatten(1).all(1)
    kept = (out == x).flatten(1).all(1)
    assert (flipped | kept).all() and 0.4 < flipped.float().mean() < 0.6
    out = AdaptiveAugment("rotate90", p=1)(x)
    k = [sum((out[i] == torch.rot90(x[i], q, (1, 2))).all().item() * (q + 1)
             for q in range(4)) for i in range(len(x))]
    assert all(v > 0 for v in k) and len(set(k)) == 4
    out = AdaptiveAugment("brightness", p=1)(x)
    b = (out - x)[:, 0, 0, 0]
    assert torch.allclose(out - x, b[:, None, None, None].expand_as(x), atol=1e-6)
    assert abs(b.std().item() - 0.2) < 0.03  # brightness_std
    out = AdaptiveAugment("contrast", p=1)(x)
    log2c = torch.log2((out / x)[:, 0, 0, 0])
    assert abs(log2c.std().item() - 0.5) < 0.06  # contrast_std (log2)
    out = AdaptiveAugment("lumaflip", p=1)(x)
    reflected = torch.isclose(out, x - 2 * luma, atol=1e-6).flatten(1).all(1)
    assert (reflected | (out == x).flatten(1).all(1)).all()
    assert 0.4 < reflected.float().mean() < 0.6
    out = AdaptiveAugment("saturation", p=1)(x)
    assert torch.allclose(out.mean(1), x.mean(1), atol=1e-5)  # luma kept
    s = ((out - out.mean(1, keepdim=True)) / (x - luma))[:, 0, 0, 0]
    assert abs(torch.log2(s).std().item() - 1.0) < 0.1  # saturation_std (log2)
    grey = images(batch=4, channels=1)
    assert torch.equal(AdaptiveAugment("saturation", p=1)(grey), grey)


def test_integer_translation_reflects_at_the_border():
    x = torch.arange(1.0, 17).reshape(1, 1, 1, 16).expand(300, 1, 16, 16)
    torch.manual_seed(0)
    out = AdaptiveAugment("xint", p=1)(x)
    row = torch.arange(1.0, 17)
    shifts = set()
    for img in out[:, 0]:
        assert (img == img[:1]).all()  # columns move together: a vertical shift is
        # invisible on this image (every row is the same)
        for dx in range(-2, 3):  # xint_max 0.125 * 16 = 2 pixels
            src = torch.arange(16) - dx
            src = torch.where(src < 0, -src, src)
            src = torch.where(src > 15, 30 - src, src)
            if torch.equal(img[0], row[src]):
                shifts.add(dx)
                break
        else:
            raise AssertionError(f"not a reflected shift: {img[0]}")
    assert shifts == {-2, -1, 0, 1, 2}


def test_probability_p_is_the_fraction_augmented():
    x = images(batch=4000, channels=1, size=4)
    torch.manual_seed(0)
    out = AdaptiveAugment("brightness", p=0.3)(x)
    touched = (out != x).flatten(1).any(1).float().mean().item()
    assert abs(touched - 0.3) < 0.03


@pytest.mark.parametrize("op", OPERATIONS)
def test_gradients_flow_through_every_operation(op: str):
    x = images(batch=8, channels=3).requires_grad_(True)
    torch.manual_seed(0)
    out = AdaptiveAugment(op, p=1.0)(x)
    weights = torch.randn_like(out)
    (grad,) = torch.autograd.grad((out * weights).sum(), x)
    assert grad.abs().sum() > 0 and torch.isfinite(grad).all()
    # the op is linear (or affine) in x for fixed random choices: check the gradient
    # against a finite difference of the same draws
    direction = torch.randn_like(x)
    torch.manual_seed(0)
    shifted = AdaptiveAugment(op, p=1.0)(x.detach() + 1e-2 * direction)
    fd = ((shifted - out.detach()) * weights).sum() / 1e-2
    assert torch.isclose(fd, (grad * direction).sum(), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("group", ["color", "translation", "cutout"])
def test_gradients_flow_through_diffaugment(group: str):
    x = images(batch=8).requires_grad_(True)
    torch.manual_seed(0)
    out = diff_augment(x, group)
    (grad,) = torch.autograd.grad(out.square().sum(), x)
    assert grad.abs().sum() > 0 and torch.isfinite(grad).all()


# --- the controller --------------------------------------------------------------------

def test_controller_update_rule():
    controller = AdaController(target=0.6, interval=4, ada_kimg=500)
    p = torch.tensor(0.0)
    controller.observe(torch.tensor([1.0, 2.0, -1.0, 3.0]))  # r_t = (3 - 1) / 4 = 0.5
    assert controller.heuristic().item() == pytest.approx(0.5)
    controller.adjust(p, batch_size=64)
    assert p.item() == 0.0  # below target: p would fall, clamped at 0
    p.fill_(0.5)
    controller.observe(torch.ones(64))  # r_t = 1 > 0.6
    controller.adjust(p, batch_size=64)
    assert p.item() == pytest.approx(0.5 + 64 * 4 / 500_000)
    assert controller.count.item() == 0 and controller.sign_sum.item() == 0
    controller.adjust(p, batch_size=64)  # nothing observed: no move
    assert p.item() == pytest.approx(0.5 + 64 * 4 / 500_000)
    with pytest.raises(ValueError, match="target"):
        AdaController(target=1.5)
    with pytest.raises(ValueError, match="interval"):
        AdaController(interval=0)
    with pytest.raises(ValueError, match="ada_kimg"):
        AdaController(ada_kimg=0)


# --- the objective ---------------------------------------------------------------------

# the small StyleGAN2 set-up of the objective's own tests (pytest puts tests/ on the path)
from test_training_stylegan2 import config, data, networks  # noqa: E402


def ada_game() -> Augmented:
    return Augmented(StyleGAN2(r1_gamma=1.0, r1_interval=4, pl_interval=2),
                     AdaptiveAugment("blit,color,cutout", p=0.3),
                     AdaController(ada_kimg=0.5))  # 0.064 per adjustment


def test_an_augmented_run_resumes_exactly(tmp_path):
    path = str(tmp_path / "run.pt")
    game = ada_game()
    straight = train(*networks(), data(), config(), objective=game)
    p_straight = game.p.clone()
    assert p_straight != 0.3  # the controller moved p (two adjustments in 9 steps)
    first = ada_game()
    train(*networks(), data(), config(steps=5, checkpoint_path=path), objective=first)
    state = torch.load(path, weights_only=True)
    assert {"pipeline.p", "controller.sign_sum", "controller.count",
            "inner.pl_mean"} <= set(state["objective"])
    assert state["objective"]["controller.count"] > 0  # mid-interval sums travel too
    torch.randn(3)  # unrelated draws in between
    again = ada_game()
    resumed = train(*networks(), data(), config(checkpoint_path=path), objective=again)
    assert torch.equal(again.p, p_straight)
    for a, b in [(straight.G, resumed.G), (straight.D, resumed.D)]:
        for p, q in zip(a.parameters(), b.parameters(), strict=True):
            assert torch.equal(p, q)


def test_p_rises_when_d_is_confident_on_reals_and_falls_when_not():
    class Constant(torch.nn.Module):
        """A D whose logit is a constant plus a zero-weighted dependence on x."""

        def __init__(self, value: float) -> None:
            super().__init__()
            self.value = value
            self.scale = torch.nn.Parameter(torch.zeros(()))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.value + self.scale * x.flatten(1).mean(1)

    G = models.get("mlp_generator", z_dim=4, out_dim=2, hidden=8, n_layers=1)
    x = torch.randn(64, 2)
    results = {}
    for value in (3.0, -3.0):
        pipeline = _PointPipeline()
        game = Augmented(Adversarial(), pipeline, AdaController(ada_kimg=0.01))
        pipeline.p.fill_(0.5)
        train(G, Constant(value), x, config(steps=8, batch_size=10), objective=game)
        results[value] = game.p.item()
    step = 10 * 4 / 10  # batch * interval / (ada_kimg * 1000) = 4 per adjustment
    assert results[3.0] == pytest.approx(0.5 + 2 * step)  # r_t = 1 > 0.6: up, twice
    assert results[-3.0] == 0.0  # r_t = -1 < 0.6: down to 0


class _PointPipeline(torch.nn.Module):
    """A pipeline with a probability p for 2-D points: noise added with probability p."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("p", torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = torch.rand(x.shape[0], 1) < self.p
        return torch.where(mask, x + 0.1 * torch.randn_like(x), x)


def test_everything_d_sees_is_augmented():
    seen = []

    class Recording(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(2, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(x.detach().clone())
            return self.lin(x).squeeze(1)

    class Marker(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + 1000.0  # a shift no input has

    G = models.get("mlp_generator", z_dim=4, out_dim=2, hidden=8, n_layers=1)
    x = torch.randn(64, 2)
    game = Augmented(Adversarial(r1_gamma=1.0, reg_interval=2), Marker())
    train(G, Recording(), x, config(steps=3, batch_size=8), objective=game)
    # D steps (real, fake), R1 on steps 0 and 2, G steps (fake): all shifted
    assert len(seen) == 3 * 2 + 2 + 3
    assert all(batch.min() > 900 for batch in seen)


def test_objective_errors_and_build():
    with pytest.raises(TypeError, match="Objective"):
        Augmented("stylegan2", AdaptiveAugment())
    with pytest.raises(ValueError, match="no tensor p"):
        Augmented(Adversarial(), DiffAugment(), AdaController())
    with pytest.raises(UnknownNameError, match="known: ada, diffaugment"):
        Augmented(Adversarial(), {"name": "randaugment"})
    game = build({"name": "augmented", "inner": {"name": "stylegan2"},
                  "pipeline": {"name": "diffaugment", "policy": "color"}})
    assert isinstance(game.pipeline, DiffAugment) and game.controller is None
    assert game.d_reg_interval == 16 and game.g_reg_interval == 4
    assert math.isclose(float(AdaController().ada_kimg), 500.0)


# --- torch.compile-friendly: one graph, no host sync ----------------------------------


@pytest.mark.parametrize("make", [
    lambda: DiffAugment("color,translation,cutout"),
    lambda: AdaptiveAugment("blit,color,cutout", p=0.5),
], ids=["diffaugment", "ada"])
def test_pipeline_compiles_to_one_graph(make):
    pipeline = make()
    x = torch.rand(4, 3, 8, 8) * 2 - 1
    compiled = torch.compile(pipeline, backend="aot_eager", fullgraph=True)
    torch.manual_seed(0)
    expected = pipeline(x)
    torch.manual_seed(0)
    torch.testing.assert_close(compiled(x), expected)
