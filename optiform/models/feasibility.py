"""Feasibility model: the probability that a formulation passes a declared pass/fail outcome
(e.g. ``solid``: the film solidified), learnt from the formulations where it was recorded.

A GP regression on the labels y = +1 (pass) / -1 (fail) (botorch ``SingleTaskGP``, same inputs as
the objective's GP) acts as a latent classifier: P(pass | x) = Φ(μ(x) / σ(x)), the posterior
probability that the latent value is positive. Being a GP in botorch, it joins the objective's GP in
a ``ModelListGP`` and enters qLogNEI as an outcome constraint (latent > 0), so the acquisition is
weighted by the probability of feasibility, with gradients.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms.input import Normalize
from botorch.models.transforms.outcome import Standardize
from gpytorch.mlls import ExactMarginalLogLikelihood
from scipy.stats import norm

from ..space import Space
from .gp import to_tensor


@dataclass
class FeasibilityModel:
    """Latent GP of a pass/fail outcome; ``probability`` gives P(pass)."""

    model: SingleTaskGP
    space: Space
    name: str
    n_pass: int
    n_fail: int

    def probability(self, df: pd.DataFrame) -> np.ndarray:
        """P(pass) for formulations given with one column per variable."""
        with torch.no_grad():
            post = self.model.posterior(to_tensor(self.space.to_model(df)))
            mu = post.mean.squeeze(-1).numpy()
            sd = post.variance.clamp_min(1e-12).sqrt().squeeze(-1).numpy()
        return norm.cdf(mu / sd)


def fit_feasibility(space: Space, data: pd.DataFrame, name: str) -> FeasibilityModel | None:
    """Fit the latent GP to rows with the outcome recorded (``data[name]`` 1 pass / 0 fail).

    Returns None while only one class has been seen (nothing to learn yet).
    """
    labels = data[name].to_numpy(float) > 0.5
    n_pass, n_fail = int(labels.sum()), int((~labels).sum())
    if n_pass == 0 or n_fail == 0:
        return None
    X = to_tensor(space.to_model(data))
    Y = to_tensor(np.where(labels, 1.0, -1.0)).unsqueeze(-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SingleTaskGP(
            X, Y, outcome_transform=Standardize(m=1), input_transform=Normalize(d=X.shape[-1], bounds=to_tensor(space.model_bounds()))
        )
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    model.eval()
    return FeasibilityModel(model=model, space=space, name=name, n_pass=n_pass, n_fail=n_fail)
