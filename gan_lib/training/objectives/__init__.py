"""The games the loop can play, one file each (see :mod:`.base` for the seam).

:func:`from_config` picks the objective a :class:`~gan_lib.training.TrainConfig`'s
shortcut flags describe: ``feature_matching=True`` or ``unroll_steps > 0``, else the
plain adversarial game.
"""

from gan_lib.training.config import TrainConfig
from gan_lib.training.objectives.adversarial import Adversarial
from gan_lib.training.objectives.base import Context, Objective, Reals, Terms, unwrap
from gan_lib.training.objectives.feature_matching import FeatureMatching
from gan_lib.training.objectives.regularization import lazy_adam, samples_per_logit
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


__all__ = [
    "Adversarial",
    "Context",
    "FeatureMatching",
    "Objective",
    "Reals",
    "Terms",
    "Unrolled",
    "from_config",
    "lazy_adam",
    "samples_per_logit",
    "unwrap",
]
