"""Training on several processes with PyTorch's own engine: ``torchrun`` starts one
process per GPU (or CPU worker), this module joins them.

Under ``torchrun`` (the ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` environment) the loop

* initializes the process group: NCCL on CUDA, gloo on CPU;
* wraps G and D in :class:`~torch.nn.parallel.DistributedDataParallel`, which averages
  the gradients of every rank's shard in the backward pass (optionally converting
  batch norm to :class:`~torch.nn.SyncBatchNorm`);
* shards each step's batch: every rank draws the *global* batch (data order, noise)
  from generators kept identical across ranks and keeps its rows
  (:func:`shard`), so R ranks with per-rank batch B / R take the same steps as one
  process with batch B, up to the order of float additions (batch norm without
  ``sync_batchnorm`` normalizes per rank, and WGAN-GP's interpolation weights are
  drawn per rank: those runs differ from one process by more than rounding);
* does the progress bar, hooks, sample grids and checkpoints on rank 0 only; averages
  the logged losses and the non-finite guard's verdict over the ranks;
* saves every rank's random generators in the checkpoint and gives each its own back
  on resume.

Launch, on one node with 8 GPUs, or on 2 nodes::

    torchrun --nproc_per_node=8 -m gan_lib.train --preset dcgan --data cifar10 ...
    torchrun --nnodes=2 --node_rank=0 --nproc_per_node=8 \\
        --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 -m gan_lib.train ...
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn

from gan_lib import checkpoint as ckpt


@dataclass(frozen=True)
class Ranks:
    """Where this process stands: its rank among ``world_size`` processes."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    distributed: bool = False  # launched by torchrun, process group initialized

    @property
    def is_main(self) -> bool:
        """Rank 0: the one that prints, calls hooks and writes files."""
        return self.rank == 0


def launched_by_torchrun() -> bool:
    """Whether the ``torchrun`` environment (``RANK``, ``WORLD_SIZE``) is set."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def setup(device: torch.device) -> tuple[Ranks, torch.device]:
    """Join the process group when launched by ``torchrun``; on CUDA each process takes
    the GPU ``cuda:LOCAL_RANK``. Returns the ranks and the device to train on."""
    if not launched_by_torchrun():
        return Ranks(), device
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Ranks(rank, world_size, local_rank, distributed=True), device


def wrap(module: nn.Module, ranks: Ranks, sync_batchnorm: bool = False) -> nn.Module:
    """``module`` in ``DistributedDataParallel`` (itself on one process); with
    ``sync_batchnorm`` its batch norms (converted in place) average their batch
    statistics over all ranks."""
    if not ranks.distributed:
        return module
    device = next(module.parameters()).device
    if sync_batchnorm:
        if device.type != "cuda":
            raise ValueError("sync_batchnorm needs CUDA devices (PyTorch's "
                             f"SyncBatchNorm); this run is on {device}")
        module = nn.SyncBatchNorm.convert_sync_batchnorm(module)
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids)


def shard(ranks: Ranks, batch_size: int) -> slice:
    """This rank's rows of a global batch of ``batch_size``."""
    if batch_size % ranks.world_size:
        raise ValueError(
            f"the global batch of {batch_size} does not split evenly over "
            f"{ranks.world_size} processes; choose a multiple of {ranks.world_size}"
        )
    per_rank = batch_size // ranks.world_size
    return slice(ranks.rank * per_rank, (ranks.rank + 1) * per_rank)


def mean(values: Tensor, ranks: Ranks) -> Tensor:
    """The average of ``values`` over the ranks (a NaN anywhere stays NaN)."""
    if not ranks.distributed:
        return values
    values = values.clone()
    dist.all_reduce(values)
    return values / ranks.world_size


def all_true(flag: bool, ranks: Ranks, device: torch.device) -> bool:
    """Whether ``flag`` holds on every rank."""
    if not ranks.distributed:
        return flag
    t = torch.tensor(int(flag), device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return bool(t.item())


def rng_states(ranks: Ranks) -> list[dict[str, Any]]:
    """Every rank's random generators, in rank order (a collective: all ranks call)."""
    state = ckpt.rng_state()
    if not ranks.distributed:
        return [state]
    states: list[Any] = [None] * ranks.world_size
    dist.all_gather_object(states, state)
    return states


def shutdown() -> None:
    """Leave the process group (at the end of a ``torchrun`` job)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def barrier(ranks: Ranks) -> None:
    """Wait for every rank (e.g. until rank 0 has written a checkpoint)."""
    if ranks.distributed:
        dist.barrier()
