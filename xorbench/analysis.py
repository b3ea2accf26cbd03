"""From the tidy runs table to the numbers that answer the question.

* :func:`summarize` gives one row per configuration × epoch budget: the
  convergence rate with its Wilson interval, how fast the solved runs got there
  and why the others failed (``summary.csv``);
* :func:`curves` gives per configuration and log-spaced epoch the fraction solved
  so far and the loss quartiles (``curves.csv``);
* :func:`leaderboard` picks the settings with the highest rate.

Every output is sorted by its axis columns in natural order (numbers numeric,
``2-2-1`` before ``2-10-1``), never by input order, so equal inputs write equal
bytes whatever order the shards were read in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from xorbench.errors import XorbenchError
from xorbench.schema import (
    CONFIG_COLUMNS,
    CONFIG_KEY_COLUMNS,
    CURVE_COLUMNS,
    CURVE_INPUT_COLUMNS,
    CURVE_STAT_DTYPES,
    FAILURE_COUNT_COLUMNS,
    FAILURE_LABELS,
    LEADERBOARD_STAT_COLUMNS,
    SETTING_COLUMNS,
    SUMMARY_COLUMNS,
    SUMMARY_KEY_COLUMNS,
    SUMMARY_STAT_DTYPES,
)

# --- Natural order ---------------------------------------------------------------

# A number inside a label; its sign counts only where a number may start
# ("uniform(-1,1)" has −1, but "2-2-1" is three positive widths).
_NUMBER_TOKEN = re.compile(r"(?:(?<![\w.)\]])[+-])?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")


def natural_key(value: object) -> tuple[tuple[tuple[int, float | str], ...], str]:
    """A sort key that compares the numbers inside labels as numbers.

    ``sorted(labels, key=natural_key)`` puts ``2-2-1`` before ``2-10-1``,
    ``uniform(-1,1)`` before ``uniform(0,1)`` and ``0.5`` before ``10``. A label
    becomes its text and number parts, ``(1, text)`` and ``(0, number)``, so a number
    sorts before text at the same position; the full text breaks remaining ties.
    """
    if isinstance(value, bool | np.bool_):
        return ((0, float(value)),), str(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return ((0, float(value)),), str(value)
    text = str(value)
    parts: list[tuple[int, float | str]] = []
    position = 0
    for match in _NUMBER_TOKEN.finditer(text):
        if match.start() > position:
            parts.append((1, text[position : match.start()]))
        parts.append((0, float(match.group())))
        position = match.end()
    if position < len(text):
        parts.append((1, text[position:]))
    return tuple(parts), text


def natural_ranks(values: pd.Series | Sequence[object], descending: bool = False) -> np.ndarray:
    """Dense ranks (int64) of ``values`` in :func:`natural_key` order; missing values last."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype):
        order = np.argsort(np.asarray(uniques, np.float64), kind="stable")
        order = order[::-1] if descending else order
    else:
        order = sorted(range(len(uniques)), key=lambda i: natural_key(uniques[i]),
                       reverse=descending)
    rank_of = np.empty(len(uniques) + 1, np.int64)
    rank_of[order] = np.arange(len(uniques))
    rank_of[-1] = len(uniques)  # code −1 (missing) → after every value
    return rank_of[codes]


def natural_sort(
    frame: pd.DataFrame, columns: Sequence[str], descending: Sequence[str] = ()
) -> pd.DataFrame:
    """``frame`` sorted by ``columns`` (first most significant) in natural order.

    Columns named in ``descending`` sort largest first; missing values always come
    last. Returns a new frame with a fresh RangeIndex.
    """
    if not columns or frame.empty:
        return frame.reset_index(drop=True)
    # np.lexsort treats its last key as the primary one
    keys = [natural_ranks(frame[c], descending=c in descending) for c in reversed(columns)]
    return frame.iloc[np.lexsort(keys)].reset_index(drop=True)


