"""The forest plot of "Does it help?" (``effects.png``): every paired comparison of a
sweep, its difference of rates and the 95 % interval, around a zero line."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from xorbench import analysis
from xorbench.analysis.effects import OUTCOMES, outcomes
from xorbench.analysis.text import value_text
from xorbench.analysis.verdict import other_axes
from xorbench.plots.data import PlotData
from xorbench.plots.kit import add_titles, legend_right, quiet_layout

MAX_ROWS = 40  # comparisons per panel; past it, the largest differences each way
ROW_INCHES = 0.2
WIDTH_INCHES = 9.0  # 1,080 px at the saved 120 dpi
# higher / lower: blue and vermillion (Okabe & Ito); the rest grey
OUTCOME_COLORS = {"higher": "#0072B2", "lower": "#D55E00", "not significant": "0.45",
                  "no detectable difference": "0.70"}


def _rows(table: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The panel's comparisons, each with its label, and what was left out. A label names
    the other axes whose values differ between the panel's rows: a value they all share
    says nothing and made labels of a union of sub-grids wider than the plot."""
    others = [axis for axis in other_axes(table) if table[axis].nunique() > 1]
    table = table.assign(
        label=[" · ".join([f"{row['b']} vs {row['a']}", *(_named(c, row[c]) for c in others)])
               for row in table.to_dict(orient="records")],
        outcome=outcomes(table))
    if len(table) <= MAX_ROWS:
        return table, ""
    order = table["diff"].sort_values()
    keep = order.index[: MAX_ROWS // 2].union(order.index[-(MAX_ROWS // 2):])
    return table.loc[keep], f" (the {MAX_ROWS // 2} largest differences each way of {len(table)})"


def _named(axis: str, value: object) -> str:
    """``tanh``, ``2-2-1``, but ``lr 0.1`` and ``init xavier``: a value that does not say
    its axis by itself is named with it, as the verdicts name a setting."""
    text = value_text(axis, value)
    return text if axis in ("arch", "activation", "task") else f"{axis} {text}"


@quiet_layout
def effects_figure(effects: list[analysis.AxisEffects], note: str | None) -> Figure | None:
    """One panel per axis, one row per comparison; None without comparisons."""
    panels = [(item.axis, *_rows(item.largest)) for item in effects]
    if not panels:
        return None
    heights = [len(rows) * ROW_INCHES + 0.2 for _, rows, _ in panels]
    gap, bottom = 0.75, 0.55  # inches: between panels (title, ticks), below (axis label)
    total = sum(heights) + gap * (len(panels) - 1) + bottom + 0.3
    fig, axes = plt.subplots(len(panels), 1, figsize=(WIDTH_INCHES, total),
                             gridspec_kw={"height_ratios": heights}, squeeze=False,
                             sharex=True)
    fig.subplots_adjust(top=1 - 0.3 / total, bottom=bottom / total,
                        hspace=gap / (sum(heights) / len(panels)))
    for ax, (axis, rows, left_out) in zip(axes[:, 0], panels, strict=True):
        y = range(len(rows))
        colors = [OUTCOME_COLORS[o] for o in rows["outcome"]]
        ax.hlines(y, rows["diff_low"], rows["diff_high"], colors=colors, linewidth=1.6)
        ax.scatter(rows["diff"], y, c=colors, s=14, zorder=3)
        ax.axvline(0, color="0.2", linewidth=0.8)
        ax.set_yticks(list(y), rows["label"], fontsize=8)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_title(f"{axis}{left_out}", loc="left", fontsize=10)
        ax.grid(axis="x", color="0.9")
        ax.tick_params(labelbottom=True)  # every panel keeps its scale
    axes[-1, 0].set_xlabel("difference of rates, b − a (percentage points), with its 95 % "
                           "interval")
    present = [o for o in OUTCOMES if any(o in set(rows["outcome"]) for _, rows, _ in panels)]
    legend_right(fig, [("", [(o, Line2D([], [], color=OUTCOME_COLORS[o], marker="o"))
                             for o in present])])
    add_titles(fig, "Does it help? Each value against the axis's first, seed by seed",
               "Every pair of settings that differ in one axis only, at their largest epoch "
               "budget, compared over the seeds both ran. Dot: the difference of the two "
               "rates; bar: Tango's 95 % interval for paired proportions. Blue or vermillion: "
               "b's rate is higher or lower (the interval excludes 0 and the Holm-adjusted "
               "McNemar p is below 0.05); grey: not significant after adjusting, or no "
               "detectable difference (the interval holds 0). A row names the other axes' "
               "values where they differ between its panel's rows.", note)
    return fig


def draw_effects(data: PlotData, note: str | None) -> Figure | None:
    return effects_figure(analysis.axis_effects(data.runs), note)
