"""Command line: ``optiform init | update | list | propose | export | record | amend | retract | history |
ingest | accept | cancel | status | show | pareto | plot | bench | demo``.

The store is ``--store URL`` (or ``$OPTIFORM_STORE``, default ``sqlite:///optiform.db``); a store
holding several campaigns needs ``--campaign NAME``; both go before or after the command. An
:class:`~optiform.errors.OptiformError` prints one readable message and exits with status 1
(``--debug`` shows the traceback); any other exception is a bug and surfaces with its traceback.
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ._version import __version__
from .campaign import Campaign, RecordReport, os_user
from .errors import DataError, OptiformError, OptiformWarning, path_error
from .spec import example_spec_path
from .spec.strategy import STRATEGY_NAMES
from .store import Store, resolve_store_url, values_text

app = typer.Typer(
    help="optiform: which electrolyte formulations to make next.\n\n"
    "Example: optiform init campaigns/llzt-cse/campaign.toml && optiform propose -n 6",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are literal: 'botorch[feasibility_power=3]' keeps its brackets
)
plot_app = typer.Typer(help="Draw maps and plots of a campaign.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(plot_app, name="plot")
console = Console()
CLI_AUTHOR = f"cli:{os_user()}"  # who the command line's writes are recorded as
err_console = Console(stderr=True, soft_wrap=True)

STORE_HELP = "Store URL (default $OPTIFORM_STORE or sqlite:///optiform.db); before or after the command."
CAMPAIGN_HELP = "Campaign name, when the store holds several; before or after the command."
StoreOption = Annotated[str | None, typer.Option("--store", help=STORE_HELP)]
CampaignOption = Annotated[str | None, typer.Option("--campaign", help=CAMPAIGN_HELP)]
DpiOption = Annotated[int, typer.Option(help="Resolution of a .png in dots per inch (e.g. 300 for print).")]
SizeOption = Annotated[str | None, typer.Option(help="Figure size WIDTHxHEIGHT in inches, e.g. 7x5.")]
FigureOut = Annotated[Path, typer.Option(help="Output file: .png, .svg or .pdf.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite the --out file if it exists.")]


class State:
    store: str | None = None
    campaign: str | None = None
    debug: bool = False


state = State()


def _print_version(value: bool) -> None:
    if value:
        console.print(f"optiform {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _global(
    store: StoreOption = None,
    campaign: CampaignOption = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    state.store, state.campaign, state.debug = store, campaign, debug


def _user_errors(func: Callable[..., None]) -> Callable[..., None]:
    """Turn optiform's errors (bad files, unknown ids, ...) into one message and exit status 1;
    anything else is a bug and keeps its traceback. Optiform's warnings are printed as
    ``warning: ...`` lines on stderr (each once)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", OptiformWarning)
                warnings.showwarning = _warning_printer(warnings.showwarning)
                func(*args, **kwargs)
        except OptiformError as exc:
            if state.debug:
                raise
            err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def _warning_printer(default: Callable[..., None]) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints each distinct OptiformWarning once as a yellow
    ``warning: ...`` line on stderr and leaves other warnings to ``default``."""
    shown: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if not issubclass(category, OptiformWarning):
            default(message, category, filename, lineno, file, line)
        elif str(message) not in shown:
            shown.add(str(message))
            err_console.print(f"[yellow]warning:[/yellow] {escape(str(message))}", highlight=False)

    return show


def _url(store: str | None) -> str:
    """The store named after the command, else before it, else $OPTIFORM_STORE or the default."""
    return resolve_store_url(store or state.store)


def _open(store: str | None = None, campaign: str | None = None) -> Campaign:
    return Campaign.open(_url(store), name=campaign or state.campaign, author=CLI_AUTHOR)


# --- commands -------------------------------------------------------------------------------
@app.command()
@_user_errors
def init(file: Annotated[Path, typer.Argument(help="Campaign file (TOML).")], store: StoreOption = None) -> None:
    """Create a campaign in the store from a campaign file.

    Example: optiform init campaigns/llzt-cse/campaign.toml --store sqlite:///run.db
    """
    c = Campaign.create(file, store=_url(store), author=CLI_AUTHOR)
    console.print(
        f"created campaign [bold]{c.name}[/bold] in {c.store.url}: {len(c.space.variables)} variables, "
        f"objective(s) {', '.join(c.spec.objective_names)}; the first {c.spec.n_initial} proposals are a "
        f"space-filling design"
    )


@app.command()
@_user_errors
def update(
    file: Annotated[Path, typer.Argument(help="The campaign file (TOML), edited.")],
    note: Annotated[str, typer.Option(help="Why it changed (kept with the new version).")] = "",
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Apply an edited campaign file to its campaign: bounds, parameters (with existing = VALUE),
    objectives, constraints, strategy. Every version is kept; formulations outside new bounds stay
    as data, marked; a change that contradicts stored data is refused, naming the rows.

    Example: optiform update campaigns/llzt-cse/campaign.toml --note "SN up to 80 wt%"
    """
    from .spec import load_spec

    spec = load_spec(file)
    url = _url(store)
    name = campaign or state.campaign
    if name is None:  # a store of several campaigns: the one the file names
        st = Store(url, create=False)
        names = st.campaign_names()
        st.close()
        name = spec.name if spec.name in names and len(names) > 1 else None
    c = Campaign.open(url, name=name, author=CLI_AUTHOR)
    report = c.update(file, note=note)
    console.print(escape(str(report)), highlight=False)


@app.command("list")
@_user_errors
def list_campaigns(store: StoreOption = None) -> None:
    """List the campaigns in a store: formulations, measurements, pending proposals, created.

    Example: optiform list --store sqlite:///run.db
    """
    st = Store(_url(store), create=False)
    table = st.campaigns()
    st.close()
    if not len(table):
        console.print(f"store {st.url} holds no campaign; create one with 'optiform init FILE'", highlight=False)
        return
    table["created"] = pd.to_datetime(table["created_at"], utc=True).dt.strftime("%Y-%m-%d")
    columns = ["name", "formulations", "measurements", "pending", "created", "description"]
    console.print(_table(table[columns], f"campaigns in {st.url}"))


