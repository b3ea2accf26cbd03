"""The layout of N stacked networks of one shape.

Structure of arrays, the network index last: all parameters of a batch are one
array θ of shape (D, N); layer l's weights *and* bias are the view
W_l (fan_in + 1, fan_out, N) of its rows, the last row being the bias. The
compiled kernel (:mod:`xorbench.kernel`) trains θ in this layout.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np


def layer_views(flat: np.ndarray, widths: Sequence[int]) -> list[np.ndarray]:
    """Views (fan_in + 1, fan_out, N) of each layer's rows in a (D, N) array."""
    views, start = [], 0
    for fan_in, fan_out in itertools.pairwise(widths):
        rows = (fan_in + 1) * fan_out
        views.append(flat[start : start + rows].reshape(fan_in + 1, fan_out, flat.shape[1]))
        start += rows
    return views


def n_params(widths: Sequence[int]) -> int:
    return sum((a + 1) * b for a, b in itertools.pairwise(widths))
