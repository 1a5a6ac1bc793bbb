"""Maps of a model's prediction over the mixture: a ternary map, or a line for two components.

:func:`plot_mixture` draws, in the objective's own units, one row of two panels per objective:

* with three plotted components (a 3-component mixture, or ``axes`` naming three of more): two
  ternary heatmaps (python-ternary), the predicted **median** and the **uncertainty** — for a
  log-modelled objective the factor f = √(q95/q05) (the 90 % interval is median ×/÷ f), otherwise
  the interval's width q95 - q05 — over the part of the triangle inside the components' bounds.
  The view is the smallest triangle around the bounded region (:func:`zoomed_view`; ``full`` for
  the whole triangle); outside the bounds it is grey and hatched and nothing is predicted.
* with two components: the predicted median with its 90 % band against the first component (the
  second is the rest of the total), and the uncertainty beside it, over the bounded range.

Every variable that is not on the plotted axes is held at the value given in ``fixed`` (the slice);
the figure states these values. Measured formulations are drawn by their distance from the slice
(:func:`slice_distance`): on it (every held variable within 2 % of its range) coloured by their
value on the median's colour scale, which covers them, near it (within 15 %) faded, elsewhere
hollow; the legend counts each. Failures are grey crosses, the best measured one is ringed, the
pending proposals are open diamonds whose labels are placed where they overlap nothing (or left
out, and named). Colours are colour-blind safe (viridis; Okabe-Ito accents).

Orientation (python-ternary's convention): a grid key ``(i, j, k)`` with ``i + j + k = scale`` is
the composition ``origin + (i, j, k) / scale * side`` of ``axes = [A, B, C]`` (:class:`TernaryView`;
the full triangle has ``origin = 0``, ``side = rest``). ``A`` is read on the bottom axis (its
corner is bottom right), ``B`` on the right axis (top corner), ``C`` on the left axis (bottom-left
corner); ``rest`` is the mixture total less the held components.

The figures are plain :class:`matplotlib.figure.Figure` objects (never registered with pyplot), so
no backend is switched, nothing needs closing and nothing leaks when called from a notebook.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import ternary
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.ticker import FormatStrFormatter, LogLocator, MaxNLocator, NullFormatter
from matplotlib.transforms import blended_transform_factory
from numpy.typing import ArrayLike
from ternary.helpers import project_point, simplex_iterator

from .. import spec as _spec
from ..errors import DataError
from ..space import Space
from ..spec import ContinuousParameter, ObjectiveSpec

__all__ = [
    "ALLOWED_SUFFIXES",
    "bounds_polygon",
    "grid_compositions",
    "key_to_composition",
    "mixture_figure",
    "objective_label",
    "plot_mixture",
    "plot_ternary",
    "resolve_axes",
]

Predict = Callable[[pd.DataFrame], pd.DataFrame]
Feasible = tuple[str, Callable[[pd.DataFrame], np.ndarray]]  # (outcome name, P(pass) of a table)
ALLOWED_SUFFIXES = (".png", ".svg", ".pdf")
DPI = 150
MEDIAN_CMAP = "viridis"
WIDTH_CMAP = "YlOrRd"
FEASIBLE_COLOUR = "#CC79A7"  # Okabe-Ito reddish purple: the P = 0.5 contour and its hatch
BEST_COLOUR = "#D55E00"  # Okabe-Ito vermillion: apart from viridis' greens for colour-blind readers
OUTSIDE_COLOUR = "#d9d9d9"
N_TICKS = 5  # tick intervals per ternary axis


# --- public entry points -------------------------------------------------------------------------
def plot_mixture(
    space: Space,
    objective: ObjectiveSpec | Sequence[ObjectiveSpec],
    predict: Predict,
    measured: pd.DataFrame,
    proposals: pd.DataFrame | None,
    fixed: Mapping[str, object],
    out: str | Path,
    axes: Sequence[str] | None = None,
    title: str = "",
    scale: int = 60,
    feasible: Feasible | None = None,
    full: bool = False,
    dpi: int = DPI,
    size: tuple[float, float] | None = None,
) -> Path:
    """Draw the predicted objective(s) over the mixture and save to ``out`` (.png at ``dpi``, .svg
    or .pdf). See :func:`mixture_figure`. Returns the path written."""
    from .save import check_figure_path, save_figure

    path = check_figure_path(out)
    fig = mixture_figure(
        space, objective, predict, measured, proposals, fixed, axes, title, scale, feasible, full, size
    )
    try:
        return save_figure(fig, path, dpi)
    finally:
        fig.clear()


plot_ternary = plot_mixture


def mixture_figure(
    space: Space,
    objective: ObjectiveSpec | Sequence[ObjectiveSpec],
    predict: Predict,
    measured: pd.DataFrame,
    proposals: pd.DataFrame | None,
    fixed: Mapping[str, object],
    axes: Sequence[str] | None = None,
    title: str = "",
    scale: int = 60,
    feasible: Feasible | None = None,
    full: bool = False,
    size: tuple[float, float] | None = None,
) -> Figure:
    """The map of one objective, or one row of panels per objective of a sequence (a pyplot-free
    :class:`Figure`, e.g. for notebooks).

    Three plotted components give ternary heatmaps (median; uncertainty), zoomed on the bounded
    region unless ``full``; two give a line plot (module docstring). ``predict`` is called once
    with every grid point inside the bounds; ``fixed`` holds every variable not on the plotted
    axes (the slice). ``feasible`` (optional, ``(name, probability function)``) shades where
    P(name) < 0.5. DataError for bad ``axes`` or missing ``fixed`` values."""
    names = resolve_axes(space, axes)
    held = _held_values(space, names, fixed)
    if scale < 2:
        raise DataError(f"scale must be an integer >= 2 (got {scale})")
    objectives = [objective] if isinstance(objective, ObjectiveSpec) else list(objective)
    measured = measured if measured is not None else pd.DataFrame()
    proposals = proposals if proposals is not None else pd.DataFrame()
    if len(names) == 2:
        return _line_figure(space, objectives, predict, measured, proposals, held, names, title, scale, full, size)
    return _ternary_figure(
        space, objectives, predict, measured, proposals, held, names, title, int(scale), feasible, full, size
    )


# --- pure helpers ---------------------------------------------------------------------------------
def resolve_axes(space: Space, axes: Sequence[str] | None) -> list[str]:
    """The plotted components: ``axes`` checked against the mixture, or all of 2-3 components."""
    comps = space.components
    if axes is None:
        if len(comps) > 3:
            raise DataError(
                f"the mixture has {len(comps)} components ({', '.join(comps)}); name three to plot "
                f"with axes=[A, B, C] (CLI: --axes A,B,C); the others are held at their 'fixed' values"
            )
        return list(comps)
    names = [str(a) for a in axes]
    unknown = [a for a in names if a not in comps]
    if unknown:
        raise DataError(f"axes: {', '.join(unknown)} not mixture component(s); expected three of {', '.join(comps)}")
    if len(set(names)) != len(names):
        raise DataError(f"axes: {', '.join(names)} names a component twice")
    wanted = 2 if len(comps) == 2 else 3
    if len(names) != wanted:
        raise DataError(
            f"axes: got {len(names)} name(s) ({', '.join(names)}); expected exactly {wanted} of {', '.join(comps)}"
        )
    return names


def key_to_composition(key: tuple[int, int, int], scale: int, rest: float) -> tuple[float, float, float]:
    """Grid key ``(i, j, k)`` (sum ``scale``) -> amounts of the plotted ``[A, B, C]`` summing to ``rest``."""
    i, j, k = key
    return (i / scale * rest, j / scale * rest, k / scale * rest)


def grid_compositions(
    space: Space, names: Sequence[str], rest: float, scale: int, view: TernaryView | None = None
) -> tuple[list[tuple[int, int, int]], np.ndarray]:
    """Grid keys inside the plotted components' bounds and their (n, 3) compositions (mixture unit);
    the keys span ``view`` (default: the full triangle)."""
    view = view or full_view(rest)
    bounds = _named_bounds(space, names)
    tol = 1e-9 * space.total
    keys: list[tuple[int, int, int]] = []
    rows = []
    for key in simplex_iterator(scale):
        comp = view.amounts(np.array(key), scale)
        if np.all(comp >= bounds[:, 0] - tol) and np.all(comp <= bounds[:, 1] + tol):
            i, j, k = (int(v) for v in key)
            keys.append((i, j, k))
            rows.append(comp)
    return keys, np.array(rows, dtype=float).reshape(-1, 3)


def bounds_polygon(space: Space, names: Sequence[str], rest: float) -> np.ndarray:
    """Vertices (m, 3) of the bounded region as fractions of ``rest`` (the simplex clipped by the
    plotted components' bounds); empty when no composition fits."""
    poly = [np.eye(3)[n] for n in range(3)]
    for idx, (lo, hi) in enumerate(_named_bounds(space, names) / rest):
        normal = np.eye(3)[idx]
        poly = _clip(poly, normal, lo)
        poly = _clip(poly, -normal, -hi)
    return np.array(poly, dtype=float).reshape(-1, 3)


@dataclass(frozen=True)
class TernaryView:
    """The part of the triangle drawn: amounts ``origin`` (of the plotted A, B, C, mixture unit) at
    the view's corners' far sides, each axis spanning ``side`` from there; the full triangle is
    ``origin = 0``, ``side = rest``. Grid key ``k`` (sum ``scale``) is the composition
    ``origin + k / scale * side``."""

    origin: np.ndarray
    side: float
    rest: float

    @property
    def full(self) -> bool:
        return bool(np.allclose(self.origin, 0.0))

    def amounts(self, keys: np.ndarray, scale: int) -> np.ndarray:
        """(n, 3) amounts of grid keys."""
        return self.origin + np.asarray(keys, dtype=float) / scale * self.side

    def grid(self, amounts: np.ndarray, scale: int) -> np.ndarray:
        """(n, 3) grid coordinates of amounts summing to ``rest``."""
        return (np.asarray(amounts, dtype=float) - self.origin) / self.side * scale


def full_view(rest: float) -> TernaryView:
    return TernaryView(np.zeros(3), float(rest), float(rest))


def zoomed_view(space: Space, names: Sequence[str], rest: float) -> TernaryView:
    """The smallest triangle of the same orientation around the bounded region (each component's
    least amount over the region as its origin, rounded down to a tick step), so the design space
    fills the figure instead of a corner of it; the full triangle when the region is empty or
    already spans it."""
    poly = bounds_polygon(space, names, rest) * rest
    if not len(poly):
        return full_view(rest)
    least = poly.min(axis=0)
    side = rest - least.sum()
    if side <= 0:
        return full_view(rest)
    fine = MaxNLocator(nbins=2 * N_TICKS, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, side)
    step = float(fine[1] - fine[0])
    origin = np.floor(least / step + 1e-9) * step  # round amounts, a little margin
    side = rest - origin.sum()
    if side <= 0 or side >= rest * (1 - 1e-9):
        return full_view(rest)
    return TernaryView(origin, float(side), float(rest))


def objective_label(objective: ObjectiveSpec) -> str:
    """'conductivity (mS/cm)' from 'conductivity_mS_cm' (the name's unit suffix as a unit)."""
    base = objective.name
    for suffix, label in getattr(_spec, "_UNIT_SUFFIXES", {}).items():
        if base.endswith(suffix) and label == objective.unit:
            base = base[: -len(suffix)]
            break
    base = base.replace("_", " ").strip() or objective.name
    return f"{base} ({objective.unit})" if objective.unit else base


# --- inputs -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Held:
    """Values of the variables not on the plotted axes, and what the plotted components share."""

    values: dict[str, object]
    rest: float
    text: str


def _held_values(space: Space, names: Sequence[str], fixed: Mapping[str, object]) -> _Held:
    others = [v for v in space.variables if v not in names]
    missing = [v for v in others if v not in fixed]
    if missing:
        raise DataError(f"fixed: no value for {', '.join(missing)} (every variable not on the plotted axes is held)")
    values: dict[str, object] = {}
    for name in others:
        values[name] = _check_fixed(space, name, fixed[name])
    held_comps = [c for c in space.components if c not in names]
    rest = space.total - sum(float(cast(float, values[c])) for c in held_comps)  # components are numbers
    if rest <= 0:
        raise DataError(f"fixed: held components {', '.join(held_comps)} leave nothing of the total {space.total:g}")
    return _Held(values, rest, _held_text(space, names, values, rest))


def _check_fixed(space: Space, name: str, value: object) -> object:
    if name in space.categorical:
        if str(value) not in space.categorical[name]:
            raise DataError(f"fixed: {name}={value!r} is not one of {', '.join(space.categorical[name])}")
        return str(value)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"fixed: {name}={value!r} is not a number") from None
    if not np.isfinite(number):
        raise DataError(f"fixed: {name}={value!r} is not a finite number")
    return number


