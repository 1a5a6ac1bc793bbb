"""Analysis figures agree with what was stored: the Arrhenius plot draws the stored fit (flagged
spectra shown, not fitted), the Nyquist plot one panel per spectrum with the user's file names,
decade markers and the intercept inset, the Pareto plot the front of `pareto`; every figure
as PNG (with --dpi), SVG or PDF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_ingest import AREA_CM2, INSTRUMENT, K_B, temperature_series, write_eis
from test_multiobjective import BASE, OXIDATION, TWO

from optiform import Campaign, DataError
from optiform.analysis.arrhenius import arrhenius

MakeCampaign = Callable[..., Campaign]
EA = 0.161


@pytest.fixture
def series(tmp_path: Path, make_campaign: MakeCampaign) -> tuple[Campaign, str]:
    """A formulation with a 5-temperature series in which the 50 °C spectrum is a full cell's
    (a failing quality flag), and one more spectrum at 30 °C in a group of its own."""
    c = make_campaign()
    sample = str(c.propose(1, strategy="sobol")["id"].iloc[0])
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = temperature_series(raw, sample, 1.117, EA)
    (raw / "cell_50C.csv").write_bytes((INSTRUMENT / "impedance.py" / "exampleData.csv").read_bytes())
    rows[2]["file"] = "cell_50C.csv"
    write_eis(raw / "repeat_30C.csv", 1.05, seed=9)
    rows.append(
        dict(
            id=sample,
            kind="eis",
            file="repeat_30C.csv",
            group="single",
            thickness_um=100,
            area_cm2=AREA_CM2,
            temperature_C=30,
        )
    )
    pd.DataFrame(rows).to_csv(raw / "m.csv", index=False)
    c.ingest(raw / "m.csv")
    return c, sample


def test_the_series_fit_leaves_out_the_flagged_spectrum(series: tuple[Campaign, str]) -> None:
    c, sample = series
    a = c.analyses(sample)
    fit = a[a["quantity"] == "activation_energy_eV"]
    assert len(fit) == 1 and fit["value"].item() == pytest.approx(EA, rel=0.05)
    stored = c.store.analysis_result(int(fit["analysis_pk"].item()))
    assert stored["inputs"]["temperatures_C"] == [30, 40, 60, 70]  # 50 °C (flagged) left out
    flagged = a[(a["quantity"] == "conductivity_mS_cm") & (a["temperature_C"] == 50)]
    assert "looks_like_full_cell" in flagged["flags"].item()


def test_arrhenius_figure_draws_the_stored_fit(series: tuple[Campaign, str]) -> None:
    c, sample = series
    a = c.analyses(sample)
    fit = a[a["quantity"] == "activation_energy_eV"]
    stored = c.store.analysis_result(int(fit["analysis_pk"].item()))
    fig = c.arrhenius_figure(sample)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "ln(σ / S cm⁻¹)" and ax.get_xlabel() == "1000 / T (K⁻¹)"
    lo, hi = stored["details"]["ci95_eV"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"T-series: Ea = {stored['value']:.3f} eV (95% CI {lo:.3f} to {hi:.3f})" in labels
    assert "not in a fitted series" in labels and any("failing quality flag" in t for t in labels)
    lines = {str(line.get_label()): line for line in ax.get_lines()}
    points = lines[labels[0]]
    T = np.array([30, 40, 60, 70]) + 273.15
    np.testing.assert_allclose(points.get_xdata(), 1000 / T)
    np.testing.assert_allclose(points.get_ydata(), np.log(np.array(stored["inputs"]["conductivities"]) / 1000))
    line = next(l for l in ax.get_lines() if len(l.get_xdata()) == 50)
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    slope = (y[-1] - y[0]) / (x[-1] - x[0]) * 1000  # per 1/T in K
    assert -slope * K_B == pytest.approx(stored["value"], rel=1e-9)
    others = lines["not in a fitted series"]
    assert len(others.get_xdata()) == 2  # the flagged 50 °C spectrum and the single 30 °C one
    # refitting every spectrum of the formulation together would give another Ea
    every = a[a["quantity"] == "conductivity_mS_cm"]
    assert abs(arrhenius(every["temperature_C"], every["value"]).value - stored["value"]) > 0.05


def test_arrhenius_of_one_group_and_errors(series: tuple[Campaign, str]) -> None:
    c, sample = series
    ax = c.arrhenius_figure(sample, group="T-series").axes[0]
    others = [l for l in ax.get_lines() if l.get_label() == "not in a fitted series"]
    assert len(others[0].get_xdata()) == 1  # only the series' own flagged spectrum
    with pytest.raises(DataError, match="no Arrhenius fit stored in group 'single'"):
        c.arrhenius_figure(sample, group="single")
    with pytest.raises(DataError, match="unknown sample id 'F0999'"):
        c.arrhenius_figure("F0999")


def test_nyquist_figure_one_panel_per_spectrum(series: tuple[Campaign, str]) -> None:
    c, sample = series
    fig = c.nyquist_figure(sample)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title() and "intercept" not in ax.get_title()]
    titles = [ax.get_title() for ax in panels]
    assert len(panels) == 6
    assert titles[0].startswith(f"{sample}_30C.csv, 30 °C") and any(t.startswith("cell_50C.csv, 50 °C") for t in titles)
    assert any("(flagged)" in t for t in titles)
    a = c.analyses(sample)
    sigma30 = a[(a["quantity"] == "conductivity_mS_cm") & (a["group"] == "T-series") & (a["temperature_C"] == 30)]
    assert f"σ = {sigma30['value'].item():.4g} mS/cm" in titles[0]
    first = panels[0]
    texts = [t.get_text() for t in first.texts]
    assert any(t.endswith(" Hz") for t in texts)  # decade markers
    legend = [t.get_text() for t in first.get_legend().get_texts()]
    assert (
        legend[0] == "data" and any(t.startswith("fit: ") for t in legend) and any(t.startswith("R = ") for t in legend)
    )
    # the resistance marked is the one the stored conductivity came from: sigma = L / (R A)
    R = float(next(t for t in legend if t.startswith("R = ")).split()[2])
    assert 0.01 / (R * AREA_CM2) * 1000 == pytest.approx(sigma30["value"].item(), rel=1e-3)
    assert len(c.nyquist_figure(sample, group="single").axes) >= 1


def test_cli_plots_write_png_svg_pdf(series: tuple[Campaign, str], cli, tmp_path: Path) -> None:
    c, sample = series
    store = ("--store", c.store.url)
    cli(*store, "plot", "arrhenius", sample, "--out", "a.pdf")
    assert (tmp_path / "a.pdf").read_bytes()[:5] == b"%PDF-"
    cli(*store, "plot", "nyquist", sample, "--out", "n.svg", "--group", "T-series")
    assert b"<svg" in (tmp_path / "n.svg").read_bytes()[:500]
    cli(*store, "plot", "arrhenius", sample, "--out", "lo.png", "--dpi", "60", "--size", "4x3")
    cli(*store, "plot", "arrhenius", sample, "--out", "hi.png", "--dpi", "200", "--size", "4x3")
    from PIL import Image

    w_lo, w_hi = Image.open(tmp_path / "lo.png").size[0], Image.open(tmp_path / "hi.png").size[0]
    assert w_hi / w_lo == pytest.approx(200 / 60, rel=0.1)
    for args, message in (
        (("arrhenius", sample, "--out", "a.jpg"), "use one of .png, .svg, .pdf"),
        (("arrhenius", sample, "--out", "b.png", "--size", "big"), "expected WIDTHxHEIGHT in inches"),
        (("arrhenius", sample, "--out", "b.png", "--dpi", "5"), "expected 10 to 2400 dots per inch"),
        (("nyquist", sample, "--out", "b.png", "--group", "nope"), "no ingested conductivity_mS_cm in group 'nope'"),
    ):
        bad = cli(*store, "plot", *args, ok=False)
        assert bad.exit_code == 1 and message in bad.output, bad.output
        assert not (tmp_path / "b.png").exists()


MULTI = BASE + TWO + OXIDATION.format(4.5)


def test_pareto_plot_shows_the_front(make_campaign: MakeCampaign, cli, tmp_path: Path) -> None:
    c = make_campaign(MULTI, name="multi")
    batch = c.propose(8, strategy="random")
    rng = np.random.default_rng(0)
    c.record(
        batch[["id"]].assign(
            conductivity_mS_cm=rng.uniform(0.1, 1.0, 8),
            transference_number=rng.uniform(0.2, 0.8, 8),
            oxidation_onset_V=[4.0, *rng.uniform(4.6, 5.0, 7)],
        )
    )
    front = c.pareto()
    ax = c.pareto_figure().axes[0]
    drawn = next(l for l in ax.get_lines() if l.get_label() == "Pareto front")
    assert sorted(drawn.get_xdata()) == sorted(front["conductivity_mS_cm"])
    assert {t.get_text() for t in ax.texts} == set(front["id"])
    assert any(l.get_label() == "breaks an outcome constraint" for l in ax.get_lines())
    assert "better" in ax.get_xlabel()
    cli("--store", c.store.url, "plot", "pareto", "--out", "front.png")
    assert (tmp_path / "front.png").stat().st_size > 10_000
    bad = cli("--store", c.store.url, "plot", "pareto", "--objectives", "conductivity_mS_cm", ok=False)
    assert bad.exit_code == 1 and "needs two or more objectives" in bad.output
