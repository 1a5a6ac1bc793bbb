"""Peer strategies for the benchmarks: what a user gets from another tool's defaults.

``botorch-defaults`` (:class:`BotorchDefaultsStrategy`) is the loop a user writes with botorch's
defaults and nothing of optiform's modelling:

* the first ``n_initial`` experiments are the same space-filling design as the default strategy's
  (:meth:`optiform.space.Space.space_filling`, a scrambled Sobol sequence, seeded alike);
* then ``SingleTaskGP(train_X, train_Y)`` with botorch's defaults (its ``Standardize`` outcome
  transform, its default priors and likelihood), fitted by ``fit_gpytorch_mll``, on the objective as
  the default strategy models it (``ln y`` for ``transform = "log"`` objectives, negated when
  minimised) and on optiform's model coordinates (mixture fractions of the total, continuous
  parameters scaled to [0, 1] by their range, categorical parameters one-hot), which already lie in
  the unit cube, so no ``Normalize`` input transform is added;
* ``qLogNoisyExpectedImprovement(model, X_baseline=train_X)`` (botorch's defaults: pruned baseline,
  its default Sobol QMC sampler), conditioned on pending formulations;
* ``optimize_acqf`` over the bounds with the mixture sum as an equality constraint and the known
  linear constraints as inequalities, ``sequential=True`` (the joint q-batch optimisation under an
  equality constraint is slow in botorch: minutes per batch), ``num_restarts=10``,
  ``raw_samples=512``; ``optimize_acqf_mixed`` over every combination of categorical choices where
  there are categorical parameters;
* each point rounded to the campaign's lattice (:meth:`Space.round`, the sum kept exact); a point
  that lands on a formulation already made, pending or earlier in the batch is replaced by its
  nearest free lattice neighbour (:meth:`Space.neighbours`), else by the next space-filling point.

It has no pass/fail model: failed experiments (no usable result) are simply dropped from the
training data. Seeded by the campaign's batch seed (``torch.manual_seed``), so a seeded campaign
repeats its proposals.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch

from ..models.gp import DTYPE, model_values, to_tensor
from ..spec import BotorchDefaultsOptions
from .base import MIN_USABLE_RESULTS, ProposalContext, Strategy, blocked_points, in_design

NUM_RESTARTS = 10
RAW_SAMPLES = 512

__all__ = ["NUM_RESTARTS", "RAW_SAMPLES", "BotorchDefaultsStrategy"]


class BotorchDefaultsStrategy(Strategy):
    """botorch's defaults on the campaign's space (see the module docstring); takes no options."""

    name = "botorch-defaults"
    options_model = BotorchDefaultsOptions

    def propose(self, n: int, ctx: ProposalContext) -> pd.DataFrame:
        blocked = blocked_points(ctx)
        if in_design(ctx.n_results, len(ctx.train), ctx.n_initial) or len(ctx.train) < MIN_USABLE_RESULTS:
            return ctx.space.space_filling(n, seed=ctx.seed, existing=blocked)
        torch.manual_seed(ctx.seed)
        X = self.maximize_acquisition(n, ctx)
        cand = ctx.space.round(ctx.space.from_model(X.numpy()))
        return self._distinct(cand, blocked, n, ctx)

    @staticmethod
    def maximize_acquisition(n: int, ctx: ProposalContext) -> torch.Tensor:
        """Fit ``SingleTaskGP`` and maximise qLogNEI for ``n`` points: an (n, d) tensor in model
        coordinates (not rounded)."""
        from botorch.acquisition.logei import qLogNoisyExpectedImprovement
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.optim import optimize_acqf, optimize_acqf_mixed
        from gpytorch.mlls import ExactMarginalLogLikelihood

        space, obj = ctx.space, ctx.objective
        train_X = to_tensor(space.to_model(ctx.train))
        y = model_values(ctx.train[obj.name].to_numpy(float), obj)
        if obj.direction == "minimize":
            y = -y
        train_Y = torch.as_tensor(y, dtype=DTYPE).unsqueeze(-1)
        pending = ctx.pending[space.variables] if len(ctx.pending) else None
        X_pending = to_tensor(space.to_model(pending)) if pending is not None else None
        k = len(space.components)
        equality = [(torch.arange(k), torch.ones(k, dtype=DTYPE), 1.0)]
        inequalities = [
            (torch.as_tensor(i, dtype=torch.long), torch.as_tensor(c, dtype=DTYPE), float(r))
            for i, c, r in space.model_inequalities()
        ]
        bounds = to_tensor(space.model_bounds())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SingleTaskGP(train_X, train_Y)
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            acq = qLogNoisyExpectedImprovement(model, X_baseline=train_X, X_pending=X_pending)
            if space.categorical:
                X, _ = optimize_acqf_mixed(
                    acq_function=acq,
                    bounds=bounds,
                    q=n,
                    num_restarts=NUM_RESTARTS,
                    raw_samples=RAW_SAMPLES,
                    fixed_features_list=space.categorical_fixings(),
                    equality_constraints=equality,
                    inequality_constraints=inequalities or None,
                )
            else:
                X, _ = optimize_acqf(
                    acq,
                    bounds=bounds,
                    q=n,
                    num_restarts=NUM_RESTARTS,
                    raw_samples=RAW_SAMPLES,
                    equality_constraints=equality,
                    inequality_constraints=inequalities or None,
                    sequential=True,
                )
        return X.detach().reshape(n, -1)

    @staticmethod
    def _distinct(cand: pd.DataFrame, blocked: pd.DataFrame, n: int, ctx: ProposalContext) -> pd.DataFrame:
        """The rounded candidates, each on a lattice point of its own: one already taken (made,
        pending or earlier in the batch) goes to its nearest free lattice neighbour; what is still
        missing comes from the space-filling design."""
        space = ctx.space
        kept: list[pd.DataFrame] = []
        taken = blocked.copy()
        for i in range(len(cand)):
            row = cand.iloc[[i]][space.variables].reset_index(drop=True)
            options = [row]
            if len(taken) and space.too_close(row, taken, 0).any():
                near = space.neighbours(row.iloc[0], max_steps=3)
                if len(near):
                    dist = np.abs(space.unit_coordinates(near) - space.unit_coordinates(row)).sum(axis=1)
                    options = [near.iloc[np.argsort(dist, kind="stable")].reset_index(drop=True)]
            pick = space.distinct(options[0], taken, 1, steps=0)
            if len(pick):
                kept.append(pick)
                taken = pd.concat([taken, pick], ignore_index=True)
        batch = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=space.variables)
        if len(batch) < n:
            fill = space.space_filling(n - len(batch), seed=ctx.seed, existing=taken)
            batch = pd.concat([batch, fill], ignore_index=True)
        return batch[space.variables].reset_index(drop=True)
