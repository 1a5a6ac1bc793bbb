"""Record a results table: validate every row against the campaign, then store it in one
transaction (nothing is stored if any row is bad).

Columns: ``id``, the objective (and constrained quantity) columns in the units their names declare,
optional ``replicate``, ``status`` (``ok`` or ``failed``), ``note`` and the campaign's pass/fail
outcome (``solid = true/false``). Rows without an ``id`` are outside data (literature points): they
become formulations of source ``external`` holding the variables they give. They need the mixture
components (summing to the total); they may lie outside the bounds (the model uses them) and lack a
parameter or give a categorical value that is not a choice (stored, left out of the model); the
report says which rows and why.

A row the store already holds is reported as already stored, not stored again: with a replicate,
the same (id, replicate) with the same status, note and values; without one, a stored measurement
of that id with the same status, note and values (each stored one matched by one row at most). The
same (id, replicate) with other values is refused (correct a stored value with
:meth:`Campaign.amend`). A row without a replicate that matches nothing is a new measurement, the
next replicate of its formulation (see :meth:`Store.add_measurements`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import DataError
from .inputs import (
    cell_text,
    parse_replicate,
    plausibility_problems,
    pooled,
    read_table,
    stored_values,
)
from .numbers import parse_number, shown
from .space import SUM_TOLERANCE, Space
from .spec import CampaignSpec, ObjectiveSpec
from .store import NewMeasurement, RecordOutcome, Store, cancelled_message

META_COLUMNS = ("id", "replicate", "status", "note")
STATUSES = ("ok", "failed")


@dataclass
class RecordReport:
    """What :meth:`Campaign.record` did: measurements added, rows already stored (one line each,
    not stored again), notices (a new replicate beside ones recorded by hand: was it meant as a
    correction?), outside formulations created, and for rows without an id (literature points), a
    line per stored row that lies ``outside`` the bounds (used by the model) or is ``left_out`` of
    the model (a variable without a value, a categorical value that is not a choice), e.g. ``line 5
    (F0012): no value for porosity: stored, not used by the model``."""

    added: int = 0
    already_stored: list[str] = field(default_factory=list)
    new_formulations: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> list[str]:
        """The rows already stored (the name before 0.2.0)."""
        return self.already_stored

    def __str__(self) -> str:
        parts = [f"recorded {self.added} measurement(s)"]
        if self.new_formulations:
            parts.append(f"{len(self.new_formulations)} new external formulation(s)")
        if self.already_stored:
            parts.append(f"{len(self.already_stored)} already stored (not stored again)")
        if self.outside:
            parts.append(f"{len(self.outside)} row(s) outside the bounds (used by the model)")
        if self.left_out:
            parts.append(f"{len(self.left_out)} row(s) left out of the model")
        return ", ".join(parts)


def record_results(
    store: Store,
    campaign_id: int,
    spec: CampaignSpec,
    formulations: pd.DataFrame,
    results: pd.DataFrame | str | Path,
    origin: str | None = None,
    author: str | None = None,
    force: bool = False,
) -> RecordReport:
    """Validate ``results`` (a DataFrame or a CSV/XLSX path) against campaign ``campaign_id`` whose
    formulations (with their status) are ``formulations``, then store them as written by ``author``
    (see module docstring). A value that is not plausible (:func:`optiform.inputs.implausible`) is
    refused unless ``force``; a forced one is stored with the reason in its note."""
    df, origin, lines = read_results(results, origin)
    plan = _RecordPlan(store, campaign_id, spec, formulations, df, origin, lines)
    plan.check()
    plan.check_plausible(force)
    return plan.write(author)


def read_results(results: pd.DataFrame | str | Path, origin: str | None = None) -> tuple[pd.DataFrame, str, list[int]]:
    """A results table and, per row, the line it came from (a file: its line, the header being
    line 1; a DataFrame: rows from 1). A file is read as written (:func:`optiform.inputs.read_table`):
    CSV cells as text, ``#`` as data."""
    if isinstance(results, pd.DataFrame):
        df = results.reset_index(drop=True)
        df.columns = [str(c).strip() for c in df.columns]
        return df, origin or "results", [i + 1 for i in range(len(df))]
    df, lines = read_table(results, "results")
    return df, origin or str(results), lines


