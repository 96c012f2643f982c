"""What a lab checks on a trained network, and the floor the sweep gave it.

A GAN's trajectory depends on float rounding: another CPU's vector kernels
(``ATEN_CPU_CAPABILITY``), another thread count or a GPU change it. A lab's assert on a
trained network therefore cannot rest on what one run reached on one machine. Each such
assert is a :class:`Check`: a function that runs the lab's training (the same code the
lab calls) for a seed and returns the numbers the lab asserts on, with one
:class:`Bound` per number. :mod:`gan_lib.benchmarks.lab_checks.sweep` runs every check
over seeds x CPU capabilities x profiles, and over *broken* variants (a frozen
generator, a flipped sign, ...), and commits the results as CSV; the tests then hold
every bound to that file: every healthy run passes it, every broken run fails a bound.

The lab reads its floors from here, so the number in the assert is the number the
sweep was held to::

    check = lab_checks.get("ch01.ring")
    bound = check.bound("modes")
    assert bound.holds(value), bound.explain(value)
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from gan_lib import profiles
from gan_lib.errors import UnknownNameError

Op = Literal[">=", "<=", ">", "<"]
OK = "ok"  # the healthy variant: the lab's own set-up
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Bound:
    """``quantity op value``, with the value set per profile.

    ``gpu=None`` means "the ``cpu`` value": no GPU sweep stands behind a tighter one.
    ``note`` says where the floor comes from (the sweep's worst case and the margin).
    """

    quantity: str
    op: Op
    smoke: float
    cpu: float
    gpu: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise UnknownNameError("comparison", self.op, _OPS)

    def value(self, profile: profiles.Profile | None = None) -> float:
        """The threshold in ``profile`` (default: the active profile)."""
        profile = profile or profiles.current()
        if profile not in profiles.PROFILES:
            raise UnknownNameError("profile", profile, profiles.PROFILES)
        if profile == "gpu":
            return self.cpu if self.gpu is None else self.gpu
        return getattr(self, profile)

    def holds(self, x: float, profile: profiles.Profile | None = None) -> bool:
        """Whether ``x`` passes in ``profile``; NaN never passes."""
        return bool(_OPS[self.op](float(x), self.value(profile)))

    def explain(self, x: float, profile: profiles.Profile | None = None) -> str:
        """One line for an assert's message."""
        profile = profile or profiles.current()
        verdict = "holds" if self.holds(x, profile) else "FAILS"
        text = (
            f"{self.quantity} = {float(x):.4g}: {verdict} {self.op} "
            f"{self.value(profile):.4g} ({profile})"
        )
        return f"{text}; {self.note}" if self.note else text


RunFn = Callable[[int, str], Mapping[str, float]]


@dataclass(frozen=True)
class Check:
    """One lab's assert(s) on one trained set-up.

    ``run(seed, variant)`` trains with the active profile's budget and returns the
    quantities the bounds name. ``variants`` are broken set-ups that every sound check
    must reject (each broken run fails at least one bound).
    """

    lab: str  # "ch01"
    name: str  # "ring"
    run: RunFn
    bounds: tuple[Bound, ...]
    variants: tuple[str, ...] = ()
    description: str = ""
    lab_seed: int = 0  # the seed the lab itself uses
    quantities: tuple[str, ...] = field(default=())  # extra numbers recorded
    # the profiles whose floors the committed sweep backs; a profile missing here is
    # a sweep still to run (its floors are the lab's earlier ones, unverified)
    swept: tuple[str, ...] = ("smoke", "cpu")

    @property
    def key(self) -> str:
        return f"{self.lab}.{self.name}"

    def pending(self, profile: profiles.Profile | None = None) -> bool:
        """Whether the floors of ``profile`` (default: active) still lack a sweep."""
        profile = profile or profiles.current()
        return profile != "gpu" and profile not in self.swept

    def bound(self, quantity: str) -> Bound:
        for b in self.bounds:
            if b.quantity == quantity:
                return b
        raise UnknownNameError(f"bound of {self.key}", quantity,
                               [b.quantity for b in self.bounds])

    def failures(
        self, values: Mapping[str, float], profile: profiles.Profile | None = None
    ) -> list[str]:
        """The explanations of the bounds that ``values`` fail (empty: all hold)."""
        missing = [b.quantity for b in self.bounds if b.quantity not in values]
        if missing:
            raise KeyError(f"{self.key}: values lack {missing}; got {sorted(values)}")
        return [b.explain(values[b.quantity], profile) for b in self.bounds
                if not b.holds(values[b.quantity], profile)]


_REGISTRY: dict[str, Check] = {}


def register(check: Check) -> Check:
    """Add ``check`` under ``lab.name``; a duplicate key is refused."""
    if check.key in _REGISTRY:
        raise ValueError(f"lab check {check.key!r} is already registered")
    if OK in check.variants:
        raise ValueError(f"{check.key}: {OK!r} is the healthy run, not a variant")
    _REGISTRY[check.key] = check
    return check


def get(key: str) -> Check:
    """The check ``"chNN.name"``, e.g. ``get("ch01.ring")``."""
    _load_all()
    if key not in _REGISTRY:
        raise UnknownNameError("lab check", key, _REGISTRY)
    return _REGISTRY[key]


def names(lab: str | None = None) -> list[str]:
    """Every registered check's key, or those of one lab (``"ch01"``)."""
    _load_all()
    return sorted(k for k, c in _REGISTRY.items() if lab is None or c.lab == lab)


def labs() -> list[str]:
    _load_all()
    return sorted({c.lab for c in _REGISTRY.values()})


def _load_all() -> None:
    """Import every chapter's module (each registers its checks on import)."""
    from gan_lib.benchmarks.lab_checks import chapters  # noqa: F401
