"""Real-data emulators (Olympus-style): regression models fitted to MEASURED conductivity.

An emulator is a Gaussian process fitted to published measurements; the benchmark's optimisers
query its mean instead of a lab. The landscape is therefore real data smoothed by a model: it is
as good as the cross-validated error below, and it is only trusted inside the data's support, so
each problem's bounds (and linear constraints) are restricted to that support. Temperature is a
fixed condition of each problem, never a search variable.

Both fits: scikit-learn ``GaussianProcessRegressor`` on ln(conductivity / mS cm^-1),
``normalize_y=True``, kernel ConstantKernel x RBF (ARD: one length scale per feature) +
WhiteKernel, 3 optimizer restarts, ``random_state=0``, BLAS limited to one thread. The lab's noise-free ``true_value`` is exp(GP mean of ln sigma); ``measure``
multiplies it by exp(noise_rel z), z ~ N(0, 1), noise_rel = 0.03 by default, from a numpy
Generator seeded once per lab. Cross-validation: k = 5 folds over *groups* (every measurement of
one formulation in the same fold, groups assigned to folds by a seeded permutation); errors are
the RMSE of ln sigma (``rmse_ln``) and the median of |sigma_pred / sigma_meas - 1|
(``median_rel``). Run ``.venv/bin/python benchmarks/emulators.py`` to reproduce every figure (it
also reports the fit time).

1. ``calisol`` — LiPF6 in EC/DMC/EMC at 25 °C (CALiSol-23, CC BY 4.0)
---------------------------------------------------------------------
Data: ``optiform/data/emulators/calisol23_lipf6_ec_dmc_emc_20-30C.csv`` (145 rows, 3 DOIs, 11
solvent compositions, 67 formulations), the rows of the shared CALiSol-23 LiPF6/carbonate subset
with no PC and no DEC, no suspect-unit or zero-conductivity flag, measured at 19.5-30.5 °C (i.e.
20, 24.9, 29.9 and 30 °C; the window brackets 25 °C by the nearest measured temperatures).

* Why not PC/DEC: in this subset DEC appears only with PC (PC-DEC binaries) or in the flagged EC/
  DMC/DEC rows, and PC meets a linear carbonate only in one composition (EC/PC/EMC 0.3/0.3/0.4).
  A five-solvent simplex would be almost all extrapolation, so the problem is EC/DMC/EMC.
* Features: EC and EMC mass fractions of the solvent (DMC = 1 - EC - EMC), LiPF6 molality
  (mol/kg solvent) and 1000/T (K); the lab evaluates at T = 25 °C.
* Search space (the data's support): EC 0-50, DMC 0-100, EMC 0-100 wt% of the solvent (sum 100),
  with ``EC - 0.4*EMC <= 30`` (the convex hull of the measured compositions: EC-DMC binaries go up
  to EC 30, EC-EMC up to EC 50), LiPF6 0.5-2.0 mol/kg with ``LiPF6_mol_kg + 0.01*EC <= 2.3``
  (the EC 40-50 EC/EMC series stop at 1.6-1.8 mol/kg).
* Extrapolation inside those bounds: DMC/EMC mixtures (the interior of the triangle) are measured
  in one composition only (EC/DMC/EMC 25/70/5 at 1.2 mol/kg); elsewhere the GP interpolates
  between the EC-DMC and EC-EMC edges. It learns a long EMC length scale (~7, in mass fraction),
  i.e. at fixed EC the data hardly distinguish DMC from EMC, so this interpolation is flat.
* Fitted white noise: 0.024 ln units (2.4%), about the repeatability of the measurements.
* Cross-validation (5 folds by formulation): RMSE 0.056 ln units, median relative error 2.2%
  (:data:`CALISOL_CV`); leave-one-composition-out (11 folds): RMSE 0.065, median 2.9%.
* Emulator optimum (:func:`calisol_optimum`, differential evolution + SLSQP within the bounds and
  constraints): 12.355 mS/cm at EC/DMC/EMC 30/70/0 wt%, 1.117 mol/kg (:data:`CALISOL_OPTIMUM`;
  measured nearby: EC/DMC 0.3/0.7, 1.0 mol/kg, 13.25 mS/cm at 30 °C). It sits on the corner of the
  supported region (the EC-DMC binary at its largest measured EC share): more EC with DMC may be
  better still, but no data say so, and the bounds stop there.

2. ``peo`` — PEO + lithium salt at 90 °C (Schauser et al. 2021 database, MIT)
------------------------------------------------------------------------------
Data: ``optiform/data/emulators/schauser2021_peo_90C.csv`` (98 rows, 8 DOIs): polymer = PEO (the
single polymer with the most rows, 1,326 of 5,225; the "ether" family is larger but mixes many
polymers), measured at 90 °C (the best-supported temperature above PEO's melting point, ~65 °C,
so no crystallinity/thermal-history effects; 117 PEO rows, more than 80 °C's 107 and with the most
TFSI rows), Mw >= 4 kDa or not reported (drops six oligomer rows of 0.6-2.2 kDa, whose chain ends
raise conductivity up to 5x), anion among the six with >= 10 rows at 90 °C (TFSI, CF3SO3, AsF6,
ClO4, BF4, PF6; dropped: AlCl4 and MPSA, one source each with 6 rows, FSI 1 row).

* Salt loading: the database's ``Li_per_functional_group_molar`` is r = [Li]/[EO] for PEO (one
  ether oxygen per repeat unit; ``salt_wt_pct`` exists in only 32 PEO rows). The campaign writes it
  as a two-component mixture in mol%: ``EO`` (ether oxygens) and ``salt`` (LiX), so r = salt / EO.
* Features: ln r, r and the anion one-hot (ARD over all eight; see :func:`peo_features`).
* Search space: salt 2-25 mol% (r = 0.0204-0.333) x the six anions; every anion has measurements
  at both ends (r 0.01-0.02 to >= 0.33), so nothing in the bounds extrapolates in r. Outside them
  (r < 0.01, r > 0.5, other anions, other temperatures or oligomeric PEO) the emulator has no data.
* Scatter: sources disagree by up to ~10x at the same anion and r (e.g. CF3SO3, r = 0.05: 0.30 vs
  0.039 mS/cm); the GP's white-noise term absorbs it (fitted noise sd 1.21 ln units), so the mean
  is a consensus landscape, smoother than any single source, and the training residuals are large
  (RMSE ~1.1 ln units). ClO4 comes from one source. Treat this problem as a realistic *shape*
  (a loading optimum per anion, anion ranking TFSI > ClO4 > AsF6 > CF3SO3 > BF4 ~ PF6), not as a
  predictor of any one lab's numbers.
* Cross-validation (5 folds by anion + r): RMSE 1.51 ln units, median relative error 55%
  (:data:`PEO_CV`); leave-one-source-out (8 folds): RMSE 2.46, median 88%.
* Emulator optimum (:func:`peo_optimum`, per anion: dense grid in ln r + bounded polish):
  1.931 mS/cm for LiTFSI at r = 0.0826 (EO:Li ~ 12:1; salt 7.63 mol%) (:data:`PEO_OPTIMUM`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize_scalar
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from threadpoolctl import threadpool_limits

from ..errors import DataError, path_error
from ..sim.base import FloatArray, LognormalLab
from ..sim.landscapes import maximise
from .problem import Problem

OBJECTIVE = "conductivity_mS_cm"
DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "emulators"
CALISOL_CSV = "calisol23_lipf6_ec_dmc_emc_20-30C.csv"
PEO_CSV = "schauser2021_peo_90C.csv"

# --------------------------------------------------------------------------------------------------
# Problem definitions (bounds = the data's support, see the module docstring)
# --------------------------------------------------------------------------------------------------

CALISOL_TEMPERATURE_C = 25.0
CALISOL_WINDOW_C = (19.5, 30.5)
CALISOL_SOLVENTS = ("EC", "DMC", "EMC")
CALISOL_MOLALITY = "LiPF6_mol_kg"
CALISOL_BOUNDS: dict[str, tuple[float, float]] = {"EC": (0.0, 50.0), "DMC": (0.0, 100.0), "EMC": (0.0, 100.0)}
CALISOL_MOLALITY_BOUNDS = (0.5, 2.0)
CALISOL_CONSTRAINTS = ["EC - 0.4*EMC <= 30", "LiPF6_mol_kg + 0.01*EC <= 2.3"]

PEO_TEMPERATURE_C = 90.0
PEO_MIN_MW_KDA = 4.0
PEO_ANIONS = ("TFSI", "CF3SO3", "AsF6", "ClO4", "BF4", "PF6")
PEO_COMPONENTS = ("EO", "salt")
PEO_BOUNDS: dict[str, tuple[float, float]] = {"EO": (75.0, 98.0), "salt": (2.0, 25.0)}

# Measured by cross_validate(name) (k = 5, seed 0); tests/test_emulators.py checks them.
CALISOL_CV: dict[str, float] = {"rmse_ln": 0.0559, "median_rel": 0.0222, "n": 145}
PEO_CV: dict[str, float] = {"rmse_ln": 1.512, "median_rel": 0.550, "n": 98}
# Computed by calisol_optimum() / peo_optimum(); the problems use the functions (cached), these
# record the values for the docs and are checked in tests/test_emulators.py.
CALISOL_OPTIMUM: dict[str, Any] = {
    "point": {"EC": 30.0, "DMC": 70.0, "EMC": 0.0, "LiPF6_mol_kg": 1.11652},
    OBJECTIVE: 12.35478,
}
PEO_OPTIMUM: dict[str, Any] = {
    "point": {"EO": 92.37160, "salt": 7.62840, "anion": "TFSI", "r_Li_per_EO": 0.082584},
    OBJECTIVE: 1.93120,
}

# --------------------------------------------------------------------------------------------------
# Preprocessing: shared extracts -> the small CSVs shipped in optiform/data/emulators
# --------------------------------------------------------------------------------------------------


def build_calisol_subset(source: str | Path) -> pd.DataFrame:
    """The CALiSol rows the ``calisol`` emulator is fitted to, from the shared extract
    ``calisol23_lipf6_carbonates_mass_molal.csv`` (selection in the module docstring)."""
    try:
        d = pd.read_csv(source)
    except OSError as exc:
        raise path_error(source, exc, "read the CALiSol extract") from exc
    keep = (
        (d["PC_wfrac_solvent"] == 0)
        & (d["DEC_wfrac_solvent"] == 0)
        & (d["flag_suspect_units"] == 0)
        & (d["flag_k_zero"] == 0)
        & d["conductivity_mS_cm"].notna()
        & d["temperature_C"].between(*CALISOL_WINDOW_C)
    )
    d = d.loc[keep]
    out = pd.DataFrame(
        {
            "doi": d["doi"],
            "EC_wfrac": d["EC_wfrac_solvent"],
            "DMC_wfrac": d["DMC_wfrac_solvent"],
            "EMC_wfrac": d["EMC_wfrac_solvent"],
            "LiPF6_mol_kg": d["LiPF6_molality_mol_per_kg_solvent"],
            "temperature_C": d["temperature_C"],
            "conductivity_mS_cm": d["conductivity_mS_cm"],
        }
    )
    return out.sort_values(["doi", "EC_wfrac", "DMC_wfrac", "LiPF6_mol_kg", "temperature_C"]).reset_index(drop=True)


def build_peo_subset(source: str | Path) -> pd.DataFrame:
    """The Schauser et al. rows the ``peo`` emulator is fitted to, from the shared extract
    ``schauser2021_polymer_salt_long.csv`` (selection in the module docstring)."""
    try:
        d = pd.read_csv(source, encoding="latin-1")
    except OSError as exc:
        raise path_error(source, exc, "read the Schauser et al. extract") from exc
    keep = (
        (d["polymer"] == "PEO")
        & (d["temperature_C"] == PEO_TEMPERATURE_C)
        & (d["Mw_kDa"].isna() | (d["Mw_kDa"] >= PEO_MIN_MW_KDA))
        & d["anion"].isin(PEO_ANIONS)
        & d["conductivity_mS_cm"].gt(0)
        & d["Li_per_functional_group_molar"].gt(0)
    )
    d = d.loc[keep]
    out = pd.DataFrame(
        {
            "entry_id": d["entry_id"],
            "doi": d["doi"],
            "anion": d["anion"],
            "r_Li_per_EO": d["Li_per_functional_group_molar"],
            "Mw_kDa": d["Mw_kDa"],
            "temperature_C": d["temperature_C"],
            "conductivity_mS_cm": d["conductivity_mS_cm"],
        }
    )
    return out.sort_values(["anion", "r_Li_per_EO", "doi", "entry_id"]).reset_index(drop=True)


def write_subsets(shared_dir: str | Path, out_dir: str | Path = DATA_DIR) -> list[Path]:
    """Rebuild both shipped CSVs from the shared extracts in ``shared_dir``; returns their paths."""
    shared, out = Path(shared_dir), Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise path_error(out, exc, "create the folder") from exc
    paths = [out / CALISOL_CSV, out / PEO_CSV]
    calisol = build_calisol_subset(shared / "calisol23_lipf6_carbonates_mass_molal.csv")
    peo = build_peo_subset(shared / "schauser2021_polymer_salt_long.csv")
    calisol.to_csv(paths[0], index=False, float_format="%.6g")
    peo.to_csv(paths[1], index=False, float_format="%.6g")
    return paths


@cache
def load_data(name: str) -> pd.DataFrame:
    """The shipped training table of emulator ``name`` ('calisol' or 'peo'); a copy-safe cached frame."""
    files = {"calisol": CALISOL_CSV, "peo": PEO_CSV}
    if name not in files:
        raise DataError(f"unknown emulator {name!r}; expected one of {', '.join(files)}")
    return pd.read_csv(DATA_DIR / files[name])


# --------------------------------------------------------------------------------------------------
# Features (training table or lab input -> GP inputs)
# --------------------------------------------------------------------------------------------------


def _inverse_temperature(temperature_C: np.ndarray | float) -> np.ndarray:
    return 1000.0 / (np.asarray(temperature_C, dtype=float) + 273.15)


def calisol_features(
    ec: np.ndarray, emc: np.ndarray, molality: np.ndarray, temperature_C: np.ndarray | float
) -> np.ndarray:
    """GP inputs: EC and EMC mass fractions of the solvent, LiPF6 molality (mol/kg), 1000/T (K)."""
    n = len(np.atleast_1d(ec))
    inv = np.broadcast_to(_inverse_temperature(temperature_C), (n,))
    return np.column_stack([ec, emc, molality, inv]).astype(float)


def peo_features(r: npt.ArrayLike, anion: npt.ArrayLike) -> np.ndarray:
    """GP inputs: ln r and r (r = [Li]/[EO]) and the one-hot anion (order :data:`PEO_ANIONS`).

    r next to ln r lets the ARD kernel fit both the gentle rise at low r and the collapse at
    r >= 0.2 (crystalline PEO-salt complexes)."""
    r = np.asarray(r, dtype=float)
    anion = np.asarray(anion, dtype=object)
    onehot = [(anion == a).astype(float) for a in PEO_ANIONS]
    return np.column_stack([np.log(r), r, *onehot])


def _training(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, ln sigma, CV groups) of emulator ``name``."""
    d = load_data(name)
    y = np.log(d["conductivity_mS_cm"].to_numpy(dtype=float))
    if name == "calisol":
        F = calisol_features(d["EC_wfrac"], d["EMC_wfrac"], d["LiPF6_mol_kg"], d["temperature_C"])
        # one formulation: solvent composition + molality to 0.05 mol/kg (its 20 and 30 °C rows together)
        groups = (
            d["EC_wfrac"].round(3).astype(str)
            + "/"
            + d["DMC_wfrac"].round(3).astype(str)
            + "/"
            + (d["LiPF6_mol_kg"] * 20).round().astype(int).astype(str)
        )
    else:
        F = peo_features(d["r_Li_per_EO"], d["anion"])
        groups = d["anion"] + "/" + d["r_Li_per_EO"].round(4).astype(str)
    return F, y, groups.to_numpy()


