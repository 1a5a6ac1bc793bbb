"""Bring a store's schema to this optiform's version with Alembic, on open.

A store records its schema version twice: ``meta.schema_version`` (1, 2, ...; what optiform before
Alembic read) and Alembic's ``alembic_version`` (revision ``0001``, ``0002``, ...: revision N builds
schema version N). ``meta`` is authoritative: a store made before Alembic (no ``alembic_version``),
or one whose revision disagrees with ``meta``, is stamped with the revision of its ``meta`` version
and upgraded from there. Every revision's steps are conditional, so an interrupted upgrade is
completed on the next open. The whole upgrade is one transaction.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from ..errors import StoreError

SCHEMA_VERSION = 2
"""The schema version this optiform writes (Alembic head = revision ``f"{SCHEMA_VERSION:04d}"``)."""

OPTIFORM_TABLES = frozenset({"meta", "campaigns", "formulations", "measurements", "measurement_values"})


def revision_of(version: int) -> str:
    """Alembic revision id of a schema version: 2 -> ``"0002"``."""
    return f"{version:04d}"


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration that runs this package's migrations on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    return config


def stored_version(connection: Connection) -> int | None:
    """``meta.schema_version`` of an optiform store, or None for an empty database.

    Raises StoreError for a database that holds other tables (not an optiform store)."""
    tables = set(inspect(connection).get_table_names())
    if not tables:
        return None
    if not OPTIFORM_TABLES <= tables:
        shown = ", ".join(sorted(tables)[:6]) + (", ..." if len(tables) > 6 else "")
        raise StoreError(
            f"the database holds tables of something else ({shown}), not an optiform store; "
            "name a new file or an empty database"
        )
    value = connection.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
    try:
        return int(value) if value is not None else None
    except ValueError:
        raise StoreError(f"meta.schema_version is {value!r}, not a schema version") from None


def upgrade(connection: Connection, url: str, create: bool) -> None:
    """Create the schema in an empty database (``create``) or upgrade an older store, in the
    connection's transaction. Raises StoreError for a newer store or one that is not optiform's."""
    version = stored_version(connection)
    if version is None and set(inspect(connection).get_table_names()):
        raise StoreError(f"store {url} has no schema_version in its meta table; it is not a store optiform wrote")
    if version is None and not create:
        raise StoreError(f"store {url} holds no campaign; create one with 'optiform init FILE'")
    if version is not None and version < 1:
        raise StoreError(f"store {url} has schema version {version}; optiform's versions start at 1")
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(
            f"store {url} has schema version {version}, newer than this optiform's ({SCHEMA_VERSION}); upgrade optiform"
        )
    config = alembic_config(connection)
    if version is not None:
        current = MigrationContext.configure(connection).get_current_revision()
        if version == SCHEMA_VERSION and current == revision_of(version):
            return
        command.stamp(config, revision_of(version), purge=True)
    command.upgrade(config, "head")
