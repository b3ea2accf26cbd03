"""A whole sweep: grid → runs still to do → parallel batches → shards → tidy CSVs.

This is the one place that ties the stages together; the CLI calls it, and so can
a notebook: ``run_sweep(load_grid("sweeps/quick.toml"))``.

A sweep is crash-safe and resumable: every finished batch is a shard on disk
(:mod:`xorbench.results.folder`), a run is done when its key (config_id, seed, epoch
budget) is in a shard, and rerunning trains only the runs that are not. The
tables are rebuilt from all shards in grid order, so a resumed, re-batched or
changed-then-restored sweep writes the same bytes as one uninterrupted run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from xorbench import analysis, schema
from xorbench.config import RunSpec
from xorbench.engine import ENGINE_NUMERICS, builds, kernel_args
from xorbench.errors import ResultsError, XorbenchError
from xorbench.grid import Grid, expand
from xorbench.parallel import available_memory, default_jobs, format_bytes
from xorbench.results import RunKey, key_set, select_runs, spec_keys
from xorbench.results.csvtext import csv_text_in_workers
from xorbench.results.folder import MANIFEST, RESULTS_FORMAT, ResultsDir, atomic_write_text
from xorbench.runner import (
    PROCESS_BYTES,
    ShardTarget,
    check_backend,
    execute,
    fit_workers,
    grid_setups,
    plan_batches,
    setups_worth_building,
)


@dataclass
class SweepOutcome:
    """What a finished sweep did and where its files are."""

    path: Path
    n_runs: int  # runs in the grid
    n_reused: int  # runs found in the shards, not retrained
    n_trained: int  # runs trained now
    seconds: float  # wall time of the sweep
    train_seconds: float  # time spent inside batches (all workers, summed)
    runs: pd.DataFrame
    summary: pd.DataFrame
    engine_seconds: float = 0.0  # of train_seconds, inside the engine (training proper)
    store_seconds: float = 0.0  # of train_seconds, writing shards (workers, summed)
    n_workers: int = 1
    # this process's wall seconds per stage: expand, scan (read the shards), plan,
    # train (the parallel part; of which startup = until the first batch began,
    # e.g. starting worker processes, and store = writing shards here, with dask
    # only), tables (runs/summary/curves.csv), total
    timings: dict[str, float] = field(default_factory=dict)
    moved_aside: Path | None = None  # where --fresh put the old results
    warnings: list[str] = field(default_factory=list)


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a sweep; the finished batches are saved."""

    def __init__(self, path: Path, n_done: int, n_runs: int):
        super().__init__(f"{path}: {n_done} of {n_runs} runs saved")
        self.path, self.n_done, self.n_runs = path, n_done, n_runs


Progress = Callable[[int, int], None]  # (runs done, runs total)
Notify = Callable[[str], None]  # a warning for the user, one line


