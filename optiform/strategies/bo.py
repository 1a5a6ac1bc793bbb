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
and the other n - 1 come from the acquisition with that point pending. The feasibility-weighted
acquisition alone stays well inside the solid region, while the model's own best guess often lies
near the boundary where the optimum is: on the virtual lab (budget 60, seeds 0-3) the median best
noise-free value rose from 88.8% to 92.9% of the optimum with it. The point is chosen on the
lattice: the continuous maximizer's rounding and every lattice move of up to two steps from it
that is not yet made or pending, ranked by the same criterion (plain rounding could cross the
feasibility boundary or land on a formulation already made). ``exploit = k`` takes the k best of
those candidates (at most n - 1): on the paper's ternary slice k = 2 reached 98% of the optimum a
little sooner (median 26.5 vs 28 experiments, seeds 0-9, budget 40), but on llzt-full the median
best after 60 fell from 92.6% to 88.1%, so the default stays 1.

Option ``min_probability`` (default 0): points of the acquisition with P(feasible) below it are
penalised by ``FLOOR_PENALTY_PER_LOG_P`` (100) per unit of log P below the floor, i.e. excluded
unless nothing else is left. With 0.5 the share of fluid films after the design fell from 21% to
14% on llzt-full (10 seeds, budget 60), but the median best fell from 92.6% to 90.6%.

Each proposal is rounded to the lattice; one that lands within ``min_spacing`` rounding steps (in
every variable) of an existing or pending formulation or of a batch-mate is replaced by the lattice
neighbour with the highest acquisition value that does not. The default 0 only forbids the same
lattice point: near the optimum the best formulation is often one step from one already made (on
the paper's ternary slice, 30:50:20 is the only 1 wt% point above 98% of the optimum and sits one
step from three others above 97.5%). With ``min_spacing = 1`` (the earlier rule) the median best
of 20 seeds on that slice was 97.7% after 60 experiments and 2/20 reached 98%; with 0, 6/10
reached 98% within 30 (seeds 0-9).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import torch

from ..models.gp import DTYPE, to_tensor
from .acquisition import FeasiblePosteriorMean, build_acquisition
from .base import ProposalContext, Strategy, blocked_points, in_design
from .optimize import PolytopeProjection, initial_batches, maximize_projected

DEFAULTS = {
    "optimizer": "projected",
    "acquisition": "greedy",
    "num_restarts": 8,
    "raw_samples": 256,
    "maxiter": 200,
    "feasibility_power": 7.0,
    "exploit": 1,
    "exploit_min_probability": 0.5,
    "min_spacing": 0.0,
    "min_probability": 0.0,
}
OPTIMIZERS = ("projected", "scipy")
ACQUISITIONS = ("greedy", "qlognei")


def _number(options: dict, key: str, expected: str) -> float:
    """Option ``key`` (its default when absent) as a float; a value that is not a number (a string,
    a boolean) or not ``expected`` (e.g. "a number >= 0", checked by the caller) is a ValueError
    naming the option."""
    value = options.get(key, DEFAULTS[key])
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"botorch strategy: {key} must be {expected}, got {value!r}")
    return float(value)


