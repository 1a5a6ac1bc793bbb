"""Wall-clock time of ``optiform status`` on a 100-result campaign, as a user runs it.

A campaign (the shipped llzt-cse file: three mixture components, LiDFOB fraction, FEC, porosity,
framework; ``[feasibility] solid``) is filled with ``--results`` results from the virtual lab at
space-filling points (fluid films included), in a SQLite file. Then ``python -m optiform status``
and ``python -m optiform status --model`` (which also fits the model and computes its
diagnostics) run ``--repeats`` times each as fresh processes — interpreter start, imports, reading
the store and printing included — and the median and range of the wall-clock seconds are printed.

    .venv/bin/python benchmarks/status_latency.py                 # 100 results, 5 repeats
    .venv/bin/python benchmarks/status_latency.py --results 300 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from propose_latency import filled_campaign


def time_command(args: list[str], repeats: int) -> list[float]:
    """Seconds of ``python -m optiform ARGS`` run ``repeats`` times (each a new process)."""
    env = {**os.environ, "COLUMNS": "120"}
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "optiform", *args], capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"optiform {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=int, default=100, help="results in the campaign (default 100)")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each command (default 5)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        campaign = filled_campaign(args.results, args.seed, tmp)
        url = campaign.store.url
        campaign.close()
        print(f"optiform status on a campaign of {args.results} results ({url}), {args.repeats} runs each")
        for extra in ([], ["--model"]):
            times = time_command(["--store", url, "status", *extra], args.repeats)
            shown = " ".join(["status", *extra])
            print(
                f"  {shown:<16} median {statistics.median(times):.2f} s  (min {min(times):.2f}, max {max(times):.2f})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
