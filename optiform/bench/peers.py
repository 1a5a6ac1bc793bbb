"""Peers: other optimizers that ``optiform bench`` runs on the same problems, seeds and budgets.

``baybe``: BayBE 0.15 with its default recommender (``TwoPhaseMetaRecommender``: its own random
initial design while it has no data, then ``BotorchRecommender`` with its default surrogate and
acquisition), as a user would set it up from the campaign file:

* each mixture component a ``NumericalContinuousParameter`` with the component's bounds in the
  mixture's unit (e.g. wt%), and one ``ContinuousLinearConstraint`` ``Σ components = total``;
* each continuous parameter a ``NumericalContinuousParameter`` with its bounds, each categorical
  parameter a ``CategoricalParameter``; the campaign's known linear constraints as
  ``ContinuousLinearConstraint`` (``<=``);
* the objective a ``NumericalTarget`` (minimised when the campaign minimises it);
* seeded with the run's seed (``baybe.settings.Settings(random_seed=seed)``, held for the run, the
  previous random state restored after it).

BayBE recommends continuous values; each batch is rounded to the campaign's lattice with
:meth:`optiform.space.Space.round` (largest-remainder rounding, so the mixture sums exactly to the
total), and what was made - the rounded formulation - is what BayBE is told. A peer has no
pass/fail model: a failed experiment (status ``failed`` or no finite objective) is dropped, not
added to BayBE's measurements (it still counts against the budget). The first batch has the
campaign's ``n_initial`` points, later ones ``batch``, as for every strategy of the bench.

A problem BayBE cannot express (outcome constraints, several objectives) raises
:class:`NotExpressibleError` before anything runs; the bench's summary shows the reason.
BayBE is an optional dependency (``pip install optiform[peers]``), imported only when a peer runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import BenchError
from ..sim.base import Lab
from ..space import Space
from ..spec import CampaignSpec
from .loop import BatchReport

PEERS: dict[str, str] = {
    "baybe": "BayBE 0.15 with its default recommender (random initial design, then its GP and acquisition)",
}
PEER_NOTE = "drops failed experiments (no pass/fail model)"


class NotExpressibleError(BenchError):
    """A peer cannot express a problem's campaign: ``reason`` says what it lacks."""

    def __init__(self, peer: str, problem: str, reason: str) -> None:
        self.peer, self.problem, self.reason = peer, problem, reason
        super().__init__(f"{peer} cannot express problem {problem!r}: {reason}")


def is_peer(name: str) -> bool:
    """Whether ``name`` is a peer (run by the bench only, not a campaign strategy)."""
    return name in PEERS


def not_expressible(peer: str, spec: CampaignSpec) -> str | None:
    """Why ``peer`` cannot express ``spec`` (one line), or None when it can."""
    reasons = []
    if len(spec.objectives) > 1:
        reasons.append(f"{len(spec.objectives)} objectives (the bench judges one)")
    if spec.outcome_constraints:
        names = ", ".join(c.name for c in spec.outcome_constraints)
        reasons.append(f"outcome constraints ({names}): BayBE has no constrained outcomes")
    bounds = {c: spec.mixture.bounds(c) for c in spec.components}
    bounds |= {n: (p.min, p.max) for n, p in spec.continuous.items()}
    flat = [n for n, (lo, hi) in bounds.items() if not hi > lo]
    if flat:
        reasons.append(f"{', '.join(flat)} held at one value (a continuous parameter needs lower < upper)")
    return "; ".join(reasons) or None


def run_peer(
    peer: str,
    problem: str,
    spec: CampaignSpec,
    lab: Lab,
    seed: int,
    budget: int,
    batch: int,
    on_batch: Callable[[BatchReport], None],
    initial_batch: int | None = None,
) -> None:
    """Run ``peer`` on ``spec`` against ``lab`` until ``budget`` experiments are made; ``on_batch``
    receives a :class:`BatchReport` per batch (kind = the peer's name) and ``lab.true_value`` is
    asked once per batch, as :func:`optiform.bench.loop.closed_loop` does. Raises
    NotExpressibleError for a problem the peer cannot express."""
    if not is_peer(peer):
        raise BenchError(f"unknown peer {peer!r}; expected one of {', '.join(PEERS)}")
    reason = not_expressible(peer, spec)
    if reason is not None:
        raise NotExpressibleError(peer, problem, reason)
    _run_baybe(spec, lab, seed, budget, batch, on_batch, initial_batch)


