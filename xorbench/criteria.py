"""When a network counts as having solved its task, one table entry each.

Each criterion turns outputs y (P, N) and targets t (P, 1) into a score per
network (N,) that is positive exactly when the network has solved the task. The
engine scores every epoch into preallocated buffers; only order-free reductions
(min, max) and fixed-order sums are used, so a verdict never depends on the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xorbench.choices import Entry, Param, Table
from xorbench.numerics import sum_leading_inplace


class Criterion:
    def score(self, y: np.ndarray, t: np.ndarray, scratch: np.ndarray, out: np.ndarray) -> None:
        """Write the score (N,) into ``out``; ``scratch`` is a (P, N) buffer to use."""
        raise NotImplementedError

    def solved(self, y: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Solved or not, (N,) booleans: score > 0."""
        out = np.empty(y.shape[1], y.dtype)
        self.score(y, t, np.empty_like(y), out)
        return out > 0


@dataclass(frozen=True)
class Threshold(Criterion):
    """Every pattern's output is on its target's side of 0.5."""

    def score(self, y, t, scratch, out):
        # min_p (y_p − ½)(2 t_p − 1): positive iff every output is on its target's side
        np.subtract(y, 0.5, out=scratch)
        np.multiply(scratch, 2 * t - 1, out=scratch)
        np.minimum.reduce(scratch, axis=0, out=out)


@dataclass(frozen=True)
class Tolerance(Criterion):
    """Every |y − t| < d."""

    d: float = 0.1

    def score(self, y, t, scratch, out):
        # d − max_p |y_p − t_p|
        np.subtract(y, t, out=scratch)
        np.abs(scratch, out=scratch)
        np.maximum.reduce(scratch, axis=0, out=out)
        np.subtract(self.d, out, out=out)


@dataclass(frozen=True)
class Rms(Criterion):
    """√(mean_p (y − t)²) < r."""

    r: float = 0.05

    def score(self, y, t, scratch, out):
        # r − √(Σ_p (y_p − t_p)² / P)
        n_patterns = y.shape[0]
        np.subtract(y, t, out=scratch)
        np.multiply(scratch, scratch, out=scratch)
        sum_leading_inplace(scratch, out=out)
        np.divide(out, n_patterns, out=out)
        np.sqrt(out, out=out)
        np.subtract(self.r, out, out=out)


CRITERIA = Table.of(
    "criterion",
    Entry("threshold", impl=Threshold, doc="every output on its target's side of 0.5"),
    Entry("tolerance", (Param("d", float, 0.1, 0, 1, low_open=True),), impl=Tolerance),
    Entry("rms", (Param("r", float, 0.05, 0, low_open=True),), impl=Rms),
)
