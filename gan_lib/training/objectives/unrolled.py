"""Unrolled GANs (Metz et al., 2017): G's loss is taken against the discriminator as it
would be after ``K`` more of its own Adam steps, differentiated through those steps
(:func:`gan_lib.stabilization.unrolled.unroll`); D's real weights are untouched. D plays
the plain adversarial game. Unconditional runs on one process only."""

from __future__ import annotations

from gan_lib.stabilization.unrolled import unroll, unrolled_forward
from gan_lib.training.objectives.adversarial import Adversarial
from gan_lib.training.objectives.base import Context, Reals, Terms, unwrap


class Unrolled(Adversarial):
    """:class:`Adversarial` whose G step looks ``steps`` D updates ahead.

    Args:
        steps: K, the unrolled D steps (5 to 10 in the paper).
        **adversarial: the arguments of :class:`Adversarial`.
    """

    def __init__(self, steps: int, **adversarial) -> None:
        super().__init__(**adversarial)
        self.steps = steps

    def bind(self, context: Context) -> None:
        super().bind(context)
        if self.conditional:
            raise ValueError("unroll_steps is implemented for unconditional runs only")
        if context.distributed:
            raise ValueError(
                "unrolled GANs simulate D's own steps on one process's batches; they "
                "are not implemented under torchrun"
            )

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        D, opt_D = unwrap(self.context.D), self.context.opt_D
        with self.context.autocast():
            x_fake, _ = self.fakes()
            real_batches = [reals() for _ in range(self.steps)]
            fake_batches = [self.fakes()[0] for _ in range(self.steps)]
            params = unroll(D, opt_D, self.d_loss_fn, real_batches, fake_batches)
            fake_logits = unrolled_forward(D, params, x_fake).float()
            real_logits = fake_logits
            if self.g_uses_real:
                real_logits = unrolled_forward(D, params, reals()).float()
            return {"adversarial": self.g_loss_fn(real_logits, fake_logits)}
