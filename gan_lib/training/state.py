"""What a checkpoint holds (:class:`RunState`) and how a generator comes back out of one
(:func:`load_generator`).

A checkpoint is a dict of tensors, numbers and strings, written atomically and read
with ``weights_only=True`` (:mod:`gan_lib.checkpoint`): the networks' and optimizers'
states, the EMA generator, the grad scalers, the data order, every rank's random
generators, the step, the history, the run's config as JSON and the registry specs
that rebuild G and D without unpickling code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gan_lib import checkpoint as ckpt
from gan_lib.data.stream import DataStream
from gan_lib.training.config import TrainConfig


@dataclass
class RunState:
    """Everything a run changes as it trains, so everything a checkpoint must hold."""

    G: nn.Module
    D: nn.Module
    G_ema: nn.Module  # G itself when the run keeps no EMA
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    scaler_G: torch.amp.GradScaler  # only active for fp16
    scaler_D: torch.amp.GradScaler
    stream: DataStream
    config: TrainConfig
    objective: Any = None  # its state_dict() goes into the checkpoint
    step: int = 0
    # "step", "loss_D", "loss_G", one list per named loss term ("D/r1", "G/aux_class",
    # ...) and "hook" (the dicts a hook returned)
    history: dict[str, list] = field(
        default_factory=lambda: {"step": [], "loss_D": [], "loss_G": [], "hook": []}
    )

    def state_dict(self, rng: list[dict[str, Any]]) -> dict[str, Any]:
        """The checkpoint; ``rng``: every rank's :func:`gan_lib.checkpoint.rng_state`,
        in rank order."""
        specs = {"G": getattr(self.G, "gan_lib_spec", None)}
        specs["D"] = getattr(self.D, "gan_lib_spec", None)
        return {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict() if self.G_ema is not self.G else {},
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "scaler_G": self.scaler_G.state_dict(),
            "scaler_D": self.scaler_D.state_dict(),
            "data": self.stream.state_dict(),
            "objective": self.objective.state_dict() if self.objective else {},
            "rng": rng,
            "history": self.history,
            "step": self.step,
            "config": self.config.to_json(),
            "specs": json.dumps(specs),  # how to rebuild G and D (models.get)
        }

    def load_state_dict(self, state: dict[str, Any], rank: int = 0) -> None:
        """Restore a checkpoint; rank ``rank`` takes its own random generators."""
        if len(state["rng"]) <= rank:
            raise ckpt.CheckpointError(
                f"the checkpoint was written by a run on {len(state['rng'])} "
                f"process(es) and cannot resume rank {rank}: resume with the same "
                "number of processes to continue exactly"
            )
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        if self.G_ema is not self.G:
            self.G_ema.load_state_dict(state["G_ema"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.scaler_G.load_state_dict(state["scaler_G"])
        self.scaler_D.load_state_dict(state["scaler_D"])
        self.stream.load_state_dict(state["data"])
        ckpt.set_rng_state(state["rng"][rank])
        self.history, self.step = state["history"], state["step"]


def load_generator(path: str | Path, ema: bool = True) -> nn.Module:
    """Rebuild the generator saved in a checkpoint (it must come from ``models.get``).

    Returns the EMA weights when the run kept an EMA and ``ema`` is true.
    """
    from gan_lib import models

    state = ckpt.load(path)
    missing = [k for k in ("specs", "G", "G_ema") if not isinstance(state, dict)
               or k not in state]
    if missing:
        found = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ckpt.CheckpointError(
            f"{path} is not a checkpoint of gan_lib.training.train: it lacks "
            f"{missing} (found {found})")
    spec = json.loads(state["specs"])["G"]
    if spec is None:
        raise ValueError(
            f"{path} holds a generator not built by gan_lib.models.get, so its "
            "constructor arguments are unknown; build it yourself and load "
            "state['G'] into it"
        )
    G = models.get(spec["name"], **spec["kwargs"])
    weights = state["G_ema"] if ema and state["G_ema"] else state["G"]
    G.load_state_dict(weights)
    return G.eval()
