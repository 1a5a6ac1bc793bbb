"""Strategy variants in benchmarks (``name[key=value,...]`` parsed, checked, applied to the
campaign) and a failing run named."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from optiform.bench import RunFailedError, get_problem, run_bench, run_one
from optiform.bench.variants import StrategyVariant, parse_strategy, split_strategies
from optiform.cli import app
from optiform.spec import load_spec


def test_split_keeps_commas_inside_brackets() -> None:
    assert split_strategies("botorch, botorch[feasibility_power=3, exploit=2],random,") == [
        "botorch",
        "botorch[feasibility_power=3, exploit=2]",
        "random",
    ]


def test_parse_reads_json_values_and_n_initial() -> None:
    v = parse_strategy("botorch[ feasibility_power=3, exploit_min_probability=0.3, optimizer=scipy, n_initial=8 ]")
    assert v == StrategyVariant(
        label="botorch[feasibility_power=3,exploit_min_probability=0.3,optimizer=scipy,n_initial=8]",
        name="botorch",
        options={"feasibility_power": 3, "exploit_min_probability": 0.3, "optimizer": "scipy"},
        n_initial=8,
    )
    assert parse_strategy("grid[step=10]").options == {"step": 10}
    assert parse_strategy("botorch[]") == StrategyVariant(label="botorch", name="botorch")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bayes", r"^unknown strategy 'bayes'; expected one of botorch, random"),
        ("bayes[x=1]", r"strategy 'bayes\[x=1\]': unknown strategy 'bayes'"),
        ("botorch[feasibilty_power=3]", r"unknown option\(s\) feasibilty_power; expected optimizer"),
        ("botorch[feasibility_power=high]", r"feasibility_power must be a number >= 0, got 'high'"),
        ("botorch[num_restarts=2.5]", r"num_restarts must be a positive whole number, got 2.5"),
        ("random[step=10]", r"random takes no options \(got step\)"),
        ("sobol[seed=1]", r"sobol takes no options"),
        ("botorch[exploit]", r"option 'exploit' is not key=value"),
        ("botorch[exploit=1,exploit=2]", r"option 'exploit' given twice"),
        ("botorch[n_initial=0]", r"n_initial must be a positive whole number, got '0'"),
        ("botorch[n_initial=true]", r"n_initial must be a positive whole number"),
        ("botorch[exploit=2", r"expected name or name\[key=value,...\]"),
    ],
)
def test_parse_rejects_bad_variants_naming_them(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_strategy(text)


def test_apply_adds_options_to_the_campaigns_own() -> None:
    spec = get_problem("llzt-ternary").campaign_spec()
    data = spec.model_dump(mode="json")
    data["strategy"] = {"name": "botorch", "options": {"maxiter": 50, "exploit": 0}, "n_initial": 5}
    own = load_spec(data)
    applied = parse_strategy("botorch[exploit=2]").apply(own)
    assert applied.strategy.options == {"maxiter": 50, "exploit": 2} and applied.n_initial == 5
    assert parse_strategy("botorch[n_initial=4]").apply(own).n_initial == 4
    other = parse_strategy("grid[step=5]").apply(own)  # botorch's options do not go to another strategy
    assert other.strategy.name == "grid" and other.strategy.options == {"step": 5} and other.n_initial == 5
    assert parse_strategy("random").apply(spec).n_initial == spec.n_initial == 6


@pytest.mark.slow
def test_run_one_uses_the_variants_options_and_label() -> None:
    coarse = run_one("llzt-ternary", "grid[step=10]", 0, budget=24, batch=4)
    fine = run_one("llzt-ternary", "grid[step=5]", 0, budget=24, batch=4)
    assert len(coarse) == 17  # the 10 wt% grid has 17 points in the bounds, then the run ends
    assert len(fine) == 24  # the 5 wt% grid has more than the budget
    assert set(coarse["strategy"]) == {"grid[step=10]"} and set(fine["strategy"]) == {"grid[step=5]"}
    short = run_one("llzt-ternary", "sobol[n_initial=3]", 0, budget=7, batch=2)
    assert short["batch"].tolist() == [1, 1, 1, 2, 2, 3, 3]


@pytest.mark.slow
def test_run_bench_checks_every_variant_before_running() -> None:
    with pytest.raises(ValueError, match=r"strategy 'botorch\[exploit=-1\]': .*exploit must be a whole number"):
        run_bench(["llzt-ternary"], ["random", "botorch[exploit=-1]"], seeds=1, budget=2, batch=1, workers=1)
    df = run_bench(
        ["llzt-ternary"], ["sobol", "sobol[n_initial=2]", "sobol[ n_initial=2 ]"], seeds=1, budget=4, batch=1, workers=1
    )
    assert list(dict.fromkeys(df["strategy"])) == ["sobol", "sobol[n_initial=2]"]  # same label once
    first_batch = df[df["batch"] == 1].groupby("strategy").size()
    assert first_batch.to_dict() == {"sobol": 4, "sobol[n_initial=2]": 2}


@pytest.mark.slow
def test_cli_bench_with_a_variant(tmp_path: Path) -> None:
    out = tmp_path / "b"
    args = [
        "bench",
        "--problems",
        "llzt-ternary",
        "--strategies",
        "random,grid[step=10]",
        "--seeds",
        "1",
        "--budget",
        "20",
        "--batch",
        "4",
        "--out",
        str(out),
        "--workers",
        "1",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "grid[step=10]" in "".join(result.output.split())  # shown, not eaten as console markup
    assert list(dict.fromkeys(pd.read_csv(out / "bench.csv")["strategy"])) == ["random", "grid[step=10]"]
    assert "grid[step=10]" in (out / "summary.md").read_text()
    bad = CliRunner().invoke(
        app, [*args[:4], "botorch[feasibility_power=high]", *args[5:-4], "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code == 1
    assert "strategy 'botorch[feasibility_power=high]': botorch strategy: feasibility_power" in " ".join(
        bad.output.split()
    )
    assert not (tmp_path / "x").exists()


class _BrokenLab:
    """A lab whose instrument fails on the second batch."""

    def __init__(self, seed: int) -> None:
        self.batches = 0

    def measure(self, X: pd.DataFrame) -> pd.DataFrame:
        self.batches += 1
        if self.batches == 2:
            raise RuntimeError("potentiostat offline")
        return pd.DataFrame({"id": X["id"], "conductivity_mS_cm": 1.0, "status": "ok", "note": "", "solid": True})

    def true_value(self, X: pd.DataFrame) -> np.ndarray:
        return np.ones(len(X))


def test_a_failing_run_is_named(tmp_path: Path) -> None:
    problem = replace(get_problem("llzt-ternary"), name="broken", make_lab=_BrokenLab)
    with pytest.raises(
        RunFailedError,
        match=r"problem 'broken', strategy 'sobol\[n_initial=2\]', seed 1: RuntimeError: potentiostat offline",
    ) as info:
        run_bench([problem], ["sobol[n_initial=2]"], seeds=[1], budget=4, batch=1, workers=1, out=tmp_path / "b")
    assert (info.value.problem, info.value.strategy, info.value.seed) == ("broken", "sobol[n_initial=2]", 1)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert not (tmp_path / "b" / "bench.csv").exists()


def test_kernel_key_sets_the_campaigns_model_and_is_checked_per_problem() -> None:
    v = parse_strategy("botorch[kernel=additive,exploit=2]")
    assert (v.kernel, v.options) == ("additive", {"exploit": 2})
    assert v.apply(get_problem("llzt-full").campaign_spec()).model.kernel == "additive"
    assert parse_strategy("botorch[kernel=matern]").kernel == "matern"
    with pytest.raises(ValueError, match=r"kernel must be one of rbf, matern, transfer, additive, got 'laplace'"):
        parse_strategy("botorch[kernel=laplace]")
    with pytest.raises(
        ValueError,
        match=r"strategy 'botorch\[kernel=additive\]' on problem 'llzt-ternary': .*needs a parameter besides the mixture",
    ):
        run_bench(["llzt-ternary"], ["botorch[kernel=additive]"], seeds=1, budget=2, batch=1, workers=1)
