"""Tests for optiform.space: sampling, rounding to the lattice, encoding, validation, distances."""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from optiform.errors import SpaceExhaustedError, StrategyError
from optiform.sim import PAPER_POINT
from optiform.space import DataError, Space, round_mixture
from optiform.spec import example_spec_path, load_spec, parse_spec

TOL = 1e-9


def _space(
    components: dict[str, Any],
    parameters: dict[str, Any] | None = None,
    total: float = 100.0,
    resolution: float | None = None,
) -> Space:
    mixture: dict[str, Any] = {"total": total, "components": components}
    if resolution is not None:
        mixture["resolution"] = resolution
    data = {
        "version": 1,
        "name": "t",
        "mixture": mixture,
        "parameters": parameters or {},
        "objectives": [{"name": "y"}],
    }
    return Space(parse_spec(data))


@pytest.fixture(scope="module")
def space() -> Space:
    return Space(load_spec(example_spec_path()))


@pytest.fixture(scope="module")
def five() -> Space:
    """5 components with awkward bounds (lower bound off the lattice, one forced up) + parameters."""
    return _space(
        {"A": {"min": 0.3, "max": 60}, "B": {"min": 10}, "C": {"max": 40}, "D": {"min": 5, "max": 50}, "E": {}},
        {"p": {"min": 0, "max": 1, "resolution": 0.1}, "c": {"choices": ["x", "y", "z"]}},
    )


def _paper_row(**overrides: Any) -> pd.DataFrame:
    """The paper's formulation (optiform.sim.PAPER_POINT) with ``overrides``."""
    return pd.DataFrame([{**PAPER_POINT, **overrides}])


def _assert_in_space(sp: Space, df: pd.DataFrame, exact_sum: bool = False) -> None:
    X = df[sp.components].to_numpy(float)
    bounds = sp.component_bounds()
    assert np.all(X >= bounds[:, 0] - TOL) and np.all(X <= bounds[:, 1] + TOL)
    sums = X.sum(axis=1)
    if exact_sum:
        assert np.all(sums == sp.total), sums
    else:
        assert np.allclose(sums, sp.total, rtol=0, atol=TOL * sp.total), sums
    for name, p in sp.continuous.items():
        v = df[name].to_numpy(float)
        assert np.all(v >= p.min - TOL) and np.all(v <= p.max + TOL)
    for name, choices in sp.categorical.items():
        assert set(df[name]) <= set(choices)


def _on_lattice(values: np.ndarray, step: float) -> bool:
    u = np.asarray(values, float) / step
    return bool(np.all(np.abs(u - np.round(u)) < 1e-6))


# --- layout ----------------------------------------------------------------------------------
def test_layout(space: Space) -> None:
    assert space.variables == ["MEMA", "SN", "salt", "LiDFOB_mol_frac", "FEC_wt_pct", "porosity", "framework"]
    assert space.total == 100 and space.step == 1 and space.unit == "wt%"
    assert space.component_bounds().tolist() == [[10, 70], [20, 70], [5, 35]]
    assert space.parameter_step("porosity") == 0.01
    assert space.n_model_dims == 3 + 3 + 2
    assert space.mixture_dims == [0, 1, 2]
    assert space.onehot_dims == {"framework": [6, 7]}


def test_parameter_step_defaults_to_hundredth_of_range() -> None:
    sp = _space({"A": {}, "B": {}}, {"T": {"min": 20, "max": 80}})
    assert sp.parameter_step("T") == pytest.approx(0.6)


# --- sampling --------------------------------------------------------------------------------
@pytest.mark.parametrize("sobol", [True, False])
def test_sample_uniform_in_bounds_and_on_simplex(space: Space, five: Space, sobol: bool) -> None:
    for sp in (space, five):
        df = sp.sample_uniform(500, seed=3, sobol=sobol)
        assert len(df) == 500 and list(df.columns) == sp.variables
        _assert_in_space(sp, df)
        for name, choices in sp.categorical.items():
            assert set(df[name]) == set(choices)  # every choice shows up in 500 draws


def test_sample_uniform_is_reproducible(space: Space) -> None:
    pd.testing.assert_frame_equal(space.sample_uniform(50, seed=7), space.sample_uniform(50, seed=7))
    assert not space.sample_uniform(50, seed=7).equals(space.sample_uniform(50, seed=8))


