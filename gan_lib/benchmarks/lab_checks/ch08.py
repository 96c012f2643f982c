"""Chapter 8's trained set-ups: label smoothing's discriminator, the live ring runs.

The lab calls these functions, so the sweep measures exactly the runs the lab asserts
on. Budgets follow the active profile (:func:`gan_lib.profiles.budget`).

* ``ch08.label_smoothing``: an MLP discriminator trained alone between N(0, 1) (real)
  and N(2, 1) (fake) with real target alpha = 0.9 and fake target beta in {0, 0.1},
  compared with the optimum (alpha p + beta q) / (p + q).
* ``ch08.ring_live``: three rows of the mode-coverage benchmark on the ring of eight
  (plain, minibatch discrimination, packing m = 2), trained live with the benchmark's
  own :func:`gan_lib.benchmarks.mode_coverage.run_one`. In ``cpu`` the runs use the
  committed benchmark's settings (1,500 steps), so the sweep's ``cpu`` rows also give
  the spread against which the committed CSV is checked for staleness
  (:func:`committed_within_sweep`).
"""

from __future__ import annotations

import dataclasses
import statistics
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import norm
from torch import nn

from gan_lib import data, losses, models, profiles
from gan_lib.benchmarks import mode_coverage as bench
from gan_lib.benchmarks.lab_checks import broken
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register

SWEEP = "sweep: ../lab_checks, check ch08.{}"

# --- label smoothing: the trained discriminator against (alpha p + beta q)/(p + q) ----

ALPHA = 0.9
BETAS = (0.0, 0.1)
GRID_X = np.linspace(-1, 3, 81)  # where both densities are appreciable
FAR_X = 4.5  # p/q = exp(-7) there


def smoothed_d_steps() -> int:
    return profiles.budget(smoke=400, cpu=800, gpu=1500)


def train_smoothed_D(beta: float, seed: int = 0, steps: int | None = None) -> nn.Module:
    """An MLP discriminator trained alone between N(0, 1) (real, target ALPHA) and
    N(2, 1) (fake, target ``beta``): the library's one-sided loss for beta = 0, a
    cross-entropy with both targets otherwise. ``steps=0`` leaves it untrained."""
    torch.manual_seed(seed)
    D = models.get("mlp_discriminator", in_dim=1, hidden=64, n_layers=2)
    optimizer = torch.optim.Adam(D.parameters(), lr=3e-3)
    for _ in range(smoothed_d_steps() if steps is None else steps):
        real_logits, fake_logits = D(torch.randn(1024, 1)), D(torch.randn(1024, 1) + 2)
        if beta == 0:
            loss = losses.discriminator_loss_bce_smoothed(
                real_logits, fake_logits, ALPHA)
        else:
            loss = F.binary_cross_entropy_with_logits(
                real_logits, torch.full_like(real_logits, ALPHA)
            ) + F.binary_cross_entropy_with_logits(
                fake_logits, torch.full_like(fake_logits, beta)
            )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return D


def optimal_smoothed_D(x: np.ndarray, beta: float) -> np.ndarray:
    """(alpha p + beta q) / (p + q) for p = N(0, 1), q = N(2, 1)."""
    p, q = norm.pdf(x, 0, 1), norm.pdf(x, 2, 1)
    return (ALPHA * p + beta * q) / (p + q)


@torch.no_grad()
def smoothed_D_quantities(D: nn.Module, beta: float) -> dict[str, float]:
    """max |D - D*| on [-1, 3] and D(4.5)."""
    D_grid = torch.sigmoid(D(torch.tensor(GRID_X, dtype=torch.float32)[:, None]))
    D_far = torch.sigmoid(D(torch.tensor([[FAR_X]]))).item()
    gap = D_grid.numpy().reshape(-1) - optimal_smoothed_D(GRID_X, beta)
    error = float(np.abs(gap).max())
    return {"error": error, "D_far": D_far}


def label_smoothing_quantities(
    measured: dict[float, dict[str, float]],
) -> dict[str, float]:
    """The numbers the lab asserts on, from :func:`smoothed_D_quantities` per beta."""
    one, two = measured[0.0], measured[0.1]
    return {
        "error_one_sided": one["error"],
        "error_two_sided": two["error"],
        "D_far_one_sided": one["D_far"],
        "D_far_two_sided_minus_beta": abs(two["D_far"] - 0.1),
    }


