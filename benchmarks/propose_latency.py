"""Latency of ``Campaign.propose(8)`` on the paper's campaign, against plain botorch.

For each n in ``--sizes`` (default 20, 100, 300) a campaign (the shipped llzt-cse file: three
mixture components, LiDFOB fraction, FEC, porosity, framework; with ``[feasibility] solid``) is
filled with n results from the virtual lab at space-filling points (noise and fluid films
included), then we time, ``--repeats`` times each (different seeds, on the same fitted models):

* ``optiform``: ``Campaign.propose(8)`` with the default strategy, proposals withdrawn after each
  call (so every repeat sees the same pending-free campaign). ``optiform_s``: the models (objective
  GP and feasibility GP) are refitted in every repeat, as when ``optiform propose`` runs after new
  results were recorded; ``cached_s``: the models already fitted (a second propose in a session).
* ``plain``: ``botorch.optim.optimize_acqf`` with qLogNoisyExpectedImprovement on the same fitted GP,
  q=8, the mixture-sum equality constraint, num_restarts=10, raw_samples=512 (botorch's defaults
  otherwise: joint q-batch optimization, polytope sampling for the initial conditions). Model fit
  excluded.

Peak memory is the process's maximum resident set size (``resource.getrusage``) at the end.
Torch runs on one thread (as ``Campaign.propose`` does).

    .venv/bin/python benchmarks/propose_latency.py                  # sizes 20,100,300; 3 repeats
    .venv/bin/python benchmarks/propose_latency.py --sizes 20 --repeats 1 --no-plain
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
import warnings

import pandas as pd
import torch

from optiform import Campaign
from optiform.models.gp import DTYPE, compute_threads, to_tensor
from optiform.sim import VirtualLab
from optiform.spec import ModelSpec, example_spec_path, load_spec

Q = 8


def filled_campaign(n: int, seed: int, tmp: str, kernel: str | None = None) -> Campaign:
    """A campaign with ``n`` recorded results at space-filling points of the paper's campaign
    (its ``[model] kernel`` replaced by ``kernel`` when given)."""
    spec = load_spec(example_spec_path())
    if kernel is not None:
        spec = spec.model_copy(update={"model": ModelSpec(kernel=kernel)})
    campaign = Campaign.create(spec, store=f"sqlite:///{tmp}/latency-{n}.db", seed=seed)
    points = campaign.propose(n, strategy="sobol")
    results = VirtualLab(seed=seed).measure(points)
    campaign.record(results[["id", "conductivity_mS_cm", "solid", "status", "note"]])
    return campaign


def time_optiform(campaign: Campaign, repeats: int, refit: bool) -> list[float]:
    """Seconds of each propose(8); with ``refit`` the model cache is cleared before each."""
    times = []
    for r in range(repeats):
        if refit:
            campaign._surrogates.clear()
        else:
            campaign.surrogate(), campaign.feasibility_model()
        t0 = time.perf_counter()
        batch = campaign.propose(Q, seed=1000 + r)
        times.append(time.perf_counter() - t0)
        for label in batch["id"]:
            _withdraw(campaign, label)
    return times


def _withdraw(campaign: Campaign, label: str) -> None:
    """Withdraw a timed proposal: a cancelled formulation is neither pending nor blocks a point, so
    the next timing starts from the same campaign."""
    campaign.cancel(label, reason="latency benchmark")


def time_plain(campaign: Campaign, repeats: int) -> list[float]:
    """Seconds of plain ``optimize_acqf`` (qLogNEI, q=8, equality constraint, 10 restarts, 512 raw)."""
    from botorch.acquisition.logei import qLogNoisyExpectedImprovement
    from botorch.optim import optimize_acqf

    surrogate = campaign.surrogate()
    space = campaign.space
    k = len(space.components)
    times = []
    for r in range(repeats):
        torch.manual_seed(r)
        t0 = time.perf_counter()
        with compute_threads(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            acq = qLogNoisyExpectedImprovement(surrogate.model, X_baseline=surrogate.train_X, prune_baseline=True)
            optimize_acqf(
                acq,
                bounds=to_tensor(space.model_bounds()),
                q=Q,
                num_restarts=10,
                raw_samples=512,
                equality_constraints=[(torch.arange(k), torch.ones(k, dtype=DTYPE), 1.0)],
            )
        times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20,100,300", help="numbers of results, comma-separated")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-plain", action="store_true", help="skip plain botorch")
    ap.add_argument(
        "--kernel", choices=["rbf", "transfer", "additive"], help="the campaign's [model] kernel (default: as shipped)"
    )
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            campaign = filled_campaign(n, args.seed, tmp, args.kernel)
            with_fit = time_optiform(campaign, args.repeats, refit=True)
            cached = time_optiform(campaign, args.repeats, refit=False)
            plain = [] if args.no_plain else time_plain(campaign, args.repeats)
            row = {
                "n_results": n,
                "optiform_s": statistics.median(with_fit),
                "cached_s": statistics.median(cached),
                "plain_s": statistics.median(plain) if plain else float("nan"),
            }
            row["plain/cached"] = row["plain_s"] / row["cached_s"]
            rows.append(row)
            print(pd.DataFrame([row]).to_string(index=False, float_format="%.2f"), flush=True)
            campaign.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = pd.DataFrame(rows)
    kernel = f", [model] kernel = {args.kernel!r}" if args.kernel else ""
    print(
        f"\nmedian seconds of propose({Q}) on {example_spec_path().name}{kernel}, {args.repeats} repeats, torch threads=1, python {sys.version.split()[0]}"
    )
    print(
        "optiform_s: models refitted each time; cached_s: models already fitted; plain_s: optimize_acqf alone (fit excluded)"
    )
    print(table.to_string(index=False, float_format="%.2f"))
    print(f"peak resident memory: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
