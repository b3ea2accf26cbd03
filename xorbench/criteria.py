"""When a network counts as having solved its task, one table entry each.

Each criterion maps outputs y (P, N) and targets t (P, 1) to a boolean (N,):
solved or not, for every network at once. Only order-free reductions (min, max)
and fixed-order sums are used, so a verdict never depends on the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xorbench.choices import Entry, Param, Table


@dataclass(frozen=True)
class Threshold:
    """Every pattern's output is on its target's side of 0.5."""

    def solved(self, y: np.ndarray, t: np.ndarray) -> np.ndarray:
        # margin_p = (y_p − ½)(2 t_p − 1) > 0 for every pattern p
        margin = (y - 0.5) * (2 * t - 1)
        return np.minimum.reduce(margin, axis=0) > 0


@dataclass(frozen=True)
class Tolerance:
    """Every |y − t| < d."""

    d: float = 0.1

    def solved(self, y, t):
        return np.maximum.reduce(np.abs(y - t), axis=0) < self.d


@dataclass(frozen=True)
class Rms:
    """√(mean_p (y − t)²) < r."""

    r: float = 0.05

    def solved(self, y, t):
        squared = (y - t) ** 2
        total = squared[0].copy()
        for p in range(1, squared.shape[0]):  # fixed order: no pairwise-sum surprises
            total += squared[p]
        return np.sqrt(total / squared.shape[0]) < self.r


CRITERIA = Table.of(
    "criterion",
    Entry("threshold", impl=Threshold, doc="every output on its target's side of 0.5"),
    Entry("tolerance", (Param("d", float, 0.1, 0, 1, low_open=True),), impl=Tolerance),
    Entry("rms", (Param("r", float, 0.05, 0, low_open=True),), impl=Rms),
)
