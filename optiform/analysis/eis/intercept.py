"""High-frequency intercept: where the capacitive spike of a blocking-electrode spectrum meets the real axis."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..types import Spectrum
from ._spectrum import _as_spectrum, _clean

__all__ = ["SPIKE_ANGLE_TOL_DEG", "SPIKE_LINE_POINTS", "SPIKE_REF_SEGMENTS", "Intercept", "high_frequency_intercept"]

SPIKE_LINE_POINTS = 6
"""Number of spike points (from where the spike begins) used for the spike-line extrapolation."""
SPIKE_ANGLE_TOL_DEG = 10.0
"""A Nyquist segment belongs to the spike while its direction is within this angle of the spike's."""
SPIKE_REF_SEGMENTS = 4
"""Lowest-frequency segments whose median direction defines the spike direction."""


@dataclass(frozen=True)
class Intercept:
    """Where the capacitive spike meets the real axis.

    ``method``: "interpolated Im=0 crossing" (linear interpolation between the two points straddling
    Im = 0 where the spike begins), "spike-line extrapolation" (weighted straight line Re = a + b(-Im)
    through the first :data:`SPIKE_LINE_POINTS` spike points, a = intercept; weights 1/|Z|²) or,
    without a spike, "minimum -Im near HF end". Indices refer to the spectrum sorted high -> low.
    """

    resistance_ohm: float
    method: str
    stderr_ohm: float | None
    spike_start_index: int | None
    n_points_before_spike: int
    crossing: bool
    extrapolation_fraction: float
    spike_n: float | None = None
    has_spike: bool = True
    line_points: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def high_frequency_intercept(spectrum: Spectrum | Any) -> Intercept:
    """Real-axis intercept where the capacitive spike (or arc) begins.

    The spike is a straight line in the Nyquist plot (a CPE: angle nπ/2 to the real axis). Its
    direction is the median direction of the :data:`SPIKE_REF_SEGMENTS` lowest-frequency segments;
    walking from the low-frequency end towards high frequency, points belong to the spike while
    -Im(Z) > 0 and the segment direction stays within :data:`SPIKE_ANGLE_TOL_DEG` of it (a single
    stray segment is tolerated). The last point reached is where the spike begins. Then

    * if the next point towards high frequency has Im(Z) >= 0 (inductive tail), interpolate linearly
      between the two points straddling Im = 0 ("interpolated Im=0 crossing");
    * otherwise (spike reaching the high-frequency end, or a film arc before it) extrapolate the
      spike line Re = a + b(-Im) to Im = 0 by weighted least squares (weights 1/|Z|²) over its
      first :data:`SPIKE_LINE_POINTS` points ("spike-line extrapolation", with the regression's
      standard error); its slope gives the CPE exponent n = (2/π)·atan2(1, b).

    Without a spike (the low-frequency end is not a rising capacitive line, e.g. an R-(R||C)
    dummy cell) the intercept is the Im = 0 crossing nearest the high-frequency end, or Re(Z) at
    the smallest |Im(Z)| in the high-frequency third.
    """
    s = _clean(_as_spectrum(spectrum), min_points=2)
    x, y = s.Z_ohm.real, -s.Z_ohm.imag
    N = len(s)
    phi = np.arctan2(np.diff(y), np.diff(x))  # direction of segment i -> i+1 (towards low frequency)
    tol = math.radians(SPIKE_ANGLE_TOL_DEG)
    i = N - 1
    ref = float(np.median(phi[-min(SPIKE_REF_SEGMENTS, N - 1) :])) if N > 2 else math.nan
    if y[i] > 0 and 0.1 < ref < 0.5 * math.pi + 0.1:

        def ok(j: int) -> bool:  # segment j (points j, j+1) on the spike
            return bool(y[j] > 0 and abs(phi[j] - ref) <= tol)

        while i > 0:
            if ok(i - 1):
                i -= 1
            elif i > 1 and y[i - 1] > 0 and ok(i - 2):
                i -= 1  # one stray segment (a noisy point) inside the spike
            else:
                break
    n_spike = N - i if (y[N - 1] > 0 and N - i >= 2 and i < N - 1) else 0
    if n_spike < 2:
        cross = np.nonzero((y[:-1] <= 0) & (y[1:] > 0) | (y[:-1] > 0) & (y[1:] <= 0))[0]
        if cross.size:
            j = int(cross[0])
            t = y[j] / (y[j] - y[j + 1]) if y[j] != y[j + 1] else 0.0
            R = float(x[j] + t * (x[j + 1] - x[j]))
            return Intercept(R, "interpolated Im=0 crossing (no spike)", None, None, j + 1, True, 0.0, None, False)
        hf = max(2, N // 3)
        j = int(np.argmin(np.abs(y[:hf])))
        return Intercept(float(x[j]), "minimum -Im near HF end (no spike)", None, None, j, False, 0.0, None, False)
    k = i
    if k > 0 and y[k - 1] <= 0:
        t = y[k] / (y[k] - y[k - 1])
        R = float(x[k] + t * (x[k - 1] - x[k]))
        return Intercept(R, "interpolated Im=0 crossing", None, k, k, True, 0.0, None, True)
    m = min(SPIKE_LINE_POINTS, n_spike)
    a, b, stderr = _spike_line(s.Z_ohm[k : k + m])
    n_est = float(2.0 / math.pi * math.atan2(1.0, b))
    frac = float((x[k] - a) / a) if a > 0 else math.inf
    return Intercept(a, "spike-line extrapolation", stderr, k, k, False, frac, n_est, True, m)


def _spike_line(Zs: np.ndarray) -> tuple[float, float, float | None]:
    """Weighted (1/|Z|²) straight line Re = a + b(-Im) through spike points: (a, b, SE of a)."""
    xs, ys = Zs.real, -Zs.imag
    m = len(Zs)
    sw = 1.0 / np.abs(Zs)
    A = np.column_stack([np.ones(m), ys]) * sw[:, None]
    coef, *_ = np.linalg.lstsq(A, xs * sw, rcond=None)
    stderr = None
    if m > 2:
        res = xs * sw - A @ coef
        try:
            cov = float(res @ res) / (m - 2) * np.linalg.inv(A.T @ A)
            stderr = float(math.sqrt(max(cov[0, 0], 0.0)))
        except np.linalg.LinAlgError:
            stderr = None
    return float(coef[0]), float(coef[1]), stderr


def _intercept_like(ic: Intercept, Z: np.ndarray) -> float:
    """The intercept of another curve ``Z`` on the same frequencies (e.g. a fit), read with the
    points and method ``ic`` used on the data (so the comparison is not disturbed by noise moving
    the detected spike start)."""
    k = ic.spike_start_index
    if k is None:
        return high_frequency_intercept(Spectrum(np.arange(len(Z), 0, -1.0), Z)).resistance_ohm
    if ic.crossing:
        y0, y1 = -Z.imag[k - 1], -Z.imag[k]
        if y0 == y1:
            return float(Z.real[k])
        t = y1 / (y1 - y0)
        return float(Z.real[k] + t * (Z.real[k - 1] - Z.real[k]))
    return _spike_line(Z[k : k + ic.line_points])[0]
