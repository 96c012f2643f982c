r"""StyleGAN (Karras et al., 2019, "A style-based generator architecture for GANs")
and StyleGAN2 (Karras et al., 2020, "Analyzing and improving the image quality of
StyleGAN"): the style-based generators and StyleGAN2's residual discriminator.

A **mapping network** :math:`f` turns the latent :math:`z` into an intermediate
latent :math:`w = f(z)`; the **synthesis network** starts from a learned constant and
receives :math:`w` once per layer, as a style (AdaIN in StyleGAN, a modulated
convolution in StyleGAN2), plus per-pixel noise. ``synthesis(ws)`` takes one
:math:`w` per layer, ``ws: (B, num_ws, w_dim)``, so that the tricks are explicit:

* **truncation**: :math:`w' = \bar w + \psi (w - \bar w)`, :math:`\bar w` an EMA of
  :math:`w` kept during training (:meth:`MappingNetwork.truncate`);
* **style mixing**: layers before a crossover index get :math:`w_1`, the rest
  :math:`w_2` (:func:`mix_styles`), with probability 0.9 per batch in training.

Simplifications against the official code, each a filter choice, not a change of the
architecture: StyleGAN's generator upsamples by nearest neighbour without the
``[1, 2, 1]`` blur; StyleGAN2's generator upsamples features and RGB images
bilinearly (``align_corners=False``: the ``[1, 3, 3, 1]`` filter of the official
``upfirdn2d.upsample2d`` away from the border) where the official code uses a
transposed convolution then that FIR filter; the discriminator downsamples by 2 x 2
averaging where the official one filters with ``[1, 3, 3, 1]``. Equalized layers carry
their activation gain :math:`\sqrt 2` in the weight (as ProGAN,
:mod:`gan_lib.layers.equalized`), except StyleGAN2's synthesis layers, which multiply
by :math:`\sqrt 2` after the leaky ReLU as ``bias_act`` of stylegan2-ada-pytorch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib.errors import check_positive_int
from gan_lib.layers import (
    AdaIN,
    EqualizedConv2d,
    EqualizedLinear,
    MinibatchStdDev,
    ModulatedConv2d,
    NoiseInjection,
    PixelNorm,
)
from gan_lib.models.progan import feature_maps, stage_count
from gan_lib.models.registry import register

LEAKY_SLOPE = 0.2  # networks_stylegan.py: G_mapping / G_synthesis act 'lrelu', 0.2
# stylegan2-ada-pytorch networks.py: bias_act 'lrelu' def_gain = np.sqrt(2)
ACT_GAIN = math.sqrt(2)
# networks_stylegan.py: G_mapping(mapping_lrmul=0.01); ada-pytorch MappingNetwork
# (lr_multiplier=0.01)
MAPPING_LR_MULTIPLIER = 0.01
# networks_stylegan.py: G_style(dlatent_avg_beta=0.995); ada-pytorch MappingNetwork
# (w_avg_beta=0.995), w_avg.copy_(x.mean(dim=0).lerp(w_avg, w_avg_beta))
W_AVG_BETA = 0.995
# networks_stylegan.py: G_style(style_mixing_prob=0.9); ada-pytorch loss.py
# StyleGAN2Loss(style_mixing_prob=0.9)
STYLE_MIXING_PROB = 0.9
# ada-pytorch DiscriminatorEpilogue(mbstd_group_size=4, mbstd_num_channels=1)
STDDEV_GROUP = 4
RESIDUAL_GAIN = math.sqrt(0.5)  # ada-pytorch DiscriminatorBlock: gain=np.sqrt(0.5)


class MappingNetwork(nn.Module):
    r"""``f: z (B, z_dim) -> w (B, w_dim)``: pixel norm, then ``num_layers`` equalized
    dense layers with leaky ReLU 0.2 and learning-rate multiplier 0.01.

    In training mode (or with ``update_w_avg=True``) each call moves the buffer
    ``w_avg`` towards the batch mean: :math:`\bar w \leftarrow \beta \bar w + (1 -
    \beta)\,\mathrm{mean}_b\,w_b`, :math:`\beta = 0.995`.
    """

    def __init__(self, z_dim: int = 512, w_dim: int = 512, num_layers: int = 8,
                 lr_multiplier: float = MAPPING_LR_MULTIPLIER,
                 w_avg_beta: float = W_AVG_BETA) -> None:
        for name, value in (("z_dim", z_dim), ("w_dim", w_dim),
                            ("num_layers", num_layers)):
            check_positive_int(name, value)
        super().__init__()
        self.z_dim, self.w_dim, self.w_avg_beta = z_dim, w_dim, w_avg_beta
        layers: list[nn.Module] = [PixelNorm()]  # networks.py: normalize_2nd_moment(z)
        for k in range(num_layers):  # every layer, the last included, has the lrelu
            layers += [EqualizedLinear(z_dim if k == 0 else w_dim, w_dim,
                                       lr_multiplier=lr_multiplier),
                       nn.LeakyReLU(LEAKY_SLOPE)]
        self.net = nn.Sequential(*layers)
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: Tensor, update_w_avg: bool | None = None) -> Tensor:
        """``z (B, z_dim) -> w (B, w_dim)``; ``update_w_avg`` None: as in training."""
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(
                f"z must have shape (B, {self.z_dim}); got {tuple(z.shape)}")
        w = self.net(z)
        if self.training if update_w_avg is None else update_w_avg:
            with torch.no_grad():  # w_avg <- beta w_avg + (1 - beta) mean_b w_b
                self.w_avg.copy_(w.mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        return w

    def truncate(self, w: Tensor, psi: float, cutoff: int | None = None) -> Tensor:
        r""":math:`\bar w + \psi (w - \bar w)` for ``w: (B, w_dim)`` or ``(B, L,
        w_dim)``; with ``cutoff`` only the first ``cutoff`` layers of a ``(B, L,
        w_dim)`` are truncated (StyleGAN's ``truncation_cutoff``)."""
        truncated = self.w_avg + psi * (w - self.w_avg)
        if cutoff is None:
            return truncated
        if w.dim() != 3:
            raise ValueError(
                f"cutoff needs ws of shape (B, L, w_dim); got {tuple(w.shape)}")
        return torch.cat([truncated[:, :cutoff], w[:, cutoff:]], dim=1)


def mix_styles(ws: Tensor, ws2: Tensor, crossover: int | Tensor) -> Tensor:
    """Style mixing: layer ``l`` gets ``ws[:, l]`` if ``l < crossover``, else
    ``ws2[:, l]``; ``ws, ws2: (B, L, w_dim)``, ``crossover`` an int or a 0-d tensor
    (no Python branch on it, so a compiled generator does not break its graph)."""
    layer = torch.arange(ws.shape[1], device=ws.device)  # (L,)
    return torch.where((layer < crossover)[None, :, None], ws, ws2)  # (B, L, w_dim)


class _StyleGenerator(nn.Module):
    """What StyleGAN and StyleGAN2 share: the arguments, the mapping network,
    broadcast, style mixing and truncation; a subclass builds its synthesis layers
    in ``_build_synthesis`` and sets ``num_ws`` and ``num_noise``.

    Args:
        z_dim, w_dim: latent sizes (512 in the paper).
        channels: image channels.
        resolution: output resolution R, a power of two >= 8.
        fmap_base, fmap_max: feature maps ``min(fmap_base / 2**(log2 r - 1),
            fmap_max)`` at resolution r (8192 and 512: StyleGAN's G_synthesis).
        mapping_layers: depth of the mapping network (8).
        mapping_lr_multiplier: the mapping network's learning-rate multiplier (0.01,
            the paper's; a short run may raise it, see Chapter 10's checkpoint).
    """

    num_ws: int  # styles of ``synthesis``, one per styled layer
    num_noise: int  # noise inputs of ``synthesis``, one per convolution

    def __init__(self, z_dim: int = 512, w_dim: int = 512, channels: int = 3,
                 resolution: int = 32, fmap_base: int = 8192, fmap_max: int = 512,
                 mapping_layers: int = 8,
                 mapping_lr_multiplier: float = MAPPING_LR_MULTIPLIER) -> None:
        for name, value in (("channels", channels), ("fmap_base", fmap_base),
                            ("fmap_max", fmap_max)):
            check_positive_int(name, value)
        super().__init__()
        self.z_dim, self.w_dim, self.channels = z_dim, w_dim, channels
        self.resolution, self.stages = resolution, stage_count(resolution)
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers,
                                      lr_multiplier=mapping_lr_multiplier)
        # nf(res_log2 - 1) feature maps at resolution 2**res_log2, as G_synthesis
        nf = [feature_maps(fmap_base, fmap_max, k + 1) for k in range(self.stages)]
        self.const = nn.Parameter(torch.randn(nf[0], 4, 4))  # ada-pytorch: randn
        self._build_synthesis(nf)

    def _build_synthesis(self, nf: list[int]) -> None:
        raise NotImplementedError

    def _check_synthesis_inputs(self, ws: Tensor,
                                noise: Sequence[Tensor] | None) -> None:
        if ws.dim() != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must have shape (B, {self.num_ws}, {self.w_dim}); "
                             f"got {tuple(ws.shape)}")
        if noise is not None and len(noise) != self.num_noise:
            raise ValueError(f"noise must hold {self.num_noise} tensors, one per "
                             f"convolution; got {len(noise)}")

    def synthesis(self, ws: Tensor, noise: Sequence[Tensor] | None = None) -> Tensor:
        raise NotImplementedError

    def style_mixing(self, ws: Tensor,
                     mixing_prob: float = STYLE_MIXING_PROB) -> Tensor:
        """With probability ``mixing_prob``, one crossover for the batch drawn
        uniformly in ``[1, num_ws)`` and the layers from it on styled by the ``w`` of
        a fresh ``z2`` (drawn first, from torch's RNG); else ``ws`` unchanged.
        As ada-pytorch loss.py (``cutoff``) and G_style (``mixing_cutoff``)."""
        z2 = torch.randn(ws.shape[0], self.z_dim, device=ws.device, dtype=ws.dtype)
        w2 = self.mapping(z2, update_w_avg=False)[:, None]  # (B, 1, w_dim)
        crossover = torch.randint(1, self.num_ws, (), device=ws.device)
        mix = torch.rand((), device=ws.device) < mixing_prob
        crossover = torch.where(mix, crossover, torch.full_like(crossover, self.num_ws))
        return mix_styles(ws, w2.expand_as(ws), crossover)

    def forward(self, z: Tensor, psi: float = 1.0, mixing_prob: float = 0.0,
                noise: Sequence[Tensor] | None = None) -> Tensor:
        """``z (B, z_dim) -> x (B, channels, R, R)``: the same ``w = f(z)`` at every
        layer, style mixing with probability ``mixing_prob`` (0.9 in training),
        truncation ``psi`` (1: none), then :meth:`synthesis`."""
        w = self.mapping(z)
        ws = w[:, None].expand(-1, self.num_ws, -1)  # (B, num_ws, w_dim)
        if mixing_prob > 0:  # a Python float: no graph break
            ws = self.style_mixing(ws, mixing_prob)
        if psi != 1.0:
            ws = self.mapping.truncate(ws, psi)
        return self.synthesis(ws, noise)


