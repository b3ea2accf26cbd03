"""``xorbench summary``, ``plot`` and ``report``: a finished or partial sweep, shown."""

from __future__ import annotations

from typing import Annotated

import typer

from xorbench.cli.app import app, guarded, say
from xorbench.cli.display import draw_plots, print_leaderboard, write_report
from xorbench.cli.options import (
    ColOption,
    FolderArg,
    HueOption,
    PlotFormat,
    PlotJobs,
    RowOption,
)
from xorbench.schema import SORTABLE


@app.command("summary")
@guarded
def summary_command(
    folder: FolderArg,
    top: Annotated[int, typer.Option(help="Rows to show.", min=1)] = 10,
    sort: Annotated[str, typer.Option(
        help=f"Column to rank by, best first: {', '.join(SORTABLE)}.")] = "rate",
    descending: Annotated[bool | None, typer.Option(
        "--descending/--ascending", help="Rank largest or smallest first. Default: best "
        "first (rates and failure counts largest, epochs and losses smallest).",
        show_default=False)] = None,
    where: Annotated[str | None, typer.Option(
        help="""pandas query to filter settings, e.g. 'activation == "tanh"'.""")] = None,
    all_budgets: Annotated[bool, typer.Option(
        "--all-budgets", help="Rank every epoch budget, not only each setting's largest.")]
    = False,
) -> None:
    """The leaderboard of a finished or partial sweep."""
    from xorbench.analysis import summarize
    from xorbench.results import folder_seed_rule, load_runs, sweep_status

    runs = load_runs(folder)
    status = sweep_status(folder, runs)
    if status.partial:
        say(status.describe())
    print_leaderboard(summarize(runs, folder_seed_rule(folder)), top=top, sort=sort, where=where,
                      all_budgets=all_budgets, descending=descending)


@app.command("plot")
@guarded
def plot_command(
    folder: FolderArg,
    fmt: Annotated[PlotFormat, typer.Option("--format", help="Image format.")] = PlotFormat.png,
    jobs: PlotJobs = None,
    hue: HueOption = None,
    col: ColOption = None,
    row: RowOption = None,
) -> None:
    """(Re)draw the plots of a finished or partial sweep into DIR/plots/.

    --hue, --col and --row choose the axis compared within a panel and the axes split
    into panels; they win over the grid file's \\[plots] table, and any left out keeps
    the automatic choice. A union of sub-grids follows --col only.

    Example:  xorbench plot results/quick --hue init --col activation
    """
    from xorbench.grid.plotroles import PlotRoles
    from xorbench.parallel import default_jobs
    from xorbench.plots.data import load_plot_data

    draw_plots(folder, load_plot_data(folder), fmt.value, jobs=jobs or default_jobs(),
               roles=PlotRoles(hue=hue, col=col, row=row))


@app.command("report")
@guarded
def report_command(folder: FolderArg, jobs: PlotJobs = None) -> None:
    """Write DIR/report.md and a self-contained DIR/report.html (plots embedded).

    The report holds the run counts, plain-language findings, the leaderboard,
    the plots and the grid; the HTML opens offline. Works on a partial sweep.
    """
    from xorbench.parallel import default_jobs
    from xorbench.plots.data import load_plot_data

    data = load_plot_data(folder)
    if data.note:
        say(data.note)
    write_report(folder, data, jobs=jobs or default_jobs())
