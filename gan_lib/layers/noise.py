r"""Noise injection (Karras et al., 2019, "A style-based generator architecture for
GANs", Section 3.2).

Hair strands, freckles and pores are stochastic details: many arrangements are equally
plausible. Instead of making the network manufacture pseudo-randomness out of its
input, StyleGAN adds to every feature map a fresh single-channel Gaussian image,
scaled by a learned strength:

.. math:: x_{b,c,i,j} \leftarrow x_{b,c,i,j} + s_c\,n_{b,i,j}, \qquad
   n_{b,i,j} \sim \mathcal N(0, 1),

one noise image per sample, shared by all channels; StyleGAN learns one strength
:math:`s_c` per channel, StyleGAN2 a single scalar :math:`s` per layer. Both start at
:math:`s = 0`, so a fresh layer is the identity and the network turns the noise up
only where it helps.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class NoiseInjection(nn.Module):
    r"""Add learned-strength Gaussian noise: ``x + strength * noise``.

    ``forward(x: (B, C, H, W), noise: (B, 1, H, W) | (1, 1, H, W) | None)
    -> (B, C, H, W)``. Without ``noise``, a fresh one is drawn from torch's global
    random number generator (seed it with ``torch.manual_seed`` to reproduce); pass a
    fixed ``noise`` to hold the stochastic details still.

    Args:
        channels: C, the feature maps of the input.
        per_channel: one strength per channel (StyleGAN), or one scalar for the layer
            (StyleGAN2).

    Attributes:
        strength: :math:`s`, ``(C,)`` or ``()``, initialized to 0.
    """

    def __init__(self, channels: int, per_channel: bool = True) -> None:
        super().__init__()
        self.channels, self.per_channel = channels, per_channel
        # stylegan training/networks_stylegan.py: apply_noise, weight of
        # shape=[x.shape[1]] with initializer=tf.initializers.zeros();
        # stylegan2-ada-pytorch training/networks.py: SynthesisLayer,
        # noise_strength = torch.nn.Parameter(torch.zeros([]))
        shape = (channels,) if per_channel else ()
        self.strength = nn.Parameter(torch.zeros(shape))

    def forward(self, x: Tensor, noise: Tensor | None = None) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(
                f"NoiseInjection expects x of shape (B, {self.channels}, H, W); "
                f"got {tuple(x.shape)}"
            )
        batch, _, height, width = x.shape
        if noise is None:
            noise = torch.randn(batch, 1, height, width, device=x.device, dtype=x.dtype)
        elif noise.shape not in ((batch, 1, height, width), (1, 1, height, width)):
            raise ValueError(
                f"noise must have shape ({batch}, 1, {height}, {width}) or "
                f"(1, 1, {height}, {width}) for x of shape {tuple(x.shape)}; "
                f"got {tuple(noise.shape)}"
            )
        strength = self.strength.reshape(1, -1, 1, 1)  # (1, C or 1, 1, 1)
        return x + noise * strength

    def extra_repr(self) -> str:
        return f"channels={self.channels}, per_channel={self.per_channel}"
