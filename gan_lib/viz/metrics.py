r"""How precision and recall estimate a manifold with k-nearest-neighbour balls.

:func:`plot_precision_recall_balls` draws, for 2-D real and generated points, the two
halves of :func:`gan_lib.metrics.precision_recall`: each real point's ball, whose
radius is the distance to its :math:`k_{\mathrm{NN}}`-th nearest real neighbour (their
union estimates the real manifold), with the generated points inside some ball filled
and the others hollow, so that precision is the fraction filled; and the same with the
roles swapped for recall.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from gan_lib.viz.common import FAKE_COLOR, REAL_COLOR


def knn_radii(points: np.ndarray, k: int) -> np.ndarray:
    """Distance of each point to its ``k``-th nearest other point, ``(n,)``."""
    from gan_lib.metrics.prdc import knn_radii_squared

    x = torch.as_tensor(np.asarray(points, dtype=np.float64))
    return knn_radii_squared(x, k).sqrt().numpy()


def inside_balls(points: np.ndarray, centres: np.ndarray,
                 radii: np.ndarray) -> np.ndarray:
    """Whether each of ``points`` lies in at least one ball (``centres``, ``radii``)."""
    d2 = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)  # (n, m)
    return (d2 <= radii[None, :] ** 2).any(axis=1)


def _as_points(name: str, values: np.ndarray, k: int) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2); got {a.shape}")
    if a.shape[0] <= k:
        raise ValueError(f"{name} needs more than k = {k} points; got {a.shape[0]}")
    return a


def _panel(ax: Axes, centres: np.ndarray, radii: np.ndarray, ball_color: str,
           points: np.ndarray, point_color: str, title: str, what: str) -> float:
    for centre, radius in zip(centres, radii):
        ax.add_patch(Circle(tuple(centre), radius, facecolor=ball_color, alpha=0.12,
                            edgecolor=ball_color, linewidth=0.6))
    ax.scatter(*centres.T, s=8, color=ball_color, zorder=3)
    inside = inside_balls(points, centres, radii)
    ax.scatter(*points[inside].T, s=22, color=point_color, edgecolor="black",
               linewidth=0.4, zorder=4, label="inside a ball")
    ax.scatter(*points[~inside].T, s=22, facecolor="white", edgecolor=point_color,
               linewidth=1.2, zorder=4, label="outside every ball")
    fraction = float(inside.mean())
    ax.set_title(f"{title} = {fraction:.3f}\n({what})", fontsize=10)
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="lower right")
    return fraction


def plot_precision_recall_balls(
    real: np.ndarray, fake: np.ndarray, k: int = 3,
    axes: tuple[Axes, Axes] | None = None,
) -> Figure:
    """Two panels: the real k-NN balls with the generated points (precision) and the
    generated k-NN balls with the real points (recall).

    Args:
        real, fake: ``(N, 2)`` and ``(M, 2)`` points.
        k: the neighbour whose distance is each ball's radius (:math:`k_{\\mathrm{NN}}`).
        axes: two axes to draw on; default a new figure.

    Returns:
        The figure; the panels' titles carry the two fractions, which equal
        :func:`gan_lib.metrics.precision_recall` of the same points.
    """
    real, fake = _as_points("real", real, k), _as_points("fake", fake, k)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), layout="constrained",
                                 sharex=True, sharey=True)
    fig = axes[0].figure
    _panel(axes[0], real, knn_radii(real, k), REAL_COLOR, fake, FAKE_COLOR,
           "precision", "generated points inside real balls")
    _panel(axes[1], fake, knn_radii(fake, k), FAKE_COLOR, real, REAL_COLOR,
           "recall", "real points inside generated balls")
    return fig
