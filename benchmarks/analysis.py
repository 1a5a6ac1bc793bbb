"""EIS analysis benchmark: optiform's ``conductivity()`` against impedance.py's circuit fit.

Generates ``--n`` realistic synthetic SS | film | SS spectra with known electrolyte resistance
(:func:`optiform.sim.cell.synthetic_blocking_cell`: 100 kHz-1 Hz, 10 points/decade, 0.5 %
proportional noise, 16 mm electrodes; conductivity log-uniform 0.05-3 mS/cm, thickness 50-200 µm,
spike CPE n 0.75-0.95 and Q 1e-6-1e-5 F s^(n-1)/cm², 30 % with cable inductance 1e-8-3e-7 H, 30 %
with a film arc: R1 = 10-50 % of the total, n1 0.8-0.95, peak frequency 3-30x the frequency where
the spike's |Z| equals R1, so that the arc is resolvable (it may lie above 100 kHz)).

In the same process, on the same spectra, it times

* the full ``conductivity()`` analysis (intercept, Lin-KK, multi-model fit with model selection,
  flags, result object), and
* impedance.py 1.7.1's ``CustomCircuit("R0-p(R1,CPE1)-CPE2").fit(f, Z)`` with a data-derived initial
  guess as a user would give it (R0 = Re Z at the highest frequency, R1 = 5 % of it, CPE1 = 1e-6 /
  0.9, CPE2 from the lowest-frequency point with n = 0.85), with its default (unweighted) fit and with
  ``weight_by_modulus=True``. impedance.py passes ``maxfev=1e5`` to ``curve_fit`` by default, which
  lets a fit of this 6-parameter model to a spectrum without a film arc run for 40 s; the benchmark
  passes ``maxfev=--maxfev`` (default 1000) instead, and a fit that raises (including "maximum
  number of function evaluations exceeded") or returns non-finite values counts as a failure (its
  time counts; its error is left out),

and prints spectra per second and the median / 95th-percentile relative error of the total
resistance (R0 + R1) against the truth, then the rate ratio.

    .venv/bin/python benchmarks/analysis.py --n 1000 --seed 0
"""

from __future__ import annotations

import argparse
import math
import platform
import shlex
import sys
import time
import warnings

import numpy as np

from optiform.analysis.eis import conductivity
from optiform.sim.cell import synthetic_blocking_cell

F_MIN, F_MAX, DIAMETER_MM = 1.0, 1e5, 16.0


