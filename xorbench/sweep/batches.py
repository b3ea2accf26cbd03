"""Running batches on this machine: one batch → tidy frames → a shard, in loky processes or
threads, outputs as they finish.

Workers write their shards themselves (in parallel, and the final parameters need not
travel back); the sweep's process only counts. Closing the output generator early
(Ctrl-C) cancels the batches in flight and shuts the workers down.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from xorbench.engine import frames, kernel_args
from xorbench.engine.route import train_networks
from xorbench.errors import XorbenchError
from xorbench.parallel import BACKENDS, children_ignore_sigint, default_jobs, drain
from xorbench.results import ResultsDir
from xorbench.sweep.plan import COST_PER_SECOND_RANGE, BatchPlan, estimated_cost


@dataclass
class BatchOutput:
    """What a worker sends back for one batch: tidy frames, ready for a shard."""

    runs: pd.DataFrame
    curves: pd.DataFrame
    params: pd.DataFrame | None  # None once the worker stored the shard itself
    seconds: float  # in the worker, all of run_batch
    engine_seconds: float  # of which inside the engine (training proper)
    store_seconds: float = 0.0  # of which writing the shard
    shard_id: str | None = None  # set when the worker stored the shard


@dataclass(frozen=True)
class ShardTarget:
    """Where workers store their batches themselves: a results folder, and whose it is.

    Workers on this machine write their shard (in parallel, and the final
    parameters need not travel back); the sweep's process only counts. The
    sweep holds the folder's lock while it trains: a worker whose sweep died
    (kill -9 leaves its workers running) sees the lock free, or held by a new
    sweep, and writes nothing.
    """

    folder: str
    owner_pid: int

    def owner_alive(self) -> bool:
        """The lock is held by the sweep — or held by someone whose pid cannot be read
        (mid-write): a live sweep's worker must never take itself for an orphan."""
        holder = ResultsDir(self.folder).lock_holder()
        return holder is not None and holder.get("pid") in (self.owner_pid, "?", None)

    def orphaned(self) -> bool:
        """True in a worker process whose sweep is gone (never in the sweep's own process)."""
        return os.getpid() != self.owner_pid and not self.owner_alive()


# Seconds every batch waits after training. Only the interruption tests set it: a
# sweep they kill mid-way must still be running, however fast the machine.
BATCH_PAUSE_ENV = "XORBENCH_TEST_BATCH_PAUSE"
# A number K: once the folder holds K shards, every later batch waits before storing
# (until its sweep is gone). Only the interruption tests set it: a sweep they stop
# after K shards is still running then, however fast or busy the machine.
BATCH_HOLD_ENV = "XORBENCH_TEST_BATCH_HOLD"


def _hold(target: ShardTarget, shards: int) -> None:
    folder = ResultsDir(target.folder)
    while len(folder.shard_ids()) >= shards:
        if target.orphaned():
            os._exit(0)
        time.sleep(0.05)


def run_batch(plan: BatchPlan, sweep: str, target: ShardTarget | None = None) -> BatchOutput:
    """Train one batch, turn it into tidy frames and, given a target, store it as a shard.

    A worker left behind by a killed sweep exits instead of training or storing:
    nobody will read its results.
    """
    if target is not None and target.orphaned():
        os._exit(0)
    start = time.perf_counter()
    result = train_networks(plan.setup, plan.members, plan.budgets)
    if BATCH_PAUSE_ENV in os.environ:  # tests of interruption: batches that take a while
        time.sleep(float(os.environ[BATCH_PAUSE_ENV]))
    if BATCH_HOLD_ENV in os.environ and target is not None:  # tests: a sweep that waits
        _hold(target, int(os.environ[BATCH_HOLD_ENV]))
    trained = time.perf_counter()
    runs = frames.runs_frame(result, sweep)
    curves = frames.curves_frame(result)
    params = frames.params_frame(result)
    framed = time.perf_counter()
    shard_id = None
    if target is not None:
        shard_id = ResultsDir(target.folder).write_shard(runs, curves, params,
                                                        still_wanted=target.owner_alive)
        if shard_id is None and target.orphaned():
            os._exit(0)
        if shard_id is not None:
            params = None  # stored: no need to send the parameters back
    end = time.perf_counter()
    return BatchOutput(runs, curves, params, end - start, trained - start, end - framed, shard_id)


# The warm-ups of workers started ahead (start_workers), until waited for.
_STARTED: list[Iterator[int]] = []


