r"""Minibatch standard deviation (Karras et al., 2018, "Progressive growing of GANs",
Section 3).

A discriminator that looks at one sample at a time cannot tell a generator that
produces one good image from one that produces many: each sample alone is plausible.
Karras et al. give it one number that measures the variety of the minibatch:

1. split the batch into groups of :math:`S` = ``group_size`` samples (the book writes
   :math:`S` for the group size; :math:`G` is the generator);
2. in each group, for every feature (every channel and pixel of an image), compute the
   standard deviation over the group's samples,

   .. math:: s_{g,f} = \sqrt{\tfrac1S \textstyle\sum_{i \in g} (x_{i,f} - \bar x_{g,f})^2
      + \epsilon}, \qquad \bar x_{g,f} = \tfrac1S \textstyle\sum_{i \in g} x_{i,f};

3. average the :math:`s_{g,f}` over the features, one scalar :math:`s_g` per group;
4. append :math:`s_g` to every sample of group :math:`g` as one extra feature: an
   extra constant channel (``(B, C, H, W) -> (B, C + 1, H, W)``) for images, an extra
   coordinate (``(B, F) -> (B, F + 1)``) for vectors.

The variance is the *biased* one (divide by :math:`S`), with
:math:`\epsilon = 10^{-8}` inside the square root, as in the paper's code
(``minibatch_stddev_layer`` of ``progressive_growing_of_gans``), which keeps the
gradient finite when a group's samples coincide. Groups are strided: with ``M = B / S`` groups, sample ``i`` belongs
to group ``i mod M`` (the layout of the official code, which reshapes the batch to
``(S, M, ...)``).

A collapsed generator makes every :math:`s_g` small, and the discriminator can read
that directly; the generator, differentiating through :math:`s_g`, is pushed to spread
its samples.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

EPSILON = 1e-8  # inside the square root, as in Karras et al.'s code


def _check_group(x: Tensor, group_size: int | None) -> int:
    """The group size actually used: ``min(group_size, B)``, which must divide B."""
    if not isinstance(x, Tensor) or x.dim() not in (2, 4):
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(
            f"minibatch stddev expects vectors (B, F) or images (B, C, H, W); got {shape}"
        )
    batch = x.shape[0]
    if group_size is None:
        return batch
    if not isinstance(group_size, int) or group_size < 2:
        raise ValueError(f"group_size must be an int >= 2 or None; got {group_size!r}")
    group = min(group_size, batch)
    if batch % group != 0:
        raise ValueError(
            f"the batch size ({batch}) must be a multiple of group_size ({group}) "
            "for minibatch stddev"
        )
    return group


def minibatch_stddev(x: Tensor, group_size: int | None = 4) -> Tensor:
    r"""Append the mean over features of the per-group standard deviation.

    Args:
        x: ``(B, F)`` features or ``(B, C, H, W)`` images.
        group_size: S, the samples per group (4 in Karras et al.); the group is the
            whole batch when ``None`` or when ``B <= group_size``. B must be a
            multiple of ``min(S, B)``; a batch of one sample is refused (no spread).

    Returns:
        ``(B, F + 1)`` or ``(B, C + 1, H, W)``: ``x`` with the group statistic
        :math:`s_g` appended as the last feature or as a constant last channel.
    """
    group = _check_group(x, group_size)
    if group < 2:
        raise ValueError("minibatch stddev needs at least 2 samples; got a batch of 1")
    batch = x.shape[0]
    groups = batch // group  # M
    y = x.reshape(group, groups, *x.shape[1:])  # (S, M, ...): i -> (i // M, i % M)
    if y.dtype not in (torch.float32, torch.float64):
        y = y.float()  # the statistic in fp32 under bf16 / fp16 autocast
    y = y - y.mean(dim=0, keepdim=True)  # deviation from the group mean
    std = (y.square().mean(dim=0) + EPSILON).sqrt()  # (M, ...): biased variance
    s = std.flatten(1).mean(dim=1).to(x.dtype)  # (M,): one scalar per group
    s = s.repeat(group)  # (B,): sample i gets s[i mod M]
    if x.dim() == 2:
        return torch.cat([x, s[:, None]], dim=1)  # (B, F + 1)
    channel = s[:, None, None, None].expand(batch, 1, x.shape[2], x.shape[3])
    return torch.cat([x, channel], dim=1)  # (B, C + 1, H, W)


class MinibatchStdDev(nn.Module):
    """:func:`minibatch_stddev` as a layer (Karras et al., 2018), no parameters.

    ``(B, F) -> (B, F + 1)`` or ``(B, C, H, W) -> (B, C + 1, H, W)``.

    Args:
        group_size: samples per group (4 in the paper; ``None``: the whole batch).
    """

    # sample i's output depends on its group: a per-sample gradient penalty (R1,
    # WGAN-GP) is not defined for a discriminator holding this layer
    mixes_samples: ClassVar[bool] = True

    def __init__(self, group_size: int | None = 4) -> None:
        super().__init__()
        if group_size is not None and (
            not isinstance(group_size, int) or group_size < 2
        ):
            raise ValueError(
                f"group_size must be an int >= 2 or None; got {group_size!r}"
            )
        self.group_size = group_size

    def forward(self, x: Tensor) -> Tensor:
        return minibatch_stddev(x, self.group_size)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}"
