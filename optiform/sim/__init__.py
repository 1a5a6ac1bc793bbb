"""Labs: the virtual lab, a SYNTHETIC electrolyte model calibrated to Nguyen et al. 2024 (not data),
the raw instrument files written from it (:mod:`optiform.sim.raw`), the synthetic benchmark
landscapes (:mod:`optiform.sim.landscapes`) and what every lab provides (:class:`Lab`,
:class:`LognormalLab`). The closed loop that runs a campaign on a lab is :mod:`optiform.bench.loop`."""

from optiform.sim.base import Lab, LognormalLab, lognormal_measurements
from optiform.sim.lab import (
    DEFAULT_BOUNDS,
    DEFAULT_CHOICES,
    FRAMEWORKS,
    GLOBAL_OPTIMUM,
    PAPER_OXIDATION_ONSET_V,
    PAPER_POINT,
    PAPER_TRANSFERENCE,
    PAPER_ACTIVATION_eV,
    PAPER_CONDUCTIVITY_mS_cm,
    VirtualLab,
    activation_energy_eV,
    fluid_threshold,
    is_solid,
    oxidation_onset_V,
    transference_number,
    true_conductivity_mS_cm,
)

__all__ = [
    "DEFAULT_BOUNDS",
    "DEFAULT_CHOICES",
    "FRAMEWORKS",
    "GLOBAL_OPTIMUM",
    "PAPER_OXIDATION_ONSET_V",
    "PAPER_POINT",
    "PAPER_TRANSFERENCE",
    "Lab",
    "LognormalLab",
    "PAPER_ACTIVATION_eV",
    "PAPER_CONDUCTIVITY_mS_cm",
    "VirtualLab",
    "activation_energy_eV",
    "fluid_threshold",
    "is_solid",
    "lognormal_measurements",
    "oxidation_onset_V",
    "transference_number",
    "true_conductivity_mS_cm",
]
