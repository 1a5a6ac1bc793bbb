"""Peers in ``optiform bench``: BayBE with its defaults (``--strategies baybe``) on the problems'
campaigns, its proposals rounded to the lattice, failed experiments dropped, and a problem it cannot
express reported in the summary instead of left out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from optiform.bench import BENCH_COLUMNS, get_problem, run_bench, summarize
from optiform.bench.landscapes import RidgeLab
from optiform.bench.loop import BatchReport
from optiform.bench.peers import PEER_NOTE, NotExpressibleError, not_expressible, run_peer
from optiform.bench.problem import Problem
from optiform.bench.runner import summary_markdown
from optiform.bench.variants import parse_strategy
from optiform.cli import app
from optiform.errors import StrategyError
from optiform.spec import load_spec


def _ridge_lab(seed: int) -> RidgeLab:
    return RidgeLab(seed=seed)


def _constrained_ridge() -> Problem:
    """``ridge`` with an outcome constraint, which BayBE cannot express."""
    ridge = get_problem("ridge")
    data = ridge.campaign_spec().model_dump(mode="json")
    data["outcome_constraints"] = [{"name": "transference_number", "min": 0.3}]
    return Problem("ridge-constrained", "ridge with an outcome constraint", load_spec(data), _ridge_lab, 1.0)


def test_peer_variant_parses_and_takes_no_options() -> None:
    v = parse_strategy("baybe")
    assert (v.label, v.name) == ("baybe", "baybe")
    spec = get_problem("ridge").campaign_spec()
    assert v.apply(spec) is spec
    with pytest.raises(StrategyError, match=r"strategy 'baybe\[x=1\]': the peer 'baybe' takes no options"):
        parse_strategy("baybe[x=1]")
    with pytest.raises(StrategyError, match=r"unknown strategy 'bayes'; expected one of botorch, .*, baybe$"):
        parse_strategy("bayes")


def test_not_expressible_reasons() -> None:
    assert not_expressible("baybe", get_problem("ridge").campaign_spec()) is None
    assert not_expressible("baybe", get_problem("llzt-full").campaign_spec()) is None
    reason = not_expressible("baybe", _constrained_ridge().campaign_spec())
    assert reason == "outcome constraints (transference_number): BayBE has no constrained outcomes"
    with pytest.raises(NotExpressibleError, match=r"^baybe cannot express problem 'x': outcome constraints"):
        run_peer("baybe", "x", _constrained_ridge().campaign_spec(), RidgeLab(seed=0), 0, 8, 2, lambda r: None)


@pytest.mark.slow
def test_unexpressible_problem_is_a_row_of_the_summary(tmp_path: Path) -> None:
    problem = _constrained_ridge()
    df = run_bench([problem], ["baybe", "random"], seeds=2, budget=6, batch=2, out=tmp_path, workers=1)
    assert set(df["strategy"]) == {"random"} and len(df) == 2 * 6
    assert df.attrs["not_expressible"] == [
        {
            "problem": "ridge-constrained",
            "strategy": "baybe",
            "reason": "outcome constraints (transference_number): BayBE has no constrained outcomes",
            "budget": 6,
        }
    ]
    summary = summarize(df, [problem])
    assert list(summary["strategy"]) == ["random", "baybe"]
    row = summary.iloc[1]
    assert row["seeds"] == 0 and row["to_95"].startswith("not expressible: outcome constraints")
    assert row["note"] == row["to_95"] and summary.iloc[0]["note"] == ""
    md = (tmp_path / "summary.md").read_text()
    # to 95/97/98%, feasible, best at end, ended early, s/run; no run got to 28, so no "after" columns
    assert "| ridge-constrained | baybe | 0 | – | – | – | – | – | – | – | not expressible: outcome constraints" in md
    assert "after 28" not in md
    assert pd.read_csv(tmp_path / "summary.csv")["note"].fillna("").tolist() == summary["note"].tolist()
    assert summary_markdown(summary).splitlines()[-1] == md.splitlines()[-1]


# --------------------------------------------------------------------------------------------------
# BayBE runs (optiform[peers]; make test installs it)
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_bench_with_baybe_rounds_to_the_lattice_and_is_reproducible(tmp_path: Path) -> None:
    pytest.importorskip("baybe")
    out = tmp_path / "bench"
    args = "bench --problems ridge --strategies baybe,random --seeds 1 --budget 7 --batch 1 --workers 1".split()
    # a cache of its own: the checkout's peers' cache must neither answer for BayBE nor gain this run
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--peer-cache", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert f"baybe: {PEER_NOTE}" in result.output
    assert len(list((tmp_path / "cache").glob("ridge__baybe__seed0__*.csv"))) == 1
    df = pd.read_csv(out / "bench.csv")
    assert list(df.columns) == BENCH_COLUMNS
    peer = df[df["strategy"] == "baybe"]
    assert peer["experiment"].tolist() == list(range(1, 8)) and peer["batch"].tolist() == [1] * 6 + [2]
    assert (peer["kind"] == "baybe").all() and (peer["status"] == "ok").all()
    assert peer["true_value"].notna().all() and peer["best_so_far"].is_monotonic_increasing
    summary = pd.read_csv(out / "summary.csv").fillna("")
    assert summary.set_index("strategy")["note"].to_dict() == {"baybe": PEER_NOTE, "random": ""}
    assert "| ridge | baybe | 1 |" in (out / "summary.md").read_text()

    # the same run again, seed 0: the same formulations, on the 1 wt% lattice within the bounds
    problem = get_problem("ridge")
    spec = problem.campaign_spec()
    reports: list[BatchReport] = []
    lab = problem.make_lab(0)
    run_peer("baybe", problem.name, spec, lab, 0, 7, 1, reports.append)
    assert [len(r.batch) for r in reports] == [6, 1] and reports[-1].n_experiments == 7
    made = pd.concat([r.batch for r in reports], ignore_index=True)
    np.testing.assert_allclose(lab.true_value(made), peer["true_value"].to_numpy(), rtol=1e-6)
    X = made[spec.components].to_numpy(float)
    assert np.array_equal(X.sum(axis=1), np.full(len(X), spec.mixture.total))  # exact: rounded with Space.round
    assert np.array_equal(X, np.round(X))
    for j, c in enumerate(spec.components):
        lo, hi = spec.mixture.bounds(c)
        assert (X[:, j] >= lo).all() and (X[:, j] <= hi).all()


class _FluidLab:
    """Every film stays fluid: status failed, no value (noise-free value NaN)."""

    def measure(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"id": X["id"], "conductivity_mS_cm": np.nan, "status": "failed", "note": "fluid"})

    def true_value(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), np.nan)


@pytest.mark.slow
def test_baybe_is_not_told_failed_experiments(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("baybe")
    from baybe import Campaign as BaybeCampaign

    told: list[pd.DataFrame] = []
    monkeypatch.setattr(BaybeCampaign, "add_measurements", lambda self, data, *a, **k: told.append(data))
    reports: list[BatchReport] = []
    spec = get_problem("ridge").campaign_spec()
    run_peer("baybe", "ridge", spec, _FluidLab(), 0, 8, 2, reports.append)
    assert [len(r.batch) for r in reports] == [6, 2] and told == []
    assert all(np.isnan(r.best_true_mS_cm) or r.best_true_mS_cm == -np.inf for r in reports)
