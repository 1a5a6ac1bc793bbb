"""optuna's samplers behind the Strategy interface: ``optuna-tpe`` (TPESampler) and ``optuna-gp``
(GPSampler).

The campaign lives in a database, so these strategies are stateless: each proposal builds an
in-memory study from the campaign and asks it for the batch.

* **Study.** Every formulation with a usable result becomes a COMPLETE trial whose value is the
  mean of its results (of ln y for a log-modelled objective, e.g. conductivity), in the
  objective's direction. Formulations made without a usable result (a failed measurement, an
  infeasible film such as ``solid = false``, a flagged result awaiting acceptance) are COMPLETE
  trials that violate a constraint (``trial.constraints["usable"] = 1``, 0 for the others; optuna
  5's replacement for ``constraints_func``) with the worst value observed: TPE puts them in its
  "bad" group, GPSampler fits a constraint model to them. Pending formulations are RUNNING trials:
  TPE's constant liar and GPSampler's qLogEI fantasies steer the batch away from them.
* **Encoding** (:class:`OptunaEncoding`, invertible). The k mixture components become k-1 numbers
  z_i in [0, 1] by stick-breaking within the bounds: with R the amount left (R = total at first),
  component i takes x_i = a_i + z_i (b_i - a_i), where a_i = max(lo_i, R - sum_{j>i} hi_j) and
  b_i = min(hi_i, R - sum_{j>i} lo_j); R -= x_i; the last component takes what is left. Every z
  in [0, 1]^(k-1) gives a composition within the bounds summing to the total, and
  z_i = (x_i - a_i) / (b_i - a_i) inverts it (0 when a_i = b_i). Continuous parameters enter as
  floats within their bounds (rounded by optiform, not by optuna), categoricals as categoricals.
* **Repair.** A decoded point that breaks a bound or a known linear constraint is projected onto
  the feasible polytope (``Space.project``), then every point is rounded to the lattice
  (``Space.round``). optuna is told the repaired point: the asked trial is closed as FAIL (samplers
  ignore those) and a RUNNING trial with the encoded repaired formulation takes its place. Since
  the study is rebuilt from the database at each call, the params of every past trial are the
  formulation actually made.
* **Duplicates.** A repaired point within one rounding step of an existing, pending or already
  chosen formulation is kept in the study as a RUNNING trial (so that the next ask moves away) and
  the sampler is asked again, up to ``MAX_ASKS`` times per point; then a space-filling point
  (``Space.space_filling``) away from all of them is used.
* **Start.** Until ``n_initial`` formulations have results the batch is the same space-filling
  design as the default strategy's (optuna's own random start is therefore not used; both
  samplers' ``n_startup_trials`` = ``n_initial``). Samplers are seeded with the proposal's seed.
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial

from ..errors import DataError
from ..space import Space
from ..spec import OptunaGPOptions, OptunaTPEOptions
from .base import ProposalContext, Strategy, blocked_points

MAX_ASKS = 8  # asks per batch point before falling back to a space-filling point
MIX_PREFIX = "stick:"  # optuna parameter name of component i's stick-breaking fraction


class OptunaEncoding:
    """Invertible map between formulations and optuna parameters (see the module docstring)."""

    def __init__(self, space: Space) -> None:
        self.space = space
        b = space.component_bounds()
        self._lo, self._hi = b[:, 0], b[:, 1]
        # sums of the bounds of the components after i (i = 0..k-1)
        self._rest_lo = np.append(np.cumsum(self._lo[::-1])[::-1][1:], 0.0)
        self._rest_hi = np.append(np.cumsum(self._hi[::-1])[::-1][1:], 0.0)
        self.mixture_params = [MIX_PREFIX + c for c in space.components[:-1]]

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        d: dict[str, BaseDistribution] = {p: FloatDistribution(0.0, 1.0) for p in self.mixture_params}
        for name, p in self.space.continuous.items():
            d[name] = FloatDistribution(p.min, p.max)
        for name, choices in self.space.categorical.items():
            d[name] = CategoricalDistribution(choices)
        return d

    def _interval(self, i: int, left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[a_i, b_i]: where component i may lie given ``left`` still to share (mixture unit)."""
        a = np.maximum(self._lo[i], left - self._rest_hi[i])
        b = np.minimum(self._hi[i], left - self._rest_lo[i])
        return a, np.maximum(a, b)

    def encode(self, df: pd.DataFrame) -> list[dict[str, Any]]:
        """One optuna params dict per formulation (a row of variable columns)."""
        space = self.space
        X = df[space.components].to_numpy(float)
        left = np.full(len(df), space.total)
        cols: dict[str, Any] = {}
        for i, name in enumerate(self.mixture_params):
            a, b = self._interval(i, left)
            width = b - a
            z = np.where(width > 1e-12 * space.total, (X[:, i] - a) / np.where(width > 0, width, 1.0), 0.0)
            cols[name] = np.clip(z, 0.0, 1.0)
            left = left - X[:, i]
        for name, p in space.continuous.items():
            cols[name] = np.clip(df[name].to_numpy(float), p.min, p.max)
        for name in space.categorical:
            cols[name] = df[name].to_numpy(object)
        return [
            {k: (float(v[r]) if k not in space.categorical else v[r]) for k, v in cols.items()} for r in range(len(df))
        ]

    def decode(self, params: list[dict[str, Any]]) -> pd.DataFrame:
        """Formulations (not rounded) for optuna params dicts; within bounds, summing to the total."""
        space = self.space
        left = np.full(len(params), space.total)
        out: dict[str, Any] = {}
        for i, (comp, name) in enumerate(zip(space.components, self.mixture_params)):
            a, b = self._interval(i, left)
            z = np.array([p[name] for p in params], dtype=float)
            out[comp] = a + np.clip(z, 0.0, 1.0) * (b - a)
            left = left - out[comp]
        out[space.components[-1]] = left
        for name in space.continuous:
            out[name] = np.array([p[name] for p in params], dtype=float)
        for name in space.categorical:
            out[name] = [p[name] for p in params]
        return pd.DataFrame(out, columns=space.variables)


