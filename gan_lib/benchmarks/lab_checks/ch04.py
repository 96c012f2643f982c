"""Chapter 4's trained set-ups: critics against the exact W1, GP critics in one
dimension, deep clipped critics, and WGAN runs on the ring and the grid.

The lab calls these functions, so the sweep measures exactly the runs the lab
asserts on. Budgets follow the active profile (:func:`gan_lib.profiles.budget`).

The problem of the critic sections: ``P1`` (two modes at -2 and 2) against
``Q1 = N(0.5, 1)``, lifted into the plane by a ``U[0, 1]`` second coordinate (the same
for both), which changes neither ``W1`` nor the optimal critic.
"""

from __future__ import annotations

import math
import numpy as np
import torch
from scipy import integrate
from scipy.stats import norm
from torch import nn

from gan_lib import data, losses, metrics, models, profiles, regularizers, training
from gan_lib import transport
from gan_lib.benchmarks.lab_checks import broken
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register

P1 = data.GaussianMixture1D(means=(-2.0, 2.0), stds=(0.5, 0.5))
Q1 = data.GaussianMixture1D(means=(0.5,), stds=(1.0,))
CONSTRAINTS = ("gp", "sn", "clip")  # the three critics of the trained-critics section
SWEEP = "sweep: ../lab_checks, check ch04.{}"


def cdf(mixture: data.GaussianMixture1D, t: np.ndarray) -> np.ndarray:
    """The exact distribution function of a 1-D Gaussian mixture."""
    return sum(w * norm.cdf(t, m, s)
               for m, s, w in zip(mixture.means, mixture.stds, mixture.weights))


def w1_exact() -> float:
    """W1(P1, Q1) = int |F_P - F_Q| by adaptive quadrature (Lemma lem-w1-1d)."""
    value, _ = integrate.quad(lambda t: abs(cdf(P1, t) - cdf(Q1, t)), -12, 12,
                              points=[-2, 0, 0.5, 2], limit=400, epsabs=1e-12)
    return value


W1 = w1_exact()


