"""A whole sweep: grid → runs still to do → parallel batches → shards → tidy CSVs.

This is the one place that ties the stages together; the CLI calls it, and so can a
notebook: ``run_sweep(load_grid("sweeps/quick.toml"))``. :func:`run_sweep` reads as
its steps, each a method of :class:`_Sweep` that holds what the steps learn.

A sweep is crash-safe and resumable: every finished batch is a shard on disk
(:mod:`xorbench.results.folder`), a run is done when its key (config_id, seed, epoch
budget) is in a shard, and rerunning trains only the runs that are not. The tables are
rebuilt from all shards in grid order, so a resumed, re-batched or changed-then-restored
sweep writes the same bytes as one uninterrupted run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from xorbench.engine import ENGINE_NUMERICS, kernel_args
from xorbench.errors import XorbenchError
from xorbench.files import atomic_write_text
from xorbench.grid import Grid
from xorbench.parallel import available_memory, default_jobs, format_bytes
from xorbench.results import RESULTS_FORMAT, ResultsDir, key_set, spec_keys
from xorbench.results.manifest import now
from xorbench.sweep.batches import (
    BatchOutput,
    ShardTarget,
    await_started_workers,
    check_backend,
    start_workers,
)
from xorbench.sweep.compiling import compile_first
from xorbench.sweep.cost import memory_after_listing
from xorbench.sweep.execute import execute
from xorbench.sweep.outcome import Notify, Progress, Stage, SweepInterrupted, SweepOutcome
from xorbench.sweep.plan import PROCESS_BYTES, BatchPlan, fit_workers, grid_setups, plan_batches
from xorbench.sweep.resume import check_numerics, versions
from xorbench.sweep.rounds import Rounds
from xorbench.sweep.tables import write_tables


def default_out(grid: Grid, root: str | Path = "results") -> Path:
    return Path(root) / grid.name


def grid_hash(grid: Grid) -> str:
    """A short hash of the grid file's text (recorded in the manifest)."""
    return hashlib.sha256(grid.source.encode()).hexdigest()[:16]


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
    stage: Stage | None = None,
    on_round: Notify | None = None,
) -> SweepOutcome:
    """Train every run of ``grid`` not already in ``out``'s shards, then write the CSVs.

    Finished batches are stored as they arrive, so an interrupted sweep resumes
    where it stopped when called again (with the same grid or a changed one: runs
    the grids share are reused). ``fresh`` first moves the folder's old contents
    to ``<out>.old-<timestamp>``. ``batch_size`` caps the networks per engine
    batch. ``notify`` receives warnings (a stale lock taken over, a corrupt shard
    set aside), ``inform`` notes (the training loop being compiled first), ``stage`` the
    start (its text) and end (None) of a long step before training, ``on_round`` what
    each round of adaptive seeds trains (:mod:`xorbench.sweep.rounds`). Raises
    LockedError if another sweep writes the folder, and SweepInterrupted (a
    KeyboardInterrupt) if interrupted.
    """
    sweep = _Sweep.checked(grid, out, jobs, backend, scheduler, batch_size, progress,
                           notify, inform)
    sweep.stage, sweep.on_round = stage, on_round
    with sweep.folder.locked() as stale:
        sweep.open_folder(stale, fresh)
        sweep.scan()
        sweep.find_work()
        sweep.record_start()
        try:
            while True:
                sweep.prepare_training()
                sweep.train()
                if not sweep.find_work():
                    break
                sweep.record_round()
            sweep.write_tables()
            sweep.record_completion()
        except BaseException as e:
            try:
                sweep.record_stop(e)
            finally:
                await_started_workers()  # a second Ctrl-C here leaves the stop recorded
            raise
    return sweep.outcome()


