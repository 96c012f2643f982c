r"""Discriminator augmentation as a wrapper around any game (ADA, Karras et al., 2020;
DiffAugment, Zhao et al., 2020).

``Augmented(inner, pipeline, controller)`` plays ``inner``'s game with a discriminator
that augments *everything it sees*: :math:`D(x)` becomes :math:`D(T(x))` for the real
batch and the generated batch of the D step, for the generated batch of the G step
(through which G's gradient flows: the pipeline is differentiable), and for the inputs
of the penalties (R1's gradient is taken with respect to the un-augmented reals,
through :math:`T`, as ``StyleGAN2Loss.run_D`` of stylegan2-ada-pytorch does). This is
done by handing ``inner`` a context whose ``D`` is ``AugmentedDiscriminator(D,
pipeline)``; ``inner`` is unchanged.

With a ``controller`` (:class:`~gan_lib.augmentation.ada.AdaController`), the signs of
D's logits on each D step's real batch are accumulated on the device, and every
``controller.interval`` D steps the pipeline's ``p`` moves toward
:math:`r_t = \text{target}`; nothing is read back to the host inside a step. ``p`` and
the controller's sums go into :meth:`Augmented.state_dict`, so a resumed run continues
exactly.
"""

from __future__ import annotations

import dataclasses

from torch import Tensor, nn

from gan_lib.augmentation import AdaController, AdaptiveAugment, DiffAugment
from gan_lib.data.stream import Batch
from gan_lib.errors import UnknownNameError
from gan_lib.training.objectives.base import Context, Objective, Reals, Terms


PIPELINES: dict[str, type[nn.Module]] = {"ada": AdaptiveAugment,
                                         "diffaugment": DiffAugment}


def build_pipeline(spec: nn.Module | dict) -> nn.Module:
    """A pipeline module, or one from a preset's plain dict: ``{"name": "ada",
    "operations": "blit,color"}`` or ``{"name": "diffaugment", "policy": "color"}``."""
    if isinstance(spec, nn.Module):
        return spec
    if not isinstance(spec, dict):
        raise TypeError(f"pipeline must be an nn.Module or a dict spec; got "
                        f"{type(spec).__name__}")
    spec = dict(spec)
    name = spec.pop("name", None)
    if name not in PIPELINES:
        raise UnknownNameError("augmentation pipeline", name, PIPELINES)
    return PIPELINES[name](**spec)


class AugmentedDiscriminator(nn.Module):
    """``x -> D(pipeline(x), *rest)``. The real batch the wrapper is told to watch has
    its logits passed to ``observe`` (once)."""

    def __init__(self, D: nn.Module, pipeline: nn.Module) -> None:
        super().__init__()
        self.D, self.pipeline = D, pipeline
        self.watched: Tensor | None = None
        self.observe = None  # a callable(real_logits), set by Augmented

    def forward(self, x: Tensor, *rest: Tensor):  # noqa: ANN201 (D's own output type)
        out = self.D(self.pipeline(x), *rest)
        if self.observe is not None and x is self.watched:
            self.observe(out[0] if isinstance(out, tuple) else out)
            self.watched = None  # a later call on the same tensor (a penalty): not again
        return out


class Augmented(Objective):
    """``inner``'s game, with every input of D augmented by ``pipeline``.

    Args:
        inner: the game (e.g. :class:`~gan_lib.training.objectives.StyleGAN2`).
        pipeline: a module ``x (B, C, H, W) -> (B, C, H, W)``, differentiable in ``x``:
            :class:`~gan_lib.augmentation.AdaptiveAugment` (with a buffer ``p``) or
            :class:`~gan_lib.augmentation.DiffAugment` (or a dict spec, see
            :func:`build_pipeline`).
        controller: ADA's :class:`~gan_lib.augmentation.AdaController` adapting the
            pipeline's ``p`` (or a dict of its arguments); None keeps ``p`` fixed.
    """

    def __init__(self, inner: Objective, pipeline: nn.Module | dict,
                 controller: AdaController | dict | None = None) -> None:
        if not isinstance(inner, Objective):
            raise TypeError(f"inner must be an Objective; got {type(inner).__name__}")
        pipeline = build_pipeline(pipeline)
        if isinstance(controller, dict):
            controller = AdaController(**controller)
        if controller is not None and not isinstance(controller, AdaController):
            raise TypeError(f"controller must be an AdaController, a dict or None; got "
                            f"{type(controller).__name__}")
        if controller is not None and not isinstance(getattr(pipeline, "p", None),
                                                     Tensor):
            raise ValueError(f"an ADA controller adapts the pipeline's probability p, "
                             f"but {type(pipeline).__name__} has no tensor p")
        self.inner, self.pipeline, self.controller = inner, pipeline, controller
        self.d_reg_interval = inner.d_reg_interval
        self.g_reg_interval = inner.g_reg_interval

    def bind(self, context: Context) -> None:
        super().bind(context)
        if context.distributed:
            raise ValueError("Augmented wraps D outside DistributedDataParallel; not "
                             "implemented under torchrun")
        self.pipeline.to(context.device)
        if self.controller is not None:
            self.controller.to(context.device)
        self.D = AugmentedDiscriminator(context.D, self.pipeline)
        if self.controller is not None:
            self.D.observe = self.controller.observe
        self.inner.bind(dataclasses.replace(context, D=self.D))

    def _watching(self, reals: Reals) -> Reals:
        """``reals``, with each batch's images marked as the ones whose logits feed
        the controller."""

        def draw() -> Batch:
            batch = reals()
            self.D.watched = batch[0] if isinstance(batch, tuple) else batch
            return batch

        return draw

    def discriminator_loss(self, reals: Reals, d_step: int) -> Terms:
        if self.controller is None:
            return self.inner.discriminator_loss(reals, d_step)
        terms = self.inner.discriminator_loss(self._watching(reals), d_step)
        self.D.watched = None
        if (d_step + 1) % self.controller.interval == 0:  # as batch_idx % ada_interval
            self.controller.adjust(self.pipeline.p, self.context.batch_size)
        return terms

    def discriminator_regularizer(self, d_step: int) -> Terms | None:
        return self.inner.discriminator_regularizer(d_step)

    def after_discriminator_step(self) -> None:
        self.inner.after_discriminator_step()

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        return self.inner.generator_loss(reals, g_step)

    def generator_regularizer(self, g_step: int) -> Terms | None:
        return self.inner.generator_regularizer(g_step)

    @property
    def p(self) -> Tensor | None:
        """The pipeline's probability (a device tensor), or None without one."""
        return getattr(self.pipeline, "p", None)

    def state_dict(self) -> dict[str, Tensor]:
        state = {f"inner.{k}": v for k, v in self.inner.state_dict().items()}
        state.update({f"pipeline.{k}": v for k, v in self.pipeline.state_dict().items()})
        if self.controller is not None:
            state.update({f"controller.{k}": v
                          for k, v in self.controller.state_dict().items()})
        return state

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        def part(prefix: str) -> dict[str, Tensor]:
            return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}

        self.inner.load_state_dict(part("inner."))
        if part("pipeline."):
            self.pipeline.load_state_dict(part("pipeline."))
        if self.controller is not None and part("controller."):
            self.controller.load_state_dict(part("controller."))
