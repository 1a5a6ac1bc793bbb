"""Scribner ZPlot/ZView ``.z`` files (``zplot-z``) and Autolab 'Z60W' text exports
(``autolab-txt``), which share the layout: data after 'End Comments' (or a 'Freq(Hz)' header), comma-
or tab-separated, fields 1, 5, 6 = f (Hz), Z' and Z'' (ohm, Z'' as Im(Z))."""

from __future__ import annotations

import re

from ...errors import ReaderError
from ._columns import _Points
from ._common import _float_column, _Head, _make_table, _Src


def sniff_zplot(head: _Head) -> bool:
    """'ZPLOT2 ASCII' or 'ZPlotW Data File' on the first line."""
    return head.first.startswith("ZPLOT2 ASCII") or "ZPlotW Data File" in head.first


def sniff_autolab(head: _Head) -> bool:
    """'Z60W Data File' on the first line."""
    return "Z60W Data File" in head.first


def read_eis_zplot(src: _Src) -> _Points:
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
