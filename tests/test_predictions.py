"""Proposals come with what the model expects of them (predicted median, 90% interval, P(solid)),
on screen and in the batch file and weighing sheet; a floor on P(solid) for a batch; status is
quick, counts flagged results and says when n is too small for its diagnostics."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from optiform import Campaign, DataError
from optiform.errors import OptiformWarning
from optiform.models.diagnostics import MIN_LOO_FORMULATIONS
from optiform.recipe import read_weighing_sheet
from optiform.sim import VirtualLab

MakeCampaign = Callable[..., Campaign]
OBJ = "conductivity_mS_cm"
STATS = [f"{OBJ}_median", f"{OBJ}_q05", f"{OBJ}_q95"]


def _measured(c: Campaign, n: int, seed: int = 1) -> None:
    """``n`` space-filling formulations measured by the virtual lab (fluid films fail)."""
    batch = c.propose(n, strategy="sobol")
    results = VirtualLab(seed=seed).measure(batch)
    c.record(results[["id", OBJ, "solid", "status", "note"]])


@pytest.fixture
def modelled(make_campaign: MakeCampaign) -> Campaign:
    """The paper's campaign with 20 virtual-lab results (solid and fluid films)."""
    c = make_campaign()
    _measured(c, 20)
    return c


def test_predictions_before_any_model_are_empty_not_an_error(make_campaign: MakeCampaign) -> None:
    c = make_campaign()
    batch = c.propose(3, strategy="sobol")
    expected = c.predictions(batch)
    assert list(expected.columns) == ["id", *STATS, "P_solid"] == ["id", *c.spec.prediction_columns]
    assert expected[[*STATS, "P_solid"]].isna().all().all()


def test_predictions_are_the_models_median_interval_and_probability(modelled: Campaign) -> None:
    batch = modelled.propose(4)
    expected = modelled.predictions(batch)
    assert list(expected["id"]) == list(batch["id"])
    direct = modelled.predict(batch)
    for column in [*STATS, "P_solid"]:
        np.testing.assert_allclose(expected[column], direct[column])
    assert (expected[f"{OBJ}_q05"] < expected[f"{OBJ}_median"]).all()
    assert (expected[f"{OBJ}_median"] < expected[f"{OBJ}_q95"]).all()
    assert expected["P_solid"].between(0, 1).all()


def test_cli_propose_prints_the_predictions(modelled: Campaign, cli) -> None:
    out = cli("--store", modelled.store.url, "propose", "-n", "3").output
    pending = modelled.formulations().query("status == 'pending'")
    expected = modelled.predictions(pending[["id", *modelled.space.variables]])
    assert "what the model expects of them" in out and "P(solid)" in out
    for _, row in expected.iterrows():
        interval = f"{row[STATS[0]]:.3g} ({row[STATS[1]]:.3g}-{row[STATS[2]]:.3g})"
        assert interval in out and f"{row['P_solid']:.2f}" in out


def test_cli_propose_without_a_model_says_so(make_campaign: MakeCampaign, cli) -> None:
    c = make_campaign()
    out = cli("--store", c.store.url, "propose", "-n", "2").output
    assert "no predictions yet" in out


def test_batch_file_carries_predictions_and_records_back(modelled: Campaign, cli, tmp_path: Path) -> None:
    cli("--store", modelled.store.url, "propose", "-n", "3", "--out", "batch.csv")
    table = pd.read_csv(tmp_path / "batch.csv")
    assert list(table.columns) == ["id", *modelled.space.variables, *modelled.spec.prediction_columns]
    assert table[STATS].notna().all().all() and table["P_solid"].between(0, 1).all()
    table[OBJ] = [0.5, 0.6, 0.7]  # the lab fills in its results next to the predictions
    table.to_csv(tmp_path / "batch.csv", index=False)
    report = modelled.record(tmp_path / "batch.csv")
    assert report.added == 3
    stored = modelled.data().set_index("id").loc[table["id"], OBJ]
    np.testing.assert_allclose(stored, [0.5, 0.6, 0.7])
    assert f"{OBJ}_median" not in modelled.data().columns  # predictions are never stored as results


def test_weighing_sheet_carries_predictions_and_records_what_was_made(modelled: Campaign, tmp_path: Path) -> None:
    batch = modelled.propose(2)
    path = modelled.export_batch(batch, tmp_path / "sheet.xlsx", batch_mass_g=2.0)
    _, table = read_weighing_sheet(path)
    expected = modelled.predictions(batch).set_index("id")
    for sample_id, rows in table.groupby("id"):
        assert len(rows) == len(modelled.weighing_sheet(batch.iloc[:1], 2.0))  # one row per chemical
        assert float(rows["P_solid"].iloc[0]) == pytest.approx(expected.loc[sample_id, "P_solid"], rel=1e-3)
        assert float(rows[f"{OBJ}_median"].iloc[-1]) == pytest.approx(
            expected.loc[sample_id, f"{OBJ}_median"], rel=1e-3
        )
    import openpyxl

    book = openpyxl.load_workbook(path)
    ws = book["weighing"]
    header = [c.value for c in next(r for r in ws.iter_rows() if r[0].value == "id")]
    col = header.index("actual_g")
    for row in ws.iter_rows():
        if row[0].value in set(batch["id"]):
            row[col].value = row[header.index("mass_g")].value
    book.save(path)
    report = modelled.record(path)
    assert sorted(report.made) == sorted(batch["id"])
    assert modelled.made()["id"].isin(batch["id"]).sum() == 2


