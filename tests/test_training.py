"""The training loop: exact resume, the non-finite guard, checkpoints, config, hooks.

Small MLPs and a handful of steps keep the file fast; every check is on numbers
(bitwise-equal weights, closed-form Adam and EMA updates, counts of calls).
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from gan_lib import losses, models
from gan_lib.data import ring
from gan_lib.errors import UnknownNameError
from gan_lib.training import (
    NonFiniteError,
    Snapshot,
    TrainConfig,
    ema_decay_at,
    load_generator,
    train,
    update_ema,
)

RING = ring()
Z_DIM = 2


def make_models(seed: int = 0) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)
    G = models.get("mlp_generator", z_dim=Z_DIM, out_dim=2, hidden=16, n_layers=2)
    D = models.get("mlp_discriminator", in_dim=2, hidden=16, n_layers=2)
    return G, D


def config(**overrides) -> TrainConfig:
    fields = dict(steps=6, batch_size=32, device="cpu", progress=False, seed=0)
    return TrainConfig(**{**fields, **overrides})


def ring_tensor(n: int = 200) -> torch.Tensor:
    return RING.sample(n, generator=torch.Generator().manual_seed(123))


def disturb_process_state() -> None:
    """Draw from every global generator, as unrelated work between runs would."""
    torch.randn(13)
    random.random()
    np.random.rand(3)


def assert_same_weights(a: nn.Module, b: nn.Module) -> None:
    state_a, state_b = a.state_dict(), b.state_dict()
    assert state_a.keys() == state_b.keys()
    for key in state_a:
        assert torch.equal(state_a[key], state_b[key]), key


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class CountingSource:
    """A callable data source (the ring) that counts full batches and can go NaN."""

    def __init__(self, nan_from_batch: int | None = None, batch_size: int = 32):
        self.batches, self.nan_from = 0, nan_from_batch
        self.batch_size = batch_size

    def __call__(self, n: int) -> torch.Tensor:
        x = RING.sample(n)
        if n == self.batch_size:  # not the loop's one-sample peek at the data
            self.batches += 1
            if self.nan_from is not None and self.batches >= self.nan_from:
                x = torch.full_like(x, math.nan)
        return x


# --- exact resume --------------------------------------------------------------------


def noisy_hook(snapshot: Snapshot) -> dict[str, float]:
    """A hook that draws from every global generator, as a sampling hook does."""
    z = torch.randn(64, Z_DIM)
    spread = snapshot.G_ema(z).std().item()
    return {"spread": spread, "py": random.random(), "np": float(np.random.rand())}


RESUME_CASES = {
    "callable-d_steps2-ema": dict(
        data="callable", d_steps=2, ema_decay=0.9, log_every=3
    ),
    "tensor-d_steps2-ema-epochs": dict(data="tensor", d_steps=2, ema_decay=0.9),
    "tensor-wgan_gp-lazy2": dict(
        data="tensor", loss="wasserstein", gp_weight=10.0, reg_interval=2, lr_d=1e-3
    ),
    "callable-wgan_gp-lazy2-d_steps3": dict(
        data="callable",
        loss="wasserstein",
        gp_weight=10.0,
        reg_interval=2,
        d_steps=3,
        ema_decay=0.8,
    ),
    "callable-r1-lazy2-ragan": dict(
        data="callable",
        loss="relativistic_average",
        r1_gamma=1.0,
        reg_interval=2,
        ema_decay=0.9,
    ),
    "tensor-r1-hinge-hook": dict(
        data="tensor",
        loss="hinge",
        r1_gamma=0.5,
        hook="noisy",
        hook_every=3,
        ema_decay=0.95,
    ),
}


@pytest.mark.parametrize("case", RESUME_CASES.values(), ids=RESUME_CASES.keys())
def test_resumed_run_ends_bitwise_equal_to_uninterrupted_run(tmp_path, case):
    case = dict(case)
    data = RING.sample if case.pop("data") == "callable" else ring_tensor()
    hook = noisy_hook if case.pop("hook", None) == "noisy" else None
    steps, half = 10, 5  # an odd half: lazy regularization and epochs stay mid-way

    G, D = make_models()
    straight = train(G, D, data, config(steps=steps, **case), hook=hook)

    path = tmp_path / "run.pt"
    G, D = make_models()
    first = train(
        G, D, data, config(steps=half, checkpoint_path=str(path), **case), hook=hook
    )
    assert first.step == half and path.exists()
    del G, D, first
    disturb_process_state()
    G, D = make_models(seed=99)  # fresh objects with other weights
    resumed = train(
        G, D, data, config(steps=steps, checkpoint_path=str(path), **case), hook=hook
    )

    assert resumed.step == straight.step == steps
    assert_same_weights(resumed.G, straight.G)
    assert_same_weights(resumed.D, straight.D)
    assert_same_weights(resumed.G_ema, straight.G_ema)
    if case.get("ema_decay"):
        assert resumed.G_ema is not resumed.G
    assert set(resumed.history) == set(straight.history)
    for key in set(straight.history) - {"hook"}:  # every loss term, bitwise
        assert resumed.history[key] == straight.history[key], key
        assert len(resumed.history[key]) == steps
    # the interrupted run also called the hook where it stopped: a superset
    straight_hooks = straight.history["hook"]
    assert all(entry in resumed.history["hook"] for entry in straight_hooks)
    assert files_in(tmp_path) == ["run.pt"]  # no temporary file left behind


def test_resume_false_ignores_an_existing_checkpoint(tmp_path):
    path = str(tmp_path / "run.pt")
    G, D = make_models()
    train(G, D, RING.sample, config(steps=3, checkpoint_path=path))
    G, D = make_models()
    fresh = train(
        G, D, RING.sample, config(steps=3, checkpoint_path=path), resume=False
    )
    G, D = make_models()
    reference = train(G, D, RING.sample, config(steps=3))
    assert_same_weights(fresh.G, reference.G)
    assert torch.load(path, weights_only=True)["step"] == 3


def test_resuming_a_finished_run_changes_nothing(tmp_path):
    path = str(tmp_path / "run.pt")
    G, D = make_models()
    done = train(G, D, RING.sample, config(steps=4, checkpoint_path=path))
    G, D = make_models(seed=5)
    again = train(G, D, RING.sample, config(steps=4, checkpoint_path=path))
    assert again.step == 4 and again.history == done.history
    assert_same_weights(again.G, done.G)
    assert_same_weights(again.D, done.D)


# --- the non-finite guard ------------------------------------------------------------


@pytest.mark.parametrize("log_every,last_step", [(1, 7), (10, 8)])
def test_nan_data_stops_training_and_keeps_last_good_checkpoint(
    tmp_path, log_every, last_step
):
    path = tmp_path / "run.pt"
    source = CountingSource(nan_from_batch=7)  # batch 7 feeds step 7 (d_steps = 1)
    G, D = make_models()
    cfg = config(
        steps=20, checkpoint_path=str(path), checkpoint_every=2, log_every=log_every
    )
    with pytest.raises(NonFiniteError) as info:
        train(G, D, source, cfg)
    message = str(info.value)
    assert f"non-finite between steps 7 and {last_step}" in message
    assert "non_saturating" in message and "left as it was" in message
    assert files_in(tmp_path) == ["run.pt"]

    state = torch.load(path, weights_only=True)  # intact and loadable
    assert state["step"] == 6
    assert state["history"]["step"] == list(range(1, 7))
    assert all(math.isfinite(v) for v in state["history"]["loss_D"])
    for net in ("G", "D"):
        assert all(torch.isfinite(w).all() for w in state[net].values())
    # and it is the state of a clean run after 6 steps on the same data
    G, D = make_models()
    clean = train(G, D, CountingSource(), config(steps=6))
    for net, module in (("G", clean.G), ("D", clean.D)):
        for key, value in module.state_dict().items():
            assert torch.equal(state[net][key], value), (net, key)


def test_diverging_learning_rate_raises_non_finite_error(tmp_path):
    G, D = make_models()
    cfg = config(
        steps=50,
        lr_d=1e30,
        log_every=1,
        checkpoint_path=str(tmp_path / "c.pt"),
        checkpoint_every=1,
    )
    with pytest.raises(NonFiniteError, match=r"non-finite.*lr_d 1e\+30"):
        train(G, D, RING.sample, cfg)
    assert all(not name.endswith(".tmp") for name in files_in(tmp_path))
    if (tmp_path / "c.pt").exists():  # whatever was saved is finite
        state = torch.load(tmp_path / "c.pt", weights_only=True)
        assert all(torch.isfinite(w).all() for w in state["D"].values())


def test_non_finite_error_without_checkpoint_says_so():
    G, D = make_models()
    with pytest.raises(NonFiniteError, match="no checkpoint was written"):
        train(G, D, CountingSource(nan_from_batch=2), config(steps=5, log_every=1))


# --- checkpoints -------------------------------------------------------------------


def test_checkpoint_is_weights_only_and_records_config_and_specs(tmp_path):
    path = tmp_path / "run.pt"
    G, D = make_models()
    cfg = config(steps=4, ema_decay=0.9, checkpoint_path=str(path), checkpoint_every=2)
    result = train(G, D, RING.sample, cfg)
    state = torch.load(path, weights_only=True)  # no pickled code in the file
    assert state["step"] == 4
    assert json.loads(state["config"]) == json.loads(cfg.to_json())
    assert json.loads(state["config"])["ema_decay"] == 0.9
    specs = json.loads(state["specs"])
    assert specs["G"] == G.gan_lib_spec and specs["D"] == D.gan_lib_spec
    for key, value in result.G_ema.state_dict().items():
        assert torch.equal(state["G_ema"][key], value)
    assert files_in(tmp_path) == ["run.pt"]


def test_load_generator_rebuilds_the_ema_generator(tmp_path):
    path = tmp_path / "run.pt"
    G, D = make_models()
    result = train(
        G, D, RING.sample, config(steps=4, ema_decay=0.5, checkpoint_path=str(path))
    )
    G_ema = load_generator(path)
    assert not G_ema.training and G_ema.gan_lib_spec == G.gan_lib_spec
    assert_same_weights(G_ema, result.G_ema)
    G_raw = load_generator(path, ema=False)
    assert_same_weights(G_raw, result.G)
    z = torch.randn(8, Z_DIM)
    assert not torch.equal(G_ema(z), G_raw(z))  # the EMA is a different generator


def test_load_generator_without_ema_returns_the_trained_generator(tmp_path):
    path = tmp_path / "run.pt"
    G, D = make_models()
    result = train(G, D, RING.sample, config(steps=2, checkpoint_path=str(path)))
    assert_same_weights(load_generator(path), result.G)


def test_load_generator_refuses_a_generator_not_built_by_the_registry(tmp_path):
    class PlainGenerator(nn.Module):
        z_dim = Z_DIM

        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Linear(Z_DIM, 2)

        def forward(self, z: torch.Tensor) -> torch.Tensor:
            return self.net(z)

    path = tmp_path / "run.pt"
    _, D = make_models()
    train(PlainGenerator(), D, RING.sample, config(steps=1, checkpoint_path=str(path)))
    with pytest.raises(ValueError, match="not built by gan_lib.models.get"):
        load_generator(path)


# --- what one step computes --------------------------------------------------------


def test_first_step_is_one_adam_step_for_d_then_one_for_g_with_their_own_lr():
    lr_d, lr_g = 4e-3, 1e-3  # TTUR: separate learning rates
    G, D = make_models()
    G0, D0 = make_models()
    result = train(G, D, RING.sample, config(steps=1, lr_d=lr_d, lr_g=lr_g))
    d_loss_fn, g_loss_fn = losses.get("non_saturating")

    # replay the draws of step 1: real batch, z for the D step, z for the G step
    torch.manual_seed(0)
    x_real = RING.sample(32)
    z_d, z_g = torch.randn(32, Z_DIM), torch.randn(32, Z_DIM)
    loss_D = d_loss_fn(D0(x_real), D0(G0(z_d).detach()))
    grads_D = torch.autograd.grad(loss_D, list(D0.parameters()))
    assert result.history["loss_D"][0] == pytest.approx(loss_D.item(), rel=1e-6)
    # Adam's first step is lr * m / sqrt(v) = lr * sign(grad) (bias-corrected)
    for p0, p1, g in zip(D0.parameters(), result.D.parameters(), grads_D, strict=True):
        expected = p0 - lr_d * g / (g.abs() + 1e-8)
        assert torch.allclose(p1, expected, atol=1e-6), "D step"
    # the G step plays against the updated D
    fake_logits = result.D(G0(z_g))
    loss_G = g_loss_fn(fake_logits, fake_logits)
    grads_G = torch.autograd.grad(loss_G, list(G0.parameters()))
    assert result.history["loss_G"][0] == pytest.approx(loss_G.item(), rel=1e-5)
    for p0, p1, g in zip(G0.parameters(), result.G.parameters(), grads_G, strict=True):
        expected = p0 - lr_g * g / (g.abs() + 1e-8)
        assert torch.allclose(p1, expected, atol=1e-6), "G step"


def test_ema_after_one_step_is_the_convex_combination():
    decay = 0.9
    G, D = make_models()
    G0, _ = make_models()
    result = train(G, D, RING.sample, config(steps=1, ema_decay=decay))
    for p0, p1, p_ema in zip(
        G0.parameters(), result.G.parameters(), result.G_ema.parameters(), strict=True
    ):
        assert torch.allclose(p_ema, decay * p0 + (1 - decay) * p1, atol=1e-7)
    assert not any(p.requires_grad for p in result.G_ema.parameters())


def test_ema_warmup_follows_the_num_updates_rule_and_resumes_exactly(tmp_path):
    assert ema_decay_at(0.999, False, 0) == 0.999
    assert ema_decay_at(0.999, True, 0) == pytest.approx(0.1)  # (1 + 0) / (10 + 0)
    assert ema_decay_at(0.999, True, 90) == pytest.approx(0.91)
    assert ema_decay_at(0.999, True, 10**6) == 0.999
    G, D = make_models()
    G0, _ = make_models()
    result = train(G, D, RING.sample, config(steps=1, ema_decay=0.999, ema_warmup=True))
    for p0, p1, p_ema in zip(
        G0.parameters(), result.G.parameters(), result.G_ema.parameters(), strict=True
    ):
        assert torch.allclose(p_ema, 0.1 * p0 + 0.9 * p1, atol=1e-7)
    cfg = {"steps": 5, "ema_decay": 0.99, "ema_warmup": True}
    full = train(*make_models(), RING.sample, config(**cfg))
    path = str(tmp_path / "run.pt")
    train(
        *make_models(), RING.sample, config(**{**cfg, "steps": 3}, checkpoint_path=path)
    )
    resumed = train(*make_models(), RING.sample, config(**cfg, checkpoint_path=path))
    assert_same_weights(full.G_ema, resumed.G_ema)


def test_update_ema_closed_form_and_buffers_copied():
    G_ema, G = nn.BatchNorm1d(3), nn.BatchNorm1d(3)
    with torch.no_grad():
        G_ema.weight.fill_(1.0)
        G.weight.fill_(3.0)
        G.running_mean.fill_(7.0)
    update_ema(G_ema, G, decay=0.75)
    assert torch.allclose(G_ema.weight, torch.full((3,), 0.75 * 1 + 0.25 * 3))
    assert torch.equal(G_ema.running_mean, G.running_mean)


@pytest.mark.parametrize(
    "loss,d_steps,batches_per_step",
    [("non_saturating", 3, 3), ("relativistic", 2, 3), ("relativistic_average", 1, 2)],
)
def test_d_steps_discriminator_batches_per_generator_step(
    loss, d_steps, batches_per_step
):
    # k real batches for k D steps; the relativistic G step reads one more
    source = CountingSource()
    G, D = make_models()
    train(G, D, source, config(steps=4, loss=loss, d_steps=d_steps))
    assert source.batches == 4 * batches_per_step


@pytest.mark.parametrize("penalty", ["gp_weight", "r1_gamma"])
def test_lazy_regularization_penalizes_every_reg_interval_d_steps(penalty):
    G, D = make_models()
    cfg = config(
        steps=6, loss="wasserstein", log_every=1, reg_interval=2, **{penalty: 1.0}
    )
    history = train(G, D, RING.sample, cfg).history
    name = "D/gp" if penalty == "gp_weight" else "D/r1"
    assert all(v > 0 for v in history[name][0::2])  # D steps 0, 2, 4
    assert all(v == 0 for v in history[name][1::2])  # D steps 1, 3, 5
    # the lazy step is its own step: D's main loss holds no penalty
    assert history["loss_D"] == history["D/adversarial"]


# --- every loss trains ---------------------------------------------------------------

LOSS_CASES = [(name, {}) for name in losses.names()] + [
    ("wasserstein", dict(gp_weight=10.0)),
    ("wasserstein", dict(clip_value=0.01)),
]


@pytest.mark.parametrize(
    "name,extra",
    LOSS_CASES,
    ids=[f"{n}-{'-'.join(e) or 'plain'}" for n, e in LOSS_CASES],
)
def test_every_loss_trains_a_few_steps(name, extra):
    G, D = make_models()
    G0, D0 = make_models()
    result = train(G, D, RING.sample, config(steps=3, loss=name, log_every=2, **extra))
    history = result.history
    assert len(history["loss_D"]) == len(history["loss_G"]) == 3
    assert all(math.isfinite(v) for v in history["loss_D"] + history["loss_G"])
    for p0, p1 in zip(G0.parameters(), result.G.parameters(), strict=True):
        assert not torch.equal(p0, p1)  # every G parameter trained
    # D's output bias may not move: shift-invariant losses (WGAN, relativistic, and
    # hinge while every margin is active) give it an exactly zero gradient
    for p0, p1 in zip(D0.parameters(), result.D.parameters(), strict=True):
        assert p0.dim() < 2 or not torch.equal(p0, p1)
    if "clip_value" in extra:
        clip = torch.tensor(0.01).item()
        assert all(p.abs().max().item() <= clip for p in result.D.parameters())
    if "gp_weight" in extra:
        assert all(v > 0 for v in history["D/gp"])


def test_image_shaped_tensor_data_trains():
    class ImageGenerator(nn.Module):
        z_dim = 4

        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Linear(4, 1 * 4 * 4)

        def forward(self, z: torch.Tensor) -> torch.Tensor:
            return self.net(z).view(-1, 1, 4, 4)  # (N, 1, 4, 4)

    torch.manual_seed(0)
    D = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(16, 1))
    images = torch.rand(64, 1, 4, 4)
    result = train(
        ImageGenerator(), D, images, config(steps=3, batch_size=16, r1_gamma=1.0)
    )
    assert len(result.history["loss_D"]) == 3


# --- history and hooks -------------------------------------------------------------


def test_history_has_one_entry_per_step():
    G, D = make_models()
    history = train(G, D, RING.sample, config(steps=7, log_every=3)).history
    assert history["step"] == list(range(1, 8))
    assert set(history) == {"step", "loss_D", "loss_G", "D/adversarial",
                            "G/adversarial", "hook"}  # no regularizer asked for
    for key in ("loss_D", "loss_G", "D/adversarial", "G/adversarial"):
        assert len(history[key]) == 7
        assert all(isinstance(v, float) and math.isfinite(v) for v in history[key])
    assert history["loss_D"] == history["D/adversarial"]


def test_hook_is_called_every_hook_every_steps_and_at_the_end():
    calls: list[int] = []

    def hook(snapshot: Snapshot) -> dict[str, float] | None:
        calls.append(snapshot.step)
        assert snapshot.G_ema is snapshot.G  # no EMA in this run
        assert not torch.is_grad_enabled()
        if snapshot.step == 6:
            return None  # nothing to record
        return {"twice": 2.0 * snapshot.step}

    G, D = make_models()
    result = train(G, D, RING.sample, config(steps=7, hook_every=3), hook=hook)
    assert calls == [3, 6, 7]
    assert result.history["hook"] == [
        {"step": 3, "twice": 6.0},
        {"step": 7, "twice": 14.0},
    ]
    assert result.G.training  # the loop restores train mode after the hook


def test_hook_without_hook_every_runs_once_at_the_end():
    calls: list[int] = []

    def hook(snapshot: Snapshot) -> None:
        calls.append(snapshot.step)

    G, D = make_models()
    result = train(G, D, RING.sample, config(steps=4), hook=hook)
    assert calls == [4] and result.history["hook"] == []  # None records nothing


# --- configuration -----------------------------------------------------------------


@pytest.mark.parametrize("exception", [KeyError, ValueError, UnknownNameError])
def test_unknown_loss_name_in_config_lists_known_names(exception):
    with pytest.raises(exception) as info:
        TrainConfig(loss="wgan")
    for name in losses.names():
        assert name in str(info.value)


@pytest.mark.parametrize(
    "field,value",
    [
        ("steps", 0),
        ("steps", 2.5),
        ("steps", "10"),
        ("batch_size", -1),
        ("d_steps", 0),
        ("reg_interval", 0),
        ("log_every", 0),
        ("hook_every", -1),
        ("hook_every", 1.5),
        ("hook_every", "3"),
        ("checkpoint_every", -2),
        ("checkpoint_every", 0.5),
    ],
)
def test_config_refuses_bad_ints(field, value):
    with pytest.raises(ValueError, match=f"TrainConfig.{field} must be"):
        TrainConfig(**{field: value})


@pytest.mark.parametrize(
    "field,value,match",
    [
        ("ema_decay", 1.0, "ema_decay must lie in"),
        ("ema_decay", 0.0, "ema_decay must lie in"),
        ("ema_decay", -0.5, "ema_decay must lie in"),
        ("precision", "fp8", "precision must be"),
    ],
)
def test_config_refuses_bad_values(field, value, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**{field: value})


def test_config_round_trips_through_json():
    cfg = TrainConfig(loss="hinge", betas_d=[0.0, 0.9], ema_decay=0.999)
    assert cfg.betas_d == (0.0, 0.9)
    fields = json.loads(cfg.to_json())
    assert TrainConfig(**fields) == cfg


def test_train_refuses_bad_data_and_generators_without_z_dim():
    G, D = make_models()
    with pytest.raises(ValueError, match=r"N >= batch_size=32.*\(10, 2\)"):
        train(G, D, torch.zeros(10, 2), config(steps=1))
    with pytest.raises(
        TypeError, match=r"a tensor, an \(x, y\) pair of tensors or a callable"
    ):
        train(G, D, [[0.0, 0.0]] * 64, config(steps=1))  # type: ignore[arg-type]
    with pytest.raises(AttributeError, match="z_dim"):
        train(nn.Linear(2, 2), D, RING.sample, config(steps=1))


def test_load_generator_names_a_file_that_is_not_a_training_checkpoint(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weight": torch.zeros(3)}, path)
    with pytest.raises(ValueError, match="not a checkpoint of gan_lib.training.train.*"
                                         "lacks \\['specs', 'G', 'G_ema'\\]"):
        load_generator(path)


def test_a_run_removes_the_temporaries_of_a_killed_checkpoint_write(tmp_path):
    path = tmp_path / "run.pt"
    (tmp_path / ".run.pt.killed.tmp").write_bytes(b"half a checkpoint")
    G, D = make_models()
    train(G, D, RING.sample, config(steps=2, checkpoint_path=str(path)))
    assert files_in(tmp_path) == ["run.pt"]


@pytest.mark.parametrize("field,value", [
    ("lr_g", -1e-4), ("lr_d", -2e-4), ("lr_d", float("inf")), ("lr_g", float("nan")),
])
def test_a_negative_or_non_finite_learning_rate_is_refused(field, value):
    with pytest.raises(ValueError, match=f"TrainConfig.{field} must be a finite number"):
        TrainConfig(**{field: value})


def test_integer_betas_reach_adam_as_floats():
    """(0, 0.99) is how papers write the betas; Adam refuses an int/float mix."""
    cfg = TrainConfig(betas_g=(0, 0.99), betas_d=[0, 0.9])
    assert cfg.betas_g == (0.0, 0.99) and all(type(b) is float for b in cfg.betas_g)
    torch.optim.Adam([torch.zeros(1, requires_grad=True)], betas=cfg.betas_d)


@pytest.mark.parametrize("betas", [(0.5, 1.0), (-0.1, 0.9), (0.5,)])
def test_adam_betas_outside_0_1_are_refused(betas):
    with pytest.raises(ValueError, match="betas_g must be two numbers in \\[0, 1\\)"):
        TrainConfig(betas_g=betas)


def test_image_data_outside_minus_one_one_is_refused_before_training():
    G = models.get("dcgan_generator", z_dim=8, resolution=16, channels=1, width=8)
    D = models.get("dcgan_discriminator", resolution=16, channels=1, width=8)
    pixels = torch.randint(0, 256, (64, 1, 16, 16))
    with pytest.raises(TypeError, match="uint8 pixels"):
        train(G, D, pixels.to(torch.uint8), config(steps=1))
    with pytest.raises(ValueError, match="scaled to \\[-1, 1\\]; got values in \\[0"):
        train(G, D, pixels.float(), config(steps=1))
    with pytest.raises(ValueError, match="scaled to \\[-1, 1\\]"):  # a callable source
        train(G, D, lambda n: pixels[:n].float(), config(steps=1))
