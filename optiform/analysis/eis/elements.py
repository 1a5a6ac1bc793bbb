"""Circuit elements and models: impedance as pure numpy functions, analytic Jacobians, the model registry.

Z(ω) with ω = 2πf (f in Hz), impedance in ohm with Im(Z) < 0 for capacitive behaviour. Elements:
resistor R (ohm), capacitor C (F), inductor L (H), constant-phase element Q (F s^(n-1)) with
exponent 0 < n <= 1. :class:`CircuitModel` is a series of elements with Z and dZ/dθ for the fitter
(θ = log p for positive parameters, n for exponents); :data:`MODELS` holds the models by name and
:data:`BLOCKING_MODELS` those with an electrode spike (blocking electrodes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import AnalysisError

__all__ = [
    "BLOCKING_MODELS",
    "MODELS",
    "CircuitModel",
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

_TWO_PI = 2.0 * math.pi


def _omega(f_Hz: Any) -> np.ndarray:
    return _TWO_PI * np.asarray(f_Hz, dtype=float)


def z_resistor(f_Hz: Any, R: float) -> np.ndarray:
    """Resistor: Z = R (ohm), the same at every frequency."""
    return np.full(np.shape(f_Hz), complex(R))


def z_capacitor(f_Hz: Any, C: float) -> np.ndarray:
    """Capacitor: Z = 1 / (jωC), C in F."""
    return 1.0 / (1j * _omega(f_Hz) * C)


def z_cpe(f_Hz: Any, Q: float, n: float) -> np.ndarray:
    """Constant-phase element: Z = 1 / (Q (jω)^n), Q in F s^(n-1), 0 < n <= 1 (n = 1: capacitor)."""
    return 1.0 / (Q * (1j * _omega(f_Hz)) ** n)


def z_inductor(f_Hz: Any, L: float) -> np.ndarray:
    """Inductor: Z = jωL, L in H."""
    return 1j * _omega(f_Hz) * L


def _parallel(Z1: np.ndarray, Z2: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 / Z1 + 1.0 / Z2)


def z_r_cpe(f_Hz: Any, R0: float, Q2: float, n2: float) -> np.ndarray:
    """R-CPE: Z = R0 + 1/(Q2 (jω)^n2) - electrolyte resistance in series with the blocking-electrode spike."""
    return R0 + z_cpe(f_Hz, Q2, n2)


def z_l_r_cpe(f_Hz: Any, L: float, R0: float, Q2: float, n2: float) -> np.ndarray:
    """L-R-CPE: Z = jωL + R0 + 1/(Q2 (jω)^n2) - as R-CPE plus cable inductance."""
    Z: np.ndarray = z_inductor(f_Hz, L) + R0 + z_cpe(f_Hz, Q2, n2)
    return Z


def z_r_rq_cpe(f_Hz: Any, R0: float, R1: float, Q1: float, n1: float, Q2: float, n2: float) -> np.ndarray:
    """R-(R||CPE)-CPE: Z = R0 + R1 / (1 + R1 Q1 (jω)^n1) + 1/(Q2 (jω)^n2).

    R0: bulk resistance; R1 || CPE1: an arc from inside the film (grain boundary, ceramic-polymer
    interface); CPE2: the electrode spike. The electrolyte's total resistance is R0 + R1.
    """
    Z: np.ndarray = R0 + _parallel(np.full(np.shape(f_Hz), complex(R1)), z_cpe(f_Hz, Q1, n1)) + z_cpe(f_Hz, Q2, n2)
    return Z


def z_l_r_rq_cpe(f_Hz: Any, L: float, R0: float, R1: float, Q1: float, n1: float, Q2: float, n2: float) -> np.ndarray:
    """L-R-(R||CPE)-CPE: Z = jωL + R0 + R1 / (1 + R1 Q1 (jω)^n1) + 1/(Q2 (jω)^n2)."""
    Z: np.ndarray = z_inductor(f_Hz, L) + z_r_rq_cpe(f_Hz, R0, R1, Q1, n1, Q2, n2)
    return Z


def z_r_rc(f_Hz: Any, R0: float, R1: float, C1: float) -> np.ndarray:
    """R-(R||C): Z = R0 + R1 / (1 + jω R1 C1) (a Voigt element; no electrode spike)."""
    return R0 + R1 / (1.0 + 1j * _omega(f_Hz) * R1 * C1)


def z_r_rq(f_Hz: Any, R0: float, R1: float, Q1: float, n1: float) -> np.ndarray:
    """R-(R||CPE): Z = R0 + R1 / (1 + R1 Q1 (jω)^n1) (no electrode spike)."""
    return R0 + R1 / (1.0 + R1 * Q1 * (1j * _omega(f_Hz)) ** n1)


# Elements with analytic derivatives with respect to θ: log(p) for positive parameters, p itself
# for CPE exponents (names starting with "n"). Each adds its Z to ``Z`` and writes dZ/dθ into the
# rows ``J[0..k-1]`` it is given (ω = ``w``, jω = ``jw``, log(jω) = ``ljw``).
def _el_R(p: np.ndarray, w: np.ndarray, jw: np.ndarray, ljw: np.ndarray, Z: np.ndarray, J: np.ndarray) -> None:
    Z += p[0]
    J[0] = p[0]  # dZ/dlog R = R


def _el_L(p: np.ndarray, w: np.ndarray, jw: np.ndarray, ljw: np.ndarray, Z: np.ndarray, J: np.ndarray) -> None:
    z = jw * p[0]
    Z += z
    J[0] = z


def _el_C(p: np.ndarray, w: np.ndarray, jw: np.ndarray, ljw: np.ndarray, Z: np.ndarray, J: np.ndarray) -> None:
    z = 1.0 / (jw * p[0])
    Z += z
    J[0] = -z


def _el_Q(p: np.ndarray, w: np.ndarray, jw: np.ndarray, ljw: np.ndarray, Z: np.ndarray, J: np.ndarray) -> None:
    z = np.exp(-p[1] * ljw) / p[0]
    Z += z
    J[0] = -z
    J[1] = -z * ljw


def _el_RQ(p: np.ndarray, w: np.ndarray, jw: np.ndarray, ljw: np.ndarray, Z: np.ndarray, J: np.ndarray) -> None:
    R, Q, n = p
    yq = Q * np.exp(n * ljw)
    z = 1.0 / (1.0 / R + yq)
    Z += z
    z2 = z * z
    J[0] = z2 / R
    J[1] = -z2 * yq
    J[2] = J[1] * ljw


def _el_RC(p: np.ndarray, w: np.ndarray, jw: np.ndarray, ljw: np.ndarray, Z: np.ndarray, J: np.ndarray) -> None:
    R, C = p
    yc = jw * C
    z = 1.0 / (1.0 / R + yc)
    Z += z
    z2 = z * z
    J[0] = z2 / R
    J[1] = -z2 * yc


_Element = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]
_ELEMENTS: dict[str, _Element] = {"R": _el_R, "L": _el_L, "C": _el_C, "Q": _el_Q, "RQ": _el_RQ, "RC": _el_RC}


@dataclass(frozen=True)
class CircuitModel:
    """A series of elements; ``elements`` are (kind, parameter names) with kind in R, L, C, Q (CPE),
    RQ (R||CPE), RC (R||C). ``function`` is the public pure function ``f(f_Hz, *params)``."""

    name: str
    elements: tuple[tuple[str, tuple[str, ...]], ...]
    function: Callable[..., np.ndarray]
    description: str = ""
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _expo: np.ndarray = field(init=False, repr=False, compare=False)
    _plan: tuple[tuple[_Element, int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = tuple(n for _, ns in self.elements for n in ns)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_expo", np.array([n.startswith("n") for n in names]))
        plan: list[tuple[_Element, int, int]] = []
        i = 0
        for kind, ns in self.elements:
            plan.append((_ELEMENTS[kind], i, i + len(ns)))
            i += len(ns)
        object.__setattr__(self, "_plan", tuple(plan))

    @property
    def param_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def exponent_mask(self) -> np.ndarray:
        return self._expo.copy()

    def impedance(self, f_Hz: Any, params: Mapping[str, float] | Sequence[float]) -> np.ndarray:
        """Z(f) for parameters given as a mapping by name or a sequence in :attr:`param_names` order."""
        p = [params[n] for n in self.param_names] if isinstance(params, Mapping) else list(params)
        return self.function(np.asarray(f_Hz, dtype=float), *p)

    def z_and_jac(
        self, theta: np.ndarray, w: np.ndarray, ljw: np.ndarray, jw: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Z and dZ/dθ (complex, k x N: one row per parameter) at θ = (log p for positive
        parameters, n for exponents); ``w`` = ω, ``ljw`` = log(jω) = ln ω + jπ/2."""
        expo = self._expo
        p = np.exp(theta)
        p[expo] = theta[expo]
        jw = 1j * w if jw is None else jw
        Z = np.zeros(w.shape, dtype=complex)
        J = np.empty((theta.size, w.size), dtype=complex)
        for el, i, j in self._plan:
            el(p[i:j], w, jw, ljw, Z, J[i:j])
        return Z, J


