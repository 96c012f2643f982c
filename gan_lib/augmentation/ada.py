r"""Adaptive discriminator augmentation, ADA (Karras et al., 2020, "Training Generative
Adversarial Networks with Limited Data", Sec. 2-3).

**The pipeline** (:class:`AdaptiveAugment`). Each operation is applied to each image
independently with probability :math:`p` (a buffer, so it is checkpointed and can be
moved by the controller without rebuilding anything), and every operation is
differentiable in the image, so the generator is trained through it. :math:`p = 0`
returns the input bitwise (every choice goes through ``torch.where``). The operations
and their strengths are those of the official ``AugmentPipe`` with probability
multiplier 1 (NVlabs/stylegan2-ada-pytorch ``training/augment.py``):

* ``xflip``: mirror left-right with probability 1/2 (given that it is applied);
* ``rotate90``: rotate by :math:`k \cdot 90°`, :math:`k` uniform in {0, 1, 2, 3}
  (square images);
* ``xint``: an integer translation, each coordinate uniform in
  :math:`\pm` ``xint_max = 0.125`` of the size, rounded, with reflection at the
  border (``mode='reflect'``);
* ``brightness``: add :math:`b \sim \mathcal N(0, 0.2^2)` (``brightness_std = 0.2``);
* ``contrast``: multiply by :math:`c = 2^{\mathcal N(0, 0.5^2)}`
  (``contrast_std = 0.5``, a log2 standard deviation);
* ``lumaflip``: reflect the colour about the plane orthogonal to the luma axis
  :math:`v = (1, \dots, 1)/\sqrt C`, :math:`x \mapsto x - 2 v v^\top x`, with
  probability 1/2 (for grey images, :math:`x \mapsto -x`);
* ``saturation``: scale the chroma, :math:`x \mapsto v v^\top x + s (I - v v^\top) x`,
  :math:`s = 2^{\mathcal N(0, 1)}` (``saturation_std = 1``; grey images: none);
* ``cutout``: zero a square of half the size (``cutout_size = 0.5``) centred at a
  uniform point.

Left out: the official general geometric group (isotropic and anisotropic scaling,
arbitrary rotation, fractional translation), which needs a band-limited resampler,
hue rotation, image-space filtering and additive noise. The default, ``"blit,color"``
in the names of :data:`GROUPS`, corresponds to the paper's "bc".

**The controller** (:class:`AdaController`). The overfitting heuristic
:math:`r_t = \mathbb E[\operatorname{sign} D_{\text{logit}}(x_{\text{real}})]`, over the
real batches since the last adjustment, is compared with a target, and every
``interval`` discriminator steps

.. math:: p \leftarrow \max\Bigl(0,\; p + \operatorname{sign}(r_t - \text{target})
          \,\frac{B \cdot \text{interval}}{\text{ada\_kimg} \cdot 1000}\Bigr),

so that :math:`p` can move by 1 in ``ada_kimg`` thousand real images. Constants from
stylegan2-ada-pytorch ``training/training_loop.py`` (``ada_interval = 4``,
``ada_kimg = 500``, the update ``adjust = np.sign(ada_stats['Loss/signs/real'] -
ada_target) * (batch_size * ada_interval) / (ada_kimg * 1000)`` clamped below at 0,
not above) and ``train.py`` (``target = 0.6`` for ``--aug=ada``). Everything stays a
tensor on the device: no host synchronization inside a step.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from gan_lib.errors import UnknownNameError, check_positive_int

# stylegan2-ada-pytorch training/augment.py, AugmentPipe's defaults
XINT_MAX = 0.125
BRIGHTNESS_STD = 0.2
CONTRAST_STD = 0.5  # log2
SATURATION_STD = 1.0  # log2
CUTOUT_SIZE = 0.5
# stylegan2-ada-pytorch train.py (target 0.6) and training_loop.py (interval, kimg)
ADA_TARGET = 0.6
ADA_INTERVAL = 4
ADA_KIMG = 500.0

OPERATIONS = ("xflip", "rotate90", "xint", "brightness", "contrast", "lumaflip",
              "saturation", "cutout")
GROUPS = {  # the paper's names: b = pixel blitting, c = colour
    "blit": ("xflip", "rotate90", "xint"),
    "color": ("brightness", "contrast", "lumaflip", "saturation"),
    "cutout": ("cutout",),
}


def parse_operations(spec: str) -> tuple[str, ...]:
    """``"blit,color"`` or ``"xflip,brightness"`` -> the operations, in the pipeline's
    order; unknown names are refused with the known ones."""
    if not isinstance(spec, str):
        raise TypeError(f"operations must be a string like 'blit,color'; got "
                        f"{type(spec).__name__}")
    chosen: set[str] = set()
    for name in (n.strip() for n in spec.split(",") if n.strip()):
        if name in GROUPS:
            chosen.update(GROUPS[name])
        elif name in OPERATIONS:
            chosen.add(name)
        else:
            raise UnknownNameError("augmentation", name, (*GROUPS, *OPERATIONS))
    return tuple(op for op in OPERATIONS if op in chosen)


def _reflect(index: Tensor, size: int) -> Tensor:
    """Reflect integer indices into ``[0, size)`` without repeating the edge
    (``... 2 1 | 0 1 2 ... n-1 | n-2 ...``), as ``F.pad(mode='reflect')``."""
    if size == 1:
        return torch.zeros_like(index)
    period = 2 * (size - 1)
    index = index.remainder(period)
    return torch.where(index >= size, period - index, index)


class AdaptiveAugment(nn.Module):
    """ADA's augmentation pipeline: ``x (B, C, H, W) -> (B, C, H, W)``, each operation
    applied per image with probability ``p``.

    Args:
        operations: groups or operations (:data:`GROUPS`, :data:`OPERATIONS`),
            comma-separated; default ``"blit,color"`` (the paper's "bc").
        p: the initial probability (0 in ADA: the controller raises it).

    Attributes:
        p: a 0-dim float buffer in ``[0, inf)``; values above 1 act as 1.
    """

    p: Tensor

    def __init__(self, operations: str = "blit,color", p: float = 0.0) -> None:
        super().__init__()
        self.operations = parse_operations(operations)
        if not self.operations:
            raise ValueError("the pipeline needs at least one operation; got none")
        if not (math.isfinite(p) and p >= 0):
            raise ValueError(f"p must be a finite number >= 0; got {p}")
        self.register_buffer("p", torch.tensor(float(p)))

    def _applied(self, x: Tensor) -> Tensor:
        """Which images an operation touches: ``(B,)`` bool, ``rand < p``."""
        return torch.rand(x.shape[0], device=x.device) < self.p

    @staticmethod
    def _choose(mask: Tensor, augmented: Tensor, x: Tensor) -> Tensor:
        return torch.where(mask[:, None, None, None], augmented, x)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4:
            raise ValueError(f"AdaptiveAugment expects images (B, C, H, W); got "
                             f"{tuple(x.shape)}")
        if "rotate90" in self.operations and x.shape[2] != x.shape[3]:
            raise ValueError(f"rotate90 needs square images; got {tuple(x.shape)}")
        for name in self.operations:
            x = getattr(self, f"_{name}")(x)
        return x

    # --- pixel blitting -------------------------------------------------------------

    def _xflip(self, x: Tensor) -> Tensor:
        flip = (torch.rand(x.shape[0], device=x.device) < 0.5) & self._applied(x)
        return self._choose(flip, x.flip(3), x)

    def _rotate90(self, x: Tensor) -> Tensor:
        k = torch.randint(4, (x.shape[0],), device=x.device)
        k = torch.where(self._applied(x), k, torch.zeros_like(k))
        out = x
        for quarter in (1, 2, 3):  # rot90 by quarter * 90 degrees, counter-clockwise
            out = self._choose(k == quarter, torch.rot90(x, quarter, dims=(2, 3)), out)
        return out

    def _xint(self, x: Tensor) -> Tensor:
        batch, channels, height, width = x.shape
        t = (torch.rand(batch, 2, device=x.device) * 2 - 1) * XINT_MAX  # (B, 2)
        t = torch.where(self._applied(x)[:, None], t, torch.zeros_like(t))
        dx = torch.round(t[:, 0] * width).long()  # (B,) pixels
        dy = torch.round(t[:, 1] * height).long()
        ys = torch.arange(height, device=x.device)[None]  # (1, H)
        rows = _reflect(ys - dy[:, None], height)  # (B, H): source rows
        cols = _reflect(torch.arange(width, device=x.device)[None] - dx[:, None], width)
        x = x.gather(2, rows[:, None, :, None].expand(batch, channels, height, width))
        return x.gather(3, cols[:, None, None, :].expand(batch, channels, height, width))

    # --- colour ---------------------------------------------------------------------

    def _brightness(self, x: Tensor) -> Tensor:
        b = torch.randn(x.shape[0], device=x.device, dtype=x.dtype) * BRIGHTNESS_STD
        return self._choose(self._applied(x), x + b[:, None, None, None], x)

    def _contrast(self, x: Tensor) -> Tensor:
        c = torch.exp2(torch.randn(x.shape[0], device=x.device, dtype=x.dtype)
                       * CONTRAST_STD)
        return self._choose(self._applied(x), x * c[:, None, None, None], x)

    def _lumaflip(self, x: Tensor) -> Tensor:
        flip = (torch.rand(x.shape[0], device=x.device) < 0.5) & self._applied(x)
        luma = x.mean(dim=1, keepdim=True)  # v v^T x = (mean over channels) (1, ..., 1)
        return self._choose(flip, x - 2 * luma, x)  # Householder reflection about v

    def _saturation(self, x: Tensor) -> Tensor:
        s = torch.exp2(torch.randn(x.shape[0], device=x.device, dtype=x.dtype)
                       * SATURATION_STD)
        applied = self._applied(x)
        if x.shape[1] == 1:  # grey: no chroma to scale (the official code skips it)
            return x
        luma = x.mean(dim=1, keepdim=True)
        return self._choose(applied, luma + s[:, None, None, None] * (x - luma), x)

    # --- cutout ---------------------------------------------------------------------

    def _cutout(self, x: Tensor) -> Tensor:
        batch, _, height, width = x.shape
        centre = torch.rand(batch, 2, 1, device=x.device)  # (B, 2, 1), in [0, 1)
        applied = self._applied(x)
        ys = (torch.arange(height, device=x.device) + 0.5) / height  # pixel centres
        xs = (torch.arange(width, device=x.device) + 0.5) / width
        inside_y = (ys[None] - centre[:, 1]).abs() < CUTOUT_SIZE / 2  # (B, H)
        inside_x = (xs[None] - centre[:, 0]).abs() < CUTOUT_SIZE / 2  # (B, W)
        hole = inside_y[:, :, None] & inside_x[:, None, :] & applied[:, None, None]
        return x * (~hole)[:, None].to(x.dtype)

    def extra_repr(self) -> str:
        return f"operations={','.join(self.operations)}, p={self.p.item():.4f}"


class AdaController(nn.Module):
    r"""ADA's feedback loop on :math:`p`.

    :meth:`observe` accumulates :math:`\sum \operatorname{sign} D(x_{real})` and the
    count from each real batch; :meth:`adjust` (every ``interval`` D steps) moves the
    pipeline's ``p`` by :math:`\pm B \cdot \text{interval} / (\text{ada\_kimg} \cdot
    1000)` toward :math:`r_t = \text{target}` and clears the sums. Both are tensor
    operations on the device.

    Args:
        target: the target of :math:`r_t` (0.6).
        interval: D steps between adjustments (4).
        ada_kimg: thousands of real images for :math:`p` to move by 1 (500; a tiny run
            needs a much smaller value to move at all).
    """

    sign_sum: Tensor
    count: Tensor

    def __init__(self, target: float = ADA_TARGET, interval: int = ADA_INTERVAL,
                 ada_kimg: float = ADA_KIMG) -> None:
        super().__init__()
        if not 0 <= target < 1:
            raise ValueError(f"target must lie in [0, 1); got {target}")
        check_positive_int("interval", interval)
        if not (math.isfinite(ada_kimg) and ada_kimg > 0):
            raise ValueError(f"ada_kimg must be a positive number; got {ada_kimg}")
        self.target, self.interval, self.ada_kimg = target, interval, ada_kimg
        self.register_buffer("sign_sum", torch.zeros(()))
        self.register_buffer("count", torch.zeros(()))

    @torch.no_grad()
    def observe(self, real_logits: Tensor) -> None:
        """Add one real batch's logits ``(B,)`` to the sums."""
        self.sign_sum += real_logits.detach().float().sign().sum()
        self.count += real_logits.numel()

    def heuristic(self) -> Tensor:
        r""":math:`r_t` over the batches since the last adjustment (0 if none)."""
        return self.sign_sum / self.count.clamp(min=1)

    @torch.no_grad()
    def adjust(self, p: Tensor, batch_size: int) -> None:
        """Move ``p`` in place; clear the sums."""
        step = batch_size * self.interval / (self.ada_kimg * 1000)
        seen = (self.count > 0).float()  # no real batch seen: no move
        p.copy_((p + seen * torch.sign(self.heuristic() - self.target) * step)
                .clamp(min=0))
        self.sign_sum.zero_()
        self.count.zero_()

    def extra_repr(self) -> str:
        return (f"target={self.target}, interval={self.interval}, "
                f"ada_kimg={self.ada_kimg}")
