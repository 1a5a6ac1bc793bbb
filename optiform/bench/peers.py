"""Peers in the bench: other tools' defaults, run once per problem, seed and budget and reused.

:data:`PEER_STRATEGIES` names the strategies that stand for another tool (``botorch-defaults``:
:class:`optiform.strategies.peers.BotorchDefaultsStrategy`). They have no pass/fail model: failed
experiments are dropped from what they learn from, and the summary says so.

Their runs do not change when optiform's default strategy is tuned, so :func:`optiform.bench.run_bench`
keeps each run (its rows of ``bench.csv``) in a cache folder (``optiform bench``: by default
``benchmarks/results/peers-cache/`` of a source checkout; ``--no-cache`` recomputes) and reuses it.
A run's key (:func:`peer_key`) holds the problem's name and definition hash (:func:`problem_hash`),
the strategy's label, seed, budget, batch and first batch, :data:`PEER_CACHE_VERSION`, the versions
of the packages the peer runs on and a hash of the peer's source: any change gives a new key, so a
stale run is never reused. One CSV per key, named by the key's hash, with the key as JSON beside it.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import path_error
from .problem import Problem

PEER_CACHE_VERSION = 1  # raise when the bench changes how a run's rows are computed
# peer strategy -> the packages whose versions enter its cache key
PEER_PACKAGES: dict[str, tuple[str, ...]] = {"botorch-defaults": ("botorch", "gpytorch", "torch")}
PEER_STRATEGIES = frozenset(PEER_PACKAGES)
PEER_NOTE = "failed experiments dropped"
REPO_PEER_CACHE = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "peers-cache"


def is_peer(name: str) -> bool:
    """Whether strategy ``name`` (a name, not a variant label) is a peer."""
    return name in PEER_STRATEGIES


def default_peer_cache() -> Path:
    """``benchmarks/results/peers-cache`` of the source checkout optiform runs from, else
    ``peers-cache`` in the working folder."""
    return REPO_PEER_CACHE if REPO_PEER_CACHE.parent.is_dir() else Path("peers-cache")


def _source_hash(obj: Any) -> str:
    """sha256 of the source of the module defining ``obj`` (a function, partial or class); "" if
    unavailable."""
    while isinstance(obj, partial):
        obj = obj.func
    module = inspect.getmodule(obj)
    try:
        text = inspect.getsource(module) if module is not None else ""
    except (OSError, TypeError):
        text = ""
    return hashlib.sha256(text.encode()).hexdigest()


FINGERPRINT_POINTS = 64


def problem_hash(problem: Problem) -> str:
    """A hash of the problem's definition: its campaign spec, optimum and what its lab does — the
    noise-free values and a seeded lab's measurements (seed 0) at :data:`FINGERPRINT_POINTS` points
    of a seeded space-filling sample, to 12 significant digits — so a changed landscape, noise or
    feasibility rule gives a new hash however the lab is built."""
    from ..space import Space

    spec = problem.campaign_spec()
    X = Space(spec).sample_uniform(FINGERPRINT_POINTS, seed=0)
    lab = problem.make_lab(0)
    truth = np.asarray(lab.true_value(X), dtype=float)
    measured = lab.measure(X)
    numeric = measured.select_dtypes(include=[np.number, bool]).astype(float)
    data = {
        "name": problem.name,
        "spec": spec.model_dump(mode="json"),
        "optimum": f"{float(problem.optimum_value):.12g}",
        "truth": [f"{v:.12g}" for v in truth],
        "measured": {c: [f"{v:.12g}" for v in numeric[c]] for c in sorted(numeric.columns)},
        "status": [str(v) for v in measured["status"]] if "status" in measured.columns else [],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def peer_versions(name: str) -> dict[str, str]:
    """The versions of the packages peer ``name`` runs on and a hash of its strategy's source."""
    out = {}
    for package in PEER_PACKAGES.get(name, ()):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "absent"
    from ..strategies import STRATEGY_CLASSES

    if name in STRATEGY_CLASSES:
        module, _ = STRATEGY_CLASSES[name]
        out["source"] = _source_hash(importlib.import_module(f"optiform.strategies.{module}"))
    return out


def peer_key(
    problem: Problem,
    label: str,
    name: str,
    seed: int,
    budget: int,
    batch: int,
    initial: int | None,
    digest: str | None = None,
) -> dict[str, Any]:
    """Everything a cached peer run depends on (see the module docstring); ``digest``: the problem's
    :func:`problem_hash` when already computed."""
    return {
        "cache_version": PEER_CACHE_VERSION,
        "problem": problem.name,
        "problem_hash": digest if digest is not None else problem_hash(problem),
        "strategy": label,
        "seed": int(seed),
        "budget": int(budget),
        "batch": int(batch),
        "initial": None if initial is None else int(initial),
        "versions": peer_versions(name),
    }


def _paths(cache: Path, key: dict[str, Any]) -> tuple[Path, Path]:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key["strategy"])
    stem = f"{key['problem']}__{safe}__seed{key['seed']}__{digest}"
    return cache / f"{stem}.csv", cache / f"{stem}.json"


def load_peer_run(cache: Path, key: dict[str, Any]) -> pd.DataFrame | None:
    """The cached run of ``key``, or None when there is none (or it does not match the key)."""
    csv, meta = _paths(cache, key)
    if not (csv.is_file() and meta.is_file()):
        return None
    try:
        if json.loads(meta.read_text(encoding="utf-8")) != key:
            return None
        return pd.read_csv(csv)
    except (OSError, ValueError):
        return None


def store_peer_run(cache: Path, key: dict[str, Any], run: pd.DataFrame) -> Path:
    """Write ``run`` under ``key`` (CSV, then the key as JSON: a run without its key is never read)."""
    csv, meta = _paths(cache, key)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        run.to_csv(csv, index=False, float_format="%.17g")
        meta.write_text(json.dumps(key, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise path_error(cache, exc, "write the peers' cache") from None
    return csv


__all__ = [
    "PEER_CACHE_VERSION",
    "PEER_NOTE",
    "PEER_PACKAGES",
    "PEER_STRATEGIES",
    "default_peer_cache",
    "is_peer",
    "load_peer_run",
    "peer_key",
    "problem_hash",
    "store_peer_run",
]
