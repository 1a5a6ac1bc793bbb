"""Model-free strategies: uniform random search and a Sobol space-filling design."""

from __future__ import annotations

import pandas as pd

from ..errors import SpaceExhaustedError
from ..spec import RandomOptions, SobolOptions
from .base import ProposalContext, Strategy, blocked_points


class RandomStrategy(Strategy):
    """Uniform random points of the constrained space, rounded, distinct from what exists."""

    name = "random"
    options_model = RandomOptions

    def propose(self, n: int, ctx: ProposalContext) -> pd.DataFrame:
        blocked = blocked_points(ctx)
        draw = max(64, 8 * n)
        for attempt in range(6):
            cand = ctx.space.round(ctx.space.sample_uniform(draw, seed=ctx.seed + attempt, sobol=False))
            batch = ctx.space.distinct(cand, blocked, n)
            if len(batch) == n:
                return batch
            draw *= 4
        raise SpaceExhaustedError(f"random search found only {len(batch)} new distinct formulations")


class SobolStrategy(Strategy):
    """Space-filling design: the next scrambled Sobol points (rounded) away from existing formulations."""

    name = "sobol"
    options_model = SobolOptions

    def propose(self, n: int, ctx: ProposalContext) -> pd.DataFrame:
        return ctx.space.space_filling(n, seed=ctx.seed, existing=blocked_points(ctx))
