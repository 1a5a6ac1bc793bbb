"""The paper's way: a regular grid over the mixture at a chosen step, the other variables fixed.

Grid points are the compositions whose every component is a multiple of ``step`` (in the mixture's
unit) within its bounds and that sum exactly to the total; points that break a known linear
constraint are dropped. Every other variable is held at one value (option ``fixed``; defaults: a
continuous parameter's midpoint, (min + max)/2 rounded to its resolution; a categorical parameter's
first choice).

A batch is the grid points not yet made (none within one rounding step of an existing or pending
formulation), chosen greedily max-min distant (in unit coordinates, see
:meth:`Space.unit_coordinates`) from the existing, pending and already chosen formulations, so
that a partial grid is spread out. With nothing made yet the first point is drawn at random with
the proposal's seed; ties are broken in a seeded random order. When fewer grid points are left than
asked for, :class:`GridExhaustedError` is raised.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import GridExhaustedError, StrategyError
from ..space import Space
from ..spec import GridOptions
from ..spec.strategy import DEFAULT_GRID_STEP
from .base import ProposalContext, Strategy, blocked_points

DEFAULT_STEP = DEFAULT_GRID_STEP  # in the mixture's unit (10 wt%: the paper's grid)
MAX_GRID_POINTS = 200_000  # a finer grid is an error: raise the step


class GridStrategy(Strategy):
    """A regular mixture grid; options (:class:`~optiform.spec.GridOptions`) ``step`` (mixture
    unit, default 10) and ``fixed`` (variable -> value for the variables that are not mixture
    components)."""

    name = "grid"
    options_model = GridOptions
    options: GridOptions

    def __init__(self, options: GridOptions | None = None, /, **values: Any) -> None:
        super().__init__(options, **values)
        self.step = float(self.options.step)
        self.fixed = dict(self.options.fixed or {})

    # --- the grid ------------------------------------------------------------------------------
    def fixed_values(self, space: Space) -> dict[str, Any]:
        """The value of every non-mixture variable on the grid (option ``fixed`` over the defaults),
        rounded to its resolution."""
        unknown = [k for k in self.fixed if k not in space.variables]
        if unknown:
            raise StrategyError(
                f"strategy.options.fixed: unknown variable(s) {', '.join(unknown)}; "
                f"expected some of {', '.join(v for v in space.variables if v not in space.components) or 'none'}"
            )
        gridded = [k for k in self.fixed if k in space.components]
        if gridded:
            raise StrategyError(f"strategy.options.fixed: {', '.join(gridded)} are mixture components, set by the grid")
        values: dict[str, Any] = {}
        for name, p in space.continuous.items():
            v = self.fixed.get(name, (p.min + p.max) / 2)
            if not (isinstance(v, (int, float)) and not isinstance(v, bool) and p.min <= v <= p.max):
                raise StrategyError(
                    f"strategy.options.fixed.{name}: expected a number in [{p.min:g}, {p.max:g}], got {v!r}"
                )
            values[name] = float(v)
        for name, choices in space.categorical.items():
            v = self.fixed.get(name, choices[0])
            if v not in choices:
                raise StrategyError(f"strategy.options.fixed.{name}: {v!r} is not one of {', '.join(choices)}")
            values[name] = v
        return values

    def points(self, space: Space) -> pd.DataFrame:
        """Every grid point within the bounds and known constraints (variable columns, mixture in
        its unit summing exactly to the total, other variables at :meth:`fixed_values`)."""
        units = self._mixture_units(space)
        table = pd.DataFrame(units * self.step, columns=space.components)
        for name, value in self.fixed_values(space).items():
            table[name] = [value] * len(table)
        rounded = space.round(table)[space.variables]  # exact lattice values; fixed parameters rounded
        # rounding moves a point that breaks a known constraint to a feasible one: drop those points
        moved = np.abs(rounded[space.components].to_numpy(float) - table[space.components].to_numpy(float))
        rounded = rounded[np.all(moved < 1e-9 * space.total, axis=1)]
        return rounded[space.satisfies(rounded)].reset_index(drop=True)

    def _mixture_units(self, space: Space) -> np.ndarray:
        """(m, k) integer compositions in grid units: lo_i <= u_i <= hi_i, sum u = total/step."""
        ratio = self.step / space.step
        if abs(ratio - round(ratio)) > 1e-9 * ratio or round(ratio) < 2:
            raise StrategyError(
                f"strategy.options.step: {self.step:g} {space.unit} must be a multiple of mixture.resolution "
                f"({space.step:g}) and at least twice it (neighbours one resolution step apart count as the same "
                f"formulation)"
            )
        n_units = space.total / self.step
        if abs(n_units - round(n_units)) > 1e-9 * n_units:
            raise StrategyError(f"strategy.options.step: {self.step:g} must divide mixture.total ({space.total:g})")
        bounds = space.component_bounds()
        lo = np.ceil(bounds[:, 0] / self.step - 1e-9).astype(int)
        hi = np.floor(bounds[:, 1] / self.step + 1e-9).astype(int)
        rows = np.zeros((1, 0), dtype=int)
        remaining_lo = np.append(np.cumsum(lo[::-1])[::-1], 0)  # sum of lo over components i..k-1
        remaining_hi = np.append(np.cumsum(hi[::-1])[::-1], 0)
        target = round(n_units)
        for i in range(len(lo)):
            used = rows.sum(axis=1)
            new = []
            for u in range(lo[i], hi[i] + 1):
                left = target - used - u  # still to share among components i+1..k-1
                ok = (left >= remaining_lo[i + 1]) & (left <= remaining_hi[i + 1])
                if ok.any():
                    new.append(np.column_stack([rows[ok], np.full(int(ok.sum()), u)]))
            rows = np.vstack(new) if new else np.zeros((0, i + 1), dtype=int)
            if len(rows) > MAX_GRID_POINTS:
                raise StrategyError(
                    f"strategy.options.step: a {self.step:g} {space.unit} grid has over {MAX_GRID_POINTS} points; "
                    f"choose a larger step"
                )
        return rows

    # --- proposing -----------------------------------------------------------------------------
    def propose(self, n: int, ctx: ProposalContext) -> pd.DataFrame:
        space = ctx.space
        grid = self.points(space)
        blocked = blocked_points(ctx)
        free = grid[~space.too_close(grid, blocked).any(axis=1)] if len(blocked) else grid
        if len(free) < n:
            raise GridExhaustedError(
                f"the {self.step:g} {space.unit} grid has {len(grid)} points within the bounds, {len(free)} not yet "
                f"made or pending; {n} asked for"
            )
        order = np.random.default_rng(ctx.seed).permutation(len(free))  # seeded tie-breaking
        free = free.iloc[order].reset_index(drop=True)
        return free.iloc[self._max_min(space, free, blocked, n)].reset_index(drop=True)

    @staticmethod
    def _max_min(space: Space, free: pd.DataFrame, blocked: pd.DataFrame, n: int) -> list[int]:
        """Greedy max-min selection of ``n`` rows of ``free`` away from ``blocked`` and each other."""
        Z = space.unit_coordinates(free)
        dmin = np.full(len(free), np.inf)
        if len(blocked):
            Zb = space.unit_coordinates(blocked[space.variables])
            dmin = np.min(np.linalg.norm(Z[:, None, :] - Zb[None, :, :], axis=2), axis=1)
        chosen: list[int] = []
        for _ in range(n):
            i = int(np.argmax(dmin))  # all inf at the start: the first of the seeded order
            chosen.append(i)
            dmin = np.minimum(dmin, np.linalg.norm(Z - Z[i], axis=1))
            dmin[i] = -np.inf
        return chosen
