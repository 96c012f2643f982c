r"""Unpaired domains with a known bijection: translation that can be *scored*.

CycleGAN (Zhu et al., 2017) learns maps :math:`G: A \to B` and :math:`F: B \to A` from
two sets that share no pairs. On photographs nobody knows the right answer; here every
domain ``B`` is built as ``T(A')`` for a known bijection :math:`T` applied to data
``A'`` disjoint from ``A``, so a translation :math:`G(a)` can be compared with the
exact answer :math:`T(a)`, which training never sees.

* :class:`UnpairedSource`: the training loop's source, ``sample(batch_size) -> (a,
  b)``, the two domains drawn *independently* (no pairing) from torch's global
  generator, which the loop checkpoints, so a run resumes exactly.
* The ring toy: ring A of ``K`` Gaussian modes, ring B = ring A rotated by 15 degrees
  (:func:`ring_translation` is :math:`T`; :func:`ring_modes` says which mode of a
  ring a point lands on and whether it is on it).
* Digits domains (:func:`digits_domains`): scikit-learn's digits split into disjoint
  parts; B is the other part with intensity inverted (``"invert"``: a local,
  pixelwise map) or rotated by 90 degrees (``"rotate90"``: a geometric one).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import torch
from torch import Tensor

from gan_lib.data.bundled import digits_images
from gan_lib.data.toy import GaussianMixture2D
from gan_lib.errors import check_positive_int


class UnpairedSource:
    """Two unpaired domains as a training source: ``sample(n) -> (a (n, ...), b (n,
    ...))``, rows of ``a`` and of ``b`` drawn uniformly with replacement and
    independently of each other (torch's global generator).

    Args:
        a: domain A, ``(N_A, ...)``.
        b: domain B, ``(N_B, ...)``, the same per-sample shape (channels and size)
            as ``a``: CycleGAN's generators map one shape to the other.
    """

    def __init__(self, a: Tensor, b: Tensor) -> None:
        for name, t in (("a", a), ("b", b)):
            if not isinstance(t, Tensor) or t.dim() < 2 or t.shape[0] < 1:
                got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
                raise ValueError(
                    f"domain {name} must be a tensor (N, ...) with N >= 1; got {got}"
                )
        if a.shape[1:] != b.shape[1:]:
            what = ("channel counts" if a.dim() == 4 and a.shape[1] != b.shape[1]
                    else "sample shapes")
            raise ValueError(
                f"the two domains must have the same per-sample shape; their {what} "
                f"differ: a is {tuple(a.shape[1:])}, b is {tuple(b.shape[1:])}"
            )
        self.a, self.b = a, b

    def __call__(self, batch_size: int) -> tuple[Tensor, Tensor]:
        check_positive_int("batch_size", batch_size)
        i = torch.randint(self.a.shape[0], (batch_size,))
        j = torch.randint(self.b.shape[0], (batch_size,))  # independent of i
        return self.a[i], self.b[j]


# --- the ring toy ---------------------------------------------------------------------

RING_MODES = 8  # the ring of Metz et al. (2017) and PacGAN: 8 modes
RING_RADIUS = 2.0
RING_STD = 0.1  # mode std; neighbouring modes are 2 R sin(pi / K) = 1.53 apart
RING_ROTATION = 15.0  # degrees: B = A rotated by 15 (a third of the 45 between modes)
ON_MODE_STDS = 3.0  # PacGAN's "high quality": within 3 std of a mode centre


def _rotation(degrees: float) -> Tensor:
    """``(2, 2)`` rotation matrix by ``degrees`` counter-clockwise, float64 (cast to
    the points' dtype where it is used)."""
    t = math.radians(degrees)
    return torch.tensor([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]],
                        dtype=torch.float64)


def ring_centers(
    rotation: float = 0.0, n_modes: int = RING_MODES, radius: float = RING_RADIUS
) -> Tensor:
    """``(K, 2)``: mode ``k`` at angle ``2 pi k / K + rotation`` (degrees)."""
    check_positive_int("n_modes", n_modes)
    angles = (2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
              + math.radians(rotation))
    return (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def ring_a(n_modes: int = RING_MODES) -> GaussianMixture2D:
    """Ring A: ``K`` modes of std :data:`RING_STD` at angles ``2 pi k / K``."""
    return GaussianMixture2D(ring_centers(0.0, n_modes), RING_STD)


def ring_b(n_modes: int = RING_MODES) -> GaussianMixture2D:
    """Ring B = :math:`T_\\#` ring A: every mode rotated by :data:`RING_ROTATION`."""
    return GaussianMixture2D(ring_centers(RING_ROTATION, n_modes), RING_STD)


def ring_translation(a: Tensor) -> Tensor:
    """The true map :math:`T`: rotation by :data:`RING_ROTATION` degrees.
    ``a: (n, 2) -> (n, 2)``; it maps ring A onto ring B, mode ``k`` onto mode ``k``."""
    if a.dim() != 2 or a.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2); got {tuple(a.shape)}")
    return a @ _rotation(RING_ROTATION).to(a).T


def ring_inverse_translation(b: Tensor) -> Tensor:
    """:math:`T^{-1}`: rotation by ``-RING_ROTATION`` degrees, ``(n, 2) -> (n, 2)``."""
    if b.dim() != 2 or b.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2); got {tuple(b.shape)}")
    return b @ _rotation(-RING_ROTATION).to(b).T


