"""Temperature dependence of ionic conductivity: Arrhenius and Vogel–Tammann–Fulcher (VTF) fits.

Arrhenius (``form="sigma"``)::

    σ(T) = A · exp(−Ea / (k_B T))          ln σ = ln A − (Ea/k_B) · (1/T)

or, with the Nernst–Einstein temperature factor (``form="sigmaT"``)::

    σ(T)·T = A · exp(−Ea / (k_B T))        ln(σT) = ln A − (Ea/k_B) · (1/T)

T in K (T = T_C + 273.15), k_B = 8.617333262e-5 eV/K, Ea in eV (×96.485 = kJ/mol). σ may be in any
unit (S/cm, mS/cm): Ea does not depend on it; the prefactor A is in the unit of σ (``sigma``) or of
σ·K (``sigmaT``). The fit is (weighted) linear least squares of y = ln σ (or ln σT) on x = 1/T with
the standard errors from s²(XᵀWX)⁻¹, s² = Σ wᵢ rᵢ² / (n − 2), and a Student-t 95 % interval on
n − 2 degrees of freedom. With log-normal noise of constant relative size this interval has
nominal 95 % coverage.

VTF (``vtf``)::

    σ(T) = A · T^(−1/2) · exp(−B / (T − T0))     (form="sqrtT", the usual polymer-electrolyte form)
    σ(T) = A · exp(−B / (T − T0))                (form="plain")

fitted by nonlinear least squares in ln σ for (ln A, B, T0) with T0 bounded to [0 K, T_min − 1 K];
the pseudo-activation energy is Ea = k_B · B (eV).

Quality flags (``Flag.code``; thresholds are the module constants below):

* ``arrhenius_curvature`` (not failing, advisory): ln σ vs 1/T is curved — the quadratic term of
  a fit in 1/T is significant (two-sided p < :data:`CURVATURE_P_MAX`, needs ≥ 4 temperatures), or
  R² < :data:`R2_MIN`. Typical of VTF (polymer) conduction; consider :func:`vtf`.
* ``few_temperatures`` (not failing): fewer than :data:`MIN_TEMPERATURES_RECOMMENDED` temperatures;
  the interval has very few degrees of freedom.
* ``t0_at_bound`` (VTF, not failing): the fitted T0 sits on a bound (0 K or T_min − 1 K); B and T0
  are then poorly determined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import optimize, stats

from ..errors import AnalysisError
from ._util import new_axes as _axes
from .types import Flag, Result

K_B_EV_K = 8.617333262e-5  # Boltzmann constant, eV/K (exact, SI 2019)
EV_TO_KJ_MOL = 96.48533212  # 1 eV per particle in kJ/mol (= F / 1000)
ZERO_C_K = 273.15

CURVATURE_P_MAX = 0.01  # arrhenius_curvature: p-value of the quadratic term in 1/T below this
R2_MIN = 0.95  # arrhenius_curvature: R² of the linear fit below this
MIN_TEMPERATURES_RECOMMENDED = 4  # few_temperatures: fewer distinct temperatures than this
CONFIDENCE = 0.95  # level of the reported interval
VTF_T0_MARGIN_K = 1.0  # T0 is bounded to [0, T_min - margin]

ArrheniusForm = Literal["sigma", "sigmaT"]
VTFForm = Literal["sqrtT", "plain"]

__all__ = [
    "CONFIDENCE",
    "CURVATURE_P_MAX",
    "EV_TO_KJ_MOL",
    "K_B_EV_K",
    "MIN_TEMPERATURES_RECOMMENDED",
    "R2_MIN",
    "VTF_T0_MARGIN_K",
    "ArrheniusResult",
    "VTFResult",
    "arrhenius",
    "vtf",
]


# ----------------------------------------------------------------------------------------- results
@dataclass
class ArrheniusResult(Result):
    """Arrhenius fit; ``value`` = Ea in eV, ``uncertainty`` = its standard error in eV.

    ``prefactor`` A is in the unit of the input conductivity (``form="sigma"``) or of
    conductivity × K (``form="sigmaT"``); ``prefactor_se`` by the delta method (A · SE(ln A)).
    ``ci95_eV`` is the Student-t interval on n − 2 degrees of freedom.
    """

    form: str = "sigma"
    activation_energy_eV: float = float("nan")
    activation_energy_se_eV: float = float("nan")
    activation_energy_kJ_mol: float = float("nan")
    activation_energy_se_kJ_mol: float = float("nan")
    ci95_eV: tuple[float, float] = (float("nan"), float("nan"))
    prefactor: float = float("nan")
    prefactor_se: float = float("nan")
    ln_prefactor: float = float("nan")
    ln_prefactor_se: float = float("nan")
    r_squared: float = float("nan")
    dof: int = 0
    temperatures_K: np.ndarray = field(default_factory=lambda: np.empty(0))
    y: np.ndarray = field(default_factory=lambda: np.empty(0))  # ln σ or ln σT
    residuals: np.ndarray = field(default_factory=lambda: np.empty(0))

    def predict(self, temperatures_C: Sequence[float] | np.ndarray) -> np.ndarray:
        """Conductivity (input unit) at the given temperatures (°C) from the fit."""
        T = np.asarray(temperatures_C, dtype=float) + ZERO_C_K
        y = self.ln_prefactor - self.activation_energy_eV / (K_B_EV_K * T)
        return np.exp(y) / T if self.form == "sigmaT" else np.exp(y)

    def plot(self, ax: Any = None) -> Any:
        """ln σ (or ln σT) against 1000/T with the fitted line; returns the axes."""
        ax = _axes(ax)
        x = 1000.0 / self.temperatures_K
        ax.plot(x, self.y, "o", label="data")
        xs = np.linspace(x.min(), x.max(), 50)
        ax.plot(
            xs,
            self.ln_prefactor - self.activation_energy_eV / K_B_EV_K * xs / 1000.0,
            "-",
            label=f"Ea = {self.activation_energy_eV:.3f} ± {self.activation_energy_se_eV:.3f} eV",
        )
        ax.set_xlabel("1000 / T (1/K)")
        ax.set_ylabel("ln(σT)" if self.form == "sigmaT" else "ln σ")
        ax.legend()
        return ax


@dataclass
class VTFResult(Result):
    """VTF fit; ``value`` = pseudo-activation energy k_B·B in eV, ``uncertainty`` its SE.

    ``prefactor`` A: σ-unit · K^½ (form "sqrtT") or σ-unit (form "plain"). SEs from s²(JᵀJ)⁻¹ of
    the fit in ln σ (zero on noise-free data; NaN when there are no residual degrees of freedom).
    """

    form: str = "sqrtT"
    B_K: float = float("nan")
    B_se_K: float = float("nan")
    T0_K: float = float("nan")
    T0_se_K: float = float("nan")
    T0_fixed: bool = False
    prefactor: float = float("nan")
    prefactor_se: float = float("nan")
    pseudo_activation_energy_eV: float = float("nan")
    pseudo_activation_energy_se_eV: float = float("nan")
    r_squared: float = float("nan")
    dof: int = 0
    temperatures_K: np.ndarray = field(default_factory=lambda: np.empty(0))
    conductivities: np.ndarray = field(default_factory=lambda: np.empty(0))

    def predict(self, temperatures_C: Sequence[float] | np.ndarray) -> np.ndarray:
        """Conductivity (input unit) at the given temperatures (°C) from the fit."""
        T = np.asarray(temperatures_C, dtype=float) + ZERO_C_K
        return _vtf_model(T, np.log(self.prefactor), self.B_K, self.T0_K, self.form)

    def plot(self, ax: Any = None) -> Any:
        """ln σ against 1000/T with the VTF curve; returns the axes."""
        ax = _axes(ax)
        ax.plot(1000.0 / self.temperatures_K, np.log(self.conductivities), "o", label="data")
        Ts = np.linspace(self.temperatures_K.min(), self.temperatures_K.max(), 100)
        ax.plot(
            1000.0 / Ts,
            np.log(_vtf_model(Ts, np.log(self.prefactor), self.B_K, self.T0_K, self.form)),
            "-",
            label=f"VTF: B = {self.B_K:.0f} K, T0 = {self.T0_K:.0f} K",
        )
        ax.set_xlabel("1000 / T (1/K)")
        ax.set_ylabel("ln σ")
        ax.legend()
        return ax


# ------------------------------------------------------------------------------------- functions
def arrhenius(
    temperatures_C: Sequence[float] | np.ndarray,
    conductivities: Sequence[float] | np.ndarray,
    form: ArrheniusForm = "sigma",
    weights: Sequence[float] | np.ndarray | None = None,
) -> ArrheniusResult:
    """Fit σ = A exp(−Ea/(k_B T)) (``form="sigma"``) or σT = A exp(−Ea/(k_B T)) (``"sigmaT"``).

    Parameters
    ----------
    temperatures_C : temperatures, °C (at least 3 distinct values, all > −273.15 °C).
    conductivities : conductivities, any positive unit (S/cm, mS/cm, ...), same length.
    form : "sigma" fits ln σ, "sigmaT" fits ln(σ·T), both against 1/T (T in K).
    weights : optional positive weights of the points in the ln-space fit (≈ 1/(relative SE)²);
        the residual scale is still estimated from the data (s² = Σwr²/(n−2)).

    Returns
    -------
    ArrheniusResult with Ea in eV (value, SE, 95 % t-interval) and kJ/mol, ln A / A with SEs, R².
    """
    T, sigma = _check_temperature_data(temperatures_C, conductivities)
    if form not in ("sigma", "sigmaT"):
        raise AnalysisError(f"form: expected 'sigma' or 'sigmaT', got {form!r}")
    w = _check_weights(weights, len(T))
    y = np.log(sigma * T) if form == "sigmaT" else np.log(sigma)
    fit = _weighted_line(1.0 / T, y, w)
    n = len(T)
    dof = n - 2
    Ea = -fit["slope"] * K_B_EV_K
    Ea_se = fit["slope_se"] * K_B_EV_K
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, dof) * Ea_se
    lnA, lnA_se = fit["intercept"], fit["intercept_se"]
    flags = _arrhenius_flags(1.0 / T, y, w, fit["r_squared"])
    details = {
        "slope_K": fit["slope"],
        "slope_se_K": fit["slope_se"],
        "ln_prefactor": lnA,
        "ln_prefactor_se": lnA_se,
        "cov_lnA_slope": fit["cov"],
        "r_squared": fit["r_squared"],
        "dof": dof,
        "ci95_eV": [float(Ea - half), float(Ea + half)],
        "activation_energy_kJ_mol": Ea * EV_TO_KJ_MOL,
        "activation_energy_se_kJ_mol": Ea_se * EV_TO_KJ_MOL,
        "prefactor": float(np.exp(lnA)),
        "prefactor_se": float(np.exp(lnA) * lnA_se),
        "residuals": fit["residuals"].tolist(),
    }
    return ArrheniusResult(
        quantity="activation_energy_eV",
        value=Ea,
        uncertainty=Ea_se,
        method=f"arrhenius ({'ln σT' if form == 'sigmaT' else 'ln σ'} vs 1/T, "
        f"{'weighted ' if weights is not None else ''}linear least squares)",
        flags=flags,
        inputs={
            "temperatures_C": (T - ZERO_C_K).tolist(),
            "conductivities": sigma.tolist(),
            "form": form,
            "weights": None if weights is None else w.tolist(),
        },
        details=details,
        form=form,
        activation_energy_eV=Ea,
        activation_energy_se_eV=Ea_se,
        activation_energy_kJ_mol=Ea * EV_TO_KJ_MOL,
        activation_energy_se_kJ_mol=Ea_se * EV_TO_KJ_MOL,
        ci95_eV=(float(Ea - half), float(Ea + half)),
        prefactor=float(np.exp(lnA)),
        prefactor_se=float(np.exp(lnA) * lnA_se),
        ln_prefactor=lnA,
        ln_prefactor_se=lnA_se,
        r_squared=fit["r_squared"],
        dof=dof,
        temperatures_K=T,
        y=y,
        residuals=fit["residuals"],
    )


def vtf(
    temperatures_C: Sequence[float] | np.ndarray,
    conductivities: Sequence[float] | np.ndarray,
    T0_K: float | None = None,
    form: VTFForm = "sqrtT",
) -> VTFResult:
    """Fit σ = A T^(−1/2) exp(−B/(T − T0)) (``form="sqrtT"``) or σ = A exp(−B/(T − T0)) (``"plain"``).

    Nonlinear least squares on ln σ for (ln A, B, T0) with 0 ≤ T0 ≤ T_min − 1 K (needs ≥ 4
    temperatures); with ``T0_K`` given, T0 is fixed and (ln A, B) follow from a linear fit (≥ 3).
    Start values come from a profile over a T0 grid (the fit is linear in ln A, B at fixed T0).
    Pseudo-activation energy Ea = k_B·B in eV, SE = k_B·SE(B). T in K, B in K.
    """
    T, sigma = _check_temperature_data(temperatures_C, conductivities)
    if form not in ("sqrtT", "plain"):
        raise AnalysisError(f"form: expected 'sqrtT' or 'plain', got {form!r}")
    y = np.log(sigma) + (0.5 * np.log(T) if form == "sqrtT" else 0.0)  # = ln A − B/(T − T0)
    T0_hi = T.min() - VTF_T0_MARGIN_K
    if T0_K is not None:
        if not np.isfinite(T0_K) or T0_K < 0 or T0_K > T0_hi:
            raise AnalysisError(f"T0_K: must lie in [0, {T0_hi:.2f}] K (below the lowest temperature), got {T0_K}")
        params, cov, dof, ssr = _vtf_fixed_T0(T, y, float(T0_K))
    else:
        if len(T) < 4:
            raise AnalysisError(
                f"temperatures_C: a VTF fit with free T0 needs at least 4 distinct temperatures, got {len(T)}"
            )
        params, cov, dof, ssr = _vtf_free(T, y, T0_hi)
    lnA, B, T0 = params
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None)) if dof > 0 else np.full(3, np.nan)
    r2 = 1.0 - ssr / float(np.sum((y - y.mean()) ** 2))
    flags: list[Flag] = []
    if T0_K is None and (T0 <= 1e-6 or T0 >= T0_hi - 1e-6):
        flags.append(
            Flag(
                "t0_at_bound",
                f"T0 = {T0:.1f} K is at a bound of [0, {T0_hi:.1f}] K; B and T0 are poorly determined",
                value=float(T0),
                threshold=float(T0_hi),
                failing=False,
            )
        )
    A = float(np.exp(lnA))
    details = {
        "ln_prefactor": float(lnA),
        "ln_prefactor_se": float(se[0]),
        "B_K": float(B),
        "B_se_K": float(se[1]),
        "T0_K": float(T0),
        "T0_se_K": float(se[2]),
        "r_squared": float(r2),
        "dof": dof,
        "ssr": float(ssr),
        "covariance_lnA_B_T0": cov.tolist(),
    }
    return VTFResult(
        quantity="activation_energy_eV",
        value=float(K_B_EV_K * B),
        uncertainty=float(K_B_EV_K * se[1]),
        method=f"VTF ({'A T^-1/2 exp(-B/(T-T0))' if form == 'sqrtT' else 'A exp(-B/(T-T0))'}), "
        f"{'fixed T0' if T0_K is not None else 'nonlinear least squares'} in ln σ; Ea = k_B·B",
        flags=flags,
        inputs={
            "temperatures_C": (T - ZERO_C_K).tolist(),
            "conductivities": sigma.tolist(),
            "form": form,
            "T0_K": T0_K,
        },
        details=details,
        form=form,
        B_K=float(B),
        B_se_K=float(se[1]),
        T0_K=float(T0),
        T0_se_K=float(se[2]),
        T0_fixed=T0_K is not None,
        prefactor=A,
        prefactor_se=float(A * se[0]),
        pseudo_activation_energy_eV=float(K_B_EV_K * B),
        pseudo_activation_energy_se_eV=float(K_B_EV_K * se[1]),
        r_squared=float(r2),
        dof=dof,
        temperatures_K=T,
        conductivities=sigma,
    )


# --------------------------------------------------------------------------------------- helpers
def _check_temperature_data(temperatures_C: Any, conductivities: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate inputs; return T in K and σ as float arrays."""
    t = np.asarray(temperatures_C, dtype=float).ravel()
    s = np.asarray(conductivities, dtype=float).ravel()
    if t.shape != s.shape:
        raise AnalysisError(f"conductivities: length {s.size} differs from temperatures_C length {t.size}")
    if not np.all(np.isfinite(t)):
        raise AnalysisError("temperatures_C: all values must be finite")
    if np.any(t <= -ZERO_C_K):
        raise AnalysisError("temperatures_C: all temperatures must be above -273.15 °C")
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise AnalysisError("conductivities: all values must be finite and > 0")
    if np.unique(t).size < 3:
        raise AnalysisError(f"temperatures_C: need at least 3 distinct temperatures, got {np.unique(t).size}")
    return t + ZERO_C_K, s


