"""Chapter 5's trained network: the digits classifier whose features the metrics use.

Every number of the lab's digits sections (the Inception Score of the real digits, the
FID bias curve, the metrics under noise, blur, missing classes and copies) is computed
on the features of ``digits-cnn``, a classifier trained on scikit-learn's digits. Its
weights depend on float rounding (another CPU's vector kernels train other weights),
so the lab's asserts on those numbers are held to the sweep here. ``run(seed,
variant)`` trains the classifier from scratch with that seed in a folder of its own
per torch version and CPU capability (:func:`sweep_data_root`; never the user's
``$GAN_LIB_DATA``, never a cache written under another capability), draws the
generated set and the disturbances from the same seed, and returns the lab's
quantities. The lab calls the same functions with seed 0 and the cached classifier.

The broken variant ``untrained_classifier`` keeps the classifier's random initial
weights: features and logits of a network that has learned nothing.
"""

from __future__ import annotations

import math
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gan_lib import metrics, profiles
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register
from gan_lib.metrics.digits_classifier import DigitsCNN, digits_images

M = 400  # generated digits
KID_SUBSET = 200  # samples per KID subset
IS_SPLITS = 4
ALL = ("fid", "kid", "precision_recall", "density_coverage", "is")
NAMES = ("FID", "KID", "IS", "precision", "recall", "density", "coverage")
FID_SIZES = np.array([200, 400, 800, 1600, 3200])
SWEEP = "sweep: ../lab_checks, check ch05.digits"


# --- the classifier, the split, the evaluation -----------------------------------------


@dataclass
class DigitsSetup:
    """The classifier's features of every digit and the lab's split of the digits.

    ``real_index`` (the reference half, N digits) and ``pool_index`` (the other half)
    split the 1797 digits by class; ``fake_index`` is the M generated digits drawn from
    the pool.
    """

    extractor: metrics.FeatureExtractor
    images: torch.Tensor  # (1797, 1, 32, 32) in [-1, 1]
    labels: torch.Tensor  # (1797,)
    all_features: np.ndarray  # (1797, 128)
    all_logits: np.ndarray  # (1797, 10)
    real_index: np.ndarray
    pool_index: np.ndarray
    fake_index: np.ndarray
    kid_subsets: int

    @property
    def real_features(self) -> np.ndarray:
        return self.all_features[self.real_index]

    def evaluate_features(self, fake_features: np.ndarray,
                          fake_logits: np.ndarray) -> dict[str, metrics.MetricReport]:
        """Every metric of one generated set against the reference half."""
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no silent capping of a sample count
            return metrics.reports_from_features(
                self.real_features, fake_features, self.extractor.name, ALL,
                fake_logits, kid_subsets=self.kid_subsets, kid_subset_size=KID_SUBSET,
                is_splits=IS_SPLITS,
            )

    def evaluate_images(self, fake_images: torch.Tensor) -> dict:
        features, logits = self.extractor.features_and_logits(fake_images)
        return self.evaluate_features(features, logits)

    def evaluate_index(self, index: np.ndarray) -> dict:
        return self.evaluate_features(self.all_features[index], self.all_logits[index])


