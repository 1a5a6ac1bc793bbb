"""The grid, optuna-tpe and optuna-gp strategies: driven through a Campaign, they respect bounds, sum,
resolution and pending work, are seeded, and (optuna) keep in the study the formulations made."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

from optiform import Campaign
from optiform.bench.loop import closed_loop
from optiform.errors import StrategyError
from optiform.sim import VirtualLab
from optiform.space import Space
from optiform.spec import (
    STRATEGY_NAMES,
    STRATEGY_REGISTRY,
    BotorchOptions,
    GridOptions,
    example_spec_path,
    load_spec,
    parse_spec,
)
from optiform.strategies import STRATEGIES, STRATEGY_CLASSES, GridExhaustedError, get_strategy
from optiform.strategies.grid import GridStrategy
from optiform.strategies.optuna_strategies import OptunaEncoding, _OptunaStrategy, repair

LLZT = example_spec_path()
OPTUNA = ["optuna-tpe", "optuna-gp"]
MakeCampaign = Callable[..., Campaign]


def small_cat_spec(**strategy: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "name": "small",
        "mixture": {
            "total": 100,
            "resolution": 1,
            "components": {"A": {"min": 10, "max": 80}, "B": {"min": 10, "max": 80}, "C": {"min": 0, "max": 50}},
        },
        "parameters": {"T": {"min": 0.0, "max": 1.0, "resolution": 0.05}, "cat": {"choices": ["x", "y"]}},
        "objectives": [{"name": "conductivity_mS_cm"}],
        "strategy": {"n_initial": 5, **strategy},
    }


def truth(df: pd.DataFrame) -> np.ndarray:
    """Smooth positive test function, higher for cat = y."""
    a, b, t = (df[c].to_numpy(float) for c in ("A", "B", "T"))
    bonus = np.where(df["cat"].to_numpy(object) == "y", 1.0, 0.6)
    return bonus * np.exp(-((a / 100 - 0.5) ** 2) / 0.02 - ((b / 100 - 0.3) ** 2) / 0.02 - (t - 0.6) ** 2)


def record(c: Campaign, batch: pd.DataFrame, failed: int = 0) -> None:
    """Record the truth for ``batch``; its first ``failed`` rows as failed measurements."""
    status = ["failed"] * failed + ["ok"] * (len(batch) - failed)
    values = np.where(np.array(status) == "ok", truth(batch), np.nan)
    # a synthetic landscape spanning more decades than a real one: stored as given
    c.record(pd.DataFrame({"id": batch["id"], "conductivity_mS_cm": values, "status": status}), force=True)


def assert_valid(space: Space, batch: pd.DataFrame, others: pd.DataFrame | None = None) -> None:
    """In bounds, on the lattice, sum exact, distinct, away from ``others``."""
    X = batch[space.components].to_numpy(float)
    b = space.component_bounds()
    assert (X >= b[:, 0] - 1e-9).all() and (X <= b[:, 1] + 1e-9).all()
    assert np.array_equal(X.sum(axis=1), np.full(len(X), space.total))  # exact
    assert np.allclose(X / space.step, np.round(X / space.step), atol=1e-9)
    for name, p in space.continuous.items():
        v = batch[name].to_numpy(float)
        assert ((v >= p.min) & (v <= p.max)).all()
        if p.resolution:
            assert np.allclose(v / p.resolution, np.round(v / p.resolution), atol=1e-9)
    for name, choices in space.categorical.items():
        assert batch[name].isin(choices).all()
    close = space.too_close(batch, batch)
    assert not (close & ~np.eye(len(batch), dtype=bool)).any(), "two batch rows within one step"
    if others is not None and len(others):
        assert not space.too_close(batch, others[space.variables]).any(), "repeats an existing/pending formulation"


@pytest.fixture(scope="module")
def llzt_space() -> Space:
    return Space(load_spec(LLZT))


def test_registry_has_the_new_strategies() -> None:
    assert {"grid", "optuna-tpe", "optuna-gp"} <= set(STRATEGIES)
    with pytest.raises(ValueError, match="optuna-tpe takes no options"):
        get_strategy("optuna-tpe", {"n_trials": 3})


def test_strategy_classes_follow_the_spec_registry() -> None:
    """One list of names (optiform.spec.STRATEGY_REGISTRY); each class takes its options model."""
    assert tuple(STRATEGY_CLASSES) == STRATEGY_NAMES
    for name, cls in STRATEGIES.items():
        assert cls.name == name and cls.options_model is STRATEGY_REGISTRY[name].options


def test_strategies_receive_typed_options() -> None:
    botorch = get_strategy("botorch", {"exploit": 2, "feasibility_power": 5})
    assert isinstance(botorch.options, BotorchOptions)
    assert (botorch.options.exploit, botorch.options.feasibility_power, botorch.options.maxiter) == (2, 5.0, 200)
    assert get_strategy("botorch", BotorchOptions(exploit=0)).options.exploit == 0
    grid = GridStrategy(GridOptions(step=5))
    assert grid.step == 5.0 and grid.fixed == {} and GridStrategy(step=20).step == 20.0
    assert get_strategy("grid", {"fixed": {"T": 0.3}}).options == GridOptions(fixed={"T": 0.3})


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        (
            "bayes",
            {},
            r"^unknown strategy 'bayes'; expected one of botorch, random, sobol, grid, optuna-tpe, optuna-gp, botorch-defaults$",
        ),
        ("botorch", {"exploit": -1}, r"^botorch strategy: exploit must be a whole number of points >= 0, got -1$"),
        ("grid", {"step": "ten"}, r"^strategy\.options\.step: expected a positive number \(mixture unit\), got 'ten'$"),
        ("random", {"step": 1}, r"^strategy\.options: random takes no options \(got step\)$"),
    ],
)
def test_strategy_errors_are_strategy_errors(name: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(StrategyError, match=message):
        get_strategy(name, options)


def test_importing_the_strategies_leaves_torch_and_optuna_unloaded() -> None:
    code = "import sys, optiform.strategies; print(sorted({'torch', 'optuna'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- grid --------------------------------------------------------------------------------------
def test_paper_grid_has_17_points_within_bounds(llzt_space: Space) -> None:
    grid = GridStrategy(step=10).points(llzt_space)
    # MEMA 10-70, SN 20-70, salt 5-35 wt% on a 10 wt% grid: salt 10 -> 6, 20 -> 6, 30 -> 5 points
    assert len(grid) == 17
    assert sorted(grid["salt"].value_counts().items()) == [(10.0, 6), (20.0, 6), (30.0, 5)]
    assert ((grid[["MEMA", "SN", "salt"]] % 10) == 0).all().all()
    assert_valid(llzt_space, grid)
    # other variables fixed: midpoints rounded to their resolution, first choice
    assert set(grid["LiDFOB_mol_frac"]) == {0.15} and set(grid["FEC_wt_pct"]) == {5.0}
    assert set(grid["porosity"]) == {0.62} and set(grid["framework"]) == {"LLZT"}
    paper = GridStrategy(fixed={"LiDFOB_mol_frac": 0.05, "porosity": 0.75, "framework": "glass_fiber"})
    g = paper.points(llzt_space)
    assert set(g["LiDFOB_mol_frac"]) == {0.05} and set(g["porosity"]) == {0.75}
    assert set(g["framework"]) == {"glass_fiber"}
    assert len(GridStrategy(step=5).points(llzt_space)) > 17 * 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"step": 2.5}, r"multiple of mixture.resolution"),
        ({"step": 1}, r"at least twice"),
        ({"step": 0}, r"positive number"),
        ({"fixed": {"MEMA": 30}}, r"mixture components"),
        ({"fixed": {"porosty": 0.7}}, r"unknown variable.*porosty"),
        ({"fixed": {"porosity": 0.95}}, r"porosity: expected a number in \[0.4, 0.85\]"),
        ({"fixed": {"framework": "steel"}}, r"'steel' is not one of LLZT, glass_fiber"),
        ({"spacing": 10}, r"unknown option.*spacing"),
    ],
)
def test_grid_option_errors(llzt_space: Space, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GridStrategy(**options).points(llzt_space)


def test_grid_campaign_spreads_avoids_pending_and_exhausts(make_campaign: MakeCampaign) -> None:
    spec = load_spec(LLZT)
    c = make_campaign(spec, seed=4)
    first = c.propose(4, strategy="grid")
    assert_valid(c.space, first)
    # greedy max-min from a seeded start: the 4 points are far apart (>= 20 wt% in some component)
    X = first[c.space.components].to_numpy(float)
    gaps = np.abs(X[:, None, :] - X[None, :, :]).max(axis=2)[np.triu_indices(4, 1)]
    assert gaps.min() >= 20
    second = c.propose(6, strategy="grid")  # the first batch is still pending
    assert_valid(c.space, second, first)
    record_llzt(c, first)
    third = c.propose(7, strategy="grid")
    made = pd.concat([first, second, third], ignore_index=True)
    assert_valid(c.space, made)
    grid = GridStrategy().points(c.space)
    assert len(made.merge(grid, on=c.space.variables)) == 17  # the whole grid, each point once
    with pytest.raises(GridExhaustedError, match=r"17 points within the bounds, 0 not yet made or pending; 1 asked"):
        c.propose(1, strategy="grid")
    # deterministic for a seed, different for another
    again = Campaign.create(spec, store=":memory:", seed=4).propose(4, strategy="grid")
    pd.testing.assert_frame_equal(first, again)
    other = Campaign.create(spec, store=":memory:", seed=5).propose(4, strategy="grid")
    assert not first.drop(columns="id").equals(other.drop(columns="id"))


def record_llzt(c: Campaign, batch: pd.DataFrame) -> None:
    lab = VirtualLab(seed=0)
    results = lab.measure(batch)
    c.record(results[["id", "conductivity_mS_cm", "status", "note", "solid"]])


def test_grid_options_from_the_campaign_file(make_campaign: MakeCampaign) -> None:
    spec = small_cat_spec(name="grid", options={"step": 10, "fixed": {"T": 0.3, "cat": "y"}})
    c = make_campaign(parse_spec(spec))
    batch = c.propose(5)
    assert_valid(c.space, batch)
    assert set(batch["T"]) == {0.3} and set(batch["cat"]) == {"y"}
    assert ((batch[["A", "B", "C"]] % 10) == 0).all().all()


# --- optuna encoding and repair -------------------------------------------------------------------
def test_encoding_round_trip_and_decoded_points_in_bounds(llzt_space: Space) -> None:
    enc = OptunaEncoding(llzt_space)
    pts = llzt_space.space_filling(40, seed=1)
    params = enc.encode(pts)
    dists = enc.distributions
    for p in params:  # every encoded formulation is a valid trial of the distributions
        optuna.trial.create_trial(value=0.0, params=p, distributions=dists)
    back = enc.decode(params)
    pd.testing.assert_frame_equal(llzt_space.round(back), pts, check_dtype=False)
    num = llzt_space.components + list(llzt_space.continuous)
    np.testing.assert_allclose(back[num].to_numpy(float), pts[num].to_numpy(float), atol=1e-9)
    # any point of the unit cube decodes inside the bounds with the exact total
    rng = np.random.default_rng(0)
    cube = [
        {
            **{n: float(rng.random()) for n in enc.mixture_params},
            "LiDFOB_mol_frac": 0.1,
            "FEC_wt_pct": 2.0,
            "porosity": 0.5,
            "framework": "LLZT",
        }
        for _ in range(500)
    ]
    cube += [{**params[0], **dict(zip(enc.mixture_params, corner))} for corner in [(0, 0), (1, 1), (0, 1), (1, 0)]]
    X = enc.decode(cube)[llzt_space.components].to_numpy()
    b = llzt_space.component_bounds()
    assert (X >= b[:, 0] - 1e-9).all() and (X <= b[:, 1] + 1e-9).all()
    np.testing.assert_allclose(X.sum(axis=1), 100.0, atol=1e-9)


def test_repair_rounds_and_brings_points_back_into_bounds(llzt_space: Space) -> None:
    raw = pd.DataFrame(
        {
            "MEMA": [33.37, 75.0],
            "SN": [46.41, 20.0],
            "salt": [20.22, 5.0],
            "LiDFOB_mol_frac": [0.1234, 0.35],
            "FEC_wt_pct": [5.3, -1.0],
            "porosity": [0.7, 0.7],
            "framework": ["LLZT", "glass_fiber"],
        }
    )
    fixed = repair(llzt_space, raw)
    assert_valid(llzt_space, fixed)
    pd.testing.assert_frame_equal(fixed.iloc[[0]], llzt_space.round(raw.iloc[[0]]), check_dtype=False)  # only rounded
    assert fixed.loc[1, "MEMA"] == 70 and fixed.loc[1, "LiDFOB_mol_frac"] == 0.3 and fixed.loc[1, "FEC_wt_pct"] == 0


# --- optuna strategies through a campaign --------------------------------------------------------
@pytest.fixture
def studies(monkeypatch: pytest.MonkeyPatch) -> list[optuna.Study]:
    """Collect the study behind each optuna proposal."""
    seen: list[optuna.Study] = []
    original = _OptunaStrategy.propose

    def propose(self: _OptunaStrategy, n: int, ctx: Any) -> pd.DataFrame:
        if ctx.n_results < ctx.n_initial:
            return original(self, n, ctx)
        batch, study = self.propose_with_study(n, ctx)
        seen.append(study)
        return batch

    monkeypatch.setattr(_OptunaStrategy, "propose", propose)
    return seen


def _params_table(enc: OptunaEncoding, trials: list[optuna.trial.FrozenTrial]) -> pd.DataFrame:
    return enc.space.round(enc.decode([t.params for t in trials]))


@pytest.mark.parametrize("name", OPTUNA)
def test_optuna_strategy_in_a_campaign(name: str, studies: list[optuna.Study], make_campaign: MakeCampaign) -> None:
    spec = parse_spec(small_cat_spec(name=name))
    c = make_campaign(spec, seed=11)
    design = c.propose(5)  # n_initial = 5: the space-filling design
    assert not studies
    record(c, design, failed=1)
    batch = c.propose(2)
    assert_valid(c.space, batch, design)
    pending = c.propose(2)  # batch is pending
    assert_valid(c.space, pending, pd.concat([design, batch]))
    enc = OptunaEncoding(c.space)
    study = studies[-1]
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 5  # 4 results and 1 failed formulation (violating "usable")
    usable = [t for t in complete if t.constraints["usable"] == 0.0]
    assert len(usable) == 4 and sum(t.constraints["usable"] == 1.0 for t in complete) == 1
    # the study holds the formulations actually made: results with ln y, pending ones RUNNING
    made = _params_table(enc, usable)
    train = c.training_data()
    merged = made.assign(v=[t.value for t in usable]).merge(train, on=c.space.variables)
    np.testing.assert_allclose(merged["v"], np.log(merged["conductivity_mS_cm"]), rtol=1e-12)
    running = _params_table(enc, study.get_trials(states=(TrialState.RUNNING,)))
    assert len(running.merge(batch.drop(columns="id"), on=c.space.variables)) == 2
    # every batch point is a repaired (rounded) point the study was told about, exactly
    assert len(running.merge(pending.drop(columns="id"), on=c.space.variables)) == 2
    raw = enc.decode([t.params for t in study.get_trials(states=(TrialState.RUNNING,))])
    np.testing.assert_allclose(
        raw[c.space.components].to_numpy(float), running[c.space.components].to_numpy(float), atol=1e-9
    )
    # deterministic for a seed
    c2 = Campaign.create(spec, store=":memory:", seed=11)
    record(c2, c2.propose(5), failed=1)
    pd.testing.assert_frame_equal(c2.propose(2), batch)


def test_optuna_falls_back_to_space_filling_then_reports_exhaustion(make_campaign: MakeCampaign) -> None:
    """Two components on a 10-unit lattice: at most 6 formulations lie two steps apart, so optuna's
    asks soon repeat; the strategy still returns new points while any fit, then raises a clear error."""
    spec = {
        "version": 1,
        "name": "tiny",
        "mixture": {"total": 100, "resolution": 10, "components": {"A": {}, "B": {}}},
        "objectives": [{"name": "y", "transform": "none"}],
        "strategy": {"name": "optuna-tpe", "n_initial": 2},
    }
    c = make_campaign(parse_spec(spec))
    made = [c.propose(2)]
    with pytest.raises(RuntimeError, match=r"only 0 distinct formulations fit on the lattice"):
        for _ in range(6):
            c.record(pd.DataFrame({"id": made[-1]["id"], "y": made[-1]["A"] / 10}))
            made.append(c.propose(1))
    made_all = pd.concat(made, ignore_index=True)
    assert 4 <= len(made_all) <= 6
    assert_valid(c.space, made_all)


@pytest.mark.slow
def test_optuna_tpe_closed_loop_on_the_virtual_lab(make_campaign: MakeCampaign) -> None:
    data = tomllib.loads(LLZT.read_text())
    data["strategy"] = {"name": "optuna-tpe", "n_initial": 8}
    c = make_campaign(parse_spec(data), seed=2)
    history = closed_loop(c, VirtualLab(seed=2), budget=16, batch_size=4, initial_batch=8, strategy="optuna-tpe")
    assert len(history) == 16 and list(history["batch"].unique()) == [1, 2, 3]
    assert (history["kind"] == "optuna-tpe").all()
    assert_valid(c.space, history[c.space.variables])
    data = c.data()
    assert len(data) == 16 and set(data["strategy"]) == {"optuna-tpe"} and set(data["status"]) <= {"ok", "failed"}
    assert history["best_true_mS_cm"].notna().iloc[-1]


# --- known linear constraints ---------------------------------------------------------------------
def test_grid_drops_points_that_break_a_constraint(make_campaign: MakeCampaign) -> None:
    data = tomllib.loads(LLZT.read_text())
    data["constraints"] = ["SN - 2*MEMA <= 10", "salt >= 0.2*SN"]
    space = Space(parse_spec(data))
    grid = GridStrategy().points(space)
    full = GridStrategy().points(Space(load_spec(LLZT)))
    kept = (full["SN"] - 2 * full["MEMA"] <= 10) & (full["salt"] >= 0.2 * full["SN"])
    assert 0 < len(grid) == kept.sum() < 17
    pd.testing.assert_frame_equal(grid, full[kept].reset_index(drop=True))
    c = make_campaign(parse_spec(data))
    batch = c.propose(len(grid), strategy="grid")
    assert_valid(c.space, batch)
    assert c.space.satisfies(batch).all()


@pytest.mark.parametrize("name", OPTUNA)
def test_optuna_repairs_points_that_break_a_constraint(
    name: str, studies: list[optuna.Study], make_campaign: MakeCampaign
) -> None:
    """With A + B <= 60 (so C >= 40) most of the encoded cube breaks the constraint: decoded asks are
    projected and rounded, and the study holds the repaired point after each ask."""
    spec = small_cat_spec(name=name)
    spec["constraints"] = ["A + B <= 60"]
    c = make_campaign(parse_spec(spec), seed=3)
    record(c, c.propose(5))
    batch = c.propose(3)
    assert_valid(c.space, batch, c.formulations().iloc[:5])
    assert c.space.satisfies(batch).all() and (batch["A"] + batch["B"] <= 60).all()
    study, enc = studies[-1], OptunaEncoding(c.space)
    trials = study.get_trials(deepcopy=False)
    asked = [t for t in trials if t.state == TrialState.FAIL]  # the raw asks, each followed by its repair
    raw = enc.decode([t.params for t in asked])
    assert (~c.space.satisfies(raw)).sum() >= 1  # some asks broke the constraint...
    repaired = enc.space.round(enc.decode([trials[t.number + 1].params for t in asked]))
    assert all(trials[t.number + 1].state == TrialState.RUNNING for t in asked)
    pd.testing.assert_frame_equal(repaired, repair(c.space, raw))  # ...and the study holds the repair
    assert c.space.satisfies(repaired).all()
    # every proposal is one of the repaired asks (a repeat ask may repair to the same point)
    assert len(repaired.drop_duplicates().merge(batch.drop(columns="id"), on=c.space.variables)) == 3


def test_default_strategy_continues_the_design_while_under_two_usable_results(make_campaign: MakeCampaign) -> None:
    """A design whose measurements mostly failed (e.g. films that stayed fluid) leaves fewer than
    two results to fit the GP to: the next batch continues the space-filling design instead of
    failing, and the model takes over once two results are usable."""
    c = make_campaign(small_cat_spec(), seed=3)
    design = c.propose(5)
    record(c, design, failed=4)  # one usable result out of five
    more = c.propose(3)
    assert_valid(c.space, more, design)
    record(c, more, failed=3)
    again = c.propose(2)
    assert_valid(c.space, again, pd.concat([design, more]))
    record(c, again)  # now three usable results: the GP fits
    model = c.propose(2)
    assert_valid(c.space, model, pd.concat([design, more, again]))
    assert len(c.training_data(c.spec.objectives[0])) == 3
