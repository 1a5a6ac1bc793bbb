"""From named columns to canonical data: column roles and units, impedance points (sign of the
imaginary part, validation, sweep selection) and time series on :data:`~optiform.analysis.types.SERIES_COLUMNS`."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...errors import ReaderError
from ..types import SERIES_COLUMNS
from ._common import _eis_looked_for, _float_column, _looked, _num, _Src, _Table

# --------------------------------------------------------------------------------------------
# Column names: roles and units
# --------------------------------------------------------------------------------------------

_UNITS: dict[str, dict[str, float]] = {
    "frequency": {"Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "mHz": 1e-3},
    "impedance": {"ohm": 1.0, "kohm": 1e3, "Mohm": 1e6, "mohm": 1e-3},
    "angle": {"deg": 1.0, "°": 1.0, "rad": 180.0 / math.pi},
    "time": {"s": 1.0, "sec": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0, "hr": 3600.0, "d": 86400.0},
    "potential": {"V": 1.0, "mV": 1e-3, "uV": 1e-6},
    "current": {"A": 1.0, "mA": 1e-3, "uA": 1e-6, "nA": 1e-9},
    "capacity": {
        "mAh": 1.0,
        "Ah": 1e3,
        "uAh": 1e-3,
        "C": 1e3 / 3600,
        "As": 1e3 / 3600,
        "mC": 1 / 3600,
        "mAs": 1 / 3600,
    },
    "temperature": {"°C": 0.0, "degC": 0.0, "C": 0.0, "K": -273.15},  # offsets
}
_DEFAULT_UNITS = {
    "frequency": "Hz",
    "impedance": "ohm",
    "angle": "deg",
    "time": "s",
    "potential": "V",
    "current": "A",
    "capacity": "Ah",
    "temperature": "°C",
}


def _unit_key(unit: str) -> str:
    u = re.split(r"\s+vs\.?\s", unit.strip())[0]  # 'V vs. Li/Li+' -> 'V'
    u = u.replace("µ", "u").replace("μ", "u").replace("Ω", "ohm").replace("º", "°")
    u = re.sub(r"[\s.·*]", "", u)
    low = u.lower()
    if low.endswith(("ohm", "ohms")):
        prefix = u[: len(u) - (4 if low.endswith("ohms") else 3)]
        return {"": "ohm", "k": "kohm", "K": "kohm", "M": "Mohm", "m": "mohm"}.get(prefix, u)
    if low.endswith("hz"):
        return {"": "Hz", "k": "kHz", "K": "kHz", "M": "MHz", "m": "mHz"}.get(u[:-2], u)
    aliases = {
        "secs": "s",
        "seconds": "s",
        "hours": "h",
        "hrs": "h",
        "mins": "min",
        "minutes": "min",
        "degrees": "deg",
        "degree": "deg",
        "°": "°",
        "deg": "deg",
        "degc": "degC",
        "°c": "°C",
    }
    return aliases.get(low, u)


def _unit_factor(kind: str, unit: str) -> float:
    """Multiplier (additive offset for temperature) converting ``unit`` to the canonical unit."""
    table = _UNITS[kind]
    key = _unit_key(unit or _DEFAULT_UNITS[kind])
    if key not in table:
        raise KeyError(key)
    return table[key]


def _unquote(name: Any) -> str:
    s = str(name).strip()
    return s[1:-1].strip() if len(s) >= 2 and s[0] == s[-1] == '"' else s


def _key(name: str) -> str:
    """Normalised column name: primes unified, lower case, no whitespace or underscores."""
    s = _unquote(name)
    s = s.replace("″", "''").replace("′", "'").replace("’", "'").replace("´", "'").replace('"', "''")
    s = s.replace("−", "-").replace("–", "-").replace("Ω", "ohm").replace("µ", "u").replace("μ", "u")
    return re.sub(r"[\s_]", "", s.lower())


_EIS_ROLES: dict[str, tuple[str, ...]] = {
    "frequency": ("freq", "frequency", "f", "freq.", "fre", "frequence", "fréquence", "freqency"),
    "real": ("z'", "zre", "zreal", "re(z)", "rez", "re", "real", "real(z)", "realz", "zr", "z'(a)", "zreal'"),
    "imag": (
        "z''",
        "zim",
        "zimag",
        "zimg",
        "zimaginary",
        "im(z)",
        "imz",
        "im",
        "imag",
        "imaginary",
        "imag(z)",
        "imagz",
        "zi",
        "z''(b)",
    ),
    "modulus": ("|z|", "z", "zmod", "mod(z)", "modz", "modulus", "impedance", "absz", "abs(z)"),
    "phase": ("phase", "phase(z)", "zphz", "phz", "phaseangle", "theta", "phi", "angle"),
}
_EIS_KIND = {
    "frequency": "frequency",
    "real": "impedance",
    "imag": "impedance",
    "modulus": "impedance",
    "phase": "angle",
}

_SERIES_ROLES: dict[str, tuple[str, ...]] = {
    "time_s": ("testtime", "time", "elapsedtime", "totaltime", "runtime", "t", "test"),
    "potential_V": (
        "ewe",
        "<ewe>",
        "voltage",
        "potential",
        "ecell",
        "<ecell>",
        "e",
        "v",
        "vf",
        "u",
        "cellvoltage",
        "we(1).potential",
        "volts",
    ),
    "current_A": ("i", "<i>", "current", "im", "cur", "we(1).current", "amps"),
    "cycle": ("cyclenumber", "cycleindex", "cycle", "cyclec", "cycleno", "cycle#", "cyc#", "cycleno."),
    "step": ("stepindex", "ns", "step", "stepnumber", "stepno", "step#", "stepno."),
    "charge_capacity_mAh": ("qcharge", "chargecapacity", "chargecap", "chgcap", "chg.cap.", "capacitycharge"),
    "discharge_capacity_mAh": (
        "qdischarge",
        "dischargecapacity",
        "dischargecap",
        "dchgcap",
        "dchg.cap.",
        "capacitydischarge",
    ),
    "q_signed": ("qcharge/discharge",),
    "temperature_C": ("temperature", "temp", "auxtemperature", "auxtemperature1", "temperature1"),
}
_SERIES_KIND = {
    "time_s": "time",
    "potential_V": "potential",
    "current_A": "current",
    "charge_capacity_mAh": "capacity",
    "discharge_capacity_mAh": "capacity",
    "q_signed": "capacity",
    "temperature_C": "temperature",
}


def _parse_name(name: str, roles: dict[str, tuple[str, ...]]) -> tuple[str, int, bool, str] | None:
    """(role, rank of the synonym, negated?, unit) for a column name, or None if not recognised.

    The whole name is tried first (``Re(Z)``), then a trailing ``(unit)`` / ``[unit]`` and then a
    trailing ``/unit`` are split off (``Frequency (Hz)``, ``Z'' [Ω]``, ``freq/Hz``). A leading
    minus sign (``-Z''``, ``-Im(Z)/Ohm``) sets ``negated``.
    """
    raw = _unquote(name)
    candidates = [(raw, "")]
    m = re.match(r"^(.*?)\s*[\(\[]([^()\[\]]*)[\)\]]\s*$", raw)
    if m and m.group(1):
        candidates.append((m.group(1), m.group(2)))
    if "/" in raw:
        base, unit = raw.rsplit("/", 1)
        candidates.append((base, unit))
    for base, unit in candidates:
        k = _key(base)
        negated = k.startswith("-")
        k = k.lstrip("-+")
        for role, synonyms in roles.items():
            if k in synonyms:
                return role, synonyms.index(k), negated, unit.strip()
    return None


def _assign_roles(names: list[str], roles: dict[str, tuple[str, ...]]) -> dict[str, tuple[int, bool, str]]:
    """role -> (column index, negated, unit), preferring the earliest synonym, then the first column."""
    best: dict[str, tuple[int, int, bool, str]] = {}
    for j, name in enumerate(names):
        parsed = _parse_name(name, roles)
        if parsed is None:
            continue
        role, rank, neg, unit = parsed
        if role not in best or rank < best[role][0]:
            best[role] = (rank, j, neg, unit)
    return {role: (j, neg, unit) for role, (_r, j, neg, unit) in best.items()}


def _factor(src: _Src, table: _Table, j: int, kind: str, unit: str) -> float:
    try:
        return _unit_factor(kind, unit)
    except KeyError:
        expected = ", ".join(_UNITS[kind])
        raise ReaderError(
            f"{src.name}: {table.header_where()}: column {table.names[j]!r}: unit {unit!r} not "
            f"understood (expected one of {expected})"
        ) from None


# --------------------------------------------------------------------------------------------
# Impedance: points, validation, cycles
# --------------------------------------------------------------------------------------------


@dataclass
class _Points:
    """Raw impedance points as read, before validation, cycle selection and sorting."""

    f: np.ndarray
    Z: np.ndarray
    where: Callable[[int], str]
    cycles: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def _has_freq(toks: list[str]) -> bool:
    return any((p := _parse_name(t, _EIS_ROLES)) is not None and p[0] == "frequency" for t in toks)


def _eis_from_table(src: _Src, table: _Table, sign: str = "auto") -> _Points:
    """Frequency and Z from a table with named (or, headerless, positional f, Z', Z'') columns.

    ``sign``: ``"auto"`` (a leading minus in the Z''/phase header means the column holds -Z'';
    otherwise, if the stored column is mostly positive over the lower half of the frequencies it
    is taken as -Z''), or ``"as stored"`` for formats whose convention is fixed.
    """
    if not table.names:
        return _eis_positional(src, table, sign)
    roles = _assign_roles(table.names, _EIS_ROLES)
    found = ", ".join(repr(n) for n in table.names)
    if "frequency" not in roles:
        raise ReaderError(
            f"{src.name}: {table.header_where()}: no frequency column (found: {found}; "
            "looked for e.g. 'freq', 'Frequency (Hz)', 'f/Hz')"
        )
    polar = not ("real" in roles and "imag" in roles) and "modulus" in roles and "phase" in roles
    need = ("modulus", "phase") if polar else ("real", "imag")
    for role in need:
        if role not in roles:
            label = {"real": "Z' (real part)", "imag": "Z'' (imaginary part)"}[role]
            raise ReaderError(
                f"{src.name}: {table.header_where()}: no {label} column (found: {found}; looked for "
                "e.g. Z', Zre, Zreal, Re(Z)/Ohm, Z'', -Z'', Zim, Zimag, -Im(Z), or |Z| and phase)"
            )
    cols = {}
    for role in ("frequency", *need):
        j, _neg, unit = roles[role]
        cols[role] = _float_column(src, table, j, allow_empty=False) * _factor(src, table, j, _EIS_KIND[role], unit)
    f = cols["frequency"]
    second = cols["phase"] if polar else cols["imag"]
    negated_header = roles[need[1]][1]
    if sign == "as stored":
        s, how = 1.0, "format"
    else:
        s, how = _imag_sign(f, second, negated_header)
    if polar:
        Z = cols["modulus"] * np.exp(1j * np.deg2rad(s * second))
    else:
        Z = cols["real"] + 1j * s * second
    meta = {
        "columns": {role: table.names[roles[role][0]] for role in ("frequency", *need)},
        "imag_sign": "negated" if s < 0 else "as stored",
        "imag_sign_from": how,
        **table.meta,
    }
    return _Points(f, Z, table.where, meta=meta)


def _eis_positional(src: _Src, table: _Table, sign: str) -> _Points:
    """Headerless table: the first three numbers of each row are f (Hz), Z' and Z'' (ohm)."""
    if "unrecognised_header" in table.meta:
        lineno, names = table.meta["unrecognised_header"]
        if not _has_freq(names):
            raise ReaderError(
                f"{src.name}: {table.label.format(lineno)}: no frequency column in header (found: "
                f"{', '.join(map(repr, names))}; looked for e.g. 'freq', 'Frequency (Hz)', 'f/Hz')"
            )
    if not table.cells:
        raise ReaderError(f"{src.name}: not a recognised impedance format (looked for {_eis_looked_for()})")
    data = np.empty((len(table.cells), 3))
    for k, row in enumerate(table.cells):
        vals = [_num(t, table.decimal_comma) for t in row[:3]]
        if len(vals) < 3 or any(v is None for v in vals):
            got = table.raws[k].strip() if table.raws else ", ".join(map(str, row))
            raise ReaderError(f"{src.name}: {table.where(k)}: expected 3 numbers (frequency, Z', Z''), got {got!r}")
        data[k] = vals
    f, im = data[:, 0], data[:, 2]
    s, how = (1.0, "format") if sign == "as stored" else _imag_sign(f, im, False)
    meta = {
        "columns": "positional (frequency, Z', Z'')",
        "imag_sign": "negated" if s < 0 else "as stored",
        "imag_sign_from": how,
        **{k: v for k, v in table.meta.items() if k != "unrecognised_header"},
    }
    return _Points(f, data[:, 1] + 1j * s * im, table.where, meta=meta)


def _imag_sign(f: np.ndarray, im: np.ndarray, negated_header: bool) -> tuple[float, str]:
    """-1 when the stored imaginary column is -Z'' (header says so, or it is mostly positive at
    low frequency, where electrolyte/battery spectra are capacitive), else +1; and why."""
    if negated_header:
        return -1.0, "header"
    ok = np.isfinite(f) & np.isfinite(im)
    if not ok.any():
        return 1.0, "data"
    low = im[ok][f[ok] <= np.median(f[ok])]
    return (-1.0 if np.median(low) > 0 else 1.0), "data"


def _validate(src: _Src, pts: _Points) -> None:
    bad_f = ~np.isfinite(pts.f) | (pts.f <= 0)
    if bad_f.any():
        k = int(np.flatnonzero(bad_f)[0])
        raise ReaderError(f"{src.name}: {pts.where(k)}: frequency must be a positive finite number, got {pts.f[k]!r}")
    bad_z = ~np.isfinite(pts.Z)
    if bad_z.any():
        k = int(np.flatnonzero(bad_z)[0])
        raise ReaderError(f"{src.name}: {pts.where(k)}: impedance must be finite, got {pts.Z[k]!r}")
    if len(pts.f) == 0:
        raise ReaderError(f"{src.name}: no impedance data points found")


def _select_cycle(src: _Src, pts: _Points) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Pick one sweep: ``src.cycle`` if given, else the last complete one (as many points as the
    longest sweep). Files without a cycle column hold one sweep."""
    meta: dict[str, Any] = {}
    if pts.cycles is None:
        if src.cycle not in (None, 1):
            raise ReaderError(f"{src.name}: cycle={src.cycle} requested but the file holds a single sweep")
        return pts.f, pts.Z, meta
    ids = [int(c) if float(c).is_integer() else float(c) for c in pd.unique(pts.cycles)]
    counts = {c: int(np.sum(pts.cycles == c)) for c in ids}
    meta["cycles"] = ids
    meta["points_per_cycle"] = counts
    if src.cycle is None:
        full = max(counts.values())
        chosen = [c for c in ids if counts[c] == full][-1]
        incomplete = [c for c in ids if counts[c] < full]
        if incomplete:
            meta["incomplete_cycles"] = incomplete
    elif src.cycle in counts:
        chosen = src.cycle
    else:
        raise ReaderError(f"{src.name}: no cycle {src.cycle} (cycles in file: {', '.join(map(str, ids))})")
    meta["cycle"] = chosen
    keep = pts.cycles == chosen
    return pts.f[keep], pts.Z[keep], meta


def _concat_sweeps(pts_list: list[tuple[int, _Points]], extra: dict[str, Any]) -> _Points:
    if len(pts_list) == 1:
        pts = pts_list[0][1]
        pts.meta.update(extra)
        return pts
    offsets = np.cumsum([0] + [len(p.f) for _, p in pts_list])

    def where(k: int) -> str:
        n = int(np.searchsorted(offsets, k, side="right") - 1)
        return pts_list[n][1].where(int(k - offsets[n]))

    return _Points(
        np.concatenate([p.f for _, p in pts_list]),
        np.concatenate([p.Z for _, p in pts_list]),
        where,
        np.concatenate([np.full(len(p.f), s) for s, p in pts_list]),
        {**pts_list[0][1].meta, **extra},
    )


# --------------------------------------------------------------------------------------------
# Time series: canonical columns
# --------------------------------------------------------------------------------------------


def _has_series_header(toks: list[str]) -> bool:
    roles = {p[0] for t in toks if (p := _parse_name(t, _SERIES_ROLES)) is not None}
    return "time_s" in roles and bool(roles & {"potential_V", "current_A"})


_DURATION = re.compile(r"^(?:(\d+)[.:])?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d*)?)$")


def _duration_column(src: _Src, table: _Table, j: int) -> np.ndarray:
    """A '[d.]hh:mm:ss[.fff]' column as seconds."""
    out = np.full(len(table), np.nan)
    for k, row in enumerate(table.cells):
        v = str(row[j]).strip() if j < len(row) else ""
        if not v:
            continue
        m = _DURATION.match(v)
        if not m:
            raise ReaderError(
                f"{src.name}: {table.where(k)}: column {table.names[j]!r}: expected a duration "
                f"hh:mm:ss[.fff], got {v!r}"
            )
        d, h, mi, sec = m.groups()
        out[k] = int(d or 0) * 86400 + int(h) * 3600 + int(mi) * 60 + float(sec)
    return out


def _series_frame(src: _Src, table: _Table) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Map a table's columns onto SERIES_COLUMNS with unit conversion."""
    roles = _assign_roles(table.names, _SERIES_ROLES)
    if not table.names:
        raise ReaderError(
            f"{src.name}: not a recognised time-series table (no header row found; looked for "
            f"{_looked('time-series table')})"
        )
    if "time_s" not in roles or not {"potential_V", "current_A"} & set(roles):
        raise ReaderError(
            f"{src.name}: {table.header_where()}: expected a time column and a potential or current "
            f"column (found: {', '.join(map(repr, table.names))})"
        )
    cols: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"columns": {}, "units": {}, "assumed_units": {}}
    for role, (j, _neg, unit) in roles.items():
        kind = _SERIES_KIND.get(role)
        if role == "time_s" and "hh:mm" in unit.lower():
            x, kind = _duration_column(src, table, j), None
            meta["units"][role] = unit
        else:
            x = _float_column(src, table, j, allow_empty=True)
        if kind:
            if not unit:
                meta["assumed_units"][role] = _DEFAULT_UNITS[kind]
            k = _factor(src, table, j, kind, unit)
            x = x + k if kind == "temperature" else x * k
            if kind == "temperature":  # e.g. Gamry writes -327.67 when no sensor is connected
                x = np.where(x < -273.15, np.nan, x)
            meta["units"][role] = unit or _DEFAULT_UNITS[kind]
        cols[role] = x
        meta["columns"][role] = table.names[j]
    if "q_signed" in cols:
        q = cols.pop("q_signed")
        groups = cols.get("cycle")
        for role, part in (
            ("charge_capacity_mAh", np.clip(q, 0, None)),
            ("discharge_capacity_mAh", np.clip(-q, 0, None)),
        ):
            if role not in cols:
                s = pd.Series(part)
                cols[role] = (s.groupby(groups, dropna=False).cummax() if groups is not None else s).to_numpy()
                meta["columns"][role] = meta["columns"]["q_signed"]
        for key in ("columns", "units", "assumed_units"):
            meta[key].pop("q_signed", None)
    for role in ("cycle", "step"):
        if role in cols:
            x = cols[role]
            if role == "cycle" and np.isfinite(x).any() and np.nanmin(x) == 0:
                x = x + 1
                meta["cycle_offset"] = 1
            cols[role] = pd.array(np.where(np.isfinite(x), x, 0).astype(np.int64), dtype="Int64")
            if not np.isfinite(x).all():
                cols[role][~np.isfinite(x)] = pd.NA
    data = pd.DataFrame({c: cols[c] for c in SERIES_COLUMNS if c in cols})
    used = {table.names[j] for j, _n, _u in roles.values()}
    meta["unmapped"] = [n for n in table.names if n and n not in used]
    meta.update({k: v for k, v in table.meta.items() if k not in meta})
    meta["n_rows"] = len(data)
    return data, meta
