"""Training GANs: one loop for every game (see ``ARCHITECTURE.md``, "The training
package").

* :mod:`.loop`: :func:`train`, the alternating game and its bookkeeping;
* :mod:`.objectives`: the games (adversarial, conditional, AC-GAN, feature matching,
  unrolled), each returning named loss terms;
* :mod:`.config`: :class:`TrainConfig` and the papers' presets;
* :mod:`.state`: what a checkpoint holds, :func:`load_generator`;
* :mod:`.ema`, :mod:`.performance`, :mod:`.distributed` (``torchrun``).
"""

from gan_lib.training.config import PRESETS, TrainConfig, preset, preset_names
from gan_lib.training.ema import ema_decay_at, update_ema
from gan_lib.training.loop import Hook, NonFiniteError, Snapshot, TrainResult, train
from gan_lib.training.state import RunState, load_generator

__all__ = [
    "PRESETS",
    "Hook",
    "NonFiniteError",
    "RunState",
    "Snapshot",
    "TrainConfig",
    "TrainResult",
    "ema_decay_at",
    "load_generator",
    "preset",
    "preset_names",
    "train",
    "update_ema",
]
