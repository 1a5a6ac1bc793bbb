"""Readers for instrument files: impedance spectra and electrochemical time series.

Entry points
------------
* :func:`read_eis` -> :class:`~optiform.analysis.types.Spectrum`: frequency in Hz, complex
  impedance in ohm with **Im(Z) < 0 for capacitive behaviour**, sorted from high to low frequency.
* :func:`read_series` -> :class:`~optiform.analysis.types.Series`: chronoamperometry, LSV and
  galvanostatic cycling mapped onto :data:`~optiform.analysis.types.SERIES_COLUMNS` (time in s,
  potential in V, current in A with the instrument's sign: positive = charge / oxidation / anodic,
  capacities in mAh, temperature in degC).
* :func:`detect_format`: the format name, decided from the file's *content* (never only the
  extension), e.g. ``"biologic-mpt"``, ``"gamry-dta"``, ``"csv"``, ``"xlsx"``.

Each format has a short parser registered in :data:`EIS_READERS` / :data:`SERIES_READERS`.
Text is decoded as UTF-8, falling back to cp1252 / latin-1 (EC-Lab and Gamry write Windows code
pages); decimal commas are accepted wherever the field separator is not a comma. Problems raise
:class:`~optiform.analysis.types.ReaderError` naming the file, the line (or column) and what was
expected.

BioLogic ``.mpr`` (binary) files are read through the optional ``galvani`` package (extra
``optiform[mpr]``); without it a ReaderError says what to install.
"""

from __future__ import annotations

import csv
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .types import SERIES_COLUMNS, ReaderError, Series, Spectrum

__all__ = ["EIS_READERS", "MPR_EXTRA", "SERIES_READERS", "detect_format", "read_eis", "read_series"]

MPR_EXTRA = "mpr"
"""Name of the optional extra that installs ``galvani`` for BioLogic ``.mpr`` files."""

_EIS_LOOKED_FOR = (
    "EC-Lab .mpt, Gamry .DTA (ZCURVE), ZPlot/ZView .z, Autolab Z60W text, CH Instruments text, "
    "Parstat text, VersaStudio .par, PowerSuite text, or a CSV/XLSX/text table with frequency, "
    "Z' and Z'' (or |Z| and phase) columns"
)
_SNIFF_BYTES = 65536
_UNSUPPORTED = {
    "arbin-res": "an Arbin .res file is an MS Access database: export it to XLSX or CSV with Arbin's software",
    "binary": "a binary file of unknown layout",
    "unknown": "no known header and no delimited numeric table",
}


# --------------------------------------------------------------------------------------------
# Low-level helpers: source file, text, tokens, numbers
# --------------------------------------------------------------------------------------------


@dataclass
class _Src:
    """A file being read, with the reader options and a cached decoded text."""

    path: Path
    sheet: str | int | None = None
    cycle: int | None = None
    _text: str | None = None
    encoding: str = ""

    @property
    def name(self) -> str:
        return str(self.path)

    def text(self) -> str:
        if self._text is None:
            self._text, self.encoding = _decode(_read_bytes(self.path))
        return self._text

    def lines(self) -> list[str]:
        """Lines split on ``\\n`` with trailing ``\\r`` removed (line k is ``lines()[k - 1]``)."""
        return [line.rstrip("\r") for line in self.text().split("\n")]


def _read_bytes(path: Path, size: int = -1) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise ReaderError(f"{path}: cannot open file ({exc.strerror or exc})") from exc


