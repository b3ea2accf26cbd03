"""The layout of N stacked networks of one shape.

Structure of arrays, the network index last: all parameters of a batch are one
array θ of shape (D, N); layer l's weights *and* bias are the view
W_l (fan_in + 1, fan_out, N) of its rows, the last row being the bias. The
compiled kernel (:mod:`xorbench.engine.kernel`) trains θ in this layout.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence

import numpy as np


def layer_views(flat: np.ndarray, widths: Sequence[int]) -> list[np.ndarray]:
    """Views (fan_in + 1, fan_out, N) of each layer's rows in a (D, N) array."""
    return [flat[weights.start : biases.stop].reshape(fan_in + 1, fan_out, flat.shape[1])
            for fan_in, fan_out, weights, biases in layer_rows(tuple(widths))]


@functools.lru_cache(maxsize=64)
def layer_rows(widths: tuple[int, ...]) -> tuple[tuple[int, int, slice, slice], ...]:
    """Per layer: fan_in, fan_out, and the rows of θ holding its weights (fan_in × fan_out,
    in C order: w_ij at row i · fan_out + j of the block) and then its biases."""
    layers, start = [], 0
    for fan_in, fan_out in itertools.pairwise(widths):
        middle = start + fan_in * fan_out
        layers.append((fan_in, fan_out, slice(start, middle), slice(middle, middle + fan_out)))
        start = middle + fan_out
    return tuple(layers)


def n_params(widths: Sequence[int]) -> int:
    return sum((a + 1) * b for a, b in itertools.pairwise(widths))


def unit_starts(widths: Sequence[int]) -> list[int]:
    """Each layer's first unit, numbering the units layer by layer from the first
    hidden unit (the output last), as the kernel numbers its activations."""
    return list(itertools.accumulate(widths[1:-1], initial=0))
