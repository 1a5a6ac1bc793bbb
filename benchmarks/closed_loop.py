"""Closed-loop benchmark: the default strategy ("botorch") against plain botorch and random search
on the virtual lab.

Strategies: ``botorch`` (the default), ``botorch-plain`` (botorch's qLogNEI, each point weighted by
P(solid)^5, optimized by ``optimize_acqf_mixed``: SLSQP, 10 restarts, 512 raw
samples), ``random``, and on request ``botorch-qlognei`` (that qLogNEI with optiform's optimizer).
For each strategy and each seed, a fresh campaign (the shipped llzt-cse campaign file, its own
temporary SQLite store) runs propose -> measure -> record on ``VirtualLab(seed=seed)`` until the
budget is spent (first batch: the campaign's ``n_initial`` points, then batches of ``--batch``).
Random search proposes every batch at random, the first included; the default strategy starts with
its space-filling design and then uses the GP.

Per run we record the number of experiments until a formulation reaching 95% of the simulator's
optimum (``GLOBAL_OPTIMUM``) was made, judged on the noise-free value; a run that never gets there
counts as ``budget + 1``. Per strategy we print the median and interquartile range of that number,
how many seeds never reached 95%, the median best noise-free value at the end (% of optimum), the
share of failed (fluid) films, the median share of solid films after the design, and the wall
time; then the ratio of medians, random / botorch, and default vs plain botorch.

Seeding: run ``seed`` creates its campaign with ``Campaign.create(..., seed=seed)`` (the proposals'
random streams) and measures on ``VirtualLab(seed=seed)`` (the noise), so every run is reproducible
and the runs differ.

    .venv/bin/python benchmarks/closed_loop.py                # 10 seeds, budget 60, 2 workers
    .venv/bin/python benchmarks/closed_loop.py --quick        # smoke test: 2 seeds, budget 22
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from optiform import Campaign
from optiform.bench.loop import closed_loop, experiments_to_reach
from optiform.bench.variants import StrategyVariant
from optiform.sim.lab import GLOBAL_OPTIMUM, VirtualLab
from optiform.spec import example_spec_path, load_spec

STRATEGIES = ("botorch", "botorch-plain", "random", "botorch-qlognei")
DEFAULT_STRATEGIES = ("botorch", "botorch-plain", "random")
# "botorch-plain": botorch's qLogNEI (each point weighted by P(solid)^5) optimized by
# plain botorch (optimize_acqf_mixed, SLSQP, num_restarts=10, raw_samples=512);
# "botorch-qlognei": that acquisition with optiform's projected optimizer (options acquisition="qlognei").
PLAIN_OPTIONS = {"optimizer": "scipy", "num_restarts": 10, "raw_samples": 512, "feasibility_power": 5.0}
TARGET_FRACTION = 0.95
REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "benchmarks" / "results" / "closed_loop.csv"
QUICK_OUT = DEFAULT_OUT.with_name("closed_loop_quick.csv")  # a smoke test never overwrites the full results
OPTIMUM = float(GLOBAL_OPTIMUM["conductivity_mS_cm"])


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def run_one(
    strategy: str,
    seed: int,
    budget: int,
    batch: int,
    options: dict | None = None,
    feasibility_inputs: str | None = None,
    lengthscale_prior: str | None = None,
) -> dict:
    """One closed loop in its own temporary store; returns one row of the per-run table.
    ``options`` (strategy options, e.g. ``{"feasibility_power": 7}``) apply to ``botorch``;
    ``feasibility_inputs`` sets the campaign's ``[feasibility] inputs`` and ``lengthscale_prior`` its
    ``[model] lengthscale_prior``, for every strategy."""
    tmp = tempfile.mkdtemp(prefix=f"optiform-bench-{strategy}-{seed}-")
    t0 = time.perf_counter()
    try:
        spec = load_spec(example_spec_path())
        settings = StrategyVariant(
            spec.strategy.name,
            spec.strategy.name,
            feasibility_inputs=feasibility_inputs,
            lengthscale_prior=lengthscale_prior,
        )
        spec = settings.apply(spec)  # the campaign's settings replaced where given; its strategy unchanged
        variant = {"botorch-plain": PLAIN_OPTIONS, "botorch-qlognei": {"acquisition": "qlognei"}}.get(strategy)
        if variant is None and strategy == "botorch":
            variant = options
        if variant:
            spec = spec.model_copy(update={"strategy": spec.strategy.model_copy(update={"options": dict(variant)})})
        name = "botorch" if strategy.startswith("botorch") else strategy
        campaign = Campaign.create(spec, store=f"sqlite:///{tmp}/run.db", seed=seed)
        try:
            history = closed_loop(campaign, VirtualLab(seed=seed), budget=budget, batch_size=batch, strategy=name)
        finally:
            campaign.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    wall = time.perf_counter() - t0
    n_to = experiments_to_reach(history, TARGET_FRACTION * OPTIMUM, budget)
    n_to_90 = experiments_to_reach(history, 0.90 * OPTIMUM, budget)
    best = float(np.nanmax(history["true_mS_cm"])) if history["true_mS_cm"].notna().any() else float("nan")
    n_model = history["batch"].gt(1)  # after the first (design) batch
    return {
        "strategy": strategy,
        "seed": seed,
        "budget": budget,
        "batch_size": batch,
        "n_experiments": len(history),
        "experiments_to_95pct": n_to,
        "reached_95pct": n_to <= budget,
        "experiments_to_90pct": n_to_90,
        "best_true_mS_cm": best,
        "best_pct_of_optimum": 100.0 * best / OPTIMUM,
        "n_failed": int(history["status"].eq("failed").sum()),
        "n_failed_after_design": int((history["status"].eq("failed") & n_model).sum()),
        "solid_pct_after_design": 100.0 * float((~history["status"].eq("failed"))[n_model].mean())
        if n_model.any()
        else float("nan"),
        "wall_s": wall,
    }


def summarize(runs: pd.DataFrame, budget: int) -> pd.DataFrame:
    rows = []
    for strategy in dict.fromkeys(runs["strategy"]):
        r = runs[runs["strategy"] == strategy]
        if not len(r):
            continue
        n = r["experiments_to_95pct"].to_numpy(dtype=float)
        q25, q50, q75 = np.percentile(n, [25, 50, 75])
        rows.append(
            {
                "strategy": strategy,
                "seeds": len(r),
                "median_to_95": q50,
                "median_to_90": float(np.median(r["experiments_to_90pct"])),
                "iqr": f"{q25:g}-{q75:g}",
                "never_reached": int((~r["reached_95pct"]).sum()),
                "median_best_pct": float(r["best_pct_of_optimum"].median()),
                "failed_pct": 100.0 * r["n_failed"].sum() / r["n_experiments"].sum(),
                "solid_after_design_median_pct": float(r["solid_pct_after_design"].median()),
                "wall_s_median": float(r["wall_s"].median()),
                "wall_s_total": float(r["wall_s"].sum()),
            }
        )
    return pd.DataFrame(rows)


def format_summary(summary: pd.DataFrame, budget: int) -> str:
    never = f"(= {budget + 1} when never)"
    header = (
        f"{'strategy':<13} {'seeds':>5} {'median exp. to 90%':>19} {'median exp. to 95%':>19} {'IQR':>11} {'never':>6} "
        f"{'median best %opt':>17} {'failed %':>9} {'solid % after design':>21} {'wall s/run':>11} {'wall s total':>13}"
    )
    lines = [f"experiments to reach 95% of optimum {never}", header, "-" * len(header)]
    for _, s in summary.iterrows():
        lines.append(
            f"{s['strategy']:<13} {s['seeds']:>5d} {s['median_to_90']:>19g} {s['median_to_95']:>19g} {s['iqr']:>11} "
            f"{s['never_reached']:>6d} {s['median_best_pct']:>16.1f}% {s['failed_pct']:>8.1f}% "
            f"{s['solid_after_design_median_pct']:>20.1f}% "
            f"{s['wall_s_median']:>11.1f} {s['wall_s_total']:>13.1f}"
        )
    med = summary.set_index("strategy")["median_to_95"]
    if {"botorch", "random"} <= set(med.index):
        ratio = med["random"] / med["botorch"]
        note = ""
        if med["botorch"] > budget:
            note = "  (botorch's median is censored at budget+1: the ratio is not meaningful)"
        elif med["random"] > budget:
            note = "  (random's median is censored at budget+1: the true ratio is at least this)"
        lines.append(f"ratio of medians random / botorch: {ratio:.2f}{note}")
    if {"botorch", "botorch-plain"} <= set(med.index):
        lines.append(
            f"default vs plain botorch, median experiments to 95%: {med['botorch']:g} vs {med['botorch-plain']:g} "
            f"({100 * (med['botorch'] / med['botorch-plain'] - 1):+.0f}%)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seeds", type=int, default=10, help="seeds per strategy (0..seeds-1); default 10")
    p.add_argument("--budget", type=int, default=None, help="experiments per run; default 60 (22 with --quick)")
    p.add_argument("--batch", type=int, default=4, help="batch size after the initial design; default 4")
    p.add_argument("--workers", type=int, default=2, help="worker processes; default 2")
    p.add_argument("--quick", action="store_true", help="smoke test: 2 seeds, budget 22")
    p.add_argument(
        "--strategies",
        default=",".join(DEFAULT_STRATEGIES),
        help=f"comma-separated, of {', '.join(STRATEGIES)}; default {','.join(DEFAULT_STRATEGIES)}",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"per-run CSV; default {DEFAULT_OUT.relative_to(REPO)} ({QUICK_OUT.name} with --quick)",
    )
    p.add_argument(
        "--options",
        type=json.loads,
        default=None,
        help="JSON strategy options for the default strategy, e.g. '{\"feasibility_power\": 7}' (a variant; default: none)",
    )
    p.add_argument(
        "--feasibility-inputs",
        choices=["fractions", "ratios"],
        default=None,
        help="the campaign's [feasibility] inputs (default: the campaign file's, fractions)",
    )
    p.add_argument(
        "--lengthscale-prior",
        choices=["lognormal", "gamma"],
        default=None,
        help="the campaign's [model] lengthscale_prior (default: the campaign file's)",
    )
    args = p.parse_args(argv)
    seeds = 2 if args.quick else args.seeds
    budget = args.budget if args.budget is not None else (22 if args.quick else 60)
    out = args.out if args.out is not None else (QUICK_OUT if args.quick else DEFAULT_OUT)
    if seeds < 1 or budget < 1 or args.batch < 1 or args.workers < 1:
        p.error("--seeds, --budget, --batch and --workers must be positive")

    exe = Path(sys.executable)
    try:
        exe = exe.relative_to(Path.cwd())
    except ValueError:
        pass
    print(f"$ {shlex.join([str(exe), *sys.argv])}")
    import botorch
    import torch

    import optiform

    spec = load_spec(example_spec_path())

    print(
        f"# {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} | {platform.node()} | {platform.processor() or platform.machine()} "
        f"| {os.cpu_count()} CPUs | Python {platform.python_version()} | optiform {optiform.__version__} "
        f"| torch {torch.__version__} | botorch {botorch.__version__}"
    )
    print(
        f"# campaign {spec.name} ({example_spec_path().name}), {spec.dimension} degrees of freedom, "
        f"n_initial {spec.n_initial}; budget {budget}, batch {args.batch}, seeds 0-{seeds - 1}, workers {args.workers}"
        + (f"; botorch options {json.dumps(args.options)}" if args.options else "")
        + (f"; [feasibility] inputs {args.feasibility_inputs!r}" if args.feasibility_inputs else "")
        + (f"; [model] lengthscale_prior {args.lengthscale_prior!r}" if args.lengthscale_prior else "")
    )
    print(
        f"# target: 95% of the simulator's optimum {OPTIMUM:.4f} mS/cm = {TARGET_FRACTION * OPTIMUM:.4f} mS/cm "
        f"(noise-free value of a formulation made)"
    )
    sys.stdout.flush()

    strategies = [x.strip() for x in args.strategies.split(",") if x.strip()]
    unknown = [x for x in strategies if x not in STRATEGIES]
    if unknown:
        p.error(f"unknown strategies {unknown}; expected some of {', '.join(STRATEGIES)}")
    jobs = [(s, seed) for seed in range(seeds) for s in strategies]
    rows = []
    t0 = time.perf_counter()
    with ProcessPoolExecutor(
        max_workers=args.workers, mp_context=get_context("spawn"), initializer=_init_worker
    ) as pool:
        futures = {
            pool.submit(
                run_one, s, seed, budget, args.batch, args.options, args.feasibility_inputs, args.lengthscale_prior
            ): (s, seed)
            for s, seed in jobs
        }
        for fut in as_completed(futures):
            row = fut.result()
            rows.append(row)
            print(
                f"  done {row['strategy']:<13} seed {row['seed']:>2}: to 95% {row['experiments_to_95pct']:>3}, "
                f"best {row['best_pct_of_optimum']:5.1f}% of optimum, {row['n_failed']:>2} failed, "
                f"{row['wall_s']:6.1f} s",
                flush=True,
            )
    elapsed = time.perf_counter() - t0

    runs = pd.DataFrame(rows).sort_values(["strategy", "seed"]).reset_index(drop=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    runs.to_csv(out, index=False, float_format="%.6g")
    print()
    print(format_summary(summarize(runs, budget), budget))
    print(f"total wall time {elapsed:.0f} s on {args.workers} worker(s); per-run table: {_show(out)}")
    return 0


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
