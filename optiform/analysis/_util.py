"""Small helpers shared by the analysis modules."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from ..errors import AnalysisError
from .types import Series


def as_frame(data: Any, required: tuple[str, ...], arg: str) -> pd.DataFrame:
    """DataFrame with the canonical ``required`` columns from a Series, DataFrame or path."""
    if isinstance(data, (str, os.PathLike)):
        from .readers import read_series

        data = read_series(data)
    if isinstance(data, Series):
        data = data.data
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError(f"{arg}: expected a Series, DataFrame or path, got {type(data).__name__}")
    missing = [c for c in required if c not in data.columns]
    if missing:
        raise AnalysisError(f"{arg}: missing column(s) {missing}; columns are {list(data.columns)}")
    return data


def new_axes(ax: Any = None) -> Any:
    """``ax``, or the axes of a new pyplot-free Figure (safe under any backend)."""
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=(5, 4)).add_subplot()
