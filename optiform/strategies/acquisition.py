"""Acquisition functions for the model-based strategy, built from a :class:`ProposalContext`.

Every acquisition returns a log-scale value per q-batch and honours ``X_pending`` /
``set_X_pending`` (the strategy optimizes one objective's q-batch jointly and several objectives'
one point at a time); it comes wrapped in :class:`PendingTracked`, whose ``X_pending`` is the
pending points last given.

* **One objective, no outcome constraint:** qLogNoisyExpectedImprovement on the objective's GP
  (latent scale: ln y for log objectives), conditioned on pending points.
* **One objective with outcome constraints** (``[[outcome_constraints]]``): qLogNEI on a
  ``ModelListGP`` of the objective's GP and one GP per constrained quantity, with botorch's
  sample-level ``constraints=`` callables (see below): the expected improvement of the feasible part.
* **Several objectives:** qLogNoisyExpectedHypervolumeImprovement (qLogNEHVI) on a ``ModelListGP``
  of per-objective GPs (plus the constrained quantities' GPs), minimize objectives negated, with the
  reference point of :func:`reference_point`, pruned baseline, cached root decomposition and
  ``NEHVI_MC_SAMPLES`` quasi-MC samples.

Outcome constraints act on posterior samples Z on the model scale (ln y for log quantities): for
``min = a`` the callable is ``(a' - Z_j) / s_j`` and for ``max = b`` it is ``(Z_j - b') / s_j``
(≤ 0 feasible), with a' = ln a for a log quantity (else a) and s_j the standard deviation of the
quantity's observed values on the model scale, so one smoothing temperature ``CONSTRAINT_ETA`` (in
units of s_j) suits quantities of any unit.

With a declared pass/fail outcome (``[feasibility]``) each point's improvement is weighted by its
probability of passing, P from the feasibility GP classifier (:mod:`optiform.models.feasibility`;
:class:`GreedyLogNEI`, :class:`FeasibleQLogNEI`); for qLogNEHVI,
which is optimized one point at a time, the log-acquisition gets log P added
(:class:`FeasibilityWeighted`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
from botorch.acquisition.multi_objective.objective import WeightedMCMultiOutputObjective
from botorch.acquisition.objective import LinearMCObjective
from botorch.models import ModelListGP
from botorch.sampling import SobolQMCNormalSampler

from ..models.gp import DTYPE, Surrogate
from ..spec import ObjectiveSpec, OutcomeConstraintSpec
from .base import ProposalContext

NEHVI_MC_SAMPLES = {2: 128}  # by number of objectives; 3 or more objectives: NEHVI_MC_SAMPLES_MANY
NEHVI_MC_SAMPLES_MANY = 64  # NEHVI keeps one Pareto front and box decomposition per sample
CONSTRAINED_NEI_MC_SAMPLES = 256
CONSTRAINT_ETA = 1e-2  # sigmoid temperature of the constraint indicator, in units of s_j
REFERENCE_MARGIN = 0.1  # reference point: worst observed value minus 10% of the observed range
FLOOR_PENALTY_PER_LOG_P = 100.0  # GreedyLogNEI: nats per unit of log P below ``min_probability``


def feasibility_log_weight(feasibility_model, X: torch.Tensor, power: float, log_floor: float | None) -> torch.Tensor:
    """Per-point log weight of the improvement, (... x q): ``power`` · log P(feasible) and, with a
    floor p_min (``log_floor`` = log p_min), ``FLOOR_PENALTY_PER_LOG_P`` · min(0, log P - log p_min),
    which all but excludes points below the floor."""
    log_p = feasibility_model.log_prob(X)
    weight = power * log_p
    if log_floor is not None:
        weight = weight + FLOOR_PENALTY_PER_LOG_P * (log_p - log_floor).clamp_max(0.0)
    return weight


def log_floor_of(min_probability: float) -> float | None:
    """log p_min, or None for no floor (p_min = 0)."""
    return math.log(min_probability) if min_probability > 0 else None


class PendingTracked(AcquisitionFunction):
    """The wrapped acquisition, reporting as ``X_pending`` the pending points it was last given.

    botorch's incremental qLogNEI folds pending points into its baseline and reports
    ``X_pending = None``, so a caller that reads ``X_pending``, appends its greedy picks and calls
    ``set_X_pending`` (sequential greedy) would silently drop the pending formulations.
    """

    def __init__(self, acq: AcquisitionFunction, X_pending: torch.Tensor | None = None) -> None:
        super().__init__(model=acq.model)
        self.acq = acq
        self._pending = None if X_pending is None else X_pending.detach().clone()

    @property  # botorch infers X_pending: Tensor, though it sets it to None too
    def X_pending(self) -> torch.Tensor | None:  # type: ignore[override]
        return self._pending

    def set_X_pending(self, X_pending: torch.Tensor | None = None) -> None:
        self._pending = None if X_pending is None else X_pending.detach().clone()
        self.acq.set_X_pending(X_pending)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.acq(X)


class FeasibilityWeighted(AcquisitionFunction):
    """log-acquisition + Σ_q log P(feasible), P from the feasibility classifier (``log_prob``).

    Adding the log-probability to qLogNEI multiplies the expected improvement by the probability
    that every point of the q-batch passes (taken as independent); it is differentiable, so SLSQP
    optimizes it like the plain acquisition.
    """

    def __init__(
        self, acq: AcquisitionFunction, feasibility_model, feasibility_power: float = 1.0, min_probability: float = 0.0
    ) -> None:
        super().__init__(model=acq.model)
        self.acq = acq
        self.feasibility_model = feasibility_model
        self.feasibility_power = float(feasibility_power)
        self.log_floor = log_floor_of(min_probability)

    @property  # botorch infers X_pending: Tensor, though it sets it to None too
    def X_pending(self) -> torch.Tensor | None:  # type: ignore[override]
        return self.acq.X_pending

    def set_X_pending(self, X_pending: torch.Tensor | None = None) -> None:
        self.acq.set_X_pending(X_pending)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.acq(X) + feasibility_log_weight(
            self.feasibility_model, X, self.feasibility_power, self.log_floor
        ).sum(dim=-1)


class FeasibleQLogNEI(qLogNoisyExpectedImprovement):
    """qLogNEI whose per-sample, per-point log-improvement gets log P_i(feasible) added before the
    reduction over the q points: the batch value is E[max_i P_i · I_i] (smoothed), with
    P_i from the feasibility classifier (``FeasibilityModel.log_prob``).

    For q = 1 this is P(feasible) · EI; for a q-batch each point's improvement is discounted by its
    own probability of passing (not by the probability that the whole batch passes, which would
    push every point of a jointly optimized batch deep into the safe region). The log-probability
    keeps a gradient everywhere, so a point that strays towards the infeasible side is pulled back.
    """

    def __init__(
        self, *args, feasibility_model=None, feasibility_power: float = 1.0, min_probability: float = 0.0, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.feasibility_model = feasibility_model
        self.feasibility_power = float(feasibility_power)
        self.log_floor = log_floor_of(min_probability)

    def _non_reduced_forward(self, X: torch.Tensor) -> torch.Tensor:
        values = super()._non_reduced_forward(X)  # sample x batch x q
        if self.feasibility_model is None:
            return values
        return values + feasibility_log_weight(
            self.feasibility_model, X, self.feasibility_power, self.log_floor
        )  # batch x q


class GreedyLogNEI(AcquisitionFunction):
    """Sum over the q points of each point's log noisy expected *incremental* improvement:

        α(x_1..x_q) = Σ_j [ log E_s[ (f_s(x_j) - m_s,j-1)^+ ] + log P_j(feasible) ]

    with m_s,j-1 = max f_s over the pruned baseline, the pending points and x_1..x_j-1, for joint
    posterior samples f_s (quasi-MC, fixed base samples) of the objective's GP (sign-flipped for
    minimize), ``(·)^+`` smoothed as in qLogNEI (``log_fatplus``, τ = 1e-6), and
    P_j from the feasibility classifier (absent: 1), raised to ``feasibility_power``; with
    ``min_probability`` p_min > 0 each term also gets ``FLOOR_PENALTY_PER_LOG_P`` · min(0, log P_j -
    log p_min), which all but excludes points below the floor.

    The terms are the increments of the q-batch improvement (Σ_j (f_j - m_j-1)^+ = (max_j f_j -
    m_0)^+, so Σ_j E[...] is qNEI); taking the log of each before summing is the sequential-greedy
    criterion (term j is qLogNEI of x_j with x_<j pending) evaluated for the whole batch in one
    posterior call, so the q points can be optimized jointly without the later points' small
    improvements vanishing under the first point's (which happens to the plain joint qLogNEI,
    whose log-sum-exp over the batch gives them no gradient). For q = 1 it equals qLogNEI
    (weighted by P(feasible)).
    """

    def __init__(
        self,
        model,
        X_baseline: torch.Tensor,
        maximize: bool = True,
        feasibility_model=None,
        X_pending: torch.Tensor | None = None,
        mc_samples: int = 128,
        seed: int = 0,
        feasibility_power: float = 1.0,
        min_probability: float = 0.0,
    ) -> None:
        from botorch.acquisition.utils import prune_inferior_points

        super().__init__(model=model)
        self.feasibility_power = float(feasibility_power)
        self.log_floor = log_floor_of(min_probability)
        self.sign = 1.0 if maximize else -1.0
        self.feasibility_model = feasibility_model
        self.sampler = SobolQMCNormalSampler(sample_shape=torch.Size([mc_samples]), seed=seed)
        objective = LinearMCObjective(weights=torch.tensor([self.sign], dtype=DTYPE))
        self.X_baseline = (
            prune_inferior_points(model, X_baseline, objective=objective) if len(X_baseline) > 1 else X_baseline
        )
        self.set_X_pending(X_pending)

    def set_X_pending(self, X_pending: torch.Tensor | None = None) -> None:
        # botorch infers X_pending: Tensor, though it sets it to None too
        self.X_pending = None if X_pending is None else X_pending.detach().clone()  # type: ignore[assignment]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        from botorch.utils.safe_math import log_fatplus, logmeanexp

        reference = self.X_baseline if self.X_pending is None else torch.cat([self.X_baseline, self.X_pending])
        n, q = len(reference), X.shape[-2]
        X_full = torch.cat([reference.expand(*X.shape[:-2], n, X.shape[-1]), X], dim=-2)
        f = self.sign * self.sampler(self.model.posterior(X_full)).squeeze(-1)  # S x batch x (n+q)
        best = f[..., :n].max(dim=-1, keepdim=True).values
        running = torch.cummax(torch.cat([best, f[..., n:]], dim=-1), dim=-1).values[..., :q]  # m_j-1
        tau = 1e-6
        log_ei = logmeanexp(log_fatplus((f[..., n:] - running) / tau) + math.log(tau), dim=0)  # batch x q
        if self.feasibility_model is not None:
            log_ei = log_ei + feasibility_log_weight(self.feasibility_model, X, self.feasibility_power, self.log_floor)
        return log_ei.sum(dim=-1)


class FeasiblePosteriorMean(AcquisitionFunction):
    """Exploitation: the posterior mean of the objective's latent (ln y for log objectives,
    sign-flipped for minimize), plus ``beta`` posterior standard deviations (an optimistic step
    away from the data; 0: pure exploitation), with a penalty below a floor on P(feasible),

        α(x) = ±μ(x) + β·s(x) + λ · min(0, log P(x) - log p_min),   λ = ``PENALTY_PER_LOG_P`` (latent units)

    so the maximizer is the best predicted formulation among those with P ≥ p_min (the penalty is
    differentiable and pulls strays back). Used for one point of a batch (ε-greedy batch BO; see
    De Ath et al., "Greed is good", ACM TELO 2021). q = 1 only.
    """

    PENALTY_PER_LOG_P = 10.0

    def __init__(
        self, model, maximize: bool = True, feasibility_model=None, min_probability: float = 0.5, beta: float = 0.0
    ) -> None:
        super().__init__(model=model)
        self.beta = beta
        self.sign = 1.0 if maximize else -1.0
        self.feasibility_model = feasibility_model
        self.log_floor = math.log(min_probability)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.shape[-2] != 1:
            raise ValueError(f"FeasiblePosteriorMean: q must be 1, got {X.shape[-2]}")
        posterior: Any = self.model.posterior(X)  # a GPyTorchPosterior (mean)
        value = self.sign * posterior.mean.squeeze(-1).squeeze(-1)
        if self.beta:
            value = value + self.beta * posterior.variance.clamp_min(1e-12).sqrt().squeeze(-1).squeeze(-1)
        if self.feasibility_model is not None:
            shortfall = (self.feasibility_model.log_prob(X).squeeze(-1) - self.log_floor).clamp_max(0.0)
            value = value + self.PENALTY_PER_LOG_P * shortfall
        return value


def build_acquisition(
    ctx: ProposalContext,
    X_pending: torch.Tensor | None,
    plain: bool = False,
    feasibility_power: float = 1.0,
    min_probability: float = 0.0,
) -> AcquisitionFunction:
    """The acquisition to maximize (a log-scale value per q-batch), conditioned on ``X_pending``
    (model coordinates). Fits the models through the context's callables (cached there).

    ``plain=True`` (one objective, no outcome constraints) gives what a botorch user would write:
    botorch's qLogNEI over the joint batch, each point's improvement weighted by P(feasible)
    (:class:`FeasibleQLogNEI`) — the reference of the benchmarks."""
    objectives = ctx.objectives or [ctx.objective]
    feas = ctx.feasibility()
    feas_model = feas
    if plain and len(objectives) == 1 and not ctx.outcome_constraints:
        plain_acq = _plain_single_objective(ctx.surrogate(), X_pending, feas_model, feasibility_power, min_probability)
        return PendingTracked(plain_acq, X_pending)
    if len(objectives) == 1 and not ctx.outcome_constraints:
        surrogate = ctx.surrogate()
        greedy = GreedyLogNEI(
            surrogate.model,
            surrogate.train_X,
            surrogate.objective.maximize,
            feas_model,
            X_pending,
            seed=ctx.seed,
            feasibility_power=feasibility_power,
            min_probability=min_probability,
        )
        return PendingTracked(greedy, X_pending)
    acq = PendingTracked(
        _model_list_acquisition(ctx, objectives, X_pending, feas_model, feasibility_power, min_probability), X_pending
    )
    if len(objectives) == 1 or feas_model is None:
        return acq
    return FeasibilityWeighted(
        acq, feas_model, feasibility_power, min_probability
    )  # qLogNEHVI: optimized one point at a time


def _plain_single_objective(
    surrogate: Surrogate,
    X_pending: torch.Tensor | None,
    feasibility_model=None,
    feasibility_power: float = 1.0,
    min_probability: float = 0.0,
):
    """botorch's qLogNEI (joint over the batch), each point's improvement weighted by P(feasible)."""
    sign = 1.0 if surrogate.objective.maximize else -1.0
    return FeasibleQLogNEI(
        model=surrogate.model,
        X_baseline=surrogate.train_X,
        X_pending=X_pending,
        objective=LinearMCObjective(weights=torch.tensor([sign], dtype=DTYPE)),
        prune_baseline=True,
        feasibility_model=feasibility_model,
        feasibility_power=feasibility_power,
        min_probability=min_probability,
    )


def _model_list_acquisition(
    ctx: ProposalContext,
    objectives: list[ObjectiveSpec],
    X_pending: torch.Tensor | None,
    feasibility_model=None,
    feasibility_power: float = 1.0,
    min_probability: float = 0.0,
) -> AcquisitionFunction:
    """qLogNEI (one objective) or qLogNEHVI (several) on a ModelListGP of every objective and
    constrained quantity, with the outcome constraints as sample-level callables."""
    names = list(dict.fromkeys([o.name for o in objectives] + [c.name for c in ctx.outcome_constraints]))
    fitted = ctx.surrogates()
    missing = [n for n in names if n not in fitted]
    if missing:
        raise ValueError(f"ProposalContext.surrogates() has no model of {', '.join(missing)}")
    surrogates = [fitted[n] for n in names]
    model = ModelListGP(*[s.model for s in surrogates])
    X_baseline = torch.unique(torch.cat([s.train_X for s in surrogates]), dim=0)
    observed = {s.objective.name: observed_model_values(s) for s in surrogates}
    constraints = [
        fn
        for c in ctx.outcome_constraints
        for fn in constraint_callables(c, names.index(c.name), fitted[c.name].objective.log, observed[c.name])
    ]
    signs = torch.tensor([1.0 if o.maximize else -1.0 for o in objectives], dtype=DTYPE)
    if len(objectives) == 1:
        weights = torch.zeros(len(names), dtype=DTYPE)
        weights[0] = signs[0]
        return FeasibleQLogNEI(
            model=model,
            feasibility_model=feasibility_model,
            feasibility_power=feasibility_power,
            min_probability=min_probability,
            X_baseline=X_baseline,
            sampler=SobolQMCNormalSampler(sample_shape=torch.Size([CONSTRAINED_NEI_MC_SAMPLES]), seed=ctx.seed),
            objective=LinearMCObjective(weights=weights),
            X_pending=X_pending,
            constraints=constraints or None,
            eta=CONSTRAINT_ETA,
            prune_baseline=True,
            cache_root=True,
        )
    n_samples = NEHVI_MC_SAMPLES.get(len(objectives), NEHVI_MC_SAMPLES_MANY)
    ref = reference_point([signs[i] * observed[o.name] for i, o in enumerate(objectives)])
    return qLogNoisyExpectedHypervolumeImprovement(
        model=model,
        ref_point=ref,
        X_baseline=X_baseline,
        sampler=SobolQMCNormalSampler(sample_shape=torch.Size([n_samples]), seed=ctx.seed),
        objective=WeightedMCMultiOutputObjective(weights=signs, outcomes=list(range(len(objectives)))),
        constraints=constraints or None,
        X_pending=X_pending,
        eta=CONSTRAINT_ETA,
        prune_baseline=True,
        cache_root=True,
    )


def observed_model_values(surrogate: Surrogate) -> torch.Tensor:
    """The training values of a surrogate on its model scale (ln y for log quantities), shape (n,)."""
    model: Any = surrogate.model  # torch modules' attributes are dynamic
    y = model.train_targets.detach().unsqueeze(-1)
    transform = getattr(model, "outcome_transform", None)
    if transform is not None:
        y, _ = transform.untransform(y)
    return y.squeeze(-1)


def reference_point(signed_values: list[torch.Tensor]) -> torch.Tensor:
    """NEHVI reference point, one entry per objective, on the model scale in the maximize sense
    (minimize objectives negated): the worst observed value minus ``REFERENCE_MARGIN`` (10%) of the
    observed range, ``r_i = min_n y_ni - 0.1 (max_n y_ni - min_n y_ni)`` (a range of 0 takes 0.1·max(|y|, 1)
    instead), so every observed formulation, even the worst, adds hypervolume."""
    ref = []
    for y in signed_values:
        lo, hi = float(y.min()), float(y.max())
        span = hi - lo if hi > lo else max(abs(lo), 1.0)
        ref.append(lo - REFERENCE_MARGIN * span)
    return torch.tensor(ref, dtype=DTYPE)


def constraint_callables(
    constraint: OutcomeConstraintSpec, output: int, log: bool, observed: torch.Tensor
) -> list[Callable[[torch.Tensor], torch.Tensor]]:
    """botorch constraint callables (samples ``... x q x m`` -> ``... x q``, ≤ 0 feasible) for the
    quantity at model output ``output``; thresholds on the model scale (ln for ``log``), slack
    divided by the observed standard deviation on that scale (1 when it is not defined)."""
    sd = float(observed.std()) if observed.numel() > 1 else 0.0
    scale = sd if math.isfinite(sd) and sd > 1e-9 else 1.0
    out: list[Callable[[torch.Tensor], torch.Tensor]] = []

    def below(a: float) -> Callable[[torch.Tensor], torch.Tensor]:
        return lambda Z: (a - Z[..., output]) / scale

    def above(b: float) -> Callable[[torch.Tensor], torch.Tensor]:
        return lambda Z: (Z[..., output] - b) / scale

    if constraint.min is not None:
        out.append(below(math.log(constraint.min) if log else constraint.min))
    if constraint.max is not None:
        out.append(above(math.log(constraint.max) if log else constraint.max))
    return out
