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

One module per vendor or format family (:mod:`.biologic`, :mod:`.gamry`, :mod:`.zplot` (with
Autolab's Z60W text), :mod:`.chi`, :mod:`.parstat`, :mod:`.versastudio`, :mod:`.powersuite`,
:mod:`.tables` for generic CSV/XLSX tables, :mod:`.unsupported`), each registered once in
:data:`~optiform.analysis.readers.registry.FORMATS` with its sniff rules and its readers;
:data:`EIS_READERS` / :data:`SERIES_READERS` are derived from it. Shared helpers: ``_common``
(source, text, tokens, numbers, tables) and ``_columns`` (column roles and units, impedance points,
canonical time series).

Text is decoded as UTF-8, falling back to cp1252 / latin-1 (EC-Lab and Gamry write Windows code
pages); decimal commas are accepted wherever the field separator is not a comma. Problems raise
:class:`~optiform.errors.ReaderError` naming the file, the line (or column) and what was expected.

BioLogic ``.mpr`` (binary) files are read through the optional ``galvani`` package (extra
``optiform[mpr]``); without it a ReaderError says what to install.
"""

from .biologic import MPR_EXTRA
from .registry import EIS_READERS, FORMATS, SERIES_READERS, Format, detect_format, read_eis, read_series

__all__ = [
    "EIS_READERS",
    "FORMATS",
    "MPR_EXTRA",
    "SERIES_READERS",
    "Format",
    "detect_format",
    "read_eis",
    "read_series",
]
