"""Cross-validated errors, fit times and optima of the real-data emulators (optiform.bench.emulators).

Prints, per emulator: training rows, fitted kernel, fitted noise sd (ln units), fit time, k-fold
CV error by formulation (the figure in the docs), a leave-one-group-out error (calisol: solvent
composition; peo: source DOI), and the optimum of the emulator mean within the problem's bounds.

    .venv/bin/python benchmarks/emulators.py            # ~10-30 s on 2 cores
    .venv/bin/python benchmarks/emulators.py --rebuild  # first rewrite optiform/data/emulators/*.csv
                                                        # from ../shared/data/conductivity
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

from optiform.bench import emulators as em


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rewrite the shipped CSVs from the shared extracts")
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared/data/conductivity"))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="sklearn")  # kernel-bound ConvergenceWarnings in CV folds
    if args.rebuild:
        for path in em.write_subsets(args.shared):
            print(f"wrote {path}")
    groups = {"calisol": "composition", "peo": "source"}
    for name in ("calisol", "peo"):
        e = em.emulator(name)
        print(f"== {name}: {e.n} rows from {em.load_data(name)['doi'].nunique()} DOIs")
        print(f"   kernel        {e.gp.kernel_}")
        print(f"   noise sd      {e.noise_sd_ln:.3f} ln units (fitted white noise)")
        print(f"   fit time      {e.fit_seconds:.2f} s")
        t0 = time.perf_counter()
        cv = em.cross_validate(name, k=args.folds)
        print(
            f"   CV {cv['folds']}-fold by formulation: RMSE {cv['rmse_ln']:.4f} ln units, "
            f"median relative error {100 * cv['median_rel']:.1f}%  ({time.perf_counter() - t0:.1f} s)"
        )
        logo = em.cross_validate(name, by=groups[name])
        print(
            f"   leave-one-{groups[name]}-out ({logo['folds']} folds): RMSE {logo['rmse_ln']:.4f} ln units, "
            f"median relative error {100 * logo['median_rel']:.1f}%"
        )
        t0 = time.perf_counter()
        point, value = em.calisol_optimum() if name == "calisol" else em.peo_optimum()
        shown = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in point.items()}
        print(f"   optimum       {value:.5f} mS/cm at {shown}  ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
