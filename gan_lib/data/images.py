"""Image data sets by name: one call returns images in [-1, 1], labels and metadata.

::

    from gan_lib.data import images
    data = images.load("digits", 32)           # offline, 1,797 digits
    data.images                                  # (N, C, R, R) float32 in [-1, 1]
    data.labels                                  # (N,) int64, or None
    data.info                                    # name, channels, resolution, classes

Offline sets (``smoke`` and ``cpu`` profiles): ``digits`` (scikit-learn's bundled
digits, upsampled), ``lfw_faces`` (scikit-image's 100 bundled faces, resized; see
:mod:`gan_lib.data.bundled`), ``shapes``, ``shape_factors`` (continuous factors in
``attributes``) and ``stacked_digits`` (generated, see :mod:`gan_lib.data.generated`).
Downloaded sets (``gpu`` profile): ``mnist``, ``fashion_mnist``, ``cifar10``,
``celeba`` (see :mod:`gan_lib.data.downloaded`). When a download fails,
``fallback="digits"`` prints one message and returns the fallback at the same
resolution; without a fallback the error says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lib.data import downloaded, generated
from gan_lib.data.bundled import LFW_FACES, digits_images, lfw_faces
from gan_lib.data.downloaded import DataUnavailableError
from gan_lib.data.paths import data_root
from gan_lib.errors import UnknownNameError, check_int_at_least

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = (
    "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)  # fmt: skip
CIFAR10_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know about a data set."""

    name: str
    channels: int
    resolution: int
    num_classes: int  # 0: unlabelled (CelebA here)
    class_names: tuple[str, ...]
    source: str  # "bundled", "generated" or "torchvision"


