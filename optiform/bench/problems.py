"""The benchmark problems by name: the virtual lab on the shipped campaign (``llzt-full``) and on
the paper's ternary slice (``llzt-ternary``), the synthetic landscapes (:mod:`optiform.bench.landscapes`)
and the emulators of measured data (:mod:`optiform.bench.emulators`); see :class:`Problem`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ..errors import DataError
from ..sim.lab import MIXTURE, PAPER_POINT
from ..spec import CampaignSpec, load_spec
from .problem import Problem

__all__ = [
    "FAMILY_GROUPS",
    "PAPER_FIXED",
    "PROBLEMS",
    "Problem",
    "expand_problem_names",
    "get_problem",
    "is_problem_name",
    "problem_names",
    "ternary_optimum",
    "ternary_spec",
]

# --------------------------------------------------------------------------------------------------
# Registry: name -> zero-argument factory returning a Problem
# --------------------------------------------------------------------------------------------------
# Factories are called on demand (``get_problem``), so an expensive optimum is computed only for the
# problems a benchmark uses, and a problem whose module is missing or broken does not break the
# registry: asking for it raises a DataError naming the problem and the import error.

# The paper's values of every non-mixture variable (Nguyen et al. 2024: LiDFOB 0.05 mol/mol of the
# salt, FEC 5 wt%, porosity 0.75, porous LLZT film). The virtual lab fills a column it is not given
# from PAPER_POINT, so a campaign over the mixture alone is measured at exactly these values.
PAPER_FIXED: dict[str, Any] = {k: v for k, v in PAPER_POINT.items() if k not in MIXTURE}


def _llzt_full() -> Problem:
    from ..sim.lab import GLOBAL_OPTIMUM, VirtualLab
    from ..spec import example_spec_path

    return Problem(
        name="llzt-full",
        description="virtual lab (synthetic, calibrated to Nguyen et al. 2024) on the shipped llzt-cse campaign: "
        "MEMA/SN/salt mixture, LiDFOB, FEC, porosity and framework (6 degrees of freedom)",
        spec=load_spec(example_spec_path()),
        make_lab=VirtualLab,
        optimum_value=float(GLOBAL_OPTIMUM["conductivity_mS_cm"]),
        synthetic=True,
    )


def ternary_spec() -> dict[str, Any]:
    """The paper's ternary slice as a campaign: the MEMA/SN/salt mixture alone (the shipped campaign's
    bounds, 1 wt% resolution, solid/fluid feasibility); every other variable is the paper's
    (:data:`PAPER_FIXED`), supplied by the virtual lab."""
    full = _example_spec_dict()
    return {
        "version": 1,
        "name": "llzt-ternary",
        "description": "MEMA/SN/Li-salt polymer in porous LLZT, paper's ternary slice (LiDFOB 0.05, FEC 5 wt%, porosity 0.75)",
        "reference_temperature_C": full["reference_temperature_C"],
        "mixture": full["mixture"],
        "objectives": full["objectives"],
        "feasibility": full["feasibility"],
    }


def _example_spec_dict() -> dict[str, Any]:
    """The shipped campaign (``example_spec_path()``) as a plain dict."""
    from ..spec import example_spec_path

    return load_spec(example_spec_path()).model_dump(mode="json")


def _mixture_bounds(spec: CampaignSpec) -> dict[str, tuple[float, float]]:
    total = spec.mixture.total
    return {
        name: (float(b.min), float(total if b.max is None else b.max)) for name, b in spec.mixture.components.items()
    }


_TERNARY_OPTIMUM: list[tuple[dict[str, Any], float]] = []  # computed once per process (deterministic)


def ternary_optimum() -> tuple[dict[str, Any], float]:
    """Best noise-free solid formulation of the ternary slice (continuous mixture within the bounds,
    other variables at :data:`PAPER_FIXED`) and its conductivity in mS/cm. Computed on first use by
    :meth:`VirtualLab.optimum` (differential evolution + SLSQP, deterministic) and cached."""
    if not _TERNARY_OPTIMUM:
        from ..sim.lab import VirtualLab

        spec = load_spec(ternary_spec())
        point, value = VirtualLab().optimum(bounds=_mixture_bounds(spec), fixed=dict(PAPER_FIXED))
        _TERNARY_OPTIMUM.append((point, float(value)))
    point, value = _TERNARY_OPTIMUM[0]
    return dict(point), value


def _llzt_ternary() -> Problem:
    from ..sim.lab import VirtualLab

    return Problem(
        name="llzt-ternary",
        description="virtual lab on the paper's ternary slice: MEMA/SN/salt only (2 degrees of freedom), "
        "LiDFOB 0.05, FEC 5 wt%, porosity 0.75, LLZT held",
        spec=load_spec(ternary_spec()),
        make_lab=VirtualLab,
        optimum_value=ternary_optimum()[1],
        synthetic=True,
    )


def _lazy(module: str, function: str) -> Callable[[], Problem]:
    """A factory importing ``optiform.<module>`` only when called and returning ``function()``."""

    def factory() -> Problem:
        import importlib

        made: Problem = getattr(importlib.import_module(f"optiform.{module}"), function)()
        return made

    factory.__qualname__ = factory.__name__ = f"{module}.{function}"
    return factory


PROBLEMS: dict[str, Callable[[], Problem]] = {
    "llzt-full": _llzt_full,
    "llzt-ternary": _llzt_ternary,
    "shifted": _lazy("bench.landscapes", "shifted_problem"),
    "ridge": _lazy("bench.landscapes", "ridge_problem"),
    "four-component": _lazy("bench.landscapes", "four_component_problem"),
    "calisol": _lazy("bench.emulators", "calisol_problem"),
    "peo": _lazy("bench.emulators", "peo_problem"),
    "narrow-ridge": _lazy("bench.shapes", "narrow_ridge_problem"),
    "ratio-boundary": _lazy("bench.shapes", "ratio_boundary_problem"),
    "eight-component": _lazy("bench.shapes", "eight_component_problem"),
    "noisy": _lazy("bench.shapes", "noisy_problem"),
}

# The random family (optiform.bench.shapes): any ``family-NNN`` resolves by its number; the named
# groups stand for the instances one tunes on (``family``) and reports on (``family-test``).
FAMILY_GROUPS: dict[str, list[str]] = {
    "family": [f"family-{i:03d}" for i in range(20)],
    "family-test": [f"family-{i:03d}" for i in range(100, 120)],
}


def _family(number: int) -> Problem:
    from .shapes import family_problem

    return family_problem(number)


def problem_names() -> list[str]:
    """Every registered problem name, in registration order (some may be unavailable, see
    :func:`get_problem`), then the family instances of the groups ``family`` and ``family-test``
    (any other ``family-NNN`` resolves too)."""
    return [*PROBLEMS, *(name for group in FAMILY_GROUPS.values() for name in group)]


def is_family_name(name: str) -> bool:
    """Whether ``name`` is a family instance, ``family-NNN`` (three digits)."""
    return len(name) == 10 and name.startswith("family-") and name[7:].isascii() and name[7:].isdigit()


def is_problem_name(name: str) -> bool:
    """Whether ``name`` is a registered problem or a family instance (not a group)."""
    return name in PROBLEMS or is_family_name(name)


def expand_problem_names(names: list[str]) -> list[str]:
    """``names`` with each group (``family``, ``family-test``) replaced by its instances."""
    return [member for name in names for member in FAMILY_GROUPS.get(name, [name])]


def get_problem(name: str) -> Problem:
    """The problem registered as ``name``. Unknown names raise DataError listing the known ones; a
    problem whose module cannot be imported raises DataError saying why (any other failure of its
    factory is a bug and propagates)."""
    if is_family_name(name):
        factory: Callable[[], Problem] = partial(_family, int(name[7:]))
    else:
        try:
            factory = PROBLEMS[name]
        except KeyError:
            raise DataError(f"unknown problem {name!r}; expected one of {', '.join(PROBLEMS)} or family-NNN") from None
    try:
        problem = factory()
    except ImportError as exc:  # a missing optional module must not take the other problems down
        raise DataError(f"problem {name!r} is unavailable: {type(exc).__name__}: {exc}") from exc
    if not isinstance(problem, Problem):
        raise DataError(f"problem {name!r}: its factory returned {type(problem).__name__}, not a Problem")
    return problem