def formulation_values(row: pd.Series, space: Space) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in space.variables:
        out[v] = str(row[v]) if v in space.categorical else float(row[v])
    return out


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()) or v is pd.NA


class _RecordPlan:
    """Validates a results table against the campaign, then writes it in one transaction."""

    def __init__(
        self,
        store: Store,
        campaign_id: int,
        spec: CampaignSpec,
        formulations: pd.DataFrame,
        df: pd.DataFrame,
        origin: str,
        lines: list[int],
    ) -> None:
        self.store, self.campaign_id, self.spec, self.formulations = store, campaign_id, spec, formulations
        predicted = [c for c in spec.prediction_columns if c in df.columns]  # a batch file's predictions
        self.df, self.origin, self.lines = df.drop(columns=predicted), origin, lines
        self.space = Space(spec)
        self.objectives = [o for o in spec.modelled_quantities if o.name in df.columns]
        self.rows: list[dict[str, Any]] = []
        self.external_values: dict[int, dict[str, Any]] = {}  # row index -> variables given (rows without an id)
        feasibility = spec.feasibility
        self._outcome = feasibility.name if feasibility is not None else ""  # the pass/fail column, if any

    def _columns(self) -> None:
        spec = self.spec
        quantities = [q.name for q in spec.modelled_quantities]  # objectives + constrained quantities
        allowed = {*META_COLUMNS, *quantities, *self.space.variables}
        if spec.feasibility is not None:
            allowed.add(spec.feasibility.name)
        unknown = [c for c in self.df.columns if c not in allowed]
        if unknown:
            raise DataError(
                f"{self.origin}: unknown column(s) {', '.join(unknown)}; expected 'id', the objective "
                f"column(s) {', '.join(quantities)} (in the units their names declare), optional "
                f"'replicate', 'status' (ok or failed), 'note', "
                + (f"'{spec.feasibility.name}' (true or false), " if spec.feasibility else "")
                + "and for rows without an id the variables "
                f"{', '.join(self.space.variables)}"
            )
        feasibility = spec.feasibility.name if spec.feasibility else None
        if not self.objectives and "status" not in self.df.columns and feasibility not in self.df.columns:
            raise DataError(f"{self.origin}: no objective column; expected one of {', '.join(quantities)}")

    def check(self) -> None:
        self._columns()
        formulations = self.formulations
        self.known = {r["id"]: r for _, r in formulations.iterrows()}
        problems: list[str] = []
        external_rows = [
            i for i in range(len(self.df)) if _blank(self.df.get("id", pd.Series([None] * len(self.df)))[i])
        ]
        external = self._check_external(external_rows, problems)
        for i, line in enumerate(self.lines):
            row = self.df.iloc[i]
            where = f"{self.origin}: line {line}"
            entry: dict[str, Any] = {"line": line, "note": "" if _blank(row.get("note")) else cell_text(row["note"])}
            entry["status"] = self._status(row, where, problems)
            feasible = self._feasible(row, where, problems)
            if feasible is False:
                entry["status"] = "failed"
                entry["note"] = entry["note"] or f"{self._outcome} = false"
            entry["values"] = self._values(row, where, problems, entry["status"], feasible)
            if i in external:
                entry["key"] = external[i]
                entry["external"] = self.external_values[i]
            else:
                label = cell_text(row["id"])
                if label not in self.known:
                    problems.append(f"{where}: unknown sample id {label!r} in campaign {self.spec.name!r}")
                elif self.known[label]["status"] == "cancelled":
                    known = self.known[label]
                    problems.append(
                        f"{where}: {cancelled_message(label, known['cancelled_at'], known['cancel_reason'])}"
                    )
                else:
                    self._check_variables(row, label, where, problems)
                entry["key"] = label
            entry["replicate"] = self._replicate(row, where, problems)
            self.rows.append(entry)
        if problems:
            raise DataError("\n".join(problems))

    def _status(self, row: pd.Series, where: str, problems: list[str]) -> str:
        raw = row.get("status")
        status = "ok" if _blank(raw) else cell_text(raw).lower()
        if status not in STATUSES:
            problems.append(f"{where}: status: {raw!r} is not one of {', '.join(STATUSES)}")
        return status

    def _feasible(self, row: pd.Series, where: str, problems: list[str]) -> bool | None:
        """The declared pass/fail outcome of a row (None when not given)."""
        spec = self.spec.feasibility
        if spec is None or _blank(row.get(spec.name)):
            return None
        outcome = parse_outcome(row[spec.name])
        if outcome is None:
            problems.append(f"{where}: {spec.name}: expected true or false, got {row[spec.name]!r}")
        return outcome

    def _values(
        self, row: pd.Series, where: str, problems: list[str], status: str, feasible: bool | None = None
    ) -> dict[str, float]:
        values: dict[str, float] = {}
        unreadable = False  # a value given that is refused: its own problem, not "no value"
        for obj in self.objectives:
            raw = row.get(obj.name)
            if _blank(raw):
                continue
            v = parse_value(obj, raw, where, problems)
            if v is not None:
                values[obj.name] = v
            unreadable = unreadable or v is None
        if feasible is False and values:
            name = self._outcome
            problems.append(f"{where}: {name} = false carries no objective value (got {', '.join(values)})")
        if status == "ok" and not values and not unreadable:
            problems.append(
                f"{where}: no value for {', '.join(o.name for o in self.spec.modelled_quantities)}; "
                f"give one, or set status = failed"
            )
        if feasible is not None:
            values[self._outcome] = float(feasible)
        return values

    def _replicate(self, row: pd.Series, where: str, problems: list[str]) -> int | None:
        raw = row.get("replicate")
        if _blank(raw):
            return None
        rep, problem = parse_replicate(raw)
        if rep is None:
            problems.append(f"{where}: replicate: {problem}")
        return rep

    def _check_variables(self, row: pd.Series, label: str, where: str, problems: list[str]) -> None:
        stored = self.known[label]
        tol = SUM_TOLERANCE * self.space.total
        for v in self.space.variables:
            if v not in row.index or _blank(row[v]):
                continue
            if v in self.space.categorical:
                same = cell_text(row[v]) == stored[v]
            else:
                given, _ = parse_number(row[v])
                same = given is not None and abs(given - float(stored[v])) <= max(tol, 1e-9 * abs(float(stored[v])))
            if not same:
                problems.append(f"{where}: {v} = {shown(row[v])} but sample {label} has {v} = {stored[v]!r}")

    def _check_external(self, idx: list[int], problems: list[str]) -> dict[int, Any]:
        """Validate rows without an id (literature points) and map each to an existing outside
        formulation's label or a new key ``("new", index, values)``. They need every mixture
        component (numbers >= 0 summing to the total); they may lie outside the bounds, lack
        parameters (blank or no column: stored as None, no value) and carry a categorical value that
        is not a choice (kept as given); such rows are reported after writing (see :meth:`write`)."""
        if not idx:
            return {}
        space = self.space
        missing = [c for c in space.components if c not in self.df.columns]
        if missing:
            problems.append(
                f"{self.origin}: missing column(s) {', '.join(missing)}; rows without an id need the mixture "
                f"components {', '.join(space.components)}"
            )
            self.external_values = {i: {} for i in idx}
            return {i: ("new", i, {}) for i in idx}
        stored = self.store.formulations(self.campaign_id)
        known = {
            _signature(values, space): label
            for label, values, source in zip(stored["label"], stored["values"], stored["source"])
            if source == "external"
        }
        keys: dict[int, Any] = {}
        seen: dict[tuple[Any, ...], Any] = {}
        for i in idx:
            values = self._external_values(self.df.iloc[i], f"{self.origin}: line {self.lines[i]}", problems)
            self.external_values[i] = values
            signature = _signature(values, space)
            if signature in seen:
                keys[i] = seen[signature]
                continue
            keys[i] = seen[signature] = known.get(signature, ("new", i, values))
        return keys

    def _external_values(self, row: pd.Series, where: str, problems: list[str]) -> dict[str, Any]:
        """The variables a literature row gives: every component (checked), each parameter or None."""
        space = self.space
        values: dict[str, Any] = {}
        for c in space.components:
            v, problem = parse_number(row[c], f"a number >= 0 {space.unit}")
            if _blank(row[c]):
                problems.append(f"{where}: {c}: no value; rows without an id need every mixture component")
            elif v is None:
                problems.append(f"{where}: {c}: {problem}")
            elif v < 0:
                problems.append(f"{where}: {c}: expected a number >= 0 {space.unit}, got {v:g}")
            values[c] = v
        amounts = [values[c] for c in space.components]
        if all(v is not None and v >= 0 for v in amounts):
            total = sum(amounts)
            if abs(total - space.total) > SUM_TOLERANCE * space.total:
                parts = " + ".join(f"{v:g}" for v in amounts)
                problems.append(
                    f"{where}: {', '.join(space.components)} sum to {total:g} ({parts}); "
                    f"expected {space.total:g} {space.unit}"
                )
        for name in space.continuous:
            raw = row.get(name)
            if _blank(raw):
                values[name] = None
                continue
            values[name], problem = parse_number(raw, "a number (or a blank cell for no value)")
            if values[name] is None:
                problems.append(f"{where}: {name}: {problem}")
        for name in space.categorical:
            raw = row.get(name)
            values[name] = None if _blank(raw) else cell_text(raw)
        return values

    def check_plausible(self, force: bool) -> None:
        """Refuse values that cannot be right (outside the plausible range, or 10³× away from the
        median of the campaign's and this table's values; :func:`optiform.inputs.implausible`), one
        line each naming the likely unit slip; with ``force`` store them, the reason in the note."""
        quantities = {q.name: q for q in self.spec.modelled_quantities}
        modelled = [{q: v for q, v in e["values"].items() if q in quantities} for e in self.rows]
        ok = [values for values, e in zip(modelled, self.rows) if e["status"] == "ok"]
        reference = pooled(stored_values(self.store.measurements(self.campaign_id)), ok)
        problems: list[str] = []
        for entry, values in zip(self.rows, modelled):
            where = f"{self.origin}: line {entry['line']}"
            for _, reason in plausibility_problems(values, quantities, reference, own=entry["status"] == "ok"):
                if force:
                    entry["note"] = "; ".join(filter(None, [entry["note"], f"stored with --force: {reason}"]))
                else:
                    problems.append(f"{where}: {reason}; {FORCE_HINT}")
        if problems:
            raise DataError("\n".join(problems))

    def write(self, author: str | None = None) -> RecordReport:
        rows = []
        for entry in self.rows:
            key = entry["key"]
            new = isinstance(key, tuple)  # a new external formulation
            rows.append(
                NewMeasurement(
                    label=None if new else key,
                    replicate=entry["replicate"],
                    status=entry["status"],
                    note=entry["note"],
                    values=entry["values"],
                    where=f"{self.origin}: line {entry['line']}",
                    new_values=dict(key[2]) if new else None,
                    new_key=_key_id(key) if new else None,
                )
            )
        outcome = self.store.add_measurements(self.campaign_id, rows, author=author)
        report = RecordReport(
            added=outcome.added, new_formulations=list(outcome.new_labels.values()), notices=list(outcome.notices)
        )
        for held in outcome.already_stored:
            report.already_stored.append(
                f"{rows[held.index].where}: {held.label} replicate {held.replicate} is already stored"
                + (f" ({held.remark})" if held.remark else "")
            )
        self._report_external(report, rows, outcome)
        return report

    def _report_external(self, report: RecordReport, rows: list[NewMeasurement], outcome: RecordOutcome) -> None:
        """A line per stored literature row outside the bounds (used by the model) or without a
        value for some variable (left out of the model), with why."""
        duplicates = {held.index for held in outcome.already_stored}
        stored = [
            (entry, row)
            for i, (entry, row) in enumerate(zip(self.rows, rows))
            if i not in duplicates and "external" in entry
        ]
        if not stored:
            return
        table = self.space.read([entry["external"] for entry, _ in stored])
        reasons = self.space.outside(table)
        complete = self.space.complete(table)
        for (entry, row), why, ok in zip(stored, reasons, complete):
            if not why:
                continue
            label = row.label if row.label is not None else outcome.new_labels[row.new_key]
            where = f"line {entry['line']} ({label}): {why}"
            if ok:
                report.outside.append(f"{where}: stored as outside data, used by the model")
            else:
                report.left_out.append(f"{where}: stored, not used by the model")


