r"""The phase portrait of a two-parameter game (Chapter 2's Dirac GAN)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gan_lib.errors import check_int_at_least
from gan_lib.viz.common import Extent, _check_extent, _grid_2d, _new_axes

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
    check_int_at_least("resolution", resolution, 2)
    fig, ax = _new_axes(ax, (4.2, 4.0))
    xs, ys, points = _grid_2d(box, resolution)
    arrows = np.array([field(float(t), float(p)) for t, p in points])  # (R*R, 2)
    length = np.linalg.norm(arrows, axis=1, keepdims=True)
    arrows = np.divide(arrows, length, out=np.zeros_like(arrows), where=length > 0)
    ax.quiver(
        points[:, 0],
        points[:, 1],
        arrows[:, 0],
        arrows[:, 1],
        color="0.6",
        angles="xy",
        scale=1.2 * resolution,
        width=0.004,
    )
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
