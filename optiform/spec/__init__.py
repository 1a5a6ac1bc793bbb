"""Campaign file schema: plain, versioned data (pydantic) loaded from TOML.

A campaign file declares the mixture (components and their bounds in the mixture's unit), the other
variables, the objectives and, optionally, the recipe and the strategy. The spec holds no behaviour
beyond validation; :mod:`optiform.space` and :mod:`optiform.recipe` act on it. A spec round-trips
through JSON (``spec.model_dump_json()`` / ``CampaignSpec.model_validate_json``), which is how the
store keeps it.

Every error names the key and the reason, e.g.::

    campaign.toml: mixture.components.SN.min: min must be <= max (got min=80, max=70)

Modules: :mod:`~optiform.spec.mixture`, :mod:`~optiform.spec.parameters`,
:mod:`~optiform.spec.objectives` (objectives, outcome constraints, feasibility),
:mod:`~optiform.spec.recipe`, :mod:`~optiform.spec.model`, :mod:`~optiform.spec.strategy` (the
strategy table, each strategy's typed options and the registry of strategies),
:mod:`~optiform.spec.constraints` (the linear-constraint parser), :mod:`~optiform.spec.campaign`
(the whole file and its cross-checks) and :mod:`~optiform.spec.loading` (TOML -> spec, errors).
"""

from ..errors import SpecError
from .base import NAME_PATTERN, RESERVED_COLUMNS, SPEC_VERSION
from .campaign import TEMPERATURE_RANGE_TEXT, CampaignSpec, is_temperature_C
from .constraints import LinearConstraint, parse_constraint
from .loading import example_spec_path, format_validation_error, load_spec, parse_spec
from .mixture import ComponentBounds, MixtureSpec
from .model import ModelSpec
from .objectives import UNIT_SUFFIXES, FeasibilitySpec, ObjectiveSpec, OutcomeConstraintSpec
from .parameters import CategoricalParameter, ContinuousParameter, Parameter
from .recipe import RecipeSpec, SplitSpec
from .strategy import (
    STRATEGY_NAMES,
    STRATEGY_REGISTRY,
    BotorchDefaultsOptions,
    BotorchOptions,
    GridOptions,
    OptunaGPOptions,
    OptunaTPEOptions,
    RandomOptions,
    SobolOptions,
    StrategyInfo,
    StrategyOptions,
    StrategySpec,
    strategy_options,
)

_UNIT_SUFFIXES = UNIT_SUFFIXES  # the name optiform.plots reads

__all__ = [
    "NAME_PATTERN",
    "RESERVED_COLUMNS",
    "SPEC_VERSION",
    "STRATEGY_NAMES",
    "STRATEGY_REGISTRY",
    "TEMPERATURE_RANGE_TEXT",
    "UNIT_SUFFIXES",
    "BotorchDefaultsOptions",
    "BotorchOptions",
    "CampaignSpec",
    "CategoricalParameter",
    "ComponentBounds",
    "ContinuousParameter",
    "FeasibilitySpec",
    "GridOptions",
    "LinearConstraint",
    "MixtureSpec",
    "ModelSpec",
    "ObjectiveSpec",
    "OptunaGPOptions",
    "OptunaTPEOptions",
    "OutcomeConstraintSpec",
    "Parameter",
    "RandomOptions",
    "RecipeSpec",
    "SobolOptions",
    "SpecError",
    "SplitSpec",
    "StrategyInfo",
    "StrategyOptions",
    "StrategySpec",
    "example_spec_path",
    "format_validation_error",
    "is_temperature_C",
    "load_spec",
    "parse_constraint",
    "parse_spec",
    "strategy_options",
]