# --------------------------------------------------------------------------------------------------
# Fitting and cross-validation
# --------------------------------------------------------------------------------------------------


def fit_gp(F: np.ndarray, y: np.ndarray) -> GaussianProcessRegressor:
    """ConstantKernel x RBF(ARD) + WhiteKernel GP on (F, y), normalised y, 3 restarts, seed 0."""
    d = F.shape[1]
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.ones(d), (1e-2, 1e3)) + WhiteKernel(1e-2, (1e-6, 1e1))
    gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=3, random_state=0)
    with threadpool_limits(1), warnings.catch_warnings():  # tiny matrices: threads only add overhead
        warnings.simplefilter("ignore", ConvergenceWarning)  # length scales at the bound = irrelevant input
        gp.fit(F, y)
    return gp


@dataclass(frozen=True)
class Emulator:
    """A fitted emulator: the GP on ln sigma and what it was fitted to."""

    name: str
    gp: GaussianProcessRegressor
    n: int
    fit_seconds: float

    def predict_ln(self, F: np.ndarray) -> FloatArray:
        """GP mean of ln(sigma / mS cm^-1) at feature rows F."""
        with threadpool_limits(1):
            return np.asarray(self.gp.predict(np.atleast_2d(F)), dtype=float)

    @property
    def noise_sd_ln(self) -> float:
        """Fitted white-noise standard deviation in ln units (scatter between repeat measurements/sources)."""
        white = self.gp.kernel_.k2.noise_level
        return float(np.sqrt(white) * self.gp._y_train_std)


