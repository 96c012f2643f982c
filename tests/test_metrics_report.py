"""MetricReport: every number printed with its protocol; evaluate() end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gan_lib.errors import UnknownNameError
from gan_lib.metrics import (
    MetricReport,
    ModuleFeatureExtractor,
    density_coverage,
    evaluate,
    fid_from_features,
    inception_score,
    kid,
    precision_recall,
    reports_from_features,
)


def test_a_report_prints_its_protocol():
    fid = MetricReport("FID", 3.2104, "digits-cnn", n_fake=5000, n_real=5000)
    assert str(fid) == "FID(digits-cnn, 5000 vs 5000) = 3.21"
    kid_report = MetricReport(
        "KID",
        0.00123,
        "digits-cnn",
        n_fake=5000,
        n_real=5000,
        std=0.00045,
        protocol={"subsets": 100, "subset_size": 1000},
    )
    assert str(kid_report) == (
        "KID(digits-cnn, 5000 vs 5000, subsets=100, subset_size=1000) "
        "= 0.00123 ± 0.00045"
    )
    score = MetricReport(
        "IS", 9.1234, "digits-cnn", 5000, std=0.1, protocol={"splits": 10}
    )
    assert str(score) == "IS(digits-cnn, 5000 samples, splits=10) = 9.123 ± 0.1"


def test_reports_hold_the_values_of_the_metric_functions():
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((120, 6)), rng.standard_normal((100, 6)) + 0.2
    logits = rng.standard_normal((100, 4)) * 3
    names = ("fid", "kid", "is", "precision_recall", "density_coverage", "modes")
    reports = reports_from_features(
        real, fake, "toy", names, logits, kid_subsets=5, kid_subset_size=50, is_splits=4
    )
    assert reports["FID"].value == fid_from_features(real, fake)
    assert (reports["KID"].value, reports["KID"].std) == kid(real, fake, 5, 50)
    assert (reports["IS"].value, reports["IS"].std) == inception_score(logits, 4)
    precision, recall = precision_recall(real, fake, k=3)
    assert (reports["precision"].value, reports["recall"].value) == (precision, recall)
    density, coverage = density_coverage(real, fake, k=5)
    assert (reports["density"].value, reports["coverage"].value) == (density, coverage)
    assert reports["modes"].value == len(np.unique(logits.argmax(1)))
    assert str(reports["precision"]).startswith("precision(toy, 120 vs 100, k=3) = ")
    assert str(reports["modes"]).startswith(
        "modes(toy, 100 samples, classes=4, min_count=1) = "
    )
    with pytest.warns(UserWarning, match="using subset_size=100"):
        capped = reports_from_features(real, fake, "toy", ("kid",), kid_subsets=2)
    assert capped["KID"].protocol == {"subsets": 2, "subset_size": 100}


class TinyClassifier(nn.Module):
    """A fixed random network: images (N, 1, 8, 8) -> features (N, 6)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, 6), nn.Tanh())
        self.head = nn.Linear(6, 3)


def test_evaluate_streams_fid_and_extracts_the_rest_once():
    network = TinyClassifier()
    extractor = ModuleFeatureExtractor(
        network.body, name="tiny", dim=6, head=network.head, batch_size=16
    )
    generator = torch.Generator().manual_seed(1)
    real = torch.rand(90, 1, 8, 8, generator=generator) * 2 - 1
    fake = (torch.rand(70, 1, 8, 8, generator=generator) * 1.6 - 0.8).clamp(-1, 1)
    streamed = evaluate(extractor, real, fake, ("fid",))["FID"]
    expected = fid_from_features(extractor.features(real), extractor.features(fake))
    assert streamed.value == pytest.approx(expected, rel=1e-9)
    assert str(streamed).startswith("FID(tiny, 90 vs 70) = ")
    batches = [fake[i : i + 25] for i in range(0, 70, 25)]  # an iterable of batches
    reports = evaluate(extractor, real, batches, ("fid", "is"), is_splits=2)
    assert reports["FID"].value == pytest.approx(expected, rel=1e-9)
    assert reports["IS"].n_fake == 70 and reports["IS"].protocol == {"splits": 2}
    with pytest.raises(
        UnknownNameError, match="unknown metric 'fld'; known: density_coverage, fid"
    ):
        evaluate(extractor, real, fake, ("fld",))
    with pytest.raises(ValueError, match="need fake_logits"):
        reports_from_features(None, None, "x", ("is",))
