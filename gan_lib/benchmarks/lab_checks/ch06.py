"""Chapter 6's trained set-up: a DCGAN on digits, scored by FID in digits-CNN features.

The lab calls :func:`train_dcgan` and :func:`dcgan_quantities`, so the sweep measures
exactly the run the lab asserts on. Budgets follow the active profile
(:func:`gan_lib.profiles.budget`).

The FID's feature extractor is itself a trained network (``metrics.digits_cnn``), and
its weights depend on the CPU's kernels as much as the GAN's do: a reader's lab trains
it on the reader's machine. So the sweep never reuses a cached extractor written under
another ``ATEN_CPU_CAPABILITY``: :func:`extractor_for_this_cpu` keeps one cache per
capability, in a temporary folder, and each sweep process trains (or finds) the one
its own capability produces.
"""

from __future__ import annotations

import functools
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from gan_lib import metrics, models, profiles, training
from gan_lib.benchmarks.lab_checks import broken
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register
from gan_lib.data import images

SWEEP = "sweep: ../lab_checks, check ch06.{}"
Z_DIM = 100
# smoke: 300 steps at the recipe's 2e-4 leave some seeds with the discriminator still
# ahead (FID ratios up to 0.8 in a first sweep); 5e-4 trains every seed of the sweep
SMOKE = {"steps": 300, "lr": 5e-4}
Hook = Callable[[training.Snapshot], "dict[str, float] | None"]


@functools.cache
def extractor_for_this_cpu(resolution: int) -> metrics.ModuleFeatureExtractor:
    """``metrics.digits_cnn(resolution)`` trained under this process's CPU capability.

    The cache lives in ``<tmp>/gan_lib_lab_checks/digits_cnn_<CAPABILITY>``, so a
    sweep process under ``default`` never reads weights trained under ``avx2``.
    """
    capability = torch.backends.cpu.get_cpu_capability()
    root = Path(tempfile.gettempdir()) / "gan_lib_lab_checks" / f"cnn_{capability}"
    return metrics.digits_cnn(resolution=resolution, root=root)


@torch.no_grad()
def generate(G: nn.Module, z: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """G(z) in eval mode (BatchNorm's running statistics), on the CPU."""
    was_training = G.training
    G.eval()
    out = torch.cat([G(z[i : i + batch]).float().cpu() for i in range(0, len(z), batch)])
    G.train(was_training)
    return out


@dataclass
class DCGANRun:
    """What :func:`train_dcgan` returns: the trained pair, the FID curve (step 0 is
    the untrained generator) and the evaluation codes."""

    result: training.TrainResult
    G: nn.Module
    config: training.TrainConfig
    fid_curve: list[tuple[int, float]]
    z_eval: torch.Tensor
    data: images.ImageData
    width: int
    extra: dict = field(default_factory=dict)


def train_dcgan(
    seed: int = 0,
    variant: str = OK,
    hook: Hook | None = None,
    extractor: metrics.ModuleFeatureExtractor | None = None,
) -> DCGANRun:
    """The lab's DCGAN: ``dcgan_generator``/``dcgan_discriminator`` at 32 pixels on
    the bundled digits (MNIST in ``gpu``), the DCGAN recipe (Adam 2e-4, beta_1 = 0.5,
    non-saturating loss; 5e-4 in ``smoke``, whose 300 steps are otherwise too few for
    some seeds), width 16 on a CPU. The FID to ``n_eval`` real digits is
    measured at step 0 and at ``n_hooks`` snapshots; ``hook`` may add its own
    numbers (and keep pictures).

    ``extractor``: the FID's feature network (default: ``metrics.digits_cnn(32)``
    from the usual cache, as a reader's lab uses it).
    """
    device = profiles.device()
    data = images.load(
        profiles.budget(smoke="digits", cpu="digits", gpu="mnist"), 32, fallback="digits"
    )
    x_train = data.images  # (N, 1, 32, 32) in [-1, 1]
    width = profiles.budget(smoke=16, cpu=16, gpu=64)
    steps = profiles.budget(smoke=SMOKE["steps"], cpu=1500, gpu=6000)
    batch_size = profiles.budget(smoke=32, cpu=64, gpu=128)
    lr = profiles.budget(smoke=SMOKE["lr"], cpu=2e-4, gpu=2e-4)
    n_eval = profiles.budget(smoke=500, cpu=1000, gpu=5000)
    n_hooks = profiles.budget(smoke=3, cpu=6, gpu=6)

    extractor = extractor or metrics.digits_cnn(resolution=32)
    eval_gen = torch.Generator().manual_seed(123)  # the same real set and codes always
    real_idx = torch.randperm(len(x_train), generator=eval_gen)[:n_eval]
    real_features = extractor.features(x_train[real_idx])
    z_eval = torch.randn(n_eval, Z_DIM, generator=eval_gen).to(device)

    def fid_of(G: nn.Module) -> float:
        return metrics.fid_from_features(real_features,
                                         extractor.features(generate(G, z_eval)))

    profiles.seed_everything(seed)
    G = models.get("dcgan_generator", z_dim=Z_DIM, channels=data.info.channels,
                   resolution=data.info.resolution, width=width).to(device)
    D = models.get("dcgan_discriminator", channels=data.info.channels,
                   resolution=data.info.resolution, width=width).to(device)
    G = broken.apply(G, variant)
    fid_untrained = fid_of(G)

    def record(snapshot: training.Snapshot) -> dict[str, float]:
        extra = (hook(snapshot) if hook else None) or {}
        return {"fid": fid_of(snapshot.G), **extra}

    config = training.TrainConfig(
        steps=steps, batch_size=batch_size, loss="non_saturating",
        lr_g=lr, lr_d=lr, betas_g=(0.5, 0.999), betas_d=(0.5, 0.999),
        hook_every=steps // n_hooks, log_every=10, seed=seed, progress=hook is not None,
    )
    if hook:
        hook(training.Snapshot(0, G, D, G))  # the untrained generator's pictures
    result = training.train(G, D, x_train, config, hook=record)
    curve = [(0, fid_untrained)] + [(h["step"], h["fid"]) for h in result.history["hook"]]
    return DCGANRun(result, G, config, curve, z_eval, data, width)


def dcgan_quantities(run: DCGANRun) -> dict[str, float]:
    """The lab's numbers: the untrained and the final FID and their ratio (the lab
    asserts ratio < 0.5), with the median of the last two snapshots as a diagnostic."""
    fids = [f for _, f in run.fid_curve]
    return {
        "fid_untrained": fids[0],
        "fid_trained": fids[-1],
        "fid_ratio": fids[-1] / fids[0],
        "fid_ratio_median_last2": statistics.median(fids[-2:]) / fids[0],
    }


def _run_dcgan(seed: int, variant: str) -> dict[str, float]:
    return dcgan_quantities(train_dcgan(seed, variant,
                                        extractor=extractor_for_this_cpu(32)))


DCGAN = register(Check(
    lab="ch06", name="dcgan", run=_run_dcgan,
    description="DCGAN on digits: FID (digits-CNN features) falls to a small fraction "
                "of the untrained generator's",
    variants=("frozen_generator", "sign_flipped"),
    bounds=(
        Bound("fid_ratio", "<", smoke=0.3, cpu=0.15, note=(
            SWEEP.format("dcgan") + "; smoke: worst 0.094 over 30 runs (10 seeds x 3 "
            "CPU capabilities), broken variants >= 0.878, floor 0.3 (3x the worst); "
            "cpu: worst 0.0444 over 12 runs (4 seeds x 3), floor 0.15 (3x the worst)")),
    ),
))
