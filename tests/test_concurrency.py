"""Several processes on one store: proposals that condition on each other, the same results file or
manifest stored once, many writers, kill -9 in the middle of a write, a locked, busy or read-only
store. The parallel tests start real processes (the command line, or the Python API in a child)
against a SQLite file in the test's folder; children wait for a common start signal so that they
run at the same time."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from optiform import Campaign, StoreError
from optiform.errors import ProposalConflict, StrategyError
from optiform.sim.cell import synthetic_blocking_cell
from optiform.store import IngestedGroup, NewMeasurement, Store
from optiform.store import store as store_module

ROOT = Path(__file__).resolve().parents[1]
AREA_CM2 = float(np.pi * 0.8**2)
START_TIMEOUT_S = 300.0  # generous: children import torch and pandas on two busy cores

# A child: import what it needs, say it is ready, wait for the start signal, then run. argv: ready
# file, start file, then the command line's arguments (CLI) or the child's own (API children).
PRELUDE = """
import sys, time
from pathlib import Path
ready, start = Path(sys.argv[1]), Path(sys.argv[2])
args = sys.argv[3:]
"""
WAIT = """
ready.write_text("ready")
while not start.exists():
    time.sleep(0.01)
"""
CLI = PRELUDE + "from optiform.cli import main\n" + WAIT + "main(args)\n"
# Stop inside the write transaction, its rows written (and spilled to the file: a tiny page cache),
# and wait there to be killed.
HOLD_IN_TRANSACTION = """
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

@event.listens_for(Engine, "connect")
def _small_cache(dbapi_connection, _record):
    dbapi_connection.execute("PRAGMA cache_size = 2")

@event.listens_for(Session, "before_commit")
def _hold(session):
    session.flush()
    Path(str(ready) + ".writing").write_text("writing")
    time.sleep(600)
"""
KILLED_CLI = PRELUDE + HOLD_IN_TRANSACTION + "from optiform.cli import main\n" + WAIT + "main(args)\n"
WRITER = (
    PRELUDE
    + """
import pandas as pd
from optiform import Campaign
url, label, n = args[0], args[1], int(args[2])
c = Campaign.open(url)
"""
    + WAIT
    + """
for k in range(n):
    row = pd.DataFrame({"id": [label], "replicate": [k + 1], "conductivity_mS_cm": [1.0 + k / 100]})
    report = c.record(row)
    assert report.added == 1, str(report)
print(f"recorded {n}")
"""
)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPTIFORM_STORE"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["COLUMNS"] = "200"
    return {**env, **extra}


class Children:
    """Child processes started together: each imports, reports ready, and waits for the start."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.start_file = folder / "start"
        self.procs: list[subprocess.Popen[str]] = []
        self.ready: list[Path] = []

    def spawn(self, code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        ready = self.folder / f"ready-{len(self.procs)}"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(ready), str(self.start_file), *args],
            cwd=self.folder,
            env=env or _env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.procs.append(proc)
        self.ready.append(ready)
        return proc

    def go(self) -> None:
        """Wait until every child is ready, then start them all at once."""
        _wait_for(self.ready, self.procs)
        self.start_file.write_text("go")

    def results(self) -> list[tuple[int, str, str]]:
        """(exit status, stdout, stderr) of each child, in the order started."""
        out = []
        for proc in self.procs:
            stdout, stderr = proc.communicate(timeout=START_TIMEOUT_S)
            out.append((proc.returncode, stdout, stderr))
        return out

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


@pytest.fixture
def children(tmp_path: Path) -> Iterator[Children]:
    kids = Children(tmp_path)
    yield kids
    kids.kill_all()


def _wait_for(files: list[Path], procs: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not all(f.exists() for f in files):
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"a child ended early ({proc.returncode}): {proc.communicate()[1]}")
        if time.monotonic() > deadline:
            raise AssertionError("children did not get ready")
        time.sleep(0.02)


def _ok(results: list[tuple[int, str, str]]) -> list[str]:
    for code, stdout, stderr in results:
        assert code == 0, stdout + stderr
        assert "Traceback" not in stderr, stderr
    return [stdout for _, stdout, _ in results]


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def _integrity_ok(db: Path) -> None:
    assert _rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert _rows(db, "PRAGMA foreign_key_check") == []