MODELS: dict[str, CircuitModel] = {
    m.name: m
    for m in (
        CircuitModel("R-CPE", (("R", ("R0",)), ("Q", ("Q2", "n2"))), z_r_cpe, "bulk R0 + electrode spike CPE2"),
        CircuitModel(
            "L-R-CPE",
            (("L", ("L",)), ("R", ("R0",)), ("Q", ("Q2", "n2"))),
            z_l_r_cpe,
            "inductance + R0 + electrode spike",
        ),
        CircuitModel(
            "R-(R||CPE)-CPE",
            (("R", ("R0",)), ("RQ", ("R1", "Q1", "n1")), ("Q", ("Q2", "n2"))),
            z_r_rq_cpe,
            "bulk R0 + film arc R1||CPE1 + electrode spike CPE2",
        ),
        CircuitModel(
            "L-R-(R||CPE)-CPE",
            (("L", ("L",)), ("R", ("R0",)), ("RQ", ("R1", "Q1", "n1")), ("Q", ("Q2", "n2"))),
            z_l_r_rq_cpe,
            "inductance + bulk R0 + film arc + electrode spike",
        ),
        CircuitModel("R-(R||C)", (("R", ("R0",)), ("RC", ("R1", "C1"))), z_r_rc, "R0 + Voigt element (no spike)"),
        CircuitModel("R-(R||CPE)", (("R", ("R0",)), ("RQ", ("R1", "Q1", "n1"))), z_r_rq, "R0 + ZARC (no spike)"),
    )
}
BLOCKING_MODELS: tuple[str, ...] = ("R-CPE", "L-R-CPE", "R-(R||CPE)-CPE", "L-R-(R||CPE)-CPE")


def _model(name: str) -> CircuitModel:
    """The model registered as ``name`` in :data:`MODELS` (an AnalysisError naming the models otherwise)."""
    try:
        return MODELS[name]
    except KeyError:
        raise AnalysisError(f"unknown circuit model {name!r} (models: {', '.join(MODELS)})") from None
