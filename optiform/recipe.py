"""Formulation -> weighing sheet: grams of each chemical for a batch mass, and back.

Equations (``m`` the batch mass in g, ``w`` mass fractions in wt% of the whole solution):

* additive ``a``: ``w_a`` = its number, or the value of the parameter it names (always wt%);
* mixture component ``c`` with value ``x_c`` in the mixture's unit: the components share what the
  additives leave, ``w_c = (100 - Σ w_a) · x_c·u_c / Σ_k x_k·u_k`` with ``u_c`` the mass per unit
  of the mixture's measure: 1 in wt%, the molar mass ``M_c`` (g/mol) in mol%, the density ``ρ_c``
  (g/cm³) in vol% (ideal mixing: volumes add);
* a split component made of chemicals 1 and 2 with mole fraction ``f`` of chemical 2 and molar
  masses ``M1``, ``M2``: its molar mass is ``M_c = (1-f)·M1 + f·M2`` and chemical 2 takes the
  mass fraction ``f·M2 / M_c`` of the component;
* mass ``m_i = m · w_i / 100``, rounded to the balance (``[recipe] balance_resolution_mg``), and
  amount ``n_i = m_i / M_i`` (mmol, where a molar mass is known).

The inverse (:func:`composition_from_masses`) turns the masses weighed back into the variables:
an additive's parameter ``100·m_a / Σ m``; a split's parameter ``n2 / (n1 + n2)``; the components
in the mixture's unit, proportional to ``m_c`` (wt%), ``n_c = m_c / M_c`` (mol%; a split component
``n1 + n2``) or ``m_c / ρ_c`` (vol%), scaled to the mixture total.

At the paper's formulation (MEMA:SN:salt 30:50:20, LiDFOB 0.05 mol/mol, FEC 5 wt%, AIBN 1 wt%) the
sheet gives LiTFSI:LiDFOB = 19:1 mol.

Files (:func:`write_weighing_sheet`, :func:`read_weighing_sheet`): one layout for CSV and XLSX, a
header block of ``key,value`` rows (campaign, batch, date, batch_mass_g, balance_resolution_mg), a
blank row, then the long table with an empty ``actual_g`` column after ``mass_g`` for the masses
actually weighed.
"""

from __future__ import annotations

import csv
import math
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, OptiformWarning, path_error
from .space import SUM_TOLERANCE
from .spec import CampaignSpec, RecipeSpec

SHEET_COLUMNS = ["id", "chemical", "role", "wt_pct", "mass_g", "molar_mass_g_mol", "amount_mmol", "note"]
FILE_COLUMNS = ["id", "chemical", "role", "wt_pct", "mass_g", "actual_g", "molar_mass_g_mol", "amount_mmol", "note"]
HEADER_KEYS = ("campaign", "batch", "date", "batch_mass_g", "balance_resolution_mg")
_NUMERIC_COLUMNS = ("wt_pct", "mass_g", "actual_g", "molar_mass_g_mol", "amount_mmol")
_SHEET_NAME = "weighing"


def low_mass_note(warn_below_mg: float) -> str:
    """The sheet's note on a mass > 0 below ``warn_below_mg``."""
    return f"below {warn_below_mg:g} mg: weigh from a stock solution or a larger batch"


# --- formulation -> grams ---------------------------------------------------------------------
def check_weighable(spec: CampaignSpec) -> None:
    """DataError unless grams can be computed: a mol% mixture needs the molar mass of every
    component (or its split), a vol% mixture the density of every component."""
    recipe = spec.recipe or RecipeSpec()
    unit = spec.mixture.unit
    if unit == "mol%":
        missing = [c for c in spec.components if c not in recipe.split and c not in recipe.molar_mass_g_mol]
        table = "molar_mass_g_mol"
    elif unit == "vol%":
        missing = [c for c in spec.components if c not in recipe.density_g_cm3]
        table = "density_g_cm3"
    else:
        return
    if missing:
        raise DataError(
            f"campaign {spec.name} is in {unit}: declare [recipe] {table} = {{...}} for {', '.join(missing)} "
            "to compute grams"
        )


def chemicals(spec: CampaignSpec) -> list[str]:
    """The chemicals of every weighing sheet, in sheet order: unsplit components, the two chemicals
    of each split component (in place of it), then the additives."""
    recipe = spec.recipe or RecipeSpec()
    out: list[str] = []
    for comp in spec.components:
        split = recipe.split.get(comp)
        out.extend(split.molar_mass_g_mol if split is not None else [comp])
    return [*out, *recipe.additives]


