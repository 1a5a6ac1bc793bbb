"""The search space: a bounded mixture simplex plus continuous and categorical parameters.

Acts on a :class:`~optiform.spec.CampaignSpec`: validates user tables, encodes formulations for
the model, samples space-filling designs, rounds proposals to the lattice and tells when two
formulations are too close to count as different.

Model encoding (``to_model``): each mixture component as a fraction of the total (the fractions sum
to 1: an equality constraint), each continuous parameter scaled to [0, 1] by its bounds, each
categorical parameter one-hot (one 0/1 column per choice).

Known linear constraints (``constraints`` in the campaign file, :class:`LinearConstraint`) cut the
bounded simplex x parameter box down to a polytope. :meth:`Space.satisfies` tests rows against it,
:meth:`Space.model_inequalities` gives it in model coordinates for botorch, :meth:`Space.project`
maps points onto it, and rounding, sampling, neighbours and designs only return points inside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, SpaceExhaustedError, SpecError
from .numbers import parse_number
from .polytope import Polytope, bounded_simplex_gibbs, constraint_slack
from .spec import CampaignSpec, ContinuousParameter, LinearConstraint

__all__ = ["DataError", "LinearConstraint", "Space", "round_mixture"]

SUM_TOLERANCE = 1e-4  # relative to the mixture total
MAX_REJECTION_DRAWS = 2**20  # simplex points tried before rejection gives way to Markov chains (sample_uniform)


@dataclass(frozen=True)
class Space:
    """Behaviour on the variables of a campaign spec (pure: holds no data)."""

    spec: CampaignSpec
    fixed: tuple[tuple[str, float | str], ...] = ()  # parameters held at one value (see restrict)

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
    def fixed_values(self) -> dict[str, float | str]:
        return dict(self.fixed)

    def restrict(self, fixed: Mapping[str, Any] | None) -> Space:
        """The same space with some parameters held at one value (e.g. ``{"framework": "LLZT"}``):
        sampling, rounding, neighbours, model bounds and categorical combinations then keep them,
        while the model encoding (``to_model``) is unchanged, so models fitted on the whole space
        (e.g. on results of every framework) serve the restricted one. Mixture components cannot be
        fixed (fix them with bounds). Raises DataError naming the parameter and what was expected."""
        if not fixed:
            return self
        out: dict[str, float | str] = {}
        for name, value in fixed.items():
            if name in self.categorical:
                choices = self.categorical[name]
                if str(value) not in choices:
                    raise DataError(f"fixed {name}={value!r}: expected one of {', '.join(choices)}")
                out[name] = str(value)
            elif name in self.continuous:
                p = self.continuous[name]
                number, problem = parse_number(value)
                if number is None:
                    raise DataError(f"fixed {name}={value!r}: {problem}")
                v = number
                if not p.min - 1e-9 <= v <= p.max + 1e-9:
                    raise DataError(f"fixed {name}={value!r}: expected a number within [{p.min:g}, {p.max:g}]")
                on_lattice = float(_round_parameter(np.array([v]), p)[0])
                if abs(on_lattice - v) > 1e-9 * max(1.0, abs(v)):
                    raise DataError(f"fixed {name}={value!r}: not on its resolution lattice (nearest {on_lattice:g})")
                out[name] = on_lattice
            else:
                raise DataError(
                    f"fixed: unknown parameter {name!r}; expected one of {', '.join([*self.continuous, *self.categorical])}"
                )
        return replace(self, fixed=tuple(sorted({**self.fixed_values, **out}.items())))

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
        for name, value in self.fixed:
            if name in self.categorical:
                dim = self.onehot_dims[name][self.categorical[name].index(str(value))]
                combos = [c for c in combos if c[dim] == 1.0]
        return combos

    def model_bounds(self) -> np.ndarray:
        """(2, d) lower/upper bounds in model coordinates."""
        cb = self.component_bounds() / self.total
        n_rest = self.n_model_dims - len(self.components)
        bounds = np.array([[*cb[:, 0], *[0.0] * n_rest], [*cb[:, 1], *[1.0] * n_rest]], dtype=float)
        for j, name in enumerate(self.continuous):
            if name in self.fixed_values:  # a held parameter: both bounds at its value
                p = self.continuous[name]
                bounds[:, len(self.components) + j] = (
                    (float(self.fixed_values[name]) - p.min) / (p.max - p.min) if p.max > p.min else 0.0
                )
        return bounds

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
    def validate(
        self,
        df: pd.DataFrame,
        origin: str = "table",
        rows: list[int] | None = None,
        check_constraints: bool = False,
    ) -> pd.DataFrame:
        """Check that every row is a formulation of this space; return it in canonical dtypes.

        ``rows`` gives each row's line number in the source file for messages (default: 1-based
        row numbers). Raises :class:`DataError` listing every problem.

        Known linear constraints are *not* checked by default: recorded data and predictions may lie
        outside them (a lab may have measured a point before the rule was set, and the model can
        predict anywhere in the bounds). ``check_constraints=True`` also rejects rows that break one.
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
        if check_constraints:
            problems += self._constraint_problems(out, origin, lines)
        if problems:
            raise DataError("\n".join(problems))
        return out[self.variables]

    def _constraint_problems(self, df: pd.DataFrame, origin: str, lines: list[int]) -> list[str]:
        """One message per (row, known constraint) it breaks."""
        if not self.constraints:
            return []
        A, b, slack = self._constraint_arrays
        excess = df[self.numeric].to_numpy(float) @ A.T - b  # (n, m), > 0 where broken
        return [
            f'{origin}: line {lines[i]}: breaks the constraint "{self.constraints[j].text}" (by {excess[i, j]:.6g})'
            for i, j in zip(*np.nonzero(excess > slack))
        ]

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
                    problems.append(
                        f"{origin}: line {line}: {c} = {v:g} {self.unit} outside its bounds [{lo:g}, {hi:g}]"
                    )
            for name, p in self.continuous.items():
                v = df[name].iloc[i]
                eps = 1e-9 * max(1.0, abs(p.max - p.min))
                if not p.min - eps <= v <= p.max + eps:
                    problems.append(f"{origin}: line {line}: {name} = {v:g} outside its bounds [{p.min:g}, {p.max:g}]")
        return problems

    # --- stored data outside the space ---------------------------------------------------------
    def absent_value(self, name: str) -> float | str | None:
        """The value of variable ``name`` for a formulation stored before it was added to the
        campaign: 0 for a mixture component, the parameter's ``existing`` value (None: unknown)."""
        if name in self.spec.mixture.components:
            return 0.0
        return self.spec.parameters[name].existing

    def read(self, stored: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
        """Stored formulations (each a dict of variable values) as a table of this space's variables.
        A variable a formulation was stored without takes :meth:`absent_value`; a stored None (a
        literature point that does not give it) is no value (NaN); variables that are no longer in
        the spec are dropped. Numbers as float, categorical values as stored (object)."""
        rows = list(stored)
        out = pd.DataFrame(index=range(len(rows)))
        for v in self.variables:
            absent = self.absent_value(v)
            column = [np.nan if x is None else x for x in (row.get(v, absent) for row in rows)]
            out[v] = np.array(column, dtype=object if v in self.categorical else float)
        return out

    def complete(self, df: pd.DataFrame) -> np.ndarray:
        """(n,) bool: the rows the model can encode: every variable has a value (a finite number,
        a categorical value among its choices). Values outside the bounds are fine: they encode
        outside the model's unit box."""
        ok = np.ones(len(df), dtype=bool)
        for name in self.numeric:
            values = (
                pd.to_numeric(df[name], errors="coerce").to_numpy(float) if name in df else np.full(len(df), np.nan)
            )
            ok &= np.isfinite(values)
        for name, choices in self.categorical.items():
            ok &= df[name].isin(choices).to_numpy() if name in df else False
        return ok

    def outside(self, df: pd.DataFrame) -> list[str]:
        """Per row, why it is not a formulation of this space, '' when it is: the variables without a
        value (``no value for porosity``), categorical values that are not a choice, values beyond
        a bound (``SN = 70 > max 60``), components that do not sum to the total and known constraints
        broken; reasons joined by ``; ``. Bounds are checked with :meth:`validate`'s tolerances."""
        n = len(df)
        reasons: list[list[str]] = [[] for _ in range(n)]
        numeric = {
            name: pd.to_numeric(df[name], errors="coerce").to_numpy(float) if name in df else np.full(n, np.nan)
            for name in self.numeric
        }
        lacking = [[name for name, values in numeric.items() if not math.isfinite(values[i])] for i in range(n)]
        for name in self.categorical:
            column = df[name] if name in df else pd.Series([None] * n)
            for i, value in enumerate(column):
                if _blank_value(value):
                    lacking[i].append(name)
        for i, names in enumerate(lacking):
            if names:
                ordered = [v for v in self.variables if v in names]
                reasons[i].append(f"no value for {', '.join(ordered)}")
        for name, choices in self.categorical.items():
            if name not in df:
                continue
            for i, value in enumerate(df[name]):
                if not _blank_value(value) and value not in choices:
                    reasons[i].append(f"{name} = {value} is not one of {', '.join(choices)}")
        lo, hi = self._numeric_bounds
        k = len(self.components)
        for j, name in enumerate(self.numeric):
            eps = SUM_TOLERANCE * self.total if j < k else 1e-9 * max(1.0, hi[j] - lo[j])
            values = numeric[name]
            for row in np.flatnonzero(values < lo[j] - eps):
                reasons[row].append(f"{name} = {values[row]:g} < min {lo[j]:g}")
            for row in np.flatnonzero(values > hi[j] + eps):
                reasons[row].append(f"{name} = {values[row]:g} > max {hi[j]:g}")
        V = np.column_stack([numeric[name] for name in self.numeric]) if self.numeric else np.zeros((n, 0))
        finite = np.all(np.isfinite(V), axis=1)
        sums = V[:, :k].sum(axis=1)
        for row in np.flatnonzero(finite & (np.abs(sums - self.total) > SUM_TOLERANCE * self.total)):
            reasons[row].append(f"{', '.join(self.components)} sum to {sums[row]:g}, not {self.total:g}")
        if self.constraints and finite.any():
            A, b, slack = self._constraint_arrays
            excess = np.where(finite[:, None], np.nan_to_num(V) @ A.T - b, -np.inf)
            for row, col in zip(*np.nonzero(excess > slack)):
                reasons[row].append(f'breaks "{self.constraints[col].text}"')
        return ["; ".join(r) for r in reasons]

    # --- rounding ----------------------------------------------------------------------------
    def round(self, df: pd.DataFrame) -> pd.DataFrame:
        """Round to the lattice: mixture to ``resolution`` with the exact total and the bounds kept
        (largest-remainder rounding, which minimises the L1 change), continuous parameters to their
        resolution within bounds.

        With known constraints, a row whose rounding breaks one goes instead to the lattice point
        that satisfies them all at the least L1 distance in model coordinates (Σ|Δc|/total over
        components + Σ|Δp|/range over parameters: the quantity the plain rounding minimises), found
        by a small mixed-integer program (scipy's HiGHS). Raises SpecError when no lattice point
        satisfies them (the spec checks this on loading).
        """
        out = self._round_plain(df)
        if not self.constraints or not len(out):
            return out
        broken = np.flatnonzero(~self._within_constraints(out[self.numeric].to_numpy(float)))
        if len(broken):
            Y = df[self.numeric].to_numpy(float)
            fixed = np.array([self._nearest_lattice_point(Y[i]) for i in broken])
            for j, name in enumerate(self.numeric):
                col = out[name].to_numpy(float).copy()
                col[broken] = fixed[:, j]
                out[name] = col
        return out

    def _round_plain(self, df: pd.DataFrame) -> pd.DataFrame:
        """Nearest lattice point per row, ignoring the known linear constraints."""
        out = df.copy()
        out[self.components] = round_mixture(
            df[self.components].to_numpy(float), self.component_bounds(), self.total, self.step
        )
        for name, p in self.continuous.items():
            out[name] = _round_parameter(df[name].to_numpy(float), p)
        return out

    # --- distances ---------------------------------------------------------------------------
    def too_close(self, a: pd.DataFrame, b: pd.DataFrame, steps: float = 1.0) -> np.ndarray:
        """(len(a), len(b)) bool: a_i lies within ``steps`` rounding steps of b_j in every variable
        (mixture components by ``resolution``, continuous parameters by their step, categorical
        parameters equal); ``steps = 0``: the same lattice point."""
        close = np.ones((len(a), len(b)), dtype=bool)
        if len(a) == 0 or len(b) == 0:
            return close
        checks = [(c, self.step) for c in self.components] + [(p, self.parameter_step(p)) for p in self.continuous]
        for name, step in checks:
            d = np.abs(a[name].to_numpy(float)[:, None] - b[name].to_numpy(float)[None, :])
            close &= d <= max(steps, 1e-3) * step * (1 + 1e-6)
        for name in self.categorical:
            close &= a[name].to_numpy(object)[:, None] == b[name].to_numpy(object)[None, :]
        return close

    def distinct(self, cand: pd.DataFrame, blocked: pd.DataFrame, n: int, steps: float = 1.0) -> pd.DataFrame:
        """The first ``n`` rows of ``cand`` (in order) that satisfy the known constraints and lie not
        within ``steps`` rounding steps of ``blocked`` or of each other (``steps = 0``: not on the
        same lattice point)."""
        cand = cand.drop_duplicates(ignore_index=True)
        if self.constraints and len(cand):
            cand = cand[self.satisfies(cand)].reset_index(drop=True)
        free = ~self.too_close(cand, blocked, steps).any(axis=1) if len(blocked) else np.ones(len(cand), bool)
        kept: list[int] = []
        for i in np.flatnonzero(free):
            if kept and self.too_close(cand.iloc[[i]], cand.iloc[kept], steps).any():
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
        within bounds and the known constraints."""
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
            if name in self.fixed_values:
                continue
            step = self.parameter_step(name)
            for j in [*range(1, max_steps + 1), *range(-max_steps, 0)]:
                v = base[name] + j * step
                if p.min - 1e-9 <= v <= p.max + 1e-9:
                    moved = base.copy()
                    moved[name] = v
                    out.append(moved)
        if not out:
            return pd.DataFrame(columns=self.variables)
        moved_df = self._round_plain(pd.DataFrame(out).reset_index(drop=True))
        if self.constraints:  # only lattice points that keep the known constraints
            moved_df = moved_df[self.satisfies(moved_df)].reset_index(drop=True)
        return moved_df

    # --- known linear constraints ------------------------------------------------------------
    @property
    def numeric(self) -> list[str]:
        """Names of the numeric variables: mixture components, then continuous parameters (the
        first ``len(numeric)`` model columns, in this order)."""
        return self.components + list(self.continuous)

    @cached_property
    def constraints(self) -> list[LinearConstraint]:
        """The campaign's known linear constraints, ``Σ coefficients[v]·value[v] <= rhs`` in
        declared units (``>=`` constraints stored negated)."""
        return self.spec.linear_constraints

    @cached_property
    def _parameter_box(self) -> tuple[np.ndarray, np.ndarray]:
        """Continuous parameters' minima and ranges (max - min)."""
        ps = list(self.continuous.values())
        return np.array([p.min for p in ps], dtype=float), np.array([p.max - p.min for p in ps], dtype=float)

    @cached_property
    def _numeric_bounds(self) -> np.ndarray:
        """(2, p) lower/upper bounds of the numeric variables in declared units."""
        lo_p, span_p = self._parameter_box
        cb = self.component_bounds()
        return np.vstack([np.concatenate([cb[:, 0], lo_p]), np.concatenate([cb[:, 1], lo_p + span_p])])

    @cached_property
    def _constraint_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(A (m, p), b (m,), slack (m,)) with ``A @ values <= b`` in declared units; ``slack`` is
        1e-9 of each constraint's magnitude over the bounds (as the spec's feasibility check)."""
        A = np.array([[c.coefficients.get(v, 0.0) for v in self.numeric] for c in self.constraints], dtype=float)
        A = A.reshape(len(self.constraints), len(self.numeric))
        b = np.array([c.rhs for c in self.constraints], dtype=float)
        lo, hi = self._numeric_bounds
        return A, b, constraint_slack(A, b, lo, hi)

    @cached_property
    def _model_constraint_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(A_m (m, p), b_m (m,)) with ``A_m @ x <= b_m`` on the numeric model columns ``x``:
        value = total·x for a component, min + (max - min)·x for a parameter."""
        A, b, _ = self._constraint_arrays
        lo_p, span_p = self._parameter_box
        scale = np.concatenate([np.full(len(self.components), self.total), span_p])
        return A * scale, b - A[:, len(self.components) :] @ lo_p

    def _within_constraints(self, values: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        """(n,) bool: rows of numeric ``values`` (n, p) in declared units keep every known constraint."""
        A, b, slack = self._constraint_arrays
        if not len(b):
            return np.ones(len(values), dtype=bool)
        within: np.ndarray = np.all(values @ A.T <= b + slack * (tol / 1e-9), axis=1)
        return within

    def satisfies(self, df: pd.DataFrame, tol: float = 1e-9) -> np.ndarray:
        """(n,) bool per row: numeric values finite and within their bounds, components summing to
        the total (within ``SUM_TOLERANCE``·total), every known constraint kept, and categorical
        values among their choices (checked when the column is present).

        ``tol`` is relative: bounds allow ``tol``·total for components and ``tol``·max(1, range)
        for parameters, a constraint ``tol``·max(1, |rhs|, Σ|a_v|·max|bound_v|).
        """
        V = df[self.numeric].to_numpy(float) if len(self.numeric) else np.zeros((len(df), 0))
        lo, hi = self._numeric_bounds
        k = len(self.components)
        eps = np.concatenate([np.full(k, tol * self.total), tol * np.maximum(1.0, hi[k:] - lo[k:])])
        with np.errstate(invalid="ignore"):
            ok = np.all(np.isfinite(V), axis=1) & np.all((V >= lo - eps) & (V <= hi + eps), axis=1)
            ok &= np.abs(V[:, :k].sum(axis=1) - self.total) <= SUM_TOLERANCE * self.total
            ok &= self._within_constraints(V, tol)
        for name, choices in self.categorical.items():
            if name in df.columns:
                ok &= df[name].isin(choices).to_numpy()
        out: np.ndarray = ok
        return out

    def model_inequalities(self) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """The known constraints in model coordinates in botorch's ``inequality_constraints``
        convention: ``(indices int64, coefficients float, rhs)`` meaning Σ coef·x[indices] >= rhs.
        A constraint that involves only parameters with a zero range (always kept) is left out."""
        A_m, b_m = self._model_constraint_arrays
        out = []
        for a, b in zip(A_m, b_m):
            idx = np.flatnonzero(a)
            if len(idx):
                out.append((idx.astype(np.int64), -a[idx], float(-b) + 0.0))
        return out

    def project(self, df: pd.DataFrame) -> pd.DataFrame:
        """Each row moved to the nearest point (Euclidean, in model coordinates) that keeps the
        bounds, the mixture total and the known constraints; rows that :meth:`satisfies` already
        come back unchanged, categorical and other columns are kept. Not rounded.

        Solves min ½‖x - y‖² subject to lb <= x <= ub, Σ mixture x = 1, A_m x <= b_m per row by
        SLSQP with analytic derivatives (a strictly convex QP: the minimiser is unique).
        """
        out = df.copy()
        todo = np.flatnonzero(~self.satisfies(df))
        if not len(todo):
            return out
        V = df[self.numeric].to_numpy(float)[todo]
        if not np.all(np.isfinite(V)):
            raise DataError(f"project: rows need finite values in {', '.join(self.numeric)}")
        lb, ub = self.model_bounds()[:, : len(self.numeric)]
        X = np.array([self._qp_project(x, lb, ub) for x in self._to_numeric_model(V)])
        fixed = self._from_numeric_model(X)
        for j, name in enumerate(self.numeric):
            col = out[name].to_numpy(float).copy()
            col[todo] = fixed[:, j]
            out[name] = col
        return out

    def _to_numeric_model(self, V: np.ndarray) -> np.ndarray:
        lo_p, span_p = self._parameter_box
        k = len(self.components)
        safe = np.where(span_p > 0, span_p, 1.0)
        return np.hstack([V[:, :k] / self.total, np.where(span_p > 0, (V[:, k:] - lo_p) / safe, 0.0)])

    def _from_numeric_model(self, X: np.ndarray) -> np.ndarray:
        lo_p, span_p = self._parameter_box
        k = len(self.components)
        return np.hstack([X[:, :k] * self.total, lo_p + X[:, k:] * span_p])

    @cached_property
    def _model_polytope(self) -> Polytope:
        """The numeric model columns' polytope: model bounds, Σ mixture fractions = 1, known constraints."""
        lb, ub = self.model_bounds()[:, : len(self.numeric)]
        A_m, b_m = self._model_constraint_arrays
        return Polytope(lb, ub, len(self.components), 1.0, A_m, b_m)

    def _infeasible(self) -> SpecError:
        return SpecError(f"no point within the bounds keeps the constraints {[c.text for c in self.constraints]}")

    def _qp_project(self, y: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
        """argmin ½‖x - y‖² over lb <= x <= ub, Σ x[:k] = 1, A_m x <= b_m (numeric model columns),
        accepted when the point keeps the known constraints in declared units."""

        def keeps(x: np.ndarray) -> bool:
            return bool(self._within_constraints(self._from_numeric_model(x[None, :]))[0])

        x = self._model_polytope.project(y, keeps, lb, ub)
        if x is None:
            raise self._infeasible()
        return x

    def _nearest_lattice_point(self, y: np.ndarray) -> np.ndarray:
        """The lattice point (mixture on ``resolution`` summing to the total, parameters on their
        resolution) that keeps the bounds and known constraints, nearest ``y`` (declared units) in
        L1 over model coordinates. A mixed-integer program in lattice units z (value = step·z);
        parameters without a resolution stay continuous."""
        k = len(self.components)
        ps = list(self.continuous.values())
        step = np.array([self.step] * k + [p.resolution if p.resolution is not None else 1.0 for p in ps])
        integral = np.array([1] * k + [int(p.resolution is not None) for p in ps])
        lo, hi = self._numeric_bounds
        _, span_p = self._parameter_box
        weight = np.concatenate([np.full(k, 1.0 / self.total), 1.0 / np.where(span_p > 0, span_p, 1.0)])
        A, b, slack = self._constraint_arrays
        found = Polytope(lo, hi, k, self.total, A, b + slack).nearest_lattice_point(y, weight, step, integral)
        if found is None:
            raise SpecError(
                f"no lattice point keeps the bounds and the constraints {[c.text for c in self.constraints]} "
                f"(mixture resolution {self.step:g} {self.unit}); relax them or use a finer resolution"
            )
        values = found
        values[:k] = np.round(values[:k], _decimals(self.step))
        for j, prm in enumerate(ps, start=k):
            if prm.resolution is not None:
                values[j] = np.round(values[j], _decimals(prm.resolution))
        if not self._within_constraints(values[None, :])[0] and not integral.all():
            # a continuous parameter off by HiGHS's feasibility tolerance: project it, lattice fixed
            x = self._to_numeric_model(values[None, :])[0]
            lb, ub = self.model_bounds()[:, : len(y)]
            fix = integral == 1
            x = self._qp_project(x, np.where(fix, x, lb), np.where(fix, x, ub))
            values = np.where(fix, values, self._from_numeric_model(x[None, :])[0])
        return values

    def _hit_and_run(self, m: int, rng: np.random.Generator, sweeps: int = 40) -> np.ndarray:
        """``m`` points (m, p) of numeric values, uniform over the polytope (bounds, mixture total,
        known constraints): hit-and-run chains in model coordinates (:meth:`Polytope.hit_and_run`)."""
        X = self._model_polytope.hit_and_run(m, rng, sweeps)
        if X is None:
            raise self._infeasible()
        return self._from_numeric_model(X)

    # --- sampling ----------------------------------------------------------------------------
    def sample_uniform(self, n: int, seed: int | None = None, sobol: bool = True) -> pd.DataFrame:
        """``n`` points spread over the bounded simplex x the parameter box (not rounded).

        Mixture: k-1 (quasi-)uniform numbers become a uniform point of the simplex by sorted
        spacings, scaled into the lower-bounded simplex; points that break an upper bound are
        rejected and more drawn, as are points that break a known linear constraint. When these
        reject nearly everything (after ``MAX_REJECTION_DRAWS`` tries), the missing points come from
        Markov chains that are uniform over the same region but not quasi-random: pairwise Gibbs
        moves on the bounded simplex, or hit-and-run on the polytope when there are constraints.
        """
        rng = np.random.default_rng(seed)
        k = len(self.components)
        dims = (k - 1) + len(self.continuous) + len(self.categorical)
        bounds = self.component_bounds()
        free = self.total - bounds[:, 0].sum()
        accepted = [np.empty((0, dims + 1))]  # k mixture columns, then one per parameter
        n_have, n_drawn, draw = 0, 0, max(64, 2 * n)
        from scipy.stats import qmc  # deferred: scipy.stats takes ~0.3 s to import

        sampler = qmc.Sobol(d=dims, scramble=True, seed=rng) if sobol and dims > 0 else None

        held = self._held_unit_columns()

        def unit(m: int) -> np.ndarray:
            U = sampler.random(m) if sampler is not None else rng.random((m, dims))
            for j, u in held.items():
                U[:, j] = u
            return U

        while n_have < n and n_drawn < MAX_REJECTION_DRAWS:
            m = 2 ** math.ceil(math.log2(min(draw, MAX_REJECTION_DRAWS // 16)))
            U = unit(m)
            mix = bounds[:, 0] + free * _simplex_from_unit(U[:, : k - 1])
            ok = np.all(mix <= bounds[:, 1] + 1e-9, axis=1)
            if self.constraints:
                lo_p, span_p = self._parameter_box
                values = np.hstack([mix, lo_p + U[:, k - 1 : k - 1 + len(lo_p)] * span_p])
                ok &= self._within_constraints(values)
            accepted.append(np.hstack([mix, U[:, k - 1 :]])[ok])
            n_have += int(ok.sum())
            n_drawn += m
            draw *= 2
        if n_have < n:
            m = n - n_have
            U = unit(2 ** math.ceil(math.log2(m)))[:m]
            if self.constraints:  # hit-and-run on the polytope; parameters back to unit scale
                lo_p, span_p = self._parameter_box
                V = self._hit_and_run(m, rng)
                Up = (V[:, k:] - lo_p) / np.where(span_p > 0, span_p, 1.0)
                accepted.append(np.hstack([V[:, :k], Up, U[:, k - 1 + len(lo_p) :]]))
            else:
                accepted.append(
                    np.hstack([bounded_simplex_gibbs(bounds[:, 0], bounds[:, 1], self.total, m, rng), U[:, k - 1 :]])
                )
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

    def _held_unit_columns(self) -> dict[int, float]:
        """Columns of sample_uniform's unit cube (after the k-1 mixture ones) for held parameters."""
        k = len(self.components)
        out = {}
        for j, (name, p) in enumerate(self.continuous.items()):
            if name in self.fixed_values:
                out[k - 1 + j] = (float(self.fixed_values[name]) - p.min) / (p.max - p.min) if p.max > p.min else 0.0
        for j, (name, choices) in enumerate(self.categorical.items()):
            if name in self.fixed_values:
                out[k - 1 + len(self.continuous) + j] = (choices.index(str(self.fixed_values[name])) + 0.5) / len(
                    choices
                )
        return out

    def space_filling(self, n: int, seed: int | None = None, existing: pd.DataFrame | None = None) -> pd.DataFrame:
        """A rounded space-filling design of ``n`` points over the constrained simplex x parameter
        box, never within one step of ``existing`` formulations or of each other: the first such
        points of a scrambled Sobol sequence (``sample_uniform``, seeded), in sequence order (a
        low-discrepancy prefix, not a max-min pick, which pushes points to the corners and edges).
        Raises :class:`SpaceExhaustedError` when fewer than ``n`` such points fit on the lattice.
        """
        existing = existing if existing is not None else pd.DataFrame(columns=self.variables)
        design = pd.DataFrame(columns=self.variables)
        if n <= 0:
            return design
        for m in (64, 512, 4096, 32768):
            design = self.distinct(self.round(self.sample_uniform(max(m, 16 * n), seed=seed)), existing, n)
            if len(design) == n:
                return design.reset_index(drop=True)
        raise SpaceExhaustedError(
            f"only {len(design)} distinct formulations fit on the lattice away from the {len(existing)} "
            f"already made; lower the resolution or widen the bounds"
        )


def _simplex_from_unit(U: np.ndarray) -> np.ndarray:
    """Map (m, k-1) uniforms in [0,1) to uniform points of the (k-1)-simplex (sorted spacings)."""
    m = U.shape[0]
    edges = np.hstack([np.zeros((m, 1)), np.sort(U, axis=1), np.ones((m, 1))])
    return np.diff(edges, axis=1)


def round_mixture(x: np.ndarray, bounds: np.ndarray, total: float, step: float) -> np.ndarray:
    """Round rows of ``x`` (n, k) to multiples of ``step`` that sum to ``total`` exactly and stay
    within ``bounds`` (k, 2).

    Largest-remainder rounding in integer lattice units: floor (clipped to the bounds), then give
    the missing units to the components with the largest remainders that can take one (or take
    surplus units from the smallest remainders). This minimises sum |r - x| under the constraints.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n_units = round(total / step)
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
        clipped: np.ndarray = np.clip(v, p.min, p.max)
        return clipped
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


def _blank_value(value: Any) -> bool:
    """No value: None, NaN, pd.NA or a blank string."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