def _decode(raw: bytes) -> tuple[str, str]:
    """Decode as UTF-16 when it has a BOM, else UTF-8 (BOM allowed), else cp1252, else latin-1."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1"), "latin-1"


def _split(line: str, delim: str | None) -> list[str]:
    """Split one line into stripped fields (``None`` = runs of whitespace); drop trailing empties."""
    if delim is None:
        toks = line.split()
    elif '"' in line:
        toks = next(csv.reader([line], delimiter=delim, skipinitialspace=True), [])
    else:
        toks = line.split(delim)
    toks = [t.strip() for t in toks]
    while toks and toks[-1] == "":
        toks.pop()
    return toks


def _num(tok: Any, decimal_comma: bool = False) -> float | None:
    """A float from a cell (number or text; ``1,5`` accepted when ``decimal_comma``), else None."""
    if isinstance(tok, (int, float, np.integer, np.floating)) and not isinstance(tok, bool):
        return float(tok)
    if not isinstance(tok, str):
        return None
    s = tok.strip()
    if decimal_comma and "," in s:
        s = s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return None


def _is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


_DELIMS: tuple[str | None, ...] = ("\t", ";", ",", None)


def _sniff(lines: list[str]) -> str | bool | None:
    """Field separator of a delimited text table, judged on its last 50 non-comment lines.

    A separator qualifies when at least half the sample splits into the same number (>= 2) of
    fields; among those, the one giving the largest share of numeric fields wins (ties: tab,
    semicolon, comma, whitespace). Returns ``False`` when nothing qualifies.
    """
    sample = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")][-50:]
    best: tuple[float, str | None] | None = None
    for d in _DELIMS:
        rows = [_split(ln, d) for ln in sample]
        counts: dict[int, int] = {}
        for r in rows:
            counts[len(r)] = counts.get(len(r), 0) + 1
        if not counts:
            continue
        n, freq = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        if n < 2 or freq < 0.5 * len(rows):
            continue
        toks = [t for r in rows if len(r) == n for t in r if t]
        share = sum(_num(t, d != ",") is not None for t in toks) / max(1, len(toks))
        if best is None or share > best[0] + 1e-9:
            best = (share, d)
    return False if best is None or best[0] == 0 else best[1]


# --------------------------------------------------------------------------------------------
# Tables: header + rows of cells, with where each row came from
# --------------------------------------------------------------------------------------------


@dataclass
class _Table:
    """Rows of cells (text or numbers) below a header, with the line/row number of each row."""

    names: list[str]
    cells: list[list[Any]]
    linenos: list[int]
    label: str = "line {}"  # how to name a row in messages; {} = line/row number
    header_lineno: int | None = None
    decimal_comma: bool = False
    raws: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None  # column store (used for .mpr), replaces ``cells``
    meta: dict[str, Any] = field(default_factory=dict)

    def where(self, k: int) -> str:
        """Label of data row ``k``."""
        return self.label.format(self.linenos[k])

    def header_where(self) -> str:
        return self.label.format(self.header_lineno) if self.header_lineno else "header"

    def __len__(self) -> int:
        return len(self.frame) if self.frame is not None else len(self.cells)


def _float_column(src: _Src, table: _Table, j: int, *, allow_empty: bool) -> np.ndarray:
    """Column ``j`` as floats; a non-number raises a ReaderError naming the row and column.

    Empty cells become NaN when ``allow_empty``; the text ``nan`` is always accepted.
    """
    if table.frame is not None:
        values = list(table.frame.iloc[:, j])
    else:
        values = [r[j] if j < len(r) else "" for r in table.cells]
    if table.decimal_comma:
        values = [v.replace(",", ".") if isinstance(v, str) else v for v in values]
    try:  # fast path: every cell is a number or numeric text
        return np.array(values, dtype=float)
    except (ValueError, TypeError):
        pass
    out = np.full(len(values), np.nan)
    for k, v in enumerate(values):
        x = _num(v)
        if x is not None:
            out[k] = x
        elif not (allow_empty and _is_empty(v)):
            name = table.names[j] if j < len(table.names) else f"#{j + 1}"
            got = v.replace(".", ",") if table.decimal_comma and isinstance(v, str) else v
            got = "an empty cell" if _is_empty(got) else repr(got)
            raise ReaderError(f"{src.name}: {table.where(k)}: column {name!r}: expected a number, got {got}")
    return out


def _tokenize(lines: list[str], delim: str | None, start: int = 0) -> list[tuple[int, list[str], str]]:
    """(line number, fields, raw line) for non-blank, non-comment lines from index ``start``.

    Fields keep surrounding blanks (number parsing ignores them); trailing empty fields are dropped.
    """
    idx = []
    for i in range(start, len(lines)):
        s = lines[i].strip()
        if s and s[0] != "#" and not (len(s) == 5 and s.startswith("sep=")):
            idx.append(i)
    sel = [lines[i] for i in idx]
    rows = [ln.split() for ln in sel] if delim is None else csv.reader(sel, delimiter=delim, skipinitialspace=True)
    out = []
    for i, toks, raw in zip(idx, rows, sel):
        while toks and not toks[-1].strip():
            toks.pop()
        out.append((i + 1, toks, raw))
    return out


def _locate_table(
    src: _Src,
    rows: list[tuple[int, list[Any], str]],
    is_header: Callable[[list[str]], bool],
    *,
    decimal_comma: bool,
    label: str = "line {}",
    comments: dict[int, list[str]] | None = None,
) -> _Table:
    """Find the header (first row ``is_header`` accepts, before any all-numeric row) and the data.

    Without a recognised header the data start at the first all-numeric row; the row just before it
    (if it has as many fields) is reported as an unrecognised header. ``comments`` maps a line
    number to the fields of a ``# ...`` comment line, which may also carry the header.
    """
    comments = comments or {}
    first_numeric = None
    for k, (lineno, toks, _raw) in enumerate(rows):
        for cl in sorted(c for c in comments if c < lineno):
            if is_header(comments[cl]):
                return _make_table(comments[cl], rows[k:], cl, label, decimal_comma)
        comments = {c: v for c, v in comments.items() if c > lineno}
        if is_header([str(t) for t in toks]):
            return _make_table([str(t) for t in toks], rows[k + 1 :], lineno, label, decimal_comma)
        if len(toks) >= 2 and all(_num(t, decimal_comma) is not None for t in toks):
            first_numeric = k
            break
    if first_numeric is None:
        return _Table([], [], [], label, None, decimal_comma)
    table = _make_table([], rows[first_numeric:], None, label, decimal_comma)
    if first_numeric > 0:
        prev = rows[first_numeric - 1]
        if len(prev[1]) == len(rows[first_numeric][1]):
            table.meta["unrecognised_header"] = (prev[0], [str(t) for t in prev[1]])
    return table


def _make_table(names, rows, header_lineno, label, decimal_comma) -> _Table:
    return _Table(
        names=[str(n).strip() for n in names],
        cells=[r[1] for r in rows],
        linenos=[r[0] for r in rows],
        label=label,
        header_lineno=header_lineno,
        decimal_comma=decimal_comma,
        raws=[r[2] for r in rows],
    )


def _text_table(src: _Src, is_header: Callable[[list[str]], bool], what: str) -> _Table:
    """A delimited text table (comma, semicolon, tab or whitespace; decimal commas allowed)."""
    lines = src.lines()
    delim = _sniff(lines)
    if delim is False:
        raise ReaderError(f"{src.name}: not a recognised {what} (no delimited table found; looked for {_looked(what)})")
    dc = delim != ","
    comments = {
        i + 1: _split(ln.strip().lstrip("#"), delim) for i, ln in enumerate(lines[:200]) if ln.strip().startswith("#")
    }
    table = _locate_table(src, _tokenize(lines, delim), is_header, decimal_comma=dc, comments=comments)
    table.meta.update({"delimiter": {None: "whitespace"}.get(delim, delim), "encoding": src.encoding})
    table.meta["decimal_comma"] = dc and any("," in str(c) for row in table.cells[:50] for c in row)
    return table


def _looked(what: str) -> str:
    if what == "impedance format":
        return _EIS_LOOKED_FOR
    return "a table with a time column and a potential or current column"


def _xlsx_tables(src: _Src, is_header: Callable[[list[str]], bool], what: str) -> list[tuple[str, _Table]]:
    """(sheet name, table) for every sheet of a workbook whose header ``is_header`` accepts."""
    try:
        book = pd.read_excel(
            src.path, sheet_name=src.sheet if src.sheet is not None else None, header=None, na_filter=False
        )
    except ImportError as exc:  # .xls needs xlrd
        raise ReaderError(f"{src.name}: reading this workbook needs an extra package: {exc}") from exc
    except Exception as exc:  # a sheet that does not exist, a damaged file ...
        where = f"sheet {src.sheet!r}" if src.sheet is not None else "workbook"
        raise ReaderError(f"{src.name}: cannot read {where}: {exc}") from exc
    if isinstance(book, pd.DataFrame):
        book = {src.sheet: book}
    found: list[tuple[str, _Table]] = []
    fallback: list[tuple[str, _Table]] = []
    for sheet, df in book.items():
        rows = []
        for i, rec in enumerate(df.itertuples(index=False, name=None)):
            cells = ["" if _is_empty(v) else v for v in rec]
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                rows.append((i + 1, cells, ", ".join(map(str, cells))))
        table = _locate_table(src, rows, is_header, decimal_comma=True, label=f"sheet '{sheet}': row {{}}")
        table.meta["sheet"] = sheet
        if table.names or (table.cells and src.sheet is not None):
            found.append((str(sheet), table))
        elif table.cells and not found and not fallback:
            fallback = [(str(sheet), table)]
    if not found and fallback:
        return fallback
    if not found:
        sheets = ", ".join(map(str, book))
        raise ReaderError(
            f"{src.name}: not a recognised {what} (no sheet has the expected header; sheets: {sheets}; "
            f"looked for {_looked(what)})"
        )
    return found


# --------------------------------------------------------------------------------------------
# Column names: roles and units
# --------------------------------------------------------------------------------------------

_UNITS: dict[str, dict[str, float]] = {
    "frequency": {"Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "mHz": 1e-3},
    "impedance": {"ohm": 1.0, "kohm": 1e3, "Mohm": 1e6, "mohm": 1e-3},
    "angle": {"deg": 1.0, "°": 1.0, "rad": 180.0 / math.pi},
    "time": {"s": 1.0, "sec": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0, "hr": 3600.0, "d": 86400.0},
    "potential": {"V": 1.0, "mV": 1e-3, "uV": 1e-6},
    "current": {"A": 1.0, "mA": 1e-3, "uA": 1e-6, "nA": 1e-9},
    "capacity": {
        "mAh": 1.0,
        "Ah": 1e3,
        "uAh": 1e-3,
        "C": 1e3 / 3600,
        "As": 1e3 / 3600,
        "mC": 1 / 3600,
        "mAs": 1 / 3600,
    },
    "temperature": {"°C": 0.0, "degC": 0.0, "C": 0.0, "K": -273.15},  # offsets
}
_DEFAULT_UNITS = {
    "frequency": "Hz",
    "impedance": "ohm",
    "angle": "deg",
    "time": "s",
    "potential": "V",
    "current": "A",
    "capacity": "Ah",
    "temperature": "°C",
}


def _unit_key(unit: str) -> str:
    u = re.split(r"\s+vs\.?\s", unit.strip())[0]  # 'V vs. Li/Li+' -> 'V'
    u = u.replace("µ", "u").replace("μ", "u").replace("Ω", "ohm").replace("º", "°")
    u = re.sub(r"[\s.·*]", "", u)
    low = u.lower()
    if low.endswith(("ohm", "ohms")):
        prefix = u[: len(u) - (4 if low.endswith("ohms") else 3)]
        return {"": "ohm", "k": "kohm", "K": "kohm", "M": "Mohm", "m": "mohm"}.get(prefix, u)
    if low.endswith("hz"):
        return {"": "Hz", "k": "kHz", "K": "kHz", "M": "MHz", "m": "mHz"}.get(u[:-2], u)
    aliases = {
        "secs": "s",
        "seconds": "s",
        "hours": "h",
        "hrs": "h",
        "mins": "min",
        "minutes": "min",
        "degrees": "deg",
        "degree": "deg",
        "°": "°",
        "deg": "deg",
        "degc": "degC",
        "°c": "°C",
    }
    return aliases.get(low, u)


def _unit_factor(kind: str, unit: str) -> float:
    """Multiplier (additive offset for temperature) converting ``unit`` to the canonical unit."""
    table = _UNITS[kind]
    key = _unit_key(unit or _DEFAULT_UNITS[kind])
    if key not in table:
        raise KeyError(key)
    return table[key]


def _unquote(name: Any) -> str:
    s = str(name).strip()
    return s[1:-1].strip() if len(s) >= 2 and s[0] == s[-1] == '"' else s


def _key(name: str) -> str:
    """Normalised column name: primes unified, lower case, no whitespace or underscores."""
    s = _unquote(name)
    s = s.replace("″", "''").replace("′", "'").replace("’", "'").replace("´", "'").replace('"', "''")
    s = s.replace("−", "-").replace("–", "-").replace("Ω", "ohm").replace("µ", "u").replace("μ", "u")
    return re.sub(r"[\s_]", "", s.lower())


_EIS_ROLES: dict[str, tuple[str, ...]] = {
    "frequency": ("freq", "frequency", "f", "freq.", "fre", "frequence", "fréquence", "freqency"),
    "real": ("z'", "zre", "zreal", "re(z)", "rez", "re", "real", "real(z)", "realz", "zr", "z'(a)", "zreal'"),
    "imag": (
        "z''",
        "zim",
        "zimag",
        "zimg",
        "zimaginary",
        "im(z)",
        "imz",
        "im",
        "imag",
        "imaginary",
        "imag(z)",
        "imagz",
        "zi",
        "z''(b)",
    ),
    "modulus": ("|z|", "z", "zmod", "mod(z)", "modz", "modulus", "impedance", "absz", "abs(z)"),
    "phase": ("phase", "phase(z)", "zphz", "phz", "phaseangle", "theta", "phi", "angle"),
}
_EIS_KIND = {
    "frequency": "frequency",
    "real": "impedance",
    "imag": "impedance",
    "modulus": "impedance",
    "phase": "angle",
}

_SERIES_ROLES: dict[str, tuple[str, ...]] = {
    "time_s": ("testtime", "time", "elapsedtime", "totaltime", "runtime", "t", "test"),
    "potential_V": (
        "ewe",
        "<ewe>",
        "voltage",
        "potential",
        "ecell",
        "<ecell>",
        "e",
        "v",
        "vf",
        "u",
        "cellvoltage",
        "we(1).potential",
        "volts",
    ),
    "current_A": ("i", "<i>", "current", "im", "cur", "we(1).current", "amps"),
    "cycle": ("cyclenumber", "cycleindex", "cycle", "cyclec", "cycleno", "cycle#", "cyc#", "cycleno."),
    "step": ("stepindex", "ns", "step", "stepnumber", "stepno", "step#", "stepno."),
    "charge_capacity_mAh": ("qcharge", "chargecapacity", "chargecap", "chgcap", "chg.cap.", "capacitycharge"),
    "discharge_capacity_mAh": (
        "qdischarge",
        "dischargecapacity",
        "dischargecap",
        "dchgcap",
        "dchg.cap.",
        "capacitydischarge",
    ),
    "q_signed": ("qcharge/discharge",),
    "temperature_C": ("temperature", "temp", "auxtemperature", "auxtemperature1", "temperature1"),
}
_SERIES_KIND = {
    "time_s": "time",
    "potential_V": "potential",
    "current_A": "current",
    "charge_capacity_mAh": "capacity",
    "discharge_capacity_mAh": "capacity",
    "q_signed": "capacity",
    "temperature_C": "temperature",
}


def _parse_name(name: str, roles: dict[str, tuple[str, ...]]) -> tuple[str, int, bool, str] | None:
    """(role, rank of the synonym, negated?, unit) for a column name, or None if not recognised.

    The whole name is tried first (``Re(Z)``), then a trailing ``(unit)`` / ``[unit]`` and then a
    trailing ``/unit`` are split off (``Frequency (Hz)``, ``Z'' [Ω]``, ``freq/Hz``). A leading
    minus sign (``-Z''``, ``-Im(Z)/Ohm``) sets ``negated``.
    """
    raw = _unquote(name)
    candidates = [(raw, "")]
    m = re.match(r"^(.*?)\s*[\(\[]([^()\[\]]*)[\)\]]\s*$", raw)
    if m and m.group(1):
        candidates.append((m.group(1), m.group(2)))
    if "/" in raw:
        base, unit = raw.rsplit("/", 1)
        candidates.append((base, unit))
    for base, unit in candidates:
        k = _key(base)
        negated = k.startswith("-")
        k = k.lstrip("-+")
        for role, synonyms in roles.items():
            if k in synonyms:
                return role, synonyms.index(k), negated, unit.strip()
    return None


def _assign_roles(names: list[str], roles: dict[str, tuple[str, ...]]) -> dict[str, tuple[int, bool, str]]:
    """role -> (column index, negated, unit), preferring the earliest synonym, then the first column."""
    best: dict[str, tuple[int, int, bool, str]] = {}
    for j, name in enumerate(names):
        parsed = _parse_name(name, roles)
        if parsed is None:
            continue
        role, rank, neg, unit = parsed
        if role not in best or rank < best[role][0]:
            best[role] = (rank, j, neg, unit)
    return {role: (j, neg, unit) for role, (_r, j, neg, unit) in best.items()}


def _factor(src: _Src, table: _Table, j: int, kind: str, unit: str) -> float:
    try:
        return _unit_factor(kind, unit)
    except KeyError:
        expected = ", ".join(_UNITS[kind])
        raise ReaderError(
            f"{src.name}: {table.header_where()}: column {table.names[j]!r}: unit {unit!r} not "
            f"understood (expected one of {expected})"
        ) from None


# --------------------------------------------------------------------------------------------
# Impedance: points, validation, cycles
# --------------------------------------------------------------------------------------------


@dataclass
class _Points:
    """Raw impedance points as read, before validation, cycle selection and sorting."""

    f: np.ndarray
    Z: np.ndarray
    where: Callable[[int], str]
    cycles: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def _has_freq(toks: list[str]) -> bool:
    return any((p := _parse_name(t, _EIS_ROLES)) is not None and p[0] == "frequency" for t in toks)


def _eis_from_table(src: _Src, table: _Table, sign: str = "auto") -> _Points:
    """Frequency and Z from a table with named (or, headerless, positional f, Z', Z'') columns.

    ``sign``: ``"auto"`` (a leading minus in the Z''/phase header means the column holds -Z'';
    otherwise, if the stored column is mostly positive over the lower half of the frequencies it
    is taken as -Z''), or ``"as stored"`` for formats whose convention is fixed.
    """
    if not table.names:
        return _eis_positional(src, table, sign)
    roles = _assign_roles(table.names, _EIS_ROLES)
    found = ", ".join(repr(n) for n in table.names)
    if "frequency" not in roles:
        raise ReaderError(
            f"{src.name}: {table.header_where()}: no frequency column (found: {found}; "
            "looked for e.g. 'freq', 'Frequency (Hz)', 'f/Hz')"
        )
    polar = not ("real" in roles and "imag" in roles) and "modulus" in roles and "phase" in roles
    need = ("modulus", "phase") if polar else ("real", "imag")
    for role in need:
        if role not in roles:
            label = {"real": "Z' (real part)", "imag": "Z'' (imaginary part)"}[role]
            raise ReaderError(
                f"{src.name}: {table.header_where()}: no {label} column (found: {found}; looked for "
                "e.g. Z', Zre, Zreal, Re(Z)/Ohm, Z'', -Z'', Zim, Zimag, -Im(Z), or |Z| and phase)"
            )
    cols = {}
    for role in ("frequency", *need):
        j, _neg, unit = roles[role]
        cols[role] = _float_column(src, table, j, allow_empty=False) * _factor(src, table, j, _EIS_KIND[role], unit)
    f = cols["frequency"]
    second = cols["phase"] if polar else cols["imag"]
    negated_header = roles[need[1]][1]
    if sign == "as stored":
        s, how = 1.0, "format"
    else:
        s, how = _imag_sign(f, second, negated_header)
    if polar:
        Z = cols["modulus"] * np.exp(1j * np.deg2rad(s * second))
    else:
        Z = cols["real"] + 1j * s * second
    meta = {
        "columns": {role: table.names[roles[role][0]] for role in ("frequency", *need)},
        "imag_sign": "negated" if s < 0 else "as stored",
        "imag_sign_from": how,
        **table.meta,
    }
    return _Points(f, Z, table.where, meta=meta)


def _eis_positional(src: _Src, table: _Table, sign: str) -> _Points:
    """Headerless table: the first three numbers of each row are f (Hz), Z' and Z'' (ohm)."""
    if "unrecognised_header" in table.meta:
        lineno, names = table.meta["unrecognised_header"]
        if not _has_freq(names):
            raise ReaderError(
                f"{src.name}: {table.label.format(lineno)}: no frequency column in header (found: "
                f"{', '.join(map(repr, names))}; looked for e.g. 'freq', 'Frequency (Hz)', 'f/Hz')"
            )
    if not table.cells:
        raise ReaderError(f"{src.name}: not a recognised impedance format (looked for {_EIS_LOOKED_FOR})")
    data = np.empty((len(table.cells), 3))
    for k, row in enumerate(table.cells):
        vals = [_num(t, table.decimal_comma) for t in row[:3]]
        if len(vals) < 3 or any(v is None for v in vals):
            got = table.raws[k].strip() if table.raws else ", ".join(map(str, row))
            raise ReaderError(f"{src.name}: {table.where(k)}: expected 3 numbers (frequency, Z', Z''), got {got!r}")
        data[k] = vals
    f, im = data[:, 0], data[:, 2]
    s, how = (1.0, "format") if sign == "as stored" else _imag_sign(f, im, False)
    meta = {
        "columns": "positional (frequency, Z', Z'')",
        "imag_sign": "negated" if s < 0 else "as stored",
        "imag_sign_from": how,
        **{k: v for k, v in table.meta.items() if k != "unrecognised_header"},
    }
    return _Points(f, data[:, 1] + 1j * s * im, table.where, meta=meta)


def _imag_sign(f: np.ndarray, im: np.ndarray, negated_header: bool) -> tuple[float, str]:
    """-1 when the stored imaginary column is -Z'' (header says so, or it is mostly positive at
    low frequency, where electrolyte/battery spectra are capacitive), else +1; and why."""
    if negated_header:
        return -1.0, "header"
    ok = np.isfinite(f) & np.isfinite(im)
    if not ok.any():
        return 1.0, "data"
    low = im[ok][f[ok] <= np.median(f[ok])]
    return (-1.0 if np.median(low) > 0 else 1.0), "data"


def _validate(src: _Src, pts: _Points) -> None:
    bad_f = ~np.isfinite(pts.f) | (pts.f <= 0)
    if bad_f.any():
        k = int(np.flatnonzero(bad_f)[0])
        raise ReaderError(f"{src.name}: {pts.where(k)}: frequency must be a positive finite number, got {pts.f[k]!r}")
    bad_z = ~np.isfinite(pts.Z)
    if bad_z.any():
        k = int(np.flatnonzero(bad_z)[0])
        raise ReaderError(f"{src.name}: {pts.where(k)}: impedance must be finite, got {pts.Z[k]!r}")
    if len(pts.f) == 0:
        raise ReaderError(f"{src.name}: no impedance data points found")


def _select_cycle(src: _Src, pts: _Points) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Pick one sweep: ``src.cycle`` if given, else the last complete one (as many points as the
    longest sweep). Files without a cycle column hold one sweep."""
    meta: dict[str, Any] = {}
    if pts.cycles is None:
        if src.cycle not in (None, 1):
            raise ReaderError(f"{src.name}: cycle={src.cycle} requested but the file holds a single sweep")
        return pts.f, pts.Z, meta
    ids = [int(c) if float(c).is_integer() else float(c) for c in pd.unique(pts.cycles)]
    counts = {c: int(np.sum(pts.cycles == c)) for c in ids}
    meta["cycles"] = ids
    meta["points_per_cycle"] = counts
    if src.cycle is None:
        full = max(counts.values())
        chosen = [c for c in ids if counts[c] == full][-1]
        incomplete = [c for c in ids if counts[c] < full]
        if incomplete:
            meta["incomplete_cycles"] = incomplete
    elif src.cycle in counts:
        chosen = src.cycle
    else:
        raise ReaderError(f"{src.name}: no cycle {src.cycle} (cycles in file: {', '.join(map(str, ids))})")
    meta["cycle"] = chosen
    keep = pts.cycles == chosen
    return pts.f[keep], pts.Z[keep], meta


# --------------------------------------------------------------------------------------------
# Impedance parsers (one per format)
# --------------------------------------------------------------------------------------------


def _biologic_table(src: _Src) -> _Table:
    """EC-Lab text export: 'Nb header lines : N' on line 2, column names on line N, tab-separated."""
    lines = src.lines()
    n = 1
    if lines[0].strip().startswith("EC-Lab ASCII FILE"):
        m = re.match(r"\s*Nb header lines\s*:\s*(\d+)", lines[1] if len(lines) > 1 else "")
        if not m:
            raise ReaderError(f"{src.name}: line 2: expected 'Nb header lines : N', got {lines[1:2]!r}")
        n = int(m.group(1))
        if not 1 <= n <= len(lines):
            raise ReaderError(f"{src.name}: line 2: header length {n} exceeds the file ({len(lines)} lines)")
    names = _split(lines[n - 1], "\t")
    rows = [(i + 1, lines[i].split("\t"), lines[i]) for i in range(n, len(lines)) if lines[i].strip()]
    table = _make_table(names, rows, n, "line {}", True)
    table.meta.update({"header_lines": n, "encoding": src.encoding})
    return table


def _biologic_points(src: _Src, table: _Table) -> _Points:
    """``freq/Hz``, ``Re(Z)/Ohm`` and ``-Im(Z)/Ohm`` (EC-Lab stores -Im(Z): negated here).

    Rows with ``freq/Hz`` exactly 0 (from non-impedance techniques in a combined file) are dropped;
    sweeps are told apart by ``cycle number`` (or ``z cycle``).
    """
    idx = {}
    for col in ("freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm"):
        if col not in table.names:
            raise ReaderError(
                f"{src.name}: {table.header_where()}: no column '{col}' (found: {', '.join(table.names)})"
            )
        idx[col] = table.names.index(col)
    f, re_z, mim = (_float_column(src, table, idx[c], allow_empty=False) for c in idx)
    cycles = None
    for col in ("cycle number", "z cycle"):
        if col in table.names:
            c = _float_column(src, table, table.names.index(col), allow_empty=False)
            if cycles is None or len(np.unique(c)) > 1:
                cycles = c
    meta = {
        "columns": {"frequency": "freq/Hz", "real": "Re(Z)/Ohm", "imag": "-Im(Z)/Ohm"},
        "imag_sign": "negated",
        "imag_sign_from": "format",
        **table.meta,
    }
    keep = np.ones(len(f), dtype=bool)
    if (f == 0).any() and (f > 0).any():
        keep = f != 0
        meta["dropped_rows"] = {"count": int((~keep).sum()), "reason": "freq/Hz = 0 (not an impedance point)"}
    rows = np.flatnonzero(keep)
    return _Points(
        f[keep],
        re_z[keep] - 1j * mim[keep],
        lambda k: table.where(int(rows[k])),
        None if cycles is None else cycles[keep],
        meta,
    )


def _eis_biologic(src: _Src) -> _Points:
    return _biologic_points(src, _biologic_table(src))


def _eis_gamry(src: _Src) -> _Points:
    """Gamry ``.DTA``: the ZCURVE table (Freq in Hz, Zreal and Zimag in ohm, Zimag as Im(Z)).

    The table runs until the first line that does not start with whitespace, so an aborted run
    (``EXPERIMENTABORTED`` after the last point) yields the points measured so far.
    """
    lines = src.lines()
    start = next((i for i, ln in enumerate(lines) if ln.split("\t", 1)[0].strip() == "ZCURVE"), None)
    if start is None or start + 2 >= len(lines):
        raise ReaderError(f"{src.name}: no ZCURVE table (a Gamry EIS file has 'ZCURVE<TAB>TABLE' and a header)")
    names = lines[start + 1].split("\t")
    rows = []
    for i in range(start + 3, len(lines)):
        if not lines[i].strip():
            continue
        if not lines[i][:1].isspace():
            break
        rows.append((i + 1, lines[i].split("\t"), lines[i]))
    table = _make_table([n.strip() for n in names], rows, start + 2, "line {}", True)
    idx = {}
    for col in ("Freq", "Zreal", "Zimag"):
        if col not in table.names:
            raise ReaderError(
                f"{src.name}: line {start + 2}: no column '{col}' in ZCURVE "
                f"(found: {', '.join(n for n in table.names if n)})"
            )
        idx[col] = table.names.index(col)
    f, zr, zi = (_float_column(src, table, idx[c], allow_empty=False) for c in idx)
    aborted = any(ln.startswith("EXPERIMENTABORTED") for ln in lines)
    meta = {
        "columns": {"frequency": "Freq", "real": "Zreal", "imag": "Zimag"},
        "imag_sign": "as stored",
        "imag_sign_from": "format",
        "aborted": aborted,
        "encoding": src.encoding,
    }
    return _Points(f, zr + 1j * zi, table.where, meta=meta)


def _eis_zplot(src: _Src) -> _Points:
    """ZPlot/ZView ``.z`` (and the same layout in Autolab 'Z60W' text): data follow 'End Comments'
    or the 'Freq(Hz) ... Z'(a) Z''(b)' header; fields 1, 5, 6 are f (Hz), Z' and Z'' (ohm)."""
    lines = src.lines()
    start = header = None
    for i, ln in enumerate(lines):
        if "End Comments" in ln:
            start = i + 1
        elif re.search(r"Freq\s*\(Hz\)", ln):
            header = i + 1
    start = start if start is not None else header
    if start is None:
        raise ReaderError(f"{src.name}: no data header (expected an 'End Comments' line or a 'Freq(Hz)' header)")
    rows = [
        (i + 1, [t.strip() for t in re.split(r"\t|,", lines[i])], lines[i])
        for i in range(start, len(lines))
        if lines[i].strip()
    ]
    for lineno, toks, raw in rows:
        if len(toks) < 6:
            raise ReaderError(
                f"{src.name}: line {lineno}: expected at least 6 fields (Freq, Ampl, Bias, Time, "
                f"Z', Z''), got {raw.strip()!r}"
            )
    table = _make_table(["Freq(Hz)", "Ampl", "Bias", "Time(Sec)", "Z'(a)", "Z''(b)"], rows, start, "line {}", False)
    f, zr, zi = (_float_column(src, table, j, allow_empty=False) for j in (0, 4, 5))
    meta = {
        "columns": {"frequency": "Freq(Hz)", "real": "Z'(a)", "imag": "Z''(b)"},
        "imag_sign": "as stored",
        "imag_sign_from": "format",
        "encoding": src.encoding,
    }
    return _Points(f, zr + 1j * zi, table.where, meta=meta)


def _eis_chi(src: _Src) -> _Points:
    """CH Instruments text: comma-separated table under 'Freq/Hz, Z'/ohm, Z"/ohm, ...'; Z'' as Im(Z)."""
    lines = src.lines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("Freq/Hz")), None)
    if start is None:
        raise ReaderError(f"{src.name}: no 'Freq/Hz' header line (CH Instruments impedance export)")
    table = _make_table(_split(lines[start], ","), _tokenize(lines, ",", start + 1), start + 1, "line {}", False)
    return _eis_from_table(src, table, sign="as stored")


