"""Paired comparisons in words that never claim more than the numbers show.

:func:`verdict` says one row of :func:`xorbench.analysis.compare.compare` as a sentence;
:func:`verdict_lines` says a whole table, each sentence led by the setting it holds for;
:func:`pairing_note` says whether the pairs started from the same weights;
:func:`comparison_rows` gives a table's cells as text. The command line prints them and
the report can call them. The rules:

* the interval for the difference contains 0 → "no detectable difference", whatever
  the point estimate;
* it excludes 0 but Holm's adjusted p is ≥ 0.05 → "not significant after adjusting for
  N comparisons" (with one comparison: "not significant by the exact McNemar test");
* otherwise the numbers alone: the difference, its interval, the seeds each side alone
  solved and McNemar's p.

The speed clause follows its own interval the same way (a ratio whose interval holds 1
is "no detectable difference in epochs").
"""

from __future__ import annotations

import pandas as pd

from xorbench.analysis.text import p_text, points_text, ratio_text, signed_text, value_text

ALPHA = 0.05  # the level the adjusted p is read at


def verdict(row: pd.Series | dict, n_comparisons: int = 1) -> str:
    """One comparison in a sentence, e.g. ``momentum(0.9) vs sgd: +6.5 pp (95 % CI +2.8 to
    +11.2), 15 seeds solved only with momentum(0.9), 2 only with sgd (McNemar p =
    0.0023); among the 147 seeds both solved, momentum(0.9) needs 0.128× the epochs
    (0.127–0.129×)``. ``n_comparisons`` is the size of the Holm family (the rows of
    the table the row came from)."""
    a, b = row["a"], row["b"]
    head = f"{b} vs {a}"
    if not row["n_pairs"]:
        return f"{head}: no seed ran on both sides, nothing to compare"
    diff = (f"{points_text(row['diff'])} (95 % CI {signed_text(row['diff_low'])} to "
            f"{signed_text(row['diff_high'])})")
    counts = _counts(row)
    if row["diff_low"] <= 0 <= row["diff_high"]:
        text = f"{head}: no detectable difference, {diff}; {counts}"
    elif not row["p_adjusted"] < ALPHA:
        family = (f"after adjusting for {n_comparisons} comparisons (Holm p = "
                  f"{p_text(row['p_adjusted'])})" if n_comparisons > 1
                  else "by the exact McNemar test")
        text = f"{head}: not significant {family}, {diff}; {counts}"
    else:
        text = f"{head}: {diff}, {counts}"
    return f"{text}; {_speed(row)}"


def _counts(row) -> str:
    """``15 seeds solved only with b, 2 only with a (McNemar p = 0.0023)``."""
    only_a, only_b = int(row["only_a"]), int(row["only_b"])
    p = f"McNemar p = {p_text(row['p_value'])}"
    if only_a == only_b == 0:
        return f"every seed solved on one side was solved on the other ({p})"
    seeds = "seed" if only_b == 1 else "seeds"
    return f"{only_b} {seeds} solved only with {row['b']}, {only_a} only with {row['a']} ({p})"


def _speed(row) -> str:
    """How many times the epochs b needs, over the seeds both solved."""
    both = round(row["n_pairs"] * row["rate_a"]) - int(row["only_a"])
    among = f"among the {both} seeds both solved" if both != 1 else "on the one seed both solved"
    if both == 0:
        return "no seed was solved by both, so no speed to compare"
    ratio, low, high = row["speed_ratio"], row["speed_low"], row["speed_high"]
    if pd.isna(ratio):
        return f"{among}, all at initialisation: no speed to compare"
    span = f"{ratio_text(low)}–{ratio_text(high)}×"
    if pd.isna(low):
        return f"{among}, {row['b']} needs {ratio_text(ratio)}× the epochs (too few seeds " \
               f"for an interval)"
    if low <= 1 <= high:
        return f"{among}, no detectable difference in epochs ({ratio_text(ratio)}×, {span})"
    return f"{among}, {row['b']} needs {ratio_text(ratio)}× the epochs ({span})"