def _held_text(space: Space, names: Sequence[str], values: Mapping[str, object], rest: float) -> str:
    parts = []
    for name, value in values.items():
        unit = space.unit if name in space.components else _parameter_unit(space, name)
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        parts.append(f"{name}={shown}{' ' + unit if unit else ''}")
    text = "held: " + ", ".join(parts) if parts else "held: nothing (every variable is plotted)"
    if any(c not in names for c in space.components):
        text += f"  |  {' + '.join(names)} = {rest:g} {space.unit}"
    return text


def _parameter_unit(space: Space, name: str) -> str:
    p = space.continuous.get(name)
    return p.unit if isinstance(p, ContinuousParameter) else ""


def _predict_table(space: Space, names: Sequence[str], comps: np.ndarray, held: _Held) -> pd.DataFrame:
    """One row per composition: the plotted components from ``comps``, everything else held."""
    n = len(comps)
    data: dict[str, object] = {}
    for var in space.variables:
        if var in names:
            data[var] = comps[:, list(names).index(var)]
        elif var in space.categorical:
            data[var] = [held.values[var]] * n
        else:
            data[var] = np.full(n, float(held.values[var]))  # type: ignore[arg-type]
    return pd.DataFrame(data, columns=space.variables)


def _predict_stats(result: pd.DataFrame, table: pd.DataFrame, objective: ObjectiveSpec) -> pd.DataFrame:
    """``objective``'s median/q05/q95 (and width) columns of a prediction ``result``, aligned to ``table``."""
    cols = {s: f"{objective.name}_{s}" for s in ("median", "q05", "q95")}
    missing = [c for c in cols.values() if c not in result.columns]
    if missing:
        raise DataError(f"predict returned no {', '.join(missing)} (got columns {', '.join(map(str, result.columns))})")
    out = pd.DataFrame({s: result.loc[table.index, c].to_numpy(float) for s, c in cols.items()}, index=table.index)
    out["width"] = out["q95"] - out["q05"]
    return out


