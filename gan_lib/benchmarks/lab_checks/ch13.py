r"""Chapter 13's trained set-ups: colourfulness on equal-luma shapes, edges -> digits.

The lab calls these functions, so the sweep measures exactly the runs the lab asserts
on. Budgets follow the active profile (:func:`gan_lib.profiles.budget`).

* ``ch13.colourfulness``: a U-Net generator and a PatchGAN discriminator
  (:mod:`gan_lib.models.pix2pix`) learn grey -> colour on
  :func:`gan_lib.data.paired.grey_to_colour_shapes`, where the grey input says
  nothing about the colour (three colours of equal luma, each with probability 1/3).
  Four objectives (:data:`SETUPS`, :class:`gan_lib.training.objectives.Pix2Pix`):
  L1 alone, cGAN + L1 with :math:`\lambda = 100` (the paper's) and 10, and the cGAN
  alone. On held-out pairs: the mean saturation and the colour entropy of the
  shapes' interiors (:mod:`gan_lib.metrics.colour`) against the ground truth's, the
  L1 error on those interiors (the distortion), and which palette colour each image
  was painted in, with G's dropout on (its only noise) over several draws.

* ``ch13.edges_to_digits``: the same networks (one channel in, one out) learn
  :func:`gan_lib.data.paired.edges_to_digits` at 16 px with L1, L1 + cGAN
  (:math:`\lambda = 100`) and the cGAN alone (:data:`DIGIT_SETUPS`); the offline
  digits classifier (:func:`gan_lib.metrics.digits_classifier.load_digits_cnn`)
  scores the translations of held-out edges by its accuracy, our stand-in for the
  paper's FCN score, beside its accuracy on the real digits (the "ground truth" row
  of the paper's Table 1) and on the raw edges.

The broken variant ``gan_term_off`` of ``colourfulness`` trains every set-up with
``gan_weight = 0`` (the adversarial term silently dropped, as by a zero weight or a
detached loss): the cGAN + L1 runs are then L1 regressions and must fail the
saturation-gain bound. Those of ``edges_to_digits`` are a generator that never
learns (``frozen_generator``) and pairs whose targets were permuted against their
sources (``shuffled_pairs``): both must fail the accuracy floors.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from gan_lib import profiles
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register
from gan_lib.data.paired import (
    COLOUR_NAMES,
    EQUAL_LUMA_COLOURS,
    ColourShapes,
    EdgeDigits,
    edges_to_digits,
    grey_to_colour_shapes,
)
from gan_lib.metrics.colour import (
    colour_entropy,
    mean_saturation,
    palette_assignment,
    palette_entropy,
)
from gan_lib.metrics.digits_classifier import (
    DigitsTraining,
    accuracy,
    load_digits_cnn,
    train_test_indices,
)
from gan_lib.models.pix2pix import PatchGAN, UNetGenerator
from gan_lib.training import TrainConfig, train
from gan_lib.training.objectives import Pix2Pix

# name -> (l1_weight, gan_weight); lambda = 100 is Isola et al. (2017), Sec. 4.2
SETUPS: dict[str, tuple[float, float]] = {
    "l1": (100.0, 0.0),
    "cgan_l1_100": (100.0, 1.0),
    "cgan_l1_10": (10.0, 1.0),
    "cgan": (0.0, 1.0),
}
LABELS = {"l1": "L1", "cgan_l1_100": "cGAN + L1 (λ=100)",
          "cgan_l1_10": "cGAN + L1 (λ=10)", "cgan": "cGAN"}

TRAIN_PAIRS, TEST_PAIRS = 1000, 300
BASE_CHANNELS = 16  # a narrow U-Net / PatchGAN (the paper: 64) to train in seconds
PATCH_LAYERS = 1  # a 16 x 16 PatchGAN (the paper's Table 2 row "16 x 16")
BATCH = 32  # the paper trains with much smaller batches (its appendix, per task)
LR = 1e-3  # the paper's Adam lr is 2e-4 (Sec. 3.3); 5x faster for a toy in seconds
BETAS = (0.5, 0.999)  # Sec. 3.3: beta1 = 0.5
DROPOUT_DRAWS = 8  # forward passes with dropout on, per test image


def resolution() -> int:
    return profiles.budget(smoke=16, cpu=16, gpu=32)


def steps() -> int:
    return profiles.budget(smoke=150, cpu=500, gpu=2000)


def colour_data(
    seed: int, size: int | None = None
) -> tuple[ColourShapes, ColourShapes]:
    """Training and held-out pairs for one seed (disjoint draws)."""
    size = resolution() if size is None else size
    return (grey_to_colour_shapes(TRAIN_PAIRS, size, seed=2 * seed),
            grey_to_colour_shapes(TEST_PAIRS, size, seed=2 * seed + 1))


def networks(size: int) -> tuple[UNetGenerator, PatchGAN]:
    G = UNetGenerator(1, 3, size, base_channels=BASE_CHANNELS,
                      max_channels=4 * BASE_CHANNELS)
    D = PatchGAN(1 + 3, num_layers=PATCH_LAYERS, base_channels=BASE_CHANNELS)
    return G, D


def train_setup(
    name: str, train_set: ColourShapes, seed: int = 0, variant: str = OK,
    n_steps: int | None = None,
) -> tuple[UNetGenerator, dict[str, list]]:
    """Train one of :data:`SETUPS` on ``train_set``; returns G and the history."""
    l1_weight, gan_weight = SETUPS[name]
    if variant == "gan_term_off":
        gan_weight = 0.0
        l1_weight = l1_weight or 1.0  # the cGAN-only run becomes L1 regression too
    torch.manual_seed(seed)
    G, D = networks(train_set.grey.shape[-1])
    config = TrainConfig(
        steps=steps() if n_steps is None else n_steps, batch_size=BATCH, lr_g=LR,
        lr_d=LR, betas_g=BETAS, betas_d=BETAS, seed=seed, device="cpu",
        progress=False, log_every=25,
    )
    result = train(G, D, (train_set.grey, train_set.colour), config,
                   objective=Pix2Pix(l1_weight=l1_weight, gan_weight=gan_weight))
    return result.G, result.history


def interior(data: ColourShapes) -> Tensor:
    """The pixels a shape covers entirely: ``(N, 1, R, R)`` bool."""
    return data.coverage == 1


def dropout_on(G: nn.Module) -> nn.Module:
    """G in evaluation mode (BatchNorm with running statistics) but with its dropout
    drawing masks, as the paper runs it at test time (Sec. 3.1)."""
    G.eval()
    for m in G.modules():
        if isinstance(m, nn.Dropout):
            m.train()
    return G


@torch.no_grad()
def evaluate(G: nn.Module, test: ColourShapes, seed: int = 0) -> dict[str, float]:
    """The colour statistics of G's translations of ``test`` (dropout off), the L1
    error on the interiors, and the palette entropy per input over dropout draws."""
    mask = interior(test)
    G.eval()
    out = G(test.grey)  # (N, 3, R, R)
    fg = mask.expand(-1, 3, -1, -1)
    assignment = palette_assignment(out, mask, EQUAL_LUMA_COLOURS)
    torch.manual_seed(10_000 + seed)
    dropout_on(G)
    draws = torch.stack([
        palette_assignment(G(test.grey), mask, EQUAL_LUMA_COLOURS).index
        for _ in range(DROPOUT_DRAWS)
    ], dim=1)  # (N, draws)
    G.eval()
    k = len(COLOUR_NAMES)
    per_input = [palette_entropy(row, k) for row in draws]
    return {
        "saturation": mean_saturation(out, mask),
        "colour_entropy": colour_entropy(out, mask),
        "palette_entropy": palette_entropy(assignment.index, k),
        "palette_distance": assignment.distance.mean().item(),
        "l1_interior": (out - test.colour).abs()[fg].double().mean().item(),
        "l1": (out - test.colour).abs().double().mean().item(),
        "dropout_entropy": sum(per_input) / len(per_input),
    }


def ground_truth(test: ColourShapes) -> dict[str, float]:
    """The same statistics of the targets themselves."""
    mask = interior(test)
    return {
        "saturation": mean_saturation(test.colour, mask),
        "colour_entropy": colour_entropy(test.colour, mask),
        "palette_entropy": palette_entropy(test.colour_index, len(COLOUR_NAMES)),
    }


def run_all(seed: int = 0, variant: str = OK) -> dict[str, dict]:
    """Every set-up of :data:`SETUPS` for one seed: ``{name: {"G", "history",
    "metrics"}}`` and ``"ground_truth"``, ``"test"``."""
    train_set, test = colour_data(seed)
    out: dict[str, dict] = {}
    for name in SETUPS:
        G, history = train_setup(name, train_set, seed, variant)
        out[name] = {"G": G, "history": history, "metrics": evaluate(G, test, seed)}
    out["ground_truth"] = {"metrics": ground_truth(test)}
    out["test"] = {"data": test}
    return out


def quantities(runs: dict[str, dict]) -> dict[str, float]:
    """The numbers the lab asserts on, and the rest recorded per set-up."""
    m = {name: runs[name]["metrics"] for name in SETUPS}
    truth = runs["ground_truth"]["metrics"]
    values = {
        "saturation_gap_l1": truth["saturation"] - m["l1"]["saturation"],
        "saturation_gain": m["cgan_l1_10"]["saturation"] - m["l1"]["saturation"],
        "distortion_cost": m["cgan_l1_10"]["l1_interior"] - m["l1"]["l1_interior"],
        "truth_saturation": truth["saturation"],
    }
    for name in SETUPS:
        for key in ("saturation", "colour_entropy", "palette_entropy",
                    "l1_interior", "dropout_entropy"):
            values[f"{key}_{name}"] = m[name][key]
    return values


def _run_colourfulness(seed: int, variant: str) -> dict[str, float]:
    return quantities(run_all(seed, variant))


NOTE = ("sweep: ../lab_checks, check ch13.colourfulness; worst over 30 smoke runs "
        "(10 seeds x 3 CPU kernels) {}, over 12 cpu runs (4 x 3) {}; {}")
COLOURFULNESS = register(Check(
    lab="ch13", name="colourfulness",
    run=_run_colourfulness,
    description="pix2pix (U-Net, 16x16 PatchGAN) grey -> colour on equal-luma "
                "shapes: L1, cGAN + L1 (lambda 100, 10), cGAN; saturation, colour "
                "entropy and L1 error against the ground truth",
    variants=("gan_term_off",),
    quantities=tuple(
        f"{key}_{name}" for name in SETUPS
        for key in ("saturation", "colour_entropy", "palette_entropy", "l1_interior",
                    "dropout_entropy")
    ) + ("truth_saturation",),
    bounds=(
        Bound("saturation_gap_l1", ">=", smoke=0.6, cpu=0.65, note=NOTE.format(
            0.788, 0.855, "floors 0.6 and 0.65 (theory: the L1 optimum is grey, gap "
            "= the truth's saturation, about 0.89); broken: gan_term_off >= 0.818, "
            "not meant to fail this one")),
        Bound("saturation_gain", ">=", smoke=0.35, cpu=0.5, note=NOTE.format(
            0.516, 0.718, "floors 0.35 and 0.5; broken: gan_term_off <= 0.013")),
        Bound("distortion_cost", ">=", smoke=0.05, cpu=0.07, note=NOTE.format(
            0.092, 0.128, "floors 0.05 and 0.07 (theory: a palette colour costs "
            "about 0.14 more than the grey median); broken: gan_term_off <= 0.002")),
        Bound("palette_entropy_cgan_l1_10", ">=", smoke=0.9, cpu=1.1, note=NOTE.format(
            1.230, 1.485, "floors 0.9 and 1.1 bits (log2 3 = 1.585); broken: "
            "gan_term_off <= 0.211")),
        Bound("dropout_entropy_cgan_l1_10", "<=", smoke=0.6, cpu=0.5, note=NOTE.format(
            "(highest) 0.280", "(highest) 0.188", "ceilings 0.6 and 0.5 bits, far "
            "below the log2 3 = 1.585 of the true conditional; broken: "
            "gan_term_off <= 0.073")),
    ),
))


# --- edges -> digits: a digits classifier as the stand-in for the FCN score -----------

# name -> (l1_weight, gan_weight); the paper's Table 1 rows L1, L1 + cGAN, cGAN
DIGIT_SETUPS: dict[str, tuple[float, float]] = {
    "l1": (100.0, 0.0),
    "cgan_l1": (100.0, 1.0),  # lambda = 100, Isola et al. (2017), Sec. 4.2
    "cgan": (0.0, 1.0),
}
DIGIT_LABELS = {"l1": "L1", "cgan_l1": "L1 + cGAN (λ=100)", "cgan": "cGAN"}
DIGIT_RESOLUTION = 16  # the U-Net's depth 4; the classifier is cached at 16 px


def digit_steps() -> int:
    return profiles.budget(smoke=100, cpu=300, gpu=2000)


def digit_data(resolution: int = DIGIT_RESOLUTION) -> tuple[EdgeDigits, EdgeDigits]:
    """Training and held-out edges -> digits pairs: the held-out fifth is the digits
    classifier's own held-out split (:func:`train_test_indices`), so neither pix2pix
    nor the classifier that scores it has seen those digits."""
    data = edges_to_digits(resolution)
    train_index, test_index = train_test_indices(
        data.labels, DigitsTraining(resolution=resolution))

    def pick(index: np.ndarray) -> EdgeDigits:
        i = torch.from_numpy(index)
        return EdgeDigits(data.edges[i], data.digits[i], data.labels[i])

    return pick(train_index), pick(test_index)


class FrozenGenerator(nn.Module):
    """A generator that never learns: G runs under ``no_grad`` and a zero anchor
    keeps the output on a graph, so the loop's backward and Adam step still run
    (:class:`gan_lib.benchmarks.lab_checks.broken.Frozen`, for a G without ``z``)."""

    def __init__(self, G: nn.Module) -> None:
        super().__init__()
        self.G = G
        self.anchor = nn.Parameter(torch.zeros(()))

    def forward(self, source: Tensor) -> Tensor:
        with torch.no_grad():
            out = self.G(source)
        return out + 0.0 * self.anchor


def train_digits(
    name: str, train_set: EdgeDigits, seed: int = 0, variant: str = OK,
    n_steps: int | None = None,
) -> nn.Module:
    """Train one of :data:`DIGIT_SETUPS` on edges -> digits; returns G.

    Variants: ``frozen_generator`` (G never moves) and ``shuffled_pairs`` (the
    targets permuted against the sources, as by a loader that shuffles two lists
    independently: the pairing, hence the condition, is lost)."""
    l1_weight, gan_weight = DIGIT_SETUPS[name]
    torch.manual_seed(seed)
    size = train_set.edges.shape[-1]
    G = UNetGenerator(1, 1, size, base_channels=BASE_CHANNELS,
                      max_channels=4 * BASE_CHANNELS)
    D = PatchGAN(1 + 1, num_layers=PATCH_LAYERS, base_channels=BASE_CHANNELS)
    targets = train_set.digits
    if variant == "shuffled_pairs":
        order = torch.randperm(len(targets), generator=torch.Generator().manual_seed(
            seed))
        targets = targets[order]
    trained = FrozenGenerator(G) if variant == "frozen_generator" else G
    config = TrainConfig(
        steps=digit_steps() if n_steps is None else n_steps, batch_size=BATCH,
        lr_g=LR, lr_d=LR, betas_g=BETAS, betas_d=BETAS, seed=seed, device="cpu",
        progress=False, log_every=25,
    )
    result = train(trained, D, (train_set.edges, targets), config,
                   objective=Pix2Pix(l1_weight=l1_weight, gan_weight=gan_weight))
    return result.G.eval()


@torch.no_grad()
def digit_scores(
    classifier: nn.Module, images: Tensor, test: EdgeDigits
) -> dict[str, float]:
    """The classifier's accuracy on ``images`` against the held-out labels, and the
    mean absolute error to the held-out digits (in [-1, 1] units)."""
    return {
        "accuracy": accuracy(classifier, images, test.labels),
        "l1": (images - test.digits).abs().double().mean().item(),
    }


def run_digits(seed: int = 0, variant: str = OK) -> dict[str, dict]:
    """Every set-up of :data:`DIGIT_SETUPS`: ``{name: {"G", "images", "scores"}}``,
    with ``"ground_truth"`` (the real held-out digits), ``"edges"`` (the raw inputs)
    and ``"test"``."""
    train_set, test = digit_data()
    classifier, _ = load_digits_cnn(test.digits.shape[-1])
    out: dict[str, dict] = {}
    for name in DIGIT_SETUPS:
        G = train_digits(name, train_set, seed, variant)
        with torch.no_grad():
            images = G(test.edges)  # (N, 1, R, R), dropout off
        out[name] = {"G": G, "images": images,
                     "scores": digit_scores(classifier, images, test)}
    out["ground_truth"] = {"images": test.digits,
                           "scores": digit_scores(classifier, test.digits, test)}
    out["edges"] = {"images": test.edges,
                    "scores": digit_scores(classifier, test.edges, test)}
    out["test"] = {"data": test}
    return out


def digit_quantities(runs: dict[str, dict]) -> dict[str, float]:
    """Accuracy and L1 error of every row of the table (set-ups, truth, edges)."""
    values = {}
    for name in (*DIGIT_SETUPS, "ground_truth", "edges"):
        for key, value in runs[name]["scores"].items():
            values[f"{key}_{name}"] = value
    return values


def _run_edges_to_digits(seed: int, variant: str) -> dict[str, float]:
    return digit_quantities(run_digits(seed, variant))


DIGIT_NOTE = ("sweep: ../lab_checks, check ch13.edges_to_digits; worst over 30 smoke "
              "runs (10 seeds x 3 CPU kernels) {}, over 12 cpu runs (4 x 3) {}; {}")
EDGES_TO_DIGITS = register(Check(
    lab="ch13", name="edges_to_digits",
    run=_run_edges_to_digits,
    description="pix2pix (U-Net, 16x16 PatchGAN) edges -> digits at 16 px: L1, "
                "L1 + cGAN (lambda 100), cGAN; the offline digits classifier's "
                "accuracy on the translated held-out edges (the FCN-score stand-in) "
                "beside the real digits' and the raw edges', and the L1 error",
    variants=("frozen_generator", "shuffled_pairs"),
    quantities=tuple(
        f"{key}_{name}" for name in (*DIGIT_SETUPS, "ground_truth", "edges")
        for key in ("accuracy", "l1")
    ),
    bounds=(
        Bound("accuracy_l1", ">=", smoke=0.7, cpu=0.8, note=DIGIT_NOTE.format(
            0.819, 0.903, "floors 0.7 and 0.8 (real digits 0.983, raw edges 0.461); "
            "broken: frozen 0.097, shuffled pairs 0.097")),
        Bound("accuracy_cgan_l1", ">=", smoke=0.7, cpu=0.8, note=DIGIT_NOTE.format(
            0.819, 0.917, "floors 0.7 and 0.8; broken: frozen 0.097, shuffled pairs "
            "<= 0.103")),
        Bound("accuracy_cgan", ">=", smoke=0.45, cpu=0.7, note=DIGIT_NOTE.format(
            0.592, 0.839, "floors 0.45 and 0.7; broken: frozen 0.097, shuffled "
            "pairs <= 0.150")),
        Bound("l1_cgan_l1", "<=", smoke=0.2, cpu=0.15, note=DIGIT_NOTE.format(
            "(highest) 0.134", "(highest) 0.094", "ceilings 0.2 and 0.15 (in [-1, 1] "
            "units); broken: frozen >= 0.677, shuffled pairs >= 0.309")),
    ),
))
