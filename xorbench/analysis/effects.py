"""Does it help? The paired comparisons of every varying axis of a sweep, summed up.

:func:`axis_effects` runs :func:`~xorbench.analysis.compare.compare` along each axis
a sweep varies (each value against the axis's first, at each pair's largest budget,
and at every budget); :func:`outcome` sorts one comparison into what its interval
and Holm-adjusted p allow to say; :func:`effect_lines` and :func:`paired_finding`
put an axis, or the whole sweep, in the same careful words as
:mod:`~xorbench.analysis.verdict`. The report's "Does it help?" section, its forest
plot (``effects.png``) and the findings read these, so they never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from xorbench.analysis.compare import AXIS_NAMES, compare
from xorbench.analysis.design import config_axes
from xorbench.analysis.text import plural
from xorbench.analysis.verdict import ALPHA, other_axes, setting_text, verdict

MAX_VALUES = 8  # an axis with more values is left to `xorbench compare`
# Comparing at every budget costs a bootstrap per row (~10 ms): an axis with more rows
# than this is compared at each pair's largest budget only.
MAX_BUDGET_ROWS = 400
# What one comparison allows to say, in the order a summary lists them.
OUTCOMES = ("higher", "lower", "not significant", "no detectable difference")


@dataclass(frozen=True)
class AxisEffects:
    """One axis's paired comparisons: each pair at its largest budget (the family Holm
    adjusts over is this table, as ``xorbench compare DIR --axis AXIS`` has it), and at
    every budget (empty with one budget, or more than :data:`MAX_BUDGET_ROWS` rows)."""

    axis: str
    largest: pd.DataFrame
    budgets: pd.DataFrame


def comparable_axes(runs: pd.DataFrame, max_values: int = MAX_VALUES) -> list[str]:
    """The axes a sweep varies that have at most ``max_values`` values, as compare names
    them (``arch`` for ``hidden``), in the sweep's axis order; never the budget."""
    axes = []
    for axis in config_axes(runs):
        name = AXIS_NAMES.get(axis, axis)
        if axis != "epochs" and name not in axes and runs[axis].nunique() <= max_values:
            axes.append(name)
    return axes


def axis_effects(runs: pd.DataFrame, axes: Sequence[str] | None = None) -> list[AxisEffects]:
    """Every comparable axis's comparisons (``axes``: those, default
    :func:`comparable_axes`), each value against the axis's first, seed by seed."""
    out = []
    for axis in comparable_axes(runs) if axes is None else axes:
        largest = compare(runs, axis)
        if largest.empty:
            continue
        n_budgets = runs["epochs"].nunique()
        scan = n_budgets > 1 and len(largest) * n_budgets <= MAX_BUDGET_ROWS
        budgets = compare(runs, axis, budgets="all") if scan else largest.head(0)
        out.append(AxisEffects(str(largest["axis"].iloc[0]), largest, budgets))
    return out


def outcome(row: pd.Series | dict) -> str:
    """What the comparison says (:data:`OUTCOMES`): b's rate ``higher`` or ``lower``
    than a's (the interval excludes 0 and Holm's p < 0.05), ``not significant`` (the
    interval excludes 0, the adjusted p does not) or ``no detectable difference``."""
    if not row["n_pairs"] or row["diff_low"] <= 0 <= row["diff_high"]:
        return "no detectable difference"
    if not row["p_adjusted"] < ALPHA:
        return "not significant"
    return "higher" if row["diff"] > 0 else "lower"


def outcomes(table: pd.DataFrame) -> pd.Series:
    """:func:`outcome` of every row."""
    return pd.Series([outcome(row) for row in table.to_dict(orient="records")],
                     index=table.index, dtype=object)


def _tally(table: pd.DataFrame) -> str:
    """``a higher rate with tanh in 6 settings, a lower one in 4, no detectable difference
    in 8 (of 18)`` for one b against one a."""
    b, axis = str(table["b"].iloc[0]), str(table["axis"].iloc[0])
    b = f"{axis} {b}" if b[:1].isdigit() and axis != "arch" else b  # "lr 2", not "2"
    counts = outcomes(table).value_counts()
    words = {"higher": f"a higher rate with {b} in {{}}", "lower": "a lower one in {}",
             "not significant": "not significant after adjusting in {}",
             "no detectable difference": "no detectable difference in {}"}
    parts = [words[o].format(counts[o]) for o in OUTCOMES if o in counts]
    if "lower" in counts and "higher" not in counts:
        parts[0] = f"a lower rate with {b} in {counts['lower']}"
    return f"{', '.join(parts)} (of {plural(len(table), 'setting')})"


def effect_lines(effects: AxisEffects) -> list[str]:
    """The axis's effects in words: per value against the reference, how the seeds'
    comparisons came out over the other settings; the largest clear difference in
    full; and the budget at which a difference is largest, if not the largest one."""
    table, lines = effects.largest, []
    n = len(table)
    for (a, b), group in table.groupby(["a", "b"], sort=False):
        lines.append(f"{b} vs {a}, each setting at its largest budget: {_tally(group)}.")
    others = other_axes(table)
    clear = table[outcomes(table).isin(["higher", "lower"])]
    if len(clear):
        row = clear.loc[clear["diff"].abs().idxmax()]
        lead = f"{setting_text(row, others)} — " if others or len(table) > 1 else ""
        lines.append(f"Largest clear difference: {lead}{verdict(row, n)}.")
    if len(effects.budgets) and effects.budgets["epochs"].nunique() > 1:
        budgets = effects.budgets
        row = budgets.loc[budgets["diff"].abs().idxmax()]
        top = table[(table[["a", "b", *others]] == row[["a", "b", *others]]).all(axis=1)]
        if len(top) and row["epochs"] != top["epochs"].iloc[0] and \
                abs(row["diff"]) > abs(top["diff"].iloc[0]):
            lines.append(f"The largest difference is at a smaller budget: "
                         f"{setting_text(row, others)} — {verdict(row, len(budgets))}.")
    return lines


def paired_finding(effects: Sequence[AxisEffects]) -> str | None:
    """The findings' line for the axes compared seed by seed, or None."""
    if not effects:
        return None
    parts = []
    for item in effects:
        table = item.largest
        for (a, b), group in table.groupby(["a", "b"], sort=False):
            parts.append(f"{item.axis} {b} vs {a}: {_tally(group)}")
    return ("Compared seed by seed (the same seeds on both sides, each setting at its largest "
            "budget; \"higher\" and \"lower\" only where the 95 % interval of the difference "
            f"excludes 0 and the Holm-adjusted McNemar p < 0.05) — {'; '.join(parts)}.")
