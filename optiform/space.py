"""The search space: a bounded mixture simplex plus continuous and categorical parameters.

Acts on a :class:`~optiform.spec.CampaignSpec`: validates user tables, encodes formulations for
the model, samples space-filling designs, rounds proposals to the lattice and tells when two
formulations are too close to count as different.

Model encoding (``to_model``): each mixture component as a fraction of the total (the fractions sum
to 1: an equality constraint), each continuous parameter scaled to [0, 1] by its bounds, each
categorical parameter one-hot (one 0/1 column per choice).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from .spec import CampaignSpec, ContinuousParameter

SUM_TOLERANCE = 1e-4  # relative to the mixture total
MAX_REJECTION_DRAWS = 2**20  # simplex points tried before tight upper bounds switch to Gibbs moves


class DataError(ValueError):
    """A table (CSV, DataFrame) whose content does not fit the campaign; the message names where."""


@dataclass(frozen=True)
class Space:
    """Behaviour on the variables of a campaign spec (pure: holds no data)."""

    spec: CampaignSpec

    # --- layout ------------------------------------------------------------------------------
    @property
    def components(self) -> list[str]:
        return self.spec.components

    @property
    def continuous(self) -> dict[str, ContinuousParameter]:
        return self.spec.continuous

    @property
    def categorical(self) -> dict[str, list[str]]:
        return {k: p.choices for k, p in self.spec.categorical.items()}

    @property
    def variables(self) -> list[str]:
        """Column order of every formulation table: components, continuous, categorical."""
        return self.components + list(self.continuous) + list(self.categorical)

    @property
    def total(self) -> float:
        return self.spec.mixture.total

    @property
    def step(self) -> float:
        return self.spec.mixture.step

    @property
    def unit(self) -> str:
        return self.spec.mixture.unit

    def component_bounds(self) -> np.ndarray:
        """(k, 2) array of [min, max] per component in the mixture's unit."""
        return np.array([self.spec.mixture.bounds(c) for c in self.components], dtype=float)

    def parameter_step(self, name: str) -> float:
        """A continuous parameter's rounding step (its resolution, else 1/100 of its range)."""
        p = self.continuous[name]
        return p.resolution if p.resolution is not None else (p.max - p.min) / 100.0

    # --- model encoding ----------------------------------------------------------------------
    @property
    def n_model_dims(self) -> int:
        return len(self.components) + len(self.continuous) + sum(map(len, self.categorical.values()))

    @property
    def mixture_dims(self) -> list[int]:
        return list(range(len(self.components)))

    @property
    def onehot_dims(self) -> dict[str, list[int]]:
        """Model columns of each categorical parameter's one-hot block."""
        start = len(self.components) + len(self.continuous)
        out = {}
        for name, choices in self.categorical.items():
            out[name] = list(range(start, start + len(choices)))
            start += len(choices)
        return out

    def categorical_fixings(self) -> list[dict[int, float]]:
        """One {model column: value} dict per combination of categorical choices (for optimizers
        that fix the one-hot columns and optimize the rest)."""
        combos: list[dict[int, float]] = [{}]
        for dims in self.onehot_dims.values():
            combos = [{**c, **{d: float(d == chosen) for d in dims}} for c in combos for chosen in dims]
        return combos

    def model_bounds(self) -> np.ndarray:
        """(2, d) lower/upper bounds in model coordinates."""
        cb = self.component_bounds() / self.total
        n_rest = self.n_model_dims - len(self.components)
        return np.array([[*cb[:, 0], *[0.0] * n_rest], [*cb[:, 1], *[1.0] * n_rest]], dtype=float)

    def to_model(self, df: pd.DataFrame) -> np.ndarray:
        """Encode a formulation table as an (n, d) float array (see module docstring)."""
        cols = [df[c].to_numpy(float) / self.total for c in self.components]
        for name, p in self.continuous.items():
            span = p.max - p.min
            cols.append((df[name].to_numpy(float) - p.min) / span if span > 0 else np.zeros(len(df)))
        for name, choices in self.categorical.items():
            values = df[name].to_numpy(object)
            cols.extend((values == c).astype(float) for c in choices)
        return np.column_stack(cols) if cols else np.zeros((len(df), 0))

    def from_model(self, X: np.ndarray) -> pd.DataFrame:
        """Decode model coordinates to a formulation table (not rounded; one-hot by argmax)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        out: dict[str, object] = {}
        for j, c in enumerate(self.components):
            out[c] = X[:, j] * self.total
        for j, (name, p) in enumerate(self.continuous.items(), start=len(self.components)):
            out[name] = p.min + X[:, j] * (p.max - p.min)
        for (name, choices), dims in zip(self.categorical.items(), self.onehot_dims.values()):
            out[name] = [choices[i] for i in np.argmax(X[:, dims], axis=1)]
        return pd.DataFrame(out)

    # --- validation --------------------------------------------------------------------------
    def validate(self, df: pd.DataFrame, origin: str = "table", rows: list[int] | None = None) -> pd.DataFrame:
        """Check that every row is a formulation of this space; return it in canonical dtypes.

        ``rows`` gives each row's line number in the source file for messages (default: 1-based
        row numbers). Raises :class:`DataError` listing every problem.
        """
        missing = [v for v in self.variables if v not in df.columns]
        if missing:
            raise DataError(f"{origin}: missing column(s) {', '.join(missing)}; expected {', '.join(self.variables)}")
        lines = rows if rows is not None else list(range(1, len(df) + 1))
        problems: list[str] = []
        out = pd.DataFrame(index=df.index)
        numeric = self.components + list(self.continuous)
        for name in numeric:
            values = pd.to_numeric(df[name], errors="coerce")
            for line, raw, v in zip(lines, df[name], values):
                if pd.isna(v) or not math.isfinite(v):
                    problems.append(f"{origin}: line {line}: {name}: expected a number, got {raw!r}")
            out[name] = values.astype(float)
        for name, choices in self.categorical.items():
            values = df[name].astype("string").str.strip()
            for line, v in zip(lines, values):
                if pd.isna(v) or v not in choices:
                    problems.append(f"{origin}: line {line}: {name}: {v!r} is not one of {', '.join(choices)}")
            out[name] = values.astype(object)
        if problems:
            raise DataError("\n".join(problems))
        problems += self._bound_problems(out, origin, lines)
        if problems:
            raise DataError("\n".join(problems))
        return out[self.variables]

    def _bound_problems(self, df: pd.DataFrame, origin: str, lines: list[int]) -> list[str]:
        problems = []
        tol = SUM_TOLERANCE * self.total
        sums = df[self.components].sum(axis=1).to_numpy()
        bounds = self.component_bounds()
        for i, line in enumerate(lines):
            if abs(sums[i] - self.total) > tol:
                parts = " + ".join(f"{df[c].iloc[i]:g}" for c in self.components)
                problems.append(
                    f"{origin}: line {line}: {', '.join(self.components)} sum to {sums[i]:g} ({parts}); "
                    f"expected {self.total:g} {self.unit}"
                )
            for (lo, hi), c in zip(bounds, self.components):
                v = df[c].iloc[i]
                if not lo - tol <= v <= hi + tol:
                    problems.append(f"{origin}: line {line}: {c} = {v:g} {self.unit} outside its bounds [{lo:g}, {hi:g}]")
            for name, p in self.continuous.items():
                v = df[name].iloc[i]
                eps = 1e-9 * max(1.0, abs(p.max - p.min))
                if not p.min - eps <= v <= p.max + eps:
                    problems.append(f"{origin}: line {line}: {name} = {v:g} outside its bounds [{p.min:g}, {p.max:g}]")
        return problems

    # --- rounding ----------------------------------------------------------------------------
    def round(self, df: pd.DataFrame) -> pd.DataFrame:
        """Round to the lattice: mixture to ``resolution`` with the exact total and the bounds kept
        (largest-remainder rounding, which minimises the L1 change), continuous parameters to their
        resolution within bounds."""
        out = df.copy()
        out[self.components] = round_mixture(
            df[self.components].to_numpy(float), self.component_bounds(), self.total, self.step
        )
        for name, p in self.continuous.items():
            out[name] = _round_parameter(df[name].to_numpy(float), p)
        return out

    # --- distances ---------------------------------------------------------------------------
    def too_close(self, a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
        """(len(a), len(b)) bool: a_i lies within one rounding step of b_j in every variable
        (mixture components by ``resolution``, continuous parameters by their step, categorical
        parameters equal)."""
        close = np.ones((len(a), len(b)), dtype=bool)
        if len(a) == 0 or len(b) == 0:
            return close
        checks = [(c, self.step) for c in self.components] + [(p, self.parameter_step(p)) for p in self.continuous]
        for name, step in checks:
            d = np.abs(a[name].to_numpy(float)[:, None] - b[name].to_numpy(float)[None, :])
            close &= d <= step * (1 + 1e-6)
        for name in self.categorical:
            close &= a[name].to_numpy(object)[:, None] == b[name].to_numpy(object)[None, :]
        return close

    def distinct(self, cand: pd.DataFrame, blocked: pd.DataFrame, n: int) -> pd.DataFrame:
        """The first ``n`` rows of ``cand`` (in order) not within one step of ``blocked`` or of each other."""
        cand = cand.drop_duplicates(ignore_index=True)
        free = ~self.too_close(cand, blocked).any(axis=1) if len(blocked) else np.ones(len(cand), bool)
        kept: list[int] = []
        for i in np.flatnonzero(free):
            if kept and self.too_close(cand.iloc[[i]], cand.iloc[kept]).any():
                continue
            kept.append(int(i))
            if len(kept) == n:
                break
        return cand.iloc[kept].reset_index(drop=True)

    def unit_coordinates(self, df: pd.DataFrame) -> np.ndarray:
        """Coordinates scaled to the unit box per variable (categoricals as 0/1 indicators), for
        space-filling distances."""
        bounds = self.component_bounds()
        span = np.maximum(bounds[:, 1] - bounds[:, 0], 1e-12)
        parts = [(df[self.components].to_numpy(float) - bounds[:, 0]) / span]
        for name, p in self.continuous.items():
            parts.append(((df[name].to_numpy(float) - p.min) / max(p.max - p.min, 1e-12))[:, None])
        for name, choices in self.categorical.items():
            parts.append(np.stack([(df[name] == c).to_numpy(float) for c in choices], axis=1) / math.sqrt(2))
        return np.hstack(parts)

    def neighbours(self, row: pd.Series, max_steps: int = 3) -> pd.DataFrame:
        """Lattice points near ``row`` (already rounded): mixture moves of 1..``max_steps`` steps from
        one component to another, and continuous parameters moved by ±1..``max_steps`` steps; all
        within bounds."""
        bounds = self.component_bounds()
        base = row[self.variables]
        out = []
        comps = self.components
        for a, ca in enumerate(comps):
            for b, cb in enumerate(comps):
                if a == b:
                    continue
                for j in range(1, max_steps + 1):
                    delta = j * self.step
                    new_a, new_b = base[ca] - delta, base[cb] + delta
                    if new_a >= bounds[a, 0] - 1e-9 and new_b <= bounds[b, 1] + 1e-9:
                        moved = base.copy()
                        moved[ca], moved[cb] = new_a, new_b
                        out.append(moved)
        for name, p in self.continuous.items():
            step = self.parameter_step(name)
            for j in [*range(1, max_steps + 1), *range(-max_steps, 0)]:
                v = base[name] + j * step
                if p.min - 1e-9 <= v <= p.max + 1e-9:
                    moved = base.copy()
                    moved[name] = v
                    out.append(moved)
        if not out:
            return pd.DataFrame(columns=self.variables)
        return self.round(pd.DataFrame(out).reset_index(drop=True))

    # --- sampling ----------------------------------------------------------------------------
    def sample_uniform(self, n: int, seed: int | None = None, sobol: bool = True) -> pd.DataFrame:
        """``n`` points spread over the bounded simplex x the parameter box (not rounded).

        Mixture: k-1 (quasi-)uniform numbers become a uniform point of the simplex by sorted
        spacings, scaled into the lower-bounded simplex; points that break an upper bound are
        rejected and more drawn. When the upper bounds reject nearly everything (after
        ``MAX_REJECTION_DRAWS`` tries), the missing points come from pairwise Gibbs moves, which are
        uniform over the bounded simplex too but not quasi-random.
        """
        rng = np.random.default_rng(seed)
        k = len(self.components)
        dims = (k - 1) + len(self.continuous) + len(self.categorical)
        bounds = self.component_bounds()
        free = self.total - bounds[:, 0].sum()
        accepted = [np.empty((0, dims + 1))]  # k mixture columns, then one per parameter
        n_have, n_drawn, draw = 0, 0, max(64, 2 * n)
        sampler = qmc.Sobol(d=dims, scramble=True, seed=rng) if sobol and dims > 0 else None

        def unit(m: int) -> np.ndarray:
            return sampler.random(m) if sampler is not None else rng.random((m, dims))

        while n_have < n and n_drawn < MAX_REJECTION_DRAWS:
            m = 2 ** math.ceil(math.log2(min(draw, MAX_REJECTION_DRAWS // 16)))
            U = unit(m)
            mix = bounds[:, 0] + free * _simplex_from_unit(U[:, : k - 1])
            ok = np.all(mix <= bounds[:, 1] + 1e-9, axis=1)
            accepted.append(np.hstack([mix, U[:, k - 1 :]])[ok])
            n_have += int(ok.sum())
            n_drawn += m
            draw *= 2
        if n_have < n:
            m = n - n_have
            U = unit(2 ** math.ceil(math.log2(m)))[:m]
            accepted.append(np.hstack([_bounded_simplex_gibbs(bounds, self.total, m, rng), U[:, k - 1 :]]))
        Z = np.vstack(accepted)[:n]
        out = pd.DataFrame(Z[:, :k], columns=self.components)
        j = k
        for name, p in self.continuous.items():
            out[name] = p.min + Z[:, j] * (p.max - p.min)
            j += 1
        for name, choices in self.categorical.items():
            out[name] = [choices[i] for i in np.minimum((Z[:, j] * len(choices)).astype(int), len(choices) - 1)]
            j += 1
        return out

    def space_filling(
        self, n: int, seed: int | None = None, existing: pd.DataFrame | None = None, pool_factor: int = 4
    ) -> pd.DataFrame:
        """A rounded space-filling design of ``n`` points over the constrained simplex x parameter
        box, never within one step of ``existing`` formulations or of each other.

        The first ``pool_factor·n`` distinct points of a scrambled Sobol sequence form the pool (a
        small pool keeps the design in the interior, as Sobol is); greedy max-min selection from the
        pool then keeps the points away from ``existing`` ones.
        """
        existing = existing if existing is not None else pd.DataFrame(columns=self.variables)
        pool = pd.DataFrame(columns=self.variables)
        for attempt, m in enumerate((64, 512, 4096, 32768)):
            cand = self.round(self.sample_uniform(max(m, 16 * n), seed=seed))
            pool = self.distinct(cand, existing, pool_factor * n)
            if len(pool) >= pool_factor * n:
                break
        if len(pool) < n:
            raise RuntimeError(
                f"only {len(pool)} distinct formulations fit on the lattice away from the {len(existing)} "
                f"already made; lower the resolution or widen the bounds"
            )
        Zc = self.unit_coordinates(pool)
        dmin = np.full(len(pool), np.inf)
        if len(existing):
            Ze = self.unit_coordinates(existing)
            dmin = np.min(np.linalg.norm(Zc[:, None, :] - Ze[None, :, :], axis=2), axis=1)
        chosen: list[int] = []
        for _ in range(n):
            i = 0 if not chosen and not len(existing) else int(np.argmax(dmin))
            chosen.append(i)
            dmin = np.minimum(dmin, np.linalg.norm(Zc - Zc[i], axis=1))
            dmin[i] = -np.inf
        return pool.iloc[chosen].reset_index(drop=True)


def _simplex_from_unit(U: np.ndarray) -> np.ndarray:
    """Map (m, k-1) uniforms in [0,1) to uniform points of the (k-1)-simplex (sorted spacings)."""
    m = U.shape[0]
    edges = np.hstack([np.zeros((m, 1)), np.sort(U, axis=1), np.ones((m, 1))])
    return np.diff(edges, axis=1)


def _bounded_simplex_gibbs(
    bounds: np.ndarray, total: float, m: int, rng: np.random.Generator, sweeps: int = 40
) -> np.ndarray:
    """``m`` points (m, k) uniform over {lo <= x <= hi, sum x = total} (``bounds`` (k, 2)), for bounds
    that rejection from the simplex cannot handle.

    Each of ``m`` independent chains starts at the point that shares the free amount in proportion
    to each component's range, then makes ``sweeps``·k moves; a move redraws one random pair (i, j)
    uniformly along x_i + x_j = const within both components' bounds (this leaves the uniform
    distribution invariant).
    """
    lo, hi = bounds[:, 0], bounds[:, 1]
    k = len(lo)
    span = hi - lo
    share = (total - lo.sum()) / span.sum() if span.sum() > 0 else 0.0
    X = np.tile(lo + share * span, (m, 1))
    rows = np.arange(m)
    for _ in range(sweeps * k):
        i = rng.integers(k, size=m)
        j = (i + rng.integers(1, k, size=m)) % k
        pair = X[rows, i] + X[rows, j]
        a = np.maximum(lo[i], pair - hi[j])
        b = np.minimum(hi[i], pair - lo[j])
        X[rows, i] = a + (b - a) * rng.random(m)
        X[rows, j] = pair - X[rows, i]
    return X


def round_mixture(x: np.ndarray, bounds: np.ndarray, total: float, step: float) -> np.ndarray:
    """Round rows of ``x`` (n, k) to multiples of ``step`` that sum to ``total`` exactly and stay
    within ``bounds`` (k, 2).

    Largest-remainder rounding in integer lattice units: floor (clipped to the bounds), then give
    the missing units to the components with the largest remainders that can take one (or take
    surplus units from the smallest remainders). This minimises sum |r - x| under the constraints.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n_units = int(round(total / step))
    lo = np.ceil(bounds[:, 0] / step - 1e-9).astype(int)
    hi = np.floor(bounds[:, 1] / step + 1e-9).astype(int)
    out = np.empty_like(x)
    for row, xi in enumerate(x):
        u = xi / step
        r = np.clip(np.floor(u + 1e-9).astype(int), lo, hi)
        while (deficit := n_units - int(r.sum())) != 0:
            rem = u - r
            if deficit > 0:
                rem = np.where(r < hi, rem, -np.inf)
                r[int(np.argmax(rem))] += 1
            else:
                rem = np.where(r > lo, rem, np.inf)
                r[int(np.argmin(rem))] -= 1
        out[row] = r
    decimals = _decimals(step)
    return np.round(out * step, decimals)


def _round_parameter(v: np.ndarray, p: ContinuousParameter) -> np.ndarray:
    if p.resolution is None:
        return np.clip(v, p.min, p.max)
    step = p.resolution
    lo = math.ceil(p.min / step - 1e-9) * step
    hi = math.floor(p.max / step + 1e-9) * step
    return np.round(np.clip(np.rint(v / step) * step, lo, hi), _decimals(step))


def _decimals(step: float) -> int:
    """Decimal places that represent multiples of ``step`` exactly enough (step 0.05 -> 2)."""
    for d in range(0, 12):
        if abs(round(step, d) - step) < 1e-12:
            return d + 1
    return 12
