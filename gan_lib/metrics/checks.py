"""Input checks shared by the sample-based metrics (FID, KID, IS, PRDC).

Every metric refuses the same bad inputs with the same one-sentence messages: a
feature matrix that is not ``(N, dim)``, NaN or infinite entries, two sets whose
feature dimensions differ, too few samples. Features come back as float64 torch
tensors on the device they came from (NumPy arrays go to the CPU), so the metrics
run on a GPU when the features live there.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

ArrayLike = np.ndarray | Tensor  # nested lists of numbers are accepted too


def as_float64_tensor(name: str, x: ArrayLike, ndim: int) -> Tensor:
    """``x`` as a float64 tensor of rank ``ndim`` with finite entries, else raise."""
    if isinstance(x, Tensor):
        t = x.detach().to(torch.float64)
    else:  # a NumPy array, or anything NumPy turns into numbers (nested lists)
        array = np.asarray(x)
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise TypeError(
                f"{name} must be a numpy array or a torch tensor of numbers; got "
                f"{type(x).__name__} of dtype {array.dtype}"
            )
        t = torch.from_numpy(array.astype(np.float64))
    if t.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions; got shape {tuple(t.shape)}"
        )
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return t


def as_features(name: str, x: ArrayLike, min_samples: int = 1) -> Tensor:
    """A finite ``(N, dim)`` float64 feature matrix with ``N >= min_samples``."""
    t = as_float64_tensor(name, x, ndim=2)
    if t.shape[0] < min_samples:
        raise ValueError(
            f"{name} needs at least {min_samples} samples; got {t.shape[0]}"
        )
    if t.shape[1] == 0:
        raise ValueError(f"{name} has feature dimension 0; got shape {tuple(t.shape)}")
    return t


def as_feature_pair(
    real_features: ArrayLike, fake_features: ArrayLike, min_samples: int = 1
) -> tuple[Tensor, Tensor]:
    """Check both sets and that their feature dimensions agree.

    The fake features move to the real features' device.
    """
    real = as_features("real_features", real_features, min_samples)
    fake = as_features("fake_features", fake_features, min_samples)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            "real and fake features must have the same dimension; got "
            f"real {tuple(real.shape)} and fake {tuple(fake.shape)}"
        )
    return real, fake.to(real.device)
