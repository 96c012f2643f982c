"""Progressive growing (Karras et al., 2018, Sec. 2): train at 4 x 4, then add one stage
at a time, fading its layers in.

The schedule counts generator steps: the first stage trains ``stable_steps`` (or
``first_stage_steps``); each later stage fades in over ``fade_steps`` (its weight alpha
rising linearly from 0 to 1) and then trains ``stable_steps`` at alpha = 1 (the paper:
600k images of each, ``lod_training_kimg`` and ``lod_transition_kimg`` of the official
``config.py``). ``fade_steps=0`` is a *hard switch*: a new stage starts at alpha = 1,
its random layers at full weight at once (the ablation the paper's Section 2 argues
against; Chapter 9's lab measures it). At each
step the objective sets the stage and alpha of G and D (which must have
``grow_to(stage, alpha)``, as :mod:`gan_lib.models.progan`'s networks do), and shows D
real images at the current resolution, faded like G's output:
``alpha * pool(x) + (1 - alpha) * up(pool(pool(x)))``. Adam's moments are reset when a
fade starts and when it ends, as ``reset_opt_for_new_lod`` does in the official
``train.py`` (the statistics of the old network do not fit the new one). The game
itself is the wrapped objective's (WGAN-GP with the drift term in the paper).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from gan_lib.data.stream import Batch
from gan_lib.errors import check_positive_int
from gan_lib.training.objectives.base import Context, Objective, Reals, Terms, unwrap


class Progressive(Objective):
    """Grow the networks on a schedule; ``inner`` plays the game at each stage.

    Args:
        inner: the objective at every stage (e.g. WGAN-GP with drift).
        fade_steps: generator steps over which a new stage's alpha goes 0 -> 1; 0 for
            a hard switch (no fade).
        stable_steps: generator steps at alpha = 1 per stage.
        first_stage_steps: generator steps of the first, 4 x 4 stage (None:
            ``stable_steps``, as the official schedule). A hard switch with
            ``stable_steps = F + S`` and ``first_stage_steps = S`` switches exactly when
            a fade of ``F`` steps would start, and trains as long.
    """

    def __init__(self, inner: Objective, fade_steps: int, stable_steps: int,
                 first_stage_steps: int | None = None) -> None:
        if not isinstance(fade_steps, int) or fade_steps < 0:
            raise ValueError(f"fade_steps must be an int >= 0 (0: a hard switch); "
                             f"got {fade_steps!r}")
        check_positive_int("stable_steps", stable_steps)
        if first_stage_steps is None:
            first_stage_steps = stable_steps
        check_positive_int("first_stage_steps", first_stage_steps)
        self.inner, self.fade_steps, self.stable_steps = inner, fade_steps, stable_steps
        self.first_stage_steps = first_stage_steps
        self.d_reg_interval = inner.d_reg_interval
        self.g_reg_interval = inner.g_reg_interval

    def bind(self, context: Context) -> None:
        super().bind(context)
        G, D = unwrap(context.G), unwrap(context.D)
        for name, net in (("G", G), ("D", D)):
            if not callable(getattr(net, "grow_to", None)):
                raise AttributeError(f"progressive growing needs {name}.grow_to(stage, "
                                     "alpha), as the ProGAN networks have")
        if G.stages != D.stages:
            raise ValueError(f"G grows through {G.stages} stages and D through "
                             f"{D.stages}; build them for the same resolution")
        self.stages = G.stages
        x = context.first[0] if isinstance(context.first, tuple) else context.first
        if x.shape[-1] != 4 * 2 ** (self.stages - 1):
            raise ValueError(f"the networks end at {4 * 2 ** (self.stages - 1)} px; "
                             f"the data are {x.shape[-1]} px")
        self.inner.bind(context)

    def schedule(self, step: int) -> tuple[int, float, bool]:
        """``(stage, alpha, fading)`` at generator step ``step`` (0 first)."""
        if step < self.first_stage_steps:
            return 0, 1.0, False
        stage, t = divmod(step - self.first_stage_steps,
                          self.fade_steps + self.stable_steps)
        stage += 1
        if stage >= self.stages:  # fully grown: stay
            return self.stages - 1, 1.0, False
        if t < self.fade_steps:
            return stage, t / self.fade_steps, True
        return stage, 1.0, False

    def _enter(self, g_step: int) -> None:
        """Set G's and D's stage; reset Adam where a phase begins."""
        stage, alpha, fading = self.schedule(g_step)
        unwrap(self.context.G).grow_to(stage, alpha)
        unwrap(self.context.D).grow_to(stage, alpha)
        self.alpha, self.resolution = alpha, 4 * 2**stage
        if g_step > 0 and self.schedule(g_step - 1)[::2] != (stage, fading):
            for opt in (self.context.opt_G, self.context.opt_D):
                opt.state.clear()  # a fade starts or ends: fresh moments

    def _at_resolution(self, reals: Reals) -> Reals:
        """The real batches, pooled to the current resolution and faded."""

        def draw() -> Batch:
            batch = reals()
            x = batch[0] if isinstance(batch, tuple) else batch
            x = self.fade(x)
            return (x, *batch[1:]) if isinstance(batch, tuple) else x

        return draw

    def fade(self, x: Tensor) -> Tensor:
        """Real images ``(B, C, R, R)`` as D sees them at the current stage."""
        x = F.avg_pool2d(x, x.shape[-1] // self.resolution)
        if self.alpha < 1.0:
            coarse = F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest")
            x = coarse + self.alpha * (x - coarse)
        return x

    def discriminator_loss(self, reals: Reals, d_step: int) -> Terms:
        if d_step % self.context.d_steps == 0:  # the first D step of a G step
            self._enter(d_step // self.context.d_steps)
        return self.inner.discriminator_loss(self._at_resolution(reals), d_step)

    def discriminator_regularizer(self, d_step: int) -> Terms | None:
        return self.inner.discriminator_regularizer(d_step)

    def after_discriminator_step(self) -> None:
        self.inner.after_discriminator_step()

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        return self.inner.generator_loss(self._at_resolution(reals), g_step)

    def generator_regularizer(self, g_step: int) -> Terms | None:
        return self.inner.generator_regularizer(g_step)