def start_workers(jobs: int) -> None:
    """Start the ``jobs`` loky workers that :func:`execute_local` will use, each warming
    up (:func:`warm_worker`), and return at once.

    A worker spends ~2 s starting — imports, numba's set-up — before its first batch.
    The sweep starts them while its own process compiles the training loop on one core,
    so that they start on the other instead of after it. joblib shares one loky
    executor among pools of as many workers: the batches' pool reuses these.
    """
    import joblib

    with children_ignore_sigint():  # the call starts the worker processes
        warming = _pool(jobs, "loky")(joblib.delayed(warm_worker)() for _ in range(jobs))
    _STARTED.append(warming)


def warm_worker() -> int:
    """In a worker, what its first batch would do before training: import what a batch
    needs (this module's imports, loaded to find this function) and set numba up. Its
    process id."""
    kernel_args.load_numba()
    return os.getpid()


def await_started_workers() -> None:
    """Wait until the workers :func:`start_workers` started have warmed up (a few
    seconds at most), so that a pool of as many reuses them idle; loky stops idle
    workers at exit. Nothing if none were started. (Not cancelled: closing joblib's
    pool while it hands out its first tasks races in loky's own thread.)"""
    while _STARTED:
        warming = _STARTED.pop()
        with contextlib.suppress(Exception):  # a worker that failed: the batches say why
            for _ in drain(warming):
                pass


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise XorbenchError(f"--backend {backend!r}: allowed: {', '.join(BACKENDS)}")


def execute_local(plans: Sequence[BatchPlan], sweep: str, jobs: int | None = None,
                  backend: str = "loky",
                  target: ShardTarget | None = None) -> Iterator[BatchOutput]:
    """Run batches in loky processes or threads (one at a time with one job), yielding each
    batch's output as soon as it is done; with a ``target``, workers store their shards.

    Closing the generator early (``close()``, or an exception such as Ctrl-C while it
    waits) cancels the batches in flight and shuts the workers down: nothing keeps
    computing after the sweep stops.
    """
    import joblib

    jobs = jobs or default_jobs()
    await_started_workers()  # workers started ahead serve this pool
    if jobs == 1 and (backend != "loky" or not _worth_a_process(plans)):
        for plan in plans:  # in this process: a Ctrl-C waits for the batch's end, < 1 s
            yield run_batch(plan, sweep, target)
        return
    if jobs == 1:  # joblib would run one job in this process: loky's executor does not
        yield from _one_worker(plans, sweep, target)
        return
    with children_ignore_sigint():  # the call starts the worker processes
        outputs = _pool(jobs, backend)(joblib.delayed(run_batch)(plan, sweep, target)
                                       for plan in plans)
    yield from drain(outputs)


def _pool(jobs: int, backend: str) -> Callable[[Iterable[Any]], Iterator[Any]]:
    """joblib's pool of ``jobs`` workers, each task's output as soon as it is done: the
    batches' and the warm-ups' alike, so that loky's shared executor serves both."""
    import joblib

    return joblib.Parallel(n_jobs=jobs, backend=backend, batch_size=1,
                           return_as="generator_unordered")


# Work a single worker still does in its own process (one core's time, the estimate's
# slow end): the compiled training loop does not look at signals, so in this process a
# Ctrl-C would wait for the batch to end; a worker process is stopped at once. Less
# than this trains here, without a process's start-up.
IN_PROCESS_SECONDS = 1.0


def _worth_a_process(plans: Sequence[BatchPlan]) -> bool:
    slowest_rate = COST_PER_SECOND_RANGE[0]  # cost units a second, at the slow end
    return sum(estimated_cost(plan) for plan in plans) / slowest_rate > IN_PROCESS_SECONDS


def _one_worker(plans: Sequence[BatchPlan], sweep: str,
                target: ShardTarget | None) -> Iterator[BatchOutput]:
    """The batches in one loky worker process, in order, each output as it is done.
    Closing the generator (Ctrl-C while it waits) cancels what is left and kills the
    worker, as with several workers."""
    # joblib's own way to loky's shared executor (loky's get_reusable_executor would
    # leave it without what joblib's next pool, of several workers, looks for)
    from joblib.executor import get_memmapping_executor

    with children_ignore_sigint():  # the worker starts on the first submit
        executor = get_memmapping_executor(1)
        futures = [executor.submit(run_batch, plan, sweep, target) for plan in plans]
    done = False
    try:
        for future in futures:
            yield future.result()
        done = True
    finally:
        if not done:
            for future in futures:
                future.cancel()
            executor.shutdown(wait=False, kill_workers=True)
