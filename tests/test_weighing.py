"""Weighing sheets in every unit: mol% and vol% grams against hand arithmetic, rounding to the
balance, the low-mass warning, one file layout for CSV and XLSX, re-export of a batch, and what was
made: sheet -> actual_g -> record -> what the model learns from."""

from __future__ import annotations

import csv
import re
import tomllib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from optiform import Campaign
from optiform.errors import DataError, OptiformWarning
from optiform.made import MadeReport
from optiform.recipe import (
    FILE_COLUMNS,
    chemicals,
    composition_from_masses,
    read_weighing_sheet,
    round_mass,
    weighing_sheet,
    write_weighing_sheet,
)
from optiform.sim import PAPER_POINT
from optiform.space import Space
from optiform.spec import CampaignSpec, example_spec_path, load_spec, parse_spec

MakeCampaign = Callable[..., Campaign]
M_PEO, M_LITFSI, M_SN, M_LIDFOB, M_FEC = 44.05, 287.09, 80.09, 143.79, 106.05

# PEO (by its repeat unit, EO) / LiTFSI / SN in mol%
PEO_MOL = """
version = 1
name = "peo-mol"
[mixture]
unit = "mol%"
resolution = 1
[mixture.components]
PEO    = { min = 60, max = 90 }
LiTFSI = { min = 5, max = 20 }
SN     = { min = 5, max = 30 }
[[objectives]]
name = "conductivity_mS_cm"
[recipe]
molar_mass_g_mol = { PEO = 44.05, LiTFSI = 287.09, SN = 80.09 }
"""

# the same in mol% with the salt split LiTFSI/LiDFOB and FEC as a wt% additive
PEO_SPLIT = """
version = 1
name = "peo-split"
[mixture]
unit = "mol%"
resolution = 1
[mixture.components]
EO   = { min = 60, max = 90 }
salt = { min = 5, max = 20 }
SN   = { min = 5, max = 30 }
[parameters]
x_DFOB     = { min = 0.0, max = 0.3, resolution = 0.01 }
FEC_wt_pct = { min = 0.0, max = 10.0, resolution = 0.5 }
[[objectives]]
name = "conductivity_mS_cm"
[strategy]
n_initial = 4
[recipe]
additives = { FEC = "FEC_wt_pct" }
molar_mass_g_mol = { EO = 44.05, SN = 80.09, FEC = 106.05 }
[recipe.split.salt]
by = "x_DFOB"
molar_mass_g_mol = { LiTFSI = 287.09, LiDFOB = 143.79 }
"""

# carbonates in vol%, FEC as 5 wt% of the whole solution
CARBONATES_VOL = """
version = 1
name = "carbonates-vol"
[mixture]
unit = "vol%"
resolution = 5
[mixture.components]
EC  = { min = 10, max = 60 }
DMC = { min = 10, max = 60 }
EMC = { min = 10, max = 60 }
[[objectives]]
name = "conductivity_mS_cm"
[recipe]
additives = { FEC = 5.0 }
density_g_cm3 = { EC = 1.32, DMC = 1.07, EMC = 1.01 }
"""


def _spec(text: str, **recipe: Any) -> CampaignSpec:
    data = tomllib.loads(text)
    if recipe:
        data["recipe"] = {**data.get("recipe", {}), **recipe}
    return parse_spec(data)


def _masses(sheet: pd.DataFrame) -> dict[str, float]:
    return dict(zip(sheet["chemical"], sheet["mass_g"]))


def _llzt() -> CampaignSpec:
    return load_spec(example_spec_path())


