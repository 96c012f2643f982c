"""The stabilization toolbox of Chapter 8: layers and wrappers that fight mode collapse.

* :mod:`~gan_lib.stabilization.minibatch_discrimination` (Salimans et al., 2016);
* :mod:`~gan_lib.stabilization.minibatch_stddev` (Karras et al., 2018);
* :mod:`~gan_lib.stabilization.packing` (PacGAN, Lin et al., 2018).

The other remedies of the chapter live where the loop uses them: the losses
(one-sided label smoothing), :mod:`gan_lib.instance_noise`, the R1 penalty of
:mod:`gan_lib.regularizers`, TTUR and the EMA generator in
:class:`gan_lib.training.TrainConfig`.
"""

from gan_lib.stabilization.minibatch_discrimination import MinibatchDiscrimination
from gan_lib.stabilization.minibatch_stddev import MinibatchStdDev, minibatch_stddev
from gan_lib.stabilization.packing import (
    PacDiscriminator,
    pack,
    packed_total_variation,
    unpack,
)

__all__ = [
    "MinibatchDiscrimination",
    "MinibatchStdDev",
    "PacDiscriminator",
    "minibatch_stddev",
    "pack",
    "packed_total_variation",
    "unpack",
]
