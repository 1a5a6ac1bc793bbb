"""A campaign report: one self-contained HTML file to open in a browser (no network needed).

Sections: the campaign and its spec; counts; the best formulations; the pending batch with what the
model expects of it; an interactive ternary map (plotly: hover a point for its formulation, measured
and predicted values; a menu chooses the slice of the held variables); convergence; the model's
leave-one-out parity and length scales; every measurement with its status and quality flags; and
the Arrhenius and Nyquist plots of each formulation with ingested spectra.

plotly.js is embedded once (about 4.6 MB); the analysis plots are PNG images inside the file.
:func:`write_report` takes a :class:`~optiform.Campaign` (``Campaign.report`` calls it).
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._version import __version__
from .errors import DataError, OptiformError, path_error

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from matplotlib.figure import Figure

Campaign = Any
"""An :class:`optiform.Campaign` (the report sits below the façade, so it is not imported here)."""

__all__ = ["MAX_SLICES", "report_html", "write_report"]

MAX_SLICES = 12
"""Slices offered by the ternary map's menu: the best formulation's, then each other choice of a
categorical held variable and the ends of each continuous one's range."""
GRID_STEPS = 40  # ternary grid steps per side (861 points before the bounds)
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def write_report(campaign: Campaign, out: str | Path) -> Path:
    """Write :func:`report_html` to ``out`` (.html); the file is written whole or not at all."""
    path = Path(out)
    if path.suffix.lower() not in (".html", ".htm"):
        raise DataError(f"{path}: expected a .html file name for the report")
    text = report_html(campaign)
    tmp = path.with_name(f".{path.name}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise path_error(path, exc, "write the report") from None
    return path


def report_html(campaign: Campaign) -> str:
    """The report of ``campaign`` as one HTML document (module docstring)."""
    from plotly.offline import get_plotlyjs

    c = campaign
    sections = [
        _section("Campaign", _campaign_text(c)),
        _section("Best formulations", _best_tables(c)),
        _section("Pending batch and what the model expects", _pending(c)),
        _section("Ternary map (interactive)", _ternary_section(c)),
        _section("Convergence", _convergence(c)),
        _section("Model: leave-one-out parity and length scales", _model_section(c)),
        _section("Measurements", _measurements(c)),
        _section("Analysis plots", _analysis_section(c)),
    ]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = html.escape(f"optiform report: {c.name}")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{title}</title>"
        f"<style>{_CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{title}</h1><p class='meta'>{html.escape(c.spec.description)} · store "
        f"{html.escape(c.store.url)} · written {stamp} by optiform {__version__}</p>"
        f"<nav>{_nav(sections)}</nav></header>" + "".join(body for _, body in sections) + "</body></html>\n"
    )


# --- sections ------------------------------------------------------------------------------------
def _section(title: str, body: str) -> tuple[str, str]:
    anchor = title.lower().split(":")[0].replace(" ", "-")
    return title, f"<section id='{anchor}'><h2>{html.escape(title)}</h2>{body}</section>"


def _nav(sections: Sequence[tuple[str, str]]) -> str:
    links = []
    for title, _ in sections:
        anchor = title.lower().split(":")[0].replace(" ", "-")
        links.append(f"<a href='#{anchor}'>{html.escape(title)}</a>")
    return " · ".join(links)


