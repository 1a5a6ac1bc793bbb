"""Benchmark problems not shaped like the virtual lab: the random family ``family-NNN``
(:mod:`optiform.sim.family`) and the named problems ``narrow-ridge``, ``ratio-boundary``,
``eight-component`` and ``noisy`` (:mod:`optiform.sim.landscapes`, (d)-(g)). All SYNTHETIC; their
optima are pinned in ``tests/test_problems_new.py`` and must not change.

Groups (:data:`optiform.bench.problems.FAMILY_GROUPS`): ``family`` = ``family-000`` ...
``family-019`` (tune on these), ``family-test`` = ``family-100`` ... ``family-119`` (report on
these; nobody looks at them before the report).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from ..sim.family import PROCESS_NAMES, family_definition, family_optimum, make_family_lab
from ..sim.landscapes import (
    EIGHT_BOUNDS,
    EIGHT_OPTIMUM,
    EIGHT_PARAMETERS,
    FOUR_BOUNDS,
    FOUR_COMPONENT_OPTIMUM,
    NARROW_RIDGE_OPTIMUM,
    NOISY_NOISE_REL,
    OBJECTIVE,
    RATIO_BOUNDS,
    RATIO_OPTIMUM,
    RIDGE_BOUNDS,
    TOTAL,
    EightComponentLab,
    FourComponentLab,
    NarrowRidgeLab,
    RatioBoundaryLab,
)
from .problem import Problem

_UNITS = {PROCESS_NAMES[0]: "°C", PROCESS_NAMES[1]: "h"}


def _spec(
    name: str,
    description: str,
    bounds: Mapping[str, tuple[float, float]],
    parameters: Mapping[str, tuple[float, float, float | None]] | None = None,
    feasibility: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
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
    }
    if parameters:
        spec["parameters"] = {
            k: {"min": lo, "max": hi, **({"resolution": r} if r else {}), "unit": _UNITS.get(k, "")}
            for k, (lo, hi, r) in parameters.items()
        }
    if feasibility:
        spec["feasibility"] = {"name": feasibility}
    return spec


def family_problem(number: int) -> Problem:
    """Instance ``number`` of the random family as a problem (``family-NNN``); optimum by dense
    search (:func:`optiform.sim.family.family_optimum`)."""
    d = family_definition(number)
    _, optimum = family_optimum(number)
    name = f"family-{number:03d}"
    narrow = sum(b.narrow for b in d.bumps)
    description = (
        f"SYNTHETIC random landscape {number}: {len(d.bounds)} components, {len(d.parameters)} process "
        f"variable(s), {len(d.bumps)} optima ({narrow} narrow, the highest narrow)"
    )
    return Problem(
        name=name,
        description=description,
        spec=_spec(name, description, d.bounds, d.parameters),
        make_lab=partial(make_family_lab, number),
        optimum_value=optimum,
        synthetic=True,
    )


def _seeded(cls: Any, seed: int, **kwargs: Any) -> Any:
    return cls(seed=seed, **kwargs)


def narrow_ridge_problem() -> Problem:
    """(d) ``narrow-ridge``: the ridge of ``ridge`` 1 wt% wide (MEMA/SN/salt, 2 degrees of freedom)."""
    return Problem(
        name="narrow-ridge",
        description="SYNTHETIC landscape: the curved ridge of 'ridge' half as wide (1 wt%), peaked at "
        "MEMA:SN:salt ~ 41:42:17; no fluid region",
        spec=_spec("narrow-ridge", "synthetic landscape (d): curved ridge 1 wt% wide", RIDGE_BOUNDS),
        make_lab=partial(_seeded, NarrowRidgeLab),
        optimum_value=float(NARROW_RIDGE_OPTIMUM[OBJECTIVE]),
    )


def ratio_boundary_problem() -> Problem:
    """(e) ``ratio-boundary``: optimum on the boundary SN/MEMA = 1.2 of the fluid region (declared
    ``[feasibility] name = "solid"``; MEMA/SN/salt, 2 degrees of freedom)."""
    return Problem(
        name="ratio-boundary",
        description="SYNTHETIC landscape: rises towards the fluid films; the optimum lies on the pass/fail "
        "boundary SN/MEMA = 1.2 at MEMA:SN:salt ~ 37:45:18",
        spec=_spec(
            "ratio-boundary", "synthetic landscape (e): optimum on a ratio-shaped boundary", RATIO_BOUNDS, None, "solid"
        ),
        make_lab=partial(_seeded, RatioBoundaryLab),
        optimum_value=float(RATIO_OPTIMUM[OBJECTIVE]),
    )


def eight_component_problem() -> Problem:
    """(f) ``eight-component``: 8 components and 2 process variables (9 degrees of freedom)."""
    parameters = {"cure_temperature_C": (*EIGHT_PARAMETERS["cure_temperature_C"], 1.0), "cure_time_h": (1.0, 12.0, 0.5)}
    return Problem(
        name="eight-component",
        description="SYNTHETIC landscape: 8 components (MEMA, PEGDMA, SN, PEGDME, EC, FEC, LiTFSI, LiFSI), "
        "cure temperature and time; two bounds active at the optimum; no fluid region",
        spec=_spec(
            "eight-component", "synthetic landscape (f): 8 components, 2 process variables", EIGHT_BOUNDS, parameters
        ),
        make_lab=partial(_seeded, EightComponentLab),
        optimum_value=float(EIGHT_OPTIMUM[OBJECTIVE]),
    )


def noisy_problem() -> Problem:
    """(g) ``noisy``: ``four-component`` measured with 10% lognormal noise instead of 3%."""
    return Problem(
        name="noisy",
        description="SYNTHETIC landscape: 'four-component' (MEMA/SN/PEGDME/salt) with 10% measurement noise",
        spec=_spec("noisy", "synthetic landscape (g): four-component with 10% noise", FOUR_BOUNDS),
        make_lab=partial(_seeded, FourComponentLab, noise_rel=NOISY_NOISE_REL),
        optimum_value=float(FOUR_COMPONENT_OPTIMUM[OBJECTIVE]),
    )
