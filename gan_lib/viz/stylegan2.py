"""Figures of Chapter 11 (StyleGAN2 and limited data).

* :func:`droplet_toy` and :func:`plot_droplet_toy`: one spike in a feature map, seen
  through instance normalization (StyleGAN's AdaIN) and through a demodulated
  convolution (StyleGAN2): the first rescales the whole map, the second changes only
  the pixels within the kernel's reach;
* :func:`plot_augmented_faces`: faces through ADA's pipeline at several probabilities
  ``p``, and through DiffAugment.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import Tensor

from gan_lib.augmentation import AdaptiveAugment, DiffAugment
from gan_lib.layers.adain import adain
from gan_lib.layers.modulated_conv import modulated_conv2d
from gan_lib.viz.images import image_grid


def droplet_toy(size: int = 16, channels: int = 4, spike: float = 50.0,
                at: tuple[int, int] = (4, 4), seed: int = 0) -> dict[str, Tensor]:
    """A smooth random feature map ``x: (1, channels, size, size)`` (float64) and the
    same map with ``spike`` added at pixel ``at`` of channel 0; each seen through
    instance normalization (``in``, ``in_spike``: channel 0, ``(size, size)``) and
    through a demodulated 3x3 convolution with a random weight and style
    (``demod``, ``demod_spike``: output channel 0)."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(1, channels, size // 4, size // 4, generator=generator,
                        dtype=torch.float64)
    x = F.interpolate(noise, size=(size, size), mode="bicubic", align_corners=False)
    x_spike = x.clone()
    x_spike[0, 0, at[0], at[1]] += spike
    weight = torch.randn(channels, channels, 3, 3, generator=generator,
                         dtype=torch.float64)
    styles = torch.rand(1, channels, generator=generator, dtype=torch.float64) + 0.5
    ones, zeros = torch.ones(1, channels, dtype=torch.float64), torch.zeros(
        1, channels, dtype=torch.float64)
    out = {"x": x[0, 0], "x_spike": x_spike[0, 0]}
    for key, inp in (("", x), ("_spike", x_spike)):
        out["in" + key] = adain(inp, ones, zeros)[0, 0]  # instance norm, unit style
        out["demod" + key] = modulated_conv2d(inp, weight, styles)[0, 0]
    return out


def plot_droplet_toy(spike: float = 50.0) -> Figure:
    """Two rows (instance norm, demodulation) x three panels: without the spike, with
    it, and the absolute change."""
    maps = droplet_toy(spike=spike)
    fig, axes = plt.subplots(2, 3, figsize=(7.2, 4.8), layout="constrained")
    rows = (("in", "instance norm (StyleGAN)"),
            ("demod", "demodulated conv (StyleGAN2)"))
    for r, (key, name) in enumerate(rows):
        before, after = maps[key].numpy(), maps[key + "_spike"].numpy()
        lo, hi = before.min(), before.max()
        change = abs(after - before)
        change[4, 4] = float("nan")  # the spike's own pixel, off the colour scale
        panels = ((before, "no spike"), (after, f"spike {spike:g} at (4, 4)"),
                  (change, "|change| elsewhere"))
        for c, (img, title) in enumerate(panels):
            ax = axes[r, c]
            if c < 2:
                ax.imshow(img, cmap="viridis", vmin=lo, vmax=hi)
            else:
                top = max(1e-12, float(np.nanmax(img)))
                shown = ax.imshow(img, cmap="magma", vmin=0, vmax=top)
                fig.colorbar(shown, ax=ax, shrink=0.8)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title, fontsize="small")
        axes[r, 0].set_ylabel(name, fontsize="small")
    return fig


def plot_augmented_faces(n: int = 6, ps: tuple[float, ...] = (0.0, 0.3, 0.6, 1.0),
                         seed: int = 0) -> Figure:
    """Rows of the same ``n`` LFW faces (16 x 16) through ADA's pipeline
    (``"blit,color,cutout"``) at each ``p``, and a last row through DiffAugment
    (``"color,translation,cutout"``)."""
    from gan_lib.data import images as image_sets

    faces = image_sets.load("lfw_faces", 16, n=n).images
    rows, labels = [], []
    for p in ps:
        torch.manual_seed(seed)
        rows.append(AdaptiveAugment("blit,color,cutout", p=p)(faces))
        labels.append(f"ADA, p = {p:g}")
    torch.manual_seed(seed)
    rows.append(DiffAugment()(faces))
    labels.append("DiffAugment")
    fig, axes = plt.subplots(len(rows), 1, figsize=(0.75 * n + 1.6, 0.8 * len(rows)),
                             layout="constrained")
    for ax, row, label in zip(axes, rows, labels, strict=True):
        ax.imshow(image_grid(row.clamp(-1, 1), ncols=n)[..., 0], cmap="gray", vmin=0,
                  vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize="small")
    return fig
