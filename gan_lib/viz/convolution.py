r"""Pictures of a convolution and a transposed convolution on a grid of cells
(Chapter 6), with the arithmetic of :mod:`gan_lib.conv_arithmetic`.

* :func:`plot_convolution` draws, for ``conv2d``, the padded input and the output,
  and the window of input cells that feeds a selected output cell; for
  ``conv_transpose2d``, the input, its zero-inserted and padded view (the direct
  stride-1 convolution it equals), and the output with the number of kernel taps
  that write each cell (the checkerboard when ``k`` is not a multiple of ``s``);
* :func:`convolution_widget` puts sliders for kernel, stride, padding, output
  padding and the selected cell in front of it (ipywidgets; imported on use).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from gan_lib import conv_arithmetic as ca

INPUT_COLOR = "#d9e8f5"  # a real input cell
ZERO_COLOR = "#f2f2f2"  # an inserted zero
PAD_COLOR = "#fbfbfb"  # a padding zero
FEED_COLOR = "tab:blue"  # input cells that feed the selected output cell
WINDOW_COLOR = "tab:orange"  # the kernel window / the selected output cell


def _cell(ax: Axes, row: int, col: int, face: str, edge: str = "0.6", **kw) -> None:
    ax.add_patch(Rectangle((col, row), 1, 1, facecolor=face, edgecolor=edge, **kw))


def _grid_axes(ax: Axes, side: int, title: str) -> None:
    ax.set_xlim(-0.2, side + 0.2)
    ax.set_ylim(side + 0.2, -0.2)  # row 0 at the top, like an image
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, fontsize=10)


def _window(ax: Axes, top: int, left: int, k: int) -> None:
    ax.add_patch(
        Rectangle((left, top), k, k, fill=False, edgecolor=WINDOW_COLOR, lw=2.5)
    )


def _draw_conv(axes: list[Axes], n: int, k: int, s: int, p: int, sel: tuple) -> None:
    m = ca.conv_output_size(n, k, s, p)
    feeds = ca.connectivity(n, k, s, p)[sel[0] * m + sel[1]].reshape(n, n)
    ax = axes[0]
    side = n + 2 * p
    for r in range(side):
        for c in range(side):
            inside = p <= r < p + n and p <= c < p + n
            if not inside:
                _cell(ax, r, c, PAD_COLOR, edge="0.8", ls="--")
            elif feeds[r - p, c - p]:
                _cell(ax, r, c, FEED_COLOR, alpha=0.7)
            else:
                _cell(ax, r, c, INPUT_COLOR)
    _window(ax, sel[0] * s, sel[1] * s, k)
    _grid_axes(ax, side, f"input {n}x{n}, padding {p} (dashed)")
    ax = axes[1]
    taps = ca.connectivity(n, k, s, p).sum(1).reshape(m, m)
    for r in range(m):
        for c in range(m):
            face = WINDOW_COLOR if (r, c) == sel else "white"
            _cell(ax, r, c, face)
            ax.text(c + 0.5, r + 0.5, int(taps[r, c]), ha="center", va="center")
    _grid_axes(
        ax,
        m,
        f"output {m}x{m} = floor(({n}+2*{p}-{k})/{s})+1\n(number: input cells read)",
    )


def _draw_transposed(
    axes: list[Axes], n: int, k: int, s: int, p: int, a: int, sel: tuple
) -> None:
    M = ca.conv_transpose_output_size(n, k, s, p, a)
    conn = ca.connectivity(n, k, s, p, a, transposed=True)  # (M*M, n*n)
    feeds = conn[sel[0] * M + sel[1]].reshape(n, n)
    ax = axes[0]
    for r in range(n):
        for c in range(n):
            _cell(ax, r, c, FEED_COLOR if feeds[r, c] else INPUT_COLOR, alpha=0.8)
    _grid_axes(ax, n, f"input {n}x{n}")
    # the zero-inserted, padded view: input cell i sits at row before + i * s
    ax = axes[1]
    before = k - p - 1
    side = M + k - 1  # a stride-1 "valid" convolution with k x k gives M
    for r in range(side):
        for c in range(side):
            i, j = r - before, c - before
            on_grid = 0 <= i <= (n - 1) * s and 0 <= j <= (n - 1) * s
            is_input = on_grid and i % s == 0 and j % s == 0
            if is_input:
                face = FEED_COLOR if feeds[i // s, j // s] else INPUT_COLOR
                _cell(ax, r, c, face, alpha=0.8)
            elif on_grid:
                _cell(ax, r, c, ZERO_COLOR)
            else:
                _cell(ax, r, c, PAD_COLOR, edge="0.8", ls="--")
    _window(ax, sel[0], sel[1], k)
    _grid_axes(
        ax,
        side,
        f"{s - 1} zero(s) inserted, padding {before} (+{a})\n"
        "stride-1 conv with the flipped kernel",
    )
    ax = axes[2]
    counts = ca.contribution_counts(n, k, s, p, a)
    top = max(int(counts.max()), 1)
    cmap = plt.get_cmap("Greys")
    for r in range(M):
        for c in range(M):
            face = cmap(0.15 + 0.5 * int(counts[r, c]) / top)
            _cell(ax, r, c, face)
            ax.text(c + 0.5, r + 0.5, int(counts[r, c]), ha="center", va="center")
    ax.add_patch(
        Rectangle((sel[1], sel[0]), 1, 1, fill=False, edgecolor=WINDOW_COLOR, lw=2.5)
    )
    _grid_axes(
        ax,
        M,
        f"output {M}x{M} = ({n}-1)*{s}-2*{p}+{k}+{a}\n(number: kernel taps written)",
    )


def plot_convolution(
    n: int = 5,
    kernel_size: int = 3,
    stride: int = 2,
    padding: int = 1,
    output_padding: int = 0,
    transposed: bool = False,
    selected: tuple[int, int] | None = None,
) -> Figure:
    """Draw a one-channel convolution (or transposed convolution) on grids.

    Args:
        n: side of the input grid.
        kernel_size, stride, padding: as in ``conv2d`` / ``conv_transpose2d``.
        output_padding: only for ``transposed=True`` (must be < stride).
        transposed: draw ``conv_transpose2d`` instead of ``conv2d``.
        selected: ``(row, col)`` of the output cell whose inputs are highlighted
            (blue cells, orange window); default: the output's centre cell.

    Returns:
        The figure: two panels (padded input, output) for a convolution, three
        (input, zero-inserted view, output with contribution counts) for a
        transposed one.
    """
    if transposed:
        m = ca.conv_transpose_output_size(
            n, kernel_size, stride, padding, output_padding
        )
    else:
        if output_padding:
            raise ValueError("output_padding only applies to a transposed convolution")
        m = ca.conv_output_size(n, kernel_size, stride, padding)
    selected = (m // 2, m // 2) if selected is None else tuple(selected)
    if len(selected) != 2 or not all(0 <= v < m for v in selected):
        raise ValueError(
            f"selected must be a (row, col) of the {m}x{m} output; got {selected}"
        )
    panels = 3 if transposed else 2
    fig, axes = plt.subplots(
        1, panels, figsize=(4.2 * panels, 4.4), layout="constrained"
    )
    axes = list(np.atleast_1d(axes))
    if transposed:
        _draw_transposed(
            axes, n, kernel_size, stride, padding, output_padding, selected
        )
        name = "conv_transpose2d"
    else:
        _draw_conv(axes, n, kernel_size, stride, padding, selected)
        name = "conv2d"
    fig.suptitle(
        f"{name}: k={kernel_size}, s={stride}, p={padding}"
        + (f", output_padding={output_padding}" if transposed else "")
        + f"; selected output cell {selected}"
    )
    return fig


def convolution_widget(
    n: int = 5,
    kernel_size: int = 3,
    stride: int = 2,
    padding: int = 1,
    output_padding: int = 0,
    transposed: bool = False,
):
    """Sliders in front of :func:`plot_convolution`; returns an ipywidgets ``VBox``
    to ``display``. A setting that has no valid output (a kernel larger than the
    padded input, ``output_padding >= stride``) prints why instead of drawing; the
    selected cell is moved inside the output when the output shrinks."""
    import ipywidgets as widgets  # imported on use: only notebooks need it
    from IPython.display import display

    def slider(value: int, lo: int, hi: int, label: str) -> widgets.IntSlider:
        return widgets.IntSlider(
            value=value, min=lo, max=hi, description=label, continuous_update=False
        )

    controls = {
        "n": slider(n, 1, 8, "input side"),
        "kernel_size": slider(kernel_size, 1, 5, "kernel"),
        "stride": slider(stride, 1, 3, "stride"),
        "padding": slider(padding, 0, 3, "padding"),
        "output_padding": slider(output_padding, 0, 2, "output pad"),
        "transposed": widgets.Checkbox(value=transposed, description="transposed"),
        "row": slider(0, 0, 15, "output row"),
        "col": slider(0, 0, 15, "output col"),
    }
    area = widgets.Output()

    def redraw(change: object = None) -> None:
        values = {key: control.value for key, control in controls.items()}
        row, col = values.pop("row"), values.pop("col")
        with area:
            area.clear_output(wait=True)
            try:
                if values["transposed"]:
                    m = ca.conv_transpose_output_size(
                        values["n"],
                        values["kernel_size"],
                        values["stride"],
                        values["padding"],
                        values["output_padding"],
                    )
                else:
                    values["output_padding"] = 0
                    m = ca.conv_output_size(
                        values["n"],
                        values["kernel_size"],
                        values["stride"],
                        values["padding"],
                    )
                fig = plot_convolution(
                    **values, selected=(min(row, m - 1), min(col, m - 1))
                )
            except ValueError as err:
                print(f"no output for this setting: {err}")
                return
            display(fig)
            plt.close(fig)

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox(
        [
            widgets.HBox(list(controls.values())[:4]),
            widgets.HBox(list(controls.values())[4:]),
            area,
        ]
    )
