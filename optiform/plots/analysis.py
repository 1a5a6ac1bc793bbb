"""Figures of the analysis core that agree with what was stored: Arrhenius series, Nyquist spectra
and the Pareto front.

* :func:`arrhenius_figure`: ln(σ / S cm⁻¹) (or ln(σT / S cm⁻¹ K)) against 1000/T, one colour per
  ingested temperature series (group) with the line of the fit that was stored for it and its Ea
  with the 95 % interval; conductivities of the formulation outside a fitted series (single
  temperatures, other groups) are drawn hollow and not fitted, and spectra with a failing quality
  flag are marked with a cross. A top axis gives T in °C.
* :func:`nyquist_figure`: one panel per spectrum (each on its own scale, so a 3 Ω film is not lost
  next to a 40 kΩ one), titled by the user's file name and temperature: the data, the circuit fit
  that was stored, markers at each frequency decade, the resistance used, and an inset on the
  high-frequency intercept.
* :func:`pareto_figure`: two objectives against each other (each pair with more), the
  non-dominated formulations joined as a front and labelled, those breaking an outcome constraint
  greyed.

Colours follow the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies).
The figures are plain :class:`matplotlib.figure.Figure` objects (no pyplot state).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..analysis.arrhenius import K_B_EV_K, ZERO_C_K

__all__ = [
    "OKABE_ITO",
    "ArrheniusPoint",
    "ArrheniusSeries",
    "NyquistSpectrum",
    "arrhenius_figure",
    "nyquist_figure",
    "pareto_figure",
]

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
"""Okabe & Ito's colour-blind-safe palette (blue, vermillion, green, purple, orange, sky, yellow, black)."""
LN_MS_TO_S = math.log(1e-3)  # ln(σ / S cm⁻¹) = ln(σ / mS cm⁻¹) + ln(1e-3)


# --- Arrhenius ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArrheniusSeries:
    """A stored Arrhenius fit: the group, its points (°C, mS/cm), which of them carry a failing flag,
    and the fit (``ln_prefactor`` for σ in mS/cm, or σ·K with ``form="sigmaT"``; Ea and its 95 %
    interval in eV)."""

    group: str
    temperatures_C: np.ndarray
    conductivities_mS_cm: np.ndarray
    ln_prefactor: float
    activation_energy_eV: float
    ci95_eV: tuple[float, float]
    form: str = "sigma"
    flagged: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


@dataclass(frozen=True)
class ArrheniusPoint:
    """A conductivity of the formulation that is in no stored fit: shown, not fitted."""

    temperature_C: float
    conductivity_mS_cm: float
    label: str
    flagged: bool = False


def _ln_y(sigma_mS_cm: np.ndarray, T_K: np.ndarray, form: str) -> np.ndarray:
    """ln(σ / S cm⁻¹), or ln(σT / S cm⁻¹ K) for ``form="sigmaT"``."""
    y = np.log(np.asarray(sigma_mS_cm, dtype=float)) + LN_MS_TO_S
    return y + np.log(T_K) if form == "sigmaT" else y


def arrhenius_figure(
    series: Sequence[ArrheniusSeries],
    others: Sequence[ArrheniusPoint] = (),
    title: str = "",
    size: tuple[float, float] | None = None,
) -> Figure:
    """The Arrhenius plot of stored fits (module docstring); at least one series or point."""
    fig = Figure(figsize=size or (6.4, 4.8), layout="constrained")
    ax = fig.add_subplot()
    form = series[0].form if series else "sigma"
    for n, s in enumerate(series):
        colour = OKABE_ITO[n % len(OKABE_ITO)]
        T_K = np.asarray(s.temperatures_C, dtype=float) + ZERO_C_K
        x = 1000.0 / T_K
        y = _ln_y(s.conductivities_mS_cm, T_K, s.form)
        flagged = s.flagged if len(s.flagged) == len(x) else np.zeros(len(x), dtype=bool)
        lo, hi = s.ci95_eV
        label = f"{s.group}: Ea = {s.activation_energy_eV:.3f} eV (95% CI {lo:.3f} to {hi:.3f})"
        ax.plot(x[~flagged], y[~flagged], "o", color=colour, ms=6, label=label)
        if flagged.any():
            ax.plot(x[flagged], y[flagged], "X", color=colour, ms=8, mec="black", mew=0.6)
        xs = np.linspace(x.min(), x.max(), 50)
        line = s.ln_prefactor + LN_MS_TO_S - s.activation_energy_eV / K_B_EV_K * xs / 1000.0
        ax.plot(xs, line, "-", color=colour, lw=1.4)
    if others:
        T_K = np.array([p.temperature_C for p in others]) + ZERO_C_K
        y = _ln_y(np.array([p.conductivity_mS_cm for p in others]), T_K, form)
        ax.plot(1000.0 / T_K, y, "o", mfc="none", mec="0.35", ms=6, label="not in a fitted series")
        for p, xv, yv in zip(others, 1000.0 / T_K, y):
            if p.flagged:
                ax.plot([xv], [yv], "x", color="0.35", ms=6)
    if any(p.flagged for p in others):
        ax.plot([], [], "x", color="0.35", label="failing quality flag (not fitted)")
    if any(s.flagged.any() for s in series if len(s.flagged)):  # ingested before flagged spectra were left out
        ax.plot([], [], "X", color="0.5", mec="black", mew=0.6, label="failing quality flag (in the stored fit)")
    ax.set_xlabel("1000 / T (K⁻¹)")
    ax.set_ylabel("ln(σT / S cm⁻¹ K)" if form == "sigmaT" else "ln(σ / S cm⁻¹)")
    top = ax.secondary_xaxis("top", functions=(_inverse_mK_to_C, _C_to_inverse_mK))  # type: ignore[arg-type]
    top.set_xlabel("T (°C)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", framealpha=0.9)
    if title:
        ax.set_title(title, fontsize=11)
    return fig


