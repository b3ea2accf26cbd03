"""Engine throughput, measured: network-epochs per second, batched vs one at a time.

Standard workload (issue 7): 2-H-1, sigmoid hidden and output, MSE, full batch,
lr 0.5, weights uniform(−1, 1), no early stop. The comparison is a plain NumPy
loop that trains one network at a time with per-network matrices, the way a
learner writes it; both run in the same process, so their ratio is meaningful
even on a noisy machine.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from xorbench.config import make_config
from xorbench.config.tasks import all_patterns
from xorbench.engine import Member, Setup, builds, check_memory, train_batch, worker_bytes
from xorbench.engine.layout import layer_views, n_params
from xorbench.errors import XorbenchError
from xorbench.grid import default_grid, loads_grid


@dataclass(frozen=True)
class Measurement:
    """One timed training: ``networks`` × ``epochs`` in ``seconds`` of wall time."""

    implementation: str  # "engine", "engine, kernel only", "engine, N processes", …
    arch: str
    networks: int
    epochs: int
    seconds: float
    dtype: str = "float64"

    @property
    def network_epochs_per_s(self) -> float:
        return self.networks * self.epochs / self.seconds

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "network_epochs_per_s": self.network_epochs_per_s}


def standard_config(hidden: int, dtype: str = "float64"):
    """The standard workload's configuration for a 2-``hidden``-1 network."""
    return make_config(hidden=(hidden,), activation="sigmoid", output="sigmoid", loss="mse",
                       batch="full", lr=0.5, init="uniform(-1,1)", dtype=dtype)


def _train_standard(hidden: int, networks: int, epochs: int, dtype: str, first_seed: int = 0):
    config = standard_config(hidden, dtype)
    members = [Member.of(config, seed) for seed in range(first_seed, first_seed + networks)]
    start = time.perf_counter()
    train_batch(Setup.of(config), members, [epochs])
    return time.perf_counter() - start


def time_engine(hidden: int, networks: int, epochs: int, dtype: str = "float64") -> Measurement:
    """Wall time of one batched training of ``networks`` networks for ``epochs`` epochs."""
    seconds = _train_standard(hidden, networks, epochs, dtype)
    return Measurement("engine", f"2-{hidden}-1", networks, epochs, seconds, dtype)


def _worker_loop_seconds(hidden: int, networks: int, epochs: int, dtype: str,
                         first_seed: int) -> float:
    """In a worker: the epoch loop's time for 2·epochs epochs (trainings of E and 3E)."""
    _train_standard(hidden, networks, 1, dtype, first_seed)  # draws (and caches) the inits
    short = _train_standard(hidden, networks, epochs, dtype, first_seed)
    long = _train_standard(hidden, networks, 3 * epochs, dtype, first_seed)
    return max(long - short, 1e-9)


def time_engine_parallel(hidden: int, networks: int, epochs: int, workers: int,
                         dtype: str = "float64") -> Measurement:
    """``workers`` loky processes at once, each training its own batch of ``networks``.

    Each worker times its own epoch loop (as :func:`run_benchmark` does); the
    figure is their summed throughput while all of them run together.
    """
    import joblib

    with joblib.Parallel(n_jobs=workers, backend="loky") as parallel:
        parallel(joblib.delayed(_train_standard)(hidden, 64, 5, dtype) for _ in range(workers))
        loops = parallel(joblib.delayed(_worker_loop_seconds)(hidden, networks, epochs, dtype,
                                                              w * networks)
                         for w in range(workers))
    rate = sum(networks * 2 * epochs / t for t in loops)
    total = networks * workers
    return Measurement(f"engine, {workers} processes", f"2-{hidden}-1", total, 2 * epochs,
                       total * 2 * epochs / rate, dtype)


