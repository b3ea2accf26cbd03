"""Findings in plain language, generated from a sweep's tables.

:func:`findings` turns the summary and the runs into sentences a learner can act
on: which settings solve the task reliably and which do not, what the failing
networks computed instead (for XOR, usually OR or AND), where the failures come
from, which axis matters most, and whether a longer budget helps. The report
(:mod:`xorbench.report`) shows them first.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence

import numpy as np
import pandas as pd

from xorbench import schema
from xorbench.analysis.compare import AXIS_NAMES
from xorbench.analysis.design import at_largest_budget, config_axes, sparse_design
from xorbench.analysis.effects import AxisEffects, paired_finding
from xorbench.analysis.order import natural_ranks, natural_sort
from xorbench.analysis.text import percent, plural, value_text
from xorbench.config.tasks import TASKS, make_task
from xorbench.schema import FAILURES, UNDECIDED, UNDECIDED_MARGIN, function_name

FAILURE_MEANINGS = dict(FAILURES)
DIVERGED = "(nothing: diverged)"  # the learned "function" of a network with NaN outputs
# Findings list at most this many settings by name, then count the rest.
MAX_NAMED = 5


def target_name(task: str) -> tuple[str, str]:
    """(how the report names a task, the ``learned`` value of a network that solves it)."""
    spec = make_task(TASKS.parse(task))
    bits = "".join(str(int(t)) for t in spec.targets)
    learned = function_name(bits)
    return (learned if len(bits) == 4 else task), learned


def describe(row: pd.Series | dict, axes: Sequence[str]) -> str:
    """A setting in words: ``2-2-1 sigmoid with uniform(0,1) init at lr 0.5``.

    Architecture, activation and init always; the learning rate and any other
    axis only when it varies in the sweep (``axes``).
    """
    text = f"{row['arch']} {row['activation']} with {row['init']} init"
    if "lr" in axes:
        text += f" at lr {value_text('lr', row['lr'])}"
    others = [a for a in axes if a not in ("arch", "hidden", "activation", "init", "lr")]
    if others:
        text += " (" + ", ".join(f"{a} {value_text(a, row[a])}" for a in others) + ")"
    return text


def learned_shares(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration at its largest budget: each learned function's share of all seeds."""
    last = at_largest_budget(runs)
    learned = last["learned"].fillna("").astype(str).replace("", DIVERGED)
    counts = (last.assign(learned=learned)
              .groupby(["config_id", "learned"], sort=False).size().rename("n").reset_index())
    counts["share"] = counts["n"] / counts.groupby("config_id")["n"].transform("sum")
    return counts


def findings(summary: pd.DataFrame, runs: pd.DataFrame,
             effects: Sequence[AxisEffects] = ()) -> list[str]:
    """Plain-language findings generated from the data, most important first.

    The most reliable settings, the settings that never work (or, if every
    setting works sometimes, the least reliable ones) with their dominant
    failure mode and what they learned instead, which wrong functions replace
    the target most often, the failure modes overall, how each axis moves the
    rate, and what the extra epochs buy. Each setting at its largest budget,
    except for the last. An axis compared seed by seed (``effects``, from
    :func:`~xorbench.analysis.effects.axis_effects`) is told by its paired
    comparisons, setting by setting, instead of an average over the other axes.
    """
    if summary.empty:
        return ["No run has finished yet."]
    board = at_largest_budget(summary)
    axes = config_axes(board)
    tasks = board["task"].unique()
    task, target = target_name(str(tasks[0])) if len(tasks) == 1 else ("the task", "")
    n = len(board)
    always, never = int((board["rate"] == 1).sum()), int((board["rate"] == 0).sum())
    text = f"Of the {n} setting{'s' * (n != 1)} in this sweep ({_budget_words(board)}), "
    text += (f"{always} solve{'s' * (always == 1)} {task} in every seed" if always
             else f"none solves {task} in every seed")
    text += (f" and {never} in no seed at all." if never else
             "; every setting solves it in at least one seed.")
    out = [text]
    design = sparse_design(summary)
    name = _sparse_namer(design) if design else (lambda row: describe(row, axes))
    out.append(_most_reliable(board, name, task))
    shares = learned_shares(runs)
    named, lines = _least_reliable(board, shares, axes, name, task, target, design)
    out.extend(lines)
    out.extend(_learned_instead(board, shares, name, task, target, skip=named))
    out.extend(_failure_overview(board))
    paired = paired_finding(effects)
    if paired:
        out.append(paired)
    compared = {item.axis for item in effects}
    # a union of sub-grids: averages over "the other axes" would mix different settings
    out.extend(_changes(summary, design) if design else
               _axis_effects(board, axes, skip=compared))
    budgets = budget_effect(summary)
    if budgets:
        out.append(budgets)
    return out