# --- grams in every unit, by hand ---------------------------------------------------------------
def test_mol_pct_sheet_by_hand() -> None:
    spec = _spec(PEO_MOL)
    batch = pd.DataFrame({"id": ["F1"], "PEO": [80.0], "LiTFSI": [10.0], "SN": [10.0]})
    sheet = weighing_sheet(spec, batch, batch_mass_g=2.0)
    # m_i = 2 g · x_i·M_i / Σ x·M with Σ x·M = 80·44.05 + 10·287.09 + 10·80.09 = 3524.0 + 2870.9 + 800.9 = 7195.8
    #   PEO    2 · 3524.0 / 7195.8 = 0.97946 g -> 0.9795 g on a 0.1 mg balance
    #   LiTFSI 2 · 2870.9 / 7195.8 = 0.79794 g -> 0.7979 g
    #   SN     2 ·  800.9 / 7195.8 = 0.22260 g -> 0.2226 g
    assert _masses(sheet) == {"PEO": 0.9795, "LiTFSI": 0.7979, "SN": 0.2226}
    # LiTFSI is 39.9 wt% of the film, not 10 (the old sheet weighed 0.2 g of it: 4x too little)
    wt = dict(zip(sheet["chemical"], sheet["wt_pct"]))
    assert wt["LiTFSI"] == pytest.approx(100 * 2870.9 / 7195.8, abs=1e-4)
    # amounts from the weighed masses keep 80:10:10 mol to the balance's precision
    n = dict(zip(sheet["chemical"], sheet["amount_mmol"]))
    assert n["PEO"] == pytest.approx(1000 * 0.9795 / M_PEO, rel=1e-6)
    assert n["LiTFSI"] / n["PEO"] == pytest.approx(10 / 80, rel=1e-3)
    assert sheet["molar_mass_g_mol"].tolist() == [M_PEO, M_LITFSI, M_SN]


def test_mol_pct_sheet_with_split_and_additive_by_hand() -> None:
    spec = _spec(PEO_SPLIT)
    batch = pd.DataFrame({"EO": [80.0], "salt": [10.0], "SN": [10.0], "x_DFOB": [0.2], "FEC_wt_pct": [5.0]})
    m = _masses(weighing_sheet(spec, batch, batch_mass_g=2.0, rounded=False))
    # FEC: 5 wt% of 2 g = 0.1 g; the mixture shares 1.9 g by x·M, the salt's M being the mole-fraction
    # average 0.8·287.09 + 0.2·143.79 = 229.672 + 28.758 = 258.43 g/mol
    # Σ x·M = 80·44.05 + 10·258.43 + 10·80.09 = 3524.0 + 2584.3 + 800.9 = 6909.2
    assert m["FEC"] == pytest.approx(0.1, rel=1e-12)
    assert m["EO"] == pytest.approx(1.9 * 3524.0 / 6909.2, rel=1e-12)
    assert m["SN"] == pytest.approx(1.9 * 800.9 / 6909.2, rel=1e-12)
    salt = 1.9 * 2584.3 / 6909.2
    assert m["LiTFSI"] == pytest.approx(salt * 229.672 / 258.43, rel=1e-12)
    assert m["LiDFOB"] == pytest.approx(salt * 28.758 / 258.43, rel=1e-12)
    # moles: salt : EO = 10 : 80 and LiDFOB : LiTFSI = 0.2 : 0.8
    n_eo, n_tfsi, n_dfob = m["EO"] / M_PEO, m["LiTFSI"] / M_LITFSI, m["LiDFOB"] / M_LIDFOB
    assert (n_tfsi + n_dfob) / n_eo == pytest.approx(10 / 80, rel=1e-12)
    assert n_dfob / n_tfsi == pytest.approx(0.2 / 0.8, rel=1e-12)


def test_vol_pct_sheet_by_hand() -> None:
    spec = _spec(CARBONATES_VOL)
    batch = pd.DataFrame({"id": ["V1"], "EC": [30.0], "DMC": [30.0], "EMC": [40.0]})
    sheet = weighing_sheet(spec, batch, batch_mass_g=2.0)
    # FEC 5 wt% of 2 g = 0.1 g; the carbonates share 1.9 g by x·ρ (volumes add):
    # Σ x·ρ = 30·1.32 + 30·1.07 + 40·1.01 = 39.6 + 32.1 + 40.4 = 112.1
    #   EC  1.9 · 39.6 / 112.1 = 0.671186 g -> 0.6712 g
    #   DMC 1.9 · 32.1 / 112.1 = 0.544068 g -> 0.5441 g
    #   EMC 1.9 · 40.4 / 112.1 = 0.684746 g -> 0.6847 g
    assert _masses(sheet) == {"EC": 0.6712, "DMC": 0.5441, "EMC": 0.6847, "FEC": 0.1}
    assert sheet["role"].tolist() == ["component", "component", "component", "additive"]
    assert sheet["amount_mmol"].isna().all()  # no molar mass declared