def test_floor_keeps_only_proposals_likely_to_stay_solid(modelled: Campaign) -> None:
    model = modelled.feasibility_model()
    assert model is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch = modelled.propose(8, strategy="random", seed=3, min_p_feasible=0.9)
    dropped = [w for w in caught if issubclass(w.category, OptiformWarning) and "below the floor 0.9" in str(w.message)]
    assert len(batch) + _count_dropped(dropped) == 8
    assert (model.probability(batch) >= 0.9).all()
    pending = modelled.formulations().query("status == 'pending'")
    assert sorted(pending["id"]) == sorted(batch["id"])  # the dropped ones were never stored


def _count_dropped(caught: list[Any]) -> int:
    return sum(int(str(w.message).split(" of ")[0]) for w in caught)


def test_floor_on_the_default_strategy(modelled: Campaign) -> None:
    batch = modelled.propose(4, min_p_feasible=0.8)
    model = modelled.feasibility_model()
    assert model is not None and len(batch) >= 1
    assert (model.probability(batch) >= 0.8).all()


def test_floor_that_nothing_reaches_stores_nothing(modelled: Campaign) -> None:
    before = len(modelled.formulations())
    with pytest.raises(DataError, match=r"no proposal reaches P\(solid\) >= 0.999999"):
        modelled.propose(2, strategy="random", seed=1, min_p_feasible=0.999999)
    assert len(modelled.formulations()) == before


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1, True, "0.8"])
def test_floor_must_be_a_probability(modelled: Campaign, value: object) -> None:
    with pytest.raises(DataError, match="min_p_feasible: expected a probability between 0 and 1"):
        modelled.propose(2, min_p_feasible=value)  # type: ignore[arg-type]


def test_floor_needs_a_feasibility_model(make_campaign: MakeCampaign, small_spec: Path) -> None:
    with pytest.raises(DataError, match=r"declares no \[feasibility\] outcome"):
        make_campaign(small_spec, name="small").propose(2, min_p_feasible=0.8)
    c = make_campaign()
    with pytest.raises(DataError, match=r"no model of P\(solid\) yet"):
        c.propose(2, min_p_feasible=0.8)


def test_cli_floor_option(modelled: Campaign, cli) -> None:
    cli("--store", modelled.store.url, "propose", "-n", "2", "--min-p-solid", "0.8")
    pending = modelled.formulations().query("status == 'pending'")
    model = modelled.feasibility_model()
    assert model is not None and (model.probability(pending) >= 0.8).all()
    bad = cli("--store", modelled.store.url, "propose", "-n", "2", "--min-p-solid", "2", ok=False)
    assert bad.exit_code != 0 and "min_p_feasible: expected a probability" in bad.output


# --- status ---------------------------------------------------------------------------------------
def test_status_reads_the_campaign_without_loading_the_models(modelled: Campaign, tmp_path: Path) -> None:
    """Plain status needs neither torch nor the optimizers (the imports take seconds)."""
    code = (
        "import sys\n"
        "from optiform.cli import main\n"
        "try:\n"
        f"    main(['--store', {modelled.store.url!r}, 'status'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print('loaded', sorted(m for m in ('torch', 'botorch', 'scipy.optimize', 'alembic') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "loaded []" in done.stdout
    assert "best conductivity_mS_cm" in done.stdout and "optiform status --model" in done.stdout


def test_status_model_option_shows_the_diagnostics(modelled: Campaign, cli) -> None:
    out = cli("--store", modelled.store.url, "status", "--model").output
    assert "by the model" in out and "LOO R²" in out and "n too small" not in out


def test_status_says_n_too_small_for_loo(make_campaign: MakeCampaign, cli) -> None:
    c = make_campaign()
    _measured(c, 8)
    n = len(c.training_data())
    assert 3 <= n < MIN_LOO_FORMULATIONS
    out = cli("--store", c.store.url, "status", "--model").output
    assert "LOO R²" in out and "n too small" in out
    table = c.diagnostics().table().set_index("quantity")["value"]
    assert table["LOO R²"] == table["LOO 90% coverage"] == f"n too small ({n} formulations; shown from 10)"
    assert f"{c.diagnostics().r2:.3f}" not in out


def test_status_counts_flagged_results(make_campaign: MakeCampaign, cli, tmp_path: Path) -> None:
    from test_ingest import AREA_CM2, write_lsv

    c = make_campaign()
    ids = list(c.propose(2, strategy="sobol")["id"])
    write_lsv(tmp_path / "flat.csv", 9.0, AREA_CM2)  # never reaches the onset current: flagged
    pd.DataFrame([dict(id=ids[1], kind="lsv", file="flat.csv", area_cm2=AREA_CM2)]).to_csv(
        tmp_path / "m.csv", index=False
    )
    c.ingest(tmp_path / "m.csv")
    out = " ".join(cli("--store", c.store.url, "status").output.split())
    assert "flagged: 1" in out
    assert f"flagged results kept out of the model: 1 ({ids[1]} replicate 1)" in out
    c.accept(ids[1])
    out = " ".join(cli("--store", c.store.url, "status").output.split())
    assert "flagged: " not in out and "kept out of the model" not in out
