r"""Minibatch discrimination (Salimans et al., 2016, "Improved techniques for training
GANs", Section 3.2).

The discriminator gets, for each sample, features that say how close that sample is to
the *other* samples of its minibatch, so that it can reject a batch whose samples are
too alike (a collapsed generator) even when each one alone looks real.

With :math:`f(x_i) \in \R^A` a vector of intermediate features of sample :math:`i` and
a learned tensor :math:`T \in \R^{A \times B \times C}` (stored as an
:math:`A \times BC` matrix):

.. math::

   M_i = f(x_i)\, T \in \R^{B \times C}, \qquad
   c_b(x_i, x_j) = \exp\bigl(-\lVert M_{i,b} - M_{j,b} \rVert_{L_1}\bigr) \in (0, 1],

   o(x_i)_b = \sum_{j=1}^{n} c_b(x_i, x_j), \qquad
   o(x_i) = \bigl(o(x_i)_1, \dots, o(x_i)_B\bigr) \in \R^B,

and the layer returns :math:`[f(x_i), o(x_i)] \in \R^{A + B}`, which feeds the next
layer of the discriminator (the paper's Eqs. in Section 3.2, Figure 1).

**The sum over j includes j = i**, as the paper writes it (:math:`\sum_{j=1}^n`) and as
its code computes it (``improved-gan``, ``nn.py``: the pairwise L1 distances of all
samples, self included). The self term is :math:`c_b(x_i, x_i) = e^0 = 1`, a constant:
it shifts every :math:`o(x_i)_b` by 1 and changes no gradient. So
:math:`1 \le o(x_i)_b \le n`, with :math:`o = n` exactly when all the samples' rows
:math:`M_{j,b}` coincide, the signature of a collapsed batch.

The paper computes these features separately for a batch of real data and a batch of
generated samples; :func:`gan_lib.training.train` calls the discriminator on the two
batches separately, so that is what happens.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from gan_lib.errors import check_positive_int


class MinibatchDiscrimination(nn.Module):
    r"""Append :math:`o(x_i) \in \R^B` (closeness to the rest of the batch) to features.

    ``f: (n, A) -> (n, A + B)``.

    Args:
        in_features: A, the dimension of the features :math:`f(x_i)`.
        num_kernels: B, the number of similarity features appended.
        kernel_dim: C, the dimension of each row :math:`M_{i,b}`.
        init_std: standard deviation of the normal initialization of T.
    """

    # sample i's output depends on the whole batch: a per-sample gradient penalty
    # (R1, WGAN-GP) is not defined for a discriminator holding this layer
    mixes_samples: ClassVar[bool] = True

    def __init__(
        self,
        in_features: int,
        num_kernels: int = 16,
        kernel_dim: int = 8,
        init_std: float = 0.1,
    ) -> None:
        super().__init__()
        for name, value in (
            ("in_features", in_features),
            ("num_kernels", num_kernels),
            ("kernel_dim", kernel_dim),
        ):
            check_positive_int(name, value)
        if not init_std > 0:
            raise ValueError(f"init_std must be positive; got {init_std!r}")
        self.in_features, self.num_kernels = in_features, num_kernels
        self.kernel_dim = kernel_dim
        # the tensor T in R^{A x B x C}, as an A x (B C) matrix
        self.T = nn.Parameter(
            torch.randn(in_features, num_kernels * kernel_dim) * init_std
        )

    def similarities(self, f: Tensor) -> Tensor:
        r"""The matrix of :math:`c_b(x_i, x_j)`, shape ``(n, n, B)``, self included."""
        if f.dim() != 2 or f.shape[1] != self.in_features:
            raise ValueError(
                f"minibatch discrimination expects features of shape "
                f"(n, {self.in_features}); got {tuple(f.shape)}"
            )
        M = (f @ self.T).view(-1, self.num_kernels, self.kernel_dim)  # (n, B, C)
        rows = M.transpose(0, 1)  # (B, n, C): row b of every M_i
        l1 = torch.cdist(rows, rows, p=1)  # (B, n, n): ||M_ib - M_jb||_1
        return torch.exp(-l1).permute(1, 2, 0)  # (n, n, B), c_b(x_i, x_i) = 1

    def forward(self, f: Tensor) -> Tensor:
        o = self.similarities(f).sum(dim=1)  # (n, B): o(x_i)_b = sum_j c_b(x_i, x_j)
        return torch.cat([f, o], dim=1)  # (n, A + B)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, num_kernels={self.num_kernels}, "
            f"kernel_dim={self.kernel_dim}"
        )
