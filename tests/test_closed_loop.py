"""One short closed loop on the virtual lab: the model-based batches beat the initial design."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from optiform import Campaign
from optiform.bench.loop import closed_loop, experiments_to_reach
from optiform.sim import GLOBAL_OPTIMUM, VirtualLab


@pytest.mark.slow
def test_short_closed_loop_improves_on_initial_design(make_campaign: Callable[..., Campaign]) -> None:
    # seeded campaign and lab: deterministic (benchmarks/closed_loop.py gives the statistics over seeds)
    c = make_campaign(seed=3)
    history = closed_loop(c, VirtualLab(seed=3), budget=c.spec.n_initial + 12, batch_size=4)
    design = history[history["kind"] == "design"]
    model = history[history["kind"] == "model"]
    assert len(design) == c.spec.n_initial == 14 and len(model) == 12
    assert set(model["batch"]) == {2, 3, 4}
    assert c.best()["conductivity_mS_cm"] == pytest.approx(np.nanmax(history["conductivity_mS_cm"]))
    # bookkeeping: every experiment is in the store once, failed (fluid) films marked failed
    data = c.data()
    assert len(data) == len(history) and data["id"].is_unique
    assert (data["status"] == "failed").sum() == (history["status"] == "failed").sum()
    assert data.loc[data["status"] == "failed", "conductivity_mS_cm"].isna().all()
    best = history["best_true_mS_cm"]
    assert best.dropna().is_monotonic_increasing  # NaN only before the first solid film
    assert best.notna().is_monotonic_increasing


def test_model_batches_beat_the_design_in_most_seeds(make_campaign: Callable[..., Campaign]) -> None:
    """Three model batches of 4 make a better film than the 14-point design (noise-free) in at least
    4 of seeds 0-4; one seed can lose (seed 3: the classifier, sure after 14 films, sends 7 of the 12
    into the fluid region)."""
    wins = 0
    for seed in range(5):
        c = make_campaign(seed=seed, name=f"seed-{seed}")
        history = closed_loop(c, VirtualLab(seed=seed), budget=c.spec.n_initial + 12, batch_size=4)
        design = history[history["kind"] == "design"]
        model = history[history["kind"] == "model"]
        wins += bool(np.nanmax(model["true_mS_cm"], initial=-np.inf) > np.nanmax(design["true_mS_cm"]))
    assert wins >= 4


def test_experiments_to_reach_counts_budget_plus_one() -> None:
    import pandas as pd

    h = pd.DataFrame({"experiment": [1, 2, 3], "best_true_mS_cm": [0.2, 0.9, 1.2]})
    assert experiments_to_reach(h, 0.9, budget=3) == 2
    assert experiments_to_reach(h, 0.95 * GLOBAL_OPTIMUM["conductivity_mS_cm"], budget=3) == 4
