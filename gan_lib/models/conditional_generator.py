r"""A class-conditional DCGAN generator ``G(z, y)`` (Mirza and Osindero, 2014).

``z: (B, z_dim)``, ``y: (B,)`` int64 in ``[0, num_classes)`` -> ``x: (B, C, R, R)``
in [-1, 1]. Two ways to feed the label in:

* ``conditioning="concat"`` (Mirza and Osindero, 2014): the one-hot label is
  concatenated to the latent, ``G([z, e_y])``; the rest is an unconditional DCGAN
  generator with batch norm.
* ``conditioning="cbn"`` (de Vries et al., 2017; the generator of Miyato and
  Koyama, 2018, and of BigGAN): the latent alone enters the network, and every
  batch norm is a :class:`~gan_lib.layers.ConditionalBatchNorm2d` whose scale and
  shift are chosen by ``y``, so the label acts at every resolution.

The body follows the DCGAN guidelines (Radford et al., 2016): a linear projection to
a ``4 x 4`` grid, transposed convolutions with kernel 4, stride 2, padding 1 that
double the side, (conditional) batch norm and ReLU after every hidden layer, ``tanh``
at the output, weights initialized from N(0, 0.02).
"""

from __future__ import annotations

import itertools
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib.layers import ConditionalBatchNorm2d
from gan_lib.layers.conditional_batch_norm import check_labels
from gan_lib.models.dcgan import feature_widths, up_conv
from gan_lib.models.registry import register

GeneratorConditioning = Literal["concat", "cbn"]
RESOLUTIONS = (16, 32, 64)


def check_architecture(
    num_classes: int, channels: int, resolution: int, width: int
) -> None:
    """Shared argument checks of the conditional generator and discriminator."""
    for name, value in (("num_classes", num_classes), ("channels", channels)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive int; got {width!r}")
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {RESOLUTIONS}; got {resolution!r}")


def init_weights_(module: nn.Module) -> None:
    """DCGAN initialization (Radford et al., 2016, Section 4), in place: conv and
    linear weights from N(0, 0.02), biases 0, affine batch-norm scales from
    N(1, 0.02). Unlike :func:`gan_lib.models.dcgan.dcgan_init_` it leaves
    non-affine norms and the tables of conditional batch norm (gamma = 1, beta = 0)
    and of label embeddings alone."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d) and layer.affine:
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


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
        if not isinstance(z_dim, int) or z_dim < 1:
            raise ValueError(f"z_dim must be a positive int; got {z_dim!r}")
        check_architecture(num_classes, channels, resolution, width)
        if conditioning not in ("concat", "cbn"):
            raise ValueError(
                f"conditioning must be 'concat' or 'cbn' for the generator; "
                f"got {conditioning!r}"
            )
        self.z_dim, self.num_classes = z_dim, num_classes
        self.channels, self.resolution = channels, resolution
        self.conditioning = conditioning
        cbn_classes = num_classes if conditioning == "cbn" else None
        n_blocks = resolution.bit_length() - 3  # 16 -> 2 (4, 8, 16), 32 -> 3
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
        init_weights_(self)  # N(0, 0.02); CBN tables keep gamma = 1, beta = 0

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        """``z: (B, z_dim)``, ``y: (B,)`` int64 -> ``(B, channels, R, R)`` in [-1, 1]."""
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(
                f"z must have shape (B, {self.z_dim}); got {tuple(z.shape)}"
            )
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
