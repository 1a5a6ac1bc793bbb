"""Ingest raw instrument files through the analysis core into a campaign.

A manifest (CSV or DataFrame) has one row per file:

========== ====================================================================================
column     meaning
========== ====================================================================================
id         the formulation (sample id) the file belongs to
kind       ``eis`` (blocking-electrode conductivity spectrum), ``transference``, ``lsv``,
           ``cycling``, ``symmetric``
file       path, relative to the manifest; it must lie in the manifest's folder or below it
           (symbolic links followed) unless ``allow_outside``
role       for ``transference``: ``eis_before``, ``ca``, ``eis_after`` (others: empty)
group      ties a set (a transference triple) or a temperature series together; default: the id
metadata   ``thickness_um``, ``area_cm2``, ``temperature_C`` (eis), ``delta_V_mV`` (transference),
           ``active_mass_mg`` (cycling), ``area_cm2`` (lsv, symmetric)
outcome    optional: a column named after the campaign's ``[feasibility]`` outcome (e.g. ``solid``),
           true/false (also 1/0, yes/no): recorded with the group's measurement so the
           feasibility model learns from ingested films too; one value per group
========== ====================================================================================

Each (id, kind, group) becomes one measurement of the formulation (a new replicate) whose values
are the derived quantities: conductivity at the campaign's ``reference_temperature_C`` (measured
within ±0.5 °C, else interpolated by the group's Arrhenius fit when the series brackets it),
activation energy from a series of three or more temperatures (spectra with a failing quality
flag are left out of that fit, and of the conductivity at the reference temperature when another
spectrum there passes), t+, oxidation onset, capacities,
overpotential. Every derived value is also kept as an analysis with its method, uncertainty,
flags and fit details, and every raw file by content hash. A group with a failing quality flag is
stored with status ``flagged`` and kept out of the model until accepted; a group whose analysis gives
a value that is not a finite number (inf, NaN) is refused, naming its line and file.

All rows are read and analysed before anything is written; a manifest with any bad row is rejected
whole, listing every bad row, and nothing is stored. Files already ingested are reported and
skipped: checked before the analysis, and again inside the store's write transaction, so that
when two processes ingest the same manifest at once each group is stored once (the store's unique
``source_key`` of a formulation's group enforces it).
The manifest is read as written (a CSV's cells as text, ``#`` as data); its numbers must be
numbers (no booleans, ``0,5`` or ``1_000``). A derived value that is not plausible (outside its
quantity's range or 10³× from the campaign's median, :func:`optiform.inputs.implausible`; e.g. a
thickness in mm in the ``thickness_um`` column) is refused unless ``force``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analysis.types import Result
from .errors import AnalysisError, DataError, path_error
from .inputs import cell_text, plausibility_problems, pooled, read_table, stored_values
from .numbers import parse_number
from .spec import TEMPERATURE_RANGE_TEXT, CampaignSpec, is_temperature_C
from .store import IngestedGroup, NewAnalysis, RawFile, Store, cancelled_message, source_key

TRANSFERENCE_ROLES = ("eis_before", "ca", "eis_after")
NUMERIC = ("thickness_um", "area_cm2", "temperature_C", "delta_V_mV", "active_mass_mg")
COLUMNS = ("id", "kind", "file", "role", "group", *NUMERIC)
REFERENCE_TOLERANCE_C = 0.5
OUTCOME_WORDS = {"true": 1.0, "1": 1.0, "yes": 1.0, "false": 0.0, "0": 0.0, "no": 0.0}


@dataclass
class IngestReport:
    """What :meth:`Campaign.ingest` did."""

    measurements: list[str] = field(default_factory=list)  # "F0003 (eis, group g1): conductivity_mS_cm=..."
    unchanged: list[str] = field(default_factory=list)  # groups whose files were all ingested before
    flagged: list[str] = field(default_factory=list)  # groups stored with failing flags

    def __str__(self) -> str:
        parts = [f"ingested {len(self.measurements)} measurement(s)"]
        if self.flagged:
            parts.append(f"{len(self.flagged)} flagged (kept out of the model until 'optiform accept ID')")
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already ingested (unchanged)")
        return ", ".join(parts)


@dataclass
class _Row:
    line: int
    id: str
    kind: str
    path: Path
    role: str
    group: str
    meta: dict[str, float]
    sha256: str = ""
    content: bytes = b""


@dataclass
class _Group:
    id: str
    kind: str
    group: str
    rows: list[_Row]
    results: list[tuple[Result, list[_Row], float | None]] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)
    forced: list[str] = field(default_factory=list)  # implausible values stored with force: why

    @property
    def label(self) -> str:
        return f"{self.id} ({self.kind}, group {self.group})"

    @property
    def failing(self) -> bool:
        return any(r.failing for r, _, _ in self.results)


def read_manifest(
    manifest: pd.DataFrame | str | Path, base_dir: Path | None = None
) -> tuple[pd.DataFrame, str, Path, list[int]]:
    """The manifest table, its name for messages, the folder files are relative to, line numbers."""
    if isinstance(manifest, pd.DataFrame):
        df = manifest.reset_index(drop=True)
        return df, "manifest", Path(base_dir or "."), [i + 1 for i in range(len(df))]
    path = Path(manifest)
    df, lines = read_table(path, "manifest", missing="manifest not found")
    return df, str(path), path.parent, lines


def ingest(
    store: Store,
    campaign_id: int,
    spec: CampaignSpec,
    manifest: pd.DataFrame | str | Path,
    base_dir: Path | None = None,
    author: str | None = None,
    force: bool = False,
    allow_outside: bool = False,
) -> IngestReport:
    """Validate, analyse and store a manifest's files into campaign ``campaign_id`` of ``store``
    as written by ``author`` (see module docstring). ``allow_outside``: files may lie outside the
    manifest's folder (``base_dir`` for a DataFrame); ``force``: store implausible values (the
    reason in the measurement's note)."""
    df, origin, folder, lines = read_manifest(manifest, base_dir)
    rows = _parse_rows(store, campaign_id, spec, df, origin, folder, lines, allow_outside)
    groups = _group(rows, origin)
    known = store.ingested_files(campaign_id)
    report = IngestReport()
    todo = [g for g in groups if not _already_ingested(g, known, origin, report)]
    problems: list[str] = []
    for g in todo:
        try:
            _analyse(spec, g)
        except (AnalysisError, ValueError, OSError) as exc:
            first = g.rows[0]
            problems.append(f"{origin}: line {first.line}: {g.label}: {exc}")
            continue
        problems += _non_finite(g, origin)
    if problems:
        raise DataError("\n".join(problems))
    _check_plausible(store, campaign_id, spec, todo, origin, force)
    _write(store, campaign_id, todo, origin, report, author)
    return report


