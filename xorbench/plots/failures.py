"""Failure modes: how the seeds of each setting end — solved, or which failure label —
as stacked bars, the least reliable settings first."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from xorbench import analysis, schema
from xorbench.analysis.design import at_largest_budget, sparse_rows
from xorbench.analysis.text import budget_text, seed_count_text
from xorbench.grid.plotroles import PlotRoles
from xorbench.plots.data import PlotData
from xorbench.plots.kit import (
    FAILURE_COLORS,
    OUTCOME_NAMES,
    add_titles,
    axis_title,
    facet_titles,
    legend_right,
    plot_axes,
    plot_design,
    quiet_layout,
    role_columns,
    sparse_unused,
    text_role,
    with_labels,
)
from xorbench.plots.kit import roles as kit_roles
from xorbench.plots.layout import Facets, arrange
from xorbench.plots.lines import MAX_CHOSEN_FACETS, MAX_FACETS
from xorbench.schema import FAILURE_LABELS

MAX_BARS = 24  # failure bars per panel above this: the least reliable settings only


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
def failure_modes(summary: pd.DataFrame, note: str | None = None,
                  roles: PlotRoles | None = None) -> Figure:
    """Stacked horizontal bars: how each setting's seeds end (solved or a failure label).

    ``roles`` (the user's choice): ``col`` and ``row`` split the panels, ``hue`` is the
    first axis of the bars in each panel.
    """
    wanted = role_columns(summary, roles)
    design = plot_design(summary, wanted.get("col"))
    if design is not None:
        return _sparse_failures(summary, design, note, sparse_unused(wanted))
    data = failure_frame(summary)
    axes = plot_axes(summary)
    axes_roles = kit_roles(axes, "bars", wanted)
    n_settings = data["config_id"].nunique()
    n_facets = np.prod([data[a].nunique() for a in axes_roles["col"] + axes_roles["row"]]
                       or [1])
    selection, unused = "", ""
    max_facets = MAX_CHOSEN_FACETS if {"col", "row"} & set(wanted) else MAX_FACETS
    if n_settings / n_facets > MAX_BARS or n_facets > max_facets:
        board = at_largest_budget(summary)
        worst = analysis.natural_sort(board, ["rate", *schema.CONFIG_COLUMNS])
        keep = set(worst["config_id"].head(MAX_BARS))
        data = data[data["config_id"].isin(keep)]
        selection = f" (the {len(keep)} least reliable of {n_settings} settings)"
        unused = f" Too many bars to follow {roles.describe()}." if wanted else ""
        axes_roles = {"bar": axes, "col": [], "row": []}
    data, levels = with_labels(data, axes_roles)
    if levels["bar"] is None:
        data["_bar"] = "this setting"
        levels["bar"] = ("_bar", ["this setting"])
    bars = axis_title(axes_roles["bar"]) if axes_roles["bar"] else ""
    g, facets = _failure_grid(data, levels["bar"], levels["col"], levels["row"],
                              {k: axis_title(v) for k, v in axes_roles.items()})
    # a long bar-axis name would run into the next row's: the caption names it
    g.set_axis_labels("share of seeds (%)", bars if facets.n_rows == 1 else "")
    add_titles(g.figure, "Why do the other runs fail?" + selection,
               f"How the {seed_count_text(summary)} of each setting end at its largest budget "
               f"({budget_text(summary)}): solved, or the failure label of the run "
               f"(first match of {', '.join(f for f in FAILURE_LABELS if f != 'none')})."
               + (f" Bars: {bars}." if facets.n_rows > 1 and bars else "")
               + _not_run(data, levels["bar"], facets) + unused, note)
    return g.figure


def _failure_grid(data: pd.DataFrame, bar: tuple[str, list[str]],
                  col: tuple[str, list[str]] | None, row: tuple[str, list[str]] | None,
                  titles: dict[str, str], width: float | None = None
                  ) -> tuple[sns.FacetGrid, Facets]:
    """Stacked outcome bars of ``data`` (a :func:`failure_frame`) in facets wrapped into
    rows (:func:`~xorbench.plots.layout.arrange`), with the legend."""
    present = [f for f in FAILURE_LABELS if data.loc[data["failure"] == f, "count"].sum() > 0]
    present = present or ["none"]
    single = col is None and row is None
    height = max(3.0 if single else 1.6, 0.28 * len(bar[1]) + 0.8)
    bars_width = width or (min(max(1.3 * height, 3.2), 4.5) if single else 2.6)
    # the bar names stand left of a row's first panel only, in the room the layout
    # leaves beside the panels for labels and legends; but seaborn gives every panel the
    # same width and takes the names out of it: so much more each that the bars keep
    # ``bars_width`` however long the names are
    data, facets = arrange(data, col, row, titles, bars_width)
    width = bars_width + _text_inches(bar[1]) / facets.n_cols
    with sns.axes_style("whitegrid"):
        g = sns.FacetGrid(data, **facets.grid_kwargs(), height=height, aspect=width / height,
                          margin_titles=not facets.wrap, sharey=True, sharex=True)
        g.map_dataframe(_stacked_bars, bar=bar[0], order=bar[1], labels=present)
    facet_titles(g, facets.titles)
    legend_right(g.figure, [("outcome", [(OUTCOME_NAMES[f], Patch(color=FAILURE_COLORS[f]))
                                         for f in present])])
    return g, facets


def _text_inches(texts: list[str]) -> float:
    """The width in inches of the longest of ``texts`` as a y tick label, and its pad."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure()
    renderer = FigureCanvasAgg(fig).get_renderer()
    with sns.axes_style("whitegrid"):
        size = plt.rcParams["ytick.labelsize"]
        widths = [fig.text(0, 0, text, fontsize=size).get_window_extent(renderer).width
                  for text in texts]
    return max(widths, default=0.0) / fig.dpi + 0.15


def _not_run(data: pd.DataFrame, bar: tuple[str, list[str]], facets: Facets) -> str:
    """`` "not run": …`` when some panel lacks a bar the others have."""
    keys = [level[0] for level in (facets.col, facets.row) if level]
    if not keys:
        return ""
    n_facets = int(np.prod([len(level[1]) for level in (facets.col, facets.row) if level]))
    bars = data.groupby(keys, sort=False)[bar[0]].nunique()
    if len(bars) == n_facets and (bars == len(bar[1])).all():
        return ""
    return " \"not run\": the sweep has no such setting."


def _sparse_failures(summary: pd.DataFrame, design: tuple, note: str | None,
                     unused: str = "") -> Figure:
    """Failure bars of a sparse sweep: the reliability map's rows, a panel per architecture."""
    column, row_axes, baseline = design
    data = failure_frame(summary, all_budgets="epochs" in row_axes)
    data = sparse_rows(data, row_axes, baseline, "_bar")
    bar = ("_bar", list(dict.fromkeys(data["_bar"])))
    col = text_role(data, column, "_col")
    g, _ = _failure_grid(data, bar, col, None,
                         {"col": axis_title([column]) if column else ""}, width=2.2)
    g.set_axis_labels("share of seeds (%)", "change from the baseline")
    budget = ("at the budget its row names" if "epochs" in row_axes
              else f"at its largest budget ({budget_text(summary)})")
    add_titles(g.figure, "Why do the other runs fail?",
               f"How the {seed_count_text(summary)} of each setting end {budget}: solved, or the "
               f"failure label of the run (first match of "
               f"{', '.join(f for f in FAILURE_LABELS if f != 'none')}). Rows as in the "
               f"reliability map: what each setting changes from the baseline "
               f"({baseline.describe()}); \"not run\": a setting not run with that "
               f"{axis_title([column]) if column else 'value'}." + (f" {unused}" if unused
                                                                   else ""), note)
    return g.figure


def _stacked_bars(data: pd.DataFrame, bar: str, order: list[str], labels: list[str],
                  color=None, **_) -> None:
    ax = plt.gca()
    wide = data.pivot_table(index=bar, columns="failure", values="share", aggfunc="sum")
    missing = [b for b in order if b not in wide.index]
    wide = wide.reindex(index=order, columns=labels).fillna(0.0)
    left = np.zeros(len(order))
    positions = np.arange(len(order))
    for label in labels:
        ax.barh(positions, wide[label], left=left, color=FAILURE_COLORS[label], height=0.8,
                edgecolor="white", linewidth=0.4, label=OUTCOME_NAMES[label])
        left += wide[label].to_numpy()
    for b in missing:  # a setting this panel's sweep does not have
        ax.text(2, order.index(b), "not run", va="center", ha="left", fontsize=8,
                color="0.45", fontstyle="italic")
    ax.set_yticks(positions, order)
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 50, 100])
    ax.grid(axis="y", visible=False)


def draw_failures(data: PlotData, note: str | None) -> Figure:
    return failure_modes(data.summary, note, data.roles)
