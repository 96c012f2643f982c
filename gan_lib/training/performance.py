"""What makes a step fast on a GPU and changes nothing on a CPU: the autocast dtype
(bf16 on CUDA by default, plain fp32 on CPU) and the ``channels_last`` memory format
for image batches. Penalties leave autocast and run in fp32
(:mod:`gan_lib.regularizers`)."""

from __future__ import annotations

import contextlib
from typing import ContextManager

import torch
from torch import Tensor

from gan_lib.training.config import Precision


def autocast_dtype(precision: Precision, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32 (always on CPU unless asked)."""
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def autocast(device: torch.device, dtype: torch.dtype | None) -> ContextManager:
    """Autocast to ``dtype`` on ``device``; a no-op context for fp32."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def use_channels_last(asked: bool | None, image_data: bool, device: torch.device) -> bool:
    """``channels_last`` for 4-D image batches: by default on CUDA, where convolutions
    run faster in NHWC; never for vectors."""
    if asked is None:
        return image_data and device.type == "cuda"
    return image_data and asked


def to_device(x: Tensor, device: torch.device, channels_last: bool) -> Tensor:
    """``x`` on ``device`` (asynchronously from pinned memory), NHWC if asked."""
    x = x.to(device, non_blocking=True)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x
