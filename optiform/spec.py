"""Campaign file schema: plain, versioned data (pydantic) loaded from TOML.

A campaign file declares the mixture (components and their bounds in the mixture's unit), the other
variables, the objectives and, optionally, the recipe and the strategy. The spec holds no behaviour
beyond validation; :mod:`optiform.space` and :mod:`optiform.recipe` act on it. A spec round-trips
through JSON (``spec.model_dump_json()`` / ``CampaignSpec.model_validate_json``), which is how the
store keeps it.

Every error names the key and the reason, e.g.::

    campaign.toml: mixture.components.SN.min: min must be <= max (got min=80, max=70)
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from scipy.optimize import Bounds, linprog, milp
from scipy.optimize import LinearConstraint as _LinearRows

from .errors import SpecError

SPEC_VERSION = 1
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
RESERVED_COLUMNS = frozenset({"id", "replicate", "status", "note", "source", "batch", "strategy"})
STRATEGY_NAMES = (
    "botorch",
    "random",
    "sobol",
    "grid",
    "optuna-tpe",
    "optuna-gp",
)  # = optiform.strategies.STRATEGIES (tested)

# Unit labels read off an objective's name suffix ("conductivity_mS_cm" -> "mS/cm").
_UNIT_SUFFIXES = {
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


class _Strict(BaseModel):
    # TOML has nan and inf literals: no number in a campaign file may be one.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ComponentBounds(_Strict):
    """Bounds of one mixture component, in the mixture's unit."""

    min: float = 0.0
    max: float | None = None  # None -> the mixture total

    @model_validator(mode="after")
    def _ordered(self) -> ComponentBounds:
        if self.max is not None and self.min > self.max:
            _fail_at(("min",), f"min must be <= max (got min={self.min:g}, max={self.max:g})", self.min)
        return self


