"""Princeton Applied Research VersaStudio ``.par`` files (``versastudio-par``): an XML-like
``<Application>`` header and ``<SegmentN>`` blocks with a comma-separated 'Definition=' header."""

from __future__ import annotations

import re

from ...errors import ReaderError
from ._columns import _concat_sweeps, _eis_from_table, _has_freq, _Points
from ._common import _Head, _make_table, _split, _Src, _tokenize


def sniff_versastudio(head: _Head) -> bool:
    """'<Application>' on the first line and 'VersaStudio' in the first 40 lines."""
    return head.first == "<Application>" and "VersaStudio" in head.top


def read_eis_versastudio(src: _Src) -> _Points:
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
