"""Cancelling pending proposals (API and CLI), and migrating a schema-version-1 store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

import optiform.strategies as strategies
from optiform import Campaign, DataError
from optiform.cli import app
from optiform.sim.cell import synthetic_blocking_cell
from optiform.store import SCHEMA_VERSION, Store
from optiform.strategies.base import blocked_points

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
"""
OBJ = "conductivity_mS_cm"


@pytest.fixture
def small(make_campaign: Callable[..., Campaign]) -> Campaign:
    return make_campaign(SMALL)


def value(df: pd.DataFrame) -> np.ndarray:
    return 0.1 + df["A"].to_numpy(float) / 100


# --- API -----------------------------------------------------------------------------------------
def test_cancelled_stays_in_the_store_but_is_no_longer_pending(small: Campaign) -> None:
    batch = small.propose(3)
    small.cancel("F0002", reason="  salt ran out ")
    f = small.formulations().set_index("id")
    assert list(f["status"]) == ["pending", "cancelled", "pending"]
    assert f.loc["F0002", "cancel_reason"] == "salt ran out" and f.loc["F0002", "n_results"] == 0
    assert pd.Timestamp(f.loc["F0002", "cancelled_at"]).tzinfo is not None
    assert pd.isna(f.loc["F0001", "cancelled_at"]) and f.loc["F0001", "cancel_reason"] == ""
    assert small.data().set_index("id").loc["F0002", "status"] == "cancelled"
    assert set(small.weighing_sheet()["id"]) == {"F0001", "F0003"}
    # a new process sees the same
    reopened = Campaign.open(small.store.url)
    assert reopened.formulations().set_index("id").loc["F0002", "status"] == "cancelled"
    assert list(reopened.formulations()[["A", "B", "C"]].iloc[1]) == list(batch[["A", "B", "C"]].iloc[1])


