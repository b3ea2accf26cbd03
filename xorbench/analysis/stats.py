"""Statistics of the tables: the Wilson interval of a rate, and group medians and quartiles
fast on millions of rows."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray] | tuple[float, float]:
    """Wilson score interval for a binomial proportion, elementwise.

    ``successes`` and ``n`` are counts (scalars, arrays or Series that broadcast).
    With p = k/n and z the two-sided normal quantile of ``confidence``:

        center = (p + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²)

    Returns (low, high) as float64 arrays (floats for scalar input), clipped to
    [0, 1]; NaN where n = 0.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("successes must be between 0 and n")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1 + z * z / n
        center = (p + z * z / (2 * n)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        # exact ends where the algebra cancels: k = 0 → low 0, k = n → high 1
        low = np.where(k == 0, 0.0, np.clip(center - half, 0.0, 1.0))
        high = np.where(k == n, 1.0, np.clip(center + half, 0.0, 1.0))
        low, high = np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def group_median_quartiles(group: np.ndarray, values: np.ndarray,
                           n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, 25th and 75th percentile of each group's non-NaN ``values``.

    Exactly what pandas' ``groupby(...).median()`` and ``.quantile(q)`` (linear)
    give — the median of an even count is (a + b) / 2, a quantile at position
    h = (n − 1) q is x⌊h⌋ when h is whole, else x⌊h⌋ + (x⌊h⌋₊₁ − x⌊h⌋)(h − ⌊h⌋) —
    faster on millions of rows in groups of a few dozen or more (the curves of a
    big sweep): the rows are ordered by group (a radix sort) and each group's
    values sorted in place. NaN where a group has no value.
    """
    order = np.argsort(group.astype(np.min_scalar_type(max(n_groups - 1, 0))), kind="stable")
    ordered = values[order]
    size = np.bincount(group, minlength=n_groups)
    start = np.zeros(n_groups, np.int64)
    np.cumsum(size[:-1], out=start[1:])
    for g in np.flatnonzero(size > 1).tolist():
        ordered[start[g] : start[g] + size[g]].sort()  # NaN sorts last
    n = np.bincount(group, weights=~np.isnan(values), minlength=n_groups).astype(np.int64)

    def at(i: np.ndarray) -> np.ndarray:  # each group's i-th smallest value
        return ordered[np.clip(start + i, 0, max(len(ordered) - 1, 0))] if len(ordered) \
            else np.full(n_groups, np.nan)

    half = n // 2
    upper, lower = at(half), at(np.maximum(half - 1, 0))
    quartiles = []
    with np.errstate(invalid="ignore"):  # ∞ − ∞ where both neighbours are infinite
        median = np.where(n % 2 == 1, upper, (lower + upper) / 2)
        for q in (0.25, 0.75):
            h = (n - 1) * q
            low = np.floor(h).astype(np.int64)
            a, b = at(np.maximum(low, 0)), at(np.clip(low + 1, 0, np.maximum(n - 1, 0)))
            quartiles.append(np.where(h == low, a, a + (b - a) * (h - low)))
    empty = n == 0
    return tuple(np.where(empty, np.nan, x) for x in (median, *quartiles))
