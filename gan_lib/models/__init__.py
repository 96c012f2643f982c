"""Every model of the book, one file per family, reachable by name.

``models.get(name, **kwargs)`` builds one; ``models.names()`` lists them.
"""

from gan_lib.models import toy  # noqa: F401  (registers the MLPs)
from gan_lib.models.registry import get, names, register

__all__ = ["get", "names", "register"]
