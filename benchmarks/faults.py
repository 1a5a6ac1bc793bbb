"""Fault injection: run the command line on bad inputs and faults and judge each outcome.

Each case is a small named fault: a setup (a fresh copy of a prepared campaign store in a temporary
folder, the files the case needs), the command(s) to run (``optiform ...``, as a user runs it), the
bad input, and how to judge what happened. Every case ends in one verdict:

* ``clean error``: exit status != 0, a line starting ``error:`` that names something from the input
  (the case's expected fragment: a file, line, field or option), no traceback, and nothing written:
  the store's tables and the case's files unchanged, no output file created or overwritten;
* ``ok``: an input that is valid (a ``#`` inside a note, a BOM, ...) stored exactly as written, or a
  concurrency case with the right end state (12 distinct points, one copy, every row);
* ``traceback``: a Python traceback, a hang (killed after ``--timeout``), or an exit without a clear
  error (no ``error:`` line, or one that names nothing from the input, such as ``error: 0``);
* ``silent acceptance``: exit status 0 on a bad input, or something stored or written from it (for
  plausibility cases: the implausible value stored); a valid input stored wrongly;
* ``data lost``: rows stored before the case are gone, the store no longer opens or fails
  ``PRAGMA integrity_check``, a file of the user's overwritten or deleted, rows of a valid input
  dropped, a concurrent case stored duplicates or lost rows, or kill -9 left a half-written store.

The last line printed is ``bad inputs N, clean errors N, tracebacks N, silent acceptances N, data
lost N``: every case counts as a bad input; "clean errors" counts the cases handled as they should
(verdicts ``clean error`` and ``ok``). A case that cannot be set up here (a read-only file as root
without ``chattr``) is skipped and not counted.

Commands run in forked children of a process that has imported optiform once (``--exec fork``, the
default: the same CLI entry point as ``python -m optiform.cli`` without 1-3 s of imports per
command), or as real ``python -m optiform.cli`` subprocesses (``--exec subprocess``). Either way
every command is its own process: exit status, stdout and stderr, kill -9 and concurrency are real.
Cases that hold a lock, run commands at once or kill a process run one at a time after the others.

    .venv/bin/python benchmarks/faults.py                      # the whole catalogue, 2 jobs
    .venv/bin/python benchmarks/faults.py --list               # case names and their faults
    .venv/bin/python benchmarks/faults.py --only 'results/csv/*' --jobs 1 --keep
    .venv/bin/python benchmarks/faults.py --self-test          # verdicts on cases of known outcome
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import fnmatch
import hashlib
import io
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LLZT_SPEC = ROOT / "campaigns" / "llzt-cse" / "campaign.toml"
STORE = "store.db"  # the store of every case, in its folder
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = "2"  # $OPTIFORM_BUSY_TIMEOUT_S for the lock cases (honoured when the store reads it)

VERDICTS = ("clean error", "ok", "traceback", "silent acceptance", "data lost", "skipped")
SUMMARY = "bad inputs {n}, clean errors {clean}, tracebacks {tracebacks}, silent acceptances {silent}, data lost {lost}"

# three components summing to 100 on a 1 wt% lattice, one parameter T (the test suite's "small" campaign)
SMALL_SPEC = """version = 1
name = "small"
[mixture]
total = 100
resolution = 1
[mixture.components]
A = { min = 10, max = 80 }
B = { min = 10, max = 80 }
C = { min = 0, max = 50 }
[parameters]
T = { min = 0.0, max = 1.0, resolution = 0.05 }
[[objectives]]
name = "conductivity_mS_cm"
[strategy]
n_initial = 6
"""


# --- running the command line -------------------------------------------------------------------
@dataclasses.dataclass
class Run:
    """One finished command: its arguments, exit status (None: killed by the runner), output, time."""

    args: list[str]
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def output(self) -> str:
        return self.stderr + "\n" + self.stdout

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.output

    def error_lines(self) -> list[str]:
        """The lines starting ``error:`` (optiform's errors; click's usage errors start ``Error:``)."""
        return [ln.strip() for ln in self.output.splitlines() if ln.strip().lower().startswith("error:")]

    def first_line(self) -> str:
        """The line that says what happened: the error, the exception of a traceback, else the first output."""
        if self.timed_out:
            return f"no answer within {self.seconds:.0f} s (killed)"
        if self.traceback:
            lines = [ln for ln in self.stderr.splitlines() if ln.strip() and not ln.startswith(" ")]
            return lines[-1].strip() if lines else "Traceback"
        errors = self.error_lines()
        if errors:
            return errors[0]
        for ln in (self.stdout + "\n" + self.stderr).splitlines():
            if ln.strip() and not set(ln.strip()) <= set("─━┃│┏┓┗┛┡┩└┘╭╮╰╯ "):
                return ln.strip()
        return ""


class Proc:
    """A command started by an :class:`Executor`; ``wait`` collects it."""

    def __init__(self, args: list[str], pid: int, popen: subprocess.Popen | None, out: Path, err: Path) -> None:
        self.args, self.pid, self.popen, self.out, self.err = args, pid, popen, out, err
        self.start = time.perf_counter()
        self.code: int | None = None
        self.done = False

    def poll(self) -> bool:
        if self.done:
            return True
        if self.popen is not None:
            code = self.popen.poll()
            if code is None:
                return False
            self.code = code
        else:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == 0:
                return False
            self.code = os.waitstatus_to_exitcode(status)
        self.done = True
        self.seconds = time.perf_counter() - self.start
        return True

    def kill(self) -> None:
        """SIGKILL (kill -9), then reap."""
        if not self.done:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            while not self.poll():
                time.sleep(0.01)

    def wait(self, timeout: float) -> Run:
        deadline = time.perf_counter() + timeout
        timed_out = False
        while not self.poll():
            if time.perf_counter() > deadline:
                self.kill()
                timed_out = True
                break
            time.sleep(0.01)
        read = lambda p: p.read_text(encoding="utf-8", errors="replace") if p.exists() else ""  # noqa: E731
        return Run(self.args, None if timed_out else self.code, read(self.out), read(self.err), self.seconds, timed_out)


class Executor:
    """Starts CLI commands as processes: forked from this process (``fork``, optiform imported once)
    or as ``python -m optiform.cli`` (``subprocess``)."""

    def __init__(self, mode: str = "fork", timeout: float = 120.0) -> None:
        if mode not in ("fork", "subprocess"):
            raise ValueError(f"--exec {mode!r}: expected fork or subprocess")
        self.mode, self.timeout = mode, timeout
        self.counter = 0
        if mode == "fork":
            if str(ROOT) not in sys.path:  # this checkout's optiform, as --exec subprocess runs it
                sys.path.insert(0, str(ROOT))
            preload()

    def start(self, args: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Proc:
        """Start ``optiform ARGS`` in ``cwd`` with ``env`` added to the environment."""
        self.counter += 1
        logs = cwd.parent / f"{cwd.name}.logs"
        logs.mkdir(exist_ok=True)
        out, err = logs / f"{self.counter:03d}.out", logs / f"{self.counter:03d}.err"
        environment = {k: v for k, v in os.environ.items() if k != "OPTIFORM_STORE"}
        environment.update(env or {})
        args = [str(a) for a in args]
        if self.mode == "subprocess":
            environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
            with out.open("wb") as fo, err.open("wb") as fe:
                popen = subprocess.Popen(
                    [sys.executable, "-m", "optiform.cli", *args],
                    cwd=cwd,
                    env=environment,
                    stdout=fo,
                    stderr=fe,
                    stdin=subprocess.DEVNULL,
                )
            return Proc(args, popen.pid, popen, out, err)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: becomes 'optiform ARGS'
            code = 1
            try:
                fo = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                fe = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                os.dup2(fo, 1)
                os.dup2(fe, 2)
                os.chdir(cwd)
                os.environ.clear()
                os.environ.update(environment)
                code = _cli_main(args)
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        return Proc(args, pid, None, out, err)

    def run(self, args: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
        return self.start(args, cwd, env).wait(self.timeout)


def _cli_main(args: list[str]) -> int:
    """What ``python -m optiform.cli ARGS`` does, in this process: the exit status it ends with."""
    from optiform.cli import main

    sys.argv = ["optiform", *args]
    try:
        main(args)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # what the interpreter does with an uncaught exception
        traceback.print_exc()
        return 1
    return 0


def preload() -> None:
    """Import what the commands import lazily, so forked children start warm."""
    import importlib
    import pkgutil

    import optiform

    for module in pkgutil.walk_packages(optiform.__path__, "optiform."):
        if not module.name.startswith(("optiform.store.migrations", "optiform.bench", "optiform.sim")):
            importlib.import_module(module.name)
    importlib.import_module("openpyxl")
    from sqlalchemy.orm import configure_mappers

    configure_mappers()  # the store's ORM mappers, configured on first use (0.4 s) otherwise


# --- what a store and a folder hold -------------------------------------------------------------
Tables = dict[str, Counter]


@dataclasses.dataclass
class StoreState:
    """A store file as found: missing, bytes that are not a readable SQLite database (``digest``),
    or a database (its tables' rows, ``integrity``)."""

    exists: bool
    digest: str = ""
    tables: Tables | None = None
    integrity: str = ""
    error: str = ""

    def rows(self, table: str) -> Counter:
        return (self.tables or {}).get(table, Counter())


def store_state(path: Path) -> StoreState:
    """Every row of every table of the SQLite file ``path`` (the file itself when it is not one)."""
    if not path.exists():
        return StoreState(False)
    if path.is_dir():
        return StoreState(True, digest="<folder>")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if not data:  # SQLite takes an empty file for an empty database
        return StoreState(True, digest=digest, tables={}, integrity="ok")
    if not data.startswith(SQLITE_HEADER):
        return StoreState(True, digest=digest)
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        return StoreState(True, digest=digest, error=str(exc))
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = {name: Counter(con.execute(f'SELECT * FROM "{name}"').fetchall()) for name in names}
        return StoreState(True, digest=digest, tables=tables, integrity=integrity)
    except sqlite3.Error as exc:
        return StoreState(True, digest=digest, error=str(exc))
    finally:
        con.close()


def recover(path: Path) -> None:
    """Open the store read-write once, so that SQLite rolls back a hot journal left by a killed writer
    (what the next optiform command would do)."""
    if path.is_file() and path.read_bytes()[:16] == SQLITE_HEADER:
        con = sqlite3.connect(path, timeout=30)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error:
            pass
        finally:
            con.close()


def files_state(folder: Path) -> dict[str, str]:
    """Path (relative) -> sha256 of every file under ``folder`` but the store and its journals."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel.split("/")[0].startswith(STORE) or path.is_dir() or (path.is_symlink() and not path.exists()):
            continue
        try:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            out[rel] = "<unreadable>"
    return out


@dataclasses.dataclass
class Change:
    """What a case changed: rows lost (data lost), rows added, files added or changed."""

    lost: list[str] = dataclasses.field(default_factory=list)
    added: list[str] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.lost or self.added)


WRITE_TABLES_IGNORED = {"alembic_version"}  # bookkeeping a migration may rewrite


def compare(before: StoreState, after: StoreState, files_before: dict[str, str], files_after: dict[str, str]) -> Change:
    """Rows and files lost or added between two states of a case."""
    change = Change()
    if before.exists and not after.exists:
        change.lost.append("the store file is gone")
    elif before.tables is None and before.exists:  # a file that is not a database (or a folder)
        if after.digest != before.digest:
            change.lost.append("the store file (not a database) was changed")
    elif before.tables is not None:
        if after.tables is None:
            change.lost.append(f"the store no longer opens: {after.error or 'not a database'}")
        else:
            if after.integrity != "ok":
                change.lost.append(f"integrity_check: {after.integrity}")
            for name, rows in before.tables.items():
                if name in WRITE_TABLES_IGNORED:
                    continue
                gone = rows - after.rows(name)
                if not gone:
                    continue
                keys = {row[0] for row in after.rows(name)}
                removed = sum(k for row, k in gone.items() if row[0] not in keys)
                if removed:
                    change.lost.append(f"{name}: {removed} row(s) gone")
                if removed < sum(gone.values()):
                    change.added.append(f"{name}: {sum(gone.values()) - removed} row(s) changed")
            for name, rows in after.tables.items():
                if name not in before.tables:
                    change.added.append(f"table {name} created")
                    continue
                keys = {row[0] for row in before.rows(name)}
                new = sum(k for row, k in (rows - before.rows(name)).items() if row[0] not in keys)
                if new and name not in WRITE_TABLES_IGNORED:
                    change.added.append(f"{name} +{new}")
    elif after.tables:  # no store before: a campaign (or anything but an empty schema) is a write
        written = {n: sum(r.values()) for n, r in after.tables.items() if n not in ("meta", "alembic_version") and r}
        if written:
            change.added.append("stored " + ", ".join(f"{n} +{k}" for n, k in written.items()))
    for rel, digest in files_after.items():
        if rel not in files_before:
            change.added.append(f"file {rel} created")
        elif files_before[rel] != digest:
            change.lost.append(f"file {rel} overwritten")
    for rel in files_before:
        if rel not in files_after:
            change.lost.append(f"file {rel} deleted")
    return change


def measurements(path: Path) -> list[dict[str, Any]]:
    """Every measurement of a store: id, replicate, status, note, retracted, values {quantity: value}."""
    if not path.is_file():
        return []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute(
            "SELECT m.id, f.label, m.replicate, m.status, m.note FROM measurements m "
            "JOIN formulations f ON f.id = m.formulation_id ORDER BY m.id"
        ).fetchall()
        values: dict[int, dict[str, float]] = {}
        for mid, quantity, value in con.execute("SELECT measurement_id, quantity, value FROM measurement_values"):
            values.setdefault(mid, {})[quantity] = value
    except sqlite3.Error:
        return []
    finally:
        con.close()
    return [
        dict(pk=pk, id=label, replicate=rep, status=status, note=note, values=values.get(pk, {}))
        for pk, label, rep, status, note in rows
    ]


def formulations(path: Path) -> list[dict[str, Any]]:
    """Every formulation of a store: id, values (the target), cancelled."""
    if not path.is_file():
        return []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute('SELECT label, "values", cancelled_at FROM formulations ORDER BY id').fetchall()
    except sqlite3.Error:
        return []
    finally:
        con.close()
    return [
        dict(id=label, values=json.loads(values), cancelled=cancelled is not None) for label, values, cancelled in rows
    ]


# --- cases ----------------------------------------------------------------------------------------
FileSpec = bytes | str | Callable[[Path], None]  # content, or a function that makes the file at a path


@dataclasses.dataclass
class Case:
    """A fault: ``files`` written into a copy of ``template``'s folder, then ``command`` (``optiform
    ARGS``; ``--store`` added unless given) run in it. ``expect``: fragments of which the error must
    name one (case-insensitive). ``valid``: the input is valid; ``check(ctx)`` then says what is
    wrong with the stored result (None: stored as written). ``run``: a custom procedure (concurrency,
    kill -9, locks) returning its verdict and message. ``serial``: run alone, after the others."""

    name: str
    fault: str
    command: list[str] = dataclasses.field(default_factory=list)
    expect: tuple[str, ...] = ()
    template: str = "base"
    files: dict[str, FileSpec] = dataclasses.field(default_factory=dict)
    prepare: Callable[[Path], None] | None = None
    valid: bool = False
    check: Callable[[Context], str | None] | None = None
    run: Callable[[Context], tuple[str, str]] | None = None
    serial: bool = False

    @property
    def group(self) -> str:
        return self.name.split("/")[0]


@dataclasses.dataclass
class Context:
    """A case being run: its folder, the executor, states before and after, its runs, the measurements
    its template held."""

    case: Case
    folder: Path
    executor: Executor
    before: StoreState | None = None
    after: StoreState | None = None
    runs: list[Run] = dataclasses.field(default_factory=list)
    template_measurements: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def store(self) -> Path:
        return self.folder / STORE

    @property
    def url(self) -> str:
        return f"sqlite:///{self.store}"

    def args(self, command: Sequence[str]) -> list[str]:
        """``command`` with ``{dir}``/``{store}`` filled in and ``--store`` added when missing."""
        args = [a.replace("{dir}", str(self.folder)).replace("{store}", self.url) for a in command]
        if "--store" not in args:
            args += ["--store", self.url]
        return args

    def run(self, command: Sequence[str], env: dict[str, str] | None = None) -> Run:
        result = self.executor.run(self.args(command), self.folder, env)
        self.runs.append(result)
        return result

    def start(self, command: Sequence[str], env: dict[str, str] | None = None) -> Proc:
        return self.executor.start(self.args(command), self.folder, env)

    def new_measurements(self) -> list[dict[str, Any]]:
        """Measurements stored by the case (not in the template)."""
        before = {m["pk"] for m in self.template_measurements}
        return [m for m in measurements(self.store) if m["pk"] not in before]


@dataclasses.dataclass
class Outcome:
    name: str
    group: str
    verdict: str
    message: str
    fault: str
    seconds: float


def judge(ctx: Context, run: Run, change: Change) -> tuple[str, str]:
    """The verdict of a case with one command (see the module docstring)."""
    case = ctx.case
    first = run.first_line()
    if change.lost:
        return "data lost", "; ".join(change.lost) + f" ({first})"
    if run.traceback or run.timed_out:
        return "traceback", first
    if case.valid and run.code == 0:
        problem = case.check(ctx) if case.check else None
        if problem is None:
            return "ok", f"accepted: {first}"
        return ("data lost" if problem.startswith("dropped") else "silent acceptance"), problem
    if run.code == 0:
        return "silent acceptance", f"exit 0: {first}" + (f" [{'; '.join(change.added)}]" if change.added else "")
    if change.added:
        return "silent acceptance", f"exit {run.code} but wrote: {'; '.join(change.added)} ({first})"
    errors = run.error_lines()
    if not errors:
        return "traceback", f"exit {run.code} without an error line: {first}"
    text = " ".join(errors).lower()
    if case.expect and not any(fragment.lower() in text for fragment in case.expect):
        return "traceback", f"unclear error (names none of {', '.join(case.expect)}): {first}"
    return "clean error", first


class Skip(Exception):
    """A case that cannot be set up here (e.g. a read-only file as root without chattr): not counted."""


def run_case(case: Case, executor: Executor, workdir: Path, templates: Path, keep: bool = False) -> Outcome:
    """Set up, run and judge one case in its own folder under ``workdir``."""
    start = time.perf_counter()
    folder = workdir / slug(case.name)
    if folder.exists():
        shutil.rmtree(folder)
    if case.template != "none":
        shutil.copytree(templates / case.template, folder, symlinks=True)
    else:
        folder.mkdir(parents=True)
    ctx = Context(case, folder, executor)
    try:
        for rel, spec in case.files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if callable(spec):
                spec(path)
            elif isinstance(spec, str):
                path.write_bytes(spec.replace("{dir}", str(folder)).encode("utf-8"))
            else:
                path.write_bytes(spec)
        if case.prepare is not None:
            case.prepare(folder)
        ctx.template_measurements = measurements(ctx.store) if ctx.store.is_file() else []
        ctx.before = store_state(ctx.store)
        files_before = files_state(folder)
        if case.run is not None:
            verdict, message = case.run(ctx)
        else:
            run = ctx.run(case.command)
            ctx.after = store_state(ctx.store)
            verdict, message = judge(ctx, run, compare(ctx.before, ctx.after, files_before, files_state(folder)))
    except Skip as exc:
        verdict, message = "skipped", str(exc)
    except Exception as exc:  # a fault of the runner, not of optiform: shown as such
        verdict, message = "traceback", f"runner error: {type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        if not keep:
            restore_permissions(folder)
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(folder.parent / f"{folder.name}.logs", ignore_errors=True)
    message = message.replace(str(folder), "<case>").replace("\n", " ")[:300]
    return Outcome(case.name, case.group, verdict, message, case.fault, time.perf_counter() - start)


def restore_permissions(folder: Path) -> None:
    for path in [p for p in _PROTECTED if p == folder or folder in p.parents]:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        _PROTECTED.discard(path)
    if folder.exists():
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                try:
                    path.chmod(0o755 if path.is_dir() else 0o644)
                except OSError:
                    pass


def slug(name: str) -> str:
    """A folder name for a case name (its own digest keeps distinct names distinct)."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60]
    return f"{text}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"


