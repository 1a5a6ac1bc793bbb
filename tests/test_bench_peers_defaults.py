"""Peers in the bench: the botorch-defaults strategy, ``--initial N`` and the peers' cache."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from optiform.bench import RunFailedError, get_problem, run_bench, run_one
from optiform.bench import peers as peers_module
from optiform.bench import runner as runner_module
from optiform.bench.peers import (
    PEER_STRATEGIES,
    load_peer_run,
    peer_key,
    problem_fingerprint,
    same_fingerprint,
)
from optiform.bench.problem import Problem
from optiform.campaign import Campaign
from optiform.cli import app
from optiform.errors import DataError
from optiform.space import Space
from optiform.strategies import get_strategy

PROBLEM = "ridge"


def _lab_proposals(problem: str, seed: int, tmp: Path, tag: str) -> list[pd.DataFrame]:
    """The batches a botorch-defaults campaign proposes in a closed loop of 8 (4 + 4) on ``problem``."""
    p = get_problem(problem)
    spec = runner_module.parse_strategy("botorch-defaults[n_initial=4]").apply(p.campaign_spec())
    lab = p.make_lab(seed)
    campaign = Campaign.create(spec, store=f"sqlite:///{tmp / f'run-{tag}.db'}", seed=seed)
    batches = []
    try:
        for _ in range(2):
            batch = campaign.propose(4)
            batches.append(batch)
            campaign.record(lab.measure(batch)[["id", spec.objectives[0].name, "status", "note"]], force=True)
    finally:
        campaign.close()
    return batches


@pytest.mark.slow  # two closed loops with a model batch of 4: about 40 s
def test_botorch_defaults_proposes_on_the_lattice_and_repeats_with_its_seed(tmp_path: Path) -> None:
    first = _lab_proposals(PROBLEM, 3, tmp_path, "a")
    again = _lab_proposals(PROBLEM, 3, tmp_path, "b")
    space = Space(get_problem(PROBLEM).campaign_spec())
    model_batch = first[1][space.variables]
    assert len(model_batch) == 4
    assert np.allclose(model_batch[space.components].sum(axis=1), space.total, atol=1e-9)
    assert np.allclose(space.round(model_batch)[space.components], model_batch[space.components])
    bounds = space.component_bounds()
    values = model_batch[space.components].to_numpy(float)
    assert (values >= bounds[:, 0] - 1e-9).all() and (values <= bounds[:, 1] + 1e-9).all()
    made = pd.concat([first[0], model_batch])[space.variables]
    assert not space.too_close(model_batch, first[0][space.variables], 0).any()  # nothing made twice
    assert len(made.drop_duplicates()) == 8
    pd.testing.assert_frame_equal(first[1][space.variables], again[1][space.variables])
    # its design is the default strategy's
    default = tmp_path / "default.db"
    spec = runner_module.parse_strategy("botorch[n_initial=4]").apply(get_problem(PROBLEM).campaign_spec())
    c = Campaign.create(spec, store=f"sqlite:///{default}", seed=3)
    try:
        pd.testing.assert_frame_equal(c.propose(4)[space.variables], first[0][space.variables])
    finally:
        c.close()


def test_botorch_defaults_drops_failed_experiments_and_takes_no_options() -> None:
    from optiform.errors import StrategyError

    with pytest.raises(StrategyError, match="takes no options"):
        get_strategy("botorch-defaults", {"exploit": 2})
    # llzt-ternary: fluid films fail; one model point after a design of 4
    run = run_one("llzt-ternary", "botorch-defaults", 0, budget=5, batch=1, initial=4)
    assert run["status"].isin(["ok", "failed"]).all()
    assert list(run["batch"]) == [1] * 4 + [2]
    assert list(run["kind"]) == ["design"] * 4 + ["model"]
    assert np.isfinite(run["true_value"]).sum() >= 2


@pytest.mark.parametrize("strategy", ["botorch", "random"])
def test_initial_sets_the_first_batch(strategy: str) -> None:
    n_initial = get_problem(PROBLEM).campaign_spec().n_initial
    initial = n_initial + 2
    run = run_one(PROBLEM, strategy, 0, budget=initial + 2, batch=2, initial=initial)
    assert (run["batch"] == 1).sum() == initial
    assert (run["batch"] == 2).sum() == 2
    if strategy == "botorch":  # the whole first batch is the design, the next one the model's
        assert set(run.loc[run["batch"] == 1, "kind"]) == {"design"}
        assert set(run.loc[run["batch"] == 2, "kind"]) == {"model"}
    with pytest.raises(DataError, match="initial"):
        run_bench([PROBLEM], [strategy], seeds=1, budget=4, batch=2, initial=0, workers=1)


def test_peer_runs_are_cached_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    calls: list[str] = []
    real = runner_module.run_one

    def counting(problem, strategy, seed, budget, batch, initial=None):  # type: ignore[no-untyped-def]
        calls.append(getattr(strategy, "label", strategy))
        return real(problem, strategy, seed, budget, batch, initial)

    monkeypatch.setattr(runner_module, "run_one", counting)
    args = dict(seeds=1, budget=4, batch=2, initial=4, workers=1)  # the design only: fast
    first = run_bench([PROBLEM], ["random", "botorch-defaults"], peer_cache=cache, **args)  # type: ignore[arg-type]
    assert sorted(calls) == ["botorch-defaults", "random"]
    assert len(list(cache.glob("*.csv"))) == 1 and len(list(cache.glob("*.json"))) == 1
    calls.clear()
    out = tmp_path / "out"
    second = run_bench([PROBLEM], ["random", "botorch-defaults"], peer_cache=cache, out=out, **args)  # type: ignore[arg-type]
    assert calls == ["random"]  # the peer's run came from the cache
    peer = second["strategy"] == "botorch-defaults"
    pd.testing.assert_frame_equal(
        first[first["strategy"] == "botorch-defaults"].reset_index(drop=True), second[peer].reset_index(drop=True)
    )
    summary = (out / "summary.md").read_text(encoding="utf-8")
    rows = {line.split(" | ")[1]: line for line in summary.splitlines() if line.startswith(f"| {PROBLEM} |")}
    assert rows["botorch-defaults"].endswith("| failed experiments dropped |")  # the note column
    assert rows["random"].endswith("|  |")
    assert "1 peer run(s) from the cache" in summary
    # another key (batch, initial, budget) runs again
    calls.clear()
    run_bench([PROBLEM], ["botorch-defaults"], peer_cache=cache, **{**args, "initial": 3, "budget": 3})  # type: ignore[arg-type]
    assert calls == ["botorch-defaults"]
    # without a cache the peer always runs
    calls.clear()
    run_bench([PROBLEM], ["botorch-defaults"], **args)  # type: ignore[arg-type]
    assert calls == ["botorch-defaults"]


class _Tilted:
    """A lab factory whose labs report ``factor`` times the noise-free values of ``make_lab``'s."""

    def __init__(self, make_lab: Any, factor: float = 1.01) -> None:
        self.make_lab, self.factor = make_lab, factor

    def __call__(self, seed: int) -> Any:
        lab = self.make_lab(seed)
        real_true, real_measure, factor = lab.true_value, lab.measure, self.factor

        class Lab:
            def true_value(self, X: pd.DataFrame) -> np.ndarray:
                return np.asarray(real_true(X), dtype=float) * factor

            def measure(self, X: pd.DataFrame) -> pd.DataFrame:
                return real_measure(X)

        return Lab()


