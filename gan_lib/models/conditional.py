r"""Class-conditional DCGANs: the generator ``G(z, y)``, the discriminators ``D(x, y)``.

Labels are ``y: (B,)`` int64 in ``[0, num_classes)``; images are ``(B, C, R, R)`` in
[-1, 1] with ``R`` one of 16, 32, 64. Both networks follow the DCGAN guidelines
(Radford et al., 2016): transposed (generator) or strided (discriminator)
convolutions with kernel 4, stride 2, padding 1 between ``4 x 4`` and ``R x R``,
weights initialized from N(0, 0.02) (:func:`~gan_lib.models.dcgan.dcgan_init_`).

**The generator** (Mirza and Osindero, 2014) has two ways to feed the label in:

* ``conditioning="concat"`` (Mirza and Osindero, 2014): the one-hot label is
  concatenated to the latent, ``G([z, e_y])``; the rest is an unconditional DCGAN
  generator with batch norm.
* ``conditioning="cbn"`` (de Vries et al., 2017; the generator of Miyato and
  Koyama, 2018, and of BigGAN): the latent alone enters the network, and every
  batch norm is a :class:`~gan_lib.layers.ConditionalBatchNorm2d` whose scale and
  shift are chosen by ``y``, so the label acts at every resolution.

Its body is a linear projection to a ``4 x 4`` grid, transposed convolutions that
double the side, (conditional) batch norm and ReLU after every hidden layer, ``tanh``
at the output.

**The discriminators** (concatenation, projection, AC-GAN) share an unconditional
DCGAN trunk ``phi: x (B, C, R, R) -> (B, F)`` (``features``): strided convolutions
with LeakyReLU 0.2 down to a ``4 x 4`` grid, flattened. They differ in where the
label enters:

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

import itertools
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrizations

from gan_lib.errors import check_positive_int
from gan_lib.layers import ConditionalBatchNorm2d
from gan_lib.layers.conditional_batch_norm import check_labels
from gan_lib.models.dcgan import (
    DownBlock,
    check_image_shape,
    check_latent,
    check_resolution,
    dcgan_init_,
    feature_widths,
    up_conv,
)
from gan_lib.models.registry import register
from gan_lib.regularizers import spectral_norm as apply_spectral_norm

GeneratorConditioning = Literal["concat", "cbn"]
DiscriminatorConditioning = Literal["concat", "projection", "auxiliary"]


def _check_architecture(
    num_classes: int, channels: int, resolution: int, width: int
) -> int:
    """Shared argument checks of the conditional generator and discriminator; returns
    the number of 2x stages between 4 x 4 and R x R (16 -> 2, 32 -> 3, 64 -> 4)."""
    for name, value in (
        ("num_classes", num_classes),
        ("channels", channels),
        ("width", width),
    ):
        check_positive_int(name, value)
    return check_resolution(resolution)


# --- the generator -------------------------------------------------------------------


class ConditionalUpBlock(nn.Module):
    """Transposed conv (k4 s2 p1: side x 2), batch norm (conditional or not), ReLU.

    The block of :class:`gan_lib.models.dcgan.UpBlock`, with a norm that may read
    the label.

    ``forward(h: (B, c_in, s, s), y: (B,)) -> (B, c_out, 2s, 2s)``.
    """

    def __init__(self, c_in: int, c_out: int, num_classes: int | None) -> None:
        super().__init__()
        # no bias: the (conditional) batch norm right after has its own shift
        self.conv = up_conv(c_in, c_out, "transposed", bias=False)
        self.norm: nn.Module = (
            nn.BatchNorm2d(c_out)
            if num_classes is None
            else ConditionalBatchNorm2d(c_out, num_classes)
        )

    def forward(self, h: Tensor, y: Tensor) -> Tensor:
        h = self.conv(h)  # (B, c_out, 2s, 2s)
        h = self.norm(h) if isinstance(self.norm, nn.BatchNorm2d) else self.norm(h, y)
        return F.relu(h)


@register("conditional_generator")
class ConditionalGenerator(nn.Module):
    """Class-conditional DCGAN generator ``G(z, y) -> (B, channels, R, R)``.

    Args:
        z_dim: latent dimension.
        num_classes: K, the number of labels.
        channels: image channels (1 for digits, 3 for colour).
        resolution: R, the image side: 16, 32 or 64.
        width: channels of the last hidden layer; they double at each coarser layer
            (``4 x 4`` has ``width * 2**(n - 1)`` for ``n = log2(R / 4)`` blocks).
        conditioning: ``"concat"`` (one-hot label concatenated to ``z``) or ``"cbn"``
            (conditional batch norm in every hidden layer).
    """

    def __init__(
        self,
        z_dim: int = 64,
        num_classes: int = 10,
        channels: int = 1,
        resolution: int = 32,
        width: int = 32,
        conditioning: GeneratorConditioning = "cbn",
    ) -> None:
        super().__init__()
        check_positive_int("z_dim", z_dim)
        n_blocks = _check_architecture(num_classes, channels, resolution, width)
        if conditioning not in get_args(GeneratorConditioning):
            raise ValueError(
                f"conditioning must be 'concat' or 'cbn' for the generator; "
                f"got {conditioning!r}"
            )
        self.z_dim, self.num_classes = z_dim, num_classes
        self.channels, self.resolution = channels, resolution
        self.conditioning = conditioning
        cbn_classes = num_classes if conditioning == "cbn" else None
        widths = feature_widths(width, n_blocks)  # [.., 2 width, width]
        in_dim = z_dim + (num_classes if conditioning == "concat" else 0)
        self.project = nn.Linear(in_dim, widths[0] * 4 * 4, bias=False)
        self.project_norm: nn.Module = (
            nn.BatchNorm2d(widths[0])
            if cbn_classes is None
            else ConditionalBatchNorm2d(widths[0], cbn_classes)
        )
        self.blocks = nn.ModuleList(
            ConditionalUpBlock(c_in, c_out, cbn_classes)
            for c_in, c_out in itertools.pairwise(widths)
        )
        # the last doubling goes straight to the image: no norm, tanh
        self.to_image = up_conv(widths[-1], channels, "transposed")
        dcgan_init_(self)  # N(0, 0.02); CBN tables keep gamma = 1, beta = 0

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        """``z: (B, z_dim)``, ``y: (B,)`` int64 -> ``(B, channels, R, R)`` in [-1, 1]."""
        check_latent(z, self.z_dim)
        check_labels(y, z.shape[0], self.num_classes)
        if self.conditioning == "concat":
            one_hot = F.one_hot(y, self.num_classes).to(z.dtype)  # (B, K)
            z = torch.cat([z, one_hot], dim=1)  # (B, z_dim + K)
        h = self.project(z).view(z.shape[0], -1, 4, 4)  # (B, widths[0], 4, 4)
        if self.conditioning == "cbn":
            h = self.project_norm(h, y)
        else:
            h = self.project_norm(h)
        h = F.relu(h)
        for block in self.blocks:
            h = block(h, y)  # side x 2 per block
        return torch.tanh(self.to_image(h))  # (B, channels, R, R)


# --- the discriminator ---------------------------------------------------------------


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
        n_blocks = _check_architecture(num_classes, channels, resolution, width)
        if conditioning not in get_args(DiscriminatorConditioning):
            raise ValueError(
                "conditioning must be 'concat', 'projection' or 'auxiliary' for the "
                f"discriminator; got {conditioning!r}"
            )
        self.num_classes, self.channels = num_classes, channels
        self.resolution, self.conditioning = resolution, conditioning
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
        dcgan_init_(self)
        if conditioning == "projection":  # Glorot: entries of size ~ 1 / sqrt(F)
            nn.init.xavier_uniform_(self.embed.weight)
        if spectral_norm:
            apply_spectral_norm(self)  # convolutions and linear layers
            if conditioning == "projection":
                parametrizations.spectral_norm(self.embed)

    def _trunk(self, x: Tensor) -> Tensor:
        return self.blocks(x).flatten(1)  # (B, F)

    def features(self, x: Tensor) -> Tensor:
        """The unconditional trunk ``phi(x)``: ``(B, channels, R, R) -> (B, F)``."""
        check_image_shape(x, self.channels, self.resolution)
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
        check_image_shape(x, self.channels, self.resolution)
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
