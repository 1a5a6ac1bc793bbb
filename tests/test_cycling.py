"""Cycling and Li|Li symmetric summaries: synthetic data with known answers, navani's Arbin file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optiform.analysis.cycling import (
    CyclingResult,
    SymmetricResult,
    cycling_summary,
    symmetric_summary,
)
from optiform.analysis.types import Series

DATA = Path(__file__).resolve().parent / "data" / "instrument"
NAVANI = DATA / "navani" / "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"

MASS_MG = 10.0
NOMINAL = 200.0  # mAh/g (defines 1 C)
N_FORM, N_LONG = 5, 400  # paper: 5 activation cycles at 0.1 C, then 400 cycles at 0.5 C
CE = 0.994


def _paper_capacities() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-cycle (discharge mAh/g, charge mAh/g, C-rate): formation 190 mAh/g, then 172.4 → 105.1."""
    dis = np.r_[np.full(N_FORM, 190.0), np.linspace(172.4, 105.1, N_LONG)]
    return dis, dis / CE, np.r_[np.full(N_FORM, 0.1), np.full(N_LONG, 0.5)]


def _cycler(
    dis: np.ndarray,
    ch: np.ndarray,
    rate: np.ndarray,
    *,
    counters: str = "per_cycle",
    n: int = 4,
    extra_half: float | None = None,
) -> pd.DataFrame:
    """Charge-first CC cycling after one rest sample at t = 0; n rows per half cycle at times start + k·dt (k = 1..n), so current
    integration is exact. V = 3.9 V on charge, 3.7 V on discharge. ``counters``: "per_cycle" (reset
    at each cycle), "cumulative" (over the whole test) or "none". ``extra_half``: an extra cycle whose
    discharge stops at this fraction."""
    g = MASS_MG * 1e-3
    rows, t, cum_c, cum_d = [(0.0, 0.0, 3.0, 1, 0.0, 0.0)], 0.0, 0.0, 0.0  # initial rest sample
    halves = list(zip(dis, ch, rate))
    if extra_half is not None:
        halves.append((dis[-1] * extra_half, ch[-1], rate[-1]))
    for c, (qd, qc, r) in enumerate(halves, start=1):
        I = r * NOMINAL * g * 1e-3  # A
        qcyc_c = qcyc_d = 0.0
        for sign, q_mAh_g, V in ((1, qc, 3.9), (-1, qd, 3.7)):
            q = q_mAh_g * g  # mAh
            dt = q * 3.6 / I / n
            for _ in range(n):
                t += dt
                dq = I * dt / 3.6
                if sign > 0:
                    qcyc_c += dq
                    cum_c += dq
                else:
                    qcyc_d += dq
                    cum_d += dq
                rows.append(
                    (
                        t,
                        sign * I,
                        V,
                        c,
                        qcyc_c if counters == "per_cycle" else cum_c,
                        qcyc_d if counters == "per_cycle" else cum_d,
                    )
                )
    df = pd.DataFrame(
        rows, columns=["time_s", "current_A", "potential_V", "cycle", "charge_capacity_mAh", "discharge_capacity_mAh"]
    )
    if counters == "none":
        df = df.drop(columns=["charge_capacity_mAh", "discharge_capacity_mAh"])
    return df


@pytest.fixture(scope="module")
def paper_df() -> pd.DataFrame:
    return _cycler(*_paper_capacities())


@pytest.mark.parametrize("counters", ["per_cycle", "cumulative", "none"])
def test_paper_like_known_answers(counters: str) -> None:
    dis, ch, rate = _paper_capacities()
    df = _cycler(dis, ch, rate, counters=counters)
    r = cycling_summary(df, active_mass_mg=MASS_MG, reference_cycle=N_FORM + 1)
    assert isinstance(r, CyclingResult)
    assert r.quantity == "discharge_capacity_mAh_g" and r.unit == "mAh/g"
    assert r.value == pytest.approx(105.1, rel=1e-9)
    assert r.capacity_retention_pct == pytest.approx(100 * 105.1 / 172.4, rel=1e-9)  # 60.96 % ≈ paper's 61 %
    assert r.coulombic_efficiency_pct == pytest.approx(99.4, rel=1e-9)
    assert r.ce_cycles == list(range(N_FORM + 2, N_FORM + N_LONG + 1))
    np.testing.assert_allclose(r.cycles["discharge_mAh_g"], dis, rtol=1e-9)
    np.testing.assert_allclose(r.cycles["charge_mAh_g"], ch, rtol=1e-9)
    np.testing.assert_allclose(r.cycles["avg_charge_V"], 3.9, rtol=1e-12)
    np.testing.assert_allclose(r.cycles["avg_discharge_V"], 3.7, rtol=1e-12)
    assert r.cycles["complete"].all() and r.flags == []
    assert r.capacity_source.startswith("current integration" if counters == "none" else "capacity columns")


