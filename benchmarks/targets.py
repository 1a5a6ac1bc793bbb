"""Judge the default strategy against the peers on the bench's tables: every target of the
"default wins on problems it was never tuned on" comparison, one line each, PASS / FAIL / MISSING.

    .venv/bin/python benchmarks/targets.py RESULTS_DIR [RESULTS_DIR ...] [--default botorch] [--out FILE]

Each RESULTS_DIR is an ``optiform bench --out`` folder (its ``bench.csv``, or the ``runs.csv`` kept in
git where ``bench.csv`` is not); the tables are pooled
(a run is a problem, strategy and seed; a run found twice is counted once). The targets, all on
best/optimum of the noise-free value of what was made (``optiform.bench.runner``):

* on every named problem and on ``family-test`` (its instances' runs pooled): the default's median
  and 10th percentile after 28 experiments at least each peer's (baybe, botorch-defaults); a
  shortfall under 0.01 is a tie;
* ``family-test``: the default's mean after 28 at least BayBE's, and no instance whose default median
  after 28 is below 0.8 while a peer's reaches 0.95;
* ``ratio-boundary`` and ``llzt-ternary``: median after 32 at least 0.95, and at least 70% of the
  experiments after the first batch feasible (pooled over runs);
* ``llzt-ternary``: median experiments to 97% at most 17; ``llzt-full``: to 95% at most 40;
* ``calisol`` and ``peo``: median experiments to 98% over seeds 0-9 at most 15.5 and 11, from the
  campaign's own first batch (a bench without ``--initial``); every other target counts the runs
  with a first batch of 8 (``--initial 8``).

A target whose runs are not in the tables is MISSING, never PASS.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from optiform.bench.problems import FAMILY_GROUPS, PROBLEMS, get_problem
from optiform.bench.runner import experiments_to_targets

PEERS = ("baybe", "botorch-defaults")
TIE = 0.01
INITIAL = 8  # the comparison's first batch (--initial 8)
OWN_DESIGN = ("calisol", "peo")  # judged on runs from the campaign's own n_initial (no --initial)


def load_runs(folders: list[Path]) -> pd.DataFrame:
    """One row per run (:func:`experiments_to_targets`) of every folder's bench.csv (runs.csv where
    there is no bench.csv), duplicates once."""
    frames = []
    for folder in folders:
        path = _table(folder)
        table = pd.read_csv(path)
        frames.append(table if path.name == "runs.csv" else experiments_to_targets(table))
    runs = pd.concat(frames, ignore_index=True)
    key = ["problem", "strategy", "seed", "first_batch"]
    return runs.drop_duplicates(key, keep="last").reset_index(drop=True)


def _table(folder: Path) -> Path:
    """A folder's bench.csv, else its runs.csv (the one kept in git); a file is its own table."""
    if not folder.is_dir():
        return folder
    bench = folder / "bench.csv"
    return bench if bench.is_file() or not (folder / "runs.csv").is_file() else folder / "runs.csv"


def _stat(values: pd.Series, how: str) -> float:
    v = values.dropna().to_numpy(dtype=float)
    if not len(v):
        return float("nan")
    return {"median": float(np.median(v)), "mean": float(v.mean()), "p10": float(np.percentile(v, 10))}[how]


