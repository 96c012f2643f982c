r"""Convolution arithmetic: output sizes, the convolution as a matrix, and the
transposed convolution as its transpose (Dumoulin & Visin, 2016).

Everything here is about one channel and square grids: an input of side ``n``, a
``k x k`` kernel, stride ``s``, zero padding ``p`` on every side. PyTorch's
``conv2d`` is a cross-correlation,

.. math::  y[i, j] = \sum_{a, b} K[a, b]\, x_{pad}[i s + a,\; j s + b],

where :math:`x_{pad}` is :math:`x` with ``p`` zeros around it. The output side is
:func:`conv_output_size`. Flattening both grids row by row, ``y = C x`` for the
``(out_cells, in_cells)`` matrix :func:`conv_matrix`. The transposed convolution
(``conv_transpose2d``) is the map ``y -> C^T y`` (:func:`conv_transpose_matrix`),
the adjoint, which is what autograd computes as the gradient of a convolution with
respect to its input; its output side is :func:`conv_transpose_output_size`.

A transposed convolution is also an ordinary stride-1 convolution, with the kernel
flipped, of its input with ``s - 1`` zeros inserted between neighbouring cells and
``k - p - 1`` zeros of padding around (Dumoulin & Visin, 2016, Relationship 14):
:func:`zero_inserted_input`. :func:`contribution_counts` counts how many kernel taps
write each output cell of a transposed convolution: uneven counts, when ``k`` is not
a multiple of ``s``, are the checkerboard of Odena et al. (2016).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lib.errors import check_int_at_least


def conv_output_size(
    n: int, kernel_size: int, stride: int = 1, padding: int = 0
) -> int:
    r"""Side of ``conv2d``'s output: :math:`\lfloor (n + 2p - k) / s \rfloor + 1`
    (Dumoulin & Visin, 2016, Relationship 6).

    Raises ``ValueError`` when the kernel does not fit in the padded input.
    """
    check_int_at_least("n", n, 1)
    check_int_at_least("kernel_size", kernel_size, 1)
    check_int_at_least("stride", stride, 1)
    check_int_at_least("padding", padding, 0)
    if n + 2 * padding < kernel_size:
        raise ValueError(
            f"the kernel ({kernel_size}) is larger than the padded input "
            f"({n} + 2 * {padding} = {n + 2 * padding})"
        )
    return (n + 2 * padding - kernel_size) // stride + 1


def conv_transpose_output_size(
    n: int, kernel_size: int, stride: int = 1, padding: int = 0, output_padding: int = 0
) -> int:
    r"""Side of ``conv_transpose2d``'s output: :math:`(n - 1) s - 2p + k + a`, with
    ``a = output_padding < s`` (Dumoulin & Visin, 2016, Relationship 14).

    The ``s`` input sides :math:`m, m + 1, \dots, m + s - 1` of a convolution all give
    the same output side; ``a`` picks which one the transposed convolution returns.
    """
    check_int_at_least("n", n, 1)
    check_int_at_least("kernel_size", kernel_size, 1)
    check_int_at_least("stride", stride, 1)
    check_int_at_least("padding", padding, 0)
    check_int_at_least("output_padding", output_padding, 0)
    if output_padding >= stride:
        raise ValueError(
            f"output_padding must be smaller than stride ({stride}); "
            f"got {output_padding}"
        )
    size = (n - 1) * stride - 2 * padding + kernel_size + output_padding
    if size < 1:
        raise ValueError(
            f"padding {padding} removes the whole output of side "
            f"(n - 1) s + k + a = {size + 2 * padding}"
        )
    return size


def conv_matrix(n: int, kernel: Tensor, stride: int = 1, padding: int = 0) -> Tensor:
    r"""The ``(m*m, n*n)`` matrix ``C`` with ``conv2d(x, K, stride, padding) = C x``.

    ``m = conv_output_size(n, k, stride, padding)``; both grids are flattened row by
    row (cell ``(i, j)`` of a side-``n`` grid is index ``i * n + j``). Row ``(i, j)``
    holds the kernel at the input cells of the window of output cell ``(i, j)``:
    :math:`C[(i, j), (u, v)] = K[u - (i s - p),\; v - (j s - p)]` when both indices
    lie in ``[0, k)``, else 0. Taps that fall on the padding multiply zeros, so they
    have no column.

    Args:
        n: side of the input.
        kernel: ``(k, k)`` kernel (one input and one output channel).
        stride, padding: as in ``torch.nn.functional.conv2d``.
    """
    if kernel.dim() != 2 or kernel.shape[0] != kernel.shape[1]:
        raise ValueError(
            f"kernel must be a square (k, k) tensor; got {tuple(kernel.shape)}"
        )
    k = kernel.shape[0]
    m = conv_output_size(n, k, stride, padding)
    C = kernel.new_zeros(m, m, n, n)  # C[i, j, u, v]
    for i in range(m):
        for j in range(m):
            top, left = i * stride - padding, j * stride - padding  # window corner
            for a in range(k):
                for b in range(k):
                    u, v = top + a, left + b
                    if 0 <= u < n and 0 <= v < n:
                        C[i, j, u, v] = kernel[a, b]
    return C.reshape(m * m, n * n)


def conv_transpose_matrix(
    n: int, kernel: Tensor, stride: int = 1, padding: int = 0, output_padding: int = 0
) -> Tensor:
    r"""The ``(M*M, n*n)`` matrix of ``conv_transpose2d`` on a side-``n`` input:
    :math:`C^\top`, where ``C = conv_matrix(M, kernel, stride, padding)`` and
    ``M = conv_transpose_output_size(n, k, stride, padding, output_padding)``.

    ``C`` maps side ``M`` to side ``n`` (because ``output_padding < stride``), so its
    transpose maps side ``n`` back to side ``M``.
    """
    if kernel.dim() != 2:
        raise ValueError(f"kernel must be a (k, k) tensor; got {tuple(kernel.shape)}")
    k = kernel.shape[0]
    M = conv_transpose_output_size(n, k, stride, padding, output_padding)
    return conv_matrix(M, kernel, stride, padding).T  # (M*M, n*n)


def connectivity(
    n: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    transposed: bool = False,
) -> Tensor:
    """Which input cells feed each output cell: a boolean ``(out_cells, in_cells)``
    matrix, the nonzero pattern of the (transposed) convolution matrix of an all-ones
    kernel. Row ``r`` lists the inputs of output cell ``r`` (row-major order)."""
    ones = torch.ones(kernel_size, kernel_size, dtype=torch.float64)
    if transposed:
        return conv_transpose_matrix(n, ones, stride, padding, output_padding) != 0
    if output_padding != 0:
        raise ValueError("output_padding only applies to a transposed convolution")
    return conv_matrix(n, ones, stride, padding) != 0


def contribution_counts(
    n: int, kernel_size: int, stride: int = 1, padding: int = 0, output_padding: int = 0
) -> Tensor:
    r"""How many (input cell, kernel tap) pairs write each output cell of a
    transposed convolution: ``(M, M)`` integers, ``M`` its output side.

    Computed as ``conv_transpose2d`` of an all-ones input with an all-ones kernel.
    Away from the border, cell ``u`` of each axis receives :math:`\lceil (k - r)/s
    \rceil` taps where ``r = (u + p) mod s``: the same for all ``u`` exactly when
    ``s`` divides ``k`` (no checkerboard).
    """
    M = conv_transpose_output_size(n, kernel_size, stride, padding, output_padding)
    x = torch.ones(1, 1, n, n, dtype=torch.float64)
    w = torch.ones(1, 1, kernel_size, kernel_size, dtype=torch.float64)
    counts = F.conv_transpose2d(x, w, None, stride, padding, output_padding)
    assert counts.shape[-1] == M
    return counts[0, 0].round().long()  # (M, M)


def zero_inserted_input(
    x: Tensor,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
) -> Tensor:
    r"""The input of the direct convolution that equals a transposed convolution.

    ``x: (..., n, n) -> (..., L, L)``: ``s - 1`` zeros between neighbouring cells
    (side ``(n - 1) s + 1``), then ``k - p - 1`` zeros on the top and left and
    ``k - p - 1 + a`` on the bottom and right (negative amounts crop). Then
    ``conv_transpose2d(x, K, s, p, a) = conv2d(zero_inserted_input(x), flip(K))``
    with stride 1 and no padding (Dumoulin & Visin, 2016, Relationship 14), and
    ``L - k + 1`` is the transposed convolution's output side.
    """
    if x.dim() < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"x must end in a square grid (..., n, n); got {tuple(x.shape)}"
        )
    n = x.shape[-1]
    conv_transpose_output_size(
        n, kernel_size, stride, padding, output_padding
    )  # checks
    side = (n - 1) * stride + 1
    spread = x.new_zeros(*x.shape[:-2], side, side)
    spread[..., ::stride, ::stride] = x  # (..., (n-1)s+1, (n-1)s+1)
    before = kernel_size - padding - 1
    after = before + output_padding
    return F.pad(spread, (before, after, before, after))  # negative pads crop
