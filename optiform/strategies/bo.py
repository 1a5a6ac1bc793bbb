"""Default strategy: space-filling start, then a GP and a botorch acquisition function.

While fewer than ``n_initial`` formulations have results, or fewer than two have a usable one (a
design whose films mostly stayed fluid), the batch is a space-filling design.
After that the acquisition of :func:`~optiform.strategies.acquisition.build_acquisition` (qLogNEI
on the objective's GP, weighted by the probability of feasibility when ``[feasibility]`` is
declared; qLogNEHVI for several objectives; outcome constraints) proposes the batch, conditioned on
pending formulations, over the model coordinates (bounds, mixture sum, known linear constraints,
one-hot categorical columns).

Optimizer (option ``optimizer``):

* ``"projected"`` (default): a raw space-filling pool under every combination of categorical
  choices, ``num_restarts`` starting q-batches picked from it, then projected gradient ascent on all
  of them at once (:mod:`optiform.strategies.optimize`). One objective: the q points jointly
  (q-batch acquisition); several objectives: sequentially greedy, one point at a time (qLogNEHVI's
  cost grows as 2^q in q).
* ``"scipy"``: plain botorch — qLogNEI with feasibility as a sample-level outcome constraint
  (``build_acquisition(..., plain=True)``) maximized by ``optimize_acqf_mixed`` (SLSQP, botorch's
  own initial conditions, ``num_restarts``/``raw_samples``) over the categorical combinations; the
  reference the benchmarks compare against.

Exploitation (option ``exploit``, default 1 point): for one objective without outcome constraints
and a batch of two or more, the first point is the best *predicted* formulation with P(feasible) ≥
``exploit_min_probability`` (0.5; :class:`~optiform.strategies.acquisition.FeasiblePosteriorMean`),
and the other n - 1 come from the acquisition with that point pending: the feasibility-weighted
acquisition alone stays well inside the solid region, while the model's own best guess often lies
near the boundary where the optimum is. The point is chosen on the lattice: the continuous
maximizer's rounding and every lattice move of up to two steps from it that is not yet made or
pending, ranked by the same criterion (plain rounding could cross the feasibility boundary or land
on a formulation already made). ``exploit = k`` takes the k best of those candidates (at most
n - 1). ``exploit_beta = β`` makes that point maximize the posterior mean plus β posterior
standard deviations (an optimistic step away from the data).

Exploration (option ``explore``, default 0): that many further points of such a batch by Thompson
sampling — each the best point of one joint posterior sample over ``explore_pool`` space-filling
points with P(feasible) ≥ ``exploit_min_probability``.

Option ``min_probability`` (default 0.6): points of the acquisition with P(feasible) below it are
penalised by ``FLOOR_PENALTY_PER_LOG_P`` (100) per unit of log P below the floor, i.e. excluded
unless their expected improvement outweighs it (a soft floor: a point at 0.55 loses 9 nats, at 0.3
69). Without it the later points of a batch, whose improvement inside the solid region is small,
drift to where the classifier expects a fluid film.

Each proposal is rounded to the lattice; one that lands within ``min_spacing`` rounding steps (in
every variable) of an existing or pending formulation or of a batch-mate is replaced by the lattice
neighbour with the highest acquisition value that does not. The default 0 only forbids the same
lattice point: near the optimum the best formulation is often one step from one already made.

Every option, its default and unit: :class:`optiform.spec.BotorchOptions`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import torch

from ..models.gp import DTYPE, to_tensor
from ..spec import BotorchOptions
from ..spec.strategy import ACQUISITIONS, OPTIMIZERS
from .acquisition import FeasiblePosteriorMean, build_acquisition
from .base import ProposalContext, Strategy, blocked_points, in_design
from .optimize import PolytopeProjection, initial_batches, maximize_projected

DEFAULTS = BotorchOptions().model_dump()  # every option's default, by name

__all__ = ["ACQUISITIONS", "DEFAULTS", "OPTIMIZERS", "BotorchStrategy"]


class BotorchStrategy(Strategy):
    """GP + botorch acquisition (see the module docstring); options :class:`~optiform.spec.BotorchOptions`:
    optimizer, acquisition, num_restarts, raw_samples, maxiter, feasibility_power (α: each point's
    improvement is weighted by P(feasible)^α; default 7, a risk-averse choice — a fluid film is a
    wasted experiment — that halves the value of a point with P = 0.91), exploit,
    exploit_min_probability, min_spacing and min_probability."""

    name = "botorch"
    options_model = BotorchOptions
    options: BotorchOptions

    def propose(self, n: int, ctx: ProposalContext) -> pd.DataFrame:
        if in_design(ctx.n_results, len(ctx.train), ctx.n_initial):
            return ctx.space.space_filling(n, seed=ctx.seed, existing=blocked_points(ctx))
        torch.manual_seed(ctx.seed)
        pending = self._pending_X(ctx)
        opts = self.options
        acq = self._build(ctx, pending)
        if opts.optimizer == "scipy":
            raw = self._optimize_scipy(acq, n, ctx, opts)
        elif len(ctx.objectives) > 1:
            raw = self._optimize_greedy(acq, n, ctx, opts)
        elif self._exploits(n, ctx, opts):
            raw = self._optimize_with_exploit(acq, n, ctx, opts, pending)
        else:
            raw = self._optimize_joint(acq, n, ctx, opts)
        batch = ctx.space.round(ctx.space.from_model(raw.numpy()))
        return self._repair(batch, ctx, acq, pending, n)

    # --- pieces ------------------------------------------------------------------------------
    def _build(self, ctx: ProposalContext, X_pending: torch.Tensor | None):
        opts = self.options
        plain = opts.optimizer == "scipy" or opts.acquisition == "qlognei"  # botorch's qLogNEI
        return build_acquisition(
            ctx,
            X_pending,
            plain=plain,
            feasibility_power=opts.feasibility_power,
            min_probability=opts.min_probability,
        )

    @staticmethod
    def _pending_X(ctx: ProposalContext) -> torch.Tensor | None:
        if not len(ctx.pending):
            return None
        return to_tensor(ctx.space.to_model(ctx.pending))

    @staticmethod
    def _projection(ctx: ProposalContext) -> PolytopeProjection:
        space = ctx.space
        onehot = [d for dims in space.onehot_dims.values() for d in dims]
        return PolytopeProjection(
            space.model_bounds(), space.mixture_dims, held=onehot, inequalities=space.model_inequalities()
        )

    @classmethod
    def _pool(cls, ctx: ProposalContext, size: int) -> torch.Tensor:
        """``size`` space-filling points, repeated under every combination of categorical choices."""
        space = ctx.space
        return cls._under_fixings(ctx, to_tensor(space.to_model(space.sample_uniform(size, seed=ctx.seed))))

    @staticmethod
    def _under_fixings(ctx: ProposalContext, raw: torch.Tensor) -> torch.Tensor:
        """The points ``raw`` (model coordinates) repeated under every allowed combination of
        categorical choices (one-hot columns set; only the held choice when one is fixed)."""
        space = ctx.space
        parts = []
        for fixing in space.categorical_fixings():
            part = raw.clone()
            for dim, value in fixing.items():
                part[:, dim] = value
            parts.append(part)
        return torch.cat(parts)

    def _optimize_joint(self, acq, q: int, ctx: ProposalContext, opts: BotorchOptions) -> torch.Tensor:
        """All q points at once: starting q-batches from the pool, projected ascent; the best (q, d)."""
        generator = torch.Generator().manual_seed(int(ctx.seed))
        starts = initial_batches(acq, self._pool(ctx, opts.raw_samples), q, opts.num_restarts, generator=generator)
        X, values = maximize_projected(acq, starts, self._projection(ctx), maxiter=opts.maxiter)
        return X[int(torch.argmax(values))].detach()

    @staticmethod
    def _exploits(n: int, ctx: ProposalContext, opts: BotorchOptions) -> bool:
        """One exploitation point when the batch has room for it (n ≥ 2), one objective and no
        outcome constraints (their thresholds would need a probability floor of their own)."""
        return (
            (opts.exploit > 0 or opts.explore > 0)
            and n >= 2
            and len(ctx.objectives or [ctx.objective]) == 1
            and not ctx.outcome_constraints
        )

    def _optimize_with_exploit(self, acq, n: int, ctx: ProposalContext, opts: BotorchOptions, pending) -> torch.Tensor:
        """The ``exploit`` best predicted lattice formulations with P(feasible) ≥
        ``exploit_min_probability`` (:class:`FeasiblePosteriorMean`, :meth:`_exploit_on_lattice`;
        at most n - 1), then ``explore`` Thompson-sampling points (:meth:`_thompson`; at most what
        leaves one point), then the rest of the batch by the acquisition with them pending."""
        k = min(opts.exploit, n - 1)
        best = self._exploit(ctx, opts, k) if k else ctx.surrogate().train_X[:0]
        explore = min(opts.explore, n - 1 - len(best))
        if explore > 0:
            best = torch.cat([best, self._thompson(ctx, opts, explore)])
        acq.set_X_pending(best if pending is None else torch.cat([pending, best]))
        try:
            rest = self._optimize_joint(acq, n - len(best), ctx, opts)
        finally:
            acq.set_X_pending(pending)
        return torch.cat([best, rest])

    def _exploit(self, ctx: ProposalContext, opts: BotorchOptions, k: int) -> torch.Tensor:
        """The ``k`` best predicted lattice formulations (k x d, model coordinates)."""
        surrogate = ctx.surrogate()
        greedy = FeasiblePosteriorMean(
            surrogate.model,
            surrogate.objective.maximize,
            ctx.feasibility(),
            opts.exploit_min_probability,
            beta=opts.exploit_beta,
        )
        # Start from the num_restarts best distinct points of the pool plus the measured formulations
        # (a Boltzmann pick of q = 1 starts repeats the same few points, and ascent from them often
        # stopped at a local maximum).
        pool = torch.cat([self._pool(ctx, opts.raw_samples), self._under_fixings(ctx, surrogate.train_X)])
        with torch.no_grad():
            pool_values = greedy(pool.unsqueeze(1))
        starts = pool[pool_values.topk(min(opts.num_restarts, len(pool))).indices].unsqueeze(1)
        X, values = maximize_projected(greedy, starts, self._projection(ctx), maxiter=opts.maxiter)
        return self._exploit_on_lattice(greedy, X[int(torch.argmax(values))].detach(), ctx, opts, k)

    def _thompson(self, ctx: ProposalContext, opts: BotorchOptions, k: int) -> torch.Tensor:
        """``k`` points by Thompson sampling (k x d): for each of k joint posterior samples of the
        objective's latent over a space-filling pool (``explore_pool`` points with P(feasible) ≥
        ``exploit_min_probability``; all when none is), the pool point where the sample is best."""
        surrogate = ctx.surrogate()
        pool = self._pool(ctx, opts.explore_pool)
        feasibility = ctx.feasibility()
        if feasibility is not None:
            with torch.no_grad():
                ok = feasibility.log_prob(pool.unsqueeze(1)).squeeze(-1) >= math.log(opts.exploit_min_probability)
            if bool(ok.any()):
                pool = pool[ok]
        with torch.no_grad():
            samples = surrogate.model.posterior(pool).rsample(torch.Size([k])).squeeze(-1)  # (k, N)
        if not surrogate.objective.maximize:
            samples = -samples
        chosen: list[int] = []
        for sample in samples:
            order = torch.argsort(sample, descending=True)
            chosen.append(next(int(i) for i in order if int(i) not in chosen))
        return pool[chosen]

    @staticmethod
    def _exploit_on_lattice(
        greedy, best: torch.Tensor, ctx: ProposalContext, opts: BotorchOptions, k: int = 1
    ) -> torch.Tensor:
        """The ``k`` lattice points near the continuous maximizer ``best`` (1 x d, model coordinates)
        with the highest exploitation value (k x d): among its rounding and the lattice moves of up
        to two steps from it, not yet made or pending. Plain rounding can land on the wrong side of a
        feasibility boundary or on a point already made, and near a sharp optimum one step matters."""
        space = ctx.space
        point = space.round(space.from_model(best.numpy()))
        candidates = pd.concat([point, space.neighbours(point.iloc[0], max_steps=2)], ignore_index=True)
        candidates = space.distinct(candidates, blocked_points(ctx), n=10**6, steps=opts.min_spacing)
        if not len(candidates):
            return best
        X = to_tensor(space.to_model(candidates))
        with torch.no_grad():
            values = greedy(X.unsqueeze(1))
        return X[torch.argsort(values, descending=True)[:k]]

    def _optimize_greedy(self, acq, q: int, ctx: ProposalContext, opts: BotorchOptions) -> torch.Tensor:
        """One point at a time, each added to the pending points before the next."""
        pool = self._pool(ctx, opts.raw_samples)
        project = self._projection(ctx)
        generator = torch.Generator().manual_seed(int(ctx.seed))
        base_pending = acq.X_pending
        chosen: list[torch.Tensor] = []
        for _ in range(q):
            starts = initial_batches(acq, pool, 1, opts.num_restarts, generator=generator)
            X, values = maximize_projected(acq, starts, project, maxiter=opts.maxiter)
            chosen.append(X[int(torch.argmax(values))].detach())
            stacked = torch.cat(chosen)
            acq.set_X_pending(stacked if base_pending is None else torch.cat([base_pending, stacked]))
        acq.set_X_pending(base_pending)
        return torch.cat(chosen)

    def _optimize_scipy(self, acq, q: int, ctx: ProposalContext, opts: BotorchOptions) -> torch.Tensor:
        """Plain botorch: ``optimize_acqf_mixed`` with SLSQP for the sum and linear constraints."""
        from botorch.optim import optimize_acqf_mixed

        space = ctx.space
        k = len(space.components)
        inequalities = [
            (torch.as_tensor(i, dtype=torch.long), torch.as_tensor(c, dtype=DTYPE), float(r))
            for i, c, r in space.model_inequalities()
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X, _ = optimize_acqf_mixed(
                acq_function=acq,
                bounds=to_tensor(space.model_bounds()),
                q=q,
                num_restarts=opts.num_restarts,
                raw_samples=opts.raw_samples,
                fixed_features_list=space.categorical_fixings(),
                equality_constraints=[(torch.arange(k), torch.ones(k, dtype=DTYPE), 1.0)],
                inequality_constraints=inequalities or None,
            )
        return X.detach()

    def _repair(
        self,
        batch: pd.DataFrame,
        ctx: ProposalContext,
        acq,
        pending: torch.Tensor | None,
        n: int,
    ) -> pd.DataFrame:
        """Keep rounded proposals that are new; move the others to their best new lattice neighbour."""
        space = ctx.space
        steps = self.options.min_spacing
        blocked = blocked_points(ctx)
        kept: list[pd.Series] = []
        for _, row in batch.iterrows():
            taken = pd.concat([blocked, pd.DataFrame(kept)], ignore_index=True) if kept else blocked
            if not len(taken) or not space.too_close(row.to_frame().T, taken, steps).any():
                kept.append(row)
                continue
            options = space.distinct(space.neighbours(row), taken, n=10**6, steps=steps)
            if len(options):
                kept.append(self._best_by_acquisition(options, kept, ctx, acq, pending).squeeze())
        out = pd.DataFrame(kept, columns=space.variables).reset_index(drop=True)
        if len(out) < n:  # nothing new nearby: fill with space-filling points
            taken = pd.concat([blocked, out], ignore_index=True)
            out = pd.concat([out, space.space_filling(n - len(out), seed=ctx.seed, existing=taken)], ignore_index=True)
        for name in space.components + list(space.continuous):
            out[name] = out[name].astype(float)
        return out

    @staticmethod
    def _best_by_acquisition(options, kept, ctx, acq, pending) -> pd.DataFrame:
        """The option with the highest acquisition value, with the kept batch-mates pending too
        (the proposal's acquisition reused: no model refit, no second baseline pruning)."""
        space = ctx.space
        X_kept = to_tensor(space.to_model(pd.DataFrame(kept))) if kept else None
        X_pend = X_kept if pending is None else (pending if X_kept is None else torch.cat([pending, X_kept]))
        acq.set_X_pending(X_pend)
        try:
            with torch.no_grad():
                values = acq(to_tensor(space.to_model(options)).unsqueeze(1)).numpy()
        finally:
            acq.set_X_pending(pending)
        return options.iloc[[int(np.argmax(values))]]
