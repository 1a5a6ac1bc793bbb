"""``[strategy]``: which strategy proposes, its options, and the registry of strategies.

Each strategy's options are one pydantic model (:class:`BotorchOptions`, :class:`GridOptions`, and
one without fields for each strategy that takes none). :data:`STRATEGY_REGISTRY` maps a strategy's
name to its options model and a one-line description; it is the one list of strategy names, read
by the spec, the command line and the benchmarks (:mod:`optiform.strategies` maps the same names to
the classes that propose).

``[strategy] options`` is kept as written (a table; a spec round-trips through JSON with only the
options the user set) and checked against the strategy's model when the campaign is loaded: an
unknown key or a bad value is an error naming ``strategy.options.<key>``.
:meth:`StrategyOptions.from_options` builds the typed options for a strategy at run time and raises
:class:`~optiform.errors.StrategyError` instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..errors import StrategyError
from .base import StrictModel, fail_at_all

OPTIMIZERS = ("projected", "scipy")
ACQUISITIONS = ("greedy", "qlognei")
DEFAULT_GRID_STEP = 10.0  # in the mixture's unit (10 wt%: the paper's grid)

OptionProblem = tuple[str, str, Any]  # (option, reason, value given)


# --- option checks with one message each ------------------------------------------------------
def _problem(reason: str) -> PydanticCustomError:
    return PydanticCustomError("strategy_option", "{reason}", {"reason": reason})


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _one_of(choices: tuple[str, ...]) -> BeforeValidator:
    def check(value: Any) -> Any:
        if value not in choices:
            raise _problem(f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    return BeforeValidator(check)


def _whole(minimum: int, expected: str, maximum: int) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise _problem(f"must be {expected}, got {value!r}")
        if value > maximum:  # a slip (an extra digit), not a setting: it would exhaust the memory
            raise _problem(f"must be {expected} up to {maximum}, got {value!r}")
        return value

    return BeforeValidator(check)


def _real(ok: Callable[[float], bool], expected: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if not (_number(value) and ok(float(value))):
            raise _problem(f"must be {expected}, got {value!r}")
        return value

    return BeforeValidator(check)


# --- the options models -------------------------------------------------------------------------
class StrategyOptions(BaseModel):
    """Base of every strategy's options model: unknown options are errors, values are frozen.

    ``model_dump(exclude_unset=True)`` gives the options as the user set them."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    strategy: ClassVar[str]

    @classmethod
    def problems(cls, options: Mapping[str, Any]) -> list[OptionProblem]:
        """Every problem of ``options`` as (option, reason, value): unknown options first (in the
        order given), then bad values (in the model's field order); empty when they are valid."""
        unknown = [key for key in options if key not in cls.model_fields]
        out: list[OptionProblem] = [(key, cls._unknown_reason(), options[key]) for key in unknown]
        try:
            cls.model_validate({k: v for k, v in options.items() if k in cls.model_fields})
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                key = str(err["loc"][0]) if err["loc"] else ""
                out.append((key, err["msg"], err.get("input")))
        return out

    @classmethod
    def _unknown_reason(cls) -> str:
        if not cls.model_fields:
            return f"the {cls.strategy} strategy takes no options"
        return f"unknown option of the {cls.strategy} strategy; expected {', '.join(cls.model_fields)}"

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None = None) -> Self:
        """The typed options; a StrategyError naming the option and what was expected otherwise."""
        given = dict(options or {})
        problems = cls.problems(given)
        if problems:
            raise StrategyError(cls.message(problems, given))
        return cls.model_validate(given)

    @classmethod
    def message(cls, problems: list[OptionProblem], options: Mapping[str, Any]) -> str:
        """The error for ``problems`` when the strategy is built (one line per bad value)."""
        unknown = [key for key in options if key not in cls.model_fields]
        if unknown:
            return f"strategy.options: unknown option(s) {', '.join(unknown)} for {cls.strategy}; allowed: {', '.join(cls.model_fields)}"
        return "\n".join(f"strategy.options.{key}: {reason}" for key, reason, _ in problems)

    def given(self) -> dict[str, Any]:
        """The options the user set (not the defaults)."""
        return self.model_dump(exclude_unset=True)


