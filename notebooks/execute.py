"""Run the notebooks top to bottom, each in a fresh kernel in a temporary folder, and store them with
their outputs (``make notebooks``). A cell that fails stops the run and leaves the file unchanged.

    .venv/bin/python notebooks/execute.py                      # every notebook
    .venv/bin/python notebooks/execute.py notebooks/03-*.ipynb  # some
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbclient
import nbformat

CELL_TIMEOUT_S = 600


def execute(path: Path) -> float:
    """Execute ``path`` in a temporary working folder and write it back with its outputs; seconds."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="optiform-nb-") as work:
        os.environ["TMPDIR"] = work  # the notebooks' tempfile.mkdtemp() folders go here and are removed
        client = nbclient.NotebookClient(
            nb, kernel_name="python3", timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": work}}
        )
        client.execute()
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    os.environ.setdefault("MPLBACKEND", "Agg")
    paths = [Path(a) for a in argv] or sorted(Path(__file__).resolve().parent.glob("*.ipynb"))
    for path in paths:
        print(f"{path.name}: {execute(path):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
