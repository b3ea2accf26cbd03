"""What a sweep will cost, before it runs: one core's time per batch, per grid, and the guard.

The cost model (:func:`estimated_cost`) is relative work — updates × (a fixed cost
per batch update + networks × layer sizes) — turned into seconds by rates measured
on whole example grids. It orders batches longest first, sizes Dask tasks, decides
which setups are worth a build, estimates a grid in ``xorbench grid`` and guards a
sweep (:func:`run_guard`), all without listing a grid's runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xorbench.analysis.text import duration_text
from xorbench.config import Setup, make_config, updates_per_epoch
from xorbench.errors import XorbenchError
from xorbench.grid import Grid
from xorbench.parallel import format_bytes
from xorbench.sweep.plan import (
    COST_PER_SECOND_RANGE,
    BatchPlan,
    estimated_cost,
    memory_batch_size,
    update_cost,
)


def estimated_seconds(plans: Sequence[BatchPlan]) -> tuple[float, float]:
    """About how long ``plans`` train on one core: (fast end, slow end) of the range."""
    cost = sum(estimated_cost(plan) for plan in plans)
    fast, slow = COST_PER_SECOND_RANGE
    return cost / slow, cost / fast


# A grid with more setups than this is estimated setup-group by setup-group (the
# axes a network-epoch's cost depends on), with fewer batches than it will have; with
# more groups even of those, by coarser ones (the others at their defaults). Each is
# counted before it is listed.
MAX_SETUPS_ESTIMATED = 10_000
ESTIMATED_BY = (tuple(Setup.__dataclass_fields__), ("task", "hidden", "batch", "bug"),
                ("task", "hidden", "bug"), ("task",), ())


def estimated_grid_seconds(grid: Grid, n_workers: int = 1) -> tuple[float, float]:
    """:func:`estimated_seconds` of the whole grid, from its counts alone (no run is
    expanded, so a grid of a billion runs is estimated as fast as a small one): the
    same cost model, every setup's networks in batches as full as the planner makes,
    and each batch's shard stored (:data:`STORE_SECONDS_RANGE`, which dominates a grid
    of many tiny setups)."""
    n_networks = grid.networks_where({})
    fair_share = max(256, math.ceil(n_networks / max(1, 2 * n_workers)))
    axes = next(axes for axes in ESTIMATED_BY
                if grid.count_combinations(axes) <= MAX_SETUPS_ESTIMATED)
    combinations = grid.combinations(axes)  # counted first: never a product too long
    cost, n_batches = 0.0, 0
    for values in combinations:
        fixed = dict(zip(axes, values, strict=True))
        networks = grid.networks_where(fixed)
        if not networks:
            continue
        network_epochs = grid.network_epochs_where(fixed)
        setup = Setup.of(make_config(**fixed))
        n_patterns = 2 ** setup.widths[0]
        batches = math.ceil(networks / min(memory_batch_size(setup), fair_share, networks))
        n_batches += batches
        mean_epochs = network_epochs / networks
        # every network's epochs, plus each batch's fixed cost per update (update_cost(·, 0))
        per_network = update_cost(setup, 1) - update_cost(setup, 0)
        cost += updates_per_epoch(setup.batch, n_patterns) * (
            network_epochs * per_network + batches * mean_epochs * update_cost(setup, 0))
    # every setup is a batch of its own at least (coarse groups count fewer)
    n_batches = max(n_batches, grid.count_combinations(tuple(Setup.__dataclass_fields__)))
    fast, slow = COST_PER_SECOND_RANGE
    store_fast, store_slow = STORE_SECONDS_RANGE
    return cost / slow + n_batches * store_fast, cost / fast + n_batches * store_slow


# Seconds to store one batch as a shard, whatever its size: three Parquet files, each
# synced, then the folder. Measured: 0.27 s a batch on this project's machine (two
# shared cores, 200 batches of one small network each, where training took 0.015 s a
# batch); a few hundredths of a second on a fast local SSD.
STORE_SECONDS_RANGE = (0.02, 0.3)


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


# What a run costs in the sweep's own process, whatever --yes says: its RunSpec and key,
# its rows while the tables are built and written (measured: about 2.4 kB a run, from
# 20,000 to 100,000 runs).
SWEEP_BYTES_PER_RUN = 3000


def memory_after_listing(grid: Grid, free: int) -> int:
    """Of ``free`` bytes, those left for the workers once the sweep's process lists,
    stores and tabulates every run of ``grid``; XorbenchError (one line) if that alone
    does not fit. Asked before anything is listed: ``--yes`` accepts long work, never
    memory that is not there."""
    need = grid.n_runs * SWEEP_BYTES_PER_RUN
    if need > free:
        raise XorbenchError(
            f"{grid.path}: {grid.n_runs:,} runs need about {format_bytes(need)} to list and "
            f"tabulate ({format_bytes(SWEEP_BYTES_PER_RUN)} a run), more than the "
            f"{format_bytes(free)} free here; sweep fewer runs at a time (fewer seeds or "
            f"values)")
    return free - need
