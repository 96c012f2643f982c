"""Feature extractors: the networks that turn images into the vectors metrics compare.

FID, KID, precision/recall and density/coverage compare *features* of images, and
their values mean nothing without the name of the network that made them. Every
extractor here has the same small interface, :class:`FeatureExtractor`:

* ``name``: reported with every number (``FID(digits-cnn, 5000 vs 5000) = 3.21``);
* ``dim``: the feature dimension;
* ``features(images) -> (N, dim)`` float64 NumPy array;
* ``logits(images) -> (N, C)`` class logits, where the network is a classifier
  (for the Inception Score and class-mode counts).

Three extractors are available:

* :func:`digits_cnn`: a small CNN trained on scikit-learn's bundled digits
  (:mod:`gan_lib.metrics.digits_classifier`); offline, seconds on a CPU; the
  ``smoke`` and ``cpu`` profiles use it;
* :func:`fid_inception`: the Inception-v3 network of FID
  (:mod:`gan_lib.metrics.inception`), from a local weights file; downloaded only when
  asked (``download=True``) and online;
* :class:`ModuleFeatureExtractor`: any ``nn.Module`` the user passes.

Images are float tensors ``(N, C, H, W)`` scaled to [-1, 1] (gan_lib's convention),
or an iterable of such batches (a ``DataLoader`` yielding ``(images, labels)`` is
fine: the first element of each tuple is used). They are processed ``batch_size`` at
a time on the network's device, in eval mode, without gradients.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from gan_lib.data.images import check_images
from gan_lib.metrics.digits_classifier import data_root, load_digits_cnn
from gan_lib.metrics.inception import POOL3_DIM, FIDInceptionV3

Images = Tensor | Iterable[Tensor] | Iterable[tuple[Tensor, ...]]

INCEPTION_URL = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
    "pt_inception-2015-12-05-6726825d.pth"
)
INCEPTION_FILE = "pt_inception-2015-12-05.pth"  # under $GAN_LIB_DATA
INCEPTION_FILE_HASHED = "pt_inception-2015-12-05-6726825d.pth"  # pytorch-fid's name


class FeatureExtractor(ABC):
    """The interface every metric's feature extractor has."""

    name: str  # reported with every number computed from these features
    dim: int  # feature dimension

    @abstractmethod
    def iter_features(self, images: Images) -> Iterator[np.ndarray]:
        """Features batch by batch, ``(B, dim)`` float64 each (for streaming FID)."""

    def features(self, images: Images) -> np.ndarray:
        """Features of all images, ``(N, dim)`` float64."""
        return np.concatenate(list(self.iter_features(images)), axis=0)

    def logits(self, images: Images) -> np.ndarray:
        """Class logits ``(N, C)`` float64, for classifiers only."""
        raise NotImplementedError(f"the feature extractor {self.name!r} has no logits")

    def features_and_logits(self, images: Images) -> tuple[np.ndarray, np.ndarray]:
        """Features ``(N, dim)`` and logits ``(N, C)``; override to do one pass."""
        return self.features(images), self.logits(images)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim})"


def _batches(images: Images, batch_size: int) -> Iterator[Tensor]:
    """Split a tensor into batches, or pass an iterable's batches through."""
    if isinstance(images, Tensor):
        yield from images.split(batch_size)
        return
    if isinstance(images, np.ndarray):
        raise TypeError(
            "images must be a torch tensor or an iterable of tensors; got a numpy "
            "array (wrap it with torch.from_numpy)"
        )
    for batch in images:
        yield batch[0] if isinstance(batch, (tuple, list)) else batch


class ModuleFeatureExtractor(FeatureExtractor):
    """Features from any ``nn.Module``: ``module(images) -> (B, dim)``.

    Args:
        module: maps a batch of images to features ``(B, dim)`` (or to anything
            that flattens to that).
        name: the name reported with every metric (e.g. ``"my-resnet"``).
        dim: the feature dimension.
        head: optional map from features to class logits ``(B, C)``; enables
            :meth:`logits` (the Inception Score, class-mode counts).
        image_shape: ``(C, H, W)`` the module expects, checked on every batch.
        batch_size: images per forward pass.
        device: where to run; default: the module's device.
        provenance: what the network is (weights file, training record), kept in
            ``self.provenance`` for reports.
    """

    def __init__(
        self,
        module: nn.Module,
        name: str,
        dim: int,
        head: Callable[[Tensor], Tensor] | None = None,
        image_shape: tuple[int, int, int] | None = None,
        batch_size: int = 256,
        device: torch.device | str | None = None,
        provenance: dict[str, object] | None = None,
    ) -> None:
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be an nn.Module; got {type(module).__name__}")
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string; got {name!r}")
        self.module, self.name, self.dim, self.head = module, name, int(dim), head
        self.image_shape, self.batch_size = image_shape, int(batch_size)
        if device is None:
            parameter = next(module.parameters(), None)
            device = parameter.device if parameter is not None else "cpu"
        self.device = torch.device(device)
        self.provenance = dict(provenance or {})

    def _forward(self, images: Images, with_logits: bool) -> Iterator[tuple]:
        """``(features, logits or None)`` per batch, as float64 NumPy arrays."""
        if with_logits and self.head is None:
            raise NotImplementedError(
                f"the feature extractor {self.name!r} has no logits (no head given)"
            )
        was_training = self.module.training
        self.module.eval()
        try:
            for batch in _batches(images, self.batch_size):
                check_images(batch, self.image_shape)
                with torch.inference_mode():
                    x = batch.to(self.device, torch.float32)
                    features = self.module(x).flatten(1)  # (B, dim)
                    if features.shape[1] != self.dim:
                        raise ValueError(
                            f"{self.name} should give features of dimension "
                            f"{self.dim}; got {tuple(features.shape)}"
                        )
                    logits = self.head(features) if with_logits else None
                yield (
                    features.double().cpu().numpy(),
                    None if logits is None else logits.double().cpu().numpy(),
                )
        finally:
            self.module.train(was_training)

    def iter_features(self, images: Images) -> Iterator[np.ndarray]:
        for features, _ in self._forward(images, with_logits=False):
            yield features

    def logits(self, images: Images) -> np.ndarray:
        return np.concatenate(
            [logits for _, logits in self._forward(images, with_logits=True)]
        )

    def features_and_logits(self, images: Images) -> tuple[np.ndarray, np.ndarray]:
        """Both in one pass over the images: ``(N, dim)`` and ``(N, C)``."""
        pairs = list(self._forward(images, with_logits=True))
        return (
            np.concatenate([features for features, _ in pairs]),
            np.concatenate([logits for _, logits in pairs]),
        )


