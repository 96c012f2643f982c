r"""The data sets of the mode-coverage benchmark, each with known modes and a scorer.

* ``ring`` and ``grid``: the 2-D mixtures of :mod:`gan_lib.data.toy`, scored by
  :func:`gan_lib.metrics.mode_coverage` (modes captured, fraction of high-quality
  samples, reverse KL of their mode histogram to uniform);
* ``stacked_digits``: 10,000 images of three bundled digits stacked in the three
  channels (1,000 modes), scored by classifying each channel with the digits classifier
  and :func:`gan_lib.metrics.class_mode_coverage` (modes hit, reverse KL of the label
  histogram to uniform).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from torch import Tensor

from gan_lib.data import grid, ring
from gan_lib.data.generated import encode_stacked_digits
from gan_lib.errors import UnknownNameError
from gan_lib.metrics import class_mode_coverage, digits_cnn, mode_coverage

DATASETS = ("ring", "grid", "stacked_digits")


@dataclass(frozen=True)
class Target:
    """A data set with known modes and the function that scores samples."""

    name: str
    data: Tensor | Callable[[int], Tensor]  # what training.train takes
    n_modes: int
    score: Callable[[Tensor], dict[str, float]]  # samples -> modes, high_quality, kl
    sample_real: Callable[[int, torch.Generator], Tensor]  # for the reference row


def _toy_target(name: str) -> Target:
    mixture = ring() if name == "ring" else grid()

    def score(x: Tensor) -> dict[str, float]:
        c = mode_coverage(x, mixture.centers, mixture.std)
        return {"modes": c.modes, "high_quality": c.high_quality, "kl": c.reverse_kl}

    return Target(name, mixture.sample, mixture.n_modes, score, mixture.sample)


@lru_cache(maxsize=1)
def _stacked_digits_target() -> Target:
    from gan_lib.data import images  # the image module is only needed here

    data = images.load("stacked_digits", 16, n=10_000, seed=0)
    classifier = digits_cnn(16)

    def score(x: Tensor) -> dict[str, float]:
        labels = stacked_digit_labels(classifier, x)
        c = class_mode_coverage(labels, 1000)
        return {"modes": c.modes, "high_quality": math.nan, "kl": c.reverse_kl}

    def sample_real(n: int, generator: torch.Generator) -> Tensor:
        return data.images[torch.randint(len(data.images), (n,), generator=generator)]

    return Target("stacked_digits", data.images, 1000, score, sample_real)


def stacked_digit_labels(classifier: Any, x: Tensor) -> np.ndarray:
    """The class ``100 d_R + 10 d_G + d_B`` of each image, from the digits classifier
    applied to each channel: ``x: (N, 3, R, R)`` in [-1, 1] -> ``(N,)`` int64."""
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"stacked digits are (N, 3, R, R); got {tuple(x.shape)}")
    channels = x.reshape(-1, 1, x.shape[2], x.shape[3])  # (3N, 1, R, R): R, G, B, R..
    digits = classifier.logits(channels).argmax(axis=1).reshape(-1, 3)  # (N, 3)
    return encode_stacked_digits(digits).astype(np.int64)


def target(name: str) -> Target:
    """The target called ``name`` (one of :data:`DATASETS`)."""
    if name not in DATASETS:
        raise UnknownNameError("benchmark data set", name, DATASETS)
    return _stacked_digits_target() if name == "stacked_digits" else _toy_target(name)
