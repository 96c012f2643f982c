"""Precision, recall, density and coverage: hand-built sets, the papers' definitions
computed directly, chunking, and torch-fidelity's precision/recall."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from gan_lib.metrics import density_coverage, precision_recall
from gan_lib.metrics.prdc import knn_radii_squared


def on_a_line(*positions: float) -> np.ndarray:
    """Points (t, 0) of the plane."""
    return np.array([[t, 0.0] for t in positions])


def direct_prdc(real: np.ndarray, fake: np.ndarray, k: int) -> tuple[float, ...]:
    """The four definitions on full distance matrices (scipy's cdist)."""
    real_real, fake_fake = cdist(real, real), cdist(fake, fake)
    real_fake = cdist(real, fake)  # (N, M)
    radius_real = np.sort(real_real, axis=1)[:, k]  # index 0 is the point itself
    radius_fake = np.sort(fake_fake, axis=1)[:, k]
    in_real_ball = real_fake <= radius_real[:, None]  # (N, M)
    precision = in_real_ball.any(axis=0).mean()
    recall = (real_fake <= radius_fake[None, :]).any(axis=1).mean()
    density = in_real_ball.sum() / (k * len(fake))
    coverage = (real_fake.min(axis=1) <= radius_real).mean()
    return precision, recall, density, coverage


def test_hand_built_sets_on_a_line():
    real = on_a_line(0, 1, 2, 3, 4)  # k = 1: every real ball has radius 1
    fake = on_a_line(0.5, 2.0, 10.0)  # fake radii 1.5, 1.5, 8
    precision, recall = precision_recall(real, fake, k=1)
    assert precision == pytest.approx(2 / 3)  # 10 lies outside every real ball
    assert recall == 1.0  # the outlier's ball [2, 18] reaches 2, 3, 4
    density, coverage = density_coverage(real, fake, k=1)
    assert density == pytest.approx((2 + 3 + 0) / 3)  # balls holding each fake
    assert coverage == pytest.approx(4 / 5)  # 3 is at distance exactly 1: <= counts


def test_identical_sets():
    x = np.random.default_rng(0).standard_normal((300, 8))
    assert precision_recall(x, x, k=3) == (1.0, 1.0)
    density, coverage = density_coverage(x, x, k=5)
    assert coverage == 1.0
    # each real ball holds its k neighbours and its own centre: (k + 1) / k
    assert density == pytest.approx(6 / 5)


def test_independent_samples_of_one_distribution_have_density_near_one():
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal((1500, 4)), rng.standard_normal((1500, 4))
    density, coverage = density_coverage(real, fake, k=5)
    assert density == pytest.approx(1.0, abs=0.1)
    assert coverage > 0.9
    precision, recall = precision_recall(real, fake, k=3)
    assert precision > 0.6 and recall > 0.6


def test_far_apart_sets_score_zero():
    rng = np.random.default_rng(2)
    real, fake = rng.standard_normal((100, 5)), rng.standard_normal((80, 5)) + 100
    assert precision_recall(real, fake) == (0.0, 0.0)
    assert density_coverage(real, fake) == (0.0, 0.0)


def test_mode_dropping_lowers_recall_and_coverage_not_precision():
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [20.0, 0.0]])
    real = np.concatenate([c + rng.standard_normal((400, 2)) for c in centres])
    fake = centres[0] + rng.standard_normal((800, 2))  # one of two modes
    precision, recall = precision_recall(real, fake)
    density, coverage = density_coverage(real, fake)
    assert precision > 0.9 and 0.4 < recall < 0.6
    assert 0.4 < coverage < 0.6


@pytest.mark.parametrize("k", [1, 3, 5])
def test_blocks_give_the_direct_unchunked_values(k):
    rng = np.random.default_rng(k)
    real, fake = rng.standard_normal((157, 6)), rng.standard_normal((131, 6)) + 0.3
    expected = direct_prdc(real, fake, k)
    for block_size in (16, 100, 4096):
        precision, recall = precision_recall(real, fake, k, block_size)
        density, coverage = density_coverage(real, fake, k, block_size)
        assert (precision, recall, coverage) == pytest.approx(
            expected[:2] + expected[3:]
        )
        assert density == pytest.approx(expected[2], rel=1e-12)


def test_knn_radii_exclude_the_point_itself_even_with_duplicates():
    x = torch.tensor([[0.0], [0.0], [1.0], [3.0]], dtype=torch.float64)
    radii = knn_radii_squared(x, k=1, block_size=3).sqrt()
    assert radii.tolist() == [0.0, 0.0, 1.0, 2.0]  # a duplicate is a neighbour
    assert knn_radii_squared(x, k=2, block_size=1).sqrt().tolist() == [1, 1, 1, 3]


def test_precision_recall_agree_with_torch_fidelity():
    from torch_fidelity import metric_prc  # in requirements.txt: a missing one fails
    rng = np.random.default_rng(4)
    real, fake = rng.standard_normal((300, 10)), rng.standard_normal((250, 10)) * 1.3
    reference = metric_prc.prc_features_to_metric(
        torch.from_numpy(fake),  # torch-fidelity: generated first, real second
        torch.from_numpy(real),
        prc_neighborhood=3,
        prc_batch_size=100,
        save_cpu_ram=False,
        verbose=False,
    )
    precision, recall = precision_recall(real, fake, k=3, block_size=64)
    # torch-fidelity averages in float32: compare the counts of samples
    assert round(precision * 250) == round(reference["precision"] * 250)
    assert round(recall * 300) == round(reference["recall"] * 300)
    assert 0.2 < precision < 0.9 and 0.2 < recall < 0.99  # not a trivial case


def test_bad_inputs_raise_clear_errors():
    x = np.random.default_rng(5).standard_normal((10, 3))
    with pytest.raises(ValueError, match="more than k = 3 samples.*got 3"):
        precision_recall(x, x[:3], k=3)
    with pytest.raises(ValueError, match="same dimension"):
        density_coverage(x, x[:, :2])
    bad = x.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="fake_features contains NaN"):
        density_coverage(x, bad)
    with pytest.raises(ValueError, match="k must be a positive int"):
        precision_recall(x, x, k=0)
    with pytest.raises(ValueError, match="block_size must be a positive int"):
        precision_recall(x, x, block_size=0)
