"""Plain data types shared by the analysis core: spectra, time series, flags, results.

Conventions: SI-ish units in names; impedance in ohm with Im(Z) < 0 for capacitive behaviour;
frequencies in Hz; time in s, potential in V, current in A.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..errors import ReaderError as ReaderError  # re-exported: analysis.types.ReaderError

# Canonical names of derived quantities (results, the store, ingest and campaign objectives).
QUANTITIES = {
    "conductivity_mS_cm": "mS/cm",
    "activation_energy_eV": "eV",
    "transference_number": "",
    "oxidation_onset_V": "V",
    "discharge_capacity_mAh_g": "mAh/g",
    "capacity_retention_pct": "%",
    "coulombic_efficiency_pct": "%",
    "overpotential_mV": "mV",
}

# Canonical time-series columns (readers map instrument spellings onto these).
SERIES_COLUMNS = {
    "time_s": "elapsed time, s",
    "potential_V": "working-electrode potential (vs. reference or counter), V",
    "current_A": "current, A (positive = charge / oxidation / anodic)",
    "cycle": "cycle index (integer, starting at 1 where the instrument starts at 0 or 1)",
    "step": "step index as written by the instrument",
    "charge_capacity_mAh": "cumulative charge capacity within the cycle, mAh",
    "discharge_capacity_mAh": "cumulative discharge capacity within the cycle, mAh",
    "temperature_C": "temperature, °C",
}


@dataclass(frozen=True)
class Spectrum:
    """An impedance spectrum: frequency (Hz) and complex impedance (ohm, Im(Z) < 0 capacitive)."""

    frequency_Hz: np.ndarray
    Z_ohm: np.ndarray
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        f = np.asarray(self.frequency_Hz, dtype=float)
        Z = np.asarray(self.Z_ohm, dtype=complex)
        if f.ndim != 1 or f.shape != Z.shape:
            raise AnalysisError(
                f"{self.source or 'spectrum'}: frequency and impedance must be 1-D arrays of one length"
            )
        object.__setattr__(self, "frequency_Hz", f)
        object.__setattr__(self, "Z_ohm", Z)

    def __len__(self) -> int:
        return len(self.frequency_Hz)

    def sorted(self) -> Spectrum:
        """Copy ordered from high to low frequency."""
        order = np.argsort(-self.frequency_Hz, kind="stable")
        return Spectrum(self.frequency_Hz[order], self.Z_ohm[order], self.source, dict(self.meta))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"frequency_Hz": self.frequency_Hz, "Z_real_ohm": self.Z_ohm.real, "Z_imag_ohm": self.Z_ohm.imag}
        )


@dataclass(frozen=True)
class Series:
    """A time series from a potentiostat or cycler; ``data`` uses the :data:`SERIES_COLUMNS` names."""

    data: pd.DataFrame
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Flag:
    """A quality check: ``failing`` when ``value`` breaks ``threshold`` (documented per code)."""

    code: str
    message: str
    value: float | None = None
    threshold: float | None = None
    failing: bool = True

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class Result:
    """A derived quantity with everything needed to audit it.

    ``quantity`` is a canonical name from :data:`QUANTITIES`, ``value`` is in its unit,
    ``uncertainty`` is one standard error in the same unit (None when not estimated), ``method``
    says how it was obtained, ``inputs`` the metadata it used (thickness, area, ...), ``details``
    fitted parameters and residuals (JSON-serialisable: floats, lists, dicts, str).
    Subclasses add typed fields and a ``plot(ax=None)`` method.
    """

    quantity: str
    value: float
    uncertainty: float | None
    method: str
    flags: list[Flag] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return QUANTITIES.get(self.quantity, "")

    @property
    def failing(self) -> bool:
        """True when any flag fails: the result is kept out of the model until accepted."""
        return any(f.failing for f in self.flags)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (for the store)."""
        return {
            "quantity": self.quantity,
            "value": float(self.value),
            "uncertainty": None if self.uncertainty is None else float(self.uncertainty),
            "method": self.method,
            "flags": [
                {"code": f.code, "message": f.message, "value": f.value, "threshold": f.threshold, "failing": f.failing}
                for f in self.flags
            ],
            "inputs": _jsonable(self.inputs),
            "details": _jsonable(self.details),
        }


def _jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays (and complex numbers) to plain JSON types."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, complex):
        return {"re": obj.real, "im": obj.imag}
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    return obj
