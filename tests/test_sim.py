"""Tests for optiform.sim: calibration of the synthetic virtual lab to Nguyen et al. 2024."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optiform.errors import DataError
from optiform.sim import (
    DEFAULT_BOUNDS,
    FRAMEWORKS,
    GLOBAL_OPTIMUM,
    PAPER_OXIDATION_ONSET_V,
    PAPER_POINT,
    PAPER_TRANSFERENCE,
    VirtualLab,
    activation_energy_eV,
    fluid_threshold,
    is_solid,
    oxidation_onset_V,
    transference_number,
    true_conductivity_mS_cm,
)

K_B = 8.617333262e-5
SLICE = {"LiDFOB_mol_frac": 0.05, "FEC_wt_pct": 5.0, "porosity": 0.75, "framework": "LLZT"}


def _frame(**overrides: object) -> pd.DataFrame:
    return pd.DataFrame([{**PAPER_POINT, **overrides}])


def _slice_lattice() -> pd.DataFrame:
    rows = [(m, s, 100 - m - s) for m in range(10, 71) for s in range(20, 71) if 5 <= 100 - m - s <= 35]
    X = pd.DataFrame(rows, columns=["MEMA", "SN", "salt"], dtype=float)
    return X.assign(**SLICE)


def _random_feasible(n: int, seed: int) -> pd.DataFrame:
    """Uniform random points within DEFAULT_BOUNDS, mixture summing to 100, solid only, both frameworks."""
    rng = np.random.default_rng(seed)
    b = DEFAULT_BOUNDS
    mema = rng.uniform(*b["MEMA"], n)
    sn = rng.uniform(*b["SN"], n)
    salt = 100.0 - mema - sn
    X = pd.DataFrame(
        {
            "MEMA": mema,
            "SN": sn,
            "salt": salt,
            "LiDFOB_mol_frac": rng.uniform(*b["LiDFOB_mol_frac"], n),
            "FEC_wt_pct": rng.uniform(*b["FEC_wt_pct"], n),
            "porosity": rng.uniform(*b["porosity"], n),
            "framework": rng.choice(list(FRAMEWORKS), n),
        }
    )
    X = X[(X["salt"] >= b["salt"][0]) & (X["salt"] <= b["salt"][1])]
    return X[is_solid(X)].reset_index(drop=True)


# ---------------------------------------------------------------- calibration 1: the paper's slice


def test_paper_point_is_1117():
    assert true_conductivity_mS_cm(_frame())[0] == pytest.approx(1.117, rel=1e-3)
    assert is_solid(_frame())[0]


def test_slice_lattice_maximum_is_30_50_20():
    X = _slice_lattice()
    solid = is_solid(X)
    sigma = true_conductivity_mS_cm(X)
    best = X[solid].iloc[int(np.argmax(sigma[solid]))]
    assert (best["MEMA"], best["SN"], best["salt"]) == (30.0, 50.0, 20.0)
    assert sigma[solid].max() == pytest.approx(1.117, rel=1e-3)
    # unique: the runner-up is clearly lower
    assert np.sort(sigma[solid])[-2] < sigma[solid].max() * (1 - 1e-4)


def test_30_50_20_sits_on_the_fluid_boundary():
    for m, s, l in [(29, 51, 20), (30, 51, 19), (29, 50, 21)]:
        assert not is_solid(_frame(MEMA=m, SN=s, salt=l))[0], (m, s, l)
    assert 50 / 30 < float(fluid_threshold(np.array(5.0))) < 51 / 30


def test_conductivity_rises_with_sn_at_fixed_salt():
    X = _slice_lattice()
    for salt, group in X.groupby("salt"):
        group = group.sort_values("SN")
        assert np.all(np.diff(true_conductivity_mS_cm(group)) > 0), salt
    # so fluid neighbours with more SN would beat the optimum if they solidified
    assert true_conductivity_mS_cm(_frame(MEMA=29, SN=51))[0] > 1.117


def test_fluid_threshold_falls_with_fec():
    fec = np.linspace(0, 10, 21)
    assert np.all(np.diff(fluid_threshold(fec)) < 0)
    X = pd.DataFrame({"MEMA": 29.0, "SN": 51.0, "salt": 20.0, "FEC_wt_pct": [2.0, 5.0]})
    assert is_solid(X).tolist() == [True, False]


# ---------------------------------------------------------------- calibration 2: glass fibre (SPE)


def test_glass_fiber_paper_point_is_0464():
    assert true_conductivity_mS_cm(_frame(framework="glass_fiber"))[0] == pytest.approx(0.464, rel=0.02)


# ---------------------------------------------------------------- calibration 3: Arrhenius


@pytest.mark.parametrize("framework, ea", [("LLZT", 0.161), ("glass_fiber", 0.283)])
def test_arrhenius_fit_gives_paper_activation_energy(framework: str, ea: float):
    temps_C = np.arange(30.0, 71.0, 5.0)
    X = pd.concat([_frame(framework=framework)] * len(temps_C), ignore_index=True)
    sigma = true_conductivity_mS_cm(X, temperature_C=temps_C)
    slope = np.polyfit(1.0 / (temps_C + 273.15), np.log(sigma), 1)[0]
    assert -slope * K_B == pytest.approx(ea, rel=1e-6)
    assert activation_energy_eV(_frame(framework=framework))[0] == pytest.approx(ea, rel=1e-12)
    assert np.all(np.diff(sigma) > 0)


def test_activation_energy_varies_mildly_within_bounds():
    X = _random_feasible(20_000, seed=3)
    ea = activation_energy_eV(X)
    base = np.where(X["framework"] == "LLZT", 0.161, 0.283)
    assert np.max(np.abs(ea - base)) < 0.03
    assert np.std(ea - base) > 1e-3  # it does vary


def test_scalar_temperature_30_equals_reference():
    X = _frame()
    assert true_conductivity_mS_cm(X, 30.0)[0] == pytest.approx(1.117, rel=1e-12)
    assert true_conductivity_mS_cm(X, 70.0)[0] > true_conductivity_mS_cm(X, 30.0)[0]


# ---------------------------------------------------------------- calibration 4: global optimum


def test_global_optimum_constant_is_reproduced():
    X = pd.DataFrame([GLOBAL_OPTIMUM["point"]])
    assert is_solid(X)[0]
    value = true_conductivity_mS_cm(X)[0]
    assert value == pytest.approx(GLOBAL_OPTIMUM["conductivity_mS_cm"], rel=1e-6)
    assert 1.2 < value < 1.6
    assert value > 1.117
    p = GLOBAL_OPTIMUM["point"]
    assert p["MEMA"] + p["SN"] + p["salt"] == pytest.approx(100.0, abs=1e-9)
    for name, (lo, hi) in DEFAULT_BOUNDS.items():
        assert lo <= p[name] <= hi, name


def test_no_random_feasible_point_beats_the_global_optimum():
    X = _random_feasible(400_000, seed=11)
    assert len(X) > 100_000
    assert true_conductivity_mS_cm(X).max() <= GLOBAL_OPTIMUM["conductivity_mS_cm"] * (1 + 1e-6)


def test_optimum_method_matches_global_optimum_and_is_deterministic():
    point, value = VirtualLab().optimum()
    assert value == pytest.approx(GLOBAL_OPTIMUM["conductivity_mS_cm"], rel=1e-5)
    assert point["framework"] == "LLZT"
    for name in DEFAULT_BOUNDS:
        assert point[name] == pytest.approx(GLOBAL_OPTIMUM["point"][name], rel=1e-3, abs=1e-3), name
    assert point["MEMA"] + point["SN"] + point["salt"] == pytest.approx(100.0, abs=1e-9)
    assert is_solid(pd.DataFrame([point]))[0]
    assert VirtualLab(seed=5).optimum() == (point, value)


def test_optimum_with_fixed_variables():
    lab = VirtualLab()
    point, value = lab.optimum(fixed={k: v for k, v in SLICE.items()})
    # on the paper's slice the continuous optimum only edges past 30:50:20 (to the fluid boundary)
    assert 1.117 <= value < 1.13
    assert point["salt"] == pytest.approx(20.0, abs=1e-3)
    assert point["porosity"] == 0.75 and point["framework"] == "LLZT"
    assert is_solid(pd.DataFrame([point]))[0]
    gf_point, gf_value = lab.optimum(choices={"framework": ["glass_fiber"]})
    assert gf_point["framework"] == "glass_fiber" and gf_value < 0.7
    sub_point, sub_value = lab.optimum(bounds={"SN": (20.0, 40.0)})
    assert sub_point["SN"] <= 40.0 + 1e-9 and sub_value < GLOBAL_OPTIMUM["conductivity_mS_cm"]


# ---------------------------------------------------------------- smoothness (5)


def test_conductivity_is_continuous_across_fluid_boundary_and_percolation():
    t = np.linspace(0.0, 1.0, 20_001)
    X = pd.DataFrame(
        {
            "MEMA": 40.0 - 20.0 * t,  # crosses the fluid boundary
            "SN": 40.0 + 20.0 * t,
            "salt": 20.0,
            "LiDFOB_mol_frac": 0.3 * t,
            "FEC_wt_pct": 10.0 * t,
            "porosity": 0.85 - 0.45 * t,  # crosses the percolation threshold
        }
    )
    sigma = true_conductivity_mS_cm(X)
    assert not is_solid(X).all() and is_solid(X).any()
    assert np.max(np.abs(np.diff(np.log(sigma)))) < 1e-3


# ---------------------------------------------------------------- measure(): noise, seeding, I/O


def test_measure_is_reproducible_with_seed_and_continues_the_stream():
    lattice = _slice_lattice()
    X = lattice[is_solid(lattice)].iloc[::10].head(50)
    assert len(X) == 50
    a, b = VirtualLab(seed=7), VirtualLab(seed=7)
    first_a, first_b = a.measure(X), b.measure(X)
    pd.testing.assert_frame_equal(first_a, first_b)
    second_a = a.measure(X)
    assert not np.allclose(first_a["conductivity_mS_cm"], second_a["conductivity_mS_cm"], equal_nan=True)
    pd.testing.assert_frame_equal(second_a, b.measure(X))
    c = VirtualLab(seed=8).measure(X)
    assert not np.allclose(first_a["conductivity_mS_cm"], c["conductivity_mS_cm"], equal_nan=True)


def test_noise_is_lognormal_with_noise_rel():
    X = pd.concat([_frame()] * 20_000, ignore_index=True)
    lab = VirtualLab(seed=1, noise_rel=0.03, failure_rate=0.0)  # failed cells would give NaN
    ln_ratio = np.log(lab.measure(X)["conductivity_mS_cm"].to_numpy() / 1.117)
    assert np.std(ln_ratio) == pytest.approx(0.03, rel=0.05)
    assert abs(np.mean(ln_ratio)) < 0.002
    exact = VirtualLab(seed=1, noise_rel=0.0, failure_rate=0.0).measure(_frame())
    assert exact["conductivity_mS_cm"].iloc[0] == pytest.approx(1.117, rel=1e-12)


def test_measure_output_format_and_fluid_rows():
    X = pd.DataFrame(
        {"id": ["a", "b"], "MEMA": [30.0, 29.0], "SN": [50.0, 51.0], "salt": [20.0, 20.0]},
        index=[10, 20],
    )
    out = VirtualLab(seed=0).measure(X)
    assert list(out.index) == [10, 20]
    assert list(out.columns) == [
        "id",
        "conductivity_mS_cm",
        "transference_number",
        "oxidation_onset_V",
        "solid",
        "status",
        "note",
    ]
    assert out["transference_number"].notna().tolist() == [True, False]
    assert out["oxidation_onset_V"].notna().tolist() == [True, False]
    assert out["id"].tolist() == ["a", "b"]
    assert out["solid"].tolist() == [True, False]
    assert out["status"].tolist() == ["ok", "failed"]
    assert out["note"].tolist() == ["", "film stayed fluid"]
    assert np.isfinite(out["conductivity_mS_cm"].iloc[0])
    assert np.isnan(out["conductivity_mS_cm"].iloc[1])
    assert out["conductivity_mS_cm"].dtype == float and out["solid"].dtype == bool
    no_id = VirtualLab(seed=0).measure(X.drop(columns="id"))
    assert "id" not in no_id.columns


def test_measure_uses_lab_temperature():
    hot = VirtualLab(seed=0, noise_rel=0.0, temperature_C=70.0).measure(_frame())
    assert hot["conductivity_mS_cm"].iloc[0] == pytest.approx(true_conductivity_mS_cm(_frame(), 70.0)[0])


# ---------------------------------------------------------------- defaults and validation


def test_missing_columns_take_paper_defaults():
    assert true_conductivity_mS_cm(pd.DataFrame(index=range(3))) == pytest.approx([1.117] * 3, rel=1e-12)
    partial = pd.DataFrame({"SN": [50.0], "framework": ["glass_fiber"]})
    assert true_conductivity_mS_cm(partial)[0] == pytest.approx(
        true_conductivity_mS_cm(_frame(framework="glass_fiber"))[0], rel=1e-12
    )
    assert is_solid(pd.DataFrame({"porosity": [0.6]}))[0]


def test_mixture_is_normalised_by_its_sum():
    scaled = _frame(MEMA=3.0, SN=5.0, salt=2.0)
    assert true_conductivity_mS_cm(scaled)[0] == pytest.approx(1.117, rel=1e-12)


@pytest.mark.parametrize(
    "column, value",
    [
        ("MEMA", -1.0),
        ("SN", -0.1),
        ("salt", -5.0),
        ("porosity", 0.0),
        ("porosity", 1.0),
        ("porosity", 1.2),
        ("LiDFOB_mol_frac", 1.5),
        ("FEC_wt_pct", -1.0),
        ("framework", "LLZO"),
        ("SN", float("nan")),
    ],
)
def test_bad_input_raises_value_error_naming_the_column(column: str, value: object):
    X = _frame(**{column: value})
    for fn in (
        true_conductivity_mS_cm,
        is_solid,
        activation_energy_eV,
        transference_number,
        oxidation_onset_V,
        VirtualLab(seed=0).measure,
    ):
        with pytest.raises(ValueError, match=column):
            fn(X)


def test_optimum_rejects_bad_arguments():
    lab = VirtualLab()
    with pytest.raises(ValueError, match="porosity"):
        lab.optimum(fixed={"porosity": 1.5})
    with pytest.raises(ValueError, match="SN"):
        lab.optimum(bounds={"SN": (60.0, 50.0)})
    with pytest.raises(ValueError, match="framework"):
        lab.optimum(choices={"framework": ["LLZO"]})
    with pytest.raises(ValueError, match="no solid"):
        lab.optimum(fixed={"MEMA": 10.0, "SN": 60.0})
    with pytest.raises(DataError, match="porosity"):
        lab.optimum(fixed={"porosity": 1.5})
    with pytest.raises(DataError, match="noise_rel"):
        VirtualLab(noise_rel=-1.0)


# ---------------------------------------------------------------- calibration 5: t+ and oxidation onset


@pytest.mark.parametrize("framework", ["LLZT", "glass_fiber"])
def test_paper_point_transference_and_onset(framework: str):
    X = _frame(framework=framework)
    assert transference_number(X)[0] == pytest.approx(PAPER_TRANSFERENCE[framework], abs=1e-12)
    assert oxidation_onset_V(X)[0] == pytest.approx(PAPER_OXIDATION_ONSET_V[framework], abs=1e-12)
    assert PAPER_TRANSFERENCE == {"LLZT": 0.627, "glass_fiber": 0.236}
    assert PAPER_OXIDATION_ONSET_V == {"LLZT": 5.06, "glass_fiber": 4.60}


def test_transference_and_onset_ranges_within_bounds():
    X = _random_feasible(20_000, seed=4)
    t, e = transference_number(X), oxidation_onset_V(X)
    assert 0.1 < t.min() and t.max() < 0.8 and np.std(t) > 0.05
    assert 4.2 < e.min() and e.max() < 5.6 and np.std(e) > 0.05  # below the 6 V end of the LSV sweep
    llzt = (X["framework"] == "LLZT").to_numpy()
    assert t[llzt].mean() > t[~llzt].mean() + 0.2 and e[llzt].mean() > e[~llzt].mean() + 0.3


def test_transference_and_onset_directions():
    # the ceramic network raises both (less porosity = more ceramic), glass fibre does not care
    p = np.linspace(0.4, 0.85, 10)
    X = pd.DataFrame([{**PAPER_POINT, "porosity": v} for v in p])
    assert np.all(np.diff(transference_number(X)) < 0) and np.all(np.diff(oxidation_onset_V(X)) < 0)
    gf = X.assign(framework="glass_fiber")
    assert np.ptp(transference_number(gf)) < 1e-12 and np.ptp(oxidation_onset_V(gf)) < 1e-12
    # more salt: lower t+ (ion pairs), higher onset (fewer free solvent molecules)
    salty = pd.DataFrame([{**PAPER_POINT, "MEMA": 30.0, "SN": 50.0, "salt": s} for s in (10.0, 20.0, 30.0)])
    assert np.all(np.diff(transference_number(salty)) < 0) and np.all(np.diff(oxidation_onset_V(salty)) > 0)


def test_transference_and_onset_are_smooth_across_boundaries():
    t = np.linspace(0.0, 1.0, 20_001)
    X = pd.DataFrame(
        {
            "MEMA": 40.0 - 20.0 * t,  # crosses the fluid boundary
            "SN": 40.0 + 20.0 * t,
            "salt": 20.0,
            "LiDFOB_mol_frac": 0.3 * t,
            "FEC_wt_pct": 10.0 * t,
            "porosity": 0.85 - 0.45 * t,  # crosses the percolation threshold
        }
    )
    assert not is_solid(X).all() and is_solid(X).any()
    for values in (transference_number(X), oxidation_onset_V(X)):
        assert np.all(np.isfinite(values))
        assert np.max(np.abs(np.diff(values))) < 1e-3
        assert np.ptp(values) > 0.1  # it does change along the path


# ---------------------------------------------------------------- measure(): failures, t+ and onset noise


def test_failures_are_seeded_and_leave_the_noise_stream_unchanged():
    X = pd.concat([_frame()] * 20_000, ignore_index=True)
    none = VirtualLab(seed=9, failure_rate=0.0).measure(X)
    some = VirtualLab(seed=9, failure_rate=0.2).measure(X)
    failed = (some["status"] == "failed").to_numpy()
    assert failed.mean() == pytest.approx(0.2, abs=0.01)
    assert (some.loc[failed, "note"] == "measurement failed (cell short-circuit)").all()
    assert some.loc[failed, "solid"].all()  # the film was solid; the cell failed
    for q in ("conductivity_mS_cm", "transference_number", "oxidation_onset_V"):
        assert some.loc[failed, q].isna().all()
        np.testing.assert_array_equal(some.loc[~failed, q], none.loc[~failed, q])
    # the conductivity noise is still the plain default_rng(seed) stream of earlier versions
    expected = 1.117 * np.exp(0.03 * np.random.default_rng(9).standard_normal(len(X)))
    np.testing.assert_allclose(none["conductivity_mS_cm"], expected, rtol=1e-12)
    pd.testing.assert_frame_equal(some, VirtualLab(seed=9, failure_rate=0.2).measure(X))
    assert not VirtualLab(seed=10, failure_rate=0.2).measure(X)["status"].equals(some["status"])
    assert (VirtualLab(seed=9).measure(X)["status"] == "failed").mean() == pytest.approx(0.02, abs=0.004)


def test_fluid_films_are_failed_not_cell_failures():
    X = pd.concat([_frame(MEMA=29.0, SN=51.0)] * 200, ignore_index=True)
    out = VirtualLab(seed=0, failure_rate=0.5).measure(X)
    assert (out["status"] == "failed").all() and (~out["solid"]).all()
    assert (out["note"] == "film stayed fluid").all()


def test_transference_and_onset_noise():
    X = pd.concat([_frame()] * 20_000, ignore_index=True)
    out = VirtualLab(seed=2, failure_rate=0.0, noise_t_plus=0.02, noise_onset_V=0.03).measure(X)
    dt = out["transference_number"] - 0.627
    de = out["oxidation_onset_V"] - 5.06
    assert dt.std() == pytest.approx(0.02, rel=0.05) and abs(dt.mean()) < 0.001
    assert de.std() == pytest.approx(0.03, rel=0.05) and abs(de.mean()) < 0.001
    assert np.corrcoef(dt, de)[0, 1] == pytest.approx(0.0, abs=0.03)
    exact = VirtualLab(seed=2, failure_rate=0.0, noise_t_plus=0.0, noise_onset_V=0.0).measure(_frame())
    assert exact["transference_number"].iloc[0] == pytest.approx(0.627, abs=1e-12)
    assert exact["oxidation_onset_V"].iloc[0] == pytest.approx(5.06, abs=1e-12)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"failure_rate": 1.5}, "failure_rate"),
        ({"failure_rate": -0.1}, "failure_rate"),
        ({"noise_t_plus": -0.01}, "noise_t_plus"),
        ({"noise_onset_V": float("nan")}, "noise_onset_V"),
        ({"noise_rel": -1.0}, "noise_rel"),
    ],
)
def test_virtual_lab_rejects_bad_settings(kwargs: dict, name: str):
    with pytest.raises(ValueError, match=name):
        VirtualLab(seed=0, **kwargs)
