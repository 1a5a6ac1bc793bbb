"""Where the default's failed films come from: per proposal after the first batch, P(feasible) as the
campaign's classifier gave it when the batch was proposed, its place in the batch (0 = the
exploitation point) and whether the film passed (the lab's noise-free value is finite).

    .venv/bin/python benchmarks/feasibility_calibration.py --problem ratio-boundary --seeds 5 --budget 32
    .venv/bin/python benchmarks/feasibility_calibration.py --problem llzt-ternary --strategy 'botorch[min_probability=0]'

Prints the share that passed by P bin and by place in the batch, the Brier score and log loss of P
on the outcomes, and the median best/optimum at the end; ``--out`` writes one row per proposal.
First batch ``--initial`` (8), then batches of ``--batch`` (4), as in the bench's protocol.
"""

from __future__ import annotations

import argparse
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from optiform.bench.loop import closed_loop, measure_and_record
from optiform.bench.problems import get_problem
from optiform.bench.variants import parse_strategy
from optiform.campaign import Campaign

BINS = [0.0, 0.3, 0.5, 0.7, 0.9, 0.97, 1.0]


def run(problem_name: str, strategy: str, seed: int, budget: int, initial: int, batch: int) -> pd.DataFrame:
    """One closed loop; one row per experiment: seed, batch, place, P (NaN in the first batch),
    passed, fraction of the optimum (NaN when failed)."""
    problem = get_problem(problem_name)
    spec = replace(parse_strategy(strategy), n_initial=initial).apply(problem.campaign_spec())
    lab = problem.make_lab(seed)
    campaign = Campaign.create(spec, store="sqlite://", seed=seed)
    rows: list[dict] = []

    def make(proposals: pd.DataFrame, number: int) -> pd.DataFrame:
        model = campaign.feasibility_model() if number > 1 else None
        p = model.probability(proposals) if model is not None else np.full(len(proposals), np.nan)
        truth = np.asarray(lab.true_value(proposals), dtype=float)
        for place in range(len(proposals)):
            rows.append(
                {
                    "seed": seed,
                    "batch": number,
                    "place": place,
                    "P": p[place],
                    "passed": bool(np.isfinite(truth[place])),
                    "fraction_of_optimum": truth[place] / problem.optimum_value,
                }
            )
        return measure_and_record(campaign, lab, proposals)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        closed_loop(campaign, lab, budget=budget, batch_size=batch, initial_batch=initial, make=make)
    campaign.close()
    return pd.DataFrame(rows)


def report(table: pd.DataFrame) -> str:
    later = table[table["batch"] > 1].dropna(subset=["P"])
    passed = later["passed"].astype(float)
    brier = float(((later["P"] - passed) ** 2).mean())
    p = later["P"].clip(1e-6, 1 - 1e-6)
    log_loss = float(-(passed * np.log(p) + (1 - passed) * np.log(1 - p)).mean())
    by_bin = later.groupby(pd.cut(later["P"], BINS), observed=True)["passed"].agg(["size", "mean"])
    by_place = later.groupby("place")[["P", "passed"]].mean()
    best = table.groupby("seed")["fraction_of_optimum"].max()
    lines = [
        f"passed after the first batch: {passed.mean():.1%} of {len(later)}; Brier {brier:.3f}, log loss {log_loss:.3f}",
        f"best/optimum at the end: median {best.median():.3f}, worst {best.min():.3f}",
        "P when proposed -> proposals, share passed:",
        *(f"  {interval}: {int(r['size'])}, {r['mean']:.0%}" for interval, r in by_bin.iterrows()),
        "place in the batch -> mean P, share passed:",
        *(f"  {place}: {r['P']:.2f}, {r['passed']:.0%}" for place, r in by_place.iterrows()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", default="ratio-boundary", help="a bench problem with [feasibility]")
    ap.add_argument("--strategy", default="botorch", help="a strategy or variant, e.g. 'botorch[min_probability=0]'")
    ap.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1; default 5")
    ap.add_argument("--budget", type=int, default=32, help="experiments per run; default 32")
    ap.add_argument("--initial", type=int, default=8, help="first batch; default 8")
    ap.add_argument("--batch", type=int, default=4, help="later batches; default 4")
    ap.add_argument("--out", type=Path, help="CSV of every proposal")
    args = ap.parse_args(argv)
    table = pd.concat(
        [run(args.problem, args.strategy, s, args.budget, args.initial, args.batch) for s in range(args.seeds)]
    )
    if args.out:
        table.to_csv(args.out, index=False)
    print(f"{args.problem}, {args.strategy}, seeds 0-{args.seeds - 1}, budget {args.budget}")
    print(report(table))


if __name__ == "__main__":
    main()
