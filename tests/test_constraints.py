"""Known linear constraints (``constraints = [...]`` in the campaign file): parsing and its errors,
JSON round trip, and the Space behaviour that must respect them (satisfies, model inequalities,
projection, rounding, sampling, designs, validation) down to ``Campaign.propose``."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import optiform.space as space_module
from optiform import Campaign
from optiform.space import DataError, LinearConstraint, Space
from optiform.spec import CampaignSpec, SpecError, example_spec_path, load_spec, parse_constraint, parse_spec

PAPER_CONSTRAINTS = ["SN - 2*MEMA <= 10", "salt >= 0.2*SN"]
NUMERIC = ["MEMA", "SN", "salt", "LiDFOB_mol_frac", "FEC_wt_pct", "porosity"]
EXPECTED_NAMES = "MEMA, SN, salt, LiDFOB_mol_frac, FEC_wt_pct, porosity"


def _paper_dict(constraints: list[str]) -> dict[str, Any]:
    data = load_spec(example_spec_path()).model_dump(mode="json")
    data["constraints"] = constraints
    return data


def _paper_space(constraints: list[str]) -> Space:
    return Space(parse_spec(_paper_dict(constraints), origin="campaign.toml"))


def _error(constraints: list[str]) -> str:
    with pytest.raises(SpecError) as exc:
        parse_spec(_paper_dict(constraints), origin="campaign.toml")
    return str(exc.value)


@pytest.fixture(scope="module")
def paper() -> Space:
    """The paper's campaign with the two constraints of the issue."""
    return _paper_space(PAPER_CONSTRAINTS)


@pytest.fixture(scope="module")
def mixed() -> Space:
    """The paper's campaign with a constraint that couples the mixture and two parameters."""
    return _paper_space([*PAPER_CONSTRAINTS, "FEC_wt_pct <= 0.1*SN + 5*porosity"])


def _raw(sp: Space, n: int, seed: int) -> pd.DataFrame:
    """Points of the bounded simplex x box that ignore the constraints."""
    return Space(sp.spec.model_copy(update={"constraints": []})).sample_uniform(n, seed=seed)


def _model_distance_l1(sp: Space, a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    Xa = sp.to_model(a)[:, : len(sp.numeric)]
    Xb = sp.to_model(b)[:, : len(sp.numeric)]
    return np.abs(Xa - Xb).sum(axis=1)


def _on_lattice(sp: Space, df: pd.DataFrame) -> bool:
    steps = [(c, sp.step) for c in sp.components]
    steps += [(n, p.resolution) for n, p in sp.continuous.items() if p.resolution is not None]
    return all(np.allclose(df[n] / s, np.round(df[n] / s), atol=1e-6) for n, s in steps)


# --- parser ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, coefficients, rhs",
    [
        ("SN - 2*MEMA <= 10", {"SN": 1, "MEMA": -2}, 10),
        ("salt >= 0.2*SN", {"salt": -1, "SN": 0.2}, 0),  # >= is stored negated
        ("2MEMA <= 50", {"MEMA": 2}, 50),
        ("2 MEMA + SN<=1e2", {"MEMA": 2, "SN": 1}, 100),
        ("MEMA*2 <= 50", {"MEMA": 2}, 50),
        (".5*SN >= 10", {"SN": -0.5}, -10),
        ("-SN + 3.5e-1*salt >= -10 + MEMA", {"SN": 1, "salt": -0.35, "MEMA": 1}, 10),
        ("SN + SN <= 2*salt + 10", {"SN": 2, "salt": -2}, 10),
        ("10 >= SN - 2.5E+0 * MEMA", {"SN": 1, "MEMA": -2.5}, 10),
        ("FEC_wt_pct <= 0.1*SN + 5*porosity", {"FEC_wt_pct": 1, "SN": -0.1, "porosity": -5}, 0),
        ("  salt - - SN >= +3  ", {"salt": -1, "SN": -1}, -3),
    ],
)
def test_parse_forms(text: str, coefficients: dict[str, float], rhs: float) -> None:
    con = parse_constraint(text, NUMERIC, ["framework"])
    assert con.text == text
    assert con.coefficients == pytest.approx(coefficients) and set(con.coefficients) == set(coefficients)
    assert con.rhs == pytest.approx(rhs)


