"""Tests for optiform.recipe: formulation -> grams of each chemical (the equations, before rounding
to the balance), and the plain batch file. Units, rounding, sheet files and what was made:
tests/test_weighing.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from optiform.recipe import molar_ratio, weighing_sheet, weighing_wide, write_batch
from optiform.sim import PAPER_POINT
from optiform.space import Space
from optiform.spec import CampaignSpec, example_spec_path, load_spec, parse_spec

M_LITFSI, M_LIDFOB = 287.09, 143.79
# the equations are checked on small batches too; the low-mass warning is tested in test_weighing.py
pytestmark = pytest.mark.filterwarnings("ignore::optiform.errors.OptiformWarning")


@pytest.fixture(scope="module")
def spec() -> CampaignSpec:
    return load_spec(example_spec_path())


def _paper(**overrides: Any) -> pd.DataFrame:
    """The paper's formulation (optiform.sim.PAPER_POINT) with ``overrides``."""
    return pd.DataFrame([{**PAPER_POINT, **overrides}])


def _masses(sheet: pd.DataFrame) -> dict[str, float]:
    return dict(zip(sheet["chemical"], sheet["mass_g"]))


# --- the paper's formulation by hand ------------------------------------------------------------
def test_paper_formulation_by_hand(spec: CampaignSpec) -> None:
    sheet = weighing_sheet(spec, _paper(), batch_mass_g=1.0, rounded=False)
    assert sheet["chemical"].tolist() == ["MEMA", "SN", "LiTFSI", "LiDFOB", "FEC", "AIBN"]
    assert sheet["role"].tolist() == [
        "component",
        "component",
        "split of salt",
        "split of salt",
        "additive",
        "additive",
    ]
    m = _masses(sheet)
    # additives take 5 + 1 = 6 wt%, the mixture shares the other 94 wt% as 30:50:20
    assert m["MEMA"] == pytest.approx(0.282, rel=1e-12)
    assert m["SN"] == pytest.approx(0.470, rel=1e-12)
    assert m["FEC"] == pytest.approx(0.050, rel=1e-12)
    assert m["AIBN"] == pytest.approx(0.010, rel=1e-12)
    assert m["LiTFSI"] + m["LiDFOB"] == pytest.approx(0.188, rel=1e-12)
    # 0.188 g of salt at 19:1 mol LiTFSI:LiDFOB
    n_salt = 0.188 / (0.95 * M_LITFSI + 0.05 * M_LIDFOB)  # mol
    assert m["LiTFSI"] == pytest.approx(0.95 * n_salt * M_LITFSI, rel=1e-12)
    assert m["LiDFOB"] == pytest.approx(0.05 * n_salt * M_LIDFOB, rel=1e-12)
    assert m["LiTFSI"] == pytest.approx(0.18317147, abs=1e-8)
    assert m["LiDFOB"] == pytest.approx(0.00482853, abs=1e-8)
    assert abs(molar_ratio(sheet, "LiTFSI", "LiDFOB") - 19.0) < 1e-9
    assert sum(m.values()) == pytest.approx(1.0, rel=1e-12)


def test_paper_formulation_amounts_and_wt_pct(spec: CampaignSpec) -> None:
    sheet = weighing_sheet(spec, _paper(), batch_mass_g=2.0, rounded=False).set_index("chemical")
    assert sheet.loc["MEMA", "wt_pct"] == pytest.approx(28.2)
    assert sheet.loc["FEC", "wt_pct"] == 5.0 and sheet.loc["AIBN", "wt_pct"] == 1.0
    assert sheet["wt_pct"].sum() == pytest.approx(100.0, rel=1e-12)
    assert sheet.loc["MEMA", "mass_g"] == pytest.approx(0.564)
    assert sheet.loc["LiTFSI", "molar_mass_g_mol"] == M_LITFSI
    assert sheet.loc["LiTFSI", "amount_mmol"] == pytest.approx(1000 * sheet.loc["LiTFSI", "mass_g"] / M_LITFSI)
    assert np.isnan(sheet.loc["MEMA", "amount_mmol"]) and np.isnan(sheet.loc["MEMA", "molar_mass_g_mol"])
    assert "id" not in sheet.columns


