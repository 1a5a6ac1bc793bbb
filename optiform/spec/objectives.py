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


class ObjectiveSpec(StrictModel):
    """A measured quantity to optimize. Its name carries its unit (``conductivity_mS_cm``).

    ``transform = "log"`` models the logarithm (the default for names starting with
    ``conductivity``, which span decades and must be positive).
    """

    name: str
    direction: Literal["maximize", "minimize"] = "maximize"
    transform: Literal["log", "none"] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v)

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
    objective: a log quantity's thresholds must be > 0 and are compared on the ln scale."""

    name: str
    min: float | None = None
    max: float | None = None
    transform: Literal["log", "none"] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v)

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
    probability of passing."""

    name: str

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v)
