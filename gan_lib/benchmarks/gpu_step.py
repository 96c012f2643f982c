"""What a GPU step costs in each precision, and DDP with NCCL: the issue-10 GPU check.

Trains the ``dcgan`` preset (64 x 64 RGB, batch 128, random images in [-1, 1]) with
:func:`gan_lib.training.train` in fp32, in bf16 autocast + ``channels_last``, and in
bf16 + ``channels_last`` + ``torch.compile``; prints the steady-state steps per second
of each (the time of ``warmup + steps`` minus that of ``warmup`` steps, each from fresh
models), the ratio to fp32, and the peak memory. With ``--ddp`` it then trains the
command line under ``torchrun`` (one process: NCCL on one GPU) and checks it ends with
the weights of the same command run without ``torchrun``.

    python -m gan_lib.benchmarks.gpu_step                 # on a CUDA machine
    python -m gan_lib.benchmarks.gpu_step --device cpu --steps 3 --warmup 1  # a dry run
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from gan_lib import models, training

MODES = {
    "fp32": dict(precision="fp32", channels_last=False),
    "bf16 + channels_last": dict(precision="bf16", channels_last=True),
    "bf16 + channels_last + compile": dict(precision="bf16", channels_last=True,
                                           compile=True),
}


def seconds(mode: dict, steps: int, device: str, resolution: int, batch: int) -> float:
    """Wall time of ``steps`` training steps of the dcgan preset from fresh models."""
    spec = training.preset("dcgan")
    torch.manual_seed(0)
    G = models.get(**spec["G"], channels=3, resolution=resolution)
    D = models.get(**spec["D"], channels=3, resolution=resolution)
    if mode.get("compile"):
        G.forward, D.forward = torch.compile(G.forward), torch.compile(D.forward)
    x = torch.rand(8 * batch, 3, resolution, resolution) * 2 - 1
    config = training.TrainConfig(**{
        **spec["train"], "steps": steps, "batch_size": batch, "device": device,
        "progress": False, "log_every": max(steps, 1),
        "precision": mode["precision"], "channels_last": mode["channels_last"]})
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    tic = time.perf_counter()
    training.train(G, D, x, config)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - tic


def throughput(args: argparse.Namespace) -> None:
    cuda = args.device.startswith("cuda")
    base = None
    for name, mode in MODES.items():
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        warm = seconds(mode, args.warmup, args.device, args.resolution, args.batch)
        full = seconds(mode, args.warmup + args.steps, args.device, args.resolution,
                       args.batch)
        rate = args.steps / (full - warm) if full > warm else float("nan")
        base = base or rate
        peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan")
        print(f"{name:32s} {rate:8.2f} steps/s  x{rate / base:5.2f} of fp32  "
              f"peak {peak:6.2f} GiB", flush=True)


def ddp_check(args: argparse.Namespace) -> None:
    """The command line with and without torchrun (1 process, NCCL on CUDA)."""
    with tempfile.TemporaryDirectory() as tmp:
        flags = ["--preset", "dcgan", "--data", "digits", "--resolution", "32",
                 "--steps", "20", "--batch-size", "64", "--fid-samples", "0",
                 "--device", args.device]
        plain, ddp = Path(tmp) / "plain", Path(tmp) / "ddp"
        subprocess.run([sys.executable, "-m", "gan_lib.train", *flags, "--out",
                        str(plain)], check=True)
        subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                        "--nproc_per_node=1", "-m", "gan_lib.train", *flags, "--out",
                        str(ddp)], check=True)
        a = training.load_generator(plain / "checkpoint.pt")
        b = training.load_generator(ddp / "checkpoint.pt")
        gap = max((p - q).abs().max().item()
                  for p, q in zip(a.parameters(), b.parameters(), strict=True))
        print(f"torchrun (1 process) vs plain, 20 steps: max weight difference {gap:.3g}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m gan_lib.benchmarks.gpu_step")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--ddp", action="store_true", help="also the torchrun check")
    args = parser.parse_args()
    throughput(args)
    if args.ddp:
        ddp_check(args)


if __name__ == "__main__":
    main()