@cache
def emulator(name: str) -> Emulator:
    """The fitted emulator ``name`` ('calisol' or 'peo'); fitted on first use, then cached."""
    F, y, _ = _training(name)
    t0 = time.perf_counter()
    gp = fit_gp(F, y)
    return Emulator(name=name, gp=gp, n=len(y), fit_seconds=time.perf_counter() - t0)


def cross_validate(name: str, k: int = 5, seed: int = 0, by: str = "formulation") -> dict[str, float]:
    """k-fold cross-validated error of emulator ``name``: every fold refits the GP (hyperparameters
    too) without its groups and predicts them. ``by = "formulation"`` groups the measurements of one
    formulation (calisol: composition + molality; peo: anion + r) and assigns groups to k folds by a
    permutation seeded with ``seed``; ``by = "composition"`` (calisol) / ``"source"`` (peo, by DOI)
    leaves one group out at a time (k ignored). Returns rmse_ln, median_rel, n, folds."""
    F, y, groups = _training(name)
    d = load_data(name)
    if by == "formulation":
        unique = np.unique(groups)
        perm = np.random.default_rng(seed).permutation(len(unique))
        fold_of = {unique[p]: i % k for i, p in enumerate(perm)}
        folds = np.array([fold_of[g] for g in groups])
    elif by == "composition" and name == "calisol":
        folds = pd.factorize(d["EC_wfrac"].round(3).astype(str) + "/" + d["DMC_wfrac"].round(3).astype(str))[0]
    elif by == "source" and name == "peo":
        folds = pd.factorize(d["doi"])[0]
    else:
        raise DataError(f"by={by!r} is not available for {name!r}")
    pred = np.empty_like(y)
    for f in np.unique(folds):
        test = folds == f
        gp = fit_gp(F[~test], y[~test])
        with threadpool_limits(1):
            pred[test] = gp.predict(F[test])
    err = pred - y
    return {
        "rmse_ln": float(np.sqrt(np.mean(err**2))),
        "median_rel": float(np.median(np.abs(np.expm1(err)))),
        "n": len(y),
        "folds": len(np.unique(folds)),
    }