def test_sample_uniform_covers_the_bounded_simplex(space: Space) -> None:
    df = space.sample_uniform(4000, seed=0)
    X = df[space.components].to_numpy()
    bounds = space.component_bounds()
    # each component gets near both of its bounds (after the others' bounds are accounted for)
    assert np.all(X.min(axis=0) < bounds[:, 0] + 2)
    assert np.all(X.max(axis=0) > np.array([70, 70, 35]) - 2)
    for name, p in space.continuous.items():
        v = df[name].to_numpy()
        assert v.min() < p.min + 0.01 * (p.max - p.min) and v.max() > p.max - 0.01 * (p.max - p.min)


def test_sample_uniform_with_tight_upper_bounds_is_fast_and_uniform() -> None:
    # 10 components at most 12 each: essentially no point of the simplex satisfies all upper bounds
    sp = _space({f"c{i}": {"max": 12} for i in range(10)})
    df = sp.sample_uniform(2000, seed=1)
    _assert_in_space(sp, df)
    X = df[sp.components].to_numpy()
    assert np.allclose(X.mean(axis=0), 10.0, atol=0.2)  # symmetric bounds -> mean at the centre
    assert X.std(axis=0).min() > 0.5  # spread, not stuck at the start point
    assert len(np.unique(np.round(X, 6), axis=0)) == 2000


def test_space_filling_with_tight_upper_bounds() -> None:
    sp = _space({f"c{i}": {"max": 11} for i in range(10)})
    df = sp.space_filling(12, seed=0)
    _assert_in_space(sp, df, exact_sum=True)
    assert not (sp.too_close(df, df) & ~np.eye(12, dtype=bool)).any()


# --- space filling ---------------------------------------------------------------------------
def _check_design(sp: Space, df: pd.DataFrame, n: int, existing: pd.DataFrame | None = None) -> None:
    assert len(df) == n and list(df.columns) == sp.variables
    exact = float(sp.step).is_integer()
    _assert_in_space(sp, df, exact_sum=exact)
    assert _on_lattice(df[sp.components].to_numpy(), sp.step)
    for name, p in sp.continuous.items():
        if p.resolution is not None:
            assert _on_lattice(df[name].to_numpy(), p.resolution)
    close = sp.too_close(df, df)
    assert not (close & ~np.eye(n, dtype=bool)).any()
    if existing is not None and len(existing):
        assert not sp.too_close(df, existing).any()


@pytest.mark.parametrize("n", [1, 6, 14, 40])
def test_space_filling_shipped(space: Space, n: int) -> None:
    _check_design(space, space.space_filling(n, seed=11), n)


@pytest.mark.parametrize("resolution", [0.1, 0.5, 1.0, 2.5])
def test_space_filling_resolutions(resolution: float) -> None:
    sp = _space(
        {"A": {"min": 0.3, "max": 60}, "B": {"min": 10}, "C": {"max": 40}, "D": {"min": 5, "max": 50}, "E": {}},
        {"p": {"min": 0, "max": 1, "resolution": 0.1}, "c": {"choices": ["x", "y", "z"]}},
        resolution=resolution,
    )
    df = sp.space_filling(20, seed=2)
    _check_design(sp, df, 20)
    if resolution in (1.0, 2.5):
        assert (df[sp.components].sum(axis=1) == 100).all()
    else:
        assert np.abs(df[sp.components].sum(axis=1) - 100).max() < 1e-9


def test_space_filling_avoids_existing(space: Space) -> None:
    first = space.space_filling(14, seed=1)
    second = space.space_filling(14, seed=1, existing=first)
    _check_design(space, second, 14, existing=first)
    # and points one step away from an existing point are blocked too
    blocked = pd.concat([first, space.neighbours(first.iloc[0], max_steps=1)], ignore_index=True)
    third = space.space_filling(10, seed=1, existing=blocked)
    assert not space.too_close(third, blocked).any()


def test_space_filling_accepts_existing_with_extra_columns(space: Space) -> None:
    first = space.space_filling(5, seed=4).assign(id=["a", "b", "c", "d", "e"], conductivity_mS_cm=1.0)
    df = space.space_filling(5, seed=4, existing=first)
    assert not space.too_close(df, first).any()


