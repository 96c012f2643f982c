"""Where gan_lib keeps downloaded data sets and weights."""

from __future__ import annotations

import os
from pathlib import Path


def data_root() -> Path:
    """``$GAN_LIB_DATA`` when set, else ``~/.cache/gan_lib``. Nothing is created here."""
    return Path(os.environ.get("GAN_LIB_DATA") or Path.home() / ".cache" / "gan_lib")
