r"""BigGAN (Brock et al., 2019, "Large scale GAN training for high fidelity natural
image synthesis"): a small class-conditional generator and projection discriminator.

Constants and layer order follow the authors' code, ajbrock/BigGAN-PyTorch
(``BigGAN.py``: ``G_arch``, ``D_arch``, ``Generator``, ``Discriminator``;
``layers.py``: ``ccbn``, ``GBlock``, ``DBlock``); comments cite them.

**The generator** ``G(z, y)`` starts from a linear layer onto a ``4 x 4`` grid and
doubles the side in residual up-blocks
``x -> conv3x3(ReLU(BN(conv3x3(up(ReLU(BN(x))))))) + conv1x1(up(x))``. Its batch
norms are *class-conditional* in BigGAN's way (:class:`ClassConditionalBatchNorm2d`):
a shared class embedding ``e(y)`` (``G.shared``), concatenated with one chunk of
``z``, is mapped by two linear layers to each norm's gain and bias,

.. math::

    \mathrm{ccbn}(h, c) = \big(1 + W_\gamma c\big) \odot \hat h + W_\beta c,
    \qquad c = [e(y), z_\ell].

With the *hierarchical* latent, ``z`` is split into ``n + 1`` equal chunks for ``n``
blocks: the first feeds the linear input layer, chunk ``l`` the norms of block ``l``
(Brock et al., 2019, Section 4 and Appendix B). A SAGAN self-attention layer
(:class:`~gan_lib.layers.SelfAttention`) follows the block at
``attention_resolution``; then BN, ReLU, conv3x3 and ``tanh``.

**The discriminator** ``T(x, y)`` runs residual down-blocks, self-attention, ReLU and
a global *sum* pool to features ``h = phi(x)``, and returns the projection logit
(Miyato and Koyama, 2018)

.. math::

    T(x, y) = w^\top h + b + \langle \mathrm{embed}(y), h \rangle .

Every convolution and linear layer of both networks is spectrally normalized
(Miyato et al., 2018; BigGAN, Section 4, uses it in G as well), as is D's class
embedding; G's shared embedding is not (BigGAN.py: "For some reason applying SN to
G's embedding seems to randomly cripple G"). Weights start orthogonal (Saxe et
al., 2014; BigGAN.py ``init_weights``, ``G_init='ortho'``).

One departure: the official ``Generator.forward`` takes ``y`` already embedded
(``G.shared(y)``, for class interpolation); here ``forward(z, y)`` takes labels,
like every conditional model of the book, and embeds them itself.
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrizations

from gan_lib.errors import check_int_at_least, check_positive_int
from gan_lib.layers import SelfAttention
from gan_lib.layers.conditional_batch_norm import check_labels
from gan_lib.models.dcgan import check_image_shape, check_latent
from gan_lib.models.registry import register
from gan_lib.regularizers import spectral_norm as apply_spectral_norm

BOTTOM_WIDTH = 4  # BigGAN.py Generator: bottom_width=4, the side of the first grid
# Channel multipliers of ``width`` (BigGAN.py: G_ch=64, D_ch=64), from the 4 x 4 grid
# to the last block. 32: G_arch[32] in_channels [4, 4, 4], out_channels [4, 4, 4];
# 64: G_arch[64] in [16, 16, 8, 4], out [16, 8, 4, 2]. 16 is not in the official
# code: the 32 architecture with one block fewer.
G_MULTIPLIERS = {16: (4, 4, 4), 32: (4, 4, 4, 4), 64: (16, 16, 8, 4, 2)}
# D: output multipliers of each block and whether it halves the side.
# D_arch[32]: out [4, 4, 4, 4], downsample [True, True, False, False];
# D_arch[64]: out [1, 2, 4, 8, 16], downsample [True] * 4 + [False]. 16: not official,
# D_arch[32] with one downsampling block fewer.
D_ARCHITECTURES = {
    16: ((4, 4, 4), (True, False, False)),
    32: ((4, 4, 4, 4), (True, True, False, False)),
    64: ((1, 2, 4, 8, 16), (True, True, True, True, False)),
}
BN_EPS = 1e-5  # BigGAN.py Generator: BN_eps=1e-5
BN_MOMENTUM = 0.1  # layers.py ccbn: F.batch_norm(..., self.training, 0.1, self.eps)


def conv3x3(c_in: int, c_out: int) -> nn.Conv2d:
    """BigGAN.py ``which_conv``: kernel_size=3, padding=1 (side kept), with bias."""
    return nn.Conv2d(c_in, c_out, kernel_size=3, padding=1)


def conv1x1(c_in: int, c_out: int) -> nn.Conv2d:
    """layers.py ``GBlock``/``DBlock`` ``conv_sc``: the learnable 1x1 shortcut."""
    return nn.Conv2d(c_in, c_out, kernel_size=1, padding=0)


def orthogonal_init_(module: nn.Module) -> None:
    """Orthogonal weights for every Conv2d, Linear and Embedding (BigGAN.py
    ``init_weights`` with ``init='ortho'``); biases keep PyTorch's default."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear, nn.Embedding)):
            nn.init.orthogonal_(layer.weight)


