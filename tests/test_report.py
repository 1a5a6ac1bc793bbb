"""The campaign report: one self-contained HTML file that opens in a browser with every plot drawn
and no console error (Debian's headless chromium through Selenium, network blocked)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from test_ingest import temperature_series

from optiform import Campaign, DataError
from optiform.sim import VirtualLab

MakeCampaign = Callable[..., Campaign]
BROWSER = ("chromium", "chromedriver")  # Debian's packages chromium and chromium-driver, found on PATH


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Campaign, Path]:
    """The paper's campaign after 16 virtual-lab results, a temperature series ingested for one
    formulation, and a pending batch of 3; its report written by the command line."""
    from typer.testing import CliRunner

    from optiform.cli import app

    tmp = tmp_path_factory.mktemp("report")
    c = Campaign.create(Path(__file__).parents[1] / "campaigns/llzt-cse/campaign.toml", f"sqlite:///{tmp}/r.db", 0)
    batch = c.propose(16, strategy="sobol")
    results = VirtualLab(seed=2).measure(batch)[["id", "conductivity_mS_cm", "solid", "status", "note"]]
    c.record(results.iloc[1:])
    raw = tmp / "raw"
    raw.mkdir()
    pd.DataFrame(temperature_series(raw, str(batch["id"].iloc[0]), 0.9, 0.2, temps=(30, 45, 60))).to_csv(
        raw / "m.csv", index=False
    )
    c.ingest(raw / "m.csv")
    c.propose(3)
    out = CliRunner().invoke(app, ["--store", c.store.url, "report", "--out", str(tmp / "report.html")])
    assert out.exit_code == 0, out.output
    assert "wrote" in out.output and "MB" in out.output
    return c, tmp / "report.html"


def test_report_is_one_self_contained_file(report: tuple[Campaign, Path]) -> None:
    c, path = report
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=['\"]?https?:", text)  # nothing fetched
    assert "Plotly" in text[:6_000_000] and text.count('class="plotly-graph-div"') == 3  # map, convergence, model
    for heading in (
        "Campaign",
        "Best formulations",
        "Pending batch and what the model expects",
        "Ternary map (interactive)",
        "Convergence",
        "Model: leave-one-out parity and length scales",
        "Measurements",
        "Analysis plots",
    ):
        assert f"<h2>{heading}</h2>" in text, heading
    pending = c.formulations().query("status == 'pending'")["id"]
    assert len(pending) == 3 and all(f"<td>{i}</td>" in text for i in pending)
    assert "conductivity_mS_cm_median" in text and "P_solid" in text
    assert text.count("<img alt='arrhenius plot of ") == text.count("<img alt='nyquist plot of ") == 1
    assert "&quot;lengthscale_prior&quot;" in text  # the spec


def test_report_renders_in_headless_chromium(report: tuple[Campaign, Path], tmp_path: Path) -> None:
    chromium, chromedriver = (shutil.which(name) for name in BROWSER)
    if not (chromium and chromedriver):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a browser or driver
    from selenium import webdriver
    from selenium.webdriver.support.ui import WebDriverWait

    c, path = report
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1400,2000",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: any fetch would fail and log an error
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=chromedriver))
    try:
        driver.get(path.resolve().as_uri())
        n_plots = driver.execute_script("return document.querySelectorAll('.js-plotly-plot').length")
        assert n_plots == 3
        WebDriverWait(driver, 60).until(
            lambda d: d.execute_script(
                "return [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'))"
            )
        )
        points = driver.execute_script(
            "return document.querySelectorAll('#ternary-map .scatterlayer .point, #ternary-map .ternarylayer .point').length"
        )
        assert points > 100  # the prediction grid is drawn
        hover = driver.execute_script(
            "return document.getElementById('ternary-map').data.flatMap(t => t.hovertext || []).join(' ')"
        )
        measured = c.data().query("status == 'ok'")
        sample = measured.iloc[0]
        assert f"<b>{sample['id']}</b><br>measured conductivity_mS_cm: {sample['conductivity_mS_cm']:.4g}" in hover
        assert "predicted conductivity_mS_cm:" in hover and "P(feasible)" in hover
        menu = driver.execute_script(
            "return document.getElementById('ternary-map').layout.updatemenus[0].buttons.length"
        )
        assert menu >= 4  # the best slice, then the held variables changed one at a time
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []
        assert all(driver.execute_script("return [...document.images].map(i => i.complete && i.naturalWidth > 0)"))
        driver.save_screenshot(str(tmp_path / "report.png"))
        assert (tmp_path / "report.png").stat().st_size > 50_000
    finally:
        driver.quit()


def test_report_refuses_a_bad_name_and_writes_nothing(report: tuple[Campaign, Path], tmp_path: Path) -> None:
    c, _ = report
    with pytest.raises(DataError, match=r"report\.pdf: expected a \.html file name"):
        c.report(tmp_path / "report.pdf")
    assert not any(tmp_path.iterdir())
