"""Real image data sets through torchvision: MNIST, Fashion-MNIST, CIFAR-10, CelebA.

These serve the ``gpu`` profile. They are downloaded (once, when asked) into
``<root>/<torchvision folder>``, ``root`` being ``$GAN_LIB_DATA`` by default, and read
back from there with torchvision's own readers (MNIST's IDX files, CIFAR's pickled
batches, CelebA's JPEGs). Any failure to download or read becomes one
:class:`DataUnavailableError` that says what was tried and what to do instead.

Each reader returns ``uint8`` images ``(N, C, H, W)`` and ``int64`` labels; resizing
and scaling to [-1, 1] happen in :mod:`gan_lib.data.images`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor


class DataUnavailableError(RuntimeError):
    """A data set could not be downloaded or read (offline, a partial download...)."""


def _unavailable(name: str, root: Path, download: bool, error: Exception) -> Exception:
    how = "download it" if download else "find it (download=False)"
    return DataUnavailableError(
        f"could not {how} for {name!r} under {root}: {type(error).__name__}: {error}. "
        "Without network, use an offline data set ('digits', 'shapes', "
        "'stacked_digits'), or pass fallback='digits' to images.load; with network, "
        "call images.load(..., download=True) once."
    )


def _mnist_like(cls: type, name: str, root: Path, train: bool, download: bool):
    try:
        dataset = cls(str(root), train=train, download=download)
    except Exception as error:  # offline, a partial download, missing files
        raise _unavailable(name, root, download, error) from error
    images = dataset.data[:, None]  # (N, 1, 28, 28) uint8
    return images, torch.as_tensor(dataset.targets, dtype=torch.int64)


def mnist(
    root: Path, train: bool = True, download: bool = False
) -> tuple[Tensor, Tensor]:
    """MNIST (LeCun et al., 1998): 60,000 / 10,000 digits, ``(N, 1, 28, 28)`` uint8."""
    from torchvision.datasets import MNIST

    return _mnist_like(MNIST, "mnist", root, train, download)


def fashion_mnist(
    root: Path, train: bool = True, download: bool = False
) -> tuple[Tensor, Tensor]:
    """Fashion-MNIST (Xiao et al., 2017): ten clothing classes, MNIST's format."""
    from torchvision.datasets import FashionMNIST

    return _mnist_like(FashionMNIST, "fashion_mnist", root, train, download)


def cifar10(
    root: Path, train: bool = True, download: bool = False
) -> tuple[Tensor, Tensor]:
    """CIFAR-10 (Krizhevsky, 2009): 50,000 / 10,000 colour images ``(N, 3, 32, 32)``."""
    from torchvision.datasets import CIFAR10

    try:
        dataset = CIFAR10(str(root), train=train, download=download)
    except Exception as error:
        raise _unavailable("cifar10", root, download, error) from error
    images = torch.from_numpy(np.ascontiguousarray(dataset.data)).permute(0, 3, 1, 2)
    return images, torch.as_tensor(dataset.targets, dtype=torch.int64)


def celeba(
    root: Path,
    resolution: int,
    train: bool = True,
    download: bool = False,
    limit: int = 30_000,
) -> tuple[Tensor, Tensor]:
    """CelebA (Liu et al., 2015) faces: centre crop 140 x 140, resized to ``resolution``.

    The aligned 178 x 218 images are cropped around the face (the crop of the
    progressive-GAN-era PyTorch baselines) and resized with antialiasing. Only the first
    ``limit`` images are read (CelebA has 162,770 training images; decoding them all
    takes minutes). Labels are all 0: the attributes are not used as classes.
    """
    from torchvision.datasets import CelebA
    from torchvision.transforms import v2

    try:
        dataset = CelebA(
            str(root), split="train" if train else "test", download=download
        )
    except Exception as error:
        raise _unavailable("celeba", root, download, error) from error
    transform = v2.Compose(
        [v2.PILToTensor(), v2.CenterCrop(140), v2.Resize(resolution, antialias=True)]
    )
    count = min(limit, len(dataset))
    images = torch.stack([transform(dataset[i][0]) for i in range(count)])
    return images, torch.zeros(count, dtype=torch.int64)
