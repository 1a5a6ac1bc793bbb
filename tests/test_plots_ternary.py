"""Tests of optiform.plots.ternary: files written, predict called once in bounds, orientation."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from ternary.helpers import project_point

from optiform.plots import mixture_figure, plot_mixture, plot_ternary
from optiform.plots.ternary import (
    MEDIAN_CMAP,
    bounds_polygon,
    grid_compositions,
    key_to_composition,
    objective_label,
    resolve_axes,
)
from optiform.space import Space
from optiform.spec import load_spec, parse_spec

CAMPAIGN = Path(__file__).parents[1] / "campaigns/llzt-cse/campaign.toml"
HELD = {"LiDFOB_mol_frac": 0.05, "FEC_wt_pct": 5.0, "porosity": 0.75, "framework": "LLZT"}


class FakeModel:
    """An analytic 'GP': median = ``median_of(df)``, std grows with the last component; records calls."""

    def __init__(self, name: str, median_of=None) -> None:
        self.name = name
        self.calls: list[pd.DataFrame] = []
        self.median_of = median_of or _bump

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        self.calls.append(df.copy())
        med = np.asarray(self.median_of(df), dtype=float)
        last = df.iloc[:, 1].to_numpy(float) / 100
        std = 0.05 + 0.3 * np.abs(last - 0.4)
        n = self.name
        return pd.DataFrame(
            {
                f"{n}_median": med,
                f"{n}_mean": med * np.exp(std**2 / 2),
                f"{n}_std": med * std,
                f"{n}_q05": med * np.exp(-1.645 * std),
                f"{n}_q95": med * np.exp(1.645 * std),
            },
            index=df.index,
        )


def _bump(df: pd.DataFrame) -> np.ndarray:
    x, y = df.iloc[:, 0].to_numpy(float) / 100, df.iloc[:, 1].to_numpy(float) / 100
    return 0.05 + 1.1 * np.exp(-((x - 0.3) ** 2 + (y - 0.5) ** 2) / 0.02)


@pytest.fixture
def llzt() -> Space:
    return Space(load_spec(CAMPAIGN))


def _measured(space: Space, model: FakeModel, n: int = 10) -> pd.DataFrame:
    m = space.sample_uniform(n, seed=3)
    m[model.name] = _bump(m)
    m["status"] = "ok"
    m.loc[[1, 4], "status"] = "failed"
    m.loc[[1, 4], model.name] = np.nan
    return m


def _proposals(space: Space) -> pd.DataFrame:
    p = space.sample_uniform(3, seed=11)
    p.insert(0, "id", [21, 22, 23])
    return p


def _four_component_space() -> Space:
    return Space(
        parse_spec(
            {
                "version": 1,
                "name": "four",
                "mixture": {
                    "components": {
                        "MEMA": {"min": 10, "max": 70},
                        "SN": {"min": 20, "max": 70},
                        "salt": {"min": 5, "max": 35},
                        "PEGDA": {"min": 0, "max": 20},
                    }
                },
                "parameters": {"porosity": {"min": 0.4, "max": 0.85}, "framework": {"choices": ["LLZT", "glass"]}},
                "objectives": [{"name": "conductivity_mS_cm"}],
            }
        )
    )


def _two_component_space() -> Space:
    return Space(
        parse_spec(
            {
                "version": 1,
                "name": "binary",
                "mixture": {"components": {"SN": {"min": 55, "max": 95}, "salt": {"min": 5, "max": 45}}},
                "parameters": {"temperature_C": {"min": 20, "max": 60, "unit": "°C"}},
                "objectives": [{"name": "conductivity_mS_cm"}],
            }
        )
    )


def _assert_image(path: Path, magic: bytes, min_bytes: int) -> None:
    assert path.exists()
    data = path.read_bytes()
    assert data.startswith(magic) or magic in data[:200]
    assert len(data) > min_bytes


# --- files ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_png_and_svg_written(llzt: Space, tmp_path: Path) -> None:
    obj = llzt.spec.objectives[0]
    model = FakeModel(obj.name)
    measured, proposals = _measured(llzt, model), _proposals(llzt)
    png = plot_mixture(llzt, obj, model, measured, proposals, HELD, tmp_path / "a" / "map.png", title="llzt-cse")
    svg = plot_ternary(llzt, obj, model, measured, proposals, HELD, tmp_path / "map.svg", title="llzt-cse")
    assert png == tmp_path / "a" / "map.png"
    _assert_image(png, b"\x89PNG", 50_000)
    _assert_image(svg, b"<svg", 50_000)
    text = svg.read_text()
    for needle in (
        "llzt-cse",
        "MEMA (wt%)",
        "SN (wt%)",
        "salt (wt%)",
        "median",
        "90% interval: median ×/÷ this factor",
        "held: LiDFOB_mol_frac=0.05, FEC_wt_pct=5, porosity=0.75, framework=LLZT",
        "next proposals",
        "failed",
    ):
        assert needle in text, needle
    assert plt.get_fignums() == []  # nothing registered with pyplot, nothing leaks


def test_empty_measured_and_no_proposals(llzt: Space, tmp_path: Path) -> None:
    obj = llzt.spec.objectives[0]
    out = plot_mixture(llzt, obj, FakeModel(obj.name), pd.DataFrame(), None, HELD, tmp_path / "empty.png")
    _assert_image(out, b"\x89PNG", 20_000)


def test_bad_suffix(llzt: Space, tmp_path: Path) -> None:
    obj = llzt.spec.objectives[0]
    model = FakeModel(obj.name)
    with pytest.raises(ValueError, match=r"map\.jpg.*\.png, \.svg, \.pdf"):
        plot_mixture(llzt, obj, model, pd.DataFrame(), None, HELD, tmp_path / "map.jpg")
    assert model.calls == []


def test_missing_fixed_named(llzt: Space, tmp_path: Path) -> None:
    obj = llzt.spec.objectives[0]
    held = {k: v for k, v in HELD.items() if k != "porosity"}
    with pytest.raises(ValueError, match="porosity"):
        plot_mixture(llzt, obj, FakeModel(obj.name), pd.DataFrame(), None, held, tmp_path / "m.png")
    with pytest.raises(ValueError, match="framework"):
        plot_mixture(
            llzt, obj, FakeModel(obj.name), pd.DataFrame(), None, {**HELD, "framework": "steel"}, tmp_path / "m.png"
        )


# --- predict --------------------------------------------------------------------------------------
def test_predict_called_once_in_bounds(llzt: Space, tmp_path: Path) -> None:
    obj = llzt.spec.objectives[0]
    model = FakeModel(obj.name)
    plot_mixture(
        llzt, obj, model, _measured(llzt, model), _proposals(llzt), HELD, tmp_path / "m.png", scale=30, full=True
    )
    assert len(model.calls) == 1
    table = model.calls[0]
    assert list(table.columns) == llzt.variables
    assert len(table) == len(grid_compositions(llzt, llzt.components, 100.0, 30)[0]) > 50
    np.testing.assert_allclose(table[llzt.components].sum(axis=1), llzt.total, atol=1e-9)
    llzt.validate(table)  # raises DataError if any row breaks a bound
    assert (table["porosity"] == 0.75).all() and (table["framework"] == "LLZT").all()


def test_grid_is_exactly_the_in_bounds_lattice(llzt: Space) -> None:
    keys, comps = grid_compositions(llzt, llzt.components, 100.0, 20)
    lo, hi = llzt.component_bounds().T
    inside = [k for k in _lattice(20) if np.all((np.array(k) * 5 >= lo) & (np.array(k) * 5 <= hi))]
    assert sorted(keys) == sorted(inside)
    np.testing.assert_allclose(comps, np.array(keys) * 5.0)


def _lattice(scale: int) -> list[tuple[int, int, int]]:
    return [(i, j, scale - i - j) for i in range(scale + 1) for j in range(scale + 1 - i)]


# --- orientation ----------------------------------------------------------------------------------
def test_key_to_composition_first_index_is_first_axis() -> None:
    assert key_to_composition((60, 0, 0), 60, 100.0) == (100.0, 0.0, 0.0)
    assert key_to_composition((30, 18, 12), 60, 90.0) == (45.0, 27.0, 18.0)
    # python-ternary puts the first coordinate at the bottom-right corner, the second on top
    np.testing.assert_allclose(project_point((1, 0, 0)), (1, 0))
    np.testing.assert_allclose(project_point((0, 1, 0)), (0.5, np.sqrt(3) / 2))
    np.testing.assert_allclose(project_point((0, 0, 1)), (0, 0))


def test_argmax_of_first_component_sits_at_its_upper_bound(llzt: Space, tmp_path: Path) -> None:
    obj = llzt.spec.objectives[0]
    model = FakeModel(obj.name, median_of=lambda df: df["MEMA"] / 10)
    plot_mixture(llzt, obj, model, pd.DataFrame(), None, HELD, tmp_path / "m.png", scale=60, full=True)
    table = model.calls[0]
    best = table.loc[model(table)[f"{obj.name}_median"].idxmax()]
    assert best["MEMA"] == pytest.approx(70.0)
    keys, _ = grid_compositions(llzt, llzt.components, 100.0, 60)
    assert max(keys, key=lambda k: k[0])[0] == 42  # 70 wt% of 100 on a 60-step grid


@pytest.mark.parametrize("axes", [None, ["SN", "salt", "MEMA"], ["salt", "MEMA", "SN"]])
def test_rendered_orientation(llzt: Space, axes: list[str] | None) -> None:
    """Render 'median = MEMA / 10' and read pixels: where MEMA is high the colour must be high,
    and the label naming each component must sit on the axis python-ternary reads it on."""
    obj = llzt.spec.objectives[0]
    names = axes or llzt.components
    model = FakeModel(obj.name, median_of=lambda df: df["MEMA"] / 10)
    fig = mixture_figure(llzt, obj, model, pd.DataFrame(), None, HELD, axes=axes, scale=60, full=True)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())[..., :3] / 255.0
    ax = fig.axes[0]
    norm = LogNorm(1.0, 7.0)  # MEMA spans 10..70 wt% in bounds
    cmap = colormaps[MEDIAN_CMAP]
    for comp in (
        {"MEMA": 66, "SN": 24, "salt": 10},
        {"MEMA": 14, "SN": 56, "salt": 30},
        {"MEMA": 42, "SN": 41, "salt": 17},
    ):
        p = np.array([comp[n] for n in names]) / 100 * 60
        x, y = ax.transData.transform(project_point(p))
        pixel = rgba[round(rgba.shape[0] - y), round(x)]
        expected = np.array(cmap(norm(comp["MEMA"] / 10))[:3])
        assert np.abs(pixel - expected).max() < 0.12, (comp, pixel, expected)
    _check_label_sides(ax, names)


def _check_label_sides(ax, names: list[str]) -> None:
    """bottom label = names[0] (below the triangle), right = names[1], left = names[2]."""
    positions = {}
    for t in ax.texts:
        for n in names:
            if f"{n} (wt%)" in t.get_text():
                positions[n] = ax.transAxes.transform(t.get_position())
    origin = ax.transData.transform((0, 0))
    right = ax.transData.transform(project_point((60, 0, 0)))
    top = ax.transData.transform(project_point((0, 60, 0)))
    assert positions[names[0]][1] < origin[1]
    assert positions[names[1]][0] > (right[0] + top[0]) / 2 and positions[names[1]][1] > origin[1]
    assert positions[names[2]][0] < (origin[0] + top[0]) / 2 and positions[names[2]][1] > origin[1]


def test_measured_points_use_the_heatmap_scale(llzt: Space) -> None:
    obj = llzt.spec.objectives[0]
    model = FakeModel(obj.name)
    measured = _measured(llzt, model).assign(**HELD)  # made on the slice drawn
    measured.loc[0, obj.name] = 3.0  # above every prediction: the colour scale covers it too
    fig = mixture_figure(llzt, obj, model, measured, None, HELD)
    FigureCanvasAgg(fig).draw()  # colours are mapped at draw time
    preds = model(model.calls[0])[f"{obj.name}_median"]
    norm = LogNorm(preds.min(), 3.0)
    ok = measured[measured["status"] == "ok"]
    expected = colormaps[MEDIAN_CMAP](np.clip(norm(ok[obj.name].to_numpy()), 0, 1))
    coloured = [c for c in fig.axes[0].collections if len(c.get_offsets()) == len(ok) and c.get_array() is not None]
    assert coloured, "no colour-mapped scatter of the measured points"
    np.testing.assert_allclose(coloured[0].get_facecolors(), expected, atol=1e-6)
    assert all(np.allclose(c.get_edgecolors()[0][:3], 0) for c in coloured)


def test_tick_labels_sit_at_their_values() -> None:
    """With 10 wt% held the plotted three share 90 wt%: ticks 0..80 must sit where each amount is."""
    space = _four_component_space()
    obj = space.spec.objectives[0]
    held = {"PEGDA": 10.0, "porosity": 0.7, "framework": "LLZT"}
    fig = mixture_figure(
        space, obj, FakeModel(obj.name), pd.DataFrame(), None, held, axes=["MEMA", "SN", "salt"], scale=60, full=True
    )
    ax = fig.axes[0]
    texts = {}
    for t in ax.texts:
        texts.setdefault(t.get_text(), []).append(np.array(t.get_position()))
    f = 60 / 90
    for value in (0, 20, 60, 80):
        edge_points = {  # (bottom: MEMA, right: SN, left: salt) = value, on the triangle's edges
            "bottom": (value * f, 0, 60 - value * f),
            "right": (60 - value * f, value * f, 0),
            "left": (0, 60 - value * f, value * f),
        }
        for side, p in edge_points.items():
            d = min(np.linalg.norm(q - project_point(p)) for q in texts[f"{value:g}"])
            assert d < 0.08 * 60, (value, side, d)
    assert "90" not in texts  # 90 is not a multiple of the 20 wt% tick step


def test_bounds_polygon(llzt: Space) -> None:
    poly = bounds_polygon(llzt, llzt.components, 100.0) * 100
    np.testing.assert_allclose(poly.sum(axis=1), 100)
    lo, hi = llzt.component_bounds().T
    assert np.all(poly >= lo - 1e-9) and np.all(poly <= hi + 1e-9)
    assert len(poly) == 6  # every bound cuts the triangle here


# --- other mixture sizes ------------------------------------------------------------------------
def test_four_components_need_axes(tmp_path: Path) -> None:
    space = _four_component_space()
    obj = space.spec.objectives[0]
    held = {"PEGDA": 10.0, "porosity": 0.7, "framework": "LLZT"}
    with pytest.raises(ValueError, match=r"axes=\[A, B, C\].*--axes A,B,C"):
        plot_mixture(space, obj, FakeModel(obj.name), pd.DataFrame(), None, held, tmp_path / "m.png")
    with pytest.raises(ValueError, match="PEO"):
        resolve_axes(space, ["MEMA", "SN", "PEO"])
    with pytest.raises(ValueError, match="exactly 3"):
        resolve_axes(space, ["MEMA", "SN"])


@pytest.mark.slow
def test_four_components_with_axes(tmp_path: Path) -> None:
    space = _four_component_space()
    obj = space.spec.objectives[0]
    model = FakeModel(obj.name)
    measured = space.sample_uniform(8, seed=5)
    measured[obj.name] = 0.5
    measured["status"] = "ok"
    held = {"PEGDA": 10.0, "porosity": 0.7, "framework": "LLZT"}
    out = plot_mixture(
        space, obj, model, measured, None, held, tmp_path / "four.svg", axes=["MEMA", "SN", "salt"], title="four"
    )
    _assert_image(out, b"<svg", 50_000)
    assert "MEMA + SN + salt = 90 wt%" in out.read_text()
    (table,) = model.calls
    np.testing.assert_allclose(table[space.components].sum(axis=1), 100.0, atol=1e-9)
    assert (table["PEGDA"] == 10.0).all()
    space.validate(table)


def test_two_components_line_plot(tmp_path: Path) -> None:
    space = _two_component_space()
    obj = space.spec.objectives[0]
    model = FakeModel(obj.name)
    measured = pd.DataFrame(
        {
            "SN": [60.0, 75.0, 90.0],
            "salt": [40.0, 25.0, 10.0],
            "temperature_C": [30.0, 30.0, 30.0],
            obj.name: [0.4, np.nan, 0.9],
            "status": ["ok", "failed", "ok"],
        }
    )
    measured.loc[3] = {"SN": 80.0, "salt": 20.0, "temperature_C": 55.0, obj.name: 0.7, "status": "ok"}  # elsewhere
    proposals = pd.DataFrame({"SN": [70.0], "salt": [30.0], "temperature_C": [30.0]})
    fig = mixture_figure(space, obj, model, measured, proposals, {"temperature_C": 30.0}, title="binary")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "SN (wt%)" and objective_label(obj) in ax.get_ylabel()
    assert len(ax.lines) >= 2  # median line + proposal line
    (table,) = model.calls
    assert table["SN"].min() == pytest.approx(55) and table["SN"].max() == pytest.approx(95)
    np.testing.assert_allclose(table["SN"] + table["salt"], 100.0)
    labels = ax.get_legend_handles_labels()[1]
    assert {"predicted median", "90% interval", "next proposals", "best measured"} <= set(labels)
    assert "measured on or near this slice (2)" in labels and "made at other held values (1)" in labels
    assert any(lab.startswith("failed") for lab in labels)
    assert ax.get_xlim() == pytest.approx((53.0, 97.0))  # the bounded range, 5% margin; --full: 0..100
    assert fig.axes[1].get_ylabel() == "90% interval: median ×/÷ this factor"
    full = mixture_figure(space, obj, model, measured, proposals, {"temperature_C": 30.0}, full=True)
    assert full.axes[0].get_xlim() == pytest.approx((0.0, 100.0))
    out = plot_mixture(
        space, obj, model, measured, proposals, {"temperature_C": 30.0}, tmp_path / "line.png", title="binary"
    )
    _assert_image(out, b"\x89PNG", 20_000)


def test_objective_label(llzt: Space) -> None:
    assert objective_label(llzt.spec.objectives[0]) == "conductivity (mS/cm)"


# --- the slice, the view, labels, uncertainty -------------------------------------------------------
def _region_share(space: Space, view) -> float:
    """Share of the drawn triangle's area that lies inside the bounds."""
    from optiform.plots.ternary import bounds_polygon as poly_of

    poly = view.grid(poly_of(space, space.components, 100.0) * 100.0, 1)
    xy = np.array([project_point(p) for p in poly])
    area = 0.5 * abs(np.dot(xy[:, 0], np.roll(xy[:, 1], 1)) - np.dot(xy[:, 1], np.roll(xy[:, 0], 1)))
    return float(area / (np.sqrt(3) / 4))


