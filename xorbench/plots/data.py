"""What the plots of a results folder need, read without importing matplotlib.

Importing matplotlib and seaborn takes ~2 s: a process that only hands the
plots to workers (:mod:`xorbench.plots.jobs`) reads the folder here and never
pays it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from xorbench import analysis
from xorbench.analysis.order import varying_axes
from xorbench.errors import XorbenchError
from xorbench.grid.plotroles import PlotRoles, role_problems


@dataclass
class PlotData:
    """What the plots of one results folder need."""

    folder: Path
    runs: pd.DataFrame
    summary: pd.DataFrame
    curves: pd.DataFrame
    n_total: int  # runs in the grid (manifest); len(runs) of them are done
    roles: PlotRoles = field(default_factory=PlotRoles)  # the grid file's [plots] table

    def with_roles(self, roles: PlotRoles | None) -> PlotData:
        """This data with ``roles`` (the command line's) over its own; XorbenchError, one
        line, for an axis that is unknown or does not vary in the sweep."""
        if roles is None or not roles.chosen():
            return self
        check_roles(roles, self.summary, lambda k, v: f"--{k} {v}")
        return replace(self, roles=roles.over(self.roles))

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

    Raises :class:`xorbench.errors.ResultsError` when ``folder`` is not a results
    folder. A complete sweep's CSVs are read as written; for a partial one the
    tables are rebuilt from the finished shards.
    """
    from xorbench.results import (
        folder_seed_rule,
        load_runs,
        read_curves,
        read_summary,
        read_table,
    )
    from xorbench.results.folder import ResultsDir

    results = ResultsDir(folder)
    results.check()
    manifest = results.read_manifest()
    runs = load_runs(folder)
    complete = manifest.get("status") == "complete"
    summary_csv, curves_csv = results.path / "summary.csv", results.path / "curves.csv"
    if complete and summary_csv.is_file():
        summary = read_table(results, read_summary, "summary.csv")
    else:
        summary = analysis.summarize(runs, folder_seed_rule(folder))
    if complete and curves_csv.is_file():
        curves = read_table(results, read_curves, "curves.csv")
    elif runs.empty:
        curves = pd.DataFrame()
    else:
        curves = analysis.curves(results.read_part("curves"), runs)
    n_total = int(manifest.get("n_runs") or len(runs))
    return PlotData(results.path, runs, summary, curves, n_total, _grid_roles(results.path))


def _grid_roles(folder: Path) -> PlotRoles:
    """The ``[plots]`` table of the folder's copy of its grid file (none without a copy)."""
    from xorbench.grid import load_grid

    path = folder / "grid.toml"
    return load_grid(path).plots if path.is_file() else PlotRoles()


def check_roles(roles: PlotRoles, summary: pd.DataFrame, where) -> None:
    """XorbenchError naming each chosen axis that is unknown or does not vary in ``summary``
    (nothing is checked against a sweep with no finished runs but the names)."""
    varying = [a for a in varying_axes(summary) if a not in ("epochs", "arch")]
    if summary.empty:
        varying = list(roles.chosen().values())
    _, problems = role_problems(roles.chosen(), varying, where, sweep="sweep")
    if problems:
        raise XorbenchError("\n".join(problems))  # one line each


def read_params(folder: str | Path, wanted: pd.DataFrame | None = None) -> pd.DataFrame:
    """Final parameters (config_id, seed, epochs, p0 …) from a folder's shards.

    ``wanted`` (columns config_id, seed, epochs) limits the rows kept; each shard's
    ``params-<id>.parquet`` is read filtered to its configurations, so a
    million-run sweep is never held in memory at once. Missing or unreadable
    parts are skipped (those runs simply have no boundary to draw).
    """
    from xorbench.results.folder import ResultsDir

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
