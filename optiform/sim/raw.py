"""Raw instrument files from the virtual lab: what a potentiostat would have written for a batch.

SYNTHETIC data: the numbers come from :class:`optiform.sim.lab.VirtualLab` (a model calibrated to
Nguyen et al. 2024), and every file says so in its header. The files are written so that
:mod:`optiform.analysis.readers` reads them and ``optiform ingest`` / :meth:`Campaign.ingest`
analyses them (:func:`optiform.bench.loop.closed_loop_raw` closes the loop through them, the
same path as real data).

Per formulation (one row of the batch; ``lab.measure`` decides the outcome first)
-------------------------------------------------------------------------------
``solid`` and measured (status ok):

1. **EIS of SS|CSE|SS** at each of ``temperatures_C`` (default 30-70 °C, 10 °C steps), 100 kHz to
   1 Hz, 10 points per decade, 10 mV amplitude, via
   :func:`optiform.sim.cell.synthetic_blocking_cell`::

       Z = jωL + R0 + R1 || CPE1 + CPE2,      R0 + R1 = thickness / (σ(T) A)

   L = 0.15 µH (leads); R1 || CPE1 an arc from inside the film (the ceramic-polymer interface):
   R1 = 0.25 w (R0 + R1) with w the lab's ceramic path share (no arc for glass fibre), n1 = 0.9,
   peak at 2 MHz x σ(T)/1.117 mS/cm (mostly above 100 kHz); CPE2 the two blocking electrodes,
   5 µF s^(n-1) cm⁻² each, n = 0.85. Proportional noise: Z += 0.005 |Z| (N(0,1) + j N(0,1)).
   σ(T) = σ_true(T) x (σ_measured / σ_true at the lab temperature) x exp(0.01 N(0,1)): the film's
   deviation from the model carries over to every temperature, plus 1 % scatter per temperature
   (none at the lab temperature, so the 30 °C spectrum holds the lab's measured value).
2. **Bruce-Vincent t+ on Li|CSE|Li** at the lab temperature: EIS before and after polarisation
   (200 kHz to 0.1 Hz, 10 points per decade, 0.1 % noise, the FRA accuracy of a modern
   potentiostat) and chronoamperometry at ΔV = ``delta_V_mV``::

       Z    = jωL + Rb + R_i || CPE_i + R_d tanh(√(jωτ_d)) / √(jωτ_d)
       Rb   = thickness / (σ A);  R_i = (20 Ω cm²) (1.117 mS/cm / σ)^½ / A before, 1.05 R_i after
       CPE_i: 2 µF s^(n-1) cm⁻² (SEI), n = 0.85;  R_d = Rb (1 - t+) / t+;  τ_d = thickness² / D
       D    = 2e-7 cm²/s x σ / 1.117 mS/cm (salt diffusion coefficient)
       I(t) = Iss + (I0 - Iss) exp(-t / τ_ca),  τ_ca = thickness² / (π² D)
       I0   = ΔV / (Rb + R_i),  Iss = ΔV / (Rb / t+ + R_i,after)

   which is the Bruce-Vincent relation t+ = Iss (ΔV - I0 R0) / (I0 (ΔV - Iss Rss)) solved for Iss
   with the measured t+. The trace lasts max(1 h, 10 τ_ca), 820 samples, noise 0.1 % + 1 nA.
3. **LSV of Li|CSE|SS** at the lab temperature from the open-circuit potential (3.0 V) to 6.0 V at
   1 mV/s, one point per 5 mV::

       j = 0.2 + 0.5 (E - E_start) + a e^u / (1 + a e^u / 250),  u = (E - E_onset) / 0.06 V

   in µA/cm², with a set so that j = 10 µA/cm² exactly at the measured onset (the threshold of
   :func:`optiform.analysis.lsv.stability_onset`); noise 0.05 µA/cm². The oxidation current levels
   off at 0.25 mA/cm², so the tangent onset stays within 0.1 V of the threshold onset (0.08 V).

Fluid film, or a failed cell (status failed): **no files**; a row in ``failed.csv`` (columns id,
status = failed, note, solid) that :meth:`Campaign.record` stores as a failed measurement with the
pass/fail outcome (``solid`` = false for a fluid film, true for a short-circuited cell).

Formats (``fmt``): ``"mpt"`` (EC-Lab text export: 'EC-Lab ASCII FILE' header, tab-separated,
cp1252, CRLF, -Im(Z)), ``"dta"`` (Gamry Framework: EXPLAIN header, ZCURVE / CURVE tables, Im(Z)),
``"csv"`` (a generic comma-separated export with units in the column names) or ``"mixed"``
(formulation i, measurement k = EIS 0 / BV 1 / LSV 2 uses FORMATS[(i + k) % 3]).

Manifest (``manifest.csv``, the format of :mod:`optiform.ingest`): one row per file with id, kind
(eis / transference / lsv), file, role (eis_before, ca, eis_after), group (``Tseries``, ``BV``,
``LSV``), thickness_um and area_cm2 (eis), temperature_C, delta_V_mV (transference), area_cm2 (lsv).
Each group becomes one ingested measurement: conductivity at the campaign's reference temperature
and Ea from the series; t+; the oxidation onset.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import DataError, path_error
from .cell import synthetic_blocking_cell
from .lab import (
    PAPER_CONDUCTIVITY_mS_cm,
    VirtualLab,
    _columns,
    ceramic_path_fraction,
    true_conductivity_mS_cm,
)

__all__ = [
    "DEFAULT_TEMPERATURES_C",
    "FORMATS",
    "AREA_16MM_cm2",
    "RawBatch",
    "li_symmetric_spectrum",
    "write_raw",
]

ComplexArray = npt.NDArray[np.complex128]

AREA_16MM_cm2 = round(math.pi * 0.8**2, 4)  # 16 mm disc electrodes: 2.0106 cm²
DEFAULT_TEMPERATURES_C: tuple[float, ...] = (30.0, 40.0, 50.0, 60.0, 70.0)
FORMATS = ("mpt", "dta", "csv")
MANIFEST_NAME = "manifest.csv"
FAILED_NAME = "failed.csv"
SYNTHETIC_NOTE = "SYNTHETIC data from the optiform virtual lab (optiform.sim), not a measurement"

_EXT = {"mpt": ".mpt", "dta": ".DTA", "csv": ".csv"}
_SIGMA_REF = PAPER_CONDUCTIVITY_mS_cm["LLZT"]  # mS/cm, scale of the arc frequency, R_i and D
_L_H = 1.5e-7  # lead inductance, H
_SPIKE_Q_PER_CM2, _SPIKE_N = 5e-6, 0.85  # blocking-electrode CPE, F s^(n-1) cm^-2
_FILM_ARC_FRACTION, _FILM_ARC_N, _FILM_ARC_F_PEAK_HZ = 0.25, 0.9, 2e6  # R1 = 0.25 w R_total
_ASR_INTERFACE_OHM_CM2 = 20.0  # Li|CSE interface (SEI + charge transfer) at 1.117 mS/cm
_INTERFACE_GROWTH = 0.05  # R_i after polarisation = 1.05 R_i before
_SEI_Q_PER_CM2, _SEI_N = 2e-6, 0.85
_D_SALT_CM2_S = 2e-7  # at 1.117 mS/cm
_EIS_BLOCKING: dict[str, Any] = dict(f_max=1e5, f_min=1.0, points_per_decade=10)
_EIS_LI: dict[str, Any] = dict(f_max=2e5, f_min=0.1, points_per_decade=10, noise_rel=0.001)
_CA_MIN_S, _CA_TAU_MULTIPLE, _CA_NOISE_REL, _CA_NOISE_A = 3600.0, 10.0, 0.001, 1e-9
_LSV_START_V, _LSV_END_V, _LSV_STEP_V, _LSV_RATE_V_S = 3.0, 6.0, 0.005, 0.001
_LSV_BG_uA_CM2, _LSV_BG_SLOPE, _LSV_B_V, _LSV_JLIM, _LSV_NOISE = 0.2, 0.5, 0.06, 250.0, 0.05
_LSV_THRESHOLD_uA_CM2 = 10.0


# --------------------------------------------------------------------------------------------------
# Cell models
# --------------------------------------------------------------------------------------------------


def li_symmetric_spectrum(
    f_Hz: np.ndarray,
    Rb_ohm: float,
    R_i_ohm: float,
    Q_i: float,
    n_i: float,
    R_d_ohm: float,
    tau_d_s: float,
    L_H: float = _L_H,
) -> ComplexArray:
    """Li|electrolyte|Li impedance in ohm (Im < 0 capacitive):
    Z = jωL + Rb + R_i || CPE_i + R_d tanh(√(jωτ_d))/√(jωτ_d) (finite-length Warburg, dc limit R_d)."""
    w = 2.0 * np.pi * np.asarray(f_Hz, dtype=float)
    arc = 1.0 / (1.0 / R_i_ohm + Q_i * (1j * w) ** n_i)
    s = np.sqrt(1j * w * tau_d_s)
    th = np.where(np.abs(s) > 20.0, 1.0 + 0j, np.tanh(np.where(np.abs(s) > 20.0, 0.0, s)))
    Z: ComplexArray = 1j * w * L_H + Rb_ohm + arc + R_d_ohm * th / s
    return Z


def _noisy(Z: ComplexArray, rel: float, rng: np.random.Generator) -> ComplexArray:
    n = len(Z)
    noisy: ComplexArray = Z + rel * np.abs(Z) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    return noisy


def _frequencies(f_max: float, f_min: float, points_per_decade: int) -> np.ndarray:
    n = round(math.log10(f_max / f_min) * points_per_decade) + 1
    return np.logspace(math.log10(f_max), math.log10(f_min), n)


# --------------------------------------------------------------------------------------------------
# Writers (one per format and kind); each takes the data in SI-ish units and a header context
# --------------------------------------------------------------------------------------------------


@dataclass
class _Context:
    sample: str
    cell: str  # "SS|CSE|SS" ...
    technique: str  # "PEIS", "CA", "LSV"
    temperature_C: float
    area_cm2: float
    comment: str


def _ecl(x: float) -> str:
    """EC-Lab number: 7-digit mantissa, three-digit exponent (2.0001948E+005)."""
    m, e = f"{x:.7E}".split("E")
    return f"{m}E{int(e):+04d}"


def _gamry(x: float) -> str:
    if x == 0 or 1e-3 <= abs(x) < 1e7:
        return f"{x:.7g}"
    m, e = f"{x:.6E}".split("E")
    return f"{m}E{int(e):+04d}"


def _eis_columns(f: np.ndarray, Z: np.ndarray, amplitude_V: float = 0.01) -> dict[str, np.ndarray]:
    w = 2 * np.pi * f
    Y = 1.0 / Z
    t = np.cumsum(0.5 + 3.0 / f)  # time per point: settling + 3 periods
    return {
        "t": t,
        "re": Z.real,
        "im": Z.imag,
        "mod": np.abs(Z),
        "phase": np.degrees(np.angle(Z)),
        "Cs": -1.0 / (w * Z.imag),
        "Cp": Y.imag / w,
        "Y": Y,
        "Iamp": amplitude_V * math.sqrt(2) / np.abs(Z),
    }


def _write_text(path: Path, lines: list[str], encoding: str = "cp1252", newline: str = "\r\n") -> None:
    path.write_bytes((newline.join(lines) + newline).encode(encoding))


def _mpt_header(ctx: _Context, technique_lines: list[str], title: str, columns: list[str]) -> list[str]:
    block = [
        "EC-Lab ASCII FILE",
        "Nb header lines : {n}",
        "",
        title,
        "",
        "Run on channel : 1 (SN 0001)",
        "User : optiform virtual lab",
        "CE vs. WE compliance from -10 V to 10 V",
        "Electrode connection : standard",
        "Ewe ctrl range : min = -10.00 V, max = 10.00 V",
        "Safety Limits :",
        "\tDo not start on E overload",
        "Acquisition started on : 01/01/2024 00:00:00",
        "Saved on :",
        f"\tFile : {ctx.sample}_{ctx.technique}.mpr",
        "\tDirectory : C:\\Data\\virtual-lab\\",
        "\tHost : 127.0.0.1",
        "Device : VMP3 (SN 0001)",
        "EC-Lab for windows v11.50 (software)",
        "Internet server v11.50 (firmware)",
        "Command interpretor v11.50 (firmware)",
        f"Electrode material : {ctx.cell}",
        "Initial state : ",
        f"Electrolyte : {ctx.sample}",
        f"Comments : {SYNTHETIC_NOTE}; {ctx.comment}; T = {ctx.temperature_C:g} °C",
        f"Electrode surface area : {ctx.area_cm2:.4f} cm²",
        "Characteristic mass : 0.001 g",
        "Equivalent Weight : 0.000 g/eq.",
        "Density : 0.000 g/cm3",
        "Cycle Definition : Charge/Discharge alternance",
        *technique_lines,
        "",
        "\t".join(columns) + "\t",
    ]
    block[1] = block[1].format(n=len(block))
    return block


def _write_eis_mpt(path: Path, f: np.ndarray, Z: np.ndarray, ctx: _Context) -> None:
    c = _eis_columns(f, Z)
    technique = [
        "Mode                Single sine",
        "E (V)               0.0000",
        "vs.                 Eoc",
        "tE (h:m:s)          0:00:0.0000",
        "record              0",
        "dI                  0.000",
        "unit dI             mA",
        "dt (s)              0.000",
        f"fi                  {f[0] / 1e3:.3f}",
        "unit fi             kHz",
        f"ff                  {f[-1] * 1e3:.3f}",
        "unit ff             mHz",
        "Nd                  10",
        "Points              per decade",
        "spacing             Logarithmic",
        "Va (mV)             10.0",
        "pw                  0.10",
        "Na                  3",
        "corr                0",
        "E range min (V)     -10.000",
        "E range max (V)     10.000",
        "I Range             Auto",
        "Bandwidth           7",
        "nc cycles           0",
        "goto Ns'            0",
        "nr cycles           1",
        "inc. cycle          1",
    ]
    cols = [
        "freq/Hz",
        "Re(Z)/Ohm",
        "-Im(Z)/Ohm",
        "|Z|/Ohm",
        "Phase(Z)/deg",
        "time/s",
        "<Ewe>/V",
        "<I>/mA",
        "Cs/µF",
        "Cp/µF",
        "cycle number",
        "I Range",
        "|Ewe|/V",
        "|I|/A",
        "Ns",
        "(Q-Qo)/mA.h",
        "Re(Y)/Ohm-1",
        "Im(Y)/Ohm-1",
        "|Y|/Ohm-1",
        "Phase(Y)/deg",
    ]
    lines = _mpt_header(ctx, technique, "Potentio Electrochemical Impedance Spectroscopy", cols)
    for k in range(len(f)):
        Y = c["Y"][k]
        row = [
            f[k],
            c["re"][k],
            -c["im"][k],
            c["mod"][k],
            c["phase"][k],
            c["t"][k],
            0.0,
            0.0,
            c["Cs"][k] * 1e6,
            c["Cp"][k] * 1e6,
            1.0,
            12,
            0.01 * math.sqrt(2),
            c["Iamp"][k],
            0,
            0.0,
            Y.real,
            Y.imag,
            abs(Y),
            math.degrees(math.atan2(Y.imag, Y.real)),
        ]
        lines.append("\t".join(str(v) if isinstance(v, int) else _ecl(v) for v in row))
    _write_text(path, lines)


def _write_series_mpt(path: Path, t: np.ndarray, E: np.ndarray, I_A: np.ndarray, ctx: _Context) -> None:
    if ctx.technique == "CA":
        title = "Chronoamperometry / Chronocoulometry"
        technique = [
            "Ns                  0",
            f"Ei (V)              {E[0]:.4f}",
            "vs.                 Eoc",
            f"ti (h:m:s)          {_hms(t[-1])}",
            "Imax                pass",
            "unit Imax           mA",
            "Imin                pass",
            "unit Imin           mA",
            "record              <I>",
            "dI                  0.000",
            "unit dI             mA",
            f"dt (s)              {t[1] - t[0]:.4f}",
            "E range min (V)     -10.000",
            "E range max (V)     10.000",
            "I Range             Auto",
            "Bandwidth           5",
            "goto Ns'            0",
            "nc cycles           0",
        ]
    else:
        title = "Linear Sweep Voltammetry"
        technique = [
            f"Ei (V)              {E[0]:.4f}",
            "vs.                 Ref",
            f"dE/dt               {_LSV_RATE_V_S * 1e3:.3f}",
            "dE/dt unit          mV/s",
            f"Ef (V)              {_LSV_END_V:.4f}",
            "vs.                 Ref",
            "record              <I>",
            f"dE (mV)             {_LSV_STEP_V * 1e3:.2f}",
            "E range min (V)     0.000",
            "E range max (V)     10.000",
            "I Range             Auto",
            "Bandwidth           5",
        ]
    cols = [
        "mode",
        "ox/red",
        "error",
        "control changes",
        "counter inc.",
        "time/s",
        "control/V",
        "Ewe/V",
        "<I>/mA",
        "cycle number",
        "(Q-Qo)/mA.h",
        "I Range",
        "P/W",
    ]
    q_mAh = np.concatenate([[0.0], np.cumsum(0.5 * (I_A[1:] + I_A[:-1]) * np.diff(t))]) / 3.6
    lines = _mpt_header(ctx, technique, title, cols)
    for k in range(len(t)):
        row = [2, int(I_A[k] > 0), 0, 0, 0, t[k], E[k], E[k], I_A[k] * 1e3, 1.0, q_mAh[k], 41, E[k] * I_A[k]]
        lines.append("\t".join(str(v) if isinstance(v, int) else _ecl(v) for v in row))
    _write_text(path, lines)


def _hms(seconds: float) -> str:
    h, rest = divmod(float(seconds), 3600.0)
    m, s = divmod(rest, 60.0)
    return f"{int(h)}:{int(m):02d}:{s:07.4f}"


def _dta_header(ctx: _Context, tag: str, title: str, params: list[str]) -> list[str]:
    return [
        "EXPLAIN",
        f"TAG\t{tag}",
        f"TITLE\tLABEL\t{title}\tTest &Identifier",
        "DATE\tLABEL\t1/1/2024\tDate",
        "TIME\tLABEL\t0:00:00\tTime",
        "NOTES\tNOTES\t2\t&Notes...",
        f"\t{SYNTHETIC_NOTE}",
        f"\t{ctx.sample} {ctx.cell}: {ctx.comment}",
        "PSTAT\tPSTAT\tREF600-00001\tPotentiostat",
        *params,
        f"AREA\tQUANT\t{_gamry(ctx.area_cm2)}\t&Area (cm^2)",
        f"CELLTEMP\tQUANT\t{ctx.temperature_C:g}\tCell Temperature (C)",
    ]


def _write_eis_dta(path: Path, f: np.ndarray, Z: np.ndarray, ctx: _Context) -> None:
    c = _eis_columns(f, Z)
    params = [
        "VDC\tPOTEN\t0.00000E+000\tT\tDC &Voltage (V)",
        f"FREQINIT\tQUANT\t{_gamry(f[0])}\tInitial Fre&q. (Hz)",
        f"FREQFINAL\tQUANT\t{_gamry(f[-1])}\tFinal Fre&q. (Hz)",
        "PTSPERDEC\tQUANT\t10\tPoints/&decade",
        "VAC\tQUANT\t10\tAC &Voltage (mV rms)",
    ]
    lines = _dta_header(ctx, "EISPOT", "Potentiostatic EIS", params)
    lines += [
        "ZCURVE\tTABLE",
        "\tPt\tTime\tFreq\tZreal\tZimag\tZsig\tZmod\tZphz\tIdc\tVdc\tIERange",
        "\t#\ts\tHz\tohm\tohm\tV\tohm\t°\tA\tV\t#",
    ]
    for k in range(len(f)):
        row = [_gamry(v) for v in (c["t"][k], f[k], c["re"][k], c["im"][k], 1.0, c["mod"][k], c["phase"][k], 0.0, 0.0)]
        lines.append("\t" + "\t".join([str(k), *row, "7"]))
    _write_text(path, lines)


def _write_series_dta(path: Path, t: np.ndarray, E: np.ndarray, I_A: np.ndarray, ctx: _Context) -> None:
    if ctx.technique == "CA":
        tag, title = "CHRONOA", "Chronoamperometry Scan"
        params = [
            f"VSTEP1\tPOTEN\t{_gamry(E[0])}\tF\tStep &1 V (V)",
            f"TSTEP1\tQUANT\t{_gamry(t[-1])}\tStep 1 &Time (s)",
            f"SAMPLETIME\tQUANT\t{_gamry(t[1] - t[0])}\tSample &Period (s)",
        ]
    else:
        tag, title = "LSV", "Linear Sweep Voltammetry"
        params = [
            f"VINIT\tPOTEN\t{_gamry(E[0])}\tF\t&Initial E (V)",
            f"VFINAL\tPOTEN\t{_gamry(_LSV_END_V)}\tF\t&Final E (V)",
            f"SCANRATE\tQUANT\t{_gamry(_LSV_RATE_V_S * 1e3)}\tScan Ra&te (mV/s)",
            f"STEPSIZE\tQUANT\t{_gamry(_LSV_STEP_V * 1e3)}\tStep &Size (mV)",
        ]
    lines = _dta_header(ctx, tag, title, params)
    lines += [
        f"CURVE\tTABLE\t{len(t)}",
        "\tPt\tT\tVf\tIm\tVu\tSig\tAch\tIERange\tOver\tTemp",
        "\t#\ts\tV vs. Ref.\tA\tV\tV\tV\t#\tbits\tdeg C",
    ]
    for k in range(len(t)):
        row = [_gamry(v) for v in (t[k], E[k], I_A[k], 0.0, E[k], 0.0)]
        lines.append("\t" + "\t".join([str(k), *row, "5", "...........", f"{ctx.temperature_C:g}"]))
    _write_text(path, lines)


def _write_eis_csv(path: Path, f: np.ndarray, Z: np.ndarray, ctx: _Context) -> None:
    df = pd.DataFrame(
        {
            "Frequency (Hz)": f,
            "Z' (Ohm)": Z.real,
            "-Z'' (Ohm)": -Z.imag,
            "|Z| (Ohm)": np.abs(Z),
            "Phase (deg)": np.degrees(np.angle(Z)),
        }
    )
    _write_csv(path, df, ctx)


def _write_series_csv(path: Path, t: np.ndarray, E: np.ndarray, I_A: np.ndarray, ctx: _Context) -> None:
    _write_csv(path, pd.DataFrame({"Time (s)": t, "Potential (V)": E, "Current (mA)": I_A * 1e3}), ctx)


def _write_csv(path: Path, df: pd.DataFrame, ctx: _Context) -> None:
    head = f"# {SYNTHETIC_NOTE}\n# {ctx.sample} {ctx.cell} {ctx.technique} at {ctx.temperature_C:g} C: {ctx.comment}\n"
    path.write_text(head + df.to_csv(index=False, float_format="%.8g"), encoding="utf-8")


_EIS_WRITERS: dict[str, Callable[..., None]] = {"mpt": _write_eis_mpt, "dta": _write_eis_dta, "csv": _write_eis_csv}
_SERIES_WRITERS: dict[str, Callable[..., None]] = {
    "mpt": _write_series_mpt,
    "dta": _write_series_dta,
    "csv": _write_series_csv,
}


# --------------------------------------------------------------------------------------------------
# write_raw
# --------------------------------------------------------------------------------------------------


@dataclass
class RawBatch:
    """What :func:`write_raw` wrote: the ingest manifest, the failed-rows table for
    :meth:`Campaign.record` (None when every film was measured) and the lab's measurement of each
    formulation (``VirtualLab.measure`` columns plus ``thickness_um`` and ``formats``)."""

    manifest: Path
    failed: Path | None
    measured: pd.DataFrame


def write_raw(
    batch: pd.DataFrame,
    folder: str | Path,
    lab: VirtualLab,
    temperatures_C: Sequence[float] = DEFAULT_TEMPERATURES_C,
    fmt: str = "mixed",
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    *,
    thickness_um: float = 100.0,
    thickness_sd_um: float = 3.0,
    area_cm2: float = AREA_16MM_cm2,
    delta_V_mV: float = 10.0,
    series_noise_rel: float = 0.01,
    eis_noise_rel: float = 0.005,
) -> RawBatch:
    """Measure ``batch`` on ``lab`` and write its raw files and manifest into ``folder``.

    ``batch`` needs an ``id`` column (the campaign's sample ids) and the formulation columns.
    ``temperatures_C``: EIS temperatures, °C. ``fmt``: "mpt", "dta", "csv" or "mixed". ``seed``
    seeds the instrument noise and the film thickness (each film: N(``thickness_um``,
    ``thickness_sd_um``) rounded to 1 µm, as measured and stated in the manifest). ``area_cm2``:
    electrode area (default a 16 mm disc). ``series_noise_rel``: per-temperature scatter of σ (sd of
    ln); ``eis_noise_rel``: proportional noise of the blocking-cell spectra. See the module docstring
    for the cell models. Returns a :class:`RawBatch`; raises DataError for a bad argument (or a folder that cannot be
    created) and
    FileExistsError when ``folder`` already holds a manifest.
    """
    if "id" not in batch.columns:
        raise DataError("batch: needs an 'id' column (the campaign's sample ids)")
    if fmt not in (*FORMATS, "mixed"):
        raise DataError(f"fmt: expected one of {', '.join(FORMATS)} or 'mixed', got {fmt!r}")
    temps = [float(t) for t in temperatures_C]
    if not temps or any(not math.isfinite(t) or t <= -273.15 for t in temps) or len(set(temps)) != len(temps):
        raise DataError(f"temperatures_C: expected distinct temperatures above -273.15 °C, got {temperatures_C!r}")
    for name, value in (("thickness_um", thickness_um), ("area_cm2", area_cm2), ("delta_V_mV", delta_V_mV)):
        if not (math.isfinite(value) and value > 0):
            raise DataError(f"{name}: must be > 0, got {value!r}")
    for name, value in (
        ("thickness_sd_um", thickness_sd_um),
        ("series_noise_rel", series_noise_rel),
        ("eis_noise_rel", eis_noise_rel),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise DataError(f"{name}: must be >= 0, got {value!r}")
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise path_error(folder, exc, "create the folder") from exc
    manifest_path = folder / MANIFEST_NAME
    if manifest_path.exists():
        raise FileExistsError(f"{manifest_path}: exists; write each batch into a fresh folder")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    batch = batch.reset_index(drop=True)
    measured = lab.measure(batch)
    cols, is_llzt = _columns(batch)
    w = ceramic_path_fraction(cols["porosity"], is_llzt)
    T_lab = float(lab.temperature_C)
    true_lab = true_conductivity_mS_cm(batch, T_lab)
    true_T = (
        np.column_stack([true_conductivity_mS_cm(batch, T) for T in temps]) if len(batch) else np.empty((0, len(temps)))
    )
    d_mm = 20.0 * math.sqrt(area_cm2 / math.pi)

    manifest: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    thick_col, fmt_col = [], []
    for i, row in measured.iterrows():
        sid = str(batch.at[i, "id"])
        # one thickness and one scatter draw per film whatever the outcome: streams do not depend on it
        L_um = float(round(thickness_um + thickness_sd_um * rng.standard_normal()))
        scatter = rng.standard_normal(len(temps))
        thick_col.append(L_um if row["status"] == "ok" else np.nan)
        if row["status"] != "ok":
            failed.append({"id": sid, "status": "failed", "note": row["note"], "solid": bool(row["solid"])})
            fmt_col.append("")
            continue
        if L_um <= 0:
            raise DataError(f"thickness_um: film {sid} drew a thickness of {L_um} µm; lower thickness_sd_um")
        f_eis, f_bv, f_lsv = (fmt if fmt != "mixed" else FORMATS[(i + k) % 3] for k in range(3))
        fmt_col.append(f"{f_eis}/{f_bv}/{f_lsv}")
        deviation = row["conductivity_mS_cm"] / true_lab[i]
        # 1. EIS temperature series
        for j, T in enumerate(temps):
            sigma_T = true_T[i, j] * deviation * (1.0 if T == T_lab else math.exp(series_noise_rel * scatter[j]))
            arc = None
            if w[i] > 0:
                arc = {
                    "R1_fraction": _FILM_ARC_FRACTION * w[i],
                    "n1": _FILM_ARC_N,
                    "f_peak_Hz": _FILM_ARC_F_PEAK_HZ * sigma_T / _SIGMA_REF,
                }
            s = synthetic_blocking_cell(
                sigma_T,
                thickness_um=L_um,
                diameter_mm=d_mm,
                noise_rel=eis_noise_rel,
                arc=arc,
                L_H=_L_H,
                cpe_Q=_SPIKE_Q_PER_CM2,
                cpe_n=_SPIKE_N,
                seed=rng,
                **_EIS_BLOCKING,
            )
            name = f"{sid}_EIS_{T:g}C{_EXT[f_eis]}"
            ctx = _Context(sid, "SS|CSE|SS", "PEIS", T, area_cm2, f"blocking-electrode EIS, thickness {L_um:g} um")
            _EIS_WRITERS[f_eis](folder / name, s.frequency_Hz, s.Z_ohm, ctx)
            manifest.append(
                {
                    "id": sid,
                    "kind": "eis",
                    "file": name,
                    "group": "Tseries",
                    "thickness_um": L_um,
                    "area_cm2": area_cm2,
                    "temperature_C": T,
                    "solid": "true",
                }
            )
        # 2. Bruce-Vincent
        manifest += _write_bruce_vincent(folder, sid, f_bv, row, L_um, area_cm2, delta_V_mV, T_lab, rng)
        # 3. LSV
        manifest.append(_write_lsv(folder, sid, f_lsv, float(row["oxidation_onset_V"]), area_cm2, T_lab, rng))

    columns = [
        "id",
        "kind",
        "file",
        "role",
        "group",
        "thickness_um",
        "area_cm2",
        "temperature_C",
        "delta_V_mV",
        "solid",
    ]
    pd.DataFrame(manifest, columns=columns).to_csv(manifest_path, index=False)
    failed_path = None
    if failed:
        failed_path = folder / FAILED_NAME
        pd.DataFrame(failed, columns=["id", "status", "note", "solid"]).to_csv(failed_path, index=False)
    measured = measured.assign(thickness_um=thick_col, formats=fmt_col)
    return RawBatch(manifest_path, failed_path, measured)


def _write_bruce_vincent(
    folder: Path,
    sid: str,
    fmt: str,
    row: pd.Series,
    L_um: float,
    area_cm2: float,
    delta_V_mV: float,
    T: float,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    sigma = float(row["conductivity_mS_cm"])
    t_plus = float(row["transference_number"])
    L_cm = L_um * 1e-4
    Rb = L_cm / (sigma * 1e-3 * area_cm2)
    R_i = _ASR_INTERFACE_OHM_CM2 * math.sqrt(_SIGMA_REF / sigma) / area_cm2
    R_ss = R_i * (1.0 + _INTERFACE_GROWTH)
    D = _D_SALT_CM2_S * sigma / _SIGMA_REF
    R_d = Rb * (1.0 - t_plus) / t_plus
    f = _frequencies(_EIS_LI["f_max"], _EIS_LI["f_min"], _EIS_LI["points_per_decade"])
    rows = []
    for role, R in (("eis_before", R_i), ("eis_after", R_ss)):
        Z = _noisy(
            li_symmetric_spectrum(f, Rb, R, _SEI_Q_PER_CM2 * area_cm2, _SEI_N, R_d, L_cm**2 / D),
            _EIS_LI["noise_rel"],
            rng,
        )
        name = f"{sid}_BV_{'EIS-before' if role == 'eis_before' else 'EIS-after'}{_EXT[fmt]}"
        ctx = _Context(
            sid, "Li|CSE|Li", "PEIS", T, area_cm2, f"Li symmetric cell, {role.replace('_', ' ')} polarisation"
        )
        _EIS_WRITERS[fmt](folder / name, f, Z, ctx)
        rows.append(
            {
                "id": sid,
                "kind": "transference",
                "file": name,
                "role": role,
                "group": "BV",
                "temperature_C": T,
                "delta_V_mV": delta_V_mV,
            }
        )
    dV = delta_V_mV * 1e-3
    I0 = dV / (Rb + R_i)
    I_ss = dV / (Rb / t_plus + R_ss)
    tau = L_cm**2 / (math.pi**2 * D)
    duration = math.ceil(max(_CA_MIN_S, _CA_TAU_MULTIPLE * tau) / 600.0) * 600.0
    t = np.concatenate(
        [np.linspace(0.0, 0.02 * duration, 120, endpoint=False), np.linspace(0.02 * duration, duration, 700)]
    )
    I = I_ss + (I0 - I_ss) * np.exp(-t / tau)
    I = I * (1.0 + _CA_NOISE_REL * rng.standard_normal(len(t))) + _CA_NOISE_A * rng.standard_normal(len(t))
    E = dV + 2e-5 * rng.standard_normal(len(t))
    name = f"{sid}_BV_CA{_EXT[fmt]}"
    ctx = _Context(sid, "Li|CSE|Li", "CA", T, area_cm2, f"Bruce-Vincent polarisation, dE = {delta_V_mV:g} mV")
    _SERIES_WRITERS[fmt](folder / name, t, E, I, ctx)
    rows.insert(
        1,
        {
            "id": sid,
            "kind": "transference",
            "file": name,
            "role": "ca",
            "group": "BV",
            "temperature_C": T,
            "delta_V_mV": delta_V_mV,
        },
    )
    return rows


def _write_lsv(
    folder: Path, sid: str, fmt: str, onset_V: float, area_cm2: float, T: float, rng: np.random.Generator
) -> dict[str, Any]:
    E = np.arange(_LSV_START_V, _LSV_END_V + _LSV_STEP_V / 2, _LSV_STEP_V)
    t = (E - E[0]) / _LSV_RATE_V_S
    background = _LSV_BG_uA_CM2 + _LSV_BG_SLOPE * (E - E[0])
    r = _LSV_THRESHOLD_uA_CM2 - (_LSV_BG_uA_CM2 + _LSV_BG_SLOPE * (onset_V - E[0]))
    a = r / (1.0 - r / _LSV_JLIM)
    g = a * np.exp(np.minimum((E - onset_V) / _LSV_B_V, 700.0))
    j = background + g / (1.0 + g / _LSV_JLIM) + _LSV_NOISE * rng.standard_normal(len(E))
    I_A = j * area_cm2 * 1e-6
    name = f"{sid}_LSV{_EXT[fmt]}"
    ctx = _Context(sid, "Li|CSE|SS", "LSV", T, area_cm2, f"anodic LSV at {_LSV_RATE_V_S * 1e3:g} mV/s")
    _SERIES_WRITERS[fmt](folder / name, t, E, I_A, ctx)
    return {"id": sid, "kind": "lsv", "file": name, "group": "LSV", "area_cm2": area_cm2, "temperature_C": T}