def _check_plausible(
    store: Store, campaign_id: int, spec: CampaignSpec, groups: list[_Group], origin: str, force: bool
) -> None:
    """Refuse derived values that are not finite, and (unless ``force``: then noted in the group's
    ``forced``) values that are not plausible, judged against the campaign's stored values and the
    manifest's (:func:`optiform.inputs.implausible`)."""
    quantities = {q.name: q for q in spec.modelled_quantities}
    outcome = spec.feasibility.name if spec.feasibility is not None else None
    values = [{q: float(v) for q, v in g.values.items() if q != outcome} for g in groups]
    used = [v for v, g in zip(values, groups) if not g.failing]  # flagged groups stay out of the reference
    reference = pooled(stored_values(store.measurements(campaign_id)), used)
    problems = []
    for g, given in zip(groups, values):
        where = f"{origin}: line {g.rows[0].line}: {g.label}"
        bad = [f"{q} = {v}" for q, v in given.items() if not math.isfinite(v)]
        if bad:
            problems.append(f"{where}: {', '.join(bad)} is not a finite number; the analysis cannot be used")
            continue
        for _, reason in plausibility_problems(given, quantities, reference, own=not g.failing):
            if force:
                g.forced.append(reason)
            else:
                problems.append(
                    f"{where}: {reason} (check the manifest's metadata: thickness_um, area_cm2, ...); "
                    "if it is right, store it with --force"
                )
    if problems:
        raise DataError("\n".join(problems))


