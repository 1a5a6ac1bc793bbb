"""Model diagnostics (length scales, noise, leave-one-out), noise learnt from replicates, best by
posterior mean, and both in ``optiform status``."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from optiform import Campaign
from optiform.cli import app
from optiform.models.diagnostics import diagnose, loo_predictions
from optiform.models.gp import fit_surrogate
from optiform.space import DataError, Space
from optiform.spec import load_spec

SPEC = """
version = 1
name = "diag"
[mixture]
total = 100
resolution = 1
[mixture.components]
A = { min = 10, max = 80 }
B = { min = 10, max = 80 }
C = { min = 0, max = 50 }
[parameters]
T = { min = 0.0, max = 1.0, resolution = 0.05 }
framework = { choices = ["X", "Y"] }
[[objectives]]
name = "conductivity_mS_cm"
[strategy]
n_initial = 4
"""
OBJ = "conductivity_mS_cm"
MakeCampaign = Callable[..., Campaign]


@pytest.fixture(scope="module")
def space() -> Space:
    return Space(load_spec(tomllib.loads(SPEC)))


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def truth(df: pd.DataFrame) -> np.ndarray:
    """A smooth positive function (mS/cm) with its maximum inside the space."""
    a, b, t = df["A"].to_numpy(float) / 100, df["B"].to_numpy(float) / 100, df["T"].to_numpy(float)
    bonus = 0.3 * (df["framework"].to_numpy(object) == "X")
    return np.exp(-((a - 0.5) ** 2) / 0.05 - ((b - 0.3) ** 2) / 0.05 - (t - 0.6) ** 2 + bonus)


def design(space: Space, n: int, replicates: int, noise_ln: float, seed: int) -> pd.DataFrame:
    """``n`` formulations, each measured ``replicates`` times with log-normal noise of sd ``noise_ln``."""
    rng = np.random.default_rng(seed)
    X = space.sample_uniform(n, seed=seed)
    X["framework"] = rng.choice(["X", "Y"], n)
    X.insert(0, "id", [f"F{i + 1:04d}" for i in range(n)])
    df = X.loc[X.index.repeat(replicates)].reset_index(drop=True)
    df[OBJ] = truth(df) * np.exp(noise_ln * rng.standard_normal(len(df)))
    return df


def brute_force_loo(surrogate, groups: list) -> tuple[np.ndarray, np.ndarray]:
    """Refit-free LOO by conditioning a copy of the GP (same hyperparameters, same outcome
    standardization) on the other rows only, then predicting the left-out rows with noise."""
    model = surrogate.model
    X_norm, y_std = model.train_inputs[0], model.train_targets
    X_raw = surrogate.train_X
    labels = np.asarray(groups, dtype=object)
    mean, sd = np.empty(len(labels)), np.empty(len(labels))
    for label in dict.fromkeys(groups):
        out = labels == label
        keep = torch.as_tensor(~out)
        m = copy.deepcopy(model)
        m.set_train_data(inputs=X_norm[keep], targets=y_std[keep], strict=False)
        with torch.no_grad():
            post = m.posterior(X_raw[torch.as_tensor(out)], observation_noise=True)
            mean[out] = post.mean.squeeze(-1).numpy()
            sd[out] = post.variance.sqrt().squeeze(-1).numpy()
    return mean, sd


# --- leave-one-out ---------------------------------------------------------------------------
def test_loo_closed_form_equals_conditioning_without_each_formulation(space: Space) -> None:
    df = design(space, 8, 1, 0.05, seed=3)
    df = pd.concat([df, df.iloc[[1, 4, 4]].assign(**{OBJ: df[OBJ].iloc[[1, 4, 4]] * [1.04, 0.97, 1.06]})])
    df = df.reset_index(drop=True)
    s = fit_surrogate(space, df, space.spec.objectives[0])
    ids = list(df["id"])
    for groups in (ids, list(range(len(df)))):  # replicates left out together; every row alone
        mean, sd, measured = loo_predictions(s, groups)
        ref_mean, ref_sd = brute_force_loo(s, groups)
        np.testing.assert_allclose(mean, ref_mean, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(sd, ref_sd, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(measured, np.log(df[OBJ].to_numpy()), rtol=1e-10)
    # leaving F0005's three rows out together is not the same as leaving each out alone
    by_row, _, _ = loo_predictions(s)
    by_id, _, _ = loo_predictions(s, ids)
    f5 = np.asarray(ids) == "F0005"
    assert np.all(np.abs(by_row[f5] - by_id[f5]) > 1e-6)
    with pytest.raises(ValueError, match="one label per training row"):
        loo_predictions(s, ids[:-1])


def test_parity_on_a_smooth_function(space: Space) -> None:
    df = design(space, 30, 1, 0.02, seed=0)
    d = diagnose(fit_surrogate(space, df, space.spec.objectives[0]), groups=list(df["id"]))
    assert d.n == d.n_formulations == 30
    assert d.r2 > 0.9  # 0.997 for this seed
    assert 0.7 <= d.coverage_90 <= 1.0
    assert list(d.loo.columns) == ["id", "measured", "loo_mean", "loo_sd", "inside_90"]
    inside = np.abs(d.loo["measured"] - d.loo["loo_mean"]) <= 1.6448536 * d.loo["loo_sd"]
    assert d.coverage_90 == pytest.approx(inside.mean())


def test_length_scales_are_named_per_model_dimension(space: Space) -> None:
    df = design(space, 12, 1, 0.02, seed=1)
    s = fit_surrogate(space, df, space.spec.objectives[0])
    d = diagnose(s)
    ls = d.length_scales
    assert list(ls["dimension"]) == ["A", "B", "C", "T", "framework=X", "framework=Y"]
    np.testing.assert_allclose(ls["length_scale"], s.model.covar_module.lengthscale.detach().numpy().ravel())
    # normalised [0, 1] scale -> the variable's range: A spans 10-80 wt%, T 0-1, one-hot has no unit
    np.testing.assert_allclose(ls["length_scale_units"].iloc[:4], ls["length_scale"].iloc[:4] * [70, 70, 50, 1])
    assert ls["length_scale_units"].iloc[4:].isna().all()
    text = str(d)
    assert "length scale framework=Y" in text and "of range = " in text and "ln units" in text
    assert d.noise_relative_pct == pytest.approx(100 * np.sqrt(np.expm1(d.noise_std**2)))
    table = d.table()
    assert list(table.columns) == ["quantity", "value"] and "LOO R²" in set(table["quantity"])


# --- noise from replicates ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noise_level_is_learnt_from_replicates(space: Space, seed: int) -> None:
    """10 formulations x 4 replicates with 5% log-normal noise: the learnt noise sd (ln units) is
    within a factor 1.5 of 0.05 (measured: 0.041, 0.051, 0.052 for seeds 0-2)."""
    df = design(space, 10, 4, 0.05, seed=seed)
    s = fit_surrogate(space, df, space.spec.objectives[0])
    assert 0.05 / 1.5 < s.noise_std() < 0.05 * 1.5


# --- best by posterior mean, and status -------------------------------------------------------
@pytest.fixture
def campaign(make_campaign: MakeCampaign, space: Space) -> Campaign:
    c = make_campaign(SPEC)
    batch = c.propose(8, strategy="random")
    rng = np.random.default_rng(0)
    results = batch[["id"]].assign(**{OBJ: truth(batch) * np.exp(0.05 * rng.standard_normal(len(batch)))})
    c.record(results)
    return c


def test_best_by_model_is_the_best_posterior_mean(campaign: Campaign) -> None:
    measured = campaign.best()
    model = campaign.best(by="model")
    assert set(model.index) >= {"id", OBJ, "n_replicates", f"{OBJ}_median", f"{OBJ}_q05", f"{OBJ}_q95"}
    f = campaign.formulations()
    pred = campaign.predict(f[campaign.space.variables])
    assert model["id"] == f["id"].iloc[int(np.argmax(pred[f"{OBJ}_median"]))]
    assert model[f"{OBJ}_q05"] < model[f"{OBJ}_median"] < model[f"{OBJ}_q95"]
    assert model[OBJ] == campaign.training_data().set_index("id").loc[model["id"], OBJ]  # its measured mean
    assert measured.equals(campaign.best(by="measured"))
    # a lucky outlier on the measured-best formulation: the model shrinks it, the measured best takes it
    top = measured["id"]
    campaign.record(pd.DataFrame({"id": [top], OBJ: [measured[OBJ] * 1.5], "replicate": [2]}))
    assert campaign.best()[OBJ] == pytest.approx(measured[OBJ] * 1.25)
    assert campaign.best(by="model")[f"{OBJ}_median"] < campaign.best()[OBJ]
    with pytest.raises(ValueError, match="'measured' or 'model'"):
        campaign.best(by="posterior")


def test_best_by_model_needs_two_formulations(make_campaign: MakeCampaign) -> None:
    c = make_campaign(SPEC)
    batch = c.propose(1, strategy="random")
    c.record(batch[["id"]].assign(**{OBJ: [1.0]}))
    assert c.best()["id"] == batch["id"].iloc[0]
    with pytest.raises(DataError, match="at least 2 formulations"):
        c.best(by="model")


def test_status_shows_both_bests_and_diagnostics(campaign: Campaign, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPTIFORM_STORE", raising=False)
    d = campaign.diagnostics()
    assert d.n == 8 and d.objective == OBJ
    result = CliRunner().invoke(app, ["--store", campaign.store.url, "status", "--model"], terminal_width=200)
    assert result.exit_code == 0, result.output
    out = result.output
    best, model = campaign.best(), campaign.best(by="model")
    assert f"best {OBJ}: {best[OBJ]:.4g}" in out
    assert f"best {OBJ} by the model: {model[f'{OBJ}_median']:.4g}" in out and model["id"] in out
    for label in ("length scale framework=X", "noise sd", "LOO R²", "LOO 90% coverage"):
        assert label in out
    assert d.n_formulations < 10 and "n too small (8 formulations" in out  # R² of 8 points is not shown


def test_status_without_enough_results_has_no_diagnostics(
    make_campaign: MakeCampaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPTIFORM_STORE", raising=False)
    c = make_campaign(SPEC)
    batch = c.propose(3, strategy="random")
    c.record(batch[["id"]].iloc[:2].assign(**{OBJ: [1.0, 2.0]}))
    result = CliRunner().invoke(app, ["--store", c.store.url, "status", "--model"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "LOO R²" not in result.output and "diagnostics need 3 results" in result.output
