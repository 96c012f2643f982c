r"""Sliced Wasserstein distance (SWD) between image sets, over Laplacian pyramids.

Karras et al. (2018), "Progressive Growing of GANs", Section 5 and Appendix D: compare
the two sets' distributions of small patches, level by level of a Laplacian pyramid,
so that a distance per spatial scale comes out (the finest level sees edges and noise,
the 16 px level sees colours and layout). Per level:

1. build each image's Laplacian pyramid from its resolution down to 16 px (Gaussian
   5x5 kernel :math:`[1, 4, 6, 4, 1]^\top [1, 4, 6, 4, 1] / 256`, mirror boundary,
   as ``cv2.pyrDown`` / ``cv2.pyrUp``; the last level is the 16 px low-pass image);
2. cut 128 random 7x7 patches (descriptors) per image and level;
3. normalize each channel of each *set's* descriptors to mean 0 and standard
   deviation 1 (over descriptors and patch pixels);
4. the sliced Wasserstein distance between the two descriptor sets: the mean over
   random unit directions :math:`\theta` of the exact 1-D :math:`W_1` between the
   projections :math:`\theta^\top a_i` and :math:`\theta^\top b_i` (sorted and
   matched), 4 x 128 directions.

The result is one distance per level (finest first) and their average.

**Which reference it matches.** ``metrics/sliced_wasserstein.py`` of
tkarras/progressive_growing_of_gans: kernel, boundary, pyramid, patch positions
(centres drawn uniformly where a whole patch fits), per-set per-channel normalization
(``np.std``, ddof 0), unit directions from normalized Gaussians and the sorted
:math:`W_1`. Three deliberate differences: the statistics are float64 (the official
code projects in float32); both sets use the *same* random patch centres and the same
directions (common random numbers: each set's descriptors have the official
distribution, and identical sets give exactly 0); and the distances are returned in
their own units, where the official code multiplies them by :math:`10^3` (its metric
names are ``SWDx1e3_<res>`` and ``SWDx1e3_avg``; ProGAN's Table 1 prints
:math:`\mathrm{SWD} \times 10^3`). The paper uses 16384 images per set.

The per-set normalization makes SWD blind to a per-channel affine change of a whole
set (a global colour shift or contrast change), and independent of the pixel range
(``[0, 255]`` or ``[-1, 1]``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lib.errors import check_positive_int
from gan_lib.metrics.checks import ArrayLike, as_features, as_float64_tensor

# The constants of tkarras/progressive_growing_of_gans, metrics/sliced_wasserstein.py
# (class API.__init__ unless noted):
PATCH_SIZE = 7  # nhood_size = 7
DESCRIPTORS_PER_IMAGE = 128  # nhoods_per_image = 128
DIRECTIONS_PER_REPEAT = 128  # dirs_per_repeat = 128
DIRECTION_REPEATS = 4  # dir_repeats = 4
PROJECTIONS = DIRECTION_REPEATS * DIRECTIONS_PER_REPEAT  # 512 directions in all
MIN_RESOLUTION = 16  # `while res >= 16`: the coarsest level
# gaussian_filter = outer([1, 4, 6, 4, 1]) / 256, separable into two 1-D passes:
BINOMIAL_5 = (1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16)


@dataclass(frozen=True)
class SlicedWassersteinDistances:
    """SWD per pyramid level and their average, in the distances' own units
    (multiply by 1e3 for ProGAN's tables).

    Attributes:
        resolutions: each level's resolution, finest first (e.g. 64, 32, 16).
        distances: the SWD at each level, in the same order.
        average: the mean of ``distances``.
    """

    resolutions: tuple[int, ...]
    distances: tuple[float, ...]
    average: float


# --- the building block: SWD between two point sets ----------------------------------


def _check_same_shape(reason: str, **tensors: Tensor) -> None:
    """Raise unless the two named tensors have the same shape, saying why."""
    (first, x), (second, y) = tensors.items()
    if x.shape != y.shape:
        raise ValueError(
            f"{reason}, so {first} and {second} need the same shape; got {first} "
            f"{tuple(x.shape)} and {second} {tuple(y.shape)}"
        )


def _random_directions(
    dim: int, count: int, generator: torch.Generator | None
) -> Tensor:
    """``count`` uniform unit vectors of R^dim as columns, ``(dim, count)``, float64,
    drawn on the CPU (so that a seed gives the same directions on every device)."""
    directions = torch.randn(dim, count, generator=generator, dtype=torch.float64)
    return directions / directions.norm(dim=0, keepdim=True)  # unit columns


def _sliced_w1(a: Tensor, b: Tensor, projections: int,
               generator: torch.Generator | None) -> float:
    """Mean over ``projections`` random directions of the sorted 1-D W1 between the
    projections of ``a`` and ``b`` (both ``(N, d)`` float64 on one device), drawn
    ``DIRECTIONS_PER_REPEAT`` at a time as the official code does."""
    total = torch.zeros((), dtype=torch.float64, device=a.device)
    for start in range(0, projections, DIRECTIONS_PER_REPEAT):
        count = min(DIRECTIONS_PER_REPEAT, projections - start)
        directions = _random_directions(a.shape[1], count, generator).to(a.device)
        projected_a = torch.sort(a @ directions, dim=0).values  # (N, count)
        projected_b = torch.sort(b @ directions, dim=0).values
        total += (projected_a - projected_b).abs().sum()  # monotone coupling
    return float(total) / (a.shape[0] * projections)


def sliced_wasserstein(
    a: ArrayLike,
    b: ArrayLike,
    projections: int,
    generator: torch.Generator | None = None,
) -> float:
    r"""Sliced Wasserstein-1 distance between two equal-size point sets,

    .. math::
        \mathrm{SW}_1(a, b) \approx \frac{1}{K} \sum_{k=1}^K
        \frac{1}{N} \sum_{i=1}^N \bigl| (\theta_k^\top a)_{(i)}
        - (\theta_k^\top b)_{(i)} \bigr|,

    with :math:`\theta_k` uniform on the unit sphere and :math:`(\cdot)_{(i)}` the
    :math:`i`-th smallest value: in one dimension the optimal coupling of two
    equal-size samples matches them in sorted order, so each term is an exact 1-D
    :math:`W_1`. For ``d = 1`` the result is the exact :math:`W_1`.

    Args:
        a, b: ``(N, d)`` point sets of the same shape (``N >= 1``).
        projections: the number of random directions :math:`K` (the ProGAN metric
            uses 512, drawn 128 at a time).
        generator: a CPU ``torch.Generator`` for the directions; they are drawn on the
            CPU and moved to ``a``'s device, so a seed gives the same result on
            every device.

    Returns:
        The distance, a float (float64 arithmetic).
    """
    a = as_features("a", a)
    b = as_features("b", b)
    _check_same_shape(
        "sliced_wasserstein matches the sorted projections one to one", a=a, b=b
    )
    check_positive_int("projections", projections)
    return _sliced_w1(a, b.to(a.device), projections, generator)


# --- the Laplacian pyramid -----------------------------------------------------------


def _blur(images: Tensor) -> Tensor:
    """The 5x5 binomial blur with a mirror boundary (``scipy.ndimage`` "mirror" =
    torch "reflect"), one channel at a time: ``(N, C, H, W) -> (N, C, H, W)``."""
    channels = images.shape[1]
    kernel = torch.tensor(BINOMIAL_5, dtype=images.dtype, device=images.device)
    rows = kernel.view(1, 1, 1, 5).expand(channels, 1, 1, 5)
    columns = kernel.view(1, 1, 5, 1).expand(channels, 1, 5, 1)
    padded = F.pad(images, (2, 2, 2, 2), mode="reflect")
    blurred = F.conv2d(padded, rows, groups=channels)  # along W
    return F.conv2d(blurred, columns, groups=channels)  # along H


def pyramid_down(images: Tensor) -> Tensor:
    """Blur, then keep every other row and column (``cv2.pyrDown``):
    ``(N, C, H, W) -> (N, C, H / 2, W / 2)``."""
    return _blur(images)[:, :, ::2, ::2]


def pyramid_up(images: Tensor) -> Tensor:
    """Insert zeros between the pixels, then blur with 4 times the kernel
    (``cv2.pyrUp``): ``(N, C, H, W) -> (N, C, 2H, 2W)``."""
    n, c, h, w = images.shape
    upsampled = images.new_zeros(n, c, 2 * h, 2 * w)
    upsampled[:, :, ::2, ::2] = images
    return 4 * _blur(upsampled)  # 4 = 1 / (fraction of nonzero pixels)


def laplacian_pyramid(images: Tensor, levels: int) -> list[Tensor]:
    """The Laplacian pyramid of ``images`` ``(N, C, H, W)``: ``levels`` tensors from
    ``(N, C, H, W)`` down to ``(N, C, H / 2^(levels-1), ...)``. Each level but the
    last is a band-pass ``g_k - up(g_{k+1})`` of the Gaussian pyramid
    ``g_{k+1} = down(g_k)``; the last is the low-pass ``g_{levels-1}`` itself, so
    the images are recovered exactly by ``g_k = level_k + up(g_{k+1})``."""
    check_positive_int("levels", levels)
    pyramid = [images]
    for _ in range(levels - 1):
        coarser = pyramid_down(pyramid[-1])
        pyramid[-1] = pyramid[-1] - pyramid_up(coarser)  # band-pass
        pyramid.append(coarser)
    return pyramid


# --- SWD between two image sets ------------------------------------------------------


def _as_images(name: str, images: ArrayLike) -> Tensor:
    x = as_float64_tensor(name, images, ndim=4)
    n, _, height, width = x.shape
    if height != width or height < MIN_RESOLUTION or height & (height - 1):
        raise ValueError(
            f"{name} must be square images (N, C, H, H) with H a power of 2 and at "
            f"least {MIN_RESOLUTION} (the pyramid halves down to {MIN_RESOLUTION} "
            f"px); got shape {tuple(x.shape)}"
        )
    if n < 2:
        raise ValueError(f"{name} needs at least 2 images; got {n}")
    return x


def resolutions(size: int) -> tuple[int, ...]:
    """The pyramid's resolutions for ``size`` px images: ``size, size / 2, ..., 16``."""
    levels = int(math.log2(size // MIN_RESOLUTION)) + 1
    return tuple(size >> k for k in range(levels))


def _patch_centres(
    count: int, size: int, patch_size: int, generator: torch.Generator | None
) -> tuple[Tensor, Tensor]:
    """``count`` random (row, column) patch centres where a whole patch fits
    (``np.random.randint(H, S - H)``), drawn on the CPU."""
    half = patch_size // 2
    rows = torch.randint(half, size - half, (count,), generator=generator)
    columns = torch.randint(half, size - half, (count,), generator=generator)
    return rows, columns


def _patches(level: Tensor, rows: Tensor, columns: Tensor, patch_size: int) -> Tensor:
    """Cut patches from ``level`` ``(N, C, S, S)``: ``rows`` and ``columns`` hold
    ``per_image`` centres for each image in turn. ``-> (N * per_image, C, p, p)``."""
    n, channels = level.shape[:2]
    per_image = len(rows) // n
    half = patch_size // 2
    offsets = torch.arange(-half, half + 1, device=level.device)  # (p,)
    image = torch.arange(n, device=level.device).repeat_interleave(per_image)  # (M,)
    y = rows.to(level.device)[:, None] + offsets  # (M, p)
    x = columns.to(level.device)[:, None] + offsets  # (M, p)
    return level[
        image[:, None, None, None],
        torch.arange(channels, device=level.device)[None, :, None, None],
        y[:, None, :, None],
        x[:, None, None, :],
    ]  # (M, C, p, p)


def _normalized_descriptors(patches: Tensor) -> Tensor:
    """Each channel to mean 0 and standard deviation 1 over all patches and patch
    pixels (``finalize_descriptors``; ``np.std``, ddof 0), then flattened:
    ``(M, C, p, p) -> (M, C * p * p)``."""
    mean = patches.mean(dim=(0, 2, 3), keepdim=True)  # (1, C, 1, 1)
    std = patches.std(dim=(0, 2, 3), keepdim=True, correction=0)
    if (std == 0).any():
        raise ValueError(
            "a pyramid level has a channel that is constant over all patches, so its "
            "descriptors cannot be normalized; are the images constant?"
        )
    return ((patches - mean) / std).flatten(1)


def swd(
    real: ArrayLike,
    fake: ArrayLike,
    descriptors_per_image: int = DESCRIPTORS_PER_IMAGE,
    patch_size: int = PATCH_SIZE,
    projections: int = PROJECTIONS,
    generator: torch.Generator | None = None,
    batch_size: int = 256,
) -> SlicedWassersteinDistances:
    """ProGAN's sliced Wasserstein distance between two image sets, per pyramid level
    (module docstring).

    Args:
        real, fake: ``(N, C, H, H)`` images of the same shape, ``H`` a power of 2,
            at least 16, ``N >= 2`` (the paper uses 16384). Any pixel range.
        descriptors_per_image: patches cut per image and level (128, official).
        patch_size: the side of a patch, odd (7, official).
        projections: random directions per level (4 x 128 = 512, official).
        generator: a CPU ``torch.Generator`` for the patch centres and the
            directions (drawn on the CPU, so a seed gives the same result on
            every device).
        batch_size: images per pyramid computation; bounds memory, not the result.

    Returns:
        :class:`SlicedWassersteinDistances`: one distance per level, finest first,
        and their average; not multiplied by 1e3.

    Memory: a float64 copy of both sets, and their descriptors, held in float64 on
    the images' device: ``2 * N * descriptors_per_image * C * patch_size^2 * 8``
    bytes per level (about 5 GB per level for 16384 RGB images).
    """
    real = _as_images("real", real)
    fake = _as_images("fake", fake).to(real.device)
    _check_same_shape("SWD matches equal numbers of patches", real=real, fake=fake)
    check_positive_int("descriptors_per_image", descriptors_per_image)
    check_positive_int("projections", projections)
    check_positive_int("batch_size", batch_size)
    if not (isinstance(patch_size, int) and patch_size % 2 == 1
            and patch_size <= MIN_RESOLUTION):
        raise ValueError(
            f"patch_size must be an odd int <= {MIN_RESOLUTION}; got {patch_size!r}"
        )
    sizes = resolutions(real.shape[2])
    n = real.shape[0]
    centres = [  # the same centres for both sets (common random numbers)
        _patch_centres(n * descriptors_per_image, size, patch_size, generator)
        for size in sizes
    ]
    descriptors: dict[str, list[list[Tensor]]] = {}
    for name, images in (("real", real), ("fake", fake)):
        per_level: list[list[Tensor]] = [[] for _ in sizes]
        for start in range(0, n, batch_size):
            batch = images[start:start + batch_size]  # (b, C, H, H)
            window = slice(start * descriptors_per_image,
                           (start + len(batch)) * descriptors_per_image)
            for k, level in enumerate(laplacian_pyramid(batch, len(sizes))):
                rows, columns = centres[k]
                per_level[k].append(
                    _patches(level, rows[window], columns[window], patch_size)
                )
        descriptors[name] = per_level
    distances = []
    for k in range(len(sizes)):
        a = _normalized_descriptors(torch.cat(descriptors["real"][k]))  # (M, C p p)
        b = _normalized_descriptors(torch.cat(descriptors["fake"][k]))
        distances.append(_sliced_w1(a, b, projections, generator))
    return SlicedWassersteinDistances(
        resolutions=sizes,
        distances=tuple(distances),
        average=sum(distances) / len(distances),
    )