# --------------------------------------------------------------------------------------------------
# Labs
# --------------------------------------------------------------------------------------------------


@dataclass
class EmulatorLab(LognormalLab):
    """Base of the emulator labs: exp(GP mean) x multiplicative lognormal noise
    (:class:`~optiform.sim.base.LognormalLab`)."""

    name: ClassVar[str] = ""

    def features(self, X: pd.DataFrame) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def true_value(self, X: pd.DataFrame) -> FloatArray:
        """Noise-free conductivity in mS/cm per row: exp(emulator mean of ln sigma)."""
        return np.exp(emulator(self.name).predict_ln(self.features(X)))


def _numeric(X: pd.DataFrame, name: str, minimum: float = 0.0) -> FloatArray:
    if name not in X.columns:
        raise DataError(f"column {name!r}: missing")
    values: FloatArray = pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise DataError(f"column {name!r}: values must be finite numbers")
    if np.any(values < minimum):
        raise DataError(f"column {name!r}: values must be >= {minimum:g}")
    return values


class CalisolLab(EmulatorLab):
    """LiPF6 in EC/DMC/EMC at 25 °C. Columns: ``EC``, ``DMC``, ``EMC`` (wt% of the solvent, normalised
    by their sum) and ``LiPF6_mol_kg`` (mol per kg of solvent)."""

    name = "calisol"

    def features(self, X: pd.DataFrame) -> np.ndarray:
        ec, dmc, emc = (_numeric(X, k) for k in CALISOL_SOLVENTS)
        total = ec + dmc + emc
        if np.any(total <= 0):
            raise DataError("columns 'EC', 'DMC', 'EMC': their sum must be > 0")
        molality = _numeric(X, CALISOL_MOLALITY)
        return calisol_features(ec / total, emc / total, molality, CALISOL_TEMPERATURE_C)


