"""The byte loops of a large CSV table, compiled: Python's float notation, and rows.

The results layer writes tables without numba; a sweep, which has the engine loaded
anyway, hands it these loops for its large runs.csv
(:func:`xorbench.results.csvtext.csv_bytes`). Arrow formats a float64 column as its
shortest round-trip digits ~8× faster than ``repr``, the same digits, in its own
notation (``1e-05`` is ``0.00001``, ``1.0`` is ``1``): :func:`python_float_notation`
rewrites each cell in ``repr``'s, and :func:`place_column` writes one column's cells
into every row of the output. Both loop over bytes, which NumPy cannot do without
Python per cell, and both release the GIL (the table is written in a thread beside
the summary's work). Self-contained: numba's disk cache watches only this file.
"""

from __future__ import annotations

import numba as nb
import numpy as np

MINUS, PLUS, POINT, ZERO, NINE, LOWER_E = 45, 43, 46, 48, 57, 101
# a repr is at most 24 bytes: -1.2345678901234567e-308
LONGEST_REPR = 24


@nb.njit(cache=True, nogil=True)
def python_float_notation(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells ``data[offsets[i]:offsets[i+1]]`` (one float's shortest digits each, in any
    plain or exponent notation) rewritten as Python's ``repr`` writes that float.
    Cells that are not numbers (inf, nan) are copied. Returns the new offsets and bytes."""
    n = len(offsets) - 1
    out = np.empty(n * LONGEST_REPR, np.uint8)
    out_offsets = np.empty(n + 1, np.int64)
    out_offsets[0] = 0
    digits = np.empty(64, np.uint8)
    w = 0
    for i in range(n):
        j, end = offsets[i], offsets[i + 1]
        if j < end and data[j] == MINUS:
            out[w] = MINUS
            w += 1
            j += 1
        if j < end and (data[j] < ZERO or data[j] > NINE):  # inf, nan
            while j < end:
                out[w] = data[j]
                w += 1
                j += 1
        else:
            n_digits, decpt = _shortest_digits(data, j, end, digits)
            w = _write_repr(out, w, digits, n_digits, decpt)
        out_offsets[i + 1] = w
    return out_offsets, out[:w]


@nb.njit(cache=True, nogil=True)
def _shortest_digits(data: np.ndarray, j: int, end: int, digits: np.ndarray) -> tuple[int, int]:
    """The significant digits d₁…dₙ of the number in ``data[j:end]`` (no sign; plain, or
    with an exponent ``e±X``) into ``digits``, and its decpt: x = 0.d₁…dₙ × 10^decpt.
    Returns (n, decpt); n = 0 for zero."""
    n_digits = 0
    integer_digits = 0  # significant digits before the point
    zeros_after_point = 0  # zeros between the point and d₁ (0.000d₁…)
    after_point = False
    while j < end and data[j] != LOWER_E:
        c = data[j]
        if c == POINT:
            after_point = True
        elif n_digits == 0 and c == ZERO:
            if after_point:
                zeros_after_point += 1
        else:
            digits[n_digits] = c
            n_digits += 1
            if not after_point:
                integer_digits += 1
        j += 1
    exponent = 0
    if j < end:  # e, an optional sign, digits
        j += 1
        negative = data[j] == MINUS
        if data[j] == MINUS or data[j] == PLUS:
            j += 1
        while j < end:
            exponent = exponent * 10 + (data[j] - ZERO)
            j += 1
        if negative:
            exponent = -exponent
    while n_digits > 0 and digits[n_digits - 1] == ZERO:
        n_digits -= 1
    return n_digits, (integer_digits if integer_digits > 0 else -zeros_after_point) + exponent


@nb.njit(cache=True, nogil=True)
def _write_repr(out: np.ndarray, w: int, digits: np.ndarray, n_digits: int, decpt: int) -> int:
    """x = 0.d₁…dₙ × 10^decpt written at ``out[w]`` as ``repr`` does: d₁.d₂…dₙe±XX when
    decpt ≤ −4 or decpt > 16, plain decimals otherwise, always with a point (``100.0``,
    ``0.0``). Returns the position after it."""
    if n_digits == 0:  # zero (its sign is written already)
        out[w], out[w + 1], out[w + 2] = ZERO, POINT, ZERO
        return w + 3
    if decpt <= -4 or decpt > 16:  # d₁.d₂…dₙe±XX
        out[w] = digits[0]
        w += 1
        if n_digits > 1:
            out[w] = POINT
            w += 1
            for k in range(1, n_digits):
                out[w] = digits[k]
                w += 1
        power = decpt - 1
        out[w] = LOWER_E
        out[w + 1] = MINUS if power < 0 else PLUS
        w += 2
        power = abs(power)
        if power >= 100:
            out[w] = ZERO + power // 100
            w += 1
        out[w], out[w + 1] = ZERO + power // 10 % 10, ZERO + power % 10
        return w + 2
    if decpt <= 0:  # 0.00d₁…dₙ
        out[w], out[w + 1] = ZERO, POINT
        w += 2
        for _ in range(-decpt):
            out[w] = ZERO
            w += 1
        for k in range(n_digits):
            out[w] = digits[k]
            w += 1
        return w
    for k in range(max(n_digits, decpt)):  # d₁…d_decpt.d…, or d₁…dₙ00.0
        out[w] = digits[k] if k < n_digits else ZERO
        w += 1
        if k == decpt - 1:
            out[w] = POINT
            w += 1
    if decpt >= n_digits:
        out[w] = ZERO
        w += 1
    return w


@nb.njit(cache=True, nogil=True)
def place_column(out: np.ndarray, cursor: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 data: np.ndarray, separator: int) -> None:
    """Write row i's cell ``data[starts[i]:ends[i]]`` and then ``separator`` at
    ``out[cursor[i]]``, moving each cursor past them."""
    for i in range(len(cursor)):
        w = cursor[i]
        for j in range(starts[i], ends[i]):
            out[w] = data[j]
            w += 1
        out[w] = separator
        cursor[i] = w + 1
