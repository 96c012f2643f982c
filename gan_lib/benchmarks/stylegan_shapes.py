"""A small StyleGAN trained on shapes with known factors: Chapter 10's checkpoint.

The analyses of Chapter 10's lab (style mixing, W against Z, stochastic variation,
truncation) need a generator trained longer than a lab's budget allows. This script
trains one, seeded, on the CPU, and writes into ``gan_lib/benchmarks/results/``:

* ``stylegan_shapes.pt``: the EMA generator's ``state_dict`` (tensors only, loaded
  with ``weights_only=True``), about 0.7 MB;
* ``stylegan_shapes.json``: the command, the seed, the git commit, the wall time, the
  torch version, the generator's constructor arguments and the losses of the first
  :data:`RECORDED_STEPS` steps, which ``tests/test_stylegan_shapes_checkpoint.py``
  replays.

Regenerate with (about 9 minutes on one core of a 2-core laptop CPU)::

    OMP_NUM_THREADS=1 python -m gan_lib.benchmarks.stylegan_shapes

The set-up (every choice with its source):

* data: :func:`gan_lib.data.generated.shapes_with_factors` at 16 x 16, 10,000 images, with the
  region :data:`~gan_lib.data.generated.LARGE_SHAPES_ON_THE_LEFT` of factor space left empty
  (Karras et al., 2019, Fig. 6 made concrete);
* generator: :class:`~gan_lib.models.stylegan.StyleGANGenerator` (AdaIN, noise,
  constant input, an 8-layer mapping network as the paper), narrowed to ``z_dim =
  w_dim = 32`` and 64 feature maps at most, and with the mapping network's
  learning-rate multiplier raised from the paper's 0.01 to 0.1 for a run 150 times
  shorter than the paper's;
* discriminator: :class:`~gan_lib.models.progan.ProGANDiscriminator` fully grown
  (StyleGAN keeps ProGAN's discriminator, Sec. 2 of the paper), same widths;
* game: the non-saturating loss with R1 on the reals and style mixing with
  probability 0.9 (:class:`~gan_lib.training.objectives.StyleGAN2` with no path
  length term): StyleGAN's FFHQ recipe (configs B-F of its Table 1), with R1 applied
  lazily every 16 D steps (StyleGAN2's economy) and gamma scaled down for 16 px;
* optimizer: Adam with betas (0, 0.99) (stylegan ``train.py``: ``G_opt = D_opt =
  EasyDict(beta1=0.0, beta2=0.99, epsilon=1e-8)``), learning rate 2e-3 for both
  players; EMA of G with half-life 10k images (``G_smoothing_kimg = 10.0``), with the
  warm-up of :func:`gan_lib.training.ema_decay_at`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gan_lib import models, training
from gan_lib.data.generated import LARGE_SHAPES_ON_THE_LEFT, shapes_with_factors
from gan_lib.training.objectives import StyleGAN2

RESULTS = Path(__file__).resolve().parent / "results"
CHECKPOINT = RESULTS / "stylegan_shapes.pt"
METADATA = RESULTS / "stylegan_shapes.json"

SEED = 0
RESOLUTION = 16
N_TRAIN = 10_000
DATA_SEED = 2019
FORBIDDEN = LARGE_SHAPES_ON_THE_LEFT
STEPS = 5000
BATCH_SIZE = 32  # stylegan train.py: minibatch 32 at 16 px (minibatch_dict)
# Adam: stylegan train.py G_opt/D_opt beta1 = 0.0, beta2 = 0.99; the learning rate
# 2e-3 is stylegan2-ada-pytorch's cfg 'stylegan2' (lrate 0.002); StyleGAN's own
# schedule starts at 0.001 and rises to 0.0015-0.003 at high resolutions
LEARNING_RATE = 2e-3
BETAS = (0.0, 0.99)
# stylegan train.py: G_smoothing_kimg = 10.0 -> beta = 0.5 ** (batch / 10,000)
EMA_DECAY = 0.5 ** (BATCH_SIZE / 10_000)
# R1: StyleGAN uses gamma = 10 at 1024 px on FFHQ; R1's scale grows with the number
# of pixels, and stylegan2-ada-pytorch's heuristic 0.0002 R^2 / batch gives 0.0016 at
# 16 px; 0.1 here, lazily every 16 D steps (StyleGAN2's D_reg_interval)
R1_GAMMA = 0.1
R1_INTERVAL = 16
# The paper's mapping network learns 100x slower than the synthesis network
# (mapping_lrmul = 0.01) over 25M images; this run shows it 160k, about 150x fewer,
# in which weights that slow would move by a few per cent: 10x slower here
MAPPING_LR_MULTIPLIER = 0.1
MIXING_PROB = 0.9  # stylegan networks_stylegan.py: G_style(style_mixing_prob=0.9)
GENERATOR_KWARGS: dict[str, Any] = dict(
    z_dim=32, w_dim=32, channels=3, resolution=RESOLUTION, fmap_base=256,
    fmap_max=64, mapping_layers=8, mapping_lr_multiplier=MAPPING_LR_MULTIPLIER,
)
DISCRIMINATOR_KWARGS: dict[str, Any] = dict(
    channels=3, resolution=RESOLUTION, fmap_base=256, fmap_max=64,
)
RECORDED_STEPS = 8  # losses of the first steps, which the test replays


def training_data(n: int = N_TRAIN) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The training images ``(n, 3, 16, 16)`` in [-1, 1] and their factors, with
    :data:`FORBIDDEN` left empty."""
    return shapes_with_factors(n, RESOLUTION, DATA_SEED, forbidden=FORBIDDEN)


