"""Convergence plot of a benchmark (``optiform bench``): best so far against experiments.

:func:`convergence_figure` draws one panel per problem: for each strategy, the median over seeds of
the best noise-free value made so far as a fraction of the problem's optimum (``fraction_of_optimum``
of :data:`optiform.bench.runner.BENCH_COLUMNS`) against the number of experiments, with the
interquartile band (25th-75th percentile over seeds) shaded; dotted lines mark the targets (95% and
98% of the optimum), a dashed line the end of the first batch (the campaign's n_initial). Before its first feasible experiment a run has no best value: it counts as the
bottom of the panel (0, or the lowest fraction in the table if that is lower), so the median stays
a median over all seeds. A run that ended early (a used-up grid) keeps its last best value up to
the budget.

Like the ternary maps, the figure is a plain :class:`matplotlib.figure.Figure` (never registered
with pyplot).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..errors import DataError, path_error
from .ternary import ALLOWED_SUFFIXES, DPI

__all__ = ["convergence_curves", "convergence_figure", "plot_convergence"]

TARGET_LINES = (0.95, 0.98)
MAX_COLUMNS = 3


def convergence_curves(df: pd.DataFrame, problem: str) -> dict[str, pd.DataFrame]:
    """Per strategy (in table order): columns experiment, q25, median, q75 of fraction_of_optimum over
    seeds, for experiments 1..budget (see the module docstring for runs without a feasible point)."""
    sub = df[df["problem"] == problem]
    if sub.empty:
        raise DataError(f"no runs of problem {problem!r} in the table")
    floor = min(0.0, float(np.nanmin(df["fraction_of_optimum"]))) if df["fraction_of_optimum"].notna().any() else 0.0
    budget = int(sub["budget"].max())
    curves = {}
    for strategy in dict.fromkeys(sub["strategy"]):
        wide = sub[sub["strategy"] == strategy].pivot(index="experiment", columns="seed", values="fraction_of_optimum")
        wide = wide.reindex(np.arange(1, budget + 1)).ffill().fillna(floor)  # early end: keep the last best
        q = np.percentile(wide.to_numpy(dtype=float), [25, 50, 75], axis=1)
        curves[strategy] = pd.DataFrame({"experiment": wide.index, "q25": q[0], "median": q[1], "q75": q[2]})
    return curves


def convergence_figure(
    df: pd.DataFrame, problems: Sequence[str] | None = None, targets: Sequence[float] = TARGET_LINES
) -> Figure:
    """One panel per problem (default: every problem of the table, in order): median best so far as a
    fraction of the optimum vs experiments, interquartile band, one colour per strategy."""
    problems = list(problems) if problems is not None else list(dict.fromkeys(df["problem"]))
    if not problems:
        raise DataError("no problem to plot")
    strategies = list(dict.fromkeys(df["strategy"]))
    cmap = colormaps["tab10"]
    colours = {s: cmap(i % 10) for i, s in enumerate(strategies)}
    ncols = min(MAX_COLUMNS, len(problems))
    nrows = math.ceil(len(problems) / ncols)
    fig = Figure(figsize=(4.6 * ncols, 3.6 * nrows + 0.6), dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=False)
    for ax in axes.flat[len(problems) :]:
        ax.set_visible(False)
    for ax, problem in zip(axes.flat, problems):
        sub = df[df["problem"] == problem]
        n_seeds = sub.groupby("strategy")["seed"].nunique()
        for strategy, c in convergence_curves(df, problem).items():
            x = c["experiment"].to_numpy()
            ax.fill_between(x, c["q25"], c["q75"], color=colours[strategy], alpha=0.2, linewidth=0, step="post")
            ax.step(
                x,
                c["median"],
                where="post",
                color=colours[strategy],
                linewidth=1.6,
                label=f"{strategy} ({n_seeds[strategy]} seeds)",
            )
        for t in targets:
            ax.axhline(t, color="0.4", linestyle=":", linewidth=0.9)
            ax.annotate(
                f"{100 * t:g}%",
                xy=(1.0, t),
                xycoords=("axes fraction", "data"),
                xytext=(2, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                color="0.3",
            )
        first = sub[sub["batch"] == 1].groupby(["strategy", "seed"]).size()
        if len(first) and first.nunique() == 1 and int(first.iloc[0]) < int(sub["budget"].max()):
            n0 = int(first.iloc[0])  # every run's first batch: the campaign's n_initial
            ax.axvline(n0, color="0.6", linewidth=0.8, linestyle="--")
            ax.annotate(
                f"first batch ({n0})",
                xy=(n0, 0.5),
                xycoords=("data", "axes fraction"),
                xytext=(-2, 0),
                textcoords="offset points",
                fontsize=7,
                color="0.4",
                rotation=90,
                ha="right",
                va="center",
            )
        optimum = float(sub["optimum"].iloc[0])
        ax.set_title(f"{problem} (optimum {optimum:.4g})", fontsize=10)
        ax.set_xlabel("experiments")
        ax.set_ylabel("best so far / optimum (noise-free)")
        ax.set_xlim(1, int(sub["budget"].max()))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(top=max(1.01, ax.get_ylim()[1]))  # the target lines and the optimum stay in view
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("median best so far over seeds; band: interquartile range", fontsize=10)
    return fig


def plot_convergence(df: pd.DataFrame, out: str | Path, problems: Sequence[str] | None = None) -> Path:
    """Draw :func:`convergence_figure` and save it to ``out`` (.png or .svg); returns the path."""
    path = Path(out)
    if path.suffix.lower() not in ALLOWED_SUFFIXES:
        raise DataError(f"{path}: expected a file name ending in {' or '.join(ALLOWED_SUFFIXES)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        convergence_figure(df, problems).savefig(path)
    except OSError as exc:
        raise path_error(path, exc, "write the plot") from None
    return path
