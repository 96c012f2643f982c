r"""DCGAN: the all-convolutional generator and discriminator of Radford et al. (2016).

The guidelines of the paper (Section 3), and where each lives below:

* no pooling: the generator upsamples with fractionally-strided (transposed)
  convolutions, the discriminator downsamples with strided convolutions
  (:func:`up_conv`, :func:`down_conv`; kernel 4, stride 2, padding 1);
* BatchNorm (Ioffe & Szegedy, 2015) in both networks, except the generator's output
  layer and the discriminator's input layer;
* ReLU in the generator, tanh at its output; LeakyReLU with slope 0.2 in the
  discriminator;
* no fully connected hidden layers: the generator's first layer projects ``z`` to a
  4 x 4 map (a transposed convolution of a 1 x 1 input, i.e. a matrix product), the
  discriminator's last layer reads the flattened 4 x 4 map;
* weights drawn from :math:`\mathcal{N}(0, 0.02^2)`, BatchNorm scales from
  :math:`\mathcal{N}(1, 0.02^2)` (:func:`dcgan_init_`).

Two options the paper does not have: ``upsample="resize"`` replaces each transposed
convolution by nearest-neighbour upsampling and a 3 x 3 convolution (Odena et al.,
2016, "Deconvolution and checkerboard artifacts"), and ``spectral_norm=True``
normalizes every layer of the discriminator (Miyato et al., 2018) instead of using
BatchNorm.

The blocks :class:`UpBlock` and :class:`DownBlock` (and the bare convolutions
:func:`up_conv`, :func:`down_conv`, the initialization :func:`dcgan_init_` and the
checks :func:`check_resolution`, :func:`check_image_shape`) are public so that other
families (the conditional GANs of Chapter 7) build on them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise
from typing import Literal

from torch import Tensor, nn

from gan_lib.errors import check_positive_int
from gan_lib.models.registry import register
from gan_lib.regularizers import spectral_norm as apply_spectral_norm

Upsample = Literal["transposed", "resize"]
NormLayer = Callable[[int], nn.Module]  # channels -> a normalization module

RESOLUTIONS = (16, 32, 64)  # the image sides of the DCGAN family
LEAKY_SLOPE = 0.2  # Radford et al. (2016), Section 3


# --- helpers -------------------------------------------------------------------------


def check_resolution(resolution: int) -> int:
    """The number of 2x stages between 4 x 4 and ``resolution`` x ``resolution``;
    raises unless ``resolution`` is one of :data:`RESOLUTIONS`."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {RESOLUTIONS}; got {resolution!r}")
    return int(math.log2(resolution)) - 2  # 16 -> 2, 32 -> 3, 64 -> 4


def check_latent(z: Tensor, z_dim: int) -> None:
    """Raise unless ``z`` is a batch of latent codes ``(B, z_dim)``."""
    if z.dim() != 2 or z.shape[1] != z_dim:
        raise ValueError(f"z must have shape (B, {z_dim}); got {tuple(z.shape)}")


def check_image_shape(x: Tensor, channels: int, resolution: int) -> None:
    """Raise unless ``x`` is a batch ``(B, channels, resolution, resolution)``."""
    expected = (channels, resolution, resolution)
    if x.dim() != 4 or tuple(x.shape[1:]) != expected:
        raise ValueError(
            f"x must have shape (B, {', '.join(map(str, expected))}); "
            f"got {tuple(x.shape)}"
        )


def _check_channels(channels: int) -> None:
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grey) or 3 (RGB); got {channels!r}")