def train_one_plain(hidden: int, epochs: int, seed: int, lr: float = 0.5) -> np.ndarray:
    """One 2-H-1 sigmoid network, trained full batch on XOR with plain NumPy matrices."""
    rng = np.random.default_rng(seed)
    X = all_patterns(2)  # (4, 2)
    t = np.array([[0.0], [1.0], [1.0], [0.0]])
    W1, b1 = rng.uniform(-1, 1, (2, hidden)), np.zeros(hidden)
    W2, b2 = rng.uniform(-1, 1, (hidden, 1)), np.zeros(1)
    for _ in range(epochs):
        h = 1 / (1 + np.exp(-(X @ W1 + b1)))  # (4, H)
        y = 1 / (1 + np.exp(-(h @ W2 + b2)))  # (4, 1)
        dz2 = 2 / len(X) * (y - t) * y * (1 - y)  # dE/dz2 for E = mean (y − t)²
        dz1 = dz2 @ W2.T * h * (1 - h)
        W2 -= lr * h.T @ dz2
        b2 -= lr * dz2.sum(0)
        W1 -= lr * X.T @ dz1
        b1 -= lr * dz1.sum(0)
    return y[:, 0]


def train_recipe(theta: np.ndarray, hidden: int, epochs: int,
                 lr: float = 0.5) -> tuple[float, np.ndarray]:
    """The standard workload as issue 7's recipe writes it, on θ (D, N) in place.

    Networks on the last axis, one BLAS call for the first layer's shared inputs
    (and one for its gradient), every step in place with ``out=``, the constant
    factors η·2/P folded into the output delta. No criterion, no records, no
    other activation, loss or optimizer: about the least a NumPy engine can cost
    per epoch on this machine, to hold the general engine against. Returns the
    loop's seconds and the outputs y (P, N) of the last forward pass.
    """
    n_patterns, networks = 4, theta.shape[1]
    x1 = np.hstack([all_patterns(2), np.ones((n_patterns, 1))])  # inputs and a 1: (P, 3)
    t = np.array([[0.0], [1.0], [1.0], [0.0]])
    w1, w2 = layer_views(theta, (2, hidden, 1))  # (3, H, N) and (H + 1, 1, N): bias last
    w2 = w2[:, 0]
    a1, f1, d1, products = (np.zeros((n_patterns, hidden, networks)) for _ in range(4))
    y, d2, tmp = (np.zeros((n_patterns, networks)) for _ in range(3))
    g1, g2 = np.zeros_like(w1), np.zeros_like(w2)
    w1_flat, g1_flat = w1.reshape(3, -1), g1.reshape(3, -1)
    a1_flat, d1_flat = a1.reshape(n_patterns, -1), d1.reshape(n_patterns, -1)
    scale = lr * 2 / n_patterns  # η · ∂E/∂y / (y − t) for E = mean (y − t)²
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            np.matmul(x1, w1_flat, out=a1_flat)  # z1 = [x 1] W1
            np.negative(a1, out=a1)  # a1 = σ(z1) = 1 / (1 + e^−z1)
            np.exp(a1, out=a1)
            np.add(a1, 1, out=a1)
            np.divide(1, a1, out=a1)
            np.multiply(a1[:, 0], w2[0], out=y)  # z2 = Σ_j a1_j w2_j + b2
            for j in range(1, hidden):
                np.multiply(a1[:, j], w2[j], out=tmp)
                np.add(y, tmp, out=y)
            np.add(y, w2[hidden], out=y)
            np.negative(y, out=y)  # y = σ(z2)
            np.exp(y, out=y)
            np.add(y, 1, out=y)
            np.divide(1, y, out=y)
            np.subtract(y, t, out=d2)  # δ2 = η (2/P) (y − t) y (1 − y)
            np.multiply(y, y, out=tmp)
            np.subtract(y, tmp, out=tmp)
            np.multiply(d2, tmp, out=d2)
            np.multiply(d2, scale, out=d2)
            np.multiply(a1, d2[:, None, :], out=products)  # η ∂E/∂W2 = Σ_p a1 δ2
            np.add.reduce(products, axis=0, out=g2[:hidden])
            np.add.reduce(d2, axis=0, out=g2[hidden])
            np.multiply(a1, a1, out=f1)  # δ1 = δ2 w2 a1 (1 − a1)
            np.subtract(a1, f1, out=f1)
            np.multiply(d2[:, None, :], w2[:hidden], out=d1)
            np.multiply(d1, f1, out=d1)
            np.matmul(x1.T, d1_flat, out=g1_flat)  # η ∂E/∂W1 = [x 1]ᵀ δ1
            np.subtract(w1, g1, out=w1)
            np.subtract(w2, g2, out=w2)
    return time.perf_counter() - start, y


