"""Engine throughput, measured: network-epochs per second, batched vs one at a time.

Standard workload (issue 7): 2-H-1, sigmoid hidden and output, MSE, full batch,
lr 0.5, weights uniform(−1, 1), no early stop. The comparison is a plain NumPy
loop that trains one network at a time with per-network matrices, the way a
learner writes it; both run in the same process, so their ratio is meaningful
even on a noisy machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from xorbench.config import make_config
from xorbench.engine import Member, Setup, train_batch
from xorbench.tasks import all_patterns


@dataclass(frozen=True)
class Measurement:
    implementation: str  # "engine" or "one-at-a-time"
    arch: str
    networks: int
    epochs: int
    seconds: float
    dtype: str = "float64"

    @property
    def network_epochs_per_s(self) -> float:
        return self.networks * self.epochs / self.seconds


def standard_config(hidden: int, dtype: str = "float64"):
    return make_config(hidden=(hidden,), activation="sigmoid", output="sigmoid", loss="mse",
                       batch="full", lr=0.5, init="uniform(-1,1)", dtype=dtype)


def time_engine(hidden: int, networks: int, epochs: int, dtype: str = "float64") -> Measurement:
    """Wall time of one batched training of ``networks`` networks for ``epochs`` epochs."""
    config = standard_config(hidden, dtype)
    members = [Member.of(config, seed) for seed in range(networks)]
    start = time.perf_counter()
    train_batch(Setup.of(config), members, [epochs])
    seconds = time.perf_counter() - start
    return Measurement("engine", f"2-{hidden}-1", networks, epochs, seconds, dtype)


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
    start = time.perf_counter()
    for seed in range(networks):
        train_one_plain(hidden, epochs, seed)
    seconds = time.perf_counter() - start
    return Measurement("one-at-a-time", f"2-{hidden}-1", networks, epochs, seconds)


def run_benchmark(hiddens=(2, 8), sizes=(1, 64, 1024, 16384), budget: float = 2e7,
                  plain_budget: float = 2e5, dtype: str = "float64") -> Iterator[Measurement]:
    """Measure the engine at each batch size and the plain loop once per architecture.

    ``budget`` is the network-epochs per engine measurement (epochs = budget / N,
    at least 20), ``plain_budget`` the same for the plain loop.
    """
    for hidden in hiddens:
        time_engine(hidden, 64, 20, dtype)  # warm up caches and imports
        for n in sizes:
            yield time_engine(hidden, n, max(20, int(budget // n)), dtype)
        plain_nets = 8
        yield time_plain(hidden, plain_nets, max(20, int(plain_budget // plain_nets)))
