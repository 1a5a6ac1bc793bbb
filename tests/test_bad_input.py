"""Bad input at the command line: each fault is one ``error:`` line naming the file, line or field,
exit status 1, no traceback, and nothing stored or written. Results tables (numbers only as numbers,
plausible values, ``#`` as data, ragged rows, XLSX cells), campaign files (strict numbers, ranges,
lengths, nesting, encoding), manifests (files under the manifest's folder, metadata numbers,
plausible derived values), amend, and ``--out`` that never overwrites; ``--force`` and
``--allow-outside`` where the value or the file is right."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from optiform import Campaign
from optiform.sim.cell import synthetic_blocking_cell

Cli = Callable[..., Any]
OBJ = "conductivity_mS_cm"
STORED = [0.4, 0.5, 0.6]  # mS/cm: F0001-F0003; F0004-F0006 are pending


@pytest.fixture
def lab(tmp_path: Path, small_spec: Path) -> Path:
    """The "small" campaign in tmp_path/optiform.db (the CLI's default store there): six proposals,
    three with a conductivity recorded."""
    c = Campaign.create(small_spec, store=f"sqlite:///{tmp_path / 'optiform.db'}", seed=0)
    batch = c.propose(6, strategy="sobol")
    c.record(pd.DataFrame({"id": batch["id"][:3], OBJ: STORED}))
    c.close()
    return tmp_path


def snapshot(folder: Path) -> tuple[int, list[tuple[Any, ...]]]:
    """What the store holds: the number of formulations and every measurement's current version."""
    c = Campaign.open(f"sqlite:///{folder / 'optiform.db'}")
    try:
        m = c.store.measurements(c.id)
        rows = [(r.label, r.replicate, r.status, r.note, r.version, sorted(r.values.items())) for r in m.itertuples()]
        return len(c.store.formulations(c.id)), rows
    finally:
        c.close()


def refused(result: Any, *fragments: str) -> str:
    """The run ended in exactly one ``error:`` line holding every fragment, exit 1, no traceback."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return name


# --- results tables: numbers only as numbers ------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "fragments"),
    [
        ("True", ["r.csv: line 2: conductivity_mS_cm: expected a number in mS/cm, got 'True' (a boolean)"]),
        ("false", ["got 'false' (a boolean)"]),
        ('"1,234"', ["got '1,234' (use a '.' decimal point and no thousands separator)"]),
        ('"0,61"', ["got '0,61' (use a '.' decimal point"]),
        ("1_000", ["got '1_000' (write it without '_')"]),
        ("1e309", ["line 2: conductivity_mS_cm: expected a finite number, got '1e309' (beyond the float range"]),
        ("inf", ["expected a finite number, got 'inf'"]),
        ("-nan", ["expected a finite number, got '-nan'"]),
        ("0.5 mS", ["expected a number in mS/cm, got '0.5 mS'"]),
        ("-0.5", ["must be > 0 mS/cm (modelled on a log scale), got -0.5"]),
    ],
)
def test_a_cell_that_is_not_a_number_is_refused(lab: Path, cli: Cli, cell: str, fragments: list[str]) -> None:
    before = snapshot(lab)
    write(lab, "r.csv", f"id,{OBJ}\nF0004,{cell}\n")
    refused(cli("record", "r.csv", ok=False), *fragments)
    assert snapshot(lab) == before


@pytest.mark.parametrize(
    ("cell", "fragments"),
    [
        ("1e20", ["line 2: replicate: expected a whole number >= 1 (at most 1000000), got '1e20'"]),
        ("inf", ["replicate: expected a whole number >= 1", "got 'inf'"]),
        ("0", ["got '0'"]),
        ("1.5", ["got '1.5'"]),
        ("True", ["got 'True'"]),
    ],
)
def test_a_replicate_is_a_whole_number_up_to_a_million(lab: Path, cli: Cli, cell: str, fragments: list[str]) -> None:
    before = snapshot(lab)
    write(lab, "r.csv", f"id,{OBJ},replicate\nF0004,0.5,{cell}\n")
    refused(cli("record", "r.csv", ok=False), *fragments)
    assert snapshot(lab) == before


def test_a_literature_row_with_a_decimal_comma_is_refused(lab: Path, cli: Cli) -> None:
    before = snapshot(lab)
    write(lab, "lit.csv", f'A,B,C,T,{OBJ}\n"50,5",29.5,20,0.5,0.3\n')
    refused(cli("record", "lit.csv", ok=False), "lit.csv: line 2: A: expected a number >= 0 wt%, got '50,5'")
    assert snapshot(lab) == before


# --- results tables: plausible values --------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        (
            "1e300",
            [
                "r.csv: line 2: conductivity_mS_cm = 1e+300 lies outside the built-in plausible range [1e-07, 1000] mS/cm"
            ],
        ),
        ("4500", ["4500 lies outside", "looks like µS/cm (÷1000 = 4.5 mS/cm)", "--force"]),
        ("0.00045", ["0.00045 is 1111× below the median 0.5 mS/cm of its 3 other values", "looks like S/cm (×1000"]),
        ("550", ["550 is 1100× above the median 0.5 mS/cm", "looks like µS/cm (÷1000 = 0.55 mS/cm)"]),
    ],
)
def test_an_implausible_value_is_refused_naming_the_slip(lab: Path, cli: Cli, value: str, fragments: list[str]) -> None:
    before = snapshot(lab)
    write(lab, "r.csv", f"id,{OBJ}\nF0004,{value}\n")
    refused(cli("record", "r.csv", ok=False), *fragments)
    assert snapshot(lab) == before


def test_a_file_mixing_units_is_refused_row_by_row(lab: Path, cli: Cli) -> None:
    """S/cm and µS/cm values in the mS/cm column, among right ones: each slip on its own line."""
    write(lab, "r.csv", f"id,{OBJ}\nF0004,0.45\nF0005,0.0003\nF0006,5200\n")
    result = cli("record", "r.csv", ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: r.csv: line 3: ") and lines[1].startswith("r.csv: line 4: ")
    assert "looks like S/cm (×1000 = 0.3 mS/cm)" in lines[0] and "looks like µS/cm (÷1000 = 5.2 mS/cm)" in lines[1]


def test_force_stores_an_implausible_value_and_says_so_in_its_note(lab: Path, cli: Cli) -> None:
    write(lab, "r.csv", f"id,{OBJ},note\nF0004,4500,aqueous\n")
    assert "recorded 1 measurement(s)" in cli("record", "r.csv", "--force").output
    _, rows = snapshot(lab)
    label, _, status, note, _, values = rows[-1]
    assert (label, status, values) == ("F0004", "ok", [(OBJ, 4500.0)])
    assert note.startswith("aqueous; stored with --force: conductivity_mS_cm = 4500 lies outside")


def test_a_declared_plausible_range_replaces_the_built_in_one(tmp_path: Path, cli: Cli, small_spec: Path) -> None:
    text = small_spec.read_text().replace(f'name = "{OBJ}"', f'name = "{OBJ}"\nplausible = [1, 2000]')
    write(tmp_path, "aq.toml", text)
    cli("init", "aq.toml")
    cli("propose", "-n", "2", "--out", "b.csv")
    ids = list(pd.read_csv(tmp_path / "b.csv")["id"])
    write(tmp_path, "r.csv", f"id,{OBJ}\n{ids[0]},1500\n{ids[1]},0.5\n")
    refused(
        cli("record", "r.csv", ok=False),
        "r.csv: line 3: conductivity_mS_cm = 0.5 lies outside the plausible range [1, 2000] mS/cm",
        "looks like S/cm (×1000 = 500 mS/cm)",
    )


# --- results tables: what a file holds --------------------------------------------------------
def test_hash_is_data_not_a_comment(lab: Path, cli: Cli) -> None:
    write(lab, "r.csv", f"id,{OBJ},note\nF0004,0.45,film #2 (retest)\n")
    cli("record", "r.csv")
    assert snapshot(lab)[1][-1][3] == "film #2 (retest)"
    before = snapshot(lab)
    write(lab, "c.csv", f"id,{OBJ}\n#F0005,0.5\n")  # not silently dropped
    refused(cli("record", "c.csv", ok=False), "c.csv: line 2: unknown sample id '#F0005'")
    assert snapshot(lab) == before


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (f"id,{OBJ}\nF0004,0.5,3\n", ["r.csv: line 2: 3 cells, the header (line 1) has 2"]),
        (f"id,{OBJ},note\nF0004,0.5,a,b\n", ["r.csv: line 2: 4 cells, the header (line 1) has 3"]),
        (f"id,{OBJ},{OBJ}\nF0004,0.5,0.6\n", ["r.csv: line 1: column(s) conductivity_mS_cm named twice"]),
        (f"id,,{OBJ}\nF0004,x,0.5\n", ["r.csv: line 2: a value in column 2, which has no name in the header"]),
        ("", ["r.csv: cannot read as a table: no header line"]),
        (f'id,{OBJ}\nF0004,"0.5\nF0005,0.4\n', ['r.csv: line 2: a quote (") opened on this line is never closed']),
        (f"id,{OBJ}\nF0004,0.5\nF\x0005,0.4\n", ["r.csv: line 3: a NUL byte; not a CSV table"]),
    ],
)
def test_a_malformed_table_is_one_line(lab: Path, cli: Cli, text: str, fragments: list[str]) -> None:
    before = snapshot(lab)
    write(lab, "r.csv", text)
    refused(cli("record", "r.csv", ok=False), *fragments)
    assert snapshot(lab) == before


def test_trailing_empty_cells_and_blank_rows_are_fine(lab: Path, cli: Cli) -> None:
    write(lab, "r.csv", f"id,{OBJ},note,\nF0004,4.5e-1,,\n,,,\n\nF0005,+.5\n")
    assert "recorded 2 measurement(s)" in cli("record", "r.csv").output
    assert [row[5] for row in snapshot(lab)[1][-2:]] == [[(OBJ, 0.45)], [(OBJ, 0.5)]]


def test_not_utf8_is_one_line(lab: Path, cli: Cli) -> None:
    text = f"id,{OBJ},note\nF0004,0.5,caf\xe9\n"
    (lab / "r.csv").write_bytes(text.encode("latin-1"))
    byte = text.index("\xe9")
    refused(cli("record", "r.csv", ok=False), f"r.csv: not UTF-8 text (byte {byte}); save it as CSV UTF-8")


def test_a_folder_or_a_missing_file_is_one_line(lab: Path, cli: Cli) -> None:
    (lab / "folder.csv").mkdir()
    refused(cli("record", "folder.csv", ok=False), "folder.csv: cannot read the results (Is a directory)")
    refused(cli("record", "nothere.csv", ok=False), "nothere.csv: file not found")


def xlsx(path: Path, rows: list[list[Any]]) -> str:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    book.save(path)
    return path.name


@pytest.mark.parametrize(
    ("cell", "fragments"),
    [
        (dt.datetime(2024, 1, 5), ["r.xlsx: line 2: conductivity_mS_cm: expected a number in mS/cm", "(a date cell)"]),
        (dt.time(0, 30), ["(a date cell)"]),
        (True, ["got True (a boolean)"]),
        ("1,5", ["got '1,5' (use a '.' decimal point"]),
    ],
)
def test_an_xlsx_cell_that_is_not_a_number_is_refused(lab: Path, cli: Cli, cell: Any, fragments: list[str]) -> None:
    before = snapshot(lab)
    name = xlsx(lab / "r.xlsx", [["id", OBJ], ["F0004", cell]])
    refused(cli("record", name, ok=False), *fragments)
    assert snapshot(lab) == before


def test_xlsx_numbers_and_text_numbers_are_recorded(lab: Path, cli: Cli) -> None:
    name = xlsx(lab / "r.xlsx", [["id", OBJ, "replicate"], ["F0004", 0.45, 1], ["F0005", "0.5", 2.0]])
    assert "recorded 2 measurement(s)" in cli("record", name).output
    assert [(*row[:2], row[5]) for row in snapshot(lab)[1][-2:]] == [
        ("F0004", 1, [(OBJ, 0.45)]),
        ("F0005", 2, [(OBJ, 0.5)]),
    ]


@pytest.mark.parametrize("content", [b"not a workbook", b"PK\x03\x04" + b"\x00" * 40])
def test_a_corrupt_xlsx_is_one_line(lab: Path, cli: Cli, content: bytes) -> None:
    (lab / "r.xlsx").write_bytes(content)
    refused(cli("record", "r.xlsx", ok=False), "r.xlsx: cannot read as an XLSX workbook")


def test_an_old_xls_is_one_line(lab: Path, cli: Cli) -> None:
    (lab / "r.xls").write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    refused(cli("record", "r.xls", ok=False), "r.xls: an old Excel .xls file; save it as .xlsx or .csv")


# --- amend --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ("true", ["amend F0001 replicate 1: conductivity_mS_cm: expected a number in mS/cm, got 'true' (a boolean)"]),
        ("0,61", ["got '0,61' (use a '.' decimal point"]),
        ("1_000", ["without '_'"]),
        ("1e309", ["expected a finite number"]),
        ("0.0004", ["0.0004 is 1250× below the median 0.5 mS/cm", "looks like S/cm (×1000 = 0.4 mS/cm)"]),
    ],
)
def test_amend_refuses_what_record_refuses(lab: Path, cli: Cli, value: str, fragments: list[str]) -> None:
    cli("record", write(lab, "r.csv", f"id,{OBJ}\nF0004,0.5\n"))  # F0001's 3 other values: 0.5, 0.6, 0.5
    before = snapshot(lab)
    refused(cli("amend", "F0001", "--replicate", "1", "--set", f"{OBJ}={value}", "--reason", "x", ok=False), *fragments)
    assert snapshot(lab) == before


def test_amend_force_keeps_the_reason_in_the_history(lab: Path, cli: Cli) -> None:
    cli("record", write(lab, "r.csv", f"id,{OBJ}\nF0004,0.5\n"))
    cli("amend", "F0001", "--replicate", "1", "--set", f"{OBJ}=0.0004", "--reason", "thin film", "--force")
    c = Campaign.open(f"sqlite:///{lab / 'optiform.db'}")
    try:
        last = c.history("F0001").iloc[-1]
    finally:
        c.close()
    assert last["values"] == {OBJ: 0.0004}
    assert last["reason"].startswith("thin film (stored with --force: conductivity_mS_cm = 0.0004 is 1250× below")


# --- campaign files -----------------------------------------------------------------------------
BASE = """version = 1
name = "bad"
[mixture]
total = 100
resolution = 1
[mixture.components]
A = { min = 10, max = 80 }
B = { min = 10, max = 80 }
C = { min = 0, max = 50 }
[[objectives]]
name = "conductivity_mS_cm"
"""


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (
            ("C = { min = 0,", "C = { min = true,"),
            ["bad.toml: mixture.components.C.min: Input should be a valid number, got true"],
        ),
        (("total = 100", 'total = "100"'), ['mixture.total: Input should be a valid number, got "100"']),
        (
            ('name = "bad"', 'name = "bad"\nreference_temperature_C = -300'),
            [
                "reference_temperature_C: expected a temperature in °C above -273.15 (absolute zero) and at most 1000",
                "got -300",
            ],
        ),
        (
            ('name = "bad"', 'name = "bad"\nreference_temperature_C = -273.15'),
            ["reference_temperature_C: expected a temperature in °C above -273.15 (absolute zero)", "got -273.15"],
        ),
        (
            ('name = "bad"', 'name = "bad"\nreference_temperature_C = 303.15e1'),
            ["reference_temperature_C", "got 3031.5"],
        ),
        (('name = "bad"', f'name = "{"x" * 5000}"'), ["bad.toml: name: String should have at most 100 characters"]),
        (("C = {", f"{'C' * 5000} = {{"), ["is 5000 characters long; a name has at most 100"]),
        (
            ("[[objectives]]", '[parameters]\nsolvent = { choices = ["", "EC"] }\n[[objectives]]'),
            ["parameters.solvent.choices: a choice must be a non-empty name (got '')"],
        ),
        (
            ("[[objectives]]", '[parameters]\nsolvent = { choices = [" EC", "DMC"] }\n[[objectives]]'),
            ["has spaces around it"],
        ),
        (
            ("[[objectives]]", '[parameters]\nsolvent = { choices = ["EC", "EC"] }\n[[objectives]]'),
            ["choices must be distinct"],
        ),
        (
            ("[[objectives]]", '[parameters]\nsolvent = { choices = ["EC", 2] }\n[[objectives]]'),
            ["parameters.solvent.choices.1: Input should be a valid string, got 2"],
        ),
        (
            ('name = "conductivity_mS_cm"', 'name = "conductivity_mS_cm"\nplausible = [1, 0.5]'),
            ["objectives.0.plausible: lo must be < hi (got [1, 0.5])"],
        ),
        (
            ('name = "conductivity_mS_cm"', 'name = "conductivity_mS_cm"\nplausible = [0, 10]'),
            ["objectives.0.plausible: conductivity_mS_cm is modelled on a log scale: lo must be > 0"],
        ),
        (('name = "conductivity_mS_cm"', 'name = "conductivity_mS_cm"\nplausible = [1]'), ["expected [lo, hi]"]),
        (
            ('name = "conductivity_mS_cm"', 'name = "conductivity_mS_cm"\nplausible = [true, 2]'),
            ["objectives.0.plausible.0: Input should be a valid number, got true"],
        ),
        (
            ('name = "conductivity_mS_cm"', 'name = "conductivity_mS_cm"\nplausible = [1e-3, inf]'),
            ["objectives.0.plausible.1: Input should be a finite number"],
        ),
        (("max = 80 }\nB", "max = 1e309 }\nB"), ["mixture.components.A.max: Input should be a finite number"]),
        (
            ("max = 80 }\nB", "max = 1" + "0" * 400 + " }\nB"),
            ["mixture.components.A.max: Input should be a valid number, got 1000"],
        ),
        (
            ("[[objectives]]", "[strategy]\nn_initial = 6.0\n[[objectives]]"),
            ["strategy.n_initial: Input should be a valid integer, got 6.0"],
        ),
        (
            ("[[objectives]]", "[strategy]\noptions = { num_restarts = 80000000 }\n[[objectives]]"),
            ["strategy.options.num_restarts: must be a positive whole number up to 10000"],
        ),
    ],
)
def test_a_bad_campaign_file_is_one_line_and_stores_nothing(
    tmp_path: Path, cli: Cli, change: tuple[str, str], fragments: list[str]
) -> None:
    assert change[0] in BASE
    write(tmp_path, "bad.toml", BASE.replace(change[0], change[1], 1))
    refused(cli("init", "bad.toml", ok=False), *fragments)
    assert not (tmp_path / "optiform.db").exists()


def test_a_deeply_nested_or_not_utf8_campaign_file_is_one_line(tmp_path: Path, cli: Cli) -> None:
    write(tmp_path, "deep.toml", BASE + "x = " + "[" * 5000 + "]" * 5000 + "\n")
    refused(cli("init", "deep.toml", ok=False), "deep.toml: not a campaign file: arrays or tables nested too deeply")
    (tmp_path / "latin.toml").write_bytes(BASE.replace("bad", "caf\xe9").encode("latin-1"))
    refused(cli("init", "latin.toml", ok=False), "latin.toml: not UTF-8 text (byte 23)")
    (tmp_path / "dir.toml").mkdir()
    refused(cli("init", "dir.toml", ok=False), "dir.toml: cannot read campaign file")
    assert not (tmp_path / "optiform.db").exists()


# --- manifests ----------------------------------------------------------------------------------
def write_eis(path: Path, sigma_mS_cm: float) -> Path:
    s = synthetic_blocking_cell(sigma_mS_cm, thickness_um=100, diameter_mm=16, noise_rel=0.002, seed=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"Frequency (Hz)": s.frequency_Hz, "Z' (ohm)": s.Z_ohm.real, "Z'' (ohm)": s.Z_ohm.imag}).to_csv(
        path, index=False
    )
    return path


HEADER = "id,kind,file,thickness_um,area_cm2,temperature_C\n"


def test_a_manifest_file_outside_its_folder_is_refused(lab: Path, cli: Cli) -> None:
    write_eis(lab / "elsewhere" / "f.csv", 0.5)
    (lab / "raw").mkdir()
    before = snapshot(lab)
    for i, (name, fragment) in enumerate(
        [("../elsewhere/f.csv", "'../elsewhere/f.csv'"), (str(lab / "elsewhere" / "f.csv"), "elsewhere/f.csv'")]
    ):
        write(lab / "raw", f"m{i}.csv", HEADER + f"F0004,eis,{name},100,2.0106,30\n")
        refused(
            cli("ingest", f"raw/m{i}.csv", ok=False),
            f"raw/m{i}.csv: line 2: file ",
            fragment,
            "lies outside the manifest's folder raw",
            "pass --allow-outside",
        )
    os.symlink(lab / "elsewhere" / "f.csv", lab / "raw" / "link.csv")
    write(lab / "raw", "m.csv", HEADER + "F0004,eis,link.csv,100,2.0106,30\n")
    refused(cli("ingest", "raw/m.csv", ok=False), "file 'link.csv' lies outside", str(lab / "elsewhere" / "f.csv"))
    assert snapshot(lab) == before
    assert "ingested 1 measurement(s)" in cli("ingest", "raw/m.csv", "--allow-outside").output


@pytest.mark.parametrize(
    ("row", "fragments"),
    [
        ('F0004,eis,f.csv,"0,1",2.0106,30', ["m.csv: line 2: thickness_um: expected a number, got '0,1' (use a '.'"]),
        ("F0004,eis,f.csv,100,2.0106,true", ["temperature_C: expected a number, got 'true' (a boolean)"]),
        (
            "F0004,eis,f.csv,100,2.0106,-300",
            ["temperature_C: expected a temperature in °C above -273.15 (absolute zero) and at most 1000"],
        ),
        ("F0004,eis,f.csv,1e309,2.0106,30", ["thickness_um: expected a finite number, got '1e309'"]),
        ("F0004,eis,f.csv,100,2.0106,30,extra", ["m.csv: line 2: 7 cells, the header (line 1) has 6"]),
    ],
)
def test_bad_manifest_metadata_is_one_line(lab: Path, cli: Cli, row: str, fragments: list[str]) -> None:
    write_eis(lab / "raw" / "f.csv", 0.5)
    write(lab / "raw", "m.csv", HEADER + row + "\n")
    before = snapshot(lab)
    refused(cli("ingest", "raw/m.csv", ok=False), *fragments)
    assert snapshot(lab) == before


def test_a_folder_as_the_manifest_is_one_line(lab: Path, cli: Cli) -> None:
    (lab / "raw").mkdir()
    refused(cli("ingest", "raw", ok=False), "raw: cannot read the manifest (Is a directory)")


def test_a_thickness_in_mm_gives_an_implausible_conductivity(lab: Path, cli: Cli) -> None:
    """0.05 (mm) in the thickness_um column: the conductivity comes out 2000× too low."""
    write_eis(lab / "raw" / "f.csv", 0.5)
    write(lab / "raw", "m.csv", HEADER + "F0004,eis,f.csv,0.05,2.0106,30\n")
    before = snapshot(lab)
    refused(
        cli("ingest", "raw/m.csv", ok=False),
        "raw/m.csv: line 2: F0004 (eis, group F0004): conductivity_mS_cm = 0.00025",
        "× below the median",
        "check the manifest's metadata",
        "--force",
    )
    assert snapshot(lab) == before
    cli("ingest", "raw/m.csv", "--force")
    assert "stored with --force: conductivity_mS_cm = 0.00025" in snapshot(lab)[1][-1][3]


# --- --out never overwrites ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("propose", "-n", "1", "--out", "keep.csv"), "keep.csv"),
        (("export", "--batch", "1", "--batch-mass-g", "2", "--out", "keep.csv"), "keep.csv"),
        (("pareto", "--csv", "keep.csv"), "keep.csv"),
        (("plot", "ternary", "--out", "keep.png"), "keep.png"),
        (("plot", "nyquist", "F0001", "--out", "keep.png"), "keep.png"),
        (("plot", "arrhenius", "F0001", "--out", "keep.png"), "keep.png"),
    ],
)
def test_out_refuses_an_existing_file_before_anything_is_stored(
    lab: Path, cli: Cli, args: tuple[str, ...], name: str
) -> None:
    (lab / name).write_text("precious")
    before = snapshot(lab)
    option = "--csv" if "--csv" in args else "--out"
    refused(cli(*args, ok=False), f"{option} {name}: exists; choose another name, or pass --force to overwrite it")
    assert (lab / name).read_text() == "precious"
    assert snapshot(lab) == before


def test_out_with_force_overwrites_and_a_folder_is_refused(lab: Path, cli: Cli) -> None:
    (lab / "keep.csv").write_text("old")
    cli("propose", "-n", "1", "--out", "keep.csv", "--force")
    assert pd.read_csv(lab / "keep.csv")["id"].tolist() == ["F0007"]
    (lab / "folder.csv").mkdir()
    before = snapshot(lab)
    refused(cli("propose", "-n", "1", "--out", "folder.csv", "--force", ok=False), "--out folder.csv: is a folder")
    refused(cli("propose", "-n", "1", "--out", "keep.csv/b.csv", ok=False), "--out keep.csv/b.csv: keep.csv is a file")
    assert snapshot(lab) == before


def test_out_in_a_folder_that_takes_no_file_stores_nothing(lab: Path, cli: Cli, read_only) -> None:
    (lab / "locked").mkdir()
    read_only(lab / "locked")
    before = snapshot(lab)
    refused(
        cli("propose", "-n", "1", "--out", "locked/batch.csv", ok=False),
        "--out locked/batch.csv: cannot write in locked",
    )
    assert snapshot(lab) == before and not list((lab / "locked").iterdir())


@pytest.mark.parametrize("mass", ["inf", "nan", "0"])
def test_a_batch_mass_that_is_not_a_finite_positive_number_is_refused(lab: Path, cli: Cli, mass: str) -> None:
    before = snapshot(lab)
    refused(cli("propose", "-n", "1", "--batch-mass-g", mass, ok=False), "--batch-mass-g must be > 0 g and finite")
    refused(cli("export", "--batch", "1", "--batch-mass-g", mass, "--out", "w.csv", ok=False), "--batch-mass-g")
    assert snapshot(lab) == before and not (lab / "w.csv").exists()


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("0_5", "fixed T='0_5': expected a number, got '0_5' (write it without '_')"),
        ("true", "fixed T='true': expected a number, got 'true' (a boolean)"),
        ("0,5", "got '0,5' (use a '.' decimal point"),
        ("nan", "fixed T='nan': expected a finite number"),
    ],
)
def test_a_fixed_value_is_a_number_only_as_a_number(lab: Path, cli: Cli, value: str, fragment: str) -> None:
    before = snapshot(lab)
    refused(cli("propose", "-n", "1", "--fix", f"T={value}", ok=False), fragment)
    assert snapshot(lab) == before
