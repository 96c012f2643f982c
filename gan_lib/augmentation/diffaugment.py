r"""Differentiable Augmentation, DiffAugment (Zhao et al., 2020, "Differentiable
Augmentation for Data-Efficient GAN Training", Sec. 3).

The same random transformation family :math:`T` is applied to every image the
discriminator sees, real or generated, in both players' steps, always (no
probability): D is trained and G is judged on :math:`T(x)`. Because each operation is
differentiable in its input, G's gradient flows back through :math:`T(G(z))`.

A policy is a comma-separated list of groups, applied in order:

* ``color``: brightness ``x + (u - 1/2)``, saturation ``m_c + (x - m_c) 2u`` (``m_c``
  the per-pixel mean over channels), contrast ``m + (x - m)(u + 1/2)`` (``m`` the
  image's mean over channels and pixels); ``u ~ U(0, 1)`` per image, drawn anew for
  each operation;
* ``translation``: an integer shift by up to 1/8 of the size in each direction,
  uniform, the vacated pixels filled with zeros;
* ``cutout``: a square of half the size, centred uniformly on the image (clipped at the
  border), set to zero.

Constants (mit-han-lab/data-efficient-gans ``DiffAugment_pytorch.py``: ``rand_*``,
``rand_translation`` shift ``size // 8``, ``rand_cutout`` size ``size // 2``; the
paper's Sec. 3 and its StyleGAN2 runs use ``"color,translation,cutout"``).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gan_lib.errors import UnknownNameError

TRANSLATION_RATIO = 8  # shift at most size // 8 pixels (rand_translation)
CUTOUT_RATIO = 2  # a square of side size // 2 (rand_cutout)


def _uniform(x: Tensor) -> Tensor:
    """One U(0, 1) draw per image, shaped to broadcast: ``(B, 1, 1, 1)``."""
    return torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device)


def brightness(x: Tensor) -> Tensor:
    """``x + (u - 1/2)``: a shift of every pixel by one draw per image."""
    return x + (_uniform(x) - 0.5)


def saturation(x: Tensor) -> Tensor:
    """``m_c + (x - m_c) 2u``, ``m_c`` the mean over channels (grey: the identity)."""
    mean = x.mean(dim=1, keepdim=True)  # (B, 1, H, W)
    return mean + (x - mean) * (2 * _uniform(x))


def contrast(x: Tensor) -> Tensor:
    """``m + (x - m)(u + 1/2)``, ``m`` the image's mean over channels and pixels."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)  # (B, 1, 1, 1)
    return mean + (x - mean) * (_uniform(x) + 0.5)


def _shift_index(size: int, shift: Tensor) -> tuple[Tensor, Tensor]:
    """Source index ``i - shift`` for each output pixel ``i``, clamped, and whether it
    fell inside the image: ``(B, size)`` each."""
    source = torch.arange(size, device=shift.device)[None] - shift[:, None]  # (B, size)
    inside = (source >= 0) & (source < size)
    return source.clamp(0, size - 1), inside


def translation(x: Tensor) -> Tensor:
    """Shift each image by integers ``(dy, dx)``, each uniform in ``[-s, s]`` with
    ``s = size // 8``; pixels shifted in from outside are zero."""
    batch, channels, height, width = x.shape
    shifts = [torch.randint(-(n // TRANSLATION_RATIO), n // TRANSLATION_RATIO + 1,
                            (batch,), device=x.device) for n in (height, width)]
    rows, rows_in = _shift_index(height, shifts[0])  # (B, H)
    cols, cols_in = _shift_index(width, shifts[1])  # (B, W)
    x = x.gather(2, rows[:, None, :, None].expand(batch, channels, height, width))
    x = x.gather(3, cols[:, None, None, :].expand(batch, channels, height, width))
    inside = rows_in[:, :, None] & cols_in[:, None, :]  # (B, H, W)
    return x * inside[:, None].to(x.dtype)


def cutout(x: Tensor) -> Tensor:
    """Zero a square of side ``size // 2`` (per axis) centred at a uniform pixel."""
    batch, _, height, width = x.shape
    masks = []
    for n in (height, width):
        side = n // CUTOUT_RATIO
        # centres c in [0, n - 1 + (1 - side % 2)]; the square [c - side // 2,
        # c - side // 2 + side)
        centre = torch.randint(0, n + (1 - side % 2), (batch, 1), device=x.device)
        start = centre - side // 2
        index = torch.arange(n, device=x.device)[None]  # (1, n)
        masks.append((index >= start) & (index < start + side))  # (B, n): in the square
    hole = masks[0][:, :, None] & masks[1][:, None, :]  # (B, H, W)
    return x * (~hole)[:, None].to(x.dtype)


POLICIES: dict[str, tuple] = {
    "color": (brightness, saturation, contrast),
    "translation": (translation,),
    "cutout": (cutout,),
}


def parse_policy(policy: str) -> list[str]:
    """The groups of ``"color,translation,cutout"``; an unknown one is refused."""
    if not isinstance(policy, str):
        raise TypeError(f"policy must be a string like 'color,translation,cutout'; "
                        f"got {type(policy).__name__}")
    names = [name.strip() for name in policy.split(",") if name.strip()]
    for name in names:
        if name not in POLICIES:
            raise UnknownNameError("DiffAugment policy", name, POLICIES)
    return names


def diff_augment(x: Tensor, policy: str = "color,translation,cutout") -> Tensor:
    """Apply ``policy`` to a batch ``x: (B, C, H, W) -> (B, C, H, W)``, differentiably
    in ``x``. The empty policy returns ``x`` itself."""
    names = parse_policy(policy)
    if x.dim() != 4:
        raise ValueError(f"DiffAugment expects images (B, C, H, W); got "
                         f"{tuple(x.shape)}")
    for name in names:
        for op in POLICIES[name]:
            x = op(x)
    return x


class DiffAugment(nn.Module):
    """:func:`diff_augment` as a module, for :class:`~gan_lib.training.objectives.
    augmented.Augmented`: ``DiffAugment("color,translation,cutout")``. It has no
    probability ``p``: every image is augmented, every time."""

    def __init__(self, policy: str = "color,translation,cutout") -> None:
        super().__init__()
        self.names = parse_policy(policy)
        self.policy = ",".join(self.names)

    def forward(self, x: Tensor) -> Tensor:
        return diff_augment(x, self.policy)

    def extra_repr(self) -> str:
        return f"policy={self.policy!r}"
