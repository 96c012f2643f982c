"""Chapter 11's trained set-ups: the path-length toy and D's overfitting on 60 faces.

The lab calls these functions, so the sweep measures exactly the runs the lab asserts
on. Budgets follow the active profile (:func:`gan_lib.profiles.budget`).

* ``ch11.path_length``: an MLP ``g: R^4 -> R^16`` trained on the path length penalty
  alone, toward a fixed target length, becomes a scaled isometry: the singular values
  of its Jacobian concentrate (Theorem thm-ch11-path-length). Also run: the library's
  :class:`~gan_lib.regularizers.PathLengthPenalty` with its running mean, which shrinks
  the Jacobian as well as equalizing it (recorded, not bounded).
* ``ch11.limited_data``: StyleGAN2 (tiny) on 60 LFW faces at 16 x 16, 40 held out;
  plain, with ADA (adaptive p) and with DiffAugment; D's mean logit on the training
  faces minus that on the held-out faces (the validation gap of def-ch11-overfitting).
"""

from __future__ import annotations

import statistics
from typing import Any

import torch
from torch import Tensor, nn

from gan_lib import models, profiles
from gan_lib.augmentation import AdaController, AdaptiveAugment, DiffAugment
from gan_lib.benchmarks.lab_checks.registry import Bound, Check, register
from gan_lib.data import images as image_sets
from gan_lib.regularizers import PathLengthPenalty
from gan_lib.training import TrainConfig, train
from gan_lib.training.objectives import Augmented, Objective, StyleGAN2

# --- the path-length toy ---------------------------------------------------------------

W_DIM, OUT_SIDE = 4, 4  # g: R^4 -> R^(4 x 4) = R^16
TARGET_LENGTH = 1.0  # the fixed a of the toy
PL_BATCH = 64


def path_length_steps() -> int:
    return profiles.budget(smoke=600, cpu=2000, gpu=2000)


