"""Property-based fault injection (hypothesis): results tables with random cells in the numeric
column are either refused with a DataError, storing nothing, or stored exactly as the number
written; campaign files with random mutations of a valid file either load or raise SpecError,
never another exception."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
import string
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optiform import Campaign
from optiform.errors import DataError, SpecError
from optiform.space import Space
from optiform.spec import CampaignSpec, load_spec

OBJ = "conductivity_mS_cm"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PLAIN = set(string.digits + ".eE+-")  # the characters of a number written plainly


@pytest.fixture
def campaign(make_campaign: Any, small_spec: Path) -> Campaign:
    """The "small" campaign with six proposals, three measured (0.4, 0.5, 0.6 mS/cm)."""
    c = make_campaign(small_spec)
    batch = c.propose(6, strategy="sobol")
    c.record(pd.DataFrame({"id": batch["id"][:3], OBJ: [0.4, 0.5, 0.6]}))
    return c


def stored(c: Campaign) -> list[tuple[str, int, dict[str, float]]]:
    m = c.store.measurements(c.id)
    return list(zip(m["label"], m["replicate"], m["values"]))


def plausible_text() -> st.SearchStrategy[tuple[str, str]]:
    """('number', text) for a plausible conductivity written in one of the ways people write it."""
    formats = st.sampled_from(["{:.6g}", "{:.3e}", "{:.4f}", "+{:.5g}", "{:.2E}", " {:.6g} "])
    return st.tuples(st.floats(0.2, 0.8), formats).map(lambda p: ("number", p[1].format(p[0])))


JUNK_WORDS = [
    "True",
    "false",
    "TRUE",
    "1,234",
    "0,61",
    "1.234,5",
    "1_000",
    "0_5",
    "inf",
    "-inf",
    "Infinity",
    "nan",
    "NaN",
    "1e309",
    "-1e400",
    "",
    " ",
    "0.5 mS",
    "5e-1",
    "+.5",
    ".5",
    "5.",
    "0x1p-1",
    "\u00bd",
    "\u0665",
    "0.5.1",
    "1e",
    "--1",
    "#0.5",
    "0.5#",
    "'0.5",
    "5%",
    "1e3",
    "0",
    "-0.5",
    "\u22120.5",
    "0,5e-1",
    "=0.5",
    "0.5\n0.6",
]
CELLS = st.one_of(
    plausible_text(),
    st.sampled_from(JUNK_WORDS).map(lambda t: ("junk", t)),
    st.from_regex(r"[0-9.,_eE+\- ]{1,9}", fullmatch=True).map(lambda t: ("junk", t)),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=10).map(lambda t: ("junk", t)),
)


def check_stored_exactly(c: Campaign, before: list[Any], text: Any, number: float | None, rel: float = 0.0) -> None:
    """The row went in: one new measurement of F0004 holding ``number`` (to ``rel``)."""
    after = stored(c)
    assert len(after) == len(before) + 1, (text, after[len(before) :])
    label, _, values = after[-1]
    assert label == "F0004" and number is not None and list(values) == [OBJ], (text, values)
    assert values[OBJ] == number or math.isclose(values[OBJ], number, rel_tol=rel), (text, values)


def plain_number(text: str) -> float | None:
    """The number ``text`` writes plainly (digits, '.', e, signs; surrounding blanks), else None."""
    core = text.strip()
    if not core or not set(core) <= PLAIN:
        return None
    try:
        value = float(core)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@SETTINGS
@given(cell=CELLS)
def test_a_csv_cell_is_refused_or_stored_as_written(campaign: Campaign, tmp_path: Path, cell: tuple[str, str]) -> None:
    csv_cell_refused_or_stored(campaign, tmp_path, cell)


def test_each_junk_word_is_refused_or_stored_as_written(campaign: Campaign, tmp_path: Path) -> None:
    for text in JUNK_WORDS:  # every one, whatever hypothesis draws
        csv_cell_refused_or_stored(campaign, tmp_path, ("junk", text))
    values = [v[OBJ] for label, _, v in stored(campaign) if label == "F0004"]
    assert values == [0.5, 0.5, 0.5, 5.0]  # 5e-1, +.5, .5 and 5. (1e3 and 0: implausible, -0.5: <= 0)


def csv_cell_refused_or_stored(campaign: Campaign, tmp_path: Path, cell: tuple[str, str]) -> None:
    kind, text = cell
    path = tmp_path / "r.csv"
    before = stored(campaign)
    with path.open("w", newline="", encoding="utf-8") as fh:  # a new replicate: never "already stored"
        csv.writer(fh).writerows([["id", OBJ, "replicate"], ["F0004", text, len(before)]])
    try:
        campaign.record(path)
    except DataError:
        assert stored(campaign) == before  # nothing stored
        assert kind == "junk", f"a plausible number written {text!r} was refused"
        return
    check_stored_exactly(campaign, before, text, plain_number(text))


XLSX_CELLS = st.one_of(
    plausible_text().map(lambda p: p[1]),
    st.floats(0.2, 0.8),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.sampled_from(JUNK_WORDS),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=10),
)


@SETTINGS
@given(cell=XLSX_CELLS)
def test_an_xlsx_cell_is_refused_or_stored_as_written(campaign: Campaign, tmp_path: Path, cell: Any) -> None:
    path = tmp_path / "r.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    before = stored(campaign)
    ws.append(["id", OBJ, "replicate"])
    ws.append(["F0004", cell, len(before)])
    book.save(path)
    try:
        campaign.record(path)
    except DataError:
        assert stored(campaign) == before
        plausible = (isinstance(cell, float) and 0.2 <= cell <= 0.8) or (isinstance(cell, str) and plain_number(cell))
        assert not (plausible and 0.2 <= float(cell) <= 0.8), f"a plausible number {cell!r} was refused"
        return
    if isinstance(cell, str):
        number = plain_number(cell)
    elif isinstance(cell, (int, float)) and not isinstance(cell, bool) and math.isfinite(cell):
        number = float(cell)
    else:
        number = None  # a boolean, a date, a non-finite number: must not have been stored
    check_stored_exactly(campaign, before, cell, number, rel=1e-15)  # openpyxl writes 16 digits


# --- campaign files -----------------------------------------------------------------------------
VALID = """
version = 1
name = "prop"
description = "a campaign file with most of the keys"
reference_temperature_C = 25
constraints = ["A - 2*B <= 40"]
[mixture]
unit = "wt%"
total = 100
resolution = 1
[mixture.components]
A = { min = 10, max = 80 }
B = { min = 10, max = 80 }
C = { min = 0, max = 50 }
[parameters]
T = { min = 0.0, max = 1.0, resolution = 0.05, unit = "h" }
solvent = { choices = ["EC", "PC"] }
[[objectives]]
name = "conductivity_mS_cm"
plausible = [1e-6, 100]
[[objectives]]
name = "transference_number"
direction = "maximize"
[[outcome_constraints]]
name = "oxidation_onset_V"
min = 4.5
[feasibility]
name = "solid"
[recipe]
balance_resolution_mg = 0.1
[strategy]
name = "botorch"
n_initial = 6
[model]
kernel = "rbf"
"""
BASE_DICT: dict[str, Any] = __import__("tomllib").loads(VALID)


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"


def toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k, ensure_ascii=False)


def toml(d: dict[str, Any]) -> str:
    return "\n".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in d.items()) + "\n"


def paths(v: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a nested dict/list (containers and leaves)."""
    out = [prefix] if prefix else []
    if isinstance(v, dict):
        for k, x in v.items():
            out += paths(x, (*prefix, k))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out += paths(x, (*prefix, i))
    return out