def _check_weights(weights: Any, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=float).ravel()
    if w.size != n:
        raise AnalysisError(f"weights: length {w.size} differs from temperatures_C length {n}")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise AnalysisError("weights: all values must be finite and > 0")
    return w


def _weighted_line(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    """Weighted least squares y = a + b x with s²(XᵀWX)⁻¹ standard errors (centred for stability)."""
    sw = w.sum()
    xm, ym = (w * x).sum() / sw, (w * y).sum() / sw
    dx, dy = x - xm, y - ym
    sxx = (w * dx * dx).sum()
    b = (w * dx * dy).sum() / sxx
    a = ym - b * xm
    r = y - (a + b * x)
    dof = len(x) - 2
    s2 = (w * r * r).sum() / dof if dof > 0 else float("nan")
    syy = (w * dy * dy).sum()
    return {
        "slope": float(b),
        "intercept": float(a),
        "slope_se": float(np.sqrt(s2 / sxx)),
        "intercept_se": float(np.sqrt(s2 * (1.0 / sw + xm * xm / sxx))),
        "cov": float(-xm * s2 / sxx),
        "r_squared": float(1.0 - (w * r * r).sum() / syy) if syy > 0 else float("nan"),
        "residuals": r,
    }


def _arrhenius_flags(x: np.ndarray, y: np.ndarray, w: np.ndarray, r2: float) -> list[Flag]:
    flags: list[Flag] = []
    n = len(x)
    if n < MIN_TEMPERATURES_RECOMMENDED:
        flags.append(
            Flag(
                "few_temperatures",
                f"only {n} temperatures (recommended ≥ {MIN_TEMPERATURES_RECOMMENDED}); "
                "the interval rests on few degrees of freedom",
                value=float(n),
                threshold=float(MIN_TEMPERATURES_RECOMMENDED),
                failing=False,
            )
        )
    p = _curvature_p_value(x, y, w)
    if (p is not None and p < CURVATURE_P_MAX) or (np.isfinite(r2) and r2 < R2_MIN):
        flags.append(
            Flag(
                "arrhenius_curvature",
                f"ln σ vs 1/T looks curved (quadratic-term p = "
                f"{'n/a' if p is None else f'{p:.3g}'}, R² = {r2:.4f}); VTF behaviour? try vtf()",
                value=float(p) if p is not None else float(r2),
                threshold=CURVATURE_P_MAX if p is not None else R2_MIN,
                failing=False,
            )
        )
    return flags


def _curvature_p_value(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float | None:
    """Two-sided p-value of c2 in y = c0 + c1 z + c2 z² (z = standardised x); None if n < 4."""
    n = len(x)
    if n < 4:
        return None
    z = (x - x.mean()) / x.std()
    X = np.column_stack([np.ones(n), z, z * z]) * np.sqrt(w)[:, None]
    yw = y * np.sqrt(w)
    coef, *_ = np.linalg.lstsq(X, yw, rcond=None)
    r = yw - X @ coef
    s2 = float(r @ r) / (n - 3)
    cov = s2 * np.linalg.inv(X.T @ X)
    se = np.sqrt(cov[2, 2])
    if se == 0:
        return 0.0 if abs(coef[2]) > 1e-12 * max(1.0, abs(coef[0])) else 1.0
    return float(2 * stats.t.sf(abs(coef[2] / se), n - 3))


def _vtf_model(T: np.ndarray, lnA: float, B: float, T0: float, form: str) -> np.ndarray:
    """σ(T) for the VTF forms (input unit of σ)."""
    pre = -0.5 * np.log(T) if form == "sqrtT" else 0.0
    return np.exp(lnA + pre - B / (T - T0))


def _vtf_linear(T: np.ndarray, y: np.ndarray, T0: float) -> tuple[float, float, float]:
    """At fixed T0: y = lnA − B u with u = 1/(T − T0); returns (lnA, B, ssr)."""
    u = 1.0 / (T - T0)
    X = np.column_stack([np.ones_like(u), -u])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ coef
    return float(coef[0]), float(coef[1]), float(r @ r)


def _vtf_fixed_T0(T: np.ndarray, y: np.ndarray, T0: float) -> tuple[np.ndarray, np.ndarray, int, float]:
    lnA, B, ssr = _vtf_linear(T, y, T0)
    u = 1.0 / (T - T0)
    J = np.column_stack([np.ones_like(u), -u])
    dof = len(T) - 2
    s2 = ssr / dof if dof > 0 else float("nan")
    cov2 = s2 * np.linalg.inv(J.T @ J)
    cov = np.zeros((3, 3))
    cov[:2, :2] = cov2
    return np.array([lnA, B, T0]), cov, dof, ssr


def _vtf_free(T: np.ndarray, y: np.ndarray, T0_hi: float) -> tuple[np.ndarray, np.ndarray, int, float]:
    grid = np.linspace(0.0, T0_hi, 400)
    ssr_grid = [_vtf_linear(T, y, t0)[2] for t0 in grid]
    T0_start = float(grid[int(np.argmin(ssr_grid))])
    lnA0, B0, _ = _vtf_linear(T, y, T0_start)

    def resid(p: np.ndarray) -> np.ndarray:
        res: np.ndarray = p[0] - p[1] / (T - p[2]) - y
        return res

    def jac(p: np.ndarray) -> np.ndarray:
        u = 1.0 / (T - p[2])
        return np.column_stack([np.ones_like(T), -u, -p[1] * u * u])

    scale = max(1.0, abs(B0))
    x0 = np.array([lnA0, B0, min(max(T0_start, 1e-9), T0_hi - 1e-9)])
    sol = optimize.least_squares(
        resid,
        x0,
        jac=jac,
        bounds=([-np.inf, -np.inf, 0.0], [np.inf, np.inf, T0_hi]),
        method="trf",
        x_scale=np.array([1.0, scale, T0_hi / 10]),
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
        max_nfev=10000,
    )
    p = sol.x
    r = resid(p)
    ssr = float(r @ r)
    dof = len(T) - 3
    J = jac(p)
    s2 = ssr / dof if dof > 0 else float("nan")
    try:
        cov = s2 * np.linalg.inv(J.T @ J)
    except np.linalg.LinAlgError:
        cov = np.full((3, 3), np.nan)
    return p, cov, dof, ssr
