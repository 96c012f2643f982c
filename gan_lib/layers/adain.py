r"""Adaptive instance normalization (Huang and Belongie, 2017), the style input of
StyleGAN (Karras et al., 2019, "A style-based generator architecture for GANs",
Section 2).

Each feature map is first standardized over its own pixels, which erases the mean and
the spread it had; the style then *sets* them:

.. math::

    \mathrm{AdaIN}(x, y)_{b,c} = y_{s,b,c}\,
    \frac{x_{b,c} - \mu(x_{b,c})}{\sqrt{\sigma^2(x_{b,c}) + \epsilon}} + y_{b,b,c},

with :math:`\mu, \sigma^2` the mean and the *biased* variance (divide by
:math:`HW`) over the :math:`H \times W` pixels of sample :math:`b`, channel
:math:`c`, and :math:`\epsilon = 10^{-8}` inside the square root, as in StyleGAN's
``instance_norm``. The output map has mean :math:`y_b` and standard deviation
:math:`|y_s|` (up to :math:`\epsilon`) whatever the input's were: a style replaces
the statistics of the previous layer instead of adding to them, which is why one
layer's style cannot leak into the next one's.

In StyleGAN the style :math:`y = (y_s, y_b)` is a learned affine map ``A`` of the
intermediate latent :math:`w`, initialized so that :math:`y_s = 1 + \ldots`,
:math:`y_b = 0 + \ldots` (the official code adds 1 to the scale).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gan_lib.layers.equalized import EqualizedLinear

# stylegan training/networks_stylegan.py: instance_norm(x, epsilon=1e-8),
# x -= mean over [2,3]; x *= tf.rsqrt(tf.reduce_mean(tf.square(x), axis=[2,3]) + eps)
EPSILON = 1e-8


def adain(x: Tensor, scale: Tensor, bias: Tensor, eps: float = EPSILON) -> Tensor:
    r"""Instance-normalize each map of ``x``, then apply a per-sample scale and bias.

    Args:
        x: ``(B, C, H, W)`` feature maps.
        scale: :math:`y_s`, ``(B, C)``.
        bias: :math:`y_b`, ``(B, C)``.
        eps: :math:`\epsilon`, added to the biased variance inside the square root.

    Returns:
        ``(B, C, H, W)``: ``scale[:, :, None, None] * x_norm + bias[:, :, None, None]``
        with ``x_norm = (x - mean) / sqrt(var + eps)`` over each map's pixels.
    """
    if x.dim() != 4:
        raise ValueError(f"adain expects x of shape (B, C, H, W); got {tuple(x.shape)}")
    for name, style in (("scale", scale), ("bias", bias)):
        if style.shape != x.shape[:2]:
            raise ValueError(
                f"adain expects {name} of shape {tuple(x.shape[:2])} (B, C) to match x "
                f"{tuple(x.shape)}; got {tuple(style.shape)}"
            )
    dtype = x.dtype
    if dtype not in (torch.float32, torch.float64):
        x = x.float()  # the statistics in fp32 under fp16 / bf16, as the official code
    x = x - x.mean(dim=(2, 3), keepdim=True)
    variance = x.square().mean(dim=(2, 3), keepdim=True)  # (B, C, 1, 1): biased
    x_norm = (x * (variance + eps).rsqrt()).to(dtype)
    return scale[:, :, None, None] * x_norm + bias[:, :, None, None]


class AdaIN(nn.Module):
    r"""AdaIN with StyleGAN's learned style affine ``A``.

    ``forward(x: (B, channels, H, W), w: (B, w_dim)) -> (B, channels, H, W)``:
    :math:`(y_s, y_b) = A(w)`, then :func:`adain` ``(x, y_s, y_b)``.

    Args:
        channels: C, the feature maps styled.
        w_dim: the dimension of the intermediate latent :math:`w`.

    Attributes:
        style: ``A``, an :class:`~gan_lib.layers.equalized.EqualizedLinear`
            ``(w_dim -> 2 C)`` with gain 1; its output's first C entries are the
            scales, the last C the biases. The scales' bias starts at 1, the biases'
            at 0, so a fresh layer maps :math:`w = 0` to plain instance norm.
    """

    def __init__(self, channels: int, w_dim: int) -> None:
        super().__init__()
        self.channels, self.w_dim = channels, w_dim
        # stylegan training/networks_stylegan.py: style_mod, dense(fmaps=C * 2, gain=1)
        # + apply_bias (zeros), reshape [-1, 2, C], x * (style[:,0] + 1) + style[:,1]
        self.style = EqualizedLinear(w_dim, 2 * channels, gain=1.0)
        with torch.no_grad():
            self.style.bias[:channels].fill_(1.0)  # the "+ 1" of the scale, as a bias

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        if w.dim() != 2 or w.shape != (x.shape[0], self.w_dim):
            raise ValueError(
                f"AdaIN expects w of shape ({x.shape[0]}, {self.w_dim}) for x of shape "
                f"{tuple(x.shape)}; got {tuple(w.shape)}"
            )
        scale, bias = self.style(w).chunk(2, dim=1)  # (B, C) each
        return adain(x, scale, bias)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, w_dim={self.w_dim}"
