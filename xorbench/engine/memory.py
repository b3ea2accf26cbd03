"""What training costs in memory: a batch's arrays and a worker's most, known before it runs.

The planner sizes batches by :func:`bytes_per_network` and refuses, before anything
is written, networks that one worker cannot hold (:func:`worker_bytes`); the API's
``train`` checks :func:`check_memory`. Pure arithmetic on a setup's shapes: importing
this does not compile or load the kernel.
"""

from __future__ import annotations

import numpy as np

from xorbench.config import DTYPES, Setup, updates_per_epoch
from xorbench.config.tasks import make_task
from xorbench.engine.layout import n_params
from xorbench.engine.streams import DRAW_BLOCK_UPDATES
from xorbench.errors import XorbenchError
from xorbench.parallel import available_memory, format_bytes


def bytes_per_network(setup: Setup) -> int:
    """About how many bytes one network of ``setup`` occupies in a batch's arrays.

    θ, ∇E and the optimizer's two states (4 D); every unit's activation and
    derivative on every pattern at a record (2 P units); the losses kept, the
    outputs and θ recorded per budget (bounded here by 3 budgets). The runner sizes
    batches by it (:func:`xorbench.sweep.plan.memory_batch_size`).
    """
    task = make_task(setup.task)
    widths = setup.widths
    n_theta, n_units, n_patterns = n_params(widths), sum(widths[1:]), task.n_patterns
    elements = 4 * n_theta + 2 * n_patterns * n_units + 32 + 3 * (n_theta + n_patterns)
    return elements * np.dtype(DTYPES.impl(setup.dtype)).itemsize


# The kernel's lanes (xorbench.engine.kernel.LANES): buffers sized for this many networks.
KERNEL_LANES = 64


def lane_bytes(setup: Setup) -> int:
    """Bytes of the kernel's (or a build's) own buffers, whatever the batch size: every
    lane's θ, gradient and optimizer state (4 D), each unit's pre-activation, activation
    and derivative on every pattern (3 P units), and the patterns themselves."""
    task = make_task(setup.task)
    widths = setup.widths
    n_theta, n_units, n_patterns = n_params(widths), sum(widths[1:]), task.n_patterns
    elements = 4 * n_theta + 3 * n_patterns * n_units + n_patterns * (task.n_inputs + 1)
    itemsize = np.dtype(DTYPES.impl(setup.dtype)).itemsize
    return KERNEL_LANES * (elements + 4 * n_units + 16) * itemsize


# Bytes per parameter to store a batch's final parameters, whatever its size: the
# params shard has a column per parameter (p0 … p{D−1}), and pandas, Arrow and the
# Parquet writer each keep a name, a field, column metadata and buffers per column.
# Measured: about 9.4 kB per column at 20,000 and 8.8 kB at 80,000 columns.
PARAMS_COLUMN_BYTES = 10_000


def worker_bytes(setup: Setup, n_networks: int, n_budgets: int = 1,
                 stored: bool = True) -> int:
    """About the most memory a worker holds to train ``n_networks`` networks of
    ``setup`` recorded at ``n_budgets`` budgets: the kernel's buffers, each network's
    arrays (θ, its state and initial draw, what is observed at a record, the losses
    kept, the pattern orders drawn ahead for online and sampled batches) and its tidy
    rows (runs, curves, final parameters as a frame: float64, a few copies while they
    are built and written); and, ``stored`` (a sweep's batch, written as a shard), the
    params shard's per-column cost (:data:`PARAMS_COLUMN_BYTES` a parameter)."""
    task = make_task(setup.task)
    widths = setup.widths
    n_theta, n_units, n_patterns = n_params(widths), sum(widths[1:]), task.n_patterns
    itemsize = np.dtype(DTYPES.impl(setup.dtype)).itemsize
    arrays = (4 + n_budgets) * n_theta + n_budgets * n_patterns + 2 * n_patterns * n_units + 64
    frames = 3 * 8 * n_budgets * (n_theta + n_patterns + 32) + 8 * 64
    orders = 0
    if setup.batch.name != "full":
        per_epoch = updates_per_epoch(setup.batch, n_patterns)
        orders = 3 * max(DRAW_BLOCK_UPDATES, per_epoch)  # one byte an update, drawn twice
    per_network = arrays * itemsize + 8 * n_theta + frames + orders
    shard = PARAMS_COLUMN_BYTES * n_theta if stored else 0
    return lane_bytes(setup) + shard + n_networks * per_network


def check_memory(setup: Setup, n_networks: int, n_budgets: int = 1) -> None:
    """XorbenchError (one line: how much, and how much is free) unless training
    ``n_networks`` networks of ``setup`` at once fits in this process's free memory."""
    need, free = worker_bytes(setup, n_networks, n_budgets, stored=False), available_memory()
    if need > free:
        arch = setup.arch
        raise XorbenchError(f"training {n_networks:,} {arch} network{'s' if n_networks > 1 else ''}"
                            f" at once needs about {format_bytes(need)}, more than the "
                            f"{format_bytes(free)} free here; train fewer or smaller networks")
