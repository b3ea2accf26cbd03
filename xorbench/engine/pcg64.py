"""NumPy's PCG64 draws of pattern orders, compiled: the same numbers without Python per draw.

Online and sampled epochs draw their patterns from each run's data-order stream
(:mod:`xorbench.engine.streams`) as ``Generator(PCG64(...))`` would: sampled epochs as
``integers(0, P, size)`` (Lemire's bounded integers on 32-bit draws), online ones as
``permuted`` shuffles (Fisher–Yates on ``random_interval``). NumPy spends ~20 ns a pattern on
them, as much as training on it takes; these functions follow NumPy's C code
(``numpy/random/src``: pcg64.h, distributions.c) step for step, so every pattern is the
same (tests/engine/test_pcg64.py compares them with NumPy's). A generator's state is a
row of :data:`FIELDS`, taken from NumPy's own seeding and carried from block to block.

Every compiled function here is self-contained (numba's disk cache watches only the
file of the function it cached).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")  # as in kernel.py: read at import

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

# a state row: the 128-bit LCG state and increment as 64-bit halves, and next_uint32's
# spare upper half of the last 64-bit output (NumPy's has_uint32, uinteger)
HIGH, LOW, INC_HIGH, INC_LOW, HAS_UINT32, UINTEGER = range(6)
FIELDS = 6
MULTIPLIER = (2549297995355413924 << 64) | 4865540595714422341  # PCG_DEFAULT_MULTIPLIER_128
HALF_MASK = (1 << 64) - 1


def states(seeds: Sequence[np.random.SeedSequence]) -> np.ndarray:
    """The state rows (len(seeds), FIELDS) of ``PCG64(seed)`` for each SeedSequence, as
    NumPy seeds them."""
    rows = np.zeros((len(seeds), FIELDS), np.uint64)
    for row, seed in zip(rows, seeds, strict=True):
        state = np.random.PCG64(seed).state
        lcg = state["state"]
        row[HIGH], row[LOW] = lcg["state"] >> 64, lcg["state"] & HALF_MASK
        row[INC_HIGH], row[INC_LOW] = lcg["inc"] >> 64, lcg["inc"] & HALF_MASK
        row[HAS_UINT32], row[UINTEGER] = state["has_uint32"], state["uinteger"]
    return rows


def generator(row: np.ndarray) -> np.random.Generator:
    """A NumPy Generator in the state of ``row`` (to compare, and to go on in NumPy)."""
    bits = np.random.PCG64()
    bits.state = {"bit_generator": "PCG64",
                  "state": {"state": (int(row[HIGH]) << 64) | int(row[LOW]),
                            "inc": (int(row[INC_HIGH]) << 64) | int(row[INC_LOW])},
                  "has_uint32": int(row[HAS_UINT32]), "uinteger": int(row[UINTEGER])}
    return np.random.Generator(bits)


@intrinsic
def _lcg_step(typingctx, high, low, inc_high, inc_low):
    """The LCG's next state s · MULTIPLIER + inc (mod 2¹²⁸), as (high, low) halves."""
    u64 = types.uint64
    signature = types.UniTuple(u64, 2)(u64, u64, u64, u64)

    def codegen(context, builder, sig, args):
        wide, half = ir.IntType(128), ir.IntType(64)

        def join(h, lo):
            return builder.or_(builder.shl(builder.zext(h, wide), ir.Constant(wide, 64)),
                               builder.zext(lo, wide))

        state = builder.add(builder.mul(join(args[0], args[1]), ir.Constant(wide, MULTIPLIER)),
                            join(args[2], args[3]))
        upper = builder.trunc(builder.lshr(state, ir.Constant(wide, 64)), half)
        return context.make_tuple(builder, sig.return_type, (upper, builder.trunc(state, half)))

    return signature, codegen


@nb.njit(cache=True)
def _next64(state):
    """pcg64_next64: step, then the XSL-RR output rotr(high ⊕ low, high >> 58)."""
    high, low = _lcg_step(state[HIGH], state[LOW], state[INC_HIGH], state[INC_LOW])
    state[HIGH], state[LOW] = high, low
    value = high ^ low
    rotation = high >> np.uint64(58)
    return (value >> rotation) | (value << ((np.uint64(64) - rotation) & np.uint64(63)))


@nb.njit(cache=True)
def _next32(state):
    """pcg64_next32: the low half of a 64-bit output, keeping the high half for next time."""
    if state[HAS_UINT32] != 0:
        state[HAS_UINT32] = 0
        return state[UINTEGER]
    value = _next64(state)
    state[HAS_UINT32] = 1
    state[UINTEGER] = value >> np.uint64(32)
    return value & np.uint64(0xFFFFFFFF)


@nb.njit(cache=True)
def draw_sampled(states, n_patterns, out):
    """``integers(0, n_patterns, size=(k, per_epoch))`` of each stream s (a row of
    ``states``, advanced) into out[:, :, s] (k, per_epoch, streams): Lemire's method on
    32-bit draws (buffered_bounded_lemire_uint32), as NumPy draws int64 integers."""
    k, per_epoch, n_streams = out.shape
    span = np.uint64(n_patterns)  # rng + 1
    low_bits = np.uint64(0xFFFFFFFF)
    threshold = (low_bits - (span - np.uint64(1))) % span  # (UINT32_MAX − rng) mod (rng + 1)
    for s in range(n_streams):
        state = states[s]
        for e in range(k):
            for u in range(per_epoch):
                m = _next32(state) * span
                if (m & low_bits) < span:
                    while (m & low_bits) < threshold:
                        m = _next32(state) * span
                out[e, u, s] = m >> np.uint64(32)


@nb.njit(cache=True)
def draw_online(states, out):
    """``permuted(tile(arange(P), (k, 1)), axis=1)`` of each stream s into out[:, :, s]
    (k, P, streams): a Fisher–Yates shuffle per epoch, i = P − 1 … 0 swapped with
    j = random_interval(i), as NumPy shuffles each row."""
    k, n_patterns, n_streams = out.shape
    row = np.zeros(n_patterns, np.int64)
    for s in range(n_streams):
        state = states[s]
        for e in range(k):
            for p in range(n_patterns):
                row[p] = p
            for i in range(n_patterns - 1, 0, -1):  # i = 0 draws nothing
                bound = np.uint64(i)
                mask = bound  # the smallest 2^b − 1 ≥ i
                mask |= mask >> np.uint64(1)
                mask |= mask >> np.uint64(2)
                mask |= mask >> np.uint64(4)
                mask |= mask >> np.uint64(8)
                mask |= mask >> np.uint64(16)
                value = _next32(state) & mask
                while value > bound:
                    value = _next32(state) & mask
                j = np.int64(value)
                row[i], row[j] = row[j], row[i]
            for p in range(n_patterns):
                out[e, p, s] = row[p]
