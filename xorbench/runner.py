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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xorbench import records
from xorbench.config import RunConfig, RunSpec
from xorbench.engine import Member, Setup, train_batch
from xorbench.errors import XorbenchError

BACKENDS = ("loky", "threading", "dask")

# Working set per network in bytes ≈ (20 H + 14) · itemsize for a 2-H-1 network
# (issue 7's measurement); a batch should fit in ~10 MB of cache.
CACHE_BYTES = 10 * 2**20
MIN_BATCH, MAX_BATCH = 2048, 16384


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
    params: pd.DataFrame
    seconds: float


def cache_batch_size(setup: Setup) -> int:
    """Networks per batch so one batch's buffers stay in cache (issue 7's rule)."""
    width = max(setup.hidden, default=1)
    itemsize = 4 if setup.dtype.label == "float32" else 8
    return int(np.clip(CACHE_BYTES // ((20 * width + 14) * itemsize), MIN_BATCH, MAX_BATCH))


def plan_batches(specs: Iterable[RunSpec], n_workers: int = 1,
                 batch_size: int | None = None) -> list[BatchPlan]:
    """Group runs into engine batches, in first-seen order.

    A (config, seed) pair is one network, trained once to its largest budget and
    recorded at every budget it was asked for. With few runs, batches are split
    so that every worker gets about two of them.
    """
    budgets_of: dict[tuple[RunConfig, int], list[int]] = {}
    for spec in specs:
        budgets_of.setdefault((spec.config, spec.seed), []).append(spec.epochs)
    groups: dict[tuple[Setup, tuple[int, ...]], list[Member]] = {}
    for (config, seed), budgets in budgets_of.items():
        key = (Setup.of(config), tuple(sorted(set(budgets))))
        groups.setdefault(key, []).append(Member.of(config, seed))
    n_networks = sum(len(m) for m in groups.values())
    fair_share = max(256, math.ceil(n_networks / max(1, 2 * n_workers)))
    plans = []
    for (setup, budgets), members in groups.items():
        size = batch_size or min(cache_batch_size(setup), fair_share)
        for start in range(0, len(members), size):
            plans.append(BatchPlan(setup, budgets, tuple(members[start : start + size])))
    return plans


def run_batch(plan: BatchPlan, sweep: str) -> BatchOutput:
    """Train one batch and turn it into tidy frames (runs in a worker process)."""
    import time

    start = time.perf_counter()
    result = train_batch(plan.setup, plan.members, plan.budgets)
    runs = records.runs_frame(result, sweep)
    curves = records.curves_frame(result)
    params = records.params_frame(result)
    return BatchOutput(runs, curves, params, time.perf_counter() - start)


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def execute(plans: Sequence[BatchPlan], sweep: str, jobs: int | None = None,
            backend: str = "loky", scheduler: str | None = None) -> Iterator[BatchOutput]:
    """Run batches in parallel, yielding each batch's output as soon as it is done."""
    import joblib

    if backend not in BACKENDS:
        raise XorbenchError(f"--backend {backend!r}: allowed: {', '.join(BACKENDS)}")
    jobs = jobs or default_jobs()
    if jobs == 1 and backend != "dask":
        for plan in plans:
            yield run_batch(plan, sweep)
        return
    if backend == "dask":
        yield from _execute_dask(plans, sweep, jobs, scheduler)
        return
    parallel = joblib.Parallel(n_jobs=jobs, backend=backend, return_as="generator_unordered")
    yield from parallel(joblib.delayed(run_batch)(plan, sweep) for plan in plans)


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
            parallel = joblib.Parallel(return_as="generator_unordered")
            yield from parallel(joblib.delayed(run_batch)(plan, sweep) for plan in plans)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


ProgressCallback = Callable[[BatchOutput], None]