def weighing_sheet(spec: CampaignSpec, batch: pd.DataFrame, batch_mass_g: float, rounded: bool = True) -> pd.DataFrame:
    """Long table, one row per formulation and chemical.

    Columns: ``id`` (when ``batch`` has one), ``chemical``, ``role`` (component, split, additive),
    ``wt_pct`` (of the whole solution), ``mass_g``, ``molar_mass_g_mol`` and ``amount_mmol`` (NaN
    where no molar mass is declared) and ``note``. With ``rounded`` (default) masses are rounded to
    the balance resolution, amounts follow the rounded masses and wt% keep 6 significant digits;
    ``rounded=False`` gives the exact values. A mass > 0 below ``warn_below_mg`` gets a note and one
    :class:`OptiformWarning` per sheet. A value that cannot be weighed (a negative amount, additives
    of 100 wt% or more, a mole fraction outside [0, 1], components off the mixture total, a mol% or
    vol% campaign without its molar masses or densities) is a :class:`DataError`.
    """
    if not 0 < batch_mass_g < math.inf:
        raise DataError(f"batch_mass_g must be > 0 g and finite, got {batch_mass_g}")
    check_weighable(spec)
    recipe = spec.recipe or RecipeSpec()
    keyed = "id" in batch.columns
    rows = []
    low: dict[str, list[str]] = {}
    for idx, row in batch.iterrows():
        label = row["id"] if keyed else None
        try:
            parts = list(_chemicals(spec, recipe, row))
        except DataError as exc:
            raise DataError(f"{label}: {exc}" if keyed else str(exc)) from None
        for chem, role, wt, molar_mass in parts:
            exact = batch_mass_g * wt / 100.0
            mass = round_mass(exact, recipe.balance_resolution_mg) if rounded else exact
            small = 0.0 < exact < recipe.warn_below_mg / 1000.0
            if small:
                low.setdefault(chem, []).append(str(label) if keyed else str(idx))
            amount = 1000.0 * mass / molar_mass if molar_mass else float("nan")
            rows.append(
                {
                    "id": label,
                    "chemical": chem,
                    "role": role,
                    "wt_pct": _significant(wt) if rounded else wt,
                    "mass_g": mass,
                    "molar_mass_g_mol": molar_mass if molar_mass else float("nan"),
                    "amount_mmol": _significant(amount) if rounded else amount,
                    "note": low_mass_note(recipe.warn_below_mg) if small else "",
                }
            )
    if low:
        which = ", ".join(f"{chem} ({', '.join(ids)})" for chem, ids in low.items())
        warnings.warn(
            f"weighing sheet for {batch_mass_g:g} g: below {recipe.warn_below_mg:g} mg: {which}; weigh from a "
            "stock solution or a larger batch",
            OptiformWarning,
            stacklevel=2,
        )
    sheet = pd.DataFrame(rows, columns=SHEET_COLUMNS)
    return sheet if keyed else sheet.drop(columns="id")


def _chemicals(
    spec: CampaignSpec, recipe: RecipeSpec, row: pd.Series
) -> Iterator[tuple[str, str, float, float | None]]:
    """Yield (chemical, role, wt% of whole solution, molar mass or None) for one formulation."""
    unit = spec.mixture.unit
    additives = {chem: float(row[v]) if isinstance(v, str) else float(v) for chem, v in recipe.additives.items()}
    x = {comp: float(row[comp]) for comp in spec.components}
    for comp, value in x.items():
        if not value >= 0:
            raise DataError(f"{comp}: a mixture component must be >= 0 {unit}, got {row[comp]}")
    total = spec.mixture.total
    if not abs(sum(x.values()) - total) <= SUM_TOLERANCE * total:
        raise DataError(f"the mixture components sum to {sum(x.values()):g} {unit}, expected {total:g}")
    for chem, wt in additives.items():
        if not wt >= 0:
            raise DataError(f"{chem}: an additive must be >= 0 wt%, got {wt:g}")
    rest = 100.0 - sum(additives.values())
    if rest <= 0:
        raise DataError(f"additives add up to {100 - rest:g} wt%, leaving nothing for the mixture")
    fractions = {comp: _mole_fraction(split.by, row) for comp, split in recipe.split.items()}
    weights = {comp: x[comp] * _unit_mass(spec, recipe, comp, fractions.get(comp, 0.0)) for comp in x}
    for comp in spec.components:
        wt = rest * weights[comp] / sum(weights.values())
        split = recipe.split.get(comp)
        if split is None:
            yield comp, "component", wt, recipe.molar_mass_g_mol.get(comp)
            continue
        (chem1, m1), (chem2, m2) = split.molar_mass_g_mol.items()
        f = fractions[comp]
        w2 = f * m2 / (f * m2 + (1.0 - f) * m1)
        yield chem1, f"split of {comp}", wt * (1.0 - w2), m1
        yield chem2, f"split of {comp}", wt * w2, m2
    for chem, wt in additives.items():
        yield chem, "additive", wt, recipe.molar_mass_g_mol.get(chem)


