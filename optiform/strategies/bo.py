"""Default strategy: space-filling start, then a GP with qLogNoisyExpectedImprovement (botorch).

While fewer than ``n_initial`` formulations have results the batch is a space-filling design.
After that the objective's GP (see :mod:`optiform.models.gp`) and qLogNEI propose the batch:
optimized over the model coordinates with the mixture-sum equality constraint, per combination of
categorical choices (one-hot columns fixed) (``optimize_acqf_mixed``), sequentially greedy over the q points, conditioned on
pending formulations, and weighted by the probability of feasibility (:class:`FeasibilityWeighted`)
when the campaign declares a pass/fail outcome (``[feasibility]``, see :mod:`optiform.models.feasibility`); restarts start from the best of a raw space-filling sample (the
polytope sampler botorch would use for the equality constraint is slow). Each proposal is rounded to the lattice; one that lands within one step of an
existing formulation (or of a batch-mate) is replaced by the lattice neighbour with the highest
acquisition value that does not.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch
from botorch.optim import optimize_acqf

from ..models.gp import DTYPE, to_tensor
from .acquisition import build_acquisition
from .base import ProposalContext, Strategy, blocked_points

DEFAULTS = {"num_restarts": 8, "raw_samples": 256, "maxiter": 200}


class BotorchStrategy(Strategy):
    """GP + qLogNEI with the sum constraint; options: num_restarts, raw_samples, maxiter."""

    name = "botorch"

    def propose(self, n: int, ctx: ProposalContext) -> pd.DataFrame:
        if ctx.n_results < ctx.n_initial or ctx.n_results < 2:
            return ctx.space.space_filling(n, seed=ctx.seed, existing=blocked_points(ctx))
        torch.manual_seed(ctx.seed)
        pending = self._pending_X(ctx)
        acq = build_acquisition(ctx, pending)
        raw = self._optimize(acq, n, ctx)
        batch = ctx.space.round(ctx.space.from_model(raw.numpy()))
        return self._repair(batch, ctx, pending, n)

    # --- pieces ------------------------------------------------------------------------------
    @staticmethod
    def _pending_X(ctx: ProposalContext) -> torch.Tensor | None:
        if not len(ctx.pending):
            return None
        return to_tensor(ctx.space.to_model(ctx.pending))

    def _optimize(self, acq, q: int, ctx: ProposalContext) -> torch.Tensor:
        """Sequential greedy: for each of the q points and each combination of categorical choices,
        start SLSQP (sum constraint, one-hot columns fixed) from the best raw space-filling
        points, keep the best, add it to the pending points and go on."""
        space = ctx.space
        opts = {**DEFAULTS, **self.options}
        bounds = to_tensor(space.model_bounds())
        k = len(space.components)
        equality = [(torch.arange(k), torch.ones(k, dtype=DTYPE), 1.0)]
        raw = to_tensor(space.to_model(space.sample_uniform(int(opts["raw_samples"]), seed=ctx.seed)))
        base_pending = acq.X_pending
        chosen: list[torch.Tensor] = []
        for _ in range(q):
            best_x, best_v = None, -np.inf
            for fixing in space.categorical_fixings():
                start = raw.clone()
                for dim, value in fixing.items():
                    start[:, dim] = value
                with torch.no_grad():
                    values = acq(start.unsqueeze(1))
                top = start[values.topk(min(int(opts["num_restarts"]), len(start))).indices].unsqueeze(1)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # SLSQP and restart notices
                    x, v = optimize_acqf(
                        acq_function=acq,
                        bounds=bounds,
                        q=1,
                        num_restarts=top.shape[0],
                        batch_initial_conditions=top,
                        equality_constraints=equality,
                        fixed_features=fixing or None,
                        options={"batch_limit": 1, "maxiter": int(opts["maxiter"])},
                    )
                if float(v) > best_v:
                    best_x, best_v = x.detach(), float(v)
            chosen.append(best_x)
            stacked = torch.cat(chosen)
            acq.set_X_pending(stacked if base_pending is None else torch.cat([base_pending, stacked]))
        acq.set_X_pending(base_pending)
        return torch.cat(chosen)

    def _repair(
        self,
        batch: pd.DataFrame,
        ctx: ProposalContext,
        pending: torch.Tensor | None,
        n: int,
    ) -> pd.DataFrame:
        """Keep rounded proposals that are new; move the others to their best new lattice neighbour."""
        space = ctx.space
        blocked = blocked_points(ctx)
        kept: list[pd.Series] = []
        for _, row in batch.iterrows():
            taken = pd.concat([blocked, pd.DataFrame(kept)], ignore_index=True) if kept else blocked
            if not len(taken) or not space.too_close(row.to_frame().T, taken).any():
                kept.append(row)
                continue
            options = space.distinct(space.neighbours(row), taken, n=10**6)
            if len(options):
                kept.append(self._best_by_acquisition(options, kept, ctx, pending).squeeze())
        out = pd.DataFrame(kept, columns=space.variables).reset_index(drop=True)
        if len(out) < n:  # nothing new nearby: fill with space-filling points
            taken = pd.concat([blocked, out], ignore_index=True)
            out = pd.concat([out, space.space_filling(n - len(out), seed=ctx.seed, existing=taken)], ignore_index=True)
        for name in space.components + list(space.continuous):
            out[name] = out[name].astype(float)
        return out

    def _best_by_acquisition(self, options, kept, ctx, pending) -> pd.DataFrame:
        space = ctx.space
        X_kept = to_tensor(space.to_model(pd.DataFrame(kept))) if kept else None
        X_pend = X_kept if pending is None else (pending if X_kept is None else torch.cat([pending, X_kept]))
        acq = build_acquisition(ctx, X_pend)
        with torch.no_grad():
            values = acq(to_tensor(space.to_model(options)).unsqueeze(1)).numpy()
        return options.iloc[[int(np.argmax(values))]]
