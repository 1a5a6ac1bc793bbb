"""The whole campaign file (:class:`CampaignSpec`) and the checks that span its tables: names used
once, the recipe's chemicals and parameters, outcome constraints, the kernel's needs, and the known
linear constraints (parsed, then checked with linear programs to leave a formulation on the
rounding lattice)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from ..polytope import Polytope, constraint_slack
from .base import MAX_NAME_LENGTH, SPEC_VERSION, Loc, StrictModel, check_names, fail_at, fail_at_all
from .constraints import LinearConstraint, linear_expression, parse_constraint
from .mixture import MixtureSpec
from .model import ModelSpec
from .objectives import FeasibilitySpec, ObjectiveSpec, OutcomeConstraintSpec
from .parameters import CategoricalParameter, ContinuousParameter, Parameter
from .recipe import RecipeSpec
from .strategy import StrategySpec

ABSOLUTE_ZERO_C = -273.15
MAX_TEMPERATURE_C = 1000.0  # a reference temperature above this is a slip (K for °C, ...)
TEMPERATURE_RANGE_TEXT = (
    f"expected a temperature in °C above {ABSOLUTE_ZERO_C:g} (absolute zero) and at most {MAX_TEMPERATURE_C:g}"
)


def is_temperature_C(value: float) -> bool:
    """Whether ``value`` (°C) lies above absolute zero and at most :data:`MAX_TEMPERATURE_C`."""
    return ABSOLUTE_ZERO_C < value <= MAX_TEMPERATURE_C


class CampaignSpec(StrictModel):
    """The whole campaign file (``version = 1``)."""

    version: int = Field(strict=True)  # no 1.0, "1" or true
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=MAX_NAME_LENGTH)
    description: str = ""
    reference_temperature_C: float = 30.0
    """Temperature (°C) the conductivity objective refers to; above absolute zero, at most 1000."""
    mixture: MixtureSpec
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    objectives: list[ObjectiveSpec] = Field(min_length=1)
    recipe: RecipeSpec | None = None
    strategy: StrategySpec = Field(default_factory=StrategySpec)
    feasibility: FeasibilitySpec | None = None
    constraints: list[str] = Field(default_factory=list)  # known linear constraints, as written
    outcome_constraints: list[OutcomeConstraintSpec] = Field(default_factory=list)
    model: ModelSpec = Field(default_factory=ModelSpec)

    @field_validator("version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v != SPEC_VERSION:
            raise ValueError(f"this optiform reads campaign files of version {SPEC_VERSION}, got {v}")
        return v

    @field_validator("reference_temperature_C")
    @classmethod
    def _temperature(cls, v: float) -> float:
        if not is_temperature_C(v):
            raise ValueError(f"{TEMPERATURE_RANGE_TEXT}, got {v:g}")
        return v

    @field_validator("parameters")
    @classmethod
    def _param_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        check_names(v)
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> CampaignSpec:
        names = list(self.mixture.components) + list(self.parameters)
        clash = sorted({n for n in names if names.count(n) > 1})
        if clash:
            raise ValueError(f"parameters: {', '.join(clash)} already named as mixture component(s)")
        objective_names = [o.name for o in self.objectives]
        for name in objective_names:
            if objective_names.count(name) > 1:
                raise ValueError(f"objectives: {name!r} declared twice")
            if name in names:
                raise ValueError(f"objectives: {name!r} is also a variable name")
        if self.feasibility is not None and self.feasibility.name in [*names, *objective_names]:
            raise ValueError(f"feasibility.name: {self.feasibility.name!r} is already a variable or objective name")
        if self.recipe is not None:
            _check_recipe(self)
        _check_outcome_constraints(self, names)
        if self.model.kernel == "transfer" and not self.categorical:
            fail_at(
                ("model", "kernel"), "kernel 'transfer' needs a categorical parameter (choices = [...])", "transfer"
            )
        if self.model.kernel == "additive" and not self.parameters:
            fail_at(
                ("model", "kernel"),
                "kernel 'additive' needs a parameter besides the mixture (over the mixture alone it is the rbf kernel twice)",
                "additive",
            )
        return self

    @model_validator(mode="after")
    def _known_constraints(self) -> CampaignSpec:
        _check_linear_constraints(self)
        return self

    # --- convenience views -------------------------------------------------------------------
    @property
    def linear_constraints(self) -> list[LinearConstraint]:
        """``constraints`` parsed (see :func:`parse_constraint`), in the order written."""
        variables = self.components + list(self.continuous)
        return [parse_constraint(t, variables, list(self.categorical)) for t in self.constraints]

    @property
    def components(self) -> list[str]:
        return list(self.mixture.components)

    @property
    def continuous(self) -> dict[str, ContinuousParameter]:
        return {k: p for k, p in self.parameters.items() if isinstance(p, ContinuousParameter)}

    @property
    def categorical(self) -> dict[str, CategoricalParameter]:
        return {k: p for k, p in self.parameters.items() if isinstance(p, CategoricalParameter)}

    @property
    def variables(self) -> list[str]:
        """Variable names in canonical order: mixture components, then parameters."""
        return self.components + list(self.parameters)

    @property
    def objective_names(self) -> list[str]:
        return [o.name for o in self.objectives]

    def objective(self, name: str) -> ObjectiveSpec:
        for o in self.objectives:
            if o.name == name:
                return o
        raise KeyError(name)

    @property
    def modelled_quantities(self) -> list[ObjectiveSpec]:
        """Every quantity with a model: the objectives, then the constrained quantities that are not
        objectives (as maximize ObjectiveSpecs carrying the constraint's transform)."""
        extra = [
            ObjectiveSpec(name=c.name, transform=c.transform, plausible=c.plausible)
            for c in self.outcome_constraints
            if c.name not in self.objective_names
        ]
        return [*self.objectives, *extra]

    def quantity(self, name: str) -> ObjectiveSpec:
        """The modelled quantity ``name`` (an objective or a constrained quantity)."""
        for q in self.modelled_quantities:
            if q.name == name:
                return q
        raise KeyError(
            f"{name!r} is neither an objective nor a constrained quantity "
            f"(have: {', '.join(q.name for q in self.modelled_quantities)})"
        )

    @property
    def prediction_columns(self) -> list[str]:
        """Columns :meth:`optiform.Campaign.predictions` adds to a batch file or weighing sheet:
        ``<objective>_median``, ``_q05``, ``_q95`` per objective, then ``P_<outcome>`` with a
        ``[feasibility]`` outcome (read back as information, never stored as results)."""
        stats = [f"{o.name}_{s}" for o in self.objectives for s in ("median", "q05", "q95")]
        return stats + ([f"P_{self.feasibility.name}"] if self.feasibility is not None else [])

    @property
    def dimension(self) -> int:
        """Degrees of freedom: (components - 1) + number of parameters."""
        return len(self.components) - 1 + len(self.parameters)

    @property
    def n_initial(self) -> int:
        """Space-filling points before the model takes over (default 2·(d+1))."""
        n = self.strategy.n_initial
        return n if n is not None else 2 * (self.dimension + 1)


def _check_outcome_constraints(spec: CampaignSpec, variables: list[str]) -> None:
    """Each constrained quantity once, not a variable or the pass/fail outcome; a log-modelled
    quantity needs positive thresholds; an objective's transform is not restated differently."""
    seen: set[str] = set()
    for i, c in enumerate(spec.outcome_constraints):
        if c.name in seen:
            fail_at(
                ("outcome_constraints", str(i), "name"),
                f"{c.name!r} constrained twice; give min and max in one table",
                c.name,
            )
        seen.add(c.name)
        if c.name in variables:
            fail_at(
                ("outcome_constraints", str(i), "name"), f"{c.name!r} is a variable, not a measured quantity", c.name
            )
        if spec.feasibility is not None and c.name == spec.feasibility.name:
            fail_at(
                ("outcome_constraints", str(i), "name"),
                f"{c.name!r} is the pass/fail outcome ([feasibility]); it is already a constraint",
                c.name,
            )
        log = ObjectiveSpec(name=c.name, transform=c.transform).log
        if c.name in spec.objective_names:
            obj = spec.objective(c.name)
            if c.transform is not None and c.transform != ("log" if obj.log else "none"):
                fail_at(
                    ("outcome_constraints", str(i), "transform"),
                    f"{c.name!r} is an objective modelled with transform "
                    f"{'log' if obj.log else 'none'!r}; set transform in its [[objectives]] table",
                    c.transform,
                )
            log = obj.log
            if c.plausible is not None:
                fail_at(
                    ("outcome_constraints", str(i), "plausible"),
                    f"{c.name!r} is an objective; set plausible in its [[objectives]] table",
                    c.plausible,
                )
        elif log and c.plausible is not None and c.plausible[0] <= 0:
            fail_at(
                ("outcome_constraints", str(i), "plausible"),
                f"{c.name} is modelled on a log scale: lo must be > 0 (got {c.plausible[0]:g})",
                c.plausible,
            )
        for key in ("min", "max"):
            value = getattr(c, key)
            if log and value is not None and value <= 0:
                fail_at(
                    ("outcome_constraints", str(i), key),
                    f"{c.name} is modelled on a log scale: the threshold must be > 0 (got {value:g})",
                    value,
                )


def _check_recipe(spec: CampaignSpec) -> None:
    recipe = spec.recipe
    assert recipe is not None
    chemicals = set(spec.components)
    max_additives = 0.0
    for chem, value in recipe.additives.items():
        if chem in chemicals:
            raise ValueError(f"recipe.additives.{chem}: already a mixture component")
        chemicals.add(chem)
        if isinstance(value, str):
            param = spec.parameters.get(value)
            if not isinstance(param, ContinuousParameter):
                raise ValueError(
                    f"recipe.additives.{chem}: {value!r} is not a continuous parameter "
                    f"(have: {', '.join(spec.continuous) or 'none'})"
                )
            if param.min < 0:
                raise ValueError(f"recipe.additives.{chem}: parameter {value!r} may go below 0 wt%")
            max_additives += param.max
        else:
            if not 0 <= value < 100:
                raise ValueError(f"recipe.additives.{chem}: wt% must lie in [0, 100) (got {value:g})")
            max_additives += value
    if max_additives >= 100:
        raise ValueError(f"recipe.additives: can add up to {max_additives:g} wt%, leaving nothing for the mixture")
    for comp, split in recipe.split.items():
        if comp not in spec.mixture.components:
            raise ValueError(f"recipe.split.{comp}: not a mixture component ({', '.join(spec.components)})")
        param = spec.parameters.get(split.by)
        if not isinstance(param, ContinuousParameter):
            raise ValueError(f"recipe.split.{comp}.by: {split.by!r} is not a continuous parameter")
        if param.min < 0 or param.max > 1:
            raise ValueError(
                f"recipe.split.{comp}.by: {split.by!r} is a mole fraction and must lie in [0, 1] "
                f"(bounds [{param.min:g}, {param.max:g}])"
            )
        for chem in split.molar_mass_g_mol:
            if chem in chemicals:
                raise ValueError(f"recipe.split.{comp}: chemical {chem!r} named twice in the recipe")
            chemicals.add(chem)
    _check_recipe_tables(spec)


def _check_recipe_tables(spec: CampaignSpec) -> None:
    """``molar_mass_g_mol`` and ``density_g_cm3``: known names (components, split chemicals,
    additives), consistent with the splits, and complete for a mol% or vol% mixture."""
    recipe = spec.recipe
    assert recipe is not None
    split_chemicals = {chem: (comp, m) for comp, sp in recipe.split.items() for chem, m in sp.molar_mass_g_mol.items()}
    names = [*spec.components, *split_chemicals, *recipe.additives]
    for chem, mass in recipe.molar_mass_g_mol.items():
        loc = ("recipe", "molar_mass_g_mol", chem)
        if chem in recipe.split:
            pair = " and ".join(recipe.split[chem].molar_mass_g_mol)
            fail_at(loc, f"{chem} is split: its molar mass is the mole-fraction average of {pair}", mass)
        if chem in split_chemicals and split_chemicals[chem][1] != mass:
            comp, declared = split_chemicals[chem]
            fail_at(loc, f"recipe.split.{comp}.molar_mass_g_mol gives {chem} {declared:g} g/mol, not {mass:g}", mass)
        if chem not in names:
            fail_at(loc, f"{chem!r} is not a mixture component, split chemical or additive ({', '.join(names)})", mass)
    for chem, density in recipe.density_g_cm3.items():
        loc = ("recipe", "density_g_cm3", chem)
        if chem in split_chemicals:
            comp = split_chemicals[chem][0]
            fail_at(loc, f"a split component's density goes by the component's name ({comp!r}), not {chem!r}", density)
        if chem not in spec.components and chem not in recipe.additives:
            have = ", ".join([*spec.components, *recipe.additives])
            fail_at(loc, f"{chem!r} is not a mixture component or additive ({have})", density)
    unit = spec.mixture.unit
    if unit == "mol%":
        missing = [c for c in spec.components if c not in recipe.split and c not in recipe.molar_mass_g_mol]
        if missing:
            fail_at(
                ("recipe", "molar_mass_g_mol"),
                f"mixture.unit is 'mol%': needs the molar mass (g/mol; a polymer by its repeat unit) of "
                f"{', '.join(missing)}",
                dict(recipe.molar_mass_g_mol),
            )
    elif unit == "vol%":
        missing = [c for c in spec.components if c not in recipe.density_g_cm3]
        if missing:
            fail_at(
                ("recipe", "density_g_cm3"),
                f"mixture.unit is 'vol%': needs the density (g/cm3) of {', '.join(missing)}",
                dict(recipe.density_g_cm3),
            )


def _check_linear_constraints(spec: CampaignSpec) -> None:
    """Parse every constraint (each problem on its own line), then check with linear programs
    (scipy's HiGHS) that the bounds, the mixture total and the constraints leave a formulation, and
    one on the rounding lattice (mixture ``resolution``, parameter resolutions)."""
    variables = spec.components + list(spec.continuous)
    errors: list[tuple[Loc, str, Any]] = []
    parsed: list[LinearConstraint] = []
    for i, text in enumerate(spec.constraints):
        try:
            parsed.append(parse_constraint(text, variables, list(spec.categorical)))
        except ValueError as exc:
            errors.append(((f"constraints[{i}]",), str(exc), text))
    if errors:
        fail_at_all(errors)
    if not parsed:
        return
    names = spec.components + list(spec.continuous)
    k = len(spec.components)
    bounds = [spec.mixture.bounds(c) for c in spec.components] + [(p.min, p.max) for p in spec.continuous.values()]
    lo = np.array([b[0] for b in bounds], dtype=float)
    hi = np.array([b[1] for b in bounds], dtype=float)
    A = np.array([[c.coefficients.get(v, 0.0) for v in names] for c in parsed], dtype=float)
    b = np.array([c.rhs for c in parsed], dtype=float)
    slack = constraint_slack(A, b, lo, hi)
    box = Polytope(lo, hi, k, spec.mixture.total)  # bounds and the mixture total
    for i, con in enumerate(parsed):
        if not con.coefficients:
            if con.rhs < 0:
                reason = f'"{con.text}" can never hold (no variable is left once its terms cancel)'
                fail_at((f"constraints[{i}]",), reason, con.text)
            continue
        low, high = box.range_of(A[i])
        if low > con.rhs + slack[i]:
            flip = ">=" in con.text
            expr = linear_expression({v: -c for v, c in con.coefficients.items()} if flip else con.coefficients)
            lo_, hi_ = (-high, -low) if flip else (low, high)
            fail_at(
                (f"constraints[{i}]",),
                f'no formulation within the bounds satisfies "{con.text}": {expr} ranges over '
                f"[{lo_:g}, {hi_:g}] there (needs {'>=' if flip else '<='} {-con.rhs if flip else con.rhs:g})",
                con.text,
            )
    for j in range(2, len(parsed) + 1):
        if not Polytope(lo, hi, k, spec.mixture.total, A[:j], b[:j] + slack[:j]).is_feasible():
            before = ", ".join(f'"{c.text}"' for c in parsed[: j - 1])
            fail_at(
                (f"constraints[{j - 1}]",),
                f'"{parsed[j - 1].text}" cannot hold together with {before} within the bounds: '
                "no formulation satisfies them all",
                parsed[j - 1].text,
            )
    # lattice units: value = scale·z, z integer for the mixture and parameters with a resolution
    ps = list(spec.continuous.values())
    scale = np.array([spec.mixture.step] * k + [p.resolution if p.resolution is not None else 1.0 for p in ps])
    integral = np.array([1] * k + [int(p.resolution is not None) for p in ps])
    if not Polytope(lo, hi, k, spec.mixture.total, A, b + slack).holds_lattice_point(scale, integral):
        fail_at(
            ("constraints",),
            "the region the constraints leave holds no point of the rounding lattice (mixture "
            f"resolution {spec.mixture.step:g} {spec.mixture.unit}, parameter resolutions), so no "
            "proposal could satisfy them; relax them or use a finer resolution",
            spec.constraints,
        )
