"""Runs → the batches the engine trains together, sized for the cache and for memory.

Runs that share shapes and functions (a :class:`~xorbench.config.Setup`) and epoch
budgets go into one batch, whatever their learning rate, init and seed; a (config,
seed) pair is one network, trained once to its largest budget and recorded at each.
Before anything is written, :func:`fit_workers` refuses a grid whose networks no
worker can hold and says how many workers fit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from xorbench.config import Member, RunConfig, RunSpec, Setup, make_config, updates_per_epoch
from xorbench.engine.layout import n_params
from xorbench.engine.memory import (
    KERNEL_LANES,
    PARAMS_COLUMN_BYTES,
    bytes_per_network,
    worker_bytes,
)
from xorbench.errors import XorbenchError
from xorbench.grid import Grid
from xorbench.parallel import format_bytes

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
            f"networks' parameters, gradients and activations at once, and storing a batch "
            f"takes {format_bytes(PARAMS_COLUMN_BYTES)} a parameter), more than the "
            f"{format_bytes(memory)} free here; use narrower or fewer layers")
    return max(1, min(jobs, memory // most))


# What a worker's memory depends on (engine.memory.worker_bytes), and how many distinct
# combinations of them a sweep may have: each is at least one batch of its own.
MEMORY_AXES = ("task", "hidden", "batch", "dtype")
MAX_SHAPES = 100_000


def grid_setups(grid: Grid) -> list[tuple[Setup, int]]:
    """A setup for every combination of :data:`MEMORY_AXES` in ``grid`` (the other axes at
    their defaults: memory does not depend on them), with the most budgets a batch of it
    may record; counted before they are listed (XorbenchError over :data:`MAX_SHAPES`),
    and the grid never expanded."""
    n = grid.count_combinations(MEMORY_AXES)
    if n > MAX_SHAPES:
        raise XorbenchError(f"{n:,} combinations of {', '.join(MEMORY_AXES)} (each its own "
                            f"batches) are over the limit of {MAX_SHAPES:,}; split the grid")
    n_budgets = len(grid.axes()["epochs"])
    return [(Setup.of(make_config(**dict(zip(MEMORY_AXES, values, strict=True)))), n_budgets)
            for values in grid.combinations(MEMORY_AXES)]


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


# The plain NumPy loop that trains a bug (xorbench.engine.plain) costs far more per update:
# a few dozen NumPy calls whatever the batch (≈ 6,000 units), and each network's
# arithmetic ≈ 8× the kernel's — measured on this project's 2-vCPU machine, 2-2-1 and
# 2-8-1 batches of 64 to 4,000 networks.
PLAIN_FIXED_COST = 6000
PLAIN_PER_NETWORK = 8


def update_cost(setup: Setup, n_networks: float) -> float:
    """Relative time of one update of ``n_networks`` networks of ``setup``: a fixed cost
    plus networks × patterns seen × layer sizes, the plain loop's where it trains a bug."""
    n_patterns = 2 ** setup.widths[0]
    rows = n_patterns if setup.batch.name == "full" else 1  # patterns seen per update
    work = n_networks * rows * n_params(setup.widths) / 9
    if setup.bug.name != "none":
        return PLAIN_FIXED_COST + PLAIN_PER_NETWORK * work
    return FIXED_COST_NETWORKS + work


def estimated_cost(plan: BatchPlan) -> float:
    """Relative time to train a batch: updates × (fixed cost + networks × layer sizes)."""
    setup = plan.setup
    n_patterns = 2 ** setup.widths[0]
    updates = plan.budgets[-1] * updates_per_epoch(setup.batch, n_patterns)
    return updates * update_cost(setup, len(plan.members))
