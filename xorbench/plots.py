"""The six pictures of a sweep, each a function of tidy DataFrames returning a figure.

1. :func:`reliability_map` — convergence-rate heatmaps (the picture that answers
   the question);
2. :func:`rate_vs_budget` — rate against epoch budget with Wilson bands;
3. :func:`epoch_solved_ecdf` — how fast the runs that succeed get there;
4. :func:`failure_modes` — stacked bars of failure labels per setting;
5. :func:`learning_curves` — median loss with its interquartile band;
6. :func:`decision_boundaries` — a gallery of solved and failed networks
   (:mod:`xorbench.boundaries`).

Inputs are the frames of ``summary.csv``, ``runs.csv``, ``curves.csv`` and the
shards' final parameters. Each plot picks its facets from the axes that vary
(:func:`xorbench.plotkit.roles`), so a one-axis sweep gets a line or bar plot,
not a grid of empty facets. Nothing here saves a file except :func:`save_all`;
nothing trains. matplotlib always runs headless (Agg). Loading a folder's data
lives in :mod:`xorbench.plotdata`, which needs no matplotlib.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from xorbench import analysis
from xorbench.boundaries import decision_boundaries, gallery_runs, network_output
from xorbench.diagnose import FAILURE_LABELS
from xorbench.plotdata import PLOT_NAMES, PlotData, load_plot_data, read_params
from xorbench.plotkit import (
    FAILURE_COLORS,
    LINE_PALETTE,
    OUTCOME_NAMES,
    RATE_CMAP,
    add_titles,
    at_largest_budget,
    axis_title,
    budget_text,
    config_axes,
    facet_titles,
    format_rate,
    legend_right,
    ordered,
    plain_log_ticks,
    quiet_layout,
    roles,
    seed_text,
    setting_namer,
    sparse_design,
    sparse_rows,
    task_name,
    value_text,
    with_labels,
)

__all__ = [
    "PLOT_NAMES", "PlotData", "decision_boundaries", "draw_all", "epoch_solved_ecdf",
    "failure_modes", "gallery_runs", "learning_curves", "load_plot_data", "network_output",
    "rate_vs_budget", "read_params", "reliability_map", "save_all",
]

# A line plot shows at most this many settings before it picks settings of interest.
MAX_LINES_PER_FACET, MAX_FACETS = 10, 16
MAX_BARS = 24  # failure bars per panel above this: the least reliable settings only


# --- 1. Reliability map ------------------------------------------------------------


@quiet_layout
def reliability_map(summary: pd.DataFrame, note: str | None = None) -> Figure:
    """Convergence-rate heatmaps: lr × architecture, faceted activation (cols) × init (rows).

    ``summary`` is a summary table (:func:`xorbench.analysis.summarize`); each
    configuration is shown at its largest epoch budget. Every cell is annotated
    with its rate (:func:`format_rate`); one colour scale 0–100 % for all facets.
    With one varying axis the map is a bar (or, for the learning rate, a line)
    plot with Wilson 95 % error bars; with none, a single bar. A sparse sweep (a
    union of sub-grids, :func:`xorbench.plotkit.is_sparse`) gets one heatmap,
    settings × architecture (:func:`_sparse_map`).
    """
    data = at_largest_budget(summary)
    axes = config_axes(data)
    task, seeds, budget = task_name(data), seed_text(data), budget_text(data)
    title = f"Which settings learn {task} reliably?"
    if len(axes) <= 1:
        return _rate_bars(data, axes, title, seeds, budget, note)
    design = sparse_design(summary)
    if design is not None:
        return _sparse_map(summary, design, title, note)
    r = roles(axes, "map")
    data, levels = with_labels(data, r)
    data["_pct"] = data["rate"] * 100
    data["_text"] = data["rate"].map(format_rate)
    xcol, xorder = levels["x"]
    ycol, yorder = levels["y"]
    col = levels["col"][0] if levels["col"] else None
    row = levels["row"][0] if levels["row"] else None
    n_cols = len(levels["col"][1]) if col else 1
    cell = 0.55 if len(xorder) * n_cols > 12 else 0.75
    single = col is None and row is None
    width = max(4.0 if single else 2.6, len(xorder) * cell + 1.2)
    height = max(3.0 if single else 1.8, len(yorder) * 0.45 + 1.0)
    g = sns.FacetGrid(
        data, col=col, row=row,
        col_order=levels["col"][1] if col else None,
        row_order=levels["row"][1] if row else None,
        height=height, aspect=width / height, margin_titles=True, despine=False,
        sharex=True, sharey=True,
    )
    if len(r["y"]) == 1 and pd.api.types.is_numeric_dtype(data[r["y"][0]]):
        yorder = yorder[::-1]  # a number axis grows upwards; labels read top-down
    g.map_dataframe(_heatmap, x=xcol, y=ycol, x_order=xorder, y_order=yorder)
    g.set_axis_labels(axis_title(r["x"]), axis_title(r["y"]))
    facet_titles(g, {k: axis_title(v) for k, v in r.items()})
    for ax in g.axes.flat:
        ax.tick_params(length=0)
    g.figure.subplots_adjust(right=0.86 if row else 0.9)
    cax = g.figure.add_axes([0.93 if row else 0.92, 0.25, 0.015, 0.5], label="<colorbar>")
    mappable = plt.cm.ScalarMappable(norm=plt.Normalize(0, 100), cmap=RATE_CMAP)
    g.figure.colorbar(mappable, cax=cax, label="seeds solved (%)")
    add_titles(g.figure, title,
            f"Each cell: the share of {seeds} that solve {task} within {budget} "
            f"(the largest budget of each setting); one 0–100 % colour scale for all panels.",
            note)
    return g.figure


def _sparse_map(summary: pd.DataFrame, design: tuple, title: str, note: str | None) -> Figure:
    """One heatmap: a row per setting (named by its change from the baseline), a column
    per architecture, each cell annotated with its rate; grey cells were not run."""
    column, row_axes, baseline = design
    task, seeds = task_name(summary), seed_text(summary)
    data = summary if "epochs" in row_axes else at_largest_budget(summary)
    data = sparse_rows(data, row_axes, baseline, "_row")
    row_order = list(dict.fromkeys(data["_row"]))
    col = _text_role(data, column, "_col")
    if col is None:
        data["_col"] = "rate"
    col_order = col[1] if col else ["rate"]
    data["_pct"] = data["rate"] * 100
    data["_text"] = data["rate"].map(format_rate)
    pct = data.pivot_table(index="_row", columns="_col", values="_pct", aggfunc="first")
    pct = pct.reindex(index=row_order, columns=col_order)
    text = data.pivot_table(index="_row", columns="_col", values="_text", aggfunc="first")
    text = text.reindex(index=row_order, columns=col_order).astype(object).fillna("")
    # the row labels sit inside the figure, so the title and caption centre on it all
    labels_width = 0.075 * max(len(r) for r in row_order) + 0.6  # inches, at 10 pt
    cells_width = 0.85 * len(col_order) + 1.2  # with the colour bar
    width, height = labels_width + cells_width, max(2.6, 0.36 * len(row_order) + 0.9)
    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(left=labels_width / width, right=0.97, top=1 - 0.15 / height,
                        bottom=0.6 / height)
    ax.set_facecolor("0.9")  # cells the sweep did not run show through the mask
    sns.heatmap(pct, annot=text.to_numpy(), fmt="", vmin=0, vmax=100, cmap=RATE_CMAP,
                linewidths=1, linecolor="white", ax=ax, annot_kws={"fontsize": 9},
                cbar_kws={"label": "seeds solved (%)", "shrink": min(1.0, 6 / height)})
    ax.tick_params(length=0)
    ax.tick_params(axis="y", rotation=0)
    ax.tick_params(axis="x", rotation=0)
    for label in ax.get_yticklabels():
        if label.get_text() == "baseline":
            label.set_fontweight("bold")
    ax.set_xlabel(axis_title([column]) if column else "")
    ax.set_ylabel("change from the baseline")
    budget = ("within the budget its row names" if "epochs" in row_axes
              else f"within {budget_text(summary)} (its largest budget)")
    missing = " Grey: not in the sweep." if pct.isna().to_numpy().any() else ""
    add_titles(fig, title,
               f"Each row: a setting of the sweep, named by what it changes from the baseline "
               f"({baseline.describe()}). Each cell: the share of {seeds} that solve {task} "
               f"{budget}; one 0–100 % colour scale.{missing}", note)
    return fig


def _heatmap(data: pd.DataFrame, x: str, y: str, x_order: list, y_order: list, color=None,
             **_) -> None:
    # pivot to wide only here; missing settings stay blank (NaN cells are masked)
    pct = data.pivot_table(index=y, columns=x, values="_pct", aggfunc="first")
    pct = pct.reindex(index=y_order, columns=x_order)
    text = data.pivot_table(index=y, columns=x, values="_text", aggfunc="first")
    text = text.reindex(index=y_order, columns=x_order).astype(object).fillna("")
    sns.heatmap(pct, annot=text.to_numpy(), fmt="", vmin=0, vmax=100, cmap=RATE_CMAP,
                cbar=False, linewidths=0.5, linecolor="white", ax=plt.gca(),
                annot_kws={"fontsize": 9})
    ax = plt.gca()
    ax.tick_params(axis="y", rotation=0)
    ax.tick_params(axis="x", rotation=0)
    ax.set_xlabel("")
    ax.set_ylabel("")


def _rate_bars(data: pd.DataFrame, axes: list[str], title: str, seeds: str, budget: str,
               note: str | None) -> Figure:
    """The one-axis (or no-axis) reliability plot: rate per value with Wilson error bars."""
    axis = axes[0] if axes else None
    data = data.copy()
    data["_pct"] = data["rate"] * 100
    caption = (f"Share of {seeds} that solve {task_name(data)} within {budget}; "
               "error bars: Wilson 95 % confidence interval.")
    numeric = axis is not None and pd.api.types.is_numeric_dtype(data[axis])
    with sns.axes_style("whitegrid"):
        if numeric:
            data = analysis.natural_sort(data, [axis])
            g = sns.relplot(data=data, x=axis, y="_pct", kind="line", marker="o",
                            color=sns.color_palette(LINE_PALETTE)[0], height=3.6, aspect=1.5)
            ax = g.ax
            ax.errorbar(data[axis], data["_pct"],
                        yerr=[data["_pct"] - data["ci_low"] * 100,
                              data["ci_high"] * 100 - data["_pct"]],
                        fmt="none", ecolor="0.3", capsize=4)
            if axis == "lr" and (data[axis] > 0).all():
                ax.set_xscale("log")
            ax.set_xticks(data[axis], [value_text(axis, v) for v in data[axis]])
            ax.minorticks_off()
            ax.margins(x=0.08)
            xs = data[axis].to_numpy()
        else:
            data["_bar"] = (data[axis].map(lambda v: value_text(axis, v)) if axis
                            else "this setting")
            order = ([value_text(axis, v) for v in ordered(data, axis)] if axis
                     else ["this setting"])
            data = data.set_index("_bar").loc[order].reset_index()
            g = sns.catplot(data=data, x="_bar", y="_pct", kind="bar", order=order,
                            color=sns.color_palette(LINE_PALETTE)[0], errorbar=None,
                            height=3.6, aspect=max(1.0, min(2.5, len(order) * 0.3)))
            ax = g.ax
            xs = np.arange(len(order))
            ax.errorbar(xs, data["_pct"],
                        yerr=[data["_pct"] - data["ci_low"] * 100,
                              data["ci_high"] * 100 - data["_pct"]],
                        fmt="none", ecolor="0.3", capsize=4)
        for xv, pct, rate in zip(xs, data["_pct"], data["rate"], strict=True):
            ax.annotate(format_rate(rate), (xv, pct), xytext=(6, 4), textcoords="offset points",
                        fontsize=8)
        ax.set_ylim(0, 108)
        ax.set_xlabel(axis_title([axis]) if axis else "")
        ax.set_ylabel("seeds solved (%)")
    add_titles(g.figure, title, caption, note)
    return g.figure


# --- 2. Rate against the epoch budget ----------------------------------------------------


@dataclass
class _Lines:
    """A line plot's data with its role columns and levels, or settings of interest."""

    data: pd.DataFrame
    hue: tuple[str, list[str]] | None
    style: tuple[str, list[str]] | None
    col: tuple[str, list[str]] | None
    row: tuple[str, list[str]] | None
    titles: dict[str, str]
    selection: str  # "" when every setting is shown
    ordered_hue: bool = False  # hue levels are numbers: a sequential palette


