"""The default strategy keeps likely failures out of a batch: its acquisition points stay at or
near P(feasible) >= min_probability (0.6 by default), where without the floor it proposes films
the classifier expects to stay fluid."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest

from optiform.bench.loop import measure_and_record
from optiform.bench.problems import get_problem
from optiform.bench.variants import parse_strategy
from optiform.campaign import Campaign
from optiform.spec import BotorchOptions

MakeCampaign = Callable[..., Campaign]


def _acquisition_probabilities(make_campaign: MakeCampaign, label: str | None, seed: int = 0) -> np.ndarray:
    """P(feasible) of batch 3's acquisition points (all but the exploitation point) on
    ratio-boundary, after Sobol batches of 8 and 20 (the same history for every variant, so only
    the options differ)."""
    problem = get_problem("ratio-boundary")
    spec = problem.campaign_spec()
    if label is not None:
        spec = parse_strategy(label).apply(spec)
    lab = problem.make_lab(seed)
    c = make_campaign(spec, seed=seed, name=label or "default")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        measure_and_record(c, lab, c.propose(8, strategy="sobol"))
        measure_and_record(c, lab, c.propose(20, strategy="sobol"))
        batch = c.propose(4)
        feasibility = c.feasibility_model()
    assert feasibility is not None
    return feasibility.probability(batch)[1:]


@pytest.mark.parametrize("seed", [0, 2])
def test_the_floor_alone_keeps_acquisition_points_likely_to_pass(make_campaign: MakeCampaign, seed: int) -> None:
    """With the feasibility weight off (power 0), ratio-boundary's landscape, which keeps rising past
    the fluid boundary, draws every acquisition point into the fluid region; the floor alone keeps
    them near P >= 0.6 (soft: 100 nats per unit of ln P below it)."""
    unfloored = _acquisition_probabilities(make_campaign, "botorch[feasibility_power=0,min_probability=0]", seed)
    floored = _acquisition_probabilities(make_campaign, "botorch[feasibility_power=0,min_probability=0.6]", seed)
    assert unfloored.max() < 0.1
    assert floored.min() >= 0.5


def test_the_default_keeps_acquisition_points_above_its_floor(make_campaign: MakeCampaign) -> None:
    assert BotorchOptions().min_probability == 0.6
    floored = _acquisition_probabilities(make_campaign, None)  # the default options
    assert floored.min() >= 0.55  # at or near the floor of 0.6


def test_calibration_script_rows_match_the_lab(benchmark_script: Callable[[str], ModuleType]) -> None:
    """benchmarks/feasibility_calibration.py: one row per experiment, P only once a classifier
    exists, 'passed' exactly where the lab's noise-free value is finite, and the report's share."""
    script = benchmark_script("feasibility_calibration")
    table = script.run("ratio-boundary", "botorch", seed=0, budget=16, initial=8, batch=4)
    assert len(table) == 16 and table["batch"].tolist() == [1] * 8 + [2] * 4 + [3] * 4
    assert table.loc[table["batch"] == 1, "P"].isna().all()
    later = table[table["batch"] > 1]
    assert later["P"].between(0, 1).all()
    assert (table["passed"] == table["fraction_of_optimum"].notna()).all()
    assert table["fraction_of_optimum"].max() <= 1.0 + 1e-9
    assert f"passed after the first batch: {later['passed'].mean():.1%} of 8;" in script.report(table)
