r"""Equalized learning rate (Karras et al., 2018, "Progressive growing of GANs",
Section 4.1).

He initialization draws each weight with standard deviation :math:`c = g /
\sqrt{\text{fan-in}}` (gain :math:`g = \sqrt 2` before a (leaky) ReLU), so that a layer
keeps the scale of its input. Karras et al. move :math:`c` out of the initialization
and into the forward pass: the stored parameter :math:`\hat w` is drawn from
:math:`\mathcal N(0, 1)` and the layer computes with

.. math:: w = c\,\hat w, \qquad c = \frac{g}{\sqrt{\text{fan-in}}} .

At initialization this is He's distribution. The difference is in training: Adam
divides each gradient by its own running magnitude, so its step on :math:`\hat w` has
the same size (about the learning rate :math:`\eta`) in every layer, and the step on
the effective weight is :math:`c\,\eta`, proportional to the weight's own scale. Every
layer then learns at the same *relative* speed, whatever its fan-in; a plain layer,
whose weights are :math:`c` small but move by :math:`\eta`, learns
:math:`\sqrt{\text{fan-in}}` times faster in relative terms when its fan-in is large.

A learning-rate multiplier :math:`\lambda` (StyleGAN's mapping network uses
:math:`\lambda = 0.01`) slows one layer down without changing its initial function:
:math:`\hat w \sim \mathcal N(0, 1/\lambda^2)`, :math:`w = \lambda c\,\hat w`, and
the bias, stored as :math:`\hat b`, acts as :math:`b = \lambda \hat b`; Adam's step
on the effective parameters is then :math:`\lambda` times smaller.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# tkarras/progressive_growing_of_gans networks.py: get_weight(shape, gain=np.sqrt(2)),
# std = gain / np.sqrt(fan_in) (He init), the weight drawn N(0, 1) and multiplied by it
HE_GAIN = math.sqrt(2)
# stylegan training/networks_stylegan.py: G_mapping(mapping_lrmul=0.01);
# stylegan2-ada-pytorch training/networks.py: MappingNetwork(lr_multiplier=0.01)
MAPPING_LR_MULTIPLIER = 0.01


class EqualizedWeights(nn.Module):
    r"""The parameters of an equalized layer and their runtime scaling (the shared
    part of :class:`EqualizedLinear` and :class:`EqualizedConv2d`).

    Stores :math:`\hat W \sim \mathcal N(0, 1) / \lambda` of shape ``weight_shape``
    and :math:`\hat b = \text{bias\_init} / \lambda`; computes with
    :math:`w = \lambda g / \sqrt{\text{fan-in}}\; \hat W` and :math:`b = \lambda
    \hat b`.

    Attributes:
        weight: :math:`\hat W`.
        bias: :math:`\hat b`, ``(weight_shape[0],)``, or ``None``.
        weight_scale: :math:`\lambda g / \sqrt{\text{fan-in}}`, a Python float.
    """

    def __init__(
        self,
        weight_shape: tuple[int, ...],
        fan_in: int,
        bias: bool,
        gain: float,
        lr_multiplier: float,
        bias_init: float,
    ) -> None:
        super().__init__()
        for name, value in (("gain", gain), ("lr_multiplier", lr_multiplier)):
            if not value > 0:
                raise ValueError(f"{name} must be positive; got {value!r}")
        self.gain, self.lr_multiplier = gain, lr_multiplier
        # stylegan training/networks_stylegan.py: get_weight(use_wscale=True, lrmul),
        # init_std = 1.0 / lrmul, runtime_coef = he_std * lrmul; apply_bias: b * lrmul.
        # stylegan2-ada-pytorch training/networks.py: FullyConnectedLayer,
        # weight = randn([out, in]) / lr_multiplier,
        # weight_gain = lr_multiplier / np.sqrt(in_features), bias_gain = lr_multiplier
        self.weight = nn.Parameter(torch.randn(weight_shape) / lr_multiplier)
        self.weight_scale = lr_multiplier * gain / math.sqrt(fan_in)
        # stored as bias_init / lr_multiplier so that the effective bias starts at
        # bias_init (stylegan3 training/networks_stylegan3.py: FullyConnectedLayer);
        # the same as stylegan2-ada-pytorch whenever lr_multiplier = 1
        bias_value = torch.full((weight_shape[0],), bias_init / lr_multiplier)
        self.bias = nn.Parameter(bias_value) if bias else None

    def effective_weight(self) -> Tensor:
        r""":math:`w = \lambda c\,\hat W`, the shape of ``weight``."""
        return self.weight * self.weight_scale

    def effective_bias(self) -> Tensor | None:
        r""":math:`b = \lambda \hat b`, ``(out,)``, or ``None``."""
        return None if self.bias is None else self.bias * self.lr_multiplier

    def extra_repr(self) -> str:
        return (
            f"bias={self.bias is not None}, gain={self.gain:g}, "
            f"lr_multiplier={self.lr_multiplier:g}"
        )


class EqualizedLinear(EqualizedWeights):
    r"""A fully connected layer with equalized learning rate.

    ``forward(x: (B, in_features)) -> (B, out_features)``:
    :math:`y = x\,(\lambda c\,\hat W)^\top + \lambda \hat b` with
    :math:`c = g / \sqrt{\text{in\_features}}`.

    Args:
        in_features: the fan-in.
        out_features: the outputs.
        bias: add a learned bias.
        gain: :math:`g`; :math:`\sqrt 2` before a (leaky) ReLU, 1 before a linear
            output (ProGAN's last layers, StyleGAN's style affines).
        lr_multiplier: :math:`\lambda`, scales the weights *and* the bias
            (0.01 in StyleGAN's mapping network).
        bias_init: the initial value of the effective bias :math:`\lambda \hat b`.

    Attributes:
        weight: :math:`\hat W`, ``(out_features, in_features)``, drawn
            :math:`\mathcal N(0, 1) / \lambda`.
        bias: :math:`\hat b`, ``(out_features,)``, or ``None``.
        weight_scale: :math:`\lambda c = \lambda g / \sqrt{\text{in\_features}}`,
            a Python float.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        gain: float = HE_GAIN,
        lr_multiplier: float = 1.0,
        bias_init: float = 0.0,
    ) -> None:
        shape = (out_features, in_features)
        super().__init__(shape, in_features, bias, gain, lr_multiplier, bias_init)
        self.in_features, self.out_features = in_features, out_features

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"EqualizedLinear expects x of shape (B, {self.in_features}); "
                f"got {tuple(x.shape)}"
            )
        return F.linear(x, self.effective_weight(), self.effective_bias())

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            + super().extra_repr()
        )


