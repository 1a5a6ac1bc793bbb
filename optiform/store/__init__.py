"""Persistence: campaigns, formulations, measurements and ingested raw files in a database.

The only package that uses SQLAlchemy. :class:`Store` speaks the domain's words and returns plain
data (DataFrames, dicts, the records of :mod:`optiform.store.records`); the tables are in
:mod:`optiform.store.schema`, the Alembic migrations in ``optiform/store/migrations``.
"""

from ..errors import StoreError
from .migrate import SCHEMA_VERSION
from .records import (
    AlreadyStored,
    CampaignRecord,
    IngestedGroup,
    MadeFormulation,
    NewAnalysis,
    NewMeasurement,
    RawFile,
    RecordOutcome,
    amend_command,
    cancelled_message,
    cancelled_text,
    retracted_text,
    source_key,
    values_text,
)
from .store import DEFAULT_STORE_URL, Store, resolve_store_url

__all__ = [
    "DEFAULT_STORE_URL",
    "SCHEMA_VERSION",
    "AlreadyStored",
    "CampaignRecord",
    "IngestedGroup",
    "MadeFormulation",
    "NewAnalysis",
    "NewMeasurement",
    "RawFile",
    "RecordOutcome",
    "Store",
    "StoreError",
    "amend_command",
    "cancelled_message",
    "cancelled_text",
    "resolve_store_url",
    "retracted_text",
    "source_key",
    "values_text",
]