def test_cancelled_terms_leave_no_coefficient() -> None:
    con = parse_constraint("SN + MEMA - SN <= 60", NUMERIC)
    assert con.coefficients == {"MEMA": 1.0} and con.rhs == 60


def test_linear_constraint_is_frozen() -> None:
    con = parse_constraint("SN <= 60", NUMERIC)
    with pytest.raises(AttributeError):
        con.rhs = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "salt >= 0.2*SNN",
            f"campaign.toml: constraints[1]: unknown variable 'SNN' in \"salt >= 0.2*SNN\"; expected one of {EXPECTED_NAMES}",
        ),
        (
            "framework <= 1",
            "campaign.toml: constraints[1]: 'framework' in \"framework <= 1\" is a categorical parameter; "
            f"constraints take mixture components and continuous parameters: {EXPECTED_NAMES}",
        ),
        (
            "SN*MEMA <= 300",
            'campaign.toml: constraints[1]: "SN*MEMA <= 300" is not linear: SN*MEMA multiplies variables',
        ),
        ("SN 2 <= 30", "campaign.toml: constraints[1]: \"SN 2 <= 30\": expected + or - before '2'"),
        ("SN <= 30 <= 40", 'campaign.toml: constraints[1]: "SN <= 30 <= 40" needs exactly one <= or >= (found 2)'),
        ("SN + MEMA", 'campaign.toml: constraints[1]: "SN + MEMA" needs exactly one <= or >= (found 0)'),
        ("SN <=", 'campaign.toml: constraints[1]: "SN <=": one side of the inequality is empty'),
        ("SN - <= 30", 'campaign.toml: constraints[1]: "SN - <= 30": a side ends with an operator'),
        ("* SN <= 30", "campaign.toml: constraints[1]: \"* SN <= 30\": expected a number or a variable name, got '*'"),
        ("3 <= 5", f'campaign.toml: constraints[1]: "3 <= 5" names no variable; expected one of {EXPECTED_NAMES}'),
        ("SN < 30", "campaign.toml: constraints[1]: cannot read \"SN < 30\" at '< 30': only <= and >= compare"),
        ("SN == 30", "campaign.toml: constraints[1]: cannot read \"SN == 30\" at '== 30': only <= and >= compare"),
        ("2*(SN - MEMA) <= 3", "cannot read \"2*(SN - MEMA) <= 3\" at '(SN - MEMA) ': parentheses are not supported"),
        ("SN/2 <= 30", "cannot read \"SN/2 <= 30\" at '/2 <= 30': division is not supported (write 0.5*SN for SN/2)"),
        ("SN**2 <= 300", "\"SN**2 <= 300\": expected a number or a variable name, got '*'"),
    ],
)
def test_parse_errors_name_key_and_constraint(text: str, message: str) -> None:
    assert message in _error(["SN - 2*MEMA <= 10", text])


def test_every_bad_constraint_is_reported_on_its_own_line() -> None:
    lines = _error(["SNN <= 3", "SN <= 60", "framework >= 1"]).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("campaign.toml: constraints[0]: unknown variable 'SNN'")
    assert lines[1].startswith("campaign.toml: constraints[2]: 'framework'")


