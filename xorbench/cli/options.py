"""Options shared by commands, their defaults and allowed values read from the tables.

A choice option's help lists what its table allows (``TABLES[key].allowed()``) and its
default is the configuration's (``DEFAULTS[key]``), so adding an activation to its
table adds it to ``xorbench train --help`` with nothing to change here.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from xorbench.config import DEFAULTS, TABLES
from xorbench.grid.plotroles import PLOT_AXES
from xorbench.parallel import BACKENDS


def choice_help(key: str, what: str) -> str:
    """``What: allowed, allowed(p=1), …`` for a choice option."""
    return f"{what}: {TABLES[key].allowed()}."


def default(key: str) -> str:
    """The configuration's default for ``key``, as the command line writes it."""
    value = DEFAULTS[key]
    if key == "hidden":
        return "-".join(str(w) for w in value) or "0"
    return str(value)


Backend = StrEnum("Backend", {name: name for name in BACKENDS})
DEFAULT_BACKEND = Backend(BACKENDS[0])


class PlotFormat(StrEnum):
    png = "png"
    svg = "svg"


GridArg = Annotated[Path | None, typer.Argument(
    help="Grid file (TOML). Default: the built-in quick grid.", show_default=False)]
FolderArg = Annotated[Path, typer.Argument(help="A results folder (results/<name>).")]
PlotJobs = Annotated[int | None, typer.Option(
    "--jobs", "-j", help="Processes drawing the plots at once. Default: all cores.", min=1)]

# --hue, --col, --row: an axis of the sweep for each plot role (grid keys, as in [plots])
_AXES = f"one of {', '.join(PLOT_AXES)} that varies in the sweep"
HueOption = Annotated[str | None, typer.Option(
    help=f"Axis compared within a panel: the colour of the lines, the heatmaps' rows, the "
    f"bars' first label; {_AXES}. Default: the grid's \\[plots], else the plot's own "
    "choice (lr first).",
    metavar="<axis>", show_default=False)]
ColOption = Annotated[str | None, typer.Option(
    help="Axis split into columns of panels, wrapped 3-4 a row (the axes of --hue). "
    "Default: the grid's \\[plots], else the plot's own choice (activation first).",
    metavar="<axis>", show_default=False)]
RowOption = Annotated[str | None, typer.Option(
    help="Axis split into rows of panels (the axes of --hue). Default: the grid's "
    "\\[plots], else the plot's own choice (init first).", metavar="<axis>",
    show_default=False)]

# One network's setup, as `train` and `explain` take it, each with the configuration's
# default as the command line writes it: ``task: TaskOption = DEFAULT_TEXT["task"]``.
DEFAULT_TEXT = {key: default(key) for key in DEFAULTS}
TaskOption = Annotated[str, typer.Option(help=choice_help("task", "Task"))]
HiddenOption = Annotated[str, typer.Option(
    help="Hidden widths: 2, 2-2 (two layers) or 0 (no hidden layer).")]
ActivationOption = Annotated[str, typer.Option(help=choice_help("activation",
                                                                "Hidden activation"))]
OutputOption = Annotated[str, typer.Option(help=choice_help("output", "Output activation"))]
InitOption = Annotated[str, typer.Option(help=choice_help("init", "Weight init"))]
BiasInitOption = Annotated[str, typer.Option(help=choice_help("bias_init", "Bias init"))]
LrOption = Annotated[float, typer.Option(help="Learning rate.")]
OptimizerOption = Annotated[str, typer.Option(help=choice_help("optimizer", "Optimizer"))]
LossOption = Annotated[str, typer.Option(help=choice_help("loss", "Loss"))]
BatchOption = Annotated[str, typer.Option(help=choice_help("batch", "Batch mode"))]
CriterionOption = Annotated[str, typer.Option(help=choice_help("criterion",
                                                               "When it is solved"))]
DtypeOption = Annotated[str, typer.Option(help=choice_help("dtype", "Precision"))]
EpochsOption = Annotated[int, typer.Option(help="Epoch budget.", min=1)]
