"""Building blocks shared by several model families, one concept per file.

* :mod:`~gan_lib.layers.conditional_batch_norm` (de Vries et al., 2017);
* :mod:`~gan_lib.layers.minibatch_discrimination` (Salimans et al., 2016);
* :mod:`~gan_lib.layers.minibatch_stddev` (Karras et al., 2018);
* :mod:`~gan_lib.layers.equalized`: equalized learning rate (Karras et al., 2018);
* :mod:`~gan_lib.layers.pixel_norm`: pixelwise feature normalization (Karras et al.,
  2018);
* :mod:`~gan_lib.layers.adain`: adaptive instance normalization (Huang and Belongie,
  2017; StyleGAN, Karras et al., 2019);
* :mod:`~gan_lib.layers.noise`: noise injection (StyleGAN, StyleGAN2);
* :mod:`~gan_lib.layers.modulated_conv`: modulated convolution with weight
  demodulation (StyleGAN2, Karras et al., 2020);
* :mod:`~gan_lib.layers.residual`: CycleGAN's residual block with reflection padding
  and instance norm (Zhu et al., 2017);
* :mod:`~gan_lib.layers.partial_conv`: partial convolution for inpainting (Liu et
  al., 2018);
* :mod:`~gan_lib.layers.pixel_shuffle`: sub-pixel convolution (Shi et al., 2016)
  with ICNR initialization (Aitken et al., 2017);
* :mod:`~gan_lib.layers.rrdb`: ESRGAN's residual-in-residual dense block (Wang et
  al., 2018);
* :mod:`~gan_lib.layers.self_attention`: SAGAN self-attention (Zhang et al., 2019;
  BigGAN, Brock et al., 2019);
* :mod:`~gan_lib.layers.unet`: U-Net skip blocks (Ronneberger et al., 2015; pix2pix,
  Isola et al., 2017).
"""

from gan_lib.layers.adain import AdaIN, adain
from gan_lib.layers.conditional_batch_norm import ConditionalBatchNorm2d
from gan_lib.layers.equalized import EqualizedConv2d, EqualizedLinear
from gan_lib.layers.minibatch_discrimination import MinibatchDiscrimination
from gan_lib.layers.minibatch_stddev import MinibatchStdDev, minibatch_stddev
from gan_lib.layers.modulated_conv import (
    ModulatedConv2d,
    modulated_conv2d,
    modulated_weight,
)
from gan_lib.layers.noise import NoiseInjection
from gan_lib.layers.partial_conv import PartialConv2d
from gan_lib.layers.pixel_norm import PixelNorm, pixel_norm
from gan_lib.layers.pixel_shuffle import SubPixelUpsample, icnr_
from gan_lib.layers.residual import ResidualBlock
from gan_lib.layers.rrdb import RRDB, ResidualDenseBlock
from gan_lib.layers.self_attention import SelfAttention
from gan_lib.layers.unet import UNetDown, UNetUp

__all__ = [
    "AdaIN",
    "ConditionalBatchNorm2d",
    "EqualizedConv2d",
    "EqualizedLinear",
    "MinibatchDiscrimination",
    "MinibatchStdDev",
    "ModulatedConv2d",
    "NoiseInjection",
    "PartialConv2d",
    "PixelNorm",
    "RRDB",
    "ResidualBlock",
    "ResidualDenseBlock",
    "SelfAttention",
    "SubPixelUpsample",
    "UNetDown",
    "UNetUp",
    "adain",
    "icnr_",
    "minibatch_stddev",
    "modulated_conv2d",
    "modulated_weight",
    "pixel_norm",
]
