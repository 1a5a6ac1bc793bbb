"""Li⁺ transference number by the Bruce–Vincent (potentiostatic polarization) method.

A Li|electrolyte|Li cell is polarized by a small step ΔV; the current decays from I0 to a steady
state Iss while concentration gradients build up. With the interfacial (electrode) resistances R0
(before) and Rss (after polarization) from impedance::

    t+ = Iss (ΔV − I0 R0) / ( I0 (ΔV − Iss Rss) )          (Bruce & Vincent 1987 / Evans 1987)

ΔV in V (given as ``delta_V_mV``), currents in A, resistances in Ω. R0 and Rss are the
*interfacial* resistances — for a symmetric Li cell the width of the interfacial (charge-transfer +
SEI) arc, R_interface = R_total − R_bulk — not the bulk electrolyte resistance.

I0 (stated in ``TransferenceResult.i0_method``):

* ``"first"`` — |I| of the first sample at/after the step time.
* ``"extrapolated"`` — intercept at t = 0 of a straight-line fit of |I| against √(t − t_step) over
  the first ``i0_window_s`` seconds (≥ 3 samples; diffusion-limited early decay ∝ √t). Corrects for a
  sampling delay after the step.
* ``"ohmic"`` — I0 = ΔV / R_total with R_total = R_bulk + R0 of the cell before polarization
  (Evans/Vincent ohmic estimate); R_total from ``R_total_ohm``, or ``Rb_ohm + R0``, or the EIS before.

Iss = mean |I| over the last ``steady_fraction`` (5 %) of the trace duration.

Interfacial resistance from a spectrum (``interfacial_resistance``): R_interface = Re Z at the
low-frequency end of the arc (the first local minimum of −Im Z after the arc's apex, or where
``eis.high_frequency_intercept`` puts the start of the low-frequency tail with ``eis_method="eis"``)
− the high-frequency intercept (Re Z where −Im Z crosses zero, or a straight-line extrapolation of
the first two points to −Im Z = 0). A single interfacial arc is assumed, with the bulk seen as the
high-frequency intercept (the usual Li|polymer|Li picture at ≤ 1 MHz).

Quality flags (thresholds are module constants):

* ``not_steady`` (failing): the current has not reached its steady state, so Iss and t+ are
  overestimated. Judged over the whole trace against its own time constant (:func:`steady_state`):
  the decay I(t) = Iss + ΔI·exp(−t/τ) (or two exponentials, when they fit better by the BIC) is
  fitted to the whole trace after the step, and the trace must last at least
  :data:`STEADY_MIN_TAUS` (5) τ of its slowest significant term (a remaining transient of
  e⁻⁵ = 0.7 % of ΔI) and the measured Iss must agree with the fitted one within
  :data:`STEADY_ISS_TOLERANCE` (2 %). A trace cut at 1.1 τ passes the end-drift test below (its
  current changes by 0.6 % over its last tenth) but gives t+ = 0.81 instead of 0.68 (tests).
  Also failing when |slope of |I| vs t over the last ``drift_fraction`` (10 %)| × window duration /
  Iss > :data:`NOT_STEADY_REL_DRIFT` (a drift the exponential cannot describe). The flag's value
  and threshold are those of the first failing test in that order (duration in τ, Iss mismatch,
  end drift); ``details["steady_state"]`` holds all three.
* ``t_plus_out_of_range`` (failing): t+ outside [0, 1].
* ``small_current`` (failing): Iss < :data:`SMALL_CURRENT_A` or Iss / std(last window) <
  :data:`SMALL_CURRENT_SNR` (steady current lost in noise).
* ``interface_changed`` (not failing): |Rss − R0| / R0 > :data:`INTERFACE_CHANGE_MAX` — the interface
  evolved strongly during polarization; the correction is then less trustworthy.
* ``large_polarization`` (not failing): ΔV > :data:`MAX_DELTA_V_MV` (the method assumes ΔV ≪ k_BT/e).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ._util import as_frame as _as_frame
from ._util import new_axes as _axes
from .types import Flag, Result, Series, Spectrum

NOT_STEADY_REL_DRIFT = 0.02  # not_steady: relative change of I over the drift window
STEADY_MIN_TAUS = 5.0  # not_steady: the trace must last this many time constants of its decay
STEADY_ISS_TOLERANCE = 0.02  # not_steady: |Iss measured - Iss fitted| / Iss fitted
SMALL_CURRENT_A = 1e-9  # small_current: absolute floor for Iss, A
SMALL_CURRENT_SNR = 10.0  # small_current: Iss / std(I in the steady window)
INTERFACE_CHANGE_MAX = 0.5  # interface_changed: |Rss - R0| / R0
MAX_DELTA_V_MV = 20.0  # large_polarization: ΔV above this, mV
ARC_APEX_PROMINENCE = 0.1  # arc apex: a maximum of −Im Z standing out by ≥ 10 % of its height
ARC_MIN_PROMINENCE = 0.02  # arc end: a minimum of −Im Z dipping ≥ 2 % of the apex height
STEP_DETECT_FRACTION = 0.05  # step time = first sample with |I| > this × max |I| (when t_step_s is None)

I0Method = Literal["first", "extrapolated", "ohmic"]
EISMethod = Literal["builtin", "eis"]

__all__ = [
    "INTERFACE_CHANGE_MAX",
    "MAX_DELTA_V_MV",
    "NOT_STEADY_REL_DRIFT",
    "SMALL_CURRENT_A",
    "SMALL_CURRENT_SNR",
    "STEADY_ISS_TOLERANCE",
    "STEADY_MIN_TAUS",
    "ArcEstimate",
    "SteadyState",
    "TransferenceResult",
    "bruce_vincent",
    "interfacial_resistance",
    "steady_state",
    "transference_number",
]


@dataclass(frozen=True)
class ArcEstimate:
    """Resistances read from a Li|electrolyte|Li spectrum (Ω)."""

    R_bulk_ohm: float
    R_total_ohm: float
    R_interface_ohm: float
    method: str


@dataclass
class TransferenceResult(Result):
    """Bruce–Vincent t+; ``value`` = t+ (dimensionless). ``uncertainty`` is None (R0/Rss errors unknown);
    ``details["t_plus_se_from_Iss"]`` propagates only the scatter of Iss."""

    t_plus: float = float("nan")
    t_plus_uncorrected: float = float("nan")  # Iss / I0 (no interfacial correction)
    I0_A: float = float("nan")
    Iss_A: float = float("nan")
    i0_method: str = "first"
    delta_V_mV: float = float("nan")
    R0_ohm: float = float("nan")
    Rss_ohm: float = float("nan")
    R_source: str = ""
    time_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    current_A: np.ndarray = field(default_factory=lambda: np.empty(0))
    steady_window_s: tuple[float, float] = (float("nan"), float("nan"))

    def plot(self, ax: Any = None) -> Any:
        """|I| (µA) against time with I0, Iss and the steady-state window; returns the axes."""
        ax = _axes(ax)
        ax.plot(self.time_s, self.current_A * 1e6, "-", label="|I|")
        ax.axhline(self.I0_A * 1e6, ls="--", color="C1", label=f"I0 ({self.i0_method}) = {self.I0_A * 1e6:.3g} µA")
        ax.axhline(self.Iss_A * 1e6, ls=":", color="C2", label=f"Iss = {self.Iss_A * 1e6:.3g} µA")
        ax.axvspan(*self.steady_window_s, color="C2", alpha=0.15)
        ax.set_xlabel("time since step (s)")
        ax.set_ylabel("current (µA)")
        ax.set_title(f"t+ = {self.t_plus:.3f}")
        ax.legend()
        return ax


@dataclass(frozen=True)
class SteadyState:
    """The whole-trace fit of a current decay, I(t) = Iss + Σ ΔI_k exp(−t/τ_k) (A, s after the step).

    ``model``: "1 exponential" or "2 exponentials" (chosen by the BIC), "flat" for a trace of zero
    current or duration. ``tau_s``: the slowest term whose amplitude exceeds
    :data:`STEADY_ISS_TOLERANCE` of Iss (0 when none does: a flat trace); ``duration_taus`` = trace
    duration / ``tau_s`` (inf for a flat trace); ``Iss_mismatch`` = |Iss measured − Iss fitted| /
    Iss fitted (inf when the fitted Iss is not positive).
    """

    model: str
    Iss_fit_A: float
    amplitudes_A: tuple[float, ...]
    taus_s: tuple[float, ...]
    tau_s: float
    duration_taus: float
    Iss_mismatch: float

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def steady_state(time_s: np.ndarray, current_A: np.ndarray, Iss_A: float) -> SteadyState:
    """Fit the decay of |I| over the whole trace (``time_s`` from the step, s; ``current_A``, A) with
    one and two exponentials plus a constant (least squares on I / max|I| against t / duration) and
    compare its time constant with the trace's duration and its constant with ``Iss_A`` (the
    measured steady current, A). See :class:`SteadyState`."""
    from scipy.optimize import least_squares

    t = np.asarray(time_s, dtype=float)
    t = t - t[0]
    duration = float(t[-1])
    scale = float(np.max(np.abs(current_A)))
    if not (duration > 0 and scale > 0):  # no decay to judge (a zero trace is flagged small_current)
        return SteadyState("flat", float(Iss_A), (), (), 0.0, math.inf, 0.0)
    u, y = t / duration, np.asarray(current_A, dtype=float) / scale
    a0, b0 = Iss_A / scale, float(y[0]) - Iss_A / scale
    below = np.flatnonzero(np.abs(y - a0) <= abs(b0) / np.e)
    tau0 = float(max(u[below[0]], 1e-3)) if below.size else 0.3
    lo, hi = math.log(max(float(np.min(np.diff(u)[np.diff(u) > 0], initial=1e-6)) / 10, 1e-9)), math.log(1e3)
    lt0 = min(max(math.log(tau0), lo), hi)

    def model(p: np.ndarray) -> np.ndarray:
        out = np.full_like(u, p[0])
        for b, lt in zip(p[1::2], p[2::2], strict=True):
            out += b * np.exp(-u / math.exp(lt))
        return out

    n = len(u)
    fits = []
    for x0 in ([a0, b0, lt0], [a0, b0 / 2, max(lt0 - math.log(10), lo), b0 / 2, lt0]):
        k = len(x0)
        bounds = ([-np.inf] + [-np.inf, lo] * (k // 2), [np.inf] + [np.inf, hi] * (k // 2))
        res = least_squares(lambda p: model(p) - y, x0, bounds=bounds, x_scale="jac")
        rss = max(float(res.fun @ res.fun), n * 1e-30)
        fits.append((n * math.log(rss / n) + k * math.log(n), res.x))
    p = min(fits, key=lambda fit: fit[0])[1]
    Iss_fit = float(p[0]) * scale
    amps = tuple(float(b) * scale for b in p[1::2])
    taus = tuple(math.exp(float(lt)) * duration for lt in p[2::2])
    ref = max(abs(Iss_fit), abs(Iss_A))
    significant = [tau for amp, tau in zip(amps, taus, strict=True) if abs(amp) > STEADY_ISS_TOLERANCE * ref]
    tau = max(significant, default=0.0)
    return SteadyState(
        model="1 exponential" if len(amps) == 1 else "2 exponentials",
        Iss_fit_A=Iss_fit,
        amplitudes_A=amps,
        taus_s=taus,
        tau_s=tau,
        duration_taus=duration / tau if tau > 0 else math.inf,
        Iss_mismatch=abs(Iss_A - Iss_fit) / Iss_fit if Iss_fit > 0 else math.inf,
    )


def bruce_vincent(I0_A: float, Iss_A: float, delta_V_mV: float, R0_ohm: float, Rss_ohm: float) -> float:
    """t+ = Iss (ΔV − I0 R0) / (I0 (ΔV − Iss Rss)); ΔV in mV, currents in A, resistances in Ω."""
    dV = delta_V_mV * 1e-3
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(Iss_A * (dV - I0_A * R0_ohm)) / np.float64(I0_A * (dV - Iss_A * Rss_ohm)))


def transference_number(
    ca: Series | pd.DataFrame | str | os.PathLike[str],
    *,
    delta_V_mV: float,
    R0_ohm: float | None = None,
    Rss_ohm: float | None = None,
    eis_before: Spectrum | str | os.PathLike[str] | None = None,
    eis_after: Spectrum | str | os.PathLike[str] | None = None,
    i0: I0Method = "first",
    Rb_ohm: float | None = None,
    R_total_ohm: float | None = None,
    t_step_s: float | None = None,
    i0_window_s: float = 5.0,
    steady_fraction: float = 0.05,
    drift_fraction: float = 0.10,
    eis_method: EISMethod = "builtin",
) -> TransferenceResult:
    """Bruce–Vincent t+ from a chronoamperogram (``time_s``, ``current_A``) and R0/Rss.

    Parameters
    ----------
    ca : Series, DataFrame or path (read with ``readers.read_series``).
    delta_V_mV : applied polarization ΔV, mV (sign ignored).
    R0_ohm, Rss_ohm : interfacial resistances before/after polarization, Ω (R_total − R_bulk).
        Take precedence over the spectra.
    eis_before, eis_after : spectra (Spectrum or path) giving R0 / Rss via :func:`interfacial_resistance`.
    i0 : "first" | "extrapolated" | "ohmic" (see module docstring).
    Rb_ohm : bulk resistance before polarization (for ``i0="ohmic"``: R_total = Rb + R0).
    R_total_ohm : total cell resistance before polarization (for ``i0="ohmic"``), overrides the rest.
    t_step_s : time of the potential step; default the first sample with |I| > 5 % of max |I|.
    i0_window_s : window of the √t fit for ``i0="extrapolated"``, s.
    steady_fraction, drift_fraction : fractions of the trace duration for Iss and the drift check.
    eis_method : how R_total is read from the spectra: "builtin" or "eis" (see :func:`interfacial_resistance`).
    """
    if i0 not in ("first", "extrapolated", "ohmic"):
        raise AnalysisError(f"i0: expected 'first', 'extrapolated' or 'ohmic', got {i0!r}")
    if not np.isfinite(delta_V_mV) or delta_V_mV == 0:
        raise AnalysisError(f"delta_V_mV: must be a finite non-zero polarization, got {delta_V_mV}")
    if not 0 < steady_fraction < 1 or not 0 < drift_fraction < 1:
        raise AnalysisError("steady_fraction, drift_fraction: must lie in (0, 1)")
    dV_mV = abs(float(delta_V_mV))
    t, I = _ca_trace(ca, t_step_s)

    need_total = i0 == "ohmic" and R_total_ohm is None and Rb_ohm is None
    R0, Rss, R_source, arc_before = _interfacial_pair(R0_ohm, Rss_ohm, eis_before, eis_after, eis_method, need_total)
    I0 = _initial_current(t, I, i0, dV_mV, R0, Rb_ohm, R_total_ohm, arc_before, i0_window_s)
    if not (np.isfinite(I0) and I0 > 0):
        raise AnalysisError(f"ca: initial current I0 = {I0:.4g} A ({i0}): no current after the step")
    t_lo = t[-1] - steady_fraction * (t[-1] - t[0])
    win = t >= t_lo
    if win.sum() < 2:
        win = np.zeros_like(win)
        win[-2:] = True
    Iss = float(np.mean(I[win]))
    Iss_sd = float(np.std(I[win], ddof=1)) if win.sum() > 1 else 0.0

    t_plus = bruce_vincent(I0, Iss, dV_mV, R0, Rss)
    dV = dV_mV * 1e-3
    with np.errstate(divide="ignore", invalid="ignore"):
        dt_dIss = (dV - I0 * R0) * dV / (I0 * (dV - Iss * Rss) ** 2)
    steady = steady_state(t, I, Iss)
    flags = _flags(t, I, t_plus, Iss, Iss_sd, R0, Rss, dV_mV, drift_fraction, steady)
    details = {
        "I0_A": I0,
        "Iss_A": Iss,
        "Iss_std_A": Iss_sd,
        "n_steady_points": int(win.sum()),
        "t_plus_uncorrected": Iss / I0,
        "t_plus_se_from_Iss": float(abs(dt_dIss) * Iss_sd / np.sqrt(win.sum())),
        "R0_ohm": R0,
        "Rss_ohm": Rss,
        "R_source": R_source,
        "duration_s": float(t[-1] - t[0]),
        "steady_state": steady.to_dict(),
    }
    return TransferenceResult(
        quantity="transference_number",
        value=t_plus,
        uncertainty=None,
        method=f"Bruce–Vincent, I0 = {i0}, Iss = mean of last {steady_fraction:.0%}, R0/Rss from {R_source}",
        flags=flags,
        inputs={
            "delta_V_mV": dV_mV,
            "i0": i0,
            "R0_ohm": R0_ohm,
            "Rss_ohm": Rss_ohm,
            "Rb_ohm": Rb_ohm,
            "R_total_ohm": R_total_ohm,
            "t_step_s": t_step_s,
            "i0_window_s": i0_window_s,
            "steady_fraction": steady_fraction,
            "drift_fraction": drift_fraction,
        },
        details=details,
        t_plus=t_plus,
        t_plus_uncorrected=Iss / I0,
        I0_A=I0,
        Iss_A=Iss,
        i0_method=i0,
        delta_V_mV=dV_mV,
        R0_ohm=R0,
        Rss_ohm=Rss,
        R_source=R_source,
        time_s=t,
        current_A=I,
        steady_window_s=(float(t_lo), float(t[-1])),
    )


def interfacial_resistance(
    spectrum: Spectrum | str | os.PathLike[str], eis_method: EISMethod = "builtin"
) -> ArcEstimate:
    """R_bulk, R_total and R_interface = R_total − R_bulk (Ω) of a Li|electrolyte|Li spectrum.

    R_bulk = built-in high-frequency intercept (Re Z where −Im Z crosses zero, else a straight line
    through the first two points extrapolated to −Im Z = 0).
    R_total = Re Z at the low-frequency end of the first arc:

    * ``eis_method="builtin"``: the first local minimum of −Im Z after the arc's apex, or the
      lowest-frequency point if −Im Z there has fallen below 10 % of the apex (arc closes on the axis);
    * ``eis_method="eis"``: ``eis.high_frequency_intercept`` — the real-axis intercept where the
      low-frequency tail/spike begins (its blocking-cell "bulk" intercept is, for a Li|Li cell, the end
      of the interfacial arc; it is therefore *not* used as R_bulk).

    Raises ValueError when no arc is found or the eis module is unavailable (pass R0_ohm/Rss_ohm).
    """
    if eis_method not in ("builtin", "eis"):
        raise AnalysisError(f"eis_method: expected 'builtin' or 'eis', got {eis_method!r}")
    spec = _as_spectrum(spectrum)
    s = spec.sorted()
    x, y = s.Z_ohm.real, -s.Z_ohm.imag
    name = spec.source or "spectrum"
    if len(x) < 5:
        raise AnalysisError(f"{name}: too few points to locate the interfacial arc; pass R0_ohm/Rss_ohm")
    R_bulk = _builtin_hf_intercept(x, y)
    if eis_method == "eis":
        R_total, how = _eis_arc_end(s, name), "eis.high_frequency_intercept (arc end)"
    else:
        R_total, how = _arc_low_frequency_end(x, y, name), "built-in (local minimum of -Im)"
    if not R_total > R_bulk:
        raise AnalysisError(
            f"{name}: arc end ({R_total:.4g} Ω) is not right of the high-frequency intercept "
            f"({R_bulk:.4g} Ω); pass R0_ohm/Rss_ohm"
        )
    return ArcEstimate(
        R_bulk_ohm=float(R_bulk), R_total_ohm=float(R_total), R_interface_ohm=float(R_total - R_bulk), method=how
    )


# --------------------------------------------------------------------------------------- helpers
def _ca_trace(ca: Any, t_step_s: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Time since the step (s) and |I| (A), sorted by time, from the step on."""
    df = _as_frame(ca, ("time_s", "current_A"), "ca")
    df = df[["time_s", "current_A"]].dropna().sort_values("time_s", kind="stable")
    t = df["time_s"].to_numpy(float)
    I = df["current_A"].to_numpy(float)
    if len(t) < 10:
        raise AnalysisError(f"ca: need at least 10 samples, got {len(t)}")
    sign = 1.0 if np.mean(I) >= 0 else -1.0
    I = I * sign
    if t_step_s is None:
        k = int(np.argmax(I > STEP_DETECT_FRACTION * I.max()))
        t_step = t[k]
    else:
        t_step = float(t_step_s)
    keep = t >= t_step
    if keep.sum() < 10:
        raise AnalysisError(f"t_step_s: fewer than 10 samples after the step at {t_step} s")
    return t[keep] - t_step, I[keep]


