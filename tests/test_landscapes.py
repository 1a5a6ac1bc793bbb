"""Synthetic benchmark landscapes (optiform.sim.landscapes, their problems in optiform.bench.landscapes):
optima, labs, campaigns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optiform.bench.landscapes import LANDSCAPES, four_component_problem, ridge_problem, shifted_problem
from optiform.bench.problems import Problem
from optiform.sim import landscapes as ls
from optiform.spec import load_spec

CASES = [
    (ls.ShiftedLab, ls.SHIFTED_OPTIMUM, shifted_problem),
    (ls.RidgeLab, ls.RIDGE_OPTIMUM, ridge_problem),
    (ls.FourComponentLab, ls.FOUR_COMPONENT_OPTIMUM, four_component_problem),
]
IDS = ["shifted", "ridge", "four-component"]


@pytest.mark.parametrize(("lab_cls", "optimum", "factory"), CASES, ids=IDS)
def test_stored_optimum_is_attained_and_inside_the_bounds(lab_cls, optimum, factory):
    point = optimum["point"]
    assert list(point) == list(lab_cls.components)
    assert sum(point.values()) == pytest.approx(100.0, abs=1e-4)
    for name, (lo, hi) in lab_cls.bounds.items():
        assert lo - 1e-6 <= point[name] <= hi + 1e-6, name
    value = lab_cls().true_value(pd.DataFrame([point]))[0]
    assert value == pytest.approx(optimum[ls.OBJECTIVE], rel=2e-6)
    assert factory().optimum_value == optimum[ls.OBJECTIVE]


@pytest.mark.parametrize(("lab_cls", "optimum", "factory"), CASES, ids=IDS)
def test_no_dense_sample_point_beats_the_optimum(lab_cls, optimum, factory):
    sample = ls.sample_simplex(lab_cls.bounds, 200_000, seed=7)
    lo = np.array([b[0] for b in lab_cls.bounds.values()])
    hi = np.array([b[1] for b in lab_cls.bounds.values()])
    x = sample.to_numpy()
    assert np.all((x >= lo) & (x <= hi)) and np.allclose(x.sum(axis=1), 100.0)
    values = lab_cls().true_value(sample)
    best = optimum[ls.OBJECTIVE]
    assert values.max() <= best * (1 + 1e-6)
    assert values.max() >= 0.995 * best  # the sample is dense enough to come close


@pytest.mark.parametrize(("lab_cls", "optimum", "factory"), CASES, ids=IDS)
def test_recomputed_optimum_matches_the_constant(lab_cls, optimum, factory):
    point, value = lab_cls.compute_optimum()
    assert value == pytest.approx(optimum[ls.OBJECTIVE], rel=1e-5)
    for name, v in optimum["point"].items():
        assert point[name] == pytest.approx(v, abs=0.02), name


def test_shifted_optimum_is_interior_at_low_sn_high_salt():
    point = ls.SHIFTED_OPTIMUM["point"]
    for name, (lo, hi) in ls.SHIFTED_BOUNDS.items():
        assert lo + 5 < point[name] < hi - 5, name  # no bound active
    assert point["SN"] < 30 and point["salt"] > 25
    # the decoy near the llzt-cse optimum is a separate local maximum, lower than the global one
    lab = ls.ShiftedLab()
    decoy = lab.true_value(pd.DataFrame({"MEMA": [33.0], "SN": [55.0], "salt": [12.0]}))[0]
    between = lab.true_value(pd.DataFrame({"MEMA": [40.0], "SN": [40.0], "salt": [20.0]}))[0]
    assert 0.7 * ls.SHIFTED_OPTIMUM[ls.OBJECTIVE] < decoy < 0.9 * ls.SHIFTED_OPTIMUM[ls.OBJECTIVE]
    assert between < 0.5 * decoy


def test_ridge_is_narrow_and_curved():
    lab = ls.RidgeLab()
    s = np.array([0.2, 0.42, 0.55])
    c = ls.ridge_centre(s)
    on = lab.true_value(pd.DataFrame({"MEMA": 100 * (1 - s - c), "SN": 100 * s, "salt": 100 * c}))
    off = lab.true_value(pd.DataFrame({"MEMA": 100 * (1 - s - c - 0.05), "SN": 100 * s, "salt": 100 * (c + 0.05)}))
    assert np.all(off < 0.35 * on)  # 5 wt% more salt than the crest: most of the crest is lost
    slope = 2 * 0.9 * (s - 0.10)
    assert slope[0] < 0.2 < 0.8 < slope[2]  # the crest turns: no single axis-aligned direction


def test_four_component_optimum_mixes_both_plasticisers():
    point = ls.FOUR_COMPONENT_OPTIMUM["point"]
    assert point["SN"] > 10 and point["PEGDME"] > 10
    lab = ls.FourComponentLab()
    best = ls.FOUR_COMPONENT_OPTIMUM[ls.OBJECTIVE]
    no_peg = {**point, "SN": point["SN"] + point["PEGDME"], "PEGDME": 0.0}
    no_sn = {**point, "PEGDME": point["SN"] + point["PEGDME"], "SN": 0.0}
    assert lab.true_value(pd.DataFrame([no_peg, no_sn])).max() < 0.9 * best


@pytest.mark.parametrize(("lab_cls", "optimum", "factory"), CASES, ids=IDS)
def test_lab_is_reproducible_by_seed_and_noise_is_lognormal(lab_cls, optimum, factory):
    X = ls.sample_simplex(lab_cls.bounds, 400, seed=3).assign(id=[f"F{i:04d}" for i in range(400)])
    a, b, c = lab_cls(seed=5).measure(X), lab_cls(seed=5).measure(X), lab_cls(seed=6).measure(X)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a[ls.OBJECTIVE], c[ls.OBJECTIVE])
    assert list(a.columns) == ["id", ls.OBJECTIVE, "status", "note"]
    assert (a["id"] == X["id"]).all() and (a["status"] == "ok").all()
    log_ratio = np.log(a[ls.OBJECTIVE].to_numpy() / lab_cls().true_value(X))
    assert abs(log_ratio.mean()) < 0.01 and log_ratio.std() == pytest.approx(0.03, rel=0.15)
    lab = lab_cls(seed=5)
    first, second = lab.measure(X.iloc[:3]), lab.measure(X.iloc[:3])  # stream continues
    assert not np.allclose(first[ls.OBJECTIVE], second[ls.OBJECTIVE])


def test_mixture_is_normalised_and_bad_input_is_named():
    lab = ls.ShiftedLab()
    X = pd.DataFrame({"MEMA": [48.0], "SN": [22.0], "salt": [30.0]})
    assert lab.true_value(X * 2) == pytest.approx(lab.true_value(X))
    with pytest.raises(ValueError, match="'salt'"):
        lab.true_value(X.drop(columns="salt"))
    with pytest.raises(ValueError, match="'SN'"):
        lab.true_value(X.assign(SN=-1.0))
    with pytest.raises(ValueError, match="noise_rel"):
        ls.ShiftedLab(noise_rel=-0.1)


def test_problems_are_registered_and_synthetic():
    from optiform.bench.problems import get_problem

    for name in LANDSCAPES:
        problem = get_problem(name)
        assert isinstance(problem, Problem) and problem.name == name and problem.synthetic
        assert "SYNTHETIC" in problem.description


@pytest.mark.parametrize("name", list(LANDSCAPES))
def test_campaign_create_and_propose(name, make_campaign):
    problem = LANDSCAPES[name]()
    spec = load_spec(problem.spec)
    assert spec.objective_names == [ls.OBJECTIVE] and spec.objectives[0].maximize
    campaign = make_campaign(problem.spec)
    batch = campaign.propose(4)
    assert len(batch) == 4
    assert np.allclose(batch[spec.components].sum(axis=1), 100.0)
    results = problem.make_lab(0).measure(batch)
    assert np.all(results[ls.OBJECTIVE] > 0)
    campaign.record(results)
    assert (campaign.formulations()["n_results"] > 0).sum() == 4
