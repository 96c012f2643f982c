"""Chapter 2's trained set-ups, one module each: a discriminator that separates
disjoint supports (:mod:`.vanishing`), a generator that best-responds to a frozen
discriminator (:mod:`.best_response`), a critic trained through instance noise
(:mod:`.instance_noise`), and the small ring-of-eight runs with the chapter's tricks
(:mod:`.ring_variants`).

The lab calls these functions, so the sweep measures exactly the runs the lab asserts
on. Budgets follow the active profile (:func:`gan_lib.profiles.budget`). The Dirac GAN
sections of the lab are closed-form (float64 maps, no training) and are checked in
the lab itself, not here. Importing this package registers its four checks.
"""

from gan_lib.benchmarks.lab_checks.ch02.vanishing import (
    VANISHING,
    ShiftedSegment,
    segment_data,
    segment_measure,
    train_segment_discriminator,
    vanishing_quantities,
)
from gan_lib.benchmarks.lab_checks.ch02.best_response import (
    BEST_RESPONSE,
    BroadGaussian,
    best_mixture,
    best_response_quantities,
    near_mode_histogram,
    train_best_response,
)
from gan_lib.benchmarks.lab_checks.ch02.instance_noise import (
    INSTANCE_NOISE,
    PointMass,
    train_noisy_critic,
)
from gan_lib.benchmarks.lab_checks.ch02.ring_variants import (
    RING_VARIANTS,
    RING_VARIANTS_CHECK,
    ring_seeds,
    ring_variant_quantities,
    run_ring,
    train_ring_variants,
)

__all__ = [
    "VANISHING", "ShiftedSegment", "segment_data", "segment_measure",
    "train_segment_discriminator", "vanishing_quantities",
    "BEST_RESPONSE", "BroadGaussian", "best_mixture", "best_response_quantities",
    "near_mode_histogram", "train_best_response",
    "INSTANCE_NOISE", "PointMass", "train_noisy_critic",
    "RING_VARIANTS", "RING_VARIANTS_CHECK", "ring_seeds", "ring_variant_quantities",
    "run_ring", "train_ring_variants",
]