def _initial_current(
    t: np.ndarray,
    I: np.ndarray,
    method: str,
    dV_mV: float,
    R0: float,
    Rb: float | None,
    R_total: float | None,
    arc_before: ArcEstimate | None,
    window_s: float,
) -> float:
    if method == "first":
        return float(I[0])
    if method == "extrapolated":
        sel = t <= window_s
        if sel.sum() < 3:
            sel = np.zeros_like(sel)
            sel[:3] = True
        coef = np.polyfit(np.sqrt(t[sel]), I[sel], 1)
        return float(coef[1])
    if R_total is None:
        if Rb is not None:
            R_total = Rb + R0
        elif arc_before is not None:
            R_total = arc_before.R_total_ohm
        else:
            raise AnalysisError("i0='ohmic' needs R_total_ohm, Rb_ohm (with R0) or eis_before")
    if not R_total > 0:
        raise AnalysisError(f"R_total_ohm: must be > 0, got {R_total}")
    return dV_mV * 1e-3 / R_total


def _interfacial_pair(
    R0: float | None, Rss: float | None, before: Any, after: Any, eis_method: EISMethod, need_total: bool
) -> tuple[float, float, str, ArcEstimate | None]:
    use_before = before is not None and (R0 is None or need_total)
    arc_before = interfacial_resistance(before, eis_method) if use_before else None
    arc_after = interfacial_resistance(after, eis_method) if after is not None and Rss is None else None
    sources = []
    if R0 is None:
        if arc_before is None:
            raise AnalysisError("R0_ohm: give the interfacial resistance before polarization or eis_before")
        R0 = arc_before.R_interface_ohm
        sources.append(f"EIS before ({arc_before.method})")
    else:
        sources.append("R0_ohm")
    if Rss is None:
        if arc_after is None:
            raise AnalysisError("Rss_ohm: give the interfacial resistance after polarization or eis_after")
        Rss = arc_after.R_interface_ohm
        sources.append(f"EIS after ({arc_after.method})")
    else:
        sources.append("Rss_ohm")
    for name, v in (("R0_ohm", R0), ("Rss_ohm", Rss)):
        if not np.isfinite(v) or v < 0:
            raise AnalysisError(f"{name}: must be a finite resistance ≥ 0, got {v}")
    return float(R0), float(Rss), " / ".join(sources), arc_before


