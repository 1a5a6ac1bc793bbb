"""Bruce–Vincent transference number: synthetic chronoamperograms with known I0, Iss, R0, Rss."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from optiform.analysis.transference import (
    INTERFACE_CHANGE_MAX,
    NOT_STEADY_REL_DRIFT,
    STEADY_ISS_TOLERANCE,
    STEADY_MIN_TAUS,
    TransferenceResult,
    bruce_vincent,
    interfacial_resistance,
    steady_state,
    transference_number,
)
from optiform.analysis.types import Series, Spectrum

DV_MV = 10.0  # paper: 10 mV step, Li|CSE|Li, 30 °C
RB, R0, RSS = 100.0, 300.0, 320.0  # Ω: bulk, interfacial before / after
T_PLUS = 0.627


def _iss_for(t_plus: float, I0: float, dV_mV: float = DV_MV, R0: float = R0, Rss: float = RSS) -> float:
    """Invert t+ = Iss (ΔV − I0 R0) / (I0 (ΔV − Iss Rss)) for Iss."""
    dV = dV_mV * 1e-3
    return t_plus * I0 * dV / (dV - I0 * R0 + t_plus * I0 * Rss)


def _ca(
    I0: float,
    Iss: float,
    *,
    duration_s: float = 3600.0,
    dt: float = 1.0,
    t_offset: float = 0.0,
    drift: float = 0.0,
    noise_A: float = 0.0,
    seed: int = 0,
    sign: float = 1.0,
) -> pd.DataFrame:
    """|I| = I0 − c√t for t ≤ 5 s (exactly linear in √t), then an exponential decay reaching Iss
    exactly in the last 10 %; optional residual drift or noise."""
    t = np.arange(0.0, duration_s + dt / 2, dt)
    c = 0.2 * (I0 - Iss) / np.sqrt(5.0)
    I5 = I0 - c * np.sqrt(5.0)
    tau = duration_s / 12
    I = np.where(t <= 5.0, I0 - c * np.sqrt(t), Iss + (I5 - Iss) * np.exp(-(t - 5.0) / tau))
    I[t >= 0.85 * duration_s] = Iss
    if drift:
        I = I + drift * Iss * np.clip((t - 0.5 * duration_s) / (0.5 * duration_s), 0, None)
    if noise_A:
        I = I + np.random.default_rng(seed).normal(0.0, noise_A, t.size)
    return pd.DataFrame({"time_s": t + t_offset, "current_A": sign * I})


def _li_li_spectrum(Rb: float, Rint: float, C: float = 1e-6, Cdl: float = 1e-2) -> Spectrum:
    """Rb + (Rint ‖ C) + blocking capacitor tail, 1 MHz → 10 mHz."""
    f = np.logspace(6, -2, 81)
    w = 2 * np.pi * f
    return Spectrum(f, Rb + Rint / (1 + 1j * w * Rint * C) + 1 / (1j * w * Cdl), source="synthetic Li|Li")


I0_TRUE = DV_MV * 1e-3 / (RB + R0)
ISS_TRUE = _iss_for(T_PLUS, I0_TRUE)


def test_formula() -> None:
    assert bruce_vincent(I0_TRUE, ISS_TRUE, DV_MV, R0, RSS) == pytest.approx(T_PLUS, abs=1e-12)
    # no interfacial resistance: t+ = Iss / I0 (Evans)
    assert bruce_vincent(2e-5, 1e-5, 10.0, 0.0, 0.0) == pytest.approx(0.5)


@pytest.mark.parametrize("i0", ["first", "extrapolated", "ohmic"])
def test_known_answer_each_i0_method(i0: str) -> None:
    r = transference_number(_ca(I0_TRUE, ISS_TRUE), delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=RSS, i0=i0, Rb_ohm=RB)
    assert isinstance(r, TransferenceResult)
    assert r.quantity == "transference_number" and r.i0_method == i0
    assert r.value == pytest.approx(T_PLUS, abs=1e-9)
    assert r.I0_A == pytest.approx(I0_TRUE, rel=1e-9) and r.Iss_A == pytest.approx(ISS_TRUE, rel=1e-12)
    assert r.flags == [] and not r.failing
    json.dumps(r.to_dict())


def test_ohmic_with_total_resistance_and_series_input() -> None:
    s = Series(_ca(I0_TRUE, ISS_TRUE), source="synthetic")
    r = transference_number(s, delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=RSS, i0="ohmic", R_total_ohm=RB + R0)
    assert r.value == pytest.approx(T_PLUS, abs=1e-9)


def test_step_detection_sign_and_offset() -> None:
    """A negative polarization, a pre-step rest and a time offset give the same t+."""
    ca = _ca(I0_TRUE, ISS_TRUE, t_offset=100.0, sign=-1.0)
    rest = pd.DataFrame({"time_s": np.arange(0.0, 100.0, 1.0), "current_A": 0.0})
    r = transference_number(pd.concat([rest, ca]), delta_V_mV=-DV_MV, R0_ohm=R0, Rss_ohm=RSS, i0="extrapolated")
    assert r.value == pytest.approx(T_PLUS, abs=1e-9)


def test_paper_like_from_spectra() -> None:
    """R0/Rss read from synthetic Li|Li spectra (built-in arc end): within 0.5 % of the paper's 0.627."""
    before, after = _li_li_spectrum(RB, R0), _li_li_spectrum(RB + 5.0, RSS)
    arc = interfacial_resistance(before)
    assert arc.R_bulk_ohm == pytest.approx(RB, rel=1e-3)
    assert arc.R_interface_ohm == pytest.approx(R0, rel=5e-3)
    r = transference_number(_ca(I0_TRUE, ISS_TRUE), delta_V_mV=DV_MV, eis_before=before, eis_after=after)
    assert r.value == pytest.approx(T_PLUS, rel=5e-3)
    assert "EIS before" in r.R_source
    ro = transference_number(_ca(I0_TRUE, ISS_TRUE), delta_V_mV=DV_MV, eis_before=before, eis_after=after, i0="ohmic")
    assert ro.I0_A == pytest.approx(I0_TRUE, rel=5e-3)