# --- files the cases use ----------------------------------------------------------------------------
AREA_CM2 = math.pi * 0.8**2  # 16 mm electrodes


def table_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (quoted where a field needs it, as a spreadsheet writes it)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def xlsx(
    header: Sequence[str], rows: Iterable[Sequence[Any]], before: Sequence[Sequence[Any]] = ()
) -> Callable[[Path], None]:
    """An .xlsx maker: the cells as given (numbers, booleans, dates, text, ``=formulas``); ``before``:
    rows above the header (a title)."""

    def make(path: Path) -> None:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        for row in [*before, header, *rows]:
            ws.append(list(row))
        wb.save(path)

    return make


def write_eis(path: Path, sigma_mS_cm: float, seed: int = 0, thickness_um: float = 100.0) -> None:
    """A blocking-electrode (SS | film | SS) spectrum of a film of ``sigma_mS_cm``."""
    from optiform.sim.cell import synthetic_blocking_cell

    s = synthetic_blocking_cell(sigma_mS_cm, thickness_um=thickness_um, diameter_mm=16, noise_rel=0.002, seed=seed)
    table = [(f, z.real, z.imag) for f, z in zip(s.frequency_Hz, s.Z_ohm)]
    path.write_text(table_csv(["Frequency (Hz)", "Z' (ohm)", "Z'' (ohm)"], table))


def write_rq_cpe(
    path: Path, R0: float, R1: float, Q1: float, n1: float, Q2: float, n2: float, f_min: float = 0.1
) -> None:
    """R-(R||CPE)-CPE spectrum, 1e5 Hz down to ``f_min``: with n2 = 0.5 a diffusion (Warburg) tail, the
    look of a Li | Li cell or of a full battery, not of a blocking-electrode film."""
    import numpy as np

    from optiform.analysis.eis import z_r_rq_cpe

    f = np.logspace(5, math.log10(f_min), 61)
    Z = z_r_rq_cpe(f, R0, R1, Q1, n1, Q2, n2)
    path.write_text(table_csv(["freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm"], zip(f, Z.real, -Z.imag)))


def write_no_tail(path: Path) -> None:
    """A film spectrum that stops at its arc: no capacitive tail (the electrodes never seen)."""
    import numpy as np

    f = np.logspace(6, 3, 31)
    R, C = 50.0, 1e-9
    Z = R / (1 + 1j * 2 * np.pi * f * R * C)
    path.write_text(table_csv(["freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm"], zip(f, Z.real, -Z.imag)))


def write_ca(path: Path, I0_A: float = 15e-6, t_plus: float = 0.68, t_end_s: float = 3600.0) -> None:
    """Chronoamperometry at 10 mV decaying (time constant 300 s) to the steady state of a Bruce-Vincent
    cell with R0 = 300, Rss = 320 ohm and ``t_plus``; cut at ``t_end_s`` (a truncated trace)."""
    Iss = t_plus * I0_A * 0.010 / (0.010 - I0_A * 300 + t_plus * I0_A * 320)
    rows = []
    for i in range(int(t_end_s) + 1):
        current = Iss + (I0_A - Iss) * math.exp(-i / 300.0)
        rows.append((float(i), 0.010, current * 1e3))
    path.write_text(table_csv(["time/s", "Ewe/V", "I/mA"], rows))


def write_lsv(path: Path, onset_V: float = 5.06) -> None:
    rows = []
    for i in range(3001):
        E = 3.0 + i * 0.001
        j_uA_cm2 = 1.0 + 9.0 * math.exp((E - onset_V) / 0.05)
        rows.append((E, j_uA_cm2 * AREA_CM2 * 1e-3, (E - 3.0) * 1000))
    path.write_text(table_csv(["Ewe/V", "I/mA", "time/s"], rows))


def raw_files(raw: Path) -> None:
    """The instrument files of the ``base`` template (folder raw/)."""
    raw.mkdir(parents=True, exist_ok=True)
    write_eis(raw / "base_eis.csv", 0.95, seed=9)  # ingested by the template
    for i, (name, sigma) in enumerate([("eis30.csv", 1.0), ("eis30b.csv", 1.05), ("eis30c.csv", 0.97)]):
        write_eis(raw / name, sigma, seed=i)
    for i in range(24):  # a long manifest (the kill -9 cases)
        write_eis(raw / f"many_{i:02d}.csv", 0.8 + 0.01 * i, seed=100 + i)
    write_rq_cpe(raw / "before.csv", 20.0, 300.0, 2e-6, 0.9, 5e-2, 0.5)
    write_rq_cpe(raw / "after.csv", 20.0, 320.0, 2e-6, 0.9, 5e-2, 0.5)
    write_ca(raw / "ca.csv")
    write_ca(raw / "ca_truncated.csv", t_end_s=360.0)  # stopped after 1.2 time constants
    write_lsv(raw / "lsv.csv")
    # a full Li-ion coin cell: 0.03 ohm contacts and electrolyte, SEI and charge-transfer arcs, diffusion tail
    write_rq_cpe(raw / "fullcell.csv", 0.03, 2.0, 5e-3, 0.8, 20.0, 0.5, f_min=0.01)
    write_no_tail(raw / "notail.csv")
    (raw / "poem.csv").write_text("The lab is quiet,\nthe cell sits in its holder,\nno numbers today.\n")
    (raw / "empty.csv").write_bytes(b"")
    (raw / "binary.csv").write_bytes(bytes(range(256)) * 64)
    (raw / "header_only.csv").write_text("freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm\n")


EIS_ROW = dict(
    id="F0003", kind="eis", file="eis30.csv", group="g1", thickness_um=100, area_cm2=AREA_CM2, temperature_C=30
)
TRANSFERENCE_ROWS = [
    dict(id="F0003", kind="transference", file="before.csv", role="eis_before", group="bv", delta_V_mV=10),
    dict(id="F0003", kind="transference", file="ca.csv", role="ca", group="bv", delta_V_mV=10),
    dict(id="F0003", kind="transference", file="after.csv", role="eis_after", group="bv", delta_V_mV=10),
]
MANIFEST_COLUMNS = ["id", "kind", "file", "role", "group", "thickness_um", "area_cm2", "temperature_C", "delta_V_mV"]


def manifest(rows: Sequence[dict[str, Any]], columns: Sequence[str] = MANIFEST_COLUMNS) -> str:
    return table_csv(columns, [[r.get(c, "") for c in columns] for r in rows])


# --- templates: the stores cases start from ---------------------------------------------------------
RESULTS0 = table_csv(
    ["id", "conductivity_mS_cm", "solid", "replicate"],
    [["F0001", 1.1, "true", 1], ["F0001", 1.2, "true", 2], ["F0002", 0.9, "true", 1]],
)


def build_templates(executor: Executor, folder: Path) -> None:
    """``fresh``: the paper's campaign, nothing proposed. ``base``: six proposals (F0001-F0006),
    F0001 measured twice, F0002 once plus an ingested spectrum, F0003-F0005 pending, F0006
    cancelled, and the instrument files in raw/. Raises when a step fails."""
    fresh = folder / "fresh"
    fresh.mkdir(parents=True)
    shutil.copy(LLZT_SPEC, fresh / "campaign.toml")
    (fresh / "small.toml").write_text(SMALL_SPEC)
    steps: dict[str, list[list[str]]] = {"fresh": [["init", "campaign.toml"]]}
    base = folder / "base"
    shutil.copytree(fresh, base)
    raw_files(base / "raw")
    (base / "results0.csv").write_text(RESULTS0)
    (base / "raw" / "base.csv").write_text(manifest([dict(EIS_ROW, id="F0002", file="base_eis.csv", group="g0")]))
    steps["base"] = [
        ["init", "campaign.toml"],
        ["propose", "-n", "6", "--strategy", "sobol", "--seed", "1"],
        ["record", "results0.csv"],
        ["cancel", "F0006", "--reason", "out of stock"],
        ["ingest", "raw/base.csv"],
    ]
    for name, commands in steps.items():
        for command in commands:
            run = executor.run([*command, "--store", f"sqlite:///{folder / name / STORE}"], folder / name)
            if run.code != 0:
                raise RuntimeError(f"template {name}: {' '.join(command)} failed: {run.first_line()}\n{run.output}")
        for junk in folder.glob(f"{name}.logs"):
            shutil.rmtree(junk)
    os.chmod(folder, 0o755)


# --- checks of inputs that are valid -----------------------------------------------------------------
def stored(sample: str, value: float, note: str | None = None, replicates: int = 1) -> Callable[[Context], str | None]:
    """The case must have stored ``replicates`` new measurement(s) of ``sample`` with conductivity
    ``value`` (and ``note``); None when it did."""

    def check(ctx: Context) -> str | None:
        new = ctx.new_measurements()
        if not new:
            return f"dropped: exit 0 but nothing stored for {sample}"
        mine = [m for m in new if m["id"] == sample]
        if len(mine) != replicates or len(new) != replicates:
            return f"stored {len(new)} measurement(s) ({', '.join(m['id'] for m in new)}), expected {replicates} of {sample}"
        for m in mine:
            got = m["values"].get("conductivity_mS_cm")
            if got is None or not math.isclose(got, value, rel_tol=1e-9):
                return f"{sample} stored with conductivity_mS_cm={got}, written {value}"
            if note is not None and m["note"] != note:
                return f"{sample} stored with note {m['note']!r}, written {note!r}"
        return None

    return check


def flagged_or_nothing(ctx: Context) -> str | None:
    """An analysis that cannot be trusted: stored as flagged (out of the model until accepted) is right."""
    new = ctx.new_measurements()
    trusted = [m for m in new if m["status"] != "flagged"]
    if trusted:
        m = trusted[0]
        shown = ", ".join(f"{q}={v:.4g}" for q, v in m["values"].items())
        return f"stored as {m['status']} (not flagged): {m['id']} {shown}"
    return None


def nothing_new(ctx: Context) -> str | None:
    """A read-only command: exit 0 is right when it wrote nothing (checked by the runner)."""
    return None


# --- the catalogue -------------------------------------------------------------------------------------
RESULT_HEADER = ["id", "conductivity_mS_cm", "solid"]
LINE2 = ("line 2", "row 2")

