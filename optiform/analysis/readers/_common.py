"""Shared reading helpers: the file being read, text decoding, tokens and numbers, delimiter
sniffing, and tables (header location, delimited text tables, workbook sheets)."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ...errors import ReaderError

_SNIFF_BYTES = 65536
"""How much of a file :func:`~optiform.analysis.readers.detect_format` reads to decide its format."""

_EIS_DESCRIPTIONS: list[str] = []
"""What :func:`~optiform.analysis.readers.read_eis` looks for, one entry per impedance format in
registry order (filled from the registry's descriptions; shown in error messages)."""


def _eis_looked_for() -> str:
    *first, last = _EIS_DESCRIPTIONS
    return ", ".join(first) + ", or " + last


# --------------------------------------------------------------------------------------------
# Source file, text, tokens, numbers
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


def _sniff(lines: list[str]) -> str | Literal[False] | None:
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


@dataclass
class _Head:
    """The first :data:`_SNIFF_BYTES` of a file, as the format sniffers see it (text decoded on use)."""

    path: Path
    raw: bytes

    @property
    def truncated(self) -> bool:
        """True when the file is longer than what was read (its last line may be cut)."""
        return len(self.raw) == _SNIFF_BYTES

    @cached_property
    def text(self) -> str:
        """The bytes decoded as :func:`_decode` does."""
        return _decode(self.raw)[0]

    @cached_property
    def lines(self) -> list[str]:
        """The text's lines, trailing ``\\r`` removed."""
        return [ln.rstrip("\r") for ln in self.text.split("\n")]

    @cached_property
    def first(self) -> str:
        """The first line, stripped."""
        return self.lines[0].strip()

    @cached_property
    def top(self) -> str:
        """The first 40 lines."""
        return "\n".join(self.lines[:40])

    @cached_property
    def names(self) -> list[str]:
        """The first line's tab-separated fields (column names of a headerless export)."""
        return _split(self.lines[0], "\t")


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


def _make_table(
    names: Sequence[Any],
    rows: Sequence[tuple[int, list[Any], str]],
    header_lineno: int | None,
    label: str,
    decimal_comma: bool,
) -> _Table:
    """A table from header ``names`` and (line number, cells, raw line) rows."""
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
    table.meta.update({"delimiter": "whitespace" if delim is None else delim, "encoding": src.encoding})
    table.meta["decimal_comma"] = dc and any("," in str(c) for row in table.cells[:50] for c in row)
    return table


def _looked(what: str) -> str:
    if what == "impedance format":
        return _eis_looked_for()
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
