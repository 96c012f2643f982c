r"""Sub-pixel convolution (Shi et al., 2016) and its ICNR initialization (Aitken et
al., 2017).

A sub-pixel convolution upsamples by :math:`s` in two moves: a convolution at the low
resolution makes :math:`C s^2` channels, then :class:`torch.nn.PixelShuffle` moves
them into space,

.. math:: y[c,\; h s + i,\; w s + j] = u[c s^2 + i s + j,\; h,\; w],
   \qquad 0 \le i, j < s,

a permutation of entries (nothing is added or weighed). Each of the :math:`s^2`
output phases :math:`(i, j)` thus has its own kernel. Initialized independently,
the phases disagree and the output carries an :math:`s`-periodic checkerboard.
**ICNR** ("initialized to convolution NN resize") draws only :math:`C` kernels and
copies each to its :math:`s^2` phases, so at initialization the layer equals a
convolution at the low resolution followed by nearest-neighbour upsampling: every
:math:`s \times s` output block is constant (Chapter 15 proves it).

SRGAN (Ledig et al., 2017, Fig. 4) upsamples with two such blocks of scale 2, each
a convolution, the shuffle and a PReLU: :class:`SubPixelUpsample`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from gan_lib.errors import check_int_at_least, check_positive_int

Initializer = Callable[[Tensor], Tensor]


@torch.no_grad()
def icnr_(
    weight: Tensor,
    upscale_factor: int,
    initializer: Initializer = nn.init.kaiming_normal_,
) -> Tensor:
    r"""ICNR, in place: ``weight (C s^2, C_in, k, k)`` made of ``C`` kernels drawn by
    ``initializer``, each repeated for the ``s^2`` consecutive output channels that
    :class:`~torch.nn.PixelShuffle` sends to one ``s x s`` block.

    Channel ``c s^2 + p`` (``p = i s + j``) holds kernel ``c`` for every phase ``p``,
    so :math:`u[c s^2 + p] = W_c * x` does not depend on ``p`` (Aitken et al., 2017,
    Sec. 3). Returns ``weight``.
    """
    check_int_at_least("upscale_factor", upscale_factor, 1)
    if weight.dim() < 2:
        raise ValueError(
            "icnr_ expects a convolution weight (C_out, C_in, ...); got shape "
            f"{tuple(weight.shape)}"
        )
    phases = upscale_factor**2
    out_channels = weight.shape[0]
    if out_channels % phases:
        raise ValueError(
            f"ICNR needs output channels divisible by upscale_factor**2 = {phases}; "
            f"got {out_channels}"
        )
    kernel = torch.empty(
        (out_channels // phases, *weight.shape[1:]),
        dtype=weight.dtype, device=weight.device,
    )  # (C, C_in, k, k)
    initializer(kernel)
    weight.copy_(kernel.repeat_interleave(phases, dim=0))  # (C s^2, C_in, k, k)
    return weight


class SubPixelUpsample(nn.Module):
    r"""SRGAN's upsampling block: conv 3x3 (``C -> C s^2``), PixelShuffle(s), PReLU.

    ``forward(x: (B, C, h, w)) -> (B, C, h s, w s)``. With ``icnr=True`` the
    convolution is ICNR-initialized (zero bias) so the block starts as a
    nearest-neighbour upsampling of a convolution, free of checkerboard. The PReLU has
    one slope per channel (initial slope 0.25, PyTorch's and SRGAN's default).
    """

    def __init__(
        self, in_channels: int, upscale_factor: int = 2, icnr: bool = True
    ) -> None:
        super().__init__()
        check_positive_int("in_channels", in_channels)
        check_int_at_least("upscale_factor", upscale_factor, 2)
        self.in_channels, self.upscale_factor = in_channels, upscale_factor
        self.conv = nn.Conv2d(
            in_channels, in_channels * upscale_factor**2, kernel_size=3, padding=1
        )
        self.shuffle = nn.PixelShuffle(upscale_factor)
        self.activation = nn.PReLU(in_channels)
        if icnr:
            icnr_(self.conv.weight, upscale_factor)
            nn.init.zeros_(self.conv.bias)  # a bias per phase would differ too

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"SubPixelUpsample expects (B, {self.in_channels}, h, w); got "
                f"{tuple(x.shape)}"
            )
        u = self.conv(x)  # (B, C s^2, h, w)
        return self.activation(self.shuffle(u))  # (B, C, h s, w s)
