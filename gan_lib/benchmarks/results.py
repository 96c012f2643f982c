r"""Results of a benchmark as rows: the CSV file, mean and spread over seeds, and the
markdown table the book shows.

A *row* is a dict with the keys of :data:`FIELDS`, one per run (data set, remedy,
seed); :func:`summarize` groups rows by (data set, remedy) and :func:`markdown_table`
writes one table per data set with "mean [min, max]" cells: with two or three seeds a
standard deviation says little, the range shows every value's extent.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

FIELDS = (
    "dataset",
    "method",
    "seed",
    "steps",
    "batch_size",
    "n_eval",
    "modes",
    "n_modes",
    "high_quality",  # toys only: fraction of samples within 3 std of a mode
    "kl",  # reverse KL to uniform: of high-quality samples (toys), of labels (digits)
    "spread",  # median pairwise distance of the scored samples (NaN in older files)
    "seconds",
)
_SPREAD_SAMPLES = 1000  # pairs among the first 1,000 samples: 499,500 distances


def median_pairwise_distance(x: Any, n: int = _SPREAD_SAMPLES) -> float:
    """The median Euclidean distance over the pairs ``i < j`` of the first ``n``
    samples (flattened): about 0 for a collapsed generator, of the order of the data's
    own spread for a generator that covers them (sqrt(2) for the ring of 8: the median
    chord between two uniformly drawn modes of the unit circle)."""
    import torch

    x = torch.as_tensor(x)[:n].reshape(min(n, len(x)), -1).double()
    if len(x) < 2:
        return math.nan
    i, j = torch.triu_indices(len(x), len(x), offset=1)
    distances = torch.cdist(x, x)[i, j]
    return float(distances.median())


def write_csv(rows: Sequence[dict[str, Any]], path: str | Path) -> None:
    """One line per run, the columns of :data:`FIELDS` (NaN for a missing spread)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row.get(k, math.nan)) for k in FIELDS})


def _csv_value(value: Any) -> Any:
    return f"{value:.6g}" if isinstance(value, float) else value


def read_csv(path: str | Path) -> list[dict[str, Any]]:
    """The rows written by :func:`write_csv`, with numbers parsed."""
    integer = {"seed", "steps", "batch_size", "n_eval", "modes", "n_modes"}
    rows = []
    with open(path, newline="") as handle:
        for raw in csv.DictReader(handle):
            row: dict[str, Any] = dict(raw)
            for key in FIELDS[2:]:
                if raw.get(key) in (None, ""):  # a column an older file lacks
                    row[key] = math.nan
                else:
                    row[key] = int(raw[key]) if key in integer else float(raw[key])
            rows.append(row)
    return rows


def summarize(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean, standard deviation (ddof = 1; NaN for one seed), minimum and maximum per
    (data set, remedy), in the order of first appearance."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["method"]), []).append(row)
    summary = []
    for (dataset, method), runs in groups.items():
        entry: dict[str, Any] = {
            "dataset": dataset,
            "method": method,
            "seeds": len(runs),
            "n_modes": runs[0]["n_modes"],
            "steps": runs[0]["steps"],
        }
        for key in ("modes", "high_quality", "kl", "spread"):
            values = np.array([float(r.get(key, math.nan)) for r in runs])
            entry[key] = float(values.mean())
            entry[key + "_min"] = float(values.min())
            entry[key + "_max"] = float(values.max())
            finite = len(values) > 1 and bool(np.isfinite(values).all())
            # no spread for one seed, or when a run's value is infinite (a reverse KL
            # with a dropped mode) or undefined (no high-quality fraction on digits)
            entry[key + "_std"] = float(values.std(ddof=1)) if finite else math.nan
        summary.append(entry)
    return summary


def _mean_range(
    s: dict[str, Any], key: str, scale: float = 1.0, digits: int = 1,
    integer: bool = False,
) -> str:
    """"mean [min, max]" over seeds; the value alone for one seed or when every seed
    gave the same one; "-" if undefined. ``integer``: the extremes without decimals."""
    mean, low, high = s[key], s[key + "_min"], s[key + "_max"]
    if math.isnan(mean):
        return "-"

    def fmt(v: float, ints: bool = False) -> str:
        if math.isinf(v):
            return "inf"
        return f"{scale * v:.0f}" if ints else f"{scale * v:.{digits}f}"

    if s["seeds"] == 1 or low == high:
        return fmt(mean)
    return f"{fmt(mean)} [{fmt(low, integer)}, {fmt(high, integer)}]"


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """One markdown table per data set: remedy, modes, high-quality %, KL and the
    spread (median pairwise distance, when the rows have it), each as "mean [min, max]"
    over seeds."""
    blocks = []
    summary = summarize(rows)
    for dataset in dict.fromkeys(s["dataset"] for s in summary):
        entries = [s for s in summary if s["dataset"] == dataset]
        toy = dataset != "stacked_digits"
        spread = any(not math.isnan(s["spread"]) for s in entries)
        head = f"| remedy | seeds | modes (of {entries[0]['n_modes']}) |"
        head += " high quality % |" if toy else ""
        head += " reverse KL |"
        head += " spread |" if spread else ""
        lines = [f"**{dataset}** ({entries[-1]['steps']} steps)", "", head]
        lines.append(_rule(head))
        for s in entries:
            modes = _mean_range(s, "modes", integer=True)
            cells = [s["method"], str(s["seeds"]), modes]
            if toy:
                cells.append(_mean_range(s, "high_quality", 100))
            cells.append(_mean_range(s, "kl", digits=2))
            if spread:
                cells.append(_mean_range(s, "spread", digits=2))
            lines.append("| " + " | ".join(cells) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def results_page(rows: Sequence[dict[str, Any]], command: str) -> str:
    """The tables as a book page: a title, how they were made, then
    :func:`markdown_table`."""
    return "\n\n".join(
        [
            "# Mode-coverage benchmark: the committed results",
            "Written by the benchmark itself; do not edit by hand. Regenerate with",
            f"```bash\n{command}\n```",
            (
                "Modes, high-quality fraction, KL and spread (the median pairwise "
                "distance of the scored samples) as defined in Chapter 8's lab; each "
                "cell is the mean over seeds and, in brackets, the smallest and "
                "largest value (one number: every seed gave it). A file written "
                "before the spread column existed shows no spread. Discussed in "
                "{doc}`lab`."
            ),
            markdown_table(rows),
        ]
    )


def _rule(head: str) -> str:
    return "|" + "---|" * (head.count("|") - 1)