@pytest.mark.parametrize("f,expected", [(0.0, 0.0), (0.5, 1.0), (0.25, 1 / 3), (1.0, np.inf)])
def test_split_follows_mole_fraction(spec: CampaignSpec, f: float, expected: float) -> None:
    m = _masses(weighing_sheet(spec, _paper(LiDFOB_mol_frac=f), 1.0, rounded=False))
    n_tfsi, n_dfob = m["LiTFSI"] / M_LITFSI, m["LiDFOB"] / M_LIDFOB
    assert m["LiTFSI"] + m["LiDFOB"] == pytest.approx(0.188, rel=1e-12)
    assert m["LiTFSI"] >= 0 and m["LiDFOB"] >= 0
    if np.isinf(expected):
        assert n_tfsi == 0
    else:
        assert n_dfob / n_tfsi == pytest.approx(expected, rel=1e-12, abs=1e-15)


# --- mass balance ------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_mass_g", [0.25, 1.0, 3.7, 250.0])
def test_masses_add_up_for_random_formulations(spec: CampaignSpec, batch_mass_g: float) -> None:
    space = Space(spec)
    batch = space.round(space.sample_uniform(200, seed=int(batch_mass_g * 100))).assign(
        id=[f"F{i}" for i in range(200)]
    )
    sheet = weighing_sheet(spec, batch, batch_mass_g, rounded=False)
    assert len(sheet) == 200 * 6
    totals = sheet.groupby("id")["mass_g"].sum()
    assert np.all(np.abs(totals - batch_mass_g) <= 1e-12 * batch_mass_g)
    assert (sheet["mass_g"] >= 0).all()
    # mixture chemicals keep the mixture's ratio
    wide = weighing_wide(sheet).set_index("id").loc[batch["id"]]
    ratio = wide["MEMA_g"].to_numpy() / (wide["LiTFSI_g"] + wide["LiDFOB_g"]).to_numpy()
    np.testing.assert_allclose(ratio, batch["MEMA"].to_numpy() / batch["salt"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(wide["FEC_g"], batch_mass_g * batch["FEC_wt_pct"].to_numpy() / 100, rtol=1e-12)


def test_masses_add_up_with_many_components_and_additives() -> None:
    comps = {f"c{i}": {"min": 0, "max": 0.4} for i in range(6)}
    spec = parse_spec(
        {
            "version": 1,
            "name": "t",
            "mixture": {"total": 1, "resolution": 0.01, "components": comps},
            "parameters": {"x": {"min": 0, "max": 1}, "add": {"min": 0, "max": 20}},
            "objectives": [{"name": "y"}],
            "recipe": {
                "additives": {"A1": "add", "A2": 2.5},
                "split": {"c0": {"by": "x", "molar_mass_g_mol": {"P": 10.0, "Q": 1000.0}}},
            },
        }
    )
    space = Space(spec)
    batch = space.round(space.sample_uniform(300, seed=0)).assign(id=range(300))
    sheet = weighing_sheet(spec, batch, 5.0, rounded=False)
    totals = sheet.groupby("id")["mass_g"].sum()
    assert np.all(np.abs(totals - 5.0) <= 5e-12)
    assert sheet.loc[sheet["chemical"] == "A2", "mass_g"].eq(5.0 * 2.5 / 100).all()


def test_spec_without_recipe_lists_only_components() -> None:
    spec = parse_spec(
        {
            "version": 1,
            "name": "t",
            "mixture": {"total": 10, "components": {"water": {}, "EtOH": {}, "IPA": {}}},
            "parameters": {"T": {"min": 20, "max": 80}},
            "objectives": [{"name": "y"}],
        }
    )
    batch = pd.DataFrame(
        {"id": ["a", "b"], "water": [5.0, 2.0], "EtOH": [3.0, 8.0], "IPA": [2.0, 0.0], "T": [25.0, 30.0]}
    )
    sheet = weighing_sheet(spec, batch, 2.0)
    assert sheet["chemical"].tolist() == ["water", "EtOH", "IPA"] * 2
    assert set(sheet["role"]) == {"component"}
    assert sheet["mass_g"].tolist() == pytest.approx([1.0, 0.6, 0.4, 0.4, 1.6, 0.0])
    assert sheet["amount_mmol"].isna().all()


# --- wide table and files -----------------------------------------------------------------------
def test_weighing_wide_one_column_per_chemical(spec: CampaignSpec) -> None:
    batch = pd.concat([_paper(), _paper(MEMA=40.0, SN=40.0, LiDFOB_mol_frac=0.2)], ignore_index=True).assign(
        id=["b2", "a1"]
    )
    sheet = weighing_sheet(spec, batch, 2.0)
    wide = weighing_wide(sheet)
    assert list(wide.columns) == ["id", "MEMA_g", "SN_g", "LiTFSI_g", "LiDFOB_g", "FEC_g", "AIBN_g"]
    assert wide["id"].tolist() == ["b2", "a1"]  # formulations keep their order
    assert wide.loc[0, "MEMA_g"] == 0.564 and wide.loc[1, "MEMA_g"] == 0.752
    long = sheet.set_index(["id", "chemical"])["mass_g"]
    for _, row in wide.iterrows():
        for chem in ["MEMA", "SN", "LiTFSI", "LiDFOB", "FEC", "AIBN"]:
            assert row[f"{chem}_g"] == long[(row["id"], chem)]


def test_weighing_wide_without_ids(spec: CampaignSpec) -> None:
    batch = pd.concat([_paper(), _paper(MEMA=40.0, SN=40.0)], ignore_index=True)
    wide = weighing_wide(weighing_sheet(spec, batch, 2.0))
    assert list(wide.columns) == ["MEMA_g", "SN_g", "LiTFSI_g", "LiDFOB_g", "FEC_g", "AIBN_g"]
    assert wide["MEMA_g"].tolist() == [0.564, 0.752]


def test_write_batch_is_the_plain_table(tmp_path: Path) -> None:
    batch = pd.concat([_paper(), _paper(MEMA=40.0, SN=40.0)], ignore_index=True).assign(id=["x1", "x2"])
    back = pd.read_csv(write_batch(batch, tmp_path / "out" / "batch.csv"))
    assert list(back.columns) == list(batch.columns) and back["id"].tolist() == ["x1", "x2"]
    path = write_batch(batch, tmp_path / "only.XLSX")
    assert openpyxl.load_workbook(path).sheetnames == ["batch"]
    assert pd.read_excel(path)["MEMA"].tolist() == [30, 40]


@pytest.mark.parametrize("name", ["batch.xls", "batch.txt", "batch", "batch.csv.gz", "batch.json"])
def test_write_batch_rejects_other_suffixes(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=r"expected a \.csv or \.xlsx"):
        write_batch(_paper(), tmp_path / name)
    assert not (tmp_path / name).exists()


# --- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("mass", [0.0, -1.0, float("nan"), float("inf")])
def test_batch_mass_must_be_positive(spec: CampaignSpec, mass: float) -> None:
    with pytest.raises(ValueError, match="batch_mass_g must be > 0"):
        weighing_sheet(spec, _paper(), mass)


@pytest.mark.parametrize(
    "overrides,pattern",
    [
        ({"LiDFOB_mol_frac": 1.5}, r"LiDFOB_mol_frac: a mole fraction must lie in \[0, 1\]"),
        ({"LiDFOB_mol_frac": -0.1}, r"LiDFOB_mol_frac: a mole fraction"),
        ({"FEC_wt_pct": -2.0}, r"FEC: an additive must be >= 0 wt%"),
        ({"MEMA": -5.0, "SN": 85.0}, r"MEMA: a mixture component must be >= 0"),
        ({"FEC_wt_pct": 99.0}, r"leaving nothing for the mixture"),
        ({"MEMA": 40.0}, r"the mixture components sum to 110 wt%, expected 100"),
    ],
)
def test_impossible_formulations_are_rejected(spec: CampaignSpec, overrides: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        weighing_sheet(spec, _paper(**overrides), 1.0)
