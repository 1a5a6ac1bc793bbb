"""Virtual lab: a SYNTHETIC conductivity model calibrated to Nguyen et al. 2024 (not data)."""

from optiform.sim.lab import (
    DEFAULT_BOUNDS,
    DEFAULT_CHOICES,
    FRAMEWORKS,
    GLOBAL_OPTIMUM,
    PAPER_ACTIVATION_eV,
    PAPER_CONDUCTIVITY_mS_cm,
    PAPER_POINT,
    VirtualLab,
    activation_energy_eV,
    fluid_threshold,
    is_solid,
    true_conductivity_mS_cm,
)

__all__ = [
    "DEFAULT_BOUNDS",
    "DEFAULT_CHOICES",
    "FRAMEWORKS",
    "GLOBAL_OPTIMUM",
    "PAPER_ACTIVATION_eV",
    "PAPER_CONDUCTIVITY_mS_cm",
    "PAPER_POINT",
    "VirtualLab",
    "activation_energy_eV",
    "fluid_threshold",
    "is_solid",
    "true_conductivity_mS_cm",
]
