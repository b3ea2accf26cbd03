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
from xorbench.analysis.design import at_largest_budget, ordered, sparse_rows, task_name
from xorbench.analysis.text import budget_text, seed_count_text, value_text
from xorbench.grid.plotroles import PlotRoles
from xorbench.plots.data import PlotData
from xorbench.plots.kit import (
    LINE_PALETTE,
    RATE_CMAP,
    add_titles,
    axis_title,
    facet_titles,
    n_varies,
    plot_axes,
    plot_design,
    quiet_layout,
    rate_caption,
    rate_texts,
    role_columns,
    sparse_unused,
    text_role,
    with_labels,
    wrap_parts,
)
from xorbench.plots.kit import roles as kit_roles
from xorbench.plots.layout import PANELS_WIDTH, arrange, fitting


@quiet_layout
def reliability_map(summary: pd.DataFrame, note: str | None = None,
                    roles: PlotRoles | None = None) -> Figure:
    """Convergence-rate heatmaps: lr × architecture, faceted activation (cols) × init (rows).

    ``summary`` is a summary table (:func:`xorbench.analysis.summarize`); each
    configuration is shown at its largest epoch budget. Every cell is annotated
    with its rate (:func:`~xorbench.plots.kit.rate_texts`: and its n where the settings
    ran different numbers of seeds); one colour scale 0–100 % for all facets.
    ``roles`` (the user's choice): ``col`` and ``row`` split the panels, ``hue`` is
    the heatmap's y axis (the axis compared within a panel, as the lines' colour).
    With one varying axis the map is a bar (or, for the learning rate, a line)
    plot with Wilson 95 % error bars; with none, a single bar. A sparse sweep (a
    union of sub-grids, :func:`xorbench.plots.kit.plot_design`) gets one heatmap,
    settings × architecture (:func:`_sparse_map`).
    """
    data = at_largest_budget(summary)
    axes = plot_axes(data)
    task, seeds, budget = task_name(data), seed_count_text(data), budget_text(data)
    title = f"Which settings learn {task} reliably?"
    if len(axes) <= 1:
        return _rate_bars(data, axes, title, seeds, budget, note)
    wanted = role_columns(summary, roles)
    design = plot_design(summary, wanted.get("col"))
    if design is not None:
        return _sparse_map(summary, design, title, note, sparse_unused(wanted))
    r = kit_roles(axes, "map", wanted)
    data, levels = with_labels(data, r)
    data["_pct"] = data["rate"] * 100
    data["_text"] = rate_texts(data)
    for role in ("x", "y"):  # the user took the axes for panels: one row (column) of cells
        if levels[role] is None:
            data[f"_{role}"] = ""
            levels[role] = (f"_{role}", [""])
    xcol, xorder = levels["x"]
    ycol, yorder = levels["y"]
    n_panels = len(levels["col"][1]) if levels["col"] else 1
    cell, fontsize = _cell_size(len(xorder), n_panels)
    single = levels["col"] is None and levels["row"] is None
    width = max(4.0 if single else 2.6, len(xorder) * cell + 1.2)
    height = max(3.0 if single else 1.8, len(yorder) * 0.45 + 1.0)
    data, facets = arrange(data, levels["col"], levels["row"],
                           {k: axis_title(v) for k, v in r.items()}, width)
    g = sns.FacetGrid(data, **facets.grid_kwargs(), height=height, aspect=width / height,
                      margin_titles=not facets.wrap, despine=False, sharex=True, sharey=True)
    if len(r["y"]) == 1 and pd.api.types.is_numeric_dtype(data[r["y"][0]]):
        yorder = yorder[::-1]  # a number axis grows upwards; labels read top-down
    g.map_dataframe(_heatmap, x=xcol, y=ycol, x_order=xorder, y_order=yorder,
                    fontsize=fontsize)
    g.set_axis_labels(axis_title(r["x"]), axis_title(r["y"]))
    facet_titles(g, facets.titles)
    for ax in g.axes.flat:
        ax.tick_params(length=0)
        if cell < 0.45:
            ax.tick_params(axis="x", rotation=90)
    _colour_bar(g.figure, margin=facets.row is not None)
    add_titles(g.figure, title,
               f"Each cell: the share of {seeds} that solve {task} within {budget} "
               f"(the largest budget of each setting){_n_under(data)}; one 0–100 % colour "
               f"scale for all panels.{_blank_cells(data, xcol, ycol, facets)}", note)
    return g.figure


def _cell_size(n_x: int, n_panels: int) -> tuple[float, float]:
    """A heatmap cell's width (inches) and its annotation's font size: 0.75 in, 0.55 when
    a row of panels holds more than 12 cells or then holds them all, less when one panel
    alone would be wider than a row may be (:data:`~xorbench.plots.layout.PANELS_WIDTH`)."""
    cell = 0.75
    if n_x * min(n_panels, fitting(n_x * cell + 1.2)) > 12 or (
            fitting(n_x * cell + 1.2) < n_panels <= fitting(n_x * 0.55 + 1.2)):
        cell = 0.55  # a row holds many cells, or all the panels with narrower cells
    cell = min(cell, (PANELS_WIDTH - 1.2) / max(n_x, 1))
    return cell, 9 if cell >= 0.45 else 7 if cell >= 0.32 else 0


def _n_under(data: pd.DataFrame) -> str:
    """``; under each rate, n: …`` where the settings ran different numbers of seeds."""
    if not n_varies(data):
        return ""
    return ("; under each rate, n: the seeds that setting ran (adaptive seeds stop each at "
            "its own n)")


