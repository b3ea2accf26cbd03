"""Text for people — one format for every number shown: percentages, differences in
percentage points, p-values, ratios, axis values, seeds, budgets, durations and
leaderboard rows, shared by the command line, the plots, the findings and the report
so that all say the same thing the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xorbench.config import SeedRule
from xorbench.config.choices import format_number
from xorbench.schema import LEADERBOARD_STAT_COLUMNS, STOPS


def percent(x: float, sep: str = " ", missing: str = "—") -> str:
    """``0.61`` → ``"61 %"`` (``sep=""``: ``"61%"``, as heatmap cells write a rate);
    missing → ``missing``."""
    return missing if pd.isna(x) else f"{x:.0%}".replace("%", f"{sep}%")


MINUS = "\u2212"  # a true minus sign: −0.1, not -0.1


def signed_text(x: float, digits: int = 1, missing: str = "—") -> str:
    """A difference with its sign: ``+6.5``, ``−0.1``, and ``0.0`` for what rounds to zero."""
    if pd.isna(x):
        return missing
    text = f"{x:+.{digits}f}"
    if float(text) == 0:
        return f"{0:.{digits}f}"
    return text.replace("-", MINUS)


def points_text(x: float) -> str:
    """A difference of rates given in percentage points: ``+6.5 pp``."""
    return f"{signed_text(x)} pp"


def p_text(p: float) -> str:
    """A p-value to two significant digits: ``0.0023``, ``0.096``, ``1``, ``3.1e-37``."""
    return "—" if pd.isna(p) else f"{min(p, 1.0):.2g}"


def ratio_text(x: float) -> str:
    """A ratio to three significant digits: ``0.128``, ``0.140``, ``1.50``, ``12.3``, ``250``."""
    return "—" if pd.isna(x) else f"{x:#.3g}".rstrip(".")


def decimal_text(x: float | None, digits: int = 3) -> str:
    """``0.2531`` → ``"0.253"``: an output or a loss at a fixed number of decimals."""
    return "nan" if x is None or pd.isna(x) else f"{x:.{digits}f}"


def seed_list_text(seeds: Sequence[int]) -> str:
    """``0..99 (100 seeds)`` for a range from 0, else the seeds listed."""
    if tuple(seeds) == tuple(range(len(seeds))):
        return f"0..{len(seeds) - 1} ({len(seeds)} seeds)"
    return ", ".join(str(s) for s in seeds)


def seeds_text(seeds: Sequence[int], rule: SeedRule | None = None) -> str:
    """A grid's seeds: :func:`seed_list_text`, or an adaptive rule in words —
    ``0..49, doubled while the half-width is above 0.03, up to 0..3199 (adaptive)``."""
    if rule is None:
        return seed_list_text(seeds)
    reasons = []
    if rule.half_width is not None:
        reasons.append(f"the interval's half-width is above {rule.half_width:g}")
    if rule.decide is not None:
        reasons.append(f"it contains {rule.decide:g}")
    return (f"0..{rule.first - 1}, doubled while {' and '.join(reasons)}, up to "
            f"0..{rule.max - 1} (adaptive)")


def seed_count_text(summary: pd.DataFrame) -> str:
    """``100 seeds``, or ``50–3200 seeds`` where settings have different counts."""
    counts = summary["n_runs"]
    if counts.empty:
        return "0 seeds"
    low, high = int(counts.min()), int(counts.max())
    return f"{high} seeds" if low == high else f"{low}–{high} seeds"


def rate_note(summary: pd.DataFrame) -> str:
    """What a leaderboard's rate and interval are, and with adaptive seeds why the
    settings have the seeds they have: ``rate: share of seeds solved, with its Wilson 95 %
    interval; seeds adaptive, 50–3200 per setting (precise 3, max 1)``."""
    methods = summary["ci_method"].unique() if "ci_method" in summary else ["wilson"]
    note = f"rate: share of seeds solved, with its {interval_text(methods)}"
    stops = summary.drop_duplicates("config_id")["stop"] if "stop" in summary else None
    if stops is None or (stops == "fixed").all():
        return note
    counts = stops.value_counts()
    said = ", ".join(f"{stop} {counts[stop]}" for stop in STOPS if stop in counts)
    return f"{note}; seeds adaptive, {seed_count_text(summary)} per setting ({said})"


def interval_text(methods: Sequence[str]) -> str:
    """``Wilson 95 % interval``, or for adaptive seeds with ``decide`` ``95 % interval
    (Wilson at 99.3 %: a Bonferroni bound over its 7 looks)``."""
    looks = sorted({int(m[len("wilson-bonferroni("):-1]) for m in methods
                    if m.startswith("wilson-bonferroni(")})
    if not looks:
        return "Wilson 95 % interval"
    levels = " or ".join(f"{100 - 5 / k:.1f} %" for k in looks)
    counts = " or ".join(str(k) for k in looks)
    return (f"95 % interval (Wilson at {levels}: a Bonferroni bound over the {counts} looks "
            "of adaptive seeds)")


def budget_text(frame: pd.DataFrame) -> str:
    """``5000 epochs``, or ``100–5000 epochs``: each setting's largest budget."""
    budgets = frame.groupby("config_id")["epochs"].max()
    low, high = int(budgets.min()), int(budgets.max())
    return f"{high} epochs" if low == high else f"{low}–{high} epochs"


