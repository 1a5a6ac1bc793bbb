"""How many experiments random search needs, when no benchmark budget can show it.

Random search (:class:`~optiform.strategies.samplers.RandomStrategy`) makes uniform points of the
campaign's space rounded to its lattice. If a share ``p`` of such points reaches ``f`` times the
problem's optimum (noise-free, feasible), the number of experiments to the first hit is geometric:
mean ``1 / p``, median ``ln 2 / -ln(1 - p)`` (≈ 0.693 / p). Drawing without repetition, as the
strategy does, changes this by a negligible share while ``p`` is small.

:func:`random_search_odds` estimates ``p`` by Monte Carlo over the same sampler and rounding as the
strategy, with an exact Poisson (Garwood) 95% interval on the hit count, so a target hit by one
draw in a million is still bounded: zero hits in N draws give ``p < 3.69 / N``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from ..errors import DataError
from ..space import Space
from .problem import Problem
from .problems import get_problem

ODDS_COLUMNS = [
    "problem",
    "fraction",  # target: noise-free value >= fraction x optimum
    "draws",
    "hits",
    "p",  # hits / draws: chance that one random experiment reaches the target
    "p_low",  # exact Poisson 95% interval on p
    "p_high",
    "expected_experiments",  # 1 / p: mean experiments random search needs (inf when no hit)
    "expected_low",  # 1 / p_high
    "expected_high",  # 1 / p_low (inf when no hit)
    "median_experiments",  # ln 2 / -ln(1 - p)
]


def poisson_interval(hits: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval on the mean of a Poisson count ``hits``: chi-square quantiles
    ``chi2(a/2; 2k) / 2`` and ``chi2(1 - a/2; 2k + 2) / 2`` with ``a = 1 - level``; the lower end
    is 0 for ``hits = 0``."""
    if hits < 0:
        raise DataError(f"hits must be >= 0, got {hits}")
    alpha = 1.0 - level
    low = 0.0 if hits == 0 else float(chi2.ppf(alpha / 2, 2 * hits) / 2)
    return low, float(chi2.ppf(1 - alpha / 2, 2 * hits + 2) / 2)


def random_search_odds(
    problem: Problem | str,
    fractions: Sequence[float] = (0.90, 0.95, 0.98),
    draws: int = 1_000_000,
    seed: int = 0,
    chunk: int = 250_000,
) -> pd.DataFrame:
    """Chance that one random-search experiment reaches each ``fraction`` of the optimum, and the
    experiments random search needs (one row per fraction, :data:`ODDS_COLUMNS`).

    ``draws`` uniform points of the problem's space (``Space.sample_uniform(sobol=False)``, rounded
    to the lattice: the random strategy's distribution) are judged on the lab's noise-free value;
    chunk ``i`` uses seed ``seed * 1_000_003 + i``, so the estimate is reproducible.
    """
    p = problem if isinstance(problem, Problem) else get_problem(problem)
    if draws < 1 or chunk < 1:
        raise DataError(f"draws and chunk must be >= 1, got draws={draws}, chunk={chunk}")
    if any(not 0.0 < f <= 1.0 for f in fractions):
        raise DataError(f"fractions must be within (0, 1], got {list(fractions)}")
    spec = p.campaign_spec()
    if spec.objectives[0].direction != "maximize" or not (np.isfinite(p.optimum_value) and p.optimum_value > 0):
        raise DataError(f"problem {p.name!r}: the odds judge a maximised objective with a positive optimum_value")
    space, lab = Space(spec), p.make_lab(seed)
    hits = np.zeros(len(fractions), dtype=np.int64)
    done = 0
    for i, start in enumerate(range(0, draws, chunk)):
        n = min(chunk, draws - start)
        X = space.round(space.sample_uniform(n, seed=seed * 1_000_003 + i, sobol=False))
        share = np.nan_to_num(np.asarray(lab.true_value(X), dtype=float) / p.optimum_value, nan=-np.inf)
        hits += (share[:, None] >= np.asarray(fractions)[None, :]).sum(axis=0)
        done += len(X)
    return pd.DataFrame([_odds_row(p.name, f, done, int(k)) for f, k in zip(fractions, hits)], columns=ODDS_COLUMNS)


def _odds_row(problem: str, fraction: float, draws: int, hits: int) -> dict[str, Any]:
    low, high = poisson_interval(hits)
    p, p_low, p_high = hits / draws, low / draws, min(high / draws, 1.0)
    median = np.inf if p == 0 else (1.0 if p == 1 else float(np.log(2) / -np.log1p(-p)))
    return {
        "problem": problem,
        "fraction": float(fraction),
        "draws": draws,
        "hits": hits,
        "p": p,
        "p_low": p_low,
        "p_high": p_high,
        "expected_experiments": _reciprocal(p),
        "expected_low": _reciprocal(p_high),
        "expected_high": _reciprocal(p_low),
        "median_experiments": median,
    }


def _reciprocal(q: float) -> float:
    """1 / q, infinite for q = 0 (a target never hit: no finite mean)."""
    return np.inf if q == 0 else 1.0 / q


def merge_odds(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Pool :func:`random_search_odds` tables of independent draws (e.g. shards run in parallel
    under different seeds): hits and draws add up per problem and fraction, the rest is recomputed."""
    pooled = (
        pd.concat(list(tables), ignore_index=True).groupby(["problem", "fraction"], sort=False)[["draws", "hits"]].sum()
    )
    rows = [_odds_row(str(prob), float(f), int(r.draws), int(r.hits)) for (prob, f), r in pooled.iterrows()]
    return pd.DataFrame(rows, columns=ODDS_COLUMNS)