def build_networks(seed: int = SEED) -> tuple[nn.Module, nn.Module]:
    """A fresh ``(G, D)``, initialized from ``torch.manual_seed(seed)``."""
    torch.manual_seed(seed)
    G = models.get("stylegan_generator", **GENERATOR_KWARGS)
    D = models.get("progan_discriminator", **DISCRIMINATOR_KWARGS)
    return G, D


def train_config(steps: int = STEPS, seed: int = SEED,
                 progress: bool = True) -> training.TrainConfig:
    """The run's :class:`~gan_lib.training.TrainConfig` (losses logged every step)."""
    return training.TrainConfig(
        steps=steps, batch_size=BATCH_SIZE, lr_g=LEARNING_RATE, lr_d=LEARNING_RATE,
        betas_g=BETAS, betas_d=BETAS, ema_decay=EMA_DECAY, ema_warmup=True,
        seed=seed, log_every=1, progress=progress,
    )


def objective() -> StyleGAN2:
    """Non-saturating loss, lazy R1 on D, style mixing 0.9, no path length."""
    return StyleGAN2(r1_gamma=R1_GAMMA, r1_interval=R1_INTERVAL, pl_weight=0.0,
                     mixing_prob=MIXING_PROB)


def run(steps: int = STEPS, seed: int = SEED, images: torch.Tensor | None = None,
        hook: training.Hook | None = None, hook_every: int = 0,
        progress: bool = True,
        prepare: Callable[[nn.Module], None] | None = None) -> training.TrainResult:
    """Train the set-up for ``steps`` generator steps from seed ``seed`` on ``images``
    (default: :func:`training_data`); ``prepare(G)`` runs on the fresh generator
    before training (the lab checks' broken variants use it)."""
    if images is None:
        images = training_data()[0]
    G, D = build_networks(seed)
    if prepare is not None:
        prepare(G)
    config = dataclasses.replace(train_config(steps, seed, progress),
                                 hook_every=hook_every)
    return training.train(G, D, images, config, hook=hook, resume=False,
                          objective=objective())


def first_losses(history: dict[str, list], steps: int = RECORDED_STEPS
                 ) -> dict[str, list[float]]:
    """The logged loss terms of the first ``steps`` steps, as plain floats."""
    return {key: [float(v) for v in values[:steps]]
            for key, values in history.items() if key not in ("step", "hook")}


def load_generator(path: str | Path = CHECKPOINT) -> nn.Module:
    """The committed generator (EMA weights), in eval mode, loaded with
    ``weights_only=True``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"no checkpoint at {path}; regenerate it with "
            "python -m gan_lib.benchmarks.stylegan_shapes")
    state = torch.load(path, map_location="cpu", weights_only=True)
    G = models.get("stylegan_generator", **GENERATOR_KWARGS)
    G.load_state_dict(state)
    return G.eval().requires_grad_(False)


def metadata(path: str | Path = METADATA) -> dict[str, Any]:
    """The JSON written beside the checkpoint."""
    return json.loads(Path(path).read_text())


def _git_commit() -> str:
    """HEAD, with " + uncommitted changes" when the working tree differs from it."""
    try:
        here = Path(__file__).parent
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True,
                             text=True, cwd=here, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True,
                               text=True, cwd=here, check=True).stdout.strip()
        return out.stdout.strip() + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="folder for stylegan_shapes.pt and .json")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # the recorded losses are those of one thread
    start = time.time()
    result = run(args.steps)
    wall = time.time() - start
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(result.G_ema.state_dict(), args.out / CHECKPOINT.name)
    record = {
        "command": "python -m gan_lib.benchmarks.stylegan_shapes"
                   + "".join(f" {a}" for a in (argv if argv is not None
                                               else sys.argv[1:])),
        "seed": SEED,
        "steps": args.steps,
        "git_commit": _git_commit(),
        "wall_time_s": round(wall, 1),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "generator": GENERATOR_KWARGS,
        "first_losses": first_losses(result.history),
        "last_losses": {k: float(v[-1]) for k, v in result.history.items()
                        if k not in ("step", "hook")},
    }
    (args.out / METADATA.name).write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out / CHECKPOINT.name} and {METADATA.name} "
          f"({wall:.0f} s)")


if __name__ == "__main__":
    main()
