"""Chapter 3's trained set-ups: seven f-GAN critics against a fixed pair of Gaussians,
and the KL and reverse-KL f-GAN games that fit one Gaussian to two modes.

The lab calls these functions, so the sweep measures exactly the runs the lab
asserts on. Budgets follow the active profile (:func:`gan_lib.profiles.budget`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from functools import cache

import numpy as np
import torch
from torch import nn

from gan_lib import data, divergences, losses, models, profiles, training
from gan_lib.benchmarks.lab_checks import broken
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register

# --- the pair of the critics' section: data P, model Q --------------------------------

P = data.GaussianMixture1D(means=(0.0,), stds=(1.0,))  # the data
Q = data.GaussianMixture1D(means=(1.0,), stds=(1.2,))  # the model
M_P, S_P, M_Q, S_Q = 0.0, 1.0, 1.0, 1.2
SUPPORT = (-12.0, 12.0)  # holds all but ~1e-20 of the mass of both
NAMES = divergences.names()
BATCH = 256
SWEEP = "sweep: ../lab_checks, check ch03.{}"


def crossings() -> list[float]:
    """The two points where p = q (log p = log q is a quadratic in x)."""
    c = [1 / (2 * S_Q**2) - 1 / (2 * S_P**2), M_P / S_P**2 - M_Q / S_Q**2,
         M_Q**2 / (2 * S_Q**2) - M_P**2 / (2 * S_P**2) + math.log(S_Q / S_P)]
    return sorted(np.roots(c).real.tolist())


POINTS = sorted([M_P, M_Q, *crossings()])  # the quadrature's breakpoints


@cache
def exact_divergences() -> dict[str, float]:
    """D_f(P || Q) for every divergence, by adaptive quadrature."""
    return {name: divergences.f_divergence(name, P.pdf, Q.pdf, support=SUPPORT,
                                           points=[M_P, M_Q]) for name in NAMES}


def critic_steps() -> int:
    return profiles.budget(smoke=400, cpu=1500, gpu=4000)


def train_critic(
    name: str, steps: int, seed: int, swap: bool = False
) -> tuple[nn.Module, torch.Tensor]:
    """Maximize the minibatch bound E_P[T] - E_Q[f*(T)] over an MLP critic (Adam,
    cosine-decaying learning rate); return the network V and the estimate per step.

    ``swap=True`` is a broken set-up: the critic is trained with P and Q exchanged.
    """
    device = profiles.device()
    torch.manual_seed(seed)
    V = models.get("mlp_discriminator", in_dim=1, hidden=64, n_layers=2).to(device)
    opt = torch.optim.Adam(V.parameters(), lr=1e-3, betas=(0.5, 0.999))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    d_loss, _ = losses.get(f"f_gan:{name}")
    real, fake = (Q, P) if swap else (P, Q)
    estimates = torch.zeros(steps)
    for step in range(steps):
        x_real, x_fake = real.sample(BATCH).to(device), fake.sample(BATCH).to(device)
        loss = d_loss(V(x_real), V(x_fake))  # = -(minibatch bound)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
        estimates[step] = -loss.detach()
    return V.eval(), estimates


def train_critics(
    seed: int = 0, variant: str = OK, progress: Callable | None = None
) -> tuple[dict[str, nn.Module], dict[str, torch.Tensor]]:
    """One critic per divergence; the i-th divergence's critic uses seed 7 seed + i
    (the lab's seed 0 gives 0, ..., 6). ``variant``: ``"untrained_critic"`` (the
    networks as initialized) or ``"swapped_samples"`` (P and Q exchanged)."""
    steps = critic_steps()
    critics, curves = {}, {}
    names = progress(NAMES) if progress else NAMES
    for i, name in enumerate(names):
        if variant == "untrained_critic":
            torch.manual_seed(len(NAMES) * seed + i)
            critics[name] = models.get("mlp_discriminator", in_dim=1, hidden=64,
                                       n_layers=2).to(profiles.device()).eval()
            curves[name] = torch.zeros(steps)
            continue
        critics[name], curves[name] = train_critic(
            name, steps, len(NAMES) * seed + i, swap=variant == "swapped_samples")
    return critics, curves


def network_critic(name: str, V: nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    """x (N,) float64 -> T(x) = g_f(V(x)) (N,), a trained critic as a function."""
    div, device = divergences.get(name), next(V.parameters()).device

    def critic(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            v = V(torch.as_tensor(x, dtype=torch.float32, device=device)[:, None])
        return div.activation(v.double()).cpu().numpy()

    return critic


def evaluate_critics(
    critics: dict[str, nn.Module], seed: int = 1234
) -> dict[str, dict[str, float]]:
    """For each critic: the exact bound it reaches (quadrature), a Monte Carlo estimate
    of it on a fresh sample of N_EVAL points per side and the estimate's standard
    error, and the relative gap (D_f - exact bound) / D_f."""
    exact = exact_divergences()
    n_eval = profiles.budget(smoke=100_000, cpu=200_000, gpu=1_000_000)
    device = profiles.device()
    torch.manual_seed(seed)
    x_real, x_fake = P.sample(n_eval).to(device), Q.sample(n_eval).to(device)
    out = {}
    for name, V in critics.items():
        div = divergences.get(name)
        exact_bound = divergences.variational_bound(
            name, P.pdf, Q.pdf, network_critic(name, V), support=SUPPORT, points=POINTS)
        with torch.no_grad():
            gain = div.activation(V(x_real).double())  # T on real samples
            cost = div.conjugate_of_activation(V(x_fake).double())  # f*(T) on fakes
        estimate = (gain.mean() - cost.mean()).item()
        se = math.sqrt(gain.var().item() / n_eval + cost.var().item() / n_eval)
        out[name] = {"divergence": exact[name], "exact_bound": exact_bound,
                     "estimate": estimate, "se": se,
                     "gap": (exact[name] - exact_bound) / exact[name]}
    return out


LOG_RATIO_X = np.linspace(-2.5, 3.0, 200)  # where both densities have mass


def log_ratio_error(V: nn.Module) -> float:
    """max |V(x) - log p(x)/q(x)| on [-2.5, 3]: the GAN critic's logit against the
    optimal one."""
    device = next(V.parameters()).device
    with torch.no_grad():
        v = V(torch.as_tensor(LOG_RATIO_X, dtype=torch.float32, device=device)[:, None])
    log_ratio = np.log(P.pdf(LOG_RATIO_X) / Q.pdf(LOG_RATIO_X))
    return float(np.abs(v.cpu().numpy().reshape(-1) - log_ratio).max())


def critic_quantities(
    evaluation: dict[str, dict[str, float]], critics: dict[str, nn.Module]
) -> dict[str, float]:
    """The numbers the lab asserts on: each critic's relative gap ``gap_<name>``; the
    largest excess of an exact bound over D_f (the theorem: <= 0 up to quadrature);
    the largest z-scores of the estimates above D_f and away from the exact bound;
    and the GAN critic's distance from log(p/q)."""
    out = {f"gap_{name}": e["gap"] for name, e in evaluation.items()}
    out["bound_excess_max"] = max(e["exact_bound"] - e["divergence"]
                                  for e in evaluation.values())
    out["z_above_max"] = max((e["estimate"] - e["divergence"]) / e["se"]
                             for e in evaluation.values())
    out["z_bias_max"] = max(abs(e["estimate"] - e["exact_bound"]) / e["se"]
                            for e in evaluation.values())
    out["log_ratio_error"] = log_ratio_error(critics["gan"])
    return out


