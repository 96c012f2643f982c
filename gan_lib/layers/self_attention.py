r"""Self-attention for convolutional GANs (SAGAN: Zhang et al., 2019,
"Self-attention generative adversarial networks"), as BigGAN uses it (Brock et al.,
2019).

A convolution sees a small neighbourhood; an image's parts constrain each other at
any distance (the two eyes of a face, the legs of a dog). A self-attention layer lets
every pixel read from every other one. With :math:`N = HW` pixels and ``1x1``
convolutions :math:`\theta, \phi, g, o`:

.. math::

    \beta = \operatorname{softmax}_j\big(\theta(x)_i^\top \phi(x)_j\big)
    \in \mathbb R^{N \times N/4}, \qquad
    y = x + \gamma\, o\Big(\textstyle\sum_j \beta_{ij}\, g(x)_j\Big),

where :math:`\theta, \phi` project to :math:`C/8` channels (queries and keys),
:math:`g` to :math:`C/2` (values) and :math:`o` back to :math:`C`; the keys and
values are 2x2 max-pooled (:math:`N/4` positions), which cuts the cost by four. The
gain :math:`\gamma` starts at 0: a fresh layer is the identity, and the network
learns how much non-local evidence to mix in. All four convolutions are spectrally
normalized and have no bias, as in BigGAN-PyTorch's ``Attention``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib.regularizers import spectral_norm as apply_spectral_norm

# BigGAN-PyTorch layers.py: Attention, theta/phi with ch // 8 channels, g with ch // 2,
# o from ch // 2 back to ch, all kernel_size=1, bias=False
KEY_REDUCTION = 8
VALUE_REDUCTION = 2
# BigGAN-PyTorch layers.py: Attention, F.max_pool2d(self.phi(x), [2,2]) (and g)
POOL = 2


class SelfAttention(nn.Module):
    r"""SAGAN self-attention block with a residual gain :math:`\gamma` (init 0).

    ``forward(x: (B, C, H, W)) -> (B, C, H, W)``, ``H`` and ``W`` even (the keys
    and values are 2x2 max-pooled).

    Args:
        channels: C, a multiple of 8.
        spectral_norm: spectrally normalize the four convolutions (Miyato et al.,
            2018), as BigGAN does in both networks.

    Attributes:
        theta, phi: queries and keys, ``1x1`` convolutions ``C -> C/8``.
        g: values, ``C -> C/2``.
        o: output, ``C/2 -> C``.
        gamma: :math:`\gamma`, a scalar initialized to 0.
    """

    def __init__(self, channels: int, spectral_norm: bool = True) -> None:
        super().__init__()
        if channels % KEY_REDUCTION != 0:
            raise ValueError(
                f"SelfAttention needs channels divisible by {KEY_REDUCTION}; "
                f"got {channels}"
            )
        self.channels = channels
        key_channels = channels // KEY_REDUCTION
        value_channels = channels // VALUE_REDUCTION
        self.theta = nn.Conv2d(channels, key_channels, kernel_size=1, bias=False)
        self.phi = nn.Conv2d(channels, key_channels, kernel_size=1, bias=False)
        self.g = nn.Conv2d(channels, value_channels, kernel_size=1, bias=False)
        self.o = nn.Conv2d(value_channels, channels, kernel_size=1, bias=False)
        # BigGAN-PyTorch layers.py: Attention, self.gamma = P(torch.tensor(0.))
        self.gamma = nn.Parameter(torch.tensor(0.0))
        if spectral_norm:
            apply_spectral_norm(self)  # the four convolutions; gamma stays free

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(
                f"SelfAttention expects x of shape (B, {self.channels}, H, W); "
                f"got {tuple(x.shape)}"
            )
        batch, channels, height, width = x.shape
        if height % POOL or width % POOL:
            raise ValueError(
                f"SelfAttention needs even H and W (2x2 pooling); got {height}x{width}"
            )
        queries = self.theta(x).flatten(2)  # (B, C/8, N)
        keys = F.max_pool2d(self.phi(x), POOL).flatten(2)  # (B, C/8, N/4)
        values = F.max_pool2d(self.g(x), POOL).flatten(2)  # (B, C/2, N/4)
        beta = torch.softmax(queries.transpose(1, 2) @ keys, dim=-1)  # (B, N, N/4)
        attended = values @ beta.transpose(1, 2)  # (B, C/2, N)
        attended = attended.reshape(batch, -1, height, width)  # (B, C/2, H, W)
        return x + self.gamma * self.o(attended)  # (B, C, H, W)

    def extra_repr(self) -> str:
        return f"channels={self.channels}"
