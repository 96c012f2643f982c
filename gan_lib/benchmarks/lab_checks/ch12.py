r"""Chapter 12's trained set-up: the truncation trade-off on a class-conditional toy.

The lab calls these functions, so the sweep measures exactly the runs the lab asserts
on. Budgets follow the active profile (:func:`gan_lib.profiles.budget`).

* ``ch12.truncation_toy``: a BigGAN in miniature (a shared class embedding, a
  hierarchical latent feeding conditional batch norms, a projection discriminator
  with spectral norm, the hinge loss, Adam with :math:`\beta_1 = 0`) trained on a
  class-conditional toy in the plane
  (:func:`sample_toy`: each class a thin arc), once with BigGAN's orthogonal
  regularization (:math:`\beta = 10^{-4}`) and once without. For each threshold
  :math:`t` of :data:`THRESHOLDS` the class-conditional precision and recall
  (Kynkäänniemi et al., 2019, k = 3) of samples drawn with
  :func:`gan_lib.latent.truncated_normal` are measured against fresh data of the same
  class, and averaged over the classes.

The toy networks live here, not in :mod:`gan_lib.models`: they exist to make
Chapter 12's trade-off measurable in seconds, and follow BigGAN's image networks
(:mod:`gan_lib.models.biggan`) with linear layers in place of convolutions.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib import losses, metrics, profiles
from gan_lib.benchmarks.lab_checks import broken
from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, register
from gan_lib.latent import truncated_normal
from gan_lib.layers.conditional_batch_norm import check_labels
from gan_lib.regularizers import orthogonal_penalty, spectral_norm

# --- the data: K classes, each a thin arc of one circle ------------------------------

NUM_CLASSES = 4
RADIUS = 2.0  # every arc lies on the circle of radius 2
HALF_WIDTH = 0.5  # class k: angles uniform in 2 pi k / K +- 0.5 rad (gaps of 0.57 rad)
RADIAL_STD = 0.05  # Gaussian noise across the arc


def class_centers() -> Tensor:
    """``(K, 2)``: the midpoints of the arcs, evenly spaced (no duplicated end)."""
    angles = 2 * math.pi * torch.arange(NUM_CLASSES, dtype=torch.float64) / NUM_CLASSES
    return RADIUS * torch.stack([angles.cos(), angles.sin()], dim=1).float()


def sample_toy(
    n: int, generator: torch.Generator | None = None, y: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """``n`` labelled points ``(x (n, 2), y (n,))``: class ``y`` uniform (or given),
    angle uniform on its arc, radius ``RADIUS + RADIAL_STD * eps``. A bounded,
    non-Gaussian conditional: a generator fed Gaussian codes overshoots its ends."""
    if y is None:
        y = torch.randint(NUM_CLASSES, (n,), generator=generator)
    u = 2 * torch.rand(n, generator=generator) - 1  # (n,) uniform in [-1, 1]
    angle = 2 * math.pi * y / NUM_CLASSES + HALF_WIDTH * u
    radius = RADIUS + RADIAL_STD * torch.randn(n, generator=generator)
    return radius[:, None] * torch.stack([angle.cos(), angle.sin()], dim=1), y


# --- the networks: BigGAN with linear layers ------------------------------------------

Z_DIM, CHUNKS = 12, 3  # z split into 3 chunks of 4: the input layer and two blocks
SHARED_DIM = 8  # the shared class embedding G.shared
HIDDEN = 64


class ConditionalBatchNorm1d(nn.Module):
    r"""BigGAN's ccbn on vectors: :math:`(1 + W_\gamma c) \odot \mathrm{BN}(h) +
    W_\beta c` (as :class:`gan_lib.models.biggan.ClassConditionalBatchNorm2d`).

    ``forward(h: (B, C), condition: (B, condition_dim)) -> (B, C)``."""

    def __init__(self, num_features: int, condition_dim: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(num_features, affine=False)
        self.gain = nn.Linear(condition_dim, num_features, bias=False)
        self.bias = nn.Linear(condition_dim, num_features, bias=False)

    def forward(self, h: Tensor, condition: Tensor) -> Tensor:
        return (1 + self.gain(condition)) * self.norm(h) + self.bias(condition)


class ToyBigGANGenerator(nn.Module):
    """``G(z, y) -> (B, 2)``: ``z (B, 12)`` split into three chunks; chunk 0 feeds the
    input layer, chunk ``l`` (with the shared embedding of ``y``) the conditional batch
    norm of block ``l``; two residual blocks ``h + W ReLU(ccbn(h))``."""

    def __init__(self) -> None:
        super().__init__()
        self.z_dim, self.num_classes = Z_DIM, NUM_CLASSES
        self.chunk = Z_DIM // CHUNKS
        self.shared = nn.Embedding(NUM_CLASSES, SHARED_DIM)
        self.linear = nn.Linear(self.chunk, HIDDEN)
        condition_dim = SHARED_DIM + self.chunk
        self.norms = nn.ModuleList(
            ConditionalBatchNorm1d(HIDDEN, condition_dim) for _ in range(CHUNKS - 1))
        self.layers = nn.ModuleList(nn.Linear(HIDDEN, HIDDEN) for _ in range(CHUNKS - 1))
        self.output_norm = nn.BatchNorm1d(HIDDEN)
        self.to_point = nn.Linear(HIDDEN, 2)
        for layer in self.modules():  # BigGAN.py init_weights, G_init='ortho'
            if isinstance(layer, (nn.Linear, nn.Embedding)):
                nn.init.orthogonal_(layer.weight)
        spectral_norm(self)  # BigGAN: SN in G too; the embedding stays free

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        check_labels(y, z.shape[0], self.num_classes)
        z_input, *z_blocks = torch.split(z, self.chunk, dim=1)
        shared = self.shared(y)  # (B, SHARED_DIM)
        h = self.linear(z_input)  # (B, HIDDEN)
        for norm, layer, chunk in zip(self.norms, self.layers, z_blocks):
            h = h + layer(F.relu(norm(h, torch.cat([shared, chunk], dim=1))))
        return self.to_point(F.relu(self.output_norm(h)))  # (B, 2)


class ToyProjectionDiscriminator(nn.Module):
    """``T(x, y) = w^T phi(x) + b + <embed(y), phi(x)>`` with an MLP ``phi``, every
    layer spectrally normalized (BigGAN's D, Miyato and Koyama's projection)."""

    def __init__(self) -> None:
        super().__init__()
        self.num_classes = NUM_CLASSES
        self.phi = nn.Sequential(
            nn.Linear(2, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU())
        self.linear = nn.Linear(HIDDEN, 1)
        self.embed = nn.Embedding(NUM_CLASSES, HIDDEN)
        spectral_norm(self)
        nn.utils.parametrizations.spectral_norm(self.embed)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        h = self.phi(x)  # (B, HIDDEN)
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(dim=1)  # (B,)


# --- training ---------------------------------------------------------------------------

BATCH = 256
LR_G, LR_D = 1e-3, 2e-3  # a faster TTUR than BigGAN's 1e-4 / 4e-4: a toy in seconds
BETAS = (0.0, 0.999)  # BigGAN: Adam beta1 = 0, beta2 = 0.999 (Sec. 3, Appendix C)
ORTHO_WEIGHT = 1e-4  # Brock et al. (2019), Sec. 3.1: beta = 1e-4


def toy_steps() -> int:
    return profiles.budget(smoke=300, cpu=1500, gpu=3000)


def train_toy(
    seed: int = 0, ortho_weight: float = ORTHO_WEIGHT, variant: str = OK,
    steps: int | None = None,
) -> tuple[nn.Module, dict[str, list[float]]]:
    """Train the toy BigGAN for ``steps`` (default :func:`toy_steps`); returns G (in
    eval mode: batch norm with running statistics) and the loss history."""
    torch.manual_seed(seed)
    data_generator = torch.Generator().manual_seed(10_000 + seed)
    G, D = ToyBigGANGenerator(), ToyProjectionDiscriminator()
    exclude = list(G.shared.parameters())
    G_trained = broken.apply(G, variant)  # what the loop trains
    if variant == "frozen_generator":
        ortho_weight = 0.0  # the penalty would move the wrapped weights
    d_loss_fn, g_loss_fn = losses.get("hinge")
    opt_G = torch.optim.Adam(G_trained.parameters(), lr=LR_G, betas=BETAS)
    opt_D = torch.optim.Adam(D.parameters(), lr=LR_D, betas=BETAS)
    history: dict[str, list[float]] = {"D": [], "G": [], "orthogonal": []}
    for _ in range(toy_steps() if steps is None else steps):
        x_real, y_real = sample_toy(BATCH, data_generator)
        z, y = torch.randn(BATCH, Z_DIM), torch.randint(NUM_CLASSES, (BATCH,))
        x_fake = G_trained(z, y)
        d_loss = d_loss_fn(D(x_real, y_real), D(x_fake.detach(), y))
        opt_D.zero_grad()
        d_loss.backward()
        opt_D.step()
        fake_logits = D(x_fake, y)
        g_loss = g_loss_fn(fake_logits.detach(), fake_logits)
        penalty = orthogonal_penalty(G, exclude)  # every >= 2-D weight but G.shared
        opt_G.zero_grad()
        (g_loss + ortho_weight * penalty).backward()
        opt_G.step()
        history["D"].append(d_loss.item())
        history["G"].append(g_loss.item())
        history["orthogonal"].append(penalty.item())
    return G_trained.eval(), history


# --- the trade-off --------------------------------------------------------------------

THRESHOLDS = (0.25, 0.5, 1.0, 1.5, 2.0, math.inf)  # inf: no truncation
PER_CLASS = 500  # real and generated points per class for precision / recall
K_NEIGHBOURS = 3  # Kynkäänniemi et al. (2019): k = 3


@torch.no_grad()
def sample_truncated(
    G: nn.Module, y: Tensor, threshold: float, generator: torch.Generator,
    ignore_threshold: bool = False,
) -> Tensor:
    """``G(z, y)`` with ``z`` truncated to ``[-t, t]`` coordinatewise (``t = inf``:
    the plain normal). ``ignore_threshold``: the broken sampler of the sweep, which
    draws plain normal codes whatever ``t``."""
    shape = (y.shape[0], G.z_dim)
    if math.isinf(threshold) or ignore_threshold:
        z = torch.randn(shape, generator=generator)
    else:
        z = truncated_normal(shape, threshold, generator=generator)
    return G(z, y)


@torch.no_grad()
def tradeoff(
    G: nn.Module, seed: int = 0, ignore_threshold: bool = False
) -> dict[str, np.ndarray]:
    """Per threshold: class-averaged precision and recall, and the class accuracy
    (the fraction of samples nearest to their own class's mean)."""
    generator = torch.Generator().manual_seed(20_000 + seed)
    precision, recall, accuracy = [], [], []
    for threshold in THRESHOLDS:
        p_sum = r_sum = a_sum = 0.0
        for k in range(NUM_CLASSES):
            y = torch.full((PER_CLASS,), k)
            real, _ = sample_toy(PER_CLASS, generator, y)
            fake = sample_truncated(G, y, threshold, generator, ignore_threshold)
            p, r = metrics.precision_recall(real, fake, k=K_NEIGHBOURS)
            nearest = torch.cdist(fake, class_centers()).argmin(dim=1)
            p_sum, r_sum = p_sum + p, r_sum + r
            a_sum += (nearest == k).float().mean().item()
        precision.append(p_sum / NUM_CLASSES)
        recall.append(r_sum / NUM_CLASSES)
        accuracy.append(a_sum / NUM_CLASSES)
    return {"threshold": np.array(THRESHOLDS), "precision": np.array(precision),
            "recall": np.array(recall), "accuracy": np.array(accuracy)}


AMENABLE_GAIN = 0.02  # about twice the sampling std of a precision from 2,000 points
AMENABLE_SLACK = 0.03  # about three times it


def amenable(curve: dict[str, np.ndarray]) -> bool:
    """"Amenable to truncation", made measurable: as the threshold shrinks from inf
    to 0.5, precision never falls by more than ``AMENABLE_SLACK`` from one threshold
    to the next, and at t = 0.5 it is at least ``AMENABLE_GAIN`` above that of
    untruncated samples."""
    t, p = curve["threshold"], curve["precision"]
    along = p[t >= 0.5][::-1]  # from t = inf down to t = 0.5
    monotone = bool((np.diff(along) >= -AMENABLE_SLACK).all())
    return monotone and p[t == 0.5][0] - p[np.isinf(t)][0] >= AMENABLE_GAIN


def toy_quantities(
    curve: dict[str, np.ndarray], curve_no_ortho: dict[str, np.ndarray]
) -> dict[str, float]:
    """The numbers the lab asserts on (from the run with orthogonal regularization),
    and the amenability of both runs (recorded, not bounded)."""
    t = curve["threshold"]
    at = {name: {float(s): v for s, v in zip(t, curve[name])}
          for name in ("precision", "recall", "accuracy")}
    return {
        "recall_full": at["recall"][math.inf],
        "accuracy_full": at["accuracy"][math.inf],
        "precision_gain": at["precision"][0.5] - at["precision"][math.inf],
        "recall_loss": at["recall"][math.inf] - at["recall"][0.5],
        "precision_full": at["precision"][math.inf],
        "precision_half": at["precision"][0.5],
        "recall_quarter": at["recall"][0.25],
        "amenable_ortho": float(amenable(curve)),
        "amenable_plain": float(amenable(curve_no_ortho)),
    }


def run_toy_pair(seed: int = 0, variant: str = OK) -> dict[str, dict]:
    """The lab's pair of runs for one seed: with and without orthogonal
    regularization, each with its trade-off curve and history."""
    out = {}
    ignore = variant == "truncation_ignored"
    for name, weight in (("ortho", ORTHO_WEIGHT), ("plain", 0.0)):
        G, history = train_toy(seed, weight, OK if ignore else variant)
        out[name] = {"G": G, "history": history,
                     "curve": tradeoff(G, seed, ignore_threshold=ignore)}
    return out


def _run_truncation_toy(seed: int, variant: str) -> dict[str, float]:
    pair = run_toy_pair(seed, variant)
    return toy_quantities(pair["ortho"]["curve"], pair["plain"]["curve"])


TOY_NOTE = ("sweep: ../lab_checks, check ch12.truncation_toy; worst over 30 smoke runs "
            "(10 seeds x 3 CPU kernels) {}, over 12 cpu runs (4 x 3) {}; {}")
TRUNCATION_TOY = register(Check(
    lab="ch12", name="truncation_toy", run=_run_truncation_toy,
    description="a toy BigGAN (shared embedding, hierarchical z, ccbn, projection D, "
                "hinge, ortho 1e-4) on four arcs: precision and recall against t",
    variants=("frozen_generator", "sign_flipped", "truncation_ignored"),
    quantities=("precision_full", "precision_half", "recall_quarter",
                "amenable_ortho", "amenable_plain"),
    bounds=(
        Bound("recall_full", ">=", smoke=0.8, cpu=0.8, note=TOY_NOTE.format(
            0.914, 0.899, "floor 0.8; broken: frozen <= 0.49, sign-flipped 0")),
        Bound("accuracy_full", ">=", smoke=0.95, cpu=0.95, note=TOY_NOTE.format(
            1.0, 1.0, "floor 0.95; broken: frozen <= 0.29, sign-flipped 0")),
        Bound("precision_gain", ">=", smoke=0.03, cpu=0.02, note=TOY_NOTE.format(
            0.058, 0.034, "floors 0.03 and 0.02 (the cpu runs fit better, so truncation "
            "has less to gain); broken: frozen <= -0.005, truncation ignored <= 0.015, "
            "sign-flipped 0")),
        Bound("recall_loss", ">=", smoke=0.08, cpu=0.15, note=TOY_NOTE.format(
            0.156, 0.260, "floors 0.08 and 0.15; broken: truncation ignored <= 0.014, "
            "sign-flipped 0")),
    ),
))
