"""Alembic migrations of the store (``versions/``, one revision per schema version)."""
