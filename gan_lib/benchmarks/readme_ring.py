"""The README's first example (the ring of eight) over seeds and CPU kernel sets.

The sweep behind the numbers the README promises a newcomer::

    python -m gan_lib.benchmarks.readme_ring                     # every setting
    python -m gan_lib.benchmarks.readme_ring --settings original --seeds 2 --jobs 2

:func:`run` is the README's recipe (seed, build the two MLPs, train with checkpoints,
score 2,000 samples of the evaluated generator with
:func:`gan_lib.metrics.mode_coverage`) with the knobs of :data:`SETTINGS` exposed;
:func:`build` its models and config.
Each (setting, capability) runs in its own process, one thread, as in
:mod:`gan_lib.benchmarks.lab_checks.sweep`: torch reads ``ATEN_CPU_CAPABILITY`` once,
at import. Rows are merged into ``results/readme_ring.csv`` as processes finish, one
per setting x seed x capability. :data:`README_SETTING` names the setting the README
shows; ``tests/test_readme.py`` holds the README's stated floors to this file's worst
case of that setting.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from gan_lib import data, metrics, models, training
from gan_lib.benchmarks.lab_checks.results import RESULTS_DIR
from gan_lib.benchmarks.lab_checks.sweep import cpu_capabilities

CSV_PATH = RESULTS_DIR / "readme_ring.csv"
FIELDS = ("setting", "capability", "seed", "modes", "n_modes", "high_quality",
          "seconds", "torch")
PREFIX = "README_RING "
N_EVAL = 2000  # samples scored, as in the README

# The README's recipe before this sweep, and what was tried against it (TrainConfig
# fields and the MLPs' width; every setting keeps the non-saturating loss).
SETTINGS: dict[str, dict[str, Any]] = {
    "original": {},
    "ema_warmup": {"ema_warmup": True},
    "lr_5e-4_warmup": {"lr": 5e-4, "ema_warmup": True},
    "lr_1e-3_warmup": {"lr": 1e-3, "ema_warmup": True},
    "lr_1e-3_evaluate_G": {"lr": 1e-3, "evaluate": "G"},
    "lr_1e-3_warmup_betas_0_0.9": {"lr": 1e-3, "ema_warmup": True,
                                   "betas": (0.0, 0.9)},
    "lr_1e-3_betas_0_0.9": {"lr": 1e-3, "betas": (0.0, 0.9)},  # no warm-up
    "lr_2e-3_warmup": {"lr": 2e-3, "ema_warmup": True},
}
README_SETTING = "lr_1e-3_warmup_betas_0_0.9"  # the one README.md shows


def build(seed: int, checkpoint_path: str, *, steps: int = 2000, batch_size: int = 64,
          lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999),
          ema_decay: float = 0.999, ema_warmup: bool = False, hidden: int = 128,
          n_layers: int = 3) -> tuple[nn.Module, nn.Module, training.TrainConfig]:
    """The README's generator, discriminator and config for ``seed``.

    ``seed`` seeds the models' initialisation (``torch.manual_seed``) and the run
    (``TrainConfig.seed``); the README's example is ``seed = 0``. Both players use
    Adam with learning rate ``lr`` and ``betas``.
    """
    torch.manual_seed(seed)
    G = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=hidden,
                   n_layers=n_layers)
    D = models.get("mlp_discriminator", in_dim=2, hidden=hidden, n_layers=n_layers)
    config = training.TrainConfig(
        steps=steps, batch_size=batch_size, loss="non_saturating", lr_g=lr, lr_d=lr,
        betas_g=betas, betas_d=betas, ema_decay=ema_decay, ema_warmup=ema_warmup,
        seed=seed, progress=False, checkpoint_path=checkpoint_path,
        checkpoint_every=500)
    return G, D, config


def run(seed: int, *, evaluate: Literal["G_ema", "G"] = "G_ema",
        **settings: Any) -> dict[str, float]:
    """One run of the README's recipe (:func:`build` with ``settings``, train, score
    2,000 samples of ``result.G_ema`` or ``result.G``).

    Returns ``modes`` (of ``n_modes``), the ``high_quality`` fraction (samples within
    3 std of a mode) and ``seconds`` (build, train, score).
    """
    tic = time.perf_counter()
    ring = data.ring()
    with tempfile.TemporaryDirectory() as tmp:  # checkpoints, as the README writes
        G, D, config = build(seed, str(Path(tmp) / "ring.pt"), **settings)
        result = training.train(G, D, ring.sample, config)
    generator = result.G_ema if evaluate == "G_ema" else result.G
    with torch.no_grad():
        x = generator(torch.randn(N_EVAL, 2))
    coverage = metrics.mode_coverage(x, ring.centers, ring.std)
    return {"modes": coverage.modes, "n_modes": coverage.n_modes,
            "high_quality": coverage.high_quality,
            "seconds": time.perf_counter() - tic}


# --- the sweep --------------------------------------------------------------------


def run_worker(setting: str, seeds: Sequence[int]) -> None:
    """In a child process: run one setting for each seed, print one row per seed."""
    torch.set_num_threads(1)
    capability = torch.backends.cpu.get_cpu_capability()
    for seed in seeds:
        result = run(seed, **SETTINGS[setting])
        row = {"setting": setting, "capability": capability, "seed": seed, **result,
               "seconds": round(result["seconds"], 2), "torch": torch.__version__}
        print(PREFIX + json.dumps(row), flush=True)


def _spawn(setting: str, capability: str, seeds: Sequence[int]) -> list[dict]:
    env = dict(os.environ, ATEN_CPU_CAPABILITY=capability, OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "gan_lib.benchmarks.readme_ring", "--worker",
           "--settings", setting, "--seeds", ",".join(map(str, seeds))]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{setting} [{capability}] failed:\n{proc.stderr[-3000:]}")
    return [json.loads(line[len(PREFIX):]) for line in proc.stdout.splitlines()
            if line.startswith(PREFIX)]


def read(path: str | Path = CSV_PATH) -> list[dict[str, Any]]:
    """The committed rows (numbers parsed); [] if there is no file."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="") as f:
        rows: list[dict[str, Any]] = list(csv.DictReader(f))
    for row in rows:
        for key in ("seed", "modes", "n_modes"):
            row[key] = int(row[key])
        for key in ("high_quality", "seconds"):
            row[key] = float(row[key])
    return rows


