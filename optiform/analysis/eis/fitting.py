"""Equivalent-circuit fits of impedance spectra: one model (:func:`fit_circuit`) or the blocking-cell
candidates with model choice by BIC (:func:`fit_blocking_cell`).

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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from ...errors import AnalysisError
from ..types import Spectrum
from ._spectrum import _as_spectrum, _clean
from .elements import _TWO_PI, BLOCKING_MODELS, MODELS, CircuitModel, _model, z_cpe
from .intercept import Intercept, high_frequency_intercept
from .validation import LIN_KK_C, LIN_KK_MAX_M, LinKKResult, lin_kk

__all__ = [
    "ARC_SCREEN_RATIO",
    "ARC_SPIKE_RATIO_MAX",
    "BIC_MARGIN",
    "N_BOUNDS",
    "FitResult",
    "fit_blocking_cell",
    "fit_circuit",
]

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
_RSS_FLOOR = 1e-14  # per residual: relative misfits below 1e-7 count as equal in the BIC


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
        peak: float = 1.0 / (_TWO_PI * (p["R1"] * p["Q1"]) ** (1.0 / p["n1"]))
        return peak

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
        if key == self._key and self._cache is not None:
            return self._cache
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
                elif n2 is not None:  # key "invQ2": the spike's CPE
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
        raise AnalysisError(
            f"initial guess for {m.name}: expected {len(m.param_names)} values {m.param_names}, got {p.size}"
        )
    if np.any(p[~m.exponent_mask] <= 0):
        raise AnalysisError(f"initial guess for {m.name}: parameters other than exponents must be > 0")
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
    m = _model(model) if isinstance(model, str) else model
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
        xs = [_guess_to_x(prob, initial_guess)]
    # Visible arcs converge in ~10-30 evaluations; a film arc the data do not support wanders along
    # flat directions (R1 -> 0 or R1 || CPE1 -> a second CPE), so arc models get a tighter budget.
    max_nfev = 100 if "R1" in m.param_names else 200
    best: Any = None  # scipy's OptimizeResult
    costs: list[float] = []
    nfev = used = 0
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
        raise AnalysisError(f"{source or 'spectrum'}: fitting {m.name} failed from every start")
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
    by_name = {name: _model(name) for name in models}
    names = sorted(by_name, key=lambda n: ("R1" in by_name[n].param_names, len(by_name[n].param_names)))
    fits: dict[str, FitResult] = {}
    notes: dict[str, str] = {}
    arc_needed: bool | None = None
    for name in names:
        pn = by_name[name].param_names
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
            fits[name] = _fit(by_name[name], f, Z, None, None, n_bounds, est, s.source)
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as e:
            notes[name] = f"error: {e}"
    if not fits:
        raise AnalysisError(f"{s.source or 'spectrum'}: no model could be fitted ({notes})")
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