class PeoLab(EmulatorLab):
    """PEO + LiX at 90 °C. Columns: ``EO`` and ``salt`` (mol%: r = salt / EO = [Li]/[EO]) and
    ``anion`` (one of :data:`PEO_ANIONS`)."""

    name = "peo"

    def features(self, X: pd.DataFrame) -> np.ndarray:
        eo = _numeric(X, "EO")
        salt = _numeric(X, "salt")
        if np.any(eo <= 0) or np.any(salt <= 0):
            raise DataError("columns 'EO' and 'salt': must be > 0 (r = salt / EO)")
        if "anion" not in X.columns:
            raise DataError(f"column 'anion': missing (one of {', '.join(PEO_ANIONS)})")
        anion = X["anion"].to_numpy(dtype=object)
        unknown = sorted({str(a) for a in anion if a not in PEO_ANIONS})
        if unknown:
            raise DataError(f"column 'anion': unknown value(s) {unknown}; expected one of {list(PEO_ANIONS)}")
        return peo_features(salt / eo, anion)


# --------------------------------------------------------------------------------------------------
# Optima of the emulator means within the problems' bounds
# --------------------------------------------------------------------------------------------------


def _calisol_log_sigma(cols: dict[str, np.ndarray]) -> np.ndarray:
    total = cols["EC"] + cols["DMC"] + cols["EMC"]
    F = calisol_features(cols["EC"] / total, cols["EMC"] / total, cols[CALISOL_MOLALITY], CALISOL_TEMPERATURE_C)
    return emulator("calisol").predict_ln(F)