@pytest.mark.parametrize(
    ("text", "table", "names"),
    [(PEO_MOL, "molar_mass_g_mol", "PEO, LiTFSI, SN"), (CARBONATES_VOL, "density_g_cm3", "EC, DMC, EMC")],
)
def test_mol_or_vol_pct_without_the_recipe_tables_is_an_error(
    text: str, table: str, names: str, make_campaign: MakeCampaign
) -> None:
    data = tomllib.loads(text)
    del data["recipe"]
    spec = parse_spec(data)  # a campaign without [recipe] is valid ...
    unit = spec.mixture.unit
    message = (
        rf"campaign {spec.name} is in {unit}: declare \[recipe\] {table} = \{{\.\.\.\}} for {names} to compute grams"
    )
    batch = Space(spec).round(Space(spec).sample_uniform(2, seed=0))
    with pytest.raises(DataError, match=message):  # ... but it never gets a sheet
        weighing_sheet(spec, batch, 2.0)
    c = make_campaign(data)
    proposed = c.propose(2)
    with pytest.raises(DataError, match=message):
        c.weighing_sheet(proposed, 2.0)
    with pytest.raises(DataError, match=message):
        composition_from_masses(spec, dict.fromkeys(chemicals(spec), 1.0))


# --- the inverse: masses -> composition ---------------------------------------------------------
@pytest.mark.filterwarnings("ignore::optiform.errors.OptiformWarning")
@pytest.mark.parametrize("which", ["wt% (llzt: split, additives)", "mol%", "mol% split + additive", "vol%"])
def test_composition_from_masses_inverts_the_sheet(which: str) -> None:
    spec = {
        "wt% (llzt: split, additives)": _llzt,
        "mol%": lambda: _spec(PEO_MOL),
        "mol% split + additive": lambda: _spec(PEO_SPLIT),
        "vol%": lambda: _spec(CARBONATES_VOL),
    }[which]()
    space = Space(spec)
    batch = space.sample_uniform(50, seed=3).assign(id=[f"F{i}" for i in range(50)])  # off the lattice too
    sheet = weighing_sheet(spec, batch, 3.0, rounded=False)
    set_by_recipe = [*spec.components, *(s.by for s in (spec.recipe.split.values() if spec.recipe else []))]
    set_by_recipe += [v for v in (spec.recipe.additives.values() if spec.recipe else []) if isinstance(v, str)]
    for (_, row), (label, rows) in zip(batch.iterrows(), sheet.groupby("id", sort=False)):
        assert row["id"] == label
        made = composition_from_masses(spec, _masses(rows))
        assert set(made) == set(set_by_recipe)
        for v in set_by_recipe:
            assert made[v] == pytest.approx(float(row[v]), abs=1e-9), (label, v)


def test_composition_from_masses_refuses_missing_or_zero_masses() -> None:
    spec = _spec(PEO_MOL)
    with pytest.raises(DataError, match="no mass given for SN"):
        composition_from_masses(spec, {"PEO": 1.0, "LiTFSI": 0.5})
    with pytest.raises(DataError, match="the masses add up to 0 g"):
        composition_from_masses(spec, {"PEO": 0.0, "LiTFSI": 0.0, "SN": 0.0})


