r"""Mode coverage of samples from a mixture with known modes (PacGAN's protocol).

Lin et al. (2018), "PacGAN", Section 5.1 (after Srivastava et al., 2017, "VEEGAN"): a
generated sample is *high quality* when it lies within three standard deviations of
its nearest mode centre; a mode is *captured* when at least one high-quality sample
lies nearest to it; the *reverse KL* compares the histogram of high-quality samples
over modes with the true (uniform) mode distribution:

.. math:: \mathrm{KL}(\hat p \,\|\, u) = \sum_k \hat p_k \log(K \hat p_k),
   \qquad 0 \log 0 = 0.

It is 0 for a perfectly balanced generator and :math:`\log K` for one that puts all
its high-quality samples on a single mode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class ModeCoverage:
    """The result of :func:`mode_coverage`."""

    modes: int  # modes with at least one high-quality sample
    high_quality: float  # fraction of samples within 3 std of their nearest mode
    reverse_kl: float  # KL(high-quality mode histogram || uniform); inf if none
    n_modes: int  # number of true modes K
    n_samples: int
    counts: tuple[int, ...]  # high-quality samples per mode, length K

    def __str__(self) -> str:
        return (
            f"modes {self.modes}/{self.n_modes}, high quality "
            f"{100 * self.high_quality:.1f}%, reverse KL {self.reverse_kl:.3f} "
            f"({self.n_samples} samples)"
        )


def _as_float64(name: str, a: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (N, dim); got {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def mode_coverage(
    samples: np.ndarray | torch.Tensor,
    centers: np.ndarray | torch.Tensor,
    std: float,
    threshold: float = 3.0,
) -> ModeCoverage:
    """Modes captured, fraction of high-quality samples and reverse KL (PacGAN).

    Args:
        samples: generated samples, ``(N, dim)``.
        centers: the true mode centres, ``(K, dim)``.
        std: the true modes' standard deviation.
        threshold: a sample is high quality within ``threshold * std`` of its nearest
            mode (3 in PacGAN and VEEGAN).
    """
    x = _as_float64("samples", samples)
    c = _as_float64("centers", centers)
    if x.shape[1] != c.shape[1]:
        raise ValueError(
            f"samples have dimension {x.shape[1]} but centers have {c.shape[1]}"
        )
    if x.shape[0] == 0:
        raise ValueError("mode_coverage needs at least one sample; got 0")
    if c.shape[0] == 0:
        raise ValueError("mode_coverage needs at least one centre; got 0")
    if not std > 0:
        raise ValueError(f"std must be positive; got {std}")
    # squared distances (N, K), from |x|^2 - 2 x.c + |c|^2 in float64
    d2 = (x**2).sum(1)[:, None] - 2 * x @ c.T + (c**2).sum(1)[None, :]
    nearest = d2.argmin(1)  # (N,)
    dist = np.sqrt(np.maximum(d2[np.arange(len(x)), nearest], 0.0))
    good = dist <= threshold * std
    counts = np.bincount(nearest[good], minlength=len(c))
    n_good = int(good.sum())
    if n_good == 0:
        reverse_kl = math.inf
    else:
        p = counts[counts > 0] / n_good
        reverse_kl = float((p * np.log(len(c) * p)).sum())
    return ModeCoverage(
        modes=int((counts > 0).sum()),
        high_quality=n_good / len(x),
        reverse_kl=reverse_kl,
        n_modes=len(c),
        n_samples=len(x),
        counts=tuple(int(k) for k in counts),
    )