def _mole_fraction(by: str, row: pd.Series) -> float:
    f = float(row[by])
    if not 0.0 <= f <= 1.0:
        raise DataError(f"{by}: a mole fraction must lie in [0, 1], got {f:g}")
    return f


def _unit_mass(spec: CampaignSpec, recipe: RecipeSpec, comp: str, f: float) -> float:
    """Mass per unit of the mixture's measure of ``comp``: 1 (wt%), M in g/mol (mol%; a split
    component ``(1-f)·M1 + f·M2``), ρ in g/cm³ (vol%)."""
    unit = spec.mixture.unit
    if unit == "wt%":
        return 1.0
    if unit == "vol%":
        return recipe.density_g_cm3[comp]
    split = recipe.split.get(comp)
    if split is None:
        return recipe.molar_mass_g_mol[comp]
    m1, m2 = split.molar_mass_g_mol.values()
    return (1.0 - f) * m1 + f * m2


def composition_from_masses(spec: CampaignSpec, masses_g: Mapping[str, float]) -> dict[str, float]:
    """The variables the recipe sets, from the mass of each chemical (g): the mixture components
    (in the mixture's unit, summing to its total), each split's mole-fraction parameter (left out
    when neither of its chemicals was weighed) and each additive's parameter (wt%). The inverse of
    :func:`weighing_sheet` before rounding; see the module docstring for the equations."""
    check_weighable(spec)
    recipe = spec.recipe or RecipeSpec()
    missing = [c for c in chemicals(spec) if c not in masses_g]
    if missing:
        raise DataError(f"no mass given for {', '.join(missing)}")
    total_g = sum(float(masses_g[c]) for c in chemicals(spec))
    if not total_g > 0:
        raise DataError("the masses add up to 0 g")
    measure: dict[str, float] = {}
    params: dict[str, float] = {}
    for comp in spec.components:
        split = recipe.split.get(comp)
        if split is None:
            measure[comp] = masses_g[comp] / _unit_mass(spec, recipe, comp, 0.0)
            continue
        (chem1, m1), (chem2, m2) = split.molar_mass_g_mol.items()
        n1, n2 = masses_g[chem1] / m1, masses_g[chem2] / m2
        if n1 + n2 > 0:
            params[split.by] = n2 / (n1 + n2)
        if spec.mixture.unit == "mol%":
            measure[comp] = n1 + n2
        else:
            measure[comp] = (masses_g[chem1] + masses_g[chem2]) / _unit_mass(spec, recipe, comp, 0.0)
    if not sum(measure.values()) > 0:
        raise DataError(f"no mass of any mixture component ({', '.join(spec.components)})")
    out = {comp: spec.mixture.total * value / sum(measure.values()) for comp, value in measure.items()}
    for chem, value in recipe.additives.items():
        if isinstance(value, str):
            params[value] = 100.0 * masses_g[chem] / total_g
    return {**out, **{v: params[v] for v in spec.parameters if v in params}}


def round_mass(mass_g: float, resolution_mg: float) -> float:
    """``mass_g`` rounded to the balance resolution (mg), without float noise (0.7449, not
    0.7448999999999999)."""
    step_g = resolution_mg / 1000.0
    return round(round(mass_g / step_g) * step_g, _decimals(resolution_mg) + 3)


def _decimals(value: float) -> int:
    """Decimals written in the shortest form of ``value`` (0.1 -> 1, 0.25 -> 2, 10 -> 0)."""
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _significant(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}")


