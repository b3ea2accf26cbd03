"""Engine throughput, measured: network-epochs per second, batched vs one at a time.

Standard workload (issue 7): 2-H-1, sigmoid hidden and output, MSE, full batch,
lr 0.5, weights uniform(−1, 1), no early stop. The comparison is a plain NumPy
loop that trains one network at a time with per-network matrices, the way a
learner writes it; both run in the same process, so their ratio is meaningful
even on a noisy machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from xorbench.config import make_config
from xorbench.engine import Member, Setup, train_batch
from xorbench.tasks import all_patterns


@dataclass(frozen=True)
class Measurement:
    """One timed training: ``networks`` × ``epochs`` in ``seconds`` of wall time."""

    implementation: str  # "engine", "engine, N processes" or "one-at-a-time"
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


def time_plain(hidden: int, networks: int, epochs: int) -> Measurement:
    """Wall time of the plain loop training ``networks`` networks one after another."""
    start = time.perf_counter()
    for seed in range(networks):
        train_one_plain(hidden, epochs, seed)
    seconds = time.perf_counter() - start
    return Measurement("one-at-a-time", f"2-{hidden}-1", networks, epochs, seconds)


def run_benchmark(hiddens: Sequence[int] = (2, 8), sizes: Sequence[int] = (1, 64, 1024, 16384),
                  seconds: float = 1.0, dtype: str = "float64",
                  workers: int = 0) -> Iterator[Measurement]:
    """Measure the engine at each batch size, the plain loop, and optionally N processes.

    Each figure is the epoch loop's own throughput: two trainings of E and 3E
    epochs, timed, and their difference (2E epochs) divided out, so the one-off
    cost of drawing initial weights does not count. E is chosen from a short
    probe so that the measurement takes about ``seconds``.
    """
    for hidden in hiddens:
        time_engine(hidden, 64, 20, dtype)  # warm up caches and imports
        for n in sizes:
            yield _marginal(lambda e, n=n, h=hidden: time_engine(h, n, e, dtype), seconds)
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