def _ranked(board: pd.DataFrame) -> pd.DataFrame:
    """Settings best first: rate, then the interval's lower end, then speed."""
    return natural_sort(board, ["rate", "ci_low", "median_epoch_solved",
                                         *schema.CONFIG_COLUMNS], descending=("rate", "ci_low"))


def _most_reliable(board: pd.DataFrame, name: Callable[[dict], str], task: str) -> str:
    ranked = _ranked(board)
    if ranked["rate"].iloc[0] == 0:
        return f"No setting ever solved {task}."

    def speed(row: dict) -> str:
        epoch = row["median_epoch_solved"]
        return f"half of its solved runs by epoch {epoch:g}" if pd.notna(epoch) else ""

    perfect = ranked[ranked["rate"] == 1]
    if len(perfect) > 1:
        parts = [f"{name(r)} ({speed(r)})"
                 for r in perfect.head(3).to_dict(orient="records")]
        return (f"The fastest of the {len(perfect)} that always solve it: "
                + "; ".join(parts) + ".")
    parts = []
    # only settings the best one is not clearly better than: its interval's low end
    # below theirs high end (so "most reliable" never names a setting that is not)
    close = ranked[ranked["ci_high"] >= ranked["ci_low"].iloc[0]]
    for row in close.head(3).to_dict(orient="records"):
        if row["rate"] == 0:
            break
        when = f", {speed(row)}" if speed(row) else ""
        parts.append(f"{name(row)}: {percent(row['rate'])} of {row['n_runs']} seeds "
                     f"(95 % CI {percent(row['ci_low'])}–{percent(row['ci_high'])}{when})")
    return "Most reliable: " + "; ".join(parts) + "."


def _budget_words(board: pd.DataFrame) -> str:
    budgets = board["epochs"].unique()
    if len(budgets) == 1:
        return f"within {int(budgets[0])} epochs"
    return f"each at its largest budget, {int(budgets.min())}–{int(budgets.max())} epochs"


def _least_reliable(board: pd.DataFrame, shares: pd.DataFrame, axes: list[str],
                    name: Callable[[dict], str], task: str, target: str,
                    design: tuple | None = None) -> tuple[set[str], list[str]]:
    """Sentences on the settings that never work (else the 3 least reliable ones).

    Returns the config_ids named, and the sentences: each setting's dominant
    failure mode with its meaning and its most common learned function.
    """
    never = natural_sort(board[board["rate"] == 0], schema.CONFIG_COLUMNS)
    if never.empty:
        # the 3 least reliable, but never one the most reliable sentence named, nor one
        # whose interval reaches the best setting's rate: "only" must be true
        ranked = _ranked(board)
        best = ranked.iloc[0]
        chosen = ranked.iloc[::-1]
        # "only" must be true: a setting the best is clearly better than
        chosen = chosen[(chosen["rate"] < 1) & (chosen["ci_high"] < best["ci_low"])].head(3)
    else:
        chosen = never.head(MAX_NAMED)
    labels = [label for label, _ in FAILURES if label != "none"]
    lines = []
    for row in chosen.to_dict(orient="records"):
        counts = np.array([row[f"n_{label}"] for label in labels])
        main = labels[int(counts.argmax())]
        verdict = (f"never solves {task}" if row["rate"] == 0 else
                   f"solves {task} in only {percent(row['rate'])} of seeds")
        text = (f"{name(row)} {verdict}: {percent(counts.max() / row['n_runs'])} of "
                f"its seeds end {main}")
        wrong = shares[(shares["config_id"] == row["config_id"])
                       & (shares["learned"] != target)].sort_values(
            ["n", "learned"], ascending=[False, True])
        if not wrong.empty and wrong["learned"].iloc[0] == UNDECIDED:
            text += (f"; {percent(wrong['share'].iloc[0])} of seeds decide nothing (an "
                     f"output within {UNDECIDED_MARGIN:g} of 0.5)")
        elif not wrong.empty and wrong["learned"].iloc[0] != DIVERGED:
            text += (f"; the most common wrong answer is {wrong['learned'].iloc[0]} "
                     f"({percent(wrong['share'].iloc[0])} of seeds)")
        lines.append(text + ".")
    if len(never) > MAX_NAMED:
        more = len(never) - MAX_NAMED
        lines.append(f"… and {plural(more, 'more setting')} that never solve{'s' * (more == 1)} "
                     f"{task}.")
    shared = [f"{a} {value_text(a, never[a].iloc[0])}" for a in axes
              if len(never) > 1 and never[a].nunique() == 1
              and (design is None or a == design[0]
                   or value_text(a, never[a].iloc[0]) != design[2].values.get(a))]
    if shared:
        lines.append(f"Every setting that never works has {' and '.join(shared)}.")
    return set(chosen["config_id"]), lines