def attention_index(sides: list[int], attention_resolution: int) -> int | None:
    """The index of the first block whose output side is ``attention_resolution``
    (``None`` for 0, no attention); raises if no block has that side."""
    check_int_at_least("attention_resolution", attention_resolution, 0)
    if attention_resolution == 0:
        return None
    if attention_resolution not in sides:
        raise ValueError(
            f"attention_resolution must be 0 (none) or one of the block sides "
            f"{sorted(set(sides))}; got {attention_resolution}"
        )
    return sides.index(attention_resolution)


def check_sizes(resolution: int, **sizes: int) -> None:
    """Raise unless ``resolution`` has an architecture here and every size is a
    positive int."""
    for name, value in sizes.items():
        check_positive_int(name, value)
    if resolution not in G_MULTIPLIERS:
        raise ValueError(
            f"resolution must be one of {tuple(G_MULTIPLIERS)}; got {resolution!r}"
        )


# --- the generator -------------------------------------------------------------------


class ClassConditionalBatchNorm2d(nn.Module):
    r"""BigGAN's conditional batch norm ("ccbn", layers.py): gain and bias are linear
    in a condition vector ``c`` (the shared class embedding, with a chunk of ``z``).

    ``forward(h: (B, C, H, W), condition: (B, condition_dim)) -> (B, C, H, W)``,
    :math:`(1 + W_\gamma c) \odot \mathrm{BN}(h) + W_\beta c` (both linear maps
    without bias, layers.py ``ccbn`` with ``bn_linear = which_linear(bias=False)``).
    """

    def __init__(self, num_features: int, condition_dim: int) -> None:
        super().__init__()
        self.num_features, self.condition_dim = num_features, condition_dim
        self.norm = nn.BatchNorm2d(
            num_features, eps=BN_EPS, momentum=BN_MOMENTUM, affine=False
        )
        self.gain = nn.Linear(condition_dim, num_features, bias=False)
        self.bias = nn.Linear(condition_dim, num_features, bias=False)

    def forward(self, h: Tensor, condition: Tensor) -> Tensor:
        gain = 1 + self.gain(condition)[:, :, None, None]  # (B, C, 1, 1)
        bias = self.bias(condition)[:, :, None, None]  # (B, C, 1, 1)
        return gain * self.norm(h) + bias  # (B, C, H, W)

    def extra_repr(self) -> str:
        return f"{self.num_features}, condition_dim={self.condition_dim}"


class GBlock(nn.Module):
    """Residual up-block (layers.py ``GBlock``): side x 2.

    ``forward(x: (B, c_in, s, s), condition: (B, condition_dim))
    -> (B, c_out, 2s, 2s)``.
    """

    def __init__(self, c_in: int, c_out: int, condition_dim: int) -> None:
        super().__init__()
        self.norm1 = ClassConditionalBatchNorm2d(c_in, condition_dim)
        self.conv1 = conv3x3(c_in, c_out)
        self.norm2 = ClassConditionalBatchNorm2d(c_out, condition_dim)
        self.conv2 = conv3x3(c_out, c_out)
        # learnable_sc = in != out or upsample: always, since every G block upsamples
        self.skip = conv1x1(c_in, c_out)

    def forward(self, x: Tensor, condition: Tensor) -> Tensor:
        h = F.relu(self.norm1(x, condition))
        h = F.interpolate(h, scale_factor=2)  # nearest: (B, c_in, 2s, 2s)
        h = self.conv1(h)  # (B, c_out, 2s, 2s)
        h = self.conv2(F.relu(self.norm2(h, condition)))
        return h + self.skip(F.interpolate(x, scale_factor=2))  # (B, c_out, 2s, 2s)


