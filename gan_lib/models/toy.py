"""Multilayer perceptrons for low-dimensional data (the 1-D and 2-D toy problems).

The generator maps ``z: (N, z_dim) -> x: (N, out_dim)``; the discriminator maps
``x: (N, in_dim) -> T(x): (N,)``, a *logit*, never a probability.
"""

from __future__ import annotations

from functools import partial
from typing import Literal

from torch import Tensor, nn

from gan_lib.models.registry import register
from gan_lib.regularizers import spectral_norm as apply_spectral_norm

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


def mlp(
    in_dim: int, out_dim: int, hidden: int, n_layers: int, activation: Activation
) -> nn.Sequential:
    """``n_layers`` hidden layers of width ``hidden``, then a linear output layer."""
    for arg, value in (("in_dim", in_dim), ("out_dim", out_dim), ("hidden", hidden)):
        _check_positive_int(arg, value)
    if not isinstance(n_layers, int) or n_layers < 0:
        raise ValueError(f"n_layers must be a non-negative int; got {n_layers!r}")
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(n_layers):
        layers += [nn.Linear(width, hidden), _activation(activation)]
        width = hidden
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


def _check_positive_int(name: str, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}")


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
        _check_positive_int("z_dim", z_dim)  # named as the caller named it
        self.z_dim, self.out_dim = z_dim, out_dim
        self.net = mlp(z_dim, out_dim, hidden, n_layers, activation)

    def forward(self, z: Tensor) -> Tensor:
        _check_input(z, self.z_dim, "z")
        return self.net(z)  # (N, out_dim)


@register("mlp_discriminator")
class MLPDiscriminator(nn.Module):
    """MLP discriminator ``T: x (N, in_dim) -> logits (N,)``.

    Args:
        in_dim: data dimension.
        hidden: width of each hidden layer.
        n_layers: number of hidden layers.
        activation: hidden nonlinearity (LeakyReLU 0.2 is the usual choice for D).
        spectral_norm: normalize every linear layer by its spectral norm
            (Miyato et al., 2018), making T 1-Lipschitz for 1-Lipschitz activations.
    """

    def __init__(
        self,
        in_dim: int = 2,
        hidden: int = 128,
        n_layers: int = 3,
        activation: Activation = "leaky_relu",
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.net = mlp(in_dim, 1, hidden, n_layers, activation)
        if spectral_norm:
            apply_spectral_norm(self.net)

    def features(self, x: Tensor) -> Tensor:
        """The last hidden layer's activations, ``(N, hidden)``: what feature
        matching compares."""
        _check_input(x, self.in_dim, "x")
        return self.net[:-1](x)  # every layer but the final linear

    def forward(self, x: Tensor) -> Tensor:
        return self.net[-1](self.features(x)).squeeze(1)  # (N,)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
