"""Does changing one setting help? Paired comparisons along one axis (``compare-<axis>.csv``).

Two configurations that differ only in ``axis`` were trained from the same seeds, so
seed s gives a pair of runs, one on each side; comparing them seed by seed removes the
luck of the seed from the difference, which two separate Wilson intervals cannot. The
statistics are in :mod:`xorbench.analysis.paired`, the words in
:mod:`xorbench.analysis.verdict`.

Whether seed s also starts from the same initial weights on both sides
(``shared_init``) follows from how the engine draws them
(:func:`xorbench.engine.initial_params`): from the seed's own init stream, every weight
matrix layer by layer and then every bias, with the architecture's widths and the two
inits as the only other inputs. So, by the axis that differs:

=============================================  ===========  ==================================
axis                                           shared_init  why
=============================================  ===========  ==================================
lr, optimizer, loss, batch, criterion,         yes          not an input of the draw (batch
output, activation, bug                                     orders come from another stream)
dtype                                          yes          float32 starts from the float64
                                                            draw, rounded
task                                           yes / no     yes when the input count is the
                                                            same (xor, and, or …), no when
                                                            the widths differ (parity(3))
hidden = arch                                  no           other widths, other draws
init                                           no           other weights (and another count
                                                            of draws before the biases)
bias_init                                      weights      the weights come first and match;
                                                            the biases differ
=============================================  ===========  ==================================

Pairing by seed is valid either way; it is only less powerful where the starting
points differ. Pure pandas and NumPy (scipy inside :mod:`~xorbench.analysis.paired`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xorbench.analysis.order import natural_sort
from xorbench.analysis.paired import holm, mcnemar_p, tango_interval
from xorbench.analysis.pairing import DRAW_COLUMNS, Side, pair_row, select_budgets
from xorbench.analysis.summary import require_columns
from xorbench.analysis.text import value_text
from xorbench.config import TABLES
from xorbench.config.choices import did_you_mean, format_number
from xorbench.errors import ChoiceError, XorbenchError
from xorbench.schema import (
    COMPARE_DTYPES,
    COMPARE_LEAD_COLUMNS,
    COMPARE_STAT_COLUMNS,
    COMPARE_UNEQUAL_COLUMNS,
    CONFIG_COLUMNS,
)

# hidden and arch name one axis (arch = inputs-hidden-1); compared as arch.
AXIS_NAMES = {"hidden": "arch"}
RUN_COLUMNS = [*CONFIG_COLUMNS, "epochs", "seed", "solved", "epoch_solved"]


def compare(runs: pd.DataFrame, axis: str, baseline: object = None,
            budgets: int | Sequence[int] | str | None = None) -> pd.DataFrame:
    """Every pair of configurations that differ only in ``axis``, compared seed by seed.

    ``runs`` is a runs table (:func:`xorbench.load_runs`). Each value of ``axis`` is
    compared with a reference: ``baseline`` if given, else the first value of the
    axis (in the order the runs list them — a folder's grid order) that the other
    axes' setting has. ``budgets``: None compares each pair at the largest budget
    both sides have, ``"all"`` at every one, an int or a list at those.

    One row per comparison, sorted by the other axes, the budget and the axis order.
    Columns: ``axis``, ``a`` (the reference), ``b``, the other axes that vary, then
    :data:`~xorbench.schema.COMPARE_STAT_COLUMNS`: ``n_pairs`` seeds both sides ran,
    their rates over those seeds, ``diff`` = rate_b − rate_a in percentage points with
    its 95 % interval ``diff_low``, ``diff_high`` (Tango's score interval), ``only_a``,
    ``only_b`` (seeds solved by one side only), the exact McNemar ``p_value`` and
    ``p_adjusted`` (Holm, over every comparison of the call), ``median_epoch_a``,
    ``median_epoch_b`` (over the seeds both solved), ``speed_ratio`` (median over
    those seeds of epoch_b / epoch_a, seeds solved at epoch 0 left out) with its 95 %
    bootstrap interval ``speed_low``, ``speed_high``, and ``shared_init`` (``yes``,
    ``weights`` or ``no``: see the module docstring). When some side ran seeds the
    other did not (adaptive seeds), :data:`~xorbench.schema.COMPARE_UNEQUAL_COLUMNS`
    follow: each side's seed count and rate over all its seeds.

    Raises ChoiceError (a XorbenchError) naming a bad axis, baseline or budget and
    what is allowed.
    """
    require_columns(runs, RUN_COLUMNS, "runs")
    axis = resolve_axis(runs, axis)
    keys = match_columns(axis)
    others = [c for c in keys if runs[c].nunique(dropna=False) > 1]
    values = list(pd.unique(runs[axis]))
    references = resolve_baseline(runs, axis, values, baseline)
    wanted = resolve_budgets(runs, budgets)
    sides = _sides(runs, keys, axis)
    rank = {v: i for i, v in enumerate(values)}
    rows = []
    for setting, by_value in sides.items():
        present = sorted(by_value, key=rank.__getitem__)
        a = next((v for v in present if v in references), None) if references else present[0]
        if a is None:
            continue
        for b in (v for v in present if v != a):
            for epochs in select_budgets(by_value[a], by_value[b], wanted):
                row = pair_row(by_value[a][epochs], by_value[b][epochs])
                rows.append({"axis": axis, "a": value_text(axis, a), "b": value_text(axis, b),
                             **dict(zip(keys, setting, strict=True)), "epochs": epochs,
                             "_b_rank": rank[b], **row})
    return _table(rows, axis, others)


def match_columns(axis: str) -> list[str]:
    """The configuration columns two sides of a comparison along ``axis`` share.

    arch holds the task's input count and the hidden widths: comparing tasks, the
    widths (hidden) must match; comparing architectures, neither column; else arch.
    """
    drop = {"arch": {"arch", "hidden"}, "task": {"task", "arch"}}.get(axis, {axis, "hidden"})
    return [c for c in CONFIG_COLUMNS if c not in drop]


def resolve_axis(runs: pd.DataFrame, axis: str) -> str:
    """``axis`` as a column of ``runs`` that varies (``hidden`` → ``arch``), or ChoiceError."""
    name = AXIS_NAMES.get(axis, axis)
    varying = [c for c in CONFIG_COLUMNS if c != "hidden" and runs[c].nunique() > 1]
    allowed = (f"axes that vary here: {', '.join(varying)}" if varying
               else "no axis varies in these runs")
    if axis == "epochs":
        raise ChoiceError("axis", axis, "budgets are checkpoints of the same runs, not settings "
                          "to pair; compare at every budget with --all-budgets "
                          "(budgets='all' in Python)")
    if name not in CONFIG_COLUMNS:
        hint = did_you_mean(axis, [*CONFIG_COLUMNS, "epochs"])
        raise ChoiceError("axis", axis, f"not an axis{hint}; {allowed}")
    if name not in varying:
        only = ", ".join(value_text(name, v) for v in pd.unique(runs[name]))
        raise ChoiceError("axis", axis, f"has one value in these runs ({only or 'none'}); "
                          f"{allowed}")
    return name


def resolve_baseline(runs: pd.DataFrame, axis: str, values: list, baseline: object) -> set:
    """The values of ``axis`` that ``baseline`` names (empty for None), or ChoiceError.

    A label as the tables write it, normalised as a grid file would be
    (``momentum`` = ``momentum(0.9)``, ``0.50`` = ``0.5``); for arch also the hidden
    widths (``2``: ``2-2-1``, and ``3-2-1`` where the task has three inputs).
    """
    if baseline is None:
        return set()
    names: dict[str, set] = {}
    for v in values:
        names.setdefault(value_text(axis, v), set()).add(v)
    if axis == "arch":
        pairs = runs[["arch", "hidden"]].drop_duplicates()
        for arch, hidden in zip(pairs["arch"], pairs["hidden"], strict=True):
            names.setdefault(value_text("hidden", hidden), set()).add(arch)
    text = _normalise(axis, str(baseline).strip())
    if text not in names:
        shown = ", ".join(value_text(axis, v) for v in values)
        raise ChoiceError("baseline", baseline, f"not a value of {axis} in these runs"
                          f"{did_you_mean(text, list(names))}; values: {shown}")
    return names[text]


def _normalise(axis: str, text: str) -> str:
    """``text`` as the tables label it, when it parses as a value of ``axis``."""
    try:
        if axis in TABLES:
            return TABLES[axis].parse(text).label
        if axis == "lr":
            return format_number(float(text))
    except (XorbenchError, ValueError):
        pass
    return text


def resolve_budgets(runs: pd.DataFrame, budgets) -> set[int] | str | None:
    """None (each pair's largest shared budget), ``"all"``, or the set of budgets asked for,
    each checked to be a budget of ``runs``."""
    if budgets is None or (isinstance(budgets, str) and budgets == "all"):
        return budgets
    asked = [budgets] if isinstance(budgets, int | np.integer) else list(budgets)
    present = sorted(int(e) for e in pd.unique(runs["epochs"]))
    for budget in asked:
        if isinstance(budget, bool) or not isinstance(budget, int | np.integer) \
                or int(budget) not in present:
            shown = ", ".join(str(e) for e in present) or "none"
            raise ChoiceError("budget", budget, f"not an epoch budget of these runs; budgets: "
                              f"{shown} (or all of them: --all-budgets)")
    return {int(b) for b in asked}


def _sides(runs: pd.DataFrame, keys: list[str], axis: str) -> dict[tuple, dict]:
    """setting (the key columns' values) → axis value → budget → that side's seeds."""
    solved = runs["solved"].to_numpy(bool)
    epoch = runs["epoch_solved"].to_numpy(dtype=np.float64, na_value=np.nan)
    seeds = runs["seed"].to_numpy(np.int64)
    sides: dict[tuple, dict] = {}
    draws = runs[list(DRAW_COLUMNS)].to_numpy(object)
    groups = runs.groupby([*keys, axis, "epochs"], sort=False, dropna=False).indices
    for key, index in groups.items():
        *setting, value, epochs = key
        side = Side(seeds[index], solved[index], epoch[index], tuple(draws[index[0]]))
        sides.setdefault(tuple(setting), {}).setdefault(value, {})[int(epochs)] = side
    return sides


def _table(rows: list[dict], axis: str, others: list[str]) -> pd.DataFrame:
    """The comparisons as a frame: ordered, with the intervals, p-values and Holm's."""
    unequal = any(r["n_a"] != r["n_pairs"] or r["n_b"] != r["n_pairs"] for r in rows)
    columns = [*COMPARE_LEAD_COLUMNS, *others, *COMPARE_STAT_COLUMNS,
               *(COMPARE_UNEQUAL_COLUMNS if unequal else [])]
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=COMPARE_DTYPES.get(c, "object"))
                             for c in columns})
    table = natural_sort(pd.DataFrame(rows), [*others, "epochs", "_b_rank"])
    only_a, only_b, n = (table[c].to_numpy(np.float64) for c in ("only_a", "only_b", "n_pairs"))
    with np.errstate(divide="ignore", invalid="ignore"):
        table["diff"] = 100 * (only_b - only_a) / n  # rate_b − rate_a, in points
    low, high = tango_interval(only_a, only_b, n)
    table["diff_low"], table["diff_high"] = 100 * low, 100 * high
    table["p_value"] = np.where(n > 0, mcnemar_p(only_a, only_b), np.nan)
    table["p_adjusted"] = holm(table["p_value"])
    table = table[columns]
    return table.astype({c: t for c, t in COMPARE_DTYPES.items() if c in table.columns})
