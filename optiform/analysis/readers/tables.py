"""Generic tables: delimited text (``csv``: comma, semicolon, tab or whitespace, decimal commas
allowed) and Excel workbooks (``xlsx``, ``xls``), with named columns (or, headerless, positional
f, Z', Z'')."""

from __future__ import annotations

import re
import zipfile

from ._columns import _eis_from_table, _has_freq, _has_series_header, _Points
from ._common import _Head, _sniff, _Src, _Table, _text_table, _xlsx_tables

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def sniff_csv(head: _Head) -> bool:
    """A delimited text table (judged on the lines read, without a last line that may be cut)."""
    return _sniff(head.lines[:-1] if head.truncated else head.lines) is not False


def sniff_xlsx(head: _Head) -> bool:
    """A zip archive holding an ``xl/`` folder (Office Open XML workbook)."""
    if not head.raw.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(head.path) as zf:
            return any(n.startswith("xl/") for n in zf.namelist())
    except zipfile.BadZipFile:
        return False


def sniff_xls(head: _Head) -> bool:
    """The OLE2 compound-document magic (legacy Excel workbook)."""
    return head.raw.startswith(OLE_MAGIC)


def read_eis_csv(src: _Src) -> _Points:
    """Delimited text table (comma/semicolon/tab/whitespace, decimal commas) with named or
    positional (f, Z', Z'') columns; the Z'' sign is decided as described in :func:`read_eis`."""
    return _eis_from_table(src, _text_table(src, _has_freq, "impedance format"))


def read_eis_xlsx(src: _Src) -> _Points:
    """Excel workbook: the first sheet (or ``sheet=``) with a frequency column header."""
    _sheet, table = _xlsx_tables(src, _has_freq, "impedance format")[0]
    return _eis_from_table(src, table)


def read_series_csv(src: _Src) -> _Table:
    """A delimited text table with a time column and a potential or current column."""
    return _text_table(src, _has_series_header, "time-series table")


def read_series_xlsx(src: _Src) -> _Table:
    """The sheet (or sheets with identical headers, e.g. Arbin's Channel_*_1, _2 ...) holding the
    most rows with a time + potential/current header; ``sheet=`` picks one."""
    found = _xlsx_tables(src, _has_series_header, "time-series table")
    groups: dict[tuple[tuple[str, ...], str], list[tuple[str, _Table]]] = {}
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