@register("biggan_generator")
class BigGANGenerator(nn.Module):
    """BigGAN generator ``G(z, y) -> (B, channels, R, R)`` in [-1, 1].

    Args:
        z_dim: latent dimension; with ``hierarchical`` a multiple of ``n + 1`` for
            ``n = log2(R / 4)`` blocks (120 = 6 x 20 for BigGAN at 128 px).
        num_classes: K, the number of labels.
        shared_dim: size of the shared class embedding ``G.shared`` (BigGAN: 128).
        channels: image channels.
        resolution: R: 16, 32 or 64.
        width: the channel multiplier ``ch`` (BigGAN.py ``G_ch=64``).
        attention_resolution: the side after which self-attention runs; 0: none.
        hierarchical: split ``z`` over the input layer and the blocks (BigGAN.py
            ``hier``); otherwise all of ``z`` feeds the input layer and the norms
            see the class embedding alone.

    Attributes:
        shared: ``nn.Embedding(num_classes, shared_dim)``, read by every block.
        z_chunk_size: the size of each chunk of ``z`` (``z_dim`` if not
            hierarchical).
    """

    def __init__(
        self,
        z_dim: int = 120,
        num_classes: int = 10,
        shared_dim: int = 128,
        channels: int = 3,
        resolution: int = 32,
        width: int = 64,
        attention_resolution: int = 16,
        hierarchical: bool = True,
    ) -> None:
        super().__init__()
        check_sizes(
            resolution,
            z_dim=z_dim,
            num_classes=num_classes,
            shared_dim=shared_dim,
            channels=channels,
            width=width,
        )
        widths = [width * m for m in G_MULTIPLIERS[resolution]]  # 4x4, .., last block
        n_blocks = len(widths) - 1
        num_chunks = n_blocks + 1 if hierarchical else 1
        if z_dim % num_chunks:
            raise ValueError(
                f"z_dim must be a multiple of {num_chunks} (one chunk for the input "
                f"layer and one per block) with hierarchical=True; got {z_dim}"
            )
        self.z_dim, self.num_classes, self.channels = z_dim, num_classes, channels
        self.resolution, self.hierarchical = resolution, hierarchical
        self.z_chunk_size = z_dim // num_chunks
        condition_dim = shared_dim + (self.z_chunk_size if hierarchical else 0)

        self.shared = nn.Embedding(num_classes, shared_dim)  # (K, shared_dim)
        self.linear = nn.Linear(self.z_chunk_size, widths[0] * BOTTOM_WIDTH**2)
        self.blocks = nn.ModuleList(
            GBlock(c_in, c_out, condition_dim) for c_in, c_out in pairwise(widths)
        )
        sides = [BOTTOM_WIDTH * 2 ** (i + 1) for i in range(n_blocks)]  # 8, 16, ..
        self.attention_block = attention_index(sides, attention_resolution)
        if self.attention_block is not None:
            self.attention = SelfAttention(
                widths[self.attention_block + 1], spectral_norm=False  # SN below
            )
        # BigGAN.py output_layer: unconditional BN, ReLU, conv3x3 (then tanh)
        self.output_norm = nn.BatchNorm2d(widths[-1], eps=BN_EPS)
        self.to_image = conv3x3(widths[-1], channels)
        orthogonal_init_(self)  # before SN: the parametrization keeps these weights
        apply_spectral_norm(self)  # every conv and linear; the embedding stays free

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        """``z: (B, z_dim)``, ``y: (B,)`` int64 -> ``(B, channels, R, R)``."""
        check_latent(z, self.z_dim)
        check_labels(y, z.shape[0], self.num_classes)
        shared = self.shared(y)  # (B, shared_dim)
        if self.hierarchical:
            z_input, *z_blocks = torch.split(z, self.z_chunk_size, dim=1)
            conditions = [torch.cat([shared, chunk], dim=1) for chunk in z_blocks]
        else:
            z_input, conditions = z, [shared] * len(self.blocks)
        h = self.linear(z_input).view(z.shape[0], -1, BOTTOM_WIDTH, BOTTOM_WIDTH)
        for index, block in enumerate(self.blocks):
            h = block(h, conditions[index])  # side x 2
            if index == self.attention_block:
                h = self.attention(h)
        h = F.relu(self.output_norm(h))  # (B, widths[-1], R, R)
        return torch.tanh(self.to_image(h))  # (B, channels, R, R)


# --- the discriminator ---------------------------------------------------------------


