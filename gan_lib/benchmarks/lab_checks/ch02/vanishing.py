"""A perfect discriminator and the vanishing gradient: D trained against a disjoint
segment (check ``ch02.vanishing``)."""

from __future__ import annotations

import math

import torch
from torch import nn

from gan_lib import losses, models, profiles, training
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register

SWEEP = "sweep: ../lab_checks, check ch02.vanishing"
LOG2 = math.log(2.0)


class ShiftedSegment(nn.Module):
    """g_theta(z) = (erf(z / sqrt 2), theta): a uniform segment at height theta."""

    z_dim = 1

    def __init__(self, theta: float) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.tensor(float(theta)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (N, 1) -> (N, 2)
        u = torch.erf(z / math.sqrt(2))  # uniform on (-1, 1) when z ~ N(0, 1)
        return torch.cat([u, self.theta.expand_as(u)], dim=1)


def segment_data(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """n samples of the data: uniform on {(u, 0) : |u| <= 1}, shape (n, 2)."""
    u = 2 * torch.rand(n, 1, generator=generator) - 1
    return torch.cat([u, torch.zeros_like(u)], dim=1)


def segment_measure(device: torch.device) -> training.Hook:
    """A hook that measures D's loss, epsilon = max(D, |grad_x D|) on 4096 generated
    samples, and |dL_G/dtheta| of both generator losses (fixed probe samples)."""
    z_probe = torch.randn(4096, 1, generator=torch.Generator().manual_seed(1))
    z_probe = z_probe.to(device)
    x_probe = segment_data(4096, torch.Generator().manual_seed(2)).to(device)

    def measure(snapshot: training.Snapshot) -> dict[str, float]:
        G, D = snapshot.G, snapshot.D
        with torch.enable_grad():  # hooks run under no_grad
            x_fake = G(z_probe).detach().requires_grad_(True)
            prob = torch.sigmoid(D(x_fake))  # D = sigmoid(T) at the fakes
            (grad_x,) = torch.autograd.grad(prob.sum(), x_fake)  # row i: grad_x D(x_i)
            eps = max(prob.max().item(), grad_x.norm(dim=1).max().item())
            row = {"eps": eps}
            for name in ("minimax", "non_saturating"):
                _, g_loss = losses.get(name)
                fake_logits = D(G(z_probe))  # through G, so that theta gets a gradient
                (g_theta,) = torch.autograd.grad(g_loss(fake_logits, fake_logits),
                                                 G.theta)
                row[name] = abs(g_theta.item())
            row["loss_D"] = losses.discriminator_loss_bce(D(x_probe), D(x_fake)).item()
        return row

    return measure


def train_segment_discriminator(
    theta: float, seed: int = 0, variant: str = OK
) -> list[dict[str, float]]:
    """Train D alone (``lr_g=0``: the generator stays at height ``theta``) to separate
    the data segment from the generated one; measure it ten times.

    Returns the rows of the hook: ``step``, ``loss_D``, ``eps``, ``minimax``,
    ``non_saturating`` (the last two: |dL_G/dtheta| of each generator loss).
    ``variant="untrained_discriminator"`` trains with ``lr_d=0`` (D stays at init).
    """
    profiles.seed_everything(seed)
    device = profiles.device()
    measure = segment_measure(device)
    steps = profiles.budget(smoke=200, cpu=1000, gpu=2000)
    D = models.get("mlp_discriminator", in_dim=2, hidden=64, n_layers=2)
    lr_d = 0.0 if variant == "untrained_discriminator" else 1e-3
    config = training.TrainConfig(
        steps=steps, batch_size=128, lr_g=0.0, lr_d=lr_d, hook_every=steps // 10,
        precision="fp32", seed=seed, progress=False,
    )
    result = training.train(ShiftedSegment(theta), D, segment_data, config,
                            hook=measure)
    return result.history["hook"]


def vanishing_quantities(disjoint: list[dict[str, float]],
                         same: list[dict[str, float]]) -> dict[str, float]:
    """What the lab asserts on: the final L_D of the disjoint run, how far the
    saturating gradient fell from the first measurement, the ratio of the two
    gradients at the end, and how far L_D strayed from 2 log 2 with identical supports.
    ``bound_slack``: min over measurements of (M eps / (1 - eps)) / |dL_sat/dtheta|
    (>= 1 by the theorem wherever eps < 1)."""
    first, last = disjoint[0], disjoint[-1]
    slack = [r["eps"] / (1 - r["eps"]) / r["minimax"] for r in disjoint
             if r["eps"] < 1 and r["minimax"] > 0]
    tiny = 1e-300  # a gradient of exactly 0 gives an infinite decay and ratio
    return {
        "loss_D": last["loss_D"],
        "decay": first["minimax"] / max(last["minimax"], tiny),
        "ratio": last["non_saturating"] / max(last["minimax"], tiny),
        "same_deviation": max(abs(r["loss_D"] - 2 * LOG2) for r in same),
        "bound_slack": min(slack) if slack else math.inf,
    }


def _run_vanishing(seed: int, variant: str) -> dict[str, float]:
    theta = 0.0 if variant == "same_supports" else 0.5
    disjoint = train_segment_discriminator(theta, seed, variant)
    same = train_segment_discriminator(0.0, seed)
    return vanishing_quantities(disjoint, same)


VANISHING = register(Check(
    lab="ch02", name="vanishing", run=_run_vanishing,
    description="D trained against a disjoint segment: L_D -> 0, the saturating "
                "gradient vanishes, the non-saturating one does not",
    variants=("untrained_discriminator", "same_supports"),
    bounds=(
        Bound("loss_D", "<", smoke=0.02, cpu=2e-3,
              note="sweep worst 9.7e-3 (smoke, 30 runs) and 2.6e-4 (cpu, 12 runs); "
                   "broken >= 1.3; " + SWEEP),
        Bound("decay", ">", smoke=3.0, cpu=30.0,
              note="sweep worst 4.16 (smoke, 30 runs) and 81 (cpu, 12 runs); "
                   "broken <= 2.7; " + SWEEP),
        Bound("ratio", ">", smoke=100.0, cpu=2000.0,
              note="sweep worst 197 (smoke, 30 runs) and 7282 (cpu, 12 runs); "
                   "broken <= 1.1; " + SWEEP),
        Bound("same_deviation", "<", smoke=0.02, cpu=0.02,
              note="sweep worst 2.9e-3 (smoke, 30 runs) and 2.9e-3 (cpu, 12 runs); "
                   + SWEEP),
    ),
))
