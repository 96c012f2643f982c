"""Chapter 10's trained set-ups: a live StyleGAN run, and the analyses of the committed
checkpoint (:mod:`gan_lib.benchmarks.stylegan_shapes`).

The lab calls these functions, so the sweep measures exactly what the lab asserts on.

* ``ch10.live``: the checkpoint's set-up trained live for a few hundred steps; the
  sliced Wasserstein distance between generated and real pixels must fall well below
  its value at initialization.
* ``ch10.checkpoint``: the analyses of the committed generator (style mixing, W
  against Z, stochastic variation, truncation). The network is fixed; the seed draws
  the latents, the noise and the real reference set, so the sweep's seeds measure the
  sampling spread of each analysis, and its three CPU kernel sets the rounding (the
  analyses are deterministic on one machine, not across machines). In the ``gpu``
  profile the lab retrains the generator from scratch instead of loading it, and the
  ``cpu`` floors apply.

Measured factors (:func:`gan_lib.data.attributes.measure_attributes`) are the
"perceptual" reader throughout: on real images they reach R² of 0.93 (size) to 1.0
(hue, background) against the true factors at 16 px.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from gan_lib import profiles
from gan_lib.benchmarks import stylegan_shapes as setup
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register
from gan_lib.data.attributes import measure_attributes, r_squared
from gan_lib.data.generated import shapes_with_factors
from gan_lib.latent import truncated_normal
from gan_lib.metrics.prdc import precision_recall
from gan_lib.metrics.swd import sliced_wasserstein
from gan_lib.models.stylegan import mix_styles

FACTORS = ("hue", "size", "x", "y", "background")
Z_THRESHOLD = 2.5  # truncation in Z: |z_i| <= 2.5 psi (psi = 1: none)

# --- the generator the analyses use ---------------------------------------------------


def trained_generator() -> nn.Module:
    """The committed checkpoint in ``smoke`` and ``cpu``; in ``gpu`` the same set-up
    retrained from scratch on the GPU (the EMA generator, in eval mode)."""
    if profiles.current() != "gpu":
        return setup.load_generator()
    result = setup.run(setup.STEPS)
    return result.G_ema.eval().requires_grad_(False)


def untrained_generator() -> nn.Module:
    """The same architecture at its initialization, with ``w_avg`` estimated: the
    broken variant of ``ch10.checkpoint``."""
    G, _ = setup.build_networks(setup.SEED)
    G.train()
    with torch.no_grad():
        for _ in range(20):
            G.mapping(torch.randn(256, G.z_dim))
    for _ in range(1200):  # w_avg close to the EMA's limit (0.995 ** 1200 < 0.003)
        with torch.no_grad():
            G.mapping(torch.randn(64, G.z_dim))
    return G.eval().requires_grad_(False)


def broadcast(w: Tensor, num_ws: int) -> Tensor:
    """``w (B, w_dim) -> ws (B, num_ws, w_dim)``: one latent for every layer."""
    return w[:, None].expand(-1, num_ws, -1)


def noise_like(G: nn.Module, batch: int, generator: torch.Generator) -> list[Tensor]:
    """One noise image ``(batch, 1, r, r)`` per styled layer of ``G``."""
    noise, r = [], 4
    for layer in G.layers:
        r = r * 2 if layer.up else r
        noise.append(torch.randn(batch, 1, r, r, generator=generator))
    return noise


@torch.no_grad()
def generate(G: nn.Module, ws: Tensor, noise: list[Tensor] | None = None,
             chunk: int = 500) -> Tensor:
    """``G.synthesis(ws, noise)`` in chunks, clamped to [-1, 1] (the data's range)."""
    out = []
    for start in range(0, ws.shape[0], chunk):
        part = None if noise is None else [n[start:start + chunk] for n in noise]
        out.append(G.synthesis(ws[start:start + chunk], part))
    return torch.cat(out).clamp(-1, 1)


def measured(images: Tensor) -> dict[str, Tensor]:
    """The measured factors as float64."""
    return {k: v.double() for k, v in measure_attributes(images).items()}


# --- style mixing: which measured factors follow which source ------------------------


def mixing_scores(G: nn.Module, seed: int, n: int) -> dict[str, dict[str, float]]:
    """For each crossover ``k`` in 1 .. num_ws - 1: images styled by ``w_A`` in layers
    ``< k`` and by ``w_B`` from ``k`` on, with the noise of A. For each factor, the R²
    of the mixed image's measured value as a prediction by A's and by B's:
    ``{f"k={k}": {f"{factor}_A": R², f"{factor}_B": R²}}``."""
    g = torch.Generator().manual_seed(10_000 + seed)
    z_a, z_b = torch.randn(n, G.z_dim, generator=g), torch.randn(n, G.z_dim, generator=g)
    noise = noise_like(G, n, g)
    with torch.no_grad():
        ws_a = broadcast(G.mapping(z_a), G.num_ws)
        ws_b = broadcast(G.mapping(z_b), G.num_ws)
    m_a, m_b = measured(generate(G, ws_a, noise)), measured(generate(G, ws_b, noise))
    out: dict[str, dict[str, float]] = {}
    for k in range(1, G.num_ws):
        m_mix = measured(generate(G, mix_styles(ws_a, ws_b, k), noise))
        scores = {}
        for name in FACTORS:
            for source, m_src in (("A", m_a), ("B", m_b)):
                ok = torch.isfinite(m_mix[name]) & torch.isfinite(m_src[name])
                scores[f"{name}_{source}"] = r_squared(
                    m_mix[name][ok], m_src[name][ok], circular=name == "hue")
        out[f"k={k}"] = scores
    return out


# --- W against Z: how linear are the factors in each ---------------------------------


def linear_r2(features: Tensor, target: Tensor, train_fraction: float = 0.5) -> float:
    """Held-out R² of a least-squares affine fit of ``target (n,)`` on ``features (n,
    d)``: fit on the first ``train_fraction`` of the rows, score on the rest."""
    n_train = int(train_fraction * len(target))
    X = torch.cat([features.double(), torch.ones(len(target), 1,
                                                 dtype=torch.float64)], 1)
    coef = torch.linalg.lstsq(X[:n_train], target[:n_train, None].double()).solution
    pred = (X[n_train:] @ coef)[:, 0]
    return r_squared(pred, target[n_train:].double())


def w_against_z(G: nn.Module, seed: int, n: int) -> dict[str, float]:
    """Sample ``n`` images; regress the measured size, x, y and background linearly
    on ``z`` and on ``w``; return ``r2_z_<f>``, ``r2_w_<f>`` (held out), and the
    fraction of samples whose measured (size, x) lies in the forbidden region."""
    g = torch.Generator().manual_seed(20_000 + seed)
    z = torch.randn(n, G.z_dim, generator=g)
    with torch.no_grad():
        w = G.mapping(z)
    images = generate(G, broadcast(w, G.num_ws), noise_like(G, n, g))
    m = measured(images)
    out = {}
    ok = torch.ones(n, dtype=torch.bool)
    for name in ("size", "x", "y", "background"):
        ok &= torch.isfinite(m[name])
    for name in ("size", "x", "y", "background"):
        out[f"r2_z_{name}"] = linear_r2(z[ok], m[name][ok])
        out[f"r2_w_{name}"] = linear_r2(w[ok], m[name][ok])
        out[f"r2_gain_{name}"] = out[f"r2_w_{name}"] - out[f"r2_z_{name}"]
    inside = setup.FORBIDDEN({k: v.float() for k, v in m.items()}) & ok
    out["in_forbidden"] = float(inside.double().mean())
    return out


def real_in_forbidden(n: int = 2000, seed: int = 0) -> float:
    """The same measured fraction on real training images (none is truly inside: the
    rest is measurement error near the region's border)."""
    images, _ = shapes_with_factors(n, setup.RESOLUTION, seed, forbidden=setup.FORBIDDEN)
    m = measure_attributes(images)
    return float(setup.FORBIDDEN(m).double().mean())


# --- stochastic variation --------------------------------------------------------------


def stochastic_variation(G: nn.Module, seed: int, n_w: int, draws: int
                         ) -> dict[str, object]:
    """``n_w`` latents, ``draws`` noise draws each. Returns the per-pixel standard
    deviation over noise (averaged over channels and latents) ``std_map (H, W)``, the
    same between latents with the noise fixed, ``between_map``, and per factor the
    share of the measured factor's variance that the noise explains:
    ``noise_share_<f>`` = mean within-w variance / total variance."""
    g = torch.Generator().manual_seed(30_000 + seed)
    z = torch.randn(n_w, G.z_dim, generator=g)
    with torch.no_grad():
        w = G.mapping(z)
    ws = broadcast(w, G.num_ws).repeat_interleave(draws, dim=0)  # (n_w * draws, L, d)
    images = generate(G, ws, noise_like(G, n_w * draws, g))
    images = images.reshape(n_w, draws, *images.shape[1:])  # (n_w, draws, C, H, W)
    std_map = images.std(dim=1).mean(dim=(0, 1))  # (H, W)
    between_map = images.std(dim=0).mean(dim=(0, 1))
    m = measured(images.flatten(0, 1))
    out: dict[str, object] = {"std_map": std_map, "between_map": between_map,
                              "images": images}
    for name in ("size", "x", "y", "hue", "background"):
        values = m[name].reshape(n_w, draws)
        if name == "hue":  # on the circle: the spread of the angle's unit vector
            angle = 2 * math.pi * values
            vec = torch.stack([angle.cos(), angle.sin()], -1)  # (n_w, draws, 2)
            within = vec.var(dim=1).sum(-1).nanmean()
            total = vec.flatten(0, 1).var(dim=0).sum()
        else:
            within = values.var(dim=1).nanmean()
            total = values.flatten()[torch.isfinite(values.flatten())].var()
        out[f"noise_share_{name}"] = float(within / total)
    out["noise_pixel_ratio"] = float(std_map.mean() / between_map.mean())
    return out


# --- truncation: precision and recall in the measured-factor space ---------------------


def factor_features(images: Tensor) -> Tensor:
    """Measured factors as feature vectors ``(n, 6)``: hue on the unit circle (cos,
    sin, scaled by 1/2), size, x, y and background each divided by the spread of its
    uniform training range, so that every factor counts alike; NaNs (a flat image) are
    replaced by a point far from every image."""
    m = measure_attributes(images)
    angle = 2 * math.pi * m["hue"]
    features = torch.stack([
        0.5 * angle.cos(), 0.5 * angle.sin(),
        m["size"] / 0.18, m["x"] / 0.6, m["y"] / 0.6, m["background"],
    ], dim=1).double()
    return torch.nan_to_num(features, nan=10.0)


def truncation_curve(G: nn.Module, seed: int, n: int, psis: tuple[float, ...],
                     space: str = "w") -> dict[str, list[float]]:
    r"""Precision and recall (k = 3) of ``n`` samples against ``n`` real training
    images, in :func:`factor_features`, for each truncation ``psi``. ``space`` "w":
    :math:`w_\psi = \bar w + \psi (w - \bar w)`; "z": each coordinate of ``z``
    redrawn until ``|z_i| <= t`` with the threshold ``t = 2.5 psi`` (BigGAN's trick,
    :func:`gan_lib.latent.truncated_normal`; scaling ``z`` would change nothing, as
    the mapping network starts with a pixel norm)."""
    g = torch.Generator().manual_seed(40_000 + seed)
    real, _ = shapes_with_factors(n, setup.RESOLUTION, 40_000 + seed,
                                  forbidden=setup.FORBIDDEN)
    real_features = factor_features(real)
    z = torch.randn(n, G.z_dim, generator=g)
    noise = noise_like(G, n, g)
    precision, recall = [], []
    for psi in psis:
        with torch.no_grad():
            if space == "w":
                ws = G.mapping.truncate(broadcast(G.mapping(z), G.num_ws), psi)
            else:
                z_t = z if psi == 1.0 else truncated_normal(
                    (n, G.z_dim), Z_THRESHOLD * psi,
                    generator=torch.Generator().manual_seed(45_000 + seed))
                ws = broadcast(G.mapping(z_t), G.num_ws)
        fake_features = factor_features(generate(G, ws, noise))
        p, r = precision_recall(real_features, fake_features, k=3)
        precision.append(p)
        recall.append(r)
    return {"psi": list(psis), "precision": precision, "recall": recall}


# --- the checkpoint check ---------------------------------------------------------------

COARSE_K = 2  # A styles the 4 x 4 layers only
FINE_K = 4  # A styles 4 x 4 and 8 x 8; B only the 16 x 16 layers
TRUNCATION_PSIS = (1.0, 0.7, 0.5, 0.3)


def analysis_sizes() -> dict[str, int]:
    return profiles.budget(
        smoke=dict(mixing=400, linear=1000, n_w=8, draws=16, truncation=600),
        cpu=dict(mixing=1000, linear=3000, n_w=16, draws=32, truncation=1500),
        gpu=dict(mixing=1000, linear=3000, n_w=16, draws=32, truncation=1500),
    )


def checkpoint_quantities(G: nn.Module, seed: int) -> dict[str, float]:
    """Every number the lab asserts on about the trained generator."""
    sizes = analysis_sizes()
    out: dict[str, float] = {}
    mix = mixing_scores(G, seed, sizes["mixing"])
    for name in FACTORS:
        for k in (COARSE_K, FINE_K):
            out[f"mix{k}_{name}_A"] = mix[f"k={k}"][f"{name}_A"]
            out[f"mix{k}_{name}_B"] = mix[f"k={k}"][f"{name}_B"]
    out.update(w_against_z(G, seed, sizes["linear"]))
    variation = stochastic_variation(G, seed, sizes["n_w"], sizes["draws"])
    out.update({k: v for k, v in variation.items() if isinstance(v, float)})
    curve = truncation_curve(G, seed, sizes["truncation"], TRUNCATION_PSIS)
    for psi, p, r in zip(curve["psi"], curve["precision"], curve["recall"]):
        out[f"precision_{psi}"], out[f"recall_{psi}"] = p, r
    out["precision_gain"] = out["precision_0.5"] - out["precision_1.0"]
    out["recall_loss"] = out["recall_1.0"] - out["recall_0.5"]
    return out


def _run_checkpoint(seed: int, variant: str) -> dict[str, float]:
    G = untrained_generator() if variant == "untrained_generator" else trained_generator()
    return checkpoint_quantities(G, seed)


# --- the live run --------------------------------------------------------------------


def live_steps() -> int:
    return profiles.budget(smoke=100, cpu=200, gpu=2000)


def _flip(grad: Tensor) -> Tensor:
    return -grad


def _zero(grad: Tensor) -> Tensor:
    return torch.zeros_like(grad)


def break_generator(G: nn.Module, variant: str) -> None:
    """Make ``G`` a broken variant in place: ``frozen_generator`` (every gradient
    zeroed: Adam never moves it) or ``sign_flipped`` (every gradient negated: it climbs
    its loss)."""
    if variant == OK:
        return
    hook = {"frozen_generator": _zero, "sign_flipped": _flip}.get(variant)
    if hook is None:
        from gan_lib.errors import UnknownNameError

        raise UnknownNameError("broken variant", variant,
                               ("frozen_generator", "sign_flipped"))
    for p in G.parameters():
        p.register_hook(hook)


@torch.no_grad()
def pixel_swd(G: nn.Module, real: Tensor, seed: int) -> float:
    """Sliced W1 (256 directions) between ``len(real)`` samples of ``G`` (fixed z and
    noise for the seed) and ``real``, on the flattened pixels."""
    g = torch.Generator().manual_seed(50_000 + seed)
    z = torch.randn(len(real), G.z_dim, generator=g)
    ws = broadcast(G.mapping(z, update_w_avg=False), G.num_ws)
    fake = generate(G, ws, noise_like(G, len(real), g))
    return sliced_wasserstein(real.flatten(1), fake.flatten(1), 256,
                              generator=torch.Generator().manual_seed(seed))


def train_live(seed: int = 0, variant: str = OK, progress: bool = False):  # noqa: ANN201
    """The checkpoint's set-up for :func:`live_steps` steps from ``seed``: returns the
    training result and the pixel SWD to 500 real images before and after."""
    images = setup.training_data(2000)[0]
    real = shapes_with_factors(500, setup.RESOLUTION, 60_000 + seed,
                               forbidden=setup.FORBIDDEN)[0]
    G0, _ = setup.build_networks(seed)
    before = pixel_swd(G0.eval(), real, seed)
    result = setup.run(live_steps(), seed, images=images, progress=progress,
                       prepare=lambda G: break_generator(G, variant))
    after = pixel_swd(result.G.eval(), real, seed)
    return result, {"swd_before": before, "swd_after": after,
                    "swd_ratio": after / before}


def _run_live(seed: int, variant: str) -> dict[str, float]:
    return train_live(seed, variant)[1]


# --- the registered checks -------------------------------------------------------------

SWEEP_NOTE = ("sweep: ../lab_checks, check ch10.{}; worst over 30 smoke runs (10 seeds "
              "x 3 CPU kernels) {}, over 12 cpu runs (4 x 3) {}; {}")

LIVE = register(Check(
    lab="ch10", name="live", run=_run_live,
    description="the checkpoint's set-up trained live (100 steps smoke, 200 cpu): pixel "
                "SWD to real images, after / before",
    variants=("frozen_generator", "sign_flipped"),
    quantities=("swd_before", "swd_after"),
    bounds=(
        Bound("swd_ratio", "<", smoke=0.75, cpu=0.7, note=SWEEP_NOTE.format(
            "live", "0.52 (100 steps)", "0.52 (200 steps)",
            "ceilings 0.75 and 0.7; broken: frozen exactly 1, sign-flipped >= 1.79")),
    ),
))


def _ckpt_note(text: str) -> str:
    return ("sweep: ../lab_checks, check ch10.checkpoint (10 smoke / 4 cpu seeds x 3 CPU "
            "kernels; the seed draws latents, noise and real references): " + text)


CHECKPOINT = register(Check(
    lab="ch10", name="checkpoint", run=_run_checkpoint,
    description="analyses of the committed StyleGAN (mixing, W vs Z, noise, truncation)",
    variants=("untrained_generator",),
    bounds=(
        Bound("mix2_x_A", ">", smoke=0.9, cpu=0.9, note=_ckpt_note(
            "worst 0.956 smoke, 0.966 cpu; floor 0.9; untrained <= -0.78")),
        Bound("mix2_y_A", ">", smoke=0.9, cpu=0.9, note=_ckpt_note(
            "worst 0.966 smoke, 0.968 cpu; floor 0.9; untrained <= -0.81")),
        Bound("mix4_hue_B", ">", smoke=0.98, cpu=0.98, note=_ckpt_note(
            "worst 0.994 smoke, 0.9995 cpu; floor 0.98; untrained <= 0.957")),
        Bound("mix4_background_B", ">", smoke=0.99, cpu=0.99, note=_ckpt_note(
            "worst 0.9999 in both; floor 0.99; untrained <= 0.921")),
        Bound("mix4_hue_A", "<", smoke=0.3, cpu=0.3, note=_ckpt_note(
            "worst (largest) 0.134 smoke, 0.058 cpu; ceiling 0.3")),
        Bound("r2_w_x", ">", smoke=0.85, cpu=0.85, note=_ckpt_note(
            "worst 0.927 smoke, 0.933 cpu; floor 0.85; untrained <= 0.12")),
        Bound("r2_gain_x", ">", smoke=0.3, cpu=0.3, note=_ckpt_note(
            "worst 0.429 smoke, 0.436 cpu; floor 0.3; untrained <= 0.14")),
        Bound("r2_gain_size", ">", smoke=0.47, cpu=0.47, note=_ckpt_note(
            "worst 0.554 smoke, 0.538 cpu; floor 0.47; untrained <= 0.43 (a random "
            "mapping already gains: w is one step closer to the image)")),
        Bound("in_forbidden", "<", smoke=0.02, cpu=0.02, note=_ckpt_note(
            "worst (largest) 0.013 smoke, 0.009 cpu; ceiling 0.02 (real images "
            "measure 0.027: border errors); untrained >= 0.44")),
        Bound("noise_share_x", "<", smoke=0.01, cpu=0.01, note=_ckpt_note(
            "worst (largest) 0.0031 smoke, 0.0015 cpu; ceiling 0.01")),
        Bound("noise_share_hue", "<", smoke=0.002, cpu=0.002, note=_ckpt_note(
            "worst (largest) 0.0002 smoke, 0.0001 cpu; ceiling 0.002")),
        Bound("precision_1.0", ">", smoke=0.93, cpu=0.93, note=_ckpt_note(
            "worst 0.958 smoke, 0.965 cpu; floor 0.93; untrained 0")),
        Bound("precision_0.5", ">", smoke=0.93, cpu=0.95, note=_ckpt_note(
            "worst 0.953 smoke, 0.982 cpu; floors 0.93 and 0.95; untrained 0")),
        Bound("recall_1.0", ">", smoke=0.1, cpu=0.1, note=_ckpt_note(
            "worst 0.130 smoke, 0.125 cpu; floor 0.1; untrained 0")),
        Bound("recall_loss", ">", smoke=0.05, cpu=0.05, note=_ckpt_note(
            "recall(1) - recall(0.5): worst 0.072 smoke, 0.073 cpu; floor 0.05; "
            "untrained 0")),
    ),
))
