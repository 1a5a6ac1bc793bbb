"""What every table of the campaign file shares: the strict model base, name rules and the helpers
that put a validation error at a key."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

SPEC_VERSION = 1
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
MAX_NAME_LENGTH = 100  # characters of a campaign, variable, quantity or choice name
RESERVED_COLUMNS = frozenset({"id", "replicate", "status", "note", "source", "batch", "strategy", "outside"})

Loc = tuple[str | int, ...]


class StrictModel(BaseModel):
    """A table of the campaign file: unknown keys are errors, values are frozen, and values are not
    converted (strict): a number is a number (``true`` or ``"5"`` where one is expected is an
    error), a string a string. TOML has nan and inf literals: no number in a campaign file may be
    one."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


def check_name(name: str) -> str:
    """``name`` if it is a valid variable or quantity name, else ValueError saying why."""
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"{name[:20]!r}... is {len(name)} characters long; a name has at most {MAX_NAME_LENGTH}")
    if not re.match(NAME_PATTERN, name):
        raise ValueError(f"{name!r} is not a valid name (letters, digits and _, not starting with a digit)")
    if name in RESERVED_COLUMNS:
        raise ValueError(f"{name!r} is reserved for a column of optiform's tables")
    return name


def check_names(table: Iterable[str]) -> None:
    """Check every key of a table of variables; the error points at the offending key."""
    for name in table:
        try:
            check_name(name)
        except ValueError as exc:
            fail_at((name,), str(exc), name)


def fail_at(loc: Loc, reason: str, value: Any) -> NoReturn:
    """Raise a validation error at ``loc`` below the model being validated (a plain ValueError from
    a model validator would point at the whole table)."""
    fail_at_all([(loc, reason, value)])


def fail_at_all(errors: Sequence[tuple[Loc, str, Any]]) -> NoReturn:
    """Like :func:`fail_at` for several (loc, reason, value) problems at once, one line each."""
    details = [
        InitErrorDetails(type=PydanticCustomError("value_error", "{reason}", {"reason": reason}), loc=loc, input=value)
        for loc, reason, value in errors
    ]
    raise ValidationError.from_exception_data("spec", details)


def is_multiple(total: float, step: float) -> bool:
    """Whether ``total`` is a whole multiple of ``step`` (relative tolerance 1e-9)."""
    ratio = total / step
    return abs(ratio - round(ratio)) < 1e-9 * max(1.0, ratio)


def lattice_in(lo: float, hi: float, step: float) -> bool:
    """Whether some multiple of ``step`` lies in [lo, hi] (same tolerance as the rounding)."""
    return math.ceil(lo / step - 1e-9) <= math.floor(hi / step + 1e-9)


def is_number(value: Any) -> bool:
    """A finite int or float that is not a boolean."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
