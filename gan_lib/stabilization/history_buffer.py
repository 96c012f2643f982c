r"""A history of generated images for the discriminator: experience replay for GANs.

Shrivastava et al. (2017, Sec. 3.2) update the discriminator not only on the
generator's latest images but on a buffer of earlier ones, so that D does not forget
the artefacts it already learnt to reject and G cannot win by cycling back to them.
CycleGAN (Zhu et al., 2017, Sec. 4, "Training details") keeps such a pool of 50
images per domain; this class follows the semantics of the official
``util/image_pool.py`` (written from its description, not copied):

* per image of the batch, while fewer than ``capacity`` are stored, store it and
  return it unchanged;
* once full, with probability :math:`1/2` return a stored image chosen uniformly and
  put the new image in its place; otherwise return the new image (the buffer is left
  as it was);
* ``capacity = 0`` is the identity (no buffer).

Each image of a batch is decided on its own, so a returned batch mixes new and old
images. Random draws come from a ``torch.Generator`` when one is given, else from
torch's global generator (which the training loop checkpoints): with
:meth:`state_dict` / :meth:`load_state_dict` a resumed run draws exactly what an
uninterrupted one draws.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gan_lib.errors import check_int_at_least

CYCLEGAN_POOL = 50  # Zhu et al. (2017), Sec. 4; official --pool_size 50
REPLAY_PROBABILITY = 0.5  # official util/image_pool.py: p = 0.5 of returning an old one


class ImageHistoryBuffer:
    """A pool of at most ``capacity`` earlier fakes (see the module docstring).

    ``query(images: (B, ...)) -> (B, ...)``: the batch D should see, each row either
    the new image or one it replaces in the pool. The pool stores detached copies.

    Args:
        capacity: how many images the pool holds (50 in CycleGAN; 0: no pool).
        generator: the random source of the draws (None: torch's global one).
    """

    def __init__(
        self, capacity: int = CYCLEGAN_POOL, generator: torch.Generator | None = None
    ) -> None:
        check_int_at_least("capacity", capacity, 0)
        self.capacity = capacity
        self.generator = generator
        self.images: Tensor | None = None  # (capacity, ...) once the first batch came
        self.count = 0  # how many slots hold an image

    def __len__(self) -> int:
        return self.count

    def _rand(self, *shape: int, device: torch.device) -> Tensor:
        if self.generator is not None:
            return torch.rand(shape, generator=self.generator,
                              device=self.generator.device).to(device)
        return torch.rand(shape, device=device)

    def _randint(self, high: int, device: torch.device) -> int:
        if self.generator is not None:
            return int(torch.randint(high, (1,), generator=self.generator,
                                     device=self.generator.device))
        return int(torch.randint(high, (1,), device=device))

    @torch.no_grad()
    def query(self, images: Tensor) -> Tensor:
        """The batch for D: per row, store-and-return while filling; once full, an
        old image (which the new one replaces) with probability 1/2, else the new
        one. ``images: (B, ...)`` -> ``(B, ...)``, detached."""
        if not isinstance(images, Tensor) or images.dim() < 1 or images.shape[0] < 1:
            shape = tuple(images.shape) if isinstance(images, Tensor) else None
            raise ValueError(
                "the history buffer takes a batch of images (B, ...) with B >= 1; "
                f"got {shape if shape is not None else type(images).__name__}"
            )
        images = images.detach()
        if self.capacity == 0:
            return images
        if self.images is None:
            self.images = images.new_zeros((self.capacity, *images.shape[1:]))
        elif self.images.shape[1:] != images.shape[1:]:
            held = tuple(self.images.shape[1:])
            raise ValueError(
                f"the history buffer holds images of shape {held}; got a batch of "
                f"{tuple(images.shape[1:])}"
            )
        out = images.clone()
        for i in range(images.shape[0]):
            if self.count < self.capacity:  # filling: keep it, return it
                self.images[self.count] = images[i]
                self.count += 1
            elif self._rand(1, device=images.device).item() < REPLAY_PROBABILITY:
                j = self._randint(self.capacity, images.device)
                out[i] = self.images[j]  # an old fake goes to D ...
                self.images[j] = images[i]  # ... and the new one takes its slot
        return out

    def state_dict(self) -> dict[str, Tensor]:
        """The stored images ``(count, ...)`` and their count, for exact resume."""
        stored = (self.images[: self.count].clone() if self.images is not None
                  else torch.zeros(0))
        return {"images": stored, "count": torch.tensor(self.count)}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        """Restore :meth:`state_dict` (images on their stored device)."""
        count = int(state["count"])
        if not 0 <= count <= self.capacity:
            raise ValueError(
                f"a buffer of capacity {self.capacity} cannot hold {count} images"
            )
        self.count = count
        if count == 0:
            self.images = None
            return
        stored = state["images"]
        self.images = stored.new_zeros((self.capacity, *stored.shape[1:]))
        self.images[:count] = stored
