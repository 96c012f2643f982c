r"""Figures of StyleGAN's analyses (Karras et al., 2019): style mixing, stochastic
variation, truncation.

* :func:`plot_style_mixing`: the paper's Figure 3 layout: sources A down the left,
  sources B along the top, and in cell (i, j) the image with A_i's styles before the
  crossover and B_j's after it;
* :func:`plot_stochastic_variation`: a few draws of the noise at one fixed ``w`` and
  the per-pixel standard deviation over many draws (the paper's Figure 4);
* :func:`plot_truncation_tradeoff`: precision and recall against the truncation
  :math:`\psi`, with a few images per :math:`\psi` optional.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from torch import Tensor

from gan_lib.viz.common import FAKE_COLOR, REAL_COLOR
from gan_lib.viz.images import image_grid


def _check_images(name: str, images: Tensor, dims: int = 4) -> None:
    if not isinstance(images, Tensor) or images.dim() != dims:
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images)
        expected = "(N, C, H, W)" if dims == 4 else "(N, M, C, H, W)"
        raise ValueError(f"{name} must be a tensor {expected}; got {shape}")


def _show(ax: plt.Axes, image: Tensor) -> None:
    ax.imshow(image_grid(image[None], ncols=1, pad=0), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_style_mixing(
    sources_a: Tensor,
    sources_b: Tensor,
    mixed: Tensor,
    title: str | None = None,
    size: float = 0.9,
) -> Figure:
    """Sources A ``(n, C, H, W)`` down the left column, sources B ``(m, C, H, W)``
    along the top row, ``mixed (n, m, C, H, W)`` in the cells; images in [-1, 1]."""
    _check_images("sources_a", sources_a)
    _check_images("sources_b", sources_b)
    _check_images("mixed", mixed, dims=5)
    n, m = sources_a.shape[0], sources_b.shape[0]
    if tuple(mixed.shape[:2]) != (n, m):
        raise ValueError(f"mixed must have shape ({n}, {m}, C, H, W) for {n} sources A "
                         f"and {m} sources B; got {tuple(mixed.shape)}")
    fig, axes = plt.subplots(n + 1, m + 1, figsize=(size * (m + 1), size * (n + 1)),
                             squeeze=False, gridspec_kw=dict(wspace=0.05, hspace=0.05))
    axes[0, 0].set_axis_off()
    axes[0, 0].text(0.5, 0.5, "A \\ B", ha="center", va="center")
    for j in range(m):
        _show(axes[0, j + 1], sources_b[j])
    for i in range(n):
        _show(axes[i + 1, 0], sources_a[i])
        for j in range(m):
            _show(axes[i + 1, j + 1], mixed[i, j])
    if title:
        fig.suptitle(title)
    return fig


def plot_stochastic_variation(draws: Tensor, std_map: Tensor | np.ndarray,
                              title: str | None = None) -> Figure:
    """Images ``draws (k, C, H, W)`` generated from one ``w`` with different noise, and
    the per-pixel standard deviation ``std_map (H, W)`` over many such draws (in the
    images' units), as a heat map with its colour bar."""
    _check_images("draws", draws)
    std = np.asarray(std_map, dtype=np.float64)
    if std.shape != tuple(draws.shape[2:]):
        raise ValueError(f"std_map must have shape {tuple(draws.shape[2:])} (H, W) like "
                         f"the draws; got {std.shape}")
    k = draws.shape[0]
    fig, axes = plt.subplots(1, k + 1, figsize=(1.3 * (k + 1) + 0.6, 1.6),
                             layout="constrained")
    for ax, image in zip(axes[:k], draws):
        _show(ax, image)
    axes[0].set_title("noise draws", loc="left", fontsize="small")
    shown = axes[k].imshow(std, cmap="magma", interpolation="nearest", vmin=0)
    axes[k].set_xticks([])
    axes[k].set_yticks([])
    axes[k].set_title("std over noise", fontsize="small")
    fig.colorbar(shown, ax=axes[k], shrink=0.8)
    if title:
        fig.suptitle(title)
    return fig


def plot_truncation_tradeoff(
    psis: Sequence[float],
    precision: Sequence[float],
    recall: Sequence[float],
    label: str = r"truncation in $\mathcal{W}$",
    ax: plt.Axes | None = None,
    style: str = "-",
) -> Figure:
    r"""Precision (orange) and recall (blue) against :math:`\psi`; call twice on one
    ``ax`` (with another ``style``) to compare two kinds of truncation."""
    psis = np.asarray(psis, dtype=np.float64)
    for name, values in (("precision", precision), ("recall", recall)):
        if np.asarray(values).shape != psis.shape:
            raise ValueError(f"{name} must have one value per psi ({len(psis)}); got "
                             f"shape {np.asarray(values).shape}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 3.4), layout="constrained")
    else:
        fig = ax.figure
    ax.plot(psis, precision, style + "o", color=FAKE_COLOR, label=f"precision, {label}")
    ax.plot(psis, recall, style + "s", color=REAL_COLOR, label=f"recall, {label}")
    ax.set_xlabel(r"$\psi$")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize="small")
    return fig
