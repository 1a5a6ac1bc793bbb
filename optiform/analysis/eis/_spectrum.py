"""Spectrum inputs shared by the impedance modules: coercion and cleaning."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ...errors import AnalysisError
from ..types import Spectrum


def _as_spectrum(obj: Any) -> Spectrum:
    """A :class:`Spectrum` from a Spectrum, a path (read by :func:`~optiform.analysis.readers.read_eis`)
    or a (frequency_Hz, Z_ohm) tuple."""
    if isinstance(obj, Spectrum):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        from ..readers import read_eis  # imported on use: spectra given as arrays do not need the readers

        return read_eis(obj)
    if isinstance(obj, tuple) and len(obj) == 2:
        return Spectrum(np.asarray(obj[0], dtype=float), np.asarray(obj[1], dtype=complex))
    raise AnalysisError(f"expected a Spectrum, a path or a (frequency_Hz, Z_ohm) tuple, got {type(obj).__name__}")


def _clean(spectrum: Spectrum, min_points: int = 5) -> Spectrum:
    """Sorted high -> low frequency, finite points with f > 0 only."""
    s = spectrum.sorted()
    ok = np.isfinite(s.frequency_Hz) & (s.frequency_Hz > 0) & np.isfinite(s.Z_ohm.real) & np.isfinite(s.Z_ohm.imag)
    if not ok.all():
        s = Spectrum(s.frequency_Hz[ok], s.Z_ohm[ok], s.source, dict(s.meta))
    if len(s) < min_points:
        raise AnalysisError(f"{s.source or 'spectrum'}: {len(s)} usable points; at least {min_points} are needed")
    return s
