"""The format registry: each instrument format's name, how its content is recognised (sniffers
with a precedence) and its readers; :func:`detect_format`, :func:`read_eis` and :func:`read_series`
dispatch through it.

Detection: the sniff rules of all formats are tried from the lowest precedence number up on the
first 64 KiB of the file, and the first that accepts names the format; ``unknown`` when none does.
The order: binary signatures first (``.mpr`` magic, workbooks, Access databases, other binary
files), then header lines that only one instrument writes, then looser layout rules (an EC-Lab
export without its header block, any delimited numeric table).

Adding a format: write a module with its sniff function(s) and its ``read_eis_*`` (-> impedance
points) and/or ``read_series_*`` (-> a table) functions, import them here and add one :class:`Format`
entry to :data:`FORMATS`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import ReaderError
from ..types import Series, Spectrum
from ._columns import _Points, _select_cycle, _series_frame, _validate
from ._common import _EIS_DESCRIPTIONS, _SNIFF_BYTES, _eis_looked_for, _Head, _read_bytes, _Src, _Table
from .biologic import (
    read_eis_mpr,
    read_eis_mpt,
    read_series_mpr,
    read_series_mpt,
    sniff_mpr,
    sniff_mpt,
    sniff_mpt_columns,
)
from .chi import read_eis_chi, sniff_chi
from .gamry import read_eis_gamry, read_series_gamry, sniff_gamry
from .parstat import read_eis_parstat, sniff_parstat
from .powersuite import read_eis_powersuite, sniff_powersuite
from .tables import (
    read_eis_csv,
    read_eis_xlsx,
    read_series_csv,
    read_series_xlsx,
    sniff_csv,
    sniff_xls,
    sniff_xlsx,
)
from .unsupported import ARBIN_RES, BINARY, sniff_arbin_res, sniff_binary
from .versastudio import read_eis_versastudio, sniff_versastudio
from .zplot import read_eis_zplot, sniff_autolab, sniff_zplot

__all__ = ["EIS_READERS", "FORMATS", "SERIES_READERS", "Format", "detect_format", "read_eis", "read_series"]

Sniff = Callable[[_Head], bool]


@dataclass(frozen=True)
class Format:
    """One instrument format.

    ``sniff``: (precedence, rule) pairs; a rule gets the file's first 64 KiB and says whether the
    file is in this format. ``read_eis`` returns the impedance points, ``read_series`` the raw table
    that :func:`read_series` maps onto canonical columns (None: not readable as such).
    ``description``: how :func:`read_eis`'s messages name an impedance format. ``unsupported``: why a
    recognised file cannot be read.
    """

    name: str
    sniff: tuple[tuple[int, Sniff], ...]
    read_eis: Callable[[_Src], _Points] | None = None
    read_series: Callable[[_Src], _Table] | None = None
    description: str = ""
    unsupported: str = ""


FORMATS: tuple[Format, ...] = (
    Format(
        "biologic-mpt",
        ((40, sniff_mpt), (140, sniff_mpt_columns)),
        read_eis_mpt,
        read_series_mpt,
        "EC-Lab .mpt",
    ),
    Format("biologic-mpr", ((10, sniff_mpr),), read_eis_mpr, read_series_mpr),
    Format("gamry-dta", ((50, sniff_gamry),), read_eis_gamry, read_series_gamry, "Gamry .DTA (ZCURVE)"),
    Format("zplot-z", ((60, sniff_zplot),), read_eis_zplot, description="ZPlot/ZView .z"),
    Format("autolab-txt", ((70, sniff_autolab),), read_eis_zplot, description="Autolab Z60W text"),
    Format("chi-txt", ((90, sniff_chi),), read_eis_chi, description="CH Instruments text"),
    Format("parstat-txt", ((100, sniff_parstat),), read_eis_parstat, description="Parstat text"),
    Format("versastudio-par", ((80, sniff_versastudio),), read_eis_versastudio, description="VersaStudio .par"),
    Format("powersuite-txt", ((110, sniff_powersuite),), read_eis_powersuite, description="PowerSuite text"),
    Format(
        "csv",
        ((150, sniff_csv),),
        read_eis_csv,
        read_series_csv,
        "a CSV/XLSX/text table with frequency, Z' and Z'' (or |Z| and phase) columns",
    ),
    Format("xlsx", ((20, sniff_xlsx),), read_eis_xlsx, read_series_xlsx),
    Format("xls", ((21, sniff_xls),), read_eis_xlsx, read_series_xlsx),
    Format("arbin-res", ((22, sniff_arbin_res),), unsupported=ARBIN_RES),
    Format("binary", ((30, sniff_binary),), unsupported=BINARY),
)
"""Every format optiform recognises, in the order :data:`EIS_READERS`, :data:`SERIES_READERS` and
messages list them; detection follows the sniff precedences."""

UNKNOWN = "no known header and no delimited numeric table"
"""Why a file whose format no sniff rule accepts (``unknown``) cannot be read."""

_SNIFF_ORDER: tuple[tuple[int, str, Sniff], ...] = tuple(
    sorted(((p, f.name, rule) for f in FORMATS for p, rule in f.sniff), key=lambda t: t[0])
)
assert len({p for p, _, _ in _SNIFF_ORDER}) == len(_SNIFF_ORDER), "two sniff rules share a precedence"
_BY_NAME = {f.name: f for f in FORMATS}
_EIS_DESCRIPTIONS.extend(f.description for f in FORMATS if f.read_eis is not None and f.description)

EIS_READERS: dict[str, Callable[[_Src], _Points]] = {f.name: f.read_eis for f in FORMATS if f.read_eis is not None}
"""Format name -> impedance parser (derived from :data:`FORMATS`)."""

SERIES_READERS: dict[str, Callable[[_Src], _Table]] = {
    f.name: f.read_series for f in FORMATS if f.read_series is not None
}
"""Format name -> parser returning the raw table that :func:`read_series` maps to canonical columns
(derived from :data:`FORMATS`)."""


def _why_unreadable(fmt: str) -> str | None:
    if fmt == "unknown":
        return UNKNOWN
    entry = _BY_NAME.get(fmt)
    return entry.unsupported if entry is not None and entry.unsupported else None


def detect_format(path: str | os.PathLike[str]) -> str:
    """Name of the file's format, judged from its content.

    Returns one of ``biologic-mpt``, ``biologic-mpr``, ``gamry-dta``, ``zplot-z``, ``autolab-txt``
    (ZPlot-style 'Z60W' export), ``chi-txt``, ``parstat-txt``, ``versastudio-par``,
    ``powersuite-txt``, ``csv`` (any delimited text table), ``xlsx``, ``xls``, ``arbin-res``
    (MS Access database, unsupported), ``binary`` (other binary) or ``unknown``.
    """
    path = Path(path)
    head = _Head(path, _read_bytes(path, _SNIFF_BYTES))
    for _precedence, name, rule in _SNIFF_ORDER:
        if rule(head):
            return name
    return "unknown"


def read_eis(path: str | os.PathLike[str], *, sheet: str | int | None = None, cycle: int | None = None) -> Spectrum:
    """Read an impedance spectrum from an instrument file (format from :func:`detect_format`).

    Returns a :class:`Spectrum` with frequency in Hz and Z in ohm, **Im(Z) < 0 for capacitive
    behaviour**, sorted from high to low frequency. ``meta`` holds ``format`` plus, as
    applicable, ``columns`` (original names), ``imag_sign`` ("as stored" / "negated") and
    ``imag_sign_from`` ("format", "header" or "data"), ``cycles`` / ``cycle`` /
    ``points_per_cycle``, ``dropped_rows``, ``encoding``, ``delimiter``, ``sheet``.

    Sign of the stored imaginary part: instrument formats follow their documented convention
    (EC-Lab stores -Im(Z) and is negated; Gamry, ZPlot, CHI, Parstat, VersaStudio, PowerSuite
    store Im(Z)). For generic tables a leading minus in the header (``-Z''``, ``-Im(Z)``) means
    -Z''; otherwise the column is taken as -Z'' when its median over the lower half of the
    frequencies is positive (electrolyte and battery spectra are capacitive there).

    ``cycle`` picks one sweep of a multi-sweep file (EC-Lab ``cycle number``, VersaStudio
    segments); by default the last complete sweep. ``sheet`` picks a workbook sheet (name or
    index); by default the first sheet with a frequency column.

    Raises ReaderError (naming file, line/column and what was expected) for unreadable files,
    missing columns, non-numeric cells and non-positive or non-finite frequencies.
    """
    src = _Src(Path(path), sheet=sheet, cycle=cycle)
    fmt = detect_format(src.path)
    parser = EIS_READERS.get(fmt)
    if parser is None:
        why = _why_unreadable(fmt) or f"format '{fmt}'"
        raise ReaderError(f"{src.name}: not a recognised impedance format ({why}; looked for {_eis_looked_for()})")
    pts = parser(src)
    _validate(src, pts)
    f, Z, cyc_meta = _select_cycle(src, pts)
    meta = {"format": fmt, **pts.meta, **cyc_meta, "n_points": len(f)}
    return Spectrum(f, Z, str(src.path), meta).sorted()


def read_series(path: str | os.PathLike[str], *, sheet: str | int | None = None) -> Series:
    """Read a time series (chronoamperometry, LSV, galvanostatic cycling) from an instrument file.

    Columns are recognised by name in their usual spellings (EC-Lab ``time/s``, ``Ewe/V``,
    ``<I>/mA``, ``cycle number``, ``Ns``, ``Q charge/discharge/mA.h``; Arbin ``Test_Time(s)``,
    ``Voltage(V)``, ``Current(A)``, ``Cycle_Index``, ``Step_Index``, ``Charge_Capacity(Ah)``,
    ``Discharge_Capacity(Ah)``, ``Temperature``; generic ``Time (min)``, ``Potential (mV)``,
    ``Current (uA)`` ...) and converted to :data:`SERIES_COLUMNS`: time_s (s), potential_V (V),
    current_A (A, the instrument's sign: positive = charge / oxidation / anodic), cycle (integer,
    shifted to start at 1 when the file starts at 0), step (as written), charge_capacity_mAh and
    discharge_capacity_mAh (mAh), temperature_C (degC). Units come from the header ((h), [mA],
    /mA.h ...); a column without a unit is taken in s, V, A, Ah or degC and listed in
    ``meta["assumed_units"]``. EC-Lab's signed ``Q charge/discharge`` (reset each half cycle) is
    split into charge (positive part) and discharge (negative part) capacities, each held at its
    running maximum within a cycle. Only canonical columns are kept in ``data``;
    ``meta["columns"]`` maps each to its original name and ``meta["unmapped"]`` lists the rest.

    Raises ReaderError naming file, line/column and what was expected.
    """
    src = _Src(Path(path), sheet=sheet)
    fmt = detect_format(src.path)
    parser = SERIES_READERS.get(fmt)
    if parser is None:
        hint = "; it holds an impedance spectrum: use read_eis" if fmt in EIS_READERS else ""
        why = _why_unreadable(fmt)
        hint = f" ({why})" if why is not None else hint
        raise ReaderError(
            f"{src.name}: no time-series reader for format '{fmt}'{hint}; time-series formats: "
            f"{', '.join(SERIES_READERS)}"
        )
    table = parser(src)
    data, meta = _series_frame(src, table)
    return Series(data, str(src.path), {"format": fmt, **meta})
