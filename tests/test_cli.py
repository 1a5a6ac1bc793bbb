"""Every CLI command on a temporary store: output, files written, errors as one message + exit 1."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from optiform.recipe import read_weighing_sheet

SMALL = """
version = 1
name = "cli-small"
[mixture]
resolution = 1
[mixture.components]
A = { min = 10, max = 80 }
B = { min = 10, max = 80 }
C = { min = 0, max = 50 }
[[objectives]]
name = "conductivity_mS_cm"
[strategy]
n_initial = 4
"""


@pytest.mark.slow
def test_full_loop_through_the_cli(cli, tmp_path: Path) -> None:
    (tmp_path / "small.toml").write_text(SMALL)
    out = cli("init", "small.toml").output
    assert "created campaign cli-small" in out
    assert (tmp_path / "optiform.db").exists()  # the default store in the working directory

    out = cli("propose", "-n", "4", "--out", "batch1.csv").output
    batch = pd.read_csv(tmp_path / "batch1.csv")
    assert len(batch) == 4 and (batch[["A", "B", "C"]].sum(axis=1) == 100).all()
    assert "F0001" in out

    results = batch[["id"]].assign(conductivity_mS_cm=[0.2, 0.4, 0.3, 0.1])
    results.loc[3, "conductivity_mS_cm"] = None
    results["status"] = ["ok", "ok", "ok", "failed"]
    results.to_csv(tmp_path / "results1.csv", index=False)
    assert "recorded 4 measurement(s)" in cli("record", "results1.csv").output
    again = cli("record", "results1.csv").output
    assert "4 already stored (not stored again)" in again and "already stored: results1.csv: line 2" in again

    out = cli("status").output
    assert "measured: 3" in out and "failed: 1" in out and "best conductivity_mS_cm: 0.4" in out

    cli("propose", "-n", "2")  # model-based now (4 results >= n_initial)
    out = cli("plot", "ternary", "--out", "map.png").output
    assert (tmp_path / "map.png").stat().st_size > 20_000 and "wrote" in out
    cli("plot", "ternary", "--out", "map.svg")
    assert (tmp_path / "map.svg").read_text().startswith("<?xml")


def test_status_says_the_design_continues_while_under_two_usable_results(cli, tmp_path: Path) -> None:
    (tmp_path / "small.toml").write_text(SMALL)
    cli("init", "small.toml")
    cli("propose", "-n", "4", "--out", "batch1.csv")
    batch = pd.read_csv(tmp_path / "batch1.csv")
    results = batch[["id"]].assign(
        conductivity_mS_cm=[0.2, None, None, None], status=["ok", "failed", "failed", "failed"]
    )
    results.to_csv(tmp_path / "results1.csv", index=False)
    cli("record", "results1.csv")
    out = " ".join(cli("status").output.split())
    assert "next proposals: space-filling design continued (1 usable result(s); the model needs 2)" in out
    cli("propose", "-n", "2")  # no GP to fit yet: the design goes on instead of failing


def test_propose_with_weighing_sheet_xlsx(cli, tmp_path: Path, store_url: str, llzt_spec: Path) -> None:
    cli("--store", store_url, "init", str(llzt_spec))
    out = cli("--store", store_url, "propose", "-n", "2", "--batch-mass-g", "20", "--out", "b.xlsx").output
    assert "weighing sheet" in out and "LiTFSI_g" in out
    header, table = read_weighing_sheet(tmp_path / "b.xlsx")
    assert header["batch_mass_g"] == 20.0 and table["actual_g"].isna().all()
    assert ((table.groupby("id")["mass_g"].sum() - 20.0).abs() <= 6 * 0.00005).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("init", "missing.toml"), "missing.toml: campaign file not found"),
        (("status",), "no store at optiform.db; create one with 'optiform init FILE'"),
        (("--store", "sqlite:///:memory:", "status"), "holds no campaign; create one with 'optiform init FILE'"),
        (("propose", "-n", "2", "--out", "x.txt"), "--out x.txt: expected a .csv or .xlsx file name"),
        (("record", "nothere.csv"), "nothere.csv: file not found"),
    ],
)
def test_errors_are_one_message_and_exit_1(cli, tmp_path: Path, args, message: str) -> None:
    if args[0] in ("propose", "record"):
        (tmp_path / "small.toml").write_text(SMALL)
        cli("init", "small.toml")
    result = cli(*args, ok=False)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_store_and_campaign_go_before_or_after_the_command(cli, tmp_path: Path, store_url: str) -> None:
    (tmp_path / "small.toml").write_text(SMALL)
    assert "created campaign cli-small" in cli("init", "small.toml", "--store", store_url).output
    assert "F0001" in cli("propose", "-n", "2", "--store", store_url, "--campaign", "cli-small").output
    assert "pending: 2" in cli("--store", store_url, "status").output
    assert "pending: 2" in cli("status", "--store", store_url).output
    assert not (tmp_path / "optiform.db").exists()  # the default store was never touched
    # after the command wins over before it
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert "pending: 2" in cli("--store", other, "status", "--store", store_url).output


def test_version(cli) -> None:
    from optiform import __version__

    out = cli("--version").output
    assert out.strip() == f"optiform {__version__}"


def test_list_shows_the_campaigns_of_a_store(cli, tmp_path: Path, store_url: str, llzt_spec: Path) -> None:
    (tmp_path / "small.toml").write_text(SMALL)
    cli("init", "small.toml", "--store", store_url)
    cli("init", str(llzt_spec), "--store", store_url)
    cli("propose", "-n", "3", "--store", store_url, "--campaign", "cli-small")
    out = cli("list", "--store", store_url).output
    assert "cli-small" in out and "llzt-cse" in out
    assert re.search(r"cli-small\s*│\s*3\s*│\s*0\s*│\s*3\s*│", out), out  # formulations, measurements, pending
    assert re.search(r"llzt-cse\s*│\s*0\s*│\s*0\s*│\s*0\s*│", out), out
    empty = cli("list", "--store", f"sqlite:///{tmp_path / 'none.db'}", ok=False)
    assert empty.exit_code == 1 and "no store at" in empty.output


def test_an_unexpected_exception_is_a_bug_not_a_message(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only optiform's own errors become one-line messages; anything else keeps its traceback."""
    from optiform.campaign import Campaign

    (tmp_path / "small.toml").write_text(SMALL)
    cli("init", "small.toml")

    def broken(self, *args, **kwargs):
        raise KeyError("internal")

    monkeypatch.setattr(Campaign, "formulations", broken)
    result = cli("status", ok=False)
    assert isinstance(result.exception, KeyError)
    assert "error:" not in result.output


