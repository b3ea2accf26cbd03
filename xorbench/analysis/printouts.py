"""A learner's printout against the final outputs of many runs: ties, one unit, printing bugs.

A printout — the outputs a network printed for each input after training — says more
than solved or not: which outputs tie (the network maps those inputs to one value),
which function it computes, and whether a network of its shape could print it at all
(one sigmoid unit is monotone in each input). This module reads a printout in the
order it was printed, and compares it with runs' outputs: as printed, and through the
printing bugs of :data:`xorbench.config.bugs.PRINTING_BUGS` — every row showing the
last output (``aliased-output``), or the rows labelled in another order than the
inputs were fed (``row-order``). Pure NumPy and pandas.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xorbench.errors import ChoiceError
from xorbench.schema import function_name

TIE = 0.01  # two outputs closer than this are "tied": the network maps both inputs alike
TOLERANCE = 0.05  # a run reproduces a printout when every output is within this of it
AS_PRINTED = "as printed"
# Row orders tried for ``row-order`` when the task has at most this many patterns (4! = 24).
MAX_ROW_ORDER_PATTERNS = 6


@dataclass(frozen=True)
class Printout:
    """What a learner printed: ``values`` (P,) in xorbench's pattern order (``names``), and
    ``order``, the patterns' indices in the order the rows were printed (and fed)."""

    values: np.ndarray
    names: tuple[str, ...]
    order: tuple[int, ...]

    @property
    def printed(self) -> np.ndarray:
        """The values as the learner printed them, row by row."""
        return self.values[list(self.order)]

    @property
    def printed_names(self) -> tuple[str, ...]:
        return tuple(self.names[i] for i in self.order)


def parse_outputs(text: str | Sequence[float], n_patterns: int, key: str = "outputs") -> np.ndarray:
    """A printout's values, ``"0.253,0.793,0.793,0.793"`` or numbers: one per pattern, each
    in [0, 1] (a sigmoid's outputs); ChoiceError naming ``key``, the value and what is
    allowed."""
    items = re.split(r"[,\s]+", text.strip()) if isinstance(text, str) else list(text)
    allowed = f"{n_patterns} numbers from 0 to 1, one per input, separated by commas"
    try:
        values = np.array([float(v) for v in items if v != ""], np.float64)
    except (TypeError, ValueError):
        raise ChoiceError(key, _shown(text), f"not all numbers; allowed: {allowed}") from None
    if len(values) != n_patterns:
        raise ChoiceError(key, _shown(text), f"has {len(values)} values; allowed: {allowed}")
    if not (np.isfinite(values) & (values >= 0) & (values <= 1)).all():
        raise ChoiceError(key, _shown(text), f"has a value outside [0, 1]; allowed: {allowed}")
    return values


def parse_order(text: str | Sequence[str] | None, names: Sequence[str],
                key: str = "order") -> tuple[int, ...]:
    """The printed rows' patterns, ``"00,10,01,11"``, as indices into ``names``; None: the
    names' own order. ChoiceError unless it is a permutation of ``names``."""
    if text is None:
        return tuple(range(len(names)))
    items = [v for v in re.split(r"[,\s]+", text.strip()) if v] if isinstance(text, str) \
        else [str(v) for v in text]
    if sorted(items) != sorted(names) or len(set(items)) != len(items):
        raise ChoiceError(key, _shown(text), f"is not an order of the inputs; allowed: each of "
                          f"{', '.join(names)} once, e.g. {','.join(names)}")
    return tuple(list(names).index(item) for item in items)


def _shown(value: object) -> str:
    return value if isinstance(value, str) else ",".join(str(v) for v in value)


def make_printout(outputs: str | Sequence[float], names: Sequence[str],
                  order: str | Sequence[str] | None = None, keys=("outputs", "order")) -> Printout:
    """A :class:`Printout` from the values as printed and the order they were printed in."""
    index = parse_order(order, names, keys[1])
    printed = parse_outputs(outputs, len(names), keys[0])
    values = np.empty(len(names))
    values[list(index)] = printed
    return Printout(values, tuple(names), index)


def ties(y: np.ndarray, names: Sequence[str] = ("00", "01", "10", "11"),
         tol: float = TIE) -> str:
    """Which patterns a network's outputs tie: ``00 | 01 = 10 = 11`` (groups, first pattern
    first). ``y`` holds the outputs in ``names`` order; sorted outputs closer than ``tol``
    to their neighbour fall in one group (single linkage)."""
    order = np.argsort(y, kind="stable")
    groups = [[order[0]]]
    for i in order[1:]:
        if y[i] - y[groups[-1][-1]] < tol:
            groups[-1].append(i)
        else:
            groups.append([i])
    groups = sorted((sorted(g) for g in groups), key=min)
    return " | ".join(" = ".join(names[i] for i in g) for g in groups)


def all_tied(shape: str) -> bool:
    """Whether a :func:`ties` text puts every pattern in one group."""
    return "|" not in shape and "=" in shape


def monotone(y: np.ndarray) -> np.ndarray:
    """Whether each row of outputs (patterns in counting order, first input most
    significant) could come from one sigmoid unit.

    σ(Σ_i w_i x_i + b) moves the same way whenever input i goes 0 → 1, whatever the
    other inputs are (the sign of w_i): over every pair of patterns that differ only in
    input i, the signs of the changes never oppose.
    """
    y = np.atleast_2d(np.asarray(y, np.float64))
    n_inputs = int(np.log2(y.shape[1]))
    ok = np.ones(y.shape[0], bool)
    codes = np.arange(y.shape[1])
    for i in range(n_inputs):
        bit = 1 << (n_inputs - 1 - i)
        low = codes[(codes & bit) == 0]
        change = np.sign(y[:, low + bit] - y[:, low])  # (rows, pairs)
        ok &= ~((change > 0).any(axis=1) & (change < 0).any(axis=1))
    return ok


def reorder_making_monotone(printout: Printout) -> tuple[str, ...] | None:
    """A labelling of the printed rows under which one sigmoid unit could print them (the
    first found, as pattern names in printing order), or None if no order does."""
    for perm in itertools.permutations(range(len(printout.values))):
        if monotone(printout.values[list(perm)])[0]:
            relabel = {perm[q]: q for q in range(len(perm))}
            return tuple(printout.names[relabel[i]] for i in printout.order)
    return None


def function_of(y: np.ndarray) -> str:
    """The boolean function outputs compute, thresholded at 0.5 (``OR``, ``XOR``, …)."""
    return function_name("".join("1" if v > 0.5 else "0" for v in y))


def views(outputs: np.ndarray, printing: str, last: int) -> np.ndarray:
    """What runs would print, (V, S, P), from their outputs (S, P) in pattern order.

    ``as printed``: the outputs themselves. ``aliased-output``: every row the output of
    the last pattern fed, ``last``. ``row-order``: every other labelling of the rows —
    the value shown at pattern q is the output of pattern π(q), for each permutation π
    but the identity (none for more than :data:`MAX_ROW_ORDER_PATTERNS` patterns).
    """
    n_patterns = outputs.shape[1]
    if printing == AS_PRINTED:
        return outputs[None]
    if printing == "aliased-output":
        return np.repeat(outputs[None, :, last : last + 1], n_patterns, axis=2)
    if printing == "row-order":
        if n_patterns > MAX_ROW_ORDER_PATTERNS:
            return outputs[:0][None]
        perms = list(itertools.permutations(range(n_patterns)))[1:]  # the identity first
        return np.stack([outputs[:, list(p)] for p in perms])
    raise ValueError(f"unknown printing {printing!r}")
