"""Analysis core: raw instrument files -> measured properties with quality flags.

from optiform.analysis import read_eis, conductivity
r = conductivity("SS-CSE-SS_30C.mpt", thickness_um=100, diameter_mm=16)
r.conductivity_mS_cm, r.uncertainty, r.method, r.flags
"""

from .arrhenius import arrhenius, vtf
from .cycling import cycling_summary, symmetric_summary
from .eis import conductivity, high_frequency_intercept, lin_kk, plot_nyquist
from .lsv import stability_onset
from .readers import detect_format, read_eis, read_series
from .transference import transference_number
from .types import QUANTITIES, SERIES_COLUMNS, Flag, ReaderError, Result, Series, Spectrum

__all__ = [
    "QUANTITIES",
    "SERIES_COLUMNS",
    "Flag",
    "ReaderError",
    "Result",
    "Series",
    "Spectrum",
    "arrhenius",
    "conductivity",
    "cycling_summary",
    "detect_format",
    "high_frequency_intercept",
    "lin_kk",
    "plot_nyquist",
    "read_eis",
    "read_series",
    "stability_onset",
    "symmetric_summary",
    "transference_number",
    "vtf",
]
