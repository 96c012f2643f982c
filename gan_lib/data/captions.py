"""Captioned shapes for text-to-image (Chapter 16): every caption is true of its image
by construction, so a generator's output can be scored against its caption.

An image holds one shape; its caption names four attributes with a fixed template,
``"a <size> <colour> <shape> at the <vertical> <horizontal>"``, e.g. *"a small red
circle at the top left"*:

* ``shape``: circle, square, triangle (:data:`gan_lib.data.generated.SHAPE_NAMES`);
* ``colour``: one of :data:`COLOURS` (saturated, far apart in RGB);
* ``size``: small or large (half-extent in two disjoint ranges of the image side);
* ``position``: the quadrant of the shape's centre (top/bottom, left/right), with a
  margin so that no centre sits near a quadrant border.

Some (shape, colour) combinations can be held out of training (``exclude``) to test
compositional generalization: a model that has seen red squares and blue circles,
asked for a red circle. Captions are tokenized over the closed :data:`VOCABULARY`
(seven tokens per caption).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor

from gan_lib.data.generated import SHAPE_NAMES, shape_coverage
from gan_lib.errors import UnknownNameError, check_int_at_least

COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (1.0, 0.15, 0.15),
    "green": (0.15, 0.9, 0.15),
    "blue": (0.2, 0.3, 1.0),
    "yellow": (1.0, 0.9, 0.1),
    "magenta": (0.95, 0.15, 0.95),
    "cyan": (0.1, 0.9, 0.95),
}
SIZES = {"small": (0.1, 0.14), "large": (0.18, 0.22)}  # half-extent, fraction of side
VERTICAL, HORIZONTAL = ("top", "bottom"), ("left", "right")
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "size": tuple(SIZES),
    "colour": tuple(COLOURS),
    "shape": SHAPE_NAMES,
    "vertical": VERTICAL,
    "horizontal": HORIZONTAL,
}
TEMPLATE = ("a", "size", "colour", "shape", "at", "the", "vertical", "horizontal")
VOCABULARY: tuple[str, ...] = ("a", "at", "the") + tuple(
    word for values in ATTRIBUTES.values() for word in values
)
MARGIN = 0.06  # no centre within 0.06 of the image's midlines


def caption(labels: dict[str, Tensor], index: int) -> str:
    """The caption of example ``index`` from attribute labels (ints per attribute)."""
    words = []
    for slot in TEMPLATE:
        if slot in ATTRIBUTES:
            words.append(ATTRIBUTES[slot][int(labels[slot][index])])
        else:
            words.append(slot)
    return " ".join(words)


def tokenize(captions: Iterable[str]) -> Tensor:
    """Captions -> ``(N, 8)`` int64 indices into :data:`VOCABULARY`; a word outside
    it is refused with the vocabulary listed."""
    rows = []
    for text in captions:
        words = text.split()
        if len(words) != len(TEMPLATE):
            raise ValueError(
                f"a caption has {len(TEMPLATE)} words ({' '.join(TEMPLATE)}); got "
                f"{text!r}"
            )
        for word in words:
            if word not in VOCABULARY:
                raise UnknownNameError("word", word, VOCABULARY)
        rows.append([VOCABULARY.index(word) for word in words])
    return torch.tensor(rows, dtype=torch.int64).reshape(-1, len(TEMPLATE))


def tokens_from_labels(labels: dict[str, Tensor]) -> Tensor:
    """``(N, 8)`` tokens of the captions of ``labels`` (no strings in between)."""
    n = len(labels["shape"])
    columns = []
    for slot in TEMPLATE:
        if slot in ATTRIBUTES:
            offset = VOCABULARY.index(ATTRIBUTES[slot][0])
            columns.append(labels[slot].long() + offset)
        else:
            columns.append(torch.full((n,), VOCABULARY.index(slot), dtype=torch.int64))
    return torch.stack(columns, dim=1)


def _check_exclude(exclude: Iterable[tuple[str, str]]) -> set[tuple[int, int]]:
    pairs = set()
    for shape, colour in exclude:
        if shape not in SHAPE_NAMES:
            raise UnknownNameError("shape", shape, SHAPE_NAMES)
        if colour not in COLOURS:
            raise UnknownNameError("colour", colour, COLOURS)
        pairs.add((SHAPE_NAMES.index(shape), tuple(COLOURS).index(colour)))
    return pairs


def draw_labels(
    n: int,
    generator: torch.Generator,
    exclude: Iterable[tuple[str, str]] = (),
    only: Iterable[tuple[str, str]] | None = None,
) -> dict[str, Tensor]:
    """``n`` attribute labels, uniform over the allowed combinations: every
    (shape, colour) pair but those in ``exclude``, or only those in ``only``."""
    check_int_at_least("n", n, 1)
    all_pairs = {(s, c) for s in range(len(SHAPE_NAMES)) for c in range(len(COLOURS))}
    allowed = (_check_exclude(only) if only is not None else all_pairs)
    allowed = sorted(allowed - _check_exclude(exclude))
    if not allowed:
        raise ValueError("no (shape, colour) combination is left to draw")
    pair = torch.tensor(allowed)[torch.randint(len(allowed), (n,), generator=generator)]
    labels = {"shape": pair[:, 0], "colour": pair[:, 1]}
    for name in ("size", "vertical", "horizontal"):
        labels[name] = torch.randint(len(ATTRIBUTES[name]), (n,), generator=generator)
    return labels


def render(labels: dict[str, Tensor], resolution: int, generator: torch.Generator
           ) -> Tensor:
    """The images ``(N, 3, R, R)`` in [-1, 1] of ``labels``: size, centre within the
    quadrant and so on drawn uniformly inside what the caption allows."""
    check_int_at_least("resolution", resolution, 8)
    n = len(labels["shape"])
    low = torch.tensor([SIZES[s][0] for s in SIZES])[labels["size"]]
    high = torch.tensor([SIZES[s][1] for s in SIZES])[labels["size"]]
    size = low + (high - low) * torch.rand(n, generator=generator)

    def centre(side: Tensor) -> Tensor:  # 0: top/left half, 1: bottom/right half
        lo = torch.where(side == 0, size, torch.full_like(size, 0.5 + MARGIN))
        hi = torch.where(side == 0, torch.full_like(size, 0.5 - MARGIN), 1 - size)
        return lo + (hi - lo) * torch.rand(n, generator=generator)

    x, y = centre(labels["horizontal"]), centre(labels["vertical"])
    rgb = torch.tensor(list(COLOURS.values()))[labels["colour"]]  # (N, 3)
    coverage = shape_coverage(labels["shape"], size, x, y, resolution)  # (N, 1, R, R)
    return coverage * rgb[:, :, None, None] * 2 - 1


def captioned_shapes(
    n: int,
    resolution: int = 16,
    seed: int = 0,
    exclude: Iterable[tuple[str, str]] = (),
    only: Iterable[tuple[str, str]] | None = None,
) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    """``n`` images with their caption tokens and attribute labels.

    Returns ``images (n, 3, R, R)`` in [-1, 1], ``tokens (n, 8)`` int64 and
    ``labels`` (attribute -> ``(n,)`` int64 index into :data:`ATTRIBUTES`).
    """
    generator = torch.Generator().manual_seed(seed)
    labels = draw_labels(n, generator, exclude, only)
    return render(labels, resolution, generator), tokens_from_labels(labels), labels


def mismatched_labels(
    labels: dict[str, Tensor], generator: torch.Generator
) -> dict[str, Tensor]:
    """Labels for *wrong* captions (the matching-aware discriminator's negatives of
    Reed et al., 2016): each example gets one attribute, chosen uniformly, changed to
    a different value, and every other attribute redrawn at random, so the new caption
    differs from the true one in at least one attribute."""
    n = len(labels["shape"])
    names = list(ATTRIBUTES)
    changed = torch.randint(len(names), (n,), generator=generator)
    out = {}
    for k, name in enumerate(names):
        count = len(ATTRIBUTES[name])
        redrawn = torch.randint(count, (n,), generator=generator)
        shift = 1 + torch.randint(count - 1, (n,), generator=generator)
        forced = (labels[name] + shift) % count  # any value but the true one
        out[name] = torch.where(changed == k, forced, redrawn)
    return out
