"""The default strategy's optimizer and acquisition: exact projections, projected ascent,
GreedyLogNEI's decomposition, the feasibility classifier, and subset hyperparameter fits."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import torch
from botorch.sampling import SobolQMCNormalSampler
from scipy.optimize import minimize

from optiform import Campaign
from optiform.bench.problems import ternary_spec
from optiform.models import gp
from optiform.models.feasibility import MODERATION_VARIANCE_CAP, fit_feasibility
from optiform.models.gp import compute_threads, fit_surrogate, to_tensor
from optiform.sim import VirtualLab, is_solid
from optiform.space import Space
from optiform.spec import example_spec_path, load_spec
from optiform.strategies import get_strategy
from optiform.strategies.acquisition import FLOOR_PENALTY_PER_LOG_P, FeasibilityWeighted, FeasibleQLogNEI, GreedyLogNEI
from optiform.strategies.optimize import PolytopeProjection, bounded_simplex_projection, maximize_projected

SPEC = load_spec(example_spec_path())
SPACE = Space(SPEC)
COLUMNS = ["id", "conductivity_mS_cm", "solid", "status", "note"]
MakeCampaign = Callable[..., Campaign]


def _qp(
    v: np.ndarray, lo: np.ndarray, hi: np.ndarray, A: np.ndarray | None = None, b: np.ndarray | None = None
) -> np.ndarray:
    """Reference Euclidean projection by SLSQP (mixture columns are the first len(lo) ones)."""
    cons = [{"type": "eq", "fun": lambda z: z[:3].sum() - 1.0}]
    if A is not None:
        cons.append({"type": "ineq", "fun": lambda z: A @ z - b})
    res = minimize(
        lambda z: ((z - v) ** 2).sum(),
        np.clip(v, lo, hi),
        jac=lambda z: 2 * (z - v),
        bounds=list(zip(lo, hi)),
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    return res.x


def test_bounded_simplex_projection_is_exact() -> None:
    rng = np.random.default_rng(0)
    lo, hi = np.array([0.1, 0.2, 0.05]), np.array([0.7, 0.7, 0.35])
    V = rng.normal(0.33, 0.5, (40, 3))
    P = bounded_simplex_projection(V, lo, hi, 1.0)
    assert np.allclose(P.sum(axis=1), 1.0, atol=1e-12) and (P >= lo - 1e-12).all() and (P <= hi + 1e-12).all()
    for v, p in zip(V, P):
        assert np.allclose(p, _qp(v, lo, hi), atol=1e-6)
    assert np.allclose(bounded_simplex_projection(P, lo, hi, 1.0), P, atol=1e-12)  # idempotent


def test_polytope_projection_with_linear_constraints_matches_qp() -> None:
    spec = SPEC.model_copy(update={"constraints": ["SN - 2*MEMA <= 10", "salt >= 0.2*SN"]})
    space = Space(spec)
    held = [d for dims in space.onehot_dims.values() for d in dims]
    proj = PolytopeProjection(
        space.model_bounds(), space.mixture_dims, held=held, inequalities=space.model_inequalities()
    )
    X = to_tensor(space.to_model(space.sample_uniform(30, seed=2)))
    Y = X + 0.2 * torch.randn(X.shape, generator=torch.Generator().manual_seed(0), dtype=X.dtype)
    P = proj(Y, held_values=X[:, held])
    assert np.all(space.satisfies(space.from_model(P.numpy()), tol=1e-6))
    assert torch.equal(P[:, held], X[:, held])
    lo, hi = space.model_bounds()
    free = [i for i in range(X.shape[1]) if i not in held]
    A = np.zeros((0, len(free)))
    b = np.zeros(0)
    for idx, coef, rhs in space.model_inequalities():
        row = np.zeros(len(free))
        row[[free.index(int(i)) for i in idx]] = coef
        A, b = np.vstack([A, row]), np.append(b, rhs)
    for y, p in zip(Y.numpy()[:8], P.numpy()[:8]):
        assert np.allclose(p[free], _qp(y[free], lo[free], hi[free], A, b), atol=1e-5)


def test_projected_ascent_finds_the_constrained_maximum() -> None:
    """max -‖x - c‖² over the bounded simplex: the answer is the projection of c."""
    lo, hi = np.array([0.1, 0.2, 0.05]), np.array([0.7, 0.7, 0.35])
    c = torch.tensor([0.9, 0.05, 0.3], dtype=torch.float64)

    def acq(X: torch.Tensor) -> torch.Tensor:
        return -((X - c) ** 2).sum(dim=(-2, -1))

    starts = to_tensor(np.array([[[0.2, 0.5, 0.3]], [[0.6, 0.3, 0.1]], [[0.3, 0.4, 0.3]]]))
    X, values = maximize_projected(acq, starts, PolytopeProjection(np.array([lo, hi]), [0, 1, 2]), maxiter=200)
    expected = bounded_simplex_projection(c.numpy()[None], lo, hi, 1.0)[0]
    assert np.allclose(X[int(values.argmax()), 0].numpy(), expected, atol=2e-3)


@pytest.fixture(scope="module")
def fitted() -> tuple[Campaign, object, object]:
    c = Campaign.create(example_spec_path(), store="sqlite://", seed=5)
    design = c.propose(30, strategy="sobol")
    c.record(VirtualLab(seed=5).measure(design)[COLUMNS])
    with compute_threads(1):
        return c, c.surrogate(), c.feasibility_model()


def test_greedy_log_nei_is_a_sum_of_sequential_terms(fitted) -> None:
    c, surrogate, feas = fitted
    acq = GreedyLogNEI(surrogate.model, surrogate.train_X, feasibility_model=feas, seed=1, feasibility_power=2.0)
    pool = to_tensor(c.space.to_model(c.space.sample_uniform(64, seed=4)))
    with torch.no_grad():  # two promising points: where the log of an expectation is well estimated
        X = pool[acq(pool.unsqueeze(1)).topk(2).indices]
    with torch.no_grad():
        both = acq(X.unsqueeze(0))
        first = acq(X[:1].unsqueeze(0))
        acq.set_X_pending(X[:1])
        second = acq(X[1:].unsqueeze(0))
    assert torch.isfinite(both).all()
    # term 2 uses the same joint samples either way; term 1 differs only by quasi-MC noise
    assert float(both) == pytest.approx(float(first + second), abs=0.05)
    # the feasibility weight enters as power · log P per point
    acq.set_X_pending(None)
    plain = GreedyLogNEI(surrogate.model, surrogate.train_X, seed=1)
    with torch.no_grad():
        diff = acq(X[:1].unsqueeze(0)) - plain(X[:1].unsqueeze(0))
        assert float(diff) == pytest.approx(2.0 * float(feas.log_prob(X[:1]).sum()), abs=1e-9)
    # min_probability: below the floor each point loses FLOOR_PENALTY_PER_LOG_P per unit of log P
    floored = GreedyLogNEI(
        surrogate.model, surrogate.train_X, feasibility_model=feas, seed=1, feasibility_power=2.0, min_probability=0.6
    )
    with torch.no_grad():
        log_p = feas.log_prob(pool)
        low, high = pool[[int(log_p.argmin())]], pool[[int(log_p.argmax())]]
        assert float(log_p.min()) < np.log(0.6) < float(log_p.max())
        for x in (low, high):
            shortfall = min(0.0, float(feas.log_prob(x).sum()) - np.log(0.6))
            expected = float(acq(x.unsqueeze(0))) + FLOOR_PENALTY_PER_LOG_P * shortfall
            assert float(floored(x.unsqueeze(0))) == pytest.approx(expected, abs=1e-9)


def test_probability_floor_applies_to_every_feasibility_weighting(fitted) -> None:
    """``min_probability`` adds FLOOR_PENALTY_PER_LOG_P · min(0, log P - log p_min) per point in the
    plain qLogNEI path (FeasibleQLogNEI) and the one-point-at-a-time wrapper (FeasibilityWeighted)."""
    c, surrogate, feas = fitted
    pool = to_tensor(c.space.to_model(c.space.sample_uniform(64, seed=4)))
    with torch.no_grad():
        log_p = feas.log_prob(pool)
    low = pool[[int(log_p.argmin())]].unsqueeze(0)
    assert float(log_p.min()) < np.log(0.6)
    shortfall = float(log_p.min()) - np.log(0.6)
    base = GreedyLogNEI(surrogate.model, surrogate.train_X, seed=1)
    plain = lambda p_min: FeasibleQLogNEI(  # noqa: E731
        model=surrogate.model,
        X_baseline=surrogate.train_X,
        feasibility_model=feas,
        feasibility_power=2.0,
        min_probability=p_min,
        sampler=SobolQMCNormalSampler(sample_shape=torch.Size([128]), seed=0),
    )
    with torch.no_grad():
        for make in (lambda p_min: FeasibilityWeighted(base, feas, 2.0, p_min), plain):
            diff = float(make(0.6)(low)) - float(make(0.0)(low))
            assert diff == pytest.approx(
                FLOOR_PENALTY_PER_LOG_P * shortfall, rel=1e-4
            )  # qLogNEI smooths its max over q


def test_feasibility_classifier_matches_sklearn_and_the_lab(fitted) -> None:
    c, _, feas = fitted
    test = c.space.round(c.space.sample_uniform(400, seed=11))
    lower, upper = c.space.model_bounds()
    Z = (c.space.to_model(test) - lower) / np.where(upper > lower, upper - lower, 1.0)
    est = feas.classifier.base_estimator_
    K_star = est.kernel_(est.X_train_, Z)  # scikit-learn's latent posterior (Rasmussen & Williams 3.2)
    sk_mean = K_star.T @ (est.y_train_ - est.pi_)
    v = np.linalg.solve(est.L_, est.W_sr_[:, None] * K_star)
    sk_var = est.kernel_.diag(Z) - np.einsum("ij,ij->j", v, v)
    mean, var = feas.latent(to_tensor(c.space.to_model(test)))
    assert np.allclose(mean.numpy(), sk_mean, atol=1e-6) and np.allclose(
        var.numpy(), np.maximum(sk_var, 1e-12), atol=1e-6
    )
    p = feas.probability(test)
    expected = 1 / (1 + np.exp(-sk_mean / np.sqrt(1 + np.pi * np.minimum(sk_var, MODERATION_VARIANCE_CAP) / 8)))
    assert np.allclose(p, expected, atol=1e-9)
    assert np.array_equal(p > 0.5, feas.classifier.predict_proba(Z)[:, 1] > 0.5)  # same side of the boundary
    assert np.mean((p > 0.5) == is_solid(test)) > 0.9
    X = to_tensor(c.space.to_model(test[:5])).requires_grad_(True)
    feas.log_prob(X).sum().backward()
    assert torch.isfinite(X.grad).all() and X.grad.abs().sum() > 0


def test_feasibility_is_confident_where_films_were_made() -> None:
    """Separable labels (a sharp solid/fluid boundary) drive the classifier's amplitude to its bound;
    P must still be near 0 at formulations made and found fluid and near 1 at solid ones (with the
    uncapped Laplace variance the fluid ones sat at P ~ 0.3 and were proposed again)."""
    ternary = Space(load_spec(ternary_spec()))
    points = ternary.round(ternary.sample_uniform(40, seed=4))
    solid = is_solid(points).astype(float)
    feas = fit_feasibility(ternary, points.assign(solid=solid), "solid")
    p = feas.probability(points)
    assert 0 < solid.sum() < len(solid)
    assert np.median(p[solid == 0]) < 0.01 and np.median(p[solid == 1]) > 0.99  # uncapped: 0.12 and 0.83
    assert np.mean(np.abs(p - solid)) < 0.05  # uncapped: 0.18


def test_compute_threads_limits_torch_and_blas() -> None:
    """Fits and proposals run torch and numpy/scipy's BLAS on one thread (two OpenBLAS threads made
    the classifier fit 4x slower), and the previous settings come back afterwards."""
    from threadpoolctl import threadpool_info, threadpool_limits

    torch_saved = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with threadpool_limits(2):
            torch_before = torch.get_num_threads()
            blas_before = [pool["num_threads"] for pool in threadpool_info()]
            assert torch_before == 2 and blas_before and max(blas_before) == 2  # else nothing to limit
            with compute_threads(1):
                assert torch.get_num_threads() == 1
                assert [pool["num_threads"] for pool in threadpool_info()] == [1] * len(blas_before)
            assert torch.get_num_threads() == torch_before
            assert [pool["num_threads"] for pool in threadpool_info()] == blas_before
    finally:
        torch.set_num_threads(torch_saved)


def test_large_data_fits_hyperparameters_on_a_subset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gp, "MAX_FIT_ROWS", 20)
    points = SPACE.round(SPACE.sample_uniform(50, seed=0))
    truth = VirtualLab(seed=0, failure_rate=0.0).measure(points)
    data = points.assign(conductivity_mS_cm=truth["conductivity_mS_cm"], solid=truth["solid"].astype(float))
    with compute_threads(1):
        s = fit_surrogate(SPACE, data[data["solid"] > 0], SPEC.objectives[0])
        f = fit_feasibility(SPACE, data, "solid")
    assert s.model.train_inputs[0].shape[0] == int((data["solid"] > 0).sum())  # conditions on every row
    assert f.classifier.base_estimator_.X_train_.shape[0] == 50
    mu, _ = s.latent(SPACE.to_model(points[truth["solid"]]))
    assert np.corrcoef(mu, np.log(truth.loc[truth["solid"], "conductivity_mS_cm"]))[0, 1] > 0.8


def test_botorch_strategy_options_are_checked() -> None:
    with pytest.raises(ValueError, match=r"unknown option.*num_restart\b"):
        get_strategy("botorch", {"num_restart": 3})
    with pytest.raises(ValueError, match="optimizer must be one of projected, scipy"):
        get_strategy("botorch", {"optimizer": "adam"})
    with pytest.raises(ValueError, match=r"exploit must be a whole number of points >= 0, got -1"):
        get_strategy("botorch", {"exploit": -1})
    with pytest.raises(ValueError, match=r"exploit must be a whole number of points >= 0, got 1\.5"):
        get_strategy("botorch", {"exploit": 1.5})
    with pytest.raises(ValueError, match=r"min_probability must be within \[0, 1\), got 1.0"):
        get_strategy("botorch", {"min_probability": 1.0})
    with pytest.raises(ValueError, match=r"exploit_min_probability must be between 0 and 1, got 1\.5"):
        get_strategy("botorch", {"exploit_min_probability": 1.5})
    # a value that is not a number names the option instead of failing inside float()
    with pytest.raises(ValueError, match="min_spacing must be >= 0 rounding steps, got 'one'"):
        get_strategy("botorch", {"min_spacing": "one"})
    with pytest.raises(ValueError, match="exploit_min_probability must be between 0 and 1, got True"):
        get_strategy("botorch", {"exploit_min_probability": True})
    with pytest.raises(ValueError, match="feasibility_power must be a number >= 0, got nan"):
        get_strategy("botorch", {"feasibility_power": float("nan")})


@pytest.mark.slow
def test_plain_scipy_optimizer_and_constraints_are_respected(make_campaign: MakeCampaign) -> None:
    spec = SPEC.model_copy(
        update={
            "constraints": ["SN - 2*MEMA <= 10", "salt >= 0.2*SN"],
            "strategy": SPEC.strategy.model_copy(update={"n_initial": 10}),
        }
    )
    c = make_campaign(spec, seed=1)
    design = c.propose(10)
    c.record(VirtualLab(seed=1).measure(design)[COLUMNS])
    batch = c.propose(3)
    assert Space(spec).satisfies(batch.drop(columns="id")).all()
    c.record(VirtualLab(seed=2).measure(batch)[COLUMNS])
    c2 = make_campaign(
        spec.model_copy(
            update={
                "strategy": spec.strategy.model_copy(
                    update={"options": {"optimizer": "scipy", "num_restarts": 2, "raw_samples": 32}}
                )
            }
        ),
        seed=1,
        name="scipy",
    )
    c2.record(
        pd.concat([design, batch])
        .assign(**{"id": None})
        .drop(columns="id")
        .assign(
            conductivity_mS_cm=VirtualLab(seed=1)
            .measure(pd.concat([design, batch]))["conductivity_mS_cm"]
            .fillna(0.01)
            .to_numpy()
        )
    )
    plain = c2.propose(2)
    assert len(plain) == 2 and Space(spec).satisfies(plain.drop(columns="id")).all()


@pytest.mark.slow
@pytest.mark.parametrize("exploit", [1, 2])
def test_exploitation_point_is_the_best_predicted_feasible_formulation(
    make_campaign: MakeCampaign, exploit: int
) -> None:
    """The first ``exploit`` points of a default batch maximize the posterior median among
    formulations with P(solid) >= 0.5 (checked against 20 000 random lattice points), and the rest
    of the batch comes from the acquisition with them pending (all distinct)."""
    spec = SPEC.model_copy(update={"strategy": SPEC.strategy.model_copy(update={"options": {"exploit": exploit}})})
    c = make_campaign(spec, seed=3)
    lab = VirtualLab(seed=3, failure_rate=0.0)
    for _ in range(2):
        batch = c.propose(14 if not len(c.data()) else 8)
        c.record(lab.measure(batch)[COLUMNS])
    batch = c.propose(4)
    pred = c.predict(batch)
    cand = SPACE.round(SPACE.sample_uniform(20000, seed=1, sobol=False))
    p = c.predict(cand)
    feasible = p["P_solid"] >= 0.5
    best_median = p.loc[feasible, "conductivity_mS_cm_median"].max()
    first = pred.iloc[:exploit]
    assert (first["P_solid"] >= 0.45).all()  # lattice neighbours of the maximizer may sit slightly below the floor
    assert first["conductivity_mS_cm_median"].iloc[0] >= 0.98 * best_median
    assert (first["conductivity_mS_cm_median"] >= 0.95 * best_median).all()  # the next best lattice neighbours
    assert len(batch.drop(columns="id").drop_duplicates()) == 4
