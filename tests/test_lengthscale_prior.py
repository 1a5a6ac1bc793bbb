"""The surrogate's length-scale prior (``[model] lengthscale_prior``): a dimension-scaled Gamma
(light tails) or botorch's log-normal, with the same mode."""

from __future__ import annotations

import math

import pytest
import torch
from gpytorch.kernels import MaternKernel, RBFKernel
from gpytorch.priors import GammaPrior, LogNormalPrior

from optiform.bench.problems import ternary_spec
from optiform.bench.variants import parse_strategy
from optiform.errors import SpecError
from optiform.models.gp import fit_gp, lengthscale_prior_of, scaled_kernel
from optiform.spec import load_spec, parse_spec


@pytest.mark.parametrize("d", [1, 3, 9])
def test_both_priors_share_the_dimension_scaled_mode(d: int) -> None:
    mode = math.exp(math.sqrt(2) - 3) * math.sqrt(d)
    gamma, lognormal = scaled_kernel(d, prior="gamma"), scaled_kernel(d, prior="lognormal")
    assert isinstance(gamma.lengthscale_prior, GammaPrior)
    assert isinstance(lognormal.lengthscale_prior, LogNormalPrior)
    for kernel in (gamma, lognormal):
        assert isinstance(kernel, RBFKernel) and kernel.lengthscale.shape[-1] == d
        assert torch.allclose(kernel.lengthscale, torch.full((1, d), mode, dtype=kernel.lengthscale.dtype), rtol=1e-4)
    # the Gamma's density peaks at the mode
    grid = torch.linspace(0.5 * mode, 2.0 * mode, 301)
    assert abs(float(grid[gamma.lengthscale_prior.log_prob(grid).argmax()]) - mode) < 0.01 * mode
    # and its tail is far lighter: at 20x the mode it is e^-20 or more below the log-normal's
    far = torch.tensor(20.0 * mode)
    assert float(lognormal.lengthscale_prior.log_prob(far) - gamma.lengthscale_prior.log_prob(far)) > 20.0
    matern = scaled_kernel(d, rbf=False, prior="gamma")
    assert isinstance(matern, MaternKernel) and matern.nu == 2.5
    with pytest.raises(ValueError, match="prior must be one of gamma, lognormal, got 'cauchy'"):
        scaled_kernel(d, prior="cauchy")


def test_the_gamma_prior_keeps_an_unseen_input_in_view() -> None:
    """Ten points in 9 inputs, the response a function of the first: under the log-normal prior the
    length scales of the inputs it does not depend on run to over 4x the mode; under the Gamma prior
    they stay within 2x."""
    generator = torch.Generator().manual_seed(0)
    X = torch.rand(10, 9, generator=generator, dtype=torch.float64)
    Y = torch.sin(6.0 * X[:, :1])
    bounds = torch.stack([torch.zeros(9), torch.ones(9)]).to(torch.float64)
    longest = {
        prior: float(fit_gp(X, Y, bounds, prior=prior).covar_module.lengthscale.detach().max())
        for prior in ("gamma", "lognormal")
    }
    mode = math.exp(math.sqrt(2) - 3) * 3.0
    assert longest["gamma"] < 2.0 * mode and longest["lognormal"] > 4.0 * mode, longest


def test_the_prior_is_a_model_option_and_a_bench_variant_key() -> None:
    base = load_spec(ternary_spec())
    assert (base.model.lengthscale_prior, base.model.constraint_lengthscale_prior) == ("gamma", "lognormal")
    # called without a prior, the kernel builders follow the campaign's default for objectives
    assert isinstance(scaled_kernel(3).lengthscale_prior, GammaPrior)
    spec = base.model_copy(update={"model": base.model.model_copy(update={"lengthscale_prior": "lognormal"})})
    assert parse_spec(spec.model_dump()).model.lengthscale_prior == "lognormal"  # round trip
    data = base.model_dump()
    data["model"] = {"lengthscale_prior": "wide"}
    with pytest.raises(SpecError, match="lengthscale_prior"):
        parse_spec(data)
    variant = parse_strategy("botorch[lengthscale_prior=lognormal,exploit=2]")
    assert variant.apply(base).model.lengthscale_prior == "lognormal"
    assert variant.apply(base).model.kernel == "rbf"
    with pytest.raises(ValueError, match="lengthscale_prior must be one of gamma, lognormal, got 'wide'"):
        parse_strategy("botorch[lengthscale_prior=wide]")


def test_objectives_and_constrained_quantities_take_their_own_prior(make_campaign) -> None:  # type: ignore[no-untyped-def]
    """The objective's model under ``lengthscale_prior`` (Gamma by default), a constrained quantity
    that is not an objective under ``constraint_lengthscale_prior`` (log-normal by default)."""
    text = (
        'version = 1\nname = "c"\n[mixture]\ntotal = 100\nresolution = 1\n[mixture.components]\n'
        "A = { min = 10, max = 80 }\nB = { min = 10, max = 80 }\nC = { min = 0, max = 50 }\n"
        '[[objectives]]\nname = "conductivity_mS_cm"\n'
        '[[outcome_constraints]]\nname = "oxidation_onset_V"\nmin = 4.5\n'
    )
    c = make_campaign(text)
    assert lengthscale_prior_of(c.spec, "conductivity_mS_cm") == "gamma"
    assert lengthscale_prior_of(c.spec, "oxidation_onset_V") == "lognormal"
    batch = c.propose(6)
    a = batch["A"].to_numpy(float) / 100
    c.record(batch[["id"]].assign(conductivity_mS_cm=1 + a, oxidation_onset_V=4 + 1.2 * a), force=True)
    assert isinstance(c.surrogate("conductivity_mS_cm").model.covar_module.lengthscale_prior, GammaPrior)
    assert isinstance(c.surrogate("oxidation_onset_V").model.covar_module.lengthscale_prior, LogNormalPrior)
    swapped = c.spec.model.model_copy(
        update={"lengthscale_prior": "lognormal", "constraint_lengthscale_prior": "gamma"}
    )
    spec = c.spec.model_copy(update={"model": swapped})
    assert lengthscale_prior_of(spec, "conductivity_mS_cm") == "lognormal"
    assert lengthscale_prior_of(spec, "oxidation_onset_V") == "gamma"