def _line_roles(frame: pd.DataFrame, summary: pd.DataFrame, n_gain: int = 0,
                configs: Sequence[str] | None = None) -> _Lines:
    """Facet and hue roles for a per-setting line plot; too many settings → a selection.

    Too many lines in a panel first moves the dashed axis to a free facet slot;
    if the plot is still too crowded it shows :func:`settings_of_interest` only
    (``n_gain`` of them chosen for the largest gain with the budget). A sparse
    sweep gets a line per setting, named by its change from the baseline, in a
    panel per architecture (:func:`_sparse_lines`). ``configs`` limits the lines
    to those configurations (the design is still chosen from all of ``summary``).
    """
    if configs is not None:
        frame = frame[frame["config_id"].isin(configs)]
    design = sparse_design(summary)
    if design is not None:
        return _sparse_lines(frame, summary, design, n_gain, configs)
    axes = config_axes(summary)
    r = roles(axes, "lines")

    def count(keys: Sequence[str]) -> int:
        return int(np.prod([frame[a].nunique() for k in keys for a in r[k]] or [1]))

    if count(["hue", "style"]) > MAX_LINES_PER_FACET and r["style"]:
        free = [k for k in ("row", "col") if not r[k]]
        if free:
            r[free[0]], r["style"] = r["style"], []
    if count(["hue", "style"]) <= MAX_LINES_PER_FACET and count(["col", "row"]) <= MAX_FACETS:
        data, levels = with_labels(frame, r)
        return _Lines(data, levels["hue"], levels["style"], levels["col"], levels["row"],
                      {k: axis_title(v) for k, v in r.items()}, "",
                      ordered_hue=len(r["hue"]) == 1 and pd.api.types.is_numeric_dtype(
                          frame[r["hue"][0]]))
    chosen, text = settings_of_interest(_only(summary, configs), n_gain=n_gain)
    data = frame[frame["config_id"].isin(chosen)].copy()
    labels = at_largest_budget(summary).set_index("config_id")
    name = setting_namer(summary)
    names = {c: name(labels.loc[c]) for c in chosen}
    data["_hue"] = data["config_id"].map(names)
    return _Lines(data, ("_hue", [names[c] for c in chosen]), None, None, None,
                  {"hue": "setting"}, text)


