"""Tests for optiform.spec: the campaign file schema, its loading and its error messages."""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest

from optiform.spec import (
    STRATEGY_NAMES,
    STRATEGY_REGISTRY,
    BotorchOptions,
    CampaignSpec,
    CategoricalParameter,
    ContinuousParameter,
    GridOptions,
    RandomOptions,
    SpecError,
    StrategyOptions,
    example_spec_path,
    load_spec,
    parse_spec,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "campaigns" / "llzt-cse" / "campaign.toml"


@pytest.fixture(scope="module")
def shipped_dict() -> dict[str, Any]:
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def _minimal(components: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """Smallest valid campaign dict: a 3-component mixture and one objective."""
    data: dict[str, Any] = {
        "version": 1,
        "name": "t",
        "mixture": {"components": components or {"A": {}, "B": {}, "C": {}}},
        "objectives": [{"name": "y"}],
    }
    data.update(top)
    return data


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as exc:
        parse_spec(data, origin="test.toml")
    return str(exc.value)


def _mutated(base: dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    change(data)
    return data


# --- the shipped file ------------------------------------------------------------------------
def test_shipped_file_loads() -> None:
    spec = load_spec(SHIPPED)
    assert spec.name == "llzt-cse"
    assert spec.components == ["MEMA", "SN", "salt"]
    assert spec.mixture.total == 100 and spec.mixture.step == 1 and spec.mixture.unit == "wt%"
    assert spec.mixture.bounds("MEMA") == (10, 70)
    assert spec.mixture.bounds("SN") == (20, 70)
    assert spec.mixture.bounds("salt") == (5, 35)
    assert list(spec.continuous) == ["LiDFOB_mol_frac", "FEC_wt_pct", "porosity"]
    assert isinstance(spec.parameters["framework"], CategoricalParameter)
    assert spec.categorical["framework"].choices == ["LLZT", "glass_fiber"]
    assert spec.continuous["FEC_wt_pct"].resolution == 0.5
    assert spec.objective_names == ["conductivity_mS_cm"]
    obj = spec.objective("conductivity_mS_cm")
    assert obj.maximize and obj.log and obj.unit == "mS/cm"
    assert spec.recipe is not None
    assert spec.recipe.additives == {"FEC": "FEC_wt_pct", "AIBN": 1.0}
    assert spec.recipe.split["salt"].by == "LiDFOB_mol_frac"
    assert spec.recipe.split["salt"].molar_mass_g_mol == {"LiTFSI": 287.09, "LiDFOB": 143.79}
    assert spec.variables == ["MEMA", "SN", "salt", "LiDFOB_mol_frac", "FEC_wt_pct", "porosity", "framework"]


def test_packaged_copy_is_byte_identical() -> None:
    assert example_spec_path().read_bytes() == SHIPPED.read_bytes()
    assert load_spec(example_spec_path()) == load_spec(SHIPPED)


@pytest.mark.parametrize("folder", sorted(p.name for p in (SHIPPED.parents[1]).iterdir() if p.is_dir()))
def test_every_shipped_campaign_loads_and_its_packaged_copy_is_identical(folder: str) -> None:
    path = SHIPPED.parents[1] / folder / "campaign.toml"
    spec = load_spec(path)
    assert spec.name == folder
    packaged = example_spec_path().parent / f"{folder}.toml"
    assert packaged.read_bytes() == path.read_bytes()


def test_shipped_n_initial_is_14() -> None:
    spec = load_spec(SHIPPED)
    assert spec.dimension == 2 + 4
    assert spec.n_initial == 14


def test_load_spec_accepts_str_path_and_dict(shipped_dict: dict[str, Any]) -> None:
    assert load_spec(str(SHIPPED)) == load_spec(SHIPPED) == load_spec(shipped_dict)


@pytest.mark.parametrize("path", [SHIPPED, None])
def test_json_round_trip(path: Path | None) -> None:
    spec = load_spec(path) if path else parse_spec(_minimal())
    back = CampaignSpec.model_validate_json(spec.model_dump_json())
    assert back == spec
    assert type(back.parameters.get("framework")) is type(spec.parameters.get("framework"))


def test_strategy_options_are_kept_as_written_and_typed_on_demand(shipped_dict: dict[str, Any]) -> None:
    options = {"exploit": 2, "feasibility_power": 5}
    spec = parse_spec(_mutated(shipped_dict, lambda d: d.update(strategy={"options": options})))
    stored = spec.model_dump(mode="json")
    assert stored["strategy"]["options"] == options  # only what the user set, no defaults
    assert CampaignSpec.model_validate(stored) == spec  # a spec the store kept loads again
    assert CampaignSpec.model_validate_json(spec.model_dump_json()) == spec
    typed = spec.strategy.typed_options
    assert isinstance(typed, BotorchOptions)
    assert (typed.exploit, typed.feasibility_power, typed.maxiter) == (2, 5.0, 200)
    assert typed.given() == {"exploit": 2, "feasibility_power": 5.0}


def test_every_strategy_problem_is_reported(shipped_dict: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["strategy"] = {"options": {"num_restart": 3, "exploit": -1, "optimizer": "adam"}}

    lines = _error(_mutated(shipped_dict, change)).splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "strategy.options.num_restart",
        "strategy.options.optimizer",
        "strategy.options.exploit",
    ]


def test_strategy_registry_lists_each_strategy_once() -> None:
    assert (
        STRATEGY_NAMES
        == tuple(STRATEGY_REGISTRY)
        == ("botorch", "random", "sobol", "grid", "optuna-tpe", "optuna-gp", "botorch-defaults")
    )
    for name, info in STRATEGY_REGISTRY.items():
        assert issubclass(info.options, StrategyOptions) and info.options.strategy == name
        assert info.description and "\n" not in info.description
    assert set(GridOptions.model_fields) == {"step", "fixed"} and not RandomOptions.model_fields


def test_spec_is_frozen() -> None:
    spec = load_spec(SHIPPED)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        spec.name = "other"  # type: ignore[misc]


# --- flexible shapes -------------------------------------------------------------------------
@pytest.mark.parametrize("k", range(2, 11))
def test_any_number_of_components(k: int) -> None:
    names = [f"chem_{i}X" for i in range(k)]
    data = _minimal({n: {"min": 0, "max": 100} for n in names})
    spec = parse_spec(data)
    assert spec.components == names
    assert spec.dimension == k - 1
    assert spec.n_initial == 2 * k
    assert CampaignSpec.model_validate_json(spec.model_dump_json()) == spec


@pytest.mark.parametrize("n_cont,n_cat", [(0, 0), (1, 0), (0, 1), (5, 3), (12, 4)])
def test_any_number_of_parameters(n_cont: int, n_cat: int) -> None:
    params: dict[str, Any] = {f"p{i}": {"min": -i, "max": i + 1.5} for i in range(n_cont)}
    params |= {f"cat{i}": {"choices": [f"c{j}" for j in range(i + 2)]} for i in range(n_cat)}
    spec = parse_spec(_minimal(parameters=params))
    assert list(spec.continuous) == [f"p{i}" for i in range(n_cont)]
    assert list(spec.categorical) == [f"cat{i}" for i in range(n_cat)]
    assert spec.dimension == 2 + n_cont + n_cat
    assert spec.n_initial == 2 * (spec.dimension + 1)
    assert CampaignSpec.model_validate_json(spec.model_dump_json()) == spec


def test_file_without_parameters_or_recipe(tmp_path: Path) -> None:
    path = tmp_path / "bare.toml"
    path.write_text(
        'version = 1\nname = "bare"\n[mixture]\ntotal = 1\n'
        "[mixture.components]\nwater = {}\nethanol = { max = 0.8 }\n"
        '[[objectives]]\nname = "viscosity_mPa_s"\ndirection = "minimize"\n',
        encoding="utf-8",
    )
    spec = load_spec(path)
    assert spec.parameters == {} and spec.recipe is None
    assert spec.mixture.step == pytest.approx(0.01)
    assert spec.mixture.bounds("water") == (0.0, 1.0)
    assert spec.dimension == 1 and spec.n_initial == 4
    assert not spec.objectives[0].maximize and not spec.objectives[0].log


def test_strategy_n_initial_overrides_default(shipped_dict: dict[str, Any]) -> None:
    data = _mutated(shipped_dict, lambda d: d.update(strategy={"name": "sobol", "n_initial": 5}))
    spec = parse_spec(data)
    assert spec.n_initial == 5 and spec.strategy.name == "sobol"
    assert parse_spec(_mutated(shipped_dict, lambda d: d.update(strategy={}))).n_initial == 14


def test_objective_transform_and_unit() -> None:
    data = _minimal(
        objectives=[
            {"name": "conductivity_S_cm", "transform": "none"},
            {"name": "Ea_eV", "direction": "minimize", "transform": "log"},
            {"name": "score"},
        ]
    )
    a, b, c = parse_spec(data).objectives
    assert (a.log, a.unit) == (False, "S/cm")
    assert (b.log, b.unit, b.maximize) == (True, "eV", False)
    assert (c.log, c.unit) == (False, "")


# --- invalid files: each message names the key and the reason ------------------------------------
def _shipped_case(change: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda base: _mutated(base, change)


def _set_comp(name: str, **bounds: float) -> Callable[[dict[str, Any]], Any]:
    return lambda d: d["mixture"]["components"].__setitem__(name, bounds)


def _set_param(name: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda d: d.setdefault("parameters", {}).__setitem__(name, value)


INVALID: dict[str, tuple[Callable[[dict[str, Any]], Any], list[str]]] = {
    # simplex empty
    "minima_too_large": (
        lambda d: d["mixture"]["components"].update(MEMA={"min": 60, "max": 70}, SN={"min": 40, "max": 70}),
        [r"mixture: ", r"no composition summing to 100", r"minima add up to 105"],
    ),
    "maxima_too_small": (
        lambda d: d["mixture"]["components"].update(MEMA={"min": 10, "max": 20}, SN={"min": 20, "max": 30}),
        [r"mixture: ", r"no composition summing to 100", r"maxima to 85"],
    ),
    # unknown keys
    "unknown_top": (lambda d: d.update(budget=3), [r"test.toml: budget: unknown key", r"allowed: version, name"]),
    "unknown_mixture": (
        lambda d: d["mixture"].update(step=1),
        [r"mixture\.step: unknown key in \[mixture\]", r"allowed: unit, total, resolution, components"],
    ),
    "unknown_component_key": (
        lambda d: d["mixture"]["components"]["SN"].update(maximum=60),
        [r"mixture\.components\.SN\.maximum: unknown key in \[mixture\.components\.SN\]", r"allowed: min, max"],
    ),
    "unknown_parameter_key": (
        lambda d: d["parameters"]["porosity"].update(step=0.1),
        [r"parameters\.porosity\.step: unknown key", r"allowed: min, max, resolution"],
    ),
    "unknown_categorical_key": (
        lambda d: d["parameters"]["framework"].update(min=0),
        [r"parameters\.framework\.min: unknown key", r"choices"],
    ),
    "unknown_objective_key": (
        lambda d: d["objectives"][0].update(goal="max"),
        [r"objectives\.0\.goal: unknown key", r"allowed: name, direction, transform"],
    ),
    "unknown_recipe_key": (lambda d: d["recipe"].update(solvent="x"), [r"recipe\.solvent: unknown key"]),
    "unknown_split_key": (
        lambda d: d["recipe"]["split"]["salt"].update(ratio=1),
        [r"recipe\.split\.salt\.ratio: unknown key", r"allowed: by, molar_mass_g_mol"],
    ),
    # component bounds
    "component_max_above_total": (
        _set_comp("SN", min=20, max=120),
        [r"mixture\.components\.SN: bounds must lie in \[0, 100\] \(got \[20, 120\]\)"],
    ),
    "component_min_negative": (
        _set_comp("SN", min=-5, max=70),
        [r"mixture\.components\.SN: bounds must lie in \[0, 100\] \(got \[-5, 70\]\)"],
    ),
    "component_min_gt_max": (
        _set_comp("SN", min=80, max=70),
        [r"mixture\.components\.SN\.min: min must be <= max \(got min=80, max=70\)"],
    ),
    "component_off_lattice": (
        lambda d: d["mixture"].update(resolution=5) or _set_comp("salt", min=6, max=9)(d),
        [r"mixture\.components\.salt: no multiple of the resolution 5 lies in \[6, 9\]"],
    ),
    "parameter_min_gt_max": (
        _set_param("porosity", {"min": 0.9, "max": 0.5}),
        [r"parameters\.porosity\.min: min must be <= max \(got min=0\.9, max=0\.5\)"],
    ),
    "parameter_off_lattice": (
        _set_param("porosity", {"min": 0.401, "max": 0.409, "resolution": 0.01}),
        [r"parameters\.porosity\.resolution: no multiple of the resolution 0\.01"],
    ),
    "parameter_missing_max": (_set_param("porosity", {"min": 0.4}), [r"parameters\.porosity\.max: missing"]),
    "categorical_one_choice": (
        _set_param("framework", {"choices": ["LLZT"]}),
        [r"parameters\.framework\.choices", r"at least 2"],
    ),
    "categorical_duplicate_choices": (
        _set_param("framework", {"choices": ["LLZT", "LLZT"]}),
        [r"parameters\.framework\.choices", r"distinct"],
    ),
    # objectives
    "missing_objectives": (lambda d: d.pop("objectives"), [r"objectives: missing"]),
    "empty_objectives": (lambda d: d.update(objectives=[]), [r"objectives: at least one \[\[objectives\]\]"]),
    "objective_missing_name": (
        lambda d: d.update(objectives=[{"direction": "maximize"}]),
        [r"objectives\.0\.name: missing"],
    ),
    "objective_bad_direction": (
        lambda d: d["objectives"][0].update(direction="up"),
        [r"objectives\.0\.direction", r"maximize"],
    ),
    "objective_twice": (
        lambda d: d["objectives"].append({"name": "conductivity_mS_cm"}),
        [r"objectives: 'conductivity_mS_cm' declared twice"],
    ),
    "objective_clashes_with_component": (
        lambda d: d["objectives"][0].update(name="SN"),
        [r"objectives: 'SN' is also a variable name"],
    ),
    "objective_clashes_with_parameter": (
        lambda d: d["objectives"][0].update(name="porosity"),
        [r"objectives: 'porosity' is also a variable name"],
    ),
    # version
    "version_2": (lambda d: d.update(version=2), [r"version: ", r"version 1, got 2"]),
    "version_missing": (lambda d: d.pop("version"), [r"version: missing", r"version = 1"]),
    "version_string": (lambda d: d.update(version="1"), [r"version: ", r"integer"]),
    "version_float": (lambda d: d.update(version=1.0), [r"version: ", r"integer"]),
    # component count
    "one_component": (
        lambda d: (d.pop("recipe"), d["mixture"].update(components={"MEMA": {}})),
        [r"mixture\.components: needs 2 to 10 components, got 1"],
    ),
    "eleven_components": (
        lambda d: (d.pop("recipe"), d["mixture"].update(components={f"c{i}": {} for i in range(11)})),
        [r"mixture\.components: needs 2 to 10 components, got 11"],
    ),
    # names
    "component_name_digit": (_set_comp("2MEMA", max=10), [r"mixture\.components\.2MEMA: '2MEMA' is not a valid name"]),
    "component_name_dash": (
        _set_comp("PEG-DA", max=10),
        [r"mixture\.components\.PEG-DA: 'PEG-DA' is not a valid name"],
    ),
    "parameter_name_space": (
        _set_param("pore size", {"min": 0, "max": 1}),
        [r"parameters\.pore size: 'pore size' is not a valid name"],
    ),
    "objective_name_invalid": (
        lambda d: d["objectives"][0].update(name="σ"),
        [r"objectives\.0\.name", r"not a valid name"],
    ),
    "campaign_name_invalid": (lambda d: d.update(name="my campaign"), [r"test.toml: name: "]),
    "parameter_named_as_component": (
        _set_param("SN", {"min": 0, "max": 1}),
        [r"parameters: SN already named as mixture component"],
    ),
    "reserved_component": (_set_comp("id", max=10), [r"mixture\.components\.id: 'id' is reserved"]),
    "reserved_parameter": (_set_param("status", {"min": 0, "max": 1}), [r"parameters\.status: 'status' is reserved"]),
    "reserved_categorical": (_set_param("batch", {"choices": ["a", "b"]}), [r"parameters\.batch: 'batch' is reserved"]),
    "reserved_objective": (
        lambda d: d["objectives"][0].update(name="note"),
        [r"objectives\.0\.name", r"'note' is reserved"],
    ),
    # recipe
    "additive_unknown_parameter": (
        lambda d: d["recipe"]["additives"].update(FEC="FEC_pct"),
        [r"recipe\.additives\.FEC: 'FEC_pct' is not a continuous parameter"],
    ),
    "additive_categorical_parameter": (
        lambda d: d["recipe"]["additives"].update(FEC="framework"),
        [r"recipe\.additives\.FEC: 'framework' is not a continuous parameter"],
    ),
    "additive_negative_parameter": (
        _set_param("FEC_wt_pct", {"min": -1, "max": 10}),
        [r"recipe\.additives\.FEC", r"below 0 wt%"],
    ),
    "additive_negative_number": (
        lambda d: d["recipe"]["additives"].update(AIBN=-1.0),
        [r"recipe\.additives\.AIBN", r"\[0, 100\)"],
    ),
    "additive_not_number_or_name": (
        lambda d: d["recipe"]["additives"].update(AIBN=[1.0]),
        [r"recipe\.additives: AIBN: expected a wt%"],
    ),
    "additives_reach_100": (
        lambda d: d["recipe"]["additives"].update(AIBN=90.0),
        [r"recipe\.additives: can add up to 100 wt%"],
    ),
    "additives_exceed_100": (
        lambda d: d["recipe"]["additives"].update(AIBN=60.0, PEO=45.0),
        [r"recipe\.additives", r"up to 115 wt%"],
    ),
    "additive_is_component": (
        lambda d: d["recipe"]["additives"].update(SN=1.0),
        [r"recipe\.additives\.SN: already a mixture component"],
    ),
    "split_unknown_parameter": (
        lambda d: d["recipe"]["split"]["salt"].update(by="x_DFOB"),
        [r"recipe\.split\.salt\.by: 'x_DFOB' is not a continuous parameter"],
    ),
    "split_categorical_parameter": (
        lambda d: d["recipe"]["split"]["salt"].update(by="framework"),
        [r"recipe\.split\.salt\.by: 'framework' is not a continuous parameter"],
    ),
    "split_fraction_above_1": (
        _set_param("LiDFOB_mol_frac", {"min": 0, "max": 1.5}),
        [r"recipe\.split\.salt\.by", r"mole fraction", r"\[0, 1\]", r"1\.5"],
    ),
    "split_fraction_below_0": (
        _set_param("LiDFOB_mol_frac", {"min": -0.1, "max": 0.3}),
        [r"recipe\.split\.salt\.by", r"mole fraction", r"-0\.1"],
    ),
    "split_not_a_component": (
        lambda d: d["recipe"]["split"].update(polymer=d["recipe"]["split"]["salt"]),
        [r"recipe\.split\.polymer: not a mixture component"],
    ),
    "split_three_chemicals": (
        lambda d: d["recipe"]["split"]["salt"]["molar_mass_g_mol"].update(LiPF6=151.9),
        [r"recipe\.split\.salt\.molar_mass_g_mol", r"exactly 2 chemicals, got 3"],
    ),
    "split_zero_molar_mass": (
        lambda d: d["recipe"]["split"]["salt"]["molar_mass_g_mol"].update(LiDFOB=0.0),
        [r"recipe\.split\.salt\.molar_mass_g_mol", r"LiDFOB: molar mass must be > 0"],
    ),
    "split_chemical_named_twice": (
        lambda d: d["recipe"]["split"]["salt"].update(molar_mass_g_mol={"LiTFSI": 287.09, "FEC": 106.05}),
        [r"recipe\.split\.salt: chemical 'FEC' named twice"],
    ),
    # mixture grid and unit
    "resolution_not_dividing": (
        lambda d: d["mixture"].update(resolution=3),
        [r"mixture: resolution 3 must divide total 100"],
    ),
    "resolution_zero": (lambda d: d["mixture"].update(resolution=0), [r"mixture\.resolution", r"greater than 0"]),
    "total_zero": (lambda d: d["mixture"].update(total=0), [r"mixture\.total", r"greater than 0"]),
    "mol_pct_without_molar_masses": (
        lambda d: d["mixture"].update(unit="mol%"),
        [
            r"recipe\.molar_mass_g_mol: mixture\.unit is 'mol%': needs the molar mass \(g/mol; a polymer by its repeat unit\) of MEMA, SN$"
        ],
    ),
    "mol_pct_missing_one_molar_mass": (
        lambda d: (d["mixture"].update(unit="mol%"), d["recipe"].update(molar_mass_g_mol={"MEMA": 143.18})),
        [r"recipe\.molar_mass_g_mol: .*needs the molar mass .* of SN$"],
    ),
    "vol_pct_without_densities": (
        lambda d: (d["mixture"].update(unit="vol%"), d["recipe"].update(density_g_cm3={"MEMA": 1.05})),
        [r"recipe\.density_g_cm3: mixture\.unit is 'vol%': needs the density \(g/cm3\) of SN, salt$"],
    ),
    "molar_mass_of_unknown_chemical": (
        lambda d: d["recipe"].update(molar_mass_g_mol={"PEO": 44.05}),
        [r"recipe\.molar_mass_g_mol\.PEO: 'PEO' is not a mixture component, split chemical or additive"],
    ),
    "molar_mass_of_a_split_component": (
        lambda d: d["recipe"].update(molar_mass_g_mol={"salt": 280.0}),
        [
            r"recipe\.molar_mass_g_mol\.salt: salt is split: its molar mass is the mole-fraction average of LiTFSI and LiDFOB"
        ],
    ),
    "molar_mass_contradicts_split": (
        lambda d: d["recipe"].update(molar_mass_g_mol={"LiTFSI": 287.0}),
        [
            r"recipe\.molar_mass_g_mol\.LiTFSI: recipe\.split\.salt\.molar_mass_g_mol gives LiTFSI 287\.09 g/mol, not 287"
        ],
    ),
    "molar_mass_zero": (
        lambda d: d["recipe"].update(molar_mass_g_mol={"SN": 0.0}),
        [r"recipe\.molar_mass_g_mol: SN: molar mass must be > 0 g/mol"],
    ),
    "density_of_a_split_chemical": (
        lambda d: d["recipe"].update(density_g_cm3={"LiTFSI": 1.33}),
        [r"recipe\.density_g_cm3\.LiTFSI: a split component's density goes by the component's name \('salt'\)"],
    ),
    "density_of_unknown_chemical": (
        lambda d: d["recipe"].update(density_g_cm3={"water": 1.0}),
        [r"recipe\.density_g_cm3\.water: 'water' is not a mixture component or additive \(MEMA, SN, salt, FEC, AIBN\)"],
    ),
    "density_negative": (
        lambda d: d["recipe"].update(density_g_cm3={"SN": -1.0}),
        [r"recipe\.density_g_cm3: SN: density must be > 0 g/cm3"],
    ),
    "balance_resolution_zero": (
        lambda d: d["recipe"].update(balance_resolution_mg=0),
        [r"recipe\.balance_resolution_mg", r"greater than 0"],
    ),
    "warn_below_negative": (
        lambda d: d["recipe"].update(warn_below_mg=-1),
        [r"recipe\.warn_below_mg", r"greater than or equal to 0"],
    ),
    "unknown_unit": (lambda d: d["mixture"].update(unit="g"), [r"mixture\.unit", r"wt%"]),
    # non-finite numbers (TOML has nan and inf)
    "nan_component_bound": (_set_comp("SN", min=20, max=float("nan")), [r"mixture\.components\.SN\.max", r"finite"]),
    "inf_parameter_bound": (
        _set_param("porosity", {"min": 0.4, "max": float("inf")}),
        [r"parameters\.porosity\.max", r"finite"],
    ),
    "inf_total": (lambda d: d["mixture"].update(total=float("inf")), [r"mixture\.total", r"finite"]),
    "nan_additive": (lambda d: d["recipe"]["additives"].update(AIBN=float("nan")), [r"recipe\.additives", r"AIBN"]),
    # strategy
    "unknown_strategy": (lambda d: d.update(strategy={"name": "nope"}), [r"strategy\.name: unknown strategy 'nope'"]),
    "n_initial_zero": (lambda d: d.update(strategy={"n_initial": 0}), [r"strategy\.n_initial"]),
    # strategy options: checked against the strategy's options model on loading
    "misspelt_strategy_option": (
        lambda d: d.update(strategy={"options": {"num_restart": 3}}),
        [r"strategy\.options\.num_restart: unknown option of the botorch strategy; expected optimizer, .*num_restarts"],
    ),
    "bad_strategy_option": (
        lambda d: d.update(strategy={"options": {"exploit": -1}}),
        [r"strategy\.options\.exploit: must be a whole number of points >= 0, got -1"],
    ),
    "option_of_an_optionless_strategy": (
        lambda d: d.update(strategy={"name": "sobol", "options": {"step": 5}}),
        [r"strategy\.options\.step: the sobol strategy takes no options"],
    ),
    "bad_grid_step": (
        lambda d: d.update(strategy={"name": "grid", "options": {"step": 0}}),
        [r"strategy\.options\.step: expected a positive number \(mixture unit\), got 0"],
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_spec_names_key_and_reason(case: str, shipped_dict: dict[str, Any]) -> None:
    change, patterns = INVALID[case]
    message = _error(_mutated(shipped_dict, change))
    assert message.startswith("test.toml: ")
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"


def test_every_problem_is_reported_on_its_own_line(shipped_dict: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["mixture"]["components"]["SN"]["colour"] = "red"
        d["objectives"][0]["goal"] = 1

    lines = _error(_mutated(shipped_dict, change)).splitlines()
    assert len(lines) == 2
    assert all(line.startswith("test.toml: ") for line in lines)


def test_parse_spec_default_origin() -> None:
    with pytest.raises(SpecError, match=r"^campaign: version: this optiform reads"):
        parse_spec(_minimal(version=3))
    with pytest.raises(SpecError, match=r"^campaign: "):
        load_spec({**_minimal(), "extra": 1})


def test_spec_error_is_value_error() -> None:
    assert issubclass(SpecError, ValueError)


# --- invalid files end to end -----------------------------------------------------------------
def _write(tmp_path: Path, text: str, name: str = "campaign.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
version = 1
name = "t"
[mixture]
total = 100
resolution = 1
[mixture.components]
A = { min = 10, max = 70 }
B = { min = 20, max = 70 }
C = { min = 5, max = 35 }
[parameters]
x = { min = 0.0, max = 1.0 }
[[objectives]]
name = "y"
"""


def test_good_text_loads(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, GOOD))
    assert spec.components == ["A", "B", "C"] and list(spec.parameters) == ["x"]


def test_bad_strategy_option_in_a_file_names_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + '[strategy]\nname = "grid"\noptions = { step = 10, fixd = { x = 0.5 } }\n')
    with pytest.raises(
        SpecError, match=r": strategy\.options\.fixd: unknown option of the grid strategy; expected step, fixed$"
    ):
        load_spec(path)


@pytest.mark.parametrize(
    "old,new,patterns",
    [
        ("A = { min = 10, max = 70 }", "A = { min = 80, max = 90 }", [r"mixture: ", r"minima add up to 105"]),
        (
            "A = { min = 10, max = 70 }",
            "A = { min = 10, max = 70, typ = 3 }",
            [r"mixture\.components\.A\.typ: unknown key"],
        ),
        (
            "B = { min = 20, max = 70 }",
            "B = { min = 70, max = 20 }",
            [r"mixture\.components\.B\.min: min must be <= max \(got min=70, max=20\)"],
        ),
        ("version = 1", "version = 2", [r"version: .*got 2"]),
        ('name = "y"', 'name = "x"', [r"objectives: 'x' is also a variable name"]),
        ("resolution = 1", "resolution = 7", [r"mixture: resolution 7 must divide total 100"]),
        ("x = { min = 0.0, max = 1.0 }", "id = { min = 0.0, max = 1.0 }", [r"parameters\.id: 'id' is reserved"]),
        ('[[objectives]]\nname = "y"\n', "", [r"objectives: missing"]),
    ],
)
def test_invalid_file_end_to_end(tmp_path: Path, old: str, new: str, patterns: list[str]) -> None:
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    message = str(exc.value)
    assert message.startswith(f"{path}: ")
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("B = { min = 20, max = 70 }", "B = { min = 20, max 70 }"), "broken.toml")
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    message = str(exc.value)
    assert str(path) in message and "broken.toml" in message
    assert "not valid TOML" in message
    assert "line 8" in message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "campaign.toml"
    with pytest.raises(SpecError, match=r"campaign file not found") as exc:
        load_spec(path)
    assert str(path) in str(exc.value)


def test_directory_is_not_a_campaign_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"cannot read campaign file"):
        load_spec(tmp_path)


def test_continuous_and_categorical_are_told_apart() -> None:
    spec = parse_spec(_minimal(parameters={"t": {"min": 1, "max": 2, "unit": "h"}, "s": {"choices": ["a", "b"]}}))
    assert isinstance(spec.parameters["t"], ContinuousParameter) and spec.parameters["t"].unit == "h"
    assert isinstance(spec.parameters["s"], CategoricalParameter)


def test_component_bounds_default_to_whole_total() -> None:
    mixture = {"total": 50, "resolution": 0.5, "components": {"A": {"min": 2}, "B": {"max": 40}}}
    spec = parse_spec(_minimal(mixture=mixture))
    assert spec.mixture.bounds("A") == (2.0, 50.0)
    assert spec.mixture.bounds("B") == (0.0, 40.0)
    assert spec.mixture.step == 0.5


def test_bounds_meeting_the_total_exactly_are_feasible() -> None:
    # minima summing to the total leave exactly one composition, which is allowed
    spec = parse_spec(_minimal({"A": {"min": 60}, "B": {"min": 40}}))
    assert spec.mixture.bounds("A") == (60, 100)
    spec = parse_spec(_minimal({"A": {"max": 60}, "B": {"max": 40}}))
    assert spec.mixture.bounds("B") == (0, 40)


DOCUMENTED = """\
version = 1
name = "bad"
[mixture]
[mixture.components]
A  = { min = 10, max = 70 }
SN = { min = 20, max = 70 }
C  = { min = 5,  max = 35 }
[parameters]
frac = { min = 0.0, max = 0.3 }
framework = { choices = ["LLZT", "glass_fiber"] }
[[objectives]]
name = "conductivity_mS_cm"
[recipe.split.C]
by = "frac"
molar_mass_g_mol = { LiTFSI = 287.09, LiDFOB = 143.79 }
"""


@pytest.mark.parametrize(
    "old,new,expected",
    [
        (
            "SN = { min = 20, max = 70 }",
            "SN = { min = 80, max = 70 }",
            "mixture.components.SN.min: min must be <= max (got min=80, max=70)",
        ),
        (
            "A  = { min = 10, max = 70 }\nSN = { min = 20, max = 70 }\nC  = { min = 5,  max = 35 }",
            "A  = { min = 60, max = 100 }\nSN = { min = 40, max = 70 }\nC  = { min = 15, max = 35 }",
            "mixture: bounds leave no composition summing to 100: the minima add up to 115 and the maxima to 205",
        ),
        (
            "C  = { min = 5,  max = 35 }",
            "C  = { min = 5,  maxx = 35 }",
            "mixture.components.C.maxx: unknown key in [mixture.components.C]; allowed: min, max",
        ),
        ('[[objectives]]\nname = "conductivity_mS_cm"\n', "", "objectives: missing (required)"),
        ('by = "frac"', 'by = "framework"', "recipe.split.C.by: 'framework' is not a continuous parameter"),
    ],
)
def test_documented_messages(tmp_path: Path, old: str, new: str, expected: str) -> None:
    """The examples of campaigns/README.md, word for word."""
    assert old in DOCUMENTED
    load_spec(_write(tmp_path, DOCUMENTED, "good.toml"))
    path = _write(tmp_path, DOCUMENTED.replace(old, new), "bad.toml")
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    assert str(exc.value) == f"{path}: {expected}"
