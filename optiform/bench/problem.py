"""A benchmark problem: a campaign spec, a lab that measures it, and the noise-free optimum.

A :class:`Problem` is plain data plus a lab factory. Benchmarks judge every run on the lab's
noise-free ``true_value`` (NaN where infeasible) against ``optimum_value``, so "98% of the optimum"
means ``true_value >= 0.98 * optimum_value`` for a maximised objective.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..sim.base import Lab
from ..spec import CampaignSpec, load_spec


@dataclass(frozen=True)
class Problem:
    """One benchmark problem.

    ``spec`` is a campaign (TOML path, dict or :class:`CampaignSpec`) whose single objective the lab
    returns; ``make_lab(seed)`` builds a fresh seeded lab; ``optimum_value`` is the best noise-free
    objective within the campaign's space (continuous, not rounded to the lattice); ``synthetic``
    says whether the landscape is invented (True) or an emulator fitted to measured data (False).
    """

    name: str
    description: str
    spec: Any
    make_lab: Callable[[int], Lab]
    optimum_value: float
    synthetic: bool = True

    def campaign_spec(self) -> CampaignSpec:
        """The problem's campaign, validated."""
        return self.spec if isinstance(self.spec, CampaignSpec) else load_spec(self.spec)
