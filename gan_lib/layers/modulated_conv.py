r"""Modulated convolution with weight demodulation (Karras et al., 2020, "Analyzing and
improving the image quality of StyleGAN", Section 2.2).

StyleGAN2 moves the style from the activations into the weights. A style
:math:`s \in \mathbb R^I` (one per sample) scales the input channels of the
convolution weight :math:`w \in \mathbb R^{O \times I \times k \times k}`, and each
output filter is then rescaled to unit norm:

.. math::

    w'_{o,i,m,n} = s_i\, w_{o,i,m,n}, \qquad
    w''_{o,i,m,n} = \frac{w'_{o,i,m,n}}
    {\sqrt{\sum_{i,m,n} (w'_{o,i,m,n})^2 + \epsilon}}, \qquad \epsilon = 10^{-8}.

Demodulation does, in expectation, what AdaIN's instance normalization did (for
inputs of unit variance, output :math:`o` has unit variance), but from the weights
alone, without looking at the activations: no statistic of a feature map is erased,
so the droplet artifacts of StyleGAN disappear.

Two equivalent ways to compute it (both in the official code):

* fused: build each sample's weights :math:`w''_b` and run all samples as one grouped
  convolution (the batch folded into the channels, ``groups = B``);
* not fused: scale the input, :math:`x_{b,i} \leftarrow s_{b,i} x_{b,i}`, convolve with
  the shared :math:`w`, and scale each output map by its demodulation coefficient
  :math:`d_{b,o} = (\sum_i s_{b,i}^2 \sum_{m,n} w_{o,i,m,n}^2 + \epsilon)^{-1/2}`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib.layers.equalized import EqualizedLinear

# stylegan2-ada-pytorch training/networks.py: modulated_conv2d, demodulate eps 1e-8,
# dcoefs = (w.square().sum(dim=[2,3,4]) + 1e-8).rsqrt()
EPSILON = 1e-8


def _check_shapes(x: Tensor, weight: Tensor, styles: Tensor) -> None:
    if weight.dim() != 4:
        raise ValueError(
            f"weight must have shape (O, I, k, k); got {tuple(weight.shape)}"
        )
    in_channels = weight.shape[1]
    if x.dim() != 4 or x.shape[1] != in_channels:
        raise ValueError(
            f"x must have shape (B, {in_channels}, H, W) to match weight "
            f"{tuple(weight.shape)}; got {tuple(x.shape)}"
        )
    if styles.shape != (x.shape[0], in_channels):
        raise ValueError(
            f"styles must have shape ({x.shape[0]}, {in_channels}) (B, I); "
            f"got {tuple(styles.shape)}"
        )


def modulated_weight(
    weight: Tensor, styles: Tensor, demodulate: bool = True, eps: float = EPSILON
) -> Tensor:
    r"""Each sample's convolution weight :math:`w''` (or :math:`w'` without
    demodulation).

    Args:
        weight: :math:`w`, ``(O, I, k, k)``, already scaled (equalized lr).
        styles: :math:`s`, ``(B, I)``.
        demodulate: rescale every output filter to unit L2 norm (up to ``eps``).
        eps: :math:`\epsilon`, inside the square root.

    Returns:
        ``(B, O, I, k, k)``.
    """
    w = weight[None] * styles[:, None, :, None, None]  # (B, O, I, k, k): w'
    if demodulate:
        dcoefs = (w.square().sum(dim=(2, 3, 4)) + eps).rsqrt()  # (B, O)
        w = w * dcoefs[:, :, None, None, None]  # w''
    return w


def modulated_conv2d(
    x: Tensor,
    weight: Tensor,
    styles: Tensor,
    demodulate: bool = True,
    fused: bool = True,
    padding: int | None = None,
    eps: float = EPSILON,
) -> Tensor:
    r"""Convolve each sample with its own modulated (and demodulated) weight.

    Args:
        x: ``(B, I, H, W)``.
        weight: :math:`w`, ``(O, I, k, k)``, already scaled (equalized lr).
        styles: :math:`s`, ``(B, I)``, one scale per sample and input channel.
        demodulate: divide each output filter by its norm (StyleGAN2's convolutions;
            ``False`` for ToRGB).
        fused: one grouped convolution over the batch, or scale / convolve / scale.
            The results agree to float rounding.
        padding: zero padding; ``None``: ``k // 2``, which keeps ``H, W`` (odd k).
        eps: :math:`\epsilon` of the demodulation.

    Returns:
        ``(B, O, H', W')``, ``H' = H + 2 padding - k + 1`` (likewise ``W'``).
    """
    _check_shapes(x, weight, styles)
    batch, in_channels = styles.shape
    out_channels, _, kh, kw = weight.shape
    if padding is None:
        padding = kh // 2
    if not fused:
        x = x * styles[:, :, None, None]  # (B, I, H, W): modulate the input
        x = F.conv2d(x, weight, padding=padding)  # (B, O, H', W')
        if demodulate:
            # sum_{i,m,n} (s_i w_oimn)^2 = sum_i s_i^2 sum_{m,n} w_oimn^2: no (B, O, I,
            # k, k) tensor is built
            energy = styles.square() @ weight.square().sum(dim=(2, 3)).T  # (B, O)
            x = x * (energy + eps).rsqrt()[:, :, None, None]
        return x
    w = modulated_weight(weight, styles, demodulate, eps)  # (B, O, I, k, k)
    w = w.reshape(batch * out_channels, in_channels, kh, kw)  # one group per sample
    x = x.reshape(1, batch * in_channels, *x.shape[2:])  # (1, B I, H, W)
    x = F.conv2d(x, w, padding=padding, groups=batch)  # (1, B O, H', W')
    return x.reshape(batch, out_channels, *x.shape[2:])  # (B, O, H', W')


class ModulatedConv2d(nn.Module):
    r"""StyleGAN2's modulated convolution with its style affine ``A``.

    ``forward(x: (B, in_channels, H, W), w: (B, w_dim)) -> (B, out_channels, H, W)``:
    :math:`s = A(w)`, then :func:`modulated_conv2d` with the equalized weight
    :math:`w / \sqrt{I k^2}` and ``padding = k // 2``. Bias, noise and activation
    come after it in the synthesis layer, as in the official code.

    Args:
        in_channels, out_channels: I and O.
        kernel_size: k (odd: 3 in the synthesis layers, 1 for ToRGB).
        w_dim: the dimension of the intermediate latent :math:`w`.
        demodulate: weight demodulation (``False`` for ToRGB).
        fused: one grouped convolution, or scale / convolve / scale.

    Attributes:
        affine: ``A``, :class:`~gan_lib.layers.equalized.EqualizedLinear`
            ``(w_dim -> in_channels)``, gain 1, bias initialized to 1.
        weight: ``(out_channels, in_channels, k, k)``, drawn :math:`\mathcal N(0, 1)`.
        weight_scale: :math:`1 / \sqrt{I k^2}` (gain 1).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        w_dim: int,
        demodulate: bool = True,
        fused: bool = True,
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd; got {kernel_size}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.w_dim = kernel_size, w_dim
        self.demodulate, self.fused = demodulate, fused
        # stylegan2-ada-pytorch training/networks.py: SynthesisLayer,
        # affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.affine = EqualizedLinear(w_dim, in_channels, gain=1.0, bias_init=1.0)
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.weight = nn.Parameter(torch.randn(shape))
        # stylegan2 training/networks_stylegan2.py: modulated_conv2d_layer(gain=1) ->
        # get_weight, he_std = gain / np.sqrt(fan_in); ToRGBLayer of
        # stylegan2-ada-pytorch: weight_gain = 1 / np.sqrt(in_channels * k ** 2)
        self.weight_scale = 1.0 / math.sqrt(in_channels * kernel_size**2)

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        if w.dim() != 2 or w.shape != (x.shape[0], self.w_dim):
            raise ValueError(
                f"ModulatedConv2d expects w of shape ({x.shape[0]}, {self.w_dim}) for "
                f"x of shape {tuple(x.shape)}; got {tuple(w.shape)}"
            )
        styles = self.affine(w)  # (B, I)
        return modulated_conv2d(
            x,
            self.weight * self.weight_scale,
            styles,
            demodulate=self.demodulate,
            fused=self.fused,
            padding=self.kernel_size // 2,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"w_dim={self.w_dim}, demodulate={self.demodulate}, fused={self.fused}"
        )
