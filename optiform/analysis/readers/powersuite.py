"""Princeton Applied Research PowerSuite text exports (``powersuite-txt``): tab-separated
'Frequency, Zre, Zimg' (Hz, ohm; Zimg as Im(Z))."""

from __future__ import annotations

from ._columns import _eis_from_table, _Points
from ._common import _Head, _make_table, _split, _Src, _tokenize


def sniff_powersuite(head: _Head) -> bool:
    """Exactly the columns Frequency, Zre, Zimg on the first line."""
    return [n.strip() for n in head.names] == ["Frequency", "Zre", "Zimg"]


def read_eis_powersuite(src: _Src) -> _Points:
    """PowerSuite text: tab-separated 'Frequency, Zre, Zimg' (Hz, ohm; Zimg as Im(Z))."""
    lines = src.lines()
    table = _make_table(_split(lines[0], "\t"), _tokenize(lines, "\t", 1), 1, "line {}", False)
    return _eis_from_table(src, table, sign="as stored")