def _only(summary: pd.DataFrame, configs: Sequence[str] | None) -> pd.DataFrame:
    return summary if configs is None else summary[summary["config_id"].isin(configs)]


def _sparse_lines(frame: pd.DataFrame, summary: pd.DataFrame, design: tuple, n_gain: int,
                  configs: Sequence[str] | None) -> _Lines:
    """Lines of a sparse sweep: hue = the change from the baseline, a panel per architecture.

    More settings than :data:`MAX_LINES_PER_FACET` → :func:`settings_of_interest` only.
    """
    column, row_axes, baseline = design
    hue_axes = [a for a in row_axes if a != "epochs"]  # the budget is the x axis
    selection = ""
    if frame.empty:
        chosen = []
    else:
        n_hue = len(frame[hue_axes].drop_duplicates()) if hue_axes else 1
        if n_hue > MAX_LINES_PER_FACET:
            chosen, selection = settings_of_interest(_only(summary, configs), n_gain=n_gain)
            frame = frame[frame["config_id"].isin(chosen)]
    data = sparse_rows(frame, hue_axes, baseline, "_hue")
    hue = ("_hue", list(dict.fromkeys(data["_hue"])))
    col = _text_role(data, column, "_col")
    return _Lines(data, hue, None, col, None,
                  {"hue": "change from the baseline", "col": axis_title([column])
                   if column else ""}, selection)