def duration_text(seconds: float, rough: bool = False) -> str:
    """A measured duration (``3.2 s``, ``4 min 5 s``, ``1 h 2 min``), or with ``rough`` an
    estimate in one unit (``42 s``, ``12 min``, ``3.5 h``, ``12 days``)."""
    if rough:
        if seconds < 90:
            return f"{max(seconds, 1):.0f} s"
        if seconds < 5400:
            return f"{seconds / 60:.0f} min"
        if seconds < 72 * 3600:
            return f"{seconds / 3600:.1f} h"
        return f"{seconds / 86400:,.0f} days"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


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


def leaderboard_title(sort: str, descending: bool) -> str:
    """What a leaderboard ranked by ``sort`` shows, in words: ``Most reliable settings``,
    ``Fastest settings (median epoch solved)``, ``Settings with the most stuck runs``."""
    if sort == "rate":
        return "Most reliable settings" if descending else "Least reliable settings"
    if sort in ("median_epoch_solved", "p90_epoch_solved"):
        which = "median" if sort.startswith("median") else "90th percentile"
        return (f"{'Slowest' if descending else 'Fastest'} settings ({which} epoch of the "
                f"solved runs)")
    if sort.startswith("n_") and sort not in ("n_runs", "n_solved"):
        label = "solved" if sort == "n_none" else sort[2:]
        return f"Settings with the {'most' if descending else 'fewest'} {label} runs"
    return f"Settings by {sort}, {'largest' if descending else 'smallest'} first"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 configuration``, ``24 configurations``: a count and its noun."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table: the header, its rule, one line a row (``|`` in a cell escaped)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def marked_blocks(text: str, marker: str) -> dict[str, str]:
    """The blocks of a Markdown page between ``<!-- marker:name -->`` and
    ``<!-- /marker:name -->`` lines, by name, without their last newline: where the docs'
    scripts (``docs/*_question.py``) write the tables they compute from committed data."""
    found = re.findall(rf"<!-- {re.escape(marker)}:([\w-]+) -->\n(.*?)"
                       rf"<!-- /{re.escape(marker)}:\1 -->", text, re.S)
    return {name: body.removesuffix("\n") for name, body in found}


def replace_marked_blocks(text: str, marker: str, generated: Mapping[str, str]) -> str:
    """``text`` with the body of each block :func:`marked_blocks` finds replaced by
    ``generated[name]``."""
    for name in marked_blocks(text, marker):
        block = re.compile(rf"(<!-- {re.escape(marker)}:{name} -->\n)(.*?)"
                           rf"(<!-- /{re.escape(marker)}:{name} -->)", re.S)
        text = block.sub(lambda m, n=name: m[1] + generated[n] + "\n" + m[3], text)
    return text