def test_strategies_never_see_a_cancelled_proposal(small: Campaign, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither pending (X_pending) nor blocked: the same point may be proposed again."""
    first = small.propose(3)
    small.record(first[["id"]].iloc[:2].assign(**{OBJ: value(first.iloc[:2])}))
    small.cancel("F0003")
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
    small.propose(2, strategy="random")
    ctx = seen[0]
    cancelled = first[["A", "B", "C"]].iloc[[2]]
    assert len(ctx.pending) == 0 and len(ctx.existing) == 2
    assert not small.space.too_close(cancelled, blocked_points(ctx)).any()
    # the default strategy: F0004 and F0005 pending, F0003 not
    small.propose(1)
    assert len(seen[1].pending) == 2 and not small.space.too_close(cancelled, seen[1].pending).any()


def test_cancelled_formulation_takes_no_results(small: Campaign) -> None:
    batch = small.propose(2)
    small.cancel("F0002", reason="cracked film")
    results = batch[["id"]].assign(**{OBJ: [0.3, 0.4]})
    with pytest.raises(DataError) as err:
        small.record(results)
    message = str(err.value)
    assert "line 2: sample F0002 was cancelled" in message and "cracked film" in message
    assert "cannot receive results" in message
    assert small.store.measurements(small.id).empty  # nothing stored, not even F0001's row
    small.record(results.iloc[[0]])
    assert list(small.formulations()["status"]) == ["measured", "cancelled"]


def test_ingest_of_a_cancelled_formulation_is_refused(small: Campaign, tmp_path: Path) -> None:
    small.propose(2)
    small.cancel("F0001")
    s = synthetic_blocking_cell(0.5, thickness_um=100, diameter_mm=16, noise_rel=0.002, seed=0)
    pd.DataFrame({"Frequency (Hz)": s.frequency_Hz, "Z' (ohm)": s.Z_ohm.real, "Z'' (ohm)": s.Z_ohm.imag}).to_csv(
        tmp_path / "f1.csv", index=False
    )
    manifest = pd.DataFrame(
        [dict(id="F0001", kind="eis", file="f1.csv", thickness_um=100, area_cm2=2.0, temperature_C=30)]
    )
    with pytest.raises(DataError, match=r"line 1: sample F0001 was cancelled .*cannot receive results"):
        small.ingest(manifest, base_dir=tmp_path)
    assert small.store.measurements(small.id).empty and small.analyses().empty


def test_only_pending_formulations_can_be_cancelled(small: Campaign) -> None:
    batch = small.propose(2)
    small.record(batch[["id"]].iloc[[0]].assign(**{OBJ: [0.3]}))
    with pytest.raises(DataError, match=r"F0001 has 1 recorded result\(s\); only a pending formulation"):
        small.cancel("F0001")
    with pytest.raises(DataError, match="unknown sample id 'F0099' in campaign 'small'"):
        small.cancel("F0099")
    small.cancel("F0002", "wrong salt")
    with pytest.raises(DataError, match=r"F0002 was already cancelled \d{4}-\d\d-\d\d \d\d:\d\d UTC: wrong salt"):
        small.cancel("F0002")
    f = small.formulations().set_index("id")
    assert f.loc["F0001", "status"] == "measured" and f.loc["F0002", "cancel_reason"] == "wrong salt"


# --- CLI -----------------------------------------------------------------------------------------
def test_cli_cancel(small: Campaign, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPTIFORM_STORE", raising=False)
    small.propose(3)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["--store", small.store.url, *args], terminal_width=200)

    out = run("cancel", "F0002", "--reason", "LiDFOB out of stock")
    assert out.exit_code == 0, out.output
    assert "cancelled F0002: LiDFOB out of stock" in out.output
    status = run("status").output
    assert "pending: 2  cancelled: 1" in status
    shown = run("show", "F0002").output
    assert "cancelled" in shown and "LiDFOB out of stock" in shown and "measurements" not in shown
    for args, message in [
        (("cancel", "F0002"), "F0002 was already cancelled"),
        (("cancel", "F0042"), "unknown sample id 'F0042'"),
    ]:
        bad = run(*args)
        assert bad.exit_code == 1 and message in bad.output and "Traceback" not in bad.output
    small.record(pd.DataFrame({"id": ["F0001"], OBJ: [0.2]}))
    bad = run("cancel", "F0001")
    assert bad.exit_code == 1 and "only a pending formulation can be cancelled" in bad.output


# --- schema migration ---------------------------------------------------------------------------
def make_version_1(url: str) -> None:
    """Turn a store written by this code into a schema-version-1 store: drop the v2 columns."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE formulations DROP COLUMN cancelled_at"))
        conn.execute(text("ALTER TABLE formulations DROP COLUMN cancel_reason"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    engine.dispose()


def test_version_1_store_is_migrated_on_open(small: Campaign) -> None:
    batch = small.propose(3)
    small.record(batch[["id"]].iloc[:2].assign(**{OBJ: value(batch.iloc[:2])}))
    before = small.data()
    url = small.store.url
    small.close()
    make_version_1(url)
    columns = {c["name"] for c in inspect(create_engine(url)).get_columns("formulations")}
    assert "cancelled_at" not in columns

    c = Campaign.open(url)
    assert c.store.schema_version == SCHEMA_VERSION == 4
    columns = {c["name"] for c in inspect(c.store.engine).get_columns("formulations")}
    assert {"cancelled_at", "cancel_reason"} <= columns
    pd.testing.assert_frame_equal(c.data(), before)
    assert list(c.formulations()["status"]) == ["measured", "measured", "pending"]
    c.cancel("F0003", "after the upgrade")
    assert c.formulations()["status"].iloc[2] == "cancelled"
    c.close()
    assert Store(url).schema_version == SCHEMA_VERSION  # opening again: nothing left to migrate


def test_half_migrated_store_is_completed(store_url: str) -> None:
    """Version 1 in meta but one v2 column already there (an interrupted migration)."""
    Store(store_url).close()
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE formulations DROP COLUMN cancel_reason"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    engine.dispose()
    store = Store(store_url)
    assert store.schema_version == SCHEMA_VERSION
    assert {"cancelled_at", "cancel_reason"} <= {c["name"] for c in inspect(store.engine).get_columns("formulations")}
