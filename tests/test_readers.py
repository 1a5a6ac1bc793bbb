"""Tests for optiform.analysis.readers: instrument files -> Spectrum / Series.

Reference arrays for the impedance formats come from impedance.py 1.7.1 (installed in the venv),
whose ``impedance/tests/test_preprocessing.py`` hard-codes them for the same fixture files; we
only reorder them from high to low frequency (both use Im(Z) < 0 for capacitive behaviour).
Fixtures and their provenance: ``tests/data/PROVENANCE.md``.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optiform.analysis import SERIES_COLUMNS, ReaderError, Series, Spectrum
from optiform.analysis.readers import detect_format, read_eis, read_series

try:  # the independent reference readers; not a dependency of optiform itself
    from impedance import preprocessing
except ImportError:  # pragma: no cover
    preprocessing = None
needs_impedance = pytest.mark.skipif(preprocessing is None, reason="impedance.py (reference readers) not installed")

DATA = Path(__file__).resolve().parent / "data" / "instrument"
IMP = DATA / "impedance.py"
RTOL = 1e-12


def _reference(fn, path: Path) -> tuple[np.ndarray, np.ndarray]:
    f, Z = fn(str(path))
    order = np.argsort(-np.asarray(f), kind="stable")
    return np.asarray(f)[order], np.asarray(Z)[order]


def _assert_same(spec: Spectrum, f: np.ndarray, Z: np.ndarray) -> None:
    assert len(spec) == len(f)
    np.testing.assert_allclose(spec.frequency_Hz, f, rtol=RTOL, atol=0)
    np.testing.assert_allclose(spec.Z_ohm.real, Z.real, rtol=RTOL, atol=0)
    np.testing.assert_allclose(spec.Z_ohm.imag, Z.imag, rtol=RTOL, atol=0)


# ------------------------------------------------------------------------------------------
# Impedance: every instrument fixture reproduces impedance.py
# ------------------------------------------------------------------------------------------

FORMATS = [
    ("exampleDataGamry.DTA", "gamry-dta", "readGamry"),
    ("exampleDataGamryABORT.DTA", "gamry-dta", "readGamry"),
    ("exampleDataBioLogic.mpt", "biologic-mpt", "readBioLogic"),
    ("exampleDataAutolab.txt", "autolab-txt", "readAutolab"),
    ("exampleDataCHInstruments.txt", "chi-txt", "readCHInstruments"),
    ("exampleDataParstat.txt", "parstat-txt", "readParstat"),
    ("exampleDataVersaStudio.par", "versastudio-par", "readVersaStudio"),
    ("exampleDataPowersuite.txt", "powersuite-txt", "readPowerSuite"),
    ("exampleDataZPlot.z", "zplot-z", "readZPlot"),
    ("exampleDataZPlot_noComments.z", "zplot-z", "readZPlot"),
    ("Circuit1_EIS_1.z", "zplot-z", "readZPlot"),
    ("exampleData.csv", "csv", "readCSV"),
]


@needs_impedance
@pytest.mark.parametrize("name,fmt,ref", FORMATS, ids=[c[0] for c in FORMATS])
def test_instrument_formats_reproduce_impedance_py(name: str, fmt: str, ref: str) -> None:
    path = IMP / name
    assert detect_format(path) == fmt
    spec = read_eis(path)
    assert isinstance(spec, Spectrum)
    assert spec.meta["format"] == fmt
    assert spec.source == str(path)
    assert np.all(np.diff(spec.frequency_Hz) <= 0), "sorted from high to low frequency"
    _assert_same(spec, *_reference(getattr(preprocessing, ref), path))


def test_capacitive_sign_convention() -> None:
    # EC-Lab stores -Im(Z); after reading, the low-frequency points are capacitive (Im < 0)
    spec = read_eis(IMP / "exampleDataGamry.DTA")
    assert np.all(spec.Z_ohm.imag[-10:] < 0)
    bl = read_eis(DATA / "PyEIS" / "ex1.mpt")
    assert bl.meta["imag_sign"] == "negated" and bl.meta["imag_sign_from"] == "format"
    assert np.all(bl.Z_ohm.imag[-20:] < 0)


@needs_impedance
def test_gamry_abort_equals_prefix_of_complete_run() -> None:
    full = read_eis(IMP / "exampleDataGamry.DTA")
    aborted = read_eis(IMP / "exampleDataGamryABORT.DTA")
    assert aborted.meta["aborted"] is True and full.meta["aborted"] is False
    n = len(aborted)
    f_ref, _ = preprocessing.readGamry(str(IMP / "exampleDataGamryABORT.DTA"))
    assert n == len(f_ref) > 0
    np.testing.assert_array_equal(aborted.frequency_Hz, full.frequency_Hz[:n])
    np.testing.assert_array_equal(aborted.Z_ohm, full.Z_ohm[:n])


def test_biologic_missing_freq_names_the_column() -> None:
    path = IMP / "exampleDataBioLogic_MissingFreq.mpt"
    with pytest.raises(ReaderError, match=r"exampleDataBioLogic_MissingFreq\.mpt: line 61: no column 'freq/Hz'") as err:
        read_eis(path)
    assert "found: Re(Z)/Ohm" in str(err.value)


@needs_impedance
def test_pyeis_cycles_default_to_last_complete() -> None:
    path = DATA / "PyEIS" / "ex1.mpt"
    f_all, Z_all = preprocessing.readBioLogic(str(path))  # both sweeps, 59 points each
    spec = read_eis(path)
    assert spec.meta["cycles"] == [1, 2]
    assert spec.meta["cycle"] == 2
    assert spec.meta["points_per_cycle"] == {1: 59, 2: 59}
    assert spec.meta["encoding"] in ("cp1252", "latin-1")
    _assert_same(spec, f_all[59:], Z_all[59:])
    first = read_eis(path, cycle=1)
    assert first.meta["cycle"] == 1
    _assert_same(first, f_all[:59], Z_all[:59])
    with pytest.raises(ReaderError, match=r"ex1\.mpt: no cycle 3 \(cycles in file: 1, 2\)"):
        read_eis(path, cycle=3)


def test_incomplete_last_cycle_is_skipped(tmp_path: Path) -> None:
    src = DATA / "PyEIS" / "ex1.mpt"
    lines = src.read_bytes().split(b"\r\n")
    while lines and not lines[-1].strip():
        lines.pop()
    cut = tmp_path / "ex1_cut.mpt"
    cut.write_bytes(b"\r\n".join(lines[:-20]) + b"\r\n")  # the second sweep stops 20 points early
    spec = read_eis(cut)
    assert spec.meta["cycle"] == 1
    assert spec.meta["incomplete_cycles"] == [2]
    assert spec.meta["points_per_cycle"] == {1: 59, 2: 39}
    assert len(read_eis(cut, cycle=2)) == 39


def test_single_sweep_file_rejects_other_cycles() -> None:
    assert len(read_eis(IMP / "exampleDataGamry.DTA", cycle=1)) == 72
    with pytest.raises(ReaderError, match="single sweep"):
        read_eis(IMP / "exampleDataGamry.DTA", cycle=2)


# ------------------------------------------------------------------------------------------
# Generic tables: headers, sign, decimal commas, xlsx
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> tuple[np.ndarray, np.ndarray]:
    """impedance.py's exampleData.csv (f, Z' + jZ'', Z'' < 0 at low frequency), high -> low f."""
    data = np.genfromtxt(IMP / "exampleData.csv", delimiter=",")  # what impedance.py's readCSV does
    return _reference(lambda _p: (data[:, 0], data[:, 1] + 1j * data[:, 2]), IMP / "exampleData.csv")


def _write(path: Path, header: str | None, rows, sep: str = ",", decimal: str = ".", fmt: str = "{:.17g}") -> Path:
    lines = [] if header is None else [header]
    for row in rows:
        lines.append(sep.join(fmt.format(v).replace(".", decimal) for v in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_decimal_comma_semicolon_with_minus_zpp_header(tmp_path: Path, example) -> None:
    f, Z = example
    path = _write(tmp_path / "eu.csv", "Frequency (Hz);Z' (Ω);-Z'' (Ω)", zip(f, Z.real, -Z.imag), ";", ",", "{:.17E}")
    assert "," in path.read_text().splitlines()[1]
    spec = read_eis(path)
    assert spec.meta["format"] == "csv"
    assert spec.meta["delimiter"] == ";" and spec.meta["decimal_comma"] is True
    assert spec.meta["imag_sign"] == "negated" and spec.meta["imag_sign_from"] == "header"
    assert spec.meta["columns"] == {"frequency": "Frequency (Hz)", "real": "Z' (Ω)", "imag": "-Z'' (Ω)"}
    _assert_same(spec, f, Z)


def test_decimal_comma_tab_headerless(tmp_path: Path, example) -> None:
    f, Z = example
    path = _write(tmp_path / "eu.txt", None, zip(f, Z.real, Z.imag), "\t", ",")
    spec = read_eis(path)
    assert spec.meta["delimiter"] == "\t"
    _assert_same(spec, f, Z)


@pytest.mark.parametrize(
    "header,stored_sign,expect_sign,expect_from",
    [
        ("freq,Z',Z''", +1, "as stored", "data"),  # Z'' stored, negative at low f
        ("freq,Z',Z''", -1, "negated", "data"),  # mostly positive column = -Z''
        ("f/Hz,Zre,-Im(Z)", -1, "negated", "header"),
        ("Frequency(Hz),Z'(ohm),Z''(ohm)", +1, "as stored", "data"),  # WonATech ZIVE
        ("Frequency(Hz),Zreal,Zimag", -1, "negated", "data"),
        ("Freq,Re(Z)/Ohm,-Im(Z)/Ohm", -1, "negated", "header"),
        ("freq,Z',\"Z'' (ohm)\"", +1, "as stored", "data"),
        ("Frequency,Real,Imag", -1, "negated", "data"),
    ],
)
def test_imaginary_sign_from_header_or_data(tmp_path, example, header, stored_sign, expect_sign, expect_from):
    f, Z = example
    path = _write(tmp_path / "z.csv", header, zip(f, Z.real, stored_sign * Z.imag))
    spec = read_eis(path)
    assert (spec.meta["imag_sign"], spec.meta["imag_sign_from"]) == (expect_sign, expect_from)
    _assert_same(spec, f, Z)


def test_minus_header_wins_over_data(tmp_path, example) -> None:
    # header says -Z'': trust it even though the column is mostly negative (user's responsibility)
    f, Z = example
    spec = read_eis(_write(tmp_path / "z.csv", "freq,Z',-Z''", zip(f, Z.real, Z.imag)))
    assert spec.meta["imag_sign_from"] == "header"
    np.testing.assert_allclose(spec.Z_ohm.imag, -Z.imag, rtol=RTOL)


def test_units_in_header_are_converted(tmp_path, example) -> None:
    f, Z = example
    path = _write(tmp_path / "k.csv", "Frequency [kHz],Z' [mOhm],Z'' [mOhm]", zip(f / 1e3, Z.real * 1e3, Z.imag * 1e3))
    spec = read_eis(path)
    np.testing.assert_allclose(spec.frequency_Hz, f, rtol=1e-12)
    np.testing.assert_allclose(spec.Z_ohm, Z, rtol=1e-12)


def test_modulus_and_phase_columns(tmp_path, example) -> None:
    f, Z = example
    rows = zip(f, np.abs(Z), np.degrees(np.angle(Z)))
    spec = read_eis(_write(tmp_path / "polar.csv", "Frequency (Hz),|Z| (ohm),Phase (deg)", rows))
    np.testing.assert_allclose(spec.Z_ohm, Z, rtol=1e-12)
    rows = zip(f, np.abs(Z), -np.degrees(np.angle(Z)))
    spec = read_eis(_write(tmp_path / "polar2.csv", "Frequency (Hz),Z/ohm,-Phase/deg", rows))
    assert spec.meta["imag_sign_from"] == "header"
    np.testing.assert_allclose(spec.Z_ohm, Z, rtol=1e-12)


def test_pydrttools_tables() -> None:
    # index column with an empty header, ascending frequency, header 'Freq,Real,Imag'
    raw = np.genfromtxt(DATA / "pyDRTtools" / "1ZARC.csv", delimiter=",", skip_header=1)
    spec = read_eis(DATA / "pyDRTtools" / "1ZARC.csv")
    assert spec.meta["columns"] == {"frequency": "Freq", "real": "Real", "imag": "Imag"}
    np.testing.assert_allclose(spec.frequency_Hz, raw[::-1, 1], rtol=RTOL)
    np.testing.assert_allclose(spec.Z_ohm, raw[::-1, 2] + 1j * raw[::-1, 3], rtol=RTOL)
    # tab + trailing-space separated, headerless
    raw = np.loadtxt(DATA / "pyDRTtools" / "LIB_data.txt")
    spec = read_eis(DATA / "pyDRTtools" / "LIB_data.txt")
    assert spec.meta["columns"].startswith("positional")
    np.testing.assert_allclose(spec.Z_ohm, raw[:, 1] + 1j * raw[:, 2], rtol=RTOL)


def test_xlsx_eis_with_title_rows_and_sheet_choice(tmp_path, example) -> None:
    f, Z = example
    path = tmp_path / "zive.xlsx"
    table = pd.DataFrame({"Frequency(Hz)": f, "Z'(ohm)": Z.real, "Z''(ohm)": -Z.imag})
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"Note": ["exported by ZMAN"]}).to_excel(xl, sheet_name="Info", index=False)
        pd.DataFrame([["Sample: LiPF6 in EC/DMC"], [None]]).to_excel(xl, sheet_name="EIS", index=False, header=False)
        table.to_excel(xl, sheet_name="EIS", index=False, startrow=3)
        table.assign(**{"Z''(ohm)": Z.imag}).to_excel(xl, sheet_name="Raw", index=False)
    assert detect_format(path) == "xlsx"
    spec = read_eis(path)
    assert spec.meta["format"] == "xlsx" and spec.meta["sheet"] == "EIS"
    assert spec.meta["imag_sign"] == "negated"  # ZMAN-style positive Z'' column
    _assert_same(spec, f, Z)
    raw = read_eis(path, sheet="Raw")
    assert raw.meta["imag_sign"] == "as stored"
    _assert_same(raw, f, Z)
    with pytest.raises(ReaderError, match=r"zive\.xlsx: cannot read sheet 'Nope'"):
        read_eis(path, sheet="Nope")


# ------------------------------------------------------------------------------------------
# Detection from content, not extension
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,new_name,fmt",
    [
        ("exampleDataBioLogic.mpt", "spectrum.txt", "biologic-mpt"),
        ("exampleData.csv", "spectrum.dat", "csv"),
        ("exampleDataGamry.DTA", "run1.txt", "gamry-dta"),
        ("exampleDataZPlot.z", "cell.txt", "zplot-z"),
        ("exampleData.csv", "fake.xlsx", "csv"),
    ],
)
def test_detection_uses_content(tmp_path, name, new_name, fmt) -> None:
    path = tmp_path / new_name
    shutil.copy(IMP / name, path)
    assert detect_format(path) == fmt
    np.testing.assert_array_equal(read_eis(path).Z_ohm, read_eis(IMP / name).Z_ohm)


def test_eclab_export_without_header_block(tmp_path) -> None:
    lines = (IMP / "exampleDataBioLogic.mpt").read_bytes().split(b"\n")
    path = tmp_path / "noheader.txt"
    path.write_bytes(b"\n".join(lines[60:]))  # column line + data only
    assert detect_format(path) == "biologic-mpt"
    np.testing.assert_array_equal(read_eis(path).Z_ohm, read_eis(IMP / "exampleDataBioLogic.mpt").Z_ohm)


def test_latin1_and_decimal_comma_eclab(tmp_path) -> None:
    text = (IMP / "exampleDataBioLogic.mpt").read_bytes().decode("latin-1")
    head, body = text.split("freq/Hz", 1)
    body = body.split("\n", 1)
    eu = head + "freq/Hz" + body[0] + "\n" + body[1].replace(".", ",")
    path = tmp_path / "eu.mpt"
    path.write_bytes(eu.encode("latin-1"))
    ref = read_eis(IMP / "exampleDataBioLogic.mpt")
    spec = read_eis(path)
    assert spec.meta["encoding"] in ("cp1252", "latin-1")
    np.testing.assert_allclose(spec.Z_ohm, ref.Z_ohm, rtol=RTOL)


# ------------------------------------------------------------------------------------------
# Errors name the file, the line or column, and what was expected
# ------------------------------------------------------------------------------------------


def test_bad_line_in_headerless_csv(tmp_path, example) -> None:
    f, Z = example
    path = _write(tmp_path / "x.csv", None, zip(f[:10], Z.real[:10], Z.imag[:10]))
    lines = path.read_text().splitlines()
    lines[6] = "abc"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReaderError, match=r"x\.csv: line 7: expected 3 numbers \(frequency, Z', Z''\), got 'abc'"):
        read_eis(path)


def test_bad_cell_in_named_table(tmp_path, example) -> None:
    f, Z = example
    path = _write(tmp_path / "y.csv", "freq,Z',Z''", zip(f[:10], Z.real[:10], Z.imag[:10]))
    lines = path.read_text().splitlines()
    lines[4] = lines[4].split(",")[0] + ",1.0,oops"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReaderError, match=r"y\.csv: line 5: column \"Z''\": expected a number, got 'oops'"):
        read_eis(path)


@pytest.mark.parametrize("bad", ["0", "-10", "nan", "inf"])
def test_non_positive_or_non_finite_frequency(tmp_path, example, bad) -> None:
    f, Z = example
    path = _write(tmp_path / "f.csv", "freq,Z',Z''", zip(f[:10], Z.real[:10], Z.imag[:10]))
    lines = path.read_text().splitlines()
    lines[3] = bad + "," + ",".join(lines[3].split(",")[1:])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReaderError, match=r"f\.csv: line 4: frequency must be a positive finite number"):
        read_eis(path)


def test_unrecognised_files(tmp_path) -> None:
    prose = tmp_path / "notes.txt"
    prose.write_text("This is a lab notebook entry.\nNothing to see here.\n")
    with pytest.raises(ReaderError, match=r"notes\.txt: not a recognised impedance format .*looked for"):
        read_eis(prose)
    header = tmp_path / "abc.csv"
    header.write_text("a,b,c\n1,2,3\n4,5,6\n")
    with pytest.raises(ReaderError, match=r"abc\.csv: line 1: no frequency column in header \(found: 'a', 'b', 'c'"):
        read_eis(header)
    no_imag = tmp_path / "noimag.csv"
    no_imag.write_text("Frequency (Hz),Z' (ohm),Voltage\n1,2,3\n4,5,6\n")
    with pytest.raises(ReaderError, match=r"noimag\.csv: line 1: no Z'' \(imaginary part\) column"):
        read_eis(no_imag)
    bad_unit = tmp_path / "unit.csv"
    bad_unit.write_text("Frequency (Hz),Z' (ohm cm2),Z'' (ohm cm2)\n1,2,-3\n4,5,-6\n")
    with pytest.raises(
        ReaderError, match=r"unit\.csv: line 1: column \"Z' \(ohm cm2\)\": unit 'ohm cm2' not understood"
    ):
        read_eis(bad_unit)
    with pytest.raises(ReaderError, match=r"missing\.csv: cannot open file"):
        read_eis(tmp_path / "missing.csv")


def test_truncated_zplot_line(tmp_path) -> None:
    path = tmp_path / "cut.z"
    text = (IMP / "exampleDataZPlot_noComments.z").read_text().splitlines()
    text[12] = "3.0E+05, 1.0E-02"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(ReaderError, match=r"cut\.z: line 13: expected at least 6 fields"):
        read_eis(path)


def test_mpr_needs_galvani() -> None:
    path = (
        DATA / "datalab-app-plugin-insitu" / "jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA-prerun_C05.mpr"
    )
    assert detect_format(path) == "biologic-mpr"
    if importlib.util.find_spec("galvani") is None:
        with pytest.raises(
            ReaderError, match=r"prerun_C05\.mpr: install optiform\[mpr\] \(galvani\) to read \.mpr files"
        ):
            read_eis(path)
        with pytest.raises(ReaderError, match=r"install optiform\[mpr\]"):
            read_series(path)
    else:  # pragma: no cover - only where the extra is installed
        spec = read_eis(path)
        assert len(spec) > 0 and np.all(spec.frequency_Hz > 0)


# ------------------------------------------------------------------------------------------
# Time series
# ------------------------------------------------------------------------------------------

CA_MPT = """EC-Lab ASCII FILE
Nb header lines : 6

