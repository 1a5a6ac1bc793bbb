"""Feasibility model: the probability that a formulation passes a declared pass/fail outcome
(e.g. ``solid``: the film solidified), learnt from the formulations where it was recorded.

A Gaussian-process classifier (scikit-learn ``GaussianProcessClassifier``: logistic likelihood,
Laplace approximation, kernel ``C · RBF`` with one length scale per model coordinate, inputs scaled
to [0, 1] by the space's model bounds). Its latent posterior at x, f ~ N(μ(x), s²(x)), with

    μ(x) = k(x, X)ᵀ (y - π̂),    s²(x) = k(x, x) - ‖L⁻¹ W^½ k(X, x)‖²

(π̂ the fitted pass probabilities at the training points, W = diag(π̂(1-π̂)), L the Cholesky factor
of I + W^½ K W^½; Rasmussen & Williams, Algorithm 3.2), is recomputed here in torch so the
acquisition can differentiate it, and P(pass | x) = σ(μ / √(1 + π min(s², 1)/8)) (the probit
approximation of the logistic-Gaussian integral, with the variance capped at
``MODERATION_VARIANCE_CAP`` = 1; below the cap scikit-learn's ``predict_proba``, a finer erf
mixture, agrees to ~1e-2). The cap matters for separable labels such as a sharp solid/fluid
boundary: the fitted amplitude then runs to its bound and the Laplace variance stays near it even
at the training points, so uncapped, a film made and found fluid would keep P ~ 0.1-0.3 and the
acquisition would propose its neighbours again; the boundary (P = 0.5 where μ = 0) does not move.

Inputs (``[feasibility] inputs``): ``"fractions"`` (default) — the model coordinates, each scaled to
[0, 1] by the space's model bounds; ``"ratios"`` — also, before them, the log-ratio of every pair
of mixture components, ln((x_i + ε)/(x_j + ε)) / 2 (x mass or mole fractions, ε one lattice step
as a fraction), so that a boundary at a fixed ratio (e.g. a film that stays fluid above some
SN/MEMA) is one input the kernel can follow instead of a diagonal across two.

Above ``MAX_FIT_ROWS`` rows the kernel's hyperparameters are fitted on a seeded subset and the
classifier then conditions on every row.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.gaussian_process import GaussianProcessClassifier
from sklearn.gaussian_process.kernels import RBF, ConstantKernel

from ..space import Space
from .gp import MAX_FIT_ROWS, to_tensor

# The latent variance used to moderate P is capped (in latent units², the logistic's scale). On
# separable labels (a sharp solid/fluid boundary) the fitted amplitude runs to its bound and the
# Laplace variance stays near it even at the training points, so the moderated P of a formulation
# that was made and stayed fluid was ~0.3, and the acquisition kept proposing more like it.
MODERATION_VARIANCE_CAP = 1.0
AMPLITUDE_BOUNDS = (1e-2, 1e3)  # the kernel's constant C (latent units²)
LENGTH_SCALE_BOUNDS = (1e-2, 1e2)  # per model coordinate, inputs scaled to [0, 1]


FEASIBILITY_INPUTS = ("fractions", "ratios")
LOG_RATIO_SCALE = 2.0  # a log-ratio input is ln((x_i + ε)/(x_j + ε)) / LOG_RATIO_SCALE


def classifier_inputs(space: Space, X: torch.Tensor, inputs: str = "fractions") -> torch.Tensor:
    """The classifier's inputs (... x m) at model coordinates X (... x d), differentiable: the
    coordinates scaled to [0, 1] by the model bounds, after the pairwise log-ratios of the mixture
    components with ``inputs = "ratios"`` (see the module docstring)."""
    if inputs not in FEASIBILITY_INPUTS:
        raise ValueError(f"classifier_inputs: inputs must be one of {', '.join(FEASIBILITY_INPUTS)}, got {inputs!r}")
    lower, upper = space.model_bounds()
    scaled = (X - to_tensor(lower)) / to_tensor(np.where(upper > lower, upper - lower, 1.0))
    if inputs == "fractions":
        return scaled
    eps = space.spec.mixture.step / space.spec.mixture.total  # one lattice step, as a fraction
    dims = space.mixture_dims
    logs = torch.log(X[..., dims] + eps)
    pairs = [(a, b) for a in range(len(dims)) for b in range(a + 1, len(dims))]
    ratios = torch.stack([(logs[..., a] - logs[..., b]) / LOG_RATIO_SCALE for a, b in pairs], dim=-1)
    return torch.cat([ratios, scaled], dim=-1)


@dataclass
class FeasibilityModel:
    """Fitted GP classifier of a pass/fail outcome; ``probability`` gives P(pass), ``log_prob``
    its differentiable log for the acquisition."""

    classifier: GaussianProcessClassifier
    space: Space
    name: str
    n_pass: int
    n_fail: int
    inputs: str = "fractions"

    def __post_init__(self) -> None:
        est = self.classifier.base_estimator_
        kernel = est.kernel_
        self._X = to_tensor(est.X_train_)
        self._alpha = to_tensor(est.y_train_ - est.pi_)
        # v = L⁻¹ W^½ k as one matmul with M = L⁻¹ W^½ (n x n), precomputed (a batched triangular
        # solve per point would broadcast L for every point).
        L = to_tensor(est.L_)
        self._M = torch.linalg.solve_triangular(L, torch.diag(to_tensor(est.W_sr_)), upper=False)
        self._amplitude = float(kernel.k1.constant_value)
        self._lengthscale = to_tensor(np.broadcast_to(kernel.k2.length_scale, (self._X.shape[-1],)).copy())

    def scale(self, X: torch.Tensor) -> torch.Tensor:
        """Model coordinates -> the classifier's inputs (:func:`classifier_inputs`)."""
        return classifier_inputs(self.space, X, self.inputs)

    def latent(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and variance of the latent f at model coordinates X (... x d), differentiable."""
        Z = self.scale(X) / self._lengthscale
        Zt = self._X / self._lengthscale
        sq = (Z.unsqueeze(-2) - Zt).pow(2).sum(-1)  # ... x n
        k = self._amplitude * torch.exp(-0.5 * sq)
        mean = k @ self._alpha
        v = k @ self._M.T
        var = (self._amplitude - v.pow(2).sum(-1)).clamp_min(1e-12)
        return mean, var

    def log_prob(self, X: torch.Tensor) -> torch.Tensor:
        """log P(pass) at model coordinates X (... x d) -> (...), differentiable."""
        mean, var = self.latent(X)
        var = var.clamp_max(MODERATION_VARIANCE_CAP)
        return torch.nn.functional.logsigmoid(mean / torch.sqrt(1.0 + math.pi * var / 8.0))

    def probability(self, df: pd.DataFrame) -> np.ndarray:
        """P(pass) for formulations given with one column per variable."""
        with torch.no_grad():
            return self.log_prob(to_tensor(self.space.to_model(df))).exp().numpy()


def fit_feasibility(
    space: Space, data: pd.DataFrame, name: str, seed: int = 0, inputs: str = "fractions"
) -> FeasibilityModel | None:
    """Fit the classifier to rows with the outcome recorded (``data[name]`` 1 pass / 0 fail) on
    ``inputs`` (:func:`classifier_inputs`).

    Returns None while only one class has been seen (nothing to learn yet).
    """
    labels = data[name].to_numpy(float) > 0.5
    n_pass, n_fail = int(labels.sum()), int((~labels).sum())
    if n_pass == 0 or n_fail == 0:
        return None
    X = classifier_inputs(space, to_tensor(space.to_model(data)), inputs).numpy()
    y = labels.astype(int)
    kernel = ConstantKernel(1.0, AMPLITUDE_BOUNDS) * RBF(np.ones(X.shape[1]), LENGTH_SCALE_BOUNDS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notices at the length-scale bounds
        if len(X) > MAX_FIT_ROWS:
            rows = np.sort(np.random.default_rng(seed).choice(len(X), MAX_FIT_ROWS, replace=False))
            if len(set(y[rows])) == 2:
                kernel = GaussianProcessClassifier(kernel, random_state=seed).fit(X[rows], y[rows]).kernel_
                clf = GaussianProcessClassifier(kernel, optimizer=None).fit(X, y)
            else:
                clf = GaussianProcessClassifier(kernel, random_state=seed).fit(X, y)
        else:
            clf = GaussianProcessClassifier(kernel, random_state=seed).fit(X, y)
    return FeasibilityModel(classifier=clf, space=space, name=name, n_pass=n_pass, n_fail=n_fail, inputs=inputs)


__all__ = ["FEASIBILITY_INPUTS", "FeasibilityModel", "classifier_inputs", "fit_feasibility"]