def test_space_filling_is_reproducible(space: Space) -> None:
    a = space.space_filling(10, seed=5)
    pd.testing.assert_frame_equal(a, space.space_filling(10, seed=5))
    assert not a.equals(space.space_filling(10, seed=6))


def _min_pairwise(sp: Space, df: pd.DataFrame) -> float:
    Z = sp.unit_coordinates(df)
    d = np.linalg.norm(Z[:, None, :] - Z[None, :, :], axis=2)
    return float(d[np.triu_indices(len(df), 1)].min())


def _covering(sp: Space, df: pd.DataFrame, reference: pd.DataFrame) -> float:
    """Mean distance (unit coordinates) from reference points to their nearest design point."""
    Z, R = sp.unit_coordinates(df), sp.unit_coordinates(reference)
    return float(np.linalg.norm(R[:, None, :] - Z[None, :, :], axis=2).min(axis=1).mean())


def test_space_filling_is_spread_out(space: Space) -> None:
    """A Sobol prefix: points further apart and the space better covered than by random points
    (measured: min distance 0.43 vs 0.38, covering 0.566 vs 0.584, means over seeds)."""
    n = 14
    reference = space.round(space.sample_uniform(2000, seed=99, sobol=False))
    designs = [space.space_filling(n, seed=s) for s in range(10)]
    randoms = [space.round(space.sample_uniform(n, seed=s, sobol=False)) for s in range(20)]
    assert np.mean([_min_pairwise(space, d) for d in designs]) > 1.05 * np.mean(
        [_min_pairwise(space, d) for d in randoms]
    )
    assert np.mean([_covering(space, d, reference) for d in designs]) < np.mean(
        [_covering(space, d, reference) for d in randoms]
    )


def test_space_filling_runs_out_of_lattice_points() -> None:
    sp = _space({"A": {"min": 40, "max": 60}, "B": {"min": 40, "max": 60}}, resolution=5)  # A in 40..60: 5 points
    df = sp.space_filling(2, seed=0)
    _check_design(sp, df, 2)
    with pytest.raises(RuntimeError, match="distinct formulations"):
        sp.space_filling(4, seed=0)
    with pytest.raises(SpaceExhaustedError, match="distinct formulations") as err:  # one of optiform's errors
        sp.space_filling(4, seed=0)
    assert isinstance(err.value, StrategyError)


def test_space_filling_single_composition() -> None:
    sp = _space({"A": {"min": 60, "max": 60}, "B": {"min": 40}}, {"p": {"min": 0, "max": 1, "resolution": 0.1}})
    df = sp.space_filling(3, seed=0)
    assert df["A"].tolist() == [60.0] * 3 and df["B"].tolist() == [40.0] * 3
    p = np.sort(df["p"].to_numpy())
    assert np.all(np.diff(p) > 0.1 + 1e-9)