ON_SLICE = 0.02
"""A measured formulation is on the slice when every held variable is within this fraction of its
range of the slice's value (a categorical one equal)."""
NEAR_SLICE = 0.15
"""... and near it (drawn faded) within this fraction; farther, it is drawn hollow."""


@dataclass(frozen=True)
class _Points:
    """Measured rows split for drawing (with ``value`` and ``slice`` columns: 'on', 'near' or
    'off' the plotted slice), and the proposals."""

    names: list[str]
    ok: pd.DataFrame
    failed: pd.DataFrame
    best: pd.DataFrame
    proposals: pd.DataFrame

    def count(self, where: str) -> int:
        return int((self.ok["slice"] == where).sum()) if len(self.ok) else 0


def slice_distance(space: Space, names: Sequence[str], held: Mapping[str, object], df: pd.DataFrame) -> np.ndarray:
    """Per row, the largest distance of a held variable from the slice's value as a fraction of its
    range (mixture bounds or parameter range); inf for another categorical value or a missing one."""
    d = np.zeros(len(df))
    bounds = dict(zip(space.components, space.component_bounds()))
    for name, value in held.items():
        if name not in df.columns:
            d[:] = np.inf
            continue
        if name in space.categorical:
            d = np.where(df[name].astype(str).to_numpy() == str(value), d, np.inf)
            continue
        if name in bounds:
            lo, hi = bounds[name]
        else:
            p = space.continuous[name]
            lo, hi = p.min, p.max
        span = float(hi - lo) or 1.0
        x = pd.to_numeric(df[name], errors="coerce").to_numpy(float)
        gap = np.abs(x - float(cast(float, value))) / span
        d = np.maximum(d, np.where(np.isfinite(gap), gap, np.inf))
    return d


