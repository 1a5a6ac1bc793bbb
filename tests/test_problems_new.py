"""Problems not shaped like the virtual lab: the random family ``family-NNN`` and the named problems
``narrow-ridge``, ``ratio-boundary``, ``eight-component``, ``noisy``. Their optima are PINNED here
and must not change (benchmarks compare runs across versions against them)."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pandas as pd
import pytest

from optiform.bench import get_problem, problem_names, run_bench
from optiform.bench.problems import FAMILY_GROUPS, expand_problem_names, is_problem_name
from optiform.bench.shapes import family_problem
from optiform.errors import DataError
from optiform.sim import family as fam
from optiform.sim import landscapes as ls
from optiform.spec import load_spec

# number -> (optimum in mS/cm, optimum point: wt% of X1..Xk then the process variables)
FAMILY_OPTIMA: dict[int, tuple[float, list[float]]] = {
    0: (3.2346057121232406, [3.222, 25.479, 13.716, 9.314, 25.912, 22.357, 43.489]),
    1: (2.537978164833199, [32.377, 17.826, 41.545, 8.252, 89.343]),
    2: (0.7141372120277972, [6.494, 3.079, 5.763, 16.421, 37.682, 30.56]),
    3: (1.2910472710705634, [11.647, 7.085, 0.046, 28.75, 23.533, 28.938]),
    4: (4.59322006514207, [30.386, 38.412, 10.238, 13.818, 7.146, 90.157, 7.77]),
    5: (1.2155127435077433, [5.863, 7.439, 36.411, 17.95, 32.337, 72.828, 9.353]),
    6: (1.7054937918286084, [8.839, 41.335, 24.874, 24.951, 73.701]),
    7: (4.009136685970028, [20.751, 10.946, 30.259, 11.124, 6.714, 20.206, 72.827]),
    8: (4.987799810012517, [4.063, 30.872, 29.017, 3.481, 32.566]),
    9: (5.450314393271118, [18.829, 44.216, 12.128, 24.826, 71.235, 7.815]),
    10: (2.273385517302021, [17.766, 27.206, 6.384, 23.073, 8.68, 16.892, 64.795, 6.703]),
    11: (0.9536375810565121, [75.06, 21.939, 3.001]),
    12: (4.003298254465384, [18.338, 9.226, 30.162, 18.573, 23.7]),
    13: (0.9341621651637739, [17.105, 7.297, 14.777, 11.754, 24.297, 24.769, 60.871, 9.151]),
    14: (0.7652200699935584, [31.05, 56.705, 12.244, 46.105, 13.463]),
    15: (5.039676929736652, [14.224, 4.109, 12.986, 21.825, 4.714, 42.141, 93.655, 18.681]),
    16: (0.9630095755141475, [1.805, 16.414, 23.974, 8.282, 49.525, 46.023]),
    17: (3.491343924268516, [5.871, 8.296, 5.866, 19.086, 60.881, 30.302, 6.366]),
    18: (1.4649862967686034, [34.849, 2.956, 20.392, 17.262, 4.074, 20.467, 87.222]),
    19: (2.4894302911870723, [5.159, 3.636, 19.267, 18.585, 53.354, 79.377]),
    100: (1.4219745342036285, [22.582, 0.293, 27.074, 5.019, 19.067, 25.965, 58.766, 16.481]),
    101: (4.022140514331193, [7.74, 9.696, 61.98, 20.584, 67.201, 12.013]),
    102: (3.2628944247341414, [26.766, 32.354, 10.381, 30.499]),
    103: (0.5667159176367111, [45.307, 9.367, 17.493, 18.367, 9.467]),
    104: (5.1918807433638134, [20.149, 29.414, 3.104, 17.737, 29.596, 65.068, 16.052]),
    105: (2.626874209580019, [0.661, 24.93, 52.365, 22.044, 85.552]),
    106: (3.4390404615122976, [19.19, 5.948, 12.041, 49.028, 13.793, 39.516, 9.673]),
    107: (2.532571988731691, [13.191, 52.99, 33.819, 64.52]),
    108: (4.069680384591356, [7.343, 56.694, 35.963, 56.372, 3.783]),
    109: (1.4624530223488355, [8.546, 40.889, 41.213, 4.883, 4.469, 76.901]),
    110: (4.82813866052615, [55.877, 19.206, 11.525, 10.463, 2.929, 47.441, 11.845]),
    111: (5.800688721081566, [37.364, 8.255, 39.819, 14.562]),
    112: (6.700531217699277, [42.689, 40.323, 16.988]),
    113: (0.8215976549053233, [17.265, 36.511, 16.318, 29.906]),
    114: (1.0109084521037217, [13.972, 44.678, 41.35, 39.125, 19.35]),
    115: (2.7364810172644174, [8.144, 28.365, 9.049, 19.424, 35.018, 52.605, 5.859]),
    116: (2.395817542706692, [22.331, 53.785, 23.884]),
    117: (2.1286593242142073, [24.068, 51.14, 24.792, 43.359, 7.129]),
    118: (1.2322043801941933, [38.335, 33.979, 15.873, 11.813, 71.423, 1.409]),
    119: (3.735997234721023, [57.989, 11.779, 7.204, 23.028, 59.448, 7.96]),
}
NUMBERS = sorted(FAMILY_OPTIMA)


@pytest.mark.parametrize("number", NUMBERS)
def test_family_optimum_is_pinned(number):
    value, location = FAMILY_OPTIMA[number]
    point, found = fam.family_optimum(number)
    assert found == pytest.approx(value, rel=1e-6)
    assert list(point.values()) == pytest.approx(location, abs=0.02)
    problem = get_problem(f"family-{number:03d}")
    assert problem.name == f"family-{number:03d}" and problem.optimum_value == pytest.approx(value, rel=1e-6)
    assert fam.FamilyLab(number=number).true_value(pd.DataFrame([point]))[0] == pytest.approx(found, rel=1e-9)


@pytest.mark.parametrize("number", NUMBERS)
def test_family_instance_has_the_promised_shape(number):
    d = fam.family_definition(number)
    assert 3 <= len(d.bounds) <= 6 and 0 <= len(d.parameters) <= 2 and 2 <= len(d.bumps) <= 4
    assert d.bumps[0].height == 1.0 and d.bumps[0].narrow  # the highest optimum is narrow
    assert all(0.45 <= b.height <= 0.9 for b in d.bumps[1:])  # the others lower, of random height
    lo = np.array([b[0] for b in d.bounds.values()])
    hi = np.array([b[1] for b in d.bounds.values()])
    assert lo.sum() <= 40 and hi.sum() >= 130 and np.all(lo < hi) and np.all(hi <= 100)
    spec = load_spec(family_problem(number).spec)
    assert spec.components == list(d.bounds) and spec.dimension == len(d.bounds) - 1 + len(d.parameters)
    point, _ = fam.family_optimum(number)
    for name, (a, b) in d.bounds.items():
        assert a - 1e-6 <= point[name] <= b + 1e-6
    assert sum(point[k] for k in d.bounds) == pytest.approx(100.0, abs=1e-6)
    for name, (a, b, _) in d.parameters.items():
        assert a - 1e-9 <= point[name] <= b + 1e-9
    centres = np.array([b.centre for b in d.bumps])  # every bump is inside the space
    assert np.all(centres[:, : len(lo)] >= lo / 100 - 1e-12) and np.all(centres[:, : len(lo)] <= hi / 100 + 1e-12)


def test_family_is_deterministic_and_instances_differ():
    assert fam.family_definition(7) == fam.family_definition(7)
    assert family_problem(7).spec == family_problem(7).spec
    defs = [fam.family_definition(n) for n in NUMBERS]
    assert len({(tuple(d.bounds.items()), d.bumps) for d in defs}) == len(NUMBERS)
    # the family spans what it promises, across the 40 instances
    assert {len(d.bounds) for d in defs} == {3, 4, 5, 6}
    assert {len(d.parameters) for d in defs} == {0, 1, 2} and {len(d.bumps) for d in defs} == {2, 3, 4}
    X = pd.DataFrame([fam.family_optimum(0)[0]]).assign(id="F1")
    a, b = fam.FamilyLab(seed=3, number=0).measure(X), fam.FamilyLab(seed=3, number=0).measure(X)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(DataError, match="family number"):
        fam.family_definition(-1)


@pytest.mark.parametrize("number", [0, 1, 4, 11, 15, 100, 107, 119])
def test_family_dense_search_beats_a_large_random_sample(number):
    d = fam.family_definition(number)
    _, best = fam.family_optimum(number)
    lo = np.array([b[0] for b in d.bounds.values()]) / 100
    hi = np.array([b[1] for b in d.bounds.values()]) / 100
    rng = np.random.default_rng(2024 + number)
    x = fam.sample_bounded_simplex(lo, hi, 200_000, rng)
    z = np.hstack([x, rng.uniform(0, 1, (len(x), len(d.parameters)))])
    assert np.all(x >= lo - 1e-12) and np.all(x <= hi + 1e-12) and np.allclose(x.sum(axis=1), 1.0)
    assert d.sigma_z(z).max() <= best * (1 + 1e-9)
    assert d.sigma_z(np.array([b.centre for b in d.bumps])).max() <= best * (1 + 1e-9)  # every peak too


def test_family_optimum_takes_under_two_seconds():
    fam.family_optimum.cache_clear()
    start = time.perf_counter()
    fam.family_optimum(15)  # 6 components, 2 process variables, 4 optima: the largest kind
    assert time.perf_counter() - start < 2.0


def test_family_groups_and_names():
    assert expand_problem_names(["family"]) == [f"family-{i:03d}" for i in range(20)]
    assert expand_problem_names(["family-test"]) == [f"family-{i:03d}" for i in range(100, 120)]
    assert not set(FAMILY_GROUPS["family"]) & set(FAMILY_GROUPS["family-test"])
    assert expand_problem_names(["ridge", "family", "noisy"])[1:3] == ["family-000", "family-001"]
    names = problem_names()
    assert names[:2] == ["llzt-full", "llzt-ternary"]
    assert set(FAMILY_GROUPS["family"]) | set(FAMILY_GROUPS["family-test"]) <= set(names)
    assert is_problem_name("family-057") and not is_problem_name("family-57") and not is_problem_name("family")
    with pytest.raises(DataError, match="unknown problem 'family-5'"):
        get_problem("family-5")


def test_cli_expands_the_family_groups():
    from typer.testing import CliRunner

    from optiform.cli import app

    bad = CliRunner().invoke(app, ["bench", "--problems", "family,familyx", "--strategies", "random"])
    assert bad.exit_code == 1
    assert "unknown problem 'familyx'" in bad.output and "family-test" in bad.output


# --------------------------------------------------------------------------------------------------
# Named problems
# --------------------------------------------------------------------------------------------------

NAMED = [
    ("narrow-ridge", ls.NarrowRidgeLab, ls.NARROW_RIDGE_OPTIMUM, 1.404, {"MEMA": 40.784, "SN": 42.0, "salt": 17.216}),
    ("ratio-boundary", ls.RatioBoundaryLab, ls.RATIO_OPTIMUM, 1.090869, {"MEMA": 37.2727, "SN": 44.7273, "salt": 18.0}),
    (
        "eight-component",
        ls.EightComponentLab,
        ls.EIGHT_OPTIMUM,
        1.416548,
        {
            "MEMA": 35.7202,
            "PEGDMA": 8.9300,
            "SN": 14.7502,
            "PEGDME": 0.0,
            "EC": 20.0,
            "FEC": 4.0,
            "LiTFSI": 9.9598,
            "LiFSI": 6.6398,
            "cure_temperature_C": 64.0,
            "cure_time_h": 10.0,
        },
    ),
]


@pytest.mark.parametrize(("name", "lab_cls", "constant", "value", "location"), NAMED, ids=[n[0] for n in NAMED])
def test_named_optimum_is_pinned_and_recomputed(name, lab_cls, constant, value, location):
    assert constant[ls.OBJECTIVE] == value
    assert constant["point"] == pytest.approx(location, abs=1e-3)
    assert get_problem(name).optimum_value == value
    assert lab_cls().true_value(pd.DataFrame([constant["point"]]))[0] == pytest.approx(value, rel=2e-6)
    point, found = lab_cls.compute_optimum()
    assert found == pytest.approx(value, rel=1e-5)
    assert point == pytest.approx(location, abs=0.02)


@pytest.mark.parametrize(("name", "lab_cls", "constant", "value", "location"), NAMED, ids=[n[0] for n in NAMED])
def test_named_optimum_beats_a_dense_sample(name, lab_cls, constant, value, location):
    sample = ls.sample_simplex(lab_cls.bounds, 200_000, seed=11)
    if name == "eight-component":
        rng = np.random.default_rng(11)
        for k, (a, b) in ls.EIGHT_PARAMETERS.items():
            sample[k] = rng.uniform(a, b, len(sample))
    values = lab_cls().true_value(sample)
    assert np.nanmax(values) <= value * (1 + 1e-6)
    if name != "eight-component":  # in 9 dimensions a sample does not come close
        assert np.nanmax(values) >= 0.99 * value


def test_noisy_is_four_component_with_ten_percent_noise():
    problem = get_problem("noisy")
    assert problem.optimum_value == ls.FOUR_COMPONENT_OPTIMUM[ls.OBJECTIVE]
    X = ls.sample_simplex(ls.FOUR_BOUNDS, 2000, seed=1)
    lab = problem.make_lab(4)
    log_ratio = np.log(lab.measure(X)[ls.OBJECTIVE].to_numpy() / lab.true_value(X))
    assert log_ratio.std() == pytest.approx(0.10, rel=0.08)
    pd.testing.assert_frame_equal(problem.make_lab(4).measure(X), get_problem("noisy").make_lab(4).measure(X))


def test_narrow_ridge_is_half_as_wide_as_ridge():
    s = np.array([0.3, 0.42, 0.5])
    for off in (0.0, 0.01, 0.02):
        c = ls.ridge_centre(s) + off
        X = pd.DataFrame({"MEMA": 100 * (1 - s - c), "SN": 100 * s, "salt": 100 * c})
        narrow, wide = ls.NarrowRidgeLab().true_value(X), ls.RidgeLab().true_value(X)
        if off == 0.0:
            assert narrow == pytest.approx(wide)
        else:
            assert np.all(narrow < wide)
    # 2 wt% of salt off the crest (about 1.9 wt% across it): the narrow ridge keeps < 20% of its crest
    c = ls.ridge_centre(np.array([0.42])) + 0.02
    X = pd.DataFrame({"MEMA": 100 * (1 - 0.42 - c), "SN": [42.0], "salt": 100 * c})
    assert ls.NarrowRidgeLab().true_value(X)[0] < 0.35 * ls.NARROW_RIDGE_OPTIMUM[ls.OBJECTIVE]


def test_ratio_boundary_optimum_is_on_the_pass_fail_boundary():
    point = ls.RATIO_OPTIMUM["point"]
    assert point["SN"] / point["MEMA"] == pytest.approx(ls.RATIO_LIMIT, rel=1e-5)
    spec = load_spec(get_problem("ratio-boundary").spec)
    assert spec.feasibility is not None and spec.feasibility.name == "solid"
    lab = ls.RatioBoundaryLab(seed=0)
    fluid = {"MEMA": 30.0, "SN": 52.0, "salt": 18.0}  # SN/MEMA = 1.73, near the unconstrained peak
    X = pd.DataFrame([point, fluid]).assign(id=["A", "B"])
    out = lab.measure(X)
    assert list(out["solid"]) == [True, False] and list(out["status"]) == ["ok", "failed"]
    assert np.isfinite(out[ls.OBJECTIVE].iloc[0]) and np.isnan(out[ls.OBJECTIVE].iloc[1])
    assert out["note"].iloc[1] == "film stayed fluid"
    truth = lab.true_value(X)
    assert np.isnan(truth[1])
    # the landscape keeps rising past the boundary: the fluid film would be better
    assert ls.ratio_sigma(*lab.fractions(X.iloc[[1]]))[0] > 1.5 * ls.RATIO_OPTIMUM[ls.OBJECTIVE]


@pytest.mark.parametrize(
    "name", ["narrow-ridge", "ratio-boundary", "eight-component", "noisy", "family-000", "family-014"]
)
def test_named_problems_are_registered_and_propose(name, make_campaign):
    problem = get_problem(name)
    assert problem.name == name and problem.synthetic and "SYNTHETIC" in problem.description
    assert name in problem_names()
    spec = load_spec(problem.spec)
    campaign = make_campaign(problem.spec)
    batch = campaign.propose(4)
    assert np.allclose(batch[spec.components].sum(axis=1), 100.0)
    results = problem.make_lab(0).measure(batch)
    clone = pickle.loads(pickle.dumps(problem))  # sent to worker processes as it is
    pd.testing.assert_frame_equal(clone.make_lab(0).measure(batch), results)
    campaign.record(results[[c for c in results.columns if c in ("id", ls.OBJECTIVE, "status", "note", "solid")]])
    assert (campaign.formulations()["n_results"] > 0).sum() == 4


@pytest.mark.slow
def test_run_bench_on_ratio_boundary_and_a_family_instance():
    df = run_bench(["ratio-boundary", "family-000"], ["botorch", "random"], seeds=1, budget=12, batch=4, workers=1)
    assert set(df["problem"]) == {"ratio-boundary", "family-000"} and set(df["strategy"]) == {"botorch", "random"}
    assert df.groupby(["problem", "strategy"]).size().eq(12).all()
    assert (df["fraction_of_optimum"].dropna() <= 1 + 1e-9).all()
    ratio = df[df["problem"] == "ratio-boundary"]
    assert ratio["true_value"].isna().eq(ratio["status"] == "failed").all()  # fluid films judged infeasible