# --- rounding --------------------------------------------------------------------------------
def _lattice_bounds(bounds: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    lo = np.ceil(bounds[:, 0] / step - 1e-9).astype(int)
    hi = np.floor(bounds[:, 1] / step + 1e-9).astype(int)
    return lo, hi


def _random_case(rng: np.random.Generator, k: int, step: float, total: float) -> tuple[np.ndarray, np.ndarray]:
    """Random bounds (often off the lattice) that leave a lattice point, and a point to round."""
    while True:
        lo = rng.uniform(0, 1.6 * total / k, k) * (rng.random(k) < 0.7)
        hi = np.minimum(lo + rng.uniform(0, total, k), total) * 1.0
        hi = np.where(rng.random(k) < 0.2, total, hi)
        bounds = np.column_stack([lo, hi])
        lo_u, hi_u = _lattice_bounds(bounds, step)
        if np.all(lo_u <= hi_u) and lo_u.sum() <= round(total / step) <= hi_u.sum():
            break
    kind = rng.integers(4)
    if kind == 0:  # on the simplex, inside the bounds (by clipping a Dirichlet draw, roughly)
        x = rng.dirichlet(np.ones(k)) * total
    elif kind == 1:  # off the simplex by a few %
        x = rng.dirichlet(np.ones(k)) * total * rng.uniform(0.95, 1.05)
    elif kind == 2:  # outside the bounds
        x = rng.uniform(-0.1 * total, 1.1 * total, k)
    else:  # model output within bounds but not summing exactly
        x = lo + (hi - lo) * rng.random(k)
    return x, bounds


@pytest.mark.parametrize(
    "k,step,total,cases",
    [
        (2, 1.0, 100.0, 1500),
        (3, 1.0, 100.0, 1500),
        (3, 0.5, 100.0, 1500),
        (5, 2.5, 100.0, 1500),
        (5, 0.1, 100.0, 250),  # far-off inputs cost one loop per lattice unit: keep it quick
        (10, 1.0, 100.0, 600),
        (4, 0.01, 1.0, 400),
    ],
)
def test_round_mixture_keeps_sum_and_bounds(k: int, step: float, total: float, cases: int) -> None:
    rng = np.random.default_rng(k * 1000 + int(1 / step))
    n_units = round(total / step)
    for _ in range(cases):
        x, bounds = _random_case(rng, k, step, total)
        r = round_mixture(x, bounds, total, step)[0]
        units = r / step
        assert np.all(np.abs(units - np.round(units)) < 1e-6), (x, bounds, r)
        assert int(np.round(units).sum()) == n_units
        if float(step).is_integer():
            assert r.sum() == total, (x, bounds, r)
        else:
            assert abs(r.sum() - total) < 1e-9 * total, (x, bounds, r)
        assert np.all(r >= bounds[:, 0] - TOL) and np.all(r <= bounds[:, 1] + TOL), (x, bounds, r)


def test_round_mixture_many_rows_at_once(space: Space) -> None:
    X = space.sample_uniform(3000, seed=9)[space.components].to_numpy()
    R = round_mixture(X, space.component_bounds(), 100.0, 1.0)
    assert R.shape == X.shape
    assert (R.sum(axis=1) == 100).all()
    assert np.all(R == np.round(R))
    assert np.abs(R - X).max() < 1.0 + TOL


def test_round_mixture_leaves_lattice_points_alone() -> None:
    bounds = np.array([[10, 70], [20, 70], [5, 35]], float)
    for x in ([30, 50, 20], [10, 55, 35], [70, 25, 5]):
        assert round_mixture(np.array(x, float), bounds, 100, 1).tolist() == [x]


def test_round_mixture_awkward_bounds() -> None:
    # lower bound off the lattice: 12.3 -> at least 13
    bounds = np.array([[12.3, 50], [0, 100], [0, 100]])
    assert round_mixture(np.array([12.4, 40.3, 47.3]), bounds, 100, 1)[0][0] == 13
    # bounds force a component up from 0 to 20 and the others give way
    bounds = np.array([[20, 100], [0, 100], [0, 100]])
    r = round_mixture(np.array([0.0, 50.0, 50.0]), bounds, 100, 1)[0]
    assert r[0] == 20 and r.sum() == 100 and sorted(r[1:]) == [40, 40]
    # upper bound off the lattice: 33.7 -> at most 33.5 at step 0.5
    bounds = np.array([[0, 33.7], [0, 100]])
    assert round_mixture(np.array([40.0, 60.0]), bounds, 100, 0.5)[0].tolist() == [33.5, 66.5]
    # step 2.5
    r = round_mixture(np.array([[33.3, 33.3, 33.4]]), np.array([[0, 100]] * 3, float), 100, 2.5)[0]
    assert r.sum() == 100 and sorted(r) == [32.5, 32.5, 35.0]


def _brute_force_l1(x: np.ndarray, bounds: np.ndarray, total: float, step: float) -> float:
    lo, hi = _lattice_bounds(bounds, step)
    n = round(total / step)
    best = math.inf
    for a in range(lo[0], hi[0] + 1):
        for b in range(lo[1], hi[1] + 1):
            c = n - a - b
            if lo[2] <= c <= hi[2]:
                best = min(best, abs(a * step - x[0]) + abs(b * step - x[1]) + abs(c * step - x[2]))
    return best


@pytest.mark.parametrize("step", [1.0, 0.5, 2.5])
def test_round_mixture_minimises_l1_change(step: float) -> None:
    rng = np.random.default_rng(int(step * 10))
    total = 20.0 if step == 0.5 else 50.0  # keep the enumeration small
    for _ in range(400):
        x, bounds = _random_case(rng, 3, step, total)
        r = round_mixture(x, bounds, total, step)[0]
        assert np.abs(r - x).sum() <= _brute_force_l1(x, bounds, total, step) + 1e-9, (x, bounds, r)


def test_space_round_rounds_parameters_within_bounds(space: Space) -> None:
    df = _paper_row(MEMA=30.4, SN=49.7, salt=19.9, LiDFOB_mol_frac=0.3049, FEC_wt_pct=5.26, porosity=0.3)
    out = space.round(df)
    assert out[space.components].iloc[0].tolist() == [30.0, 50.0, 20.0]
    assert out["LiDFOB_mol_frac"].iloc[0] == 0.3
    assert out["FEC_wt_pct"].iloc[0] == 5.5
    assert out["porosity"].iloc[0] == 0.4
    assert out["framework"].iloc[0] == "LLZT"
    assert df["MEMA"].iloc[0] == 30.4  # input untouched


def test_round_parameter_off_lattice_bound_stays_inside() -> None:
    sp = _space({"A": {}, "B": {}}, {"p": {"min": 0.015, "max": 0.987, "resolution": 0.01}, "q": {"min": 1, "max": 2}})
    df = pd.DataFrame({"A": [50.0, 50.0], "B": [50.0, 50.0], "p": [0.0, 1.0], "q": [0.5, 1.37]})
    out = sp.round(df)
    assert out["p"].tolist() == [0.02, 0.98]
    assert out["q"].tolist() == [1.0, 1.37]  # no resolution: clipped only


# --- model encoding --------------------------------------------------------------------------
def test_model_round_trip(space: Space, five: Space) -> None:
    for sp in (space, five):
        df = sp.round(sp.sample_uniform(64, seed=12))
        X = sp.to_model(df)
        assert X.shape == (64, sp.n_model_dims)
        bounds = sp.model_bounds()
        assert np.all(X >= bounds[0] - TOL) and np.all(X <= bounds[1] + TOL)
        assert np.allclose(X[:, sp.mixture_dims].sum(axis=1), 1.0)
        for dims in sp.onehot_dims.values():
            assert np.all(X[:, dims].sum(axis=1) == 1.0)
        back = sp.from_model(X)
        assert list(back.columns) == sp.variables
        numeric = sp.components + list(sp.continuous)
        np.testing.assert_allclose(back[numeric].to_numpy(float), df[numeric].to_numpy(float), atol=1e-9)
        for name in sp.categorical:
            assert back[name].tolist() == df[name].tolist()


def test_to_model_values(space: Space) -> None:
    X = space.to_model(_paper_row(framework="glass_fiber"))[0]
    np.testing.assert_allclose(X, [0.3, 0.5, 0.2, 0.05 / 0.3, 0.5, (0.75 - 0.4) / 0.45, 0.0, 1.0])


def test_from_model_decodes_one_hot_by_argmax(space: Space) -> None:
    X = np.array([0.3, 0.5, 0.2, 0.0, 1.0, 0.5, 0.2, 0.7])
    row = space.from_model(X).iloc[0]
    assert row["framework"] == "glass_fiber"
    assert row["FEC_wt_pct"] == pytest.approx(10.0) and row["porosity"] == pytest.approx(0.625)
    assert row["MEMA"] == pytest.approx(30.0)


def test_model_bounds(space: Space) -> None:
    np.testing.assert_allclose(
        space.model_bounds(),
        [[0.1, 0.2, 0.05, 0, 0, 0, 0, 0], [0.7, 0.7, 0.35, 1, 1, 1, 1, 1]],
    )


def test_categorical_fixings_enumerate_every_combination() -> None:
    sp = _space(
        {"A": {}, "B": {}},
        {"x": {"min": 0, "max": 1}, "c1": {"choices": ["a", "b", "c"]}, "c2": {"choices": ["u", "v"]}},
    )
    assert sp.onehot_dims == {"c1": [3, 4, 5], "c2": [6, 7]}
    fixings = sp.categorical_fixings()
    assert len(fixings) == 6
    seen = set()
    for fix in fixings:
        assert sorted(fix) == [3, 4, 5, 6, 7]
        assert sum(fix[d] for d in (3, 4, 5)) == 1 and sum(fix[d] for d in (6, 7)) == 1
        decoded = sp.from_model(np.array([[0.5, 0.5, 0.5, *[fix[d] for d in range(3, 8)]]])).iloc[0]
        seen.add((decoded["c1"], decoded["c2"]))
    assert seen == set(itertools.product("abc", "uv"))


def test_categorical_fixings_without_categoricals(five: Space) -> None:
    sp = _space({"A": {}, "B": {}})
    assert sp.categorical_fixings() == [{}]
    assert len(five.categorical_fixings()) == 3


# --- validation ------------------------------------------------------------------------------
def test_validate_accepts_and_canonicalises(space: Space) -> None:
    df = _paper_row().assign(id="x1")[
        ["framework", "id", "porosity", "FEC_wt_pct", "LiDFOB_mol_frac", "salt", "SN", "MEMA"]
    ]
    df["MEMA"] = "30"
    df["framework"] = " LLZT "
    out = space.validate(df)
    assert list(out.columns) == space.variables
    assert out["MEMA"].dtype == float and out["MEMA"].iloc[0] == 30.0
    assert out["framework"].iloc[0] == "LLZT"


def test_validate_sum_tolerance(space: Space) -> None:
    space.validate(_paper_row(SN=50.005))  # within 1e-4 of the total
    with pytest.raises(DataError):
        space.validate(_paper_row(SN=50.02))


@pytest.mark.parametrize(
    "overrides,patterns",
    [
        ({"MEMA": 31.0}, [r"line 7: MEMA, SN, salt sum to 101 \(31 \+ 50 \+ 20\); expected 100 wt%"]),
        ({"MEMA": 29.0, "SN": 50.0}, [r"line 7: .*sum to 99"]),
        (
            {"MEMA": 5.0, "SN": 75.0},
            [
                r"line 7: MEMA = 5 wt% outside its bounds \[10, 70\]",
                r"line 7: SN = 75 wt% outside its bounds \[20, 70\]",
            ],
        ),
        ({"porosity": 0.9}, [r"line 7: porosity = 0\.9 outside its bounds \[0\.4, 0\.85\]"]),
        ({"FEC_wt_pct": -0.5}, [r"line 7: FEC_wt_pct = -0\.5 outside"]),
        ({"SN": "fifty"}, [r"line 7: SN: expected a number, got 'fifty'"]),
        ({"porosity": None}, [r"line 7: porosity: expected a number"]),
        ({"porosity": float("inf")}, [r"line 7: porosity: expected a number"]),
        ({"framework": "steel"}, [r"line 7: framework: 'steel' is not one of LLZT, glass_fiber"]),
        ({"framework": None}, [r"line 7: framework: .* is not one of"]),
    ],
)
def test_validate_rejects(space: Space, overrides: dict[str, Any], patterns: list[str]) -> None:
    with pytest.raises(DataError) as exc:
        space.validate(_paper_row(**overrides), origin="results.csv", rows=[7])
    message = str(exc.value)
    for line in message.splitlines():
        assert line.startswith("results.csv: line 7: ")
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"


def test_validate_lists_every_bad_row(space: Space) -> None:
    df = pd.concat([_paper_row(), _paper_row(MEMA=40.0), _paper_row(), _paper_row(porosity=2.0)], ignore_index=True)
    with pytest.raises(DataError) as exc:
        space.validate(df, origin="t.csv")
    lines = str(exc.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("t.csv: line 2: ") and lines[1].startswith("t.csv: line 4: porosity")


def test_validate_missing_columns(space: Space) -> None:
    with pytest.raises(DataError, match=r"t\.csv: missing column\(s\) salt, framework; expected MEMA"):
        space.validate(_paper_row().drop(columns=["salt", "framework"]), origin="t.csv")


# --- neighbours and distances ----------------------------------------------------------------
def test_neighbours_in_bounds_on_lattice(space: Space, five: Space) -> None:
    for sp in (space, five):
        rows = sp.round(sp.sample_uniform(8, seed=13))
        for _, row in rows.iterrows():
            nb = sp.neighbours(row)
            assert len(nb) > 0 and list(nb.columns) == sp.variables
            _assert_in_space(sp, nb, exact_sum=float(sp.step).is_integer())
            assert _on_lattice(nb[sp.components].to_numpy(float), sp.step)
            for name, p in sp.continuous.items():
                if p.resolution is not None:
                    assert _on_lattice(nb[name].to_numpy(float), p.resolution)
            same = nb[sp.variables].astype(str).eq(row[sp.variables].astype(str)).all(axis=1)
            assert not same.any()  # the row itself is not its own neighbour


def test_neighbours_at_a_corner(space: Space) -> None:
    row = _paper_row(MEMA=70.0, SN=25.0, salt=5.0, LiDFOB_mol_frac=0.0, FEC_wt_pct=10.0, porosity=0.85).iloc[0]
    nb = space.neighbours(row, max_steps=1)
    # mixture: only moves out of MEMA (to SN or salt) and out of SN into salt keep the bounds
    mix = nb[(nb["LiDFOB_mol_frac"] == 0.0) & (nb["FEC_wt_pct"] == 10.0) & (nb["porosity"] == 0.85)]
    assert sorted(map(tuple, mix[space.components].to_numpy().tolist())) == [
        (69.0, 25.0, 6.0),
        (69.0, 26.0, 5.0),
        (70.0, 24.0, 6.0),
    ]
    assert sorted(nb["LiDFOB_mol_frac"])[-1] == 0.01
    assert set(nb["FEC_wt_pct"]) == {9.5, 10.0}
    assert len(nb) == 3 + 1 + 1 + 1


def test_neighbours_count_in_the_interior(space: Space) -> None:
    nb = space.neighbours(_paper_row().iloc[0], max_steps=3)
    assert len(nb) == 6 * 3 + 3 * 6  # 6 ordered component pairs + 3 parameters, 3 steps each way
    assert space.too_close(nb, _paper_row()).sum() == 6 + 6  # the one-step moves


def test_too_close_semantics(space: Space) -> None:
    base = _paper_row()
    cases = {
        "same": (_paper_row(), True),
        "one mixture step": (_paper_row(MEMA=31.0, SN=49.0), True),
        "two mixture steps": (_paper_row(MEMA=32.0, SN=48.0), False),
        "two steps in one component, split over two": (_paper_row(MEMA=32.0, SN=49.0, salt=19.0), False),
        "one step in all three components": (_paper_row(MEMA=31.0, SN=49.5, salt=19.5), True),
        "one parameter step": (_paper_row(FEC_wt_pct=5.5, porosity=0.76), True),
        "two parameter steps": (_paper_row(FEC_wt_pct=6.0), False),
        "other categorical": (_paper_row(framework="glass_fiber"), False),
    }
    for label, (other, expected) in cases.items():
        got = space.too_close(other, base)
        assert got.shape == (1, 1)
        assert bool(got[0, 0]) is expected, label
        assert bool(space.too_close(base, other)[0, 0]) is expected, label  # symmetric
        # steps=0: only the same lattice point counts (the default strategy's min_spacing)
        assert bool(space.too_close(other, base, steps=0)[0, 0]) is (label == "same"), label


def test_distinct_with_zero_spacing_keeps_one_step_neighbours(space: Space) -> None:
    base = _paper_row()
    nb = space.neighbours(base.iloc[0], max_steps=1)
    assert len(space.distinct(nb, base, n=100)) == 0  # every one-step move is blocked at steps=1
    kept = space.distinct(pd.concat([nb, base], ignore_index=True), base, n=100, steps=0)
    assert len(kept) == len(nb)  # at steps=0 all neighbours are new; the base point itself is not


def test_too_close_shapes(space: Space) -> None:
    a = space.round(space.sample_uniform(5, seed=1))
    assert space.too_close(a, a.iloc[:3]).shape == (5, 3)
    assert space.too_close(a, a.iloc[:0]).shape == (5, 0)
    assert np.all(np.diag(space.too_close(a, a)))


def test_distinct_skips_blocked_and_near_duplicates(space: Space) -> None:
    base = _paper_row()
    cand = pd.concat(
        [base, *(_paper_row(MEMA=m, SN=100.0 - 20.0 - m) for m in (31.0, 35.0, 36.0, 40.0))],
        ignore_index=True,
    )
    kept = space.distinct(cand, blocked=base, n=10)
    assert kept["MEMA"].tolist() == [35.0, 40.0]
    assert space.distinct(cand, blocked=base.iloc[:0], n=2)["MEMA"].tolist() == [30.0, 35.0]


def test_zero_points(space: Space) -> None:
    assert len(space.sample_uniform(0, seed=1)) == 0
    assert list(space.sample_uniform(0, seed=1).columns) == space.variables
    assert len(space.space_filling(0, seed=1)) == 0
