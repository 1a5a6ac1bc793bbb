"""SQLAlchemy schema and the :class:`Store` (engine, transactions, schema version, read helpers).

Tables:

* ``meta``: key/value, holds ``schema_version``;
* ``campaigns``: name (unique) and the campaign spec as JSON;
* ``formulations``: one per formulation, ``label`` is the user-facing id (``F0001``), ``values`` the
  variables as JSON, ``source`` ``proposed`` or ``external``, the batch and strategy that proposed it,
  and ``cancelled_at`` / ``cancel_reason`` when a pending proposal was withdrawn (schema version 2);
* ``measurements``: one per (formulation, replicate), ``status`` ``ok`` or ``failed``, a note;
* ``measurement_values``: one per (measurement, quantity) with the value in the unit its name declares;
* ``raw_files``: instrument files by content hash (sha256), stored once;
* ``analyses``: one derived quantity from raw files (value, uncertainty, method, flags, details),
  tied to the measurement it feeds and, through ``analysis_files``, to its files and their roles.

A measurement's ``status`` is ``ok`` (used by the model), ``failed`` (no value: e.g. the film stayed
fluid) or ``flagged`` (derived from raw files with a failing quality flag: kept out of the model
until accepted).

A formulation's status is derived, not stored: ``cancelled`` when ``cancelled_at`` is set (only a
formulation without measurements can be cancelled, and a cancelled one takes none), ``pending``
without measurements, ``failed`` when all of its measurements failed, else ``measured``.

Schema versions: 1 (initial), 2 (``formulations.cancelled_at``, ``formulations.cancel_reason``). An
older store is migrated when opened (``ALTER TABLE ... ADD COLUMN``; idempotent steps).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker
from sqlalchemy.schema import CreateColumn

from ..errors import StoreError

SCHEMA_VERSION = 2
DEFAULT_STORE_URL = "sqlite:///optiform.db"


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


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class MetaRow(Base):
    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CampaignRow(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    spec_json: Mapped[str] = mapped_column(Text)
    seed: Mapped[int] = mapped_column(Integer, default=0)  # proposals: seed of batch b = campaign.batch_seed(seed, b)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    formulations: Mapped[list[FormulationRow]] = relationship(back_populates="campaign")


class FormulationRow(Base):
    __tablename__ = "formulations"
    __table_args__ = (UniqueConstraint("campaign_id", "label"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    values: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))  # proposed | external
    batch: Mapped[int | None] = mapped_column(Integer, nullable=True)
    strategy: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # v2
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # v2
    campaign: Mapped[CampaignRow] = relationship(back_populates="formulations")
    measurements: Mapped[list[MeasurementRow]] = relationship(back_populates="formulation")


class MeasurementRow(Base):
    __tablename__ = "measurements"
    __table_args__ = (UniqueConstraint("formulation_id", "replicate"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    formulation_id: Mapped[int] = mapped_column(ForeignKey("formulations.id"), index=True)
    replicate: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # ok | failed | flagged
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    formulation: Mapped[FormulationRow] = relationship(back_populates="measurements")
    values: Mapped[list[ValueRow]] = relationship(back_populates="measurement", cascade="all, delete-orphan")


class ValueRow(Base):
    __tablename__ = "measurement_values"
    __table_args__ = (UniqueConstraint("measurement_id", "quantity"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measurement_id: Mapped[int] = mapped_column(ForeignKey("measurements.id"), index=True)
    quantity: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    measurement: Mapped[MeasurementRow] = relationship(back_populates="values")


class RawFileRow(Base):
    __tablename__ = "raw_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AnalysisRow(Base):
    __tablename__ = "analyses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measurement_id: Mapped[int] = mapped_column(ForeignKey("measurements.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # eis | transference | lsv | cycling | symmetric
    group: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    uncertainty: Mapped[float | None] = mapped_column(Float, nullable=True)
    temperature_C: Mapped[float | None] = mapped_column(Float, nullable=True)
    method: Mapped[str] = mapped_column(Text)
    failing: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    files: Mapped[list[AnalysisFileRow]] = relationship(cascade="all, delete-orphan")


class AnalysisFileRow(Base):
    __tablename__ = "analysis_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id"), index=True)
    raw_file_id: Mapped[int] = mapped_column(ForeignKey("raw_files.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    raw_file: Mapped[RawFileRow] = relationship()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class Store:
    """A database holding campaigns. Open with a URL; tables are created on first use."""

    def __init__(self, url: str | None = None, create: bool = True) -> None:
        """Open the store at ``url``; with ``create=False`` a missing SQLite file is an error
        instead of a new empty store."""
        self.url = resolve_store_url(url)
        path = _sqlite_path(self.url)
        if not create and path is not None and not path.exists():
            raise StoreError(f"no store at {path}; create one with 'optiform init FILE' (or pass --store URL)")
        try:
            self.engine: Engine = create_engine(self.url)
        except (ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot open store {self.url!r}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._init_schema()

    def _init_schema(self) -> None:
        try:
            Base.metadata.create_all(self.engine)
            with self.transaction() as s:
                row = s.get(MetaRow, "schema_version")
                if row is None:
                    s.add(MetaRow(key="schema_version", value=str(SCHEMA_VERSION)))
                elif int(row.value) > SCHEMA_VERSION:
                    raise StoreError(
                        f"store {self.url} has schema version {row.value}, newer than this optiform's "
                        f"({SCHEMA_VERSION}); upgrade optiform"
                    )
                elif int(row.value) < SCHEMA_VERSION:
                    self._migrate(s, int(row.value))
                    row.value = str(SCHEMA_VERSION)
        except OperationalError as exc:
            raise StoreError(f"cannot open store {self.url!r}: {exc.orig}") from None

    def _migrate(self, session: Session, version: int) -> None:
        """Bring a store of schema ``version`` up to :data:`SCHEMA_VERSION` in ``session``'s
        transaction (PostgreSQL rolls the DDL back with it; Python's sqlite3 runs DDL outside it).
        Each step is idempotent, so an interrupted migration is completed on the next open.

        1 -> 2: add ``formulations.cancelled_at`` and ``formulations.cancel_reason`` (nullable, so
        existing rows read as not cancelled), each only if missing."""
        conn = session.connection()
        if version < 2:
            have = {c["name"] for c in inspect(conn).get_columns(FormulationRow.__tablename__)}
            table = self.engine.dialect.identifier_preparer.quote(FormulationRow.__tablename__)
            for column in (FormulationRow.__table__.c.cancelled_at, FormulationRow.__table__.c.cancel_reason):
                if column.name not in have:
                    ddl = CreateColumn(column).compile(dialect=self.engine.dialect)
                    conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {ddl}"))

    @property
    def schema_version(self) -> int:
        with self._sessions() as s:
            return int(s.get(MetaRow, "schema_version").value)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose writes commit together at the end of the block, or not at all."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    # --- campaigns ---------------------------------------------------------------------------
    def campaign_names(self) -> list[str]:
        with self._sessions() as s:
            return list(s.scalars(select(CampaignRow.name).order_by(CampaignRow.id)))

    def add_campaign(self, name: str, spec: dict, seed: int = 0) -> int:
        with self.transaction() as s:
            if s.scalar(select(CampaignRow.id).where(CampaignRow.name == name)) is not None:
                raise StoreError(f"store {self.url} already holds a campaign named {name!r}")
            row = CampaignRow(name=name, spec_json=json.dumps(spec), seed=seed)
            s.add(row)
            s.flush()
            return row.id

    def campaign(self, name: str | None = None) -> tuple[int, str, dict, int]:
        """(id, name, spec dict, seed) of the named campaign, or of the only one when ``name`` is None."""
        with self._sessions() as s:
            rows = s.execute(select(CampaignRow.id, CampaignRow.name, CampaignRow.spec_json, CampaignRow.seed)).all()
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
        return row.id, row.name, json.loads(row.spec_json), row.seed

    # --- reads -------------------------------------------------------------------------------
    def formulations(self, campaign_id: int) -> pd.DataFrame:
        """One row per formulation: label, source, batch, strategy, created_at, values (dict),
        cancelled_at (None unless withdrawn), cancel_reason."""
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
        return pd.DataFrame(
            rows,
            columns=[
                "pk",
                "label",
                "source",
                "batch",
                "strategy",
                "created_at",
                "values",
                "cancelled_at",
                "cancel_reason",
            ],
        )

    def measurements(self, campaign_id: int) -> pd.DataFrame:
        """One row per measurement: label, replicate, status, note, created_at, values (dict)."""
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
            columns=["label", "replicate", "status", "note", "created_at", "values"],
        )
