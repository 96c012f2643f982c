r"""Modes covered by class-structured samples, from a classifier's predicted labels.

The mode-collapse protocol of stacked MNIST (Metz et al., 2017, "Unrolled GANs";
Srivastava et al., 2017, "VEEGAN"; Lin et al., 2018, "PacGAN"): three digits
stacked in three channels make :math:`K = 1000` modes; a pretrained classifier labels
each channel of each generated sample (26,000 samples in VEEGAN and PacGAN), and the
report is

* **modes covered**: the number of classes predicted for at least ``min_count``
  samples. The papers count a mode as covered when it holds *at least one* sample
  (``min_count = 1``, the default); a larger ``min_count`` makes the count robust to a
  few stray samples;
* **reverse KL**: the histogram :math:`\hat p` of predicted labels against the true
  (uniform) class distribution, the model's distribution first (as the reverse KL of
  :func:`gan_lib.metrics.mode_coverage`),

  .. math:: \mathrm{KL}(\hat p \,\|\, u) = \sum_k \hat p_k \log(K \hat p_k),
     \qquad 0 \log 0 = 0,

  0 for perfectly balanced samples and :math:`\log K` when all fall in one class.

This generalizes :func:`gan_lib.metrics.mode_coverage` (which assigns 2-D samples to
known mode centres) to any data with a classifier: the digits classifier of
:mod:`gan_lib.metrics.features` for digits (K = 10), and per channel for stacked
digits (label ``100 a + 10 b + c``, K = 1000).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gan_lib.errors import check_positive_int


@dataclass(frozen=True)
class ClassModeCoverage:
    """The result of :func:`class_mode_coverage`."""

    modes: int  # classes with at least min_count samples
    reverse_kl: float  # KL(label histogram || uniform over n_classes)
    n_classes: int  # K
    n_samples: int
    min_count: int  # the threshold a class needs to count as covered
    counts: tuple[int, ...]  # samples per class, length K

    def __str__(self) -> str:
        return (
            f"modes {self.modes}/{self.n_classes} (>= {self.min_count} samples each), "
            f"reverse KL {self.reverse_kl:.3f} ({self.n_samples} samples)"
        )


def class_mode_coverage(
    labels: np.ndarray | torch.Tensor, n_classes: int, min_count: int = 1
) -> ClassModeCoverage:
    """Modes covered and reverse KL(label histogram || uniform) of predicted labels.

    Args:
        labels: predicted class of each generated sample, ``(N,)`` ints in
            ``[0, n_classes)``.
        n_classes: the number of true modes K (10 for digits, 1000 for stacked
            digits).
        min_count: samples a class needs to count as covered (1 in the papers).
    """
    check_positive_int("n_classes", n_classes)
    check_positive_int("min_count", min_count)
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must have shape (N,); got {labels.shape}")
    if labels.size == 0:
        raise ValueError("class_mode_coverage needs at least one label; got 0")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integers; got dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"labels must lie in [0, {n_classes}); got values from {labels.min()} "
            f"to {labels.max()}"
        )
    counts = np.bincount(labels, minlength=n_classes)  # (K,)
    p = counts[counts > 0] / labels.size  # the non-empty bins: 0 log 0 = 0
    return ClassModeCoverage(
        modes=int((counts >= min_count).sum()),
        reverse_kl=float((p * np.log(n_classes * p)).sum()),
        n_classes=n_classes,
        n_samples=int(labels.size),
        min_count=min_count,
        counts=tuple(int(c) for c in counts),
    )