class MixtureSpec(_Strict):
    """Components that add up to ``total`` (e.g. wt% summing to 100)."""

    unit: Literal["wt%", "mol%", "vol%"] = "wt%"
    total: float = Field(100.0, gt=0)
    resolution: float | None = Field(None, gt=0)
    components: dict[str, ComponentBounds]

    @field_validator("components")
    @classmethod
    def _count_and_names(cls, v: dict[str, ComponentBounds]) -> dict[str, ComponentBounds]:
        if not 2 <= len(v) <= 10:
            raise ValueError(f"needs 2 to 10 components, got {len(v)}")
        _check_names(v)
        return v

    @model_validator(mode="after")
    def _feasible(self) -> MixtureSpec:
        total, step = self.total, self.step
        if not _is_multiple(total, step):
            raise ValueError(f"resolution {step:g} must divide total {total:g}")
        lo = hi = 0.0
        for name, b in self.components.items():
            upper = total if b.max is None else b.max
            if b.min < 0 or upper > total:
                _fail_at(("components", name), f"bounds must lie in [0, {total:g}] (got [{b.min:g}, {upper:g}])", b)
            if not _lattice_in(b.min, upper, step):
                _fail_at(
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
        b = self.components[name]
        return b.min, self.total if b.max is None else b.max


class ContinuousParameter(_Strict):
    """A continuous variable with bounds; ``resolution`` rounds proposals (optional)."""

    min: float
    max: float
    resolution: float | None = Field(None, gt=0)
    unit: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> ContinuousParameter:
        if self.min > self.max:
            _fail_at(("min",), f"min must be <= max (got min={self.min:g}, max={self.max:g})", self.min)
        if self.resolution is not None and not _lattice_in(self.min, self.max, self.resolution):
            _fail_at(
                ("resolution",),
                f"no multiple of the resolution {self.resolution:g} lies in [{self.min:g}, {self.max:g}]",
                self.resolution,
            )
        return self


class CategoricalParameter(_Strict):
    """A categorical variable with two or more distinct choices."""

    choices: list[str]

    @field_validator("choices")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(v) < 2:
            raise ValueError("needs at least 2 choices")
        if len(set(v)) != len(v):
            raise ValueError(f"choices must be distinct (got {v})")
        return v


def _parameter_kind(v: Any) -> str:
    if isinstance(v, CategoricalParameter) or (isinstance(v, dict) and "choices" in v):
        return "categorical"
    return "continuous"


Parameter = Annotated[
    Annotated[ContinuousParameter, Tag("continuous")] | Annotated[CategoricalParameter, Tag("categorical")],
    Discriminator(_parameter_kind),
]


class ObjectiveSpec(_Strict):
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
        return _check_name(v)

    @property
    def log(self) -> bool:
        if self.transform is None:
            return self.name.startswith("conductivity")
        return self.transform == "log"

    @property
    def unit(self) -> str:
        """Unit label read off the name's suffix ('' when the name carries none)."""
        for suffix, label in _UNIT_SUFFIXES.items():
            if self.name.endswith(suffix):
                return label
        return ""

    @property
    def maximize(self) -> bool:
        return self.direction == "maximize"


class OutcomeConstraintSpec(_Strict):
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
        return _check_name(v)

    @model_validator(mode="after")
    def _bounds(self) -> OutcomeConstraintSpec:
        if self.min is None and self.max is None:
            raise ValueError(f"{self.name}: needs min and/or max (the threshold in the quantity's unit)")
        if self.min is not None and self.max is not None and self.min > self.max:
            _fail_at(("min",), f"min must be <= max (got min={self.min:g}, max={self.max:g})", self.min)
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


class SplitSpec(_Strict):
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


class RecipeSpec(_Strict):
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
            number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not (number or isinstance(value, str)):
                raise ValueError(f"{chem}: expected a wt% (a finite number) or a parameter name, got {value!r}")
        return v


class StrategySpec(_Strict):
    """Which strategy proposes, and how many space-filling points come before the model."""

    name: str = "botorch"
    n_initial: int | None = Field(None, ge=1)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in STRATEGY_NAMES:
            raise ValueError(f"unknown strategy {v!r}; expected one of {', '.join(STRATEGY_NAMES)}")
        return v


class FeasibilitySpec(_Strict):
    """A pass/fail outcome recorded with results (``solid = true`` passes, ``false`` fails and
    carries no objective value). It trains a feasibility model; proposals are weighted by the
    probability of passing."""

    name: str

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _check_name(v)


class ModelSpec(_Strict):
    """Surrogate model options (``[model]``).

    ``kernel = "rbf"`` (default): one RBF kernel with ARD length scales over every model column
    (categorical choices one-hot). ``kernel = "transfer"``: a shared kernel over every column plus a
    choice-specific one (:func:`optiform.models.gp.transfer_kernel`), for categorical choices that
    share most of their landscape but differ in part — e.g. glass-fibre results informing LLZT
    proposals (``propose(fixed={"framework": "LLZT"})``); it needs a categorical parameter.
    ``kernel = "additive"``: one kernel per group of variables (the mixture, each other parameter)
    plus one over all of them (:func:`optiform.models.gp.additive_kernel`), for objectives that are
    close to a product of factors, such as conductivity over composition and processing.
    """

    kernel: Literal["rbf", "transfer", "additive"] = "rbf"


class CampaignSpec(_Strict):
    """The whole campaign file (``version = 1``)."""

    version: int = Field(strict=True)  # no 1.0, "1" or true
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    reference_temperature_C: float = 30.0
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

    @field_validator("parameters")
    @classmethod
    def _param_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        _check_names(v)
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
            _fail_at(
                ("model", "kernel"), "kernel 'transfer' needs a categorical parameter (choices = [...])", "transfer"
            )
        if self.model.kernel == "additive" and not self.parameters:
            _fail_at(
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
            ObjectiveSpec(name=c.name, transform=c.transform)
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
    def dimension(self) -> int:
        """Degrees of freedom: (components - 1) + number of parameters."""
        return len(self.components) - 1 + len(self.parameters)

    @property
    def n_initial(self) -> int:
        """Space-filling points before the model takes over (default 2·(d+1))."""
        n = self.strategy.n_initial
        return n if n is not None else 2 * (self.dimension + 1)


def _check_name(name: str) -> str:
    if not re.match(NAME_PATTERN, name):
        raise ValueError(f"{name!r} is not a valid name (letters, digits and _, not starting with a digit)")
    if name in RESERVED_COLUMNS:
        raise ValueError(f"{name!r} is reserved for a column of optiform's tables")
    return name


def _is_multiple(total: float, step: float) -> bool:
    ratio = total / step
    return abs(ratio - round(ratio)) < 1e-9 * max(1.0, ratio)


def _check_names(table: dict[str, Any]) -> None:
    """Check every key of a table of variables; the error points at the offending key."""
    for name in table:
        try:
            _check_name(name)
        except ValueError as exc:
            _fail_at((name,), str(exc), name)


def _fail_at(loc: tuple[str, ...], reason: str, value: Any) -> NoReturn:
    """Raise a validation error at ``loc`` below the model being validated (a plain ValueError from
    a model validator would point at the whole table)."""
    error = PydanticCustomError("value_error", "{reason}", {"reason": reason})
    raise ValidationError.from_exception_data("spec", [InitErrorDetails(type=error, loc=loc, input=value)])


def _lattice_in(lo: float, hi: float, step: float) -> bool:
    """Whether some multiple of ``step`` lies in [lo, hi] (same tolerance as the rounding)."""
    return math.ceil(lo / step - 1e-9) <= math.floor(hi / step + 1e-9)


def _check_outcome_constraints(spec: CampaignSpec, variables: list[str]) -> None:
    """Each constrained quantity once, not a variable or the pass/fail outcome; a log-modelled
    quantity needs positive thresholds; an objective's transform is not restated differently."""
    seen: set[str] = set()
    for i, c in enumerate(spec.outcome_constraints):
        if c.name in seen:
            _fail_at(
                ("outcome_constraints", str(i), "name"),
                f"{c.name!r} constrained twice; give min and max in one table",
                c.name,
            )
        seen.add(c.name)
        if c.name in variables:
            _fail_at(
                ("outcome_constraints", str(i), "name"), f"{c.name!r} is a variable, not a measured quantity", c.name
            )
        if spec.feasibility is not None and c.name == spec.feasibility.name:
            _fail_at(
                ("outcome_constraints", str(i), "name"),
                f"{c.name!r} is the pass/fail outcome ([feasibility]); it is already a constraint",
                c.name,
            )
        log = ObjectiveSpec(name=c.name, transform=c.transform).log
        if c.name in spec.objective_names:
            obj = spec.objective(c.name)
            if c.transform is not None and c.transform != ("log" if obj.log else "none"):
                _fail_at(
                    ("outcome_constraints", str(i), "transform"),
                    f"{c.name!r} is an objective modelled with transform "
                    f"{'log' if obj.log else 'none'!r}; set transform in its [[objectives]] table",
                    c.transform,
                )
            log = obj.log
        for key in ("min", "max"):
            value = getattr(c, key)
            if log and value is not None and value <= 0:
                _fail_at(
                    ("outcome_constraints", str(i), key),
                    f"{c.name} is modelled on a log scale: the threshold must be > 0 (got {value:g})",
                    value,
                )


def _check_recipe(spec: CampaignSpec) -> None:
    recipe = spec.recipe
    assert recipe is not None
    if spec.mixture.unit != "wt%":
        raise ValueError(f"recipe: needs mixture.unit = 'wt%' (got {spec.mixture.unit!r})")
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


# --- known linear constraints ----------------------------------------------------------------
@dataclass(frozen=True)
class LinearConstraint:
    """A known linear constraint ``Σ coefficients[v]·value[v] <= rhs`` over mixture components and
    continuous parameters, in their declared units (wt% of the mixture, a parameter's own unit).
    A ``>=`` constraint is stored negated; ``text`` is the constraint as written."""

    coefficients: dict[str, float]
    rhs: float
    text: str


_CONSTRAINT_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op><=|>=|[-+*]))"
)
_CONSTRAINT_EXAMPLE = '"SN - 2*MEMA <= 10" (numbers, variable names, +, -, * and one <= or >=)'
_CONSTRAINT_HINTS = {  # first character that cannot be read -> what to say
    "(": "parentheses are not supported",
    ")": "parentheses are not supported",
    "/": "division is not supported (write 0.5*SN for SN/2)",
    **dict.fromkeys("=<>", "only <= and >= compare (no =, ==, < or >)"),
}