PATHS = paths(BASE_DICT)
SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(10**400), 10**400),
    st.sampled_from([0, -1, 1, 2**63, 10**309]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -273.16, 1e-320]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=8),
    st.sampled_from(["", " ", "x" * 5000, "EC", "log", "none", "rbf", "grid", "maximize", "A", "mol%", "A <= 5"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["min", "max", "x", "A", "choices", "name"]), inner, max_size=3),
    ),
    max_leaves=6,
)
MUTATION = st.tuples(st.sampled_from(PATHS), st.sampled_from(["replace", "delete", "add"]), VALUES)


def mutated(mutation: tuple[tuple[Any, ...], str, Any]) -> dict[str, Any]:
    path, action, value = mutation
    d = json.loads(json.dumps(BASE_DICT))
    parent = d
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "replace":
        parent[key] = value
    elif action == "delete":
        del parent[key]
    elif isinstance(parent, dict):
        parent["unknown_key"] = value
    else:
        parent.append(value)
    return d


def loads_or_spec_error(path: Path) -> CampaignSpec | None:
    """The spec, or None for a SpecError; any other exception fails the test. A loaded spec
    round-trips through JSON (as the store keeps it) and builds its space."""
    try:
        spec = load_spec(path)
    except SpecError as exc:
        assert str(exc).startswith(f"{path}: "), str(exc)
        return None
    assert CampaignSpec.model_validate(spec.model_dump(mode="json")) == spec
    Space(spec)
    return spec


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=MUTATION)
def test_a_mutated_campaign_file_loads_or_is_a_spec_error(tmp_path: Path, mutation: Any) -> None:
    path = tmp_path / "prop.toml"
    path.write_text(toml(mutated(mutation)), encoding="utf-8")
    loads_or_spec_error(path)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(VALID)), st.sampled_from(["insert", "delete", "replace"]), st.characters()),
        min_size=1,
        max_size=3,
    )
)
def test_a_campaign_file_with_random_edits_loads_or_is_a_spec_error(tmp_path: Path, edits: Any) -> None:
    text = VALID
    for position, action, char in edits:
        i = min(position, len(text))
        if action == "insert":
            text = text[:i] + char + text[i:]
        elif action == "delete":
            text = text[:i] + text[i + 1 :]
        else:
            text = text[:i] + char + text[i + 1 :]
    path = tmp_path / "prop.toml"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    loads_or_spec_error(path)


def test_the_unmutated_file_loads(tmp_path: Path) -> None:
    """The properties start from a valid file (else every mutation would be a SpecError)."""
    path = tmp_path / "prop.toml"
    path.write_text(toml(BASE_DICT), encoding="utf-8")
    spec = loads_or_spec_error(path)
    assert spec is not None and spec.objectives[0].plausible_range == (1e-6, 100)
