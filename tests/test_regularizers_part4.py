"""Part IV's generator regularizers: StyleGAN2's path length penalty on linear
"synthesis networks" with known Jacobians, and BigGAN's orthogonal penalty against
closed forms and BigGAN-PyTorch's hand-written gradient."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gan_lib.regularizers import PathLengthPenalty, orthogonal_penalty

B, C, H, W = 512, 2, 4, 4
PIXELS = C * H * W  # 32
W_DIM = 8


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def linear_synthesis(w: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """images = w A: a synthesis network whose Jacobian J^T is A for every w.
    ``w``: (B, w_dim) with ``a`` (w_dim, PIXELS), or (B, L, w_dim) with ``a``
    (L, w_dim, PIXELS), one matrix per copy of w. -> (B, C, H, W)."""
    if w.dim() == 2:
        flat = w @ a  # (B, PIXELS)
    else:
        flat = torch.einsum("blk,lkp->bp", w, a)  # sum over copies: J^T y = A_l y
    return flat.view(len(w), C, H, W)


def latents(shape: tuple[int, ...], seed: int = 1) -> torch.Tensor:
    return torch.randn(shape, generator=seeded(seed)).requires_grad_(True)


def expected_penalty(lengths: torch.Tensor, previous: float, decay: float = 0.01):
    mean = previous + decay * (lengths.mean() - previous)
    return (lengths - mean).square().mean(), mean


def test_matches_a_direct_computation_from_the_same_noise():
    # With the same generator the penalty draws the same y ~ N(0, I) / sqrt(H W);
    # J^T y = A_l y for copy l, and the lengths average the squares over the copies.
    a = torch.randn(3, W_DIM, PIXELS, generator=seeded(2)).requires_grad_(True)
    w = latents((B, 3, W_DIM))
    penalty = PathLengthPenalty()
    penalty.mean.fill_(0.5)  # a running mean from earlier steps
    value = penalty(linear_synthesis(w, a), w, generator=seeded(3))

    y = torch.randn(B, C, H, W, generator=seeded(3)).flatten(1) / math.sqrt(H * W)
    jacobian_t_y = torch.einsum("lkp,bp->blk", a, y)  # (B, L, w_dim)
    lengths = jacobian_t_y.square().sum(2).mean(1).sqrt()  # (B,)
    expected, mean = expected_penalty(lengths, 0.5)
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)
    assert penalty.mean.item() == pytest.approx(mean.item(), rel=1e-6)
    # The gradient to A is the direct formula's, with a kept in the graph.
    (grad,) = torch.autograd.grad(value, a)
    (expected_grad,) = torch.autograd.grad(expected, a)
    assert torch.allclose(grad, expected_grad, rtol=1e-4, atol=1e-7)
    assert grad.abs().sum() > 0


def test_a_scaled_isometry_has_chi_distributed_lengths_and_a_small_penalty():
    # A = c Q with orthonormal rows: |J^T y| = c |Q y|, and Q y ~ N(0, I_k / (H W)),
    # so the lengths are c / sqrt(H W) times a chi variable with k = w_dim degrees
    # of freedom: mean c mu_k / sqrt(HW), variance c^2 (k - mu_k^2) / (HW), with
    # mu_k = sqrt(2) Gamma((k + 1) / 2) / Gamma(k / 2). At the fixed point a = E|J^T y|
    # the penalty is that variance, small next to a^2: (k - mu_k^2) / mu_k^2 is about
    # 1 / (2k), 0.066 for k = 8.
    c, k = 3.0, W_DIM
    q, _ = torch.linalg.qr(torch.randn(PIXELS, k, generator=seeded(4)))  # (PIXELS, k)
    a = c * q.T  # (k, PIXELS), rows orthonormal times c
    mu = math.sqrt(2) * math.exp(math.lgamma((k + 1) / 2) - math.lgamma(k / 2))
    mean_length = c * mu / math.sqrt(H * W)
    variance = c**2 * (k - mu**2) / (H * W)

    penalty = PathLengthPenalty()
    penalty.mean.fill_(mean_length)  # start at the fixed point
    values, means = [], []
    for step in range(8):
        w = latents((B, k), seed=10 + step)
        values.append(penalty(linear_synthesis(w, a), w, generator=seeded(step)))
        means.append(penalty.mean.item())
    average = torch.stack(values).mean().item()
    # 8 * 512 squared deviations; their relative standard deviation is
    # sqrt(2 / 4096) ~ 2.2% for a near-Gaussian length: allow 5 of them.
    assert average == pytest.approx(variance, rel=0.11)
    assert average < 0.1 * mean_length**2
    assert max(abs(m - mean_length) for m in means) < 0.01 * mean_length


def test_the_running_mean_follows_the_exponential_average_exactly():
    a = torch.randn(W_DIM, PIXELS, generator=seeded(5))
    penalty = PathLengthPenalty(decay=0.01)
    assert penalty.mean.item() == 0.0  # pl_mean starts at 0
    expected = 0.0
    for step in range(5):
        w = latents((B, W_DIM), seed=20 + step)
        penalty(linear_synthesis(w, a), w, generator=seeded(step))
        noise = torch.randn(B, C, H, W, generator=seeded(step)).flatten(1)
        lengths = (noise @ a.T).norm(dim=1) / math.sqrt(H * W)  # |A y| per sample
        expected = expected + 0.01 * (lengths.mean().item() - expected)
        assert penalty.mean.item() == pytest.approx(expected, rel=1e-5)
    assert not penalty.mean.requires_grad


def test_the_running_mean_is_checkpointed():
    penalty = PathLengthPenalty()
    penalty.mean.fill_(1.25)
    restored = PathLengthPenalty()
    restored.load_state_dict(penalty.state_dict())
    assert restored.mean.item() == 1.25


def test_images_without_a_graph_to_w_are_refused():
    w = torch.randn(4, W_DIM)
    images = torch.randn(4, C, H, W)
    with pytest.raises(ValueError, match="autograd"):
        PathLengthPenalty()(images, w)
    with pytest.raises(ValueError, match="same B"):
        PathLengthPenalty()(images, torch.randn(5, W_DIM, requires_grad=True))
    with pytest.raises(ValueError, match="decay"):
        PathLengthPenalty(decay=0.0)


# --- orthogonal regularization -------------------------------------------------------


def off_diagonal_gradient(w: torch.Tensor) -> torch.Tensor:
    """The closed form grad R = 4 (W W^T * (1 - I)) W for W of shape (out, in)."""
    gram = w @ w.T
    return 4 * (gram * (1 - torch.eye(len(w), dtype=w.dtype))) @ w


def single_weight(weight: torch.Tensor) -> nn.Module:
    module = nn.Module()
    module.weight = nn.Parameter(weight.clone())
    return module


def test_zero_for_orthogonal_rows_of_any_norms():
    q, _ = torch.linalg.qr(torch.randn(6, 4, generator=seeded(), dtype=torch.float64))
    rows = torch.diag(torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.float64)) @ q.T
    assert orthogonal_penalty(single_weight(rows)).item() < 1e-24


def test_closed_form_on_a_2x2_matrix():
    # Rows (1, 2) and (3, 4): w1 . w2 = 11, counted twice off the diagonal.
    module = single_weight(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert orthogonal_penalty(module).item() == 2 * 11**2


def test_autograd_gradient_is_four_times_the_masked_gram_times_w():
    weight = torch.randn(5, 3, 3, 3, generator=seeded(1), dtype=torch.float64)
    module = single_weight(weight)  # a conv weight, flattened to (5, 27)
    orthogonal_penalty(module).backward()
    expected = off_diagonal_gradient(weight.flatten(1)).view_as(weight)
    assert torch.allclose(module.weight.grad, expected, rtol=1e-12, atol=1e-12)


def test_biggan_pytorch_hand_written_step_is_half_the_autograd_step():
    beta = 1e-4
    weight = torch.randn(6, 10, generator=seeded(2), dtype=torch.float64)
    module = single_weight(weight)
    (beta * orthogonal_penalty(module)).backward()
    # BigGAN-PyTorch utils.ortho: param.grad += strength * 2 (W W^T * (1 - I)) W
    w = weight.view(weight.shape[0], -1)
    hand_written = beta * 2 * torch.mm(
        torch.mm(w, w.t()) * (1.0 - torch.eye(w.shape[0], dtype=w.dtype)), w
    )
    assert torch.allclose(hand_written, module.weight.grad / 2, rtol=1e-12, atol=0)


def test_exclude_and_one_dimensional_parameters():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.Linear(6, 3))
    with torch.no_grad():
        for layer in (model[0], model[1], model[2]):
            layer.bias.normal_()  # biases and gains must not count
    first, last = model[0].weight, model[2].weight

    def by_hand(weight: torch.Tensor) -> float:
        gram = weight @ weight.T
        return float((gram - torch.diag(gram.diagonal())).square().sum().detach())

    total = orthogonal_penalty(model).item()
    assert total == pytest.approx(by_hand(first) + by_hand(last), rel=1e-5)
    assert orthogonal_penalty(model, exclude=[first]).item() == pytest.approx(
        by_hand(last), rel=1e-5
    )
    assert orthogonal_penalty(model, exclude=[first, last]).item() == 0.0
    assert orthogonal_penalty(nn.LayerNorm(4)).item() == 0.0
