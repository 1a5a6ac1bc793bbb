"""``[recipe]``: how a formulation becomes a weighing sheet (additives, split components)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from .base import StrictModel, is_number


class SplitSpec(StrictModel):
    """A mixture component made of two chemicals, divided by a mole-fraction parameter.

    ``by`` names the parameter giving the mole fraction of the *second* chemical in
    ``molar_mass_g_mol``.
    """

    by: str
    molar_mass_g_mol: dict[str, float]

    @field_validator("molar_mass_g_mol")
    @classmethod
    def _two_positive(cls, v: dict[str, float]) -> dict[str, float]:
        if len(v) != 2:
            raise ValueError(f"needs exactly 2 chemicals, got {len(v)}")
        for chem, mass in v.items():
            if not mass > 0:
                raise ValueError(f"{chem}: molar mass must be > 0 g/mol (got {mass})")
        return v


class RecipeSpec(StrictModel):
    """How a formulation becomes a weighing sheet.

    ``additives`` take a wt% of the whole solution: a number, or the name of a continuous parameter.
    The mixture components share the rest in their ratio.
    """

    additives: dict[str, float | str] = Field(default_factory=dict)
    split: dict[str, SplitSpec] = Field(default_factory=dict)

    @field_validator("additives", mode="before")
    @classmethod
    def _number_or_name(cls, v: Any) -> Any:
        # One clear message instead of pydantic's two (one per member of float | str).
        for chem, value in v.items() if isinstance(v, dict) else ():
            if not (is_number(value) or isinstance(value, str)):
                raise ValueError(f"{chem}: expected a wt% (a finite number) or a parameter name, got {value!r}")
        return v
