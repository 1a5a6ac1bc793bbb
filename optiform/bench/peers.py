"""Peers in the bench: other tools' defaults, run once per problem, seed and budget and reused.

:data:`PEER_STRATEGIES` names the strategies that stand for another tool: ``botorch-defaults``
(:class:`optiform.strategies.peers.BotorchDefaultsStrategy`, a campaign strategy) and ``baybe`` (run by
the bench outside a campaign, :data:`PEERS`, described below). They have no pass/fail model: failed
experiments are dropped from what they learn from, and the summary says so.

Their runs do not change when optiform's default strategy is tuned, so :func:`optiform.bench.run_bench`
keeps each run (its rows of ``bench.csv``) in a cache folder (``optiform bench``: by default
``benchmarks/results/peers-cache/`` of a source checkout; ``--no-cache`` recomputes) and reuses it.
A run's key (:func:`peer_key`) holds the problem's name and fingerprint (:func:`problem_fingerprint`),
the strategy's label, seed, budget, batch and first batch, :data:`PEER_CACHE_VERSION`, the versions
of the packages the peer runs on and a hash of the peer's source: any change gives a new key, so a
stale run is never reused. The fingerprint's values match within :data:`FINGERPRINT_RTOL`, the rest
exactly. One CSV per key, named by a hash of the key without the fingerprint's values, with the key
as JSON beside it.

``baybe``: BayBE 0.15 with its default recommender (``TwoPhaseMetaRecommender``: its own random
initial design while it has no data, then ``BotorchRecommender`` with its default surrogate and
acquisition), as a user would set it up from the campaign file:

* each mixture component a ``NumericalContinuousParameter`` with the component's bounds in the
  mixture's unit (e.g. wt%), and one ``ContinuousLinearConstraint`` ``Σ components = total``;
* each continuous parameter a ``NumericalContinuousParameter`` with its bounds, each categorical
  parameter a ``CategoricalParameter``; the campaign's known linear constraints as
  ``ContinuousLinearConstraint`` (``<=``);
* the objective a ``NumericalTarget`` (minimised when the campaign minimises it);
* seeded with the run's seed (``baybe.settings.Settings(random_seed=seed)``, held for the run, the
  previous random state restored after it).

BayBE recommends continuous values; each batch is rounded to the campaign's lattice with
:meth:`optiform.space.Space.round` (largest-remainder rounding, so the mixture sums exactly to the
total), and what was made - the rounded formulation - is what BayBE is told. A peer has no
pass/fail model: a failed experiment (status ``failed`` or no finite objective) is dropped, not
added to BayBE's measurements (it still counts against the budget). The first batch has the
campaign's ``n_initial`` points, later ones ``batch``, as for every strategy of the bench.

A problem BayBE cannot express (outcome constraints, several objectives) raises
:class:`NotExpressibleError` before anything runs; the bench's summary shows the reason.
BayBE is an optional dependency (``pip install optiform[peers]``), imported only when a peer runs.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
from collections.abc import Callable
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import BenchError, path_error
from ..sim.base import Lab
from ..space import Space
from ..spec import CampaignSpec
from .loop import BatchReport
from .problem import Problem

PEER_CACHE_VERSION = 1  # raise when the bench changes how a run's rows are computed
# peer strategy -> the packages whose versions enter its cache key
PEER_PACKAGES: dict[str, tuple[str, ...]] = {
    "botorch-defaults": ("botorch", "gpytorch", "torch"),
    "baybe": ("baybe", "botorch", "torch"),
}
PEER_STRATEGIES = frozenset(PEER_PACKAGES)
PEER_NOTE = "failed experiments dropped"
REPO_PEER_CACHE = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "peers-cache"


def is_peer(name: str) -> bool:
    """Whether strategy ``name`` (a name, not a variant label) is a peer."""
    return name in PEER_STRATEGIES


def runs_outside_campaign(name: str) -> bool:
    """Whether peer ``name`` is run by the bench outside an optiform campaign (:data:`PEERS`)."""
    return name in PEERS


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
# Relative tolerance on a problem's fingerprint values: an emulator refitted under another numpy or
# scikit-learn moves them by ~1e-7 (measured on calisol), a changed landscape by far more.
FINGERPRINT_RTOL = 1e-5


# Campaign settings that only steer optiform's own model and strategy (or the weighing sheet): a
# peer's run does not depend on them, so they stay out of the fingerprint.
OWN_SETTINGS = frozenset({"version", "description", "strategy", "model", "recipe"})
OWN_FEASIBILITY_SETTINGS = frozenset({"inputs"})


def peer_relevant_spec(spec: CampaignSpec) -> dict[str, Any]:
    """The part of ``spec`` a peer's run depends on (JSON): the space, objectives, constraints and
    what fails, without :data:`OWN_SETTINGS` and the classifier's :data:`OWN_FEASIBILITY_SETTINGS`."""
    data = spec.model_dump(mode="json", exclude=set(OWN_SETTINGS))
    if isinstance(data.get("feasibility"), dict):
        data["feasibility"] = {k: v for k, v in data["feasibility"].items() if k not in OWN_FEASIBILITY_SETTINGS}
    return data