def test_constraints_must_be_a_list_of_strings() -> None:
    assert "constraints" in _error("SN <= 60")  # type: ignore[arg-type]
    assert "constraints" in _error([3])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "constraints, message",
    [
        (
            ["SN >= 80"],
            'campaign.toml: constraints[0]: no formulation within the bounds satisfies "SN >= 80": '
            "SN ranges over [20, 70] there (needs >= 80)",
        ),
        (
            ["SN <= 60", "SN - 2*MEMA >= 60"],
            'campaign.toml: constraints[1]: no formulation within the bounds satisfies "SN - 2*MEMA >= 60": '
            "SN - 2*MEMA ranges over [-120, 50] there (needs >= 60)",
        ),
        (
            ["SN <= 30", "salt >= 0.9*MEMA + 20"],
            'campaign.toml: constraints[1]: "salt >= 0.9*MEMA + 20" cannot hold together with "SN <= 30" '
            "within the bounds: no formulation satisfies them all",
        ),
        (
            ["SN - SN >= 1"],
            'campaign.toml: constraints[0]: "SN - SN >= 1" can never hold (no variable is left once its terms cancel)',
        ),
        (
            ["SN <= 30.6", "SN >= 30.2"],  # feasible, but not on the 1 wt% lattice
            "campaign.toml: constraints: the region the constraints leave holds no point of the rounding lattice "
            "(mixture resolution 1 wt%, parameter resolutions)",
        ),
    ],
)
def test_empty_feasible_set_is_an_error(constraints: list[str], message: str) -> None:
    assert message in _error(constraints)


@pytest.mark.parametrize(
    "constraints",
    [
        ["SN <= 70", "MEMA + SN + salt <= 100", "SN - SN <= 1"],  # always satisfied
        ["SN <= 30.6", "SN >= 29.6"],  # a thin slab holding one lattice value of SN
        ["SN - 2*MEMA <= 10", "SN - 2*MEMA >= 10"],  # an equality by two inequalities
    ],
)
def test_feasible_constraints_load(constraints: list[str]) -> None:
    spec = parse_spec(_paper_dict(constraints))
    assert [c.text for c in spec.linear_constraints] == constraints


def test_no_constraints_by_default() -> None:
    spec = load_spec(example_spec_path())
    assert spec.constraints == [] and spec.linear_constraints == []
    sp = Space(spec)
    assert sp.constraints == [] and sp.model_inequalities() == []


# --- JSON round trip and campaign file -------------------------------------------------------
def test_json_round_trip_keeps_the_written_text(paper: Space) -> None:
    text = paper.spec.model_dump_json()
    again = CampaignSpec.model_validate_json(text)
    assert again == paper.spec
    assert again.constraints == PAPER_CONSTRAINTS
    assert again.linear_constraints == paper.spec.linear_constraints
    assert isinstance(again.linear_constraints[0], LinearConstraint)


def _paper_toml_with(tmp_path: Path, line: str) -> Path:
    text = example_spec_path().read_text(encoding="utf-8").replace("\n[mixture]\n", f"\n{line}\n\n[mixture]\n", 1)
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_campaign_file_key(tmp_path: Path) -> None:
    spec = load_spec(_paper_toml_with(tmp_path, 'constraints = ["SN - 2*MEMA <= 10", "salt >= 0.2*SN"]'))
    assert spec.constraints == PAPER_CONSTRAINTS
    path = _paper_toml_with(tmp_path, 'constraints = ["SN - 2*MEMA <= 10", "salt >= 0.2*SNN"]')
    with pytest.raises(SpecError, match=r"campaign\.toml: constraints\[1\]: unknown variable 'SNN'"):
        load_spec(path)


# --- satisfies ---------------------------------------------------------------------------------
def _rows(*mixtures: tuple[float, float, float], **overrides: Any) -> pd.DataFrame:
    base = {"LiDFOB_mol_frac": 0.05, "FEC_wt_pct": 5.0, "porosity": 0.75, "framework": "LLZT"}
    return pd.DataFrame(
        [{"MEMA": float(m), "SN": float(s), "salt": float(t), **base, **overrides} for m, s, t in mixtures]
    )