def test_results_list_and_json(paper_df: pd.DataFrame) -> None:
    r = cycling_summary(paper_df, active_mass_mg=MASS_MG, reference_cycle=N_FORM + 1)
    res = {x.quantity: x for x in r.results()}
    assert set(res) == {"discharge_capacity_mAh_g", "capacity_retention_pct", "coulombic_efficiency_pct"}
    assert res["coulombic_efficiency_pct"].value == pytest.approx(99.4)
    assert res["coulombic_efficiency_pct"].uncertainty == pytest.approx(0.0, abs=1e-9)
    json.dumps(r.to_dict())
    json.dumps([x.to_dict() for x in r.results()])
    assert r.plot() is not None


def test_ce_convention_charge_over_discharge(paper_df: pd.DataFrame) -> None:
    r = cycling_summary(paper_df, active_mass_mg=MASS_MG, reference_cycle=N_FORM + 1, ce_convention="charge/discharge")
    assert r.coulombic_efficiency_pct == pytest.approx(100 / CE, rel=1e-9)
    assert "ce_above_100" in {f.code for f in r.flags} and not r.failing


def test_rate_table_inferred_and_given(paper_df: pd.DataFrame) -> None:
    r = cycling_summary(paper_df, active_mass_mg=MASS_MG, reference_cycle=N_FORM + 1, nominal_capacity_mAh_g=NOMINAL)
    rt = r.rate_table
    assert list(rt["c_rate"]) == [0.1, 0.5]
    assert list(rt["n_cycles"]) == [N_FORM, N_LONG]
    assert rt["mean_discharge_mAh_g"].iloc[0] == pytest.approx(190.0)
    given = cycling_summary(
        paper_df,
        active_mass_mg=MASS_MG,
        reference_cycle=N_FORM + 1,
        rates={c: (0.1 if c <= N_FORM else 0.5) for c in range(1, N_FORM + N_LONG + 1)},
    )
    pd.testing.assert_frame_equal(given.rate_table, rt)


def test_incomplete_last_cycle_excluded() -> None:
    dis, ch, rate = _paper_capacities()
    r = cycling_summary(_cycler(dis, ch, rate, extra_half=0.3), active_mass_mg=MASS_MG, reference_cycle=N_FORM + 1)
    assert r.incomplete_cycles == [N_FORM + N_LONG + 1]
    assert r.last_complete_cycle == N_FORM + N_LONG and r.value == pytest.approx(105.1)
    f = {x.code: x for x in r.flags}["incomplete_last_cycle"]
    assert not f.failing


def test_no_mass_and_bad_reference(paper_df: pd.DataFrame) -> None:
    r = cycling_summary(paper_df, reference_cycle=N_FORM + 1)
    assert np.isnan(r.value) and "no_active_mass" in {f.code for f in r.flags}
    assert [x.quantity for x in r.results()] == ["capacity_retention_pct", "coulombic_efficiency_pct"]
    with pytest.raises(ValueError, match="reference_cycle"):
        cycling_summary(paper_df, reference_cycle=999)
    with pytest.raises(ValueError, match="ce_convention"):
        cycling_summary(paper_df, ce_convention="ch/dis")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="current_A"):
        cycling_summary(paper_df.drop(columns=["current_A"]))


