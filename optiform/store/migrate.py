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
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from ..errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

SCHEMA_VERSION = 4
"""The schema version this optiform writes (Alembic head = revision ``f"{SCHEMA_VERSION:04d}"``)."""

OPTIFORM_TABLES = frozenset({"meta", "campaigns", "formulations", "measurements", "measurement_values"})


def revision_of(version: int) -> str:
    """Alembic revision id of a schema version: 2 -> ``"0002"``."""
    return f"{version:04d}"


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration that runs this package's migrations on ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    return config


def stored_version(connection: Connection, url: str) -> int | None:
    """``meta.schema_version`` of an optiform store, or None for an empty database. StoreError for
    a database of something else, one without a readable version, or a version this optiform does
    not know (below 1, or newer than :data:`SCHEMA_VERSION`)."""
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
    if value is None or not str(value).isdigit() or int(value) < 1:
        raise StoreError(
            f"store {url} has no schema version in its meta table (got {value!r}); optiform did not write it"
        )
    if int(value) > SCHEMA_VERSION:
        raise StoreError(
            f"store {url} has schema version {value}, newer than this optiform's ({SCHEMA_VERSION}); upgrade optiform"
        )
    return int(value)


def upgrade(connection: Connection, url: str, create: bool) -> None:
    """Create the schema in an empty database (``create``) or upgrade an older store, in the
    connection's transaction."""
    version = stored_version(connection, url)
    if version is None and not create:
        raise StoreError(f"store {url} holds no campaign; create one with 'optiform init FILE'")
    if version == SCHEMA_VERSION and _alembic_revision(connection) == revision_of(version):
        return  # current: Alembic (~0.3 s to import) is not needed
    from alembic import command

    config = alembic_config(connection)
    if version is not None:
        command.stamp(config, revision_of(version), purge=True)
    command.upgrade(config, "head")


def _alembic_revision(connection: Connection) -> str | None:
    """The revision in Alembic's ``alembic_version`` table (None without the table or a row)."""
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    revisions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return str(revisions[0]) if len(revisions) == 1 else None
