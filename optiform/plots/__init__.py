"""Figures of a campaign: maps of the model's prediction over the mixture."""

from .ternary import mixture_figure, plot_mixture, plot_ternary

__all__ = ["mixture_figure", "plot_mixture", "plot_ternary"]
