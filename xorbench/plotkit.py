"""What the plots share: headless matplotlib, palettes, and the choice of facets.

A plot assigns each varying axis of a sweep a role (:func:`roles`): heatmap
rows and columns, facet rows and columns, line colour and dash. Values become
text labels in natural order (:func:`with_labels`), so ``2-2-1`` comes before
``2-10-1`` and ``0.5`` before ``2`` in every legend and facet.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # headless always: the CLI, CI and workers have no display

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker, transforms
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from xorbench import analysis
from xorbench.config.choices import format_number
from xorbench.schema import FAILURE_LABELS

# Okabe & Ito's colour-blind-safe colours, one per outcome, the same in every plot.
FAILURE_COLORS = {
    "none": "#009E73",  # bluish green: solved
    "diverged": "#D55E00",  # vermillion
    "symmetric": "#CC79A7",  # reddish purple
    "dead": "#000000",
    "saturated": "#E69F00",  # orange
    "slow": "#F0E442",  # yellow: more epochs would likely help
    "stuck": "#0072B2",  # blue
}
OUTCOME_NAMES = {"none": "solved"} | {label: label for label in FAILURE_LABELS if label != "none"}
RATE_CMAP = "viridis"  # perceptually uniform and colour-blind safe
LINE_PALETTE = "colorblind"
AXIS_TITLES = {"lr": "learning rate", "arch": "architecture", "epochs": "epoch budget",
               "bias_init": "bias init"}


# --- Tidy helpers ----------------------------------------------------------------


def config_axes(frame: pd.DataFrame) -> list[str]:
    """The configuration axes varying in ``frame``: no budget, ``arch`` rather than ``hidden``."""
    axes = [a for a in analysis.varying_axes(frame) if a != "epochs"]
    if "arch" in axes and "hidden" in axes:
        axes.remove("hidden")  # arch = inputs-hidden-1 already says it
    return axes


def at_largest_budget(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of each configuration at its largest epoch budget."""
    if frame.empty:
        return frame
    largest = frame.groupby("config_id", sort=False)["epochs"].transform("max")
    return frame[frame["epochs"] == largest].reset_index(drop=True)


def value_text(axis: str, value: object) -> str:
    """A value as its label: numbers in shortest form (``0.5``, ``2``), text as is."""
    if isinstance(value, float | np.floating | int | np.integer) and not isinstance(value, bool):
        return format_number(float(value)) if axis == "lr" else str(value)
    return str(value)


def ordered(frame: pd.DataFrame, axis: str) -> list[object]:
    """The distinct values of a column in natural order (numbers numeric, 2-2-1 before 2-10-1)."""
    values = pd.Series(frame[axis].dropna().unique())
    return list(values.iloc[np.argsort(analysis.natural_ranks(values), kind="stable")])


def axis_title(axes: Sequence[str]) -> str:
    return " · ".join(AXIS_TITLES.get(a, a) for a in axes)


def format_rate(rate: float) -> str:
    """A rate as a heatmap annotation: ``0.61`` → ``61%``."""
    return "" if pd.isna(rate) else f"{rate:.0%}"


def with_labels(frame: pd.DataFrame, roles_: dict[str, list[str]]) -> tuple[pd.DataFrame, dict]:
    """``frame`` plus one text column per role (its axes' values joined by " · ").

    Returns the frame and, per role, the column name and its levels in natural order.
    """
    frame = frame.copy()
    levels: dict[str, tuple[str, list[str]] | None] = {}
    for role, axes in roles_.items():
        if not axes:
            levels[role] = None
            continue
        column = f"_{role}"
        frame[column] = [" · ".join(value_text(a, v) for a, v in zip(axes, row, strict=True))
                         for row in frame[axes].itertuples(index=False)]
        order_frame = analysis.natural_sort(frame[[*axes, column]].drop_duplicates(), axes)
        levels[role] = (column, list(dict.fromkeys(order_frame[column])))
    return frame, levels


def roles(axes: Sequence[str], kind: str) -> dict[str, list[str]]:
    """Assign the varying axes to plot roles.

    ``kind`` ``"map"``: heatmap ``x`` (arch preferred), ``y`` (lr), facet ``col``
    (activation), ``row`` (init); further axes join ``row``. ``kind`` ``"lines"``:
    ``hue`` (lr), ``style`` (arch), ``col``, ``row``; further axes join ``hue``.
    ``kind`` ``"bars"``: facets only beyond two axes, everything else on ``bar``.
    """
    left = list(axes)
    first = [a for a in ("activation", "init") if a in left]
    left = first + [a for a in left if a not in first]

    def take(preferred: str) -> list[str]:
        if preferred in left:
            left.remove(preferred)
            return [preferred]
        return []

    if kind == "map":
        out = {"x": take("arch"), "y": take("lr"), "col": [], "row": []}
        fill, merge = ["x", "y", "col", "row"], "row"
    elif kind == "lines":
        out = {"hue": take("lr"), "style": take("arch"), "col": [], "row": []}
        fill, merge = ["hue", "col", "row", "style"], "hue"
    elif kind == "bars":
        out = {"bar": [], "col": [], "row": []}
        if len(left) > 2:
            out["col"], out["row"] = left[:1], left[1:2]
            left = left[2:]
        out["bar"] = left
        return out
    else:
        raise ValueError(f"unknown role kind {kind!r}")
    for role in fill:
        if left and not out[role]:
            out[role] = [left.pop(0)]
    out[merge] += left
    return out


