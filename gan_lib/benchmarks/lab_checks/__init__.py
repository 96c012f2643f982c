"""The sweep behind every lab assert on a trained network (see :mod:`.registry`).

``python -m gan_lib.benchmarks.lab_checks`` regenerates the committed CSVs
(``gan_lib/benchmarks/results/lab_checks_<lab>.csv``); the book's page *How the labs'
checks were calibrated* shows them; ``tests/test_lab_checks.py`` holds every bound to
them.
"""

from gan_lib.benchmarks.lab_checks.registry import (
    OK,
    Bound,
    Check,
    get,
    labs,
    names,
    register,
)
from gan_lib.benchmarks.lab_checks import results  # noqa: E402  (after the registry)

__all__ = ["OK", "Bound", "Check", "get", "labs", "names", "register", "results"]
