"""The bench summary's checkpoints (best/optimum after k experiments), experiments to 97%, the share
of feasible proposals after the design, a family group's pooled rows and ``--peer-budget``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from optiform.bench import run_bench, summarize
from optiform.bench.runner import experiments_to_targets, summary_markdown
from optiform.cli import app
from optiform.errors import DataError


def _table(
    best: dict[int, list[float]], problem: str = "p", failed: dict[int, list[int]] | None = None
) -> pd.DataFrame:
    """A bench table of one strategy: per seed the best-so-far fractions (optimum 1), batches of 2
    after a first batch of 2; ``failed`` lists the failed experiments (1-based) of each seed."""
    rows = []
    for seed, values in best.items():
        for i, b in enumerate(values):
            rows.append(
                {
                    "problem": problem,
                    "strategy": "s",
                    "seed": seed,
                    "experiment": i + 1,
                    "batch": 1 + i // 2,
                    "status": "failed" if i + 1 in (failed or {}).get(seed, []) else "ok",
                    "best_so_far": b,
                    "optimum": 1.0,
                    "fraction_of_optimum": b,
                    "budget": len(values),
                    "wall_s": float(i),
                }
            )
    return pd.DataFrame(rows)


def test_checkpoints_give_median_mean_p10_and_share() -> None:
    best = {
        0: [0.5, 0.96, 0.99, 0.99, 0.99, 0.99],
        1: [0.2, 0.3, 0.4, 0.97, 0.97, 0.98],
        2: [np.nan, np.nan, 0.1, 0.9, 0.9, 0.9],  # nothing feasible in its first batch
        3: [0.6, 0.7, 0.8, 0.94, 0.96, 0.97],
    }
    df = _table(best, failed={2: [1, 2], 3: [3, 5]})
    runs = experiments_to_targets(df, checkpoints=(2, 4, 8))
    assert runs["at_2"].tolist() == [0.96, 0.3, 0.0, 0.7]  # nothing feasible yet counts as 0
    assert runs["at_8"].isna().all()  # the runs have 6 experiments
    assert runs["to_97"].tolist() == [3, 4, 7, 6]  # never: budget + 1
    assert runs["feasible_after_design"].tolist() == [1.0, 1.0, 1.0, 0.5]
    s = summarize(df, checkpoints=(2, 4, 8)).iloc[0]
    at4 = np.array([0.99, 0.97, 0.9, 0.94])
    assert s["at_4_median"] == pytest.approx(np.median(at4))
    assert s["at_4_mean"] == pytest.approx(at4.mean())
    assert s["at_4_p10"] == pytest.approx(np.percentile(at4, 10))  # linear: 0.9 + 0.3 * 0.04
    assert s["at_4_p10"] == pytest.approx(0.912)
    assert s["at_4_share95"] == pytest.approx(0.5)
    assert np.isnan(s["at_8_median"]) and np.isnan(s["at_8_share95"])
    assert s["feasible_after_design_pct"] == pytest.approx(100.0)  # median of 1, 1, 1, 0.5
    assert s["to_97"] == "5 (1/4 censored)"
    md = summary_markdown(summarize(df, checkpoints=(2, 4, 8)))
    row = next(line for line in md.splitlines() if line.startswith("| p | s |"))
    assert "| 0.955 / 0.950 / 0.912 |" in row  # after 4
    assert "after 4 |" in md and "after 8" not in md  # no run got to 8: no column
    assert "| 25% | 100% |" in row  # the share at the first checkpoint (2), then feasible after the design


def test_a_family_group_gets_pooled_rows() -> None:
    df = pd.concat(
        [_table({0: [0.5, 0.96], 1: [0.2, 0.3]}, "a"), _table({0: [0.9, 0.99], 1: [0.1, 0.1], 2: [0.4, 0.5]}, "b")]
    )
    summary = summarize(df, checkpoints=(2,), groups={"ab": ["a", "b"], "ac": ["a", "c"]})
    assert summary["problem"].tolist() == ["a", "b", "ab"]  # "ac" is not all in the table
    pooled = summary.iloc[-1]
    assert pooled["seeds"] == 5
    assert pooled["at_2_median"] == pytest.approx(np.median([0.96, 0.3, 0.99, 0.1, 0.5]))
    assert pooled["at_2_share95"] == pytest.approx(2 / 5)
    assert summarize(df, checkpoints=(2,))["problem"].tolist() == ["a", "b"]  # not a registered group


def test_peer_budget_stops_the_peers_and_keys_their_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    df = run_bench(
        ["ridge"], ["random", "botorch-defaults"], seeds=1, budget=6, batch=2, initial=4, workers=1, peer_cache=cache,
        peer_budget=4,
    )  # fmt: skip
    sizes = df.groupby("strategy")["experiment"].max().to_dict()
    assert sizes == {"random": 6, "botorch-defaults": 4}
    (meta,) = cache.glob("*.json")
    assert '"budget": 4' in meta.read_text(encoding="utf-8")
    with pytest.raises(DataError, match="peer_budget: expected a positive integer, got 0"):
        run_bench(["ridge"], ["botorch-defaults"], seeds=1, budget=6, batch=2, peer_budget=0)


def test_cli_bench_prints_the_first_checkpoint_and_97(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["bench", "--problems", "ridge", "--strategies", "random", "--seeds", "2", "--budget", "28", "--batch", "10",
         "--initial", "8", "--out", str(out), "--workers", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "to 95%" in result.output and "after 28" in result.output and "0.0 / " not in result.output
    summary = pd.read_csv(out / "summary.csv")
    assert {"at_28_median", "at_28_p10", "at_28_share95", "median_to_97", "feasible_after_design_pct"} <= set(
        summary.columns
    )
    assert "after 28" in (out / "summary.md").read_text(encoding="utf-8")


def test_the_summary_names_the_machine_and_package_versions() -> None:
    """The dependencies are not pinned: a summary records what its numbers were measured with."""
    from importlib.metadata import version

    md = summary_markdown(summarize(_table({0: [0.5, 0.96]}, "a"), checkpoints=(2,)), settings={"seeds": [0]})
    line = next(line for line in md.splitlines() if line.startswith("Run on "))
    assert f"botorch {version('botorch')}" in line and f"scikit-learn {version('scikit-learn')}" in line
    assert "Python 3." in line and "CPUs" in line and "kernels)" in line  # the BLAS numpy loaded
