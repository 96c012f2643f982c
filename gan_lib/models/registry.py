"""The model registry: build any model of the book by name.

>>> from gan_lib import models
>>> G = models.get("mlp_generator", z_dim=2, out_dim=2)  # doctest: +SKIP
>>> models.names()  # doctest: +SKIP

A family file registers its builders with :func:`register`; duplicate names are refused.
Every model built here remembers how it was built (``model.gan_lib_spec``, a dict of
its registry name and keyword arguments), so a checkpoint can rebuild it from JSON
without pickling code.
"""

from __future__ import annotations

import json
from typing import Any, Callable, TypeVar

from torch import nn

from gan_lib.errors import UnknownNameError

Builder = TypeVar("Builder", bound=Callable[..., nn.Module])

_BUILDERS: dict[str, Callable[..., nn.Module]] = {}


def register(name: str) -> Callable[[Builder], Builder]:
    """Class or function decorator adding a model builder under ``name``."""

    def decorate(builder: Builder) -> Builder:
        if name in _BUILDERS:
            raise ValueError(f"a model called {name!r} is already registered")
        _BUILDERS[name] = builder
        return builder

    return decorate


def names() -> list[str]:
    """Every registered model name, sorted."""
    return sorted(_BUILDERS)


def get(name: str, **kwargs: Any) -> nn.Module:
    """Build the model registered as ``name`` with keyword arguments ``kwargs``.

    The arguments must be JSON-serializable (numbers, strings, lists, bools, None) so
    that checkpoints can record them.
    """
    if name not in _BUILDERS:
        raise UnknownNameError("model", name, names())
    try:
        json.dumps(kwargs)
    except TypeError as err:
        raise TypeError(
            f"models.get({name!r}, ...) takes JSON-serializable keyword arguments "
            f"(numbers, strings, lists, bools, None); {err}"
        ) from None
    model = _BUILDERS[name](**kwargs)
    model.gan_lib_spec = {"name": name, "kwargs": dict(kwargs)}
    return model
