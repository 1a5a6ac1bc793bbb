"""Raw instrument files from the virtual lab: readers detect them, ingest recovers the model's values,
failed films are recorded, and ``optiform demo --raw`` closes the loop through ingest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from optiform import Campaign, DataError
from optiform.analysis.arrhenius import arrhenius
from optiform.analysis.eis import conductivity
from optiform.analysis.lsv import stability_onset
from optiform.analysis.readers import detect_format, read_eis, read_series
from optiform.analysis.transference import transference_number as bruce_vincent_t_plus
from optiform.bench.loop import _ingest
from optiform.cli import app
from optiform.sim import (
    PAPER_POINT,
    VirtualLab,
    activation_energy_eV,
    oxidation_onset_V,
    transference_number,
    true_conductivity_mS_cm,
)
from optiform.sim.raw import AREA_16MM_cm2, RawBatch, write_raw

DETECTED = {"mpt": "biologic-mpt", "dta": "gamry-dta", "csv": "csv"}
EXACT_LAB = dict(noise_rel=0.0, noise_t_plus=0.0, noise_onset_V=0.0, failure_rate=0.0)
MakeCampaign = Callable[..., Campaign]


def _ingested(c: Campaign) -> pd.DataFrame:
    """One row per formulation: the last non-NaN value of each ingested quantity."""
    d = c.data()
    q = ["conductivity_mS_cm", "activation_energy_eV", "transference_number", "oxidation_onset_V"]
    return d[d["status"] == "ok"].groupby("id")[q].last()


@pytest.mark.parametrize("fmt", ["mpt", "dta", "csv"])
def test_round_trip_through_ingest(tmp_path: Path, make_campaign: MakeCampaign, fmt: str) -> None:
    c = make_campaign()
    batch = c.propose(8, strategy="sobol")
    raw = write_raw(batch, tmp_path / "raw", VirtualLab(seed=1, **EXACT_LAB), fmt=fmt, seed=2, series_noise_rel=0.0)
    manifest = pd.read_csv(raw.manifest)
    # every file is detected as the intended format, and the manifest references only existing files
    assert {detect_format(tmp_path / "raw" / f) for f in manifest["file"]} == {DETECTED[fmt]}
    assert sorted(manifest["file"]) == sorted(
        p.name for p in (tmp_path / "raw").iterdir() if p.name not in ("manifest.csv", "failed.csv")
    )
    ok = (raw.measured["status"] == "ok").to_numpy()
    assert 2 <= ok.sum() < len(batch)  # sobol points: some solid, some fluid
    assert set(manifest["id"]) == set(batch.loc[ok, "id"])
    assert manifest.groupby("id").size().eq(5 + 3 + 1).all()  # 5 temperatures, BV triple, LSV

    c.record(raw.failed)
    report = c.ingest(raw.manifest)
    assert len(report.measurements) == 3 * ok.sum() and not report.flagged
    got = _ingested(c).reindex(batch.loc[ok, "id"])
    X = batch[ok]
    np.testing.assert_allclose(got["conductivity_mS_cm"], true_conductivity_mS_cm(X, 30.0), rtol=0.03)
    np.testing.assert_allclose(got["activation_energy_eV"], activation_energy_eV(X), atol=0.01)
    np.testing.assert_allclose(got["transference_number"], transference_number(X), atol=0.03)
    np.testing.assert_allclose(got["oxidation_onset_V"], oxidation_onset_V(X), atol=0.05)
    # fluid films: no files, a failed measurement with solid = false
    f = c.formulations().set_index("id")
    assert (f.loc[batch.loc[~ok, "id"], "status"] == "failed").all()
    assert (f.loc[batch.loc[ok, "id"], "status"] == "measured").all()
    # the feasibility model learns from both: solid = false from failed.csv, true from the manifest
    assert sorted(c.feasibility_data()["solid"]) == [0.0] * int((~ok).sum()) + [1.0] * int(ok.sum())


@pytest.mark.parametrize("framework", ["LLZT", "glass_fiber"])
def test_paper_point_files_give_the_paper_values(tmp_path: Path, framework: str) -> None:
    """Analysis straight from the files (no campaign): the paper's CSE / SPE numbers come back."""
    batch = pd.DataFrame([{**PAPER_POINT, "framework": framework, "id": "P1"}])
    raw = write_raw(
        batch, tmp_path, VirtualLab(seed=3, **EXACT_LAB), fmt="mixed", seed=4, series_noise_rel=0.0, thickness_sd_um=0.0
    )
    m = pd.read_csv(raw.manifest).set_index("file")
    eis = m[m["kind"] == "eis"]
    sig = {
        T: conductivity(read_eis(tmp_path / f), thickness_um=100.0, area_cm2=AREA_16MM_cm2).value
        for f, T in eis["temperature_C"].items()
    }
    expected = {"LLZT": (1.117, 0.161, 0.627, 5.06), "glass_fiber": (0.464, 0.283, 0.236, 4.60)}[framework]
    assert sig[30.0] == pytest.approx(expected[0], rel=0.03)
    assert arrhenius(list(sig), list(sig.values())).value == pytest.approx(expected[1], abs=0.01)
    role = {r: f for f, r in m["role"].dropna().items()}
    t_plus = bruce_vincent_t_plus(
        read_series(tmp_path / role["ca"]),
        delta_V_mV=10.0,
        eis_before=read_eis(tmp_path / role["eis_before"]),
        eis_after=read_eis(tmp_path / role["eis_after"]),
    )
    assert t_plus.value == pytest.approx(expected[2], abs=0.03) and not t_plus.failing
    lsv = m.index[m["kind"] == "lsv"][0]
    onset = stability_onset(read_series(tmp_path / lsv), area_cm2=AREA_16MM_cm2)
    assert onset.value == pytest.approx(expected[3], abs=0.05) and not onset.flags
    # the mixed format spreads one formulation's measurements over the three formats
    assert {detect_format(tmp_path / f) for f in m.index} == set(DETECTED.values())


