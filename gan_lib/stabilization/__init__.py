"""The stabilization toolbox of Chapter 8: training-time techniques against collapse.

* :mod:`~gan_lib.stabilization.packing` (PacGAN, Lin et al., 2018);
* :mod:`~gan_lib.stabilization.instance_noise` (Sønderby et al., 2017);
* :mod:`~gan_lib.stabilization.feature_matching` (Salimans et al., 2016);
* :mod:`~gan_lib.stabilization.unrolled` (Metz et al., 2017);
* :mod:`~gan_lib.stabilization.history_buffer`: a history of generated images for D
  (Shrivastava et al., 2017; CycleGAN's pool of 50).

The building blocks a discriminator holds, minibatch discrimination and minibatch
stddev, live in :mod:`gan_lib.layers`. The other remedies of the chapter live where
the loop uses them: the losses (one-sided label smoothing), the R1 penalty of
:mod:`gan_lib.regularizers`, TTUR and the EMA generator in
:class:`gan_lib.training.TrainConfig`.
"""

from gan_lib.stabilization.history_buffer import ImageHistoryBuffer
from gan_lib.stabilization.instance_noise import InstanceNoise
from gan_lib.stabilization.packing import (
    PacDiscriminator,
    pack,
    packed_total_variation,
    unpack,
)

__all__ = [
    "ImageHistoryBuffer",
    "InstanceNoise",
    "PacDiscriminator",
    "pack",
    "packed_total_variation",
    "unpack",
]
