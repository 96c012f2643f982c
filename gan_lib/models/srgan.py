r"""SRGAN and ESRGAN: a generator that upsamples an image, and the discriminator
that judges the result (Ledig et al., 2017; Wang et al., 2018).

* :class:`SRResNet` (``"srresnet_generator"``): SRGAN's generator (Ledig et al.,
  2017, Fig. 4): a 9x9 convolution and PReLU, ``num_blocks`` residual blocks
  (:class:`SRResidualBlock`: conv-BN-PReLU-conv-BN plus the input), a 3x3 convolution
  with BN and a long skip from the first layer, then :math:`\log_2 s` sub-pixel
  upsampling blocks (:class:`~gan_lib.layers.SubPixelUpsample`, ICNR-initialized) and
  a 9x9 convolution to the image. ``block="rrdb"`` swaps in ESRGAN's trunk (Wang et
  al., 2018, Sec. 3.1): 3x3 first convolution, :class:`~gan_lib.layers.RRDB` blocks
  without batch norm, and the official code's upsampling (nearest-neighbour x2, a 3x3
  convolution and LeakyReLU 0.2, per stage; then two 3x3 convolutions).
  ``bicubic_residual=True`` adds the network's output to the bicubic upsampling of
  its input, so the network learns only the detail bicubic misses (a global residual
  as in VDSR, Kim et al., 2016; neither SRGAN nor ESRGAN has it: an option of this
  book that makes a small network useful after a few hundred steps).
* :class:`SRGANDiscriminator` (``"srgan_discriminator"``): eight 3x3 convolutions
  (widths 64, 64, 128, 128, 256, 256, 512, 512, every second one of stride 2, BN after
  all but the first, LeakyReLU 0.2), a dense layer of 1024, LeakyReLU, and one logit
  (Ledig et al., 2017, Fig. 4; the sigmoid lives in the loss).
* :func:`interpolate_networks`: ESRGAN's network interpolation (Wang et al., 2018,
  Sec. 3.4), :math:`\theta = (1 - \alpha)\theta_{PSNR} + \alpha\theta_{GAN}`.
"""

from __future__ import annotations

import copy
import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib.errors import check_int_at_least, check_positive_int
from gan_lib.layers.pixel_shuffle import SubPixelUpsample
from gan_lib.layers.rrdb import LEAKY_SLOPE, RRDB
from gan_lib.models.registry import register

Block = Literal["residual", "rrdb"]
DISCRIMINATOR_LEAKY_SLOPE = 0.2  # Ledig et al. (2017), Sec. 2.2: LeakyReLU alpha 0.2
DISCRIMINATOR_STRIDES = (1, 2, 1, 2, 1, 2, 1, 2)  # Fig. 4: k3n64s1 ... k3n512s2
DISCRIMINATOR_HIDDEN = 1024  # Fig. 4: Dense (1024)
RESIDUAL_INIT_SCALE = 0.1  # ours: the last layer's initial weights x 0.1 (as BasicSR
# scales ESRGAN's residual branches), so a fresh G(x) is bicubic plus a faint noise


def check_images_of(
    module: str, x: Tensor, channels: int, size: int | None = None
) -> None:
    """``x`` must be ``(B, channels, H, W)`` (with ``H = W = size`` when given)."""
    expected = f"(B, {channels}, {size or 'H'}, {size or 'W'})"
    bad = x.dim() != 4 or x.shape[1] != channels
    if size is not None:
        bad = bad or tuple(x.shape[-2:]) != (size, size)
    if bad or x.shape[0] == 0:
        raise ValueError(f"{module} expects images {expected}; got {tuple(x.shape)}")


# --- the generator --------------------------------------------------------------------


