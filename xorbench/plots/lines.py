"""What the line plots share: which axes become hue, dashes, columns and rows, and when
there are too many lines, the settings of interest; the facet grid and its bands."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from xorbench import analysis, schema
from xorbench.analysis.design import at_largest_budget, sparse_rows
from xorbench.grid.plotroles import PlotRoles
from xorbench.plots.kit import (
    LINE_PALETTE,
    axis_title,
    facet_titles,
    legend_right,
    plot_axes,
    plot_design,
    plot_namer,
    role_columns,
    roles,
    sparse_unused,
    text_role,
    with_labels,
)
from xorbench.plots.layout import MAX_PER_ROW, PANELS_WIDTH, arrange

# A line plot shows at most this many settings before it picks settings of interest;
# more when the user chose the colour or the panels.
MAX_LINES_PER_FACET, MAX_FACETS = 10, 16
MAX_CHOSEN_LINES, MAX_CHOSEN_FACETS = 16, 36


@dataclass
class Lines:
    """A line plot's data with its role columns and levels, or settings of interest."""

    data: pd.DataFrame
    hue: tuple[str, list[str]] | None
    style: tuple[str, list[str]] | None
    col: tuple[str, list[str]] | None
    row: tuple[str, list[str]] | None
    titles: dict[str, str]
    selection: str  # "" when every setting is shown
    ordered_hue: bool = False  # hue levels are numbers: a sequential palette
    unused: str = ""  # the user's choices this plot could not follow, in words

    @property
    def per_panel(self) -> int:
        """Lines in a panel, at most."""
        return max(1, len(self.hue[1]) if self.hue else 1) * (
            len(self.style[1]) if self.style else 1)


def line_roles(frame: pd.DataFrame, summary: pd.DataFrame, n_gain: int = 0,
               configs: Sequence[str] | None = None, chosen: PlotRoles | None = None
               ) -> Lines:
    """Facet and hue roles for a per-setting line plot; too many settings → a selection.

    ``chosen`` (the user's hue, col and row) wins over the automatic roles
    (:func:`~xorbench.plots.kit.roles`). Too many lines in a panel first moves the
    dashed axis to a free facet slot; if the plot is still too crowded it shows
    :func:`settings_of_interest` only (``n_gain`` of them chosen for the largest gain
    with the budget). A sparse sweep gets a line per setting, named by its change from
    the baseline, in a panel per architecture (:func:`_sparse_lines`). ``configs``
    limits the lines to those configurations (the design is still chosen from all of
    ``summary``).
    """
    if configs is not None:
        frame = frame[frame["config_id"].isin(configs)]
    wanted = role_columns(summary, chosen)
    design = plot_design(summary, wanted.get("col"))
    if design is not None:
        return _sparse_lines(frame, summary, design, n_gain, configs, wanted)
    r = roles(plot_axes(summary), "lines", wanted)

    def count(keys: Sequence[str]) -> int:
        return int(np.prod([frame[a].nunique() for k in keys for a in r[k]] or [1]))

    if count(["hue", "style"]) > MAX_LINES_PER_FACET and r["style"]:
        free = [k for k in ("col", "row") if not r[k]]
        if free:
            r[free[0]], r["style"] = r["style"], []
    max_lines = MAX_CHOSEN_LINES if "hue" in wanted else MAX_LINES_PER_FACET
    max_facets = MAX_CHOSEN_FACETS if {"col", "row"} & set(wanted) else MAX_FACETS
    if count(["hue", "style"]) <= max_lines and count(["col", "row"]) <= max_facets:
        data, levels = with_labels(frame, r)
        return Lines(data, levels["hue"], levels["style"], levels["col"], levels["row"],
                     {k: axis_title(v) for k, v in r.items()}, "",
                     ordered_hue=len(r["hue"]) == 1 and pd.api.types.is_numeric_dtype(
                         frame[r["hue"][0]]))
    chosen_ids, text = settings_of_interest(_only(summary, configs), n_gain=n_gain)
    data = frame[frame["config_id"].isin(chosen_ids)].copy()
    labels = at_largest_budget(summary).set_index("config_id")
    name = plot_namer(summary)
    names = {c: name(labels.loc[c]) for c in chosen_ids}
    data["_hue"] = data["config_id"].map(names)
    unused = (f"Too many lines to follow {chosen.describe()}: a few settings instead."
              if wanted else "")
    return Lines(data, ("_hue", [names[c] for c in chosen_ids]), None, None, None,
                 {"hue": "setting"}, text, unused=unused)


def _only(summary: pd.DataFrame, configs: Sequence[str] | None) -> pd.DataFrame:
    return summary if configs is None else summary[summary["config_id"].isin(configs)]