def toy_mlp(seed: int) -> nn.Module:
    """``g: (B, 4) -> (B, 16)``, two tanh hidden layers of 32."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(W_DIM, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                         nn.Linear(32, OUT_SIDE**2))


def jacobian_singular_values(g: nn.Module, n: int = 256, seed: int = 123) -> Tensor:
    """The singular values of ``J_w`` at ``n`` draws ``w ~ N(0, I)``: ``(n, 4)``,
    descending, float64 (the Jacobians from ``torch.func``, exact)."""
    w = torch.randn(n, W_DIM, generator=torch.Generator().manual_seed(seed))
    jac = torch.func.vmap(torch.func.jacrev(g))(w)  # (n, 16, 4)
    return torch.linalg.svdvals(jac.detach().double())


def isometry_quantities(singular: Tensor) -> dict[str, float]:
    """``condition``: the median over w of sigma_max / sigma_min; ``spread``: the
    coefficient of variation of all singular values pooled (within and across w);
    ``scale``: their mean."""
    return {
        "condition": (singular[:, 0] / singular[:, -1]).median().item(),
        "spread": (singular.std() / singular.mean()).item(),
        "scale": singular.mean().item(),
    }


def lengths(g: nn.Module, w: Tensor) -> Tensor:
    r""":math:`\lVert J_w^\top y\rVert` for one ``y ~ N(0, I) / \sqrt{HW}`` per sample,
    by one backward pass (as the library's penalty computes it): ``(B,)``."""
    images = g(w).reshape(len(w), 1, OUT_SIDE, OUT_SIDE)
    y = torch.randn_like(images) / OUT_SIDE  # / sqrt(H W)
    (jacobian_t_y,) = torch.autograd.grad((images * y).sum(), w, create_graph=True)
    return jacobian_t_y.norm(dim=1)


def train_path_length(seed: int = 0, variant: str = "fixed_target",
                      steps: int | None = None) -> nn.Module:
    """``g`` trained by Adam (lr 3e-3) on a path length objective alone:

    * ``fixed_target``: ``E (||J^T y|| - a)^2`` with ``a = 1`` (the toy of the lab);
    * ``running_mean``: the library's :class:`PathLengthPenalty` (``a`` its running
      mean, as in StyleGAN2);
    * ``mean_before_square`` (broken): ``(E ||J^T y|| - a)^2``, the batch mean taken
      before squaring, which fixes the average length but not its spread.
    """
    g = toy_mlp(seed)
    penalty = PathLengthPenalty()
    optimizer = torch.optim.Adam(g.parameters(), lr=3e-3)
    for _ in range(path_length_steps() if steps is None else steps):
        w = torch.randn(PL_BATCH, W_DIM).requires_grad_(True)
        if variant == "running_mean":
            images = g(w).reshape(PL_BATCH, 1, OUT_SIDE, OUT_SIDE)
            loss = penalty(images, w)
        elif variant == "fixed_target":
            loss = (lengths(g, w) - TARGET_LENGTH).square().mean()
        elif variant == "mean_before_square":
            loss = (lengths(g, w).mean() - TARGET_LENGTH).square()
        else:
            raise ValueError(f"unknown path length variant {variant!r}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return g


def _run_path_length(seed: int, variant: str) -> dict[str, float]:
    start = isometry_quantities(jacobian_singular_values(toy_mlp(seed)))
    if variant == "untrained":
        g = toy_mlp(seed)
    elif variant == "mean_before_square":
        g = train_path_length(seed, "mean_before_square")
    else:
        g = train_path_length(seed, "fixed_target")
    end = isometry_quantities(jacobian_singular_values(g))
    running = isometry_quantities(jacobian_singular_values(
        train_path_length(seed, "running_mean")))
    return {
        "condition": end["condition"], "spread": end["spread"], "scale": end["scale"],
        "condition_ratio": end["condition"] / start["condition"],
        "condition_start": start["condition"],
        "condition_running_mean": running["condition"],
        "scale_ratio_running_mean": running["scale"] / start["scale"],
    }


PL_NOTE = ("sweep: ../lab_checks, check ch11.path_length; worst over 30 smoke runs (10 "
           "seeds x 3 CPU kernels) {}, over 12 cpu runs (4 x 3) {}; {}")
PATH_LENGTH = register(Check(
    lab="ch11", name="path_length", run=_run_path_length,
    description="an MLP R^4 -> R^16 trained on the path length penalty alone (fixed "
                "target): the singular values of its Jacobian concentrate",
    variants=("untrained", "mean_before_square"),
    bounds=(
        Bound("condition", "<", smoke=1.6, cpu=1.6, note=PL_NOTE.format(
            1.31, 1.32, "ceiling 1.6 (start: 2.3 to 4.4); broken: untrained >= 2.41, "
            "mean_before_square >= 2.10")),
        Bound("spread", "<", smoke=0.2, cpu=0.2, note=PL_NOTE.format(
            0.12, 0.11, "ceiling 0.2; broken: untrained >= 0.35, mean_before_square "
            ">= 0.33")),
        Bound("condition_ratio", "<", smoke=0.7, cpu=0.7, note=PL_NOTE.format(
            0.56, 0.53, "ceiling 0.7; broken: untrained 1.0, mean_before_square "
            ">= 0.76")),
    ),
    quantities=("scale", "condition_start", "condition_running_mean",
                "scale_ratio_running_mean"),
))


# --- limited data: D's overfitting on a few faces --------------------------------------

RESOLUTION = 16
N_TRAIN, N_HELD = 60, 40  # of the 100 LFW faces; split by a fixed permutation
NETS = dict(channels=1, resolution=RESOLUTION, fmap_base=256, fmap_max=32)
Z_DIM = 32
ADA_KIMG = 0.5  # tiny runs: p may move by 1 in 500 real images (official: 500 kimg)
MODES = ("plain", "diffaugment", "ada")
CHECKED = ("plain", "diffaugment")  # the runs the check bounds (ADA: shown, see lab)


def limited_steps() -> int:
    return profiles.budget(smoke=100, cpu=300, gpu=2000)


def lab_modes() -> tuple[str, ...]:
    """The runs the lab trains: ADA too, except in ``smoke`` (time)."""
    return profiles.budget(smoke=CHECKED, cpu=MODES, gpu=MODES)


def face_split(seed: int = 0) -> tuple[Tensor, Tensor]:
    """``(train, held_out)``: 60 and 40 of the 100 faces at 16 x 16, by a permutation
    fixed by ``seed``."""
    faces = image_sets.load("lfw_faces", RESOLUTION).images  # (100, 1, 16, 16)
    order = torch.randperm(len(faces), generator=torch.Generator().manual_seed(seed))
    return faces[order[:N_TRAIN]], faces[order[N_TRAIN:N_TRAIN + N_HELD]]


class _Identity(nn.Module):
    """A pipeline that augments nothing (the broken variant ``identity_pipeline``)."""

    def forward(self, x: Tensor) -> Tensor:
        return x


def limited_objective(mode: str) -> Objective:
    """StyleGAN2's game (R1 gamma 0.1 every 16 D steps, no path length: the toy is
    about D), plain or behind an augmentation pipeline."""
    inner = StyleGAN2(r1_gamma=0.1, pl_weight=0.0)
    if mode == "plain":
        return inner
    if mode == "identity_pipeline":  # broken: the wrapper with nothing in it
        return Augmented(inner, _Identity())
    if mode == "diffaugment":
        return Augmented(inner, DiffAugment("color,translation,cutout"))
    if mode == "ada":
        return Augmented(inner, AdaptiveAugment("blit,color,cutout"),
                         AdaController(ada_kimg=ADA_KIMG))
    raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")


@torch.no_grad()
def mean_logits(D: nn.Module, x: Tensor) -> float:
    return D(x).float().mean().item()


def train_limited(mode: str, seed: int = 0, steps: int | None = None,
                  every: int = 10) -> dict[str, Any]:
    """One run on the 60 training faces. Returns the trained ``G`` and ``D``, the
    history, and ``trace``: every ``every`` steps, D's mean logit on the training
    faces, the held-out faces and 64 fakes, their gap, and ADA's ``p``."""
    train_x, held = face_split()
    torch.manual_seed(seed)
    G = models.get("stylegan2_generator", z_dim=Z_DIM, w_dim=Z_DIM, mapping_layers=2,
                   **NETS)
    D = models.get("stylegan2_discriminator", **NETS)
    objective = limited_objective(mode)
    steps = limited_steps() if steps is None else steps
    config = TrainConfig(steps=steps, batch_size=16, lr_g=2.5e-3, lr_d=2.5e-3,
                         betas_g=(0.0, 0.99), betas_d=(0.0, 0.99), device="cpu",
                         progress=False, seed=seed, log_every=every, hook_every=every)
    fixed_z = torch.randn(64, Z_DIM, generator=torch.Generator().manual_seed(1))
    trace: list[dict[str, float]] = []

    def hook(snapshot: Any) -> None:
        real, other = mean_logits(snapshot.D, train_x), mean_logits(snapshot.D, held)
        fake = mean_logits(snapshot.D, snapshot.G(fixed_z))
        p = getattr(objective, "p", None)
        trace.append({"step": snapshot.step, "train": real, "held_out": other,
                      "fake": fake, "gap": real - other,
                      "p": 0.0 if p is None else float(p)})

    result = train(G, D, train_x, config, hook=hook, objective=objective)
    return {"G": result.G, "D": result.D, "history": result.history, "trace": trace}


def late_gap(trace: list[dict[str, float]]) -> float:
    """The mean validation gap over the last half of the snapshots (one snapshot of
    an oscillating GAN is one draw; the mean is steadier)."""
    late = trace[len(trace) // 2:]
    return statistics.fmean(t["gap"] for t in late)


def limited_quantities(runs: dict[str, dict[str, Any]]) -> dict[str, float]:
    out = {f"gap_{mode}": late_gap(run["trace"]) for mode, run in runs.items()}
    if "plain" in runs and "diffaugment" in runs:
        out["cure_diffaugment"] = out["gap_plain"] - out["gap_diffaugment"]
    if "ada" in runs:
        out["p_final"] = runs["ada"]["trace"][-1]["p"]
        out["p_max"] = max(t["p"] for t in runs["ada"]["trace"])
    return out


def _run_limited(seed: int, variant: str) -> dict[str, float]:
    cured = "identity_pipeline" if variant == "identity_pipeline" else "diffaugment"
    runs = {"plain": train_limited("plain", seed),
            "diffaugment": train_limited(cured, seed)}
    return limited_quantities(runs)


LD_NOTE = ("sweep: ../lab_checks, check ch11.limited_data; worst over 30 smoke runs (10 "
           "seeds x 3 CPU kernels) {}, over 12 cpu runs (4 x 3) {}; {}")
LIMITED_DATA = register(Check(
    lab="ch11", name="limited_data", run=_run_limited,
    description="StyleGAN2 (tiny) on 60 LFW faces, 40 held out: D's validation gap "
                "plain and with DiffAugment",
    variants=("identity_pipeline",),
    bounds=(
        Bound("gap_plain", ">", smoke=0.1, cpu=0.1, note=LD_NOTE.format(
            0.20, 0.22, "floor 0.1 (the plain D does overfit); broken: identity "
            "pipeline >= 0.21 (it is the plain run, bit for bit)")),
        Bound("cure_diffaugment", ">", smoke=0.05, cpu=0.1, note=LD_NOTE.format(
            0.11, 0.21, "floors 0.05 and 0.1 (about half); broken: identity pipeline "
            "0.0 exactly")),
    ),
    quantities=("gap_diffaugment",),
))