@app.command()
@_user_errors
def propose(
    n: Annotated[int, typer.Option("-n", "--n", min=1, help="Number of formulations.")] = 4,
    batch_mass_g: Annotated[float | None, typer.Option(help="Batch mass in g for the weighing sheet.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the batch (and weighing sheet) to .csv or .xlsx.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the --out file if it exists.")] = False,
    strategy: Annotated[
        str | None,
        typer.Option(help=f"{STRATEGY_NAMES[0]} (default), {', '.join(STRATEGY_NAMES[1:-1])} or {STRATEGY_NAMES[-1]}."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: derived from the batch number).")] = None,
    fix: Annotated[
        list[str] | None,
        typer.Option(help="Hold a parameter at one value, NAME=VALUE (repeatable), e.g. framework=LLZT."),
    ] = None,
    min_p_solid: Annotated[
        float | None,
        typer.Option(
            "--min-p-solid",
            "--min-p-feasible",
            help="Floor on each proposal's predicted P(solid) (the [feasibility] outcome, whatever its name), "
            "e.g. 0.8; proposals below it are dropped.",
        ),
    ] = None,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Propose the next batch; they are stored as pending until results are recorded.

    Each formulation is printed with what the model expects of it: the predicted median and 90%
    interval of each objective and P(solid) when the campaign declares a [feasibility] outcome.
    With --batch-mass-g the weighing sheet is printed, and --out writes it (header, one row per
    formulation and chemical, an empty actual_g column to fill at the balance and record, the
    predictions); without it --out writes the batch table (id + variables + predictions).

    Example: optiform propose -n 6 --batch-mass-g 2.0 --out batch3.xlsx --fix framework=LLZT --min-p-solid 0.8
    """
    from .recipe import check_weighable, weighing_wide

    c = _open(store, campaign)
    if batch_mass_g is not None and not 0 < batch_mass_g < math.inf:
        raise DataError(f"--batch-mass-g must be > 0 g and finite, got {batch_mass_g:g}")
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        raise DataError(f"--out {out}: expected a .csv or .xlsx file name")
    _check_out(out, force)  # before anything is stored
    if batch_mass_g is not None:
        check_weighable(c.spec)  # before anything is stored
    with console.status(f"proposing {n} formulation(s)..."):
        batch = c.propose(n, strategy=strategy, seed=seed, fixed=_parse_fixed(fix or []), min_p_feasible=min_p_solid)
        expected = c.predictions(batch)
    console.print(_table(batch, f"next batch of {c.name}"))
    console.print(_predictions_table(c, expected))
    if batch_mass_g:
        sheet = c.weighing_sheet(batch, batch_mass_g)
        title = f"weighing sheet: grams for {batch_mass_g:g} g per formulation"
        console.print(_table(weighing_wide(sheet), title, digits=10))
    if out is not None:
        path = c.export_batch(batch, out, batch_mass_g)
        console.print(f"wrote {path}")


def _predictions_table(c: Campaign, expected: pd.DataFrame) -> Table | str:
    """Per formulation: each objective's predicted median and 90% interval, and P(feasible)."""
    columns: dict[str, list[str]] = {"id": [str(v) for v in expected["id"]]}
    for obj in c.spec.objectives:
        median, lo, hi = (expected[f"{obj.name}_{s}"].to_numpy(float) for s in ("median", "q05", "q95"))
        if np.isnan(median).all():
            continue
        columns[f"{obj.name} median (90% interval)"] = [
            f"{m:.3g} ({a:.3g}-{b:.3g})" if np.isfinite(m) else "-" for m, a, b in zip(median, lo, hi)
        ]
    feas = c.spec.feasibility
    if feas is not None and not expected[f"P_{feas.name}"].isna().all():
        columns[f"P({feas.name})"] = [f"{p:.2f}" for p in expected[f"P_{feas.name}"]]
    if len(columns) == 1:
        return "no predictions yet: the model needs results of 2 formulations (the first batch is space-filling)"
    table = Table(title="what the model expects of them", title_style="bold")
    for name in columns:
        table.add_column(escape(name), justify="left" if name == "id" else "right")
    for row in zip(*columns.values()):
        table.add_row(*(escape(cell) for cell in row))
    return table


def _check_figure_out(path: Path, force: bool) -> None:
    """--out of a plot: a .png, .svg or .pdf name, not an existing file unless --force."""
    from .plots.save import check_figure_path

    check_figure_path(path)
    _check_out(path, force)


def _check_out(path: Path | None, force: bool, option: str = "--out") -> None:
    """Refuse an output path that exists (a folder always; a file unless ``force``) or that cannot
    be written (a file on the way where a folder should be, a folder that takes no new file: a
    temporary file is made there and removed), before any work is done or anything is stored."""
    if path is None:
        return
    if path.exists() or path.is_symlink():
        if path.is_dir():
            raise DataError(f"{option} {path}: is a folder; name a file")
        if not force:
            raise DataError(f"{option} {path}: exists; choose another name, or pass --force to overwrite it")
    folder = next(p for p in [path.parent, *path.parent.parents] if p.exists() or p == Path(p.anchor))
    if not folder.is_dir():
        raise DataError(f"{option} {path}: {folder} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".optiform-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise DataError(f"{option} {path}: cannot write in {folder} ({exc.strerror or exc})") from None


def _parse_fixed(items: list[str]) -> dict[str, str]:
    """``["framework=LLZT", "FEC_wt_pct=5"]`` -> dict (values checked by ``Space.restrict``)."""
    return _parse_assignments(items, "--fix", "framework=LLZT")


def _parse_assignments(items: list[str], option: str, example: str) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; DataError naming ``option`` for a bad item."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise DataError(f"{option} {item!r}: expected NAME=VALUE, e.g. {example}")
        out[name.strip()] = value.strip()
    return out


@app.command()
@_user_errors
def export(
    batch: Annotated[int, typer.Option(min=1, help="Batch number (see 'optiform status').")],
    batch_mass_g: Annotated[float, typer.Option(help="Batch mass in g of each formulation.")],
    out: Annotated[Path, typer.Option(help="Weighing sheet to write, .csv or .xlsx.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite the --out file if it exists.")] = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Write a batch's weighing sheet again (its formulations that are not cancelled).

    Fill its actual_g column with the masses weighed and record it: optiform record FILE.

    Example: optiform export --batch 3 --batch-mass-g 2 --out batch3.xlsx
    """
    if not 0 < batch_mass_g < math.inf:
        raise DataError(f"--batch-mass-g must be > 0 g and finite, got {batch_mass_g:g}")
    _check_out(out, force)
    path = _open(store, campaign).export_sheet(batch, batch_mass_g, out)
    console.print(f"wrote {escape(str(path))}", highlight=False)


@app.command()
@_user_errors
def record(
    file: Annotated[Path, typer.Argument(help="Results table, or a filled weighing sheet (.csv or .xlsx).")],
    force: Annotated[
        bool, typer.Option("--force", help="Store values that look implausible (the reason goes in their note).")
    ] = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Record measured results: columns id, objective(s), optional replicate, status, note.

    Rows without an id are outside data (e.g. literature points): they need the mixture components;
    they may lie outside the bounds (used by the model) or lack a parameter (stored, left out).
    A row with status = failed and no value marks the formulation failed (e.g. the film stayed fluid).
    A weighing sheet with its actual_g column filled in (optiform export) records what was made.
    A value outside its quantity's plausible range, or 1000x away from the campaign's median, is
    refused naming the likely unit slip (S/cm, uS/cm) unless --force.

    Example: optiform record results-batch3.csv
    """
    c = _open(store, campaign)
    report = c.record(file, force=force)
    console.print(escape(str(report)), highlight=False)
    if not isinstance(report, RecordReport):
        return
    for line in report.already_stored:
        console.print(f"[dim]already stored:[/dim] {escape(line)}", highlight=False)
    for line in report.notices:
        err_console.print(f"[yellow]notice:[/yellow] {escape(line)}", highlight=False)
    for line in report.outside:
        console.print(f"outside the bounds: {escape(line)}", highlight=False)
    for line in report.left_out:
        err_console.print(f"[yellow]left out of the model:[/yellow] {escape(line)}", highlight=False)


@app.command()
@_user_errors
def amend(
    sample_id: Annotated[str, typer.Argument(help="Formulation id, e.g. F0003.")],
    replicate: Annotated[int, typer.Option(min=1, help="The replicate to correct (see 'optiform history ID').")],
    reason: Annotated[str, typer.Option(help="Why it changes (kept in its history; required).")] = "",
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", help="New value, NAME=VALUE in the unit the name declares (repeatable)."),
    ] = None,
    new_status: Annotated[str | None, typer.Option("--status", help="New status: ok or failed.")] = None,
    note: Annotated[str | None, typer.Option(help="New note (replaces the current one).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Store a value that looks implausible (the reason goes in its history).")
    ] = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Correct a stored measurement. The old version stays in the store with the time, the reason
    and who changed it; the model uses the new values.

    Example: optiform amend F0003 --replicate 1 --set conductivity_mS_cm=0.61 --reason "typo"
    """
    values = _parse_assignments(set_values or [], "--set", "conductivity_mS_cm=0.61")
    c = _open(store, campaign)
    version = c.amend(sample_id, replicate, values, status=new_status, note=note, reason=reason, force=force)
    now = c.history(sample_id).query("replicate == @replicate").iloc[-1]
    console.print(
        f"amended {sample_id} replicate {replicate} (version {version}): "
        f"{values_text(now['values'], now['status'], now['note'])}; the earlier version stays in its history "
        f"('optiform history {sample_id}')",
        highlight=False,
    )


@app.command()
@_user_errors
def retract(
    sample_id: Annotated[str, typer.Argument(help="Formulation id, e.g. F0003.")],
    replicate: Annotated[int, typer.Option(min=1, help="The replicate to retract (see 'optiform history ID').")],
    reason: Annotated[str, typer.Option(help="Why (kept in its history; required).")] = "",
    undo: Annotated[bool, typer.Option("--undo", help="Restore a retracted measurement instead.")] = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Take a measurement out of the model: it stays in the store, marked retracted with the time,
    the reason and who retracted it. --undo restores it.

    Example: optiform retract F0003 --replicate 2 --reason "cell short-circuited"
    """
    c = _open(store, campaign)
    if undo:
        c.restore(sample_id, replicate, reason)
        console.print(f"restored {sample_id} replicate {replicate}: the model uses it again", highlight=False)
        return
    c.retract(sample_id, replicate, reason)
    console.print(
        f"retracted {sample_id} replicate {replicate}: kept in the store, out of the model "
        f"(undo: optiform retract {sample_id} --replicate {replicate} --undo --reason TEXT)",
        highlight=False,
    )


@app.command()
@_user_errors
def history(
    sample_id: Annotated[str, typer.Argument(help="Formulation id, e.g. F0003.")],
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """List every version of a formulation's measurements: recorded or ingested, amended,
    retracted, restored, accepted; with the values, reason, who and when.

    Example: optiform history F0003
    """
    c = _open(store, campaign)
    h = c.history(sample_id)
    if not len(h):
        console.print(f"{sample_id} has no measurement yet", highlight=False)
        return
    from rich import box

    quantities = list(dict.fromkeys(q for values in h["values"] for q in values))
    columns: dict[str, list[str]] = {
        "replicate": [str(r) for r in h["replicate"]],
        "version": [str(v) for v in h["version"]],
        "action": list(h["action"]),
        "status": list(h["status"]),
        **{q: [f"{v[q]:.10g}" if q in v else "" for v in h["values"]] for q in quantities},  # the values
        "note": list(h["note"]),
        "reason": list(h["reason"]),
        "author": list(h["author"]),
        "time (UTC)": list(pd.to_datetime(h["created_at"], utc=True).dt.strftime("%Y-%m-%d %H:%M")),
    }
    if not any(columns["note"]):
        del columns["note"]
    if set(columns["status"]) == {"ok"}:
        del columns["status"]
    table = Table(title=f"history of {sample_id}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in columns:  # the values' headers, note and reason wrap; the rest stays on one line
        short = name in ("replicate", "version", "action", "status", "author", "time (UTC)")
        header = {"replicate": "rep.", "version": "v."}.get(name, name)
        table.add_column(header, no_wrap=short, overflow="ellipsis" if short else "fold", justify="left")
    for row in zip(*columns.values()):
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)


@app.command()
@_user_errors
def status(
    model: Annotated[
        bool,
        typer.Option(
            "--model", help="Also fit each objective's model: its best formulation and diagnostics (a few seconds)."
        ),
    ] = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Summarise the campaign: counts, flagged results waiting, best measured formulation, what comes next.

    Example: optiform status --model
    """
    c = _open(store, campaign)
    f = c.formulations()
    counts = f["status"].value_counts()
    console.print(f"[bold]{escape(c.name)}[/bold]  ({escape(c.store.url)})  {escape(c.spec.description)}")
    console.print(
        f"formulations: {len(f)}  measured: {counts.get('measured', 0)}  failed: {counts.get('failed', 0)}  "
        f"pending: {counts.get('pending', 0)}"
        + (f"  flagged: {counts['flagged']}" if counts.get("flagged", 0) else "")
        + (f"  cancelled: {counts['cancelled']}" if counts.get("cancelled", 0) else "")
        + (f"  retracted: {counts['retracted']}" if counts.get("retracted", 0) else ""),
        highlight=False,
    )
    flagged = _flagged_waiting(c)
    if flagged:
        console.print(flagged, highlight=False)
    from .strategies.base import MIN_USABLE_RESULTS, in_design

    n_results = int((f["n_results"] > 0).sum())
    usable = len(c.training_data(c.spec.objectives[0]))
    if n_results < c.spec.n_initial:
        phase = f"space-filling design ({n_results}/{c.spec.n_initial})"
    elif c.spec.strategy.name == "botorch" and in_design(n_results, usable, c.spec.n_initial):
        phase = f"space-filling design continued ({usable} usable result(s); the model needs {MIN_USABLE_RESULTS})"
    else:
        phase = "model-based"
    console.print(f"strategy: {c.spec.strategy.name}, next proposals: {phase}")
    console.print(_objectives_line(c), highlight=False)
    for obj in c.spec.objectives:
        try:
            best = c.best(obj.name)
        except DataError:
            console.print(f"no measured {obj.name} yet")
            continue
        values = ", ".join(f"{v}={_fmt(best[v])}" for v in c.space.variables)
        console.print(
            f"best {obj.name}: [bold]{best[obj.name]:.4g} {obj.unit}[/bold] ({best['id']}, "
            f"{best['n_replicates']} replicate(s)): {values}"
        )
        if model:
            _model_summary(c, obj)
    if not model and any(len(c.training_data(o)) >= 2 for o in c.spec.objectives):
        console.print("model: 'optiform status --model' adds the model's best formulation and diagnostics")
    if len(f):
        cols = ["id", *c.space.variables, "status", "n_results", "batch"]
        console.print(_table(f[cols].tail(15), "latest formulations"))


def _flagged_waiting(c: Campaign) -> str:
    """'flagged results waiting for accept: 3 (F0003 replicate 1, ...)' or '' when there are none."""
    d = c.data()
    rows = d[d["status"] == "flagged"]
    if not len(rows):
        return ""
    shown = [f"{i} replicate {r}" for i, r in zip(rows["id"], rows["replicate"])]
    more = f", ... ({len(shown) - 8} more)" if len(shown) > 8 else ""
    return (
        f"flagged results kept out of the model: {len(rows)} ({', '.join(shown[:8])}{more}); "
        "check them with 'optiform show ID', then 'optiform accept ID' or amend/retract"
    )


def _model_summary(c: Campaign, obj) -> None:
    """The best formulation by the GP's posterior mean, and the model diagnostics (3+ results)."""
    n = len(c.training_data(obj))
    if n < 2:
        return
    with console.status(f"fitting the model of {obj.name}..."):
        best = c.best(obj.name, by="model")
        diag = c.diagnostics(obj.name) if n >= 3 else None
    console.print(
        f"best {obj.name} by the model: [bold]{best[f'{obj.name}_median']:.4g} {obj.unit}[/bold] predicted "
        f"median, 90% interval {best[f'{obj.name}_q05']:.4g}-{best[f'{obj.name}_q95']:.4g} ({best['id']}, "
        f"measured {best[obj.name]:.4g} over {best['n_replicates']} replicate(s))"
    )
    if diag is None:
        console.print(f"model diagnostics need 3 results of {obj.name} (have {n})")
        return
    console.print(_table(diag.table(), f"model of {obj.name} (length scales on the [0, 1]-normalised range)"))


@app.command()
@_user_errors
def pareto(
    objectives: Annotated[str | None, typer.Option(help="Objectives to trade off, a,b (default: all).")] = None,
    csv: Annotated[Path | None, typer.Option(help="Also write the front to this .csv file.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the --csv file if it exists.")] = False,
    include_infeasible: Annotated[
        bool, typer.Option(help="Also list formulations that break an outcome constraint (column 'breaks').")
    ] = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Print the non-dominated measured formulations (the Pareto front) over the objectives.

    Each formulation counts by the mean of its replicates; those that break an outcome constraint
    (or lack a measurement of the constrained quantity) are left out unless --include-infeasible.

    Example: optiform pareto --objectives conductivity_mS_cm,transference_number --csv front.csv
    """
    c = _open(store, campaign)
    names = [o.strip() for o in objectives.split(",") if o.strip()] if objectives else None
    if csv is not None and csv.suffix.lower() != ".csv":
        raise DataError(f"--csv {csv}: expected a .csv file name")
    _check_out(csv, force, "--csv")
    front = c.pareto(names, include_infeasible=include_infeasible)
    if csv is not None:  # written first: a path that cannot be written is the only output
        try:
            csv.parent.mkdir(parents=True, exist_ok=True)
            front.to_csv(csv, index=False)
        except OSError as exc:
            raise path_error(csv, exc, "write the front") from None
    shown = names or c.spec.objective_names
    console.print(
        _table(
            front if include_infeasible else front.drop(columns="breaks"),
            f"Pareto front of {c.name}: {', '.join(shown)} ({len(front)} formulation(s))",
        )
        if len(front)
        else f"no measured formulation meets the outcome constraints ({_constraints_text(c)})"
    )
    if csv is not None:
        console.print(f"wrote {csv}")


def _objectives_line(c: Campaign) -> str:
    """'objectives: maximize a, minimize b; outcome constraints: q >= 4.5' for status."""
    objs = ", ".join(f"{o.direction} {o.name}" for o in c.spec.objectives)
    return f"objectives: {objs}; outcome constraints: {_constraints_text(c)}"


def _constraints_text(c: Campaign) -> str:
    return ", ".join(oc.describe() for oc in c.spec.outcome_constraints) or "none"


@app.command()
@_user_errors
def report(
    out: Annotated[Path, typer.Option(help="Output file, .html.")] = Path("report.html"),
    force: ForceOption = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Write the campaign report: one HTML file to open in a browser, no network needed.

    It holds the campaign and its spec, the best formulations, the pending batch with what the
    model expects of it, an interactive ternary map (hover for values; a menu picks the slice),
    convergence, the model's leave-one-out parity and length scales, every measurement with its
    quality flags, and the Arrhenius and Nyquist plots of ingested spectra.

    Example: optiform report --out report.html
    """
    if out.suffix.lower() not in (".html", ".htm"):
        raise DataError(f"--out {out}: expected a .html file name")
    _check_out(out, force)
    c = _open(store, campaign)
    with console.status("fitting the models and writing the report..."):
        path = c.report(out)
    console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


@plot_app.command("ternary")
@_user_errors
def plot_ternary(
    out: Annotated[Path, typer.Option(help="Output file: .png, .svg or .pdf.")] = Path("ternary.png"),
    axes: Annotated[
        str | None, typer.Option(help="Three mixture components A,B,C (needed with more than three).")
    ] = None,
    objective: Annotated[
        str | None, typer.Option(help="Objective to map (default: every objective, one row of panels each).")
    ] = None,
    fix: Annotated[
        list[str] | None,
        typer.Option(help="Choose the slice: hold a variable at NAME=VALUE (repeatable), e.g. porosity=0.75."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Draw the whole triangle instead of zooming on the bounds.")
    ] = False,
    dpi: DpiOption = 150,
    size: SizeOption = None,
    force: ForceOption = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Ternary map of predicted median and uncertainty, with measured points and next proposals.

    The variables not on the axes are held at the --fix values, the others at the best measured
    formulation's (the figure states them). Measured points on that slice are coloured on the
    median's scale, those near it faded and those made elsewhere hollow, with their counts. For a
    log-modelled objective the uncertainty is a factor: the 90% interval is median ×/÷ it.

    Example: optiform plot ternary --fix framework=glass_fiber --fix porosity=0.75 --out map.pdf
    """
    from .plots.save import parse_size

    _check_figure_out(out, force)
    c = _open(store, campaign)
    names = [a.strip() for a in axes.split(",")] if axes else None
    with console.status("fitting the model and drawing..."):
        path = c.plot_ternary(
            out,
            axes=names,
            objective=objective,
            fixed=_parse_fixed(fix or []),
            full=full,
            dpi=dpi,
            size=parse_size(size),
        )
    console.print(f"wrote {path}")


@app.command()
@_user_errors
def ingest(
    manifest: Annotated[Path, typer.Argument(help="Manifest CSV: id, kind, file, role, group, metadata.")],
    allow_outside: Annotated[
        bool, typer.Option("--allow-outside", help="Allow files outside the manifest's folder (../, absolute, links).")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Store derived values that look implausible (the reason goes in their note)."),
    ] = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Analyse raw instrument files listed in a manifest and store the derived values.

    Columns: id, kind (eis, transference, lsv, cycling, symmetric), file (relative to the manifest),
    role (eis_before, ca, eis_after for transference), group, and thickness_um, area_cm2,
    temperature_C, delta_V_mV, active_mass_mg as the kind needs. A manifest with a bad row is
    rejected whole; files already ingested are skipped and reported. Files must lie in the
    manifest's folder or below it unless --allow-outside.

    Example: optiform ingest raw/manifest.csv
    """
    c = _open(store, campaign)
    with console.status("reading and analysing files..."):
        report = c.ingest(manifest, force=force, allow_outside=allow_outside)
    console.print(str(report))
    for line in report.measurements:
        console.print(f"  {line}")
    for line in report.flagged:
        err_console.print(f"[yellow]flagged:[/yellow] {line}")
    for line in report.unchanged:
        console.print(f"[dim]unchanged:[/dim] {line}")


@app.command()
@_user_errors
def accept(
    sample_id: Annotated[str, typer.Argument(help="Formulation id, e.g. F0007.")],
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Accept a formulation's flagged measurements (failing quality flags) into the model.

    Example: optiform accept F0007
    """
    n = _open(store, campaign).accept(sample_id)
    console.print(
        f"accepted {n} flagged measurement(s) of {sample_id}" if n else f"{sample_id} has no flagged measurement"
    )


@app.command()
@_user_errors
def cancel(
    sample_id: Annotated[str, typer.Argument(help="Formulation id, e.g. F0012.")],
    reason: Annotated[str, typer.Option(help="Why it is withdrawn (kept in the store).")] = "",
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Withdraw a pending proposal: it stays in the store as cancelled (with the time and reason),
    is no longer pending and cannot receive results. The same point may be proposed again.

    Example: optiform cancel F0012 --reason "LiDFOB out of stock"
    """
    c = _open(store, campaign)
    c.cancel(sample_id, reason)
    console.print(f"cancelled {sample_id}" + (f": {reason.strip()}" if reason.strip() else ""), highlight=False)


@app.command()
@_user_errors
def show(
    sample_id: Annotated[str, typer.Argument(help="Formulation id, e.g. F0007.")],
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Print a formulation: its variables, measurements and values derived from raw files.

    Example: optiform show F0007
    """
    c = _open(store, campaign)
    f = c.formulations().set_index("id")
    if sample_id not in f.index:
        raise DataError(f"unknown sample id {sample_id!r} in campaign {c.name!r}")
    row = f.loc[sample_id]
    console.print(
        f"[bold]{sample_id}[/bold] ({row['source']}, {row['status']}): "
        + ", ".join(f"{v}={_fmt(row[v])}" for v in c.space.variables)
    )
    if row["outside"]:
        console.print(f"outside the campaign's current spec: {escape(row['outside'])}", highlight=False)
    if row["made"]:
        made = c.made().set_index("id").loc[sample_id]
        console.print(
            f"made ({pd.Timestamp(made['made_at']):%Y-%m-%d %H:%M} UTC, from a filled weighing sheet; the model "
            "uses this): " + ", ".join(f"{v}={_fmt(made[v])}" for v in c.space.variables),
            highlight=False,
        )
    if row["status"] == "cancelled":
        console.print(
            f"cancelled {pd.Timestamp(row['cancelled_at']):%Y-%m-%d %H:%M} UTC"
            + (f": {row['cancel_reason']}" if row["cancel_reason"] else ""),
            highlight=False,
        )
    d = c.data()
    d = d[(d["id"] == sample_id) & ~d["status"].isin(["pending", "cancelled"])].drop(
        columns=[*c.space.variables, "outside"]
    )
    if len(d):
        console.print(_table(d.dropna(axis=1, how="all"), "measurements"))
        changes = c.history(sample_id).query("action in ['amended', 'retracted', 'restored']")
        if len(changes):
            counts = ", ".join(f"{n} {action}" for action, n in changes["action"].value_counts(sort=False).items())
            console.print(f"corrections: {counts} (optiform history {sample_id})", highlight=False)
    a = c.analyses(sample_id)
    if len(a):
        console.print("[bold]derived from raw files[/bold]")
        for _, r in a.iterrows():
            err = f" ± {r['uncertainty']:.2g}" if pd.notna(r["uncertainty"]) else ""
            temp = f" at {r['temperature_C']:g} °C" if pd.notna(r["temperature_C"]) else ""
            flags = f" [yellow]flags: {r['flags']}[/yellow]" if r["flags"] else ""
            console.print(
                f"  replicate {r['replicate']} ({r['status']}), {r['kind']} group {r['group']}: "
                f"{r['quantity']} = {r['value']:.4g}{err}{temp}; {r['method']}; files {r['files']}{flags}",
                highlight=False,
            )


@app.command()
@_user_errors
def bench(
    problems: Annotated[
        str,
        typer.Option(
            help="Comma-separated problem names (see optiform.bench.problem_names()); 'family' stands for "
            "family-000..019, 'family-test' for family-100..119."
        ),
    ] = "llzt-full",
    strategies: Annotated[
        str,
        typer.Option(
            help=f"Comma-separated strategies: {', '.join(STRATEGY_NAMES)}; with options as "
            "name[key=value,...], e.g. botorch[feasibility_power=3,n_initial=8]. Peers: baybe (BayBE's "
            "defaults; needs optiform[peers])."
        ),
    ] = "botorch,random",
    seeds: Annotated[
        int, typer.Option(min=1, help="Seeds per problem and strategy: 0..N-1 (campaign seed = lab seed).")
    ] = 10,
    budget: Annotated[int, typer.Option(min=1, help="Experiments per run.")] = 60,
    batch: Annotated[int, typer.Option(min=1, help="Batch size after the first batch (the campaign's n_initial).")] = 4,
    out: Annotated[Path | None, typer.Option(help="Output folder (default bench-<time>).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default min(2, CPUs)).")] = None,
    initial: Annotated[
        int | None,
        typer.Option(
            min=1, help="First batch of every strategy, each from its own initial design (default n_initial)."
        ),
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute the peers' runs (botorch-defaults).")] = False,
    peer_cache: Annotated[
        Path | None,
        typer.Option(help="Folder of the peers' cached runs (default benchmarks/results/peers-cache of the checkout)."),
    ] = None,
    peer_budget: Annotated[
        int | None,
        typer.Option(min=1, help="Experiments per peer run (default --budget): peers take minutes per batch."),
    ] = None,
) -> None:
    """Benchmark strategies on problems with a known optimum: closed loops over strategies x problems
    x seeds, judged on the noise-free value of what was made. Writes bench.csv (one row per
    experiment), convergence.png, summary.csv and summary.md into --out.

    Example: optiform bench --problems llzt-ternary,llzt-full --strategies botorch,random --seeds 10 --budget 60

    A strategy with options is a variant, e.g. --strategies 'botorch,botorch[feasibility_power=3]': values are
    JSON, the key n_initial sets the design size, kernel the surrogate's kernel (rbf, matern, transfer, additive),
    lengthscale_prior its length-scale prior (lognormal, gamma), the others are the strategy's options.

    Peers (botorch-defaults: botorch's SingleTaskGP, qLogNEI and optimize_acqf after the same design) drop failed
    experiments; their runs are cached per problem, seed, budget, batch and --initial and reused (--no-cache recomputes).
    """
    from rich import box
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .bench import get_problem, run_bench, summarize
    from .bench.peers import default_peer_cache
    from .bench.problems import PROBLEMS, expand_problem_names, is_problem_name
    from .bench.runner import CHECKPOINTS, SUMMARY_FILES, default_workers
    from .bench.variants import parse_strategy, split_strategies

    problem_list = expand_problem_names([p.strip() for p in problems.split(",") if p.strip()])
    strategy_list = split_strategies(strategies)
    unknown_p = [p for p in problem_list if not is_problem_name(p)]
    if unknown_p or not problem_list:
        raise DataError(
            f"unknown problem {', '.join(map(repr, unknown_p)) or '(none given)'}; expected some of {', '.join(PROBLEMS)}, "
            "family, family-test or family-NNN"
        )
    if not strategy_list:
        raise DataError(f"no strategy given; expected some of {', '.join(STRATEGY_NAMES)}")
    strategy_list = list(dict.fromkeys(parse_strategy(s).label for s in strategy_list))
    folder = out or Path(f"bench-{datetime.now():%Y%m%d-%H%M%S}")
    clash = [name for name in SUMMARY_FILES if (folder / name).exists()]
    if clash:
        raise DataError(f"{folder}: already holds {', '.join(clash)}; choose a fresh --out folder")
    try:  # before the runs, not after them
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise path_error(folder, exc, "make the folder") from None
    n_workers = workers or default_workers()
    with console.status("loading problems..."):
        resolved = [get_problem(p) for p in problem_list]
    for p in resolved:
        spec = p.campaign_spec()
        console.print(
            f"[bold]{p.name}[/bold]: {spec.dimension} degrees of freedom, n_initial {spec.n_initial}, "
            f"optimum {p.optimum_value:.6g} {spec.objectives[0].unit or ''}",
            highlight=False,
        )
    total = len(resolved) * len(strategy_list) * seeds
    console.print(
        f"{total} runs ({len(strategy_list)} strategies x {len(resolved)} problems x {seeds} seeds), budget {budget}, "
        f"batch {batch}{'' if initial is None else f', first batch {initial}'}, {n_workers} worker(s)"
    )
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("runs", total=total)

        def advance(done: int, _total: int, info: dict) -> None:
            bar.update(
                task,
                completed=done,
                description=f"{info['problem']} {escape(info['strategy'])} seed {info['seed']}: "
                f"{100 * info['fraction_of_optimum']:.1f}% in {info['wall_s']:.0f} s",
            )

        df = run_bench(
            resolved,
            strategy_list,
            seeds,
            budget,
            batch,
            out=folder,
            workers=n_workers,
            progress=advance,
            initial=initial,
            peer_cache=None if no_cache else (peer_cache or default_peer_cache()),
            peer_budget=peer_budget,
        )
    summary = summarize(df, resolved)
    first = min(k for k in CHECKPOINTS) if budget >= min(CHECKPOINTS) else None
    console.print(
        "median experiments to reach 95% of the optimum; a seed that never gets there counts as budget + 1 "
        f"(censored){'' if first is None else f'; after {first}: best/optimum after {first} experiments, median / 10th percentile'}"
        f"; 97%, 98% and more in {escape(str(folder / 'summary.md'))}"
    )
    for problem in dict.fromkeys(summary["problem"]):
        rows = summary[summary["problem"] == problem]
        runs = int(rows["seeds"].max())
        table = Table(title=f"{problem} ({runs} runs per strategy)", title_justify="left", box=box.SIMPLE_HEAD)
        columns = ["strategy", "to 95%", *([f"after {first}"] if first else []), "best at end", "s/run"]
        for name in columns:
            if name == "strategy":  # a variant's label can be long: fold it, keep the figures whole
                table.add_column(name, justify="left", overflow="fold", min_width=16)
            else:
                table.add_column(name, justify="right", no_wrap=True)
        for _, r in rows.iterrows():
            if r["seeds"] == 0:  # a peer that cannot express the problem
                table.add_row(escape(r["strategy"]), escape(str(r["note"])), *[""] * (len(columns) - 2))
                continue
            at = (
                []
                if first is None
                else [
                    "–"
                    if pd.isna(r[f"at_{first}_median"])
                    else f"{r[f'at_{first}_median']:.3f} / {r[f'at_{first}_p10']:.3f}"
                ]
            )
            table.add_row(
                escape(r["strategy"]),
                r["to_95"],
                *at,
                f"{r['median_final_pct']:.1f}%",
                f"{r['median_wall_s']:.1f}",
            )
        console.print(table)
    ran = summary[(summary["seeds"] > 0) & (summary["note"] != "")]
    for strategy, note in dict(zip(ran["strategy"], ran["note"])).items():  # the peers
        console.print(f"{escape(strategy)}: {escape(note)}")
    early = summary[summary["ended_early"] > 0]
    for _, r in early.iterrows():
        console.print(
            f"{r['problem']} {escape(r['strategy'])}: {r['ended_early']}/{r['seeds']} run(s) ended before the budget (e.g. grid used up)"
        )
    console.print(f"wrote {', '.join(str(folder / name) for name in SUMMARY_FILES)}")


@plot_app.command("nyquist")
@_user_errors
def plot_nyquist(
    sample_id: Annotated[str, typer.Argument(help="Formulation id.")],
    out: FigureOut = Path("nyquist.png"),
    group: Annotated[str | None, typer.Option(help="Only the spectra of this manifest group.")] = None,
    dpi: DpiOption = 150,
    size: SizeOption = None,
    force: ForceOption = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Nyquist plot of a formulation's ingested spectra, one panel each, with the stored circuit fits.

    Each panel is titled by your file name and temperature, marks every frequency decade and the
    resistance used, and zooms on the high-frequency intercept in an inset.

    Example: optiform plot nyquist F0007 --group series1 --out f7-nyquist.pdf
    """
    from .plots.save import parse_size

    _check_figure_out(out, force)
    c = _open(store, campaign)
    console.print(f"wrote {c.plot_nyquist(sample_id, out, group=group, dpi=dpi, size=parse_size(size))}")


@plot_app.command("arrhenius")
@_user_errors
def plot_arrhenius(
    sample_id: Annotated[str, typer.Argument(help="Formulation id.")],
    out: FigureOut = Path("arrhenius.png"),
    group: Annotated[str | None, typer.Option(help="Only this manifest group's series.")] = None,
    dpi: DpiOption = 150,
    size: SizeOption = None,
    force: ForceOption = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Arrhenius plot of a formulation's stored fits: ln(σ / S cm⁻¹) against 1000/T, Ea with its 95% interval.

    Each temperature series (manifest group) is drawn with the points and line of the fit that was
    stored, so Ea agrees with 'optiform show'; other conductivities (flagged spectra, single
    temperatures) are drawn hollow and not fitted.

    Example: optiform plot arrhenius F0007 --out f7-arrhenius.svg
    """
    from .plots.save import parse_size

    _check_figure_out(out, force)
    c = _open(store, campaign)
    console.print(f"wrote {c.plot_arrhenius(sample_id, out, group=group, dpi=dpi, size=parse_size(size))}")


@plot_app.command("pareto")
@_user_errors
def plot_pareto(
    out: FigureOut = Path("pareto.png"),
    objectives: Annotated[str | None, typer.Option(help="Objectives to plot, a,b (default: all).")] = None,
    dpi: DpiOption = 150,
    size: SizeOption = None,
    force: ForceOption = False,
    store: StoreOption = None,
    campaign: CampaignOption = None,
) -> None:
    """Pareto plot: measured formulations in each pair of objectives, the front joined and labelled.

    Formulations that break an outcome constraint are drawn as grey crosses and are not on the front.

    Example: optiform plot pareto --objectives conductivity_mS_cm,transference_number --out front.pdf
    """
    from .plots.save import parse_size

    _check_figure_out(out, force)
    c = _open(store, campaign)
    names = [o.strip() for o in objectives.split(",") if o.strip()] if objectives else None
    with console.status("finding the front and drawing..."):
        path = c.plot_pareto(out, names, dpi=dpi, size=parse_size(size))
    console.print(f"wrote {path}")


@app.command()
@_user_errors
def demo(
    out: Annotated[
        Path | None, typer.Option(help="Fresh folder for the store, map and CSV (default demo-<time>).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the virtual lab's noise and of the proposals.")] = 0,
    batches: Annotated[int, typer.Option(min=0, help="Model-based batches after the initial design.")] = 8,
    batch_size: Annotated[int, typer.Option(min=1, help="Formulations per model-based batch.")] = 4,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="Go through raw instrument files: write EIS, Bruce-Vincent "
            "and LSV files for each batch into OUT/raw and ingest them.",
        ),
    ] = False,
) -> None:
    """Run a closed-loop campaign on the built-in virtual lab (a synthetic model calibrated to
    Nguyen et al. 2024) and write the ternary map and a CSV of the campaign.

    With --raw every batch goes through raw files: the lab writes EC-Lab, Gamry and CSV files
    (EIS at 30-70 °C, Bruce-Vincent t+, LSV) and a manifest into OUT/raw/batch-NN, fluid films and
    failed cells are recorded as failed, and the rest is ingested (as 'optiform ingest' would).

    Example: optiform demo --out demo-run --batches 6
    """
    from .bench.loop import closed_loop, closed_loop_raw
    from .sim import GLOBAL_OPTIMUM, PAPER_CONDUCTIVITY_mS_cm, VirtualLab

    folder = out or Path(f"demo-{datetime.now():%Y%m%d-%H%M%S}")
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{folder}: is a file; the demo writes into a fresh folder")
    if folder.exists() and any(folder.iterdir()):
        raise DataError(f"{folder}: exists and is not empty; the demo writes into a fresh folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise path_error(folder, exc, "make the folder") from None
    c = Campaign.create(example_spec_path(), store=f"sqlite:///{folder / 'optiform.db'}", seed=seed)
    lab = VirtualLab(seed=seed)
    budget = c.spec.n_initial + batches * batch_size
    console.print(
        f"[bold]optiform demo[/bold]: campaign {c.name} on the virtual lab (synthetic, calibrated to the "
        f"paper: {PAPER_CONDUCTIVITY_mS_cm['LLZT']} mS/cm at 30:50:20 wt%), {c.spec.n_initial} design points + "
        f"{batches} batches of {batch_size}" + (f", through raw files in {folder / 'raw'}" if raw else "")
    )
    start = time.perf_counter()

    def show(r) -> None:
        res = r.results
        fluid = int((~res["solid"]).sum())
        failed = int((res["status"] == "failed").sum()) - fluid
        flagged = int((res["status"] == "flagged").sum())
        extra = (f", {failed} failed" if failed else "") + (f", {flagged} flagged" if flagged else "")
        console.print(
            f"  batch {r.number:2d} ({r.kind:6s}) {len(r.batch):2d} made, {fluid} fluid{extra}"
            f" | experiments {r.n_experiments:3d} | best measured {r.best_measured_mS_cm:.3f} mS/cm"
            f" | {time.perf_counter() - start:5.1f} s"
        )

    if raw:
        history = closed_loop_raw(c, lab, folder / "raw", budget=budget, batch_size=batch_size, on_batch=show)
    else:
        history = closed_loop(c, lab, budget=budget, batch_size=batch_size, on_batch=show)
    best = c.best()
    opt = GLOBAL_OPTIMUM["conductivity_mS_cm"]
    console.print(
        f"best found: [bold]{best['conductivity_mS_cm']:.3f} mS/cm[/bold] measured ({best['id']}: "
        + ", ".join(f"{v}={_fmt(best[v])}" for v in c.space.variables)
        + f"); best noise-free value made: {history['best_true_mS_cm'].iloc[-1]:.3f} mS/cm = "
        f"{100 * history['best_true_mS_cm'].iloc[-1] / opt:.0f}% of the simulator's optimum ({opt:.3f} mS/cm)"
    )
    data_path = folder / "campaign.csv"
    c.data().to_csv(data_path, index=False)
    with console.status("drawing the ternary map..."):
        map_path = c.plot_ternary(folder / "ternary.png")
    console.print(f"wrote {map_path}, {data_path} and the store {folder / 'optiform.db'}")


# --- helpers ----------------------------------------------------------------------------------
def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _table(df: pd.DataFrame, title: str, digits: int = 4) -> Table:
    table = Table(title=title, title_justify="left")
    for col in df.columns:
        table.add_column(str(col), justify="right" if pd.api.types.is_numeric_dtype(df[col]) else "left")
    for _, row in df.iterrows():
        table.add_row(*[_cell(v, digits) for v in row])
    return table


def _cell(v, digits: int) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return ""
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def main(argv: list[str] | None = None) -> None:
    """Entry point (console script ``optiform``)."""
    app(args=argv)


if __name__ == "__main__":  # pragma: no cover
    main()
