"""Several objectives and outcome constraints: the campaign-file keys, recording and modelling a
constrained quantity, the Pareto front (method and CLI), the acquisition (qLogNEI / qLogNEHVI with
constraints and feasibility) and two small seeded closed loops on analytic test functions (the
virtual lab records only conductivity and solid)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from botorch.utils.multi_objective.hypervolume import Hypervolume
from botorch.utils.multi_objective.pareto import is_non_dominated
from typer.testing import CliRunner

from optiform import Campaign, DataError
from optiform.cli import app
from optiform.models.gp import compute_threads, to_tensor
from optiform.spec import CampaignSpec, OutcomeConstraintSpec, SpecError, load_spec
from optiform.strategies import ProposalContext
from optiform.strategies.acquisition import (
    FeasibilityWeighted,
    build_acquisition,
    constraint_callables,
    reference_point,
)

BASE = """
version = 1
name = "multi"
[mixture]
total = 100
resolution = 1
[mixture.components]
A = { min = 10, max = 80 }
B = { min = 10, max = 80 }
C = { min = 0, max = 50 }
[parameters]
T = { min = 0.0, max = 1.0, resolution = 0.05 }
[strategy]
n_initial = 6
options = { num_restarts = 3, raw_samples = 96, maxiter = 60 }
"""
TWO = '[[objectives]]\nname = "conductivity_mS_cm"\n[[objectives]]\nname = "transference_number"\n'
OXIDATION = '[[outcome_constraints]]\nname = "oxidation_onset_V"\nmin = {}\n'
MakeCampaign = Callable[..., Campaign]


def truth(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Analytic test quantities: conductivity peaks at A:B:C = 50:30:20, T = 0.6; t+ at 20:35:45,
    T = 0.2 (a trade-off); the oxidation onset rises linearly with A (4.5 V at A = 41.7)."""
    a, b, t = df["A"].to_numpy(float) / 100, df["B"].to_numpy(float) / 100, df["T"].to_numpy(float)
    return {
        "conductivity_mS_cm": np.exp(-((a - 0.5) ** 2) / 0.02 - (b - 0.3) ** 2 / 0.02 - (t - 0.6) ** 2),
        "transference_number": 0.2 + 0.6 * np.exp(-((a - 0.2) ** 2 + (b - 0.35) ** 2) / 0.03 - (t - 0.2) ** 2 / 0.5),
        "oxidation_onset_V": 4.0 + 1.2 * a,
        "viscosity_cP": 10 + 80 * b,
    }


def measure(c: Campaign, batch: pd.DataFrame) -> None:
    """Record the analytic truth of every quantity the campaign models."""
    names = [q.name for q in c.spec.modelled_quantities]
    values = pd.DataFrame({"id": batch["id"], **{k: v for k, v in truth(batch).items() if k in names}})
    c.record(values, force=True)  # a synthetic landscape spanning more decades than a real one: stored as given


