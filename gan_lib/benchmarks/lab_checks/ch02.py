"""Chapter 2's trained set-ups: a discriminator that separates disjoint supports, a
generator that best-responds to a frozen discriminator, a critic trained through
instance noise, and the small ring-of-eight runs with the chapter's tricks.

The lab calls these functions, so the sweep measures exactly the runs the lab
asserts on. Budgets follow the active profile (:func:`gan_lib.profiles.budget`).
The Dirac GAN sections of the lab are closed-form (float64 maps, no training) and
are checked in the lab itself, not here.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gan_lib import data, losses, metrics, models, profiles, training, viz
from gan_lib.benchmarks.lab_checks import broken
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register
from gan_lib.instance_noise import InstanceNoise

SWEEP = "sweep: ../lab_checks, check ch02.{}"
LOG2 = math.log(2.0)


def generator_variant(G: nn.Module, variant: str,
                      lr_g: float) -> tuple[nn.Module, float]:
    """``G`` and its learning rate, broken as ``variant`` says. ``training.train``
    switches ``requires_grad`` of G back on for each generator step, so a generator is
    frozen here by a zero learning rate (Adam then leaves it exactly as it is);
    ``sign_flipped`` wraps it (:class:`broken.SignFlipped`)."""
    if variant == "frozen_generator":
        return G, 0.0
    return broken.apply(G, variant), lr_g

# --- (b) a perfect discriminator and the vanishing gradient ---------------------------


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


# --- (c) mode collapse is a best response ---------------------------------------------


class BroadGaussian(nn.Module):
    """A fixed 'generator': N(0, scale^2 I) in 2-D (its parameter is never trained)."""

    z_dim = 2

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.scale * z  # (N, 2)


def train_best_response(seed: int = 0, variant: str = OK) -> dict[str, Any]:
    """Train D alone against a broad Gaussian on the ring (seed ``2 seed``), freeze it
    (``lr_d=0``), then train a fresh generator against it (seed ``2 seed + 1``).

    Returns ``D`` (frozen), ``G``, ``frozen_state`` (D's weights before the generator's
    run, to check they did not move) and ``x``: 2000 generated samples (fixed z),
    shape (2000, 2).
    """
    ring = data.ring()
    device = profiles.device()
    steps = profiles.budget(smoke=300, cpu=500, gpu=1000)
    profiles.seed_everything(2 * seed)
    D = models.get("mlp_discriminator", in_dim=2, hidden=128, n_layers=2)
    config = training.TrainConfig(steps=steps, batch_size=256, lr_g=0.0, lr_d=1e-3,
                                  precision="fp32", seed=2 * seed, progress=False)
    training.train(BroadGaussian(), D, ring.sample, config)
    frozen_state = {k: v.clone() for k, v in D.state_dict().items()}

    profiles.seed_everything(2 * seed + 1)
    G = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=128, n_layers=2)
    G, lr_g = generator_variant(G, variant, 1e-3)
    config = training.TrainConfig(steps=steps, batch_size=256, lr_g=lr_g, lr_d=0.0,
                                  precision="fp32", seed=2 * seed + 1, progress=False)
    training.train(G, D, ring.sample, config)
    z = torch.randn(2000, 2, generator=torch.Generator().manual_seed(123)).to(device)
    with torch.no_grad():
        x = G(z).cpu()
    return {"D": D, "G": G, "frozen_state": frozen_state, "x": x}


def best_mixture(T_modes: torch.Tensor,
                 steps: int = 2000) -> tuple[torch.Tensor, float]:
    """Minimize the non-saturating loss sum_k w_k softplus(-T(c_k)) over mixtures w of
    point masses at the mode centres (softmax weights, Adam). Returns (w, loss)."""
    mix_logits = torch.zeros(len(T_modes), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([mix_logits], lr=0.1)
    for _ in range(steps):
        w = torch.softmax(mix_logits, dim=0)
        loss_w = (w * F.softplus(-T_modes)).sum()  # E_{p_g}[-log D]
        optimizer.zero_grad()
        loss_w.backward()
        optimizer.step()
    w = torch.softmax(mix_logits, dim=0).detach()
    return w, float((w * F.softplus(-T_modes)).sum())


NEAR = 0.1  # "near a mode": within 0.1 of its centre (ten standard deviations)


def near_mode_histogram(x: torch.Tensor, radius: float = NEAR) -> tuple[float, float]:
    """The fraction of samples ``x`` (N, 2) within ``radius`` of a ring mode's centre,
    and the reverse KL to uniform, sum_k p_k log(8 p_k), of the histogram of their
    nearest modes (100 when no sample is near a mode)."""
    ring = data.ring()
    dist = torch.cdist(x.double(), ring.centers.double())  # (N, 8)
    nearest, mode = dist.min(dim=1)
    near = nearest < radius
    if not near.any():
        return 0.0, 100.0
    p = torch.bincount(mode[near], minlength=len(ring.centers)).double() / near.sum()
    p = p[p > 0]
    reverse_kl = float((p * torch.log(len(ring.centers) * p)).sum())
    return near.double().mean().item(), reverse_kl


def best_response_quantities(run: dict[str, Any]) -> dict[str, float]:
    """The fraction of samples near a mode (within NEAR = 0.1 of its centre), the
    reverse KL of their nearest-mode histogram to uniform, the median pairwise distance
    of the samples, and for the best mixture of point masses: its weight on argmax T
    and its loss below the uniform mixture's. Also recorded: mode_coverage's
    high-quality fraction (within 3 std = 0.03), its modes and reverse KL."""
    ring = data.ring()
    x = run["x"]
    cov = metrics.mode_coverage(x, ring.centers, ring.std)
    near_mode, reverse_kl = near_mode_histogram(x)
    T_modes = torch.as_tensor(viz.logits_at(run["D"], ring.centers))  # (8,)
    w, loss_w = best_mixture(T_modes)
    return {
        "near_mode": near_mode,
        "reverse_kl": reverse_kl,
        "high_quality": cov.high_quality,
        "reverse_kl_high_quality": min(cov.reverse_kl, 100.0),
        "spread": torch.cdist(x, x).median().item(),
        "modes": cov.modes,
        "argmax_weight": float(w[T_modes.argmax()]),
        "mixture_gain": F.softplus(-T_modes).mean().item() - loss_w,
    }


def _run_best_response(seed: int, variant: str) -> dict[str, float]:
    return best_response_quantities(train_best_response(seed, variant))


# --- (e) instance noise: a critic with a finite optimum -------------------------------


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


# --- (f) the ring of eight: collapse, and what the tricks do --------------------------

RING_VARIANTS: dict[str, dict[str, Any]] = {
    "baseline (k=1)": {},
    "k = 3": {"d_steps": 3},
    "TTUR 4e-4 / 1e-4": {"lr_d": 4e-4, "lr_g": 1e-4},
    "label smoothing 0.9": {"loss": "non_saturating_label_smoothing"},
    "instance noise 0.2": {"noise": 0.2},
}


RING_KEYS = {"baseline (k=1)": "baseline", "k = 3": "k3", "TTUR 4e-4 / 1e-4": "ttur",
             "label smoothing 0.9": "label_smoothing",
             "instance noise 0.2": "instance_noise"}  # short names for the CSV


def ring_seeds(seed: int = 0) -> list[int]:
    """The seeds of one table: [100 seed, 100 seed + 1, ...], one in ``smoke``, four in
    ``cpu``, six in ``gpu`` (the lab's table is ``seed = 0``)."""
    n = profiles.budget(smoke=1, cpu=4, gpu=6)
    return [100 * seed + i for i in range(n)]


def run_ring(seed: int, noise: float | None = None, variant: str = OK,
             frames: bool = False, **overrides: Any) -> dict[str, Any]:
    """One small ring run (2 x 128 MLPs, batch 128, Adam 2e-4, non-saturating loss;
    ``overrides`` change TrainConfig fields, ``noise`` wraps D in annealed instance
    noise). Five records of the coverage of 2000 samples (fixed z), and with
    ``frames`` a picture of both players at each record.

    Returns ``coverage`` (final), ``track`` [(step, modes, high_quality)], ``frames``,
    ``history``, ``samples`` (2000, 2) and ``D``.
    """
    ring = data.ring()
    device = profiles.device()
    extent = (-1.5, 1.5, -1.5, 1.5)
    steps = profiles.budget(smoke=200, cpu=1000, gpu=2000)
    record_every = steps // 5
    z_ring = torch.randn(2000, 2, generator=torch.Generator().manual_seed(123))
    z_ring = z_ring.to(device)
    profiles.seed_everything(seed)
    G = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=128, n_layers=2)
    D = models.get("mlp_discriminator", in_dim=2, hidden=128, n_layers=2)
    G, lr_g = generator_variant(G, variant, overrides.pop("lr_g", 2e-4))
    if noise is not None:
        D = InstanceNoise(D, sigma=noise, anneal_steps=steps)
    track, pictures = [], []

    def hook(snapshot: training.Snapshot) -> None:
        if noise is not None:
            D.hook(snapshot)  # the noise schedule follows the loop's step
        if snapshot.step % record_every == 0:
            cov = metrics.mode_coverage(snapshot.G(z_ring), ring.centers, ring.std)
            track.append((snapshot.step, cov.modes, cov.high_quality))
            if frames:
                pictures.append(viz.capture_frame(snapshot, extent=extent,
                                                  resolution=80))

    settings = {"steps": steps, "batch_size": 128, "loss": "non_saturating",
                "seed": seed, "hook_every": 1 if noise is not None else record_every,
                "precision": "fp32", "progress": False, "lr_g": lr_g, **overrides}
    result = training.train(G, D, ring.sample, training.TrainConfig(**settings), hook)
    with torch.no_grad():
        x_gen = result.G(z_ring).cpu()
    return {"coverage": metrics.mode_coverage(x_gen, ring.centers, ring.std),
            "track": track, "frames": pictures, "history": result.history,
            "samples": x_gen, "D": result.D}


