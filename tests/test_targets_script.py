"""``benchmarks/targets.py``: every target of the default-against-the-peers comparison judged from
bench tables, PASS / FAIL / MISSING (never PASS without the runs)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from optiform.bench.runner import experiments_to_targets


@pytest.fixture(scope="module")
def targets(benchmark_script):  # type: ignore[no-untyped-def]
    return benchmark_script("targets")


def _runs(
    problem: str,
    strategy: str,
    finals: list[float],
    budget: int = 28,
    failed_after_design: int = 0,
    first: int = 8,
    reached: int = 8,
) -> list[dict]:
    """Runs reaching each of ``finals`` (fraction of an optimum of 1) at experiment ``reached`` and
    staying there; a first batch of ``first``; the first ``failed_after_design`` experiments after
    it failed."""
    rows = []
    for seed, final in enumerate(finals):
        for i in range(1, budget + 1):
            best = 0.5 if i < reached else final
            rows.append(
                {
                    "problem": problem,
                    "strategy": strategy,
                    "seed": seed,
                    "experiment": i,
                    "batch": 1 if i <= first else 2 + (i - first - 1) // 4,
                    "status": "failed" if first < i <= first + failed_after_design else "ok",
                    "best_so_far": best,
                    "optimum": 1.0,
                    "fraction_of_optimum": best,
                    "budget": budget,
                    "wall_s": float(i),
                }
            )
    return rows


def _verdicts(lines: list[dict[str, str]]) -> dict[str, str]:
    return {line["target"]: line["verdict"] for line in lines}


def test_peers_are_compared_after_28_with_a_tie_margin(targets, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = (
        _runs("ridge", "botorch", [0.95, 0.96, 0.97, 0.80, 0.99])
        + _runs("ridge", "baybe", [0.955, 0.96, 0.97, 0.60, 0.99])  # median 0.96 vs 0.96; p10 tie-breaking below
        + _runs("ridge", "botorch-defaults", [0.99, 0.99, 0.99, 0.99, 0.99])
    )
    (tmp_path / "a").mkdir()
    pd.DataFrame(rows).to_csv(tmp_path / "a" / "bench.csv", index=False)
    v = _verdicts(targets.judge(targets.load_runs([tmp_path / "a"])))
    assert v["ridge: median after 28 >= baybe"] == "PASS"
    assert v["ridge: p10 after 28 >= baybe"] == "PASS"
    assert v["ridge: median after 28 >= botorch-defaults"] == "FAIL"  # 0.96 < 0.99 - 0.01
    assert v["ridge: p10 after 28 >= botorch-defaults"] == "FAIL"
    assert v["shifted: median after 28 >= baybe"] == "MISSING"  # no runs: never a pass
    assert v["family-test: mean after 28 >= baybe"] == "MISSING"


def test_feasibility_and_speed_targets(targets, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = _runs("ratio-boundary", "botorch", [0.96] * 4, budget=40, failed_after_design=9)  # 9 of 32 failed
    rows += _runs("llzt-ternary", "botorch", [0.97] * 4, budget=40)  # 97% at experiment 8
    rows += _runs("llzt-full", "botorch", [0.9] * 4, budget=40)  # never 95%
    path = tmp_path / "bench.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    v = _verdicts(targets.judge(targets.load_runs([path])))
    assert v["ratio-boundary: median after 32 >= 0.95"] == "PASS"
    assert v["ratio-boundary: feasible after the design >= 70%"] == "PASS"  # 23 of 32 passed
    assert v["llzt-ternary: median experiments to 97% <= 17"] == "PASS"
    assert v["llzt-full: median experiments to 95% <= 40"] == "FAIL"
    assert v["calisol: median experiments to 98% <= 15.5"] == "MISSING"
    rows = _runs("ratio-boundary", "botorch", [0.96] * 4, budget=40, failed_after_design=10)  # 22 of 32 passed: 69%
    pd.DataFrame(rows).to_csv(path, index=False)
    v = _verdicts(targets.judge(targets.load_runs([path])))
    assert v["ratio-boundary: feasible after the design >= 70%"] == "FAIL"


def test_cli_writes_the_table_and_refuses_a_folder_without_a_table(targets, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    pd.DataFrame(_runs("ridge", "botorch", [0.9])).to_csv(tmp_path / "bench.csv", index=False)
    out = tmp_path / "targets.md"
    assert targets.main([str(tmp_path), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text == capsys.readouterr().out and "| ridge: median after 28 >= baybe | 0.900 | – | MISSING |" in text
    assert targets.main([str(tmp_path / "nothing")]) == 2
    assert f"error: no bench.csv or runs.csv in {tmp_path / 'nothing'}" in capsys.readouterr().err


def test_a_folder_with_only_its_runs_table_judges_the_same(targets, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """runs.csv (kept in git where bench.csv is not) gives the verdicts bench.csv gives."""
    rows = _runs("llzt-ternary", "botorch", [0.97, 0.99, 0.90], budget=40) + _runs("ridge", "baybe", [0.9, 0.95])
    (tmp_path / "a").mkdir()
    pd.DataFrame(rows).to_csv(tmp_path / "a" / "bench.csv", index=False)
    full = targets.judge(targets.load_runs([tmp_path / "a"]))
    (tmp_path / "b").mkdir()
    experiments_to_targets(pd.DataFrame(rows)).to_csv(tmp_path / "b" / "runs.csv", index=False)
    assert targets.judge(targets.load_runs([tmp_path / "b"])) == full
    assert targets.main([str(tmp_path / "b")]) == 0


def test_calisol_and_peo_speed_counts_their_own_design_the_rest_a_first_batch_of_8(targets, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    own = _runs("peo", "botorch", [0.99] * 10, first=6, reached=10)  # own design (n_initial 6): 98% at 10
    rows = _runs("peo", "botorch", [0.99] * 10, first=8, reached=14)  # --initial 8: 98% at 14
    rows += _runs("peo", "baybe", [0.99] * 10, first=8) + _runs("ridge", "botorch", [0.99] * 4, first=6)
    pd.DataFrame(own).to_csv(tmp_path / "own.csv", index=False)
    pd.DataFrame(rows).to_csv(tmp_path / "initial8.csv", index=False)
    runs = targets.load_runs([tmp_path / "own.csv", tmp_path / "initial8.csv"])
    assert len(runs[(runs["problem"] == "peo") & (runs["strategy"] == "botorch")]) == 20  # both kept
    lines = {line["target"]: line for line in targets.judge(runs)}
    assert lines["peo: median experiments to 98% <= 11"]["default"] == "10.000"
    assert lines["peo: median experiments to 98% <= 11"]["verdict"] == "PASS"
    assert lines["peo: median after 28 >= baybe"]["verdict"] == "PASS"  # the --initial 8 runs: 0.99 each
    assert lines["ridge: median after 28 >= baybe"]["verdict"] == "MISSING"  # a first batch of 6 is not the protocol
