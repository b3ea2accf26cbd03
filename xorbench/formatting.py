"""Text for people: percentages, seed lists and leaderboard rows, shared by the
command line and the report so that both say the same thing the same way."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xorbench.config.choices import format_number
from xorbench.schema import LEADERBOARD_STAT_COLUMNS


def percent(x: float, sep: str = " ") -> str:
    """``0.61`` → ``"61 %"`` (``sep=""``: ``"61%"``); missing → ``"—"``."""
    return "—" if pd.isna(x) else f"{x:.0%}".replace("%", f"{sep}%")


def seeds_text(seeds: Sequence[int]) -> str:
    """``0..99 (100 seeds)`` for a range from 0, else the seeds listed."""
    if tuple(seeds) == tuple(range(len(seeds))):
        return f"0..{len(seeds) - 1} ({len(seeds)} seeds)"
    return ", ".join(str(s) for s in seeds)


def value_text(axis: str, value: object) -> str:
    """An axis value as its label: numbers in their shortest form, missing as ``—``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, float | np.floating) and not isinstance(value, bool):
        return format_number(float(value))
    return str(value)


def leaderboard_rows(board: pd.DataFrame, sep: str = " ") -> tuple[list[str], list[list[str]]]:
    """Header and text rows of an :func:`xorbench.analysis.leaderboard` table.

    The setting's columns first (as the board has them, a ranking column that is
    not a statistic last), then rate, its Wilson interval, solved/runs, the median
    epoch solved and the most common failure.
    """
    stats = set(LEADERBOARD_STAT_COLUMNS)
    columns = list(board.columns)
    first_stat = min(columns.index(c) for c in stats if c in columns)
    axes = columns[:first_stat]
    ranking = [c for c in columns[first_stat:] if c not in stats]
    header = [*axes, "rate", f"95{sep}% CI", "solved", "median epoch", "top failure", *ranking]
    rows = []
    for row in board.to_dict(orient="records"):
        cells = [value_text(a, row[a]) for a in axes]
        cells += [percent(row["rate"], sep),
                  f"{percent(row['ci_low'], sep)}–{percent(row['ci_high'], sep)}",
                  f"{row['n_solved']}/{row['n_runs']}",
                  value_text("", row["median_epoch_solved"]), row["top_failure"] or "—"]
        cells += [value_text(c, row[c]) for c in ranking]
        rows.append(cells)
    return header, rows
