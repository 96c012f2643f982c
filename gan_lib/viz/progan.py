r"""Chapter 9's figure: Adam's first step per layer with and without equalized
learning rate.

:func:`first_adam_step` measures what the first Adam step does to every equalized
layer of a network: the relative change :math:`\lVert \Delta w \rVert / \lVert w
\rVert` of the *effective* weight :math:`w = c\,\hat w`. :func:`without_equalized_lr`
turns a network's equalized layers into plain ones that compute the same function
(the scale :math:`c` moved from the forward pass into the stored weight), so the two
can be compared from identical starting points.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from torch import Tensor, nn

from gan_lib.layers.equalized import EqualizedWeights


def equalized_layers(net: nn.Module) -> dict[str, EqualizedWeights]:
    """The network's equalized layers by name, in order."""
    layers = {name: m for name, m in net.named_modules() if isinstance(m, EqualizedWeights)}
    if not layers:
        raise ValueError("the network has no equalized layers (EqualizedLinear / "
                         "EqualizedConv2d); got none among its modules")
    return layers


def without_equalized_lr(net: nn.Module) -> nn.Module:
    r"""A copy of ``net`` in which every equalized layer stores its effective weight
    :math:`w = c\,\hat w` and computes with scale 1: the same function (to rounding),
    He's initialization, but Adam now steps on :math:`w` itself."""
    plain = copy.deepcopy(net)
    with torch.no_grad():
        for layer in equalized_layers(plain).values():
            if layer.lr_multiplier != 1.0:
                raise ValueError(f"without_equalized_lr handles lr_multiplier 1; got "
                                 f"{layer.lr_multiplier}")
            layer.weight.mul_(layer.weight_scale)
            layer.weight_scale = 1.0
    return plain


def first_adam_step(net: nn.Module, loss_fn: Callable[[nn.Module], Tensor],
                    lr: float = 1e-3, betas: tuple[float, float] = (0.0, 0.99),
                    eps: float = 1e-8) -> dict[str, dict[str, float]]:
    r"""One Adam step on ``loss_fn(net)``; per equalized layer, its scale :math:`c`
    and the relative change of the effective weight,
    ``{"scale": c, "relative_change": ||Δw|| / ||w||, "raw_step_rms": RMS of Δŵ}``.
    ``net`` is changed in place (take a copy first)."""
    layers = equalized_layers(net)
    before = {n: m.effective_weight().detach().clone() for n, m in layers.items()}
    raw_before = {n: m.weight.detach().clone() for n, m in layers.items()}
    optimizer = torch.optim.Adam(net.parameters(), lr=lr, betas=betas, eps=eps)
    optimizer.zero_grad()
    loss_fn(net).backward()
    optimizer.step()
    out = {}
    with torch.no_grad():
        for name, layer in layers.items():
            change = layer.effective_weight() - before[name]
            raw_step = layer.weight - raw_before[name]
            out[name] = {
                "scale": layer.weight_scale,
                "relative_change": float(change.norm() / before[name].norm()),
                "raw_step_rms": float(raw_step.square().mean().sqrt()),
            }
    return out


def plot_first_step(equalized: dict[str, dict[str, float]],
                    plain: dict[str, dict[str, float]], lr: float,
                    ax: Axes | None = None) -> Axes:
    """Bars of the relative change per layer, with and without equalized lr; layers
    that did not move (not run at the network's current stage) are left out."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
    names = [n for n in equalized if equalized[n]["relative_change"] > 0]
    positions = torch.arange(len(names)).float()
    ax.bar(positions - 0.2, [equalized[n]["relative_change"] for n in names], 0.4,
           label="equalized lr: $w = c\\,\\hat w$")
    ax.bar(positions + 0.2, [plain[n]["relative_change"] for n in names], 0.4,
           label="plain: $w$ stored, He init")
    ax.axhline(lr, color="k", lw=1, ls="--", label=r"$\eta$")
    ax.set_yscale("log")
    ax.set_ylim(bottom=lr / 4)  # so that the bars near eta are visible
    ax.set_xticks(positions.tolist(), names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel(r"$\|\Delta w\| / \|w\|$ after one Adam step")
    ax.legend(fontsize="small")
    return ax

