"""CH Instruments impedance text exports (``chi-txt``): a comma-separated table under
'Freq/Hz, Z'/ohm, Z"/ohm, ...' (Z'' as Im(Z))."""

from __future__ import annotations

import re

from ...errors import ReaderError
from ._columns import _eis_from_table, _Points
from ._common import _Head, _make_table, _split, _Src, _tokenize


def sniff_chi(head: _Head) -> bool:
    """A 'Freq/Hz,' header line and 'CHI' or 'A.C. Impedance' in the first 40 lines."""
    top = head.top
    return re.search(r"^Freq/Hz\s*,", top, re.M) is not None and ("CHI" in top or "A.C. Impedance" in top)


def read_eis_chi(src: _Src) -> _Points:
    """CH Instruments text: comma-separated table under 'Freq/Hz, Z'/ohm, Z"/ohm, ...'; Z'' as Im(Z)."""
    lines = src.lines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("Freq/Hz")), None)
    if start is None:
        raise ReaderError(f"{src.name}: no 'Freq/Hz' header line (CH Instruments impedance export)")
    table = _make_table(_split(lines[start], ","), _tokenize(lines, ",", start + 1), start + 1, "line {}", False)
    return _eis_from_table(src, table, sign="as stored")