def parse_constraint(text: str, variables: Sequence[str], categorical: Sequence[str] = ()) -> LinearConstraint:
    """Parse ``text``, a linear inequality such as ``"SN - 2*MEMA <= 10"`` or ``"salt >= 0.2*SN"``.

    Grammar: terms joined by ``+``/``-`` on both sides of one ``<=`` or ``>=``; a term is a number,
    a name, or a number times a name (``2*MEMA``, ``2 MEMA`` or ``2MEMA``; ``MEMA*2`` too). Numbers
    may be integers, decimals or scientific (``1e-2``). ``variables`` are the names allowed
    (mixture components and continuous parameters); ``categorical`` names get their own message.
    Raises ValueError naming what is wrong.
    """
    quoted = f'"{text}"'
    tokens: list[tuple[str, str]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _CONSTRAINT_TOKEN.match(stripped, pos)
        if m is None:
            rest = stripped[pos:].lstrip()
            hint = _CONSTRAINT_HINTS.get(rest[:1], "")
            raise ValueError(
                f"cannot read {quoted} at {rest[:12]!r}{': ' + hint if hint else ''}; "
                f"expected a linear inequality like {_CONSTRAINT_EXAMPLE}"
            )
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    comparators = [i for i, (kind, value) in enumerate(tokens) if value in ("<=", ">=")]
    if len(comparators) != 1:
        raise ValueError(
            f"{quoted} needs exactly one <= or >= (found {len(comparators)}); "
            f"expected a linear inequality like {_CONSTRAINT_EXAMPLE}"
        )
    cut = comparators[0]
    left = _parse_linear_side(tokens[:cut], quoted, variables, categorical)
    right = _parse_linear_side(tokens[cut + 1 :], quoted, variables, categorical)
    if not (set(left) | set(right)) - {""}:
        raise ValueError(f"{quoted} names no variable; expected one of {', '.join(variables)}")
    sign = 1.0 if tokens[cut][1] == "<=" else -1.0
    coefficients: dict[str, float] = {}
    for name in dict.fromkeys([*left, *right]):  # in the order written
        c = sign * (left.get(name, 0.0) - right.get(name, 0.0))
        if name and c != 0.0:
            coefficients[name] = c
    rhs = sign * (right.get("", 0.0) - left.get("", 0.0))
    return LinearConstraint(coefficients=coefficients, rhs=rhs + 0.0, text=text)


def _parse_linear_side(
    tokens: list[tuple[str, str]], quoted: str, variables: Sequence[str], categorical: Sequence[str]
) -> dict[str, float]:
    """Sum of the terms of one side: {variable: coefficient, "": constant}."""
    if not tokens:
        raise ValueError(
            f"{quoted}: one side of the inequality is empty; expected a linear inequality like {_CONSTRAINT_EXAMPLE}"
        )
    out: dict[str, float] = {}
    i, n = 0, len(tokens)
    while i < n:
        sign = 1.0
        while i < n and tokens[i][0] == "op" and tokens[i][1] in ("+", "-"):
            sign = -sign if tokens[i][1] == "-" else sign
            i += 1
        factors: list[tuple[str, str]] = []
        expect_factor = True
        while i < n:
            kind, value = tokens[i]
            if expect_factor:
                if kind not in ("num", "name"):
                    raise ValueError(f"{quoted}: expected a number or a variable name, got {value!r}")
                factors.append(tokens[i])
                i += 1
                expect_factor = False
            elif value == "*":
                i += 1
                expect_factor = True
            elif kind == "name" and factors[-1][0] == "num":
                expect_factor = True  # implicit product: 2MEMA, 2 MEMA
            else:
                break
        if expect_factor:
            raise ValueError(f"{quoted}: a side ends with an operator; expected a number or a variable name")
        names = [value for kind, value in factors if kind == "name"]
        if len(names) > 1:
            raise ValueError(f"{quoted} is not linear: {'*'.join(names)} multiplies variables")
        for name in names:
            if name in categorical:
                raise ValueError(
                    f"{name!r} in {quoted} is a categorical parameter; constraints take mixture components "
                    f"and continuous parameters: {', '.join(variables)}"
                )
            if name not in variables:
                raise ValueError(f"unknown variable {name!r} in {quoted}; expected one of {', '.join(variables)}")
        coefficient = sign * math.prod(float(value) for kind, value in factors if kind == "num")
        if not math.isfinite(coefficient):
            raise ValueError(f"{quoted}: a number is out of range")
        key = names[0] if names else ""
        out[key] = out.get(key, 0.0) + coefficient
        if i < n and tokens[i][1] not in ("+", "-"):
            raise ValueError(f"{quoted}: expected + or - before {tokens[i][1]!r}")
    return out


def _linear_expression(coefficients: dict[str, float]) -> str:
    """``{"SN": 1, "MEMA": -2}`` -> ``SN - 2*MEMA``."""
    out = ""
    for name, c in coefficients.items():
        term = name if abs(c) == 1 else f"{abs(c):g}*{name}"
        out = ("-" if c < 0 else "") + term if not out else out + (" - " if c < 0 else " + ") + term
    return out or "0"


def _fail_at_all(errors: list[tuple[tuple[str, ...], str, Any]]) -> NoReturn:
    """Like :func:`_fail_at` for several (loc, reason, value) problems at once, one line each."""
    details = [
        InitErrorDetails(type=PydanticCustomError("value_error", "{reason}", {"reason": reason}), loc=loc, input=value)
        for loc, reason, value in errors
    ]
    raise ValidationError.from_exception_data("spec", details)


def _check_linear_constraints(spec: CampaignSpec) -> None:
    """Parse every constraint (each problem on its own line), then check with linear programs
    (scipy's HiGHS) that the bounds, the mixture total and the constraints leave a formulation, and
    one on the rounding lattice (mixture ``resolution``, parameter resolutions)."""
    variables = spec.components + list(spec.continuous)
    errors = []
    parsed: list[LinearConstraint] = []
    for i, text in enumerate(spec.constraints):
        try:
            parsed.append(parse_constraint(text, variables, list(spec.categorical)))
        except ValueError as exc:
            errors.append(((f"constraints[{i}]",), str(exc), text))
    if errors:
        _fail_at_all(errors)
    if not parsed:
        return
    lp = _ConstraintLP(spec)
    for i, con in enumerate(parsed):
        if not con.coefficients:
            if con.rhs < 0:
                reason = f'"{con.text}" can never hold (no variable is left once its terms cancel)'
                _fail_at((f"constraints[{i}]",), reason, con.text)
            continue
        low, high = lp.range_of(con.coefficients)
        if low > con.rhs + lp.slack(con):
            flip = ">=" in con.text
            expr = _linear_expression({v: -c for v, c in con.coefficients.items()} if flip else con.coefficients)
            lo_, hi_ = (-high, -low) if flip else (low, high)
            _fail_at(
                (f"constraints[{i}]",),
                f'no formulation within the bounds satisfies "{con.text}": {expr} ranges over '
                f"[{lo_:g}, {hi_:g}] there (needs {'>=' if flip else '<='} {-con.rhs if flip else con.rhs:g})",
                con.text,
            )
    for j in range(2, len(parsed) + 1):
        if not lp.feasible(parsed[:j]):
            before = ", ".join(f'"{c.text}"' for c in parsed[: j - 1])
            _fail_at(
                (f"constraints[{j - 1}]",),
                f'"{parsed[j - 1].text}" cannot hold together with {before} within the bounds: '
                "no formulation satisfies them all",
                parsed[j - 1].text,
            )
    if not lp.feasible(parsed, lattice=True):
        _fail_at(
            ("constraints",),
            "the region the constraints leave holds no point of the rounding lattice (mixture "
            f"resolution {spec.mixture.step:g} {spec.mixture.unit}, parameter resolutions), so no "
            "proposal could satisfy them; relax them or use a finer resolution",
            spec.constraints,
        )


class _ConstraintLP:
    """Linear programs over the numeric variables (components, then continuous parameters) in
    declared units: bounds, Σ components = total, and linear constraints."""

    def __init__(self, spec: CampaignSpec) -> None:
        self.names = spec.components + list(spec.continuous)
        k = len(spec.components)
        self.bounds = [spec.mixture.bounds(c) for c in spec.components]
        self.bounds += [(p.min, p.max) for p in spec.continuous.values()]
        self.A_eq = np.array([[1.0] * k + [0.0] * (len(self.names) - k)])
        self.b_eq = np.array([spec.mixture.total])
        step = spec.mixture.step
        # lattice units: value = scale·z, z integer for the mixture and parameters with a resolution
        self.scale = np.array(
            [step] * k + [p.resolution if p.resolution is not None else 1.0 for p in spec.continuous.values()]
        )
        self.integral = np.array([1] * k + [int(p.resolution is not None) for p in spec.continuous.values()])

    def row(self, coefficients: dict[str, float]) -> np.ndarray:
        return np.array([coefficients.get(v, 0.0) for v in self.names])

    def slack(self, con: LinearConstraint) -> float:
        """Tolerance on ``Σ a·v <= rhs``: 1e-9 of the constraint's magnitude over the bounds."""
        size = sum(abs(c) * max(abs(lo), abs(hi)) for c, (lo, hi) in zip(self.row(con.coefficients), self.bounds))
        return 1e-9 * max(1.0, abs(con.rhs), size)

    def range_of(self, coefficients: dict[str, float]) -> tuple[float, float]:
        """Min and max of Σ a·v over the bounded simplex x parameter box."""
        a = self.row(coefficients)
        out = []
        for sign in (1.0, -1.0):
            res = linprog(sign * a, A_eq=self.A_eq, b_eq=self.b_eq, bounds=self.bounds, method="highs")
            out.append(sign * res.fun)
        return out[0], out[1]

    def feasible(self, constraints: list[LinearConstraint], lattice: bool = False) -> bool:
        A = np.array([self.row(c.coefficients) for c in constraints])
        b = np.array([c.rhs + self.slack(c) for c in constraints])
        if not lattice:
            res = linprog(
                np.zeros(len(self.names)),
                A_ub=A,
                b_ub=b,
                A_eq=self.A_eq,
                b_eq=self.b_eq,
                bounds=self.bounds,
                method="highs",
            )
            return bool(res.status == 0)
        s = self.scale
        lo = np.array([lo for lo, _ in self.bounds]) / s
        hi = np.array([hi for _, hi in self.bounds]) / s
        lo = np.where(self.integral == 1, np.ceil(lo - 1e-9), lo)
        hi = np.where(self.integral == 1, np.floor(hi + 1e-9), hi)
        cons = [_LinearRows(A * s, -np.inf, b), _LinearRows(self.A_eq * s, self.b_eq, self.b_eq)]
        res = milp(np.zeros(len(s)), constraints=cons, integrality=self.integral, bounds=Bounds(lo, hi))
        return bool(res.status == 0)


# --- loading ---------------------------------------------------------------------------------
def load_spec(source: str | Path | dict[str, Any]) -> CampaignSpec:
    """Load and validate a campaign file (TOML path) or an already parsed dict.

    Raises :class:`SpecError` whose message names the file and each offending key.
    """
    if isinstance(source, dict):
        return parse_spec(source, origin="campaign")
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: campaign file not found") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read campaign file ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    return parse_spec(data, origin=str(path))


def parse_spec(data: dict[str, Any], origin: str = "campaign") -> CampaignSpec:
    """Validate a parsed campaign dict; errors are prefixed with ``origin``."""
    if "version" not in data:
        raise SpecError(f"{origin}: version: missing; the first line should be 'version = {SPEC_VERSION}'")
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc, origin)) from None