@cache
def _calisol_optimum() -> tuple[tuple[tuple[str, float], ...], float]:
    inequalities = [
        lambda c: 30.0 - (c["EC"] - 0.4 * c["EMC"]),
        lambda c: 2.3 - (c[CALISOL_MOLALITY] + 0.01 * c["EC"]),
    ]
    point, log_value = maximise(
        _calisol_log_sigma,
        CALISOL_BOUNDS,
        {CALISOL_MOLALITY: CALISOL_MOLALITY_BOUNDS},
        inequalities=inequalities,
        popsize=20,
        maxiter=200,
    )
    return tuple(point.items()), float(np.exp(log_value))


def calisol_optimum() -> tuple[dict[str, float], float]:
    """(point, sigma in mS/cm): the emulator mean's maximum within the calisol bounds and constraints,
    by :func:`optiform.sim.landscapes.maximise` (differential evolution + SLSQP). Cached."""
    point, value = _calisol_optimum()
    return dict(point), value


@cache
def _peo_optimum() -> tuple[tuple[tuple[str, Any], ...], float]:
    lo, hi = PEO_BOUNDS["salt"]
    ln_r_lo, ln_r_hi = np.log(lo / (100.0 - lo)), np.log(hi / (100.0 - hi))
    grid = np.linspace(ln_r_lo, ln_r_hi, 2001)
    em = emulator("peo")
    best: tuple[str, float, float] | None = None
    for anion in PEO_ANIONS:
        values = em.predict_ln(peo_features(np.exp(grid), np.full(len(grid), anion)))
        i = int(np.argmax(values))
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
        res = minimize_scalar(
            lambda z, anion=anion: -float(em.predict_ln(peo_features(np.exp([z]), [anion]))[0]),
            bounds=(a, b),
            method="bounded",
            options={"xatol": 1e-10},
        )
        z, v = (float(res.x), -float(res.fun)) if -res.fun >= values[i] else (float(grid[i]), float(values[i]))
        if best is None or v > best[2]:
            best = (anion, z, v)
    assert best is not None
    anion, z, v = best
    r = float(np.exp(z))
    salt = 100.0 * r / (1.0 + r)
    return (("EO", 100.0 - salt), ("salt", salt), ("anion", anion), ("r_Li_per_EO", r)), float(np.exp(v))