def train_ring_variants(seed: int = 0, variant: str = OK,
                        frames: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Every variant of RING_VARIANTS on the seeds ``ring_seeds(seed)``."""
    return {name: [run_ring(s, variant=variant, frames=frames, **overrides)
                   for s in ring_seeds(seed)]
            for name, overrides in RING_VARIANTS.items()}


def ring_variant_quantities(ring_runs: dict[str, list[dict[str, Any]]]
                            ) -> dict[str, float]:
    """The smallest and largest median |x| over all runs, the best variant's mean
    number of modes (final samples), and, as diagnostics, the same with each run's
    modes taken as the median of its last three records, and the baseline's mean."""
    radii = [run["samples"].norm(dim=1).median().item()
             for runs in ring_runs.values() for run in runs]
    mean_modes = {name: float(np.mean([run["coverage"].modes for run in runs]))
                  for name, runs in ring_runs.items()}
    mean_modes_last3 = {
        name: float(np.mean([statistics.median(m for _, m, _ in run["track"][-3:])
                             for run in runs]))
        for name, runs in ring_runs.items()}
    return {
        "radius_min": min(radii),
        "radius_max": max(radii),
        "best_mean_modes": max(mean_modes.values()),
        "best_mean_modes_last3": max(mean_modes_last3.values()),
        "baseline_mean_modes": mean_modes["baseline (k=1)"],
        **{f"mean_modes_{RING_KEYS[name]}": value
           for name, value in mean_modes.items()},
    }


def _run_ring_variants(seed: int, variant: str) -> dict[str, float]:
    return ring_variant_quantities(train_ring_variants(seed, variant))


NO_CPU = "cpu: not swept yet, the floor is kept from the lab's single-run calibration"

VANISHING = register(Check(
    lab="ch02", name="vanishing", run=_run_vanishing,
    description="D trained against a disjoint segment: L_D -> 0, the saturating "
                "gradient vanishes, the non-saturating one does not",
    variants=("untrained_discriminator", "same_supports"),
    bounds=(
        Bound("loss_D", "<", smoke=0.02, cpu=2e-3,
              note="sweep worst 9.7e-3 (smoke, 30 runs) and 2.6e-4 (cpu, 12 runs); "
                   "broken >= 1.3; " + SWEEP.format("vanishing")),
        Bound("decay", ">", smoke=3.0, cpu=30.0,
              note="sweep worst 4.16 (smoke, 30 runs) and 81 (cpu, 12 runs); "
                   "broken <= 2.7; " + SWEEP.format("vanishing")),
        Bound("ratio", ">", smoke=100.0, cpu=2000.0,
              note="sweep worst 197 (smoke, 30 runs) and 7282 (cpu, 12 runs); "
                   "broken <= 1.1; " + SWEEP.format("vanishing")),
        Bound("same_deviation", "<", smoke=0.02, cpu=0.02,
              note="sweep worst 2.9e-3 (smoke, 30 runs) and 2.9e-3 (cpu, 12 runs); "
                   + SWEEP.format("vanishing")),
    ),
))

BEST_RESPONSE = register(Check(
    lab="ch02", name="best_response", run=_run_best_response,
    description="a generator trained against a frozen D collapses onto one or two "
                "modes",
    variants=("frozen_generator", "sign_flipped"),
    bounds=(
        Bound("near_mode", ">", smoke=0.5, cpu=0.5,
              note="sweep worst 0.895 (smoke, 30 runs) and 1.0 (cpu, 12 runs); "
                   "broken: 0; " + SWEEP.format("best_response")),
        Bound("reverse_kl", ">", smoke=math.log(8 / 3), cpu=math.log(8 / 3),
              note="three equally filled modes give log(8/3) = 0.98; sweep worst "
                   "1.52 (smoke, 30 runs) and 2.08 (cpu, 12 runs); "
                   + SWEEP.format("best_response")),
        Bound("spread", "<", smoke=0.3, cpu=0.3,
              note="sweep worst 0.10 (smoke, 30 runs) and 0.012 (cpu, 12 runs); the "
                   "data: about 1.3; " + SWEEP.format("best_response")),
        Bound("argmax_weight", ">", smoke=0.99, cpu=0.99,
              note="sweep worst 0.9987 (smoke, 30 runs) and 0.9975 (cpu, 12 runs); "
                   + SWEEP.format("best_response")),
        Bound("mixture_gain", ">", smoke=0.0, cpu=0.0,
              note="the theorem says > 0; sweep worst 0.023 (smoke, 30 runs) and "
                   "0.020 (cpu, 12 runs); " + SWEEP.format("best_response")),
    ),
))

INSTANCE_NOISE = register(Check(
    lab="ch02", name="instance_noise", run=_run_instance_noise,
    description="a linear critic trained through instance noise reaches the finite "
                "optimum w = -1/sigma^2, b = 1/(2 sigma^2)",
    variants=("no_noise",),
    bounds=(
        Bound("w_error", "<", smoke=0.4, cpu=0.4,
              note="sweep worst 0.17 (smoke, 30 runs; cpu, 12 runs: the run has 300 "
                   "steps in every profile); no noise: >= 2.5; "
                   + SWEEP.format("instance_noise")),
        Bound("b_error", "<", smoke=0.4, cpu=0.4,
              note="sweep worst 0.14 (smoke, 30 runs; cpu, 12 runs); no noise: "
                   ">= 1.2; " + SWEEP.format("instance_noise")),
    ),
))

RING_VARIANTS_CHECK = register(Check(
    lab="ch02", name="ring_variants", run=_run_ring_variants,
    swept=("smoke",),  # the cpu sweep is still to run: cpu floors unverified
    description="small ring runs with k = 3, TTUR, label smoothing, instance noise: "
                "samples at the data's scale, the best variant covers the modes",
    variants=("frozen_generator", "sign_flipped"),
    bounds=(
        Bound("radius_min", ">", smoke=0.45, cpu=0.45,
              note="smoke sweep worst 0.576 over 30 tables, floor 0.45 (frozen "
                   "generator: <= 0.29); " + NO_CPU + "; "
                   + SWEEP.format("ring_variants")),
        Bound("radius_max", "<", smoke=3.0, cpu=3.0,
              note="smoke sweep worst 1.456 over 30 tables, floor 3 (sign-flipped "
                   "generator: >= 22); " + NO_CPU + "; "
                   + SWEEP.format("ring_variants")),
        Bound("best_mean_modes", ">=", smoke=3.0, cpu=7.0,
              note="smoke sweep worst 4 over 30 tables, floor 3 (broken: 0); "
                   + NO_CPU + "; " + SWEEP.format("ring_variants")),
    ),
))
