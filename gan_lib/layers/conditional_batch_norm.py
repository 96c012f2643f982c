r"""Conditional batch normalization (de Vries et al., 2017).

Batch normalization (Ioffe and Szegedy, 2015) standardizes each channel with the
batch's statistics and then applies a learned affine map :math:`\gamma_c \hat h +
\beta_c`. Conditional batch norm keeps the standardization and lets the label choose
the affine map:

.. math::

    \mathrm{CBN}(h, y)_{b,c,i,j}
    = \gamma_c(y_b)\,\frac{h_{b,c,i,j} - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}}
    + \beta_c(y_b),

with :math:`\gamma(y), \beta(y) \in \R^C` rows of two tables indexed by the class.
de Vries et al. (2017) predict the (changes of the) scales and shifts from a sentence
embedding; Dumoulin et al. (2017) keep one row per style on top of *instance*
normalization; cGANs with a projection discriminator (Miyato and Koyama, 2018) and
BigGAN use one row per class on top of batch norm, as here. The tables start at
:math:`\gamma = 1`, :math:`\beta = 0`, so at initialization the layer *is* batch norm
with its default affine parameters, whatever the label.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def check_labels(y: Tensor, batch: int, num_classes: int) -> None:
    """Raise a ``ValueError``/``TypeError`` unless ``y`` is int64 ``(batch,)`` with
    values in ``[0, num_classes)``.

    The range check runs on CPU tensors in eager mode only: on an accelerator it would
    read two numbers from the device in every forward (a host sync inside the training
    step), under ``torch.compile`` it would break the graph, and in both cases an
    out-of-range index already fails inside the embedding. The training loop checks a
    labelled data set's range once, up front.
    """
    if not isinstance(y, Tensor):
        raise TypeError(f"labels y must be a tensor of class indices; got {type(y)}")
    if y.dtype != torch.int64:
        raise TypeError(f"labels y must be int64 class indices; got dtype {y.dtype}")
    if y.shape != (batch,):
        raise ValueError(
            f"labels y must have shape ({batch},), one per sample; got {tuple(y.shape)}"
        )
    eager_cpu = y.device.type == "cpu" and not torch.compiler.is_compiling()
    if batch and eager_cpu and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"labels y must lie in [0, {num_classes}) for num_classes={num_classes}; "
            f"got values from {int(y.min())} to {int(y.max())}"
        )


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose scale and shift are looked up by class.

    ``forward(h: (B, C, H, W), y: (B,) int64) -> (B, C, H, W)``.

    Args:
        num_features: C, the channels normalized.
        num_classes: K, the number of rows of the gamma and beta tables.
        eps: added to the variance (as in ``nn.BatchNorm2d``).
        momentum: of the running statistics (as in ``nn.BatchNorm2d``).
    """

    def __init__(
        self,
        num_features: int,
        num_classes: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
    ) -> None:
        super().__init__()
        self.num_features, self.num_classes = num_features, num_classes
        # standardization only: the affine part comes from the label
        self.norm = nn.BatchNorm2d(
            num_features, eps=eps, momentum=momentum, affine=False
        )
        self.gamma = nn.Embedding(num_classes, num_features)  # (K, C)
        self.beta = nn.Embedding(num_classes, num_features)  # (K, C)
        nn.init.ones_(self.gamma.weight)  # identity at initialization
        nn.init.zeros_(self.beta.weight)

    def forward(self, h: Tensor, y: Tensor) -> Tensor:
        if h.dim() != 4 or h.shape[1] != self.num_features:
            raise ValueError(
                f"h must have shape (B, {self.num_features}, H, W); "
                f"got {tuple(h.shape)}"
            )
        check_labels(y, h.shape[0], self.num_classes)
        h_hat = self.norm(h)  # (B, C, H, W), zero mean and unit variance per channel
        gamma = self.gamma(y)[:, :, None, None]  # (B, C, 1, 1)
        beta = self.beta(y)[:, :, None, None]  # (B, C, 1, 1)
        return gamma * h_hat + beta

    def extra_repr(self) -> str:
        return f"{self.num_features}, num_classes={self.num_classes}"
