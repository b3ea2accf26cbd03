"""``xorbench grid`` and ``xorbench sweep``: a grid described, then trained."""

from __future__ import annotations

import math
import shlex
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from xorbench.cli.app import app, err, fail, guarded, note, out, say, warn
from xorbench.cli.display import draw_plots, print_leaderboard, write_report
from xorbench.cli.options import DEFAULT_BACKEND, Backend, GridArg


def runs_text(grid) -> str:
    """``24 configurations × 500 seeds × 3 epoch budgets (…) → 36,000 runs``: how the runs
    are counted (one training per configuration and seed, a run recorded per epoch budget)."""
    from xorbench.analysis.text import plural

    budgets = grid.axes()["epochs"]
    per_config = grid.n_runs / max(1, grid.n_configs * len(grid.seeds))
    seeds = (plural(len(grid.seeds), "seed") if grid.seed_rule is None else
             f"{grid.seeds_least:,} to {len(grid.seeds):,} seeds")
    counted = f"{plural(grid.n_configs, 'configuration')} × {seeds}"
    if len(budgets) == 1:
        counted += f" at {budgets[0]:,} epochs"
    elif per_config == len(budgets):
        shown = ", ".join(f"{b:,}" for b in budgets)
        counted += f" × {len(budgets)} epoch budgets ({shown})"
    elif per_config != 1:  # a union of sub-grids with their own budgets
        counted += f" × {per_config:.1f} epoch budgets per configuration on average"
    if grid.seed_rule is not None:
        return f"{counted} → {grid.n_runs_least:,} to {grid.n_runs:,} runs"
    return f"{counted} → {plural(grid.n_runs, 'run')}"


def _load(path: Path | None):
    from xorbench.grid import default_grid, load_grid

    return default_grid() if path is None else load_grid(path)


@app.command("grid")
@guarded
def grid_command(path: Annotated[Path, typer.Argument(help="Grid file (TOML).")]) -> None:
    """Validate and expand a grid: show its axes, configurations and run count. Runs nothing."""
    from xorbench.analysis.text import duration_text, seeds_text
    from xorbench.grid import format_value
    from xorbench.sweep.cost import estimated_grid_seconds, run_guard

    grid = _load(path)
    say(f"{grid.name}: {grid.description}" if grid.description else grid.name)
    table = RichTable(box=None, pad_edge=False)
    table.add_column("axis")
    table.add_column("values")
    for axis, values in grid.axes().items():
        table.add_row(axis, ", ".join(format_value(axis, v) for v in values))
    table.add_row("seeds", seeds_text(grid.seeds, grid.seed_rule))
    out.print(table)
    # the planner's cost model, at the range of rates measured on whole example grids
    fast, slow = estimated_grid_seconds(grid)
    fast *= grid.n_runs_least / max(grid.n_runs, 1)  # adaptive seeds: all settled at once
    fast_text, slow_text = duration_text(fast, rough=True), duration_text(slow, rough=True)
    span = slow_text if fast_text == slow_text else f"{fast_text} to {slow_text}"
    say(f"{runs_text(grid)}; training takes roughly {span} on one core")
    guard = run_guard(grid)
    if guard:
        say(f"{grid.path}: {guard}: a sweep of it needs --yes")


@app.command("sweep")
@guarded
def sweep_command(
    path: GridArg = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Output folder. Default: results/<grid name>.")] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", help="Parallel workers. Default: all cores.", min=1)] = None,
    backend: Annotated[Backend, typer.Option(
        help="loky (processes), threading or dask.")] = DEFAULT_BACKEND,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address, e.g. tcp://host:8786 (with --backend dask).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Run grids above the run guard.")]
    = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Skip drawing the plots.")]
    = False,
    no_report: Annotated[bool, typer.Option(
        "--no-report", help="Skip writing report.md and report.html.")] = False,
    top: Annotated[int, typer.Option(help="Rows of the leaderboard to print.", min=1)] = 10,
    fresh: Annotated[bool, typer.Option(
        "--fresh", help="Start over: move the folder's old results to <out>.old-<time> first.")]
    = False,
    batch_size: Annotated[int | None, typer.Option(
        "--batch-size", min=1, help="Advanced: networks per engine batch (default: sized "
        "for cache). Smaller batches mean more, smaller shards.")] = None,
) -> None:
    """Train every run of a grid, in parallel, and write tidy results.

    Writes results/<name>/ (or --out): runs.csv, summary.csv, curves.csv,
    manifest.json, grid.toml and shards/, then the plots and report.md and
    report.html. Finished batches are saved as they come: rerunning the same
    command (after Ctrl-C, a crash, or with a changed grid) trains only the runs
    not yet done. --fresh starts over.

    Example:  xorbench sweep sweeps/quick.toml --jobs 2
    """
    from xorbench.sweep import default_out, run_sweep
    from xorbench.sweep.cost import run_guard

    backend = backend.value
    if scheduler is not None and backend != "dask":
        raise fail(f"--scheduler {scheduler}: needs --backend dask")
    grid = _load(path)
    guard = None if yes else run_guard(grid)
    if guard:
        raise fail(f"{grid.path}: {guard}; add --yes to run it anyway")
    folder = out_dir or default_out(grid)
    resume = _resume_command(path, folder, jobs=jobs, backend=backend, scheduler=scheduler,
                             yes=yes, batch_size=batch_size)
    try:
        with _sigterm_as_interrupt(), _Progress(quiet) as progress:
            outcome = run_sweep(grid, folder, jobs=jobs, backend=backend,
                                scheduler=scheduler, progress=progress, batch_size=batch_size,
                                fresh=fresh, notify=warn, inform=note,
                                stage=getattr(progress, "stage", None),
                                on_round=getattr(progress, "round", None))
    except KeyboardInterrupt as e:
        saved = (f"{e.n_done:,} of {e.n_runs:,} runs are saved" if hasattr(e, "n_done")
                 else "finished batches are saved")
        err.print(f"interrupted: {saved}; resume with: {resume}", markup=False)
        raise typer.Exit(130) from None
    # Every run is saved and the tables are written: a Ctrl-C from here on stops the
    # printing, the plots or the report, and says how to finish them.
    try:
        with _sigterm_as_interrupt():
            _finish(outcome, grid, top, backend, no_plots, no_report)
    except KeyboardInterrupt:
        rest = ("" if no_plots and no_report else
                "; write the plots and report with: xorbench report "
                f"{shlex.quote(str(outcome.path))}")
        err.print(f"interrupted: all {outcome.n_runs:,} runs are saved and the tables "
                  f"written in {outcome.path}/{rest}", markup=False)
        raise typer.Exit(130) from None