class _AdaINLayer(nn.Module):
    """StyleGAN's layer: [upsample, 3x3 conv], noise, bias, lrelu, AdaIN(w).

    ``networks_stylegan.py`` G_synthesis ``layer_epilogue``: apply_noise, apply_bias,
    act, instance_norm, style_mod; the 4 x 4 input layer has no convolution.
    """

    def __init__(self, in_ch: int | None, out_ch: int, w_dim: int, up: bool) -> None:
        super().__init__()
        self.up = up
        self.conv = None if in_ch is None else EqualizedConv2d(in_ch, out_ch, 3,
                                                               padding=1, bias=False)
        self.noise = NoiseInjection(out_ch, per_channel=True)
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.adain = AdaIN(out_ch, w_dim)

    def forward(self, x: Tensor, w: Tensor, noise: Tensor | None) -> Tensor:
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        if self.conv is not None:
            x = self.conv(x)
        x = self.noise(x, noise) + self.bias[None, :, None, None]
        return self.adain(F.leaky_relu(x, LEAKY_SLOPE), w)


@register("stylegan_generator")
class StyleGANGenerator(_StyleGenerator):
    """StyleGAN: ``G: z (B, z_dim) -> x (B, channels, resolution, resolution)``.

    ``__init__(z_dim=512, w_dim=512, channels=3, resolution=32, fmap_base=8192,
    fmap_max=512, mapping_layers=8)``, as ``_StyleGenerator``.

    ``num_ws = 2 log2(R) - 2``: two styled layers per resolution. The constant input
    is drawn N(0, 1) (ada-pytorch's ``const``) where StyleGAN's is ones: a constant
    map has instance norm 0, which would leave the first layer's bias and scale
    without gradient.
    """

    def _build_synthesis(self, nf: list[int]) -> None:
        w_dim = self.w_dim
        layers = [_AdaINLayer(None, nf[0], w_dim, up=False),
                  _AdaINLayer(nf[0], nf[0], w_dim, up=False)]
        for k in range(1, self.stages):
            layers += [_AdaINLayer(nf[k - 1], nf[k], w_dim, up=True),
                       _AdaINLayer(nf[k], nf[k], w_dim, up=False)]
        self.layers = nn.ModuleList(layers)
        self.num_ws = self.num_noise = len(layers)
        # G_synthesis torgb: conv2d(x, fmaps=num_channels, kernel=1, gain=1)
        self.to_rgb = EqualizedConv2d(nf[-1], self.channels, 1, gain=1.0)

    def synthesis(self, ws: Tensor, noise: Sequence[Tensor] | None = None) -> Tensor:
        """``ws (B, num_ws, w_dim) -> x (B, channels, R, R)``; ``noise``: one
        ``(B or 1, 1, r, r)`` per layer, or None for fresh noise."""
        self._check_synthesis_inputs(ws, noise)
        x = self.const[None].expand(ws.shape[0], -1, -1, -1)  # (B, nf0, 4, 4)
        for k, layer in enumerate(self.layers):
            x = layer(x, ws[:, k], None if noise is None else noise[k])
        return self.to_rgb(x)