class DBlock(nn.Module):
    """Residual down-block (layers.py ``DBlock``, ``wide=True``: the hidden width is
    ``c_out``): ``x -> avgpool(conv3x3(ReLU(conv3x3(ReLU(x))))) + shortcut(x)``.

    ``forward(x: (B, c_in, s, s)) -> (B, c_out, s/2, s/2)`` (``s`` if not
    ``downsample``). ``preactivation=False`` drops the leading ReLU (the first block,
    which reads the image) and pools the shortcut before its 1x1 conv.
    """

    def __init__(
        self, c_in: int, c_out: int, downsample: bool, preactivation: bool
    ) -> None:
        super().__init__()
        self.downsample, self.preactivation = downsample, preactivation
        self.conv1 = conv3x3(c_in, c_out)
        self.conv2 = conv3x3(c_out, c_out)
        # layers.py DBlock: learnable_sc = in_channels != out_channels or downsample
        learnable = c_in != c_out or downsample
        self.skip = conv1x1(c_in, c_out) if learnable else None

    def _pool(self, h: Tensor) -> Tensor:
        return F.avg_pool2d(h, 2) if self.downsample else h  # nn.AvgPool2d(2)

    def shortcut(self, x: Tensor) -> Tensor:
        if self.skip is None:
            return x
        if self.preactivation:  # conv, then pool
            return self._pool(self.skip(x))
        return self.skip(self._pool(x))  # first block: pool, then conv

    def forward(self, x: Tensor) -> Tensor:
        h = F.relu(x) if self.preactivation else x
        h = self.conv2(F.relu(self.conv1(h)))
        return self._pool(h) + self.shortcut(x)


@register("biggan_discriminator")
class BigGANDiscriminator(nn.Module):
    """BigGAN projection discriminator ``T(x, y)``: logits ``(B,)``.

    ``features(x) -> (B, F)`` is ``phi(x)``, the globally sum-pooled ReLU features,
    ``F = width * multiplier`` of the last block (4 at 16 and 32 px, 16 at 64 px).

    Args:
        num_classes: K, the number of labels.
        channels: image channels.
        resolution: R: 16, 32 or 64.
        width: the channel multiplier ``ch`` (BigGAN.py ``D_ch=64``).
        attention_resolution: self-attention after the first block with this output
            side; 0: none.
    """

    def __init__(
        self,
        num_classes: int = 10,
        channels: int = 3,
        resolution: int = 32,
        width: int = 64,
        attention_resolution: int = 16,
    ) -> None:
        super().__init__()
        check_sizes(resolution, num_classes=num_classes, channels=channels, width=width)
        self.num_classes, self.channels = num_classes, channels
        self.resolution = resolution
        multipliers, downsample = D_ARCHITECTURES[resolution]
        widths = [width * m for m in multipliers]
        self.blocks = nn.ModuleList(
            DBlock(c_in, c_out, down, preactivation=index > 0)  # BigGAN.py: index > 0
            for index, (c_in, c_out, down) in enumerate(
                zip([channels, *widths[:-1]], widths, downsample)
            )
        )
        sides, side = [], resolution
        for down in downsample:
            side //= 2 if down else 1
            sides.append(side)
        # BigGAN.py D_arch[32] labels every block 'resolution' 16 (so '16' would put
        # attention after all four); here it follows the first block truly at that side
        self.attention_block = attention_index(sides, attention_resolution)
        if self.attention_block is not None:
            self.attention = SelfAttention(
                widths[self.attention_block], spectral_norm=False  # SN below
            )
        self.feature_dim = widths[-1]  # F
        self.linear = nn.Linear(self.feature_dim, 1)  # BigGAN.py: output_dim=1
        self.embed = nn.Embedding(num_classes, self.feature_dim)  # (K, F)
        orthogonal_init_(self)
        apply_spectral_norm(self)
        parametrizations.spectral_norm(self.embed)  # BigGAN.py: SNEmbedding

    def features(self, x: Tensor) -> Tensor:
        """``phi(x)``: ``(B, channels, R, R) -> (B, F)``."""
        check_image_shape(x, self.channels, self.resolution)
        h = x
        for index, block in enumerate(self.blocks):
            h = block(h)
            if index == self.attention_block:
                h = self.attention(h)
        return F.relu(h).sum(dim=(2, 3))  # global sum pooling: (B, F)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """``x: (B, channels, R, R)``, ``y: (B,)`` int64 -> logits ``(B,)``."""
        check_labels(y, x.shape[0], self.num_classes)
        h = self.features(x)  # (B, F)
        # Miyato and Koyama (2018): psi(h) + <embed(y), h>
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(dim=1)  # (B,)