def _learned_instead(board: pd.DataFrame, shares: pd.DataFrame, name: Callable[[dict], str],
                     task: str, target: str, skip: set[str] = frozenset()) -> list[str]:
    """The settings where one wrong function takes the largest share of the seeds."""
    wrong = shares[(shares["learned"] != target) & (shares["learned"] != DIVERGED)
                   & ~shares["config_id"].isin(skip)]
    if wrong.empty or not target:
        return []
    wrong = wrong.sort_values(["share", "config_id", "learned"],
                              ascending=[False, True, True]).drop_duplicates("config_id")
    wrong = wrong[wrong["share"] >= 0.2].head(3)
    by_id = board.set_index("config_id")
    lines = []
    for item in wrong.to_dict(orient="records"):
        row = by_id.loc[item["config_id"]].to_dict()
        if item["learned"] == UNDECIDED:
            lines.append(f"{name(row)} decides nothing in {percent(item['share'])} of seeds: "
                         f"an output ends within {UNDECIDED_MARGIN:g} of 0.5, on no side of "
                         f"the threshold.")
        else:
            lines.append(f"{name(row)} learns {item['learned']} instead of {task} "
                         f"in {percent(item['share'])} of seeds.")
    return lines


def _sparse_namer(design: tuple) -> Callable[[dict], str]:
    """Names of a sparse sweep's settings: ``2-2-1 with init = xavier``, ``2-8-1 (baseline)``."""
    column, row_axes, baseline = design

    def name(row: dict) -> str:
        label = baseline.label(row, row_axes)
        change = "(baseline)" if label == "baseline" else f"with {label}"
        return f"{value_text(column, row[column])} {change}" if column else change

    return name


def _changes(summary: pd.DataFrame, design: tuple, n: int = 4) -> list[str]:
    """Each change of a sparse sweep against the baseline, with the same architecture.

    The ``n`` changes that raise the rate most (averaged over the architectures
    where both ran) and the ``n`` that lower it most, each with its rates.
    """
    column, row_axes, baseline = design
    data = summary if "epochs" in row_axes else at_largest_budget(summary)
    labels = [baseline.label(row, row_axes) for row in data[row_axes].to_dict("records")]
    data = data.assign(_label=labels, _col=data[column].astype(str) if column else "")
    base = data[data["_label"] == "baseline"].set_index("_col")["rate"]
    if base.empty:
        return []
    effects = []
    for label, part in data[data["_label"] != "baseline"].groupby("_label", sort=False):
        part = part[part["_col"].isin(base.index)]
        if part.empty:
            continue
        pairs = [(c, base[c], r) for c, r in zip(part["_col"], part["rate"], strict=True)]
        pairs = [pairs[i] for i in natural_ranks(pd.Series([p[0] for p in pairs]))
                 .argsort()]
        effects.append((float(np.mean([r - b for _, b, r in pairs])), label, pairs))
    if not effects:
        return []
    effects.sort(key=lambda e: (-e[0], e[1]))

    def text(effect) -> str:
        _, label, pairs = effect
        rates = ", ".join(f"{c + ' ' if column else ''}{percent(b)} → {percent(r)}"
                          for c, b, r in pairs)
        return f"{label} ({rates})"

    up = [e for e in effects if e[0] > 0][:n]
    down = [e for e in reversed(effects) if e[0] < 0][:n]
    where = f"with the same {column}, " if column else ""
    out = []
    if up:
        out.append(f"The changes from the baseline ({baseline.describe()}) that help most, "
                   f"{where}baseline rate → changed rate: " + "; ".join(map(text, up)) + ".")
    if down:
        out.append("The changes that hurt most: " + "; ".join(map(text, down)) + ".")
    return out


