"""Run specs → batches the engine can train together → parallel execution.

Runs that share shapes and functions (an engine :class:`Setup`) and epoch budgets
go into one batch, whatever their learning rate, init and seed. Batches run
through joblib (loky processes by default, threads, or a Dask cluster: see
:mod:`xorbench.cluster`) and come back as finished, in any order; the engine's
batch invariance makes the numbers the same whichever batch a run lands in.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xorbench.analysis.text import duration_text
from xorbench.config import RunConfig, RunSpec, make_config, updates_per_epoch
from xorbench.config.tasks import make_task
from xorbench.engine import (
    KERNEL_LANES,
    Member,
    Setup,
    build_source,
    bytes_per_network,
    frames,
    train_batch,
    worker_bytes,
)
from xorbench.engine.layout import n_params
from xorbench.errors import XorbenchError
from xorbench.grid import Grid
from xorbench.parallel import (
    BACKENDS,
    children_ignore_sigint,
    default_jobs,
    drain,
    format_bytes,
)

# A batch's arrays (engine.bytes_per_network × networks) should stay near this size.
BATCH_BYTES = 16 * 2**20
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


def memory_batch_size(setup: Setup) -> int:
    """Networks per batch so one batch's arrays stay near ``BATCH_BYTES``.

    The kernel trains 64 networks at a time in cache whatever the batch size
    (`xorbench bench`: 2-2-1 at 1,024 and at 4,096 networks within 2 %), so the
    batch size bounds a worker's memory and sets how many shards a sweep writes.
    """
    return int(np.clip(BATCH_BYTES // bytes_per_network(setup), MIN_BATCH, MAX_BATCH))


def plan_batches(specs: Iterable[RunSpec], n_workers: int = 1,
                 batch_size: int | None = None,
                 worker_memory: int | None = None) -> list[BatchPlan]:
    """Group runs into engine batches, the most expensive first.

    A (config, seed) pair is one network, trained once to its largest budget and
    recorded at every budget it was asked for. With few runs, batches are split
    so that every worker gets about two of them. Batches are handed out in
    order as workers free up, so putting the longest first keeps the last
    worker from finishing long after the others (longest-processing-time rule).
    ``batch_size`` (networks per batch) overrides the memory-sized default;
    ``worker_memory`` (bytes a worker may use for its batch) caps both.
    """
    return _split(group_networks(specs), n_workers, batch_size, worker_memory)


def group_networks(specs: Iterable[RunSpec]) -> dict[tuple[Setup, tuple[int, ...]], list[Member]]:
    """The networks of ``specs`` grouped by what a batch shares: setup and budgets."""
    # Specs of one configuration share its RunConfig object (expand makes each
    # once): grouping by identity first avoids hashing a RunConfig per run.
    configs: dict[int, RunConfig] = {}
    asked: dict[int, dict[int, list[int]]] = {}  # config → budget → its seeds, in order
    for spec in specs:
        by_budget = asked.get(id(spec.config))
        if by_budget is None:
            by_budget = asked[id(spec.config)] = {}
            configs[id(spec.config)] = spec.config
        seeds = by_budget.get(spec.epochs)
        if seeds is None:
            seeds = by_budget[spec.epochs] = []
        seeds.append(spec.seed)
    groups: dict[tuple[Setup, tuple[int, ...]], list[Member]] = {}
    for config_key, config in configs.items():
        for budgets, seeds in _networks(asked[config_key]):
            members = groups.setdefault((Setup.of(config), budgets), [])
            members.extend(Member.of(config, seed) for seed in seeds)
    return groups


def _split(groups: dict[tuple[Setup, tuple[int, ...]], list[Member]], n_workers: int,
           batch_size: int | None, worker_memory: int | None) -> list[BatchPlan]:
    n_networks = sum(len(m) for m in groups.values())
    fair_share = max(256, math.ceil(n_networks / max(1, 2 * n_workers)))
    plans = []
    for (setup, budgets), members in groups.items():
        size = batch_size or min(memory_batch_size(setup), fair_share)
        if worker_memory is not None:
            size = max(1, min(size, networks_that_fit(setup, len(budgets), worker_memory)))
        for start in range(0, len(members), size):
            plans.append(BatchPlan(setup, budgets, tuple(members[start : start + size])))
    plans.sort(key=estimated_cost, reverse=True)  # stable: ties keep first-seen order
    return plans


# A worker process before its batch: Python, NumPy, numba and pandas loaded.
PROCESS_BYTES = 300 * 2**20


def networks_that_fit(setup: Setup, n_budgets: int, memory: int) -> int:
    """How many networks of ``setup`` a worker trains at once in ``memory`` bytes (0: not
    even one)."""
    fixed = worker_bytes(setup, 0, n_budgets)
    per_network = worker_bytes(setup, 1, n_budgets) - fixed
    return max(0, (memory - fixed) // per_network)


def fit_workers(setups: Iterable[tuple[Setup, int]], jobs: int, memory: int) -> int:
    """How many of ``jobs`` workers fit in ``memory`` bytes, each able to train a batch of
    one network of any of ``setups`` (setup, number of budgets); XorbenchError naming
    the architecture if not even one worker fits."""
    need: dict[Setup, int] = {}
    for setup, n_budgets in setups:
        need[setup] = max(need.get(setup, 0), PROCESS_BYTES + worker_bytes(setup, 1, n_budgets))
    if not need:
        return max(1, jobs)
    setup, most = max(need.items(), key=lambda item: item[1])
    if most > memory:
        arch = setup.arch
        raise XorbenchError(
            f"hidden = {list(setup.hidden)}: training {arch} networks needs about "
            f"{format_bytes(most)} in one worker (the training loop keeps {KERNEL_LANES} "
            f"networks' parameters, gradients and activations at once), more than the "
            f"{format_bytes(memory)} free here; use narrower or fewer layers")
    return max(1, min(jobs, memory // most))


def grid_setups(grid: Grid) -> list[tuple[Setup, int]]:
    """Every setup of ``grid`` (without expanding it), with the most budgets a batch of it
    may record."""
    n_budgets = len(grid.axes()["epochs"])
    axes = tuple(Setup.__dataclass_fields__)
    return [(Setup(**dict(zip(axes, values, strict=True))), n_budgets)
            for values in grid.combinations(axes)]


def _networks(seeds_of_budget: dict[int, list[int]]) -> list[tuple[tuple[int, ...], list[int]]]:
    """One configuration's networks, grouped by the budgets each is recorded at.

    ``seeds_of_budget`` lists, for each budget, the seeds asked for at it. A
    (configuration, seed) pair is one network, trained to its largest budget;
    seeds come in the order they first appear.
    """
    lists = list(seeds_of_budget.values())
    if all(seeds == lists[0] for seeds in lists[1:]):  # the usual case: every seed, every budget
        return [(tuple(sorted(seeds_of_budget)), lists[0])]
    budgets: dict[int, list[int]] = {}
    for budget, seeds in seeds_of_budget.items():
        for seed in seeds:
            budgets.setdefault(seed, []).append(budget)
    by_budgets: dict[tuple[int, ...], list[int]] = {}
    for seed, asked in budgets.items():
        by_budgets.setdefault(tuple(sorted(set(asked))), []).append(seed)
    return list(by_budgets.items())


# The engine's time per update ≈ a + b·N for N networks, a fixed cost worth about this
# many networks' arithmetic. Fitted for the NumPy engine (2-2-1 and 2-4-1 batches of
# 100 to 2700 networks); the compiled kernel's example grids, from online updates of
# 500 networks to full-batch batches of 5,200, still agree with it within ±20 %.
FIXED_COST_NETWORKS = 250


# estimated_cost units one core trains per second (float64, one process, the compiled
# kernel), measured on this project's machine with whole example grids (sweeps/*.toml):
# 4.8e7 optimizers, 5.0e7 inits, 5.4e7 learning-rates and width-depth, 6.0e7 the quick
# grid, 6.1e7 seed-question, 6.7e7 activations, 6.8e7 parity.
COST_PER_SECOND_RANGE = (4.5e7, 7.0e7)


def estimated_seconds(plans: Sequence[BatchPlan]) -> tuple[float, float]:
    """About how long ``plans`` train on one core: (fast end, slow end) of the range."""
    cost = sum(estimated_cost(plan) for plan in plans)
    fast, slow = COST_PER_SECOND_RANGE
    return cost / slow, cost / fast


# A grid with more setups than this is estimated setup-group by setup-group (the
# axes a network-epoch's cost depends on), with fewer batches than it will have.
MAX_SETUPS_ESTIMATED = 10_000


def estimated_grid_seconds(grid: Grid, n_workers: int = 1) -> tuple[float, float]:
    """:func:`estimated_seconds` of the whole grid, from its counts alone (no run is
    expanded, so a grid of a billion runs is estimated as fast as a small one): the
    same cost model, every setup's networks in batches as full as the planner makes."""
    n_networks = grid.networks_where({})
    fair_share = max(256, math.ceil(n_networks / max(1, 2 * n_workers)))
    axes = tuple(Setup.__dataclass_fields__)
    combinations = grid.combinations(axes)
    if len(combinations) > MAX_SETUPS_ESTIMATED:
        axes = ("task", "hidden", "batch")  # what a network-epoch's cost depends on
        combinations = grid.combinations(axes)
    cost = 0.0
    for values in combinations:
        fixed = dict(zip(axes, values, strict=True))
        networks = grid.networks_where(fixed)
        if not networks:
            continue
        network_epochs = grid.network_epochs_where(fixed)
        setup = Setup.of(make_config(**fixed))
        n_inputs = _n_inputs(setup)
        n_patterns = 2**n_inputs
        rows = n_patterns if setup.batch.name == "full" else 1  # patterns seen per update
        weights = n_params(setup.widths)
        batches = math.ceil(networks / min(memory_batch_size(setup), fair_share, networks))
        mean_epochs = network_epochs / networks
        cost += updates_per_epoch(setup.batch, n_patterns) * (
            network_epochs * rows * weights / 9 + batches * mean_epochs * FIXED_COST_NETWORKS)
    fast, slow = COST_PER_SECOND_RANGE
    return cost / slow, cost / fast