class BotorchStrategy(Strategy):
    """GP + botorch acquisition; options: optimizer, num_restarts, raw_samples, maxiter,
    feasibility_power (α: each point's improvement is weighted by P(feasible)^α; default 7, a
    risk-averse choice — a fluid film is a wasted experiment — that halves the value of a point
    with P = 0.91). Measured on the virtual lab with the current defaults (budget 100, 10 seeds,
    ``benchmarks/closed_loop.py --options``; median experiments to 95% of the optimum / solid films
    after the design): α = 7 60 / 78%, α = 10 64 / 81%; on the bench's llzt-full seeds α = 5 65,
    α = 7 60, α = 10 64. Earlier (budget 60, maxiter 200, before the exploitation point): α = 1
    (budget 48, 4 seeds) left 44% solid. ``maxiter`` 60 instead of 200 cost 2 points of best % and
    15 experiments to 90% of the optimum. ``exploit`` (a number of points),
    ``exploit_min_probability`` and ``min_probability``: see the module docstring."""

    name = "botorch"

    def __init__(self, **options) -> None:
        unknown = sorted(set(options) - set(DEFAULTS))
        if unknown:
            raise ValueError(
                f"botorch strategy: unknown option(s) {', '.join(unknown)}; expected {', '.join(DEFAULTS)}"
            )
        if options.get("acquisition", "greedy") not in ACQUISITIONS:
            raise ValueError(
                f"botorch strategy: acquisition must be one of {', '.join(ACQUISITIONS)}, got {options['acquisition']!r}"
            )
        if options.get("optimizer", "projected") not in OPTIMIZERS:
            raise ValueError(
                f"botorch strategy: optimizer must be one of {', '.join(OPTIMIZERS)}, got {options['optimizer']!r}"
            )
        for key in ("num_restarts", "raw_samples", "maxiter"):
            value = options.get(key, DEFAULTS[key])
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"botorch strategy: {key} must be a positive whole number, got {value!r}")
        exploit = options.get("exploit", 1)
        if isinstance(exploit, bool) or not isinstance(exploit, int) or exploit < 0:
            raise ValueError(f"botorch strategy: exploit must be a whole number of points >= 0, got {exploit!r}")
        checks = {
            "feasibility_power": ("a number >= 0", lambda v: 0.0 <= v < math.inf),
            "exploit_min_probability": ("between 0 and 1", lambda v: 0.0 < v < 1.0),
            "min_probability": ("within [0, 1)", lambda v: 0.0 <= v < 1.0),
            "min_spacing": (">= 0 rounding steps", lambda v: 0.0 <= v < math.inf),
        }
        for key, (expected, ok) in checks.items():
            if not ok(_number(options, key, expected)):
                raise ValueError(f"botorch strategy: {key} must be {expected}, got {options[key]!r}")
        super().__init__(**options)

    def propose(self, n: int, ctx: ProposalContext) -> pd.DataFrame:
        if in_design(ctx.n_results, len(ctx.train), ctx.n_initial):
            return ctx.space.space_filling(n, seed=ctx.seed, existing=blocked_points(ctx))
        torch.manual_seed(ctx.seed)
        pending = self._pending_X(ctx)
        opts = {**DEFAULTS, **self.options}
        acq = self._build(ctx, pending)
        if opts["optimizer"] == "scipy":
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
        opts = {**DEFAULTS, **self.options}
        plain = opts["optimizer"] == "scipy" or opts["acquisition"] == "qlognei"  # botorch's qLogNEI
        return build_acquisition(
            ctx,
            X_pending,
            plain=plain,
            feasibility_power=float(opts["feasibility_power"]),
            min_probability=float(opts["min_probability"]),
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

    def _optimize_joint(self, acq, q: int, ctx: ProposalContext, opts: dict) -> torch.Tensor:
        """All q points at once: starting q-batches from the pool, projected ascent; the best (q, d)."""
        generator = torch.Generator().manual_seed(int(ctx.seed))
        starts = initial_batches(
            acq, self._pool(ctx, int(opts["raw_samples"])), q, int(opts["num_restarts"]), generator=generator
        )
        X, values = maximize_projected(acq, starts, self._projection(ctx), maxiter=int(opts["maxiter"]))
        return X[int(torch.argmax(values))].detach()

    @staticmethod
    def _exploits(n: int, ctx: ProposalContext, opts: dict) -> bool:
        """One exploitation point when the batch has room for it (n ≥ 2), one objective and no
        outcome constraints (their thresholds would need a probability floor of their own)."""
        return (
            int(opts["exploit"]) > 0
            and n >= 2
            and len(ctx.objectives or [ctx.objective]) == 1
            and not ctx.outcome_constraints
        )

    def _optimize_with_exploit(self, acq, n: int, ctx: ProposalContext, opts: dict, pending) -> torch.Tensor:
        """The ``exploit`` best predicted lattice formulations with P(feasible) ≥
        ``exploit_min_probability`` (:class:`FeasiblePosteriorMean`, :meth:`_exploit_on_lattice`;
        at most n - 1), then the rest of the batch by the acquisition with them pending."""
        surrogate = ctx.surrogate()
        greedy = FeasiblePosteriorMean(
            surrogate.model, surrogate.objective.maximize, ctx.feasibility(), float(opts["exploit_min_probability"])
        )
        # Start from the num_restarts best distinct points of the pool plus the measured formulations
        # (a Boltzmann pick of q = 1 starts repeats the same few points, and ascent from them often
        # stopped at a local maximum).
        pool = torch.cat([self._pool(ctx, int(opts["raw_samples"])), self._under_fixings(ctx, surrogate.train_X)])
        with torch.no_grad():
            pool_values = greedy(pool.unsqueeze(1))
        starts = pool[pool_values.topk(min(int(opts["num_restarts"]), len(pool))).indices].unsqueeze(1)
        X, values = maximize_projected(greedy, starts, self._projection(ctx), maxiter=int(opts["maxiter"]))
        k = min(int(opts["exploit"]), n - 1)
        best = self._exploit_on_lattice(greedy, X[int(torch.argmax(values))].detach(), ctx, opts, k)
        acq.set_X_pending(best if pending is None else torch.cat([pending, best]))
        try:
            rest = self._optimize_joint(acq, n - len(best), ctx, opts)
        finally:
            acq.set_X_pending(pending)
        return torch.cat([best, rest])

    @staticmethod
    def _exploit_on_lattice(greedy, best: torch.Tensor, ctx: ProposalContext, opts: dict, k: int = 1) -> torch.Tensor:
        """The ``k`` lattice points near the continuous maximizer ``best`` (1 x d, model coordinates)
        with the highest exploitation value (k x d): among its rounding and the lattice moves of up
        to two steps from it, not yet made or pending. Plain rounding can land on the wrong side of a
        feasibility boundary or on a point already made, and near a sharp optimum one step matters
        (on the paper's ternary slice 30:50:20 is the only 1 wt% point above 98% of the optimum)."""
        space = ctx.space
        point = space.round(space.from_model(best.numpy()))
        candidates = pd.concat([point, space.neighbours(point.iloc[0], max_steps=2)], ignore_index=True)
        candidates = space.distinct(candidates, blocked_points(ctx), n=10**6, steps=float(opts["min_spacing"]))
        if not len(candidates):
            return best
        X = to_tensor(space.to_model(candidates))
        with torch.no_grad():
            values = greedy(X.unsqueeze(1))
        return X[torch.argsort(values, descending=True)[:k]]

    def _optimize_greedy(self, acq, q: int, ctx: ProposalContext, opts: dict) -> torch.Tensor:
        """One point at a time, each added to the pending points before the next."""
        pool = self._pool(ctx, int(opts["raw_samples"]))
        project = self._projection(ctx)
        generator = torch.Generator().manual_seed(int(ctx.seed))
        base_pending = acq.X_pending
        chosen: list[torch.Tensor] = []
        for _ in range(q):
            starts = initial_batches(acq, pool, 1, int(opts["num_restarts"]), generator=generator)
            X, values = maximize_projected(acq, starts, project, maxiter=int(opts["maxiter"]))
            chosen.append(X[int(torch.argmax(values))].detach())
            stacked = torch.cat(chosen)
            acq.set_X_pending(stacked if base_pending is None else torch.cat([base_pending, stacked]))
        acq.set_X_pending(base_pending)
        return torch.cat(chosen)

    def _optimize_scipy(self, acq, q: int, ctx: ProposalContext, opts: dict) -> torch.Tensor:
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
                num_restarts=int(opts["num_restarts"]),
                raw_samples=int(opts["raw_samples"]),
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
        steps = float({**DEFAULTS, **self.options}["min_spacing"])
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
