"""``optiform bench``: the problem registry, the harness (run_bench / summarize), the convergence plot
and the command line. Runs are tiny (budget 10, batch 2) and use the fast model-free strategies,
plus one short default-strategy run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from optiform.bench import BENCH_COLUMNS, PROBLEMS, get_problem, problem_names, run_bench, run_one, summarize
from optiform.bench import problems as problems_module
from optiform.bench.problems import PAPER_FIXED, ternary_optimum
from optiform.bench.runner import SUMMARY_FILES, experiments_to_targets
from optiform.cli import app
from optiform.errors import DataError, StrategyError
from optiform.plots.convergence import convergence_curves
from optiform.sim import GLOBAL_OPTIMUM, PAPER_CONDUCTIVITY_mS_cm, VirtualLab
from optiform.space import Space
from optiform.strategies.grid import GridStrategy

BUDGET, BATCH = 10, 2
PROBLEM_NAMES = ["llzt-ternary", "llzt-full"]
STRATEGY_NAMES = ["random", "sobol"]


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    out = tmp_path_factory.mktemp("bench")
    df = run_bench(PROBLEM_NAMES, STRATEGY_NAMES, seeds=2, budget=BUDGET, batch=BATCH, out=out, workers=1)
    return df, out


# --- problems ------------------------------------------------------------------------------------
def test_registry_names_and_unknown_problem() -> None:
    assert problem_names()[:2] == ["llzt-full", "llzt-ternary"]
    assert {"shifted", "ridge", "four-component", "calisol", "peo"} <= set(problem_names())
    with pytest.raises(ValueError, match=r"unknown problem 'nope'; expected one of llzt-full, llzt-ternary"):
        get_problem("nope")


def test_failing_lazy_problem_does_not_break_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PROBLEMS, "broken", problems_module._lazy("sim.no_such_module", "broken_problem"))
    with pytest.raises(ValueError, match=r"problem 'broken' is unavailable: ModuleNotFoundError"):
        get_problem("broken")
    assert get_problem("llzt-full").optimum_value == GLOBAL_OPTIMUM["conductivity_mS_cm"]


def test_llzt_full_is_the_shipped_campaign() -> None:
    p = get_problem("llzt-full")
    spec = p.campaign_spec()
    assert spec.name == "llzt-cse" and spec.dimension == 6 and len(spec.variables) == 7
    assert p.optimum_value == pytest.approx(1.313563)
    assert isinstance(p.make_lab(3), VirtualLab) and p.make_lab(3).seed == 3


def test_llzt_ternary_problem() -> None:
    p = get_problem("llzt-ternary")
    spec = p.campaign_spec()
    assert spec.variables == ["MEMA", "SN", "salt"] and spec.dimension == 2
    assert spec.mixture.resolution == 1 and spec.feasibility is not None and spec.feasibility.name == "solid"
    full = get_problem("llzt-full").campaign_spec()
    assert spec.mixture.components == full.mixture.components  # same bounds
    # the optimum of the slice is at least the paper's best lattice point and below the full optimum
    assert PAPER_FIXED == {"LiDFOB_mol_frac": 0.05, "FEC_wt_pct": 5.0, "porosity": 0.75, "framework": "LLZT"}
    point, value = ternary_optimum()
    assert p.optimum_value == value
    assert PAPER_CONDUCTIVITY_mS_cm["LLZT"] <= value < GLOBAL_OPTIMUM["conductivity_mS_cm"]
    assert value >= 1.117
    assert {k: point[k] for k in PAPER_FIXED} == PAPER_FIXED
    assert sum(point[k] for k in ("MEMA", "SN", "salt")) == pytest.approx(100.0)
    # the lab measures a mixture-only table at the paper's other values
    X = pd.DataFrame({"MEMA": [30.0, 40.0], "SN": [50.0, 40.0], "salt": [20.0, 20.0]})
    explicit = X.assign(**PAPER_FIXED)
    np.testing.assert_allclose(p.make_lab(0).true_value(X), p.make_lab(0).true_value(explicit))
    assert p.make_lab(0).true_value(X)[0] == pytest.approx(1.117, abs=5e-4)
    # the paper's 10 wt% grid (the grid strategy's default step) has 17 points within the bounds
    grid = GridStrategy().points(Space(spec))
    assert len(grid) == 17
    assert (grid[["MEMA", "SN", "salt"]].sum(axis=1) == 100).all()
    assert grid["salt"].isin([10.0, 20.0, 30.0]).all()


# --- the harness ---------------------------------------------------------------------------------
def test_table_columns_and_shape(bench: tuple[pd.DataFrame, Path]) -> None:
    df, out = bench
    assert list(df.columns) == BENCH_COLUMNS
    for key in ("strategy", "problem", "seed", "experiment", "batch", "best_so_far", "regret", "wall_s"):
        assert key in df.columns
    runs = df.groupby(["problem", "strategy", "seed"]).size()
    assert len(runs) == 2 * 2 * 2 and (runs == BUDGET).all()
    csv = pd.read_csv(out / "bench.csv")
    assert list(csv.columns) == BENCH_COLUMNS and len(csv) == len(df)
    assert list(dict.fromkeys(df["problem"])) == PROBLEM_NAMES


def test_first_batch_is_the_design_size_then_batches(bench: tuple[pd.DataFrame, Path]) -> None:
    df, _ = bench
    for (problem, _strategy, _seed), run in df.groupby(["problem", "strategy", "seed"]):
        n_initial = get_problem(problem).campaign_spec().n_initial
        sizes = run.groupby("batch").size().tolist()
        first = min(n_initial, BUDGET)
        expected = [first] + [BATCH] * ((BUDGET - first) // BATCH)
        assert sizes == expected, (problem, sizes)
        assert run["experiment"].tolist() == list(range(1, BUDGET + 1))


def test_best_so_far_is_monotone_and_consistent(bench: tuple[pd.DataFrame, Path]) -> None:
    df, _ = bench
    for _, run in df.groupby(["problem", "strategy", "seed"]):
        best = run["best_so_far"].to_numpy()
        truth = run["true_value"].to_numpy()
        assert np.all(np.diff(np.nan_to_num(best, nan=-1.0)) >= 0)
        for i in range(len(run)):
            seen = truth[: i + 1]
            if np.isfinite(seen).any():
                assert best[i] == np.nanmax(seen)
            else:
                assert np.isnan(best[i])
        assert run["true_value"].isna().eq(run["status"].eq("failed")).all()
        assert np.all(np.diff(run["wall_s"].to_numpy()) >= 0)
    optimum = df["optimum"]
    np.testing.assert_allclose(df["regret"], optimum - df["best_so_far"])
    np.testing.assert_allclose(df["regret_fraction"], 1.0 - df["fraction_of_optimum"])
    assert (df["fraction_of_optimum"].dropna() <= 1.0 + 1e-9).all()  # nothing beats the optimum


@pytest.mark.slow
def test_same_seed_same_run_other_seed_differs(bench: tuple[pd.DataFrame, Path]) -> None:
    df, _ = bench
    again = run_one("llzt-ternary", "random", 1, BUDGET, BATCH)
    stored = df[(df["problem"] == "llzt-ternary") & (df["strategy"] == "random") & (df["seed"] == 1)]
    pd.testing.assert_frame_equal(
        again.drop(columns="wall_s").reset_index(drop=True), stored.drop(columns="wall_s").reset_index(drop=True)
    )
    seed0 = df[(df["problem"] == "llzt-ternary") & (df["strategy"] == "random") & (df["seed"] == 0)]
    assert not np.array_equal(seed0["true_value"].to_numpy(), stored["true_value"].to_numpy(), equal_nan=True)


def test_summary_counts_never_reached_as_budget_plus_one(bench: tuple[pd.DataFrame, Path]) -> None:
    df, out = bench
    runs = experiments_to_targets(df)
    for _, r in runs.iterrows():
        run = df[(df["problem"] == r["problem"]) & (df["strategy"] == r["strategy"]) & (df["seed"] == r["seed"])]
        for f, key in ((0.95, "to_95"), (0.98, "to_98")):
            reached = run.loc[run["best_so_far"] >= f * run["optimum"], "experiment"]
            assert r[key] == (reached.min() if len(reached) else BUDGET + 1)
    summary = summarize(df, PROBLEM_NAMES)
    assert list(summary["problem"]) == ["llzt-ternary"] * 2 + ["llzt-full"] * 2
    for _, s in summary.iterrows():
        r = runs[(runs["problem"] == s["problem"]) & (runs["strategy"] == s["strategy"])]
        assert s["median_to_95"] == np.median(r["to_95"])
        assert s["censored_to_95"] == int((r["to_95"] == BUDGET + 1).sum())
        assert s["to_95"] == f"{np.median(r['to_95']):g} ({s['censored_to_95']}/2 censored)"
    assert pd.read_csv(out / "summary.csv")["to_98"].tolist() == summary["to_98"].tolist()
    md = (out / "summary.md").read_text()
    assert "| llzt-full | sobol | 2 |" in md and "censored" in md and "1.31356" in md


def test_summary_on_a_hand_made_table() -> None:
    # three seeds, budget 4, optimum 1: seed 0 reaches 95% at 2 and 98% at 3; seed 1 reaches 95% at 4
    # and never 98%; seed 2 never reaches anything (first experiment infeasible)
    best = {0: [0.5, 0.96, 0.99, 0.99], 1: [0.2, 0.3, 0.4, 0.97], 2: [np.nan, 0.1, 0.1, 0.9]}
    rows = [
        {
            "problem": "p",
            "strategy": "s",
            "seed": seed,
            "experiment": i + 1,
            "best_so_far": b,
            "optimum": 1.0,
            "fraction_of_optimum": b,
            "budget": 4,
            "wall_s": float(i),
        }
        for seed, values in best.items()
        for i, b in enumerate(values)
    ]
    s = summarize(pd.DataFrame(rows)).iloc[0]
    assert (s["median_to_95"], s["censored_to_95"], s["to_95"]) == (4.0, 1, "4 (1/3 censored)")
    assert (s["median_to_98"], s["censored_to_98"], s["to_98"]) == (5.0, 2, "5 (2/3 censored)")
    assert s["iqr_to_95"] == "3-4.5" and s["median_final_pct"] == pytest.approx(97.0)


def test_convergence_plot_is_written(bench: tuple[pd.DataFrame, Path]) -> None:
    df, out = bench
    png = out / "convergence.png"
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    curves = convergence_curves(df, "llzt-ternary")
    assert list(curves) == STRATEGY_NAMES
    sub = df[(df["problem"] == "llzt-ternary") & (df["strategy"] == "random")]
    last = sub[sub["experiment"] == BUDGET]["fraction_of_optimum"]
    assert curves["random"]["median"].iloc[-1] == pytest.approx(last.median())
    assert (curves["random"]["q25"] <= curves["random"]["q75"]).all()


def test_unknown_names_raise_before_running() -> None:
    with pytest.raises(ValueError, match=r"unknown strategy 'bayes'; expected one of botorch, random"):
        run_bench(["llzt-ternary"], ["random", "bayes"], seeds=1, budget=2, batch=1, workers=1)
    with pytest.raises(ValueError, match=r"unknown problem 'moon'"):
        run_bench(["moon"], ["random"], seeds=1, budget=2, batch=1, workers=1)


def test_bad_bench_input_raises_the_error_family() -> None:
    with pytest.raises(DataError, match=r"unknown problem 'moon'"):
        get_problem("moon")
    with pytest.raises(DataError, match=r"budget: expected a positive integer"):
        run_bench(["llzt-ternary"], ["random"], seeds=1, budget=0, batch=1, workers=1)
    with pytest.raises(DataError, match=r"seeds"):
        run_bench(["llzt-ternary"], ["random"], seeds=[1, 1], budget=2, batch=1, workers=1)
    with pytest.raises(StrategyError, match=r"strategy 'botorch\[kernel=additive\]' on problem 'llzt-ternary'"):
        run_bench(["llzt-ternary"], ["botorch[kernel=additive]"], seeds=1, budget=2, batch=1, workers=1)


@pytest.mark.slow
def test_parallel_workers_give_the_same_runs(bench: tuple[pd.DataFrame, Path]) -> None:
    df, _ = bench
    par = run_bench(["llzt-ternary"], ["sobol"], seeds=2, budget=BUDGET, batch=BATCH, workers=2)
    seq = df[(df["problem"] == "llzt-ternary") & (df["strategy"] == "sobol")]
    pd.testing.assert_frame_equal(par.drop(columns="wall_s"), seq.drop(columns="wall_s").reset_index(drop=True))


@pytest.mark.slow
def test_grid_run_makes_the_whole_grid_then_ends() -> None:
    run = run_one("llzt-ternary", "grid", 0, budget=30, batch=4)
    assert len(run) == 17 and run.groupby("batch").size().tolist() == [6, 4, 4, 3]
    assert run["best_so_far"].iloc[-1] == pytest.approx(1.117, abs=5e-4)  # the paper's 30:50:20
    paper = int(run.loc[run["true_value"].sub(1.117).abs() < 5e-4, "experiment"].iloc[0])
    s = summarize(run, targets=(0.98, 0.999)).iloc[0]
    assert s["ended_early"] == 1 and s["to_98"] == f"{paper} (0/1 censored)"
    assert s["to_99.9"] == "31 (1/1 censored)"  # the continuous optimum is off the 10 wt% grid: budget + 1


@pytest.mark.slow
def test_default_strategy_short_run() -> None:
    run = run_one("llzt-ternary", "botorch", 0, budget=8, batch=2)
    assert run["kind"].tolist() == ["design"] * 6 + ["model"] * 2
    assert run["batch"].tolist() == [1] * 6 + [2] * 2
    assert run["best_so_far"].notna().all() or run["status"].eq("failed").any()
    assert np.all(np.diff(run["best_so_far"].fillna(-1.0)) >= 0)


# --- command line --------------------------------------------------------------------------------
@pytest.mark.slow
def test_cli_bench_writes_outputs(tmp_path: Path) -> None:
    out = tmp_path / "b"
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "--problems",
            "llzt-ternary",
            "--strategies",
            "random",
            "--seeds",
            "2",
            "--budget",
            "8",
            "--batch",
            "2",
            "--out",
            str(out),
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    for name in SUMMARY_FILES:
        assert (out / name).exists()
    assert "llzt-ternary" in result.output and "censored" in result.output
    df = pd.read_csv(out / "bench.csv")
    assert set(df["seed"]) == {0, 1} and len(df) == 16
    runs = pd.read_csv(out / "runs.csv")  # one row per run, as benchmarks/targets.py reads it
    pd.testing.assert_frame_equal(runs, experiments_to_targets(df), check_exact=False, rtol=1e-5)
    again = CliRunner().invoke(app, ["bench", "--problems", "llzt-ternary", "--out", str(out)])
    assert again.exit_code == 1 and "already holds bench.csv" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--problems", "llzt-ternary,atlantis"],
            "unknown problem 'atlantis'; expected some of llzt-full, llzt-ternary",
        ),
        (["--strategies", "random,magic"], "unknown strategy 'magic'; expected one of botorch, random, sobol, grid"),
    ],
)
def test_cli_bench_unknown_names_exit_non_zero(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["bench", *args, "--out", str(tmp_path / "x"), "--seeds", "1", "--budget", "2"])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "x" / "bench.csv").exists()