def _eis_parstat(src: _Src) -> _Points:
    """Parstat text: tab-separated with 'Frequency (Hz)', 'Zre (ohms)', 'Zim (ohms)' (Zim as Im(Z)).
    Rows with frequency 0 (the DC part of the run) are dropped."""
    lines = src.lines()
    table = _make_table(_split(lines[0], "\t"), _tokenize(lines, "\t", 1), 1, "line {}", True)
    j = table.names.index("Frequency (Hz)")
    f = _float_column(src, table, j, allow_empty=False)
    keep = np.flatnonzero(f != 0)
    dropped = len(f) - len(keep)
    table = _make_table(
        table.names, [(table.linenos[k], table.cells[k], table.raws[k]) for k in keep], 1, "line {}", True
    )
    pts = _eis_from_table(src, table, sign="as stored")
    pts.meta["dropped_rows"] = {"count": dropped, "reason": "Frequency (Hz) = 0 (DC part of the run)"}
    return pts


def _eis_versastudio(src: _Src) -> _Points:
    """VersaStudio ``.par``: ``<SegmentN>`` blocks with a 'Definition=' header (comma-separated);
    'Frequency(Hz)', 'Z Real', 'Z Imag' (ohm, Z Imag as Im(Z)). Several EIS segments = cycles."""
    lines = src.lines()
    pts_list = []
    i = 0
    while i < len(lines):
        m = re.match(r"\s*<Segment(\d+)>", lines[i])
        if not m:
            i += 1
            continue
        seg = int(m.group(1))
        end = next((k for k in range(i + 1, len(lines)) if lines[k].strip().startswith(f"</Segment{seg}>")), len(lines))
        dfn = next((k for k in range(i + 1, end) if lines[k].startswith("Definition=")), None)
        if dfn is not None:
            names = _split(lines[dfn][len("Definition=") :], ",")
            if _has_freq(names):
                table = _make_table(names, _tokenize(lines[:end], ",", dfn + 1), dfn + 1, "line {}", False)
                pts = _eis_from_table(src, table, sign="as stored")
                pts_list.append((seg, pts))
        i = end + 1
    if not pts_list:
        raise ReaderError(f"{src.name}: no <Segment> with a 'Definition=' line naming Frequency(Hz), Z Real, Z Imag")
    return _concat_sweeps(pts_list, {"segments": [s for s, _ in pts_list], "encoding": src.encoding})


