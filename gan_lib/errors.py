"""The one error type shared across gan_lib: a name that no registry knows."""

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
