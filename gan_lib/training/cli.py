"""The command line: ``python -m gan_lib.train`` and ``python -m gan_lib.sample``.

Train a preset on a data set; the output folder holds everything the run makes::

    python -m gan_lib.train --preset dcgan --data digits --steps 2000 --out runs/digits
    #   runs/digits/checkpoint.pt   resumable; training.load_generator reads it
    #   runs/digits/samples_002000.png   a grid of the EMA generator every N steps
    #   runs/digits/metrics.jsonl  one JSON object per logged step: every loss term,
    #                              and FID (offline digits features) where it applies
    #   runs/digits/args.json      the flags, so that a re-run resumes the same run
    python -m gan_lib.sample --checkpoint runs/digits/checkpoint.pt --n 64 --out grid.png

Running the same command again resumes from the checkpoint (a larger ``--steps``
continues). Under ``torchrun --nproc_per_node=N -m gan_lib.train ...`` the same
command trains on N processes (:mod:`gan_lib.training.distributed`). A bad flag, an
unknown name or a mismatched checkpoint ends with one sentence, not a traceback
(``--traceback`` shows it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from gan_lib import checkpoint as ckpt
from gan_lib import models
from gan_lib.data import images
from gan_lib.data.downloaded import DataUnavailableError
from gan_lib.errors import UnknownNameError
from gan_lib.latent import truncated_normal
from gan_lib.training import distributed, objectives
from gan_lib.training.config import TrainConfig, preset, preset_names
from gan_lib.training.loop import NonFiniteError, Snapshot, train
from gan_lib.training.state import load_generator

FID_DATA = ("digits", "mnist")  # the offline digits CNN's features suit these
GRID = 64  # images in a sample grid
GRID_PIXELS = 512  # a grid of small images is enlarged (nearest) towards this side
RESUMABLE_FLAGS = ("steps", "device", "sample_every", "fid_samples", "traceback")


def train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gan_lib.train",
        description="Train a GAN preset on an image data set; re-run to resume.",
    )
    parser.add_argument("--preset", required=True,
                        help=f"one of {', '.join(preset_names())}")
    parser.add_argument("--data", required=True,
                        help=f"one of {', '.join(images.names())}")
    parser.add_argument("--out", required=True, type=Path,
                        help="output folder (checkpoint, sample grids, metrics)")
    parser.add_argument("--resolution", type=int, default=None,
                        help="image side (the data set's default when omitted)")
    parser.add_argument("--steps", type=int, default=2000, help="generator steps")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="global batch (the preset's when omitted)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the initial weights and the run")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, ...")
    parser.add_argument("--sample-every", type=int, default=500,
                        help="write a sample grid (and FID) every N steps")
    parser.add_argument("--fid-samples", type=int, default=1000,
                        help="generated images per FID (0: no FID)")
    parser.add_argument("--sync-batchnorm", action="store_true",
                        help="under torchrun: batch norm statistics over all ranks")
    parser.add_argument("--n", type=int, default=None,
                        help="how many training images (a generated set's size)")
    parser.add_argument("--traceback", action="store_true",
                        help="show the full traceback of an error")
    return parser


def train_main(argv: list[str] | None = None) -> int:
    """``python -m gan_lib.train``; returns the exit status."""
    args = train_parser().parse_args(argv)
    return _report_errors(lambda: _train(args), args.traceback)


def _train(args: argparse.Namespace) -> None:
    spec = preset(args.preset)  # unknown names fail before any work
    if args.data not in images.names():
        raise UnknownNameError("data set", args.data, images.names())
    for flag, least in (("steps", 1), ("sample_every", 1), ("fid_samples", 0)):
        if getattr(args, flag) < least:
            raise ValueError(f"--{flag.replace('_', '-')} must be >= {least}; got "
                             f"{getattr(args, flag)}")
    main_rank = os.environ.get("RANK", "0") == "0"
    out: Path = args.out
    _check_same_run(out, args, write=main_rank)

    _seed_everything(args.seed)  # before building: the initial weights follow it
    try:
        data = images.load(args.data, args.resolution, n=args.n, seed=args.seed)
    except DataUnavailableError as err:
        cause = str(err.__cause__ or err).strip().splitlines()[0]
        raise FileNotFoundError(
            f"the data set {args.data!r} could not be downloaded or read ({cause}); "
            "without network, train on --data digits, shapes or stacked_digits"
        ) from err
    shape = dict(channels=data.info.channels, resolution=data.info.resolution)
    training_data = data.images
    if spec.pop("conditional", False):  # a class-conditional game: (x, y) and K
        if data.labels is None:
            raise ValueError(f"the preset {args.preset!r} is class-conditional, but "
                             f"{args.data!r} has no labels")
        shape["num_classes"] = data.info.num_classes
        training_data = (data.images, data.labels)
    G = models.get(**spec["G"], **shape)
    D = models.get(**spec["D"], **shape)
    fields = {**spec["train"], "steps": args.steps, "seed": args.seed,
              "device": args.device, "checkpoint_path": str(out / "checkpoint.pt"),
              "checkpoint_every": args.sample_every, "hook_every": args.sample_every,
              "log_every": min(50, args.sample_every),
              "sync_batchnorm": args.sync_batchnorm}
    if args.batch_size is not None:
        fields["batch_size"] = args.batch_size
    config = TrainConfig(**fields)
    resume_step = _check_checkpoint(out / "checkpoint.pt", G, D)
    hook = None  # rank 0 alone samples, measures and writes
    if main_rank:
        fid = None
        if args.data in FID_DATA and args.fid_samples:
            fid = _fid(data, args.fid_samples)
        print(f"{args.preset} ({spec['about']}) with a global batch of "
              f"{config.batch_size}; {data!r}; FID: "
              f"{'digits-cnn features' if fid else 'none'}")
        hook = _Writer(out, fid, resume_step)
    game = objectives.build(spec["objective"]) if "objective" in spec else None
    train(G, D, training_data, config, hook=hook, objective=game)
    distributed.shutdown()  # under torchrun
    if main_rank:
        print(f"done: {out / 'checkpoint.pt'}, {out / 'metrics.jsonl'}")


class _Writer:
    """The hook of a command-line run: a sample grid, FID, and the metrics lines."""

    def __init__(self, out: Path, fid: Callable[[nn.Module], float] | None,
                 resume_step: int) -> None:
        self.out, self.fid = out, fid
        self.metrics = out / "metrics.jsonl"
        self.written = resume_step  # lines after a checkpoint are written again
        if self.metrics.exists():  # keep what the checkpoint also holds
            kept = [line for line in self.metrics.read_text().splitlines()
                    if json.loads(line)["step"] <= resume_step]
            self.metrics.write_text("".join(line + "\n" for line in kept))

    def __call__(self, snap: Snapshot) -> dict[str, float]:
        G = snap.G_ema
        z = torch.randn(GRID, G.z_dim, generator=torch.Generator().manual_seed(0))
        save_grid(generate(G, z), self.out / f"samples_{snap.step:06d}.png")
        measured = {"fid": self.fid(G)} if self.fid else {}
        history = snap.history or {}
        rows = []
        for i, step in enumerate(history.get("step", [])):
            if step > self.written:
                rows.append({k: v[i] for k, v in history.items() if k != "hook"})
        if rows and rows[-1]["step"] == snap.step:
            rows[-1].update(measured)
        elif measured:
            rows.append({"step": snap.step, **measured})
        with self.metrics.open("a") as f:
            f.writelines(json.dumps(row) + "\n" for row in rows)
        self.written = max([self.written] + [r["step"] for r in rows])
        return measured


def _fid(data: images.ImageData, n: int) -> Callable[[nn.Module], float]:
    """FID of ``n`` generated images against the training images, in the offline
    digits CNN's features."""
    from gan_lib import metrics

    extractor = metrics.digits_cnn(data.info.resolution)
    real = metrics.GaussianStatistics.from_features(extractor.features(data.images))

    def fid(G: nn.Module) -> float:
        gen = torch.Generator().manual_seed(1)
        z = torch.randn(n, G.z_dim, generator=gen)
        fake = torch.cat([generate(G, chunk).cpu() for chunk in z.split(250)])
        return metrics.fid_from_statistics(
            real, metrics.GaussianStatistics.from_features(extractor.features(fake)))

    return fid