# --- rounding and the low-mass warning ----------------------------------------------------------
def test_masses_are_rounded_to_the_balance_without_float_noise(tmp_path: Path) -> None:
    exact = 2.0 * 37.245 / 100  # 37.245 wt% of a 2 g batch
    assert repr(exact) == "0.7448999999999999"  # float noise
    assert repr(round_mass(exact, 0.1)) == "0.7449"
    assert repr(round_mass(0.74490000001, 0.1)) == "0.7449"
    assert round_mass(0.74486, 1.0) == 0.745 and round_mass(0.74474, 0.5) == 0.7445
    assert round_mass(0.00004, 0.1) == 0.0
    spec = _llzt()
    space = Space(spec)
    batch = space.round(space.sample_uniform(40, seed=1)).assign(id=[f"F{i:04d}" for i in range(40)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptiformWarning)
        sheet = weighing_sheet(spec, batch, 2.0)
    assert (sheet["mass_g"] == sheet["mass_g"].round(4)).all()
    assert (sheet.groupby("id")["mass_g"].sum() - 2.0).abs().max() <= 6 * 0.00005 + 1e-12
    path = write_weighing_sheet(sheet, tmp_path / "sheet.csv", {"campaign": spec.name, "batch_mass_g": 2.0})
    rows = list(csv.reader(path.open(newline="")))
    table = rows[rows.index(FILE_COLUMNS) + 1 :]
    assert len(table) == 40 * 6
    for row in table:
        record = dict(zip(FILE_COLUMNS, row))
        assert re.fullmatch(r"\d+(\.\d{1,4})?", record["mass_g"]), record["mass_g"]
        for col in ("wt_pct", "molar_mass_g_mol", "amount_mmol"):  # 6 significant digits at most
            assert len(record[col].replace(".", "").lstrip("0")) <= 6, record
        assert record["actual_g"] == ""


def test_a_coarser_balance_rounds_coarser() -> None:
    spec = _spec(PEO_MOL, balance_resolution_mg=1.0)
    batch = pd.DataFrame({"PEO": [80.0], "LiTFSI": [10.0], "SN": [10.0]})
    assert _masses(weighing_sheet(spec, batch, 2.0)) == {"PEO": 0.979, "LiTFSI": 0.798, "SN": 0.223}


def test_a_mass_under_5_mg_is_noted_and_warned_once() -> None:
    spec = _llzt()
    # the user's 2 g batch: LiDFOB at 0.0052 mol/mol of the salt (18.8 wt% of the film, 0.376 g) is
    # 0.376 g · 0.0052·143.79 / (0.0052·143.79 + 0.9948·287.09) = 0.98 mg
    batch = pd.DataFrame([{**PAPER_POINT, "LiDFOB_mol_frac": 0.0052}] * 2).assign(id=["F0007", "F0008"])
    with pytest.warns(OptiformWarning) as caught:
        sheet = weighing_sheet(spec, batch, 2.0)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message == (
        "weighing sheet for 2 g: below 5 mg: LiDFOB (F0007, F0008); weigh from a stock solution or a larger batch"
    )
    low = sheet[sheet["chemical"] == "LiDFOB"]
    assert low["mass_g"].tolist() == [0.001, 0.001]  # 0.98 mg on a 0.1 mg balance: 1.0 mg
    assert (low["note"] == "below 5 mg: weigh from a stock solution or a larger batch").all()
    assert (sheet.loc[sheet["chemical"] != "LiDFOB", "note"] == "").all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", OptiformWarning)
        weighing_sheet(spec, batch, 20.0)  # 9.8 mg: no warning
        weighing_sheet(_spec(PEO_MOL, warn_below_mg=0), pd.DataFrame([{"PEO": 80, "LiTFSI": 10, "SN": 10}]), 0.001)


# --- files: one layout --------------------------------------------------------------------------
HEADER = {
    "campaign": "llzt-cse",
    "batch": 3,
    "date": "2025-05-01",
    "batch_mass_g": 2.0,
    "balance_resolution_mg": 0.1,
}


def _cells_as_text(row: tuple[Any, ...]) -> list[str]:
    """A row as the CSV writes it (numbers in their shortest form), without trailing empty cells."""
    cells = [
        "" if c is None else np.format_float_positional(c, trim="-") if isinstance(c, float) else str(c) for c in row
    ]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _paper_sheet() -> pd.DataFrame:
    batch = pd.DataFrame([PAPER_POINT, {**PAPER_POINT, "MEMA": 40.0, "SN": 40.0}]).assign(id=["F0011", "F0012"])
    return weighing_sheet(_llzt(), batch, 2.0)


def test_csv_and_xlsx_share_one_layout(tmp_path: Path) -> None:
    sheet = _paper_sheet()
    csv_path = write_weighing_sheet(sheet, tmp_path / "out" / "b3.csv", HEADER)
    xlsx_path = write_weighing_sheet(sheet, tmp_path / "out" / "b3.xlsx", HEADER)
    text = csv_path.read_text()
    assert text.startswith(
        "campaign,llzt-cse\nbatch,3\ndate,2025-05-01\nbatch_mass_g,2\nbalance_resolution_mg,0.1\n\n"
        "id,chemical,role,wt_pct,mass_g,actual_g,molar_mass_g_mol,amount_mmol,note\n"
        "F0011,MEMA,component,28.2,0.564,,,,\n"
        "F0011,SN,component,47,0.94,,,,\n"
        "F0011,LiTFSI,split of salt,18.3171,0.3663,,287.09,1.27591,\n"
        "F0011,LiDFOB,split of salt,0.482853,0.0097,,143.79,0.0674595,\n"
    )
    book = openpyxl.load_workbook(xlsx_path)
    assert book.sheetnames == ["weighing"]
    xlsx_rows = [_cells_as_text(row) for row in book["weighing"].iter_rows(values_only=True)]
    csv_rows = list(csv.reader(csv_path.open(newline="")))
    assert len(csv_rows) == 5 + 1 + 1 + 12
    assert xlsx_rows == [_cells_as_text(tuple(row)) for row in csv_rows]  # the same rows, cell by cell
    header_c, table_c = read_weighing_sheet(csv_path)
    header_x, table_x = read_weighing_sheet(xlsx_path)
    assert header_c == header_x == HEADER
    pd.testing.assert_frame_equal(table_c, table_x)
    assert list(table_c.columns) == FILE_COLUMNS
    assert table_c.index.tolist() == list(range(8, 20))  # file lines
    assert table_c["actual_g"].isna().all()
    back = table_c.drop(columns="actual_g").reset_index(drop=True)
    pd.testing.assert_frame_equal(back, sheet.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,conductivity_mS_cm\nF0001,0.3\n", r"bad\.csv: line 1: expected a header row 'key,value'"),
        ("campaign,x\nbatch_mass_g,2\n", r"bad\.csv: no table after the header block"),
        (
            "batch,1\nbatch_mass_g,2\n\nid,chemical,mass_g,actual_g\n",
            r"bad\.csv: the header block .* no 'campaign' row",
        ),
        ("campaign,x\nbatch_mass_g,two\n\nid,chemical,mass_g,actual_g\n", r"bad\.csv: line 2: batch_mass_g: expected"),
        ("campaign,x\nbatch_mass_g,2\n\nid,chemical,mass_g\n", r"bad\.csv: line 4: .*\(missing actual_g\)"),
        (
            "campaign,x\nbatch_mass_g,2\n\nid,chemical,mass_g,actual_g\nF1,A,0.5,0.5\nF1,B,0.5,half\n",
            r"bad\.csv: line 6: actual_g: expected a number, got 'half'",
        ),
        (
            "campaign,x\nbatch_mass_g,2\n\nid,chemical,mass_g,actual_g\nF1,A,0.5,0.5,9\n",
            r"bad\.csv: line 5: 5 cells, but the table has 4 columns",
        ),
        ("campaign,x\nbatch,1.5\nbatch_mass_g,2\n\nid,chemical,mass_g,actual_g\n", r"line 2: batch: expected a batch"),
    ],
)
def test_a_garbled_sheet_is_one_line_naming_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message) as info:
        read_weighing_sheet(path)
    assert "\n" not in str(info.value)