def test_half_cycle_definition_without_cycle_column(paper_df: pd.DataFrame) -> None:
    r = cycling_summary(Series(paper_df.drop(columns=["cycle"])), active_mass_mg=MASS_MG, reference_cycle=N_FORM + 1)
    assert r.cycle_definition == "current-sign half cycles"
    assert r.value == pytest.approx(105.1, rel=1e-9)


@pytest.fixture(scope="module")
def navani_df() -> pd.DataFrame:
    raw = pd.read_excel(NAVANI, sheet_name="Channel_11_1")
    return pd.DataFrame(
        {
            "time_s": raw["Test_Time(s)"],
            "current_A": raw["Current(A)"],
            "potential_V": raw["Voltage(V)"],
            "cycle": raw["Cycle_Index"],
            "step": raw["Step_Index"],
            "charge_capacity_mAh": raw["Charge_Capacity(Ah)"] * 1e3,
            "discharge_capacity_mAh": raw["Discharge_Capacity(Ah)"] * 1e3,
        }
    )


def test_navani_arbin_cycle_summary_means(navani_df: pd.DataFrame) -> None:
    """navani's cycle_summary means (tests/test_echem.py, decimal=5) for the graphite|Li Arbin file.

    Arbin counters here are cumulative over the test and Cycle_Index stays 1 although the cell is
    lithiated twice, so cycles come from current-sign half cycles (discharge first, navani's pairing),
    and CE uses navani's *code* convention, charge/discharge. navani subtracts the counter value at the
    first sample of each half cycle, dropping the charge passed before that sample (2.9e-5 mAh in the
    second discharge, logged 2.1 s into the step); the reset-aware differences keep it, so the
    discharge mean is 1.7e-5 mAh above navani's.
    """
    r = cycling_summary(navani_df, ce_convention="charge/discharge")
    assert r.cycle_definition == "current-sign half cycles"
    c = r.cycles
    assert list(c.index) == [1, 2]
    assert c["discharge_mAh"].mean() == pytest.approx(5.52742, abs=5e-5)
    assert c["charge_mAh"].mean() == pytest.approx(2.85135, abs=1.5e-5)
    assert (c["ce_pct"] / 100).mean() == pytest.approx(0.491820, abs=1.5e-5)
    assert c["avg_discharge_V"].mean() == pytest.approx(0.137812, abs=5e-4)
    assert c["avg_charge_V"].mean() == pytest.approx(0.115305, abs=5e-4)
    # the second cycle stops 3 samples into delithiation: detected and excluded
    assert r.incomplete_cycles == [2] and r.last_complete_cycle == 1
    assert r.coulombic_efficiency_pct == pytest.approx(100 * 5.698108 / 5.798041, rel=1e-5)


def test_navani_integration_agrees_with_counters(navani_df: pd.DataFrame) -> None:
    a = cycling_summary(navani_df, ce_convention="charge/discharge")
    b = cycling_summary(
        navani_df.drop(columns=["charge_capacity_mAh", "discharge_capacity_mAh"]), ce_convention="charge/discharge"
    )
    np.testing.assert_allclose(b.cycles["discharge_mAh"], a.cycles["discharge_mAh"], rtol=1e-3)
    assert b.cycles.loc[1, "charge_mAh"] == pytest.approx(a.cycles.loc[1, "charge_mAh"], rel=1e-3)


# ------------------------------------------------------------------------------------ symmetric
AREA = 1.131  # cm² (12 mm disc)
PAPER_LEVELS = [(0.1, 6.5), (0.2, 12.7), (0.5, 32.2), (1.0, 65.1), (0.1, 6.6)]  # mA/cm², mV


def _square_wave(
    levels: list[tuple[float, float]], *, cycles: int = 10, step_s: float = 1800.0, dt: float = 10.0
) -> pd.DataFrame:
    """±I steps (plating/stripping); E = ±η (1 + 0.3 (1 − t/(0.2 T))₊): a nucleation overshoot that has
    decayed before the second half of each step, so the second-half mean is exactly η."""
    tau = np.arange(0.0, step_s, dt)
    shape = 1 + 0.3 * np.clip(1 - tau / (0.2 * step_s), 0, None)
    t0, parts = 0.0, []
    for j, eta in levels:
        for _ in range(cycles):
            for sign in (1, -1):
                parts.append(
                    pd.DataFrame(
                        {
                            "time_s": t0 + tau,
                            "current_A": sign * j * AREA * 1e-3,
                            "potential_V": sign * eta * 1e-3 * shape,
                        }
                    )
                )
                t0 += step_s
    return pd.concat(parts, ignore_index=True)


