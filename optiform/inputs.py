"""What users type: tables read as written, numbers only as numbers, plausible measured values.

* :func:`read_table` reads a results table or a manifest: a CSV file with every cell as text (no
  ``#`` comments, no NA words: the parser sees what the user wrote), an XLSX file's first sheet
  with its cells as typed (text, number, boolean, date), each row with its line in the file.
* :func:`optiform.numbers.parse_number` reads one cell as a number (numbers only as numbers);
  :func:`parse_replicate` a replicate number.
* :func:`implausible` says why a value of a measured quantity cannot be right: outside its
  plausible range (``plausible = [lo, hi]``, or the built-in range of its unit), or more than
  :data:`MEDIAN_FACTOR` times above or below the median of the campaign's values of it, naming the
  likely unit slip (S/cm or µS/cm in a mS/cm column, mV in a V column).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, path_error
from .numbers import parse_number, shown
from .spec import ObjectiveSpec

MEDIAN_FACTOR = 1e3  # a value this many times above or below the campaign's median is refused
MEDIAN_MIN_VALUES = 3  # the median test needs this many values of the quantity
MAX_REPLICATE = 1_000_000
# Units of one kind and their size in the first unit: a value written in another unit of the kind
# is a slip that plausibility names.
_UNIT_FAMILIES: tuple[dict[str, float], ...] = (
    {"S/cm": 1.0, "mS/cm": 1e-3, "µS/cm": 1e-6},
    {"V": 1.0, "mV": 1e-3},
)


# --- tables -----------------------------------------------------------------------------------
def read_table(
    path: str | Path, what: str = "results", missing: str = "file not found"
) -> tuple[pd.DataFrame, list[int]]:
    """A CSV or XLSX table as written, and the line (row) in the file of each of its rows.

    CSV (UTF-8): every cell is stripped text; rows with more cells than the header are an error
    naming the line (empty trailing cells are dropped), shorter rows are padded with ''; blank rows
    are skipped. XLSX: the first sheet, cells as typed (str stripped, int, float, bool, datetime,
    None), with the same rules. A column named twice, a file that is missing, a folder, not UTF-8
    or not a workbook is a one-line :class:`DataError` naming the file (``missing``: the message
    for a missing file)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: {missing}")
    if path.is_dir():
        raise path_error(path, IsADirectoryError(21, "Is a directory"), f"read the {what}")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise DataError(f"{path}: an old Excel .xls file; save it as .xlsx or .csv")
    rows = _xlsx_rows(path, what) if suffix in (".xlsx", ".xlsm") else _csv_rows(path, what)
    return _as_table(path, rows)


