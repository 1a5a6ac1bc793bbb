"""The :class:`Campaign` façade: the user's one entry point (create/open, propose, record, data,
best, predict, weighing sheets, ternary map).

    from optiform import Campaign
    c = Campaign.create("campaigns/llzt-cse/campaign.toml", store="sqlite:///run.db")
    batch = c.propose(6)                 # id + one column per variable
    sheet = c.weighing_sheet(batch, batch_mass_g=2.0)
    c.record(results)                    # id + objective columns (+ replicate, status, note)
    c.best(); c.predict(batch); c.plot_ternary("map.png")
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .recipe import weighing_sheet, write_batch
from .space import SUM_TOLERANCE, DataError, Space
from .spec import CampaignSpec, ObjectiveSpec, load_spec
from .store import FormulationRow, MeasurementRow, Store, ValueRow
from .store.db import StoreError

META_COLUMNS = ("id", "replicate", "status", "note")
STATUSES = ("ok", "failed")


@dataclass
class RecordReport:
    """What :meth:`Campaign.record` did: measurements added, duplicates skipped, formulations created."""

    added: int = 0
    duplicates: list[str] = field(default_factory=list)
    new_formulations: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [f"recorded {self.added} measurement(s)"]
        if self.new_formulations:
            parts.append(f"{len(self.new_formulations)} new outside formulation(s)")
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicate(s) not stored")
        return ", ".join(parts)


class Campaign:
    """A campaign in a store. Build with :meth:`create` or :meth:`open`."""

    def __init__(self, store: Store, campaign_id: int, spec: CampaignSpec, seed: int = 0) -> None:
        self.store = store
        self.id = campaign_id
        self.seed = seed
        self.spec = spec
        self.space = Space(spec)
        self._surrogates: dict[str, tuple[int, Any]] = {}

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def create(
        cls, spec: str | Path | CampaignSpec | dict, store: str | Store | None = None, seed: int | None = None
    ) -> "Campaign":
        """Start a campaign from a campaign file (or spec) in a store (URL, default ``optiform.db``).

        ``seed`` fixes the random streams of its proposals (default: drawn at random and stored, so
        a reopened campaign proposes reproducibly)."""
        spec = spec if isinstance(spec, CampaignSpec) else load_spec(spec)
        st = store if isinstance(store, Store) else Store(store)
        seed = int(np.random.SeedSequence().generate_state(1)[0] % 2**31) if seed is None else int(seed)
        cid = st.add_campaign(spec.name, spec.model_dump(mode="json"), seed=seed)
        return cls(st, cid, spec, seed)

    @classmethod
    def open(cls, store: str | Store | None = None, name: str | None = None) -> "Campaign":
        """Reopen a campaign; ``name`` is needed when the store holds several."""
        st = store if isinstance(store, Store) else Store(store, create=False)
        cid, _, spec_dict, seed = st.campaign(name)
        return cls(st, cid, CampaignSpec.model_validate(spec_dict), seed)

    @property
    def name(self) -> str:
        return self.spec.name

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"Campaign({self.name!r}, store={self.store.url!r})"

    # --- reading -----------------------------------------------------------------------------
    def formulations(self) -> pd.DataFrame:
        """One row per formulation: id, variables, source, batch, strategy, status, n_results."""
        f = self.store.formulations(self.id)
        m = self.store.measurements(self.id)
        table = self._expand(f)
        counts = {
            s: table["id"].map(m[m["status"] == s].groupby("label").size() if len(m) else {}).fillna(0).astype(int)
            for s in ("ok", "flagged", "failed")
        }
        table["status"] = np.select(
            [counts["ok"] > 0, counts["flagged"] > 0, counts["failed"] > 0], ["measured", "flagged", "failed"], "pending"
        )
        table["n_results"] = counts["ok"] + counts["flagged"] + counts["failed"]
        return table

    def data(self) -> pd.DataFrame:
        """All formulations with their measurements: one row per measurement (replicates as
        separate rows), and one row with status ``pending`` per formulation without results."""
        f = self._expand(self.store.formulations(self.id))
        m = self.store.measurements(self.id)
        quantities = self._quantities(m)
        rows = pd.DataFrame(
            {
                "id": m["label"],
                "replicate": m["replicate"],
                "status": m["status"],
                "note": m["note"],
                **{q: [v.get(q, np.nan) for v in m["values"]] for q in quantities},
            }
        )
        out = f.merge(rows, on="id", how="left")
        out["status"] = out["status"].fillna("pending")
        out["replicate"] = out["replicate"].astype("Int64")
        out["note"] = out["note"].fillna("")
        cols = ["id", *self.space.variables, *quantities, "status", "replicate", "note", "source", "batch", "strategy"]
        return out[cols]

    def _expand(self, f: pd.DataFrame) -> pd.DataFrame:
        values = pd.DataFrame(list(f["values"]), columns=self.space.variables) if len(f) else None
        table = pd.DataFrame({"id": f["label"]})
        for v in self.space.variables:
            table[v] = values[v].to_numpy() if values is not None else pd.Series(dtype=float)
        table["source"] = f["source"].to_numpy()
        table["batch"] = f["batch"].astype("Int64").to_numpy()
        table["strategy"] = f["strategy"].to_numpy()
        return table

    def _quantities(self, m: pd.DataFrame) -> list[str]:
        seen = dict.fromkeys(self.spec.objective_names)
        for values in m["values"]:
            seen.update(dict.fromkeys(values))
        return list(seen)

    def training_data(self, objective: ObjectiveSpec | None = None) -> pd.DataFrame:
        """Rows usable by the model for ``objective`` (default: the first): status ok, finite value."""
        obj = objective or self.spec.objectives[0]
        d = self.data()
        d = d[(d["status"] == "ok") & np.isfinite(pd.to_numeric(d[obj.name], errors="coerce"))]
        return d[["id", *self.space.variables, obj.name]].reset_index(drop=True)

    def best(self, objective: str | None = None) -> pd.Series:
        """Best measured formulation for ``objective`` (default: the first), by the mean over its
        replicates: id, variables, the mean value and ``n_replicates``."""
        obj = self.spec.objective(objective) if objective else self.spec.objectives[0]
        train = self.training_data(obj)
        if not len(train):
            raise DataError(f"campaign {self.name!r} has no measured {obj.name} yet")
        grouped = train.groupby("id", sort=False)
        means = grouped[obj.name].mean()
        best_id = means.idxmax() if obj.maximize else means.idxmin()
        row = train[train["id"] == best_id].iloc[0][["id", *self.space.variables]].copy()
        row[obj.name] = means[best_id]
        row["n_replicates"] = int(grouped.size()[best_id])
        return row

    # --- model -------------------------------------------------------------------------------
    def surrogate(self, objective: ObjectiveSpec | None = None):
        """The objective's fitted GP (refitted only when its training data changed)."""
        from .models import fit_surrogate  # torch import deferred: the CLI starts fast
        from .models.gp import torch_threads

        obj = objective or self.spec.objectives[0]
        train = self.training_data(obj)
        if len(train) < 2:
            raise DataError(f"need results for at least 2 formulations to model {obj.name} (have {len(train)})")
        key = int(pd.util.hash_pandas_object(train, index=False).sum())
        cached = self._surrogates.get(obj.name)
        if cached is None or cached[0] != key:
            with torch_threads(1):
                self._surrogates[obj.name] = (key, fit_surrogate(self.space, train, obj))
        return self._surrogates[obj.name][1]

    def feasibility_data(self) -> pd.DataFrame:
        """Rows with the declared pass/fail outcome recorded (variables + the outcome, 1 or 0)."""
        name = self.spec.feasibility.name if self.spec.feasibility else None
        d = self.data()
        if name is None or name not in d.columns:
            return pd.DataFrame(columns=[*self.space.variables, *([name] if name else [])])
        d = d[d[name].notna() & (d["status"] != "flagged")]
        return d[[*self.space.variables, name]].reset_index(drop=True)

    def feasibility_model(self):
        """The fitted feasibility model, or None (no ``[feasibility]`` declared, or only one class
        seen so far). Refitted only when its data changed."""
        from .models.feasibility import fit_feasibility
        from .models.gp import torch_threads

        if self.spec.feasibility is None:
            return None
        data = self.feasibility_data()
        key = int(pd.util.hash_pandas_object(data, index=False).sum()) if len(data) else 0
        cached = self._surrogates.get("__feasibility__")
        if cached is None or cached[0] != key:
            with torch_threads(1):
                model = fit_feasibility(self.space, data, self.spec.feasibility.name) if len(data) else None
            self._surrogates["__feasibility__"] = (key, model)
        return self._surrogates["__feasibility__"][1]

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        """Per objective: ``_mean``, ``_std``, ``_median``, ``_q05``, ``_q95`` (90% interval) in the
        objective's own units, for formulations given with one column per variable."""
        X = self.space.validate(df, origin="predict")
        parts = [self.surrogate(o).predict(X) for o in self.spec.objectives]
        feas = self.feasibility_model()
        if feas is not None:
            parts.append(pd.DataFrame({f"P_{feas.name}": feas.probability(X)}, index=X.index))
        return pd.concat(parts, axis=1).set_index(df.index)

    # --- proposing ---------------------------------------------------------------------------
    def propose(self, n: int, strategy: str | None = None, seed: int | None = None) -> pd.DataFrame:
        """The next ``n`` formulations: a DataFrame with ``id`` and one column per variable
        (mixture in its unit, summing exactly to the total). They are stored as pending."""
        from .strategies import ProposalContext, get_strategy

        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        name = strategy or self.spec.strategy.name
        strat = get_strategy(name, self.spec.strategy.options if name == self.spec.strategy.name else {})
        table = self.formulations()
        batch_no = int(table["batch"].max()) + 1 if table["batch"].notna().any() else 1
        obj = self.spec.objectives[0]
        ctx = ProposalContext(
            space=self.space,
            objective=obj,
            train=self.training_data(obj),
            existing=table.loc[table["status"] != "pending", self.space.variables],
            pending=table.loc[table["status"] == "pending", self.space.variables],
            n_initial=self.spec.n_initial,
            n_results=int((table["n_results"] > 0).sum()),
            seed=seed if seed is not None else self.seed + batch_no,
            surrogate=lambda: self.surrogate(obj),
            feasibility=self.feasibility_model,
        )
        from .models.gp import torch_threads

        with torch_threads(1):  # see torch_threads
            batch = strat.propose(int(n), ctx)
        return self._store_proposals(batch, batch_no, name)

    def _store_proposals(self, batch: pd.DataFrame, batch_no: int, strategy: str) -> pd.DataFrame:
        with self.store.transaction() as s:
            labels = s.query(FormulationRow.label).filter(FormulationRow.campaign_id == self.id).all()
            start = _next_number(label for (label,) in labels)
            ids = [f"F{start + i:04d}" for i in range(len(batch))]
            for label, (_, row) in zip(ids, batch.iterrows()):
                s.add(
                    FormulationRow(
                        campaign_id=self.id,
                        label=label,
                        values=_json_values(row, self.space),
                        source="proposed",
                        batch=batch_no,
                        strategy=strategy,
                    )
                )
        out = batch[self.space.variables].copy()
        out.insert(0, "id", ids)
        return out.reset_index(drop=True)

    def weighing_sheet(self, batch: pd.DataFrame | None = None, batch_mass_g: float = 1.0) -> pd.DataFrame:
        """Grams of each chemical for ``batch_mass_g`` of each formulation in ``batch`` (default:
        the pending ones); see :mod:`optiform.recipe`."""
        if batch is None:
            f = self.formulations()
            batch = f[f["status"] == "pending"][["id", *self.space.variables]]
        return weighing_sheet(self.spec, batch, batch_mass_g)

    def export_batch(self, batch: pd.DataFrame, path: str | Path, batch_mass_g: float | None = None) -> Path:
        """Write a batch (CSV or XLSX by suffix), with its weighing sheet when a batch mass is given."""
        sheet = self.weighing_sheet(batch, batch_mass_g) if batch_mass_g else None
        return write_batch(batch, path, sheet)

    # --- recording ---------------------------------------------------------------------------
    def record(self, results: pd.DataFrame | str | Path, origin: str | None = None) -> RecordReport:
        """Store measured results (one transaction; nothing is stored if any row is bad).

        Columns: ``id``, objective columns in their declared units, optional ``replicate``,
        ``status`` (``ok`` or ``failed``) and ``note``. Rows without ``id`` but with every variable
        column are outside data (e.g. literature points). The same id and replicate again is a
        duplicate: reported, not stored. Without a ``replicate`` column, rows of one id are numbered
        1, 2, ... in file order.
        """
        df, origin, lines = read_results(results, origin)
        plan = _RecordPlan(self, df, origin, lines)
        plan.check()
        return plan.write()

    # --- raw instrument files -----------------------------------------------------------------
    def ingest(self, manifest: pd.DataFrame | str | Path, base_dir: str | Path | None = None):
        """Analyse the raw files a manifest lists and store the derived values (see
        :mod:`optiform.ingest`); ``base_dir`` is where a DataFrame manifest's files are relative to."""
        from .ingest import ingest

        return ingest(self, manifest, Path(base_dir) if base_dir is not None else None)

    def analyses(self, sample_id: str | None = None) -> pd.DataFrame:
        """Derived values from raw files: quantity, value, uncertainty, method, flags, files."""
        from .ingest import analyses

        return analyses(self, sample_id)

    def accept(self, sample_id: str) -> int:
        """Accept a formulation's flagged measurements into the model; returns how many."""
        from .ingest import accept

        return accept(self, sample_id)

    def plot_nyquist(self, sample_id: str, out: str | Path) -> Path:
        """Nyquist plot of a formulation's ingested conductivity spectra with their fits (re-analysed
        from the stored raw files)."""
        from .analysis.eis import conductivity, plot_nyquist
        from .ingest import raw_files_of, temporary_folder

        rows = self._analyses_of(sample_id, "conductivity_mS_cm")
        with temporary_folder() as tmp:
            results = []
            for _, a in rows.iterrows():
                path = next(iter(raw_files_of(self, int(a["analysis_pk"]), Path(tmp)).values()))
                inputs = self._stored_inputs(int(a["analysis_pk"]))
                results.append(conductivity(path, thickness_um=inputs["thickness_um"], area_cm2=inputs["area_cm2"]))
            ax = plot_nyquist(results)
        ax.set_title(f"{self.name}: {sample_id}")
        return _save(ax.figure, out)

    def plot_arrhenius(self, sample_id: str, out: str | Path) -> Path:
        """Arrhenius plot of a formulation's ingested conductivities against temperature, with the fit."""
        from .analysis.arrhenius import arrhenius

        rows = self._analyses_of(sample_id, "conductivity_mS_cm").dropna(subset=["temperature_C"])
        if rows["temperature_C"].nunique() < 3:
            raise DataError(f"{sample_id}: needs conductivities at 3 or more temperatures for an Arrhenius plot")
        fit = arrhenius(rows["temperature_C"].to_numpy(float), rows["value"].to_numpy(float))
        ax = fit.plot()
        ax.set_title(f"{self.name}: {sample_id}, Ea = {fit.value:.3f} eV")
        return _save(ax.figure, out)

    def _analyses_of(self, sample_id: str, quantity: str) -> pd.DataFrame:
        if sample_id not in set(self.formulations()["id"]):
            raise DataError(f"unknown sample id {sample_id!r} in campaign {self.name!r}")
        a = self.analyses(sample_id)
        rows = a[a["quantity"] == quantity] if len(a) else a
        if not len(rows):
            raise DataError(f"{sample_id}: no ingested {quantity} (ingest raw files with 'optiform ingest MANIFEST')")
        return rows

    def _stored_inputs(self, analysis_pk: int) -> dict[str, Any]:
        from .store.db import AnalysisRow

        with self.store.transaction() as s:
            return dict(s.get(AnalysisRow, analysis_pk).result["inputs"])

    # --- plotting ----------------------------------------------------------------------------
    def plot_ternary(self, out: str | Path, axes: list[str] | None = None, objective: str | None = None) -> Path:
        """Ternary map of the objective's predicted median and uncertainty with the other variables
        held at the best measured formulation's values (see :mod:`optiform.plots.ternary`)."""
        from .plots import plot_mixture

        obj = self.spec.objective(objective) if objective else self.spec.objectives[0]
        best = self.best(obj.name)
        surrogate = self.surrogate(obj)
        plotted = list(axes) if axes else self.space.components
        fixed = {v: best[v] for v in self.space.variables if v not in plotted}
        d = self.data()
        measured = d[d["status"].isin(STATUSES)]
        proposals = d[d["status"] == "pending"]
        feas = self.feasibility_model()
        return plot_mixture(
            self.space, obj, surrogate.predict, measured, proposals, fixed, out, axes=axes, title=self.name,
            feasible=(feas.name, feas.probability) if feas is not None else None,
        )


