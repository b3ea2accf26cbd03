"""The line plots of a sweep: rate against the epoch budget (Wilson bands), how fast the
successful runs get there (an ECDF of epoch_solved), and the learning curves (median
loss with its interquartile band)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure

from xorbench import analysis, schema
from xorbench.analysis.design import at_largest_budget, task_name
from xorbench.analysis.text import seed_count_text
from xorbench.grid.plotroles import PlotRoles
from xorbench.plots.data import PlotData
from xorbench.plots.kit import (
    add_titles,
    plain_log_ticks,
    plot_design,
    quiet_layout,
    rate_caption,
    role_columns,
)
from xorbench.plots.lines import bands, line_roles, relplot

BAND_EDGES_OVER = 4  # a panel of more lines edges its faint loss bands with dotted lines


@quiet_layout
def rate_vs_budget(summary: pd.DataFrame, curves: pd.DataFrame | None = None,
                   note: str | None = None, roles: PlotRoles | None = None) -> Figure:
    """Convergence rate against the epoch budget, one line per setting, Wilson 95 % bands.

    With a single budget in ``summary`` the rate is drawn from ``curves`` instead
    (the share of seeds solved by each log-spaced epoch), if given. ``roles``: the
    user's colour and panel axes (:func:`~xorbench.plots.lines.line_roles`).
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
                   "in this sweep); bands: Wilson 95 % interval.")
    else:
        data = summary
        xlabel = "epoch budget"
        caption = (f"Share of {seed_count_text(summary)} that solve {task} within each budget; "
                   f"bands: {rate_caption(summary)}.")
    data = data.assign(_pct=data["rate"] * 100, _low=data["ci_low"] * 100,
                       _high=data["ci_high"] * 100)
    configs = None
    if not single_budget and plot_design(summary, role_columns(summary, roles).get("col")):
        # a union of sub-grids: the settings trained at one budget say nothing here
        n_budgets = summary.groupby("config_id")["epochs"].nunique()
        configs = list(n_budgets.index[n_budgets > 1])
        n_left = int((n_budgets == 1).sum())
        if n_left:
            caption += (f" The {n_left} settings trained at a single budget are left out "
                        "(the reliability map shows them).")
    lines = line_roles(data, summary, n_gain=0 if single_budget else 4, configs=configs,
                       chosen=roles)
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
    add_titles(g.figure, title, _also(caption, lines), note)
    return g.figure


def _also(caption: str, lines) -> str:
    """The caption, and what of the user's choice of roles the plot could not follow."""
    return f"{caption} {lines.unused}" if lines.unused else caption


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
                      note: str | None = None, roles: PlotRoles | None = None) -> Figure:
    """ECDF of ``epoch_solved`` per setting on a log epoch axis, as a share of all seeds."""
    task = task_name(summary)
    data = ecdf_frame(runs)
    lines = line_roles(data, summary, chosen=roles)
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
    add_titles(g.figure, title, _also(caption, lines), note)
    return g.figure


@quiet_layout
def learning_curves(curves: pd.DataFrame, summary: pd.DataFrame,
                    note: str | None = None, roles: PlotRoles | None = None) -> Figure:
    """Median loss over seeds with its interquartile band, on log-spaced epochs (log–log)."""
    data = curves.dropna(subset=["loss_median"])
    data = data[data["loss_median"] > 0] if not data.empty else data
    lines = line_roles(data, summary, chosen=roles)
    g = relplot(lines, x="epoch", y="loss_median")
    edged = bands(g, lines, "epoch", "loss_q25", "loss_q75", alpha=0.1, total=0.25,
                  edges_over=BAND_EDGES_OVER)
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
               "(25th–75th percentile)"
               + (f", their edges dotted in panels of more than {BAND_EDGES_OVER} lines"
                  if edged else "")
               + ". Diverged runs (non-finite loss) are left out.")
    if clipped:
        caption += (" The loss axis is cut: curves that leave through the top are "
                    "diverging.")
    if data.empty:
        caption += " No finite loss was recorded."
    add_titles(g.figure, title, _also(caption, lines), note)
    return g.figure


def _loss_name(summary: pd.DataFrame) -> str:
    losses = summary["loss"].unique() if "loss" in summary.columns else []
    return str(losses[0]) if len(losses) == 1 else "training"


def draw_rate_vs_budget(data: PlotData, note: str | None) -> Figure:
    return rate_vs_budget(data.summary, data.curves, note, data.roles)


def draw_ecdf(data: PlotData, note: str | None) -> Figure:
    return epoch_solved_ecdf(data.runs, data.summary, note, data.roles)


def draw_curves(data: PlotData, note: str | None) -> Figure | None:
    if data.curves.empty:
        return None
    return learning_curves(data.curves, data.summary, note, data.roles)
