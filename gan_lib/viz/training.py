r"""Figures of a training run: loss curves, snapshots over training, curves
against a parameter."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

from gan_lib.errors import check_positive_int
from gan_lib.training import Snapshot
from gan_lib.viz.common import (
    D_COLOR,
    D_STAR_COLOR,
    FAKE_COLOR,
    REAL_COLOR,
    Extent,
    _as_1d_array,
    _as_points,
    _check_extent,
    _grid_2d,
    _module_device,
    _new_axes,
    _sigmoid,
    logits_at,
)
from gan_lib.viz.samples import _draw_2d, _legend_2d

# --- loss curves ---------------------------------------------------------------------


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each position (fewer at the start)."""
    csum = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, values.size + 1)
    lo = np.maximum(idx - window, 0)
    return (csum[idx] - csum[lo]) / (idx - lo)


def plot_losses(
    history: Mapping[str, Sequence[float]],
    *,
    smooth: int = 50,
    reference: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """The players' losses against the step, from ``training.train``'s history.

    Args:
        history: a mapping with a list ``"step"`` and lists ``"loss_D"`` and/or
            ``"loss_G"`` of the same length (``TrainResult.history``; a run that
            trains the discriminator alone has only ``"loss_D"``).
        smooth: draw the raw losses faintly and their moving average over this many
            steps on top (1: no smoothing).
        reference: horizontal lines to draw, label -> value (e.g. the losses' values
            at the equilibrium of the game).
        ax: the axes to draw on (default: a new figure).
        title: the panel's title.
    """
    players = [key for key in ("loss_D", "loss_G") if key in history]
    if "step" not in history or not players:
        raise KeyError(
            f"history needs 'step' and 'loss_D' or 'loss_G'; got keys {sorted(history)}"
        )
    steps = np.asarray(history["step"], dtype=np.float64)
    if steps.size == 0:
        raise ValueError("history is empty: train for at least one step")
    check_positive_int("smooth", smooth)
    fig, ax = _new_axes(ax, (7.0, 3.4))
    names = {"loss_D": (D_COLOR, "$L_D$"), "loss_G": (FAKE_COLOR, "$L_G$")}
    for key in players:
        color, name = names[key]
        values = _as_1d_array(key, history[key], steps.size)
        if smooth > 1:
            ax.plot(steps, values, color=color, alpha=0.2, lw=0.8)
            values = _moving_average(values, smooth)
        ax.plot(steps, values, color=color, lw=1.6, label=name)
    linestyles = ["--", ":", "-."]
    for i, (label, value) in enumerate((reference or {}).items()):
        ax.axhline(value, color="gray", lw=1.0, ls=linestyles[i % 3], label=label)
    ax.set_xlabel("generator step")
    ax.set_ylabel("loss")
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    if title:
        ax.set_title(title)
    return fig


# --- snapshots over training ---------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """What a snapshot figure shows of one training step.

    Attributes:
        step: the generator step.
        samples: generated samples, ``(N, dim)`` with ``dim`` 1 or 2.
        axes: the grid's coordinates, one array per dimension (``(R,)`` each).
        logits: the discriminator's logits on the grid: ``(R,)`` in 1-D,
            ``(R_y, R_x)`` in 2-D (row ``i`` is ``y = axes[1][i]``).
    """

    step: int
    samples: np.ndarray
    axes: tuple[np.ndarray, ...]
    logits: np.ndarray

    @property
    def dim(self) -> int:
        return self.samples.shape[1]


@torch.no_grad()
def capture_frame(
    snapshot: Snapshot,
    *,
    extent: Extent,
    n_samples: int = 1000,
    resolution: int = 150,
    seed: int = 0,
) -> Frame:
    """Record a :class:`Frame` inside a ``training.train`` hook.

    Samples come from ``snapshot.G_ema`` (the generator itself when the run keeps no
    EMA) with latents drawn from a private generator seeded with ``seed``, so that
    capturing frames does not change the training run's random numbers, and every
    frame uses the same latents.

    Args:
        snapshot: what the hook received.
        extent: ``(lo, hi)`` for 1-D data, ``(x_lo, x_hi, y_lo, y_hi)`` for 2-D.
        n_samples: generated samples to keep.
        resolution: grid points per axis for the discriminator.
        seed: seed of the latents.
    """
    G, D = snapshot.G_ema, snapshot.D
    check_positive_int("n_samples", n_samples)
    z = torch.randn(n_samples, G.z_dim, generator=torch.Generator().manual_seed(seed))
    samples = G(z.to(_module_device(G))).float().cpu().double().numpy()  # (N, dim)
    if samples.ndim != 2 or samples.shape[1] not in (1, 2):
        raise ValueError(
            f"frames need 1-D or 2-D samples, (N, 1) or (N, 2); got {samples.shape}"
        )
    box = _check_extent(extent, samples.shape[1])
    if samples.shape[1] == 1:
        xs = np.linspace(box[0], box[1], resolution)
        return Frame(snapshot.step, samples, (xs,), logits_at(D, xs[:, None]))
    xs, ys, points = _grid_2d(box, resolution)
    logits = logits_at(D, points).reshape(ys.size, xs.size)  # (R_y, R_x)
    return Frame(snapshot.step, samples, (xs, ys), logits)


def plot_frames(
    frames: Sequence[Frame],
    *,
    density: Callable[[np.ndarray], np.ndarray] | None = None,
    D_star: np.ndarray | None = None,
    real: np.ndarray | Tensor | None = None,
    centers: np.ndarray | Tensor | None = None,
    ncols: int = 4,
    bins: int = 60,
    panel_size: float = 2.8,
) -> Figure:
    r"""A grid of snapshots over training, one panel per :class:`Frame`.

    1-D frames: a histogram of the generated samples, the data density (when
    ``density`` is given) and :math:`D(x) = \sigma(T(x))` on a second axis, with the
    optimal :math:`D^*` dashed when it is known (a fixed generator).
    2-D frames: the samples over the contour of :math:`D`, with the real samples and
    the modes' centres when given.

    Args:
        frames: the frames, all 1-D or all 2-D, in the order to draw them.
        density: for 1-D frames, the data density, ``x (M,) -> p (M,)``.
        D_star: for 1-D frames, the optimal discriminator on the frames' grid,
            ``(R,)``; only meaningful when the generator does not change.
        real: for 2-D frames, real samples to draw underneath, ``(N, 2)``.
        centers: for 2-D frames, the modes' centres, ``(K, 2)``.
        ncols: panels per row.
        bins: histogram bins for 1-D frames.
        panel_size: width of one panel in inches.
    """
    if len(frames) == 0:
        raise ValueError("plot_frames needs at least one frame; got none")
    dims = {f.dim for f in frames}
    if len(dims) != 1:
        raise ValueError(f"frames must all have the same dimension; got {sorted(dims)}")
    dim = dims.pop()
    ncols = max(1, min(ncols, len(frames)))
    nrows = math.ceil(len(frames) / ncols)
    height = panel_size * (0.75 if dim == 1 else 1.0)
    fig, grid = plt.subplots(
        nrows,
        ncols,
        figsize=(panel_size * ncols, height * nrows),
        layout="constrained",
        squeeze=False,
    )
    x_real = None if real is None else _as_points("real", real, 2)
    c = None if centers is None else _as_points("centers", centers, 2)
    for i, ax in enumerate(grid.flat):
        if i >= len(frames):
            ax.set_visible(False)
            continue
        frame = frames[i]
        if dim == 1:
            _draw_frame_1d(
                ax,
                frame,
                density,
                D_star,
                bins,
                show_label=i % ncols == 0,
                show_legend=i == 0,
                show_right=i % ncols == ncols - 1 or i == len(frames) - 1,
            )
        else:
            xs, ys = frame.axes
            box = (xs[0], xs[-1], ys[0], ys[-1])
            _draw_2d(ax, frame.samples, xs, ys, frame.logits, x_real, c, box)
            ax.tick_params(labelsize="x-small")
        ax.set_title(f"step {frame.step}", fontsize="small")
    if dim == 2:
        _legend_2d(grid.flat[0], x_real is not None, c is not None, "xx-small")
    return fig


def _draw_frame_1d(
    ax: Axes,
    frame: Frame,
    density: Callable[[np.ndarray], np.ndarray] | None,
    D_star: np.ndarray | None,
    bins: int,
    show_label: bool,
    show_legend: bool,
    show_right: bool,
) -> None:
    (xs,) = frame.axes
    ax.hist(
        frame.samples[:, 0],
        bins=bins,
        range=(xs[0], xs[-1]),
        density=True,
        color=FAKE_COLOR,
        alpha=0.5,
        label="samples of $p_g$",
    )
    if density is not None:
        p = np.asarray(density(xs), dtype=np.float64)
        ax.plot(xs, p, color=REAL_COLOR, lw=1.4, label=r"$p_{\mathrm{data}}$")
        ax.set_ylim(0, 1.6 * p.max())  # the same scale in every panel; spikes clipped
    ax.set_xlim(xs[0], xs[-1])
    ax.tick_params(labelsize="x-small")
    right = ax.twinx()
    if D_star is not None:
        right.plot(
            xs,
            _as_1d_array("D_star", D_star, xs.size),
            color=D_STAR_COLOR,
            ls="--",
            lw=1.2,
            label="$D^*(x)$",
        )
    right.plot(xs, _sigmoid(frame.logits), color=D_COLOR, lw=1.4, label="$D(x)$")
    right.axhline(0.5, color="gray", lw=0.8, ls=":")
    right.set_ylim(-0.02, 1.02)
    right.tick_params(labelsize="x-small", labelright=show_right)
    if show_label:
        ax.set_ylabel("density", fontsize="small")
    if show_legend:
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = right.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize="xx-small")


# --- curves against a parameter ------------------------------------------------------


def plot_curves(
    parameter: np.ndarray,
    curves: Mapping[str, np.ndarray],
    *,
    hlines: Mapping[str, float] | None = None,
    xlabel: str = "",
    ylabel: str = "",
    yscale: Literal["linear", "log"] = "linear",
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Quantities against one parameter, e.g. :math:`\mathrm{JSD}` against a shift.

    Args:
        parameter: the parameter's values, ``(M,)``.
        curves: label -> values ``(M,)``, one line each.
        hlines: label -> value, dashed horizontal reference lines (e.g. bounds).
        xlabel, ylabel: the axis labels.
        yscale: ``"linear"`` or ``"log"`` (for quantities spanning decades).
        ax: the axes to draw on (default: a new figure).
        title: the panel's title.
    """
    parameter = np.asarray(parameter, dtype=np.float64)
    if parameter.ndim != 1:
        raise ValueError(f"parameter must be 1-D; got shape {parameter.shape}")
    if not curves:
        raise ValueError("plot_curves needs at least one curve; got none")
    fig, ax = _new_axes(ax, (5.0, 3.4))
    for label, values in curves.items():
        ax.plot(
            parameter, _as_1d_array(label, values, parameter.size), lw=2.0, label=label
        )
    linestyles = ["--", ":", "-."]
    for i, (label, value) in enumerate((hlines or {}).items()):
        ax.axhline(value, color="gray", lw=1.0, ls=linestyles[i % 3], label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_yscale(yscale)
    ax.set_xlim(parameter[0], parameter[-1])
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    if title:
        ax.set_title(title)
    return fig
