"""Run specs → batches the engine can train together → parallel execution.

Runs that share shapes and functions (an engine :class:`Setup`) and epoch budgets
go into one batch, whatever their learning rate, init and seed. Batches run
through joblib (loky processes by default, threads, or a Dask cluster) and come
back as finished, in any order; the engine's batch invariance makes the numbers
the same whichever batch a run lands in.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from xorbench import records
from xorbench.config import RunConfig, RunSpec
from xorbench.engine import Member, Setup, bytes_per_network, train_batch
from xorbench.errors import XorbenchError

BACKENDS = ("loky", "threading", "dask")

# A batch's buffers (engine.bytes_per_network × networks) should stay near this size.
CACHE_BYTES = 6 * 2**20
MIN_BATCH, MAX_BATCH = 256, 16384


@dataclass(frozen=True)
class BatchPlan:
    """One engine call: networks sharing a setup and epoch budgets."""

    setup: Setup
    budgets: tuple[int, ...]
    members: tuple[Member, ...]

    @property
    def n_runs(self) -> int:
        """Runs = networks × budgets."""
        return len(self.members) * len(self.budgets)

    @property
    def network_epochs(self) -> int:
        return len(self.members) * self.budgets[-1]


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


def cache_batch_size(setup: Setup) -> int:
    """Networks per batch so one batch's buffers stay near the core's cache.

    Measured with ``xorbench bench``: 2-2-1 runs fastest at ~4096 networks a
    batch, 2-8-1 at ~1024; smaller batches pay NumPy's per-call overhead, larger
    ones fall out of cache.
    """
    return int(np.clip(CACHE_BYTES // bytes_per_network(setup), MIN_BATCH, MAX_BATCH))


def plan_batches(specs: Iterable[RunSpec], n_workers: int = 1,
                 batch_size: int | None = None) -> list[BatchPlan]:
    """Group runs into engine batches, the most expensive first.

    A (config, seed) pair is one network, trained once to its largest budget and
    recorded at every budget it was asked for. With few runs, batches are split
    so that every worker gets about two of them. Batches are handed out in
    order as workers free up, so putting the longest first keeps the last
    worker from finishing long after the others (longest-processing-time rule).
    ``batch_size`` (networks per batch) overrides the cache-sized default.
    """
    # Specs of one configuration share its RunConfig object (expand makes each
    # once): grouping by identity first avoids hashing a RunConfig per run.
    configs: dict[int, RunConfig] = {}
    budgets_of: dict[tuple[int, int], list[int]] = {}
    for spec in specs:
        configs.setdefault(id(spec.config), spec.config)
        budgets_of.setdefault((id(spec.config), spec.seed), []).append(spec.epochs)
    groups: dict[tuple[Setup, tuple[int, ...]], list[Member]] = {}
    group_of: dict[tuple[int, tuple[int, ...]], list[Member]] = {}  # same, by config identity
    for (config_key, seed), budgets in budgets_of.items():
        config = configs[config_key]
        budget_key = tuple(sorted(set(budgets)))
        group = group_of.get((config_key, budget_key))
        if group is None:
            group = groups.setdefault((Setup.of(config), budget_key), [])
            group_of[(config_key, budget_key)] = group
        group.append(Member.of(config, seed))
    n_networks = sum(len(m) for m in groups.values())
    fair_share = max(256, math.ceil(n_networks / max(1, 2 * n_workers)))
    plans = []
    for (setup, budgets), members in groups.items():
        size = batch_size or min(cache_batch_size(setup), fair_share)
        for start in range(0, len(members), size):
            plans.append(BatchPlan(setup, budgets, tuple(members[start : start + size])))
    plans.sort(key=estimated_cost, reverse=True)  # stable: ties keep first-seen order
    return plans


# The engine's time per update ≈ a + b·N for N networks: a fixed cost of the
# NumPy calls worth about this many networks' arithmetic (measured on 2-2-1 and
# 2-4-1 batches of 100 to 2700 networks).
FIXED_COST_NETWORKS = 250


def estimated_cost(plan: BatchPlan) -> float:
    """Relative time to train a batch: updates × (fixed cost + networks × layer sizes)."""
    setup = plan.setup
    n_patterns = 2 ** _n_inputs(setup)
    if setup.batch.name == "full":
        updates_per_epoch, rows = 1, n_patterns
    elif setup.batch.name == "online":
        updates_per_epoch, rows = n_patterns, 1
    else:
        updates_per_epoch, rows = setup.batch.args[0], 1
    widths = (_n_inputs(setup), *setup.hidden, 1)
    weights = sum((a + 1) * b for a, b in pairwise(widths))
    per_update = FIXED_COST_NETWORKS + len(plan.members) * rows * weights / 9
    return plan.budgets[-1] * updates_per_epoch * per_update


def _n_inputs(setup: Setup) -> int:
    from xorbench.tasks import make_task

    return make_task(setup.task).n_inputs


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
        from xorbench.store import ResultsDir

        holder = ResultsDir(self.folder).lock_holder()
        return holder is not None and holder.get("pid") == self.owner_pid

    def orphaned(self) -> bool:
        """True in a worker process whose sweep is gone (never in the sweep's own process)."""
        return os.getpid() != self.owner_pid and not self.owner_alive()


def run_batch(plan: BatchPlan, sweep: str, target: ShardTarget | None = None) -> BatchOutput:
    """Train one batch, turn it into tidy frames and, given a target, store it as a shard.

    A worker left behind by a killed sweep exits instead of training or storing:
    nobody will read its results.
    """
    import time

    from xorbench.store import ResultsDir

    if target is not None and target.orphaned():
        os._exit(0)
    start = time.perf_counter()
    result = train_batch(plan.setup, plan.members, plan.budgets)
    trained = time.perf_counter()
    runs = records.runs_frame(result, sweep)
    curves = records.curves_frame(result)
    params = records.params_frame(result)
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


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise XorbenchError(f"--backend {backend!r}: allowed: {', '.join(BACKENDS)}")


def execute(plans: Sequence[BatchPlan], sweep: str, jobs: int | None = None,
            backend: str = "loky", scheduler: str | None = None,
            target: ShardTarget | None = None) -> Iterator[BatchOutput]:
    """Run batches in parallel, yielding each batch's output as soon as it is done.

    With a ``target``, workers store their shards themselves (not with dask,
    whose workers may be on other machines: there the caller stores them).

    Closing the generator early (``close()``, or an exception such as Ctrl-C
    while it waits) cancels the batches in flight and shuts the workers down:
    nothing keeps computing after the sweep stops.
    """
    import joblib

    check_backend(backend)
    jobs = jobs or default_jobs()
    if jobs == 1 and backend != "dask":
        for plan in plans:
            yield run_batch(plan, sweep, target)
        return
    if backend == "dask":
        yield from _execute_dask(plans, sweep, jobs, scheduler)
        return
    parallel = joblib.Parallel(n_jobs=jobs, backend=backend, batch_size=1,
                               return_as="generator_unordered")
    yield from _drain(parallel(joblib.delayed(run_batch)(plan, sweep, target) for plan in plans))


def _drain(outputs: Iterator[BatchOutput]) -> Iterator[BatchOutput]:
    """Yield from joblib's generator; if we are closed early, close it quietly.

    joblib aborts the pending batches (loky kills its workers) when its generator
    is closed, and warns that results went unused: that is the point of stopping,
    so the warning is not shown.
    """
    try:
        # not `yield from`: that would close joblib's generator before the filter is on
        for output in outputs:  # noqa: UP028
            yield output
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outputs.close()


def _execute_dask(plans, sweep, jobs, scheduler) -> Iterator[BatchOutput]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise XorbenchError(
            "--backend dask needs the dask extra: pip install 'xorbench[dask]'"
        ) from None
    import joblib

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as e:
            raise XorbenchError(f"--scheduler {scheduler}: cannot connect ({e})") from None
    try:
        with joblib.parallel_config(backend="dask"):
            parallel = joblib.Parallel(return_as="generator_unordered", batch_size=1)
            yield from _drain(parallel(joblib.delayed(run_batch)(plan, sweep) for plan in plans))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
