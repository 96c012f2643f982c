"""Multilayer perceptrons for low-dimensional data (the 1-D and 2-D toy problems).

The generator maps ``z: (N, z_dim) -> x: (N, out_dim)``; the discriminator maps
``x: (N, in_dim) -> T(x): (N,)``, a *logit*, never a probability.

The discriminator carries the anti-collapse options of Chapter 8 as arguments, each
from its paper, so that a benchmark can compare them on one network:

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

With every option off this is a plain MLP with a linear output layer.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Literal

from torch import Tensor, nn

from gan_lib.errors import check_positive_int
from gan_lib.layers import MinibatchDiscrimination, MinibatchStdDev
from gan_lib.models.registry import register
from gan_lib.regularizers import spectral_norm as apply_spectral_norm
from gan_lib.stabilization.packing import pack as pack_samples

Activation = Literal["relu", "leaky_relu", "tanh", "elu"]


def _activation(name: Activation) -> nn.Module:
    table = {
        "relu": nn.ReLU,
        "leaky_relu": partial(nn.LeakyReLU, 0.2),
        "tanh": nn.Tanh,
        "elu": nn.ELU,
    }
    if name not in table:
        raise ValueError(f"activation must be one of {sorted(table)}; got {name!r}")
    return table[name]()


def _check_depth(n_layers: int) -> None:
    if not isinstance(n_layers, int) or n_layers < 0:
        raise ValueError(f"n_layers must be a non-negative int; got {n_layers!r}")


def mlp(
    in_dim: int, out_dim: int, hidden: int, n_layers: int, activation: Activation
) -> nn.Sequential:
    """``n_layers`` hidden layers of width ``hidden``, then a linear output layer."""
    for arg, value in (("in_dim", in_dim), ("out_dim", out_dim), ("hidden", hidden)):
        check_positive_int(arg, value)
    _check_depth(n_layers)
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(n_layers):
        layers += [nn.Linear(width, hidden), _activation(activation)]
        width = hidden
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


def _check_input(x: Tensor, dim: int, name: str) -> None:
    if x.dim() != 2 or x.shape[1] != dim:
        raise ValueError(f"{name} must have shape (N, {dim}); got {tuple(x.shape)}")


@register("mlp_generator")
class MLPGenerator(nn.Module):
    """MLP generator ``G: z (N, z_dim) -> x (N, out_dim)``, linear output.

    Args:
        z_dim: latent dimension.
        out_dim: data dimension (1 or 2 for the toys).
        hidden: width of each hidden layer.
        n_layers: number of hidden layers.
        activation: hidden nonlinearity.
    """

    def __init__(
        self,
        z_dim: int = 2,
        out_dim: int = 2,
        hidden: int = 128,
        n_layers: int = 3,
        activation: Activation = "relu",
    ) -> None:
        super().__init__()
        check_positive_int("z_dim", z_dim)  # named as the caller named it
        self.z_dim, self.out_dim = z_dim, out_dim
        self.net = mlp(z_dim, out_dim, hidden, n_layers, activation)

    def forward(self, z: Tensor) -> Tensor:
        _check_input(z, self.z_dim, "z")
        return self.net(z)  # (N, out_dim)


@register("mlp_discriminator")
class MLPDiscriminator(nn.Module):
    """MLP discriminator ``T: x (B, in_dim) -> logits (B / pack,)``.

    Images ``(B, C, H, W)`` are accepted and flattened (``in_dim = C H W``).

    Args:
        in_dim: dimension of one sample (2 for the toys, 768 for flattened 16 x 16
            stacked digits).
        hidden: width of each hidden layer.
        n_layers: number of hidden layers (0: an affine critic).
        activation: hidden nonlinearity (LeakyReLU 0.2 is the usual choice for D).
        spectral_norm: normalize every linear layer by its spectral norm
            (Miyato et al., 2018), making T 1-Lipschitz for 1-Lipschitz activations.
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
        n_layers: int = 3,
        activation: Activation = "leaky_relu",
        spectral_norm: bool = False,
        pack: int = 1,
        minibatch_stddev: bool = False,
        stddev_group: int | None = 4,
        minibatch_discrimination: bool = False,
        num_kernels: int = 16,
        kernel_dim: int = 8,
    ) -> None:
        super().__init__()
        for arg, value in (("in_dim", in_dim), ("hidden", hidden), ("pack", pack)):
            check_positive_int(arg, value)
        _check_depth(n_layers)
        if n_layers == 0 and (minibatch_stddev or minibatch_discrimination):
            raise ValueError(
                "the minibatch features enter before the last hidden layer, so "
                "minibatch_stddev and minibatch_discrimination need n_layers >= 1; "
                "got n_layers=0"
            )
        self.in_dim, self.pack = in_dim, pack
        layers: list[nn.Module] = []
        width = pack * in_dim  # (B/m, m in_dim) after packing
        for _ in range(n_layers - 1):  # every hidden layer but the last
            layers += [nn.Linear(width, hidden), _activation(activation)]
            width = hidden
        if minibatch_stddev:  # the batch features enter before the last hidden layer
            layers.append(MinibatchStdDev(stddev_group))
            width += 1
        if minibatch_discrimination:
            layers.append(MinibatchDiscrimination(width, num_kernels, kernel_dim))
            width += num_kernels
        if n_layers > 0:  # the last hidden layer
            layers += [nn.Linear(width, hidden), _activation(activation)]
            width = hidden
        layers.append(nn.Linear(width, 1))  # the logit
        self.net = nn.Sequential(*layers)
        if spectral_norm:
            apply_spectral_norm(self.net)

    @property
    def samples_per_logit(self) -> int:
        """m = ``pack``: a gradient penalty takes one norm per pack of m samples."""
        return self.pack

    def features(self, x: Tensor) -> Tensor:
        """``x: (B, in_dim) -> (B / pack, hidden)``, the last hidden activations: what
        feature matching compares.

        Images ``(B, C, H, W)`` with ``C H W = in_dim`` are flattened first.
        """
        if x.dim() < 2 or math.prod(x.shape[1:]) != self.in_dim:
            raise ValueError(
                f"x must have shape (N, {self.in_dim}) or (N, C, H, W) with "
                f"C H W = {self.in_dim}; got {tuple(x.shape)}"
            )
        x = x.flatten(1)  # (B, in_dim): images are read as vectors
        h = pack_samples(x, self.pack)  # (B/m, m in_dim)
        return self.net[:-1](h)  # every layer but the final linear: (B/m, hidden)

    def forward(self, x: Tensor) -> Tensor:
        return self.net[-1](self.features(x)).squeeze(1)  # (B/m,)
