"""Corrections with history: amend, retract and restore a stored measurement, list its versions;
what record does with a row the store already holds (API and CLI)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optiform import Campaign, DataError
from optiform.campaign import os_user
from optiform.cli import app
from optiform.sim.cell import synthetic_blocking_cell
from optiform.store import IngestedGroup

SMALL = """
version = 1
name = "small"
[mixture]
total = 100
resolution = 1
[mixture.components]
A = { min = 10, max = 80 }
B = { min = 10, max = 80 }
C = { min = 0, max = 50 }
[[objectives]]
name = "conductivity_mS_cm"
[strategy]
n_initial = 3
[feasibility]
name = "solid"
"""
OBJ = "conductivity_mS_cm"


@pytest.fixture
def small(make_campaign: Callable[..., Campaign]) -> Campaign:
    """A campaign with three proposals F0001-F0003, none measured."""
    c = make_campaign(SMALL)
    c.propose(3, strategy="sobol")
    return c


def results(ids: list[str], values: list[float | None], **columns: list) -> pd.DataFrame:
    return pd.DataFrame({"id": ids, OBJ: values, **columns})


def write_eis(path: Path, sigma_mS_cm: float) -> Path:
    s = synthetic_blocking_cell(sigma_mS_cm, thickness_um=100, diameter_mm=16, noise_rel=0.002, seed=0)
    pd.DataFrame({"Frequency (Hz)": s.frequency_Hz, "Z' (ohm)": s.Z_ohm.real, "Z'' (ohm)": s.Z_ohm.imag}).to_csv(
        path, index=False
    )
    return path


def eis_manifest(tmp_path: Path, sample: str, sigma_mS_cm: float) -> pd.DataFrame:
    write_eis(tmp_path / f"{sample}.csv", sigma_mS_cm)
    return pd.DataFrame(
        [dict(id=sample, kind="eis", file=f"{sample}.csv", thickness_um=100, area_cm2=2.0106, temperature_C=30)]
    )


# --- amend ---------------------------------------------------------------------------------------
def test_a_typo_is_fixed_by_amend_and_the_old_value_kept(small: Campaign) -> None:
    small.record(results(["F0001", "F0002", "F0003"], [0.16, 0.3, 0.2]))  # F0001 is 0.61, mistyped
    assert small.best()["id"] == "F0002"
    version = small.amend("F0001", 1, {OBJ: 0.61}, reason="typo: digits swapped")
    assert version == 2
    train = small.training_data().set_index("id")
    assert train.loc["F0001", OBJ] == 0.61 and len(train) == 3  # the model's input is the new value
    best = small.best()
    assert best["id"] == "F0001" and best[OBJ] == 0.61 and best["n_replicates"] == 1
    assert small.data().set_index("id").loc["F0001", OBJ] == 0.61
    h = small.history("F0001")
    assert list(h.columns) == [
        "id",
        "replicate",
        "version",
        "action",
        "status",
        "note",
        "values",
        "reason",
        "author",
        "created_at",
    ]
    assert list(h["version"]) == [1, 2] and list(h["action"]) == ["recorded", "amended"]
    assert [v[OBJ] for v in h["values"]] == [0.16, 0.61]  # the old value stays in the store
    assert list(h["reason"]) == ["", "typo: digits swapped"]
    assert list(h["author"]) == [f"python:{os_user()}"] * 2  # the Python API's default author
    assert h["created_at"].dt.tz is not None and h["created_at"].is_monotonic_increasing
    m = small.store.measurements(small.id).set_index("label")
    assert m.loc["F0001", "version"] == 2 and m.loc["F0002", "version"] == 1
    assert m.loc["F0001", "created_by"] == f"python:{os_user()}" and pd.isna(m.loc["F0001", "retracted_at"])
    # the same campaign reopened by someone else: their name on the next version
    other = Campaign.open(small.store.url, author="alice")
    other.amend("F0001", 1, status="ok", note="checked against the lab book", reason="note added")
    h = small.history("F0001")
    assert list(h["author"]) == [f"python:{os_user()}"] * 2 + ["alice"]
    assert h["note"].iloc[-1] == "checked against the lab book" and h["values"].iloc[-1] == {OBJ: 0.61}


def test_amend_keeps_other_quantities_and_can_change_status(small: Campaign) -> None:
    small.record(results(["F0001", "F0002"], [0.4, 0.3], solid=[True, True]))
    small.amend("F0001", 1, status="failed", note="film cracked after the measurement", reason="cracked")
    f = small.formulations().set_index("id")
    assert f.loc["F0001", "status"] == "failed" and "F0001" not in set(small.training_data()["id"])
    assert small.data().set_index("id").loc["F0001", OBJ] == 0.4  # the value is kept, unused
    small.amend("F0001", 1, {"solid": "false"}, reason="the film was fluid after all")
    assert small.history("F0001")["values"].iloc[-1] == {OBJ: 0.4, "solid": 0.0}
    feas = small.feasibility_data()
    assert sorted(feas["solid"]) == [0.0, 1.0]


@pytest.mark.parametrize(
    ("sample", "replicate", "kwargs", "message"),
    [
        ("F0001", 1, dict(set={OBJ: 0.5}, reason=""), r"amending F0001 replicate 1 needs a reason"),
        ("F0001", 1, dict(set={OBJ: 0.5}, reason="   "), r"needs a reason"),
        ("F0001", 3, dict(set={OBJ: 0.5}, reason="typo"), r"^F0001 has no replicate 3; it has replicate\(s\) 1, 2$"),
        ("F0003", 1, dict(set={OBJ: 0.5}, reason="typo"), r"^F0003 has no replicate 1; it has no measurement yet$"),
        ("F0099", 1, dict(set={OBJ: 0.5}, reason="typo"), r"unknown sample id 'F0099' in campaign 'small'"),
        ("F0001", 1, dict(set={OBJ: 0.4}, reason="typo"), r"F0001 replicate 1 already has conductivity_mS_cm=0.4;"),
        ("F0001", 1, dict(reason="typo"), r"already has .*nothing to amend"),
        ("F0001", 1, dict(set={OBJ: -0.5}, reason="typo"), r"amend F0001 replicate 1: conductivity_mS_cm: must be > 0"),
        ("F0001", 1, dict(set={OBJ: "abc"}, reason="typo"), r"conductivity_mS_cm: expected a number"),
        ("F0001", 1, dict(set={OBJ: float("inf")}, reason="typo"), r"expected a finite number"),
        ("F0001", 1, dict(set={"conductivity_S_cm": 1e-3}, reason="x"), r"unknown quantity 'conductivity_S_cm'"),
        ("F0001", 1, dict(status="broken", reason="typo"), r"status: 'broken' is not one of ok, failed"),
        ("F0001", 1, dict(set={"solid": "maybe"}, reason="typo"), r"solid: expected true or false"),
        ("F0001", 1, dict(set={"solid": 0}, reason="typo"), r"solid = false needs status failed"),
    ],
)
def test_amend_refusals_change_nothing(small: Campaign, sample, replicate, kwargs, message) -> None:
    small.record(results(["F0001", "F0001", "F0002"], [0.4, 0.42, 0.3]))
    before = small.store.measurements(small.id)
    with pytest.raises(DataError, match=message):
        small.amend(sample, replicate, **kwargs)
    pd.testing.assert_frame_equal(small.store.measurements(small.id), before)


# --- retract and restore -------------------------------------------------------------------------
def test_retract_takes_a_measurement_out_of_the_model_and_restore_undoes_it(small: Campaign) -> None:
    small.record(results(["F0001", "F0002", "F0003"], [0.9, 0.3, 0.2], solid=[True, True, True]))
    small.retract("F0001", 1, reason="cell short-circuited")
    assert "F0001" not in set(small.training_data()["id"]) and small.best()["id"] == "F0002"
    assert len(small.feasibility_data()) == 2
    kept = small.data().set_index("id").loc["F0001"]
    assert kept["status"] == "retracted" and kept[OBJ] == 0.9  # kept in the store, marked
    f = small.formulations().set_index("id")
    assert f.loc["F0001", "status"] == "retracted" and f.loc["F0001", "n_results"] == 0
    assert small.weighing_sheet().empty  # not pending: nothing to weigh
    assert small.store.campaigns()["pending"].item() == 0
    m = small.store.measurements(small.id).set_index("label").loc["F0001"]
    assert m["retract_reason"] == "cell short-circuited" and pd.notna(m["retracted_at"]) and m["version"] == 2
    h = small.history("F0001")
    assert list(h["action"]) == ["recorded", "retracted"] and h["reason"].iloc[-1] == "cell short-circuited"
    with pytest.raises(DataError, match=r"F0001 replicate 1 was already retracted \d{4}-.* UTC: cell short"):
        small.retract("F0001", 1, reason="again")
    with pytest.raises(DataError, match=r"F0001 replicate 1 was retracted .*; restore it first"):
        small.amend("F0001", 1, {OBJ: 0.5}, reason="typo")
    with pytest.raises(DataError, match="retracting F0002 replicate 1 needs a reason"):
        small.retract("F0002", 1, reason=" ")
    small.restore("F0001", 1, reason="the short was in the cable, not the cell")
    assert small.best()["id"] == "F0001" and small.formulations().set_index("id").loc["F0001", "status"] == "measured"
    assert len(small.feasibility_data()) == 3
    assert list(small.history("F0001")["action"]) == ["recorded", "retracted", "restored"]
    with pytest.raises(DataError, match="F0001 replicate 1 is not retracted; nothing to restore"):
        small.restore("F0001", 1, reason="again")


def test_a_retracted_formulation_is_made_not_pending(small: Campaign, monkeypatch: pytest.MonkeyPatch) -> None:
    """propose conditions on it as made (blocked), not as pending; the design count leaves it out."""
    import optiform.strategies as strategies

    small.record(results(["F0001", "F0002", "F0003"], [0.5, 0.3, 0.2]))
    small.retract("F0002", 1, reason="wrong salt batch")
    seen = []
    original = strategies.get_strategy

    def spy(name, options=None):
        strategy = original(name, options)
        inner = strategy.propose

        def propose(n, ctx):
            seen.append(ctx)
            return inner(n, ctx)

        strategy.propose = propose
        return strategy

    monkeypatch.setattr(strategies, "get_strategy", spy)
    small.propose(1, strategy="random")
    ctx = seen[0]
    assert len(ctx.existing) == 3 and len(ctx.pending) == 0 and ctx.n_results == 2 and len(ctx.train) == 2


# --- record: rows the store already holds ------------------------------------------------------
def test_the_same_file_again_is_already_stored_with_or_without_replicates(small: Campaign, tmp_path: Path) -> None:
    plain = results(["F0001", "F0001", "F0002", "F0003"], [0.5, 0.52, None, 0.3], status=["ok", "ok", "failed", "ok"])
    numbered = results(["F0001", "F0003"], [0.48, 0.31], replicate=[5, 2])
    plain.to_csv(tmp_path / "plain.csv", index=False)
    numbered.to_csv(tmp_path / "numbered.csv", index=False)
    assert small.record(tmp_path / "plain.csv").added == 4
    assert small.record(tmp_path / "numbered.csv").added == 2
    before = small.store.measurements(small.id)
    for name, n in (("plain.csv", 4), ("numbered.csv", 2)):
        again = small.record(tmp_path / name)
        assert again.added == 0 and len(again.already_stored) == n and again.notices == []
    pd.testing.assert_frame_equal(small.store.measurements(small.id), before)
    assert again.already_stored[1] == f"{tmp_path / 'numbered.csv'}: line 3: F0003 replicate 2 is already stored"
    # the plain file's second F0001 row matches replicate 2, not replicate 1 again
    assert small.record(tmp_path / "plain.csv").already_stored[1].endswith("F0001 replicate 2 is already stored")


def test_a_changed_value_for_a_stored_replicate_is_refused_pointing_to_amend(small: Campaign, tmp_path: Path) -> None:
    small.record(results(["F0001", "F0002"], [0.16, 0.3], replicate=[1, 1]))
    before = small.store.measurements(small.id)
    fixed = results(["F0003", "F0001", "F0002"], [0.2, 0.61, 0.3], replicate=[1, 1, 1])
    fixed.to_csv(tmp_path / "fixed.csv", index=False)
    with pytest.raises(DataError) as err:
        small.record(tmp_path / "fixed.csv")
    message = str(err.value)
    assert message == (
        f"{tmp_path / 'fixed.csv'}: line 3: F0001 replicate 1 is already stored with conductivity_mS_cm=0.16, "
        "this row has conductivity_mS_cm=0.61; to correct the stored one use 'optiform amend F0001 --replicate 1 "
        "--set NAME=VALUE --reason TEXT'; a new measurement needs an unused replicate number (or none)"
    )
    pd.testing.assert_frame_equal(small.store.measurements(small.id), before)  # F0003's good row not stored either
    # two rows of one file for one replicate that disagree
    with pytest.raises(DataError, match=r"line 2: F0003 replicate 1 is also on results: line 1 with other values"):
        small.record(results(["F0003", "F0003"], [0.2, 0.21], replicate=[1, 1]))
    # two rows of one file for one replicate that agree: one stored
    twice = small.record(results(["F0003", "F0003"], [0.2, 0.2], replicate=[1, 1]))
    assert twice.added == 1 and twice.already_stored == [
        "results: line 2: F0003 replicate 1 is already stored (same as line 1)"
    ]
    # a value equal within the relative tolerance of 1e-9 is the same measurement
    assert len(small.record(results(["F0001"], [0.16 * (1 + 1e-12)], replicate=[1])).already_stored) == 1


def test_a_changed_row_without_replicate_is_a_new_replicate_with_a_notice(small: Campaign) -> None:
    small.record(results(["F0003"], [0.16]))
    assert small.history("F0001").empty  # not measured yet
    report = small.record(results(["F0003", "F0002"], [0.61, 0.3]))
    assert report.added == 2 and report.already_stored == []
    assert report.notices == [
        "results: line 1: F0003: stored as replicate 2 beside replicate 1 (conductivity_mS_cm=0.16); if this "
        "corrects a value, use 'optiform amend F0003 --replicate 1 --set NAME=VALUE --reason TEXT'"
    ]
    d = small.data()
    assert list(d.loc[d["id"] == "F0003", "replicate"]) == [1, 2]
    assert list(d.loc[d["id"] == "F0003", OBJ]) == [0.16, 0.61]


def test_identical_rows_are_matched_one_to_one(small: Campaign) -> None:
    """Two equal rows in a file against one stored: one already stored, one new replicate."""
    small.record(results(["F0001"], [0.5]))
    twice = results(["F0001", "F0001"], [0.5, 0.5])
    report = small.record(twice)
    assert report.added == 1 and len(report.already_stored) == 1
    assert report.already_stored[0] == "results: line 1: F0001 replicate 1 is already stored"
    assert "stored as replicate 2 beside replicate 1" in report.notices[0]
    again = small.record(twice)
    assert again.added == 0 and len(again.already_stored) == 2
    assert list(small.data().query("id == 'F0001'")["replicate"]) == [1, 2]


def test_re_recording_after_an_amendment_does_not_bring_the_typo_back(small: Campaign, tmp_path: Path) -> None:
    for name, replicate in (("plain.csv", None), ("numbered.csv", [1])):
        sample = "F0001" if replicate is None else "F0002"
        frame = results([sample], [0.16]) if replicate is None else results([sample], [0.16], replicate=replicate)
        frame.to_csv(tmp_path / name, index=False)
        small.record(tmp_path / name)
        small.amend(sample, 1, {OBJ: 0.61}, reason="typo")
        again = small.record(tmp_path / name)
        assert again.added == 0 and again.already_stored == [
            f"{tmp_path / name}: line 2: {sample} replicate 1 is already stored (amended since)"
        ]
        assert small.data().set_index("id").loc[sample, OBJ] == 0.61


def test_re_recording_a_retracted_measurement_keeps_it_retracted(small: Campaign) -> None:
    rows = results(["F0001", "F0002"], [0.5, 0.3])
    small.record(rows)
    small.retract("F0001", 1, reason="contaminated")
    again = small.record(rows)
    assert again.added == 0 and again.already_stored[0].endswith("F0001 replicate 1 is already stored (retracted)")
    assert small.data().set_index("id").loc["F0001", "status"] == "retracted"


def test_a_manual_result_of_an_ingested_formulation_is_a_new_replicate(
    make_campaign: Callable[..., Campaign], tmp_path: Path
) -> None:
    c = make_campaign()
    sample = c.propose(2, strategy="sobol")["id"].iloc[0]
    c.ingest(eis_manifest(tmp_path, sample, 0.8), base_dir=tmp_path)
    ingested = c.data().set_index("id").loc[sample, OBJ]
    report = c.record(pd.DataFrame({"id": [sample], OBJ: [0.75], "note": ["measured by hand at 30 C"]}))
    assert report.added == 1 and report.already_stored == [] and report.notices == []  # beside an ingested one
    d = c.data()
    mine = d[d["id"] == sample]
    assert list(mine["replicate"]) == [1, 2] and list(mine[OBJ]) == [ingested, 0.75]
    assert list(c.history(sample)["action"]) == ["ingested", "recorded"]
    assert c.best()["n_replicates"] == 2
    # the ingested replicate with another value: refused, pointing to amend
    with pytest.raises(DataError, match=rf"{sample} replicate 1 is already stored .* 'optiform amend {sample}"):
        c.record(pd.DataFrame({"id": [sample], OBJ: [0.75], "replicate": [1]}))
    assert len(c.data().query("id == @sample")) == 2


def test_accept_after_amend_keeps_the_versions_in_order(small: Campaign) -> None:
    flagged = IngestedGroup("F0001", "eis", "g1", "flagged", "kk_residuals", {OBJ: 0.45}, analyses=[])
    assert small.store.add_ingested_groups(small.id, [flagged], author="python:robot") == [1]
    assert small.formulations().set_index("id").loc["F0001", "status"] == "flagged"
    small.amend("F0001", 1, {OBJ: 0.47}, reason="re-fitted by hand")
    assert small.formulations().set_index("id").loc["F0001", "status"] == "flagged"  # still out of the model
    assert small.accept("F0001") == 1
    h = small.history("F0001")
    assert list(h["version"]) == [1, 2, 3] and list(h["action"]) == ["ingested", "amended", "accepted"]
    assert list(h["status"]) == ["flagged", "flagged", "ok"]
    assert h["values"].iloc[-1] == {OBJ: 0.47} and h["note"].iloc[-1] == "kk_residuals; flags accepted by the user"
    assert small.training_data().set_index("id").loc["F0001", OBJ] == 0.47
    assert small.store.measurements(small.id)["version"].item() == 3
    small.retract("F0001", 1, reason="bad cell")
    assert small.accept("F0001") == 0  # a retracted measurement is not accepted behind the user's back


# --- CLI -----------------------------------------------------------------------------------------
def test_cli_amend_retract_history(small: Campaign, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPTIFORM_STORE", raising=False)
    monkeypatch.setenv("COLUMNS", "250")  # the console's width: the history table on one line per version
    from optiform import cli

    monkeypatch.setattr(cli.console, "width", 250)  # rich reads COLUMNS once, when the console is made
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        out = runner.invoke(app, ["--store", small.store.url, *args], terminal_width=250)
        assert out.exit_code == code, out.output
        return " ".join(out.output.split())

    results(["F0001", "F0002", "F0003"], [0.16, 0.3, 0.2]).to_csv(tmp_path / "r.csv", index=False)
    run("record", "r.csv")
    out = run("amend", "F0001", "--replicate", "1", "--set", f"{OBJ}=0.61", "--reason", "typo")
    assert out.startswith("amended F0001 replicate 1 (version 2): conductivity_mS_cm=0.61;")
    assert small.history("F0001")["author"].iloc[-1] == f"cli:{os_user()}"
    assert small.best()["id"] == "F0001"
    out = run("retract", "F0002", "--replicate", "1", "--reason", "cell [2] leaked")
    assert "retracted F0002 replicate 1: kept in the store, out of the model" in out
    assert "retracted: 1" in run("status")
    shown = run("show", "F0001")
    assert "corrections: 1 amended (optiform history F0001)" in shown
    run("retract", "F0002", "--replicate", "1", "--undo", "--reason", "false alarm")
    history = run("history", "F0002")
    assert "history of F0002" in history and "cell [2] leaked" in history and "false alarm" in history
    for word in ("recorded", "retracted", "restored", f"cli:{os_user()}", "conductivity_mS_cm", " 0.3 "):
        assert word in history
    # re-recording the file: already stored, nothing new; a changed row: a new replicate and a notice
    again = run("record", "r.csv")
    assert "recorded 0 measurement(s), 3 already stored" in again and "already stored: r.csv: line 2" in again
    results(["F0003"], [0.25]).to_csv(tmp_path / "r2.csv", index=False)
    assert "notice: r2.csv: line 2: F0003: stored as replicate 2 beside replicate 1 (conductivity_mS_cm=0.2)" in run(
        "record", "r2.csv"
    )
    # errors: one line, exit status 1, nothing changed
    for args, message in [
        (("amend", "F0001", "--replicate", "1", "--set", f"{OBJ}=0.7"), "error: amending F0001 replicate 1 needs"),
        (("amend", "F0001", "--replicate", "4", "--set", f"{OBJ}=0.7", "--reason", "x"), "F0001 has no replicate 4"),
        (("amend", "F0001", "--replicate", "1", "--set", "0.7", "--reason", "x"), "--set '0.7': expected NAME=VALUE"),
        (("retract", "F0001", "--replicate", "1"), "error: retracting F0001 replicate 1 needs a reason"),
        (("retract", "F0001", "--replicate", "1", "--undo", "--reason", "x"), "is not retracted"),
        (("history", "F0099"), "unknown sample id 'F0099'"),
    ]:
        out = runner.invoke(app, ["--store", small.store.url, *args], terminal_width=250)
        assert out.exit_code == 1 and message in out.output and "Traceback" not in out.output, out.output
        assert len(out.output.strip().splitlines()) == 1
    assert len(small.history("F0001")) == 2
