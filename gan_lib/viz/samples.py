r"""2-D figures: samples over the contour of the discriminator."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from torch import Tensor

from gan_lib.viz.common import (
    FAKE_COLOR,
    REAL_COLOR,
    Critic,
    Extent,
    _as_points,
    _check_extent,
    _grid_2d,
    _new_axes,
    _sigmoid,
    logits_at,
)

# --- 2-D: samples over the discriminator's contour -----------------------------------


def _draw_2d(
    ax: Axes,
    samples: np.ndarray,
    xs: np.ndarray | None,
    ys: np.ndarray | None,
    logits: np.ndarray | None,
    real: np.ndarray | None,
    centers: np.ndarray | None,
    extent: tuple[float, ...],
) -> None:
    if logits is not None and xs is not None and ys is not None:
        prob = _sigmoid(logits.reshape(ys.size, xs.size))  # (R_y, R_x)
        ax.contourf(
            xs,
            ys,
            prob,
            levels=np.linspace(0, 1, 21),
            cmap="RdBu_r",
            vmin=0,
            vmax=1,
            alpha=0.55,
        )
        ax.contour(xs, ys, prob, levels=[0.5], colors="k", linewidths=0.8)
    if real is not None:
        ax.scatter(
            real[:, 0], real[:, 1], s=3, color=REAL_COLOR, alpha=0.5, lw=0, label="data"
        )
    ax.scatter(
        samples[:, 0],
        samples[:, 1],
        s=3,
        color=FAKE_COLOR,
        alpha=0.7,
        lw=0,
        label="$G(z)$",
    )
    if centers is not None:
        ax.scatter(
            centers[:, 0],
            centers[:, 1],
            marker="x",
            s=30,
            color="k",
            lw=1.0,
            label="modes",
        )
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")


def _legend_2d(ax: Axes, real: bool, centers: bool, fontsize: str) -> None:
    """A legend with readable markers (scatter dots are too small to see in one)."""

    def dot(color: str, label: str) -> Line2D:
        return Line2D([], [], ls="", marker="o", ms=4, color=color, label=label)

    handles = [dot(REAL_COLOR, "data")] if real else []
    handles.append(dot(FAKE_COLOR, "$G(z)$"))
    if centers:
        cross = Line2D([], [], ls="", marker="x", ms=5, color="k", label="modes")
        handles.append(cross)
    ax.legend(handles=handles, loc="upper right", fontsize=fontsize, framealpha=0.9)


def plot_samples_2d(
    samples: np.ndarray | Tensor,
    *,
    D: Critic | None = None,
    real: np.ndarray | Tensor | None = None,
    centers: np.ndarray | Tensor | None = None,
    extent: Extent = (-1.5, 1.5, -1.5, 1.5),
    resolution: int = 150,
    ax: Axes | None = None,
    title: str | None = None,
    colorbar: bool = True,
) -> Figure:
    r"""Generated 2-D samples over the contour of :math:`D(x) = \sigma(T(x))`.

    Red regions are where D believes the data are (:math:`D > 1/2`), blue where it
    believes the generator's samples are; the black line is :math:`D = 1/2`.

    Args:
        samples: generated samples, ``(N, 2)``.
        D: the discriminator (logits), evaluated on a ``resolution`` x ``resolution``
            grid over ``extent``; without it only the points are drawn.
        real: real samples to draw underneath, ``(N_real, 2)``.
        centers: the true modes' centres, drawn as crosses, ``(K, 2)``.
        extent: ``(x_lo, x_hi, y_lo, y_hi)``.
        resolution: grid points per axis.
        ax: the axes to draw on (default: a new figure).
        title: the panel's title.
        colorbar: add a colour bar for :math:`D` (only when ``D`` is given).
    """
    box = _check_extent(extent, 2)
    x_fake = _as_points("samples", samples, 2)
    x_real = None if real is None else _as_points("real", real, 2)
    c = None if centers is None else _as_points("centers", centers, 2)
    fig, ax = _new_axes(ax, (5.0, 4.4))
    xs = ys = logits = None
    if D is not None:
        xs, ys, points = _grid_2d(box, resolution)
        logits = logits_at(D, points)
    _draw_2d(ax, x_fake, xs, ys, logits, x_real, c, box)
    if D is not None and colorbar:
        mappable = plt.cm.ScalarMappable(cmap="RdBu_r", norm=plt.Normalize(0, 1))
        fig.colorbar(mappable, ax=ax, label="$D(x)$", shrink=0.8)
    _legend_2d(ax, x_real is not None, c is not None, "x-small")
    if title:
        ax.set_title(title)
    return fig
