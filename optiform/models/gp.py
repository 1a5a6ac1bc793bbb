"""Gaussian-process surrogate of one objective (botorch).

The GP models ``z = ln y`` for objectives with ``transform = "log"`` (conductivity spans decades and
is positive), else ``z = y``. Inputs are the space's model coordinates: mixture fractions,
continuous parameters scaled to [0, 1], categorical parameters one-hot; a SingleTaskGP (RBF kernel
with ARD length scales) over all of them. Replicates enter as separate rows, so the likelihood's noise
is learnt from their scatter.

Predictions are of the latent (noise-free) value. For a log objective with posterior
``z ~ N(mu, s^2)`` the prediction in the objective's units is log-normal:
median ``e^mu``, mean ``e^(mu + s^2/2)``, std ``sqrt(e^(s^2) - 1) · e^(mu + s^2/2)``, 90% interval
``e^(mu ± 1.645 s)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.model import Model
from botorch.models.transforms.input import Normalize
from botorch.models.transforms.outcome import Standardize
from gpytorch.mlls import ExactMarginalLogLikelihood
from threadpoolctl import threadpool_limits

from ..space import Space
from ..spec import CampaignSpec, ModelSpec, ObjectiveSpec

DTYPE = torch.float64
Z90 = 1.6448536269514722  # standard-normal 95th percentile: the 90% interval is mu ± Z90·s


@contextmanager
def compute_threads(n: int = 1) -> Iterator[None]:
    """Run torch and the BLAS pools under numpy/scipy (scikit-learn's classifier) on ``n`` threads
    inside the block. The models here are small (tens to hundreds of points): one thread is as
    fast as two on an idle machine and much faster on a busy one, where more threads oversubscribe
    the cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(n):
            yield
    finally:
        torch.set_num_threads(before)


def to_tensor(X: np.ndarray) -> torch.Tensor:
    """float64 tensor of X, sharing memory when X is a writable float array (a read-only one, e.g.
    a view pandas hands out, is copied: torch cannot guard it)."""
    array = np.asarray(X, dtype=float)
    return torch.as_tensor(array if array.flags.writeable else array.copy(), dtype=DTYPE)


@dataclass
class Surrogate:
    """A fitted GP of one objective on the model scale (ln y for log objectives)."""

    model: Model
    space: Space
    objective: ObjectiveSpec
    train_X: torch.Tensor
    n_train: int

    def latent(self, X: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and std of the modelled value z at model coordinates X (n, d)."""
        Xt = X if isinstance(X, torch.Tensor) else to_tensor(X)
        with torch.no_grad():
            post: Any = self.model.posterior(Xt)  # a GPyTorchPosterior (mean, variance)
            mu = post.mean.squeeze(-1).numpy()
            sd = post.variance.clamp_min(1e-12).sqrt().squeeze(-1).numpy()
        return mu, sd

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        """Per formulation: ``<name>_mean``, ``_std``, ``_median``, ``_q05``, ``_q95`` in the
        objective's units (see module docstring)."""
        mu, sd = self.latent(self.space.to_model(df))
        return summarize(mu, sd, self.objective, index=df.index)

    def noise_std(self) -> float:
        """Learnt observation-noise standard deviation on the model scale (ln units for log)."""
        model: Any = self.model  # torch modules' attributes are dynamic
        noise = model.likelihood.noise.detach().mean()
        scale = model.outcome_transform.stdvs.squeeze() if hasattr(model, "outcome_transform") else 1.0
        return float(noise.sqrt() * scale)


def summarize(mu: np.ndarray, sd: np.ndarray, objective: ObjectiveSpec, index=None) -> pd.DataFrame:
    """Turn a normal posterior on the model scale into statistics in the objective's units."""
    name = objective.name
    if objective.log:
        mean = np.exp(mu + sd**2 / 2)
        stats = {
            "mean": mean,
            "std": np.sqrt(np.expm1(sd**2)) * mean,
            "median": np.exp(mu),
            "q05": np.exp(mu - Z90 * sd),
            "q95": np.exp(mu + Z90 * sd),
        }
    else:
        stats = {"mean": mu, "std": sd, "median": mu, "q05": mu - Z90 * sd, "q95": mu + Z90 * sd}
    return pd.DataFrame({f"{name}_{k}": v for k, v in stats.items()}, index=index)


def model_values(y: np.ndarray, objective: ObjectiveSpec) -> np.ndarray:
    """Objective values -> the modelled scale (ln y for log objectives)."""
    y = np.asarray(y, dtype=float)
    return np.log(y) if objective.log else y


TRANSFER_FIT_OPTIONS = {
    "options": {"maxiter": 150}
}  # L-BFGS-B cap for the sum kernels (transfer: uncapped ~10x slower)
MAX_FIT_ROWS = 128  # hyperparameters are fitted on at most this many rows (see fit_gp)


LENGTHSCALE_PRIORS = ("gamma", "lognormal")
DEFAULT_PRIOR = ModelSpec().lengthscale_prior  # the campaign's default for objectives, "gamma"
GAMMA_CONCENTRATION = 3.0  # shape a of the Gamma length-scale prior
LENGTHSCALE_FLOOR = 2.5e-2  # least length scale (inputs normalised to [0, 1]), botorch's


def scaled_kernel(
    ard_num_dims: int, active_dims: list[int] | None = None, rbf: bool = True, prior: str = DEFAULT_PRIOR
):
    """An RBF (``rbf``) or Matérn-5/2 kernel with one length scale ℓ_i per input (normalised to
    [0, 1]) and a dimension-scaled prior whose mode is ℓ* = e^(√2 - 3)·√d (Hvarfner et al., ICML
    2024; d = ``ard_num_dims``):

    * ``"lognormal"``: ln ℓ_i ~ N(√2 + ln(d)/2, 3), botorch's default;
    * ``"gamma"``: ℓ_i ~ Gamma(a = 3, rate = (a - 1)/ℓ*), the same mode with light tails (BayBE's
      default), so a length scale far above ℓ* — an input the model stops seeing — costs more
      evidence than under the log-normal.

    Length scales start at the mode and stay above ``LENGTHSCALE_FLOOR``."""
    import math

    from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior
    from gpytorch.constraints import GreaterThan
    from gpytorch.kernels import MaternKernel, RBFKernel
    from gpytorch.priors import GammaPrior

    if prior == "lognormal":
        return get_covar_module_with_dim_scaled_prior(ard_num_dims, use_rbf_kernel=rbf, active_dims=active_dims)
    if prior != "gamma":
        raise ValueError(f"scaled_kernel: prior must be one of {', '.join(LENGTHSCALE_PRIORS)}, got {prior!r}")
    mode = math.exp(math.sqrt(2.0) - 3.0) * math.sqrt(ard_num_dims)
    gamma = GammaPrior(GAMMA_CONCENTRATION, (GAMMA_CONCENTRATION - 1.0) / mode)
    extra: dict[str, Any] = {} if rbf else {"nu": 2.5}
    return (RBFKernel if rbf else MaternKernel)(
        ard_num_dims=ard_num_dims,
        lengthscale_prior=gamma,
        lengthscale_constraint=GreaterThan(LENGTHSCALE_FLOOR, transform=None, initial_value=mode),
        active_dims=active_dims,
        **extra,
    )


def transfer_kernel(d: int, categorical_dims: list[int], prior: str = DEFAULT_PRIOR):
    """k((x, c), (x', c')) = s1·k_all((x, c), (x', c')) + s2·k_x(x, x')·k_c(c, c'): RBF kernels with
    ARD length scales (:func:`scaled_kernel`'s ``prior``); ``k_all`` over every model column (the
    function shared by the categorical choices, correlated through the one-hot length scales),
    ``k_x`` over the non-categorical columns and ``k_c`` over the one-hot columns (a choice-specific
    deviation: with short one-hot length scales the choices' deviations are independent). So a
    framework can differ from the others (e.g. in how porosity matters) while sharing what they
    have in common (the composition landscape)."""
    from gpytorch.kernels import RBFKernel, ScaleKernel

    other = [i for i in range(d) if i not in set(categorical_dims)]
    shared = scaled_kernel(d, prior=prior)
    specific = scaled_kernel(len(other), active_dims=other, prior=prior) * RBFKernel(
        ard_num_dims=len(categorical_dims), active_dims=categorical_dims
    )
    return ScaleKernel(shared) + ScaleKernel(specific)


def additive_kernel(d: int, groups: list[list[int]], prior: str = DEFAULT_PRIOR):
    """k(x, x') = Σ_g s_g·k_g(x_g, x'_g) + s_full·k_full(x, x'): one RBF kernel per group of model
    columns plus one over every column, each with ARD length scales (:func:`scaled_kernel`'s
    ``prior``) and its own scale s (the "additive + full interaction" GP of Duvenaud et al., NeurIPS
    2011, first order). Where the objective is near a sum of per-group effects — ln σ of a product of
    factors, e.g. salt x plasticiser x porosity x additive — the group terms learn each effect from
    every point, not only from points that vary it alone; the full term keeps the interactions (the
    marginal likelihood weighs the two)."""
    from gpytorch.kernels import ScaleKernel

    parts = [ScaleKernel(scaled_kernel(len(g), active_dims=g, prior=prior)) for g in groups]
    parts.append(ScaleKernel(scaled_kernel(d, prior=prior)))
    kernel = parts[0]
    for part in parts[1:]:
        kernel = kernel + part
    return kernel


def additive_groups(space: Space) -> list[list[int]]:
    """The groups of :func:`additive_kernel` for a space: the mixture components together (a
    composition acts as a whole: its fractions sum to 1), each continuous parameter alone, and each
    categorical parameter's one-hot columns together."""
    mixture = list(space.mixture_dims)
    onehot = [list(dims) for dims in space.onehot_dims.values()]
    taken = set(mixture) | {d for dims in onehot for d in dims}
    singles = [[d] for d in range(len(space.components) + len(space.continuous)) if d not in taken]
    return [g for g in [mixture, *singles, *onehot] if g]


def fit_gp(
    X: torch.Tensor,
    Y: torch.Tensor,
    bounds: torch.Tensor,
    seed: int = 0,
    categorical_dims: list[int] | None = None,
    groups: list[list[int]] | None = None,
    matern: bool = False,
    prior: str = DEFAULT_PRIOR,
) -> SingleTaskGP:
    """A fitted ``SingleTaskGP`` (inputs normalised by ``bounds``, outputs standardised) in eval mode.
    The kernel: :func:`transfer_kernel` with ``categorical_dims``, :func:`additive_kernel` with
    ``groups``, else :func:`scaled_kernel` (Matérn-5/2 with ``matern``, else RBF); every length
    scale under the dimension-scaled ``prior`` (``"gamma"`` or botorch's ``"lognormal"``).

    Hyperparameters by maximum marginal likelihood. Above ``MAX_FIT_ROWS`` rows they are fitted on
    a seeded random subset of that size (each likelihood evaluation costs O(n³), and a few hundred
    points pin the length scales, noise and signal variance no better than 128), then the model
    conditions on every row with them: at n = 300 this cuts the fit from ~1.5 s to ~0.2 s.
    """
    if categorical_dims and groups:
        raise ValueError("fit_gp: give categorical_dims (transfer kernel) or groups (additive kernel), not both")

    def build(Xs: torch.Tensor, Ys: torch.Tensor) -> SingleTaskGP:
        if categorical_dims:
            covar = transfer_kernel(X.shape[-1], categorical_dims, prior=prior)
        elif groups:
            covar = additive_kernel(X.shape[-1], groups, prior=prior)
        else:
            covar = scaled_kernel(X.shape[-1], rbf=not matern, prior=prior)
        return SingleTaskGP(
            Xs,
            Ys,
            covar_module=covar,
            outcome_transform=Standardize(m=1),
            input_transform=Normalize(d=X.shape[-1], bounds=bounds),
        )

    options = TRANSFER_FIT_OPTIONS if (categorical_dims or groups) else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # input-scaling and jitter notices on tiny data sets
        if len(X) <= MAX_FIT_ROWS:
            model = build(X, Y)
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model), optimizer_kwargs=options)
        else:
            rows = torch.as_tensor(np.sort(np.random.default_rng(seed).choice(len(X), MAX_FIT_ROWS, replace=False)))
            sub = build(X[rows], Y[rows])
            fit_gpytorch_mll(ExactMarginalLogLikelihood(sub.likelihood, sub), optimizer_kwargs=options)
            model = build(X, Y)
            for part in ("covar_module", "mean_module", "likelihood"):
                getattr(model, part).load_state_dict(getattr(sub, part).state_dict())
    model.eval()
    return model