# --- campaign file --------------------------------------------------------------------------
def test_outcome_constraints_parse_and_round_trip(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(
        BASE + TWO + OXIDATION.format(4.5) + '[[outcome_constraints]]\nname = "viscosity_cP"\nmax = 50\nmin = 5\n'
    )
    spec = load_spec(tmp_path / "c.toml")
    assert [o.name for o in spec.objectives] == ["conductivity_mS_cm", "transference_number"]
    assert [(c.name, c.min, c.max) for c in spec.outcome_constraints] == [
        ("oxidation_onset_V", 4.5, None),
        ("viscosity_cP", 5, 50),
    ]
    assert [q.name for q in spec.modelled_quantities] == [
        "conductivity_mS_cm",
        "transference_number",
        "oxidation_onset_V",
        "viscosity_cP",
    ]
    assert spec.quantity("conductivity_mS_cm").log and not spec.quantity("oxidation_onset_V").log
    assert spec.outcome_constraints[1].describe() == "viscosity_cP >= 5 and viscosity_cP <= 50"
    assert CampaignSpec.model_validate_json(spec.model_dump_json()) == spec
    with pytest.raises(KeyError, match="neither an objective nor a constrained quantity"):
        spec.quantity("capacity_mAh_g")


@pytest.mark.parametrize(
    "table, message",
    [
        ('name = "oxidation_onset_V"', r"outcome_constraints\.0: oxidation_onset_V: needs min and/or max"),
        (
            'name = "oxidation_onset_V"\nmin = 5\nmax = 4',
            r"outcome_constraints\.0\.min: min must be <= max \(got min=5, max=4\)",
        ),
        ('name = "SN-x"\nmin = 1', r"outcome_constraints\.0\.name: 'SN-x' is not a valid name"),
        ('name = "A"\nmin = 1', r"outcome_constraints\.0\.name: 'A' is a variable"),
        ('name = "status"\nmin = 1', r"outcome_constraints\.0\.name: 'status' is reserved"),
        (
            'name = "conductivity_mS_cm"\nmin = 0',
            r"outcome_constraints\.0\.min: .*log scale: the threshold must be > 0",
        ),
        (
            'name = "conductivity_mS_cm"\nmin = 0.1\ntransform = "none"',
            r"outcome_constraints\.0\.transform: .*objective",
        ),
        (
            'name = "oxidation_onset_V"\nminimum = 4.5',
            r"outcome_constraints\.0\.minimum: unknown key.*allowed: name, min, max, transform",
        ),
        ('name = "oxidation_onset_V"\nmin = "high"', r"outcome_constraints\.0\.min: Input should be a valid number"),
    ],
)
def test_outcome_constraint_errors_name_the_key(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(BASE + TWO + "[[outcome_constraints]]\n" + table + "\n")
    with pytest.raises(SpecError, match=r"bad\.toml: " + message):
        load_spec(tmp_path / "bad.toml")


def test_outcome_constraint_duplicates_and_single_brackets(tmp_path: Path) -> None:
    (tmp_path / "dup.toml").write_text(BASE + TWO + OXIDATION.format(4.5) + OXIDATION.format(4.6))
    with pytest.raises(SpecError, match=r"outcome_constraints\.1\.name: 'oxidation_onset_V' constrained twice"):
        load_spec(tmp_path / "dup.toml")
    (tmp_path / "one.toml").write_text(BASE + TWO + '[outcome_constraints]\nname = "oxidation_onset_V"\nmin = 4.5\n')
    with pytest.raises(SpecError, match=r"outcome_constraints: expected \[\[outcome_constraints\]\] tables"):
        load_spec(tmp_path / "one.toml")


# --- recording and modelling a constrained quantity ----------------------------------------
def test_constrained_quantity_is_recorded_and_modelled(make_campaign: MakeCampaign) -> None:
    c = make_campaign(BASE + TWO + OXIDATION.format(4.5))
    batch = c.propose(4, strategy="random")
    measure(c, batch)
    assert list(c.training_data("oxidation_onset_V").columns) == ["id", "A", "B", "C", "T", "oxidation_onset_V"]
    assert c.surrogate("oxidation_onset_V").n_train == 4
    assert not c.surrogate("oxidation_onset_V").objective.log and c.surrogate("conductivity_mS_cm").objective.log
    with pytest.raises(DataError, match=r"unknown column\(s\) capacity_mAh_g"):
        c.record(pd.DataFrame({"id": batch["id"][:1], "capacity_mAh_g": [1.0]}))


# --- Pareto front ---------------------------------------------------------------------------
def brute_force_front(table: pd.DataFrame, directions: dict[str, bool], feasible: pd.Series) -> set[str]:
    """Ids not dominated (>= in every objective, > in one, after orienting) by a feasible row."""
    signed = {k: table[k] * (1 if up else -1) for k, up in directions.items()}
    ids = set()
    for i in table.index[feasible]:
        dominated = any(
            all(signed[k][j] >= signed[k][i] for k in signed) and any(signed[k][j] > signed[k][i] for k in signed)
            for j in table.index[feasible]
        )
        if not dominated:
            ids.add(table.loc[i, "id"])
    return ids


def test_pareto_matches_brute_force_with_directions_and_constraints(make_campaign: MakeCampaign) -> None:
    body = TWO + '[[objectives]]\nname = "viscosity_cP"\ndirection = "minimize"\n' + OXIDATION.format(4.5)
    c = make_campaign(BASE + body)
    batch = c.propose(30, strategy="random")
    rng = np.random.default_rng(3)
    rows = []
    for k, label in enumerate(batch["id"]):  # coarse values: ties and exact duplicates occur
        for _ in range(1 + (k % 3 == 0)):
            rows.append(
                {
                    "id": label,
                    "conductivity_mS_cm": rng.integers(1, 6) / 10,
                    "transference_number": rng.integers(2, 6) / 10,
                    "viscosity_cP": float(rng.integers(1, 5)),
                    "oxidation_onset_V": np.nan if k % 7 == 3 else 4.0 + rng.integers(0, 11) / 10,
                    "status": "failed" if k % 11 == 5 else "ok",
                }
            )
    results = pd.DataFrame(rows)
    results.loc[
        results["status"] == "failed",
        ["conductivity_mS_cm", "transference_number", "viscosity_cP", "oxidation_onset_V"],
    ] = np.nan
    c.record(results)

    ok = results[results["status"] == "ok"]
    means = ok.groupby("id").mean(numeric_only=True).reset_index()
    means = means.dropna(subset=["conductivity_mS_cm", "transference_number", "viscosity_cP"]).reset_index(drop=True)
    meets = means["oxidation_onset_V"] >= 4.5  # NaN (never measured) counts as breaking
    directions = {"conductivity_mS_cm": True, "transference_number": True, "viscosity_cP": False}

    front = c.pareto()
    assert set(front["id"]) == brute_force_front(means, directions, meets)
    assert (front["breaks"] == "").all() and 2 <= len(front) < len(means)
    assert front["conductivity_mS_cm"].is_monotonic_decreasing
    got = front.set_index("id")["viscosity_cP"]
    assert np.allclose(got, means.set_index("id").loc[got.index, "viscosity_cP"])  # replicate means

    every = c.pareto(include_infeasible=True)
    unconstrained = brute_force_front(means, directions, pd.Series(True, index=means.index))
    broken = set(means.loc[~meets, "id"])
    assert set(every["id"]) == set(front["id"]) | (unconstrained & broken)
    assert unconstrained & broken  # the case is exercised
    reasons = every.set_index("id")["breaks"]
    for label in unconstrained & broken:
        never = means.set_index("id").loc[label, "oxidation_onset_V"]
        assert reasons[label] == ("oxidation_onset_V not measured" if np.isnan(never) else "oxidation_onset_V >= 4.5")

    pair = c.pareto(["viscosity_cP", "transference_number"])
    assert set(pair["id"]) == brute_force_front(means, {"viscosity_cP": False, "transference_number": True}, meets)
    assert pair["viscosity_cP"].is_monotonic_increasing  # best (lowest) first
    with pytest.raises(ValueError, match="distinct names among conductivity_mS_cm, transference_number, viscosity_cP"):
        c.pareto(["capacity_mAh_g"])


def test_pareto_cli_prints_table_and_writes_csv(
    tmp_path: Path, make_campaign: MakeCampaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = make_campaign(BASE + TWO + OXIDATION.format(4.5))
    measure(c, c.propose(8, strategy="random"))
    url = c.store.url
    c.close()
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    out = runner.invoke(app, ["--store", url, "pareto", "--csv", "front.csv"])
    assert out.exit_code == 0, out.output
    written = pd.read_csv(tmp_path / "front.csv", keep_default_na=False)
    assert "Pareto front of multi" in out.output and all(i in out.output for i in written["id"])
    assert list(written["id"]) == list(Campaign.open(url).pareto()["id"])
    status = " ".join(runner.invoke(app, ["--store", url, "status"]).output.split())  # unwrap lines
    assert "objectives: maximize conductivity_mS_cm, maximize transference_number" in status
    assert "outcome constraints: oxidation_onset_V >= 4.5" in status
    bad = runner.invoke(app, ["--store", url, "pareto", "--objectives", "nope"])
    assert bad.exit_code == 1 and "distinct names among" in bad.output
    assert "Example: optiform pareto" in runner.invoke(app, ["pareto", "--help"]).output


# --- acquisition ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rich_campaign(tmp_path_factory: pytest.TempPathFactory) -> Campaign:
    """Three objectives, a constrained quantity and a pass/fail outcome, 16 results."""
    path = tmp_path_factory.mktemp("acq") / "rich.toml"
    body = TWO + '[[objectives]]\nname = "viscosity_cP"\ndirection = "minimize"\n' + OXIDATION.format(4.5)
    path.write_text(BASE + body + '[feasibility]\nname = "solid"\n')
    c = Campaign.create(path, store=f"sqlite:///{path.with_suffix('.db')}", seed=0)
    batch = c.propose(16, strategy="sobol")
    values = pd.DataFrame({"id": batch["id"], **truth(batch)})
    values["solid"] = batch["T"].to_numpy() < 0.8
    values.loc[~values["solid"], ["conductivity_mS_cm", "transference_number", "viscosity_cP", "oxidation_onset_V"]] = (
        np.nan
    )
    c.record(values, force=True)  # a synthetic landscape: stored as given
    return c


def context(c: Campaign, n_objectives: int, constrained: bool, feasibility: bool) -> ProposalContext:
    objectives = c.spec.objectives[:n_objectives]
    table = c.formulations()
    return ProposalContext(
        space=c.space,
        objective=objectives[0],
        train=c.training_data(objectives[0]),
        existing=table[c.space.variables],
        pending=table.iloc[:0][c.space.variables],
        n_initial=c.spec.n_initial,
        n_results=len(table),
        seed=0,
        surrogate=lambda: c.surrogate(objectives[0]),
        feasibility=c.feasibility_model if feasibility else (lambda: None),
        objectives=list(objectives),
        outcome_constraints=list(c.spec.outcome_constraints) if constrained else [],
        surrogates=lambda: {q.name: c.surrogate(q) for q in c.spec.modelled_quantities},
    )


@pytest.mark.parametrize(
    "n_objectives, constrained, feasibility", list(product([1, 2, 3], [False, True], [False, True]))
)
def test_acquisition_is_finite_with_pending_points(
    rich_campaign: Campaign, n_objectives: int, constrained: bool, feasibility: bool
) -> None:
    c = rich_campaign
    X = to_tensor(c.space.to_model(c.space.sample_uniform(5, seed=1)))
    with compute_threads(1):
        acq = build_acquisition(context(c, n_objectives, constrained, feasibility), None)
        wrapped = feasibility and n_objectives > 1  # qLogNEHVI: log P added outside (one point at a time)
        inner = acq.acq.acq if wrapped else acq.acq
        if n_objectives > 1:
            expected = "qLogNoisyExpectedHypervolumeImprovement"
        else:  # feasibility enters per point, inside the acquisition
            expected = "FeasibleQLogNEI" if constrained else "GreedyLogNEI"
            assert (inner.feasibility_model is not None) == feasibility
        assert type(inner).__name__ == expected
        assert isinstance(acq, FeasibilityWeighted) == wrapped
        assert (len(acq.model.models) if hasattr(acq.model, "models") else 1) == (
            1 if n_objectives == 1 and not constrained else n_objectives + constrained
        )
        with torch.no_grad():
            values = acq(X.unsqueeze(1))
            acq.set_X_pending(X[:2])
            pending = acq(X[2:].unsqueeze(1))
    assert values.shape == (5,) and torch.isfinite(values).all()
    assert pending.shape == (3,) and torch.isfinite(pending).all()
    assert acq.X_pending.shape == (2, X.shape[-1])


def test_constraint_callables_on_the_model_scale() -> None:
    log_min = OutcomeConstraintSpec(name="conductivity_mS_cm", min=0.3)
    (fn,) = constraint_callables(log_min, output=1, log=True, observed=torch.tensor([0.0, 2.0]))
    Z = torch.tensor([[9.0, np.log(0.2)], [9.0, np.log(0.4)]]).unsqueeze(-2)  # samples x q x m
    slack = fn(Z).squeeze(-1)
    assert slack[0] > 0 > slack[1]  # 0.2 mS/cm breaks min 0.3, 0.4 meets it
    assert torch.isclose(slack[0], torch.tensor((np.log(0.3) - np.log(0.2)) / np.sqrt(2.0), dtype=slack.dtype))
    both = OutcomeConstraintSpec(name="oxidation_onset_V", min=4.5, max=5.0)
    lo, hi = constraint_callables(both, output=0, log=False, observed=torch.tensor([4.0]))  # one value: scale 1
    Z = torch.tensor([[4.4], [4.7], [5.2]]).unsqueeze(-2)
    assert (lo(Z).squeeze(-1) > 0).tolist() == [True, False, False]
    assert (hi(Z).squeeze(-1) > 0).tolist() == [False, False, True]


def test_constraint_on_the_objective_itself_shares_its_model(rich_campaign: Campaign) -> None:
    ctx = context(rich_campaign, 1, False, False)
    ctx.outcome_constraints = [OutcomeConstraintSpec(name="conductivity_mS_cm", min=0.3)]
    with compute_threads(1):
        acq = build_acquisition(ctx, None)
        X = to_tensor(rich_campaign.space.to_model(rich_campaign.space.sample_uniform(4, seed=2)))
        with torch.no_grad():
            assert torch.isfinite(acq(X.unsqueeze(1))).all()
    assert len(acq.model.models) == 1 and len(acq.acq._constraints) == 1


def test_reference_point_rule() -> None:
    ref = reference_point([torch.tensor([1.0, 3.0, 2.0]), torch.tensor([-5.0, -1.0, -3.0])])
    assert torch.allclose(ref, torch.tensor([1.0 - 0.2, -5.0 - 0.4], dtype=ref.dtype))


# --- closed loops ----------------------------------------------------------------------------
def hypervolume(c: Campaign, ids: pd.Series) -> float:
    """Hypervolume of the true (conductivity, t+) values of the formulations ``ids`` above (0, 0.2)."""
    f = c.formulations().set_index("id").loc[list(ids)]
    t = truth(f)
    Y = torch.tensor(np.column_stack([t["conductivity_mS_cm"], t["transference_number"]]))
    front = Y[is_non_dominated(Y)]
    return float(Hypervolume(torch.tensor([0.0, 0.2], dtype=Y.dtype)).compute(front))


@pytest.mark.slow
def test_two_objective_loop_improves_hypervolume(make_campaign: MakeCampaign) -> None:
    c = make_campaign(BASE + TWO)
    design = c.propose(c.spec.n_initial)
    measure(c, design)
    made = list(design["id"])
    for _ in range(4):
        batch = c.propose(2)
        assert (batch["id"].map(c.formulations().set_index("id")["strategy"]) == "botorch").all()
        measure(c, batch)
        made += list(batch["id"])
    before, after = hypervolume(c, design["id"]), hypervolume(c, pd.Series(made))
    assert after >= 1.5 * before, (before, after)


@pytest.mark.slow
def test_outcome_constraint_steers_proposals(make_campaign: MakeCampaign) -> None:
    # conductivity's optimum is at A = 50 (onset 4.6 V); oxidation_onset_V >= 4.8 needs A >= 66.7
    c = make_campaign(BASE + '[[objectives]]\nname = "conductivity_mS_cm"\n' + OXIDATION.format(4.8))
    measure(c, c.propose(c.spec.n_initial))
    proposed = []
    for _ in range(3):
        batch = c.propose(2)
        measure(c, batch)
        proposed.append(batch)
    later = pd.concat(proposed, ignore_index=True)
    predicted = c.surrogate("oxidation_onset_V").predict(later[c.space.variables])["oxidation_onset_V_mean"]
    assert (predicted >= 4.8 - 0.02).mean() >= 2 / 3, later.assign(predicted=predicted)
    assert (truth(later)["oxidation_onset_V"] >= 4.8 - 0.02).mean() >= 2 / 3
