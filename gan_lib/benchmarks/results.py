r"""Results of a benchmark as rows: the CSV file, mean and spread over seeds, and the
markdown table the book shows.

A *row* is a dict with the keys of :data:`FIELDS`, one per run (data set, remedy,
seed); :func:`summarize` groups rows by (data set, remedy) and :func:`markdown_table`
writes one table per data set with "mean ± standard deviation" cells.
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
    "kl",  # toys: reverse KL of high-quality samples; digits: KL(labels || uniform)
    "seconds",
)


def write_csv(rows: Sequence[dict[str, Any]], path: str | Path) -> None:
    """One line per run, the columns of :data:`FIELDS`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row[k]) for k in FIELDS})


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
                row[key] = int(raw[key]) if key in integer else float(raw[key])
            rows.append(row)
    return rows


def summarize(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and standard deviation (ddof = 1; NaN for one seed) per (data set, remedy),
    in the order of first appearance."""
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
        for key in ("modes", "high_quality", "kl"):
            values = np.array([float(r[key]) for r in runs])
            entry[key] = float(values.mean())
            finite = len(values) > 1 and bool(np.isfinite(values).all())
            # no spread for one seed, or when a run's value is infinite (a reverse KL
            # with a dropped mode) or undefined (no high-quality fraction on digits)
            entry[key + "_std"] = float(values.std(ddof=1)) if finite else math.nan
        summary.append(entry)
    return summary


def _mean_std(mean: float, std: float, scale: float = 1.0, digits: int = 1) -> str:
    if math.isnan(mean):
        return "-"
    if math.isinf(mean):
        return "inf"
    if math.isnan(std):
        return f"{scale * mean:.{digits}f}"
    return f"{scale * mean:.{digits}f} ± {scale * std:.{digits}f}"


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """One markdown table per data set: remedy, modes, high-quality %, KL (mean ± std
    over seeds)."""
    blocks = []
    summary = summarize(rows)
    for dataset in dict.fromkeys(s["dataset"] for s in summary):
        entries = [s for s in summary if s["dataset"] == dataset]
        toy = dataset != "stacked_digits"
        kl_name = "reverse KL" if toy else "KL to uniform"
        head = f"| remedy | seeds | modes (of {entries[0]['n_modes']}) |"
        head += " high quality % |" if toy else ""
        head += f" {kl_name} |"
        lines = [f"**{dataset}** ({entries[-1]['steps']} steps)", "", head]
        lines.append(_rule(head))
        for s in entries:
            cells = [
                s["method"],
                str(s["seeds"]),
                _mean_std(s["modes"], s["modes_std"]),
            ]
            if toy:
                cells.append(_mean_std(s["high_quality"], s["high_quality_std"], 100))
            cells.append(_mean_std(s["kl"], s["kl_std"], digits=2))
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
                "Modes, high-quality fraction and KL as defined in Chapter 8's lab; mean "
                "± standard deviation over seeds. Discussed in {doc}`lab`."
            ),
            markdown_table(rows),
        ]
    )


def _rule(head: str) -> str:
    return "|" + "---|" * (head.count("|") - 1)
