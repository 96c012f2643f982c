"""Ways to keep a critic well-behaved: penalties, clipping, spectral normalization.

Every penalty returns its value *before* its weight; the weight (``lambda_gp``,
``gamma / 2``) and any lazy interval stay visible where the penalty is used (the
training loop). Penalties are always computed in float32, even inside a bf16 autocast
region, because a gradient norm squared in bf16 loses most of its digits.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrizations

Critic = Callable[[Tensor], Tensor]


def _check_batch(name: str, x: Tensor) -> None:
    if not isinstance(x, Tensor) or not x.is_floating_point():
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise TypeError(f"{name} must be a floating-point tensor; got {got}")
    if x.dim() < 2:
        raise ValueError(
            f"{name} must be a batch of shape (N, ...) with N samples; "
            f"got shape {tuple(x.shape)}"
        )


def _input_gradient(critic: Critic, x: Tensor) -> Tensor:
    """d(sum_i T(x_i)) / dx, kept in the graph so that the penalty can be trained on.

    Because sample i's logit depends only on x_i, row i of the result is the gradient of
    T at x_i. Shape: the shape of ``x``.
    """
    x = x.detach().float().requires_grad_(True)
    device_type = x.device.type
    with torch.autocast(device_type=device_type, enabled=False):
        logits = critic(x).float()
        (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=True)
    return grad


def _squared_norms(grad: Tensor, group: int) -> Tensor:
    """``||grad||^2`` per critic input: per sample, or summed over each pack of
    ``group`` consecutive samples (the input of a packed discriminator is the
    concatenation of its pack, so its gradient is too). ``(N, ...) -> (N / group,)``."""
    squares = grad.flatten(1).pow(2).sum(dim=1)  # (N,)
    return squares if group == 1 else squares.reshape(-1, group).sum(dim=1)


def _check_group(group: int, x: Tensor) -> None:
    if isinstance(group, bool) or not isinstance(group, int) or group < 1:
        raise ValueError(f"group (samples per critic input) must be a positive int; "
                         f"got {group!r}")
    if x.shape[0] % group:
        raise ValueError(f"a batch of {x.shape[0]} samples does not split into "
                         f"inputs of group={group} samples")


def gradient_penalty(
    critic: Critic,
    real: Tensor,
    fake: Tensor,
    generator: torch.Generator | None = None,
    group: int = 1,
) -> Tensor:
    r"""WGAN-GP penalty (Gulrajani et al., 2017, Eq. 3), before its weight
    :math:`\lambda`.

    .. math::
        \mathbb{E}_{\hat x}\big[(\lVert \nabla_{\hat x} T(\hat x) \rVert_2 - 1)^2\big],
        \qquad \hat x = \epsilon x_{real} + (1 - \epsilon) x_{fake},\;
        \epsilon \sim U[0, 1]

    with one :math:`\epsilon` per critic input and the norm taken over all of that
    input. ``real`` and ``fake``: ``(N, ...)`` of the same shape. ``group``: samples
    per critic input (``m`` for a packed discriminator, whose logit judges ``m``
    consecutive samples: one :math:`\epsilon` and one norm per pack).
    """
    _check_batch("real", real)
    _check_batch("fake", fake)
    if real.shape != fake.shape:
        raise ValueError(
            "gradient_penalty interpolates real and fake samples pairwise, so they "
            "need "
            f"the same shape; got real {tuple(real.shape)} and fake {tuple(fake.shape)}"
        )
    _check_group(group, real)
    eps_shape = (real.shape[0] // group,) + (1,) * (real.dim() - 1)  # (N / m, 1, ...)
    eps = torch.rand(eps_shape, generator=generator, device=real.device)
    if group > 1:
        eps = eps.repeat_interleave(group, dim=0)  # one epsilon per pack
    x_hat = eps * real.detach().float() + (1 - eps) * fake.detach().float()
    grad = _input_gradient(critic, x_hat)
    if group == 1:  # the norm as Gulrajani et al.'s code computes it
        grad_norm = torch.linalg.vector_norm(grad.flatten(1), dim=1)  # (N,)
    else:
        grad_norm = _squared_norms(grad, group).sqrt()  # (N / m,)
    return (grad_norm - 1).pow(2).mean()


def r1_penalty(critic: Critic, real: Tensor, group: int = 1) -> Tensor:
    r"""R1 penalty (Mescheder et al., 2018, Eq. 9), before its weight :math:`\gamma/2`.

    .. math:: \mathbb{E}_{x \sim p_{data}}\big[\lVert \nabla_x T(x) \rVert_2^2\big]

    ``real``: ``(N, ...)``. ``group``: samples per critic input (``m`` for a packed
    discriminator: the expectation runs over the ``N / m`` packs).
    """
    _check_batch("real", real)
    _check_group(group, real)
    return _squared_norms(_input_gradient(critic, real), group).mean()


def r2_penalty(critic: Critic, fake: Tensor, group: int = 1) -> Tensor:
    r"""R2 penalty: the R1 penalty on generated samples, :math:`\mathbb{E}_z\lVert
    \nabla T(G(z)) \rVert_2^2`, before its weight. ``fake``: ``(N, ...)``."""
    _check_batch("fake", fake)
    _check_group(group, fake)
    return _squared_norms(_input_gradient(critic, fake), group).mean()


@torch.no_grad()
def clip_weights_(module: nn.Module, clip_value: float = 0.01) -> None:
    """WGAN weight clipping (Arjovsky et al., 2017, Algorithm 1): clamp every parameter
    of ``module`` to ``[-clip_value, clip_value]``, in place, after each critic step."""
    if not clip_value > 0:
        raise ValueError(f"clip_value must be positive; got {clip_value}")
    for p in module.parameters():
        p.clamp_(-clip_value, clip_value)


def spectral_norm(module: nn.Module, n_power_iterations: int = 1) -> nn.Module:
    r"""Spectral normalization (Miyato et al., 2018) of every ``Linear`` and ``Conv``
    layer inside ``module``, in place; returns ``module``.

    Each weight is divided by an estimate of its largest singular value
    :math:`\sigma(W)`, kept up to date by ``n_power_iterations`` steps of power
    iteration per forward pass (see :func:`power_iteration`), so that each layer is
    1-Lipschitz. Uses ``torch.nn.utils.parametrizations.spectral_norm``.
    """
    layer_types = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d)
    if isinstance(module, layer_types):
        return parametrizations.spectral_norm(
            module, n_power_iterations=n_power_iterations
        )
    for name, child in module.named_children():
        setattr(module, name, spectral_norm(child, n_power_iterations))
    return module


def power_iteration(
    weight: Tensor, steps: int = 50, generator: torch.Generator | None = None
) -> Tensor:
    r"""Estimate the largest singular value :math:`\sigma(W)` of a matrix by power
    iteration: :math:`v \leftarrow W^\top u / \lVert W^\top u \rVert,\;
    u \leftarrow W v / \lVert W v \rVert`, then :math:`\sigma \approx u^\top W v`.

    ``weight``: ``(out, ...)``, flattened to ``(out, in)`` as spectral normalization
    does. Returns a scalar tensor.
    """
    if weight.dim() < 2:
        raise ValueError(f"weight must have at least 2 dims; got {tuple(weight.shape)}")
    w = weight.detach().flatten(1).double()  # (out, in)
    u = torch.randn(w.shape[0], generator=generator, dtype=w.dtype)
    u = u.to(w.device) / u.norm()
    for _ in range(steps):
        v = w.T @ u
        v = v / v.norm()
        u = w @ v
        u = u / u.norm()
    return (u @ w @ v).to(weight.dtype)
