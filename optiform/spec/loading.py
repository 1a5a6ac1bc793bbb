"""Loading a campaign file: TOML -> :class:`CampaignSpec`, with every validation error as one line
``origin: dotted.key: reason``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import SpecError
from .base import SPEC_VERSION
from .campaign import CampaignSpec
from .mixture import ComponentBounds, MixtureSpec
from .objectives import FeasibilitySpec, ObjectiveSpec, OutcomeConstraintSpec
from .recipe import RecipeSpec, SplitSpec
from .strategy import StrategySpec


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
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the campaign file as UTF-8 (a TOML file is UTF-8)"
        ) from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read campaign file ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise SpecError(f"{path}: not a campaign file: arrays or tables nested too deeply") from None
    return parse_spec(data, origin=str(path))


def parse_spec(data: dict[str, Any], origin: str = "campaign") -> CampaignSpec:
    """Validate a parsed campaign dict; errors are prefixed with ``origin``."""
    if "version" not in data:
        raise SpecError(f"{origin}: version: missing; the first line should be 'version = {SPEC_VERSION}'")
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc, origin)) from None
    except RecursionError:
        raise SpecError(f"{origin}: not a campaign file: values nested too deeply") from None


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
        elif kind in _STRICT_TYPES:  # strict: no value is converted; say what was written
            msg = f"{msg}, got {_toml_value(err.get('input'))}"
        lines.append(f"{origin}: {key}: {msg}" if key else f"{origin}: {msg}")
    return "\n".join(lines)


_STRICT_TYPES = ("float_type", "int_type", "string_type", "list_type", "dict_type", "bool_type")


def _toml_value(value: Any) -> str:
    """A value as TOML writes it (``true``, ``"5"``, ``3.5``), shortened for a message."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, dict):
        text = "a table"
    elif isinstance(value, list):
        text = "an array"
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _allowed_keys(loc: list[str]) -> str:
    model: type[BaseModel] | None = CampaignSpec
    tables: dict[str, type[BaseModel]] = {
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
            return "min, max, resolution, unit, existing (continuous) or choices, existing (categorical)"
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
    return Path(__file__).parent.parent / "data" / "llzt-cse.toml"
