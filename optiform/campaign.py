"""The :class:`Campaign` façade: the user's one entry point (create/open, update, propose, record,
data, best, predict, weighing sheets, ternary map).

    from optiform import Campaign
    c = Campaign.create("campaigns/llzt-cse/campaign.toml", store="sqlite:///run.db")
    batch = c.propose(6)                 # id + one column per variable
    sheet = c.weighing_sheet(batch, batch_mass_g=2.0)
    c.export_sheet(batch=1, batch_mass_g=2.0, path="batch1.xlsx")   # fill actual_g at the balance
    c.record("batch1.xlsx")              # what was made; the model learns from it
    c.record(results)                    # id + objective columns (+ replicate, status, note)
    c.best(); c.predict(batch); c.plot_ternary("map.png")
    c.update("campaigns/llzt-cse/campaign.toml")   # after editing the file: a new spec version
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import DataError, OptiformWarning, ProposalConflict, SpecError, StoreError, StrategyError
from .inputs import stored_values
from .made import MadeReport, record_made
from .numbers import parse_number
from .recipe import is_weighing_sheet, weighing_sheet, write_batch, write_weighing_sheet
from .record import (
    STATUSES,
    RecordReport,
    amended_values,
    formulation_values,
    plausible_amendment,
    read_results,
    record_results,
)
from .space import Space
from .spec import CampaignSpec, ObjectiveSpec, RecipeSpec, load_spec
from .store import Store

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .ingest import IngestReport
    from .models.diagnostics import ModelDiagnostics
    from .models.feasibility import FeasibilityModel
    from .models.gp import Surrogate
    from .update import UpdateReport


PROPOSE_ATTEMPTS = 5
"""How often :meth:`Campaign.propose` computes a batch when other processes keep adding formulations."""


class Campaign:
    """A campaign in a store. Build with :meth:`create` or :meth:`open`."""

    def __init__(
        self, store: Store, campaign_id: int, spec: CampaignSpec, seed: int = 0, author: str | None = None
    ) -> None:
        self.store = store
        self.id = campaign_id
        self.seed = seed
        self.spec = spec
        self.author = author or default_author()
        """Who this campaign's writes are recorded as (``python:<os user>`` unless given)."""
        self.space = Space(spec)
        self._surrogates: dict[str, tuple[int, Any]] = {}

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        spec: str | Path | CampaignSpec | dict[str, Any],
        store: str | Store | None = None,
        seed: int | None = None,
        author: str | None = None,
    ) -> Campaign:
        """Start a campaign from a campaign file (or spec) in a store (URL, default ``optiform.db``).

        ``seed`` fixes the random streams of its proposals (default: drawn at random and stored, so
        a reopened campaign proposes reproducibly). ``author`` is who its writes are recorded as
        (default ``python:<os user>``; the command line uses ``cli:<os user>``)."""
        source = str(Path(spec).resolve()) if isinstance(spec, (str, Path)) else None
        spec = spec if isinstance(spec, CampaignSpec) else load_spec(spec)
        st = store if isinstance(store, Store) else Store(store)
        seed = int(np.random.SeedSequence().generate_state(1)[0] % 2**31) if seed is None else int(seed)
        author = author or default_author()
        cid = st.add_campaign(spec.name, spec.model_dump(mode="json"), seed=seed, source=source, author=author)
        return cls(st, cid, spec, seed, author)

    @classmethod
    def open(cls, store: str | Store | None = None, name: str | None = None, author: str | None = None) -> Campaign:
        """Reopen a campaign; ``name`` is needed when the store holds several. ``author`` as in
        :meth:`create`."""
        st = store if isinstance(store, Store) else Store(store, create=False)
        record = st.campaign(name)
        return cls(st, record.id, CampaignSpec.model_validate(record.spec), record.seed, author)

    @property
    def name(self) -> str:
        return self.spec.name

    # --- changing the campaign ---------------------------------------------------------------
    def update(self, spec: str | Path | CampaignSpec | dict[str, Any], note: str = "") -> UpdateReport:
        """Change the campaign's spec: a new version of its campaign file (path), a dict or a
        CampaignSpec. Bounds may widen or narrow (formulations outside stay as data, marked in the
        ``outside`` column), parameters (with ``existing = VALUE``: the value formulations stored
        before had), components, objectives, outcome and known constraints be added, the strategy
        and its options change (:mod:`optiform.update`). Every version is kept with its time,
        author, file and ``note`` (:meth:`spec_versions`). A change that contradicts stored data
        (removing a component measured formulations contain, ...) is a DataError naming the rows,
        and nothing is stored; an identical spec stores nothing (``report.changed`` is False)."""
        from .update import update_campaign

        source = str(Path(spec).resolve()) if isinstance(spec, (str, Path)) else None
        origin = str(spec) if isinstance(spec, (str, Path)) else "campaign"
        new = spec if isinstance(spec, CampaignSpec) else load_spec(spec)
        report = update_campaign(self.store, self.name, new, source, self.author, note, origin)
        self.spec = CampaignSpec.model_validate(self.store.campaign(self.name).spec)
        self.space = Space(self.spec)
        self._surrogates.clear()
        return report

    def spec_versions(self) -> pd.DataFrame:
        """Every version of the campaign's spec, oldest first: version, created_at, author, source
        (the campaign file it was read from, or None), note, spec (the JSON dict)."""
        return self.store.campaign_specs(self.id)

    def spec_file_changed(self) -> str | None:
        """A warning when the campaign file the current spec version was read from now holds a
        different spec (edited but not applied with :meth:`update`), or no longer loads; None when
        it matches, is gone, or the spec did not come from a file."""
        record = self.store.campaign(self.name)
        if record.source is None or not Path(record.source).is_file():
            return None
        path = Path(record.source)
        shown = _shown_path(path)
        try:
            on_disk = load_spec(path)
        except SpecError as exc:
            first = str(exc).splitlines()[0]
            return f"{shown} no longer loads ({first}); proposals use the stored spec (version {record.spec_version})"
        if on_disk.model_dump(mode="json") == CampaignSpec.model_validate(record.spec).model_dump(mode="json"):
            return None
        versions = self.spec_versions()
        stamp = pd.Timestamp(versions["created_at"].iloc[-1])
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return (
            f"{shown} changed since it was stored (version {record.spec_version}, {stamp:%Y-%m-%d %H:%M} UTC); "
            f"run 'optiform update {shown}' to use it"
        )

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"Campaign({self.name!r}, store={self.store.url!r})"

    # --- reading -----------------------------------------------------------------------------
    def formulations(self) -> pd.DataFrame:
        """One row per formulation: id, variables (the target), source, batch, strategy, status,
        n_results, cancelled_at, cancel_reason, made (what was made is recorded, from a filled
        weighing sheet), outside. Status: ``cancelled`` (withdrawn by :meth:`cancel`), ``measured``
        (an ok result), ``flagged``, ``failed``, ``retracted`` (made, but every result retracted),
        else ``pending``. ``n_results`` leaves retracted results out. ``outside`` says why a
        formulation lies outside the current spec ('' when it does not): beyond a bound
        (``SN = 70 > max 60``), a known constraint broken, a value missing (``no value for
        porosity``) or a categorical value that is no longer a choice."""
        f = self.store.formulations(self.id)
        m = self.store.measurements(self.id)
        table = self._expand(f)
        status = m["status"].where(m["retracted_at"].isna(), "retracted")
        counts = {
            s: table["id"].map(m[status == s].groupby("label").size() if len(m) else {}).fillna(0).astype(int)
            for s in ("ok", "flagged", "failed", "retracted")
        }
        cancelled = f["cancelled_at"].notna().to_numpy()
        table["status"] = np.select(
            [cancelled, counts["ok"] > 0, counts["flagged"] > 0, counts["failed"] > 0, counts["retracted"] > 0],
            ["cancelled", "measured", "flagged", "failed", "retracted"],
            "pending",
        )
        table["n_results"] = counts["ok"] + counts["flagged"] + counts["failed"]
        table["cancelled_at"] = pd.to_datetime(f["cancelled_at"], utc=True).array  # SQLite gives naive UTC
        table["cancel_reason"] = f["cancel_reason"].fillna("").to_numpy()
        table["made"] = f["made_at"].notna().to_numpy()
        table["outside"] = table.pop("outside")  # new columns go last
        return table

    def data(self) -> pd.DataFrame:
        """All formulations with their measurements: one row per measurement (replicates as
        separate rows; a retracted one with status ``retracted``, its values as stored), and one
        row with status ``pending`` (or ``cancelled``) per formulation without results. The variable
        columns hold the target; ``made`` says whether what was made is recorded (the model learns
        from that, see :meth:`training_data`); the last column, ``outside``, as in :meth:`formulations`."""
        return self._data(made=False)

    def _data(self, made: bool) -> pd.DataFrame:
        """:meth:`data`; with ``made``, the composition made (where recorded) in the variable columns."""
        stored = self.store.formulations(self.id)
        f = self._expand(stored, made)
        m = self.store.measurements(self.id)
        quantities = self._quantities(m)
        rows = pd.DataFrame(
            {
                "id": m["label"],
                "replicate": m["replicate"],
                "status": m["status"].where(m["retracted_at"].isna(), "retracted"),
                "note": m["note"],
                **{q: [v.get(q, np.nan) for v in m["values"]] for q in quantities},
            }
        )
        out = f.merge(rows, on="id", how="left")
        out["status"] = out["status"].fillna("pending")
        out.loc[out["id"].isin(stored.loc[stored["cancelled_at"].notna(), "label"]), "status"] = "cancelled"
        out["replicate"] = out["replicate"].astype("Int64")
        out["note"] = out["note"].fillna("")
        out["made"] = out["id"].isin(stored.loc[stored["made_at"].notna(), "label"])
        cols = ["id", *self.space.variables, *quantities, "status", "replicate", "note", "source", "batch", "strategy"]
        return out[[*cols, "made", "outside"]]

    def _expand(self, f: pd.DataFrame, made: bool = False) -> pd.DataFrame:
        """Stored formulations read under the current spec (:meth:`Space.read`): id, variables (the
        target; with ``made``, the composition made where recorded), source, batch, strategy, and
        ``outside``: why a row is not a formulation of the current space ('' when it is;
        :meth:`Space.outside`)."""
        rows = [m if made and isinstance(m, dict) else v for v, m in zip(f["values"], f["made_values"])]
        table = pd.DataFrame({"id": f["label"]})
        values = self.space.read(rows)
        for v in self.space.variables:
            table[v] = values[v].to_numpy()
        table["source"] = f["source"].to_numpy()
        table["batch"] = f["batch"].astype("Int64").to_numpy()
        table["strategy"] = f["strategy"].to_numpy()
        table["outside"] = self.space.outside(table)
        return table

    def _quantities(self, m: pd.DataFrame) -> list[str]:
        seen = dict.fromkeys(q.name for q in self.spec.modelled_quantities)  # objectives + constrained
        for values in m["values"]:
            seen.update(dict.fromkeys(values))
        return list(seen)

    def made(self) -> pd.DataFrame:
        """Formulations whose composition made is recorded (from a filled weighing sheet): id, the
        variables as made (what the model learns from), made_at."""
        f = self.store.formulations(self.id)
        f = f[f["made_at"].notna()].reset_index(drop=True)
        table = self._expand(f, made=True)[["id", *self.space.variables]]
        table["made_at"] = pd.to_datetime(f["made_at"], utc=True).array
        return table

    def training_data(self, objective: ObjectiveSpec | str | None = None) -> pd.DataFrame:
        """Rows usable by the model for ``objective`` (default: the first; an objective or a
        constrained quantity, by spec or name): status ok, finite value, every variable given (rows
        outside the bounds are kept: the model learns from them too). The variables are the
        composition made where a filled weighing sheet recorded it, else the target."""
        obj = self._quantity(objective)
        d = self._data(made=True)
        d = d[(d["status"] == "ok") & np.isfinite(pd.to_numeric(d[obj.name], errors="coerce"))]
        d = d[self.space.complete(d)]
        return d[["id", *self.space.variables, obj.name]].reset_index(drop=True)

    def _objective(self, name: str | None) -> ObjectiveSpec:
        """An objective by name (default: the first); DataError naming the objectives otherwise."""
        if not name:
            return self.spec.objectives[0]
        if name not in self.spec.objective_names:
            raise DataError(f"unknown objective {name!r}; expected one of {', '.join(self.spec.objective_names)}")
        return self.spec.objective(name)

    def _quantity(self, objective: ObjectiveSpec | str | None) -> ObjectiveSpec:
        """An objective or constrained quantity by spec or name (default: the first objective)."""
        if objective is None:
            return self.spec.objectives[0]
        try:
            return self.spec.quantity(objective if isinstance(objective, str) else objective.name)
        except KeyError as exc:  # the spec's lookup names the quantities it has
            raise DataError(exc.args[0]) from None

    def best(self, objective: str | None = None, by: str = "measured") -> pd.Series:
        """Best measured formulation for ``objective`` (default: the first): id, variables, the mean
        of its measured replicates (column named after the objective) and ``n_replicates``.

        ``by="measured"`` (default) ranks formulations by that replicate mean. ``by="model"`` ranks
        them by the GP's posterior mean of the latent, de-noised value z (ln y for log objectives,
        so the best predicted median) and adds ``<name>_median``, ``<name>_q05``, ``<name>_q95``:
        the predicted median and 90% interval in the objective's units (see
        :func:`optiform.models.gp.summarize`); it needs results for 2 or more formulations."""
        if by not in ("measured", "model"):
            raise DataError(f"best: by must be 'measured' or 'model', got {by!r}")
        obj = self._objective(objective)
        train = self.training_data(obj)
        if not len(train):
            raise DataError(f"campaign {self.name!r} has no measured {obj.name} yet")
        grouped = train.groupby("id", sort=False)
        means = grouped[obj.name].mean()
        predicted = None
        if by == "measured":
            best_id = means.idxmax() if obj.maximize else means.idxmin()
        else:
            from .models.gp import summarize

            firsts = grouped.head(1).reset_index(drop=True)
            mu, sd = self.surrogate(obj).latent(self.space.to_model(firsts))
            k = int(np.argmax(mu) if obj.maximize else np.argmin(mu))
            best_id = firsts["id"].iloc[k]
            predicted = summarize(mu[k : k + 1], sd[k : k + 1], obj).iloc[0]
        row = train[train["id"] == best_id].iloc[0][["id", *self.space.variables]].copy()
        row[obj.name] = means[best_id]
        row["n_replicates"] = int(grouped.size()[best_id])
        if predicted is not None:
            for stat in ("median", "q05", "q95"):
                row[f"{obj.name}_{stat}"] = float(predicted[f"{obj.name}_{stat}"])
        return row

    def pareto(self, objectives: list[str] | None = None, include_infeasible: bool = False) -> pd.DataFrame:
        """Non-dominated measured formulations over ``objectives`` (default: every objective),
        each in its direction (maximize or minimize).

        A formulation is summarised by the mean over its replicates with status ok (finite values
        only) of each objective and constrained quantity; only formulations with every named objective measured
        take part. It *breaks* an outcome constraint when that mean lies outside [min, max] or when
        the constrained quantity was never measured for it (not known to comply). The front is
        taken among the formulations that break none; with ``include_infeasible`` the ones that
        break a constraint but are dominated by no formulation at all are added. Columns: id, the
        variables, the means of the objectives and of the constrained quantities, ``n_replicates``
        (rows with status ok) and ``breaks`` (the constraints broken, '' when none); sorted by the
        first objective, best first.
        """
        names, table, keep = self._pareto(objectives, include_infeasible)
        specs = [self.spec.objective(n) for n in names]
        quantities = list(dict.fromkeys([*names, *(c.name for c in self.spec.outcome_constraints)]))
        front = table[keep].reset_index()
        front = front.sort_values(names[0], ascending=not specs[0].maximize, kind="stable")
        return front[["id", *self.space.variables, *quantities, "n_replicates", "breaks"]].reset_index(drop=True)

    def _pareto(
        self, objectives: list[str] | None, include_infeasible: bool
    ) -> tuple[list[str], pd.DataFrame, np.ndarray]:
        """The objectives' names, every measured formulation's means (indexed by id, with
        ``breaks``) and which of them are on the front (:meth:`pareto`)."""
        import torch  # deferred: the CLI starts fast
        from botorch.utils.multi_objective.pareto import is_non_dominated

        names = list(objectives) if objectives is not None else self.spec.objective_names
        unknown = [n for n in names if n not in self.spec.objective_names]
        if not names or unknown or len(set(names)) != len(names):
            raise DataError(
                f"pareto: objectives must be distinct names among {', '.join(self.spec.objective_names)} "
                f"(got {', '.join(names) or 'none'})"
            )
        specs = [self.spec.objective(n) for n in names]
        constraints = self.spec.outcome_constraints
        quantities = list(dict.fromkeys([*names, *(c.name for c in constraints)]))
        d = self.data()
        d = d[d["status"] == "ok"]
        grouped = d.groupby("id", sort=False)
        table = grouped[self.space.variables].first()
        for q in quantities:
            values = pd.to_numeric(d[q], errors="coerce")
            table[q] = values.where(np.isfinite(values)).groupby(d["id"], sort=False).mean()
        table["n_replicates"] = grouped.size()
        table = table[table[names].notna().all(axis=1)]
        if not len(table):
            raise DataError(f"campaign {self.name!r}: no formulation has {', '.join(names)} all measured yet")
        table["breaks"] = [
            "; ".join(
                c.describe() if pd.notna(row[c.name]) else f"{c.name} not measured"
                for c in constraints
                if not (pd.notna(row[c.name]) and c.satisfied(float(row[c.name])))
            )
            for _, row in table.iterrows()
        ]
        signed = torch.tensor(
            np.column_stack([table[o.name].to_numpy(float) * (1.0 if o.maximize else -1.0) for o in specs])
        )
        feasible = torch.tensor((table["breaks"] == "").to_numpy())
        keep = torch.zeros(len(table), dtype=torch.bool)
        if feasible.any():
            keep[feasible] = is_non_dominated(signed[feasible], deduplicate=False)
        if include_infeasible:
            keep |= ~feasible & is_non_dominated(signed, deduplicate=False)
        return names, table, keep.numpy()

    def pareto_figure(self, objectives: list[str] | None = None, size: tuple[float, float] | None = None) -> Figure:
        """The measured formulations in each pair of ``objectives`` (default: all; at least two),
        the Pareto front joined and labelled, those breaking an outcome constraint greyed
        (:func:`optiform.plots.analysis.pareto_figure`)."""
        from .plots.analysis import pareto_figure
        from .plots.ternary import objective_label

        names, table, keep = self._pareto(objectives, include_infeasible=False)
        if len(names) < 2:
            raise DataError(f"a Pareto plot needs two or more objectives (got {', '.join(names)})")
        specs = [self.spec.objective(n) for n in names]
        axes = [(o.name, objective_label(o), o.maximize) for o in specs]
        table = table.reset_index()
        return pareto_figure(table, list(table["id"][keep]), axes, title=f"{self.name}: Pareto front", size=size)

    def plot_pareto(
        self,
        out: str | Path,
        objectives: list[str] | None = None,
        dpi: int = 150,
        size: tuple[float, float] | None = None,
    ) -> Path:
        """Write :meth:`pareto_figure` to ``out`` (.png at ``dpi``, .svg or .pdf); returns the path."""
        return _write_figure(lambda: self.pareto_figure(objectives, size), out, dpi)

    # --- model -------------------------------------------------------------------------------
    def surrogate(self, objective: ObjectiveSpec | str | None = None) -> Surrogate:
        """The fitted GP of an objective or constrained quantity (default: the first objective),
        refitted only when its training data changed."""
        from .models import fit_surrogate  # torch import deferred: the CLI starts fast
        from .models.gp import compute_threads

        obj = self._quantity(objective)
        train = self.training_data(obj)
        if len(train) < 2:
            raise DataError(f"need results for at least 2 formulations to model {obj.name} (have {len(train)})")
        key = int(pd.util.hash_pandas_object(train, index=False).sum())
        cached = self._surrogates.get(obj.name)
        if cached is None or cached[0] != key:
            with compute_threads(1):
                self._surrogates[obj.name] = (key, fit_surrogate(self.space, train, obj))
        surrogate: Surrogate = self._surrogates[obj.name][1]
        return surrogate

    def feasibility_data(self) -> pd.DataFrame:
        """Rows with the declared pass/fail outcome recorded (variables, made where recorded as in
        :meth:`training_data`, + the outcome, 1 or 0); rows without a value for some variable are
        left out."""
        name = self.spec.feasibility.name if self.spec.feasibility else None
        d = self._data(made=True)
        if name is None or name not in d.columns:
            return pd.DataFrame(columns=[*self.space.variables, *([name] if name else [])])
        d = d[d[name].notna() & ~d["status"].isin(["flagged", "retracted"])]
        d = d[self.space.complete(d)]
        return d[[*self.space.variables, name]].reset_index(drop=True)

    def feasibility_model(self) -> FeasibilityModel | None:
        """The fitted feasibility model, or None (no ``[feasibility]`` declared, or only one class
        seen so far). Refitted only when its data changed."""
        from .models.feasibility import fit_feasibility
        from .models.gp import compute_threads

        if self.spec.feasibility is None:
            return None
        data = self.feasibility_data()
        key = int(pd.util.hash_pandas_object(data, index=False).sum()) if len(data) else 0
        cached = self._surrogates.get("__feasibility__")
        if cached is None or cached[0] != key:
            with compute_threads(1):
                spec = self.spec.feasibility
                model = fit_feasibility(self.space, data, spec.name, inputs=spec.inputs) if len(data) else None
            self._surrogates["__feasibility__"] = (key, model)
        fitted: FeasibilityModel | None = self._surrogates["__feasibility__"][1]
        return fitted

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        """Per objective: ``_mean``, ``_std``, ``_median``, ``_q05``, ``_q95`` (90% interval) in the
        objective's own units, for formulations given with one column per variable."""
        X = self.space.validate(df, origin="predict")
        parts = [self.surrogate(o).predict(X) for o in self.spec.objectives]
        feas = self.feasibility_model()
        if feas is not None:
            parts.append(pd.DataFrame({f"P_{feas.name}": feas.probability(X)}, index=X.index))
        return pd.concat(parts, axis=1).set_index(df.index)

    def predictions(self, batch: pd.DataFrame) -> pd.DataFrame:
        """What the models expect of formulations (e.g. a proposed batch): ``id`` (when given), then
        per objective ``<name>_median``, ``<name>_q05``, ``<name>_q95`` (the 90% interval, in the
        objective's units) and ``P_<outcome>`` with a ``[feasibility]`` outcome. Unlike
        :meth:`predict` it never refuses: a quantity without a model yet (fewer than 2 results, or
        only one class of the outcome seen) gives NaN columns."""
        X = self.space.validate(batch[self.space.variables], origin="predictions")
        out = pd.DataFrame(index=batch.index)
        if "id" in batch.columns:
            out["id"] = batch["id"]
        for obj in self.spec.objectives:
            stats = [f"{obj.name}_{s}" for s in ("median", "q05", "q95")]
            if len(self.training_data(obj)) >= 2:
                out[stats] = self.surrogate(obj).predict(X)[stats].set_index(batch.index)
            else:
                out[stats] = np.nan
        if self.spec.feasibility is not None:
            feas = self.feasibility_model()
            column = f"P_{self.spec.feasibility.name}"
            out[column] = feas.probability(X) if feas is not None else np.nan
        return out

    def diagnostics(self, objective: str | None = None) -> ModelDiagnostics:
        """Length scales, noise and leave-one-formulation-out parity check (R², coverage of the 90%
        intervals) of the objective's GP: a :class:`optiform.models.diagnostics.ModelDiagnostics`."""
        from .models.diagnostics import diagnose

        obj = self._objective(objective)
        return diagnose(self.surrogate(obj), groups=list(self.training_data(obj)["id"]))

    # --- proposing ---------------------------------------------------------------------------
    def in_design(self) -> bool:
        """Whether the default strategy's next batch is its space-filling design: while fewer than
        ``n_initial`` formulations have results, or fewer than two have a usable one
        (:func:`optiform.strategies.base.in_design`)."""
        from .strategies.base import in_design

        n_results = int((self.formulations()["n_results"] > 0).sum())
        return in_design(n_results, len(self.training_data(self.spec.objectives[0])), self.spec.n_initial)

    def propose(
        self,
        n: int,
        strategy: str | None = None,
        seed: int | None = None,
        fixed: dict[str, Any] | None = None,
        min_p_feasible: float | None = None,
    ) -> pd.DataFrame:
        """The next ``n`` formulations: a DataFrame with ``id`` and one column per variable
        (mixture in its unit, summing exactly to the total). They are stored as pending;
        :meth:`predictions` tells what the models expect of them.

        ``fixed`` holds parameters at one value for this batch (e.g. ``{"framework": "LLZT"}``):
        the models still learn from every result (e.g. glass-fibre results inform LLZT proposals
        through the shared kernel), the proposals keep the fixed values (see ``Space.restrict``).

        ``min_p_feasible`` (with a ``[feasibility]`` outcome, e.g. 0.8) is a floor on each
        proposal's predicted P(outcome): the default strategy aims above it (its
        ``min_probability`` and ``exploit_min_probability``), and a proposal below it is not
        stored (an :class:`~optiform.errors.OptiformWarning` says how many were dropped; a
        DataError when none is left, nothing stored).

        Several processes may propose at once: a batch is stored only if no formulation was added
        to the campaign while it was computed; otherwise it is proposed again, conditioned on what
        the others added (up to :data:`PROPOSE_ATTEMPTS` times, then a StoreError)."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise DataError(f"n must be a positive integer, got {n!r}")
        floor = self._feasibility_floor(min_p_feasible)
        changed = self.spec_file_changed()
        if changed:  # the campaign file was edited but not applied with update()
            warnings.warn(changed, OptiformWarning, stacklevel=2)
        self.store.check_writable()  # a read-only store says so before the strategy runs
        for _ in range(PROPOSE_ATTEMPTS):
            last = self.store.last_formulation_pk(self.id)  # read first: anything added later is a conflict
            try:
                return self._propose(int(n), strategy, seed, fixed, last, floor)
            except ProposalConflict:
                continue
        raise StoreError(
            f"store {self.store.name}: campaign {self.name!r} is busy proposing (other processes added "
            f"formulations {PROPOSE_ATTEMPTS} times while this batch was computed); try again"
        )

    def _feasibility_floor(self, min_p: float | None) -> float | None:
        """``min_p_feasible`` checked: None, or a number in (0, 1) with a fitted feasibility model."""
        if min_p is None:
            return None
        if isinstance(min_p, bool) or not isinstance(min_p, (int, float)) or not 0 < min_p < 1:
            raise DataError(f"min_p_feasible: expected a probability between 0 and 1 (exclusive), got {min_p!r}")
        if self.spec.feasibility is None:
            raise DataError(
                f"min_p_feasible: campaign {self.name!r} declares no [feasibility] outcome to floor the probability of"
            )
        if self.feasibility_model() is None:
            name = self.spec.feasibility.name
            raise DataError(
                f"min_p_feasible: no model of P({name}) yet; it needs results with {name} = true and with "
                f"{name} = false (or failed films)"
            )
        return float(min_p)

    def _propose(
        self,
        n: int,
        strategy: str | None,
        seed: int | None,
        fixed: dict[str, Any] | None,
        last: int,
        floor: float | None = None,
    ) -> pd.DataFrame:
        """Propose and store one batch on the campaign as it is now; ProposalConflict when a
        formulation was added after ``last`` (the newest formulation's pk when it was read).
        ``floor``: proposals with a predicted P(feasible) below it are dropped (see :meth:`propose`)."""
        from .strategies import ProposalContext, get_strategy

        name = strategy or self.spec.strategy.name
        options = dict(self.spec.strategy.options) if name == self.spec.strategy.name else {}
        if floor is not None and name == "botorch":
            exploit_floor = float(options.get("exploit_min_probability", 0.5))
            options.update(min_probability=floor, exploit_min_probability=max(floor, exploit_floor))
        strat = get_strategy(name, options)
        table = self.formulations()
        complete = self.space.complete(table)
        batch_no = int(table["batch"].max()) + 1 if table["batch"].notna().any() else 1
        obj = self.spec.objectives[0]
        space = self.space.restrict(fixed)
        ctx = ProposalContext(
            space=space,
            objective=obj,
            train=self.training_data(obj),
            # cancelled proposals are neither pending nor blocked: the same point may come again;
            # rows without a value for some variable can be neither
            existing=table.loc[~table["status"].isin(["pending", "cancelled"]) & complete, self.space.variables],
            pending=table.loc[(table["status"] == "pending") & complete, self.space.variables],
            n_initial=self.spec.n_initial,
            n_results=int((table["n_results"] > 0).sum()),
            seed=seed if seed is not None else batch_seed(self.seed, batch_no),
            surrogate=lambda: self.surrogate(obj),
            feasibility=self.feasibility_model,
            objectives=list(self.spec.objectives),
            outcome_constraints=list(self.spec.outcome_constraints),
            surrogates=lambda: {q.name: self.surrogate(q) for q in self.spec.modelled_quantities},
        )
        from .models.gp import compute_threads

        with compute_threads(1):  # see compute_threads
            batch = strat.propose(n, ctx)
        for key, value in space.fixed:
            if not (batch[key] == value).all():
                raise StrategyError(f"strategy {name!r} does not support fixed parameters ({key}={value!r} not kept)")
        if floor is not None:
            batch = self._above_floor(batch, floor)
        return self._store_proposals(batch, batch_no, name, last)

    def _above_floor(self, batch: pd.DataFrame, floor: float) -> pd.DataFrame:
        """The proposals whose predicted P(feasible) reaches ``floor``; a warning names the ones
        dropped, a DataError when none is left."""
        model = self.feasibility_model()
        assert model is not None and self.spec.feasibility is not None  # checked by _feasibility_floor
        p = model.probability(batch[self.space.variables])
        keep = p >= floor
        name = self.spec.feasibility.name
        if not keep.any():
            raise DataError(
                f"min_p_feasible: no proposal reaches P({name}) >= {floor:g} (highest {p.max():.2f}); "
                "nothing stored: lower the floor or record more results near the boundary"
            )
        if not keep.all():
            warnings.warn(
                f"{int((~keep).sum())} of {len(batch)} proposal(s) dropped: P({name}) "
                f"{', '.join(f'{v:.2f}' for v in p[~keep])} below the floor {floor:g}",
                OptiformWarning,
                stacklevel=4,
            )
        return batch[keep].reset_index(drop=True)

    def _store_proposals(self, batch: pd.DataFrame, batch_no: int, strategy: str, last: int) -> pd.DataFrame:
        values = [formulation_values(row, self.space) for _, row in batch.iterrows()]
        ids = self.store.add_formulations(
            self.id,
            values,
            source="proposed",
            batch=batch_no,
            strategy=strategy,
            author=self.author,
            expected_last=last,
            absent={v: self.space.absent_value(v) for v in self.space.variables},
        )
        out = batch[self.space.variables].copy()
        out.insert(0, "id", ids)
        return out.reset_index(drop=True)

    def weighing_sheet(self, batch: pd.DataFrame | None = None, batch_mass_g: float = 1.0) -> pd.DataFrame:
        """Grams of each chemical for ``batch_mass_g`` of each formulation in ``batch`` (default:
        the pending ones), rounded to the balance; see :mod:`optiform.recipe`."""
        if batch is None:
            f = self.formulations()
            batch = f[f["status"] == "pending"][["id", *self.space.variables]]
        return weighing_sheet(self.spec, batch, batch_mass_g)

    def export_batch(self, batch: pd.DataFrame, path: str | Path, batch_mass_g: float | None = None) -> Path:
        """Write a batch (CSV or XLSX by suffix): its weighing sheet when a batch mass is given (see
        :meth:`export_sheet`), else the plain table (id + variables); both carry the
        :meth:`predictions` once a model exists."""
        if not batch_mass_g:
            return write_batch(self._with_predictions(batch[["id", *self.space.variables]]), path)
        f = self.formulations()
        batches = f.loc[f["id"].isin(batch["id"]), "batch"].dropna().unique() if "id" in batch.columns else []
        return self._write_sheet(batch, int(batches[0]) if len(batches) == 1 else None, batch_mass_g, path)

    def export_sheet(self, batch: int, batch_mass_g: float, path: str | Path) -> Path:
        """Write the weighing sheet of batch ``batch`` (its formulations that are not cancelled) for
        ``batch_mass_g`` g each, as CSV or XLSX by suffix: a header (campaign, batch, date, batch
        mass, balance resolution), then one row per formulation and chemical with an empty
        ``actual_g`` column to fill at the balance and record with :meth:`record`, and the
        :meth:`predictions` of each formulation (repeated on its rows) once a model exists."""
        f = self.formulations()
        numbers = sorted(int(b) for b in f["batch"].dropna().unique())
        if batch not in numbers:
            have = f"batches {', '.join(map(str, numbers))}" if numbers else "no proposed batch"
            raise DataError(f"campaign {self.name!r} has no batch {batch}; it has {have}")
        rows = f[(f["batch"] == batch) & (f["status"] != "cancelled")]
        if not len(rows):
            raise DataError(f"batch {batch} of campaign {self.name!r} has only cancelled formulations")
        return self._write_sheet(rows[["id", *self.space.variables]], batch, batch_mass_g, path)

    def _write_sheet(self, batch: pd.DataFrame, number: int | None, batch_mass_g: float, path: str | Path) -> Path:
        header = {
            "campaign": self.name,
            "batch": number,
            "date": date.today().isoformat(),
            "batch_mass_g": float(batch_mass_g),
            "balance_resolution_mg": (self.spec.recipe or RecipeSpec()).balance_resolution_mg,
        }
        sheet = self.weighing_sheet(batch, batch_mass_g)
        expected = self._with_predictions(batch[["id", *self.space.variables]]).drop(columns=self.space.variables)
        return write_weighing_sheet(sheet.merge(expected, on="id", how="left"), path, header)

    def _with_predictions(self, batch: pd.DataFrame) -> pd.DataFrame:
        """``batch`` with the :meth:`predictions` columns that have a value (none before a model)."""
        from .numbers import significant

        expected = self.predictions(batch).drop(columns="id").dropna(axis=1, how="all")
        return pd.concat([batch, expected.apply(significant, digits=4)], axis=1)

    def cancel(self, sample_id: str, reason: str = "") -> None:
        """Withdraw a pending proposal: it stays in the store with status ``cancelled``, the time and
        ``reason``; it is no longer pending (not conditioned on, not on weighing sheets) and cannot
        receive results. It does not block proposing the same point again (to rule a formulation
        out, record it with ``status = failed`` instead).

        Raises DataError for an unknown id, an already cancelled one, or one with results."""
        self.store.cancel(self.id, sample_id, reason, campaign_name=self.name)

    # --- recording ---------------------------------------------------------------------------
    def record(
        self, results: pd.DataFrame | str | Path, origin: str | None = None, force: bool = False
    ) -> RecordReport | MadeReport:
        """Store measured results, or what was made (one transaction; nothing is stored if any row
        is bad).

        A filled weighing sheet (a file written by :meth:`export_sheet`, recognised by its
        ``actual_g`` column) records the composition actually made next to the target (see
        :func:`optiform.made.record_made`); the model then learns from what was made.

        Columns: ``id``, objective columns in their declared units, optional ``replicate``,
        ``status`` (``ok`` or ``failed``) and ``note``. Rows without ``id`` are outside data (e.g.
        literature points) with the mixture components and any parameters they give: they may lie
        outside the bounds (used by the model) or lack a parameter (stored, left out of the model;
        ``report.outside`` and ``report.left_out`` say which).

        A row the store already holds (the same id and replicate with the same values; without a
        replicate, a stored measurement of that id with the same status, note and values) is
        reported as already stored, not stored again; the same id and replicate with other values
        is refused (correct it with :meth:`amend`). A row without a replicate that matches nothing
        is a new measurement, numbered after the formulation's replicates (ingested ones included);
        the report's ``notices`` say when it lands beside replicates recorded by hand.

        Numbers must be numbers (no booleans, ``1,234``, ``0,61`` or ``1_000``; ``#`` is data, not a
        comment), and plausible: within the quantity's ``plausible`` range (or the built-in one of its
        unit) and within 10³× of the median of its values; a value that is not is refused, naming the
        likely unit slip (S/cm or µS/cm in a mS/cm column), unless ``force`` (then stored, the reason
        in its note).
        """
        self.store.check_writable()  # a read-only store says so first
        if not isinstance(results, pd.DataFrame) and is_weighing_sheet(results):
            return record_made(self.store, self.id, self.spec, self.formulations(), results, self.author)
        return record_results(
            self.store, self.id, self.spec, self.formulations(), results, origin, self.author, force=force
        )

    # --- corrections ---------------------------------------------------------------------------
    def amend(
        self,
        sample_id: str,
        replicate: int,
        set: Mapping[str, float | str] | None = None,
        *,
        status: str | None = None,
        note: str | None = None,
        reason: str,
        force: bool = False,
    ) -> int:
        """Correct a stored measurement of ``sample_id``: ``set`` gives new values (quantity ->
        value in the unit its name declares; checked as :meth:`record` checks them; other
        quantities keep theirs), ``status`` (``ok`` or ``failed``) and ``note`` replace the current
        ones when given. The old version stays in the store, with the new one's time, ``reason``
        and author (:meth:`history`); the model uses the new values. Returns the new version number.
        A value that is not plausible (as :meth:`record` judges it) is refused unless ``force``; a
        forced one is stored with the reason added to ``reason``.

        Raises DataError for an unknown id or replicate, a bad value, no reason, no change, or a
        retracted measurement (:meth:`restore` it first)."""
        current = self._measurement(sample_id, replicate)
        where = f"amend {sample_id} replicate {replicate}"
        values = amended_values(self.spec, current["values"], current["status"], set or {}, status, where=where)
        others = stored_values(self.store.measurements(self.id), exclude=(sample_id, int(replicate)))
        forced = plausible_amendment(self.spec, values, others, where, force)
        if forced and reason.strip():
            reason = f"{reason.strip()} (stored with --force: {'; '.join(forced)})"
        return self.store.amend(
            self.id, sample_id, int(replicate), values, status, note, reason, self.author, campaign_name=self.name
        )

    def retract(self, sample_id: str, replicate: int, reason: str) -> int:
        """Take a measurement out of the model (training data, best, Pareto front, feasibility):
        it stays in the store and in :meth:`data` with status ``retracted``, the time and
        ``reason``. Undo with :meth:`restore`. Returns the new version number; DataError for an
        unknown id or replicate, no reason, or one already retracted."""
        return self.store.retract(self.id, sample_id, int(replicate), reason, self.author, campaign_name=self.name)

    def restore(self, sample_id: str, replicate: int, reason: str) -> int:
        """Undo :meth:`retract`: the measurement is used by the model again. Returns the new
        version number; DataError for an unknown id or replicate, no reason, or one not retracted."""
        return self.store.restore(self.id, sample_id, int(replicate), reason, self.author, campaign_name=self.name)

    def history(self, sample_id: str) -> pd.DataFrame:
        """Every version of a formulation's measurements, by replicate then version: id,
        replicate, version, action (recorded, ingested, amended, retracted, restored, accepted),
        status, note, values (dict quantity -> value), reason, author (``unknown`` when not
        recorded), created_at (UTC). DataError for an unknown id."""
        h = self.store.measurement_history(self.id, sample_id, campaign_name=self.name)
        h["author"] = h["author"].fillna("unknown")
        h["created_at"] = pd.to_datetime(h["created_at"], utc=True).array  # SQLite gives naive UTC
        return h

    def _measurement(self, sample_id: str, replicate: int) -> pd.Series:
        """A stored measurement (a row of ``Store.measurements``); DataError naming the replicates
        the formulation has when there is no such one."""
        m = self.store.measurements(self.id)
        row = m[(m["label"] == sample_id) & (m["replicate"] == replicate)]
        if not len(row):
            self.store.measurement_history(self.id, sample_id, int(replicate), campaign_name=self.name)  # raises
        return row.iloc[0]

    # --- raw instrument files -----------------------------------------------------------------
    def ingest(
        self,
        manifest: pd.DataFrame | str | Path,
        base_dir: str | Path | None = None,
        force: bool = False,
        allow_outside: bool = False,
    ) -> IngestReport:
        """Analyse the raw files a manifest lists and store the derived values (see
        :mod:`optiform.ingest`); ``base_dir`` is where a DataFrame manifest's files are relative to
        (default: the working directory). The files must lie in the manifest's folder (or
        ``base_dir``) or below it unless ``allow_outside``; an implausible derived value is refused
        unless ``force`` (as in :meth:`record`)."""
        from .ingest import ingest

        self.store.check_writable()  # a read-only store says so before the analyses run
        base = Path(base_dir) if base_dir is not None else None
        return ingest(
            self.store, self.id, self.spec, manifest, base, author=self.author, force=force, allow_outside=allow_outside
        )

    def analyses(self, sample_id: str | None = None) -> pd.DataFrame:
        """Derived values from raw files: quantity, value, uncertainty, method, flags, files."""
        return self.store.analyses(self.id, sample_id)

    def accept(self, sample_id: str) -> int:
        """Accept a formulation's flagged measurements into the model; returns how many."""
        return self.store.accept(self.id, sample_id, campaign_name=self.name, author=self.author)

    def nyquist_figure(
        self, sample_id: str, group: str | None = None, size: tuple[float, float] | None = None
    ) -> Figure:
        """Nyquist panels of a formulation's ingested conductivity spectra (of one ``group`` when
        given): the data re-read from the stored files, the stored circuit fit and resistance,
        frequency decades and the high-frequency intercept (:func:`optiform.plots.analysis.nyquist_figure`)."""
        from .plots.analysis import nyquist_figure
        from .plots.stored import nyquist_data

        spectra = nyquist_data(self.store, self._analyses_of(sample_id, "conductivity_mS_cm"), sample_id, group)
        return nyquist_figure(
            spectra, title=f"{self.name}: {sample_id}" + (f", group {group}" if group else ""), size=size
        )

    def plot_nyquist(
        self,
        sample_id: str,
        out: str | Path,
        group: str | None = None,
        dpi: int = 150,
        size: tuple[float, float] | None = None,
    ) -> Path:
        """Write :meth:`nyquist_figure` to ``out`` (.png at ``dpi``, .svg or .pdf); returns the path."""
        return _write_figure(lambda: self.nyquist_figure(sample_id, group, size), out, dpi)

    def arrhenius_figure(
        self, sample_id: str, group: str | None = None, size: tuple[float, float] | None = None
    ) -> Figure:
        """ln(σ / S cm⁻¹) against 1000/T of a formulation's stored Arrhenius fits (of one ``group``
        when given): the points and line each fit used, Ea with its 95% interval, and the other
        conductivities (flagged spectra, single temperatures) drawn but not fitted
        (:func:`optiform.plots.analysis.arrhenius_figure`)."""
        from .plots.analysis import arrhenius_figure
        from .plots.stored import arrhenius_data

        if sample_id not in set(self.formulations()["id"]):
            raise DataError(f"unknown sample id {sample_id!r} in campaign {self.name!r}")
        series, others = arrhenius_data(self.store, self.analyses(sample_id), sample_id, group)
        title = f"{self.name}: {sample_id}" + (f", group {group}" if group else "")
        return arrhenius_figure(series, others, title=title, size=size)

    def plot_arrhenius(
        self,
        sample_id: str,
        out: str | Path,
        group: str | None = None,
        dpi: int = 150,
        size: tuple[float, float] | None = None,
    ) -> Path:
        """Write :meth:`arrhenius_figure` to ``out`` (.png at ``dpi``, .svg or .pdf); returns the path."""
        return _write_figure(lambda: self.arrhenius_figure(sample_id, group, size), out, dpi)

    def _analyses_of(self, sample_id: str, quantity: str) -> pd.DataFrame:
        if sample_id not in set(self.formulations()["id"]):
            raise DataError(f"unknown sample id {sample_id!r} in campaign {self.name!r}")
        a = self.analyses(sample_id)
        rows = a[a["quantity"] == quantity] if len(a) else a
        if not len(rows):
            raise DataError(f"{sample_id}: no ingested {quantity} (ingest raw files with 'optiform ingest MANIFEST')")
        return rows

    # --- plotting ----------------------------------------------------------------------------
    def report(self, out: str | Path) -> Path:
        """Write the campaign report, one self-contained HTML file (:mod:`optiform.report`): spec,
        best formulations, the pending batch with predictions, an interactive ternary map,
        convergence, the model's parity and length scales, measurements with flags and the
        analysis plots. Returns the path."""
        from .report import write_report

        return write_report(self, out)

    def ternary_figure(
        self,
        axes: list[str] | None = None,
        objective: str | None = None,
        fixed: Mapping[str, Any] | None = None,
        full: bool = False,
        size: tuple[float, float] | None = None,
    ) -> Figure:
        """Map of the predicted median and uncertainty over three mixture components (a line for
        two), with measured points, failures, the best and the pending proposals; one row of
        panels per objective unless ``objective`` names one (see :mod:`optiform.plots.ternary`).

        The slice: every variable not on the plotted ``axes`` is held at ``fixed``'s value (e.g.
        ``{"framework": "glass_fiber", "porosity": 0.75}``, checked as in :meth:`propose`), the
        rest at the best measured formulation's values. Measured points are drawn by their
        distance from the slice (on it coloured, near it faded, elsewhere hollow). The view is
        zoomed on the bounded region unless ``full``."""
        from .plots import mixture_figure

        objectives = [self._objective(objective)] if objective else list(self.spec.objectives)
        first = objectives[0]
        plotted = list(axes) if axes else self.space.components
        fixed = dict(fixed or {})
        on_axes = [k for k in fixed if k in plotted]
        if on_axes:
            raise DataError(f"fixed: {', '.join(on_axes)} is plotted on an axis; hold only variables that are not")
        held_components = {k: fixed.pop(k) for k in list(fixed) if k in self.space.components}
        given: dict[str, Any] = dict(self.space.restrict(fixed).fixed) if fixed else {}
        for name, value in held_components.items():
            number, _problem = parse_number(value)
            lo, hi = self.space.component_bounds()[self.space.components.index(name)]
            if number is None or not lo - 1e-9 <= number <= hi + 1e-9:
                raise DataError(f"fixed {name}={value!r}: expected a number within its bounds [{lo:g}, {hi:g}]")
            given[name] = number
        best = self.best(first.name)
        held = {v: given.get(v, best[v]) for v in self.space.variables if v not in plotted}
        for obj in objectives:
            self.surrogate(obj)  # fitted before drawing: DataError with too few results
        d = self.data()
        measured = d[d["status"].isin(STATUSES)]
        proposals = d[d["status"] == "pending"].drop_duplicates("id")
        feas = self.feasibility_model()

        def predict(table: pd.DataFrame) -> pd.DataFrame:
            return pd.concat([self.surrogate(o).predict(table) for o in objectives], axis=1)

        return mixture_figure(
            self.space,
            objectives,
            predict,
            measured,
            proposals,
            held,
            axes=axes,
            title=self.name,
            feasible=(feas.name, feas.probability) if feas is not None else None,
            full=full,
            size=size,
        )

    def plot_ternary(
        self,
        out: str | Path,
        axes: list[str] | None = None,
        objective: str | None = None,
        fixed: Mapping[str, Any] | None = None,
        full: bool = False,
        dpi: int = 150,
        size: tuple[float, float] | None = None,
    ) -> Path:
        """Write :meth:`ternary_figure` to ``out`` (.png at ``dpi``, .svg or .pdf); returns the path."""
        return _write_figure(lambda: self.ternary_figure(axes, objective, fixed, full, size), out, dpi)


def _write_figure(draw: Callable[[], Figure], out: str | Path, dpi: int) -> Path:
    """Check ``out``'s suffix, then draw (the models may be fitted) and save the figure."""
    from .plots.save import check_figure_path, save_figure

    check_figure_path(out)
    return save_figure(draw(), out, dpi)


def _shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else as it is."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def default_author() -> str:
    """``python:<os user>``: who writes from Python unless a campaign is given an author."""
    return f"python:{os_user()}"


def os_user() -> str:
    """The operating-system user name (``unknown`` when the system cannot tell)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def batch_seed(campaign_seed: int, batch_no: int) -> int:
    """The random seed of a campaign's batch: a SeedSequence hash of (campaign seed, batch number),
    so the streams of different campaigns never coincide (``seed + batch`` would give campaign 3's
    batch 2 the stream of campaign 4's batch 1, and benchmark runs over seeds would share draws)."""
    return int(np.random.SeedSequence([int(campaign_seed), int(batch_no)]).generate_state(1)[0])


__all__ = ["Campaign", "DataError", "MadeReport", "RecordReport", "StoreError", "read_results"]