def test_default_view_zooms_on_the_bounds(llzt: Space) -> None:
    from optiform.plots.ternary import full_view, zoomed_view

    view = zoomed_view(llzt, llzt.components, 100.0)
    lo, _ = llzt.component_bounds().T
    assert not view.full and np.all(view.origin >= lo - 10) and view.side < 100
    poly = view.grid(bounds_polygon(llzt, llzt.components, 100.0) * 100.0, 60)
    assert poly.min() >= -1e-9 and poly.max() <= 60 + 1e-9  # the whole design space is in view
    assert _region_share(llzt, view) > 1.5 * _region_share(llzt, full_view(100.0))
    keys, comps = grid_compositions(llzt, llzt.components, 100.0, 60, view)
    assert len(keys) > 1.5 * len(grid_compositions(llzt, llzt.components, 100.0, 60)[0])
    llzt.validate(pd.DataFrame({**{c: comps[:, i] for i, c in enumerate(llzt.components)}, **HELD}))
    fig = mixture_figure(llzt, llzt.spec.objectives[0], FakeModel("conductivity_mS_cm"), pd.DataFrame(), None, HELD)
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert f"{view.origin[0]:g}" in labels and "zoomed on the bounds" in " ".join(t.get_text() for t in fig.texts)


def test_points_drawn_by_their_distance_from_the_slice(llzt: Space) -> None:
    obj = llzt.spec.objectives[0]
    model = FakeModel(obj.name)
    measured = _measured(llzt, model).assign(**HELD)
    measured.loc[[2, 3], "porosity"] = 0.78  # 0.03 of a 0.45 range away: near
    measured.loc[[5], "framework"] = "glass_fiber"  # another framework: elsewhere
    measured.loc[[6], "porosity"] = 0.5  # far: elsewhere
    fig = mixture_figure(llzt, obj, model, measured, None, HELD)
    FigureCanvasAgg(fig).draw()
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "measured on this slice (4)" in legend
    assert "near it: held values within 15% of their range (2)" in legend
    assert "made at other held values (2)" in legend and "failed (2)" in legend
    scatters = [c for c in fig.axes[0].collections if c.get_array() is not None]
    sizes = sorted(len(c.get_offsets()) for c in scatters)
    assert sizes == [2, 4]  # on and near are colour-mapped, the others are not
    faded = next(c for c in scatters if len(c.get_offsets()) == 2)
    assert faded.get_alpha() == 0.5
    hollow = [c for c in fig.axes[0].collections if c.get_array() is None and len(c.get_offsets()) == 2]
    assert any(np.allclose(c.get_facecolors()[:, 3], 0) for c in hollow)