def _run_label_smoothing(seed: int, variant: str) -> dict[str, float]:
    measured = {}
    for beta in BETAS:
        if variant == "untrained_discriminator":
            D = train_smoothed_D(beta, seed, steps=0)
        elif variant == "beta_ignored":  # the two-sided run trained one-sided
            D = train_smoothed_D(0.0, seed)
        else:
            D = train_smoothed_D(beta, seed)
        measured[beta] = smoothed_D_quantities(D, beta)
    return label_smoothing_quantities(measured)


# --- the live ring runs -------------------------------------------------------------

LIVE_METHODS = ("plain", "minibatch discrimination", "packing (m=2)")
SHORT = {"plain": "plain", "minibatch discrimination": "mbd", "packing (m=2)": "pack2"}


def live_setting() -> bench.Setting:
    """The benchmark's ``cpu`` ring setting, with the profile's number of steps (the
    benchmark's own 1,500 in ``cpu``)."""
    return dataclasses.replace(
        bench.SETTINGS["cpu"]["ring"],
        steps=profiles.budget(smoke=400, cpu=1500, gpu=1500),
    )


def live_seeds() -> list[int]:
    """The lab's seeds: in ``cpu`` those of the committed benchmark."""
    return profiles.budget(smoke=[0], cpu=[0, 1], gpu=[0, 1, 2])


def _wrapper(variant: str):  # noqa: ANN202
    if variant == OK:
        return None
    if variant == "frozen_generator":
        return broken.frozen
    if variant == "collapsed_generator":  # every sample on one mode of the ring
        center = data.ring().centers[0].float()
        return lambda G: broken.Collapsed(center, z_dim=G.z_dim)
    return lambda G: broken.apply(G, variant)


def train_live(seed: int = 0, variant: str = OK) -> dict[str, dict[str, Any]]:
    """The three live rows (plain, minibatch discrimination, packing m = 2) for one
    seed: ``{method: benchmark row with "samples"}``."""
    setting = live_setting()
    return {
        method: bench.run_one(
            "ring", method, seed, setting, keep_samples=True,
            wrap_generator=_wrapper(variant),
        )
        for method in LIVE_METHODS
    }