def test_peer_key_changes_with_the_problem_and_the_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    p = get_problem(PROBLEM)
    key = peer_key(p, "botorch-defaults", "botorch-defaults", 0, 28, 4, 8)
    assert key == peer_key(p, "botorch-defaults", "botorch-defaults", 0, 28, 4, 8)
    assert "botorch" in key["versions"] and key["versions"]["source"]
    changed = Problem(p.name, p.description, p.spec, p.make_lab, p.optimum_value * 1.01, p.synthetic)
    assert not same_fingerprint(problem_fingerprint(changed), problem_fingerprint(p))
    assert peer_key(changed, "botorch-defaults", "botorch-defaults", 0, 28, 4, 8) != key
    for field, value in (("seed", 1), ("budget", 29), ("batch", 2), ("initial", None)):
        args = {"seed": 0, "budget": 28, "batch": 4, "initial": 8, field: value}
        assert peer_key(p, "botorch-defaults", "botorch-defaults", **args) != key  # type: ignore[arg-type]
    # a lab whose landscape changed (same spec and optimum) changes the hash too
    tilted = Problem(p.name, p.description, p.spec, _Tilted(p.make_lab), p.optimum_value, p.synthetic)
    assert not same_fingerprint(problem_fingerprint(tilted), problem_fingerprint(p))
    monkeypatch.setattr(peers_module, "PEER_CACHE_VERSION", 99)
    assert peer_key(p, "botorch-defaults", "botorch-defaults", 0, 28, 4, 8) != key
    assert "botorch-defaults" in PEER_STRATEGIES


def test_the_fingerprint_ignores_settings_only_optiform_uses() -> None:
    """A peer's cached run stays valid when optiform's own model, strategy, classifier inputs or
    weighing-sheet settings change (a new default must not invalidate the cache); a changed bound
    is a new problem."""
    p = get_problem("ratio-boundary")
    spec = p.campaign_spec()
    own = spec.model_dump(mode="json")
    own["model"]["lengthscale_prior"] = "lognormal" if own["model"]["lengthscale_prior"] == "gamma" else "gamma"
    own["model"]["kernel"] = "matern"
    own["strategy"] = {"name": "botorch", "n_initial": 11, "options": {"exploit": 2}}
    own["feasibility"]["inputs"] = "ratios"
    own["description"] = "another text"
    fingerprint = problem_fingerprint(p)
    same = problem_fingerprint(Problem(p.name, p.description, own, p.make_lab, p.optimum_value))
    assert same["hash"] == fingerprint["hash"] and same_fingerprint(same, fingerprint)
    bounds = spec.model_dump(mode="json")
    bounds["mixture"]["components"]["salt"]["max"] -= 1
    moved = Problem(p.name, p.description, bounds, p.make_lab, p.optimum_value)
    assert problem_fingerprint(moved)["hash"] != fingerprint["hash"]