def test_noisy_lab_values_reach_the_files_and_failed_cells_are_recorded(
    tmp_path: Path, make_campaign: MakeCampaign
) -> None:
    c = make_campaign()
    batch = c.propose(10, strategy="sobol")
    lab = VirtualLab(seed=5, failure_rate=0.3)
    raw = write_raw(batch, tmp_path / "raw", lab, seed=6)
    meas = raw.measured.set_index("id")
    cells = meas[meas["note"] == "measurement failed (cell short-circuit)"]
    assert len(cells) >= 1 and cells["solid"].all()
    failed = pd.read_csv(raw.failed).set_index("id")
    assert set(failed.index) == set(meas.index[meas["status"] == "failed"])
    assert failed.loc[cells.index, "solid"].all() and not failed.drop(cells.index)["solid"].any()
    assert not set(pd.read_csv(raw.manifest)["id"]) & set(failed.index)
    c.record(raw.failed)
    c.ingest(raw.manifest)
    got = _ingested(c)
    ok = meas[meas["status"] == "ok"]
    # the 30 °C spectrum holds the lab's noisy value; t+ and onset are the lab's noisy values too
    np.testing.assert_allclose(got.loc[ok.index, "conductivity_mS_cm"], ok["conductivity_mS_cm"], rtol=0.01)
    np.testing.assert_allclose(got.loc[ok.index, "transference_number"], ok["transference_number"], atol=0.03)
    np.testing.assert_allclose(got.loc[ok.index, "oxidation_onset_V"], ok["oxidation_onset_V"], atol=0.01)
    assert not np.allclose(
        ok["conductivity_mS_cm"], true_conductivity_mS_cm(batch.set_index("id").loc[ok.index]), rtol=1e-3
    )
    fd = c.feasibility_data()
    assert sorted(fd["solid"]) == sorted([*failed["solid"].astype(float), *[1.0] * len(ok)])


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    batch = pd.DataFrame([{**PAPER_POINT, "id": "A"}, {**PAPER_POINT, "id": "B", "framework": "glass_fiber"}])
    a = write_raw(batch, tmp_path / "a", VirtualLab(seed=1), seed=2)
    b = write_raw(batch, tmp_path / "b", VirtualLab(seed=1), seed=2)
    write_raw(batch, tmp_path / "c", VirtualLab(seed=1), seed=3)
    names = sorted(p.name for p in a.manifest.parent.iterdir())
    assert names == sorted(p.name for p in b.manifest.parent.iterdir()) and len(names) == 2 * 9 + 1
    assert all((tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes() for n in names)
    assert (tmp_path / "a" / "A_LSV.csv").read_bytes() != (tmp_path / "c" / "A_LSV.csv").read_bytes()
    assert all(b"SYNTHETIC" in (tmp_path / "a" / n).read_bytes() for n in names if n != "manifest.csv")
    pd.testing.assert_frame_equal(a.measured, b.measured)


def test_write_raw_rejects_bad_arguments(tmp_path: Path) -> None:
    batch = pd.DataFrame([{**PAPER_POINT, "id": "A"}])
    lab = VirtualLab(seed=0)
    with pytest.raises(ValueError, match="fmt"):
        write_raw(batch, tmp_path / "x", lab, fmt="xlsx")
    with pytest.raises(ValueError, match="'id'"):
        write_raw(batch.drop(columns="id"), tmp_path / "x", lab)
    with pytest.raises(ValueError, match="temperatures_C"):
        write_raw(batch, tmp_path / "x", lab, temperatures_C=[30, 30])
    with pytest.raises(ValueError, match="area_cm2"):
        write_raw(batch, tmp_path / "x", lab, area_cm2=0.0)
    assert isinstance(write_raw(batch, tmp_path / "y", lab), RawBatch)
    with pytest.raises(FileExistsError, match="manifest"):
        write_raw(batch, tmp_path / "y", lab)
    with pytest.raises(DataError, match="fmt"):
        write_raw(batch, tmp_path / "z", lab, fmt="xlsx")
    (tmp_path / "file").write_text("")
    with pytest.raises(DataError, match="cannot create the folder"):
        write_raw(batch, tmp_path / "file", lab)


@pytest.mark.slow
def test_loop_ingests_group_by_group_when_an_analysis_fails(tmp_path: Path, make_campaign: MakeCampaign) -> None:
    c = make_campaign()
    batch = c.propose(8, strategy="sobol")
    raw = write_raw(batch, tmp_path / "raw", VirtualLab(seed=1, failure_rate=0.0), fmt="csv", seed=2)
    c.record(raw.failed)
    manifest = pd.read_csv(raw.manifest)
    first, second = manifest["id"].unique()[:2]
    (tmp_path / "raw" / f"{first}_LSV.csv").write_text("not,an\nlsv,file\n")
    (tmp_path / "raw" / f"{second}_EIS_50C.csv").write_text("garbage\n")
    with pytest.raises(DataError):
        c.ingest(raw.manifest)
    notes = _ingest(c, raw, DataError)
    assert set(notes) == {first, second}
    assert "lsv analysis failed" in notes[first] and "eis analysis failed" in notes[second]
    f = c.formulations().set_index("id")
    assert f.loc[first, "status"] == "measured"  # its EIS and t+ went in
    d = c.data()
    failed = d.loc[(d["id"] == second) & (d["status"] == "failed"), "note"]  # a new replicate beside the ingested
    assert len(failed) == 1 and failed.str.contains("eis analysis failed").all()
    assert d.loc[d["id"] == second, "conductivity_mS_cm"].isna().all()
    assert d.loc[d["id"] == second, "transference_number"].notna().any()  # the other groups still went in


@pytest.mark.slow
def test_demo_raw_runs_the_loop_through_ingest(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--raw", "--batches", "1", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "through raw files" in result.output and "batch  2" in result.output and "best found" in result.output
    c = Campaign.open(f"sqlite:///{out / 'optiform.db'}")
    f = c.formulations()
    assert len(f) == c.spec.n_initial + 2 and (f["status"] != "pending").all()
    manifests = [pd.read_csv(p) for p in sorted((out / "raw").glob("batch-*/manifest.csv"))]
    assert len(manifests) == 2
    groups = pd.concat(manifests).groupby(["id", "kind", "group"]).ngroups
    a = c.analyses()
    assert a.groupby(["id", "kind", "group"]).ngroups == groups > 0
    assert set(a["quantity"]) == {
        "conductivity_mS_cm",
        "activation_energy_eV",
        "transference_number",
        "oxidation_onset_V",
    }
    d = c.data()
    measured = d[d["conductivity_mS_cm"].notna()]
    assert set(measured["id"]) == set(pd.concat(manifests)["id"])  # every value came from ingested files
    failed_ids = {i for p in (out / "raw").glob("batch-*/failed.csv") for i in pd.read_csv(p)["id"]}
    assert failed_ids == set(f.loc[f["status"] == "failed", "id"])
    assert c.best()["conductivity_mS_cm"] == pytest.approx(measured["conductivity_mS_cm"].max())