def setting_label(row: pd.Series | dict, axes: Sequence[str]) -> str:
    """A setting in a few words: ``2-2-1 sigmoid · init xavier · lr 0.5`` (varying axes only)."""
    parts = []
    for axis in axes:
        text = value_text(axis, row[axis])
        parts.append(text if axis in ("arch", "activation", "task") else f"{axis} {text}")
    return " · ".join(parts) if parts else "the setting"


def seed_text(summary: pd.DataFrame) -> str:
    counts = summary["n_runs"]
    if counts.empty:
        return "0 seeds"
    low, high = int(counts.min()), int(counts.max())
    return f"{high} seeds" if low == high else f"{low}–{high} seeds"


def budget_text(frame: pd.DataFrame) -> str:
    budgets = frame.groupby("config_id")["epochs"].max()
    low, high = int(budgets.min()), int(budgets.max())
    return f"{high} epochs" if low == high else f"{low}–{high} epochs"


def task_name(frame: pd.DataFrame) -> str:
    tasks = frame["task"].unique() if "task" in frame.columns else []
    return str(tasks[0]).upper() if len(tasks) == 1 else "the task"


def add_titles(fig: Figure, title: str, caption: str, note: str | None = None) -> None:
    """The question as a title above the figure, the caption (what bars mean) below it.

    Both sit outside the figure's box; ``savefig(bbox_inches="tight")`` takes them in.
    """
    above = transforms.offset_copy(fig.transFigure, fig=fig, y=8, units="points")
    below = transforms.offset_copy(fig.transFigure, fig=fig, y=-10, units="points")
    fig.text(0.5, 1.0, title, ha="center", va="bottom", fontsize=13, fontweight="bold",
             transform=above)
    text = caption + (f" {note}" if note else "")
    text = text.replace(" %", "\u00a0%")  # never wrap "95 %" after the number
    wrapped = textwrap.fill(text, width=max(60, int(fig.get_figwidth() * 72 / 5.4)))
    fig.text(0.5, 0.0, wrapped, ha="center", va="top", fontsize=9, color="0.25",
             transform=below)


def legend_right(fig: Figure, sections: Sequence[tuple[str, Sequence[tuple[str, object]]]]
                 ) -> None:
    """One figure legend right of the panels (clear of the row titles), in sections.

    ``sections`` is [(title, [(label, handle), …]), …]; each title is shown bold
    above its entries (none when there is a single untitled section). The
    legend sits outside the figure box; ``savefig(bbox_inches="tight")`` keeps it.
    """
    sections = [(title, items) for title, items in sections if items]
    if not sections:
        return
    handles, labels, headers = [], [], []
    for title, items in sections:
        if title:
            handles.append(Patch(visible=False))  # a title row: no handle drawn
            labels.append(title)
            headers.append(len(labels) - 1)
        for label, handle in items:
            handles.append(handle)
            labels.append(label)
    legend = fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5),
                        frameon=False, handlelength=2.4)
    for i in headers:
        legend.get_texts()[i].set_fontweight("bold")


def plain_log_ticks(ax) -> None:
    """Log-axis ticks as plain numbers (1, 10, 100) rather than powers of ten."""
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))


def facet_titles(g: sns.FacetGrid, titles: dict[str, str]) -> None:
    col = f"{titles['col']}: {{col_name}}" if titles.get("col") else "{col_name}"
    row = f"{titles['row']}: {{row_name}}" if titles.get("row") else "{row_name}"
    g.set_titles(col_template=col, row_template=row)


# --- Sparse sweeps: a union of sub-grids ---------------------------------------------

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
    frame = analysis.natural_sort(frame, ["_first_change", *axes])
    return frame.drop(columns="_first_change")


def quiet_layout(function):
    """Run a plot function with matplotlib's "Tight layout not applied" warning silenced.

    seaborn's FacetGrid calls ``tight_layout`` while it builds; titles and legends
    placed outside the panels (taken in by ``savefig(bbox_inches="tight")``) can
    make it give up with that UserWarning, which says nothing to a user.
    """
    import functools
    import warnings

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Tight layout not applied",
                                    category=UserWarning)
            warnings.filterwarnings("ignore", message="The figure layout has changed to tight",
                                    category=UserWarning)
            return function(*args, **kwargs)

    return wrapper


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
    design = sparse_design(summary)
    axes = config_axes(summary)
    if design is None:
        return lambda row: setting_label(row, axes)
    column, row_axes, baseline = design
    label_axes = [a for a in row_axes if a != "epochs"]

    def name(row) -> str:
        text = baseline.label(row, label_axes)
        return f"{value_text(column, row[column])} · {text}" if column else text

    return name


def text_role(data: pd.DataFrame, axis: str | None, name: str) -> tuple | None:
    """A plot role from ``axis``: its values as label text in a new column ``name`` and
    their natural order; None without an axis."""
    if not axis:
        return None
    data[name] = data[axis].map(lambda v: value_text(axis, v))
    return (name, [value_text(axis, v) for v in ordered(data, axis)])
