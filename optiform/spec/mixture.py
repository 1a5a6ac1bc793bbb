"""``[mixture]``: components that add up to a total, each within bounds, on a rounding lattice."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import StrictModel, check_names, fail_at, is_multiple, lattice_in


class ComponentBounds(StrictModel):
    """Bounds of one mixture component, in the mixture's unit."""

    min: float = 0.0
    max: float | None = None  # None -> the mixture total

    @model_validator(mode="after")
    def _ordered(self) -> ComponentBounds:
        if self.max is not None and self.min > self.max:
            fail_at(("min",), f"min must be <= max (got min={self.min:g}, max={self.max:g})", self.min)
        return self


class MixtureSpec(StrictModel):
    """Components that add up to ``total`` (e.g. wt% summing to 100)."""

    unit: Literal["wt%", "mol%", "vol%"] = "wt%"
    total: float = Field(default=100.0, gt=0)
    resolution: float | None = Field(default=None, gt=0)
    components: dict[str, ComponentBounds]

    @field_validator("components")
    @classmethod
    def _count_and_names(cls, v: dict[str, ComponentBounds]) -> dict[str, ComponentBounds]:
        if not 2 <= len(v) <= 10:
            raise ValueError(f"needs 2 to 10 components, got {len(v)}")
        check_names(v)
        return v

    @model_validator(mode="after")
    def _feasible(self) -> MixtureSpec:
        total, step = self.total, self.step
        if not is_multiple(total, step):
            raise ValueError(f"resolution {step:g} must divide total {total:g}")
        lo = hi = 0.0
        for name, b in self.components.items():
            upper = total if b.max is None else b.max
            if b.min < 0 or upper > total:
                fail_at(("components", name), f"bounds must lie in [0, {total:g}] (got [{b.min:g}, {upper:g}])", b)
            if not lattice_in(b.min, upper, step):
                fail_at(
                    ("components", name),
                    f"no multiple of the resolution {step:g} lies in [{b.min:g}, {upper:g}]",
                    b,
                )
            lo += b.min
            hi += upper
        if lo > total + 1e-9 or hi < total - 1e-9:
            raise ValueError(
                f"bounds leave no composition summing to {total:g}: the minima add up to {lo:g} and "
                f"the maxima to {hi:g}"
            )
        lo_steps = sum(math.ceil(b.min / step - 1e-9) for b in self.components.values())
        hi_steps = sum(math.floor((total if b.max is None else b.max) / step + 1e-9) for b in self.components.values())
        n = round(total / step)
        if not lo_steps <= n <= hi_steps:
            raise ValueError(f"no composition on the {step:g} {self.unit} grid lies within the bounds")
        return self

    @property
    def step(self) -> float:
        """Rounding step in the mixture's unit (``resolution``, default total/100)."""
        return self.resolution if self.resolution is not None else self.total / 100.0

    def bounds(self, name: str) -> tuple[float, float]:
        """(min, max) of component ``name`` in the mixture's unit."""
        b = self.components[name]
        return b.min, self.total if b.max is None else b.max
