"""``xorbench compare``: paired comparisons along one axis — does changing it help?"""

from __future__ import annotations

import json
import textwrap
from typing import Annotated

import typer
from rich import box
from rich.table import Table as RichTable

from xorbench.cli.app import app, guarded, note, out, say
from xorbench.cli.options import FolderArg
from xorbench.errors import ChoiceError, XorbenchError
from xorbench.schema import CONFIG_COLUMNS

WIDTH = 80  # the table and the verdicts fit a classic terminal
# analysis names its arguments as Python does; the command line as they were typed
FLAGS = {"axis": "--axis", "baseline": "--baseline", "budget": "--budget"}
LEFT = {"setting", "b vs a", *CONFIG_COLUMNS}  # text columns; the numbers align right
# Phrases a line is never broken inside (wrapped with no-break spaces, printed with spaces).
UNBROKEN = (" pp", "p = ", "95 % CI", " vs ")


@app.command("compare")
@guarded
def compare_command(
    folder: FolderArg,
    axis: Annotated[str, typer.Option(
        help="The axis to compare along: optimizer, init, lr, hidden (= arch), activation, …",
        show_default=False)],
    baseline: Annotated[str | None, typer.Option(
        help="Compare every other value with this one. Default: with the axis's first "
             "value in grid order.", show_default=False)] = None,
    budget: Annotated[int | None, typer.Option(
        help="Compare at this epoch budget. Default: the largest both sides have.",
        show_default=False)] = None,
    all_budgets: Annotated[bool, typer.Option(
        "--all-budgets", help="Compare at every epoch budget.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="One JSON object per comparison instead of the table.")] = False,
) -> None:
    """Paired comparisons along one axis, seed by seed: does changing AXIS help?

    Settings that differ only in AXIS, compared over the seeds both ran:
    the difference of their rates with a 95 % interval, the seeds only one
    solved with McNemar's exact test (Holm-adjusted), and how many times
    the epochs one needs. Writes DIR/compare-<axis>.csv.
    """
    from xorbench.analysis.compare import AXIS_NAMES
    from xorbench.results import ResultsDir, load_runs, sweep_status

    if budget is not None and all_budgets:
        raise XorbenchError("--budget and --all-budgets: give one of them")
    runs = load_runs(folder)
    status = sweep_status(folder, runs)
    table = _compare(runs, axis, baseline, "all" if all_budgets else budget)
    name = AXIS_NAMES.get(axis, axis)
    path = ResultsDir(folder).write_csv(f"compare-{name}.csv", table)
    if as_json:
        _print_json(table)
        note(f"comparisons: {path}")
        return
    if status.partial:
        say(status.describe())
    print_comparisons(table, name)
    say(f"comparisons: {path}")


def _compare(runs, axis: str, baseline: str | None, budgets):
    """:func:`xorbench.analysis.compare.compare`, its errors naming the flags as typed."""
    from xorbench.analysis.compare import compare

    try:
        return compare(runs, axis, baseline=baseline, budgets=budgets)
    except ChoiceError as e:
        if e.key not in FLAGS:
            raise
        raise ChoiceError(FLAGS[e.key], e.value, e.problem) from None


def print_comparisons(table, axis: str) -> None:
    """The comparisons as a table of at most 80 columns, its key, then each in words."""
    from xorbench.analysis.verdict import (
        COMPARISON_KEY,
        comparison_rows,
        pairing_note,
        verdict_lines,
    )

    if table.empty:
        say(f"no two settings differ only in {axis}: nothing to compare")
        return
    references = table["a"].unique()
    against = references[0] if len(references) == 1 else "the first value of its setting"
    title = f"{axis}, paired by seed: each value vs {against}"
    rich_table = RichTable(title=title, title_justify="left", box=box.SIMPLE_HEAD,
                           show_edge=False, pad_edge=False, padding=(0, 1),
                           collapse_padding=True)
    header, rows = comparison_rows(table)
    for column in header:  # text folds onto more lines; numbers are never cut
        if column in LEFT:
            rich_table.add_column(column, overflow="fold")
        else:
            rich_table.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        rich_table.add_row(*row)
    out.print(rich_table, width=min(out.width, WIDTH))
    _wrapped(COMPARISON_KEY.format(n=int(table["p_value"].notna().sum())))
    say("")
    for line in verdict_lines(table):
        _wrapped(line, indent="  ")
    _wrapped(pairing_note(table))


def _wrapped(text: str, indent: str = "") -> None:
    for phrase in UNBROKEN:
        text = text.replace(phrase, phrase.replace(" ", "\xa0"))
    lines = textwrap.fill(text, width=WIDTH, subsequent_indent=indent, break_on_hyphens=False)
    say(lines.replace("\xa0", " "))


def _print_json(table) -> None:
    from xorbench.analysis.verdict import verdict

    n = int(table["p_value"].notna().sum())
    for row in table.to_dict(orient="records"):
        clean = {k: None if _missing(v) else v.item() if hasattr(v, "item") else v
                 for k, v in row.items()}
        say(json.dumps({**clean, "verdict": verdict(row, n)}, ensure_ascii=False))


def _missing(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))