class BotorchOptions(StrategyOptions):
    """Options of the default strategy (``botorch``): GP + botorch acquisition after a
    space-filling design (:mod:`optiform.strategies.bo`)."""

    strategy: ClassVar[str] = "botorch"

    optimizer: Annotated[Literal["projected", "scipy"], _one_of(OPTIMIZERS)] = "projected"
    """Acquisition maximizer: ``projected`` (batched projected gradient ascent) or ``scipy``
    (plain botorch: ``optimize_acqf_mixed`` with SLSQP, qLogNEI with feasibility as a constraint)."""
    acquisition: Annotated[Literal["greedy", "qlognei"], _one_of(ACQUISITIONS)] = "greedy"
    """``greedy`` (qLogNEI weighted by P(feasible)^feasibility_power) or ``qlognei`` (botorch's
    qLogNEI with feasibility as an outcome constraint)."""
    num_restarts: Annotated[int, _whole(1, "a positive whole number", 10_000)] = 8
    """Starting q-batches the optimizer ascends from."""
    raw_samples: Annotated[int, _whole(1, "a positive whole number", 1_000_000)] = 256
    """Space-filling points the starting batches are picked from (per categorical combination)."""
    maxiter: Annotated[int, _whole(1, "a positive whole number", 1_000_000)] = 200
    """Iterations of projected ascent per restart."""
    feasibility_power: Annotated[float, _real(lambda v: 0.0 <= v < math.inf, "a number >= 0")] = 7.0
    """α: each point's improvement is weighted by P(feasible)^α (dimensionless)."""
    exploit: Annotated[int, _whole(0, "a whole number of points >= 0", 10_000)] = 1
    """Points of a batch (of two or more, one objective, no outcome constraints) that are the best
    predicted lattice formulations with P(feasible) >= exploit_min_probability; at most n - 1."""
    exploit_min_probability: Annotated[float, _real(lambda v: 0.0 < v < 1.0, "between 0 and 1")] = 0.5
    """Least P(feasible) of an exploitation point."""
    exploit_beta: Annotated[float, _real(lambda v: 0.0 <= v < math.inf, "a number >= 0")] = 0.0
    """β: an exploitation point maximizes the posterior mean plus β posterior standard deviations
    (model scale; 0: the best predicted formulation)."""
    explore: Annotated[int, _whole(0, "a whole number of points >= 0", 10_000)] = 0
    """Points of such a batch drawn by Thompson sampling: each the maximizer of one posterior sample
    of the objective over a space-filling pool (P(feasible) >= exploit_min_probability); at most
    n - 1 - exploit."""
    explore_pool: Annotated[int, _whole(16, "a whole number >= 16", 100_000)] = 1024
    """Space-filling points a Thompson sample is drawn over (per categorical combination)."""
    min_spacing: Annotated[float, _real(lambda v: 0.0 <= v < math.inf, ">= 0 rounding steps")] = 0.0
    """Least distance of a proposal from any made, pending or batch-mate formulation, in rounding
    steps of every variable (0: not the same lattice point)."""
    min_probability: Annotated[float, _real(lambda v: 0.0 <= v < 1.0, "within [0, 1)")] = 0.6
    """Floor on P(feasible): acquisition values below it are penalised by 100 per unit of ln P
    (0: no floor; only with ``[feasibility]``)."""

    @classmethod
    def message(cls, problems: list[OptionProblem], options: Mapping[str, Any]) -> str:
        unknown = sorted(key for key in options if key not in cls.model_fields)
        if unknown:
            return f"botorch strategy: unknown option(s) {', '.join(unknown)}; expected {', '.join(cls.model_fields)}"
        return "\n".join(f"botorch strategy: {key} {reason}" for key, reason, _ in problems)


