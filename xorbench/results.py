"""Reading a results folder: its runs in grid order, finished or partial, and its status.

Read-only and light: plots, reports and the summary command use it without
importing the runner or the engine. The sweep uses the same selection to write
runs.csv.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from xorbench import analysis, schema
from xorbench.config import RunSpec, config_from_labels
from xorbench.engine import frames
from xorbench.errors import ResultsError, XorbenchError
from xorbench.grid import Grid
from xorbench.store import ResultsDir

RunKey = tuple[str, int, int]  # (config_id, seed, epochs)
KEY_COLUMNS = ["config_id", "seed", "epochs"]


def spec_keys(specs: Sequence[RunSpec]) -> list[RunKey]:
    """Each spec's run key; the config_id (a hash) is computed once per configuration."""
    ids: dict[int, str] = {}
    keys = []
    for spec in specs:
        config_id = ids.get(id(spec.config))
        if config_id is None:
            config_id = ids[id(spec.config)] = frames.config_row(spec.config)["config_id"]
        keys.append((config_id, spec.seed, spec.epochs))
    return keys


def key_set(runs: pd.DataFrame) -> set[RunKey]:
    if runs.empty:
        return set()
    return set(zip(runs["config_id"].tolist(), runs["seed"].tolist(), runs["epochs"].tolist(),
                   strict=True))



def select_runs(frames: Iterable[pd.DataFrame], specs: Sequence[RunSpec],
                sweep: str | None = None, keys: Sequence[RunKey] | None = None) -> pd.DataFrame:
    """The rows of ``frames`` that are runs of ``specs``, each once, in spec order.

    Columns follow :func:`xorbench.schema.run_columns` (several tasks' ``y_``
    columns in pattern order), dtypes :data:`xorbench.schema.RUN_DTYPES`; ``sweep``
    (when given) replaces the sweep name of rows reused from an earlier grid.
    """
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_runs()
    runs = pd.concat(frames, ignore_index=True)
    wanted = pd.DataFrame(keys if keys is not None else spec_keys(specs), columns=KEY_COLUMNS)
    wanted["_order"] = np.arange(len(wanted))
    wanted = wanted.astype({"config_id": runs["config_id"].dtype, "seed": runs["seed"].dtype,
                            "epochs": runs["epochs"].dtype})
    runs = runs.merge(wanted, on=KEY_COLUMNS, how="inner", sort=False)
    runs = runs.sort_values("_order", kind="stable").drop_duplicates("_order")
    runs = runs.drop(columns="_order").reset_index(drop=True)
    if sweep is not None:
        runs["sweep"] = sweep
    runs = runs[_column_order(runs.columns)]
    return runs.astype({k: v for k, v in schema.RUN_DTYPES.items() if k in runs.columns})


def _column_order(columns: Iterable[str]) -> list[str]:
    """runs.csv order: the fixed columns, y_<pattern> by pattern, then the extras."""
    columns = list(columns)
    fixed = [c for c in schema.run_columns([]) if c not in schema.EXTRA_COLUMNS]
    outputs = sorted((c for c in columns if c.startswith("y_")), key=lambda c: (len(c), c))
    extras = [c for c in schema.EXTRA_COLUMNS if c in columns]
    rest = sorted(set(columns) - {*fixed, *outputs, *extras})
    return [c for c in fixed if c in columns] + outputs + extras + rest


def _empty_runs() -> pd.DataFrame:
    columns = schema.run_columns([])
    return pd.DataFrame({c: pd.Series([], dtype=schema.RUN_DTYPES.get(c, "float64"))
                         for c in columns})


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
        runs = read_table(results, analysis.read_runs, "runs.csv")
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
    except analysis.DamagedTableError as e:
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
    return grid_runs(results.read_part("runs"), grid)


def grid_runs(runs: pd.DataFrame, grid: Grid) -> pd.DataFrame:
    """The rows of ``runs`` that are runs of ``grid``, each once, in its expansion order —
    found without expanding the grid, so a partial sweep of a huge grid reads in the
    time its finished runs take. Columns and dtypes as :func:`select_runs` gives."""
    if runs.empty:
        return _empty_runs()
    seeds = {seed: i for i, seed in enumerate(grid.seeds)}
    firsts = runs.drop_duplicates("config_id")
    keys: dict[tuple[str, int], tuple[int, int, int]] = {}  # (config_id, budget) → order
    for row in firsts.to_dict(orient="records"):
        try:
            config = config_from_labels(row)
        except XorbenchError:  # labels this xorbench no longer knows: not a run of the grid
            continue
        for budget, order in (grid.run_order(config) or {}).items():
            keys[(row["config_id"], budget)] = order
    pairs = list(zip(runs["config_id"].tolist(), runs["epochs"].tolist(), strict=True))
    order = [keys.get(pair) for pair in pairs]
    seed_index = [seeds.get(seed) for seed in runs["seed"].tolist()]
    rank = pd.DataFrame({
        "sub": [o[0] if o else -1 for o in order],
        "config": [o[1] if o else -1 for o in order],
        "seed": [-1 if s is None else s for s in seed_index],
        "budget": [o[2] if o else -1 for o in order],
    })
    inside = ((rank["sub"] >= 0) & (rank["seed"] >= 0)).to_numpy()
    ordered = rank[inside].sort_values(["sub", "config", "seed", "budget"], kind="stable")
    runs = runs.iloc[ordered.index.to_numpy()].drop_duplicates(KEY_COLUMNS)
    runs = runs.reset_index(drop=True)
    runs["sweep"] = grid.name
    runs = runs[_column_order(runs.columns)]
    return runs.astype({k: v for k, v in schema.RUN_DTYPES.items() if k in runs.columns})


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
