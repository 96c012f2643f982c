"""Checkpoints that are safe to load and resume a run exactly.

A checkpoint is one file written by ``torch.save`` holding only tensors, numbers,
strings, lists and dicts: model, optimizer and EMA state dicts, every random number
generator's state, the step, the loss history, and a JSON string of the run's
configuration. It is loaded with ``weights_only=True``, so loading a file never runs
code from it.

Writes are atomic: the file is written beside its target and renamed over it, so an
interruption (or a crash) leaves the previous checkpoint intact; a temporary left by a
killed write is removed when a run starts on that path again
(:func:`remove_stale_temporaries`). A file that cannot be read as a checkpoint (cut
short, corrupt, not written by ``torch.save``) or that holds pickled objects raises a
:class:`CheckpointError` that says which, in one sentence.
"""

from __future__ import annotations

import os
import pickle
import random
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch


class CheckpointError(ValueError):
    """A file that is not a loadable gan_lib checkpoint (the message says why)."""


class UnsafeCheckpointError(CheckpointError, pickle.UnpicklingError):
    """A file that holds pickled Python objects: loading it could run their code."""


def _temporaries(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f".{path.name}.*.tmp"))


def save_atomic(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """``torch.save(state)`` to ``path`` via a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def load(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """Load a checkpoint with ``weights_only=True`` (no code is unpickled).

    Raises ``FileNotFoundError`` for a missing file, :class:`UnsafeCheckpointError`
    for a file holding pickled objects (not loaded), and :class:`CheckpointError` for
    one that is cut short, corrupt or not written by ``torch.save``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive
        raise CheckpointError(
            f"{path} is not a readable checkpoint: {path.stat().st_size} bytes that are "
            "not the zip archive torch.save writes (a write cut short, a corrupt file, "
            "or another kind of file)")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        if "Unsupported global" in str(error):
            raise UnsafeCheckpointError(
                f"{path} holds pickled Python objects, whose loading could run code, so "
                "it was not loaded (weights_only); a gan_lib checkpoint holds only "
                "tensors, numbers, strings, lists and dicts") from error
        raise CheckpointError(f"{path} is not a readable checkpoint: its data records "
                              "are corrupt") from error
    except (RuntimeError, EOFError, KeyError, ValueError) as error:
        raise CheckpointError(f"{path} is not a readable checkpoint: the archive is "
                              f"damaged ({type(error).__name__})") from error


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete the temporaries (``.NAME.*.tmp``) that writes of ``path`` killed midway
    left beside it; returns what was removed. Call it before a run writes ``path``
    again: two writers of one checkpoint at once are not supported."""
    removed = _temporaries(Path(path))
    for tmp in removed:
        tmp.unlink(missing_ok=True)
    return removed


def rng_state() -> dict[str, Any]:
    """The state of every random number generator a run draws from.

    Python's ``random``, NumPy's global generator, torch's CPU generator and every CUDA
    device's generator; all stored as tensors, ints and tuples (``weights_only``-safe).
    """
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` captured."""
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    np_state = state["numpy"]
    np.random.set_state(
        (
            np_state["kind"],
            np_state["keys"].numpy().astype(np.uint32),
            np_state["pos"],
            np_state["has_gauss"],
            np_state["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"].cpu())
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
