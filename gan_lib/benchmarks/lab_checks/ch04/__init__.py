"""Chapter 4's trained set-ups, one module each: critics against the exact W1
(:mod:`.critics`), GP critics in one dimension (:mod:`.gp_1d`), deep clipped critics
(:mod:`.deep`), and WGAN runs on the ring and the grid (:mod:`.gan`); the problem they
share is :mod:`.problem`.

The lab calls these functions, so the sweep measures exactly the runs the lab asserts
on. Budgets follow the active profile (:func:`gan_lib.profiles.budget`). Importing
this package registers its four checks.
"""

from gan_lib.benchmarks.lab_checks.ch04.problem import (
    CONSTRAINTS,
    P1,
    Q1,
    W1,
    cdf,
    input_gradients,
    lift,
    w1_exact,
)
from gan_lib.benchmarks.lab_checks.ch04.critics import (
    CRITICS,
    branch_slopes,
    clipping_bound,
    critic_report,
    critic_steps,
    critics_quantities,
    estimate_quantities,
    fraction_at_bound,
    layer_norms,
    layer_quantities,
    path_quantities,
    path_statistics,
    slope_quantities,
    train_critic,
    train_critics,
    train_shallow_sn,
    transport_path_points,
)
from gan_lib.benchmarks.lab_checks.ch04.gp_1d import GP_1D, gp_1d_quantities, gp_1d_runs
from gan_lib.benchmarks.lab_checks.ch04.deep import (
    DEEP,
    DEEP_SETTINGS,
    deep_critic_gradients,
    deep_critics,
    deep_quantities,
    deep_steps,
)
from gan_lib.benchmarks.lab_checks.ch04.gan import (
    GAN,
    GAN_CONSTRAINTS,
    benchmarks,
    evaluate_gan,
    gan_config,
    gan_quantities,
    gan_runs,
    gan_seeds,
    gan_steps,
    run_gan,
)

__all__ = [
    "CONSTRAINTS", "P1", "Q1", "W1", "cdf", "input_gradients", "lift", "w1_exact",
    "CRITICS", "branch_slopes", "clipping_bound", "critic_report", "critic_steps",
    "critics_quantities", "estimate_quantities", "fraction_at_bound", "layer_norms",
    "layer_quantities", "path_quantities", "path_statistics", "slope_quantities",
    "train_critic", "train_critics", "train_shallow_sn", "transport_path_points",
    "GP_1D", "gp_1d_quantities", "gp_1d_runs",
    "DEEP", "DEEP_SETTINGS", "deep_critic_gradients", "deep_critics",
    "deep_quantities", "deep_steps",
    "GAN", "GAN_CONSTRAINTS", "benchmarks", "evaluate_gan", "gan_config",
    "gan_quantities", "gan_runs", "gan_seeds", "gan_steps", "run_gan",
]
