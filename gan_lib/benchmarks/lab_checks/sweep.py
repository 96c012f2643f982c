"""Run the labs' checks over seeds x CPU capabilities x profiles; commit the CSVs.

::

    python -m gan_lib.benchmarks.lab_checks                      # every lab, defaults
    python -m gan_lib.benchmarks.lab_checks --labs ch01 --profiles smoke --jobs 2

Each (check, variant, profile, capability) runs in its own process, because torch
reads ``ATEN_CPU_CAPABILITY`` once, at import: ``default`` (no vector kernels), ``avx2``
and ``avx512`` (where the CPU has it) stand in for the CPUs of other readers. Each
process runs on one thread (``OMP_NUM_THREADS=1``) and prints one line per seed; the
parent merges the lines into ``gan_lib/benchmarks/results/lab_checks_<lab>.csv`` after
every process, so an interrupted sweep keeps what it finished.

Defaults follow the book's rule: at least 10 seeds in ``smoke`` and 4 in ``cpu`` for
the healthy set-up, under every capability; broken variants on fewer seeds.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gan_lib.benchmarks.lab_checks import results
from gan_lib.benchmarks.lab_checks.registry import OK, get, labs, names

DEFAULT_SEEDS = {"smoke": 10, "cpu": 4, "gpu": 3}
DEFAULT_BROKEN_SEEDS = 2
PREFIX = "LAB_CHECK "


def cpu_capabilities() -> list[str]:
    """The ``ATEN_CPU_CAPABILITY`` values this CPU can run."""
    flags = ""
    if Path("/proc/cpuinfo").exists():
        flags = Path("/proc/cpuinfo").read_text()
    found = ["default"]
    if " avx2" in flags:
        found.append("avx2")
    if " avx512f" in flags and " avx512bw" in flags:
        found.append("avx512")
    return found


def run_worker(key: str, variant: str, seeds: Sequence[int]) -> None:
    """In a child process: run one check's variant for each seed, print the rows."""
    import torch

    torch.set_num_threads(1)
    check = get(key)
    capability = torch.backends.cpu.get_cpu_capability()
    from gan_lib import profiles

    for seed in seeds:
        tic = time.perf_counter()
        values = check.run(seed, variant)
        seconds = time.perf_counter() - tic
        rows = [{
            "lab": check.lab, "check": key, "variant": variant,
            "profile": profiles.current(), "capability": capability, "seed": seed,
            "quantity": quantity, "value": float(value), "seconds": round(seconds, 2),
            "torch": torch.__version__,
        } for quantity, value in values.items()]
        print(PREFIX + json.dumps(rows), flush=True)


def _spawn(key: str, variant: str, profile: str, capability: str,
           seeds: Sequence[int]) -> list[dict]:
    env = dict(os.environ, ATEN_CPU_CAPABILITY=capability, GAN_BOOK_PROFILE=profile,
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "gan_lib.benchmarks.lab_checks.sweep", "--worker",
           "--check", key, "--variant", variant, "--seeds",
           ",".join(map(str, seeds))]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    rows = [r for line in proc.stdout.splitlines() if line.startswith(PREFIX)
            for r in json.loads(line[len(PREFIX):])]
    if proc.returncode != 0:
        raise RuntimeError(f"{key} [{variant}, {profile}, {capability}] failed:\n"
                           f"{proc.stderr[-3000:]}")
    return rows


def sweep(lab_names: Sequence[str], profiles_: Sequence[str],
          capabilities: Sequence[str], seeds: dict[str, int], broken_seeds: int,
          jobs: int, checks: Sequence[str] | None = None,
          variants: Sequence[str] | None = None) -> None:
    """Run the sweep and merge its rows into each lab's CSV as processes finish."""
    tasks = []
    for lab in lab_names:
        for key in names(lab):
            if checks and key not in checks:
                continue
            check = get(key)
            for profile in profiles_:
                for capability in capabilities:
                    for variant in (OK, *check.variants):
                        if variants and variant not in variants:
                            continue
                        n = seeds[profile] if variant == OK else broken_seeds
                        tasks.append((key, variant, profile, capability,
                                      list(range(n))))
    lock = threading.Lock()
    start = time.perf_counter()

    def one(task: tuple) -> None:
        key, variant, profile, capability, task_seeds = task
        rows = _spawn(key, variant, profile, capability, task_seeds)
        lab = get(key).lab
        path = results.csv_path(lab)
        # one writer at a time, across threads and across sweeps run side by side
        with lock, open(path.with_suffix(".lock"), "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            results.write(results.merge(results.read(lab), rows), path)
            minutes = (time.perf_counter() - start) / 60
            print(f"[{minutes:6.1f} min] {key:28s} {variant:18s} {profile:5s} "
                  f"{capability:7s} {len(task_seeds)} seeds -> {path.name}", flush=True)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(one, task) for task in tasks]:
            future.result()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labs", default="", help="comma-separated, e.g. ch01,ch04")
    parser.add_argument("--checks", default="", help="comma-separated check keys")
    parser.add_argument("--profiles", default="smoke,cpu")
    parser.add_argument("--capabilities", default="",
                        help="default,avx2,avx512 (default: all this CPU has)")
    parser.add_argument("--seeds", default="",
                        help="per profile, e.g. smoke=10,cpu=4 (the defaults)")
    parser.add_argument("--variants", default="",
                        help="comma-separated, e.g. ok,frozen_generator (default: all)")
    parser.add_argument("--broken-seeds", type=int, default=DEFAULT_BROKEN_SEEDS)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--check", help=argparse.SUPPRESS)
    parser.add_argument("--variant", default=OK, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.check, args.variant, [int(s) for s in args.seeds.split(",")])
        return
    seeds = dict(DEFAULT_SEEDS)
    for item in filter(None, args.seeds.split(",")):
        profile, n = item.split("=")
        seeds[profile] = int(n)
    lab_names = [x for x in args.labs.split(",") if x] or labs()
    capabilities = [x for x in args.capabilities.split(",") if x] or cpu_capabilities()
    checks = [x for x in args.checks.split(",") if x] or None
    variants = [x for x in args.variants.split(",") if x] or None
    sweep(lab_names, args.profiles.split(","), capabilities, seeds, args.broken_seeds,
          args.jobs, checks, variants)


if __name__ == "__main__":
    main()
