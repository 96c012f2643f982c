"""Inception Score: its two extremes, bounds, invariances and torch-fidelity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_lib.metrics import inception_score


def confident_logits(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Logits whose softmax is one-hot to float64 precision."""
    return 1000.0 * np.eye(n_classes)[labels]


def test_uniform_predictions_score_one():
    mean, std = inception_score(np.zeros((100, 10)), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0, abs=1e-12)


def test_confident_distinct_classes_score_the_number_of_classes():
    labels = np.arange(200) % 20  # every split of 20 holds each class once
    mean, std = inception_score(confident_logits(labels, 20), splits=10)
    assert mean == pytest.approx(20.0, rel=1e-12) and std == pytest.approx(0, abs=1e-9)


def test_confident_single_class_scores_one():
    mean, _ = inception_score(confident_logits(np.full(50, 3), 10), splits=5)
    assert mean == pytest.approx(1.0, abs=1e-12)


def test_k_equally_used_classes_score_k():
    """exp(KL) = exp(log k) when k of the C classes are used equally, confidently."""
    labels = np.arange(120) % 4
    mean, _ = inception_score(confident_logits(labels, 10), splits=3)
    assert mean == pytest.approx(4.0, rel=1e-12)


def test_score_lies_between_one_and_the_number_of_classes():
    logits = np.random.default_rng(0).standard_normal((500, 7)) * 3
    mean, std = inception_score(logits, splits=5)
    assert 1 < mean < 7 and std > 0
    shifted = logits + np.random.default_rng(1).standard_normal((500, 1))
    assert inception_score(shifted, splits=5)[0] == pytest.approx(mean, rel=1e-12)
    as_tensor = inception_score(torch.from_numpy(logits).float(), splits=5)[0]
    assert as_tensor == pytest.approx(mean, rel=1e-5)


def test_splits_follow_the_documented_boundaries():
    logits = np.random.default_rng(2).standard_normal((103, 5)) * 2
    scores = []
    for i in range(4):
        part = logits[i * 103 // 4 : (i + 1) * 103 // 4]
        p = np.exp(part - part.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        kl = (p * (np.log(p) - np.log(p.mean(0)))).sum(1).mean()
        scores.append(math.exp(kl))
    mean, std = inception_score(logits, splits=4)
    assert mean == pytest.approx(np.mean(scores), rel=1e-10)
    assert std == pytest.approx(np.std(scores), rel=1e-8)


def test_agrees_with_torch_fidelity():
    from torch_fidelity import metric_isc  # in requirements.txt: a missing one fails
    logits = np.random.default_rng(3).standard_normal((1000, 10)) * 4
    reference = metric_isc.isc_features_to_metric(
        torch.from_numpy(logits), splits=10, shuffle=False
    )
    mean, std = inception_score(logits, splits=10)
    assert mean == pytest.approx(reference["inception_score_mean"], rel=1e-10)
    assert std == pytest.approx(reference["inception_score_std"], rel=1e-8)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="needs at least 10 samples; got 5"):
        inception_score(np.zeros((5, 3)), splits=10)
    with pytest.raises(ValueError, match="logits contains NaN"):
        inception_score(np.full((20, 3), np.nan), splits=2)
    with pytest.raises(ValueError, match="logits must have 2 dimensions"):
        inception_score(np.zeros(20), splits=2)
    with pytest.raises(ValueError, match="splits must be a positive int"):
        inception_score(np.zeros((20, 3)), splits=0)
