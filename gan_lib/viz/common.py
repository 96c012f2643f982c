r"""Colours, axes and the evaluation of a critic on points and grids, shared by
every figure of :mod:`gan_lib.viz`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor, nn

REAL_COLOR = "tab:blue"
FAKE_COLOR = "tab:orange"
D_COLOR = "tab:green"
D_STAR_COLOR = "black"

Critic = Callable[[Tensor], Tensor]
Extent = Sequence[float]  # (lo, hi) in 1-D, (x_lo, x_hi, y_lo, y_hi) in 2-D


# --- helpers -------------------------------------------------------------------------


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _as_1d_array(name: str, values: np.ndarray | Sequence[float], n: int) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    if a.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) like x; got {a.shape}")
    return a


def _sigmoid(t: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * t))  # = 1 / (1 + exp(-t)), without overflow


def _check_extent(extent: Extent, dim: int) -> tuple[float, ...]:
    values = tuple(float(v) for v in extent)
    if len(values) != 2 * dim or any(
        values[2 * i] >= values[2 * i + 1] for i in range(dim)
    ):
        want = "(lo, hi)" if dim == 1 else "(x_lo, x_hi, y_lo, y_hi)"
        raise ValueError(
            f"extent must be {want} with lo < hi for {dim}-D data; got {tuple(extent)}"
        )
    return values


def _module_device(module: Critic) -> torch.device:
    if isinstance(module, nn.Module):
        for p in module.parameters():
            return p.device
    return torch.device("cpu")


@torch.no_grad()
def logits_at(D: Critic, points: np.ndarray | Tensor, batch: int = 65536) -> np.ndarray:
    """The discriminator's logits :math:`T(x)` at ``points``, as float64 NumPy.

    Args:
        D: a discriminator, ``(N, dim) -> (N,)`` or ``(N, 1)`` logits.
        points: ``(N, dim)`` points; a 1-D array ``(N,)`` is read as ``(N, 1)``.
        batch: evaluate this many points at a time.

    Returns:
        ``(N,)`` logits. Evaluated without gradients on ``D``'s device.
    """
    x = points if isinstance(points, Tensor) else torch.as_tensor(np.asarray(points))
    if x.dim() == 1:
        x = x[:, None]  # (N,) -> (N, 1)
    if x.dim() != 2:
        raise ValueError(
            f"points must have shape (N,) or (N, dim); got {tuple(x.shape)}"
        )
    device = _module_device(D)
    out = []
    for chunk in x.float().split(batch):
        t = D(chunk.to(device)).float().reshape(-1)  # (B,)
        if t.shape[0] != chunk.shape[0]:
            raise ValueError(
                f"D must return one logit per point; got {t.shape[0]} logits for "
                f"{chunk.shape[0]} points"
            )
        out.append(t.cpu())
    return torch.cat(out).double().numpy()


def _grid_2d(extent: tuple[float, ...], resolution: int) -> tuple[np.ndarray, ...]:
    xs = np.linspace(extent[0], extent[1], resolution)
    ys = np.linspace(extent[2], extent[3], resolution)
    xx, yy = np.meshgrid(xs, ys, indexing="xy")  # (R, R) each; row i is y = ys[i]
    return xs, ys, np.stack([xx.ravel(), yy.ravel()], axis=1)  # points (R * R, 2)


def _as_points(name: str, samples: np.ndarray | Tensor, dim: int) -> np.ndarray:
    if isinstance(samples, Tensor):
        samples = samples.detach().cpu().numpy()
    a = np.asarray(samples, dtype=np.float64)
    if a.ndim == 1 and dim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[1] != dim:
        raise ValueError(f"{name} must have shape (N, {dim}); got {a.shape}")
    return a