def test_eis_method_without_eis_module_is_a_clear_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "optiform.analysis.eis", None)
    with pytest.raises(ValueError, match="R0_ohm/Rss_ohm"):
        transference_number(
            _ca(I0_TRUE, ISS_TRUE),
            delta_V_mV=DV_MV,
            eis_before=_li_li_spectrum(RB, R0),
            eis_after=_li_li_spectrum(RB, RSS),
            eis_method="eis",
        )


def test_spectrum_without_arc_asks_for_numbers() -> None:
    f = np.logspace(5, -1, 40)
    spike = Spectrum(f, 50.0 + 1 / (1j * 2 * np.pi * f * 1e-5))
    with pytest.raises(ValueError, match="R0_ohm/Rss_ohm"):
        interfacial_resistance(spike)


def test_missing_resistances() -> None:
    with pytest.raises(ValueError, match="R0_ohm"):
        transference_number(_ca(I0_TRUE, ISS_TRUE), delta_V_mV=DV_MV, Rss_ohm=RSS)
    with pytest.raises(ValueError, match="ohmic"):
        transference_number(_ca(I0_TRUE, ISS_TRUE), delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=RSS, i0="ohmic")
    with pytest.raises(ValueError, match="current_A"):
        transference_number(pd.DataFrame({"time_s": [0, 1, 2]}), delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=RSS)
    zero = pd.DataFrame({"time_s": np.arange(20.0), "current_A": 0.0})  # was a ZeroDivisionError
    with pytest.raises(ValueError, match=r"I0 = 0 A \(first\): no current after the step"):
        transference_number(zero, delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=RSS)


def test_not_steady_flag() -> None:
    r = transference_number(_ca(I0_TRUE, ISS_TRUE, drift=0.2), delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=RSS)
    f = {x.code: x for x in r.flags}["not_steady"]
    assert f.failing and r.failing
    assert "current still changes by" in f.message  # the end drift: 11 % over the last tenth
    sel = r.time_s >= 0.9 * r.time_s[-1]
    slope = np.polyfit(r.time_s[sel], r.current_A[sel], 1)[0]
    assert abs(slope) * 0.1 * r.time_s[-1] / r.Iss_A > NOT_STEADY_REL_DRIFT


def _exp_ca(duration_s: float, tau_s: float = 600.0, t_plus: float = 0.68, noise_rel: float = 0.0) -> pd.DataFrame:
    """The virtual lab's Bruce-Vincent trace (optiform.sim.raw): I = Iss + (I0 - Iss) exp(-t/τ),
    Rb = 100 Ω, R0 = 300 Ω, Rss = 315 Ω, ΔV = 10 mV, 120 fast samples then 700, over 10 τ, cut at
    ``duration_s``."""
    I0 = DV_MV * 1e-3 / (RB + R0)
    Iss = _iss_for(t_plus, I0, Rss=315.0)
    t = np.concatenate([np.linspace(0.0, 0.2 * tau_s, 120, endpoint=False), np.linspace(0.2 * tau_s, 10 * tau_s, 700)])
    I = Iss + (I0 - Iss) * np.exp(-t / tau_s)
    I = I * (1.0 + noise_rel * np.random.default_rng(7).standard_normal(t.size))
    keep = t <= duration_s
    return pd.DataFrame({"time_s": t[keep], "current_A": I[keep]})


