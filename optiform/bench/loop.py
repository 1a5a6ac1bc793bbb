"""Closed loops on a lab: propose -> measure -> record, batch after batch.

:func:`closed_loop` records what the lab measures; :func:`closed_loop_raw` goes through raw
instrument files written by the virtual lab (:func:`optiform.sim.raw.write_raw`) and
:meth:`Campaign.ingest`, the path real data takes. Used by ``optiform demo``, ``optiform bench``,
the notebooks, the tests and ``benchmarks/closed_loop.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..campaign import Campaign
from ..errors import DataError
from ..sim.base import Lab
from ..sim.lab import VirtualLab
from ..sim.raw import DEFAULT_TEMPERATURES_C, RawBatch, write_raw

RESULT_COLUMNS = ["id", "conductivity_mS_cm", "status", "note"]


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
    then ``campaign.record``; :func:`closed_loop_raw` goes through raw files).

    The first batch has ``initial_batch`` points (default: the campaign's ``n_initial``, i.e. the
    whole space-filling design at once); later ones ``batch_size``. Returns one row per experiment
    with its batch, measured value and noise-free value (``true_mS_cm``, NaN when the film stayed
    fluid), and ``best_true_mS_cm``: the best noise-free value among the solid formulations made
    so far (the benchmark's yardstick).
    """
    make = make or (lambda batch, number: measure_and_record(campaign, lab, batch))
    done = 0
    history: list[pd.DataFrame] = []
    best_true = -np.inf
    number = 0
    while done < budget:
        number += 1
        first = initial_batch if initial_batch is not None else campaign.spec.n_initial
        n = min(first if number == 1 else batch_size, budget - done)
        name = strategy or campaign.spec.strategy.name
        model_based = name in ("botorch", "botorch-defaults")  # a design, then a model
        kind = name if not model_based else ("design" if campaign.in_design() else "model")
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


def measure_and_record(campaign: Campaign, lab: Lab | VirtualLab, batch: pd.DataFrame) -> pd.DataFrame:
    """The lab measures ``batch`` and the campaign records its results (the default ``make`` of
    :func:`closed_loop`); returns the lab's table."""
    results = lab.measure(batch)
    # force: a simulated lab's values are right by construction, and some span more than the
    # plausibility test's 1000x around the median (the peo emulator: 3% of the space)
    campaign.record(results[_result_columns(campaign, results)], force=True)
    return results


def _result_columns(campaign: Campaign, results: pd.DataFrame) -> list[str]:
    """The lab's columns to record: id, the campaign's measured quantities the lab returned, status,
    note, and the pass/fail outcome when the campaign declares one."""
    feas = campaign.spec.feasibility
    quantities = [q.name for q in campaign.spec.modelled_quantities if q.name in results.columns]
    extra = [feas.name] if feas is not None and feas.name in results.columns else []
    return ["id", *quantities, "status", "note", *extra]


def experiments_to_reach(history: pd.DataFrame, target_mS_cm: float, budget: int) -> int:
    """Experiments needed until a formulation with noise-free value >= target was made
    (``budget + 1`` when never)."""
    hit = np.flatnonzero(history["best_true_mS_cm"].to_numpy() >= target_mS_cm)
    return int(history["experiment"].iloc[hit[0]]) if len(hit) else budget + 1


# --------------------------------------------------------------------------------------------------
# Closed loop through raw files
# --------------------------------------------------------------------------------------------------


