"""Gamry Framework ``.DTA`` files (``gamry-dta``): an EXPLAIN header, then ZCURVE (impedance) or
CURVE (time series) tables, tab-separated, each data line starting with whitespace."""

from __future__ import annotations

import re

from ...errors import ReaderError
from ._columns import _Points
from ._common import _float_column, _Head, _make_table, _Src, _Table


def sniff_gamry(head: _Head) -> bool:
    """'EXPLAIN' on the first line, or a ZCURVE table."""
    return head.first == "EXPLAIN" or re.search(r"^ZCURVE\t", head.text, re.M) is not None


def read_eis_gamry(src: _Src) -> _Points:
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


def read_series_gamry(src: _Src) -> _Table:
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