def test_satisfies_rows(paper: Space) -> None:
    df = _rows(
        (30, 50, 20),  # the paper's optimum: SN - 2 MEMA = -10, salt = 2 * 0.2 SN
        (20, 50, 30),  # SN - 2 MEMA = 10 exactly: on the boundary
        (40, 50, 10),  # salt = 0.2 SN exactly
        (20, 60, 20),  # SN - 2 MEMA = 20 > 10
        (34, 56, 10),  # salt = 10 < 0.2 * 56 = 11.2
        (5, 60, 35),  # MEMA below its bound (and SN - 2 MEMA = 50)
        (30, 50, 21),  # sums to 101
    )
    assert paper.satisfies(df).tolist() == [True, True, True, False, False, False, False]
    unconstrained = Space(paper.spec.model_copy(update={"constraints": []}))
    assert unconstrained.satisfies(df).tolist() == [True, True, True, True, True, False, False]


def test_satisfies_other_checks(paper: Space) -> None:
    assert not paper.satisfies(_rows((30, 50, 20), FEC_wt_pct=10.5))[0]  # parameter bound
    assert not paper.satisfies(_rows((30, 50, 20), framework="steel"))[0]  # categorical choice
    assert not paper.satisfies(_rows((30, float("nan"), 20)))[0]
    assert paper.satisfies(_rows((30, 50, 20)).drop(columns="framework"))[0]  # categorical optional
    assert paper.satisfies(_rows((20 - 1e-10, 50 + 1e-10, 30)))[0]  # within the tolerance
    assert not paper.satisfies(_rows((20 - 1e-6, 50 + 1e-6, 30)))[0]
    assert paper.satisfies(_rows((20 - 1e-6, 50 + 1e-6, 30)), tol=1e-7)[0]
    assert paper.satisfies(_rows((30, 50, 20)).iloc[:0]).shape == (0,)


# --- model inequalities ------------------------------------------------------------------------
def _model_ok(sp: Space, X: np.ndarray) -> np.ndarray:
    ok = np.ones(len(X), dtype=bool)
    for idx, coef, rhs in sp.model_inequalities():
        ok &= X[:, idx] @ coef >= rhs - 1e-9
    return ok


@pytest.mark.parametrize("seed", range(3))
def test_model_inequalities_agree_with_satisfies(mixed: Space, seed: int) -> None:
    df = _raw(mixed, 2000, seed)
    expected = mixed.satisfies(df)
    assert 0.1 < expected.mean() < 0.9  # both kinds of point are tested
    assert np.array_equal(_model_ok(mixed, mixed.to_model(df)), expected)


def test_model_inequalities_layout(mixed: Space) -> None:
    ineq = mixed.model_inequalities()
    assert len(ineq) == 3
    for idx, coef, rhs in ineq:
        assert idx.dtype == np.int64 and coef.dtype == np.float64 and isinstance(rhs, float)
        assert np.all(idx < len(mixed.numeric)) and np.all(coef != 0)
    idx, coef, rhs = ineq[0]  # SN - 2 MEMA <= 10  ->  200 x_MEMA - 100 x_SN >= -10
    assert idx.tolist() == [0, 1] and coef.tolist() == [200.0, -100.0] and rhs == -10.0
    idx, coef, rhs = ineq[2]  # FEC <= 0.1 SN + 5 porosity, FEC = 10 x, porosity = 0.4 + 0.45 x
    assert idx.tolist() == [1, 4, 5]
    assert coef == pytest.approx([10.0, -10.0, 2.25]) and rhs == pytest.approx(-2.0)


def test_model_inequalities_in_botorch(mixed: Space) -> None:
    """botorch's own polytope sampler, given these inequalities and the mixture equality, only
    returns points that satisfy the constraints (the convention is botorch's)."""
    torch = pytest.importorskip("torch")
    from botorch.utils.sampling import get_polytope_samples

    d = mixed.n_model_dims
    ineq = [(torch.as_tensor(i), torch.as_tensor(c), r) for i, c, r in mixed.model_inequalities()]
    eq = [(torch.arange(3), torch.ones(3, dtype=torch.float64), 1.0)]
    bounds = torch.as_tensor(mixed.model_bounds())
    torch.manual_seed(0)
    X = get_polytope_samples(64, bounds, inequality_constraints=ineq, equality_constraints=eq, seed=0, n_burnin=200)
    assert X.shape == (64, d)
    assert mixed.satisfies(mixed.from_model(X.numpy()), tol=1e-6).all()