def latents(G: nn.Module, n: int, truncation: float | None,
            generator: torch.Generator) -> Tensor:
    """``n`` latent codes for ``G``: N(0, I), or, for a generator truncated in Z
    (BigGAN's trick), each coordinate resampled until within ``truncation``."""
    if truncation is not None and not hasattr(G, "mapping"):
        if not hasattr(G, "shared"):
            raise ValueError(
                f"{type(G).__name__} has no truncation trick (the StyleGAN and BigGAN "
                "generators have one)"
            )
        return truncated_normal((n, G.z_dim), truncation, generator=generator)
    return torch.randn(n, G.z_dim, generator=generator)


def generate(G: nn.Module, z: Tensor, truncation: float | None = None) -> Tensor:
    """``G(z)`` on G's device; a class-conditional G gets the classes in turn; a
    style-based G truncates in W with ``psi = truncation``."""
    z = z.to(next(G.parameters()).device)
    if truncation is not None and hasattr(G, "mapping"):
        return G(z, psi=truncation)
    if isinstance(getattr(G, "num_classes", None), int):
        return G(z, torch.arange(len(z), device=z.device) % G.num_classes)
    return G(z)


def save_grid(x: Tensor, path: Path) -> None:
    """A PNG of images ``(N, C, H, W)`` in [-1, 1] as a grid, or of 2-D points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gan_lib.viz.images import image_grid

    if x.dim() == 4:
        grid = image_grid(x)
        scale = max(1, GRID_PIXELS // max(grid.shape[:2]))  # small images: enlarge
        grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
        if grid.shape[2] == 1:
            plt.imsave(path, grid[:, :, 0], cmap="gray", vmin=0, vmax=1)
        else:
            plt.imsave(path, grid)
        return
    if x.dim() == 2 and x.shape[1] == 2:
        fig, ax = plt.subplots(figsize=(4, 4))
        ax.scatter(*x.detach().cpu().T, s=4)
        ax.set_aspect("equal")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return
    raise ValueError(f"can draw images (N, C, H, W) or 2-D points (N, 2); the "
                     f"generator made {tuple(x.shape)}")


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _check_same_run(out: Path, args: argparse.Namespace, write: bool) -> None:
    """A re-run into ``out`` must be the same run (only the flags in
    :data:`RESUMABLE_FLAGS` may change): else it would resume someone else's."""
    path = out / "args.json"
    flags = {k: str(v) for k, v in vars(args).items() if k not in RESUMABLE_FLAGS}
    if path.exists():
        before = json.loads(path.read_text())
        changed = sorted(k for k in flags if before.get(k) != flags[k])
        if changed:
            what = ", ".join(f"--{k.replace('_', '-')} {before.get(k)} -> {flags[k]}"
                             for k in changed)
            raise ValueError(f"{out} holds another run ({what}); resume it with the "
                             "same flags or choose another --out")
    elif write:
        out.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")  # others may read it: appear whole
        partial.write_text(json.dumps(flags, indent=1, sort_keys=True) + "\n")
        partial.replace(path)


