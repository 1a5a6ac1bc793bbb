"""``[recipe]``: how a formulation becomes a weighing sheet (additives, split components, the molar
masses and densities that turn mol% and vol% into grams, the balance)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from .base import StrictModel, is_number


def _all_positive(table: dict[str, float], what: str, unit: str) -> dict[str, float]:
    for chem, value in table.items():
        if not value > 0:
            raise ValueError(f"{chem}: {what} must be > 0 {unit} (got {value})")
    return table


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
        return _all_positive(v, "molar mass", "g/mol")


class RecipeSpec(StrictModel):
    """How a formulation becomes a weighing sheet.

    ``additives`` take a wt% of the whole solution: a number, or the name of a continuous parameter.
    The mixture components share the rest: in wt% in their ratio, in mol% by ``x·M`` (molar masses
    in ``molar_mass_g_mol``, g/mol; a polymer by its repeat unit), in vol% by ``x·ρ`` (densities in
    ``density_g_cm3``, g/cm³). Masses are rounded to ``balance_resolution_mg`` (mg); a mass under
    ``warn_below_mg`` (mg) is flagged.
    """

    additives: dict[str, float | str] = Field(default_factory=dict)
    split: dict[str, SplitSpec] = Field(default_factory=dict)
    molar_mass_g_mol: dict[str, float] = Field(default_factory=dict)
    density_g_cm3: dict[str, float] = Field(default_factory=dict)
    balance_resolution_mg: float = Field(default=0.1, gt=0)
    warn_below_mg: float = Field(default=5.0, ge=0)

    @field_validator("additives", mode="before")
    @classmethod
    def _number_or_name(cls, v: Any) -> Any:
        # One clear message instead of pydantic's two (one per member of float | str).
        for chem, value in v.items() if isinstance(v, dict) else ():
            if not (is_number(value) or isinstance(value, str)):
                raise ValueError(f"{chem}: expected a wt% (a finite number) or a parameter name, got {value!r}")
        return v

    @field_validator("molar_mass_g_mol")
    @classmethod
    def _molar_masses(cls, v: dict[str, float]) -> dict[str, float]:
        return _all_positive(v, "molar mass", "g/mol")

    @field_validator("density_g_cm3")
    @classmethod
    def _densities(cls, v: dict[str, float]) -> dict[str, float]:
        return _all_positive(v, "density", "g/cm3")