def _inverse_mK_to_C(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 1000.0 / np.asarray(x, dtype=float) - ZERO_C_K


def _C_to_inverse_mK(t: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 1000.0 / (np.asarray(t, dtype=float) + ZERO_C_K)


# --- Nyquist --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NyquistSpectrum:
    """A stored spectrum: the user's file name, its temperature (°C or None), the data (Hz, Ω), the
    fitted curve that was stored (Ω; may be empty), the circuit's name, the resistance used (Ω)
    and the conductivity (mS/cm) derived from it, and whether a quality flag failed."""

    name: str
    temperature_C: float | None
    frequency_Hz: np.ndarray
    Z_ohm: np.ndarray
    Z_fit_ohm: np.ndarray
    model: str | None
    resistance_ohm: float
    conductivity_mS_cm: float
    flagged: bool = False


def nyquist_figure(
    spectra: Sequence[NyquistSpectrum], title: str = "", size: tuple[float, float] | None = None
) -> Figure:
    """One panel per spectrum (module docstring), up to three per row."""
    n = len(spectra)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=size or (4.6 * cols, 4.4 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, s in zip(axes, spectra):
        _nyquist_panel(ax, s)
    for ax in axes[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=12)
    return fig


def _nyquist_panel(ax: Axes, s: NyquistSpectrum) -> None:
    Z = np.asarray(s.Z_ohm, dtype=complex)
    ax.plot(Z.real, -Z.imag, "o", ms=3.5, mfc="none", color=OKABE_ITO[0], label="data")
    if len(s.Z_fit_ohm):
        fit = np.asarray(s.Z_fit_ohm, dtype=complex)
        ax.plot(fit.real, -fit.imag, "-", color=OKABE_ITO[1], lw=1.4, label=f"fit: {s.model}" if s.model else "fit")
    _decade_markers(ax, s.frequency_Hz, Z)
    if np.isfinite(s.resistance_ohm):
        ax.plot([s.resistance_ohm], [0.0], "v", color="black", ms=8, label=f"R = {s.resistance_ohm:.4g} Ω")
    temp = f", {s.temperature_C:g} °C" if s.temperature_C is not None and np.isfinite(s.temperature_C) else ""
    flag = " (flagged)" if s.flagged else ""
    ax.set_title(f"{s.name}{temp}\nσ = {s.conductivity_mS_cm:.4g} mS/cm{flag}", fontsize=9)
    ax.set_xlabel("Z' (Ω)")
    ax.set_ylabel("-Z'' (Ω)")
    spans = np.ptp(Z.real), np.ptp(-Z.imag)
    if min(spans) > 0 and max(spans) / min(spans) < 3:  # equal axes unless a spike would squash the rest
        ax.set_aspect("equal", adjustable="datalim")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", framealpha=0.9)
    _intercept_inset(ax, s)


def _decade_markers(ax: Axes, frequency_Hz: np.ndarray, Z: np.ndarray) -> None:
    """A filled marker and label at the point nearest each decade of frequency (10^k Hz)."""
    f = np.asarray(frequency_Hz, dtype=float)
    if not len(f) or (f <= 0).any():
        return
    logs = np.log10(f)
    span = np.array([np.ptp(Z.real), np.ptp(-Z.imag)])
    span[span <= 0] = 1.0
    labelled: list[np.ndarray] = []
    for k in range(math.floor(logs.max()), math.ceil(logs.min()) - 1, -1):  # high frequency first
        i = int(np.argmin(np.abs(logs - k)))
        if abs(logs[i] - k) > 0.15:
            continue
        ax.plot([Z.real[i]], [-Z.imag[i]], "o", ms=4, color="black", zorder=5)
        at = np.array([Z.real[i], -Z.imag[i]]) / span
        if any(np.hypot(*(at - other)) < 0.06 for other in labelled):
            continue  # marker drawn, label dropped: it would overlap a neighbour's
        labelled.append(at)
        ax.annotate(
            f"$10^{{{k}}}$ Hz" if abs(k) > 3 else f"{10.0**k:g} Hz",
            (Z.real[i], -Z.imag[i]),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=6,
            color="0.25",
        )


def _intercept_inset(ax: Axes, s: NyquistSpectrum) -> None:
    """Inset on the high-frequency end: Z' from 0 to 3R, where the resistance is read."""
    R = s.resistance_ohm
    Z = np.asarray(s.Z_ohm, dtype=complex)
    if not (np.isfinite(R) and R > 0) or not len(Z):
        return
    near = (Z.real <= 3.0 * R) & (-Z.imag <= 1.5 * R)
    if near.sum() < 2 or Z.real.max() < 6.0 * R:  # the whole spectrum is already on this scale
        return
    inset = ax.inset_axes((0.56, 0.08, 0.4, 0.36))
    inset.plot(Z.real[near], -Z.imag[near], "o", ms=3, mfc="none", color=OKABE_ITO[0])
    if len(s.Z_fit_ohm):
        fit = np.asarray(s.Z_fit_ohm, dtype=complex)
        keep = (fit.real <= 3.0 * R) & (-fit.imag <= 1.5 * R)
        inset.plot(fit.real[keep], -fit.imag[keep], "-", color=OKABE_ITO[1], lw=1.2)
    inset.plot([R], [0.0], "v", color="black", ms=6)
    inset.set_xlim(0, 3.0 * R)
    inset.set_ylim(-0.05 * R, 1.5 * R)
    inset.tick_params(labelsize=6)
    inset.set_title("high-frequency intercept", fontsize=6)
    inset.grid(alpha=0.3)


# --- Pareto ---------------------------------------------------------------------------------------------
def pareto_figure(
    table: pd.DataFrame,
    front_ids: Sequence[str],
    objectives: Sequence[tuple[str, str, bool]],
    title: str = "",
    size: tuple[float, float] | None = None,
) -> Figure:
    """Measured formulations (``table``: id, the objective columns, ``breaks``) in each pair of
    ``objectives`` ((name, axis label, maximize)); the formulations in ``front_ids`` joined as the
    front in the first pair's order and labelled."""
    pairs = [(a, b) for i, a in enumerate(objectives) for b in objectives[i + 1 :]]
    cols = min(len(pairs), 3)
    rows = math.ceil(len(pairs) / cols)
    fig = Figure(figsize=size or (5.2 * cols, 4.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    on_front = table["id"].isin(list(front_ids)).to_numpy()
    breaks = table["breaks"].astype(str).ne("").to_numpy() if "breaks" in table.columns else np.zeros(len(table), bool)
    for ax, (a, b) in zip(axes, pairs):
        x, y = table[a[0]].to_numpy(float), table[b[0]].to_numpy(float)
        rest = ~on_front & ~breaks
        ax.plot(x[rest], y[rest], "o", color="0.55", ms=5, label="measured")
        if breaks.any():
            ax.plot(x[breaks], y[breaks], "x", color="0.55", ms=6, label="breaks an outcome constraint")
        front = np.flatnonzero(on_front)
        if len(front):
            order = front[np.argsort(x[front])]
            ax.plot(x[order], y[order], "-", color=OKABE_ITO[1], lw=1.2, zorder=3)
            ax.plot(x[order], y[order], "o", color=OKABE_ITO[1], ms=7, mec="black", zorder=4, label="Pareto front")
            for i in order:
                ax.annotate(
                    str(table["id"].iloc[i]), (x[i], y[i]), xytext=(4, 4), textcoords="offset points", fontsize=7
                )
        ax.set_xlabel(a[1] + (" → better" if a[2] else " ← better"))
        ax.set_ylabel(b[1] + (" → better" if b[2] else " ← better"))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, framealpha=0.9, handles=_unique_handles(ax))
    for ax in axes[len(pairs) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=12)
    return fig


def _unique_handles(ax: Axes) -> list[Line2D]:
    seen: dict[str, Line2D] = {}
    for h in ax.get_lines():
        label = str(h.get_label())
        if not label.startswith("_") and label not in seen:
            seen[label] = h
    return list(seen.values())
