"""The reliability map: the convergence rate of every setting, the picture that answers
the question — heatmaps of lr × architecture faceted by the other axes, or rate bars
setting by setting when the sweep is a union of one-change sub-grids."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from xorbench import analysis
from xorbench.analysis.design import (
    at_largest_budget,
    config_axes,
    ordered,
    sparse_design,
    sparse_rows,
    task_name,
)
from xorbench.analysis.text import budget_text, seed_count_text, value_text
from xorbench.plots.data import PlotData
from xorbench.plots.kit import (
    LINE_PALETTE,
    RATE_CMAP,
    add_titles,
    axis_title,
    facet_titles,
    format_rate,
    quiet_layout,
    roles,
    text_role,
    with_labels,
)


@quiet_layout
def reliability_map(summary: pd.DataFrame, note: str | None = None) -> Figure:
    """Convergence-rate heatmaps: lr × architecture, faceted activation (cols) × init (rows).

    ``summary`` is a summary table (:func:`xorbench.analysis.summarize`); each
    configuration is shown at its largest epoch budget. Every cell is annotated
    with its rate (:func:`format_rate`); one colour scale 0–100 % for all facets.
    With one varying axis the map is a bar (or, for the learning rate, a line)
    plot with Wilson 95 % error bars; with none, a single bar. A sparse sweep (a
    union of sub-grids, :func:`xorbench.plots.kit.is_sparse`) gets one heatmap,
    settings × architecture (:func:`_sparse_map`).
    """
    data = at_largest_budget(summary)
    axes = config_axes(data)
    task, seeds, budget = task_name(data), seed_count_text(data), budget_text(data)
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
    task, seeds = task_name(summary), seed_count_text(summary)
    data = summary if "epochs" in row_axes else at_largest_budget(summary)
    data = sparse_rows(data, row_axes, baseline, "_row")
    row_order = list(dict.fromkeys(data["_row"]))
    col = text_role(data, column, "_col")
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


def draw_reliability(data: PlotData, note: str | None) -> Figure:
    return reliability_map(data.summary, note)
