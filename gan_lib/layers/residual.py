r"""The residual block of CycleGAN's generator (Zhu et al., 2017, appendix 7.2).

``Rk`` in the paper's notation: two 3 x 3 convolutions with ``k`` filters on the same
number of channels, each after a reflection padding of 1 and followed by instance
normalization, a ReLU between them, and the input added back,

.. math:: \mathrm{R}(x) = x + \mathrm{IN}(W_2 * \mathrm{pad}(\mathrm{ReLU}(
          \mathrm{IN}(W_1 * \mathrm{pad}(x))))),

the block of He et al. (2016) in the form Johnson et al. (2016) use for image
transformation networks. Reflection padding (rather than zeros) avoids the dark
border that zero padding stamps on every layer's output (the paper's appendix 7.2
uses it to reduce artifacts). The official code
(``models/networks.py``, ``ResnetBlock``) adds an optional dropout of 0.5 between the
convolutions, off by default for CycleGAN (``--no_dropout``).
"""

from __future__ import annotations

from typing import Literal

from torch import Tensor, nn

from gan_lib.errors import check_positive_int

Norm = Literal["instance", "batch", "none"]
PaddingMode = Literal["reflect", "replicate", "zeros"]
KERNEL = 3  # appendix 7.2: "two 3 x 3 convolutional layers"


def norm_layer(norm: Norm, channels: int) -> nn.Module:
    """Instance norm without affine parameters or running statistics (the official
    ``get_norm_layer("instance")``), batch norm, or nothing."""
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "none":
        return nn.Identity()
    raise ValueError(f"norm must be 'instance', 'batch' or 'none'; got {norm!r}")


def padding_layer(padding_mode: PaddingMode, size: int) -> nn.Module:
    """A padding of ``size`` pixels on every side: reflection, replication or
    zeros."""
    if padding_mode == "reflect":
        return nn.ReflectionPad2d(size)
    if padding_mode == "replicate":
        return nn.ReplicationPad2d(size)
    if padding_mode == "zeros":
        return nn.ZeroPad2d(size)
    raise ValueError(
        f"padding_mode must be 'reflect', 'replicate' or 'zeros'; got {padding_mode!r}"
    )


class ResidualBlock(nn.Module):
    """``x: (B, C, H, W) -> x + block(x): (B, C, H, W)`` (see the module docstring).

    Args:
        channels: ``C``, the channels in and out (256 in the paper's generator).
        padding_mode: ``"reflect"`` (the paper), ``"replicate"`` or ``"zeros"``.
        norm: ``"instance"`` (the paper), ``"batch"`` or ``"none"``.
        dropout: probability of the dropout between the two convolutions (0: none).
    """

    def __init__(
        self,
        channels: int,
        padding_mode: PaddingMode = "reflect",
        norm: Norm = "instance",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        check_positive_int("channels", channels)
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1); got {dropout!r}")
        self.channels = channels
        bias = norm != "batch"  # batch norm's shift makes a bias redundant
        layers: list[nn.Module] = [
            padding_layer(padding_mode, KERNEL // 2),
            nn.Conv2d(channels, channels, KERNEL, bias=bias),
            norm_layer(norm, channels),
            nn.ReLU(),
        ]
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers += [
            padding_layer(padding_mode, KERNEL // 2),
            nn.Conv2d(channels, channels, KERNEL, bias=bias),
            norm_layer(norm, channels),
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels:
            got = tuple(x.shape)
            raise ValueError(
                f"x must have shape (B, {self.channels}, H, W); got {got}"
            )
        return x + self.block(x)  # (B, C, H, W)
