"""Persistence: campaigns, formulations and measurements in a SQLAlchemy database.

SQLite by default (a file, ``optiform.db`` in the working directory); any SQLAlchemy URL works
(``postgresql+psycopg://...``). Every write is one transaction.
"""

from .db import (
    DEFAULT_STORE_URL,
    SCHEMA_VERSION,
    CampaignRow,
    FormulationRow,
    MeasurementRow,
    Store,
    StoreError,
    ValueRow,
    resolve_store_url,
)

__all__ = [
    "DEFAULT_STORE_URL",
    "SCHEMA_VERSION",
    "CampaignRow",
    "FormulationRow",
    "MeasurementRow",
    "Store",
    "StoreError",
    "ValueRow",
    "resolve_store_url",
]
