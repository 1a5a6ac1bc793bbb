"""Strategies behind one interface: ``botorch`` (default), ``random``, ``sobol``, ``grid`` (a regular
mixture grid, the paper's way), ``optuna-tpe`` and ``optuna-gp`` (optuna's TPE and GP samplers).

The names, each strategy's options model and a one-line description are in
:data:`optiform.spec.STRATEGY_REGISTRY`; here each name maps to the class that proposes. The
classes are imported when first asked for (torch and optuna load then, not with this package).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from ..errors import GridExhaustedError, StrategyError
from ..spec import STRATEGY_NAMES, StrategyOptions
from .base import ProposalContext, Strategy

# strategy name -> (module of this package, class); the names are those of optiform.spec.STRATEGY_REGISTRY
STRATEGY_CLASSES: dict[str, tuple[str, str]] = {
    "botorch": ("bo", "BotorchStrategy"),
    "random": ("samplers", "RandomStrategy"),
    "sobol": ("samplers", "SobolStrategy"),
    "grid": ("grid", "GridStrategy"),
    "optuna-tpe": ("optuna_strategies", "OptunaTPEStrategy"),
    "optuna-gp": ("optuna_strategies", "OptunaGPStrategy"),
    "botorch-defaults": ("peers", "BotorchDefaultsStrategy"),
}


def strategy_class(name: str) -> type[Strategy]:
    """The class of strategy ``name`` (imported on first use); StrategyError for an unknown name."""
    if name not in STRATEGY_CLASSES:
        raise StrategyError(f"unknown strategy {name!r}; expected one of {', '.join(STRATEGY_NAMES)}")
    module, attr = STRATEGY_CLASSES[name]
    cls: type[Strategy] = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    return cls


def get_strategy(name: str, options: Mapping[str, Any] | StrategyOptions | None = None) -> Strategy:
    """Instantiate a strategy by name with its options (a table, checked against the strategy's
    options model, or the model itself). An unknown name or a bad option is a StrategyError
    naming it and what was expected."""
    cls = strategy_class(name)
    typed = options if isinstance(options, StrategyOptions) else cls.options_model.from_options(options)
    return cls(typed)


def __getattr__(name: str) -> Any:
    if name == "STRATEGIES":  # name -> class, every strategy imported
        return {n: strategy_class(n) for n in STRATEGY_NAMES}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "STRATEGIES",
    "STRATEGY_CLASSES",
    "GridExhaustedError",
    "ProposalContext",
    "Strategy",
    "get_strategy",
    "strategy_class",
]
