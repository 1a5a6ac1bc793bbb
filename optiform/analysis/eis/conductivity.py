"""Ionic conductivity of a film between blocking electrodes: σ = L / (R·A) with quality flags.

:func:`conductivity` returns a :class:`ConductivityResult` (value in mS/cm) with the resistance, the
chosen circuit fit, the Lin-KK test and the high-frequency intercept, and these flags.

Quality flags (:class:`~optiform.analysis.types.Flag` codes) and their thresholds
----------------------------------------------------------------------------------
``lin_kk_residual``
    max(|Lin-KK residual|) over real and imaginary parts (relative to |Z|) above
    :data:`LIN_KK_MAX_RESIDUAL` (0.02 = 2 %). Failing: the spectrum is not Kramers-Kronig
    consistent (drift, non-linearity, noise). The test used for flags is ``fit_type='complex'``,
    ``add_cap=True`` (a blocking electrode has no low-frequency intercept), ``c`` =
    :data:`LIN_KK_C` (0.5, as in impedance.py's validation example; with Schönleber's 0.85 the
    R-(R||C) dummy cells stop at M = 3 and fail), ``max_M`` = :data:`LIN_KK_MAX_M`. Clean
    synthetic blocking cells with 0.5 % noise give 0.9-1.7 %; 3 % noise, 15 % drift or a
    real/imaginary mismatch give 3-27 %.
``fit_chi2``
    weighted χ² per point, ``Σ|r|²/N`` with ``r = (Z_fit - Z)/|Z|``, above :data:`FIT_CHI2_MAX`
    (1e-3, i.e. an rms misfit of about 2.2 % per component; 0.5 % noise gives ≈ 5e-5). Failing.
``inductive_hf``
    Im(Z) > 0 at the high-frequency end (cable/cell inductance). A warning; failing only when the
    inductive points are more than :data:`INDUCTIVE_FAIL_FRACTION` (25 %) of the spectrum.
``few_points_before_spike``
    fewer than :data:`MIN_POINTS_BEFORE_SPIKE` (3) points on the high-frequency side of where the
    spike begins and no measured Im = 0 crossing: the resistance is extrapolated. This is the normal
    case for a thin, well-conducting film (≈ 4.5 Ω for the reference cell: the whole 100 kHz-1 Hz
    spectrum is electrode spike; the nearest point is ~12 % of R away), so it is a warning; failing
    only when the extrapolation spans more than :data:`MAX_EXTRAPOLATION_FRACTION` (100 %) of R,
    i.e. (Re Z at the spike start - R)/R > 1: the nearest measured point is further from the
    intercept than the intercept is from zero (thin, very conductive films with a small or
    low-n electrode CPE; raise f_max).
``param_at_bound``
    a fitted parameter of the chosen model ended at a bound (``n`` at :data:`N_BOUNDS`, or a
    positive parameter within a factor 1.001 of its wide data-derived bound). Failing, except an
    exponent at n = 1 (an ideal capacitor), which is a warning.
``methods_disagree``
    |R_fit - R_intercept| / R_fit above :data:`METHODS_DISAGREE_FRACTION` (10 %), R_fit being the
    total resistance. Failing, unless the intercept read off the fitted curve (same points, same
    method) matches the data's intercept within 5 % of R (or 3 standard errors of the
    spike-line extrapolation): then the gap is the spectrum's shape (a film arc running into the
    spike shifts the apparent intercept below R0 + R1), not a bad fit, and the flag is a warning.
``no_spike``
    no capacitive spike at the low-frequency end (not a blocking-electrode spectrum). Failing.
``no_capacitive_tail``
    a low-frequency line is there, but it rises at less than :data:`TAIL_MIN_ANGLE_DEG` (54°) to
    the real axis, measured as the direction of the lowest-frequency decade's points after the last
    arc (:func:`~optiform.analysis.eis.shape.low_frequency_shape`; the phase of Z is not used: it
    depends on the series resistance, -16° for a resistive film on a 60° tail), or fewer than 4
    points follow the last arc. Blocking electrodes give a CPE line at n·90°: the virtual lab's
    spectra (1e-4 to 10 mS/cm, 50-300 µm, with and without a film arc, 0.2-1 % noise) measure
    ≥ 58° for n = 0.7, ≥ 62° for n = 0.75, ≥ 71° for n = 0.85; a diffusion tail is 45°, and the real
    Li-ion battery spectra in the test data measure 38° (pyDRTtools LIB_data), 48° (impedance.py
    exampleData, pyDRTtools data_1) and 55° (LIB_data_2, caught by the next flag). The threshold is
    halfway between 45° and n = 0.7's 63°. Failing.
``looks_like_full_cell``
    the spectrum of a cell with reacting electrodes (a battery, a Li symmetric cell), not a film
    between blocking electrodes, when any of: an arc whose apparent capacitance per electrode area is
    at least :data:`FULL_CELL_ARC_C_F_CM2` (1e-4 F/cm²: an electrode reaction; film arcs, bulk and
    grain boundaries, are pF-nF, at most 3.2e-7 F/cm² on the synthetic blocking cells, while the battery
    spectra's arcs hold 1.1-3.8 F/cm² at 2 cm²); two or more arcs and a low-frequency end bending
    back to the real axis (a measured Li|Li cell); an arc followed by a tail between
    :data:`DIFFUSION_TAIL_MIN_DEG` (35°) and 54° (diffusion). Two arcs followed by a capacitive
    line (bulk and grain boundaries of a ceramic) are not flagged. Failing.
``fit_failed``
    ``method="auto"`` could not fit any model and fell back to the intercept. Warning.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ...errors import AnalysisError
from .._util import new_axes
from ..types import Flag, Result, Spectrum
from ._spectrum import _as_spectrum, _clean
from .elements import BLOCKING_MODELS, MODELS, _model
from .fitting import N_BOUNDS, FitResult, fit_blocking_cell
from .intercept import Intercept, _intercept_like, high_frequency_intercept
from .shape import LowFrequencyShape, low_frequency_shape
from .validation import LIN_KK_C, LIN_KK_MAX_M, LinKKResult, lin_kk

__all__ = [
    "DIFFUSION_TAIL_MIN_DEG",
    "FIT_CHI2_MAX",
    "FULL_CELL_ARC_C_F_CM2",
    "INDUCTIVE_FAIL_FRACTION",
    "LIN_KK_MAX_RESIDUAL",
    "MAX_EXTRAPOLATION_FRACTION",
    "METHODS_DISAGREE_FRACTION",
    "MIN_POINTS_BEFORE_SPIKE",
    "TAIL_MIN_ANGLE_DEG",
    "ConductivityResult",
    "conductivity",
]

LIN_KK_MAX_RESIDUAL = 0.02  # lin_kk_residual: max |Lin-KK residual| (fraction of |Z|)
FIT_CHI2_MAX = 1e-3  # fit_chi2: weighted chi^2 per point
INDUCTIVE_FAIL_FRACTION = 0.25  # inductive_hf fails beyond this fraction of inductive points
MIN_POINTS_BEFORE_SPIKE = 3  # few_points_before_spike: points on the HF side of the spike start
MAX_EXTRAPOLATION_FRACTION = 1.0  # few_points_before_spike fails beyond this extrapolation (fraction of R)
METHODS_DISAGREE_FRACTION = 0.10  # methods_disagree: |R_fit - R_intercept| / R_fit
TAIL_MIN_ANGLE_DEG = 54.0  # no_capacitive_tail: the low-frequency tail's direction, degrees from the real axis
FULL_CELL_ARC_C_F_CM2 = 1e-4  # looks_like_full_cell: an arc's capacitance per electrode area, F/cm²
DIFFUSION_TAIL_MIN_DEG = 35.0  # looks_like_full_cell: a tail in [35°, TAIL_MIN_ANGLE_DEG) after an arc is diffusion


@dataclass
class ConductivityResult(Result):
    """Ionic conductivity from a blocking-cell spectrum: σ = L / (R·A) (value in mS/cm).

    ``resistance_ohm`` is the resistance used (``basis``: "total" = R0 + R1, where the spike begins,
    or "bulk" = R0); ``resistance_bulk_ohm`` / ``resistance_total_ohm`` as fitted (bulk is None for
    the intercept method). ``params`` / ``param_errors`` / ``chi2`` / ``Z_fit`` belong to the chosen
    circuit ``model`` (None/empty for the intercept method); ``intercept`` is always computed.
    """

    conductivity_mS_cm: float = math.nan
    resistance_ohm: float = math.nan
    resistance_bulk_ohm: float | None = None
    resistance_total_ohm: float | None = None
    basis: str = "total"
    model: str | None = None
    params: dict[str, float] = field(default_factory=dict)
    param_errors: dict[str, float | None] = field(default_factory=dict)
    chi2: float | None = None
    lin_kk: LinKKResult | None = None
    intercept: Intercept | None = None
    spectrum: Spectrum | None = None
    Z_fit: np.ndarray | None = None

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(
            {
                "conductivity_mS_cm": self.conductivity_mS_cm,
                "resistance_ohm": self.resistance_ohm,
                "resistance_bulk_ohm": self.resistance_bulk_ohm,
                "resistance_total_ohm": self.resistance_total_ohm,
                "basis": self.basis,
                "model": self.model,
                "params": dict(self.params),
                "param_errors": dict(self.param_errors),
                "chi2": self.chi2,
                "lin_kk": self.lin_kk.to_dict() if self.lin_kk is not None else None,
                "intercept": self.intercept.to_dict() if self.intercept is not None else None,
                "source": self.spectrum.source if self.spectrum is not None else None,
            }
        )
        out: dict[str, Any] = _finite_json(d)
        return out

    def plot(self, ax: Any = None, *, zoom: bool = True, label: str | None = None) -> Any:
        """Nyquist plot: data, fitted model (dense), intercept(s) marked; Z' (Ω) vs -Z'' (Ω), equal aspect.

        ``zoom``: when the spike runs far beyond the electrolyte resistance, show a square window of
        about 5 R around the high-frequency part instead of the whole spike.
        """
        if ax is None:
            ax = new_axes()
            ax.figure.set_size_inches(5, 5)
        if self.spectrum is None:
            return ax
        Z = self.spectrum.Z_ohm
        tag = f"{label}: " if label else ""
        (pts,) = ax.plot(Z.real, -Z.imag, "o", ms=4, mfc="none", label=f"{tag}data")
        if self.model is not None and self.params:
            f = self.spectrum.frequency_Hz
            fd = np.logspace(np.log10(f.min()), np.log10(f.max()), 400)
            Zd = MODELS[self.model].impedance(fd, self.params)
            ax.plot(Zd.real, -Zd.imag, "-", color=pts.get_color(), lw=1.2, label=f"{tag}fit {self.model}")
        R = self.resistance_ohm
        if np.isfinite(R):
            ax.plot([R], [0.0], "v", color="k", ms=8, label=f"R used ({self.basis}) = {R:.4g} Ω")
        if (
            self.resistance_bulk_ohm is not None
            and self.resistance_total_ohm is not None
            and abs(self.resistance_total_ohm - self.resistance_bulk_ohm) > 1e-3 * abs(self.resistance_total_ohm)
        ):
            other = self.resistance_bulk_ohm if self.basis == "total" else self.resistance_total_ohm
            ax.plot(
                [other],
                [0.0],
                "^",
                color="0.4",
                ms=7,
                label=f"R {'bulk' if self.basis == 'total' else 'total'} = {other:.4g} Ω",
            )
        if self.intercept is not None and np.isfinite(self.intercept.resistance_ohm):
            ax.plot(
                [self.intercept.resistance_ohm],
                [0.0],
                "x",
                color="r",
                ms=8,
                label=f"intercept ({self.intercept.method}) = {self.intercept.resistance_ohm:.4g} Ω",
            )
        ax.axhline(0.0, color="0.8", lw=0.8, zorder=0)
        ax.set_xlabel("Z' (Ω)")
        ax.set_ylabel("-Z'' (Ω)")
        ref = self.resistance_total_ohm if self.resistance_total_ohm else R
        if zoom and np.isfinite(ref) and ref > 0 and np.max(np.abs(Z)) > 6 * ref:
            span = 5 * ref
            inside = Z.real < span
            ylo = min(0.0, float(np.min(-Z.imag[inside]))) if inside.any() else 0.0
            ylo -= 0.05 * span
            ax.set_xlim(0, span)
            ax.set_ylim(ylo, ylo + span)
            ax.set_aspect("equal", adjustable="box")
        else:
            ax.set_aspect("equal", adjustable="datalim")
        note = " (failing flags)" if self.failing else (" (warnings)" if self.flags else "")
        ax.set_title(f"σ = {self.conductivity_mS_cm:.4g} mS/cm{note}")
        ax.legend(fontsize=7, loc="upper left")
        return ax


def _finite_json(obj: Any) -> Any:
    """NaN/inf -> None; numpy scalars -> Python (keeps to_dict strictly JSON-serialisable)."""
    if isinstance(obj, dict):
        return {str(k): _finite_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_json(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _finite_json(obj.tolist())
    if isinstance(obj, np.generic):
        return _finite_json(obj.item())
    if isinstance(obj, complex):
        return {"re": _finite_json(obj.real), "im": _finite_json(obj.imag)}
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _shape_flags(shape: LowFrequencyShape, has_spike: bool, area_cm2: float) -> list[Flag]:
    """``no_capacitive_tail`` and ``looks_like_full_cell`` (module docstring) from the spectrum's shape."""
    flags: list[Flag] = []
    angle = shape.tail_angle_deg
    shallow = math.isnan(angle) or angle < TAIL_MIN_ANGLE_DEG
    if has_spike and shallow:
        seen = (
            f"only {shape.tail_points} point(s) after the last arc"
            if math.isnan(angle)
            else f"the low-frequency end rises at {angle:.0f}° to the real axis (< {TAIL_MIN_ANGLE_DEG:.0f}°)"
        )
        flags.append(
            Flag(
                "no_capacitive_tail",
                f"{seen}: no capacitive tail of blocking electrodes (n·90°, n ≥ 0.6); a diffusion tail, "
                "reacting electrodes, or a sweep stopped too early (lower f_min)",
                None if math.isnan(angle) else angle,
                TAIL_MIN_ANGLE_DEG,
            )
        )
    big = [a for a in shape.arcs if a.capacitance_F / area_cm2 >= FULL_CELL_ARC_C_F_CM2]
    reasons = [
        f"an arc at {a.frequency_Hz:.3g} Hz with {a.capacitance_F / area_cm2:.2g} F/cm² (an electrode reaction; "
        f"film arcs are below {FULL_CELL_ARC_C_F_CM2:g} F/cm²)"
        for a in big[:1]
    ]
    if len(shape.arcs) >= 2 and shape.bends_back:
        reasons.append(f"{len(shape.arcs)} arcs and a low-frequency end bending back to the real axis")
    if shape.arcs and DIFFUSION_TAIL_MIN_DEG <= angle < TAIL_MIN_ANGLE_DEG:
        reasons.append(f"an arc followed by a {angle:.0f}° diffusion tail")
    if reasons:
        flags.append(
            Flag(
                "looks_like_full_cell",
                "looks like a cell with reacting electrodes (a battery or a Li symmetric cell), not an electrolyte "
                f"between blocking electrodes: {'; '.join(reasons)}",
                max((a.capacitance_F / area_cm2 for a in shape.arcs), default=None),
                FULL_CELL_ARC_C_F_CM2,
            )
        )
    return flags


