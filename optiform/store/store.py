"""The :class:`Store`: campaigns, formulations, measurements and ingested raw files in a database,
behind methods in the domain's words that take and return plain data (DataFrames, dicts and the
records of :mod:`optiform.store.records`).

SQLite by default (a file, ``optiform.db`` in the working directory); any SQLAlchemy URL works
(``postgresql+psycopg://...``). Every write is one transaction: it is stored whole or not at all.
The schema is made and upgraded by Alembic when the store is opened (:mod:`optiform.store.migrate`).

A formulation's status is derived, not stored: ``cancelled`` when ``cancelled_at`` is set (only a
formulation without measurements can be cancelled, and a cancelled one takes none), ``pending``
without measurements, else from its measurements (``ok`` used by the model, ``failed`` without a
value, ``flagged`` from raw files with a failing quality flag, kept out of the model until accepted).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import pandas as pd
from sqlalchemy import Connection, create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import DataError, StoreError
from . import migrate
from .records import (
    CampaignRecord,
    IngestedGroup,
    NewMeasurement,
    RawFile,
    RecordOutcome,
    cancelled_message,
    cancelled_text,
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
BUSY_TIMEOUT_MS = 10_000  # SQLite waits this long for another writer before giving up

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
]
SPEC_COLUMNS = ["version", "created_at", "author", "source", "note", "spec"]
MEASUREMENT_COLUMNS = ["label", "replicate", "status", "note", "created_at", "values"]
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


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, a busy timeout, and transactions begun by SQLAlchemy (see _sqlite_begin)."""
    dbapi_connection.isolation_level = None  # pysqlite must not begin or commit on its own
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


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


