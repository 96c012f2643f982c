"""Tests of gan_lib.viz: every figure draws what it says, and bad input fails early."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from gan_lib import models, training, viz
from gan_lib.viz import training as viz_training


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


class Affine(torch.nn.Module):
    """T(x) = w . x + c, a discriminator whose logits we know."""

    def __init__(self, w: list[float], c: float) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(w))
        self.c = torch.nn.Parameter(torch.tensor(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.w + self.c  # (N,)


def test_logits_at_evaluates_the_discriminator_exactly():
    D = Affine([2.0, -1.0], 0.5)
    points = np.array([[0.0, 0.0], [1.0, 2.0], [-1.0, 3.0]])
    np.testing.assert_allclose(viz.logits_at(D, points), [0.5, 0.5, -4.5])
    assert viz.logits_at(D, torch.zeros(5, 2), batch=2).shape == (5,)


def test_logits_at_reads_a_flat_array_as_1d_points():
    D = Affine([3.0], -1.0)
    np.testing.assert_allclose(viz.logits_at(D, np.array([0.0, 1.0])), [-1.0, 2.0])


def test_logits_at_refuses_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        viz.logits_at(Affine([1.0], 0.0), np.zeros((2, 1, 1)))


def test_plot_discriminator_1d_draws_densities_and_both_discriminators():
    x = np.linspace(-3, 3, 50)
    p, q = np.exp(-x**2), np.exp(-((x - 1) ** 2))
    fig = viz.plot_discriminator_1d(x, p, q, D=p / (p + q), D_star=p / (p + q))
    assert isinstance(fig, Figure)
    left, right = fig.axes  # densities, and a twin axis for D on [0, 1]
    assert len(left.lines) == 2 and len(right.lines) == 3  # 1/2 line, D*, D
    low, high = right.get_ylim()
    assert low < 0 and high > 1


def test_plot_discriminator_1d_draws_on_a_given_axis():
    fig, ax = plt.subplots()
    x = np.linspace(0, 1, 10)
    assert viz.plot_discriminator_1d(x, x, 1 - x, ax=ax) is fig


def test_plot_discriminator_1d_checks_shapes():
    x = np.linspace(0, 1, 10)
    with pytest.raises(ValueError, match="p_g"):
        viz.plot_discriminator_1d(x, x, x[:5])


def test_plot_logits_1d_needs_a_curve():
    with pytest.raises(ValueError, match="T, T_star"):
        viz.plot_logits_1d(np.linspace(0, 1, 10))
    fig = viz.plot_logits_1d(np.linspace(0, 1, 10), T_star=np.zeros(10))
    assert len(fig.axes[0].lines) == 2  # the zero line and T*


def test_plot_samples_2d_contours_the_discriminator():
    D = Affine([1.0, 0.0], 0.0)  # D > 1/2 exactly where x > 0
    fig = viz.plot_samples_2d(torch.randn(100, 2), D=D, centers=torch.zeros(1, 2),
                              real=np.zeros((10, 2)), resolution=20)
    ax = fig.axes[0]
    assert ax.collections, "no contour or scatter was drawn"
    assert ax.get_xlim() == (-1.5, 1.5)
    with pytest.raises(ValueError, match="extent"):
        viz.plot_samples_2d(np.zeros((3, 2)), extent=(1, 0, 0, 1))
    with pytest.raises(ValueError, match="samples"):
        viz.plot_samples_2d(np.zeros((3, 3)))


def test_plot_losses_smooths_and_draws_references():
    steps = list(range(1, 101))
    history = {"step": steps, "loss_D": [1.0] * 100, "loss_G": [0.5] * 100}
    fig = viz.plot_losses(history, smooth=10, reference={"log 4": np.log(4)})
    ax = fig.axes[0]
    assert len(ax.lines) == 5  # raw + smoothed for each player, one reference
    smoothed = ax.lines[1].get_ydata()
    np.testing.assert_allclose(smoothed, 1.0)  # the mean of constants is the constant


def test_plot_losses_accepts_a_discriminator_alone_and_refuses_bad_histories():
    viz.plot_losses({"step": [1, 2], "loss_D": [1.0, 0.9]}, smooth=1)
    with pytest.raises(KeyError, match="loss_D"):
        viz.plot_losses({"step": [1, 2]})
    with pytest.raises(ValueError, match="empty"):
        viz.plot_losses({"step": [], "loss_D": []})


def test_moving_average_matches_a_direct_computation():
    values = np.arange(10, dtype=float)
    expected = [values[max(0, i - 2) : i + 1].mean() for i in range(10)]
    np.testing.assert_allclose(viz_training._moving_average(values, 3), expected)


def test_capture_frame_in_1d_and_2d_and_plot_frames():
    torch.manual_seed(0)
    G1 = models.get("mlp_generator", z_dim=1, out_dim=1, hidden=8, n_layers=1)
    D1 = models.get("mlp_discriminator", in_dim=1, hidden=8, n_layers=1)
    frame = viz.capture_frame(training.Snapshot(0, G1, D1, G1), extent=(-2, 2),
                              n_samples=50, resolution=30)
    assert frame.dim == 1 and frame.samples.shape == (50, 1)
    assert frame.logits.shape == (30,)
    np.testing.assert_allclose(frame.logits, viz.logits_at(D1, frame.axes[0]))
    again = viz.capture_frame(training.Snapshot(1, G1, D1, G1), extent=(-2, 2),
                              n_samples=50, resolution=30)
    np.testing.assert_array_equal(frame.samples, again.samples)  # same latents
    fig = viz.plot_frames([frame, again], density=lambda x: np.exp(-(x**2)),
                          D_star=np.full(30, 0.5), ncols=2)
    assert sum(ax.get_visible() for ax in fig.axes if ax.get_title()) == 2

    G2 = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=8, n_layers=1)
    D2 = models.get("mlp_discriminator", in_dim=2, hidden=8, n_layers=1)
    frame2 = viz.capture_frame(training.Snapshot(0, G2, D2, G2),
                               extent=(-1, 1, -2, 2), n_samples=40, resolution=16)
    assert frame2.dim == 2 and frame2.logits.shape == (16, 16)
    fig = viz.plot_frames([frame2] * 3, centers=np.zeros((2, 2)), ncols=2)
    assert sum(ax.get_visible() for ax in fig.axes) == 3  # the fourth panel is hidden
    with pytest.raises(ValueError, match="same dimension"):
        viz.plot_frames([frame, frame2])
    with pytest.raises(ValueError, match="extent"):
        viz.capture_frame(training.Snapshot(0, G2, D2, G2), extent=(-1, 1))


def test_capture_frame_does_not_touch_the_global_rng():
    G = models.get("mlp_generator", z_dim=2, out_dim=2, hidden=8, n_layers=1)
    D = models.get("mlp_discriminator", in_dim=2, hidden=8, n_layers=1)
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    viz.capture_frame(training.Snapshot(0, G, D, G), extent=(-1, 1, -1, 1),
                      n_samples=10, resolution=4)
    assert torch.equal(torch.rand(3), expected)


def test_plot_curves():
    t = np.linspace(0.1, 1, 10)
    fig = viz.plot_curves(t, {"a": t, "b": t**2}, hlines={"1": 1.0}, yscale="log")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["a", "b", "1"]
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="shape"):
        viz.plot_curves(t, {"a": t[:3]})
    with pytest.raises(ValueError, match="at least one"):
        viz.plot_curves(t, {})


def test_plot_precision_recall_balls_draws_the_metric_s_balls():
    from matplotlib.patches import Circle

    from gan_lib import metrics

    rng = np.random.default_rng(0)
    real = rng.standard_normal((30, 2))
    fake = 0.6 * rng.standard_normal((25, 2)) + np.array([1.0, 0.0])
    k = 3
    fig = viz.plot_precision_recall_balls(real, fake, k=k)
    left, right = fig.axes[:2]
    for ax, centres in ((left, real), (right, fake)):
        circles = [p for p in ax.patches if isinstance(p, Circle)]
        assert len(circles) == len(centres)
        # each radius is the distance to the k-th nearest other point, by brute force
        d = np.sqrt(((centres[:, None] - centres[None]) ** 2).sum(-1))
        expected = np.sort(d, axis=1)[:, k]  # column 0 is the point itself
        np.testing.assert_allclose([c.radius for c in circles], expected, rtol=1e-12)
        np.testing.assert_allclose([c.center for c in circles], centres)
    precision, recall = metrics.precision_recall(real, fake, k)
    assert f"precision = {precision:.3f}" in left.get_title()
    assert f"recall = {recall:.3f}" in right.get_title()
    assert 0 < precision < 1 and 0 < recall < 1  # both kinds of point are drawn
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        viz.plot_precision_recall_balls(np.zeros((10, 3)), fake)
    with pytest.raises(ValueError, match="more than k"):
        viz.plot_precision_recall_balls(real[:3], fake, k=3)
