r"""ESRGAN's residual-in-residual dense block (Wang et al., 2018, Sec. 3.1, Fig. 4).

A :class:`ResidualDenseBlock` (after Zhang et al., 2018, "Residual Dense Network")
runs five 3x3 convolutions; the input of each is the concatenation of the block's
input and every earlier output (dense connections), the first four followed by a
LeakyReLU of slope 0.2. The fifth maps back to the block's width, and the block returns

.. math:: x + \beta\, \mathrm{conv}_5([x, f_1, f_2, f_3, f_4]), \qquad \beta = 0.2,

a *residual scaling* that keeps a deep trunk without batch norm stable at
initialization. :class:`RRDB` chains three dense blocks and scales their sum the same
way: :math:`x + \beta\, D_3(D_2(D_1(x)))`.

Constants, from the official code (``xinntao/ESRGAN``, ``RRDBNet_arch.py``; the same
in BasicSR, ``basicsr/archs/rrdbnet_arch.py``): width ``nf = 64``, growth
``gc = 32``, LeakyReLU slope 0.2, residual scale 0.2, and Kaiming-normal weights
scaled by 0.1 with zero biases (BasicSR ``default_init_weights(..., 0.1)``). No
batch norm anywhere (ESRGAN, Sec. 3.1: BN brings artifacts when the statistics of
training and testing differ).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gan_lib.errors import check_positive_int

RESIDUAL_SCALE = 0.2  # ESRGAN Sec. 3.1 / RRDBNet_arch.py: x5 * 0.2 + x
LEAKY_SLOPE = 0.2  # RRDBNet_arch.py: nn.LeakyReLU(negative_slope=0.2)
INIT_SCALE = 0.1  # BasicSR default_init_weights([...], 0.1)


def scaled_kaiming_(conv: nn.Conv2d, scale: float = INIT_SCALE) -> None:
    """Kaiming-normal weights times ``scale``, zero bias (BasicSR's init)."""
    with torch.no_grad():
        nn.init.kaiming_normal_(conv.weight)
        conv.weight.mul_(scale)
        if conv.bias is not None:
            conv.bias.zero_()


class ResidualDenseBlock(nn.Module):
    """Five densely connected 3x3 convolutions and a scaled residual.

    ``forward(x: (B, channels, H, W)) -> (B, channels, H, W)``.

    Args:
        channels: the block's width ``nf`` (ESRGAN: 64).
        growth: channels each of the first four convolutions adds, ``gc`` (32).
    """

    def __init__(self, channels: int = 64, growth: int = 32) -> None:
        super().__init__()
        check_positive_int("channels", channels)
        check_positive_int("growth", growth)
        self.channels = channels
        self.convs = nn.ModuleList(
            nn.Conv2d(channels + k * growth, growth if k < 4 else channels, 3,
                      padding=1)
            for k in range(5)
        )
        self.activation = nn.LeakyReLU(LEAKY_SLOPE)
        for conv in self.convs:
            scaled_kaiming_(conv)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(
                f"ResidualDenseBlock expects (B, {self.channels}, H, W); got "
                f"{tuple(x.shape)}"
            )
        features = [x]
        for conv in self.convs[:4]:
            features.append(self.activation(conv(torch.cat(features, dim=1))))
        out = self.convs[4](torch.cat(features, dim=1))  # (B, channels, H, W)
        return x + RESIDUAL_SCALE * out


class RRDB(nn.Module):
    """Residual in residual dense block: three :class:`ResidualDenseBlock` in a row,
    their output scaled by 0.2 and added to the input.

    ``forward(x: (B, channels, H, W)) -> (B, channels, H, W)``.
    """

    def __init__(self, channels: int = 64, growth: int = 32) -> None:
        super().__init__()
        self.blocks = nn.Sequential(
            *(ResidualDenseBlock(channels, growth) for _ in range(3))
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + RESIDUAL_SCALE * self.blocks(x)