def ring_modes(
    x: Tensor, domain: Literal["A", "B"], n_modes: int = RING_MODES
) -> tuple[Tensor, Tensor]:
    """Which mode of ring ``domain`` each point is nearest to, ``(n,)`` int64, and
    whether it lies on it (within :data:`ON_MODE_STDS` stds of its centre), ``(n,)``
    bool."""
    if domain not in ("A", "B"):
        raise ValueError(f"domain must be 'A' or 'B'; got {domain!r}")
    if x.dim() != 2 or x.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2); got {tuple(x.shape)}")
    rotation = 0.0 if domain == "A" else RING_ROTATION
    centers = ring_centers(rotation, n_modes).to(x)
    distance = torch.cdist(x.double(), centers.double())  # (n, K)
    nearest, mode = distance.min(dim=1)
    return mode, nearest <= ON_MODE_STDS * RING_STD


def ring_source(n_modes: int = RING_MODES) -> Callable[[int], tuple[Tensor, Tensor]]:
    """The ring pair as a training source: ``sample(n) -> (a (n, 2), b (n, 2))``,
    fresh independent draws of ring A and ring B (torch's global generator)."""
    check_positive_int("n_modes", n_modes)
    first, second = ring_a(n_modes), ring_b(n_modes)

    def sample(batch_size: int) -> tuple[Tensor, Tensor]:
        return first.sample(batch_size), second.sample(batch_size)

    return sample


# --- digits with a known map ----------------------------------------------------------

DigitsMap = Literal["invert", "rotate90"]


def invert(x: Tensor) -> Tensor:
    """Intensity inversion in [-1, 1] (``1 - x`` in [0, 1]); its own inverse."""
    return -x


def rotate90(x: Tensor) -> Tensor:
    """Rotation of ``(..., H, W)`` images by 90 degrees counter-clockwise."""
    return torch.rot90(x, 1, dims=(-2, -1))


def rotate90_inverse(x: Tensor) -> Tensor:
    """Rotation by 90 degrees clockwise: the inverse of :func:`rotate90`."""
    return torch.rot90(x, -1, dims=(-2, -1))


_MAPS: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[Tensor], Tensor]]] = {
    "invert": (invert, invert),
    "rotate90": (rotate90, rotate90_inverse),
}


@dataclass(frozen=True)
class DigitsDomains:
    """Two unpaired digit domains and the bijection that relates them.

    ``a``: domain A ``(N_A, 1, R, R)``; ``b``: domain B ``= T(digits disjoint from
    a)``; ``test_a``: held-out A digits (disjoint from both) to score
    :math:`G(a)` against :math:`T(a)`; ``labels_*``: their digit classes.
    """

    a: Tensor
    b: Tensor
    test_a: Tensor
    labels_a: Tensor
    labels_b: Tensor
    labels_test: Tensor
    T: Callable[[Tensor], Tensor]
    T_inverse: Callable[[Tensor], Tensor]
    name: str

    def source(self) -> UnpairedSource:
        """The training source ``sample(n) -> (a, b)``."""
        return UnpairedSource(self.a, self.b)


def digits_domains(
    mapping: DigitsMap, resolution: int = 16, test_fraction: float = 0.2,
    seed: int = 0,
) -> DigitsDomains:
    """scikit-learn's 1,797 digits (``[-1, 1]``, upsampled to ``resolution``) in a
    seeded random order, split into three disjoint parts: a test part
    (``test_fraction``), then domain A and domain B in halves of the rest; B's images
    pass through :math:`T` (``mapping``). No image of A has its translation in B."""
    if mapping not in _MAPS:
        raise ValueError(
            f"mapping must be one of {get_args(DigitsMap)}; got {mapping!r}"
        )
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1); got {test_fraction}")
    x, y = digits_images(resolution)
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))
    n_test = int(round(test_fraction * x.shape[0]))
    n_half = (x.shape[0] - n_test) // 2
    test, part_a = order[:n_test], order[n_test : n_test + n_half]
    part_b = order[n_test + n_half : n_test + 2 * n_half]
    T, T_inverse = _MAPS[mapping]
    return DigitsDomains(
        a=x[part_a], b=T(x[part_b]), test_a=x[test],
        labels_a=y[part_a], labels_b=y[part_b], labels_test=y[test],
        T=T, T_inverse=T_inverse, name=mapping,
    )