def time_recipe(hidden: int, networks: int, epochs: int) -> Measurement:
    """Wall time of :func:`train_recipe`'s loop, weights uniform(−1, 1), biases 0."""
    widths = (2, hidden, 1)
    theta = np.zeros((n_params(widths), networks))
    rng = np.random.default_rng(0)
    for (fan_in, _), block in zip(itertools.pairwise(widths), layer_views(theta, widths),
                                  strict=True):
        block[:fan_in] = rng.uniform(-1, 1, block[:fan_in].shape)
    seconds, _ = train_recipe(theta, hidden, epochs)
    return Measurement("recipe", f"2-{hidden}-1", networks, epochs, seconds)


def time_plain(hidden: int, networks: int, epochs: int) -> Measurement:
    """Wall time of the plain loop training ``networks`` networks one after another."""
    start = time.perf_counter()
    for seed in range(networks):
        train_one_plain(hidden, epochs, seed)
    seconds = time.perf_counter() - start
    return Measurement("one-at-a-time", f"2-{hidden}-1", networks, epochs, seconds)


def workers_that_fit(hiddens: Sequence[int], largest: int, dtype: str,
                     workers: int) -> tuple[int, str | None]:
    """How many of ``workers`` processes the parallel measurement starts, like a sweep's
    ``--jobs``: at most the cores this process may use and as many as fit in the free
    memory, each training ``largest`` networks; and why fewer (None if not fewer)."""
    from xorbench.parallel import available_memory, default_jobs, format_bytes
    from xorbench.sweep.plan import PROCESS_BYTES

    cores, memory = default_jobs(), available_memory()
    each = max(PROCESS_BYTES + worker_bytes(Setup.of(standard_config(h, dtype)), largest,
                                            stored=False) for h in hiddens)
    fit = max(1, memory // each)
    n = max(1, min(workers, cores, fit))
    if n == workers:
        return n, None
    if n == fit and fit < cores:
        return n, f"as many as fit in the {format_bytes(memory)} of memory free"
    return n, f"the {cores} core{'s' if cores > 1 else ''} this process may use"


def run_benchmark(hiddens: Sequence[int] = (2, 8), sizes: Sequence[int] = (1, 64, 1024, 16384),
                  seconds: float = 1.0, dtype: str = "float64", workers: int = 0,
                  announce: Callable[[str], None] | None = None) -> Iterator[Measurement]:
    """Measure the engine at each batch size, the kernel alone (no build) and the recipe
    at the largest, the plain loop, and optionally N processes.

    The engine trains the standard workload with its build (:mod:`xorbench.engine.builds`),
    compiled first if this machine has none yet (said to ``announce``), as a long
    sweep would. Each figure is the epoch loop's own throughput: two trainings of E
    and 3E epochs, timed, and their difference (2E epochs) divided out, so the
    one-off cost of drawing initial weights does not count. E is chosen from a short
    probe so that the measurement takes about ``seconds``.
    """
    largest = max(sizes)
    for hidden in hiddens:  # refused up front: every measurement must fit in memory
        check_memory(Setup.of(standard_config(hidden, dtype)), largest * max(1, workers))
    for hidden in hiddens:
        builds.prepare(Setup.of(standard_config(hidden, dtype)), announce)
        time_engine(hidden, 64, 20, dtype)  # warm up caches and imports
        for n in sizes:
            yield _marginal(lambda e, n=n, h=hidden: time_engine(h, n, e, dtype), seconds)
        with builds.kernel_only():
            kernel = _marginal(lambda e, h=hidden: time_engine(h, largest, e, dtype), seconds)
        yield replace(kernel, implementation="engine, kernel only")
        if dtype == "float64":  # the recipe is written for float64 only
            yield _marginal(lambda e, h=hidden: time_recipe(h, largest, e), seconds)
        yield _marginal(lambda e, h=hidden: time_plain(h, 4, e), seconds)
        if workers > 1:
            n = max(sizes)
            time_engine(hidden, n, 1, dtype)
            few, more = time_engine(hidden, n, 4, dtype), time_engine(hidden, n, 24, dtype)
            per_epoch = max((more.seconds - few.seconds) / 20, more.seconds / 24 / 4)
            yield time_engine_parallel(hidden, n, max(5, int(seconds / 4 / per_epoch)),
                                       workers, dtype)


def _marginal(measure, seconds: float) -> Measurement:
    """The throughput of ``measure``'s epoch loop alone, measured for about ``seconds``."""
    # marginal time per epoch from two probes; on a busy machine their difference can
    # come out tiny, so never below a quarter of the longer probe's average
    measure(1)  # draws (and caches) the initial weights, so that no timing below pays it
    few, more = measure(4), measure(24)
    per_epoch = max((more.seconds - few.seconds) / 20, more.seconds / 24 / 4)
    epochs = max(5, int(seconds / 4 / per_epoch))
    short, long = measure(epochs), measure(3 * epochs)
    loop_seconds = max(long.seconds - short.seconds, 1e-9)
    return Measurement(long.implementation, long.arch, long.networks, 2 * epochs, loop_seconds,
                       long.dtype)


# --- a sweep's overhead --------------------------------------------------------------

# The 100,000-run grid of issue 3's overhead target: 500 configurations × 100 seeds ×
# 2 budgets, 5 widths × 5 activations × 4 inits × 5 learning rates.
GRID_100K = """
name = "{name}"
[defaults]
seeds = 100
[grid]
hidden = [[2], [3], [4], [8], [2, 2]]
activation = ["sigmoid", "tanh", "relu", "elu", "softplus"]
init = ["uniform(0,1)", "uniform(-1,1)", "xavier", "he"]
lr = [0.1, 0.3, 1.0, 2.0, 4.0]
epochs = {epochs}
"""

SWEEP_GRIDS = {
    "quick": lambda: default_grid(),
    "100k": lambda: loads_grid(GRID_100K.format(name="overhead-100k", epochs="[100, 1000]")),
    "100k-short": lambda: loads_grid(GRID_100K.format(name="overhead-100k-short",
                                                      epochs="[10, 100]")),
}
SWEEP_STAGES = ("expand", "scan", "plan", "build", "startup", "train", "tables", "total")


def measure_sweep(name: str, jobs: int, backend: str = "loky") -> dict[str, float]:
    """A fresh sweep of one of ``SWEEP_GRIDS`` in a temporary folder: stage seconds and
    the overhead, 1 − engine seconds / (workers × wall seconds), split in shares
    (serial stages, worker start-up, worker time outside the engine, idle) that add
    up to it.
    """
    import tempfile
    from pathlib import Path

    from xorbench.sweep import run_sweep

    grid = SWEEP_GRIDS[name]()
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_sweep(grid, Path(tmp) / grid.name, jobs=jobs, backend=backend)
    t = outcome.timings
    capacity = outcome.n_workers * outcome.seconds  # worker-seconds available
    # workers idle meanwhile
    serial = t["expand"] + t["scan"] + t["plan"] + t.get("build", 0.0) + t["tables"]
    extra = outcome.train_seconds - outcome.engine_seconds  # frames + shards, in workers
    overhead = 1 - outcome.engine_seconds / capacity
    return {
        **{stage: t.get(stage, 0.0) for stage in SWEEP_STAGES},
        "runs": outcome.n_runs,
        "workers": outcome.n_workers,
        "wall": outcome.seconds,
        "engine": outcome.engine_seconds,
        "overhead": overhead,
        # the overhead, split (shares of capacity; they add up to it)
        "serial": serial * outcome.n_workers / capacity,
        "startup share": t.get("startup", 0.0) * outcome.n_workers / capacity,
        "worker extra": extra / capacity,
        "idle": overhead - (serial + t.get("startup", 0.0)) * outcome.n_workers / capacity
        - extra / capacity,
    }


def measure_sweep_fresh(name: str, jobs: int, backend: str = "loky") -> dict[str, float]:
    """:func:`measure_sweep` in a new process, so starting the workers counts as in the CLI."""
    import json
    import subprocess
    import sys

    code = ("import json; from xorbench.bench import measure_sweep; "
            f"print(json.dumps(measure_sweep({name!r}, {jobs!r}, {backend!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise XorbenchError(f"the {name} sweep measurement failed: {last}")
    return json.loads(done.stdout)
