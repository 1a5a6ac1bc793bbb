"""Shared fixtures: a fresh SQLite store URL, the campaign files most tests use, a factory of
campaigns each in its own store under the test's ``tmp_path`` (closed at teardown), and the command
line run in ``tmp_path``."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from optiform import Campaign
from optiform.spec import CampaignSpec

ROOT = Path(__file__).resolve().parents[1]
LLZT_SPEC = ROOT / "campaigns" / "llzt-cse" / "campaign.toml"

# three components summing to 100 on a 1 wt% lattice, one parameter T on a 0.05 lattice
SMALL_SPEC = """
version = 1
name = "small"
[mixture]
total = 100
resolution = 1
[mixture.components]
A = { min = 10, max = 80 }
B = { min = 10, max = 80 }
C = { min = 0, max = 50 }
[parameters]
T = { min = 0.0, max = 1.0, resolution = 0.05 }
[[objectives]]
name = "conductivity_mS_cm"
[strategy]
n_initial = 6
"""

SpecSource = str | Path | dict[str, Any] | CampaignSpec
MakeCampaign = Callable[..., Campaign]


@pytest.fixture(scope="session")
def benchmark_script() -> Callable[[str], ModuleType]:
    """``benchmark_script("targets")``: the module ``benchmarks/targets.py``, loaded once per name
    (registered in ``sys.modules``: dataclasses look their module up)."""

    def load(name: str) -> ModuleType:
        path = ROOT / "benchmarks" / f"{name}.py"
        loaded = sys.modules.get(name)
        if loaded is not None and Path(getattr(loaded, "__file__", "") or "") == path:
            return loaded
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A SQLite store URL in the test's folder; the file is created when first opened."""
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def llzt_spec() -> Path:
    """The paper's campaign file, campaigns/llzt-cse/campaign.toml."""
    return LLZT_SPEC


@pytest.fixture
def small_spec(tmp_path: Path) -> Path:
    """The "small" campaign file (A, B, C summing to 100, parameter T, n_initial 6) in the test's folder."""
    path = tmp_path / "small.toml"
    path.write_text(SMALL_SPEC)
    return path


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``cli(*args, ok=True)``: run the command line in ``tmp_path`` (no $OPTIFORM_STORE) with typer's
    CliRunner; with ``ok`` the exit status must be 0. Returns the click Result."""
    from typer.testing import CliRunner

    from optiform.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPTIFORM_STORE", raising=False)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> Any:
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output + str(result.exception)
        return result

    return run


@pytest.fixture
def make_campaign(tmp_path: Path) -> Iterator[MakeCampaign]:
    """``make_campaign(spec=<llzt>, seed=0, name="run")``: a campaign created from ``spec`` (a path,
    TOML text, a dict or a CampaignSpec) in its own store ``tmp_path/<name>.db``; TOML text (a string
    with a line break) is first written to ``tmp_path/<name>.toml``. ``seed=None`` draws a random
    seed. Every campaign made is closed at teardown."""
    made: list[Campaign] = []

    def make(spec: SpecSource = LLZT_SPEC, seed: int | None = 0, name: str = "run") -> Campaign:
        if isinstance(spec, str) and "\n" in spec:  # TOML text, not a path
            path = tmp_path / f"{name}.toml"
            path.write_text(spec)
            spec = path
        campaign = Campaign.create(spec, store=f"sqlite:///{tmp_path / name}.db", seed=seed)
        made.append(campaign)
        return campaign

    yield make
    for campaign in made:
        campaign.close()


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """``read_only(path)``: make a file or folder read-only for this process (``chattr +i`` as root,
    who ignores permissions; else the permission bits); undone at teardown."""
    undo: list[Callable[[], None]] = []

    def make(path: Path) -> None:
        if os.geteuid() != 0:
            mode = path.stat().st_mode
            path.chmod(0o555 if path.is_dir() else 0o444)
            undo.append(lambda: path.chmod(mode))
            return
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("root without chattr +i: cannot make a file read-only")
        undo.append(lambda: subprocess.run([chattr, "-i", str(path)], check=True))

    yield make
    for step in reversed(undo):
        step()
