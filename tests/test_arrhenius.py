"""Arrhenius / VTF fits: known answers, interval coverage, flags, input checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optiform.analysis.arrhenius import (
    CURVATURE_P_MAX,
    EV_TO_KJ_MOL,
    K_B_EV_K,
    ArrheniusResult,
    VTFResult,
    arrhenius,
    vtf,
)

T_PAPER = np.array([30.0, 40.0, 50.0, 60.0, 70.0])  # °C, as in Nguyen et al. 2024 (30–70 °C)


def _sigma(T_C: np.ndarray, Ea_eV: float, A: float = 2.0, form: str = "sigma") -> np.ndarray:
    T = T_C + 273.15
    y = A * np.exp(-Ea_eV / (K_B_EV_K * T))
    return y / T if form == "sigmaT" else y


def _vtf_sigma(T_C: np.ndarray, A: float, B: float, T0: float, sqrtT: bool = True) -> np.ndarray:
    T = T_C + 273.15
    return A * (T**-0.5 if sqrtT else 1.0) * np.exp(-B / (T - T0))


@pytest.mark.parametrize("Ea", [0.161, 0.283])  # CSE / SPE of the paper
@pytest.mark.parametrize("form", ["sigma", "sigmaT"])
def test_noise_free_recovers_ea(Ea: float, form: str) -> None:
    r = arrhenius(T_PAPER, _sigma(T_PAPER, Ea, A=3.5e3, form=form), form=form)
    assert isinstance(r, ArrheniusResult)
    assert r.quantity == "activation_energy_eV" and r.unit == "eV"
    assert r.value == pytest.approx(Ea, rel=1e-6)
    assert r.activation_energy_eV == r.value
    assert r.activation_energy_kJ_mol == pytest.approx(Ea * EV_TO_KJ_MOL, rel=1e-6)
    assert r.prefactor == pytest.approx(3.5e3, rel=1e-6)
    assert r.uncertainty < 1e-9 and r.r_squared == pytest.approx(1.0)
    assert r.ci95_eV[0] <= r.value <= r.ci95_eV[1]
    assert r.dof == 3 and r.flags == []
    json.dumps(r.to_dict())


def test_units_of_conductivity_do_not_change_ea() -> None:
    s = _sigma(T_PAPER, 0.161)
    a, b = arrhenius(T_PAPER, s), arrhenius(T_PAPER, s * 1e3)
    assert a.value == pytest.approx(b.value, rel=1e-12)
    assert b.prefactor == pytest.approx(1e3 * a.prefactor, rel=1e-9)


def test_interval_coverage_lognormal_noise() -> None:
    """3 % log-normal noise, 5 temperatures: the t-interval holds the true Ea in ≈ 95 % of trials."""
    rng = np.random.default_rng(20240601)
    truth = 0.161
    s = _sigma(T_PAPER, truth)
    n, hits, se = 2000, 0, []
    for _ in range(n):
        r = arrhenius(T_PAPER, s * np.exp(rng.normal(0.0, 0.03, T_PAPER.size)))
        hits += r.ci95_eV[0] <= truth <= r.ci95_eV[1]
        se.append(r.uncertainty)
    assert 0.93 <= hits / n <= 0.97
    # the reported SE matches the spread of the estimates (same seed stream, rough check)
    assert 0.005 < float(np.median(se)) < 0.03


def test_weights_equal_ones_match_ols_and_downweight_outlier() -> None:
    s = _sigma(T_PAPER, 0.2)
    s_bad = s.copy()
    s_bad[2] *= 1.5
    a = arrhenius(T_PAPER, s_bad)
    b = arrhenius(T_PAPER, s_bad, weights=np.ones(5))
    assert a.value == pytest.approx(b.value, rel=1e-12) and a.uncertainty == pytest.approx(b.uncertainty)
    c = arrhenius(T_PAPER, s_bad, weights=[1, 1, 1e-8, 1, 1])
    assert c.value == pytest.approx(0.2, rel=1e-4)


def test_vtf_data_flag_curvature() -> None:
    T = np.arange(20.0, 90.0, 10.0)
    r = arrhenius(T, _vtf_sigma(T, 50.0, 1000.0, 200.0))
    codes = {f.code: f for f in r.flags}
    assert "arrhenius_curvature" in codes
    assert codes["arrhenius_curvature"].value < CURVATURE_P_MAX and not codes["arrhenius_curvature"].failing
    assert not r.failing


def test_few_temperatures_flag() -> None:
    T = np.array([30.0, 50.0, 70.0])
    r = arrhenius(T, _sigma(T, 0.161))
    assert [f.code for f in r.flags] == ["few_temperatures"]
    assert r.value == pytest.approx(0.161, rel=1e-6)


@pytest.mark.parametrize(
    ("T", "s", "match"),
    [
        ([30, 40], [1, 2], "temperatures_C"),
        ([30, 30, 40, 40], [1, 1, 2, 2], "temperatures_C"),
        ([30, 40, 50], [1, 0, 2], "conductivities"),
        ([30, 40, 50], [1, -1, 2], "conductivities"),
        ([30, 40, 50], [1, 2], "conductivities"),
        ([-300, 40, 50], [1, 2, 3], "temperatures_C"),
        ([30, 40, np.nan], [1, 2, 3], "temperatures_C"),
    ],
)
def test_input_checks_name_the_argument(T: list[float], s: list[float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        arrhenius(T, s)


def test_bad_form_and_weights() -> None:
    s = _sigma(T_PAPER, 0.161)
    with pytest.raises(ValueError, match="form"):
        arrhenius(T_PAPER, s, form="ln")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weights"):
        arrhenius(T_PAPER, s, weights=[1, 1, 1])
    with pytest.raises(ValueError, match="weights"):
        arrhenius(T_PAPER, s, weights=[1, 1, 0, 1, 1])


@pytest.mark.parametrize("sqrtT", [True, False])
def test_vtf_recovers_parameters(sqrtT: bool) -> None:
    T = np.arange(20.0, 90.0, 10.0)
    r = vtf(T, _vtf_sigma(T, 50.0, 1000.0, 200.0, sqrtT), form="sqrtT" if sqrtT else "plain")
    assert isinstance(r, VTFResult)
    assert r.B_K == pytest.approx(1000.0, rel=1e-6)
    assert r.T0_K == pytest.approx(200.0, rel=1e-6)
    assert r.prefactor == pytest.approx(50.0, rel=1e-6)
    assert r.value == pytest.approx(K_B_EV_K * 1000.0, rel=1e-6)
    assert r.quantity == "activation_energy_eV"
    assert r.flags == []
    json.dumps(r.to_dict())


def test_vtf_fixed_T0_and_noise() -> None:
    T = np.arange(20.0, 90.0, 10.0)
    s = _vtf_sigma(T, 50.0, 1000.0, 200.0)
    r = vtf(T, s, T0_K=200.0)
    assert r.T0_fixed and r.B_K == pytest.approx(1000.0, rel=1e-9)
    noisy = vtf(T, s * np.exp(np.random.default_rng(3).normal(0, 0.01, T.size)))
    assert np.isfinite(noisy.uncertainty) and noisy.uncertainty > 0
    assert noisy.T0_K < T.min() + 273.15


def test_vtf_input_checks() -> None:
    T = np.array([30.0, 40.0, 50.0])
    with pytest.raises(ValueError, match="temperatures_C"):
        vtf(T, _vtf_sigma(T, 50.0, 1000.0, 200.0))
    with pytest.raises(ValueError, match="T0_K"):
        vtf(T, _vtf_sigma(T, 50.0, 1000.0, 200.0), T0_K=310.0)


def test_plots_return_axes() -> None:
    r = arrhenius(T_PAPER, _sigma(T_PAPER, 0.161))
    ax = r.plot()
    assert ax.get_xlabel().startswith("1000")
    T = np.arange(20.0, 90.0, 10.0)
    assert vtf(T, _vtf_sigma(T, 50.0, 1000.0, 200.0)).plot() is not None
    np.testing.assert_allclose(r.predict(T_PAPER), _sigma(T_PAPER, 0.161), rtol=1e-9)
