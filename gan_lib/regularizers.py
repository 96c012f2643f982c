"""Ways to keep a critic well-behaved: penalties, clipping, spectral normalization.

Part IV adds two regularizers of the generator at the end of the file: orthogonal
regularization (BigGAN) and path length regularization (StyleGAN2).

Every penalty returns its value *before* its weight; the weight (``lambda_gp``,
``gamma / 2``) and any lazy interval stay visible where the penalty is used (the
training loop). Penalties are always computed in float32, even inside a bf16 autocast
region, because a gradient norm squared in bf16 loses most of its digits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
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


# --- Part IV: regularizers of the generator ------------------------------------------


def orthogonal_penalty(
    module: nn.Module, exclude: Iterable[nn.Parameter] = ()
) -> Tensor:
    r"""BigGAN's off-diagonal orthogonal regularization (Brock et al., 2019, Eq. 3),
    before its weight :math:`\beta`:

    .. math::
        R(W) = \bigl\lVert W W^\top \odot (\mathbf 1 - I) \bigr\rVert_F^2
             = \sum_{i \ne j} (w_i^\top w_j)^2,

    summed over every parameter of ``module`` with at least 2 dims, each flattened to
    ``(out, -1)`` so that its rows :math:`w_i` are the output filters (BigGAN-PyTorch's
    ``utils.ortho`` forms ``param.view(param.shape[0], -1)`` and ``w @ w.t()``; the
    paper writes :math:`W^\top W` with the filters as columns: the same Gram matrix of
    filters). It pushes filters apart in angle without fixing their norms. 1-D
    parameters (biases, gains) are skipped, and so is every parameter in ``exclude``
    (BigGAN excludes the shared class embedding, ``G.shared``).

    **Weight.** :math:`\beta = 10^{-4}` (the paper; BigGAN-PyTorch ``utils.ortho``
    default ``strength=1e-4``; its ``--G_ortho`` flag defaults to 0.0 with the comment
    "1e-4 should be default for BigGAN", and ``train_fns.py`` applies it to G only).

    **The hand-written gradient is half this one.** With :math:`G = W W^\top` and
    :math:`M = G \odot (\mathbf 1 - I)` (symmetric),
    :math:`dR = 2 \langle M, dG \rangle = 2 \langle M, dW\, W^\top + W\, dW^\top \rangle
    = 4 \langle M W, dW \rangle`, so :math:`\nabla_W R = 4\, M W`. BigGAN-PyTorch skips
    autograd and adds ``strength * 2 * (w @ w.t() * (1 - eye)) @ w`` to ``param.grad``,
    i.e. :math:`2 \beta M W = \nabla_W (\tfrac{\beta}{2} R)`: half the step that
    ``(loss + beta * orthogonal_penalty(G)).backward()`` takes. To reproduce
    BigGAN-PyTorch exactly, weight this penalty by :math:`\beta / 2 = 5 \cdot 10^{-5}`.

    Returns a scalar tensor (float32 at least) that carries the graph to the weights.
    """
    excluded = {id(p) for p in exclude}
    total: Tensor | None = None
    for param in module.parameters():
        if param.dim() < 2 or id(param) in excluded:
            continue
        dtype = torch.promote_types(param.dtype, torch.float32)
        w = param.flatten(1).to(dtype)  # (out, in * k * k)
        gram = w @ w.T  # (out, out): G_ij = w_i . w_j
        off_diagonal = gram - torch.diag_embed(gram.diagonal())  # G * (1 - I)
        term = off_diagonal.square().sum()
        total = term if total is None else total + term
    if total is None:  # nothing to regularize: a constant 0
        device = next(module.parameters(), torch.zeros(())).device
        return torch.zeros((), device=device)
    return total


class PathLengthPenalty(nn.Module):
    r"""StyleGAN2's path length regularizer (Karras et al., 2020, Eq. 4), before its
    weight:

    .. math::
        \mathbb{E}_{w, y}\bigl(\lVert J_w^\top y \rVert_2 - a\bigr)^2,
        \qquad y \sim \mathcal N(0, I) / \sqrt{H W},

    where :math:`J_w = \partial g(w) / \partial w` is the synthesis network's Jacobian
    and :math:`a` a running mean of the lengths. It asks a fixed-size step in
    :math:`w` to move the image by a fixed amount, whatever :math:`w` and direction:
    at its minimum :math:`J_w` is a scaled isometry.

    What one call computes, as the official code does (``G_logistic_ns_pathreg`` in
    NVlabs/stylegan2 ``training/loss.py``; ``StyleGAN2Loss`` in
    NVlabs/stylegan2-ada-pytorch ``training/loss.py``):

    1. :math:`y \sim \mathcal N(0, I)` of the images' shape, divided by
       :math:`\sqrt{HW}` (pixels per channel, not :math:`C H W`);
    2. :math:`J^\top y` = ``autograd.grad(sum(images * y), w, create_graph=True)``;
    3. lengths :math:`\sqrt{\tfrac{1}{L}\sum_{l} \lVert (J^\top y)_l \rVert^2}` for
       ``w`` of shape ``(B, L, w_dim)``: the squares are *summed* over ``w_dim``,
       *averaged* over the :math:`L` = ``num_ws`` copies of :math:`w`, then the
       square root is taken (``pl_grads.square().sum(2).mean(1).sqrt()``); for a
       2-D ``w`` of shape ``(B, w_dim)``, just the norm;
    4. :math:`a \leftarrow a + \text{decay}\,(\overline{\text{length}} - a)`
       (``pl_mean.lerp(pl_lengths.mean(), pl_decay)``), stored detached in the
       buffer ``mean`` (so it goes into checkpoints with ``state_dict``);
    5. returns the batch mean of :math:`(\text{length} - a)^2` with the *updated*
       :math:`a`. As in both official codes that :math:`a` is not detached inside
       the penalty: a share ``decay`` of :math:`\overline{\text{length}}` in it
       carries gradient too.

    **Constants** (each from the official code): ``decay = 0.01`` (``pl_decay``);
    the weight is ``pl_weight = 2``, applied every ``G_reg_interval = 4`` G steps
    (NVlabs/stylegan2 ``training/training_loop.py``), the penalty then multiplied by
    the interval and Adam's rate and betas corrected by ``4 / 5``; the penalty runs on
    half the batch (``pl_batch_shrink = 2``). Weight, interval and batch belong to the
    objective that uses this penalty. The official comment: dividing ``y`` by
    :math:`\sqrt{HW}` and averaging over ``num_ws`` make the effective weight
    :math:`2 / (r^2 (2\log_2 r - 2))` at resolution :math:`r`.

    Computed in float32 even inside a bf16 autocast region (the official code casts
    images and gradients to float32).
    """

    mean: Tensor

    def __init__(self, decay: float = 0.01) -> None:
        super().__init__()
        if not 0 < decay <= 1:
            raise ValueError(f"decay must be in (0, 1]; got {decay}")
        self.decay = decay  # pl_decay = 0.01 (NVlabs/stylegan2 training/loss.py)
        self.register_buffer("mean", torch.zeros(()))  # a; pl_mean starts at 0.0

    def forward(
        self, images: Tensor, w: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        """``images``: ``(B, C, H, W)`` = ``G.synthesis(w)``, built with a graph to
        ``w``: ``(B, w_dim)`` or ``(B, num_ws, w_dim)``. ``generator`` draws ``y``
        (on the images' device). Returns a scalar tensor."""
        _check_batch("images", images)
        _check_batch("w", w)
        if images.dim() != 4 or w.dim() not in (2, 3) or len(images) != len(w):
            raise ValueError(
                "PathLengthPenalty needs images (B, C, H, W) and w (B, w_dim) or "
                f"(B, num_ws, w_dim) with the same B; got images "
                f"{tuple(images.shape)} and w {tuple(w.shape)}"
            )
        if not (w.requires_grad and images.requires_grad):
            raise ValueError(
                "images must be computed from w with autograd on (w.requires_grad "
                "and images.requires_grad), so that J^T y can be differentiated"
            )
        height, width = images.shape[2], images.shape[3]
        with torch.autocast(device_type=images.device.type, enabled=False):
            y = torch.randn(
                images.shape, generator=generator, device=images.device
            ) / math.sqrt(height * width)  # (B, C, H, W), per pixel, not per value
            (jacobian_t_y,) = torch.autograd.grad(
                (images.float() * y).sum(), w, create_graph=True
            )  # J^T y: the shape of w
            squares = jacobian_t_y.float().square().sum(dim=-1)  # (B,) or (B, L)
            if squares.dim() == 2:
                squares = squares.mean(dim=1)  # mean over num_ws, as official
            lengths = squares.sqrt()  # (B,)
            previous = self.mean.to(lengths.dtype)
            mean = previous + self.decay * (lengths.mean() - previous)  # lerp
            self.mean.copy_(mean.detach())
            return (lengths - mean).square().mean()