def test_a_sheet_saved_again_by_a_spreadsheet_is_read(tmp_path: Path) -> None:
    """Excel pads rows with empty cells, keeps a BOM, and writes decimal commas in quoted cells."""
    path = tmp_path / "excel.csv"
    path.write_text(
        '\ufeffcampaign,peo-mol,,\nbatch_mass_g,2,,\n,,,\nid,chemical,mass_g,actual_g\nF1,PEO,0.9795,"0,98"\n',
        encoding="utf-8",
    )
    header, table = read_weighing_sheet(path)
    assert header == {"campaign": "peo-mol", "batch_mass_g": 2.0}
    assert table.loc[5, "actual_g"] == 0.98


# --- campaign: export, record what was made, learn from it --------------------------------------
def _fill(path: Path, actual: dict[tuple[str, str], float]) -> None:
    """Write masses into the actual_g column of a CSV or XLSX sheet, as the lab would."""
    if path.suffix == ".csv":
        rows = list(csv.reader(path.open(newline="")))
        start = rows.index(FILE_COLUMNS)
        for row in rows[start + 1 :]:
            if (row[0], row[1]) in actual:
                row[FILE_COLUMNS.index("actual_g")] = str(actual[(row[0], row[1])])
        with path.open("w", newline="") as fh:
            csv.writer(fh).writerows(rows)
        return
    book = openpyxl.load_workbook(path)
    ws = book["weighing"]
    for row in ws.iter_rows():
        key = (row[0].value, row[1].value) if len(row) > 1 else None
        if key in actual:
            row[FILE_COLUMNS.index("actual_g")].value = actual[key]
    book.save(path)


