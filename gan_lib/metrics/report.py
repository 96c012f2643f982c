"""Every reported number carries its protocol: ``FID(digits-cnn, 5000 vs 5000) = 3.21``.

A sample-based metric is only meaningful with the network that made the features,
the numbers of samples (FID is biased upwards at small N) and its parameters (splits,
k, subsets). :class:`MetricReport` holds all of them and prints them in one line; a
lab prints reports, never bare floats. :func:`evaluate` computes the requested
metrics from images and an extractor; :func:`reports_from_features` from features
already extracted.

>>> extractor = features.digits_cnn()  # doctest: +SKIP
>>> for report in evaluate(extractor, real, fake, ("fid", "kid")).values():
...     print(report)  # doctest: +SKIP
FID(digits-cnn, 5000 vs 5000) = 3.21
KID(digits-cnn, 5000 vs 5000, subsets=100, subset_size=1000) = 0.0012 ± 0.0003
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np

from gan_lib.errors import UnknownNameError
from gan_lib.metrics.class_modes import class_mode_coverage
from gan_lib.metrics.features import FeatureExtractor, Images
from gan_lib.metrics.fid import (
    GaussianStatistics,
    fid_from_features,
    fid_from_statistics,
)
from gan_lib.metrics.inception_score import inception_score
from gan_lib.metrics.kid import kid
from gan_lib.metrics.prdc import density_coverage, precision_recall

MetricName = Literal[
    "fid", "kid", "is", "precision_recall", "density_coverage", "modes"
]
METRIC_NAMES: tuple[str, ...] = get_args(MetricName)
NEEDS_LOGITS = ("is", "modes")


@dataclass(frozen=True)
class MetricReport:
    """One number with everything needed to reproduce or compare it."""

    metric: str  # "FID", "KID", "IS", "precision", "recall", "density", ...
    value: float
    extractor: str  # the feature extractor's name
    n_fake: int  # generated samples
    n_real: int | None = None  # real samples; None for IS and mode counts
    std: float | None = None  # spread over splits / subsets, where defined
    protocol: dict[str, object] = field(default_factory=dict)  # splits, k, ...

    def __str__(self) -> str:
        if self.n_real is None:
            counts = f"{self.n_fake} samples"
        else:
            counts = f"{self.n_real} vs {self.n_fake}"
        settings = "".join(f", {key}={value}" for key, value in self.protocol.items())
        text = f"{self.metric}({self.extractor}, {counts}{settings}) = {self.value:.4g}"
        if self.std is not None:
            text += f" ± {self.std:.2g}"
        return text


def _check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    if isinstance(metrics, str):
        metrics = (metrics,)
    for name in metrics:
        if name not in METRIC_NAMES:
            raise UnknownNameError("metric", name, METRIC_NAMES)
    return tuple(metrics)


def reports_from_features(
    real_features: np.ndarray | None,
    fake_features: np.ndarray | None,
    extractor: str,
    metrics: Sequence[MetricName] = ("fid",),
    fake_logits: np.ndarray | None = None,
    *,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    is_splits: int = 10,
    precision_recall_k: int = 3,
    density_coverage_k: int = 5,
    mode_min_count: int = 1,
    seed: int = 2020,
) -> dict[str, MetricReport]:
    """Reports of the requested metrics from features (and logits) already computed.

    Args:
        real_features, fake_features: ``(N, d)`` and ``(M, d)``; needed by every
            metric but ``"is"`` and ``"modes"``.
        extractor: the name of the network that made them.
        metrics: any of ``fid, kid, is, precision_recall, density_coverage, modes``.
        fake_logits: ``(M, C)`` class logits of the generated samples, for ``"is"``
            (Inception Score) and ``"modes"`` (classes covered, reverse KL to uniform).
        kid_subsets, kid_subset_size, is_splits, precision_recall_k,
        density_coverage_k, mode_min_count, seed: the metrics' parameters.

    Returns:
        Reports keyed by metric: ``FID``, ``KID``, ``IS``, ``precision``, ``recall``,
        ``density``, ``coverage``, ``modes``, ``reverse KL``.
    """
    metrics = _check_metrics(metrics)
    if any(name in NEEDS_LOGITS for name in metrics) and fake_logits is None:
        raise ValueError(f"the metrics {NEEDS_LOGITS} need fake_logits; got None")
    if any(name not in NEEDS_LOGITS for name in metrics) and (
        real_features is None or fake_features is None
    ):
        raise ValueError(
            "FID, KID, precision/recall and density/coverage need real "
            "and fake features"
        )
    reports: dict[str, MetricReport] = {}
    if real_features is not None and fake_features is not None:
        pair = {
            "extractor": extractor,
            "n_real": len(real_features),
            "n_fake": len(fake_features),
        }
    if "fid" in metrics:
        value = fid_from_features(real_features, fake_features)
        reports["FID"] = MetricReport("FID", value, **pair)
    if "kid" in metrics:
        subset_size = min(kid_subset_size, len(real_features), len(fake_features))
        mean, std = kid(
            real_features, fake_features, kid_subsets, kid_subset_size, seed
        )
        reports["KID"] = MetricReport(
            "KID",
            mean,
            std=std,
            **pair,
            protocol={"subsets": kid_subsets, "subset_size": subset_size},
        )
    if "precision_recall" in metrics:
        k = precision_recall_k
        precision, recall = precision_recall(real_features, fake_features, k)
        reports["precision"] = MetricReport(
            "precision", precision, **pair, protocol={"k": k}
        )
        reports["recall"] = MetricReport("recall", recall, **pair, protocol={"k": k})
    if "density_coverage" in metrics:
        k = density_coverage_k
        density, coverage = density_coverage(real_features, fake_features, k)
        reports["density"] = MetricReport("density", density, **pair, protocol={"k": k})
        reports["coverage"] = MetricReport(
            "coverage", coverage, **pair, protocol={"k": k}
        )
    if "is" in metrics:
        mean, std = inception_score(fake_logits, is_splits)
        reports["IS"] = MetricReport(
            "IS",
            mean,
            extractor=extractor,
            n_fake=len(fake_logits),
            std=std,
            protocol={"splits": is_splits},
        )
    if "modes" in metrics:
        labels = np.asarray(fake_logits).argmax(axis=1)  # (M,) predicted classes
        n_classes = np.asarray(fake_logits).shape[1]
        counted = class_mode_coverage(labels, n_classes, mode_min_count)
        only_fakes = {"extractor": extractor, "n_fake": len(labels)}
        reports["modes"] = MetricReport(
            "modes",
            counted.modes,
            **only_fakes,
            protocol={"classes": n_classes, "min_count": mode_min_count},
        )
        reports["reverse KL"] = MetricReport(
            "reverse KL",
            counted.reverse_kl,
            **only_fakes,
            protocol={"classes": n_classes},
        )
    return reports


def evaluate(
    extractor: FeatureExtractor,
    real_images: Images | None,
    fake_images: Images,
    metrics: Sequence[MetricName] = ("fid",),
    **parameters: int,
) -> dict[str, MetricReport]:
    """Extract features (and logits) and compute the requested metrics.

    FID alone streams: features are accumulated batch by batch into
    :class:`~gan_lib.metrics.fid.GaussianStatistics`, so any number of images fits
    in memory. The other metrics need every feature at once. ``parameters`` are
    those of :func:`reports_from_features` (``kid_subsets=...``).
    """
    metrics = _check_metrics(metrics)
    needs_features = any(name not in NEEDS_LOGITS for name in metrics)
    if needs_features and real_images is None:
        raise ValueError(f"the metrics {metrics} need real_images; got None")
    if tuple(metrics) == ("fid",):
        real = GaussianStatistics.from_batches(extractor.iter_features(real_images))
        fake = GaussianStatistics.from_batches(extractor.iter_features(fake_images))
        value = fid_from_statistics(real, fake)
        report = MetricReport(
            "FID", value, extractor.name, n_fake=fake.count, n_real=real.count
        )
        return {"FID": report}
    real_features = fake_features = fake_logits = None
    if needs_features:
        real_features = extractor.features(real_images)
    if any(name in NEEDS_LOGITS for name in metrics):  # one pass over the fakes
        fake_features, fake_logits = extractor.features_and_logits(fake_images)
    elif needs_features:
        fake_features = extractor.features(fake_images)
    return reports_from_features(
        real_features, fake_features, extractor.name, metrics, fake_logits, **parameters
    )