def problem_fingerprint(problem: Problem) -> dict[str, Any]:
    """What a peer's run on ``problem`` depends on: ``hash``, a sha256 of its definition (name,
    :func:`peer_relevant_spec`, pass/fail statuses), and ``values``, its optimum, noise-free values and a seeded
    lab's measurements (seed 0) at :data:`FINGERPRINT_POINTS` points of a seeded space-filling sample
    (10 significant digits). Two fingerprints match (:func:`same_fingerprint`) when the hashes are
    equal and the values agree within :data:`FINGERPRINT_RTOL`, so a changed landscape, noise or
    feasibility rule is a new problem while an emulator refitted on another machine is not."""
    from ..space import Space

    spec = problem.campaign_spec()
    X = Space(spec).sample_uniform(FINGERPRINT_POINTS, seed=0)
    lab = problem.make_lab(0)
    truth = np.asarray(lab.true_value(X), dtype=float)
    measured = lab.measure(X)
    numeric = measured.select_dtypes(include=[np.number, bool]).astype(float)
    definition = {
        "name": problem.name,
        "spec": peer_relevant_spec(spec),
        "status": [str(v) for v in measured["status"]] if "status" in measured.columns else [],
    }
    columns = {"optimum": [float(problem.optimum_value)], "truth": list(truth)}
    columns.update({f"measured.{c}": list(numeric[c]) for c in sorted(numeric.columns)})
    return {
        "hash": hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode()).hexdigest(),
        "values": {name: [float(f"{v:.10g}") for v in vals] for name, vals in columns.items()},
    }


def same_fingerprint(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether fingerprints ``a`` and ``b`` (:func:`problem_fingerprint`) describe the same problem."""
    if a.get("hash") != b.get("hash") or set(a.get("values", {})) != set(b.get("values", {})):
        return False
    for name, values in a["values"].items():
        x, y = np.asarray(values, dtype=float), np.asarray(b["values"][name], dtype=float)
        if x.shape != y.shape or not np.allclose(x, y, rtol=FINGERPRINT_RTOL, atol=1e-12, equal_nan=True):
            return False
    return True


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
    fingerprint: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a cached peer run depends on (see the module docstring); ``fingerprint``: the
    problem's :func:`problem_fingerprint` when already computed."""
    return {
        "cache_version": PEER_CACHE_VERSION,
        "problem": problem.name,
        "fingerprint": fingerprint if fingerprint is not None else problem_fingerprint(problem),
        "strategy": label,
        "seed": int(seed),
        "budget": int(budget),
        "batch": int(batch),
        "initial": None if initial is None else int(initial),
        "versions": peer_versions(name),
    }


def _exact(key: dict[str, Any]) -> dict[str, Any]:
    """``key`` with the fingerprint's values left out: what must match exactly."""
    return {**key, "fingerprint": key["fingerprint"]["hash"]}


def _paths(cache: Path, key: dict[str, Any]) -> tuple[Path, Path]:
    digest = hashlib.sha256(json.dumps(_exact(key), sort_keys=True).encode()).hexdigest()[:16]
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key["strategy"])
    stem = f"{key['problem']}__{safe}__seed{key['seed']}__{digest}"
    return cache / f"{stem}.csv", cache / f"{stem}.json"


def load_peer_run(cache: Path, key: dict[str, Any]) -> pd.DataFrame | None:
    """The cached run of ``key``, or None when there is none (or it does not match the key)."""
    csv, meta = _paths(cache, key)
    if not (csv.is_file() and meta.is_file()):
        return None
    try:
        stored = json.loads(meta.read_text(encoding="utf-8"))
        if _exact(stored) != _exact(key) or not same_fingerprint(stored["fingerprint"], key["fingerprint"]):
            return None
        return pd.read_csv(csv)
    except (OSError, ValueError, KeyError, TypeError):
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


PEERS: dict[str, str] = {
    "baybe": "BayBE 0.15 with its default recommender (random initial design, then its GP and acquisition)",
}


class NotExpressibleError(BenchError):
    """A peer cannot express a problem's campaign: ``reason`` says what it lacks."""

    def __init__(self, peer: str, problem: str, reason: str) -> None:
        self.peer, self.problem, self.reason = peer, problem, reason
        super().__init__(f"{peer} cannot express problem {problem!r}: {reason}")


def not_expressible(peer: str, spec: CampaignSpec) -> str | None:
    """Why ``peer`` cannot express ``spec`` (one line), or None when it can."""
    reasons = []
    if len(spec.objectives) > 1:
        reasons.append(f"{len(spec.objectives)} objectives (the bench judges one)")
    if spec.outcome_constraints:
        names = ", ".join(c.name for c in spec.outcome_constraints)
        reasons.append(f"outcome constraints ({names}): BayBE has no constrained outcomes")
    bounds = {c: spec.mixture.bounds(c) for c in spec.components}
    bounds |= {n: (p.min, p.max) for n, p in spec.continuous.items()}
    flat = [n for n, (lo, hi) in bounds.items() if not hi > lo]
    if flat:
        reasons.append(f"{', '.join(flat)} held at one value (a continuous parameter needs lower < upper)")
    return "; ".join(reasons) or None


