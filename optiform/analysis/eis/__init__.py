"""Impedance analysis of blocking-electrode cells (SS | electrolyte | SS): ionic conductivity.

Conventions follow :mod:`optiform.analysis.types`: frequency ``f`` in Hz, ``ω = 2πf`` in rad/s,
impedance in ohm with Im(Z) < 0 for capacitive behaviour, thickness in µm, area in cm².

Modules
-------
* :mod:`~optiform.analysis.eis.elements`: circuit elements and models as pure numpy functions
  (:func:`z_resistor`, :func:`z_capacitor`, :func:`z_cpe`, :func:`z_inductor`, :func:`z_r_cpe`,
  :func:`z_l_r_cpe`, :func:`z_r_rq_cpe`, :func:`z_l_r_rq_cpe`, :func:`z_r_rc`, :func:`z_r_rq`),
  their analytic Jacobians, :class:`CircuitModel` and the registry :data:`MODELS`.
* :mod:`~optiform.analysis.eis.intercept`: :func:`high_frequency_intercept`, the real-axis
  intercept where the capacitive spike begins.
* :mod:`~optiform.analysis.eis.fitting`: :func:`fit_circuit` (one model, modulus-weighted complex
  least squares) and :func:`fit_blocking_cell` (the :data:`BLOCKING_MODELS`, chosen by BIC).
* :mod:`~optiform.analysis.eis.validation`: :func:`lin_kk`, the Lin-KK test of Schönleber et al.
  (2014) as impedance.py computes it.
* :mod:`~optiform.analysis.eis.shape`: :func:`low_frequency_shape`, the low-frequency tail's angle
  and the arcs (with their capacitances): blocking electrodes or a cell with reacting electrodes?
* :mod:`~optiform.analysis.eis.conductivity`: :func:`conductivity`, σ = L / (R·A) with quality
  flags (documented there), returning a :class:`ConductivityResult`.
* :mod:`~optiform.analysis.eis.plotting`: :func:`plot_nyquist`.

Synthetic blocking-cell spectra with known ground truth come from the simulator,
``optiform.sim.cell.synthetic_blocking_cell``.
"""

from .conductivity import (
    DIFFUSION_TAIL_MIN_DEG,
    FIT_CHI2_MAX,
    FULL_CELL_ARC_C_F_CM2,
    INDUCTIVE_FAIL_FRACTION,
    LIN_KK_MAX_RESIDUAL,
    MAX_EXTRAPOLATION_FRACTION,
    METHODS_DISAGREE_FRACTION,
    MIN_POINTS_BEFORE_SPIKE,
    TAIL_MIN_ANGLE_DEG,
    ConductivityResult,
    conductivity,
)
from .elements import (
    BLOCKING_MODELS,
    MODELS,
    CircuitModel,
    z_capacitor,
    z_cpe,
    z_inductor,
    z_l_r_cpe,
    z_l_r_rq_cpe,
    z_r_cpe,
    z_r_rc,
    z_r_rq,
    z_r_rq_cpe,
    z_resistor,
)
from .fitting import (
    ARC_SCREEN_RATIO,
    ARC_SPIKE_RATIO_MAX,
    BIC_MARGIN,
    N_BOUNDS,
    FitResult,
    fit_blocking_cell,
    fit_circuit,
)
from .intercept import SPIKE_ANGLE_TOL_DEG, SPIKE_LINE_POINTS, SPIKE_REF_SEGMENTS, Intercept, high_frequency_intercept
from .plotting import plot_nyquist
from .shape import Arc, LowFrequencyShape, low_frequency_shape
from .validation import LIN_KK_C, LIN_KK_MAX_M, LinKKResult, lin_kk

__all__ = [
    "ARC_SCREEN_RATIO",
    "ARC_SPIKE_RATIO_MAX",
    "BIC_MARGIN",
    "BLOCKING_MODELS",
    "DIFFUSION_TAIL_MIN_DEG",
    "FIT_CHI2_MAX",
    "FULL_CELL_ARC_C_F_CM2",
    "INDUCTIVE_FAIL_FRACTION",
    "LIN_KK_C",
    "LIN_KK_MAX_M",
    "LIN_KK_MAX_RESIDUAL",
    "MAX_EXTRAPOLATION_FRACTION",
    "METHODS_DISAGREE_FRACTION",
    "MIN_POINTS_BEFORE_SPIKE",
    "MODELS",
    "N_BOUNDS",
    "SPIKE_ANGLE_TOL_DEG",
    "SPIKE_LINE_POINTS",
    "SPIKE_REF_SEGMENTS",
    "TAIL_MIN_ANGLE_DEG",
    "Arc",
    "CircuitModel",
    "ConductivityResult",
    "FitResult",
    "Intercept",
    "LinKKResult",
    "LowFrequencyShape",
    "conductivity",
    "fit_blocking_cell",
    "fit_circuit",
    "high_frequency_intercept",
    "lin_kk",
    "low_frequency_shape",
    "plot_nyquist",
    "z_capacitor",
    "z_cpe",
    "z_inductor",
    "z_l_r_cpe",
    "z_l_r_rq_cpe",
    "z_r_cpe",
    "z_r_rc",
    "z_r_rq",
    "z_r_rq_cpe",
    "z_resistor",
]
