"""Natural order: numbers inside labels compared as numbers, so ``2-2-1`` comes before
``2-10-1`` and ``0.5`` before ``10`` in every table, legend and facet."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from xorbench.schema import ADDED_COLUMNS, SETTING_COLUMNS

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
    last. A column added since the first version (``bug``) that ``frame`` lacks is
    skipped: a frame made without it holds one value of it. Returns a new frame with a
    fresh RangeIndex.
    """
    columns = [c for c in columns if c in frame.columns or c not in ADDED_COLUMNS]
    if not columns or frame.empty:
        return frame.reset_index(drop=True)
    # np.lexsort treats its last key as the primary one
    keys = [natural_ranks(frame[c], descending=c in descending) for c in reversed(columns)]
    return frame.iloc[np.lexsort(keys)].reset_index(drop=True)


def varying_axes(frame: pd.DataFrame) -> list[str]:
    """The axis columns of ``frame`` (budget included) with more than one distinct value."""
    return [c for c in SETTING_COLUMNS
            if c in frame.columns and frame[c].nunique(dropna=False) > 1]