@dataclass
class ImageData:
    """Images ``(N, C, R, R)`` float32 in [-1, 1], labels ``(N,)`` int64 or None."""

    images: Tensor
    labels: Tensor | None
    info: DataInfo
    attributes: dict[str, Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __repr__(self) -> str:
        i = self.info
        return (
            f"ImageData({i.name!r}: {len(self)} images, {i.channels} x {i.resolution}"
            f" x {i.resolution}, {i.num_classes} classes, {i.source})"
        )


@dataclass(frozen=True)
class _Spec:
    channels: int
    default_resolution: int
    resolutions: tuple[int, ...]
    class_names: tuple[str, ...]
    source: str


_SPECS: dict[str, _Spec] = {
    "digits": _Spec(1, 32, (8, 16, 32, 64), DIGIT_NAMES, "bundled"),
    "lfw_faces": _Spec(1, 32, (), (), "bundled"),  # any R >= 8, resized from 25
    "shapes": _Spec(3, 32, (), generated.SHAPE_NAMES, "generated"),  # any R >= 8
    "shape_factors": _Spec(3, 32, (), generated.SHAPE_NAMES, "generated"),  # any R
    "stacked_digits": _Spec(
        3, 16, (8, 16, 32), tuple(f"{k:03d}" for k in range(1000)), "generated"
    ),
    "mnist": _Spec(1, 32, (16, 28, 32, 64), DIGIT_NAMES, "torchvision"),
    "fashion_mnist": _Spec(1, 32, (16, 28, 32, 64), FASHION_NAMES, "torchvision"),
    "cifar10": _Spec(3, 32, (16, 32, 64), CIFAR10_NAMES, "torchvision"),
    "celeba": _Spec(3, 64, (16, 32, 64, 128), (), "torchvision"),
}


def names() -> list[str]:
    """The data sets :func:`load` knows, sorted."""
    return sorted(_SPECS)


def to_unit_range(x: Tensor) -> Tensor:
    """``uint8`` pixels 0..255 -> float32 in [-1, 1] (``x / 127.5 - 1``)."""
    if x.dtype != torch.uint8:
        raise TypeError(f"expected uint8 pixels; got {x.dtype}")
    return x.float() / 127.5 - 1


def resize(x: Tensor, resolution: int) -> Tensor:
    """Resize ``(N, C, H, W)`` float images to ``resolution``; bilinear, antialiased
    when shrinking; values stay in [-1, 1]."""
    if x.shape[-1] == resolution and x.shape[-2] == resolution:
        return x
    shrink = resolution < x.shape[-1]
    out = F.interpolate(
        x, size=(resolution, resolution), mode="bilinear", antialias=shrink
    )
    return out.clamp(-1, 1)


RANGE_TOLERANCE = 1e-3  # images may exceed [-1, 1] by this much (round-off)


def check_images(images: Tensor, shape: tuple[int, int, int] | None = None) -> None:
    """``images`` must be a finite float ``(N, C, H, W)`` tensor in [-1, 1], of shape
    ``(N, *shape)`` when ``shape`` is given."""
    if not isinstance(images, Tensor):
        raise TypeError(f"images must be a tensor; got {type(images)}")
    if images.dtype == torch.uint8:
        raise TypeError(
            "images must be float in [-1, 1]; got uint8 pixels (scale them with "
            "to_unit_range)"
        )
    if images.ndim != 4 or not images.is_floating_point():
        raise ValueError(
            "images must be a float tensor (N, C, H, W); got "
            f"{images.dtype} of shape {tuple(images.shape)}"
        )
    if shape is not None and tuple(images.shape[1:]) != shape:
        raise ValueError(
            f"images must have shape (N, {', '.join(map(str, shape))}); "
            f"got {tuple(images.shape)}"
        )
    if images.numel() == 0:
        return
    if not torch.isfinite(images).all():
        raise ValueError("images contain NaN or infinite values")
    low, high = images.min().item(), images.max().item()
    if low < -1 - RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        raise ValueError(
            f"images must be scaled to [-1, 1]; got values in [{low:.3g}, {high:.3g}]"
        )


def _resolution(name: str, spec: _Spec, resolution: int | None) -> int:
    if resolution is None:
        return spec.default_resolution
    if not isinstance(resolution, int) or isinstance(resolution, bool):
        raise TypeError(f"resolution must be an int; got {resolution!r}")
    if spec.resolutions and resolution not in spec.resolutions:
        raise ValueError(
            f"{name!r} is available at resolutions {list(spec.resolutions)}; "
            f"got {resolution}"
        )
    if resolution < 8:
        raise ValueError(f"resolution must be >= 8; got {resolution}")
    return resolution


def _download(
    name: str, resolution: int, train: bool, root: Path, download: bool, n: int | None
) -> tuple[Tensor, Tensor]:
    if name == "celeba":
        pixels, labels = downloaded.celeba(
            root, resolution, train, download, limit=n or 30_000
        )
    else:
        reader = {
            "mnist": downloaded.mnist,
            "fashion_mnist": downloaded.fashion_mnist,
            "cifar10": downloaded.cifar10,
        }[name]
        pixels, labels = reader(root, train, download)
        if n is not None:
            pixels, labels = pixels[:n], labels[:n]
    return resize(to_unit_range(pixels), resolution), labels


def load(
    name: str,
    resolution: int | None = None,
    *,
    n: int | None = None,
    seed: int = 0,
    train: bool = True,
    root: str | Path | None = None,
    download: bool = True,
    fallback: str | None = None,
) -> ImageData:
    """Load the data set ``name`` (one of :func:`names`) at ``resolution``.

    Args:
        name: the data set.
        resolution: side of the square images (the data set's default when None).
        n: how many images: the size of a generated set (``shapes`` and
            ``shape_factors`` 2,000, ``stacked_digits`` 10,000 by default), or the
            first ``n`` of a real one (``lfw_faces`` has 100).
        seed: the seed of a generated set.
        train: the training split (else the test split) of a downloaded set.
        root: where downloaded sets live; ``$GAN_LIB_DATA`` (see
            :func:`gan_lib.data.paths.data_root`) by default.
        download: fetch a missing downloaded set (``False``: read the files only).
        fallback: an offline data set to return, after one printed message, when
            ``name`` cannot be downloaded or read.
    """
    if name not in _SPECS:
        raise UnknownNameError("data set", name, names())
    if fallback is not None and (
        fallback not in _SPECS or _SPECS[fallback].source == "torchvision"
    ):
        offline = [k for k, s in _SPECS.items() if s.source != "torchvision"]
        raise UnknownNameError("offline fallback data set", fallback, sorted(offline))
    if n is not None:
        check_int_at_least("n", n, 1)
    spec = _SPECS[name]
    resolution = _resolution(name, spec, resolution)
    attributes: dict[str, Tensor] = {}
    if name == "digits":
        images, labels = digits_images(resolution)
        if n is not None:
            images, labels = images[:n], labels[:n]
    elif name == "lfw_faces":
        if n is not None and n > LFW_FACES:
            raise ValueError(f"lfw_faces holds {LFW_FACES} faces; got n={n}")
        images, labels = resize(lfw_faces()[:n], resolution), None
    elif name == "shapes":
        images, labels, attributes = generated.shapes(n or 2000, resolution, seed)
    elif name == "shape_factors":
        images, attributes = generated.shapes_with_factors(n or 2000, resolution, seed)
        labels = attributes["shape"]
    elif name == "stacked_digits":
        images, labels = generated.stacked_digits(n or 10_000, resolution, seed)
    else:
        folder = Path(root) if root is not None else data_root()
        try:
            images, labels = _download(name, resolution, train, folder, download, n)
        except DataUnavailableError as error:
            if fallback is None:
                raise
            print(f"{error}\n-> falling back to the offline data set {fallback!r}.")
            fallback_resolution = resolution
            fallback_spec = _SPECS[fallback]
            if (
                fallback_spec.resolutions
                and resolution not in fallback_spec.resolutions
            ):
                fallback_resolution = fallback_spec.default_resolution
            return load(fallback, fallback_resolution, n=n, seed=seed)
    info = DataInfo(
        name=name,
        channels=spec.channels,
        resolution=resolution,
        num_classes=len(spec.class_names),
        class_names=spec.class_names,
        source=spec.source,
    )
    return ImageData(
        images.contiguous(), labels if info.num_classes else None, info, attributes
    )
