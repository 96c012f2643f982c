r"""Class-conditional discriminators ``D(x, y)``: concatenation, projection, AC-GAN.

All three share an unconditional DCGAN trunk ``phi: x (B, C, R, R) -> (B, F)``
(``features``): strided convolutions (kernel 4, stride 2, padding 1) with LeakyReLU
0.2 down to a ``4 x 4`` grid, flattened. They differ in where the label enters:

* ``"concat"`` (Mirza and Osindero, 2014, who concatenate ``y`` to the input of an
  MLP; for a convolutional D the one-hot label is broadcast to ``K`` constant image
  planes and concatenated to ``x`` as extra input channels):
  ``T(x, y) = psi(phi([x, e_y]))``.
* ``"projection"`` (Miyato and Koyama, 2018, Section 3):
  ``T(x, y) = psi(phi(x)) + <embed(y), phi(x)>``, the form the log density ratio
  takes when the class posteriors are softmax-linear in ``phi(x)``.
* ``"auxiliary"`` (Odena et al., 2017, AC-GAN): two heads on ``phi(x)``, the
  realness logit ``psi(phi(x))`` and class logits ``W phi(x) + b`` of shape
  ``(B, K)``; ``forward`` returns both and reads ``y`` only to check it.

Every ``forward`` returns *logits* (never probabilities). The trunk has no batch norm:
a discriminator called on a real batch and a fake batch separately would normalize
each with its own statistics, which tells it which batch is which. ``spectral_norm``
normalizes every convolution, linear layer and the class embedding (Miyato et al.,
2018).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrizations

from gan_lib.layers.conditional_batch_norm import check_labels
from gan_lib.models.conditional_generator import check_architecture, init_weights_
from gan_lib.models.dcgan import DownBlock, feature_widths
from gan_lib.models.registry import register
from gan_lib.regularizers import spectral_norm as apply_spectral_norm

DiscriminatorConditioning = Literal["concat", "projection", "auxiliary"]


@register("conditional_discriminator")
class ConditionalDiscriminator(nn.Module):
    """Class-conditional DCGAN discriminator ``T(x, y)``.

    ``forward(x: (B, channels, R, R), y: (B,) int64)`` returns logits ``(B,)``, or
    ``(logits (B,), class_logits (B, K))`` for ``conditioning="auxiliary"``.
    ``features(x) -> (B, F)`` is the unconditional trunk ``phi`` (for ``"concat"``
    it is the trunk without the label planes, which the first convolution then sees
    as zeros), ``F = width * 2**(n - 1) * 16`` for ``n = log2(R / 4)`` blocks.

    Args:
        num_classes: K, the number of labels.
        channels: image channels.
        resolution: R: 16, 32 or 64.
        width: channels of the first convolution; they double at each block.
        conditioning: ``"concat"``, ``"projection"`` or ``"auxiliary"``.
        spectral_norm: spectrally normalize every weight (Miyato et al., 2018).
    """

    def __init__(
        self,
        num_classes: int = 10,
        channels: int = 1,
        resolution: int = 32,
        width: int = 32,
        conditioning: DiscriminatorConditioning = "projection",
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        check_architecture(num_classes, channels, resolution, width)
        if conditioning not in ("concat", "projection", "auxiliary"):
            raise ValueError(
                "conditioning must be 'concat', 'projection' or 'auxiliary' for the "
                f"discriminator; got {conditioning!r}"
            )
        self.num_classes, self.channels = num_classes, channels
        self.resolution, self.conditioning = resolution, conditioning
        n_blocks = resolution.bit_length() - 3  # 16 -> 2 blocks (8, 4), 32 -> 3
        widths = feature_widths(width, n_blocks)[::-1]  # [width, 2 width, ..]
        c_in = channels + (num_classes if conditioning == "concat" else 0)
        self.blocks = nn.Sequential(  # (B, c_in, R, R) -> (B, widths[-1], 4, 4)
            *(DownBlock(a, b, norm=None) for a, b in zip([c_in, *widths[:-1]], widths))
        )
        self.feature_dim = widths[-1] * 4 * 4  # F
        self.psi = nn.Linear(self.feature_dim, 1)  # the unconditional realness term
        if conditioning == "projection":
            self.embed = nn.Embedding(num_classes, self.feature_dim)  # rows: (K, F)
        if conditioning == "auxiliary":
            self.classifier = nn.Linear(self.feature_dim, num_classes)  # (F -> K)
        init_weights_(self)
        if conditioning == "projection":  # Glorot: entries of size ~ 1 / sqrt(F)
            nn.init.xavier_uniform_(self.embed.weight)
        if spectral_norm:
            apply_spectral_norm(self)  # convolutions and linear layers
            if conditioning == "projection":
                parametrizations.spectral_norm(self.embed)

    def _check_images(self, x: Tensor) -> None:
        expected = (self.channels, self.resolution, self.resolution)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"x must have shape (B, {', '.join(map(str, expected))}); "
                f"got {tuple(x.shape)}"
            )

    def _trunk(self, x: Tensor) -> Tensor:
        return self.blocks(x).flatten(1)  # (B, F)

    def features(self, x: Tensor) -> Tensor:
        """The unconditional trunk ``phi(x)``: ``(B, channels, R, R) -> (B, F)``."""
        self._check_images(x)
        if self.conditioning == "concat":  # label planes absent: zeros
            x = F.pad(x, (0, 0, 0, 0, 0, self.num_classes))  # (B, C + K, R, R)
        return self._trunk(x)

    def label_planes(self, y: Tensor) -> Tensor:
        """The label as ``K`` constant planes: ``(B,) -> (B, K, R, R)``, plane
        ``y_b`` of sample ``b`` all ones, the others zeros."""
        one_hot = F.one_hot(y, self.num_classes).float()  # (B, K)
        size = (y.shape[0], self.num_classes, self.resolution, self.resolution)
        return one_hot[:, :, None, None].expand(size)

    def forward(self, x: Tensor, y: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        """``x: (B, channels, R, R)``, ``y: (B,)`` -> logits ``(B,)`` (or, for
        ``"auxiliary"``, ``(logits (B,), class_logits (B, K))``)."""
        self._check_images(x)
        check_labels(y, x.shape[0], self.num_classes)
        if self.conditioning == "concat":
            planes = self.label_planes(y).to(x.dtype)  # (B, K, R, R)
            phi = self._trunk(torch.cat([x, planes], dim=1))  # (B, F)
            return self.psi(phi).squeeze(1)  # (B,)
        phi = self._trunk(x)  # (B, F)
        logits = self.psi(phi).squeeze(1)  # (B,): psi(phi(x))
        if self.conditioning == "projection":
            # Miyato and Koyama (2018), Section 3: + <embed(y), phi(x)>
            return logits + (self.embed(y) * phi).sum(dim=1)  # (B,)
        return logits, self.classifier(phi)  # (B,), (B, K)
