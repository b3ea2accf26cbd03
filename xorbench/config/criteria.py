"""When a network counts as having solved its task, one table entry each.

Each criterion turns a network's outputs y and the targets t into a score that is
positive exactly when it has solved the task. The compiled kernel scores every
epoch with order-free reductions (min, max) and sums in pattern order, so a
verdict never depends on the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from xorbench.config.choices import Entry, Param, Table


class Criterion:
    """A verdict on a network's outputs y over the patterns, targets t. The kernel
    (:func:`xorbench.engine.kernel.observe`) computes its score every epoch: solved ⟺ score > 0,
    and a NaN output is never solved."""


@dataclass(frozen=True)
class Threshold(Criterion):
    """Every pattern's output is on its target's side of 0.5:
    score min_p (y_p − ½)(2 t_p − 1)."""


@dataclass(frozen=True)
class Tolerance(Criterion):
    """Every |y − t| < d: score d − max_p |y_p − t_p|."""

    d: float = 0.1


@dataclass(frozen=True)
class Rms(Criterion):
    """√(mean_p (y − t)²) < r: score r − √(Σ_p (y_p − t_p)² / P)."""

    r: float = 0.05


CRITERIA = Table.of(
    "criterion",
    Entry("threshold", impl=Threshold, doc="every output on its target's side of 0.5"),
    Entry("tolerance", (Param("d", float, 0.1, 0, 1, low_open=True),), impl=Tolerance),
    Entry("rms", (Param("r", float, 0.05, 0, low_open=True),), impl=Rms),
)
