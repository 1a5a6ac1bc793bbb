"""The default strategy's Thompson-sampling points (option ``explore``) and the Matérn kernel
(``[model] kernel = "matern"``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from gpytorch.kernels import MaternKernel, RBFKernel

from optiform import Campaign
from optiform.bench.problems import ternary_spec
from optiform.models.gp import fit_surrogate
from optiform.sim import VirtualLab
from optiform.space import Space
from optiform.spec import ModelSpec, load_spec, parse_spec
from optiform.strategies import get_strategy
from optiform.strategies.bo import BotorchStrategy

COLUMNS = ["id", "conductivity_mS_cm", "solid", "status", "note"]
MakeCampaign = Callable[..., Campaign]


def _with(spec, kernel: str | None = None, **options):  # type: ignore[no-untyped-def]
    update = {"strategy": spec.strategy.model_copy(update={"options": {**spec.strategy.options, **options}})}
    if kernel:
        update["model"] = ModelSpec(kernel=kernel)
    return spec.model_copy(update=update)


def _measured(make_campaign: MakeCampaign, spec, seed: int = 0, n: int = 12, name: str = "run") -> Campaign:  # type: ignore[no-untyped-def]
    c = make_campaign(spec, seed=seed, name=name)
    lab = VirtualLab(seed=seed, failure_rate=0.0)
    c.record(lab.measure(c.propose(n))[COLUMNS])
    return c


def test_explore_options_are_checked() -> None:
    assert get_strategy("botorch", {"explore": 2}).options.explore == 2
    with pytest.raises(ValueError, match=r"explore must be a whole number of points >= 0, got -1"):
        get_strategy("botorch", {"explore": -1})
    with pytest.raises(ValueError, match=r"explore_pool must be a whole number >= 16, got 4"):
        get_strategy("botorch", {"explore_pool": 4})


def test_thompson_points_are_distinct_pool_points_that_pass(make_campaign: MakeCampaign, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each Thompson point is the maximizer of one posterior sample over the pool's points with
    P(solid) >= 0.5, the points are distinct, and the batch proposes them (rounded)."""
    spec = _with(load_spec(ternary_spec()), explore=2, explore_pool=256)
    c = _measured(make_campaign, spec, seed=1)
    chosen: list[torch.Tensor] = []
    pools: list[torch.Tensor] = []
    real_thompson, real_pool = BotorchStrategy._thompson, BotorchStrategy._pool

    def thompson(self, ctx, opts, k):  # type: ignore[no-untyped-def]
        out = real_thompson(self, ctx, opts, k)
        chosen.append(out)
        return out

    def pool(cls_or_self, ctx, size):  # type: ignore[no-untyped-def]
        out = real_pool(ctx, size)
        if size == 256:
            pools.append(out)
        return out

    monkeypatch.setattr(BotorchStrategy, "_thompson", thompson)
    monkeypatch.setattr(BotorchStrategy, "_pool", classmethod(lambda cls, ctx, size: pool(cls, ctx, size)))
    batch = c.propose(4)
    (points,) = chosen
    assert points.shape[0] == 2 and not torch.equal(points[0], points[1])
    space = Space(spec)
    for point in points:
        assert bool((pools[0] == point).all(dim=1).any())  # a point of the pool
    made = space.round(space.from_model(points.numpy()))
    P = c.predict(made)["P_solid"].to_numpy()
    assert (P >= 0.45).all()  # the rounding of a pool point with P >= 0.5 (the floor)
    proposed = {tuple(r) for r in batch[space.variables].to_numpy().round(6)}
    assert {tuple(r) for r in made[space.variables].to_numpy().round(6)} <= proposed
    assert len(batch.drop(columns="id").drop_duplicates()) == 4


def test_explore_changes_the_batch_and_zero_is_the_default(make_campaign: MakeCampaign) -> None:
    base = load_spec(ternary_spec())
    assert get_strategy("botorch").options.explore == 0
    plain = _measured(make_campaign, base, seed=2).propose(4)
    explored = _measured(make_campaign, _with(base, explore=2), seed=2, name="explored").propose(4)
    cols = Space(base).variables
    assert not np.array_equal(plain[cols].to_numpy(), explored[cols].to_numpy())


def test_matern_kernel_is_parsed_and_fitted(make_campaign: MakeCampaign) -> None:
    base = load_spec(ternary_spec())
    spec = _with(base, kernel="matern")
    assert parse_spec(spec.model_dump()).model.kernel == "matern"  # round trip
    c = _measured(make_campaign, spec, seed=0)
    space = Space(spec)
    train = c.data()
    train = train[train["status"] == "ok"][[*space.variables, "conductivity_mS_cm"]]
    kernel = fit_surrogate(space, train, spec.objectives[0]).model.covar_module
    assert isinstance(kernel, MaternKernel) and kernel.nu == 2.5 and kernel.lengthscale.shape[-1] == 3
    rbf = fit_surrogate(Space(base), train, base.objectives[0]).model.covar_module
    assert isinstance(rbf, RBFKernel)
    batch = c.propose(4)
    assert len(batch) == 4 and space.satisfies(batch.drop(columns="id")).all()


def test_exploit_beta_adds_posterior_standard_deviations() -> None:
    from botorch.models import SingleTaskGP

    from optiform.strategies.acquisition import FeasiblePosteriorMean

    torch.manual_seed(0)
    X = torch.rand(8, 2, dtype=torch.float64)
    model = SingleTaskGP(X, (X.sum(-1, keepdim=True) - 1.0) ** 2)
    model.eval()
    points = torch.rand(5, 1, 2, dtype=torch.float64)
    with torch.no_grad():
        post = model.posterior(points)
        mean, sd = post.mean.squeeze(), post.variance.sqrt().squeeze()
        assert torch.allclose(FeasiblePosteriorMean(model)(points), mean)
        assert torch.allclose(FeasiblePosteriorMean(model, beta=1.5)(points), mean + 1.5 * sd)
        assert torch.allclose(FeasiblePosteriorMean(model, maximize=False, beta=1.5)(points), -mean + 1.5 * sd)
    assert get_strategy("botorch", {"exploit_beta": 1}).options.exploit_beta == 1.0
    with pytest.raises(ValueError, match=r"exploit_beta must be a number >= 0, got -1"):
        get_strategy("botorch", {"exploit_beta": -1})
