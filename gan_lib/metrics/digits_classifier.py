"""A small CNN trained on scikit-learn's bundled digits: FID and IS with no download.

The Inception network of FID needs a 92 MB download and a GPU to be quick. For the
``smoke`` and ``cpu`` profiles the book measures digits with this classifier instead:
its penultimate layer (``features``, 128-d) plays the part of Inception's pool3 for
FID, KID, precision/recall and density/coverage, and its 10 logits give an Inception
Score between 1 and 10 and the predicted labels of
:func:`gan_lib.metrics.class_modes.class_mode_coverage`.

Numbers computed with it are comparable with each other, never with published
Inception FIDs. The images are ``load_digits`` (1797 digits, 8 x 8, values 0..16)
scaled to [-1, 1] and upsampled to ``resolution`` x ``resolution``. Training is
seeded and single-threaded, hence deterministic; it sees the upsampled digits in both
``nearest`` and ``bilinear`` modes, shifted by up to one original pixel, so that it
does not depend on how a data pipeline upsamples. A stratified fifth of the digits is
held out; its accuracy is stored with the weights.

Weights are cached as a state dict (loaded with ``weights_only=True``) beside a JSON
of the arguments they were trained with, under ``$GAN_LIB_DATA/digits_cnn/``; a
missing or mismatching cache is retrained (a few seconds to half a minute on a CPU).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib.checkpoint import save_atomic
from gan_lib.data.bundled import digits_images
from gan_lib.data.paths import data_root


class DigitsCNN(nn.Module):
    """Three stages of 3x3 convolution, ReLU and 2x2 max pool (down to 4 x 4), then a
    hidden linear layer with ReLU (the features) and a linear classifier.

    ``features``: ``(N, 1, R, R)`` in [-1, 1] -> ``(N, hidden)``;
    ``forward``: -> logits ``(N, 10)``.

    Args:
        resolution: R, the side of the images it classifies (>= 8).
        width: channels of the first convolution (then 2x, 4x).
        hidden: dimension of the features.
    """

    def __init__(
        self, resolution: int = 32, width: int = 16, hidden: int = 128
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels, size = 1, resolution
        for out_channels in (width, 2 * width, 4 * width):
            layers += [nn.Conv2d(channels, out_channels, 3, padding=1), nn.ReLU()]
            if size > 4:  # halve the grid until it is 4 x 4
                layers.append(nn.MaxPool2d(2))
                size //= 2
            channels = out_channels
        self.body = nn.Sequential(
            *layers,
            nn.AdaptiveAvgPool2d(4),  # (N, 4 width, 4, 4)
            nn.Flatten(),  # (N, 64 width)
            nn.Linear(16 * channels, hidden),
            nn.ReLU(),  # (N, hidden): the features
        )
        self.head = nn.Linear(hidden, 10)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


@dataclass(frozen=True)
class DigitsTraining:
    """Everything that determines the trained weights (stored as JSON with them)."""

    resolution: int = 32  # images are resolution x resolution
    width: int = 16  # channels of the first convolution
    hidden: int = 128  # dimension of the features
    epochs: int = 8
    batch_size: int = 64
    learning_rate: float = 2e-3
    seed: int = 0
    test_fraction: float = 0.2  # held out, stratified by class


def train_test_indices(
    labels: Tensor, config: DigitsTraining
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and held-out digits (stratified, seeded)."""
    from sklearn.model_selection import train_test_split

    index = np.arange(len(labels))
    train, test = train_test_split(
        index,
        test_size=config.test_fraction,
        random_state=config.seed,
        stratify=labels.numpy(),
    )
    return np.sort(train), np.sort(test)


def _random_shift(x: Tensor, shift: int, generator: torch.Generator) -> Tensor:
    """Move each image by -shift, 0 or +shift pixels in each direction (-1 fills)."""
    n, _, h, w = x.shape
    padded = F.pad(x, (shift, shift, shift, shift), value=-1.0)
    offsets = torch.randint(0, 3, (n, 2), generator=generator) * shift  # (N, 2)
    out = torch.empty_like(x)
    for dy in (0, shift, 2 * shift):
        for dx in (0, shift, 2 * shift):
            chosen = (offsets[:, 0] == dy) & (offsets[:, 1] == dx)
            out[chosen] = padded[chosen, :, dy : dy + h, dx : dx + w]
    return out


