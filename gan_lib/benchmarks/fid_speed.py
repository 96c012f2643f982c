"""Benchmark: :func:`frechet_distance` against the ``scipy.linalg.sqrtm`` reference.

Run ``python -m gan_lib.benchmarks.fid_speed`` (``--help`` for the options). It fits
Gaussians to two sets of 10,000 random 2048-d features shaped like Inception's pool3
(non-negative, correlated: ``relu(z W + b)`` of a 512-d Gaussian ``z``), then times

* gan_lib's :func:`~gan_lib.metrics.fid.frechet_distance` (Cholesky, one symmetric
  eigenvalue problem), and
* the reference: pytorch-fid's ``calculate_frechet_distance`` when it is installed,
  else :func:`sqrtm_frechet_distance` below, the same formula
  (``scipy.linalg.sqrtm`` of the non-symmetric product ``sigma1 @ sigma2``),

and prints the median of ``--repeats`` runs of each, the speed-up, the relative
difference of the two values, the machine's load average and thread settings. The
numbers depend on the machine: report them with the load average it prints.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
import scipy.linalg
import torch

from gan_lib.metrics.fid import GaussianStatistics, frechet_distance


def sqrtm_frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """The textbook reference: ``tr sqrtm(sigma1 @ sigma2)``, real part, float64."""
    root = scipy.linalg.sqrtm(sigma1 @ sigma2)  # complex Schur decomposition
    trace_root = float(np.trace(root).real)  # discard the imaginary round-off
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_root)


def reference_implementation() -> tuple[str, Callable[..., float]]:
    """pytorch-fid's function when importable, else :func:`sqrtm_frechet_distance`."""
    try:
        from pytorch_fid.fid_score import calculate_frechet_distance
    except ImportError:
        return (
            "scipy.linalg.sqrtm (gan_lib's reference formula)",
            sqrtm_frechet_distance,
        )
    return "pytorch-fid calculate_frechet_distance (scipy sqrtm)", (
        calculate_frechet_distance
    )


def random_feature_statistics(
    n: int, dim: int, shift: float, seed: int, latent: int = 512
) -> GaussianStatistics:
    """Statistics of ``n`` features ``relu(z W + b + shift)``, ``z ~ N(0, I)``.

    ``W`` (``latent x dim``) and ``b`` are the same for every ``seed`` (they are the
    "network"); ``seed`` draws the samples ``z`` and ``shift`` moves the data.
    """
    network = torch.Generator().manual_seed(12345)
    w = torch.randn(latent, dim, generator=network, dtype=torch.float64)
    b = 0.5 * torch.randn(dim, generator=network, dtype=torch.float64)
    generator = torch.Generator().manual_seed(seed)
    stats = GaussianStatistics()
    for start in range(0, n, 2000):
        z = torch.randn(min(2000, n - start), latent, generator=generator)
        features = torch.relu(z.double() @ w / latent**0.5 + b + shift)  # (B, dim)
        stats.update(features)
    return stats


def median_time(function: Callable[[], float], repeats: int) -> tuple[float, float]:
    """``(median seconds, value)`` over ``repeats`` calls."""
    times, value = [], float("nan")
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def thread_settings() -> str:
    """torch's thread count and, when threadpoolctl is there, NumPy's BLAS threads."""
    text = f"torch threads {torch.get_num_threads()}"
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return text
    for pool in threadpool_info():
        text += f", {pool['internal_api']} threads {pool['num_threads']}"
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: torch's own, like NumPy's BLAS uses its own)",
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    real = random_feature_statistics(args.samples, args.dim, shift=0.0, seed=0)
    fake = random_feature_statistics(args.samples, args.dim, shift=0.1, seed=1)
    mu1, sigma1, mu2, sigma2 = real.mean, real.covariance, fake.mean, fake.covariance
    eigenvalues = np.linalg.eigvalsh(sigma1)
    reference_name, reference = reference_implementation()

    def ours() -> float:
        return frechet_distance(mu1, sigma1, mu2, sigma2)

    def theirs() -> float:
        return float(reference(mu1, sigma1, mu2, sigma2))

    ours_time, ours_value = median_time(ours, args.repeats)
    theirs_time, theirs_value = median_time(theirs, args.repeats)
    relative = abs(ours_value - theirs_value) / abs(theirs_value)
    if hasattr(os, "getloadavg"):  # POSIX
        load = "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    else:
        load = "load average unknown"
    print(
        f"statistics: {args.samples} samples x {args.dim} dims per set, "
        f"cond(sigma1) = {eigenvalues[-1] / eigenvalues[0]:.3g}"
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, {load}; {thread_settings()}"
    )
    print(f"gan_lib frechet_distance : {ours_time:8.3f} s  FID = {ours_value:.10f}")
    print(f"{reference_name}: {theirs_time:8.3f} s  FID = {theirs_value:.10f}")
    print(
        f"median of {args.repeats} runs each; speed-up {theirs_time / ours_time:.1f}x; "
        f"relative difference {relative:.2e}"
    )


if __name__ == "__main__":
    main()
