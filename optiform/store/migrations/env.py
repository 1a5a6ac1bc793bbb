"""Alembic environment: migrations run on the connection :mod:`optiform.store.migrate` hands over
(``config.attributes["connection"]``), inside its transaction."""

from __future__ import annotations

from alembic import context

from optiform.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
