"""Diagnostics of a fitted :class:`~optiform.models.gp.Surrogate`: length scales, noise and a
leave-one-out parity check.

* **Length scales** of every ARD kernel, one per model dimension (mixture fractions, continuous
  parameters, one column per categorical choice). The GP sees its inputs through ``Normalize``
  (the space's bounds -> [0, 1]), so a length scale is a fraction of the variable's declared range;
  ``length_scale_units`` converts it back to the variable's unit (mixture unit, parameter unit;
  one-hot columns have range 1). Short = the objective changes fast along that variable; long
  (several times 1) = it hardly matters.
* **Noise**: the likelihood's standard deviation sigma on the model scale (ln y for log
  objectives). For a log objective, multiplicative noise ``y = f·e^eps``, eps ~ N(0, sigma²), has the
  relative standard deviation ``sqrt(e^(sigma²) - 1)`` (≈ sigma), reported in %.
* **Leave-one-out**, with the hyperparameters fixed (closed form, no refits). With
  ``K = K_f + sigma² I`` over the n training rows, prior mean m, ``alpha = K⁻¹ (y - m)`` and the
  rows S of one formulation (its replicates, left out together):
  ``mean_S = y_S - [K⁻¹]_SS⁻¹ alpha_S``, ``cov_S = [K⁻¹]_SS⁻¹`` (for one row:
  ``mean_i = y_i - alpha_i / [K⁻¹]_ii``, ``var_i = 1 / [K⁻¹]_ii``). These are predictions of a new
  *measurement* (noise included), computed on the standardized scale the GP is fitted on and
  mapped back through its outcome transform to the model scale. From them: R² of the LOO means
  against the measurements, ``1 - Σ(y - mean)² / Σ(y - ȳ)²``, and the coverage of the 90%
  intervals, the fraction of rows with ``|y - mean| <= 1.645·sd``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from gpytorch.kernels import Kernel

from .gp import Z90, Surrogate

MIN_LOO_FORMULATIONS = 10
"""Below this many formulations the leave-one-out R² and coverage are reported as "n too small":
with a handful of points one left-out formulation swings them by tens of percent."""


@dataclass(frozen=True)
class ModelDiagnostics:
    """What :func:`diagnose` found (model scale: ln y for log objectives)."""

    objective: str
    log: bool
    length_scales: pd.DataFrame  # dimension, variable, length_scale ([0, 1] range units), length_scale_units, unit
    noise_std: float  # likelihood noise sd, model scale
    signal_std: float  # prior sd of the latent function, model scale
    loo: pd.DataFrame  # id, measured, loo_mean, loo_sd, inside_90 (one row per training row)
    r2: float  # LOO means vs measurements, model scale
    coverage_90: float  # fraction of measurements inside their LOO 90% interval
    n: int  # training rows (replicates counted)
    n_formulations: int  # left-out groups

    @property
    def noise_relative_pct(self) -> float | None:
        """Relative noise sd of a log objective in % (``100·sqrt(e^(sigma²) - 1)``); None otherwise."""
        return 100.0 * math.sqrt(math.expm1(self.noise_std**2)) if self.log else None

    def table(self) -> pd.DataFrame:
        """Two columns, ``quantity`` and ``value`` (text), for printing."""
        scale = "ln units" if self.log else "model units"
        rows = [
            (f"length scale {r.dimension}", f"{r.length_scale:.3g} of range" + _in_units(r))
            for r in self.length_scales.itertuples()
        ]
        noise = f"{self.noise_std:.3g} {scale}"
        if self.log:
            noise += f" (≈ {self.noise_relative_pct:.3g}% of {self.objective})"
        small = f"n too small ({self.n_formulations} formulations; shown from {MIN_LOO_FORMULATIONS})"
        enough = self.n_formulations >= MIN_LOO_FORMULATIONS
        rows += [
            ("noise sd", noise),
            ("signal sd", f"{self.signal_std:.3g} {scale}"),
            ("LOO R²", f"{self.r2:.3f}" if enough else small),
            ("LOO 90% coverage", f"{100 * self.coverage_90:.0f}%" if enough else small),
            ("n", f"{self.n} results, {self.n_formulations} formulations (replicates left out together)"),
        ]
        return pd.DataFrame(rows, columns=["quantity", "value"])

    def __str__(self) -> str:
        t = self.table()
        width = int(t["quantity"].str.len().max())
        lines = [f"model diagnostics of {self.objective}"]
        lines += [f"  {q:<{width}}  {v}" for q, v in zip(t["quantity"], t["value"])]
        return "\n".join(lines)


def _in_units(r) -> str:
    if not np.isfinite(r.length_scale_units):
        return ""
    return f" = {r.length_scale_units:.3g}" + (f" {r.unit}" if r.unit else "")


def dimension_names(surrogate: Surrogate) -> list[tuple[str, str, float, str]]:
    """Per model dimension: (label, variable, range in the variable's unit, unit); one-hot
    columns ``name=choice`` have no unit (range NaN)."""
    space = surrogate.space
    bounds = space.component_bounds()
    out = [(c, c, float(hi - lo), space.unit) for c, (lo, hi) in zip(space.components, bounds)]
    out += [(n, n, float(p.max - p.min), p.unit) for n, p in space.continuous.items()]
    for name, choices in space.categorical.items():
        out += [(f"{name}={c}", name, float("nan"), "") for c in choices]
    return out


def length_scales(surrogate: Surrogate) -> pd.DataFrame:
    """Length scales of every ARD kernel in the model, one row per (kernel, dimension)."""
    d = surrogate.train_X.shape[-1]
    names = dimension_names(surrogate)
    if len(names) != d:  # a model not on the space's plain encoding: number the columns
        names = [(f"x{j}", f"x{j}", float("nan"), "") for j in range(d)]
    model: Any = surrogate.model  # torch modules' attributes are dynamic
    kernels = [
        k
        for k in model.covar_module.modules()
        if isinstance(k, Kernel) and k.has_lengthscale and k.lengthscale.shape[-1] > 1
    ]
    rows = []
    for i, k in enumerate(kernels):
        dims = k.active_dims.tolist() if k.active_dims is not None else list(range(d))
        values = k.lengthscale.detach().reshape(-1, len(dims))[0].tolist()
        for j, ls in zip(dims, values):
            label, variable, span, unit = names[j]
            label = label if len(kernels) == 1 else f"{label} ({type(k).__name__} {i + 1})"
            rows.append((label, variable, ls, ls * span, unit))
    return pd.DataFrame(rows, columns=["dimension", "variable", "length_scale", "length_scale_units", "unit"])


def loo_predictions(surrogate: Surrogate, groups: Sequence | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leave-one-group-out predictive mean and sd of each training row (noise included) and the
    measured value, all on the model scale, with fixed hyperparameters (module docstring).

    ``groups``: one label per training row (e.g. the formulation id); rows sharing a label are left
    out together. Default: every row alone."""
    model: Any = surrogate.model  # torch modules' attributes are dynamic
    model.eval()  # train_inputs are then the transformed (normalised) inputs
    X = model.train_inputs[0]
    y = model.train_targets
    n = y.shape[-1]
    labels = np.arange(n) if groups is None else np.asarray(groups, dtype=object)
    if len(labels) != n:
        raise ValueError(f"groups: expected one label per training row ({n}), got {len(labels)}")
    with torch.no_grad():
        prior = model.forward(X)
        K = model.likelihood(prior, X).covariance_matrix
        L, info = torch.linalg.cholesky_ex(K)
        if int(info) != 0:
            raise ValueError("LOO: the training covariance is not positive definite")
        K_inv = torch.cholesky_inverse(L)
        alpha = K_inv @ (y - prior.mean).unsqueeze(-1)
        mean, var = y.clone(), torch.empty_like(y)
        for label in dict.fromkeys(labels.tolist()):
            S = torch.as_tensor(np.flatnonzero(labels == label))
            block_inv = torch.linalg.inv(K_inv[S][:, S])
            mean[S] = y[S] - (block_inv @ alpha[S]).squeeze(-1)
            var[S] = torch.diagonal(block_inv)
        measured_np, mean_np, var_np = _untransform(model, y, mean, var)
    return mean_np, np.sqrt(var_np), measured_np


def _untransform(model, y: torch.Tensor, mean: torch.Tensor, var: torch.Tensor) -> tuple[np.ndarray, ...]:
    """Standardized scale -> model scale through the model's outcome transform (if any)."""
    transform = getattr(model, "outcome_transform", None)
    if transform is None:
        return y.numpy(), mean.numpy(), var.numpy()
    measured, _ = transform.untransform(y.unsqueeze(-1))
    mean, var = transform.untransform(mean.unsqueeze(-1), var.unsqueeze(-1))
    return measured.squeeze(-1).numpy(), mean.squeeze(-1).numpy(), var.squeeze(-1).numpy()


def diagnose(surrogate: Surrogate, groups: Sequence | None = None) -> ModelDiagnostics:
    """Length scales, noise and the LOO parity check of ``surrogate``; ``groups`` as in
    :func:`loo_predictions` (Campaign.diagnostics passes the formulation ids, so replicates are
    left out together)."""
    mean, sd, measured = loo_predictions(surrogate, groups)
    inside = np.abs(measured - mean) <= Z90 * sd
    ss_tot = float(np.sum((measured - measured.mean()) ** 2))
    r2 = 1.0 - float(np.sum((measured - mean) ** 2)) / ss_tot if ss_tot > 0 else float("nan")
    ids = list(groups) if groups is not None else list(range(len(mean)))
    loo = pd.DataFrame({"id": ids, "measured": measured, "loo_mean": mean, "loo_sd": sd, "inside_90": inside})
    return ModelDiagnostics(
        objective=surrogate.objective.name,
        log=surrogate.objective.log,
        length_scales=length_scales(surrogate),
        noise_std=surrogate.noise_std(),
        signal_std=_signal_std(surrogate),
        loo=loo,
        r2=r2,
        coverage_90=float(inside.mean()),
        n=len(mean),
        n_formulations=len(set(ids)),
    )


def _signal_std(surrogate: Surrogate) -> float:
    """Prior sd of the latent function at the training inputs (mean over rows), model scale."""
    model: Any = surrogate.model  # torch modules' attributes are dynamic
    with torch.no_grad():
        prior_var = model.forward(model.train_inputs[0]).variance.mean()
    transform = getattr(model, "outcome_transform", None)
    scale = float(transform.stdvs.squeeze()) if transform is not None else 1.0
    return float(prior_var.sqrt()) * scale


__all__ = ["MIN_LOO_FORMULATIONS", "ModelDiagnostics", "diagnose", "length_scales", "loo_predictions"]