def setting_text(row: pd.Series | dict, others: list[str]) -> str:
    """The setting a comparison holds for: ``init uniform(-1,1) · 5000 epochs``."""
    parts = [value_text(c, row[c]) if c in ("arch", "activation", "task")
             else f"{c} {value_text(c, row[c])}" for c in others]
    return " · ".join([*parts, f"{int(row['epochs'])} epochs"])


def verdict_lines(table: pd.DataFrame) -> list[str]:
    """Each comparison of a :func:`~xorbench.analysis.compare.compare` table in words, led
    by its setting: ``init uniform(-1,1) · 5000 epochs — momentum(0.9) vs sgd: …``."""
    others = other_axes(table)
    n = int(table["p_value"].notna().sum())
    return [f"{setting_text(row, others)} — {verdict(row, n)}"
            for row in table.to_dict(orient="records")]


def other_axes(table: pd.DataFrame) -> list[str]:
    """The columns of a compare table between ``b`` and ``epochs``: the other axes."""
    columns = list(table.columns)
    return columns[columns.index("b") + 1 : columns.index("epochs")]


def pairing_note(table: pd.DataFrame) -> str:
    """Whether seed s started from the same initial weights on both sides, in a sentence."""
    if table.empty:
        return ""
    axis = table["axis"].iloc[0]
    shared = set(table["shared_init"])
    if shared == {"yes"}:
        return (f"Pairs are matched exactly: seed s starts from the same initial weights "
                f"whatever the {axis}.")
    if shared == {"weights"}:
        return ("Seed s starts from the same weights on both sides but other biases: "
                "the pairs are matched on the weights.")
    if shared == {"no"}:
        return (f"Seed s starts from other initial weights when the {axis} changes: pairing "
                f"by seed is still valid, only less powerful than with shared weights.")
    return ("Seed s starts from the same initial weights on both sides in some comparisons "
            "and not in others (column shared_init): pairing by seed is valid in all, less "
            "powerful where they differ.")


COMPARISON_HEADER = ["Δ pp", "95% CI", "only b/a", "p", "Holm p", "speed"]
COMPARISON_KEY = ("Δ pp: rate(b) − rate(a) in percentage points, with Tango's 95 % interval; "
                  "only b/a: seeds solved by b only / by a only; p: exact McNemar test, Holm p "
                  "adjusted over all {n} comparisons; speed: median over the seeds both "
                  "solved of epochs(b) / epochs(a)")


def comparison_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Header and text cells of a compare table, narrow enough for 80 columns.

    The setting (the other axes in one cell: ``2-2-1 · init xavier``; named by the axis
    when there is one), ``b`` when several values are compared, the budget when
    several, then :data:`COMPARISON_HEADER`. :data:`COMPARISON_KEY` explains them.
    """
    others = other_axes(table)
    several_b = table["b"].nunique() > 1 or table["a"].nunique() > 1
    several_budgets = table["epochs"].nunique() > 1
    setting_name = others[0] if len(others) == 1 else "setting"
    header = [*([setting_name] if others else []), *(["b vs a"] if several_b else []),
              *(["epochs"] if several_budgets else []), *COMPARISON_HEADER]
    rows = []
    for row in table.to_dict(orient="records"):
        setting = " · ".join(value_text(c, row[c]) if len(others) == 1 or c in (
            "arch", "activation", "task") else f"{c} {value_text(c, row[c])}" for c in others)
        cells = [*([setting] if others else []),
                 *([f"{row['b']} vs {row['a']}"] if several_b else []),
                 *([str(row["epochs"])] if several_budgets else [])]
        cells += [signed_text(row["diff"]),
                  f"{signed_text(row['diff_low'])}…{signed_text(row['diff_high'])}",
                  f"{row['only_b']}/{row['only_a']}", p_text(row["p_value"]),
                  p_text(row["p_adjusted"]), _times(row["speed_ratio"])]
        rows.append(cells)
    return header, rows


def _times(ratio: float) -> str:
    return "—" if pd.isna(ratio) else f"{ratio_text(ratio)}×"