def _check_checkpoint(path: Path, G: nn.Module, D: nn.Module) -> int:
    """A checkpoint to resume must hold these networks (same specs); returns its step
    (0 without a checkpoint)."""
    if not path.exists():
        return 0
    state = ckpt.load(path)
    if not isinstance(state, dict) or "specs" not in state:
        raise ckpt.CheckpointError(f"{path} is not a checkpoint of gan_lib.training")
    saved = json.loads(state["specs"])
    for name, net in (("G", G), ("D", D)):
        if saved.get(name) != net.gan_lib_spec:
            raise ckpt.CheckpointError(
                f"{path} holds another model ({name} = {saved.get(name)}, these flags "
                f"build {net.gan_lib_spec}); choose another --out"
            )
    return int(state["step"])


# --- python -m gan_lib.sample -------------------------------------------------------


def sample_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gan_lib.sample",
        description="Draw samples of a trained generator into a PNG grid.",
    )
    parser.add_argument("--checkpoint", required=True, type=Path,
                        help="a checkpoint.pt written by training")
    parser.add_argument("--n", type=int, default=64, help="how many samples")
    parser.add_argument("--out", required=True, type=Path, help="the PNG to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latents")
    parser.add_argument("--no-ema", action="store_true",
                        help="the trained weights instead of their moving average")
    parser.add_argument("--truncation", type=float, default=None,
                        help="StyleGAN: psi in W (1: none); BigGAN: the threshold of "
                             "the truncated normal in Z")
    parser.add_argument("--traceback", action="store_true")
    return parser


def sample_main(argv: list[str] | None = None) -> int:
    """``python -m gan_lib.sample``; returns the exit status."""
    args = sample_parser().parse_args(argv)
    return _report_errors(lambda: _sample(args), args.traceback)


def _sample(args: argparse.Namespace) -> None:
    if args.n < 1:
        raise ValueError(f"--n must be >= 1; got {args.n}")
    if not args.checkpoint.exists():
        raise FileNotFoundError(f"no checkpoint at {args.checkpoint}")
    G = load_generator(args.checkpoint, ema=not args.no_ema)
    gen = torch.Generator().manual_seed(args.seed)
    with torch.no_grad():
        x = generate(G, latents(G, args.n, args.truncation, gen), args.truncation)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_grid(x, args.out)
    print(f"wrote {args.n} samples to {args.out}")


def _report_errors(action: Callable[[], Any], traceback: bool) -> int:
    """Run ``action``; an expected error becomes one line on stderr and status 2."""
    try:
        action()
    except (ValueError, TypeError, AttributeError, FileNotFoundError,
            NonFiniteError, ckpt.CheckpointError) as err:
        if traceback:
            raise
        message = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
        print(f"error: {message}", file=sys.stderr)
        return 2
    return 0
