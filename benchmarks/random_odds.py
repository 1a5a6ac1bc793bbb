"""How many experiments random search needs to reach 90/95/98% of a problem's optimum.

The bench (``optiform bench``) counts a run that never reaches a target as budget + 1, so on a
problem where random search never gets there its need is only known to exceed the budget. This
script estimates it: the chance ``p`` that one random experiment (uniform over the space, rounded
to the lattice, as ``RandomStrategy`` draws) reaches the target, by Monte Carlo with an exact
Poisson 95% interval, and the experiments random search needs, mean 1/p and median ln 2 / p
(:func:`optiform.bench.odds.random_search_odds`). Shards run in parallel under their own seeds.

    .venv/bin/python benchmarks/random_odds.py --problems llzt-full --draws 8000000 --workers 2
    .venv/bin/python benchmarks/random_odds.py --problems llzt-ternary,shifted --draws 400000
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pandas as pd

from optiform.bench import problem_names
from optiform.bench.odds import merge_odds, random_search_odds


def _shard(args: tuple[str, int, int]) -> pd.DataFrame:
    problem, draws, seed = args
    warnings.simplefilter("ignore")
    return random_search_odds(problem, draws=draws, seed=seed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--problems", default="llzt-full,llzt-ternary", help=f"comma-separated, of: {', '.join(problem_names())}"
    )
    ap.add_argument("--draws", type=int, default=2_000_000, help="random experiments simulated per problem")
    ap.add_argument("--workers", type=int, default=2, help="processes (the draws are split into this many shards)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    problems = [p.strip() for p in args.problems.split(",") if p.strip()]
    unknown = [p for p in problems if p not in problem_names()]
    if unknown:
        print(
            f"error: --problems: unknown {', '.join(unknown)}; expected some of {', '.join(problem_names())}",
            file=sys.stderr,
        )
        return 2
    if args.draws < 1 or args.workers < 1:
        print(f"error: --draws and --workers must be >= 1, got {args.draws} and {args.workers}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    shards = [
        (p, args.draws // args.workers + (w < args.draws % args.workers), args.seed * args.workers + w)
        for p in problems
        for w in range(args.workers)
    ]
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        table = merge_odds(list(pool.map(_shard, shards)))
    pd.set_option("display.width", 200)
    cols = [
        "problem",
        "fraction",
        "draws",
        "hits",
        "p",
        "expected_experiments",
        "expected_low",
        "expected_high",
        "median_experiments",
    ]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"({time.perf_counter() - t0:.0f} s; expected_low/high: 95% interval of the mean experiments 1/p)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
