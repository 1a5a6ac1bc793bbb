"""LSV oxidative onset: synthetic sweeps with analytically known threshold and tangent onsets."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from optiform.analysis.lsv import METHODS_DISAGREE_V, OnsetResult, stability_onset
from optiform.analysis.types import Series

AREA = 2.0  # cm²
J_BG, J0, B = 1.0, 9.0, 0.05  # µA/cm², µA/cm², V  → j(E_on) = 10 µA/cm²
E_ON = 5.06  # paper: 5.06 V vs Li/Li+ at 1 mV/s


def _sweep(
    E_on: float = E_ON, E_hi: float = 5.3, slope_uA_cm2_V: float = 0.0, noise: float = 0.0, seed: int = 0
) -> pd.DataFrame:
    """OCV 3.0 V → E_hi at 1 mV steps: j = j_bg + m (E − 3) + j0 exp((E − E_on)/b)."""
    E = np.round(np.arange(3.0, E_hi + 5e-4, 0.001), 6)
    j = J_BG + slope_uA_cm2_V * (E - 3.0) + J0 * np.exp((E - E_on) / B)
    if noise:
        j = j + np.random.default_rng(seed).normal(0, noise, E.size)
    return pd.DataFrame({"time_s": (E - 3.0) / 1e-3, "potential_V": E, "current_A": j * AREA * 1e-6})


def test_threshold_onset_paper_value() -> None:
    r = stability_onset(_sweep(), area_cm2=AREA)
    assert isinstance(r, OnsetResult)
    assert r.quantity == "oxidation_onset_V" and r.unit == "V"
    assert r.value == pytest.approx(5.06, abs=1e-3)
    assert r.onset_threshold_V == r.value and r.chosen == "threshold"
    json.dumps(r.to_dict())


def test_threshold_between_samples() -> None:
    r = stability_onset(_sweep(E_on=5.0605), area_cm2=AREA)
    assert r.value == pytest.approx(5.0605, abs=1e-4)


def test_tangent_onset_analytic() -> None:
    """Flat baseline j_bg; steepest slope at the sweep end E_hi → tangent meets j_bg at E_hi − b."""
    r = stability_onset(_sweep(), area_cm2=AREA, method="tangent")
    assert r.chosen == "tangent"
    assert r.value == pytest.approx(5.3 - B, abs=1e-3)
    assert r.onset_threshold_V == pytest.approx(5.06, abs=1e-3)
    assert "methods_disagree" in {f.code for f in r.flags}  # 0.19 V apart, > METHODS_DISAGREE_V
    assert not r.failing


def test_tangent_restricted_region_and_both() -> None:
    """Steepest point searched where j ≤ 100 µA/cm²: tangent onset = E_k − b (E_k the last such sample)."""
    df = _sweep()
    r = stability_onset(df, area_cm2=AREA, method="both", tangent_max_uA_cm2=100.0)
    E_k = r.tangent_point[0]
    j_k = J_BG + J0 * np.exp((E_k - E_ON) / B)
    assert j_k <= 100.0 < J_BG + J0 * np.exp((E_k + 1e-3 - E_ON) / B)
    assert r.onset_tangent_V == pytest.approx(E_k - B, abs=1e-3)
    assert r.value == pytest.approx(5.06, abs=1e-3)  # "both" reports the threshold onset
    assert abs(r.onset_tangent_V - r.value) < METHODS_DISAGREE_V
    assert r.flags == []


def test_sloped_baseline_tangent() -> None:
    """Linear leakage m (E − 3): intersection of tangent with the fitted sloped baseline."""
    m = 1.0
    r = stability_onset(_sweep(slope_uA_cm2_V=m), area_cm2=AREA, method="tangent", baseline_window_V=(3.0, 4.0))
    m0, m1 = r.baseline
    assert m1 == pytest.approx(m, rel=1e-6) and m0 == pytest.approx(J_BG - 3.0 * m, rel=1e-6)
    E_k, j_k, s_k = r.tangent_point
    assert r.value == pytest.approx((j_k - s_k * E_k - m0) / (m1 - s_k), abs=1e-12)
    assert r.value == pytest.approx(5.25, abs=2e-3)


def test_no_onset_is_failing_lower_bound() -> None:
    r = stability_onset(_sweep(E_hi=4.9), area_cm2=AREA)
    assert r.lower_bound and r.value == pytest.approx(4.9)
    f = {x.code: x for x in r.flags}["no_onset"]
    assert f.failing and r.failing
    assert r.onset_tangent_V is None


def test_noisy_baseline_and_hold_points() -> None:
    df = _sweep(noise=3.0, seed=5)
    r = stability_onset(df, area_cm2=AREA)
    assert "noisy_baseline" in {f.code for f in r.flags}
    # a single spike above the threshold is ignored (needs hold_points samples above)
    spiky = _sweep()
    spiky.loc[500, "current_A"] = 50e-6 * AREA
    assert stability_onset(spiky, area_cm2=AREA).value == pytest.approx(5.06, abs=1e-3)
    assert stability_onset(spiky, area_cm2=AREA, hold_points=1).value < 4.0


def test_reverse_sweep_ignored_and_series_input() -> None:
    fwd = _sweep()
    back = fwd.iloc[::-1].iloc[1:].assign(current_A=lambda d: d.current_A * 0.5)
    r = stability_onset(Series(pd.concat([fwd, back], ignore_index=True)), area_cm2=AREA)
    assert r.value == pytest.approx(5.06, abs=1e-3)


def test_input_checks() -> None:
    with pytest.raises(ValueError, match="area_cm2"):
        stability_onset(_sweep(), area_cm2=0.0)
    with pytest.raises(ValueError, match="method"):
        stability_onset(_sweep(), area_cm2=AREA, method="steepest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="potential_V"):
        stability_onset(pd.DataFrame({"current_A": [1.0] * 20}), area_cm2=AREA)
    with pytest.raises(ValueError, match="anodic"):
        stability_onset(_sweep().iloc[::-1], area_cm2=AREA)


def test_plot_returns_axes() -> None:
    ax = stability_onset(_sweep(), area_cm2=AREA, tangent_max_uA_cm2=100.0).plot()
    assert ax.get_ylabel() == "j (µA/cm²)"
