"""The shape of a spectrum's low-frequency end and its arcs: is it electrolyte between blocking electrodes?

Between blocking electrodes the low-frequency end is a capacitive line (a CPE of exponent n) that
rises at n·90° to the real axis, and the arcs before it come from the film (bulk, grain boundaries:
pF-nF). A cell with reacting electrodes (a battery, a symmetric Li cell) ends instead in a diffusion
tail at about 45°, or bends back towards the real axis, and its electrode arcs (charge transfer,
SEI of porous electrodes) have capacitances of mF to F. :func:`low_frequency_shape` measures both.

Measures (spectrum sorted high -> low frequency, y = -Im Z):

* **tail angle**: the direction, in degrees from the real axis, of the straight line through the
  tail's points in the Nyquist plane (the principal axis of the points, oriented from high to low
  frequency). The tail's points are those of the lowest-frequency decade (at least
  :data:`TAIL_MIN_POINTS`, the lowest ones when the decade holds fewer), from the last arc's closing
  minimum on. The direction does not depend on the series resistance, unlike the phase angle of Z
  (a thick, resistive film measured down to 1 Hz ends at a phase of -16° on a tail rising at 60°).
* **arcs**: local maxima of y standing out by at least :data:`ARC_MIN_PROMINENCE` of their height
  (the dip on the lower side), at least :data:`ARC_MIN_HEIGHT` of |Z| high and
  :data:`ARC_MIN_WIDTH_DECADES` wide (smaller or narrower bumps are noise),
  each with its apparent capacitance C = 1 / (2π f_apex · 2 y_apex) (at the apex of an R||C arc,
  ωRC = 1 and y = R/2).
* **bends back**: y at the lowest frequency is below (1 - :data:`ARC_MIN_PROMINENCE`) times the
  maximum of y over the lowest-frequency decade (at least :data:`TAIL_MIN_POINTS` points).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..types import Spectrum
from ._spectrum import _as_spectrum, _clean

__all__ = [
    "ARC_MIN_HEIGHT",
    "ARC_MIN_PROMINENCE",
    "ARC_MIN_WIDTH_DECADES",
    "TAIL_MIN_POINTS",
    "Arc",
    "LowFrequencyShape",
    "low_frequency_shape",
]

TAIL_MIN_POINTS = 4
"""Fewest points the tail angle is measured on."""
ARC_MIN_PROMINENCE = 0.10
"""An arc's dip on its lower side, and a bend back at the low-frequency end, as a fraction of the height."""
ARC_MIN_HEIGHT = 0.01
"""An arc's apex -Im Z as a fraction of |Z| there (noise of 0.5 % of |Z| makes bumps below this)."""
ARC_MIN_WIDTH_DECADES = 0.4
"""An arc's width at half its prominence, in decades of frequency (an R||C arc is 1.1 decades wide at
half height; noise makes bumps of one or two points, 0.1-0.2 decades at 10 points per decade)."""


@dataclass(frozen=True)
class Arc:
    """A local maximum of -Im Z: apex frequency (Hz), height (Ω) and apparent capacitance (F)."""

    frequency_Hz: float
    height_ohm: float
    capacitance_F: float


@dataclass(frozen=True)
class LowFrequencyShape:
    """What :func:`low_frequency_shape` measured (see the module docstring).

    ``tail_angle_deg`` is NaN when fewer than :data:`TAIL_MIN_POINTS` points follow the last arc.
    """

    tail_angle_deg: float
    tail_points: int
    tail_f_max_Hz: float
    arcs: tuple[Arc, ...]
    bends_back: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "tail_angle_deg": None if math.isnan(self.tail_angle_deg) else self.tail_angle_deg,
            "tail_points": self.tail_points,
            "tail_f_max_Hz": self.tail_f_max_Hz,
            "arcs": [
                {"frequency_Hz": a.frequency_Hz, "height_ohm": a.height_ohm, "capacitance_F": a.capacitance_F}
                for a in self.arcs
            ],
            "bends_back": self.bends_back,
        }


def low_frequency_shape(spectrum: Spectrum | Any) -> LowFrequencyShape:
    """Tail angle, arcs and bend-back of a spectrum's low-frequency end (module docstring)."""
    from scipy.signal import find_peaks

    s = _clean(_as_spectrum(spectrum), min_points=TAIL_MIN_POINTS)
    f, Z = s.frequency_Hz, s.Z_ohm
    x, y = Z.real, -Z.imag
    N = len(f)
    peaks, props = find_peaks(y, prominence=0, width=0, rel_height=0.5)
    logf = np.log10(f)
    idx = np.arange(N)
    width_dec = np.interp(props["left_ips"], idx, logf) - np.interp(props["right_ips"], idx, logf)
    keep = (y[peaks] > 0) & (props["prominences"] >= ARC_MIN_PROMINENCE * y[peaks])
    keep &= (y[peaks] >= ARC_MIN_HEIGHT * np.abs(Z[peaks])) & (width_dec >= ARC_MIN_WIDTH_DECADES)
    arcs = tuple(Arc(float(f[p]), float(y[p]), float(1.0 / (2.0 * math.pi * f[p] * 2.0 * y[p]))) for p in peaks[keep])
    decade = min(int(np.searchsorted(-f, -10.0 * f[-1], side="left")), N - TAIL_MIN_POINTS)
    start = decade
    if len(arcs):
        last = int(peaks[keep][-1])
        start = max(start, last + int(np.argmin(y[last:])))  # the last arc's closing minimum
    n_tail = N - start
    if n_tail >= TAIL_MIN_POINTS:
        xs, ys = x[start:], y[start:]
        pts = np.column_stack([xs - xs.mean(), ys - ys.mean()])
        direction = np.linalg.svd(pts, full_matrices=False)[2][0]
        if direction @ np.array([xs[-1] - xs[0], ys[-1] - ys[0]]) < 0:
            direction = -direction
        angle = math.degrees(math.atan2(direction[1], direction[0]))
    else:
        angle = math.nan
    top = float(np.max(y[decade:]))
    bends_back = bool(top > 0 and y[-1] < (1.0 - ARC_MIN_PROMINENCE) * top)
    return LowFrequencyShape(angle, n_tail, float(f[start]), arcs, bends_back)