def test_proposal_labels_never_overlap(llzt: Space) -> None:
    obj = llzt.spec.objectives[0]
    model = FakeModel(obj.name)
    rng = np.random.default_rng(0)
    proposals = pd.DataFrame({"MEMA": 30 + rng.uniform(0, 3, 12), "SN": 50 + rng.uniform(0, 3, 12)})
    proposals["salt"] = 100 - proposals["MEMA"] - proposals["SN"]
    proposals = proposals.assign(**HELD)
    proposals.insert(0, "id", [f"F{n:04d}" for n in range(12)])
    fig = mixture_figure(llzt, obj, model, pd.DataFrame(), proposals, HELD)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    ax = fig.axes[0]
    placed = [t for t in ax.texts if t.get_text().startswith("F0")]
    boxes = [t.get_window_extent(canvas.get_renderer()) for t in placed]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), "two proposal labels overlap"
    note = [t.get_text() for t in ax.texts if t.get_text().startswith("labels left out")]
    shown = {t.get_text() for t in placed}
    dropped = set(note[0].split(": ")[1].split(", ")) if note else set()
    assert shown | dropped == set(proposals["id"]) and not shown & dropped and len(shown) >= 3


def test_uncertainty_is_a_factor_for_log_objectives_and_a_width_otherwise(llzt: Space) -> None:
    log_obj = llzt.spec.objectives[0]
    assert log_obj.log
    fig = mixture_figure(llzt, log_obj, FakeModel(log_obj.name), pd.DataFrame(), None, HELD)
    assert "factor" in fig.axes[1].get_title()
    linear = log_obj.model_copy(update={"transform": "none"})
    fig = mixture_figure(llzt, linear, FakeModel(linear.name), pd.DataFrame(), None, HELD)
    assert "width" in fig.axes[1].get_title()