def digits_cnn(
    resolution: int = 32,
    root: str | os.PathLike | None = None,
    retrain: bool = False,
    batch_size: int = 512,
    device: torch.device | str = "cpu",
    *,
    seed: int = 0,
) -> ModuleFeatureExtractor:
    """The offline extractor ``digits-cnn``: 128-d features and 10 digit logits.

    Trains the classifier on first use (seconds) and caches it under
    ``root`` (default ``$GAN_LIB_DATA``); see
    :mod:`gan_lib.metrics.digits_classifier`. Images: ``(N, 1, R, R)`` in [-1, 1].
    ``seed`` seeds the classifier's training (default 0: the book's classifier);
    each seed gives other weights, cached separately.
    """
    model, record = load_digits_cnn(resolution, root=root, retrain=retrain, seed=seed)
    model = model.to(device)
    return ModuleFeatureExtractor(
        model.body,
        name="digits-cnn",
        dim=record["training"]["hidden"],
        head=model.head,
        image_shape=(1, resolution, resolution),
        batch_size=batch_size,
        device=device,
        provenance=record,  # training arguments and held-out test_accuracy
    )


def _find_inception_weights(weights: str | os.PathLike | None, download: bool) -> Path:
    """The weights file: ``weights``, else a known location, else a download."""
    if weights is not None:
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"no FID Inception weights file at {path}")
        return path
    target = data_root() / INCEPTION_FILE
    known = [
        target,
        data_root() / INCEPTION_FILE_HASHED,
        Path(torch.hub.get_dir())
        / "checkpoints"
        / INCEPTION_FILE_HASHED,  # pytorch-fid
    ]
    for path in known:
        if path.is_file():
            return path
    if not download:
        raise FileNotFoundError(
            f"the FID Inception weights are not in {target} (nor in "
            f"{', '.join(str(p) for p in known[1:])}); call fid_inception("
            "download=True) once online (about 92 MB), pass weights=PATH, or use "
            "digits_cnn() offline"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(INCEPTION_URL, str(target), progress=True)
    except OSError as error:  # URLError is an OSError
        raise RuntimeError(
            f"could not download the FID Inception weights from {INCEPTION_URL} "
            f"({error}); offline, use digits_cnn() or pass weights=PATH"
        ) from error
    return target


def fid_inception(
    weights: str | os.PathLike | None = None,
    download: bool = False,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
) -> ModuleFeatureExtractor:
    """The extractor ``inception-v3-fid``: pool3 (2048-d) and the 1008 IS logits.

    Args:
        weights: path to ``pt_inception-2015-12-05*.pth`` (pytorch-fid's file);
            default: ``$GAN_LIB_DATA/pt_inception-2015-12-05.pth`` or pytorch-fid's
            torch-hub cache.
        download: fetch the file into ``$GAN_LIB_DATA`` when it is missing (never
            otherwise; an offline failure raises a clear error).
        batch_size: images per forward pass.
        device: where the network runs (use ``profiles.device()``).

    Images: ``(N, 3 or 1, H, W)`` in [-1, 1], any size (resized to 299).
    """
    path = _find_inception_weights(weights, download)
    state = torch.load(path, map_location="cpu", weights_only=True)
    network = FIDInceptionV3()
    try:
        network.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(
            f"{path} does not hold the FID Inception weights (parameter names or "
            f"shapes differ): {str(error)[:300]}"
        ) from error
    network = network.to(device).eval()
    return ModuleFeatureExtractor(
        network,
        name="inception-v3-fid",
        dim=POOL3_DIM,
        head=network.logits,
        batch_size=batch_size,
        device=device,
        provenance={"weights": str(path)},
    )