# Grids above either guard need --yes: so many runs make tables of gigabytes, and so
# much work (one core's time, the estimate's slow end) takes more than a day.
MAX_RUNS_WITHOUT_CONFIRM = 1_000_000
MAX_SECONDS_WITHOUT_CONFIRM = 24 * 3600


def run_guard(grid: Grid) -> str | None:
    """Why ``grid`` needs the user's confirmation (``--yes``), or None: more runs than
    :data:`MAX_RUNS_WITHOUT_CONFIRM`, or more estimated work than
    :data:`MAX_SECONDS_WITHOUT_CONFIRM` of one core. Counted without expanding."""
    if grid.n_runs > MAX_RUNS_WITHOUT_CONFIRM:
        return f"{grid.n_runs:,} runs is over the guard of {MAX_RUNS_WITHOUT_CONFIRM:,}"
    slow = estimated_grid_seconds(grid)[1]
    if slow > MAX_SECONDS_WITHOUT_CONFIRM:
        guard = duration_text(MAX_SECONDS_WITHOUT_CONFIRM, rough=True)
        return (f"its training is estimated at up to {duration_text(slow, rough=True)} of one "
                f"core, over the guard of {guard}")
    return None


# A build (xorbench.engine.builds) compiles once per machine, for about builds.BUILD_SECONDS
# before the workers start, and then trains its setup's full-batch epochs 1.6–2×
# faster than the kernel, saving about 40 % of that training's wall time: a sweep
# builds one for a setup it trains for at least this long per worker (one core's
# time, the estimate's slow end), where the first sweep about pays for the
# compilation and later ones gain all of it.
BUILD_WORTH_SECONDS = 30.0


