r"""Walking in the latent space: linear and spherical interpolation (Chapter 6).

For :math:`z \sim \mathcal N(0, I_d)` the norm :math:`\lVert z\rVert` concentrates
around :math:`\sqrt d`, while the midpoint of two independent codes has norm about
:math:`\sqrt{d/2}`: a straight line leaves the shell the generator was trained on.
Spherical linear interpolation (slerp; White, 2016, "Sampling generative networks")
follows the great circle instead and keeps the norm when the endpoints share it.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from gan_lib.errors import check_int_at_least

Mode = Literal["linear", "slerp"]


def _check_pair(z0: Tensor, z1: Tensor) -> None:
    if z0.shape != z1.shape or z0.dim() != 1:
        raise ValueError(
            "z0 and z1 must be vectors (d,) of the same size; "
            f"got {tuple(z0.shape)} and {tuple(z1.shape)}"
        )


def lerp(z0: Tensor, z1: Tensor, t: Tensor) -> Tensor:
    """``(1 - t) z0 + t z1`` for each ``t``: ``(d,), (d,), (T,) -> (T, d)``."""
    _check_pair(z0, z1)
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device).reshape(-1, 1)  # (T, 1)
    return (1 - t) * z0 + t * z1  # (T, d)


def slerp(z0: Tensor, z1: Tensor, t: Tensor, eps: float = 1e-7) -> Tensor:
    r"""Spherical linear interpolation: ``(d,), (d,), (T,) -> (T, d)``,

    .. math::
        \operatorname{slerp}(z_0, z_1; t) = \frac{\sin((1 - t)\theta)}{\sin\theta} z_0
        + \frac{\sin(t\theta)}{\sin\theta} z_1,
        \qquad \cos\theta = \frac{\langle z_0, z_1\rangle}
        {\lVert z_0\rVert \lVert z_1\rVert}.

    Falls back to :func:`lerp` when the two directions are parallel
    (:math:`\sin\theta < \text{eps}`), where slerp tends to it; antiparallel codes
    have no unique great circle and raise ``ValueError``.
    """
    _check_pair(z0, z1)
    norms = z0.norm() * z1.norm()
    if norms == 0:
        raise ValueError("slerp needs two nonzero vectors")
    cos = (z0 @ z1 / norms).clamp(-1.0, 1.0)
    theta = torch.arccos(cos)
    if torch.sin(theta) < eps:
        if cos < 0:
            raise ValueError("z0 and z1 point in opposite directions: no unique arc")
        return lerp(z0, z1, t)
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device).reshape(-1, 1)  # (T, 1)
    w0 = torch.sin((1 - t) * theta) / torch.sin(theta)  # (T, 1)
    w1 = torch.sin(t * theta) / torch.sin(theta)
    return w0 * z0 + w1 * z1  # (T, d)


def interpolate(z0: Tensor, z1: Tensor, steps: int, mode: Mode = "slerp") -> Tensor:
    """``steps`` codes from ``z0`` to ``z1`` (both included): ``(steps, d)``."""
    check_int_at_least("steps", steps, 2)
    t = torch.linspace(0, 1, steps, dtype=z0.dtype, device=z0.device)
    if mode == "linear":
        return lerp(z0, z1, t)
    if mode == "slerp":
        return slerp(z0, z1, t)
    raise ValueError(f"mode must be 'linear' or 'slerp'; got {mode!r}")
