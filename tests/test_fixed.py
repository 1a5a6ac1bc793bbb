"""Proposals with parameters held at one value (``Campaign.propose(fixed=...)``, ``--fix``) and
the transfer kernel that lets results on other categorical choices inform them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from optiform import Campaign
from optiform.cli import app
from optiform.errors import DataError
from optiform.sim import VirtualLab
from optiform.space import Space
from optiform.spec import example_spec_path, load_spec

SPACE = Space(load_spec(example_spec_path()))
MakeCampaign = Callable[..., Campaign]


def test_restrict_validates_names_and_values() -> None:
    for fixed, message in [
        ({"framework": "wood"}, "expected one of LLZT, glass_fiber"),
        ({"FEC_wt_pct": 5.3}, "not on its resolution lattice"),
        ({"FEC_wt_pct": 12}, r"within \[0, 10\]"),
        ({"MEMA": 30}, "unknown parameter 'MEMA'"),
        ({"porosity": "high"}, "expected a number"),
    ]:
        with pytest.raises(ValueError, match=message):
            SPACE.restrict(fixed)
        with pytest.raises(DataError, match=message):  # one of optiform's errors
            SPACE.restrict(fixed)


def test_restricted_space_keeps_fixed_values_everywhere() -> None:
    r = SPACE.restrict({"framework": "LLZT", "FEC_wt_pct": 5})
    assert r.to_model(SPACE.space_filling(3, seed=1)).shape == SPACE.to_model(SPACE.space_filling(3, seed=1)).shape
    design = r.space_filling(12, seed=0)
    assert (design["framework"] == "LLZT").all() and (design["FEC_wt_pct"] == 5.0).all()
    assert len(r.categorical_fixings()) == 1
    near = r.neighbours(design.iloc[0])
    assert len(near) and (near["FEC_wt_pct"] == 5.0).all() and (near["framework"] == "LLZT").all()
    j = len(r.components) + list(r.continuous).index("FEC_wt_pct")
    assert r.model_bounds()[0, j] == r.model_bounds()[1, j] == 0.5
    assert SPACE.restrict(None) is SPACE


@pytest.mark.parametrize("strategy", ["botorch", "random", "sobol"])
def test_propose_keeps_fixed_parameters_and_learns_from_all(make_campaign: MakeCampaign, strategy: str) -> None:
    c = make_campaign(seed=3)
    first = c.propose(16, fixed={"framework": "glass_fiber"})
    assert (first["framework"] == "glass_fiber").all()
    c.record(VirtualLab(seed=3).measure(first)[["id", "conductivity_mS_cm", "solid", "status", "note"]])
    batch = c.propose(4, strategy=strategy, fixed={"framework": "LLZT", "porosity": 0.75})
    assert (batch["framework"] == "LLZT").all() and (batch["porosity"] == 0.75).all()
    assert SPACE.satisfies(batch.drop(columns="id")).all()


def test_strategy_that_ignores_fixed_is_an_error(make_campaign: MakeCampaign) -> None:
    c = make_campaign()
    with pytest.raises(ValueError, match="does not support fixed"):
        c.propose(2, strategy="grid", fixed={"framework": "glass_fiber"})
    assert len(c.formulations()) == 0  # nothing stored


def test_cli_fix_option(store_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--store", store_url, "init", str(example_spec_path())]).exit_code == 0
    ok = runner.invoke(
        app, ["--store", store_url, "propose", "-n", "3", "--fix", "framework=glass_fiber", "--fix", "FEC_wt_pct=5"]
    )
    assert ok.exit_code == 0, ok.output
    c = Campaign.open(store_url)
    f = c.formulations()
    assert (f["framework"] == "glass_fiber").all() and (f["FEC_wt_pct"] == 5.0).all()
    c.close()
    bad = runner.invoke(app, ["--store", store_url, "propose", "--fix", "framework"])
    assert bad.exit_code == 1 and "expected NAME=VALUE" in bad.output
    bad = runner.invoke(app, ["--store", store_url, "propose", "--fix", "framework=wood"])
    assert bad.exit_code == 1 and "expected one of LLZT, glass_fiber" in bad.output


@pytest.mark.slow
def test_transfer_kernel_spec_fit_and_propose(make_campaign: MakeCampaign) -> None:
    from gpytorch.kernels import AdditiveKernel

    from optiform.spec import ModelSpec, SpecError, parse_spec

    spec = load_spec(example_spec_path())
    assert spec.model.kernel == "rbf"
    transfer = spec.model_copy(update={"model": ModelSpec(kernel="transfer")})
    assert parse_spec(transfer.model_dump()).model.kernel == "transfer"  # round trip
    bad = transfer.model_dump()
    bad["parameters"] = {k: v for k, v in bad["parameters"].items() if "choices" not in v}
    with pytest.raises(SpecError, match=r"model\.kernel: kernel 'transfer' needs a categorical parameter"):
        parse_spec(bad)
    bad = spec.model_dump()
    bad["model"] = {"kernel": "cosine"}
    with pytest.raises(SpecError, match=r"model\.kernel"):
        parse_spec(bad)

    c = make_campaign(transfer, seed=4)
    gf = c.propose(16, strategy="sobol", fixed={"framework": "glass_fiber"})
    c.record(VirtualLab(seed=4).measure(gf)[["id", "conductivity_mS_cm", "solid", "status", "note"]])
    model = c.surrogate().model
    assert isinstance(model.covar_module, AdditiveKernel) and len(model.covar_module.kernels) == 2
    onehot = [d for dims in c.space.onehot_dims.values() for d in dims]
    specific = model.covar_module.kernels[1].base_kernel.kernels[1]
    assert specific.active_dims.tolist() == onehot  # the choice-specific part acts on the one-hot columns
    batch = c.propose(4, fixed={"framework": "LLZT"})
    assert (batch["framework"] == "LLZT").all()
