"""Convolution arithmetic: sizes, the convolution matrix and its transpose against
PyTorch's conv2d / conv_transpose2d, zero insertion, contribution counts."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from gan_lib import conv_arithmetic as ca

SETTINGS = [  # (n, k, s, p)
    (5, 3, 1, 0),
    (5, 3, 2, 1),
    (6, 4, 2, 1),
    (7, 3, 3, 0),
    (4, 4, 1, 2),
    (8, 5, 2, 2),
    (3, 1, 2, 0),
]


def kernel(k: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(k, k, generator=torch.Generator().manual_seed(seed)).double()


@pytest.mark.parametrize("n,k,s,p", SETTINGS)
def test_conv2d_is_multiplication_by_the_conv_matrix(n, k, s, p):
    K = kernel(k)
    x = torch.randn(n, n, generator=torch.Generator().manual_seed(1)).double()
    C = ca.conv_matrix(n, K, s, p)
    m = ca.conv_output_size(n, k, s, p)
    assert C.shape == (m * m, n * n)
    y = F.conv2d(x[None, None], K[None, None], stride=s, padding=p)[0, 0]
    assert torch.allclose(C @ x.flatten(), y.flatten(), atol=1e-12)


WITH_OUTPUT_PADDING = [(n, k, s, p, a) for n, k, s, p in SETTINGS for a in range(s)]


@pytest.mark.parametrize("n,k,s,p,a", WITH_OUTPUT_PADDING)
def test_conv_transpose2d_is_multiplication_by_the_transpose(n, k, s, p, a):
    m = ca.conv_output_size(n, k, s, p)  # the transposed conv maps side m -> n (+a)
    K = kernel(k)
    y = torch.randn(m, m, generator=torch.Generator().manual_seed(2)).double()
    M = ca.conv_transpose_output_size(m, k, s, p, a)
    out = F.conv_transpose2d(y[None, None], K[None, None], None, s, p, a)[0, 0]
    assert out.shape == (M, M)
    T = ca.conv_transpose_matrix(m, K, s, p, a)
    assert T.shape == (M * M, m * m)
    assert torch.allclose(T @ y.flatten(), out.flatten(), atol=1e-12)
    if a == 0 and M == n:  # the very same matrix as the convolution, transposed
        assert torch.equal(T, ca.conv_matrix(n, K, s, p).T)


def test_transpose_is_the_adjoint_and_the_input_gradient():
    # <C x, y> = <x, C^T y>, and autograd's gradient of conv2d is conv_transpose2d
    n, k, s, p = 7, 3, 2, 1
    K = kernel(k)
    x = torch.randn(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    y = F.conv2d(x, K[None, None], stride=s, padding=p)
    g = torch.randn_like(y)
    (grad,) = torch.autograd.grad((y * g).sum(), x)
    assert torch.allclose(grad, F.conv_transpose2d(g, K[None, None], None, s, p))
    assert torch.allclose((y * g).sum(), (x * grad).sum())


def test_output_sizes_match_pytorch_over_a_grid():
    checked = 0
    for n, k, s, p in itertools.product(
        range(1, 9), range(1, 6), range(1, 4), range(3)
    ):
        if n + 2 * p < k:
            with pytest.raises(ValueError, match="larger than the padded input"):
                ca.conv_output_size(n, k, s, p)
            continue
        x = torch.zeros(1, 1, n, n)
        out = F.conv2d(x, torch.zeros(1, 1, k, k), stride=s, padding=p)
        assert ca.conv_output_size(n, k, s, p) == out.shape[-1]
        assert ca.conv_output_size(n, k, s, p) == math.floor((n + 2 * p - k) / s) + 1
        for a in range(s):
            expected = (n - 1) * s - 2 * p + k + a
            if expected < 1:
                continue
            out = F.conv_transpose2d(x, torch.zeros(1, 1, k, k), None, s, p, a)
            size = ca.conv_transpose_output_size(n, k, s, p, a)
            assert size == out.shape[-1] == expected
            # the transposed conv inverts the size map of the conv
            if size + 2 * p >= k:
                assert ca.conv_output_size(size, k, s, p) == n
            checked += 1
    assert checked > 300


@pytest.mark.parametrize("n,k,s,p", SETTINGS)
def test_zero_insertion_turns_the_transposed_conv_into_a_direct_conv(n, k, s, p):
    K = kernel(k, seed=3)
    x = torch.randn(1, 1, n, n, generator=torch.Generator().manual_seed(4)).double()
    for a in range(s):
        direct = F.conv2d(
            ca.zero_inserted_input(x, k, s, p, a), K.flip(0, 1)[None, None]
        )
        assert torch.allclose(
            direct, F.conv_transpose2d(x, K[None, None], None, s, p, a)
        )


def test_zero_insertion_with_cropping_when_padding_exceeds_kernel():
    K = kernel(2, seed=5)
    x = torch.randn(1, 1, 5, 5, dtype=torch.float64)
    direct = F.conv2d(ca.zero_inserted_input(x, 2, 2, 1), K.flip(0, 1)[None, None])
    reference = F.conv_transpose2d(x, K[None, None], None, 2, 1)
    assert direct.shape == reference.shape == (1, 1, 8, 8)
    assert torch.allclose(direct, reference)


def test_contribution_counts_show_the_checkerboard():
    even = ca.contribution_counts(6, kernel_size=4, stride=2, padding=1)
    odd = ca.contribution_counts(
        6, kernel_size=3, stride=2, padding=1, output_padding=1
    )
    assert even.shape == odd.shape == (12, 12)
    inner = (slice(2, -2), slice(2, -2))
    assert torch.all(even[inner] == 4)  # k/s = 2 taps per axis everywhere
    assert set(odd[inner].unique().tolist()) == {1, 2, 4}  # 1 or 2 per axis
    # the pattern is periodic with period s, as ceil((k - r)/s) predicts
    rows = odd[4, 2:-2].tolist()
    assert rows == [rows[0], rows[1]] * (len(rows) // 2)
    # the matrix view: row sums of the connectivity pattern are the same counts
    conn = ca.connectivity(6, 3, 2, 1, output_padding=1, transposed=True)
    assert torch.equal(conn.sum(1).reshape(12, 12), odd)


def test_connectivity_of_a_convolution_is_the_window():
    conn = ca.connectivity(5, 3, stride=2, padding=1)  # output 3 x 3
    assert conn.shape == (9, 25)
    centre = conn[4].reshape(5, 5)  # output (1, 1) reads input rows/cols 1..3
    expected = torch.zeros(5, 5, dtype=torch.bool)
    expected[1:4, 1:4] = True
    assert torch.equal(centre, expected)
    corner = conn[0].reshape(5, 5)  # output (0, 0): window partly on the padding
    assert corner.sum() == 4 and corner[:2, :2].all()


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: ca.conv_output_size(0, 3), "n must be an int >= 1"),
        (lambda: ca.conv_output_size(5, 3, stride=0), "stride must be an int >= 1"),
        (lambda: ca.conv_output_size(2, 5), "larger than the padded input"),
        (lambda: ca.conv_transpose_output_size(4, 3, 2, 1, 2), "smaller than stride"),
        (lambda: ca.conv_transpose_output_size(1, 1, 1, 1), "removes the whole output"),
        (lambda: ca.conv_matrix(4, torch.ones(3)), r"square \(k, k\)"),
        (lambda: ca.connectivity(4, 3, output_padding=1), "only applies to a trans"),
        (lambda: ca.zero_inserted_input(torch.ones(3, 4), 3), r"\(\.\.\., n, n\)"),
    ],
)
def test_bad_inputs_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
