"""The design of a sweep, read from its tables: which axes vary, full factorial or a union
of one-change sub-grids (and its baseline), and how a setting is named in words.

Plots, findings and the report all describe settings the same way from here. Pure
pandas: no matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xorbench.analysis.order import natural_ranks, natural_sort, varying_axes
from xorbench.analysis.text import value_text


def config_axes(frame: pd.DataFrame) -> list[str]:
    """The configuration axes varying in ``frame``: no budget, ``arch`` rather than ``hidden``."""
    axes = [a for a in varying_axes(frame) if a != "epochs"]
    if "arch" in axes and "hidden" in axes:
        axes.remove("hidden")  # arch = inputs-hidden-1 already says it
    return axes


def at_largest_budget(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of each configuration at its largest epoch budget."""
    if frame.empty:
        return frame
    largest = frame.groupby("config_id", sort=False)["epochs"].transform("max")
    return frame[frame["epochs"] == largest].reset_index(drop=True)


def ordered(frame: pd.DataFrame, axis: str) -> list[object]:
    """The distinct values of a column in natural order (numbers numeric, 2-2-1 before 2-10-1)."""
    values = pd.Series(frame[axis].dropna().unique())
    return list(values.iloc[np.argsort(natural_ranks(values), kind="stable")])


def setting_label(row: pd.Series | dict, axes: Sequence[str]) -> str:
    """A setting in a few words: ``2-2-1 sigmoid · init xavier · lr 0.5`` (varying axes only)."""
    parts = []
    for axis in axes:
        text = value_text(axis, row[axis])
        parts.append(text if axis in ("arch", "activation", "task") else f"{axis} {text}")
    return " · ".join(parts) if parts else "the setting"


def task_name(frame: pd.DataFrame) -> str:
    tasks = frame["task"].unique() if "task" in frame.columns else []
    return str(tasks[0]).upper() if len(tasks) == 1 else "the task"


# A sweep whose configurations fill less than this share of the product of its axis
# values (a union of one-change sub-grids) is drawn setting by setting, not faceted.
SPARSE_FILL = 0.5  # half or less


DIFF_NAMES = {"bias_init": "bias init"}


def is_sparse(frame: pd.DataFrame, axes: Sequence[str]) -> bool:
    """True when the configurations of ``frame`` cover few cells of the facet product.

    A full-factorial grid fills every cell of the product of its axis values; a
    union of sub-grids that each change one thing from a baseline fills only a few,
    so a grid of facets would be mostly empty panels.
    """
    if len(axes) < 2 or frame.empty:
        return False
    product = int(np.prod([frame[a].nunique() for a in axes]))
    return len(frame[list(axes)].drop_duplicates()) <= SPARSE_FILL * product


def budgets_differ(frame: pd.DataFrame) -> bool:
    """True when the configurations do not all share one set of epoch budgets."""
    if "epochs" not in frame.columns or frame.empty:
        return False
    sets = frame.groupby("config_id")["epochs"].agg(lambda e: tuple(sorted(set(e))))
    return sets.nunique() > 1


class Baseline:
    """The most common value of each axis: the setting the sub-grids change one thing of.

    Built from the distinct settings of ``frame`` (each counted once); ties go to
    the first value in natural order. :meth:`label` names a setting by what it
    changes from the baseline (``init = xavier · loss = bce``) or ``baseline``.
    """

    def __init__(self, frame: pd.DataFrame, axes: Sequence[str]):
        self.axes = list(axes)
        distinct = frame[self.axes].drop_duplicates() if self.axes else frame.head(0)
        self.values: dict[str, str] = {}
        for axis in self.axes:
            texts = distinct[axis].map(lambda v, a=axis: value_text(a, v))
            counts = texts.value_counts(sort=False)
            natural = {t: i for i, t in enumerate(
                value_text(axis, v) for v in ordered(distinct, axis))}
            self.values[axis] = min(counts.index, key=lambda t: (-counts[t], natural.get(t, 0)))

    def differences(self, row: pd.Series | dict, axes: Sequence[str] | None = None
                    ) -> list[str]:
        """The axes (of ``axes``, default all) where ``row`` differs from the baseline."""
        return [a for a in (self.axes if axes is None else axes)
                if value_text(a, row[a]) != self.values[a]]

    def label(self, row: pd.Series | dict, axes: Sequence[str] | None = None) -> str:
        parts = [f"{DIFF_NAMES.get(a, a)} = {value_text(a, row[a])}"
                 for a in self.differences(row, axes)]
        return " · ".join(parts) if parts else "baseline"

    def describe(self, axes: Sequence[str] | None = None) -> str:
        """The baseline in words: ``init uniform(0,1), lr 1, 10 epochs``."""
        parts = []
        for axis in self.axes if axes is None else axes:
            text = self.values[axis]
            parts.append(f"{text} epochs" if axis == "epochs" else
                         text if axis in ("arch", "activation") else
                         f"{DIFF_NAMES.get(axis, axis)} {text}")
        return ", ".join(parts)


def sparse_rows(frame: pd.DataFrame, axes: Sequence[str], baseline: Baseline,
                column: str) -> pd.DataFrame:
    """``frame`` plus ``column``: each row's :meth:`Baseline.label`; sorted baseline first.

    Then grouped by the first axis (in ``axes`` order) where a row differs from
    the baseline, each group in natural order of its values.
    """
    frame = frame.copy()
    frame[column] = [baseline.label(row, axes) for row in frame[list(axes)].to_dict("records")]
    first = [min((list(axes).index(a) for a in baseline.differences(row, axes)), default=-1)
             for row in frame[list(axes)].to_dict("records")]
    frame["_first_change"] = first
    frame = natural_sort(frame, ["_first_change", *axes])
    return frame.drop(columns="_first_change")


def sparse_design(summary: pd.DataFrame) -> tuple[str | None, list[str], Baseline] | None:
    """How a sparse sweep is drawn: (column axis, row axes, baseline), or None if not sparse.

    The architecture (when it varies) is the column; every other varying axis
    names a row by its change from the baseline, the epoch budget too when the
    configurations were trained at different budgets.
    """
    axes = config_axes(summary)
    if not is_sparse(summary, axes):
        return None
    column = "arch" if "arch" in axes else None
    row_axes = [a for a in axes if a != column]
    if budgets_differ(summary):
        row_axes.append("epochs")
    return column, row_axes, Baseline(summary, row_axes)


def setting_namer(summary: pd.DataFrame):
    """A function naming one setting (a row with the axis columns) for legends and titles.

    Full-factorial sweeps: the varying axes' values (:func:`setting_label`);
    sparse ones: the architecture and what the setting changes from the baseline
    (``2-2-1 · init = xavier``), the budget left out.
    """
    return design_namer(sparse_design(summary), config_axes(summary))


def design_namer(design: tuple[str | None, list[str], Baseline] | None, axes: list[str]):
    """The namer of a layout: by ``axes``' values without a sparse ``design``; by the
    design's column and the change from its baseline with one."""
    if design is None:
        return lambda row: setting_label(row, axes)
    column, row_axes, baseline = design
    label_axes = [a for a in row_axes if a != "epochs"]

    def name(row) -> str:
        text = baseline.label(row, label_axes)
        return f"{value_text(column, row[column])} · {text}" if column else text

    return name