def untrained_extractor(seed: int) -> metrics.ModuleFeatureExtractor:
    """``digits-cnn``'s architecture with its random initial weights (broken)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DigitsCNN(32).eval()
    return metrics.ModuleFeatureExtractor(
        model.body, name="digits-cnn (untrained)", dim=128, head=model.head,
        image_shape=(1, 32, 32), batch_size=512,
    )


def digits_setup(seed: int = 0, variant: str = OK,
                 root: str | os.PathLike | None = None) -> DigitsSetup:
    """The classifier (trained with ``seed``, cached under ``root``, default
    ``$GAN_LIB_DATA``), every digit's features and logits, and the split drawn from
    ``seed``: a stratified half of the digits as the reference, M digits of the other
    half as the generated set."""
    from sklearn.model_selection import train_test_split

    if variant == "untrained_classifier":
        extractor = untrained_extractor(seed)
    elif variant == OK:
        extractor = metrics.digits_cnn(resolution=32, root=root, seed=seed)
    else:
        from gan_lib.errors import UnknownNameError

        raise UnknownNameError("ch05 variant", variant, (OK, "untrained_classifier"))
    images, labels = digits_images(32)  # (1797, 1, 32, 32) in [-1, 1], (1797,)
    real_index, pool_index = train_test_split(
        np.arange(len(labels)), test_size=0.5, random_state=seed,
        stratify=labels.numpy(),
    )
    fake_index = np.random.default_rng([seed, 0]).choice(pool_index, M, replace=False)
    features, logits = extractor.features_and_logits(images)
    return DigitsSetup(
        extractor, images, labels, features, logits, real_index, pool_index,
        fake_index, kid_subsets=profiles.budget(smoke=20, cpu=100, gpu=100),
    )


# --- the disturbances -----------------------------------------------------------------


def gaussian_blur(x: torch.Tensor, std: float) -> torch.Tensor:
    """Blur with a Gaussian of ``std`` pixels; the background (-1) stays -1."""
    if std == 0:
        return x
    radius = math.ceil(3 * std)
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    kernel_1d = torch.exp(-(t**2) / (2 * std**2))
    kernel_1d /= kernel_1d.sum()
    kernel = (kernel_1d[:, None] * kernel_1d[None, :])[None, None]  # (1, 1, k, k)
    return F.conv2d(x + 1, kernel, padding=radius) - 1  # zero padding = background


def disturbance_levels() -> dict[str, list]:
    """The strengths of each disturbance in the active profile."""
    five = [0.0, 0.25, 0.5, 0.75, 1.0]
    return {
        "noise": profiles.budget(smoke=[0.0, 0.5, 1.0], cpu=five, gpu=five),
        "blur": profiles.budget(smoke=[0.0, 1.5, 3.0], cpu=[3 * f for f in five],
                                gpu=[3 * f for f in five]),
        "dropped classes": profiles.budget(smoke=[0, 3, 5], cpu=[0, 1, 2, 3, 4, 5],
                                           gpu=[0, 1, 2, 3, 4, 5]),
        "copies of the reference": profiles.budget(smoke=[0.0, 0.5, 1.0], cpu=five,
                                                   gpu=five),
    }


def disturbance_noise(setup: DigitsSetup, seed: int = 0) -> torch.Tensor:
    """The standard normal pixel noise added (times the level) to the generated set."""
    generator = torch.Generator().manual_seed(1 + 1000 * seed)
    return torch.randn(setup.images[setup.fake_index].shape, generator=generator)


def disturbance_curves(setup: DigitsSetup, seed: int = 0) -> dict[str, list[dict]]:
    """The metrics of the generated set at every level of every disturbance.

    noise: pixel noise of std ``level``; blur: a Gaussian blur of std ``level`` pixels;
    dropped classes: M digits of the pool whose class is >= ``level``; copies: a
    fraction ``level`` of the generated digits replaced by digits of the reference.
    """
    levels = disturbance_levels()
    generated = setup.images[setup.fake_index]
    noise = disturbance_noise(setup, seed)
    curves = {
        "noise": [setup.evaluate_images((generated + s * noise).clamp(-1, 1))
                  for s in levels["noise"]],
        "blur": [setup.evaluate_images(gaussian_blur(generated, s).clamp(-1, 1))
                 for s in levels["blur"]],
    }
    pool_labels = setup.labels.numpy()[setup.pool_index]
    curves["dropped classes"] = []
    for dropped in levels["dropped classes"]:
        kept = setup.pool_index[pool_labels >= dropped]  # drop classes 0 .. dropped - 1
        chosen = np.random.default_rng([seed, 2]).choice(kept, M, replace=False)
        curves["dropped classes"].append(setup.evaluate_index(chosen))
    copies = np.random.default_rng([seed, 3]).choice(setup.real_index, M, replace=False)
    curves["copies of the reference"] = []
    for fraction in levels["copies of the reference"]:
        n_copies = round(fraction * M)
        chosen = np.concatenate([copies[:n_copies], setup.fake_index[n_copies:]])
        curves["copies of the reference"].append(setup.evaluate_index(chosen))
    return curves


def curve(curves: dict, disturbance: str, metric: str) -> np.ndarray:
    return np.array([r[metric].value for r in curves[disturbance]])


def kid_z(curves: dict, disturbance: str, kid_subsets: int) -> float:
    """KID's change from the first to the last level, in units of the standard error
    of that change (the subsets' standard deviations over sqrt(subsets))."""
    first, last = curves[disturbance][0]["KID"], curves[disturbance][-1]["KID"]
    return (last.value - first.value) / ((first.std + last.std) / math.sqrt(kid_subsets))


def curve_quantities(curves: dict, kid_subsets: int,
                     dropped_last: int) -> dict[str, float]:
    """The numbers the lab asserts on, from the disturbance curves."""
    q: dict[str, float] = {}
    for d in ("noise", "blur"):
        q[f"{d}_fid_min_step"] = float(np.diff(curve(curves, d, "FID")).min())
        q[f"{d}_kid_z"] = kid_z(curves, d, kid_subsets)
        precision = curve(curves, d, "precision")
        q[f"{d}_precision_drop"] = float(precision[0] - precision[-1])
        density = curve(curves, d, "density")
        q[f"{d}_density_ratio"] = float(density[-1] / density[0])
    d = "dropped classes"
    for name in ("recall", "coverage"):
        values = curve(curves, d, name)
        q[f"drop_{name}_fall"] = float(values[0] - values[-1])
    for name in ("precision", "density"):
        values = curve(curves, d, name)
        q[f"drop_{name}_change_min"] = float((values - values[0]).min())
    q["drop_fid_min_step"] = float(np.diff(curve(curves, d, "FID")).min())
    q["drop_is_excess"] = float(curve(curves, d, "IS")[-1] - (10 - dropped_last))
    d = "copies of the reference"
    for name in ("density", "coverage"):
        values = curve(curves, d, name)
        q[f"copy_{name}_rise"] = float(values[-1] - values[0])
    q["copy_precision_last"] = float(curve(curves, d, "precision")[-1])
    # what copying must NOT change (beyond sampling noise)
    fid = curve(curves, d, "FID")
    q["copy_fid_ratio"] = float(fid[-1] / fid[0])
    # in units of the spread of one subset's estimate (not of the mean over subsets:
    # more subsets shrink that standard error, never the difference between two fixed
    # generated sets), so the statistic does not depend on the number of subsets
    first, last = curves[d][0]["KID"], curves[d][-1]["KID"]
    q["copy_kid_change_sd"] = abs(last.value - first.value) / (
        (first.std + last.std) / 2)
    is_values = curve(curves, d, "IS")
    q["copy_is_change"] = float(abs(is_values[-1] / is_values[0] - 1))
    recall = curve(curves, d, "recall")
    q["copy_recall_rise"] = float(recall[-1] - recall[0])  # signed, for the record
    q["copy_recall_change"] = abs(q["copy_recall_rise"])
    return q


# --- the FID bias on digit features ----------------------------------------------------


def fid_bias(all_features: np.ndarray, seed: int = 0) -> dict[str, np.ndarray | float]:
    """Mean FID and mean squared mean difference of two i.i.d. samples (with
    replacement) of the digit features, at each N = M in FID_SIZES.

    Returns ``sizes``, ``fid`` (mean over repeats), ``mean_term``, ``scaled_mean_terms``
    (N times each draw's mean term), ``trace_sigma`` (of the pool), and the line
    ``intercept + slope / N`` fitted to the mean FIDs.
    """
    rng = np.random.default_rng([seed, 5])
    repeats = profiles.budget(smoke=24, cpu=60, gpu=60)
    pool_mean = all_features.mean(0)
    trace_sigma = float(((all_features - pool_mean) ** 2).sum(1).mean())
    fid_by_size, mean_term_by_size, scaled = [], [], []
    for n in FID_SIZES:
        fids, mean_terms = [], []
        for _ in range(repeats):
            a = all_features[rng.integers(0, len(all_features), n)]
            b = all_features[rng.integers(0, len(all_features), n)]
            fids.append(metrics.fid_from_features(a, b))
            mean_terms.append(((a.mean(0) - b.mean(0)) ** 2).sum())
        fid_by_size.append(np.mean(fids))
        mean_term_by_size.append(np.mean(mean_terms))
        scaled += [n * t for t in mean_terms]  # expectation 2 tr(Sigma) each
    fid_by_size = np.array(fid_by_size)
    slope, intercept = np.polyfit(1 / FID_SIZES, fid_by_size, 1)
    return {"sizes": FID_SIZES, "fid": fid_by_size,
            "mean_term": np.array(mean_term_by_size),
            "scaled_mean_terms": np.array(scaled), "trace_sigma": trace_sigma,
            "slope": float(slope), "intercept": float(intercept), "repeats": repeats}


def fid_bias_quantities(bias: dict) -> dict[str, float]:
    sizes, fid = bias["sizes"], bias["fid"]
    scaled_fid = sizes * fid  # constant if FID_N = slope / N exactly
    return {
        "fid_max_step": float(np.diff(fid).max()),  # < 0: falls as N doubles
        "fid_over_bound_min": float((fid / (2 * bias["trace_sigma"] / sizes)).min()),
        "fid_intercept_ratio": abs(bias["intercept"]) / float(fid[0]),
        "fid_scaled_spread": float(np.abs(scaled_fid / scaled_fid.mean() - 1).max()),
        "fid_slope_over_bound": bias["slope"] / (2 * bias["trace_sigma"]),
    }


# --- the check ------------------------------------------------------------------------


def sweep_data_root() -> Path:
    """Where the sweep keeps the classifiers it trained, one folder per torch version
    and CPU capability: the smoke and cpu sweeps train the same classifier (it does
    not depend on the profile), and training is single-threaded, hence the same
    weights for the same seed, torch and capability. A classifier cached under
    another capability is never read."""
    capability = torch.backends.cpu.get_cpu_capability()
    version = torch.__version__.replace("+", "_")
    return Path(tempfile.gettempdir()) / f"gan_lib_ch05_{version}_{capability}"


def digits_quantities(setup: DigitsSetup, seed: int = 0) -> dict[str, float]:
    """Every quantity of the lab's digits sections for one setup."""
    is_digits, _ = metrics.inception_score(setup.all_logits, splits=1)
    q = {"is_digits": float(is_digits),
         "test_accuracy": float(setup.extractor.provenance.get("test_accuracy", "nan"))}
    q.update(fid_bias_quantities(fid_bias(setup.all_features, seed)))
    curves = disturbance_curves(setup, seed)
    q.update(curve_quantities(curves, setup.kid_subsets,
                              disturbance_levels()["dropped classes"][-1]))
    return q


def _run_digits(seed: int, variant: str) -> dict[str, float]:
    """Train the classifier with ``seed`` under this process's CPU capability (or load
    the one this capability trained in an earlier profile's sweep), then measure."""
    setup = digits_setup(seed, variant, root=sweep_data_root())
    return digits_quantities(setup, seed)


# (quantity, op, smoke bound, cpu bound, smoke worst, cpu worst, what it says). The
# worst cases are the sweep's over 10 seeds x 3 CPU kernel sets (30 runs) in smoke and
# 4 seeds x 3 (12 runs) in cpu; see gan_lib/benchmarks/results/lab_checks_ch05.csv.
BOUNDS = (
    ("is_digits", ">", 9.0, 9.0, 9.21, 9.29,
     "a confident classifier on balanced digits (IS <= 10)"),
    ("fid_max_step", "<", 0.0, 0.0, -1.38, -2.02, "mean FID falls as N doubles"),
    ("fid_over_bound_min", ">", 1.0, 1.0, 3.26, 3.61,
     "every mean FID above the theorem's 2 tr(Sigma) / N"),
    ("fid_intercept_ratio", "<", 0.05, 0.05, 0.019, 0.0073,
     "the fit a + b / N extrapolates near FID_inf = 0"),
    ("fid_scaled_spread", "<", 0.2, 0.15, 0.139, 0.075,
     "N * FID_N within this fraction of its mean (24 draws per size in smoke, 60 "
     "in cpu)"),
    ("noise_fid_min_step", ">", 0.0, 0.0, 5.96, 0.224, "FID rises at every level"),
    ("blur_fid_min_step", ">", 0.0, 0.0, 61.4, 4.82, "FID rises at every level"),
    ("noise_kid_z", ">", 3.0, 3.0, 16.2, 38.5, "KID rises by > 3 standard errors"),
    ("blur_kid_z", ">", 3.0, 3.0, 33.1, 98.2, "KID rises by > 3 standard errors"),
    ("noise_precision_drop", ">", 0.15, 0.15, 0.215, 0.215,
     "strong noise lowers precision"),
    ("blur_precision_drop", ">", 0.2, 0.2, 0.518, 0.518, "strong blur lowers precision"),
    ("noise_density_ratio", "<", 0.6, 0.6, 0.496, 0.496,
     "strong noise cuts density by > 40 %"),
    ("blur_density_ratio", "<", 0.5, 0.5, 0.196, 0.196,
     "strong blur halves density"),
    ("drop_recall_fall", ">", 0.2, 0.2, 0.414, 0.423, "5 classes dropped: recall falls"),
    ("drop_coverage_fall", ">", 0.2, 0.2, 0.301, 0.301,
     "5 classes dropped: coverage falls"),
    ("drop_precision_change_min", ">", -0.08, -0.08, -0.0425, -0.0425,
     "precision stays near its baseline"),
    ("drop_density_change_min", ">", -0.2, -0.2, -0.078, -0.0905,
     "density stays near its baseline"),
    ("drop_fid_min_step", ">", 0.0, 0.0, 64.5, 13.5, "FID rises at every level"),
    ("drop_is_excess", "<", 0.5, 0.5, -0.034, -0.109,
     "IS minus the number of classes left"),
    ("copy_density_rise", ">", 0.1, 0.1, 0.146, 0.146, "copies raise density"),
    ("copy_coverage_rise", ">", 0.06, 0.06, 0.101, 0.101, "copies raise coverage"),
    ("copy_fid_ratio", "<", 1.25, 1.25, 1.066, 1.066,
     "copies do not make FID worse (it falls on average)"),
    ("copy_kid_change_sd", "<", 1.25, 1.25, 0.85, 0.78,
     "KID of the copies moves by less than the spread of one subset's estimate"),
    ("copy_is_change", "<", 0.06, 0.06, 0.035, 0.035,
     "IS of the copies within 6 % (its split spread is 1 to 4 %)"),
    ("copy_recall_change", "<", 0.1, 0.1, 0.072, 0.072,
     "recall of the copies moves by < 0.1 (it rises a little)"),
)


def _note(smoke: float, cpu: float, smoke_worst: float, cpu_worst: float,
          why: str) -> str:
    cpu_part = f"cpu worst {cpu_worst:g} over 12 runs, bound {cpu:g}"
    return (f"{why}; {SWEEP}: smoke worst {smoke_worst:g} over 30 runs, bound "
            f"{smoke:g}; {cpu_part}")


DIGITS = register(Check(
    lab="ch05", name="digits", run=_run_digits,
    description="digits-cnn trained from scratch: IS of the digits, FID's 1/N bias, "
                "and what each metric sees under noise, blur, missing classes, copies",
    variants=("untrained_classifier",),
    bounds=tuple(
        Bound(q, op, smoke=smoke, cpu=cpu, note=_note(smoke, cpu, sw, cw, why))
        for q, op, smoke, cpu, sw, cw, why in BOUNDS
    ),
))
