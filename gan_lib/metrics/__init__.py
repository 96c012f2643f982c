"""Metrics for generative models, one file per metric."""

from gan_lib.metrics.class_modes import ClassModeCoverage, class_mode_coverage
from gan_lib.metrics.colour import (
    colour_entropy,
    mean_saturation,
    palette_assignment,
)
from gan_lib.metrics.features import (
    FeatureExtractor,
    ModuleFeatureExtractor,
    digits_cnn,
    fid_inception,
)
from gan_lib.metrics.fid import (
    GaussianStatistics,
    fid_from_features,
    fid_from_statistics,
    frechet_distance,
)
from gan_lib.metrics.image_quality import (
    psnr,
    radial_power_spectrum,
    spectral_distance,
    ssim,
)
from gan_lib.metrics.inception_score import inception_score
from gan_lib.metrics.kid import kid
from gan_lib.metrics.modes import ModeCoverage, mode_coverage
from gan_lib.metrics.prdc import density_coverage, precision_recall
from gan_lib.metrics.report import MetricReport, evaluate, reports_from_features
from gan_lib.metrics.swd import (
    SlicedWassersteinDistances,
    laplacian_pyramid,
    sliced_wasserstein,
    swd,
)

__all__ = [
    "ClassModeCoverage",
    "FeatureExtractor",
    "GaussianStatistics",
    "MetricReport",
    "ModeCoverage",
    "ModuleFeatureExtractor",
    "SlicedWassersteinDistances",
    "class_mode_coverage",
    "colour_entropy",
    "density_coverage",
    "digits_cnn",
    "evaluate",
    "fid_from_features",
    "fid_from_statistics",
    "fid_inception",
    "frechet_distance",
    "inception_score",
    "kid",
    "laplacian_pyramid",
    "mean_saturation",
    "mode_coverage",
    "palette_assignment",
    "precision_recall",
    "psnr",
    "radial_power_spectrum",
    "reports_from_features",
    "sliced_wasserstein",
    "spectral_distance",
    "ssim",
    "swd",
]
