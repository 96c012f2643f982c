"""The games the loop can play, one file each (see :mod:`.base` for the seam).

:func:`from_config` picks the objective a :class:`~gan_lib.training.TrainConfig`'s
shortcut flags describe: ``feature_matching=True`` or ``unroll_steps > 0``, else the
plain adversarial game. :func:`build` makes one from a preset's plain-dict spec,
``{"name": ..., **arguments}`` (a wrapped objective under ``"inner"``).
"""

from typing import Any

from gan_lib.errors import UnknownNameError

from gan_lib.training.config import TrainConfig
from gan_lib.training.objectives.adversarial import Adversarial
from gan_lib.training.objectives.augmented import Augmented
from gan_lib.training.objectives.biggan import BigGAN
from gan_lib.training.objectives.cyclegan import CycleGAN
from gan_lib.training.objectives.base import Context, Objective, Reals, Terms, unwrap
from gan_lib.training.objectives.feature_matching import FeatureMatching
from gan_lib.training.objectives.pix2pix import Pix2Pix
from gan_lib.training.objectives.progressive import Progressive
from gan_lib.training.objectives.regularization import lazy_adam, samples_per_logit
from gan_lib.training.objectives.srgan import SRGAN
from gan_lib.training.objectives.stylegan2 import StyleGAN2
from gan_lib.training.objectives.unrolled import Unrolled


def from_config(config: TrainConfig) -> Objective:
    """The objective of ``config``'s flags (``feature_matching``, ``unroll_steps``)."""
    adversarial = dict(
        loss=config.loss,
        gp_weight=config.gp_weight,
        r1_gamma=config.r1_gamma,
        reg_interval=config.reg_interval,
        clip_value=config.clip_value,
        aux_weight=config.aux_weight,
    )
    if config.feature_matching:
        return FeatureMatching(**adversarial)
    if config.unroll_steps:
        return Unrolled(config.unroll_steps, **adversarial)
    return Adversarial(**adversarial)


OBJECTIVES: dict[str, type[Objective]] = {
    "adversarial": Adversarial,
    "augmented": Augmented,
    "biggan": BigGAN,
    "cyclegan": CycleGAN,
    "feature_matching": FeatureMatching,
    "pix2pix": Pix2Pix,
    "progressive": Progressive,
    "srgan": SRGAN,
    "stylegan2": StyleGAN2,
    "unrolled": Unrolled,
}


def build(spec: dict[str, Any]) -> Objective:
    """The objective a preset names: ``{"name": "progressive", "fade_steps": ...,
    "inner": {"name": "adversarial", "loss": "wasserstein", ...}}``."""
    spec = dict(spec)
    name = spec.pop("name", None)
    if name not in OBJECTIVES:
        raise UnknownNameError("objective", name, OBJECTIVES)
    if "inner" in spec:
        spec["inner"] = build(spec["inner"])
    return OBJECTIVES[name](**spec)


__all__ = [
    "OBJECTIVES",
    "Adversarial",
    "Augmented",
    "BigGAN",
    "Context",
    "CycleGAN",
    "FeatureMatching",
    "Objective",
    "Pix2Pix",
    "Progressive",
    "SRGAN",
    "StyleGAN2",
    "Reals",
    "Terms",
    "Unrolled",
    "build",
    "from_config",
    "lazy_adam",
    "samples_per_logit",
    "unwrap",
]
