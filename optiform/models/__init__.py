"""Surrogate models: the GP of each objective (later: the feasibility classifier)."""

from .gp import Surrogate, fit_surrogate, summarize

__all__ = ["Surrogate", "fit_surrogate", "summarize"]
