"""Real-data emulators (optiform.bench.emulators): data, fit quality, optima, labs, campaigns."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optiform.bench import emulators as em
from optiform.bench.problems import Problem
from optiform.sim.landscapes import sample_simplex
from optiform.spec import load_spec

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
EXTRACTS = Path(__file__).resolve().parent / "data" / "conductivity"


def test_shipped_data_match_the_documented_selection():
    cal = em.load_data("calisol")
    assert len(cal) == 145 and cal["doi"].nunique() == 3
    assert cal["temperature_C"].between(*em.CALISOL_WINDOW_C).all()
    assert np.allclose(cal[["EC_wfrac", "DMC_wfrac", "EMC_wfrac"]].sum(axis=1), 1.0, atol=0.011)
    # every measured composition lies inside the problem's hull constraint
    assert (100 * cal["EC_wfrac"] - 0.4 * 100 * cal["EMC_wfrac"] <= 30 + 1e-9).all()
    peo = em.load_data("peo")
    assert len(peo) == 98 and peo["doi"].nunique() == 8
    assert set(peo["anion"]) == set(em.PEO_ANIONS)
    assert (peo["temperature_C"] == em.PEO_TEMPERATURE_C).all()
    assert (peo["Mw_kDa"].isna() | (peo["Mw_kDa"] >= em.PEO_MIN_MW_KDA)).all()
    # every anion is measured at both ends of the problem's r range (r = salt / EO)
    r_lo = em.PEO_BOUNDS["salt"][0] / em.PEO_BOUNDS["EO"][1]
    r_hi = em.PEO_BOUNDS["salt"][1] / em.PEO_BOUNDS["EO"][0]
    for anion, g in peo.groupby("anion"):
        # (the CSV keeps 6 significant digits)
        assert g["r_Li_per_EO"].min() <= r_lo + 1e-5 and g["r_Li_per_EO"].max() >= r_hi - 1e-5, anion


def test_rebuild_from_shared_extracts_reproduces_the_shipped_csvs(tmp_path):
    # the shared extracts, whole, gzip-compressed in tests/data/conductivity (see tests/data/PROVENANCE.md)
    shared = tmp_path / "shared"
    shared.mkdir()
    for packed in sorted(EXTRACTS.glob("*.csv.gz")):
        (shared / packed.stem).write_bytes(gzip.decompress(packed.read_bytes()))
    for path in em.write_subsets(shared, tmp_path):
        shipped = pd.read_csv(em.DATA_DIR / path.name)
        pd.testing.assert_frame_equal(pd.read_csv(path), shipped)


def test_fit_is_cached():
    e = em.emulator("calisol")
    assert em.emulator("calisol") is e
    assert e.n == 145


@pytest.mark.parametrize(("name", "documented", "ln_tol"), [("calisol", em.CALISOL_CV, 0.01), ("peo", em.PEO_CV, 0.1)])
def test_cross_validated_error_is_what_the_docs_say(name, documented, ln_tol):
    cv = em.cross_validate(name, k=5, seed=0)
    assert cv["n"] == documented["n"] and cv["folds"] == 5
    assert cv["rmse_ln"] == pytest.approx(documented["rmse_ln"], abs=ln_tol)
    assert cv["median_rel"] == pytest.approx(documented["median_rel"], abs=ln_tol)


def test_calisol_predictions_at_training_points_are_close_to_the_data():
    d = em.load_data("calisol")
    F = em.calisol_features(d["EC_wfrac"], d["EMC_wfrac"], d["LiPF6_mol_kg"], d["temperature_C"])
    resid = em.emulator("calisol").predict_ln(F) - np.log(d["conductivity_mS_cm"].to_numpy())
    assert np.sqrt(np.mean(resid**2)) < 0.04
    assert np.abs(resid).max() < 0.15
    # the lab at 25 °C lies between the 20 and 30 °C measurements of a formulation
    row = d[(d["EC_wfrac"] == 0.3) & (d["DMC_wfrac"] == 0.7) & (d["LiPF6_mol_kg"].round(2) == 1.0)]
    by_t = row.groupby("temperature_C")["conductivity_mS_cm"].mean()
    x = pd.DataFrame({"EC": [30.0], "DMC": [70.0], "EMC": [0.0], "LiPF6_mol_kg": [1.0]})
    value = em.CalisolLab().true_value(x)[0]
    assert by_t[20.0] < value < by_t[30.0]


def test_peo_predictions_at_training_points_follow_the_data():
    d = em.load_data("peo")
    F = em.peo_features(d["r_Li_per_EO"], d["anion"])
    y = np.log(d["conductivity_mS_cm"].to_numpy())
    resid = em.emulator("peo").predict_ln(F) - y
    # sources disagree by up to ~10x, so the fit is a consensus: it explains most of the variance
    assert np.sqrt(np.mean(resid**2)) < 1.3
    assert 1 - resid.var() / y.var() > 0.8
    # and the most-measured anion's single-source series (ma00103a034, TFSI) is tracked closely
    series = d["doi"].str.endswith("ma00103a034") & (d["anion"] == "TFSI")
    assert np.median(np.abs(resid[series.to_numpy()])) < 0.3


def test_calisol_optimum_within_bounds_and_not_beaten_by_a_dense_sample():
    point, value = em.calisol_optimum()
    assert value == pytest.approx(em.CALISOL_OPTIMUM[em.OBJECTIVE], rel=1e-4)
    for k, v in em.CALISOL_OPTIMUM["point"].items():
        assert point[k] == pytest.approx(v, abs=0.01), k
    mixture = {k: point[k] for k in em.CALISOL_SOLVENTS}
    assert sum(mixture.values()) == pytest.approx(100.0)
    for k, (lo, hi) in em.CALISOL_BOUNDS.items():
        assert lo - 1e-6 <= point[k] <= hi + 1e-6
    m_lo, m_hi = em.CALISOL_MOLALITY_BOUNDS
    assert m_lo <= point[em.CALISOL_MOLALITY] <= m_hi
    assert point["EC"] - 0.4 * point["EMC"] <= 30 + 1e-6
    assert point[em.CALISOL_MOLALITY] + 0.01 * point["EC"] <= 2.3 + 1e-6
    lab = em.CalisolLab()
    assert lab.true_value(pd.DataFrame([point]))[0] == pytest.approx(value, rel=1e-9)
    sample = sample_simplex(em.CALISOL_BOUNDS, 40_000, seed=11)
    sample[em.CALISOL_MOLALITY] = np.random.default_rng(12).uniform(m_lo, m_hi, len(sample))
    ok = (sample["EC"] - 0.4 * sample["EMC"] <= 30) & (sample[em.CALISOL_MOLALITY] + 0.01 * sample["EC"] <= 2.3)
    values = lab.true_value(sample[ok])
    assert ok.sum() > 20_000
    assert values.max() <= value * (1 + 1e-6)
    assert values.max() >= 0.97 * value


def test_peo_optimum_within_bounds_and_not_beaten_by_a_dense_grid():
    point, value = em.peo_optimum()
    assert value == pytest.approx(em.PEO_OPTIMUM[em.OBJECTIVE], rel=1e-4)
    assert point["anion"] == em.PEO_OPTIMUM["point"]["anion"]
    assert point["r_Li_per_EO"] == pytest.approx(em.PEO_OPTIMUM["point"]["r_Li_per_EO"], rel=1e-3)
    for k, (lo, hi) in em.PEO_BOUNDS.items():
        assert lo < point[k] < hi  # interior in the loading
    lab = em.PeoLab()
    assert lab.true_value(pd.DataFrame([point]))[0] == pytest.approx(value, rel=1e-9)
    salt = np.linspace(*em.PEO_BOUNDS["salt"], 3001)
    grid = pd.DataFrame([(100 - s, s, a) for a in em.PEO_ANIONS for s in salt], columns=["EO", "salt", "anion"])
    values = lab.true_value(grid)
    assert values.max() <= value * (1 + 1e-9)
    assert values.max() >= 0.9999 * value


@pytest.mark.parametrize(
    ("lab_cls", "X"),
    [
        (
            em.CalisolLab,
            pd.DataFrame(
                {"EC": [30.0, 20, 0], "DMC": [70.0, 0, 50], "EMC": [0.0, 80, 50], "LiPF6_mol_kg": [1.0, 1.5, 0.6]}
            ),
        ),
        (em.PeoLab, pd.DataFrame({"EO": [92.0, 80, 97], "salt": [8.0, 20, 3], "anion": ["TFSI", "BF4", "ClO4"]})),
    ],
)
def test_labs_are_reproducible_by_seed(lab_cls, X):
    X = X.assign(id=["F1", "F2", "F3"])
    a, b, c = lab_cls(seed=1).measure(X), lab_cls(seed=1).measure(X), lab_cls(seed=2).measure(X)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a[em.OBJECTIVE], c[em.OBJECTIVE])
    assert list(a.columns) == ["id", em.OBJECTIVE, "status", "note"] and (a["status"] == "ok").all()
    truth = lab_cls().true_value(X)
    assert np.all(np.abs(np.log(a[em.OBJECTIVE].to_numpy() / truth)) < 5 * 0.03)
    assert np.array_equal(lab_cls(seed=9, noise_rel=0.0).measure(X)[em.OBJECTIVE].to_numpy(), truth)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="'LiPF6_mol_kg'"):
        em.CalisolLab().true_value(pd.DataFrame({"EC": [30.0], "DMC": [70.0], "EMC": [0.0]}))
    with pytest.raises(ValueError, match="'anion'"):
        em.PeoLab().true_value(pd.DataFrame({"EO": [92.0], "salt": [8.0], "anion": ["FSI"]}))
    with pytest.raises(ValueError, match="unknown emulator"):
        em.load_data("nope")


@pytest.mark.parametrize("name", list(em.EMULATORS))
def test_campaign_create_and_propose(name, make_campaign):
    problem = em.EMULATORS[name]()
    assert isinstance(problem, Problem) and problem.name == name and not problem.synthetic
    spec = load_spec(problem.spec)
    assert spec.objective_names == [em.OBJECTIVE]
    campaign = make_campaign(problem.spec)
    batch = campaign.propose(4)
    assert len(batch) == 4 and np.allclose(batch[spec.components].sum(axis=1), 100.0)
    for c in spec.linear_constraints:
        lhs = sum(coef * batch[v] for v, coef in c.coefficients.items())
        assert (lhs <= c.rhs + 1e-9).all(), c.text
    results = problem.make_lab(0).measure(batch)
    assert np.all(results[em.OBJECTIVE] > 0)
    campaign.record(results)
    assert (campaign.formulations()["n_results"] > 0).sum() == 4
    truth = problem.make_lab(0).true_value(batch)
    assert np.all(truth <= problem.optimum_value * (1 + 1e-9))


def test_problems_are_registered():
    from optiform.bench.problems import get_problem

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in em.EMULATORS:
            assert get_problem(name).name == name
