"""Galvanostatic cycling: full-cell / half-cell summaries and Li|Li symmetric-cell overpotentials.

Conventions: ``current_A`` > 0 is charge (oxidation of the working electrode), < 0 discharge;
capacities in mAh (1 mAh = 3.6 A·s), specific capacities in mAh/g of active material
(``active_mass_mg``), potentials in V, overpotentials in mV.

``cycling_summary`` — per cycle:

* **Cycles.** ``cycle_definition="column"`` uses the ``cycle`` column; ``"half_cycles"`` numbers
  half cycles by changes of the current sign (rest rows, |I| ≤ ``REST_CURRENT_FRACTION`` · max|I|,
  join the preceding half cycle) and pairs them: cycle = ceil(half cycle / 2), whatever the sign of
  the first one (navani's convention); ``"auto"`` (default) uses the column when present and every
  cycle in it holds at most one charge and one discharge half cycle, else ``"half_cycles"``.
* **Capacities.** With both ``charge_capacity_mAh`` and ``discharge_capacity_mAh`` columns, each
  counter is differenced row by row, reset-aware: Δ_k = c_k − c_{k−1} when the counter grew, c_k
  when it fell (a reset to zero), summed over the rows of a cycle (counters start from 0 at the first
  row of the record). This gives the within-cycle maximum for counters that reset every cycle or step
  (BioLogic, Arbin per cycle) and the growth within the cycle for counters cumulative over the whole
  test (some Arbin exports). Without capacity columns the current is integrated: ΔQ_k = I_k (t_k − t_{k−1}) / 3.6
  (mAh), positive parts to charge, negative to discharge, rest rows excluded.
* **Coulombic efficiency**, % (stated in ``ce_convention``): "discharge/charge" → 100·Q_dis/Q_ch
  (cathode-limited full cells and cathode half cells, charged first); "charge/discharge" →
  100·Q_ch/Q_dis (anode half cells lithiated first, e.g. graphite|Li; navani computes this one).
* **Average voltages**: ∫V dQ / Q per half cycle (trapezoidal in Q within the half cycle).
* **Completeness**: a cycle needs charge and discharge; the last cycle is *incomplete* when its last
  half cycle delivered < ``INCOMPLETE_FRACTION`` of its first half cycle or of the same half of the
  previous cycle (the test was stopped mid-half-cycle). Incomplete cycles stay in ``cycles`` (column
  ``complete``) but are excluded from the canonical results.
* **Canonical results**: ``discharge_capacity_mAh_g`` (``value``) of the last complete cycle;
  ``capacity_retention_pct`` = 100 · Q_dis(last complete) / Q_dis(reference cycle);
  ``coulombic_efficiency_pct`` = mean CE over the complete cycles after the reference (the reference
  itself when there are none), uncertainty = SD/√n. ``CyclingResult.results()`` returns the three as
  plain :class:`Result` objects.
* **Rates**: ``rates`` (a number, a per-cycle sequence or {cycle: C-rate}) or inferred as
  C = mean|I_dis| / (m · ``nominal_capacity_mAh_g``) → ``rate_table`` (consecutive blocks of cycles
  at one rate with mean discharge capacity and CE).

Flags of ``cycling_summary`` (thresholds are module constants):

* ``incomplete_last_cycle`` (not failing): the last cycle was cut short and is excluded.
* ``no_active_mass`` (not failing): no ``active_mass_mg``; ``value`` (mAh/g) is NaN.
* ``ce_above_100`` (not failing): mean CE > :data:`CE_MAX_PCT` — check ``ce_convention``.

``symmetric_summary`` — Li|Li galvanostatic plating/stripping:

* **Steps**: constant-current segments, split where the current sign changes, the current falls to
  rest, or |I| moves to another level (levels = clusters of |I| within ``level_rtol``).
* **Per step**: overpotential = mean |E| over the second half of the step in time (after the
  nucleation/transient part; ``settle_fraction``), and the maximum |E| (nucleation peak), in mV.
* **Blocks/levels**: consecutive steps at one current level form a block (median overpotential);
  ``levels`` gives the median over all steps at each level. Current density j = |I| / area
  (mA/cm²) with ``area_cm2``; without it, ``current_density_mA_cm2`` labels the levels (one number
  for a single level or the distinct levels in ascending order), else levels are |I| in mA.
* ``overpotential_mV`` (``value``) = median of the first block at the lowest level
  (``report_level="lowest"``, e.g. 0.1 mA/cm² in a rate test, or the whole long-term test), or of
  the last block (``"last"``).

Flags of ``symmetric_summary``:

* ``short_circuit`` (failing): while current flows, |E| stays below :data:`SHORT_CIRCUIT_ABS_MV`
  or drops by more than :data:`SHORT_CIRCUIT_DROP` of the step's running maximum for
  ≥ :data:`SHORT_CIRCUIT_MIN_POINTS` consecutive samples (first :data:`SHORT_SETTLE_FRACTION` of each
  step ignored), or a step's overpotential falls by more than :data:`SHORT_CIRCUIT_DROP` against the
  previous step at the same level.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ._util import as_frame as _as_frame
from ._util import new_axes as _axes
from .types import Flag, Result, Series

REST_CURRENT_FRACTION = 1e-3  # |I| ≤ this × max|I| counts as rest
INCOMPLETE_FRACTION = 0.5  # incomplete_last_cycle: last half cycle below this fraction of its reference
CE_MAX_PCT = 100.5  # ce_above_100: mean CE above this, %
RESET_RTOL = 1e-6  # a capacity counter falling by more than this (relative) counts as a reset
SHORT_CIRCUIT_ABS_MV = 1.0  # short_circuit: |E| below this while current flows, mV
SHORT_CIRCUIT_DROP = 0.8  # short_circuit: drop of |E| by more than this fraction
SHORT_CIRCUIT_MIN_POINTS = 3  # short_circuit: consecutive samples needed
SHORT_SETTLE_FRACTION = 0.1  # short_circuit: ignore this leading fraction of each step's samples

CEConvention = Literal["discharge/charge", "charge/discharge"]
CycleDefinition = Literal["auto", "column", "half_cycles"]

__all__ = [
    "CE_MAX_PCT",
    "INCOMPLETE_FRACTION",
    "REST_CURRENT_FRACTION",
    "SHORT_CIRCUIT_ABS_MV",
    "SHORT_CIRCUIT_DROP",
    "SHORT_CIRCUIT_MIN_POINTS",
    "SHORT_SETTLE_FRACTION",
    "CyclingResult",
    "SymmetricResult",
    "cycling_summary",
    "symmetric_summary",
]


# ----------------------------------------------------------------------------------------- results
@dataclass
class CyclingResult(Result):
    """Cycling summary; ``value`` = discharge capacity (mAh/g) of the last complete cycle.

    ``cycles``: one row per cycle (index ``cycle``) with charge_mAh, discharge_mAh, [charge_mAh_g,
    discharge_mAh_g], ce_pct, retention_pct, avg_charge_V, avg_discharge_V, mean_charge_current_A,
    mean_discharge_current_A, [specific_current_mA_g], [c_rate], n_points, complete.
    """

    cycles: pd.DataFrame = field(default_factory=pd.DataFrame)
    rate_table: pd.DataFrame | None = None
    capacity_retention_pct: float = float("nan")
    coulombic_efficiency_pct: float = float("nan")
    coulombic_efficiency_se_pct: float = float("nan")
    ce_convention: str = "discharge/charge"
    reference_cycle: int = 1
    last_complete_cycle: int = 0
    ce_cycles: list[int] = field(default_factory=list)
    incomplete_cycles: list[int] = field(default_factory=list)
    cycle_definition: str = "column"
    capacity_source: str = "columns"

    def results(self) -> list[Result]:
        """The canonical results as plain :class:`Result` objects (capacity omitted without mass)."""
        base: dict[str, Any] = {"flags": list(self.flags), "inputs": dict(self.inputs)}
        out: list[Result] = []
        if np.isfinite(self.value):
            out.append(
                Result(
                    "discharge_capacity_mAh_g",
                    self.value,
                    None,
                    f"discharge capacity of cycle {self.last_complete_cycle}",
                    **base,
                    details={"cycle": self.last_complete_cycle},
                )
            )
        out.append(
            Result(
                "capacity_retention_pct",
                self.capacity_retention_pct,
                None,
                f"discharge capacity cycle {self.last_complete_cycle} / cycle {self.reference_cycle} × 100",
                **base,
                details={"cycle": self.last_complete_cycle, "reference_cycle": self.reference_cycle},
            )
        )
        out.append(
            Result(
                "coulombic_efficiency_pct",
                self.coulombic_efficiency_pct,
                self.coulombic_efficiency_se_pct if np.isfinite(self.coulombic_efficiency_se_pct) else None,
                f"mean CE ({self.ce_convention}) over cycles {self._span(self.ce_cycles)}",
                **base,
                details={"cycles": self.ce_cycles, "convention": self.ce_convention},
            )
        )
        return out

    @staticmethod
    def _span(c: list[int]) -> str:
        return f"{c[0]}–{c[-1]}" if c else "none"

    def plot(self, ax: Any = None) -> Any:
        """Discharge (and charge) capacity per cycle with CE on a twin axis; returns the capacity axes."""
        ax = _axes(ax)
        c = self.cycles
        specific = "discharge_mAh_g" in c.columns
        unit = "mAh/g" if specific else "mAh"
        dis, ch = ("discharge_mAh_g", "charge_mAh_g") if specific else ("discharge_mAh", "charge_mAh")
        ax.plot(c.index, c[dis], "o", ms=3, label="discharge")
        ax.plot(c.index, c[ch], "s", ms=3, mfc="none", label="charge")
        ax.set_xlabel("cycle")
        ax.set_ylabel(f"capacity ({unit})")
        ax2 = ax.twinx()
        ax2.plot(c.index, c["ce_pct"], "-", color="C2", lw=0.8)
        ax2.set_ylabel(f"CE ({self.ce_convention}), %")
        ax.legend(loc="lower left")
        return ax


@dataclass
class SymmetricResult(Result):
    """Li|Li plating/stripping summary; ``value`` = overpotential in mV (see ``report_level``).

    ``steps``: one row per constant-current step (start_s, end_s, current_A, level, current_density,
    overpotential_mV, max_mV); ``blocks``: consecutive steps at one level; ``levels``: per level.
    """

    steps: pd.DataFrame = field(default_factory=pd.DataFrame)
    blocks: pd.DataFrame = field(default_factory=pd.DataFrame)
    levels: pd.DataFrame = field(default_factory=pd.DataFrame)
    level_unit: str = "mA/cm2"
    report_level: str = "lowest"
    short_circuit: bool = False
    short_circuit_time_s: float | None = None
    time_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    potential_V: np.ndarray = field(default_factory=lambda: np.empty(0))

    def plot(self, ax: Any = None) -> Any:
        """E (mV) against time (h), short circuit marked; returns the axes."""
        ax = _axes(ax)
        ax.plot(self.time_s / 3600.0, self.potential_V * 1e3, "-", lw=0.6)
        if self.short_circuit_time_s is not None:
            ax.axvline(self.short_circuit_time_s / 3600.0, color="red", ls="--", label="short circuit")
            ax.legend()
        ax.set_xlabel("time (h)")
        ax.set_ylabel("E (mV)")
        ax.set_title(f"overpotential {self.value:.1f} mV")
        return ax


# -------------------------------------------------------------------------------- cycling summary
def cycling_summary(
    series_or_df: Series | pd.DataFrame | str | os.PathLike[str],
    *,
    active_mass_mg: float | None = None,
    reference_cycle: int = 1,
    ce_convention: CEConvention = "discharge/charge",
    rates: float | Sequence[float] | Mapping[int, float] | None = None,
    nominal_capacity_mAh_g: float | None = None,
    cycle_definition: CycleDefinition = "auto",
) -> CyclingResult:
    """Per-cycle capacities, CE, retention, average voltages and the canonical cycling results.

    Parameters
    ----------
    series_or_df : Series, DataFrame or path with ``time_s``, ``current_A`` and optionally
        ``potential_V``, ``cycle``, ``charge_capacity_mAh``, ``discharge_capacity_mAh``.
    active_mass_mg : active-material mass, mg (for mAh/g).
    reference_cycle : cycle the retention refers to (e.g. the first cycle after formation).
    ce_convention : "discharge/charge" (default, cathode-limited cells) or "charge/discharge".
    rates : C-rate(s): one number, a sequence per cycle (first table cycle first), or {cycle: rate}.
    nominal_capacity_mAh_g : to infer C-rates from the discharge current and ``active_mass_mg``.
    cycle_definition : "auto" | "column" | "half_cycles" (see module docstring).
    """
    if ce_convention not in ("discharge/charge", "charge/discharge"):
        raise AnalysisError(f"ce_convention: expected 'discharge/charge' or 'charge/discharge', got {ce_convention!r}")
    if cycle_definition not in ("auto", "column", "half_cycles"):
        raise AnalysisError(f"cycle_definition: expected 'auto', 'column' or 'half_cycles', got {cycle_definition!r}")
    if active_mass_mg is not None and not (np.isfinite(active_mass_mg) and active_mass_mg > 0):
        raise AnalysisError(f"active_mass_mg: must be > 0, got {active_mass_mg}")
    df = _as_frame(series_or_df, ("time_s", "current_A"), "series_or_df")
    df = df.dropna(subset=["time_s", "current_A"]).reset_index(drop=True)
    if len(df) < 2:
        raise AnalysisError("series_or_df: need at least 2 rows with time_s and current_A")
    t = df["time_s"].to_numpy(float)
    I = df["current_A"].to_numpy(float)
    state = _state(I)
    half = _half_cycles(state)
    cycle, how = _assign_cycles(df, state, half, cycle_definition)
    dq_ch, dq_dis, source = _capacity_increments(df, t, I, state)
    V = df["potential_V"].to_numpy(float) if "potential_V" in df.columns else None

    table = _cycle_table(cycle, half, state, I, V, dq_ch, dq_dis)
    if table.empty:
        raise AnalysisError("series_or_df: no cycle with current found")
    table["complete"] = _completeness(table)
    if active_mass_mg is not None:
        g = active_mass_mg * 1e-3
        table["charge_mAh_g"] = table["charge_mAh"] / g
        table["discharge_mAh_g"] = table["discharge_mAh"] / g
        table["specific_current_mA_g"] = table["mean_discharge_current_A"] * 1e3 / g
    with np.errstate(divide="ignore", invalid="ignore"):
        num, den = (
            (table["discharge_mAh"], table["charge_mAh"])
            if ce_convention == "discharge/charge"
            else (table["charge_mAh"], table["discharge_mAh"])
        )
        table["ce_pct"] = 100.0 * num / den.where(den > 0)
    c_rates = _c_rates(table, rates, active_mass_mg, nominal_capacity_mAh_g)
    if c_rates is not None:
        table["c_rate"] = c_rates

    complete = table.index[table["complete"]].tolist()
    if not complete:
        raise AnalysisError("series_or_df: no complete cycle (charge and discharge) found")
    if reference_cycle not in complete:
        raise AnalysisError(
            f"reference_cycle: cycle {reference_cycle} is not a complete cycle; complete cycles are "
            f"{complete[0]}–{complete[-1]}"
        )
    last = int(complete[-1])
    ref_cap = float(table.at[reference_cycle, "discharge_mAh"])
    table["retention_pct"] = 100.0 * table["discharge_mAh"] / ref_cap if ref_cap > 0 else np.nan
    retention = float(table.at[last, "retention_pct"])
    ce_cycles = [int(c) for c in complete if reference_cycle < c <= last] or [reference_cycle]
    ce_vals = table.loc[ce_cycles, "ce_pct"].to_numpy(float)
    ce_mean = float(np.nanmean(ce_vals))
    ce_se = float(np.nanstd(ce_vals, ddof=1) / math.sqrt(len(ce_vals))) if len(ce_vals) > 1 else float("nan")
    value = float(table.at[last, "discharge_mAh_g"]) if active_mass_mg is not None else float("nan")
    incomplete = [int(c) for c in table.index[~table["complete"]]]

    flags: list[Flag] = []
    if incomplete and incomplete[-1] == int(table.index[-1]):
        flags.append(
            Flag(
                "incomplete_last_cycle",
                f"cycle {incomplete[-1]} is incomplete and excluded",
                value=float(incomplete[-1]),
                threshold=INCOMPLETE_FRACTION,
                failing=False,
            )
        )
    if active_mass_mg is None:
        flags.append(Flag("no_active_mass", "no active_mass_mg: specific capacity not available", failing=False))
    if ce_mean > CE_MAX_PCT:
        flags.append(
            Flag(
                "ce_above_100",
                f"mean CE {ce_mean:.2f} % ({ce_convention}) > {CE_MAX_PCT:g} %; check ce_convention",
                value=ce_mean,
                threshold=CE_MAX_PCT,
                failing=False,
            )
        )
    rate_table = _rate_table(table) if "c_rate" in table.columns else None
    details = {
        "last_complete_cycle": last,
        "reference_cycle": reference_cycle,
        "capacity_retention_pct": retention,
        "coulombic_efficiency_pct": ce_mean,
        "coulombic_efficiency_se_pct": ce_se,
        "ce_convention": ce_convention,
        "ce_cycles": ce_cycles,
        "incomplete_cycles": incomplete,
        "cycle_definition": how,
        "capacity_source": source,
        "cycles": _records(table),
    }
    return CyclingResult(
        quantity="discharge_capacity_mAh_g",
        value=value,
        uncertainty=None,
        method=f"cycling summary (cycles from {how}, capacities from {source}, CE = {ce_convention})",
        flags=flags,
        inputs={
            "active_mass_mg": active_mass_mg,
            "reference_cycle": reference_cycle,
            "ce_convention": ce_convention,
            "rates": rates
            if rates is None or np.isscalar(rates)
            else (dict(rates) if isinstance(rates, Mapping) else list(cast(Sequence[float], rates))),
            "nominal_capacity_mAh_g": nominal_capacity_mAh_g,
            "cycle_definition": cycle_definition,
        },
        details=details,
        cycles=table,
        rate_table=rate_table,
        capacity_retention_pct=retention,
        coulombic_efficiency_pct=ce_mean,
        coulombic_efficiency_se_pct=ce_se,
        ce_convention=ce_convention,
        reference_cycle=reference_cycle,
        last_complete_cycle=last,
        ce_cycles=ce_cycles,
        incomplete_cycles=incomplete,
        cycle_definition=how,
        capacity_source=source,
    )


def _state(I: np.ndarray) -> np.ndarray:
    """+1 charge, −1 discharge, 0 rest (|I| ≤ REST_CURRENT_FRACTION · max|I|)."""
    tol = REST_CURRENT_FRACTION * float(np.max(np.abs(I))) if len(I) else 0.0
    return np.where(I > tol, 1, np.where(I < -tol, -1, 0))


def _half_cycles(state: np.ndarray) -> np.ndarray:
    """Half-cycle number: +1 at every change of the non-rest state; rests join the previous one."""
    half = np.zeros(len(state), dtype=int)
    prev, n = 0, 0
    for k, s in enumerate(state):
        if s != 0 and s != prev:
            n += 1
            prev = s
        half[k] = n
    return half


def _assign_cycles(df: pd.DataFrame, state: np.ndarray, half: np.ndarray, how: str) -> tuple[np.ndarray, str]:
    has_col = "cycle" in df.columns and df["cycle"].notna().all()
    if how == "column" and not has_col:
        raise AnalysisError("cycle_definition='column': the data have no complete 'cycle' column")
    if how == "column" or (how == "auto" and has_col and _column_is_consistent(df["cycle"].to_numpy(), state, half)):
        return df["cycle"].to_numpy().astype(int), "cycle column"
    return np.ceil(half / 2).astype(int), "current-sign half cycles"


def _column_is_consistent(cycle: np.ndarray, state: np.ndarray, half: np.ndarray) -> bool:
    """True when no cycle of the column holds two half cycles of the same sign."""
    active = state != 0
    pairs = pd.DataFrame({"cycle": cycle[active], "state": state[active], "half": half[active]}).drop_duplicates()
    return not pairs.duplicated(subset=["cycle", "state"]).any()


def _capacity_increments(
    df: pd.DataFrame, t: np.ndarray, I: np.ndarray, state: np.ndarray
) -> tuple[np.ndarray, np.ndarray, str]:
    cols = ("charge_capacity_mAh", "discharge_capacity_mAh")
    if all(c in df.columns for c in cols) and df[list(cols)].notna().all().all():
        return (
            _counter_increments(df[cols[0]].to_numpy(float)),
            _counter_increments(df[cols[1]].to_numpy(float)),
            "capacity columns (reset-aware differences)",
        )
    dt = np.diff(t, prepend=t[0])
    dq = I * dt / 3.6  # A·s → mAh
    dq = np.where(state != 0, dq, 0.0)
    return np.clip(dq, 0, None), np.clip(-dq, 0, None), "current integration"


def _counter_increments(c: np.ndarray) -> np.ndarray:
    """Row increments of a cumulative counter; a fall beyond RESET_RTOL is a reset (increment = c_k).
    The counter is taken to start from 0 at the beginning of the record (first increment = c_0)."""
    prev = np.r_[0.0, c[:-1]]
    d = c - prev
    reset = c < prev * (1 - RESET_RTOL) - 1e-12
    return np.where(reset, c, np.clip(d, 0, None))


def _cycle_table(
    cycle: np.ndarray,
    half: np.ndarray,
    state: np.ndarray,
    I: np.ndarray,
    V: np.ndarray | None,
    dq_ch: np.ndarray,
    dq_dis: np.ndarray,
) -> pd.DataFrame:
    # mid-interval voltage within a half cycle (trapezoidal ∫V dQ); the first row of a half cycle uses V_k
    if V is not None:
        Vprev = np.r_[V[0], V[:-1]]
        same = np.r_[False, half[1:] == half[:-1]]
        Vmid = np.where(same, 0.5 * (V + Vprev), V)
    else:
        Vmid = np.full(len(I), np.nan)
    frame = pd.DataFrame(
        {
            "cycle": cycle,
            "state": state,
            "I": I,
            "qc": dq_ch,
            "qd": dq_dis,
            "vqc": Vmid * dq_ch,
            "vqd": Vmid * dq_dis,
            "half": half,
        }
    )
    rows = []
    for c, g in frame.groupby("cycle", sort=True):
        if not (g["state"] != 0).any():
            continue
        qc, qd = float(g["qc"].sum()), float(g["qd"].sum())
        ch, dis = g[g["state"] == 1], g[g["state"] == -1]
        active = g[g["state"] != 0]
        first_sign = int(active["state"].iloc[0])
        last_sign = int(active["state"].iloc[-1])
        rows.append(
            {
                "cycle": int(c),
                "charge_mAh": qc,
                "discharge_mAh": qd,
                "avg_charge_V": float(g["vqc"].sum() / qc) if qc > 0 else np.nan,
                "avg_discharge_V": float(g["vqd"].sum() / qd) if qd > 0 else np.nan,
                "mean_charge_current_A": float(ch["I"].abs().mean()) if len(ch) else np.nan,
                "mean_discharge_current_A": float(dis["I"].abs().mean()) if len(dis) else np.nan,
                "first_half": "charge" if first_sign > 0 else "discharge",
                "last_half": "charge" if last_sign > 0 else "discharge",
                "n_points": len(g),
            }
        )
    return pd.DataFrame(rows).set_index("cycle") if rows else pd.DataFrame()


def _completeness(table: pd.DataFrame) -> pd.Series:
    """Both halves present; the last cycle's last half ≥ INCOMPLETE_FRACTION of its first half and of
    the same half in the previous cycle."""
    ok = (table["charge_mAh"] > 0) & (table["discharge_mAh"] > 0)
    last = table.index[-1]
    row = table.loc[last]
    if ok[last] and row["first_half"] != row["last_half"]:
        col = "charge_mAh" if row["last_half"] == "charge" else "discharge_mAh"
        other = "discharge_mAh" if col == "charge_mAh" else "charge_mAh"
        refs = [row[other]]
        if len(table) > 1:
            refs.append(table[col].iloc[-2])
        if row[col] < INCOMPLETE_FRACTION * max(refs):
            ok[last] = False
    return ok


def _c_rates(table: pd.DataFrame, rates: Any, mass_mg: float | None, nominal: float | None) -> np.ndarray | None:
    n = len(table)
    if rates is not None:
        if isinstance(rates, Mapping):
            return np.array([float(rates.get(int(c), np.nan)) for c in table.index])
        if np.isscalar(rates):
            return np.full(n, float(cast(float, rates)))
        r = np.asarray(rates, dtype=float)
        if r.size != n:
            raise AnalysisError(f"rates: {r.size} values for {n} cycles")
        return r
    if nominal is not None:
        if mass_mg is None:
            raise AnalysisError("nominal_capacity_mAh_g: needs active_mass_mg to infer C-rates")
        cap_mAh = mass_mg * 1e-3 * nominal
        c_rates: np.ndarray = (table["mean_discharge_current_A"].to_numpy(float) * 1e3) / cap_mAh
        return c_rates
    return None


def _rate_table(table: pd.DataFrame) -> pd.DataFrame:
    """Consecutive blocks of cycles at one C-rate (rounded to 2 significant figures)."""
    r = table["c_rate"].to_numpy(float)
    rr = np.array([float(f"{x:.2g}") if np.isfinite(x) else np.nan for x in r])
    block = np.cumsum(np.r_[True, ~((rr[1:] == rr[:-1]) | (np.isnan(rr[1:]) & np.isnan(rr[:-1])))])
    cap = "discharge_mAh_g" if "discharge_mAh_g" in table.columns else "discharge_mAh"
    t = table.assign(block=block, c_rate_rounded=rr)
    t = t[t["complete"]]
    out = t.groupby("block").agg(
        c_rate=("c_rate_rounded", "first"),
        first_cycle=("c_rate", lambda s: int(s.index[0])),
        last_cycle=("c_rate", lambda s: int(s.index[-1])),
        n_cycles=(cap, "size"),
        mean_discharge=(cap, "mean"),
        mean_ce_pct=("ce_pct", "mean"),
    )
    return out.rename(columns={"mean_discharge": f"mean_{cap}"})


# ------------------------------------------------------------------------------ symmetric summary
def symmetric_summary(
    series_or_df: Series | pd.DataFrame | str | os.PathLike[str],
    *,
    current_density_mA_cm2: float | Sequence[float] | None = None,
    area_cm2: float | None = None,
    report_level: Literal["lowest", "last"] = "lowest",
    level_rtol: float = 0.05,
    settle_fraction: float = 0.5,
) -> SymmetricResult:
    """Overpotentials of a Li|Li galvanostatic plating/stripping test (``time_s``, ``current_A``,
    ``potential_V``); see the module docstring for steps, levels, the reported value and flags.

    Parameters
    ----------
    current_density_mA_cm2 : level labels when ``area_cm2`` is not given (one number or the
        distinct levels in ascending order).
    area_cm2 : electrode area, cm² (j = |I|/area · 1000 mA/cm²).
    report_level : "lowest" (first block at the lowest level) or "last" (last block).
    level_rtol : relative tolerance grouping |I| into levels.
    settle_fraction : the overpotential averages |E| over t ≥ start + settle_fraction · duration.
    """
    if report_level not in ("lowest", "last"):
        raise AnalysisError(f"report_level: expected 'lowest' or 'last', got {report_level!r}")
    if area_cm2 is not None and not (np.isfinite(area_cm2) and area_cm2 > 0):
        raise AnalysisError(f"area_cm2: must be > 0, got {area_cm2}")
    if not 0 <= settle_fraction < 1:
        raise AnalysisError(f"settle_fraction: must lie in [0, 1), got {settle_fraction}")
    df = _as_frame(series_or_df, ("time_s", "current_A", "potential_V"), "series_or_df")
    df = df.dropna(subset=["time_s", "current_A", "potential_V"]).sort_values("time_s", kind="stable")
    t = df["time_s"].to_numpy(float)
    I = df["current_A"].to_numpy(float)
    E = df["potential_V"].to_numpy(float)
    state = _state(I)
    level = _current_levels(np.abs(I), state, level_rtol)
    seg = np.cumsum(np.r_[True, (state[1:] != state[:-1]) | (level[1:] != level[:-1])])
    level_values, unit = _level_values(np.abs(I), level, area_cm2, current_density_mA_cm2)

    rows, short_at = [], None
    prev_eta: dict[int, float] = {}
    for s in np.unique(seg):
        m = seg == s
        if state[m][0] == 0:
            continue
        ts, Es = t[m], np.abs(E[m]) * 1e3
        lv = int(level[m][0])
        late = ts >= ts[0] + settle_fraction * (ts[-1] - ts[0])
        eta = float(np.mean(Es[late]))
        k_short = _short_in_step(Es)
        if k_short is not None and short_at is None:
            short_at = (float(ts[k_short]), float(Es[k_short]), "within step")
        if lv in prev_eta and eta < (1 - SHORT_CIRCUIT_DROP) * prev_eta[lv] and short_at is None:
            short_at = (float(ts[0]), eta, "step-to-step drop")
        prev_eta[lv] = eta
        rows.append(
            {
                "start_s": float(ts[0]),
                "end_s": float(ts[-1]),
                "current_A": float(np.mean(I[m])),
                "level": lv,
                "current_density": level_values[lv],
                "overpotential_mV": eta,
                "max_mV": float(Es.max()),
                "n_points": int(m.sum()),
            }
        )
    if not rows:
        raise AnalysisError("series_or_df: no constant-current step found")
    steps = pd.DataFrame(rows)
    steps["block"] = np.cumsum(np.r_[True, steps["level"].to_numpy()[1:] != steps["level"].to_numpy()[:-1]])
    blocks = steps.groupby("block").agg(
        current_density=("current_density", "first"),
        level=("level", "first"),
        n_steps=("level", "size"),
        start_s=("start_s", "first"),
        end_s=("end_s", "last"),
        overpotential_mV=("overpotential_mV", "median"),
        max_mV=("max_mV", "median"),
    )
    levels = steps.groupby("current_density").agg(
        n_steps=("level", "size"), overpotential_mV=("overpotential_mV", "median"), max_mV=("max_mV", "median")
    )
    if report_level == "lowest":
        low = blocks["current_density"].min()
        chosen = blocks[blocks["current_density"] == low].iloc[0]
    else:
        chosen = blocks.iloc[-1]
    flags: list[Flag] = []
    if short_at is not None:
        flags.append(
            Flag(
                "short_circuit",
                f"|E| collapsed to {short_at[1]:.3g} mV at t = {short_at[0] / 3600:.3g} h "
                f"({short_at[2]}) while current flows",
                value=short_at[1],
                threshold=SHORT_CIRCUIT_ABS_MV,
            )
        )
    return SymmetricResult(
        quantity="overpotential_mV",
        value=float(chosen["overpotential_mV"]),
        uncertainty=None,
        method=f"Li|Li symmetric: median over steps of mean |E| in the last {1 - settle_fraction:.0%} of each step, "
        f"{report_level} block ({chosen['current_density']:.3g} {unit})",
        flags=flags,
        inputs={
            "area_cm2": area_cm2,
            "current_density_mA_cm2": current_density_mA_cm2,
            "report_level": report_level,
            "level_rtol": level_rtol,
            "settle_fraction": settle_fraction,
        },
        details={
            "reported_current_density": float(chosen["current_density"]),
            "level_unit": unit,
            "levels": _records(levels),
            "blocks": _records(blocks),
            "n_steps": len(steps),
            "short_circuit_time_s": None if short_at is None else short_at[0],
        },
        steps=steps,
        blocks=blocks,
        levels=levels,
        level_unit=unit,
        report_level=report_level,
        short_circuit=short_at is not None,
        short_circuit_time_s=None if short_at is None else short_at[0],
        time_s=t,
        potential_V=E,
    )


def _current_levels(absI: np.ndarray, state: np.ndarray, rtol: float) -> np.ndarray:
    """Cluster |I| of the non-rest rows: a new level where sorted |I| jumps by more than ``rtol``."""
    level = np.full(len(absI), -1, dtype=int)
    active = state != 0
    if not active.any():
        return level
    vals = np.sort(absI[active])
    edges = np.flatnonzero(vals[1:] > vals[:-1] * (1 + rtol))
    bounds = vals[edges + 1]  # lower bound of each level above the first
    level[active] = np.searchsorted(bounds, absI[active], side="right")
    return level


def _level_values(
    absI: np.ndarray, level: np.ndarray, area: float | None, nominal: float | Sequence[float] | None
) -> tuple[dict[int, float], str]:
    ids = sorted(int(v) for v in np.unique(level) if v >= 0)
    med = {i: float(np.median(absI[level == i])) for i in ids}
    if area is not None:
        return {i: med[i] / area * 1e3 for i in ids}, "mA/cm2"
    if nominal is not None:
        nom = (
            [float(cast(float, nominal))]
            if np.isscalar(nominal)
            else [float(x) for x in cast(Sequence[float], nominal)]
        )
        if len(nom) != len(ids):
            raise AnalysisError(f"current_density_mA_cm2: {len(nom)} value(s) for {len(ids)} current level(s) found")
        return dict(zip(ids, sorted(nom))), "mA/cm2"
    return {i: med[i] * 1e3 for i in ids}, "mA"


def _short_in_step(Es_mV: np.ndarray) -> int | None:
    """Index where |E| (mV) stays < SHORT_CIRCUIT_ABS_MV or < (1 − DROP)·running max for MIN_POINTS samples."""
    n = len(Es_mV)
    skip = max(1, math.ceil(SHORT_SETTLE_FRACTION * n))
    runmax = np.maximum.accumulate(Es_mV)
    low = (Es_mV < SHORT_CIRCUIT_ABS_MV) | (Es_mV < (1 - SHORT_CIRCUIT_DROP) * runmax)
    low[:skip] = False
    run = 0
    for k in range(n):
        run = run + 1 if low[k] else 0
        if run >= SHORT_CIRCUIT_MIN_POINTS:
            return k - SHORT_CIRCUIT_MIN_POINTS + 1
    return None


# --------------------------------------------------------------------------------------- helpers
def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-friendly rows (index kept as a column)."""
    out = table.reset_index().replace({np.nan: None})
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()} for r in out.to_dict("records")]