def settings_of_interest(summary: pd.DataFrame, n_best: int = 4, n_worst: int = 4,
                         n_gain: int = 0) -> tuple[list[str], str]:
    """A few configurations worth a line each (config_ids, best first) and their description.

    The ``n_best`` most and ``n_worst`` least reliable at their largest budget,
    and with ``n_gain`` the ones whose rate grows most from the smallest to the
    largest budget (those take the place of the best and worst ones).
    """
    board = at_largest_budget(summary)
    keys = ["rate", "ci_low", "median_epoch_solved", *analysis.CONFIG_AXES]
    ranked = analysis.natural_sort(board, keys, descending=("rate", "ci_low"))
    gain: list[str] = []
    if n_gain:
        first = summary.loc[summary.groupby("config_id")["epochs"].idxmin()]
        growth = board.set_index("config_id")["rate"] - first.set_index("config_id")["rate"]
        growth = growth[growth > 0].sort_values(ascending=False, kind="stable")
        gain = list(growth.index[:n_gain])
        n_best, n_worst = max(n_best - len(gain) // 2, 2), max(n_worst - len(gain) // 2, 2)
    best = [c for c in ranked["config_id"] if c not in gain][:n_best]
    worst = [c for c in ranked["config_id"].iloc[::-1] if c not in best + gain][:n_worst]
    text = f"the {len(best)} most and {len(worst)} least reliable"
    if gain:
        text += f" and the {len(gain)} most helped by more epochs"
    text += f", of {len(ranked)} settings"
    order = [c for c in ranked["config_id"] if c in set(best + worst + gain)]
    return order, text


def _facet_kwargs(lines: _Lines) -> dict:
    kwargs: dict = {}
    for role in ("hue", "style", "col", "row"):
        level = getattr(lines, role)
        if level:
            kwargs[role] = level[0]
            kwargs[f"{role}_order"] = level[1]
    return kwargs


def _palette(lines: _Lines) -> dict[str, tuple] | None:
    if not lines.hue:
        return None
    levels = lines.hue[1]
    if lines.ordered_hue and len(levels) > 3:
        colors = sns.color_palette("flare", len(levels))  # sequential: the order shows
    elif len(levels) <= 10:
        colors = sns.color_palette(LINE_PALETTE, len(levels))
    else:
        colors = sns.color_palette("husl", len(levels))
    return dict(zip(levels, colors, strict=True))


# Dash patterns of the style levels (solid first), as (on, off, …) in points.
DASHES = ["", (4, 1.5), (1, 1), (3, 1.25, 1.5, 1.25), (5, 1, 1, 1), (6, 2), (2, 2, 6, 2)]


def _relplot(lines: _Lines, x: str, y: str, height: float = 2.6, **kwargs) -> sns.FacetGrid:
    """A relplot of ``lines`` with our own legend, right of the panels and their titles.

    Building the legend directly (rather than seaborn's ``add_legend``) spares a
    full draw of the figure just to measure it.
    """
    facet = _facet_kwargs(lines)
    palette = _palette(lines)
    color = None if palette else sns.color_palette(LINE_PALETTE)[0]
    dashes = (dict(zip(lines.style[1], itertools.cycle(DASHES), strict=False))
              if lines.style else True)
    n_cols = len(lines.col[1]) if lines.col else 1
    aspect = 1.25 if n_cols > 1 else 1.6
    if not lines.col and not lines.row:
        height = max(height, 3.4)  # one panel: room for its many lines
    elif lines.hue and len(lines.hue[1]) > 6:
        height = max(height, 3.2)  # many lines in each panel
    with sns.axes_style("whitegrid"):
        g = sns.relplot(data=lines.data, x=x, y=y, kind="line", palette=palette, color=color,
                        dashes=dashes, height=height, aspect=aspect, estimator=None, sort=True,
                        legend=False, facet_kws={"margin_titles": True}, **facet, **kwargs)
    facet_titles(g, lines.titles)
    marker = kwargs.get("marker")
    sections: list[tuple[str, list[tuple[str, Line2D]]]] = []
    if lines.hue:
        sections.append((lines.titles.get("hue", ""), [
            (level, Line2D([], [], color=palette[level], marker=marker, markersize=4))
            for level in lines.hue[1]]))
    if lines.style:
        sections.append((lines.titles.get("style", ""), [
            (level, Line2D([], [], color="0.3", marker=marker, markersize=4,
                           dashes=dashes[level] or (None, None)))
            for level in lines.style[1]]))
    legend_right(g.figure, sections)
    return g


def _bands(g: sns.FacetGrid, lines: _Lines, x: str, low: str, high: str,
           alpha: float = 0.15) -> None:
    """Shade [low, high] around each line in its hue colour."""
    palette = _palette(lines)
    keys = [k for k in (lines.hue and lines.hue[0], lines.style and lines.style[0]) if k]
    for (row, col, _), subset in g.facet_data():
        if subset.empty:
            continue
        ax = g.facet_axis(row, col)
        groups = subset.groupby(keys, sort=False) if keys else [(None, subset)]
        for _key, part in groups:
            hue_value = part[lines.hue[0]].iloc[0] if lines.hue else None
            color = palette[hue_value] if palette else sns.color_palette(LINE_PALETTE)[0]
            part = part.sort_values(x)
            ax.fill_between(part[x], part[low], part[high], color=color, alpha=alpha,
                            linewidth=0)


@quiet_layout
def rate_vs_budget(summary: pd.DataFrame, curves: pd.DataFrame | None = None,
                   note: str | None = None) -> Figure:
    """Convergence rate against the epoch budget, one line per setting, Wilson 95 % bands.

    With a single budget in ``summary`` the rate is drawn from ``curves`` instead
    (the share of seeds solved by each log-spaced epoch), if given.
    """
    task = task_name(summary)
    single_budget = summary["epochs"].nunique() < 2
    title = "Does a longer training budget help?"
    if single_budget and curves is not None and not curves.empty:
        data = curves.copy()
        data["n_solved"] = np.round(data["frac_solved"] * data["n_runs"])
        low, high = analysis.wilson_interval(data["n_solved"], data["n_runs"])
        data = data.assign(rate=data["frac_solved"], ci_low=low, ci_high=high, epochs=data["epoch"])
        xlabel = "epoch"
        caption = (f"Share of seeds that had solved {task} by each epoch (one training budget "
                   "in this sweep); bands: Wilson 95 % confidence interval.")
    else:
        data = summary
        xlabel = "epoch budget"
        caption = (f"Share of {seed_text(summary)} that solve {task} within each budget; "
                   "bands: Wilson 95 % confidence interval.")
    data = data.assign(_pct=data["rate"] * 100, _low=data["ci_low"] * 100,
                       _high=data["ci_high"] * 100)
    configs = None
    if not single_budget and sparse_design(summary) is not None:
        # a union of sub-grids: the settings trained at one budget say nothing here
        n_budgets = summary.groupby("config_id")["epochs"].nunique()
        configs = list(n_budgets.index[n_budgets > 1])
        n_left = int((n_budgets == 1).sum())
        if n_left:
            caption += (f" The {n_left} settings trained at a single budget are left out "
                        "(the reliability map shows them).")
    lines = _line_roles(data, summary, n_gain=0 if single_budget else 4, configs=configs)
    g = _relplot(lines, x="epochs", y="_pct", marker="o" if not single_budget else None,
                 markersize=4)
    _bands(g, lines, "epochs", "_low", "_high")
    budgets = sorted(data["epochs"].unique())
    for ax in g.axes.flat:
        ax.set_xscale("log")
        plain_log_ticks(ax)
        ax.set_ylim(-3, 103)
        if not single_budget:
            ax.set_xticks(budgets, [str(b) for b in budgets])
            ax.minorticks_off()
    g.set_axis_labels(xlabel, "seeds solved (%)")
    if lines.selection:
        title += f" ({lines.selection})"
    add_titles(g.figure, title, caption, note)
    return g.figure


# --- 3. ECDF of the epoch solved -----------------------------------------------------------


def ecdf_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """Step points of each configuration's ECDF of ``epoch_solved`` over all its seeds.

    Uses each configuration's runs at its largest budget. Columns: config_id,
    the axes, ``epoch`` (≥ 1: a run solved at initialisation counts at epoch 1)
    and ``share`` (% of all seeds solved by then). Each curve starts at (1, 0) and
    ends at (budget, rate): the seeds that never solve keep it below 100 %.
    """
    last = at_largest_budget(runs)
    keep = ["config_id", *[c for c in analysis.CONFIG_AXES if c in last.columns]]
    pieces = []
    for _config_id, part in last.groupby("config_id", sort=False):
        n = len(part)
        solved = part.loc[part["solved"].astype(bool), "epoch_solved"]
        epochs = np.sort(np.maximum(pd.to_numeric(solved).to_numpy(np.float64), 1))
        budget = int(part["epochs"].iloc[0])
        xs = np.concatenate([[1.0], epochs, [budget]])
        ys = np.concatenate([[0.0], np.arange(1, len(epochs) + 1) / n, [len(epochs) / n]])
        piece = pd.DataFrame({"epoch": xs, "share": ys * 100})
        for column in keep:
            piece[column] = part[column].iloc[0]
        pieces.append(piece)
    if not pieces:
        return pd.DataFrame(columns=[*keep, "epoch", "share"])
    return pd.concat(pieces, ignore_index=True)[[*keep, "epoch", "share"]]


@quiet_layout
def epoch_solved_ecdf(runs: pd.DataFrame, summary: pd.DataFrame,
                      note: str | None = None) -> Figure:
    """ECDF of ``epoch_solved`` per setting on a log epoch axis, as a share of all seeds."""
    task = task_name(summary)
    data = ecdf_frame(runs)
    lines = _line_roles(data, summary)
    g = _relplot(lines, x="epoch", y="share", drawstyle="steps-post")
    for ax in g.axes.flat:
        ax.set_xscale("log")
        plain_log_ticks(ax)
        ax.set_ylim(-3, 103)
    g.set_axis_labels("epoch", "seeds solved by then (%)")
    title = "How fast do the runs that succeed get there?"
    if lines.selection:
        title += f" ({lines.selection})"
    nothing = not runs["solved"].astype(bool).any()
    caption = (f"Empirical CDF of the epoch at which each seed first solved {task}, as a share "
               "of all seeds (runs at each setting's largest budget): a curve ends at its "
               "convergence rate; a run solved at initialisation counts at epoch 1.")
    if nothing:
        caption += " No run solved the task, so every curve stays at 0."
        for ax in g.axes.flat:
            ax.text(0.5, 0.55, f"no seed solved {task}", ha="center", va="center",
                    transform=ax.transAxes, fontsize=10, color="0.35")
    add_titles(g.figure, title, caption, note)
    return g.figure


# --- 4. Failure modes ----------------------------------------------------------------------


def failure_frame(summary: pd.DataFrame, all_budgets: bool = False) -> pd.DataFrame:
    """Long form of the outcomes at each configuration's largest budget (or at every one).

    One row per configuration (× budget) × outcome (``none`` = solved) with ``share`` in %.
    """
    data = summary if all_budgets else at_largest_budget(summary)
    keep = ["config_id", *[c for c in analysis.CONFIG_AXES if c in data.columns], "epochs",
            "rate"]
    counts = data[keep + analysis.FAILURE_COUNT_COLUMNS + ["n_runs"]]
    long = counts.melt(id_vars=[*keep, "n_runs"], value_vars=analysis.FAILURE_COUNT_COLUMNS,
                       var_name="failure", value_name="count")
    long["failure"] = long["failure"].str.removeprefix("n_")
    long["share"] = long["count"] / long["n_runs"] * 100
    return long


@quiet_layout
def failure_modes(summary: pd.DataFrame, note: str | None = None) -> Figure:
    """Stacked horizontal bars: how each setting's seeds end (solved or a failure label)."""
    design = sparse_design(summary)
    if design is not None:
        return _sparse_failures(summary, design, note)
    data = failure_frame(summary)
    axes = config_axes(summary)
    axes_roles = roles(axes, "bars")
    n_settings = data["config_id"].nunique()
    n_facets = np.prod([data[a].nunique() for a in axes_roles["col"] + axes_roles["row"]]
                       or [1])
    selection = ""
    if n_settings / n_facets > MAX_BARS or n_facets > MAX_FACETS:
        board = at_largest_budget(summary)
        worst = analysis.natural_sort(board, ["rate", *analysis.CONFIG_AXES])
        keep = set(worst["config_id"].head(MAX_BARS))
        data = data[data["config_id"].isin(keep)]
        selection = f" (the {len(keep)} least reliable of {n_settings} settings)"
        axes_roles = {"bar": axes, "col": [], "row": []}
    data, levels = with_labels(data, axes_roles)
    if levels["bar"] is None:
        data["_bar"] = "this setting"
        levels["bar"] = ("_bar", ["this setting"])
    row = levels["row"][0] if levels["row"] else None
    bars = axis_title(axes_roles["bar"]) if axes_roles["bar"] else ""
    g = _failure_grid(data, levels["bar"], levels["col"], levels["row"],
                      {k: axis_title(v) for k, v in axes_roles.items()},
                      # a long bar-axis name would run into the next row's: the caption names it
                      bars if row is None else "")
    add_titles(g.figure, "Why do the other runs fail?" + selection,
            f"How the {seed_text(summary)} of each setting end at its largest budget "
            f"({budget_text(summary)}): solved, or the failure label of the run "
            f"(first match of {', '.join(f for f in FAILURE_LABELS if f != 'none')})."
            + (f" Bars: {bars}." if row is not None and bars else ""), note)
    return g.figure


def _failure_grid(data: pd.DataFrame, bar: tuple[str, list[str]],
                  col: tuple[str, list[str]] | None, row: tuple[str, list[str]] | None,
                  titles: dict[str, str], bar_title: str, width: float | None = None
                  ) -> sns.FacetGrid:
    """Stacked outcome bars of ``data`` (a :func:`failure_frame`) in facets, with the legend."""
    present = [f for f in FAILURE_LABELS if data.loc[data["failure"] == f, "count"].sum() > 0]
    present = present or ["none"]
    single = col is None and row is None
    height = max(3.0 if single else 1.6, 0.28 * len(bar[1]) + 0.8)
    with sns.axes_style("whitegrid"):
        g = sns.FacetGrid(data, col=col[0] if col else None, row=row[0] if row else None,
                          col_order=col[1] if col else None, row_order=row[1] if row else None,
                          height=height,
                          aspect=width / height if width else max(1.3, 3.2 / height),
                          margin_titles=True, sharey=True, sharex=True)
        g.map_dataframe(_stacked_bars, bar=bar[0], order=bar[1], labels=present)
    facet_titles(g, titles)
    g.set_axis_labels("share of seeds (%)", bar_title)
    legend_right(g.figure, [("outcome", [(OUTCOME_NAMES[f], Patch(color=FAILURE_COLORS[f]))
                                         for f in present])])
    return g


def _text_role(data: pd.DataFrame, axis: str | None, name: str) -> tuple | None:
    """A plot role from ``axis``: its values as label text in a new column ``name`` and
    their natural order; None without an axis."""
    if not axis:
        return None
    data[name] = data[axis].map(lambda v: value_text(axis, v))
    return (name, [value_text(axis, v) for v in ordered(data, axis)])


def _sparse_failures(summary: pd.DataFrame, design: tuple, note: str | None) -> Figure:
    """Failure bars of a sparse sweep: the reliability map's rows, a panel per architecture."""
    column, row_axes, baseline = design
    data = failure_frame(summary, all_budgets="epochs" in row_axes)
    data = sparse_rows(data, row_axes, baseline, "_bar")
    bar = ("_bar", list(dict.fromkeys(data["_bar"])))
    col = _text_role(data, column, "_col")
    g = _failure_grid(data, bar, col, None, {"col": axis_title([column]) if column else ""},
                      "change from the baseline", width=2.6)
    budget = ("at the budget its row names" if "epochs" in row_axes
              else f"at its largest budget ({budget_text(summary)})")
    add_titles(g.figure, "Why do the other runs fail?",
               f"How the {seed_text(summary)} of each setting end {budget}: solved, or the "
               f"failure label of the run (first match of "
               f"{', '.join(f for f in FAILURE_LABELS if f != 'none')}). Rows as in the "
               f"reliability map: what each setting changes from the baseline "
               f"({baseline.describe()}); an empty row was not run with that architecture.",
               note)
    return g.figure


def _stacked_bars(data: pd.DataFrame, bar: str, order: list[str], labels: list[str],
                  color=None, **_) -> None:
    ax = plt.gca()
    wide = data.pivot_table(index=bar, columns="failure", values="share", aggfunc="sum")
    wide = wide.reindex(index=order, columns=labels).fillna(0.0)
    left = np.zeros(len(order))
    positions = np.arange(len(order))
    for label in labels:
        ax.barh(positions, wide[label], left=left, color=FAILURE_COLORS[label], height=0.8,
                edgecolor="white", linewidth=0.4, label=OUTCOME_NAMES[label])
        left += wide[label].to_numpy()
    ax.set_yticks(positions, order)
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 50, 100])
    ax.grid(axis="y", visible=False)


