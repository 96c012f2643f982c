r"""Pix2Pix: the U-Net generator and the PatchGAN discriminator of Isola et al. (2017).

* :class:`UNetGenerator` maps a source image to a target image of the same side. Its
  encoder halves the side ``log2(image_size)`` times, down to a 1 x 1 bottleneck (the
  256-pixel network of appendix 6.1.1 has 8 stages), and its decoder mirrors it with
  skip connections (:mod:`gan_lib.layers.unet`). It takes no ``z``: the paper's only
  noise is the dropout of the first three decoder stages (Section 3.1).
* :class:`PatchGAN` classifies every ``N x N`` patch of its input as real or fake
  and returns the map of patch logits (Section 3.2.2). ``N``, its receptive field,
  follows from the layer arithmetic (:func:`receptive_field`): 16, 34, 70 for 1, 2,
  3 stride-2 layers (the paper's Table 2 compares 1, 16, 70 and 286).

The conditional objective feeds the discriminator the source and the image
concatenated along the channels, so a pix2pix ``PatchGAN`` for grey -> colour has
``in_channels = 1 + 3`` (see :mod:`gan_lib.training.objectives.pix2pix`). CycleGAN
(Chapter 14) reuses :class:`PatchGAN` with ``norm="instance"``, unconditioned.

Weights start from :math:`\mathcal{N}(0, 0.02^2)` and BatchNorm scales from
:math:`\mathcal{N}(1, 0.02^2)` (the official code's ``init_type="normal"``,
``init_gain=0.02``, ``networks.py``; the same as DCGAN's).
"""

from __future__ import annotations

from typing import Literal

from torch import Tensor, nn

from gan_lib.errors import check_positive_int
from gan_lib.layers.unet import DROPOUT, LEAKY_SLOPE, UNetDown, UNetUp
from gan_lib.models.dcgan import dcgan_init_
from gan_lib.models.registry import register

PatchNorm = Literal["batch", "instance", "none"]

DROPOUT_STAGES = 3  # appendix 6.1.1: the first three decoder stages are "CD" stages
PATCH_KERNEL, PATCH_PADDING = 4, 1  # official NLayerDiscriminator: kw = 4, padw = 1
MAX_WIDTH_FACTOR = 8  # official NLayerDiscriminator: width ndf * min(2 ** n, 8)


# --- the receptive field -------------------------------------------------------------


def patch_layers(num_layers: int) -> list[tuple[int, int]]:
    """The ``(kernel, stride)`` of every convolution of a :class:`PatchGAN` with
    ``num_layers`` stride-2 layers, input to output: ``num_layers`` times ``(4, 2)``,
    then ``(4, 1)`` twice (the last hidden layer and the logit layer)."""
    check_positive_int("num_layers", num_layers)
    return [(PATCH_KERNEL, 2)] * num_layers + [(PATCH_KERNEL, 1)] * 2


def receptive_field(num_layers: int) -> int:
    r"""Side of the input patch one output logit of a :class:`PatchGAN` sees.

    Walk the convolutions from the output back to the input: one logit sees
    :math:`r_L = 1` position; a convolution of kernel :math:`k` and stride :math:`s`
    whose output window is :math:`r` wide reads :math:`r' = s (r - 1) + k` inputs.
    Two stride-1 layers give :math:`1 \to 4 \to 7`; each stride-2 layer then maps
    :math:`r \mapsto 2r + 2`: 16, 34, 70, 142, 286 for 1 to 5 layers.
    """
    r = 1
    for kernel, stride in reversed(patch_layers(num_layers)):
        r = stride * (r - 1) + kernel
    return r


# --- the discriminator ---------------------------------------------------------------


def _patch_norm(norm: PatchNorm, channels: int) -> nn.Module:
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":  # official: InstanceNorm2d(affine=False, no running stats)
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    return nn.Identity()


