"""A results folder's runs, finished or partial, and how far its sweep got.

Read-only and light (no engine, no matplotlib): the summary, plot and report commands
use it. A complete sweep's ``runs.csv`` is read as written; a partial one's finished
runs come from the shards, in grid order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xorbench.analysis.adaptive import seed_stops
from xorbench.config import SeedRule
from xorbench.errors import ResultsError, XorbenchError
from xorbench.grid import Grid
from xorbench.results import tables
from xorbench.results.folder import ResultsDir
from xorbench.results.selection import grid_runs, relabel_learned


def load_runs(folder: str | Path) -> pd.DataFrame:
    """The runs of a results folder as a tidy DataFrame, finished or not.

    A complete sweep's runs.csv is read as is; for a partial sweep the finished
    runs of the folder's grid are read from the shards (in grid order).
    """
    results = ResultsDir(folder)
    results.check()
    manifest = results.read_manifest()
    runs_csv = results.path / "runs.csv"
    if manifest.get("status") == "complete" and runs_csv.is_file():
        runs = relabel_learned(read_table(results, tables.read_runs, "runs.csv"))
        if "n_done" in manifest and len(runs) != manifest["n_done"]:
            raise ResultsError(f"{runs_csv}: holds {len(runs):,} runs, the manifest says "
                               f"{manifest['n_done']:,}; {rebuild_hint(results)}")
        return runs
    return partial_runs(results)


def read_table(results: ResultsDir, reader, name: str) -> pd.DataFrame:
    """``reader(folder / name)``; a damaged table is a one-line error saying how to get
    it back (the shards hold every run, so a sweep rebuilds the tables)."""
    try:
        return reader(results.path / name)
    except tables.DamagedTableError as e:
        raise ResultsError(f"{e}; {rebuild_hint(results)}") from None


def rebuild_hint(results: ResultsDir) -> str:
    return (f"rerun the sweep that wrote it (xorbench sweep GRID --out {results.path}): it "
            f"rebuilds the tables from the shards")


def partial_runs(results: ResultsDir) -> pd.DataFrame:
    """The finished runs (from the shards) that belong to the folder's current grid.

    Unreadable shards are skipped here (the next sweep sets them aside and
    retrains their runs); the count of runs done says what is missing.
    """
    grid = _folder_grid(results)
    runs = grid_runs(results.read_part("runs"), grid)
    if grid.seed_rule is None or runs.empty:
        return runs
    # adaptive seeds: each configuration's runs up to where the rule stops it (the
    # shards may hold more seeds, from a rerun with a larger max)
    stops = seed_stops(grid.seed_rule, runs).set_index("config_id")["n_seeds"]
    keep = runs["seed"].to_numpy() < runs["config_id"].map(stops).to_numpy()
    return runs[keep].reset_index(drop=True)


def folder_seed_rule(folder: str | Path) -> SeedRule | None:
    """The adaptive-seeds rule of a folder's grid (None: fixed seeds, or no grid.toml —
    a folder written before adaptive seeds existed)."""
    results = ResultsDir(folder)
    if not (results.path / "grid.toml").is_file():
        return None
    return _folder_grid(results).seed_rule


def _folder_grid(results: ResultsDir) -> Grid:
    from xorbench.grid import load_grid

    path = results.path / "grid.toml"
    if not path.is_file():
        raise XorbenchError(f"{results.path}: has no grid.toml; rerun the sweep to rebuild it")
    return load_grid(path)


@dataclass(frozen=True)
class SweepStatus:
    """How far a results folder's sweep got."""

    path: Path
    n_runs: int  # runs in the folder's grid
    n_done: int  # of them finished (in the shards)
    status: str  # complete | running | interrupted | failed
    writer: dict | None  # the sweep writing the folder now (pid, host, since), if any

    @property
    def partial(self) -> bool:
        return self.n_done < self.n_runs

    def describe(self) -> str:
        """One line for a partial sweep, e.g. ``partial sweep: 120 of 400 runs done …``."""
        if not self.partial:
            return f"complete sweep: {self.n_runs:,} runs"
        if self.writer:
            state = f"a sweep is still writing it (pid {self.writer.get('pid', '?')})"
        else:
            state = "rerun the sweep to finish it"
        return (f"partial sweep: {self.n_done:,} of {self.n_runs:,} runs done "
                f"({self.n_done / max(self.n_runs, 1):.0%}); {state}")


def sweep_status(folder: str | Path, runs: pd.DataFrame | None = None) -> SweepStatus:
    """Runs done out of the grid's, from ``runs`` (as load_runs gives) or the folder."""
    results = ResultsDir(folder)
    results.check()
    manifest = results.read_manifest()
    if runs is None:
        runs = load_runs(folder)
    n_runs = int(manifest.get("n_runs") or len(runs))
    return SweepStatus(results.path, n_runs, len(runs), str(manifest.get("status", "unknown")),
                       results.lock_holder())