@dataclass
class _Sweep:
    """One call of :func:`run_sweep`: its options, and what each step learns."""

    grid: Grid
    folder: ResultsDir
    jobs: int | None  # as asked (None: all cores)
    backend: str
    scheduler: str | None
    batch_size: int | None
    progress: Progress | None
    notify: Notify | None
    inform: Notify | None
    memory: int | None  # bytes free for the workers (None: they run elsewhere, on Dask)
    n_workers: int
    stage: Stage | None = None
    on_round: Notify | None = None
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    moved: Path | None = None
    specs: list = field(default_factory=list)
    keys: list = field(default_factory=list)
    stored: dict[str, pd.DataFrame] = field(default_factory=dict)
    done: set = field(default_factory=set)  # the keys of every run stored
    shards_before: list[str] = field(default_factory=list)
    todo: list = field(default_factory=list)  # the current round's runs still to train
    plans: list[BatchPlan] = field(default_factory=list)
    rounds: Rounds | None = None
    n_done: int = 0
    n_reused: int = 0  # runs found in the shards, not trained
    n_trained: int = 0  # runs planned for training (all rounds so far)
    worker_seconds: float = 0.0
    engine_seconds: float = 0.0
    worker_store_seconds: float = 0.0
    new_runs: list[pd.DataFrame] = field(default_factory=list)
    new_curves: list[pd.DataFrame] = field(default_factory=list)
    runs: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None

    @classmethod
    def checked(cls, grid: Grid, out: str | Path | None, jobs: int | None, backend: str,
                scheduler: str | None, batch_size: int | None, progress: Progress | None,
                notify: Notify | None, inform: Notify | None) -> _Sweep:
        """What can be refused is refused here, before anything is written: an unknown
        backend, numba switched off, a bad batch size, a folder that is not ours, and
        networks that do not fit in memory."""
        check_backend(backend)
        kernel_args.check_compiler()
        if batch_size is not None and batch_size < 1:
            raise XorbenchError(f"--batch-size {batch_size}: must be at least 1")
        folder = ResultsDir(out if out is not None else default_out(grid))
        folder.check_target()
        memory = memory_after_listing(grid, available_memory())
        memory = memory if backend != "dask" else None
        n_workers = jobs or default_jobs()
        if memory is not None:
            try:
                n_workers = fit_workers(grid_setups(grid), n_workers, memory)
            except XorbenchError as e:
                raise XorbenchError(f"{grid.path}: {e}") from None
        return cls(grid, folder, jobs, backend, scheduler, batch_size, progress, notify,
                   inform, memory, n_workers, rounds=Rounds(grid))

    # --- the steps -------------------------------------------------------------------

    def open_folder(self, stale: dict | None, fresh: bool) -> None:
        """Take over a stale lock, move old results aside (``fresh``), check that the
        folder's runs can be resumed, and clean up what a killed writer left half-done."""
        if stale:
            self._warn(f"{self.folder.path}: took over the lock of pid {stale.get('pid', '?')},"
                       f" which is no longer running")
            self.events.append({"event": "stale_lock", "time": now(), "pid": stale.get("pid"),
                                "since": stale.get("since")})
        self.moved = self.folder.move_aside() if fresh else None
        if self.moved is not None:
            self.events.append({"event": "fresh", "time": now(), "moved_to": str(self.moved)})
        self.folder.check_format()
        self.manifest = self.folder.read_manifest() if self.folder.exists() else {}
        check_numerics(self.folder, self.manifest)
        self.folder.remove_partial_writes()

    def scan(self) -> None:
        """The shards already on disk."""
        with self._timed("scan"):
            self.stored = self.folder.read_shards(("runs", "curves"), check=("params",),
                                                  on_corrupt=self._corrupt, set_aside=True)
            self.shards_before = self.folder.shard_ids()
            self.done = key_set(self.stored["runs"])

    def find_work(self) -> bool:
        """The next round's runs (the only one with fixed seeds), those still to train, and
        their batches; False when there is no next round."""
        with self._timed("expand"):
            specs = self.rounds.next([self.stored["runs"], *self.new_runs])
            if specs is None:
                return False
            keys = spec_keys(specs)
        self.todo = [s for s, key in zip(specs, keys, strict=True) if key not in self.done]
        self.specs += specs
        self.keys += keys
        self.n_reused += len(specs) - len(self.todo)
        self.n_trained += len(self.todo)
        self.n_done += len(specs) - len(self.todo)
        label = self.rounds.label()
        if label is not None and self.on_round is not None:
            self.on_round(label)
        self.plan()
        return True

    def plan(self) -> None:
        """Batches sized for the cache and each worker's memory; as many workers as fit
        and as there are batches (a note says so when ``--jobs`` asked for more)."""
        with self._timed("plan"):
            worker_memory = (None if self.memory is None
                             else self.memory // self.n_workers - PROCESS_BYTES)
            self.plans = plan_batches(self.todo, n_workers=self.n_workers,
                                      batch_size=self.batch_size, worker_memory=worker_memory)
        if self.backend != "dask" and self.plans and self.n_workers > len(self.plans):
            self.n_workers = len(self.plans)  # more would only start and wait
        asked = self.jobs
        if self.inform is not None and asked is not None and self.n_workers < asked \
                and self.plans:
            n = len(self.plans)
            why = (f"{n} batch{'es' if n > 1 else ''} to train" if self.n_workers == n else
                   f"as many as fit in the {format_bytes(self.memory)} of memory free")
            self.inform(f"--jobs {asked}: {self.n_workers} "
                        f"worker{'s' if self.n_workers > 1 else ''} ({why})")

    def record_start(self) -> None:
        """The manifest says "running", with this start (or resume) among its events; the
        grid is copied beside the results."""
        hash_now = grid_hash(self.grid)
        event = {
            "event": "resume" if self.manifest.get("events") else "start", "time": now(),
            "pid": os.getpid(), "grid_hash": hash_now, "runs_in_grid": len(self.specs),
            "runs_done": self.n_done, "runs_to_train": len(self.todo),
            "jobs": self.n_workers, "backend": self.backend,
        }
        if self.manifest.get("grid_hash") not in (None, hash_now):
            event["grid_changed_from"] = self.manifest["grid_hash"]
        self.manifest.update(
            results_format=RESULTS_FORMAT, engine_numerics=ENGINE_NUMERICS,
            sweep=self.grid.name, grid_hash=hash_now, versions=versions(),
            host=platform.node(), n_runs=len(self.specs), n_done=self.n_done,
            status="running",
        )
        self.manifest.setdefault("events", []).extend([*self.events, event])
        self.folder.write_manifest(self.manifest)
        atomic_write_text(self.folder.path / "grid.toml", self.grid.source)

    def record_round(self) -> None:
        """A round of adaptive seeds begins: the manifest counts its runs."""
        if not self.todo:
            return
        self.manifest.update(n_runs=len(self.specs), n_done=self.n_done)
        self.manifest["events"].append({
            "event": "round", "time": now(), "round": self.rounds.index + 1,
            "configurations": self.rounds.n_sampling, "runs_in_round": len(self.todo)})
        self.folder.write_manifest(self.manifest)

    def prepare_training(self) -> None:
        """Compile what the batches need and this machine lacks — the training loop, the
        builds worth it — here, before any worker starts, saying what and showing how
        long; the manifest records the seconds each took."""
        if self.backend != "dask" and self.plans:
            # while this process compiles (one core), the workers start on the others
            start = ((lambda: start_workers(self.n_workers))
                     if self.backend == "loky" and self.n_workers > 1 else None)
            with self._timed("build"):
                compiled = compile_first(self.plans, self.n_workers, self.inform, self.stage,
                                         meanwhile=start)
            if compiled:
                self.manifest["events"][-1]["compiled"] = compiled
        if self.progress:
            self.progress(self.n_done, len(self.specs))

    def train(self) -> None:
        """Every batch, in parallel; each output stored (by its worker, or here for Dask)
        and counted as it arrives."""
        target = (None if self.backend == "dask"
                  else ShardTarget(str(self.folder.path), os.getpid()))
        jobs = self.jobs if self.backend == "dask" else self.n_workers
        train_start = time.perf_counter()
        with self._timed("train"), contextlib.closing(
                execute(self.plans, self.grid.name, jobs=jobs, backend=self.backend,
                        scheduler=self.scheduler, target=target)) as outputs:
            for output in outputs:
                if "startup" not in self.timings:  # until the first batch began training
                    self.timings["startup"] = max(
                        0.0, time.perf_counter() - train_start - output.seconds)
                self._take(output)

    def write_tables(self) -> None:
        runs = [self.stored["runs"], *self.new_runs]
        specs, keys = self.specs, self.keys
        if self.grid.seed_rule is not None:  # the runs the rule stopped at, in grid order
            with self._timed("expand"):
                specs = self.rounds.final(runs)
                keys = spec_keys(specs)
        with self._timed("tables"):
            self.runs, self.summary = write_tables(
                self.folder, specs, self.grid.name, runs=runs,
                curves=[self.stored["curves"], *self.new_curves], keys=keys,
                seed_rule=self.grid.seed_rule)

    def record_stop(self, error: BaseException) -> None:
        """The manifest says how far the sweep got and why it stopped; Ctrl-C becomes
        :class:`SweepInterrupted`, which says how many runs are saved."""
        interrupted = isinstance(error, KeyboardInterrupt)
        # Workers store their own shards: count what reached the disk, which may be
        # more than the results that reached us before the workers were stopped.
        new_shards = set(self.folder.shard_ids()) - set(self.shards_before)
        self.n_done = max(self.n_done, self.n_reused + self.folder.count_runs(new_shards))
        self.manifest.update(status="interrupted" if interrupted else "failed",
                             n_runs=len(self.specs), n_done=self.n_done)
        self.manifest["events"].append({
            "event": "stop", "time": now(), "runs_done": self.n_done,
            "reason": "interrupted" if interrupted else f"{type(error).__name__}: {error}"})
        # best effort: on a full disk the manifest may not be writable either (it then
        # stays "running", which with no lock holder reads as interrupted)
        with contextlib.suppress(OSError):
            self.folder.write_manifest(self.manifest)
        if interrupted and not isinstance(error, SweepInterrupted):
            raise SweepInterrupted(self.folder.path, self.n_done, len(self.specs)) from None

    def record_completion(self) -> None:
        self.timings.setdefault("store", 0.0)
        self.timings["total"] = time.perf_counter() - self.started
        self.timings = {k: round(v, 3) for k, v in self.timings.items()}
        workers = {"batches": round(self.worker_seconds, 3),
                   "engine": round(self.engine_seconds, 3),
                   "store": round(self.worker_store_seconds, 3)}
        self.manifest.update(status="complete", n_runs=len(self.runs), n_done=len(self.runs),
                             seconds=self.timings["total"], timings=self.timings,
                             worker_seconds=workers)
        self.manifest["events"].append({
            "event": "complete", "time": now(), "runs_done": len(self.runs),
            "runs_trained": self.n_trained, "seconds": self.timings["total"]})
        self.folder.write_manifest(self.manifest)

    def outcome(self) -> SweepOutcome:
        return SweepOutcome(
            self.folder.path, len(self.runs), self.n_reused, self.n_trained,
            time.perf_counter() - self.started, self.worker_seconds,
            self.runs, self.summary, engine_seconds=self.engine_seconds,
            store_seconds=self.worker_store_seconds, n_workers=self.n_workers,
            timings=self.timings, moved_aside=self.moved, warnings=self.notes)

    # --- helpers -------------------------------------------------------------------------

    def _take(self, output: BatchOutput) -> None:
        if output.shard_id is None:
            with self._timed("store"):
                self.folder.write_shard(output.runs, output.curves, output.params)
        self.new_runs.append(output.runs)
        self.done |= key_set(output.runs)
        self.new_curves.append(output.curves)
        self.n_done += len(output.runs)
        self.worker_seconds += output.seconds
        self.engine_seconds += output.engine_seconds
        self.worker_store_seconds += output.store_seconds
        if self.progress:
            self.progress(self.n_done, len(self.specs))

    def _warn(self, message: str) -> None:
        self.notes.append(message)
        if self.notify is not None:
            self.notify(message)

    def _corrupt(self, shard_id: str, reason: str) -> None:
        self._warn(f"{self.folder.shards}: shard {shard_id} set aside in corrupt/ ({reason}); "
                   f"its runs are trained again")
        self.events.append({"event": "corrupt_shard", "time": now(), "shard": shard_id,
                            "reason": reason})

    @contextlib.contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start
