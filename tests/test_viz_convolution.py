"""The convolution pictures and the image grids of gan_lib.viz (Chapter 6)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.patches import Rectangle

from gan_lib import viz


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def cell_labels(ax) -> list[int]:
    return [int(t.get_text()) for t in ax.texts]


def test_convolution_figure_draws_padded_input_and_labelled_output():
    fig = viz.plot_convolution(n=5, kernel_size=3, stride=2, padding=1, selected=(0, 0))
    inp, out = fig.axes
    cells = [p for p in inp.patches if isinstance(p, Rectangle)]
    assert len(cells) == 7 * 7 + 1  # the padded grid and the orange window
    # output 3 x 3, labelled by the number of real input cells each one reads
    assert cell_labels(out) == [4, 6, 4, 6, 9, 6, 4, 6, 4]


def test_transposed_figure_shows_the_checkerboard_counts():
    fig = viz.plot_convolution(
        n=3, kernel_size=3, stride=2, padding=1, output_padding=1, transposed=True
    )
    assert len(fig.axes) == 3
    counts = np.array(cell_labels(fig.axes[2])).reshape(6, 6)
    per_axis = np.array([1, 2, 1, 2, 1, 1])  # ceil((k - (u + p) mod s) / s), border
    assert (counts == np.outer(per_axis, per_axis)).all()
    even = viz.plot_convolution(
        n=3, kernel_size=4, stride=2, padding=1, transposed=True
    )
    counts = np.array(cell_labels(even.axes[2])).reshape(6, 6)
    assert (counts[1:-1, 1:-1] == 4).all()


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"selected": (3, 0)}, r"selected must be a \(row, col\) of the 3x3 output"),
        ({"output_padding": 1}, "only applies to a transposed"),
        ({"n": 1, "kernel_size": 5, "padding": 0}, "larger than the padded input"),
        ({"transposed": True, "output_padding": 2}, "smaller than stride"),
    ],
)
def test_convolution_figure_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_convolution(**kwargs)


def test_convolution_widget_builds_and_redraws():
    pytest.importorskip("ipywidgets")
    box = viz.convolution_widget()
    sliders = [w for row in box.children[:2] for w in row.children]
    assert [s.description for s in sliders][:4] == [
        "input side",
        "kernel",
        "stride",
        "padding",
    ]
    sliders[1].value = 5  # kernel 5 on a 5 x 5 input with padding 1: still valid
    sliders[0].value = 1  # 1 x 1 input, kernel 5, padding 1: no output, no exception


def test_image_grid_tiles_and_rescales():
    images = torch.stack([torch.full((1, 2, 3), v) for v in (-1.0, 0.0, 1.0)])
    grid = viz.image_grid(images, ncols=2, pad=1)
    assert grid.shape == (2 * 3 - 1, 2 * 4 - 1, 1)
    assert grid[0, 0, 0] == 0.0 and grid[0, 4, 0] == 0.5 and grid[3, 0, 0] == 1.0
    assert grid[2, 0, 0] == 1.0  # the white border row
    fig = viz.plot_image_rows([images, images[:2]], ["a", "b"])
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="one label per row"):
        viz.plot_image_rows([images], ["a", "b"])
    with pytest.raises(ValueError, match=r"\(N, 1 or 3, H, W\)"):
        viz.image_grid(torch.zeros(2, 2, 4, 4))
