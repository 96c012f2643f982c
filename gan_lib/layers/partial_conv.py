r"""Partial convolution (Liu et al., 2018, "Image Inpainting for Irregular Holes Using
Partial Convolutions", Eqs. 1-2): a convolution that sees only the valid pixels of
its window, re-weighted for how many there were, and a mask that grows.

With :math:`X` a window of the input, :math:`M` its binary mask (1 = valid) and
:math:`\mathbf 1` a window of ones,

.. math::
    x' = \begin{cases}
      W^\top (X \odot M)\,\dfrac{\mathrm{sum}(\mathbf 1)}{\mathrm{sum}(M)} + b
        & \text{if } \mathrm{sum}(M) > 0, \\
      0 & \text{otherwise,}
    \end{cases}
    \qquad
    m' = \begin{cases} 1 & \text{if } \mathrm{sum}(M) > 0, \\ 0 & \text{otherwise.}
    \end{cases}

Two identities follow and are tested: with an all-ones mask and no padding the layer
*is* the ordinary convolution (the ratio is 1), and after one layer every output
pixel whose window touched a valid pixel is valid, so a stride-1 ``k x k`` layer
shrinks a hole by :math:`(k - 1)/2` pixels on each side. With zero padding the padded
border counts as holes, so an all-ones mask is re-weighted at the border only (the
"partial convolution based padding" of Liu et al., 2018b).

The mask is one channel ``(B, 1, H, W)`` shared by every input channel, or one per
channel ``(B, C, H, W)``; :math:`\mathrm{sum}(\mathbf 1)` counts the window's entries
the mask covers (``k * k``, or ``C * k * k`` for a per-channel mask), as NVIDIA's
``partialconv2d.py`` does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class PartialConv2d(nn.Conv2d):
    """``forward(x: (B, C, H, W), mask: (B, 1 or C, H, W)) -> (x', mask')`` with the
    output size of the same :class:`torch.nn.Conv2d` (no dilation or groups)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.groups != 1 or self.dilation != (1, 1) or self.padding_mode != "zeros":
            raise ValueError(
                "PartialConv2d supports groups=1, dilation=1 and zero padding only; "
                f"got groups={self.groups}, dilation={self.dilation}, "
                f"padding_mode={self.padding_mode!r}"
            )

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"x must be (B, {self.in_channels}, H, W); got "
                             f"{tuple(x.shape)}")
        if (mask.dim() != 4 or mask.shape[0] != x.shape[0] or mask.shape[2:] != x.shape[2:]
                or mask.shape[1] not in (1, self.in_channels)):
            raise ValueError(
                f"mask must be (B, 1 or {self.in_channels}, H, W) matching x "
                f"{tuple(x.shape)}; got {tuple(mask.shape)}"
            )
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError("mask must be binary (1 = valid pixel, 0 = hole)")
        mask = mask.to(x.dtype)
        ones = torch.ones(1, mask.shape[1], *self.kernel_size, dtype=x.dtype,
                          device=x.device)
        with torch.no_grad():  # the mask is data, not a function of the weights
            valid = F.conv2d(mask, ones, stride=self.stride, padding=self.padding)
            window = float(ones.numel())  # sum(1): the entries the mask covers
            new_mask = (valid > 0).to(x.dtype)  # (B, 1, H', W')
            ratio = window / valid.clamp_min(1.0) * new_mask
        raw = F.conv2d(x * mask, self.weight, None, self.stride, self.padding)
        out = raw * ratio
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1) * new_mask
        return out, new_mask
