"""The analysis figures' data, read back from the store exactly as ingest stored it: the Arrhenius
fits (their points, line and interval) and the spectra with their stored circuit fits. Nothing is
refitted, so a figure always agrees with ``optiform show``."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..store import Store
from .analysis import ArrheniusPoint, ArrheniusSeries, NyquistSpectrum

__all__ = ["arrhenius_data", "failing", "nyquist_data"]

CONDUCTIVITY = "conductivity_mS_cm"
ACTIVATION = "activation_energy_eV"


def failing(flags: str) -> bool:
    """Whether an analyses-table ``flags`` cell names a failing flag (warnings end in '(warning)')."""
    return any(part.strip() and not part.strip().endswith("(warning)") for part in str(flags or "").split(";"))


def _rows(analyses: pd.DataFrame, sample_id: str, quantity: str, group: str | None) -> pd.DataFrame:
    rows = analyses[analyses["quantity"] == quantity] if len(analyses) else analyses
    if group is not None and len(rows):
        groups = sorted(set(rows["group"]))
        rows = rows[rows["group"] == group]
        if not len(rows):
            raise DataError(f"{sample_id}: no ingested {quantity} in group {group!r}; groups: {', '.join(groups)}")
    return rows


def arrhenius_data(
    store: Store, analyses: pd.DataFrame, sample_id: str, group: str | None = None
) -> tuple[list[ArrheniusSeries], list[ArrheniusPoint]]:
    """The stored Arrhenius fits of a formulation (of one ``group`` when given) and its other
    conductivities with a temperature (not in any of those fits). DataError when there is no fit."""
    fits = analyses[analyses["quantity"] == ACTIVATION] if len(analyses) else analyses
    fits = fits[fits["group"] == group] if group is not None and len(fits) else fits
    if not len(fits):
        where = f" in group {group!r}" if group is not None else ""
        raise DataError(
            f"{sample_id}: no Arrhenius fit stored{where}; ingest a series of 3 or more temperatures "
            "in one group (manifest column 'group')"
        )
    series, fitted = [], set()
    conductivities = _rows(analyses, sample_id, CONDUCTIVITY, None)
    for _, a in fits.iterrows():
        result = store.analysis_result(int(a["analysis_pk"]))
        inputs, details = result["inputs"], result["details"]
        temps = np.asarray(inputs["temperatures_C"], dtype=float)
        sigmas = np.asarray(inputs["conductivities"], dtype=float)
        same = conductivities[conductivities["group"] == a["group"]] if len(conductivities) else conductivities
        flagged = np.array([_flagged_at(same, T, v) for T, v in zip(temps, sigmas)], dtype=bool)
        for T, v in zip(temps, sigmas):
            fitted.add((a["group"], round(float(T), 6), round(float(v), 9)))
        lo, hi = details.get("ci95_eV", [np.nan, np.nan])
        series.append(
            ArrheniusSeries(
                group=str(a["group"]),
                temperatures_C=temps,
                conductivities_mS_cm=sigmas,
                ln_prefactor=float(details["ln_prefactor"]),
                activation_energy_eV=float(result["value"]),
                ci95_eV=(float(lo), float(hi)),
                form=str(inputs.get("form", "sigma")),
                flagged=flagged,
            )
        )
    others = []
    for _, c in conductivities.iterrows():
        T = c["temperature_C"]
        key = (c["group"], round(float(T), 6), round(float(c["value"]), 9)) if pd.notna(T) else None
        if key is None or key in fitted or (group is not None and c["group"] != group):
            continue
        reason = "flagged" if failing(c["flags"]) else "not in the series' fit"
        others.append(
            ArrheniusPoint(float(T), float(c["value"]), f"{c['group']} ({reason})", flagged=failing(c["flags"]))
        )
    return series, others


def _flagged_at(rows: pd.DataFrame, temperature_C: float, value: float) -> bool:
    if not len(rows):
        return False
    match = rows[np.isclose(rows["temperature_C"].astype(float), temperature_C) & np.isclose(rows["value"], value)]
    return bool(len(match)) and failing(match["flags"].iloc[0])


def nyquist_data(
    store: Store, analyses: pd.DataFrame, sample_id: str, group: str | None = None
) -> list[NyquistSpectrum]:
    """The formulation's ingested conductivity spectra (of one ``group`` when given), re-read from the
    stored raw files, with the circuit fit and resistance that were stored."""
    from ..analysis.readers import read_eis

    rows = _rows(analyses, sample_id, CONDUCTIVITY, group)
    if not len(rows):
        raise DataError(f"{sample_id}: no ingested {CONDUCTIVITY} (ingest raw files with 'optiform ingest MANIFEST')")
    spectra = []
    with tempfile.TemporaryDirectory(prefix="optiform-") as tmp:
        for _, a in rows.iterrows():
            pk = int(a["analysis_pk"])
            raw = store.analysis_files(pk)[0]
            path = Path(tmp) / f"{pk}-{Path(raw.name).name}"
            path.write_bytes(raw.content)
            spectrum = read_eis(path)
            details = store.analysis_result(pk)["details"]
            fit = np.asarray(details.get("Z_fit_real", []), dtype=float) + 1j * np.asarray(
                details.get("Z_fit_imag", []), dtype=float
            )
            sigma = float(a["value"])
            resistance = float(details["thickness_cm"]) / (sigma / 1000.0 * float(details["area_cm2"]))
            temperature = a["temperature_C"]
            spectra.append(
                NyquistSpectrum(
                    name=Path(raw.name).name,
                    temperature_C=float(temperature) if pd.notna(temperature) else None,
                    frequency_Hz=spectrum.frequency_Hz,
                    Z_ohm=spectrum.Z_ohm,
                    Z_fit_ohm=fit,
                    model=details.get("model"),
                    resistance_ohm=resistance,
                    conductivity_mS_cm=sigma,
                    flagged=failing(a["flags"]),
                )
            )
    return spectra
