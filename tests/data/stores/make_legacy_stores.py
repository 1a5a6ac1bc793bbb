"""Write a store with the optiform code importable here (an older release), for the migration tests.

    mkdir /tmp/optiform-old && git archive COMMIT | tar -x -C /tmp/optiform-old
    PYTHONPATH=/tmp/optiform-old python tests/data/stores/make_legacy_stores.py tests/data/stores/NAME

writes NAME.db (the store), NAME.data.csv (``Campaign.data()`` as that release saw it) and, where
that release could ingest raw files, NAME.analyses.csv. The campaign is the release's shipped
llzt-cse campaign: a closed loop of 10 experiments on its virtual lab, two pending proposals, one
of them cancelled where the release could cancel, and one ingested impedance spectrum.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from optiform import Campaign
from optiform.sim import VirtualLab

try:  # the closed loop moved from optiform.sim.loop to optiform.bench.loop in 0.3.0
    from optiform.bench.loop import closed_loop
except ImportError:
    from optiform.sim.loop import closed_loop  # type: ignore[no-redef]


def blocking_cell_csv(path: Path, resistance_ohm: float) -> None:
    """A blocking-electrode spectrum: R || CPE in series with an electrode CPE, 1 MHz to 1 Hz."""
    f = np.logspace(6, 0, 61)
    jw = 2j * np.pi * f
    Z = resistance_ohm / (1 + resistance_ohm * 1e-9 * jw**0.9) + 1 / (2e-6 * jw**0.8)
    pd.DataFrame({"Frequency (Hz)": f, "Z' (ohm)": Z.real, "Z'' (ohm)": Z.imag}).to_csv(path, index=False)


def main(out: Path) -> None:
    import optiform

    spec = Path(optiform.__file__).parent / "data" / "llzt-cse.toml"
    db = out.with_suffix(".db")
    db.unlink(missing_ok=True)
    kwargs = {"seed": 0} if "seed" in inspect.signature(Campaign.create).parameters else {}
    c = Campaign.create(spec, store=f"sqlite:///{db}", **kwargs)
    closed_loop(c, VirtualLab(seed=0), budget=10, initial_batch=6, batch_size=4)
    pending = c.propose(2, strategy="sobol")
    if hasattr(c, "cancel"):
        c.cancel(pending["id"].iloc[0], reason="salt ran out")
    if hasattr(c, "ingest"):
        raw = out.parent / "raw-tmp"
        raw.mkdir(exist_ok=True)
        blocking_cell_csv(raw / "f1-eis.csv", 250.0)
        sample = c.data()["id"].iloc[0]
        manifest = pd.DataFrame(
            {
                "id": [sample],
                "kind": ["eis"],
                "file": ["f1-eis.csv"],
                "thickness_um": [100.0],
                "area_cm2": [2.0],
                "temperature_C": [30.0],
            }
        )
        c.ingest(manifest, base_dir=raw)
        c.analyses().to_csv(out.with_suffix(".analyses.csv"), index=False)
        (raw / "f1-eis.csv").unlink()
        raw.rmdir()
    c.data().to_csv(out.with_suffix(".data.csv"), index=False)
    c.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