def _concat_sweeps(pts_list: list[tuple[int, _Points]], extra: dict[str, Any]) -> _Points:
    if len(pts_list) == 1:
        pts = pts_list[0][1]
        pts.meta.update(extra)
        return pts
    offsets = np.cumsum([0] + [len(p.f) for _, p in pts_list])

    def where(k: int) -> str:
        n = int(np.searchsorted(offsets, k, side="right") - 1)
        return pts_list[n][1].where(int(k - offsets[n]))

    return _Points(
        np.concatenate([p.f for _, p in pts_list]),
        np.concatenate([p.Z for _, p in pts_list]),
        where,
        np.concatenate([np.full(len(p.f), s) for s, p in pts_list]),
        {**pts_list[0][1].meta, **extra},
    )


def _eis_powersuite(src: _Src) -> _Points:
    """PowerSuite text: tab-separated 'Frequency, Zre, Zimg' (Hz, ohm; Zimg as Im(Z))."""
    lines = src.lines()
    table = _make_table(_split(lines[0], "\t"), _tokenize(lines, "\t", 1), 1, "line {}", False)
    return _eis_from_table(src, table, sign="as stored")


def _eis_csv(src: _Src) -> _Points:
    """Delimited text table (comma/semicolon/tab/whitespace, decimal commas) with named or
    positional (f, Z', Z'') columns; the Z'' sign is decided as described in :func:`read_eis`."""
    return _eis_from_table(src, _text_table(src, _has_freq, "impedance format"))


