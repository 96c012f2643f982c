"""Building blocks shared by several model families, one concept per file.

* :mod:`~gan_lib.layers.conditional_batch_norm` (de Vries et al., 2017);
* :mod:`~gan_lib.layers.minibatch_discrimination` (Salimans et al., 2016);
* :mod:`~gan_lib.layers.minibatch_stddev` (Karras et al., 2018).
"""

from gan_lib.layers.conditional_batch_norm import ConditionalBatchNorm2d
from gan_lib.layers.minibatch_discrimination import MinibatchDiscrimination
from gan_lib.layers.minibatch_stddev import MinibatchStdDev, minibatch_stddev

__all__ = [
    "ConditionalBatchNorm2d",
    "MinibatchDiscrimination",
    "MinibatchStdDev",
    "minibatch_stddev",
]
