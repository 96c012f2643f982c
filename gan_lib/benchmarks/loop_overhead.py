"""What the library's loop costs: :func:`gan_lib.training.train` against a bare PyTorch
DCGAN loop on the same models, data and batch.

The bare loop is Algorithm 1 of Goodfellow et al. (2014) as a tutorial writes it: one
discriminator step on binary cross-entropy with logits (real labelled 1, fake 0, the
fakes drawn without a graph), one generator step on fresh noise and the
non-saturating loss (fake labelled 1) with D's weights frozen, Adam with learning rate
2e-4 and betas (0.5, 0.999), batches drawn uniformly from an in-memory tensor. The
library runs the same game (``loss="non_saturating"``, whose softplus form equals that cross-entropy) with
its bookkeeping: the data stream, the history, the finiteness check every
``log_every`` steps. Both start from freshly built models of the same seed, and the
timed span includes building the optimizers.

Runs alternate (library, bare, bare, library, ...) so that a machine that speeds up or
slows down during the benchmark biases neither side; the result is the median of the
per-pair throughput ratios, library / bare (1.0: no overhead). Run it as::

    python -m gan_lib.benchmarks.loop_overhead                # CPU, DCGAN 32 x 32
    python -m gan_lib.benchmarks.loop_overhead --repeats 15 --steps 80
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib import models, training

Z_DIM = 100
LR, BETAS = 2e-4, (0.5, 0.999)


def build(seed: int, resolution: int, width: int) -> tuple[nn.Module, nn.Module]:
    """A DCGAN pair for 3-channel images, built after seeding with ``seed``."""
    torch.manual_seed(seed)
    G = models.get("dcgan_generator", z_dim=Z_DIM, channels=3, resolution=resolution,
                   width=width)
    D = models.get("dcgan_discriminator", channels=3, resolution=resolution, width=width)
    return G, D


def bare_loop(G: nn.Module, D: nn.Module, x: Tensor, steps: int,
              batch_size: int) -> float:
    """Seconds for ``steps`` iterations of Algorithm 1 written out by hand: a D step
    on a real batch and a batch of fakes drawn without a graph, then a G step on fresh
    noise with D's weights frozen (the steps the library's loop takes)."""
    tic = time.perf_counter()
    opt_G = torch.optim.Adam(G.parameters(), lr=LR, betas=BETAS)
    opt_D = torch.optim.Adam(D.parameters(), lr=LR, betas=BETAS)
    ones = torch.ones(batch_size)
    zeros = torch.zeros(batch_size)
    for _ in range(steps):
        G.requires_grad_(False)
        D.requires_grad_(True)
        real = x[torch.randint(len(x), (batch_size,))]
        with torch.no_grad():
            fake = G(torch.randn(batch_size, Z_DIM))
        loss_D = (F.binary_cross_entropy_with_logits(D(real).view(-1), ones)
                  + F.binary_cross_entropy_with_logits(D(fake).view(-1), zeros))
        opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        opt_D.step()
        G.requires_grad_(True)
        D.requires_grad_(False)
        fake = G(torch.randn(batch_size, Z_DIM))
        loss_G = F.binary_cross_entropy_with_logits(D(fake).view(-1), ones)
        opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        opt_G.step()
    return time.perf_counter() - tic


def library_loop(G: nn.Module, D: nn.Module, x: Tensor, steps: int,
                 batch_size: int) -> float:
    """Seconds for ``training.train`` to run the same game for ``steps`` iterations."""
    config = training.TrainConfig(
        steps=steps, batch_size=batch_size, loss="non_saturating", lr_g=LR, lr_d=LR,
        betas_g=BETAS, betas_d=BETAS, precision="fp32", device="cpu", progress=False,
        log_every=steps,
    )
    tic = time.perf_counter()
    training.train(G, D, x, config)
    return time.perf_counter() - tic


def measure(steps: int = 40, repeats: int = 9, batch_size: int = 64,
            resolution: int = 32, width: int = 32, n_data: int = 512,
            seed: int = 0) -> dict[str, object]:
    """Alternating timed runs of both loops after one untimed warm-up of each.

    Returns the per-pair throughputs (steps per second) and ratios, and ``median``:
    the median ratio library / bare.
    """
    if steps < 1 or repeats < 1:
        raise ValueError(f"steps and repeats must be >= 1; got {steps}, {repeats}")
    x = torch.rand(n_data, 3, resolution, resolution,
                   generator=torch.Generator().manual_seed(seed)) * 2 - 1
    loops = {"library": library_loop, "bare": bare_loop}
    for loop in loops.values():  # warm-up: allocator, kernels, lazy initialization
        loop(*build(seed, resolution, width), x, min(steps, 3), batch_size)
    pairs = []
    for r in range(repeats):
        order = ("library", "bare") if r % 2 == 0 else ("bare", "library")
        speed = {}
        for name in order:
            networks = build(seed, resolution, width)
            gc.collect()  # the previous run's garbage is not this run's cost
            seconds = loops[name](*networks, x, steps, batch_size)
            speed[name] = steps / seconds
        pairs.append(speed)
    ratios = [p["library"] / p["bare"] for p in pairs]
    return {"pairs": pairs, "ratios": ratios, "median": statistics.median(ratios)}


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="python -m gan_lib.benchmarks.loop_overhead",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40, help="iterations per run")
    parser.add_argument("--repeats", type=int, default=9, help="pairs of runs")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--resolution", type=int, default=32, choices=(16, 32, 64))
    parser.add_argument("--width", type=int, default=32)
    args = parser.parse_args(argv)
    result = measure(args.steps, args.repeats, args.batch_size, args.resolution,
                     args.width)
    print(f"DCGAN {args.resolution}x{args.resolution}, batch {args.batch_size}, "
          f"{args.steps} steps per run, {torch.get_num_threads()} threads")
    for i, (pair, ratio) in enumerate(zip(result["pairs"], result["ratios"])):
        print(f"pair {i}: library {pair['library']:6.2f} steps/s, bare "
              f"{pair['bare']:6.2f} steps/s, ratio {ratio:.3f}")
    print(f"median throughput ratio, library / bare: {result['median']:.3f}")
    return result


if __name__ == "__main__":
    main()
