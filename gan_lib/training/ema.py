"""An exponential moving average of the generator's weights (Karras et al., 2018;
Yazıcı et al., 2019): the generator one evaluates, averaged over the end of training."""

from __future__ import annotations

import copy

import torch
from torch import nn


def ema_copy(G: nn.Module) -> nn.Module:
    """A frozen copy of ``G`` in eval mode: the average starts at the initial weights."""
    return copy.deepcopy(G).eval().requires_grad_(False)


@torch.no_grad()
def update_ema(G_ema: nn.Module, G: nn.Module, decay: float) -> None:
    r"""``theta_ema <- decay * theta_ema + (1 - decay) * theta``; buffers and the
    modules' extra state (a growing network's stage) are copied, not averaged."""
    for p_ema, p in zip(G_ema.parameters(), G.parameters(), strict=True):
        p_ema.lerp_(p, 1 - decay)
    for b_ema, b in zip(G_ema.buffers(), G.buffers(), strict=True):
        b_ema.copy_(b)
    for m_ema, m in zip(G_ema.modules(), G.modules(), strict=True):
        if type(m).get_extra_state is not nn.Module.get_extra_state:
            m_ema.set_extra_state(m.get_extra_state())


def ema_decay_at(decay: float, warmup: bool, updates: int) -> float:
    r"""The EMA decay for update number ``updates`` (0 for the first).

    ``decay`` (:math:`\beta`) itself, or with ``warmup`` the smaller
    :math:`\min(\beta, (1 + t) / (10 + t))` (the ``num_updates`` rule of TensorFlow's
    ``ExponentialMovingAverage``): early averages forget the random initial weights
    quickly, so a short run's EMA is not dominated by them. Without warm-up, after
    :math:`t` updates the initial weights still weigh :math:`\beta^t` (0.55 for
    :math:`\beta = 0.999` after 600 steps).
    """
    return min(decay, (1 + updates) / (10 + updates)) if warmup else decay
