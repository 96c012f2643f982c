"""The seam between the loop and its games: named loss terms, lazy regularization with
Karras et al.'s Adam correction, penalties of packed discriminators, an objective that
feeds G something other than ``z``, and exact resume for every objective."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib import models
from gan_lib.data import ring
from gan_lib.layers import MinibatchStdDev
from gan_lib.regularizers import gradient_penalty, r1_penalty
from gan_lib.stabilization import PacDiscriminator, pack
from gan_lib.training import TrainConfig, train
from gan_lib.training.objectives import (
    Adversarial,
    Objective,
    Reals,
    Terms,
    lazy_adam,
    unwrap,
)

RING = ring()


def make_models(seed: int = 0) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)
    G = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=16, n_layers=2)
    D = models.get("mlp_discriminator", in_dim=2, hidden=16, n_layers=2)
    return G, D


def config(**overrides) -> TrainConfig:
    fields = dict(steps=4, batch_size=32, device="cpu", progress=False, seed=0)
    return TrainConfig(**{**fields, **overrides})


# --- named terms ---------------------------------------------------------------------


def test_gp_and_r1_together_are_both_recorded_and_sum_to_the_loss():
    G, D = make_models()
    history = train(G, D, RING.sample, config(
        loss="wasserstein", gp_weight=10.0, r1_gamma=2.0, log_every=1)).history
    assert {"D/adversarial", "D/gp", "D/r1", "G/adversarial"} <= set(history)
    assert all(v > 0 for v in history["D/gp"] + history["D/r1"])
    for i in range(4):
        parts = history["D/adversarial"][i] + history["D/gp"][i] + history["D/r1"][i]
        assert history["loss_D"][i] == pytest.approx(parts, rel=1e-6, abs=1e-7)


# --- lazy regularization -------------------------------------------------------------


def test_lazy_adam_is_karras_correction():
    lr, (b1, b2) = lazy_adam(2e-3, (0.0, 0.99), interval=16)
    c = 16 / 17
    assert lr == pytest.approx(2e-3 * c) and b1 == 0.0
    assert b2 == pytest.approx(0.99**c)
    assert lazy_adam(2e-3, (0.5, 0.9), 1) == (2e-3, (0.5, 0.9))  # not lazy: unchanged
    with pytest.raises(ValueError, match="interval"):
        lazy_adam(1e-3, (0.5, 0.9), 0)


@pytest.mark.parametrize("interval", [2, 3])
def test_a_lazy_penalty_is_its_own_adam_step_with_the_corrected_hyperparameters(
    tmp_path, interval
):
    steps, d_steps = 6, 2
    path = tmp_path / "run.pt"
    G, D = make_models()
    cfg = config(steps=steps, d_steps=d_steps, r1_gamma=1.0, reg_interval=interval,
                 checkpoint_path=str(path))
    train(G, D, RING.sample, cfg)
    state = torch.load(path, weights_only=True)
    (group,) = state["opt_D"]["param_groups"]
    c = interval / (interval + 1)
    assert group["lr"] == pytest.approx(cfg.lr_d * c)
    assert group["betas"] == pytest.approx((0.5**c, 0.999**c))
    assert state["opt_G"]["param_groups"][0]["lr"] == cfg.lr_g  # G: no penalty
    d_updates = steps * d_steps
    lazy_updates = math.ceil(d_updates / interval)  # after D steps 0, k, 2k, ...
    adam_steps = {int(s["step"]) for s in state["opt_D"]["state"].values()}
    # R1 does not depend on D's output bias, so Adam skips that one in lazy steps
    assert adam_steps == {d_updates + lazy_updates, d_updates}
    assert {int(s["step"]) for s in state["opt_G"]["state"].values()} == {steps}


def test_without_a_penalty_reg_interval_changes_nothing():
    runs = []
    for interval in (1, 4):
        G, D = make_models()
        runs.append(train(G, D, RING.sample, config(reg_interval=interval)))
    for a, b in zip(runs[0].D.parameters(), runs[1].D.parameters(), strict=True):
        assert torch.equal(a, b)


# --- penalties of discriminators that judge several samples ---------------------------


class PackedMLP(nn.Module):
    def __init__(self, m: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * m, 16), nn.Tanh(), nn.Linear(16, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(1)


@pytest.mark.parametrize("m", [2, 4])
def test_r1_and_gp_of_a_packed_discriminator_take_one_norm_per_pack(m):
    torch.manual_seed(0)
    inner = PackedMLP(m)
    D = PacDiscriminator(inner, m)
    x = torch.randn(16, 2)
    # by hand: the packs are the critic's inputs, so the norms are per pack
    packs = pack(x, m).requires_grad_(True)
    (grad,) = torch.autograd.grad(inner(packs).sum(), packs)
    expected_r1 = grad.pow(2).sum(1).mean()
    assert r1_penalty(D, x, group=m).item() == pytest.approx(expected_r1.item(), 1e-6)
    assert r1_penalty(D, x).item() == pytest.approx(expected_r1.item() / m, 1e-6)
    fake = torch.randn(16, 2)
    gen = torch.Generator().manual_seed(3)
    eps = torch.rand(16 // m, 1, generator=gen)
    x_hat = eps * pack(x, m) + (1 - eps) * pack(fake, m)  # one epsilon per pack
    x_hat.requires_grad_(True)
    (grad,) = torch.autograd.grad(inner(x_hat).sum(), x_hat)
    expected_gp = (grad.norm(dim=1) - 1).pow(2).mean()
    got = gradient_penalty(D, x, fake, torch.Generator().manual_seed(3), group=m)
    assert got.item() == pytest.approx(expected_gp.item(), 1e-6)


def test_the_loop_penalizes_a_packed_discriminator_per_pack():
    torch.manual_seed(0)
    G = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=16, n_layers=2)
    D = PacDiscriminator(PackedMLP(4), 4)
    D0 = PacDiscriminator(PackedMLP(4), 4)
    D0.load_state_dict(D.state_dict())
    history = train(G, D, RING.sample, config(steps=1, r1_gamma=2.0)).history
    # replay the step's draws: data, then z; R1 per pack, weighted gamma / 2
    torch.manual_seed(0)
    x_real = RING.sample(32)
    assert history["D/r1"][0] == pytest.approx(r1_penalty(D0, x_real, group=4).item(),
                                               rel=1e-5)


def test_a_penalty_on_a_discriminator_that_mixes_samples_is_refused():
    G, _ = make_models()
    D = nn.Sequential(nn.Linear(2, 8), MinibatchStdDev(group_size=4), nn.Linear(9, 1))
    with pytest.raises(ValueError, match="MinibatchStdDev.*depends on the rest"):
        train(G, D, RING.sample, config(r1_gamma=1.0))
    with pytest.raises(ValueError, match="gradient penalty"):
        train(G, D, RING.sample, config(loss="wasserstein", gp_weight=10.0))
    train(G, D, RING.sample, config(steps=1))  # without a penalty it trains


# --- an objective that feeds G an image --------------------------------------------


class Colorize(Objective):
    """A paired translation game: G maps a source to a target, D judges (source,
    output) pairs, and G adds an L1 term (Pix2Pix in miniature)."""

    def discriminator_loss(self, reals: Reals, d_step: int) -> Terms:
        source, target = reals()
        with torch.no_grad():
            fake = self.context.G(source)
        real_logits = self.context.D(torch.cat([source, target], 1))
        fake_logits = self.context.D(torch.cat([source, fake], 1))
        return {"adversarial": F.softplus(-real_logits).mean()
                + F.softplus(fake_logits).mean()}

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        source, target = reals()
        fake = self.context.G(source)
        logits = unwrap(self.context.D)(torch.cat([source, fake], 1))
        return {"adversarial": F.softplus(-logits).mean(),
                "l1": 10 * (fake - target).abs().mean()}


def test_an_objective_decides_what_g_is_fed_and_g_needs_no_z_dim(tmp_path):
    gen = torch.Generator().manual_seed(0)
    source = torch.rand(64, 3, generator=gen)
    target = source.flip(1)  # the known ground truth: reverse the channels

    def run(steps: int, path) -> object:
        torch.manual_seed(1)
        G = nn.Linear(3, 3)  # no z_dim anywhere
        D = nn.Sequential(nn.Linear(6, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1),
                          nn.Flatten(0))
        cfg = config(steps=steps, batch_size=16, lr_g=1e-2, checkpoint_path=str(path),
                     log_every=5)
        return train(G, D, (source, target), cfg, objective=Colorize())

    torch.manual_seed(1)
    untrained = nn.Linear(3, 3)  # the run's initial G
    result = run(200, tmp_path / "a.pt")
    assert set(result.history) >= {"G/l1", "G/adversarial", "D/adversarial"}
    error = (result.G(source) - target).abs().mean().item()
    assert error < 0.25 * (untrained(source) - target).abs().mean().item()
    # the config's shortcuts for the default game would be ignored: refused
    with pytest.raises(ValueError, match=r"r1_gamma=1.0.*give those settings"):
        train(nn.Linear(3, 3), nn.Linear(6, 1), (source, target),
              config(r1_gamma=1.0), objective=Colorize())
    # exact resume holds for it too
    run(120, tmp_path / "b.pt")
    resumed = run(200, tmp_path / "b.pt")
    for a, b in zip(resumed.G.parameters(), result.G.parameters(), strict=True):
        assert torch.equal(a, b)


# --- exact resume, objective by objective ----------------------------------------
# (adversarial with every penalty: test_training.py; conditional + AC-GAN and
# unrolled: test_training_variants.py; an image-fed objective: above)

RESUME = {
    "feature matching": dict(feature_matching=True, ema_decay=0.9),
    "packed D, lazy R1": dict(r1_gamma=1.0, reg_interval=3, d_steps=2, pack=4),
    "clipped critic": dict(loss="wasserstein", clip_value=0.05, d_steps=3),
}


@pytest.mark.parametrize("case", RESUME.values(), ids=RESUME.keys())
def test_resume_is_bitwise_exact_for_each_objective(tmp_path, case):
    case = dict(case)
    pack = case.pop("pack", 1)

    def fresh() -> tuple[nn.Module, nn.Module]:
        torch.manual_seed(0)
        G = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=16, n_layers=2)
        D = models.get("mlp_discriminator", in_dim=2, hidden=16, n_layers=2, pack=pack)
        return G, D

    fields = dict(case, steps=7, checkpoint_every=2)
    full = train(*fresh(), RING.sample, config(**fields))
    path = str(tmp_path / "run.pt")
    train(*fresh(), RING.sample, config(**{**fields, "steps": 5, "checkpoint_path": path}))
    torch.randn(3)  # unrelated draws in between
    resumed = train(*fresh(), RING.sample, config(**{**fields, "checkpoint_path": path}))
    for a, b in [(full.G, resumed.G), (full.D, resumed.D), (full.G_ema, resumed.G_ema)]:
        for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
            assert torch.equal(p, q), name
    assert {k: v for k, v in full.history.items() if k != "hook"} == {
        k: v for k, v in resumed.history.items() if k != "hook"}


class Cycle(Objective):
    """Two generators and two critics in ``nn.ModuleDict``s (CycleGAN in miniature):
    unpaired batches of two domains, adversarial terms both ways plus the cycle L1."""

    def discriminator_loss(self, reals: Reals, d_step: int) -> Terms:
        a, b = reals()
        G, D = self.context.G, self.context.D
        with torch.no_grad():
            fake_b, fake_a = G["ab"](a), G["ba"](b)
        return {f"adversarial_{k}": F.softplus(-D[k](real)).mean()
                + F.softplus(D[k](fake)).mean()
                for k, real, fake in (("a", a, fake_a), ("b", b, fake_b))}

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        a, b = reals()
        G, D = self.context.G, unwrap(self.context.D)
        fake_b, fake_a = G["ab"](a), G["ba"](b)
        return {"adversarial": F.softplus(-D["b"](fake_b)).mean()
                + F.softplus(-D["a"](fake_a)).mean(),
                "cycle": 10 * ((G["ba"](fake_b) - a).abs().mean()
                               + (G["ab"](fake_a) - b).abs().mean())}


def test_an_objective_may_train_module_dicts_of_networks():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(64, 2, generator=gen)
    b = a @ torch.tensor([[0.0, -1.0], [1.0, 0.0]])  # domain b: a rotated (unpaired)

    def critic() -> nn.Module:
        return nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1),
                             nn.Flatten(0))

    torch.manual_seed(0)
    G = nn.ModuleDict({"ab": nn.Linear(2, 2), "ba": nn.Linear(2, 2)})
    D = nn.ModuleDict({"a": critic(), "b": critic()})
    before = (G["ba"](G["ab"](a)) - a).abs().mean().item()
    cfg = config(steps=150, batch_size=16, lr_g=1e-2, ema_decay=0.9, log_every=50)
    result = train(G, D, (a, b[torch.randperm(64, generator=gen)]), cfg,
                   objective=Cycle())
    assert {"D/adversarial_a", "D/adversarial_b", "G/cycle"} <= set(result.history)
    after = (result.G["ba"](result.G["ab"](a)) - a).abs().mean().item()
    assert after < 0.2 * before  # the pair of maps learned to invert each other
    assert set(result.G_ema) == {"ab", "ba"}  # the EMA keeps both generators


class LazyGenerator(Objective):
    """The plain game plus a lazy G penalty every 2 steps whose weight follows a running
    mean: an objective with its own state (as StyleGAN2's path length)."""

    g_reg_interval = 2

    def __init__(self) -> None:
        self.game = Adversarial()
        self.mean = torch.zeros(())

    def bind(self, context) -> None:
        super().bind(context)
        self.game.bind(context)

    def discriminator_loss(self, reals: Reals, d_step: int) -> Terms:
        return self.game.discriminator_loss(reals, d_step)

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        return self.game.generator_loss(reals, g_step)

    def generator_regularizer(self, g_step: int) -> Terms | None:
        if g_step % self.g_reg_interval:
            return None
        x, _ = self.game.fakes()
        size = x.pow(2).mean()
        self.mean = self.mean + 0.1 * (size.detach() - self.mean)
        return {"size": self.g_reg_interval * (size - self.mean).pow(2)}

    def state_dict(self) -> dict[str, Tensor]:
        return {"mean": self.mean}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        self.mean = state["mean"]


def test_a_lazy_generator_penalty_and_an_objective_s_own_state_resume_exactly(tmp_path):
    steps = 7
    straight_game = LazyGenerator()
    straight = train(*make_models(), RING.sample, config(steps=steps),
                     objective=straight_game)
    assert straight_game.mean.item() > 0  # it moved: a state worth saving
    path = str(tmp_path / "run.pt")
    train(*make_models(), RING.sample, config(steps=4, checkpoint_path=path),
          objective=LazyGenerator())
    state = torch.load(path, weights_only=True)
    (group,) = state["opt_G"]["param_groups"]
    assert group["lr"] == pytest.approx(2e-4 * 2 / 3)  # Karras et al.'s correction
    assert group["betas"] == pytest.approx((0.5 ** (2 / 3), 0.999 ** (2 / 3)))
    g_updates = {int(s["step"]) for s in state["opt_G"]["state"].values()}
    assert g_updates == {4 + 2}  # 4 G steps, lazy steps after G steps 0 and 2
    resumed_game = LazyGenerator()
    resumed = train(*make_models(), RING.sample, config(steps=steps, checkpoint_path=path),
                    objective=resumed_game)
    assert torch.equal(resumed_game.mean, straight_game.mean)
    for p, q in zip(straight.G.parameters(), resumed.G.parameters(), strict=True):
        assert torch.equal(p, q)
    assert straight.history["G/size"] == resumed.history["G/size"]