def _split_points(
    objective: ObjectiveSpec,
    names: Sequence[str],
    measured: pd.DataFrame,
    proposals: pd.DataFrame,
    space: Space | None = None,
    held: Mapping[str, object] | None = None,
) -> _Points:
    empty = pd.DataFrame(columns=[*names, "value", "slice"])
    has_cols = len(measured) and all(c in measured.columns for c in names)
    if not has_cols:
        return _Points(list(names), empty, empty, empty, _usable(proposals, names))
    m = _usable(measured, names)
    values = (
        pd.to_numeric(m[objective.name], errors="coerce")
        if objective.name in m.columns
        else pd.Series(np.nan, index=m.index)
    )
    status = m["status"].astype(str).str.lower() if "status" in m.columns else pd.Series("ok", index=m.index)
    failed = status.eq("failed")
    ok = ~failed & np.isfinite(values.to_numpy(float))
    distance = slice_distance(space, names, held, m) if space is not None and held else np.zeros(len(m))
    where = np.select([distance <= ON_SLICE, distance <= NEAR_SLICE], ["on", "near"], "off")
    m = m.assign(value=values, slice=where)
    good = m[ok]
    pick = np.argmax if objective.maximize else np.argmin
    best = good.iloc[[int(pick(good["value"].to_numpy(float)))]] if len(good) else empty
    return _Points(list(names), good, m[failed], best, _usable(proposals, names))


