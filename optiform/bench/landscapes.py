"""The SYNTHETIC landscapes of :mod:`optiform.sim.landscapes` as benchmark problems: MEMA/SN/salt
(``shifted``, ``ridge``) or MEMA/SN/PEGDME/salt (``four-component``) in wt% on a 1 wt% grid, one
maximised objective (conductivity in mS/cm), no fluid region."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..sim.landscapes import (
    FOUR_BOUNDS,
    FOUR_COMPONENT_OPTIMUM,
    OBJECTIVE,
    RIDGE_BOUNDS,
    RIDGE_OPTIMUM,
    SHIFTED_BOUNDS,
    SHIFTED_OPTIMUM,
    TOTAL,
    FourComponentLab,
    RidgeLab,
    ShiftedLab,
)
from .problem import Problem


def _spec(name: str, description: str, bounds: Mapping[str, tuple[float, float]], n_initial: int) -> dict[str, Any]:
    return {
        "version": 1,
        "name": name,
        "description": description,
        "mixture": {
            "unit": "wt%",
            "total": TOTAL,
            "resolution": 1.0,
            "components": {k: {"min": lo, "max": hi} for k, (lo, hi) in bounds.items()},
        },
        "objectives": [{"name": OBJECTIVE, "direction": "maximize"}],
        "strategy": {"n_initial": n_initial},
    }


def shifted_problem() -> Problem:
    """Landscape (a) as a benchmark problem (MEMA/SN/salt on a 1 wt% grid, 2 degrees of freedom)."""
    return Problem(
        name="shifted",
        description="SYNTHETIC landscape: interior optimum at low SN / high salt (MEMA:SN:salt ~ "
        f"{_ratio(SHIFTED_OPTIMUM['point'])}), decoy bump at 80% near the llzt-cse optimum; no fluid region",
        spec=_spec("shifted", "synthetic landscape (a): interior optimum at low SN / high salt", SHIFTED_BOUNDS, 6),
        make_lab=lambda seed: ShiftedLab(seed=seed),
        optimum_value=float(SHIFTED_OPTIMUM[OBJECTIVE]),
        synthetic=True,
    )


def ridge_problem() -> Problem:
    """Landscape (b) as a benchmark problem (MEMA/SN/salt on a 1 wt% grid, 2 degrees of freedom)."""
    return Problem(
        name="ridge",
        description="SYNTHETIC landscape: a 2 wt%-wide curved ridge through the MEMA/SN/salt ternary, peaked "
        f"at MEMA:SN:salt ~ {_ratio(RIDGE_OPTIMUM['point'])}; no fluid region",
        spec=_spec("ridge", "synthetic landscape (b): narrow curved ridge", RIDGE_BOUNDS, 6),
        make_lab=lambda seed: RidgeLab(seed=seed),
        optimum_value=float(RIDGE_OPTIMUM[OBJECTIVE]),
        synthetic=True,
    )


def four_component_problem() -> Problem:
    """Landscape (c) as a benchmark problem (MEMA/SN/PEGDME/salt on a 1 wt% grid, 3 degrees of freedom)."""
    return Problem(
        name="four-component",
        description="SYNTHETIC landscape: MEMA/SN/PEGDME/salt, two interacting plasticisers, optimum at "
        f"{_ratio(FOUR_COMPONENT_OPTIMUM['point'])}; no fluid region",
        spec=_spec("four-component", "synthetic landscape (c): MEMA/SN/PEGDME/salt", FOUR_BOUNDS, 8),
        make_lab=lambda seed: FourComponentLab(seed=seed),
        optimum_value=float(FOUR_COMPONENT_OPTIMUM[OBJECTIVE]),
        synthetic=True,
    )


def _ratio(point: Mapping[str, float]) -> str:
    return ":".join(f"{v:.0f}" for v in point.values())


LANDSCAPES: dict[str, Callable[[], Problem]] = {
    "shifted": shifted_problem,
    "ridge": ridge_problem,
    "four-component": four_component_problem,
}
