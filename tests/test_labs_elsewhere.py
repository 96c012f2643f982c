"""Every lab as a reader elsewhere runs it: from an empty folder, against an installed
(not editable) gan_lib, on other CPU kernels.

This imitates Colab, whose first cell installs ``gan_lib`` from the repository with
pip: the lab then sees only what the package ships (a file the lab reads from the
book's folder would be missing) and a fresh ``GAN_LIB_DATA``. It also runs every lab a
second time under ``ATEN_CPU_CAPABILITY=default`` (no vector kernels), so the suite
exercises two kernel sets on any x86 machine (the nbval pass of ``book/`` runs the
machine's own, the ``-W`` book build in ``test_book.py`` runs ``avx2``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LABS = sorted(ROOT.glob("book/*/lab.ipynb"))
CAPABILITY = "default"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """gan_lib built and installed (no dependencies) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    source = build / "gan_book"  # a copy: the build must not litter the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "_build", "*.egg-info", "__pycache__", ".pytest_cache"))
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
           "--no-build-isolation", "--no-compile", "--target", str(target),
           str(source)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"pip install of gan_lib failed:\n{run.stderr[-3000:]}"
    return target


def lab_env(site: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return dict(env, PYTHONPATH=str(site), ATEN_CPU_CAPABILITY=CAPABILITY,
                GAN_BOOK_PROFILE="smoke", GAN_LIB_DATA=str(data))


def test_the_installed_package_is_the_one_imported(installed: Path, tmp_path: Path):
    code = ("import gan_lib, torch; from gan_lib.benchmarks.lab_checks import results;"
            "print(gan_lib.__file__); print(results.RESULTS_DIR);"
            "print(torch.backends.cpu.get_cpu_capability())")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, text=True,
                         capture_output=True, env=lab_env(installed, tmp_path / "d"))
    assert run.returncode == 0, run.stderr
    module, results_dir, capability = run.stdout.split()
    assert Path(module).is_relative_to(installed), module
    assert any(Path(results_dir).glob("*.csv")), "no committed CSV in the package"
    assert capability == "DEFAULT", capability


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.parent.name)
def test_lab_runs_alone_against_the_installed_package(
    lab: Path, installed: Path, tmp_path_factory: pytest.TempPathFactory
):
    folder = tmp_path_factory.mktemp(lab.parent.name)  # empty but for the notebook
    shutil.copy(lab, folder / "lab.ipynb")
    data = tmp_path_factory.getbasetemp() / "gan_lib_data"  # shared: one digits CNN
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--nbval-lax", "lab.ipynb"]
    run = subprocess.run(cmd, cwd=folder, env=lab_env(installed, data),
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, (
        f"{lab.parent.name}/lab.ipynb failed from an empty folder with "
        f"ATEN_CPU_CAPABILITY={CAPABILITY}:\n{run.stdout[-5000:]}")
