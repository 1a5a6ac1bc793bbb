"""benchmarks/oracle_feasibility.py: its "true boundary" must be the virtual lab's own rule, or
its comparison with the learnt classifier measures nothing."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
import torch

from optiform.bench.problems import PAPER_FIXED, get_problem
from optiform.campaign import Campaign
from optiform.sim.lab import is_solid


def test_true_boundary_is_the_virtual_labs_rule(
    make_campaign: Callable[..., Campaign], benchmark_script: Callable[[str], ModuleType]
) -> None:
    script = benchmark_script("oracle_feasibility")
    for problem in ("llzt-full", "llzt-ternary"):
        c = make_campaign(get_problem(problem).campaign_spec(), name=problem)
        points = c.space.round(c.space.sample_uniform(3000, seed=5))
        full = points.assign(**{k: v for k, v in PAPER_FIXED.items() if k not in points})
        truth = is_solid(full)
        assert 0.2 < truth.mean() < 0.9  # both sides of the boundary are sampled
        oracle = script.TrueBoundary(c.space)
        assert (oracle.fec_column is None) == (problem == "llzt-ternary")
        assert np.array_equal(oracle.probability(points) > 0.5, truth)
        log_p = oracle.log_prob(torch.as_tensor(c.space.to_model(points)))
        assert np.array_equal(log_p.numpy() > np.log(0.5), truth)
        # steep: off the boundary's immediate neighbourhood a point is almost surely solid or fluid
        p = log_p.exp().numpy()
        assert ((p > 0.99) | (p < 0.01)).mean() > 0.95
        c.close()