def _blank_cells(data: pd.DataFrame, x: str, y: str, facets) -> str:
    """`` Blank: not run.`` when some panel has no setting for a cell of the grid."""
    keys = [level[0] for level in (facets.col, facets.row) if level]
    expected = data[x].nunique() * data[y].nunique()
    if keys:
        cells = data.groupby(keys, sort=False)[[x, y]].apply(lambda d: len(d.drop_duplicates()))
        n_facets = np.prod([len(level[1]) for level in (facets.col, facets.row) if level])
        missing = len(cells) < n_facets or (cells < expected).any()
    else:
        missing = len(data[[x, y]].drop_duplicates()) < expected
    return " Blank cells: not in the sweep." if missing else ""


def _colour_bar(fig: Figure, margin: bool) -> None:
    """The one 0–100 % colour bar right of the panels (and of their row titles)."""
    fig.subplots_adjust(right=0.86 if margin else 0.9)
    cax = fig.add_axes([0.93 if margin else 0.92, 0.25, 0.015, 0.5], label="<colorbar>")
    mappable = plt.cm.ScalarMappable(norm=plt.Normalize(0, 100), cmap=RATE_CMAP)
    fig.colorbar(mappable, cax=cax, label="seeds solved (%)")


def _sparse_map(summary: pd.DataFrame, design: tuple, title: str, note: str | None,
                unused: str = "") -> Figure:
    """One heatmap: a row per setting (named by its change from the baseline), a column
    per architecture (or the user's ``col``), each cell annotated with its rate; grey
    cells were not run."""
    column, row_axes, baseline = design
    task, seeds = task_name(summary), seed_count_text(summary)
    data = summary if "epochs" in row_axes else at_largest_budget(summary)
    data = sparse_rows(data, row_axes, baseline, "_row")
    data["_row"] = data["_row"].map(lambda text: wrap_parts(text, 40))
    row_order = list(dict.fromkeys(data["_row"]))
    col = text_role(data, column, "_col")
    if col is None:
        data["_col"] = "rate"
    col_order = col[1] if col else ["rate"]
    data["_pct"] = data["rate"] * 100
    data["_text"] = rate_texts(data)
    pct = data.pivot_table(index="_row", columns="_col", values="_pct", aggfunc="first")
    pct = pct.reindex(index=row_order, columns=col_order)
    text = data.pivot_table(index="_row", columns="_col", values="_text", aggfunc="first")
    text = text.reindex(index=row_order, columns=col_order).astype(object).fillna("")
    # the row labels sit inside the figure, so the title and caption centre on it all
    longest = max(len(line) for r in row_order for line in r.split("\n"))
    labels_width = 0.075 * longest + 0.6  # inches, at 10 pt
    cell = min(0.85, (PANELS_WIDTH + 1.5 - labels_width) / len(col_order))
    cells_width = cell * len(col_order) + 1.2  # with the colour bar
    n_lines = sum(r.count("\n") + 1 for r in row_order)
    row_pad = 0.3 if n_varies(data) else 0.16  # room for a rate's n under it
    width, height = labels_width + cells_width, max(2.6, 0.2 * n_lines
                                                    + row_pad * len(row_order) + 0.9)
    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(left=labels_width / width, right=0.97, top=1 - 0.15 / height,
                        bottom=0.6 / height)
    ax.set_facecolor("0.9")  # cells the sweep did not run show through the mask
    fontsize = (9 if cell >= 0.45 else 7 if cell >= 0.32 else 0) - n_varies(data)
    sns.heatmap(pct, annot=text.to_numpy() if fontsize > 0 else False, fmt="", vmin=0,
                vmax=100, cmap=RATE_CMAP, linewidths=1, linecolor="white", ax=ax,
                annot_kws={"fontsize": fontsize},
                cbar_kws={"label": "seeds solved (%)", "shrink": min(1.0, 6 / height)})
    ax.tick_params(length=0)
    ax.tick_params(axis="y", rotation=0)
    ax.tick_params(axis="x", rotation=0 if cell >= 0.45 else 90)
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
               f"{budget}{_n_under(data)}; one 0–100 % colour scale.{missing}"
               + (f" {unused}" if unused else ""),
               note)
    return fig


def _heatmap(data: pd.DataFrame, x: str, y: str, x_order: list, y_order: list,
             fontsize: float = 9, color=None, **_) -> None:
    # pivot to wide only here; missing settings stay blank (NaN cells are masked)
    pct = data.pivot_table(index=y, columns=x, values="_pct", aggfunc="first")
    pct = pct.reindex(index=y_order, columns=x_order)
    text = data.pivot_table(index=y, columns=x, values="_text", aggfunc="first")
    text = text.reindex(index=y_order, columns=x_order).astype(object).fillna("")
    sns.heatmap(pct, annot=text.to_numpy() if fontsize else False, fmt="", vmin=0, vmax=100,
                cmap=RATE_CMAP, cbar=False, linewidths=0.5, linecolor="white", ax=plt.gca(),
                annot_kws={"fontsize": fontsize})
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
               f"error bars: {rate_caption(data, n_shown=True)}.")
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
        for xv, pct, text in zip(xs, data["_pct"], rate_texts(data), strict=True):
            ax.annotate(text.replace("\n", " "), (xv, pct), xytext=(6, 4),
                        textcoords="offset points", fontsize=8)
        ax.set_ylim(0, 108)
        ax.set_xlabel(axis_title([axis]) if axis else "")
        ax.set_ylabel("seeds solved (%)")
    add_titles(g.figure, title, caption, note)
    return g.figure


def draw_reliability(data: PlotData, note: str | None) -> Figure:
    return reliability_map(data.summary, note, data.roles)
