"""BioLogic EC-Lab files: ``.mpt`` text exports (``biologic-mpt``) and binary ``.mpr`` files
(``biologic-mpr``, read through the optional ``galvani`` package, extra ``optiform[mpr]``).

EC-Lab writes a cp1252 text with an 'EC-Lab ASCII FILE' block ('Nb header lines : N' on line 2, the
column names on line N), tab-separated, decimal commas in some locales; impedance as ``freq/Hz``,
``Re(Z)/Ohm`` and ``-Im(Z)/Ohm`` (-Im(Z): negated on reading), sweeps told apart by ``cycle number``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ...errors import ReaderError
from ._columns import _Points
from ._common import _float_column, _Head, _make_table, _split, _Src, _Table

MPR_EXTRA = "mpr"
"""Name of the optional extra that installs ``galvani`` for BioLogic ``.mpr`` files."""

_EXPORT_TIME_OR_FREQUENCY = {"freq/Hz", "time/s"}
_EXPORT_COLUMNS = {"Ewe/V", "<Ewe>/V", "Re(Z)/Ohm", "I/mA", "<I>/mA", "mode", "ox/red", "cycle number"}


def sniff_mpt(head: _Head) -> bool:
    """The 'EC-Lab ASCII FILE' header."""
    return head.first.startswith("EC-Lab ASCII FILE")


def sniff_mpt_columns(head: _Head) -> bool:
    """An EC-Lab export without the header block: its column names on the first line."""
    names = head.names
    return len(names) >= 3 and bool(_EXPORT_TIME_OR_FREQUENCY & set(names)) and bool(_EXPORT_COLUMNS & set(names))


def sniff_mpr(head: _Head) -> bool:
    """The 'BIO-LOGIC MODULAR FILE' magic."""
    return head.raw.startswith(b"BIO-LOGIC MODULAR FILE")


def read_series_mpt(src: _Src) -> _Table:
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


def read_eis_mpt(src: _Src) -> _Points:
    """Impedance points of an EC-Lab text export."""
    return _biologic_points(src, read_series_mpt(src))


def read_eis_mpr(src: _Src) -> _Points:
    """BioLogic ``.mpr`` via galvani (optional extra)."""
    return _biologic_points(src, read_series_mpr(src))


def read_series_mpr(src: _Src) -> _Table:
    """The records of an ``.mpr`` file as a table (column store), via galvani."""
    try:
        from galvani import BioLogic
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
