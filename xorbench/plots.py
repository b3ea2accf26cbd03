"""The six pictures of a sweep, each a function of tidy DataFrames returning a figure.

1. :func:`reliability_map` — convergence-rate heatmaps (the picture that answers
   the question);
2. :func:`rate_vs_budget` — rate against epoch budget with Wilson bands;
3. :func:`epoch_solved_ecdf` — how fast the runs that succeed get there;
4. :func:`failure_modes` — stacked bars of failure labels per setting;
5. :func:`learning_curves` — median loss with its interquartile band;
6. :func:`decision_boundaries` — a gallery of solved and failed networks
   (:mod:`xorbench.boundaries`).

The line plots (2, 3, 5) live in :mod:`xorbench.plotlines` and are re-exported here.

Inputs are the frames of ``summary.csv``, ``runs.csv``, ``curves.csv`` and the
shards' final parameters. Each plot picks its facets from the axes that vary
(:func:`xorbench.plotkit.roles`), so a one-axis sweep gets a line or bar plot,
not a grid of empty facets. Nothing here saves a file except :func:`save_all`;
nothing trains. matplotlib always runs headless (Agg). Loading a folder's data
lives in :mod:`xorbench.plotdata`, which needs no matplotlib.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from xorbench import analysis, schema
from xorbench.analysis.design import (
    at_largest_budget,
    config_axes,
    ordered,
    sparse_design,
    sparse_rows,
    task_name,
)
from xorbench.analysis.text import budget_text, seed_count_text, value_text
from xorbench.boundaries import decision_boundaries, gallery_runs, network_output
from xorbench.files import atomic_write_bytes, ensure_folder
from xorbench.plotdata import PLOT_NAMES, PlotData, load_plot_data, read_params
from xorbench.plotkit import (
    FAILURE_COLORS,
    LINE_PALETTE,
    OUTCOME_NAMES,
    RATE_CMAP,
    add_titles,
    axis_title,
    facet_titles,
    format_rate,
    legend_right,
    quiet_layout,
    roles,
    text_role,
    with_labels,
)
from xorbench.plotlines import (
    MAX_FACETS,
    ecdf_frame,
    epoch_solved_ecdf,
    learning_curves,
    rate_vs_budget,
)
from xorbench.schema import FAILURE_LABELS

__all__ = [
    "PLOT_NAMES", "PlotData", "decision_boundaries", "draw_all", "ecdf_frame",
    "epoch_solved_ecdf", "failure_modes", "gallery_runs", "learning_curves", "load_plot_data",
    "network_output", "rate_vs_budget", "read_params", "reliability_map", "save_all",
]

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


# --- 4. Failure modes ----------------------------------------------------------------------


def failure_frame(summary: pd.DataFrame, all_budgets: bool = False) -> pd.DataFrame:
    """Long form of the outcomes at each configuration's largest budget (or at every one).

    One row per configuration (× budget) × outcome (``none`` = solved) with ``share`` in %.
    """
    data = summary if all_budgets else at_largest_budget(summary)
    keep = ["config_id", *[c for c in schema.CONFIG_COLUMNS if c in data.columns], "epochs",
            "rate"]
    counts = data[keep + schema.FAILURE_COUNT_COLUMNS + ["n_runs"]]
    long = counts.melt(id_vars=[*keep, "n_runs"], value_vars=schema.FAILURE_COUNT_COLUMNS,
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
        worst = analysis.natural_sort(board, ["rate", *schema.CONFIG_COLUMNS])
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
            f"How the {seed_count_text(summary)} of each setting end at its largest budget "
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


def _sparse_failures(summary: pd.DataFrame, design: tuple, note: str | None) -> Figure:
    """Failure bars of a sparse sweep: the reliability map's rows, a panel per architecture."""
    column, row_axes, baseline = design
    data = failure_frame(summary, all_budgets="epochs" in row_axes)
    data = sparse_rows(data, row_axes, baseline, "_bar")
    bar = ("_bar", list(dict.fromkeys(data["_bar"])))
    col = text_role(data, column, "_col")
    g = _failure_grid(data, bar, col, None, {"col": axis_title([column]) if column else ""},
                      "change from the baseline", width=2.6)
    budget = ("at the budget its row names" if "epochs" in row_axes
              else f"at its largest budget ({budget_text(summary)})")
    add_titles(g.figure, "Why do the other runs fail?",
               f"How the {seed_count_text(summary)} of each setting end {budget}: solved, or the "
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
    out = ensure_folder(Path(folder) / "plots")
    paths = []
    for name, fig in draw_all(data, names).items():
        path = out / f"{name}.{fmt}"
        image = io.BytesIO()
        fig.savefig(image, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.2)
        plt.close(fig)
        atomic_write_bytes(path, image.getvalue())  # never through a link at `path`
        paths.append(path)
    return paths
