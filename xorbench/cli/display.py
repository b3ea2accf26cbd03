"""What several commands print the same way: the leaderboard, and where the plots are."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table as RichTable

from xorbench.cli.app import note, out, say

# The most rows a leaderboard prints: a table longer than a few screens is read as a
# file (summary.csv, or `xorbench summary --sort ... --where ...`), not in a terminal.
MAX_TOP = 200


def print_leaderboard(summary, top: int = 10, sort: str = "rate", where: str | None = None,
                      all_budgets: bool = False, descending: bool | None = None) -> None:
    """The best settings of a summary as a table, titled by what it ranks, with what its
    rate means below it; narrowed to the terminal's width (COLUMNS when set) by naming
    a budget shared by every row in the title and, if that is not enough, putting the
    setting's axes in one column that wraps between values."""
    from xorbench.analysis import leaderboard
    from xorbench.analysis.leaderboard import natural_descending
    from xorbench.analysis.text import leaderboard_rows, leaderboard_title, rate_note

    shown = min(top, MAX_TOP)
    board = leaderboard(summary, top=shown + (top > shown), sort=sort, where=where,
                        largest_budget=not all_budgets, descending=descending)
    if board.empty:
        say("no runs to rank")
        return
    if len(board) > shown:  # more than a table reads: the rest are in summary.csv
        board = board.iloc[:shown]
        note(f"--top {top}: showing the first {shown} rows (all of them are in summary.csv)")
    down = natural_descending(sort) if descending is None else descending
    title = leaderboard_title(sort, down)
    budgets = board["epochs"].unique()
    if len(budgets) == 1:  # one budget for every row: said once, in the title
        board = board.drop(columns="epochs")
        title += f", at {int(budgets[0]):,} epochs"
    elif not all_budgets:
        title += " (each at its largest budget)"
    header, rows = leaderboard_rows(board, sep="")
    n_axes = header.index("rate")
    caption = rate_note(summary)
    table = _table(title, header, rows, n_axes, caption)
    if _natural_width(table) > out.width and n_axes > 1:
        axes = header[:n_axes]
        merged = [[" · ".join(_named(a, v) for a, v in zip(axes, row, strict=False)),
                   *row[n_axes:]] for row in rows]
        table = _table(title, ["setting", *header[n_axes:]], merged, 1, caption)
    out.print(table)


# In one merged column, the values that would be ambiguous without their axis's name.
_NAMED = {"init": "init {}", "bias_init": "bias {}", "lr": "lr {}", "epochs": "{} epochs",
          "output": "output {}", "criterion": "solved by {}"}


def _named(axis: str, value: str) -> str:
    return _NAMED.get(axis, "{}").format(value)


def _natural_width(table: RichTable) -> int:
    """The width ``table`` takes with no limit (a console measures within its own)."""
    from rich.measure import Measurement

    return Measurement.get(out, out.options.update_width(10_000), table).maximum


def _table(title: str, header: list[str], rows: list[list[str]], n_axes: int,
           caption: str) -> RichTable:
    table = RichTable(title=title, title_justify="left", caption=caption,
                      caption_justify="left")
    for i, col in enumerate(header):
        text = i < n_axes or col == "top failure"
        setting = n_axes == 1 and i == 0  # the one column that wraps, between values
        # every other column keeps its widest value whole (its heading may wrap)
        widest = max(len(row[i]) for row in rows)
        table.add_column(col, justify="left" if text else "right", overflow="fold",
                         no_wrap=not setting, min_width=None if setting else widest)
    for row in rows:
        table.add_row(*row)
    return table


def draw_plots(folder: Path, data=None, fmt: str = "png", jobs: int = 1,
               roles=None) -> list[Path]:
    """Draw a folder's plots (in ``jobs`` processes; ``roles``: the axes of the colour and
    the panels, over the grid's [plots]), say where they are; their paths."""
    from xorbench.plots.data import load_plot_data
    from xorbench.plots.jobs import save_plots

    data = data if data is not None else load_plot_data(folder)
    data = data.with_roles(roles)  # a bad choice is refused before anything is said
    if data.note:
        say(data.note)
    paths = save_plots(folder, data, fmt=fmt, jobs=jobs)
    if not paths:
        say("no finished runs to plot yet")
        return paths
    say(f"plots: {Path(folder) / 'plots'}/  ({', '.join(p.name for p in paths)})")
    return paths


def write_report(folder: Path, data=None, images: list[Path] | None = None,
                 plots: bool = True, jobs: int = 1) -> None:
    """Write a folder's report.md and report.html and say where they are."""
    from xorbench.report import write_report as write

    md_path, html_path = write(folder, data, jobs=jobs, images=images, plots=plots)
    say(f"report: {md_path}  {html_path}")