def test_pdf_and_dpi(llzt: Space, tmp_path: Path) -> None:
    from PIL import Image

    obj = llzt.spec.objectives[0]
    model = FakeModel(obj.name)
    pdf = plot_mixture(llzt, obj, model, pd.DataFrame(), None, HELD, tmp_path / "m.pdf", scale=20)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    small = plot_mixture(llzt, obj, model, pd.DataFrame(), None, HELD, tmp_path / "a.png", scale=20, dpi=50)
    large = plot_mixture(llzt, obj, model, pd.DataFrame(), None, HELD, tmp_path / "b.png", scale=20, dpi=100)
    assert Image.open(large).size[0] == pytest.approx(2 * Image.open(small).size[0], rel=0.05)


# --- through the campaign and the command line ------------------------------------------------------
def test_campaign_map_on_the_chosen_slice(make_campaign, cli, tmp_path: Path) -> None:
    from optiform import DataError
    from optiform.sim import VirtualLab

    c = make_campaign()
    batch = c.propose(16, strategy="sobol")
    c.record(VirtualLab(seed=1).measure(batch)[["id", "conductivity_mS_cm", "solid", "status", "note"]])
    fig = c.ternary_figure(fixed={"framework": "glass_fiber", "porosity": 0.75})
    held = " ".join(t.get_text() for t in fig.texts)
    assert "porosity=0.75" in held and "framework=glass_fiber" in held
    best = c.best()
    assert f"FEC_wt_pct={best['FEC_wt_pct']:g}" in held  # the rest from the best measured formulation
    for fixed, message in (
        ({"MEMA": 30}, "MEMA is plotted on an axis"),
        ({"porosity": 2}, r"expected a number within \[0.4, 0.85\]"),
        ({"framework": "steel"}, "expected one of LLZT, glass_fiber"),
        ({"colour": "red"}, "unknown parameter 'colour'"),
    ):
        with pytest.raises(DataError, match=message):
            c.ternary_figure(fixed=fixed)
    out = cli("--store", c.store.url, "plot", "ternary", "--fix", "porosity=0.75", "--full", "--out", "m.svg").output
    assert "wrote m.svg" in out
    svg = (tmp_path / "m.svg").read_text()
    assert "porosity=0.75" in svg and "zoomed on the bounds" not in svg


