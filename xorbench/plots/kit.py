"""What the plots share: headless matplotlib, palettes, and the choice of facets.

A plot assigns each varying axis of a sweep a role (:func:`roles`): heatmap
rows and columns, facet rows and columns, line colour and dash. Values become
text labels in natural order (:func:`with_labels`), so ``2-2-1`` comes before
``2-10-1`` and ``0.5`` before ``2`` in every legend and facet.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # headless always: the CLI, CI and workers have no display

import pandas as pd
import seaborn as sns
from matplotlib import ticker, transforms
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from xorbench import analysis
from xorbench.analysis.design import (
    Baseline,
    budgets_differ,
    config_axes,
    design_namer,
    is_sparse,
    ordered,
)
from xorbench.analysis.order import varying_axes
from xorbench.analysis.text import interval_text, percent, value_text
from xorbench.grid.plotroles import PlotRoles
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
               "bias_init": "bias init", "hidden": "hidden units"}


# --- Tidy helpers ----------------------------------------------------------------


def axis_title(axes: Sequence[str]) -> str:
    return " · ".join(AXIS_TITLES.get(a, a) for a in axes)


def format_rate(rate: float) -> str:
    """A rate as a heatmap annotation: ``0.61`` → ``61%``."""
    return percent(rate, sep="", missing="")


def n_varies(frame: pd.DataFrame) -> bool:
    """Whether the settings of ``frame`` ran different numbers of seeds (adaptive seeds)."""
    return "n_runs" in frame and frame["n_runs"].nunique() > 1


def rate_texts(frame: pd.DataFrame) -> pd.Series:
    """Each row's rate as an annotation, ``61%``; ``61%`` over ``n=400`` where the settings
    of ``frame`` ran different numbers of seeds, so that a rate is read with its n."""
    texts = frame["rate"].map(format_rate)
    if not n_varies(frame):
        return texts
    counts = frame["n_runs"].map(lambda n: f"\nn={int(n)}" if pd.notna(n) else "")
    return (texts + counts).where(texts != "", "")


def rate_caption(frame: pd.DataFrame, n_shown: bool = False) -> str:
    """What the intervals are (Wilson's 95 %, or its Bonferroni bound for adaptive seeds
    that decide); where the settings ran different numbers of seeds, what n is (with
    ``n_shown``, the plot writes it beside each rate) or that the widths differ."""
    methods = frame["ci_method"].unique() if "ci_method" in frame else ["wilson"]
    text = interval_text(methods)
    if n_varies(frame):
        text += ("; n: the seeds a setting ran (adaptive seeds stop each at its own n)"
                 if n_shown else "; the settings ran different numbers of seeds (adaptive "
                 "seeds), so their intervals differ in width")
    return text


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


# The user's roles (--hue, --col, --row) as each kind of plot calls them: the colour of
# the lines is the heatmap's y axis (the learning rate, by default, in both) and the
# bars of the failure plot.
USER_ROLES = {"map": {"hue": "y", "col": "col", "row": "row"},
              "lines": {"hue": "hue", "col": "col", "row": "row"},
              "bars": {"hue": "bar", "col": "col", "row": "row"}}


def roles(axes: Sequence[str], kind: str, chosen: Mapping[str, str] | None = None
          ) -> dict[str, list[str]]:
    """Assign the varying axes to plot roles; ``chosen`` (role → axis) wins.

    ``kind`` ``"map"``: heatmap ``x`` (arch preferred), ``y`` (lr), facet ``col``
    (activation), ``row`` (init); further axes join ``row``. ``kind`` ``"lines"``:
    ``hue`` (lr), ``style`` (arch), ``col``, ``row``; further axes join ``hue``.
    ``kind`` ``"bars"``: facets only beyond two axes, everything else on ``bar``.
    ``chosen`` uses the user's names (``hue``, ``col``, ``row``; :data:`USER_ROLES`)
    and axis columns (:func:`plot_axes`); a further axis joins a role nobody chose.
    """
    if kind not in USER_ROLES:
        raise ValueError(f"unknown role kind {kind!r}")
    fixed = {USER_ROLES[kind][role]: axis for role, axis in (chosen or {}).items()
             if axis in axes}
    left = [a for a in axes if a not in fixed.values()]
    first = [a for a in ("activation", "init") if a in left]
    left = first + [a for a in left if a not in first]

    def take(*preferred: str) -> list[str]:
        for axis in preferred:
            if axis in left:
                left.remove(axis)
                return [axis]
        return []

    names = {"map": ("x", "y", "col", "row"), "lines": ("hue", "style", "col", "row"),
             "bars": ("bar", "col", "row")}[kind]
    out = {role: [fixed[role]] if role in fixed else [] for role in names}
    if kind == "bars":
        if len(left) + len(out["bar"]) > 2:
            for role in ("col", "row"):
                if not out[role] and left:
                    out[role] = [left.pop(0)]
        out["bar"] += left
        return out
    if kind == "map":
        out["x"] = out["x"] or take("arch", "hidden")
        out["y"] = out["y"] or take("lr")
        fill, merge = ["x", "y", "col", "row"], ["row", "col", "x"]
    else:
        out["hue"] = out["hue"] or take("lr")
        out["style"] = take("arch", "hidden")
        fill, merge = ["hue", "col", "row", "style"], ["hue", "row", "col"]
    for role in fill:
        if left and not out[role]:
            out[role] = [left.pop(0)]
    if left:
        out[next((r for r in merge if r not in fixed), merge[0])] += left
    return out


def plot_axes(frame: pd.DataFrame) -> list[str]:
    """The axes a plot shows (:func:`~xorbench.analysis.design.config_axes`), with the
    hidden widths instead of the architecture where the task changes the inputs: a
    sweep of xor and parity(3) over widths 2 and 4 is task × hidden, not four shapes."""
    axes = config_axes(frame)
    if "task" not in axes or "arch" not in axes:
        return axes
    swapped = "hidden" in varying_axes(frame)
    return [("hidden" if a == "arch" else a) for a in axes if a != "arch" or swapped]


def plot_design(summary: pd.DataFrame, column: str | None = None
                ) -> tuple[str | None, list[str], Baseline] | None:
    """:func:`~xorbench.analysis.design.sparse_design` over :func:`plot_axes`: how a union
    of one-change sub-grids is drawn (the axis of the panel columns, the axes that name a
    setting by its change from the baseline, the baseline), or None for a full grid.

    ``column`` (an axis that varies) takes the architecture's place as the columns.
    """
    axes = plot_axes(summary)
    if not is_sparse(summary, axes):
        return None
    if column not in axes:
        column = "arch" if "arch" in axes else None
    row_axes = [a for a in axes if a != column]
    if budgets_differ(summary):
        row_axes.append("epochs")
    return column, row_axes, Baseline(summary, row_axes)


def plot_namer(summary: pd.DataFrame, column: str | None = None):
    """A function naming one setting in legends and titles, as the plots lay it out:
    ``2-2-1 · init = xavier`` in a union of sub-grids (:func:`plot_design`), the varying
    values (``xor · 2-2-1 · tanh``) otherwise."""
    axes = ["arch" if a == "hidden" else a for a in plot_axes(summary)]
    return design_namer(plot_design(summary, column), axes)


def sparse_unused(wanted: Mapping[str, str]) -> str:
    """What a union of sub-grids cannot follow of the user's choice (only ``col``), in words."""
    unused = [f"{role} = {'hidden' if axis == 'arch' else axis}"
              for role, axis in wanted.items() if role != "col"]
    if not unused:
        return ""
    return (f"Not followed: {', '.join(unused)} (a union of sub-grids is drawn setting by "
            "setting; only col chooses its panels).")


