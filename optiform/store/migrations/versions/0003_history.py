"""Schema version 3: history. Every version of a campaign's spec (``campaign_specs``) and of a
measurement (``measurement_versions``), retraction of a measurement, who made a formulation or a
measurement, and the composition actually made (``formulations.made_*``).

Every step is conditional, so an interrupted upgrade is completed. Existing campaigns get their
spec as version 1 and existing measurements their current values as version 1 (action
``recorded``, or ``ingested`` when raw files back them), dated when they were stored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _add_columns(table: str, columns: list[sa.Column[Any]]) -> None:
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}
    for column in columns:
        if column.name not in have:
            op.add_column(table, column)


def upgrade() -> None:
    bind = op.get_bind()
    tables = set(sa.inspect(bind).get_table_names())
    _add_columns(
        "formulations",
        [
            sa.Column("created_by", sa.String(200), nullable=True),
            sa.Column("made_values", sa.JSON(), nullable=True),
            sa.Column("made_masses_g", sa.JSON(), nullable=True),
            sa.Column("made_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("made_by", sa.String(200), nullable=True),
        ],
    )
    _add_columns(
        "measurements",
        [
            sa.Column("created_by", sa.String(200), nullable=True),
            sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("retract_reason", sa.Text(), nullable=True),
        ],
    )
    if "campaign_specs" not in tables:
        op.create_table(
            "campaign_specs",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("spec_json", sa.Text(), nullable=False),
            sa.Column("source", sa.Text(), nullable=True),
            sa.Column("author", sa.String(200), nullable=True),
            sa.Column("note", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("campaign_id", "version"),
        )
        op.create_index("ix_campaign_specs_campaign_id", "campaign_specs", ["campaign_id"])
    if "measurement_versions" not in tables:
        op.create_table(
            "measurement_versions",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("measurement_id", sa.Integer(), sa.ForeignKey("measurements.id"), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("action", sa.String(16), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("note", sa.Text(), nullable=False),
            sa.Column("values", sa.JSON(), nullable=False),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("author", sa.String(200), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("measurement_id", "version"),
        )
        op.create_index("ix_measurement_versions_measurement_id", "measurement_versions", ["measurement_id"])
    _backfill(bind)
    op.execute(sa.text("UPDATE meta SET value = '3' WHERE key = 'schema_version'"))


def _backfill(bind: sa.Connection) -> None:
    """Version 1 of every campaign spec and measurement that has none."""
    bind.execute(
        sa.text(
            "INSERT INTO campaign_specs (campaign_id, version, spec_json, source, author, note, created_at) "
            "SELECT c.id, 1, c.spec_json, NULL, NULL, '', c.created_at FROM campaigns c "
            "WHERE NOT EXISTS (SELECT 1 FROM campaign_specs s WHERE s.campaign_id = c.id)"
        )
    )
    missing = bind.execute(
        sa.text(
            "SELECT m.id, m.status, m.note, m.created_at, "
            "EXISTS (SELECT 1 FROM analyses a WHERE a.measurement_id = m.id) FROM measurements m "
            "WHERE NOT EXISTS (SELECT 1 FROM measurement_versions v WHERE v.measurement_id = m.id)"
        )
    ).all()
    values: dict[int, dict[str, float]] = {}
    for mid, quantity, value in bind.execute(sa.text("SELECT measurement_id, quantity, value FROM measurement_values")):
        values.setdefault(mid, {})[quantity] = value
    rows = [
        {
            "mid": mid,
            "action": "ingested" if ingested else "recorded",
            "status": status,
            "note": note or "",
            "values": json.dumps(values.get(mid, {})),
            "created_at": created_at,
        }
        for mid, status, note, created_at, ingested in missing
    ]
    if rows:
        bind.execute(
            sa.text(
                "INSERT INTO measurement_versions "
                '(measurement_id, version, action, status, note, "values", reason, author, created_at) '
                "VALUES (:mid, 1, :action, :status, :note, :values, '', NULL, :created_at)"
            ),
            rows,
        )


def downgrade() -> None:
    op.drop_table("measurement_versions")
    op.drop_table("campaign_specs")
    for column in ("retract_reason", "retracted_at", "created_by"):
        op.drop_column("measurements", column)
    for column in ("made_by", "made_at", "made_masses_g", "made_values", "created_by"):
        op.drop_column("formulations", column)
    op.execute(sa.text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