FORCE_HINT = "if it is right, store it with --force"


def parse_value(obj: ObjectiveSpec, raw: Any, where: str, problems: list[str]) -> float | None:
    """A value of ``obj`` in its unit (a number, or text such as ``0.61`` or ``1e-3``; see
    :func:`optiform.numbers.parse_number`): finite, and > 0 when modelled on a log scale; None, with
    the problem added to ``problems``, otherwise."""
    v, problem = parse_number(raw, f"a number in {obj.unit or 'its unit'}")
    if v is None:
        problems.append(f"{where}: {obj.name}: {problem}")
    elif obj.log and v <= 0:
        problems.append(f"{where}: {obj.name}: must be > 0 {obj.unit} (modelled on a log scale), got {v:g}")
    else:
        return v
    return None


def parse_outcome(raw: Any) -> bool | None:
    """A pass/fail outcome (true/false, 1/0, yes/no); None when it is none of these."""
    text = str(raw).strip().lower()
    if text in ("true", "1", "1.0", "yes", "y"):
        return True
    if text in ("false", "0", "0.0", "no", "n"):
        return False
    return None


def amended_values(
    spec: CampaignSpec,
    current: Mapping[str, float],
    current_status: str,
    values: Mapping[str, Any],
    status: str | None,
    where: str,
) -> dict[str, float]:
    """The checked new values of an amendment of a measurement holding ``current`` with
    ``current_status``: each name a modelled quantity (checked as :func:`record_results` checks it),
    the pass/fail outcome (true/false, stored as 1/0) or a quantity the measurement already has
    (finite); the status ok or failed. The result must still make sense: a change to status ok needs
    a value of a modelled quantity, and a false outcome needs status failed. DataError listing every
    problem."""
    problems: list[str] = []
    if status is not None and status not in STATUSES:
        problems.append(f"{where}: status: {status!r} is not one of {', '.join(STATUSES)}")
    modelled = {q.name: q for q in spec.modelled_quantities}
    outcome = spec.feasibility.name if spec.feasibility is not None else None
    checked: dict[str, float] = {}
    for name, raw in values.items():
        if name in modelled:
            v = parse_value(modelled[name], raw, where, problems)
        elif name == outcome:
            passed = parse_outcome(raw)
            v = None if passed is None else float(passed)
            if passed is None:
                problems.append(f"{where}: {name}: expected true or false, got {raw!r}")
        elif name in current:
            v = parse_value(ObjectiveSpec(name=name, transform="none"), raw, where, problems)
        else:
            known = [*modelled, *([outcome] if outcome else []), *(q for q in current if q not in modelled)]
            problems.append(f"{where}: unknown quantity {name!r}; expected one of {', '.join(known)}")
            continue
        if v is not None:
            checked[name] = v
    if problems:
        raise DataError("\n".join(problems))
    new_status = status or current_status
    merged = {**current, **checked}
    if status == "ok" != current_status and not any(q in merged for q in modelled):
        problems.append(f"{where}: status ok needs a value of {', '.join(modelled)}")
    changed = status is not None or (outcome is not None and outcome in checked)
    if changed and outcome is not None and merged.get(outcome) == 0.0 and new_status == "ok":
        problems.append(f"{where}: {outcome} = false needs status failed (--status failed)")
    if problems:
        raise DataError("\n".join(problems))
    return checked