def default_out(grid: Grid, root: str | Path = "results") -> Path:
    return Path(root) / grid.name


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for package in ("xorbench", "numpy", "numba", "pandas", "joblib", "pyarrow"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover
            out[package] = "unknown"
    return out


def grid_hash(grid: Grid) -> str:
    """A short hash of the grid file's text (recorded in the manifest)."""
    return hashlib.sha256(grid.source.encode()).hexdigest()[:16]


@contextlib.contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def run_sweep(
    grid: Grid,
    out: str | Path | None = None,
    jobs: int | None = None,
    backend: str = "loky",
    scheduler: str | None = None,
    progress: Progress | None = None,
    batch_size: int | None = None,
    fresh: bool = False,
    notify: Notify | None = None,
    inform: Notify | None = None,
) -> SweepOutcome:
    """Train every run of ``grid`` not already in ``out``'s shards, then write the CSVs.

    Finished batches are stored as they arrive, so an interrupted sweep resumes
    where it stopped when called again (with the same grid or a changed one: runs
    the grids share are reused). ``fresh`` first moves the folder's old contents
    to ``<out>.old-<timestamp>``. ``batch_size`` caps the networks per engine
    batch. ``notify`` receives warnings (a stale lock taken over, a corrupt shard
    set aside), ``inform`` notes (the training loop being compiled first). Raises
    LockedError if another sweep writes the folder, and SweepInterrupted (a
    KeyboardInterrupt) if interrupted.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    check_backend(backend)
    kernel_args.check_compiler()
    if batch_size is not None and batch_size < 1:
        raise XorbenchError(f"--batch-size {batch_size}: must be at least 1")
    folder = ResultsDir(out if out is not None else default_out(grid))
    folder.check_target()
    notes: list[str] = []
    # refused before anything is written: a grid whose networks do not fit in memory
    memory = available_memory() if backend != "dask" else None
    jobs_asked = jobs or default_jobs()
    try:
        n_workers = jobs_asked if memory is None else fit_workers(grid_setups(grid), jobs_asked,
                                                                  memory)
    except XorbenchError as e:
        raise XorbenchError(f"{grid.path}: {e}") from None

    def warn(message: str) -> None:
        notes.append(message)
        if notify is not None:
            notify(message)

    with folder.locked() as stale:
        events: list[dict] = []
        if stale:
            warn(f"{folder.path}: took over the lock of pid {stale.get('pid', '?')}, which is "
                 f"no longer running")
            events.append({"event": "stale_lock", "time": _now(), "pid": stale.get("pid"),
                           "since": stale.get("since")})
        moved = folder.move_aside() if fresh else None
        if moved is not None:
            events.append({"event": "fresh", "time": _now(), "moved_to": str(moved)})
        folder.check_format()
        manifest = folder.read_manifest() if folder.exists() else {}
        _check_numerics(folder, manifest)
        folder.remove_partial_writes()

        with _timed(timings, "expand"):
            specs = expand(grid)
            keys = spec_keys(specs)

        def corrupt(shard_id: str, reason: str) -> None:
            warn(f"{folder.shards}: shard {shard_id} set aside in corrupt/ ({reason}); "
                 f"its runs are trained again")
            events.append({"event": "corrupt_shard", "time": _now(), "shard": shard_id,
                           "reason": reason})

        with _timed(timings, "scan"):
            stored = folder.read_shards(("runs", "curves"), check=("params",),
                                        on_corrupt=corrupt, set_aside=True)
            done = key_set(stored["runs"])
            shards_before = folder.shard_ids()
        todo = [spec for spec, key in zip(specs, keys, strict=True) if key not in done]
        n_reused = len(specs) - len(todo)
        with _timed(timings, "plan"):
            worker_memory = None if memory is None else memory // n_workers - PROCESS_BYTES
            plans = plan_batches(todo, n_workers=n_workers, batch_size=batch_size,
                                 worker_memory=worker_memory)
        if backend != "dask" and plans and n_workers > len(plans):
            n_workers = len(plans)  # more would only start and wait
        if inform is not None and jobs is not None and n_workers < jobs and plans:
            why = (f"{len(plans)} batch{'es' if len(plans) > 1 else ''} to train"
                   if n_workers == len(plans) else
                   f"as many as fit in the {format_bytes(memory)} of memory free")
            inform(f"--jobs {jobs}: {n_workers} worker{'s' if n_workers > 1 else ''} ({why})")

        hash_now = grid_hash(grid)
        event = {
            "event": "resume" if manifest.get("events") else "start", "time": _now(),
            "pid": os.getpid(), "grid_hash": hash_now, "runs_in_grid": len(specs),
            "runs_done": n_reused, "runs_to_train": len(todo), "jobs": n_workers,
            "backend": backend,
        }
        if manifest.get("grid_hash") not in (None, hash_now):
            event["grid_changed_from"] = manifest["grid_hash"]
        manifest.update(
            results_format=RESULTS_FORMAT, engine_numerics=ENGINE_NUMERICS,
            sweep=grid.name, grid_hash=hash_now,
            versions=_versions(), host=platform.node(), n_runs=len(specs), n_done=n_reused,
            status="running",
        )
        manifest.setdefault("events", []).extend([*events, event])
        folder.write_manifest(manifest)
        atomic_write_text(folder.path / "grid.toml", grid.source)

        n_done = n_reused
        worker_seconds = engine_seconds = worker_store = 0.0
        new_runs: list[pd.DataFrame] = []
        new_curves: list[pd.DataFrame] = []
        try:
            if progress:
                progress(n_done, len(specs))
            target = None if backend == "dask" else ShardTarget(str(folder.path), os.getpid())
            if inform is not None and plans and backend != "dask":
                from xorbench.engine.kernel_args import compile_notice

                notice = compile_notice({plan.setup.dtype.label for plan in plans})
                if notice:
                    inform(notice)
            if backend != "dask":  # builds are compiled here, into this machine's cache
                with _timed(timings, "build"):
                    for setup in setups_worth_building(plans, n_workers):
                        builds.prepare(setup, announce=inform)
            train_start = time.perf_counter()
            with _timed(timings, "train"), contextlib.closing(
                    execute(plans, grid.name, jobs=n_workers if backend != "dask" else jobs,
                            backend=backend, scheduler=scheduler, target=target)) as outputs:
                for output in outputs:
                    if "startup" not in timings:  # until the first batch began training
                        timings["startup"] = max(
                            0.0, time.perf_counter() - train_start - output.seconds)
                    if output.shard_id is None:
                        with _timed(timings, "store"):
                            folder.write_shard(output.runs, output.curves, output.params)
                    new_runs.append(output.runs)
                    new_curves.append(output.curves)
                    n_done += len(output.runs)
                    worker_seconds += output.seconds
                    engine_seconds += output.engine_seconds
                    worker_store += output.store_seconds
                    if progress:
                        progress(n_done, len(specs))
            with _timed(timings, "tables"):
                runs, summary = write_tables(folder, specs, grid.name,
                                             runs=[stored["runs"], *new_runs],
                                             curves=[stored["curves"], *new_curves], keys=keys,
                                             jobs=n_workers, backend=backend)
        except BaseException as e:
            interrupted = isinstance(e, KeyboardInterrupt)
            # Workers store their own shards: count what reached the disk, which may be
            # more than the results that reached us before the workers were stopped.
            n_done = max(n_done, n_reused + folder.count_runs(
                set(folder.shard_ids()) - set(shards_before)))
            manifest.update(status="interrupted" if interrupted else "failed", n_done=n_done)
            manifest["events"].append({
                "event": "stop", "time": _now(), "runs_done": n_done,
                "reason": "interrupted" if interrupted else f"{type(e).__name__}: {e}"})
            # best effort: on a full disk the manifest may not be writable either (it then
            # stays "running", which with no lock holder reads as interrupted)
            with contextlib.suppress(OSError):
                folder.write_manifest(manifest)
            if interrupted and not isinstance(e, SweepInterrupted):
                raise SweepInterrupted(folder.path, n_done, len(specs)) from None
            raise

        timings.setdefault("store", 0.0)
        timings["total"] = time.perf_counter() - started
        timings = {k: round(v, 3) for k, v in timings.items()}
        workers = {"batches": round(worker_seconds, 3), "engine": round(engine_seconds, 3),
                   "store": round(worker_store, 3)}
        manifest.update(status="complete", n_done=len(runs), seconds=timings["total"],
                        timings=timings, worker_seconds=workers)
        manifest["events"].append({"event": "complete", "time": _now(), "runs_done": len(runs),
                                   "runs_trained": len(todo), "seconds": timings["total"]})
        folder.write_manifest(manifest)
    return SweepOutcome(folder.path, len(specs), n_reused, len(todo),
                        time.perf_counter() - started, worker_seconds, runs, summary,
                        engine_seconds=engine_seconds, store_seconds=worker_store,
                        n_workers=n_workers, timings=timings,
                        moved_aside=moved, warnings=notes)


def _check_numerics(folder: ResultsDir, manifest: dict) -> None:
    """Refuse to resume shards that an engine of other numerics trained: their runs
    would differ in the last bits from the ones trained now."""
    if not folder.shard_ids():
        return
    if not manifest:
        raise ResultsError(
            f"{folder.path}: has shards but no {MANIFEST}, so which engine trained them is "
            f"unknown; sweep with --fresh to move the folder aside and start over"
        )
    stored = manifest.get("engine_numerics", 1)  # manifests before the key: numerics 1
    if stored != ENGINE_NUMERICS:
        raise ResultsError(
            f"{folder.path}: its runs were trained by an xorbench whose engine rounds "
            f"differently (engine numerics {stored!r}, this one {ENGINE_NUMERICS}); resuming "
            f"would mix the two, so sweep with --fresh to move the folder aside and start "
            f"over (plot, report and summary still read it as it is)"
        )


# --- tables ------------------------------------------------------------------------


def write_tables(folder: ResultsDir, specs: Sequence[RunSpec], sweep: str | None = None,
                 runs: Iterable[pd.DataFrame] | None = None,
                 curves: Iterable[pd.DataFrame] | None = None,
                 keys: Sequence[RunKey] | None = None, jobs: int = 1,
                 backend: str = "loky") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rebuild runs.csv, summary.csv and curves.csv, in grid order.

    ``runs`` and ``curves`` are shard frames already in memory; by default the
    folder's shards are read. Only the runs of ``specs`` are written (shards may
    hold runs of an earlier grid in the same folder): each run once, in expansion
    order, so the files do not depend on which batch or worker produced a row.
    ``keys`` are the specs' run keys, if already known. With ``jobs`` > 1 (loky),
    runs.csv is formatted by the idle worker processes meanwhile.
    """
    if runs is None or curves is None:
        stored = folder.read_shards(("runs", "curves"))
        runs, curves = [stored["runs"]], [stored["curves"]]
    table = select_runs(runs, specs, sweep, keys)
    with csv_text_in_workers(table, jobs, backend) as runs_text:
        summary = analysis.summarize(table)
        curve_table = analysis.curves(_select_curves(curves, table), table)
        folder.write_text("runs.csv", runs_text())
    folder.write_csv("summary.csv", summary)
    folder.write_csv("curves.csv", curve_table)
    return table, summary


def _select_curves(frames: Iterable[pd.DataFrame], runs: pd.DataFrame) -> pd.DataFrame:
    """Curve rows of the runs' configurations, up to each one's largest budget.

    A configuration trained further under an earlier grid keeps those longer
    curves in its shards; they are cut where this grid's training would stop.
    """
    frames = [f for f in frames if len(f)]
    if not frames or runs.empty:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in
                             zip(schema.CURVE_INPUT_COLUMNS,
                                 ["string", "int64", "int64", "float64"], strict=True)})
    rows = pd.concat(frames, ignore_index=True)
    largest = runs.groupby("config_id", sort=False)["epochs"].max()
    if rows["epoch"].max() <= largest.min():
        return rows  # the usual case: nothing was trained further than asked now
    limit = rows["config_id"].map(largest)
    return rows[(rows["epoch"] <= limit).to_numpy(dtype=bool, na_value=False)]
