"""Checks of the book itself: the table of contents, the lab pairs, the build.

The labs' own asserts run under nbval (``pytest --nbval-lax book``); this file checks
what nbval cannot see: that each lab.md and its Colab copy lab.ipynb say the same thing,
that the copy carries no outputs, that every theorem is checked by its lab, and that
the whole book builds with warnings as errors.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
# a theorem, lemma, proposition or corollary (backtick or colon fence), its options,
# its :label:
RESULT_LABEL = (
    r"(?:```|:::)\{prf:(?:theorem|lemma|proposition|corollary)\}[^\n]*\n"
    r"(?:[ \t]*:\w+:[^\n]*\n)*?[ \t]*:label:\s*([\w-]+)"
)


def toc_files() -> list[str]:
    """Every ``file:`` entry of _toc.yml (and the root), without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return files


def labs() -> list[Path]:
    """Every MyST notebook under book/ that is paired with jupytext."""
    found = []
    for md in sorted(BOOK.rglob("*.md")):
        front = md.read_text().split("---")
        if md.read_text().startswith("---") and "jupytext" in front[1]:
            found.append(md)
    return found


def test_toc_pages_exist_and_every_page_is_listed():
    listed = toc_files()
    for name in listed:
        assert (ROOT / f"{name}.md").exists(), (
            f"_toc.yml lists {name}, which is missing"
        )
    pages = {str(p.relative_to(ROOT).with_suffix("")) for p in BOOK.rglob("*.md")}
    unlisted = pages - set(listed)
    assert not unlisted, f"pages missing from _toc.yml: {sorted(unlisted)}"


def test_there_are_labs():
    assert labs(), "no paired lab notebooks found under book/"


@pytest.mark.parametrize("md", labs(), ids=lambda p: str(p.relative_to(BOOK)))
def test_lab_is_paired_in_sync_and_stripped(md: Path):
    nb_path = md.with_suffix(".ipynb")
    assert nb_path.exists(), f"{md} has no paired {nb_path.name}; run jupytext --sync"
    raw = json.loads(nb_path.read_text())
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{nb_path} carries outputs: strip them"
            assert cell.get("execution_count") is None, f"{nb_path}: execution counts"
    from_md = jupytext.read(md)
    from_nb = jupytext.read(nb_path)
    md_cells = [(c.cell_type, c.source.strip()) for c in from_md.cells]
    nb_cells = [(c.cell_type, c.source.strip()) for c in from_nb.cells]
    assert md_cells == nb_cells, f"{md.name} and {nb_path.name} differ: jupytext --sync"


@pytest.mark.parametrize("md", labs(), ids=lambda p: str(p.relative_to(BOOK)))
def test_lab_has_asserts_and_a_colab_cell(md: Path):
    code = [c.source for c in jupytext.read(md).cells if c.cell_type == "code"]
    assert any(re.search(r"^\s*assert\b", src, re.M) for src in code), (
        f"{md} has no assert: nbval would run it but nothing in it could fail"
    )
    assert "google.colab" in code[0], f"{md}: the first cell must be the Colab set-up"


def checked_labels(md: Path) -> set[str]:
    """Labels that a markdown cell of the lab names with {prf:ref} and that a code cell
    with an ``assert`` follows in the same section (before the next heading): the
    section that names a result is the one that checks it."""
    cells = jupytext.read(md).cells
    checked: set[str] = set()
    for i, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        named = re.findall(r"\{prf:ref\}`(?:[^`<]*<)?([\w-]+)>?`", cell.source)
        for following in cells[i + 1:]:
            if following.cell_type == "markdown" and re.match(r"\s*#", following.source):
                break  # the next section
            if following.cell_type == "code" and re.search(r"^\s*assert\b",
                                                           following.source, re.M):
                checked.update(named)
                break
    return checked


@pytest.mark.parametrize("md", labs(), ids=lambda p: str(p.relative_to(BOOK)))
def test_every_result_is_checked_by_an_assert_of_the_lab(md: Path):
    theory = md.with_name("theory.md")
    if not theory.exists():
        pytest.skip(f"{md.parent.name} has no theory page")
    labels = re.findall(RESULT_LABEL, theory.read_text())
    assert labels, f"{theory} states no labelled theorem"
    unchecked = sorted(set(labels) - checked_labels(md))
    assert not unchecked, (
        f"{md}: no asserting cell follows a {{prf:ref}} of {unchecked} in its section"
    )


@pytest.mark.skipif(
    shutil.which("jupyter-book") is None
    and not (Path(sys.executable).parent / "jupyter-book").exists(),
    reason="no jupyter-book",
)
def test_book_builds_with_warnings_as_errors(tmp_path: Path):
    exe = shutil.which("jupyter-book") or str(
        Path(sys.executable).parent / "jupyter-book"
    )
    # the labs run a third time here, under another kernel set than the two nbval passes
    env = dict(os.environ, GAN_BOOK_PROFILE=os.environ.get("GAN_BOOK_PROFILE", "smoke"),
               ATEN_CPU_CAPABILITY="avx2")
    cmd = [
        exe,
        "build",
        str(ROOT),
        "--path-output",
        str(tmp_path),
        "-W",
        "-n",
        "--keep-going",
    ]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1500)
    log = run.stdout[-6000:] + run.stderr[-6000:]
    assert run.returncode == 0, f"the book build failed:\n{log}"
    html = tmp_path / "_build" / "html"
    for name in toc_files():
        assert (html / f"{name}.html").exists(), f"{name}.html was not rendered"
    # formulas typeset with no network: MathJax ships with the site, no CDN is named
    assert (html / "_static" / "mathjax" / "tex-chtml.js").exists()
    page = (html / "book" / "01_minimax" / "theory.html").read_text()
    assert "_static/mathjax/tex-chtml.js" in page and "cdn.jsdelivr" not in page
