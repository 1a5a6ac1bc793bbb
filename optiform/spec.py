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
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, Union

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

SPEC_VERSION = 1
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
RESERVED_COLUMNS = frozenset({"id", "replicate", "status", "note", "source", "batch", "strategy"})
STRATEGY_NAMES = ("botorch", "random", "sobol")  # = optiform.strategies.STRATEGIES (tested)

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


class SpecError(ValueError):
    """A campaign file (or spec dict) that does not satisfy the schema; the message names each key."""


class _Strict(BaseModel):
    # TOML has nan and inf literals: no number in a campaign file may be one.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ComponentBounds(_Strict):
    """Bounds of one mixture component, in the mixture's unit."""

    min: float = 0.0
    max: float | None = None  # None -> the mixture total

    @model_validator(mode="after")
    def _ordered(self) -> "ComponentBounds":
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
    def _feasible(self) -> "MixtureSpec":
        total, step = self.total, self.step
        if not _is_multiple(total, step):
            raise ValueError(f"resolution {step:g} must divide total {total:g}")
        lo = hi = 0.0
        for name, b in self.components.items():
            upper = total if b.max is None else b.max
            if b.min < 0 or upper > total:
                _fail_at(
                    ("components", name), f"bounds must lie in [0, {total:g}] (got [{b.min:g}, {upper:g}])", b
                )
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
        hi_steps = sum(
            math.floor((total if b.max is None else b.max) / step + 1e-9) for b in self.components.values()
        )
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
    def _ordered(self) -> "ContinuousParameter":
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
    Union[
        Annotated[ContinuousParameter, Tag("continuous")],
        Annotated[CategoricalParameter, Tag("categorical")],
    ],
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
        for chem, value in (v.items() if isinstance(v, dict) else ()):
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
    def _cross_checks(self) -> "CampaignSpec":
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
        return self

    # --- convenience views -------------------------------------------------------------------
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
    if model is None:
        return "see campaigns/README.md"
    return ", ".join(model.model_fields)


def example_spec_path() -> Path:
    """Path of the campaign file shipped with the package (the paper's system)."""
    return Path(__file__).parent / "data" / "llzt-cse.toml"
