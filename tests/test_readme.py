"""The README's library example runs and prints what the README promises, and the
promise is the worst case of its committed sweep (``python -m
gan_lib.benchmarks.readme_ring``)."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

import pytest

from gan_lib.benchmarks import readme_ring

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Using `gan_lib` on its own"
# the sentence under the example: "Every one of our 30 runs ... printed at least
# `modes 8/8, high quality 79%`"
STATED = re.compile(r"[Ee]very one of our (\d+) runs.*?printed at least\s+`modes (\d+)/8, "
                    r"high quality (\d+)%`", re.S)
PRINTED = re.compile(r"modes (\d+)/(\d+), high quality ([\d.]+)%")


def section() -> str:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:end]


def python_blocks() -> list[str]:
    """The ```python blocks of the section, in order."""
    return re.findall(r"```python\n(.*?)```", section(), re.S)


def stated_floor() -> dict[str, int]:
    """What the README says every run printed: runs, modes, high-quality %."""
    match = STATED.search(section())
    assert match, "README: the sentence with the example's floor is missing"
    runs, modes, percent = map(int, match.groups())
    return {"runs": runs, "modes": modes, "percent": percent}


def run_example(namespace: dict[str, Any], capsys: pytest.CaptureFixture) -> str:
    exec(compile(python_blocks()[0], str(README), "exec"), namespace)
    return capsys.readouterr().out


def test_readme_floor_is_the_sweeps_worst_case() -> None:
    worst = readme_ring.worst_case(readme_ring.read(), readme_ring.README_SETTING)
    assert stated_floor() == {"runs": worst["runs"], "modes": worst["modes_min"],
                              "percent": math.floor(100 * worst["high_quality_min"])}


def test_readme_example_is_the_swept_setting(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture) -> None:
    """The example builds the models and config of ``README_SETTING`` (seed 0),
    evaluates the generator that setting evaluates, prints at least the stated floor,
    writes ``runs/ring.pt`` and, run again, resumes from it: no training, the same
    line."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    out = run_example(namespace, capsys)

    settings = dict(readme_ring.SETTINGS[readme_ring.README_SETTING])
    evaluate = settings.pop("evaluate", "G_ema")
    G, D, config = readme_ring.build(0, "runs/ring.pt", **settings)
    assert str(namespace["G"]) == str(G) and str(namespace["D"]) == str(D)
    assert dataclasses.replace(namespace["config"], progress=False) == config
    assert f"result.{evaluate}(" in python_blocks()[0]

    floor = stated_floor()
    printed = PRINTED.search(out)
    assert printed, f"no mode-coverage line in the example's output:\n{out}"
    modes, n_modes, percent = printed.groups()
    assert int(n_modes) == 8
    assert int(modes) >= floor["modes"], out
    assert float(percent) >= floor["percent"], out
    assert (tmp_path / "runs" / "ring.pt").exists()

    again = run_example({}, capsys)
    assert PRINTED.search(again).group(0) == printed.group(0)
