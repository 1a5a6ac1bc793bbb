"""Known linear constraints as written in the campaign file (``constraints = ["SN - 2*MEMA <= 10"]``):
the text parser, text -> coefficients of ``Σ a_v·v <= rhs``."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import SpecError


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
    Raises :class:`~optiform.errors.SpecError` naming what is wrong.
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
            raise SpecError(
                f"cannot read {quoted} at {rest[:12]!r}{': ' + hint if hint else ''}; "
                f"expected a linear inequality like {_CONSTRAINT_EXAMPLE}"
            )
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    comparators = [i for i, (kind, value) in enumerate(tokens) if value in ("<=", ">=")]
    if len(comparators) != 1:
        raise SpecError(
            f"{quoted} needs exactly one <= or >= (found {len(comparators)}); "
            f"expected a linear inequality like {_CONSTRAINT_EXAMPLE}"
        )
    cut = comparators[0]
    left = _parse_linear_side(tokens[:cut], quoted, variables, categorical)
    right = _parse_linear_side(tokens[cut + 1 :], quoted, variables, categorical)
    if not (set(left) | set(right)) - {""}:
        raise SpecError(f"{quoted} names no variable; expected one of {', '.join(variables)}")
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
        raise SpecError(
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
                    raise SpecError(f"{quoted}: expected a number or a variable name, got {value!r}")
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
            raise SpecError(f"{quoted}: a side ends with an operator; expected a number or a variable name")
        names = [value for kind, value in factors if kind == "name"]
        if len(names) > 1:
            raise SpecError(f"{quoted} is not linear: {'*'.join(names)} multiplies variables")
        for name in names:
            if name in categorical:
                raise SpecError(
                    f"{name!r} in {quoted} is a categorical parameter; constraints take mixture components "
                    f"and continuous parameters: {', '.join(variables)}"
                )
            if name not in variables:
                raise SpecError(f"unknown variable {name!r} in {quoted}; expected one of {', '.join(variables)}")
        coefficient = sign * math.prod(float(value) for kind, value in factors if kind == "num")
        if not math.isfinite(coefficient):
            raise SpecError(f"{quoted}: a number is out of range")
        key = names[0] if names else ""
        out[key] = out.get(key, 0.0) + coefficient
        if i < n and tokens[i][1] not in ("+", "-"):
            raise SpecError(f"{quoted}: expected + or - before {tokens[i][1]!r}")
    return out


def linear_expression(coefficients: dict[str, float]) -> str:
    """``{"SN": 1, "MEMA": -2}`` -> ``SN - 2*MEMA``."""
    out = ""
    for name, c in coefficients.items():
        term = name if abs(c) == 1 else f"{abs(c):g}*{name}"
        out = ("-" if c < 0 else "") + term if not out else out + (" - " if c < 0 else " + ") + term
    return out or "0"
