"""Benchmarks of proposal strategies on problems with a known optimum (``optiform bench``), and the
closed loop they run.

:func:`closed_loop` runs propose -> measure -> record on a lab (:func:`closed_loop_raw` through raw
instrument files); :func:`run_bench` runs strategies x problems x seeds as closed loops and returns
a tidy table (one row per experiment); :func:`summarize` turns it into experiments-to-95%/98%-of-
optimum figures; problems are looked up by name in :data:`PROBLEMS` (:func:`get_problem`,
:func:`problem_names`); :func:`random_search_odds` estimates how many experiments random search
needs where no budget shows it; :data:`PEERS` are other optimizers the bench runs on the same
problems (``baybe``, :mod:`optiform.bench.peers`).
"""

from .loop import BatchReport, closed_loop, closed_loop_raw, experiments_to_reach
from .odds import random_search_odds
from .peers import PEERS, NotExpressibleError
from .problem import Problem
from .problems import PROBLEMS, get_problem, problem_names
from .runner import BENCH_COLUMNS, TARGETS, RunFailedError, run_bench, run_one, summarize

__all__ = [
    "BENCH_COLUMNS",
    "PEERS",
    "PROBLEMS",
    "TARGETS",
    "BatchReport",
    "NotExpressibleError",
    "Problem",
    "RunFailedError",
    "closed_loop",
    "closed_loop_raw",
    "experiments_to_reach",
    "get_problem",
    "problem_names",
    "random_search_odds",
    "run_bench",
    "run_one",
    "summarize",
]