def _database_errors(method: Callable[Concatenate[Store, P], T]) -> Callable[Concatenate[Store, P], T]:
    """Database errors of a Store method become one-line StoreErrors naming the store."""

    @functools.wraps(method)
    def wrapper(store: Store, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(store, *args, **kwargs)
        except OperationalError as exc:
            reason = str(exc.orig)
            if "locked" in reason or "busy" in reason:
                raise StoreError(f"store {store.url} is busy (another process is writing); try again") from None
            raise StoreError(f"cannot use store {store.url!r}: {reason}") from None
        except DBAPIError as exc:  # integrity and other database errors: no SQLAlchemy traceback
            raise StoreError(f"cannot use store {store.url!r}: {exc.orig}") from None

    return wrapper


class Store:
    """A database holding campaigns. Open with a URL; the schema is created (or upgraded) on open."""

    def __init__(self, url: str | None = None, create: bool = True) -> None:
        """Open the store at ``url``; with ``create=False`` a missing SQLite file or an empty database
        is an error instead of a new empty store."""
        self.url = resolve_store_url(url)
        path = _sqlite_path(self.url)
        if not create and path is not None and not path.exists():
            raise StoreError(f"no store at {path}; create one with 'optiform init FILE' (or pass --store URL)")
        if path is not None and path.is_dir():
            raise StoreError(f"store {path} is a folder; name a file, e.g. {path / 'optiform.db'}")
        try:
            self.engine: Engine = create_engine(self.url)
        except (ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot open store {self.url!r}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect)
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

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """A session whose writes commit together at the end of the block, or not at all."""
        with self._sessions(bind=self.engine.execution_options(optiform_write=True)) as session, session.begin():
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
        created_at, values (dict), cancelled_at (None unless withdrawn), cancel_reason."""
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
                )
                .where(FormulationRow.campaign_id == campaign_id)
                .order_by(FormulationRow.id)
            ).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=FORMULATION_COLUMNS)

    @_database_errors
    def add_formulations(
        self,
        campaign_id: int,
        values: Sequence[dict[str, Any]],
        source: str = "proposed",
        batch: int | None = None,
        strategy: str | None = None,
        author: str | None = None,
    ) -> list[str]:
        """Store new formulations (their variables as JSON-able dicts) under the next free labels
        ``F0001``, ``F0002``, ...; returns the labels."""

        with self._write() as s:
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

    # --- measurements ------------------------------------------------------------------------
    @_database_errors
    def measurements(self, campaign_id: int) -> pd.DataFrame:
        """One row per measurement, in the order stored: label, replicate, status, note,
        created_at, values (dict quantity -> value)."""
        with self._sessions() as s:
            ms = s.execute(
                select(
                    MeasurementRow.id,
                    FormulationRow.label,
                    MeasurementRow.replicate,
                    MeasurementRow.status,
                    MeasurementRow.note,
                    MeasurementRow.created_at,
                )
                .join(FormulationRow)
                .where(FormulationRow.campaign_id == campaign_id)
                .order_by(MeasurementRow.id)
            ).all()
            vals = s.execute(
                select(ValueRow.measurement_id, ValueRow.quantity, ValueRow.value)
                .join(MeasurementRow)
                .join(FormulationRow)
                .where(FormulationRow.campaign_id == campaign_id)
            ).all()
        by_measurement: dict[int, dict[str, float]] = {}
        for mid, quantity, value in vals:
            by_measurement.setdefault(mid, {})[quantity] = value
        return pd.DataFrame(
            [(m.label, m.replicate, m.status, m.note, m.created_at, by_measurement.get(m.id, {})) for m in ms],
            columns=MEASUREMENT_COLUMNS,
        )

    @_database_errors
    def add_measurements(
        self, campaign_id: int, rows: Sequence[NewMeasurement], author: str | None = None
    ) -> RecordOutcome:
        """Store measurements in one transaction. A row whose (formulation, replicate) is already
        stored (or earlier in ``rows``) is a duplicate: not stored, its index reported. New outside
        formulations (``label`` None) get the next labels. DataError, and nothing stored, when a
        row's formulation is cancelled."""

        outcome = RecordOutcome()
        with self._write() as s:
            forms = {f.label: f for f in s.scalars(self._formulations_of(campaign_id))}
            taken = {
                (label, replicate)
                for label, replicate in s.execute(
                    select(FormulationRow.label, MeasurementRow.replicate)
                    .join(MeasurementRow)
                    .where(FormulationRow.campaign_id == campaign_id)
                )
            }
            next_no = next_label_number(forms)
            for i, row in enumerate(rows):
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
                if (label, row.replicate) in taken:
                    outcome.duplicates.append(i)
                    continue
                taken.add((label, row.replicate))
                m = MeasurementRow(
                    formulation=forms[label],
                    replicate=row.replicate,
                    status=row.status,
                    note=row.note,
                    created_by=author,
                )
                m.values = [ValueRow(quantity=q, value=v) for q, v in row.values.items()]
                m.versions.append(_version(1, "recorded", m.status, m.note, row.values, author=author))
                s.add(m)
                outcome.added += 1
        return outcome

    @_database_errors
    def accept(self, campaign_id: int, label: str, campaign_name: str = "", author: str | None = None) -> int:
        """Set a formulation's flagged measurements to ok (noted, a new version of each); returns how many."""

        with self._write() as s:
            f = self._formulation(s, campaign_id, label, campaign_name)
            flagged = [m for m in f.measurements if m.status == "flagged"]
            for m in flagged:
                m.status = "ok"
                m.note = (m.note + "; " if m.note else "") + "flags accepted by the user"
                values = {v.quantity: v.value for v in m.values}
                m.versions.append(
                    _version(len(m.versions) + 1, "accepted", m.status, m.note, values, "flags accepted", author)
                )
            return len(flagged)

    # --- raw files and analyses --------------------------------------------------------------
    @_database_errors
    def ingested_files(self, campaign_id: int) -> dict[str, tuple[str, str, str]]:
        """sha256 -> (formulation label, kind, group) of every raw file the campaign has ingested."""
        with self._sessions() as s:
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
    ) -> list[int]:
        """Store each group as the next replicate of its formulation, with its analyses and raw files
        (each file once, by content hash), in one transaction; returns the replicate numbers.
        DataError, and nothing stored, when a group's formulation is cancelled."""

        replicates: list[int] = []
        with self._write() as s:
            forms = {f.label: f for f in s.scalars(self._formulations_of(campaign_id))}
            files: dict[str, RawFileRow] = {}
            for g in groups:
                f = forms[g.label]
                if f.cancelled_at is not None:
                    raise DataError(f"{g.where}: {cancelled_message(g.label, f.cancelled_at, f.cancel_reason)}")
                replicate = max((m.replicate for m in f.measurements), default=0) + 1
                m = MeasurementRow(formulation=f, replicate=replicate, status=g.status, note=g.note, created_by=author)
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

    @staticmethod
    def _raw_file(s: Session, cache: dict[str, RawFileRow], raw: RawFile) -> RawFileRow:
        if raw.sha256 not in cache:
            existing = s.scalar(select(RawFileRow).where(RawFileRow.sha256 == raw.sha256))
            cache[raw.sha256] = existing or RawFileRow(
                sha256=raw.sha256, name=raw.name, size_bytes=len(raw.content), content=raw.content
            )
        return cache[raw.sha256]