def plausible_amendment(
    spec: CampaignSpec, values: Mapping[str, float], reference: Mapping[str, Sequence[float]], where: str, force: bool
) -> list[str]:
    """Check the new ``values`` of an amendment (:func:`amended_values`) as :func:`record_results`
    checks a row (the median over ``reference``, the campaign's other values, with the new value):
    a DataError naming each implausible value unless ``force``; with it, the reasons (for the
    history)."""
    quantities = {q.name: q for q in spec.modelled_quantities}
    outcome = spec.feasibility.name if spec.feasibility is not None else None
    checked = {q: v for q, v in values.items() if q != outcome}
    found = plausibility_problems(checked, quantities, reference)
    if found and not force:
        raise DataError("\n".join(f"{where}: {reason}; {FORCE_HINT}" for _, reason in found))
    return [reason for _, reason in found]


def _key_id(key: Any) -> Any:
    return key[:2] if isinstance(key, tuple) else key


def _signature(values: dict[str, Any], space: Space) -> tuple[Any, ...]:
    """What identifies an external formulation: its values as given (None where it gives none; a
    component stored before it was added to the campaign is 0)."""
    out: list[Any] = []
    for v in space.variables:
        value = values.get(v, 0.0 if v in space.components else None)
        if value is None or v in space.categorical:
            out.append(value)
        else:
            out.append(round(float(value), 9))
    return tuple(out)