@register("patchgan_discriminator")
class PatchGAN(nn.Module):
    """The Markovian discriminator: one logit per ``receptive_field``-wide patch.

    ``num_layers`` stride-2 convolutions (widths ``base_channels * min(2**n, 8)``),
    one stride-1 convolution, and a stride-1 convolution to one channel; 4 x 4
    kernels, padding 1, LeakyReLU(0.2), a normalization after every convolution but
    the first and the last. ``(B, C, H, W) -> (B, 1, H', W')`` with
    ``H' = H / 2**num_layers - 2``.

    Args:
        in_channels: channels of the input (pix2pix: source + target channels).
        num_layers: stride-2 layers; 3 is the paper's 70 x 70 PatchGAN.
        base_channels: width of the first layer (the official ``ndf = 64``).
        norm: ``"batch"`` (pix2pix), ``"instance"`` (CycleGAN) or ``"none"``.
    """

    def __init__(
        self,
        in_channels: int,
        num_layers: int = 3,
        base_channels: int = 64,
        norm: PatchNorm = "batch",
    ) -> None:
        super().__init__()
        check_positive_int("in_channels", in_channels)
        check_positive_int("num_layers", num_layers)
        check_positive_int("base_channels", base_channels)
        if norm not in ("batch", "instance", "none"):
            raise ValueError(
                f"norm must be 'batch', 'instance' or 'none'; got {norm!r}"
            )
        self.in_channels, self.num_layers = in_channels, num_layers
        self.receptive_field: int = receptive_field(num_layers)
        widths = [in_channels] + [
            base_channels * min(2**n, MAX_WIDTH_FACTOR) for n in range(num_layers + 1)
        ]
        bias = norm != "batch"  # BatchNorm's shift makes a bias redundant
        layers: list[nn.Module] = []
        strides = [2] * num_layers + [1]
        for n, stride in enumerate(strides):
            first = n == 0
            layers.append(
                nn.Conv2d(
                    widths[n], widths[n + 1], PATCH_KERNEL, stride, PATCH_PADDING,
                    bias=first or bias,
                )
            )
            if not first:
                layers.append(_patch_norm(norm, widths[n + 1]))
            layers.append(nn.LeakyReLU(LEAKY_SLOPE))
        layers.append(nn.Conv2d(widths[-1], 1, PATCH_KERNEL, 1, PATCH_PADDING))
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    def output_size(self, size: int) -> int:
        """Side of the logit map for an input of side ``size``."""
        for kernel, stride in patch_layers(self.num_layers):
            size = (size + 2 * PATCH_PADDING - kernel) // stride + 1
        return size

    def forward(self, x: Tensor) -> Tensor:
        """``x: (B, in_channels, H, W) -> (B, 1, H', W')`` patch logits."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"x must have shape (B, {self.in_channels}, H, W); got {tuple(x.shape)}"
            )
        smallest = min(x.shape[2], x.shape[3])
        if self.output_size(smallest) < 1:
            raise ValueError(
                f"a {self.num_layers}-layer PatchGAN needs an input side of at least "
                f"{self.minimum_size()}; got {tuple(x.shape[2:])}"
            )
        return self.net(x)  # (B, 1, H', W')

    def minimum_size(self) -> int:
        """The smallest input side that yields a logit map of at least 1 x 1."""
        size = 1
        while self.output_size(size) < 1:
            size += 1
        return size


# --- the generator -------------------------------------------------------------------


def unet_depth(image_size: int) -> int:
    """``log2(image_size)``, the number of encoder stages down to 1 x 1; raises
    unless ``image_size`` is a power of two >= 4."""
    if (
        not isinstance(image_size, int)
        or isinstance(image_size, bool)
        or image_size < 4
        or image_size & (image_size - 1)
    ):
        raise ValueError(
            "image_size must be a power of two >= 4 (the U-Net halves it down to "
            f"1 x 1); got {image_size!r}"
        )
    return image_size.bit_length() - 1


@register("unet_generator")
class UNetGenerator(nn.Module):
    """The pix2pix generator: a U-Net from a source image to a target image.

    Encoder stage ``k`` (``k = 0 .. depth - 1``, ``depth = log2(image_size)``) has
    ``c_k = min(base_channels * 2**k, max_channels)`` filters and no BatchNorm at
    ``k = 0`` and at the 1 x 1 bottleneck ``k = depth - 1``. Decoder stage ``i``
    (from the bottleneck up) has ``c_{depth - 2 - i}`` filters and dropout in its
    first three stages; its output is concatenated with encoder stage
    ``depth - 2 - i``. A last transposed convolution to ``out_channels`` and tanh
    close it. At ``image_size = 256`` this is appendix 6.1.1's network:
    C64-C128-C256-C512-C512-C512-C512-C512 and CD512-CD512-CD512-C512-C256-C128-C64.

    The paper puts dropout in the first three decoder stages; the official code
    (``networks.py``, ``UnetGenerator``) puts it in the three stages after the
    first one. We follow the paper.

    Args:
        in_channels, out_channels: channels of the source and of the target.
        image_size: side of the (square) images, a power of two >= 4.
        base_channels: filters of the first encoder stage (the official ``ngf=64``).
        max_channels: cap on the filters of a stage (512 in the paper).
        dropout: dropout probability of the first three decoder stages (0.5).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        image_size: int,
        base_channels: int = 64,
        max_channels: int = 512,
        dropout: float = DROPOUT,
    ) -> None:
        super().__init__()
        check_positive_int("in_channels", in_channels)
        check_positive_int("out_channels", out_channels)
        check_positive_int("base_channels", base_channels)
        check_positive_int("max_channels", max_channels)
        depth = unet_depth(image_size)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.image_size, self.depth = image_size, depth
        widths = [min(base_channels * 2**k, max_channels) for k in range(depth)]
        self.encoder = nn.ModuleList(
            UNetDown(
                in_channels if k == 0 else widths[k - 1],
                widths[k],
                norm=0 < k < depth - 1,
            )
            for k in range(depth)
        )
        decoder = []
        for i in range(depth - 1):
            skip = depth - 2 - i  # the encoder stage at the same resolution
            in_ch = widths[depth - 1] if i == 0 else 2 * widths[skip + 1]
            decoder.append(
                UNetUp(in_ch, widths[skip], dropout if i < DROPOUT_STAGES else 0.0)
            )
        self.decoder = nn.ModuleList(decoder)
        self.to_image = nn.Sequential(
            nn.ConvTranspose2d(2 * widths[0], out_channels, 4, 2, 1),  # (B, C, S, S)
            nn.Tanh(),
        )
        dcgan_init_(self)

    def forward(self, x: Tensor) -> Tensor:
        """``x: (B, in_channels, S, S) -> (B, out_channels, S, S)`` in ``[-1, 1]``."""
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"x must have shape (B, {', '.join(map(str, expected))}); "
                f"got {tuple(x.shape)}"
            )
        skips = []
        h = x
        for stage in self.encoder:
            h = stage(h)  # (B, c_k, S / 2**(k+1), S / 2**(k+1))
            skips.append(h)
        skips.pop()  # the 1 x 1 bottleneck is h itself
        for stage in self.decoder:
            h = stage(h, skips.pop())  # (B, 2 c_skip, side, side)
        return self.to_image(h)  # (B, out_channels, S, S)