def lift(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """(N, 1) -> (N, 2): append a U[0, 1] coordinate (the same law for P and Q)."""
    return torch.cat([x, torch.rand(x.shape[0], 1, generator=generator)], dim=1)


def input_gradients(T: nn.Module, points: torch.Tensor) -> np.ndarray:
    """The gradient of T at each point, (N, d), as NumPy."""
    device = next(T.parameters()).device
    points = points.detach().to(device).clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(T(points).sum(), points)
    return grad.detach().cpu().numpy()


# --- the trained critics against the exact W1 -----------------------------------------


def critic_steps() -> int:
    return profiles.budget(smoke=150, cpu=400, gpu=2000)


def train_critic(
    constraint: str, steps: int, seed: int, in_dim: int = 2, batch: int = 512,
    variant: str = OK, progress: bool = False,
) -> tuple[nn.Module, list[float]]:
    """Maximize E_P[T] - E_Q[T] under a constraint: 'gp' (lambda = 10), 'sn' or
    'clip' (c = 0.01); Adam 1e-3, betas (0.5, 0.9). Returns T (eval mode) and the
    minibatch estimates during training.

    Broken variants: ``"sign_flipped_critic"`` minimizes E_P[T] - E_Q[T] instead;
    ``"unconstrained"`` drops the constraint (no penalty, normalization or clipping).
    """
    device = profiles.device()
    constrained = variant != "unconstrained"
    sign = -1.0 if variant == "sign_flipped_critic" else 1.0
    torch.manual_seed(seed)
    T = models.get("mlp_discriminator", in_dim=in_dim, hidden=64, n_layers=3,
                   spectral_norm=constrained and constraint == "sn").to(device)
    opt = torch.optim.Adam(T.parameters(), lr=1e-3, betas=(0.5, 0.9))
    estimates = []
    steps_iter = range(steps)
    if progress:
        from tqdm.auto import tqdm

        steps_iter = tqdm(steps_iter, desc=f"critic ({constraint})", leave=False)
    for _ in steps_iter:
        x_p, x_q = P1.sample(batch), Q1.sample(batch)
        if in_dim == 2:
            x_p, x_q = lift(x_p), lift(x_q)
        x_p, x_q = x_p.to(device), x_q.to(device)
        loss = sign * losses.critic_loss_wasserstein(T(x_p), T(x_q))  # E_Q[T] - E_P[T]
        if constrained and constraint == "gp":
            loss = loss + 10.0 * regularizers.gradient_penalty(T, x_p, x_q)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if constrained and constraint == "clip":
            regularizers.clip_weights_(T, clip_value=0.01)
        estimates.append(-losses.critic_loss_wasserstein(T(x_p), T(x_q)).item())
    if constrained and constraint == "sn":  # let the power iteration catch up
        with torch.no_grad():
            for _ in range(200):
                T(x_p[:8])  # in training mode: one power iteration per layer
    return T.eval(), estimates


def train_critics(
    seed: int = 0, variant: str = OK, progress: bool = False
) -> tuple[dict[str, nn.Module], dict[str, list[float]]]:
    """The three critics of the lab (same seed, same steps), and their curves."""
    critics, curves = {}, {}
    for constraint in CONSTRAINTS:
        critics[constraint], curves[constraint] = train_critic(
            constraint, critic_steps(), seed, variant=variant, progress=progress)
    return critics, curves


def evaluation_samples() -> tuple[torch.Tensor, torch.Tensor]:
    """100 000 fresh lifted samples of P1 and of Q1 (a fixed generator)."""
    fresh = torch.Generator().manual_seed(3)
    x_p = lift(P1.sample(100_000, fresh), fresh)
    return x_p, lift(Q1.sample(100_000, fresh), fresh)


def lipschitz_box() -> torch.Tensor:
    """A 601 x 41 grid of [-6, 6] x [-0.5, 1.5] (all but < 1e-5 of P1 and Q1)."""
    g1, g2 = torch.meshgrid(torch.linspace(-6, 6, 601), torch.linspace(-0.5, 1.5, 41),
                            indexing="xy")
    return torch.stack([g1.reshape(-1), g2.reshape(-1)], dim=1)


def critic_report(T: nn.Module) -> dict[str, float]:
    """The estimate E_P[T] - E_Q[T] on the evaluation samples, its standard error, and
    L-hat, the largest gradient norm on the box: a maximum over a grid, so a LOWER
    bound on T's Lipschitz constant (a steeper spot between grid points is missed)."""
    device = next(T.parameters()).device
    x_p, x_q = evaluation_samples()
    with torch.no_grad():
        t_p, t_q = T(x_p.to(device)), T(x_q.to(device))
    estimate = (t_p.mean() - t_q.mean()).item()
    se = math.sqrt(t_p.var().item() / len(t_p) + t_q.var().item() / len(t_q))
    lipschitz = float(np.linalg.norm(input_gradients(T, lipschitz_box()), axis=1).max())
    return {"estimate": estimate, "se": se, "L": lipschitz}


def clipping_bound(T: nn.Module, c: float = 0.01) -> float:
    """prod over layers of c sqrt(m n) (Proposition prop-clipping-bound)."""
    return math.prod(c * math.sqrt(layer.weight.shape[0] * layer.weight.shape[1])
                     for layer in T.net if isinstance(layer, nn.Linear))


def transport_path_points() -> tuple[torch.Tensor, np.ndarray]:
    """2000 points x_t on segments of the optimal (quantile) coupling, lifted, and the
    sign of x - y (the 1-D part of the theorem's unit vector), for |x - y| > 0.05."""
    u = np.random.default_rng(4).uniform(0.001, 0.999, size=2000)
    x_pair, y_pair = quantile(P1, u), quantile(Q1, u)
    keep = np.abs(x_pair - y_pair) > 0.05  # the direction needs x != y
    t_mix = np.random.default_rng(5).uniform(size=keep.sum())
    x_t = y_pair[keep] + t_mix * (x_pair[keep] - y_pair[keep])
    height = np.random.default_rng(6).uniform(size=keep.sum())
    points = torch.tensor(np.stack([x_t, height], 1), dtype=torch.float32)
    return points, np.sign(x_pair[keep] - y_pair[keep])


def quantile(mixture: data.GaussianMixture1D, u: np.ndarray) -> np.ndarray:
    """F^{-1}(u) by bisection on the exact distribution function."""
    lo, hi = np.full_like(u, -20.0), np.full_like(u, 20.0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = cdf(mixture, mid) < u
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def path_statistics(T: nn.Module) -> dict[str, object]:
    """Gradient norms on the transport paths, the fraction pointing from y to x, and
    the median cosine with the theorem's direction."""
    points, direction = transport_path_points()
    grad = input_gradients(T, points)
    norms = np.linalg.norm(grad, axis=1)
    return {"norms": norms, "aligned": float(np.mean(np.sign(grad[:, 0]) == direction)),
            "cosine": float(np.median(grad[:, 0] * direction / norms))}


def branch_slopes(T: nn.Module) -> tuple[float, float]:
    """Mean slopes along x_2 = 0.5 on [-3, -0.5] (optimal -1) and [1, 3] (optimal
    +1)."""
    device = next(T.parameters()).device
    ends = torch.tensor([[-3.0, 0.5], [-0.5, 0.5], [1.0, 0.5], [3.0, 0.5]],
                        device=device)
    with torch.no_grad():
        v = T(ends).cpu().numpy()
    return float((v[1] - v[0]) / 2.5), float((v[3] - v[2]) / 2.0)


def train_shallow_sn(seed: int = 0, variant: str = OK) -> tuple[float, float]:
    """One hidden layer of 64 ReLU units, spectrally normalized, trained on the 1-D
    problem; returns its slopes (s_-, s_+) at -inf and +inf."""
    device = profiles.device()
    torch.manual_seed(seed)
    shallow = models.get("mlp_discriminator", in_dim=1, hidden=64, n_layers=1,
                         activation="relu",
                         spectral_norm=variant != "unconstrained").to(device)
    opt = torch.optim.Adam(shallow.parameters(), lr=1e-3, betas=(0.5, 0.9))
    sign = -1.0 if variant == "sign_flipped_critic" else 1.0
    for _ in range(critic_steps()):
        x_p, x_q = P1.sample(512).to(device), Q1.sample(512).to(device)
        loss = sign * losses.critic_loss_wasserstein(shallow(x_p), shallow(x_q))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    with torch.no_grad():
        for _ in range(200):
            shallow(x_p[:8])  # converge the power iteration for the final weights
        shallow.eval()
        far = shallow(torch.tensor([[-101.0], [-100.0], [100.0], [101.0]],
                                   device=device))
    return -(far[0] - far[1]).item(), (far[3] - far[2]).item()


def layer_norms(T: nn.Module) -> list[float]:
    """Spectral norm of each Linear layer's (effective, e.g. normalized) weight."""
    return [torch.linalg.matrix_norm(layer.weight.detach().double(), ord=2).item()
            for layer in T.net if isinstance(layer, nn.Linear)]


def power_iteration_error(T: nn.Module) -> float:
    """max over layers of |power_iteration (300 steps) - matrix_norm|."""
    errors = []
    for layer in T.net:
        if isinstance(layer, nn.Linear):
            W = layer.weight.detach()
            errors.append(abs(regularizers.power_iteration(W, steps=300).item()
                              - torch.linalg.matrix_norm(W.double(), ord=2).item()))
    return max(errors)


def fraction_at_bound(T: nn.Module, c: float = 0.01) -> float:
    """The fraction of T's weights within 1 % of +-c."""
    w = torch.cat([layer.weight.detach().flatten() for layer in T.net
                   if isinstance(layer, nn.Linear)])
    return (w.abs() > 0.99 * c).float().mean().item()


def estimate_quantities(critics: dict[str, nn.Module],
                        reports: dict[str, dict[str, float]]) -> dict[str, float]:
    """The critics' estimates against W1 (the exact W1), with their L-hat.

    Differences are arranged so that each bound reads ``quantity op threshold``."""
    gp, sn, clip = reports["gp"], reports["sn"], reports["clip"]
    return {
        # Lemma lem-lipschitz-bound with each critic's L-hat: E_P T - E_Q T <= L W1
        # (up to 3 standard errors); <= 0 must hold.
        "lemma_excess": max((r["estimate"] - r["L"] * W1 - 3 * r["se"]) / W1
                            for r in reports.values()),
        "gp_relative_error": abs(gp["estimate"] - W1) / W1,
        "gp_relative_excess": (gp["estimate"] - W1) / W1,  # signed: > 0 overestimates
        "gp_L": gp["L"],
        "sn_L": sn["L"],
        "sn_excess": (sn["estimate"] - W1 - 3 * sn["se"]) / W1,
        "sn_fraction": sn["estimate"] / W1,
        "clip_L_over_bound": clip["L"] / clipping_bound(critics["clip"]),
        "clip_fraction": clip["estimate"] / W1,
    }


def path_quantities(reports: dict[str, dict[str, float]],
                    paths: dict[str, dict]) -> dict[str, float]:
    """The gradient along optimal transport paths (Theorem thm-unit-gradient), and
    the fraction of W1 each critic reaches rescaled to L-hat = 1."""
    ratio = {name: r["estimate"] / r["L"] / W1 for name, r in reports.items()}
    return {
        "gp_path_norm_error": abs(float(np.median(paths["gp"]["norms"])) - 1),
        "gp_aligned": paths["gp"]["aligned"],
        "gp_cosine": paths["gp"]["cosine"],
        "sn_path_norm_q99": float(np.quantile(paths["sn"]["norms"], 0.99)),
        "sn_aligned": paths["sn"]["aligned"],
        "clip_aligned": paths["clip"]["aligned"],
        "ratio_gp": ratio["gp"], "ratio_sn": ratio["sn"], "ratio_clip": ratio["clip"],
        "underuse_gap": ratio["gp"] - ratio["clip"],  # capacity underuse of clipping
    }


def slope_quantities(slopes: dict[str, tuple[float, float]],
                     shallow: tuple[float, float]) -> dict[str, float]:
    """The shallow SN bound (prop-sn-v-shape) and the V of the deeper critics."""
    return {
        "shallow_slope_sum": abs(shallow[0]) + abs(shallow[1]),
        "gp_branch_slope_min": min(abs(slopes["gp"][0]), abs(slopes["gp"][1])),
        "gp_v_shape": min(-slopes["gp"][0], slopes["gp"][1]),  # > 0: slopes -, +
        "sn_branch_slope_min": min(abs(slopes["sn"][0]), abs(slopes["sn"][1])),
    }


def layer_quantities(critics: dict[str, nn.Module],
                     reports: dict[str, dict[str, float]]) -> dict[str, float]:
    """lem-lipschitz-composition (L-hat <= product of the layers' norms), normalized
    layers at norm 1, power iteration on trained layers, clipped weights at +-c."""
    return {
        "L_over_layer_product": max(reports[n]["L"] / math.prod(layer_norms(T))
                                    for n, T in critics.items()),
        "sn_layer_norm_error": max(abs(s - 1) for s in layer_norms(critics["sn"])),
        "power_iteration_error": max(power_iteration_error(T)
                                     for T in critics.values()),
        "clip_at_bound": fraction_at_bound(critics["clip"]),
    }


def critics_quantities(
    critics: dict[str, nn.Module], reports: dict[str, dict[str, float]],
    paths: dict[str, dict], slopes: dict[str, tuple[float, float]],
    shallow: tuple[float, float],
) -> dict[str, float]:
    """Every number the trained-critics sections assert on."""
    return {**estimate_quantities(critics, reports), **path_quantities(reports, paths),
            **slope_quantities(slopes, shallow), **layer_quantities(critics, reports)}


def _run_critics(seed: int, variant: str) -> dict[str, float]:
    critics, _ = train_critics(seed, variant)
    reports = {name: critic_report(T) for name, T in critics.items()}
    paths = {name: path_statistics(T) for name, T in critics.items()}
    slopes = {name: branch_slopes(T) for name, T in critics.items()}
    return critics_quantities(critics, reports, paths, slopes,
                              train_shallow_sn(seed, variant))


# --- GP critics on the unlifted 1-D problem -------------------------------------------

GRID_1D = torch.linspace(-4, 4, 801).unsqueeze(1)


def one_d_inits() -> int:
    return profiles.budget(smoke=2, cpu=3, gpu=8)


def gp_1d_runs(seed: int = 0, variant: str = OK) -> list[dict[str, float]]:
    """GP critics (lambda = 10) trained on the unlifted problem from ``one_d_inits()``
    initializations (seeds ``seed * n`` to ``seed * n + n - 1``; the lab: 0 to n - 1).

    For each: the estimate on 50 000 fresh samples of each distribution, the fraction
    of the region (where |F_P - F_Q| > 0.02) where the slope's sign is the optimal
    critic's, the median and the largest |T'| there and on [-4, 4]."""
    steps = profiles.budget(smoke=100, cpu=300, gpu=1000)
    t = GRID_1D.numpy()[:, 0]
    defined = np.abs(cdf(P1, t) - cdf(Q1, t)) > 0.02
    optimal_sign = np.sign(cdf(Q1, t) - cdf(P1, t))
    n = one_d_inits()
    out = []
    for init in range(seed * n, seed * n + n):
        T, _ = train_critic("gp", steps, seed=init, in_dim=1, variant=variant)
        device = next(T.parameters()).device
        slope = input_gradients(T, GRID_1D)[:, 0]
        fresh = torch.Generator().manual_seed(1000 + init)
        with torch.no_grad():
            estimate = (T(P1.sample(50_000, fresh).to(device)).mean()
                        - T(Q1.sample(50_000, fresh).to(device)).mean()).item()
        out.append({
            "seed": init, "estimate": estimate,
            "agree": float(np.mean(np.sign(slope[defined]) == optimal_sign[defined])),
            "median_slope": float(np.median(np.abs(slope[defined]))),
            "max_slope": float(np.abs(slope).max()),
        })
    return out


def gp_1d_quantities(runs: list[dict[str, float]]) -> dict[str, float]:
    """Worst case over the inits of what the lab asserts for every run: |T'| close to
    1, and the estimate at most W1 times the largest slope (lem-w1-1d); also the least
    sign agreement and the least fraction of W1 reached (the trap, if a run falls in).
    """
    return {
        "median_slope_error": max(abs(r["median_slope"] - 1) for r in runs),
        "estimate_excess": max(r["estimate"] - r["max_slope"] * W1 for r in runs),
        "agree_min": min(r["agree"] for r in runs),
        "fraction_min": min(r["estimate"] / W1 for r in runs),
    }


def _run_gp_1d(seed: int, variant: str) -> dict[str, float]:
    return gp_1d_quantities(gp_1d_runs(seed, variant))


# --- deep critics: clipping and the gradient through depth ----------------------------

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


# --- WGANs on the ring and the grid: clipping, gradient penalty, spectral norm --------

GAN_CONSTRAINTS = {
    "clipping": {"clip_value": 0.01},
    "gradient penalty": {"gp_weight": 0.1},
    "spectral norm": {},
}


def gan_steps() -> int:
    return profiles.budget(smoke=80, cpu=600, gpu=5000)


def gan_seeds() -> dict[str, int]:
    """Seeds per benchmark (smoke: the ring only)."""
    return {"ring": profiles.budget(smoke=1, cpu=3, gpu=5),
            "grid": profiles.budget(smoke=0, cpu=2, gpu=5)}


def gan_config(constraint: str, seed: int, variant: str = OK) -> training.TrainConfig:
    """The shared WGAN set-up: k = 5 critic steps, Adam 3e-4, betas (0.5, 0.9).

    ``variant="frozen_generator"`` sets G's learning rate to 0: the loop switches
    ``requires_grad`` back on for G at every generator step, so
    :func:`broken.frozen` alone would not freeze it under :func:`training.train`."""
    lr_g = 0.0 if variant == "frozen_generator" else 3e-4
    return training.TrainConfig(
        steps=gan_steps(), batch_size=256, loss="wasserstein", d_steps=5, lr_g=lr_g,
        lr_d=3e-4, betas_g=(0.5, 0.9), betas_d=(0.5, 0.9), seed=seed, progress=False,
        log_every=50, **GAN_CONSTRAINTS[constraint],
    )


def evaluate_gan(samples: torch.Tensor, target: data.GaussianMixture2D,
                 generator: torch.Generator) -> dict:
    """PacGAN's mode coverage on all samples; W1 between 500 of them and 500 data."""
    coverage = metrics.mode_coverage(samples, target.centers, target.std)
    w1 = transport.wasserstein_assignment(samples[:500], target.sample(500, generator))
    return {"coverage": coverage, "w1": w1}


def run_gan(target: data.GaussianMixture2D, constraint: str, seed: int,
            variant: str = OK) -> dict:
    """One WGAN run (3 hidden layers of 64 for both players); evaluated on 2500
    samples from a fixed z before and after training."""
    device = profiles.device()
    torch.manual_seed(seed)
    G = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=64, n_layers=3)
    D = models.get("mlp_discriminator", in_dim=2, hidden=64, n_layers=3,
                   spectral_norm=constraint == "spectral norm")
    z_eval = torch.randn(2500, 2, generator=torch.Generator().manual_seed(1000 + seed))
    with torch.no_grad():
        before = evaluate_gan(G(z_eval), target,
                              torch.Generator().manual_seed(2000 + seed))
    if variant != "frozen_generator":
        G = broken.apply(G, variant)
    result = training.train(G, D, target.sample, gan_config(constraint, seed, variant))
    with torch.no_grad():
        x_gen = result.G(z_eval.to(device)).cpu()
    after = evaluate_gan(x_gen, target, torch.Generator().manual_seed(2000 + seed))
    return {**after, "w1_before": before["w1"], "samples": x_gen,
            "history": result.history}


def benchmarks() -> dict[str, data.GaussianMixture2D]:
    return {name: target for name, target in
            (("ring", data.ring()), ("grid", data.grid())) if gan_seeds()[name] > 0}


def gan_runs(seed: int = 0, variant: str = OK,
             progress: bool = False) -> dict[tuple[str, str, int], dict]:
    """Every run of the lab's table: each benchmark x constraint x its seeds (seeds
    ``seed * n`` to ``seed * n + n - 1`` for n seeds; the lab: 0 to n - 1)."""
    jobs = [(bench, constraint, s) for bench, n in gan_seeds().items()
            for constraint in GAN_CONSTRAINTS for s in range(seed * n, seed * n + n)]
    targets = benchmarks()
    if progress:
        from tqdm.auto import tqdm

        jobs = tqdm(jobs, desc="GAN runs")
    return {(b, c, s): run_gan(targets[b], c, s, variant) for b, c, s in jobs}


def gan_mean(runs: dict, bench: str, constraint: str, key: str) -> float:
    """Mean over the seeds of one number ("w1", "w1_before" or a coverage field)."""
    values = [r[key] if key.startswith("w1") else getattr(r["coverage"], key)
              for (b, c, _), r in runs.items() if b == bench and c == constraint]
    return float(np.mean(values))


def gan_quantities(runs: dict) -> dict[str, float]:
    """The largest W1 / W1 at the start over every run, and the ring ordering of the
    constraints on means over seeds."""
    modes = {c: gan_mean(runs, "ring", c, "modes") for c in GAN_CONSTRAINTS}
    w1 = {c: gan_mean(runs, "ring", c, "w1") for c in GAN_CONSTRAINTS}
    hq = {c: gan_mean(runs, "ring", c, "high_quality") for c in GAN_CONSTRAINTS}
    q = {
        "w1_progress_max": max(r["w1"] / r["w1_before"] for r in runs.values()),
        "modes_gp_minus_clip": modes["gradient penalty"] - modes["clipping"],
        "modes_sn_minus_clip": modes["spectral norm"] - modes["clipping"],
        "w1_gp_over_clip": w1["gradient penalty"] / w1["clipping"],
        "w1_sn_over_clip": w1["spectral norm"] / w1["clipping"],
        "hq_gp_minus_others": hq["gradient penalty"] - max(hq["clipping"],
                                                           hq["spectral norm"]),
    }
    for bench in ("ring", "grid"):
        progress = [r["w1"] / r["w1_before"]
                    for (b, _, _), r in runs.items() if b == bench]
        if progress:
            q[f"w1_progress_max_{bench}"] = max(progress)
    for c, name in (("clipping", "clip"), ("gradient penalty", "gp"),
                    ("spectral norm", "sn")):
        q[f"ring_modes_{name}"] = modes[c]
        q[f"ring_hq_{name}"] = hq[c]
        q[f"ring_w1_{name}"] = w1[c]
    return q


def _run_gan(seed: int, variant: str) -> dict[str, float]:
    return gan_quantities(gan_runs(seed, variant))


# --- the checks -----------------------------------------------------------------------

_C = SWEEP.format("critics")
_CPU_OLD = "cpu: the lab's floor before the sweep"


def _note(smoke: str, cpu: str = _CPU_OLD) -> str:
    return f"{_C}; smoke: {smoke}; {cpu}"


CRITICS = register(Check(
    lab="ch04", name="critics", run=_run_critics,
    description="GP, SN and clipped critics on the lifted 1-D problem against the "
                "exact W1: estimates, gradients on transport paths, slopes, layer norms",
    variants=("sign_flipped_critic", "unconstrained"),
    bounds=(
        Bound("lemma_excess", "<=", smoke=0.0, cpu=0.0,
              note=_note("worst -2e-4 over 30 runs; the lemma's bound, no margin",
                         "cpu: worst -2e-4 over 12 runs; the lemma's bound")),
        Bound("gp_relative_error", "<", smoke=0.20, cpu=0.12,
              note=_note("worst 0.098 over 30 runs; ceiling 0.20",
                         "cpu: worst 0.0817 over 12 runs; ceiling 0.12")),
        Bound("sn_L", "<=", smoke=1.005, cpu=1.005,
              note=_note("worst 0.933 over 30 runs; SN gives L <= 1 (+ power "
                         "iteration)", "cpu: worst 0.990 over 12 runs; the same")),
        Bound("sn_excess", "<=", smoke=0.0, cpu=0.0,
              note=_note("worst -0.34 over 30 runs; the lemma's bound",
                         "cpu: worst -0.28 over 12 runs; the lemma's bound")),
        Bound("sn_fraction", ">", smoke=0.4, cpu=0.5,
              note=_note("worst 0.568 over 30 runs; floor 0.4",
                         "cpu: worst 0.684 over 12 runs; floor 0.5")),
        Bound("clip_L_over_bound", "<=", smoke=1.0, cpu=1.0,
              note=_note("worst 0.358 over 30 runs; the proposition's bound",
                         "cpu: worst 0.319 over 12 runs; the same")),
        Bound("clip_fraction", "<", smoke=0.01, cpu=0.01,
              note=_note("worst 8e-4 over 30 runs; ceiling 0.01",
                         "cpu: worst 0.0007 over 12 runs; ceiling 0.01")),
        Bound("gp_path_norm_error", "<", smoke=0.12, cpu=0.1,
              note=_note("worst 0.083 over 30 runs; ceiling 0.12",
                         "cpu: worst 0.0707 over 12 runs; ceiling 0.1")),
        Bound("gp_aligned", ">", smoke=0.9, cpu=0.9,
              note=_note("worst 0.996 over 30 runs; floor 0.9",
                         "cpu: worst 0.995 over 12 runs; floor 0.9")),
        Bound("gp_cosine", ">", smoke=0.9, cpu=0.9,
              note=_note("worst 0.954 over 30 runs; floor 0.9",
                         "cpu: worst 0.997 over 12 runs; floor 0.9")),
        Bound("sn_path_norm_q99", "<=", smoke=1.005, cpu=1.005,
              note=_note("worst 0.933 over 30 runs; SN gives norms <= 1",
                         "cpu: worst 0.990 over 12 runs; the same")),
        Bound("sn_aligned", ">", smoke=0.9, cpu=0.9,
              note=_note("worst 0.963 over 30 runs; floor 0.9",
                         "cpu: worst 0.982 over 12 runs; floor 0.9")),
        Bound("underuse_gap", ">", smoke=0.05, cpu=0.1,
              note=_note("worst 0.089 over 30 runs; floor 0.05",
                         "cpu: worst 0.187 over 12 runs; floor 0.1")),
        Bound("shallow_slope_sum", "<=", smoke=1.001, cpu=1.001,
              note=_note("worst 0.788 over 30 runs; the proposition's bound",
                         "cpu: worst 0.919 over 12 runs; the same")),
        Bound("gp_branch_slope_min", ">", smoke=0.75, cpu=0.8,
              note=_note("worst 0.857 over 30 runs; floor 0.75",
                         "cpu: worst 1.04 over 12 runs; floor 0.8")),
        Bound("gp_v_shape", ">", smoke=0.0, cpu=0.0,
              note=_note("worst 0.857 over 30 runs; the signs - and +",
                         "cpu: worst 1.04 over 12 runs; the signs")),
        Bound("sn_branch_slope_min", "<", smoke=0.5, cpu=0.5,
              note=_note("worst 0.096 over 30 runs; ceiling 0.5",
                         "cpu: worst 0.117 over 12 runs; ceiling 0.5")),
        Bound("L_over_layer_product", "<=", smoke=1 + 1e-5, cpu=1 + 1e-5,
              note=_note("worst 0.933 over 30 runs; the lemma's bound",
                         "cpu: worst 0.990 over 12 runs; the same")),
        Bound("sn_layer_norm_error", "<", smoke=0.02, cpu=0.02,
              note=_note("worst 1e-6 over 30 runs; ceiling 0.02",
                         "cpu: worst 1.3e-05 over 12 runs; ceiling 0.02")),
        Bound("power_iteration_error", "<", smoke=1e-4, cpu=1e-4,
              note=_note("worst 1.2e-7 over 30 runs; ceiling 1e-4",
                         "cpu: worst 2.7e-05 over 12 runs; ceiling 1e-4")),
        Bound("clip_at_bound", ">", smoke=0.5, cpu=0.5,
              note=_note("worst 0.977 over 30 runs; floor 0.5",
                         "cpu: worst 0.992 over 12 runs; floor 0.5")),
    ),
))

_G1 = SWEEP.format("gp_1d")
GP_1D = register(Check(
    lab="ch04", name="gp_1d", run=_run_gp_1d,
    description="GP critics on the unlifted 1-D problem: |T'| near 1, estimate at most "
                "W1 times the largest slope",
    variants=("unconstrained",),
    bounds=(
        Bound("median_slope_error", "<", smoke=0.2, cpu=0.2,
              note=f"{_G1}; smoke: worst 0.10 over 30 runs; ceiling 0.2; cpu: worst "
                   "0.092 over 12 runs; ceiling 0.2"),
        Bound("estimate_excess", "<=", smoke=0.02, cpu=0.02,
              note=f"{_G1}; smoke: worst -0.08 over 30 runs; the Monte Carlo error of "
                   "lem-w1-1d's bound; cpu: worst -0.054 over 12 runs; the same"),
    ),
))

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

_W = SWEEP.format("gan")
_GAN_CPU = ("cpu: the lab's floor before the sweep; the cpu sweep of this check (15 "
            "runs of 600 steps per seed) is partial: 2 seeds under DEFAULT, with W1 "
            "progress <= 0.41, GP - clipping = 2.0 modes in both (at the floor), SN - "
            "clipping >= 1.33 modes, W1 ratios <= 0.60, GP high quality ahead by 0.08")
_NOT_SMOKE = (f"{_W}; smoke: not checked (80 steps are too short for an ordering: in "
              f"the smoke sweep GP - clipping ranged from -2 to +4 modes); {_GAN_CPU}")
GAN = register(Check(
    lab="ch04", name="gan", run=_run_gan,
    swept=("smoke",),  # cpu sweep partial (2 seeds, default kernels): still to run
    description="WGAN with clipping, GP or SN on the ring (and the grid in cpu): W1 "
                "progress; on the ring GP and SN beat clipping",
    variants=("frozen_generator", "sign_flipped"),
    bounds=(
        Bound("w1_progress_max", "<", smoke=0.85, cpu=0.6,
              note=f"{_W}; smoke: worst 0.723 over 30 runs; ceiling 0.85; {_GAN_CPU}"),
        Bound("modes_gp_minus_clip", ">=", smoke=-math.inf, cpu=2, note=_NOT_SMOKE),
        Bound("modes_sn_minus_clip", ">=", smoke=-math.inf, cpu=1, note=_NOT_SMOKE),
        Bound("w1_gp_over_clip", "<", smoke=math.inf, cpu=0.8, note=_NOT_SMOKE),
        Bound("w1_sn_over_clip", "<", smoke=math.inf, cpu=0.8, note=_NOT_SMOKE),
        Bound("hq_gp_minus_others", ">", smoke=-math.inf, cpu=0.0, note=_NOT_SMOKE),
    ),
))


def assert_bounds(check: Check, values: dict[str, float], verbose: bool = True) -> None:
    """Print every bound of ``check`` against ``values`` and assert it (the lab's
    asserts, with the number and the sweep's floor visible)."""
    for b in check.bounds:
        if verbose:
            print(b.explain(values[b.quantity]))
    for b in check.bounds:
        assert b.holds(values[b.quantity]), b.explain(values[b.quantity])

