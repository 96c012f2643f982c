r"""Grids of images: samples of an image generator, and samples over training.

* :func:`image_grid`: a batch ``(N, C, H, W)`` in [-1, 1] tiled into one
  ``(rows * H', cols * W', C)`` array in [0, 1], with a one-pixel border;
* :func:`plot_image_grid`: that array on an axes;
* :func:`plot_image_rows`: several batches, one row each, labelled (samples at
  several training steps, an interpolation per row).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

from gan_lib.viz.common import _new_axes


def image_grid(images: Tensor, ncols: int | None = None, pad: int = 1) -> np.ndarray:
    """Tile ``images: (N, C, H, W)`` in [-1, 1] into an ``(rows(H+pad)-pad,
    cols(W+pad)-pad, C)`` float array in [0, 1]; ``C`` is 1 or 3; the border is
    white. ``ncols`` defaults to ``ceil(sqrt(N))``."""
    if (
        not isinstance(images, Tensor)
        or images.dim() != 4
        or images.shape[1]
        not in (
            1,
            3,
        )
    ):
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images)
        raise ValueError(f"images must be a tensor (N, 1 or 3, H, W); got {shape}")
    n, c, h, w = images.shape
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) / 2).numpy()  # [0, 1]
    grid = np.ones((nrows * (h + pad) - pad, ncols * (w + pad) - pad, c))
    for idx in range(n):
        r, col = divmod(idx, ncols)
        top, left = r * (h + pad), col * (w + pad)
        grid[top : top + h, left : left + w] = x[idx].transpose(1, 2, 0)  # (H, W, C)
    return grid


def plot_image_grid(
    images: Tensor,
    ncols: int | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Show a batch of images ``(N, C, H, W)`` in [-1, 1] as one grid."""
    grid = image_grid(images, ncols)
    rows, cols = grid.shape[0] / images.shape[2], grid.shape[1] / images.shape[3]
    fig, ax = _new_axes(ax, (min(0.8 * cols, 14.0), min(0.8 * rows, 14.0) + 0.4))
    if grid.shape[-1] == 1:
        ax.imshow(grid[..., 0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(grid, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def plot_image_rows(
    rows: Sequence[Tensor],
    labels: Sequence[str],
    title: str | None = None,
    height: float = 0.9,
) -> Figure:
    """One row of images per batch in ``rows`` (each ``(N, C, H, W)`` in [-1, 1]),
    labelled on the left with ``labels``."""
    if len(rows) != len(labels) or not rows:
        raise ValueError(
            f"need one label per row; got {len(rows)} rows and {len(labels)} labels"
        )
    ncols = max(r.shape[0] for r in rows)
    fig, axes = plt.subplots(
        len(rows),
        1,
        figsize=(max(4.0, 0.9 * ncols), height * len(rows) + 0.4),
        layout="constrained",
        squeeze=False,
    )
    for ax, batch, label in zip(axes[:, 0], rows, labels):
        plot_image_grid(batch, ncols=ncols, ax=ax)
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    return fig