def _failure_overview(board: pd.DataFrame) -> list[str]:
    labels = [label for label, _ in FAILURES if label != "none"]
    counts = {label: int(board[f"n_{label}"].sum()) for label in labels}
    total = sum(counts.values())
    if total == 0:
        return []
    parts = [f"{label} {percent(c / total)} — {FAILURE_MEANINGS[label]}"
             for label, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c]
    return [f"Why runs fail: of the {total:,} unsolved runs, " + "; ".join(parts) + "."]


def _axis_effects(board: pd.DataFrame, axes: list[str], skip: Collection[str] = ()
                  ) -> list[str]:
    """The average rate per value of each varying axis (but those in ``skip``), over the
    combinations of the other axes that every value of it was tried with — so each
    average compares like with like (in a union of sub-grids, a value that exists only
    with Adam is not averaged against values averaged over every optimizer)."""
    if len(axes) < 2 or board["rate"].max() == 0:
        return []
    lines = []
    for axis in (a for a in axes if AXIS_NAMES.get(a, a) not in skip and a not in skip):
        others = [a for a in axes if a != axis]
        cells = board.groupby(others, sort=False, dropna=False)[axis].nunique()
        complete = cells[cells == board[axis].nunique()].index
        shared = board.set_index(others).loc[complete].reset_index() if len(complete) else \
            board.head(0)
        if shared.empty:
            continue
        means = shared.groupby(axis, sort=False)["rate"].mean()
        means = means.iloc[natural_ranks(pd.Series(means.index)).argsort()]
        parts = ", ".join(f"{value_text(axis, v)} {percent(r)}" for v, r in means.items())
        n = len(complete)
        over = "" if n == len(board) // max(1, board[axis].nunique()) else \
            f" (over the {n} combination{'s' * (n != 1)} of the other axes every value has)"
        lines.append((f"{axis}: {parts}{over}", means.max() - means.min()))
    if not lines:
        return []
    lines.sort(key=lambda item: -item[1])
    text = "; ".join(item[0] for item in lines)
    return [f"Average rate per value, over the other axes (largest effect first) — {text}."]


def budget_effect(summary: pd.DataFrame) -> str:
    """What more epochs buy, comparing each setting with itself (paired).

    When every setting was trained at the same budgets, the average rate at each;
    otherwise, for each pair of consecutive budgets of a setting (10 → 100), the
    average over the settings trained at both.
    """
    budgets = sorted(summary["epochs"].unique())
    if len(budgets) < 2 or summary["rate"].max() == 0:
        return ""
    sets = summary.groupby("config_id")["epochs"].agg(lambda e: tuple(sorted(set(e))))
    n = len(sets)
    if sets.nunique() == 1:
        means = summary.groupby("epochs")["rate"].mean()
        parts = ", ".join(f"{percent(means[b])} at {int(b)}" for b in budgets)
        return (f"Longer training: the average rate over all {n} setting{'s' * (n != 1)} is "
                f"{parts} epochs.")
    rate = summary.set_index(["config_id", "epochs"])["rate"]
    pairs: dict[tuple[int, int], list[str]] = {}
    for config_id, own in sets.items():
        for low, high in itertools.pairwise(own):
            pairs.setdefault((int(low), int(high)), []).append(config_id)
    if not pairs:
        return ""
    parts = []
    for (low, high), ids in sorted(pairs.items()):
        before = np.mean([rate[(c, low)] for c in ids])
        after = np.mean([rate[(c, high)] for c in ids])
        parts.append(f"{low} → {high} epochs: {percent(before)} → {percent(after)} "
                     f"({len(ids)} setting{'s' * (len(ids) != 1)})")
    return ("Longer training, each setting against itself at its next budget (average rate "
            "over the settings trained at both): " + "; ".join(parts) + ".")
