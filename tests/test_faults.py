"""benchmarks/faults.py, the fault-injection runner: its catalogue covers every fault a user reported (bad input, races, kill -9), its
verdicts follow the rules it states (checked on made-up runs and stores), and end to end on cases
whose verdict is known whatever optiform does (``--self-test``)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "faults.py"


@pytest.fixture(scope="module")
def faults(benchmark_script: Callable[[str], ModuleType]) -> ModuleType:
    return benchmark_script("faults")


def test_catalogue_covers_the_issue(faults: ModuleType) -> None:
    cases = faults.catalogue()
    names = [c.name for c in cases]
    assert len(names) == len(set(names)) and len(cases) >= 260
    groups = Counter(c.group for c in cases)
    assert set(groups) == {"results", "campaign-file", "manifest", "options", "store", "lock", "concurrency", "kill"}
    named_in_issue = [
        "results/csv/value/bool-True",
        "results/csv/value/thousands-comma-1,234",
        "results/csv/value/underscore-1_000",
        "results/csv/value/huge-1e300",
        "results/csv/value/S-and-uS-among-mS",
        "results/csv/valid/hash-in-note",
        "results/csv/valid/row-starting-with-hash",
        "results/csv/replicate/huge-1e20",
        "results/csv/replicate/inf",
        "results/xlsx/structure/date-cell",
        "results/xlsx/structure/corrupt",
        "results/csv/structure/folder",
        "results/csv/structure/ragged-long-row",
        "campaign-file/component-min/true",
        "campaign-file/reference_temperature/-300",
        "campaign-file/name/5000-chars",
        "campaign-file/categorical/empty-choice",
        "campaign-file/file/deeply-nested-arrays",
        "manifest/path/dotdot",
        "manifest/path/absolute",
        "manifest/path/symlink-relative",
        "manifest/metadata/thickness-inf",
        "manifest/analysis/full-cell",
        "manifest/analysis/truncated-ca",
        "options/overwrite/propose-out-csv",
        "store/text-file/status",
        "store/truncated/status",
        "store/zeroed/status",
        "store/foreign-sqlite/status",
        "store/read-only/record",
        "store/read-only/propose",
        "lock/exclusive/record",
        "concurrency/propose-3x4-default",
        "concurrency/ingest-2x-same-1",
        "concurrency/record-2x-same-1",
        "kill/record-in-write-0ms",
        "kill/ingest-in-write-0ms",
    ]
    assert not [n for n in named_in_issue if n not in names]
    for c in cases:  # a bad input without a custom run names what its error must mention
        assert c.run is not None or (c.command and (c.valid or c.expect)), c.name


def run(faults: ModuleType, code: int | None, stdout: str = "", stderr: str = "") -> object:
    return faults.Run(["record", "bad.csv"], code, stdout, stderr, 0.1)


def test_verdicts_follow_the_rules(faults: ModuleType, tmp_path: Path) -> None:
    bad = faults.Case("x/bad", "a bad value", ["record", "bad.csv"], ("line 2",))
    ctx = faults.Context(bad, tmp_path, None)
    nothing, wrote, lost = faults.Change(), faults.Change(added=["measurements +1"]), faults.Change(lost=["gone"])
    error = "error: bad.csv: line 2: conductivity_mS_cm: expected a number"
    assert faults.judge(ctx, run(faults, 1, stderr=error), nothing) == ("clean error", error)
    assert faults.judge(ctx, run(faults, 0, stdout="recorded 1"), wrote)[0] == "silent acceptance"
    assert faults.judge(ctx, run(faults, 1, stderr=error), wrote)[0] == "silent acceptance"  # refused, yet wrote
    assert faults.judge(ctx, run(faults, 1, stderr=error), lost)[0] == "data lost"
    crash = "Traceback (most recent call last):\n  File 'x'\nOverflowError: too big"
    assert faults.judge(ctx, run(faults, 1, stderr=crash), nothing) == ("traceback", "OverflowError: too big")
    assert faults.judge(ctx, run(faults, 1, stderr="error: 0"), nothing)[0] == "traceback"  # names nothing
    assert faults.judge(ctx, run(faults, 1, stderr="something failed"), nothing)[0] == "traceback"  # no error line
    hung = faults.Run(["record"], None, "", "", 120.0, timed_out=True)
    assert faults.judge(ctx, hung, nothing)[0] == "traceback"
    usage = "Usage: optiform propose [OPTIONS]\n\nError: Invalid value for '-n' / '--n': 0"
    assert (
        faults.judge(
            faults.Context(faults.Case("x/n", "-n 0", ["propose"], ("-n",)), tmp_path, None),
            run(faults, 2, stderr=usage),
            nothing,
        )[0]
        == "clean error"
    )
    for problem, verdict in (
        (None, "ok"),
        ("stored with 1.234, written '1,234'", "silent acceptance"),
        ("dropped: nothing stored", "data lost"),
    ):
        valid = faults.Case("x/valid", "a valid file", ["record", "v.csv"], valid=True, check=lambda _ctx, p=problem: p)
        assert (
            faults.judge(faults.Context(valid, tmp_path, None), run(faults, 0, stdout="recorded 1"), wrote)[0]
            == verdict
        )
    assert (
        faults.judge(faults.Context(valid, tmp_path, None), run(faults, 1, stderr="error: v.csv: no"), nothing)[0]
        == "clean error"
    )


def test_compare_tells_lost_changed_and_added_rows(faults: ModuleType, tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');")
    con.commit()
    before = faults.store_state(db)
    con.executescript("DELETE FROM t WHERE id = 1; UPDATE t SET v = 'B' WHERE id = 2; INSERT INTO t VALUES (3, 'c');")
    con.commit()
    con.close()
    change = faults.compare(before, faults.store_state(db), {"out.csv": "1"}, {"out.csv": "2", "new.csv": "3"})
    assert change.lost == ["t: 1 row(s) gone", "file out.csv overwritten"]
    assert change.added == ["t: 1 row(s) changed", "t +1", "file new.csv created"]
    text = tmp_path / "notes.db"
    text.write_text("my notebook")
    before = faults.store_state(text)
    assert before.tables is None and not faults.compare(before, faults.store_state(text), {}, {})
    text.write_text("my notebook, now a database")
    assert faults.compare(before, faults.store_state(text), {}, {}).lost
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert faults.store_state(empty).tables == {}  # SQLite's empty database


def test_select_and_summary(faults: ModuleType) -> None:
    cases = faults.catalogue()
    assert {c.group for c in faults.select(cases, "kill/")} == {"kill"}
    assert all(c.name.startswith("results/xlsx/value/") for c in faults.select(cases, "results/xlsx/value/*"))
    assert len(faults.select(cases, "kill/,lock/")) == sum(c.group in ("kill", "lock") for c in cases)
    outcome = lambda verdict: faults.Outcome("a/b", "a", verdict, "", "", 0.0)  # noqa: E731
    outcomes = [outcome(v) for v in ("clean error", "ok", "traceback", "silent acceptance", "silent acceptance")]
    assert faults.summary(outcomes) == "bad inputs 5, clean errors 2, tracebacks 1, silent acceptances 2, data lost 0"


@pytest.mark.slow
def test_self_test_end_to_end() -> None:
    """Real CLI processes on cases of known verdict (a clean error, a valid file declared bad, a
    traceback, an unclear error, a deleted row, a valid file stored and one checked against the
    wrong value, kill -9 in a write): the runner classifies each as expected."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--self-test", "--jobs", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "self-test: 8 of 8 as expected" in done.stdout
