"""Strategies behind one interface: ``botorch`` (default), ``random``, ``sobol``, ``grid`` (a regular
mixture grid, the paper's way), ``optuna-tpe`` and ``optuna-gp`` (optuna's TPE and GP samplers)."""

from __future__ import annotations

from typing import Any

from .base import ProposalContext, Strategy
from .bo import BotorchStrategy
from .grid import GridExhaustedError, GridStrategy
from .optuna_strategies import OptunaGPStrategy, OptunaTPEStrategy
from .samplers import RandomStrategy, SobolStrategy

STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (BotorchStrategy, RandomStrategy, SobolStrategy, GridStrategy, OptunaTPEStrategy, OptunaGPStrategy)
}


def get_strategy(name: str, options: dict[str, Any] | None = None) -> Strategy:
    """Instantiate a strategy by name; unknown names raise ValueError listing the known ones."""
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}") from None
    return cls(**(options or {}))


__all__ = ["STRATEGIES", "GridExhaustedError", "ProposalContext", "Strategy", "get_strategy"]