def write(rows: Sequence[dict[str, Any]], path: str | Path = CSV_PATH) -> None:
    """Rows sorted by setting, capability, seed."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(sorted(rows, key=_run_key))
    tmp = Path(path).with_suffix(".tmp")
    tmp.write_text(buffer.getvalue())
    tmp.replace(path)  # whole: an interrupted sweep leaves the last complete file


def _run_key(row: dict[str, Any]) -> tuple[str, str, int]:
    return row["setting"], row["capability"], row["seed"]


def worst_case(rows: Sequence[dict[str, Any]], setting: str) -> dict[str, float]:
    """Over one setting's runs: their number, the fewest modes and the lowest
    high-quality fraction, both medians, and the median seconds of a run."""
    runs = [r for r in rows if r["setting"] == setting]
    if not runs:
        raise ValueError(f"no runs of {setting!r} in the sweep")
    modes = [r["modes"] for r in runs]
    quality = [r["high_quality"] for r in runs]
    return {"runs": len(runs), "modes_min": min(modes),
            "modes_median": statistics.median(modes), "high_quality_min": min(quality),
            "high_quality_median": statistics.median(quality),
            "seconds_median": statistics.median(r["seconds"] for r in runs)}


def sweep(settings: Sequence[str], capabilities: Sequence[str], seeds: Sequence[int],
          jobs: int) -> None:
    """Run every (setting, capability) in its own process, ``jobs`` at a time, and
    merge each one's rows into :data:`CSV_PATH` as it finishes."""
    lock = threading.Lock()
    start = time.perf_counter()

    def one(task: tuple[str, str]) -> None:
        setting, capability = task
        rows = _spawn(setting, capability, seeds)
        with lock:
            redone = {_run_key(r) for r in rows}
            write([r for r in read() if _run_key(r) not in redone] + rows)
            minutes = (time.perf_counter() - start) / 60
            print(f"[{minutes:5.1f} min] {setting:24s} {capability:8s} "
                  f"{len(seeds)} seeds -> {CSV_PATH.name}", flush=True)

    tasks = [(s, c) for s in settings for c in capabilities]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(one, task) for task in tasks]:
            future.result()
    print(markdown(read(), settings))


def markdown(rows: Sequence[dict[str, Any]], settings: Sequence[str]) -> str:
    """One line per setting: runs, modes and high-quality % as worst / median, and the
    median seconds of a run."""
    lines = ["| setting | runs | modes, worst / median | high quality %, worst / "
             "median | seconds (median) |", "|---|---|---|---|---|"]
    for setting in settings:
        w = worst_case(rows, setting)
        lines.append(
            f"| {setting} | {w['runs']} | {w['modes_min']} / {w['modes_median']:g} "
            f"| {100 * w['high_quality_min']:.1f} / "
            f"{100 * w['high_quality_median']:.1f} | {w['seconds_median']:.1f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--settings", default=",".join(SETTINGS),
                        help="comma-separated names of SETTINGS (default: all)")
    parser.add_argument("--capabilities", default="",
                        help="default,avx2,avx512 (default: all this CPU has)")
    parser.add_argument("--seeds", default="10",
                        help="a count (seeds 0..n-1), or with --worker a list")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = args.settings.split(",")
    for name in settings:
        if name not in SETTINGS:
            parser.error(f"unknown setting {name!r}; choose from {', '.join(SETTINGS)}")
    if args.worker:
        run_worker(settings[0], [int(s) for s in args.seeds.split(",")])
        return
    capabilities = [x for x in args.capabilities.split(",") if x] or cpu_capabilities()
    sweep(settings, capabilities, range(int(args.seeds)), args.jobs)


if __name__ == "__main__":
    main()
