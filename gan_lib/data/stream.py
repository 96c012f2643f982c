"""Minibatches of real samples for the training loop, resumable exactly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

Batch = Tensor | tuple[Tensor, Tensor]  # x, or (x, y) for a conditional run
Source = Tensor | tuple[Tensor, Tensor] | Callable[[int], Batch]


class DataStream:
    """Minibatches of real samples, resumable exactly.

    ``source`` is one of

    * a tensor ``(N, ...)`` of training samples, reshuffled every epoch with torch's
      global RNG;
    * a pair ``(x, y)`` of a tensor ``(N, ...)`` and its labels ``(N,)`` int64, shuffled
      together: batches are then pairs ``(x_batch, y_batch)``;
    * a callable ``sample(batch_size)`` drawing fresh samples (the toy distributions)
      from torch's global RNG, returning ``x`` or ``(x, y)``.
    """

    def __init__(self, source: Source, batch_size: int):
        if isinstance(source, tuple):
            _check_pair(source)
        if isinstance(source, (Tensor, tuple)):
            n = _length(source)
            shape = tuple(
                source[0].shape if isinstance(source, tuple) else source.shape
            )
            if len(shape) < 2 or n < batch_size:
                raise ValueError(
                    "a data tensor must be (N, ...) with N >= "
                    f"batch_size={batch_size}; got shape {shape}"
                )
        elif not callable(source):
            raise TypeError(
                "data must be a tensor, an (x, y) pair of tensors or a callable; "
                f"got {type(source).__name__}"
            )
        self.source, self.batch_size = source, batch_size
        self.order: Tensor | None = None
        self.position = 0

    def next(self) -> Batch:
        if not isinstance(self.source, (Tensor, tuple)):
            return self.source(self.batch_size)
        n = _length(self.source)
        if self.order is None or self.position + self.batch_size > n:
            self.order, self.position = torch.randperm(n), 0  # a new epoch
        idx = self.order[self.position : self.position + self.batch_size]
        self.position += self.batch_size
        if isinstance(self.source, tuple):
            return self.source[0][idx], self.source[1][idx]
        return self.source[idx]

    def state_dict(self) -> dict[str, Any]:
        return {"order": self.order, "position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.order, self.position = state["order"], state["position"]


def peek(source: Source) -> Batch:
    """One sample of ``source``, with its label when it has them: ``(1, ...)`` or a
    pair. A callable source is called once, so the caller decides when its random
    draw happens (the loop peeks before seeding)."""
    if isinstance(source, Tensor):
        return source[:1]
    if isinstance(source, tuple):
        return source[0][:1], source[1][:1]
    return source(1)


def _length(source: Tensor | tuple[Tensor, Tensor]) -> int:
    return (source[0] if isinstance(source, tuple) else source).shape[0]


def _check_pair(pair: tuple) -> None:
    if len(pair) != 2 or not all(isinstance(t, Tensor) for t in pair):
        raise TypeError("conditional data must be a pair (x, y) of tensors")
    x, y = pair
    if y.dtype != torch.int64 or y.dim() != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(
            f"labels must be int64 of shape (N,) = ({x.shape[0]},); "
            f"got {y.dtype} {tuple(y.shape)}"
        )
