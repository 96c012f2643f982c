"""Metrics for generative models, one file per metric."""

from gan_lib.metrics.modes import ModeCoverage, mode_coverage

__all__ = ["ModeCoverage", "mode_coverage"]
