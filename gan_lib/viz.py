r"""Figures the labs and theory pages share.

Every function draws one kind of picture and returns the matplotlib
:class:`~matplotlib.figure.Figure` it drew on. Functions that draw a single panel take
an optional ``ax``; without one they open a new figure. Nothing here calls
``plt.show()`` or chooses a backend: a notebook displays the figure, a script saves it.

The colours are the same in every chapter: real data blue, generated data orange,
the trained discriminator green, the optimal one :math:`D^*` dashed black.

* :func:`plot_discriminator_1d`: two 1-D densities with :math:`D(x)` and
  :math:`D^*(x) = p_{data} / (p_{data} + p_g)` on a second axis;
* :func:`plot_logits_1d`: the logit :math:`T = \log(D / (1 - D))` against
  :math:`T^* = \log(p_{data} / p_g)`;
* :func:`plot_samples_2d`: 2-D samples over the contour of :math:`D = \sigma(T)`;
* :func:`plot_losses`: the two players' loss curves from ``training.train``'s history;
* :func:`capture_frame` (a hook helper) and :func:`plot_frames`: a grid of snapshots
  of the generator and the discriminator over training, in 1-D or 2-D;
* :func:`plot_curves`: quantities against a parameter (e.g. a divergence against a
  shift between two densities);
* :func:`logits_at`: a discriminator evaluated at given points, as NumPy.
"""

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
from matplotlib.lines import Line2D
from torch import Tensor, nn

from gan_lib.training import Snapshot

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


# --- 1-D: densities, D and D* ---------------------------------------------------------


def plot_discriminator_1d(
    x: np.ndarray,
    p_data: np.ndarray,
    p_g: np.ndarray,
    *,
    D: np.ndarray | None = None,
    D_star: np.ndarray | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Two densities on a grid, with a discriminator and the optimal one over them.

    The densities use the left axis; :math:`D(x)` and
    :math:`D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))` use a second axis on
    :math:`[0, 1]` with the line :math:`D = 1/2` dotted.

    Args:
        x: grid, ``(M,)``, increasing.
        p_data: the data density on the grid, ``(M,)``.
        p_g: the generator's density on the grid, ``(M,)``.
        D: a discriminator's probabilities :math:`\sigma(T(x))` on the grid, ``(M,)``.
        D_star: the optimal discriminator on the grid, ``(M,)``.
        ax: the axes to draw on (default: a new figure).
        title: the panel's title.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"x must be a 1-D grid of at least 2 points; got {x.shape}")
    n = x.size
    p_data = _as_1d_array("p_data", p_data, n)
    p_g = _as_1d_array("p_g", p_g, n)
    fig, ax = _new_axes(ax, (7.0, 3.6))
    ax.fill_between(x, p_data, color=REAL_COLOR, alpha=0.25)
    ax.plot(x, p_data, color=REAL_COLOR, label=r"$p_{\mathrm{data}}$")
    ax.fill_between(x, p_g, color=FAKE_COLOR, alpha=0.25)
    ax.plot(x, p_g, color=FAKE_COLOR, label=r"$p_g$")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    handles, labels = ax.get_legend_handles_labels()
    if D is not None or D_star is not None:
        right = ax.twinx()
        right.axhline(0.5, color="gray", lw=0.8, ls=":")
        if D_star is not None:
            right.plot(x, _as_1d_array("D_star", D_star, n), color=D_STAR_COLOR,
                       ls="--", lw=1.6, label="$D^*(x)$")
        if D is not None:
            right.plot(x, _as_1d_array("D", D, n), color=D_COLOR, lw=2.0,
                       alpha=0.85, label="$D(x)$")
        right.set_ylim(-0.02, 1.02)
        right.set_ylabel("probability that $x$ is real")
        h2, l2 = right.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="upper left", fontsize="small", framealpha=0.9)
    if title:
        ax.set_title(title)
    return fig


