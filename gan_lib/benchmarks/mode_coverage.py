r"""The mode-coverage benchmark of Chapter 8: the plain GAN against each remedy.

Three targets with known modes, after the protocols of VEEGAN (Srivastava et al.,
2017) and PacGAN (Lin et al., 2018), with far shorter runs, sized for a CPU:

* ``ring``: 8 Gaussians on the unit circle, std 0.01 (:func:`gan_lib.data.ring`);
* ``grid``: 25 Gaussians on {-4, -2, 0, 2, 4}^2, std 0.05 (:func:`gan_lib.data.grid`);
  for both, :func:`gan_lib.metrics.mode_coverage`: modes captured, the fraction of
  high-quality samples (within 3 std of a mode) and the reverse KL of their mode
  histogram to the uniform one;
* ``stacked_digits``: three bundled digits in the three channels of a 16 x 16 image,
  1,000 modes (the stacked-MNIST protocol transposed to scikit-learn's digits); the
  digits classifier labels each channel and :func:`gan_lib.metrics.class_mode_coverage`
  counts the modes hit and the reverse KL of the label histogram to uniform.

Every run uses the same generator and the same discriminator architecture
(``mlp_discriminator``, whose arguments switch on minibatch discrimination,
minibatch stddev and packing), the non-saturating loss, Adam (0.5, 0.999), and changes
exactly one thing: the remedy (:data:`REMEDIES`). Run it as::

    OMP_NUM_THREADS=1 python -m gan_lib.benchmarks.mode_coverage --profile cpu

It writes one CSV row per run (dataset, remedy, seed), by default to the committed file
:data:`COMMITTED_CSV` (``gan_lib/benchmarks/results/mode_coverage.csv``, package data,
so a lab finds it in Colab as well as in a clone; read it with
:func:`committed_rows`), and the book's page of tables (:data:`COMMITTED_PAGE`,
``book/08_stabilization/benchmark.md``, written only when the repository is there, or
beside ``--out``). Each row also records ``spread``, the median pairwise distance of
the scored samples: "0 modes" alone does not tell a collapsed generator (spread near
0) from one that has not converged (spread of the order of the data's).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from gan_lib import models, profiles, training
from gan_lib.benchmarks.results import (
    FIELDS,
    markdown_table,
    median_pairwise_distance,
    read_csv,
    results_page,
    summarize,
    write_csv,
)
from gan_lib.benchmarks.targets import (
    DATASETS,
    Target,
    stacked_digit_labels,
    target,
)
from gan_lib.errors import UnknownNameError, check_positive_int
from gan_lib.stabilization.instance_noise import InstanceNoise

__all__ = [  # the names the book and the tests use, some defined beside this file
    "COMMITTED_CSV",
    "COMMITTED_PAGE",
    "DATASETS",
    "FIELDS",
    "REAL_DATA",
    "REMEDIES",
    "SETTINGS",
    "Remedy",
    "Setting",
    "Target",
    "build_networks",
    "committed_rows",
    "generate",
    "main",
    "markdown_table",
    "median_pairwise_distance",
    "read_csv",
    "reference_row",
    "run_benchmark",
    "run_one",
    "stacked_digit_labels",
    "summarize",
    "target",
    "write_csv",
]

REAL_DATA = "real data (reference)"
COMMITTED_CSV = Path(__file__).resolve().parent / "results" / "mode_coverage.csv"
# the book's page of tables: written beside the repository's book when there is one
COMMITTED_PAGE = (
    Path(__file__).resolve().parents[2] / "book" / "08_stabilization" / "benchmark.md"
)


# the command that wrote the committed CSV
COMMAND = (
    "OMP_NUM_THREADS=1 python -m gan_lib.benchmarks.mode_coverage --profile cpu "
    "--seeds 4 --datasets ring,grid,stacked_digits"
)


def committed_rows() -> list[dict[str, Any]]:
    """The rows of the committed ``cpu`` run (:data:`COMMITTED_CSV`), shipped inside
    ``gan_lib``."""
    return read_csv(COMMITTED_CSV)


# --- the remedies ----------------------------------------------------------------


@dataclass(frozen=True)
class Remedy:
    """One row of the benchmark: what changes with respect to the plain GAN."""

    description: str
    discriminator: dict[str, Any] = field(default_factory=dict)  # D's extra arguments
    config: dict[str, Any] = field(default_factory=dict)  # TrainConfig overrides
    instance_noise: bool = False  # wrap D in InstanceNoise(sigma of the setting)
    r1: bool = False  # r1_gamma of the setting
    ema: bool = False  # evaluate the EMA generator


REMEDIES: dict[str, Remedy] = {
    "plain": Remedy("non-saturating GAN, no remedy"),
    "minibatch discrimination": Remedy(
        "Salimans et al. (2016): 8 kernels of dimension 4 before the last layer",
        discriminator={
            "minibatch_discrimination": True,
            "num_kernels": 8,
            "kernel_dim": 4,
        },
    ),
    "minibatch stddev": Remedy(
        "Karras et al. (2018): group of 4, before the last layer",
        discriminator={"minibatch_stddev": True, "stddev_group": 4},
    ),
    "feature matching": Remedy(
        "Salimans et al. (2016): G matches the mean of D's last hidden layer",
        config={"feature_matching": True},
    ),
    "unrolled (U=5)": Remedy(
        "Metz et al. (2017): G steps through 5 unrolled D steps",
        config={"unroll_steps": 5},
    ),
    "packing (m=2)": Remedy("Lin et al. (2018): D sees 2 samples", {"pack": 2}),
    "packing (m=4)": Remedy("Lin et al. (2018): D sees 4 samples", {"pack": 4}),
    "label smoothing": Remedy(
        "Salimans et al. (2016): one-sided, real target 0.9",
        config={"loss": "non_saturating_label_smoothing"},
    ),
    "instance noise": Remedy(
        "Sønderby et al. (2017): Gaussian noise on D's inputs, annealed to 0",
        instance_noise=True,
    ),
    "R1": Remedy("Mescheder et al. (2018): gradient penalty on real data", r1=True),
    "TTUR": Remedy(
        "Heusel et al. (2017): lr_D = 4 lr_G (2x and 1/2x the base lr)",
        config={"ttur": True},
    ),
    "EMA": Remedy(
        "Yazıcı et al. (2019): evaluate the EMA of G's weights (decay 0.999, with "
        "the warm-up min(0.999, (1 + t) / (10 + t)))",
        config={"ema_decay": 0.999, "ema_warmup": True},
        ema=True,
    ),
}


def _remedy(method: str) -> Remedy:
    if method not in REMEDIES:
        raise UnknownNameError("remedy", method, REMEDIES)
    return REMEDIES[method]


# --- the settings of each profile -------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """How long and how big one run is, for one data set in one profile."""

    steps: int  # generator steps
    batch_size: int  # a multiple of 4 (packing m = 4, stddev groups of 4)
    lr: float  # Adam's learning rate for both players (TTUR: 2 lr for D, lr / 2 for G)
    n_eval: int  # generated samples evaluated (2,500 in PacGAN's 2-D runs, 26,000 for
    # stacked MNIST)
    r1_gamma: float  # gamma of R1 (the penalty is weighted gamma / 2)
    noise_sigma: float  # initial std of instance noise, annealed linearly to 0


def _settings(toy_steps: int, digit_steps: int, n_eval_digits: int) -> dict:
    return {
        "ring": Setting(toy_steps, 128, 2e-4, 2500, r1_gamma=0.1, noise_sigma=0.1),
        "grid": Setting(toy_steps, 128, 2e-4, 2500, r1_gamma=0.1, noise_sigma=0.5),
        "stacked_digits": Setting(
            digit_steps, 64, 2e-4, n_eval_digits, r1_gamma=1.0, noise_sigma=0.2
        ),
    }


SETTINGS: dict[str, dict[str, Setting]] = {
    "smoke": _settings(toy_steps=40, digit_steps=20, n_eval_digits=500),
    "cpu": _settings(toy_steps=1500, digit_steps=600, n_eval_digits=5000),
    "gpu": _settings(toy_steps=10_000, digit_steps=10_000, n_eval_digits=26_000),
}
DEFAULT_SEEDS = {"smoke": 1, "cpu": 4, "gpu": 5}


# --- one run --------------------------------------------------------------------


def build_networks(dataset: str, method: str) -> tuple[nn.Module, nn.Module]:
    """The generator and the discriminator of a run, before any wrapper."""
    flags = _remedy(method).discriminator
    if dataset == "stacked_digits":
        G = models.get("dcgan_generator", z_dim=32, channels=3, resolution=16, width=32)
        D = models.get("mlp_discriminator", in_dim=768, hidden=256, n_layers=2, **flags)
    else:
        G = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=128, n_layers=3)
        D = models.get("mlp_discriminator", in_dim=2, hidden=128, n_layers=2, **flags)
    return G, D


def run_one(
    dataset: str,
    method: str,
    seed: int,
    setting: Setting,
    device: str = "cpu",
    keep_samples: bool = False,
    wrap_generator: Callable[[nn.Module], nn.Module] | None = None,
) -> dict[str, Any]:
    """Train one GAN with one remedy and score it; returns one CSV row (plus, with
    ``keep_samples``, the evaluated samples under ``"samples"``).

    ``wrap_generator`` replaces the generator after its initialization (the lab
    checks pass a broken one: frozen, sign-flipped, collapsed)."""
    remedy, tgt = _remedy(method), target(dataset)
    start = time.perf_counter()
    torch.manual_seed(seed)
    G, D = build_networks(dataset, method)
    if wrap_generator is not None:
        G = wrap_generator(G)
    overrides = dict(remedy.config)
    if overrides.pop("ttur", False):
        overrides.update(lr_d=2 * setting.lr, lr_g=setting.lr / 2)
    if remedy.r1:
        overrides["r1_gamma"] = setting.r1_gamma
    hook = None
    if remedy.instance_noise:
        D = InstanceNoise(D, sigma=setting.noise_sigma, anneal_steps=setting.steps)
        hook, overrides["hook_every"] = D.hook, 1  # the schedule follows the loop
    config = training.TrainConfig(
        **{
            "steps": setting.steps,
            "batch_size": setting.batch_size,
            "lr_g": setting.lr,
            "lr_d": setting.lr,
            "seed": seed,
            "precision": "fp32",
            "device": device,
            "log_every": 100,
            "progress": False,
            **overrides,
        }
    )
    result = training.train(G, D, tgt.data, config, hook=hook)
    G_eval = result.G_ema if remedy.ema else result.G
    samples = generate(G_eval, setting.n_eval, seed)
    scores = tgt.score(samples)
    row = {
        "dataset": dataset,
        "method": method,
        "seed": seed,
        "steps": setting.steps,
        "batch_size": setting.batch_size,
        "n_eval": setting.n_eval,
        "n_modes": tgt.n_modes,
        **scores,
        "spread": median_pairwise_distance(samples),
        "seconds": time.perf_counter() - start,
    }
    if keep_samples:
        row["samples"] = samples
    return row


@torch.no_grad()
def generate(G: nn.Module, n: int, seed: int, chunk: int = 1000) -> Tensor:
    """``n`` samples of ``G`` in eval mode, from latents seeded by ``seed``, on CPU."""
    G.eval()
    gen = torch.Generator().manual_seed(10_000 + seed)
    device = next(G.parameters()).device
    out = []
    for start in range(0, n, chunk):
        z = torch.randn(min(chunk, n - start), G.z_dim, generator=gen)
        out.append(G(z.to(device)).float().cpu())
    return torch.cat(out)


def reference_row(dataset: str, setting: Setting) -> dict[str, Any]:
    """The scores of ``n_eval`` real samples: the ceiling a perfect generator reaches."""
    tgt = target(dataset)
    start = time.perf_counter()
    x = tgt.sample_real(setting.n_eval, torch.Generator().manual_seed(12_345))
    return {
        "dataset": dataset,
        "method": REAL_DATA,
        "seed": 0,
        "steps": 0,
        "batch_size": 0,
        "n_eval": setting.n_eval,
        "n_modes": tgt.n_modes,
        **tgt.score(x),
        "spread": median_pairwise_distance(x),
        "seconds": time.perf_counter() - start,
    }


# --- the whole benchmark, its CSV and its table ------------------------------------


def run_benchmark(
    datasets: Sequence[str] = DATASETS,
    methods: Sequence[str] | None = None,
    seeds: int = 2,
    profile: str = "cpu",
    out: str | Path | None = None,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Every (data set, remedy, seed); the CSV at ``out`` is rewritten after each
    run."""
    if profile not in SETTINGS:
        raise UnknownNameError("profile", profile, SETTINGS)
    check_positive_int("seeds", seeds)
    methods = list(REMEDIES) if methods is None else list(methods)
    for method in methods:
        _remedy(method)
    for dataset in datasets:
        if dataset not in DATASETS:
            raise UnknownNameError("benchmark data set", dataset, DATASETS)
    device = "cuda" if profile == "gpu" and torch.cuda.is_available() else "cpu"
    rows: list[dict[str, Any]] = []
    for dataset in datasets:
        setting = SETTINGS[profile][dataset]
        rows.append(reference_row(dataset, setting))
        for method in methods:
            for seed in range(seeds):
                row = run_one(dataset, method, seed, setting, device)
                rows.append(row)
                log(_format_row(row))
                if out is not None:
                    write_csv(rows, out)
    if out is not None:
        write_csv(rows, out)
        command = (
            f"OMP_NUM_THREADS=1 python -m gan_lib.benchmarks.mode_coverage "
            f"--profile {profile} --seeds {seeds} --datasets {','.join(datasets)}"
        )
        if Path(out).resolve() != COMMITTED_CSV:
            command += f" --out {out}"
        if methods is not None:
            command += f" --methods '{','.join(methods)}'"
        write_page(rows, command, page_path(out))
    return rows


