r"""U-Net skip blocks: the encoder and decoder stages of the pix2pix generator.

A U-Net (Ronneberger et al., 2015) is an encoder-decoder whose decoder stage at each
resolution also receives the encoder's features at that resolution, concatenated
along the channels. Isola et al. (2017, Section 3.2.1 and appendix 6.1.1) use it for
image-to-image translation because input and output share their low-level structure
(edges, layout): the skips carry it across without squeezing it through the 1 x 1
bottleneck.

The two stages, in the appendix's notation (``Ck``: convolution with ``k`` filters,
BatchNorm, ReLU; ``CDk``: the same with 50 % dropout; every convolution 4 x 4 with
stride 2):

* :class:`UNetDown`, ``(B, C_in, H, W) -> (B, C_out, H/2, W/2)``: convolution,
  BatchNorm (absent in the first stage, appendix 6.1.1), LeakyReLU of slope 0.2
  (the encoder's activations leak, the decoder's do not);
* :class:`UNetUp`, ``(B, C_in, H, W) -> (B, C_out, 2H, 2W)``: transposed
  convolution, BatchNorm, dropout (the first three decoder stages), plain ReLU;
  :meth:`UNetUp.forward` concatenates the mirrored encoder output after it,
  ``(B, C_out + C_skip, 2H, 2W)``.

The stage at the 1 x 1 bottleneck has no BatchNorm: with one image per batch (the
paper's setting) BatchNorm of a single value per channel returns exactly its shift
and erases the code; the official code (``networks.py``, ``UnetSkipConnectionBlock``
with ``innermost=True``) drops the normalization there for the same reason.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

LEAKY_SLOPE = 0.2  # Isola et al. (2017), appendix 6.1.1: encoder ReLUs leak 0.2
DROPOUT = 0.5  # Isola et al. (2017), appendix 6.1.1: CDk layers drop 50 %
KERNEL, STRIDE, PADDING = 4, 2, 1  # appendix 6.1: 4 x 4 convolutions, stride 2


class UNetDown(nn.Module):
    """Encoder stage: ``Conv2d(4, 2, 1)`` -> BatchNorm (optional) -> LeakyReLU(0.2).

    ``(B, in_channels, H, W) -> (B, out_channels, H/2, W/2)``; the output side is
    ``floor((H + 2 - 4) / 2) + 1 = H / 2`` for even ``H``.

    Args:
        in_channels, out_channels: feature maps in and out.
        norm: BatchNorm after the convolution (then the convolution has no bias,
            which BatchNorm's shift would cancel).
    """

    def __init__(self, in_channels: int, out_channels: int, norm: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, KERNEL, STRIDE, PADDING, bias=not norm
        )
        self.norm = nn.BatchNorm2d(out_channels) if norm else nn.Identity()
        self.act = nn.LeakyReLU(LEAKY_SLOPE)

    def forward(self, x: Tensor) -> Tensor:
        """``x: (B, C_in, H, W) -> (B, C_out, H/2, W/2)``."""
        return self.act(self.norm(self.conv(x)))


class UNetUp(nn.Module):
    """Decoder stage: ``ConvTranspose2d(4, 2, 1)`` -> BatchNorm -> dropout -> ReLU,
    then the skip: concatenation with the mirrored encoder output.

    ``(B, in_channels, H, W), skip (B, C_skip, 2H, 2W) -> (B, out_channels + C_skip,
    2H, 2W)``; the transposed convolution's output side is
    ``(H - 1) * 2 - 2 + 4 = 2H``.

    Args:
        in_channels, out_channels: feature maps in and out of the convolution.
        dropout: dropout probability after the normalization (0: none).
    """

    def __init__(
        self, in_channels: int, out_channels: int, dropout: float = 0.0
    ) -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout!r}")
        self.conv = nn.ConvTranspose2d(
            in_channels, out_channels, KERNEL, STRIDE, PADDING, bias=False
        )
        self.norm = nn.BatchNorm2d(out_channels)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.act = nn.ReLU()

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        """``x: (B, C_in, H, W)``, ``skip: (B, C_skip, 2H, 2W)`` ->
        ``(B, C_out + C_skip, 2H, 2W)``."""
        h = self.act(self.dropout(self.norm(self.conv(x))))  # (B, C_out, 2H, 2W)
        return torch.cat([h, skip], dim=1)  # (B, C_out + C_skip, 2H, 2W)