def peo_optimum() -> tuple[dict[str, Any], float]:
    """(point, sigma in mS/cm): the emulator mean's maximum over the anions and salt 2-25 mol%
    (per anion: 2001-point grid in ln r, then a bounded scalar polish around the best grid point). Cached."""
    point, value = _peo_optimum()
    return dict(point), value


# --------------------------------------------------------------------------------------------------
# Campaigns and problems
# --------------------------------------------------------------------------------------------------


def calisol_spec() -> dict[str, Any]:
    """The calisol campaign: EC/DMC/EMC wt% of the solvent (1 wt% grid) + LiPF6 molality, at 25 °C."""
    return {
        "version": 1,
        "name": "calisol-lipf6-carbonates",
        "description": "LiPF6 in EC/DMC/EMC at 25 °C: GP emulator of CALiSol-23 measurements (CC BY 4.0)",
        "reference_temperature_C": CALISOL_TEMPERATURE_C,
        "mixture": {
            "unit": "wt%",
            "total": 100.0,
            "resolution": 1.0,
            "components": {k: {"min": lo, "max": hi} for k, (lo, hi) in CALISOL_BOUNDS.items()},
        },
        "parameters": {
            CALISOL_MOLALITY: {
                "min": CALISOL_MOLALITY_BOUNDS[0],
                "max": CALISOL_MOLALITY_BOUNDS[1],
                "resolution": 0.05,
                "unit": "mol/kg",
            }
        },
        "objectives": [{"name": OBJECTIVE, "direction": "maximize"}],
        "constraints": list(CALISOL_CONSTRAINTS),
    }


def peo_spec() -> dict[str, Any]:
    """The peo campaign: EO/salt mol% (r = salt / EO, 0.5 mol% grid) and the anion, at 90 °C."""
    return {
        "version": 1,
        "name": "peo-lix-90C",
        "description": "PEO + LiX at 90 °C: GP emulator of the Schauser et al. 2021 polymer-electrolyte database (MIT)",
        "reference_temperature_C": PEO_TEMPERATURE_C,
        "mixture": {
            "unit": "mol%",
            "total": 100.0,
            "resolution": 0.5,
            "components": {k: {"min": lo, "max": hi} for k, (lo, hi) in PEO_BOUNDS.items()},
        },
        "parameters": {"anion": {"choices": list(PEO_ANIONS)}},
        "objectives": [{"name": OBJECTIVE, "direction": "maximize"}],
    }


def calisol_problem() -> Problem:
    """LiPF6/EC/DMC/EMC at 25 °C, a real-data emulator (3 degrees of freedom)."""
    return Problem(
        name="calisol",
        description="EMULATOR of measured data (CALiSol-23, LiPF6 in EC/DMC/EMC, 25 °C): GP on ln sigma, "
        f"CV RMSE {CALISOL_CV['rmse_ln']:.3f} ln units; EC/DMC/EMC wt% of the solvent + LiPF6 mol/kg",
        spec=calisol_spec(),
        make_lab=lambda seed: CalisolLab(seed=seed),
        optimum_value=calisol_optimum()[1],
        synthetic=False,
    )


def peo_problem() -> Problem:
    """PEO + LiX at 90 °C, a real-data emulator (salt loading + anion)."""
    return Problem(
        name="peo",
        description="EMULATOR of measured data (Schauser et al. 2021, PEO + LiX, 90 °C): GP on ln sigma, "
        f"CV RMSE {PEO_CV['rmse_ln']:.2f} ln units; EO/salt mol% (r = [Li]/[EO]) + anion",
        spec=peo_spec(),
        make_lab=lambda seed: PeoLab(seed=seed),
        optimum_value=peo_optimum()[1],
        synthetic=False,
    )


EMULATORS: dict[str, Callable[[], Problem]] = {"calisol": calisol_problem, "peo": peo_problem}