Chronoamperometry / Chronocoulometry
Electrode surface area : 0.001 cm\u00b2
mode\tox/red\terror\tcontrol changes\tNs changes\tcounter inc.\tNs\ttime/s\tcontrol/V\tEwe/V\t<I>/mA\tcycle number\tQ charge/discharge/mA.h\thalf cycle\t(Q-Qo)/mA.h\t
"""


def _ca_rows() -> list[tuple]:
    rows = []
    for k in range(8):
        t = 0.5 * k
        cycle = 0 if k < 4 else 1
        i_mA = 0.25 if k % 4 < 2 else -0.5  # charge then discharge within each cycle
        q = i_mA * 0.5 * (k % 2 + 1) / 3600  # resets every half cycle
        rows.append((2, 1, 0, 0, 0, 0, k // 2, t, 0.01 * k, 3.0 + 0.1 * k, i_mA, cycle, q, k // 2, 0.0))
    return rows


def test_eclab_chronoamperometry_units(tmp_path) -> None:
    rows = _ca_rows()
    body = "".join(
        "\t".join(f"{v:.10E}".replace(".", ",") if isinstance(v, float) else str(v) for v in r) + "\t\n" for r in rows
    )
    path = tmp_path / "ca_C01.mpt"
    path.write_bytes((CA_MPT + body).encode("cp1252"))
    s = read_series(path)
    assert isinstance(s, Series) and s.meta["format"] == "biologic-mpt"
    d = s.data
    assert list(d.columns) == [c for c in SERIES_COLUMNS if c in d.columns]
    assert list(d.columns) == [
        "time_s",
        "potential_V",
        "current_A",
        "cycle",
        "step",
        "charge_capacity_mAh",
        "discharge_capacity_mAh",
    ]
    arr = np.array([[float(v) for v in r] for r in rows])
    np.testing.assert_allclose(d["time_s"], arr[:, 7], rtol=1e-10)
    np.testing.assert_allclose(d["potential_V"], arr[:, 9], rtol=1e-10)
    np.testing.assert_allclose(d["current_A"], arr[:, 10] / 1000, rtol=1e-10)  # mA -> A
    assert d["cycle"].tolist() == [1, 1, 1, 1, 2, 2, 2, 2]  # EC-Lab counts from 0
    assert s.meta["cycle_offset"] == 1
    assert d["step"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    q = arr[:, 12]
    # charge: positive part of the signed Q, held through the rest of the cycle
    np.testing.assert_allclose(d["charge_capacity_mAh"], [q[0], q[1], q[1], q[1], q[4], q[5], q[5], q[5]], rtol=1e-10)
    np.testing.assert_allclose(d["discharge_capacity_mAh"], [0, 0, -q[2], -q[3], 0, 0, -q[6], -q[7]], rtol=1e-10)
    assert s.meta["columns"]["current_A"] == "<I>/mA"
    assert s.meta["columns"]["charge_capacity_mAh"] == "Q charge/discharge/mA.h"
    assert s.meta["units"]["current_A"] == "mA"
    assert "control/V" in s.meta["unmapped"]


def test_lsv_csv_unit_conversions(tmp_path) -> None:
    t_min = np.linspace(0, 2, 21)
    E_mV = 3000 + 5 * 60 * t_min  # 5 mV/s
    I_uA = 0.01 * np.exp((E_mV - 3000) / 200)
    T_K = np.full_like(t_min, 298.15)
    df = pd.DataFrame({"Time (min)": t_min, "Potential [mV]": E_mV, "Current/µA": I_uA, "Temperature (K)": T_K})
    path = tmp_path / "lsv.csv"
    df.to_csv(path, index=False, encoding="utf-8")
    s = read_series(path)
    np.testing.assert_allclose(s.data["time_s"], t_min * 60, rtol=1e-12)
    np.testing.assert_allclose(s.data["potential_V"], E_mV / 1000, rtol=1e-12)
    np.testing.assert_allclose(s.data["current_A"], I_uA * 1e-6, rtol=1e-12)
    np.testing.assert_allclose(s.data["temperature_C"], 25.0, atol=1e-9)
    assert s.meta["units"] == {"time_s": "min", "potential_V": "mV", "current_A": "µA", "temperature_C": "K"}
    assert s.meta["assumed_units"] == {}


def test_series_capacity_and_time_units_semicolon_decimal_comma(tmp_path) -> None:
    text = "Time (h);Comment;U (V);I (mA);Q charge (mA.h);Q discharge (A.h)\n"
    text += "0,5;x;3,7;-1,5;0,25;0,001\n1,0;y;3,6;-1,5;0,5;0,002\n"
    path = tmp_path / "cyc.csv"
    path.write_text(text, encoding="utf-8")
    s = read_series(path)
    np.testing.assert_allclose(s.data["time_s"], [1800, 3600])
    np.testing.assert_allclose(s.data["potential_V"], [3.7, 3.6])
    np.testing.assert_allclose(s.data["current_A"], [-1.5e-3, -1.5e-3])
    np.testing.assert_allclose(s.data["charge_capacity_mAh"], [0.25, 0.5])
    np.testing.assert_allclose(s.data["discharge_capacity_mAh"], [1.0, 2.0])  # Ah -> mAh


def test_arbin_xlsx_navani() -> None:
    path = DATA / "navani" / "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"
    s = read_series(path)
    raw = pd.read_excel(path, sheet_name="Channel_11_1")
    assert len(s) == 4526 == len(raw)  # navani: shape (4526, 22)
    assert s.meta["format"] == "xlsx" and s.meta["sheet"] == "Channel_11_1"
    assert s.meta["columns"] == {
        "time_s": "Test_Time(s)",
        "potential_V": "Voltage(V)",
        "current_A": "Current(A)",
        "cycle": "Cycle_Index",
        "step": "Step_Index",
        "charge_capacity_mAh": "Charge_Capacity(Ah)",
        "discharge_capacity_mAh": "Discharge_Capacity(Ah)",
    }
    assert s.meta["assumed_units"] == {}
    np.testing.assert_allclose(s.data["time_s"], raw["Test_Time(s)"])
    np.testing.assert_allclose(s.data["current_A"], raw["Current(A)"])
    np.testing.assert_allclose(s.data["charge_capacity_mAh"], raw["Charge_Capacity(Ah)"] * 1000)  # Ah -> mAh
    np.testing.assert_allclose(s.data["discharge_capacity_mAh"], raw["Discharge_Capacity(Ah)"] * 1000)
    assert s.data["step"].tolist() == raw["Step_Index"].tolist()
    assert set(s.data["cycle"]) == {1}


def test_arbin_csv_beep() -> None:
    path = DATA / "beep" / "FastCharge_000025_CH8.csv"
    raw = pd.read_csv(path)
    s = read_series(path)
    assert s.meta["format"] == "csv" and len(s) == len(raw)
    assert s.meta["columns"]["time_s"] == "Test_Time" and s.meta["columns"]["temperature_C"] == "Temperature"
    assert s.meta["assumed_units"]["charge_capacity_mAh"] == "Ah"  # Arbin writes Ah without a unit
    np.testing.assert_allclose(s.data["charge_capacity_mAh"], raw["Charge_Capacity"] * 1000)
    np.testing.assert_allclose(s.data["potential_V"], raw["Voltage"])
    np.testing.assert_allclose(s.data["temperature_C"], raw["Temperature"])
    assert s.data["cycle"].tolist() == (raw["Cycle_Index"].astype(int) + 1).tolist()  # starts at 0 in the file
    assert "Internal_Resistance" in s.meta["unmapped"]


def test_gamry_chronoamperometry(tmp_path) -> None:
    text = (
        "EXPLAIN\nTAG\tCHRONOA\nCURVE\tTABLE\t3\n\tPt\tT\tVf\tIm\tVu\tSig\tAch\tIERange\tOver\tTemp\n"
        "\t#\ts\tV vs. Ref.\tA\tV\tV\tV\t#\tbits\tdeg C\n"
    )
    for k in range(3):
        temp = "25" if k else "-327.67"  # Gamry writes -327.67 without a sensor
        text += f"\t{k}\t{0.1 * (k + 1)}\t4,0\t{1e-6 * (k + 1):.3E}\t0\t0\t0\t5\t...........\t{temp}\n"
    path = tmp_path / "ca.DTA"
    path.write_text(text, encoding="latin-1")
    s = read_series(path)
    np.testing.assert_allclose(s.data["time_s"], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(s.data["potential_V"], 4.0)
    np.testing.assert_allclose(s.data["current_A"], [1e-6, 2e-6, 3e-6])
    assert s.data["cycle"].tolist() == [1, 1, 1]
    assert np.isnan(s.data["temperature_C"][0]) and s.data["temperature_C"][2] == 25.0


def test_series_errors(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("time/s,Ewe/V,I/mA\n0,3.0,1\n1,3.1,1\n2,three,1\n")
    with pytest.raises(ReaderError, match=r"bad\.csv: line 4: column 'Ewe/V': expected a number, got 'three'"):
        read_series(path)
    path = tmp_path / "nounit.csv"
    path.write_text("time (fortnights),Ewe/V\n0,3.0\n1,3.1\n")
    with pytest.raises(ReaderError, match=r"nounit\.csv: line 1: column 'time \(fortnights\)': unit 'fortnights'"):
        read_series(path)
    path = tmp_path / "notime.csv"
    path.write_text("a,b\n0,3.0\n1,3.1\n")
    with pytest.raises(ReaderError, match=r"notime\.csv: not a recognised time-series table"):
        read_series(path)
    with pytest.raises(ReaderError, match=r"no time-series reader for format 'zplot-z'.*use read_eis"):
        read_series(IMP / "exampleDataZPlot.z")


# ------------------------------------------------------------------------------------------
# More layouts and edge cases
# ------------------------------------------------------------------------------------------


def test_impedance_py_savecsv_comment_header(tmp_path, example) -> None:
    f, Z = example
    path = tmp_path / "saved.csv"
    # as impedance.py's preprocessing.saveCSV writes it: header line '# freq,Re(Z),Im(Z)'
    np.savetxt(path, np.vstack([f, Z.real, Z.imag]).T, delimiter=",", header="freq,Re(Z),Im(Z)")
    assert path.read_text().startswith("# freq")
    spec = read_eis(path)
    assert spec.meta["columns"] == {"frequency": "freq", "real": "Re(Z)", "imag": "Im(Z)"}
    _assert_same(spec, f, Z)


def test_xlsx_bad_cell_names_sheet_and_row(tmp_path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["B3"], ws["C3"], ws["D3"] = "Frequency (Hz)", "Z'", "Z''"
    for k in range(5):
        ws.cell(row=4 + k, column=2, value=10.0 ** (3 - k))
        ws.cell(row=4 + k, column=3, value=1.0 + k)
        ws.cell(row=4 + k, column=4, value=-0.1 * k)
    ws["D6"] = "n/a"
    path = tmp_path / "w.xlsx"
    wb.save(path)
    with pytest.raises(
        ReaderError, match=r"w\.xlsx: sheet 'Data': row 6: column \"Z''\": expected a number, got 'n/a'"
    ):
        read_eis(path)


def test_versastudio_segments_are_cycles(tmp_path) -> None:
    text = (IMP / "exampleDataVersaStudio.par").read_text(encoding="utf-8")
    a, b = text.index("<Segment1>"), text.index("</Segment1>") + len("</Segment1>\n")
    block = text[a:b]
    path = tmp_path / "two.par"
    path.write_text(text[:b] + block.replace("Segment1", "Segment2") + text[b:], encoding="utf-8")
    ref = read_eis(IMP / "exampleDataVersaStudio.par")
    spec = read_eis(path)
    assert spec.meta["cycles"] == [1, 2] and spec.meta["cycle"] == 2
    np.testing.assert_array_equal(spec.Z_ohm, ref.Z_ohm)
    np.testing.assert_array_equal(read_eis(path, cycle=1).frequency_Hz, ref.frequency_Hz)


def test_arbin_sheets_split_over_several_channel_sheets(tmp_path) -> None:
    n = 10
    df = pd.DataFrame(
        {
            "Test_Time(s)": np.arange(2 * n, dtype=float),
            "Step_Index": 1,
            "Cycle_Index": 1,
            "Voltage(V)": np.linspace(3.0, 4.0, 2 * n),
            "Current(A)": 0.001,
            "Charge_Capacity(Ah)": np.linspace(0, 0.002, 2 * n),
            "Discharge_Capacity(Ah)": 0.0,
        }
    )
    path = tmp_path / "arbin.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"TEST REPORT": ["x"]}).to_excel(xl, sheet_name="Global_Info", index=False)
        df.iloc[:n].to_excel(xl, sheet_name="Channel_1_1", index=False)
        df.iloc[n:].to_excel(xl, sheet_name="Channel_1_2", index=False)
        df.iloc[::5].to_excel(xl, sheet_name="Statistics_1", index=False)
    s = read_series(path)
    assert s.meta["sheets"] == ["Channel_1_1", "Channel_1_2"]
    np.testing.assert_allclose(s.data["time_s"], df["Test_Time(s)"])
    np.testing.assert_allclose(s.data["charge_capacity_mAh"], df["Charge_Capacity(Ah)"] * 1000)
    one = read_series(path, sheet="Channel_1_2")
    np.testing.assert_allclose(one.data["time_s"], df["Test_Time(s)"].iloc[n:])


def test_reference_electrode_in_unit_and_duration_time(tmp_path) -> None:
    path = tmp_path / "pec.csv"
    path.write_text(
        "Total Time (hh:mm:ss.xxx),Potential (V vs. Li/Li+),Current (mA)\n00:00:01.500,3.5,1\n1.02:00:00,3.6,2\n"
    )
    s = read_series(path)
    np.testing.assert_allclose(s.data["time_s"], [1.5, 86400 + 7200])
    np.testing.assert_allclose(s.data["potential_V"], [3.5, 3.6])
    np.testing.assert_allclose(s.data["current_A"], [1e-3, 2e-3])


def test_unsupported_binary_formats(tmp_path) -> None:
    res = tmp_path / "cell.res"
    res.write_bytes(b"\x00\x01\x00\x00Standard Jet DB\x00" + bytes(64))
    assert detect_format(res) == "arbin-res"
    with pytest.raises(ReaderError, match=r"cell\.res: no time-series reader for format 'arbin-res' \(an Arbin"):
        read_series(res)
    blob = tmp_path / "blob.dat"
    blob.write_bytes(bytes(range(256)))
    assert detect_format(blob) == "binary"
    with pytest.raises(ReaderError, match=r"blob\.dat: not a recognised impedance format \(a binary file"):
        read_eis(blob)


MORE_EIS = [
    ("impedance.py/Circuit1_EIS_2.z", "readZPlot"),
    ("impedance.py/Circuit2_EIS_1.z", "readZPlot"),
    ("impedance.py/Circuit2_EIS_2.z", "readZPlot"),
    ("impedance.py/Circuit3_EIS_1.z", "readZPlot"),
    ("impedance.py/Circuit3_EIS_2.z", "readZPlot"),
    ("PyEIS/ex2.mpt", "readBioLogic"),
]


@needs_impedance
@pytest.mark.parametrize("name,ref", MORE_EIS, ids=[c[0] for c in MORE_EIS])
def test_dummy_circuit_and_second_pyeis_spectra(name: str, ref: str) -> None:
    """The dummy-circuit spectra and PyEIS's second file: same arrays as impedance.py (last sweep)."""
    path = DATA / name
    f, Z = getattr(preprocessing, ref)(str(path))
    spec = read_eis(path)
    n = len(spec)
    order = np.argsort(-f[-n:], kind="stable")
    _assert_same(spec, f[-n:][order], Z[-n:][order])


def test_utf16_and_empty_files(tmp_path, example) -> None:
    f, Z = example
    text = "Frequency (Hz);Z' (Ω);-Z'' (Ω)\n" + "".join(f"{a};{b};{c}\n" for a, b, c in zip(f, Z.real, -Z.imag))
    path = tmp_path / "nova.txt"
    path.write_text(text.replace(".", ","), encoding="utf-16")
    assert detect_format(path) == "csv"
    spec = read_eis(path)
    assert spec.meta["encoding"] == "utf-16"
    np.testing.assert_allclose(spec.Z_ohm, Z, rtol=1e-12)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ReaderError, match=r"empty\.csv: not a recognised impedance format"):
        read_eis(empty)
    with pytest.raises(ReaderError, match=r"empty\.csv: no time-series reader for format 'unknown'"):
        read_series(empty)
