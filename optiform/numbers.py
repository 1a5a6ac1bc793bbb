"""Numbers only as numbers: one cell or value read as a number, refusing what only looks like one
(and numbers rounded for people to read: :func:`significant`).

Used wherever a number a user wrote enters optiform (results tables, manifests, ``amend --set``,
``propose --fix``): a boolean, a date, ``1,234`` or ``0,61`` (a thousands separator or a decimal
comma), ``1_000``, non-ASCII digits, ``inf``/``nan`` and numbers beyond the float range (``1e309``)
are refused with the reason; ``0.61``, ``-5``, ``+.5`` and ``1e3`` are numbers.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DECIMAL_HINT", "parse_number", "shown", "significant"]

DECIMAL_HINT = "use a '.' decimal point and no thousands separator"
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # ASCII digits only
_NON_FINITE = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
_BOOLEAN_WORDS = ("true", "false")


def shown(raw: Any) -> str:
    """A cell for a message: text quoted as written (``'1,234'``), anything else as Python shows it."""
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        return f"{raw} (a date cell)" if not isinstance(raw, dt.timedelta) else f"{raw} (a duration cell)"
    return repr(raw) if isinstance(raw, str) else str(raw)


def parse_number(raw: Any, expected: str = "a number") -> tuple[float | None, str]:
    """``(value, "")`` when ``raw`` is a finite number (an int or float, or text such as ``0.61``,
    ``-5`` or ``1e3``), else ``(None, reason)`` with ``reason`` like ``expected a number in mS/cm,
    got '1,234' (use a '.' decimal point and no thousands separator)``. Booleans, dates, text
    with a ',' or '_', and non-finite numbers (also ``1e309``, beyond the float range) are refused;
    ``expected`` names what was expected (with its unit)."""
    got = f"got {shown(raw)}"
    if isinstance(raw, (bool, np.bool_)):
        return None, f"expected {expected}, {got} (a boolean)"
    if isinstance(raw, (int, np.integer)):
        try:
            value = float(raw)
        except OverflowError:
            return None, f"expected a finite number, {got} (beyond the float range, about 1.8e308)"
        return value, ""
    if isinstance(raw, (float, np.floating)):
        value = float(raw)
        if not math.isfinite(value):
            return None, f"expected a finite number, {got}"
        return value, ""
    if not isinstance(raw, str):
        return None, f"expected {expected}, {got}"
    text = raw.strip()
    if _NUMBER.fullmatch(text):
        value = float(text)
        if not math.isfinite(value):
            return None, f"expected a finite number, {got} (beyond the float range, about 1.8e308)"
        return value, ""
    if _NON_FINITE.fullmatch(text):
        return None, f"expected a finite number, {got}"
    if text.lower() in _BOOLEAN_WORDS:
        return None, f"expected {expected}, {got} (a boolean)"
    if "," in text and _NUMBER.fullmatch(text.replace(",", "")):
        return None, f"expected {expected}, {got} ({DECIMAL_HINT})"
    if "_" in text and _NUMBER.fullmatch(text.replace("_", "")):
        return None, f"expected {expected}, {got} (write it without '_')"
    return None, f"expected {expected}, {got}"


def significant(values: Any, digits: int = 4) -> Any:
    """``values`` (a number, array or Series) rounded to ``digits`` significant digits (NaN, inf
    and 0 kept)."""
    x = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.where(np.isfinite(x) & (x != 0), np.floor(np.log10(np.abs(x))), 0)
    factor = 10.0 ** (digits - 1 - magnitude)
    rounded = np.where(np.isfinite(x), np.round(x * factor) / factor, x)
    if isinstance(values, pd.Series):
        return pd.Series(rounded, index=values.index, name=values.name)
    return rounded if x.ndim else float(rounded)
