"""Drawing a folder's plots in several worker processes at once.

Each of the seven plots takes ~1–2 s to draw and save and importing matplotlib
and seaborn ~2 s: :func:`save_plots` deals the plots out to loky workers (the
sweep's own, still up after training), so they are drawn side by side and the
calling process need not import matplotlib at all. Small sweeps only: above
``PARALLEL_PLOT_RUNS`` runs, or with one job, the plots are drawn in the
calling process.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from xorbench.grid.plotroles import PlotRoles
from xorbench.parallel import children_ignore_sigint, drain
from xorbench.plots.catalogue import PLOT_BY_NAME, PLOT_NAMES
from xorbench.plots.data import PlotData, load_plot_data
from xorbench.plots.layout import DPI

# Above this many runs the plots are drawn here: sending the runs table to each
# worker costs about what drawing side by side saves (a million runs: 15 s either way;
# the quick grid's 16,200: 6 s instead of 11).
PARALLEL_PLOT_RUNS = 250_000


def save_plots(folder: str | Path, data: PlotData | None = None, fmt: str = "png",
               dpi: int = DPI, jobs: int = 1, roles: PlotRoles | None = None) -> list[Path]:
    """:func:`xorbench.plots.save.save_all` in up to ``jobs`` loky processes at once.

    Every figure is drawn exactly as in one process (the same files, byte for
    byte); returns the paths written, in :data:`PLOT_NAMES` order. Sweeps of
    more than ``PARALLEL_PLOT_RUNS`` runs are drawn in this process. ``roles`` (the
    axes of the colour and the panels) win over the grid file's ``[plots]`` table;
    they are checked here, before any worker starts.
    """
    data = data if data is not None else load_plot_data(folder)
    data = data.with_roles(roles)
    jobs = max(1, min(jobs, len(PLOT_NAMES)))
    if jobs == 1 or data.runs.empty or len(data.runs) > PARALLEL_PLOT_RUNS:
        from xorbench.plots.save import save_all

        return save_all(folder, data, fmt=fmt, dpi=dpi)
    import joblib

    shares: list[list[str]] = [[] for _ in range(jobs)]
    load = [0.0] * jobs
    # dealt longest first, each to the least loaded worker
    for name in sorted(PLOT_NAMES, key=lambda n: PLOT_BY_NAME[n].seconds, reverse=True):
        least = load.index(min(load))
        shares[least].append(name)
        load[least] += PLOT_BY_NAME[name].seconds
    parallel = joblib.Parallel(n_jobs=jobs, backend="loky", return_as="generator")
    with children_ignore_sigint():  # Ctrl-C stops this process, which stops the workers
        pending = parallel(joblib.delayed(_save_share)(folder, data, fmt, dpi, share)
                           for share in shares)
    with contextlib.closing(drain(pending)) as written:
        paths = {p.stem: p for part in written for p in part}
    return [paths[name] for name in PLOT_NAMES if name in paths]


def _save_share(folder: str | Path, data: PlotData, fmt: str, dpi: int,
                names: list[str]) -> list[Path]:
    from xorbench.plots.save import save_all

    return save_all(folder, data, fmt=fmt, dpi=dpi, names=names)
