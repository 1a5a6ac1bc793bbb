"""Analysis core: raw instrument files -> measured properties with quality flags."""

from .types import QUANTITIES, SERIES_COLUMNS, Flag, ReaderError, Result, Series, Spectrum

__all__ = ["QUANTITIES", "SERIES_COLUMNS", "Flag", "ReaderError", "Result", "Series", "Spectrum"]
