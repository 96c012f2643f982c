"""The CycleGAN game: its named terms against closed forms, the identity weight as a
multiple of lambda, the history buffers, exact resume, and bad set-ups."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_lib import models
from gan_lib.data.unpaired import UnpairedSource, ring_source
from gan_lib.models.pix2pix import PatchGAN
from gan_lib.training import TrainConfig, train
from gan_lib.training.objectives import CycleGAN, build
from gan_lib.losses import patch_logits
from gan_lib.training.objectives.cyclegan import l1


class Scale(nn.Module):
    """``x -> s x`` with a learnable scalar ``s``: a map with a closed-form loss."""

    def __init__(self, s: float) -> None:
        super().__init__()
        self.s = nn.Parameter(torch.tensor(s))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.s * x


class Constant(nn.Module):
    """A discriminator whose every logit is ``c`` (with one parameter)."""

    def __init__(self, c: float) -> None:
        super().__init__()
        self.c = nn.Parameter(torch.tensor(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c.expand(x.shape[0], 1, 3, 3)  # a PatchGAN-shaped map


def config(**kw) -> TrainConfig:
    base = dict(steps=1, batch_size=8, device="cpu", progress=False, log_every=1,
                lr_g=0.0, lr_d=0.0)
    return TrainConfig(**{**base, **kw})


def test_the_first_terms_match_their_closed_forms():
    torch.manual_seed(0)
    a, b = torch.rand(8, 1, 4, 4) - 0.5, torch.rand(8, 1, 4, 4) - 0.5
    G = nn.ModuleDict({"A_to_B": Scale(2.0), "B_to_A": Scale(0.25)})
    D = nn.ModuleDict({"A": Constant(0.3), "B": Constant(-0.4)})
    objective = CycleGAN(cycle_weight=10.0, identity_weight=0.5, buffer_size=0)
    h = train(G, D, UnpairedSource(a, b), config(seed=1), objective=objective).history
    torch.manual_seed(1)  # the loop reseeds with config.seed: the same batch
    i, j = torch.randint(8, (8,)), torch.randint(8, (8,))
    a, b = a[i], b[j]
    # D: 1/2 (c - 1)^2 + 1/2 c^2 for a constant logit c (real and fake alike)
    assert h["D/adversarial_A"][0] == pytest.approx(0.5 * 0.7**2 + 0.5 * 0.3**2)
    assert h["D/adversarial_B"][0] == pytest.approx(0.5 * 1.4**2 + 0.5 * 0.4**2)
    # G: E[(c - 1)^2], the paper's (unhalved) least-squares generator loss
    assert h["G/adversarial_A"][0] == pytest.approx(0.7**2)
    assert h["G/adversarial_B"][0] == pytest.approx(1.4**2)
    # cycle: F(G(a)) = 0.5 a, G(F(b)) = 0.5 b; identity: F(a) = a / 4, G(b) = 2 b
    assert h["G/cycle_A"][0] == pytest.approx(10 * 0.5 * a.abs().mean().item())
    assert h["G/cycle_B"][0] == pytest.approx(10 * 0.5 * b.abs().mean().item())
    assert h["G/identity_A"][0] == pytest.approx(5 * 0.75 * a.abs().mean().item())
    assert h["G/identity_B"][0] == pytest.approx(5 * 1.0 * b.abs().mean().item())
    without = CycleGAN(identity_weight=0.0)
    G = nn.ModuleDict({"A_to_B": Scale(2.0), "B_to_A": Scale(0.25)})
    D = nn.ModuleDict({"A": Constant(0.3), "B": Constant(-0.4)})
    h = train(G, D, UnpairedSource(a, b), config(), objective=without).history
    assert "G/identity_A" not in h and "G/cycle_A" in h


def test_helpers_flatten_patch_maps_and_average_the_l1():
    logits = torch.arange(24.0).reshape(2, 1, 3, 4)
    assert patch_logits(logits).shape == (24,)
    assert patch_logits(torch.zeros(5)).shape == (5,)
    x = torch.tensor([[1.0, -2.0], [0.0, 3.0]])
    assert l1(x, torch.zeros(2, 2)).item() == pytest.approx(1.5)


def test_the_discriminators_see_fakes_through_the_history_buffers():
    torch.manual_seed(0)
    G = nn.ModuleDict({"A_to_B": Scale(1.0), "B_to_A": Scale(1.0)})
    D = nn.ModuleDict({k: PatchGAN(1, 1, 4, norm="instance") for k in "AB"})
    objective = CycleGAN(buffer_size=5)
    data = UnpairedSource(torch.rand(16, 1, 16, 16) - 0.5, torch.rand(16, 1, 16, 16))
    train(G, D, data, config(steps=3, batch_size=4, lr_d=1e-3), objective=objective)
    assert len(objective.buffers["A"]) == len(objective.buffers["B"]) == 5
    state = objective.state_dict()
    assert state["buffer_A.images"].shape == (5, 1, 16, 16)
    assert int(state["buffer_B.count"]) == 5


def ring_networks() -> tuple[nn.ModuleDict, nn.ModuleDict]:
    torch.manual_seed(0)
    G = nn.ModuleDict({k: models.get("mlp_generator", z_dim=2, out_dim=2, hidden=16,
                                     n_layers=2) for k in ("A_to_B", "B_to_A")})
    D = nn.ModuleDict({k: models.get("mlp_discriminator", in_dim=2, hidden=16,
                                     n_layers=2) for k in "AB"})
    return G, D


def test_a_cyclegan_run_resumes_exactly_with_its_buffers(tmp_path):
    path = str(tmp_path / "run.pt")

    def run(steps: int, **kw):
        cfg = config(steps=steps, batch_size=16, lr_g=1e-3, lr_d=1e-3, **kw)
        return train(*ring_networks(), ring_source(), cfg,
                     objective=CycleGAN(buffer_size=20))

    straight = run(8)
    run(4, checkpoint_path=path)
    state = torch.load(path, weights_only=True)
    assert int(state["objective"]["buffer_A.count"]) == 20  # full: replays happen
    torch.randn(3)  # unrelated draws in between
    resumed = run(8, checkpoint_path=path)
    for x, y in [(straight.G, resumed.G), (straight.D, resumed.D)]:
        for p, q in zip(x.parameters(), y.parameters(), strict=True):
            assert torch.equal(p, q)
    assert resumed.history["G/cycle_A"] == straight.history["G/cycle_A"]
    # a resume that forgot the buffers would draw differently
    forgetful = CycleGAN(buffer_size=20)
    forgetful.load_state_dict = lambda state: None
    run(4, checkpoint_path=str(tmp_path / "other.pt"))
    drifted = train(*ring_networks(), ring_source(),
                    config(steps=8, batch_size=16, lr_g=1e-3, lr_d=1e-3,
                           checkpoint_path=str(tmp_path / "other.pt")),
                    objective=forgetful)
    assert drifted.history["G/cycle_A"] != straight.history["G/cycle_A"]


def test_bad_set_ups_are_refused():
    G, D = ring_networks()
    with pytest.raises(TypeError, match=r"G as an nn.ModuleDict with keys "
                                        r"\['A_to_B', 'B_to_A'\]; got MLPGenerator"):
        train(G["A_to_B"], D, ring_source(), config(), objective=CycleGAN())
    bad_D = nn.ModuleDict({"A": D["A"], "C": D["B"]})
    with pytest.raises(TypeError, match=r"D as an nn.ModuleDict .*got \['A', 'C'\]"):
        train(G, bad_D, ring_source(), config(), objective=CycleGAN())
    with pytest.raises(TypeError, match="unpaired batches"):
        train(G, D, torch.randn(32, 2), config(), objective=CycleGAN())
    with pytest.raises(ValueError, match="cycle_weight must be a finite number"):
        CycleGAN(cycle_weight=-1.0)
    with pytest.raises(ValueError, match="reads real logits too"):
        CycleGAN(loss="relativistic")
    assert build({"name": "cyclegan"}).cycle_weight == 10.0
    assert build({"name": "cyclegan"}).identity_weight == 0.5
