r"""Pixelwise feature vector normalization (Karras et al., 2018, "Progressive growing
of GANs", Section 4.2).

ProGAN's generator has no batch normalization. To keep the magnitudes of its
activations from escalating in the competition with the discriminator, it rescales
the feature vector of every pixel to unit mean square after each convolution:

.. math:: b_{x,y} = \frac{a_{x,y}}{\sqrt{\frac1C \sum_{j=1}^{C} (a^j_{x,y})^2
   + \epsilon}}, \qquad \epsilon = 10^{-8},

where :math:`a_{x,y} \in \mathbb R^C` is the vector of the :math:`C` channels at pixel
:math:`(x, y)`. There is nothing to learn. StyleGAN applies the same map to the latent
:math:`z` before its mapping network (a vector is a single "pixel").
"""

from __future__ import annotations

from torch import Tensor, nn

# tkarras/progressive_growing_of_gans networks.py: pixel_norm(x, epsilon=1e-8),
# x * tf.rsqrt(tf.reduce_mean(tf.square(x), axis=1, keepdims=True) + epsilon);
# stylegan2-ada-pytorch training/networks.py: normalize_2nd_moment(x, dim=1, eps=1e-8)
EPSILON = 1e-8


def pixel_norm(x: Tensor, eps: float = EPSILON) -> Tensor:
    r"""Divide each pixel's feature vector by its root mean square over channels.

    Args:
        x: ``(B, C)`` vectors or ``(B, C, H, W)`` feature maps.
        eps: :math:`\epsilon`, added to the mean square inside the square root.

    Returns:
        ``x / sqrt(mean_c x^2 + eps)``, the shape of ``x``: every pixel's channels have
        mean square :math:`m / (m + \epsilon) \approx 1`, :math:`m` their mean square
        before.
    """
    if x.dim() < 2:
        raise ValueError(
            f"pixel_norm expects (B, C) or (B, C, H, W) with channels on dim 1; "
            f"got shape {tuple(x.shape)}"
        )
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


class PixelNorm(nn.Module):
    """:func:`pixel_norm` as a layer, no parameters; ``(B, C, ...) -> (B, C, ...)``.

    Args:
        eps: added to the mean square inside the square root (:math:`10^{-8}`).
    """

    def __init__(self, eps: float = EPSILON) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        return pixel_norm(x, self.eps)

    def extra_repr(self) -> str:
        return f"eps={self.eps:g}"
