"""Literature data: rows without an id may lie outside the bounds or lack parameters; they are
stored as external formulations, kept out of the bounds check, used by the model where their
variables are complete, and what is left out (and why) is reported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from optiform import Campaign, DataError
from optiform.cli import app

MakeCampaign = Callable[..., Campaign]

LITERATURE = """\
A,B,C,T,conductivity_mS_cm,note
40,40,20,0.5,0.8,inside
5,40,55,0.5,0.3,outside A and C
40,40,20,,0.4,no T
30,50,20,1.4,0.6,T above its bound
"""


@pytest.fixture
def small(make_campaign: MakeCampaign, small_spec: Path) -> Campaign:
    return make_campaign(small_spec)


def test_rows_outside_the_bounds_or_without_a_parameter_are_stored_and_reported(
    small: Campaign, tmp_path: Path
) -> None:
    path = tmp_path / "lit.csv"
    path.write_text(LITERATURE)
    report = small.record(path)
    assert report.added == 4 and report.new_formulations == ["F0001", "F0002", "F0003", "F0004"]
    assert report.outside == [
        "line 3 (F0002): A = 5 < min 10; C = 55 > max 50: stored as outside data, used by the model",
        "line 5 (F0004): T = 1.4 > max 1: stored as outside data, used by the model",
    ]
    assert report.left_out == ["line 4 (F0003): no value for T: stored, not used by the model"]
    assert str(report) == (
        "recorded 4 measurement(s), 4 new external formulation(s), 2 row(s) outside the bounds (used by the "
        "model), 1 row(s) left out of the model"
    )
    f = small.formulations().set_index("id")
    assert (f["source"] == "external").all() and (f["status"] == "measured").all()
    assert list(f["outside"]) == ["", "A = 5 < min 10; C = 55 > max 50", "no value for T", "T = 1.4 > max 1"]
    assert np.isnan(f.loc["F0003", "T"])
    stored = small.store.formulations(small.id).set_index("label")["values"]
    assert stored["F0003"] == {"A": 40.0, "B": 40.0, "C": 20.0, "T": None}  # only what the row gives
    train = small.training_data()
    assert list(train["id"]) == ["F0001", "F0002", "F0004"]  # complete rows, inside or not
    assert small.surrogate().n_train == 3
    # the same file again: every row matches its formulation, missing T included
    again = small.record(path)
    assert again.added == 0 and len(again.duplicates) == 4 and again.left_out == again.outside == []
    assert len(small.formulations()) == 4


def test_a_missing_parameter_column_and_an_unknown_choice(make_campaign: MakeCampaign, llzt_spec: Path) -> None:
    c = make_campaign(llzt_spec)
    rows = pd.DataFrame(
        {
            "MEMA": [30, 30],
            "SN": [50, 50],
            "salt": [20, 20],
            "framework": ["LLZT", "PEO"],
            "conductivity_mS_cm": [1.1, 0.2],
        }
    )
    report = c.record(rows)
    assert report.left_out == [
        "line 1 (F0001): no value for LiDFOB_mol_frac, FEC_wt_pct, porosity: stored, not used by the model",
        "line 2 (F0002): no value for LiDFOB_mol_frac, FEC_wt_pct, porosity; framework = PEO is not one of "
        "LLZT, glass_fiber: stored, not used by the model",
    ]
    f = c.formulations()
    assert list(f["framework"]) == ["LLZT", "PEO"] and f["porosity"].isna().all()
    assert c.training_data().empty and c.feasibility_data().empty
    # a complete row with an unknown choice is stored and left out too; it blocks nothing
    full = rows.iloc[[1]].assign(LiDFOB_mol_frac=0.05, FEC_wt_pct=5.0, porosity=0.75)
    report = c.record(full)
    assert report.left_out == [
        "line 1 (F0003): framework = PEO is not one of LLZT, glass_fiber: stored, not used by the model"
    ]
    assert len(c.propose(2, strategy="sobol")) == 2


def test_outside_rows_are_used_by_the_model_and_proposals_stay_inside(small: Campaign) -> None:
    design = small.propose(6)
    small.record(pd.DataFrame({"id": design["id"], "conductivity_mS_cm": np.linspace(0.2, 0.7, 6)}))
    lit = pd.DataFrame({"A": [5.0], "B": [35.0], "C": [60.0], "T": [1.2], "conductivity_mS_cm": [2.0]})
    report = small.record(lit)
    assert report.outside == [
        "line 1 (F0007): A = 5 < min 10; C = 60 > max 50; T = 1.2 > max 1: stored as outside data, used by the model"
    ]
    assert "F0007" in set(small.training_data()["id"])
    assert small.best()["id"] == "F0007"
    batch = small.propose(3)
    assert small.space.satisfies(batch).all()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            {"A": [50], "B": [40], "C": [20]},
            r"results: line 1: A, B, C sum to 110 \(50 \+ 40 \+ 20\); expected 100 wt%",
        ),
        ({"A": [50], "B": [55], "C": [-5]}, r"results: line 1: C: expected a number >= 0 wt%, got -5"),
        ({"A": [50], "B": [50], "C": [None]}, r"results: line 1: C: no value; rows without an id need every mixture"),
        ({"A": [50], "B": [30], "C": [20], "T": ["warm"]}, r"results: line 1: T: expected a number"),
    ],
)
def test_literature_rows_need_the_mixture(small: Campaign, rows: dict, message: str) -> None:
    bad = pd.DataFrame(rows).assign(conductivity_mS_cm=0.5)
    good = pd.DataFrame({"A": [40], "B": [40], "C": [20], "conductivity_mS_cm": [0.5]})
    with pytest.raises(DataError, match=message):
        small.record(pd.concat([bad, good], ignore_index=True))
    assert small.formulations().empty and small.store.measurements(small.id).empty


def test_a_literature_table_without_a_component_column(small: Campaign) -> None:
    rows = pd.DataFrame({"A": [50], "B": [50], "T": [0.5], "conductivity_mS_cm": [0.5]})
    with pytest.raises(
        DataError, match=r"^results: missing column\(s\) C; rows without an id need the mixture components A, B, C$"
    ):
        small.record(rows)


def test_a_literature_row_stored_before_a_parameter_was_added(small: Campaign, small_spec: Path) -> None:
    small.record(pd.DataFrame({"A": [40], "B": [40], "C": [20], "T": [0.5], "conductivity_mS_cm": [0.8]}))
    small_spec.write_text(
        small_spec.read_text().replace(
            "T = { min = 0.0, max = 1.0, resolution = 0.05 }",
            "T = { min = 0.0, max = 1.0, resolution = 0.05 }\nP = { min = 0, max = 1, existing = 0.5 }",
        )
    )
    small.update(small_spec)
    later = small.record(pd.DataFrame({"A": [30], "B": [50], "C": [20], "T": [0.5], "conductivity_mS_cm": [0.7]}))
    f = small.formulations().set_index("id")
    assert f.loc["F0001", "P"] == 0.5  # stored before P existed: reads its existing value
    assert np.isnan(f.loc["F0002", "P"])  # recorded without P after it was added: no value
    assert later.left_out == ["line 1 (F0002): no value for P: stored, not used by the model"]


def test_cli_record_prints_what_is_outside_and_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_spec: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPTIFORM_STORE", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(small_spec)]).exit_code == 0
    (tmp_path / "lit.csv").write_text(LITERATURE)
    result = runner.invoke(app, ["record", "lit.csv"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "outside the bounds: line 3 (F0002): A = 5 < min 10; C = 55 > max 50: stored as outside data" in out
    assert "left out of the model: line 4 (F0003): no value for T: stored, not used by the model" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B,C,conductivity_mS_cm\n50,40,20,0.5\n")
    result = runner.invoke(app, ["record", "bad.csv"])
    assert result.exit_code == 1 and "bad.csv: line 2: A, B, C sum to 110" in " ".join(result.output.split())
