"""Schema version 1: campaigns, formulations, measurements and their values, raw files and analyses.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from optiform.store.migrations.frozen import create_raw_file_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "formulations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=True),
        sa.Column("strategy", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("campaign_id", "label"),
    )
    op.create_index("ix_formulations_campaign_id", "formulations", ["campaign_id"])
    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("formulation_id", sa.Integer(), sa.ForeignKey("formulations.id"), nullable=False),
        sa.Column("replicate", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("formulation_id", "replicate"),
    )
    op.create_index("ix_measurements_formulation_id", "measurements", ["formulation_id"])
    op.create_table(
        "measurement_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("measurement_id", sa.Integer(), sa.ForeignKey("measurements.id"), nullable=False),
        sa.Column("quantity", sa.String(64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.UniqueConstraint("measurement_id", "quantity"),
    )
    op.create_index("ix_measurement_values_measurement_id", "measurement_values", ["measurement_id"])
    create_raw_file_tables()
    op.execute(sa.text("INSERT INTO meta (key, value) VALUES ('schema_version', '1')"))


def downgrade() -> None:
    for table in ("analysis_files", "analyses", "measurement_values", "measurements", "formulations"):
        op.drop_table(table)
    for table in ("raw_files", "campaigns", "meta"):
        op.drop_table(table)
