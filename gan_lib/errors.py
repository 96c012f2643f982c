"""The errors shared across gan_lib: a name that no registry knows, and the checks of
an integer argument (a count, a size), each with the message every caller shares."""

from __future__ import annotations

from collections.abc import Iterable


class UnknownNameError(KeyError, ValueError):
    """Raised by every lookup by name (losses, models, divergences, profiles).

    It is both a ``KeyError`` (a failed lookup) and a ``ValueError`` (a bad
    argument), so either ``except`` catches it; its message lists the known names.
    """

    def __init__(self, kind: str, name: object, known: Iterable[str]) -> None:
        self.kind, self.name, self.known = kind, name, sorted(known)
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(self.known)}")

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0])


def _is_int_at_least(value: object, minimum: int) -> bool:
    """``value`` is an ``int`` (not a ``bool``) and ``value >= minimum``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def check_positive_int(name: str, value: object) -> None:
    """Raise ``ValueError("<name> must be a positive int; got <value>")`` unless
    ``value`` is an ``int`` >= 1 (``bool`` is refused)."""
    if not _is_int_at_least(value, 1):
        raise ValueError(f"{name} must be a positive int; got {value!r}")


def check_int_at_least(name: str, value: object, minimum: int) -> None:
    """Raise ``ValueError("<name> must be an int >= <minimum>; got <value>")`` unless
    ``value`` is an ``int`` >= ``minimum`` (``bool`` is refused)."""
    if not _is_int_at_least(value, minimum):
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
