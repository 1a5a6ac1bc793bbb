"""What the feasibility classifier costs: the default strategy with the learnt solid/fluid
classifier against the same strategy told the virtual lab's true fluid boundary.

The oracle replaces ``Campaign.feasibility_model`` (in the worker process only) by the lab's rule,
solid where SN <= r(FEC) * MEMA with r(F) = 1.675 exp(-0.04 (F - 5)) (``optiform.sim.lab.
fluid_threshold``), as a steep log-sigmoid so that the acquisition keeps a gradient:

    log P(solid | x) = log sigmoid(k (r(F) x_MEMA - x_SN)),   k = 4000 per unit mass fraction

(one 1 wt% step across the boundary changes log P by ~40). Everything else — the objective's GP,
the acquisition, the exploitation point, rounding, the lab's noise and seeds — is the default's,
and runs are judged as in ``optiform bench`` (noise-free value of the best solid film so far).

    .venv/bin/python benchmarks/oracle_feasibility.py --problems llzt-ternary --seeds 20 --budget 40
    .venv/bin/python benchmarks/oracle_feasibility.py --problems llzt-full --seeds 20 --budget 60

Prints, per problem and arm, the median experiments to 95%, 97% and 98% of the optimum (censored
at budget + 1, with the number of seeds censored), the seeds reaching 97% within 17 and 98% within
16 experiments and
the median share of the model's films that stayed fluid; ``--out`` writes the runs as CSV.
"""

from __future__ import annotations

import argparse
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from optiform.bench.problems import PAPER_FIXED
from optiform.bench.runner import experiments_to_targets, run_one
from optiform.sim.lab import fluid_threshold
from optiform.space import Space

RATIO_FEC5 = float(fluid_threshold(np.array(5.0)))  # r(5 wt%) = 1.675
DECAY_PER_WT_PCT = float(np.log(RATIO_FEC5 / fluid_threshold(np.array(6.0))))  # 0.04
STEEPNESS = 4000.0  # per unit mass fraction: log P changes by ~40 over one 1 wt% step
PROBLEMS = ("llzt-ternary", "llzt-full")


class TrueBoundary:
    """The virtual lab's solid/fluid rule in the shape of a fitted FeasibilityModel (``log_prob`` on
    the space's model coordinates, ``probability`` on formulation tables). FEC is read from its model
    column when the space has it, else it is the paper's value (the ternary slice)."""

    name = "solid"

    def __init__(self, space: Space) -> None:
        self.mema, self.sn = (space.components.index(c) for c in ("MEMA", "SN"))  # mass fractions
        self.fec_column = space.variables.index("FEC_wt_pct") if "FEC_wt_pct" in space.continuous else None
        fec = space.continuous.get("FEC_wt_pct")
        self.fec_min, self.fec_span = (fec.min, fec.max - fec.min) if fec is not None else (0.0, 1.0)

    @staticmethod
    def _ratio(fec_wt_pct):
        exp = torch.exp if torch.is_tensor(fec_wt_pct) else np.exp
        return RATIO_FEC5 * exp(-DECAY_PER_WT_PCT * (fec_wt_pct - 5.0))

    def log_prob(self, X: torch.Tensor) -> torch.Tensor:
        if self.fec_column is None:
            fec = torch.tensor(float(PAPER_FIXED["FEC_wt_pct"]), dtype=X.dtype)
        else:
            fec = self.fec_min + self.fec_span * X[..., self.fec_column]
        return torch.nn.functional.logsigmoid(STEEPNESS * (self._ratio(fec) * X[..., self.mema] - X[..., self.sn]))

    def probability(self, df: pd.DataFrame) -> np.ndarray:
        fec = df["FEC_wt_pct"].to_numpy(float) if "FEC_wt_pct" in df else float(PAPER_FIXED["FEC_wt_pct"])
        return (df["SN"].to_numpy(float) <= fluid_threshold(fec) * df["MEMA"].to_numpy(float)).astype(float)


def _run(args: tuple[str, str, int, int, int, int | None]) -> pd.DataFrame:
    problem, arm, seed, budget, batch, initial = args
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    if arm == "true boundary":
        from optiform.campaign import Campaign

        Campaign.feasibility_model = lambda self: TrueBoundary(self.space)  # this worker process only
    run = run_one(problem, "botorch", seed, budget, batch, initial)
    run["strategy"] = f"botorch, {arm}"
    return run


def _table(df: pd.DataFrame, budget: int) -> pd.DataFrame:
    rows = []
    for (problem, arm), runs in df.groupby(["problem", "strategy"], sort=False):
        to = experiments_to_targets(runs)
        fluid = runs[runs["kind"] == "model"].groupby("seed")["true_value"].apply(lambda v: v.isna().mean())
        row = {"problem": problem, "arm": arm, "seeds": runs["seed"].nunique()}
        for target in (95, 97, 98):
            col = to[f"to_{target}"]
            row[f"to {target}%"] = f"{col.median():g} ({int((col > budget).sum())}/{len(col)} censored)"
        row["97% within 17"] = f"{int((to['to_97'] <= min(17, budget)).sum())}/{len(to)}"
        row["98% within 16"] = f"{int((to['to_98'] <= min(16, budget)).sum())}/{len(to)}"
        row["model's films fluid"] = f"{100 * fluid.median():.0f}%"
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", default="llzt-ternary", help=f"comma-separated, of {', '.join(PROBLEMS)}")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--initial", type=int, default=None, help="the first batch (default: the problem's design)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="CSV of every experiment of every run")
    args = parser.parse_args()
    problems = [p.strip() for p in args.problems.split(",") if p.strip()]
    unknown = [p for p in problems if p not in PROBLEMS]
    if unknown or not problems:
        parser.error(
            f"unknown problem {', '.join(map(repr, unknown)) or '(none given)'}; expected some of {', '.join(PROBLEMS)}"
        )
    jobs = [
        (p, arm, s, args.budget, args.batch, args.initial)
        for p in problems
        for arm in ("learnt classifier", "true boundary")
        for s in range(args.seeds)
    ]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=get_context("spawn")) as pool:
        df = pd.concat(list(pool.map(_run, jobs)), ignore_index=True)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(args.out, index=False)
    print(_markdown(_table(df, args.budget)))
    print(f"\n{len(jobs)} runs, budget {args.budget}, batch {args.batch}, {time.perf_counter() - t0:.0f} s")


def _markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