class EqualizedConv2d(EqualizedWeights):
    r"""A 2-D convolution with equalized learning rate.

    ``forward(x: (B, in_channels, H, W)) -> (B, out_channels, H', W')`` with
    ``H' = (H + 2 padding - kernel_size) // stride + 1`` (likewise ``W'``): the
    convolution with weight :math:`\lambda c\,\hat W` and bias :math:`\lambda \hat b`,
    :math:`c = g / \sqrt{\text{in\_channels} \cdot k^2}`.

    Args:
        in_channels, out_channels: the channels.
        kernel_size: :math:`k`, a square kernel.
        stride, padding: as in ``nn.Conv2d`` (``padding = k // 2`` keeps the size
            at stride 1, the ``'SAME'`` padding of the official code).
        bias: add a learned bias, initialized to 0.
        gain: :math:`g` (:math:`\sqrt 2` before a leaky ReLU, 1 for ToRGB).
        lr_multiplier: :math:`\lambda`, scales the weights and the bias.

    Attributes:
        weight: :math:`\hat W`, ``(out_channels, in_channels, k, k)``, drawn
            :math:`\mathcal N(0, 1) / \lambda`.
        bias: :math:`\hat b`, ``(out_channels,)``, or ``None``.
        weight_scale: :math:`\lambda g / \sqrt{\text{in\_channels} \cdot k^2}`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
        gain: float = HE_GAIN,
        lr_multiplier: float = 1.0,
    ) -> None:
        # stylegan2-ada-pytorch training/networks.py: Conv2dLayer,
        # weight_gain = 1 / np.sqrt(in_channels * (kernel_size ** 2)); the gain g is
        # applied there after the activation, here in the weight as in ProGAN
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        fan_in = in_channels * kernel_size**2
        super().__init__(shape, fan_in, bias, gain, lr_multiplier, bias_init=0.0)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"EqualizedConv2d expects x of shape (B, {self.in_channels}, H, W); "
                f"got {tuple(x.shape)}"
            )
        return F.conv2d(
            x,
            self.effective_weight(),
            self.effective_bias(),
            stride=self.stride,
            padding=self.padding,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, " + super().extra_repr()
        )
