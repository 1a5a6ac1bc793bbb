"""Schema version 2: a pending proposal can be cancelled (``formulations.cancelled_at``,
``formulations.cancel_reason``).

Every step is conditional, so a store whose earlier upgrade was interrupted is completed, and a
store from optiform's first days (schema version 1 before raw files: no ``campaigns.seed``, no
``raw_files``/``analyses`` tables) is brought to the full version-1 layout first.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from optiform.store.migrations.frozen import create_raw_file_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    if "seed" not in {c["name"] for c in inspector.get_columns("campaigns")}:
        op.add_column("campaigns", sa.Column("seed", sa.Integer(), nullable=False, server_default="0"))
    if "raw_files" not in tables:
        create_raw_file_tables()
    have = {c["name"] for c in inspector.get_columns("formulations")}
    if "cancelled_at" not in have:
        op.add_column("formulations", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    if "cancel_reason" not in have:
        op.add_column("formulations", sa.Column("cancel_reason", sa.Text(), nullable=True))
    op.execute(sa.text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))


def downgrade() -> None:
    op.drop_column("formulations", "cancel_reason")
    op.drop_column("formulations", "cancelled_at")
    op.execute(sa.text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