def live_quantities(runs: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Per method: modes, high-quality fraction, spread and the median distance of the
    samples from the origin; the smallest, median and largest of those three radii
    (the bound is on their median: one run of three may wander, as a short GAN run
    does, without the set-up being wrong); and how many more modes minibatch
    discrimination captured than the plain GAN."""
    out: dict[str, float] = {}
    for method, row in runs.items():
        name = SHORT[method]
        out[f"modes_{name}"] = row["modes"]
        out[f"high_quality_{name}"] = row["high_quality"]
        out[f"spread_{name}"] = row["spread"]
        out[f"radius_{name}"] = row["samples"].norm(dim=1).median().item()
    radii = [out[f"radius_{SHORT[m]}"] for m in runs]
    out["radius_min"], out["radius_max"] = min(radii), max(radii)
    out["radius_median"] = statistics.median(radii)
    out["mbd_gain"] = out["modes_mbd"] - out["modes_plain"]
    return out


def _run_ring_live(seed: int, variant: str) -> dict[str, float]:
    return live_quantities(train_live(seed, variant))


def committed_within_sweep(
    quantities: tuple[str, ...] = ("modes", "high_quality"),
) -> list[dict[str, Any]]:
    """Each committed benchmark row of the three live methods on the ring, beside the
    range [lo, hi] that the ``cpu`` sweep of ``ch08.ring_live`` measured for the same
    quantity (healthy runs, every seed and CPU capability). A committed mode count
    outside its range means the CSV was written by other code (stale), or the sweep
    was; a high-quality fraction, continuous, is one more draw and may fall outside
    the range of 12 without anything being wrong (the lab shows it, asserts on modes).
    """
    from gan_lib.benchmarks.lab_checks import results

    sweep = [r for r in results.read("ch08") if r["check"] == RING_LIVE.key
             and r["variant"] == OK and r["profile"] == "cpu"]
    committed = [r for r in bench.committed_rows()
                 if r["dataset"] == "ring" and r["method"] in LIVE_METHODS]
    out = []
    for row in committed:
        for quantity in quantities:
            name = f"{quantity}_{SHORT[row['method']]}"
            values = [r["value"] for r in sweep if r["quantity"] == name]
            out.append({
                "method": row["method"], "seed": row["seed"], "quantity": quantity,
                "committed": float(row[quantity]),
                "lo": min(values) if values else float("nan"),
                "hi": max(values) if values else float("nan"),
                "runs": len(values),
            })
    return out


LS_NOTE = ("sweep: ../lab_checks, check ch08.label_smoothing; worst over 30 smoke runs "
           "(10 seeds x 3 CPU kernels) {}, over 12 cpu runs (4 x 3) {}; {}")
LABEL_SMOOTHING = register(Check(
    lab="ch08", name="label_smoothing", run=_run_label_smoothing,
    description="a D trained alone with targets (0.9, beta) against the optimum "
                "(alpha p + beta q)/(p + q), beta in {0, 0.1}",
    variants=("untrained_discriminator", "beta_ignored"),
    bounds=(
        Bound("error_one_sided", "<", smoke=0.05, cpu=0.05, note=LS_NOTE.format(
            0.025, 0.025, "floor 0.05 (2x); broken untrained >= 0.42")),
        Bound("error_two_sided", "<", smoke=0.05, cpu=0.05, note=LS_NOTE.format(
            0.032, 0.018, "floor 0.05; broken beta_ignored >= 0.095")),
        Bound("D_far_one_sided", "<", smoke=0.03, cpu=0.03, note=LS_NOTE.format(
            0.0016, 0.0015, "floor 0.03; broken untrained >= 0.36")),
        Bound("D_far_two_sided_minus_beta", "<", smoke=0.06, cpu=0.03,
              note=LS_NOTE.format(
                  0.039, 0.018, "floors 0.06 in smoke (the old 0.03 failed 2 of 10 "
                  "seeds: D(4.5) is the network's extrapolation and varies with the "
                  "seed, not the kernel) and 0.03 in cpu; broken beta_ignored >= 0.098")),
    ),
))

RL_NOTE = ("sweep: ../lab_checks, check ch08.ring_live; worst over 30 smoke runs (10 "
           "seeds x 3 CPU kernels) and over 12 cpu runs (4 x 3): {}; broken variants "
           "swept in smoke only")
RING_LIVE = register(Check(
    lab="ch08", name="ring_live", run=_run_ring_live,
    description="ring of 8, live: plain, minibatch discrimination, packing m = 2 "
                "(the benchmark's set-up)",
    variants=("frozen_generator", "sign_flipped", "collapsed_generator"),
    bounds=(
        Bound("radius_median", ">", smoke=0.5, cpu=0.5, note=RL_NOTE.format(
            "0.78 and 0.99 (single runs down to 0.58, hence the median of the "
            "three); floor 0.5; broken: frozen 0.09")),
        Bound("radius_median", "<", smoke=1.5, cpu=1.5, note=RL_NOTE.format(
            "1.09 and 1.03 (single runs up to 1.51); ceiling 1.5; broken: "
            "sign-flipped 580")),
        Bound("mbd_gain", ">=", smoke=3, cpu=4, note=RL_NOTE.format(
            "5 and 7 modes; floors 3 and 4 (the lab's); broken: 0 for frozen, "
            "sign-flipped and collapsed")),
    ),
))


def sweep_spreads() -> dict[str, tuple[float, float]]:
    """The smallest and largest spread (median pairwise distance of the samples) that
    the ``cpu`` sweep of ``ch08.ring_live`` measured for each live method."""
    from gan_lib.benchmarks.lab_checks import results

    sweep = [r for r in results.read("ch08") if r["check"] == RING_LIVE.key
             and r["variant"] == OK and r["profile"] == "cpu"]
    out = {}
    for method in LIVE_METHODS:
        name = f"spread_{SHORT[method]}"
        values = [r["value"] for r in sweep if r["quantity"] == name]
        out[method] = (min(values), max(values)) if values else (float("nan"),) * 2
    return out


def committed_quantities() -> dict[int, dict[str, float]]:
    """For each seed of the committed benchmark, the ``ch08.ring_live`` quantities its
    ring rows give (modes and high-quality fraction per live method, and
    ``mbd_gain``): the committed run is a ``cpu`` run of the same set-up, so it must
    pass the same ``cpu`` bounds as the live one."""
    out: dict[int, dict[str, float]] = {}
    for row in bench.committed_rows():
        if row["dataset"] == "ring" and row["method"] in LIVE_METHODS:
            values = out.setdefault(row["seed"], {})
            values[f"modes_{SHORT[row['method']]}"] = row["modes"]
            values[f"high_quality_{SHORT[row['method']]}"] = row["high_quality"]
    for values in out.values():
        values["mbd_gain"] = values["modes_mbd"] - values["modes_plain"]
    return out