def test_symmetric_paper_overpotentials() -> None:
    r = symmetric_summary(_square_wave(PAPER_LEVELS), area_cm2=AREA)
    assert isinstance(r, SymmetricResult)
    assert r.quantity == "overpotential_mV" and r.unit == "mV"
    assert r.value == pytest.approx(6.5, abs=1e-9)  # first block at the lowest level
    b = r.blocks
    np.testing.assert_allclose(b["current_density"], [0.1, 0.2, 0.5, 1.0, 0.1], rtol=1e-9)
    np.testing.assert_allclose(b["overpotential_mV"], [6.5, 12.7, 32.2, 65.1, 6.6], rtol=1e-9)
    np.testing.assert_allclose(b["max_mV"], 1.3 * np.array([6.5, 12.7, 32.2, 65.1, 6.6]), rtol=1e-9)
    assert list(b["n_steps"]) == [20] * 5
    assert r.levels.loc[1.0, "overpotential_mV"] == pytest.approx(65.1)
    assert not r.short_circuit and r.flags == []
    assert symmetric_summary(_square_wave(PAPER_LEVELS), area_cm2=AREA, report_level="last").value == pytest.approx(6.6)
    json.dumps(r.to_dict())
    assert r.plot() is not None


def test_symmetric_levels_without_area() -> None:
    df = _square_wave(PAPER_LEVELS[:4], cycles=2)
    r = symmetric_summary(df, current_density_mA_cm2=[1.0, 0.5, 0.2, 0.1])
    np.testing.assert_allclose(r.levels.index, [0.1, 0.2, 0.5, 1.0])
    np.testing.assert_allclose(r.levels["overpotential_mV"], [6.5, 12.7, 32.2, 65.1], rtol=1e-9)
    assert symmetric_summary(df).level_unit == "mA"
    with pytest.raises(ValueError, match="current_density_mA_cm2"):
        symmetric_summary(df, current_density_mA_cm2=[0.1, 0.2])


def test_symmetric_short_circuit_within_step() -> None:
    df = _square_wave([(0.1, 5.0)], cycles=40)
    t_short = 100_000.0
    df.loc[df["time_s"] >= t_short, "potential_V"] *= 0.02  # |E| → 0.1 mV while current flows
    r = symmetric_summary(df, area_cm2=AREA)
    assert r.short_circuit and r.failing
    f = {x.code: x for x in r.flags}["short_circuit"]
    assert f.failing and f.value < 1.0
    assert t_short <= r.short_circuit_time_s < t_short + 100.0


def test_symmetric_short_circuit_at_step_boundary() -> None:
    """Short right at a current reversal: caught by the step-to-step drop."""
    df = _square_wave([(0.5, 30.0)], cycles=20)
    t_short = 20 * 1800.0
    df.loc[df["time_s"] >= t_short, "potential_V"] *= 0.1  # 3 mV: above the absolute 1 mV criterion
    r = symmetric_summary(df, area_cm2=AREA)
    assert r.short_circuit and r.short_circuit_time_s == pytest.approx(t_short)


def test_symmetric_rest_between_steps_and_checks() -> None:
    df = _square_wave([(0.1, 6.5)], cycles=3)
    rest = pd.DataFrame(
        {"time_s": df["time_s"].max() + 10 + np.arange(0, 600, 10.0), "current_A": 0.0, "potential_V": 0.0}
    )
    r = symmetric_summary(pd.concat([df, rest]), area_cm2=AREA)
    assert len(r.steps) == 6 and not r.short_circuit and r.value == pytest.approx(6.5)
    with pytest.raises(ValueError, match="potential_V"):
        symmetric_summary(df.drop(columns=["potential_V"]), area_cm2=AREA)
    with pytest.raises(ValueError, match="area_cm2"):
        symmetric_summary(df, area_cm2=-1.0)