def _sparse_lines(frame: pd.DataFrame, summary: pd.DataFrame, design: tuple, n_gain: int,
                  configs: Sequence[str] | None, wanted: dict[str, str]) -> Lines:
    """Lines of a sparse sweep: hue = the change from the baseline, a panel per
    architecture (or per value of the user's ``col``).

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
    col = text_role(data, column, "_col")
    return Lines(data, hue, None, col, None,
                 {"hue": "change from the baseline", "col": axis_title([column])
                  if column else ""}, selection, unused=sparse_unused(wanted))


def settings_of_interest(summary: pd.DataFrame, n_best: int = 4, n_worst: int = 4,
                         n_gain: int = 0) -> tuple[list[str], str]:
    """A few configurations worth a line each (config_ids, best first) and their description.

    The ``n_best`` most and ``n_worst`` least reliable at their largest budget,
    and with ``n_gain`` the ones whose rate grows most from the smallest to the
    largest budget (those take the place of the best and worst ones).
    """
    board = at_largest_budget(summary)
    keys = ["rate", "ci_low", "median_epoch_solved", *schema.CONFIG_COLUMNS]
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


def _role_kwargs(lines: Lines) -> dict:
    kwargs: dict = {}
    for role in ("hue", "style"):
        level = getattr(lines, role)
        if level:
            kwargs[role] = level[0]
            kwargs[f"{role}_order"] = level[1]
    return kwargs


def _palette(lines: Lines) -> dict[str, tuple] | None:
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


def relplot(lines: Lines, x: str, y: str, height: float = 2.6, **kwargs) -> sns.FacetGrid:
    """A relplot of ``lines`` with our own legend, right of the panels and their titles.

    Panels wrap into rows (:func:`~xorbench.plots.layout.arrange`). Building the legend
    directly (rather than seaborn's ``add_legend``) spares a full draw of the figure
    just to measure it.
    """
    palette = _palette(lines)
    color = None if palette else sns.color_palette(LINE_PALETTE)[0]
    dashes = (dict(zip(lines.style[1], itertools.cycle(DASHES), strict=False))
              if lines.style else True)
    n_cols = len(lines.col[1]) if lines.col else 1
    aspect = 1.25 if n_cols > 1 else 1.6
    if not lines.col and not lines.row:
        height = max(height, 3.4)  # one panel: room for its many lines
    elif lines.per_panel > 6:
        height = max(height, 3.2)  # many lines in each panel
    n_panels = (len(lines.col[1]) if lines.col else 1) * (len(lines.row[1]) if lines.row else 1)
    if n_panels > MAX_PER_ROW:  # panels wrap: three a row at least
        height = min(height, PANELS_WIDTH / (3 * aspect))
    data, facets = arrange(lines.data, lines.col, lines.row, lines.titles, height * aspect)
    with sns.axes_style("whitegrid"):
        g = sns.relplot(data=data, x=x, y=y, kind="line", palette=palette, color=color,
                        dashes=dashes, height=height, aspect=aspect, estimator=None, sort=True,
                        legend=False, facet_kws={"margin_titles": not facets.wrap},
                        **_role_kwargs(lines), **facets.grid_kwargs(), **kwargs)
    facet_titles(g, facets.titles)
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


def bands(g: sns.FacetGrid, lines: Lines, x: str, low: str, high: str,
          alpha: float = 0.15, total: float = 0.35, edges_over: int | None = None) -> bool:
    """Shade [low, high] around each line in its hue colour.

    Each band is at most ``alpha`` opaque, and lighter where a panel has many lines:
    all of a panel's bands stacked are at most ``total`` opaque (1 − (1 − α)ⁿ), so
    overlapping bands never become a dark block that hides the lines. A panel of more
    than ``edges_over`` lines, whose faint bands could not be told apart, also draws
    each band's edges as thin dotted lines in its colour. Returns whether any panel did.
    """
    palette = _palette(lines)
    keys = [k for k in (lines.hue and lines.hue[0], lines.style and lines.style[0]) if k]
    edged = False
    for (row, col, _), subset in g.facet_data():
        if subset.empty:
            continue
        ax = g.facet_axis(row, col)
        groups = list(subset.groupby(keys, sort=False)) if keys else [(None, subset)]
        shade = min(alpha, 1 - (1 - total) ** (1 / len(groups)))
        edges = edges_over is not None and len(groups) > edges_over
        edged |= edges
        for _key, part in groups:
            hue_value = part[lines.hue[0]].iloc[0] if lines.hue else None
            color = palette[hue_value] if palette else sns.color_palette(LINE_PALETTE)[0]
            part = part.sort_values(x)
            ax.fill_between(part[x], part[low], part[high], color=color, alpha=shade,
                            linewidth=0)
            if edges:
                for column in (low, high):
                    ax.plot(part[x], part[column], color=color, linestyle=(0, (1, 2)),
                            linewidth=0.7, alpha=0.6, label="_band_edge")
    return edged
