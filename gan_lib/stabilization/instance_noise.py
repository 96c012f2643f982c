r"""Instance noise: blur both distributions before the discriminator sees them.

Sønderby et al. (2017), Section 3.2 (after Arjovsky & Bottou, 2017, Section 4): add
Gaussian noise to *every* input of the discriminator, real and generated alike,

.. math:: \tilde x = x + \sigma_t \varepsilon, \qquad \varepsilon \sim \mathcal N(0, I),

so that D compares :math:`p_{data} * \mathcal N(0, \sigma_t^2 I)` with
:math:`p_g * \mathcal N(0, \sigma_t^2 I)`. Both have a positive density everywhere,
their supports overlap, and the optimal discriminator is no longer perfect: the
generator's gradient does not vanish. The noise is annealed, here linearly,

.. math:: \sigma_t = \sigma_0 \max(0, 1 - t / t_{anneal}),

so that at the end of training D sees the data as they are.

:class:`InstanceNoise` wraps any discriminator. It adds noise only in training mode
(``D.train()``), so an evaluation in ``eval()`` mode sees clean inputs. The step
:math:`t` lives in a buffer, saved with the discriminator's ``state_dict``, so an
interrupted run resumes on the same schedule. :func:`gan_lib.training.train` drives it
through its hook::

    D = InstanceNoise(models.get("mlp_discriminator"), sigma=0.2, anneal_steps=2000)
    config = training.TrainConfig(steps=2000, hook_every=1)
    training.train(G, D, data, config, hook=D.hook)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from gan_lib.errors import check_int_at_least

if TYPE_CHECKING:
    from gan_lib.training import Snapshot


class InstanceNoise(nn.Module):
    r"""A discriminator that sees its inputs through annealed Gaussian noise.

    Args:
        discriminator: the wrapped critic, ``x: (N, ...) -> logits (N,)``.
        sigma: the initial standard deviation :math:`\sigma_0` (> 0).
        anneal_steps: generator steps over which :math:`\sigma` falls linearly to 0;
            ``None`` keeps it constant at ``sigma``.
    """

    def __init__(
        self, discriminator: nn.Module, sigma: float, anneal_steps: int | None = None
    ) -> None:
        super().__init__()
        if not isinstance(discriminator, nn.Module):
            raise TypeError(
                "discriminator must be an nn.Module; "
                f"got {type(discriminator).__name__}"
            )
        if not isinstance(sigma, (int, float)) or not sigma > 0:
            raise ValueError(f"sigma must be a positive number; got {sigma!r}")
        if anneal_steps is not None and (
            not isinstance(anneal_steps, int) or anneal_steps < 1
        ):
            raise ValueError(
                f"anneal_steps must be a positive int or None; got {anneal_steps!r}"
            )
        self.discriminator = discriminator
        self.sigma0, self.anneal_steps = float(sigma), anneal_steps
        # generator steps completed; a buffer, so it is checkpointed with D's weights
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    @property
    def sigma(self) -> float:
        r"""The current standard deviation :math:`\sigma_t`."""
        if self.anneal_steps is None:
            return self.sigma0
        return self.sigma0 * max(0.0, 1.0 - int(self.step) / self.anneal_steps)

    def set_step(self, step: int) -> None:
        """Move the schedule to ``step`` completed generator steps."""
        check_int_at_least("step", step, 0)
        self.step.fill_(step)

    def hook(self, snapshot: Snapshot) -> None:
        """A :func:`gan_lib.training.train` hook (``hook_every=1``): follow the loop's
        step. Returns nothing, so it adds nothing to the history."""
        self.set_step(int(snapshot.step))

    def forward(self, x: Tensor) -> Tensor:
        """``x: (N, ...) -> logits``; in training mode, those of ``x + sigma_t eps``."""
        sigma = self.sigma
        if self.training and sigma > 0:
            x = x + sigma * torch.randn_like(x)  # same noise law for real and fake
        return self.discriminator(x)

    def extra_repr(self) -> str:
        return f"sigma0={self.sigma0}, anneal_steps={self.anneal_steps}"