def weighing_wide(sheet: pd.DataFrame) -> pd.DataFrame:
    """One row per formulation, one ``<chemical>_g`` column per chemical (in recipe order).

    Keyed by ``id`` when the sheet has one; otherwise the formulations keep their order (every
    formulation lists every chemical once, so row ``i`` of the sheet belongs to formulation
    ``i // number of chemicals``).
    """
    order = list(dict.fromkeys(sheet["chemical"]))
    keyed = "id" in sheet.columns
    key = sheet["id"] if keyed else pd.Series(range(len(sheet)), index=sheet.index) // len(order)
    wide = sheet.assign(_key=key.to_numpy()).pivot(index="_key", columns="chemical", values="mass_g")
    wide = wide.loc[list(dict.fromkeys(key)), order]  # formulations in sheet order
    wide.columns = [f"{c}_g" for c in order]
    wide = wide.reset_index(drop=not keyed)
    return wide.rename(columns={"_key": "id"})


def molar_ratio(sheet: pd.DataFrame, a: str, b: str) -> float:
    """Amount ratio n_a / n_b of two chemicals in a one-formulation sheet."""
    n = sheet.set_index("chemical")["amount_mmol"]
    return float(n[a] / n[b])


# --- files ------------------------------------------------------------------------------------
def _checked_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise DataError(f"{path}: expected a .csv or .xlsx file name")
    return path


def write_batch(batch: pd.DataFrame, path: str | Path) -> Path:
    """Write a proposal batch (id + variables) as CSV or XLSX (one sheet ``batch``), by the suffix."""
    path = _checked_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".csv":
            batch.to_csv(path, index=False)
        else:
            batch.to_excel(path, sheet_name="batch", index=False, engine="openpyxl")
    except OSError as exc:
        raise path_error(path, exc, "write the batch") from None
    return path


def write_weighing_sheet(sheet: pd.DataFrame, path: str | Path, header: Mapping[str, Any]) -> Path:
    """Write a weighing sheet as CSV or XLSX (by the suffix), both in one layout: the ``header``
    (``key,value`` rows, e.g. campaign, batch, date, batch_mass_g, balance_resolution_mg), a blank
    row, then the sheet's table with an empty ``actual_g`` column after ``mass_g`` (kept when the
    sheet has one: a sheet read back and filled in) (XLSX: one sheet ``weighing`` holding the same rows)."""
    path = _checked_path(path)
    unknown = [k for k in header if k not in HEADER_KEYS]
    if unknown:
        raise DataError(
            f"weighing sheet header: unknown key(s) {', '.join(unknown)}; expected {', '.join(HEADER_KEYS)}"
        )
    table = sheet.copy()
    if "actual_g" not in table.columns:  # a sheet read back (and filled) keeps its actual_g
        table.insert(table.columns.get_loc("mass_g") + 1, "actual_g", None)
    rows: list[list[Any]] = [[key, value] for key, value in header.items()]
    rows += [[], list(table.columns), *(list(r) for r in table.itertuples(index=False))]
    rows = [[_plain(cell) for cell in row] for row in rows]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".csv":
            with path.open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows([[_text(cell) for cell in row] for row in rows])
        else:
            import openpyxl

            book = openpyxl.Workbook()
            ws = book.active
            assert ws is not None
            ws.title = _SHEET_NAME
            for row in rows:
                ws.append(row)
            book.save(path)
    except OSError as exc:
        raise path_error(path, exc, "write the weighing sheet") from None
    return path


def _plain(cell: Any) -> Any:
    """A cell as a plain Python value: None for NaN/None, numpy scalars unwrapped."""
    if isinstance(cell, np.generic):
        cell = cell.item()
    if cell is None or cell is pd.NA or (isinstance(cell, float) and math.isnan(cell)):
        return None
    return cell


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return np.format_float_positional(cell, trim="-")
    return str(cell)