def _flags(
    t: np.ndarray,
    I: np.ndarray,
    t_plus: float,
    Iss: float,
    Iss_sd: float,
    R0: float,
    Rss: float,
    dV_mV: float,
    drift_fraction: float,
    steady: SteadyState,
) -> list[Flag]:
    flags: list[Flag] = []
    failed: list[tuple[str, float, float]] = []  # (why, value, threshold), in the order of the docstring
    if steady.duration_taus < STEADY_MIN_TAUS:
        failed.append(
            (
                f"the trace lasts {steady.duration_taus:.2g} time constants of its decay (τ = {steady.tau_s:.3g} s, "
                f"{steady.model}), fewer than {STEADY_MIN_TAUS:g}",
                steady.duration_taus,
                STEADY_MIN_TAUS,
            )
        )
    if steady.Iss_mismatch > STEADY_ISS_TOLERANCE:
        failed.append(
            (
                f"the final current {Iss:.4g} A is {steady.Iss_mismatch:.1%} away from the steady state the decay "
                f"tends to ({steady.Iss_fit_A:.4g} A)",
                steady.Iss_mismatch,
                STEADY_ISS_TOLERANCE,
            )
        )
    sel = t >= t[-1] - drift_fraction * (t[-1] - t[0])
    if sel.sum() >= 3 and Iss > 0:
        slope = np.polyfit(t[sel], I[sel], 1)[0]
        drift = float(abs(slope) * (t[sel][-1] - t[sel][0]) / Iss)
        if drift > NOT_STEADY_REL_DRIFT:
            failed.append(
                (
                    f"current still changes by {drift:.1%} over the last {drift_fraction:.0%} of the trace",
                    drift,
                    NOT_STEADY_REL_DRIFT,
                )
            )
    if failed:
        flags.append(
            Flag(
                "not_steady",
                "; ".join(why for why, _, _ in failed) + ": not at steady state, t+ is overestimated (polarize longer)",
                value=float(failed[0][1]),
                threshold=failed[0][2],
            )
        )
    if not (0.0 <= t_plus <= 1.0):
        flags.append(
            Flag("t_plus_out_of_range", f"t+ = {t_plus:.4g} outside [0, 1]", value=float(t_plus), threshold=1.0)
        )
    snr = Iss / Iss_sd if Iss_sd > 0 else float("inf")
    if Iss < SMALL_CURRENT_A or snr < SMALL_CURRENT_SNR:
        flags.append(
            Flag(
                "small_current",
                f"steady current {Iss:.3g} A (S/N {snr:.3g}) below the noise floor "
                f"({SMALL_CURRENT_A:g} A or S/N {SMALL_CURRENT_SNR:g})",
                value=float(Iss),
                threshold=SMALL_CURRENT_A,
            )
        )
    if R0 > 0:
        change = abs(Rss - R0) / R0
        if change > INTERFACE_CHANGE_MAX:
            flags.append(
                Flag(
                    "interface_changed",
                    f"interfacial resistance changed by {change:.0%} during polarization",
                    value=float(change),
                    threshold=INTERFACE_CHANGE_MAX,
                    failing=False,
                )
            )
    if dV_mV > MAX_DELTA_V_MV:
        flags.append(
            Flag(
                "large_polarization",
                f"ΔV = {dV_mV:g} mV exceeds {MAX_DELTA_V_MV:g} mV (method assumes a small step)",
                value=dV_mV,
                threshold=MAX_DELTA_V_MV,
                failing=False,
            )
        )
    return flags


