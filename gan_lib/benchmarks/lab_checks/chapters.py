"""Imports every chapter's module of checks (``chNN.py`` beside this file), each of
which registers its checks on import."""

import importlib
import pkgutil
from pathlib import Path

for _module in pkgutil.iter_modules([str(Path(__file__).parent)]):
    if _module.name.startswith("ch") and _module.name[2:].isdigit():
        importlib.import_module(f"gan_lib.benchmarks.lab_checks.{_module.name}")
