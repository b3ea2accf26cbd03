"""The ``xorbench`` command line: a thin shell over the Python API.

Only this module prints and exits. Every user error (the XorbenchError family)
becomes one line on stderr and exit code 1; Ctrl-C exits 130 with a hint.
"""

from __future__ import annotations

import json
import math
import shlex
import sys
import time
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from xorbench.config import MAX_SEEDS, MAX_WIDTH
from xorbench.errors import XorbenchError
from xorbench.parallel import BACKENDS

app = typer.Typer(
    help="Which settings make a small neural network learn XOR reliably? Measure it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
# Piped output (CI logs, files) is not squeezed into 80 columns.
_WIDTH = None if sys.stdout.isatty() else 160
out = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    from rich.markup import escape

    # escaped: "[grid] lr = 0" is the message, not rich markup
    for line in str(message).splitlines():
        err.print(f"[bold red]error:[/] {escape(line)}", markup=True)
    return typer.Exit(code)


def _guard(func):
    """Turn the project's own errors — and the file system's, e.g. an --out under a
    file or a read-only folder — into one readable line and exit code 1; Ctrl-C
    that a command does not handle itself into "interrupted" and exit code 130."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except XorbenchError as e:
            raise _fail(str(e)) from None
        except OSError as e:
            where = f"{e.filename}: " if e.filename else ""
            raise _fail(f"{where}{e.strerror or e}") from None
        except KeyboardInterrupt:
            err.print("interrupted", markup=False)
            raise typer.Exit(130) from None

    return wrapper


# ---------------------------------------------------------------------------- train

HiddenOpt = Annotated[str, typer.Option(
    help="Hidden widths: 2, 2-2 (two layers) or 0 (no hidden layer).")]


def _config_options(raw: dict[str, object]) -> dict[str, object]:
    from xorbench.config import parse_hidden

    raw = {k: v for k, v in raw.items() if v is not None}
    if "hidden" in raw:
        raw["hidden"] = parse_hidden(str(raw["hidden"]).replace(",", "-"), "--hidden")
    return raw


@app.command()
@_guard
def train(
    task: Annotated[str, typer.Option(help="xor, and, or, nand, nor, xnor or parity(n).")] = "xor",
    hidden: HiddenOpt = "2",
    activation: Annotated[str, typer.Option(help="Hidden activation, e.g. sigmoid, tanh, relu.")]
    = "sigmoid",
    output: Annotated[str, typer.Option(help="Output activation: sigmoid or linear.")]
    = "sigmoid",
    init: Annotated[str, typer.Option(help='Weight init, e.g. xavier or "uniform(0,1)".')]
    = "xavier",
    bias_init: Annotated[str, typer.Option(help='Bias init, e.g. zeros or "uniform(0,1)".')]
    = "zeros",
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 0.5,
    optimizer: Annotated[str, typer.Option(help="sgd, momentum(0.9), nesterov, adam, rprop.")]
    = "sgd",
    loss: Annotated[str, typer.Option(help="mse, sse or bce.")] = "mse",
    batch: Annotated[str, typer.Option(help='full, online or "sampled(1000)".')] = "full",
    criterion: Annotated[str, typer.Option(help='threshold, "tolerance(0.1)" or "rms(0.05)".')]
    = "threshold",
    dtype: Annotated[str, typer.Option(help="float64 or float32.")] = "float64",
    epochs: Annotated[int, typer.Option(help="Epoch budget.", min=1)] = 1000,
    seed: Annotated[list[int] | None, typer.Option(
        help="Seed (repeat for several); default: --seeds.")] = None,
    seeds: Annotated[int, typer.Option(help="Use seeds 0..N-1 when no --seed is given.", min=1,
                                       max=MAX_SEEDS)] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per seed.")] = False,
) -> None:
    """Train one configuration on a few seeds and show what each network learned.

    Prints, per seed, the inputs, targets and outputs (the table a learner prints),
    then solved or not, the epoch it was solved, the failure label and the
    boolean function the network computes. Example (the original question):

        xorbench train --hidden 2 --init "uniform(0,1)" --bias-init "uniform(0,1)"
            --lr 1 --batch "sampled(1000)" --epochs 10 --seed 1
    """
    from xorbench.analysis.text import decimal_text
    from xorbench.config import make_config, parse_epochs, parse_seed
    from xorbench.engine.trial import train as train_runs

    config = make_config(_config_options(dict(
        task=task, hidden=hidden, activation=activation, output=output, init=init,
        bias_init=bias_init, lr=lr, optimizer=optimizer, loss=loss, batch=batch,
        criterion=criterion, dtype=dtype)))
    seed_list = list(seed) if seed else list(range(seeds))
    for s in seed_list:
        parse_seed(s, "--seed")
    parse_epochs(epochs, "--epochs")
    runs = train_runs(config, seed_list, epochs)
    y_cols = [c for c in runs.columns if c.startswith("y_")]
    if as_json:
        for row in runs.to_dict(orient="records"):
            out.print(json.dumps(_jsonable(row)), markup=False)
        return
    out.print(f"{config.arch} {config.activation} · init {config.init} · bias {config.bias_init}"
              f" · lr {lr:g} · {config.optimizer} · {config.loss} · batch {config.batch}"
              f" · {epochs} epochs", markup=False)
    for row in runs.to_dict(orient="records"):
        out.print()
        table = RichTable(title=f"seed {row['seed']}", title_justify="left", box=None,
                          pad_edge=False)
        table.add_column("input")
        table.add_column("target", justify="right")
        table.add_column("output", justify="right")
        targets = _targets(config)
        for col, target in zip(y_cols, targets, strict=True):
            table.add_row(" ".join(col[2:]), str(int(target)), decimal_text(row[col]))
        out.print(table)
        solved_at = row["epoch_solved"]
        solved_text = "—" if solved_at is None or _isna(solved_at) else str(solved_at)
        out.print(f"solved: {'yes' if row['solved'] else 'no'} · epoch_solved: {solved_text}"
                  f" · failure: {row['failure']} · learned: {row['learned'] or '—'}"
                  f" · final loss {decimal_text(row['final_loss'], 4)}", markup=False)


def _targets(config) -> list[float]:
    from xorbench.config.tasks import make_task

    return list(make_task(config.task).targets)


def _isna(x) -> bool:
    import pandas as pd

    return bool(pd.isna(x))


def _jsonable(row: dict) -> dict:
    clean = {}
    for k, v in row.items():
        if _isna(v):
            clean[k] = None
        elif hasattr(v, "item"):
            clean[k] = v.item()
        else:
            clean[k] = v
    return clean


# ---------------------------------------------------------------------------- grid

GridArg = Annotated[Path | None, typer.Argument(
    help="Grid file (TOML). Default: the built-in quick grid.", show_default=False)]


def _load(path: Path | None):
    from xorbench.grid import default_grid, load_grid

    return default_grid() if path is None else load_grid(path)


@app.command("grid")
@_guard
def grid_cmd(path: Annotated[Path, typer.Argument(help="Grid file (TOML).")]) -> None:
    """Validate and expand a grid: show its axes, configurations and run count. Runs nothing."""
    from xorbench.analysis.text import duration_text, seed_list_text
    from xorbench.grid import format_value
    from xorbench.sweep.cost import estimated_grid_seconds, run_guard

    grid = _load(path)
    out.print(f"{grid.name}: {grid.description}" if grid.description else grid.name,
              markup=False)
    table = RichTable(box=None, pad_edge=False)
    table.add_column("axis")
    table.add_column("values")
    for axis, values in grid.axes().items():
        table.add_row(axis, ", ".join(format_value(axis, v) for v in values))
    table.add_row("seeds", seed_list_text(grid.seeds))
    out.print(table)
    # the planner's cost model, at the range of rates measured on whole example grids
    fast, slow = estimated_grid_seconds(grid)
    fast_text, slow_text = duration_text(fast, rough=True), duration_text(slow, rough=True)
    span = slow_text if fast_text == slow_text else f"{fast_text} to {slow_text}"
    out.print(f"{grid.n_configs} configurations × {len(grid.seeds)} seeds → "
              f"{grid.n_runs:,} runs (one per budget); training takes roughly {span} on one "
              f"core", markup=False)
    guard = run_guard(grid)
    if guard:
        out.print(f"{grid.path}: {guard}: a sweep of it needs --yes", markup=False)


# ---------------------------------------------------------------------------- sweep

Backend = StrEnum("Backend", {name: name for name in BACKENDS})
DEFAULT_BACKEND = Backend(BACKENDS[0])


@app.command()
@_guard
def sweep(
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
    manifest.json, grid.toml and shards/. Finished batches are saved as they
    come: rerunning the same command (after Ctrl-C, a crash, or with a changed
    grid) trains only the runs not yet done. --fresh starts over.

    Example:  xorbench sweep sweeps/quick.toml --jobs 2
    """
    from xorbench.sweep import default_out, run_sweep
    from xorbench.sweep.cost import run_guard

    backend = backend.value
    if scheduler is not None and backend != "dask":
        raise _fail(f"--scheduler {scheduler}: needs --backend dask")
    grid = _load(path)
    guard = None if yes else run_guard(grid)
    if guard:
        raise _fail(f"{grid.path}: {guard}; add --yes to run it anyway")
    folder = out_dir or default_out(grid)
    resume = _resume_command(path, folder, jobs=jobs, backend=backend, scheduler=scheduler,
                             yes=yes, batch_size=batch_size)
    try:
        with _sigterm_as_interrupt(), _progress(quiet) as progress:
            outcome = run_sweep(grid, folder, jobs=jobs, backend=backend,
                                scheduler=scheduler, progress=progress, batch_size=batch_size,
                                fresh=fresh, notify=_warn, inform=_note)
    except KeyboardInterrupt as e:
        saved = (f"{e.n_done:,} of {e.n_runs:,} runs are saved" if hasattr(e, "n_done")
                 else "finished batches are saved")
        err.print(f"interrupted: {saved}; resume with: {resume}", markup=False)
        raise typer.Exit(130) from None
    if outcome.moved_aside is not None:
        out.print(f"--fresh: moved the old results to {outcome.moved_aside}/", markup=False)
    reused = f", {outcome.n_reused} reused from earlier" if outcome.n_reused else ""
    out.print(f"{outcome.n_trained} runs trained{reused} in {outcome.seconds:.1f} s "
              f"({outcome.n_runs} in the grid)", markup=False)
    _print_leaderboard(outcome.summary, top=top)
    out.print(f"results: {outcome.path}/  (runs.csv, summary.csv, curves.csv, manifest.json)",
              markup=False)
    if not no_plots:
        try:
            with _sigterm_as_interrupt():
                # in the sweep's own worker processes, while they are still up
                _draw_plots(outcome.path, jobs=outcome.n_workers if backend == "loky" else 1)
        except KeyboardInterrupt:
            err.print("interrupted: the results are complete, the plots are not; draw them "
                      f"with: xorbench plot {shlex.quote(str(outcome.path))}", markup=False)
            raise typer.Exit(130) from None


def _warn(message: str) -> None:
    err.print(f"warning: {message}", markup=False)


def _note(message: str) -> None:
    err.print(f"note: {message}", markup=False)


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


class _progress:
    """A rich progress bar fed by run_sweep's callback (nothing when quiet)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar = None
        self.task = None

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
            TextColumn("runs"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=err, transient=False,
        )
        self.bar.__enter__()
        self.start = time.perf_counter()
        self.first = None
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.task is None:
            self.task = self.bar.add_task("sweep", total=total, completed=done, rate="")
            self.first = done
            return
        elapsed = time.perf_counter() - self.start
        rate = (done - self.first) / elapsed if elapsed > 0 else math.nan
        self.bar.update(self.task, completed=done, rate=f"{rate:,.0f} runs/s")

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


def _print_leaderboard(summary, top: int = 10, sort: str = "rate", where: str | None = None,
                       all_budgets: bool = False) -> None:
    from xorbench.analysis import leaderboard
    from xorbench.analysis.text import leaderboard_rows

    board = leaderboard(summary, top=top, sort=sort, where=where,
                        largest_budget=not all_budgets)
    if board.empty:
        out.print("no runs to rank", markup=False)
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


# ---------------------------------------------------------------------------- summary


@app.command()
@_guard
def summary(
    folder: Annotated[Path, typer.Argument(help="A results folder (results/<name>).")],
    top: Annotated[int, typer.Option(help="Rows to show.", min=1)] = 10,
    sort: Annotated[str, typer.Option(help="Column to rank by (descending).")] = "rate",
    where: Annotated[str | None, typer.Option(
        help="""pandas query to filter settings, e.g. 'activation == "tanh"'.""")] = None,
    all_budgets: Annotated[bool, typer.Option(
        "--all-budgets", help="Rank every epoch budget, not only each setting's largest.")]
    = False,
) -> None:
    """The leaderboard of a finished or partial sweep."""
    from xorbench.analysis import summarize
    from xorbench.results import load_runs, sweep_status

    runs = load_runs(folder)
    status = sweep_status(folder, runs)
    if status.partial:
        out.print(status.describe(), markup=False)
    _print_leaderboard(summarize(runs), top=top, sort=sort, where=where,
                       all_budgets=all_budgets)


# ---------------------------------------------------------------------------- plot, report


class PlotFormat(StrEnum):
    png = "png"
    svg = "svg"


FolderArg = Annotated[Path, typer.Argument(help="A results folder (results/<name>).")]
PlotJobs = Annotated[int | None, typer.Option(
    "--jobs", "-j", help="Processes drawing the plots at once. Default: all cores.", min=1)]


@app.command()
@_guard
def plot(
    folder: FolderArg,
    fmt: Annotated[PlotFormat, typer.Option("--format", help="Image format.")] = PlotFormat.png,
    jobs: PlotJobs = None,
) -> None:
    """(Re)draw the plots of a finished or partial sweep into DIR/plots/."""
    from xorbench.parallel import default_jobs
    from xorbench.plots.data import load_plot_data

    _draw_plots(folder, load_plot_data(folder), fmt.value, jobs=jobs or default_jobs())


def _draw_plots(folder: Path, data=None, fmt: str = "png", jobs: int = 1) -> None:
    from xorbench.plots.data import load_plot_data
    from xorbench.plots.jobs import save_plots

    data = data if data is not None else load_plot_data(folder)
    if data.note:
        out.print(data.note, markup=False)
    paths = save_plots(folder, data, fmt=fmt, jobs=jobs)
    if not paths:
        out.print("no finished runs to plot yet", markup=False)
        return
    out.print(f"plots: {Path(folder) / 'plots'}/  ({', '.join(p.name for p in paths)})",
              markup=False)


@app.command()
@_guard
def report(folder: FolderArg, jobs: PlotJobs = None) -> None:
    """Write DIR/report.md and a self-contained DIR/report.html (plots embedded).

    The report holds the run counts, plain-language findings, the leaderboard,
    the plots and the grid; the HTML opens offline. Works on a partial sweep.
    """
    from xorbench.parallel import default_jobs
    from xorbench.plots.data import load_plot_data
    from xorbench.report import write_report

    data = load_plot_data(folder)
    if data.note:
        out.print(data.note, markup=False)
    md_path, html_path = write_report(folder, data, jobs=jobs or default_jobs())
    out.print(f"report: {md_path}  {html_path}", markup=False)


# ---------------------------------------------------------------------------- bench


MAX_BENCH_NETWORKS = 1_000_000


@app.command()
@_guard
def bench(
    quick: Annotated[bool, typer.Option(help="About 10 s: fewer sizes, shorter runs.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    hidden: Annotated[list[int] | None, typer.Option(
        help="Hidden widths to measure (repeat). Default: 2 and 8.", min=1,
        max=MAX_WIDTH)] = None,
    networks: Annotated[list[int] | None, typer.Option(
        help="Batch sizes to measure (repeat). Default: 1, 64, 1024, 4096, 16384.", min=1,
        max=MAX_BENCH_NETWORKS)] = None,
    dtype: Annotated[str, typer.Option(help="float64 or float32.")] = "float64",
    workers: Annotated[int | None, typer.Option(
        help="Also measure this many processes at once. Default: all cores.", min=1)] = None,
    sweep: Annotated[bool | None, typer.Option(
        help="Also time a 100,000-run sweep (~15 s) and its overhead. "
             "Default: yes, but not with --quick.")] = None,
) -> None:
    """Engine throughput: network-epochs/s, batched vs a plain one-network NumPy loop.

    Standard workload: 2-H-1, sigmoid hidden and output, MSE, full batch, lr 0.5,
    weights uniform(-1,1). Also measured: the same workload as a bare NumPy
    recipe (no criterion, no records; float64), the floor for a NumPy engine on
    this machine. Everything is measured in this one run, so the ratios hold even
    on a busy machine; absolute figures vary with the machine's load.
    """
    from xorbench.bench import measure_sweep_fresh, run_benchmark
    from xorbench.config import DTYPES
    from xorbench.parallel import default_jobs

    DTYPES.parse(dtype)
    sizes = networks or ([1, 1024, 4096] if quick else [1, 64, 1024, 4096, 16384])
    rows = []
    plain: dict[str, float] = {}
    for m in run_benchmark(hiddens=hidden or [2, 8], sizes=sizes,
                           seconds=0.4 if quick else 1.5, dtype=dtype,
                           workers=workers or default_jobs(), announce=_note):
        rows.append(m)
        if m.implementation == "one-at-a-time":
            plain[m.arch] = m.network_epochs_per_s
        if as_json:
            out.print(json.dumps(m.as_dict()), markup=False)
    n_jobs = workers or default_jobs()
    overhead = (measure_sweep_fresh("100k", n_jobs) if (not quick if sweep is None else sweep)
                else None)
    if as_json:
        if overhead is not None:
            out.print(json.dumps({"implementation": "sweep", "jobs": n_jobs, **overhead}),
                      markup=False)
        return
    table = RichTable(title=f"Network-epochs per second ({dtype}; standard workload)",
                      title_justify="left")
    for col in ("implementation", "arch", "networks", "epochs", "M net-epochs/s",
                "× one-at-a-time"):
        table.add_column(col, justify="left" if col in ("implementation", "arch") else "right")
    for m in rows:
        ratio = m.network_epochs_per_s / plain[m.arch] if m.arch in plain else math.nan
        table.add_row(m.implementation, m.arch, f"{m.networks:,}", f"{m.epochs:,}",
                      f"{m.network_epochs_per_s / 1e6:.3f}", f"{ratio:,.0f}")
    out.print(table)
    if overhead is not None:
        o = overhead
        out.print(f"Sweep of {o['runs']:,.0f} runs (--jobs {n_jobs}): {o['wall']:.1f} s wall, "
                  f"overhead {o['overhead']:.0%} of worker time outside the engine — "
                  f"serial stages {o['serial']:.0%} (expand {o['expand']:.2f} s, plan "
                  f"{o['plan']:.2f} s, tables {o['tables']:.2f} s), worker start-up "
                  f"{o['startup share']:.0%}, in workers outside the engine "
                  f"{o['worker extra']:.0%}, idle {o['idle']:.0%}", markup=False)


def main() -> None:  # pragma: no cover - console entry point
    app()