def repair(space: Space, df: pd.DataFrame) -> pd.DataFrame:
    """Project rows that break a bound or a known constraint onto the feasible polytope
    (``Space.project``), then round every row to the lattice (``Space.round``)."""
    out = space.round(space.project(df[space.variables].reset_index(drop=True)))
    for name in space.components + list(space.continuous):
        out[name] = out[name].astype(float)
    return out


@contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Silence optuna's logging (trial messages) and its experimental/future warnings."""
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        optuna.logging.set_verbosity(verbosity)


class _OptunaStrategy(Strategy):
    """Shared machinery: build the study from the context, ask, repair, tell the repaired point."""

    @abstractmethod
    def _sampler(self, ctx: ProposalContext) -> optuna.samplers.BaseSampler:
        """A fresh sampler seeded with ``ctx.seed``."""

    def propose(self, n: int, ctx: ProposalContext) -> pd.DataFrame:
        if ctx.n_results < ctx.n_initial:
            return ctx.space.space_filling(n, seed=ctx.seed, existing=blocked_points(ctx))
        return self.propose_with_study(n, ctx)[0]

    def propose_with_study(self, n: int, ctx: ProposalContext) -> tuple[pd.DataFrame, optuna.Study]:
        """The batch and the study it came from (always optuna, even before ``n_initial`` results)."""
        space = ctx.space
        enc = OptunaEncoding(space)
        dists = enc.distributions
        with _quiet_optuna():
            study = self.build_study(ctx, enc)
            taken = blocked_points(ctx)
            chosen: list[pd.DataFrame] = []
            for _ in range(n):
                row = self._ask_one(study, enc, dists, taken)
                if row is None:
                    row = space.space_filling(1, seed=ctx.seed, existing=taken)
                    running = create_trial(state=TrialState.RUNNING, params=enc.encode(row)[0], distributions=dists)
                    study.add_trial(running)
                chosen.append(row)
                taken = pd.concat([taken, row], ignore_index=True) if len(taken) else row
        return pd.concat(chosen, ignore_index=True)[space.variables], study

    def _ask_one(
        self, study: optuna.Study, enc: OptunaEncoding, dists: dict[str, BaseDistribution], taken: pd.DataFrame
    ) -> pd.DataFrame | None:
        """Ask until a repaired point is new (None after ``MAX_ASKS`` tries); every repaired point
        asked is left in the study as a RUNNING trial."""
        space = enc.space
        for _ in range(MAX_ASKS):
            trial = study.ask(dists)
            row = repair(space, enc.decode([trial.params]))
            study.tell(trial, state=TrialState.FAIL)  # replaced by the repaired point below
            study.add_trial(create_trial(state=TrialState.RUNNING, params=enc.encode(row)[0], distributions=dists))
            new = not len(taken) or not space.too_close(row, taken).any()
            if new and space.satisfies(row).all():
                return row
        return None

    def build_study(self, ctx: ProposalContext, enc: OptunaEncoding | None = None) -> optuna.Study:
        """An in-memory study holding the campaign: results as COMPLETE trials, formulations
        without a usable result as COMPLETE trials violating the ``usable`` constraint, pending
        formulations as RUNNING trials (see the module docstring)."""
        space = ctx.space
        enc = enc or OptunaEncoding(space)
        dists = enc.distributions
        obj = ctx.objective
        done, values = _results(ctx)
        existing = ctx.existing[space.variables].reset_index(drop=True) if len(ctx.existing) else ctx.existing
        unusable = existing[~space.too_close(existing, done).any(axis=1)] if len(done) else existing
        worst = (values.min() if obj.maximize else values.max()) if len(values) else 0.0
        constrained = len(unusable) > 0
        with _quiet_optuna():
            study = optuna.create_study(direction=obj.direction, sampler=self._sampler(ctx))
            trials = [
                create_trial(
                    value=float(v), params=p, distributions=dists, constraints={"usable": 0.0} if constrained else None
                )
                for p, v in zip(enc.encode(done), values)
            ]
            trials += [
                create_trial(value=float(worst), params=p, distributions=dists, constraints={"usable": 1.0})
                for p in enc.encode(unusable)
            ]
            if len(ctx.pending):
                trials += [
                    create_trial(state=TrialState.RUNNING, params=p, distributions=dists)
                    for p in enc.encode(ctx.pending[space.variables])
                ]
            study.add_trials(trials)
        return study