def dcgan_init_(module: nn.Module) -> nn.Module:
    r"""DCGAN initialization, in place (Radford et al., 2016, Section 4): every conv
    and linear weight :math:`\sim \mathcal{N}(0, 0.02^2)`, biases 0; every BatchNorm
    scale :math:`\gamma \sim \mathcal{N}(1, 0.02^2)`, shift 0. Returns ``module``."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and m.affine:  # affine=False: no gamma
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


# --- the two building blocks ---------------------------------------------------------


def up_conv(
    in_channels: int,
    out_channels: int,
    upsample: Upsample = "transposed",
    bias: bool = True,
) -> nn.Module:
    """A convolution that doubles the side: ``(B, in, H, W) -> (B, out, 2H, 2W)``.

    ``"transposed"``: ``ConvTranspose2d(k=4, s=2, p=1)``, output side
    ``(H - 1) * 2 - 2 * 1 + 4 = 2H`` (Dumoulin & Visin, 2016, Relationship 14).
    ``"resize"``: nearest-neighbour upsampling by 2, then ``Conv2d(k=3, s=1, p=1)``
    (Odena et al., 2016): every output pixel gets the same number of kernel taps, so
    no checkerboard.
    """
    if upsample == "transposed":
        return nn.ConvTranspose2d(in_channels, out_channels, 4, 2, 1, bias=bias)
    if upsample == "resize":
        return nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),  # (B, in, 2H, 2W)
            nn.Conv2d(in_channels, out_channels, 3, 1, 1, bias=bias),
        )
    raise ValueError(f"upsample must be 'transposed' or 'resize'; got {upsample!r}")


def down_conv(in_channels: int, out_channels: int, bias: bool = True) -> nn.Conv2d:
    """``Conv2d(k=4, s=2, p=1)``: ``(B, in, H, W) -> (B, out, H/2, W/2)``, since
    ``floor((H + 2 - 4) / 2) + 1 = H / 2`` for even ``H``."""
    return nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=bias)


class UpBlock(nn.Module):
    """Generator block: :func:`up_conv`, then a normalization, then ReLU.

    ``(B, in_channels, H, W) -> (B, out_channels, 2H, 2W)``.

    Args:
        in_channels, out_channels: feature maps in and out.
        upsample: ``"transposed"`` (DCGAN) or ``"resize"`` (Odena et al., 2016).
        norm: ``channels -> module`` applied after the convolution (default
            ``BatchNorm2d``); ``None`` for no normalization (the conv then has a
            bias, which BatchNorm would cancel).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        upsample: Upsample = "transposed",
        norm: NormLayer | None = nn.BatchNorm2d,
    ) -> None:
        super().__init__()
        self.conv = up_conv(in_channels, out_channels, upsample, bias=norm is None)
        self.norm = norm(out_channels) if norm is not None else nn.Identity()
        self.act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.norm(self.conv(x)))  # (B, out, 2H, 2W)


