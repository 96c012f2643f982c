"""The committed sweep: one CSV per lab, read back and summarized.

Each row is one number of one run::

    lab, check, variant, profile, capability, seed, quantity, value, seconds, torch

``capability`` is what torch reported (``torch.backends.cpu.get_cpu_capability()``)
in the run: ``DEFAULT``, ``AVX2`` or ``AVX512``. The files ship inside ``gan_lib`` so a
lab finds them in Colab as well as in a clone.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from gan_lib.benchmarks.lab_checks.registry import OK, Bound, Check, get, names

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"
FIELDS = ("lab", "check", "variant", "profile", "capability", "seed", "quantity",
          "value", "seconds", "torch")
CAPABILITIES = ("DEFAULT", "AVX2", "AVX512")  # what ATEN_CPU_CAPABILITY can select


def csv_path(lab: str) -> Path:
    """Where the sweep of ``lab`` (``"ch01"``) is committed."""
    return RESULTS_DIR / f"lab_checks_{lab}.csv"


def read(lab: str, path: str | Path | None = None) -> list[dict[str, Any]]:
    """The rows of a lab's sweep (values as floats, seeds as ints); [] if none."""
    path = Path(path) if path is not None else csv_path(lab)
    if not path.exists():
        return []
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["seed"] = int(row["seed"])
        row["value"] = float(row["value"])
        row["seconds"] = float(row["seconds"])
    return rows


def write(rows: Iterable[dict[str, Any]], path: str | Path) -> None:
    """Write rows sorted by check, variant, profile, capability, seed, quantity."""
    order = ("check", "variant", "profile", "capability", "seed", "quantity")
    rows = sorted(rows, key=lambda r: tuple(r[k] for k in order))
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt(row[k]) for k in FIELDS})
    tmp.replace(path)


def _fmt(value: Any) -> Any:
    return repr(float(value)) if isinstance(value, float) else value


def merge(old: Sequence[dict], new: Sequence[dict]) -> list[dict]:
    """``old`` with every run that ``new`` re-measured replaced."""
    key = ("check", "variant", "profile", "capability", "seed")
    redone = {tuple(r[k] for k in key) for r in new}
    return [r for r in old if tuple(r[k] for k in key) not in redone] + list(new)


def values(rows: Sequence[dict], check: str, quantity: str, *, variant: str = OK,
           profile: str | None = None) -> list[float]:
    """The values of one quantity over the sweep's runs."""
    return [r["value"] for r in rows if r["check"] == check and r["quantity"] == quantity
            and r["variant"] == variant and (profile is None or r["profile"] == profile)]


def runs(rows: Sequence[dict], check: str, variant: str, profile: str
         ) -> dict[tuple[str, int], dict[str, float]]:
    """``{(capability, seed): {quantity: value}}`` of one check, variant, profile."""
    out: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for r in rows:
        if r["check"] == check and r["variant"] == variant and r["profile"] == profile:
            out[r["capability"], r["seed"]][r["quantity"]] = r["value"]
    return dict(out)


def summary(check: Check, rows: Sequence[dict] | None = None) -> list[dict[str, Any]]:
    """Per bound and profile: the healthy runs' range against the threshold, and the
    broken variants' best value (the one nearest to passing)."""
    rows = read(check.lab) if rows is None else rows
    out = []
    for b in check.bounds:
        for profile in ("smoke", "cpu", "gpu"):
            ok = values(rows, check.key, b.quantity, profile=profile)
            if not ok:
                continue
            worst = min(ok) if b.op in (">=", ">") else max(ok)
            broken = {}
            for variant in check.variants:
                vals = values(rows, check.key, b.quantity, variant=variant,
                              profile=profile)
                if vals:
                    broken[variant] = max(vals) if b.op in (">=", ">") else min(vals)
            out.append({
                "check": check.key, "quantity": b.quantity, "profile": profile,
                "bound": f"{b.op} {b.value(profile):.4g}", "runs": len(ok),
                "worst": worst, "median": statistics.median(ok), "best":
                max(ok) if b.op in (">=", ">") else min(ok),
                "passes": all(b.holds(v, profile) for v in ok), "broken": broken,
            })
    return out


def markdown(keys: Sequence[str] | None = None) -> str:
    """A table of every check's bounds against its sweep, for the book."""
    keys = names() if keys is None else keys
    lines = ["| check | quantity | profile | bound | runs | worst | median | best "
             "| broken variants (best) |", "|---|---|---|---|---|---|---|---|---|"]
    for key in keys:
        check = get(key)
        for profile in ("smoke", "cpu"):
            if check.pending(profile):
                lines.append(f"| `{key}` | (all) | {profile} | the lab's floors "
                             "| sweep still to run | | | | |")
        for s in summary(check):
            if check.pending(s["profile"]):
                continue
            broken = ", ".join(f"{v}: {_num(x)}" for v, x in s["broken"].items()) or "-"
            lines.append(
                f"| `{key}` | {s['quantity']} | {s['profile']} | {s['bound']} "
                f"| {s['runs']} | {_num(s['worst'])} | {_num(s['median'])} "
                f"| {_num(s['best'])} | {broken} |"
            )
    return "\n".join(lines)


def _num(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.4g}"


__all__ = ["CAPABILITIES", "FIELDS", "RESULTS_DIR", "Bound", "csv_path", "markdown",
           "merge", "read", "runs", "summary", "values", "write"]