def _eis_xlsx(src: _Src) -> _Points:
    """Excel workbook: the first sheet (or ``sheet=``) with a frequency column header."""
    _sheet, table = _xlsx_tables(src, _has_freq, "impedance format")[0]
    return _eis_from_table(src, table)


def _eis_mpr(src: _Src) -> _Points:
    """BioLogic ``.mpr`` via galvani (optional extra)."""
    return _biologic_points(src, _mpr_table(src))


def _mpr_table(src: _Src) -> _Table:
    try:
        from galvani import BioLogic  # type: ignore[import-not-found]
    except ImportError as exc:
        raise ReaderError(
            f"{src.name}: install optiform[{MPR_EXTRA}] (galvani) to read .mpr files, "
            "or export the data from EC-Lab as text (.mpt)"
        ) from exc
    try:
        mpr = BioLogic.MPRfile(str(src.path))
    except Exception as exc:  # galvani raises assorted errors on unknown layouts
        raise ReaderError(f"{src.name}: galvani could not read this .mpr file: {exc}") from exc
    names = [n for n in mpr.data.dtype.names if n != "flags"]
    frame = pd.DataFrame({n: np.asarray(mpr.data[n]) for n in names})
    table = _Table(names, [], list(range(1, len(frame) + 1)), "record {}", None, False, frame=frame)
    table.meta["reader"] = "galvani"
    return table


