"""The pictures of a sweep, each a function of tidy DataFrames returning a figure.

What lives here: the one catalogue of plots (:mod:`~xorbench.plots.catalogue`: name,
report heading, drawing cost, drawing function), what they need from a folder, read
without matplotlib (:mod:`~xorbench.plots.data`), what they share (:mod:`~xorbench.plots.kit`:
headless matplotlib, palettes, facet roles; :mod:`~xorbench.plots.lines`: line-plot
roles and facet grids), the plots themselves — the reliability map
(:mod:`~xorbench.plots.maps`), rate against budget, the ECDF of epoch_solved and the
learning curves (:mod:`~xorbench.plots.curves`), failure modes
(:mod:`~xorbench.plots.failures`), decision boundaries (:mod:`~xorbench.plots.boundaries`)
— and drawing and saving them, in this process (:mod:`~xorbench.plots.save`) or in
workers (:mod:`~xorbench.plots.jobs`).

The only package that imports matplotlib; it never trains (boundaries evaluate stored
parameters through the engine's own activations). A new plot is one catalogue entry and
one ``draw_<name>(data, note)`` function. Names load on first use, so reading a folder
for plotting (``xorbench.plots.data``) does not import matplotlib.
"""

from __future__ import annotations

import importlib

from xorbench.plots.catalogue import PLOT_NAMES, PLOTS, Plot

# name → the module that defines it
_NAMES = {
    "PlotData": "data", "load_plot_data": "data", "read_params": "data",
    "reliability_map": "maps", "failure_modes": "failures", "failure_frame": "failures",
    "MAX_BARS": "failures", "rate_vs_budget": "curves", "epoch_solved_ecdf": "curves",
    "learning_curves": "curves", "ecdf_frame": "curves", "MAX_FACETS": "lines",
    "decision_boundaries": "boundaries", "gallery_runs": "boundaries",
    "network_output": "boundaries", "draw_all": "save", "save_all": "save",
    "save_plots": "jobs", "FAILURE_COLORS": "kit", "OUTCOME_NAMES": "kit", "RATE_CMAP": "kit",
    "LINE_PALETTE": "kit",
}

__all__ = ["PLOTS", "PLOT_NAMES", "Plot", *_NAMES]


def __getattr__(name: str):
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'xorbench.plots' has no attribute {name!r}")
    return getattr(importlib.import_module(f"xorbench.plots.{module}"), name)