class DownBlock(nn.Module):
    """Discriminator block: :func:`down_conv`, then a normalization, then
    LeakyReLU(0.2).

    ``(B, in_channels, H, W) -> (B, out_channels, H/2, W/2)``.

    Args:
        in_channels, out_channels: feature maps in and out.
        norm: ``channels -> module`` after the convolution (default
            ``BatchNorm2d``); ``None`` for none (the first block of DCGAN, and every
            block of a spectrally normalized discriminator).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm: NormLayer | None = nn.BatchNorm2d,
    ) -> None:
        super().__init__()
        self.conv = down_conv(in_channels, out_channels, bias=norm is None)
        self.norm = norm(out_channels) if norm is not None else nn.Identity()
        self.act = nn.LeakyReLU(LEAKY_SLOPE)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.norm(self.conv(x)))  # (B, out, H/2, W/2)


def feature_widths(width: int, n_stages: int) -> list[int]:
    """Feature maps at the 4 x 4, 8 x 8, ... stages of a DCGAN generator:
    ``width * 2**(n_stages - 1)`` at 4 x 4, halving at each upsampling, ``width`` at
    the last hidden stage (the discriminator uses the same list reversed)."""
    return [width * 2 ** (n_stages - 1 - i) for i in range(n_stages)]


# --- the two networks ----------------------------------------------------------------


@register("dcgan_generator")
class DCGANGenerator(nn.Module):
    """DCGAN generator ``G: z (B, z_dim) -> x (B, channels, R, R)`` in [-1, 1].

    ``z`` is projected to ``(B, width * 2**(n-1), 4, 4)`` (a transposed convolution
    with kernel 4 of the 1 x 1 map ``z``), then ``n = log2(R) - 2`` upsampling
    stages double the side, the last one to ``channels`` maps with tanh.

    Args:
        z_dim: latent dimension (100 in the paper).
        channels: 1 (grey) or 3 (RGB).
        resolution: R, one of 16, 32, 64 (64 in the paper).
        width: feature maps of the last hidden stage (128 in the paper's LSUN model,
            64 in most reimplementations).
        upsample: ``"transposed"`` or ``"resize"``.
    """

    def __init__(
        self,
        z_dim: int = 100,
        channels: int = 1,
        resolution: int = 32,
        width: int = 64,
        upsample: Upsample = "transposed",
    ) -> None:
        super().__init__()
        check_positive_int("z_dim", z_dim)
        check_positive_int("width", width)
        _check_channels(channels)
        n_stages = check_resolution(resolution)
        up_conv(1, 1, upsample)  # rejects an unknown upsample early
        self.z_dim, self.channels, self.resolution = z_dim, channels, resolution
        widths = feature_widths(width, n_stages)  # e.g. [4w, 2w, w] for R = 32
        self.project = nn.Sequential(  # (B, z_dim, 1, 1) -> (B, widths[0], 4, 4)
            nn.ConvTranspose2d(z_dim, widths[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
        )
        self.blocks = nn.Sequential(
            *(UpBlock(a, b, upsample) for a, b in pairwise(widths))
        )
        self.to_image = nn.Sequential(  # no BatchNorm at the output
            up_conv(widths[-1], channels, upsample, bias=True),
            nn.Tanh(),
        )
        dcgan_init_(self)

    def forward(self, z: Tensor) -> Tensor:
        check_latent(z, self.z_dim)
        h = self.project(z[:, :, None, None])  # (B, 2^(n-1) w, 4, 4)
        h = self.blocks(h)  # (B, w, R/2, R/2)
        return self.to_image(h)  # (B, channels, R, R)


@register("dcgan_discriminator")
class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator ``T: x (B, channels, R, R) -> logits (B,)``.

    ``n = log2(R) - 2`` strided stages halve the side down to 4 x 4; ``features``
    returns that last map flattened, ``(B, 16 * width * 2**(n-1))``, and a linear
    layer (a 4 x 4 convolution of a 4 x 4 map) gives the logit.

    Args:
        channels: 1 or 3.
        resolution: R, one of 16, 32, 64.
        width: feature maps of the first stage (doubling at each stage).
        spectral_norm: spectral normalization of every layer (Miyato et al., 2018)
            and no BatchNorm.
        batch_norm: BatchNorm after the hidden convolutions (DCGAN's D). ``False``
            gives the critic of WGAN-GP (Gulrajani et al., 2017, Sec. 4), whose
            per-sample gradient penalty batch statistics would couple.
    """

    def __init__(
        self,
        channels: int = 1,
        resolution: int = 32,
        width: int = 64,
        spectral_norm: bool = False,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        check_positive_int("width", width)
        _check_channels(channels)
        n_stages = check_resolution(resolution)
        self.channels, self.resolution = channels, resolution
        widths = feature_widths(width, n_stages)[::-1]  # e.g. [w, 2w, 4w] for R = 32
        norm = nn.BatchNorm2d if batch_norm and not spectral_norm else None
        blocks = [DownBlock(channels, widths[0], norm=None)]  # no BN on the input
        blocks += [DownBlock(a, b, norm=norm) for a, b in pairwise(widths)]
        self.blocks = nn.Sequential(*blocks)  # (B, C, R, R) -> (B, widths[-1], 4, 4)
        self.feature_dim = 16 * widths[-1]
        self.head = nn.Linear(self.feature_dim, 1)
        dcgan_init_(self)
        if spectral_norm:  # after the init: the parametrization wraps those weights
            apply_spectral_norm(self)

    def features(self, x: Tensor) -> Tensor:
        """The last hidden activations: ``(B, C, R, R) -> (B, feature_dim)``."""
        check_image_shape(x, self.channels, self.resolution)
        return self.blocks(x).flatten(1)  # (B, 16 * widths[-1])

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)  # (B,) logits
