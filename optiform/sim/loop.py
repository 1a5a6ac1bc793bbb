"""Closed loop on the virtual lab: propose -> measure -> record, batch after batch.

Used by ``optiform demo``, the notebooks, the tests and ``benchmarks/closed_loop.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np
import pandas as pd

from ..campaign import Campaign
from .lab import VirtualLab

RESULT_COLUMNS = ["id", "conductivity_mS_cm", "status", "note"]


class Lab(Protocol):
    """What a closed loop needs from a lab (the virtual lab, a landscape or a data emulator).

    ``measure(X)`` returns one row per formulation with 'id' (when X has one), the campaign's
    objective column(s), 'status' ('ok'/'failed'), 'note' and, if the problem has a pass/fail
    outcome, 'solid'; ``true_value(X)`` is the noise-free objective, NaN where infeasible.
    """

    def measure(self, X: pd.DataFrame) -> pd.DataFrame: ...

    def true_value(self, X: pd.DataFrame) -> np.ndarray: ...


@dataclass
class BatchReport:
    """One closed-loop iteration: the batch, what the lab measured, and the best so far."""

    number: int
    kind: str  # "design" (space-filling), "model" (GP), or the name of a model-free strategy
    batch: pd.DataFrame
    results: pd.DataFrame
    n_experiments: int
    best_measured_mS_cm: float
    best_true_mS_cm: float  # noise-free value of the best-so-far formulation judged on truth


def closed_loop(
    campaign: Campaign,
    lab: Lab | VirtualLab,
    budget: int,
    batch_size: int = 4,
    initial_batch: int | None = None,
    strategy: str | None = None,
    on_batch: Callable[[BatchReport], None] | None = None,
    make: Callable[[pd.DataFrame, int], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Run propose/measure/record until ``budget`` experiments are done.

    ``make(batch, number)`` makes batch ``number`` and records it in the campaign, returning one
    row per formulation with at least 'conductivity_mS_cm' and 'status' (default: ``lab.measure``
    then ``campaign.record``; :func:`optiform.sim.raw.closed_loop_raw` goes through raw files).

    The first batch has ``initial_batch`` points (default: the campaign's ``n_initial``, i.e. the
    whole space-filling design at once); later ones ``batch_size``. Returns one row per experiment
    with its batch, measured value and noise-free value (``true_mS_cm``, NaN when the film stayed
    fluid), and ``best_true_mS_cm``: the best noise-free value among the solid formulations made
    so far (the benchmark's yardstick).
    """
    make = make or (lambda batch, number: _measure_and_record(campaign, lab, batch))
    done = 0
    history: list[pd.DataFrame] = []
    best_true = -np.inf
    number = 0
    while done < budget:
        number += 1
        first = initial_batch if initial_batch is not None else campaign.spec.n_initial
        n = min(first if number == 1 else batch_size, budget - done)
        name = strategy or campaign.spec.strategy.name
        kind = name if name != "botorch" else ("design" if _designing(campaign) else "model")
        batch = campaign.propose(n, strategy=strategy)
        results = make(batch, number)
        truth = np.asarray(lab.true_value(batch), dtype=float)
        done += n
        best_true = max(best_true, np.nanmax(truth) if np.isfinite(truth).any() else -np.inf)
        rows = batch.assign(
            batch=number,
            kind=kind,
            conductivity_mS_cm=results["conductivity_mS_cm"].to_numpy(),
            status=results["status"].to_numpy(),
            true_mS_cm=truth,
        )
        history.append(rows)
        if on_batch is not None:
            measured = pd.concat(history)["conductivity_mS_cm"]
            on_batch(
                BatchReport(
                    number,
                    kind,
                    batch,
                    results,
                    done,
                    float(np.nanmax(measured)) if measured.notna().any() else float("nan"),
                    best_true,
                )
            )
    out = pd.concat(history, ignore_index=True)
    out["experiment"] = np.arange(1, len(out) + 1)
    out["best_true_mS_cm"] = out["true_mS_cm"].fillna(-np.inf).cummax().replace(-np.inf, np.nan)
    return out


def _measure_and_record(campaign: Campaign, lab: Lab | VirtualLab, batch: pd.DataFrame) -> pd.DataFrame:
    results = lab.measure(batch)
    campaign.record(results[_result_columns(campaign, results)])
    return results


def lognormal_measurements(
    X: pd.DataFrame, truth: np.ndarray, rng: np.random.Generator, noise_rel: float, column: str = "conductivity_mS_cm"
) -> pd.DataFrame:
    """Measurements that always succeed: 'id' (copied when X has one), ``column`` = truth ·
    exp(noise_rel · z) with z ~ N(0, 1) from ``rng`` (one draw per row), 'status' 'ok', 'note' ''."""
    noise = rng.standard_normal(len(X))
    out = pd.DataFrame(index=X.index)
    if "id" in X.columns:
        out["id"] = X["id"].to_numpy()
    out[column] = np.asarray(truth, dtype=float) * np.exp(noise_rel * noise)
    out["status"] = "ok"
    out["note"] = ""
    return out


@dataclass
class LognormalLab:
    """Base of labs whose measurements always succeed (the synthetic landscapes, the data
    emulators): ``true_value(X)`` x exp(noise_rel · z), z ~ N(0, 1).

    ``seed`` seeds a numpy Generator created once; successive :meth:`measure` calls continue its
    stream (one draw per row), so a closed loop with a fixed seed is reproducible. Subclasses
    define :meth:`true_value` (and may set ``objective``, the measured column).
    """

    seed: int | None = None
    noise_rel: float = 0.03  # standard deviation of ln(measured / true)
    _rng: np.random.Generator = field(init=False, repr=False, compare=False)

    objective: ClassVar[str] = "conductivity_mS_cm"

    def __post_init__(self) -> None:
        if not (np.isfinite(self.noise_rel) and self.noise_rel >= 0):
            raise ValueError("noise_rel: must be a finite number >= 0")
        self._rng = np.random.default_rng(self.seed)

    def true_value(self, X: pd.DataFrame) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def measure(self, X: pd.DataFrame) -> pd.DataFrame:
        """One measurement per row: 'id' (copied when X has one), the objective column (true value
        x exp(noise_rel z)), 'status' ('ok') and 'note' ('')."""
        return lognormal_measurements(X, self.true_value(X), self._rng, self.noise_rel, self.objective)


def _result_columns(campaign: Campaign, results: pd.DataFrame) -> list[str]:
    """The lab's columns to record: id, the campaign's measured quantities the lab returned, status,
    note, and the pass/fail outcome when the campaign declares one."""
    feas = campaign.spec.feasibility
    quantities = [q.name for q in campaign.spec.modelled_quantities if q.name in results.columns]
    extra = [feas.name] if feas is not None and feas.name in results.columns else []
    return ["id", *quantities, "status", "note", *extra]


def _designing(campaign: Campaign) -> bool:
    """Whether the default strategy's next batch is its space-filling design."""
    return campaign.in_design()


def experiments_to_reach(history: pd.DataFrame, target_mS_cm: float, budget: int) -> int:
    """Experiments needed until a formulation with noise-free value >= target was made
    (``budget + 1`` when never)."""
    hit = np.flatnonzero(history["best_true_mS_cm"].to_numpy() >= target_mS_cm)
    return int(history["experiment"].iloc[hit[0]]) if len(hit) else budget + 1
