"""Modes covered and reverse KL to uniform from predicted class labels (stacked
MNIST)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_lib.metrics import ClassModeCoverage, class_mode_coverage


def test_balanced_labels_cover_every_class_with_zero_kl():
    result = class_mode_coverage(np.arange(1000) % 10, n_classes=10)
    assert isinstance(result, ClassModeCoverage)
    assert (result.modes, result.n_classes, result.n_samples) == (10, 10, 1000)
    assert result.reverse_kl == pytest.approx(0.0, abs=1e-15)
    assert result.counts == (100,) * 10


def test_a_single_class_has_kl_log_k():
    result = class_mode_coverage(torch.full((50,), 7), n_classes=1000)
    assert result.modes == 1
    assert result.reverse_kl == pytest.approx(math.log(1000))


def test_kl_of_a_hand_computed_histogram():
    labels = np.array([0, 0, 0, 1])  # p = (3/4, 1/4, 0, 0), K = 4
    expected = 0.75 * math.log(4 * 0.75) + 0.25 * math.log(4 * 0.25)
    result = class_mode_coverage(labels, n_classes=4)
    assert result.reverse_kl == pytest.approx(expected)
    assert result.modes == 2 and result.counts == (3, 1, 0, 0)


def test_min_count_ignores_stray_samples():
    labels = np.concatenate([np.repeat(np.arange(5), 20), [7, 8]])
    assert class_mode_coverage(labels, 10).modes == 7
    assert class_mode_coverage(labels, 10, min_count=2).modes == 5
    assert "modes 5/10 (>= 2 samples each)" in str(class_mode_coverage(labels, 10, 2))


def test_stacked_digits_labels_have_1000_classes():
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 10, size=(26_000, 3))  # one digit per channel
    labels = digits @ np.array([100, 10, 1])  # 100 a + 10 b + c
    result = class_mode_coverage(labels, n_classes=1000)
    assert result.modes == 1000  # 26 samples per mode on average
    assert 0 < result.reverse_kl < 0.05


@pytest.mark.parametrize(
    ("labels", "n_classes", "error", "message"),
    [
        (np.array([0, 10]), 10, ValueError, r"in \[0, 10\); got values from 0 to 10"),
        (np.array([-1, 2]), 10, ValueError, "got values from -1"),
        (np.array([0.0, 1.0]), 10, TypeError, "must be integers"),
        (np.zeros((2, 2), dtype=int), 10, ValueError, r"shape \(N,\)"),
        (np.array([], dtype=int), 10, ValueError, "at least one label"),
        (np.array([0, 1]), 0, ValueError, "n_classes must be a positive int"),
    ],
)
def test_bad_inputs_raise_clear_errors(labels, n_classes, error, message):
    with pytest.raises(error, match=message):
        class_mode_coverage(labels, n_classes)
