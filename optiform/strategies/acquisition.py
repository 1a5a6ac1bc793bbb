"""Acquisition functions for the model-based strategy, built from a :class:`ProposalContext`.

One objective: qLogNoisyExpectedImprovement on the objective's GP (latent scale: ln y for log
objectives), conditioned on pending points. With a declared pass/fail outcome (``[feasibility]``)
the log-acquisition gets Σ_q log P(feasible) added (:class:`FeasibilityWeighted`), i.e. the
expected improvement is weighted by the probability that the batch passes.
"""

from __future__ import annotations

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.acquisition.objective import LinearMCObjective

from ..models.gp import DTYPE
from .base import ProposalContext


class FeasibilityWeighted(AcquisitionFunction):
    """log-acquisition + Σ_q log P(feasible): P = Φ(μ/σ) of the feasibility GP's latent (pass > 0).

    Adding the log-probability to qLogNEI multiplies the expected improvement by the probability
    that every point of the q-batch passes (taken as independent); it is differentiable, so SLSQP
    optimizes it like the plain acquisition.
    """

    def __init__(self, acq: AcquisitionFunction, feasibility_model) -> None:
        super().__init__(model=acq.model)
        self.acq = acq
        self.feasibility_model = feasibility_model

    @property
    def X_pending(self) -> torch.Tensor | None:
        return self.acq.X_pending

    def set_X_pending(self, X_pending: torch.Tensor | None = None) -> None:
        self.acq.set_X_pending(X_pending)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        post = self.feasibility_model.posterior(X)
        z = post.mean / post.variance.clamp_min(1e-12).sqrt()
        return self.acq(X) + torch.special.log_ndtr(z).sum(dim=(-2, -1))


def build_acquisition(ctx: ProposalContext, X_pending: torch.Tensor | None) -> AcquisitionFunction:
    """The acquisition to maximize (a log-scale value per q-batch), conditioned on ``X_pending``
    (model coordinates). Fits the models through the context's callables (cached there)."""
    surrogate = ctx.surrogate()
    sign = 1.0 if surrogate.objective.maximize else -1.0
    acq = qLogNoisyExpectedImprovement(
        model=surrogate.model,
        X_baseline=surrogate.train_X,
        X_pending=X_pending,
        objective=LinearMCObjective(weights=torch.tensor([sign], dtype=DTYPE)),
        prune_baseline=True,
    )
    feas = ctx.feasibility()
    return acq if feas is None else FeasibilityWeighted(acq, feas.model)