def _area(area_cm2: float | None, diameter_mm: float | None) -> float:
    """Electrode area in cm² from exactly one of ``area_cm2`` or ``diameter_mm`` (π d²/4)."""
    if area_cm2 is not None and diameter_mm is None:
        if not (area_cm2 > 0 and math.isfinite(area_cm2)):
            raise AnalysisError(f"conductivity: area_cm2 must be a positive number, got {area_cm2!r}")
        return float(area_cm2)
    if diameter_mm is not None and area_cm2 is None:
        if not (diameter_mm > 0 and math.isfinite(diameter_mm)):
            raise AnalysisError(f"conductivity: diameter_mm must be a positive number, got {diameter_mm!r}")
        return math.pi * (diameter_mm / 10.0) ** 2 / 4.0
    raise AnalysisError("conductivity: give exactly one of area_cm2 or diameter_mm")


def conductivity(
    path_or_spectrum: str | os.PathLike[str] | Spectrum,
    *,
    thickness_um: float,
    area_cm2: float | None = None,
    diameter_mm: float | None = None,
    method: Literal["auto", "fit", "intercept"] = "auto",
    basis: Literal["total", "bulk"] = "total",
    thickness_err_um: float = 0.0,
    area_err_cm2: float = 0.0,
    models: Sequence[str] = BLOCKING_MODELS,
    lin_kk_max_residual: float = LIN_KK_MAX_RESIDUAL,
    fit_chi2_max: float = FIT_CHI2_MAX,
    lin_kk_c: float = LIN_KK_C,
) -> ConductivityResult:
    """Ionic conductivity of a film between blocking electrodes: σ = L / (R·A) · 1000 (mS/cm).

    L = ``thickness_um``·1e-4 cm; A = ``area_cm2`` or π(``diameter_mm``/10)²/4 cm². R is the
    electrolyte's total resistance (where the electrode spike begins: R0 + R1 when an arc from inside
    the film is fitted) unless ``basis="bulk"`` (R0). ``method``: "fit" (:func:`fit_blocking_cell`),
    "intercept" (:func:`high_frequency_intercept`) or "auto" (fit, falling back to the intercept; the
    two are compared and a ``methods_disagree`` flag added beyond 10 %). ``uncertainty`` is one
    standard error of σ from the standard error of R (fit covariance, or the spike-line regression)
    combined with ``thickness_err_um`` and ``area_err_cm2`` in quadrature. Flags: module docstring.
    """
    if method not in ("auto", "fit", "intercept"):
        raise AnalysisError(f"conductivity: method must be 'auto', 'fit' or 'intercept', got {method!r}")
    if basis not in ("total", "bulk"):
        raise AnalysisError(f"conductivity: basis must be 'total' or 'bulk', got {basis!r}")
    if not (thickness_um is not None and thickness_um > 0 and math.isfinite(thickness_um)):
        raise AnalysisError(f"conductivity: thickness_um must be a positive number, got {thickness_um!r}")
    A = _area(area_cm2, diameter_mm)
    L_cm = thickness_um * 1e-4
    raw = _as_spectrum(path_or_spectrum)
    s = _clean(raw)
    f, Z = s.frequency_Hz, s.Z_ohm
    flags: list[Flag] = []

    ic = high_frequency_intercept(s)
    lk = lin_kk(s, c=lin_kk_c, max_M=LIN_KK_MAX_M, fit_type="complex", add_cap=True)
    fit: FitResult | None = None
    fit_error = None
    if method in ("auto", "fit"):
        for name in models:
            _model(name)  # an unknown model name is the caller's error, not a failed fit
        try:
            fit = fit_blocking_cell(s, models, intercept=ic, lin_kk_result=lk)
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as e:
            if method == "fit":
                raise
            fit_error = str(e)
            flags.append(Flag("fit_failed", f"no circuit could be fitted ({e}); using the intercept", failing=False))

    if fit is not None:
        R_bulk, R_total = fit.resistance_bulk_ohm, fit.resistance_total_ohm
        R = R_total if basis == "total" else R_bulk
        R_err = fit.resistance_total_err_ohm if basis == "total" else fit.resistance_bulk_err_ohm
        arc = "R1" in fit.params
        how = (
            f"fit {fit.model} (modulus-weighted complex least squares, model by BIC); "
            + (
                f"sigma = L/(R A) with R = {'R0 + R1 (total: bulk + film arc)' if basis == 'total' else 'R0 (bulk)'}"
                if arc
                else "sigma = L/(R A) with R = R0 (no film arc: bulk = total)"
            )
            + f"; intercept check {ic.resistance_ohm:.4g} Ω ({ic.method})"
        )
    else:
        R_bulk, R_total = None, ic.resistance_ohm
        R, R_err = ic.resistance_ohm, ic.stderr_ohm
        how = f"intercept ({ic.method}); sigma = L/(R A) with R = total resistance where the spike begins"
        if basis == "bulk":
            how += " (bulk not separable by the intercept: total used)"
    if not (np.isfinite(R) and R > 0):
        raise AnalysisError(f"{s.source or 'spectrum'}: no positive resistance found (R = {R!r})")
    sigma = L_cm / (R * A) * 1000.0
    rel2 = (thickness_err_um / thickness_um) ** 2 + (area_err_cm2 / A) ** 2
    if R_err is not None and np.isfinite(R_err):
        unc: float | None = sigma * math.sqrt((R_err / R) ** 2 + rel2)
    else:
        unc = sigma * math.sqrt(rel2) if rel2 > 0 else None

    details: dict[str, Any] = {
        "frequency_Hz": f.tolist(),
        "intercept": ic.to_dict(),
        "lin_kk": lk.to_dict(),
        "lin_kk_residuals_real": lk.residuals_real.tolist(),
        "lin_kk_residuals_imag": lk.residuals_imag.tolist(),
        "area_cm2": A,
        "thickness_cm": L_cm,
    }
    # --- flags -----------------------------------------------------------------------------------
    if lk.max_residual > lin_kk_max_residual:
        flags.append(
            Flag(
                "lin_kk_residual",
                f"Lin-KK max |residual| {lk.max_residual:.2%} > {lin_kk_max_residual:.0%} "
                f"(M={lk.M}, mu={lk.mu:.3f}): spectrum not Kramers-Kronig consistent",
                lk.max_residual,
                lin_kk_max_residual,
            )
        )
    if fit is not None and fit.chi2_per_point > fit_chi2_max:
        flags.append(
            Flag(
                "fit_chi2",
                f"weighted chi2 per point {fit.chi2_per_point:.3g} > {fit_chi2_max:.3g} for {fit.model}",
                fit.chi2_per_point,
                fit_chi2_max,
            )
        )
    if Z.imag[0] > 0:
        n_ind = int(np.argmax(Z.imag <= 0)) if (Z.imag <= 0).any() else len(Z)
        frac = n_ind / len(Z)
        flags.append(
            Flag(
                "inductive_hf",
                f"{n_ind} inductive point(s) (Im Z > 0) at the high-frequency end "
                f"({frac:.0%} of the spectrum; cable inductance)",
                frac,
                INDUCTIVE_FAIL_FRACTION,
                failing=frac > INDUCTIVE_FAIL_FRACTION,
            )
        )
    if not ic.has_spike:
        flags.append(
            Flag("no_spike", "no capacitive spike at low frequency: not a blocking-electrode spectrum", None, None)
        )
    elif not ic.crossing and ic.n_points_before_spike < MIN_POINTS_BEFORE_SPIKE:
        k = ic.spike_start_index or 0
        ext = float((Z.real[k] - R_total) / R_total) if R_total else math.inf
        flags.append(
            Flag(
                "few_points_before_spike",
                f"{ic.n_points_before_spike} point(s) before the spike begins at {f[k]:.4g} Hz: the "
                f"resistance is extrapolated over {ext:.1%} of R",
                float(ic.n_points_before_spike),
                float(MIN_POINTS_BEFORE_SPIKE),
                failing=ext > MAX_EXTRAPOLATION_FRACTION,
            )
        )
    shape = low_frequency_shape(s)
    details["shape"] = shape.to_dict()
    flags += _shape_flags(shape, ic.has_spike, A)
    if fit is not None:
        for b in fit.at_bound:
            name, side = b.split("@")
            benign = name.startswith("n") and side == "upper"
            bound = N_BOUNDS[1 if side == "upper" else 0] if name.startswith("n") else None
            flags.append(
                Flag(
                    "param_at_bound",
                    f"{fit.model}: {name} = {fit.params[name]:.4g} at its {side} bound"
                    + (" (ideal capacitor)" if benign else ""),
                    fit.params[name],
                    bound,
                    failing=not benign,
                )
            )
        if np.isfinite(ic.resistance_ohm):
            d = abs(R_total - ic.resistance_ohm) / abs(R_total)
            if d > METHODS_DISAGREE_FRACTION:
                # Is the gap the spectrum's shape (a film arc running into the spike moves the
                # intercept) rather than a bad fit? Read the intercept off the fitted curve too.
                R_ic_fit = _intercept_like(ic, fit.Z_fit)
                gap = abs(R_ic_fit - ic.resistance_ohm)
                allowed = max(0.5 * METHODS_DISAGREE_FRACTION * abs(R_total), 3.0 * (ic.stderr_ohm or 0.0))
                explained = bool(np.isfinite(gap) and gap <= allowed)
                details["intercept_of_fit_ohm"] = R_ic_fit
                flags.append(
                    Flag(
                        "methods_disagree",
                        f"fit R_total {R_total:.4g} Ω vs intercept {ic.resistance_ohm:.4g} Ω ({ic.method}): {d:.1%} apart"
                        + (
                            f"; the fitted curve has the same intercept ({R_ic_fit:.4g} Ω): the spectrum's shape (e.g. a "
                            f"film arc running into the spike), the intercept is not the total resistance"
                            if explained
                            else f"; the fitted curve's intercept is {R_ic_fit:.4g} Ω: check the fit"
                        ),
                        d,
                        METHODS_DISAGREE_FRACTION,
                        failing=not explained,
                    )
                )

    if fit is not None:
        details.update(
            {
                "model": fit.model,
                "params": fit.params,
                "param_errors": fit.param_errors,
                "chi2": fit.chi2,
                "chi2_per_point": fit.chi2_per_point,
                "bic": fit.bic,
                "candidates": fit.candidates,
                "Z_fit_real": fit.Z_fit.real.tolist(),
                "Z_fit_imag": fit.Z_fit.imag.tolist(),
                "residuals_real": fit.residuals.real.tolist(),
                "residuals_imag": fit.residuals.imag.tolist(),
                "resistance_err_ohm": R_err,
            }
        )
    if fit_error:
        details["fit_error"] = fit_error
    inputs = {
        "source": s.source,
        "thickness_um": thickness_um,
        "area_cm2": A,
        "diameter_mm": diameter_mm,
        "method": method,
        "basis": basis,
        "thickness_err_um": thickness_err_um,
        "area_err_cm2": area_err_cm2,
        "models": list(models),
        "n_points": len(s),
        "f_min_Hz": float(f.min()),
        "f_max_Hz": float(f.max()),
    }
    return ConductivityResult(
        quantity="conductivity_mS_cm",
        value=sigma,
        uncertainty=unc,
        method=how,
        flags=flags,
        inputs=inputs,
        details=details,
        conductivity_mS_cm=sigma,
        resistance_ohm=float(R),
        resistance_bulk_ohm=None if R_bulk is None else float(R_bulk),
        resistance_total_ohm=float(R_total),
        basis=basis,
        model=fit.model if fit else None,
        params=dict(fit.params) if fit else {},
        param_errors=dict(fit.param_errors) if fit else {},
        chi2=fit.chi2 if fit else None,
        lin_kk=lk,
        intercept=ic,
        spectrum=s,
        Z_fit=fit.Z_fit if fit else None,
    )