def varying_axes(frame: pd.DataFrame) -> list[str]:
    """The axis columns of ``frame`` (budget included) with more than one distinct value."""
    return [c for c in SETTING_COLUMNS
            if c in frame.columns and frame[c].nunique(dropna=False) > 1]


# --- Statistics ------------------------------------------------------------------


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray] | tuple[float, float]:
    """Wilson score interval for a binomial proportion, elementwise.

    ``successes`` and ``n`` are counts (scalars, arrays or Series that broadcast).
    With p = k/n and z the two-sided normal quantile of ``confidence``:

        center = (p + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²)

    Returns (low, high) as float64 arrays (floats for scalar input), clipped to
    [0, 1]; NaN where n = 0.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("successes must be between 0 and n")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1 + z * z / n
        center = (p + z * z / (2 * n)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        # exact ends where the algebra cancels: k = 0 → low 0, k = n → high 1
        low = np.where(k == 0, 0.0, np.clip(center - half, 0.0, 1.0))
        high = np.where(k == n, 1.0, np.clip(center + half, 0.0, 1.0))
        low, high = np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
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
      that order (``n_none`` = solved runs); unknown labels are not counted.

    Rows are sorted by the axes in natural order, then the budget.
    """
    _require(runs, [*SUMMARY_KEY_COLUMNS, "solved", "epoch_solved", "final_loss", "failure"],
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
    table["ci_low"], table["ci_high"] = wilson_interval(table["n_solved"], table["n_runs"])
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
    _require(curve_rows, CURVE_INPUT_COLUMNS, "curve rows")
    _require(runs, [*SUMMARY_KEY_COLUMNS, "seed", "epoch_solved"], "runs")
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


def group_median_quartiles(group: np.ndarray, values: np.ndarray,
                           n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, 25th and 75th percentile of each group's non-NaN ``values``.

    Exactly what pandas' ``groupby(...).median()`` and ``.quantile(q)`` (linear)
    give — the median of an even count is (a + b) / 2, a quantile at position
    h = (n − 1) q is x⌊h⌋ when h is whole, else x⌊h⌋ + (x⌊h⌋₊₁ − x⌊h⌋)(h − ⌊h⌋) —
    faster on millions of rows in groups of a few dozen or more (the curves of a
    big sweep): the rows are ordered by group (a radix sort) and each group's
    values sorted in place. NaN where a group has no value.
    """
    order = np.argsort(group.astype(np.min_scalar_type(max(n_groups - 1, 0))), kind="stable")
    ordered = values[order]
    size = np.bincount(group, minlength=n_groups)
    start = np.zeros(n_groups, np.int64)
    np.cumsum(size[:-1], out=start[1:])
    for g in np.flatnonzero(size > 1).tolist():
        ordered[start[g] : start[g] + size[g]].sort()  # NaN sorts last
    n = np.bincount(group, weights=~np.isnan(values), minlength=n_groups).astype(np.int64)

    def at(i: np.ndarray) -> np.ndarray:  # each group's i-th smallest value
        return ordered[np.clip(start + i, 0, max(len(ordered) - 1, 0))] if len(ordered) \
            else np.full(n_groups, np.nan)

    half = n // 2
    upper, lower = at(half), at(np.maximum(half - 1, 0))
    quartiles = []
    with np.errstate(invalid="ignore"):  # ∞ − ∞ where both neighbours are infinite
        median = np.where(n % 2 == 1, upper, (lower + upper) / 2)
        for q in (0.25, 0.75):
            h = (n - 1) * q
            low = np.floor(h).astype(np.int64)
            a, b = at(np.maximum(low, 0)), at(np.clip(low + 1, 0, np.maximum(n - 1, 0)))
            quartiles.append(np.where(h == low, a, a + (b - a) * (h - low)))
    empty = n == 0
    return tuple(np.where(empty, np.nan, x) for x in (median, *quartiles))


def leaderboard(
    summary: pd.DataFrame, top: int | None = 10, sort: str = "rate", where: str | None = None,
    largest_budget: bool = False,
) -> pd.DataFrame:
    """The ``top`` settings of a summary by ``sort`` (default: convergence rate).

    ``where`` is a pandas query (e.g. ``'activation == "tanh" and epochs == 1000'``)
    applied first. Rows are sorted by ``sort`` descending, then ``ci_low``
    descending, ``median_epoch_solved`` ascending (NaN last), then the axes.
    ``top=None`` keeps every row. ``largest_budget`` ranks each configuration at
    its largest epoch budget only, so one setting does not fill several rows.

    Columns: the axes that vary in ``summary`` (:func:`varying_axes`; ``hidden``
    not when ``arch``, which contains it, is shown), ``epochs``,
    :data:`LEADERBOARD_STAT_COLUMNS` — ``top_failure`` being the most common
    failure label among the unsolved runs ("" when every run solved; ties go to
    the earlier label of FAILURE_LABELS) — and ``sort`` when it is none of these.

    Raises XorbenchError for an unknown ``sort`` column, an invalid ``where``
    expression or a ``top`` below 1.
    """
    _require(summary, [*SETTING_COLUMNS, *LEADERBOARD_STAT_COLUMNS[:-1],
                       *FAILURE_COUNT_COLUMNS], "summary")
    available = ", ".join(summary.columns)
    if sort not in summary.columns:
        raise XorbenchError(f"cannot sort the leaderboard by {sort!r}: no such column; "
                            f"available: {available}")
    if top is not None and top < 1:
        raise XorbenchError(f"the leaderboard needs top >= 1, got {top}")
    axes = [c for c in varying_axes(summary) if c != "epochs"] + ["epochs"]
    if "arch" in axes and "hidden" in axes:
        axes.remove("hidden")  # arch = inputs-hidden-1 already says it
    if largest_budget and not summary.empty:
        largest = summary.groupby("config_id", sort=False)["epochs"].transform("max")
        summary = summary[summary["epochs"] == largest]
    if where:
        summary = _query(summary, where, available)
    table = summary.copy()
    table["top_failure"] = _top_failure(table)
    keys = [sort, *(c for c in ("ci_low", "median_epoch_solved") if c != sort),
            *(c for c in SETTING_COLUMNS if c != sort)]
    table = natural_sort(table, keys, descending=(sort, "ci_low"))
    if top is not None:
        table = table.head(top)
    columns = [*axes, *LEADERBOARD_STAT_COLUMNS]
    if sort not in columns:
        columns.append(sort)
    return table[columns].reset_index(drop=True)


# --- Helpers ---------------------------------------------------------------------


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
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


def _query(summary: pd.DataFrame, where: str, available: str) -> pd.DataFrame:
    # empty namespaces: only column names resolve, never local or global variables
    try:
        mask = summary.eval(where, local_dict={}, global_dict={})
    except Exception as e:  # any failure to evaluate the user's expression
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise XorbenchError(f"invalid filter {where!r}: {reason}; columns: {available}") from e
    if not (isinstance(mask, pd.Series) and pd.api.types.is_bool_dtype(mask.dtype)):
        raise XorbenchError(f"invalid filter {where!r}: not a true/false condition on each "
                            f"row; columns: {available}")
    return summary[mask.fillna(False).to_numpy(bool)]


def _top_failure(summary: pd.DataFrame) -> np.ndarray:
    """The most common failure label among unsolved runs per row; "" if all solved."""
    labels = [label for label in FAILURE_LABELS if label != "none"]
    counts = summary[[f"n_{label}" for label in labels]].to_numpy(np.int64)
    if counts.shape[0] == 0:
        return np.array([], object)
    best = np.asarray(labels, object)[counts.argmax(axis=1)]  # argmax: first of ties
    return np.where(counts.max(axis=1) > 0, best, "").astype(object)