def test_a_cached_run_of_a_changed_problem_is_not_reused(tmp_path: Path) -> None:
    p = get_problem(PROBLEM)
    key = peer_key(p, "botorch-defaults", "botorch-defaults", 0, 6, 2, 4)
    run = pd.DataFrame({"strategy": ["botorch-defaults"], "seed": [0]})
    peers_module.store_peer_run(tmp_path, key, run)
    assert load_peer_run(tmp_path, key) is not None
    changed = Problem(p.name, p.description, p.spec, p.make_lab, p.optimum_value * 1.01, p.synthetic)
    assert load_peer_run(tmp_path, peer_key(changed, "botorch-defaults", "botorch-defaults", 0, 6, 2, 4)) is None


def test_a_cached_run_survives_an_emulator_refit_on_another_machine(tmp_path: Path) -> None:
    p = get_problem(PROBLEM)
    key = peer_key(p, "botorch-defaults", "botorch-defaults", 0, 6, 2, 4)
    peers_module.store_peer_run(tmp_path, key, pd.DataFrame({"strategy": ["botorch-defaults"], "seed": [0]}))
    # an emulator refitted under other library versions: values off by ~1e-7
    drift = 1 + 1e-7
    drifted = Problem(p.name, p.description, p.spec, _Tilted(p.make_lab, drift), p.optimum_value * drift, p.synthetic)
    assert load_peer_run(tmp_path, peer_key(drifted, "botorch-defaults", "botorch-defaults", 0, 6, 2, 4)) is not None
    # one value moved by 0.1%: another problem
    moved = dict(key, fingerprint={**key["fingerprint"], "values": dict(key["fingerprint"]["values"])})
    truth = list(moved["fingerprint"]["values"]["truth"])
    truth[3] *= 1.001
    moved["fingerprint"]["values"]["truth"] = truth
    assert load_peer_run(tmp_path, moved) is None


class _FailsAfterSeed0:
    """A lab factory (picklable, for the bench's worker processes) whose seed-1 lab waits for a
    seed-0 run in the peers' cache ``cache`` (while the other worker runs seed 0), then fails
    saying whether it came."""

    def __init__(self, make_lab: Any, cache: Path) -> None:
        self.make_lab, self.cache = make_lab, cache

    def __call__(self, seed: int) -> Any:
        if seed == 1:
            cached = False
            for _ in range(240):  # the bench stores seed 0 as soon as its run returns
                cached = bool(list(self.cache.glob("*seed0*.csv")))
                if cached:
                    break
                time.sleep(0.5)
            raise RuntimeError(f"the lab broke; seed 0 cached before: {cached}")
        return self.make_lab(seed)


def test_a_finished_peer_run_is_kept_when_another_run_fails(tmp_path: Path) -> None:
    p = get_problem("narrow-ridge")
    broken = Problem(p.name, p.description, p.spec, _FailsAfterSeed0(p.make_lab, tmp_path), p.optimum_value)
    with pytest.raises(RunFailedError, match="the lab broke; seed 0 cached before: True"):
        run_bench([broken], ["botorch-defaults"], seeds=2, budget=4, batch=2, initial=4, workers=2, peer_cache=tmp_path)
    assert len(list(tmp_path.glob("*seed0*.csv"))) == 1


def test_cli_initial_and_cache_options(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    common = ["bench", "--problems", PROBLEM, "--seeds", "1", "--budget", "4", "--batch", "2", "--initial", "4"]
    common += ["--workers", "1", "--peer-cache", str(cache)]
    result = CliRunner().invoke(app, [*common, "--strategies", "botorch-defaults", "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "first batch 4" in result.output
    assert len(list(cache.glob("*.csv"))) == 1
    df = pd.read_csv(tmp_path / "a" / "bench.csv")
    assert (df["batch"] == 1).sum() == 4
    result = CliRunner().invoke(
        app, [*common, "--strategies", "botorch-defaults", "--no-cache", "--out", str(tmp_path / "b")]
    )
    assert result.exit_code == 0, result.output
    assert "from the cache" not in (tmp_path / "b" / "summary.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(app, [*common, "--strategies", "botorch-defaults", "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "1 peer run(s) from the cache" in (tmp_path / "c" / "summary.md").read_text(encoding="utf-8")
