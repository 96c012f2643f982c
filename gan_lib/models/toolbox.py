"""An MLP discriminator with the anti-collapse options of Chapter 8 as flags.

``toolbox_mlp_discriminator`` is the plain MLP discriminator of :mod:`toy` with three
switches, each from its paper, so that a benchmark can compare them on one network:

* ``pack=m`` (PacGAN, Lin et al., 2018): the input is ``m`` samples concatenated,
  ``x: (B, in_dim) -> (B / m, m in_dim)``, and the output is one logit per pack;
* ``minibatch_stddev=True`` (Karras et al., 2018): the batch's mean standard deviation
  is appended as one extra feature before the last hidden layer;
* ``minibatch_discrimination=True`` (Salimans et al., 2016): ``num_kernels``
  similarity features are appended before the last hidden layer.

As in both papers, the minibatch features enter *before* the last hidden layer (the
"next layer of the discriminator" of Salimans et al.; the last block of ProGAN's D),
so that the discriminator can combine them non-linearly with the sample's own
features. Layout, for ``n_layers`` hidden layers::

    x (B, in_dim) -> pack -> (B/m, m in_dim)
      -> n_layers - 1 hidden layers                    -> h (B/m, hidden)
      -> [minibatch stddev: +1] [minibatch discr.: +K] -> (B/m, hidden + extra)
      -> last hidden layer                             -> features (B/m, hidden)
      -> linear                                        -> logits (B/m,)

``features(x)`` returns the last hidden activations (for feature matching). With every
flag off this is the architecture of ``mlp_discriminator``.
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from gan_lib.models.registry import register
from gan_lib.models.toy import Activation, _activation, _check_positive_int, mlp
from gan_lib.stabilization.minibatch_discrimination import MinibatchDiscrimination
from gan_lib.stabilization.minibatch_stddev import MinibatchStdDev
from gan_lib.stabilization.packing import pack as pack_samples


@register("toolbox_mlp_discriminator")
class ToolboxMLPDiscriminator(nn.Module):
    """MLP discriminator ``x: (B, in_dim) -> logits (B / pack,)`` with Chapter 8's flags.

    Images ``(B, C, H, W)`` are accepted and flattened (``in_dim = C H W``).

    Args:
        in_dim: dimension of one sample (2 for the toys, 768 for flattened 16 x 16
            stacked digits).
        hidden: width of every hidden layer.
        n_layers: number of hidden layers (>= 1).
        activation: hidden nonlinearity.
        pack: m, the samples per discriminator input (PacGAN); B must be a multiple.
        minibatch_stddev: append the minibatch standard deviation (ProGAN).
        stddev_group: samples per group for the standard deviation (4 in ProGAN;
            ``None``: the whole batch).
        minibatch_discrimination: append minibatch-discrimination features.
        num_kernels: B of minibatch discrimination (similarity features appended).
        kernel_dim: C of minibatch discrimination.
    """

    def __init__(
        self,
        in_dim: int = 2,
        hidden: int = 128,
        n_layers: int = 2,
        activation: Activation = "leaky_relu",
        pack: int = 1,
        minibatch_stddev: bool = False,
        stddev_group: int | None = 4,
        minibatch_discrimination: bool = False,
        num_kernels: int = 16,
        kernel_dim: int = 8,
    ) -> None:
        super().__init__()
        _check_positive_int("in_dim", in_dim)
        _check_positive_int("hidden", hidden)
        _check_positive_int("n_layers", n_layers)
        _check_positive_int("pack", pack)
        self.in_dim, self.pack = in_dim, pack
        packed_dim = pack * in_dim
        # all hidden layers but the last; with n_layers = 1 this is the identity
        if n_layers > 1:
            self.trunk = mlp(packed_dim, hidden, hidden, n_layers - 2, activation)
            self.trunk.append(_activation(activation))
            width = hidden
        else:
            self.trunk, width = nn.Sequential(), packed_dim
        minibatch_layers: list[nn.Module] = []
        if minibatch_stddev:
            minibatch_layers.append(MinibatchStdDev(stddev_group))
            width += 1
        if minibatch_discrimination:
            minibatch_layers.append(
                MinibatchDiscrimination(width, num_kernels, kernel_dim)
            )
            width += num_kernels
        self.minibatch = nn.Sequential(*minibatch_layers)
        self.last_hidden = nn.Sequential(
            nn.Linear(width, hidden), _activation(activation)
        )
        self.head = nn.Linear(hidden, 1)

    def features(self, x: Tensor) -> Tensor:
        """``x: (B, in_dim) -> (B / pack, hidden)``, the last hidden activations.

        Images ``(B, C, H, W)`` with ``C H W = in_dim`` are flattened first.
        """
        if x.dim() < 2 or math.prod(x.shape[1:]) != self.in_dim:
            raise ValueError(
                f"x must have shape (N, {self.in_dim}) or (N, C, H, W) with "
                f"C H W = {self.in_dim}; got {tuple(x.shape)}"
            )
        x = x.flatten(1)  # (B, in_dim): images are read as vectors
        h = self.trunk(pack_samples(x, self.pack))  # (B/m, hidden)
        h = self.minibatch(h)  # (B/m, hidden + extra)
        return self.last_hidden(h)  # (B/m, hidden)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)  # (B/m,)