class GridOptions(StrategyOptions):
    """Options of the ``grid`` strategy: a regular mixture grid, the other variables held
    (:mod:`optiform.strategies.grid`)."""

    strategy: ClassVar[str] = "grid"

    step: float = DEFAULT_GRID_STEP
    """Grid step in the mixture's unit (a multiple of ``mixture.resolution``, at least twice it)."""
    fixed: dict[str, Any] | None = None
    """Value of each variable that is not a mixture component (default: a continuous parameter's
    midpoint rounded to its resolution, a categorical parameter's first choice)."""

    @field_validator("step", mode="before")
    @classmethod
    def _step(cls, value: Any) -> Any:
        if not (_number(value) and math.isfinite(value) and value > 0):
            raise _problem(f"expected a positive number (mixture unit), got {value!r}")
        return value

    @field_validator("fixed", mode="before")
    @classmethod
    def _table(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            raise _problem(f"expected a table of variable = value, got {value!r}")
        return value


class _NoOptions(StrategyOptions):
    """A strategy that takes no options: any given is an error (a misspelt option of the default
    strategy, say, must not silently run this one unchanged)."""

    @classmethod
    def message(cls, problems: list[OptionProblem], options: Mapping[str, Any]) -> str:
        return f"strategy.options: {cls.strategy} takes no options (got {', '.join(options)})"


class RandomOptions(_NoOptions):
    strategy: ClassVar[str] = "random"


class SobolOptions(_NoOptions):
    strategy: ClassVar[str] = "sobol"


class OptunaTPEOptions(_NoOptions):
    strategy: ClassVar[str] = "optuna-tpe"


class OptunaGPOptions(_NoOptions):
    strategy: ClassVar[str] = "optuna-gp"


class BotorchDefaultsOptions(_NoOptions):
    strategy: ClassVar[str] = "botorch-defaults"


# --- the registry -------------------------------------------------------------------------------
@dataclass(frozen=True)
class StrategyInfo:
    """A strategy's options model and a one-line description."""

    options: type[StrategyOptions]
    description: str


STRATEGY_REGISTRY: dict[str, StrategyInfo] = {
    "botorch": StrategyInfo(BotorchOptions, "space-filling design, then a GP and a botorch acquisition (the default)"),
    "random": StrategyInfo(RandomOptions, "uniform random points of the constrained space"),
    "sobol": StrategyInfo(SobolOptions, "a scrambled Sobol space-filling design"),
    "grid": StrategyInfo(
        GridOptions, "a regular mixture grid at a chosen step, other variables held (the paper's way)"
    ),
    "optuna-tpe": StrategyInfo(OptunaTPEOptions, "optuna's multivariate TPE sampler"),
    "optuna-gp": StrategyInfo(OptunaGPOptions, "optuna's GP sampler"),
    "botorch-defaults": StrategyInfo(
        BotorchDefaultsOptions,
        "a benchmark peer: the same design, then botorch's defaults (SingleTaskGP, qLogNEI, optimize_acqf)",
    ),
}
STRATEGY_NAMES = tuple(STRATEGY_REGISTRY)


def strategy_options(name: str, options: Mapping[str, Any] | None = None) -> StrategyOptions:
    """The typed options of strategy ``name``; StrategyError for an unknown name or bad options."""
    if name not in STRATEGY_REGISTRY:
        raise StrategyError(f"unknown strategy {name!r}; expected one of {', '.join(STRATEGY_NAMES)}")
    return STRATEGY_REGISTRY[name].options.from_options(options)


# --- [strategy] -----------------------------------------------------------------------------------
class StrategySpec(StrictModel):
    """Which strategy proposes, and how many space-filling points come before the model."""

    name: str = "botorch"
    n_initial: int | None = Field(default=None, ge=1, le=100_000)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in STRATEGY_NAMES:
            raise ValueError(f"unknown strategy {v!r}; expected one of {', '.join(STRATEGY_NAMES)}")
        return v

    @model_validator(mode="after")
    def _options(self) -> StrategySpec:
        problems = STRATEGY_REGISTRY[self.name].options.problems(self.options)
        if problems:
            fail_at_all([(("options", key), reason, value) for key, reason, value in problems])
        return self

    @property
    def typed_options(self) -> StrategyOptions:
        """``options`` as the strategy's options model (defaults filled in)."""
        return strategy_options(self.name, self.options)
