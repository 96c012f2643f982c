"""Minibatches of real samples for the training loop, resumable exactly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

Batch = Tensor | tuple[Tensor, ...]  # x, or (x, y), (source, target), ...
Source = Tensor | tuple[Tensor, ...] | Callable[[int], Batch]


class DataStream:
    """Minibatches of real samples, resumable exactly.

    ``source`` is one of

    * a tensor ``(N, ...)`` of training samples, reshuffled every epoch with torch's
      global RNG;
    * a tuple of tensors with the same first dimension ``N``, shuffled together:
      a pair ``(x, y)`` of samples and labels ``(N,)`` int64 (a conditional run), a pair
      ``(source, target)`` of paired images; batches are then tuples too;
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
            return tuple(t[idx] for t in self.source)
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
        return tuple(t[:1] for t in source)
    return source(1)


def _length(source: Tensor | tuple[Tensor, ...]) -> int:
    return (source[0] if isinstance(source, tuple) else source).shape[0]


def _check_pair(pair: tuple) -> None:
    """A tuple source: two or more tensors with the same number of rows."""
    if len(pair) < 2 or not all(isinstance(t, Tensor) for t in pair):
        kinds = [type(t).__name__ for t in pair]
        raise TypeError(
            "tuple data must hold two or more tensors ((x, y) with labels, "
            f"(source, target) pairs); got {kinds}"
        )
    rows = [t.shape[0] if t.dim() else None for t in pair]
    if len(set(rows)) != 1 or rows[0] is None:
        raise ValueError(
            "the tensors of tuple data must have the same first dimension (one row "
            f"per example); got shapes {[tuple(t.shape) for t in pair]}"
        )
