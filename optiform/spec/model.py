"""``[model]``: the surrogate model's options."""

from __future__ import annotations

from typing import Literal

from .base import StrictModel


class ModelSpec(StrictModel):
    """Surrogate model options (``[model]``).

    ``kernel = "rbf"`` (default): one RBF kernel with ARD length scales over every model column
    (categorical choices one-hot). ``kernel = "transfer"``: a shared kernel over every column plus a
    choice-specific one (:func:`optiform.models.gp.transfer_kernel`), for categorical choices that
    share most of their landscape but differ in part — e.g. glass-fibre results informing LLZT
    proposals (``propose(fixed={"framework": "LLZT"})``); it needs a categorical parameter.
    ``kernel = "additive"``: one kernel per group of variables (the mixture, each other parameter)
    plus one over all of them (:func:`optiform.models.gp.additive_kernel`), for objectives that are
    close to a product of factors, such as conductivity over composition and processing.
    ``kernel = "matern"``: a Matérn-5/2 kernel with ARD length scales and the same dimension-scaled
    prior as the RBF one; its functions are rougher, so a narrow peak between measured points is
    not smoothed away.

    ``lengthscale_prior``: the prior on every length scale of the objectives' models (inputs
    normalised to [0, 1]), scaled with the number of inputs d so that its mode is e^(√2 - 3)·√d:
    ``"gamma"`` (default; Gamma with shape 3, light tails, BayBE's choice: every input stays in
    view until the data say otherwise, so a narrow optimum along an input that looked flat is still
    looked for) or ``"lognormal"`` (botorch's; heavy tails: a length scale can run long on little
    evidence, and the model then stops seeing that input). ``constraint_lengthscale_prior``: the
    same for the models of outcome-constrained quantities that are not objectives (default
    ``"lognormal"``: such a quantity often depends on few inputs, and a sharp model of it keeps
    proposals on the right side of its threshold).
    """

    kernel: Literal["rbf", "matern", "transfer", "additive"] = "rbf"
    lengthscale_prior: Literal["gamma", "lognormal"] = "gamma"
    constraint_lengthscale_prior: Literal["gamma", "lognormal"] = "lognormal"
