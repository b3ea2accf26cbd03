"""What the plots of a results folder need, read without matplotlib, and drawing
them in several processes at once.

Importing matplotlib and seaborn takes ~2 s and each of the six plots ~1–2 s:
:func:`save_plots` reads the folder here and hands the plots to worker
processes (the sweep's own, when they are still up), so the sweep's process
never imports matplotlib and the plots are drawn side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xorbench import analysis

PLOT_NAMES = ("reliability", "rate-vs-budget", "ecdf", "failures", "curves", "boundaries")


@dataclass
class PlotData:
    """What the plots of one results folder need."""

    folder: Path
    runs: pd.DataFrame
    summary: pd.DataFrame
    curves: pd.DataFrame
    n_total: int  # runs in the grid (manifest); len(runs) of them are done

    @property
    def partial(self) -> bool:
        return len(self.runs) < self.n_total

    @property
    def note(self) -> str | None:
        if not self.partial:
            return None
        return f"Partial sweep: {len(self.runs):,} of {self.n_total:,} runs done."


def load_plot_data(folder: str | Path) -> PlotData:
    """Runs, summary and curves of a finished or partial sweep.

    Raises :class:`xorbench.store.ResultsError` when ``folder`` is not a results
    folder. A complete sweep's CSVs are read as written; for a partial one the
    tables are rebuilt from the finished shards.
    """
    from xorbench.results import load_runs
    from xorbench.store import ResultsDir

    results = ResultsDir(folder)
    results.check()
    manifest = results.read_manifest()
    runs = load_runs(folder)
    complete = manifest.get("status") == "complete"
    summary_csv, curves_csv = results.path / "summary.csv", results.path / "curves.csv"
    if complete and summary_csv.is_file():
        summary = analysis.read_summary(summary_csv)
    else:
        summary = analysis.summarize(runs)
    if complete and curves_csv.is_file():
        curves = analysis.read_curves(curves_csv)
    elif runs.empty:
        curves = pd.DataFrame()
    else:
        curves = analysis.curves(results.read_part("curves"), runs)
    n_total = int(manifest.get("n_runs") or len(runs))
    return PlotData(results.path, runs, summary, curves, n_total)


def read_params(folder: str | Path, wanted: pd.DataFrame | None = None) -> pd.DataFrame:
    """Final parameters (config_id, seed, epochs, p0 …) from a folder's shards.

    ``wanted`` (columns config_id, seed, epochs) limits the rows kept; each shard's
    ``params-<id>.parquet`` is read filtered to its configurations, so a
    million-run sweep is never held in memory at once. Missing or unreadable
    parts are skipped (those runs simply have no boundary to draw).
    """
    from xorbench.store import ResultsDir

    results = ResultsDir(folder)
    key = ["config_id", "seed", "epochs"]
    if wanted is None:
        params = results.read_part("params")
        return params.astype({"config_id": str}) if not params.empty else params
    keep = wanted[key].astype({"config_id": str}).drop_duplicates()
    ids = sorted(keep["config_id"].unique())
    frames = []
    for shard_id in results.shard_ids():
        path = results.shards / f"params-{shard_id}.parquet"
        try:
            part = pd.read_parquet(path, filters=[("config_id", "in", ids)])
        except Exception:  # a missing or corrupt shard: its runs stay undrawn
            continue
        if len(part):
            frames.append(part.astype({"config_id": str}).merge(keep, on=key, how="inner"))
    if not frames:
        return pd.DataFrame(columns=key)
    return pd.concat(frames, ignore_index=True).drop_duplicates(key)


# Rough seconds to draw and save each plot (quick grid, this machine): the plots are
# dealt to the workers longest first, each to the least loaded.
PLOT_COST = {"rate-vs-budget": 1.8, "ecdf": 1.8, "curves": 1.75, "reliability": 1.6,
             "failures": 1.2, "boundaries": 0.9}


# Above this many runs the plots are drawn here: sending the runs table to each
# worker costs about what drawing side by side saves (a million runs: 15 s either way;
# the quick grid's 16,200: 6 s instead of 11).
PARALLEL_PLOT_RUNS = 250_000


def save_plots(folder: str | Path, data: PlotData | None = None, fmt: str = "png",
               dpi: int = 120, jobs: int = 1) -> list[Path]:
    """:func:`xorbench.plots.save_all` in up to ``jobs`` loky processes at once.

    Every figure is drawn exactly as in one process (the same files, byte for
    byte); returns the paths written, in :data:`PLOT_NAMES` order. Sweeps of
    more than ``PARALLEL_PLOT_RUNS`` runs are drawn in this process.
    """
    data = data if data is not None else load_plot_data(folder)
    jobs = max(1, min(jobs, len(PLOT_NAMES)))
    if jobs == 1 or len(data.runs) > PARALLEL_PLOT_RUNS:
        from xorbench.plots import save_all

        return save_all(folder, data, fmt=fmt, dpi=dpi)
    import contextlib

    import joblib

    from xorbench.runner import children_ignore_sigint, drain

    shares: list[list[str]] = [[] for _ in range(jobs)]
    load = [0.0] * jobs
    for name in sorted(PLOT_NAMES, key=PLOT_COST.__getitem__, reverse=True):
        least = load.index(min(load))
        shares[least].append(name)
        load[least] += PLOT_COST[name]
    parallel = joblib.Parallel(n_jobs=jobs, backend="loky", return_as="generator")
    with children_ignore_sigint():  # Ctrl-C stops this process, which stops the workers
        pending = parallel(joblib.delayed(_save_share)(folder, data, fmt, dpi, share)
                           for share in shares)
    with contextlib.closing(drain(pending)) as written:
        paths = {p.stem: p for part in written for p in part}
    return [paths[name] for name in PLOT_NAMES if name in paths]


def _save_share(folder, data: PlotData, fmt: str, dpi: int, names: list[str]) -> list[Path]:
    from xorbench.plots import save_all

    return save_all(folder, data, fmt=fmt, dpi=dpi, names=names)