def _campaign_text(c: Campaign) -> str:
    f = c.formulations()
    counts = f["status"].value_counts()
    parts = [f"{counts.get(s, 0)} {s}" for s in ("measured", "failed", "flagged", "pending", "cancelled", "retracted")]
    objectives = ", ".join(f"{o.direction} {o.name}" for o in c.spec.objectives)
    constraints = ", ".join(oc.describe() for oc in c.spec.outcome_constraints) or "none"
    spec = json.dumps(c.spec.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return (
        f"<p><b>{len(f)}</b> formulations: {', '.join(parts)}. Objectives: {html.escape(objectives)}; "
        f"outcome constraints: {html.escape(constraints)}; strategy: {html.escape(c.spec.strategy.name)}.</p>"
        f"<details><summary>the campaign's spec (version {len(c.spec_versions())})</summary>"
        f"<pre>{html.escape(spec)}</pre></details>"
    )


def _best_tables(c: Campaign) -> str:
    out = []
    for obj in c.spec.objectives:
        train = c.training_data(obj)
        if not len(train):
            out.append(f"<p>No measured {html.escape(obj.name)} yet.</p>")
            continue
        grouped = train.groupby("id", sort=False)
        table = grouped[c.space.variables].first()
        table[obj.name] = grouped[obj.name].mean()
        table["replicates"] = grouped.size()
        table = table.sort_values(obj.name, ascending=not obj.maximize).head(10).reset_index()
        out.append(f"<h3>{html.escape(obj.name)} ({obj.direction}), top {len(table)}</h3>" + _table(table))
    return "".join(out)


def _pending(c: Campaign) -> str:
    f = c.formulations()
    pending = f[f["status"] == "pending"][["id", *c.space.variables, "batch"]]
    if not len(pending):
        return "<p>No pending formulation: propose the next batch with <code>optiform propose</code>.</p>"
    expected = c.predictions(pending[["id", *c.space.variables]]).drop(columns="id")
    return _table(pd.concat([pending.reset_index(drop=True), expected.reset_index(drop=True)], axis=1))


def _ternary_section(c: Campaign) -> str:
    if len(c.space.components) < 3:
        return "<p>The mixture has two components: see the line plot of <code>optiform plot ternary</code>.</p>"
    obj = c.spec.objectives[0]
    try:
        best = c.best(obj.name)
        c.surrogate(obj)
    except OptiformError as exc:
        return f"<p>No map yet: {html.escape(str(exc))}.</p>"
    fig = ternary_map(c, best)
    return _plotly(fig, "ternary-map") + (
        "<p class='meta'>Colour: the model's predicted median over the mixture (the other variables held "
        "at the slice chosen in the menu). Circles: measured formulations (filled on the slice, hollow when "
        "made at other held values); crosses: failed; diamonds: pending proposals. Hover for values.</p>"
    )


def ternary_map(c: Campaign, best: pd.Series) -> go.Figure:
    """The interactive map: one group of traces per slice, a menu to switch between them."""
    import plotly.graph_objects as go

    from .plots.ternary import grid_compositions, slice_distance, zoomed_view

    obj = c.spec.objectives[0]
    names = c.space.components[:3]
    others = [v for v in c.space.variables if v not in names]
    slices = _slices(c, best, others)
    held_components = [n for n in c.space.components if n not in names]
    fig = go.Figure()
    d = c.data()
    measured = d[d["status"].isin(["ok", "failed"])].copy()
    pending = d[d["status"] == "pending"].drop_duplicates("id")
    feas = c.feasibility_model()
    groups: list[list[int]] = []
    labels = []
    first_view, total = [0.0, 0.0, 0.0], c.space.total
    ok = pd.to_numeric(measured.loc[measured["status"] == "ok", obj.name], errors="coerce").dropna()
    values: list[float] = [float(v) for v in (ok.min(), ok.max())] if len(ok) else []
    unit = c.space.unit + (", the plotted three" if held_components else "")
    for label, held in slices:
        rest = c.space.total - sum(float(held[h]) for h in held_components)
        view = zoomed_view(c.space, names, rest)
        _, comps = grid_compositions(c.space, names, rest, GRID_STEPS, view)
        table = pd.DataFrame({n: comps[:, i] for i, n in enumerate(names)})
        for v in others:
            table[v] = held[v]
        table = table[c.space.variables]
        pred = c.surrogate(obj).predict(table)
        values += [float(pred[f"{obj.name}_median"].min()), float(pred[f"{obj.name}_median"].max())]
        p = feas.probability(table) if feas is not None else None
        start = len(fig.data)
        hover = [
            _hover(row, names, obj.name, m, lo, hi, None if p is None else p[i])
            for i, (row, m, lo, hi) in enumerate(
                zip(
                    table.itertuples(index=False),
                    pred[f"{obj.name}_median"],
                    pred[f"{obj.name}_q05"],
                    pred[f"{obj.name}_q95"],
                )
            )
        ]
        if not groups:
            first_view, total = view.origin.tolist(), rest
        fractions = comps / rest * total
        fig.add_trace(
            go.Scatterternary(
                a=fractions[:, 1],
                b=fractions[:, 2],
                c=fractions[:, 0],
                mode="markers",
                marker={"color": pred[f"{obj.name}_median"], "coloraxis": "coloraxis", "size": 9, "symbol": "hexagon"},
                hovertext=hover,
                hoverinfo="text",
                name="prediction",
                visible=not groups,
            )
        )
        distance = slice_distance(c.space, names, {v: held[v] for v in others}, measured)
        for status, on, symbol, fill in (
            ("ok", True, "circle", True),  # filled with its measured value on the map's colour scale
            ("ok", False, "circle-open", False),
            ("failed", None, "x", True),
        ):
            rows = measured[measured["status"] == status]
            near = distance[measured["status"].to_numpy() == status] <= 0.02
            if on is not None:
                rows = rows[near if on else ~near]
            label_ = {"ok": "measured", "failed": "failed"}[status] + (
                "" if on is None else (" on this slice" if on else " at other held values")
            )
            fig.add_trace(_points(rows, names, obj.name, c, symbol, label_, fill, total))
        fig.add_trace(_points(pending, names, obj.name, c, "diamond-open", "pending proposals", False, total))
        groups.append(list(range(start, len(fig.data))))
        labels.append(label)
        if len(groups) == 1:  # the first slice is shown when the page opens
            for i in groups[0]:
                fig.data[i].visible = True
    n_traces = len(fig.data)
    buttons = [
        {
            "label": label,
            "method": "update",
            "args": [{"visible": [i in group for i in range(n_traces)]}],
        }
        for label, group in zip(labels, groups)
    ]
    fig.update_layout(
        ternary={
            "aaxis": {"title": {"text": f"{names[1]} ({unit})"}, "min": first_view[1]},
            "baxis": {"title": {"text": f"{names[2]} ({unit})"}, "min": first_view[2]},
            "caxis": {"title": {"text": f"{names[0]} ({unit})"}, "min": first_view[0]},
            "sum": total,
        },
        updatemenus=[{"buttons": buttons, "x": 0.0, "y": 1.15, "xanchor": "left", "showactive": True}],
        coloraxis={
            "colorscale": "Viridis",
            "cmin": min(values),
            "cmax": max(values),
            "colorbar": {"title": {"text": f"{obj.name}<br>median; measured"}},
        },
        height=640,
        margin={"t": 90, "l": 40, "r": 40, "b": 40},
        legend={"orientation": "h", "y": -0.05},
        title={"text": f"{c.name}: {obj.name}, predicted median", "x": 0.98, "xanchor": "right"},
    )
    return fig


def _slices(c: Campaign, best: pd.Series, others: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """(menu label, held values): the best formulation's slice, then one variable changed at a time."""
    base = {v: best[v] for v in others}
    out = [("best measured: " + _held_text(base), base)]
    for v in others:
        options: list[Any]
        if v in c.space.categorical:
            options = [x for x in c.space.categorical[v] if x != base[v]]
        elif v in c.space.continuous:
            p = c.space.continuous[v]
            options = [x for x in (p.min, p.max) if not np.isclose(x, float(base[v]))]
        else:  # a held mixture component
            lo, hi = c.space.component_bounds()[c.space.components.index(v)]
            options = [x for x in (lo, hi) if not np.isclose(x, float(base[v]))]
        for x in options:
            held = {**base, v: x}
            out.append((f"{v} = {_shown(x)} (rest as best)", held))
    return out[:MAX_SLICES]


def _held_text(held: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {_shown(v)}" for k, v in held.items()) or "nothing held"


def _shown(v: Any) -> str:
    return f"{v:g}" if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool) else str(v)


def _hover(row: Any, names: Sequence[str], obj: str, median: float, lo: float, hi: float, p: float | None) -> str:
    comp = ", ".join(f"{n} {getattr(row, n):.3g}" for n in names)
    text = f"{comp}<br>predicted {obj}: {median:.3g} (90%: {lo:.3g}-{hi:.3g})"
    return text + (f"<br>P(feasible) {p:.2f}" if p is not None else "")


def _points(
    rows: pd.DataFrame, names: Sequence[str], obj: str, c: Campaign, symbol: str, name: str, fill: bool, total: float
) -> Any:
    import plotly.graph_objects as go

    x = rows[list(names)].to_numpy(float) if len(rows) else np.zeros((0, 3))
    s = x.sum(axis=1, keepdims=True)
    x = np.divide(x, s, out=np.zeros_like(x), where=s > 0) * total
    text = []
    for _, r in rows.iterrows():
        value = r.get(obj)
        measured = f"measured {obj}: {value:.4g}" if pd.notna(value) else f"status {r['status']}"
        variables = ", ".join(f"{v} {_shown(r[v])}" for v in c.space.variables)
        text.append(f"<b>{html.escape(str(r['id']))}</b><br>{measured}<br>{html.escape(variables)}")
    coloured = fill and symbol == "circle" and obj in rows.columns
    marker: dict[str, Any] = {"symbol": symbol, "size": 11 if fill else 9, "line": {"color": "black", "width": 1.5}}
    if coloured:
        marker.update(color=pd.to_numeric(rows[obj], errors="coerce").to_numpy(float), coloraxis="coloraxis")
    else:
        marker["color"] = "black"
    return go.Scatterternary(
        a=x[:, 1],
        b=x[:, 2],
        c=x[:, 0],
        mode="markers",
        marker=marker,
        hovertext=text,
        hoverinfo="text",
        name=name,
        visible=False,
    )


def _convergence(c: Campaign) -> str:
    import plotly.graph_objects as go

    figs = []
    for obj in c.spec.objectives:
        train = c.training_data(obj)
        if not len(train):
            continue
        means = train.groupby("id", sort=False)[obj.name].mean()
        order = sorted(means.index, key=_id_order)
        values = means.loc[order].to_numpy(float)
        best = np.maximum.accumulate(values) if obj.maximize else np.minimum.accumulate(values)
        fig = go.Figure()
        x = np.arange(1, len(values) + 1)
        fig.add_trace(go.Scatter(x=x, y=values, mode="markers", name="measured", text=list(order)))
        fig.add_trace(go.Scatter(x=x, y=best, mode="lines", name="best so far", line={"shape": "hv"}))
        fig.update_layout(
            xaxis_title="formulations measured (in id order)",
            yaxis_title=obj.name,
            height=380,
            margin={"t": 30, "l": 60, "r": 20, "b": 50},
        )
        if obj.log:
            fig.update_yaxes(type="log")
        figs.append(_plotly(fig, f"convergence-{obj.name}"))
    return "".join(figs) or "<p>No measured result yet.</p>"


def _id_order(label: str) -> tuple[int, str]:
    digits = "".join(ch for ch in str(label) if ch.isdigit())
    return (int(digits) if digits else 10**9, str(label))


def _model_section(c: Campaign) -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .models.diagnostics import MIN_LOO_FORMULATIONS

    out = []
    for obj in c.spec.objectives:
        if len(c.training_data(obj)) < 3:
            out.append(f"<p>{html.escape(obj.name)}: the diagnostics need 3 results.</p>")
            continue
        d = c.diagnostics(obj.name)
        loo = d.loo
        fig = make_subplots(rows=1, cols=2, subplot_titles=("leave-one-out parity (model scale)", "length scales"))
        fig.add_trace(
            go.Scatter(
                x=loo["measured"],
                y=loo["loo_mean"],
                error_y={"array": 1.645 * loo["loo_sd"], "thickness": 1},
                mode="markers",
                text=loo["id"],
                name="left out",
            ),
            row=1,
            col=1,
        )
        lo, hi = (
            float(min(loo["measured"].min(), loo["loo_mean"].min())),
            float(max(loo["measured"].max(), loo["loo_mean"].max())),
        )
        fig.add_trace(
            go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="y = x", line={"dash": "dash"}), row=1, col=1
        )
        ls = d.length_scales
        fig.add_trace(
            go.Bar(x=ls["length_scale"], y=ls["dimension"], orientation="h", name="length scale"), row=1, col=2
        )
        scale = "ln " if obj.log else ""
        fig.update_xaxes(title_text=f"measured ({scale}{obj.name})", row=1, col=1)
        fig.update_yaxes(title_text="predicted when left out", row=1, col=1)
        fig.update_xaxes(title_text="fraction of the variable's range", type="log", row=1, col=2)
        fig.update_layout(height=420, showlegend=False, margin={"t": 40, "l": 60, "r": 20, "b": 50})
        enough = d.n_formulations >= MIN_LOO_FORMULATIONS
        summary = (
            f"R² {d.r2:.3f}, {100 * d.coverage_90:.0f}% of measurements inside their 90% intervals"
            if enough
            else f"n too small for R² and coverage ({d.n_formulations} formulations; shown from {MIN_LOO_FORMULATIONS})"
        )
        out.append(f"<h3>{html.escape(obj.name)}: {summary}</h3>" + _plotly(fig, f"model-{obj.name}"))
    return "".join(out)


def _measurements(c: Campaign) -> str:
    d = c.data()
    d = d[d["status"] != "pending"]
    if not len(d):
        return "<p>No measurement yet.</p>"
    a = c.analyses()
    if len(a):
        flags = a[a["flags"] != ""].groupby(["id", "replicate"])["flags"].agg(lambda s: "; ".join(dict.fromkeys(s)))
        d = d.merge(flags.rename("flags").reset_index(), on=["id", "replicate"], how="left")
        d["flags"] = d["flags"].fillna("")
    return _table(d.drop(columns=["made"]))


def _analysis_section(c: Campaign) -> str:
    a = c.analyses()
    if not len(a):
        return "<p>No raw instrument file ingested.</p>"
    out = []
    for sample in dict.fromkeys(a.loc[a["quantity"] == "conductivity_mS_cm", "id"]):
        images = []
        for kind in ("arrhenius", "nyquist"):
            try:
                fig = c.arrhenius_figure(sample) if kind == "arrhenius" else c.nyquist_figure(sample)
            except DataError:
                continue  # no Arrhenius series for this formulation
            images.append(_png(fig, f"{kind} plot of {sample}"))
        out.append(f"<h3>{html.escape(str(sample))}</h3>" + "".join(images))
    return "".join(out)


# --- pieces ----------------------------------------------------------------------------------------
def _plotly(fig: go.Figure, div_id: str) -> str:
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOT_CONFIG))


def _png(fig: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=72, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"


def _table(df: pd.DataFrame) -> str:
    shown = df.copy()
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col]):
            shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
    return (
        "<div class='wide'>"
        + str(shown.to_html(index=False, classes="data", border=0, na_rep="", escape=True))
        + "</div>"
    )


_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 2rem 3rem; color: #222; }
header { border-bottom: 1px solid #ccc; margin-bottom: 1rem; }
h1 { margin: 1rem 0 0.2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #eee; }
.meta { color: #555; font-size: 0.9rem; } nav { font-size: 0.9rem; margin: 0.5rem 0 1rem; }
table.data { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
table.data th, table.data td { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: right; }
table.data th { background: #f4f4f4; } pre { background: #f7f7f7; padding: 0.5rem; overflow-x: auto; }
img { max-width: 100%; margin: 0.5rem 0; } .wide { overflow-x: auto; }
"""