# --- 5. Learning curves --------------------------------------------------------------------


@quiet_layout
def learning_curves(curves: pd.DataFrame, summary: pd.DataFrame,
                    note: str | None = None) -> Figure:
    """Median loss over seeds with its interquartile band, on log-spaced epochs (log–log)."""
    data = curves.dropna(subset=["loss_median"])
    data = data[data["loss_median"] > 0] if not data.empty else data
    lines = _line_roles(data, summary)
    g = _relplot(lines, x="epoch", y="loss_median")
    _bands(g, lines, "epoch", "loss_q25", "loss_q75", alpha=0.1)  # bands overlap a lot
    clipped = False
    if not data.empty:
        positive = pd.concat([data["loss_q25"], data["loss_median"]])
        low = max(float(positive[positive > 0].min()), 1e-12)
        high = float(np.nanmax(data["loss_q75"]))
        # room for every curve's start, then diverging curves leave through the top
        first = data[data["epoch"] == data["epoch"].min()]["loss_median"]
        cap = max(100 * float(first.min()), 10 * float(first.max()))
        if np.isfinite(cap) and high > cap:
            high, clipped = cap, True
        for ax in g.axes.flat:
            ax.set_xscale("log")
            plain_log_ticks(ax)
            ax.set_yscale("log")
            ax.set_ylim(low / 2, high * 2)
            decades = np.log10(high * 2) - np.log10(low / 2)
            subs = (1.0, 2.0, 5.0) if decades <= 2.5 else (1.0,)
            ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    g.set_axis_labels("epoch", f"{_loss_name(summary)} loss")
    title = "How does the loss fall during training?"
    if lines.selection:
        title += f" ({lines.selection})"
    caption = ("Median loss over seeds at log-spaced epochs; bands: interquartile range "
               "(25th–75th percentile). Diverged runs (non-finite loss) are left out.")
    if clipped:
        caption += (" The loss axis is cut: curves that leave through the top are "
                    "diverging.")
    if data.empty:
        caption += " No finite loss was recorded."
    add_titles(g.figure, title, caption, note)
    return g.figure


