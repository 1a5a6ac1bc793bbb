"""The :class:`Store`: campaigns, formulations, measurements and ingested raw files in a database,
behind methods in the domain's words that take and return plain data (DataFrames, dicts and the
records of :mod:`optiform.store.records`).

SQLite by default (a file, ``optiform.db`` in the working directory); any SQLAlchemy URL works
(``postgresql+psycopg://...``). Every write is one transaction: it is stored whole or not at all.
The schema is made and upgraded by Alembic when the store is opened (:mod:`optiform.store.migrate`).

Several processes may use one store at once. A write takes the store's write lock first (SQLite
``BEGIN IMMEDIATE``), decides inside its transaction what is new and what is already stored, and
is re-run from the start when the database refuses it (a unique constraint another process's rows
now break, or a store busy for a moment); a store still busy after ``$OPTIFORM_BUSY_TIMEOUT_S``
(default 30 s) is a one-line StoreError, and so is a read-only one.

A formulation's status is derived, not stored: ``cancelled`` when ``cancelled_at`` is set (only a
formulation without measurements can be cancelled, and a cancelled one takes none), ``pending``
without measurements, else from its measurements (``ok`` used by the model, ``failed`` without a
value, ``flagged`` from raw files with a failing quality flag, kept out of the model until accepted).
A measurement is never overwritten: a correction (``amend``), ``retract`` (kept, marked, out of the
model) and ``restore`` each add a version to its history (``measurement_history``).
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import pandas as pd
from sqlalchemy import Connection, create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import DataError, ProposalConflict, StoreError, StrategyError
from . import migrate
from .records import (
    AlreadyStored,
    CampaignRecord,
    IngestedGroup,
    MadeFormulation,
    NewMeasurement,
    RawFile,
    RecordOutcome,
    amend_command,
    cancelled_message,
    cancelled_text,
    retracted_text,
    utc_text,
    values_text,
)
from .schema import (
    AnalysisFileRow,
    AnalysisRow,
    CampaignRow,
    CampaignSpecRow,
    FormulationRow,
    MeasurementRow,
    MeasurementVersionRow,
    MetaRow,
    RawFileRow,
    ValueRow,
    utc_now,
)

DEFAULT_STORE_URL = "sqlite:///optiform.db"
SCHEMA_VERSION = migrate.SCHEMA_VERSION
BUSY_TIMEOUT_S = 30.0
"""How long a store busy with another process's write is waited for, in s (SQLite's busy timeout
and the retries together); ``$OPTIFORM_BUSY_TIMEOUT_S`` overrides it."""
CONFLICT_ATTEMPTS = 5  # a write refused by a unique constraint is re-run this often in all
RETRY_PAUSE_S = (0.02, 0.2)  # a re-run waits a random time in this range, so colliding writers part

T = TypeVar("T")
P = ParamSpec("P")

FORMULATION_COLUMNS = [
    "pk",
    "label",
    "source",
    "batch",
    "strategy",
    "created_at",
    "values",
    "cancelled_at",
    "cancel_reason",
    "made_values",
    "made_at",
]
SPEC_COLUMNS = ["version", "created_at", "author", "source", "note", "spec"]
MEASUREMENT_COLUMNS = [
    "label",
    "replicate",
    "status",
    "note",
    "created_at",
    "values",
    "retracted_at",
    "retract_reason",
    "created_by",
    "version",
]
HISTORY_COLUMNS = ["id", "replicate", "version", "action", "status", "note", "values", "reason", "author", "created_at"]
VALUE_RTOL = 1e-9  # two stored values are the same measurement's when they agree to this relative tolerance
ANALYSIS_COLUMNS = [
    "id",
    "replicate",
    "status",
    "kind",
    "group",
    "quantity",
    "value",
    "uncertainty",
    "temperature_C",
    "method",
    "flags",
    "files",
    "analysis_pk",
]


def resolve_store_url(url: str | None = None) -> str:
    """``url``, else ``$OPTIFORM_STORE``, else ``sqlite:///optiform.db``; a bare path means SQLite."""
    url = url or os.environ.get("OPTIFORM_STORE") or DEFAULT_STORE_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    return url


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return None if path in ("", ":memory:") else Path(path)


def busy_timeout_s() -> float:
    """How long to wait for a busy store, in s: ``$OPTIFORM_BUSY_TIMEOUT_S``, else :data:`BUSY_TIMEOUT_S`."""
    raw = os.environ.get("OPTIFORM_BUSY_TIMEOUT_S", "").strip()
    if not raw:
        return BUSY_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise StoreError(f"OPTIFORM_BUSY_TIMEOUT_S: expected a number of seconds >= 0, got {raw!r}")
    return value


