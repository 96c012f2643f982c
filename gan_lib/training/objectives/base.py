"""The seam between the loop and a game: an :class:`Objective` says what one
discriminator step and one generator step compute, and returns the loss as **named
terms** (``{"adversarial": ..., "r1": ..., "aux_class_real": ...}``) whose sum is the
loss the optimizer descends. The loop records every term; it never needs to know what
G is fed or what D returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ContextManager

import torch
from torch import Tensor, nn

from gan_lib.data.stream import Batch, Source

Terms = dict[str, Tensor]  # name -> scalar; the step's loss is their sum
Reals = Callable[[], Batch]  # the next real batch (this rank's shard), on the device


def unwrap(module: nn.Module) -> nn.Module:
    """The network inside a ``DistributedDataParallel`` wrapper (or itself)."""
    return getattr(module, "module", module) if _is_ddp(module) else module


def _is_ddp(module: nn.Module) -> bool:
    return isinstance(module, nn.parallel.DistributedDataParallel)


@dataclass
class Context:
    """What the loop hands an objective once, before the first step.

    ``G`` and ``D`` may be ``DistributedDataParallel`` wrappers (call them to train,
    :func:`unwrap` them for attributes and for a frozen player's forward pass).
    Random draws of one step cover the *global* batch and each rank keeps its
    ``shard`` of it, so every rank's generators stay in step and a run on R ranks
    draws what a run on one process draws.
    """

    G: nn.Module
    D: nn.Module
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    data: Source  # the training data, for checks (labels in range, ...)
    first: Batch  # one real sample (from the data, before training): what a batch is
    device: torch.device
    batch_size: int  # the global batch
    shard: slice  # this rank's rows of a global batch
    autocast: Callable[[], ContextManager]  # mixed precision on CUDA, else a no-op
    d_steps: int = 1  # D steps per G step: G step = D step // d_steps
    distributed: bool = False


class Objective:
    """A GAN game. Subclasses implement :meth:`discriminator_loss` and
    :meth:`generator_loss`; the other hooks default to doing nothing.

    ``d_reg_interval``: how often (in D steps) :meth:`discriminator_regularizer`
    returns terms, or 1 when the penalty joins every D step's loss; the loop gives D's
    Adam optimizer the lazy correction for it (:func:`lazy_adam`). ``g_reg_interval``:
    the same for G and :meth:`generator_regularizer` (StyleGAN2's path length).
    """

    d_reg_interval: int = 1
    g_reg_interval: int = 1

    def bind(self, context: Context) -> None:
        """Check the networks and the data against the game; keep the context."""
        self.context = context

    def discriminator_loss(self, reals: Reals, d_step: int) -> Terms:
        raise NotImplementedError

    def discriminator_regularizer(self, d_step: int) -> Terms | None:
        """A lazy regularization step after D step ``d_step`` (on its batch), if due."""
        return None

    def after_discriminator_step(self) -> None:
        """Runs after each optimizer step of D (weight clipping)."""

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        raise NotImplementedError

    def generator_regularizer(self, g_step: int) -> Terms | None:
        """A lazy regularization step of G after G step ``g_step``, if due."""
        return None

    def state_dict(self) -> dict[str, Tensor]:
        """What the game itself changes as it trains (a running mean), for exact
        resume; checkpointed beside the networks."""
        return {}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        """Restore :meth:`state_dict` (called after :meth:`bind`)."""

    def global_draw(self, draw: Callable[[int], Tensor]) -> Tensor:
        """``draw(global batch)[shard]``: this rank's part of one global draw."""
        return draw(self.context.batch_size)[self.context.shard]
