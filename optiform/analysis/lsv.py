"""Anodic (oxidative) stability limit of an electrolyte from a linear sweep voltammogram.

Input: potential ``potential_V`` (V vs Li/Li⁺, increasing — anodic sweep) and ``current_A`` (A,
positive = oxidation), e.g. a Li|electrolyte|SS cell at 1 mV/s. Only the forward part of the sweep
(from the start to the first maximum of the potential) is used. Current density::

    j = I / A · 10⁶        (µA/cm², A = electrode area in cm²)

Onset methods:

* ``threshold`` — the first potential where j rises above ``threshold_uA_cm2`` (default 10 µA/cm²)
  and stays above for ``hold_points`` consecutive samples; the crossing is linearly interpolated
  between the last sample below and the first sample above.
* ``tangent`` — intersection of the baseline j_b(E) = m0 + m1·E (least squares over
  ``baseline_window_V``; default the first half of the way from the sweep start to the threshold
  onset, or of the whole sweep when the threshold is never crossed) with the tangent at the steepest
  rise: j smoothed by a Savitzky–Golay filter (``smooth_points``, cubic), slope dj/dE by second-order
  finite differences, maximum slope searched where j > threshold (and j ≤ ``tangent_max_uA_cm2``
  if given). Onset E* = (j_k − s_k E_k − m0) / (m1 − s_k). For j = j_bg + j0·exp((E − E_on)/b) with a
  flat baseline the tangent at E_k meets the baseline at E_k − b.

``method`` chooses ``value``: "threshold" (default) or "tangent"; "both" = value from the threshold
method. The other onset is always attempted and stored (``onset_threshold_V``, ``onset_tangent_V``,
``details``).

Quality flags (thresholds are module constants):

* ``no_onset`` (failing): the threshold is never crossed; ``value`` = the sweep's upper limit as a
  lower bound (``lower_bound=True``).
* ``above_threshold_at_start`` (failing): j already exceeds the threshold at the start of the sweep.
* ``noisy_baseline`` (not failing): std of the baseline residuals > :data:`NOISY_BASELINE_FRACTION` ×
  threshold.
* ``methods_disagree`` (not failing): |threshold onset − tangent onset| > :data:`METHODS_DISAGREE_V`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ._util import as_frame as _as_frame
from ._util import new_axes as _axes
from .types import Flag, Result, Series

METHODS_DISAGREE_V = 0.1  # methods_disagree: |E_threshold − E_tangent| above this, V
NOISY_BASELINE_FRACTION = 0.2  # noisy_baseline: baseline residual std above this × threshold
BASELINE_FRACTION = 0.5  # default baseline window: start .. start + this × (threshold onset − start)
MIN_BASELINE_POINTS = 3

OnsetMethod = Literal["threshold", "tangent", "both"]

__all__ = [
    "BASELINE_FRACTION",
    "METHODS_DISAGREE_V",
    "NOISY_BASELINE_FRACTION",
    "OnsetResult",
    "stability_onset",
]


@dataclass
class OnsetResult(Result):
    """Oxidation onset; ``value`` in V vs the reference of the input (Li/Li⁺). ``uncertainty`` None."""

    onset_threshold_V: float | None = None
    onset_tangent_V: float | None = None
    chosen: str = "threshold"
    threshold_uA_cm2: float = 10.0
    area_cm2: float = float("nan")
    lower_bound: bool = False
    upper_limit_V: float = float("nan")
    baseline: tuple[float, float] | None = None  # (m0 µA/cm², m1 µA/cm²/V)
    baseline_window_V: tuple[float, float] | None = None
    tangent_point: tuple[float, float, float] | None = None  # (E V, j µA/cm², slope µA/cm²/V)
    potential_V: np.ndarray = field(default_factory=lambda: np.empty(0))
    current_density_uA_cm2: np.ndarray = field(default_factory=lambda: np.empty(0))

    def plot(self, ax: Any = None) -> Any:
        """j (µA/cm²) against E with threshold, baseline, tangent and onsets; returns the axes."""
        ax = _axes(ax)
        E, j = self.potential_V, self.current_density_uA_cm2
        ax.plot(E, j, "-", label="LSV")
        ax.axhline(self.threshold_uA_cm2, ls=":", color="grey", label=f"{self.threshold_uA_cm2:g} µA/cm²")
        if self.baseline is not None:
            ax.plot(E, self.baseline[0] + self.baseline[1] * E, "--", color="C2", lw=0.8, label="baseline")
        if self.tangent_point is not None:
            Ek, jk, sk = self.tangent_point
            Es = np.linspace(self.onset_tangent_V if self.onset_tangent_V is not None else Ek, Ek, 10)
            ax.plot(Es, jk + sk * (Es - Ek), "--", color="C3", lw=0.8, label="tangent")
        for name, v, c in (("threshold", self.onset_threshold_V, "C1"), ("tangent", self.onset_tangent_V, "C3")):
            if v is not None:
                ax.axvline(v, color=c, lw=0.8, label=f"{name} onset {v:.3f} V")
        top = max(5 * self.threshold_uA_cm2, float(np.nanmax(j)) if len(j) else 1.0)
        ax.set_ylim(min(0.0, float(np.nanmin(j)) if len(j) else 0.0), top * 1.05)
        ax.set_xlabel("E (V vs Li/Li⁺)")
        ax.set_ylabel("j (µA/cm²)")
        ax.legend(fontsize="small")
        return ax


def stability_onset(
    lsv: Series | pd.DataFrame | str | os.PathLike[str],
    *,
    area_cm2: float,
    threshold_uA_cm2: float = 10.0,
    method: OnsetMethod = "threshold",
    baseline_window_V: tuple[float, float] | None = None,
    hold_points: int = 3,
    smooth_points: int = 11,
    tangent_max_uA_cm2: float | None = None,
) -> OnsetResult:
    """Oxidative stability onset (V) of an anodic LSV; see the module docstring for the methods.

    Parameters
    ----------
    lsv : Series, DataFrame (``potential_V``, ``current_A``) or path (``readers.read_series``).
    area_cm2 : electrode area, cm² (> 0).
    threshold_uA_cm2 : current-density criterion, µA/cm² (> 0).
    method : "threshold" | "tangent" | "both" (value = threshold onset).
    baseline_window_V : (E_lo, E_hi) of the baseline fit for the tangent method, V.
    hold_points : samples that must stay above the threshold after the crossing.
    smooth_points : Savitzky–Golay window (odd) for the tangent slope.
    tangent_max_uA_cm2 : upper bound of j where the steepest slope is searched (None: whole rise).
    """
    if method not in ("threshold", "tangent", "both"):
        raise AnalysisError(f"method: expected 'threshold', 'tangent' or 'both', got {method!r}")
    if not (np.isfinite(area_cm2) and area_cm2 > 0):
        raise AnalysisError(f"area_cm2: must be > 0, got {area_cm2}")
    if not (np.isfinite(threshold_uA_cm2) and threshold_uA_cm2 > 0):
        raise AnalysisError(f"threshold_uA_cm2: must be > 0, got {threshold_uA_cm2}")
    if hold_points < 1:
        raise AnalysisError(f"hold_points: must be ≥ 1, got {hold_points}")
    E, j = _forward_sweep(lsv, area_cm2)
    flags: list[Flag] = []

    E_thr, start_above = _threshold_crossing(E, j, threshold_uA_cm2, hold_points)
    lower_bound = E_thr is None
    if start_above:
        flags.append(
            Flag(
                "above_threshold_at_start",
                f"j = {j[0]:.3g} µA/cm² already above the threshold at E = {E[0]:.3f} V",
                value=float(j[0]),
                threshold=threshold_uA_cm2,
            )
        )
    if lower_bound:
        flags.append(
            Flag(
                "no_onset",
                f"j never exceeds {threshold_uA_cm2:g} µA/cm² up to {E[-1]:.3f} V; value is "
                "a lower bound (the sweep's upper limit)",
                value=float(np.max(j)),
                threshold=threshold_uA_cm2,
            )
        )

    window = baseline_window_V or (float(E[0]), float(E[0] + BASELINE_FRACTION * ((E_thr if E_thr else E[-1]) - E[0])))
    baseline, resid_sd = _baseline(E, j, window)
    if baseline is not None and resid_sd > NOISY_BASELINE_FRACTION * threshold_uA_cm2:
        flags.append(
            Flag(
                "noisy_baseline",
                f"baseline scatter {resid_sd:.3g} µA/cm² over {window[0]:.3f}–{window[1]:.3f} V",
                value=resid_sd,
                threshold=NOISY_BASELINE_FRACTION * threshold_uA_cm2,
                failing=False,
            )
        )
    E_tan, tpoint = (None, None)
    if baseline is not None and not lower_bound:
        E_tan, tpoint = _tangent_onset(E, j, baseline, threshold_uA_cm2, smooth_points, tangent_max_uA_cm2)
    if baseline is None and method == "tangent":
        raise AnalysisError(f"baseline_window_V: fewer than {MIN_BASELINE_POINTS} samples in {window}")
    if E_thr is not None and E_tan is not None and abs(E_thr - E_tan) > METHODS_DISAGREE_V:
        flags.append(
            Flag(
                "methods_disagree",
                f"threshold onset {E_thr:.3f} V vs tangent onset {E_tan:.3f} V",
                value=abs(E_thr - E_tan),
                threshold=METHODS_DISAGREE_V,
                failing=False,
            )
        )

    chosen = "tangent" if method == "tangent" else "threshold"
    if E_thr is None:  # lower bound: the threshold is never crossed
        value = float(E[-1])
    elif chosen == "tangent":
        if E_tan is None:
            raise AnalysisError(
                "method='tangent': no tangent onset could be constructed (no rise above the threshold "
                "or the tangent is parallel to the baseline); use method='threshold'"
            )
        value = E_tan
    else:
        value = float(E_thr)
    details = {
        "onset_threshold_V": E_thr,
        "onset_tangent_V": E_tan,
        "upper_limit_V": float(E[-1]),
        "lower_bound": lower_bound,
        "baseline_m0_uA_cm2": None if baseline is None else baseline[0],
        "baseline_m1_uA_cm2_V": None if baseline is None else baseline[1],
        "baseline_window_V": list(window),
        "baseline_resid_sd_uA_cm2": resid_sd,
        "tangent_point": None if tpoint is None else list(tpoint),
    }
    return OnsetResult(
        quantity="oxidation_onset_V",
        value=value,
        uncertainty=None,
        method=(
            f"LSV threshold onset ({threshold_uA_cm2:g} µA/cm², hold {hold_points})"
            if chosen == "threshold"
            else "LSV tangent onset (baseline ∩ tangent at steepest rise)"
        )
        + (" — lower bound" if lower_bound else ""),
        flags=flags,
        inputs={
            "area_cm2": area_cm2,
            "threshold_uA_cm2": threshold_uA_cm2,
            "method": method,
            "baseline_window_V": None if baseline_window_V is None else list(baseline_window_V),
            "hold_points": hold_points,
            "smooth_points": smooth_points,
            "tangent_max_uA_cm2": tangent_max_uA_cm2,
        },
        details=details,
        onset_threshold_V=E_thr,
        onset_tangent_V=E_tan,
        chosen=chosen,
        threshold_uA_cm2=threshold_uA_cm2,
        area_cm2=area_cm2,
        lower_bound=lower_bound,
        upper_limit_V=float(E[-1]),
        baseline=baseline,
        baseline_window_V=(float(window[0]), float(window[1])),
        tangent_point=tpoint,
        potential_V=E,
        current_density_uA_cm2=j,
    )


# --------------------------------------------------------------------------------------- helpers
def _forward_sweep(lsv: Any, area_cm2: float) -> tuple[np.ndarray, np.ndarray]:
    """E (V) and j (µA/cm²) from the start to the first maximum of E."""
    df = _as_frame(lsv, ("potential_V", "current_A"), "lsv")
    df = df[["potential_V", "current_A"]].dropna()
    E = df["potential_V"].to_numpy(float)
    I = df["current_A"].to_numpy(float)
    if len(E) < 10:
        raise AnalysisError(f"lsv: need at least 10 samples, got {len(E)}")
    k = int(np.argmax(E))
    E, I = E[: k + 1], I[: k + 1]
    if len(E) < 10 or E[-1] - E[0] <= 0:
        raise AnalysisError("lsv: the potential must increase (anodic sweep) over at least 10 samples")
    return E, I / area_cm2 * 1e6


def _threshold_crossing(E: np.ndarray, j: np.ndarray, thr: float, hold: int) -> tuple[float | None, bool]:
    """Interpolated E of the first sustained crossing of ``thr``; (None, ...) if never crossed."""
    above = j > thr
    if above[0]:
        return float(E[0]), True
    n = len(j)
    for i in np.flatnonzero(above):
        if above[i : min(i + hold, n)].all():
            j0, j1 = j[i - 1], j[i]
            return float(E[i - 1] + (thr - j0) * (E[i] - E[i - 1]) / (j1 - j0)), False
    return None, False


def _baseline(E: np.ndarray, j: np.ndarray, window: tuple[float, float]) -> tuple[tuple[float, float] | None, float]:
    lo, hi = sorted(window)
    sel = (E >= lo) & (E <= hi)
    if sel.sum() < MIN_BASELINE_POINTS:
        return None, float("nan")
    m1, m0 = np.polyfit(E[sel], j[sel], 1)
    r = j[sel] - (m0 + m1 * E[sel])
    return (float(m0), float(m1)), float(np.std(r, ddof=2))  # ≥ 3 points: ddof = 2 leaves ≥ 1


def _tangent_onset(
    E: np.ndarray, j: np.ndarray, baseline: tuple[float, float], thr: float, smooth_points: int, j_max: float | None
) -> tuple[float | None, tuple[float, float, float] | None]:
    from scipy.signal import savgol_filter

    w = min(int(smooth_points) | 1, len(j) - (1 - len(j) % 2))
    js = savgol_filter(j, w, 3) if w >= 5 else j.copy()
    slope = np.gradient(js, E, edge_order=2)
    region = js > thr
    if j_max is not None:
        region &= js <= j_max
    if not region.any():
        return None, None
    idx = np.flatnonzero(region)
    k = int(idx[np.argmax(slope[idx])])
    m0, m1 = baseline
    sk, Ek, jk = float(slope[k]), float(E[k]), float(js[k])
    if sk <= m1:
        return None, None
    return float((jk - sk * Ek - m0) / (m1 - sk)), (Ek, jk, sk)
