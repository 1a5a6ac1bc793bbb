"""The notebooks: stored without outputs, and each runs top to bottom (01: the quickstart on the
virtual lab; 02: a mol% campaign weighed, corrected, changed and given literature points).

The notebook is executed with nbclient in a fresh kernel (the ``python3`` kernel of this
interpreter) whose working directory is ``tmp_path``; ``TMPDIR`` points there too, so the
notebook's ``tempfile.mkdtemp()`` folder (store and ternary map) is created inside ``tmp_path``.
No network is needed and the test does not depend on the current directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOK = NOTEBOOKS / "01-quickstart.ipynb"
CORRECTIONS = NOTEBOOKS / "02-corrections-and-changes.ipynb"
CELL_TIMEOUT_S = 300
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError (with the traceback) if any cell fails

    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
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
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, "the ternary map is displayed inline"

    # the store lives next to it, and the kernel's working directory got nothing else
    assert (png.parent / "quickstart.db").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [png.parent.name]


@pytest.mark.slow
def test_corrections_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(CORRECTIONS, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
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