def setups_worth_building(plans: Sequence[BatchPlan], n_workers: int = 1) -> list[Setup]:
    """One setup for each build that ``plans`` train long enough with, on ``n_workers``
    workers, to be worth compiling (setups that differ only in their task's targets
    share a build)."""
    seconds: dict[tuple, float] = {}
    first: dict[tuple, Setup] = {}
    for plan in plans:
        spec = build_source.spec_for(plan.setup)
        if spec is not None:
            key = (spec, plan.setup.dtype)
            first.setdefault(key, plan.setup)
            seconds[key] = seconds.get(key, 0.0) + estimated_seconds([plan])[1]
    return [first[key] for key, spent in seconds.items()
            if spent >= BUILD_WORTH_SECONDS * n_workers]


def estimated_cost(plan: BatchPlan) -> float:
    """Relative time to train a batch: updates × (fixed cost + networks × layer sizes)."""
    setup = plan.setup
    n_patterns = 2 ** _n_inputs(setup)
    rows = n_patterns if setup.batch.name == "full" else 1  # patterns seen per update
    weights = n_params(setup.widths)
    per_update = FIXED_COST_NETWORKS + len(plan.members) * rows * weights / 9
    return plan.budgets[-1] * updates_per_epoch(setup.batch, n_patterns) * per_update


def _n_inputs(setup: Setup) -> int:
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
        """The lock is held by the sweep — or held by someone whose pid cannot be read
        (mid-write): a live sweep's worker must never take itself for an orphan."""
        from xorbench.results.folder import ResultsDir

        holder = ResultsDir(self.folder).lock_holder()
        return holder is not None and holder.get("pid") in (self.owner_pid, "?", None)

    def orphaned(self) -> bool:
        """True in a worker process whose sweep is gone (never in the sweep's own process)."""
        return os.getpid() != self.owner_pid and not self.owner_alive()


# Seconds every batch waits after training. Only the interruption tests set it: a
# sweep they kill mid-way must still be running, however fast the machine.
BATCH_PAUSE_ENV = "XORBENCH_TEST_BATCH_PAUSE"


def run_batch(plan: BatchPlan, sweep: str, target: ShardTarget | None = None) -> BatchOutput:
    """Train one batch, turn it into tidy frames and, given a target, store it as a shard.

    A worker left behind by a killed sweep exits instead of training or storing:
    nobody will read its results.
    """
    import time

    from xorbench.results.folder import ResultsDir

    if target is not None and target.orphaned():
        os._exit(0)
    start = time.perf_counter()
    result = train_batch(plan.setup, plan.members, plan.budgets)
    if BATCH_PAUSE_ENV in os.environ:  # tests of interruption: batches that take a while
        time.sleep(float(os.environ[BATCH_PAUSE_ENV]))
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
        from xorbench.cluster import execute_dask

        yield from execute_dask(plans, sweep, jobs, scheduler)
        return
    parallel = joblib.Parallel(n_jobs=jobs, backend=backend, batch_size=1,
                               return_as="generator_unordered")
    with children_ignore_sigint():  # the call starts the worker processes
        outputs = parallel(joblib.delayed(run_batch)(plan, sweep, target) for plan in plans)
    yield from drain(outputs)
