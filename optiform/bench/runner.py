"""Run strategies x problems x seeds as closed loops and summarise how fast each reaches the optimum.

Every run (problem, strategy, seed) is one :func:`optiform.bench.loop.closed_loop` on a fresh campaign
(``Campaign.create(problem.spec, seed=seed)``, its own temporary SQLite store) and a fresh lab
(``problem.make_lab(seed)``): the same seed gives the same run. The first batch is the campaign's
``n_initial`` points for every strategy, or ``initial`` points when given (the default strategy's
space-filling design; a model-free strategy's first proposals), later batches have ``batch`` points, until ``budget``
experiments are made. A run of the ``grid`` strategy ends early when its grid is used up
(:class:`GridExhaustedError`); its best so far stays what it was.

Runs are judged on the lab's noise-free value (``true_value``; NaN where infeasible) of what was
made, for a maximised objective: ``best_so_far`` after experiment i is the best noise-free value of
experiments 1..i (NaN before the first feasible one), ``regret = optimum - best_so_far``,
``regret_fraction = regret / optimum`` and ``fraction_of_optimum = best_so_far / optimum``.

:func:`summarize` counts, per run, the experiments until ``best_so_far >= f * optimum`` for f in
:data:`TARGETS` (``budget + 1`` when never: censored) and reports per problem and strategy the
median over seeds with the number of censored seeds, e.g. ``61 (12/20 censored)``.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..campaign import Campaign
from ..errors import BenchError, DataError, StrategyError, path_error
from ..strategies import GridExhaustedError
from .loop import BatchReport, closed_loop
from .peers import (
    PEER_NOTE,
    PEER_STRATEGIES,
    is_peer,
    load_peer_run,
    not_expressible,
    peer_key,
    problem_fingerprint,
    run_peer,
    runs_outside_campaign,
    store_peer_run,
)
from .problem import Problem
from .problems import FAMILY_GROUPS, PROBLEMS, get_problem
from .variants import StrategyVariant, parse_strategy

TARGETS = (0.95, 0.97, 0.98)
CHECKPOINTS = (28, 32, 40)  # experiments after which best/optimum is summarised
SHARE_TARGET = 0.95  # the summary's share of runs at or above this fraction after each checkpoint
BENCH_COLUMNS = [
    "strategy",
    "problem",
    "seed",
    "experiment",  # experiment number within the run, 1..budget
    "batch",  # batch number (1 = the initial design)
    "kind",  # "design", "model" (default strategy) or the model-free strategy's name
    "status",  # "ok" or "failed" (infeasible, e.g. the film stayed fluid)
    "true_value",  # noise-free objective of this experiment (NaN where infeasible)
    "best_so_far",  # best noise-free value of experiments 1..experiment (NaN before a feasible one)
    "optimum",
    "fraction_of_optimum",  # best_so_far / optimum
    "regret",  # optimum - best_so_far
    "regret_fraction",  # regret / optimum
    "budget",
    "wall_s",  # wall time of the run up to the end of this experiment's batch, s
]
SUMMARY_FILES = ("bench.csv", "runs.csv", "convergence.png", "summary.csv", "summary.md")

Progress = Callable[[int, int, dict[str, Any]], None]


class RunFailedError(BenchError):
    """One run of a benchmark raised: names the run (problem, strategy, seed) so that it can be
    repeated alone with :func:`run_one`; the original exception is its ``__cause__``."""

    def __init__(self, problem: str, strategy: str, seed: int, error: BaseException) -> None:
        self.problem, self.strategy, self.seed = problem, strategy, int(seed)
        super().__init__(
            f"benchmark run failed: problem {problem!r}, strategy {strategy!r}, seed {seed}: "
            f"{type(error).__name__}: {error} (repeat it with optiform.bench.run_one({problem!r}, {strategy!r}, {seed}, budget, batch))"
        )


# --------------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------------


class _RecordingLab:
    """Passes ``measure``/``true_value`` through to the problem's lab and keeps the noise-free values
    closed_loop asked for (one array per batch), so a run that stops early keeps its history."""

    def __init__(self, lab: Any) -> None:
        self.lab = lab
        self.truths: list[np.ndarray] = []

    def measure(self, X: pd.DataFrame) -> pd.DataFrame:
        return self.lab.measure(X)

    def true_value(self, X: pd.DataFrame) -> np.ndarray:
        truth = np.asarray(self.lab.true_value(X), dtype=float)
        self.truths.append(truth)
        return truth


def run_one(
    problem: Problem | str,
    strategy: str | StrategyVariant,
    seed: int,
    budget: int,
    batch: int,
    initial: int | None = None,
) -> pd.DataFrame:
    """One closed loop (campaign seed = lab seed = ``seed``) in a temporary store, deleted after.

    ``strategy``: a name or a variant with options, e.g. ``"botorch[feasibility_power=3]"``
    (:mod:`optiform.bench.variants`); the problem's campaign runs with it as its ``[strategy]``.
    ``initial``: the first batch's size and the campaign's ``n_initial`` (unless the variant sets
    its own ``n_initial``); default the campaign's ``n_initial``.
    Returns one row per experiment with :data:`BENCH_COLUMNS` (``strategy`` = the variant's label).
    """
    p = problem if isinstance(problem, Problem) else get_problem(problem)
    variant = strategy if isinstance(strategy, StrategyVariant) else parse_strategy(strategy)
    if initial is not None and variant.n_initial is None:
        variant = replace(variant, n_initial=int(initial))
    spec = variant.apply(p.campaign_spec())
    lab = _RecordingLab(p.make_lab(seed))
    batches: list[tuple[BatchReport, float]] = []
    tmp = tempfile.mkdtemp(prefix=f"optiform-bench-{p.name}-{variant.name}-{seed}-")
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            _quiet_warnings()
            if runs_outside_campaign(variant.name):  # another optimizer, outside optiform's campaign (peers.py)
                run_peer(
                    variant.name,
                    p.name,
                    spec,
                    lab,
                    seed,
                    budget,
                    batch,
                    on_batch=lambda r: batches.append((r, time.perf_counter() - t0)),
                )
                return _run_table(p, variant, seed, budget, batches, lab)
            campaign = Campaign.create(spec, store=f"sqlite:///{Path(tmp) / 'run.db'}", seed=seed)
            try:
                closed_loop(
                    campaign,
                    lab,
                    budget=budget,
                    batch_size=batch,
                    initial_batch=initial,
                    on_batch=lambda r: batches.append((r, time.perf_counter() - t0)),
                )
            except GridExhaustedError:
                _last_points(campaign, lab, budget, batch, batches, t0)
            finally:
                campaign.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _run_table(p, variant, seed, budget, batches, lab)


def _run_table(
    p: Problem,
    variant: StrategyVariant,
    seed: int,
    budget: int,
    batches: list[tuple[BatchReport, float]],
    lab: _RecordingLab,
) -> pd.DataFrame:
    """One row per experiment of a run (:data:`BENCH_COLUMNS`) from its batches and noise-free values."""
    frames = []
    for (report, wall), truth in zip(batches, lab.truths, strict=True):
        frames.append(
            pd.DataFrame(
                {
                    "batch": report.number,
                    "kind": report.kind,
                    "status": report.results["status"].to_numpy(),
                    "true_value": truth,
                    "wall_s": wall,
                }
            )
        )
    run = pd.concat(frames, ignore_index=True)
    optimum = float(p.optimum_value)
    run.insert(0, "experiment", np.arange(1, len(run) + 1))
    run.insert(0, "seed", int(seed))
    run.insert(0, "problem", p.name)
    run.insert(0, "strategy", variant.label)
    run["best_so_far"] = run["true_value"].fillna(-np.inf).cummax().replace(-np.inf, np.nan)
    run["optimum"] = optimum
    run["fraction_of_optimum"] = run["best_so_far"] / optimum
    run["regret"] = optimum - run["best_so_far"]
    run["regret_fraction"] = run["regret"] / optimum
    run["budget"] = int(budget)
    return run[BENCH_COLUMNS]


def _last_points(
    campaign: Campaign,
    lab: _RecordingLab,
    budget: int,
    batch: int,
    batches: list[tuple[BatchReport, float]],
    t0: float,
) -> None:
    """After a used-up grid (fewer points left than a batch): make what is left as one last, smaller
    batch, then the run ends (before the budget)."""
    made = batches[-1][0].n_experiments if batches else 0
    number = batches[-1][0].number if batches else 0
    asked = min(batch if batches else campaign.spec.n_initial, budget - made)  # the batch that failed
    for n in range(asked - 1, 0, -1):

        def record(r: BatchReport, n: int = n) -> None:
            batches.append((replace(r, number=number + 1, n_experiments=made + n), time.perf_counter() - t0))

        try:
            closed_loop(campaign, lab, budget=n, batch_size=n, initial_batch=n, on_batch=record)
            return
        except GridExhaustedError:
            continue


def _quiet_warnings() -> None:
    """Hide the GP's numerical notes (e.g. linear_operator's "added jitter" NumericalWarning): a
    benchmark makes hundreds of fits and the notes drown the progress display."""
    try:
        from linear_operator.utils.warnings import NumericalWarning

        warnings.simplefilter("ignore", NumericalWarning)
    except ImportError:  # pragma: no cover - linear_operator comes with botorch
        pass


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)  # several runs share the cores (see models.gp.compute_threads)


# --------------------------------------------------------------------------------------------------
# Many runs
# --------------------------------------------------------------------------------------------------


def default_workers() -> int:
    """min(2, number of CPUs)."""
    return max(1, min(2, os.cpu_count() or 1))


def run_bench(
    problems: Sequence[str | Problem],
    strategies: Sequence[str],
    seeds: int | Sequence[int],
    budget: int,
    batch: int,
    out: str | Path | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    initial: int | None = None,
    peer_cache: str | Path | None = None,
    peer_budget: int | None = None,
) -> pd.DataFrame:
    """Run every (problem, strategy, seed) closed loop and return the tidy table (:data:`BENCH_COLUMNS`,
    one row per experiment, sorted by problem, strategy, seed, experiment in the order given).

    ``problems``: registered names (see :func:`problem_names`; ``family``, ``family-test`` stand for
    their instances) or :class:`Problem` objects;
    ``strategies``: names from :data:`optiform.strategies.STRATEGIES` or variants with options
    (``"botorch[feasibility_power=3]"``, :mod:`optiform.bench.variants`); ``seeds``: a count N (seeds
    0..N-1) or the seeds themselves; ``workers``: processes (default min(2, CPUs); 1 runs in this
    process); ``progress(done, total, info)`` is called after each run with info = problem,
    strategy, seed, wall_s, best fraction_of_optimum. With ``out`` (a folder, created if needed)
    writes ``bench.csv``, ``runs.csv``, ``convergence.png``, ``summary.csv`` and ``summary.md`` there.
    A peer (``baybe``, :mod:`optiform.bench.peers`) that cannot express a problem is not run on it:
    the returned table's ``attrs["not_expressible"]`` lists {problem, strategy, reason}, which
    :func:`summarize` shows as rows. Bad arguments and unknown problem names raise DataError, a variant the problem's space cannot use
    StrategyError, unknown strategy names and options a strategy does not take the error of
    :func:`~optiform.bench.variants.parse_strategy`, all before anything runs; a run that raises
    raises :class:`RunFailedError` (a BenchError).

    ``initial``: the first batch of every strategy (each from its own initial design; see
    :func:`run_one`), default each campaign's ``n_initial``. ``peer_cache``: a folder where the runs
    of peer strategies (:data:`optiform.bench.peers.PEER_STRATEGIES`) are kept and from which they
    are reused (:mod:`optiform.bench.peers`); None runs them every time. ``peer_budget``: the
    peers' runs stop after this many experiments instead of ``budget`` (a peer's run costs minutes
    per batch; a comparison after k experiments needs it only that far).
    """
    groups = FAMILY_GROUPS  # a group name ('family', 'family-test') stands for its instances
    problems = [q for p in problems for q in (groups.get(p, [p]) if isinstance(p, str) else [p])]
    resolved = [p if isinstance(p, Problem) else get_problem(p) for p in problems]
    if not resolved:
        raise DataError("no problem given")
    names = [p.name for p in resolved]
    if len(set(names)) < len(names):
        raise DataError(f"problem listed twice: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
    variants = list({v.label: v for v in map(parse_strategy, strategies)}.values())
    if not variants:
        raise DataError("no strategy given")
    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    if not seed_list or (isinstance(seeds, (int, np.integer)) and seeds < 1):
        raise DataError(f"seeds: expected a positive count or a list of seeds, got {seeds!r}")
    if len(set(seed_list)) < len(seed_list):
        raise DataError("seeds: a seed is listed twice")
    checks: list[tuple[str, Any]] = [("budget", budget), ("batch", batch)]
    if initial is not None:
        checks.append(("initial", initial))
    if peer_budget is not None:
        checks.append(("peer_budget", peer_budget))
    for label, value in checks:
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise DataError(f"{label}: expected a positive integer, got {value!r}")
    workers = default_workers() if workers is None else workers
    if not isinstance(workers, (int, np.integer)) or workers < 1:
        raise DataError(f"workers: expected a positive integer, got {workers!r}")
    for p in resolved:
        spec = p.campaign_spec()
        for v in variants:  # e.g. a kernel the problem's space cannot use
            try:
                v.apply(spec)
            except ValueError as exc:
                raise StrategyError(f"strategy {v.label!r} on problem {p.name!r}: {exc}") from exc
        if spec.objectives[0].direction != "maximize":
            raise DataError(
                f"problem {p.name!r}: benchmarks judge a maximised objective; {spec.objectives[0].name} is minimised"
            )
        if not (np.isfinite(p.optimum_value) and p.optimum_value > 0):
            raise DataError(f"problem {p.name!r}: optimum_value must be a positive number, got {p.optimum_value!r}")

    # a peer that cannot express a problem: no runs, a row in the summary saying why
    def budget_of(v: StrategyVariant) -> int:
        return int(peer_budget) if peer_budget is not None and is_peer(v.name) else int(budget)

    skipped = [
        {"problem": p.name, "strategy": v.label, "reason": reason, "budget": budget_of(v)}
        for p in resolved
        for v in variants
        if runs_outside_campaign(v.name) and (reason := not_expressible(v.name, p.campaign_spec())) is not None
    ]
    unexpressed = {(s["problem"], s["strategy"]) for s in skipped}

    # expensive strategies first, so that the pool's last jobs are short ones
    cost = {"baybe": -1, "botorch": 0, "optuna-gp": 1}
    jobs = [
        (p, v, seed)
        for v in sorted(variants, key=lambda v: cost.get(v.name, 2))
        for p in resolved
        if (p.name, v.label) not in unexpressed
        for seed in seed_list
    ]
    total = len(jobs)
    frames: list[pd.DataFrame] = []
    t0 = time.perf_counter()
    cache = Path(peer_cache) if peer_cache is not None else None
    keys: dict[tuple[str, str, int], dict[str, Any]] = {}
    cached: list[pd.DataFrame] = []
    fingerprints: dict[str, dict[str, Any]] = {}
    if cache is not None:
        to_run = []
        for p, v, seed in jobs:
            if not is_peer(v.name):
                to_run.append((p, v, seed))
                continue
            if p.name not in fingerprints:  # once per problem: an emulator's fingerprint takes seconds
                fingerprints[p.name] = problem_fingerprint(p)
            key = peer_key(p, v.label, v.name, seed, budget_of(v), batch, initial, fingerprints[p.name])
            keys[(p.name, v.label, seed)] = key
            hit = load_peer_run(cache, key)
            if hit is None:
                to_run.append((p, v, seed))
            else:
                cached.append(hit[BENCH_COLUMNS])
        jobs = to_run

    def finished(run: pd.DataFrame) -> None:
        frames.append(run)
        key = keys.get((str(run["problem"].iloc[0]), str(run["strategy"].iloc[0]), int(run["seed"].iloc[0])))
        if cache is not None and key is not None:
            store_peer_run(cache, key, run)
        if progress is not None:
            _report(run, len(frames), total, progress)

    for run in cached:  # peers' runs from the cache count as done
        frames.append(run)
        if progress is not None:
            _report(run, len(frames), total, progress)
    if workers == 1 or len(jobs) <= 1:
        for p, v, seed in jobs:
            try:
                run = run_one(p, v, seed, budget_of(v), batch, initial)
            except Exception as exc:
                raise RunFailedError(p.name, v.label, seed, exc) from exc
            finished(run)
    else:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)), mp_context=get_context("spawn"), initializer=_init_worker
        ) as pool:
            futures = {
                pool.submit(run_one, _portable(p), v, seed, budget_of(v), batch, initial): (p.name, v.label, seed)
                for p, v, seed in jobs
            }
            pending = set(futures)
            while pending:  # each run kept (peers' cache, progress) as soon as it is done
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                errors = [(fut, error) for fut in done if (error := fut.exception()) is not None]
                for fut in done:
                    if fut.exception() is None:
                        finished(fut.result())
                if errors:
                    for other in pending:
                        other.cancel()
                    fut, error = errors[0]
                    raise RunFailedError(*futures[fut], error) from error
    elapsed = time.perf_counter() - t0

    order = {"problem": names, "strategy": [v.label for v in variants]}
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=BENCH_COLUMNS)
    df = _sorted(df, order)
    df.attrs["not_expressible"] = skipped
    if out is not None:
        write_outputs(
            df,
            resolved,
            Path(out),
            settings={
                "budget": budget,
                "peer_budget": peer_budget,
                "batch": batch,
                "initial": initial,
                "seeds": seed_list,
                "workers": workers,
                "elapsed_s": elapsed,
                "cached": len(cached),
            },
        )
    return df


def _report(run: pd.DataFrame, done: int, total: int, progress: Progress) -> None:
    last = run.iloc[-1]
    info = {
        "problem": last["problem"],
        "strategy": last["strategy"],
        "seed": int(last["seed"]),
        "wall_s": float(last["wall_s"]),
        "fraction_of_optimum": float(last["fraction_of_optimum"]),
        "n_experiments": len(run),
    }
    progress(done, total, info)


def _sorted(df: pd.DataFrame, order: dict[str, list[str]]) -> pd.DataFrame:
    keys = {k: df[k].map({v: i for i, v in enumerate(vals)}) for k, vals in order.items()}
    return (
        df.assign(_p=keys["problem"], _s=keys["strategy"])
        .sort_values(["_p", "_s", "seed", "experiment"], kind="stable")
        .drop(columns=["_p", "_s"])
        .reset_index(drop=True)[BENCH_COLUMNS]
    )


def _portable(problem: Problem) -> Problem | str:
    """The problem itself if it pickles (sent to a worker process), else its registered name (the
    worker looks it up again)."""
    try:
        pickle.dumps(problem)
        return problem
    except Exception:
        if problem.name not in PROBLEMS:
            raise DataError(
                f"problem {problem.name!r} cannot be sent to a worker process (its make_lab does not pickle) "
                f"and is not registered: use workers=1 or a module-level make_lab"
            ) from None
        return problem.name


# --------------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------------


def experiments_to_targets(
    df: pd.DataFrame, targets: Sequence[float] = TARGETS, checkpoints: Sequence[int] = CHECKPOINTS
) -> pd.DataFrame:
    """One row per run (problem, strategy, seed): for each f in ``targets`` the first experiment with
    ``best_so_far >= f * optimum`` (``budget + 1`` when never: censored), columns ``to_95`` etc.;
    for each k in ``checkpoints`` the best/optimum after k experiments, ``at_28`` etc. (0 when
    nothing feasible was made by then, NaN when the run has fewer than k experiments); plus
    ``n_experiments`` (fewer than the budget when the run ended early), ``final_fraction``
    (fraction_of_optimum after the last experiment; NaN if nothing feasible was made),
    ``feasible_after_design`` (share of the experiments after the first batch that passed; NaN when
    there are none), ``first_batch`` (its size: ``--initial`` or the campaign's ``n_initial``) and
    ``wall_s``."""
    rows = []
    for (problem, strategy, seed), run in df.groupby(["problem", "strategy", "seed"], sort=False):
        run = run.sort_values("experiment")
        best = run["best_so_far"].to_numpy(dtype=float)
        optimum = float(run["optimum"].iloc[0])
        budget = int(run["budget"].iloc[0])
        row: dict[str, Any] = {"problem": problem, "strategy": strategy, "seed": seed, "budget": budget}
        for f in targets:
            hit = np.flatnonzero(np.nan_to_num(best, nan=-np.inf) >= f * optimum)
            row[_target_key(f)] = int(run["experiment"].iloc[hit[0]]) if len(hit) else budget + 1
        fraction = run["fraction_of_optimum"].to_numpy(dtype=float)
        experiment = run["experiment"].to_numpy(dtype=int)
        for k in checkpoints:
            upto = np.flatnonzero(experiment <= k)
            reached = len(upto) and experiment[upto[-1]] == k
            row[f"at_{k}"] = float(np.nan_to_num(fraction[upto[-1]], nan=0.0)) if reached else np.nan
        later = run[run["batch"] > 1] if {"batch", "status"} <= set(run.columns) else run.iloc[:0]
        row["feasible_after_design"] = float((later["status"] == "ok").mean()) if len(later) else np.nan
        row["first_batch"] = int((run["batch"] == 1).sum()) if "batch" in run.columns else np.nan
        row["n_experiments"] = len(run)
        row["final_fraction"] = float(run["fraction_of_optimum"].iloc[-1])
        row["wall_s"] = float(run["wall_s"].iloc[-1])
        rows.append(row)
    return pd.DataFrame(rows)


def _target_key(f: float) -> str:
    return f"to_{100 * f:g}"


def summarize(
    df: pd.DataFrame,
    problems: Sequence[str | Problem] | None = None,
    targets: Sequence[float] = TARGETS,
    checkpoints: Sequence[int] = CHECKPOINTS,
    groups: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """Per problem and strategy (in the order of ``problems``, default the table's): seeds, and for
    each target f (default 95%, 97% and 98% of the optimum) the median number of experiments to
    reach it over seeds, a seed that never gets there counting as budget + 1: columns
    ``median_to_95`` (number), ``censored_to_95`` (seeds that never got there), ``iqr_to_95``
    ("q25-q75") and ``to_95`` (text, e.g. "61 (12/20 censored)"); for each checkpoint k (default 28,
    32, 40 experiments) the best/optimum after k over the runs that got that far: ``at_28_median``,
    ``at_28_mean``, ``at_28_p10`` (10th percentile, ``numpy.percentile`` linear) and
    ``at_28_share95`` (share of runs at or above 95%; NaN columns when no run got that far); then
    ``feasible_after_design_pct`` (median over runs of the share of experiments after the first
    batch that passed, %), ``median_final_pct`` (median best noise-free value at the end, % of the
    optimum), ``ended_early`` (runs that stopped before the budget, e.g. a used-up grid),
    ``median_wall_s`` (per run) and ``note``: for a peer, that it drops failed experiments; for a
    peer that cannot express the problem (``df.attrs["not_expressible"]``, set by
    :func:`run_bench`), a row with no seeds whose ``to_95`` etc. and note say why.

    ``groups`` (default :data:`~optiform.bench.problems.FAMILY_GROUPS`): a group all of whose
    problems are in the table gets rows of its own after them, over the runs of all its problems
    pooled (problem = the group's name)."""
    runs = experiments_to_targets(df, targets, checkpoints)
    skipped = list(df.attrs.get("not_expressible", []))
    problem_order = (
        [p.name if isinstance(p, Problem) else p for p in problems]
        if problems is not None
        else list(dict.fromkeys(df["problem"]))
    )
    missing = [p for p in problem_order if p not in {*runs.get("problem", []), *(s["problem"] for s in skipped)}]
    if missing:
        raise DataError(f"no runs of problem(s) {', '.join(missing)} in the table")
    rows = []
    for problem in problem_order:
        r_p = runs[runs["problem"] == problem] if len(runs) else pd.DataFrame(columns=["strategy"])
        for strategy in dict.fromkeys(r_p["strategy"]):
            rows.append(_summary_row(problem, strategy, r_p[r_p["strategy"] == strategy], targets, checkpoints))
        for s in (s for s in skipped if s["problem"] == problem):
            text = f"not expressible: {s['reason']}"
            row = {"problem": problem, "strategy": s["strategy"], "seeds": 0, "budget": int(s["budget"])}
            row |= {f"median_{_target_key(f)}": np.nan for f in targets}
            row |= {f"censored_{_target_key(f)}": 0 for f in targets}
            row |= {f"iqr_{_target_key(f)}": "" for f in targets}
            row |= {_target_key(f): text for f in targets}
            row |= {f"at_{k}_{stat}": np.nan for k in checkpoints for stat in ("median", "mean", "p10", "share95")}
            row |= {"feasible_after_design_pct": np.nan, "median_final_pct": np.nan, "ended_early": 0}
            row |= {"median_wall_s": np.nan, "note": text}
            rows.append(row)
    for group, members in (FAMILY_GROUPS if groups is None else groups).items():
        if len(members) < 2 or not set(members) <= set(problem_order):
            continue
        pooled = runs[runs["problem"].isin(members)]
        for strategy in dict.fromkeys(pooled["strategy"]):
            rows.append(_summary_row(group, strategy, pooled[pooled["strategy"] == strategy], targets, checkpoints))
    return pd.DataFrame(rows)


def _summary_row(
    problem: str, strategy: str, r: pd.DataFrame, targets: Sequence[float], checkpoints: Sequence[int]
) -> dict[str, Any]:
    """One row of :func:`summarize` from the runs ``r`` (rows of :func:`experiments_to_targets`)."""
    budget = int(r["budget"].max())
    row: dict[str, Any] = {"problem": problem, "strategy": strategy, "seeds": len(r), "budget": budget}
    for f in targets:
        key = _target_key(f)
        n = r[key].to_numpy(dtype=float)
        q25, q50, q75 = np.percentile(n, [25, 50, 75])
        censored = int((n > r["budget"].to_numpy()).sum())
        row[f"median_{key}"] = float(q50)
        row[f"censored_{key}"] = censored
        row[f"iqr_{key}"] = f"{q25:g}-{q75:g}"
        row[key] = f"{q50:g} ({censored}/{len(r)} censored)"
    for k in checkpoints:
        at = r[f"at_{k}"].dropna().to_numpy(dtype=float)
        row[f"at_{k}_median"] = float(np.median(at)) if len(at) else np.nan
        row[f"at_{k}_mean"] = float(at.mean()) if len(at) else np.nan
        row[f"at_{k}_p10"] = float(np.percentile(at, 10)) if len(at) else np.nan
        row[f"at_{k}_share95"] = float((at >= SHARE_TARGET).mean()) if len(at) else np.nan
    row["feasible_after_design_pct"] = 100.0 * float(r["feasible_after_design"].median(skipna=True))
    row["median_final_pct"] = 100.0 * float(np.nanmedian(r["final_fraction"].fillna(0.0)))
    row["ended_early"] = int((r["n_experiments"] < r["budget"]).sum())
    row["median_wall_s"] = float(r["wall_s"].median())
    row["note"] = PEER_NOTE if is_peer(str(strategy).split("[")[0]) else ""
    return row


ENVIRONMENT_PACKAGES = ("optiform", "torch", "botorch", "gpytorch", "scikit-learn", "scipy", "numpy")


def environment_text() -> str:
    """The machine (CPU count and the kernels each loaded BLAS picked for it), Python and the
    versions of the packages a run's numbers depend on: the dependencies are not pinned, and a new
    release or another CPU (other BLAS kernels) can move a run's trajectory."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from threadpoolctl import threadpool_info

    blas = sorted(
        {
            f"{i['internal_api']} {i.get('version') or ''} ({i.get('architecture') or '?'} kernels)"
            for i in threadpool_info()
        }
    )
    versions = []
    for name in ENVIRONMENT_PACKAGES:
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs" + (f", {'; '.join(blas)}" if blas else "")
    return f"{machine}, Python {platform.python_version()}; " + ", ".join(versions)


def summary_markdown(
    summary: pd.DataFrame, problems: Sequence[Problem] = (), settings: dict[str, Any] | None = None
) -> str:
    """The summary as a Markdown table, with the settings and each problem's optimum above it."""
    targets = [c for c in summary.columns if c.startswith("to_")]
    lines = ["# optiform bench", ""]
    if settings:
        seeds = settings.get("seeds", [])
        seed_text = (
            f"{seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else ", ".join(map(str, seeds))
        )
        first = (
            f"{settings['initial']} experiments, each strategy's own initial design"
            if settings.get("initial") is not None
            else "the campaign's n_initial design"
        )
        cached = f" ({settings['cached']} peer run(s) from the cache)" if settings.get("cached") else ""
        peers = f"; the peers stop after {settings['peer_budget']}" if settings.get("peer_budget") else ""
        lines.append(
            f"budget {settings.get('budget')} experiments{peers} (first batch: {first}, then batches "
            f"of {settings.get('batch')}), seeds {seed_text}, {settings.get('workers')} worker(s), "
            f"total wall time {settings.get('elapsed_s', float('nan')):.0f} s{cached}."
        )
        lines.append("")
        lines.append(f"Run on {environment_text()}.")
        lines.append("")
    for p in problems:
        spec = p.campaign_spec()
        lines.append(
            f"- **{p.name}** ({'synthetic' if p.synthetic else 'emulator of measured data'}; {spec.dimension} degrees of "
            f"freedom, n_initial {spec.n_initial}): optimum {p.optimum_value:.6g} {spec.objectives[0].unit or ''}".rstrip()
            + f". {p.description}"
        )
    if problems:
        lines.append("")
    checkpoints = sorted(  # those some run got to
        int(c.split("_")[1])
        for c in summary.columns
        if c.startswith("at_") and c.endswith("_median") and summary[c].notna().any()
    )
    lines.append(
        f"Median experiments to reach {' / '.join(t[3:] + '%' for t in targets)} of the optimum (judged on the "
        "noise-free value of what was made); a seed that never gets there counts as budget + 1 (censored). "
        "After k: best/optimum after k experiments, median / mean / 10th percentile over the runs that got that "
        "far; ≥95%: the share of those runs at 95% or more. Feasible: median share of the experiments after the "
        "first batch that passed. A family group's rows pool the runs of its instances."
    )
    lines.append("")
    head = [
        "problem",
        "strategy",
        "seeds",
        *[f"to {t[3:]}%" for t in targets],
        *[f"after {k}" for k in checkpoints],
        *[f"≥95% after {k}" for k in checkpoints[:1]],
        "feasible",
        "median best at end",
        "ended early",
        "median s/run",
        "note",
    ]
    lines.append("| " + " | ".join(head) + " |")
    shown = len(targets) + len(checkpoints) + len(checkpoints[:1]) + 1
    lines.append("|" + "|".join(["---", "---", "--:", *["--:"] * shown, "--:", "--:", "--:", "---"]) + "|")
    for _, s in summary.iterrows():
        if s["seeds"] == 0:  # a peer that cannot express the problem
            cells = [s["problem"], s["strategy"], "0", *["–"] * (shown + 3), str(s["note"])]
            lines.append("| " + " | ".join(cells) + " |")
            continue
        cells = [
            s["problem"],
            s["strategy"],
            f"{s['seeds']:d}",
            *[str(s[t]) for t in targets],
            *[_at_cell(s, k) for k in checkpoints],
            *[_pct_cell(s[f"at_{k}_share95"] * 100) for k in checkpoints[:1]],
            _pct_cell(s["feasible_after_design_pct"]),
            f"{s['median_final_pct']:.1f}%",
            f"{s['ended_early']:d}",
            f"{s['median_wall_s']:.1f}",
            str(s.get("note", "")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if any(_peer_label(label) for label in summary["strategy"]):
        lines.append("")
        lines.append(
            f"Peers ({', '.join(sorted(PEER_STRATEGIES))}) have no pass/fail model: their failed experiments are "
            "dropped from what they learn from (they still count against the budget)."
        )
    return "\n".join(lines) + "\n"


def _at_cell(row: pd.Series, k: int) -> str:
    """ "median / mean / p10" of best/optimum after k experiments, or "–" when no run got that far."""
    values = [row[f"at_{k}_{stat}"] for stat in ("median", "mean", "p10")]
    return "–" if any(pd.isna(v) for v in values) else " / ".join(f"{v:.3f}" for v in values)


def _pct_cell(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.0f}%"


def _peer_label(label: str) -> bool:
    """Whether a strategy label names a peer strategy (``name`` or ``name[...]``)."""
    return is_peer(label.split("[", 1)[0])


def write_outputs(
    df: pd.DataFrame, problems: Sequence[Problem], out: Path, settings: dict[str, Any] | None = None
) -> dict[str, Path]:
    """Write ``bench.csv`` (one row per experiment), ``runs.csv`` (one per run,
    :func:`experiments_to_targets`), ``convergence.png``, ``summary.csv`` and ``summary.md`` into ``out``."""
    from ..plots.convergence import plot_convergence

    paths = {name: out / name for name in SUMMARY_FILES}
    summary = summarize(df, problems)
    try:
        out.mkdir(parents=True, exist_ok=True)
        df.to_csv(paths["bench.csv"], index=False, float_format="%.8g")
        experiments_to_targets(df).to_csv(paths["runs.csv"], index=False, float_format="%.6g")
        plot_convergence(df, paths["convergence.png"], problems=[p.name for p in problems])
        summary.to_csv(paths["summary.csv"], index=False, float_format="%.6g")
        paths["summary.md"].write_text(summary_markdown(summary, problems, settings), encoding="utf-8")
    except OSError as exc:
        raise path_error(out, exc, "write the benchmark's results") from None
    return paths
