"""Drawing a folder's plots: figures from its data (:func:`draw_all`), files from figures
(:func:`save_all`), each plot as the catalogue says."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from xorbench.files import atomic_write_bytes, ensure_folder
from xorbench.grid.plotroles import PlotRoles
from xorbench.plots.catalogue import PLOT_BY_NAME, PLOT_NAMES
from xorbench.plots.data import PlotData, load_plot_data
from xorbench.plots.layout import DPI, PAD_INCHES, fit_dpi


def draw_all(data: PlotData, names: Sequence[str] = PLOT_NAMES,
             roles: PlotRoles | None = None) -> dict[str, Figure]:
    """The plots ``names`` (default: every plot of the catalogue) of one folder's data.

    Figures, not files; a plot the data cannot make (no curves, nothing to draw a
    boundary of, no runs at all) is left out. ``roles`` (the axes of the colour and
    the panels) win over the grid file's ``[plots]`` table.
    """
    data = data.with_roles(roles)
    figures = {}
    if data.runs.empty:
        return figures
    for name in PLOT_NAMES:
        if name in names:
            figure = PLOT_BY_NAME[name].drawer()(data, data.note)
            if figure is not None:
                figures[name] = figure
    return figures


def save_all(folder: str | Path, data: PlotData | None = None, fmt: str = "png",
             dpi: int = DPI, names: Sequence[str] = PLOT_NAMES,
             roles: PlotRoles | None = None) -> list[Path]:
    """Draw the plots ``names`` of a results folder into ``folder/plots/<name>.<fmt>``.

    Returns the paths written, in catalogue order. ``roles`` as in :func:`draw_all`.
    No image is wider than :data:`~xorbench.plots.layout.MAX_WIDTH_PX` at ``dpi``: the
    layouts keep them narrower, and a figure that is not (a very long legend) is saved
    at a lower resolution. To draw them in several processes at once, see
    :func:`xorbench.plots.jobs.save_plots`.
    """
    data = data if data is not None else load_plot_data(folder)
    out = ensure_folder(Path(folder) / "plots")
    paths = []
    for name, fig in draw_all(data, names, roles).items():
        path = out / f"{name}.{fmt}"
        image = io.BytesIO()
        fig.savefig(image, format=fmt, dpi=fit_dpi(saved_width(fig), dpi),
                    bbox_inches="tight", pad_inches=PAD_INCHES)
        plt.close(fig)
        atomic_write_bytes(path, image.getvalue())  # never through a link at `path`
        paths.append(path)
    return paths


def saved_width(fig: Figure) -> float:
    """The width in inches of ``fig`` saved with ``bbox_inches="tight"`` (the title,
    legend and colour bar outside its box included) and ``PAD_INCHES`` each side."""
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    return box.width + 2 * PAD_INCHES
