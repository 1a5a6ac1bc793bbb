"""Synthetic impedance spectra of blocking-electrode cells (SS | film | SS) with known ground truth.

SYNTHETIC data for tests, benchmarks and the virtual lab's raw files; the circuit is the one
:mod:`optiform.analysis.eis` fits (elements from :mod:`optiform.analysis.eis.elements`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..analysis.eis import z_cpe, z_inductor, z_r_rq
from ..analysis.types import Spectrum
from ..errors import DataError

__all__ = ["synthetic_blocking_cell"]

_TWO_PI = 2.0 * math.pi


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
        raise DataError(f"synthetic_blocking_cell: conductivity_mS_cm must be > 0, got {conductivity_mS_cm!r}")
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
    Z = z_cpe(f, Q2, cpe_n) + z_inductor(f, L_H)
    if arc:
        if "R1_ohm" in arc:
            R1 = float(arc["R1_ohm"])
        else:
            R1 = float(arc.get("R1_fraction", 0.3)) * R_total
        if not 0 < R1 < R_total:
            raise DataError(f"synthetic_blocking_cell: arc R1 must be between 0 and R_total={R_total:.4g}, got {R1}")
        n1 = float(arc.get("n1", 1.0))
        if "C1_F" in arc:
            Q1 = float(arc["C1_F"])
        elif "f_peak_Hz" in arc:
            Q1 = 1.0 / (R1 * (_TWO_PI * float(arc["f_peak_Hz"])) ** n1)
        else:
            raise DataError("synthetic_blocking_cell: arc needs C1_F or f_peak_Hz")
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