# --- projection --------------------------------------------------------------------------------
def _brute_force_projection(sp: Space, y: np.ndarray) -> np.ndarray:
    """Nearest feasible point by enumerating active sets: the projection is the projection onto the
    affine hull of some face; try every set of up to p-1 active inequalities."""
    p, k = len(sp.numeric), len(sp.components)
    lb, ub = sp.model_bounds()[:, :p]
    A_m, b_m = sp._model_constraint_arrays
    G = np.vstack([-np.eye(p), np.eye(p), A_m])
    h = np.concatenate([-lb, ub, b_m])
    E = np.concatenate([np.ones(k), np.zeros(p - k)])[None, :]
    best, best_x = np.inf, None
    for r in range(p):
        for S in itertools.combinations(range(len(h)), r):
            M = np.vstack([E, G[list(S)]])
            c = np.concatenate([[1.0], h[list(S)]])
            x = y - np.linalg.pinv(M) @ (M @ y - c)
            if np.all(G @ x <= h + 1e-10) and abs(E @ x - 1) < 1e-10 and np.linalg.norm(x - y) < best:
                best, best_x = float(np.linalg.norm(x - y)), x
    assert best_x is not None
    return best_x


@pytest.mark.slow
def test_project_is_the_nearest_feasible_point(mixed: Space) -> None:
    df = _raw(mixed, 40, 5)
    rng = np.random.default_rng(0)
    df["MEMA"] += rng.normal(0, 8, len(df))  # off the simplex and the bounds too
    df["FEC_wt_pct"] += rng.normal(0, 4, len(df))
    out = mixed.project(df)
    assert mixed.satisfies(out).all()
    Y = mixed.to_model(df)[:, :6]
    X = mixed.to_model(out)[:, :6]
    for i in range(8):
        assert X[i] == pytest.approx(_brute_force_projection(mixed, Y[i]), abs=1e-7)


def test_project_keeps_feasible_rows_and_other_columns(paper: Space) -> None:
    df = _rows((30, 50, 20), (20, 50, 30), (20, 60, 20), (34, 56, 10))
    df["framework"] = ["LLZT", "glass_fiber", "glass_fiber", "LLZT"]
    df["note"] = ["a", "b", "c", "d"]
    df.index = [10, 11, 12, 13]
    out = paper.project(df)
    pd.testing.assert_frame_equal(out.iloc[:2], df.iloc[:2])  # already feasible: untouched
    assert out["framework"].tolist() == df["framework"].tolist() and out["note"].tolist() == df["note"].tolist()
    assert list(out.index) == [10, 11, 12, 13]
    assert paper.satisfies(out).all()
    # (20, 60, 20) breaks SN - 2 MEMA <= 10 by 10; in fractions the nearest point of
    # {x_SN - 2 x_MEMA = 0.1, Σx = 1} is y - Mᵀ(MMᵀ)⁻¹(My - c) = y - (-0.5, 0.4, 0.1)/14
    assert out.loc[12, ["MEMA", "SN", "salt"]].tolist() == pytest.approx([20 + 50 / 14, 60 - 40 / 14, 20 - 10 / 14])
    assert out.loc[12, ["LiDFOB_mol_frac", "FEC_wt_pct", "porosity"]].tolist() == pytest.approx([0.05, 5.0, 0.75])


def test_project_is_idempotent(mixed: Space) -> None:
    df = _raw(mixed, 200, 3)
    once = mixed.project(df)
    pd.testing.assert_frame_equal(mixed.project(once), once)