def make_spectra(n: int, seed: int) -> list:
    """``n`` spectra with ground truth in ``meta`` (R_total_ohm, thickness_um, ...)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        sigma = 10 ** rng.uniform(math.log10(0.05), math.log10(3.0))
        thickness = rng.uniform(50.0, 200.0)
        n2 = rng.uniform(0.75, 0.95)
        q = 10 ** rng.uniform(-6.0, -5.0)
        L = 10 ** rng.uniform(-8.0, math.log10(3e-7)) if rng.random() < 0.3 else 0.0
        arc = None
        if rng.random() < 0.3:
            A = math.pi * (DIAMETER_MM / 10) ** 2 / 4
            R_total = thickness * 1e-4 / (sigma * 1e-3 * A)
            frac = rng.uniform(0.1, 0.5)
            R1 = frac * R_total
            Q2 = q * A / 2
            f_x = (1.0 / (Q2 * R1)) ** (1.0 / n2) / (2 * math.pi)  # spike |Z| = R1 here
            arc = {"R1_fraction": frac, "n1": rng.uniform(0.8, 0.95), "f_peak_Hz": f_x * 10 ** rng.uniform(0.5, 1.5)}
        out.append(
            synthetic_blocking_cell(
                sigma,
                thickness_um=thickness,
                diameter_mm=DIAMETER_MM,
                f_min=F_MIN,
                f_max=F_MAX,
                points_per_decade=10,
                noise_rel=0.005,
                arc=arc,
                L_H=L,
                cpe_Q=q,
                cpe_n=n2,
                seed=rng,
            )
        )
    return out


def run_optiform(spectra: list) -> tuple[float, np.ndarray, np.ndarray, dict]:
    R = np.full(len(spectra), np.nan)
    each = np.zeros(len(spectra))
    models: dict[str, int] = {}
    failing: dict[str, int] = {}
    t0 = time.perf_counter()
    for i, s in enumerate(spectra):
        t = time.perf_counter()
        res = conductivity(s, thickness_um=s.meta["thickness_um"], diameter_mm=DIAMETER_MM)
        each[i] = time.perf_counter() - t
        R[i] = res.resistance_total_ohm
        models[res.model or "intercept"] = models.get(res.model or "intercept", 0) + 1
        for fl in res.flags:
            if fl.failing:
                failing[fl.code] = failing.get(fl.code, 0) + 1
    dt = time.perf_counter() - t0
    return dt, R, each, {"models": models, "failing": failing}


def _guess(f: np.ndarray, Z: np.ndarray) -> list[float]:
    R0 = float(Z.real[np.argmax(f)])
    j = int(np.argmin(f))
    w = 2 * math.pi * f[j]
    Q2 = math.sin(0.85 * math.pi / 2) / (abs(Z.imag[j]) * w**0.85)
    return [R0, 0.05 * R0, 1e-6, 0.9, Q2, 0.85]


def run_impedance(spectra: list, weight_by_modulus: bool, maxfev: int) -> tuple[float, np.ndarray, np.ndarray, int]:
    from impedance.models.circuits import CustomCircuit

    R = np.full(len(spectra), np.nan)
    each = np.zeros(len(spectra))
    failures = 0
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, s in enumerate(spectra):
            t = time.perf_counter()
            f, Z = s.frequency_Hz, s.Z_ohm
            try:
                c = CustomCircuit("R0-p(R1,CPE1)-CPE2", initial_guess=_guess(f, Z))
                c.fit(f, Z, weight_by_modulus=weight_by_modulus, maxfev=maxfev)
                p = c.parameters_
                r = float(p[0] + p[1])
                if not math.isfinite(r):
                    raise ValueError("non-finite")
                R[i] = r
            except Exception:
                failures += 1
            each[i] = time.perf_counter() - t
    dt = time.perf_counter() - t0
    return dt, R, each, failures


def _errors(R: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    ok = np.isfinite(R)
    e = np.abs(R[ok] / truth[ok] - 1)
    return float(np.median(e)), float(np.percentile(e, 95))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="number of spectra (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    ap.add_argument("--maxfev", type=int, default=1000, help="impedance.py curve_fit maxfev (default 1000)")
    args = ap.parse_args(argv)

    import impedance
    import scipy

    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"impedance {getattr(impedance, '__version__', '?')}, {platform.machine()}"
    )
    spectra = make_spectra(args.n, args.seed)
    truth = np.array([s.meta["R_total_ohm"] for s in spectra])
    n_arc = sum(s.meta["R1_ohm"] > 0 for s in spectra)
    n_L = sum(s.meta["L_H"] > 0 for s in spectra)
    print(
        f"{args.n} spectra (seed {args.seed}): {len(spectra[0])} points each, 100 kHz-1 Hz, 0.5 % noise; "
        f"R_total {truth.min():.3g}-{truth.max():.3g} ohm; {n_arc} with a film arc, {n_L} with inductance"
    )

    t_opt, R_opt, e_opt, info = run_optiform(spectra)
    t_imp, R_imp, e_imp, fail_imp = run_impedance(spectra, weight_by_modulus=False, maxfev=args.maxfev)
    t_imw, R_imw, e_imw, fail_imw = run_impedance(spectra, weight_by_modulus=True, maxfev=args.maxfev)

    rows = [
        ("optiform conductivity() (full analysis)", t_opt, R_opt, e_opt, 0),
        ("impedance.py CustomCircuit.fit (default)", t_imp, R_imp, e_imp, fail_imp),
        ("impedance.py CustomCircuit.fit (weight_by_modulus)", t_imw, R_imw, e_imw, fail_imw),
    ]
    print(f"{'method':52s} {'spectra/s':>10s} {'median ms':>10s} {'median err':>11s} {'p95 err':>9s} {'failures':>9s}")
    for name, dt, R, each, fails in rows:
        med, p95 = _errors(R, truth)
        print(f"{name:52s} {len(spectra) / dt:10.1f} {1e3 * np.median(each):10.1f} {med:11.3%} {p95:9.3%} {fails:9d}")
    print(
        f"optiform models chosen: {dict(sorted(info['models'].items()))}; failing flags: "
        f"{dict(sorted(info['failing'].items())) or 'none'}"
    )
    print(
        f"ratio (optiform / impedance.py default) spectra/s: {t_imp / t_opt:.2f}x; "
        f"vs weight_by_modulus: {t_imw / t_opt:.2f}x"
    )
    med, p95 = _errors(R_opt, truth)
    ok = med < 0.01 and p95 < 0.05 and t_opt <= t_imp
    print(f"targets (median < 1 %, p95 < 5 %, rate >= impedance.py): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
