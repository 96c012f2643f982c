r"""Walking in the latent space: linear and spherical interpolation (Chapter 6).

For :math:`z \sim \mathcal N(0, I_d)` the norm :math:`\lVert z\rVert` concentrates
around :math:`\sqrt d`, while the midpoint of two independent codes has norm about
:math:`\sqrt{d/2}`: a straight line leaves the shell the generator was trained on.
Spherical linear interpolation (slerp; White, 2016, "Sampling generative networks")
follows the great circle instead and keeps the norm when the endpoints share it.

Part IV adds the truncation trick (BigGAN): codes drawn from a normal truncated to
:math:`[-t, t]` coordinate by coordinate, trading variety for fidelity.
"""

from __future__ import annotations

import math
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


# --- the truncation trick (BigGAN) ---------------------------------------------------


def _check_threshold(threshold: float) -> None:
    finite = isinstance(threshold, (int, float)) and math.isfinite(threshold)
    if not (finite and threshold > 0):
        raise ValueError(
            f"threshold must be a positive finite number; got {threshold!r}"
        )


def _mass_inside(threshold: float) -> float:
    """P(|z| <= t) for z ~ N(0, 1): ``2 Phi(t) - 1 = erf(t / sqrt 2)``."""
    return math.erf(threshold / math.sqrt(2))


def truncated_normal(
    shape: tuple[int, ...] | torch.Size,
    threshold: float,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> Tensor:
    r"""The truncation trick's latent codes (Brock et al., 2019, Section 3.1): every
    coordinate :math:`z_i \sim \mathcal N(0, 1)` conditioned on
    :math:`|z_i| \le t`, a float32 tensor of ``shape``.

    Sampled by rejection *per coordinate*, as the paper describes ("resampling the
    values with magnitude above a chosen threshold"): each coordinate outside
    :math:`[-t, t]` is drawn again until it falls inside, so a coordinate costs
    :math:`1 / (2\Phi(t) - 1)` draws on average. Rejecting whole vectors instead would
    be hopeless (see :func:`cube_probability`). The coordinates are independent, each
    with variance :func:`truncated_normal_variance`.

    BigGAN-PyTorch's ``TFHub/biggan.py`` (``truncated_z_sample``, for the released
    TF-Hub generators) parametrizes the trick differently: ``truncation *
    truncnorm.rvs(-2, 2, ...)``, a fixed threshold 2 scaled by ``truncation``.

    ``generator`` and ``device`` as for :func:`torch.randn` (a generator must live on
    ``device``).
    """
    _check_threshold(threshold)
    z = torch.randn(shape, generator=generator, device=device)
    outside = z.abs() > threshold
    while outside.any():  # redraw only the coordinates that fell outside
        redraw = torch.randn(
            int(outside.sum()), generator=generator, device=z.device
        )
        z[outside] = redraw
        outside = z.abs() > threshold
    return z


def truncated_normal_variance(threshold: float) -> float:
    r"""Variance of :math:`\mathcal N(0, 1)` truncated to :math:`[-t, t]`:

    .. math:: 1 - \frac{2 t \varphi(t)}{2 \Phi(t) - 1},

    with :math:`\varphi, \Phi` the standard normal density and distribution
    function (the mean is 0 by symmetry). It tends to 1 as :math:`t \to \infty` and
    behaves like :math:`t^2 / 3`, the uniform's, as :math:`t \to 0`.
    """
    _check_threshold(threshold)
    density = math.exp(-threshold**2 / 2) / math.sqrt(2 * math.pi)  # phi(t)
    return 1 - 2 * threshold * density / _mass_inside(threshold)


def cube_probability(threshold: float, dim: int) -> float:
    r"""The probability that a whole vector :math:`z \sim \mathcal N(0, I_d)` lies in
    the cube :math:`[-t, t]^d`: :math:`(2\Phi(t) - 1)^d`, the acceptance rate of
    rejecting whole vectors. For BigGAN's :math:`d = 120` (its 128 px generator) and
    :math:`t = 0.5` it is about :math:`10^{-50}`: per-coordinate rejection is the
    only way.
    """
    _check_threshold(threshold)
    check_int_at_least("dim", dim, 1)
    return _mass_inside(threshold) ** dim
