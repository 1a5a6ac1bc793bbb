"""Virtual lab: a SYNTHETIC ionic-conductivity model of a composite solid electrolyte (CSE).

This module is **not data**. It is a smooth, hand-built model whose few constants were calibrated so
that it reproduces the headline numbers of Nguyen et al., Nano-Micro Lett. 2024, 16:83 (a MEMA/SN/
Li-salt polymer made in situ inside a porous LLZT garnet film). Everything away from those numbers
(the shape of the landscape, the optima of LiDFOB, FEC and porosity, the fluid boundary) is invented
to be physically plausible, so that an optimiser has something realistic to work on. Never quote its
output as a measurement.

Variables (DataFrame columns; a missing column takes its value from :data:`PAPER_POINT`)
-----------------------------------------------------------------------------------------
``MEMA``, ``SN``, ``salt``   mixture, wt% (normalised by their sum, so any total works)
``LiDFOB_mol_frac``         mole fraction of LiDFOB in the LiTFSI/LiDFOB salt, mol/mol
``FEC_wt_pct``              FEC, wt% of the whole solution
``porosity``                pore volume fraction of the framework, 0..1
``framework``               ``"LLZT"`` (porous garnet film, the CSE) or ``"glass_fiber"`` (the SPE)

Physics terms (each is a function below, with its equation)
------------------------------------------------------------
With phi = SN / (MEMA + SN) (SN share of the organic phase) and c = salt / (MEMA + SN + salt)::

    sigma(T) = K * f_SN(phi) * f_salt(c) * f_DFOB(x) * f_FEC(F) * p**m * G(1 - p) * exp(-Ea/k_B (1/T - 1/T_ref))

* :func:`plasticizer_factor`   free-volume gain from SN:  f_SN = exp(B (phi - phi_paper)), B = 4
* :func:`salt_factor`          carriers x mobility:       f_salt = (c/c0) exp(1 - c/c0), c0 = 0.20
* :func:`lidfob_factor`        Gaussian in ln(x + 0.05), optimum x = 0.09, width 1.0
* :func:`fec_factor`           Gaussian in ln(F + 3),    optimum F = 6 wt%, width 0.8
* :func:`pore_factor`          Archie-like polymer-filled-pore term p**m, m = 1.5
* :func:`percolation_gain`     LLZT only: G = 1 + A / (1 + exp(-(phi_c - 0.23) / 0.03)), phi_c = 1 - p
* :func:`arrhenius_factor`     T_ref = 303.15 K; Ea from :func:`activation_energy_eV`
* :func:`fluid_threshold`      the film stays fluid when SN/MEMA > r(F) = 1.675 exp(-0.04 (F - 5))
  (SN/FEC eutectic: more FEC, less SN tolerated). Only this flag is discontinuous; sigma is smooth.

Li+ transference number and oxidation onset (temperature-independent, smooth in composition), with
x = LiDFOB_mol_frac, F = FEC_wt_pct, and w the share of the conduction path through the Li+-conducting
ceramic network, w = 1 - 1/G (0 for glass fibre; the LLZT gain G is the percolation term above)::

    t+   = t_p + (t_c - t_p) w,        logit t_p = logit 0.236 - 1.0 (phi - 0.625) - 2.0 (c - 0.20) + 1.0 (x - 0.05)
    E_ox = E_p + D w,                  E_p = 4.60 V + 0.3 V (phi - 0.625) + 1.0 V (c - 0.20) + 0.5 V (x - 0.05) + 0.01 V (F - 5)

* :func:`ceramic_path_fraction`  w = 1 - 1/G: at the paper point 1 - 0.464/1.117 = 0.585 (LLZT), 0 (glass fibre)
* :func:`polymer_transference`   t_p of the polymer phase: more salt (ion pairs) and more SN (mobile
  anions) lower it, LiDFOB (anion-trapping borate) raises it; 0.236 at 30:50:20, x 0.05 (the SPE value)
* :func:`transference_number`    t_c = 0.905, the effective t+ of the ceramic/interface path, set so
  that t+ = 0.627 at the paper point (LLZT); t+ stays in (0, 1) by construction
* :func:`polymer_oxidation_onset_V`  E_p of the polymer phase (V vs Li/Li+): salt binds free SN/ether
  (fewer oxidisable molecules), LiDFOB and FEC build B- and LiF-rich CEI, SN outlasts the MEMA ether;
  4.60 V at the paper formulation (the SPE value)
* :func:`oxidation_onset_V`      D = 0.787 V (the ceramic shields the polymer from the electrode), set
  so that E_ox = 5.06 V at the paper point (LLZT)

Calibration targets (checked in ``tests/test_sim.py``)
------------------------------------------------------
1. Paper slice (LLZT, LiDFOB 0.05, FEC 5, porosity 0.75, 30 °C), integer wt% lattice MEMA 10-70,
   SN 20-70, salt 5-35, sum 100, solid points only: maximum at exactly 30:50:20, 1.117 mS/cm.
   At FEC 5 the fluid threshold is SN/MEMA = 1.675, just above 50/30 = 1.667, so 29:51:20 and
   30:51:19 are fluid; sigma rises with SN at fixed salt, pushing the optimum onto that boundary.
   (No lattice point in the bounds has 5/3 < SN/MEMA <= 1.675, so 30:50:20 has both the largest
   solid SN share and the optimal salt fraction; a threshold of ~1.69 would let 29:49:22 compete.)
2. Same point with glass fibre: 0.464 mS/cm (fixes A: G(0.25) = 1.117 / 0.464).
3. Ea over 30-70 °C at the paper point: 0.161 eV (LLZT), 0.283 eV (glass fibre). Ea drifts mildly
   with composition (< 0.025 eV within the bounds) and is constant in T.
4. Global optimum within :data:`DEFAULT_BOUNDS` (solid, 30 °C), found by differential evolution +
   SLSQP and confirmed against dense random sampling (see :data:`GLOBAL_OPTIMUM`):
   LLZT, MEMA:SN:salt = 29.549:50.451:20.000 wt% (SN/MEMA = 1.7073, on the fluid boundary),
   LiDFOB 0.090, FEC 4.522 wt%, porosity 0.703 -> 1.313563 mS/cm, 18% above the paper's 1.117.
   Less FEC than the paper tolerates more SN; LiDFOB and porosity have interior optima off the
   paper's values. The best glass-fibre formulation reaches only 0.597 mS/cm (porosity 0.85).
5. Paper point: t+ = 0.627 (LLZT) and 0.236 (glass fibre); oxidation onset 5.06 V and 4.60 V.
   Within the bounds t+ spans 0.15-0.75 and the onset 4.28-5.49 V (below the 6 V end of the LSV).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution, minimize

from ..errors import DataError
from .base import BoolArray, FloatArray

# --------------------------------------------------------------------------------------------------
# Public constants
# --------------------------------------------------------------------------------------------------

K_B_EV_PER_K = 8.617333262e-5
T_REF_K = 303.15
MIXTURE = ("MEMA", "SN", "salt")
MIXTURE_TOTAL = 100.0
FRAMEWORKS = ("LLZT", "glass_fiber")
CONTINUOUS = ("MEMA", "SN", "salt", "LiDFOB_mol_frac", "FEC_wt_pct", "porosity")

PAPER_POINT: dict[str, Any] = {
    "MEMA": 30.0,
    "SN": 50.0,
    "salt": 20.0,
    "LiDFOB_mol_frac": 0.05,
    "FEC_wt_pct": 5.0,
    "porosity": 0.75,
    "framework": "LLZT",
}
PAPER_CONDUCTIVITY_mS_cm: dict[str, float] = {"LLZT": 1.117, "glass_fiber": 0.464}
PAPER_ACTIVATION_eV: dict[str, float] = {"LLZT": 0.161, "glass_fiber": 0.283}
PAPER_TRANSFERENCE: dict[str, float] = {"LLZT": 0.627, "glass_fiber": 0.236}
PAPER_OXIDATION_ONSET_V: dict[str, float] = {"LLZT": 5.06, "glass_fiber": 4.60}

DEFAULT_BOUNDS: dict[str, tuple[float, float]] = {
    "MEMA": (10.0, 70.0),
    "SN": (20.0, 70.0),
    "salt": (5.0, 35.0),
    "LiDFOB_mol_frac": (0.0, 0.3),
    "FEC_wt_pct": (0.0, 10.0),
    "porosity": (0.4, 0.85),
}
DEFAULT_CHOICES: dict[str, list[str]] = {"framework": list(FRAMEWORKS)}

# Computed by VirtualLab().optimum() (differential evolution + SLSQP) and checked against a dense
# random sample; tests/test_sim.py asserts both. The point sits on the fluid boundary, rounded inward.
GLOBAL_OPTIMUM: dict[str, Any] = {
    "point": {
        "MEMA": 29.54924,
        "SN": 50.45076,
        "salt": 20.0,
        "LiDFOB_mol_frac": 0.09,
        "FEC_wt_pct": 4.521834,
        "porosity": 0.703166,
        "framework": "LLZT",
    },
    "conductivity_mS_cm": 1.313563,
}

# --------------------------------------------------------------------------------------------------
# Model constants (synthetic; chosen for plausibility, then calibrated to the paper)
# --------------------------------------------------------------------------------------------------

_SN_FREE_VOLUME_B = 4.0  # d ln(sigma) / d phi
_PHI_PAPER = 50.0 / 80.0  # SN share of the organic phase at 30:50:20
_SALT_PEAK_FRAC = 0.20  # salt mass fraction of maximum carriers x mobility
_DFOB_OPT, _DFOB_OFFSET, _DFOB_WIDTH = 0.09, 0.05, 1.0
_FEC_OPT, _FEC_OFFSET, _FEC_WIDTH = 6.0, 3.0, 0.8
_ARCHIE_M = 1.5
_PERC_THRESHOLD, _PERC_WIDTH = 0.23, 0.03  # ceramic volume fraction, logistic onset
_FLUID_RATIO_FEC5, _FLUID_FEC_DECAY = 1.675, 0.04  # SN/MEMA at FEC 5 wt%; 1/wt%
_EA_D_PHI, _EA_D_SALT = -0.04, 0.05  # eV per unit phi, eV per unit salt mass fraction
_TP_D_PHI, _TP_D_SALT, _TP_D_DFOB = -1.0, -2.0, 1.0  # logit(t_p) per unit phi, salt fraction, mol/mol
_EOX_D_PHI, _EOX_D_SALT, _EOX_D_DFOB, _EOX_D_FEC = 0.3, 1.0, 0.5, 0.01  # V per unit phi, c, x; V per wt%
_DFOB_PAPER = 0.05


def _logistic(z: FloatArray) -> FloatArray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


# LLZT gain amplitude A fixed by calibration 2: G(1 - 0.75) = sigma_CSE / sigma_SPE.
_PERC_AMPLITUDE = float(
    (PAPER_CONDUCTIVITY_mS_cm["LLZT"] / PAPER_CONDUCTIVITY_mS_cm["glass_fiber"] - 1.0)
    / _logistic(np.asarray((1.0 - PAPER_POINT["porosity"] - _PERC_THRESHOLD) / _PERC_WIDTH))
)

# --------------------------------------------------------------------------------------------------
# Physics terms (pure, vectorised, dimensionless unless stated)
# --------------------------------------------------------------------------------------------------


def sn_share(mema: FloatArray, sn: FloatArray) -> FloatArray:
    """SN share of the organic (polymer + plasticizer) phase, phi = SN / (MEMA + SN); wt/wt."""
    return sn / (mema + sn)


def salt_fraction(mema: FloatArray, sn: FloatArray, salt: FloatArray) -> FloatArray:
    """Salt mass fraction of the mixture, c = salt / (MEMA + SN + salt); wt/wt (normalises any total)."""
    return salt / (mema + sn + salt)


def plasticizer_factor(phi: FloatArray) -> FloatArray:
    """Free-volume gain from the SN plasticizer: f_SN = exp(B (phi - phi_paper)), B = 4, phi_paper = 0.625.

    Monotone increasing in phi (SN share of the organic phase, wt/wt); equals 1 at 30:50:20.
    """
    return np.exp(_SN_FREE_VOLUME_B * (phi - _PHI_PAPER))


def salt_factor(c: FloatArray) -> FloatArray:
    """Carrier number x mobility: f_salt = (c/c0) exp(1 - c/c0), c0 = 0.20 (salt mass fraction).

    Carriers grow as c, mobility falls as exp(-c/c0) (ion pairing, viscosity); maximum 1 at c = c0.
    """
    u = c / _SALT_PEAK_FRAC
    return u * np.exp(1.0 - u)


def _log_gaussian(x: FloatArray, optimum: float, offset: float, width: float) -> FloatArray:
    """exp(-0.5 (ln((x + offset) / (optimum + offset)) / width)**2): 1 at x = optimum, finite at x = 0."""
    return np.exp(-0.5 * (np.log((x + offset) / (optimum + offset)) / width) ** 2)


def lidfob_factor(x: FloatArray) -> FloatArray:
    """Dual-salt synergy: f_DFOB = exp(-0.5 (ln((x + 0.05) / 0.14) / 1.0)**2).

    x is the LiDFOB mole fraction of the salt (mol/mol); optimum at x = 0.09 (the paper used 0.05).
    """
    return _log_gaussian(x, _DFOB_OPT, _DFOB_OFFSET, _DFOB_WIDTH)


def fec_factor(fec_wt_pct: FloatArray) -> FloatArray:
    """FEC co-plasticizer: f_FEC = exp(-0.5 (ln((F + 3) / 9) / 0.8)**2), F in wt%; optimum at 6 wt%."""
    return _log_gaussian(fec_wt_pct, _FEC_OPT, _FEC_OFFSET, _FEC_WIDTH)


def pore_factor(porosity: FloatArray) -> FloatArray:
    """Polymer-filled pore network (Archie-like): p**m, m = 1.5; p is the pore volume fraction."""
    return porosity**_ARCHIE_M


def percolation_gain(porosity: FloatArray, is_llzt: BoolArray) -> FloatArray:
    """Percolating-ceramic gain of the framework: G = 1 + A / (1 + exp(-(phi_c - 0.23) / 0.03)).

    phi_c = 1 - p is the ceramic volume fraction; the gain switches on smoothly above the
    percolation threshold 0.23 and saturates at 1 + A, A = 2.13 set so that G(0.25) = 1.117/0.464.
    Glass fibre (not a Li conductor): G = 1.
    """
    ceramic = 1.0 - porosity
    gain = 1.0 + _PERC_AMPLITUDE * _logistic((ceramic - _PERC_THRESHOLD) / _PERC_WIDTH)
    return np.where(is_llzt, gain, 1.0)


def fluid_threshold(fec_wt_pct: FloatArray) -> FloatArray:
    """SN/MEMA mass ratio above which the film stays fluid: r(F) = 1.675 exp(-0.04 (F - 5)), F in wt%.

    SN and FEC form a eutectic, so more FEC tolerates less SN: r(0) = 2.05, r(5) = 1.675, r(10) = 1.37.
    """
    return _FLUID_RATIO_FEC5 * np.exp(-_FLUID_FEC_DECAY * (fec_wt_pct - 5.0))


def activation_energy_from(phi: FloatArray, c: FloatArray, is_llzt: BoolArray) -> FloatArray:
    """Ea = Ea_fw + (-0.04 eV)(phi - 0.625) + (0.05 eV)(c - 0.20), in eV.

    Ea_fw = 0.161 eV (LLZT) or 0.283 eV (glass fibre); more SN lowers Ea, more salt raises it.
    """
    base = np.where(is_llzt, PAPER_ACTIVATION_eV["LLZT"], PAPER_ACTIVATION_eV["glass_fiber"])
    return base + _EA_D_PHI * (phi - _PHI_PAPER) + _EA_D_SALT * (c - _SALT_PEAK_FRAC)


def arrhenius_factor(ea_eV: FloatArray, temperature_C: float | FloatArray) -> FloatArray:
    """sigma(T) / sigma(T_ref) = exp(-Ea / k_B (1/T - 1/T_ref)), T in K, T_ref = 303.15 K (30 °C)."""
    t_k = np.asarray(temperature_C, dtype=float) + 273.15
    return np.exp(-ea_eV / K_B_EV_PER_K * (1.0 / t_k - 1.0 / T_REF_K))


def _sigma_unscaled_ref(
    mema: FloatArray,
    sn: FloatArray,
    salt: FloatArray,
    x_dfob: FloatArray,
    fec: FloatArray,
    porosity: FloatArray,
    is_llzt: BoolArray,
) -> FloatArray:
    """Product of all composition terms at T_ref (arbitrary units)."""
    phi = sn_share(mema, sn)
    c = salt_fraction(mema, sn, salt)
    return (
        plasticizer_factor(phi)
        * salt_factor(c)
        * lidfob_factor(x_dfob)
        * fec_factor(fec)
        * pore_factor(porosity)
        * percolation_gain(porosity, is_llzt)
    )


def ceramic_path_fraction(porosity: FloatArray, is_llzt: BoolArray) -> FloatArray:
    """Share of the conduction path through the Li+-conducting ceramic network: w = 1 - 1/G.

    G is :func:`percolation_gain` (sigma_CSE / sigma_SPE at equal polymer), so w is the part of the
    conductance the ceramic adds; 0.585 at porosity 0.75 (LLZT), 0 for glass fibre, < 0.71 in bounds.
    """
    return 1.0 - 1.0 / percolation_gain(porosity, is_llzt)


def polymer_transference(phi: FloatArray, c: FloatArray, x_dfob: FloatArray) -> FloatArray:
    """t+ of the polymer phase: logit t_p = logit(0.236) - 1.0 (phi - 0.625) - 2.0 (c - 0.20) + 1.0 (x - 0.05).

    phi: SN share of the organic phase, c: salt mass fraction, x: LiDFOB mole fraction (mol/mol).
    Equals the glass-fibre SPE value 0.236 at the paper formulation.
    """
    t0 = PAPER_TRANSFERENCE["glass_fiber"]
    z = (
        np.log(t0 / (1.0 - t0))
        + _TP_D_PHI * (phi - _PHI_PAPER)
        + _TP_D_SALT * (c - _SALT_PEAK_FRAC)
        + _TP_D_DFOB * (x_dfob - _DFOB_PAPER)
    )
    return _logistic(z)


def polymer_oxidation_onset_V(phi: FloatArray, c: FloatArray, x_dfob: FloatArray, fec_wt_pct: FloatArray) -> FloatArray:
    """Oxidation onset of the polymer phase in V vs Li/Li+:
    E_p = 4.60 + 0.3 (phi - 0.625) + 1.0 (c - 0.20) + 0.5 (x - 0.05) + 0.01 (F - 5), F in wt%."""
    return (
        PAPER_OXIDATION_ONSET_V["glass_fiber"]
        + _EOX_D_PHI * (phi - _PHI_PAPER)
        + _EOX_D_SALT * (c - _SALT_PEAK_FRAC)
        + _EOX_D_DFOB * (x_dfob - _DFOB_PAPER)
        + _EOX_D_FEC * (fec_wt_pct - 5.0)
    )


# t_c and D from calibration 5: the LLZT values at the paper point.
_W_PAPER = float(1.0 - 1.0 / percolation_gain(np.array(PAPER_POINT["porosity"]), np.array(True)))
_T_PLUS_CERAMIC = (
    PAPER_TRANSFERENCE["glass_fiber"] + (PAPER_TRANSFERENCE["LLZT"] - PAPER_TRANSFERENCE["glass_fiber"]) / _W_PAPER
)
_EOX_CERAMIC_GAIN_V = (PAPER_OXIDATION_ONSET_V["LLZT"] - PAPER_OXIDATION_ONSET_V["glass_fiber"]) / _W_PAPER


def _transference(cols: Mapping[str, FloatArray], is_llzt: BoolArray) -> FloatArray:
    mema, sn, salt = cols["MEMA"], cols["SN"], cols["salt"]
    t_p = polymer_transference(sn_share(mema, sn), salt_fraction(mema, sn, salt), cols["LiDFOB_mol_frac"])
    return t_p + (_T_PLUS_CERAMIC - t_p) * ceramic_path_fraction(cols["porosity"], is_llzt)


def _oxidation_onset(cols: Mapping[str, FloatArray], is_llzt: BoolArray) -> FloatArray:
    mema, sn, salt = cols["MEMA"], cols["SN"], cols["salt"]
    e_p = polymer_oxidation_onset_V(
        sn_share(mema, sn), salt_fraction(mema, sn, salt), cols["LiDFOB_mol_frac"], cols["FEC_wt_pct"]
    )
    return e_p + _EOX_CERAMIC_GAIN_V * ceramic_path_fraction(cols["porosity"], is_llzt)


def _paper_args(
    framework: str,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, BoolArray]:
    mema, sn, salt, x_dfob, fec, porosity = (
        np.array([float(PAPER_POINT[k])]) for k in ("MEMA", "SN", "salt", "LiDFOB_mol_frac", "FEC_wt_pct", "porosity")
    )
    return mema, sn, salt, x_dfob, fec, porosity, np.array([framework == "LLZT"])


# Overall scale K (mS/cm): calibration 1, sigma(paper point, LLZT, 30 °C) = 1.117 mS/cm.
_SCALE_mS_cm = PAPER_CONDUCTIVITY_mS_cm["LLZT"] / float(_sigma_unscaled_ref(*_paper_args("LLZT"))[0])


def _conductivity(cols: Mapping[str, FloatArray], is_llzt: BoolArray, temperature_C: float | FloatArray) -> FloatArray:
    """Noise-free conductivity in mS/cm from validated column arrays."""
    mema, sn, salt = cols["MEMA"], cols["SN"], cols["salt"]
    ref = _SCALE_mS_cm * _sigma_unscaled_ref(
        mema, sn, salt, cols["LiDFOB_mol_frac"], cols["FEC_wt_pct"], cols["porosity"], is_llzt
    )
    ea = activation_energy_from(sn_share(mema, sn), salt_fraction(mema, sn, salt), is_llzt)
    return ref * arrhenius_factor(ea, temperature_C)


def _solid(mema: FloatArray, sn: FloatArray, fec: FloatArray) -> BoolArray:
    """True where SN <= r(FEC) * MEMA (the film solidifies); False where it stays fluid."""
    return sn <= fluid_threshold(fec) * mema


# --------------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------------


def _columns(X: pd.DataFrame) -> tuple[dict[str, FloatArray], BoolArray]:
    """Numeric column arrays (missing columns take PAPER_POINT values) and the is-LLZT mask.

    Raises DataError naming the column for non-numeric, non-finite or unphysical values.
    """
    n = len(X)
    cols: dict[str, FloatArray] = {}
    for name in CONTINUOUS:
        if name in X.columns:
            values = pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=float)
            if not np.all(np.isfinite(values)):
                raise DataError(f"column {name!r}: values must be finite numbers")
        else:
            values = np.full(n, float(PAPER_POINT[name]))
        cols[name] = values
    for name in MIXTURE:
        if np.any(cols[name] < 0):
            raise DataError(f"column {name!r}: wt% must be >= 0")
    if np.any(cols["MEMA"] + cols["SN"] <= 0):
        raise DataError("columns 'MEMA' and 'SN': MEMA + SN must be > 0")
    if np.any((cols["LiDFOB_mol_frac"] < 0) | (cols["LiDFOB_mol_frac"] > 1)):
        raise DataError("column 'LiDFOB_mol_frac': mole fraction must be within [0, 1]")
    if np.any((cols["FEC_wt_pct"] < 0) | (cols["FEC_wt_pct"] >= 100)):
        raise DataError("column 'FEC_wt_pct': wt% must be within [0, 100)")
    if np.any((cols["porosity"] <= 0) | (cols["porosity"] >= 1)):
        raise DataError("column 'porosity': pore fraction must be within (0, 1)")
    if "framework" in X.columns:
        fw = X["framework"].to_numpy(dtype=object)
        unknown = sorted({str(v) for v in fw if v not in FRAMEWORKS})
        if unknown:
            raise DataError(f"column 'framework': unknown value(s) {unknown}; expected {list(FRAMEWORKS)}")
        is_llzt = fw == "LLZT"
    else:
        is_llzt = np.full(n, PAPER_POINT["framework"] == "LLZT")
    return cols, np.asarray(is_llzt, dtype=bool)


def _temperature(temperature_C: float | FloatArray) -> float | FloatArray:
    t = np.asarray(temperature_C, dtype=float)
    if not np.all(np.isfinite(t)) or np.any(t <= -273.15):
        raise DataError("temperature_C: must be finite and above -273.15 °C")
    return float(t) if t.ndim == 0 else t


# --------------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------------


def true_conductivity_mS_cm(X: pd.DataFrame, temperature_C: float | FloatArray = 30.0) -> FloatArray:
    """Noise-free ionic conductivity in mS/cm, one value per row (defined for fluid rows too).

    ``temperature_C`` (°C) is a scalar or an array broadcastable to ``len(X)``.
    """
    cols, is_llzt = _columns(X)
    return np.asarray(_conductivity(cols, is_llzt, _temperature(temperature_C)), dtype=float)


def is_solid(X: pd.DataFrame) -> BoolArray:
    """Boolean per row: True if the film solidifies, i.e. SN/MEMA <= :func:`fluid_threshold` (FEC)."""
    cols, _ = _columns(X)
    return _solid(cols["MEMA"], cols["SN"], cols["FEC_wt_pct"])


def activation_energy_eV(X: pd.DataFrame) -> FloatArray:
    """Arrhenius activation energy per row in eV (see :func:`activation_energy_from`)."""
    cols, is_llzt = _columns(X)
    mema, sn, salt = cols["MEMA"], cols["SN"], cols["salt"]
    return activation_energy_from(sn_share(mema, sn), salt_fraction(mema, sn, salt), is_llzt)


def transference_number(X: pd.DataFrame) -> FloatArray:
    """Noise-free Li+ transference number per row (dimensionless, in (0, 1)), defined for fluid rows too.

    t+ = t_p + (t_c - t_p) w (module docstring): 0.627 (LLZT) and 0.236 (glass fibre) at the paper point.
    """
    cols, is_llzt = _columns(X)
    return np.asarray(_transference(cols, is_llzt), dtype=float)


def oxidation_onset_V(X: pd.DataFrame) -> FloatArray:
    """Noise-free oxidation onset per row in V vs Li/Li+ (LSV, 10 uA/cm2 criterion), fluid rows too.

    E_ox = E_p + D w (module docstring): 5.06 V (LLZT) and 4.60 V (glass fibre) at the paper point.
    """
    cols, is_llzt = _columns(X)
    return np.asarray(_oxidation_onset(cols, is_llzt), dtype=float)


# --------------------------------------------------------------------------------------------------
# Optimiser (noise-free best solid formulation)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    """Continuous sub-problem for one framework: decision vars, the dependent mixture part, fixed values."""

    decision: tuple[str, ...]
    lower: FloatArray
    upper: FloatArray
    dependent: str | None
    dependent_bounds: tuple[float, float]
    held: dict[str, float]
    is_llzt: bool

    def columns(self, z: FloatArray) -> dict[str, FloatArray]:
        """z has shape (len(decision), S); returns column arrays of length S (dependent unclipped)."""
        s = z.shape[1]
        cols = {k: np.full(s, v) for k, v in self.held.items()}
        cols.update({k: z[i] for i, k in enumerate(self.decision)})
        if self.dependent is not None:
            cols[self.dependent] = cast(
                FloatArray, MIXTURE_TOTAL - sum(cols[k] for k in MIXTURE if k != self.dependent)
            )
        return cols

    def violation(self, cols: Mapping[str, FloatArray]) -> FloatArray:
        """Constraint violation >= 0: dependent mixture part outside its bounds, and fluidity."""
        v = np.zeros_like(cols["MEMA"])
        if self.dependent is not None:
            lo, hi = self.dependent_bounds
            d = cols[self.dependent]
            v = v + (np.maximum(lo - d, 0.0) + np.maximum(d - hi, 0.0)) / MIXTURE_TOTAL
        ratio_excess = cols["SN"] - fluid_threshold(cols["FEC_wt_pct"]) * cols["MEMA"]
        return v + np.maximum(ratio_excess, 0.0) / MIXTURE_TOTAL

    def log_sigma(self, cols: Mapping[str, FloatArray], temperature_C: float) -> FloatArray:
        c = dict(cols)
        if self.dependent is not None:
            c[self.dependent] = np.clip(c[self.dependent], *self.dependent_bounds)
        is_llzt = np.full(len(c["MEMA"]), self.is_llzt)
        return np.log(_conductivity(c, is_llzt, temperature_C))


def _build_problem(bounds: Mapping[str, tuple[float, float]], fixed: Mapping[str, float], is_llzt: bool) -> _Problem:
    free_mix = [k for k in MIXTURE if k not in fixed]
    dependent = None
    if free_mix:
        dependent = "salt" if "salt" in free_mix else free_mix[-1]
    decision = tuple(k for k in CONTINUOUS if k not in fixed and k != dependent)
    dep_bounds = bounds[dependent] if dependent is not None else (0.0, 0.0)
    return _Problem(
        decision=decision,
        lower=np.array([bounds[k][0] for k in decision], dtype=float),
        upper=np.array([bounds[k][1] for k in decision], dtype=float),
        dependent=dependent,
        dependent_bounds=(float(dep_bounds[0]), float(dep_bounds[1])),
        held={k: float(v) for k, v in fixed.items() if k in CONTINUOUS},
        is_llzt=is_llzt,
    )


def _solve(problem: _Problem, temperature_C: float) -> tuple[dict[str, float], float] | None:
    """Best feasible point of one continuous sub-problem (or None if none found)."""
    penalty = 1.0e3

    def objective(z: FloatArray) -> FloatArray:
        z2 = z.reshape(len(problem.decision), -1)
        cols = problem.columns(z2)
        return -problem.log_sigma(cols, temperature_C) + penalty * problem.violation(cols)

    if problem.decision:
        de = differential_evolution(
            objective,
            list(zip(problem.lower, problem.upper)),
            seed=12345,
            popsize=20,
            maxiter=400,
            tol=1e-10,
            polish=False,
            vectorized=True,
            updating="deferred",
        )
        z_best = np.asarray(de.x, dtype=float)
        z_best = _polish(problem, z_best, temperature_C)
    else:
        z_best = np.zeros(0)
    cols = problem.columns(z_best.reshape(-1, 1))
    if problem.violation(cols)[0] > 0:
        return None
    point = {k: float(v[0]) for k, v in cols.items()}
    return point, float(np.exp(problem.log_sigma(cols, temperature_C)[0]))


def _polish(problem: _Problem, z0: FloatArray, temperature_C: float) -> FloatArray:
    """SLSQP refinement with explicit constraints; keeps z0 if the result is not better and feasible."""
    margin = 1e-9

    def f(z: FloatArray) -> float:
        return float(-problem.log_sigma(problem.columns(z.reshape(-1, 1)), temperature_C)[0])

    def ineq(z: FloatArray) -> FloatArray:
        cols = problem.columns(z.reshape(-1, 1))
        out = [fluid_threshold(cols["FEC_wt_pct"]) * cols["MEMA"] - cols["SN"] - margin]
        if problem.dependent is not None:
            lo, hi = problem.dependent_bounds
            out += [cols[problem.dependent] - lo, hi - cols[problem.dependent]]
        return np.concatenate(out)

    res = minimize(
        f,
        z0,
        method="SLSQP",
        bounds=list(zip(problem.lower, problem.upper)),
        constraints=[{"type": "ineq", "fun": ineq}],
        options={"ftol": 1e-14, "maxiter": 500},
    )
    z1: FloatArray = np.clip(np.asarray(res.x, dtype=float), problem.lower, problem.upper)
    feasible = problem.violation(problem.columns(z1.reshape(-1, 1)))[0] == 0
    z0_feasible = problem.violation(problem.columns(z0.reshape(-1, 1)))[0] == 0
    if feasible and (not z0_feasible or f(z1) <= f(z0)):
        return z1
    return z0


def _frozen(d: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    if not d:
        return ()
    return tuple(sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in d.items()))


@lru_cache(maxsize=64)
def _optimum_cached(
    bounds: tuple[tuple[str, Any], ...],
    choices: tuple[tuple[str, Any], ...],
    fixed: tuple[tuple[str, Any], ...],
    temperature_C: float,
) -> tuple[tuple[tuple[str, Any], ...], float]:
    all_bounds = {**DEFAULT_BOUNDS, **{k: (float(v[0]), float(v[1])) for k, v in bounds}}
    fixed_d = dict(fixed)
    unknown = set(all_bounds) - set(CONTINUOUS) | (set(fixed_d) - set(CONTINUOUS) - {"framework"})
    if unknown:
        raise DataError(f"unknown variable(s) {sorted(unknown)}")
    for name, (lo, hi) in all_bounds.items():
        if not lo <= hi:
            raise DataError(f"bounds for {name!r}: lower {lo} > upper {hi}")
    _columns(pd.DataFrame([fixed_d]))  # fixed values must be physical (raises naming the column)
    frameworks = list(dict(choices).get("framework", FRAMEWORKS))
    if "framework" in fixed_d:
        frameworks = [fixed_d["framework"]]
    for fw in frameworks:
        if fw not in FRAMEWORKS:
            raise DataError(f"framework: unknown value {fw!r}; expected {list(FRAMEWORKS)}")
    best: tuple[dict[str, Any], float] | None = None
    for fw in frameworks:
        problem = _build_problem(all_bounds, fixed_d, fw == "LLZT")
        found = _solve(problem, temperature_C)
        if found is not None and (best is None or found[1] > best[1]):
            best = ({**found[0], "framework": fw}, found[1])
    if best is None:
        raise DataError("no solid formulation within the given bounds and fixed values")
    point = {k: best[0][k] for k in (*CONTINUOUS, "framework")}
    return tuple(point.items()), best[1]


# --------------------------------------------------------------------------------------------------
# Virtual lab
# --------------------------------------------------------------------------------------------------


@dataclass
class VirtualLab:
    """Synthetic lab: noise-free model x measurement noise; fluid films and the odd cell fail.

    Per row :meth:`measure` returns the conductivity at ``temperature_C`` with multiplicative
    lognormal noise (sd of ln = ``noise_rel``), t+ with absolute noise (sd ``noise_t_plus``, clipped
    to [0.001, 0.999]) and the oxidation onset with absolute noise (sd ``noise_onset_V``, V).

    Failures: a fluid film (``solid`` False) cannot be measured; a solid film's measurement fails
    with probability ``failure_rate`` (status "failed", note "measurement failed (cell
    short-circuit)", values NaN, ``solid`` still True: the film was solid, the cell failed).

    Seeding: ``seed`` seeds three generators created once, whose streams successive :meth:`measure`
    calls continue (a closed loop with a fixed seed is reproducible): the conductivity noise
    (``default_rng(seed)``), and two independent children of
    ``SeedSequence(seed)`` for the failures and for the t+/onset noise. Every stream draws one
    number per row whatever the outcome, so switching failures off leaves the noise unchanged.
    """

    seed: int | None = None
    noise_rel: float = 0.03  # standard deviation of ln(measured / true)
    temperature_C: float = 30.0
    failure_rate: float = 0.02  # probability that the measurement of a solid film fails
    noise_t_plus: float = 0.02  # standard deviation of measured - true t+ (absolute)
    noise_onset_V: float = 0.02  # standard deviation of measured - true oxidation onset, V
    _rng: np.random.Generator = field(init=False, repr=False, compare=False)
    _fail_rng: np.random.Generator = field(init=False, repr=False, compare=False)
    _extra_rng: np.random.Generator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("noise_rel", "noise_t_plus", "noise_onset_V"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise DataError(f"{name}: must be a finite number >= 0, got {value!r}")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise DataError(f"failure_rate: must be within [0, 1], got {self.failure_rate!r}")
        _temperature(self.temperature_C)
        self._rng = np.random.default_rng(self.seed)
        fail_seq, extra_seq = np.random.SeedSequence(self.seed).spawn(2)
        self._fail_rng = np.random.default_rng(fail_seq)
        self._extra_rng = np.random.default_rng(extra_seq)

    def measure(self, X: pd.DataFrame) -> pd.DataFrame:
        """One measurement per row. Returns a DataFrame with the same index and columns:
        'id' (copied from X if X has an 'id' column), 'conductivity_mS_cm' (float, mS/cm at
        ``temperature_C``), 'transference_number' (t+), 'oxidation_onset_V' (V vs Li/Li+) - all NaN
        when the film stayed fluid or the measurement failed - 'solid' (bool), 'status' ('ok' or
        'failed'), 'note' ('', 'film stayed fluid' or 'measurement failed (cell short-circuit)')."""
        cols, is_llzt = _columns(X)
        n = len(X)
        sigma = _conductivity(cols, is_llzt, self.temperature_C)
        solid = _solid(cols["MEMA"], cols["SN"], cols["FEC_wt_pct"])
        noise = self._rng.standard_normal(n)  # drawn for every row: stream independent of outcome
        cell_failed = solid & (self._fail_rng.random(n) < self.failure_rate)
        extra = self._extra_rng.standard_normal((2, n))
        ok = solid & ~cell_failed
        t_plus = np.clip(_transference(cols, is_llzt) + self.noise_t_plus * extra[0], 0.001, 0.999)
        onset = _oxidation_onset(cols, is_llzt) + self.noise_onset_V * extra[1]
        out = pd.DataFrame(index=X.index)
        if "id" in X.columns:
            out["id"] = X["id"].to_numpy()
        out["conductivity_mS_cm"] = np.where(ok, sigma * np.exp(self.noise_rel * noise), np.nan).astype(float)
        out["transference_number"] = np.where(ok, t_plus, np.nan).astype(float)
        out["oxidation_onset_V"] = np.where(ok, onset, np.nan).astype(float)
        out["solid"] = solid.astype(bool)
        out["status"] = np.where(ok, "ok", "failed")
        out["note"] = np.select(
            [~solid, cell_failed], ["film stayed fluid", "measurement failed (cell short-circuit)"], ""
        )
        return out

    def true_value(self, X: pd.DataFrame) -> FloatArray:
        """Noise-free objective per row (conductivity in mS/cm at ``temperature_C``), NaN where the
        film stays fluid: the yardstick closed loops and benchmarks judge proposals by."""
        return np.where(is_solid(X), true_conductivity_mS_cm(X, self.temperature_C), np.nan)

    def optimum(
        self,
        bounds: dict[str, tuple[float, float]] | None = None,
        choices: dict[str, list[str]] | None = None,
        fixed: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], float]:
        """Noise-free best solid formulation within the given bounds (defaults: the bounds above) with
        the variables in `fixed` held; mixture sums to 100. Returns (point, conductivity_mS_cm). Deterministic."""
        point, value = _optimum_cached(_frozen(bounds), _frozen(choices), _frozen(fixed), float(self.temperature_C))
        return dict(point), value