EIS_READERS: dict[str, Callable[[_Src], _Points]] = {
    "biologic-mpt": _eis_biologic,
    "biologic-mpr": _eis_mpr,
    "gamry-dta": _eis_gamry,
    "zplot-z": _eis_zplot,
    "autolab-txt": _eis_zplot,
    "chi-txt": _eis_chi,
    "parstat-txt": _eis_parstat,
    "versastudio-par": _eis_versastudio,
    "powersuite-txt": _eis_powersuite,
    "csv": _eis_csv,
    "xlsx": _eis_xlsx,
    "xls": _eis_xlsx,
}
"""Format name -> impedance parser."""


# --------------------------------------------------------------------------------------------
# Format detection
# --------------------------------------------------------------------------------------------


def detect_format(path: str | Path) -> str:
    """Name of the file's format, judged from its content.

    Returns one of ``biologic-mpt``, ``biologic-mpr``, ``gamry-dta``, ``zplot-z``, ``autolab-txt``
    (ZPlot-style 'Z60W' export), ``chi-txt``, ``parstat-txt``, ``versastudio-par``,
    ``powersuite-txt``, ``csv`` (any delimited text table), ``xlsx``, ``xls``, ``arbin-res``
    (MS Access database, unsupported), ``binary`` (other binary) or ``unknown``.
    """
    path = Path(path)
    head = _read_bytes(path, _SNIFF_BYTES)
    if head.startswith(b"BIO-LOGIC MODULAR FILE"):
        return "biologic-mpr"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                return "xlsx" if any(n.startswith("xl/") for n in zf.namelist()) else "binary"
        except zipfile.BadZipFile:
            return "binary"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head[4:19] == b"Standard Jet DB" or head[4:19] == b"Standard ACE DB":
        return "arbin-res"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    text, _enc = _decode(head)
    lines = [ln.rstrip("\r") for ln in text.split("\n")]
    first = lines[0].strip()
    top = "\n".join(lines[:40])
    if first.startswith("EC-Lab ASCII FILE"):
        return "biologic-mpt"
    if first == "EXPLAIN" or re.search(r"^ZCURVE\t", text, re.M):
        return "gamry-dta"
    if first.startswith("ZPLOT2 ASCII") or "ZPlotW Data File" in first:
        return "zplot-z"
    if "Z60W Data File" in first:
        return "autolab-txt"
    if first == "<Application>" and "VersaStudio" in top:
        return "versastudio-par"
    if re.search(r"^Freq/Hz\s*,", top, re.M) and ("CHI" in top or "A.C. Impedance" in top):
        return "chi-txt"
    names = _split(lines[0], "\t")
    if {"Frequency (Hz)", "Zre (ohms)", "Zim (ohms)"} <= set(names):
        return "parstat-txt"
    if [n.strip() for n in names] == ["Frequency", "Zre", "Zimg"]:
        return "powersuite-txt"
    if (
        len(names) >= 3
        and {"freq/Hz", "time/s"} & set(names)
        and {"Ewe/V", "<Ewe>/V", "Re(Z)/Ohm", "I/mA", "<I>/mA", "mode", "ox/red", "cycle number"} & set(names)
    ):
        return "biologic-mpt"  # EC-Lab export without the header block
    if _sniff(lines[:-1] if len(head) == _SNIFF_BYTES else lines) is not False:
        return "csv"
    return "unknown"