def role_columns(frame: pd.DataFrame, chosen: PlotRoles | None) -> dict[str, str]:
    """The user's choice as role → axis column of ``frame`` (``hidden`` is the ``arch``
    column unless :func:`plot_axes` shows the widths)."""
    if chosen is None:
        return {}
    axes = plot_axes(frame)
    return {role: ("arch" if axis == "hidden" and "hidden" not in axes else axis)
            for role, axis in chosen.chosen().items()}


def add_titles(fig: Figure, title: str, caption: str, note: str | None = None) -> None:
    """The question as a title above the figure, the caption (what bars mean) below it.

    Both sit outside the figure's box; ``savefig(bbox_inches="tight")`` takes them in.
    """
    above = transforms.offset_copy(fig.transFigure, fig=fig, y=8, units="points")
    below = transforms.offset_copy(fig.transFigure, fig=fig, y=-10, units="points")
    title = textwrap.fill(title, width=max(40, int(fig.get_figwidth() * 72 / 8.0)),
                          break_on_hyphens=False)
    fig.text(0.5, 1.0, title, ha="center", va="bottom", fontsize=13, fontweight="bold",
             transform=above)
    text = caption + (f" {note}" if note else "")
    text = text.replace(" %", "\u00a0%")  # never wrap "95 %" after the number
    wrapped = textwrap.fill(text, width=max(60, int(fig.get_figwidth() * 72 / 5.4)))
    fig.text(0.5, 0.0, wrapped, ha="center", va="top", fontsize=9, color="0.25",
             transform=below)


def wrap_parts(text: str, width: int, sep: str = " · ") -> str:
    """``text`` on lines of about ``width`` characters, broken only between its parts
    (``activation = tanh`` never becomes ``activation =⏎tanh``); a part longer than
    ``width`` keeps a line of its own."""
    lines: list[str] = []
    for part in text.split(sep):
        if lines and len(lines[-1]) + len(sep) + len(part) <= width:
            lines[-1] += sep + part
        else:
            lines.append(part)
    return "\n".join(lines)


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


def text_role(data: pd.DataFrame, axis: str | None, name: str) -> tuple | None:
    """A plot role from ``axis``: its values as label text in a new column ``name`` and
    their natural order; None without an axis."""
    if not axis:
        return None
    data[name] = data[axis].map(lambda v: value_text(axis, v))
    return (name, [value_text(axis, v) for v in ordered(data, axis)])
