"""Princeton Applied Research Parstat text exports (``parstat-txt``): tab-separated with
'Frequency (Hz)', 'Zre (ohms)', 'Zim (ohms)' (Zim as Im(Z))."""

from __future__ import annotations

import numpy as np

from ._columns import _eis_from_table, _Points
from ._common import _float_column, _Head, _make_table, _split, _Src, _tokenize

_COLUMNS = {"Frequency (Hz)", "Zre (ohms)", "Zim (ohms)"}


def sniff_parstat(head: _Head) -> bool:
    """The three impedance columns on the first line."""
    return _COLUMNS <= set(head.names)


def read_eis_parstat(src: _Src) -> _Points:
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
