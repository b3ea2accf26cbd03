"""A sweep's tables, rebuilt from the shards in grid order: runs.csv, summary.csv, curves.csv.

Only the runs of the current grid are written (shards may hold runs of an earlier
grid in the same folder): each run once, in expansion order, so the files do not
depend on which batch or worker produced a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from xorbench import analysis, schema
from xorbench.config import RunSpec, SeedRule
from xorbench.engine import textloops
from xorbench.results import ResultsDir, RunKey, select_runs
from xorbench.results.csvtext import csv_bytes_in_background


def write_tables(folder: ResultsDir, specs: Sequence[RunSpec], sweep: str | None = None,
                 runs: Iterable[pd.DataFrame] | None = None,
                 curves: Iterable[pd.DataFrame] | None = None,
                 keys: Sequence[RunKey] | None = None,
                 seed_rule: SeedRule | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rebuild runs.csv, summary.csv and curves.csv, in grid order.

    ``runs`` and ``curves`` are shard frames already in memory; by default the
    folder's shards are read. Only the runs of ``specs`` are written (shards may
    hold runs of an earlier grid in the same folder): each run once, in expansion
    order, so the files do not depend on which batch or worker produced a row.
    ``keys`` are the specs' run keys, if already known. A large runs.csv is formatted
    in a thread meanwhile. ``seed_rule``: the grid's adaptive seeds, which name each
    row's interval and stop in summary.csv.
    """
    if runs is None or curves is None:
        stored = folder.read_shards(("runs", "curves"))
        runs, curves = [stored["runs"]], [stored["curves"]]
    table = select_runs(runs, specs, sweep, keys)
    with csv_bytes_in_background(table, textloops) as runs_csv:
        summary = analysis.summarize(table, seed_rule)
        curve_table = analysis.curves(_select_curves(curves, table), table)
        folder.write_bytes("runs.csv", runs_csv())
    folder.write_csv("summary.csv", summary)
    folder.write_csv("curves.csv", curve_table)
    return table, summary


def _select_curves(frames: Iterable[pd.DataFrame], runs: pd.DataFrame) -> pd.DataFrame:
    """Curve rows of the runs' configurations, up to each one's largest budget.

    A configuration trained further under an earlier grid keeps those longer
    curves in its shards; they are cut where this grid's training would stop.
    """
    frames = [f for f in frames if len(f)]
    if not frames or runs.empty:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in
                             zip(schema.CURVE_INPUT_COLUMNS,
                                 ["string", "int64", "int64", "float64"], strict=True)})
    rows = pd.concat(frames, ignore_index=True)
    largest = runs.groupby("config_id", sort=False)["epochs"].max()
    if rows["epoch"].max() <= largest.min():
        return rows  # the usual case: nothing was trained further than asked now
    limit = rows["config_id"].map(largest)
    return rows[(rows["epoch"] <= limit).to_numpy(dtype=bool, na_value=False)]