def test_one_row_of_panels_per_objective(make_campaign) -> None:
    from test_multiobjective import BASE, TWO, measure

    c = make_campaign(BASE + TWO, name="two")
    measure(c, c.propose(8, strategy="random"))
    fig = c.ternary_figure()
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert sum("predicted median" in t for t in titles) == 2
    assert any(t.startswith("transference number: ") for t in titles)
    assert "width" in next(t for t in titles if t.startswith("transference number: uncertainty"))
    one = c.ternary_figure(objective="transference_number")
    assert sum("predicted median" in ax.get_title() for ax in one.axes) == 1


def test_two_components_one_row_per_objective() -> None:
    space = _two_component_space()
    obj = space.spec.objectives[0]
    other = obj.model_copy(update={"name": "transference_number", "transform": "none"})
    a, b = FakeModel(obj.name), FakeModel(other.name)

    def predict(df: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([a(df), b(df)], axis=1)

    fig = mixture_figure(space, [obj, other], predict, pd.DataFrame(), None, {"temperature_C": 30.0})
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == [
        "conductivity (mS/cm): prediction",
        "conductivity (mS/cm): uncertainty",
        "transference number: prediction",
        "transference number: uncertainty",
    ]
    assert fig.axes[3].get_ylabel() == "90% interval width"  # a linear objective: the width
