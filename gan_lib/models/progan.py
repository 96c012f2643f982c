r"""ProGAN: the growing generator and discriminator of Karras et al. (2018),
"Progressive growing of GANs for improved quality, stability, and variation".

Both networks are built whole, for the final resolution :math:`R`, and *run* only up to
their current **stage** :math:`s` (resolution :math:`4 \cdot 2^s`). When a stage is
added, its layers are faded in with a weight :math:`\alpha` that rises from 0 to 1:

* generator: :math:`x = (1 - \alpha)\,\mathrm{up}(\mathrm{toRGB}_{s-1}(h_{s-1}))
  + \alpha\,\mathrm{toRGB}_s(\mathrm{block}_s(h_{s-1}))`;
* discriminator: :math:`h = (1 - \alpha)\,\mathrm{fromRGB}_{s-1}(\mathrm{pool}(x))
  + \alpha\,\mathrm{block}_s(\mathrm{fromRGB}_s(x))`, then the older blocks.

At :math:`\alpha = 0`, right after growing, the new generator is the old one upsampled
(nearest neighbour) and the new discriminator is the old one on the average-pooled
image: growing changes nothing until the new layers have weight. ``up`` is nearest
neighbour and ``pool`` is 2 x 2 averaging, as in the official code (``upscale2d``,
``downscale2d`` of ``progressive_growing_of_gans/networks.py``).

The layers follow ``G_paper`` and ``D_paper`` of that file: equalized learning rate
everywhere (:mod:`gan_lib.layers.equalized`), pixel norm after every generator
convolution and on the latent (:mod:`gan_lib.layers.pixel_norm`), leaky ReLU 0.2,
nearest-neighbour upsampling then a 3 x 3 convolution, 3 x 3 convolutions then 2 x 2
average pooling, minibatch standard deviation (group 4) before the discriminator's
last block, and feature maps ``nf(k) = min(fmap_base / 2**k, fmap_max)``. We use the
non-fused up/down-sampling (the fused ones are an optimization of the same layers up to
the filter).

The stage is structure (which layers run), so it is a Python int saved in the
checkpoint as the modules' extra state and copied, not averaged, into the EMA
generator, with a flag saying whether a fade is on (outside a fade the old path is not
run at all); :math:`\alpha` is a buffer, also copied
(:func:`gan_lib.training.ema.update_ema`), so that a compiled network does not
recompile as it changes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib.errors import check_positive_int
from gan_lib.layers import EqualizedConv2d, EqualizedLinear, MinibatchStdDev, PixelNorm
from gan_lib.models.registry import register

LEAKY_SLOPE = 0.2  # networks.py: leaky_relu(x, alpha=0.2)
STDDEV_GROUP = 4  # networks.py: D_paper(mbstd_group_size=4)
DENSE_GAIN = math.sqrt(2) / 4  # networks.py G_paper, 4x4 Dense: "match the original
# Theano implementation"


def stage_count(resolution: int) -> int:
    """Stages from 4 x 4 to ``resolution`` (a power of two >= 8): 8 -> 2, 32 -> 4."""
    if not isinstance(resolution, int) or resolution < 8 or resolution & (resolution - 1):
        raise ValueError(f"resolution must be a power of two >= 8; got {resolution!r}")
    return int(math.log2(resolution)) - 1


def feature_maps(fmap_base: int, fmap_max: int, k: int) -> int:
    """``nf(k) = min(fmap_base / 2**k, fmap_max)`` (``G_paper``, ``fmap_decay`` 1)."""
    return min(fmap_base // 2**k, fmap_max)


class _Growing(nn.Module):
    """The stage and fade-in weight that G and D share."""

    def __init__(self, stages: int) -> None:
        super().__init__()
        self.stages, self.stage = stages, stages - 1  # built whole, fully grown
        self.fading = False  # whether the newest stage is being faded in
        self.register_buffer("alpha", torch.ones(()))

    def grow_to(self, stage: int, alpha: float = 1.0) -> None:
        """Run up to ``stage`` (0: 4 x 4), its newest layers weighted ``alpha``."""
        if not isinstance(stage, int) or not 0 <= stage < self.stages:
            raise ValueError(f"stage must be an int in [0, {self.stages}); got {stage!r}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1]; got {alpha!r}")
        self.stage, self.fading = stage, stage > 0 and alpha < 1.0
        self.alpha.fill_(alpha)  # a tensor: a fade does not recompile a compiled G

    @property
    def current_resolution(self) -> int:
        return 4 * 2**self.stage

    def get_extra_state(self) -> dict[str, int]:
        return {"stage": self.stage, "fading": int(self.fading)}

    def set_extra_state(self, state: dict[str, int]) -> None:
        self.stage, self.fading = int(state["stage"]), bool(state["fading"])


def _fade(old: Tensor, new: Tensor, alpha: Tensor) -> Tensor:
    """``old + alpha (new - old)``: exactly ``old`` at alpha = 0, affine in alpha."""
    return old + alpha.to(old.dtype) * (new - old)


def _conv(in_ch: int, out_ch: int, kernel: int = 3) -> nn.Sequential:
    """Equalized conv, bias, leaky ReLU 0.2 (``act(apply_bias(conv2d(...)))``)."""
    return nn.Sequential(EqualizedConv2d(in_ch, out_ch, kernel, padding=kernel // 2),
                         nn.LeakyReLU(LEAKY_SLOPE))


@register("progan_generator")
class ProGANGenerator(_Growing):
    """``G: z (B, z_dim) -> x (B, channels, r, r)``, ``r`` the current resolution.

    Args:
        z_dim: latent size (``nf(0)`` = 512 in the paper).
        channels: image channels.
        resolution: the final resolution R (a power of two >= 8).
        fmap_base, fmap_max: feature maps ``nf(k) = min(fmap_base / 2**k, fmap_max)``
            (8192 and 512 in the paper).
        normalize_latents: pixel norm on ``z`` (the paper's ``normalize_latents``).
    """

    def __init__(self, z_dim: int = 512, channels: int = 3, resolution: int = 32,
                 fmap_base: int = 8192, fmap_max: int = 512,
                 normalize_latents: bool = True) -> None:
        for name, value in (("z_dim", z_dim), ("channels", channels),
                            ("fmap_base", fmap_base), ("fmap_max", fmap_max)):
            check_positive_int(name, value)
        super().__init__(stage_count(resolution))
        self.z_dim, self.channels, self.resolution = z_dim, channels, resolution
        self.normalize_latents = normalize_latents
        nf = [feature_maps(fmap_base, fmap_max, k + 1) for k in range(self.stages)]
        self.pixel_norm = PixelNorm()
        # 4 x 4: dense to nf(1) * 16, reshaped; then a 3 x 3 convolution
        self.dense = EqualizedLinear(z_dim, nf[0] * 16, gain=DENSE_GAIN)
        self.first = _conv(nf[0], nf[0])
        self.blocks = nn.ModuleList(  # stage k >= 1: upsample, two 3 x 3 convolutions
            nn.ModuleList([_conv(nf[k - 1], nf[k]), _conv(nf[k], nf[k])])
            for k in range(1, self.stages)
        )
        self.to_rgb = nn.ModuleList(  # 1 x 1, gain 1, linear
            EqualizedConv2d(nf[k], channels, 1, gain=1.0) for k in range(self.stages)
        )

    def features(self, z: Tensor, stage: int) -> Tensor:
        """The activations ``h_stage`` (before toRGB) for the latent ``z``."""
        x = self.pixel_norm(z) if self.normalize_latents else z
        h = self.dense(x).view(z.shape[0], -1, 4, 4)
        h = self.pixel_norm(F.leaky_relu(h, LEAKY_SLOPE))
        h = self.pixel_norm(self.first(h))
        for k in range(1, stage + 1):
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            for conv in self.blocks[k - 1]:
                h = self.pixel_norm(conv(h))
        return h

    def forward(self, z: Tensor) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z must have shape (B, {self.z_dim}); got {tuple(z.shape)}")
        s = self.stage
        if not self.fading:
            return self.to_rgb[s](self.features(z, s))
        h_old = self.features(z, s - 1)
        h = F.interpolate(h_old, scale_factor=2, mode="nearest")
        for conv in self.blocks[s - 1]:
            h = self.pixel_norm(conv(h))
        old = F.interpolate(self.to_rgb[s - 1](h_old), scale_factor=2, mode="nearest")
        return _fade(old, self.to_rgb[s](h), self.alpha)


@register("progan_discriminator")
class ProGANDiscriminator(_Growing):
    """``T: x (B, channels, r, r) -> logits (B,)``, ``r`` the current resolution.

    Args:
        channels, resolution, fmap_base, fmap_max: as :class:`ProGANGenerator`.
        stddev_group: minibatch standard deviation group (4 in the paper; 0: none).
    """

    def __init__(self, channels: int = 3, resolution: int = 32, fmap_base: int = 8192,
                 fmap_max: int = 512, stddev_group: int = STDDEV_GROUP) -> None:
        for name, value in (("channels", channels), ("fmap_base", fmap_base),
                            ("fmap_max", fmap_max)):
            check_positive_int(name, value)
        super().__init__(stage_count(resolution))
        self.channels, self.resolution = channels, resolution
        nf = [feature_maps(fmap_base, fmap_max, k) for k in range(self.stages + 1)]
        # stage k reads nf(k + 1) maps at 4 * 2**k and hands nf(k) to stage k - 1
        self.from_rgb = nn.ModuleList(_conv(channels, nf[k + 1], 1)
                                      for k in range(self.stages))
        self.blocks = nn.ModuleList(  # stage k >= 1: two 3 x 3 convolutions, pool
            nn.Sequential(_conv(nf[k + 1], nf[k + 1]), _conv(nf[k + 1], nf[k]),
                          nn.AvgPool2d(2))
            for k in range(1, self.stages)
        )
        extra = 1 if stddev_group else 0
        self.stddev = MinibatchStdDev(stddev_group) if stddev_group else nn.Identity()
        self.last = nn.Sequential(  # 4 x 4: stddev, conv, dense nf(0), dense 1
            _conv(nf[1] + extra, nf[1]), nn.Flatten(),
            EqualizedLinear(nf[1] * 16, nf[0]), nn.LeakyReLU(LEAKY_SLOPE),
            EqualizedLinear(nf[0], 1, gain=1.0),
        )

    def forward(self, x: Tensor) -> Tensor:
        r = self.current_resolution
        if x.dim() != 4 or tuple(x.shape[1:]) != (self.channels, r, r):
            raise ValueError(
                f"x must have shape (B, {self.channels}, {r}, {r}) at stage "
                f"{self.stage}; got {tuple(x.shape)}"
            )
        s = self.stage
        h = self.from_rgb[s](x)
        if s > 0:
            h = self.blocks[s - 1](h)
            if self.fading:
                h = _fade(self.from_rgb[s - 1](F.avg_pool2d(x, 2)), h, self.alpha)
            for k in range(s - 1, 0, -1):
                h = self.blocks[k - 1](h)
        return self.last(self.stddev(h)).squeeze(1)
