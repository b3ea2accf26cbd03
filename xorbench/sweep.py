"""A whole sweep: grid → runs still to do → parallel batches → shards → tidy CSVs.

This is the one place that ties the stages together; the CLI calls it, and so can
a notebook: ``run_sweep(load_grid("sweeps/quick.toml"))``.
"""

from __future__ import annotations

import hashlib
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from xorbench import analysis
from xorbench.grid import Grid, expand
from xorbench.runner import BatchOutput, execute, plan_batches
from xorbench.store import RESULTS_FORMAT, ResultsDir


@dataclass
class SweepOutcome:
    """What a finished sweep did and where its files are."""

    path: Path
    n_runs: int  # runs in the grid
    n_reused: int  # runs found in the shards, not retrained
    n_trained: int  # runs trained now
    seconds: float  # wall time of the sweep
    train_seconds: float  # time spent inside batches (all workers, summed)
    runs: pd.DataFrame
    summary: pd.DataFrame


Progress = Callable[[int, int], None]  # (runs done, runs total)


def default_out(grid: Grid, root: str | Path = "results") -> Path:
    return Path(root) / grid.name


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for package in ("xorbench", "numpy", "pandas", "joblib"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover
            out[package] = "unknown"
    return out


def run_sweep(
    grid: Grid,
    out: str | Path | None = None,
    jobs: int | None = None,
    backend: str = "loky",
    scheduler: str | None = None,
    progress: Progress | None = None,
    batch_size: int | None = None,
) -> SweepOutcome:
    """Train every run of ``grid`` not already in ``out``'s shards, then write the CSVs.

    Finished batches are stored as they arrive, so an interrupted sweep resumes
    where it stopped when called again with the same arguments.
    """
    started = time.perf_counter()
    folder = ResultsDir(out if out is not None else default_out(grid))
    specs = expand(grid)
    wanted = {s.run_key for s in specs}
    manifest = folder.read_manifest() if folder.exists() else {}
    done = _done_keys(folder) & wanted
    todo = [s for s in specs if s.run_key not in done]
    manifest.update(
        results_format=RESULTS_FORMAT,
        sweep=grid.name,
        grid_hash=hashlib.sha256(grid.source.encode()).hexdigest()[:16],
        versions=_versions(),
        host=platform.node(),
        n_runs=len(specs),
        status="running",
    )
    manifest.setdefault("events", []).append(
        {"event": "resume" if done else "start", "time": _now(), "runs_to_train": len(todo)}
    )
    folder.write_manifest(manifest)
    (folder.path / "grid.toml").write_text(grid.source)

    n_done = len(done)
    train_seconds = 0.0
    if progress:
        progress(n_done, len(specs))
    plans = plan_batches(todo, n_workers=jobs or 1, batch_size=batch_size)
    try:
        for output in execute(plans, grid.name, jobs=jobs, backend=backend, scheduler=scheduler):
            _store(folder, output)
            n_done += len(output.runs)
            train_seconds += output.seconds
            if progress:
                progress(n_done, len(specs))
    except BaseException:
        manifest["status"] = "interrupted"
        manifest["n_done"] = n_done
        manifest["events"].append({"event": "stop", "time": _now(), "runs_done": n_done})
        folder.write_manifest(manifest)
        raise

    runs, summary = write_tables(folder, specs)
    manifest["status"] = "complete"
    manifest["n_done"] = len(runs)
    manifest["events"].append({"event": "complete", "time": _now(), "runs_done": len(runs)})
    manifest["seconds"] = round(time.perf_counter() - started, 3)
    folder.write_manifest(manifest)
    return SweepOutcome(folder.path, len(specs), len(done), len(todo),
                        time.perf_counter() - started, train_seconds, runs, summary)


def _store(folder: ResultsDir, output: BatchOutput) -> None:
    folder.write_shard(output.runs, output.curves, output.params)


def _done_keys(folder: ResultsDir) -> set[str]:
    keys: set[str] = set()
    for runs in folder.iter_shards("runs"):
        keys.update(_keys(runs))
    return keys


def _keys(runs: pd.DataFrame) -> pd.Series:
    return runs["config_id"].astype(str) + ":" + runs["seed"].astype(str) + ":" + \
        runs["epochs"].astype(str)


def write_tables(folder: ResultsDir, specs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rebuild runs.csv, summary.csv and curves.csv from the shards, in grid order.

    Only the runs of the current grid are written (shards may hold runs of an
    earlier grid in the same folder); each run once, in expansion order, so the
    files do not depend on which batch or worker produced a row.
    """
    runs = _in_grid_order(folder.read_runs(), specs)
    summary = analysis.summarize(runs)
    curve_rows = folder.read_part("curves")
    if not runs.empty and not curve_rows.empty:
        ids = set(runs["config_id"].astype(str))
        curve_rows = curve_rows[curve_rows["config_id"].isin(ids)]
        curve_rows = curve_rows.drop_duplicates(["config_id", "seed", "epoch"])
    curves = analysis.curves(curve_rows, runs)
    folder.write_csv("runs.csv", runs)
    folder.write_csv("summary.csv", summary)
    folder.write_csv("curves.csv", curves)
    return runs, summary


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
        return analysis.read_runs(runs_csv)
    return partial_runs(results)


def partial_runs(results: ResultsDir) -> pd.DataFrame:
    """The finished runs (from the shards) that belong to the folder's current grid."""
    from xorbench.grid import load_grid

    specs = expand(load_grid(results.path / "grid.toml"))
    return _in_grid_order(results.read_runs(), specs)


def _in_grid_order(runs: pd.DataFrame, specs) -> pd.DataFrame:
    """The rows of ``runs`` that are runs of ``specs``, each once, in spec order."""
    if runs.empty:
        return runs
    order = {s.run_key: i for i, s in enumerate(specs)}
    position = _keys(runs).map(order)
    runs = runs.assign(_order=position).dropna(subset=["_order"])
    runs = runs.drop_duplicates("_order").sort_values("_order", kind="stable")
    return runs.drop(columns="_order").reset_index(drop=True)