def _write_eis(path: Path, sigma_mS_cm: float, seed: int) -> None:
    s = synthetic_blocking_cell(sigma_mS_cm, thickness_um=100.0, diameter_mm=16, noise_rel=0.002, seed=seed)
    pd.DataFrame({"Frequency (Hz)": s.frequency_Hz, "Z' (ohm)": s.Z_ohm.real, "Z'' (ohm)": s.Z_ohm.imag}).to_csv(
        path, index=False
    )


def _manifest(folder: Path, ids: list[str]) -> Path:
    """A manifest of one impedance spectrum per formulation (each its own group)."""
    rows = []
    for i, sample in enumerate(ids):
        _write_eis(folder / f"{sample}.csv", 0.5 + 0.1 * i, seed=i)
        rows.append(
            dict(id=sample, kind="eis", file=f"{sample}.csv", thickness_um=100, area_cm2=AREA_CM2, temperature_C=30)
        )
    path = folder / "manifest.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _small_points(n: int) -> list[dict[str, Any]]:
    """n distinct formulations of the small campaign (A + B + C = 100, T)."""
    return [
        {"A": 20.0 + i % 50, "B": 80.0 - i % 50 - 5.0 * (i // 50), "C": 5.0 * (i // 50), "T": 0.5} for i in range(n)
    ]


# --- proposals ---------------------------------------------------------------------------------
def test_a_proposal_overtaken_by_another_is_computed_again_on_what_it_added(
    make_campaign: Callable[..., Campaign], small_spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A station's batch is stored only if nobody added formulations meanwhile; else it is proposed
    again, conditioned on the other's (pending) points, under the next batch number."""
    import optiform.strategies as strategies

    a = make_campaign(small_spec)
    b = Campaign.open(a.store.url)
    real = strategies.get_strategy
    runs: list[int] = []

    def overtaken(name: str, options: Any) -> Any:
        strategy = real(name, options)
        propose = strategy.propose

        def slow_propose(n: int, ctx: Any) -> pd.DataFrame:
            runs.append(len(ctx.pending))
            batch = propose(n, ctx)
            if len(runs) == 1:  # another station proposes while this one computes
                monkeypatch.setattr(strategies, "get_strategy", real)
                other.append(b.propose(4))
                monkeypatch.setattr(strategies, "get_strategy", overtaken)
            return batch

        strategy.propose = slow_propose
        return strategy

    other: list[pd.DataFrame] = []
    monkeypatch.setattr(strategies, "get_strategy", overtaken)
    mine = a.propose(4)
    b.close()
    assert runs == [0, 4]  # the second run saw the other station's four pending points
    f = a.formulations()
    assert len(f) == 8 and set(f["batch"]) == {1, 2}
    assert set(f.loc[f["id"].isin(other[0]["id"]), "batch"]) == {1}
    assert set(f.loc[f["id"].isin(mine["id"]), "batch"]) == {2}
    points = f[a.space.variables].round(9).astype(str).agg("|".join, axis=1)
    assert points.nunique() == 8


def test_a_station_always_overtaken_gets_one_line(
    make_campaign: Callable[..., Campaign], small_spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = make_campaign(small_spec)
    monkeypatch.setattr(Store, "last_formulation_pk", lambda self, campaign_id: -1)  # always stale
    with pytest.raises(StoreError, match=r"is busy proposing .* try again") as err:
        c.propose(2)
    assert "\n" not in str(err.value)
    assert len(c.formulations()) == 0


def test_the_store_stores_a_proposal_only_on_the_campaign_it_was_computed_on(store_url: str) -> None:
    store = Store(store_url)
    cid = store.add_campaign("c", {"name": "c"})
    assert store.last_formulation_pk(cid) == 0
    store.add_formulations(cid, [{"A": 50.0, "B": 50.0}], expected_last=0)
    seen = store.last_formulation_pk(cid)
    store.add_formulations(cid, [{"A": 40.0, "B": 60.0}], source="external")  # another station
    with pytest.raises(ProposalConflict):
        store.add_formulations(cid, [{"A": 30.0, "B": 70.0}], expected_last=seen)
    assert len(store.formulations(cid)) == 2
    assert store.add_formulations(cid, [{"A": 30.0, "B": 70.0}], expected_last=store.last_formulation_pk(cid)) == [
        "F0003"
    ]


def test_a_proposal_equal_to_a_pending_or_made_formulation_is_never_stored(store_url: str) -> None:
    store = Store(store_url)
    cid = store.add_campaign("c", {"name": "c"})
    store.add_formulations(cid, [{"A": 50.0, "B": 50.0}, {"A": 40.0, "B": 60.0}], batch=1, strategy="sobol")
    store.add_measurements(cid, [NewMeasurement("F0002", None, "ok", "", {"y": 1.0})])
    for point, label, state in (
        ({"A": 50.0, "B": 50.0 + 1e-12}, "F0001", "pending"),
        ({"A": 40.0, "B": 60.0}, "F0002", "made"),
    ):
        with pytest.raises(StrategyError, match=f"proposed the formulation of {label} \\({state}\\) again"):
            store.add_formulations(cid, [{"A": 10.0, "B": 90.0}, point], strategy="botorch")
    with pytest.raises(StrategyError, match="twice in one batch"):
        store.add_formulations(cid, [{"A": 10.0, "B": 90.0}, {"A": 10.0, "B": 90.0}])
    # a variable a stored formulation lacks takes its absent value (a parameter added with existing = 1)
    with pytest.raises(StrategyError, match="F0001"):
        store.add_formulations(cid, [{"A": 50.0, "B": 50.0, "p": 1.0}], absent={"p": 1.0})
    assert store.add_formulations(cid, [{"A": 50.0, "B": 50.0, "p": 2.0}], absent={"p": 1.0}) == ["F0003"]
    # a cancelled proposal may come again
    store.cancel(cid, "F0003", "no salt")
    assert store.add_formulations(cid, [{"A": 50.0, "B": 50.0, "p": 2.0}], absent={"p": 1.0}) == ["F0004"]
    assert len(store.formulations(cid)) == 4


@pytest.mark.slow  # three command lines that fit models: 10-25 s on two busy cores
def test_three_stations_propose_at_once_twelve_distinct_points(
    tmp_path: Path, small_spec: Path, children: Children
) -> None:
    db = tmp_path / "lab.db"
    Campaign.create(small_spec, store=f"sqlite:///{db}", seed=0).close()
    for _ in range(3):
        children.spawn(CLI, "--store", str(db), "propose", "-n", "4")
    children.go()
    _ok(children.results())
    rows = _rows(db, 'SELECT label, batch, "values" FROM formulations')
    points = {json.dumps(json.loads(v), sort_keys=True) for _, _, v in rows}
    assert len(rows) == 12 and len(points) == 12
    assert sorted(b for _, b, _ in rows) == [1] * 4 + [2] * 4 + [3] * 4
    _integrity_ok(db)


# --- the same results file or manifest, many writers ---------------------------------------------
def test_two_stations_record_one_file_at_once_it_is_stored_once(
    tmp_path: Path, small_spec: Path, children: Children
) -> None:
    db = tmp_path / "lab.db"
    c = Campaign.create(small_spec, store=f"sqlite:///{db}", seed=0)
    c.store.add_formulations(c.id, _small_points(4), source="external")
    c.close()
    pd.DataFrame({"id": [f"F{i:04d}" for i in range(1, 5)], "conductivity_mS_cm": [0.1, 0.2, 0.3, 0.4]}).to_csv(
        tmp_path / "results.csv", index=False
    )
    for _ in range(2):
        children.spawn(CLI, "--store", str(db), "record", "results.csv")
    children.go()
    outputs = _ok(children.results())
    assert sorted("recorded 4 measurement(s)" in out for out in outputs) == [False, True]
    assert any("4 already stored" in out for out in outputs)
    assert _rows(db, "SELECT count(*) FROM measurements") == [(4,)]


def test_two_stations_ingest_one_manifest_at_once_each_group_is_stored_once(
    tmp_path: Path, small_spec: Path, children: Children
) -> None:
    db = tmp_path / "lab.db"
    c = Campaign.create(small_spec, store=f"sqlite:///{db}", seed=0)
    c.store.add_formulations(c.id, _small_points(3), source="external")
    c.close()
    _manifest(tmp_path, ["F0001", "F0002", "F0003"])
    for _ in range(2):
        children.spawn(CLI, "--store", str(db), "ingest", "manifest.csv")
    children.go()
    outputs = _ok(children.results())
    assert "ingested 3 measurement(s)" in "".join(outputs)
    assert "already ingested" in "".join(outputs)
    assert _rows(db, "SELECT count(*) FROM measurements") == [(3,)]
    assert _rows(db, "SELECT count(*) FROM analyses") == [(3,)]
    assert _rows(db, "SELECT count(*) FROM raw_files") == [(3,)]
    assert _rows(db, "SELECT count(DISTINCT source_key) FROM measurements") == [(3,)]


@pytest.mark.slow  # 200 records from four processes: 10-30 s on two busy cores
def test_four_writers_record_fifty_results_each_every_row_is_stored(
    tmp_path: Path, small_spec: Path, children: Children
) -> None:
    db = tmp_path / "lab.db"
    c = Campaign.create(small_spec, store=f"sqlite:///{db}", seed=0)
    labels = c.store.add_formulations(c.id, _small_points(4), source="external")
    c.close()
    for label in labels:  # each writer its own formulation, replicates 1 to 50
        children.spawn(WRITER, f"sqlite:///{db}", label, "50")
    children.go()
    assert _ok(children.results()) == ["recorded 50\n"] * 4
    rows = _rows(
        db,
        "SELECT f.label, m.replicate, v.value FROM measurements m JOIN formulations f ON f.id = m.formulation_id "
        "JOIN measurement_values v ON v.measurement_id = m.id",
    )
    assert len(rows) == 200
    for label in labels:
        mine = sorted((rep, value) for lab, rep, value in rows if lab == label)
        assert [rep for rep, _ in mine] == list(range(1, 51))
        assert [value for _, value in mine] == pytest.approx([1.0 + k / 100 for k in range(50)])
    _integrity_ok(db)


def test_a_group_ingested_by_another_process_after_this_one_looked_is_not_stored_again(
    tmp_path: Path, make_campaign: Callable[..., Campaign], small_spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = make_campaign(small_spec)
    c.store.add_formulations(c.id, _small_points(2), source="external")
    manifest = _manifest(tmp_path, ["F0001", "F0002"])
    c.ingest(manifest)
    monkeypatch.setattr(Store, "ingested_files", lambda self, campaign_id: {})  # looked before the other stored
    report = c.ingest(manifest)
    assert report.measurements == [] and len(report.unchanged) == 2 and "already ingested" in str(report)
    assert len(c.store.measurements(c.id)) == 2 and len(c.analyses()) == 2


def test_a_group_of_the_same_files_is_stored_once_by_its_source_key(store_url: str) -> None:
    store = Store(store_url)
    cid = store.add_campaign("c", {"name": "c"})
    store.add_formulations(cid, [{"A": 50.0, "B": 50.0}])
    group = IngestedGroup("F0001", "cycling", "g", "ok", "", {}, [], where="m.csv: line 2", source_key="k" * 64)
    assert store.add_ingested_groups(cid, [group]) == [1]
    assert store.add_ingested_groups(cid, [group]) == [None]
    assert len(store.measurements(cid)) == 1


def test_a_write_refused_by_a_unique_constraint_is_run_again_and_sees_the_other_rows(
    make_campaign: Callable[..., Campaign], small_spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another station stored the same result between this write's read and its insert: the
    constraint refuses the insert, the write is run again and reports the row as already stored."""
    c = make_campaign(small_spec)
    c.store.add_formulations(c.id, _small_points(1), source="external")
    c.record(pd.DataFrame({"id": ["F0001"], "conductivity_mS_cm": [0.5]}))
    real = Store._held
    calls: list[int] = []

    def stale_once(self: Store, s: Any, campaign_id: int) -> Any:
        calls.append(1)
        return {} if len(calls) == 1 else real(self, s, campaign_id)

    monkeypatch.setattr(Store, "_held", stale_once)
    report = c.record(pd.DataFrame({"id": ["F0001"], "replicate": [1], "conductivity_mS_cm": [0.5]}))
    assert len(calls) == 2 and report.added == 0 and len(report.already_stored) == 1
    # a constraint that keeps refusing is one line, not a SQLAlchemy traceback
    monkeypatch.setattr(Store, "_held", lambda self, s, campaign_id: {})
    with pytest.raises(StoreError, match="UNIQUE constraint failed") as err:
        c.record(pd.DataFrame({"id": ["F0001"], "replicate": [1], "conductivity_mS_cm": [0.5]}))
    assert "\n" not in str(err.value)
    assert len(c.store.measurements(c.id)) == 1


def test_every_store_method_turns_database_errors_into_store_errors() -> None:
    plain = {"close", "read_only_error", "name"}
    for name, member in vars(Store).items():
        if name.startswith("_") or name in plain or isinstance(member, staticmethod):
            continue
        function = member.fget if isinstance(member, property) else member
        assert getattr(function, "__wrapped__", None) is not None, f"Store.{name} is not wrapped by _database_errors"


# --- kill -9 in the middle of a write ------------------------------------------------------------
def _kill_in_transaction(children: Children, db: Path, *args: str) -> None:
    proc = children.spawn(KILLED_CLI, "--store", str(db), *args)
    children.go()
    _wait_for([children.ready[-1].with_name(children.ready[-1].name + ".writing")], [proc])
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert db.with_name(db.name + "-journal").exists()  # killed with its write half done


def test_kill_9_during_record_stores_all_or_nothing(tmp_path: Path, small_spec: Path, children: Children) -> None:
    db = tmp_path / "lab.db"
    c = Campaign.create(small_spec, store=f"sqlite:///{db}", seed=0)
    labels = c.store.add_formulations(c.id, _small_points(100), source="external")
    c.close()
    pd.DataFrame({"id": labels, "conductivity_mS_cm": np.linspace(0.1, 1.0, 100)}).to_csv(
        tmp_path / "results.csv", index=False
    )
    _kill_in_transaction(children, db, "record", "results.csv")
    _integrity_ok(db)
    assert _rows(db, "SELECT count(*) FROM measurements") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM measurement_values") == [(0,)]
    # the store takes the same file afterwards, whole
    c = Campaign.open(f"sqlite:///{db}")
    assert c.record(tmp_path / "results.csv").added == 100
    c.close()
    _integrity_ok(db)


def test_kill_9_during_ingest_stores_all_or_nothing(tmp_path: Path, small_spec: Path, children: Children) -> None:
    db = tmp_path / "lab.db"
    c = Campaign.create(small_spec, store=f"sqlite:///{db}", seed=0)
    ids = c.store.add_formulations(c.id, _small_points(4), source="external")
    c.close()
    _manifest(tmp_path, ids)
    _kill_in_transaction(children, db, "ingest", "manifest.csv")
    _integrity_ok(db)
    for table in ("measurements", "analyses", "analysis_files", "raw_files", "measurement_versions"):
        assert _rows(db, f"SELECT count(*) FROM {table}") == [(0,)], table
    c = Campaign.open(f"sqlite:///{db}")
    assert len(c.ingest(tmp_path / "manifest.csv").measurements) == 4
    c.close()
    _integrity_ok(db)


# --- a locked, busy or read-only store -----------------------------------------------------------
def test_busy_timeout_comes_from_the_environment(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Store(store_url).busy_timeout_s == store_module.BUSY_TIMEOUT_S == 30.0
    monkeypatch.setenv("OPTIFORM_BUSY_TIMEOUT_S", "2.5")
    assert Store(store_url).busy_timeout_s == 2.5
    monkeypatch.setenv("OPTIFORM_BUSY_TIMEOUT_S", "soon")
    with pytest.raises(StoreError, match="OPTIFORM_BUSY_TIMEOUT_S: expected a number of seconds >= 0, got 'soon'"):
        Store(store_url)


def test_a_store_locked_by_another_connection_waits_then_says_it_is_busy(
    make_campaign: Callable[..., Campaign], small_spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = make_campaign(small_spec)
    c.store.add_formulations(c.id, _small_points(2), source="external")
    monkeypatch.setenv("OPTIFORM_BUSY_TIMEOUT_S", "0.3")
    impatient = Campaign.open(c.store.url)
    path = Path(c.store.url.removeprefix("sqlite:///"))
    lock = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        for action in (
            lambda: impatient.record(pd.DataFrame({"id": ["F0001"], "conductivity_mS_cm": [0.5]})),
            lambda: impatient.cancel("F0002", "no salt"),
            lambda: Store(c.store.url),
        ):
            with pytest.raises(StoreError, match=r"is busy \(another process has held it for \d+ s\); try again") as e:
                action()
            assert str(path) in str(e.value) and "\n" not in str(e.value)
        # a patient writer waits for the lock to go
        monkeypatch.delenv("OPTIFORM_BUSY_TIMEOUT_S")
        patient = Campaign.open  # opened while locked: waits too
        threading.Timer(0.3, lambda: lock.execute("COMMIT")).start()
        waited = patient(c.store.url)
        assert waited.record(pd.DataFrame({"id": ["F0001"], "conductivity_mS_cm": [0.5]})).added == 1
        waited.close()
    finally:
        if lock.in_transaction:
            lock.execute("ROLLBACK")
        lock.close()
        impatient.close()
    assert len(c.store.measurements(c.id)) == 1


def test_a_locked_store_on_the_command_line_is_one_line_and_exit_1(
    tmp_path: Path, small_spec: Path, children: Children
) -> None:
    db = tmp_path / "lab.db"
    c = Campaign.create(small_spec, store=f"sqlite:///{db}", seed=0)
    c.store.add_formulations(c.id, _small_points(1), source="external")
    c.close()
    pd.DataFrame({"id": ["F0001"], "conductivity_mS_cm": [0.5]}).to_csv(tmp_path / "results.csv", index=False)
    children.spawn(CLI, "--store", str(db), "record", "results.csv", env=_env(OPTIFORM_BUSY_TIMEOUT_S="0.5"))
    lock = sqlite3.connect(db, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        children.go()
        [(code, _, stderr)] = children.results()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert code == 1 and "Traceback" not in stderr
    assert stderr.strip().count("\n") == 0
    assert stderr.startswith(f"error: store {db} is busy (another process has held it for")
    assert _rows(db, "SELECT count(*) FROM measurements") == [(0,)]


def test_a_read_only_store_says_so_before_any_work(
    make_campaign: Callable[..., Campaign],
    small_spec: Path,
    read_only: Callable[[Path], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import optiform.strategies as strategies

    c = make_campaign(small_spec)
    c.store.add_formulations(c.id, _small_points(1), source="external")
    path = Path(c.store.url.removeprefix("sqlite:///"))
    c.close()
    read_only(path)
    c = Campaign.open(f"sqlite:///{path}")
    assert len(c.formulations()) == 1  # reading works

    def no_strategy(*args: Any) -> Any:
        raise AssertionError("the strategy ran on a read-only store")

    monkeypatch.setattr(strategies, "get_strategy", no_strategy)
    for action in (
        lambda: c.propose(2),
        lambda: c.record(pd.DataFrame({"id": ["F0001"], "conductivity_mS_cm": [0.5]})),
        lambda: c.cancel("F0001", "no salt"),
    ):
        with pytest.raises(StoreError, match=f"store {path} is read-only \\(attempt to write a readonly database\\)"):
            action()
    c.close()


def test_a_store_in_a_read_only_folder_says_so(
    tmp_path: Path, small_spec: Path, read_only: Callable[[Path], None]
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "lab.db"
    c = Campaign.create(small_spec, store=f"sqlite:///{path}", seed=0)
    c.store.add_formulations(c.id, _small_points(1), source="external")
    c.close()
    read_only(folder)
    c = Campaign.open(f"sqlite:///{path}")
    with pytest.raises(StoreError, match=f"store {path} is read-only .*make both the file and its folder writable"):
        c.record(pd.DataFrame({"id": ["F0001"], "conductivity_mS_cm": [0.5]}))
    c.close()


@pytest.mark.parametrize("command", [["record", "results.csv"], ["propose", "-n", "2"]])
def test_a_read_only_store_on_the_command_line_is_one_line_and_exit_1(
    tmp_path: Path, small_spec: Path, read_only: Callable[[Path], None], command: list[str]
) -> None:
    db = tmp_path / "lab.db"
    c = Campaign.create(small_spec, store=f"sqlite:///{db}", seed=0)
    c.store.add_formulations(c.id, _small_points(1), source="external")
    c.close()
    pd.DataFrame({"id": ["F0001"], "conductivity_mS_cm": [0.5]}).to_csv(tmp_path / "results.csv", index=False)
    read_only(db)
    run = subprocess.run(
        [sys.executable, "-m", "optiform.cli", "--store", str(db), *command],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().count("\n") == 0
    assert run.stderr.startswith(f"error: store {db} is read-only (attempt to write a readonly database)")