# name, text in a CSV, the cell in an XLSX (None: empty)
BAD_NUMBERS: list[tuple[str, str, Any]] = [
    ("bool-True", "True", True),
    ("bool-False", "False", False),
    ("bool-true-lower", "true", "true"),
    ("thousands-comma-1,234", "1,234", "1,234"),
    ("decimal-comma-0,61", "0,61", "0,61"),
    ("underscore-1_000", "1_000", "1_000"),
    ("space-thousands-1 000", "1 000", "1 000"),
    ("huge-1e300", "1e300", 1e300),
    ("overflow-1e309", "1e309", "1e309"),
    ("inf", "inf", "inf"),
    ("minus-inf", "-inf", "-inf"),
    ("Infinity", "Infinity", "Infinity"),
    ("nan", "nan", "nan"),
    ("NaN", "NaN", "NaN"),
    ("empty", "", None),
    ("blank-space", " ", " "),
    ("text-abc", "abc", "abc"),
    ("hex-0x10", "0x10", "0x10"),
    ("arabic-indic-digits", "١٢", "١٢"),
    ("fullwidth-digits", "１２", "１２"),
    ("negative-log-objective", "-1", -1),
    ("zero-log-objective", "0", 0),
    ("tiny-1e-12", "1e-12", 1e-12),
    ("subnormal-1e-320", "1e-320", 1e-320),
    ("S-per-cm-slip-0.0009", "0.0009", 0.0009),
    ("uS-per-cm-slip-1100", "1100", 1100),
    ("with-unit", "1.2 mS/cm", "1.2 mS/cm"),
    ("percent", "12%", "12%"),
    ("two-dots", "1.2.3", "1.2.3"),
    ("double-minus", "--1", "--1"),
]
BAD_REPLICATES: list[tuple[str, str, Any]] = [
    ("zero", "0", 0),
    ("negative", "-1", -1),
    ("fraction-1.5", "1.5", 1.5),
    ("huge-1e20", "1e20", 1e20),
    ("inf", "inf", "inf"),
    ("text-two", "two", "two"),
    ("nan", "nan", "nan"),
    ("bool-True", "True", True),
    ("beyond-int64", "9223372036854775808", "9223372036854775808"),
    ("thousands-1,000", "1,000", "1,000"),
]


def results_cases() -> list[Case]:
    """``optiform record`` on bad results tables (CSV and XLSX), and on valid ones that must be stored
    exactly as written."""
    cases = []
    for name, text, cell in BAD_NUMBERS:
        fault = f"conductivity_mS_cm = {text!r} on the row of a pending formulation"
        cases.append(
            Case(
                f"results/csv/value/{name}",
                fault,
                ["record", "bad.csv"],
                (*LINE2, "conductivity_mS_cm"),
                files={"bad.csv": table_csv(RESULT_HEADER, [["F0004", text, "true"]])},
            )
        )
        cases.append(
            Case(
                f"results/xlsx/value/{name}",
                fault + " (XLSX cell)",
                ["record", "bad.xlsx"],
                (*LINE2, "conductivity_mS_cm"),
                files={"bad.xlsx": xlsx(RESULT_HEADER, [["F0004", cell, True]])},
            )
        )
    cases.append(
        Case(
            "results/csv/value/S-and-uS-among-mS",
            "a results file with S/cm (0.0009) and µS/cm (1100) values among mS/cm values",
            ["record", "bad.csv"],
            ("line 3", "line 4", "S/cm"),
            files={
                "bad.csv": table_csv(
                    RESULT_HEADER, [["F0003", "1.05", "true"], ["F0004", "0.0009", "true"], ["F0005", "1100", "true"]]
                )
            },
        )
    )
    header = [*RESULT_HEADER, "replicate"]
    for name, text, cell in BAD_REPLICATES:
        fault = f"replicate = {text!r}"
        cases.append(
            Case(
                f"results/csv/replicate/{name}",
                fault,
                ["record", "bad.csv"],
                (*LINE2, "replicate"),
                files={"bad.csv": table_csv(header, [["F0004", "1.05", "true", text]])},
            )
        )
        cases.append(
            Case(
                f"results/xlsx/replicate/{name}",
                fault + " (XLSX cell)",
                ["record", "bad.xlsx"],
                (*LINE2, "replicate"),
                files={"bad.xlsx": xlsx(header, [["F0004", 1.05, True, cell]])},
            )
        )
    header = [*RESULT_HEADER, "status"]
    for status in ("done", "OK!", "pending", "flagged", "cancelled", "1", "ok failed", "ok;failed"):
        cases.append(
            Case(
                f"results/csv/status/{status}",
                f"status = {status!r}",
                ["record", "bad.csv"],
                (*LINE2, "status"),
                files={"bad.csv": table_csv(header, [["F0004", "1.05", "true", status]])},
            )
        )
    for value in ("maybe", "2", "-1", "truee"):
        cases.append(
            Case(
                f"results/csv/solid/{value}",
                f"pass/fail outcome solid = {value!r}",
                ["record", "bad.csv"],
                (*LINE2, "solid"),
                files={"bad.csv": table_csv(RESULT_HEADER, [["F0004", "1.05", value]])},
            )
        )
    ids = [
        ("unknown", "F9999", ("F9999",)),
        ("cancelled", "F0006", ("F0006",)),
        ("blank-without-variables", "", (*LINE2, "MEMA", "mixture")),
        ("whitespace-only", "   ", (*LINE2, "MEMA", "mixture", "id")),
        ("lowercase", "f0004", ("f0004",)),
        ("number", "4", (*LINE2, "'4'", "id")),
        ("nul-byte", "F00\x0004", (*LINE2, "id")),
        ("5000-chars", "F" * 5000, (*LINE2, "id", "FFFF")),
        ("newline-inside", "F00\n04", ("line 2", "id")),
    ]
    for name, label, expect in ids:
        cases.append(
            Case(
                f"results/csv/id/{name}",
                f"id = {label[:20]!r}",
                ["record", "bad.csv"],
                expect,
                files={"bad.csv": table_csv(RESULT_HEADER, [[label, "1.05", "true"]])},
            )
        )
    good = [["F0004", "1.05", "true"]]
    structure: list[tuple[str, str, FileSpec, tuple[str, ...]]] = [
        (
            "unknown-column",
            "an unknown column 'bogus'",
            table_csv([*RESULT_HEADER, "bogus"], [["F0004", "1.05", "true", "x"]]),
            ("bogus",),
        ),
        (
            "duplicate-columns",
            "the objective column twice",
            "id,conductivity_mS_cm,conductivity_mS_cm,solid\nF0004,1.05,2.0,true\n",
            ("conductivity_mS_cm",),
        ),
        (
            "duplicate-id-columns",
            "the id column twice",
            "id,id,conductivity_mS_cm,solid\nF0004,F0005,1.05,true\n",
            ("id",),
        ),
        ("empty-file", "a file of 0 bytes", "", ("bad.csv",)),
        ("whitespace-only-file", "a file of blank lines", "\n \n\n", ("bad.csv",)),
        ("empty-header", "a header of empty names", ",,\nF0004,1.05,true\n", ("bad.csv", "column")),
        (
            "ragged-long-row",
            "a row with one field too many",
            "id,conductivity_mS_cm,solid\nF0004,1.05,true\nF0005,1.1,true,extra\n",
            ("line 3",),
        ),
        (
            "ragged-short-row",
            "a row with the objective missing",
            "id,conductivity_mS_cm,solid\nF0004\n",
            (*LINE2, "conductivity_mS_cm"),
        ),
        (
            "unbalanced-quote",
            "an opening quote never closed",
            'id,conductivity_mS_cm,solid\nF0004,"1.05,true\nF0005,1.1,true\n',
            ("line 2", "quote", "row 1", "inside string"),
        ),
        ("no-id-column", "no id column, no variables", "conductivity_mS_cm,solid\n1.05,true\n", (*LINE2, "id", "MEMA")),
        ("binary", "random bytes named .csv", bytes(range(256)) * 8, ("bad.csv",)),
        (
            "nul-bytes",
            "a CSV with NUL bytes",
            b"id,conductivity_mS_cm,solid\nF0004,1.\x0005,true\n",
            ("bad.csv", "line 2"),
        ),
        ("xlsx-named-csv", "an XLSX workbook named .csv", xlsx(RESULT_HEADER, good), ("bad.csv",)),
        (
            "huge-file",
            "20,000 rows, the last with an unknown id",
            "id,conductivity_mS_cm,solid\n" + "F0004,1.05,true\n" * 19_999 + "F9999,1.0,true\n",
            ("F9999",),
        ),
    ]
    for name, fault, content, expect in structure:
        cases.append(
            Case(f"results/csv/structure/{name}", fault, ["record", "bad.csv"], expect, files={"bad.csv": content})
        )
    cases.append(
        Case(
            "results/csv/valid/header-only",
            "the header and no row (nothing to store: a clean error or nothing stored)",
            ["record", "bad.csv"],
            ("bad.csv", "no row", "empty"),
            files={"bad.csv": "id,conductivity_mS_cm,solid\n"},
            valid=True,
            check=nothing_new,
        )
    )
    cases.append(
        Case(
            "results/csv/structure/folder",
            "a folder given as the results file",
            ["record", "bad.csv"],
            ("bad.csv",),
            prepare=lambda d: (d / "bad.csv").mkdir(),
        )
    )
    cases.append(
        Case(
            "results/csv/structure/missing",
            "a results file that does not exist",
            ["record", "nowhere.csv"],
            ("nowhere.csv",),
        )
    )
    # valid inputs: stored exactly as written (or refused cleanly), never cut, dropped or misread
    valid: list[tuple[str, str, FileSpec, Callable[[Context], str | None]]] = [
        (
            "hash-in-note",
            "a '#' inside a note (data, not a comment)",
            table_csv([*RESULT_HEADER, "note"], [["F0004", "1.05", "true", "cell #3, rerun"]]),
            stored("F0004", 1.05, "cell #3, rerun"),
        ),
        (
            "row-starting-with-hash",
            "a row whose first field starts with '#' (the note column first)",
            table_csv(["note", *RESULT_HEADER], [["#3 repeat", "F0004", "1.05", "true"]]),
            stored("F0004", 1.05, "#3 repeat"),
        ),
        (
            "bom",
            "a UTF-8 byte-order mark (Excel's 'CSV UTF-8')",
            "\ufeff" + table_csv(RESULT_HEADER, good),
            stored("F0004", 1.05),
        ),
        ("crlf", "Windows line endings", table_csv(RESULT_HEADER, good).replace("\n", "\r\n"), stored("F0004", 1.05)),
        (
            "latin-1",
            "a Latin-1 file (note 'µ-cell à 30 °C')",
            table_csv([*RESULT_HEADER, "note"], [["F0004", "1.05", "true", "µ-cell à 30 °C"]]).encode("latin-1"),
            stored("F0004", 1.05, "µ-cell à 30 °C"),
        ),
        (
            "utf-16",
            "a UTF-16 file (Excel's 'Unicode text')",
            table_csv(RESULT_HEADER, good).encode("utf-16"),
            stored("F0004", 1.05),
        ),
        (
            "semicolon-decimal-comma",
            "semicolon-separated with a decimal comma (a European spreadsheet)",
            "id;conductivity_mS_cm;solid\nF0004;1,05;true\n",
            stored("F0004", 1.05),
        ),
        (
            "tab-separated",
            "tab-separated, named .csv",
            "id\tconductivity_mS_cm\tsolid\nF0004\t1.05\ttrue\n",
            stored("F0004", 1.05),
        ),
        (
            "quoted-number",
            "the value quoted",
            'id,conductivity_mS_cm,solid\nF0004,"1.05",true\n',
            stored("F0004", 1.05),
        ),
        (
            "id-padded",
            "the id with spaces around it",
            "id,conductivity_mS_cm,solid\n  F0004  ,1.05,true\n",
            stored("F0004", 1.05),
        ),
    ]
    for name, fault, content, check in valid:
        cases.append(
            Case(
                f"results/csv/valid/{name}",
                fault,
                ["record", "bad.csv"],
                (*LINE2, "bad.csv", "encoding", "separator", "column"),
                files={"bad.csv": content},
                valid=True,
                check=check,
            )
        )
    when = datetime(2026, 3, 1, 12, 0)
    workbooks: list[tuple[str, str, FileSpec, tuple[str, ...]]] = [
        ("corrupt", "random bytes named .xlsx", bytes(range(256)) * 16, ("bad.xlsx",)),
        ("zip-not-workbook", "a zip archive that is not a workbook", _zip_file, ("bad.xlsx",)),
        ("truncated", "a workbook cut in half", _truncated_xlsx, ("bad.xlsx",)),
        ("empty-workbook", "a workbook with no cells", xlsx([], []), ("bad.xlsx",)),
        (
            "date-cell",
            "a date in the objective cell",
            xlsx(RESULT_HEADER, [["F0004", when, True]]),
            (*LINE2, "conductivity_mS_cm"),
        ),
        (
            "date-in-replicate",
            "a date in the replicate cell",
            xlsx([*RESULT_HEADER, "replicate"], [["F0004", 1.05, True, date(2026, 3, 1)]]),
            (*LINE2, "replicate"),
        ),
        (
            "formula-no-value",
            "a formula cell without a cached value",
            xlsx(RESULT_HEADER, [["F0004", "=1+0.05", True]]),
            (*LINE2, "conductivity_mS_cm", "formula"),
        ),
        (
            "formula-error",
            "a formula cell =1/0",
            xlsx(RESULT_HEADER, [["F0004", "=1/0", True]]),
            (*LINE2, "conductivity_mS_cm", "formula"),
        ),
        (
            "title-rows-above",
            "two title rows above the header",
            xlsx(RESULT_HEADER, good, before=[["Batch 3 results"], []]),
            ("bad.xlsx", "column", "Batch 3"),
        ),
        ("csv-named-xlsx", "a CSV file named .xlsx", table_csv(RESULT_HEADER, good), ("bad.xlsx",)),
    ]
    for name, fault, content, expect in workbooks:
        cases.append(
            Case(f"results/xlsx/structure/{name}", fault, ["record", "bad.xlsx"], expect, files={"bad.xlsx": content})
        )
    cases.append(
        Case(
            "results/xlsx/valid/text-number",
            "the value as text in an XLSX cell ('1.05')",
            ["record", "bad.xlsx"],
            (*LINE2, "conductivity_mS_cm"),
            files={"bad.xlsx": xlsx(RESULT_HEADER, [["F0004", "1.05", True]])},
            valid=True,
            check=stored("F0004", 1.05),
        )
    )
    return cases


