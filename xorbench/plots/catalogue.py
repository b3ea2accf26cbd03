"""The one catalogue of a sweep's plots: every plot once, in the order a report shows it.

Each entry names its file, its heading in the report, about how long it takes to draw
(so that workers get even shares) and the function that draws it from a folder's
:class:`~xorbench.plots.data.PlotData` — by name, so that this table (read by the
saver, the report and the worker pool) never imports matplotlib. A new plot is one
entry here and one ``draw_<name>(data, note)`` function in the module it names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Plot:
    """One plot of a sweep."""

    name: str  # the file's stem: plots/<name>.png
    heading: str  # its section heading in the report ({task}: the sweep's task)
    seconds: float  # about how long it takes to draw and save (quick grid, 2-core machine)
    draw: str  # "module:function" drawing it: (PlotData, note) -> Figure, or None

    def drawer(self) -> Callable:
        module, function = self.draw.split(":")
        return getattr(importlib.import_module(module), function)


PLOTS: tuple[Plot, ...] = (
    Plot("reliability", "Reliability map", 1.6, "xorbench.plots.maps:draw_reliability"),
    Plot("rate-vs-budget", "Convergence rate against the epoch budget", 1.8,
         "xorbench.plots.curves:draw_rate_vs_budget"),
    Plot("ecdf", "Speed: when the successful runs solve {task}", 1.8,
         "xorbench.plots.curves:draw_ecdf"),
    Plot("failures", "Failure modes", 1.2, "xorbench.plots.failures:draw_failures"),
    Plot("curves", "Learning curves", 1.75, "xorbench.plots.curves:draw_curves"),
    Plot("boundaries", "Decision boundaries", 0.9, "xorbench.plots.boundaries:draw_boundaries"),
    Plot("effects", "Does it help? Paired differences", 3.0,
         "xorbench.plots.effects:draw_effects"),
)
PLOT_NAMES = tuple(plot.name for plot in PLOTS)
PLOT_BY_NAME = {plot.name: plot for plot in PLOTS}
