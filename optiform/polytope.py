"""Linear-programming geometry on arrays: the polytope of a mixture space and what is computed on it.

A :class:`Polytope` is

    P = {x ∈ R^p : lo <= x <= hi, Σ_{i<k} x_i = total, A x <= b}

(a box, one sum over the first ``k`` coordinates, linear inequalities). Its methods solve the
linear, mixed-integer and quadratic programs the spec's checks and the space's rounding, projection
and sampling need, with scipy's HiGHS (``linprog``, ``milp``) and SLSQP (``minimize``). A lattice
is given per coordinate by a ``scale`` (value = scale·z) and whether z must be an ``integral``
number. Functions here know nothing of campaigns: callers pass arrays and phrase the errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int_]


# scipy.optimize is imported on first use: it takes ~0.3 s, and reading a campaign needs none of it
def linprog(*args: Any, **kwargs: Any) -> Any:
    from scipy.optimize import linprog as solve

    return solve(*args, **kwargs)


def milp(*args: Any, **kwargs: Any) -> Any:
    from scipy.optimize import milp as solve

    return solve(*args, **kwargs)


def minimize(*args: Any, **kwargs: Any) -> Any:
    from scipy.optimize import minimize as solve

    return solve(*args, **kwargs)


def Bounds(*args: Any, **kwargs: Any) -> Any:
    from scipy.optimize import Bounds as bounds

    return bounds(*args, **kwargs)


def LinearRows(*args: Any, **kwargs: Any) -> Any:
    from scipy.optimize import LinearConstraint

    return LinearConstraint(*args, **kwargs)


__all__ = [
    "Polytope",
    "bounded_simplex_gibbs",
    "bounded_simplex_projection",
    "constraint_slack",
    "lattice_box",
]


def constraint_slack(A: Array, b: Array, lo: Array, hi: Array) -> Array:
    """Tolerance on each row of ``A x <= b`` over the box [lo, hi]: 1e-9·max(1, |b_i|, Σ_j |A_ij|·max(|lo_j|, |hi_j|))."""
    size = np.abs(A) @ np.maximum(np.abs(lo), np.abs(hi)) if len(b) else np.zeros(0)
    slack: Array = 1e-9 * np.maximum.reduce([np.ones_like(b), np.abs(b), size])
    return slack


def lattice_box(lo: Array, hi: Array, scale: Array, integral: IntArray) -> tuple[Array, Array]:
    """Bounds of the lattice units z (value = scale·z): integral coordinates rounded inwards (1e-9
    tolerance, as the rounding), the others ``lo/scale``, ``hi/scale``."""
    z_lo: Array = np.where(integral == 1, np.ceil(lo / scale - 1e-9), lo / scale)
    z_hi: Array = np.where(integral == 1, np.floor(hi / scale + 1e-9), hi / scale)
    return z_lo, z_hi


@dataclass(frozen=True, eq=False)
class Polytope:
    """{lo <= x <= hi, Σ_{i<k} x_i = total, A x <= b}; ``A`` (m, p) and ``b`` (m,) may have no rows."""

    lo: Array
    hi: Array
    k: int
    total: float
    A: Array = field(default_factory=lambda: np.zeros((0, 0)))
    b: Array = field(default_factory=lambda: np.zeros(0))

    @property
    def p(self) -> int:
        return len(self.lo)

    @property
    def sum_row(self) -> Array:
        """(p,) the sum's coefficients: 1 on the first k coordinates, 0 after."""
        return np.concatenate([np.ones(self.k), np.zeros(self.p - self.k)])

    def _bounds(self) -> list[tuple[float, float]]:
        return list(zip(self.lo, self.hi))

    def _rows(self) -> tuple[Array | None, Array | None]:
        return (self.A, self.b) if len(self.b) else (None, None)

    # --- linear programs ---------------------------------------------------------------------
    def range_of(self, c: Array) -> tuple[float, float]:
        """Min and max of c·x over the polytope."""
        A_ub, b_ub = self._rows()
        A_eq, b_eq = np.array([self.sum_row]), np.array([self.total])
        out = []
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=self._bounds(), method="highs")
            out.append(sign * float(res.fun))
        return out[0], out[1]

    def is_feasible(self) -> bool:
        """Whether the polytope holds a point."""
        A_ub, b_ub = self._rows()
        res = linprog(
            np.zeros(self.p),
            A_ub=A_ub,
            b_ub=b_ub,
            A_eq=np.array([self.sum_row]),
            b_eq=np.array([self.total]),
            bounds=self._bounds(),
            method="highs",
        )
        return bool(res.status == 0)

    def nearest_l1(self, y: Array) -> Array | None:
        """The point of the polytope nearest ``y`` in L1 (a linear program in x and t >= |x - y|);
        None when the polytope is empty."""
        p = len(y)
        eye = np.eye(p)
        A, b = self.A, self.b
        A_ub = np.vstack([np.hstack([A, np.zeros((len(b), p))]), np.hstack([eye, -eye]), np.hstack([-eye, -eye])])
        b_ub = np.concatenate([b, y, -y])
        A_eq = np.concatenate([self.sum_row, np.zeros(p)])[None, :]
        bounds = [*self._bounds(), *[(0, None)] * p]
        c = np.concatenate([np.zeros(p), np.ones(p)])
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[self.total], bounds=bounds, method="highs")
        if res.status != 0:
            return None
        x: Array = np.clip(res.x[:p], self.lo, self.hi)
        return x

    # --- lattice (mixed-integer programs) ----------------------------------------------------
    def holds_lattice_point(self, scale: Array, integral: IntArray) -> bool:
        """Whether the polytope holds a point of the lattice value = scale·z (z integer where
        ``integral``)."""
        z_lo, z_hi = lattice_box(self.lo, self.hi, scale, integral)
        A_eq = np.array([self.sum_row])
        b_eq = np.array([self.total])
        cons = [LinearRows(self.A * scale, -np.inf, self.b), LinearRows(A_eq * scale, b_eq, b_eq)]
        res = milp(np.zeros(len(scale)), constraints=cons, integrality=integral, bounds=Bounds(z_lo, z_hi))
        return bool(res.status == 0)

    def nearest_lattice_point(self, y: Array, weight: Array, scale: Array, integral: IntArray) -> Array | None:
        """The lattice point (value = scale·z, z integer where ``integral``) of the polytope nearest
        ``y`` in the weighted L1 norm Σ weight·|x - y|: a mixed-integer program in z and t >= |x - y|.
        Returns the values scale·z (integral z exactly whole), or None when no lattice point fits."""
        p = len(y)
        z_lo, z_hi = lattice_box(self.lo, self.hi, scale, integral)
        eye = np.eye(p)
        rows = [
            LinearRows(np.hstack([self.A * scale, np.zeros((len(self.b), p))]), -np.inf, self.b),
            LinearRows(np.hstack([eye * scale, -eye]), -np.inf, y),  # scale·z - t <= y
            LinearRows(np.hstack([-eye * scale, -eye]), -np.inf, -y),  # -scale·z - t <= -y
            LinearRows(np.concatenate([scale[: self.k], np.zeros(2 * p - self.k)])[None, :], self.total, self.total),
        ]
        res = milp(
            np.concatenate([np.zeros(p), weight]),
            constraints=rows,
            integrality=np.concatenate([integral, np.zeros(p, dtype=int)]),
            bounds=Bounds(np.concatenate([z_lo, np.zeros(p)]), np.concatenate([z_hi, np.full(p, np.inf)])),
        )
        if res.status != 0 or res.x is None:
            return None
        z = np.where(integral == 1, np.round(res.x[:p]), np.clip(res.x[:p], z_lo, z_hi))
        values: Array = z * scale
        return values

    # --- Euclidean projection (a quadratic program) ------------------------------------------
    def project(
        self, y: Array, accept: Callable[[Array], bool], lo: Array | None = None, hi: Array | None = None
    ) -> Array | None:
        """argmin ½‖x - y‖² over the polytope (with the box ``lo``, ``hi`` instead of its own when
        given), by SLSQP with analytic derivatives from the clipped point; if that does not
        converge to a point that ``accept`` takes (and that keeps the sum within 1e-9), again from
        the L1-nearest point of the polytope (a linear program), which is returned when SLSQP fails
        there too. None when the polytope is empty."""
        lb = self.lo if lo is None else lo
        ub = self.hi if hi is None else hi
        G, h = self.A, self.b
        e = self.sum_row
        total = self.total
        cons = [{"type": "eq", "fun": lambda x: np.array([e @ x - total]), "jac": lambda x: e[None, :]}]
        if len(h):
            cons.append({"type": "ineq", "fun": lambda x: h - G @ x, "jac": lambda x: -G})

        def solve(start: Array) -> Array | None:
            res = minimize(
                lambda x: 0.5 * float((x - y) @ (x - y)),
                start,
                jac=lambda x: x - y,
                bounds=list(zip(lb, ub)),
                constraints=cons,
                method="SLSQP",
                options={"ftol": 1e-14, "maxiter": 500},
            )
            x: Array = np.clip(res.x, lb, ub)
            ok = accept(x) and abs(e @ x - total) < 1e-9
            return x if res.success and ok else None

        x = solve(np.clip(y, lb, ub))
        if x is None:
            start = Polytope(lb, ub, self.k, total, G, h).nearest_l1(y)
            if start is None:
                return None
            x = solve(start)
            x = start if x is None else x
        return x

    # --- uniform sampling --------------------------------------------------------------------
    def hit_and_run(self, m: int, rng: np.random.Generator, sweeps: int = 40) -> Array | None:
        """``m`` points (m, p) uniform over the polytope: independent hit-and-run chains, each
        making ``sweeps``·p moves along random directions that keep the sum, scaled per coordinate
        by its extent over the polytope (coordinates that cannot move stay fixed). The chains start
        at the average of the 2p points that bound the coordinates (linear programs). None when
        the polytope is empty."""
        k, p = self.k, self.p
        lb, ub = self.lo, self.hi
        A_m, b_m = self.A, self.b
        G = np.vstack([-np.eye(p), np.eye(p), A_m])
        h = np.concatenate([-lb, ub, b_m])
        A_eq = self.sum_row[None, :]
        # each variable's extent over the polytope: directions are scaled by it (an elongated
        # polytope mixes slowly under isotropic directions); the chains start at the mid-range point
        width = np.zeros(p)
        centre = np.zeros(p)
        for j in range(p):
            ends = []
            for sign in (1.0, -1.0):
                cost = np.zeros(p)
                cost[j] = sign
                res = linprog(
                    cost, A_ub=A_m, b_ub=b_m, A_eq=A_eq, b_eq=[self.total], bounds=self._bounds(), method="highs"
                )
                if res.status != 0:
                    return None
                ends.append(res.x)
            width[j] = max(ends[1][j] - ends[0][j], 0.0)
            centre += (ends[0] + ends[1]) / (2 * p)  # average of 2p points of the polytope: inside it
        width[width < 1e-12] = 0.0
        mix_w = width[:k]

        def directions(n: int) -> Array:
            # a symmetric direction law keeps hit-and-run reversible for the uniform distribution
            D = rng.standard_normal((n, p)) * width
            D[:, :k] -= mix_w * D[:, :k].sum(axis=1, keepdims=True) / max(mix_w.sum(), 1e-300)
            unit: Array = D / np.maximum(np.linalg.norm(D, axis=1, keepdims=True), 1e-300)
            return unit

        X = np.tile(centre, (m, 1))
        GT = np.ascontiguousarray(G.T)
        for _ in range(sweeps * max(p, 1)):
            D = directions(m)
            GD = D @ GT
            S = np.maximum(h - X @ GT, 0.0)  # slack of each inequality
            t_hi = np.divide(S, GD, out=np.full_like(S, np.inf), where=GD > 1e-12).min(axis=1)
            t_lo = np.divide(S, GD, out=np.full_like(S, -np.inf), where=GD < -1e-12).max(axis=1)
            ok = np.isfinite(t_hi) & np.isfinite(t_lo) & (t_hi >= t_lo)
            t = np.where(ok, t_lo + (t_hi - t_lo) * rng.random(m), 0.0)
            X += t[:, None] * D
        out: Array = np.clip(X, lb, ub)
        return out


