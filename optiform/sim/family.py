"""SYNTHETIC random landscape family: ``family-NNN``, each instance drawn from its number (not data).

Why it is there: the named landscapes are a handful of shapes someone chose; a strategy tuned on
them can still fail on a shape nobody chose. Every instance is a different mixture (3 to 6
components with random bounds), with 0 to 2 continuous process variables and 2 to 4 optima of
random height, width and place, one of them narrow and the highest bump: "one narrow high
optimum among broad ones", the case strategies miss. Tune on ``family-000`` ... ``family-019``;
report on ``family-100`` ... ``family-119``.

Definition (the draws ARE the definition: instance ``n`` is what ``numpy.random.default_rng(n)``
yields through :func:`family_definition`, in that order; changing any draw changes every instance)
--------------------------------------------------------------------------------------------------
- components ``X1`` ... ``Xk``, k = integers(3, 7); wt%, total 100, resolution 1. Per component
  lo = floor(uniform(0, 40 / k)) and hi = min(100, lo + ceil(uniform(20, 90))), redrawn until
  sum(hi) >= 130 (so the bounded simplex is never a sliver); sum(lo) <= 40 by construction.
- process variables, p = integers(0, 3): ``cure_temperature_C`` (lo = integers(20, 61), span =
  integers(20, 61), resolution 1) then ``cure_time_h`` (lo = 0.5 integers(1, 9), span =
  0.5 integers(8, 49), resolution 0.5).
- optima, b = integers(2, 5) Gaussian bumps in the coordinates z = (mass fractions x_1..x_k,
  process variables scaled to [0, 1]); the plain simplex coordinates are isometric, so a width
  means the same in every direction. Bump 1 is narrow and the highest: height 1, width
  uniform(0.015, 0.035). Each other bump is narrow with probability 0.3 (width uniform(0.015,
  0.035)), else broad (width uniform(0.06, 0.2)); its height is uniform(0.45, 0.9). Centres: mass
  fractions uniform over the bounded simplex (:func:`sample_bounded_simplex`), process coordinates
  uniform(0.1, 0.9); a set of centres closer than 0.15 (Euclidean, in z) to each other is redrawn.
- scale = uniform(0.5, 5) mS/cm; floor 0.05::

      sigma(z) = scale * [0.05 + sum_j h_j exp(-|z - c_j|^2 / (2 w_j^2))]       (mS/cm, > 0)

- measurement: sigma x exp(0.03 u), u ~ N(0, 1) (:class:`~optiform.sim.base.LognormalLab`).

Optimum (:func:`family_optimum`): dense search, no cache on disk - 20 000 points uniform over the
space (seeded ``(number, 1)``) plus the bump centres, SLSQP (sum constraint, bounds) from the
centres and the 16 best sample points, the best kept. Deterministic; well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from ..errors import DataError
from .base import FloatArray, LognormalLab

OBJECTIVE = "conductivity_mS_cm"
TOTAL = 100.0
PROCESS_NAMES = ("cure_temperature_C", "cure_time_h")
FAMILY_FLOOR = 0.05
NARROW_WIDTH = (0.015, 0.035)  # 1 sd, in mass fraction (and in process range) units
BROAD_WIDTH = (0.06, 0.2)
MIN_SEPARATION = 0.15


@dataclass(frozen=True)
class Bump:
    """One optimum: ``centre`` in z (mass fractions, then process coordinates in [0, 1]), ``width``
    (1 sd, same units), ``height`` (relative, the highest is 1)."""

    centre: tuple[float, ...]
    width: float
    height: float

    @property
    def narrow(self) -> bool:
        return self.width <= NARROW_WIDTH[1]


@dataclass(frozen=True)
class FamilyDefinition:
    """One instance: mixture ``bounds`` (wt%), process ``parameters`` (bounds, resolution), the
    ``bumps`` and the ``scale`` in mS/cm; see the module docstring."""

    number: int
    bounds: dict[str, tuple[float, float]]
    parameters: dict[str, tuple[float, float, float]]  # name -> (min, max, resolution)
    bumps: tuple[Bump, ...]
    scale: float

    @property
    def components(self) -> list[str]:
        return list(self.bounds)

    def sigma_z(self, z: FloatArray) -> FloatArray:
        """Noise-free sigma in mS/cm at rows of z (n x (k + p))."""
        z = np.atleast_2d(z)
        total = np.full(len(z), FAMILY_FLOOR)
        for b in self.bumps:
            d2 = np.sum((z - np.asarray(b.centre)) ** 2, axis=1)
            total = total + b.height * np.exp(-0.5 * d2 / b.width**2)
        return np.asarray(self.scale * total, dtype=float)

    def z_of(self, X: pd.DataFrame) -> FloatArray:
        """z from a frame with the component columns (wt%, normalised by their sum) and the process
        columns (in their units). Raises DataError naming a missing or bad column."""
        cols = []
        for name in [*self.bounds, *self.parameters]:
            if name not in X.columns:
                raise DataError(f"column {name!r}: missing (need {', '.join([*self.bounds, *self.parameters])})")
            values = pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=float)
            if not np.all(np.isfinite(values)):
                raise DataError(f"column {name!r}: values must be finite numbers")
            cols.append(values)
        k = len(self.bounds)
        x = np.column_stack(cols[:k])
        if np.any(x < 0):
            raise DataError(f"columns {', '.join(self.bounds)}: wt% must be >= 0")
        s = x.sum(axis=1, keepdims=True)
        if np.any(s <= 0):
            raise DataError(f"columns {', '.join(self.bounds)}: their sum must be > 0")
        u = [(c - lo) / (hi - lo) for c, (lo, hi, _) in zip(cols[k:], self.parameters.values(), strict=True)]
        return np.column_stack([x / s, *u]) if u else x / s

    def frame_of(self, z: FloatArray) -> pd.DataFrame:
        """The inverse of :meth:`z_of`: wt% columns and process columns in their units."""
        z = np.atleast_2d(z)
        k = len(self.bounds)
        data = {name: TOTAL * z[:, i] for i, name in enumerate(self.bounds)}
        for j, (name, (lo, hi, _)) in enumerate(self.parameters.items()):
            data[name] = lo + (hi - lo) * z[:, k + j]
        return pd.DataFrame(data)


def sample_bounded_simplex(lo: FloatArray, hi: FloatArray, n: int, rng: np.random.Generator) -> FloatArray:
    """``n`` points uniform over {sum x = 1, lo <= x <= hi} (fractions): lo + (1 - sum lo) x
    Dirichlet(1), rejecting those above ``hi``, repeated until ``n`` are kept."""
    free = 1.0 - float(np.sum(lo))
    kept: list[FloatArray] = []
    have = 0
    while have < n:
        x = lo + free * rng.dirichlet(np.ones(len(lo)), size=max(2 * n, 1000))
        x = x[np.all(x <= hi, axis=1)]
        kept.append(x)
        have += len(x)
    return np.vstack(kept)[:n]


def family_definition(number: int) -> FamilyDefinition:
    """Instance ``number`` (>= 0) of the family, drawn from ``numpy.random.default_rng(number)``."""
    if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or number < 0:
        raise DataError(f"family number: expected an integer >= 0, got {number!r}")
    rng = np.random.default_rng(int(number))
    k = int(rng.integers(3, 7))
    n_process = int(rng.integers(0, 3))
    n_bumps = int(rng.integers(2, 5))
    while True:
        lo = np.floor(rng.uniform(0.0, 40.0 / k, k))
        hi = np.minimum(100.0, lo + np.ceil(rng.uniform(20.0, 90.0, k)))
        if hi.sum() >= 130.0:
            break
    bounds = {f"X{i + 1}": (float(lo[i]), float(hi[i])) for i in range(k)}
    parameters: dict[str, tuple[float, float, float]] = {}
    if n_process >= 1:
        t0 = float(rng.integers(20, 61))
        parameters[PROCESS_NAMES[0]] = (t0, t0 + float(rng.integers(20, 61)), 1.0)
    if n_process >= 2:
        h0 = 0.5 * float(rng.integers(1, 9))
        parameters[PROCESS_NAMES[1]] = (h0, h0 + 0.5 * float(rng.integers(8, 49)), 0.5)
    widths = [float(rng.uniform(*NARROW_WIDTH))]
    heights = [1.0]
    for _ in range(n_bumps - 1):
        narrow = bool(rng.uniform() < 0.3)
        widths.append(float(rng.uniform(*(NARROW_WIDTH if narrow else BROAD_WIDTH))))
        heights.append(float(rng.uniform(0.45, 0.9)))
    while True:
        x = sample_bounded_simplex(lo / TOTAL, hi / TOTAL, n_bumps, rng)
        u = rng.uniform(0.1, 0.9, (n_bumps, n_process))
        centres = np.hstack([x, u])
        gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(n_bumps) for j in range(i)]
        if min(gaps) >= MIN_SEPARATION:
            break
    scale = float(rng.uniform(0.5, 5.0))
    bumps = tuple(Bump(tuple(float(v) for v in centres[j]), widths[j], heights[j]) for j in range(n_bumps))
    return FamilyDefinition(int(number), bounds, parameters, bumps, scale)


@lru_cache(maxsize=256)
def family_optimum(number: int) -> tuple[dict[str, float], float]:
    """(point: wt% and process values, sigma in mS/cm) maximising instance ``number`` over its space
    by dense search (module docstring). Cached in memory only."""
    d = family_definition(number)
    k = len(d.bounds)
    lo = np.array([b[0] for b in d.bounds.values()]) / TOTAL
    hi = np.array([b[1] for b in d.bounds.values()]) / TOTAL
    p = len(d.parameters)
    rng = np.random.default_rng((int(number), 1))
    sample = np.hstack([sample_bounded_simplex(lo, hi, 20_000, rng), rng.uniform(0.0, 1.0, (20_000, p))])
    values = d.sigma_z(sample)
    starts = [np.asarray(b.centre) for b in d.bumps] + list(sample[np.argsort(values)[::-1][:16]])
    box = [(float(a), float(b)) for a, b in zip(lo, hi, strict=True)] + [(0.0, 1.0)] * p
    best_z, best = sample[int(np.argmax(values))], float(values.max())
    for z0 in starts:
        res = minimize(
            lambda z: -float(np.log(d.sigma_z(z)[0])),
            np.clip(z0, [b[0] for b in box], [b[1] for b in box]),
            method="SLSQP",
            bounds=box,
            constraints=[{"type": "eq", "fun": lambda z: float(np.sum(z[:k]) - 1.0)}],
            options={"ftol": 1e-14, "maxiter": 500},
        )
        z = np.clip(np.asarray(res.x, dtype=float), [b[0] for b in box], [b[1] for b in box])
        if abs(np.sum(z[:k]) - 1.0) > 1e-9:
            continue
        v = float(d.sigma_z(z)[0])
        if v > best:
            best_z, best = z, v
    row = d.frame_of(best_z).iloc[0]
    return {name: float(row[name]) for name in row.index}, best


@dataclass
class FamilyLab(LognormalLab):
    """The lab of one family instance: noise-free :meth:`FamilyDefinition.sigma_z` x lognormal
    noise (3%); every formulation is measured."""

    number: int = 0
    definition: FamilyDefinition = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.definition = family_definition(self.number)

    def true_value(self, X: pd.DataFrame) -> FloatArray:
        """Noise-free conductivity in mS/cm per row (never NaN)."""
        return self.definition.sigma_z(self.definition.z_of(X))


def make_family_lab(number: int, seed: int) -> FamilyLab:
    """``FamilyLab(seed=seed, number=number)`` (module level, so a partial of it pickles)."""
    return FamilyLab(seed=seed, number=number)


def family_bounds(number: int) -> Mapping[str, tuple[float, float]]:
    """The mixture bounds of instance ``number`` in wt%."""
    return dict(family_definition(number).bounds)