def _usable(df: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Rows with numeric amounts of every plotted component (others dropped)."""
    if df is None or not len(df) or not all(c in df.columns for c in names):
        return pd.DataFrame(columns=[*names, "value"])
    out = df.copy()
    for c in names:
        out[c] = pd.to_numeric(out[c], errors="coerce")
    return out[out[list(names)].notna().all(axis=1)]


# --- ternary figure -------------------------------------------------------------------------------
def _ternary_figure(
    space: Space,
    objectives: Sequence[ObjectiveSpec],
    predict: Predict,
    measured: pd.DataFrame,
    proposals: pd.DataFrame,
    held: _Held,
    names: list[str],
    title: str,
    scale: int,
    feasible: Feasible | None = None,
    full: bool = False,
    size: tuple[float, float] | None = None,
) -> Figure:
    view = full_view(held.rest) if full else zoomed_view(space, names, held.rest)
    keys, comps = grid_compositions(space, names, held.rest, scale, view)
    if not keys:
        raise DataError(f"no point of the {scale}-step grid lies within the bounds of {', '.join(names)} ({held.text})")
    table = _predict_table(space, names, comps, held)
    result = predict(table)
    rows = len(objectives)
    fig = Figure(figsize=size or (14, 6.6 * rows))
    axes = np.atleast_2d(fig.subplots(rows, 2, gridspec_kw={"wspace": 0.12, "hspace": 0.42}, squeeze=False))
    p = np.asarray(feasible[1](table), dtype=float) if feasible is not None else None
    drawn: list[tuple[Axes, list[ternary.TernaryAxesSubplot], _Labels]] = []
    for (ax_med, ax_wid), objective in zip(axes, objectives):
        stats = _predict_stats(result, table, objective)
        points = _split_points(objective, names, measured, proposals, space, held.values)
        taxes, labels = _objective_row(
            fig, ax_med, ax_wid, space, objective, stats, points, names, held, scale, keys, view, rows > 1
        )
        drawn.append((ax_med, taxes, labels))
        if p is not None and feasible is not None:
            for ax in (ax_med, ax_wid):
                _infeasible_overlay(ax, keys, p)
        _legend(ax_med, points, objective, feasible[0] if p is not None and feasible is not None else None, view)
    label = objective_label(objectives[0]) if rows == 1 else ", ".join(objective_label(o) for o in objectives)
    _frame_text(
        fig, title, label, held.text + ("" if view.full else "  |  zoomed on the bounds (full triangle: --full)")
    )
    for _, taxes, _ in drawn:
        for tax in taxes:
            tax._redraw_labels()  # python-ternary draws axis labels only on redraw
    for ax_med, _, labels in drawn:
        _place_labels(fig, ax_med, labels)
    return fig


@dataclass(frozen=True)
class _Labels:
    """Proposal labels to place on a panel: (text, marker position) and positions to keep clear."""

    items: list[tuple[str, tuple[float, float]]]
    avoid: list[tuple[float, float]]


def _objective_row(
    fig: Figure,
    ax_med: Axes,
    ax_wid: Axes,
    space: Space,
    objective: ObjectiveSpec,
    stats: pd.DataFrame,
    points: _Points,
    names: list[str],
    held: _Held,
    scale: int,
    keys: list[tuple[int, int, int]],
    view: TernaryView,
    named: bool,
) -> tuple[list[ternary.TernaryAxesSubplot], _Labels]:
    """The median panel (prediction + measured points on one colour scale) and the uncertainty panel
    (a factor for log-modelled objectives, a width otherwise) of one objective."""
    label = objective_label(objective)
    near = points.ok[points.ok["slice"] != "off"] if len(points.ok) else points.ok
    med_norm = _value_norm(np.concatenate([stats["median"].to_numpy(), near["value"].to_numpy(float)]), objective.log)
    if objective.log and (stats["q05"] > 0).all():
        spread = np.sqrt(stats["q95"] / stats["q05"])
        spread_label = "90% interval: median ×/÷ this factor"
        spread_title = "uncertainty: 90% interval as a factor (√(q95/q05))"
    else:
        spread = stats["width"]
        spread_label = f"90% interval width ({objective.unit})" if objective.unit else "90% interval width"
        spread_title = "uncertainty: 90% interval width (q95 - q05)"
    wid_norm = Normalize(*_finite_range(spread.to_numpy()))
    med_tax = _ternary_panel(ax_med, space, names, held.rest, scale, keys, stats["median"], med_norm, MEDIAN_CMAP, view)
    wid_tax = _ternary_panel(ax_wid, space, names, held.rest, scale, keys, spread, wid_norm, WIDTH_CMAP, view)
    labels = _ternary_points(med_tax, points, scale, med_norm, view)
    _ternary_data_dots(wid_tax, points, scale, view)
    _colorbar(fig, ax_med, med_norm, MEDIAN_CMAP, f"{label}, median", _extend(near, med_norm))
    _colorbar(fig, ax_wid, wid_norm, WIDTH_CMAP, spread_label)
    prefix = f"{label}: " if named else ""
    ax_med.set_title(f"{prefix}predicted median", fontsize=11, pad=22)
    ax_wid.set_title(f"{prefix}{spread_title}", fontsize=11, pad=22)
    return [med_tax, wid_tax], labels


def _ternary_panel(
    ax: Axes,
    space: Space,
    names: list[str],
    rest: float,
    scale: int,
    keys: list[tuple[int, int, int]],
    values: pd.Series,
    norm: Normalize,
    cmap: str,
    view: TernaryView | None = None,
) -> ternary.TernaryAxesSubplot:
    """One heatmap: values in bounds, grey hatch outside, bounds outline, ticks, axis labels."""
    view = view or full_view(rest)
    _, tax = ternary.figure(ax=ax, scale=scale)
    tax.set_background_color(color=OUTSIDE_COLOUR, alpha=1.0, zorder=-1000)
    corners = [project_point(np.eye(3)[n] * scale) for n in range(3)]
    ax.add_patch(Polygon(corners, closed=True, facecolor="none", edgecolor="#a8a8a8", hatch="////", lw=0, zorder=-999))
    data = {key: float(v) for key, v in zip(keys, np.clip(norm(values.to_numpy(float)), 0, 1)) if np.isfinite(v)}
    tax.heatmap(data, scale, cmap=colormaps[cmap], vmin=0.0, vmax=1.0, colorbar=False, style="triangular")
    outline = bounds_polygon(space, names, rest)
    if len(outline):
        grid = view.grid(outline * rest, scale)
        tax.plot([*grid, grid[0]], color="black", lw=1.3, ls="--", zorder=5)
    tax.boundary(linewidth=1.2, zorder=6)
    step = float(_tick_values(view.side)[1])
    tax.gridlines(multiple=step / view.side * scale, color="white", linewidth=0.6, linestyle="-", alpha=0.6)
    _ternary_ticks_and_labels(tax, space, names, view, scale)
    tax.clear_matplotlib_ticks()
    ax.set_frame_on(False)
    ax.set_aspect("equal")
    return tax


def _ternary_ticks_and_labels(
    tax: ternary.TernaryAxesSubplot, space: Space, names: list[str], view: TernaryView, scale: int
) -> None:
    """Ticks in the mixture's unit (each axis from its origin to origin + side); bottom = names[0],
    right = names[1], left = names[2].

    The arrows point the way each amount grows: rightwards on the bottom axis, upwards on the
    right axis, downwards on the left axis (python-ternary's counter-clockwise ticks)."""
    style = {"linewidth": 1, "offset": 0.015, "fontsize": 8}
    for axis, origin in zip("brl", view.origin):
        values = origin + _tick_values(view.side)
        labels = [f"{v:g}" for v in values]
        locations = [float((v - origin) / view.side * scale) for v in values]
        if axis == "l":
            # python-ternary labels the left axis in reverse (location i carries ticks[-(i+1)], i.e. the
            # third coordinate scale - i): give it the mirrored locations so uneven sets (0..80 of 90) fit
            locations = [scale - x for x in reversed(locations)]
        tax.ticks(ticks=labels, locations=locations, axis=axis, **style)
    unit = space.unit
    tax.bottom_axis_label(f"{names[0]} ({unit}) →", offset=0.06, fontsize=11)
    tax.right_axis_label(f"← {names[1]} ({unit})", offset=0.14, fontsize=11)
    tax.left_axis_label(f"← {names[2]} ({unit})", offset=0.14, fontsize=11)


def _tick_values(rest: float) -> np.ndarray:
    """Round tick values from 0 to at most ``rest`` (about five intervals: 0, 20, ... for 90)."""
    values = np.asarray(MaxNLocator(nbins=N_TICKS, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, rest), dtype=float)
    return values[(values >= 0) & (values <= rest * (1 + 1e-9))]


def _to_ternary(df: pd.DataFrame, names: Sequence[str], scale: int, view: TernaryView | None = None) -> np.ndarray:
    """(n, 3) grid coordinates of rows: the plotted components renormalised to the view's total
    (rows outside the view come out with a coordinate below 0 or above ``scale``)."""
    if not len(df):
        return np.zeros((0, 3))
    x = df[list(names)].to_numpy(float)
    s = x.sum(axis=1, keepdims=True)
    x = x[s[:, 0] > 0] / s[s[:, 0] > 0]
    if view is None:
        return x * scale
    return view.grid(x * view.rest, scale)


def _in_view(xy: np.ndarray, scale: int) -> np.ndarray:
    tol = 1e-6 * scale
    return np.all((xy >= -tol) & (xy <= scale + tol), axis=1) if len(xy) else np.zeros(0, dtype=bool)


def _ternary_points(
    tax: ternary.TernaryAxesSubplot, points: _Points, scale: int, norm: Normalize, view: TernaryView | None = None
) -> _Labels:
    """On the median panel: measured values on the slice coloured on the median's scale, near it
    faded, elsewhere hollow; failures as crosses, the best ringed, proposals as diamonds (labelled
    later by :func:`_place_labels`). Points outside the view are left out."""
    cmap = colormaps[MEDIAN_CMAP]
    cols = points.names
    for where, kw in (
        ("on", {"s": 42, "edgecolors": "black", "linewidths": 0.8, "zorder": 10}),
        ("near", {"s": 34, "edgecolors": "0.3", "linewidths": 0.6, "alpha": 0.5, "zorder": 9}),
    ):
        rows = points.ok[points.ok["slice"] == where] if len(points.ok) else points.ok
        xy = _to_ternary(rows, cols, scale, view)
        keep = _in_view(xy, scale)
        if keep.any():
            c = np.clip(norm(rows["value"].to_numpy(float)[keep]), 0, 1)
            _scatter(tax, xy[keep], c=c, cmap=cmap, vmin=0, vmax=1, **kw)
    off = points.ok[points.ok["slice"] == "off"] if len(points.ok) else points.ok
    xy = _to_ternary(off, cols, scale, view)
    keep = _in_view(xy, scale)
    if keep.any():
        _scatter(tax, xy[keep], s=26, facecolors="none", edgecolors="0.25", linewidths=0.8, zorder=8)
    failed = _to_ternary(points.failed, cols, scale, view)
    failed = failed[_in_view(failed, scale)]
    if len(failed):
        _scatter(tax, failed, marker="x", color="0.35", s=36, linewidths=1.4, zorder=10)
    best = _to_ternary(points.best, cols, scale, view)
    best = best[_in_view(best, scale)]
    if len(best):
        _scatter(tax, best, s=190, facecolors="none", edgecolors=BEST_COLOUR, linewidths=2.2, zorder=11)
    prop = _to_ternary(points.proposals, cols, scale, view)
    inside = _in_view(prop, scale)
    if inside.any():
        _scatter(tax, prop[inside], marker="D", s=60, facecolors="none", edgecolors="black", linewidths=2.6, zorder=12)
        _scatter(tax, prop[inside], marker="D", s=60, facecolors="none", edgecolors="white", linewidths=1.2, zorder=13)
    items = []
    if inside.any() and "id" in points.proposals.columns:
        items = [(str(i), project_point(p)) for i, p in zip(points.proposals["id"][inside], prop[inside])]
    return _Labels(items, [project_point(b) for b in best])


def _scatter(tax: ternary.TernaryAxesSubplot, points: np.ndarray, **kwargs: object) -> None:
    """``tax.scatter`` without the warning python-ternary's fixed vmin/vmax raise for plain colours."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No data for colormapping provided")
        tax.scatter(points, **kwargs)


LABEL_OFFSETS = ((6, 5), (6, -11), (-30, 5), (-30, -11), (0, 10), (0, -15), (10, 0), (-36, 0))
"""Where a proposal's label may go, in points from its marker, tried in this order."""


def _place_labels(fig: Figure, ax: Axes, labels: _Labels) -> None:
    """Label the proposals without overlaps: each label takes the first of :data:`LABEL_OFFSETS`
    that overlaps no label placed before, no proposal or best marker and stays in the panel; a
    label with no free place is dropped, and the panel says which."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not labels.items:
        return
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    marker_px = 9.0
    to_px = ax.transData.transform
    taken = [_box(to_px(xy), marker_px) for _, xy in labels.items]
    taken += [_box(to_px(xy), 2 * marker_px) for xy in labels.avoid]
    panel = ax.get_window_extent(renderer)
    dropped = []
    for text, xy in labels.items:
        placed = False
        for dx, dy in LABEL_OFFSETS:
            note = ax.annotate(
                text,
                xy,
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=7,
                zorder=14,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )
            extent = note.get_window_extent(renderer)
            box = (extent.x0 - 1.5, extent.y0 - 1.5, extent.x1 + 1.5, extent.y1 + 1.5)
            inside = panel.x0 <= box[0] and box[2] <= panel.x1 and panel.y0 <= box[1] and box[3] <= panel.y1
            if inside and not any(_overlap(box, other) for other in taken):
                taken.append(box)
                placed = True
                break
            note.remove()
        if not placed:
            dropped.append(text)
    if dropped:
        ax.text(
            0.0,
            1.0,
            f"labels left out (no free place): {', '.join(dropped)}",
            transform=ax.transAxes,
            fontsize=7,
            color="0.3",
            va="bottom",
        )


def _box(center: np.ndarray, half: float) -> tuple[float, float, float, float]:
    x, y = float(center[0]), float(center[1])
    return (x - half, y - half, x + half, y + half)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _ternary_data_dots(
    tax: ternary.TernaryAxesSubplot, points: _Points, scale: int, view: TernaryView | None = None
) -> None:
    """Where the data lie, on the uncertainty panel: small dots, crosses for failures, proposals."""
    cols = points.names
    for df, kw in (
        (points.ok, {"s": 12, "color": "black", "zorder": 10}),
        (points.failed, {"s": 20, "marker": "x", "color": "0.35", "linewidths": 1.0, "zorder": 10}),
        (
            points.proposals,
            {"s": 40, "marker": "D", "facecolors": "none", "edgecolors": "black", "linewidths": 1.4, "zorder": 12},
        ),
    ):
        xy = _to_ternary(df, cols, scale, view)
        xy = xy[_in_view(xy, scale)]
        if len(xy):
            _scatter(tax, xy, **kw)


# --- line figure (two components) -------------------------------------------------------------------
def _line_figure(
    space: Space,
    objectives: Sequence[ObjectiveSpec],
    predict: Predict,
    measured: pd.DataFrame,
    proposals: pd.DataFrame,
    held: _Held,
    names: list[str],
    title: str,
    scale: int,
    full: bool = False,
    size: tuple[float, float] | None = None,
) -> Figure:
    lo, hi = _line_range(space, names)
    x = np.linspace(lo, hi, max(2 * scale + 1, 3))
    comps = np.column_stack([x, space.total - x, np.zeros_like(x)])
    table = _predict_table(space, names, comps, held)
    result = predict(table)
    rows = len(objectives)
    fig = Figure(figsize=size or (12, 5.0 * rows))
    axes = np.atleast_2d(
        fig.subplots(rows, 2, gridspec_kw={"width_ratios": [1.6, 1], "wspace": 0.28, "hspace": 0.45}, squeeze=False)
    )
    for (ax, ax_w), objective in zip(axes, objectives):
        stats = _predict_stats(result, table, objective)
        points = _split_points(objective, names, measured, proposals, space, held.values)
        _line_row(ax, ax_w, space, objective, x, stats, points, names, lo, hi, full, rows > 1)
    fig.subplots_adjust(top=1 - 0.24 / rows)
    label = ", ".join(objective_label(o) for o in objectives)
    _frame_text(fig, title, label, held.text)
    return fig


def _line_row(
    ax: Axes,
    ax_w: Axes,
    space: Space,
    objective: ObjectiveSpec,
    x: np.ndarray,
    stats: pd.DataFrame,
    points: _Points,
    names: list[str],
    lo: float,
    hi: float,
    full: bool,
    named: bool,
) -> None:
    """The prediction with its band and the measured points; the uncertainty beside it."""
    label = objective_label(objective)
    ax.fill_between(x, stats["q05"], stats["q95"], color="tab:blue", alpha=0.25, lw=0, label="90% interval")
    ax.plot(x, stats["median"], color="tab:blue", lw=2, label="predicted median")
    _line_points(ax, points, names[0])
    log = objective.log and bool(np.all(stats["q05"] > 0))
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(label)
    if log:
        ax_w.plot(x, np.sqrt(stats["q95"] / stats["q05"]), color="tab:red", lw=2)
        ax_w.set_ylabel("90% interval: median ×/÷ this factor")
    else:
        ax_w.plot(x, stats["width"], color="tab:red", lw=2)
        ax_w.set_ylabel(f"90% interval width ({objective.unit})" if objective.unit else "90% interval width")
    prefix = f"{label}: " if named else ""
    ax_w.set_title(f"{prefix}uncertainty", fontsize=11)
    ax.set_title(f"{prefix}prediction", fontsize=11)
    for a in (ax, ax_w):
        _line_axes(a, space, names, lo, hi, full)
    ax.legend(fontsize=8, loc="best", framealpha=0.85)


def _line_range(space: Space, names: list[str]) -> tuple[float, float]:
    """Feasible range of ``names[0]`` given both components' bounds (mixture unit)."""
    (lo_a, hi_a), (lo_b, hi_b) = _named_bounds(space, names)
    return max(lo_a, space.total - hi_b), min(hi_a, space.total - lo_b)


def _line_points(ax: Axes, points: _Points, x_name: str) -> None:
    """Measured values (on or near the slice: filled; made at other held values: hollow, faded),
    failures (crosses at the bottom), best (ring), proposals (dotted lines)."""
    if len(points.ok):
        off = points.ok["slice"] == "off"
        for rows, label, face, edge in (
            (points.ok[~off], "measured on or near this slice", "tab:blue", "black"),
            (points.ok[off], "made at other held values", "none", "0.45"),
        ):
            if len(rows):
                ax.scatter(
                    rows[x_name],
                    rows["value"],
                    s=34,
                    facecolors=face,
                    edgecolors=edge,
                    zorder=5,
                    label=f"{label} ({len(rows)})",
                )
    if len(points.failed):
        bottom = blended_transform_factory(ax.transData, ax.transAxes)
        ax.scatter(
            points.failed[x_name],
            np.full(len(points.failed), 0.03),
            transform=bottom,
            marker="x",
            color="0.35",
            s=36,
            zorder=5,
            label="failed (no value)",
        )
    if len(points.best):
        ax.scatter(
            points.best[x_name],
            points.best["value"],
            s=150,
            facecolors="none",
            edgecolors=BEST_COLOUR,
            linewidths=2,
            zorder=6,
            label="best measured",
        )
    for n, xv in enumerate(points.proposals[x_name] if len(points.proposals) else []):
        ax.axvline(float(xv), color="black", ls=":", lw=1.3, label="next proposals" if n == 0 else None)


def _line_axes(ax: Axes, space: Space, names: list[str], lo: float, hi: float, full: bool = False) -> None:
    """x over the bounded range with a small margin (from 0 to the total with ``full``),
    out-of-bounds shaded; second component on the top axis."""
    total = space.total
    for a, b in ((0.0, lo), (hi, total)):
        if b > a:
            ax.axvspan(a, b, facecolor=OUTSIDE_COLOUR, edgecolor="#a8a8a8", hatch="////", lw=0, zorder=0)
    margin = 0.05 * (hi - lo)
    ax.set_xlim(*((0, total) if full else (max(0.0, lo - margin), min(total, hi + margin))))
    ax.set_xlabel(f"{names[0]} ({space.unit})")

    def flip(v: ArrayLike) -> ArrayLike:
        return total - np.asarray(v)

    top = ax.secondary_xaxis("top", functions=(flip, flip))
    top.set_xlabel(f"{names[1]} ({space.unit})")
    ax.grid(alpha=0.3)


# --- shared drawing bits ---------------------------------------------------------------------------
def _value_norm(values: np.ndarray, log: bool) -> Normalize:
    """Colour scale of the predicted median: logarithmic for log-modelled, positive objectives."""
    lo, hi = _finite_range(values)
    if log and lo > 0:
        return LogNorm(lo, hi if hi > lo else lo * 1.001)
    return Normalize(lo, hi)


def _finite_range(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo - 0.5 * (abs(lo) or 1), hi + 0.5 * (abs(hi) or 1))


def _extend(ok: pd.DataFrame, norm: Normalize) -> str:
    """Colour-bar arrows when measured values fall outside the predicted range (they saturate)."""
    if not len(ok):
        return "neither"
    v = ok["value"].to_numpy(float)
    below, above = bool(np.any(v < norm.vmin)), bool(np.any(v > norm.vmax))
    return {(True, True): "both", (True, False): "min", (False, True): "max"}.get((below, above), "neither")


def _colorbar(fig: Figure, ax: Axes, norm: Normalize, cmap: str, label: str, extend: str = "neither") -> None:
    mappable = ScalarMappable(norm=norm, cmap=colormaps[cmap])
    cb = fig.colorbar(mappable, ax=ax, shrink=0.72, pad=0.06, fraction=0.045, extend=extend)
    cb.set_label(label, fontsize=10)
    if isinstance(norm, LogNorm) and norm.vmin is not None and norm.vmax is not None:
        decades = np.log10(norm.vmax / norm.vmin)
        cb.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)) if decades >= 1 else MaxNLocator(6))
        cb.ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        cb.ax.yaxis.set_minor_formatter(NullFormatter())
    cb.ax.tick_params(labelsize=8)


