"""Lin-KK test (Schönleber et al. 2014): is a spectrum Kramers-Kronig consistent?

A numpy-2-safe re-implementation of ``impedance.validation.linKK`` (impedance.py 1.7.1) giving the
same M, mu and residuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ...errors import AnalysisError
from ..types import Spectrum
from ._spectrum import _as_spectrum

__all__ = ["LIN_KK_C", "LIN_KK_MAX_M", "LinKKResult", "lin_kk"]

LIN_KK_C = 0.5  # Lin-KK mu cut-off used by conductivity() (impedance.py's validation example value)
LIN_KK_MAX_M = 50  # Lin-KK maximum number of RC elements used by conductivity()


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
    Z: np.ndarray = np.full(f.shape, complex(elements[0]))
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


def _linkk_fit(
    f: np.ndarray, ts: np.ndarray, M: int, Z: np.ndarray, fit_type: str, add_cap: bool
) -> tuple[np.ndarray, float]:
    """Lin-KK elements and mu for M time constants ``ts`` (linear least squares as impedance.py)."""
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
        raise AnalysisError(f"fit_type must be 'real', 'imag' or 'complex', got {fit_type!r}")
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
        raise AnalysisError(f"fit_type must be 'real', 'imag' or 'complex', got {fit_type!r}")
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
