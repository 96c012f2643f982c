"""Building blocks shared by several model families, one concept per file."""

from gan_lib.layers.conditional_batch_norm import ConditionalBatchNorm2d

__all__ = ["ConditionalBatchNorm2d"]