@pytest.fixture
def peo(make_campaign: MakeCampaign) -> Campaign:
    return make_campaign(PEO_SPLIT, name="peo")


def test_export_sheet_of_a_batch(peo: Campaign, tmp_path: Path) -> None:
    peo.propose(3)
    second = peo.propose(2)
    peo.cancel(second["id"][0], "no LiDFOB")
    path = peo.export_sheet(2, 5.0, tmp_path / "b2.xlsx")
    header, table = read_weighing_sheet(path)
    assert header["campaign"] == "peo-split" and header["batch"] == 2 and header["batch_mass_g"] == 5.0
    assert header["balance_resolution_mg"] == 0.1 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", header["date"])
    assert table["id"].unique().tolist() == [second["id"][1]]  # the cancelled one is left out
    assert table["chemical"].tolist() == ["EO", "LiTFSI", "LiDFOB", "SN", "FEC"]
    assert table["mass_g"].sum() == pytest.approx(5.0, abs=5 * 0.00005)
    with pytest.raises(DataError, match="campaign 'peo-split' has no batch 7; it has batches 1, 2"):
        peo.export_sheet(7, 5.0, tmp_path / "b7.csv")
    with pytest.raises(DataError, match=r"b2\.txt: expected a \.csv or \.xlsx file name"):
        peo.export_sheet(2, 5.0, tmp_path / "b2.txt")
    # propose --out with a batch mass writes the same layout; without one, the plain batch table
    header, _ = read_weighing_sheet(peo.export_batch(second, tmp_path / "again.csv", batch_mass_g=5.0))
    assert header["batch"] == 2
    assert list(pd.read_csv(peo.export_batch(second, tmp_path / "plain.csv")).columns) == ["id", *peo.space.variables]


