"""What is measured: ``[[objectives]]`` (quantities to optimize), ``[[outcome_constraints]]``
(thresholds a quantity must meet) and ``[feasibility]`` (a pass/fail outcome)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from .base import StrictModel, check_name, fail_at

# Unit labels read off an objective's name suffix ("conductivity_mS_cm" -> "mS/cm").
UNIT_SUFFIXES = {
    "_mS_cm": "mS/cm",
    "_S_cm": "S/cm",
    "_uS_cm": "µS/cm",
    "_eV": "eV",
    "_kJ_mol": "kJ/mol",
    "_mV": "mV",
    "_V": "V",
    "_mAh_g": "mAh/g",
    "_pct": "%",
    "_ohm": "Ω",
}

# Built-in plausible ranges [lo, hi] of a quantity in its unit, when its table declares none:
# first by the start of its name (the quantities the analyses derive), then by its unit suffix.
PLAUSIBLE_BY_PREFIX: dict[str, tuple[float, float]] = {
    "transference_number": (-1.0, 2.0),  # Bruce-Vincent t+ of poor data strays outside [0, 1], not this far
    "t_plus": (-1.0, 2.0),
    "coulombic_efficiency": (0.0, 200.0),  # %
    "capacity_retention": (0.0, 200.0),  # %
}
PLAUSIBLE_BY_SUFFIX: dict[str, tuple[float, float]] = {
    "_mS_cm": (1e-7, 1e3),  # solid polymers ~1e-6..1, liquids ~10, aqueous acids up to ~800 mS/cm
    "_S_cm": (1e-10, 1.0),
    "_uS_cm": (1e-4, 1e6),
    "_eV": (0.01, 3.0),  # activation energy
    "_kJ_mol": (1.0, 300.0),  # activation energy (0.01-3 eV)
    "_V": (-1.0, 10.0),  # potentials vs Li/Li+ (oxidation onset)
    "_mV": (-1e4, 1e4),  # overpotential
    "_mAh_g": (0.0, 5000.0),  # specific capacity (lithium metal: 3860 mAh/g)
}


def default_plausible(name: str) -> tuple[float, float] | None:
    """The built-in plausible range of quantity ``name`` in the unit its name declares, or None."""
    for prefix, bounds in PLAUSIBLE_BY_PREFIX.items():
        if name.startswith(prefix):
            return bounds
    for suffix, bounds in PLAUSIBLE_BY_SUFFIX.items():
        if name.endswith(suffix):
            return bounds
    return None


def _check_plausible(v: list[float] | None) -> list[float] | None:
    if v is None:
        return v
    if len(v) != 2:
        raise ValueError(f"expected [lo, hi] (two numbers in the quantity's unit), got {len(v)} number(s)")
    if not v[0] < v[1]:
        raise ValueError(f"lo must be < hi (got [{v[0]:g}, {v[1]:g}])")
    return v


class ObjectiveSpec(StrictModel):
    """A measured quantity to optimize. Its name carries its unit (``conductivity_mS_cm``).

    ``transform = "log"`` models the logarithm (the default for names starting with
    ``conductivity``, which span decades and must be positive).

    ``plausible = [lo, hi]`` (in the quantity's unit) is the range a recorded value must lie in;
    default :func:`default_plausible` (by name and unit suffix, e.g. ``[1e-7, 1000]`` for
    ``_mS_cm``). A value outside it is refused unless forced (``optiform record --force``).
    """

    name: str
    direction: Literal["maximize", "minimize"] = "maximize"
    transform: Literal["log", "none"] | None = None
    plausible: list[float] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v)

    @field_validator("plausible")
    @classmethod
    def _plausible(cls, v: list[float] | None) -> list[float] | None:
        return _check_plausible(v)

    @model_validator(mode="after")
    def _plausible_positive(self) -> ObjectiveSpec:
        if self.plausible is not None and self.log and self.plausible[0] <= 0:
            fail_at(
                ("plausible",),
                f"{self.name} is modelled on a log scale: lo must be > 0 (got {self.plausible[0]:g})",
                self.plausible,
            )
        return self

    @property
    def plausible_range(self) -> tuple[float, float] | None:
        """``plausible`` as (lo, hi), else the built-in range for the name (None when there is none)."""
        if self.plausible is not None:
            return self.plausible[0], self.plausible[1]
        return default_plausible(self.name)

    @property
    def log(self) -> bool:
        """Whether the quantity is modelled on the ln scale."""
        if self.transform is None:
            return self.name.startswith("conductivity")
        return self.transform == "log"

    @property
    def unit(self) -> str:
        """Unit label read off the name's suffix ('' when the name carries none)."""
        for suffix, label in UNIT_SUFFIXES.items():
            if self.name.endswith(suffix):
                return label
        return ""

    @property
    def maximize(self) -> bool:
        return self.direction == "maximize"


class OutcomeConstraintSpec(StrictModel):
    """A threshold a measured quantity must meet: ``min <= value`` and/or ``value <= max``, in the
    unit its name declares. The quantity may also be an objective; if not, it is recorded with the
    results like one and gets its own model. ``transform`` (for a quantity that is not an objective;
    default ``log`` for names starting with ``conductivity``) sets its modelled scale, as for an
    objective: a log quantity's thresholds must be > 0 and are compared on the ln scale.
    ``plausible = [lo, hi]`` as for an objective (for a quantity that is not one)."""

    name: str
    min: float | None = None
    max: float | None = None
    transform: Literal["log", "none"] | None = None
    plausible: list[float] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v)

    @field_validator("plausible")
    @classmethod
    def _plausible(cls, v: list[float] | None) -> list[float] | None:
        return _check_plausible(v)

    @model_validator(mode="after")
    def _bounds(self) -> OutcomeConstraintSpec:
        if self.min is None and self.max is None:
            raise ValueError(f"{self.name}: needs min and/or max (the threshold in the quantity's unit)")
        if self.min is not None and self.max is not None and self.min > self.max:
            fail_at(("min",), f"min must be <= max (got min={self.min:g}, max={self.max:g})", self.min)
        return self

    def describe(self) -> str:
        """The constraint as text, e.g. ``oxidation_onset_V >= 4.5``."""
        parts = []
        if self.min is not None:
            parts.append(f"{self.name} >= {self.min:g}")
        if self.max is not None:
            parts.append(f"{self.name} <= {self.max:g}")
        return " and ".join(parts)

    def satisfied(self, value: float) -> bool:
        """Whether a value (in the quantity's unit) meets the thresholds."""
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class FeasibilitySpec(StrictModel):
    """A pass/fail outcome recorded with results (``solid = true`` passes, ``false`` fails and
    carries no objective value). It trains a feasibility model; proposals are weighted by the
    probability of passing.

    ``inputs``: what the classifier sees — ``"fractions"`` (default: the composition and the other
    variables) or ``"ratios"`` (also the log-ratio of every pair of mixture components, for a
    boundary set by a ratio, such as a plasticiser-to-polymer ratio above which a film stays fluid).
    """

    name: str
    inputs: Literal["fractions", "ratios"] = "fractions"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v)
