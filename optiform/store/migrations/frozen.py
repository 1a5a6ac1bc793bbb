"""Table definitions frozen at a schema version, shared by the revisions that create them."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_raw_file_tables() -> None:
    """``raw_files``, ``analyses`` and ``analysis_files`` as of schema version 1."""
    op.create_table(
        "raw_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("measurement_id", sa.Integer(), sa.ForeignKey("measurements.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("group", sa.String(200), nullable=False),
        sa.Column("quantity", sa.String(64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("uncertainty", sa.Float(), nullable=True),
        sa.Column("temperature_C", sa.Float(), nullable=True),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("failing", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_analyses_measurement_id", "analyses", ["measurement_id"])
    op.create_table(
        "analysis_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("analysis_id", sa.Integer(), sa.ForeignKey("analyses.id"), nullable=False),
        sa.Column("raw_file_id", sa.Integer(), sa.ForeignKey("raw_files.id"), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
    )
    op.create_index("ix_analysis_files_analysis_id", "analysis_files", ["analysis_id"])
    op.create_index("ix_analysis_files_raw_file_id", "analysis_files", ["raw_file_id"])
