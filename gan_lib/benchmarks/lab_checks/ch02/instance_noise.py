"""Instance noise gives the critic a finite optimum: a linear critic trained through
noise (check ``ch02.instance_noise``)."""

from __future__ import annotations

import torch
from torch import nn

from gan_lib import profiles, training
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register
from gan_lib.stabilization.instance_noise import InstanceNoise

SWEEP = "sweep: ../lab_checks, check ch02.instance_noise"


class PointMass(nn.Module):
    """G(z) = theta for every z, in 1-D."""

    z_dim = 1

    def __init__(self, theta: float) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.tensor([theta]))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.theta.expand(z.shape[0], 1)  # (N, 1)


def zeros_1d(n: int) -> torch.Tensor:
    return torch.zeros(n, 1)  # the data: delta_0


def train_noisy_critic(seed: int = 0, sigma: float = 0.5,
                       variant: str = OK) -> tuple[float, float]:
    """A logistic regression T(x) = w x + b wrapped in instance noise of constant
    ``sigma``, trained 300 steps on data delta_0 against the fixed generator delta_1.
    Returns ``(w, b)``; the optimum is ``(-1 / sigma^2, 1 / (2 sigma^2))``.
    ``variant="no_noise"`` trains the bare linear critic (no optimum: |w| grows)."""
    profiles.seed_everything(seed)
    critic = nn.Linear(1, 1)
    D = critic if variant == "no_noise" else InstanceNoise(critic, sigma=sigma)
    config = training.TrainConfig(steps=300, batch_size=256, lr_g=0.0, lr_d=0.05,
                                  betas_d=(0.9, 0.999), precision="fp32", seed=seed,
                                  progress=False)
    training.train(PointMass(1.0), D, zeros_1d, config)
    return critic.weight.item(), critic.bias.item()


def _run_instance_noise(seed: int, variant: str) -> dict[str, float]:
    sigma = 0.5
    w, b = train_noisy_critic(seed, sigma, variant)
    return {"w_error": abs(w + 1 / sigma**2), "b_error": abs(b - 1 / (2 * sigma**2)),
            "w": w, "b": b}


INSTANCE_NOISE = register(Check(
    lab="ch02", name="instance_noise", run=_run_instance_noise,
    description="a linear critic trained through instance noise reaches the finite "
                "optimum w = -1/sigma^2, b = 1/(2 sigma^2)",
    variants=("no_noise",),
    bounds=(
        Bound("w_error", "<", smoke=0.4, cpu=0.4,
              note="sweep worst 0.17 (smoke, 30 runs; cpu, 12 runs: the run has 300 "
                   "steps in every profile); no noise: >= 2.5; "
                   + SWEEP),
        Bound("b_error", "<", smoke=0.4, cpu=0.4,
              note="sweep worst 0.14 (smoke, 30 runs; cpu, 12 runs); no noise: "
                   ">= 1.2; " + SWEEP),
    ),
))