def is_weighing_sheet(path: str | Path) -> bool:
    """Whether a .csv/.xlsx file is a weighing sheet (its table has an ``actual_g`` column)."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx") or not path.is_file():
        return False
    try:
        rows = _rows(path)
    except DataError:
        return False
    return any("actual_g" in row for row in rows[:50])


def read_weighing_sheet(path: str | Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """A weighing sheet written by :func:`write_weighing_sheet` (and perhaps filled in): the header
    (campaign str, batch int or None, date str, batch_mass_g and balance_resolution_mg floats) and
    the table, indexed by the file line of each row (numbers as floats, blank as NaN). A file that
    is not such a sheet is a one-line :class:`DataError` naming the file and line."""
    path = Path(path)
    rows = _rows(path)
    i = 0
    raw_header: dict[str, tuple[int, Any]] = {}
    while i < len(rows) and rows[i]:
        row = rows[i]
        if len(row) > 2 or str(row[0]) not in HEADER_KEYS:
            raise DataError(
                f"{path}: line {i + 1}: expected a header row 'key,value' ({', '.join(HEADER_KEYS)}) or the "
                "blank line before the table"
            )
        raw_header[str(row[0])] = (i + 1, row[1] if len(row) > 1 else "")
        i += 1
    for key in ("campaign", "batch_mass_g"):
        if key not in raw_header:
            raise DataError(f"{path}: the header block (the rows before the first blank line) has no {key!r} row")
    header = {key: _header_value(path, key, line, value) for key, (line, value) in raw_header.items()}
    while i < len(rows) and not rows[i]:
        i += 1
    if i == len(rows):
        raise DataError(f"{path}: no table after the header block")
    columns = [str(c) for c in rows[i]]
    missing = [c for c in ("id", "chemical", "mass_g", "actual_g") if c not in columns]
    if missing or len(set(columns)) < len(columns):
        raise DataError(
            f"{path}: line {i + 1}: expected the table's columns {', '.join(FILE_COLUMNS)}"
            + (f" (missing {', '.join(missing)})" if missing else " (a column named twice)")
        )
    records, lines = [], []
    for j in range(i + 1, len(rows)):
        row = rows[j]
        if not row:
            continue
        if len(row) > len(columns):
            raise DataError(f"{path}: line {j + 1}: {len(row)} cells, but the table has {len(columns)} columns")
        record = dict(zip(columns, [*row, *[""] * (len(columns) - len(row))]))
        for col in _NUMERIC_COLUMNS:
            if col in record:
                record[col] = _number(path, j + 1, col, record[col])
        for col in set(columns) - set(_NUMERIC_COLUMNS):
            record[col] = _label(record[col])
        records.append(record)
        lines.append(j + 1)
    return header, pd.DataFrame(records, columns=columns, index=pd.Index(lines, name="line"))


def _rows(path: Path) -> list[list[Any]]:
    """The rows of a CSV file or of an XLSX file's ``weighing`` sheet (else its first), each cell a
    stripped string or a number, trailing empty cells dropped ([] for a blank row)."""
    if not path.exists():
        raise DataError(f"{path}: file not found")
    try:
        if path.suffix.lower() == ".xlsx":
            import openpyxl
            from openpyxl.utils.exceptions import InvalidFileException

            try:
                book = openpyxl.load_workbook(path, data_only=True)
            except (InvalidFileException, zipfile.BadZipFile, KeyError) as exc:
                raise DataError(f"{path}: cannot read as an XLSX workbook ({exc})") from None
            ws = book[_SHEET_NAME] if _SHEET_NAME in book.sheetnames else book.worksheets[0]
            raw: list[list[Any]] = [list(r) for r in ws.iter_rows(values_only=True)]
        else:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                raw = list(csv.reader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read as a CSV table ({exc})") from None
    except OSError as exc:
        raise path_error(path, exc, "read the weighing sheet") from None
    rows = []
    for row in raw:
        cells = ["" if c is None else c.strip() if isinstance(c, str) else c for c in row]
        while cells and cells[-1] == "":
            cells.pop()
        rows.append(cells)
    return rows


def _number(path: Path, line: int, column: str, cell: Any) -> float:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return float(cell)
    text = str(cell).strip()
    if not text:
        return float("nan")
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise DataError(f"{path}: line {line}: {column}: expected a number, got {text!r}") from None


def _label(cell: Any) -> str:
    """A text cell (an XLSX number that is a whole number loses its '.0')."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _header_value(path: Path, key: str, line: int, cell: Any) -> Any:
    if key in ("campaign", "date"):
        return _label(cell)
    value = _number(path, line, key, cell)
    if key == "batch":
        if math.isnan(value):
            return None
        if not (value >= 1 and value.is_integer()):
            raise DataError(f"{path}: line {line}: batch: expected a batch number, got {cell!r}")
        return int(value)
    if not value > 0:
        raise DataError(f"{path}: line {line}: {key}: expected a number > 0, got {cell!r}")
    return value