def _infeasible_overlay(ax: Axes, keys: list[tuple[int, int, int]], p: np.ndarray) -> None:
    """Hatch the grid region where the probability of feasibility ``p`` is below 0.5 and draw the
    P = 0.5 contour (triangulated over the grid points' Cartesian positions)."""
    if not (p < 0.5).any():
        return
    xy = np.array([project_point(k) for k in keys])
    if len(xy) < 3:
        return
    ax.tricontourf(xy[:, 0], xy[:, 1], p, levels=[-0.01, 0.5], colors="none", hatches=["xx"], zorder=3)
    if (p >= 0.5).any():
        ax.tricontour(xy[:, 0], xy[:, 1], p, levels=[0.5], colors=FEASIBLE_COLOUR, linewidths=1.4, zorder=4)


def _legend(
    ax: Axes, points: _Points, objective: ObjectiveSpec, infeasible: str | None = None, view: TernaryView | None = None
) -> None:
    """Legend under the median panel, one entry per kind of marker drawn, with the counts."""
    handles: list[Artist] = []
    colour = colormaps[MEDIAN_CMAP](0.6)
    on, near, off = points.count("on"), points.count("near"), points.count("off")
    if on:
        handles.append(
            Line2D([], [], ls="", marker="o", mfc=colour, mec="black", label=f"measured on this slice ({on})")
        )
    if near:
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                mfc=colour,
                mec="0.3",
                alpha=0.5,
                label=f"near it: held values within {NEAR_SLICE:.0%} of their range ({near})",
            )
        )
    if off:
        handles.append(
            Line2D([], [], ls="", marker="o", mfc="none", mec="0.25", label=f"made at other held values ({off})")
        )
    if len(points.failed):
        handles.append(Line2D([], [], ls="", marker="x", color="0.35", mew=1.4, label=f"failed ({len(points.failed)})"))
    if len(points.best):
        v = float(points.best["value"].iloc[0])
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                ms=11,
                mfc="none",
                mec=BEST_COLOUR,
                mew=2,
                label=f"best measured ({v:.3g} {objective.unit})".replace(" )", ")"),
            )
        )
    if len(points.proposals):
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="D",
                mfc="none",
                mec="black",
                mew=1.6,
                label=f"next proposals ({len(points.proposals)})",
            )
        )
    if infeasible:
        handles.append(
            Polygon([[0, 0]], facecolor="none", edgecolor=FEASIBLE_COLOUR, hatch="xx", label=f"P({infeasible}) < 0.5")
        )
    handles.append(
        Polygon([[0, 0]], facecolor=OUTSIDE_COLOUR, edgecolor="#a8a8a8", hatch="////", label="outside bounds")
    )
    handles.append(Line2D([], [], color="black", ls="--", lw=1.3, label="bounds"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=8, frameon=False)


def _frame_text(fig: Figure, title: str, label: str, held_text: str) -> None:
    heading = f"{title}: {label}" if title else label
    fig.suptitle(heading, fontsize=14, fontweight="bold", y=0.995)
    fig.text(0.5, 0.945, held_text, ha="center", va="top", fontsize=9.5, color="0.25", wrap=True)


# --- geometry ---------------------------------------------------------------------------------------
def _named_bounds(space: Space, names: Sequence[str]) -> np.ndarray:
    all_bounds = space.component_bounds()
    return np.array([all_bounds[space.components.index(n)] for n in names], dtype=float)


def _clip(poly: list[np.ndarray], normal: np.ndarray, level: float) -> list[np.ndarray]:
    """Sutherland-Hodgman: keep the part of a convex polygon where ``p @ normal >= level``."""
    out: list[np.ndarray] = []
    tol = 1e-12
    for n, p in enumerate(poly):
        q = poly[(n + 1) % len(poly)]
        dp, dq = p @ normal - level, q @ normal - level
        if dp >= -tol:
            out.append(p)
        if (dp >= -tol) != (dq >= -tol):
            out.append(p + (q - p) * (dp / (dp - dq)))
    return out
