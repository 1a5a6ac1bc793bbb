"""The Campaign façade and its store: propose, record, data, best, predict, reopen, transactions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from optiform import Campaign, DataError, StoreError
from optiform.recipe import molar_ratio, read_weighing_sheet
from optiform.store import SCHEMA_VERSION, Store

MakeCampaign = Callable[..., Campaign]


def truth(df: pd.DataFrame) -> np.ndarray:
    """A smooth positive test function with its maximum inside the space."""
    a, b, t = df["A"].to_numpy(float) / 100, df["B"].to_numpy(float) / 100, df["T"].to_numpy(float)
    return np.exp(-((a - 0.5) ** 2) / 0.02 - ((b - 0.3) ** 2) / 0.02 - (t - 0.6) ** 2)


@pytest.fixture
def small(make_campaign: MakeCampaign, small_spec: Path) -> Campaign:
    return make_campaign(small_spec)


def results_for(batch: pd.DataFrame) -> pd.DataFrame:
    """The truth for ``batch`` (a synthetic landscape spanning more decades than a real campaign:
    recorded with force=True, as given)."""
    return pd.DataFrame({"id": batch["id"], "conductivity_mS_cm": truth(batch)})


# --- create / open / reopen -------------------------------------------------------------------
def test_create_open_survives_restart(store_url: str, small_spec: Path) -> None:
    c = Campaign.create(small_spec, store=store_url)
    batch = c.propose(3)
    c.close()
    c2 = Campaign.open(store_url)  # a "new process": nothing shared but the file
    assert c2.name == "small"
    pending = c2.formulations()
    assert list(pending["id"]) == list(batch["id"])
    assert set(pending["status"]) == {"pending"}
    c2.record(results_for(batch), force=True)
    c2.close()
    c3 = Campaign.open(store_url)
    assert set(c3.formulations()["status"]) == {"measured"}
    assert c3.store.schema_version == SCHEMA_VERSION


def test_open_needs_name_when_several(store_url: str, small_spec: Path, llzt_spec: Path) -> None:
    Campaign.create(small_spec, store=store_url)
    Campaign.create(llzt_spec, store=store_url)
    with pytest.raises(StoreError, match="several campaigns"):
        Campaign.open(store_url)
    assert Campaign.open(store_url, name="llzt-cse").name == "llzt-cse"
    with pytest.raises(StoreError, match="no campaign 'nope'"):
        Campaign.open(store_url, name="nope")
    with pytest.raises(StoreError, match="already holds a campaign named 'small'"):
        Campaign.create(small_spec, store=store_url)


def test_store_refuses_newer_schema(store_url: str) -> None:
    store = Store(store_url)
    with store.engine.begin() as conn:  # a store written by a newer optiform
        conn.execute(text("UPDATE meta SET value = :v WHERE key = 'schema_version'"), {"v": str(SCHEMA_VERSION + 1)})
    store.close()
    with pytest.raises(StoreError, match="newer than this optiform"):
        Store(store_url)


def test_store_url_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_spec: Path) -> None:
    monkeypatch.setenv("OPTIFORM_STORE", f"sqlite:///{tmp_path / 'env.db'}")
    c = Campaign.create(small_spec)
    assert c.store.url.endswith("env.db")
    assert (tmp_path / "env.db").exists()


# --- propose ----------------------------------------------------------------------------------
def test_propose_returns_exact_sums_on_lattice(small: Campaign) -> None:
    batch = small.propose(6)
    assert list(batch.columns) == ["id", "A", "B", "C", "T"]
    assert (batch[["A", "B", "C"]].sum(axis=1) == 100).all()
    assert np.allclose(batch[["A", "B", "C"]] % 1, 0)
    assert np.allclose((batch["T"] / 0.05) - np.round(batch["T"] / 0.05), 0)
    assert batch["id"].is_unique and batch["id"].str.fullmatch(r"F\d{4}").all()


@pytest.mark.slow
def test_model_proposals_stay_distinct_and_improve(small: Campaign) -> None:
    design = small.propose(6)
    small.record(results_for(design), force=True)
    for _ in range(2):
        batch = small.propose(3)
        assert (batch["id"].str[1:].astype(int) > design["id"].str[1:].astype(int).max()).all()
        small.record(results_for(batch), force=True)
    f = small.formulations()
    X = f[small.space.variables]
    close = small.space.too_close(X, X, steps=0)  # the default strategy's min_spacing: not the same lattice point
    np.fill_diagonal(close, False)
    assert not close.any(), "two formulations on the same lattice point"
    assert set(f["strategy"]) == {"botorch"} and f["batch"].max() == 3
    best_design = truth(design).max()
    assert small.best()["conductivity_mS_cm"] > best_design


def test_pending_formulations_are_not_proposed_again(small: Campaign) -> None:
    first = small.propose(4)
    second = small.propose(4)
    both = pd.concat([first, second])
    close = small.space.too_close(both, both, steps=0)
    np.fill_diagonal(close, False)
    assert not close.any()


def test_propose_rejects_bad_n_and_strategy(small: Campaign) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        small.propose(0)
    with pytest.raises(ValueError, match="unknown strategy 'nope'"):
        small.propose(2, strategy="nope")


@pytest.mark.parametrize("strategy", ["random", "sobol"])
def test_other_strategies_respect_lattice(small: Campaign, strategy: str) -> None:
    batch = small.propose(5, strategy=strategy)
    assert (batch[["A", "B", "C"]].sum(axis=1) == 100).all()
    assert set(small.formulations()["strategy"]) == {strategy}


# --- record -----------------------------------------------------------------------------------
def test_record_replicates_duplicates_failed(small: Campaign) -> None:
    batch = small.propose(3)
    ids = list(batch["id"])
    rows = pd.DataFrame(
        {
            "id": [ids[0], ids[0], ids[1], ids[2]],
            "conductivity_mS_cm": [0.5, 0.52, None, 0.3],
            "status": ["ok", "ok", "failed", "ok"],
            "note": ["", "", "film stayed fluid", ""],
        }
    )
    report = small.record(rows)
    assert report.added == 4 and report.already_stored == []
    d = small.data()
    first = d[d["id"] == ids[0]]
    assert list(first["replicate"]) == [1, 2]
    assert d.loc[d["id"] == ids[1], "status"].item() == "failed"
    assert small.formulations().set_index("id").loc[ids[1], "status"] == "failed"
    # the same file again: every row is already stored, nothing stored again
    again = small.record(rows)
    assert again.added == 0 and len(again.already_stored) == 4 and again.duplicates == again.already_stored
    assert again.already_stored[0] == f"results: line 1: {ids[0]} replicate 1 is already stored"
    assert "4 already stored" in str(again) and again.notices == []
    assert len(small.data()) == 4
    # an explicit new replicate number is stored
    more = small.record(pd.DataFrame({"id": [ids[0]], "conductivity_mS_cm": [0.49], "replicate": [3]}))
    assert more.added == 1
    # the failed formulation stays out of the regression; replicates are averaged in best()
    train = small.training_data()
    assert ids[1] not in set(train["id"]) and (train["id"] == ids[0]).sum() == 3
    best = small.best()
    assert best["id"] == ids[0] and best["n_replicates"] == 3
    assert best["conductivity_mS_cm"] == pytest.approx((0.5 + 0.52 + 0.49) / 3)


def test_record_outside_data_without_id(small: Campaign) -> None:
    lit = pd.DataFrame(
        {
            "A": [40, 40],
            "B": [40, 40],
            "C": [20, 20],
            "T": [0.5, 0.5],
            "conductivity_mS_cm": [0.8, 0.82],
            "note": ["lit", "lit"],
        }
    )
    report = small.record(lit)
    assert report.added == 2 and len(report.new_formulations) == 1
    f = small.formulations()
    assert list(f["source"]) == ["external"] and f["n_results"].item() == 2
    assert len(small.record(lit).already_stored) == 2  # the same literature file again: already stored


def test_record_rejects_unknown_columns_naming_expected(small: Campaign) -> None:
    batch = small.propose(2)
    bad = pd.DataFrame({"id": batch["id"], "conductivity_S_cm": [0.001, 0.002]})
    with pytest.raises(DataError, match=r"conductivity_S_cm.*expected 'id'.*conductivity_mS_cm"):
        small.record(bad)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"id": ["F0099"], "conductivity_mS_cm": [0.1]}, r"line 1: unknown sample id 'F0099'"),
        ({"id": ["F0001"], "conductivity_mS_cm": ["abc"]}, r"expected a number"),
        ({"id": ["F0001"], "conductivity_mS_cm": [-0.1]}, r"must be > 0"),
        ({"id": ["F0001"], "conductivity_mS_cm": [None]}, r"no value for conductivity_mS_cm.*status = failed"),
        ({"id": ["F0001"], "conductivity_mS_cm": [0.1], "status": ["broken"]}, r"status: 'broken'"),
        ({"id": ["F0001"], "conductivity_mS_cm": [0.1], "replicate": [0]}, r"replicate: expected a whole number"),
        ({"A": [50], "B": [40], "C": [20], "T": [0.5], "conductivity_mS_cm": [0.1]}, r"sum to 110"),
        ({"A": [50], "B": [50], "T": [0.5], "conductivity_mS_cm": [0.1]}, r"missing column\(s\) C; rows without an id"),
        ({"A": [50], "B": [30], "C": [20], "T": ["hot"], "conductivity_mS_cm": [0.1]}, r"line 1: T: expected a number"),
    ],
)
def test_bad_rows_store_nothing(small: Campaign, rows: dict, message: str) -> None:
    small.propose(2)
    good = {"id": "F0002", "conductivity_mS_cm": 0.2}
    df = pd.concat([pd.DataFrame(rows), pd.DataFrame([good])], ignore_index=True)
    with pytest.raises(DataError, match=message):
        small.record(df)
    assert small.store.measurements(small.id).empty  # the good row was not stored either


def test_record_lists_every_bad_row_with_line_numbers(small: Campaign, tmp_path: Path) -> None:
    small.propose(2)
    path = tmp_path / "results.csv"
    path.write_text("id,conductivity_mS_cm\nF0001,0.4\nF0077,0.3\nF0002,oops\n")
    with pytest.raises(DataError) as err:
        small.record(path)
    text = str(err.value)
    assert "results.csv: line 3: unknown sample id 'F0077'" in text
    assert "results.csv: line 4: conductivity_mS_cm: expected a number" in text
    assert small.store.measurements(small.id).empty


def test_record_checks_variables_given_with_an_id(small: Campaign) -> None:
    batch = small.propose(1)
    row = batch.assign(conductivity_mS_cm=0.3)
    assert small.record(row).added == 1  # matching variables are fine
    wrong = batch.assign(A=batch["A"] + 5, conductivity_mS_cm=0.3, replicate=2)
    with pytest.raises(DataError, match="but sample F0001 has A"):
        small.record(wrong)


def test_failed_transaction_leaves_nothing(small: Campaign) -> None:
    batch = small.propose(3)
    from sqlalchemy import event

    from optiform.store.schema import ValueRow  # the store's rows: fail while the third value is written

    calls = {"n": 0}

    def exploding(*_args: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")

    event.listen(ValueRow, "before_insert", exploding)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            small.record(results_for(batch), force=True)
    finally:
        event.remove(ValueRow, "before_insert", exploding)
    assert small.store.measurements(small.id).empty
    assert small.record(results_for(batch), force=True).added == 3


# --- predict / best / recipe ------------------------------------------------------------------
def test_predict_units_and_interval(small: Campaign) -> None:
    design = small.propose(6)
    small.record(results_for(design), force=True)
    pred = small.predict(design[small.space.variables])
    cols = [f"conductivity_mS_cm_{k}" for k in ("mean", "std", "median", "q05", "q95")]
    assert list(pred.columns) == cols
    assert (pred["conductivity_mS_cm_q05"] < pred["conductivity_mS_cm_median"]).all()
    assert (pred["conductivity_mS_cm_median"] < pred["conductivity_mS_cm_q95"]).all()
    # at measured points the prediction is close to what was measured (in mS/cm, not log units)
    assert np.allclose(pred["conductivity_mS_cm_median"], truth(design), rtol=0.2)
    with pytest.raises(DataError, match="sum to 90"):
        small.predict(pd.DataFrame({"A": [40], "B": [30], "C": [20], "T": [0.5]}))


def test_best_without_results_is_a_clear_error(small: Campaign) -> None:
    with pytest.raises(DataError, match="no measured conductivity_mS_cm yet"):
        small.best()


def test_weighing_sheet_for_a_batch(tmp_path: Path, make_campaign: MakeCampaign) -> None:
    c = make_campaign(seed=None)
    batch = c.propose(3)
    sheet = c.weighing_sheet(batch, batch_mass_g=20.0)
    totals = sheet.groupby("id")["mass_g"].sum()
    assert np.allclose(totals, 20.0, atol=6 * 0.00005)  # six chemicals, each rounded to 0.1 mg
    paper = pd.DataFrame(
        [dict(id="paper", MEMA=30, SN=50, salt=20, LiDFOB_mol_frac=0.05, FEC_wt_pct=5, porosity=0.75, framework="LLZT")]
    )
    assert molar_ratio(c.weighing_sheet(paper, 100.0), "LiTFSI", "LiDFOB") == pytest.approx(19.0, rel=1e-3)
    path = c.export_batch(batch, tmp_path / "batch.csv", batch_mass_g=20.0)
    header, table = read_weighing_sheet(path)
    assert header["campaign"] == "llzt-cse" and header["batch"] == 1 and header["batch_mass_g"] == 20.0
    assert {"LiTFSI", "LiDFOB", "FEC", "AIBN", "MEMA"} <= set(table["chemical"])
    xlsx = c.export_batch(batch, tmp_path / "batch.xlsx", batch_mass_g=20.0)
    assert set(pd.read_excel(xlsx, sheet_name=None)) == {"weighing"}


# --- learned feasibility ----------------------------------------------------------------------
@pytest.fixture
def feas(make_campaign: MakeCampaign, small_spec: Path) -> Campaign:
    return make_campaign(small_spec.read_text() + '\n[feasibility]\nname = "solid"\n', seed=1, name="feas")


def solid_results(batch: pd.DataFrame) -> pd.DataFrame:
    """Films with A < 35 wt% stay fluid: solid = false and no value."""
    solid = batch["A"].to_numpy(float) >= 35
    return pd.DataFrame(
        {"id": batch["id"], "conductivity_mS_cm": np.where(solid, truth(batch), np.nan), "solid": solid}
    )


def test_feasibility_outcome_recorded_and_learnt(feas: Campaign) -> None:
    design = feas.propose(10)
    results = solid_results(design)
    assert 0 < results["solid"].sum() < len(results), "the design should see both classes"
    feas.record(results, force=True)  # truth(): a synthetic landscape, stored as given
    d = feas.data().set_index("id")
    fluid = results.loc[~results["solid"], "id"]
    assert (d.loc[fluid, "status"] == "failed").all() and (d.loc[fluid, "solid"] == 0).all()
    assert (d.loc[fluid, "note"] == "solid = false").all()
    train = feas.training_data()
    assert set(train["id"]) == set(results.loc[results["solid"], "id"])  # fluid films: not in the regression
    model = feas.feasibility_model()
    assert model is not None and model.n_fail == len(fluid)
    probe = pd.DataFrame({"A": [15.0, 70.0], "B": [45.0, 20.0], "C": [40.0, 10.0], "T": [0.5, 0.5]})
    p_low, p_high = model.probability(probe)
    assert p_low < 0.5 < p_high
    pred = feas.predict(probe)
    assert "P_solid" in pred.columns and pred["P_solid"].iloc[0] < pred["P_solid"].iloc[1]
    batch = feas.propose(4)  # model-based, weighted by P(solid)
    assert (model.probability(batch) > 0.3).mean() >= 0.75


def test_feasibility_column_errors(feas: Campaign) -> None:
    batch = feas.propose(2)
    with pytest.raises(DataError, match="solid = false carries no objective value"):
        feas.record(pd.DataFrame({"id": batch["id"], "conductivity_mS_cm": [0.3, 0.2], "solid": [False, True]}))
    with pytest.raises(DataError, match="solid: expected true or false, got 'maybe'"):
        feas.record(pd.DataFrame({"id": batch["id"], "conductivity_mS_cm": [0.3, 0.2], "solid": ["maybe", True]}))
    # a failed measurement without the outcome does not train the feasibility model
    feas.record(pd.DataFrame({"id": batch["id"], "conductivity_mS_cm": [None, 0.2], "status": ["failed", "ok"]}))
    assert len(feas.feasibility_data()) == 0 and feas.feasibility_model() is None


def test_campaign_seed_makes_proposals_reproducible(tmp_path: Path, small_spec: Path) -> None:
    a = Campaign.create(small_spec, store=f"sqlite:///{tmp_path / 'a.db'}", seed=7).propose(4, strategy="random")
    b = Campaign.create(small_spec, store=f"sqlite:///{tmp_path / 'b.db'}", seed=7).propose(4, strategy="random")
    c = Campaign.create(small_spec, store=f"sqlite:///{tmp_path / 'c.db'}").propose(4, strategy="random")
    pd.testing.assert_frame_equal(a, b)
    assert not a.drop(columns="id").equals(c.drop(columns="id"))


def test_spec_strategy_names_match_the_registry() -> None:
    """spec.py validates names without importing torch; its list must follow the registry."""
    from optiform.spec import STRATEGY_NAMES
    from optiform.strategies import STRATEGIES

    assert set(STRATEGY_NAMES) == set(STRATEGIES)
