"""Broken set-ups the sweep runs to show that a lab's checks can fail.

Each one is a bug seen in real GAN code, made on purpose:

* :func:`frozen` - a generator that never learns (its weights get no gradient);
* :class:`SignFlipped` - a generator that climbs its loss instead of descending it
  (the sign error of a hand-written loss), made by negating the gradient that flows
  back into it, so the training loop itself is untouched;
* :class:`Collapsed` - a generator whose every sample is one point (total collapse),
  still differentiable so that any loop can train it.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Frozen(nn.Module):
    """Wraps a generator so that it never learns, whatever the loop does.

    Setting ``requires_grad=False`` is not enough: a training loop that switches the
    players' ``requires_grad`` on and off (as :func:`gan_lib.training.train` does)
    turns it back on. Here ``G`` runs under ``torch.no_grad()``; a zero-valued anchor
    keeps the output attached to a graph so that the loop's backward pass still runs,
    and its gradient is zero, so Adam leaves it at zero. Attributes the loop reads
    (``z_dim``, ``num_classes``) are passed through.
    """

    def __init__(self, G: nn.Module) -> None:
        super().__init__()
        self.G = G
        self.anchor = nn.Parameter(torch.zeros(()))
        self.z_dim = G.z_dim
        if hasattr(G, "num_classes"):
            self.num_classes = G.num_classes

    def forward(self, *inputs: Tensor) -> Tensor:
        with torch.no_grad():
            x = self.G(*inputs)
        return x + 0.0 * self.anchor


def frozen(G: nn.Module) -> nn.Module:
    """``G`` wrapped so that it never moves (see :class:`Frozen`)."""
    return Frozen(G)


class _NegateGradient(torch.autograd.Function):
    """Identity forward; the gradient's sign flipped backward."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:  # noqa: ANN001
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:  # noqa: ANN001
        return -grad


class SignFlipped(nn.Module):
    """Wraps a generator so that gradient descent on its loss becomes ascent.

    ``forward`` returns ``G``'s samples unchanged; the gradient reaching ``G``'s
    weights is negated. Attributes the loop reads (``z_dim``, ``num_classes``) are
    passed through.
    """

    def __init__(self, G: nn.Module) -> None:
        super().__init__()
        self.G = G
        self.z_dim = G.z_dim
        if hasattr(G, "num_classes"):
            self.num_classes = G.num_classes

    def forward(self, *inputs: Tensor) -> Tensor:
        return _NegateGradient.apply(self.G(*inputs))


class Collapsed(nn.Module):
    """A generator that maps every ``z`` to ``point`` (plus 0 x a learnable bias).

    ``point``: (*sample_shape) - the one sample it ever produces.
    """

    def __init__(self, point: Tensor, z_dim: int) -> None:
        super().__init__()
        self.register_buffer("point", point.detach().clone())
        self.bias = nn.Parameter(torch.zeros(()))  # something for Adam to hold
        self.z_dim = z_dim

    def forward(self, z: Tensor, *labels: Tensor) -> Tensor:
        shape = (z.shape[0],) + tuple(self.point.shape)
        return self.point.expand(shape) + 0.0 * self.bias


def apply(G: nn.Module, variant: str) -> nn.Module:
    """``G`` broken as ``variant`` names (``"frozen_generator"`` or
    ``"sign_flipped"``), or ``G`` itself for ``"ok"``."""
    if variant == "ok":
        return G
    if variant == "frozen_generator":
        return frozen(G)
    if variant == "sign_flipped":
        return SignFlipped(G)
    from gan_lib.errors import UnknownNameError

    raise UnknownNameError("broken variant", variant,
                           ("ok", "frozen_generator", "sign_flipped"))
