"""The Strategy interface: given what the campaign knows, return the next batch of formulations.

A strategy receives a :class:`ProposalContext` (the space, the training data, every formulation
already made or pending) and returns ``n`` rounded formulations, none on the lattice point of an
existing formulation or of each other (the model-free strategies and the space-filling design also
keep one rounding step away; the default strategy's ``min_spacing`` option sets its own distance).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from ..space import Space
from ..spec import ObjectiveSpec, OutcomeConstraintSpec, StrategyOptions

MIN_USABLE_RESULTS = 2  # a GP needs results for at least two formulations


def in_design(n_results: int, n_usable: int, n_initial: int) -> bool:
    """Whether the default strategy's next batch is its space-filling design: while fewer than
    ``n_initial`` formulations have results, and while fewer than ``MIN_USABLE_RESULTS`` have a
    usable one (a design whose films mostly stayed fluid leaves nothing to fit a GP to). Used by
    the strategy, ``optiform status`` and the closed loop's batch labels."""
    return n_results < n_initial or n_usable < MIN_USABLE_RESULTS


@dataclass
class ProposalContext:
    """What a strategy may use. ``surrogate()`` fits (once) and returns the objective's GP."""

    space: Space
    objective: ObjectiveSpec
    train: pd.DataFrame  # variables + objective column, usable results only
    existing: pd.DataFrame  # variables of every formulation already in the campaign
    pending: pd.DataFrame  # variables of proposed formulations without results
    n_initial: int
    n_results: int  # formulations with a result (including failed ones)
    seed: int
    surrogate: Callable[[], Any] = field(repr=False, default=lambda: None)
    feasibility: Callable[[], Any] = field(repr=False, default=lambda: None)  # None when not learnable
    # Several objectives / outcome constraints (model-based strategies; others may ignore them).
    # ``objectives`` starts with ``objective``; empty means [objective]. ``surrogates()`` fits (once)
    # and returns the GP of every objective and constrained quantity, by name.
    objectives: list[ObjectiveSpec] = field(default_factory=list)
    outcome_constraints: list[OutcomeConstraintSpec] = field(default_factory=list)
    surrogates: Callable[[], dict[str, Any]] = field(repr=False, default=lambda: {})


class Strategy(ABC):
    """Base class; subclasses set ``name`` and ``options_model`` (the strategy's options model of
    :data:`optiform.spec.STRATEGY_REGISTRY`) and implement :meth:`propose`.

    Built from typed options (``BotorchStrategy(BotorchOptions(exploit=2))``) or from keywords
    checked against the options model (``GridStrategy(step=5)``; a bad one is a StrategyError)."""

    name: ClassVar[str]
    options_model: ClassVar[type[StrategyOptions]]

    def __init__(self, options: StrategyOptions | None = None, /, **values: Any) -> None:
        if options is None:
            options = self.options_model.from_options(values)
        elif values or not isinstance(options, self.options_model):
            raise TypeError(f"{type(self).__name__}: expected one {self.options_model.__name__} or keywords")
        self.options = options

    @abstractmethod
    def propose(self, n: int, ctx: ProposalContext) -> pd.DataFrame:
        """``n`` rounded, distinct formulations (variable columns only)."""


def blocked_points(ctx: ProposalContext) -> pd.DataFrame:
    """Every formulation a new proposal must stay away from (made, measured or pending)."""
    frames = [f[ctx.space.variables] for f in (ctx.existing, ctx.pending) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ctx.space.variables)