# --- validation -------------------------------------------------------------------------------
def _parse_rows(
    store: Store,
    campaign_id: int,
    spec: CampaignSpec,
    df: pd.DataFrame,
    origin: str,
    folder: Path,
    lines: list[int],
    allow_outside: bool = False,
) -> list[_Row]:
    outcome = spec.feasibility.name if spec.feasibility is not None else None
    unknown = [c for c in df.columns if c not in COLUMNS and c != outcome]
    missing = [c for c in ("id", "kind", "file") if c not in df.columns]
    if unknown or missing:
        raise DataError(
            f"{origin}: "
            + (f"unknown column(s) {', '.join(unknown)}; " if unknown else "")
            + (f"missing column(s) {', '.join(missing)}; " if missing else "")
            + f"expected id, kind, file and optional role, group, {', '.join(NUMERIC)}"
            + (f", {outcome}" if outcome else "")
        )
    table = store.formulations(campaign_id).set_index("label")
    ids = set(table.index)
    root = folder.resolve()
    problems: list[str] = []
    rows: list[_Row] = []
    for i, line in enumerate(lines):
        rec = {c: _text(df[c].iloc[i]) for c in df.columns}
        where = f"{origin}: line {line}"
        n_before = len(problems)
        if rec["id"] not in ids:
            problems.append(f"{where}: unknown sample id {rec['id']!r} in campaign {spec.name!r}")
        elif pd.notna(table.at[rec["id"], "cancelled_at"]):
            cancelled = table.loc[rec["id"]]
            message = cancelled_message(rec["id"], cancelled["cancelled_at"], cancelled["cancel_reason"])
            problems.append(f"{where}: {message}")
        kind = rec["kind"].lower()
        how = ANALYSES.get(kind)
        if how is None:
            problems.append(f"{where}: kind {rec['kind']!r} is not one of {', '.join(ANALYSES)}")
        path = (folder / rec["file"]) if rec["file"] else folder
        if not rec["file"] or not path.is_file():
            problems.append(f"{where}: file {rec['file']!r} not found (looked in {folder})")
        elif not allow_outside and not path.resolve().is_relative_to(root):
            problems.append(
                f"{where}: file {rec['file']!r} lies outside the manifest's folder {folder} (it is "
                f"{path.resolve()}); move it below the folder, or pass --allow-outside"
            )
        role = rec.get("role", "").lower()
        if how is not None and how.roles and role not in how.roles:
            problems.append(f"{where}: role {role!r}: a {kind} file is one of {', '.join(how.roles)}")
        meta = {}
        unreadable = set()  # given but refused: not also "required"
        for name in NUMERIC:
            raw = rec.get(name, "")
            if not raw:
                continue
            value, problem = parse_number(raw)
            if value is None:
                problems.append(f"{where}: {name}: {problem}")
                unreadable.add(name)
                continue
            meta[name] = value
            if name == "temperature_C" and not is_temperature_C(value):
                problems.append(f"{where}: {name}: {TEMPERATURE_RANGE_TEXT}, got {raw!r}")
            elif name != "temperature_C" and value <= 0:
                problems.append(f"{where}: {name}: expected a positive number, got {raw!r}")
        if outcome and rec.get(outcome, ""):
            flag = OUTCOME_WORDS.get(rec[outcome].lower())
            if flag is None:
                problems.append(f"{where}: {outcome}: expected true or false, got {rec[outcome]!r}")
            else:
                meta[outcome] = flag
        for name in how.required_for(role) if how is not None else ():
            if name not in meta and name not in unreadable:
                problems.append(f"{where}: {name} is required for kind {kind!r}")
        if len(problems) == n_before:
            try:
                content = path.read_bytes()
            except OSError as exc:
                problems.append(str(path_error(path, exc, "read the file")))
                continue
            rows.append(
                _Row(
                    line,
                    rec["id"],
                    kind,
                    path,
                    role,
                    rec.get("group", "") or rec["id"],
                    meta,
                    hashlib.sha256(content).hexdigest(),
                    content,
                )
            )
    if problems:
        raise DataError("\n".join(problems))
    return rows


def _text(v: Any) -> str:
    return cell_text(v)


def _group(rows: list[_Row], origin: str) -> list[_Group]:
    groups: dict[tuple[str, str, str], _Group] = {}
    for r in rows:
        groups.setdefault((r.id, r.kind, r.group), _Group(r.id, r.kind, r.group, [])).rows.append(r)
    problems = []
    seen: dict[str, _Row] = {}
    for r in rows:
        if r.sha256 in seen:
            problems.append(
                f"{origin}: line {r.line}: {r.path.name} has the same content as line {seen[r.sha256].line}"
            )
        seen.setdefault(r.sha256, r)
    for g in groups.values():
        how = ANALYSES[g.kind]
        if how.roles:
            roles = sorted(r.role for r in g.rows)
            if roles != sorted(how.roles):
                problems.append(
                    f"{origin}: line {g.rows[0].line}: {g.label}: needs exactly one file per role "
                    f"{', '.join(how.roles)} (got {', '.join(roles)})"
                )
        elif how.one_file and len(g.rows) > 1:
            problems.append(f"{origin}: line {g.rows[1].line}: {g.label}: one {g.kind} file per group")
        outcomes = {k: v for r in g.rows for k, v in r.meta.items() if k not in NUMERIC}
        for k in outcomes:
            if len({r.meta[k] for r in g.rows if k in r.meta}) > 1:
                problems.append(f"{origin}: line {g.rows[0].line}: {g.label}: {k} differs between the group's rows")
    if problems:
        raise DataError("\n".join(problems))
    return list(groups.values())


