r"""Figures the labs and theory pages share (one file per kind of figure).

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
* :func:`logits_at`: a discriminator evaluated at given points, as NumPy;
* :func:`plot_phase_portrait`: the vector field and trajectories of a two-parameter
  game (the Dirac GAN of Chapter 2);
* :func:`image_grid`, :func:`plot_image_grid`, :func:`plot_image_rows`: batches of
  images as grids, and one row per batch (samples over training, interpolations);
* :func:`plot_convolution`, :func:`convolution_widget`: a convolution or transposed
  convolution on grids of cells, with sliders (Chapter 6);
* :func:`plot_precision_recall_balls`: the k-nearest-neighbour balls with which
  precision and recall estimate the real and generated manifolds, in 2-D (Chapter 5);
* :func:`plot_style_mixing`, :func:`plot_stochastic_variation`,
  :func:`plot_truncation_tradeoff`: StyleGAN's analyses (Chapter 10).
"""

from gan_lib.viz.common import (
    D_COLOR,
    D_STAR_COLOR,
    FAKE_COLOR,
    REAL_COLOR,
    Critic,
    Extent,
    logits_at,
)
from gan_lib.viz.convolution import convolution_widget, plot_convolution
from gan_lib.viz.densities import plot_discriminator_1d, plot_logits_1d
from gan_lib.viz.dynamics import plot_phase_portrait
from gan_lib.viz.images import image_grid, plot_image_grid, plot_image_rows
from gan_lib.viz.metrics import plot_precision_recall_balls
from gan_lib.viz.samples import plot_samples_2d
from gan_lib.viz.progan import first_adam_step, plot_first_step, without_equalized_lr
from gan_lib.viz.stylegan2 import droplet_toy, plot_augmented_faces, plot_droplet_toy
from gan_lib.viz.stylegan import (
    plot_stochastic_variation,
    plot_style_mixing,
    plot_truncation_tradeoff,
)
from gan_lib.viz.training import (
    Frame,
    capture_frame,
    plot_curves,
    plot_frames,
    plot_losses,
)

__all__ = [
    "D_COLOR",
    "D_STAR_COLOR",
    "FAKE_COLOR",
    "REAL_COLOR",
    "Critic",
    "Extent",
    "Frame",
    "capture_frame",
    "droplet_toy",
    "convolution_widget",
    "image_grid",
    "logits_at",
    "first_adam_step",
    "plot_convolution",
    "plot_augmented_faces",
    "plot_curves",
    "plot_droplet_toy",
    "plot_discriminator_1d",
    "plot_frames",
    "plot_image_grid",
    "plot_image_rows",
    "plot_logits_1d",
    "plot_losses",
    "plot_phase_portrait",
    "plot_precision_recall_balls",
    "plot_samples_2d",
    "plot_stochastic_variation",
    "plot_style_mixing",
    "plot_truncation_tradeoff",
    "plot_first_step",
    "without_equalized_lr",
]
