"""The leaderboard: a summary's best settings by a column, filtered by a pandas query."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xorbench.analysis.order import natural_sort, varying_axes
from xorbench.analysis.summary import require_columns
from xorbench.errors import XorbenchError
from xorbench.schema import (
    FAILURE_COUNT_COLUMNS,
    FAILURE_LABELS,
    LEADERBOARD_STAT_COLUMNS,
    RANKED_DESCENDING,
    SETTING_COLUMNS,
    SORTABLE,
)


def natural_descending(sort: str) -> bool:
    """Whether ``sort`` ranks largest first when no direction is asked for."""
    return sort in RANKED_DESCENDING


def leaderboard(
    summary: pd.DataFrame, top: int | None = 10, sort: str = "rate", where: str | None = None,
    largest_budget: bool = False, descending: bool | None = None,
) -> pd.DataFrame:
    """The ``top`` settings of a summary by ``sort`` (default: convergence rate).

    ``where`` is a pandas query (e.g. ``'activation == "tanh" and epochs == 1000'``)
    applied first. Rows are sorted by ``sort`` in its natural direction (rates and
    failure counts largest first, epochs and losses smallest first:
    :func:`natural_descending`; ``descending`` overrides it), then ``ci_low``
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
    require_columns(summary, [*SETTING_COLUMNS, *LEADERBOARD_STAT_COLUMNS[:-1],
                       *FAILURE_COUNT_COLUMNS], "summary")
    available = ", ".join(summary.columns)
    if sort not in summary.columns or sort == "config_id":
        raise XorbenchError(f"cannot sort the leaderboard by {sort!r}: no such column; "
                            f"allowed: {', '.join(SORTABLE)}")
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
    down = natural_descending(sort) if descending is None else descending
    table = natural_sort(table, keys, descending=(sort, "ci_low") if down else ("ci_low",))
    if top is not None:
        table = table.head(top)
    columns = [*axes, *LEADERBOARD_STAT_COLUMNS]
    if sort not in columns:
        columns.append(sort)
    return table[columns].reset_index(drop=True)


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