def _already_ingested(g: _Group, known: dict[str, tuple[str, str, str]], origin: str, report: IngestReport) -> bool:
    seen = [r for r in g.rows if r.sha256 in known]
    if not seen:
        return False
    if len(seen) == len(g.rows) and all(known[r.sha256] == (g.id, g.kind, g.group) for r in seen):
        report.unchanged.append(f"{g.label}: {', '.join(r.path.name for r in g.rows)} already ingested")
        return True
    r = seen[0]
    prev = known[r.sha256]
    raise DataError(
        f"{origin}: line {r.line}: {r.path.name} was already ingested for {prev[0]} ({prev[1]}, group {prev[2]}); "
        f"a group is ingested whole: put new files in a new group"
    )


# --- analysis ---------------------------------------------------------------------------------
def _analyse(spec: CampaignSpec, g: _Group) -> None:
    """Run the analysis for one group; fills ``g.results`` and ``g.values`` (plus the pass/fail
    outcome when the manifest gives it)."""
    ANALYSES[g.kind].analyse(spec, g)
    for r in g.rows:
        g.values.update({k: v for k, v in r.meta.items() if k not in NUMERIC})


def _non_finite(g: _Group, origin: str) -> list[str]:
    """One problem per derived value of ``g`` that is not a finite number (an overflow, a fit gone
    wrong): such a group is not stored."""
    problems = [
        f"{origin}: line {rows[0].line}: {g.label}: {', '.join(r.path.name for r in rows)} gives "
        f"{res.quantity} = {res.value}: not stored"
        for res, rows, _ in g.results
        if not math.isfinite(res.value)
    ]
    told = {res.quantity for res, _, _ in g.results if not math.isfinite(res.value)}
    problems += [
        f"{origin}: line {g.rows[0].line}: {g.label}: {q} = {v}: not stored"
        for q, v in g.values.items()
        if not math.isfinite(v) and q not in told
    ]
    return problems


def _analyse_eis(spec: CampaignSpec, g: _Group) -> None:
    from .analysis.arrhenius import arrhenius
    from .analysis.eis import conductivity

    ref = spec.reference_temperature_C
    temps, sigmas, at_ref, good = [], [], [], []
    for r in g.rows:
        res = conductivity(r.path, thickness_um=r.meta["thickness_um"], area_cm2=r.meta["area_cm2"])
        T = r.meta["temperature_C"]
        res.inputs["temperature_C"] = T
        g.results.append((res, [r], T))
        temps.append(T)
        sigmas.append(res.value)
        good.append(not any(f.failing for f in res.flags))
        if abs(T - ref) <= REFERENCE_TOLERANCE_C:
            at_ref.append((res.value, good[-1]))
    # the Arrhenius fit leaves out spectra with a failing quality flag (they are stored and shown)
    fit_rows = [(r, T, v) for r, T, v, ok in zip(g.rows, temps, sigmas, good) if ok]
    if len({T for _, T, _ in fit_rows}) >= 3:
        fit_T = [T for _, T, _ in fit_rows]
        fit = arrhenius(fit_T, [v for _, _, v in fit_rows])
        g.results.append((fit, [r for r, _, _ in fit_rows], None))
        g.values["activation_energy_eV"] = fit.value
        if not at_ref and min(fit_T) <= ref <= max(fit_T):
            g.values["conductivity_mS_cm"] = float(fit.predict([ref])[0])  # interpolated: method in the analyses
    if at_ref:
        usable = [v for v, ok in at_ref if ok] or [v for v, _ in at_ref]
        g.values["conductivity_mS_cm"] = float(np.mean(usable))


def _analyse_transference(spec: CampaignSpec, g: _Group) -> None:
    from .analysis.readers import read_eis, read_series
    from .analysis.transference import transference_number

    by_role = {r.role: r for r in g.rows}
    delta = next(r.meta["delta_V_mV"] for r in g.rows if "delta_V_mV" in r.meta)
    res = transference_number(
        read_series(by_role["ca"].path),
        delta_V_mV=delta,
        eis_before=read_eis(by_role["eis_before"].path),
        eis_after=read_eis(by_role["eis_after"].path),
    )
    g.results.append((res, list(g.rows), by_role["ca"].meta.get("temperature_C")))
    g.values[res.quantity] = res.value


def _analyse_lsv(spec: CampaignSpec, g: _Group) -> None:
    from .analysis.lsv import stability_onset
    from .analysis.readers import read_series

    r = g.rows[0]
    res = stability_onset(read_series(r.path), area_cm2=r.meta["area_cm2"])
    g.results.append((res, [r], r.meta.get("temperature_C")))
    g.values[res.quantity] = res.value