def plot_logits_1d(
    x: np.ndarray,
    *,
    T: np.ndarray | None = None,
    T_star: np.ndarray | None = None,
    ax: Axes | None = None,
    ylim: tuple[float, float] = (-8.0, 8.0),
    title: str | None = None,
) -> Figure:
    r"""A logit :math:`T(x)` against the optimal :math:`T^*(x) = \log(p_{data} / p_g)`.

    Args:
        x: grid, ``(M,)``.
        T: the trained logit on the grid, ``(M,)``.
        T_star: the optimal logit on the grid, ``(M,)``; it diverges where one density
            vanishes, so the vertical range is clipped to ``ylim``.
        ax: the axes to draw on (default: a new figure).
        ylim: the vertical range.
        title: the panel's title.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"x must be a 1-D grid of at least 2 points; got {x.shape}")
    if T is None and T_star is None:
        raise ValueError("plot_logits_1d needs T, T_star or both; got neither")
    fig, ax = _new_axes(ax, (7.0, 3.6))
    ax.axhline(0.0, color="gray", lw=0.8, ls=":")
    if T_star is not None:
        ax.plot(x, _as_1d_array("T_star", T_star, x.size), color=D_STAR_COLOR, ls="--",
                lw=1.6, label=r"$T^*(x) = \log p_{\mathrm{data}}(x) / p_g(x)$")
    if T is not None:
        ax.plot(x, _as_1d_array("T", T, x.size), color=D_COLOR, lw=2.0, alpha=0.85,
                label="$T(x)$")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x$")
    ax.set_ylabel("logit")
    ax.legend(loc="upper left", fontsize="small", framealpha=0.9)
    if title:
        ax.set_title(title)
    return fig


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
        ax.contourf(xs, ys, prob, levels=np.linspace(0, 1, 21), cmap="RdBu_r",
                    vmin=0, vmax=1, alpha=0.55)
        ax.contour(xs, ys, prob, levels=[0.5], colors="k", linewidths=0.8)
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=3, color=REAL_COLOR, alpha=0.5,
                   lw=0, label="data")
    ax.scatter(samples[:, 0], samples[:, 1], s=3, color=FAKE_COLOR, alpha=0.7, lw=0,
               label="$G(z)$")
    if centers is not None:
        ax.scatter(centers[:, 0], centers[:, 1], marker="x", s=30, color="k", lw=1.0,
                   label="modes")
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
    if not isinstance(smooth, int) or smooth < 1:
        raise ValueError(f"smooth must be a positive int; got {smooth!r}")
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
    if not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int; got {n_samples!r}")
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
    fig, grid = plt.subplots(nrows, ncols, figsize=(panel_size * ncols, height * nrows),
                             layout="constrained", squeeze=False)
    x_real = None if real is None else _as_points("real", real, 2)
    c = None if centers is None else _as_points("centers", centers, 2)
    for i, ax in enumerate(grid.flat):
        if i >= len(frames):
            ax.set_visible(False)
            continue
        frame = frames[i]
        if dim == 1:
            _draw_frame_1d(ax, frame, density, D_star, bins,
                           show_label=i % ncols == 0, show_legend=i == 0,
                           show_right=i % ncols == ncols - 1 or i == len(frames) - 1)
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
    ax.hist(frame.samples[:, 0], bins=bins, range=(xs[0], xs[-1]), density=True,
            color=FAKE_COLOR, alpha=0.5, label="samples of $p_g$")
    if density is not None:
        p = np.asarray(density(xs), dtype=np.float64)
        ax.plot(xs, p, color=REAL_COLOR, lw=1.4, label=r"$p_{\mathrm{data}}$")
        ax.set_ylim(0, 1.6 * p.max())  # the same scale in every panel; spikes clipped
    ax.set_xlim(xs[0], xs[-1])
    ax.tick_params(labelsize="x-small")
    right = ax.twinx()
    if D_star is not None:
        right.plot(xs, _as_1d_array("D_star", D_star, xs.size), color=D_STAR_COLOR,
                   ls="--", lw=1.2, label="$D^*(x)$")
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
        ax.plot(parameter, _as_1d_array(label, values, parameter.size), lw=2.0,
                label=label)
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


# --- Chapter 2: the Dirac GAN's phase plane ------------------------------------------


def plot_phase_portrait(
    field: Callable[[float, float], np.ndarray],
    paths: Mapping[str, np.ndarray],
    *,
    extent: Extent = (-2.0, 2.0, -2.0, 2.0),
    resolution: int = 17,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Trajectories of a two-parameter game over its vector field.

    Drawn in the :math:`(\theta, \psi)` plane (generator parameter across, critic
    parameter up), with the equilibrium :math:`(0, 0)` as a star.

    Args:
        field: ``(theta, psi) -> (d theta, d psi)``, e.g.
            ``gan_lib.dynamics.DiracGAN(...).vector_field``; drawn as arrows of unit
            length (the direction only) on a ``resolution`` x ``resolution`` grid.
        paths: label -> iterates ``(n, 2)`` (rows ``(theta, psi)``), one line each;
            a dot marks the start.
        extent: ``(theta_lo, theta_hi, psi_lo, psi_hi)``.
        resolution: arrows per axis.
        ax: the axes to draw on (default: a new figure).
        title: the panel's title.
    """
    box = _check_extent(extent, 2)
    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2; got {resolution!r}")
    fig, ax = _new_axes(ax, (4.2, 4.0))
    xs, ys, points = _grid_2d(box, resolution)
    arrows = np.array([field(float(t), float(p)) for t, p in points])  # (R*R, 2)
    length = np.linalg.norm(arrows, axis=1, keepdims=True)
    arrows = np.divide(arrows, length, out=np.zeros_like(arrows), where=length > 0)
    ax.quiver(points[:, 0], points[:, 1], arrows[:, 0], arrows[:, 1], color="0.6",
              angles="xy", scale=1.2 * resolution, width=0.004)
    for i, (label, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=np.float64)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"path {label!r} must have shape (n, 2); got {path.shape}")
        color = f"C{i}"
        ax.plot(path[:, 0], path[:, 1], color=color, lw=1.2, label=label)
        ax.plot(path[0, 0], path[0, 1], "o", color=color, ms=5)
    ax.plot(0.0, 0.0, "*", color="k", ms=11, label="equilibrium")
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_aspect("equal")
    ax.set_xlabel(r"generator $\theta$")
    ax.set_ylabel(r"critic $\psi$")
    ax.legend(loc="upper right", fontsize="x-small", framealpha=0.9)
    if title:
        ax.set_title(title)
    return fig