# --- rounding ----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_round_respects_constraints(mixed: Space, seed: int) -> None:
    raw = mixed.project(_raw(mixed, 150, seed))  # feasible, off the lattice, many on the boundary
    out = mixed.round(raw)
    assert mixed.satisfies(out).all()
    assert _on_lattice(mixed, out) and (out[mixed.components].sum(axis=1) == 100).all()
    plain = Space(mixed.spec.model_copy(update={"constraints": []})).round(raw)
    kept = mixed.satisfies(plain)
    assert 0 < (~kept).sum() < len(raw)  # some roundings had to be repaired
    pd.testing.assert_frame_equal(out[kept], plain[kept])  # the others are the plain rounding


def test_round_repairs_to_the_nearest_lattice_point_that_keeps_them() -> None:
    """Exhaustive check on a small lattice: the repaired rounding is at the least L1 distance (model
    coordinates) among all lattice points that satisfy the constraints."""
    data = {
        "version": 1,
        "name": "t",
        "mixture": {"resolution": 5, "components": {"A": {"min": 10, "max": 80}, "B": {"max": 70}, "C": {}}},
        "parameters": {"T": {"min": 0.0, "max": 1.0, "resolution": 0.1}, "cat": {"choices": ["x", "y"]}},
        "objectives": [{"name": "y"}],
        "constraints": ["B - 2*A <= 10*T", "C >= 0.3*B + 5"],
    }
    sp = Space(parse_spec(data))
    grid = [
        (a, b, 100 - a - b, t / 10)
        for a in range(10, 81, 5)
        for b in range(0, 71, 5)
        for t in range(11)
        if 0 <= 100 - a - b
    ]
    lattice = pd.DataFrame(grid, columns=["A", "B", "C", "T"]).assign(cat="x")
    lattice = lattice[sp.satisfies(lattice)].reset_index(drop=True)
    raw = sp.project(Space(sp.spec.model_copy(update={"constraints": []})).sample_uniform(60, seed=1))
    out = sp.round(raw)
    assert sp.satisfies(out).all()
    for i in range(len(raw)):
        d_out = _model_distance_l1(sp, out.iloc[[i]], raw.iloc[[i]])[0]
        d_best = _model_distance_l1(sp, lattice, pd.concat([raw.iloc[[i]]] * len(lattice), ignore_index=True)).min()
        assert d_out == pytest.approx(d_best, abs=1e-9)


def test_round_without_any_lattice_point_is_a_clear_error(paper: Space) -> None:
    # model_copy skips validation (the spec check would refuse this campaign file)
    sp = Space(paper.spec.model_copy(update={"constraints": ["SN <= 30.6", "SN >= 30.2"]}))
    with pytest.raises(ValueError, match=r"no lattice point keeps the bounds and the constraints"):
        sp.round(_rows((30, 30.4, 39.6)))