def _zip_file(path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        z.writestr("notes.txt", "not a workbook")


def _truncated_xlsx(path: Path) -> None:
    xlsx(RESULT_HEADER, [["F0004", 1.05, True]])(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def llzt_with(*replacements: tuple[str, str]) -> str:
    """The paper's campaign file with each ``old`` text replaced by ``new`` (``old`` must be there)."""
    text = LLZT_SPEC.read_text()
    for old, new in replacements:
        if old not in text:
            raise ValueError(f"campaign file mutation: {old!r} is not in {LLZT_SPEC}")
        text = text.replace(old, new, 1)
    return text


MEMA = "MEMA = { min = 10, max = 70 }"
LIDFOB = "LiDFOB_mol_frac = { min = 0.0, max = 0.3, resolution = 0.01 }"
FRAMEWORK = 'framework       = { choices = ["LLZT", "glass_fiber"] }'
OBJECTIVE = 'name = "conductivity_mS_cm"\ndirection = "maximize"'


def _value_name(toml_value: str) -> str:
    """A case-name part for a TOML value: ``"10"`` -> ``text``, ``[10]`` -> ``list``."""
    return "text" if toml_value.startswith('"') else "list" if toml_value.startswith("[") else toml_value


def campaign_file_cases() -> list[Case]:
    """``optiform init`` on campaign files with one key mutated, and on files that are not TOML."""
    mutations: list[tuple[str, str, list[tuple[str, str]], tuple[str, ...]]] = [
        ("version/2", "version = 2", [("version = 1", "version = 2")], ("version",)),
        ("version/0", "version = 0", [("version = 1", "version = 0")], ("version",)),
        ("version/text", 'version = "1"', [("version = 1", 'version = "1"')], ("version",)),
        ("version/missing", "no version", [("version = 1\n", "")], ("version",)),
        ("name/empty", 'name = ""', [('name = "llzt-cse"', 'name = ""')], ("name",)),
        ("name/5000-chars", "a name of 5,000 characters", [('name = "llzt-cse"', f'name = "{"a" * 5000}"')], ("name",)),
        ("name/slash", 'name = "a/b"', [('name = "llzt-cse"', 'name = "a/b"')], ("name",)),
        ("name/number", "name = 42", [('name = "llzt-cse"', "name = 42")], ("name",)),
        ("name/missing", "no name", [('name = "llzt-cse"\n', "")], ("name",)),
        (
            "reference_temperature/-300",
            "reference_temperature_C = -300 (below absolute zero)",
            [("reference_temperature_C = 30", "reference_temperature_C = -300")],
            ("reference_temperature_C",),
        ),
        (
            "reference_temperature/-273.15",
            "reference_temperature_C = -273.15 (absolute zero)",
            [("reference_temperature_C = 30", "reference_temperature_C = -273.15")],
            ("reference_temperature_C",),
        ),
        (
            "reference_temperature/inf",
            "reference_temperature_C = inf",
            [("reference_temperature_C = 30", "reference_temperature_C = inf")],
            ("reference_temperature_C",),
        ),
        (
            "reference_temperature/nan",
            "reference_temperature_C = nan",
            [("reference_temperature_C = 30", "reference_temperature_C = nan")],
            ("reference_temperature_C",),
        ),
        (
            "reference_temperature/true",
            "reference_temperature_C = true",
            [("reference_temperature_C = 30", "reference_temperature_C = true")],
            ("reference_temperature_C",),
        ),
        (
            "reference_temperature/text",
            'reference_temperature_C = "30"',
            [("reference_temperature_C = 30", 'reference_temperature_C = "30"')],
            ("reference_temperature_C",),
        ),
        ("mixture/unit-unknown", 'unit = "furlongs"', [('unit = "wt%"', 'unit = "furlongs"')], ("unit",)),
        ("mixture/total-0", "total = 0", [("total = 100", "total = 0")], ("total",)),
        ("mixture/total-negative", "total = -100", [("total = 100", "total = -100")], ("total",)),
        ("mixture/total-true", "total = true", [("total = 100", "total = true")], ("total",)),
        ("mixture/total-inf", "total = inf", [("total = 100", "total = inf")], ("total",)),
        ("mixture/total-nan", "total = nan", [("total = 100", "total = nan")], ("total",)),
        ("mixture/resolution-0", "resolution = 0", [("resolution = 1 ", "resolution = 0 ")], ("resolution",)),
        ("mixture/resolution-negative", "resolution = -1", [("resolution = 1 ", "resolution = -1 ")], ("resolution",)),
        ("mixture/resolution-true", "resolution = true", [("resolution = 1 ", "resolution = true ")], ("resolution",)),
        ("mixture/resolution-nan", "resolution = nan", [("resolution = 1 ", "resolution = nan ")], ("resolution",)),
        (
            "mixture/resolution-above-total",
            "resolution = 1000 (> total)",
            [("resolution = 1 ", "resolution = 1000 ")],
            ("resolution",),
        ),
        (
            "mixture/one-component",
            "a mixture of one component",
            [
                ("SN   = { min = 20, max = 70 }\nsalt = { min = 5,  max = 35 }\n", ""),
                (MEMA, "MEMA = { min = 100, max = 100 }"),
            ],
            ("components", "MEMA"),
        ),
        (
            "mixture/no-components",
            "an empty [mixture.components]",
            [(MEMA + "\n", ""), ("SN   = { min = 20, max = 70 }\nsalt = { min = 5,  max = 35 }\n", "")],
            ("components",),
        ),
        (
            "mixture/mins-above-total",
            "minimums summing above the total",
            [(MEMA, "MEMA = { min = 80, max = 90 }")],
            ("MEMA", "total", "min"),
        ),
        (
            "mixture/maxes-below-total",
            "maximums summing below the total",
            [
                (MEMA, "MEMA = { min = 1, max = 2 }"),
                ("SN   = { min = 20, max = 70 }", "SN   = { min = 1, max = 2 }"),
                ("salt = { min = 5,  max = 35 }", "salt = { min = 1,  max = 2 }"),
            ],
            ("total", "max"),
        ),
        ("mixture/component-name-space", "a component named 'M E'", [("MEMA = {", '"M E" = {')], ("M E",)),
    ]
    for value in ("true", "false", "-10", "inf", "-inf", "nan", '"10"', "1e300", "[10]"):
        mutations.append(
            (
                f"component-min/{_value_name(value)}",
                f"MEMA min = {value}",
                [(MEMA, f"MEMA = {{ min = {value}, max = 70 }}")],
                ("MEMA",),
            )
        )
    for value in ("true", "-1", "inf", "nan", "1e300", '"70"'):
        mutations.append(
            (
                f"component-max/{_value_name(value)}",
                f"MEMA max = {value}",
                [(MEMA, f"MEMA = {{ min = 10, max = {value} }}")],
                ("MEMA",),
            )
        )
    mutations += [
        ("component/min-above-max", "MEMA min = 70 > max = 10", [(MEMA, "MEMA = { min = 70, max = 10 }")], ("MEMA",)),
        ("component/unknown-key", "MEMA { mn = 10 }", [(MEMA, "MEMA = { mn = 10, max = 70 }")], ("MEMA", "mn")),
    ]
    for key, value in (
        ("min", "true"),
        ("min", "nan"),
        ("max", "inf"),
        ("max", "-0.5"),
        ("resolution", "0"),
        ("resolution", "-0.01"),
        ("resolution", "true"),
    ):
        text = {"min": "min = 0.0", "max": "max = 0.3", "resolution": "resolution = 0.01"}[key]
        new = LIDFOB.replace(text, f"{key} = {value}")
        mutations.append(
            (f"parameter-{key}/{value}", f"LiDFOB_mol_frac {key} = {value}", [(LIDFOB, new)], ("LiDFOB_mol_frac",))
        )
    mutations += [
        (
            "parameter/min-above-max",
            "LiDFOB_mol_frac min 0.3 > max 0.0",
            [(LIDFOB, "LiDFOB_mol_frac = { min = 0.3, max = 0.0, resolution = 0.01 }")],
            ("LiDFOB_mol_frac",),
        ),
        (
            "parameter/unknown-key",
            "LiDFOB_mol_frac { resolutoin = 0.01 }",
            [(LIDFOB, "LiDFOB_mol_frac = { min = 0.0, max = 0.3, resolutoin = 0.01 }")],
            ("LiDFOB_mol_frac", "resolutoin"),
        ),
        (
            "parameter/same-name-as-component",
            "a parameter named like a component",
            [("FEC_wt_pct      = {", "MEMA = { min = 0.0, max = 1.0 }\nFEC_wt_pct      = {")],
            ("MEMA",),
        ),
        (
            "categorical/empty-list",
            "choices = []",
            [(FRAMEWORK, "framework = { choices = [] }")],
            ("framework", "choices"),
        ),
        (
            "categorical/empty-choice",
            'choices = ["LLZT", ""]',
            [(FRAMEWORK, 'framework = { choices = ["LLZT", ""] }')],
            ("framework", "choices"),
        ),
        (
            "categorical/blank-choice",
            'choices = ["LLZT", "  "]',
            [(FRAMEWORK, 'framework = { choices = ["LLZT", "  "] }')],
            ("framework", "choices"),
        ),
        (
            "categorical/duplicate-choice",
            'choices = ["LLZT", "LLZT"]',
            [(FRAMEWORK, 'framework = { choices = ["LLZT", "LLZT"] }')],
            ("framework", "choices", "LLZT"),
        ),
        (
            "categorical/numbers",
            "choices = [1, 2]",
            [(FRAMEWORK, "framework = { choices = [1, 2] }")],
            ("framework", "choices"),
        ),
        (
            "categorical/mixed",
            'choices = ["LLZT", true]',
            [(FRAMEWORK, 'framework = { choices = ["LLZT", true] }')],
            ("framework", "choices"),
        ),
        (
            "categorical/string-not-list",
            'choices = "LLZT"',
            [(FRAMEWORK, 'framework = { choices = "LLZT" }')],
            ("framework", "choices"),
        ),
        (
            "categorical/nested-lists",
            'choices = [["LLZT"]]',
            [(FRAMEWORK, 'framework = { choices = [["LLZT"]] }')],
            ("framework", "choices"),
        ),
        ("objective/missing", "no [[objectives]]", [("[[objectives]]\n" + OBJECTIVE + "\n", "")], ("objectives",)),
        (
            "objective/direction-typo",
            'direction = "maximise"',
            [('direction = "maximize"', 'direction = "maximise"')],
            ("direction",),
        ),
        (
            "objective/direction-bool",
            "direction = true",
            [('direction = "maximize"', "direction = true")],
            ("direction",),
        ),
        (
            "objective/empty-name",
            'objective name = ""',
            [(OBJECTIVE, 'name = ""\ndirection = "maximize"')],
            ("name", "objectives"),
        ),
        (
            "objective/twice",
            "the same objective twice",
            [(OBJECTIVE, OBJECTIVE + "\n\n[[objectives]]\n" + OBJECTIVE)],
            ("conductivity_mS_cm",),
        ),
        (
            "objective/transform-typo",
            'transform = "ln"',
            [(OBJECTIVE, OBJECTIVE + '\ntransform = "ln"')],
            ("transform",),
        ),
        (
            "objective/unknown-key",
            'directon = "maximize"',
            [('direction = "maximize"', 'directon = "maximize"')],
            ("directon",),
        ),
        (
            "objective/is-a-variable",
            "an objective named like a component",
            [('name = "conductivity_mS_cm"', 'name = "MEMA"')],
            ("MEMA",),
        ),
        ("unknown-key/top-level", 'nmae = "x"', [("version = 1", 'version = 1\nnmae = "x"')], ("nmae",)),
        ("unknown-key/mixture", "totl = 100", [("total = 100", "total = 100\ntotl = 100")], ("totl",)),
        ("unknown-key/recipe", "aditives = {}", [("[recipe]", "[recipe]\naditives = {}")], ("aditives",)),
        ("unknown-key/table", "[mixtures] table", [("[mixture]", "[mixtures]\nx = 1\n[mixture]")], ("mixtures",)),
        (
            "recipe/molar-mass-negative",
            "a negative molar mass",
            [("LiTFSI = 287.09", "LiTFSI = -287.09")],
            ("LiTFSI", "molar mass"),
        ),
        ("recipe/molar-mass-zero", "a molar mass of 0", [("LiDFOB = 143.79", "LiDFOB = 0")], ("LiDFOB", "molar mass")),
        (
            "recipe/molar-mass-text",
            "a molar mass as text",
            [("LiDFOB = 143.79", 'LiDFOB = "143.79"')],
            ("LiDFOB", "molar"),
        ),
        (
            "recipe/split-unknown-parameter",
            "split by an unknown parameter",
            [('by = "LiDFOB_mol_frac"', 'by = "LiBOB_frac"')],
            ("LiBOB_frac",),
        ),
        (
            "recipe/split-unknown-component",
            "a split of an unknown component",
            [("[recipe.split.salt]", "[recipe.split.slat]")],
            ("slat",),
        ),
        (
            "recipe/additive-unknown-parameter",
            "an additive naming an unknown parameter",
            [('FEC = "FEC_wt_pct"', 'FEC = "VC_wt_pct"')],
            ("VC_wt_pct", "FEC"),
        ),
        ("recipe/additive-negative", "an additive of -1 wt%", [("AIBN = 1.0", "AIBN = -1.0")], ("AIBN",)),
        ("recipe/additive-200", "an additive of 200 wt%", [("AIBN = 1.0", "AIBN = 200.0")], ("AIBN",)),
        ("recipe/additive-inf", "an additive of inf wt%", [("AIBN = 1.0", "AIBN = inf")], ("AIBN",)),
        (
            "recipe/one-chemical-split",
            "a split into one chemical",
            [("molar_mass_g_mol = { LiTFSI = 287.09, LiDFOB = 143.79 }", "molar_mass_g_mol = { LiTFSI = 287.09 }")],
            ("salt", "split", "molar"),
        ),
        (
            "constraints/unknown-variable",
            "a constraint on MEME (typo)",
            [("[mixture]", 'constraints = ["MEME + SN <= 80"]\n\n[mixture]')],
            ("MEME",),
        ),
        (
            "constraints/syntax",
            "a constraint with '=='",
            [("[mixture]", 'constraints = ["MEMA == 30"]\n\n[mixture]')],
            ("MEMA == 30", "constraints"),
        ),
        (
            "constraints/parentheses",
            "a constraint with parentheses",
            [("[mixture]", 'constraints = ["(MEMA + SN) <= 80"]\n\n[mixture]')],
            ("constraints", "parenthes"),
        ),
        (
            "constraints/infeasible",
            "constraints that leave no formulation",
            [("[mixture]", 'constraints = ["MEMA + SN <= 10"]\n\n[mixture]')],
            ("constraints", "MEMA + SN <= 10"),
        ),
        (
            "constraints/categorical",
            "a constraint on the categorical framework",
            [("[mixture]", 'constraints = ["framework <= 1"]\n\n[mixture]')],
            ("framework",),
        ),
        (
            "constraints/not-a-list",
            "constraints as a string",
            [("[mixture]", 'constraints = "MEMA <= 60"\n\n[mixture]')],
            ("constraints",),
        ),
        (
            "strategy/unknown",
            'strategy name = "bayes"',
            [("[feasibility]", '[strategy]\nname = "bayes"\n\n[feasibility]')],
            ("bayes", "strategy"),
        ),
        (
            "strategy/n_initial-0",
            "n_initial = 0",
            [("[feasibility]", "[strategy]\nn_initial = 0\n\n[feasibility]")],
            ("n_initial",),
        ),
        (
            "strategy/n_initial-true",
            "n_initial = true",
            [("[feasibility]", "[strategy]\nn_initial = true\n\n[feasibility]")],
            ("n_initial",),
        ),
        (
            "strategy/n_initial-1e9",
            "n_initial = 1e9",
            [("[feasibility]", "[strategy]\nn_initial = 1e9\n\n[feasibility]")],
            ("n_initial",),
        ),
        (
            "feasibility/named-like-objective",
            "the outcome named like the objective",
            [('name = "solid"', 'name = "conductivity_mS_cm"')],
            ("conductivity_mS_cm", "feasibility"),
        ),
        ("feasibility/empty-name", "the outcome named ''", [('name = "solid"', 'name = ""')], ("feasibility", "name")),
        (
            "toml/unclosed-bracket",
            "a table header without ']'",
            [("[parameters]", "[parameters")],
            ("line", "campaign.toml"),
        ),
        (
            "toml/missing-equals",
            "a key without '='",
            [("reference_temperature_C = 30", "reference_temperature_C 30")],
            ("line", "campaign.toml"),
        ),
        (
            "toml/unterminated-string",
            "a string never closed",
            [('name = "llzt-cse"', 'name = "llzt-cse')],
            ("line", "campaign.toml"),
        ),
        (
            "toml/duplicate-key",
            "a component given twice",
            [(MEMA, MEMA + "\n" + MEMA)],
            ("line", "MEMA", "campaign.toml"),
        ),
        (
            "toml/duplicate-table",
            "[mixture] twice",
            [("[parameters]", "[mixture]\n[parameters]")],
            ("line", "mixture", "campaign.toml"),
        ),
    ]
    cases = [
        Case(
            f"campaign-file/{name}",
            fault,
            ["init", "campaign.toml"],
            expect,
            template="none",
            files={"campaign.toml": llzt_with(*reps)},
        )
        for name, fault, reps, expect in mutations
    ]
    whole: list[tuple[str, str, FileSpec, tuple[str, ...]]] = [
        ("file/empty", "an empty campaign file", "", ("campaign.toml",)),
        ("file/comments-only", "a file of comments only", "# nothing here\n", ("campaign.toml", "version", "name")),
        (
            "file/non-utf8",
            "a Latin-1 byte in the description",
            llzt_with(("MEMA/SN/Li-salt polymer", "MEMA/SN/Li-salt polym\u00e8re")).encode("latin-1"),
            ("campaign.toml", "UTF-8", "utf-8"),
        ),
        ("file/binary", "random bytes", bytes(range(256)) * 8, ("campaign.toml",)),
        (
            "file/deeply-nested-arrays",
            "an array nested 100,000 deep",
            "version = 1\nx = " + "[" * 100_000 + "]" * 100_000 + "\n",
            ("campaign.toml",),
        ),
        (
            "file/deeply-nested-tables",
            "inline tables nested 50,000 deep",
            "version = 1\nx = " + "{a = " * 50_000 + "1" + "}" * 50_000 + "\n",
            ("campaign.toml",),
        ),
        ("file/json", "a JSON file named .toml", json.dumps({"version": 1, "name": "x"}), ("campaign.toml", "line")),
        ("file/yaml", "a YAML file named .toml", "version: 1\nname: llzt\n", ("campaign.toml", "line")),
        (
            "file/huge-key-count",
            "20,000 unknown keys",
            "version = 1\n" + "".join(f"k{i} = {i}\n" for i in range(20_000)),
            ("campaign.toml", "k0"),
        ),
    ]
    cases += [
        Case(
            f"campaign-file/{name}",
            fault,
            ["init", "campaign.toml"],
            expect,
            template="none",
            files={"campaign.toml": content},
        )
        for name, fault, content, expect in whole
    ]
    cases += [
        Case(
            "campaign-file/file/missing",
            "a campaign file that does not exist",
            ["init", "nowhere.toml"],
            ("nowhere.toml",),
            template="none",
        ),
        Case(
            "campaign-file/file/folder",
            "a folder as the campaign file",
            ["init", "campaign.toml"],
            ("campaign.toml",),
            template="none",
            prepare=lambda d: (d / "campaign.toml").mkdir(),
        ),
        Case(
            "campaign-file/file/bom",
            "a UTF-8 byte-order mark (Windows editors)",
            ["init", "campaign.toml"],
            ("campaign.toml",),
            template="none",
            files={"campaign.toml": "\ufeff" + LLZT_SPEC.read_text()},
            valid=True,
        ),
        Case(
            "campaign-file/init-twice",
            "init of a campaign the store already holds",
            ["init", "campaign.toml"],
            ("llzt-cse", "exists"),
        ),
        Case(
            "campaign-file/update/min-true",
            "update with MEMA min = true",
            ["update", "bad.toml"],
            ("MEMA",),
            files={"bad.toml": llzt_with((MEMA, "MEMA = { min = true, max = 70 }"))},
        ),
        Case(
            "campaign-file/update/reference-temperature",
            "update with reference_temperature_C = -300",
            ["update", "bad.toml"],
            ("reference_temperature_C",),
            files={"bad.toml": llzt_with(("reference_temperature_C = 30", "reference_temperature_C = -300"))},
        ),
        Case(
            "campaign-file/update/missing",
            "update with a file that does not exist",
            ["update", "nowhere.toml"],
            ("nowhere.toml",),
        ),
    ]
    return cases


def _outside_eis(folder: Path) -> None:
    """A valid spectrum beside (not under) the manifest's folder raw/."""
    write_eis(folder / "outside.csv", 1.02, seed=42)


def _symlink(link: str, target: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        _outside_eis(folder)
        (folder / link).symlink_to(target.replace("{dir}", str(folder)))

    return make


def manifest_cases() -> list[Case]:
    """``optiform ingest`` on bad manifests and on files the analysis cannot trust."""
    ingest = ["ingest", "raw/m.csv"]
    eis = EIS_ROW
    rows: list[tuple[str, str, list[dict[str, Any]], tuple[str, ...]]] = [
        ("file/missing", "a file that does not exist", [dict(eis, file="nowhere.csv")], ("nowhere.csv",)),
        ("file/folder", "a folder as the file", [dict(eis, file=".")], ("line 2", "file")),
        ("file/empty", "an empty instrument file", [dict(eis, file="empty.csv")], ("empty.csv",)),
        (
            "file/header-only",
            "an instrument file with a header and no data",
            [dict(eis, file="header_only.csv")],
            ("header_only.csv", "line 2"),
        ),
        (
            "file/not-instrument",
            "a text file that is not an instrument file",
            [dict(eis, file="poem.csv")],
            ("poem.csv", "line 2"),
        ),
        ("file/binary", "random bytes named .csv", [dict(eis, file="binary.csv")], ("binary.csv", "line 2")),
        ("file/blank", "no file named", [dict(eis, file="")], ("line 2", "file")),
        (
            "path/dotdot",
            "a file outside the manifest's folder (../outside.csv)",
            [dict(eis, file="../outside.csv")],
            ("outside.csv", "--allow-outside"),
        ),
        (
            "path/absolute",
            "an absolute path to a file outside the manifest's folder",
            [dict(eis, file="{dir}/outside.csv")],
            ("outside.csv", "--allow-outside"),
        ),
        ("path/home", "a path starting with ~", [dict(eis, file="~/eis30.csv")], ("~/eis30.csv", "line 2")),
        ("kind/unknown", "kind = 'eis2'", [dict(eis, kind="eis2")], ("eis2",)),
        ("kind/blank", "no kind", [dict(eis, kind="")], ("line 2", "kind")),
        ("kind/lsv-file-as-eis", "an LSV sweep given as kind eis", [dict(eis, file="lsv.csv")], ("lsv.csv", "line 2")),
        (
            "kind/eis-file-as-lsv",
            "a spectrum given as kind lsv",
            [dict(id="F0003", kind="lsv", file="eis30.csv", area_cm2=AREA_CM2)],
            ("eis30.csv", "line 2"),
        ),
        ("id/unknown", "id F9999", [dict(eis, id="F9999")], ("F9999",)),
        ("id/cancelled", "the cancelled F0006", [dict(eis, id="F0006")], ("F0006",)),
        ("id/blank", "no id", [dict(eis, id="")], ("line 2", "id")),
        (
            "role/missing",
            "a transference file without a role",
            [dict(r, role="") if r["role"] == "ca" else r for r in TRANSFERENCE_ROWS],
            ("role",),
        ),
        (
            "role/unknown",
            "role = 'eis_middle'",
            [dict(r, role="eis_middle") if r["role"] == "ca" else r for r in TRANSFERENCE_ROWS],
            ("eis_middle", "role"),
        ),
        ("role/ca-missing", "a transference group without its CA file", TRANSFERENCE_ROWS[::2], ("ca", "role")),
        (
            "group/same-file-twice",
            "the same file twice in one group",
            [eis, dict(eis, temperature_C=40)],
            ("line 3", "same content"),
        ),
        ("group/same-row-twice", "the same row twice", [eis, eis], ("line 3",)),
        ("metadata/missing-thickness", "no thickness for eis", [dict(eis, thickness_um="")], ("thickness_um",)),
        ("metadata/missing-temperature", "no temperature for eis", [dict(eis, temperature_C="")], ("temperature_C",)),
        (
            "metadata/missing-delta-V",
            "no delta_V_mV for transference",
            [dict(r, delta_V_mV="") for r in TRANSFERENCE_ROWS],
            ("delta_V_mV",),
        ),
        ("metadata/solid-maybe", "solid = 'maybe'", [dict(eis, solid="maybe")], ("solid",)),
    ]
    for name, value in (
        ("0", "0"),
        ("negative", "-100"),
        ("inf", "inf"),
        ("nan", "nan"),
        ("text", "abc"),
        ("1e300", "1e300"),
        ("thousands-comma", "1,500"),
        ("1e-300", "1e-300"),
    ):
        rows.append(
            (
                f"metadata/thickness-{name}",
                f"thickness_um = {value!r}",
                [dict(eis, thickness_um=value)],
                ("thickness_um", "line 2"),
            )
        )
    for name, value in (("0", "0"), ("negative", "-2"), ("inf", "inf"), ("text", "two")):
        rows.append(
            (f"metadata/area-{name}", f"area_cm2 = {value!r}", [dict(eis, area_cm2=value)], ("area_cm2", "line 2"))
        )
    for name, value in (("-300", "-300"), ("inf", "inf"), ("text", "warm"), ("nan", "nan")):
        rows.append(
            (
                f"metadata/temperature-{name}",
                f"temperature_C = {value!r}",
                [dict(eis, temperature_C=value)],
                ("temperature_C", "line 2"),
            )
        )
    for name, value in (("0", "0"), ("negative", "-10"), ("inf", "inf")):
        rows.append(
            (
                f"metadata/delta-V-{name}",
                f"delta_V_mV = {value!r}",
                [dict(r, delta_V_mV=value) for r in TRANSFERENCE_ROWS],
                ("delta_V_mV", "line 2"),
            )
        )
    columns = [*MANIFEST_COLUMNS, "solid"]
    cases = [
        Case(f"manifest/{name}", fault, ingest, expect, files={"raw/m.csv": manifest(r, columns)}, prepare=_outside_eis)
        for name, fault, r, expect in rows
    ]
    for name, link, target in (
        ("relative", "raw/link.csv", "../outside.csv"),
        ("absolute", "raw/link.csv", "{dir}/outside.csv"),
    ):
        cases.append(
            Case(
                f"manifest/path/symlink-{name}",
                f"a symlink under raw/ to a file outside it ({name} target)",
                ingest,
                ("link.csv", "outside", "--allow-outside"),
                files={"raw/m.csv": manifest([dict(eis, file="link.csv")])},
                prepare=_symlink(link, target),
            )
        )
    tables: list[tuple[str, str, FileSpec, tuple[str, ...]]] = [
        ("table/empty", "an empty manifest", "", ("m.csv",)),
        (
            "table/missing-file-column",
            "no 'file' column",
            manifest([eis], ["id", "kind", "thickness_um", "area_cm2", "temperature_C"]),
            ("file",),
        ),
        (
            "table/unknown-column",
            "an unknown column 'thickness_mm'",
            manifest([dict(eis, thickness_mm=0.1)], [*MANIFEST_COLUMNS, "thickness_mm"]),
            ("thickness_mm",),
        ),
        (
            "table/ragged",
            "a row with a field too many",
            manifest([eis]) + "F0003,eis,eis30b.csv,,g2,100,2,30,,extra\n",
            ("line 3",),
        ),
        ("table/binary", "random bytes as the manifest", bytes(range(256)) * 8, ("m.csv",)),
        ("table/semicolon", "a semicolon-separated manifest", manifest([eis]).replace(",", ";"), ("m.csv", "column")),
    ]
    cases += [
        Case(f"manifest/{name}", fault, ingest, expect, files={"raw/m.csv": content})
        for name, fault, content, expect in tables
    ]
    cases += [
        Case(
            "manifest/valid/header-only",
            "a manifest with no row (nothing to ingest: a clean error or nothing stored)",
            ingest,
            ("m.csv", "no row", "empty"),
            files={"raw/m.csv": manifest([])},
            valid=True,
            check=nothing_new,
        ),
        Case(
            "manifest/table/missing", "a manifest that does not exist", ["ingest", "raw/nowhere.csv"], ("nowhere.csv",)
        ),
        Case("manifest/table/folder", "a folder as the manifest", ["ingest", "raw"], ("raw",)),
        Case(
            "manifest/valid/two-spectra-one-temperature",
            "two spectra of one group at one temperature (refused, or one measurement)",
            ingest,
            ("line 3", "g1", "30"),
            files={"raw/m.csv": manifest([eis, dict(eis, file="eis30b.csv")])},
            valid=True,
            check=lambda ctx: (
                None if len(ctx.new_measurements()) == 1 else f"{len(ctx.new_measurements())} measurements stored"
            ),
        ),
        Case(
            "manifest/valid/hash-in-group",
            "a group named '#2' (data, not a comment)",
            ingest,
            ("line 2", "group", "#2"),
            files={"raw/m.csv": manifest([dict(eis, group="#2")])},
            valid=True,
            check=lambda ctx: (
                None if len(ctx.new_measurements()) == 1 else "dropped: the row of group '#2' was not stored"
            ),
        ),
    ]
    untrusted: list[tuple[str, str, list[dict[str, Any]]]] = [
        (
            "full-cell",
            "a full Li-ion cell spectrum given as a blocking-electrode film",
            [dict(eis, file="fullcell.csv")],
        ),
        (
            "li-li-cell",
            "a Li | Li cell spectrum (diffusion tail) given as a blocking-electrode film",
            [dict(eis, file="before.csv")],
        ),
        ("no-capacitive-tail", "a spectrum without a capacitive tail", [dict(eis, file="notail.csv")]),
        (
            "truncated-ca",
            "a chronoamperometry trace cut before its steady state",
            [dict(r, file="ca_truncated.csv") if r["role"] == "ca" else r for r in TRANSFERENCE_ROWS],
        ),
        ("thickness-tiny", "thickness 1e-6 um: an implausible conductivity", [dict(eis, thickness_um="1e-6")]),
        ("thickness-huge", "thickness 1e9 um: an implausible conductivity", [dict(eis, thickness_um="1e9")]),
    ]
    for name, fault, r in untrusted:
        cases.append(
            Case(
                f"manifest/analysis/{name}",
                fault + " (must be refused or stored flagged)",
                ingest,
                ("line 2", "F0003"),
                files={"raw/m.csv": manifest(r)},
                valid=True,
                check=flagged_or_nothing,
            )
        )
    return cases


KEEP = "my notes: do not overwrite\n"


def option_cases() -> list[Case]:
    """Command-line options and ids that are wrong."""
    sobol = ["propose", "-n", "2", "--strategy", "sobol"]
    cases: list[Case] = []
    for name, command, fragments in (
        ("propose-out-csv", [*sobol, "--out", "mine.csv"], ("mine.csv",)),
        ("propose-out-xlsx", [*sobol, "--out", "mine.xlsx"], ("mine.xlsx",)),
        ("propose-out-sheet", [*sobol, "--batch-mass-g", "2", "--out", "mine.csv"], ("mine.csv",)),
        ("export-out", ["export", "--batch", "1", "--batch-mass-g", "2", "--out", "mine.csv"], ("mine.csv",)),
        ("pareto-csv", ["pareto", "--csv", "mine.csv"], ("mine.csv",)),
        ("plot-nyquist-out", ["plot", "nyquist", "F0002", "--out", "mine.png"], ("mine.png",)),
    ):
        cases.append(
            Case(
                f"options/overwrite/{name}",
                f"{' '.join(command[:2])} --out/--csv onto an existing file of the user's",
                command,
                fragments,
                files={fragments[0]: KEEP},
            )
        )
    cases += [
        Case(
            "options/out/folder",
            "propose --out an existing folder",
            [*sobol, "--out", "outdir.csv"],
            ("outdir.csv",),
            prepare=lambda d: (d / "outdir.csv").mkdir(),
        ),
        Case(
            "options/out/unwritable",
            "propose --out a path that cannot be written",
            [*sobol, "--out", "/proc/optiform-batch.csv"],
            ("/proc/optiform-batch.csv",),
        ),
        Case("options/out/txt", "propose --out batch.txt", [*sobol, "--out", "batch.txt"], ("batch.txt", "--out")),
        Case(
            "options/export/out-unwritable",
            "export --out a path that cannot be written",
            ["export", "--batch", "1", "--batch-mass-g", "2", "--out", "/proc/sheet.csv"],
            ("/proc/sheet.csv",),
        ),
    ]
    for value in (
        "framework",
        "framework=",
        "=LLZT",
        "framework=Glass",
        "nope=1",
        "porosity=abc",
        "porosity=5",
        "porosity=nan",
        "porosity=inf",
        "MEMA=30",
        "framework=LLZT,porosity=0.5",
        "porosity=True",
    ):
        name = value.split("=")[0] or "blank-name"
        cases.append(
            Case(
                f"options/fix/{re.sub(r'[^A-Za-z0-9]+', '-', value)}",
                f"--fix {value}",
                [*sobol, "--fix", value],
                ("--fix", name, value),
            )
        )
    for value in ("0", "-1", "abc", "1.5", ""):
        cases.append(
            Case(
                f"options/n/{value or 'blank'}",
                f"propose -n {value!r}",
                ["propose", "-n", value, "--strategy", "sobol"],
                ("-n", "--n"),
            )
        )
    for value in ("0", "-1", "inf", "-inf", "nan", "abc"):
        cases.append(
            Case(
                f"options/batch-mass-g/{value}",
                f"propose --batch-mass-g {value}",
                [*sobol, "--batch-mass-g", value],
                ("--batch-mass-g",),
            )
        )
    cases += [
        Case(
            "options/strategy/unknown",
            "propose --strategy bayes",
            ["propose", "-n", "2", "--strategy", "bayes"],
            ("bayes",),
        ),
        Case("options/seed/text", "propose --seed abc", [*sobol, "--seed", "abc"], ("--seed",)),
        Case(
            "options/campaign/unknown",
            "--campaign of a name the store does not hold",
            ["status", "--campaign", "nope"],
            ("nope",),
        ),
        Case(
            "options/store/missing",
            "status on a store that does not exist",
            ["status", "--store", "sqlite:///{dir}/nowhere.db"],
            ("nowhere.db",),
        ),
        Case(
            "options/store/bad-scheme",
            "a store URL of a database driver not installed",
            ["status", "--store", "oracle://scott:tiger@nowhere/db"],
            ("oracle",),
        ),
        Case(
            "options/store/missing-folder",
            "init into a store in a folder that does not exist",
            ["init", "campaign.toml", "--store", "sqlite:///{dir}/no/such/folder/x.db"],
            ("x.db", "folder"),
        ),
    ]
    amend = ["amend", "F0001", "--replicate", "1"]
    for name, command, fragments in (
        (
            "unknown-id",
            ["amend", "F9999", "--replicate", "1", "--set", "conductivity_mS_cm=1.0", "--reason", "typo"],
            ("F9999",),
        ),
        ("no-reason", [*amend, "--set", "conductivity_mS_cm=1.0"], ("reason",)),
        ("blank-reason", [*amend, "--set", "conductivity_mS_cm=1.0", "--reason", "   "], ("reason",)),
        (
            "replicate-0",
            ["amend", "F0001", "--replicate", "0", "--set", "conductivity_mS_cm=1.0", "--reason", "typo"],
            ("replicate",),
        ),
        (
            "replicate-99",
            ["amend", "F0001", "--replicate", "99", "--set", "conductivity_mS_cm=1.0", "--reason", "typo"],
            ("replicate", "99"),
        ),
        ("unknown-quantity", [*amend, "--set", "bogus=1", "--reason", "typo"], ("bogus",)),
        ("no-equals", [*amend, "--set", "conductivity_mS_cm", "--reason", "typo"], ("--set", "conductivity_mS_cm")),
        ("status-unknown", [*amend, "--status", "great", "--reason", "typo"], ("great", "status")),
        ("nothing-to-change", [*amend, "--reason", "typo"], ("F0001", "--set", "nothing")),
    ):
        cases.append(Case(f"options/amend/{name}", f"amend: {name.replace('-', ' ')}", command, fragments))
    for value in ("abc", "inf", "nan", "True", "1,234", "-1", "0", "1e309", "0.0009"):
        cases.append(
            Case(
                f"options/amend/value-{value}",
                f"amend --set conductivity_mS_cm={value}",
                [*amend, "--set", f"conductivity_mS_cm={value}", "--reason", "typo"],
                ("conductivity_mS_cm",),
            )
        )
    for name, command, fragments in (
        ("retract/unknown-id", ["retract", "F9999", "--replicate", "1", "--reason", "x"], ("F9999",)),
        ("retract/no-reason", ["retract", "F0001", "--replicate", "1"], ("reason",)),
        ("retract/replicate-99", ["retract", "F0001", "--replicate", "99", "--reason", "x"], ("replicate", "99")),
        (
            "retract/undo-not-retracted",
            ["retract", "F0001", "--replicate", "1", "--undo", "--reason", "x"],
            ("F0001", "retracted"),
        ),
        ("retract/pending", ["retract", "F0004", "--replicate", "1", "--reason", "x"], ("F0004",)),
        ("show/unknown-id", ["show", "F9999"], ("F9999",)),
        ("history/unknown-id", ["history", "F9999"], ("F9999",)),
        ("accept/unknown-id", ["accept", "F9999"], ("F9999",)),
        ("cancel/unknown-id", ["cancel", "F9999", "--reason", "x"], ("F9999",)),
        ("cancel/measured", ["cancel", "F0001", "--reason", "x"], ("F0001",)),
        ("cancel/cancelled", ["cancel", "F0006", "--reason", "x"], ("F0006",)),
        ("cancel/blank-id", ["cancel", "", "--reason", "x"], ("id", "''")),
        (
            "export/missing-batch",
            ["export", "--batch", "99", "--batch-mass-g", "2", "--out", "sheet.csv"],
            ("99", "batch"),
        ),
        ("export/batch-0", ["export", "--batch", "0", "--batch-mass-g", "2", "--out", "sheet.csv"], ("--batch",)),
        ("export/mass-0", ["export", "--batch", "1", "--batch-mass-g", "0", "--out", "sheet.csv"], ("--batch-mass-g",)),
        (
            "export/mass-nan",
            ["export", "--batch", "1", "--batch-mass-g", "nan", "--out", "sheet.csv"],
            ("--batch-mass-g",),
        ),
        (
            "export/out-txt",
            ["export", "--batch", "1", "--batch-mass-g", "2", "--out", "sheet.txt"],
            ("sheet.txt", "--out"),
        ),
        ("pareto/unknown-objective", ["pareto", "--objectives", "bogus"], ("bogus",)),
        ("pareto/csv-txt", ["pareto", "--csv", "front.txt"], ("front.txt", "--csv")),
        ("plot/ternary-axes", ["plot", "ternary", "--axes", "A,B,C", "--out", "t.png"], ("A", "axes")),
        ("plot/ternary-objective", ["plot", "ternary", "--objective", "bogus", "--out", "t.png"], ("bogus",)),
        ("plot/nyquist-unknown-id", ["plot", "nyquist", "F9999", "--out", "n.png"], ("F9999",)),
        ("plot/nyquist-bmp", ["plot", "nyquist", "F0002", "--out", "n.bmp"], ("n.bmp", "--out", ".png")),
    ):
        cases.append(Case(f"options/{name}", name.replace("/", ": ").replace("-", " "), command, fragments))
    return cases


GOOD_RESULTS = table_csv(RESULT_HEADER, [["F0004", "1.05", "true"]])


def _replace_store(make: Callable[[Path, bytes], bytes | None]) -> Callable[[Path], None]:
    """A prepare step: store.db becomes ``make(path, the template's bytes)`` (None: ``make`` wrote it)."""

    def prepare(folder: Path) -> None:
        path = folder / STORE
        data = path.read_bytes()
        path.unlink()
        out = make(path, data)
        if out is not None:
            path.write_bytes(out)

    return prepare


def _foreign_db(path: Path, _data: bytes) -> None:
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('lab inventory');"
    )
    con.commit()
    con.close()


def _edited_store(sql: str) -> Callable[[Path], None]:
    def prepare(folder: Path) -> None:
        con = sqlite3.connect(folder / STORE)
        con.executescript(sql)
        con.commit()
        con.close()

    return prepare


def _folder_store(path: Path, _data: bytes) -> None:
    path.mkdir()
    (path / "keep.txt").write_text("a folder named like the store\n")


STORE_FAULTS: list[tuple[str, str, Callable[[Path], None]]] = [
    (
        "text-file",
        "a text file as the store",
        _replace_store(lambda p, d: b"this is my lab notebook, not a database\n"),
    ),
    ("truncated", "the store cut to half its size", _replace_store(lambda p, d: d[: len(d) // 2])),
    ("truncated-header", "the store cut to its first 100 bytes", _replace_store(lambda p, d: d[:100])),
    ("zeroed", "the store overwritten with zeros", _replace_store(lambda p, d: bytes(len(d)))),
    (
        "random-bytes",
        "random bytes as the store",
        _replace_store(lambda p, d: bytes((i * 7919) % 256 for i in range(len(d)))),
    ),
    (
        "corrupt-pages",
        "the store with its second half overwritten",
        _replace_store(lambda p, d: d[: len(d) // 2] + bytes(len(d) - len(d) // 2)),
    ),
    ("foreign-sqlite", "another program's SQLite database", _replace_store(_foreign_db)),
    ("folder", "a folder as the store", _replace_store(_folder_store)),
    (
        "newer-schema",
        "a store of schema version 99",
        _edited_store("UPDATE meta SET value = '99' WHERE key = 'schema_version';"),
    ),
    (
        "no-schema-version",
        "a store whose meta table lost its version",
        _edited_store("DELETE FROM meta WHERE key = 'schema_version';"),
    ),
    (
        "dropped-table",
        "a store without its measurement_values table",
        _edited_store("PRAGMA foreign_keys=OFF; DROP TABLE measurement_values;"),
    ),
]


def store_cases() -> list[Case]:
    """Commands on stores that are not optiform stores, broken, newer, read-only."""
    commands = {
        "status": ["status"],
        "record": ["record", "good.csv"],
        "propose": ["propose", "-n", "2", "--strategy", "sobol"],
        "init": ["init", "small.toml"],
    }
    cases = []
    for fault, text, prepare in STORE_FAULTS:
        for command, args in commands.items():
            cases.append(
                Case(
                    f"store/{fault}/{command}",
                    f"{text}: optiform {command}",
                    args,
                    ("store", STORE),
                    files={"good.csv": GOOD_RESULTS},
                    prepare=prepare,
                )
            )
    cases += [
        Case(
            "store/empty-file/status",
            "a 0-byte file as the store: status",
            ["status"],
            ("store", STORE),
            prepare=_replace_store(lambda p, d: b""),
        ),
        Case(
            "store/empty-file/record",
            "a 0-byte file as the store: record",
            ["record", "good.csv"],
            ("store", STORE),
            files={"good.csv": GOOD_RESULTS},
            prepare=_replace_store(lambda p, d: b""),
        ),
        Case(
            "store/empty-file/init",
            "a 0-byte file as the store: init (an empty database: a new store)",
            ["init", "small.toml"],
            ("store", STORE),
            prepare=_replace_store(lambda p, d: b""),
            valid=True,
        ),
        Case(
            "store/foreign-sqlite/list",
            "another program's SQLite database: list",
            ["list"],
            ("store", STORE, "notes"),
            prepare=_replace_store(_foreign_db),
        ),
    ]
    read_only = [
        ("record", ["record", "good.csv"], False),
        ("propose", ["propose", "-n", "2", "--strategy", "sobol"], False),
        ("cancel", ["cancel", "F0005", "--reason", "x"], False),
        (
            "amend",
            ["amend", "F0001", "--replicate", "1", "--set", "conductivity_mS_cm=1.15", "--reason", "typo"],
            False,
        ),
        ("ingest", ["ingest", "raw/m.csv"], False),
        ("init", ["init", "small.toml"], False),
        ("status", ["status"], True),
        ("show", ["show", "F0001"], True),
        ("history", ["history", "F0001"], True),
        ("export", ["export", "--batch", "1", "--batch-mass-g", "2", "--out", "sheet.csv"], True),
    ]
    for command, args, reads in read_only:
        cases.append(
            Case(
                f"store/read-only/{command}",
                f"a read-only store file: {command}" + (" (reads: must work)" if reads else ""),
                args,
                ("read-only", "readonly", "read only", "store"),
                files={"good.csv": GOOD_RESULTS, "raw/m.csv": manifest([EIS_ROW])},
                prepare=_read_only,
                valid=reads,
                check=nothing_new if reads else None,
            )
        )
    for command, args in (("record", ["record", "good.csv"]), ("status", ["status"])):
        cases.append(
            Case(
                f"store/read-only-folder/{command}",
                f"a writable store in a read-only folder (no journal can be made): {command}",
                args,
                ("read-only", "readonly", "read only", "store", "journal"),
                files={"good.csv": GOOD_RESULTS},
                prepare=_read_only_folder,
                valid=command == "status",
            )
        )
    return cases


_PROTECTED: set[Path] = set()  # paths made immutable by this process (undone by restore_permissions)


def _protect(path: Path) -> None:
    """Make ``path`` unwritable: no write permission, and as root (whom modes do not stop) the immutable
    attribute (chattr +i: not even root writes, SQLite opens it read-only)."""
    path.chmod(0o555 if path.is_dir() else 0o444)
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            raise Skip(f"cannot make {path.name} read-only as root (chattr +i: {done.stderr.strip()}); run as a user")
        _PROTECTED.add(path)


def _read_only(folder: Path) -> None:
    _protect(folder / STORE)


def _read_only_folder(folder: Path) -> None:
    _protect(folder)


# --- locks, concurrency, kill -9 ----------------------------------------------------------------------
LOCKER = """import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
con.execute("BEGIN " + sys.argv[2])
con.execute("SELECT count(*) FROM sqlite_master").fetchone()
print("locked", flush=True)
sys.stdin.readline()
con.execute("ROLLBACK")
"""


class Lock:
    """Another connection holding ``BEGIN EXCLUSIVE`` (or ``IMMEDIATE``) on a store, in its own process."""

    def __init__(self, path: Path, mode: str = "EXCLUSIVE") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(path), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_locked(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "locked":
            raise RuntimeError(f"the lock was not taken: {line} {self.proc.stderr.read() if self.proc.stderr else ''}")

    def release(self) -> None:
        try:
            self.proc.communicate("\n", timeout=30)
        except (subprocess.TimeoutExpired, BrokenPipeError, ValueError):
            self.proc.kill()
            self.proc.wait()


def judge_after(ctx: Context, run: Run, files_before: dict[str, str]) -> tuple[str, str]:
    assert ctx.before is not None
    ctx.after = store_state(ctx.store)
    return judge(ctx, run, compare(ctx.before, ctx.after, files_before, files_state(ctx.folder)))


def locked(
    command: list[str], mode: str = "EXCLUSIVE", during: str | None = None
) -> Callable[[Context], tuple[str, str]]:
    """Run ``command`` while another connection holds the store's lock: taken before the command
    starts, or (``during``: the kill case's command of that name) at 40% of its undisturbed run time,
    after it opened the store and before it writes, then held until the command ends."""

    def run(ctx: Context) -> tuple[str, str]:
        delay_s = None if during is None else 0.4 * _calibrate(ctx, during, command)[0]
        files_before = files_state(ctx.folder)
        env = {"OPTIFORM_BUSY_TIMEOUT_S": BUSY_TIMEOUT_S}
        if delay_s is None:
            lock = Lock(ctx.store, mode)
            try:
                lock.wait_locked()
                result = ctx.run(command, env=env)
            finally:
                lock.release()
        else:
            proc = ctx.start(command, env=env)
            time.sleep(delay_s)
            lock = Lock(ctx.store, mode)
            try:
                lock.wait_locked()
                result = proc.wait(ctx.executor.timeout)
            finally:
                lock.release()
            ctx.runs.append(result)
        return judge_after(ctx, result, files_before)

    return run


def lock_cases() -> list[Case]:
    cases = []
    commands = {
        "status": ["status"],
        "record": ["record", "good.csv"],
        "propose": ["propose", "-n", "2", "--strategy", "sobol"],
        "ingest": ["ingest", "raw/m.csv"],
        "cancel": ["cancel", "F0005", "--reason", "x"],
        "amend": ["amend", "F0001", "--replicate", "1", "--set", "conductivity_mS_cm=1.15", "--reason", "typo"],
        "retract": ["retract", "F0001", "--replicate", "2", "--reason", "x"],
        "init": ["init", "small.toml"],
        "export": ["export", "--batch", "1", "--batch-mass-g", "2", "--out", "sheet.csv"],
    }
    files = {"good.csv": GOOD_RESULTS, "raw/m.csv": manifest([EIS_ROW])}
    for name, command in commands.items():
        cases.append(
            Case(
                f"lock/exclusive/{name}",
                f"{name} while another connection holds BEGIN EXCLUSIVE on the store",
                command,
                ("busy", "locked", "store"),
                files=files,
                run=locked(command),
                serial=True,
            )
        )
    for name in ("status", "record", "propose"):
        reads = name == "status"
        cases.append(
            Case(
                f"lock/immediate/{name}",
                f"{name} while another connection holds BEGIN IMMEDIATE (a writer) on the store"
                + (" (reads: may work)" if reads else ""),
                commands[name],
                ("busy", "locked", "store"),
                files=files,
                run=locked(commands[name], "IMMEDIATE"),
                serial=True,
                valid=reads,
            )
        )
    for name in ("record", "ingest", "propose"):
        command, big = KILL_COMMANDS[name]
        cases.append(
            Case(
                f"lock/during/{name}",
                f"'{' '.join(command)}' with BEGIN EXCLUSIVE taken by another connection at 40% of its run time",
                command,
                ("busy", "locked", "store"),
                files=big,
                run=locked(command, "EXCLUSIVE", during=name),
                serial=True,
                valid=True,
            )
        )
    return cases


def together(ctx: Context, commands: Sequence[Sequence[str]], stagger_s: float = 0.0) -> list[Run]:
    """Start every command at once (``stagger_s`` apart) and wait for all."""
    procs = []
    for command in commands:
        procs.append(ctx.start(command))
        if stagger_s:
            time.sleep(stagger_s)
    runs = [p.wait(ctx.executor.timeout) for p in procs]
    ctx.runs += runs
    return runs


def failures(runs: Sequence[Run]) -> tuple[str, str] | None:
    """The verdict when a concurrent command broke: a traceback, a hang or an unclear error."""
    for run in runs:
        if run.traceback or run.timed_out:
            return "traceback", run.first_line()
        if run.code != 0 and not run.error_lines():
            return "traceback", f"exit {run.code} without an error line: {run.first_line()}"
    return None


def lost_rows(ctx: Context) -> str | None:
    assert ctx.before is not None
    ctx.after = store_state(ctx.store)
    change = compare(ctx.before, ctx.after, {}, {})
    return "; ".join(change.lost) or None


def concurrent_propose(n_procs: int, n: int, strategy: str | None) -> Callable[[Context], tuple[str, str]]:
    """``n_procs`` x ``propose -n N`` at once: n_procs x N new points, distinct from each other and
    from every formulation pending or made before (cancelled ones may come back)."""
    command = ["propose", "-n", str(n), *(["--strategy", strategy] if strategy else [])]

    def run(ctx: Context) -> tuple[str, str]:
        before = formulations(ctx.store)
        runs = together(ctx, [command] * n_procs)
        broke = failures(runs)
        if broke:
            return broke
        if lost := lost_rows(ctx):
            return "data lost", lost
        new = formulations(ctx.store)[len(before) :]
        points = [json.dumps(f["values"], sort_keys=True) for f in new]
        blocked = {json.dumps(f["values"], sort_keys=True) for f in before if not f["cancelled"]}
        ok = sum(r.code == 0 for r in runs)
        if len(set(points)) != len(points):
            return (
                "data lost",
                f"{len(points)} new ids for {len(set(points))} distinct points (the same point handed out twice)",
            )
        if blocked & set(points):
            return "data lost", f"{len(blocked & set(points))} new point(s) repeat a pending or made formulation"
        if len(new) != ok * n:
            return "data lost", f"{ok} propose call(s) succeeded, {len(new)} formulations stored (expected {ok * n})"
        refused = [r.first_line() for r in runs if r.code != 0]
        return "ok", f"{len(new)} distinct points from {ok}/{n_procs} calls" + (
            f"; refused: {refused[0]}" if refused else ""
        )

    return run


def concurrent_same(
    commands: list[list[str]], expected_new: int, stagger_s: float = 0.0
) -> Callable[[Context], tuple[str, str]]:
    """Several commands storing the same thing at once: stored ``expected_new`` times (once), not more."""

    def run(ctx: Context) -> tuple[str, str]:
        runs = together(ctx, commands, stagger_s)
        broke = failures(runs)
        if broke:
            return broke
        if lost := lost_rows(ctx):
            return "data lost", lost
        new = ctx.new_measurements()
        ok = sum(r.code == 0 for r in runs)
        if len(new) > expected_new:
            return "data lost", f"stored {len(new)} times (duplicates), expected {expected_new}"
        if ok and len(new) < expected_new:
            return "data lost", f"{ok} call(s) succeeded but {len(new)} measurement(s) stored, expected {expected_new}"
        return "ok", f"stored once ({ok}/{len(runs)} calls succeeded): " + " | ".join(r.first_line() for r in runs)

    return run


def writers(n_writers: int, n_records: int) -> Callable[[Context], tuple[str, str]]:
    """``n_writers`` processes each recording ``n_records`` files one after the other (new replicates
    of F0005, all values distinct): every row stored, no error."""

    def run(ctx: Context) -> tuple[str, str]:
        values = {}
        for w in range(n_writers):
            for i in range(n_records):
                value = round(1.0 + 0.001 * (w * n_records + i + 1), 6)
                (ctx.folder / f"w{w}_{i}.csv").write_text(table_csv(RESULT_HEADER, [["F0005", value, "true"]]))
                values[(w, i)] = value
        pending = [[ctx.start(["record", f"w{w}_0.csv"]), w, 0] for w in range(n_writers)]
        runs = []
        while pending:
            for item in list(pending):
                proc, w, i = item
                if proc.poll() or time.perf_counter() - proc.start > ctx.executor.timeout:
                    runs.append(proc.wait(ctx.executor.timeout))
                    if i + 1 < n_records:
                        item[0], item[2] = ctx.start(["record", f"w{w}_{i + 1}.csv"]), i + 1
                    else:
                        pending.remove(item)
            time.sleep(0.01)
        ctx.runs += runs
        broke = failures(runs)
        if broke:
            return broke
        if lost := lost_rows(ctx):
            return "data lost", lost
        new = ctx.new_measurements()
        got = sorted(m["values"].get("conductivity_mS_cm", math.nan) for m in new)
        errors = [r.first_line() for r in runs if r.code != 0]
        if got != sorted(values.values()):
            return "data lost", f"{len(new)} of {len(values)} rows stored" + (
                f"; {len(errors)} refused: {errors[0]}" if errors else ""
            )
        if errors:
            return "traceback", f"every row stored, but {len(errors)} record(s) failed: {errors[0]}"
        replicates = sorted(m["replicate"] for m in new)
        if len(set(replicates)) != len(replicates):
            return "data lost", "two measurements with one replicate number"
        return "ok", f"all {len(values)} rows from {n_writers} writers stored"

    return run


def cancel_vs_record(ctx: Context) -> tuple[str, str]:
    (ctx.folder / "r.csv").write_text(GOOD_RESULTS)
    runs = together(ctx, [["cancel", "F0004", "--reason", "x"], ["record", "r.csv"]])
    broke = failures(runs)
    if broke:
        return broke
    if lost := lost_rows(ctx):
        return "data lost", lost
    cancelled = any(f["cancelled"] for f in formulations(ctx.store) if f["id"] == "F0004")
    measured = bool(ctx.new_measurements())
    if cancelled and measured:
        return "silent acceptance", "F0004 is both cancelled and measured"
    return "ok", " | ".join(r.first_line() for r in runs)


def concurrent_init(ctx: Context) -> tuple[str, str]:
    runs = together(ctx, [["init", "small.toml", "--store", f"sqlite:///{ctx.folder}/new.db"]] * 2)
    broke = failures(runs)
    if broke:
        return broke
    con = sqlite3.connect(f"file:{ctx.folder}/new.db?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM campaigns")]
    finally:
        con.close()
    ok = sum(r.code == 0 for r in runs)
    if names != ["small"] or ok != 1:
        return "data lost", f"campaigns {names} after {ok} successful init(s)"
    return "ok", " | ".join(r.first_line() for r in runs)


def concurrent_amend(ctx: Context) -> tuple[str, str]:
    amend = ["amend", "F0001", "--replicate", "1", "--reason", "typo", "--set"]
    runs = together(ctx, [[*amend, "conductivity_mS_cm=1.15"], [*amend, "conductivity_mS_cm=1.16"]])
    broke = failures(runs)
    if broke:
        return broke
    ctx.after = store_state(ctx.store)
    versions = sorted(v[2] for v in ctx.after.rows("measurement_versions") if v[1] == 1)
    ok = sum(r.code == 0 for r in runs)
    if versions != list(range(1, 2 + ok)):
        return "data lost", f"versions {versions} after {ok} successful amend(s)"
    return "ok", f"versions {versions}: " + " | ".join(r.first_line() for r in runs)


def concurrency_cases() -> list[Case]:
    eis_manifest = {"raw/m.csv": manifest([EIS_ROW])}
    return [
        Case(
            "concurrency/propose-3x4-default",
            "3 x 'propose -n 4' at once (design phase)",
            template="fresh",
            run=concurrent_propose(3, 4, None),
            serial=True,
        ),
        Case(
            "concurrency/propose-3x4-sobol",
            "3 x 'propose -n 4 --strategy sobol' at once",
            template="fresh",
            run=concurrent_propose(3, 4, "sobol"),
            serial=True,
        ),
        Case(
            "concurrency/propose-2x4-random-base",
            "2 x 'propose -n 4 --strategy random' at once beside pending and made formulations",
            run=concurrent_propose(2, 4, "random"),
            serial=True,
        ),
        *[
            Case(
                f"concurrency/ingest-2x-same-{k}",
                f"2 x 'ingest' of one manifest at once (try {k})",
                files=eis_manifest,
                run=concurrent_same([["ingest", "raw/m.csv"]] * 2, 1),
                serial=True,
            )
            for k in (1, 2, 3)
        ],
        Case(
            "concurrency/ingest-2x-staggered",
            "2 x 'ingest' of one manifest, 0.3 s apart",
            files=eis_manifest,
            run=concurrent_same([["ingest", "raw/m.csv"]] * 2, 1, 0.3),
            serial=True,
        ),
        Case(
            "concurrency/ingest-2x-transference",
            "2 x 'ingest' of one transference triple at once",
            files={"raw/m.csv": manifest(TRANSFERENCE_ROWS)},
            run=concurrent_same([["ingest", "raw/m.csv"]] * 2, 1),
            serial=True,
        ),
        *[
            Case(
                f"concurrency/record-2x-same-{k}",
                f"2 x 'record' of one file (no replicate column) at once (try {k})",
                files={"r.csv": GOOD_RESULTS},
                run=concurrent_same([["record", "r.csv"]] * 2, 1),
                serial=True,
            )
            for k in (1, 2, 3)
        ],
        Case(
            "concurrency/record-2x-same-replicate",
            "2 x 'record' of one file with replicate 1 at once",
            files={"r.csv": table_csv([*RESULT_HEADER, "replicate"], [["F0004", "1.05", "true", 1]])},
            run=concurrent_same([["record", "r.csv"]] * 2, 1),
            serial=True,
        ),
        Case(
            "concurrency/record-3x-same-xlsx",
            "3 x 'record' of one XLSX at once",
            files={"r.xlsx": xlsx(RESULT_HEADER, [["F0004", 1.05, True]])},
            run=concurrent_same([["record", "r.xlsx"]] * 3, 1),
            serial=True,
        ),
        Case(
            "concurrency/writers-4x5",
            "4 writers x 5 'record's each of new replicates of one formulation",
            run=writers(4, 5),
            serial=True,
        ),
        Case(
            "concurrency/cancel-vs-record",
            "'cancel F0004' and 'record' of F0004 at once",
            run=cancel_vs_record,
            serial=True,
        ),
        Case(
            "concurrency/init-2x",
            "2 x 'init' of one campaign into one new store at once",
            run=concurrent_init,
            serial=True,
        ),
        Case("concurrency/amend-2x", "2 x 'amend' of one measurement at once", run=concurrent_amend, serial=True),
    ]


BIG_RESULTS = table_csv(RESULT_HEADER, [["F0005", round(0.5 + i * 1e-4, 6), "true"] for i in range(3000)])
BIG_MANIFEST = manifest([dict(EIS_ROW, id="F0005", file=f"many_{i:02d}.csv", group=f"m{i:02d}") for i in range(24)])
KILL_COMMANDS: dict[str, tuple[list[str], dict[str, FileSpec]]] = {
    "record": (["record", "big.csv"], {"big.csv": BIG_RESULTS}),
    "ingest": (["ingest", "raw/big.csv"], {"raw/big.csv": BIG_MANIFEST}),
    "propose": (["propose", "-n", "40", "--strategy", "sobol"], {}),
    "init": (["init", "small.toml", "--store", "sqlite:///{dir}/new.db"], {}),
}
_calibrated: dict[str, tuple[float, dict[str, int]]] = {}


def _row_counts(state: StoreState) -> dict[str, int]:
    return {name: sum(rows.values()) for name, rows in (state.tables or {}).items()}


def _calibrate(ctx: Context, what: str, command: list[str]) -> tuple[float, dict[str, int]]:
    """The undisturbed run of a kill case's command on a copy of its folder: seconds, rows added per table."""
    if what not in _calibrated:
        copy = ctx.folder.parent / f"{ctx.folder.name}-calibration"
        shutil.copytree(ctx.folder, copy)
        calibration = Context(ctx.case, copy, ctx.executor)
        before = _row_counts(store_state(calibration.store))
        result = calibration.run(command)
        if result.code != 0:
            raise RuntimeError(f"kill -9 {what}: the undisturbed run failed: {result.first_line()}")
        after = _row_counts(store_state(calibration.store))
        _calibrated[what] = (result.seconds, {t: after.get(t, 0) - before.get(t, 0) for t in after})
        shutil.rmtree(copy, ignore_errors=True)
        shutil.rmtree(copy.parent / f"{copy.name}.logs", ignore_errors=True)
    return _calibrated[what]


def _kill(
    ctx: Context, command: list[str], journal: Path, seconds: float, after_journal_s: float | None, fraction: float
) -> str:
    """Start ``command`` and kill -9 it ``after_journal_s`` after SQLite's rollback journal appears (the
    write transaction has begun writing), or at ``fraction`` of ``seconds``. Says when it struck."""
    proc = ctx.start(command)
    if after_journal_s is None:
        time.sleep(seconds * fraction)
        when = f"at {seconds * fraction:.2f} s of {seconds:.2f} s"
    else:
        deadline = time.perf_counter() + 3 * seconds + 10
        while not proc.poll() and not journal.exists() and time.perf_counter() < deadline:
            time.sleep(0.0005)
        seen = journal.exists()
        time.sleep(after_journal_s)
        when = f"{after_journal_s * 1000:.0f} ms after the journal appeared" if seen else "no journal seen (WAL?)"
    if proc.poll():
        when = "after it ended"
    proc.kill()
    return when


def kill_during(
    what: str, after_journal_s: float | None = None, fraction: float = 0.5
) -> Callable[[Context], tuple[str, str]]:
    """kill -9 ``what`` during its write (``after_journal_s`` after the rollback journal appears) or at
    ``fraction`` of its undisturbed run time: the store must open, pass integrity_check, keep every
    earlier row and hold all of the command's rows or none."""
    command, _ = KILL_COMMANDS[what]

    def run(ctx: Context) -> tuple[str, str]:
        seconds, full = _calibrate(ctx, what, command)
        assert ctx.before is not None
        before = _row_counts(ctx.before)
        store = ctx.folder / "new.db" if what == "init" else ctx.store
        when = _kill(
            ctx, ctx.args(command), store.with_name(store.name + "-journal"), seconds, after_journal_s, fraction
        )
        recover(store)
        if what == "init":  # a new store: empty, or holding the campaign; init again must complete it
            state = store_state(store)
            if state.tables is None and state.exists:
                return "data lost", f"killed {when}: the new store is not a database ({state.error})"
            campaigns = sum(state.rows("campaigns").values())
            again = ctx.run(command)
            if campaigns == 0 and again.code != 0:
                return "data lost", f"killed {when}: the store cannot be initialised again: {again.first_line()}"
            if campaigns == 1 and again.code == 0:
                return "data lost", f"killed {when}: the campaign was stored, yet init stored it again"
            if again.traceback:
                return "traceback", again.first_line()
            return (
                "ok",
                f"killed {when}: {'the campaign' if campaigns else 'nothing'} stored, init again: {again.first_line()}",
            )
        ctx.after = store_state(ctx.store)
        change = compare(ctx.before, ctx.after, {}, {})
        if change.lost:
            return "data lost", f"killed {when}: " + "; ".join(change.lost)
        added = {t: n - before.get(t, 0) for t, n in _row_counts(ctx.after).items()}
        partial = {t: n for t, n in added.items() if n not in (0, full.get(t, 0)) and t not in WRITE_TABLES_IGNORED}
        if partial or len({bool(n) for t, n in added.items() if full.get(t)}) > 1:
            shown = ", ".join(f"{t} +{n} of {full.get(t, 0)}" for t, n in added.items() if n)
            return "data lost", f"killed {when}: half-written: {shown}"
        status = ctx.run(["status"])
        if status.code != 0:
            return "data lost", f"killed {when}: the store no longer opens: {status.first_line()}"
        return "ok", f"killed {when}: {'all' if any(added.values()) else 'nothing'} stored, integrity ok"

    return run


def kill_cases() -> list[Case]:
    cases = []
    for what, delays in (
        ("record", (0.0, 0.002, 0.01, 0.03, 0.1)),
        ("ingest", (0.0, 0.002, 0.01, 0.03, 0.1)),
        ("propose", (0.0, 0.005)),
        ("init", (0.0, 0.01)),
    ):
        files = KILL_COMMANDS[what][1]
        for delay in delays:
            cases.append(
                Case(
                    f"kill/{what}-in-write-{delay * 1000:g}ms",
                    f"kill -9 during '{what}', {delay * 1000:g} ms after its write began (the journal appeared)",
                    files=files,
                    run=kill_during(what, after_journal_s=delay),
                    serial=True,
                )
            )
    for what in ("record", "ingest"):
        for fraction in (0.5, 0.9):
            cases.append(
                Case(
                    f"kill/{what}-at-{int(fraction * 100)}pct",
                    f"kill -9 during '{what}' at {int(fraction * 100)}% of its undisturbed run time",
                    files=KILL_COMMANDS[what][1],
                    run=kill_during(what, fraction=fraction),
                    serial=True,
                )
            )
    return cases


def catalogue() -> list[Case]:
    """Every case, names unique."""
    cases = [
        *results_cases(),
        *campaign_file_cases(),
        *manifest_cases(),
        *option_cases(),
        *store_cases(),
        *lock_cases(),
        *concurrency_cases(),
        *kill_cases(),
    ]
    names = Counter(c.name for c in cases)
    twice = [n for n, k in names.items() if k > 1]
    if twice:
        raise ValueError(f"case names given twice: {', '.join(twice)}")
    return cases


# --- the runner's own check ---------------------------------------------------------------------------
def _lose_a_row(ctx: Context) -> tuple[str, str]:
    """A command that 'loses' a stored measurement value (deleted behind its back): must read as data lost."""
    files_before = files_state(ctx.folder)
    run = ctx.run(["history", "F0001"])
    con = sqlite3.connect(ctx.store)
    con.execute("DELETE FROM measurement_values WHERE id = (SELECT min(id) FROM measurement_values)")
    con.commit()
    con.close()
    return judge_after(ctx, run, files_before)


def self_test_cases() -> list[tuple[Case, str]]:
    """Cases whose verdict is known whatever optiform does, each with that verdict: the runner's
    classification checked end to end (``--self-test``; tests/test_faults.py)."""
    good = {"good.csv": GOOD_RESULTS}
    return [
        (
            Case(
                "self-test/clean-error",
                "a word as a value",
                ["record", "bad.csv"],
                (*LINE2, "conductivity_mS_cm"),
                files={"bad.csv": table_csv(RESULT_HEADER, [["F0004", "abc", "true"]])},
            ),
            "clean error",
        ),
        (
            Case(
                "self-test/silent-acceptance",
                "a valid results file declared bad",
                ["record", "good.csv"],
                ("good.csv",),
                files=good,
            ),
            "silent acceptance",
        ),
        (
            Case(
                "self-test/traceback",
                "--debug shows the traceback of an error",
                ["--debug", "record", "nowhere.csv"],
                ("nowhere.csv",),
            ),
            "traceback",
        ),
        (
            Case(
                "self-test/unclear-error",
                "an error that names none of the expected fragments",
                ["record", "nowhere.csv"],
                ("line 99",),
            ),
            "traceback",
        ),
        (Case("self-test/data-lost", "a stored value deleted", run=_lose_a_row), "data lost"),
        (
            Case(
                "self-test/ok",
                "a valid file stored as written",
                ["record", "good.csv"],
                files=good,
                valid=True,
                check=stored("F0004", 1.05),
            ),
            "ok",
        ),
        (
            Case(
                "self-test/wrongly-stored",
                "a valid file checked against another value",
                ["record", "good.csv"],
                files=good,
                valid=True,
                check=stored("F0004", 2.0),
            ),
            "silent acceptance",
        ),
        (
            Case(
                "self-test/kill-in-write",
                "kill -9 in ingest's write",
                files=KILL_COMMANDS["ingest"][1],
                run=kill_during("ingest", after_journal_s=0.0),
                serial=True,
            ),
            "ok",
        ),
    ]


# --- running the catalogue --------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _worker_run(name: str) -> Outcome:
    cases = _WORKER["cases"]
    return run_case(cases[name], _WORKER["executor"], _WORKER["workdir"], _WORKER["templates"], _WORKER["keep"])


def select(cases: list[Case], only: str | None) -> list[Case]:
    """Cases whose name matches ``only`` (a glob, or a substring when it has no wildcard; comma-separated)."""
    if not only:
        return cases
    patterns = [p.strip() for p in only.split(",") if p.strip()]
    return [
        c
        for c in cases
        if any(fnmatch.fnmatch(c.name, p) if any(ch in p for ch in "*?[") else p in c.name for p in patterns)
    ]


def run_all(
    cases: list[Case],
    executor: Executor,
    jobs: int = 2,
    keep: bool = False,
    workdir: Path | None = None,
    progress: Callable[[Outcome, int, int], None] | None = None,
) -> list[Outcome]:
    """Build the templates, run ``cases`` (``jobs`` at a time; serial cases alone, after), in catalogue order."""
    root = Path(workdir or tempfile.mkdtemp(prefix="optiform-faults-"))
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    templates, work = root / "templates", root / "cases"
    work.mkdir(exist_ok=True)
    work.chmod(0o755)
    build_templates(executor, templates)
    by_name = {c.name: c for c in cases}
    parallel = [c.name for c in cases if not c.serial]
    serial = [c.name for c in cases if c.serial]
    outcomes: dict[str, Outcome] = {}
    total = len(cases)

    def done(outcome: Outcome) -> None:
        outcomes[outcome.name] = outcome
        if progress:
            progress(outcome, len(outcomes), total)

    _WORKER.update(cases=by_name, executor=executor, workdir=work, templates=templates, keep=keep)
    if jobs > 1 and len(parallel) > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for outcome in pool.imap_unordered(_worker_run, parallel):
                done(outcome)
    else:
        for name in parallel:
            done(_worker_run(name))
    for name in serial:
        done(_worker_run(name))
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    return [outcomes[c.name] for c in cases]


def summary(outcomes: Sequence[Outcome]) -> str:
    """The last line: every case run (skipped ones left out) and its verdicts."""
    counts = Counter(o.verdict for o in outcomes)
    return SUMMARY.format(
        n=len(outcomes) - counts["skipped"],
        clean=counts["clean error"] + counts["ok"],
        tracebacks=counts["traceback"],
        silent=counts["silent acceptance"],
        lost=counts["data lost"],
    )


def write_tables(outcomes: Sequence[Outcome], folder: Path, header: str) -> tuple[Path, Path]:
    """faults.csv (one row per case) and faults.md (the summary by group and the cases not handled)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = folder / "faults.csv", folder / "faults.md"
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["case", "group", "verdict", "message", "fault", "seconds"])
        for o in outcomes:
            writer.writerow([o.name, o.group, o.verdict, o.message, o.fault, f"{o.seconds:.2f}"])
    cell = lambda text: text.replace("|", "\\|").replace("\n", " ")  # noqa: E731
    lines = [f"# Faults: {header}", "", summary(outcomes), ""]
    groups = sorted({o.group for o in outcomes})
    lines += [
        "| group | cases | " + " | ".join(VERDICTS) + " |",
        "|---|--:|" + "--:|" * len(VERDICTS),
    ]
    for g in groups:
        counts = Counter(o.verdict for o in outcomes if o.group == g)
        lines.append(f"| {g} | {sum(counts.values())} | " + " | ".join(str(counts[v]) for v in VERDICTS) + " |")
    bad = [o for o in outcomes if o.verdict not in ("clean error", "ok", "skipped")]
    if bad:
        lines += ["", "## Not handled", "", "| case | verdict | message |", "|---|---|---|"]
        lines += [f"| {o.name} | {o.verdict} | {cell(o.message)} |" for o in bad]
    lines += ["", f"Every case with its fault and message: {csv_path.name}."]
    md_path.write_text("\n".join(lines) + "\n")
    return csv_path, md_path


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"


def self_test(executor: Executor, jobs: int = 2) -> int:
    """Run :func:`self_test_cases`; 0 when every verdict is the one expected."""
    expected = {case.name: verdict for case, verdict in self_test_cases()}
    outcomes = run_all([case for case, _ in self_test_cases()], executor, jobs=jobs)
    wrong = 0
    for o in outcomes:
        good = o.verdict == expected[o.name]
        wrong += not good
        print(
            f"{'as expected' if good else 'WRONG':11s} {o.name}: {o.verdict} (expected {expected[o.name]}): {o.message[:150]}"
        )
    print(f"self-test: {len(outcomes) - wrong} of {len(outcomes)} as expected")
    return 1 if wrong else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, help="folder for faults.csv and faults.md (default benchmarks/results/faults-<date>)"
    )
    parser.add_argument("--only", help="run the cases whose name matches: a glob, or a substring; comma-separated")
    parser.add_argument(
        "--jobs", type=int, default=2, help="cases run at once (default 2; lock, concurrency and kill cases run alone)"
    )
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument(
        "--exec", dest="mode", choices=("fork", "subprocess"), default="fork", help="how commands start (default fork)"
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds before a command counts as hung (default 120)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the case folders (printed) for inspection")
    parser.add_argument("--quiet", action="store_true", help="print only the cases not handled and the summary")
    parser.add_argument(
        "--self-test", action="store_true", help="check the runner's verdicts on cases of known outcome"
    )
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test(Executor(args.mode, args.timeout), args.jobs)
    cases = select(catalogue(), args.only)
    if args.list:
        for c in cases:
            print(f"{c.name}\t{c.fault}")
        print(f"{len(cases)} case(s)")
        return 0
    if not cases:
        print(f"no case matches {args.only!r}")
        return 1
    started = datetime.now()
    executor = Executor(args.mode, args.timeout)
    workdir = Path(tempfile.mkdtemp(prefix="optiform-faults-")) if args.keep else None
    if workdir:
        print(f"case folders in {workdir}")

    def progress(o: Outcome, k: int, n: int) -> None:
        if not args.quiet or o.verdict not in ("clean error", "ok", "skipped"):
            print(f"[{k:3d}/{n}] {o.verdict:17s} {o.name}: {o.message[:150]}", flush=True)

    outcomes = run_all(cases, executor, jobs=max(1, args.jobs), keep=args.keep, workdir=workdir, progress=progress)
    seconds = (datetime.now() - started).total_seconds()
    header = (
        f"{len(cases)} cases, commit {git_commit()}, {started:%Y-%m-%d %H:%M}, {seconds:.0f} s, "
        f"--exec {args.mode}, --jobs {args.jobs}" + (f", --only {args.only}" if args.only else "")
    )
    out = args.out or ROOT / "benchmarks" / "results" / f"faults-{started:%Y-%m-%d}"
    csv_path, md_path = write_tables(outcomes, out, header)
    print(f"wrote {csv_path} and {md_path} ({header})")
    skipped = [o for o in outcomes if o.verdict == "skipped"]
    if skipped:
        print(f"skipped {len(skipped)} case(s) that cannot be set up here: {skipped[0].message}")
    print(summary(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