def _loss_name(summary: pd.DataFrame) -> str:
    losses = summary["loss"].unique() if "loss" in summary.columns else []
    return str(losses[0]) if len(losses) == 1 else "training"


# --- Loading and saving -----------------------------------------------------------------


def draw_all(data: PlotData, names: Sequence[str] = PLOT_NAMES) -> dict[str, Figure]:
    """The plots ``names`` (default: all of :data:`PLOT_NAMES`) of one folder's data.

    Figures, not files; a plot the data cannot make (no curves, nothing to draw
    a boundary of, no runs at all) is left out.
    """
    note = data.note
    figures = {}
    if data.runs.empty:
        return figures
    if "reliability" in names:
        figures["reliability"] = reliability_map(data.summary, note)
    if "rate-vs-budget" in names:
        figures["rate-vs-budget"] = rate_vs_budget(data.summary, data.curves, note)
    if "ecdf" in names:
        figures["ecdf"] = epoch_solved_ecdf(data.runs, data.summary, note)
    if "failures" in names:
        figures["failures"] = failure_modes(data.summary, note)
    if "curves" in names and not data.curves.empty:
        figures["curves"] = learning_curves(data.curves, data.summary, note)
    if "boundaries" in names:
        chosen = gallery_runs(data.runs, data.summary)
        if not chosen.empty:
            params = read_params(data.folder, chosen)
            figures["boundaries"] = decision_boundaries(data.runs, data.summary, params, note)
    return figures


def save_all(folder: str | Path, data: PlotData | None = None, fmt: str = "png",
             dpi: int = 120, names: Sequence[str] = PLOT_NAMES) -> list[Path]:
    """Draw the plots ``names`` of a results folder into ``folder/plots/<name>.<fmt>``.

    Returns the paths written, in :data:`PLOT_NAMES` order. To draw them in
    several processes at once, see :func:`xorbench.plotjobs.save_plots`.
    """
    data = data if data is not None else load_plot_data(folder)
    out = Path(folder) / "plots"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in draw_all(data, names).items():
        path = out / f"{name}.{fmt}"
        fig.savefig(path, dpi=dpi, bbox_inches="tight", pad_inches=0.2)
        plt.close(fig)
        paths.append(path)
    return paths