def _analyse_cycling(spec: CampaignSpec, g: _Group) -> None:
    from .analysis.cycling import cycling_summary
    from .analysis.readers import read_series

    r = g.rows[0]
    res = cycling_summary(read_series(r.path), active_mass_mg=r.meta.get("active_mass_mg"))
    for sub in _sub_results(res):
        if math.isfinite(sub.value):  # no mAh/g without an active mass
            g.results.append((sub, [r], r.meta.get("temperature_C")))
            g.values[sub.quantity] = sub.value


def _analyse_symmetric(spec: CampaignSpec, g: _Group) -> None:
    from .analysis.cycling import symmetric_summary
    from .analysis.readers import read_series

    r = g.rows[0]
    res = symmetric_summary(read_series(r.path), area_cm2=r.meta.get("area_cm2"))
    g.results.append((res, [r], r.meta.get("temperature_C")))
    g.values[res.quantity] = res.value


def _sub_results(res: Result) -> Iterable[Result]:
    """A result may bundle several canonical quantities (cycling); yield each as a Result."""
    subs = getattr(res, "results", None)
    if callable(subs):
        subs = subs()
    return list(subs) if subs else [res]


@dataclass(frozen=True)
class Analysis:
    """How one ``kind`` of manifest row is ingested: ``analyse`` turns a group of its files into
    results and values; ``required`` metadata columns for every file (more per role in
    ``required_by_role``); ``roles``: a group holds exactly one file of each (empty: no roles);
    ``one_file``: a group is a single file."""

    analyse: Callable[[CampaignSpec, _Group], None]
    required: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    required_by_role: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    one_file: bool = False

    def required_for(self, role: str) -> tuple[str, ...]:
        return (*self.required, *self.required_by_role.get(role, ()))


ANALYSES: dict[str, Analysis] = {
    "eis": Analysis(_analyse_eis, required=("thickness_um", "area_cm2", "temperature_C")),
    "transference": Analysis(_analyse_transference, roles=TRANSFERENCE_ROLES, required_by_role={"ca": ("delta_V_mV",)}),
    "lsv": Analysis(_analyse_lsv, required=("area_cm2",), one_file=True),
    "cycling": Analysis(_analyse_cycling, one_file=True),
    "symmetric": Analysis(_analyse_symmetric, one_file=True),
}
"""The manifest's kinds: the one table to register a new kind of measurement in."""
KINDS = tuple(ANALYSES)


# --- writing ----------------------------------------------------------------------------------
def _write(
    store: Store, campaign_id: int, groups: list[_Group], origin: str, report: IngestReport, author: str | None
) -> None:
    if not groups:
        return
    stored = []
    for g in groups:
        analyses = [
            NewAnalysis(
                quantity=res.quantity,
                value=float(res.value),
                uncertainty=_finite_or_none(res.uncertainty),
                temperature_C=temperature,
                method=res.method,
                failing=res.failing,
                result=res.to_dict(),
                files=[RawFile(r.path.name, r.content, r.sha256, r.role or g.kind) for r in rows],
            )
            for res, rows, temperature in g.results
        ]
        stored.append(
            IngestedGroup(
                label=g.id,
                kind=g.kind,
                group=g.group,
                status="flagged" if g.failing else "ok",
                note="; ".join(
                    [f"ingested {g.kind} group {g.group}", *(f"stored with --force: {r}" for r in g.forced)]
                ),
                values={q: float(v) for q, v in g.values.items()},
                analyses=analyses,
                where=f"{origin}: line {g.rows[0].line}",
                source_key=source_key(g.kind, [(r.sha256, r.role or g.kind) for r in g.rows]),
            )
        )
    replicates = store.add_ingested_groups(campaign_id, stored, author=author)
    for g, replicate in zip(groups, replicates):
        if replicate is None:  # another process stored it after this one looked
            report.unchanged.append(f"{g.label}: {', '.join(r.path.name for r in g.rows)} already ingested")
            continue
        values = ", ".join(f"{q}={v:.4g}" for q, v in g.values.items()) or "no objective value"
        report.measurements.append(f"{g.label}: {values}")
        if g.failing:
            codes = sorted({fl.code for res, _, _ in g.results for fl in res.flags if fl.failing})
            report.flagged.append(f"{g.label}: {', '.join(codes)}")


def _finite_or_none(uncertainty: float | None) -> float | None:
    """An uncertainty that is not a finite number (a singular fit covariance) is stored as None: not estimated."""
    return None if uncertainty is None or not math.isfinite(uncertainty) else float(uncertainty)
