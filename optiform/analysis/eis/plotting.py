"""Nyquist plots of impedance spectra and conductivity results."""

from __future__ import annotations

from typing import Any

from .._util import new_axes
from ._spectrum import _as_spectrum
from .conductivity import ConductivityResult

__all__ = ["plot_nyquist"]


def plot_nyquist(results_or_spectra: Any, ax: Any = None, *, zoom: bool = True) -> Any:
    """Nyquist plot of one or several :class:`ConductivityResult` (data, fit, intercepts) or :class:`Spectrum`."""
    items = results_or_spectra if isinstance(results_or_spectra, (list, tuple)) else [results_or_spectra]
    if ax is None:
        ax = new_axes()
        ax.figure.set_size_inches(5, 5)
    for i, it in enumerate(items):
        if isinstance(it, ConductivityResult):
            src = it.spectrum.source if it.spectrum is not None and it.spectrum.source else f"#{i + 1}"
            it.plot(ax=ax, zoom=zoom and len(items) == 1, label=src if len(items) > 1 else None)
        else:
            s = _as_spectrum(it)
            ax.plot(s.Z_ohm.real, -s.Z_ohm.imag, "o-", ms=3, mfc="none", lw=0.8, label=s.source or f"#{i + 1}")
    ax.set_xlabel("Z' (Ω)")
    ax.set_ylabel("-Z'' (Ω)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize=7)
    return ax