def _finish(outcome, grid, top: int, backend: str, no_plots: bool, no_report: bool) -> None:
    """What a finished sweep prints, then its plots and report."""
    if outcome.moved_aside is not None:
        say(f"--fresh: moved the old results to {outcome.moved_aside}/")
    reused = f", {outcome.n_reused} reused from earlier" if outcome.n_reused else ""
    grid_runs = (f"{outcome.n_runs} in the grid" if grid.seed_rule is None else
                 f"{outcome.n_runs} kept; adaptive seeds allow {grid.n_runs_least} to "
                 f"{grid.n_runs} in this grid")
    say(f"{outcome.n_trained} runs trained{reused} in {outcome.seconds:.1f} s ({grid_runs})")
    print_leaderboard(outcome.summary, top=top)
    say(f"results: {outcome.path}/  (runs.csv, summary.csv, curves.csv, manifest.json)")
    if no_plots and no_report:
        return
    # in the sweep's own worker processes, while they are still up
    jobs = outcome.n_workers if backend == "loky" else 1
    images = None if no_plots else draw_plots(outcome.path, jobs=jobs)
    if not no_report:
        write_report(outcome.path, images=images, plots=not no_plots, jobs=jobs)


def _resume_command(path: Path | None, folder: Path, **options) -> str:
    """The command that resumes this sweep (never --fresh, which would start over)."""
    words = ["xorbench", "sweep", *([str(path)] if path is not None else []),
             "--out", str(folder)]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            words.append(flag)
        elif value not in (None, False) and not (name == "backend" and value == "loky"):
            words += [flag, str(value)]
    return shlex.join(words)


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM (kill, a job scheduler) stops a sweep like Ctrl-C: saved, exit 130."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Progress:
    """A rich progress bar fed by run_sweep's callbacks (nothing when quiet): runs done of
    the total, runs/s and ETA while training; before it, a spinner with the elapsed time
    while a long step (compiling the training loop) runs."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar = None  # the runs bar
        self.task = None
        self.step = None  # the spinner of a long step, while one runs

    def __enter__(self):
        if self.quiet:
            return None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=err, transient=False,
        )
        self.start = time.perf_counter()
        self.first = None
        self.description = "runs"
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=total, completed=done,
                                          rate="")
            self.first = done
            return
        elapsed = time.perf_counter() - self.start
        rate = (done - self.first) / elapsed if elapsed > 0 else math.nan
        self.bar.update(self.task, completed=done, total=total,  # rounds add runs
                        description=self.description, rate=f"{rate:,.0f} runs/s")

    def round(self, text: str) -> None:
        """A round of adaptive seeds begins: one line saying what it trains; the bar is
        labelled with the round."""
        err.print(text, markup=False, highlight=False)
        self.description = text.split(":")[0].replace(" of at most ", "/")

    def stage(self, text: str | None) -> None:
        """A long step begins (``text``: what it does) or ends (None)."""
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        if text is not None:
            if self.task is not None:
                self.bar.stop()  # one live display at a time: the spinner, then the bar
            self.step = Progress(SpinnerColumn(), TextColumn(text), TimeElapsedColumn(),
                                 console=err, transient=True)
            self.step.start()
            self.step.add_task(text, total=None)
            return
        if self.step is not None:
            self.step.stop()
            self.step = None
        if self.task is not None:
            self.bar.start()
        self.start = time.perf_counter()  # runs/s counts training time only

    def __exit__(self, *exc):
        if self.step is not None:
            self.step.stop()
        if self.bar is not None and self.task is not None:
            self.bar.stop()
        return False
