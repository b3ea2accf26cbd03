"""What several commands print the same way: the leaderboard, and where the plots are."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table as RichTable

from xorbench.cli.app import out, say


def print_leaderboard(summary, top: int = 10, sort: str = "rate", where: str | None = None,
                      all_budgets: bool = False) -> None:
    """The best settings of a summary as a table, with what its rate means below it."""
    from xorbench.analysis import leaderboard
    from xorbench.analysis.text import leaderboard_rows

    board = leaderboard(summary, top=top, sort=sort, where=where,
                        largest_budget=not all_budgets)
    if board.empty:
        say("no runs to rank")
        return
    title = "Most reliable settings" + ("" if all_budgets else " (each at its largest budget)")
    table = RichTable(title=title, title_justify="left", caption="rate: share of seeds solved, "
                      "with its Wilson 95 % interval", caption_justify="left")
    header, rows = leaderboard_rows(board, sep="")
    text_columns = {"top failure", *(c for c in board.columns if board[c].dtype.kind not in "fiu")}
    for col in header:
        table.add_column(col, justify="left" if col in text_columns else "right")
    for row in rows:
        table.add_row(*row)
    out.print(table)


def draw_plots(folder: Path, data=None, fmt: str = "png", jobs: int = 1, roles=None) -> None:
    """Draw a folder's plots (in ``jobs`` processes; ``roles``: the axes of the colour and
    the panels, over the grid's [plots]) and say where they are."""
    from xorbench.plots.data import load_plot_data
    from xorbench.plots.jobs import save_plots

    data = data if data is not None else load_plot_data(folder)
    data = data.with_roles(roles)  # a bad choice is refused before anything is said
    if data.note:
        say(data.note)
    paths = save_plots(folder, data, fmt=fmt, jobs=jobs)
    if not paths:
        say("no finished runs to plot yet")
        return
    say(f"plots: {Path(folder) / 'plots'}/  ({', '.join(p.name for p in paths)})")
