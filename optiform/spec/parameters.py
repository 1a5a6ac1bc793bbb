"""``[parameters]``: continuous variables with bounds (and an optional rounding resolution) and
categorical variables with two or more choices. ``existing`` is the value formulations stored
before a parameter was added to the campaign had (see ``Campaign.update``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from .base import MAX_NAME_LENGTH, StrictModel, fail_at, lattice_in


class ContinuousParameter(StrictModel):
    """A continuous variable with bounds; ``resolution`` rounds proposals (optional)."""

    min: float
    max: float
    resolution: float | None = Field(default=None, gt=0)
    unit: str = ""
    existing: float | None = None
    """The value formulations stored before this parameter was added had (may lie outside [min, max])."""

    @model_validator(mode="after")
    def _ordered(self) -> ContinuousParameter:
        if self.min > self.max:
            fail_at(("min",), f"min must be <= max (got min={self.min:g}, max={self.max:g})", self.min)
        if self.resolution is not None and not lattice_in(self.min, self.max, self.resolution):
            fail_at(
                ("resolution",),
                f"no multiple of the resolution {self.resolution:g} lies in [{self.min:g}, {self.max:g}]",
                self.resolution,
            )
        return self


class CategoricalParameter(StrictModel):
    """A categorical variable with two or more distinct choices."""

    choices: list[str]
    existing: str | None = None
    """The choice formulations stored before this parameter was added had (one of ``choices``)."""

    @field_validator("choices")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        for choice in v:
            if not choice.strip():
                raise ValueError(f"a choice must be a non-empty name (got {choice!r})")
            if choice != choice.strip():
                raise ValueError(f"choice {choice!r} has spaces around it (results are read without them)")
            if len(choice) > MAX_NAME_LENGTH:
                raise ValueError(
                    f"choice {choice[:20]!r}... is {len(choice)} characters long; a choice has at most {MAX_NAME_LENGTH}"
                )
        if len(v) < 2:
            raise ValueError("needs at least 2 choices")
        if len(set(v)) != len(v):
            raise ValueError(f"choices must be distinct (got {v})")
        return v

    @model_validator(mode="after")
    def _existing_is_a_choice(self) -> CategoricalParameter:
        if self.existing is not None and self.existing not in self.choices:
            fail_at(
                ("existing",), f"{self.existing!r} is not one of the choices {', '.join(self.choices)}", self.existing
            )
        return self


def _parameter_kind(v: Any) -> str:
    if isinstance(v, CategoricalParameter) or (isinstance(v, dict) and "choices" in v):
        return "categorical"
    return "continuous"


Parameter = Annotated[
    Annotated[ContinuousParameter, Tag("continuous")] | Annotated[CategoricalParameter, Tag("categorical")],
    Discriminator(_parameter_kind),
]