def _sqlite_connect(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    """A connect hook: foreign keys on, the busy timeout, and transactions begun by SQLAlchemy
    (see _sqlite_begin)."""

    def connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite must not begin or commit on its own
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    return connect


def _sqlite_begin(conn: Connection) -> None:
    """``BEGIN IMMEDIATE`` for writes (the write lock first, so two writers queue instead of one
    failing at once), ``BEGIN`` for reads; either way DDL runs inside the transaction."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("optiform_write") else "BEGIN")


def next_label_number(labels: Iterable[str]) -> int:
    """One more than the highest ``F<number>`` label (1 when there is none)."""
    numbers = [int(m.group(1)) for label in labels if (m := re.fullmatch(r"F(\d+)", label))]
    return max(numbers, default=0) + 1


def _version(
    number: int,
    action: str,
    status: str,
    note: str,
    values: dict[str, float],
    reason: str = "",
    author: str | None = None,
) -> MeasurementVersionRow:
    """One entry of a measurement's history."""
    return MeasurementVersionRow(
        version=number, action=action, status=status, note=note, values=dict(values), reason=reason, author=author
    )


State = tuple[str, str, dict[str, float]]  # a measurement's (status, note, values)


def _same(a: State, b: State) -> bool:
    """Same status, note and quantities, values equal within VALUE_RTOL."""
    return (
        a[0] == b[0]
        and a[1] == b[1]
        and a[2].keys() == b[2].keys()
        and all(math.isclose(a[2][q], b[2][q], rel_tol=VALUE_RTOL, abs_tol=0.0) for q in a[2])
    )


@dataclass
class _Held:
    """A measurement of a formulation as :meth:`Store.add_measurements` sees it: stored before the
    call (``where`` empty) or added earlier in it (``where`` names its row)."""

    replicate: int
    current: State
    earlier: list[State] = field(default_factory=list)  # the states of its older versions
    by_hand: bool = True  # version 1 was recorded, not ingested
    retracted: bool = False
    where: str = ""
    used: bool = False  # already matched by a row of this call

    def match(self, state: State) -> str | None:
        """None when ``state`` is neither its current state nor that of an older version; else a
        remark: ``""``, ``"amended since"`` (an older version's), ``"retracted"`` or both."""
        if _same(self.current, state):
            remarks = []
        elif any(_same(old, state) for old in self.earlier):
            remarks = ["amended since"]
        else:
            return None
        return ", ".join([*remarks, *(["retracted"] if self.retracted else [])])


def _same_masses(a: dict[str, Any], b: dict[str, float]) -> bool:
    """The same chemicals with the same masses (to float precision)."""
    return a.keys() == b.keys() and all(math.isclose(float(a[k]), float(b[k]), rel_tol=1e-12) for k in a)


def _refuse_non_finite(items: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """DataError listing every (where, quantity, value) whose value is not a finite number: the
    store holds finite numbers only (inf or NaN would become the best result or break the model)."""
    bad = [
        f"{where}: {q} = {v!r} is not a finite number; nothing stored"
        for where, values in items
        for q, v in values.items()
        if v is not None and not _finite(v)
    ]
    if bad:
        raise DataError("\n".join(bad))


def _finite(v: Any) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError, OverflowError):
        return False


def _busy(reason: str) -> bool:
    return "locked" in reason or "busy" in reason


def _read_only(reason: str) -> bool:
    return "readonly" in reason or "read-only" in reason or "read only" in reason


def _database_errors(method: Callable[Concatenate[Store, P], T]) -> Callable[Concatenate[Store, P], T]:
    """Run a Store method, re-running it from the start when the database refuses it for a reason
    another process caused: a unique constraint broken by rows stored since the method read (its
    own checks then see them), up to :data:`CONFLICT_ATTEMPTS` times, or a store busy with another
    process's write, until :attr:`Store.busy_timeout_s` has passed (SQLite's own wait included).
    Each re-run waits a short random pause. What remains becomes a one-line StoreError naming the
    store: busy, read-only, or the database's reason; no SQLAlchemy error leaves the store."""

    @functools.wraps(method)
    def wrapper(store: Store, *args: P.args, **kwargs: P.kwargs) -> T:
        start = time.monotonic()
        conflicts = 0
        while True:
            try:
                return method(store, *args, **kwargs)
            except IntegrityError as exc:
                conflicts += 1
                if conflicts >= CONFLICT_ATTEMPTS:
                    raise StoreError(f"cannot use store {store.url!r}: {exc.orig}") from None
            except OperationalError as exc:
                reason = str(exc.orig)
                if _read_only(reason):
                    raise store.read_only_error(reason) from None
                if not _busy(reason):
                    raise StoreError(f"cannot use store {store.url!r}: {reason}") from None
                waited = time.monotonic() - start
                if waited >= store.busy_timeout_s:
                    raise StoreError(
                        f"store {store.name} is busy (another process has held it for {waited:.0f} s); try again"
                    ) from None
            except DBAPIError as exc:  # other database errors: no SQLAlchemy traceback
                raise StoreError(f"cannot use store {store.url!r}: {exc.orig}") from None
            time.sleep(random.uniform(*RETRY_PAUSE_S))

    return wrapper


def _same_point(stored: dict[str, Any], new: dict[str, Any], absent: Mapping[str, Any]) -> bool:
    """Whether a stored formulation's variables (a variable it lacks taking its ``absent`` value)
    equal a new one's, numbers within a relative 1e-9."""
    for name, value in new.items():
        have = stored.get(name, absent.get(name))
        if have is None or value is None or isinstance(have, str) != isinstance(value, str):
            return False
        if isinstance(value, str):
            if have != value:
                return False
        elif not math.isclose(float(have), float(value), rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


class Store:
    """A database holding campaigns. Open with a URL; the schema is created (or upgraded) on open."""

    def __init__(self, url: str | None = None, create: bool = True) -> None:
        """Open the store at ``url``; with ``create=False`` a missing SQLite file or an empty database
        is an error instead of a new empty store."""
        self.url = resolve_store_url(url)
        self.busy_timeout_s = busy_timeout_s()
        """How long a busy store is waited for, in s (see :data:`BUSY_TIMEOUT_S`)."""
        path = _sqlite_path(self.url)
        self.path = path
        """The store's file (SQLite), else None."""
        if not create and path is not None and not path.exists():
            raise StoreError(f"no store at {path}; create one with 'optiform init FILE' (or pass --store URL)")
        if path is not None and path.is_dir():
            raise StoreError(f"store {path} is a folder; name a file, e.g. {path / 'optiform.db'}")
        try:
            self.engine: Engine = create_engine(self.url)
        except (ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot open store {self.url!r}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect(round(self.busy_timeout_s * 1000)))
            event.listen(self.engine, "begin", _sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._upgrade(create)

    @_database_errors
    def _upgrade(self, create: bool) -> None:
        with self.engine.connect().execution_options(optiform_write=True) as conn, conn.begin():
            migrate.upgrade(conn, self.url, create)

    @property
    @_database_errors
    def schema_version(self) -> int:
        with self._sessions() as s:
            row = s.get(MetaRow, "schema_version")
            return int(row.value) if row is not None else 0

    @property
    def name(self) -> str:
        """The store's file (SQLite) or URL, for messages."""
        return str(self.path) if self.path is not None else self.url

    def read_only_error(self, reason: str) -> StoreError:
        """The error for a store that cannot be written."""
        return StoreError(
            f"store {self.name} is read-only ({reason}): optiform writes to the store"
            + (
                " and creates a journal file next to it; make both the file and its folder writable"
                if self.path
                else ""
            )
        )

    @_database_errors
    def check_writable(self) -> None:
        """StoreError when the store cannot be written (a read-only file or folder, a read-only
        database), before any work is done; nothing is written. Waits for a busy store as a write does."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect().execution_options(optiform_write=True) as conn, conn.begin() as transaction:
            version = conn.exec_driver_sql("PRAGMA user_version").scalar()
            try:  # a write of the header page, rolled back: journal and file must be writable
                conn.exec_driver_sql(f"PRAGMA user_version = {int(version or 0)}")
            except OperationalError as exc:
                reason = str(exc.orig)
                if _read_only(reason) or "unable to open" in reason:
                    raise self.read_only_error(reason) from None
                raise
            transaction.rollback()

    @contextmanager
    def _write(self, campaign_id: int | None = None) -> Iterator[Session]:
        """A session whose writes commit together at the end of the block, or not at all. With
        ``campaign_id``, the campaign's row is locked first (``SELECT ... FOR UPDATE``: writes that
        decide what is new serialise per campaign on a database server; SQLite's ``BEGIN
        IMMEDIATE`` already serialises every write)."""
        with self._sessions(bind=self.engine.execution_options(optiform_write=True)) as session, session.begin():
            if campaign_id is not None:
                session.execute(select(CampaignRow.id).where(CampaignRow.id == campaign_id).with_for_update())
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # --- campaigns ---------------------------------------------------------------------------
    @_database_errors
    def campaign_names(self) -> list[str]:
        """Names of the campaigns in the store, oldest first."""
        with self._sessions() as s:
            return list(s.scalars(select(CampaignRow.name).order_by(CampaignRow.id)))

    @_database_errors
    def campaigns(self) -> pd.DataFrame:
        """One row per campaign, oldest first: name, description, created_at, formulations,
        measurements (stored results, replicates counted) and pending (formulations without a
        result that were not cancelled)."""
        with self._sessions() as s:
            rows = s.execute(
                select(CampaignRow.id, CampaignRow.name, CampaignRow.spec_json, CampaignRow.created_at).order_by(
                    CampaignRow.id
                )
            ).all()
            n_formulations = dict(
                s.execute(select(FormulationRow.campaign_id, func.count()).group_by(FormulationRow.campaign_id)).all()
            )
            n_measurements = dict(
                s.execute(
                    select(FormulationRow.campaign_id, func.count())
                    .join(MeasurementRow)
                    .group_by(FormulationRow.campaign_id)
                ).all()
            )
            measured = select(MeasurementRow.formulation_id)
            n_pending = dict(
                s.execute(
                    select(FormulationRow.campaign_id, func.count())
                    .where(FormulationRow.cancelled_at.is_(None), FormulationRow.id.not_in(measured))
                    .group_by(FormulationRow.campaign_id)
                ).all()
            )
        return pd.DataFrame(
            [
                (
                    r.name,
                    str(json.loads(r.spec_json).get("description", "")),
                    r.created_at,
                    int(n_formulations.get(r.id, 0)),
                    int(n_measurements.get(r.id, 0)),
                    int(n_pending.get(r.id, 0)),
                )
                for r in rows
            ],
            columns=["name", "description", "created_at", "formulations", "measurements", "pending"],
        )

    @_database_errors
    def add_campaign(
        self, name: str, spec: dict[str, Any], seed: int = 0, source: str | None = None, author: str | None = None
    ) -> int:
        """Store a new campaign (its spec as a JSON-able dict, version 1, read from the file
        ``source``); returns its id. StoreError if the store already holds a campaign of that name."""

        with self._write() as s:
            if s.scalar(select(CampaignRow.id).where(CampaignRow.name == name)) is not None:
                raise StoreError(
                    f"store {self.url} already holds a campaign named {name!r}; to change its campaign file, "
                    "use 'optiform update FILE' (Campaign.update)"
                )
            text = json.dumps(spec)
            row = CampaignRow(name=name, spec_json=text, seed=seed)
            row.specs.append(CampaignSpecRow(version=1, spec_json=text, source=source, author=author, note=""))
            s.add(row)
            s.flush()
            return row.id

    @_database_errors
    def campaign(self, name: str | None = None) -> CampaignRecord:
        """The named campaign, or the only one when ``name`` is None (its latest spec version)."""
        with self._sessions() as s:
            rows = s.execute(
                select(CampaignRow.id, CampaignRow.name, CampaignRow.spec_json, CampaignRow.seed).order_by(
                    CampaignRow.id
                )
            ).all()
            latest = {  # campaign id -> (version, source) of its latest spec
                cid: (version, source)
                for cid, version, source in s.execute(
                    select(CampaignSpecRow.campaign_id, CampaignSpecRow.version, CampaignSpecRow.source).order_by(
                        CampaignSpecRow.version
                    )
                )
            }
        if not rows:
            raise StoreError(f"store {self.url} holds no campaign; create one with 'optiform init FILE'")
        if name is None:
            if len(rows) > 1:
                names = ", ".join(r.name for r in rows)
                raise StoreError(f"store {self.url} holds several campaigns ({names}); name one")
            row = rows[0]
        else:
            matches = [r for r in rows if r.name == name]
            if not matches:
                raise StoreError(f"store {self.url} has no campaign {name!r}; it has {', '.join(r.name for r in rows)}")
            row = matches[0]
        version, source = latest.get(row.id, (1, None))
        return CampaignRecord(
            id=row.id,
            name=row.name,
            spec=json.loads(row.spec_json),
            seed=row.seed,
            spec_version=version,
            source=source,
        )

    @_database_errors
    def update_campaign(
        self,
        campaign_id: int,
        spec: dict[str, Any],
        source: str | None = None,
        author: str | None = None,
        note: str = "",
    ) -> int:
        """Store ``spec`` (a JSON-able dict) as the campaign's next spec version, read from the file
        ``source``, and make it the current one (one transaction); returns the new version number.
        StoreError when the spec names another campaign."""
        with self._write() as s:
            row = s.get(CampaignRow, campaign_id)
            if row is None:
                raise StoreError(f"store {self.url} has no campaign {campaign_id}")
            if spec.get("name") != row.name:
                raise StoreError(
                    f"the spec names campaign {spec.get('name')!r}, not {row.name!r}; a campaign's name cannot change"
                )
            last = s.scalar(select(func.max(CampaignSpecRow.version)).where(CampaignSpecRow.campaign_id == row.id))
            version = int(last or 0) + 1
            text = json.dumps(spec)
            row.specs.append(
                CampaignSpecRow(version=version, spec_json=text, source=source, author=author, note=note.strip())
            )
            row.spec_json = text
            return version

    @_database_errors
    def campaign_specs(self, campaign_id: int) -> pd.DataFrame:
        """Every version of a campaign's spec, oldest first: version, created_at, author, source (the
        campaign file), note, spec (the JSON dict)."""
        with self._sessions() as s:
            rows = s.execute(
                select(
                    CampaignSpecRow.version,
                    CampaignSpecRow.created_at,
                    CampaignSpecRow.author,
                    CampaignSpecRow.source,
                    CampaignSpecRow.note,
                    CampaignSpecRow.spec_json,
                )
                .where(CampaignSpecRow.campaign_id == campaign_id)
                .order_by(CampaignSpecRow.version)
            ).all()
        return pd.DataFrame(
            [(r.version, r.created_at, r.author, r.source, r.note, json.loads(r.spec_json)) for r in rows],
            columns=SPEC_COLUMNS,
        )

    # --- formulations ------------------------------------------------------------------------
    @_database_errors
    def formulations(self, campaign_id: int) -> pd.DataFrame:
        """One row per formulation, in the order made: pk, label, source, batch, strategy,
        created_at, values (dict), cancelled_at (None unless withdrawn), cancel_reason, made_values
        (the composition actually made, a dict, or None) and made_at (None until recorded)."""
        with self._sessions() as s:
            rows = s.execute(
                select(
                    FormulationRow.id,
                    FormulationRow.label,
                    FormulationRow.source,
                    FormulationRow.batch,
                    FormulationRow.strategy,
                    FormulationRow.created_at,
                    FormulationRow.values,
                    FormulationRow.cancelled_at,
                    FormulationRow.cancel_reason,
                    FormulationRow.made_values,
                    FormulationRow.made_at,
                )
                .where(FormulationRow.campaign_id == campaign_id)
                .order_by(FormulationRow.id)
            ).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=FORMULATION_COLUMNS)

    @_database_errors
    def last_formulation_pk(self, campaign_id: int) -> int:
        """The pk of the campaign's newest formulation (0 when it has none): pass it to
        :meth:`add_formulations` as ``expected_last`` to store a proposal only if no formulation was
        added since it was read."""
        with self._sessions() as s:
            last = s.scalar(select(func.max(FormulationRow.id)).where(FormulationRow.campaign_id == campaign_id))
        return int(last or 0)

    @_database_errors
    def add_formulations(
        self,
        campaign_id: int,
        values: Sequence[dict[str, Any]],
        source: str = "proposed",
        batch: int | None = None,
        strategy: str | None = None,
        author: str | None = None,
        expected_last: int | None = None,
        absent: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """Store new formulations (their variables as JSON-able dicts) under the next free labels
        ``F0001``, ``F0002``, ...; returns the labels.

        ``expected_last``: the :meth:`last_formulation_pk` the proposal was computed after;
        ProposalConflict, and nothing stored, when a formulation was added to the campaign since
        (by another process). A proposed formulation equal to one of the campaign's that is not
        cancelled (pending or made; a variable a stored one lacks takes its value in ``absent``) is
        never stored: StrategyError, and nothing stored."""

        with self._write(campaign_id) as s:
            if expected_last is not None:
                last = s.scalar(select(func.max(FormulationRow.id)).where(FormulationRow.campaign_id == campaign_id))
                if int(last or 0) > expected_last:
                    raise ProposalConflict(
                        f"store {self.name}: formulations were added to the campaign while this batch was proposed"
                    )
            if source == "proposed":
                self._check_new_points(s, campaign_id, values, strategy, absent or {})
            start = next_label_number(self._labels(s, campaign_id))
            labels = [f"F{start + i:04d}" for i in range(len(values))]
            for label, row in zip(labels, values):
                s.add(
                    FormulationRow(
                        campaign_id=campaign_id,
                        label=label,
                        values=dict(row),
                        source=source,
                        batch=batch,
                        strategy=strategy,
                        created_by=author,
                    )
                )
        return labels

    def _check_new_points(
        self,
        s: Session,
        campaign_id: int,
        values: Sequence[dict[str, Any]],
        strategy: str | None,
        absent: Mapping[str, Any],
    ) -> None:
        """StrategyError when a proposed formulation equals another of the batch or one of the
        campaign's that is not cancelled."""
        stored = s.execute(
            select(FormulationRow.id, FormulationRow.label, FormulationRow.values, FormulationRow.made_at).where(
                FormulationRow.campaign_id == campaign_id, FormulationRow.cancelled_at.is_(None)
            )
        ).all()
        for i, new in enumerate(values):
            for j in range(i):
                if _same_point(values[j], new, {}):
                    raise StrategyError(
                        f"strategy {strategy!r} proposed the same formulation twice in one batch; nothing stored"
                    )
            for row in stored:
                if _same_point(row.values, new, absent):
                    measured = s.scalar(select(func.count()).where(MeasurementRow.formulation_id == row.id))
                    state = "made" if measured or row.made_at is not None else "pending"
                    raise StrategyError(
                        f"strategy {strategy!r} proposed the formulation of {row.label} ({state}) again; nothing stored"
                    )

    @_database_errors
    def cancel(self, campaign_id: int, label: str, reason: str = "", campaign_name: str = "") -> None:
        """Mark a pending formulation cancelled now, with ``reason``. DataError for an unknown id, one
        already cancelled, or one with results."""

        with self._write() as s:
            f = self._formulation(s, campaign_id, label, campaign_name)
            if f.cancelled_at is not None:
                raise DataError(f"{label} was already {cancelled_text(f.cancelled_at, f.cancel_reason)}")
            if f.measurements:
                raise DataError(
                    f"{label} has {len(f.measurements)} recorded result(s); only a pending formulation can be cancelled"
                )
            f.cancelled_at = utc_now()
            f.cancel_reason = reason.strip()

    @_database_errors
    def set_made(self, campaign_id: int, made: Sequence[MadeFormulation], author: str | None = None) -> list[str]:
        """Store the composition actually made of formulations (its variables and the masses
        weighed, g), now, by ``author``, in one transaction; returns the labels skipped because the
        same masses are already recorded. DataError, and nothing stored, for an unknown or cancelled
        formulation or one already recorded as made with other masses."""

        already: list[str] = []
        with self._write(campaign_id) as s:
            forms = {f.label: f for f in s.scalars(self._formulations_of(campaign_id))}
            for item in made:
                where = f"{item.where}: " if item.where else ""
                f = forms.get(item.label)
                if f is None:
                    raise DataError(f"{where}unknown sample id {item.label!r}")
                if f.cancelled_at is not None:
                    raise DataError(
                        f"{where}sample {item.label} was {cancelled_text(f.cancelled_at, f.cancel_reason)}; "
                        "a cancelled formulation is not made"
                    )
                if f.made_at is not None:
                    if _same_masses(f.made_masses_g or {}, item.masses_g):
                        already.append(item.label)
                        continue
                    raise DataError(
                        f"{where}{item.label} is already recorded as made ({utc_text(f.made_at)}"
                        f"{', by ' + f.made_by if f.made_by else ''}) with other masses"
                    )
                f.made_values = dict(item.values)
                f.made_masses_g = {chem: float(m) for chem, m in item.masses_g.items()}
                f.made_at = utc_now()
                f.made_by = author
        return already

    # --- measurements ------------------------------------------------------------------------
    @_database_errors
    def measurements(self, campaign_id: int) -> pd.DataFrame:
        """One row per measurement, in the order stored: label, replicate, status, note,
        created_at, values (dict quantity -> value), retracted_at and retract_reason (None unless
        retracted), created_by, version (the number of its current version)."""
        with self._sessions() as s:
            ms = s.execute(
                select(
                    MeasurementRow.id,
                    FormulationRow.label,
                    MeasurementRow.replicate,
                    MeasurementRow.status,
                    MeasurementRow.note,
                    MeasurementRow.created_at,
                    MeasurementRow.retracted_at,
                    MeasurementRow.retract_reason,
                    MeasurementRow.created_by,
                )
                .join(FormulationRow)
                .where(FormulationRow.campaign_id == campaign_id)
                .order_by(MeasurementRow.id)
            ).all()
            values = self._values_of(s, campaign_id)
            versions = dict(
                s.execute(
                    select(MeasurementVersionRow.measurement_id, func.max(MeasurementVersionRow.version))
                    .join(MeasurementRow)
                    .join(FormulationRow)
                    .where(FormulationRow.campaign_id == campaign_id)
                    .group_by(MeasurementVersionRow.measurement_id)
                ).all()
            )
        return pd.DataFrame(
            [
                (
                    m.label,
                    m.replicate,
                    m.status,
                    m.note,
                    m.created_at,
                    values.get(m.id, {}),
                    m.retracted_at,
                    m.retract_reason,
                    m.created_by,
                    int(versions.get(m.id, 1)),
                )
                for m in ms
            ],
            columns=MEASUREMENT_COLUMNS,
        )

    @_database_errors
    def add_measurements(
        self, campaign_id: int, rows: Sequence[NewMeasurement], author: str | None = None
    ) -> RecordOutcome:
        """Store measurements in one transaction; a row the store already holds is reported, not
        stored again. New outside formulations (``label`` None) get the next labels.

        A row with a replicate is the measurement (formulation, replicate): already stored when that
        measurement has the row's status, note and values (values within a relative 1e-9), now or
        in an older version; DataError when it holds others (correct it with ``amend``). A row
        without one is already stored when it matches a stored measurement of its formulation not
        matched by another row of ``rows`` (two equal rows against one stored: one already stored,
        one new); else it is a new measurement, numbered one above the formulation's highest
        replicate (ingested ones and earlier rows included), with a notice when the formulation
        has measurements recorded by hand. Rows with a replicate are placed first. DataError, and
        nothing stored, when a row conflicts, holds a value that is not a finite number or its
        formulation is cancelled."""

        _refuse_non_finite((row.where or f"row {i + 1}", dict(row.values)) for i, row in enumerate(rows))
        outcome = RecordOutcome()
        problems: list[str] = []
        with self._write(campaign_id) as s:
            forms = {f.label: f for f in s.scalars(self._formulations_of(campaign_id))}
            held = self._held(s, campaign_id)
            next_no = next_label_number(forms)
            numbered = [i for i, row in enumerate(rows) if row.replicate is not None]
            for i in [*numbered, *(i for i, row in enumerate(rows) if row.replicate is None)]:
                row = rows[i]
                if row.label is None:
                    if row.new_key not in outcome.new_labels:
                        label = f"F{next_no:04d}"
                        next_no += 1
                        forms[label] = FormulationRow(
                            campaign_id=campaign_id,
                            label=label,
                            values=dict(row.new_values or {}),
                            source="external",
                            created_by=author,
                        )
                        s.add(forms[label])
                        outcome.new_labels[row.new_key] = label
                    label = outcome.new_labels[row.new_key]
                else:
                    label = row.label
                    f = forms[label]
                    if f.cancelled_at is not None:
                        raise DataError(f"{row.where}: {cancelled_message(label, f.cancelled_at, f.cancel_reason)}")
                mine = held.setdefault(label, {})
                state: State = (row.status, row.note, {q: float(v) for q, v in row.values.items()})
                if row.replicate is not None:
                    replicate = row.replicate
                    h = mine.get(replicate)
                    remark = h.match(state) if h is not None else None
                    if h is not None and remark is None:
                        problems.append(self._conflict(row, label, h, state))
                        continue
                else:
                    h, remark = self._repeated(mine, state)
                    replicate = h.replicate if h is not None else max(mine, default=0) + 1
                if h is not None:
                    h.used = True
                    remark = f"same as {h.where.rsplit(': ', 1)[-1]}" if h.where else (remark or "")
                    outcome.already_stored.append(AlreadyStored(i, label, replicate, remark))
                    continue
                beside = [x for x in mine.values() if x.by_hand and not x.retracted and not x.where]
                if row.replicate is None and beside:
                    outcome.notices.append(_beside_notice(row.where, label, replicate, beside))
                mine[replicate] = _Held(replicate, state, where=row.where or f"row {i + 1}", used=True)
                m = MeasurementRow(
                    formulation=forms[label], replicate=replicate, status=row.status, note=row.note, created_by=author
                )
                m.values = [ValueRow(quantity=q, value=v) for q, v in state[2].items()]
                m.versions.append(_version(1, "recorded", m.status, m.note, state[2], author=author))
                s.add(m)
                outcome.added += 1
            if problems:
                raise DataError("\n".join(problems))
        outcome.already_stored.sort(key=lambda a: a.index)
        return outcome

    @staticmethod
    def _repeated(held: dict[int, _Held], state: State) -> tuple[_Held | None, str | None]:
        """The first measurement stored before this call, not yet matched, that ``state`` repeats
        (its current state preferred over an older version's), with the remark of the match."""
        candidates = [h for _, h in sorted(held.items()) if not h.where and not h.used]
        for h in candidates:
            if _same(h.current, state):
                return h, h.match(state)
        for h in candidates:
            remark = h.match(state)
            if remark is not None:
                return h, remark
        return None, None

    @staticmethod
    def _conflict(row: NewMeasurement, label: str, h: _Held, state: State) -> str:
        """Why a row with a replicate cannot be stored: its measurement holds other values."""
        what = f"{label} replicate {h.replicate}"
        new = values_text(state[2], state[0], state[1])
        if h.where:
            stored = values_text(*_args(h.current))
            return f"{row.where}: {what} is also on {h.where} with other values ({stored}; here {new})"
        return (
            f"{row.where}: {what} is already stored with {values_text(*_args(h.current))}"
            + (" (retracted)" if h.retracted else "")
            + f", this row has {new}; to correct the stored one use {amend_command(label, h.replicate)}; a new "
            "measurement needs an unused replicate number (or none)"
        )

    def _held(self, s: Session, campaign_id: int) -> dict[str, dict[int, _Held]]:
        """Label -> replicate -> the stored measurement, with the states of its older versions."""
        ms = s.execute(
            select(
                MeasurementRow.id,
                FormulationRow.label,
                MeasurementRow.replicate,
                MeasurementRow.status,
                MeasurementRow.note,
                MeasurementRow.retracted_at,
            )
            .join(FormulationRow)
            .where(FormulationRow.campaign_id == campaign_id)
        ).all()
        values = self._values_of(s, campaign_id)
        versions: dict[int, list[tuple[str, State]]] = {}
        for mid, action, status, note, vals in s.execute(
            select(
                MeasurementVersionRow.measurement_id,
                MeasurementVersionRow.action,
                MeasurementVersionRow.status,
                MeasurementVersionRow.note,
                MeasurementVersionRow.values,
            )
            .join(MeasurementRow)
            .join(FormulationRow)
            .where(FormulationRow.campaign_id == campaign_id)
            .order_by(MeasurementVersionRow.measurement_id, MeasurementVersionRow.version)
        ):
            versions.setdefault(mid, []).append((action, (status, note, {q: float(v) for q, v in vals.items()})))
        held: dict[str, dict[int, _Held]] = {}
        for m in ms:
            history = versions.get(m.id, [])
            held.setdefault(m.label, {})[m.replicate] = _Held(
                m.replicate,
                (m.status, m.note, values.get(m.id, {})),
                earlier=[state for _, state in history],
                by_hand=not history or history[0][0] == "recorded",
                retracted=m.retracted_at is not None,
            )
        return held

    @_database_errors
    def amend(
        self,
        campaign_id: int,
        label: str,
        replicate: int,
        values: dict[str, float] | None = None,
        status: str | None = None,
        note: str | None = None,
        reason: str = "",
        author: str | None = None,
        campaign_name: str = "",
    ) -> int:
        """Correct a stored measurement: ``values`` (quantity -> value in the unit its name declares)
        replace those quantities' values, the others are kept; ``status`` and ``note`` replace the
        current ones when given. A new version (``amended``: the full new values, ``reason``,
        ``author``, time) is appended and the earlier ones kept; returns its number. DataError, and
        nothing changed, for a value that is not a finite number, an unknown id or replicate, an
        empty reason, a retracted measurement (restore it first) or no change at all."""
        _refuse_non_finite([(f"{label} replicate {replicate}", dict(values or {}))])
        with self._write() as s:
            m = self._measurement(s, campaign_id, label, replicate, campaign_name)
            what = f"{label} replicate {replicate}"
            reason = _reason(reason, f"amending {what}")
            if m.retracted_at is not None:
                raise DataError(
                    f"{what} was {retracted_text(m.retracted_at, m.retract_reason)}; restore it first "
                    f"('optiform retract {label} --replicate {replicate} --undo --reason TEXT')"
                )
            current = {v.quantity: v.value for v in m.values}
            new: State = (
                m.status if status is None else status,
                m.note if note is None else note.strip(),
                {**current, **{q: float(v) for q, v in (values or {}).items()}},
            )
            if _same((m.status, m.note, current), new):
                raise DataError(f"{what} already has {values_text(current, m.status, m.note)}; nothing to amend")
            m.status, m.note = new[0], new[1]
            by_quantity = {v.quantity: v for v in m.values}
            for q, v in new[2].items():
                if q in by_quantity:
                    by_quantity[q].value = v
                else:
                    m.values.append(ValueRow(quantity=q, value=v))
            return self._append_version(m, "amended", new[2], reason, author)

    @_database_errors
    def retract(
        self,
        campaign_id: int,
        label: str,
        replicate: int,
        reason: str,
        author: str | None = None,
        campaign_name: str = "",
    ) -> int:
        """Take a measurement out of the model: it stays stored, marked retracted now with
        ``reason`` (a new version ``retracted``); returns the version number. DataError for an
        unknown id or replicate, an empty reason or a measurement already retracted."""
        return self._set_retracted(campaign_id, label, replicate, True, reason, author, campaign_name)

    @_database_errors
    def restore(
        self,
        campaign_id: int,
        label: str,
        replicate: int,
        reason: str,
        author: str | None = None,
        campaign_name: str = "",
    ) -> int:
        """Undo a retraction (a new version ``restored``); returns the version number. DataError for
        an unknown id or replicate, an empty reason or a measurement that is not retracted."""
        return self._set_retracted(campaign_id, label, replicate, False, reason, author, campaign_name)

    def _set_retracted(
        self,
        campaign_id: int,
        label: str,
        replicate: int,
        retracted: bool,
        reason: str,
        author: str | None,
        campaign_name: str,
    ) -> int:
        """Retract (or restore) a measurement in one transaction, with a new version; its number."""
        with self._write() as s:
            m = self._measurement(s, campaign_id, label, replicate, campaign_name)
            what = f"{label} replicate {replicate}"
            reason = _reason(reason, f"{'retracting' if retracted else 'restoring'} {what}")
            if retracted and m.retracted_at is not None:
                raise DataError(f"{what} was already {retracted_text(m.retracted_at, m.retract_reason)}")
            if not retracted and m.retracted_at is None:
                raise DataError(f"{what} is not retracted; nothing to restore")
            m.retracted_at, m.retract_reason = (utc_now(), reason) if retracted else (None, None)
            action = "retracted" if retracted else "restored"
            return self._append_version(m, action, {v.quantity: v.value for v in m.values}, reason, author)

    @_database_errors
    def measurement_history(
        self, campaign_id: int, label: str, replicate: int | None = None, campaign_name: str = ""
    ) -> pd.DataFrame:
        """Every version of a formulation's measurements (or of one replicate), by replicate then
        version: id, replicate, version, action (recorded, ingested, amended, retracted, restored,
        accepted), status, note, values (dict), reason, author (None when unknown), created_at."""
        with self._sessions() as s:
            if replicate is None:
                f = self._formulation(s, campaign_id, label, campaign_name)
                ids = [m.id for m in f.measurements]
            else:
                ids = [self._measurement(s, campaign_id, label, replicate, campaign_name).id]
            rows = s.execute(
                select(MeasurementRow.replicate, MeasurementVersionRow)
                .join(MeasurementVersionRow, MeasurementVersionRow.measurement_id == MeasurementRow.id)
                .where(MeasurementRow.id.in_(ids))
                .order_by(MeasurementRow.replicate, MeasurementVersionRow.version)
            ).all()
            out = [
                (label, rep, v.version, v.action, v.status, v.note, dict(v.values), v.reason, v.author, v.created_at)
                for rep, v in rows
            ]
        return pd.DataFrame(out, columns=HISTORY_COLUMNS)

    @_database_errors
    def accept(self, campaign_id: int, label: str, campaign_name: str = "", author: str | None = None) -> int:
        """Set a formulation's flagged measurements to ok (noted, a new version of each); returns how many."""

        with self._write() as s:
            f = self._formulation(s, campaign_id, label, campaign_name)
            flagged = [m for m in f.measurements if m.status == "flagged" and m.retracted_at is None]
            for m in flagged:
                m.status = "ok"
                m.note = (m.note + "; " if m.note else "") + "flags accepted by the user"
                self._append_version(m, "accepted", {v.quantity: v.value for v in m.values}, "flags accepted", author)
            return len(flagged)

    # --- raw files and analyses --------------------------------------------------------------
    @_database_errors
    def ingested_files(self, campaign_id: int) -> dict[str, tuple[str, str, str]]:
        """sha256 -> (formulation label, kind, group) of every raw file the campaign has ingested."""
        with self._sessions() as s:
            return self._ingested(s, campaign_id)

    @staticmethod
    def _ingested(s: Session, campaign_id: int) -> dict[str, tuple[str, str, str]]:
        rows = s.execute(
            select(RawFileRow.sha256, FormulationRow.label, AnalysisRow.kind, AnalysisRow.group)
            .join(AnalysisFileRow, AnalysisFileRow.raw_file_id == RawFileRow.id)
            .join(AnalysisRow, AnalysisRow.id == AnalysisFileRow.analysis_id)
            .join(MeasurementRow, MeasurementRow.id == AnalysisRow.measurement_id)
            .join(FormulationRow, FormulationRow.id == MeasurementRow.formulation_id)
            .where(FormulationRow.campaign_id == campaign_id)
        ).all()
        return {sha: (label, kind, group) for sha, label, kind, group in rows}

    @_database_errors
    def add_ingested_groups(
        self, campaign_id: int, groups: Sequence[IngestedGroup], author: str | None = None
    ) -> list[int | None]:
        """Store each group as the next replicate of its formulation, with its analyses and raw files
        (each file once, by content hash), in one transaction; returns the replicate numbers, None
        for a group already ingested (its ``source_key`` stored for its formulation, or all its
        files ingested as this formulation, kind and group): it is not stored again. Decided inside
        the transaction, so a group two processes ingest at once is stored once. DataError, and
        nothing stored, when a group's formulation is cancelled, a file of it was ingested in
        another group, or a value or uncertainty is not a finite number."""

        _refuse_non_finite(
            [(g.where or g.label, dict(g.values)) for g in groups]
            + [
                (g.where or g.label, {a.quantity: a.value, f"{a.quantity} uncertainty": a.uncertainty})
                for g in groups
                for a in g.analyses
            ]
        )
        replicates: list[int | None] = []
        with self._write(campaign_id) as s:
            forms = {f.label: f for f in s.scalars(self._formulations_of(campaign_id))}
            known = self._ingested(s, campaign_id)
            keys: set[tuple[int, str | None]] = {
                (fid, key)
                for fid, key in s.execute(
                    select(MeasurementRow.formulation_id, MeasurementRow.source_key)
                    .join(FormulationRow)
                    .where(FormulationRow.campaign_id == campaign_id, MeasurementRow.source_key.is_not(None))
                )
            }
            files: dict[str, RawFileRow] = {}
            for g in groups:
                f = forms[g.label]
                if f.cancelled_at is not None:
                    raise DataError(f"{g.where}: {cancelled_message(g.label, f.cancelled_at, f.cancel_reason)}")
                if self._already_ingested(g, f.id, keys, known):
                    replicates.append(None)
                    continue
                keys.add((f.id, g.source_key))
                replicate = max((m.replicate for m in f.measurements), default=0) + 1
                m = MeasurementRow(
                    formulation=f,
                    replicate=replicate,
                    status=g.status,
                    note=g.note,
                    created_by=author,
                    source_key=g.source_key,
                )
                values = {q: float(v) for q, v in g.values.items()}
                m.values = [ValueRow(quantity=q, value=v) for q, v in values.items()]
                m.versions.append(_version(1, "ingested", g.status, g.note, values, author=author))
                s.add(m)
                s.flush()
                for a in g.analyses:
                    row = AnalysisRow(
                        measurement_id=m.id,
                        kind=g.kind,
                        group=g.group,
                        quantity=a.quantity,
                        value=float(a.value),
                        uncertainty=None if a.uncertainty is None else float(a.uncertainty),
                        temperature_C=a.temperature_C,
                        method=a.method,
                        failing=a.failing,
                        result=a.result,
                    )
                    for raw in a.files:
                        row.files.append(AnalysisFileRow(raw_file=self._raw_file(s, files, raw), role=raw.role))
                    s.add(row)
                replicates.append(replicate)
        return replicates

    @staticmethod
    def _already_ingested(
        g: IngestedGroup, formulation_id: int, keys: set[tuple[int, str | None]], known: dict[str, tuple[str, str, str]]
    ) -> bool:
        """Whether the group is stored already; DataError when some of its files are, elsewhere."""
        if g.source_key is not None and (formulation_id, g.source_key) in keys:
            return True
        names = {raw.sha256: raw.name for a in g.analyses for raw in a.files}
        seen = [sha for sha in names if sha in known]
        if not seen:
            return False
        if len(seen) == len(names) and all(known[sha] == (g.label, g.kind, g.group) for sha in seen):
            return True
        label, kind, group = known[seen[0]]
        raise DataError(
            f"{g.where}: {names[seen[0]]} was already ingested for {label} ({kind}, group {group}); "
            "a group is ingested whole: put new files in a new group"
        )

    @_database_errors
    def analyses(self, campaign_id: int, label: str | None = None) -> pd.DataFrame:
        """Derived values from raw files, one row per analysis: id (formulation), replicate,
        status, kind, group, quantity, value, uncertainty, temperature_C, method, flags, files
        (``role:name``, comma-separated), analysis_pk."""
        with self._sessions() as s:
            q = (
                select(AnalysisRow, MeasurementRow.replicate, MeasurementRow.status, FormulationRow.label)
                .join(MeasurementRow, MeasurementRow.id == AnalysisRow.measurement_id)
                .join(FormulationRow, FormulationRow.id == MeasurementRow.formulation_id)
                .where(FormulationRow.campaign_id == campaign_id)
                .order_by(AnalysisRow.id)
            )
            if label is not None:
                q = q.where(FormulationRow.label == label)
            out = [
                (
                    sample,
                    replicate,
                    status,
                    a.kind,
                    a.group,
                    a.quantity,
                    a.value,
                    a.uncertainty,
                    a.temperature_C,
                    a.method,
                    "; ".join(f"{fl['code']}{'' if fl['failing'] else ' (warning)'}" for fl in a.result["flags"]),
                    ", ".join(f"{af.role}:{af.raw_file.name}" for af in a.files),
                    a.id,
                )
                for a, replicate, status, sample in s.execute(q).all()
            ]
        return pd.DataFrame(out, columns=ANALYSIS_COLUMNS) if out else pd.DataFrame()

    @_database_errors
    def analysis_result(self, analysis_pk: int) -> dict[str, Any]:
        """The stored details of an analysis (its ``Result.to_dict()``: inputs, flags, fit ...)."""
        with self._sessions() as s:
            a = s.get(AnalysisRow, analysis_pk)
            if a is None:
                raise StoreError(f"store {self.url} has no analysis {analysis_pk}")
            return dict(a.result)

    @_database_errors
    def analysis_files(self, analysis_pk: int) -> list[RawFile]:
        """The raw files of an analysis, with their roles."""
        with self._sessions() as s:
            a = s.get(AnalysisRow, analysis_pk)
            if a is None:
                raise StoreError(f"store {self.url} has no analysis {analysis_pk}")
            return [RawFile(af.raw_file.name, af.raw_file.content, af.raw_file.sha256, af.role) for af in a.files]

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _formulations_of(campaign_id: int) -> Any:
        return select(FormulationRow).where(FormulationRow.campaign_id == campaign_id).order_by(FormulationRow.id)

    @staticmethod
    def _labels(s: Session, campaign_id: int) -> list[str]:
        return list(s.scalars(select(FormulationRow.label).where(FormulationRow.campaign_id == campaign_id)))

    @staticmethod
    def _formulation(s: Session, campaign_id: int, label: str, campaign_name: str) -> FormulationRow:
        f = s.scalar(
            select(FormulationRow).where(FormulationRow.campaign_id == campaign_id, FormulationRow.label == label)
        )
        if f is None:
            raise DataError(
                f"unknown sample id {label!r}" + (f" in campaign {campaign_name!r}" if campaign_name else "")
            )
        return f

    @classmethod
    def _measurement(
        cls, s: Session, campaign_id: int, label: str, replicate: int, campaign_name: str
    ) -> MeasurementRow:
        f = cls._formulation(s, campaign_id, label, campaign_name)
        for m in f.measurements:
            if m.replicate == replicate:
                return m
        have = sorted(m.replicate for m in f.measurements)
        raise DataError(
            f"{label} has no replicate {replicate}; "
            + (f"it has replicate(s) {', '.join(map(str, have))}" if have else "it has no measurement yet")
        )

    @staticmethod
    def _append_version(
        m: MeasurementRow, action: str, values: dict[str, float], reason: str, author: str | None
    ) -> int:
        """Append the measurement's next version (its current status and note); returns its number."""
        number = max((v.version for v in m.versions), default=0) + 1
        m.versions.append(_version(number, action, m.status, m.note, values, reason, author))
        return number

    @staticmethod
    def _values_of(s: Session, campaign_id: int) -> dict[int, dict[str, float]]:
        """Measurement id -> its current values (quantity -> value)."""
        out: dict[int, dict[str, float]] = {}
        for mid, quantity, value in s.execute(
            select(ValueRow.measurement_id, ValueRow.quantity, ValueRow.value)
            .join(MeasurementRow)
            .join(FormulationRow)
            .where(FormulationRow.campaign_id == campaign_id)
            .order_by(ValueRow.id)
        ):
            out.setdefault(mid, {})[quantity] = value
        return out

    @staticmethod
    def _raw_file(s: Session, cache: dict[str, RawFileRow], raw: RawFile) -> RawFileRow:
        if raw.sha256 not in cache:
            existing = s.scalar(select(RawFileRow).where(RawFileRow.sha256 == raw.sha256))
            cache[raw.sha256] = existing or RawFileRow(
                sha256=raw.sha256, name=raw.name, size_bytes=len(raw.content), content=raw.content
            )
        return cache[raw.sha256]


def _reason(reason: str, doing: str) -> str:
    """The stripped reason; DataError when there is none."""
    if not reason or not reason.strip():
        raise DataError(f"{doing} needs a reason (kept in its history), e.g. --reason 'typo in the results file'")
    return reason.strip()


def _args(state: State) -> tuple[dict[str, float], str, str]:
    """A state as the arguments of :func:`values_text`."""
    return state[2], state[0], state[1]


def _beside_notice(where: str, label: str, replicate: int, beside: list[_Held]) -> str:
    """A new replicate stored beside ones recorded by hand: it may have been meant as a correction."""
    others = ", ".join(f"{h.replicate} ({values_text(*_args(h.current))})" for h in beside)
    target = beside[0].replicate if len(beside) == 1 else "K"
    return (
        f"{where + ': ' if where else ''}{label}: stored as replicate {replicate} beside replicate"
        f"{'s' if len(beside) > 1 else ''} {others}; if this corrects a value, use {amend_command(label, target)}"
    )
