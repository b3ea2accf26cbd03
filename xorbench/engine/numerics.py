"""Sums whose rounding never depends on how many networks share the arrays.

``np.add.reduce`` changes its summation order with the memory layout (pairwise
along a contiguous axis, row by row otherwise), so the same network could get
different last bits alone than in a batch. These helpers add the leading axis
in one fixed pairwise order made of elementwise additions, which are exactly
rounded whatever the array's shape.
"""

from __future__ import annotations

import numpy as np


def sum_leading_inplace(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Σ over axis 0 of ``x`` in a fixed pairwise order; ``x`` is used as scratch.

    Pairs (0, h), (1, h+1), ... are added until one row is left, so for 4 rows the
    sum is (x0 + x2) + (x1 + x3). Returns ``out`` (or a view of ``x[0]``).
    """
    n = x.shape[0]
    while n > 1:
        half = n // 2
        if n == 2 and out is not None:
            np.add(x[0], x[1], out=out)
            return out
        np.add(x[:half], x[n - half : n], out=x[:half])
        n -= half
    if out is not None:
        np.copyto(out, x[0])
        return out
    return x[0]

