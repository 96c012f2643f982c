"""Execution profiles: how much work a lab does, and on which device.

One environment variable, ``GAN_BOOK_PROFILE``, picks the profile:

=========  ==========================================  =======================
profile    who uses it                                 budget per lab
=========  ==========================================  =======================
``smoke``  CI and nbval                                seconds on a 2-core CPU
``cpu``    default without CUDA (the rendered book)    <= 3 minutes on 2 cores
``gpu``    default with CUDA (Colab, a workstation)    minutes on one GPU
=========  ==========================================  =======================

Labs never test ``torch.cuda.is_available()`` themselves: they ask this module for
the profile, the device and the size of each piece of work::

    from gan_lib import profiles
    steps = profiles.budget(smoke=200, cpu=3000, gpu=20000)
"""

from __future__ import annotations

import os
import random
from typing import Literal, TypeVar, get_args

import numpy as np
import torch

from gan_lib.errors import UnknownNameError

Profile = Literal["smoke", "cpu", "gpu"]
PROFILES: tuple[Profile, ...] = get_args(Profile)
ENV_VAR = "GAN_BOOK_PROFILE"

T = TypeVar("T")


def current() -> Profile:
    """The active profile: ``$GAN_BOOK_PROFILE``; by default ``gpu`` with CUDA,
    else ``cpu``."""
    name = os.environ.get(ENV_VAR, "").strip().lower()
    if not name:
        return "gpu" if torch.cuda.is_available() else "cpu"
    if name not in PROFILES:  # "unknown GAN_BOOK_PROFILE value 'x'; known: cpu, ..."
        raise UnknownNameError(f"{ENV_VAR} value", name, PROFILES)
    return name  # type: ignore[return-value]


def device() -> torch.device:
    """The device labs should use: CUDA in the ``gpu`` profile when present, else CPU.

    ``smoke`` and ``cpu`` always run on the CPU so that their timings (and their
    results) are the same on every machine.
    """
    if current() == "gpu" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def budget(*, smoke: T, cpu: T, gpu: T) -> T:
    """The value for the active profile, e.g. a step count or a batch size.

    >>> budget(smoke=100, cpu=2000, gpu=20000)  # doctest: +SKIP
    2000
    """
    return {"smoke": smoke, "cpu": cpu, "gpu": gpu}[current()]


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA); return a seeded CPU generator."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def describe() -> str:
    """One line for the top of a lab: profile, device, torch version."""
    dev = device()
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
    return f"profile={current()}  device={dev} ({name})  torch={torch.__version__}"