def _csv_rows(path: Path, what: str) -> list[tuple[int, list[Any]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise path_error(path, exc, f"read the {what}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DataError(f"{path}: line {line}: a NUL byte; not a CSV table (a binary file?)")
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    rows: list[tuple[int, list[Any]]] = []
    end = 0
    try:
        for cells in reader:
            rows.append((end + 1, [c.strip() for c in cells]))
            end = reader.line_num
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):  # a quote opened after the last row read is never closed
            raise DataError(f'{path}: line {end + 1}: a quote (") opened on this line is never closed') from None
        raise DataError(f"{path}: line {reader.line_num}: cannot read as CSV ({exc})") from None
    return rows


def _xlsx_rows(path: Path, what: str) -> list[tuple[int, list[Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise path_error(path, exc, f"read the {what}") from None
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, ...) for a corrupt workbook
        raise DataError(f"{path}: cannot read as an XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        ws = book.worksheets[0]
        rows = [
            (line, [c.strip() if isinstance(c, str) else c for c in cells])
            for line, cells in enumerate(ws.iter_rows(values_only=True), start=1)
        ]
    except Exception as exc:  # a corrupt sheet inside a readable zip
        raise DataError(f"{path}: cannot read as an XLSX workbook ({type(exc).__name__}: {exc})") from None
    finally:
        book.close()
    return rows


def _blank_cell(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell)


def _as_table(path: Path, rows: list[tuple[int, list[Any]]]) -> tuple[pd.DataFrame, list[int]]:
    rows = [(line, cells) for line, cells in rows if not all(_blank_cell(c) for c in cells)]
    if not rows:
        raise DataError(f"{path}: cannot read as a table: no header line (the file is empty)")
    header_line, header = rows[0]
    names = ["" if _blank_cell(c) else cell_text(c) for c in header]
    while names and not names[-1]:
        names.pop()
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        raise DataError(f"{path}: line {header_line}: column(s) {', '.join(twice)} named twice in the header")
    problems: list[str] = []
    records: list[list[Any]] = []
    lines: list[int] = []
    width = len(names)
    for line, cells in rows[1:]:
        while len(cells) > width and _blank_cell(cells[-1]):
            cells = cells[:-1]
        if len(cells) > width:
            problems.append(f"{path}: line {line}: {len(cells)} cells, the header (line {header_line}) has {width}")
            continue
        cells = [*cells, *[""] * (width - len(cells))]
        for j, name in enumerate(names):
            if not name and not _blank_cell(cells[j]):
                problems.append(f"{path}: line {line}: a value in column {j + 1}, which has no name in the header")
        records.append(["" if c is None else c for c in cells])
        lines.append(line)
    if problems:
        raise DataError("\n".join(problems))
    keep = [j for j, n in enumerate(names) if n]
    df = pd.DataFrame([[r[j] for j in keep] for r in records], columns=[names[j] for j in keep], dtype=object)
    return df, lines


def cell_text(cell: Any) -> str:
    """A cell as text: stripped; an XLSX whole number without '.0'; a date as written (ISO)."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)) or cell is pd.NA:
        return ""
    if isinstance(cell, (float, np.floating)) and float(cell).is_integer():
        return str(int(cell))
    if isinstance(cell, (dt.date, dt.time)):
        return cell.isoformat()
    return str(cell).strip()


# --- numbers ----------------------------------------------------------------------------------
def parse_replicate(raw: Any) -> tuple[int | None, str]:
    """A replicate number: a whole number from 1 to :data:`MAX_REPLICATE` (``3``, ``3.0``)."""
    value, _ = parse_number(raw)
    if value is None or not (1 <= value <= MAX_REPLICATE and value.is_integer()):
        return None, f"expected a whole number >= 1 (at most {MAX_REPLICATE}), got {shown(raw)}"
    return int(value), ""


# --- plausibility -----------------------------------------------------------------------------
def stored_values(measurements: pd.DataFrame, exclude: tuple[str, int] | None = None) -> dict[str, list[float]]:
    """Values of each quantity over a campaign's measurements (:meth:`Store.measurements`) with
    status ok that are not retracted, leaving out ``exclude`` = (label, replicate)."""
    out: dict[str, list[float]] = {}
    if not len(measurements):
        return out
    ok = measurements[(measurements["status"] == "ok") & measurements["retracted_at"].isna()]
    for label, replicate, values in zip(ok["label"], ok["replicate"], ok["values"]):
        if exclude is not None and (label, int(replicate)) == exclude:
            continue
        for q, v in values.items():
            if isinstance(v, (int, float)) and math.isfinite(v):
                out.setdefault(q, []).append(float(v))
    return out


def implausible(quantity: ObjectiveSpec, value: float, reference: Sequence[float] = ()) -> str:
    """Why ``value`` (in the unit the quantity's name declares) cannot be right, '' when it can:
    outside :attr:`ObjectiveSpec.plausible_range`, or (for a positive quantity: modelled on a log
    scale or with a positive range, and at least :data:`MEDIAN_MIN_VALUES` positive reference
    values) more than :data:`MEDIAN_FACTOR` times above or below the median of ``reference``. The
    reason names the likely unit slip, e.g. ``conductivity_mS_cm = 0.00045 is 1333× below the
    median 0.6 mS/cm of its 5 other values; looks like S/cm (×1000 = 0.45 mS/cm)``."""
    unit = quantity.unit
    bounds = quantity.plausible_range
    median = _median(quantity, value, reference)
    reason = ""
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        source = "plausible" if quantity.plausible is not None else "built-in plausible"
        reason = f"lies outside the {source} range [{bounds[0]:g}, {bounds[1]:g}]{' ' + unit if unit else ''}"
    elif median is not None:
        mid, n = median
        ratio = value / mid if value > mid else mid / value
        if ratio > MEDIAN_FACTOR:
            side = "above" if value > mid else "below"
            reason = f"is {ratio:.0f}× {side} the median {mid:.3g}{' ' + unit if unit else ''} of its {n} other values"
    if not reason:
        return ""
    slip = _slip(quantity, value, bounds, median[0] if median is not None else None)
    return f"{quantity.name} = {value:g} {reason}" + (f"; looks like {slip}" if slip else "")


def _median(quantity: ObjectiveSpec, value: float, reference: Sequence[float]) -> tuple[float, int] | None:
    bounds = quantity.plausible_range
    positive = quantity.log or (bounds is not None and bounds[0] > 0)
    values = [v for v in reference if v > 0 and math.isfinite(v)]
    if not positive or value <= 0 or len(values) < MEDIAN_MIN_VALUES:
        return None
    return statistics.median(values), len(values)


def _slip(quantity: ObjectiveSpec, value: float, bounds: tuple[float, float] | None, median: float | None) -> str:
    """'S/cm (×1000 = 0.45 mS/cm)' when the value, read as written in another unit of its kind,
    is plausible (and nearer the median than the value is); '' when none is."""
    unit = quantity.unit
    family = next((f for f in _UNIT_FAMILIES if unit in f), None)
    if family is None:
        return ""
    best: tuple[float, str] | None = None
    for other, size in family.items():
        if other == unit:
            continue
        factor = size / family[unit]
        candidate = value * factor
        if bounds is not None and not bounds[0] <= candidate <= bounds[1]:
            continue
        if median is not None:
            if candidate <= 0 or value <= 0:
                continue
            distance = abs(math.log(candidate / median))
            if distance >= abs(math.log(value / median)) or distance > math.log(MEDIAN_FACTOR):
                continue
        elif bounds is None:
            continue
        else:
            distance = 0.0
        scale = f"×{factor:g}" if factor >= 1 else f"÷{1 / factor:g}"
        text = f"{other} ({scale} = {candidate:.4g} {unit})"
        if best is None or distance < best[0]:
            best = (distance, text)
    return best[1] if best is not None else ""


def plausibility_problems(
    values: Mapping[str, float],
    quantities: Mapping[str, ObjectiveSpec],
    reference: Mapping[str, Sequence[float]],
    own: bool = False,
) -> list[tuple[str, str]]:
    """(quantity, reason) for each value of ``values`` that :func:`implausible` refuses, judged
    against the other values of ``reference`` (``own``: ``reference`` holds these values too, each
    left out once); a quantity not in ``quantities`` is judged by its name alone (its built-in
    range)."""
    out = []
    for name, value in values.items():
        q = quantities.get(name) or ObjectiveSpec(name=name, transform="none")
        others = list(reference.get(name, ()))
        if own and value in others:
            others.remove(value)
        reason = implausible(q, value, others)
        if reason:
            out.append((name, reason))
    return out


def pooled(stored: Mapping[str, Sequence[float]], new: Iterable[Mapping[str, float]]) -> dict[str, list[float]]:
    """The stored values of each quantity and the new ones (a file's rows) together: the
    reference the median test compares each new value with (leaving that value out)."""
    out = {q: list(v) for q, v in stored.items()}
    for values in new:
        for q, v in values.items():
            out.setdefault(q, []).append(v)
    return out
