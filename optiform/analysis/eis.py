"""Impedance analysis of blocking-electrode cells (SS | electrolyte | SS): ionic conductivity.

Conventions follow :mod:`optiform.analysis.types`: frequency ``f`` in Hz, ``ω = 2πf`` in rad/s,
impedance in ohm with Im(Z) < 0 for capacitive behaviour, thickness in µm, area in cm².

Pieces
------
* Circuit elements and models as pure numpy functions (:func:`z_resistor`, :func:`z_capacitor`,
  :func:`z_cpe`, :func:`z_inductor`, :func:`z_r_cpe`, :func:`z_l_r_cpe`, :func:`z_r_rq_cpe`,
  :func:`z_l_r_rq_cpe`, :func:`z_r_rc`, :func:`z_r_rq`) and the registry :data:`MODELS`.
* :func:`fit_circuit` fits one model by ``scipy.optimize.least_squares`` on the complex residual
  weighted by the modulus, ``r = (Z_model - Z)/|Z|`` (real and imaginary parts stacked), with an
  analytic Jacobian. Positive parameters are optimised as log(p) (inside a wide data-derived box);
  CPE exponents through the bounded transform n = c + h·sin(u) onto :data:`N_BOUNDS` = (0.3, 1],
  so the fast MINPACK Levenberg-Marquardt (``method="lm"``) applies. Several starts are derived from
  the data (HF intercept, arc size and peak frequency, spike slope; the parameters entering
  linearly - R0, L, 1/Q2 - are solved by weighted linear least squares for each start) and the
  best-ranked ones are optimised. Standard errors from the Jacobian at the optimum,
  ``cov = s² (JᵀJ)⁻¹`` with ``s² = Σr²/(2N - k)``, in (log p, n) and transformed back
  (``SE(p) = p·SE(log p)``; R0 + R1 by the delta method).
* :func:`fit_blocking_cell` fits the candidate models (:data:`BLOCKING_MODELS`) and keeps the
  simplest one unless a more complex one lowers the BIC (on the weighted residuals) by more than
  :data:`BIC_MARGIN`; fits with a parameter stuck at a bound (other than ``n = 1``) or with a
  film arc deep inside the spike region (:data:`ARC_SPIKE_RATIO_MAX`) are not chosen. Arc models
  are skipped when no arc is seen and an arc-free model already fits as well as Lin-KK
  (:data:`ARC_SCREEN_RATIO`).
* :func:`high_frequency_intercept`: the real-axis intercept where the capacitive spike begins.
* :func:`lin_kk`: Schönleber et al. (2014) Lin-KK test, a numpy-2-safe re-implementation of
  ``impedance.validation.linKK`` (impedance.py 1.7.1) giving the same M, mu and residuals.
* :func:`conductivity`: σ = L / (R·A) with flags, returning a :class:`ConductivityResult`.
* :func:`synthetic_blocking_cell`: realistic synthetic spectra with known ground truth.

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
``fit_failed``
    ``method="auto"`` could not fit any model and fell back to the intercept. Warning.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.optimize import least_squares

from ._util import new_axes
from .types import Flag, Result, Spectrum

__all__ = [
    "ARC_SCREEN_RATIO",
    "ARC_SPIKE_RATIO_MAX",
    "BIC_MARGIN",
    "BLOCKING_MODELS",
    "FIT_CHI2_MAX",
    "INDUCTIVE_FAIL_FRACTION",
    "LIN_KK_C",
    "LIN_KK_MAX_M",
    "LIN_KK_MAX_RESIDUAL",
    "MAX_EXTRAPOLATION_FRACTION",
    "METHODS_DISAGREE_FRACTION",
    "MIN_POINTS_BEFORE_SPIKE",
    "MODELS",
    "N_BOUNDS",
    "SPIKE_ANGLE_TOL_DEG",
    "SPIKE_LINE_POINTS",
    "SPIKE_REF_SEGMENTS",
    "CircuitModel",
    "ConductivityResult",
    "FitResult",
    "Intercept",
    "LinKKResult",
    "conductivity",
    "fit_blocking_cell",
    "fit_circuit",
    "high_frequency_intercept",
    "lin_kk",
    "plot_nyquist",
    "synthetic_blocking_cell",
    "z_capacitor",
    "z_cpe",
    "z_inductor",
    "z_l_r_cpe",
    "z_l_r_rq_cpe",
    "z_r_cpe",
    "z_r_rc",
    "z_r_rq",
    "z_r_rq_cpe",
    "z_resistor",
]

# --- thresholds and settings (flags: see the module docstring) --------------------------------------
LIN_KK_MAX_RESIDUAL = 0.02  # lin_kk_residual: max |Lin-KK residual| (fraction of |Z|)
LIN_KK_C = 0.5  # Lin-KK mu cut-off used by conductivity() (impedance.py's validation example value)
LIN_KK_MAX_M = 50  # Lin-KK maximum number of RC elements used by conductivity()
FIT_CHI2_MAX = 1e-3  # fit_chi2: weighted chi^2 per point
INDUCTIVE_FAIL_FRACTION = 0.25  # inductive_hf fails beyond this fraction of inductive points
MIN_POINTS_BEFORE_SPIKE = 3  # few_points_before_spike: points on the HF side of the spike start
MAX_EXTRAPOLATION_FRACTION = 1.0  # few_points_before_spike fails beyond this extrapolation (fraction of R)
METHODS_DISAGREE_FRACTION = 0.10  # methods_disagree: |R_fit - R_intercept| / R_fit
BIC_MARGIN = 10.0  # a more complex model must lower the BIC by more than this
ARC_SPIKE_RATIO_MAX = 10.0
"""A fitted film arc is kept only if, at its peak frequency, the spike's |Z| is below this many times
R0 + R1 (an "arc" deep inside the spike region is the spike's non-ideality, not a film process)."""
ARC_SCREEN_RATIO = 1.5
"""Film-arc models are fitted only if the best arc-free χ² exceeds this many times the Lin-KK χ²
(or an arc is seen before the spike). An arc model fitting to the noise has χ² ≈ 1.1-1.2 x the
Lin-KK χ² (Lin-KK has ~20 free resistances) and wins the BIC only by lowering χ² by > 26 %
(e^((10 + 3 ln 2N)/2N), N ≈ 51), i.e. when the arc-free χ² is > ≈ 1.45 x Lin-KK's."""
N_BOUNDS = (0.3, 1.0)  # CPE exponent range
SPIKE_LINE_POINTS = 6
"""Number of spike points (from where the spike begins) used for the spike-line extrapolation."""
SPIKE_ANGLE_TOL_DEG = 10.0
"""A Nyquist segment belongs to the spike while its direction is within this angle of the spike's."""
SPIKE_REF_SEGMENTS = 4
"""Lowest-frequency segments whose median direction defines the spike direction."""
_RSS_FLOOR = 1e-14  # per residual: relative misfits below 1e-7 count as equal in the BIC
_TWO_PI = 2.0 * math.pi


# =====================================================================================================
# Circuit elements and models: Z(ω) with ω = 2πf
# =====================================================================================================
def _omega(f_Hz: Any) -> np.ndarray:
    return _TWO_PI * np.asarray(f_Hz, dtype=float)


def z_resistor(f_Hz: Any, R: float) -> np.ndarray:
    """Resistor: Z = R (ohm), the same at every frequency."""
    return np.full(np.shape(f_Hz), complex(R))


def z_capacitor(f_Hz: Any, C: float) -> np.ndarray:
    """Capacitor: Z = 1 / (jωC), C in F."""
    return 1.0 / (1j * _omega(f_Hz) * C)


def z_cpe(f_Hz: Any, Q: float, n: float) -> np.ndarray:
    """Constant-phase element: Z = 1 / (Q (jω)^n), Q in F s^(n-1), 0 < n <= 1 (n = 1: capacitor)."""
    return 1.0 / (Q * (1j * _omega(f_Hz)) ** n)


def z_inductor(f_Hz: Any, L: float) -> np.ndarray:
    """Inductor: Z = jωL, L in H."""
    return 1j * _omega(f_Hz) * L


def _parallel(Z1: np.ndarray, Z2: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 / Z1 + 1.0 / Z2)


def z_r_cpe(f_Hz: Any, R0: float, Q2: float, n2: float) -> np.ndarray:
    """R-CPE: Z = R0 + 1/(Q2 (jω)^n2) - electrolyte resistance in series with the blocking-electrode spike."""
    return R0 + z_cpe(f_Hz, Q2, n2)


def z_l_r_cpe(f_Hz: Any, L: float, R0: float, Q2: float, n2: float) -> np.ndarray:
    """L-R-CPE: Z = jωL + R0 + 1/(Q2 (jω)^n2) - as R-CPE plus cable inductance."""
    return z_inductor(f_Hz, L) + R0 + z_cpe(f_Hz, Q2, n2)


def z_r_rq_cpe(f_Hz: Any, R0: float, R1: float, Q1: float, n1: float, Q2: float, n2: float) -> np.ndarray:
    """R-(R||CPE)-CPE: Z = R0 + R1 / (1 + R1 Q1 (jω)^n1) + 1/(Q2 (jω)^n2).

    R0: bulk resistance; R1 || CPE1: an arc from inside the film (grain boundary, ceramic-polymer
    interface); CPE2: the electrode spike. The electrolyte's total resistance is R0 + R1.
    """
    return R0 + _parallel(np.full(np.shape(f_Hz), complex(R1)), z_cpe(f_Hz, Q1, n1)) + z_cpe(f_Hz, Q2, n2)


def z_l_r_rq_cpe(f_Hz: Any, L: float, R0: float, R1: float, Q1: float, n1: float, Q2: float, n2: float) -> np.ndarray:
    """L-R-(R||CPE)-CPE: Z = jωL + R0 + R1 / (1 + R1 Q1 (jω)^n1) + 1/(Q2 (jω)^n2)."""
    return z_inductor(f_Hz, L) + z_r_rq_cpe(f_Hz, R0, R1, Q1, n1, Q2, n2)


def z_r_rc(f_Hz: Any, R0: float, R1: float, C1: float) -> np.ndarray:
    """R-(R||C): Z = R0 + R1 / (1 + jω R1 C1) (a Voigt element; no electrode spike)."""
    return R0 + R1 / (1.0 + 1j * _omega(f_Hz) * R1 * C1)


def z_r_rq(f_Hz: Any, R0: float, R1: float, Q1: float, n1: float) -> np.ndarray:
    """R-(R||CPE): Z = R0 + R1 / (1 + R1 Q1 (jω)^n1) (no electrode spike)."""
    return R0 + R1 / (1.0 + R1 * Q1 * (1j * _omega(f_Hz)) ** n1)


# Elements with analytic derivatives with respect to θ: log(p) for positive parameters, p itself
# for CPE exponents (names starting with "n"). Each adds its Z to ``Z`` and writes dZ/dθ into the
# rows ``J[0..k-1]`` it is given (ω = ``w``, jω = ``jw``, log(jω) = ``ljw``).
def _el_R(p, w, jw, ljw, Z, J):
    Z += p[0]
    J[0] = p[0]  # dZ/dlog R = R


def _el_L(p, w, jw, ljw, Z, J):
    z = jw * p[0]
    Z += z
    J[0] = z


def _el_C(p, w, jw, ljw, Z, J):
    z = 1.0 / (jw * p[0])
    Z += z
    J[0] = -z


def _el_Q(p, w, jw, ljw, Z, J):
    z = np.exp(-p[1] * ljw) / p[0]
    Z += z
    J[0] = -z
    J[1] = -z * ljw


def _el_RQ(p, w, jw, ljw, Z, J):
    R, Q, n = p
    yq = Q * np.exp(n * ljw)
    z = 1.0 / (1.0 / R + yq)
    Z += z
    z2 = z * z
    J[0] = z2 / R
    J[1] = -z2 * yq
    J[2] = J[1] * ljw


def _el_RC(p, w, jw, ljw, Z, J):
    R, C = p
    yc = jw * C
    z = 1.0 / (1.0 / R + yc)
    Z += z
    z2 = z * z
    J[0] = z2 / R
    J[1] = -z2 * yc


_ELEMENTS: dict[str, Callable] = {"R": _el_R, "L": _el_L, "C": _el_C, "Q": _el_Q, "RQ": _el_RQ, "RC": _el_RC}


@dataclass(frozen=True)
class CircuitModel:
    """A series of elements; ``elements`` are (kind, parameter names) with kind in R, L, C, Q (CPE),
    RQ (R||CPE), RC (R||C). ``function`` is the public pure function ``f(f_Hz, *params)``."""

    name: str
    elements: tuple[tuple[str, tuple[str, ...]], ...]
    function: Callable[..., np.ndarray]
    description: str = ""

    def __post_init__(self) -> None:
        names = tuple(n for _, ns in self.elements for n in ns)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_expo", np.array([n.startswith("n") for n in names]))
        plan, i = [], 0
        for kind, ns in self.elements:
            plan.append((_ELEMENTS[kind], i, i + len(ns)))
            i += len(ns)
        object.__setattr__(self, "_plan", tuple(plan))

    @property
    def param_names(self) -> tuple[str, ...]:
        return self._names  # type: ignore[attr-defined]

    @property
    def exponent_mask(self) -> np.ndarray:
        return self._expo.copy()  # type: ignore[attr-defined]

    def impedance(self, f_Hz: Any, params: Mapping[str, float] | Sequence[float]) -> np.ndarray:
        """Z(f) for parameters given as a mapping by name or a sequence in :attr:`param_names` order."""
        p = [params[n] for n in self.param_names] if isinstance(params, Mapping) else list(params)
        return self.function(np.asarray(f_Hz, dtype=float), *p)

    def z_and_jac(
        self, theta: np.ndarray, w: np.ndarray, ljw: np.ndarray, jw: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Z and dZ/dθ (complex, k x N: one row per parameter) at θ = (log p for positive
        parameters, n for exponents); ``w`` = ω, ``ljw`` = log(jω) = ln ω + jπ/2."""
        expo = self._expo  # type: ignore[attr-defined]
        p = np.exp(theta)
        p[expo] = theta[expo]
        jw = 1j * w if jw is None else jw
        Z = np.zeros(w.shape, dtype=complex)
        J = np.empty((theta.size, w.size), dtype=complex)
        for el, i, j in self._plan:  # type: ignore[attr-defined]
            el(p[i:j], w, jw, ljw, Z, J[i:j])
        return Z, J


MODELS: dict[str, CircuitModel] = {
    m.name: m
    for m in (
        CircuitModel("R-CPE", (("R", ("R0",)), ("Q", ("Q2", "n2"))), z_r_cpe, "bulk R0 + electrode spike CPE2"),
        CircuitModel(
            "L-R-CPE",
            (("L", ("L",)), ("R", ("R0",)), ("Q", ("Q2", "n2"))),
            z_l_r_cpe,
            "inductance + R0 + electrode spike",
        ),
        CircuitModel(
            "R-(R||CPE)-CPE",
            (("R", ("R0",)), ("RQ", ("R1", "Q1", "n1")), ("Q", ("Q2", "n2"))),
            z_r_rq_cpe,
            "bulk R0 + film arc R1||CPE1 + electrode spike CPE2",
        ),
        CircuitModel(
            "L-R-(R||CPE)-CPE",
            (("L", ("L",)), ("R", ("R0",)), ("RQ", ("R1", "Q1", "n1")), ("Q", ("Q2", "n2"))),
            z_l_r_rq_cpe,
            "inductance + bulk R0 + film arc + electrode spike",
        ),
        CircuitModel("R-(R||C)", (("R", ("R0",)), ("RC", ("R1", "C1"))), z_r_rc, "R0 + Voigt element (no spike)"),
        CircuitModel("R-(R||CPE)", (("R", ("R0",)), ("RQ", ("R1", "Q1", "n1"))), z_r_rq, "R0 + ZARC (no spike)"),
    )
}
BLOCKING_MODELS: tuple[str, ...] = ("R-CPE", "L-R-CPE", "R-(R||CPE)-CPE", "L-R-(R||CPE)-CPE")


# =====================================================================================================
# Helpers
# =====================================================================================================
def _as_spectrum(obj: Any) -> Spectrum:
    if isinstance(obj, Spectrum):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        from .readers import read_eis  # lazy: written separately

        return read_eis(obj)
    if isinstance(obj, tuple) and len(obj) == 2:
        return Spectrum(np.asarray(obj[0], dtype=float), np.asarray(obj[1], dtype=complex))
    raise TypeError(f"expected a Spectrum, a path or a (frequency_Hz, Z_ohm) tuple, got {type(obj).__name__}")


def _clean(spectrum: Spectrum, min_points: int = 5) -> Spectrum:
    """Sorted high -> low frequency, finite points with f > 0 only."""
    s = spectrum.sorted()
    ok = np.isfinite(s.frequency_Hz) & (s.frequency_Hz > 0) & np.isfinite(s.Z_ohm.real) & np.isfinite(s.Z_ohm.imag)
    if not ok.all():
        s = Spectrum(s.frequency_Hz[ok], s.Z_ohm[ok], s.source, dict(s.meta))
    if len(s) < min_points:
        raise ValueError(f"{s.source or 'spectrum'}: {len(s)} usable points; at least {min_points} are needed")
    return s


# =====================================================================================================
# High-frequency intercept
# =====================================================================================================
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


# =====================================================================================================
# Fitting
# =====================================================================================================
@dataclass
class FitResult:
    """One model fitted to one spectrum (modulus-weighted complex least squares).

    ``chi2`` = Σ|r|² with r = (Z_fit - Z)/|Z|; ``chi2_per_point`` = chi2 / N; ``bic`` / ``aic`` on
    the 2N stacked residuals. ``param_errors`` are one standard error (None when not estimable);
    ``covariance`` is the covariance of (log p, n) in :attr:`CircuitModel.param_names` order.
    ``at_bound`` lists "name@lower"/"name@upper" for parameters that ended at a bound.
    """

    model: str
    params: dict[str, float]
    param_errors: dict[str, float | None]
    chi2: float
    chi2_per_point: float
    bic: float
    aic: float
    n_points: int
    frequency_Hz: np.ndarray
    Z_fit: np.ndarray
    residuals: np.ndarray
    at_bound: list[str] = field(default_factory=list)
    covariance: np.ndarray | None = None
    nfev: int = 0
    n_starts: int = 0
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def resistance_bulk_ohm(self) -> float:
        return float(self.params["R0"])

    @property
    def resistance_total_ohm(self) -> float:
        return float(self.params["R0"] + self.params.get("R1", 0.0))

    def _r_err(self, names: Sequence[str]) -> float | None:
        if self.covariance is None:
            return None
        pn = list(self.params)  # parameter order of the model
        g = np.zeros(len(pn))
        for nm in names:
            if nm in pn:
                g[pn.index(nm)] = self.params[nm]  # dR/dlog p = p
        v = float(g @ self.covariance @ g)
        return math.sqrt(v) if np.isfinite(v) and v >= 0 else None

    @property
    def resistance_bulk_err_ohm(self) -> float | None:
        return self._r_err(["R0"])

    @property
    def resistance_total_err_ohm(self) -> float | None:
        return self._r_err(["R0", "R1"])

    @property
    def benign_bounds_only(self) -> bool:
        """True when every parameter at a bound is an exponent at n = 1 (an ideal capacitor)."""
        return all(b.startswith("n") and b.endswith("@upper") for b in self.at_bound)

    @property
    def arc_peak_Hz(self) -> float | None:
        """Characteristic frequency of the R1 element, 1/(2π (R1 Q1)^(1/n1)) (or 1/(2π R1 C1))."""
        p = self.params
        if "R1" not in p:
            return None
        if "C1" in p:
            return 1.0 / (_TWO_PI * p["R1"] * p["C1"])
        return 1.0 / (_TWO_PI * (p["R1"] * p["Q1"]) ** (1.0 / p["n1"]))

    @property
    def arc_above_spike(self) -> bool:
        """For a film arc with an electrode spike: at the arc's peak frequency the spike's |Z| is
        below :data:`ARC_SPIKE_RATIO_MAX` x (R0 + R1). An "arc" fitted deep inside the spike region
        is the spike's non-ideality (or a second CPE), not a process inside the film."""
        p = self.params
        if "R1" not in p or "Q2" not in p:
            return True
        fp = self.arc_peak_Hz
        if fp is None or not np.isfinite(fp):
            return False
        return float(np.abs(z_cpe(fp, p["Q2"], p["n2"]))) < ARC_SPIKE_RATIO_MAX * (p["R0"] + p["R1"])

    def impedance(self, f_Hz: Any) -> np.ndarray:
        return MODELS[self.model].impedance(f_Hz, self.params)

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "params": dict(self.params),
            "param_errors": dict(self.param_errors),
            "chi2": self.chi2,
            "chi2_per_point": self.chi2_per_point,
            "bic": self.bic,
            "aic": self.aic,
            "at_bound": list(self.at_bound),
            "nfev": self.nfev,
        }


class _Problem:
    """Residuals and Jacobian of one model on one spectrum.

    Natural coordinates θ: log p for positive parameters (bounded to a wide data-derived box), n for
    exponents. The optimiser works on x: x = θ for log parameters (θ clipped to its box when
    evaluating, derivative 0 outside) and n = c + h sin(x) for exponents (c ± h = ``n_bounds``), a
    bounded transform, so ``least_squares(method="lm")`` (MINPACK) can be used.
    """

    def __init__(self, model: CircuitModel, f: np.ndarray, Z: np.ndarray, n_bounds: tuple[float, float]):
        self.model, self.f, self.Z = model, f, Z
        self.w = _TWO_PI * f
        self.ljw = np.log(self.w) + 0.5j * math.pi
        self.inv_mod = 1.0 / np.abs(Z)
        self.expo = model.exponent_mask
        self.c, self.h = 0.5 * (n_bounds[0] + n_bounds[1]), 0.5 * (n_bounds[1] - n_bounds[0])
        zs = float(np.max(np.abs(Z)))
        lo, hi = [], []
        for name in model.param_names:
            if name.startswith("n"):
                lo.append(n_bounds[0])
                hi.append(n_bounds[1])
            elif name.startswith("R"):
                lo.append(math.log(zs * 1e-9))
                hi.append(math.log(zs * 1e3))
            elif name.startswith("L"):
                lo.append(math.log(1e-15))
                hi.append(math.log(1e-1))
            else:  # Q, C
                lo.append(math.log(1e-20))
                hi.append(math.log(1e6))
        self.lo, self.hi = np.array(lo), np.array(hi)
        self.jw = 1j * self.w
        self._key: bytes | None = None
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def theta(self, x: np.ndarray) -> np.ndarray:
        return np.clip(np.where(self.expo, self.c + self.h * np.sin(x), x), self.lo, self.hi)

    def x_from_params(self, p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        th = np.where(self.expo, p, np.log(np.where(self.expo, 1.0, np.maximum(p, 1e-300))))
        span = self.hi - self.lo
        th = np.clip(th, self.lo + 1e-6 * span, self.hi - 1e-6 * span)
        u = np.arcsin(np.clip((th - self.c) / self.h, -0.995, 0.995))
        return np.where(self.expo, u, th)

    def params(self, theta: np.ndarray) -> np.ndarray:
        return np.where(self.expo, theta, np.exp(np.where(self.expo, 0.0, theta)))

    def _eval(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = x.tobytes()
        if key == self._key:
            return self._cache  # type: ignore[return-value]
        e = self.expo
        raw = x.copy()
        raw[e] = self.c + self.h * np.sin(x[e])
        th = np.clip(raw, self.lo, self.hi)
        chain = (th == raw).astype(float)
        chain[e] = self.h * np.cos(x[e])
        Zm, dZ = self.model.z_and_jac(th, self.w, self.ljw, self.jw)
        rc = (Zm - self.Z) * self.inv_mod
        dZ *= self.inv_mod[None, :] * chain[:, None]
        # complex -> real by viewing (re, im) pairs: rows interleaved identically in r and J
        out = (rc.view(float), dZ.view(float).T)
        self._key, self._cache = key, out
        return out

    def fun(self, x: np.ndarray) -> np.ndarray:
        return self._eval(x)[0]

    def jac(self, x: np.ndarray) -> np.ndarray:
        return self._eval(x)[1]

    def cost(self, x: np.ndarray) -> float:
        Zm = self.model.function(self.f, *self.params(self.theta(x)))
        r = (Zm - self.Z) * self.inv_mod
        v = float(np.sum(r.real**2 + r.imag**2))
        return v if np.isfinite(v) else math.inf


@dataclass
class _Estimates:
    R_hf: float
    R_total: float
    w_peak: float | None
    arc_visible: bool
    n_spike: float
    has_spike: bool
    inductive: bool


def _estimates(f: np.ndarray, Z: np.ndarray, ic: Intercept | None = None) -> _Estimates:
    """Rough numbers read off the (high -> low sorted) spectrum to build starting points."""
    ic = ic or high_frequency_intercept(Spectrum(f, Z))
    x, y = Z.real, -Z.imag
    n_sp = ic.spike_n if ic.spike_n is not None and np.isfinite(ic.spike_n) else 0.85
    n_sp = float(np.clip(n_sp, 0.4, 0.99))
    if ic.has_spike:
        k = ic.spike_start_index or 0
        R_total = ic.resistance_ohm if ic.resistance_ohm > 0 else float(np.min(x))
        region = np.arange(0, k)
    else:
        R_total = float(x[-1])
        region = np.arange(0, len(f))
    R_hf = float(np.min(x[: max(1, len(region))]))
    if ic.crossing:
        R_hf = float(min(R_hf, ic.resistance_ohm))
    w_peak, visible = None, False
    if len(region) >= 2:
        j = int(region[np.argmax(y[region])])
        if y[j] > 0:
            w_peak = float(_TWO_PI * f[j])
            visible = (R_total - R_hf) > 0.02 * abs(R_total)
    R_hf = R_hf if R_hf > 0 else 0.5 * abs(R_total) + 1e-12
    return _Estimates(R_hf, R_total, w_peak, visible, n_sp, ic.has_spike, bool(Z.imag[0] > 0))


def _auto_starts(prob: _Problem, est: _Estimates) -> list[np.ndarray]:
    """Candidate starting points (optimiser coordinates x) for ``prob.model``, best first (by cost).

    Nonlinear parts (arc R1, Q1/C1, n1 and the spike exponent n2) come from a small grid built from
    the data (arc size = spike-start intercept - HF real part, arc peak = frequency of max -Im
    before the spike, spike exponent from the spike-line slope); the parts entering linearly
    (R0, L, 1/Q2) are then solved by modulus-weighted linear least squares, so every start already
    fits the spectrum roughly.
    """
    model = prob.model
    names = model.param_names
    w, Z, imod = prob.w, prob.Z, prob.inv_mod
    jw = 1j * w
    Rt = max(est.R_total, 1e-12)
    arcs: list[dict[str, float]] = [{}]
    if "R1" in names:
        arcs = []
        n1s = (0.9, 0.99) if "n1" in names else (1.0,)
        if est.w_peak is not None and est.arc_visible:
            R1 = max(est.R_total - est.R_hf, 0.05 * Rt)
            arcs += [{"R1": R1, "wp": est.w_peak, "n1": n1} for n1 in n1s]
        wmax, wmin = float(np.max(w)), float(np.min(w))
        n1 = 0.9 if "n1" in names else 1.0
        arcs += [{"R1": 0.3 * Rt, "wp": 3 * wmax, "n1": n1}, {"R1": 0.3 * Rt, "wp": wmax / 3, "n1": n1}]
        if not est.has_spike:
            arcs.append({"R1": Rt, "wp": math.sqrt(wmax * wmin), "n1": n1})
    n2s = sorted({round(est.n_spike, 3), 0.6, 0.75, 0.9}) if "n2" in names else [None]
    i_hf = int(np.argmax(w))
    L_floor = 0.01 * float(np.abs(Z[i_hf])) / float(w[i_hf])  # ωL = 1 % of |Z| at the highest frequency
    starts: list[tuple[float, np.ndarray]] = []
    for arc in arcs:
        Znl = np.zeros_like(Z)
        vals: dict[str, float] = {}
        if arc:
            R1, wp, n1 = arc["R1"], arc["wp"], arc["n1"]
            vals["R1"] = R1
            if "C1" in names:
                vals["C1"] = 1.0 / (R1 * wp)
                Znl = R1 / (1 + jw * R1 * vals["C1"])
            else:
                vals["Q1"] = 1.0 / (R1 * wp**n1)
                vals["n1"] = n1
                Znl = R1 / (1 + R1 * vals["Q1"] * jw**n1)
        for n2 in n2s:
            cols, keys = [np.ones_like(Z)], ["R0"]
            if "L" in names:
                cols.append(jw)
                keys.append("L")
            if n2 is not None:
                cols.append(jw ** (-n2))
                keys.append("invQ2")
            A = np.column_stack(cols) * imod[:, None]
            b = (Z - Znl) * imod
            c, *_ = np.linalg.lstsq(np.vstack([A.real, A.imag]), np.concatenate([b.real, b.imag]), rcond=None)
            v = dict(vals)
            for key, ci in zip(keys, c):
                if key == "R0":
                    v["R0"] = ci if ci > 0 else 0.1 * est.R_hf
                elif key == "L":
                    # a tiny L would sit on a plateau of the log-scale cost: start from a visible one
                    v["L"] = max(ci, L_floor)
                else:
                    v["Q2"] = 1.0 / ci if ci > 0 else 1.0 / (float(np.max(np.abs(Z))) * float(np.min(w)) ** n2)
                    v["n2"] = n2
            x = prob.x_from_params(np.array([v[nm] for nm in names], dtype=float))
            starts.append((prob.cost(x), x))
    starts.sort(key=lambda t: t[0])
    return [x for _, x in starts]


def _guess_to_x(prob: _Problem, guess: Mapping[str, float] | Sequence[float]) -> np.ndarray:
    m = prob.model
    p = np.array([guess[n] for n in m.param_names] if isinstance(guess, Mapping) else list(guess), dtype=float)
    if p.shape != (len(m.param_names),):
        raise ValueError(
            f"initial guess for {m.name}: expected {len(m.param_names)} values {m.param_names}, got {p.size}"
        )
    if np.any(p[~m.exponent_mask] <= 0):
        raise ValueError(f"initial guess for {m.name}: parameters other than exponents must be > 0")
    return prob.x_from_params(p)


def fit_circuit(
    spectrum: Spectrum | Any,
    model: str | CircuitModel,
    *,
    initial_guess: Mapping[str, float] | Sequence[float] | Sequence[Mapping[str, float]] | None = None,
    n_starts: int | None = None,
    n_bounds: tuple[float, float] = N_BOUNDS,
) -> FitResult:
    """Fit one circuit model by modulus-weighted complex least squares (see module docstring).

    ``initial_guess``: one guess (mapping by parameter name, or a sequence in the model's parameter
    order) or a list of mappings; default: automatic multi-start from the data. ``n_starts``: how
    many of the (cost-ranked) automatic starts are optimised (default 2, 3 for models with an arc);
    the loop stops early once two starts reach the same minimum.
    """
    m = MODELS[model] if isinstance(model, str) else model
    s = _clean(_as_spectrum(spectrum), min_points=len(m.param_names) + 1)
    return _fit(m, s.frequency_Hz, s.Z_ohm, initial_guess, n_starts, n_bounds, None, s.source)


def _fit(
    m: CircuitModel,
    f: np.ndarray,
    Z: np.ndarray,
    initial_guess: Any,
    n_starts: int | None,
    n_bounds: tuple[float, float],
    est: _Estimates | None,
    source: str,
) -> FitResult:
    prob = _Problem(m, f, Z, n_bounds)
    if initial_guess is None:
        est = est or _estimates(f, Z)
        xs = _auto_starts(prob, est)
        default = (3 if est.arc_visible else 2) if "R1" in m.param_names else 2
        xs = xs[: n_starts if n_starts is not None else default]
    elif isinstance(initial_guess, (list, tuple)) and initial_guess and isinstance(initial_guess[0], Mapping):
        xs = [_guess_to_x(prob, g) for g in initial_guess]
    else:
        xs = [_guess_to_x(prob, initial_guess)]  # type: ignore[arg-type]
    # Visible arcs converge in ~10-30 evaluations; a film arc the data do not support wanders along
    # flat directions (R1 -> 0 or R1 || CPE1 -> a second CPE), so arc models get a tighter budget.
    max_nfev = 100 if "R1" in m.param_names else 200
    best, costs, nfev, used = None, [], 0, 0
    for x0 in xs:
        used += 1
        try:
            sol = least_squares(
                prob.fun, x0, jac=prob.jac, method="lm", ftol=1e-10, xtol=1e-10, gtol=1e-10, max_nfev=max_nfev
            )
        except (ValueError, np.linalg.LinAlgError):
            continue
        nfev += sol.nfev
        if not (np.all(np.isfinite(sol.x)) and np.isfinite(sol.cost)):
            continue
        if any(abs(sol.cost - c) <= 1e-7 * max(c, 1e-300) for c in costs):
            best = sol if sol.cost < best.cost else best
            break  # two starts reached the same minimum
        costs.append(sol.cost)
        if best is None or sol.cost < best.cost:
            best = sol
        if best.cost <= 0.5 * 2 * len(f) * _RSS_FLOOR:
            break  # exact fit (noise-free data)
    if best is None:
        raise RuntimeError(f"{source or 'spectrum'}: fitting {m.name} failed from every start")
    return _finish(prob, best.x, nfev, used)


def _finish(prob: _Problem, x: np.ndarray, nfev: int, n_starts: int) -> FitResult:
    m = prob.model
    th = prob.theta(np.asarray(x, dtype=float))
    Zm, dZ = m.z_and_jac(th, prob.w, prob.ljw, prob.jw)
    rc = (Zm - prob.Z) * prob.inv_mod
    r = np.concatenate([rc.real, rc.imag])
    Jc = (dZ * prob.inv_mod[None, :]).T
    J = np.vstack([Jc.real, Jc.imag])  # with respect to θ = (log p, n)
    N2, k = r.size, th.size
    rss = float(r @ r)
    p = prob.params(th)
    cov = None
    if N2 > k:
        try:
            cov = rss / (N2 - k) * np.linalg.pinv(J.T @ J)
        except np.linalg.LinAlgError:
            cov = None
    errs: dict[str, float | None] = {}
    for i, name in enumerate(m.param_names):
        if cov is None or not np.isfinite(cov[i, i]) or cov[i, i] < 0:
            errs[name] = None
        else:
            se = math.sqrt(cov[i, i])
            errs[name] = float(se if prob.expo[i] else p[i] * se)
    at_bound = []
    for i, name in enumerate(m.param_names):
        tol = 1e-4 if prob.expo[i] else 1e-3  # n within 1e-4; others within a factor 1.001
        if th[i] - prob.lo[i] <= tol:
            at_bound.append(f"{name}@lower")
        elif prob.hi[i] - th[i] <= tol:
            at_bound.append(f"{name}@upper")
    rss_eff = max(rss, N2 * _RSS_FLOOR)
    return FitResult(
        model=m.name,
        params={n: float(v) for n, v in zip(m.param_names, p)},
        param_errors=errs,
        chi2=rss,
        chi2_per_point=rss / len(prob.Z),
        bic=N2 * math.log(rss_eff / N2) + k * math.log(N2),
        aic=N2 * math.log(rss_eff / N2) + 2 * k,
        n_points=len(prob.Z),
        frequency_Hz=prob.f.copy(),
        Z_fit=Zm,
        residuals=rc,
        at_bound=at_bound,
        covariance=cov,
        nfev=nfev,
        n_starts=n_starts,
    )


def fit_blocking_cell(
    spectrum: Spectrum | Any,
    models: Iterable[str] = BLOCKING_MODELS,
    *,
    bic_margin: float = BIC_MARGIN,
    n_bounds: tuple[float, float] = N_BOUNDS,
    intercept: Intercept | None = None,
    screen_arcs: bool = True,
    lin_kk_result: LinKKResult | None = None,
) -> FitResult:
    """Fit the candidate models and choose one (returned; every candidate summarised in ``.candidates``).

    Models are considered from fewest to most parameters; a more complex model replaces the current
    choice only if its BIC is lower by more than ``bic_margin`` (BIC = 2N ln(χ²/2N) + k ln 2N on
    the modulus-weighted residuals). Not eligible: fits with a parameter at a bound (other than an
    exponent at n = 1) and film arcs fitted deep inside the spike region
    (:attr:`FitResult.arc_above_spike`); when no fit is acceptable the simplest one is returned
    (its flags say why).

    Screening (``screen_arcs``, for speed): the film-arc models are fitted only when an arc is seen
    before the spike or the best arc-free model's χ² exceeds :data:`ARC_SCREEN_RATIO` x the χ² of
    the Lin-KK fit (``fit_type='complex', add_cap=True``; a Kramers-Kronig-saturated description
    of the same spectrum with the same weighting, i.e. the noise floor): when an arc-free model
    already fits as well as Lin-KK, no arc can lower the BIC by the margin.
    """
    s = _clean(_as_spectrum(spectrum))
    f, Z = s.frequency_Hz, s.Z_ohm
    est = _estimates(f, Z, intercept)
    names = sorted(dict.fromkeys(models), key=lambda n: ("R1" in MODELS[n].param_names, len(MODELS[n].param_names)))
    fits: dict[str, FitResult] = {}
    notes: dict[str, str] = {}
    arc_needed: bool | None = None
    for name in names:
        pn = MODELS[name].param_names
        if "R1" in pn and screen_arcs:
            if arc_needed is None:
                simple = [ft.chi2 for ft in fits.values()]
                if est.arc_visible or not simple:
                    arc_needed = True
                else:
                    lk = lin_kk_result or lin_kk(s, c=LIN_KK_C, max_M=LIN_KK_MAX_M, fit_type="complex", add_cap=True)
                    rss_lk = float(np.sum(lk.residuals_real**2 + lk.residuals_imag**2))
                    ratio = min(simple) / rss_lk if rss_lk > 0 else math.inf
                    arc_needed = ratio > ARC_SCREEN_RATIO
                    if not arc_needed:
                        why = (
                            f"skipped: no arc before the spike and the arc-free fit is as good as Lin-KK "
                            f"(chi2 ratio {ratio:.2f} <= {ARC_SCREEN_RATIO})"
                        )
            if not arc_needed:
                notes[name] = why
                continue
        try:
            fits[name] = _fit(MODELS[name], f, Z, None, None, n_bounds, est, s.source)
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as e:
            notes[name] = f"error: {e}"
    if not fits:
        raise RuntimeError(f"{s.source or 'spectrum'}: no model could be fitted ({notes})")
    ordered = sorted(fits.values(), key=lambda ft: len(ft.params))
    eligible = [ft for ft in ordered if ft.benign_bounds_only and ft.arc_above_spike]
    chosen = eligible[0] if eligible else ordered[0]  # nothing acceptable: keep the simplest fit
    for ft in eligible[1:]:
        if ft.bic < chosen.bic - bic_margin:
            chosen = ft
    chosen.candidates = {
        ft.model: {
            "k": len(ft.params),
            "chi2": ft.chi2,
            "bic": ft.bic,
            "aic": ft.aic,
            "at_bound": list(ft.at_bound),
            "arc_above_spike": ft.arc_above_spike,
            "R_total_ohm": ft.resistance_total_ohm,
            "nfev": ft.nfev,
            "eligible": ft in eligible,
        }
        for ft in ordered
    }
    for name, msg in notes.items():
        chosen.candidates[name] = {"note": msg}
    return chosen


# =====================================================================================================
# Lin-KK (Schönleber et al. 2014), as impedance.validation.linKK in impedance.py 1.7.1
# =====================================================================================================
@dataclass(frozen=True)
class LinKKResult:
    """Lin-KK test outcome. ``residuals_*`` = (Z - Z_fit)/|Z| (real, imaginary parts).

    ``elements`` = [R_ohm, R_1..R_M, (1/C if add_cap), L] as in impedance.py; ``tau_s`` the time constants.
    """

    M: int
    mu: float
    Z_fit: np.ndarray
    residuals_real: np.ndarray
    residuals_imag: np.ndarray
    elements: np.ndarray
    tau_s: np.ndarray
    c: float | None
    fit_type: str
    add_cap: bool

    @property
    def max_residual(self) -> float:
        return float(max(np.max(np.abs(self.residuals_real)), np.max(np.abs(self.residuals_imag))))

    def to_dict(self) -> dict[str, Any]:
        return {
            "M": int(self.M),
            "mu": float(self.mu),
            "max_residual": self.max_residual,
            "c": self.c,
            "fit_type": self.fit_type,
            "add_cap": bool(self.add_cap),
        }


def _linkk_tau(f: np.ndarray, M: int) -> np.ndarray:
    """Time constants exactly as impedance.py's get_tc_distribution (note: M = 1 gives [t_max])."""
    t_max = 1 / (2 * np.pi * np.min(f))
    t_min = 1 / (2 * np.pi * np.max(f))
    ts = np.zeros(shape=(M,))
    ts[0] = t_min
    ts[-1] = t_max
    if M > 1:
        for k in range(2, M):
            ts[k - 1] = 10 ** (np.log10(t_min) + ((k - 1) / (M - 1)) * np.log10(t_max / t_min))
    return ts


def _linkk_eval(elements: np.ndarray, ts: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Z of R_ohm + Σ R_k/(1 + jωτ_k) + jωL (+ 1/(jωC), C = 1/elements[-2] when add_cap)."""
    w = 2 * np.pi * f
    Z = np.full(f.shape, complex(elements[0]))
    K = 1.0 / (1 + 1j * np.outer(w, ts))
    Z = Z + K @ elements[1 : 1 + ts.size]
    Z = Z + elements[-1] * 1j * w
    if elements.size == ts.size + 3:
        with np.errstate(divide="ignore", invalid="ignore"):
            Z = Z + 1.0 / ((1.0 / elements[-2]) * 1j * w)
    return Z


def _linkk_mu(Rs: np.ndarray) -> float:
    neg = float(np.sum(np.abs(Rs[Rs < 0])))
    pos = float(np.sum(np.abs(Rs[Rs >= 0])))
    if pos == 0:
        return -math.inf if neg > 0 else math.nan
    return 1 - neg / pos


def _linkk_fit(f: np.ndarray, ts: np.ndarray, M: int, Z: np.ndarray, fit_type: str, add_cap: bool):
    w = 2 * np.pi * f
    absZ = np.abs(Z)
    ncol = M + 3 if add_cap else M + 2
    a_re = np.zeros((f.size, ncol))
    a_im = np.zeros((f.size, ncol))
    if add_cap:
        a_im[:, -2] = -1 / (w * absZ)
    a_re[:, 0] = 1 / absZ
    a_im[:, -1] = w / absZ
    K = 1.0 / (1 + 1j * np.outer(w, ts))
    a_re[:, 1 : M + 1] = K.real / absZ[:, None]
    a_im[:, 1 : M + 1] = K.imag / absZ[:, None]
    if fit_type == "real":
        elements = np.linalg.pinv(a_re).dot(Z.real / absZ)
        a_im2 = np.zeros((f.size, 2))
        a_im2[:, -1] = w / absZ
        if add_cap:
            a_im2[:, -2] = -1 / (w * absZ)
            elements[-2] = 1e-18
        Z_fit_re = _linkk_eval(elements, ts, f)
        coefs = np.linalg.pinv(a_im2).dot((Z.imag - Z_fit_re.imag) / absZ)
        if add_cap:
            elements[-2:] = coefs
        else:
            elements[-1] = coefs[-1]
    elif fit_type == "imag":
        elements = np.linalg.pinv(a_im).dot(Z.imag / absZ)
        z_re = _linkk_eval(elements, ts, f)
        ws = 1 / (Z.real**2 + Z.imag**2)
        elements[0] = np.sum(ws * (Z.real - z_re.real)) / np.sum(ws)
    elif fit_type == "complex":
        x = np.linalg.inv(a_re.T.dot(a_re) + a_im.T.dot(a_im))
        y = a_re.T.dot(Z.real / absZ) + a_im.T.dot(Z.imag / absZ)
        elements = x.dot(y)
    else:
        raise ValueError(f"fit_type must be 'real', 'imag' or 'complex', got {fit_type!r}")
    mu = _linkk_mu(elements[1:-2] if add_cap else elements[1:-1])
    return elements, mu


def lin_kk(
    spectrum: Spectrum | Any,
    c: float | None = 0.85,
    max_M: int = 50,
    fit_type: Literal["real", "imag", "complex"] = "real",
    add_cap: bool = False,
) -> LinKKResult:
    """Lin-KK validity test (Schönleber et al., Electrochim. Acta 131 (2014) 20), as impedance.py does it.

    Model: Z = R_ohm + Σ_{k=1..M} R_k / (1 + jωτ_k) + jωL (+ 1/(jωC) with ``add_cap``), τ_k
    log-spaced from 1/(2π f_max) to 1/(2π f_min) (impedance.py's distribution, including its M = 1
    and M = 2 cases). Linear least squares on Re(Z)/|Z| ('real', pseudo-inverse; then L (and C) from
    the imaginary remainder), Im(Z)/|Z| ('imag'; R_ohm by Boukamp's weighting) or both ('complex',
    normal equations). M = 1, 2, ... until mu = 1 - Σ|R_k<0| / Σ|R_k>=0| <= c or M = max_M;
    ``c=None`` uses M = max_M. Residuals (Z - Z_fit)/|Z|. The spectrum is used in its given order.
    Defaults are impedance.py's; for blocking electrodes use ``fit_type='complex', add_cap=True``.
    """
    s = _as_spectrum(spectrum)
    f, Z = s.frequency_Hz, s.Z_ohm
    if fit_type not in ("real", "imag", "complex"):
        raise ValueError(f"fit_type must be 'real', 'imag' or 'complex', got {fit_type!r}")
    if c is not None:
        M, mu = 0, 1.0
        while mu > c and M < max_M:
            M += 1
            ts = _linkk_tau(f, M)
            elements, mu = _linkk_fit(f, ts, M, Z, fit_type, add_cap)
    else:
        M = max_M
        ts = _linkk_tau(f, M)
        elements, mu = _linkk_fit(f, ts, M, Z, fit_type, add_cap)
    Z_fit = _linkk_eval(elements, ts, f)
    err = (Z - Z_fit) / np.abs(Z)
    return LinKKResult(M, float(mu), Z_fit, err.real.copy(), err.imag.copy(), elements, ts, c, fit_type, add_cap)


# =====================================================================================================
# Conductivity
# =====================================================================================================
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
        return _finite_json(d)

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


def _area(area_cm2: float | None, diameter_mm: float | None) -> float:
    if (area_cm2 is None) == (diameter_mm is None):
        raise ValueError("conductivity: give exactly one of area_cm2 or diameter_mm")
    if area_cm2 is not None:
        if not (area_cm2 > 0 and math.isfinite(area_cm2)):
            raise ValueError(f"conductivity: area_cm2 must be a positive number, got {area_cm2!r}")
        return float(area_cm2)
    if not (diameter_mm > 0 and math.isfinite(diameter_mm)):  # type: ignore[operator]
        raise ValueError(f"conductivity: diameter_mm must be a positive number, got {diameter_mm!r}")
    return math.pi * (diameter_mm / 10.0) ** 2 / 4.0  # type: ignore[operator]


def conductivity(
    path_or_spectrum: str | os.PathLike | Spectrum,
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
        raise ValueError(f"conductivity: method must be 'auto', 'fit' or 'intercept', got {method!r}")
    if basis not in ("total", "bulk"):
        raise ValueError(f"conductivity: basis must be 'total' or 'bulk', got {basis!r}")
    if not (thickness_um is not None and thickness_um > 0 and math.isfinite(thickness_um)):
        raise ValueError(f"conductivity: thickness_um must be a positive number, got {thickness_um!r}")
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
        raise ValueError(f"{s.source or 'spectrum'}: no positive resistance found (R = {R!r})")
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


# =====================================================================================================
# Synthetic spectra
# =====================================================================================================
def synthetic_blocking_cell(
    conductivity_mS_cm: float,
    thickness_um: float = 100.0,
    diameter_mm: float = 16.0,
    f_min: float = 1.0,
    f_max: float = 1e5,
    points_per_decade: int = 10,
    noise_rel: float = 0.005,
    arc: Mapping[str, float] | None = None,
    L_H: float = 0.0,
    cpe_Q: float = 5e-6,
    cpe_n: float = 0.85,
    seed: int | np.random.Generator | None = None,
) -> Spectrum:
    """A realistic SS | film | SS spectrum with known ground truth (in ``meta``), sorted high -> low.

    Z = jωL + R0 + R1 || CPE1 (optional film arc) + CPE2 (electrode spike). The electrolyte's total
    resistance R_total = R0 + R1 = L_film / (σ A) (σ = ``conductivity_mS_cm``/1000 S/cm, A from
    ``diameter_mm``). The spike: two blocking electrodes in series, each a CPE with ``cpe_Q``
    (F s^(n-1) per cm², typically 1e-6..1e-5) times A, so Q2 = cpe_Q·A/2, n2 = ``cpe_n``.
    ``arc`` (optional): ``R1_ohm`` or ``R1_fraction`` (of R_total, default 0.3); ``C1_F`` (taken as
    Q1 when n1 != 1) or ``f_peak_Hz`` (Q1 = 1/(R1 (2π f_peak)^n1)); ``n1`` (default 1: ideal R||C).
    Frequencies: log-spaced from ``f_max`` down to ``f_min``, ``points_per_decade`` per decade.
    Noise: Z += noise_rel·|Z|·(N(0,1) + j N(0,1)) (proportional, independent real/imaginary).
    """
    if not conductivity_mS_cm > 0:
        raise ValueError(f"synthetic_blocking_cell: conductivity_mS_cm must be > 0, got {conductivity_mS_cm!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    A = math.pi * (diameter_mm / 10.0) ** 2 / 4.0
    R_total = thickness_um * 1e-4 / (conductivity_mS_cm * 1e-3 * A)
    n_pts = round(math.log10(f_max / f_min) * points_per_decade) + 1
    f = np.logspace(math.log10(f_max), math.log10(f_min), n_pts)
    Q2 = cpe_Q * A / 2.0
    truth: dict[str, Any] = {
        "R_total_ohm": R_total,
        "R0_ohm": R_total,
        "R1_ohm": 0.0,
        "Q2": Q2,
        "n2": cpe_n,
        "L_H": L_H,
        "area_cm2": A,
        "thickness_um": thickness_um,
        "diameter_mm": diameter_mm,
        "conductivity_mS_cm": conductivity_mS_cm,
        "noise_rel": noise_rel,
        "cpe_Q_per_cm2": cpe_Q,
    }
    Z = z_cpe(f, Q2, cpe_n) + 1j * _omega(f) * L_H
    if arc:
        if "R1_ohm" in arc:
            R1 = float(arc["R1_ohm"])
        else:
            R1 = float(arc.get("R1_fraction", 0.3)) * R_total
        if not 0 < R1 < R_total:
            raise ValueError(f"synthetic_blocking_cell: arc R1 must be between 0 and R_total={R_total:.4g}, got {R1}")
        n1 = float(arc.get("n1", 1.0))
        if "C1_F" in arc:
            Q1 = float(arc["C1_F"])
        elif "f_peak_Hz" in arc:
            Q1 = 1.0 / (R1 * (_TWO_PI * float(arc["f_peak_Hz"])) ** n1)
        else:
            raise ValueError("synthetic_blocking_cell: arc needs C1_F or f_peak_Hz")
        Z = Z + z_r_rq(f, 0.0, R1, Q1, n1)
        truth.update(
            {
                "R0_ohm": R_total - R1,
                "R1_ohm": R1,
                "Q1": Q1,
                "n1": n1,
                "f_peak_Hz": 1.0 / (_TWO_PI * (R1 * Q1) ** (1.0 / n1)),
            }
        )
    Z = Z + truth["R0_ohm"]
    truth["Z_true"] = Z.copy()
    if noise_rel > 0:
        Z = Z + noise_rel * np.abs(Z) * (rng.standard_normal(n_pts) + 1j * rng.standard_normal(n_pts))
    return Spectrum(f, Z, source=f"synthetic(sigma={conductivity_mS_cm:.4g} mS/cm)", meta=truth)