def lengthscale_prior_of(spec: CampaignSpec, quantity: str) -> str:
    """The length-scale prior of ``quantity``'s model: ``[model] lengthscale_prior`` for an
    objective, ``constraint_lengthscale_prior`` for any other modelled quantity."""
    model = spec.model
    return model.lengthscale_prior if quantity in spec.objective_names else model.constraint_lengthscale_prior


def fit_surrogate(space: Space, train: pd.DataFrame, objective: ObjectiveSpec) -> Surrogate:
    """Fit a GP to ``train`` (variable columns + the objective column, finite values).

    SingleTaskGP on the model coordinates (one-hot categoricals), inputs normalised by the space's
    bounds, outputs standardised; hyperparameters by maximum marginal likelihood. The kernel is the
    campaign's ``[model] kernel`` (default RBF with ARD; ``"matern"``: Matérn-5/2 with ARD; ``"transfer"``: :func:`transfer_kernel`;
    ``"additive"``: :func:`additive_kernel` over :func:`additive_groups`). Length scales under
    ``[model] lengthscale_prior`` for an objective, ``constraint_lengthscale_prior`` for a
    constrained quantity that is not one.
    """
    X = to_tensor(space.to_model(train))
    Y = to_tensor(model_values(train[objective.name].to_numpy(float), objective)).unsqueeze(-1)
    kind = space.spec.model.kernel
    categorical = [d for dims in space.onehot_dims.values() for d in dims] if kind == "transfer" else None
    groups = additive_groups(space) if kind == "additive" else None
    bounds = space.model_bounds()
    bounds[1] = np.where(bounds[1] > bounds[0], bounds[1], bounds[0] + 1.0)  # a coordinate held at one value: unscaled
    model = fit_gp(
        X,
        Y,
        to_tensor(bounds),
        categorical_dims=categorical or None,
        groups=groups,
        matern=kind == "matern",
        prior=lengthscale_prior_of(space.spec, objective.name),
    )
    return Surrogate(model=model, space=space, objective=objective, train_X=X, n_train=len(train))