# --------------------------------------------------------------------------------------------
# Public readers
# --------------------------------------------------------------------------------------------


def read_eis(path: str | Path, *, sheet: str | int | None = None, cycle: int | None = None) -> Spectrum:
    """Read an impedance spectrum from an instrument file (format from :func:`detect_format`).

    Returns a :class:`Spectrum` with frequency in Hz and Z in ohm, **Im(Z) < 0 for capacitive
    behaviour**, sorted from high to low frequency. ``meta`` holds ``format`` plus, as
    applicable, ``columns`` (original names), ``imag_sign`` ("as stored" / "negated") and
    ``imag_sign_from`` ("format", "header" or "data"), ``cycles`` / ``cycle`` /
    ``points_per_cycle``, ``dropped_rows``, ``encoding``, ``delimiter``, ``sheet``.

    Sign of the stored imaginary part: instrument formats follow their documented convention
    (EC-Lab stores -Im(Z) and is negated; Gamry, ZPlot, CHI, Parstat, VersaStudio, PowerSuite
    store Im(Z)). For generic tables a leading minus in the header (``-Z''``, ``-Im(Z)``) means
    -Z''; otherwise the column is taken as -Z'' when its median over the lower half of the
    frequencies is positive (electrolyte and battery spectra are capacitive there).

    ``cycle`` picks one sweep of a multi-sweep file (EC-Lab ``cycle number``, VersaStudio
    segments); by default the last complete sweep. ``sheet`` picks a workbook sheet (name or
    index); by default the first sheet with a frequency column.

    Raises ReaderError (naming file, line/column and what was expected) for unreadable files,
    missing columns, non-numeric cells and non-positive or non-finite frequencies.
    """
    src = _Src(Path(path), sheet=sheet, cycle=cycle)
    fmt = detect_format(src.path)
    parser = EIS_READERS.get(fmt)
    if parser is None:
        why = _UNSUPPORTED.get(fmt, f"format '{fmt}'")
        raise ReaderError(f"{src.name}: not a recognised impedance format ({why}; looked for {_EIS_LOOKED_FOR})")
    pts = parser(src)
    _validate(src, pts)
    f, Z, cyc_meta = _select_cycle(src, pts)
    meta = {"format": fmt, **pts.meta, **cyc_meta, "n_points": len(f)}
    return Spectrum(f, Z, str(src.path), meta).sorted()


def _has_series_header(toks: list[str]) -> bool:
    roles = {p[0] for t in toks if (p := _parse_name(t, _SERIES_ROLES)) is not None}
    return "time_s" in roles and bool(roles & {"potential_V", "current_A"})


def _series_csv(src: _Src) -> _Table:
    return _text_table(src, _has_series_header, "time-series table")


def _series_xlsx(src: _Src) -> _Table:
    """The sheet (or sheets with identical headers, e.g. Arbin's Channel_*_1, _2 ...) holding the
    most rows with a time + potential/current header; ``sheet=`` picks one."""
    found = _xlsx_tables(src, _has_series_header, "time-series table")
    groups: dict[tuple, list[tuple[str, _Table]]] = {}
    for sheet, table in found:  # same header and same name up to a trailing _N
        groups.setdefault((tuple(table.names), re.sub(r"_?\d+$", "", sheet)), []).append((sheet, table))
    group = max(groups.values(), key=lambda g: sum(len(t) for _, t in g))
    table = group[0][1]
    if len(group) > 1:
        sheets = [s for s, _ in group]
        table = _Table(
            table.names,
            [c for _, t in group for c in t.cells],
            [n for _, t in group for n in t.linenos],
            f"sheets {', '.join(sheets)}: row {{}}",
            table.header_lineno,
            True,
            meta={"sheets": sheets},
        )
    return table


