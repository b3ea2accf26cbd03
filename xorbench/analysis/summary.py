"""From the tidy runs table to ``summary.csv`` and ``curves.csv``.

* :func:`summarize` gives one row per configuration × epoch budget: the
  convergence rate with its Wilson interval, how fast the solved runs got there
  and why the others failed;
* :func:`curves` gives per configuration and log-spaced epoch the fraction solved
  so far and the loss quartiles.

Every output is sorted by its axis columns in natural order (numbers numeric,
``2-2-1`` before ``2-10-1``), never by input order, so equal inputs write equal
bytes whatever order the shards were read in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xorbench.analysis.adaptive import seed_stops
from xorbench.analysis.order import natural_sort
from xorbench.analysis.stats import group_median_quartiles, wilson_interval
from xorbench.config import SeedRule
from xorbench.errors import XorbenchError
from xorbench.schema import (
    CONFIG_COLUMNS,
    CONFIG_KEY_COLUMNS,
    CURVE_COLUMNS,
    CURVE_INPUT_COLUMNS,
    CURVE_STAT_DTYPES,
    FAILURE_COUNT_COLUMNS,
    FAILURE_LABELS,
    SUMMARY_COLUMNS,
    SUMMARY_KEY_COLUMNS,
    SUMMARY_STAT_DTYPES,
)


def summarize(runs: pd.DataFrame, seed_rule: SeedRule | None = None) -> pd.DataFrame:
    """One row per configuration × epoch budget (``summary.csv``).

    ``runs`` is a runs table (:func:`xorbench.engine.frames.runs_frame` or
    :func:`read_runs`). Columns: :data:`SUMMARY_KEY_COLUMNS` (config_id, the axes,
    epochs), then

    * ``n_runs``, ``n_solved``, ``rate`` = n_solved / n_runs, and its Wilson 95 %
      interval ``ci_low``, ``ci_high``;
    * ``median_epoch_solved``, ``p90_epoch_solved``: over the runs solved at the
      end of the budget (the 90th percentile interpolates linearly, NumPy's
      default); NaN when none is;
    * ``median_final_loss``: over the runs with a finite final loss — diverged runs
      (NaN or infinite loss) are left out, ``n_diverged`` counts them; NaN when
      every run diverged;
    * ``n_<label>`` for every label of :data:`xorbench.schema.FAILURE_LABELS`, in
      that order (``n_none`` = solved runs); unknown labels are not counted;
    * ``ci_method``: ``wilson``, or with adaptive seeds (``seed_rule``, the grid's) the
      interval the rule looks at (:attr:`SeedRule.method`); ``stop``: ``fixed`` seeds,
      or why the rule stopped the configuration (:data:`xorbench.schema.STOPS`).

    Rows are sorted by the axes in natural order, then the budget.
    """
    require_columns(runs, [*SUMMARY_KEY_COLUMNS, "solved", "epoch_solved", "final_loss", "failure"],
             "runs")
    if runs.empty:
        return _empty(runs, SUMMARY_KEY_COLUMNS, SUMMARY_STAT_DTYPES)
    solved = runs["solved"].to_numpy(dtype=bool)
    epoch_solved = _floats(runs["epoch_solved"])
    failure = pd.Categorical(runs["failure"], categories=FAILURE_LABELS).codes
    work = pd.DataFrame({
        "config_id": runs["config_id"].to_numpy(),
        "epochs": runs["epochs"].to_numpy(),
        "n_runs": 1,
        "n_solved": solved.astype(np.int64),
        "epoch_solved": np.where(solved, epoch_solved, np.nan),
        "final_loss": _finite_or_nan(runs["final_loss"]),
    })
    for code, column in enumerate(FAILURE_COUNT_COLUMNS):
        work[column] = (failure == code).astype(np.int64)
    groups = work.groupby(["config_id", "epochs"], sort=False)
    counts = groups[["n_runs", "n_solved", *FAILURE_COUNT_COLUMNS]].sum()
    stats = pd.DataFrame({
        "median_epoch_solved": groups["epoch_solved"].median(),
        "p90_epoch_solved": groups["epoch_solved"].quantile(0.9, interpolation="linear"),
        "median_final_loss": groups["final_loss"].median(),
    })
    table = counts.join(stats).reset_index()
    table["rate"] = table["n_solved"] / table["n_runs"]
    confidence = 0.95 if seed_rule is None else seed_rule.confidence
    table["ci_low"], table["ci_high"] = wilson_interval(table["n_solved"], table["n_runs"],
                                                        confidence)
    table["ci_method"] = "wilson" if seed_rule is None else seed_rule.method
    stops = seed_stops(seed_rule, runs).set_index("config_id")["stop"]
    table["stop"] = table["config_id"].map(stops)
    table = _attach_axes(table, runs)
    table = table[SUMMARY_COLUMNS].astype(SUMMARY_STAT_DTYPES)
    return natural_sort(table, [*CONFIG_COLUMNS, "epochs", "config_id"])


def curves(curve_rows: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Learning curves per configuration at the log-spaced epochs (``curves.csv``).

    ``curve_rows`` is long form (config_id, seed, epoch, loss), as
    :func:`xorbench.engine.frames.curves_frame` gives; ``runs`` the runs table. Each
    (config_id, seed) is matched with its run at the largest budget, whose
    ``epoch_solved`` covers every curve epoch; curve rows without a run are
    dropped, repeated (config_id, seed, epoch) rows counted once.

    Columns: :data:`CONFIG_KEY_COLUMNS`, ``epoch``, ``n_runs`` (seeds with a curve row at
    that epoch, diverged ones included), ``frac_solved`` (fraction of them whose
    ``epoch_solved`` ≤ epoch),
    ``loss_median``, ``loss_q25``, ``loss_q75`` (over the finite losses: diverged
    runs are left out; NaN if none is finite). Sorted by axes, config_id, epoch.
    """
    require_columns(curve_rows, CURVE_INPUT_COLUMNS, "curve rows")
    require_columns(runs, [*SUMMARY_KEY_COLUMNS, "seed", "epoch_solved"], "runs")
    stat_dtypes = CURVE_STAT_DTYPES
    if curve_rows.empty or runs.empty:
        return _empty(runs, CONFIG_KEY_COLUMNS, stat_dtypes)
    # each seed's run with the largest budget
    last = runs[["config_id", "seed", "epochs", "epoch_solved"]].sort_values(
        "epochs", kind="stable").drop_duplicates(["config_id", "seed"], keep="last")
    # integer keys instead of text: a million-run sweep has ~13 million curve rows
    configs = pd.Index(pd.unique(last["config_id"].to_numpy(object)))
    seed_span = int(max(last["seed"].max(), curve_rows["seed"].max())) + 1
    run_key = configs.get_indexer(last["config_id"].to_numpy(object)) * seed_span + \
        last["seed"].to_numpy(np.int64)
    # factorize first: comparing ten million strings one by one is the slow part
    row_codes, row_ids = pd.factorize(curve_rows["config_id"])
    config = np.append(configs.get_indexer(np.asarray(row_ids, object)), -1)[row_codes]
    run = _positions(run_key, config * seed_span + curve_rows["seed"].to_numpy(np.int64))
    run[config < 0] = -1  # each curve row's run in `last`, −1 if it has none
    epoch_index, epoch_values = pd.factorize(curve_rows["epoch"].to_numpy(np.int64))
    n_epochs = len(epoch_values)
    kept = _first_of_each(run, epoch_index, n_epochs)  # a repeated row counts once
    run, config, epoch_index = run[kept], config[kept], epoch_index[kept]
    loss = _finite_or_nan(curve_rows["loss"])[kept]
    # NaN (never solved) compares False
    solved_by = _floats(last["epoch_solved"])[run] <= epoch_values[epoch_index]

    group = config * n_epochs + epoch_index  # (configuration, epoch)
    n_groups = len(configs) * n_epochs
    n_runs = np.bincount(group, minlength=n_groups)
    n_solved = np.bincount(group, weights=solved_by, minlength=n_groups)
    median, q25, q75 = group_median_quartiles(group, loss, n_groups)
    present = np.flatnonzero(n_runs)
    table = pd.DataFrame({
        "config_id": configs.to_numpy(object)[present // n_epochs],
        "epoch": epoch_values[present % n_epochs],
        "n_runs": n_runs[present],
        "frac_solved": n_solved[present] / n_runs[present],
        "loss_median": median[present],
        "loss_q25": q25[present],
        "loss_q75": q75[present],
    })
    table = _attach_axes(table, runs)
    table = table[CURVE_COLUMNS].astype(stat_dtypes)
    return natural_sort(table, [*CONFIG_COLUMNS, "config_id", "epoch"])


def _positions(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each of ``wanted``, its position in the distinct ``keys``, −1 if absent."""
    if len(keys) and keys.min() >= 0 and keys.max() < 4 * len(keys) + 1024:
        # dense keys (configurations × seeds 0..n): a lookup table of at most ~4 entries
        # per key instead of hashing ten million values
        table = np.full(int(keys.max()) + 1, -1, np.int64)
        table[keys] = np.arange(len(keys))
        inside = (wanted >= 0) & (wanted < len(table))
        return np.where(inside, table[np.where(inside, wanted, 0)], -1)
    return pd.Index(keys).get_indexer(wanted)


def _first_of_each(run: np.ndarray, epoch_index: np.ndarray, n_epochs: int) -> np.ndarray:
    """Indices of the rows with a run, each (run, epoch) pair's first row only."""
    has_run = np.flatnonzero(run >= 0)
    cell = run[has_run] * n_epochs + epoch_index[has_run]
    seen = np.zeros(int(cell.max(initial=-1)) + 1, bool)
    seen[cell] = True
    if np.count_nonzero(seen) == len(cell):
        return has_run  # the usual case: no shard repeats a run
    _, first = np.unique(cell, return_index=True)
    return has_run[np.sort(first)]



def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise XorbenchError(f"{what} lacks column(s) {', '.join(missing)}; "
                            f"it has: {', '.join(map(str, frame.columns))}")


def _floats(values: pd.Series) -> np.ndarray:
    """A numeric column (nullable or not) as float64 with NaN for missing."""
    return pd.to_numeric(values).astype("Float64").to_numpy(np.float64, na_value=np.nan)


def _finite_or_nan(values: pd.Series) -> np.ndarray:
    x = _floats(values)
    return np.where(np.isfinite(x), x, np.nan)


def _attach_axes(table: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Add the axis columns of each config_id (they are a function of it) from ``runs``."""
    axes = runs[CONFIG_KEY_COLUMNS].drop_duplicates("config_id")
    table = table.astype({"config_id": object})
    merged = table.merge(axes.astype({"config_id": object}), on="config_id", how="left",
                         validate="many_to_one")
    return merged.astype({"config_id": runs["config_id"].dtype})


def _empty(runs: pd.DataFrame, key_columns: Sequence[str], stat_dtypes: dict) -> pd.DataFrame:
    """An empty table with the key columns' dtypes from ``runs`` and the given stats."""
    columns = {c: pd.Series([], dtype=runs[c].dtype) for c in key_columns}
    columns |= {c: pd.Series([], dtype=t) for c, t in stat_dtypes.items()}
    return pd.DataFrame(columns)


