"""Schema version 4: an ingested measurement names the raw files it came from
(``measurements.source_key``), unique per formulation, so that two processes ingesting the same
files store them once.

Every step is conditional, so an interrupted upgrade is completed. The constraint is a unique index
(SQLite cannot add a constraint to an existing table without rebuilding it, and a rebuild of a
table other tables refer to breaks their foreign keys inside the upgrade's transaction). Measurements
ingested before get their key; when a formulation holds the same files twice (two ingests that
raced before this version), the first keeps the key and the others none.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-14
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = "ux_measurements_source_key"


def source_key(kind: str, files: set[tuple[str, str]]) -> str:
    """optiform.store.records.source_key as of schema version 4 (frozen here)."""
    return hashlib.sha256(json.dumps([kind, sorted(files)]).encode()).hexdigest()


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if "source_key" not in {c["name"] for c in inspector.get_columns("measurements")}:
        op.add_column("measurements", sa.Column("source_key", sa.String(64), nullable=True))
    _backfill(bind)
    if INDEX not in {i["name"] for i in inspector.get_indexes("measurements")}:
        op.create_index(INDEX, "measurements", ["formulation_id", "source_key"], unique=True)
    op.execute(sa.text("UPDATE meta SET value = '4' WHERE key = 'schema_version'"))


def _backfill(bind: sa.Connection) -> None:
    """The key of every ingested measurement without one (the first of a formulation's duplicates)."""
    rows = bind.execute(
        sa.text(
            "SELECT m.id, m.formulation_id, m.source_key, a.kind, r.sha256, af.role FROM measurements m "
            "JOIN analyses a ON a.measurement_id = m.id "
            "JOIN analysis_files af ON af.analysis_id = a.id "
            "JOIN raw_files r ON r.id = af.raw_file_id ORDER BY m.id"
        )
    ).all()
    groups: dict[int, tuple[int, str | None, str, set[tuple[str, str]]]] = {}
    for mid, fid, key, kind, sha, role in rows:
        groups.setdefault(mid, (fid, key, kind, set()))[3].add((sha, role))
    taken = {(fid, key) for fid, key, _, _ in groups.values() if key is not None}
    updates = []
    for mid, (fid, key, kind, files) in sorted(groups.items()):
        new = source_key(kind, files)
        if key is None and (fid, new) not in taken:
            taken.add((fid, new))
            updates.append({"mid": mid, "key": new})
    if updates:
        bind.execute(sa.text("UPDATE measurements SET source_key = :key WHERE id = :mid"), updates)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="measurements")
    op.drop_column("measurements", "source_key")
    op.execute(sa.text("UPDATE meta SET value = '3' WHERE key = 'schema_version'"))