def baybe_campaign(spec: CampaignSpec) -> Any:
    """A BayBE ``Campaign`` for ``spec`` (see the module docstring) with the default recommender."""
    from baybe import Campaign as BaybeCampaign
    from baybe.constraints import ContinuousLinearConstraint
    from baybe.parameters import CategoricalParameter, NumericalContinuousParameter
    from baybe.searchspace import SearchSpace
    from baybe.targets import NumericalTarget

    parameters: list[Any] = [
        NumericalContinuousParameter(name=c, bounds=spec.mixture.bounds(c)) for c in spec.components
    ]
    parameters += [NumericalContinuousParameter(name=n, bounds=(p.min, p.max)) for n, p in spec.continuous.items()]
    parameters += [CategoricalParameter(name=n, values=tuple(p.choices)) for n, p in spec.categorical.items()]
    constraints = [
        ContinuousLinearConstraint(
            parameters=list(spec.components),
            operator="=",
            coefficients=[1.0] * len(spec.components),
            rhs=spec.mixture.total,
        )
    ]
    for c in spec.linear_constraints:
        names = [v for v, a in c.coefficients.items() if a != 0.0]
        constraints.append(
            ContinuousLinearConstraint(
                parameters=names, operator="<=", coefficients=[c.coefficients[v] for v in names], rhs=c.rhs
            )
        )
    objective = spec.objectives[0]
    target = NumericalTarget(objective.name, minimize=objective.direction == "minimize")
    searchspace = SearchSpace.from_product(parameters=parameters, constraints=constraints)
    return BaybeCampaign(searchspace=searchspace, objective=target.to_objective())


def _run_baybe(
    spec: CampaignSpec,
    lab: Lab,
    seed: int,
    budget: int,
    batch: int,
    on_batch: Callable[[BatchReport], None],
    initial_batch: int | None,
) -> None:
    from baybe.settings import Settings

    with Settings(random_seed=int(seed)):
        _baybe_loop(spec, lab, budget, batch, on_batch, initial_batch)


def _baybe_loop(
    spec: CampaignSpec,
    lab: Lab,
    budget: int,
    batch: int,
    on_batch: Callable[[BatchReport], None],
    initial_batch: int | None,
) -> None:
    campaign = baybe_campaign(spec)
    space = Space(spec)
    name = spec.objectives[0].name
    done = number = 0
    best_measured = best_true = -np.inf
    while done < budget:
        number += 1
        first = initial_batch if initial_batch is not None else spec.n_initial
        n = min(first if number == 1 else batch, budget - done)
        recommended = campaign.recommend(batch_size=n).reset_index(drop=True)
        made = space.round(recommended[space.variables])
        made.insert(0, "id", [f"baybe-{number}-{i + 1}" for i in range(len(made))])
        results = lab.measure(made).reset_index(drop=True)
        truth = np.asarray(lab.true_value(made), dtype=float)
        done += n
        values = pd.to_numeric(results[name], errors="coerce").to_numpy(dtype=float)
        usable = (results["status"].to_numpy() != "failed") & np.isfinite(values)
        if usable.any():
            campaign.add_measurements(made.loc[usable, space.variables].assign(**{name: values[usable]}))
            best_measured = max(best_measured, float(values[usable].max()))
        if np.isfinite(truth).any():
            best_true = max(best_true, float(np.nanmax(truth)))
        on_batch(
            BatchReport(
                number,
                "baybe",
                made,
                results,
                done,
                best_measured if np.isfinite(best_measured) else float("nan"),
                best_true,
            )
        )


__all__ = ["PEERS", "PEER_NOTE", "NotExpressibleError", "baybe_campaign", "is_peer", "not_expressible", "run_peer"]
