"""The notebooks: committed with their outputs (nothing failed when they were run), and each runs
top to bottom again here (01 quickstart; 02 raw files and flags; 03 your own mixture in mol%; 04 a
finished campaign; 05 several objectives; 06 literature and related data; 07 corrections and
changes), printing what it should.

Each is executed with nbclient in a fresh kernel (the ``python3`` kernel of this interpreter) whose
working directory is ``tmp_path``; ``TMPDIR`` points there too, so the notebook's
``tempfile.mkdtemp()`` folder is created inside ``tmp_path``. No network is needed and the test does
not depend on the current directory. ``make notebooks`` stores them again with fresh outputs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOK = NOTEBOOKS / "01-quickstart.ipynb"
CORRECTIONS = NOTEBOOKS / "07-corrections-and-changes.ipynb"
CELL_TIMEOUT_S = 300
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXPECTED = ("01", "02", "03", "04", "05", "06", "07")


def _texts(nb) -> str:
    """All text the code cells printed or returned, in order."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def _images(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def _run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # run from a clean slate, not the committed outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError (with the traceback) if any cell fails
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    return nb


def test_the_notebooks_are_all_there() -> None:
    assert [p.name[:2] for p in sorted(NOTEBOOKS.glob("*.ipynb"))] == list(EXPECTED)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_is_committed_with_its_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: run it top to bottom (make notebooks)"
    assert any(c.outputs for c in code), f"{path.name}: stored without outputs"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: a cell failed when it was stored"
    streams = " ".join(o.text for c in code for o in c.outputs if o.output_type == "stream")
    noise = re.findall(r"\b(?:Deprecation|Future|Numerical|Runtime)Warning\b|Traceback", streams)
    assert not noise, f"{path.name}: stored with {noise}"  # optiform's own warnings are part of the story


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path, monkeypatch):
    nb = _run(NOTEBOOK, tmp_path, monkeypatch)
    text = _texts(nb)

    # the paper's formulation gives LiTFSI:LiDFOB = 19:1 mol on the weighing sheet
    assert "LiTFSI:LiDFOB = 19.00 : 1 (mol)" in text

    # the best measured conductivity is printed, positive and plausible for this system (mS/cm)
    m = re.search(r"Best measured conductivity: ([0-9.eE+-]+) mS/cm", text)
    assert m, text[-2000:]
    best = float(m.group(1))
    assert 0 < best < 5

    # the ternary map was written (inside tmp_path, via the notebook's temporary folder) and shown
    m = re.search(r"ternary map: (\S+\.png)", text)
    assert m, text[-2000:]
    png = Path(m.group(1))
    assert png.is_file() and png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert png.resolve().is_relative_to(tmp_path.resolve())
    assert _images(nb), "the ternary map is displayed inline"

    # the store lives next to it, and the kernel's working directory got nothing else
    assert (png.parent / "quickstart.db").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [png.parent.name]


@pytest.mark.slow
def test_raw_files_notebook_runs(tmp_path, monkeypatch):
    nb = _run(NOTEBOOKS / "02-raw-files-and-flags.ipynb", tmp_path, monkeypatch)
    text = _texts(nb)
    assert re.search(r"ingested \d+ measurement\(s\)", text)
    assert "1 flagged (kept out of the model until 'optiform accept ID')" in text and "no_onset" in text
    assert "retracted" in text and _images(nb) == 2  # the Arrhenius and Nyquist figures


@pytest.mark.slow
def test_own_mixture_notebook_runs(tmp_path, monkeypatch):
    nb = _run(NOTEBOOKS / "03-your-own-mixture.ipynb", tmp_path, monkeypatch)
    text = _texts(nb)
    assert "mixture.components.LiTFSI.min: min must be <= max (got min=5, max=2)" in text
    assert "recorded 6 measurement(s)" in text and "conductivity_mS_cm_median" in text
    assert _images(nb) == 1


@pytest.mark.slow
def test_finished_campaign_notebook_runs(tmp_path, monkeypatch):
    nb = _run(NOTEBOOKS / "04-finished-campaign.ipynb", tmp_path, monkeypatch)
    text = _texts(nb)
    assert "LOO R²" in text and "LOO 90% coverage" in text and "strategy: botorch" in text
    assert re.search(r"report: report\.html, \d+\.\d MB", text)
    assert _images(nb) == 4  # convergence, parity, two slices


@pytest.mark.slow
def test_several_objectives_notebook_runs(tmp_path, monkeypatch):
    nb = _run(NOTEBOOKS / "05-several-objectives.ipynb", tmp_path, monkeypatch)
    text = _texts(nb)
    assert "transference_number" in text and "oxidation_onset_V" in text
    assert "transference_number_median" in text and _images(nb) == 2  # the front, the two-row map


@pytest.mark.slow
def test_literature_notebook_runs(tmp_path, monkeypatch):
    nb = _run(NOTEBOOKS / "06-literature-and-related-data.ipynb", tmp_path, monkeypatch)
    text = _texts(nb)
    assert "recorded 14 measurement(s)" in text
    assert "1 row(s) outside the bounds (used by the model)" in text and "1 row(s) left out of the model" in text
    assert "SN = 75 > max 70" in text and "no value for porosity" in text and _images(nb) == 1


@pytest.mark.slow
def test_corrections_notebook_runs(tmp_path, monkeypatch):
    nb = _run(CORRECTIONS, tmp_path, monkeypatch)
    text = _texts(nb)
    # the sheet's grams agree with the hand computation (the notebook asserts it) and were printed
    assert re.search(r"by hand : \{'PEO': [0-9.]+", text)
    # the filled sheet records what was made; the same results again are already stored
    assert "recorded what was made for 6 formulation(s)" in text
    assert "recorded 0 measurement(s), 6 already stored" in text
    # the typo is amended (two versions), the short-circuited cell retracted and out of the model
    assert re.search(r"amended\s+ok", text) and "typo: decimal point" in text
    assert re.search(r"retracted: \['F\d{4}'\]", text)
    # the update widened a bound and added a parameter; literature points outside / incomplete
    assert "spec version 2 stored" in text and "anneal_C = 80" in text
    assert "1 row(s) outside the bounds (used by the model)" in text
    assert "1 row(s) left out of the model" in text
    # the batch's sheet again, with its header
    assert "batch,2" in text and "batch_mass_g,1.5" in text
    # everything went into the notebook's temporary folder
    assert len(list(tmp_path.iterdir())) == 1