def accuracy(model: nn.Module, images: Tensor, labels: Tensor) -> float:
    """Fraction of ``images`` whose arg-max logit is the label."""
    with torch.no_grad():
        return float((model(images).argmax(dim=1) == labels).double().mean())


def train_digits_cnn(
    config: DigitsTraining = DigitsTraining(),
) -> tuple[DigitsCNN, float]:
    """Train the classifier deterministically; returns it and its held-out accuracy
    (the mean over the ``nearest`` and ``bilinear`` upsampled test digits)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same weights on every run
    try:
        generator = torch.Generator().manual_seed(config.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)  # the initial weights
            model = DigitsCNN(config.resolution, config.width, config.hidden)
        modes = ("nearest", "bilinear")
        sets = [digits_images(config.resolution, mode) for mode in modes]
        train, test = train_test_indices(sets[0][1], config)
        x_train = torch.cat([images[train] for images, _ in sets])  # both modes
        y_train = torch.cat([labels[train] for _, labels in sets])
        optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
        steps = config.epochs * math.ceil(len(x_train) / config.batch_size)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.learning_rate, total_steps=steps
        )
        shift = max(config.resolution // 8, 1)  # one pixel of the 8 x 8 original
        model.train()
        for _ in range(config.epochs):
            order = torch.randperm(len(x_train), generator=generator)
            for start in range(0, len(order), config.batch_size):
                batch = order[start : start + config.batch_size]
                x = _random_shift(x_train[batch], shift, generator)
                loss = F.cross_entropy(model(x), y_train[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
        model.eval()
        test_accuracy = float(
            np.mean(
                [accuracy(model, images[test], labels[test]) for images, labels in sets]
            )
        )
    finally:
        torch.set_num_threads(threads)
    return model, test_accuracy


def weights_path(resolution: int, root: Path, seed: int = 0) -> Path:
    """``<root>/digits_cnn/digits_cnn_<R>px.pt`` (seed 0) or ``..._<R>px_seed<s>.pt``."""
    suffix = "" if seed == 0 else f"_seed{seed}"
    return root / "digits_cnn" / f"digits_cnn_{resolution}px{suffix}.pt"


def load_digits_cnn(
    resolution: int = 32,
    root: str | os.PathLike | None = None,
    retrain: bool = False,
    *,
    seed: int = 0,
) -> tuple[DigitsCNN, dict]:
    """The trained classifier for ``resolution`` x ``resolution`` digits, cached.

    Loads ``<root>/digits_cnn/digits_cnn_<R>px.pt`` when its JSON matches the
    training arguments, else trains (deterministically) and writes both files.
    ``seed`` seeds everything random in the training (initial weights, the held-out
    split, the order of the minibatches, the shifts); the default 0 is the
    classifier the book uses. Another seed is cached under its own file name
    (``digits_cnn_<R>px_seed<s>.pt``).

    Returns:
        The model in eval mode, and its JSON record (arguments and
        ``test_accuracy``).
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}")
    config = DigitsTraining(resolution=resolution, seed=seed)
    folder = Path(root) if root is not None else data_root()
    weights = weights_path(resolution, folder, seed)
    record_path = weights.with_suffix(".json")
    if not retrain and weights.is_file() and record_path.is_file():
        record = json.loads(record_path.read_text())
        if record.get("training") == asdict(config):
            model = DigitsCNN(config.resolution, config.width, config.hidden)
            model.load_state_dict(torch.load(weights, weights_only=True))
            return model.eval(), record
    model, test_accuracy = train_digits_cnn(config)
    record = {
        "training": asdict(config),
        "test_accuracy": test_accuracy,
        "torch": torch.__version__,
    }
    save_atomic(model.state_dict(), weights)
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    return model, record