def page_path(out: str | Path) -> Path:
    """Where the page of tables goes: the book's page for the committed CSV (when the
    repository's book is there), else beside ``out`` with the suffix ``.md``."""
    if Path(out).resolve() == COMMITTED_CSV and COMMITTED_PAGE.parent.is_dir():
        return COMMITTED_PAGE
    return Path(out).with_suffix(".md")


def write_page(rows: Sequence[dict[str, Any]], command: str, path: str | Path) -> None:
    """The page of tables (:func:`results_page`) for ``rows``, at ``path``."""
    Path(path).write_text(results_page(rows, command) + "\n")


def _format_row(row: dict[str, Any]) -> str:
    hq = row["high_quality"]
    quality = (
        "" if isinstance(hq, float) and math.isnan(hq) else f" hq {100 * hq:5.1f}%"
    )
    return (
        f"{row['dataset']:15s} {row['method']:26s} seed {row['seed']}: modes "
        f"{row['modes']:4d}/{row['n_modes']}{quality} kl {row['kl']:.3f} "
        f"({row['seconds']:.1f} s)"
    )


# --- command line -----------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(
        prog="python -m gan_lib.benchmarks.mode_coverage",
        description="Mode coverage of the plain GAN and each stabilization remedy.",
    )
    parser.add_argument(
        "--profile",
        choices=sorted(SETTINGS),
        default=None,
        help="run sizes (default: $GAN_BOOK_PROFILE or cpu/gpu)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="seeds per remedy (default: 1 smoke, 4 cpu, 5 gpu)",
    )
    parser.add_argument(
        "--datasets",
        default=",".join(DATASETS),
        help=f"comma-separated subset of {', '.join(DATASETS)}",
    )
    parser.add_argument(
        "--methods",
        default=None,
        help="comma-separated remedies (default: all)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="CSV path (page of tables: same name, .md); default: the committed file "
        "gan_lib/benchmarks/results/mode_coverage.csv (and the book's page) for the "
        "cpu profile, none for the others",
    )
    parser.add_argument(
        "--page-only",
        action="store_true",
        help="rewrite the book's page from the committed CSV without training",
    )
    args = parser.parse_args(argv)
    if args.page_only:
        rows = committed_rows()
        write_page(rows, COMMAND, page_path(COMMITTED_CSV))
        return rows
    profile = args.profile or profiles.current()
    if args.out is None and profile == "cpu":
        args.out = COMMITTED_CSV
    seeds = args.seeds if args.seeds is not None else DEFAULT_SEEDS[profile]
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    methods = (
        None
        if args.methods is None
        else [m.strip() for m in args.methods.split(",") if m.strip()]
    )
    if profile != "gpu":
        torch.set_num_threads(1)  # the CPU profiles are timed on one core
    tic = time.perf_counter()
    rows = run_benchmark(datasets, methods, seeds, profile, args.out)
    print(markdown_table(rows))
    print(f"total {time.perf_counter() - tic:.0f} s ({profile} profile, {seeds} seeds)")
    return rows


if __name__ == "__main__":
    main()
