"""Benchmarks of proposal strategies on problems with a known optimum (``optiform bench``).

:func:`run_bench` runs strategies x problems x seeds as closed loops and returns a tidy table (one
row per experiment); :func:`summarize` turns it into experiments-to-95%/98%-of-optimum figures;
problems are looked up by name in :data:`PROBLEMS` (:func:`get_problem`, :func:`problem_names`);
:func:`random_search_odds` estimates how many experiments random search needs where no budget shows it.
"""

from .odds import random_search_odds
from .problems import PROBLEMS, Problem, get_problem, problem_names
from .runner import BENCH_COLUMNS, TARGETS, RunFailedError, run_bench, run_one, summarize

__all__ = [
    "BENCH_COLUMNS",
    "PROBLEMS",
    "TARGETS",
    "Problem",
    "RunFailedError",
    "get_problem",
    "problem_names",
    "random_search_odds",
    "run_bench",
    "run_one",
    "summarize",
]