def run_peer(
    peer: str,
    problem: str,
    spec: CampaignSpec,
    lab: Lab,
    seed: int,
    budget: int,
    batch: int,
    on_batch: Callable[[BatchReport], None],
    initial_batch: int | None = None,
) -> None:
    """Run ``peer`` on ``spec`` against ``lab`` until ``budget`` experiments are made; ``on_batch``
    receives a :class:`BatchReport` per batch (kind = the peer's name) and ``lab.true_value`` is
    asked once per batch, as :func:`optiform.bench.loop.closed_loop` does. Raises
    NotExpressibleError for a problem the peer cannot express."""
    if not is_peer(peer):
        raise BenchError(f"unknown peer {peer!r}; expected one of {', '.join(PEERS)}")
    reason = not_expressible(peer, spec)
    if reason is not None:
        raise NotExpressibleError(peer, problem, reason)
    _run_baybe(spec, lab, seed, budget, batch, on_batch, initial_batch)


def baybe_campaign(spec: CampaignSpec) -> Any:
    """A BayBE ``Campaign`` for ``spec`` (see the module docstring) with the default recommender."""
    from baybe import Campaign as BaybeCampaign
    from baybe.constraints import ContinuousLinearConstraint
    from baybe.parameters import CategoricalParameter, NumericalContinuousParameter
    from baybe.searchspace import SearchSpace
    from baybe.targets import NumericalTarget

    parameters: list[Any] = [
        NumericalContinuousParameter(name=c, bounds=spec.mixture.bounds(c)) for c in spec.components
    ]
    parameters += [NumericalContinuousParameter(name=n, bounds=(p.min, p.max)) for n, p in spec.continuous.items()]
    parameters += [CategoricalParameter(name=n, values=tuple(p.choices)) for n, p in spec.categorical.items()]
    constraints = [
        ContinuousLinearConstraint(
            parameters=list(spec.components),
            operator="=",
            coefficients=[1.0] * len(spec.components),
            rhs=spec.mixture.total,
        )
    ]
    for c in spec.linear_constraints:
        names = [v for v, a in c.coefficients.items() if a != 0.0]
        constraints.append(
            ContinuousLinearConstraint(
                parameters=names, operator="<=", coefficients=[c.coefficients[v] for v in names], rhs=c.rhs
            )
        )
    objective = spec.objectives[0]
    target = NumericalTarget(objective.name, minimize=objective.direction == "minimize")
    searchspace = SearchSpace.from_product(parameters=parameters, constraints=constraints)
    return BaybeCampaign(searchspace=searchspace, objective=target.to_objective())


def _run_baybe(
    spec: CampaignSpec,
    lab: Lab,
    seed: int,
    budget: int,
    batch: int,
    on_batch: Callable[[BatchReport], None],
    initial_batch: int | None,
) -> None:
    from baybe.settings import Settings

    with Settings(random_seed=int(seed)):
        _baybe_loop(spec, lab, budget, batch, on_batch, initial_batch)


def _baybe_loop(
    spec: CampaignSpec,
    lab: Lab,
    budget: int,
    batch: int,
    on_batch: Callable[[BatchReport], None],
    initial_batch: int | None,
) -> None:
    campaign = baybe_campaign(spec)
    space = Space(spec)
    name = spec.objectives[0].name
    done = number = 0
    best_measured = best_true = -np.inf
    while done < budget:
        number += 1
        first = initial_batch if initial_batch is not None else spec.n_initial
        n = min(first if number == 1 else batch, budget - done)
        recommended = campaign.recommend(batch_size=n).reset_index(drop=True)
        made = space.round(recommended[space.variables])
        made.insert(0, "id", [f"baybe-{number}-{i + 1}" for i in range(len(made))])
        results = lab.measure(made).reset_index(drop=True)
        truth = np.asarray(lab.true_value(made), dtype=float)
        done += n
        values = pd.to_numeric(results[name], errors="coerce").to_numpy(dtype=float)
        usable = (results["status"].to_numpy() != "failed") & np.isfinite(values)
        if usable.any():
            campaign.add_measurements(made.loc[usable, space.variables].assign(**{name: values[usable]}))
            best_measured = max(best_measured, float(values[usable].max()))
        if np.isfinite(truth).any():
            best_true = max(best_true, float(np.nanmax(truth)))
        on_batch(
            BatchReport(
                number,
                "baybe",
                made,
                results,
                done,
                best_measured if np.isfinite(best_measured) else float("nan"),
                best_true,
            )
        )


__all__ = [
    "FINGERPRINT_RTOL",
    "PEERS",
    "PEER_CACHE_VERSION",
    "PEER_NOTE",
    "PEER_PACKAGES",
    "PEER_STRATEGIES",
    "NotExpressibleError",
    "baybe_campaign",
    "default_peer_cache",
    "is_peer",
    "load_peer_run",
    "not_expressible",
    "peer_key",
    "problem_fingerprint",
    "run_peer",
    "runs_outside_campaign",
    "same_fingerprint",
    "store_peer_run",
]
