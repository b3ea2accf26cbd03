"""Counting the runs of a union of sub-grids without listing them.

A sub-grid is a *box*: one set of values per axis, every combination of them a
point. A grid is a union of boxes, which may overlap; :func:`union_size` counts its
points by cutting the boxes into disjoint pieces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import product

Box = tuple[frozenset, ...]  # one set of values per axis: a sub-grid as a set of points


def union_size(boxes: Sequence[Box]) -> int:
    """The number of points in a union of boxes (a box: one set of values per axis).

    Each box in turn is cut into disjoint pieces outside every box kept so far,
    and the pieces are kept: the kept boxes stay disjoint, so their sizes add up.
    Many overlapping boxes can cut each other into very many pieces; then, if
    they are small enough, counting the distinct points is faster.
    """
    boxes = sorted(_drop_contained(boxes), key=_size, reverse=True)
    if len(boxes) > 8 and sum(_size(box) for box in boxes) <= 1_000_000:
        return len({point for box in boxes for point in product(*box)})
    kept: list[Box] = []
    for box in boxes:
        pieces = [box]
        for other in kept:
            pieces = [part for piece in pieces for part in _subtract(piece, other)]
        kept.extend(pieces)
    return sum(_size(box) for box in kept)


def _size(box: Box) -> int:
    return math.prod(len(values) for values in box)


def _subtract(a: Box, b: Box) -> list[Box]:
    """a − b as disjoint boxes: piece i agrees with b on the axes before i, not on axis i."""
    if any(not (x & y) for x, y in zip(a, b, strict=True)):
        return [a]
    pieces = []
    inside = list(a)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x - y:
            pieces.append((*inside[:i], x - y, *a[i + 1:]))
        inside[i] = x & y
    return pieces


def _drop_contained(boxes: Sequence[Box]) -> list[Box]:
    """The same union from fewer boxes: drop each box that lies inside another."""
    kept: list[Box] = []
    for box in boxes:
        if any(_contains(k, box) for k in kept):
            continue
        kept = [k for k in kept if not _contains(box, k)] + [box]
    return kept


def _contains(outer: Box, inner: Box) -> bool:
    return all(i <= o for i, o in zip(inner, outer, strict=True))
