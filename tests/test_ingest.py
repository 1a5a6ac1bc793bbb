"""Ingest: manifest of raw files -> analyses -> campaign measurements; duplicates, bad rows, accept,
show and the Nyquist/Arrhenius plots, through the API and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from optiform import Campaign, DataError
from optiform.analysis.eis import z_r_rq_cpe
from optiform.cli import app
from optiform.sim.cell import synthetic_blocking_cell

K_B = 8.617333262e-5
AREA_CM2 = np.pi * 0.8**2  # 16 mm electrodes


def write_eis(path: Path, sigma_mS_cm: float, seed: int, thickness_um: float = 100.0) -> Path:
    s = synthetic_blocking_cell(sigma_mS_cm, thickness_um=thickness_um, diameter_mm=16, noise_rel=0.002, seed=seed)
    pd.DataFrame({"Frequency (Hz)": s.frequency_Hz, "Z' (ohm)": s.Z_ohm.real, "Z'' (ohm)": s.Z_ohm.imag}).to_csv(
        path, index=False
    )
    return path


def write_li_li_eis(path: Path, R_interface_ohm: float) -> Path:
    f = np.logspace(5, -1, 61)
    Z = z_r_rq_cpe(f, 20.0, R_interface_ohm, 2e-6, 0.9, 5e-2, 0.5)
    pd.DataFrame({"freq/Hz": f, "Re(Z)/Ohm": Z.real, "-Im(Z)/Ohm": -Z.imag}).to_csv(path, index=False)
    return path


def write_ca(path: Path, I0_A: float, Iss_A: float) -> Path:
    t = np.linspace(0.0, 3600.0, 3601)
    current = Iss_A + (I0_A - Iss_A) * np.exp(-t / 300.0)
    pd.DataFrame({"time/s": t, "Ewe/V": 0.010, "I/mA": current * 1e3}).to_csv(path, index=False)
    return path


def write_lsv(path: Path, onset_V: float, area_cm2: float) -> Path:
    E = np.linspace(3.0, 6.0, 3001)
    j_uA_cm2 = 1.0 + 9.0 * np.exp((E - onset_V) / 0.05)  # crosses 10 uA/cm2 exactly at onset_V
    pd.DataFrame({"Ewe/V": E, "I/mA": j_uA_cm2 * area_cm2 * 1e-3, "time/s": (E - 3.0) * 1000}).to_csv(path, index=False)
    return path


@pytest.fixture
def lab(tmp_path: Path, make_campaign: Callable[..., Campaign]) -> tuple[Campaign, Path, list[str]]:
    c = make_campaign()
    ids = list(c.propose(3, strategy="sobol")["id"])
    raw = tmp_path / "raw"
    raw.mkdir()
    return c, raw, ids


def temperature_series(raw: Path, sample: str, sigma30: float, Ea_eV: float, temps=(30, 40, 50, 60, 70)) -> list[dict]:
    rows = []
    for i, T in enumerate(temps):
        sigma = sigma30 * np.exp(-Ea_eV / K_B * (1 / (T + 273.15) - 1 / 303.15))
        name = f"{sample}_{T}C.csv"
        write_eis(raw / name, sigma, seed=i)
        rows.append(
            dict(
                id=sample, kind="eis", file=name, group="T-series", thickness_um=100, area_cm2=AREA_CM2, temperature_C=T
            )
        )
    return rows


def test_temperature_series_gives_conductivity_and_activation_energy(lab) -> None:
    c, raw, ids = lab
    manifest = pd.DataFrame(temperature_series(raw, ids[0], 1.117, 0.161))
    manifest.to_csv(raw / "manifest.csv", index=False)
    report = c.ingest(raw / "manifest.csv")
    assert len(report.measurements) == 1 and not report.unchanged
    d = c.data().set_index("id").loc[ids[0]]
    assert d["conductivity_mS_cm"] == pytest.approx(1.117, rel=0.02)
    assert d["activation_energy_eV"] == pytest.approx(0.161, rel=0.05)
    a = c.analyses(ids[0])
    assert (a["quantity"] == "conductivity_mS_cm").sum() == 5
    assert a.loc[a["quantity"] == "activation_energy_eV", "uncertainty"].item() > 0
    assert sorted(a.loc[a["quantity"] == "conductivity_mS_cm", "temperature_C"]) == [30, 40, 50, 60, 70]
    # the objective feeds the model like a recorded result
    assert ids[0] in set(c.training_data()["id"])


def test_same_manifest_again_changes_nothing(lab) -> None:
    c, raw, ids = lab
    pd.DataFrame(temperature_series(raw, ids[0], 0.8, 0.2, temps=(30, 50, 70))).to_csv(raw / "m.csv", index=False)
    c.ingest(raw / "m.csv")
    before = (c.data(), c.analyses())
    again = c.ingest(raw / "m.csv")
    assert again.measurements == [] and len(again.unchanged) == 1 and "already ingested" in str(again)
    pd.testing.assert_frame_equal(before[0], c.data())
    assert len(before[1]) == len(c.analyses())


def test_bad_manifest_rejected_whole_listing_every_row(lab) -> None:
    c, raw, ids = lab
    write_eis(raw / "good.csv", 1.0, seed=1)
    (raw / "garbage.csv").write_text("this is not,an impedance\nfile,at all\n")
    manifest = pd.DataFrame(
        [
            dict(id=ids[0], kind="eis", file="good.csv", thickness_um=100, area_cm2=AREA_CM2, temperature_C=30),
            dict(id="F9999", kind="eis", file="good.csv", thickness_um=100, area_cm2=AREA_CM2, temperature_C=30),
            dict(id=ids[1], kind="eis", file="missing.csv", thickness_um=100, area_cm2=AREA_CM2, temperature_C=30),
            dict(id=ids[1], kind="xrd", file="good.csv", thickness_um=100, area_cm2=AREA_CM2, temperature_C=30),
            dict(id=ids[2], kind="eis", file="good.csv", thickness_um=None, area_cm2=AREA_CM2, temperature_C=30),
        ]
    )
    manifest.to_csv(raw / "bad.csv", index=False)
    with pytest.raises(DataError) as err:
        c.ingest(raw / "bad.csv")
    text = str(err.value)
    assert "line 3: unknown sample id 'F9999'" in text
    assert "line 4: file 'missing.csv' not found" in text
    assert "line 5: kind 'xrd' is not one of" in text
    assert "line 6: thickness_um is required for kind 'eis'" in text
    assert c.analyses().empty and c.store.measurements(c.id).empty
    # a file the reader cannot read: rejected whole too, naming the row
    pd.DataFrame(
        [
            dict(id=ids[0], kind="eis", file="good.csv", thickness_um=100, area_cm2=AREA_CM2, temperature_C=30),
            dict(id=ids[1], kind="eis", file="garbage.csv", thickness_um=100, area_cm2=AREA_CM2, temperature_C=30),
        ]
    ).to_csv(raw / "bad2.csv", index=False)
    with pytest.raises(DataError, match=r"line 3: F\d+ \(eis.*garbage.csv"):
        c.ingest(raw / "bad2.csv")
    assert c.analyses().empty and c.store.measurements(c.id).empty


def test_transference_and_lsv(lab) -> None:
    c, raw, ids = lab
    write_li_li_eis(raw / "before.csv", 300.0)
    write_li_li_eis(raw / "after.csv", 320.0)
    # Bruce-Vincent t+ = Iss (dV - I0 R0) / (I0 (dV - Iss Rss)), dV = 10 mV, R0 = 300, Rss = 320 ohm,
    # solved for the steady-state current that gives t+ = 0.627
    I0, t_plus = 15e-6, 0.627
    Iss = t_plus * I0 * 0.010 / (0.010 - I0 * 300 + t_plus * I0 * 320)
    write_ca(raw / "ca.csv", I0, Iss)
    write_lsv(raw / "lsv.csv", 5.06, AREA_CM2)
    pd.DataFrame(
        [
            dict(id=ids[1], kind="transference", file="before.csv", role="eis_before", group="bv1", delta_V_mV=10),
            dict(id=ids[1], kind="transference", file="ca.csv", role="ca", group="bv1", delta_V_mV=10),
            dict(id=ids[1], kind="transference", file="after.csv", role="eis_after", group="bv1", delta_V_mV=10),
            dict(id=ids[1], kind="lsv", file="lsv.csv", area_cm2=AREA_CM2),
        ]
    ).to_csv(raw / "m.csv", index=False)
    report = c.ingest(raw / "m.csv")
    assert len(report.measurements) == 2
    a = c.analyses(ids[1]).set_index("quantity")
    assert a.loc["transference_number", "value"] == pytest.approx(0.627, rel=0.02)
    assert a.loc["oxidation_onset_V", "value"] == pytest.approx(5.06, abs=0.002)
    assert "role" not in a.columns and "eis_before:before.csv" in a.loc["transference_number", "files"]


def test_failing_flags_kept_out_until_accepted(lab) -> None:
    c, raw, ids = lab
    # a sweep that never reaches 10 uA/cm2: no onset -> failing flag
    write_lsv(raw / "flat.csv", 9.0, AREA_CM2)
    pd.DataFrame([dict(id=ids[2], kind="lsv", file="flat.csv", area_cm2=AREA_CM2)]).to_csv(raw / "m.csv", index=False)
    report = c.ingest(raw / "m.csv")
    assert report.flagged and "no_onset" in report.flagged[0]
    assert c.formulations().set_index("id").loc[ids[2], "status"] == "flagged"
    assert c.accept(ids[2]) == 1
    assert c.formulations().set_index("id").loc[ids[2], "status"] == "measured"
    assert c.accept(ids[2]) == 0
    with pytest.raises(DataError, match="unknown sample id"):
        c.accept("F0999")


def test_cli_ingest_show_plots(lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c, raw, ids = lab
    pd.DataFrame(temperature_series(raw, ids[0], 1.0, 0.2, temps=(30, 45, 60))).to_csv(raw / "m.csv", index=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    store = ["--store", c.store.url]
    out = runner.invoke(app, [*store, "ingest", str(raw / "m.csv")])
    assert out.exit_code == 0, out.output
    assert "ingested 1 measurement(s)" in out.output and "conductivity_mS_cm=" in out.output
    again = runner.invoke(app, [*store, "ingest", str(raw / "m.csv")])
    assert again.exit_code == 0 and "already ingested" in again.output
    show = runner.invoke(app, [*store, "show", ids[0]])
    assert show.exit_code == 0 and "activation_energy_eV" in show.output and "derived from raw files" in show.output
    for kind in ("nyquist", "arrhenius"):
        res = runner.invoke(app, [*store, "plot", kind, ids[0], "--out", f"{kind}.png"])
        assert res.exit_code == 0, res.output
        assert (tmp_path / f"{kind}.png").stat().st_size > 10_000
    missing = runner.invoke(app, [*store, "plot", "nyquist", ids[1], "--out", "x.png"])
    assert missing.exit_code == 1 and "no ingested conductivity_mS_cm" in missing.output
    bad = runner.invoke(app, [*store, "show", "F0999"])
    assert bad.exit_code == 1 and "unknown sample id 'F0999'" in bad.output


def test_manifest_carries_the_pass_fail_outcome(lab) -> None:
    """A ``solid`` column (the campaign's [feasibility] outcome) is stored with the measurement and
    trains the feasibility model; a bad or inconsistent value rejects the manifest, naming the line."""
    c, raw, ids = lab
    rows = temperature_series(raw, ids[0], 0.9, 0.17, temps=(30, 50, 70))
    bad = pd.DataFrame([{**r, "solid": "maybe" if i == 1 else "true"} for i, r in enumerate(rows)])
    bad.to_csv(raw / "bad.csv", index=False)
    with pytest.raises(DataError, match=r"line 3: solid: expected true or false, got 'maybe'"):
        c.ingest(raw / "bad.csv")
    mixed = pd.DataFrame([{**r, "solid": "false" if i == 2 else "yes"} for i, r in enumerate(rows)])
    mixed.to_csv(raw / "mixed.csv", index=False)
    with pytest.raises(DataError, match="solid differs between the group's rows"):
        c.ingest(raw / "mixed.csv")
    assert c.feasibility_data().empty and c.data()["conductivity_mS_cm"].isna().all()
    pd.DataFrame([{**r, "solid": "true"} for r in rows]).to_csv(raw / "ok.csv", index=False)
    c.ingest(raw / "ok.csv")
    fd = c.feasibility_data()
    assert fd["solid"].tolist() == [1.0]
    assert c.data().set_index("id").loc[ids[0], "conductivity_mS_cm"] == pytest.approx(0.9, rel=0.03)


# --- results that cannot be trusted -----------------------------------------------------------------
INSTRUMENT = Path(__file__).resolve().parent / "data" / "instrument"


def test_non_finite_result_is_refused_and_nothing_stored(lab) -> None:
    """An area of 1e-310 cm² (a typo) makes σ overflow to inf: refused, naming the line and the file;
    best and pareto never see it."""
    c, raw, ids = lab
    write_eis(raw / "a.csv", 1.0, seed=1)
    write_eis(raw / "b.csv", 1.2, seed=2)
    pd.DataFrame(
        [
            dict(id=ids[0], kind="eis", file="a.csv", thickness_um=100, area_cm2=AREA_CM2, temperature_C=30),
            dict(id=ids[1], kind="eis", file="b.csv", thickness_um=100, area_cm2=1e-310, temperature_C=30),
        ]
    ).to_csv(raw / "m.csv", index=False)
    with pytest.raises(DataError) as err:
        c.ingest(raw / "m.csv")
    assert str(err.value) == (
        f"{raw / 'm.csv'}: line 3: {ids[1]} (eis, group {ids[1]}): b.csv gives conductivity_mS_cm = inf: not stored"
    )
    assert c.analyses().empty and c.store.measurements(c.id).empty
    for call in (c.best, c.pareto):
        with pytest.raises(DataError, match=r"no formulation has|no measured conductivity_mS_cm"):
            call()
    pd.read_csv(raw / "m.csv").iloc[:1].to_csv(raw / "ok.csv", index=False)
    c.ingest(raw / "ok.csv")
    assert c.best()["id"] == ids[0] and list(c.pareto()["id"]) == [ids[0]]


def test_the_store_holds_finite_numbers_only(lab) -> None:
    from optiform.store import IngestedGroup, NewAnalysis, NewMeasurement

    c, _, ids = lab
    with pytest.raises(DataError, match=r"results.csv: line 2: conductivity_mS_cm = inf is not a finite number"):
        c.store.add_measurements(
            c.id, [NewMeasurement(ids[0], None, "ok", "", {"conductivity_mS_cm": float("inf")}, "results.csv: line 2")]
        )
    analysis = NewAnalysis("conductivity_mS_cm", 1.0, float("nan"), 30.0, "test", False, {}, [])
    group = IngestedGroup(ids[0], "eis", "g", "ok", "", {"conductivity_mS_cm": 1.0}, [analysis], "m.csv: line 2")
    with pytest.raises(DataError, match=r"m\.csv: line 2: conductivity_mS_cm uncertainty = nan is not a finite"):
        c.store.add_ingested_groups(c.id, [group])
    assert c.store.measurements(c.id).empty and c.analyses().empty
    c.record(pd.DataFrame({"id": [ids[0]], "conductivity_mS_cm": [1.0]}))
    with pytest.raises(DataError, match=f"{ids[0]} replicate 1: conductivity_mS_cm = -inf is not a finite number"):
        c.store.amend(c.id, ids[0], 1, {"conductivity_mS_cm": float("-inf")}, reason="typo")


def test_pareto_skips_a_non_finite_value_an_older_store_holds(lab) -> None:
    import sqlite3

    c, _, ids = lab
    c.record(pd.DataFrame({"id": ids[:2], "conductivity_mS_cm": [1.0, 2.0]}))
    path = c.store.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:  # as an older optiform could have stored it
        db.execute("UPDATE measurement_values SET value = 9e999 WHERE value = 2.0")
    assert c.data().set_index("id").loc[ids[1], "conductivity_mS_cm"] == np.inf
    assert list(c.pareto()["id"]) == [ids[0]] and c.best()["id"] == ids[0]


def test_full_cell_spectrum_and_truncated_ca_are_flagged(lab) -> None:
    """A Li-ion battery spectrum (impedance.py's exampleData.csv) ingested as an electrolyte film, and
    a chronoamperogram cut at one time constant: both stored as flagged, out of the model."""
    c, raw, ids = lab
    (raw / "battery.csv").write_bytes((INSTRUMENT / "impedance.py" / "exampleData.csv").read_bytes())
    write_li_li_eis(raw / "before.csv", 300.0)
    write_li_li_eis(raw / "after.csv", 320.0)
    I0, t_plus = 15e-6, 0.627
    Iss = t_plus * I0 * 0.010 / (0.010 - I0 * 300 + t_plus * I0 * 320)
    write_ca(raw / "ca.csv", I0, Iss)
    ca = pd.read_csv(raw / "ca.csv")
    ca[ca["time/s"] <= 300.0].to_csv(raw / "ca_cut.csv", index=False)  # tau = 300 s
    pd.DataFrame(
        [
            dict(id=ids[0], kind="eis", file="battery.csv", thickness_um=150, area_cm2=AREA_CM2, temperature_C=30),
            dict(id=ids[1], kind="transference", file="before.csv", role="eis_before", group="bv", delta_V_mV=10),
            dict(id=ids[1], kind="transference", file="ca_cut.csv", role="ca", group="bv", delta_V_mV=10),
            dict(id=ids[1], kind="transference", file="after.csv", role="eis_after", group="bv", delta_V_mV=10),
        ]
    ).to_csv(raw / "m.csv", index=False)
    report = c.ingest(raw / "m.csv")
    assert sorted(report.flagged) == sorted(
        [
            f"{ids[0]} (eis, group {ids[0]}): looks_like_full_cell, no_capacitive_tail",
            f"{ids[1]} (transference, group bv): not_steady",
        ]
    )
    a = c.analyses().set_index("quantity")
    assert a.loc["conductivity_mS_cm", "value"] == pytest.approx(213.0, rel=0.01)
    assert a.loc["transference_number", "value"] > 0.627 + 0.05  # overestimated, hence the flag
    f = c.formulations().set_index("id")
    assert (f.loc[ids[:2], "status"] == "flagged").all()
    assert c.training_data("conductivity_mS_cm").empty