def test_bad_results_file_exit_1_and_nothing_stored(cli, tmp_path: Path) -> None:
    (tmp_path / "small.toml").write_text(SMALL)
    cli("init", "small.toml")
    cli("propose", "-n", "2")
    (tmp_path / "bad.csv").write_text("id,conductivity_S_cm\nF0001,0.001\n")
    result = cli("record", "bad.csv", ok=False)
    assert result.exit_code == 1 and "unknown column(s) conductivity_S_cm" in result.output
    (tmp_path / "bad2.csv").write_text("id,conductivity_mS_cm\nF0001,0.3\nF0042,0.2\n")
    result = cli("record", "bad2.csv", ok=False)
    assert "bad2.csv: line 3: unknown sample id 'F0042'" in result.output
    assert "pending: 2" in cli("status").output


def test_bad_campaign_file_names_key(cli, tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(SMALL.replace("C = { min = 0, max = 50 }", "C = { min = 0, maxx = 50 }"))
    result = cli("init", "bad.toml", ok=False)
    assert result.exit_code == 1
    assert "bad.toml: mixture.components.C.maxx: unknown key" in result.output


def test_usage_error_exit_code(cli) -> None:
    assert cli("propose", "-n", "0", ok=False).exit_code == 2


@pytest.mark.parametrize("command", ["init", "propose", "export", "record", "status", "demo"])
def test_every_command_has_help_with_example(cli, command: str) -> None:
    assert "Example: optiform" in cli(command, "--help").output
    assert "Example: optiform" in cli("plot", "ternary", "--help").output


@pytest.mark.slow
def test_debug_shows_traceback(tmp_path: Path) -> None:
    """Through the installed console script: one line without --debug, a traceback with it."""
    env_store = f"sqlite:///{tmp_path / 'none.db'}"
    cmd = [sys.executable, "-m", "optiform.cli", "--store", env_store, "status"]
    plain = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert not (tmp_path / "none.db").exists()  # opening does not create an empty store
    assert plain.stderr.strip().startswith("error:") and len(plain.stderr.strip().splitlines()) == 1
    debug = subprocess.run([*cmd[:3], "--debug", *cmd[3:]], capture_output=True, text=True, cwd=tmp_path)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


@pytest.mark.slow
def test_demo_writes_map_and_csv(cli, tmp_path: Path) -> None:
    out = cli("demo", "--out", "demo", "--batches", "1", "--batch-size", "3").output
    assert "best found" in out and "virtual lab" in out
    data = pd.read_csv(tmp_path / "demo" / "campaign.csv")
    assert len(data) == 14 + 3
    assert (tmp_path / "demo" / "ternary.png").stat().st_size > 20_000
    again = cli("demo", "--out", "demo", ok=False)
    assert again.exit_code == 1 and "not empty" in again.output
