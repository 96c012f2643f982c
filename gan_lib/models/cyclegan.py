r"""CycleGAN's generator (Zhu et al., 2017, appendix 7.2): a ResNet image transformer.

The network of Johnson et al. (2016) that the paper adopts, in its notation
(``c7s1-k``: 7 x 7 convolution, stride 1, ``k`` filters, instance norm, ReLU; ``dk``:
3 x 3 convolution, stride 2; ``Rk``: a residual block,
:class:`gan_lib.layers.residual.ResidualBlock`; ``uk``: 3 x 3 transposed convolution,
stride 1/2)::

    c7s1-64, d128, d256, R256 x n, u128, u64, c7s1-3 (+ tanh)

with ``n = 6`` blocks for 128 x 128 images and ``n = 9`` for 256 x 256 and larger.
Here the widths scale with ``base_channels`` (64 in the paper) and the number of
stride-2 stages is ``num_downsampling`` (2 in the paper), so the input side must be
divisible by ``2**num_downsampling``. The 7 x 7 convolutions see a reflection
padding of 3; weights start from :math:`\mathcal N(0, 0.02^2)` (the official
``init_type="normal"``, ``init_gain=0.02``).

The discriminator is pix2pix's 70 x 70 PatchGAN with instance norm,
:class:`gan_lib.models.pix2pix.PatchGAN` (``norm="instance"``).
"""

from __future__ import annotations

from torch import Tensor, nn

from gan_lib.errors import check_int_at_least, check_positive_int
from gan_lib.layers.residual import ResidualBlock, norm_layer
from gan_lib.models.registry import register

STEM_KERNEL = 7  # appendix 7.2: c7s1-k, 7 x 7 convolutions at both ends
INIT_STD = 0.02  # official networks.init_weights: normal, init_gain 0.02
BLOCKS_128, BLOCKS_256 = 6, 9  # appendix 7.2: 6 blocks at 128 px, 9 at 256 px


@register("resnet_generator")
class ResNetGenerator(nn.Module):
    """``x: (B, in_channels, H, W) -> (B, out_channels, H, W)`` in (-1, 1).

    Args:
        in_channels, out_channels: channels of the source and target domains.
        base_channels: filters of the first layer (the official ``ngf = 64``); stage
            ``i`` of the encoder has ``base_channels * 2**i``.
        num_blocks: residual blocks at the bottleneck (6 at 128 px, 9 at 256 px).
        num_downsampling: stride-2 stages down (and transposed ones up); 2 in the
            paper.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        base_channels: int = 64,
        num_blocks: int = BLOCKS_256,
        num_downsampling: int = 2,
    ) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels),
                            ("out_channels", out_channels),
                            ("base_channels", base_channels)):
            check_positive_int(name, value)
        check_int_at_least("num_blocks", num_blocks, 0)
        check_int_at_least("num_downsampling", num_downsampling, 0)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.num_downsampling = num_downsampling
        pad = STEM_KERNEL // 2
        layers: list[nn.Module] = [  # c7s1-64
            nn.ReflectionPad2d(pad),
            nn.Conv2d(in_channels, base_channels, STEM_KERNEL),
            norm_layer("instance", base_channels),
            nn.ReLU(),
        ]
        width = base_channels
        for _ in range(num_downsampling):  # d128, d256
            layers += [
                nn.Conv2d(width, 2 * width, 3, stride=2, padding=1),
                norm_layer("instance", 2 * width),
                nn.ReLU(),
            ]
            width *= 2
        layers += [ResidualBlock(width) for _ in range(num_blocks)]  # R256 x n
        for _ in range(num_downsampling):  # u128, u64
            layers += [
                nn.ConvTranspose2d(width, width // 2, 3, stride=2, padding=1,
                                   output_padding=1),
                norm_layer("instance", width // 2),
                nn.ReLU(),
            ]
            width //= 2
        layers += [  # c7s1-3 with tanh
            nn.ReflectionPad2d(pad),
            nn.Conv2d(width, out_channels, STEM_KERNEL),
            nn.Tanh(),
        ]
        self.net = nn.Sequential(*layers)
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(module.weight, 0.0, INIT_STD)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"x must have shape (B, {self.in_channels}, H, W); got {tuple(x.shape)}"
            )
        factor = 2**self.num_downsampling
        height, width = x.shape[2], x.shape[3]
        # reflection paddings need a side larger than the padding: 3 at the input,
        # 1 at the bottleneck (a side of at least 2 there)
        minimum = max(2 * factor, STEM_KERNEL // 2 + 1)
        if height % factor or width % factor or min(height, width) < minimum:
            raise ValueError(
                f"a ResNet generator with {self.num_downsampling} stride-2 stages "
                f"needs a side divisible by {factor} and at least {minimum}; got "
                f"{height} x {width}"
            )
        return self.net(x)  # (B, out_channels, H, W)
