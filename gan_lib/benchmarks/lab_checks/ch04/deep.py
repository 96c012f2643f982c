"""Deep (12-layer) critics: clipping makes the gradient explode or vanish toward the
input; the gradient penalty does not (check ``ch04.deep``)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from gan_lib import losses, models, profiles, regularizers
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register
from gan_lib.benchmarks.lab_checks.ch04.problem import P1, Q1, SWEEP, lift



DEEP_SETTINGS = {
    "clip c = 0.1": ("clip", 0.1),
    "clip c = 0.01": ("clip", 0.01),
    "clip c = 0.001": ("clip", 0.001),
    "gradient penalty": ("gp", 0.0),
}


def deep_critic_gradients(constraint: str, c: float, steps: int, seed: int = 0,
                          variant: str = OK) -> np.ndarray:
    """Train a 12-layer ReLU critic on the lifted problem; return |d sum T / d h_l| at
    each layer's input h_l. ``variant="no_clipping"`` skips the clipping."""
    device = profiles.device()
    torch.manual_seed(seed)
    T = models.get("mlp_discriminator", in_dim=2, hidden=64, n_layers=12,
                   activation="relu").to(device)
    opt = torch.optim.Adam(T.parameters(), lr=1e-3, betas=(0.5, 0.9))
    for _ in range(steps):
        x_p, x_q = lift(P1.sample(256)).to(device), lift(Q1.sample(256)).to(device)
        loss = losses.critic_loss_wasserstein(T(x_p), T(x_q))
        if constraint == "gp":
            loss = loss + 10.0 * regularizers.gradient_penalty(T, x_p, x_q)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if constraint == "clip" and variant != "no_clipping":
            regularizers.clip_weights_(T, clip_value=c)
    h = torch.cat([lift(P1.sample(512)), lift(Q1.sample(512))]).to(device)
    h.requires_grad_(True)
    inputs = []
    for layer in T.net:
        if isinstance(layer, nn.Linear):
            h.retain_grad()
            inputs.append(h)
        h = layer(h)
    h.sum().backward()
    return np.array([x.grad.norm().item() for x in inputs])


def deep_steps() -> int:
    return profiles.budget(smoke=100, cpu=150, gpu=300)


def deep_critics(seed: int = 0, variant: str = OK) -> dict[str, np.ndarray]:
    return {label: deep_critic_gradients(kind, c, deep_steps(), seed, variant)
            for label, (kind, c) in DEEP_SETTINGS.items()}


def log10_drift(norms: np.ndarray) -> float:
    """log10 of (gradient norm at the input layer / at the last layer); an underflow
    to 0 counts as -300."""
    return math.log10(max(norms[0] / norms[-1], 1e-300))


def deep_quantities(depth_norms: dict[str, np.ndarray]) -> dict[str, float]:
    d = {label: log10_drift(n) for label, n in depth_norms.items()}
    return {
        "log10_drift_clip_0.1": d["clip c = 0.1"],
        "log10_drift_clip_small": max(d["clip c = 0.01"], d["clip c = 0.001"]),
        "abs_log10_drift_gp": abs(d["gradient penalty"]),
        "log10_drift_clip_0.01": d["clip c = 0.01"],
        "log10_drift_clip_0.001": d["clip c = 0.001"],
    }


def _run_deep(seed: int, variant: str) -> dict[str, float]:
    return deep_quantities(deep_critics(seed, variant))



_D = SWEEP.format("deep")
DEEP = register(Check(
    lab="ch04", name="deep", run=_run_deep,
    description="12-layer critics: clipping makes the gradient explode (c = 0.1) or "
                "vanish (c = 0.01, 0.001) toward the input; the penalty does not",
    variants=("no_clipping",),
    bounds=(
        Bound("log10_drift_clip_0.1", ">", smoke=2.0, cpu=2.0,
              note=f"{_D}; smoke: worst 3.04 over 30 runs; floor 2; cpu: worst 4.33 "
                   "over 12 runs; floor 2"),
        Bound("log10_drift_clip_small", "<", smoke=-2.0, cpu=-2.0,
              note=f"{_D}; smoke: worst -15.8 over 30 runs; ceiling -2; cpu: worst "
                   "-15.8 over 12 runs; ceiling -2"),
        Bound("abs_log10_drift_gp", "<", smoke=1.0, cpu=1.0,
              note=f"{_D}; smoke: worst 0.24 over 30 runs; ceiling 1; cpu: worst 0.25 "
                   "over 12 runs; ceiling 1"),
    ),
))