def _series_gamry(src: _Src) -> _Table:
    """Gamry ``.DTA`` CURVE table(s) (T in s, Vf in V, Im in A, Temp in degC); CURVE1, CURVE2 ...
    of a cyclic run become cycles."""
    lines = src.lines()
    rows, names, header = [], None, None
    for i, ln in enumerate(lines):
        m = re.match(r"CURVE(\d*)\t", ln)
        if not m:
            continue
        names = ["cycle (CURVE n)", *lines[i + 1].split("\t")]
        header = header or i + 2
        for k in range(i + 3, len(lines)):
            if not lines[k].strip() or not lines[k][:1].isspace():
                break
            rows.append((k + 1, [m.group(1) or "1", *lines[k].split("\t")], lines[k]))
    if names is None:
        raise ReaderError(f"{src.name}: no CURVE table (a Gamry time-series file has 'CURVE<TAB>TABLE')")
    table = _make_table([n.strip() for n in names], rows, header, "line {}", True)
    return table


SERIES_READERS: dict[str, Callable[[_Src], _Table]] = {
    "biologic-mpt": _biologic_table,
    "biologic-mpr": _mpr_table,
    "gamry-dta": _series_gamry,
    "csv": _series_csv,
    "xlsx": _series_xlsx,
    "xls": _series_xlsx,
}
"""Format name -> parser returning the raw table that :func:`read_series` maps to canonical columns."""


def read_series(path: str | Path, *, sheet: str | int | None = None) -> Series:
    """Read a time series (chronoamperometry, LSV, galvanostatic cycling) from an instrument file.

    Columns are recognised by name in their usual spellings (EC-Lab ``time/s``, ``Ewe/V``,
    ``<I>/mA``, ``cycle number``, ``Ns``, ``Q charge/discharge/mA.h``; Arbin ``Test_Time(s)``,
    ``Voltage(V)``, ``Current(A)``, ``Cycle_Index``, ``Step_Index``, ``Charge_Capacity(Ah)``,
    ``Discharge_Capacity(Ah)``, ``Temperature``; generic ``Time (min)``, ``Potential (mV)``,
    ``Current (uA)`` ...) and converted to :data:`SERIES_COLUMNS`: time_s (s), potential_V (V),
    current_A (A, the instrument's sign: positive = charge / oxidation / anodic), cycle (integer,
    shifted to start at 1 when the file starts at 0), step (as written), charge_capacity_mAh and
    discharge_capacity_mAh (mAh), temperature_C (degC). Units come from the header ((h), [mA],
    /mA.h ...); a column without a unit is taken in s, V, A, Ah or degC and listed in
    ``meta["assumed_units"]``. EC-Lab's signed ``Q charge/discharge`` (reset each half cycle) is
    split into charge (positive part) and discharge (negative part) capacities, each held at its
    running maximum within a cycle. Only canonical columns are kept in ``data``;
    ``meta["columns"]`` maps each to its original name and ``meta["unmapped"]`` lists the rest.

    Raises ReaderError naming file, line/column and what was expected.
    """
    src = _Src(Path(path), sheet=sheet)
    fmt = detect_format(src.path)
    parser = SERIES_READERS.get(fmt)
    if parser is None:
        hint = "; it holds an impedance spectrum: use read_eis" if fmt in EIS_READERS else ""
        hint = f" ({_UNSUPPORTED[fmt]})" if fmt in _UNSUPPORTED else hint
        raise ReaderError(
            f"{src.name}: no time-series reader for format '{fmt}'{hint}; time-series formats: "
            f"{', '.join(SERIES_READERS)}"
        )
    table = parser(src)
    data, meta = _series_frame(src, table)
    return Series(data, str(src.path), {"format": fmt, **meta})


_DURATION = re.compile(r"^(?:(\d+)[.:])?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d*)?)$")


def _duration_column(src: _Src, table: _Table, j: int) -> np.ndarray:
    """A '[d.]hh:mm:ss[.fff]' column as seconds."""
    out = np.full(len(table), np.nan)
    for k, row in enumerate(table.cells):
        v = str(row[j]).strip() if j < len(row) else ""
        if not v:
            continue
        m = _DURATION.match(v)
        if not m:
            raise ReaderError(
                f"{src.name}: {table.where(k)}: column {table.names[j]!r}: expected a duration "
                f"hh:mm:ss[.fff], got {v!r}"
            )
        d, h, mi, sec = m.groups()
        out[k] = int(d or 0) * 86400 + int(h) * 3600 + int(mi) * 60 + float(sec)
    return out


def _series_frame(src: _Src, table: _Table) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Map a table's columns onto SERIES_COLUMNS with unit conversion."""
    roles = _assign_roles(table.names, _SERIES_ROLES)
    if not table.names:
        raise ReaderError(
            f"{src.name}: not a recognised time-series table (no header row found; looked for "
            f"{_looked('time-series table')})"
        )
    if "time_s" not in roles or not {"potential_V", "current_A"} & set(roles):
        raise ReaderError(
            f"{src.name}: {table.header_where()}: expected a time column and a potential or current "
            f"column (found: {', '.join(map(repr, table.names))})"
        )
    cols: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"columns": {}, "units": {}, "assumed_units": {}}
    for role, (j, _neg, unit) in roles.items():
        kind = _SERIES_KIND.get(role)
        if role == "time_s" and "hh:mm" in unit.lower():
            x, kind = _duration_column(src, table, j), None
            meta["units"][role] = unit
        else:
            x = _float_column(src, table, j, allow_empty=True)
        if kind:
            if not unit:
                meta["assumed_units"][role] = _DEFAULT_UNITS[kind]
            k = _factor(src, table, j, kind, unit)
            x = x + k if kind == "temperature" else x * k
            if kind == "temperature":  # e.g. Gamry writes -327.67 when no sensor is connected
                x = np.where(x < -273.15, np.nan, x)
            meta["units"][role] = unit or _DEFAULT_UNITS[kind]
        cols[role] = x
        meta["columns"][role] = table.names[j]
    if "q_signed" in cols:
        q = cols.pop("q_signed")
        groups = cols.get("cycle")
        for role, part in (
            ("charge_capacity_mAh", np.clip(q, 0, None)),
            ("discharge_capacity_mAh", np.clip(-q, 0, None)),
        ):
            if role not in cols:
                s = pd.Series(part)
                cols[role] = (s.groupby(groups, dropna=False).cummax() if groups is not None else s).to_numpy()
                meta["columns"][role] = meta["columns"]["q_signed"]
        for key in ("columns", "units", "assumed_units"):
            meta[key].pop("q_signed", None)
    for role in ("cycle", "step"):
        if role in cols:
            x = cols[role]
            if role == "cycle" and np.isfinite(x).any() and np.nanmin(x) == 0:
                x = x + 1
                meta["cycle_offset"] = 1
            cols[role] = pd.array(np.where(np.isfinite(x), x, 0).astype(np.int64), dtype="Int64")
            if not np.isfinite(x).all():
                cols[role][~np.isfinite(x)] = pd.NA
    data = pd.DataFrame({c: cols[c] for c in SERIES_COLUMNS if c in cols})
    used = {table.names[j] for j, _n, _u in roles.values()}
    meta["unmapped"] = [n for n in table.names if n and n not in used]
    meta.update({k: v for k, v in table.meta.items() if k not in meta})
    meta["n_rows"] = len(data)
    return data, meta
