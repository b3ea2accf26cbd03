"""The tables of a results folder read back: ``runs.csv``, ``summary.csv``, ``curves.csv``.

Each with the schema's dtypes (:mod:`xorbench.schema`): axis labels stay text (a hex
config_id or a hidden width "2" never becomes a number), numbers are parsed exactly,
so a table written with ``to_csv(index=False)`` reads back equal. A table that cannot
be read as what it should be raises :class:`DamagedTableError`, one line naming it.
A table written before an axis column existed (``bug``) reads with the column at the
value it meant (:func:`with_added_columns`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import pandas as pd

from xorbench.errors import XorbenchError
from xorbench.schema import (
    ADDED_COLUMNS,
    CONFIG_COLUMNS,
    CONFIG_KEY_COLUMNS,
    CURVE_STAT_COLUMNS,
    RUN_DTYPES,
    SETTING_COLUMNS,
    SUMMARY_KEY_COLUMNS,
    SUMMARY_STAT_DTYPES,
    SUMMARY_TEXT_COLUMNS,
)

# pandas < 3.1 parses floats exactly only when asked; 3.1 always does and deprecates asking.
_PANDAS_VERSION = tuple(int(p) for p in re.findall(r"\d+", pd.__version__)[:2])
_EXACT_FLOATS = {"float_precision": "round_trip"} if _PANDAS_VERSION < (3, 1) else {}


class DamagedTableError(XorbenchError):
    """A table on disk that cannot be read as what it should be."""


def read_runs(path: str | PathLike[str]) -> pd.DataFrame:
    """Read ``runs.csv`` with the documented dtypes (:data:`xorbench.schema.RUN_DTYPES`).

    ``y_*`` columns are float64; other extra columns are inferred. Empty fields are
    missing values in numeric columns (NaN, <NA>) and empty strings in text
    columns (a diverged run's ``learned`` is ""). Floats are parsed exactly, so a
    frame written with ``to_csv(index=False)`` reads back equal.
    """
    frame = _read_typed(path, {"y_": "float64"}, "runs")
    _require_read(frame, ["config_id", *SETTING_COLUMNS, "seed", "solved", "epoch_solved"],
                  path, "runs")
    return frame


def read_summary(path: str | PathLike[str]) -> pd.DataFrame:
    """Read ``summary.csv`` with the dtypes :func:`summarize` gives (labels stay text).

    A summary written before a column existed reads with the value that column means
    for it (``ci_method`` wilson, ``stop`` fixed: every first-version sweep's).
    """
    frame = _read_typed(path, {}, "summary",
                        {**SUMMARY_STAT_DTYPES, "median_epoch_solved": "float64"})
    _require_read(frame, SUMMARY_KEY_COLUMNS, path, "summary")
    for column, old_value in SUMMARY_TEXT_COLUMNS.items():
        if column not in frame.columns:
            frame[column] = pd.Series(old_value, index=frame.index, dtype="string")
    return frame


def read_curves(path: str | PathLike[str]) -> pd.DataFrame:
    """Read ``curves.csv`` with the dtypes :func:`curves` gives (labels stay text)."""
    stats = {c: "float64" for c in CURVE_STAT_COLUMNS} | {"n_runs": "int64", "epoch": "int64"}
    frame = _read_typed(path, {}, "curves", stats)
    _require_read(frame, [*CONFIG_KEY_COLUMNS, "epoch"], path, "curves")
    return frame


def with_added_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every axis column added since the first version
    (:data:`xorbench.schema.ADDED_COLUMNS`) that it lacks, at the value a table without
    it means (``bug`` = ``none``: trained correctly), placed after the configuration
    column before it (``bug`` after ``dtype``). A frame that has them all is returned
    as it is; one holding the configuration columns gets them, others (a shard's curves)
    are left alone."""
    missing = [c for c in ADDED_COLUMNS if c not in frame.columns]
    if not missing or "config_id" not in frame.columns or "task" not in frame.columns:
        return frame
    frame = frame.copy()
    for column in missing:
        before = CONFIG_COLUMNS[CONFIG_COLUMNS.index(column) - 1]
        where = (frame.columns.get_loc(before) + 1 if before in frame.columns
                 else len(frame.columns))
        frame.insert(where, column, pd.array([ADDED_COLUMNS[column]] * len(frame),
                                             dtype="string"))
    return frame


def _read_typed(path: str | PathLike[str], prefixes: dict[str, str], what: str,
                extra: dict[str, str] | None = None) -> pd.DataFrame:
    """A CSV with the schema's dtypes: axis labels as text (a hex config_id or a
    hidden width "2" never becomes a number), numbers parsed exactly."""
    path = Path(path)
    if not path.is_file():
        raise XorbenchError(f"no {what} file at {path}")
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:120]
        raise DamagedTableError(f"{path}: damaged {what} table ({reason})") from None
    dtypes = {c: RUN_DTYPES[c] for c in header if c in RUN_DTYPES} | {
        c: t for c, t in (extra or {}).items() if c in header}
    for prefix, dtype in prefixes.items():
        dtypes |= {c: dtype for c in header if c.startswith(prefix) and c not in dtypes}
    text = {c for c, t in dtypes.items() if t == "string"}
    try:
        frame = pd.read_csv(
            path,
            dtype=dtypes,
            keep_default_na=False,
            na_values={c: [""] for c in header if c not in text},
            **_EXACT_FLOATS,
        )
    except (ValueError, TypeError, UnicodeDecodeError, pd.errors.ParserError) as e:
        # pandas' EmptyDataError and ParserError are ValueErrors too
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:120]
        raise DamagedTableError(f"{path}: damaged {what} table ({reason})") from None
    return with_added_columns(frame)


def _require_read(frame: pd.DataFrame, columns: Sequence[str], path: PathLike[str] | str,
                  what: str) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        shown = ", ".join(missing[:4]) + (", …" if len(missing) > 4 else "")
        raise DamagedTableError(f"{path}: damaged {what} table (no column {shown})")