def _run_critics(seed: int, variant: str) -> dict[str, float]:
    critics, _ = train_critics(seed, variant)
    return critic_quantities(evaluate_critics(critics, seed=1234 + seed), critics)


# --- the games: one Gaussian fitted to two modes by f_gan:kl and f_gan:reverse_kl -----

TARGET = data.GaussianMixture1D(means=(-2.0, 2.0), stds=(0.5, 0.5))
A, S = 2.0, 0.5  # the modes sit at +-A with standard deviation S


class GaussianGenerator(nn.Module):
    """G(z) = mu + sigma z with z ~ N(0, 1): the model N(mu, sigma^2), sigma = e^s."""

    def __init__(self, mu: float = 1.0, sigma: float = 0.7) -> None:
        super().__init__()
        self.z_dim = 1
        self.mu = nn.Parameter(torch.tensor(float(mu)))
        self.log_sigma = nn.Parameter(torch.tensor(math.log(sigma)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (N, 1) -> (N, 1)
        return self.mu + self.log_sigma.exp() * z

    def pdf(self, x: torch.Tensor) -> torch.Tensor:
        sigma = self.log_sigma.exp()
        z = (x - self.mu) / sigma
        return torch.exp(-0.5 * z**2) / (sigma * math.sqrt(2 * math.pi))


def break_generator(G: GaussianGenerator, variant: str) -> nn.Module:
    """``G`` for ``"ok"``; ``broken.Frozen`` or ``broken.SignFlipped`` around it."""
    return broken.apply(G, variant)


def gaussian_of(G: nn.Module) -> GaussianGenerator:
    """The GaussianGenerator inside ``G`` (unwrapping a broken variant)."""
    return G.G if isinstance(G, (broken.SignFlipped, broken.Frozen)) else G


def record(snapshot: training.Snapshot) -> dict[str, float]:
    """The hook of the games: the generator's (mu, sigma)."""
    G = gaussian_of(snapshot.G)
    return {"mu": G.mu.item(), "sigma": G.log_sigma.exp().item()}


def game_steps() -> int:
    return profiles.budget(smoke=300, cpu=1000, gpu=3000)


def game_config(name: str, seed: int) -> training.TrainConfig:
    steps = game_steps()
    return training.TrainConfig(
        steps=steps, batch_size=256, loss=f"f_gan:{name}", d_steps=2,  # k = 2
        lr_g=5e-3, lr_d=1e-3, seed=seed, hook_every=max(1, steps // 50), progress=False,
    )


def play_games(seed: int = 0, variant: str = OK) -> dict[str, training.TrainResult]:
    """The f-GAN games f_gan:kl (seed 2 seed) and f_gan:reverse_kl (seed 2 seed + 1),
    each from mu = 1, sigma = 0.7 against an MLP critic; (mu, sigma) recorded by the
    hook 50 times and at the end."""
    games = {}
    for i, name in enumerate(("kl", "reverse_kl")):
        config = game_config(name, 2 * seed + i)
        profiles.seed_everything(config.seed)
        G = break_generator(GaussianGenerator(mu=1.0, sigma=0.7), variant)
        D = models.get("mlp_discriminator", in_dim=1, hidden=64, n_layers=2)
        games[name] = training.train(G, D, TARGET.sample, config, hook=record)
    return games


def game_quantities(games: dict[str, training.TrainResult]) -> dict[str, float]:
    """mu and sigma of each game as the median of its last three records (the game
    jitters from step to step), and the numbers the lab asserts on."""
    fit = {}
    for name, result in games.items():
        last3 = result.history["hook"][-3:]
        fit[name] = (statistics.median(r["mu"] for r in last3),
                     statistics.median(r["sigma"] for r in last3))
    (mu_kl, sigma_kl), (mu_rkl, sigma_rkl) = fit["kl"], fit["reverse_kl"]
    return {
        "mu_kl": mu_kl, "sigma_kl": sigma_kl, "mu_rkl": mu_rkl, "sigma_rkl": sigma_rkl,
        "width_ratio": sigma_kl / sigma_rkl,
        "rkl_mu_error": abs(mu_rkl - A), "rkl_sigma_error": abs(sigma_rkl - S),
    }


def _run_games(seed: int, variant: str) -> dict[str, float]:
    return game_quantities(play_games(seed, variant))


# The sweep's worst healthy runs, per profile (lab_checks_ch03.csv): smoke = 10 seeds x
# 3 CPU kernel sets (30 runs), cpu = 4 seeds x 3 (12 runs).
_WORST_GAP = {  # name: (smoke, cpu)
    "gan": (0.0024, 0.00056), "jensen_shannon": (0.0027, 0.00069),
    "kl": (0.0044, 0.00077), "pearson": (0.0088, 0.0032), "reverse_kl": (0.0081, 0.0031),
    "squared_hellinger": (0.0027, 0.0010), "total_variation": (0.0127, 0.0026),
}


def _gap_note(name: str) -> str:
    smoke, cpu = _WORST_GAP[name]
    return (f"relative gap of the critic's exact bound below D_f; sweep worst "
            f"{smoke:.2%} (smoke, 30 runs), {cpu:.2%} (cpu, 12 runs); the largest of "
            f"the seven: 1.27% (smoke, total variation), 0.32% (cpu, Pearson); "
            + SWEEP.format("critics"))


CRITICS = register(Check(
    lab="ch03", name="critics", run=_run_critics,
    description="seven f-GAN critics trained against a fixed Gaussian pair approach "
                "D_f; the GAN critic's logit approaches log(p/q)",
    variants=("untrained_critic", "swapped_samples"),
    bounds=(
        *(Bound(f"gap_{name}", "<=", smoke=0.04, cpu=0.015, note=_gap_note(name))
          for name in NAMES),
        Bound("bound_excess_max", "<=", smoke=1e-8, cpu=1e-8,
              note="the theorem: exact bound - D_f <= 0 up to quadrature error; "
                   "sweep worst -1.4e-4 (smoke), -3.5e-5 (cpu)"),
        Bound("z_above_max", "<=", smoke=4.0, cpu=4.0,
              note="largest (estimate - D_f)/se over the seven: 4 se, by chance "
                   "3e-5 each; sweep worst 2.18 (smoke), 1.98 (cpu)"),
        Bound("z_bias_max", "<=", smoke=4.0, cpu=4.0,
              note="largest |estimate - exact bound|/se over the seven: 4 se, by "
                   "chance 6e-5 each; sweep worst 2.34 (smoke), 2.30 (cpu)"),
        Bound("log_ratio_error", "<", smoke=0.5, cpu=0.25,
              note="GAN critic, max |V - log p/q| on [-2.5, 3]; sweep worst 0.234 "
                   "(smoke, 30 runs), 0.082 (cpu, 12 runs); " + SWEEP.format("critics")),
    ),
))

_GAMES = "(smoke, 30 runs: 10 seeds x 3 kernels), {} (cpu, 12 runs); " + SWEEP.format(
    "games")
GAMES = register(Check(
    lab="ch03", name="games", run=_run_games,
    description="f-GAN games fitting one Gaussian to two modes: KL covers, "
                "reverse KL seeks a mode",
    variants=("frozen_generator", "sign_flipped"),
    bounds=(
        Bound("sigma_kl", ">", smoke=1.0, cpu=1.5,
              note="KL game's sigma (from 0.7 toward the moment-matching 2.06, still "
                   "widening at the end of the run): sweep worst 1.17 "
                   + _GAMES.format("1.71")),
        Bound("width_ratio", ">", smoke=2.0, cpu=2.5,
              note="sigma_KL / sigma_RKL: sweep worst 2.31 " + _GAMES.format("3.35")),
        Bound("rkl_mu_error", "<", smoke=0.1, cpu=0.05,
              note="|mu_RKL - 2|: sweep worst 0.021 " + _GAMES.format("0.009")),
        Bound("rkl_sigma_error", "<", smoke=0.15, cpu=0.05,
              note="|sigma_RKL - 0.5|: sweep worst 0.058 " + _GAMES.format("0.013")),
    ),
))
