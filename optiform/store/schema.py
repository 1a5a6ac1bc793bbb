"""The tables (SQLAlchemy ORM). Private to :mod:`optiform.store`: nothing outside the store sees a row.

* ``meta``: key/value, holds ``schema_version`` (kept for readers older than the Alembic migrations);
* ``campaigns``: name (unique), the campaign spec as JSON and the seed of its proposals;
* ``formulations``: one per formulation, ``label`` is the user-facing id (``F0001``), ``values`` the
  variables as JSON, ``source`` ``proposed`` or ``external``, the batch and strategy that proposed it,
  and ``cancelled_at`` / ``cancel_reason`` when a pending proposal was withdrawn (schema version 2);
  ``made_values`` / ``made_masses_g`` / ``made_at`` / ``made_by``: the composition actually made, from
  a filled weighing sheet, and ``created_by`` (schema version 3);
* ``campaign_specs``: every version of a campaign's spec (1, 2, ...), with the file it came from, its
  time, author and note; ``campaigns.spec_json`` is the latest (schema version 3);
* ``measurements``: one per (formulation, replicate), ``status`` ``ok``, ``failed`` or ``flagged``,
  its current values; ``retracted_at`` / ``retract_reason`` take it out of the model (schema 3);
  ``source_key`` identifies the raw files an ingested one came from, unique per formulation, so
  that two processes ingesting the same files store them once (schema version 4; a unique index,
  which SQLite can add to an existing table);
* ``measurement_versions``: every version of a measurement (1 when recorded, then one per
  amendment, retraction, restoration or acceptance) with its status, note, values, reason, author
  and time (schema version 3);
* ``measurement_values``: one per (measurement, quantity), the value in the unit its name declares;
* ``raw_files``: instrument files by content hash (sha256), stored once;
* ``analyses``: one derived quantity from raw files (value, uncertainty, method, flags, details),
  tied to the measurement it feeds and, through ``analysis_files``, to its files and their roles.

The migrations in ``optiform/store/migrations/versions`` build exactly these tables (a test compares
them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
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
    seed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    formulations: Mapped[list[FormulationRow]] = relationship(back_populates="campaign")
    specs: Mapped[list[CampaignSpecRow]] = relationship(back_populates="campaign", order_by="CampaignSpecRow.version")


class CampaignSpecRow(Base):
    __tablename__ = "campaign_specs"
    __table_args__ = (UniqueConstraint("campaign_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    spec_json: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)  # the campaign file, as given
    author: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    campaign: Mapped[CampaignRow] = relationship(back_populates="specs")


class FormulationRow(Base):
    __tablename__ = "formulations"
    __table_args__ = (UniqueConstraint("campaign_id", "label"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))  # proposed | external
    batch: Mapped[int | None] = mapped_column(Integer, nullable=True)
    strategy: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    made_values: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    made_masses_g: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    made_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    made_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    campaign: Mapped[CampaignRow] = relationship(back_populates="formulations")
    measurements: Mapped[list[MeasurementRow]] = relationship(back_populates="formulation")


class MeasurementRow(Base):
    __tablename__ = "measurements"
    __table_args__ = (
        UniqueConstraint("formulation_id", "replicate"),
        Index("ux_measurements_source_key", "formulation_id", "source_key", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    formulation_id: Mapped[int] = mapped_column(ForeignKey("formulations.id"), index=True)
    replicate: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # ok | failed | flagged
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    retract_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_key: Mapped[str | None] = mapped_column(String(64), nullable=True)  # ingested: records.source_key
    formulation: Mapped[FormulationRow] = relationship(back_populates="measurements")
    values: Mapped[list[ValueRow]] = relationship(back_populates="measurement", cascade="all, delete-orphan")
    versions: Mapped[list[MeasurementVersionRow]] = relationship(
        back_populates="measurement", cascade="all, delete-orphan", order_by="MeasurementVersionRow.version"
    )


class MeasurementVersionRow(Base):
    __tablename__ = "measurement_versions"
    __table_args__ = (UniqueConstraint("measurement_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measurement_id: Mapped[int] = mapped_column(ForeignKey("measurements.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # recorded | ingested | amended | retracted | restored | accepted
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    measurement: Mapped[MeasurementRow] = relationship(back_populates="versions")


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


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
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    files: Mapped[list[AnalysisFileRow]] = relationship(cascade="all, delete-orphan")


class AnalysisFileRow(Base):
    __tablename__ = "analysis_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id"), index=True)
    raw_file_id: Mapped[int] = mapped_column(ForeignKey("raw_files.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    raw_file: Mapped[RawFileRow] = relationship()