@pytest.mark.filterwarnings("ignore::optiform.errors.OptiformWarning")
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip_sheet_actual_record_training_data(peo: Campaign, tmp_path: Path, suffix: str) -> None:
    batch = peo.propose(3)
    path = peo.export_sheet(1, 5.0, tmp_path / f"batch1{suffix}")
    _, table = read_weighing_sheet(path)
    target = table.set_index(["id", "chemical"])["mass_g"]
    made_ids = list(batch["id"][:2])
    # what the balance showed: 2% more SN than asked in the first, 1 mg more of every chemical in the second
    actual = {
        (i, chem): round(
            m * (1.02 if (i == made_ids[0] and chem == "SN") else 1.0) + (0.001 if i == made_ids[1] else 0), 4
        )
        for (i, chem), m in target.items()
        if i in made_ids
    }
    _fill(path, actual)
    report = peo.record(path)
    assert isinstance(report, MadeReport)
    assert list(report.made) == made_ids and report.not_made == [batch["id"][2]] and not report.already_recorded
    assert "recorded what was made for 2 formulation(s)" in str(report)
    assert f"not made yet (actual_g blank): {batch['id'][2]}" in str(report)
    # made: the inverse recipe of the weighed masses; the formulation keeps its target
    made = {i: composition_from_masses(peo.spec, {c: m for (j, c), m in actual.items() if j == i}) for i in made_ids}
    comp, dev = report.made[made_ids[0]]
    row0 = batch.set_index("id").loc[made_ids[0]]
    assert dev == pytest.approx(max(abs(made[made_ids[0]][c] - row0[c]) for c in peo.space.components))
    assert dev > 0.05 and comp in peo.space.components  # 2% more SN moves the mol% visibly
    f = peo.formulations().set_index("id")
    assert f["made"].tolist() == [True, True, False]
    as_made = peo.made().set_index("id")
    assert list(as_made.index) == made_ids
    for i in made_ids:
        assert as_made.loc[i, list(made[i])].tolist() == pytest.approx(list(made[i].values()), abs=1e-12)
    pd.testing.assert_frame_equal(f[peo.space.variables].reset_index(), batch, check_dtype=False)  # targets kept
    # results for all three: the model's input is what was made where recorded, else the target
    results = pd.DataFrame({"id": batch["id"], "conductivity_mS_cm": [0.11, 0.12, 0.13]})
    peo.record(results)
    train = peo.training_data().set_index("id")
    for i in made_ids:
        for v, value in made[i].items():
            assert train.loc[i, v] == pytest.approx(value, abs=1e-12)
        assert train.loc[i, peo.space.components].sum() == pytest.approx(100.0)
    third = batch.set_index("id").loc[batch["id"][2]]
    assert train.loc[batch["id"][2], peo.space.variables].tolist() == pytest.approx(third.tolist())
    d = peo.data().set_index("id")
    assert d["made"].tolist() == [True, True, False]
    assert d.loc[made_ids[0], "SN"] == row0["SN"]  # data() shows the target
    assert list(d.columns)[-2:] == ["made", "outside"]


@pytest.mark.filterwarnings("ignore::optiform.errors.OptiformWarning")
def test_recording_a_sheet_again_and_its_refusals(peo: Campaign, tmp_path: Path, make_campaign: MakeCampaign) -> None:
    batch = peo.propose(2)
    path = peo.export_sheet(1, 5.0, tmp_path / "b1.csv")
    _, table = read_weighing_sheet(path)
    first = batch["id"][0]
    rows = table[table["id"] == first]
    filled = {(first, c): m for c, m in zip(rows["chemical"], rows["mass_g"])}
    # partly filled: refused, naming the line of the blank cell; nothing stored
    blank_line = int(rows.index[rows["chemical"] == "LiDFOB"][0])
    _fill(path, {k: v for k, v in filled.items() if k[1] != "LiDFOB"})
    with pytest.raises(DataError, match=rf"b1\.csv: line {blank_line}: {first} LiDFOB: actual_g is blank"):
        peo.record(path)
    assert not peo.formulations()["made"].any()
    # filled: stored; the same again: reported, nothing changes
    _fill(path, filled)
    assert list(peo.record(path).made) == [first]
    stamp = peo.store.formulations(peo.id).set_index("label").loc[first, "made_at"]
    again = peo.record(path)
    assert again.already_recorded == [first] and not again.made and "already recorded (same masses)" in str(again)
    assert peo.store.formulations(peo.id).set_index("label").loc[first, "made_at"] == stamp
    # other masses for a formulation already made: refused, naming id and line
    _fill(path, {**filled, (first, "EO"): filled[(first, "EO")] + 0.01})
    with pytest.raises(DataError, match=rf"b1\.csv: line {int(rows.index[0])}: {first} is already recorded as made"):
        peo.record(path)
    # a negative mass, another campaign's sheet, a cancelled formulation
    _fill(path, {**filled, (first, "EO"): -0.1})
    with pytest.raises(DataError, match=rf"{first} EO: actual_g must be a mass >= 0 g, got -0.1"):
        peo.record(path)
    other = make_campaign(PEO_SPLIT.replace('"peo-split"', '"other"'), name="other")
    other.propose(2)
    _fill(path, filled)
    with pytest.raises(DataError, match=r"b1\.csv: line 1: the sheet is for campaign 'peo-split', not 'other'"):
        other.record(path)
    second = batch["id"][1]
    peo.cancel(second, "spilled")
    rows2 = table[table["id"] == second]
    _fill(path, {(second, c): m for c, m in zip(rows2["chemical"], rows2["mass_g"])})
    with pytest.raises(DataError, match=rf"line {int(rows2.index[0])}: sample {second} was cancelled .*spilled"):
        peo.record(path)