class SRResidualBlock(nn.Module):
    """SRGAN's residual block: ``x + BN(conv(PReLU(BN(conv(x)))))``, 3x3 convolutions
    with zero padding (Ledig et al., 2017, Fig. 4; after Gross and Wilber, 2016).

    ``forward(x: (B, C, H, W)) -> (B, C, H, W)``.
    """

    def __init__(self, channels: int = 64) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
            nn.PReLU(channels),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def esrgan_upsample(channels: int) -> nn.Sequential:
    """One x2 stage of ESRGAN's official upsampling: nearest x2, conv 3x3, LReLU 0.2
    (``RRDBNet_arch.py``: ``upconv1(F.interpolate(fea, scale_factor=2,
    mode='nearest'))``)."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(channels, channels, 3, padding=1),
        nn.LeakyReLU(LEAKY_SLOPE),
    )


@register("srresnet_generator")
class SRResNet(nn.Module):
    r"""The SRGAN / ESRGAN generator: ``forward(x_lr: (B, C, h, w)) -> (B, C, h s,
    w s)``.

    Args:
        in_channels: image channels ``C`` (3 for RGB, 1 for grey).
        upscale_factor: ``s``, a power of 2 (SRGAN and ESRGAN: 4).
        num_blocks: residual blocks in the trunk (SRGAN: 16; ESRGAN: 23 RRDBs).
        channels: the trunk's width (both papers: 64).
        block: ``"residual"`` for SRGAN's trunk (with BN), ``"rrdb"`` for ESRGAN's
            (RRDBs of growth ``channels // 2``, no BN, nearest-neighbour upsampling).
        bicubic_residual: return ``net(x) + bicubic_s(x)``.
    """

    def __init__(
        self,
        in_channels: int = 3,
        upscale_factor: int = 4,
        num_blocks: int = 16,
        channels: int = 64,
        block: Block = "residual",
        bicubic_residual: bool = True,
    ) -> None:
        super().__init__()
        check_positive_int("in_channels", in_channels)
        check_int_at_least("num_blocks", num_blocks, 1)
        check_int_at_least("channels", channels, 2)
        if (
            not isinstance(upscale_factor, int) or upscale_factor < 2
            or upscale_factor & (upscale_factor - 1)
        ):
            raise ValueError(
                f"upscale_factor must be a power of 2 (2, 4, 8, ...); got "
                f"{upscale_factor!r}"
            )
        if block not in ("residual", "rrdb"):
            raise ValueError(f"block must be 'residual' or 'rrdb'; got {block!r}")
        self.in_channels, self.upscale_factor = in_channels, upscale_factor
        self.block, self.bicubic_residual = block, bicubic_residual
        stages = int(math.log2(upscale_factor))
        if block == "residual":  # SRGAN, Fig. 4
            self.head = nn.Sequential(
                nn.Conv2d(in_channels, channels, 9, padding=4), nn.PReLU(channels)
            )
            self.trunk = nn.Sequential(
                *(SRResidualBlock(channels) for _ in range(num_blocks)),
                nn.Conv2d(channels, channels, 3, padding=1),
                nn.BatchNorm2d(channels),
            )
            self.upsample = nn.Sequential(
                *(SubPixelUpsample(channels, 2) for _ in range(stages))
            )
            self.tail = nn.Conv2d(channels, in_channels, 9, padding=4)
        else:  # ESRGAN, RRDBNet_arch.py
            self.head = nn.Conv2d(in_channels, channels, 3, padding=1)
            self.trunk = nn.Sequential(
                *(RRDB(channels, channels // 2) for _ in range(num_blocks)),
                nn.Conv2d(channels, channels, 3, padding=1),
            )
            self.upsample = nn.Sequential(
                *(esrgan_upsample(channels) for _ in range(stages))
            )
            self.tail = nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=1),
                nn.LeakyReLU(LEAKY_SLOPE),
                nn.Conv2d(channels, in_channels, 3, padding=1),
            )
        if bicubic_residual:  # start near the bicubic baseline, not at it: the
            with torch.no_grad():  # gradient still reaches every layer
                last = self.tail if block == "residual" else self.tail[-1]
                last.weight.mul_(RESIDUAL_INIT_SCALE)
                last.bias.zero_()

    def forward(self, x_lr: Tensor) -> Tensor:
        check_images_of("SRResNet", x_lr, self.in_channels)
        h = self.head(x_lr)  # (B, channels, h, w)
        h = h + self.trunk(h)  # the long skip of Fig. 4
        out = self.tail(self.upsample(h))  # (B, C, h s, w s)
        if self.bicubic_residual:
            out = out + F.interpolate(
                x_lr, scale_factor=self.upscale_factor, mode="bicubic",
                align_corners=False,
            )
        return out


# --- the discriminator ----------------------------------------------------------------


@register("srgan_discriminator")
class SRGANDiscriminator(nn.Module):
    """SRGAN's discriminator: ``forward(x: (B, C, S, S)) -> logits (B,)``.

    Args:
        in_channels: image channels ``C``.
        image_size: the side ``S`` of the (square) patches it judges (SRGAN: 96); a
            multiple of 16 (four stride-2 convolutions), since the dense layer reads
            the ``S/16 x S/16`` map.
        channels: the first width (SRGAN: 64), doubled every second convolution.
        hidden: the dense layer's width (SRGAN: 1024).
    """

    def __init__(
        self,
        in_channels: int = 3,
        image_size: int = 96,
        channels: int = 64,
        hidden: int = DISCRIMINATOR_HIDDEN,
    ) -> None:
        super().__init__()
        check_positive_int("in_channels", in_channels)
        check_positive_int("channels", channels)
        check_positive_int("hidden", hidden)
        if not isinstance(image_size, int) or image_size < 16 or image_size % 16:
            raise ValueError(
                f"image_size must be a multiple of 16 (four stride-2 convolutions); "
                f"got {image_size!r}"
            )
        self.in_channels, self.image_size = in_channels, image_size
        layers: list[nn.Module] = []
        width_in = in_channels
        for k, stride in enumerate(DISCRIMINATOR_STRIDES):
            width = channels * 2 ** (k // 2)  # 64, 64, 128, 128, 256, 256, 512, 512
            layers.append(nn.Conv2d(width_in, width, 3, stride=stride, padding=1))
            if k > 0:  # Fig. 4: no BN after the first convolution
                layers.append(nn.BatchNorm2d(width))
            layers.append(nn.LeakyReLU(DISCRIMINATOR_LEAKY_SLOPE))
            width_in = width
        self.features = nn.Sequential(*layers)
        side = image_size // 16
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(width_in * side * side, hidden),
            nn.LeakyReLU(DISCRIMINATOR_LEAKY_SLOPE),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        check_images_of("SRGANDiscriminator", x, self.in_channels, self.image_size)
        return self.classifier(self.features(x)).squeeze(1)  # (B,)


# --- network interpolation ------------------------------------------------------------


@torch.no_grad()
def interpolate_networks(
    psnr_model: nn.Module, gan_model: nn.Module, alpha: float
) -> nn.Module:
    r"""ESRGAN's network interpolation (Wang et al., 2018, Sec. 3.4, Eq. 7):
    a copy of ``psnr_model`` whose every floating-point parameter and buffer is

    .. math:: \theta = (1 - \alpha)\,\theta_{PSNR} + \alpha\,\theta_{GAN}.

    ``alpha = 0`` returns the PSNR model's values and ``alpha = 1`` the GAN model's,
    bitwise (copied, not computed); integer buffers (BN's step counter) are the PSNR
    model's. The two networks must have the same parameter names and shapes.
    """
    if not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number in [0, 1]; got {alpha!r}")
    start, end = psnr_model.state_dict(), gan_model.state_dict()
    if start.keys() != end.keys() or any(
        start[k].shape != end[k].shape for k in start
    ):
        raise ValueError(
            "network interpolation needs two networks of one architecture (same "
            "parameter names and shapes); got different state dicts"
        )
    mixed = {}
    for name, theta_psnr in start.items():
        theta_gan = end[name]
        if not theta_psnr.is_floating_point() or alpha == 0:
            mixed[name] = theta_psnr.clone()
        elif alpha == 1:
            mixed[name] = theta_gan.clone()
        else:
            mixed[name] = (1 - alpha) * theta_psnr + alpha * theta_gan
    model = copy.deepcopy(psnr_model)
    model.load_state_dict(mixed)
    return model