def test_truncated_trace_is_not_steady_judged_against_its_time_constant() -> None:
    """A trace cut at 1.08 τ gives t+ = 0.81 instead of 0.68; over its last tenth the current changes
    by only 0.6 %, below the 2 % end-drift test, but the whole-trace fit finds τ ≈ 600 s and a
    trace of 1.08 τ, and a steady state 5.5 % below the last current."""
    whole = transference_number(_exp_ca(6000.0, noise_rel=0.001), delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=315.0)
    assert whole.value == pytest.approx(0.68, abs=0.01) and whole.flags == []
    ss = whole.details["steady_state"]
    assert ss["tau_s"] == pytest.approx(600.0, rel=0.02) and ss["duration_taus"] > STEADY_MIN_TAUS
    assert ss["Iss_mismatch"] < STEADY_ISS_TOLERANCE

    cut = transference_number(_exp_ca(650.0, noise_rel=0.001), delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=315.0)
    assert cut.value == pytest.approx(0.81, abs=0.01)
    f = {x.code: x for x in cut.flags}["not_steady"]
    assert f.failing and cut.failing
    assert f.value == pytest.approx(650.0 / 600.0, rel=0.03) and f.threshold == STEADY_MIN_TAUS
    assert "time constants" in f.message and "current still changes" not in f.message
    sel = cut.time_s >= 0.9 * cut.time_s[-1]  # what the last-tenth test alone saw
    slope = np.polyfit(cut.time_s[sel], cut.current_A[sel], 1)[0]
    assert abs(slope) * 0.1 * cut.time_s[-1] / cut.Iss_A < NOT_STEADY_REL_DRIFT
    assert cut.details["steady_state"]["Iss_mismatch"] > STEADY_ISS_TOLERANCE
    assert cut.details["steady_state"]["Iss_fit_A"] == pytest.approx(whole.Iss_A, rel=0.01)


@pytest.mark.parametrize("taus", [5.5, 8.0, 10.0])
def test_complete_traces_are_steady(taus: float) -> None:
    r = transference_number(_exp_ca(taus * 600.0, noise_rel=0.001), delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=315.0)
    assert "not_steady" not in {x.code for x in r.flags}
    assert r.value == pytest.approx(0.68, abs=0.01)


def test_steady_state_of_a_flat_and_a_two_exponential_trace() -> None:
    t = np.linspace(0.0, 3600.0, 721)
    flat = steady_state(t, np.full(t.size, 2e-5), 2e-5)
    assert flat.duration_taus == np.inf and flat.Iss_mismatch == pytest.approx(0.0, abs=1e-9)
    two = 1e-5 + 4e-6 * np.exp(-t / 20.0) + 3e-6 * np.exp(-t / 400.0)  # fast interfacial + slow diffusion decay
    ss = steady_state(t, two, float(two[-1]))
    assert ss.model == "2 exponentials" and ss.tau_s == pytest.approx(400.0, rel=0.01)
    assert ss.duration_taus == pytest.approx(9.0, rel=0.01) and ss.Iss_fit_A == pytest.approx(1e-5, rel=1e-3)


def test_out_of_range_and_interface_changed_flags() -> None:
    # Iss/I0 = 0.9 with a grown interface (Rss = 400 Ω): t+ = 0.9·2.5 mV / 1 mV = 2.25
    r = transference_number(_ca(I0_TRUE, 0.9 * I0_TRUE), delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=400.0)
    assert r.value == pytest.approx(2.25)
    assert "t_plus_out_of_range" in {x.code for x in r.flags} and r.failing
    r = transference_number(
        _ca(I0_TRUE, ISS_TRUE), delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=R0 * (1 + 2 * INTERFACE_CHANGE_MAX)
    )
    f = {x.code: x for x in r.flags}["interface_changed"]
    assert not f.failing and f.value == pytest.approx(2 * INTERFACE_CHANGE_MAX)


def test_small_current_flag() -> None:
    r = transference_number(
        _ca(I0_TRUE, ISS_TRUE, noise_A=0.3 * ISS_TRUE, seed=1), delta_V_mV=DV_MV, R0_ohm=R0, Rss_ohm=RSS
    )
    assert "small_current" in {x.code for x in r.flags}
    tiny = transference_number(_ca(1e-10, 5e-11), delta_V_mV=DV_MV, R0_ohm=0.0, Rss_ohm=0.0)
    assert "small_current" in {x.code for x in tiny.flags}


def test_large_polarization_flag_and_plot() -> None:
    I0 = 50e-3 / (RB + R0)
    r = transference_number(_ca(I0, _iss_for(0.4, I0, 50.0)), delta_V_mV=50.0, R0_ohm=R0, Rss_ohm=RSS)
    assert r.value == pytest.approx(0.4, abs=1e-9)
    assert "large_polarization" in {x.code for x in r.flags} and not r.failing
    ax = r.plot()
    assert ax.get_ylabel() == "current (µA)"


def test_eis_method_uses_the_eis_arc_end() -> None:
    """With eis_method="eis", R_total is where eis.high_frequency_intercept puts the start of the tail."""
    arc = interfacial_resistance(_li_li_spectrum(RB, R0), eis_method="eis")
    assert arc.R_interface_ohm == pytest.approx(R0, rel=1e-2)