def test_a_results_table_is_not_taken_for_a_sheet(peo: Campaign, tmp_path: Path) -> None:
    batch = peo.propose(2)
    path = tmp_path / "results.csv"
    pd.DataFrame({"id": batch["id"], "conductivity_mS_cm": [0.1, 0.2]}).to_csv(path, index=False)
    assert peo.record(path).added == 2


# --- command line -------------------------------------------------------------------------------
def test_cli_export_and_record_a_filled_sheet(cli, tmp_path: Path) -> None:
    (tmp_path / "peo.toml").write_text(PEO_MOL)
    cli("init", "peo.toml")
    cli("propose", "-n", "3")
    out = cli("export", "--batch", "1", "--batch-mass-g", "2", "--out", "b1.csv").output
    assert "wrote b1.csv" in out
    _, table = read_weighing_sheet(tmp_path / "b1.csv")
    first = table["id"].iloc[0]
    rows = table[table["id"] == first]
    _fill(tmp_path / "b1.csv", {(first, c): m for c, m in zip(rows["chemical"], rows["mass_g"])})
    out = cli("record", "b1.csv").output
    assert "recorded what was made for 1 formulation(s)" in out and "not made yet (actual_g blank)" in out
    assert "already recorded (same masses)" in cli("record", "b1.csv").output
    shown = " ".join(cli("show", first).output.split())
    assert "made (" in shown and "from a filled weighing sheet" in shown
    assert "made (" not in cli("show", table["id"].iloc[-1]).output
    missing = cli("export", "--batch", "4", "--batch-mass-g", "2", "--out", "b4.csv", ok=False)
    assert missing.exit_code == 1 and "campaign 'peo-mol' has no batch 4; it has batches 1" in missing.output
    assert "Example: optiform export" in cli("export", "--help").output


def test_cli_propose_prints_low_mass_warnings(cli, tmp_path: Path) -> None:
    (tmp_path / "peo.toml").write_text(PEO_MOL)
    cli("init", "peo.toml")
    result = cli("propose", "-n", "2", "--batch-mass-g", "0.01", "--out", "tiny.xlsx")
    warning_lines = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warning_lines) == 1, result.output  # the sheet is computed twice (table, file), warned once
    assert warning_lines[0].startswith("warning: weighing sheet for 0.01 g: below 5 mg: ")
    assert "SN (F0001, F0002)" in warning_lines[0]  # SN is at most 30% of the mass: 3 mg of 10
    header, table = read_weighing_sheet(tmp_path / "tiny.xlsx")
    assert header["batch"] == 1 and len(table) == 6


def test_cli_mol_pct_without_molar_masses_stores_no_proposal(cli, tmp_path: Path) -> None:
    (tmp_path / "peo.toml").write_text(PEO_MOL.split("[recipe]")[0])
    cli("init", "peo.toml")
    result = cli("propose", "-n", "2", "--batch-mass-g", "2", ok=False)
    assert result.exit_code == 1
    assert "campaign peo-mol is in mol%: declare [recipe] molar_mass_g_mol = {...} for PEO, LiTFSI, SN" in result.output
    assert "pending: 0" in cli("status").output