def closed_loop_raw(
    campaign: Campaign,
    lab: VirtualLab,
    folder: str | Path,
    budget: int,
    batch_size: int = 4,
    initial_batch: int | None = None,
    strategy: str | None = None,
    on_batch: Callable[[BatchReport], None] | None = None,
    temperatures_C: Sequence[float] = DEFAULT_TEMPERATURES_C,
    fmt: str = "mixed",
    seed: int | None = None,
) -> pd.DataFrame:
    """Run propose -> :func:`~optiform.sim.raw.write_raw` -> record failed / ingest raw files,
    until ``budget`` (used by ``optiform demo --raw``).

    Like :func:`closed_loop` (same batches, same returned history: one row per experiment with
    batch, kind, ``conductivity_mS_cm`` - here the value ingested from the files -, status,
    ``true_mS_cm``, ``experiment``, ``best_true_mS_cm``), but every value reaches the campaign
    through raw files: each batch is written into ``folder/batch-NN``, ``Campaign.record(failed.csv)``
    records the fluid films and failed cells (status failed, ``solid`` recorded), then
    ``Campaign.ingest(manifest.csv)`` the rest. A manifest is ingested whole; when its analysis fails
    (DataError) each group is ingested on its own, an EIS group that still fails is recorded as
    failed ("analysis failed: ...") and a failing t+ or LSV group is skipped (reported in the note).
    The EIS rows of the manifest carry ``solid = true`` (the film was measured between blocking
    electrodes), which ingest records with the conductivity, so the feasibility model learns from
    solid and fluid films alike.

    ``temperatures_C`` and ``fmt`` go to :func:`~optiform.sim.raw.write_raw`; ``seed`` seeds the
    instrument noise (default: a child of the lab's seed independent of its streams). ``on_batch``
    receives a :class:`BatchReport` whose ``results`` has id, conductivity_mS_cm,
    activation_energy_eV, transference_number, oxidation_onset_V (as ingested), solid, status (ok,
    flagged or failed) and note.
    """
    folder = Path(folder)
    rng = np.random.default_rng(seed if seed is not None else np.random.SeedSequence(lab.seed).spawn(3)[2])

    def make(batch: pd.DataFrame, number: int) -> pd.DataFrame:
        raw = write_raw(batch, folder / f"batch-{number:02d}", lab, temperatures_C, fmt, rng)
        if raw.failed is not None:
            campaign.record(raw.failed)
        return _results(campaign, raw.measured, _ingest(campaign, raw, DataError))

    return closed_loop(campaign, lab, budget, batch_size, initial_batch, strategy, on_batch, make=make)


def _ingest(campaign: Campaign, raw: RawBatch, data_error: type[Exception]) -> dict[str, str]:
    """Ingest the manifest whole; if that fails, group by group. Returns id -> note of the failures;
    an id whose EIS group fails is recorded as a failed measurement (the film was solid)."""
    try:
        campaign.ingest(raw.manifest)
        return {}
    except data_error:
        pass
    manifest = pd.read_csv(raw.manifest, dtype=str, keep_default_na=False)
    notes: dict[str, str] = {}
    failed_eis = []
    for (sid, kind, _group), rows in manifest.groupby(["id", "kind", "group"], sort=False):
        try:
            campaign.ingest(rows.reset_index(drop=True), base_dir=raw.manifest.parent)
        except data_error as exc:
            message = str(exc).splitlines()[0].split(": ", 2)[-1]
            notes[sid] = "; ".join(filter(None, [notes.get(sid, ""), f"{kind} analysis failed: {message}"]))
            if kind == "eis":
                failed_eis.append(sid)
    if failed_eis:
        campaign.record(
            pd.DataFrame({"id": failed_eis, "status": "failed", "note": [notes[i] for i in failed_eis], "solid": True})
        )
    return notes


_INGESTED = ("conductivity_mS_cm", "activation_energy_eV", "transference_number", "oxidation_onset_V")


def _results(campaign: Campaign, measured: pd.DataFrame, notes: dict[str, str]) -> pd.DataFrame:
    """Per formulation of the batch: the values as ingested, and ok / flagged / failed."""
    data = campaign.data()
    rows = []
    for _, m in measured.iterrows():
        sid = m["id"]
        d = data[(data["id"] == sid) & data["status"].isin(["ok", "flagged", "failed"])]
        row = {"id": sid}
        for q in _INGESTED:
            values = d[q].dropna() if q in d.columns else pd.Series(dtype=float)
            row[q] = float(values.iloc[-1]) if len(values) else np.nan
        eis = d[d["conductivity_mS_cm"].notna()] if "conductivity_mS_cm" in d.columns else d.iloc[:0]
        if m["status"] != "ok" or not len(eis):
            status = "failed"
        else:
            status = "flagged" if (eis["status"] == "flagged").any() else "ok"
        flagged = d[d["status"] == "flagged"]["note"].tolist()
        note = "; ".join(filter(None, [m["note"], notes.get(sid, ""), *(f"flagged: {x}" for x in flagged)]))
        rows.append({**row, "solid": bool(m["solid"]), "status": status, "note": note})
    return pd.DataFrame(rows, index=measured.index)
