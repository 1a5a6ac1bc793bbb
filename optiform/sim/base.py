"""What a lab is: the :class:`Lab` protocol, and :class:`LognormalLab`, the base of labs whose
measurements always succeed (the synthetic landscapes, the data emulators)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import DataError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Lab(Protocol):
    """What a closed loop needs from a lab (the virtual lab, a landscape or a data emulator).

    ``measure(X)`` returns one row per formulation with 'id' (when X has one), the campaign's
    objective column(s), 'status' ('ok'/'failed'), 'note' and, if the problem has a pass/fail
    outcome, 'solid'; ``true_value(X)`` is the noise-free objective, NaN where infeasible.
    """

    def measure(self, X: pd.DataFrame) -> pd.DataFrame: ...

    def true_value(self, X: pd.DataFrame) -> np.ndarray: ...


def lognormal_measurements(
    X: pd.DataFrame, truth: np.ndarray, rng: np.random.Generator, noise_rel: float, column: str = "conductivity_mS_cm"
) -> pd.DataFrame:
    """Measurements that always succeed: 'id' (copied when X has one), ``column`` = truth ·
    exp(noise_rel · z) with z ~ N(0, 1) from ``rng`` (one draw per row), 'status' 'ok', 'note' ''."""
    noise = rng.standard_normal(len(X))
    out = pd.DataFrame(index=X.index)
    if "id" in X.columns:
        out["id"] = X["id"].to_numpy()
    out[column] = np.asarray(truth, dtype=float) * np.exp(noise_rel * noise)
    out["status"] = "ok"
    out["note"] = ""
    return out


@dataclass
class LognormalLab:
    """Base of labs whose measurements always succeed (the synthetic landscapes, the data
    emulators): ``true_value(X)`` x exp(noise_rel · z), z ~ N(0, 1).

    ``seed`` seeds a numpy Generator created once; successive :meth:`measure` calls continue its
    stream (one draw per row), so a closed loop with a fixed seed is reproducible. Subclasses
    define :meth:`true_value` (and may set ``objective``, the measured column).
    """

    seed: int | None = None
    noise_rel: float = 0.03  # standard deviation of ln(measured / true)
    _rng: np.random.Generator = field(init=False, repr=False, compare=False)

    objective: ClassVar[str] = "conductivity_mS_cm"

    def __post_init__(self) -> None:
        if not (np.isfinite(self.noise_rel) and self.noise_rel >= 0):
            raise DataError("noise_rel: must be a finite number >= 0")
        self._rng = np.random.default_rng(self.seed)

    def true_value(self, X: pd.DataFrame) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def measure(self, X: pd.DataFrame) -> pd.DataFrame:
        """One measurement per row: 'id' (copied when X has one), the objective column (true value
        x exp(noise_rel z)), 'status' ('ok') and 'note' ('')."""
        return lognormal_measurements(X, self.true_value(X), self._rng, self.noise_rel, self.objective)
