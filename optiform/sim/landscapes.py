"""SYNTHETIC benchmark landscapes: invented conductivity functions with a known optimum (not data).

Nothing here is a measurement or calibrated to one. These landscapes exist so that benchmarks do not
tune optiform to the single landscape of :mod:`optiform.sim.lab`: each one moves a feature that an
optimiser might silently rely on (where the optimum is, how the landscape is shaped, how many
components the mixture has). Never quote their output as a conductivity.

Common conventions
------------------
Mixture columns are wt% and are normalised by their sum, so any total works. With the mass fractions
of the whole mixture written ``m`` (MEMA), ``s`` (SN), ``c`` (salt) and ``g`` (PEGDME), the noise-free
conductivity ``sigma`` is in mS/cm; a lab's ``measure`` multiplies it by ``exp(noise_rel * z)``,
z ~ N(0, 1) from a numpy Generator seeded once per lab (``noise_rel`` = 0.03 by default). No landscape
has a fluid region: every formulation within the bounds is measured (status ``ok``).

(a) ``shifted`` — interior optimum at low SN / high salt (:class:`ShiftedLab`)
    Bounds MEMA 10-70, SN 10-60, salt 5-40 wt%. Two correlated Gaussian bumps::

        sigma = 1.5 * [ exp(-Q1/2) + 0.8 * exp(-Q2/2) + 0.05 ]
        Q_k   = (u^2 - 2 rho_k u v + v^2) / (1 - rho_k^2),  u = (s - s_k) / a_k,  v = (c - c_k) / b_k

    Main bump: s_1 = 0.22, c_1 = 0.30, a_1 = 0.12, b_1 = 0.06, rho_1 = +0.6 (SN and salt trade off
    along a tilted axis). Decoy: s_2 = 0.55, c_2 = 0.12, a_2 = 0.10, b_2 = 0.05, rho_2 = -0.3, 80% as
    high, near the llzt-cse optimum (MEMA:SN:salt ~ 33:55:12), so a prior learnt there misleads.
    Global optimum (interior, no boundary active): see :data:`SHIFTED_OPTIMUM`.

(b) ``ridge`` — a narrow curved ridge (:class:`RidgeLab`)
    Bounds MEMA 10-85, SN 5-75, salt 5-45 wt%. The ridge follows the parabola
    ``c_r(s) = 0.08 + 0.9 (s - 0.10)^2`` from SN-poor/salt-poor to SN-rich/salt-rich::

        d     = (c - c_r(s)) / sqrt(1 + c_r'(s)^2)                (distance across the ridge)
        sigma = 1.2 * [ exp(-((s - 0.42) / 0.16)^2 / 2) * exp(-(d / 0.02)^2 / 2)
                        + 0.15 * exp(-(d / 0.12)^2 / 2) + 0.02 ]

    The ridge is 2 wt% wide (1 sd) across and ~30 wt% long; its direction turns from along SN
    (slope 0) to steeper than 45° (slope 0.9 at the top), so no single pair of axis-aligned length
    scales fits it. A broad, low shoulder (width 12 wt%) leads towards it. Optimum: on the ridge
    near its along-ridge peak, see :data:`RIDGE_OPTIMUM`.

(c) ``four-component`` — MEMA / SN / PEGDME / salt (:class:`FourComponentLab`)
    Bounds MEMA 15-70, SN 0-50, PEGDME 0-40, salt 5-30 wt%, sum 100. With the organic phase
    o = m + s + g, the plasticiser shares p = s/o (SN) and q = g/o (PEGDME), and
    c0 = 0.14 + 0.12 q (PEGDME's ether oxygens dissolve more salt before ion pairing sets in)::

        ln sigma = ln 0.25 + 6.2 p + 5.8 q - 6.0 (p + q)^2 + 4.0 p q       (plasticisers, SN/PEGDME synergy)
                   + 2 [ln(c / c0) + 1 - c / c0]                         (carriers x mobility, peak at c0)

    The plasticiser terms peak at p = 0.35, q = 0.25 (both interior; curvatures -4 and -20 along
    the principal axes) and the salt term at c = c0(q), so no component can be optimised alone.
    See :data:`FOUR_COMPONENT_OPTIMUM`.

Optima
------
Each ``*_OPTIMUM`` constant was computed by :func:`maximise` (differential evolution over the free
mixture coordinates with the last component dependent, penalty for its bounds, then an SLSQP polish
with the bounds as explicit constraints) and is checked in ``tests/test_landscapes.py`` against a
dense random sample of the bounded simplex (no sample above it; the stored point attains it).
These are continuous optima; a 1 wt% lattice may fall slightly short (the ridge most).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution, minimize

from ..errors import DataError
from .base import BoolArray, FloatArray, LognormalLab, lognormal_measurements

OBJECTIVE = "conductivity_mS_cm"
TOTAL = 100.0

# --------------------------------------------------------------------------------------------------
# (a) shifted optimum
# --------------------------------------------------------------------------------------------------

SHIFTED_BOUNDS: dict[str, tuple[float, float]] = {"MEMA": (10.0, 70.0), "SN": (10.0, 60.0), "salt": (5.0, 40.0)}
_SHIFTED_SCALE = 1.5
# (s_k, c_k, a_k, b_k, rho_k, height_k)
_SHIFTED_BUMPS = ((0.22, 0.30, 0.12, 0.06, 0.6, 1.0), (0.55, 0.12, 0.10, 0.05, -0.3, 0.8))
_SHIFTED_FLOOR = 0.05


def correlated_bump(s: FloatArray, c: FloatArray, s0: float, c0: float, a: float, b: float, rho: float) -> FloatArray:
    """exp(-Q/2), Q = (u^2 - 2 rho u v + v^2) / (1 - rho^2), u = (s - s0)/a, v = (c - c0)/b: 1 at (s0, c0)."""
    u = (s - s0) / a
    v = (c - c0) / b
    return np.exp(-0.5 * (u * u - 2.0 * rho * u * v + v * v) / (1.0 - rho * rho))


def shifted_sigma(m: FloatArray, s: FloatArray, c: FloatArray) -> FloatArray:
    """Landscape (a), mS/cm: 1.5 [bump_1 + 0.8 bump_2 + 0.05] over the SN and salt mass fractions."""
    total = _SHIFTED_FLOOR + sum(h * correlated_bump(s, c, s0, c0, a, b, r) for s0, c0, a, b, r, h in _SHIFTED_BUMPS)
    return cast(FloatArray, _SHIFTED_SCALE * total)


# --------------------------------------------------------------------------------------------------
# (b) narrow curved ridge
# --------------------------------------------------------------------------------------------------

RIDGE_BOUNDS: dict[str, tuple[float, float]] = {"MEMA": (10.0, 85.0), "SN": (5.0, 75.0), "salt": (5.0, 45.0)}
_RIDGE_SCALE = 1.2
_RIDGE_C0, _RIDGE_CURV, _RIDGE_S0 = 0.08, 0.9, 0.10  # c_r(s) = c0 + curv (s - s0)^2
_RIDGE_PEAK, _RIDGE_LENGTH = 0.42, 0.16  # along-ridge Gaussian in s
_RIDGE_WIDTH = 0.02  # across the ridge (mass fraction, 1 sd)
_RIDGE_SHOULDER, _RIDGE_SHOULDER_WIDTH = 0.15, 0.12
_RIDGE_FLOOR = 0.02


def ridge_centre(s: FloatArray) -> FloatArray:
    """Salt mass fraction on the ridge crest: c_r(s) = 0.08 + 0.9 (s - 0.10)^2."""
    return _RIDGE_C0 + _RIDGE_CURV * (s - _RIDGE_S0) ** 2


def ridge_distance(s: FloatArray, c: FloatArray) -> FloatArray:
    """Signed distance across the ridge, d = (c - c_r(s)) / sqrt(1 + c_r'(s)^2) (mass-fraction units)."""
    slope = 2.0 * _RIDGE_CURV * (s - _RIDGE_S0)
    return (c - ridge_centre(s)) / np.sqrt(1.0 + slope * slope)


def ridge_sigma(m: FloatArray, s: FloatArray, c: FloatArray) -> FloatArray:
    """Landscape (b), mS/cm: a 2 wt%-wide ridge along c_r(s), peaked along s at 0.42, on a broad shoulder."""
    d = ridge_distance(s, c)
    along = np.exp(-0.5 * ((s - _RIDGE_PEAK) / _RIDGE_LENGTH) ** 2)
    crest = along * np.exp(-0.5 * (d / _RIDGE_WIDTH) ** 2)
    shoulder = _RIDGE_SHOULDER * np.exp(-0.5 * (d / _RIDGE_SHOULDER_WIDTH) ** 2)
    return _RIDGE_SCALE * (crest + shoulder + _RIDGE_FLOOR)


# --------------------------------------------------------------------------------------------------
# (c) four-component mixture
# --------------------------------------------------------------------------------------------------

FOUR_BOUNDS: dict[str, tuple[float, float]] = {
    "MEMA": (15.0, 70.0),
    "SN": (0.0, 50.0),
    "PEGDME": (0.0, 40.0),
    "salt": (5.0, 30.0),
}
_FOUR_SCALE = 0.25
_FOUR_A_SN, _FOUR_A_PEG, _FOUR_CROWD, _FOUR_SYNERGY = 6.2, 5.8, 6.0, 4.0
_FOUR_C0, _FOUR_C0_PEG = 0.14, 0.12


def four_component_sigma(m: FloatArray, s: FloatArray, g: FloatArray, c: FloatArray) -> FloatArray:
    """Landscape (c), mS/cm: plasticiser terms in p = s/o, q = g/o (o = m + s + g) times the salt term
    [(c/c0) exp(1 - c/c0)]^2 with c0 = 0.14 + 0.12 q."""
    o = m + s + g
    p, q = s / o, g / o
    plast = _FOUR_A_SN * p + _FOUR_A_PEG * q - _FOUR_CROWD * (p + q) ** 2 + _FOUR_SYNERGY * p * q
    c0 = _FOUR_C0 + _FOUR_C0_PEG * q
    u = c / c0
    return _FOUR_SCALE * np.exp(plast) * (u * np.exp(1.0 - u)) ** 2


# --------------------------------------------------------------------------------------------------
# Numerical optimum on a bounded simplex (also used by optiform.bench.emulators)
# --------------------------------------------------------------------------------------------------


def maximise(
    log_f: Callable[[dict[str, FloatArray]], FloatArray],
    mixture: Mapping[str, tuple[float, float]],
    parameters: Mapping[str, tuple[float, float]] | None = None,
    total: float = TOTAL,
    inequalities: Sequence[Callable[[dict[str, FloatArray]], FloatArray]] = (),
    seed: int = 12345,
    popsize: int = 30,
    maxiter: int = 400,
) -> tuple[dict[str, float], float]:
    """Maximise ``log_f`` (vectorised over column arrays, e.g. ln sigma) over a mixture summing to
    ``total`` within per-component ``mixture`` bounds, plus box-bounded ``parameters``, subject to
    ``g(cols) >= 0`` for every function in ``inequalities``. Returns (point, log_f at the point).

    Differential evolution over the mixture components but the last (which is ``total`` minus the
    others) and the parameters, with a penalty for the dependent component's bounds and the
    inequalities; then SLSQP from the DE result with those as explicit constraints (kept only if
    feasible and not worse). Deterministic for a given ``seed``.
    """
    parameters = dict(parameters or {})
    names = list(mixture)
    dep = names[-1]
    decision = [*names[:-1], *parameters]
    bounds = [mixture[k] for k in names[:-1]] + [parameters[k] for k in parameters]
    lo_dep, hi_dep = mixture[dep]

    def cols_of(z: FloatArray) -> dict[str, FloatArray]:
        z = z.reshape(len(decision), -1)
        cols = {k: z[i] for i, k in enumerate(decision)}
        cols[dep] = total - sum(cols[k] for k in names[:-1])
        return cols

    def constraint_values(cols: dict[str, FloatArray]) -> FloatArray:
        rows = [cols[dep] - lo_dep, hi_dep - cols[dep], *(np.atleast_1d(g(cols)) for g in inequalities)]
        return np.vstack(rows)

    def violation(cols: dict[str, FloatArray]) -> FloatArray:
        total: FloatArray = np.maximum(-constraint_values(cols), 0.0).sum(axis=0)
        return total

    def safe_log_f(cols: dict[str, FloatArray]) -> FloatArray:
        clipped = dict(cols)
        clipped[dep] = np.clip(cols[dep], lo_dep, hi_dep)
        return np.asarray(log_f(clipped), dtype=float)

    def penalised(z: FloatArray) -> FloatArray:
        cols = cols_of(z)
        return -safe_log_f(cols) + 1.0e3 * violation(cols) / total

    de = differential_evolution(
        penalised,
        bounds,
        seed=seed,
        popsize=popsize,
        maxiter=maxiter,
        tol=1e-12,
        polish=False,
        vectorized=True,
        updating="deferred",
    )
    z0 = np.asarray(de.x, dtype=float)
    res = minimize(
        lambda z: float(-safe_log_f(cols_of(z))[0]),
        z0,
        method="SLSQP",
        bounds=bounds,
        constraints=[{"type": "ineq", "fun": lambda z: constraint_values(cols_of(z))[:, 0]}],
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    z1 = np.clip(np.asarray(res.x, dtype=float), lo, hi)
    ok1 = violation(cols_of(z1))[0] <= 1e-9
    better = float(safe_log_f(cols_of(z1))[0]) >= float(safe_log_f(cols_of(z0))[0])
    z = z1 if ok1 and (better or violation(cols_of(z0))[0] > 1e-9) else z0
    cols = cols_of(z)
    point = {k: float(cols[k][0]) for k in [*names, *parameters]}
    return point, float(safe_log_f(cols)[0])


def sample_simplex(
    mixture: Mapping[str, tuple[float, float]], n: int, seed: int = 0, total: float = TOTAL
) -> pd.DataFrame:
    """``n`` points uniform over {sum = total, lo <= x <= hi}: uniform Dirichlet(1) draws scaled to
    ``total``, rejection of those outside the bounds, repeated until ``n`` are kept."""
    rng = np.random.default_rng(seed)
    names = list(mixture)
    lo = np.array([mixture[k][0] for k in names])
    hi = np.array([mixture[k][1] for k in names])
    kept: list[FloatArray] = []
    have = 0
    while have < n:
        x = rng.dirichlet(np.ones(len(names)), size=max(4 * n, 10_000)) * total
        x = x[np.all((x >= lo) & (x <= hi), axis=1)]
        kept.append(x)
        have += len(x)
    return pd.DataFrame(np.vstack(kept)[:n], columns=names)


# --------------------------------------------------------------------------------------------------
# Labs
# --------------------------------------------------------------------------------------------------


@dataclass
class LandscapeLab(LognormalLab):
    """Base of the synthetic labs: noise-free ``sigma`` x multiplicative lognormal noise
    (:class:`~optiform.sim.base.LognormalLab`)."""

    components: ClassVar[tuple[str, ...]] = ()
    bounds: ClassVar[dict[str, tuple[float, float]]] = {}

    # subclasses: ``_sigma = staticmethod(f)``, f(*fractions) -> noise-free conductivity in mS/cm
    # from mass fractions of the whole mixture (same order as ``components``)
    _sigma: ClassVar[Callable[..., FloatArray]]

    def fractions(self, X: pd.DataFrame) -> list[FloatArray]:
        """Mass fractions of the whole mixture, one array per component (columns normalised by their
        sum). Raises DataError naming a missing, non-numeric, non-finite or negative column."""
        arrays = []
        for name in self.components:
            if name not in X.columns:
                raise DataError(f"column {name!r}: missing (need {', '.join(self.components)})")
            values = pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=float)
            if not np.all(np.isfinite(values)):
                raise DataError(f"column {name!r}: values must be finite numbers")
            if np.any(values < 0):
                raise DataError(f"column {name!r}: wt% must be >= 0")
            arrays.append(values)
        total = np.sum(arrays, axis=0)
        if np.any(total <= 0):
            raise DataError(f"columns {', '.join(self.components)}: their sum must be > 0")
        return [a / total for a in arrays]

    def true_value(self, X: pd.DataFrame) -> FloatArray:
        """Noise-free conductivity in mS/cm per row (never NaN: no landscape has a fluid region)."""
        return np.asarray(self._sigma(*self.fractions(X)), dtype=float)

    @classmethod
    def log_sigma_columns(cls, cols: Mapping[str, FloatArray]) -> FloatArray:
        """ln sigma from column arrays in wt% (used by :func:`maximise`)."""
        total = sum(cols[k] for k in cls.components)
        return np.log(cls._sigma(*(cols[k] / total for k in cls.components)))

    @classmethod
    def compute_optimum(cls) -> tuple[dict[str, float], float]:
        """(point in wt%, sigma in mS/cm) maximising the landscape within :attr:`bounds` (slow: DE)."""
        point, log_value = maximise(cls.log_sigma_columns, cls.bounds)
        return point, float(np.exp(log_value))


class ShiftedLab(LandscapeLab):
    """Landscape (a): interior optimum at low SN / high salt, decoy bump near the llzt-cse optimum."""

    components = ("MEMA", "SN", "salt")
    bounds = SHIFTED_BOUNDS

    _sigma = staticmethod(shifted_sigma)


class RidgeLab(LandscapeLab):
    """Landscape (b): narrow curved ridge through the MEMA/SN/salt ternary."""

    components = ("MEMA", "SN", "salt")
    bounds = RIDGE_BOUNDS

    _sigma = staticmethod(ridge_sigma)


class FourComponentLab(LandscapeLab):
    """Landscape (c): MEMA/SN/PEGDME/salt, two interacting plasticisers."""

    components = ("MEMA", "SN", "PEGDME", "salt")
    bounds = FOUR_BOUNDS

    _sigma = staticmethod(four_component_sigma)


# --------------------------------------------------------------------------------------------------
# Optima (computed by LandscapeLab.compute_optimum; checked in tests/test_landscapes.py)
# --------------------------------------------------------------------------------------------------

# Interior: near the main bump's centre (s = 0.22, c = 0.30), nudged by the decoy's tail.
SHIFTED_OPTIMUM: dict[str, Any] = {
    "point": {"MEMA": 47.99998, "SN": 22.00085, "salt": 29.99917},
    OBJECTIVE: 1.575123,
}
# On the crest at the along-ridge peak s = 0.42 (c_r = 0.17216). Best 1 wt% lattice point:
# 41:42:17, 1.39873 mS/cm (99.6%).
RIDGE_OPTIMUM: dict[str, Any] = {
    "point": {"MEMA": 40.784, "SN": 42.0, "salt": 17.216},
    OBJECTIVE: 1.404,
}
# Interior: p = 0.35, q = 0.25 of the organic phase, c = c0(q) = 0.17. Best 1 wt% lattice point:
# 33:29:21:17, 1.52754 mS/cm.
FOUR_COMPONENT_OPTIMUM: dict[str, Any] = {
    "point": {"MEMA": 33.2, "SN": 29.05, "PEGDME": 20.75, "salt": 17.0},
    OBJECTIVE: 1.527612,
}


# ==================================================================================================
# Problems not shaped like the virtual lab (issue 17, part 2). Their optima are pinned in
# tests/test_problems_new.py and must not change.
# ==================================================================================================

# --------------------------------------------------------------------------------------------------
# (d) narrow-ridge: the ridge of (b), half as wide
# --------------------------------------------------------------------------------------------------
# Why: the default found the 2 wt% ridge in 6 of 20 runs; at 1 wt% (1 sd) across, the crest is
# about one lattice step wide and a model that smooths over it never sees it. Same crest, same
# along-ridge peak and shoulder as (b), so the optimum is the same point and value.
NARROW_RIDGE_WIDTH = _RIDGE_WIDTH / 2.0


def narrow_ridge_sigma(m: FloatArray, s: FloatArray, c: FloatArray) -> FloatArray:
    """Landscape (d), mS/cm: :func:`ridge_sigma` with the crest 1 wt% (1 sd) wide instead of 2."""
    d = ridge_distance(s, c)
    along = np.exp(-0.5 * ((s - _RIDGE_PEAK) / _RIDGE_LENGTH) ** 2)
    crest = along * np.exp(-0.5 * (d / NARROW_RIDGE_WIDTH) ** 2)
    shoulder = _RIDGE_SHOULDER * np.exp(-0.5 * (d / _RIDGE_SHOULDER_WIDTH) ** 2)
    return _RIDGE_SCALE * (crest + shoulder + _RIDGE_FLOOR)


# --------------------------------------------------------------------------------------------------
# (e) ratio-boundary: the optimum on a ratio-shaped pass/fail boundary
# --------------------------------------------------------------------------------------------------
# Why: the paper's optimum (30:50:20) borders the fluid films, and the default keeps far inside the
# solid region. Here the landscape keeps rising past the boundary SN/MEMA = 1.2 (a ray from the
# MEMA corner, not an axis-aligned cut), so the best feasible point lies exactly on it and the
# classifier must learn where it is. Bounds MEMA 10-70, SN 10-70, salt 5-35 wt%; with
# p = s / (m + s) (SN share of the organic phase) and c the salt fraction:
#
#     ln sigma = ln 2.5 - (p - 0.70)^2 / (2 * 0.12^2) + 2 [ln(c / 0.18) + 1 - c / 0.18]
#     solid (measurable) where s <= 1.2 m, i.e. p <= 6/11; elsewhere the film stays fluid.
#
# Optimum: p = 6/11 on the boundary, c = 0.18: MEMA:SN:salt = 37.27:44.73:18, see RATIO_OPTIMUM.
RATIO_BOUNDS: dict[str, tuple[float, float]] = {"MEMA": (10.0, 70.0), "SN": (10.0, 70.0), "salt": (5.0, 35.0)}
RATIO_LIMIT = 1.2  # solid where SN / MEMA <= 1.2
_RATIO_SCALE, _RATIO_P0, _RATIO_PW, _RATIO_C0 = 2.5, 0.70, 0.12, 0.18


def ratio_sigma(m: FloatArray, s: FloatArray, c: FloatArray) -> FloatArray:
    """Landscape (e), mS/cm, ignoring feasibility: rises with the SN share p = s/(m+s) up to 0.70,
    salt term peaked at c = 0.18."""
    p = s / (m + s)
    u = c / _RATIO_C0
    return _RATIO_SCALE * np.exp(-0.5 * ((p - _RATIO_P0) / _RATIO_PW) ** 2) * (u * np.exp(1.0 - u)) ** 2


def ratio_solid(m: FloatArray, s: FloatArray) -> BoolArray:
    """True where the film solidifies (SN <= 1.2 MEMA), False where it stays fluid."""
    return np.asarray(s <= RATIO_LIMIT * m + 1e-12, dtype=bool)


# --------------------------------------------------------------------------------------------------
# (f) eight-component: 8 components and 2 process variables (9 degrees of freedom)
# --------------------------------------------------------------------------------------------------
# Why: every other problem has at most 6 degrees of freedom; a strategy whose length scales or
# initial design only work in low dimension shows it here. Components (mass fractions of the whole
# mixture): MEMA, PEGDMA (crosslinker), SN, PEGDME, EC, FEC, LiTFSI, LiFSI; process: cure
# temperature T (50-90 °C) and cure time t (1-12 h). With c = LiTFSI + LiFSI, o = 1 - c,
# q_SN, q_PEG, q_EC the plasticiser shares of o, r = LiFSI / c and k = PEGDMA / (MEMA + PEGDMA):
#
#     ln sigma = ln 0.3 + 5 q_SN + 4 q_PEG + 5.5 q_EC - 6 (q_SN + q_PEG + q_EC)^2 + 4 q_SN q_PEG
#                + 2 [ln(c / c0) + 1 - c / c0],  c0 = 0.14 + 0.10 (q_PEG + q_EC)   (solvating)
#                - (r - 0.4)^2 / (2 * 0.25^2) - (FEC - 0.04)^2 / (2 * 0.03^2) - (k - 0.2)^2 / (2 * 0.15^2)
#                - (T - T0)^2 / (2 * 8^2),  T0 = 60 + 20 k                        (crosslinker sets the cure)
#                + 0.3 ln t - 0.03 t                                              (peak at t = 10 h)
#
# Optimum: EC at its 20 wt% maximum and no PEGDME (two bounds active), every other share, the
# cure temperature (64 °C = 60 + 20 k, k = 0.2) and time (10 h) interior; see EIGHT_OPTIMUM.
EIGHT_BOUNDS: dict[str, tuple[float, float]] = {
    "MEMA": (10.0, 50.0),
    "PEGDMA": (0.0, 15.0),
    "SN": (0.0, 40.0),
    "PEGDME": (0.0, 30.0),
    "EC": (0.0, 20.0),
    "FEC": (0.0, 10.0),
    "LiTFSI": (0.0, 30.0),
    "LiFSI": (0.0, 20.0),
}
EIGHT_PARAMETERS: dict[str, tuple[float, float]] = {"cure_temperature_C": (50.0, 90.0), "cure_time_h": (1.0, 12.0)}


def eight_log_sigma(x: Mapping[str, FloatArray], temperature_C: FloatArray, time_h: FloatArray) -> FloatArray:
    """Landscape (f): ln sigma (sigma in mS/cm) from mass fractions ``x`` (summing to 1) and the process."""
    c = x["LiTFSI"] + x["LiFSI"]
    o = 1.0 - c
    q_sn, q_peg, q_ec = x["SN"] / o, x["PEGDME"] / o, x["EC"] / o
    plast = 5.0 * q_sn + 4.0 * q_peg + 5.5 * q_ec - 6.0 * (q_sn + q_peg + q_ec) ** 2 + 4.0 * q_sn * q_peg
    c0 = 0.14 + 0.10 * (q_peg + q_ec)
    cc = np.maximum(c, 1e-12)
    salt = 2.0 * (np.log(cc / c0) + 1.0 - cc / c0)
    r = x["LiFSI"] / cc
    k = x["PEGDMA"] / (x["MEMA"] + x["PEGDMA"])
    shares = -0.5 * ((r - 0.4) / 0.25) ** 2 - 0.5 * ((x["FEC"] - 0.04) / 0.03) ** 2 - 0.5 * ((k - 0.2) / 0.15) ** 2
    t0 = 60.0 + 20.0 * k
    process = -0.5 * ((temperature_C - t0) / 8.0) ** 2 + 0.3 * np.log(time_h) - 0.03 * time_h
    return np.asarray(np.log(0.3) + plast + salt + shares + process, dtype=float)


# --------------------------------------------------------------------------------------------------
# Labs and optima of (d)-(f); (g) ``noisy`` is FourComponentLab with noise_rel = 0.10
# --------------------------------------------------------------------------------------------------


class NarrowRidgeLab(LandscapeLab):
    """Landscape (d): the ridge of (b), 1 wt% wide."""

    components = ("MEMA", "SN", "salt")
    bounds = RIDGE_BOUNDS

    _sigma = staticmethod(narrow_ridge_sigma)


@dataclass
class RatioBoundaryLab(LandscapeLab):
    """Landscape (e): films with SN/MEMA > 1.2 stay fluid (status 'failed', 'solid' False, no
    conductivity); ``true_value`` is NaN there."""

    components = ("MEMA", "SN", "salt")
    bounds = RATIO_BOUNDS

    _sigma = staticmethod(ratio_sigma)

    def solid(self, X: pd.DataFrame) -> BoolArray:
        m, s, _ = self.fractions(X)
        return ratio_solid(m, s)

    def true_value(self, X: pd.DataFrame) -> FloatArray:
        """Noise-free conductivity in mS/cm per row, NaN where the film stays fluid."""
        return np.where(self.solid(X), self._sigma(*self.fractions(X)), np.nan)

    def measure(self, X: pd.DataFrame) -> pd.DataFrame:
        """Like :meth:`LognormalLab.measure` (one noise draw per row, fluid or not), plus 'solid';
        fluid films: conductivity NaN, status 'failed', note 'film stayed fluid'."""
        solid = self.solid(X)
        sigma = np.asarray(self._sigma(*self.fractions(X)), dtype=float)
        out = lognormal_measurements(X, sigma, self._rng, self.noise_rel, self.objective)
        out[self.objective] = np.where(solid, out[self.objective], np.nan)
        out["solid"] = solid
        out["status"] = np.where(solid, "ok", "failed")
        out["note"] = np.where(solid, "", "film stayed fluid")
        return out

    @classmethod
    def compute_optimum(cls) -> tuple[dict[str, float], float]:
        """(point in wt%, sigma in mS/cm): the best solid formulation within :attr:`bounds`."""
        point, log_value = maximise(
            cls.log_sigma_columns, cls.bounds, inequalities=[lambda cols: RATIO_LIMIT * cols["MEMA"] - cols["SN"]]
        )
        return point, float(np.exp(log_value))


@dataclass
class EightComponentLab(LognormalLab):
    """Landscape (f): 8 mixture components (wt%, normalised by their sum) and 2 process variables."""

    components: ClassVar[tuple[str, ...]] = tuple(EIGHT_BOUNDS)
    bounds: ClassVar[dict[str, tuple[float, float]]] = EIGHT_BOUNDS

    def true_value(self, X: pd.DataFrame) -> FloatArray:
        """Noise-free conductivity in mS/cm per row (never NaN)."""
        missing = [k for k in (*self.components, *EIGHT_PARAMETERS) if k not in X.columns]
        if missing:
            raise DataError(f"column {missing[0]!r}: missing (need {', '.join((*self.components, *EIGHT_PARAMETERS))})")
        cols = {
            k: pd.to_numeric(X[k], errors="coerce").to_numpy(dtype=float) for k in (*self.components, *EIGHT_PARAMETERS)
        }
        for k, v in cols.items():
            if not np.all(np.isfinite(v)):
                raise DataError(f"column {k!r}: values must be finite numbers")
        return np.exp(self.log_sigma_columns(cols))

    @classmethod
    def log_sigma_columns(cls, cols: Mapping[str, FloatArray]) -> FloatArray:
        """ln sigma from column arrays (mixture in wt%, process in its units; used by :func:`maximise`)."""
        total = sum(cols[k] for k in cls.components)
        x = {k: cols[k] / total for k in cls.components}
        return eight_log_sigma(x, cols["cure_temperature_C"], cols["cure_time_h"])

    @classmethod
    def compute_optimum(cls) -> tuple[dict[str, float], float]:
        """(point: wt% and process values, sigma in mS/cm) maximising (f) within the bounds (slow: DE)."""
        point, log_value = maximise(cls.log_sigma_columns, cls.bounds, EIGHT_PARAMETERS)
        return point, float(np.exp(log_value))


# Optima of (d)-(f) (computed by compute_optimum; pinned in tests/test_problems_new.py)
# (d) The crest at the along-ridge peak, exactly as (b): s = 0.42, c = c_r(0.42) = 0.17216.
NARROW_RIDGE_OPTIMUM: dict[str, Any] = {
    "point": {"MEMA": 40.784, "SN": 42.0, "salt": 17.216},
    OBJECTIVE: 1.404,
}
# (e) On the boundary SN = 1.2 MEMA (p = 6/11) at c = 0.18; the fluid side rises to 2.5 mS/cm.
RATIO_OPTIMUM: dict[str, Any] = {
    "point": {"MEMA": 37.27273, "SN": 44.72727, "salt": 18.0},
    OBJECTIVE: 1.090869,
}
# (f) EC at 20 wt% (its maximum), no PEGDME; k = PEGDMA/(MEMA + PEGDMA) = 0.2, FEC 4 wt%,
# LiFSI/(LiTFSI + LiFSI) = 0.4, cure at 64 °C for 10 h.
EIGHT_OPTIMUM: dict[str, Any] = {
    "point": {
        "MEMA": 35.72019,
        "PEGDMA": 8.93005,
        "SN": 14.75016,
        "PEGDME": 0.0,
        "EC": 20.0,
        "FEC": 4.0,
        "LiTFSI": 9.95977,
        "LiFSI": 6.63984,
        "cure_temperature_C": 64.0,
        "cure_time_h": 10.0,
    },
    OBJECTIVE: 1.416548,
}
NOISY_NOISE_REL = 0.10  # (g) noisy: FourComponentLab(noise_rel=0.10); optimum FOUR_COMPONENT_OPTIMUM
