r"""1-D figures: two densities with :math:`D` and :math:`D^*`, and the logit
:math:`T` against :math:`T^* = \log(p_{data} / p_g)`."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gan_lib.viz.common import (
    D_COLOR,
    D_STAR_COLOR,
    FAKE_COLOR,
    REAL_COLOR,
    _as_1d_array,
    _new_axes,
)

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
            right.plot(
                x,
                _as_1d_array("D_star", D_star, n),
                color=D_STAR_COLOR,
                ls="--",
                lw=1.6,
                label="$D^*(x)$",
            )
        if D is not None:
            right.plot(
                x,
                _as_1d_array("D", D, n),
                color=D_COLOR,
                lw=2.0,
                alpha=0.85,
                label="$D(x)$",
            )
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
        ax.plot(
            x,
            _as_1d_array("T_star", T_star, x.size),
            color=D_STAR_COLOR,
            ls="--",
            lw=1.6,
            label=r"$T^*(x) = \log p_{\mathrm{data}}(x) / p_g(x)$",
        )
    if T is not None:
        ax.plot(
            x,
            _as_1d_array("T", T, x.size),
            color=D_COLOR,
            lw=2.0,
            alpha=0.85,
            label="$T(x)$",
        )
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x$")
    ax.set_ylabel("logit")
    ax.legend(loc="upper left", fontsize="small", framealpha=0.9)
    if title:
        ax.set_title(title)
    return fig
