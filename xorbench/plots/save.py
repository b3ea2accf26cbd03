"""Drawing a folder's plots: figures from its data (:func:`draw_all`), files from figures
(:func:`save_all`), each plot as the catalogue says."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from xorbench.files import atomic_write_bytes, ensure_folder
from xorbench.plots.catalogue import PLOT_BY_NAME, PLOT_NAMES
from xorbench.plots.data import PlotData, load_plot_data


def draw_all(data: PlotData, names: Sequence[str] = PLOT_NAMES) -> dict[str, Figure]:
    """The plots ``names`` (default: every plot of the catalogue) of one folder's data.

    Figures, not files; a plot the data cannot make (no curves, nothing to draw a
    boundary of, no runs at all) is left out.
    """
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
             dpi: int = 120, names: Sequence[str] = PLOT_NAMES) -> list[Path]:
    """Draw the plots ``names`` of a results folder into ``folder/plots/<name>.<fmt>``.

    Returns the paths written, in catalogue order. To draw them in several processes
    at once, see :func:`xorbench.plots.jobs.save_plots`.
    """
    data = data if data is not None else load_plot_data(folder)
    out = ensure_folder(Path(folder) / "plots")
    paths = []
    for name, fig in draw_all(data, names).items():
        path = out / f"{name}.{fmt}"
        image = io.BytesIO()
        fig.savefig(image, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.2)
        plt.close(fig)
        atomic_write_bytes(path, image.getvalue())  # never through a link at `path`
        paths.append(path)
    return paths
