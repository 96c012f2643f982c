r"""Packing (Lin et al., 2018, "PacGAN: the power of two samples in generative
adversarial networks").

A *packed* discriminator judges :math:`m` samples at once: it sees the concatenation
:math:`(x_1, \dots, x_m)` of :math:`m` independent samples, all real or all generated,
and outputs one logit for the pack. Its input therefore comes from the product
distributions :math:`P^m` and :math:`Q^m` instead of :math:`P` and :math:`Q`, and the
divergence it estimates is one between product distributions, which grows with
:math:`m` much faster when :math:`Q` misses some of :math:`P`'s mass (a dropped mode)
than when it is only slightly off everywhere (Lin et al. prove this with their notion
of mode collapse and Blackwell's theorem; the theory page proves a simpler version for
the total variation). Nothing else in the GAN changes: the generator,
the loss and the loop are the same, and the cost is a wider first layer.

PacGAN concatenates the packed samples, so that only the discriminator's input layer
grows (m times wider); for images we concatenate along the channel axis, for vectors
along the feature axis. :func:`pack` does that: consecutive samples
``m k, ..., m k + m - 1`` form pack ``k``:

* ``(B, F) -> (B / m, m F)``;
* ``(B, C, H, W) -> (B / m, m C, H, W)``.

:func:`packed_total_variation` computes :math:`\mathrm{TV}(P^m, Q^m)` exactly for
distributions on a finite set, the quantity the theory page's results are about.
"""

from __future__ import annotations

import numpy as np
from torch import Tensor, nn

from gan_lib.errors import check_positive_int

MAX_PRODUCT_STATES = 10_000_000  # K^m cells the exact computation may enumerate


def _check_pack_size(m: int) -> None:
    check_positive_int("the pack size m", m)


def pack(x: Tensor, m: int) -> Tensor:
    """Group ``m`` consecutive samples into one input of ``m`` times the width.

    Args:
        x: ``(B, F)`` vectors or ``(B, C, ...)`` images; B must be a multiple of m.
        m: the pack size (2 to 4 in PacGAN); ``m = 1`` returns ``x`` unchanged.

    Returns:
        ``(B / m, m F)`` or ``(B / m, m C, ...)``; pack ``k`` holds samples
        ``m k .. m k + m - 1``, concatenated along dimension 1.
    """
    _check_pack_size(m)
    if not isinstance(x, Tensor) or x.dim() < 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"pack expects a batch (B, F) or (B, C, ...); got {shape}")
    batch = x.shape[0]
    if batch % m != 0:
        raise ValueError(
            f"packing m={m} samples per discriminator input needs a batch size that "
            f"is a multiple of {m}; got a batch of {batch}"
        )
    # (B, C, ...) -> (B/m, m, C, ...) -> (B/m, m C, ...): sample m k + j is slot j
    return x.reshape(batch // m, m * x.shape[1], *x.shape[2:])


def unpack(x: Tensor, m: int) -> Tensor:
    """The inverse of :func:`pack`: ``(B / m, m C, ...) -> (B, C, ...)``."""
    _check_pack_size(m)
    if x.dim() < 2 or x.shape[1] % m != 0:
        raise ValueError(
            f"unpack expects (B/m, m*C, ...) with dimension 1 a multiple of m={m}; "
            f"got {tuple(x.shape)}"
        )
    return x.reshape(x.shape[0] * m, x.shape[1] // m, *x.shape[2:])


class PacDiscriminator(nn.Module):
    """Wrap a discriminator whose input is ``m`` times wider: one logit per pack.

    ``x: (B, ...) -> logits (B / m,)``. The wrapped ``discriminator`` must accept
    ``(B / m, m C, ...)`` (e.g. an MLP with ``in_dim = m * F``, or a convolutional D
    with ``m * C`` input channels). If it has ``features``, so does the wrapper (on the
    packed input), for feature matching.

    Args:
        discriminator: the critic of packed inputs, returning logits ``(B / m,)``.
        m: the pack size.
    """

    def __init__(self, discriminator: nn.Module, m: int = 2) -> None:
        super().__init__()
        if not isinstance(discriminator, nn.Module):
            raise TypeError(
                "discriminator must be an nn.Module; "
                f"got {type(discriminator).__name__}"
            )
        _check_pack_size(m)
        self.discriminator, self.m = discriminator, m

    @property
    def samples_per_logit(self) -> int:
        """m: a gradient penalty takes one norm per pack of m samples."""
        return self.m

    def features(self, x: Tensor) -> Tensor:
        """The wrapped D's features of the packs: ``(B, ...) -> (B / m, F)``."""
        if not hasattr(self.discriminator, "features"):
            raise AttributeError(
                f"{type(self.discriminator).__name__} has no features(x) method"
            )
        return self.discriminator.features(pack(x, self.m))

    def forward(self, x: Tensor) -> Tensor:
        return self.discriminator(pack(x, self.m))  # (B / m,)

    def extra_repr(self) -> str:
        return f"m={self.m}"


def _check_distribution(name: str, p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"{name} must be a 1-D array of probabilities; got {p.shape}")
    if (p < 0).any() or abs(p.sum() - 1) > 1e-9:
        raise ValueError(f"{name} must be non-negative and sum to 1; got sum {p.sum()}")
    return p


def packed_total_variation(p: np.ndarray, q: np.ndarray, m: int) -> float:
    r"""Exact :math:`\mathrm{TV}(P^m, Q^m) = \frac12 \sum_{x \in [K]^m}
    |P^m(x) - Q^m(x)|` for distributions on K points, by enumerating the
    :math:`K^m` cells (float64).

    Args:
        p, q: probability vectors of length K.
        m: the pack size; ``K ** m`` must not exceed 10 million.
    """
    p, q = _check_distribution("p", p), _check_distribution("q", q)
    if p.shape != q.shape:
        raise ValueError(f"p and q need the same support; got {p.size} and {q.size}")
    _check_pack_size(m)
    if p.size**m > MAX_PRODUCT_STATES:
        raise ValueError(
            f"K^m = {p.size}^{m} cells is too many to enumerate "
            f"(at most {MAX_PRODUCT_STATES})"
        )
    pm, qm = p, q
    for _ in range(m - 1):  # the product measures, flattened: (K^k,) -> (K^(k+1),)
        pm, qm = np.outer(pm, p).ravel(), np.outer(qm, q).ravel()
    return float(0.5 * np.abs(pm - qm).sum())
