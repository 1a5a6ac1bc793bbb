"""The error family at the command line: a user's mistake is one line naming what was expected and
exit status 1; the family's classes are still the built-in exceptions they replaced."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optiform import errors
from optiform.cli import app


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_spec: Path):
    """The "small" campaign (conftest) with three measured formulations; run(*args) invokes the CLI on it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPTIFORM_STORE", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), terminal_width=200)

    assert invoke("init", "small.toml").exit_code == 0
    assert invoke("propose", "-n", "3", "--out", "b.csv").exit_code == 0
    batch = pd.read_csv(tmp_path / "b.csv")
    batch[["id"]].assign(conductivity_mS_cm=[0.2, 0.3, 0.4]).to_csv(tmp_path / "r.csv", index=False)
    assert invoke("record", "r.csv").exit_code == 0
    return invoke


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("plot", "ternary", "--objective", "typo"),
            "unknown objective 'typo'; expected one of conductivity_mS_cm",
        ),
        (("plot", "ternary", "--axes", "A,B,D"), "axes: D not mixture component(s); expected three of A, B, C"),
        (("plot", "ternary", "--out", "map.jpg"), "map.jpg: cannot write a .jpg figure; use one of .png, .svg, .pdf"),
        (
            ("pareto", "--objectives", "typo"),
            "pareto: objectives must be distinct names among conductivity_mS_cm (got typo)",
        ),
        (("propose", "--fix", "T"), "--fix 'T': expected NAME=VALUE, e.g. framework=LLZT"),
        (("record", "."), ".: cannot read the results (Is a directory)"),
        (("ingest", "nothere.csv"), "nothere.csv: manifest not found"),
        (("plot", "ternary", "--out", "r.csv/map.png"), "--out r.csv/map.png: r.csv is a file, not a folder"),
        (("pareto", "--csv", "r.csv/front.csv"), "--csv r.csv/front.csv: r.csv is a file, not a folder"),
        (("demo", "--out", "r.csv"), "r.csv: is a file; the demo writes into a fresh folder"),
    ],
)
def test_a_mistake_is_one_line_and_exit_1(run, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.strip().splitlines() == [f"error: {message}"], result.output


def test_the_family_keeps_the_builtin_bases() -> None:
    for cls in (errors.SpecError, errors.DataError, errors.AnalysisError, errors.ReaderError, errors.StrategyError):
        assert issubclass(cls, errors.OptiformError) and issubclass(cls, ValueError)
    for cls in (errors.StoreError, errors.BenchError, errors.GridExhaustedError):
        assert issubclass(cls, errors.OptiformError) and issubclass(cls, RuntimeError)


def test_path_error_names_the_path_and_the_reason(tmp_path: Path) -> None:
    try:
        tmp_path.joinpath("missing", "x.csv").read_text()
    except OSError as exc:
        err = errors.path_error(tmp_path / "missing" / "x.csv", exc, "read the results")
    assert isinstance(err, errors.DataError)
    assert str(err) == f"{tmp_path / 'missing' / 'x.csv'}: cannot read the results (No such file or directory)"


def test_a_used_up_space_is_one_line_not_a_traceback(run) -> None:
    grid = run("propose", "-n", "500", "--strategy", "grid")
    assert grid.exit_code == 1 and grid.output.startswith("error: "), grid.output
    assert "grid has" in grid.output and len(grid.output.strip().splitlines()) == 1
    sobol = run("propose", "-n", "5000", "--strategy", "sobol", "--fix", "T=0.5")  # about 2,600 lattice points
    assert sobol.exit_code == 1 and sobol.output.startswith("error: "), sobol.output
    assert len(sobol.output.strip().splitlines()) == 1