def _arc_low_frequency_end(x: np.ndarray, y: np.ndarray, source: str) -> float:
    from scipy.signal import find_peaks

    peaks, props = find_peaks(y, prominence=0)
    peaks = peaks[(y[peaks] > 0) & (props["prominences"] >= ARC_APEX_PROMINENCE * np.abs(y[peaks]))]
    if y[0] > 0 and y[0] > y[1] and (len(peaks) == 0 or y[0] > y[peaks[0]]):
        peaks = np.r_[0, peaks]  # arc apex at the first point (truncated high frequencies)
    if len(peaks) == 0:
        raise AnalysisError(
            f"{source or 'spectrum'}: no interfacial arc found (no maximum of −Im Z); pass R0_ohm/Rss_ohm"
        )
    apex = int(peaks[0])
    mins, mprops = find_peaks(-y[apex:], prominence=0)
    mins = mins[mprops["prominences"] >= ARC_MIN_PROMINENCE * y[apex]]
    if len(mins):
        return float(x[apex + int(mins[0])])
    if y[-1] < 0.1 * y[apex]:
        return float(x[-1])
    raise AnalysisError(
        f"{source or 'spectrum'}: cannot locate the low-frequency end of the interfacial arc; pass R0_ohm/Rss_ohm"
    )


def _eis_arc_end(spec: Spectrum, name: str) -> float:
    """Arc end from ``eis.high_frequency_intercept`` (where the low-frequency spike begins)."""
    try:
        from .eis import high_frequency_intercept
    except ImportError:
        raise AnalysisError(
            "optiform.analysis.eis.high_frequency_intercept is not available; pass R0_ohm/Rss_ohm "
            "or use eis_method='builtin'"
        ) from None
    out = high_frequency_intercept(spec)
    val = float(out.resistance_ohm)
    if not np.isfinite(val) or not out.has_spike:
        raise AnalysisError(
            f"{name}: eis.high_frequency_intercept found no low-frequency tail after the arc; "
            "pass R0_ohm/Rss_ohm or use eis_method='builtin'"
        )
    return val


def _builtin_hf_intercept(x: np.ndarray, y: np.ndarray) -> float:
    """Re Z at −Im Z = 0 on the high-frequency side: interpolated crossing, else linear extrapolation."""
    pos = np.flatnonzero(y > 0)
    if len(pos) == 0:
        return float(x[0])
    k = int(pos[0])
    if k > 0:  # crossing from ≤ 0 (inductive) to > 0
        return float(x[k - 1] + (x[k] - x[k - 1]) * (0 - y[k - 1]) / (y[k] - y[k - 1]))
    if len(y) > 1 and y[1] > y[0] and x[1] != x[0]:
        est = x[0] - y[0] * (x[1] - x[0]) / (y[1] - y[0])
        if 0 <= est <= x[0]:
            return float(est)
    return float(x[0])


def _as_spectrum(spectrum: Any) -> Spectrum:
    if isinstance(spectrum, Spectrum):
        return spectrum
    if isinstance(spectrum, (str, os.PathLike)):
        from .readers import read_eis

        return read_eis(spectrum)
    raise AnalysisError(f"eis_before/eis_after: expected a Spectrum or a path, got {type(spectrum).__name__}")