# --- sampling, designs, neighbours ---------------------------------------------------------------
@pytest.mark.parametrize("sobol", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_sample_uniform_respects_constraints(mixed: Space, sobol: bool, seed: int) -> None:
    df = mixed.sample_uniform(500, seed=seed, sobol=sobol)
    assert len(df) == 500 and list(df.columns) == mixed.variables
    assert mixed.satisfies(df).all()
    assert set(df["framework"]) == {"LLZT", "glass_fiber"}


def test_hit_and_run_fallback_is_uniform_on_the_polytope(mixed: Space, monkeypatch: pytest.MonkeyPatch) -> None:
    """With rejection switched off every point comes from hit-and-run; its moments match those of
    rejection sampling (exactly uniform) on the same polytope."""
    reference = mixed.sample_uniform(4000, seed=0)
    monkeypatch.setattr(space_module, "MAX_REJECTION_DRAWS", 0)
    chains = mixed.sample_uniform(4000, seed=1)
    assert mixed.satisfies(chains).all()
    assert len(np.unique(chains[mixed.numeric].round(9), axis=0)) == 4000
    lo, hi = mixed._numeric_bounds
    span = hi - lo
    for name, s in zip(mixed.numeric, span):
        assert abs(chains[name].mean() - reference[name].mean()) < 0.02 * s, name
        assert abs(chains[name].std() - reference[name].std()) < 0.02 * s, name


def test_tight_bounds_with_constraints(monkeypatch: pytest.MonkeyPatch) -> None:
    """10 components at most 12 each: rejection finds (nearly) nothing, hit-and-run takes over."""
    monkeypatch.setattr(space_module, "MAX_REJECTION_DRAWS", 2**14)  # give up on rejection sooner
    data = {
        "version": 1,
        "name": "t",
        "mixture": {"components": {f"c{i}": {"max": 12} for i in range(10)}},
        "parameters": {"T": {"min": 20, "max": 80, "resolution": 1}},
        "objectives": [{"name": "y"}],
        "constraints": ["c0 + c1 >= 22", "c2 <= 0.1*T", "c3 - c4 >= 0"],
    }
    sp = Space(parse_spec(data))
    df = sp.sample_uniform(500, seed=2)
    assert sp.satisfies(df).all()
    assert df[sp.numeric].std().min() > 0.4  # spread, not stuck at the start point
    design = sp.space_filling(8, seed=0)
    assert sp.satisfies(design).all() and _on_lattice(sp, design)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("n", [1, 6, 14])
def test_space_filling_respects_constraints(mixed: Space, seed: int, n: int) -> None:
    existing = mixed.space_filling(5, seed=seed + 100)
    df = mixed.space_filling(n, seed=seed, existing=existing)
    assert len(df) == n and mixed.satisfies(df).all() and _on_lattice(mixed, df)
    assert not (mixed.too_close(df, df) & ~np.eye(n, dtype=bool)).any()
    assert not mixed.too_close(df, existing).any()


def test_neighbours_and_distinct_keep_constraints(paper: Space) -> None:
    row = _rows((20, 50, 30)).iloc[0]  # on the SN - 2 MEMA = 10 plane
    free = Space(paper.spec.model_copy(update={"constraints": []}))
    everything = free.neighbours(row)
    kept = paper.neighbours(row)
    assert paper.satisfies(kept).all() and len(kept) == int(paper.satisfies(everything).sum()) < len(everything)
    cand = pd.concat(
        [_rows((20, 60, 20)), _rows((30, 50, 20)), _rows((34, 56, 10)), _rows((40, 50, 10))], ignore_index=True
    )
    chosen = paper.distinct(cand, pd.DataFrame(columns=paper.variables), n=10)
    assert chosen[["MEMA", "SN", "salt"]].values.tolist() == [[30, 50, 20], [40, 50, 10]]


# --- validation ----------------------------------------------------------------------------------
def test_validate_accepts_breaking_rows_unless_asked(paper: Space) -> None:
    df = _rows((30, 50, 20), (20, 60, 20), (34, 56, 10))
    assert len(paper.validate(df)) == 3  # recorded data may predate the rule
    with pytest.raises(DataError) as exc:
        paper.validate(df, origin="results.csv", rows=[2, 3, 4], check_constraints=True)
    assert str(exc.value).splitlines() == [
        'results.csv: line 3: breaks the constraint "SN - 2*MEMA <= 10" (by 10)',
        'results.csv: line 4: breaks the constraint "salt >= 0.2*SN" (by 1.2)',
    ]
    assert len(paper.validate(df.iloc[[0]], check_constraints=True)) == 1


# --- campaign ------------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["random", "sobol"])
def test_campaign_proposals_respect_constraints(tmp_path: Path, store_url: str, strategy: str) -> None:
    path = _paper_toml_with(tmp_path, 'constraints = ["SN - 2*MEMA <= 10", "salt >= 0.2*SN", "FEC_wt_pct <= 0.1*SN"]')
    c = Campaign.create(path, store=store_url, seed=0)
    batches = [c.propose(8, strategy=strategy) for _ in range(3)]
    for batch in batches:
        assert c.space.satisfies(batch).all()
        assert (batch[c.space.components].sum(axis=1) == 100).all()
    reopened = Campaign.open(store_url)
    assert reopened.spec.constraints == c.spec.constraints
    assert reopened.space.satisfies(reopened.propose(4, strategy=strategy)).all()