def format_validation_error(exc: ValidationError, origin: str) -> str:
    """One line per problem: ``origin: dotted.key: reason``."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"] if p not in ("continuous", "categorical")]
        key = ".".join(loc)
        msg = err["msg"].removeprefix("Value error, ")
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = ".".join(loc[:-1])
            msg = f"unknown key{' in [' + parent + ']' if parent else ''}; allowed: {_allowed_keys(loc[:-1])}"
        elif kind == "missing":
            msg = "missing (required)"
        elif kind == "too_short" and loc == ["objectives"]:
            msg = "at least one [[objectives]] table is required"
        elif kind == "list_type" and loc == ["outcome_constraints"]:
            msg = "expected [[outcome_constraints]] tables (double brackets), one per constrained quantity"
        lines.append(f"{origin}: {key}: {msg}" if key else f"{origin}: {msg}")
    return "\n".join(lines)


def _allowed_keys(loc: list[str]) -> str:
    model: Any = CampaignSpec
    tables = {
        "mixture": MixtureSpec,
        "recipe": RecipeSpec,
        "strategy": StrategySpec,
        "objectives": ObjectiveSpec,
        "feasibility": FeasibilitySpec,
        "outcome_constraints": OutcomeConstraintSpec,
    }
    if loc:
        model = tables.get(loc[0])
        if loc[0] == "mixture" and len(loc) == 3:
            model = ComponentBounds
        elif loc[0] == "parameters" and len(loc) == 2:
            return "min, max, resolution, unit (continuous) or choices (categorical)"
        elif loc[0] == "recipe" and len(loc) == 3:
            model = SplitSpec
        elif loc[0] == "objectives" and len(loc) == 2:
            model = ObjectiveSpec
        elif loc[0] == "outcome_constraints" and len(loc) == 2:
            model = OutcomeConstraintSpec
    if model is None:
        return "see campaigns/README.md"
    return ", ".join(model.model_fields)


def example_spec_path() -> Path:
    """Path of the campaign file shipped with the package (the paper's system)."""
    return Path(__file__).parent / "data" / "llzt-cse.toml"