def bounded_simplex_gibbs(
    lo: Array, hi: Array, total: float, m: int, rng: np.random.Generator, sweeps: int = 40
) -> Array:
    """``m`` points (m, k) uniform over {lo <= x <= hi, Σx = total}, for bounds that rejection from
    the simplex cannot handle.

    Each of ``m`` independent chains starts at the point that shares the free amount in proportion
    to each coordinate's range, then makes ``sweeps``·k moves; a move redraws one random pair (i, j)
    uniformly along x_i + x_j = const within both coordinates' bounds (this leaves the uniform
    distribution invariant).
    """
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


def bounded_simplex_projection(V: Array, lo: Array, hi: Array, total: float) -> Array:
    """Rows of V projected onto {lo <= x <= hi, Σx = total}: x = clip(v - τ, lo, hi) with τ where
    the (piecewise-linear, non-increasing) sum crosses ``total``; exact, from the 2k breakpoints."""
    knots = np.sort(np.concatenate([V - hi, V - lo], axis=1), axis=1)  # (b, 2k)
    sums = np.clip(V[:, None, :] - knots[:, :, None], lo, hi).sum(axis=2)  # (b, 2k), non-increasing
    j = np.clip((sums > total).sum(axis=1), 1, knots.shape[1] - 1)  # first knot with sum <= total
    rows = np.arange(len(V))
    t0, t1, s0, s1 = knots[rows, j - 1], knots[rows, j], sums[rows, j - 1], sums[rows, j]
    frac = np.where(s0 > s1, (s0 - total) / np.where(s0 > s1, s0 - s1, 1.0), 0.0)
    tau = t0 + np.clip(frac, 0.0, 1.0) * (t1 - t0)
    out: Array = np.clip(V - tau[:, None], lo, hi)
    return out
