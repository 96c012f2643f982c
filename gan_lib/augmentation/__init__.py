"""Augmenting what the discriminator sees, for GANs trained on little data (Chapter 11).

* :mod:`.diffaugment`: DiffAugment (Zhao et al., 2020): colour, translation and cutout,
  applied to every image, differentiable;
* :mod:`.ada`: ADA's pipeline (Karras et al., 2020), each operation with probability
  ``p``, and its controller, which adapts ``p`` from the signs of D's real logits.

The training hook that puts a pipeline in front of D is
:class:`gan_lib.training.objectives.Augmented`.
"""

from gan_lib.augmentation.ada import (
    GROUPS,
    OPERATIONS,
    AdaController,
    AdaptiveAugment,
    parse_operations,
)
from gan_lib.augmentation.diffaugment import POLICIES, DiffAugment, diff_augment

__all__ = [
    "GROUPS",
    "OPERATIONS",
    "POLICIES",
    "AdaController",
    "AdaptiveAugment",
    "DiffAugment",
    "diff_augment",
    "parse_operations",
]
