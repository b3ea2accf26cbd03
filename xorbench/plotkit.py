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
from xorbench.choices import format_number
from xorbench.diagnose import FAILURE_LABELS

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
