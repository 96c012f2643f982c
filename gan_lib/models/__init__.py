"""Every model of the book, one file per family, reachable by name.

``models.get(name, **kwargs)`` builds one; ``models.names()`` lists them.
"""

from gan_lib.models import (  # noqa: F401  (each file registers its models)
    biggan,
    conditional,
    cyclegan,
    dcgan,
    pix2pix,
    progan,
    srgan,
    stylegan,
    toy,
)
from gan_lib.models.registry import get, names, register

__all__ = ["get", "names", "register"]