def judge(runs: pd.DataFrame, default: str = "botorch", initial: int = INITIAL) -> list[dict[str, str]]:
    """The targets' lines: target, default's figure, what it is compared with, verdict. Runs count
    whose first batch is ``initial`` (the comparison's ``--initial``), except for ``calisol`` and
    ``peo``, judged on runs that start with the campaign's own ``n_initial``."""
    lines: list[dict[str, str]] = []
    own = {name: get_problem(name).campaign_spec().n_initial for name in OWN_DESIGN}

    def add(target: str, mine: float, theirs: float | str, ok: bool | None) -> None:
        verdict = "MISSING" if ok is None else ("PASS" if ok else "FAIL")
        shown = theirs if isinstance(theirs, str) else ("–" if np.isnan(theirs) else f"{theirs:.3f}")
        mine_shown = "–" if np.isnan(mine) else f"{mine:.3f}"
        lines.append({"target": target, "default": mine_shown, "compared with": shown, "verdict": verdict})

    def runs_of(problems: list[str], strategy: str, own_design: bool = False) -> pd.DataFrame:
        picked = runs[runs["problem"].isin(problems) & (runs["strategy"] == strategy)]
        first = picked["problem"].map(own).fillna(initial) if own_design else initial
        return picked[picked["first_batch"] == first]

    sets = {name: [name] for name in PROBLEMS} | {"family-test": FAMILY_GROUPS["family-test"]}
    for label, members in sets.items():
        mine = runs_of(members, default)
        for peer in PEERS:
            theirs = runs_of(members, peer)
            for how in ("median", "p10"):
                a, b = _stat(mine["at_28"], how), _stat(theirs["at_28"], how)
                ok = None if np.isnan(a) or np.isnan(b) else a >= b - TIE
                add(f"{label}: {how} after 28 >= {peer}", a, b, ok)
    test = FAMILY_GROUPS["family-test"]
    a, b = _stat(runs_of(test, default)["at_28"], "mean"), _stat(runs_of(test, "baybe")["at_28"], "mean")
    add("family-test: mean after 28 >= baybe", a, b, None if np.isnan(a) or np.isnan(b) else a >= b)
    worst_ok: bool | None = True
    misses = []
    for name in test:
        m = _stat(runs_of([name], default)["at_28"], "median")
        peers = [_stat(runs_of([name], p)["at_28"], "median") for p in PEERS]
        if np.isnan(m) or all(np.isnan(p) for p in peers):
            worst_ok = None
            continue
        if m < 0.8 and any(p >= 0.95 for p in peers if not np.isnan(p)):
            misses.append(name)
    if worst_ok is not None and misses:
        worst_ok = False
    add(
        "family-test: no instance median < 0.8 where a peer's >= 0.95",
        float(len(misses)),
        ", ".join(misses) or "none",
        worst_ok,
    )
    for name in ("ratio-boundary", "llzt-ternary"):
        mine = runs_of([name], default)
        a = _stat(mine["at_32"], "median")
        add(f"{name}: median after 32 >= 0.95", a, 0.95, None if np.isnan(a) else a >= 0.95)
        share = float(mine["feasible_after_design"].mean()) if len(mine) else float("nan")
        add(f"{name}: feasible after the design >= 70%", share, 0.70, None if np.isnan(share) else share >= 0.70)
    for name, key, limit, seeds in (
        ("llzt-ternary", "to_97", 17, None),
        ("llzt-full", "to_95", 40, None),
        ("calisol", "to_98", 15.5, range(10)),
        ("peo", "to_98", 11, range(10)),
    ):
        mine = runs_of([name], default, own_design=True)  # calisol, peo: from their own first batch
        if seeds is not None:
            mine = mine[mine["seed"].isin(list(seeds))]
        a = float(mine[key].median()) if len(mine) else float("nan")
        add(
            f"{name}: median experiments {key.replace('_', ' ')}% <= {limit:g}",
            a,
            float(limit),
            None if np.isnan(a) else a <= limit,
        )
    return lines


def markdown(lines: list[dict[str, str]]) -> str:
    head = ["target", "default", "compared with", "verdict"]
    out = ["| " + " | ".join(head) + " |", "|---|--:|--:|---|"]
    out += ["| " + " | ".join(line[h] for h in head) + " |" for line in lines]
    counts = {v: sum(line["verdict"] == v for line in lines) for v in ("PASS", "FAIL", "MISSING")}
    out += ["", f"PASS {counts['PASS']}, FAIL {counts['FAIL']}, MISSING {counts['MISSING']}"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "folders", nargs="+", type=Path, help="optiform bench --out folders (or bench.csv / runs.csv files)"
    )
    parser.add_argument("--default", default="botorch", help="the strategy label judged (default botorch)")
    parser.add_argument("--out", type=Path, help="also write the table (Markdown) here")
    args = parser.parse_args(argv)
    missing = [str(f) for f in args.folders if not _table(f).is_file()]
    if missing:
        print(f"error: no bench.csv or runs.csv in {', '.join(missing)}", file=sys.stderr)
        return 2
    text = markdown(judge(load_runs(args.folders), args.default))
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
