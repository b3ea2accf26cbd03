"""The line plots of a sweep, and the facet and hue roles they share.

:func:`rate_vs_budget` (rate against the epoch budget, Wilson bands),
:func:`epoch_solved_ecdf` (how fast the runs that succeed get there) and
:func:`learning_curves` (median loss with its interquartile band) draw one line
per setting; :func:`line_roles` decides which axes become hue, dashes, columns
and rows, and falls back to :func:`settings_of_interest` when there would be too
many lines. :mod:`xorbench.plots` draws the other pictures and saves them all.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from xorbench import analysis, schema
from xorbench.analysis.design import (
    at_largest_budget,
    config_axes,
    setting_namer,
    sparse_design,
    sparse_rows,
    task_name,
)
from xorbench.analysis.text import seed_count_text
from xorbench.plotkit import (
    LINE_PALETTE,
    add_titles,
    axis_title,
    facet_titles,
    legend_right,
    plain_log_ticks,
    quiet_layout,
    roles,
    text_role,
    with_labels,
)

# A line plot shows at most this many settings before it picks settings of interest.
MAX_LINES_PER_FACET, MAX_FACETS = 10, 16


# --- 2. Rate against the epoch budget ----------------------------------------------------


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


def line_roles(frame: pd.DataFrame, summary: pd.DataFrame, n_gain: int = 0,
                configs: Sequence[str] | None = None) -> Lines:
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
        return Lines(data, levels["hue"], levels["style"], levels["col"], levels["row"],
                      {k: axis_title(v) for k, v in r.items()}, "",
                      ordered_hue=len(r["hue"]) == 1 and pd.api.types.is_numeric_dtype(
                          frame[r["hue"][0]]))
    chosen, text = settings_of_interest(_only(summary, configs), n_gain=n_gain)
    data = frame[frame["config_id"].isin(chosen)].copy()
    labels = at_largest_budget(summary).set_index("config_id")
    name = setting_namer(summary)
    names = {c: name(labels.loc[c]) for c in chosen}
    data["_hue"] = data["config_id"].map(names)
    return Lines(data, ("_hue", [names[c] for c in chosen]), None, None, None,
                  {"hue": "setting"}, text)


def _only(summary: pd.DataFrame, configs: Sequence[str] | None) -> pd.DataFrame:
    return summary if configs is None else summary[summary["config_id"].isin(configs)]


def _sparse_lines(frame: pd.DataFrame, summary: pd.DataFrame, design: tuple, n_gain: int,
                  configs: Sequence[str] | None) -> Lines:
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
    col = text_role(data, column, "_col")
    return Lines(data, hue, None, col, None,
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


def _facet_kwargs(lines: Lines) -> dict:
    kwargs: dict = {}
    for role in ("hue", "style", "col", "row"):
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


def bands(g: sns.FacetGrid, lines: Lines, x: str, low: str, high: str,
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
        caption = (f"Share of {seed_count_text(summary)} that solve {task} within each budget; "
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
    lines = line_roles(data, summary, n_gain=0 if single_budget else 4, configs=configs)
    g = relplot(lines, x="epochs", y="_pct", marker="o" if not single_budget else None,
                 markersize=4)
    bands(g, lines, "epochs", "_low", "_high")
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
    keep = ["config_id", *[c for c in schema.CONFIG_COLUMNS if c in last.columns]]
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
    lines = line_roles(data, summary)
    g = relplot(lines, x="epoch", y="share", drawstyle="steps-post")
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


# --- 5. Learning curves --------------------------------------------------------------------


@quiet_layout
def learning_curves(curves: pd.DataFrame, summary: pd.DataFrame,
                    note: str | None = None) -> Figure:
    """Median loss over seeds with its interquartile band, on log-spaced epochs (log–log)."""
    data = curves.dropna(subset=["loss_median"])
    data = data[data["loss_median"] > 0] if not data.empty else data
    lines = line_roles(data, summary)
    g = relplot(lines, x="epoch", y="loss_median")
    bands(g, lines, "epoch", "loss_q25", "loss_q75", alpha=0.1)  # bands overlap a lot
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
