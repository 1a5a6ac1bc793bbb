"""Random search's odds of reaching a fraction of the optimum (optiform.bench.odds)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from optiform.bench import get_problem
from optiform.bench.odds import ODDS_COLUMNS, merge_odds, poisson_interval, random_search_odds

# The ternary slice's mixture region in (MEMA, SN) wt%: MEMA 10-70, SN 20-70, salt = 100 - MEMA - SN
# within 5-35. Rectangle 60 x 50 minus the corner triangles MEMA + SN < 65 (legs 35) and
# MEMA + SN > 95 (legs 45): 3000 - 612.5 - 1012.5 = 1375 wt%^2. Rounding to the 1 wt% lattice gives
# each interior lattice point a cell of area 1, and 30:50:20 is the slice's only lattice point at
# >= 98% of the optimum (checked below), so one uniform draw reaches 98% with p = 1/1375.
TERNARY_AREA_WT2 = 3000.0 - 35.0**2 / 2 - 45.0**2 / 2


def test_poisson_interval_matches_the_garwood_table() -> None:
    assert poisson_interval(0) == pytest.approx((0.0, 3.689), abs=1e-3)
    assert poisson_interval(1) == pytest.approx((0.0253, 5.572), abs=1e-3)
    assert poisson_interval(10) == pytest.approx((4.795, 18.39), abs=1e-2)
    with pytest.raises(ValueError, match="hits"):
        poisson_interval(-1)


@pytest.mark.slow
def test_ternary_odds_match_the_lattice_geometry() -> None:
    problem = get_problem("llzt-ternary")
    bounds = {name: (int(b.min), int(b.max)) for name, b in problem.campaign_spec().mixture.components.items()}
    assert bounds == {"MEMA": (10, 70), "SN": (20, 70), "salt": (5, 35)}  # the region TERNARY_AREA_WT2 measures
    lattice = pd.DataFrame(
        [(m, sn, 100 - m - sn) for m in range(10, 71) for sn in range(20, 71) if 5 <= 100 - m - sn <= 35],
        columns=["MEMA", "SN", "salt"],
    ).astype(float)
    above = lattice[problem.make_lab(0).true_value(lattice) >= 0.98 * problem.optimum_value]
    assert above.to_numpy().tolist() == [[30.0, 50.0, 20.0]]
    table = random_search_odds("llzt-ternary", fractions=(0.9, 0.98), draws=200_000, seed=3, chunk=50_000)
    assert list(table.columns) == ODDS_COLUMNS and len(table) == 2
    row = table.set_index("fraction").loc[0.98]
    assert row.draws == 200_000 and row.hits > 50
    assert row.p_low <= 1 / TERNARY_AREA_WT2 <= row.p_high
    assert row.expected_low <= TERNARY_AREA_WT2 <= row.expected_high
    assert row.median_experiments == pytest.approx(np.log(2) / -np.log1p(-row.p))
    assert table.set_index("fraction").loc[0.9, "hits"] > row.hits  # a lower target is hit more often


@pytest.mark.slow
def test_odds_are_reproducible_and_shards_pool() -> None:
    a = random_search_odds("llzt-ternary", fractions=(0.95,), draws=20_000, seed=1, chunk=5_000)
    pd.testing.assert_frame_equal(
        a, random_search_odds("llzt-ternary", fractions=(0.95,), draws=20_000, seed=1, chunk=5_000)
    )
    b = random_search_odds("llzt-ternary", fractions=(0.95,), draws=30_000, seed=2, chunk=5_000)
    pooled = merge_odds([a, b]).iloc[0]
    assert pooled.draws == 50_000 and pooled.hits == a.hits[0] + b.hits[0]
    assert pooled.p == pytest.approx(pooled.hits / 50_000)


def test_no_hit_gives_an_infinite_mean_and_a_finite_lower_bound() -> None:
    row = merge_odds([pd.DataFrame([{"problem": "x", "fraction": 0.98, "draws": 1000, "hits": 0}])]).iloc[0]
    assert row.p == 0 and np.isinf(row.expected_experiments) and np.isinf(row.expected_high)
    assert row.expected_low == pytest.approx(1000 / 3.689, rel=1e-3)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="draws"):
        random_search_odds("llzt-ternary", draws=0)
    with pytest.raises(ValueError, match="fractions"):
        random_search_odds("llzt-ternary", fractions=(1.5,), draws=10)
    with pytest.raises(ValueError, match="unknown problem"):
        random_search_odds("nope", draws=10)
    minimised = get_problem("llzt-ternary")
    spec = minimised.campaign_spec().model_dump(mode="json")
    spec["objectives"][0]["direction"] = "minimize"
    with pytest.raises(ValueError, match="maximised"):
        random_search_odds(replace(minimised, spec=spec), draws=10)
