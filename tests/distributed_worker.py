"""One training run under ``torchrun``, for tests/test_training_distributed.py.

    torchrun --standalone --nproc_per_node=2 tests/distributed_worker.py OUT STEPS \
        [--kill-at STEP] [--r1-gamma GAMMA]

Trains the small ring GAN with a global batch of 32 (checkpoint every 4 steps in
OUT/run.pt), writes OUT/final_rank{R}.pt with the weights each rank ended with, and
prints how many checkpoint writes each rank made. ``--kill-at`` ends the whole job
abruptly (``os._exit``) from rank 0 once that step is done, as a crash would.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from gan_lib import checkpoint, models
from gan_lib.data import ring
from gan_lib.training import TrainConfig, train
from gan_lib.training import loop as training_loop

BATCH = 32


def build() -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)  # every rank builds the same initial weights
    G = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=16, n_layers=2)
    D = models.get("mlp_discriminator", in_dim=2, hidden=16, n_layers=2)
    return G, D


def data() -> torch.Tensor:
    return ring().sample(200, generator=torch.Generator().manual_seed(123))


def config(steps: int, out: Path | None, r1_gamma: float = 0.0) -> TrainConfig:
    return TrainConfig(
        steps=steps, batch_size=BATCH, device="cpu", progress=False, seed=0,
        ema_decay=0.9, log_every=2, hook_every=1, r1_gamma=r1_gamma,
        checkpoint_path=str(out / "run.pt") if out else None, checkpoint_every=4,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("steps", type=int)
    parser.add_argument("--kill-at", type=int, default=0)
    parser.add_argument("--r1-gamma", type=float, default=0.0)
    args = parser.parse_args()
    rank = int(os.environ["RANK"])
    saves = []
    save_atomic = checkpoint.save_atomic

    def counting_save(state, path):
        saves.append(path)
        return save_atomic(state, path)

    training_loop.ckpt.save_atomic = counting_save  # count this rank's writes

    def hook(snapshot) -> dict[str, float]:
        (args.out / f"hook_rank{rank}.txt").write_text(str(snapshot.step))
        if snapshot.step == args.kill_at:
            os._exit(3)  # the whole job dies mid-run, as on a crash
        return {"rank": float(rank)}

    G, D = build()
    result = train(G, D, data(), config(args.steps, args.out, args.r1_gamma),
                   hook=hook)
    weights = {f"{name}.{k}": v for name, net in
               (("G", result.G), ("D", result.D), ("G_ema", result.G_ema))
               for k, v in net.state_dict().items()}
    torch.save(weights, args.out / f"final_rank{rank}.pt")
    print(f"rank {rank} wrote {len(saves)} checkpoints", flush=True)


if __name__ == "__main__":
    main()