def _save(fig, out: str | Path) -> Path:
    path = Path(out)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"{path}: expected a .png or .svg file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path


# --- record helpers -------------------------------------------------------------------------
def read_results(results: pd.DataFrame | str | Path, origin: str | None = None) -> tuple[pd.DataFrame, str, list[int]]:
    """A results table and, per row, the line it came from (CSV: header is line 1)."""
    if isinstance(results, pd.DataFrame):
        df = results.reset_index(drop=True)
        return df, origin or "results", [i + 1 for i in range(len(df))]
    path = Path(results)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            df = pd.read_excel(path, dtype={"id": str})
        else:
            df = pd.read_csv(path, dtype={"id": str}, skipinitialspace=True, comment="#")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(f"{path}: cannot read as a table: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df, origin or str(path), [i + 2 for i in range(len(df))]


def _next_number(labels) -> int:
    numbers = [int(m.group(1)) for label in labels if (m := re.fullmatch(r"F(\d+)", label))]
    return max(numbers, default=0) + 1


def _json_values(row: pd.Series, space: Space) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in space.variables:
        out[v] = str(row[v]) if v in space.categorical else float(row[v])
    return out


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()) or v is pd.NA


class _RecordPlan:
    """Validates a results table against the campaign, then writes it in one transaction."""

    def __init__(self, campaign: Campaign, df: pd.DataFrame, origin: str, lines: list[int]) -> None:
        self.c, self.df, self.origin, self.lines = campaign, df, origin, lines
        self.space = campaign.space
        self.objectives = [o for o in campaign.spec.objectives if o.name in df.columns]
        self.rows: list[dict[str, Any]] = []

    def _columns(self) -> None:
        spec = self.c.spec
        allowed = {*META_COLUMNS, *spec.objective_names, *self.space.variables}
        if spec.feasibility is not None:
            allowed.add(spec.feasibility.name)
        unknown = [c for c in self.df.columns if c not in allowed]
        if unknown:
            raise DataError(
                f"{self.origin}: unknown column(s) {', '.join(unknown)}; expected 'id', the objective "
                f"column(s) {', '.join(spec.objective_names)} (in the units their names declare), optional "
                f"'replicate', 'status' (ok or failed), 'note', "
                + (f"'{spec.feasibility.name}' (true or false), " if spec.feasibility else "")
                + "and for rows without an id the variables "
                f"{', '.join(self.space.variables)}"
            )
        feasibility = spec.feasibility.name if spec.feasibility else None
        if not self.objectives and "status" not in self.df.columns and feasibility not in self.df.columns:
            raise DataError(f"{self.origin}: no objective column; expected one of {', '.join(spec.objective_names)}")

    def check(self) -> None:
        self._columns()
        formulations = self.c.formulations()
        self.known = {r["id"]: r for _, r in formulations.iterrows()}
        problems: list[str] = []
        external_rows = [i for i in range(len(self.df)) if _blank(self.df.get("id", pd.Series([None] * len(self.df)))[i])]
        external = self._check_external(external_rows, formulations, problems)
        for i, line in enumerate(self.lines):
            row = self.df.iloc[i]
            where = f"{self.origin}: line {line}"
            entry = {"line": line, "note": "" if _blank(row.get("note")) else str(row["note"]).strip()}
            entry["status"] = self._status(row, where, problems)
            feasible = self._feasible(row, where, problems)
            if feasible is False:
                entry["status"] = "failed"
                entry["note"] = entry["note"] or f"{self.c.spec.feasibility.name} = false"
            entry["values"] = self._values(row, where, problems, entry["status"], feasible)
            if i in external:
                entry["key"] = external[i]
            else:
                label = str(row["id"]).strip()
                if label not in self.known:
                    problems.append(f"{where}: unknown sample id {label!r} in campaign {self.c.name!r}")
                else:
                    self._check_variables(row, label, where, problems)
                entry["key"] = label
            entry["replicate"] = self._replicate(row, where, problems)
            self.rows.append(entry)
        if problems:
            raise DataError("\n".join(problems))
        self._number_replicates()

    def _status(self, row: pd.Series, where: str, problems: list[str]) -> str:
        raw = row.get("status")
        status = "ok" if _blank(raw) else str(raw).strip().lower()
        if status not in STATUSES:
            problems.append(f"{where}: status: {raw!r} is not one of {', '.join(STATUSES)}")
        return status

    def _feasible(self, row: pd.Series, where: str, problems: list[str]) -> bool | None:
        """The declared pass/fail outcome of a row (None when not given)."""
        spec = self.c.spec.feasibility
        if spec is None or _blank(row.get(spec.name)):
            return None
        raw = row[spec.name]
        text = str(raw).strip().lower()
        if text in ("true", "1", "1.0", "yes", "y"):
            return True
        if text in ("false", "0", "0.0", "no", "n"):
            return False
        problems.append(f"{where}: {spec.name}: expected true or false, got {raw!r}")
        return None

    def _values(
        self, row: pd.Series, where: str, problems: list[str], status: str, feasible: bool | None = None
    ) -> dict[str, float]:
        values: dict[str, float] = {}
        for obj in self.objectives:
            raw = row.get(obj.name)
            if _blank(raw):
                continue
            try:
                v = float(str(raw).strip().replace(",", ".")) if isinstance(raw, str) else float(raw)
            except ValueError:
                problems.append(f"{where}: {obj.name}: expected a number in {obj.unit or 'its unit'}, got {raw!r}")
                continue
            if not math.isfinite(v):
                problems.append(f"{where}: {obj.name}: expected a finite number, got {raw!r}")
            elif obj.log and v <= 0:
                problems.append(f"{where}: {obj.name}: must be > 0 {obj.unit} (modelled on a log scale), got {v:g}")
            else:
                values[obj.name] = v
        if feasible is False and values:
            name = self.c.spec.feasibility.name
            problems.append(f"{where}: {name} = false carries no objective value (got {', '.join(values)})")
        if status == "ok" and not values:
            problems.append(
                f"{where}: no value for {', '.join(o.name for o in self.c.spec.objectives)}; "
                f"give one, or set status = failed"
            )
        if feasible is not None:
            values[self.c.spec.feasibility.name] = float(feasible)
        return values

    def _replicate(self, row: pd.Series, where: str, problems: list[str]) -> int | None:
        raw = row.get("replicate")
        if _blank(raw):
            return None
        try:
            rep = float(raw)
        except (TypeError, ValueError):
            rep = float("nan")
        if not (rep >= 1 and rep == int(rep)):
            problems.append(f"{where}: replicate: expected a whole number >= 1, got {raw!r}")
            return None
        return int(rep)

    def _check_variables(self, row: pd.Series, label: str, where: str, problems: list[str]) -> None:
        stored = self.known[label]
        tol = SUM_TOLERANCE * self.space.total
        for v in self.space.variables:
            if v not in row.index or _blank(row[v]):
                continue
            if v in self.space.categorical:
                same = str(row[v]).strip() == stored[v]
            else:
                try:
                    same = abs(float(row[v]) - float(stored[v])) <= max(tol, 1e-9 * abs(float(stored[v])))
                except ValueError:
                    same = False
            if not same:
                problems.append(f"{where}: {v} = {row[v]!r} but sample {label} has {v} = {stored[v]!r}")

    def _check_external(self, idx: list[int], formulations: pd.DataFrame, problems: list[str]) -> dict[int, Any]:
        """Validate rows without an id; map each to an existing formulation label or a new key."""
        if not idx:
            return {}
        sub = self.df.iloc[idx]
        try:
            clean = self.space.validate(sub, origin=self.origin, rows=[self.lines[i] for i in idx])
        except DataError as exc:
            problems.extend(str(exc).splitlines())
            return {i: ("new", i) for i in idx}
        keys: dict[int, Any] = {}
        existing = formulations[formulations["source"] == "external"] if len(formulations) else formulations
        seen: dict[tuple, Any] = {}
        for i, (_, row) in zip(idx, clean.iterrows()):
            signature = tuple(row[v] if v in self.space.categorical else round(float(row[v]), 9) for v in self.space.variables)
            if signature in seen:
                keys[i] = seen[signature]
                continue
            match = [
                r["id"]
                for _, r in existing.iterrows()
                if tuple(r[v] if v in self.space.categorical else round(float(r[v]), 9) for v in self.space.variables)
                == signature
            ]
            keys[i] = seen[signature] = match[0] if match else ("new", i, row)
        return keys

    def _number_replicates(self) -> None:
        """Rows without a replicate number get 1, 2, ... in file order per formulation."""
        counts: dict[Any, int] = {}
        for entry in self.rows:
            key = _key_id(entry["key"])
            counts[key] = counts.get(key, 0) + 1
            if entry["replicate"] is None:
                entry["replicate"] = counts[key]

    def write(self) -> RecordReport:
        report = RecordReport()
        stored = self.c.store.measurements(self.c.id)
        taken = {(r.label, int(r.replicate)) for r in stored.itertuples()}
        with self.c.store.transaction() as s:
            rows = s.query(FormulationRow).filter(FormulationRow.campaign_id == self.c.id).all()
            by_label = {f.label: f for f in rows}
            next_no = _next_number(by_label)
            new_labels: dict[Any, str] = {}
            for entry in self.rows:
                key = entry["key"]
                if isinstance(key, tuple):  # a new outside formulation
                    kid = _key_id(key)
                    if kid not in new_labels:
                        label = f"F{next_no:04d}"
                        next_no += 1
                        f = FormulationRow(
                            campaign_id=self.c.id, label=label, values=_json_values(key[2], self.space), source="external"
                        )
                        s.add(f)
                        by_label[label] = f
                        new_labels[kid] = label
                        report.new_formulations.append(label)
                    label = new_labels[kid]
                else:
                    label = key
                rep = entry["replicate"]
                if (label, rep) in taken:
                    report.duplicates.append(
                        f"{self.origin}: line {entry['line']}: {label} replicate {rep} is already recorded "
                        f"(not stored; number new replicates in a 'replicate' column)"
                    )
                    continue
                taken.add((label, rep))
                m = MeasurementRow(
                    formulation=by_label[label], replicate=rep, status=entry["status"], note=entry["note"]
                )
                m.values = [ValueRow(quantity=q, value=v) for q, v in entry["values"].items()]
                s.add(m)
                report.added += 1
        return report


def _key_id(key: Any) -> Any:
    return key[:2] if isinstance(key, tuple) else key


__all__ = ["Campaign", "DataError", "RecordReport", "StoreError", "read_results"]