class _ModulatedLayer(nn.Module):
    """StyleGAN2's ``SynthesisLayer``: [upsample], modulated demodulated 3x3 conv,
    noise (scalar strength), bias, lrelu times sqrt(2)."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, up: bool) -> None:
        super().__init__()
        self.up = up
        self.conv = ModulatedConv2d(in_ch, out_ch, 3, w_dim, demodulate=True)
        self.noise = NoiseInjection(out_ch, per_channel=False)
        self.bias = nn.Parameter(torch.zeros(out_ch))

    def forward(self, x: Tensor, w: Tensor, noise: Tensor | None) -> Tensor:
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = self.noise(self.conv(x, w), noise) + self.bias[None, :, None, None]
        return F.leaky_relu(x, LEAKY_SLOPE) * ACT_GAIN


class _ToRGB(nn.Module):
    """StyleGAN2's ``ToRGBLayer``: modulated 1x1 conv, *not* demodulated, plus bias."""

    def __init__(self, in_ch: int, channels: int, w_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        return self.conv(x, w) + self.bias[None, :, None, None]


@register("stylegan2_generator")
class StyleGAN2Generator(_StyleGenerator):
    """StyleGAN2 (skip architecture): ``G: z (B, z_dim) -> x (B, channels, R, R)``.

    Arguments as :class:`StyleGANGenerator` (StyleGAN2 config F uses
    ``fmap_base`` 16384 in networks_stylegan2.py). Every resolution adds its toRGB
    output to the bilinearly upsampled image so far. ``num_ws = 2 log2(R) - 2``:
    as ada-pytorch ``SynthesisNetwork``, a block's toRGB shares its ``w`` with the
    next block's first convolution (``w_idx += block.num_conv``).
    """

    def _build_synthesis(self, nf: list[int]) -> None:
        w_dim = self.w_dim
        layers = [_ModulatedLayer(nf[0], nf[0], w_dim, up=False)]
        for k in range(1, self.stages):
            layers += [_ModulatedLayer(nf[k - 1], nf[k], w_dim, up=True),
                       _ModulatedLayer(nf[k], nf[k], w_dim, up=False)]
        self.layers = nn.ModuleList(layers)
        self.to_rgb = nn.ModuleList(_ToRGB(nf[k], self.channels, w_dim)
                                    for k in range(self.stages))
        self.num_noise = len(layers)
        self.num_ws = len(layers) + 1  # the last toRGB has a w of its own

    def synthesis(self, ws: Tensor, noise: Sequence[Tensor] | None = None) -> Tensor:
        """``ws (B, num_ws, w_dim) -> x (B, channels, R, R)``; ``noise``: one
        ``(B or 1, 1, r, r)`` per convolution, or None for fresh noise."""
        self._check_synthesis_inputs(ws, noise)
        x = self.const[None].expand(ws.shape[0], -1, -1, -1)  # (B, nf0, 4, 4)
        img = None
        for k, layer in enumerate(self.layers):  # layer k is styled by ws[:, k]
            x = layer(x, ws[:, k], None if noise is None else noise[k])
            if k % 2 == 0:  # the end of a resolution: add its RGB
                rgb = self.to_rgb[k // 2](x, ws[:, k + 1])  # (B, channels, r, r)
                if img is not None:
                    img = F.interpolate(img, scale_factor=2, mode="bilinear",
                                        align_corners=False)
                img = rgb if img is None else img + rgb
        return img


class _ResidualBlock(nn.Module):
    """``DiscriminatorBlock`` (resnet): ``(conv3(conv3(x)) pooled + conv1(x pooled))
    / sqrt(2)``, the 1x1 skip without bias or activation."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv0 = EqualizedConv2d(in_ch, in_ch, 3, padding=1)
        self.conv1 = EqualizedConv2d(in_ch, out_ch, 3, padding=1)
        self.skip = EqualizedConv2d(in_ch, out_ch, 1, bias=False, gain=1.0)

    def forward(self, x: Tensor) -> Tensor:
        skip = self.skip(F.avg_pool2d(x, 2))  # (B, out, r/2, r/2)
        h = F.leaky_relu(self.conv0(x), LEAKY_SLOPE)
        h = F.avg_pool2d(F.leaky_relu(self.conv1(h), LEAKY_SLOPE), 2)
        return (skip + h) * RESIDUAL_GAIN


@register("stylegan2_discriminator")
class StyleGAN2Discriminator(nn.Module):
    """StyleGAN2's residual ``T: x (B, channels, R, R) -> logits (B,)``.

    fromRGB (1x1, lrelu) at R, a residual block per resolution down to 4 x 4, then
    minibatch stddev (group ``stddev_group``, one feature; 0: none), 3x3 conv, dense,
    dense to one logit (ada-pytorch ``DiscriminatorEpilogue``). Holds
    :class:`~gan_lib.layers.MinibatchStdDev` (``mixes_samples``) when
    ``stddev_group`` > 0.
    """

    def __init__(self, channels: int = 3, resolution: int = 32, fmap_base: int = 8192,
                 fmap_max: int = 512, stddev_group: int = STDDEV_GROUP) -> None:
        for name, value in (("channels", channels), ("fmap_base", fmap_base),
                            ("fmap_max", fmap_max)):
            check_positive_int(name, value)
        super().__init__()
        stages = stage_count(resolution)
        self.channels, self.resolution = channels, resolution
        nf = [feature_maps(fmap_base, fmap_max, k + 1) for k in range(stages)]
        self.from_rgb = nn.Sequential(EqualizedConv2d(channels, nf[-1], 1),
                                      nn.LeakyReLU(LEAKY_SLOPE))
        self.blocks = nn.Sequential(*(_ResidualBlock(nf[k], nf[k - 1])
                                      for k in range(stages - 1, 0, -1)))
        self.stddev = MinibatchStdDev(stddev_group) if stddev_group else nn.Identity()
        extra = 1 if stddev_group else 0
        self.epilogue = nn.Sequential(
            EqualizedConv2d(nf[0] + extra, nf[0], 3, padding=1),
            nn.LeakyReLU(LEAKY_SLOPE), nn.Flatten(),
            EqualizedLinear(nf[0] * 16, nf[0]), nn.LeakyReLU(LEAKY_SLOPE),
            EqualizedLinear(nf[0], 1, gain=1.0),
        )

    def forward(self, x: Tensor) -> Tensor:
        r = self.resolution
        if x.dim() != 4 or tuple(x.shape[1:]) != (self.channels, r, r):
            raise ValueError(f"x must have shape (B, {self.channels}, {r}, {r}); "
                             f"got {tuple(x.shape)}")
        h = self.blocks(self.from_rgb(x))  # (B, nf0, 4, 4)
        return self.epilogue(self.stddev(h)).squeeze(1)