def _results(ctx: ProposalContext) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per measured formulation (variables) and the mean of its values (ln y for a
    log-modelled objective)."""
    space, obj = ctx.space, ctx.objective
    train = ctx.train
    if not len(train):
        return pd.DataFrame(columns=space.variables), np.zeros(0)
    y = pd.to_numeric(train[obj.name], errors="coerce").to_numpy(float)
    if obj.log:
        if (y <= 0).any():
            raise DataError(f"{obj.name}: modelled on a log scale, so every value must be > 0 (got {y.min():g})")
        y = np.log(y)
    key = train["id"] if "id" in train.columns else pd.Series(np.arange(len(train)))
    grouped = pd.DataFrame({"key": key.to_numpy(), "y": y}).groupby("key", sort=False)["y"].mean()
    first = train.assign(_key=key.to_numpy()).drop_duplicates("_key")
    return first[space.variables].reset_index(drop=True), grouped.loc[first["_key"]].to_numpy(float)


class OptunaTPEStrategy(_OptunaStrategy):
    """optuna's multivariate TPE with the constant liar for pending formulations."""

    name = "optuna-tpe"
    options_model = OptunaTPEOptions

    def _sampler(self, ctx: ProposalContext) -> optuna.samplers.BaseSampler:
        return optuna.samplers.TPESampler(
            seed=ctx.seed, n_startup_trials=ctx.n_initial, multivariate=True, constant_liar=True
        )


class OptunaGPStrategy(_OptunaStrategy):
    """optuna's GPSampler (log EI, qLogEI over pending formulations, constrained when some
    formulations have no usable result)."""

    name = "optuna-gp"
    options_model = OptunaGPOptions

    def _sampler(self, ctx: ProposalContext) -> optuna.samplers.BaseSampler:
        return optuna.samplers.GPSampler(seed=ctx.seed, n_startup_trials=ctx.n_initial, warn_independent_sampling=False)
