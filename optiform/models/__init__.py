"""Surrogate models: the GP of each modelled quantity (:mod:`~optiform.models.gp`), the feasibility
classifier (:mod:`~optiform.models.feasibility`) and the GP diagnostics (:mod:`~optiform.models.diagnostics`)."""

from .gp import Surrogate, fit_surrogate, summarize

__all__ = ["Surrogate", "fit_surrogate", "summarize"]
