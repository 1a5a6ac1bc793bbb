"""Campaigns that change: Campaign.update / optiform update on campaigns with results, the versions
kept, what is refused (naming the rows), old rows read under the new spec, and the warning when
the campaign file differs from the stored spec."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from optiform import Campaign, DataError, SpecError, StoreError
from optiform.cli import app
from optiform.errors import OptiformWarning
from optiform.spec import load_spec

MakeCampaign = Callable[..., Campaign]
OLD_C = "C = { min = 0, max = 50 }"
OLD_T = "T = { min = 0.0, max = 1.0, resolution = 0.05 }"


def truth(df: pd.DataFrame) -> np.ndarray:
    """Positive, rising with C (best at the largest C the bounds allow) and smooth in A and T."""
    a, c, t = df["A"].to_numpy(float) / 100, df["C"].to_numpy(float) / 100, df["T"].to_numpy(float)
    return np.exp(3.0 * c - (a - 0.3) ** 2 - (t - 0.5) ** 2)


def measure(c: Campaign, batch: pd.DataFrame) -> None:
    c.record(pd.DataFrame({"id": batch["id"], "conductivity_mS_cm": truth(batch)}))


@pytest.fixture
def measured(make_campaign: MakeCampaign, small_spec: Path) -> Campaign:
    """The small campaign (from its file) with its 6-point design measured."""
    c = make_campaign(small_spec)
    measure(c, c.propose(6))
    return c


def edit(path: Path, *replacements: tuple[str, str], extra: str = "") -> Path:
    """Rewrite the campaign file with text replaced (each must occur) and ``extra`` appended."""
    text = path.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text + extra)
    return path


# --- bounds -------------------------------------------------------------------------------------
def test_widening_a_bound_on_a_campaign_with_results(measured: Campaign, small_spec: Path) -> None:
    before = measured.formulations()
    assert (before["C"] <= 50).all()
    report = measured.update(edit(small_spec, (OLD_C, "C = { min = 0, max = 70 }")), note="C up to 70")
    assert report.changed and report.version == 2 and report.outside == []
    assert report.changes == ["C: [0, 50] -> [0, 70] wt% (widened)"]
    assert measured.spec.mixture.bounds("C") == (0.0, 70.0) and measured.space.component_bounds()[2, 1] == 70
    versions = measured.spec_versions()
    assert list(versions["version"]) == [1, 2]
    assert versions["created_at"].iloc[0] <= versions["created_at"].iloc[1]
    assert list(versions["note"]) == ["", "C up to 70"]
    assert versions["source"].iloc[1] == str(small_spec.resolve())
    assert versions["spec"].iloc[0]["mixture"]["components"]["C"]["max"] == 50
    assert versions["spec"].iloc[1]["mixture"]["components"]["C"]["max"] == 70
    # the model-based proposals use the new bounds: C rises to the optimum beyond the old bound
    batch = measured.propose(4)
    assert measured.space.satisfies(batch).all()
    assert (batch["C"] > 50).any()
    wide = measured.propose(12, strategy="sobol")
    assert (wide["C"] > 50).any() and (wide["C"] <= 70).all()


def test_narrowing_marks_formulations_outside_and_keeps_them_in_the_model(measured: Campaign, small_spec: Path) -> None:
    before = measured.formulations()
    report = measured.update(edit(small_spec, (OLD_T, "T = { min = 0.2, max = 0.6, resolution = 0.05 }")))
    assert report.changes == ["T: [0, 1] -> [0.2, 0.6] (narrowed)"]
    f = measured.formulations()
    assert list(f.columns[-1:]) == ["outside"]
    out = (before["T"] < 0.2) | (before["T"] > 0.6)
    assert out.any() and not out.all()
    for (_, row), is_out in zip(f.iterrows(), out):
        if is_out:
            assert re.fullmatch(r"T = [\d.]+ (< min 0\.2|> max 0\.6)", row["outside"]), row["outside"]
        else:
            assert row["outside"] == ""
    assert len(report.outside) == int(out.sum()) and report.outside[0].startswith(f["id"][out].iloc[0] + ": T = ")
    assert "lie outside the new spec" in str(report)
    d = measured.data()
    assert list(d.columns[-1:]) == ["outside"] and (d.set_index("id")["outside"] == f.set_index("id")["outside"]).all()
    assert set(measured.training_data()["id"]) == set(f["id"])  # still data for the model
    batch = measured.propose(3)
    assert batch["T"].between(0.2, 0.6).all() and measured.space.satisfies(batch).all()


# --- parameters ---------------------------------------------------------------------------------
def test_adding_a_parameter_with_existing_on_a_campaign_with_results(measured: Campaign, small_spec: Path) -> None:
    new_param = "P = { min = 1.0, max = 3.0, resolution = 0.5, existing = 2.0 }"
    report = measured.update(edit(small_spec, (OLD_T, f"{OLD_T}\n{new_param}")))
    assert report.changes == ["parameter P added, [1, 3]; formulations stored before read P = 2"]
    f = measured.formulations()
    assert measured.space.variables == ["A", "B", "C", "T", "P"]
    assert (f["P"] == 2.0).all() and (f["outside"] == "").all()
    train = measured.training_data()
    assert len(train) == 6 and (train["P"] == 2.0).all()
    surrogate = measured.surrogate()  # the model trains on the old rows with P = 2
    assert surrogate.n_train == 6 and surrogate.train_X.shape[1] == 5
    assert np.allclose(surrogate.train_X[:, 4].numpy(), 0.5)  # (2 - 1) / (3 - 1)
    batch = measured.propose(3)
    assert list(batch.columns) == ["id", "A", "B", "C", "T", "P"] and measured.space.satisfies(batch).all()
    stored = measured.store.formulations(measured.id)
    assert "P" not in stored["values"].iloc[0] and stored["values"].iloc[-1]["P"] in set(batch["P"])
    varied = measured.propose(6, strategy="sobol")
    assert varied["P"].nunique() > 1 and varied["P"].between(1.0, 3.0).all()


def test_an_existing_value_outside_the_new_bounds(measured: Campaign, small_spec: Path) -> None:
    measured.update(
        edit(
            small_spec,
            (
                OLD_T,
                f'{OLD_T}\nP = {{ min = 1.0, max = 3.0, existing = 0 }}\nK = {{ choices = ["x", "y"], existing = "y" }}',
            ),
        )
    )
    f = measured.formulations()
    assert (f["P"] == 0).all() and (f["K"] == "y").all() and (f["outside"] == "P = 0 < min 1").all()
    assert len(measured.training_data()) == 6  # outside the bounds, still complete: used
    assert measured.propose(2, strategy="sobol")["P"].between(1, 3).all()


def test_adding_a_parameter_without_existing_is_refused(measured: Campaign, small_spec: Path) -> None:
    with pytest.raises(DataError) as err:
        measured.update(edit(small_spec, (OLD_T, f"{OLD_T}\nP = {{ min = 1.0, max = 3.0 }}")))
    message = str(err.value)
    assert "small.toml: parameters.P: 6 formulation(s) were stored without it (F0001, F0002" in message
    assert "add existing = VALUE to its table" in message
    assert len(measured.spec_versions()) == 1 and measured.space.variables == ["A", "B", "C", "T"]


def test_a_parameter_may_be_added_without_existing_before_any_formulation(
    make_campaign: MakeCampaign, small_spec: Path
) -> None:
    c = make_campaign(small_spec)
    report = c.update(edit(small_spec, (OLD_T, f"{OLD_T}\nP = {{ min = 1.0, max = 3.0 }}")))
    assert report.changes == ["parameter P added, [1, 3]"]


def test_removing_a_parameter_or_a_choice_with_measurements_is_refused(
    make_campaign: MakeCampaign, tmp_path: Path, small_spec: Path
) -> None:
    spec = tmp_path / "cat.toml"
    small_text = small_spec.read_text()

    def write(k_table: str) -> Path:
        spec.write_text(small_text.replace(OLD_T, f"{OLD_T}\nK = {k_table}"))
        return spec

    c = make_campaign(write('{ choices = ["x", "y", "z"] }'))
    batch = c.propose(6, strategy="sobol")
    pending_choice = batch["K"].iloc[-1]
    measured = batch[batch["K"] != pending_choice]
    assert len(measured) and set(measured["K"])
    c.record(measured.assign(conductivity_mS_cm=1.0)[["id", "conductivity_mS_cm"]])
    with pytest.raises(
        DataError, match=f"parameters: removing T contradicts the measurements of {', '.join(measured['id'])} "
    ):
        c.update(edit(write('{ choices = ["x", "y", "z"] }'), (OLD_T + "\n", "")))
    used = measured["K"].iloc[0]
    rows = ", ".join(measured.loc[measured["K"] == used, "id"])
    others = ", ".join(f'"{k}"' for k in "xyz" if k != used)
    with pytest.raises(DataError) as err:
        c.update(write(f"{{ choices = [{others}] }}"))
    assert (
        f"cat.toml: parameters.K.choices: removing '{used}' contradicts the measurements of {rows} (made with K = {used})"
        in str(err.value)
    )
    with pytest.raises(DataError, match=r"parameters\.K: changing it from categorical to continuous contradicts"):
        c.update(write("{ min = 0, max = 2 }"))
    assert len(c.spec_versions()) == 1
    # a choice only pending formulations have may go: they stay, marked
    others = ", ".join(f'"{k}"' for k in "xyz" if k != pending_choice)
    report = c.update(write(f"{{ choices = [{others}] }}"))
    assert report.changes == [f"K: choice '{pending_choice}' removed"]
    f = c.formulations().set_index("id")
    for sid in batch.loc[batch["K"] == pending_choice, "id"]:
        assert f.loc[sid, "outside"] == f"K = {pending_choice} is not one of {others.replace(chr(34), '')}"
        assert f.loc[sid, "status"] == "pending"
    assert len(report.outside) == int((batch["K"] == pending_choice).sum())


def test_removing_a_component_with_measurements_is_refused_naming_the_rows(
    make_campaign: MakeCampaign, small_spec: Path
) -> None:
    c = make_campaign(small_spec)
    batch = c.propose(13, strategy="sobol")
    c.record(batch.iloc[:12].assign(conductivity_mS_cm=1.0)[["id", "conductivity_mS_cm"]])
    with_c = list(batch.iloc[:12].loc[batch["C"].iloc[:12] > 0, "id"])
    assert len(with_c) == 12
    with pytest.raises(DataError) as err:
        c.update(edit(small_spec, (OLD_C + "\n", "")))
    message = str(err.value)
    assert (
        f"mixture.components: removing C contradicts the measurements of {', '.join(with_c[:10])} and 2 more" in message
    )
    assert "(they contain C)" in message
    assert len(c.spec_versions()) == 1 and c.space.components == ["A", "B", "C"]


def test_a_removed_component_only_pending_formulations_contain_marks_them(
    make_campaign: MakeCampaign, small_spec: Path
) -> None:
    c = make_campaign(small_spec)
    batch = c.propose(3, strategy="sobol")
    report = c.update(edit(small_spec, (OLD_C + "\n", "")))
    assert report.changes == ["component C removed"]
    f = c.formulations()
    assert list(f.columns[:4]) == ["id", "A", "B", "T"]
    has_c = batch["C"] > 0
    assert all(("sum to" in why) == bool(flag) for why, flag in zip(f["outside"], has_c))


def test_a_component_kept_at_max_0_is_no_longer_proposed(measured: Campaign, small_spec: Path) -> None:
    report = measured.update(edit(small_spec, (OLD_C, "C = { min = 0, max = 0 }")))
    assert report.changes == ["C: [0, 50] -> [0, 0] wt% (narrowed)"] and len(report.outside) == 6
    batch = measured.propose(2)  # the model trains on the old rows (C > 0) with C's range now empty
    assert (batch["C"] == 0).all() and (batch["A"] + batch["B"] == 100).all()


def test_an_added_component_was_zero_before(measured: Campaign, small_spec: Path) -> None:
    report = measured.update(edit(small_spec, (OLD_C, f"{OLD_C}\nD = {{ min = 0, max = 20 }}")))
    assert report.changes == ["component D added, [0, 20] wt%; formulations stored before read D = 0"]
    f = measured.formulations()
    assert (f["D"] == 0).all() and (f["outside"] == "").all()
    assert len(measured.training_data()) == 6
    report = measured.update(edit(small_spec, ("D = { min = 0, max = 20 }", "D = { min = 5, max = 20 }")))
    assert "D: [0, 20] -> [5, 20] wt% (narrowed)" in report.changes
    assert (measured.formulations()["outside"] == "D = 0 < min 5").all()


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        (('name = "small"', 'name = "other"'), r"name: 'other' is not this campaign's name 'small'"),
        (("total = 100", "total = 50"), r"mixture.total: 100 -> 50 would change what the amounts of 6 measured"),
        (("[mixture]", '[mixture]\nunit = "mol%"'), r"mixture.unit: wt% -> mol% would change"),
    ],
)
def test_name_unit_and_total_are_fixed_once_measured(
    measured: Campaign, small_spec: Path, replacement: tuple[str, str], message: str
) -> None:
    text = small_spec.read_text()
    if "total = 50" in replacement[1]:
        text = (
            text.replace("A = { min = 10, max = 80 }", "A = { min = 10, max = 40 }")
            .replace("B = { min = 10, max = 80 }", "B = { min = 10, max = 40 }")
            .replace(OLD_C, "C = { min = 0, max = 30 }")
        )
    small_spec.write_text(text)
    with pytest.raises(DataError, match=message):
        measured.update(edit(small_spec, replacement))
    assert len(measured.spec_versions()) == 1


# --- objectives, constraints, strategy ----------------------------------------------------------
def test_adding_an_objective_and_an_outcome_constraint(measured: Campaign, small_spec: Path) -> None:
    extra = '\n[[objectives]]\nname = "transference_number"\n\n[[outcome_constraints]]\nname = "oxidation_onset_V"\nmin = 4.5\n'
    text = small_spec.read_text().replace("[strategy]", extra + "\n[strategy]")
    small_spec.write_text(text)
    report = measured.update(small_spec)
    assert report.changes == [
        "objective transference_number added (direction = maximize)",
        "outcome constraint oxidation_onset_V added (min = 4.5)",
    ]
    assert measured.spec.objective_names == ["conductivity_mS_cm", "transference_number"]
    ids = list(measured.formulations()["id"])
    measured.record(
        pd.DataFrame(
            {"id": ids[:2], "transference_number": [0.4, 0.5], "oxidation_onset_V": [4.7, 4.4], "replicate": 2}
        )
    )
    d = measured.data()
    assert {"transference_number", "oxidation_onset_V"} <= set(d.columns)
    assert len(measured.training_data("transference_number")) == 2
    assert list(measured.pareto()["id"]) == [ids[0]]  # ids[1] breaks the new outcome constraint
    report = measured.update(
        edit(small_spec, ('\n[[outcome_constraints]]\nname = "oxidation_onset_V"\nmin = 4.5\n', ""))
    )
    assert report.changes == ["outcome constraint oxidation_onset_V removed"]


def test_changing_strategy_options_and_known_constraints(measured: Campaign, small_spec: Path) -> None:
    report = measured.update(
        edit(small_spec, ("n_initial = 6", "n_initial = 6\noptions = { num_restarts = 4 }"), extra="")
    )
    assert report.changes == ["strategy.options.num_restarts: unset -> 4"]
    assert measured.spec.strategy.options == {"num_restarts": 4}
    text = small_spec.read_text().replace("version = 1\n", 'version = 1\nconstraints = ["C <= 40"]\n', 1)
    small_spec.write_text(
        text.replace("num_restarts = 4", "num_restarts = 6").replace(
            'name = "small"', 'name = "small"\ndescription = "wider"'
        )
    )
    report = measured.update(small_spec)
    assert report.changes == [
        'constraint "C <= 40" added',
        'description: "" -> wider',
        "strategy.options.num_restarts: 4 -> 6",
    ]
    assert all(
        ('breaks "C <= 40"' in why) == (c > 40)
        for why, c in zip(measured.formulations()["outside"], measured.formulations()["C"])
    )
    assert (measured.propose(3)["C"] <= 40).all()
    assert len(measured.spec_versions()) == 3


def test_an_unchanged_spec_stores_nothing(measured: Campaign, small_spec: Path) -> None:
    report = measured.update(small_spec)
    assert not report.changed and report.version == 1
    assert str(report) == "campaign small: nothing changed (the spec is version 1 as stored)"
    assert measured.update(load_spec(small_spec)).version == 1  # a spec object, the same
    assert len(measured.spec_versions()) == 1


def test_a_bad_new_file_is_a_spec_error_and_changes_nothing(measured: Campaign, small_spec: Path) -> None:
    with pytest.raises(SpecError, match=r"small.toml: mixture.components.C.min: min must be <= max"):
        measured.update(edit(small_spec, (OLD_C, "C = { min = 60, max = 50 }")))
    with pytest.raises(SpecError, match=r"parameters.K.existing: 'w' is not one of the choices x, y"):
        measured.update(
            {**measured.spec.model_dump(mode="json"), "parameters": {"K": {"choices": ["x", "y"], "existing": "w"}}}
        )
    with pytest.raises(SpecError, match=r"parameters.P.existing: Input should be a valid number"):
        measured.update(
            {**measured.spec.model_dump(mode="json"), "parameters": {"P": {"min": 0, "max": 1, "existing": "warm"}}}
        )
    assert len(measured.spec_versions()) == 1


def test_reopening_uses_the_latest_version(measured: Campaign, small_spec: Path) -> None:
    url = measured.store.url
    measured.update(edit(small_spec, (OLD_C, "C = { min = 0, max = 70 }")))
    reopened = Campaign.open(url)
    assert reopened.spec == measured.spec and reopened.spec.mixture.bounds("C") == (0.0, 70.0)
    record = reopened.store.campaign()
    assert record.spec_version == 2 and record.source == str(small_spec.resolve())
    reopened.close()


def test_the_store_refuses_a_spec_of_another_campaign(measured: Campaign) -> None:
    other = {**measured.spec.model_dump(mode="json"), "name": "other"}
    with pytest.raises(StoreError, match="names campaign 'other', not 'small'"):
        measured.store.update_campaign(measured.id, other)


def test_spec_file_changed(measured: Campaign, small_spec: Path) -> None:
    assert measured.spec_file_changed() is None
    edit(small_spec, (OLD_C, "C = { min = 0, max = 70 }"))
    warning = measured.spec_file_changed()
    assert warning is not None
    assert re.search(
        r"small\.toml changed since it was stored \(version 1, \d{4}-\d\d-\d\d \d\d:\d\d UTC\); run 'optiform update .*small\.toml' to use it",
        warning,
    )
    with pytest.warns(OptiformWarning, match="small.toml changed since it was stored"):  # propose says so too
        measured.propose(1, strategy="sobol")
    measured.update(small_spec)
    assert measured.spec_file_changed() is None
    small_spec.write_text("version = 1\nname = ")
    assert "small.toml no longer loads" in (measured.spec_file_changed() or "")
    small_spec.unlink()
    assert measured.spec_file_changed() is None


def test_init_again_points_at_update(store_url: str, small_spec: Path) -> None:
    Campaign.create(small_spec, store=store_url).close()
    with pytest.raises(
        StoreError,
        match=r"already holds a campaign named 'small'; to change its campaign file, use 'optiform update FILE'",
    ):
        Campaign.create(small_spec, store=store_url)


# --- command line -------------------------------------------------------------------------------
def test_cli_update_and_the_propose_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_spec: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPTIFORM_STORE", raising=False)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output + str(result.exception)
        return " ".join(result.output.split())

    spec = tmp_path / "campaign.toml"
    spec.write_text(small_spec.read_text())
    run("init", "campaign.toml")
    out = run("propose", "-n", "2", "--strategy", "sobol")
    assert "warning" not in out
    edit(spec, (OLD_C, "C = { min = 0, max = 70 }"))
    out = run("propose", "-n", "2", "--strategy", "sobol")
    assert re.search(
        r"warning: campaign\.toml changed since it was stored \(version 1, [\d-]+ [\d:]+ UTC\); run 'optiform update campaign\.toml' to use it",
        out,
    )
    out = run("update", "campaign.toml", "--note", "C up to 70")
    assert "campaign small: spec version 2 stored C: [0, 50] -> [0, 70] wt% (widened)" in out
    assert "warning" not in run("propose", "-n", "1", "--strategy", "sobol")
    assert "nothing changed" in run("update", "campaign.toml")
    edit(spec, (OLD_T, f"{OLD_T}\nP = {{ min = 1.0, max = 3.0 }}"))
    out = run("update", "campaign.toml", code=1)
    assert "error: campaign.toml: parameters.P: 5 formulation(s) were stored without it" in out
    c = Campaign.open(f"sqlite:///{tmp_path / 'optiform.db'}")
    assert list(c.spec_versions()["note"]) == ["", "C up to 70"]
    c.close()
