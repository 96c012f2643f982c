"""The training loop's variants: conditional and AC-GAN runs, feature matching, unrolling.

Each test replays the draws of the first step by hand and compares the loop's losses
and weights with the formula, or checks that a resumed run ends bitwise equal.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib import losses, models
from gan_lib.data.toy import ring
from gan_lib.stabilization.feature_matching import feature_matching_loss
from gan_lib.stabilization.unrolled import unroll, unrolled_forward
from gan_lib.training import TrainConfig, train

RING = ring()
K = 3  # classes of the small conditional problem


class TinyConditionalG(nn.Module):
    """``G(z, y) = MLP([z, onehot(y)])``: enough to exercise the loop."""

    def __init__(self, z_dim: int = 2, num_classes: int = K):
        super().__init__()
        self.z_dim, self.num_classes = z_dim, num_classes
        self.net = nn.Sequential(
            nn.Linear(z_dim + num_classes, 16), nn.ReLU(), nn.Linear(16, 2)
        )

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        return self.net(torch.cat([z, F.one_hot(y, self.num_classes).float()], dim=1))


class TinyConditionalD(nn.Module):
    """Concatenation D; with ``auxiliary=True`` it also returns class logits (AC-GAN)."""

    def __init__(self, num_classes: int = K, auxiliary: bool = False):
        super().__init__()
        self.num_classes, self.auxiliary = num_classes, auxiliary
        self.trunk = nn.Sequential(nn.Linear(2 + num_classes, 16), nn.LeakyReLU(0.2))
        self.head = nn.Linear(16, 1)
        self.classes = nn.Linear(16, num_classes)

    def forward(self, x: Tensor, y: Tensor):
        onehot = F.one_hot(y, self.num_classes).float()
        h = self.trunk(torch.cat([x, onehot if not self.auxiliary else 0 * onehot], 1))
        logits = self.head(h).squeeze(1)
        return (logits, self.classes(h)) if self.auxiliary else logits


def labelled_ring(n: int = 96) -> tuple[Tensor, Tensor]:
    x, modes = RING.sample_with_modes(n, generator=torch.Generator().manual_seed(5))
    return x, (modes % K).long()


def config(**overrides) -> TrainConfig:
    fields = {
        "steps": 1,
        "batch_size": 32,
        "device": "cpu",
        "progress": False,
        "seed": 0,
    }
    return TrainConfig(**{**fields, **overrides})


def replay_conditional_step(data: tuple[Tensor, Tensor]):
    """The draws of step 1: data order, z and fake labels for D, then for G."""
    torch.manual_seed(0)
    order = torch.randperm(data[0].shape[0])[:32]
    x_real, y_real = data[0][order], data[1][order]
    z_d, y_d = torch.randn(32, 2), torch.randint(K, (32,))
    z_g, y_g = torch.randn(32, 2), torch.randint(K, (32,))
    return x_real, y_real, z_d, y_d, z_g, y_g


@pytest.mark.parametrize("auxiliary", [False, True], ids=["concat", "ac-gan"])
def test_conditional_first_step_matches_the_formula(auxiliary):
    data = labelled_ring()
    torch.manual_seed(1)
    G, D = TinyConditionalG(), TinyConditionalD(auxiliary=auxiliary)
    G0, D0 = copy.deepcopy(G), copy.deepcopy(D)
    result = train(G, D, data, config(aux_weight=0.7))
    x_real, y_real, z_d, y_d, z_g, y_g = replay_conditional_step(data)
    d_loss_fn, g_loss_fn = losses.get("non_saturating")
    out_real, out_fake = D0(x_real, y_real), D0(G0(z_d, y_d).detach(), y_d)
    if auxiliary:  # Odena et al. (2017): L_C on real and fake labels
        loss_D = d_loss_fn(out_real[0], out_fake[0])
        loss_D = loss_D + 0.7 * F.cross_entropy(out_real[1], y_real)
        loss_D = loss_D + 0.7 * F.cross_entropy(out_fake[1], y_d)
    else:
        loss_D = d_loss_fn(out_real, out_fake)
    assert result.history["loss_D"][0] == pytest.approx(loss_D.item(), rel=1e-6)
    out = result.D(G0(z_g, y_g), y_g)
    if auxiliary:
        loss_G = g_loss_fn(out[0], out[0]) + 0.7 * F.cross_entropy(out[1], y_g)
    else:
        loss_G = g_loss_fn(out, out)
    assert result.history["loss_G"][0] == pytest.approx(loss_G.item(), rel=1e-5)


def test_conditional_resume_is_bitwise_exact(tmp_path):
    data = labelled_ring()
    cfg = {"steps": 7, "r1_gamma": 1.0, "ema_decay": 0.9, "checkpoint_every": 3}
    torch.manual_seed(1)
    G, D = TinyConditionalG(), TinyConditionalD(auxiliary=True)
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    full = train(G, D, data, config(**cfg))
    path = str(tmp_path / "run.pt")
    train(G2, D2, data, config(**{**cfg, "steps": 4, "checkpoint_path": path}))
    torch.manual_seed(1)
    G3, D3 = TinyConditionalG(), TinyConditionalD(auxiliary=True)  # fresh objects
    resumed = train(G3, D3, data, config(**{**cfg, "checkpoint_path": path}))
    for a, b in [(full.G, resumed.G), (full.D, resumed.D), (full.G_ema, resumed.G_ema)]:
        for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
            assert torch.equal(p, q), name
    assert full.history["loss_D"] == resumed.history["loss_D"]


def test_conditional_runs_refuse_bad_labels_and_unconditional_generators():
    x, y = labelled_ring()
    G, D = TinyConditionalG(), TinyConditionalD()
    with pytest.raises(
        ValueError, match=r"\[0, G.num_classes\) = \[0, 3\); got \[0, 5\]"
    ):
        train(
            G, D, (x, y.clone().fill_(5).index_fill_(0, torch.tensor([0]), 0)), config()
        )
    with pytest.raises(ValueError, match=r"int64 of shape \(N,\) = \(96,\)"):
        train(G, D, (x, y.int()), config())
    with pytest.raises(AttributeError, match="num_classes"):
        unconditional = models.get(
            "mlp_generator", z_dim=2, out_dim=2, hidden=8, n_layers=1
        )
        train(unconditional, D, (x, y), config())
    with pytest.raises(ValueError, match="unconditional runs only"):
        train(G, D, (x, y), config(unroll_steps=2))


# --- feature matching -----------------------------------------------------------------


def small_models(seed: int = 0) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)
    G = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=16, n_layers=2)
    D = models.get("mlp_discriminator", in_dim=2, hidden=16, n_layers=2)
    return G, D


def test_feature_matching_loss_closed_form():
    real = torch.tensor([[1.0, 2.0], [3.0, 4.0]])  # mean (2, 3)
    fake = torch.tensor([[0.0, 0.0], [0.0, 2.0], [0.0, 1.0]])  # mean (0, 1)
    assert feature_matching_loss(real, fake).item() == pytest.approx(8.0)
    with pytest.raises(ValueError, match="width"):
        feature_matching_loss(real, torch.zeros(3, 4))


def test_feature_matching_generator_step_matches_the_formula():
    G, D = small_models()
    G0, D0 = copy.deepcopy(G), copy.deepcopy(D)
    result = train(G, D, RING.sample, config(feature_matching=True))
    torch.manual_seed(0)  # draws: real, z (D step); z, real (G step)
    x_real_d, z_d = RING.sample(32), torch.randn(32, 2)
    z_g, x_real_g = torch.randn(32, 2), RING.sample(32)
    d_loss_fn, _ = losses.get("non_saturating")
    loss_D = d_loss_fn(D0(x_real_d), D0(G0(z_d)))
    assert result.history["loss_D"][0] == pytest.approx(loss_D.item(), rel=1e-6)
    gap = result.D.features(x_real_g).mean(0) - result.D.features(G0(z_g)).mean(0)
    assert result.history["loss_G"][0] == pytest.approx(
        gap.pow(2).sum().item(), rel=1e-5
    )


def test_feature_matching_needs_features():
    G, _ = small_models()
    with pytest.raises(AttributeError, match="D.features"):
        train(G, nn.Linear(2, 1), RING.sample, config(feature_matching=True))


# --- unrolled GANs --------------------------------------------------------------------


def trained_adam_state(D: nn.Module, lr: float = 1e-2) -> torch.optim.Adam:
    """An Adam optimizer with non-trivial moments after two real steps."""
    opt = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999), eps=1e-8)
    d_loss_fn, _ = losses.get("non_saturating")
    for seed in (0, 1):
        torch.manual_seed(seed)
        loss = d_loss_fn(D(RING.sample(16)), D(torch.randn(16, 2)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return opt


def test_unroll_one_step_is_the_real_adam_step_and_leaves_d_untouched():
    _, D = small_models()
    opt = trained_adam_state(D)
    before = copy.deepcopy(D.state_dict())
    state_before = copy.deepcopy(opt.state_dict())
    torch.manual_seed(3)
    x_real, x_fake = RING.sample(16), torch.randn(16, 2)
    d_loss_fn, _ = losses.get("non_saturating")
    params = unroll(D, opt, d_loss_fn, [x_real], [x_fake])
    # D and its optimizer are unchanged
    for key, value in D.state_dict().items():
        assert torch.equal(value, before[key])
    assert torch.equal(
        opt.state_dict()["state"][0]["exp_avg"], state_before["state"][0]["exp_avg"]
    )
    # the unrolled parameters are what a real Adam step on a copy gives
    D_copy, opt_copy = copy.deepcopy(D), torch.optim.Adam(D.parameters(), lr=1e-2)
    opt_copy = torch.optim.Adam(
        D_copy.parameters(), lr=1e-2, betas=(0.5, 0.999), eps=1e-8
    )
    opt_copy.load_state_dict(opt.state_dict())
    loss = d_loss_fn(D_copy(x_real), D_copy(x_fake))
    opt_copy.zero_grad()
    loss.backward()
    opt_copy.step()
    for name, p in D_copy.named_parameters():
        assert torch.allclose(params[name], p, atol=1e-6), name


def test_unrolled_generator_gradient_matches_finite_differences():
    """d f(theta_D^K(theta_G)) / d theta_G, including the term through the unrolled
    D updates (Metz et al., 2017, Eq. 8), against central differences in float64."""
    torch.manual_seed(0)
    D = nn.Sequential(
        nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Flatten(0)
    ).double()
    opt = torch.optim.Adam(D.parameters(), lr=0.05, betas=(0.5, 0.999), eps=1e-8)
    d_loss_fn, g_loss_fn = losses.get("non_saturating")
    for _ in range(3):  # moments well away from 0, as in a running optimizer: a
        # first Adam step is lr * sign(g), whose derivative is ~0 but ill-conditioned
        loss = d_loss_fn(
            D(torch.randn(8, 2).double() + 1), D(torch.randn(8, 2).double())
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    shift = torch.tensor(
        [0.3, -0.2], dtype=torch.float64, requires_grad=True
    )  # theta_G
    x_real = [torch.randn(8, 2, dtype=torch.float64) + 1 for _ in range(3)]
    z = [torch.randn(8, 2, dtype=torch.float64) for _ in range(4)]

    def objective(theta: Tensor) -> Tensor:
        params = unroll(D, opt, d_loss_fn, x_real, [zk + theta for zk in z[:3]])
        logits = unrolled_forward(D, params, z[3] + theta)
        return g_loss_fn(logits, logits)

    (grad,) = torch.autograd.grad(objective(shift), shift)
    h, numeric = 1e-5, torch.zeros(2, dtype=torch.float64)  # all float64
    for i in range(2):
        e = torch.zeros(2, dtype=torch.float64)
        e[i] = h
        numeric[i] = (objective(shift + e) - objective(shift - e)).detach() / (2 * h)
    assert torch.allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    # and the unrolling matters: the K = 0 gradient differs
    (plain,) = torch.autograd.grad(g_loss_fn(D(z[3] + shift), D(z[3] + shift)), shift)
    assert (plain - grad).abs().max() > 1e-3


def test_unrolled_training_resumes_exactly(tmp_path):
    cfg = {"steps": 5, "unroll_steps": 2, "checkpoint_every": 2}
    G, D = small_models()
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    full = train(G, D, RING.sample, config(**cfg))
    path = str(tmp_path / "run.pt")
    train(G2, D2, RING.sample, config(**{**cfg, "steps": 3, "checkpoint_path": path}))
    G3, D3 = small_models()
    resumed = train(G3, D3, RING.sample, config(**{**cfg, "checkpoint_path": path}))
    for p, q in zip(full.G.parameters(), resumed.G.parameters()):
        assert torch.equal(p, q)
    assert full.history["loss_G"] == resumed.history["loss_G"]


def test_unroll_refuses_mismatched_batches_and_other_optimizers():
    _, D = small_models()
    d_loss_fn, _ = losses.get("non_saturating")
    opt = torch.optim.Adam(D.parameters())
    with pytest.raises(ValueError, match="K >= 1"):
        unroll(D, opt, d_loss_fn, [], [])
    with pytest.raises(TypeError, match="torch.optim.Adam"):
        unroll(
            D,
            torch.optim.SGD(D.parameters(), lr=0.1),
            d_loss_fn,
            [RING.sample(4)],
            [RING.sample(4)],
        )
    with pytest.raises(ValueError, match="cannot be combined"):
        config(feature_matching=True, unroll_steps=2)
